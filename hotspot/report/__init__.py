"""The partnership board's burglary performance report.

For an area and a reporting month M:

* **latest quarter** - the three months ending M, and the change against the
  same three months a year before;
* **rolling 12 months** - the twelve months ending M against the twelve
  before;
* **baseline** - the rolling 12 months against a baseline financial year
  (April-March; the earliest complete one in the data unless given);
* **rates** per 1,000 residents and per 1,000 households (rolling 12 months);
* **London rank** of the rolling-12-month rate per 1,000 residents among all
  boroughs in the London LSOA counts (1 = highest rate), and the rank within
  a **peer group** (given, or the boroughs nearest in population density and
  deprivation - standardised, Euclidean - plus the area);
* **exceptions** - months (in the 24 up to M) outside the expected range of a
  Poisson model with calendar-month effects and a linear trend, fitted to
  the 60 months up to M (a local trend: burglary's long-run path is not a
  straight line; refitted once without months beyond the limit, so a spike
  does not hide itself), with a quasi-Poisson band of ``z`` standard
  deviations (default 2.5: about 1 month in 80 by chance);
* **RAG** (:func:`rag_rating`) - by the rolling-12-month change: GREEN at or
  below ``-green`` %, RED at or above ``+red`` %, AMBER between; a high
  exception in the latest quarter lifts GREEN to AMBER.

``change_pct`` values are percentages rounded to one decimal.

The package has one topic per module:

* :mod:`~hotspot.report.series` - burglaries per month, windows, changes,
  financial years, months that look missing;
* :mod:`~hotspot.report.trend` - the expected range (Poisson GLM) and its
  exceptions;
* :mod:`~hotspot.report.rag` - the RAG rating and its caveats;
* :mod:`~hotspot.report.london` - the London reference (LSOA names as
  boroughs, :class:`LondonContext`);
* :mod:`~hotspot.report.core` - :func:`build_report`, the rates and ranks;
* :mod:`~hotspot.report.command` - the ``report`` command's report
  (:func:`area_report`, :func:`data_source`).

Drawing is in :mod:`hotspot.render.report`.
"""

from .command import area_report, data_source
from .core import PerformanceReport, build_report, change_basis, small_rate_bases
from .london import LondonContext, borough_of_lsoa_name
from .rag import rag_rating, rag_with_caveats
from .series import (
    change_pct,
    complete_financial_years,
    fy_volume,
    monthly_series,
    probably_missing_months,
    window_sum,
)
from .trend import expected_range, poisson_glm

__all__ = [
    "LondonContext", "PerformanceReport", "area_report", "borough_of_lsoa_name", "build_report", "change_basis",
    "change_pct", "complete_financial_years", "data_source", "expected_range", "fy_volume", "monthly_series",
    "poisson_glm", "probably_missing_months", "rag_rating", "rag_with_caveats", "small_rate_bases", "window_sum",
]
