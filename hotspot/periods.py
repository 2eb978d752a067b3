"""Calendar windows in one place: "the last N months", the month after the
data, the month span of incidents, the data's time unit and a window with
its unit.

Every analysis that says "the last 12 months" or "plans for next month" calls
these, so they all mean the same months. :func:`data_time_unit` is the one
place that works out whether incidents are dated to the day or to the month
only (police.uk), and :class:`Window` carries a window's length with its unit,
so days are never read as months.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal, Mapping

import geopandas as gpd
import pandas as pd

from ._errors import DataPrecisionError, HotspotError

#: The time unit of incident dates: ``"day"`` (day or minute precision) or
#: ``"month"`` (months only, as police.uk publishes them).
TimeUnit = Literal["day", "month"]
TIME_UNITS: tuple[str, ...] = ("day", "month")


def data_time_unit(incidents: pd.DataFrame) -> TimeUnit:
    """The time unit of the incidents' dates, from their ``date_precision``
    column: ``"month"`` when every row is dated to the month only
    (police.uk), ``"day"`` when every row has a day (``day`` or ``minute``).

    Rows of both kinds are refused, never guessed: a window in days cannot be
    applied to month dates, and reading the exact dates as months would throw
    their days away without saying so.

    Parameters
    ----------
    incidents : DataFrame
        Accepted incidents with a ``date_precision`` column (``month``,
        ``day`` or ``minute``). An empty frame has no month-only row: ``"day"``.

    Returns
    -------
    {"day", "month"}
        The unit windows on these incidents are counted in.

    Raises
    ------
    DataPrecisionError
        No ``date_precision`` column, a value other than month/day/minute,
        or month-only rows mixed with rows that have a day.
    """
    if "date_precision" not in incidents:
        raise DataPrecisionError("incidents have no date_precision column (month, day or minute): read them with "
                                 "hotspot.read_incidents, or add the column")
    counts = incidents["date_precision"].astype(str).value_counts()
    unknown = sorted(set(counts.index) - {"month", "day", "minute"})
    if unknown:
        raise DataPrecisionError(f"date_precision: {', '.join(map(repr, unknown))} is not month, day or minute")
    n_month = int(counts.get("month", 0))
    if n_month and n_month < len(incidents):
        raise DataPrecisionError(
            f"date_precision: {n_month:,} rows are dated to the month only and {len(incidents) - n_month:,} to the "
            "day; analyse them apart, or give the exact-date rows as months (YYYY-MM) so every row is in months")
    return "month" if n_month else "day"


@dataclass(frozen=True)
class Window:
    """A time window with its unit: ``Window(14, "day")``, ``Window(2, "month")``.

    A month is a calendar month: on month-precision data the last ``length``
    complete months, on day-precision data the span from the same day
    ``length`` months earlier (integer ``length``).

    Parameters
    ----------
    length : float
        Length of the window, in ``unit`` (positive).
    unit : {"day", "month"}
        Days or calendar months.

    Raises
    ------
    HotspotError
        A length that is not a positive finite number, or another unit.
    """

    length: float
    unit: TimeUnit

    def __post_init__(self) -> None:
        if self.unit not in TIME_UNITS:
            raise HotspotError(f"Window unit {self.unit!r}: give 'day' or 'month'")
        if isinstance(self.length, bool) or not isinstance(self.length, numbers.Real) \
                or not math.isfinite(self.length) or self.length <= 0:
            raise HotspotError(f"Window length {self.length!r}: give a positive number of {self.unit}s")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Window":
        """The window written by :meth:`to_json`.

        Parameters
        ----------
        obj : mapping
            ``{"length": float, "unit": "day" | "month"}``.

        Returns
        -------
        Window
        """
        try:
            return cls(obj["length"], obj["unit"])
        except (KeyError, TypeError) as exc:
            raise HotspotError(f"not a window (length, unit): missing {exc}") from None

    def to_json(self) -> dict[str, Any]:
        """The window as ``{"length": ..., "unit": ...}``.

        Returns
        -------
        dict
            ``length`` in ``unit`` (day or month).
        """
        return {"length": self.length, "unit": self.unit}

    def __str__(self) -> str:
        return f"{self.length:g} {self.unit}{'' if self.length == 1 else 's'}"

    def days_before(self, as_of: pd.Timestamp) -> float:
        """The window's length in days when it ends at ``as_of``: the days
        themselves, or the exact days back to the same day ``length``
        calendar months earlier.

        Parameters
        ----------
        as_of : pandas.Timestamp
            The end of the window.

        Returns
        -------
        float
            Length, days.

        Raises
        ------
        HotspotError
            A month window whose length is not a whole number of months.
        """
        if self.unit == "day":
            return float(self.length)
        if float(self.length) != int(self.length):
            raise HotspotError(f"window of {self}: calendar months on dates with days must be whole months")
        return (as_of - (as_of - pd.DateOffset(months=int(self.length)))) / pd.Timedelta(days=1)


def window_from(*, days: float | None = None, months: float | None = None, window: Window | None = None,
                where: str = "window") -> Window | None:
    """The one window given as ``days=``, ``months=`` or ``window=`` (None
    when none is given).

    Parameters
    ----------
    days : float, optional
        Window length, days.
    months : float, optional
        Window length, calendar months.
    window : Window, optional
        The window with its unit.
    where : str
        What takes the window, named in the error (e.g. ``"NanoBeatPlanner"``).

    Returns
    -------
    Window or None

    Raises
    ------
    HotspotError
        More than one of them is given.
    """
    given = [w for w in (window, None if days is None else Window(days, "day"),
                         None if months is None else Window(months, "month")) if w is not None]
    if len(given) > 1:
        raise HotspotError(f"{where}: give one of days=, months= or window=, not several")
    return given[0] if given else None


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


def parse_month(text: str, option: str = "month") -> pd.Period:
    """A calendar month written ``YYYY-MM`` (nothing else: "2024" or
    "Dec 2024" would be guessed, so they are refused).

    Parameters
    ----------
    text : str
        The month as the user wrote it.
    option : str
        The parameter it came from, named in the error as ``option=``
        (default ``"month"``; the CLI shows it as its flag).

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
        raise HotspotError(f"{option}={text!r}: give a month as YYYY-MM, e.g. 2024-12", param=option)
    return pd.Period(text.strip(), "M")
