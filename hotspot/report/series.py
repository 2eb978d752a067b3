"""Burglaries per month and the windows the report reads from them: changes,
rolling sums, financial years, and the months that look missing (data
coverage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def change_pct(now: float, before: float) -> float | None:
    """Percentage change, one decimal; None when the base is zero.

    Parameters
    ----------
    now : float
        The later value (e.g. burglaries in the last 12 months).
    before : float
        The base value it is compared with (same unit as ``now``).

    Returns
    -------
    float or None
        ``(now - before) / before`` in percent, rounded to one decimal; None
        when ``before`` is zero (no base to compare with).
    """
    if before == 0:
        return None
    return round((now - before) / before * 100.0, 1)


def monthly_series(incidents: pd.DataFrame, *, end: pd.Period | None = None) -> pd.Series:
    """Incidents per calendar month, zero-filled, indexed by Period.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        One row per burglary with an ``occurred`` timestamp column.
    end : Period, optional
        Last month of the series (monthly Period); default the month of the
        latest incident. Months after the data are filled with zero, so pass
        only an ``end`` the data reach.

    Returns
    -------
    Series
        Burglaries per month (int), indexed by a monthly PeriodIndex from the
        first incident's month to ``end``.
    """
    per = incidents["occurred"].dt.to_period("M")
    last = end if end is not None else per.max()
    idx = pd.period_range(per.min(), last, freq="M")
    return per.value_counts().reindex(idx, fill_value=0).sort_index().astype(int)


def window_sum(series: pd.Series, end: pd.Period, months: int) -> int:
    """Sum of the ``months`` months ending at ``end`` (inclusive).

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex
        (:func:`monthly_series`).
    end : Period
        Last month of the window (included).
    months : int
        Length of the window, months.

    Returns
    -------
    int
        Total count over the window (months absent from ``series`` add 0).
    """
    return int(series.loc[(series.index > end - months) & (series.index <= end)].sum())


def complete_financial_years(series: pd.Series) -> list[int]:
    """Financial years (April of year y to March of y+1) fully in the series.

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex.

    Returns
    -------
    list of int
        The starting years ``y`` of the financial years whose twelve months
        are all in the index, oldest first.
    """
    months = set(series.index)
    out = []
    for y in range(series.index.min().year - 1, series.index.max().year + 1):
        fy = pd.period_range(pd.Period(f"{y}-04", "M"), pd.Period(f"{y + 1}-03", "M"), freq="M")
        if all(p in months for p in fy):
            out.append(y)
    return out


def fy_volume(series: pd.Series, fy: int) -> int:
    """Count over a financial year (April ``fy`` to March ``fy + 1``).

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex.
    fy : int
        Starting year of the financial year (2014 = April 2014 to March
        2015).

    Returns
    -------
    int
        Total count over those twelve months.
    """
    return window_sum(series, pd.Period(f"{fy + 1}-03", "M"), 12)


# --------------------------------------------------------------------------- data coverage


def probably_missing_months(series: pd.Series, *, min_level: float | None = None) -> list[pd.Period]:
    """Months with no incident where the months around them make zero
    implausible: data missing, not a month without burglary.

    A zero month counts as missing when the median of the up to 12 months
    around it (6 either side, excluding itself) is at least ``min_level``
    (default ``settings.MISSING_MONTH_LEVEL``, 5 a month: a Poisson
    probability of a true zero of exp(-5) = 0.7 %).

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex.
    min_level : float, optional
        Median count per month around a zero month from which that zero is
        taken as missing data (default ``settings.MISSING_MONTH_LEVEL``).

    Returns
    -------
    list of Period
        The months that look missing, oldest first.
    """
    from .. import settings

    level = settings.MISSING_MONTH_LEVEL if min_level is None else min_level
    y = series.to_numpy(float)
    out = []
    for i in np.flatnonzero(y == 0):
        around = np.r_[y[max(0, i - 6):i], y[i + 1:i + 7]]
        if len(around) and np.median(around) >= level:
            out.append(series.index[int(i)])
    return out
