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

The package has one topic per module:

* :mod:`~hotspot.forecast.counts` - incidents binned per period on a grid
  (:class:`PeriodCounts`);
* :mod:`~hotspot.forecast.methods` - the methods, their scores and a
  method's surface (:func:`method_score`, :class:`LearnedForecast`,
  :func:`forecast_surface`);
* :mod:`~hotspot.forecast.selection` - the nested selection rule and its score;
* :mod:`~hotspot.forecast.rolling` - the rolling-origin backtest
  (:func:`backtest`, :class:`BacktestResult`);
* :mod:`~hotspot.forecast.command` - the ``backtest`` command's reading
  (:func:`backtest_at_coverage`).

Drawing is in :mod:`hotspot.render.backtest` and :mod:`hotspot.render.surfaces`.
"""

from .command import CoverageBacktest, backtest_at_coverage
from .counts import PeriodCounts, period_of
from .methods import (
    BASELINE,
    DEFAULT_METHODS,
    FEATURES,
    WEEKLY_BASELINE,
    LearnedForecast,
    baseline_for,
    check_method,
    forecast_surface,
    method_score,
)
from .rolling import BacktestResult, backtest
from .selection import SelectedScore

__all__ = [
    "BASELINE", "DEFAULT_METHODS", "FEATURES", "WEEKLY_BASELINE", "BacktestResult", "CoverageBacktest",
    "LearnedForecast", "PeriodCounts", "SelectedScore", "backtest", "backtest_at_coverage", "baseline_for",
    "check_method", "forecast_surface", "method_score", "period_of",
]
