"""Calendar windows in one place: "the last N months", the month after the
data, and the month span of incidents.

Every analysis that says "the last 12 months" or "plans for next month" calls
these, so they all mean the same months.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def last_month(incidents: pd.DataFrame) -> pd.Period:
    """The latest calendar month with an incident.

    Parameters
    ----------
    incidents : DataFrame
        Incidents with an ``occurred`` timestamp column (not empty).

    Returns
    -------
    pandas.Period
        The month (freq ``"M"``) of the latest ``occurred``.
    """
    return incidents["occurred"].max().to_period("M")


def next_month_start(incidents: pd.DataFrame) -> pd.Timestamp:
    """The first day of the month after the latest incident (the date an
    analyst plans for once a month's data are in).

    Parameters
    ----------
    incidents : DataFrame
        Incidents with an ``occurred`` timestamp column (not empty).

    Returns
    -------
    pandas.Timestamp
        Midnight of the first day of that month.
    """
    return (last_month(incidents) + 1).to_timestamp()


def recent_incidents(incidents: gpd.GeoDataFrame, *, months: int, as_of: pd.Timestamp | None = None) -> gpd.GeoDataFrame:
    """Incidents in the ``months`` calendar months up to the month of
    ``as_of`` (inclusive; default the latest month in the data).

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents with an ``occurred`` timestamp column.
    months : int
        Length of the window, calendar months (at least 1).
    as_of : pandas.Timestamp, optional
        A day in the window's last month; default the latest incident.

    Returns
    -------
    GeoDataFrame
        The incidents in the window (``incidents`` itself when empty).

    Raises
    ------
    ValueError
        ``months`` is below 1.
    """
    if incidents.empty:
        return incidents
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    end = (as_of or incidents["occurred"].max()).to_period("M")
    start = (end - (months - 1)).to_timestamp()
    occ = incidents["occurred"]
    return incidents[(occ >= start) & (occ < (end + 1).to_timestamp())]


def training_window(incidents: gpd.GeoDataFrame, *, as_of: pd.Timestamp | None = None,
                    months: int | None = None) -> gpd.GeoDataFrame:
    """Incidents strictly before ``as_of`` (default: all), and of those only
    the last ``months`` calendar months before it (default: all).

    Without ``as_of`` the window ends with the month of the latest incident.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents with an ``occurred`` timestamp column.
    as_of : pandas.Timestamp, optional
        Keep only incidents before this instant (the forecast date); default
        keep all.
    months : int, optional
        Length of the window before ``as_of``, months (calendar months
        counted back from ``as_of``; at least 1); default no limit.

    Returns
    -------
    GeoDataFrame
        The incidents of the training window.

    Raises
    ------
    ValueError
        ``months`` is below 1.
    """
    out = incidents if as_of is None else incidents[incidents["occurred"] < as_of]
    if months is not None:
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        if out.empty:
            return out
        end = as_of if as_of is not None else next_month_start(out)
        out = out[out["occurred"] >= end - pd.DateOffset(months=months)]
    return out


def parse_month(text: str, option: str = "--month") -> pd.Period:
    """A calendar month written ``YYYY-MM`` (nothing else: "2024" or
    "Dec 2024" would be guessed, so they are refused).

    Parameters
    ----------
    text : str
        The month as the user wrote it.
    option : str
        The option it came from, named in the error (default ``"--month"``).

    Returns
    -------
    pandas.Period
        The month (freq ``"M"``).

    Raises
    ------
    HotspotError
        ``text`` is not ``YYYY-MM``.
    """
    import re

    from ._errors import HotspotError

    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise HotspotError(f"{option} {text!r}: give a month as YYYY-MM, e.g. 2024-12")
    return pd.Period(text.strip(), "M")
