"""Patrol targets from the best forecast, and their backtest at equal effort.

A patrol can visit only so many places, so target plans are compared at
equal effort: the same number ``K`` of targets of the same radius.

* :class:`ForecastBackground` - the background of the nano-beat risk is the
  forecast (:mod:`hotspot.forecast`) that nested selection picks for the
  data: for the period of a planning date, the candidate (``sepp`` and
  decayed counts on exact dates, decayed and plain counts on months) with
  the highest mean PAI, at the targets' share of the area, over the periods
  *before* it. Near-repeat triggering (:class:`hotspot.nanobeats.CellRisk`)
  sits on top.
* :func:`backtest_targets` - for each planning date, the planner's targets,
  (a) count discs (the same greedy discs on plain counts over the last two
  years) and (b) near-repeat alone, all with the same ``K`` and radius, are
  scored on the next period's burglaries: share caught, share per km², and
  the ratio to each baseline paired by period with a bootstrap interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from . import settings
from ._errors import HotspotError, OptionError
from .forecast import PeriodCounts, _sepp, check_method, method_score, period_of
from .intake import has_month_dates
from .metrics import accuracy

if TYPE_CHECKING:
    from .areas import Area
    from .grid import Grid
    from .nanobeats import NanoBeatPlanner, Sources
    from .sepp import GridHawkes

__all__ = ["ForecastBackground", "TargetBacktest", "backtest_targets", "dosage"]

#: Candidate background forecasts on exact dates (weekly periods) and on months.
EXACT_CANDIDATES = ("sepp", "decay_26", "decay_52", "decay_104")
MONTHLY_CANDIDATES = ("decay_6", "decay_12", "decay_24", "counts_24")


def sources_period_counts(sources: Sources, grid: Grid, mask: np.ndarray) -> PeriodCounts:
    """The area's own burglaries of ``sources`` binned per period (weeks for
    exact dates, months for month dates) on the planner's grid.

    Parameters
    ----------
    sources : Sources
        The planner's burglaries (context ones are left out: forecasts are
        of the area's own burglaries).
    grid : Grid
        The planner's cells (metres).
    mask : ndarray of bool
        In-area cells.

    Returns
    -------
    PeriodCounts
    """
    freq = "M" if sources.monthly else "W"
    own = sources.own
    per = period_of(pd.Series(sources.t[own]), freq)
    periods = pd.period_range(per.min(), per.max(), freq=freq)
    k = (per - periods[0]).map(lambda d: d.n).to_numpy(np.int64)
    row, col, ok = grid.index(sources.x[own], sources.y[own])
    flat = (k[ok] * grid.ny + row[ok]) * grid.nx + col[ok]
    counts = np.bincount(flat, minlength=len(periods) * grid.ny * grid.nx).reshape(
        len(periods), grid.ny, grid.nx).astype(float)
    return PeriodCounts(grid, mask, periods, counts, freq)


class ForecastBackground:
    """The background risk of nano-beats: the forecast nested selection picks.

    For a planning date in period ``t``, each candidate is scored (PAI at
    ``coverage``) on every period in the ``window`` periods before ``t``,
    from data before that period only; the one with the highest mean is the
    background for ``t``. Nothing from period ``t`` or later is used.

    Parameters
    ----------
    pc : PeriodCounts
        Burglaries per period on the planner's grid.
    coverage : float
        Share of the area's cells (0-1) the PAI is measured at: the targets'
        share of the area.
    methods : sequence of str, optional
        Candidates (default :data:`EXACT_CANDIDATES` on weekly periods,
        :data:`MONTHLY_CANDIDATES` on months).
    window : int, optional
        Periods the choice looks back over (default 26 weeks or 12 months).
    """

    def __init__(self, pc: PeriodCounts, *, coverage: float, methods: Sequence[str] | None = None,
                 window: int | None = None):
        weekly = pc.freq.startswith("W")
        self.pc = pc
        self.methods = tuple(check_method(m) for m in (methods or (EXACT_CANDIDATES if weekly else MONTHLY_CANDIDATES)))
        if not self.methods:
            raise OptionError("no background forecast candidates given")
        if not 0 < coverage <= 1:
            raise OptionError(f"coverage must be a share in (0, 1], got {coverage:g}")
        self.coverage = float(coverage)
        self.window = int(window or (26 if weekly else 12))
        self.cells = np.flatnonzero(pc.mask.ravel())
        self._sepp: GridHawkes | None = None
        if "sepp" in self.methods:
            # refitted once per window (an EM fit of two years of a city's weeks takes a minute or more);
            # always on periods before the one it forecasts
            self._sepp = _sepp(pc)
            self._sepp.refit = self.window
        self._pai: dict[tuple[str, int], float] = {}
        self._fits: dict[int, dict[str, Any] | None] = {}

    @classmethod
    def from_planner(cls, planner: NanoBeatPlanner, n_targets: int, **kw: Any) -> "ForecastBackground":
        """The background for a planner's grid, measured at the share of the
        area ``n_targets`` discs of its target radius cover.

        Parameters
        ----------
        planner : NanoBeatPlanner
            The planner (its sources, grid, mask and target disc).
        n_targets : int
            Targets per plan.
        **kw
            ``methods`` and ``window`` (periods), as for the class.

        Returns
        -------
        ForecastBackground
        """
        share = min(1.0, n_targets * planner.cells.disc.sum() / max(int(planner.mask.sum()), 1))
        return cls(sources_period_counts(planner.sources, planner.grid, planner.mask), coverage=share, **kw)

    def origin(self, as_of: pd.Timestamp) -> int:
        """The period a planning date falls in (only earlier periods are used).

        Parameters
        ----------
        as_of : Timestamp
            The planning date.

        Returns
        -------
        int
            Index into the periods (may be past the data).
        """
        return self.pc.index_of(as_of)

    def score(self, method: str, origin: int) -> np.ndarray:
        """A candidate's forecast for period ``origin``, from earlier periods.

        Parameters
        ----------
        method : str
            One of :attr:`methods`.
        origin : int
            Index of the forecast period.

        Returns
        -------
        ndarray
            ``(ny, nx)`` scores, 0 outside the area.
        """
        if method == "sepp":
            assert self._sepp is not None  # built whenever "sepp" is a candidate
            # one fit per block of `window` periods, on the periods before the block: the same parameters
            # whatever order origins are asked in (GridHawkes alone refits when asked for an earlier origin)
            block = (origin // self.window) * self.window
            if block not in self._fits:
                self._fits[block] = self._sepp.fit(block) or None
            self._sepp.params, self._sepp._fitted_at = self._fits[block], block
            s = self._sepp.score(origin)
        else:
            s = method_score(self.pc, method, origin)
        return np.where(self.pc.mask, np.clip(s, 0.0, None), 0.0)

    def _past_pai(self, method: str, origin: int) -> float:
        """PAI of ``method``'s forecast of period ``origin`` (NaN: no burglary)."""
        key = (method, origin)
        if key not in self._pai:
            actual = self.pc.counts[origin].ravel()[self.cells]
            acc = accuracy(self.score(method, origin).ravel()[self.cells], actual, [self.coverage])
            self._pai[key] = float(acc["pai"][0]) if acc["total"][0] > 0 else float("nan")
        return self._pai[key]

    def choose(self, origin: int) -> tuple[str, dict[str, float]]:
        """The candidate with the highest mean PAI over the scored periods
        before ``origin`` (the first candidate when none could be scored).

        Parameters
        ----------
        origin : int
            Index of the period planned for.

        Returns
        -------
        method : str
        means : dict
            Candidate -> mean PAI over the periods looked at (NaN: none).
        """
        past = range(max(origin - self.window, 1), min(origin, len(self.pc.periods)))
        means = {}
        for m in self.methods:
            v = np.array([self._past_pai(m, o) for o in past])
            v = v[np.isfinite(v)]
            means[m] = float(v.mean()) if len(v) else float("nan")
        finite = {m: v for m, v in means.items() if np.isfinite(v)}
        return (max(finite, key=lambda m: finite[m]) if finite else self.methods[0]), means

    def surface(self, as_of: pd.Timestamp) -> tuple[np.ndarray, dict[str, Any]]:
        """The chosen forecast as of a planning date, summing to 1 over the area.

        Parameters
        ----------
        as_of : Timestamp
            The planning date.

        Returns
        -------
        surface : ndarray
            ``(ny, nx)``, summing to 1 (all zero when the forecast is).
        about : dict
            ``method``, ``period``, ``rule``, ``candidates`` (mean PAI each).
        """
        origin = self.origin(as_of)
        method, means = self.choose(origin)
        s = self.score(method, origin)
        total = s.sum()
        about = {"method": method, "period": str(self.pc.periods[0] + origin),
                 "rule": f"highest mean PAI at {100 * self.coverage:.2f} % of the area over the "
                         f"{self.window} {'weeks' if self.pc.freq.startswith('W') else 'months'} before",
                 "candidates": {m: (None if not np.isfinite(v) else round(v, 3)) for m, v in means.items()}}
        return (s / total if total > 0 else s), about


def dosage(n_targets: int, *, visit_minutes: float | None = None, visits: int | None = None) -> dict[str, Any]:
    """Recommended patrol dosage (Koper curve) and the officer-minutes a plan needs.

    Koper (1995): stops of about 10-15 minutes deter longest; visits are
    repeated at unpredictable times, about every 2 hours while the risk
    lasts.

    Parameters
    ----------
    n_targets : int
        Targets in the plan.
    visit_minutes : float, optional
        Minutes per visit (default :data:`~hotspot.settings.DOSAGE_VISIT_MIN`).
    visits : int, optional
        Visits per target per shift (default
        :data:`~hotspot.settings.DOSAGE_VISITS_PER_SHIFT`).

    Returns
    -------
    dict
        ``visit_minutes``, ``revisit_within_hours``, ``visits_per_shift``,
        ``minutes_per_target`` and ``officer_minutes`` (per shift).
    """
    minutes = settings.DOSAGE_VISIT_MIN if visit_minutes is None else float(visit_minutes)
    per_shift = settings.DOSAGE_VISITS_PER_SHIFT if visits is None else int(visits)
    if not 0 < minutes <= 60 or per_shift < 1:
        raise OptionError(f"dosage: a visit of {minutes:g} minutes, {per_shift} per shift is outside 0-60 min, >= 1")
    return {"visit_minutes": minutes, "revisit_within_hours": settings.DOSAGE_REVISIT_HOURS,
            "visits_per_shift": per_shift, "minutes_per_target": minutes * per_shift,
            "officer_minutes": minutes * per_shift * int(n_targets),
            "basis": "Koper curve: 10-15 min stops, revisits at random within about 2 h in the risk window"}


# --------------------------------------------------------------------------- the backtest at equal effort
PLANNER = "nano-beats (forecast + near-repeat)"
COUNT_DISCS = "count discs (two years)"
NEAR_REPEAT = "near-repeat alone"


@dataclass
class TargetBacktest:
    """Target plans scored on the next period at equal effort.

    Attributes
    ----------
    periods : DataFrame
        One row per planning date and method: ``date, method, incidents,
        caught, area_km2`` (and the planner's ``background`` method).
    summary : DataFrame
        Per method: ``plans, incidents, caught, caught_share`` (pooled),
        ``area_km2`` (mean per plan), ``share_per_km2``, and for the
        planner the ratio of its caught share to each baseline with a
        paired bootstrap 95 % interval over periods.
    n_targets : int
    target_radius : float
        Metres.
    horizon : str
        ``"7 days"`` or ``"1 month"``.
    warnings : list of str
    """

    periods: pd.DataFrame
    summary: pd.DataFrame
    n_targets: int
    target_radius: float
    horizon: str
    warnings: list[str] = field(default_factory=list)

    def ratios(self) -> dict[str, dict[str, float]]:
        """The planner's caught share over each baseline's.

        Returns
        -------
        dict
            Baseline -> ``{"ratio", "lo", "hi"}`` (paired bootstrap 95 %).
        """
        row = {str(k): v for k, v in self.summary[self.summary["method"] == PLANNER].iloc[0].items()}
        return {b: {"ratio": float(row[f"ratio_{k}"]), "lo": float(row[f"ratio_{k}_lo"]),
                    "hi": float(row[f"ratio_{k}_hi"])} for k, b in (("counts", COUNT_DISCS), ("nr", NEAR_REPEAT))}

    def to_json(self) -> dict:
        """The ``backtest --targets --json`` object (NaN as null).

        Returns
        -------
        dict
        """
        def r(v: Any, n: int = 4) -> Any:
            return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else round(float(v), n)
        methods = {row["method"]: {"plans": int(row["plans"]), "incidents": int(row["incidents"]),
                                   "caught": int(row["caught"]), "caught_share": r(row["caught_share"], 5),
                                   "area_km2": r(row["area_km2"]), "share_per_km2": r(row["share_per_km2"])}
                   for row in self.summary.to_dict("records")}
        used = self.periods.loc[self.periods["method"] == PLANNER, "background"].value_counts()
        return {"targets": self.n_targets, "target_radius_m": self.target_radius, "horizon": self.horizon,
                "plans": int(self.periods["date"].nunique()), "methods": methods,
                "vs": {b: {k: r(v) for k, v in d.items()} for b, d in self.ratios().items()},
                "background_used": {str(k): int(v) for k, v in used.items()},
                "paired": "same planning dates, same K and radius; bootstrap over planning dates",
                "warnings": list(self.warnings)}


def _count_disc_risk(src: Sources, grid: Grid, mask: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Plain counts per cell of the area's own burglaries over the two years
    before ``as_of`` (24 months for month dates), summing to 1."""
    idx, age = src.ages(as_of)
    keep = src.own[idx] & ((age <= 24) if src.monthly else (age < 730))
    c = np.where(mask, grid.bin(src.x[idx][keep], src.y[idx][keep]), 0.0)
    return c / c.sum() if c.sum() > 0 else c


def _planning_dates(start: str | pd.Timestamp, end: str | pd.Timestamp, step: int, monthly: bool) -> pd.DatetimeIndex:
    """Every ``step`` weeks (exact dates; ``start`` itself first) or months."""
    if step < 1:
        raise OptionError(f"--step must be at least 1 period, got {step}")
    if monthly:
        return pd.period_range(pd.Timestamp(start).to_period("M"), pd.Timestamp(end).to_period("M"),
                               freq=f"{step}M").to_timestamp()
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=f"{7 * step}D")


def _future_cells(src: Sources, grid: Grid, mask: np.ndarray, D: pd.Timestamp, monthly: bool) -> np.ndarray:
    """Flat in-area cells of the area's own burglaries in the period after ``D``."""
    stop = (D + pd.DateOffset(months=1)) if monthly else D + pd.Timedelta(days=7)
    sel = src.own & (src.t >= np.datetime64(D)) & (src.t < np.datetime64(stop))
    row, col, ok = grid.index(src.x[sel], src.y[sel])
    flat = row[ok] * grid.nx + col[ok]
    return flat[mask.ravel()[flat]]


def _flat(groups: list[np.ndarray], nx: int) -> np.ndarray:
    return np.unique(np.concatenate([g[:, 0] * nx + g[:, 1] for g in groups])) if groups else np.empty(0, int)


def _paired_ratio(num: np.ndarray, den: np.ndarray, tot: np.ndarray, idx: np.ndarray) -> tuple[float, float, float]:
    """Ratio of pooled caught shares (``num`` and ``den`` caught per plan,
    ``tot`` burglaries) with a paired bootstrap 95 % interval."""
    ratio = num.sum() / den.sum() if den.sum() > 0 else float("nan")
    if not idx.size:
        return float(ratio), float("nan"), float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        rb = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    rb = rb[np.isfinite(rb)]
    if not len(rb):
        return float(ratio), float("nan"), float("nan")
    return float(ratio), float(np.quantile(rb, 0.025)), float(np.quantile(rb, 0.975))


def _summarise(per: pd.DataFrame, bootstrap: int, seed: int) -> pd.DataFrame:
    """Pooled share caught per method, and the planner's paired ratios."""
    g = per.groupby("method", sort=False)
    s = g.agg(plans=("date", "size"), incidents=("incidents", "sum"), caught=("caught", "sum"),
              area_km2=("area_km2", "mean")).reset_index()
    s["caught_share"] = s["caught"] / s["incidents"].where(s["incidents"] > 0)
    s["share_per_km2"] = s["caught_share"] / s["area_km2"]
    wide = per.pivot(index="date", columns="method", values="caught")
    tot = per.drop_duplicates("date").set_index("date")["incidents"].reindex(wide.index).to_numpy(float)
    n = len(wide)
    rng = np.random.default_rng([seed, 20])
    idx = rng.integers(0, n, size=(bootstrap, n)) if bootstrap and n > 1 else np.empty((0, n), int)
    for key, base in (("counts", COUNT_DISCS), ("nr", NEAR_REPEAT)):
        ratio, lo, hi = _paired_ratio(wide[PLANNER].to_numpy(float), wide[base].to_numpy(float), tot, idx)
        for col, v in ((f"ratio_{key}", ratio), (f"ratio_{key}_lo", lo), (f"ratio_{key}_hi", hi)):
            s[col] = np.where(s["method"] == PLANNER, v, np.nan)
    return s


PREVIOUS = "nano-beats (history + near-repeat)"
#: the planner's risk with targets shaped by it (:func:`hotspot.nanobeats.select_targets` ``keep``)
SHAPED = "nano-beats, risk-shaped outlines"
#: a cell stays in a risk-shaped target with at least this share of the target's riskiest cell's risk
SHAPE_KEEP = 0.1
FORECAST_ALONE = "forecast alone"


def backtest_targets(incidents: gpd.GeoDataFrame, area: Area, *, n_targets: int = 10,
                     target_radius: float = settings.NANOBEAT_TARGET_RADIUS_M, start: str | pd.Timestamp | None = None,
                     end: str | pd.Timestamp | None = None, step: int = 1, distance: float | None = None,
                     window: float | None = None, cell: float = settings.NANOBEAT_CELL_M,
                     methods: Sequence[str] | None = None,
                     bootstrap: int = settings.BACKTEST_BOOTSTRAP, seed: int = 0,
                     progress: Callable[[int, int], None] | None = None) -> TargetBacktest:
    """Score the nano-beat planner against count discs and near-repeat alone
    at equal effort (``n_targets`` targets of ``target_radius`` metres each).

    For each planning date D (every ``step`` weeks from ``start`` on exact
    dates, every ``step`` months on month dates) every method plans from
    burglaries before D only and is scored on the area's burglaries of the
    next 7 days (the next month): share caught and share per km² of
    target area. Also shown for reference: the previous nano-beat risk
    (decayed history within 50 m), the forecast alone, and the planner's
    targets cut to the cells with at least :data:`SHAPE_KEEP` of their
    riskiest cell's risk (risk-shaped outlines, never larger than the disc).

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area.
    n_targets : int
        Targets per plan, K.
    target_radius : float
        Radius of each target, metres.
    start, end : str or Timestamp, optional
        First and last planning date (default: from two years after the
        data start to the last full period).
    step : int
        Weeks (months) between planning dates.
    distance : float, optional
        Near-repeat distance, metres (default
        :data:`~hotspot.settings.NANOBEAT_DISTANCE_M`).
    window : float, optional
        Near-repeat window, days (months for month dates).
    cell : float
        Cell size, metres.
    methods : sequence of str, optional
        Background candidates (:class:`ForecastBackground`).
    bootstrap : int
        Bootstrap resamples of planning dates.
    seed : int
        Seed of the bootstrap.
    progress : callable, optional
        ``progress(done, total)`` after each planning date.

    Returns
    -------
    TargetBacktest
    """
    from .nanobeats import DEFAULT_HISTORY_WEIGHT, NanoBeatPlanner, select_targets

    if n_targets < 1:
        raise OptionError(f"--targets must be at least 1, got {n_targets}")
    monthly_data = has_month_dates(incidents)
    w = DEFAULT_HISTORY_WEIGHT
    planner = NanoBeatPlanner(incidents, area, distance=distance or settings.NANOBEAT_DISTANCE_M,
                              days=window or (settings.NANOBEAT_MONTHS if monthly_data else settings.NANOBEAT_DAYS),
                              cell=cell, target_radius=target_radius, history_weight=w, background="history")
    src, grid, mask, model = planner.sources, planner.grid, planner.mask, planner.cells
    target_risk = TargetRisk(planner, n_targets, methods=methods)
    t0 = pd.Timestamp(src.t.min())
    first = (t0 + pd.DateOffset(years=2)).to_period("M").to_timestamp() if src.monthly else \
        t0 + pd.DateOffset(years=2) + pd.offsets.Week(weekday=0)
    last = pd.Timestamp(src.t.max())
    dates = _planning_dates(start or first, end or last, step, src.monthly)
    dates = dates[dates <= last]
    if not len(dates):
        raise HotspotError(f"no planning date between {start or first} and {end or last} inside the data")
    cell_km2 = grid.cell_area_km2
    rows = []
    for k, D in enumerate(dates):
        nr, hist = model.components(D)
        planned, about = target_risk.risk(D)
        bg, _ = target_risk.background.surface(D)
        risks = {PLANNER: planned, COUNT_DISCS: _count_disc_risk(src, grid, mask, D),
                 NEAR_REPEAT: nr, PREVIOUS: (1 - w) * nr + w * hist, FORECAST_ALONE: bg}
        future = _future_cells(src, grid, mask, D, src.monthly)
        for name, risk in (risks | {SHAPED: planned}).items():
            groups = (select_targets(risk, mask, model.disc, model.exclusion, n_targets, keep=SHAPE_KEEP)
                      if name == SHAPED else model.select(risk, n_targets))
            cells = _flat(groups, grid.nx)
            rows.append((D, name, len(future), int(np.isin(future, cells).sum()), len(cells) * cell_km2,
                         about["method"] if name in (PLANNER, FORECAST_ALONE) else "",
                         about["weight"] if name == PLANNER else np.nan))
        if progress:
            progress(k + 1, len(dates))
    per = pd.DataFrame(rows, columns=["date", "method", "incidents", "caught", "area_km2", "background",
                                     "weight"])
    warnings = []
    if per["incidents"].sum() == 0:
        raise HotspotError("no burglary in the periods after the planning dates: nothing to score")
    if len(dates) < 2:
        warnings.append("only one planning date: no interval is given; widen --from/--to")
    res = TargetBacktest(per, _summarise(per, bootstrap, seed), n_targets, float(target_radius),
                         "1 month" if src.monthly else "7 days", warnings)
    upper = res.ratios()[COUNT_DISCS]["hi"]
    if np.isfinite(upper) and upper < 1:
        warnings.append(f"the planner catches fewer burglaries than count discs (ratio "
                        f"{res.ratios()[COUNT_DISCS]['ratio']:.3f}, 95 % CI wholly below 1): patrol the count discs")
    return res


#: Candidate shares of the forecast background in the risk (the rest is near-repeat).
WEIGHTS = (0.7, 0.85, 0.95, 1.0)


class TargetRisk:
    """Nano-beat risk: near-repeat on top of the forecast background, mixed as
    ``(1 - w) * near_repeat + w * forecast``, with ``w`` chosen by nested
    selection: the weight whose targets caught the most burglaries over the
    ``lookback`` planning dates one period apart before the date planned for
    (each scored on the period after it, which ends by that date).

    Parameters
    ----------
    planner : NanoBeatPlanner
        Its grid model (:class:`hotspot.nanobeats.CellRisk`) plans and scores.
    n_targets : int
        Targets per plan (K), and the coverage of the forecast choice.
    weights : sequence of float
        Candidate background shares (0-1).
    lookback : int, optional
        Past planning dates the weight is chosen on (default 8 weeks or 6 months).
    methods : sequence of str, optional
        Background candidates (:class:`ForecastBackground`).
    """

    def __init__(self, planner: NanoBeatPlanner, n_targets: int, *, weights: Sequence[float] = WEIGHTS,
                 lookback: int | None = None, methods: Sequence[str] | None = None):
        if not weights or not all(0 <= w <= 1 for w in weights):
            raise OptionError("background weights must lie between 0 and 1")
        self.planner, self.n_targets, self.weights = planner, int(n_targets), tuple(float(w) for w in weights)
        self.monthly = planner.sources.monthly
        self.lookback = int(lookback or (6 if self.monthly else 8))
        self.background = ForecastBackground.from_planner(planner, n_targets, methods=methods)
        self._caught: dict[pd.Timestamp, np.ndarray] = {}

    def _step(self, D: pd.Timestamp, k: int) -> pd.Timestamp:
        return D - pd.DateOffset(months=k) if self.monthly else D - pd.Timedelta(days=7 * k)

    def parts(self, D: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """Near-repeat and forecast background on the planner's cells as of ``D``.

        Parameters
        ----------
        D : Timestamp
            The planning date.

        Returns
        -------
        near_repeat, background : ndarray
            ``(ny, nx)``, each summing to 1 (or all zero).
        about : dict
            The background's method and rule (:meth:`ForecastBackground.surface`).
        """
        nr, _ = self.planner.cells.components(D)
        bg, about = self.background.surface(D)
        return nr, bg, about

    def _caught_at(self, D: pd.Timestamp) -> np.ndarray:
        """Burglaries of the period after ``D`` each weight's targets caught."""
        if D not in self._caught:
            p = self.planner
            nr, bg, _ = self.parts(D)
            future = _future_cells(p.sources, p.grid, p.mask, D, self.monthly)
            self._caught[D] = np.array([np.isin(future, _flat(p.cells.select((1 - w) * nr + w * bg, self.n_targets),
                                                              p.grid.nx)).sum() for w in self.weights], float)
        return self._caught[D]

    def choose_weight(self, D: pd.Timestamp) -> tuple[float, dict[str, float]]:
        """The weight whose targets caught the most over the past planning
        dates (ties: the smallest weight, i.e. the most near-repeat).

        Parameters
        ----------
        D : Timestamp
            The planning date; past dates' scoring periods end by it.

        Returns
        -------
        weight : float
        caught : dict
            Weight (as text) -> burglaries caught over the past dates.
        """
        t0 = np.datetime64(pd.Timestamp(self.planner.sources.t.min()))
        past = [self._step(D, k) for k in range(self.lookback, 0, -1)]
        past = [d for d in past if np.datetime64(d) > t0]
        total = np.sum([self._caught_at(d) for d in past], axis=0) if past else np.zeros(len(self.weights))
        return self.weights[int(np.argmax(total))], {f"{w:g}": float(c) for w, c in zip(self.weights, total)}

    def risk(self, D: pd.Timestamp) -> tuple[np.ndarray, dict[str, Any]]:
        """The risk per cell as of ``D`` and what it is made of.

        Parameters
        ----------
        D : Timestamp
            The planning date.

        Returns
        -------
        risk : ndarray
            ``(ny, nx)``, summing to at most 1.
        about : dict
            ``method`` (background forecast), ``weight`` and how each was chosen.
        """
        w, caught = self.choose_weight(D)
        nr, bg, about = self.parts(D)
        about = about | {"weight": w, "weight_rule": f"most burglaries caught by K={self.n_targets} targets over "
                                                     f"the {self.lookback} {'months' if self.monthly else 'weeks'} "
                                                     "before", "weight_caught": caught}
        return (1 - w) * nr + w * bg, about
