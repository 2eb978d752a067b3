"""Forecast accuracy: hit rate, PAI and PEI at coverage levels.

For a score per cell and the incidents that followed (counts per cell):

* **hit rate** at coverage ``a``: share of the incidents that fell in the top
  ``a`` share of the area's cells;
* **PAI** (Chainey's predictive accuracy index) = hit rate / area share;
* **PEI** (predictive efficiency index) = PAI / the best PAI any ranking could
  have had for that period at the same coverage (the cells with the most
  incidents first).

Ties at the cut-off are broken without bias: when the cut-off falls inside a
block of equally scored cells, the block counts in proportion to the part of
it that is covered. That is the expectation over a random ordering of the
tied cells, so a constant forecast scores exactly the area share (PAI = 1)
instead of whatever the cell order happens to give.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

COVERAGE_LEVELS = (0.01, 0.02, 0.05, 0.10, 0.20)


def coverage_hits(score: np.ndarray, counts: np.ndarray, levels: Sequence[float] | np.ndarray = COVERAGE_LEVELS
                  ) -> np.ndarray:
    """Incidents captured by the top ``level`` share of cells, per level.

    Parameters
    ----------
    score : array (n_cells,)
        Forecast score per in-area cell (higher = riskier).
    counts : array (n_cells,)
        Incidents per cell in the evaluation period.
    levels : sequence of float
        Coverage as shares of the cells (0-1).

    Returns
    -------
    ndarray
        Expected number of incidents captured at each level (fractional where
        a tied block straddles the cut-off).
    """
    score = np.asarray(score, float).ravel()
    counts = np.asarray(counts, float).ravel()
    n = len(score)
    if n == 0:
        return np.zeros(len(levels))
    # blocks of equal score, highest first
    order = np.argsort(-score, kind="stable")
    s_sorted, c_sorted = score[order], counts[order]
    starts = np.r_[0, np.nonzero(np.diff(s_sorted))[0] + 1]
    sizes = np.diff(np.r_[starts, n])
    block_hits = np.add.reduceat(c_sorted, starts)
    cum_cells = np.cumsum(sizes)
    cum_hits = np.cumsum(block_hits)
    k = np.asarray(levels, float) * n  # cells covered at each level (may be fractional)
    b = np.searchsorted(cum_cells, k, side="left")
    full = b >= len(sizes)
    b = np.minimum(b, len(sizes) - 1)
    before_cells = np.where(b > 0, cum_cells[b - 1], 0)
    before_hits = np.where(b > 0, cum_hits[b - 1], 0.0)
    part = before_hits + block_hits[b] * (k - before_cells) / sizes[b]
    return np.where(full, cum_hits[-1], part)


def best_hits(counts: np.ndarray, levels: Sequence[float] | np.ndarray = COVERAGE_LEVELS) -> np.ndarray:
    """Incidents the perfect ranking would capture at each level.

    Parameters
    ----------
    counts : array (n_cells,)
        Incidents per cell in the evaluation period.
    levels : sequence of float
        Coverage as shares of the cells (0-1).

    Returns
    -------
    ndarray
        Incidents captured at each level by ranking the cells by their own counts.
    """
    c = np.asarray(counts, float).ravel()
    return coverage_hits(c, c, levels)


def accuracy(score: np.ndarray, counts: np.ndarray, levels: Sequence[float] | np.ndarray = COVERAGE_LEVELS, *,
             best: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Hit rate, PAI and PEI at each coverage level for one period.

    Parameters
    ----------
    score : array (n_cells,)
        Forecast score per in-area cell (higher = riskier).
    counts : array (n_cells,)
        Incidents per cell in the evaluation period.
    levels : sequence of float
        Coverage as shares of the cells (0-1).
    best : array, optional
        :func:`best_hits` of ``counts`` at ``levels``, when the caller scores
        several forecasts of the same period (computed here otherwise).

    Returns
    -------
    dict of str to ndarray
        ``hits, total, hit_rate, pai, pei``, one value per level; NaN where
        the period had no incidents.
    """
    lv = np.asarray(levels, float)
    total = float(np.sum(counts))
    hits = coverage_hits(score, counts, lv)
    best = best_hits(counts, lv) if best is None else best
    with np.errstate(divide="ignore", invalid="ignore"):
        hit_rate = hits / total if total > 0 else np.full(len(lv), np.nan)
        pai = hit_rate / lv
        best_pai = (best / total) / lv if total > 0 else np.full(len(lv), np.nan)
        pei = np.where(best_pai > 0, pai / best_pai, np.nan)
    return {"hits": hits, "total": np.full(len(lv), total), "hit_rate": hit_rate, "pai": pai, "pei": pei}



def reliability(predicted: np.ndarray, observed: np.ndarray,
                edges: Sequence[float] = (0, 0.01, 0.03, 0.1, 0.3, 1, 3, np.inf)) -> pd.DataFrame:
    """Reliability (calibration) table of forecast counts.

    Cells are grouped by their forecast (expected incidents per cell per
    period); a calibrated forecast has, in each group, a mean observed count
    equal to the mean forecast (a forecast of 0.3 means 0.3 on average).

    Parameters
    ----------
    predicted : array
        Forecast incidents per cell (all cell-periods pooled).
    observed : array
        Incidents that followed, same shape.
    edges : sequence of float
        Bin edges of the forecast (incidents per cell), left-closed.

    Returns
    -------
    pandas.DataFrame
        ``bin, cells, mean_forecast, mean_observed, ratio`` (observed /
        forecast; NaN for empty bins).
    """
    import pandas as pd

    p = np.asarray(predicted, float).ravel()
    o = np.asarray(observed, float).ravel()
    if p.shape != o.shape:
        raise ValueError("predicted and observed must have the same number of cells")
    e = np.asarray(edges, float)
    b = np.searchsorted(e, p, side="right") - 1
    b = np.clip(b, 0, len(e) - 2)
    n = np.bincount(b, minlength=len(e) - 1)
    sp = np.bincount(b, weights=p, minlength=len(e) - 1)
    so = np.bincount(b, weights=o, minlength=len(e) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mf, mo = sp / n, so / n
        ratio = mo / mf
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(e[:-1], e[1:])]
    return pd.DataFrame({"bin": labels, "cells": n, "mean_forecast": mf, "mean_observed": mo, "ratio": ratio})
