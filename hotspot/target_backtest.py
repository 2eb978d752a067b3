"""Nano-beat targets backtested at equal effort (was the second half of
:mod:`hotspot.targets`).

:func:`backtest_targets` - for each planning date, the planner's targets,
(a) count discs (the same greedy discs on plain counts over the last two
years) and (b) near-repeat alone, all with the same ``K`` and radius, are
scored on the next period's burglaries: share caught, share per km², and the
ratio to each baseline paired by period with a bootstrap interval.

Its own module because it runs the planner (:mod:`hotspot.nanobeats`), which
builds on :mod:`hotspot.targets`: so the imports go one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from . import settings
from ._errors import HotspotError, OptionError
from .nanobeats.planner import DEFAULT_HISTORY_WEIGHT, NanoBeatPlanner
from .nanobeats.selection import grow_targets, select_targets
from .periods import Window, data_time_unit
from .targets import TargetRisk, _flat, _future_cells

if TYPE_CHECKING:
    from .areas import Area
    from .grid import Grid
    from .nanobeats.sources import Sources

__all__ = ["COUNT_DISCS", "NEAR_REPEAT", "PLANNER", "TargetBacktest", "backtest_targets"]

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
            Baseline -> ``{"ratio", "lo", "hi"}`` (paired bootstrap 95 %);
            with touching discs also ``"<TOUCH> / <TOUCH_COUNTS>"``.
        """
        row = {str(k): v for k, v in self.summary[self.summary["method"] == PLANNER].iloc[0].items()}
        out = {b: {"ratio": float(row[f"ratio_{k}"]), "lo": float(row[f"ratio_{k}_lo"]),
                   "hi": float(row[f"ratio_{k}_hi"])} for k, b in (("counts", COUNT_DISCS), ("nr", NEAR_REPEAT))}
        touch = self.summary[self.summary["method"] == TOUCH]
        if len(touch):  # touching discs over count discs placed the same way (``touching=True``)
            t = touch.iloc[0]
            out[f"{TOUCH} / {TOUCH_COUNTS}"] = {"ratio": float(t["ratio_counts"]), "lo": float(t["ratio_counts_lo"]),
                                                "hi": float(t["ratio_counts_hi"])}
        return out

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
        raise OptionError(f"step= must be at least 1 period, got {step}", param='step')
    if monthly:
        return pd.period_range(pd.Timestamp(start).to_period("M"), pd.Timestamp(end).to_period("M"),
                               freq=f"{step}M").to_timestamp()
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=f"{7 * step}D")


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
    pairs = [(PLANNER, "counts", COUNT_DISCS), (PLANNER, "nr", NEAR_REPEAT)]
    if TOUCH in wide:  # touching discs against count discs placed the same way
        pairs.append((TOUCH, "counts", TOUCH_COUNTS))
    for col in ("ratio_counts", "ratio_counts_lo", "ratio_counts_hi", "ratio_nr", "ratio_nr_lo", "ratio_nr_hi"):
        s[col] = np.nan
    for method, key, base in pairs:
        ratio, lo, hi = _paired_ratio(wide[method].to_numpy(float), wide[base].to_numpy(float), tot, idx)
        for col, v in ((f"ratio_{key}", ratio), (f"ratio_{key}_lo", lo), (f"ratio_{key}_hi", hi)):
            s.loc[s["method"] == method, col] = v
    return s


PREVIOUS = "nano-beats (history + near-repeat)"
#: the planner's risk with targets shaped by it (:func:`hotspot.nanobeats.select_targets` ``keep``)
SHAPED = "nano-beats, risk-shaped outlines"
#: a cell stays in a risk-shaped target with at least this share of the target's riskiest cell's risk
SHAPE_KEEP = 0.1
FORECAST_ALONE = "forecast alone"
#: the planner's risk with areas of the disc's size grown over the risk (:func:`grow_targets`)
GROWN = "nano-beats, risk-grown areas (disc area)"
#: count risk with areas grown the same way (the fair comparison for :data:`GROWN`)
GROWN_COUNTS = "count areas, risk-grown (disc area)"
#: the planner with touching discs (``select_targets(spacing="touch")``: only overlaps ruled out, the ring
#: round each target not cleared), its weight chosen with touching discs too
TOUCH = "nano-beats, touching discs"
#: count discs placed by the same touching rule (the fair comparison for :data:`TOUCH`)
TOUCH_COUNTS = "count discs, touching"


def backtest_targets(incidents: gpd.GeoDataFrame, area: Area, *, n_targets: int = 10,
                     target_radius: float = settings.NANOBEAT_TARGET_RADIUS_M, start: str | pd.Timestamp | None = None,
                     end: str | pd.Timestamp | None = None, step: int = 1, distance: float | None = None,
                     window: float | Window | None = None, cell: float = settings.NANOBEAT_CELL_M,
                     methods: Sequence[str] | None = None,
                     bootstrap: int = settings.BACKTEST_BOOTSTRAP, seed: int = 0, touching: bool = False,
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
    window : float or Window, optional
        Near-repeat window: a :class:`~hotspot.periods.Window` (days are
        refused on month-only dates), or a number in the data's time unit
        (:func:`~hotspot.periods.data_time_unit`: days, months for month
        dates). Default :data:`~hotspot.settings.NANOBEAT_DAYS` days or
        :data:`~hotspot.settings.NANOBEAT_MONTHS` months.
    cell : float
        Cell size, metres.
    methods : sequence of str, optional
        Background candidates (:class:`ForecastBackground`).
    bootstrap : int
        Bootstrap resamples of planning dates.
    seed : int
        Seed of the bootstrap.
    touching : bool
        Also score the planner and count discs with touching discs
        (:data:`TOUCH`, :data:`TOUCH_COUNTS`: only overlaps ruled out, the
        ring round each target not cleared), and their paired ratio.
    progress : callable, optional
        ``progress(done, total)`` after each planning date.

    Returns
    -------
    TargetBacktest
    """
    if n_targets < 1:
        raise OptionError(f"n_targets= must be at least 1, got {n_targets}", param='n_targets')
    unit = data_time_unit(incidents)
    if window is not None and not isinstance(window, Window):  # a number in the data's own unit
        window = Window(window, unit)
    if window is not None and window.unit == "month" and unit == "day":
        # the backtest reads the planner's cells directly, so months could not follow each planning date
        raise OptionError(f"window={window!r}: the target backtest on dates with days takes a window in days")
    w = DEFAULT_HISTORY_WEIGHT
    planner = NanoBeatPlanner(incidents, area, distance=distance or settings.NANOBEAT_DISTANCE_M, window=window,
                              cell=cell, target_radius=target_radius, history_weight=w, background="history")
    src, grid, mask, model = planner.sources, planner.grid, planner.mask, planner.cells
    target_risk = TargetRisk(planner, n_targets, methods=methods)
    # the same background (its fits and PAIs), only the weight is chosen again with touching discs
    touch_risk = TargetRisk(planner, n_targets, spacing="touch", background=target_risk.background) \
        if touching else None
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
        extra = {SHAPED: planned, GROWN: planned, GROWN_COUNTS: risks[COUNT_DISCS]}
        touch_about: dict[str, Any] = {}
        if touch_risk is not None:
            extra[TOUCH], touch_about = touch_risk.risk(D)
            extra[TOUCH_COUNTS] = risks[COUNT_DISCS]
        for name, risk in (risks | extra).items():
            if name in (TOUCH, TOUCH_COUNTS):
                groups = model.select(risk, n_targets, spacing="touch")
            elif name == SHAPED:
                groups = select_targets(risk, mask, model.disc, model.exclusion, n_targets, keep=SHAPE_KEEP)
            elif name in (GROWN, GROWN_COUNTS):
                groups = grow_targets(risk, mask, model.disc, model.exclusion, n_targets)
            else:
                groups = model.select(risk, n_targets)
            cells = _flat(groups, grid.nx)
            rows.append((D, name, len(future), int(np.isin(future, cells).sum()), len(cells) * cell_km2,
                         about["method"] if name in (PLANNER, FORECAST_ALONE, TOUCH) else "",
                         about["weight"] if name == PLANNER else touch_about["weight"] if name == TOUCH else np.nan))
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
