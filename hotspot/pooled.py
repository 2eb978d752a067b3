"""One forecast model learned across many areas (e.g. the 33 London boroughs).

A single Poisson gradient-boosting model (scikit-learn) predicts next
period's incidents per cell from the cell's own history (counts decayed at
several time scales, all-time count, number of periods with an incident) and
its neighbours' (3 x 3 ring and 7 x 7 block, decayed). It is trained on the
cells of *every* area, so a borough with few burglaries borrows the shape of
the relation from the others.

Periods are walked once in calendar order with each area's decayed counts
held as running state, so nothing after a forecast origin can reach it: the
features at origin ``t`` use periods ``< t`` and the model used at ``t`` was
fitted only on (features at ``k``, counts in ``k``) with ``k < t``.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from scipy.ndimage import convolve

from ._errors import ModelError
from .forecast.counts import PeriodCounts

FEATURES = ("decay_1", "decay_3", "decay_6", "decay_12", "decay_24", "decay_48", "ring_decay_6", "ring_decay_24",
            "block7_decay_24", "all_time", "periods_with_incident")
_TAUS = (1.0, 3.0, 6.0, 12.0, 24.0, 48.0)
_RING = np.ones((3, 3))
_RING[1, 1] = 0.0
_BLOCK7 = np.ones((7, 7))


class PooledForecast:
    """Poisson gradient boosting pooled over areas.

    Parameters
    ----------
    areas : mapping of str to PeriodCounts
        Per-area binned incidents; all with the same period frequency and
        cell size (metres).
    train_periods : int
        Origins (periods) of training data before each refit.
    refit : int
        Refit every ``refit`` periods.
    max_rows : int
        Training rows per fit: every cell-period with an incident and a
        seeded sample of the others, re-weighted so the Poisson mean stays
        unbiased.
    min_samples_leaf : int
        Smallest leaf of the boosted trees (rows); the default suits
        London-sized training sets (600,000 rows), small tests need less.
    seed : int
        Seed for the row sample and the model.
    """

    def __init__(self, areas: Mapping[str, PeriodCounts], *, train_periods: int = 24, refit: int = 12,
                 max_rows: int = 600_000, min_samples_leaf: int = 400, seed: int = 0):
        if not areas:
            raise ModelError("no areas to pool")
        freqs = {pc.freq for pc in areas.values()}
        cells = {pc.grid.cell for pc in areas.values()}
        if len(freqs) > 1 or len(cells) > 1:
            raise ModelError(f"pooled areas must share one period length and cell size (got {sorted(freqs)}, "
                             f"{sorted(cells)} m)")
        self.areas = dict(areas)
        self.freq = freqs.pop()
        self.train_periods, self.refit, self.max_rows, self.seed = train_periods, refit, max_rows, seed
        self.min_samples_leaf = min_samples_leaf
        self.start = min(pc.periods[0] for pc in self.areas.values())
        self._cells = {k: np.flatnonzero(pc.mask.ravel()) for k, pc in self.areas.items()}
        self._scores: dict[str, dict[int, np.ndarray]] = {}
        self.fits: list[dict] = []

    @classmethod
    def from_period_counts(cls, areas: Mapping[str, PeriodCounts], **kw: Any) -> "PooledForecast":
        """Pool the given areas (see the class parameters).

        Parameters
        ----------
        areas : mapping of str to PeriodCounts
            Per-area binned incidents, by area name; one period frequency and
            one cell size (metres) for all.
        **kw
            ``train_periods``, ``refit`` (periods), ``max_rows``,
            ``min_samples_leaf`` and ``seed``, as for the class.

        Returns
        -------
        PooledForecast
            The model, not yet fitted (see :meth:`fit`).
        """
        return cls(areas, **kw)

    def _offset(self, name: str) -> int:
        return (self.areas[name].periods[0] - self.start).n

    def _features(self, name: str, state: np.ndarray, cum: np.ndarray, nper: np.ndarray) -> np.ndarray:
        cells = self._cells[name]
        flat = [s.ravel()[cells] for s in state]
        ring6 = convolve(state[2], _RING, mode="constant").ravel()[cells]
        ring24 = convolve(state[4], _RING, mode="constant").ravel()[cells]
        block24 = convolve(state[4], _BLOCK7, mode="constant").ravel()[cells]
        return np.column_stack([*flat, ring6, ring24, block24, cum.ravel()[cells], nper.ravel()[cells]]).astype(
            np.float32)

    def fit(self, first: str | pd.Timestamp, last: str | pd.Timestamp,
            progress: Callable[[int, int], None] | None = None) -> "PooledForecast":
        """Forecast every area for every period from ``first`` to ``last``,
        walking the periods in order (see the module notes).

        Parameters
        ----------
        first, last : str or Timestamp
            First and last forecast periods (e.g. ``"2021-06"``).
        progress : callable, optional
            Called as ``progress(done, total)`` after each period.

        Returns
        -------
        PooledForecast
            Self; scores are then read with :meth:`scorer`.
        """
        from sklearn.ensemble import HistGradientBoostingRegressor

        g_first = (pd.Period(pd.Timestamp(first), freq=self.freq) - self.start).n
        g_last = (pd.Period(pd.Timestamp(last), freq=self.freq) - self.start).n
        if g_last < g_first:
            raise ModelError(f"nothing to forecast between {first} and {last}")
        g_train = max(g_first - self.train_periods, 0)
        rng = np.random.default_rng(self.seed)
        state = {k: np.zeros((len(_TAUS),) + pc.counts.shape[1:]) for k, pc in self.areas.items()}
        cum = {k: np.zeros(pc.counts.shape[1:]) for k, pc in self.areas.items()}
        nper = {k: np.zeros(pc.counts.shape[1:]) for k, pc in self.areas.items()}
        lam = np.exp(-1.0 / np.asarray(_TAUS))[:, None, None]
        buffer: deque = deque()
        per_slot = max(self.max_rows // max(self.train_periods * len(self.areas), 1), 1)
        model, fitted_at = None, None
        self._scores = {k: {} for k in self.areas}
        for g in range(0, g_last + 1):
            if g >= g_first and (model is None or fitted_at is None or g - fitted_at >= self.refit):
                while buffer and buffer[0][0] < g - self.train_periods:
                    buffer.popleft()
                if buffer:
                    X = np.vstack([b[1] for b in buffer])
                    y = np.concatenate([b[2] for b in buffer])
                    w = np.concatenate([b[3] for b in buffer])
                    model = HistGradientBoostingRegressor(loss="poisson", max_iter=300, learning_rate=0.05,
                                                          max_leaf_nodes=15, min_samples_leaf=self.min_samples_leaf,
                                                          random_state=self.seed)
                    model.fit(X, y, sample_weight=w)
                    fitted_at = g
                    self.fits.append({"origin": str(self.start + g), "rows": len(y)})
            for name, pc in self.areas.items():
                k = g - self._offset(name)  # this area's period index
                if k < 0 or k > len(pc.periods):
                    continue
                if g >= g_train:
                    F = self._features(name, state[name], cum[name], nper[name])
                    if g >= g_first:
                        # no model yet (no earlier periods at all): the decayed count is the forecast
                        if model is None:
                            pred = F[:, 3]
                        else:
                            # cells with no history at all share one feature row, hence one prediction
                            some = np.flatnonzero(F.any(axis=1))
                            pred = np.full(len(F), model.predict(np.zeros((1, F.shape[1]), np.float32))[0])
                            pred[some] = model.predict(F[some])
                        self._scores[name][k] = pred.astype(np.float32)  # in-area cells only
                    if g < g_last and k < len(pc.periods):
                        y = pc.counts[k].ravel()[self._cells[name]]
                        pos = np.flatnonzero(y > 0)
                        neg = np.flatnonzero(y == 0)
                        n_take = min(len(neg), max(per_slot - len(pos), 1))
                        take = rng.choice(neg, size=n_take, replace=False) if n_take else neg[:0]
                        idx = np.r_[pos, take]
                        w = np.r_[np.ones(len(pos)), np.full(len(take), len(neg) / max(len(take), 1))]
                        buffer.append((g, F[idx], y[idx], w))
                if k < len(pc.periods):
                    c = pc.counts[k]
                    state[name] *= lam
                    state[name] += c[None]
                    cum[name] += c
                    nper[name] += c > 0
            if progress:
                progress(g + 1, g_last + 1)
        return self

    def scorer(self, name: str) -> Callable[[int], np.ndarray]:
        """``f(origin) -> (ny, nx)`` expected incidents per cell for one area,
        ``origin`` indexing that area's periods (as in :func:`backtest`).

        Parameters
        ----------
        name : str
            One of the pooled areas.

        Returns
        -------
        callable
            ``f(origin) -> ndarray (ny, nx)``, expected incidents per cell.
        """
        if name not in self._scores:
            raise ModelError(f"area {name!r} was not pooled or fit() was not run")
        scores, pc, cells = self._scores[name], self.areas[name], self._cells[name]

        def score(origin: int) -> np.ndarray:
            if origin not in scores:
                raise ModelError(f"pooled forecast for {name!r} has no period {pc.periods[0] + origin}; "
                                 "fit() over a range that covers it")
            out = np.zeros(pc.counts.shape[1] * pc.counts.shape[2])
            out[cells] = scores[origin]
            return out.reshape(pc.counts.shape[1:])

        return score
