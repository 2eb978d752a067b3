"""The all-area forecast backtest (:func:`backtest_areas`) and the best method
of each area (:func:`best_methods`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.urls import _fix_url
from .areas import select_areas
from .run import Progress, RunInfo, run_area_tasks
from .tasks import backtest_task


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
                   progress: Progress | None = None, executor: Any = None) -> AreaBacktest:
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
    executor : concurrent.futures.Executor or distributed.Client, optional
        The caller's own executor, instead of ``workers``/``scheduler``
        (see :func:`hotspot.parallel.map_tasks`); left open.

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
        workers=workers, scheduler=scheduler, executor=executor, progress=progress)
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
