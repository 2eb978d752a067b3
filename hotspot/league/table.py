"""The all-areas performance table (:func:`build_league`): rolling 12 months,
change, rate per 1,000 households, rank and RAG for every area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import HotspotError, InputFileError
from ..io.raw import LSOA_NAME_COLUMN
from ..io.source import is_store, month_extent
from ..io.urls import _fix_url
from ..report.rag import rag_with_caveats
from ..report.series import change_pct
from ..report.trend import expected_range
from .areas import AreaSpec, select_areas, source_columns
from .run import Progress, RunInfo, run_area_tasks
from .tasks import league_task

#: Months read per area: the 60-month exception fit of ``hotspot report``.
FIT_MONTHS = 60


@dataclass
class LeagueResult:
    """The all-areas performance table.

    Attributes
    ----------
    month : Period
    table : DataFrame
        One row per area (in rank order): ``area, code, rolling_12m,
        previous_12m, change_pct`` (%), ``households``,
        ``rate_per_1000_households``, ``rank``, ``rag``.
    total : dict
        The all-areas line (sums; rate on summed households).
    warnings : list of str
        Things that change how to read the table (areas without households,
        cross-area duplicate ids, failed areas).
    failed : dict
        Area -> error for areas whose task failed (not in ``table``).
    assign : str
        ``"lsoa"`` or ``"polygon"``.
    run : RunInfo
    """

    month: pd.Period
    table: pd.DataFrame
    total: dict
    warnings: list[str]
    failed: dict[str, str]
    assign: str
    run: RunInfo
    intake: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The table as JSON (see ``hotspot league --json``)."""
        areas = [{k: _py(row[k]) for k in ("area", "code", "rolling_12m", "change_pct", "rate_per_1000_households",
                                            "rank", "rag")} for _, row in self.table.iterrows()]
        return {"month": str(self.month), "areas": areas, "total": {k: _py(v) for k, v in self.total.items()},
                "workers": self.run.workers, "seconds": round(self.run.seconds, 3), "assign": self.assign,
                "failed": [{"area": a, "error": e} for a, e in self.failed.items()], "warnings": self.warnings,
                "intake": self.intake, "rank_by": "burglaries per 1,000 households, rolling 12 months",
                "change_vs": f"the 12 months before ({self.month - 23}..{self.month - 12})"}

    def to_frame(self) -> pd.DataFrame:
        """The table with the all-areas line last (for CSV / Parquet / PostGIS)."""
        tot = pd.DataFrame([{**self.total, "rank": None, "rag": self.total.get("rag")}])
        return pd.concat([self.table, tot], ignore_index=True)


def _py(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if v is pd.NA:
        return None
    return v


def households_by_area(path: str | Path, specs: Sequence[AreaSpec]) -> tuple[dict[str, float], list[str]]:
    """Households per area from an LSOA table with ``lad_code``/``lad_name``
    and ``households`` columns (Census 2011), summed by local-authority code
    (by name when the layer has no codes). Areas not found get no rate and a
    warning, never a zero.

    Parameters
    ----------
    path : str or Path
        The LSOA households CSV (``households`` and ``lad_code`` or
        ``lad_name``).
    specs : sequence of AreaSpec
        The areas (matched by code, by name when they have none).

    Returns
    -------
    (dict, list of str)
        Households by area name, and a warning per area not found.

    Raises
    ------
    InputFileError
        The file is missing or lacks the columns.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: households file not found (give households=FILE: an LSOA table with "
                             "lad_code, lad_name and households columns)", param='households')
    hh = pd.read_csv(p)
    for col in ("households",):
        if col not in hh:
            raise InputFileError(f"{p}: required column '{col}' is missing")
    by_code = hh.groupby("lad_code")["households"].sum() if "lad_code" in hh else pd.Series(dtype=float)
    by_name = hh.groupby("lad_name")["households"].sum() if "lad_name" in hh else pd.Series(dtype=float)
    if by_code.empty and by_name.empty:
        raise InputFileError(f"{p}: needs a lad_code or lad_name column to sum households by area")
    out, warnings = {}, []
    for s in specs:
        if s.code and s.code in by_code.index:
            out[s.name] = float(by_code[s.code])
        elif not s.code and s.name in by_name.index:
            out[s.name] = float(by_name[s.name])
        else:
            warnings.append(f"{s.name}: no households in {p.name} for code {s.code or '(none)'}; no rate, not ranked")
    return out, warnings


def _assign_mode(sources: Sequence[str], assign: str) -> str:
    if assign in ("lsoa", "polygon"):
        return assign
    if assign != "auto":
        raise HotspotError(f"assign={assign!r}: use auto, lsoa or polygon", param='assign')
    cols = [source_columns(s) for s in sources]
    return "lsoa" if all(LSOA_NAME_COLUMN in c for c in cols) else "polygon"


def _no_incidents_message(results: dict[str, dict[str, Any]]) -> str:
    """Why no area has an incident, in one line: when the rows read were of
    other crime types, the types present (per area read; the most any area
    saw) and the option to give."""
    filtered = sum(int(r.get("filtered", 0)) for r in results.values())
    if not filtered:
        return "no incidents in any area"
    types: dict[str, int] = {}
    for r in results.values():
        for k, v in (r.get("crime_types") or {}).items():
            types[k] = max(types.get(k, 0), int(v))
    present = ", ".join(f"{k} ({v:,})" for k, v in sorted(types.items(), key=lambda kv: -kv[1]))
    return (f"no incidents in any area: the rows read are of other crime types than asked (crime types present: "
            f"{present}); give --crime-type with the type to count")


def _each_id_once(results: dict[str, dict[str, Any]], ok: list[AreaSpec], warnings: list[str]) -> pd.DataFrame:
    """Every area's incidents (``area, id, month, order``), a crime id found
    in two areas kept in the area of its first input row (with a warning)."""
    frames = [pd.DataFrame({"area": s.name, "id": results[s.name]["ids"], "month": results[s.name]["month"],
                            "order": results[s.name]["order"]}) for s in ok]
    allrows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["area", "id", "month", "order"])
    allrows = allrows.sort_values(["order", "area"], kind="stable")
    dup = allrows.duplicated("id", keep="first")
    if dup.any():
        warnings.append(f"crime ids found in more than one area (rows with different LSOAs or points): "
                        f"{int(dup.sum())}; each is counted once, in the area of its first row")
        allrows = allrows[~dup]
    return allrows


def build_league(sources: Sequence[str], layer: gpd.GeoDataFrame | str | Path, month: str, *,
                 areas: str | Sequence[str] = "all", households: str | Path | None = None, assign: str = "auto",
                 crime_types: Iterable[str] | str | None = "Burglary",
                 workers: int | None = None, scheduler: str | None = None, z: float = 2.5, green: float = 5.0,
                 red: float = 5.0, progress: Progress | None = None,
                 intake: Mapping[str, Any] | None = None) -> LeagueResult:
    """The performance table for every area of a boundary layer.

    Parameters
    ----------
    sources : sequence of str
        Inputs (Parquet, ``postgresql://`` URLs, CSV ...).
    layer : path or GeoDataFrame
        Boundary layer of the areas.
    month : str
        Reporting month ``YYYY-MM``; refused when after the data's last month.
    areas : "all" or names
        The areas of the layer in the table (see :func:`select_areas`).
    households : path
        LSOA households table (see :func:`households_by_area`); required.
    assign : {"auto", "lsoa", "polygon"}
        How incidents are attributed to areas (module doc); ``"auto"``:
        ``"lsoa"`` when every input has ``LSOA name``.
    crime_types : str or list
        Crime types counted (default ``"Burglary"``).
    workers, scheduler, progress
        Passed on to ``run_area_tasks`` (see :func:`run_area_tasks`).
    z : float
        Exception band, standard deviations (as ``hotspot report``).
    green, red : float
        RAG thresholds, percent change of the rolling 12 months (as
        ``hotspot report``).
    intake : mapping, optional
        Intake options for the user's own files (see :func:`read_area`).

    Returns
    -------
    LeagueResult
        One row per area in rank order (rate per 1,000 households), the
        all-areas total, warnings and the run's info.

    Raises
    ------
    HotspotError
        Month after the data, fewer than 24 months before it, no households
        file, unknown areas, unreachable scheduler.
    """
    from ..periods import parse_month

    M = parse_month(month, "month")
    if not sources:
        raise InputFileError("no inputs given")
    sources = [_fix_url(str(s)) for s in sources]
    specs = select_areas(layer, areas)
    if households is None:
        raise InputFileError("a households file is needed for the rates (give households=FILE)", param='households')
    hh, warnings = households_by_area(households, specs)
    mode = _assign_mode(sources, assign)
    if mode == "lsoa" and assign == "auto" and any(_is_ward_code(s.code) for s in specs):
        mode = "polygon"  # LSOA names carry the local authority, never the ward
    extents = [e for e in (month_extent(s) for s in sources if is_store(s)) if e is not None]
    # every input a store whose months are known: the month is checked before any task runs
    known = len(extents) == len(sources)
    if known:
        first = min(e[0] for e in extents)
        last = max(e[1] for e in extents)
        _check_month(M, first, last)
        data_first = first
    months = (str(M - (FIT_MONTHS - 1)), str(M))
    results, run = run_area_tasks(league_task, specs, args=(sources, mode, months, crime_types, intake),
                                  workers=workers, scheduler=scheduler, progress=progress)
    if not known:
        firsts = [pd.Period(r["first_month"], "M") for r in results.values() if r["first_month"]]
        lasts = [pd.Period(r["last_month"], "M") for r in results.values() if r["last_month"]]
        if not lasts:
            if run.failed and not results:  # every area failed the same way, e.g. a column named wrongly
                raise HotspotError("; ".join(sorted(set(run.failed.values())))[:2000])
            raise HotspotError(_no_incidents_message(results))
        _check_month(M, min(firsts), max(lasts))
        data_first = min(firsts)
    ok = [s for s in specs if s.name in results]
    allrows = _each_id_once(results, ok, warnings)
    # Months before the data start are unknown, not zero: the series starts with the data.
    idx = pd.period_range(max(M - (FIT_MONTHS - 1), data_first), M, freq="M")
    rows = []
    for s in ok:
        m = allrows.loc[allrows["area"] == s.name, "month"].to_numpy().astype(np.int64)
        m = m[m >= idx[0].ordinal]
        series = pd.Series(np.bincount(m - idx[0].ordinal, minlength=len(idx))[: len(idx)] if len(m) else np.zeros(len(idx), int),
                           index=idx)
        r12 = int(series.iloc[-12:].sum())
        p12 = int(series.iloc[-24:-12].sum())
        ch = change_pct(r12, p12)
        rng = _expected_range_or_none(series, z, s.name, warnings)
        high_q = bool(((rng["direction"] == "high") & (rng.index > M - 3)).any()) if rng is not None else False
        h = hh.get(s.name)
        rag, caveats = rag_with_caveats(r12, p12, green=green, red=red, high_exception_recent=high_q)
        warnings.extend(f"{s.name}: {c}" for c in caveats)
        rows.append({"area": s.name, "code": s.code, "rolling_12m": r12, "previous_12m": p12, "change_pct": ch,
                     "households": h, "rate_per_1000_households": round(r12 / h * 1000, 3) if h else None,
                     "rag": rag if rng is not None else "n/a", "high_exception_last_quarter": high_q})
    table = pd.DataFrame(rows, columns=["area", "code", "rolling_12m", "previous_12m", "change_pct", "households",
                                        "rate_per_1000_households", "rag", "high_exception_last_quarter"])
    rate = pd.to_numeric(table["rate_per_1000_households"], errors="coerce")
    rate = rate.where(~_small_bases(table, warnings))
    table["rank"] = rate.rank(ascending=False, method="min").astype("Int64")
    table = table.sort_values(["rank", "area"], na_position="last", kind="stable").reset_index(drop=True)
    table = table[["area", "code", "rolling_12m", "previous_12m", "change_pct", "households",
                   "rate_per_1000_households", "rank", "rag", "high_exception_last_quarter"]]
    tr, tp = int(table["rolling_12m"].sum()), int(table["previous_12m"].sum())
    th = float(table["households"].sum(skipna=True)) if table["households"].notna().all() and len(table) else None
    tch = change_pct(tr, tp)
    total = {"area": "All areas", "code": None, "rolling_12m": tr, "previous_12m": tp, "change_pct": tch,
             "households": th, "rate_per_1000_households": round(tr / th * 1000, 3) if th else None,
             "rag": rag_with_caveats(tr, tp, green=green, red=red)[0]}
    if run.failed:
        warnings.append(f"{len(run.failed)} area(s) failed and are not in the table or the total: "
                        + "; ".join(f"{a}: {e}" for a, e in run.failed.items()))
    intake = {"rows_read": int(sum(r["rows"] for r in results.values())),
              "accepted": int(sum(r["accepted"] for r in results.values())),
              "rejected": int(sum(r["rejected"] for r in results.values()))}
    return LeagueResult(M, table, total, warnings, run.failed, mode, run, intake)


def _small_bases(table: pd.DataFrame, warnings: list[str]) -> pd.Series:
    """Areas with fewer households than ``settings.MIN_RANK_HOUSEHOLDS``:
    their rate is shown but not ranked (a tiny resident base with a large
    workday population, as the City of London, tops or tails any rate
    table without saying anything about risk); a warning names each."""
    from .. import settings

    h = pd.to_numeric(table["households"], errors="coerce")
    small = (h < settings.MIN_RANK_HOUSEHOLDS).fillna(False).astype(bool)
    for _, row in table[small].iterrows():
        warnings.append(f"{row['area']}: {row['households']:,.0f} households (fewer than "
                        f"{settings.MIN_RANK_HOUSEHOLDS:,}, settings.MIN_RANK_HOUSEHOLDS), too small a base to rank "
                        "on (the rate is shown, no rank)")
    return small


def _expected_range_or_none(series: pd.Series, z: float, area: str, warnings: list[str]) -> pd.DataFrame | None:
    """The expected range, or None with a warning for an area with too few
    burglaries a month to fit one (a small ward): it gets no RAG rating."""
    from .._errors import ModelError

    try:
        return expected_range(series, z=z)
    except ModelError as exc:
        warnings.append(f"{area}: {exc}; no RAG rating")
        return None


def _is_ward_code(code: str | None) -> bool:
    """An ONS electoral-ward code (E05 England, W05 Wales, S13 Scotland, N08 NI)."""
    return bool(code) and str(code)[:3] in ("E05", "W05", "S13", "N08")


def _check_month(M: pd.Period, first: pd.Period, last: pd.Period) -> None:
    if M > last:
        raise HotspotError(f"month={M} is after the data's last month {last}; choose {last} or earlier", param='month')
    if M - 23 < first:
        raise HotspotError(f"month={M}: the rolling-12-month change needs 24 months up to it; the data start {first}", param='month')
