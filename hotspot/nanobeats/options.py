"""Options of the `nanobeats` and `brief` commands (:class:`NanoBeatOptions`:
the commands' defaults and checks) and :func:`plan_nanobeats`, the plan as
those commands make it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import geopandas as gpd

from .. import settings
from .._errors import HotspotError
from ..areas import Area
from ..context import Context
from ..periods import Window, data_time_unit
from ..routing import StreetNetwork
from .plan import NanoBeatPlan
from .planner import NanoBeatPlanner
from .sources import DateLike
from .window import knox_window

if TYPE_CHECKING:
    from ..knox import KnoxResult


@dataclass
class NanoBeatOptions:
    """How to plan nano-beats, with the commands' defaults and checks.

    The near-repeat window is either given (``distance`` with ``days`` for
    exact dates or ``months`` for police.uk month dates; defaults
    :data:`~hotspot.settings.NANOBEAT_DISTANCE_M` metres and
    :data:`~hotspot.settings.NANOBEAT_DAYS` days or
    :data:`~hotspot.settings.NANOBEAT_MONTHS` months, by the data's date
    precision) or read from a Knox result (``knox``), never both.

    Attributes
    ----------
    distance : float or None
        Near-repeat distance, metres (None: the default, or the Knox window's).
    days : float or None
        Near-repeat window in days, for day-precision data only.
    months : float or None
        Near-repeat window in months, for month-precision data only.
    knox : KnoxResult, dict or None
        A Knox result (or ``hotspot knox --json`` output) giving the window.
    n_targets : int
        At most this many targets.
    start_lonlat : (float, float) or None
        Route start/end as (lon, lat) degrees.
    cell : float
        Risk grid cell size, metres.
    target_radius : float
        Radius of one patrol area, metres.
    """

    distance: float | None = None
    days: float | None = None
    months: float | None = None
    knox: KnoxResult | Mapping[str, Any] | None = None
    n_targets: int = settings.NANOBEAT_TARGETS
    start_lonlat: tuple[float, float] | None = None
    cell: float = settings.NANOBEAT_CELL_M
    target_radius: float = settings.NANOBEAT_TARGET_RADIUS_M

    def __post_init__(self) -> None:
        from .._errors import OptionError

        if self.knox is not None and (self.distance is not None or self.days is not None or self.months is not None):
            raise OptionError("give knox= or distance=/days= (months=), not both", param=('knox', 'distance', 'days', 'months'))
        if self.days is not None and self.months is not None:
            raise OptionError("give days= (day-precision data) or months= (police.uk), not both", param=('days', 'months'))

    def context_buffer(self) -> float:
        """How far across the boundary context incidents matter: the
        near-repeat distance, metres.

        Returns
        -------
        float
            ``distance``, else the Knox window's distance, else
            :data:`~hotspot.settings.NANOBEAT_DISTANCE_M` (metres).
        """
        if self.distance is not None:
            return self.distance
        window = knox_window(self.knox) if self.knox is not None else None
        return window[0] if window else settings.NANOBEAT_DISTANCE_M

    def window(self, incidents: gpd.GeoDataFrame) -> tuple[float, float]:
        """The given window with its defaults, checked against the data's
        date precision.

        Parameters
        ----------
        incidents : GeoDataFrame
            The incidents to plan from (their date precision decides days
            or months).

        Returns
        -------
        (float, float)
            Distance in metres and the time window in days (exact dates) or
            months (month-precision dates).
        """
        monthly = data_time_unit(incidents) == "month"
        if monthly and self.days is not None:
            raise HotspotError(f"days={self.days:g}: the dates are months only (police.uk); give months=N instead", param=('days', 'months'))
        if not monthly and self.months is not None:
            raise HotspotError(f"months={self.months:g}: the dates have days; give days=N instead", param=('months', 'days'))
        # a zero is the user's value (and refused by the planner), never the default
        distance = settings.NANOBEAT_DISTANCE_M if self.distance is None else self.distance
        if monthly:
            return distance, settings.NANOBEAT_MONTHS if self.months is None else self.months
        return distance, settings.NANOBEAT_DAYS if self.days is None else self.days

    def planner(self, incidents: gpd.GeoDataFrame, area: Area, *, roads: gpd.GeoDataFrame | None = None,
                context: Context | None = None) -> NanoBeatPlanner:
        """The planner these options describe.

        Parameters
        ----------
        incidents : GeoDataFrame
            The area's incidents (working CRS, metres).
        area : Area
            The study area.
        roads : GeoDataFrame, optional
            Street lines with a ``road`` column: risk per street segment.
        context : Context, optional
            Incidents across the boundary (:func:`hotspot.context.read_context`).

        Returns
        -------
        NanoBeatPlanner
        """
        extra: dict = {"cell": self.cell, "target_radius": self.target_radius}
        if roads is not None:
            extra["roads"] = roads
        if context is not None:
            extra["context"] = context
        if self.knox is not None:
            return NanoBeatPlanner.from_knox(incidents, area, self.knox, **extra)
        distance, time = self.window(incidents)
        return NanoBeatPlanner.from_window(incidents, area, distance=distance,
                                           window=Window(time, data_time_unit(incidents)), **extra)


def plan_nanobeats(incidents: gpd.GeoDataFrame, area: Area, as_of: DateLike, options: NanoBeatOptions | None = None, *,
                   roads: gpd.GeoDataFrame | None = None, context: Context | None = None) -> NanoBeatPlan:
    """Nano-beat targets and patrol route as of a date, as the ``nanobeats``
    and ``brief`` commands plan them.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area (e.g. :func:`hotspot.areas.area_from_points` for data
        without a boundary).
    as_of : date-like
        Planning date; incidents strictly before it are used.
    options : NanoBeatOptions, optional
        Window, targets, route start, cell and target radius (default:
        ``NanoBeatOptions()``, the commands' defaults).
    roads : GeoDataFrame, optional
        Street lines with a ``road`` column: risk per street segment and a
        route along the streets; without it legs are straight.
    context : Context, optional
        Incidents across the boundary within ``options.context_buffer()``
        metres; the plan's ``context`` and ``notes`` say what they add.

    Returns
    -------
    NanoBeatPlan
    """
    options = options or NanoBeatOptions()
    planner = options.planner(incidents, area, roads=roads, context=context)
    network = StreetNetwork(roads) if roads is not None else None
    plan = planner.solve(as_of, n_targets=options.n_targets, start_lonlat=options.start_lonlat, network=network)
    if context is not None:
        plan.context = context.to_json()
        plan.notes += [f"context: {len(context.incidents):,} burglaries across the boundary within "
                       f"{context.buffer_m:g} m ({', '.join(f'{k} {v:,}' for k, v in plan.context['by_neighbour'].items())})"]
        plan.notes += context.missing_notes()
    return plan
