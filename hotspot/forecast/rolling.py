"""The rolling-origin backtest (:func:`backtest`): every method scored on each
forecast period from data before it, summarised per method and coverage
level (:class:`BacktestResult`), with the nested selection's score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .._errors import HotspotError, ModelError
from ..metrics import COVERAGE_LEVELS, accuracy, best_hits
from .counts import PeriodCounts
from .methods import (
    DEFAULT_METHODS,
    FEATURES,
    LearnedForecast,
    _sepp,
    baseline_for,
    cached_array,
    check_method,
    method_score,
)
from .selection import SelectedScore, _choose, _nested_selection

if TYPE_CHECKING:
    from ..sepp import GridHawkes


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
    return method_score(pc, m, origin, in_area=True)  # the in-area cells, in the order of `cells`


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
    cells = pc.cells
    learned = LearnedForecast(pc, seed=seed) if "learned" in scored else None
    sepp = _sepp(pc) if "sepp" in scored else None
    origins = range(w0, o1 + 1)
    actual = {o: pc.counts[o].ravel()[cells] for o in origins}
    best = {o: best_hits(actual[o], all_levels) for o in origins}  # the same for every method of a period
    # Methods whose cumulated array nothing else reads (the decays) are scored first, one array at a
    # time, each freed when its method is done: with all eight arrays alive at once the backtest peaked
    # ~110 MB higher for a borough (issue 22). The learned model reads the others at every origin, so
    # those stay for the origin-by-origin pass. The order of scoring changes no score.
    shared = {cached_array(f) for f in FEATURES} if learned is not None else set()
    if sepp is not None and sepp.background_tau is not None:  # its background reads a decayed array
        shared.add(("decay", float(sepp.background_tau)))
    alone: dict[tuple, list[str]] = {}
    for m in scored:
        key = None if m in scorers else cached_array(m)
        if key is not None and key not in shared:
            alone.setdefault(key, []).append(m)
    done: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    for key, ms in alone.items():
        for origin in origins:
            for m in ms:
                done[m, origin] = accuracy(_score_origin(pc, m, origin, cells, scorers, learned, sepp),
                                           actual[origin], all_levels, best=best[origin])
        pc.release(key)
    sel = {k: np.full((len(scored), o1 - w0 + 1), np.nan) for k in ("hit_rate", "pai", "pei")}
    rows = []
    for n_done, origin in enumerate(origins, start=1):
        label = str(pc.periods[origin])  # once per period, not per row (~50 k rows for a borough)
        for mi, m in enumerate(scored):
            acc = done.pop((m, origin), None)
            if acc is None:
                acc = accuracy(_score_origin(pc, m, origin, cells, scorers, learned, sepp), actual[origin],
                               all_levels, best=best[origin])
            if acc["total"][0] > 0:
                for k in sel:
                    sel[k][mi, origin - w0] = acc[k][sel_li]
            if origin < o0 or m not in methods:
                continue
            for li, lev in enumerate(all_levels):
                rows.append((m, label, lev, acc["hits"][li], acc["total"][li],
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
