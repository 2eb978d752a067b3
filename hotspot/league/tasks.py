"""One area's task: its own rows (:func:`read_area`), its league counts
(:func:`league_task`) and its backtest (:func:`backtest_task`); each returns a
compact dict the client combines.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from .._memory import peak_rss_mb
from ..columns import is_lsoa_of
from ..io.source import StoreSource, is_store
from .areas import AreaSpec

if TYPE_CHECKING:  # annotations only
    from ..intake import IntakeResult


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
    from ..intake import read_incidents

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
    peak memory. Runs as one task (in process or on a worker).

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
        "seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb(), "pid": os.getpid(),
    }


def backtest_task(spec: AreaSpec, sources: Sequence[str], *, cell: float, start: str | None, end: str | None,
                  methods: Sequence[str] | None, levels: Sequence[float], best_level: float, bootstrap: int,
                  seed: int, crime_types: Iterable[str] | str | None = None) -> dict:
    """One area's rolling backtest (``hotspot.forecast.backtest``) on the
    incidents inside its polygon. Runs as one task (in process or on a worker).

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
    from ..forecast.counts import PeriodCounts
    from ..forecast.methods import DEFAULT_METHODS
    from ..forecast.rolling import backtest

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
            "seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb(), "pid": os.getpid()}
