"""The forecast methods: their names (:data:`DEFAULT_METHODS`, the naive
baseline), the score of each as of a period (:func:`method_score`, the
learned model :class:`LearnedForecast`, the self-exciting model), and the
surface of one method for the next period (:func:`forecast_surface`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import ModelError
from ..kde import Surface
from .counts import PeriodCounts

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingRegressor

    from ..sepp import GridHawkes


DEFAULT_METHODS = (
    "counts_1", "counts_3", "counts_12", "counts_24", "counts_36", "counts_60",
    "decay_6", "decay_12", "decay_24",
    "kde_100m_12", "kde_200m_3", "kde_200m_12", "kde_400m_12",
    "prospective", "learned",
)

#: The naive baseline every backtest of monthly counts is compared with:
#: incidents per cell over the last 24 months (two years of memory).
BASELINE = "counts_24"
#: The same two years of memory for weekly counts (day-precision data).
WEEKLY_BASELINE = "counts_104"


def baseline_for(freq: str) -> str:
    """The naive baseline of a period frequency: counts over the last two
    years (24 months, or 104 weeks), so a ratio to it means the same on
    monthly and on weekly data.

    Parameters
    ----------
    freq : str
        Period frequency, ``"M"`` (months) or ``"W..."`` (weeks).

    Returns
    -------
    str
        ``"counts_24"`` or ``"counts_104"``.
    """
    return WEEKLY_BASELINE if freq.startswith("W") else BASELINE


def method_score(pc: PeriodCounts, method: str, origin: int, *, in_area: bool = False) -> np.ndarray:
    """The score of a non-learned method as of period ``origin``.

    Parameters
    ----------
    pc : PeriodCounts
        Incidents binned per period on the grid.
    method : str
        ``counts_<periods>``, ``decay_<periods>``, ``kde_<metres>m_<periods>``
        or ``prospective``.
    origin : int
        Index of the forecast period; only earlier periods are used.
    in_area : bool
        Return the in-area cells only (one score per :attr:`PeriodCounts.cells`).

    Returns
    -------
    ndarray
        ``(ny, nx)`` scores (higher = riskier), 0 outside the area; or with
        ``in_area`` one per in-area cell.
    """
    parts = method.split("_")
    if parts[0] == "counts":
        return pc.window("counts", None, origin, int(parts[1]), in_area=in_area)
    if parts[0] == "kde":
        return pc.window("kde", float(parts[1].rstrip("m")), origin, int(parts[2]), in_area=in_area)
    if parts[0] == "decay" and len(parts) == 2:
        return pc.decayed(origin, _number(parts[1], method), in_area=in_area)
    if method == "prospective":
        return pc.prospective(origin, in_area=in_area)
    raise ModelError(f"unknown method {method!r}; known: {', '.join(DEFAULT_METHODS)} "
                     "(or counts_<periods>, decay_<periods>, kde_<metres>m_<periods>)")


def cached_array(method: str) -> tuple[str, float | None] | None:
    """The key of the cumulated array a method's scores are read from
    (:meth:`PeriodCounts._smoothed`), or None for a method with none of
    its own (``learned``, ``sepp``, unknown names).

    Parameters
    ----------
    method : str
        A method name.

    Returns
    -------
    tuple or None
        ``(kind, parameter)``, e.g. ``("kde", 200.0)`` for ``kde_200m_12``.
    """
    parts = method.split("_")
    try:
        if parts[0] == "counts" and len(parts) == 2:
            return ("counts", None)
        if parts[0] == "kde" and len(parts) == 3:
            return ("kde", float(parts[1].rstrip("m")))
        if parts[0] == "decay" and len(parts) == 2:
            return ("decay", float(parts[1]))
    except ValueError:
        return None
    return ("prospective", 400.0) if method == "prospective" else None


def _sepp(pc: PeriodCounts) -> GridHawkes:
    from ..sepp import GridHawkes

    # background from long-term counts (two years, decayed) rather than a free rate per cell: on Chicago
    # (50 m, weekly, 1 %) PAI 18.10 against 16.94 for the free rates, which overfit two years of data
    return GridHawkes.from_period_counts(pc, background_tau=104 if pc.freq.startswith("W") else 24)


def _number(text: str, method: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ModelError(f"method {method!r}: {text!r} is not a number of periods") from None
    if not np.isfinite(v) or v <= 0:
        raise ModelError(f"method {method!r}: the number of periods must be positive")
    return v


def check_method(method: str) -> str:
    """Raise :class:`ModelError` unless ``method`` names a known method.

    Parameters
    ----------
    method : str
        A method name (see :data:`DEFAULT_METHODS`).

    Returns
    -------
    str
        ``method`` unchanged.
    """
    parts = method.split("_")
    if method in ("prospective", "learned", "sepp"):
        return method
    try:
        if parts[0] in ("counts", "decay") and len(parts) == 2:
            _number(parts[1], method)
            return method
        if parts[0] == "kde" and len(parts) == 3 and parts[1].endswith("m"):
            _number(parts[1][:-1], method)
            _number(parts[2], method)
            return method
    except ModelError:
        raise
    raise ModelError(f"unknown method {method!r}; known: {', '.join(DEFAULT_METHODS)} "
                     "(or counts_<periods>, decay_<periods>, kde_<metres>m_<periods>)")


FEATURES = ("counts_1", "counts_3", "counts_12", "counts_36", "counts_60", "kde_100m_12", "kde_200m_3", "kde_200m_12",
            "kde_400m_12", "prospective")


def _features(pc: PeriodCounts, origin: int, out: np.ndarray | None = None) -> np.ndarray:
    """The :data:`FEATURES` as of ``origin``, one row per in-area cell
    (:attr:`PeriodCounts.cells`), written into ``out`` when given."""
    if out is None:
        out = np.empty((len(pc.cells), len(FEATURES)))
    for j, f in enumerate(FEATURES):
        out[:, j] = method_score(pc, f, origin, in_area=True)
    return out


class LearnedForecast:
    """Poisson gradient boosting over the simple methods' scores.

    Trained on (features at origin k, counts in period k) for origins
    ``k < origin`` only, over the last ``train_periods`` of them.
    """

    def __init__(self, pc: PeriodCounts, *, train_periods: int = 24, refit: int = 6, seed: int = 0,
                 max_rows: int = 400_000):
        self.pc, self.train_periods, self.refit, self.seed, self.max_rows = pc, train_periods, refit, seed, max_rows
        self.cells = pc.cells
        self._model: HistGradientBoostingRegressor | None = None
        self._fitted_at: int | None = None

    def _fit(self, origin: int) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        ks = range(max(origin - self.train_periods, 12), origin)
        if not ks:
            self._model = None
            return
        nc = len(self.cells)
        y = np.empty(len(ks) * nc)  # training rows: period by period, the in-area cells of each
        for i, k in enumerate(ks):
            y[i * nc:(i + 1) * nc] = self.pc.counts[k].ravel()[self.cells]
        if len(y) > self.max_rows:
            # keep every cell with a burglary and a seeded sample of the rest,
            # re-weighting the sample so the Poisson mean stays unbiased
            rng = np.random.default_rng(self.seed + origin)
            pos = np.flatnonzero(y > 0)
            neg = np.flatnonzero(y == 0)
            take = rng.choice(neg, size=max(self.max_rows - len(pos), 1), replace=False) if len(neg) else neg
            w = np.r_[np.ones(len(pos)), np.full(len(take), len(neg) / max(len(take), 1))]
            idx: np.ndarray | None = np.r_[pos, take]
            y = y[idx]
        else:
            idx, w = None, np.ones(len(y))
        # only the kept rows' features, one period's block at a time, straight into place: the features
        # of every row (~67 MB for a borough's 24 periods) were built and then sampled (issue 22)
        X = np.empty((len(y), len(FEATURES)))
        block = np.empty((nc, len(FEATURES)))
        which = None if idx is None else idx // nc
        for i, k in enumerate(ks):
            _features(self.pc, k, block)
            if idx is None:
                X[i * nc:(i + 1) * nc] = block
            else:
                rows = np.flatnonzero(which == i)
                X[rows] = block[idx[rows] - i * nc]
        model = HistGradientBoostingRegressor(loss="poisson", max_iter=150, learning_rate=0.08,
                                              max_leaf_nodes=31, min_samples_leaf=50, random_state=self.seed)
        model.fit(X, y, sample_weight=w)
        self._model = model
        self._fitted_at = origin

    def score(self, origin: int) -> np.ndarray:
        """Expected counts for period ``origin`` (0 outside the area).

        Parameters
        ----------
        origin : int
            Index of the forecast period; trained on earlier periods only.

        Returns
        -------
        ndarray
            ``(ny, nx)`` expected incidents per cell.
        """
        if self._model is None or self._fitted_at is None or origin - self._fitted_at >= self.refit or origin < self._fitted_at:
            self._fit(origin)
        out = np.zeros(self.pc.counts.shape[1] * self.pc.counts.shape[2])
        if self._model is not None:
            out[self.cells] = self._model.predict(_features(self.pc, origin))
        return out.reshape(self.pc.counts.shape[1:])


def forecast_surface(pc: PeriodCounts, method: str | None, as_of: str | pd.Timestamp | None = None, *,
                     seed: int = 0) -> Surface:
    """The forecast surface of ``method`` for the period starting at
    ``as_of`` (default: the period after the data), from earlier data only.

    Parameters
    ----------
    pc : PeriodCounts
        Incidents binned per period on the grid.
    method : str or None
        The method (e.g. a backtest's ``best``); None raises
        :class:`ModelError` (the backtest could not choose one).
    as_of : str or Timestamp, optional
        Start of the forecast period (default: the period after the data).
    seed : int
        Seed of the learned model.

    Returns
    -------
    Surface
        Scores per cell, with their units and ``meta`` (method, forecast
        period, cell size in metres).
    """
    if method is None:
        raise ModelError("no forecast method was chosen (the backtest had too few periods to choose one); "
                         "name a method or backtest more periods")
    check_method(method)
    origin = len(pc.periods) if as_of is None else pc.index_of(as_of)
    if method == "learned":
        values = LearnedForecast(pc, seed=seed).score(origin)
        units = "expected incidents per cell"
    elif method == "sepp":
        values = _sepp(pc).score(origin)
        units = "expected incidents per cell"
    else:
        values = method_score(pc, method, origin)
        units = "incidents per km²" if method.startswith("kde") else (
            "incidents per cell" if method.startswith("counts") else "risk score")
    when = pc.periods[0] + origin
    return Surface(np.where(pc.mask, values, 0.0), pc.grid, pc.mask, units=units,
                   meta={"method": method, "forecast_period": str(when), "cell_m": pc.grid.cell})
