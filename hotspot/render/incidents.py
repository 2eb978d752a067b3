"""The ``map`` command's map: an area's incidents, drawn as they are or,
for the public, as counts per cell (:func:`hotspot.render.public.public_map`).

Its own module because it builds on both :mod:`hotspot.render.maps` and
:mod:`hotspot.render.public`, which builds on the layers of ``maps``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from ..disclosure.rules import PUBLIC_WINDOW_MONTHS
from .leaflet import HotspotMap
from .public import public_map

if TYPE_CHECKING:  # annotations only
    from ..areas import Area


def incidents_map(area: Area, incidents: gpd.GeoDataFrame, path: str | Path, *, public: bool = False, show_points: bool = False,
                  cell: float | None = None, k: int = 8, tiles: str | None = None,
                  window_months: int | None = None) -> Path:
    """The ``map`` command's map: the area, its neighbours (when it comes
    from a boundary layer) and the incidents.

    Parameters
    ----------
    area : Area
        The study area (e.g. :func:`hotspot.areas.area_from_points`).
    incidents : GeoDataFrame
        Incidents to draw (working CRS, metres).
    path : path
        HTML file to write.
    public : bool
        Safe to publish: counts per cell only where at least ``k``
        (:func:`hotspot.render.public.public_map`); no points, heat or dates.
    show_points : bool
        Exact-date data at its points, not per cell (not with ``public``).
    cell : float, optional
        Cell size in metres, for pooling exact-date points (default 100 m)
        or for public counts (default 250 m).
    k : int
        Smallest count shown with ``public``.
    tiles : str, optional
        Base map (see :class:`HotspotMap`).
    window_months : int, optional
        With ``public``: length of the fixed published window, calendar
        months (default 12: the latest whole calendar year; see
        :func:`hotspot.disclosure.public_window`).

    Returns
    -------
    Path
        The file written.
    """
    neighbours = area.neighbours() if area.layer is not None else None
    if public:
        return public_map(area, incidents, path, neighbours=neighbours, cell=cell or 250.0, k=k, tiles=tiles,
                          title=f"hotspot: {area.name}", window_months=window_months or PUBLIC_WINDOW_MONTHS)
    m = HotspotMap(area, tiles=tiles, title=f"hotspot: {area.name}")
    if neighbours is not None:
        m.add_neighbours(neighbours)
    m.add_incidents(incidents, show_points=show_points, cell=cell or 100.0)
    return m.save(path)
