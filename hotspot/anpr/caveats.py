"""What a camera plan rests on and cannot tell: how much of the boundary the
road layers reach (:func:`boundary_covered`), the traffic cameras near a site
(context, never cover: :func:`nearest_within`), what "already covered" rests
on and why few sites are useful (:func:`cover_notes`), and a red-route layer
with no polygon in the area (:func:`red_route_caveat`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from ..areas import Area
from ..crs import require_same_metric_crs
from .result import SitingResult


def boundary_covered(area: Area, road_layers: dict[str, gpd.GeoDataFrame], *, margin: float = 500.0) -> float:
    """Share of the area's boundary (by length) inside the extent of the
    road layers (each layer's bounding box grown by ``margin`` metres): a
    layer clipped to a box round one borough leaves the rest of another's
    boundary without crossings.

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).
    road_layers : dict of str to GeoDataFrame
        Road line layers by source name.
    margin : float
        Growth of each layer's bounding box, metres (default 500 m).

    Returns
    -------
    float
        Share of the boundary's length (0-1).
    """
    line = area.geometry.boundary
    if line.length == 0 or not road_layers:
        return 0.0
    boxes = [shapely.box(*g.total_bounds).buffer(margin, join_style="mitre") for g in road_layers.values() if len(g)]
    if not boxes:
        return 0.0
    return float(line.intersection(shapely.union_all(boxes)).length / line.length)


#: What the TfL JamCams are, wherever they are drawn or named: traffic CCTV, context and never cover.
TRAFFIC_CAMERA_LABEL = "TfL traffic cameras (JamCams, not ANPR)"

#: Fewer useful sites than this, and the plan says why (issue 18 asks >= 5).
FEW_SITES = 5


def nearest_within(points: gpd.GeoDataFrame, others: gpd.GeoDataFrame, radius: float) -> np.ndarray:
    """Metres from each point to the nearest of ``others`` within ``radius``.

    Parameters
    ----------
    points, others : GeoDataFrame
        Points in the same metric CRS.
    radius : float
        Farthest distance reported, metres.

    Returns
    -------
    ndarray of float
        Distance in metres per point; NaN where none lies within ``radius``.
    """
    require_same_metric_crs(sites=points, traffic_cameras=others)
    out = np.full(len(points), np.nan)
    if len(points) and len(others):
        d, _ = cKDTree(np.c_[others.geometry.x, others.geometry.y]).query(np.c_[points.geometry.x, points.geometry.y])
        out = np.where(d <= radius, d, np.nan)
    return out


def cover_notes(existing: gpd.GeoDataFrame | None, result: SitingResult, crossings: gpd.GeoDataFrame,
                area: Area) -> list[str]:
    """What "already covered" rests on, and why fewer than :data:`FEW_SITES`
    sites are useful when they are (never a silent short list).

    Parameters
    ----------
    existing : GeoDataFrame or None
        The existing ANPR cameras kept fixed (within the region).
    result : SitingResult
        The solved plan (``radius_m`` in metres).
    crossings : GeoDataFrame
        The crossings with their ``demand``.
    area : Area
        The study area (metres; its area is given in km²).

    Returns
    -------
    list of str
        Plain-text notes (none when there is nothing to say).
    """
    notes = []
    if existing is None or not len(existing):
        notes.append("no existing ANPR layer given (anpr --existing YOUR_ANPR.geojson; run --existing-cameras): "
                     "0 % of demand is counted as already covered")
    if result.k_useful is None or result.k_useful >= min(FEW_SITES, result.k):
        return notes
    demand = crossings["demand"].to_numpy(float)
    live = demand > 0
    xy = np.c_[crossings.geometry.x, crossings.geometry.y][live]
    near = np.zeros(int(live.sum()), bool)
    if len(result.sites) and len(xy):
        d, _ = cKDTree(np.c_[result.sites.geometry.x, result.sites.geometry.y]).query(xy)
        near = d <= result.radius_m
    new = result.coverage_after - result.coverage_before
    notes.append(f"only {result.k_useful} new site{'s' if result.k_useful != 1 else ''} add coverage: "
                 f"{area.name} ({area.geometry.area / 1e6:.1f} km²) has {int(live.sum())} crossings with burglary "
                 f"demand, {int(near.sum())} of them within {result.radius_m:g} m of these sites "
                 f"({new:.1%} of demand); {result.coverage_before:.1%} is already covered by existing ANPR cameras "
                 f"and {1 - result.coverage_after:.1%} lies at crossings no candidate site reaches, so no further "
                 "camera adds any")
    return notes


def red_route_caveat(red_routes: gpd.GeoDataFrame | None, area: Area) -> str | None:
    """A caveat when the red-route layer has no polygon in the area (the
    TLRN source has no row for some boroughs), so that no road there is
    taken for a borough road on the layer's word alone.

    Parameters
    ----------
    red_routes : GeoDataFrame or None
        Red-route (TLRN) polygons, any CRS.
    area : Area
        The study area (metres).

    Returns
    -------
    str or None
        The caveat, or None when the layer reaches the area.
    """
    if red_routes is None:
        return None
    if len(red_routes) and red_routes.to_crs(area.crs).geometry.make_valid().intersection(area.geometry).area.sum() > 0:
        return None
    return (f"red routes: the red-route (TLRN) layer has no polygon in {area.name}, so no road there is marked a red "
            "route; a road called a borough road may be TfL's (confirm ownership with TfL)")
