"""The burglaries a nano-beat planner draws on (:class:`Sources`): the area's
own and any context across the boundary, sorted by date, with the
near-repeat and history weight each carries as of a planning date; and
:data:`DateLike`, a date as the API takes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import DataPrecisionError
from ..periods import data_time_unit

#: A date as the API takes it: ``"2025-03-01"``, a Timestamp, a date or a datetime64.
DateLike = str | pd.Timestamp | date | np.datetime64


@dataclass
class Sources:
    """The burglaries a planner draws on, sorted by date, with the weight each
    carries as of a date.

    Attributes
    ----------
    x, y : ndarray
        Coordinates, metres (working CRS).
    t : ndarray of datetime64[ns]
        Dates.
    location : ndarray of str
        Location text ("" when missing).
    neighbour : ndarray of str
        "" for the area's own burglaries, else the neighbour a context one
        lies in.
    monthly : bool
        Dates are months only (police.uk): ages in months.
    days : float
        Near-repeat window, days (months for the monthly variant).
    history_days, half_life_days : float
        History window and half-life of a past burglary's weight, days.
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    location: np.ndarray
    neighbour: np.ndarray
    monthly: bool
    days: float
    history_days: float
    half_life_days: float

    @classmethod
    def from_incidents(cls, incidents: gpd.GeoDataFrame, context: gpd.GeoDataFrame | None, *, days: float,
                       history_days: float, half_life_days: float) -> "Sources":
        """The area's incidents plus any context incidents (their
        ``neighbour`` column names where they lie), sorted by date (stable).

        Parameters
        ----------
        incidents : GeoDataFrame
            The area's incidents (working CRS, metres) with ``occurred``.
        context : GeoDataFrame or None
            Incidents across the boundary, same CRS (optional ``neighbour``
            column), or None.
        days : float
            Near-repeat window, days (months for month-precision data).
        history_days : float
            History window, days.
        half_life_days : float
            Half-life of a past burglary's history weight, days.

        Returns
        -------
        Sources
        """
        unit = data_time_unit(incidents)
        if context is not None and len(context) and "date_precision" in context and data_time_unit(context) != unit:
            raise DataPrecisionError(f"context: its burglaries are dated to the {data_time_unit(context)} and the "
                                     f"area's to the {unit}; give context of the same date precision")
        if context is not None:
            context = context.assign(neighbour=context["neighbour"] if "neighbour" in context
                                     else "across the boundary")
            inc = pd.concat([incidents.assign(neighbour=""), context], ignore_index=True)
        else:
            inc = incidents.assign(neighbour="")
        inc = inc.sort_values("occurred", kind="stable")
        location = (inc["location_text"].fillna("").to_numpy() if "location_text" in inc
                    else np.full(len(inc), ""))
        return cls(x=inc.geometry.x.to_numpy(), y=inc.geometry.y.to_numpy(),
                   t=inc["occurred"].to_numpy("datetime64[ns]"), location=location,
                   neighbour=inc["neighbour"].fillna("across the boundary").astype(str).to_numpy(),
                   monthly=unit == "month", days=float(days), history_days=float(history_days),
                   half_life_days=float(half_life_days))

    #: True for the area's own burglaries (False: context)
    own: np.ndarray = field(init=False, repr=False)
    #: number of context burglaries (across the boundary)
    n_context: int = field(init=False)

    def __post_init__(self) -> None:
        self.own = self.neighbour == ""
        self.n_context = int((~self.own).sum())

    def as_of(self, as_of: DateLike) -> pd.Timestamp:
        """The planning date; the monthly variant plans from the first of a month.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The date asked for.

        Returns
        -------
        Timestamp
            The date planned from.
        """
        ts = pd.Timestamp(as_of)
        if self.monthly:
            ts = ts.to_period("M").to_timestamp()
        return ts

    def ages(self, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """Indices of incidents before ``as_of`` and their ages (days, or
        months for the monthly variant, 1 = the month before).

        Parameters
        ----------
        as_of : Timestamp
            The planning date (from :meth:`as_of`).

        Returns
        -------
        idx : ndarray of int
            Indices of the incidents strictly before ``as_of``.
        age : ndarray of float
            Their ages, days (months for the monthly variant).
        """
        before = self.t < np.datetime64(as_of)
        idx = np.nonzero(before)[0]
        if self.monthly:
            ts = pd.DatetimeIndex(self.t[idx])
            age = (as_of.year * 12 + as_of.month) - (ts.year * 12 + ts.month).to_numpy()
            return idx, age.astype(float)
        # numpy's stubs type datetime64 - datetime64 array as datetime64; it is timedelta64
        delta: np.ndarray = np.datetime64(as_of) - self.t[idx]
        return idx, delta / np.timedelta64(1, "D")

    def history_age_days(self, age: np.ndarray) -> np.ndarray:
        """Ages from :meth:`ages` in days (months of 30.44 days).

        Parameters
        ----------
        age : ndarray
            Ages (from :meth:`ages`), days (months for the monthly variant).

        Returns
        -------
        ndarray
            Ages, days.
        """
        return age * 30.44 if self.monthly else age

    def recent(self, age: np.ndarray) -> np.ndarray:
        """True for ages inside the near-repeat window.

        Parameters
        ----------
        age : ndarray
            Ages (from :meth:`ages`), days (months for the monthly variant).

        Returns
        -------
        ndarray of bool
        """
        return (age <= self.days) if self.monthly else (age < self.days)

    def weights(self, as_of: DateLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Incidents before ``as_of`` with their near-repeat weight
        ``1 - age / days`` (monthly: the last month weighs 1) and their
        history weight ``0.5 ** (age / half-life)`` within the history.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date.

        Returns
        -------
        idx : ndarray of int
            Indices of the incidents before the planning date.
        w_nr, w_h : ndarray
            Their near-repeat and history weights (0-1).
        """
        idx, age = self.ages(self.as_of(as_of))
        if self.monthly:
            w_nr = np.where(age <= self.days, 1.0 - (age - 1) / self.days, 0.0)
        else:
            w_nr = np.where(age < self.days, 1.0 - age / self.days, 0.0)
        hist_age = self.history_age_days(age)
        w_h = np.where(hist_age < self.history_days, 0.5 ** (hist_age / self.half_life_days), 0.0)
        return idx, w_nr, w_h
