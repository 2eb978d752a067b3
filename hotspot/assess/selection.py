"""Which places are compared: control places chosen by the same rule as the
treated ones at the same date, and treated/control pairs at placebo dates.

A selection rule ranks places at a date from burglaries strictly before it:

* :class:`NanoBeatRule` is the nano-beat planner's own rule
  (:class:`hotspot.nanobeats.NanoBeatPlanner`): its targets past the first
  few are "the next-highest-scored places";
* :class:`CountRule` ranks candidate places (the unit layer of a leaflet
  plan, or square cells the size of the treated places) by burglaries in the
  year before the date, for layers whose own rule (camera demand, campaign
  forecasts) cannot be rerun from incidents alone.

Control places never overlap the treated places or their buffer, and their
own buffer stays clear of them too: a candidate is kept only at least twice
the buffer width from every treated place.
"""

from __future__ import annotations

from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..areas import Area


class SelectionRule(Protocol):
    """Ranks non-overlapping places at a date (burglaries before it count)."""

    name: str

    def ranked(self, as_of: pd.Timestamp, n: int) -> list[BaseGeometry]:
        """At most ``n`` places, highest score first.

        Parameters
        ----------
        as_of : Timestamp
            Selection date; burglaries strictly before it count.
        n : int
            At most this many places.

        Returns
        -------
        list of Polygon
            Non-overlapping places (metres).
        """
        ...


class NanoBeatRule:
    """The nano-beat planner's ranking (risk from near repeats and history).

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area.
    options : NanoBeatOptions, optional
        The planner's window, cell (metres) and target radius (metres);
        default the ``nanobeats`` command's.
    """

    name = "nano-beat planner (the targets ranked after the treated ones)"

    def __init__(self, incidents: gpd.GeoDataFrame, area: Area, options=None):
        from ..nanobeats.options import NanoBeatOptions

        self.planner = (options or NanoBeatOptions()).planner(incidents, area)
        # the greedy selection's first k places do not depend on how many
        # are asked for, so one ranking per date serves every request
        self._cache: dict[pd.Timestamp, tuple[int, list[BaseGeometry]]] = {}

    def ranked(self, as_of: pd.Timestamp, n: int) -> list[BaseGeometry]:
        """The planner's first ``n`` targets at a date.

        Parameters
        ----------
        as_of : Timestamp
            Selection date; burglaries strictly before it count.
        n : int
            At most this many places.

        Returns
        -------
        list of Polygon
        """
        asked, places = self._cache.get(pd.Timestamp(as_of), (0, []))
        if n > asked and len(places) == asked:
            p = self.planner
            places = list(p.cells.polygons(p.select_cells(p.risk(as_of), n)))
            self._cache[pd.Timestamp(as_of)] = (n, places)
        return places[:n]


class CountRule:
    """Candidate places ranked by burglaries in a window before the date.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area.
    candidates : GeoSeries, optional
        Candidate places (e.g. the unit layer of a leaflet plan); default
        square cells of side ``cell`` metres covering the area.
    cell : float
        Side of the default square cells, metres.
    window_days : float
        Burglaries in this many days before the date count, days.
    """

    def __init__(self, incidents: gpd.GeoDataFrame, area: Area, *, candidates: gpd.GeoSeries | None = None,
                 cell: float = 200.0, window_days: float = 365.0):
        if candidates is None:
            candidates = square_cells(area, cell)
            self.name = f"burglaries in the {window_days:g} days before, in {cell:.0f} m squares"
        else:
            self.name = f"burglaries in the {window_days:g} days before, per unit of the plan's layer"
        self.places = gpd.GeoSeries(list(candidates), crs=area.crs).reset_index(drop=True)
        self.window = pd.Timedelta(days=window_days)
        pts = gpd.GeoSeries(incidents.geometry.values, crs=area.crs)
        hit = self.places.sindex.query(pts, predicate="intersects")
        # a point on a shared edge goes to one place only (the first)
        first = pd.Series(hit[1], index=hit[0]).groupby(level=0).first()
        self.place_of = np.full(len(incidents), -1)
        self.place_of[first.index.to_numpy()] = first.to_numpy()
        self.t = pd.DatetimeIndex(incidents["occurred"]).to_numpy()

    def ranked(self, as_of: pd.Timestamp, n: int) -> list[BaseGeometry]:
        """The ``n`` places with most burglaries in the window (ties by order).

        Parameters
        ----------
        as_of : Timestamp
            Selection date; burglaries strictly before it count.
        n : int
            At most this many places.

        Returns
        -------
        list of Polygon
        """
        when = np.datetime64(pd.Timestamp(as_of))
        keep = (self.t < when) & (self.t >= when - self.window.to_timedelta64()) & (self.place_of >= 0)
        score = np.bincount(self.place_of[keep], minlength=len(self.places))
        order = np.argsort(-score, kind="stable")
        order = order[score[order] > 0][:n]
        return [self.places.iloc[i] for i in order]


def square_cells(area: Area, cell: float) -> list[BaseGeometry]:
    """Square cells of side ``cell`` metres covering the area, clipped to it.

    Parameters
    ----------
    area : Area
        The study area (metres).
    cell : float
        Side of a cell, metres.

    Returns
    -------
    list of Polygon
    """
    x0, y0, x1, y1 = area.geometry.bounds
    xs, ys = np.arange(x0, x1, cell), np.arange(y0, y1, cell)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell, gy.ravel() + cell)
    shapely.prepare(area.geometry)
    boxes = boxes[shapely.intersects(area.geometry, boxes)]
    return list(shapely.intersection(boxes, area.geometry))


def far_enough(candidates: list[BaseGeometry], treated: BaseGeometry, buffer_m: float, n: int) -> list[BaseGeometry]:
    """The first ``n`` candidates at least twice the buffer from the treated
    places (so neither a control nor its buffer touches the treated places'
    buffer).

    Parameters
    ----------
    candidates : list of Polygon
        Ranked places.
    treated : Geometry
        Union of the treated places (metres).
    buffer_m : float
        Buffer width, metres.
    n : int
        At most this many.

    Returns
    -------
    list of Polygon
    """
    if not candidates:
        return []
    arr = np.array(candidates, dtype=object)
    ok = ~shapely.dwithin(arr, treated, max(2.0 * buffer_m, 0.0) - 1e-6) & ~shapely.intersects(arr, treated)
    return list(arr[ok][:n])


def controls_at(rule: SelectionRule, as_of: pd.Timestamp, treated: BaseGeometry, buffer_m: float, n: int,
                *, skip: int = 0) -> list[BaseGeometry]:
    """The ``n`` next-highest-ranked places at a date clear of the treated
    places and their buffer (asking the rule for more until enough or no
    more).

    Parameters
    ----------
    rule : SelectionRule
        The selection rule.
    as_of : Timestamp
        Selection date.
    treated : Geometry
        Union of the treated places (metres).
    buffer_m : float
        Buffer width, metres.
    n : int
        Controls wanted.
    skip : int
        Ranked places to pass over first (the treated ones at a placebo date).

    Returns
    -------
    list of Polygon
        Possibly fewer than ``n`` when the area runs out of places.
    """
    ask = skip + 2 * n
    while True:
        ranked = rule.ranked(as_of, ask)
        chosen = far_enough(ranked[skip:], treated, buffer_m, n)
        if len(chosen) >= n or len(ranked) < ask:
            return chosen
        ask *= 2
