"""The accepted incidents as one value: :class:`Incidents`.

A run, a job or an analysis takes the incidents as an :class:`Incidents`
(the frame in the working CRS with its time unit, CRS and sources, worked
out once when the incidents are read) or, as before, as the bare
GeoDataFrame. :func:`as_frame` and :func:`time_unit` accept either, so an
entry point takes the time unit from the value instead of working it out
again, and old callers passing a frame keep working.

:class:`hotspot.intake.IntakeResult` makes one with
:meth:`~hotspot.intake.IntakeResult.to_incidents`; :meth:`Incidents.from_frame`
makes one from any frame with a ``date_precision`` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Union

import geopandas as gpd
from pyproj import CRS

from .periods import TimeUnit, data_time_unit


@dataclass(frozen=True, eq=False)
class Incidents:
    """Accepted incidents with what every analysis needs to know about them.

    Attributes
    ----------
    frame : GeoDataFrame
        One row per incident in ``crs`` (metres), with the standard columns
        (``incident_id, occurred, date_precision, ...``).
    time_unit : {"day", "month"}
        The unit windows on these incidents are counted in
        (:func:`hotspot.periods.data_time_unit`), worked out once.
    crs : pyproj.CRS or None
        The working CRS of ``frame`` (metres).
    sources : tuple of str
        The inputs read (file paths, store locations), in input order.
    """

    frame: gpd.GeoDataFrame
    time_unit: TimeUnit
    crs: CRS | None = None
    sources: tuple[str, ...] = ()

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame, *, sources: Iterable[object] = ()) -> "Incidents":
        """The incidents of ``frame``, their time unit worked out from its
        ``date_precision`` column.

        Parameters
        ----------
        frame : GeoDataFrame
            Accepted incidents (metres) with a ``date_precision`` column.
        sources : iterable
            The inputs the rows came from (kept as strings).

        Returns
        -------
        Incidents

        Raises
        ------
        DataPrecisionError
            No ``date_precision`` column, or month-only rows mixed with rows
            that have a day (never guessed).
        """
        return cls(frame=frame, time_unit=data_time_unit(frame), crs=frame.crs,
                   sources=tuple(str(s) for s in sources))

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def empty(self) -> bool:
        """True when there is no incident."""
        return bool(self.frame.empty)


#: What an analysis or a job accepts as its incidents.
IncidentsLike = Union[Incidents, gpd.GeoDataFrame]


def as_frame(incidents: Any) -> Any:
    """The incidents' GeoDataFrame: ``incidents.frame`` for an
    :class:`Incidents`, anything else as it is (a frame from an old caller).

    Parameters
    ----------
    incidents : Incidents or GeoDataFrame
        The incidents.

    Returns
    -------
    GeoDataFrame
    """
    return incidents.frame if isinstance(incidents, Incidents) else incidents


def time_unit(incidents: Any) -> TimeUnit:
    """The incidents' time unit: the one an :class:`Incidents` carries, or
    for a bare frame :func:`hotspot.periods.data_time_unit` of it.

    Parameters
    ----------
    incidents : Incidents or DataFrame
        The incidents (a frame needs a ``date_precision`` column).

    Returns
    -------
    {"day", "month"}

    Raises
    ------
    DataPrecisionError
        A frame without ``date_precision``, or with month-only rows mixed with
        rows that have a day.
    """
    if isinstance(incidents, Incidents):
        return incidents.time_unit
    return data_time_unit(incidents)
