"""Campaign timing: the seasonal index and the campaign window.

Timing (:func:`seasonal_index`, :func:`campaign_window`)
--------------------------------------------------------
The seasonal index of month m is the mean over complete years of (burglaries
in m / that year's monthly mean). Winter (Nov-Feb) vs summer (May-Aug) ratio
is reported. The clocks go back on the last Sunday of October; the
recommended window starts two weeks before that (leaflets and switches in
homes before the dark evenings) and runs to the end of the last month of the
above-average winter season.
"""

from __future__ import annotations

import calendar
from datetime import date

import geopandas as gpd
import pandas as pd

from .._errors import HotspotError

WINTER, SUMMER = (11, 12, 1, 2), (5, 6, 7, 8)


def seasonal_index(incidents: gpd.GeoDataFrame) -> pd.Series:
    """Seasonal index by calendar month (1 = average month), over the
    complete calendar years in the data.

    Parameters
    ----------
    incidents : GeoDataFrame
        Burglaries with ``occurred``; at least one complete calendar year.

    Returns
    -------
    Series
        Index by month number 1-12 (a ratio to the year's monthly mean).

    Raises
    ------
    HotspotError
        No complete calendar year in the data.
    """
    per = incidents["occurred"].dt.to_period("M")
    counts = per.value_counts().sort_index()
    full = pd.period_range(per.min(), per.max(), freq="M")
    counts = counts.reindex(full, fill_value=0)
    df = pd.DataFrame({"year": full.year, "month": full.month, "n": counts.to_numpy()})
    complete = df.groupby("year")["month"].nunique()
    df = df[df["year"].isin(complete[complete == 12].index)]
    if df.empty:
        raise HotspotError("a seasonal index needs at least one complete calendar year of data")
    df["ratio"] = df["n"] / df.groupby("year")["n"].transform("mean")
    return df.groupby("month")["ratio"].mean().rename("index")


def winter_summer_ratio(index: pd.Series) -> float:
    """Mean index Nov-Feb over mean index May-Aug.

    Parameters
    ----------
    index : Series
        Seasonal index by month number (:func:`seasonal_index`).

    Returns
    -------
    float
        The ratio (above 1: more burglary in winter).
    """
    return float(index.loc[list(WINTER)].mean() / index.loc[list(SUMMER)].mean())


def clocks_go_back(year: int, rule: str = "eu") -> pd.Timestamp:
    """The day the evenings get dark an hour earlier.

    ``rule``: ``"eu"`` (the UK and the EU) the last Sunday of October;
    ``"us"`` (the US and Canada) the first Sunday of November; ``"none"``
    (no daylight saving) 1 November, the start of the dark-evening season.

    Parameters
    ----------
    year : int
        Calendar year.
    rule : str
        ``"eu"``, ``"us"`` or ``"none"`` (see above).

    Returns
    -------
    Timestamp
        The day (midnight).

    Raises
    ------
    HotspotError
        An unknown rule.
    """
    if rule == "us":
        d = pd.Timestamp(year=year, month=11, day=1)
        return d + pd.Timedelta(days=(6 - d.weekday()) % 7)
    if rule == "none":
        return pd.Timestamp(year=year, month=11, day=1)
    if rule != "eu":
        raise HotspotError(f"clock rule {rule!r}: use eu, us or none")
    last = calendar.monthrange(year, 10)[1]
    d = pd.Timestamp(year=year, month=10, day=last)
    return d - pd.Timedelta(days=(d.weekday() - 6) % 7)


def clock_rule_for(lon: float, lat: float) -> str:
    """The clock-change rule where (lon, lat) lies, unless
    ``settings.CLOCK_RULE`` names one: Europe ``"eu"``, North America
    ``"us"``, elsewhere ``"none"`` (the campaign notes say so).

    Parameters
    ----------
    lon : float
        Longitude, degrees (WGS84).
    lat : float
        Latitude, degrees (WGS84).

    Returns
    -------
    str
        ``"eu"``, ``"us"`` or ``"none"``.
    """
    from .. import settings

    if settings.CLOCK_RULE != "auto":
        return settings.CLOCK_RULE
    if -25 <= lon <= 45 and 34 <= lat <= 72:
        return "eu"
    if -170 <= lon <= -50 and 15 <= lat <= 72:
        return "us"
    return "none"


def campaign_window(index: pd.Series, year: int, *, lead_days: int = 14,
                    clock_rule: str = "eu") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Recommended window: from ``lead_days`` before the clocks go back
    (:func:`clocks_go_back` with ``clock_rule``) to the end of the last
    above-average month of the winter season that follows (at least the end
    of November).

    Parameters
    ----------
    index : Series
        Seasonal index by month number (:func:`seasonal_index`).
    year : int
        Year whose autumn the window starts in.
    lead_days : int
        Days before the clocks go back that the window starts (default 14).
    clock_rule : str
        ``"eu"``, ``"us"`` or ``"none"`` (:func:`clocks_go_back`).

    Returns
    -------
    (Timestamp, Timestamp)
        First and last day of the window.
    """
    start = clocks_go_back(year, clock_rule) - pd.Timedelta(days=lead_days)
    end_month = 11
    for m in (11, 12, 1, 2, 3):
        if index.loc[m] > 1.0:
            end_month = m
        else:
            break
    end_year = year + (1 if end_month < 10 else 0)
    end = pd.Timestamp(year=end_year, month=end_month, day=calendar.monthrange(end_year, end_month)[1])
    return start, end


def next_campaign_window(index: pd.Series, as_of: str | date, *, lead_days: int = 14, year: int | None = None,
                         clock_rule: str = "eu") -> tuple[pd.Timestamp, pd.Timestamp, list[str]]:
    """The campaign window to recommend on ``as_of``: the first that starts
    on or after ``as_of`` (a window already past or under way is never the
    recommendation; one under way is named in the notes). With ``year``,
    that year's window, which must not have started.

    Parameters
    ----------
    index : Series
        Seasonal index by month number (:func:`seasonal_index`).
    as_of : str or date
        Planning date.
    lead_days : int
        Days before the clocks go back that a window starts (default 14).
    year : int, optional
        Ask for this year's window instead of the next one.
    clock_rule : str
        ``"eu"``, ``"us"`` or ``"none"`` (:func:`clocks_go_back`).

    Returns
    -------
    (start, end, notes)
        First and last day of the window (Timestamps) and notes (a window
        under way, named).

    Raises
    ------
    HotspotError
        ``year``'s window started before ``as_of``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    notes: list[str] = []
    if year is not None:
        start, end = campaign_window(index, year, lead_days=lead_days, clock_rule=clock_rule)
        if start < as_of:
            raise HotspotError(f"year={year}: that campaign window ({start:%d %b %Y} to {end:%d %b %Y}) started "
                               f"before {as_of:%d %b %Y}; leave year= out for the next one", param='year')
        return start, end, notes
    for y in (as_of.year - 1, as_of.year, as_of.year + 1):
        start, end = campaign_window(index, y, lead_days=lead_days, clock_rule=clock_rule)
        if start < as_of <= end:
            notes.append(f"a campaign window is under way ({start:%d %b %Y} to {end:%d %b %Y}); "
                         "the plan is for the next one")
        if start >= as_of:
            return start, end, notes
    raise HotspotError(f"no campaign window found after {as_of:%d %b %Y}")  # pragma: no cover
