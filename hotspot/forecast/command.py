"""The ``backtest`` command's reading of a backtest: one coverage level, its
defaults and its table (:func:`backtest_at_coverage`, :class:`CoverageBacktest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .._errors import ModelError
from .counts import PeriodCounts
from .methods import DEFAULT_METHODS, check_method
from .rolling import BacktestResult, backtest


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
    from .. import settings
    from .._errors import OptionError

    chosen = list(methods) if methods else list(DEFAULT_METHODS)
    for m in chosen:
        try:
            check_method(m)
        except ModelError as e:
            raise OptionError(f"methods=: {e}", param='methods') from None
    if not 0 < coverage <= 100:
        raise OptionError(f"coverage= must be a percentage in (0, 100], got {coverage:g}", param='coverage')
    level = coverage / 100.0
    first = str(pc.periods[min(settings.BACKTEST_WARMUP_PERIODS, len(pc.periods) - 1)])
    res = backtest(pc, start=start or first, end=end or str(pc.periods[-1]), methods=chosen,
                   levels=sorted({*settings.BACKTEST_LEVELS, level}), best_level=level, seed=seed,
                   bootstrap=bootstrap, progress=progress)
    return CoverageBacktest(res, coverage, tuple(sorted({*settings.BACKTEST_TABLE_LEVELS, level})))
