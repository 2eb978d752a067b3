"""Evaluation of plans against what happened next.

:func:`backtest_nanobeats` scores nano-beat targets (:mod:`hotspot.nanobeats`)
week by week against same-area baselines; the forecast-surface backtest is
:func:`hotspot.forecast.backtest`.
"""

from __future__ import annotations

from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from .areas import Area
from .kde import kde
from .nanobeats.cells import CellRisk
from .nanobeats.planner import DEFAULT_HISTORY_WEIGHT, NanoBeatPlanner
from .nanobeats.sources import Sources
from .nanobeats.window import require_daily

__all__ = ["backtest_nanobeats"]


def backtest_nanobeats(
    incidents: gpd.GeoDataFrame,
    area: Area,
    *,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    step_days: int = 7,
    horizons: tuple[int, ...] = (7, 14),
    distance: float = 200.0,
    days: float = 14.0,
    history_weights: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
    n_targets: int = 10,
    kde_bandwidth: float = 200.0,
    kde_days: int = 365,
    random_draws: int = 20,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Rolling backtest of nano-beat targets against same-area baselines.

    For each planning date D from ``start`` to ``end`` every ``step_days``,
    targets are built from incidents before D only, and scored on the
    incidents of the next ``h`` days for each horizon: hit rate = share of
    those incidents inside the targets, area share = the targets' share of
    the area's cells, PAI = hit rate / area share (pooled over periods).

    Methods: each nano-beat variant (``history_weights``), a retrospective
    KDE (quartic, ``kde_bandwidth`` m, the last ``kde_days`` days) taking its
    top cells with the same area as the default nano-beat plan, the same KDE
    cut into compact patrol areas like the nano-beats, and random in-area
    cells of the same area (``random_draws`` seeded draws).

    Parameters
    ----------
    incidents : GeoDataFrame
        Day-precision incidents (working CRS, metres).
    area : Area
        Study area; only its cells are targeted and scored.
    start, end : str or Timestamp
        First and last planning date.
    step_days : int
        Days between planning dates.
    horizons : tuple of int
        Scoring horizons, days.
    distance : float
        Near-repeat distance, metres.
    days : float
        Near-repeat window, days.
    history_weights : tuple of float
        Nano-beat variants (share of history in the risk, 0-1).
    n_targets : int
        Targets per plan.
    kde_bandwidth : float
        KDE bandwidth, metres.
    kde_days : int
        KDE window, days.
    random_draws : int
        Random cell sets per period.
    seed : int
        Seed of the random baseline.
    progress : callable, optional
        Called with (periods done, periods).

    Returns
    -------
    DataFrame
        One row per method and horizon: ``periods, incidents, hits,
        hit_rate, area_share, pai, pai_mean, pai_sd``.
    """
    require_daily(incidents)
    planner = NanoBeatPlanner(incidents, area, distance=distance, days=days)
    model, src = planner.cells, planner.sources
    grid, mask = planner.grid, planner.mask
    in_area = np.flatnonzero(mask.ravel())
    n_area = len(in_area)
    row, col, ok = grid.index(src.x, src.y)
    flat = np.where(ok, row * grid.nx + col, -1)
    t = src.t
    rng = np.random.default_rng(seed)
    dates = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=f"{step_days}D")
    default_w = min(history_weights, key=lambda w: abs(w - DEFAULT_HISTORY_WEIGHT))
    records: list[tuple[str, int, pd.Timestamp, int, float, float]] = []
    for k, D in enumerate(dates):
        chosen = _chosen_cells(model, src, D, history_weights, n_targets, kde_bandwidth, kde_days)
        size = len(chosen[f"nano-beat (history weight {default_w:g})"])
        draws = [rng.choice(in_area, size=size, replace=False) for _ in range(random_draws)] if size else []
        for h in horizons:
            f0 = np.searchsorted(t, np.datetime64(D))
            f1 = np.searchsorted(t, np.datetime64(D + pd.Timedelta(days=h)))
            future = flat[f0:f1]
            future = future[future >= 0]
            future = future[mask.ravel()[future]]
            total = len(future)
            for name, cellset in chosen.items():
                hits = int(np.isin(future, cellset).sum())
                records.append((name, h, D, total, hits, len(cellset) / n_area))
            if draws:
                mean_hits = float(np.mean([np.isin(future, d).sum() for d in draws]))
                records.append(("random cells", h, D, total, mean_hits, size / n_area))
        if progress:
            progress(k + 1, len(dates))
    return _pool(pd.DataFrame(records, columns=["method", "horizon_days", "date", "incidents", "hits", "area_share"]))


def _flat_cells(groups: list[np.ndarray], nx: int) -> np.ndarray:
    """Flat indices of the cells of all groups of (row, col)."""
    return np.unique(np.concatenate([c[:, 0] * nx + c[:, 1] for c in groups])) if groups else np.empty(0, int)


def _chosen_cells(model: CellRisk, src: Sources, D: pd.Timestamp, history_weights: tuple[float, ...],
                  n_targets: int, kde_bandwidth: float, kde_days: int) -> dict[str, np.ndarray]:
    """Flat cell indices each method targets as of ``D`` (from incidents
    before ``D`` only); the KDE's top cells match the default nano-beat
    plan's area, which callers take from the entry named after it."""
    grid, mask = model.grid, model.mask
    nr, hist = model.components(D)
    chosen = {f"nano-beat (history weight {w:g})": _flat_cells(model.select((1 - w) * nr + w * hist, n_targets),
                                                               grid.nx)
              for w in history_weights}
    default_w = min(history_weights, key=lambda w: abs(w - DEFAULT_HISTORY_WEIGHT))
    size = len(chosen[f"nano-beat (history weight {default_w:g})"])
    lo = np.searchsorted(src.t, np.datetime64(D - pd.Timedelta(days=kde_days)))
    hi = np.searchsorted(src.t, np.datetime64(D))
    surf = kde(src.x[lo:hi], src.y[lo:hi], grid, bandwidth=kde_bandwidth).values
    surf = np.where(mask, surf, -np.inf)
    chosen[f"KDE top cells ({kde_days} d)"] = np.argsort(-surf.ravel(), kind="stable")[:size]
    kd = np.where(mask, np.clip(surf, 0, None), 0.0)
    chosen[f"KDE patrol areas ({kde_days} d)"] = _flat_cells(
        model.select(kd / kd.sum() if kd.sum() > 0 else kd, n_targets), grid.nx)
    return chosen


def _pool(df: pd.DataFrame) -> pd.DataFrame:
    """Pool per-period records into one row per method and horizon (PAI of
    the pooled hit rate and area share, and the mean and sd of per-period PAI)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        df["pai"] = (df["hits"] / df["incidents"]) / df["area_share"]
    out = df.groupby(["method", "horizon_days"], sort=False).agg(
        periods=("date", "size"), incidents=("incidents", "sum"), hits=("hits", "sum"),
        area_share=("area_share", "mean"), pai_mean=("pai", "mean"), pai_sd=("pai", "std")).reset_index()
    out["hit_rate"] = out["hits"] / out["incidents"]
    out["pai"] = out["hit_rate"] / out["area_share"]
    return out[["method", "horizon_days", "periods", "incidents", "hits", "hit_rate", "area_share", "pai",
                "pai_mean", "pai_sd"]]
