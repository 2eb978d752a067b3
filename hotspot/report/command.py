"""The ``report`` command's report: :func:`area_report` (:func:`build_report`
with the notes a report from the user's own data needs) and the source line
(:func:`data_source`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..incidents import IncidentsLike, as_frame
from .core import PerformanceReport, build_report
from .london import LondonContext
from .series import complete_financial_years


def data_source(sources: list[dict[str, Any]] | None) -> str:
    """The source line of a report: police.uk's credit and licence when
    every input is police.uk data, else the files' names.

    Parameters
    ----------
    sources : list of dict, optional
        The intake's detection per input (``IntakeResult.detected``: ``file``
        and ``format``).

    Returns
    -------
    str
    """
    if not sources:
        return "the incident data given"
    if all("police.uk" in str(d.get("format", "")) for d in sources):
        return "data.police.uk (Open Government Licence v3.0)"
    names = [Path(str(d.get("file", ""))).name for d in sources]
    return "the incident files given: " + ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _own_data_notes(rep: PerformanceReport, london: LondonContext, incidents: pd.DataFrame,
                    sources: list[dict[str, Any]] | None, *, baseline_given: bool) -> list[str]:
    """Warnings for a report from the user's own data beside a reference:
    a default baseline year later than the reference's (the data start
    later), and ranks that put the reference's count of this area, not the
    input's, among the other areas' reference counts."""
    out = []
    ref = london.monthly.loc[rep.area] if rep.area in london.monthly.index else None
    fy = rep.vs_baseline["fy"]
    if not baseline_given and ref is not None:
        ref_series = pd.Series(ref.to_numpy(), index=pd.PeriodIndex(london.monthly.columns, freq="M"))
        ref_fys = [y for y in complete_financial_years(ref_series) if y < fy]
        if ref_fys:
            start = incidents["occurred"].min().to_period("M")
            out.append(f"the baseline is FY {fy}/{str(fy + 1)[-2:]}, the first complete financial year of the input "
                       f"(its data start {start}); the reference data start earlier, and a report from them compares "
                       f"with FY {ref_fys[0]}/{str(ref_fys[0] + 1)[-2:]}: give --baseline-fy to compare the same year")
    own = data_source(sources) != data_source([{"format": "police.uk"}])
    if own and rep.london_rank is not None:
        ref_volume = london.volume(rep.area, rep.month)
        out.append(f"rates and ranks count every area the same way, from the reference ({london.counting}): "
                   f"{rep.area} {ref_volume:,} burglaries in the 12 months to {rep.month} there, {rep.rolling_12m['volume']:,} "
                   "in the input; the input's own counts are the volumes and changes, not the ranks")
    return out


def area_report(incidents: IncidentsLike | pd.DataFrame, area_name: str, month: str, *, london: LondonContext | None = None,
                baseline_fy: int | None = None, peers: list[str] | None = None, z: float = 2.5, green: float = 5.0,
                red: float = 5.0, sources: list[dict[str, Any]] | None = None) -> PerformanceReport:
    """The ``report`` command's report: :func:`build_report`, with a warning
    in the report itself when there is no reference (no rates or ranks).

    Parameters
    ----------
    incidents : Incidents or DataFrame
        The area's incidents (``occurred`` column).
    area_name : str
        The area's name.
    month : str
        Reporting month ``YYYY-MM``.
    london : LondonContext, optional
        Reference counts and population (:func:`london_context`).
    baseline_fy : int, optional
        Baseline financial year (2014 = Apr 2014-Mar 2015).
    peers : list of str, optional
        Peer areas (default: nearest in density and deprivation).
    z : float
        Exception band, standard deviations.
    green, red : float
        GREEN at or below -green % and RED at or above +red % rolling change (percent).
    sources : list of dict, optional
        The intake's detection per input, for the source line (:func:`data_source`).

    Returns
    -------
    PerformanceReport
    """
    incidents = as_frame(incidents)
    rep = build_report(incidents, area_name, month, london=london, baseline_fy=baseline_fy, peers=peers, z=z,
                       green=green, red=red)
    rep.source = data_source(sources)
    if london is not None:
        rep.warnings.extend(_own_data_notes(rep, london, incidents, sources, baseline_given=baseline_fy is not None))
    if london is None:
        rep.warnings.append("no reference counts and population given (--reference-counts/--population or "
                            "--data): no rates or ranks")
    return rep
