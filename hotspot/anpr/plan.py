"""The camera plan in one call (:func:`plan_anpr`: crossings -> demand ->
candidates -> optimal sites, named), what it holds (:class:`ANPRPlan`), and
the ``anpr`` command's defaults (:data:`CONTEXT_REACH_M`,
:func:`with_candidate_defaults`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from .._errors import ModelError
from ..areas import Area
from .caveats import boundary_covered, cover_notes, nearest_within, red_route_caveat
from .demand import ALONG_M, CORRIDOR_M, candidate_sites, crossing_demand
from .naming import describe_sites
from .result import SitingResult
from .siting import CameraSiting

if TYPE_CHECKING:
    from ..context import Context
    from ..kde import Surface


@dataclass
class ANPRPlan:
    """Everything :func:`plan_anpr` produced."""

    crossings: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame | None
    result: SitingResult
    min_cameras: dict
    notes: list[str]
    #: Share of the area's boundary the road layers reach (0-1): demand at
    #: crossings beyond it is not counted.
    boundary_share: float = 1.0
    #: Context incidents counted (:meth:`hotspot.context.Context.to_json`), if any.
    context: dict | None = None
    #: Cameras that are context, not cover (TfL JamCams: traffic CCTV that
    #: reads no number plate), shown beside the sites; None when not given.
    traffic_cameras: gpd.GeoDataFrame | None = None


def plan_anpr(
    area: Area,
    *,
    road_layers: dict[str, gpd.GeoDataFrame],
    incidents: gpd.GeoDataFrame | None = None,
    surface: Surface | None = None,
    count_points: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    existing: gpd.GeoDataFrame | None = None,
    red_routes: gpd.GeoDataFrame | None = None,
    k: int = 20,
    radius: float = 500.0,
    candidate_within: float = 1000.0,
    region_buffer: float = 3000.0,
    targets: tuple[float, ...] = (0.5, 0.8),
    postcodes: gpd.GeoDataFrame | None = None,
    neighbours: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    context: Context | gpd.GeoDataFrame | None = None,
    traffic_cameras: gpd.GeoDataFrame | None = None,
) -> ANPRPlan:
    """Crossings -> demand -> candidates -> optimal sites, in one call.

    ``count_points`` must carry a ``flow`` column (see
    :func:`hotspot.crossborder.count_point_flows`). Candidates default to the
    crossings plus count points inside the area within ``candidate_within``
    metres of the boundary; supplied candidates must lie within
    ``region_buffer`` metres of the area. Sites are named by
    :func:`describe_sites` (``postcodes``: a layer from
    :func:`hotspot.places.read_postcodes`; ``neighbours``: polygons across the
    boundary, default the area's own layer; ``streets``: named points,
    default from ``incidents`` by :func:`hotspot.places.street_points`).
    ``context`` (a :class:`hotspot.context.Context` or its incidents): demand
    counts burglary on both sides of each crossing (see :func:`crossing_demand`).

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).
    road_layers : dict of str to GeoDataFrame
        Road line layers by source name (the area's CRS).
    incidents : GeoDataFrame, optional
        Recent burglaries (risk by count, and street names).
    surface : Surface, optional
        Hotspot surface (risk by value) when no incidents or context.
    count_points : GeoDataFrame, optional
        DfT count points with ``flow``; without them risk alone weights crossings.
    candidates : GeoDataFrame, optional
        Candidate sites (default: crossings and nearby count points).
    existing : GeoDataFrame, optional
        Existing cameras (those within ``region_buffer`` metres are kept fixed).
    red_routes : GeoDataFrame, optional
        Red-route (TLRN) polygons: crossings tagged, road owner named.
    k : int
        New cameras asked for (default 20).
    radius : float
        A camera covers the crossings within this many metres (default 500 m).
    candidate_within : float
        Reach into the area in metres (default 1000 m); count points
        farther from the boundary are not candidates.
    region_buffer : float
        Margin round the area in metres (default 3000 m); candidates and
        existing cameras must lie within it.
    targets : tuple of float
        Shares of demand (0-1) for which the fewest cameras are reported.
    postcodes : GeoDataFrame, optional
        Postcode unit points for naming the sites.
    neighbours : GeoDataFrame, optional
        Polygons across the boundary (default: the area's own layer).
    streets : GeoDataFrame, optional
        Named street points (default: from ``incidents``).
    context : Context or GeoDataFrame, optional
        Burglaries across the boundary (a :class:`hotspot.context.Context`
        or its incidents).
    traffic_cameras : GeoDataFrame, optional
        Cameras that read no number plate (TfL JamCams): context, never
        cover. Each site gets ``traffic_camera_m``, metres to the nearest
        one within ``radius`` (NaN beyond), where a pole and power may be.

    Returns
    -------
    ANPRPlan
        Crossings with demand, candidates, existing cameras, the siting
        result, the fewest cameras per target share, and notes.
    """
    from ..crossborder import attach_flows, road_crossings

    notes = []
    if red_routes is not None and len(red_routes):
        # only the red routes near the area matter: a London-wide layer buffered whole costs seconds per plan
        x0, y0, x1, y1 = area.geometry.buffer(region_buffer + 1000.0).bounds
        red_routes = gpd.clip(red_routes.to_crs(area.crs).assign(geometry=lambda g: g.geometry.make_valid()),
                              (x0, y0, x1, y1))
    share = boundary_covered(area, road_layers)
    if share < 0.99:
        notes.append(f"the road layers cover only {share:.0%} of the boundary: crossings on the rest are missing, "
                     "so sites there cannot be chosen (give a road layer covering the whole area)")
    crossings = road_crossings(area, road_layers, red_routes=red_routes)
    if crossings.empty:
        raise ModelError(f"no road of the road layers ({', '.join(road_layers) or 'none'}) crosses the boundary of "
                         f"{area.name} (they cover {share:.0%} of it): give a road layer of the area (roads=)", param='roads')
    if count_points is not None:
        crossings = attach_flows(crossings, count_points)
    else:
        crossings["flow"] = np.nan
        notes.append("no traffic counts: every crossing weighted by risk alone")
    ctx = getattr(context, "incidents", context)
    if ctx is not None and surface is not None:
        notes.append("demand counts burglaries on both sides of the boundary (context): the surface is not used")
    crossings = crossing_demand(crossings, area, roads=list(road_layers.values()), incidents=incidents,
                                surface=surface, context=ctx)
    n_imp = int(crossings["flow_imputed"].sum())
    if n_imp:
        notes.append(f"{n_imp} of {len(crossings)} crossings have no count within reach: median flow used")
    if candidates is None:
        candidates = candidate_sites(crossings, count_points, area, within=candidate_within)
    region = area.geometry.buffer(region_buffer)
    if existing is not None and len(existing):
        existing = existing[existing.geometry.intersects(region)]
    siting = CameraSiting.from_geodataframes(crossings, candidates, existing, weight="demand", radius=radius,
                                             region=region)
    result = siting.solve(k)
    if neighbours is None and area.layer is not None:
        neighbours = area.neighbours()
    if streets is None and incidents is not None:
        from ..places import street_points

        streets = street_points(incidents)
    result.sites = describe_sites(result.sites, area, postcodes=postcodes, neighbours=neighbours,
                                  red_routes=red_routes, count_points=count_points, crossings=crossings,
                                  streets=streets)
    if traffic_cameras is not None:
        traffic_cameras = traffic_cameras[traffic_cameras.geometry.intersects(region)]
        result.sites["traffic_camera_m"] = nearest_within(result.sites, traffic_cameras, radius)
    notes += cover_notes(existing, result, crossings, area)
    if k > len(siting.candidate_xy):
        notes.append(f"{k} new cameras asked for (--cameras) but the road layers give only "
                     f"{len(siting.candidate_xy)} candidate sites: {result.k_useful} of them add coverage")
    elif result.unused:
        notes.append(f"{result.k_useful} of {result.k} cameras add coverage; the other {len(result.unused)} would "
                     "add nothing once those are installed and are not listed")
    from ..places import layer_caveats

    # what the layers the plan rests on cannot tell (partial roads, postcode centroids, red routes missing)
    notes += layer_caveats([*(g.attrs.get("source") for g in road_layers.values()),
                            postcodes.attrs.get("source") if postcodes is not None else None])
    red_caveat = red_route_caveat(red_routes, area)
    notes += [red_caveat] if red_caveat else []
    mins: dict[str, int | None] = {}
    for target in targets:  # not `share`: that is the boundary share returned below
        try:
            mins[f"{target:.0%}"] = siting.min_cameras(target)[0]
        except ModelError as exc:
            mins[f"{target:.0%}"] = None
            notes.append(str(exc))
    return ANPRPlan(crossings, candidates, existing, result, mins, notes, boundary_share=share,
                    traffic_cameras=traffic_cameras)


# --------------------------------------------------------------------------- the `anpr` command's plan
#: How far across the boundary context incidents count towards demand: along
#: each crossing route plus the corridor either side, metres.
CONTEXT_REACH_M = ALONG_M + CORRIDOR_M


def with_candidate_defaults(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """User-supplied candidate sites with the columns siting needs: a
    ``site_id`` (S1, S2, ... in file order), ``kind`` ("candidate") and
    ``road`` (none known) where the layer has none.

    Parameters
    ----------
    candidates : GeoDataFrame
        Candidate points (working CRS, metres).

    Returns
    -------
    GeoDataFrame
        A copy with the missing columns added; given columns are kept.
    """
    out = candidates.copy()
    if "site_id" not in out:
        out["site_id"] = [f"S{k + 1}" for k in range(len(out))]
    if "kind" not in out:
        out["kind"] = "candidate"
    if "road" not in out:
        out["road"] = None
    return out
