"""Nested selection: the rule that picks, for each forecast period, the method
with the highest mean PAI over the periods scored before it, and that rule's
out-of-sample score paired with the naive baseline (:class:`SelectedScore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .counts import PeriodCounts


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
