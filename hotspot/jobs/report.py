"""The ``report`` job: an area's performance report (:func:`plan_report`, the
one entry point of the ``report`` command and of the run's ``report``
stage) and its reference, the counts and population behind rates and ranks,
filled from the reference data folder (:func:`london_context`, was
``hotspot.report.london_context``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import settings
from .._errors import OptionError
from ..report.command import PerformanceReport, area_report
from ..report.london import LondonContext
from .reference import ReferenceData, resolve_data_dir


def london_context(data: str | Path | None = None, *, counts_csv: str | Path | None = None,
                   population_csv: str | Path | None = None, households_csv: str | Path | None = None,
                   imd_csv: str | Path | None = None, boroughs_layer: str | Path | None = None) -> LondonContext | None:
    """The reference counts and population for rates and ranks: the files
    given, the others filled from the reference data folder.

    Parameters
    ----------
    data : path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``, if any).
    counts_csv : path, optional
        Counts of every area: police.uk incidents or LSOA month counts.
    population_csv : path, optional
        LSOA population (per-1,000 rates, peers).
    households_csv : path, optional
        LSOA Census households.
    imd_csv : path, optional
        LSOA deprivation (IMD), for default peers.
    boroughs_layer : path, optional
        Polygons of every area, for population density (default peers).

    Returns
    -------
    LondonContext or None
        None when neither counts nor population are given or found (then a
        report has no rates or ranks).
    """
    root = resolve_data_dir(data)
    defaults = ReferenceData(root).london_files() if root is not None else {}
    given = {"counts_csv": counts_csv, "population_csv": population_csv, "households_csv": households_csv,
             "imd_csv": imd_csv, "boroughs_layer": boroughs_layer}
    chosen = {k: v or defaults.get(k) for k, v in given.items()}
    if chosen["counts_csv"] is None and chosen["population_csv"] is None:
        return None
    if chosen["counts_csv"] is None or chosen["population_csv"] is None:
        raise OptionError("rates and ranks need both reference_counts= and population=", param=('reference_counts', 'population'))
    for p in chosen.values():
        if p is not None and not Path(p).exists():
            raise OptionError(f"{p}: file not found")
    return LondonContext.from_files(**chosen)


@dataclass
class ReportOptions:
    """The ``report`` job's options: the only copy of their defaults.

    Attributes
    ----------
    baseline_fy : int, optional
        Baseline financial year (2014 = Apr 2014-Mar 2015); default the
        report's own choice.
    peers : list of str, optional
        Peer areas (default: nearest in density and deprivation).
    z : float
        Exception band, standard deviations.
    green, red : float
        GREEN at or below -green % and RED at or above +red % rolling change (percent).
    """

    baseline_fy: int | None = None
    peers: list[str] | None = None
    # read from settings when an options object is made (a change at run time counts)
    z: float = field(default_factory=lambda: settings.REPORT_EXCEPTION_Z)
    green: float = field(default_factory=lambda: settings.REPORT_GREEN_PCT)
    red: float = field(default_factory=lambda: settings.REPORT_RED_PCT)


def plan_report(incidents: pd.DataFrame, area_name: str, month: str, options: ReportOptions | None = None, *,
                london: LondonContext | None = None,
                sources: list[dict[str, Any]] | None = None) -> PerformanceReport:
    """The area's performance report for ``month``
    (:func:`hotspot.report.command.area_report`).

    Parameters
    ----------
    incidents : DataFrame
        The area's incidents (``occurred`` column).
    area_name : str
        The area's name.
    month : str
        Reporting month ``YYYY-MM``.
    options : ReportOptions, optional
        Baseline, peers, exception band and RAG thresholds; default
        :class:`ReportOptions`' values.
    london : LondonContext, optional
        Reference counts and population (:func:`london_context`); none: no
        rates or ranks, and the report says so.
    sources : list of dict, optional
        The intake's detection per input, for the source line.

    Returns
    -------
    PerformanceReport
    """
    o = options or ReportOptions()
    return area_report(incidents, area_name, month, london=london, baseline_fy=o.baseline_fy, peers=o.peers,
                       z=o.z, green=o.green, red=o.red, sources=sources)
