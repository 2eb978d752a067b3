"""Every area at once: the all-areas performance table ("league") and the
all-areas forecast backtest, as independent tasks on ``dask.distributed``.

Each area is one task that reads only its own rows (Parquet row-group /
predicate push-down, or a PostGIS ``WHERE``; see :mod:`hotspot.io`) and
returns compact results; the client combines them in a fixed area order, so a
run on a ``LocalCluster``, on a remote scheduler or in-process
(``workers=0``) gives identical tables. A task that fails is reported by area
name (``failed``) and the other areas are still computed.

Attribution of incidents to areas
---------------------------------
``assign="lsoa"`` (default when every input has police.uk's ``LSOA name``):
an incident belongs to the area named by its LSOA-name prefix
(``"Barnet 001A"`` -> Barnet), police.uk's own attribution and the one the
published borough counts use. ``assign="polygon"``: point in the area's
polygon (any data with coordinates). One crime id found in two areas (32 ids
in the London file whose duplicate rows carry two LSOAs) is counted once, in
the area of its first row in the input, as intake does within one read, and
the output says how many were moved.

League measures (per area, reporting month M)
---------------------------------------------
``rolling_12m`` burglaries in the 12 months ending M; ``change_pct`` against
the 12 months before (:func:`hotspot.report.change_pct`); rate per 1,000
households (Census 2011 households summed by local-authority code); ``rank``
of that rate (1 = highest); RAG from :func:`hotspot.report.rag_with_caveats` with
the high-exception check of :func:`hotspot.report.expected_range` on the 60
months up to M, exactly as ``hotspot report`` rates one area.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._errors import AreaError, HotspotError, InputFileError
from .areas import Area, _name_and_code_columns, find_area, load_boundaries
from .columns import is_lsoa_of
from .io.parquet import parquet_columns
from .io.postgis import _pg_columns
from .io.raw import LSOA_NAME_COLUMN
from .io.source import StoreSource, is_store, month_extent
from .io.urls import _fix_url, is_pg_url, parse_pg_url, query_from, read_only
from .report import change_pct, expected_range, rag_with_caveats

if TYPE_CHECKING:  # annotations only
    from .intake import IntakeResult

#: Months read per area: the 60-month exception fit of ``hotspot report``.
FIT_MONTHS = 60
Progress = Callable[[int, int, str], None]


# --------------------------------------------------------------------------- areas and inputs


@dataclass(frozen=True)
class AreaSpec:
    """What a task needs to know about its area (small and picklable)."""

    name: str
    code: str | None
    wkb: bytes
    crs: str

    def area(self) -> Area:
        """The area rebuilt from the spec (geometry from WKB, CRS parsed).

        Returns
        -------
        Area
            The area, in its working CRS (metres).
        """
        return Area(name=self.name, code=self.code, geometry=shapely.from_wkb(self.wkb),
                    crs=CRS.from_user_input(self.crs))


def select_areas(layer: gpd.GeoDataFrame | str | Path, areas: str | Sequence[str] = "all") -> list[AreaSpec]:
    """The areas of a boundary layer: ``"all"`` (every feature, dissolved by
    name, in layer order) or a list / comma-separated string of names or
    codes (unknown ones raise :class:`AreaError` with suggestions).

    Parameters
    ----------
    layer : GeoDataFrame, str or Path
        The boundary layer (read and projected to metres when a path).
    areas : str or sequence of str
        ``"all"``, a comma-separated string, or a list of names or codes.

    Returns
    -------
    list of AreaSpec
        One per area, in the order asked (a name given twice once).

    Raises
    ------
    AreaError
        No name column, no area named, or an unknown area.
    """
    if not isinstance(layer, gpd.GeoDataFrame):
        layer = load_boundaries(layer)
    name_col, code_col = _name_and_code_columns(layer)
    if name_col is None:
        raise AreaError("the boundary layer has no name column to label the areas")
    if isinstance(areas, str) and areas.strip().lower() == "all":
        wanted = _all_area_keys(layer, name_col, code_col)
    else:
        wanted = [a.strip() for a in (areas.split(",") if isinstance(areas, str) else areas) if a.strip()]
        if not wanted:
            raise AreaError("no areas named: give --areas all or a comma-separated list")
    out, seen, parents = [], set(), []
    for w in wanted:
        try:
            a = find_area(layer, w)
        except AreaError as exc:  # the league's option is --areas
            raise AreaError(str(exc).replace("e.g. --area ", "e.g. --areas ")) from None
        if (a.code, a.name) in seen:
            continue
        seen.add((a.code, a.name))
        parents.append(_parent_of(layer, a))
        out.append(AreaSpec(a.name, a.code, shapely.to_wkb(a.geometry), a.crs.to_string()))
    return _unique_names(out, parents)


def _all_area_keys(layer: gpd.GeoDataFrame, name_col: str, code_col: str | None) -> list[str]:
    """Every area of the layer, in layer order, by name, or by code where a
    name is shared by areas with different codes (ward names repeat across
    boroughs); a layer without codes that repeats names is refused."""
    names = layer[name_col].astype(str)
    if code_col is None:
        from .areas import _string_columns

        attrs = layer[_string_columns(layer)].astype(str).drop_duplicates()  # one area in parts counts once
        shared = sorted(set(attrs[name_col][attrs[name_col].duplicated()]))
        if shared:
            raise AreaError(
                f"the boundary layer names several areas alike ({', '.join(shared[:10])}"
                f"{', ...' if len(shared) > 10 else ''}: {len(shared)} names) and has no code column to tell them "
                "apart: add a code column (e.g. E05... ward codes) to the layer")
        return list(dict.fromkeys(names))
    codes = layer[code_col].astype(str)
    repeated = set(codes.groupby(names).nunique().pipe(lambda n: n[n > 1]).index)
    return list(dict.fromkeys(codes[i] if n in repeated else n for i, n in names.items()))


def _parent_of(layer: gpd.GeoDataFrame, a: Area) -> str | None:
    """The parent area's name (e.g. the borough of a ward), if the layer has one."""
    from .areas import _layer_columns

    parent_col = _layer_columns(layer)[2]
    if parent_col is None or a.index is None or a.index not in layer.index:
        return None
    return str(layer.loc[a.index, parent_col]).strip() or None


def _unique_names(specs: list[AreaSpec], parents: list[str | None]) -> list[AreaSpec]:
    """Areas that share a name are labelled "name (parent)", or "name
    (code)" where the parent does not tell them apart, so every league row
    names one area."""
    from collections import Counter

    count = Counter(s.name for s in specs)
    labels = [f"{s.name} ({p})" if count[s.name] > 1 and p else s.name for s, p in zip(specs, parents)]
    again = Counter(labels)
    labels = [f"{s.name} ({s.code})" if again[lab] > 1 and s.code else lab for s, lab in zip(specs, labels)]
    return [replace(s, name=lab) if lab != s.name else s for s, lab in zip(specs, labels)]


def source_columns(src: str | Path) -> list[str]:
    """Column names of an input (Parquet schema, PostgreSQL table/query or a
    CSV header) without reading its rows.

    Parameters
    ----------
    src : str or Path
        A Parquet file or folder, a ``postgresql://`` URL, or a CSV file.

    Returns
    -------
    list of str
        The column names; empty for other file types (not known without
        reading).

    Raises
    ------
    InputFileError
        A file that does not exist.
    """
    s = str(src)
    if is_pg_url(s):
        import sqlalchemy as sa

        t = parse_pg_url(s)
        with read_only(t) as conn:  # a ?sql= source: one statement, read-only
            if t.table:
                return list(_pg_columns(conn, t))
            return list(conn.execute(sa.text(f"SELECT * FROM {query_from(t)} LIMIT 0")).keys())
    if is_store(s):
        return parquet_columns(s)
    p = Path(s)
    if not p.is_file():
        raise InputFileError(f"{p}: file not found")
    if p.name.lower().endswith((".csv", ".csv.gz")):
        return list(pd.read_csv(p, nrows=0).columns)
    return []


def _ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# --------------------------------------------------------------------------- tasks


#: The police.uk columns the league and the backtest use (others are not read
#: from column stores; other inputs keep all their columns).
ANALYSIS_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "LSOA name", "Crime type", "Location")


def read_area(sources: Sequence[str], spec: AreaSpec, *, assign: str, months: tuple[str, str] | None,
              crime_types: Iterable[str] | str | None = None,
              columns: tuple[str, ...] | None = ANALYSIS_COLUMNS,
              intake: Mapping[str, Any] | None = None) -> tuple[IntakeResult, gpd.GeoDataFrame]:
    """The validated incidents of one area, reading only its rows from store
    sources: the LSOA-name prefix (``assign="lsoa"``) or the area's box then
    its polygon (``"polygon"``), and ``months`` (first, last).

    Parameters
    ----------
    sources : sequence of str
        Inputs (Parquet or ``postgresql://`` stores, filtered on reading,
        or plain files, filtered after reading).
    spec : AreaSpec
        The area.
    assign : str
        ``"lsoa"`` (by LSOA-name prefix) or ``"polygon"`` (point in the
        area's polygon).
    months : (str, str) or None
        First and last month kept, ``YYYY-MM`` (inclusive); None keeps all.
    crime_types : str or iterable of str, optional
        Crime types kept (see :func:`hotspot.intake.read_incidents`).
    columns : tuple of str, optional
        Columns read from stores (default :data:`ANALYSIS_COLUMNS`); None
        reads all.
    intake : mapping, optional
        Further :func:`hotspot.intake.read_incidents` options for a user's
        own files (``crs``, ``format``, ``date_format``, ``columns`` role ->
        name); with ``columns`` given, stores are read whole.

    Returns
    -------
    (IntakeResult, GeoDataFrame)
        The intake result (counts of rows read, accepted, rejected) and the
        area's incidents within ``months``.
    """
    from .intake import read_incidents

    intake = dict(intake or {})
    if intake.get("columns"):
        columns = None  # the user's own column names, not police.uk's
    ins: list[str | StoreSource] = []
    for s in sources:
        if is_store(s):
            ins.append(StoreSource(str(s), lsoa_prefix=spec.name if assign == "lsoa" else None, months=months,
                                          columns=columns))
        else:
            ins.append(s)
    res = read_incidents(ins, crime_types=crime_types, area=spec.area() if assign == "polygon" else None, **intake)
    inc = res.incidents
    if assign == "lsoa":
        # Plain files cannot be filtered on reading; keep the area's rows here.
        name = inc["LSOA name"] if "LSOA name" in inc else pd.Series("", index=inc.index)
        inc = inc[is_lsoa_of(name, spec.name)]
    if months is not None and len(inc):
        per = inc["occurred"].dt.to_period("M")
        inc = inc[(per >= pd.Period(months[0], "M")) & (per <= pd.Period(months[1], "M"))]
    return res, inc


def league_task(spec: AreaSpec, sources: Sequence[str], assign: str, months: tuple[str, str] | None,
                crime_types: Iterable[str] | str | None = None, intake: Mapping[str, Any] | None = None) -> dict:
    """One area's part of the league: its incidents' ids, months and input
    order (for cross-area duplicates), plus intake counts and the worker's
    peak memory. Runs on a dask worker.

    Parameters
    ----------
    spec : AreaSpec
        The area.
    sources : sequence of str
        Inputs (see :func:`read_area`).
    assign : str
        ``"lsoa"`` or ``"polygon"`` (see :func:`read_area`).
    months : (str, str) or None
        First and last month read, ``YYYY-MM`` (inclusive).
    crime_types : str or iterable of str, optional
        Crime types kept.
    intake : mapping, optional
        Further intake options (see :func:`read_area`).

    Returns
    -------
    dict
        ``area``, ``ids``, ``month`` (period ordinals), ``order``, intake
        counts (``rows``, ``accepted``, ``rejected``, ``reasons``,
        ``notes``), ``first_month``/``last_month``, ``seconds`` (wall time),
        ``peak_rss_mb`` (MB) and ``pid``.
    """
    t0 = time.perf_counter()
    res, inc = read_area(sources, spec, assign=assign, months=months, crime_types=crime_types, intake=intake)
    files = {str(f): i for i, f in enumerate(res.files)}
    order = inc["source_file"].map(files).astype(np.int64).to_numpy() * 10**12 + inc["source_row"].astype(np.int64).to_numpy()
    return {
        "area": spec.name, "ids": inc["incident_id"].astype(str).to_numpy(),
        "month": inc["occurred"].dt.to_period("M").astype("int64").to_numpy() if len(inc) else np.array([], np.int64),
        "order": order, "rows": res.rows, "accepted": res.accepted, "rejected": res.rejected,
        "reasons": res.reasons, "notes": res.notes, "filtered": res.n_filtered, "crime_types": dict(res.crime_types),
        "first_month": str(res.incidents["occurred"].min().to_period("M")) if res.accepted else None,
        "last_month": str(res.incidents["occurred"].max().to_period("M")) if res.accepted else None,
        "seconds": time.perf_counter() - t0, "peak_rss_mb": _ru_maxrss_mb(), "pid": os.getpid(),
    }


def backtest_task(spec: AreaSpec, sources: Sequence[str], *, cell: float, start: str | None, end: str | None,
                  methods: Sequence[str] | None, levels: Sequence[float], best_level: float, bootstrap: int,
                  seed: int, crime_types: Iterable[str] | str | None = None) -> dict:
    """One area's rolling backtest (``hotspot.forecast.backtest``) on the
    incidents inside its polygon. Runs on a dask worker.

    Parameters
    ----------
    spec : AreaSpec
        The area.
    sources : sequence of str
        Inputs (see :func:`read_area`).
    cell : float
        Grid cell size, metres.
    start, end : str or None
        First and last forecast month ``YYYY-MM``; default from the 25th
        month of the data to its last.
    methods : sequence of str or None
        Forecast methods compared (default the forecast module's list).
    levels : sequence of float
        Shares of the area flagged (0-1) at which hits are scored.
    best_level : float
        The share of the area (0-1) that picks the best method.
    bootstrap : int
        Bootstrap resamples for the PAI intervals.
    seed : int
        Random seed of the bootstrap.
    crime_types : str or iterable of str, optional
        Crime types kept.

    Returns
    -------
    dict
        ``area``, ``summary`` (one row per method x level, ``best``
        marked), ``accepted``, ``periods``, ``seconds`` (wall time),
        ``peak_rss_mb`` (MB) and ``pid``.
    """
    from .forecast import DEFAULT_METHODS, PeriodCounts, backtest

    t0 = time.perf_counter()
    area = spec.area()
    res, inc = read_area(sources, spec, assign="polygon", months=None, crime_types=crime_types)
    pc = PeriodCounts.from_incidents(inc, area, cell=cell)
    bt = backtest(pc, start=start or str(pc.periods[min(24, len(pc.periods) - 1)]), end=end or str(pc.periods[-1]),
                  methods=list(methods or DEFAULT_METHODS), levels=levels, best_level=best_level,
                  bootstrap=bootstrap, seed=seed)
    summ = bt.summary.copy()
    summ.insert(0, "area", spec.name)
    summ["best"] = summ["method"] == bt.best
    return {"area": spec.name, "summary": summ, "accepted": res.accepted, "periods": bt.n_periods,
            "seconds": time.perf_counter() - t0, "peak_rss_mb": _ru_maxrss_mb(), "pid": os.getpid()}


# --------------------------------------------------------------------------- running tasks


@dataclass
class RunInfo:
    """How a set of area tasks ran."""

    workers: int
    seconds: float
    failed: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # worker (pid) -> MB
    task_seconds: float = 0.0  # sum of the tasks' own run times


def run_area_tasks(fn: Callable[..., dict], specs: Sequence[AreaSpec], *, args: tuple = (),
                   kwargs: dict[str, Any] | None = None,
                   workers: int | None = None, scheduler: str | None = None,
                   progress: Progress | None = None) -> tuple[dict[str, dict], RunInfo]:
    """Run ``fn(spec, *args, **kwargs)`` for every area.

    Parameters
    ----------
    fn : callable
        The task (e.g. :func:`league_task`); a module-level function, so
        dask can send it to the workers; returns a dict.
    specs : sequence of AreaSpec
        The areas, one task each.
    args : tuple
        Positional arguments after the spec.
    kwargs : dict, optional
        Keyword arguments of every task.
    workers : int, optional
        0: in this process, one area after another (the sequential
        reference). N > 0: a ``LocalCluster`` of N single-threaded worker
        processes. Default: as many workers as cores (at most one per area).
    scheduler : str, optional
        Address of a running ``dask-scheduler`` (``tcp://HOST:8786``); the
        workers attached to it run the tasks (they must see the same input
        paths and database).
    progress : callable, optional
        ``progress(done, total, area)`` after each area.

    Returns
    -------
    (dict, RunInfo)
        Results by area name (failed areas absent) and the run's info;
        ``RunInfo.failed`` maps each failed area to its one-line error.
    """
    kwargs = kwargs or {}
    t0 = time.perf_counter()
    results: dict[str, dict] = {}
    failed: dict[str, str] = {}
    total = len(specs)
    if workers == 0 and scheduler is None:
        for i, s in enumerate(specs, start=1):
            try:
                results[s.name] = fn(s, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - one failed area must not lose the others
                failed[s.name] = _one_line(exc)
            if progress:
                progress(i, total, s.name)
        n_workers = 0
    else:
        from distributed import Client, LocalCluster

        # dask's INFO chatter would drown the progress bar and tables on stderr
        dlog = logging.getLogger("distributed")
        old_level = dlog.level
        dlog.setLevel(logging.WARNING)
        cluster = None
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s", set_as_default=False)
            except Exception as exc:  # noqa: BLE001
                raise HotspotError(f"cannot reach the dask scheduler at {scheduler}: {_one_line(exc)}") from None
        else:
            n = workers if workers is not None else max(1, min(os.cpu_count() or 1, total))
            # Loopback only, dashboard on a free port (never clashes with another run's 8787).
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(cluster, set_as_default=False)
        try:
            n_workers = len(client.scheduler_info()["workers"])
            if n_workers == 0:
                client.wait_for_workers(1, timeout=30)
                n_workers = len(client.scheduler_info()["workers"])
            results, failed = submit_area_tasks(client, fn, specs, args=args, kwargs=kwargs, progress=progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
            dlog.setLevel(old_level)
    peaks: dict[str, float] = {}
    for r in results.values():
        key = str(r.get("pid"))
        peaks[key] = max(peaks.get(key, 0.0), float(r.get("peak_rss_mb", 0.0)))
    return results, RunInfo(workers=n_workers, seconds=time.perf_counter() - t0, failed=failed, peak_rss_mb=peaks,
                            task_seconds=float(sum(r.get("seconds", 0.0) for r in results.values())))


def submit_area_tasks(client: Any, fn: Callable[..., dict], specs: Sequence[AreaSpec], *, args: tuple = (),
                      kwargs: dict[str, Any] | None = None,
                      progress: Progress | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """Run ``fn(spec, *args, **kwargs)`` for every area on the caller's dask
    client (a LocalCluster's or a scheduler's), one task per area; an area
    that fails is reported with its one-line error, never loses the others.

    Parameters
    ----------
    client : distributed.Client
        The client to submit to (the caller opens and closes it).
    fn : callable
        Module-level task function returning a dict.
    specs : sequence of AreaSpec
        The areas.
    args : tuple
        Positional arguments after the spec.
    kwargs : dict, optional
        Keyword arguments of every task.
    progress : callable, optional
        ``progress(done, total, area)`` as each area finishes.

    Returns
    -------
    (dict, dict)
        Results by area name, and the failed areas' one-line errors.
    """
    from distributed import as_completed

    results: dict[str, dict] = {}
    failed: dict[str, str] = {}
    futs = {client.submit(fn, s, *args, key=f"{fn.__name__}-{i}-{s.name}", pure=False, **(kwargs or {})): s.name
            for i, s in enumerate(specs)}
    for done, fut in enumerate(as_completed(futs, loop=client.loop), start=1):
        name = futs[fut]
        try:
            results[name] = fut.result()
        except Exception as exc:  # noqa: BLE001 - one failed area must not lose the others
            failed[name] = _one_line(exc)
        if progress:
            progress(done, len(specs), name)
    return results, failed


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# --------------------------------------------------------------------------- the league


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
        raise InputFileError(f"{p}: households file not found (give --households FILE: an LSOA table with "
                             "lad_code, lad_name and households columns)")
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
        raise HotspotError(f"--assign {assign!r}: use auto, lsoa or polygon")
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
    from .periods import parse_month

    M = parse_month(month, "--month")
    if not sources:
        raise InputFileError("no inputs given")
    sources = [_fix_url(str(s)) for s in sources]
    specs = select_areas(layer, areas)
    if households is None:
        raise InputFileError("a households file is needed for the rates (give --households FILE)")
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
    from . import settings

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
    from ._errors import ModelError

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
        raise HotspotError(f"--month {M} is after the data's last month {last}; choose {last} or earlier")
    if M - 23 < first:
        raise HotspotError(f"--month {M}: the rolling-12-month change needs 24 months up to it; the data start {first}")


# --------------------------------------------------------------------------- all-area backtest


@dataclass
class AreaBacktest:
    """All-area backtest: ``table`` has one row per area x method x coverage
    (``hit_rate``, ``pai``, ``pei``, their sd, the PAI bootstrap interval,
    ``periods``, ``best``)."""

    table: pd.DataFrame
    failed: dict[str, str]
    run: RunInfo

    def to_json(self) -> dict:
        """The table as JSON rows, failed areas and run info (see ``hotspot
        backtest --areas --json``)."""
        t = self.table.astype(object).where(self.table.notna(), None)
        return {"rows": t.to_dict(orient="records"), "failed": [{"area": a, "error": e} for a, e in self.failed.items()],
                "workers": self.run.workers, "seconds": round(self.run.seconds, 3)}


def backtest_areas(sources: Sequence[str], layer: gpd.GeoDataFrame | str | Path, *, areas: str | Sequence[str] = "all", cell: float = 50.0,
                   start: str | None = None, end: str | None = None, methods: Sequence[str] | None = None,
                   levels: Sequence[float] = (0.01, 0.05, 0.10), best_level: float = 0.05, bootstrap: int = 1000,
                   seed: int = 0, crime_types: Iterable[str] | str | None = "Burglary", workers: int | None = None, scheduler: str | None = None,
                   progress: Progress | None = None) -> AreaBacktest:
    """Every area's rolling backtest (:func:`hotspot.forecast.backtest`) as
    independent tasks; incidents are those inside each area's polygon.
    Arguments as :func:`hotspot.forecast.backtest` and :func:`run_area_tasks`.

    Parameters
    ----------
    sources : sequence of str
        Inputs (Parquet, ``postgresql://`` URLs, CSV ...).
    layer : GeoDataFrame, str or Path
        Boundary layer of the areas.
    areas : str or sequence of str
        ``"all"`` or the areas' names or codes (see :func:`select_areas`).
    cell : float
        Grid cell size, metres (default 50).
    start, end : str or None
        First and last forecast month ``YYYY-MM`` (see :func:`backtest_task`).
    methods : sequence of str or None
        Forecast methods compared (default the forecast module's list).
    levels : sequence of float
        Shares of the area flagged (0-1) at which hits are scored.
    best_level : float
        The share of the area (0-1) that picks the best method.
    bootstrap : int
        Bootstrap resamples for the PAI intervals.
    seed : int
        Random seed of the bootstrap.
    crime_types : str or iterable of str, optional
        Crime types kept (default ``"Burglary"``).
    workers, scheduler, progress
        Passed on to ``run_area_tasks`` (see :func:`run_area_tasks`).

    Returns
    -------
    AreaBacktest
        One row per area x method x level, failed areas and run info.
    """
    sources = [_fix_url(str(s)) for s in sources]
    specs = select_areas(layer, areas)
    results, run = run_area_tasks(
        backtest_task, specs, args=(sources,),
        kwargs=dict(cell=cell, start=start, end=end, methods=methods, levels=sorted(set(levels) | {best_level}),
                    best_level=best_level, bootstrap=bootstrap, seed=seed, crime_types=crime_types),
        workers=workers, scheduler=scheduler, progress=progress)
    parts = [results[s.name]["summary"] for s in specs if s.name in results]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return AreaBacktest(table, run.failed, run)


def best_methods(res: AreaBacktest, coverage: float = 5.0) -> pd.DataFrame:
    """Each area's best method at one coverage level (the ``backtest --areas`` table).

    Parameters
    ----------
    res : AreaBacktest
        From :func:`backtest_areas` with ``coverage / 100`` among its levels.
    coverage : float
        Coverage level, percent of each area's cells.

    Returns
    -------
    DataFrame
        One row per area that ran: ``area``, ``method``, ``pai``, ``hit_rate``
        (share), ``pei`` and the other columns of ``res.table``; empty when no
        area ran.
    """
    if not len(res.table):
        return res.table
    t = res.table
    return t[np.isclose(t["coverage"], coverage / 100.0) & t["best"]]
