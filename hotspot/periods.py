"""Calendar windows in one place: "the last N months", the month after the
data, and the month span of incidents.

Every analysis that says "the last 12 months" or "plans for next month" calls
these, so they all mean the same months.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def last_month(incidents: pd.DataFrame) -> pd.Period:
    """The latest calendar month with an incident."""
    return incidents["occurred"].max().to_period("M")


def next_month_start(incidents: pd.DataFrame) -> pd.Timestamp:
    """The first day of the month after the latest incident (the date an
    analyst plans for once a month's data are in)."""
    return (last_month(incidents) + 1).to_timestamp()


def recent_incidents(incidents: gpd.GeoDataFrame, *, months: int, as_of: pd.Timestamp | None = None) -> gpd.GeoDataFrame:
    """Incidents in the ``months`` calendar months up to the month of
    ``as_of`` (inclusive; default the latest month in the data)."""
    if incidents.empty:
        return incidents
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    end = (as_of or incidents["occurred"].max()).to_period("M")
    start = (end - (months - 1)).to_timestamp()
    occ = incidents["occurred"]
    return incidents[(occ >= start) & (occ < (end + 1).to_timestamp())]
