"""Patrol targets from the best forecast (their backtest at equal effort is
:mod:`hotspot.target_backtest`).

A patrol can visit only so many places, so target plans are compared at
equal effort: the same number ``K`` of targets of the same radius.

* :class:`ForecastBackground` - the background of the nano-beat risk is the
  forecast (:mod:`hotspot.forecast`) that nested selection picks for the
  data: for the period of a planning date, the candidate (``sepp`` and
  decayed counts on exact dates, decayed and plain counts on months) with
  the highest mean PAI, at the targets' share of the area, over the periods
  *before* it. Near-repeat triggering (:class:`hotspot.nanobeats.CellRisk`)
  sits on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from . import settings
from ._errors import OptionError
from .forecast.counts import PeriodCounts, bin_periods, period_of
from .forecast.methods import _sepp, check_method, method_score
from .metrics import accuracy

if TYPE_CHECKING:
    from .grid import Grid
    from .nanobeats.planner import NanoBeatPlanner
    from .nanobeats.sources import Sources
    from .sepp import GridHawkes

__all__ = ["ForecastBackground", "TargetRisk", "dosage"]

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
    return PeriodCounts(grid, mask, periods, bin_periods(per, sources.x[own], sources.y[own], grid, periods), freq)


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
            # one candidate's cumulated arrays at a time, not all of them at once (issue 22: ~90 MB each
            # for a borough); the PAIs are kept, and the chosen one's surface recomputes the same values
            self.pc.release()
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


def _future_cells(src: Sources, grid: Grid, mask: np.ndarray, D: pd.Timestamp, monthly: bool) -> np.ndarray:
    """Flat in-area cells of the area's own burglaries in the period after ``D``."""
    stop = (D + pd.DateOffset(months=1)) if monthly else D + pd.Timedelta(days=7)
    sel = src.own & (src.t >= np.datetime64(D)) & (src.t < np.datetime64(stop))
    row, col, ok = grid.index(src.x[sel], src.y[sel])
    flat = row[ok] * grid.nx + col[ok]
    return flat[mask.ravel()[flat]]


def _flat(groups: list[np.ndarray], nx: int) -> np.ndarray:
    return np.unique(np.concatenate([g[:, 0] * nx + g[:, 1] for g in groups])) if groups else np.empty(0, int)


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
    spacing : {"clear", "touch"}
        How targets keep apart (:func:`hotspot.nanobeats.select_targets`),
        in the past plans the weight is chosen on.
    background : ForecastBackground, optional
        A background already built for this planner and ``n_targets``
        (shared, so its fits and scores are not repeated).
    """

    def __init__(self, planner: NanoBeatPlanner, n_targets: int, *, weights: Sequence[float] = WEIGHTS,
                 lookback: int | None = None, methods: Sequence[str] | None = None, spacing: str = "clear",
                 background: ForecastBackground | None = None):
        if not weights or not all(0 <= w <= 1 for w in weights):
            raise OptionError("background weights must lie between 0 and 1")
        self.planner, self.n_targets, self.weights = planner, int(n_targets), tuple(float(w) for w in weights)
        self.monthly = planner.sources.monthly
        self.lookback = int(lookback or (6 if self.monthly else 8))
        if spacing not in ("clear", "touch"):
            raise OptionError(f"spacing must be 'clear' or 'touch', got {spacing!r}")
        self.spacing = spacing
        self.background = background or ForecastBackground.from_planner(planner, n_targets, methods=methods)
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
            self._caught[D] = np.array([np.isin(future, _flat(p.cells.select((1 - w) * nr + w * bg, self.n_targets,
                                                                            self.spacing), p.grid.nx)).sum() for w in self.weights], float)
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
