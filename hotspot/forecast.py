"""Hotspot forecasts and an honest rolling-origin backtest.

Incidents are binned once per *period* (calendar months for police.uk's
month dates, weeks for exact dates) on a grid. Every forecast method is then
linear in those per-period counts, so "KDE of the last 3 months" is the sum of
three per-period smoothed arrays and costs almost nothing per forecast date.

Methods (:data:`DEFAULT_METHODS`):

* ``counts_<w>`` - incidents per cell over the last ``w`` periods (point-level
  memory: police.uk map points and repeat victims);
* ``decay_<tau>`` - incidents per cell weighted by ``exp(-age / tau)``, age in
  periods (0 = the last period before the forecast): recent memory counts
  most, old memory still breaks ties;
* ``kde_<bw>m_<w>`` - quartic KDE, bandwidth ``bw`` metres, last ``w`` periods;
* ``prospective`` - Bowers, Johnson & Pease (2004): each incident within
  ``400 m`` and ``8 weeks`` (2 months for monthly data) adds
  ``1/(1 + d in cells) * 1/(1 + age in weeks)`` (months for monthly data);
* ``sepp`` - a self-exciting point process on the grid (:mod:`hotspot.sepp`):
  background from long-term decayed counts (two years) plus near-repeat
  triggering in the cell and its neighbours, fitted by EM on the periods
  before each forecast date;
* ``learned`` - a Poisson gradient-boosting model (scikit-learn) on all of the
  above as features, trained only on periods that ended before the forecast
  date (refitted every ``refit`` periods).

The backtest fits on data before each forecast date and scores the next
period with :mod:`hotspot.metrics` (hit rate, PAI, PEI at coverage levels,
fractional tie-breaking). Nothing after the forecast date reaches a forecast:
the per-period arrays are indexed strictly below the origin.

Choosing a method is part of the procedure being scored (nested selection):
for forecast period *t* the method with the highest mean PAI over the
periods scored before *t* is used, and the reported "selected" score is that
rule's out-of-sample score, compared period by period with the naive
baseline ``counts_24`` (same periods, same cells, same tie rule) by a paired
bootstrap over periods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.signal import fftconvolve

from ._errors import HotspotError, ModelError
from .areas import Area
from .crs import require_same_metric_crs
from .grid import Grid
from .kde import Surface, kernel_stencil
from .metrics import COVERAGE_LEVELS, accuracy
from .periods import data_time_unit

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingRegressor

    from .context import Context
    from .sepp import GridHawkes

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


def period_of(occurred: pd.Series, freq: str) -> pd.PeriodIndex:
    """The period (month or week) each incident falls in.

    Parameters
    ----------
    occurred : Series of datetime64
        Incident dates.
    freq : str
        Period frequency, ``"M"`` (calendar months) or ``"W"`` (weeks).

    Returns
    -------
    PeriodIndex
        One period per incident.
    """
    return pd.PeriodIndex(pd.DatetimeIndex(occurred), freq=freq)


def _prospective_stencil(cell: float, radius: float) -> np.ndarray:
    r = int(np.floor(radius / cell))
    off = np.arange(-r, r + 1)
    dx, dy = np.meshgrid(off, off)
    d_cells = np.hypot(dx, dy)
    return np.where(d_cells * cell <= radius + 1e-9, 1.0 / (1.0 + d_cells), 0.0)


@dataclass
class PeriodCounts:
    """Incidents binned per period on a grid.

    Attributes
    ----------
    grid : Grid
    mask : ndarray of bool
        In-area cells.
    periods : PeriodIndex
        Consecutive periods covering the data.
    counts : ndarray (n_periods, ny, nx)
        The area's own incidents: what forecasts are scored on.
    freq : str
        ``"M"`` or ``"W"``.
    context_counts : ndarray (n_periods, ny, nx), optional
        Incidents across the boundary (:mod:`hotspot.context`) on the same
        grid and periods: smoothing methods (``kde_*``, ``prospective``) see
        them, so cells near the boundary are not biased low; counts-based
        methods and the scoring use the area's own counts only.
    """

    grid: Grid
    mask: np.ndarray
    periods: pd.PeriodIndex
    counts: np.ndarray
    freq: str
    _cache: dict = field(default_factory=dict, repr=False)
    context_counts: np.ndarray | None = None

    @classmethod
    def from_incidents(cls, incidents: gpd.GeoDataFrame, area: Area, *, cell: float = 50.0, freq: str | None = None,
                       offset: tuple[float, float] = (0.0, 0.0), context: Context | gpd.GeoDataFrame | None = None,
                       context_pad: float = 1000.0) -> "PeriodCounts":
        """Bin incidents by period (default: months for month-precision data,
        weeks otherwise) on a grid over the area.

        Parameters
        ----------
        incidents : GeoDataFrame
            The area's incidents (working CRS, metres) with ``occurred``.
        area : Area
            The study area; the grid covers it and its cells are the mask.
        cell : float
            Cell size, metres (default 50).
        freq : {"M", "W"}, optional
            Period length, calendar months or weeks (default: months for
            month-precision dates, weeks otherwise).
        offset : tuple of float
            Shift of the grid ``(dx, dy)``, metres within one cell.
        context : Context or GeoDataFrame, optional
            Incidents across the boundary (a :class:`hotspot.context.Context`
            or its incidents), binned into :attr:`context_counts`.
        context_pad : float
            With ``context``, the grid is padded by this many metres around
            the area (default 1000 m).

        Returns
        -------
        PeriodCounts
        """
        if incidents.empty:
            raise HotspotError("no incidents to forecast from")
        ctx: gpd.GeoDataFrame | None = getattr(context, "incidents", context)  # a Context or its incidents
        require_same_metric_crs(incidents=incidents, area=area, context=ctx)
        if freq is None:
            freq = "M" if data_time_unit(incidents) == "month" else "W"
        grid = Grid.for_geometry(area.geometry, cell, area.crs, offset=offset,
                                 pad=context_pad if ctx is not None else 0.0)
        per = period_of(incidents["occurred"], freq)
        periods = pd.period_range(per.min(), per.max(), freq=freq)
        counts = _bin_periods(incidents, grid, periods, freq)
        context_counts = _bin_periods(ctx, grid, periods, freq) if ctx is not None and len(ctx) else None
        return cls(grid, grid.mask(area.geometry), periods, counts, freq, context_counts=context_counts)

    def index_of(self, when: str | pd.Timestamp | pd.Period) -> int:
        """Index of the period containing ``when`` (may be past the end).

        Parameters
        ----------
        when : str, Timestamp or Period
            A date (e.g. ``"2024-12"`` or ``"2024-12-15"``), or a period of
            the data as itself or as its text (a week prints as
            ``"2017-12-25/2017-12-31"``: its first day is taken).

        Returns
        -------
        int
            Periods since the first period of the data (negative before it).
        """
        start = when.start_time if isinstance(when, pd.Period) else pd.Timestamp(str(when).split("/")[0])
        return (pd.Period(start, freq=self.freq) - self.periods[0]).n

    def _smoothed(self, key: tuple) -> np.ndarray:
        """Per-period arrays smoothed by a stencil, cumulated over periods
        (cum[k] = sum of periods < k), cached."""
        if key not in self._cache:
            kind, param = key
            # smoothing spreads burglaries across the boundary too: it sees the context
            seen = self.counts if self.context_counts is None else self.counts + self.context_counts
            if kind == "counts":
                per = self.counts
            elif kind == "kde":
                st = kernel_stencil(self.grid.cell, param, "quartic") * 1e6
                per = fftconvolve(seen, st[None], mode="same", axes=(1, 2))
            elif kind == "prospective":
                per = fftconvolve(seen, _prospective_stencil(self.grid.cell, param)[None], mode="same", axes=(1, 2))
            elif kind == "decay":
                # dec[k] = sum over periods s < k of counts[s] * exp(-(k - 1 - s) / tau)
                lam = float(np.exp(-1.0 / param))
                dec = np.zeros((len(self.counts) + 1,) + self.counts.shape[1:])
                for k in range(1, len(dec)):
                    np.multiply(dec[k - 1], lam, out=dec[k])
                    dec[k] += self.counts[k - 1]
                self._cache[key] = dec
                return dec
            else:  # pragma: no cover
                raise HotspotError(f"unknown smoothing {kind}")
            per = np.clip(per, 0.0, None)
            per[per < 1e-9] = 0.0  # FFT round-off
            cum = np.zeros((len(per) + 1,) + per.shape[1:])
            np.cumsum(per, axis=0, out=cum[1:])
            self._cache[key] = cum
        return self._cache[key]

    def window(self, kind: str, param: float | None, origin: int, periods: int) -> np.ndarray:
        """Sum over periods ``origin - periods`` .. ``origin - 1`` (never
        ``origin`` or later).

        Parameters
        ----------
        kind : {"counts", "kde", "prospective"}
            What is summed - raw counts, KDE-smoothed counts or the
            prospective stencil's spread.
        param : float or None
            The smoothing's size: KDE bandwidth or prospective radius,
            metres; None for ``"counts"``.
        origin : int
            Index of the forecast period; only earlier periods are summed.
        periods : int
            Window length, periods (months or weeks).

        Returns
        -------
        ndarray
            ``(ny, nx)`` sums (incidents, or incidents per km² for ``"kde"``).
        """
        cum = self._smoothed((kind, param))
        hi = min(max(origin, 0), len(cum) - 1)
        lo = min(max(origin - periods, 0), hi)
        return cum[hi] - cum[lo]

    def decayed(self, origin: int, tau: float) -> np.ndarray:
        """Incidents before period ``origin`` weighted by ``exp(-age / tau)``
        (age in periods, 0 for the period just before ``origin``).

        Parameters
        ----------
        origin : int
            Index of the forecast period; only earlier periods count.
        tau : float
            E-folding time, periods (months or weeks).

        Returns
        -------
        ndarray
            ``(ny, nx)`` decayed incident counts.
        """
        if tau <= 0:
            raise ModelError(f"decay time must be positive (periods), got {tau:g}")
        dec = self._smoothed(("decay", float(tau)))
        if origin <= 0:
            return np.zeros(self.counts.shape[1:])
        last = len(dec) - 1
        if origin <= last:
            return dec[origin]
        # past the data: no new incidents, everything just ages
        return dec[last] * np.exp(-(origin - last) / tau)

    def prospective(self, origin: int, *, radius: float = 400.0, weeks: int = 8) -> np.ndarray:
        """Bowers-Johnson-Pease prospective risk as of the start of period
        ``origin``: ages in weeks (months for monthly data; an incident in the
        previous period is age 0), window ``weeks`` (8 weeks = 2 months).

        Parameters
        ----------
        origin : int
            Index of the forecast period; only earlier periods count.
        radius : float
            Spread of each incident, metres (default 400 m).
        weeks : int
            Memory, weeks (converted to whole months for monthly data).

        Returns
        -------
        ndarray
            ``(ny, nx)`` risk scores.
        """
        per = self._smoothed(("prospective", radius))
        span = weeks if self.freq == "W" else max(1, int(round(weeks * 7 / 30.44)))
        out = np.zeros(self.counts.shape[1:])
        for age in range(span):
            k = origin - 1 - age
            if k < 0:
                break
            if k >= len(per) - 1:
                continue
            out += (per[k + 1] - per[k]) / (1.0 + age)
        return out


def _bin_periods(incidents: gpd.GeoDataFrame, grid: Grid, periods: pd.PeriodIndex, freq: str) -> np.ndarray:
    """Counts per (period, row, col); incidents outside ``periods`` or the
    grid are left out."""
    per = period_of(incidents["occurred"], freq)
    k = np.asarray([(p - periods[0]).n for p in per], dtype=np.int64) if len(per) else np.array([], np.int64)
    row, col, ok = grid.index(incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
    ok &= (k >= 0) & (k < len(periods))
    flat = (k[ok] * grid.ny + row[ok]) * grid.nx + col[ok]
    return np.bincount(flat, minlength=len(periods) * grid.ny * grid.nx).reshape(
        len(periods), grid.ny, grid.nx).astype(float)


def method_score(pc: PeriodCounts, method: str, origin: int) -> np.ndarray:
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

    Returns
    -------
    ndarray
        ``(ny, nx)`` scores (higher = riskier).
    """
    parts = method.split("_")
    if parts[0] == "counts":
        return pc.window("counts", None, origin, int(parts[1]))
    if parts[0] == "kde":
        return pc.window("kde", float(parts[1].rstrip("m")), origin, int(parts[2]))
    if parts[0] == "decay" and len(parts) == 2:
        return pc.decayed(origin, _number(parts[1], method))
    if method == "prospective":
        return pc.prospective(origin)
    raise ModelError(f"unknown method {method!r}; known: {', '.join(DEFAULT_METHODS)} "
                     "(or counts_<periods>, decay_<periods>, kde_<metres>m_<periods>)")


def _sepp(pc: PeriodCounts) -> GridHawkes:
    from .sepp import GridHawkes

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


def _features(pc: PeriodCounts, origin: int, cells: np.ndarray) -> np.ndarray:
    return np.column_stack([method_score(pc, f, origin).ravel()[cells] for f in FEATURES])


class LearnedForecast:
    """Poisson gradient boosting over the simple methods' scores.

    Trained on (features at origin k, counts in period k) for origins
    ``k < origin`` only, over the last ``train_periods`` of them.
    """

    def __init__(self, pc: PeriodCounts, *, train_periods: int = 24, refit: int = 6, seed: int = 0,
                 max_rows: int = 400_000):
        self.pc, self.train_periods, self.refit, self.seed, self.max_rows = pc, train_periods, refit, seed, max_rows
        self.cells = np.flatnonzero(pc.mask.ravel())
        self._model: HistGradientBoostingRegressor | None = None
        self._fitted_at: int | None = None

    def _fit(self, origin: int) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        xs, ys = [], []
        for k in range(max(origin - self.train_periods, 12), origin):
            xs.append(_features(self.pc, k, self.cells))
            ys.append(self.pc.counts[k].ravel()[self.cells])
        if not xs:
            self._model = None
            return
        X, y = np.vstack(xs), np.concatenate(ys)
        if len(y) > self.max_rows:
            # keep every cell with a burglary and a seeded sample of the rest,
            # re-weighting the sample so the Poisson mean stays unbiased
            rng = np.random.default_rng(self.seed + origin)
            pos = np.flatnonzero(y > 0)
            neg = np.flatnonzero(y == 0)
            take = rng.choice(neg, size=max(self.max_rows - len(pos), 1), replace=False) if len(neg) else neg
            w = np.r_[np.ones(len(pos)), np.full(len(take), len(neg) / max(len(take), 1))]
            idx = np.r_[pos, take]
            X, y = X[idx], y[idx]
        else:
            w = np.ones(len(y))
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
            out[self.cells] = self._model.predict(_features(self.pc, origin, self.cells))
        return out.reshape(self.pc.counts.shape[1:])


@dataclass
class SelectedScore:
    """Out-of-sample score of the whole nested-selection procedure.

    For each forecast period the method with the highest mean PAI over the
    periods scored *before* it was used; these are the scores of those
    forecasts, paired period by period with the naive baseline.

    Attributes
    ----------
    coverage : float
        Area share (0-1) the PAI is measured at (also the selection level).
    periods : int
        Forecast periods scored (periods with at least one incident).
    hit_rate, pai, pei : float
        Means over periods.
    pai_ci : tuple of float
        Bootstrap 95 % interval of the mean PAI (resampling periods).
    baseline : str
        The naive baseline (``counts_24``; ``counts_104`` on weekly counts).
    baseline_pai : float
        Mean PAI of the baseline over the same periods.
    baseline_pai_ci : tuple of float
    ratio : float
        Mean PAI of the procedure / mean PAI of the baseline.
    ratio_ci : tuple of float
        Paired bootstrap 95 % interval of ``ratio`` (the same resampled
        periods for both).
    choices : DataFrame
        One row per forecast period: ``period, method, pai, baseline_pai``.
    """

    coverage: float
    periods: int
    hit_rate: float
    pai: float
    pei: float
    pai_ci: tuple[float, float]
    baseline: str
    baseline_pai: float
    baseline_pai_ci: tuple[float, float]
    ratio: float
    ratio_ci: tuple[float, float]
    choices: pd.DataFrame

    def to_json(self) -> dict:
        """``{"selected": {...}, "vs_naive": {...}}`` (NaN as ``null``)."""
        def r(v, n=4):
            return None if v is None or not np.isfinite(v) else round(float(v), n)
        used = self.choices["method"].value_counts()
        return {
            "selected": {"coverage": self.coverage, "periods": self.periods, "pai": r(self.pai),
                         "hit_rate": r(self.hit_rate, 6), "pei": r(self.pei),
                         "pai_ci": [r(self.pai_ci[0]), r(self.pai_ci[1])],
                         "rule": "for each period, the method with the highest mean PAI at this coverage over the "
                                 "periods scored before it",
                         "methods_used": {str(k): int(v) for k, v in used.items()}},
            "vs_naive": {"baseline": self.baseline, "baseline_pai": r(self.baseline_pai),
                         "baseline_pai_ci": [r(self.baseline_pai_ci[0]), r(self.baseline_pai_ci[1])],
                         "ratio": r(self.ratio), "ratio_ci": [r(self.ratio_ci[0]), r(self.ratio_ci[1])],
                         "paired": "same periods, same cells, same tie rule; bootstrap over periods"},
        }


@dataclass
class BacktestResult:
    """Rolling-origin backtest.

    Attributes
    ----------
    periods : DataFrame
        One row per (method, forecast period, coverage level): ``hits, total,
        hit_rate, pai, pei``.
    summary : DataFrame
        Per method and level: mean hit rate, PAI, PEI over periods, their
        standard deviation, and a bootstrap 95 % interval of the mean PAI.
        These are per-method descriptions; the score of *choosing* among them
        is :attr:`selected`.
    curves : dict
        Method -> mean hit rate at each of ``curve_levels`` (coverage curve).
    curve_levels : ndarray
    best : str or None
        The method the selection rule picks for the next period (highest
        mean PAI at ``best_level`` over every period scored so far); ``None``
        when there are too few periods to choose (see :attr:`warnings`).
    best_level : float
    selected : SelectedScore or None
        Out-of-sample score of the nested selection rule and its paired
        comparison with the naive baseline.
    warnings : list of str
        Anything that changes how the numbers should be read.
    """

    periods: pd.DataFrame
    summary: pd.DataFrame
    curves: dict[str, np.ndarray]
    curve_levels: np.ndarray
    best: str | None
    best_level: float
    n_periods: int
    freq: str
    selected: SelectedScore | None = None
    warnings: list[str] = field(default_factory=list)

    def at(self, level: float) -> pd.DataFrame:
        """Summary rows at one coverage level, best first.

        Parameters
        ----------
        level : float
            Coverage level, a share of the area's cells (0-1).

        Returns
        -------
        DataFrame
            The :attr:`summary` rows at that level, highest mean PAI first.
        """
        s = self.summary[np.isclose(self.summary["coverage"], level)]
        return s.sort_values("pai", ascending=False).reset_index(drop=True)

    def to_json(self, level: float) -> dict:
        """The backtest at one coverage level as JSON-ready data.

        Parameters
        ----------
        level : float
            Coverage level, a share of the area's cells (0-1), e.g. 0.05.

        Returns
        -------
        dict
            ``{"coverage", "periods", "period" (month or week: the unit of
            every ``_N`` in a method's name), "methods": {name: {hit_rate,
            pai, pei, pai_ci95}}, "best", "selected", "vs_naive",
            "warnings"}``.
        """
        s = self.at(level)
        out: dict[str, Any] = {"coverage": level, "periods": self.n_periods,
               "period": "week" if self.freq.startswith("W") else "month",
               "methods": {r["method"]: {"hit_rate": round(float(r["hit_rate"]), 6),
                                         "pai": round(float(r["pai"]), 4), "pei": round(float(r["pei"]), 4),
                                         "pai_ci95": [round(float(r["pai_lo"]), 4), round(float(r["pai_hi"]), 4)]}
                           for r in s.to_dict("records")},
               "best": self.best}
        if self.selected is not None:
            out |= self.selected.to_json()
        else:
            out |= {"selected": None, "vs_naive": None}
        out["warnings"] = list(self.warnings)
        return out


def _choose(pai: np.ndarray, names: Sequence[str], upto: int, window: int | None, default: str) -> str:
    """The method with the highest mean PAI over scored periods ``< upto``
    (the last ``window`` of them), or ``default`` when none was scored."""
    lo = 0 if window is None else max(upto - window, 0)
    past = pai[:, lo:upto]
    ok = np.isfinite(past).any(axis=1)
    if past.shape[1] == 0 or not ok.any():
        return default
    fin = np.isfinite(past)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(ok, np.where(fin, past, 0.0).sum(axis=1) / fin.sum(axis=1), -np.inf)
    return names[int(np.argmax(means))]  # ties: the first in the caller's order


def _boot_ci(values: np.ndarray, idx: np.ndarray) -> tuple[float, float]:
    if idx.size == 0 or len(values) < 2:
        return (float("nan"), float("nan"))
    b = values[idx].mean(axis=1)
    return float(np.quantile(b, 0.025)), float(np.quantile(b, 0.975))


def _score_origin(pc: PeriodCounts, m: str, origin: int, cells: np.ndarray,
                  scorers: Mapping[str, Callable[[int], np.ndarray]], learned: LearnedForecast | None,
                  sepp: GridHawkes | None) -> np.ndarray:
    """Scores of method ``m`` as of period ``origin`` on the in-area ``cells``."""
    if m in scorers:
        return np.asarray(scorers[m](origin), float).ravel()[cells]
    if m == "learned":
        assert learned is not None  # built by the caller whenever "learned" is scored
        return learned.score(origin).ravel()[cells]
    if m == "sepp":
        assert sepp is not None  # built by the caller whenever "sepp" is scored
        return sepp.score(origin).ravel()[cells]
    return method_score(pc, m, origin).ravel()[cells]


def _score_candidates(pc: PeriodCounts, scored: list[str], methods: list[str],
                      scorers: Mapping[str, Callable[[int], np.ndarray]], all_levels: np.ndarray, sel_li: int,
                      span: tuple[int, int, int], seed: int,
                      progress: Callable[[int, int], None] | None) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Score every method at every origin ``w0 .. o1`` (``span = (w0, o0, o1)``).

    Returns the per-period rows of the candidate methods for origins from
    ``o0`` on (periods with incidents only), and the metrics at the
    selection level for every scored method and origin (NaN: no incidents).
    """
    w0, o0, o1 = span
    cells = np.flatnonzero(pc.mask.ravel())
    learned = LearnedForecast(pc, seed=seed) if "learned" in scored else None
    sepp = _sepp(pc) if "sepp" in scored else None
    sel = {k: np.full((len(scored), o1 - w0 + 1), np.nan) for k in ("hit_rate", "pai", "pei")}
    rows = []
    origins = range(w0, o1 + 1)
    for n_done, origin in enumerate(origins, start=1):
        actual = pc.counts[origin].ravel()[cells]
        for mi, m in enumerate(scored):
            acc = accuracy(_score_origin(pc, m, origin, cells, scorers, learned, sepp), actual, all_levels)
            if acc["total"][0] > 0:
                for k in sel:
                    sel[k][mi, origin - w0] = acc[k][sel_li]
            if origin < o0 or m not in methods:
                continue
            for li, lev in enumerate(all_levels):
                rows.append((m, str(pc.periods[origin]), lev, acc["hits"][li], acc["total"][li],
                             acc["hit_rate"][li], acc["pai"][li], acc["pei"][li]))
        if progress:
            progress(n_done, len(origins))
    per = pd.DataFrame(rows, columns=["method", "period", "coverage", "hits", "total", "hit_rate", "pai", "pei"])
    return per[per["total"] > 0], sel


def _summarise(per: pd.DataFrame, methods: list[str], levels: np.ndarray, curve_levels: np.ndarray,
               bootstrap: int, seed: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per method and level: means, standard deviations and a bootstrap 95 %
    interval of the mean PAI over periods; and each method's coverage curve."""
    rng = np.random.default_rng(seed)
    summ = []
    for (m, lev), g in per.groupby(["method", "coverage"], sort=False):
        pai_v = g["pai"].to_numpy()
        boots = rng.choice(pai_v, size=(bootstrap, len(pai_v)), replace=True).mean(axis=1) if bootstrap else pai_v
        summ.append((m, lev, g["hit_rate"].mean(), pai_v.mean(), g["pei"].mean(), g["hit_rate"].std(),
                     pai_v.std(ddof=1) if len(pai_v) > 1 else 0.0, g["pei"].std(),
                     np.quantile(boots, 0.025), np.quantile(boots, 0.975), len(g)))
    summary = pd.DataFrame(summ, columns=["method", "coverage", "hit_rate", "pai", "pei", "hit_rate_sd", "pai_sd",
                                          "pei_sd", "pai_lo", "pai_hi", "periods"])
    curves = {m: per[per["method"] == m].groupby("coverage")["hit_rate"].mean().reindex(curve_levels).to_numpy()
              for m in methods}
    return summary[summary["coverage"].isin(levels)].reset_index(drop=True), curves


def _nested_selection(pc: PeriodCounts, sel: dict[str, np.ndarray], scored: list[str], methods: list[str],
                      baseline: str, span: tuple[int, int, int], select_window: int | None, bootstrap: int,
                      seed: int, coverage: float) -> SelectedScore:
    """Score the rule that picks, for each period ``o0 .. o1``, the method best
    on the periods before it, paired with the baseline by a bootstrap over periods."""
    w0, o0, o1 = span
    cand_pai = sel["pai"][np.array([scored.index(m) for m in methods])]
    default = baseline if baseline in methods else methods[0]
    choices = []
    for origin in range(o0, o1 + 1):
        i = origin - w0
        if not np.isfinite(sel["pai"][0, i]):
            continue  # no incidents in this period: nothing to score
        m = _choose(cand_pai, methods, i, select_window, default)
        mi = scored.index(m)
        bi = scored.index(baseline)
        choices.append((str(pc.periods[origin]), m, sel["hit_rate"][mi, i], sel["pai"][mi, i], sel["pei"][mi, i],
                        sel["pai"][bi, i]))
    ch = pd.DataFrame(choices, columns=["period", "method", "hit_rate", "pai", "pei", "baseline_pai"])
    srng = np.random.default_rng([seed, 1])
    n = len(ch)
    idx = srng.integers(0, n, size=(bootstrap, n)) if bootstrap and n > 1 else np.empty((0, n), int)
    p_sel, p_base = ch["pai"].to_numpy(), ch["baseline_pai"].to_numpy()
    ratio = p_sel.mean() / p_base.mean() if p_base.mean() > 0 else float("nan")
    ratio_ci: tuple[float, float] = (float("nan"), float("nan"))
    if idx.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            rb = p_sel[idx].mean(axis=1) / p_base[idx].mean(axis=1)
        rb = rb[np.isfinite(rb)]
        ratio_ci = (float(np.quantile(rb, 0.025)), float(np.quantile(rb, 0.975))) if len(rb) else (np.nan, np.nan)
    return SelectedScore(coverage, n, float(ch["hit_rate"].mean()), float(p_sel.mean()),
                         float(ch["pei"].mean()), _boot_ci(p_sel, idx), baseline, float(p_base.mean()),
                         _boot_ci(p_base, idx), float(ratio), ratio_ci, ch)


def _forecast_span(pc: PeriodCounts, start: str | pd.Timestamp, end: str | pd.Timestamp,
                   warmup: int) -> tuple[int, int, int]:
    """``(w0, o0, o1)``: first warm-up origin, first and last reported origin."""
    if pc.freq.startswith("W") and isinstance(end, str) and re.fullmatch(r"\d{4}-\d{2}", end.strip()):
        end = pd.Period(end.strip(), "M").end_time  # a month given as the end means all of it, not its first week
    o0, o1 = pc.index_of(start), pc.index_of(end)
    o0 = max(o0, 1)
    o1 = min(o1, len(pc.periods) - 1)
    if o1 < o0:
        raise HotspotError(f"no forecast periods between {start} and {end} inside the data "
                           f"({pc.periods[0]} to {pc.periods[-1]})")
    return max(o0 - max(int(warmup), 0), 1), o0, o1


def backtest(
    pc: PeriodCounts,
    *,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    methods: Sequence[str] = DEFAULT_METHODS,
    levels: Sequence[float] = COVERAGE_LEVELS,
    best_level: float = 0.05,
    bootstrap: int = 1000,
    seed: int = 0,
    warmup: int = 12,
    select_window: int | None = None,
    baseline: str | None = None,
    scorers: Mapping[str, Callable[[int], np.ndarray]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Rolling-origin backtest: for each period from ``start`` to ``end``,
    score every method on data before it and evaluate it on that period,
    and score the nested rule that picks a method for each period from the
    periods before it.

    Parameters
    ----------
    pc : PeriodCounts
        Incidents binned per period on the grid (the area's own counts are
        what every forecast is scored on).
    start, end : str or Timestamp
        First and last forecast periods (e.g. ``"2015-12"``, ``"2025-02"``).
    methods : sequence of str
        Candidate methods (see :data:`DEFAULT_METHODS`); ties in the selection
        go to the earlier one.
    levels : sequence of float
        Coverage levels (shares of the area's cells) for the summary.
    best_level : float
        Level at which methods are compared and chosen (by mean PAI).
    bootstrap : int
        Bootstrap resamples of periods for the intervals (0: no intervals).
    seed : int
        Seed for the bootstrap and the learned model.
    warmup : int
        Periods before ``start`` that are scored only so that the rule has
        a track record to choose from at ``start`` (they never enter the
        reported scores). With no scored earlier period the rule uses the
        baseline if it is a candidate, else the first method.
    select_window : int, optional
        Choose on the last ``select_window`` scored periods only (default:
        all earlier ones).
    baseline : str, optional
        The naive method the procedure is compared with, period by period;
        default counts over the last two years (:func:`baseline_for`: 24
        months, or 104 weeks on weekly counts).
    scorers : mapping, optional
        Extra methods by name, ``f(origin) -> (ny, nx)`` scores as of the
        start of period ``origin``, from data before it only (e.g.
        :meth:`hotspot.pooled.PooledForecast.scorer`).
    progress : callable, optional
        Called as ``progress(done, total)`` after each origin is scored.

    Returns
    -------
    BacktestResult
        Per-period and summary scores, coverage curves, the method to use
        next, the nested rule's score against the baseline, and warnings.
    """
    scorers = dict(scorers or {})
    methods = [m if m in scorers else check_method(m) for m in dict.fromkeys(methods)]
    if not methods:
        raise ModelError("no forecast methods given")
    baseline = baseline_for(pc.freq) if baseline is None else baseline
    check_method(baseline)
    if not 0 < best_level <= 1:
        raise ModelError(f"coverage must be a share between 0 and 1 (got {best_level:g})")
    level_arr = np.asarray(levels, float)
    curve_levels = np.round(np.linspace(0.005, 0.5, 100), 4)
    all_levels = np.unique(np.r_[level_arr, curve_levels, best_level])
    sel_li = int(np.argmin(np.abs(all_levels - best_level)))
    span = _forecast_span(pc, start, end, warmup)
    w0, o0, o1 = span
    scored = list(dict.fromkeys([*methods, baseline]))
    per, sel = _score_candidates(pc, scored, methods, scorers, all_levels, sel_li, span, seed, progress)
    summary, curves = _summarise(per, methods, level_arr, curve_levels, bootstrap, seed)
    n_periods = int(per["period"].nunique())
    warnings: list[str] = []
    if n_periods == 0:
        raise HotspotError(f"no incidents in the forecast periods {pc.periods[o0]} to {pc.periods[o1]} "
                           "inside the area: nothing to score")

    selected = _nested_selection(pc, sel, scored, methods, baseline, span, select_window, bootstrap, seed,
                                 float(all_levels[sel_li]))
    cand_pai = sel["pai"][np.array([scored.index(m) for m in methods])]
    default = baseline if baseline in methods else methods[0]
    if selected.choices["method"].iloc[0] == default and not np.isfinite(cand_pai[:, :o0 - w0]).any():
        warnings.append(f"no period before {pc.periods[o0]} could be scored, so the first forecast used "
                        f"{default} by default")
    best: str | None
    if selected.periods < 2:
        best = None
        warnings.append(f"only {selected.periods} forecast period with incidents: no method is named best and no "
                        "interval is given; widen --from/--to")
    else:
        best = _choose(cand_pai, methods, o1 - w0 + 1, select_window, default)
        ratio, ratio_ci = selected.ratio, selected.ratio_ci
        if np.isfinite(ratio_ci[1]) and ratio_ci[1] < 1:
            warnings.append(f"the selected procedure scores below the naive {baseline} (PAI ratio {ratio:.3f}, "
                            f"95 % CI {ratio_ci[0]:.3f}-{ratio_ci[1]:.3f}): use {baseline}")
    return BacktestResult(per, summary, curves, curve_levels, best, best_level, n_periods, pc.freq,
                          selected, warnings)


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


# --------------------------------------------------------------------------- the `backtest` command's reading
@dataclass
class CoverageBacktest:
    """A backtest read at one coverage level, as the ``backtest`` command
    shows it: one row per method (PAI at the table's levels and at the
    coverage asked, hit rate, PEI, the PAI interval) and the selected
    procedure.

    Attributes
    ----------
    result : BacktestResult
        The whole backtest (every level scored).
    coverage : float
        The coverage asked, percent of the area's cells.
    table_levels : tuple of float
        The levels (shares) whose PAI the table shows: 1 %, 5 %, 10 % and
        the coverage asked.
    """

    result: BacktestResult
    coverage: float
    table_levels: tuple[float, ...]

    @property
    def level(self) -> float:
        """The coverage asked as a share of the area's cells (0-1)."""
        return self.coverage / 100.0

    def to_json(self) -> dict:
        """The ``backtest --json`` object (:meth:`BacktestResult.to_json` at the coverage asked).

        Returns
        -------
        dict
        """
        return self.result.to_json(self.level)

    def rows(self) -> list[dict]:
        """One row per method, best PAI at the coverage asked first.

        Returns
        -------
        list of dict
            ``method``, ``pai`` (level share -> mean PAI), ``hit_rate`` (share),
            ``pei`` and ``pai_ci95`` (bootstrap 95 % interval of the PAI) at the
            coverage asked.
        """
        s = self.result.summary
        out = []
        for name in self.result.at(self.level)["method"]:
            row = {lv: s[(s.method == name) & np.isclose(s.coverage, lv)].iloc[0] for lv in self.table_levels}
            at = row[self.level]
            out.append({"method": name, "pai": {lv: float(row[lv].pai) for lv in self.table_levels},
                        "hit_rate": float(at.hit_rate), "pei": float(at.pei),
                        "pai_ci95": (float(at.pai_lo), float(at.pai_hi))})
        return out


def backtest_at_coverage(pc: PeriodCounts, *, coverage: float = 5.0, start: str | None = None, end: str | None = None,
                         methods: Sequence[str] | None = None, seed: int = 0, bootstrap: int = 1000,
                         progress: Callable[[int, int], None] | None = None) -> CoverageBacktest:
    """The ``backtest`` command's rolling-origin backtest, with its defaults.

    Parameters
    ----------
    pc : PeriodCounts
        Counts per period and cell (:meth:`PeriodCounts.from_incidents`).
    coverage : float
        Coverage level the methods are ranked and the procedure selected at,
        percent of the area's cells, in (0, 100] (default 5).
    start, end : str, optional
        First and last forecast period (``YYYY-MM`` or a date). Default: from
        the 25th period (the first
        :data:`~hotspot.settings.BACKTEST_WARMUP_PERIODS` periods train) to the
        last.
    methods : sequence of str, optional
        Methods to compare (default :data:`DEFAULT_METHODS`).
    seed : int
        Seed of the bootstrap intervals.
    bootstrap : int
        Bootstrap resamples over periods for the intervals.
    progress : callable, optional
        ``progress(done, total)`` after each forecast period.

    Returns
    -------
    CoverageBacktest
    """
    from . import settings
    from ._errors import OptionError

    chosen = list(methods) if methods else list(DEFAULT_METHODS)
    for m in chosen:
        try:
            check_method(m)
        except ModelError as e:
            raise OptionError(f"--methods: {e}") from None
    if not 0 < coverage <= 100:
        raise OptionError(f"--coverage must be a percentage in (0, 100], got {coverage:g}")
    level = coverage / 100.0
    first = str(pc.periods[min(settings.BACKTEST_WARMUP_PERIODS, len(pc.periods) - 1)])
    res = backtest(pc, start=start or first, end=end or str(pc.periods[-1]), methods=chosen,
                   levels=sorted({*settings.BACKTEST_LEVELS, level}), best_level=level, seed=seed,
                   bootstrap=bootstrap, progress=progress)
    return CoverageBacktest(res, coverage, tuple(sorted({*settings.BACKTEST_TABLE_LEVELS, level})))
