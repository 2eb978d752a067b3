"""The ``anpr`` job: an area's camera plan, with the reference data filling
the layers the user did not give (was ``hotspot.anpr.plan_anpr_for_area``).
One entry point, :func:`plan_anpr_for_area`, serves the ``anpr`` command and
the run's ``anpr`` stage (which passes its own layers and forecast surface).
"""

from __future__ import annotations

import geopandas as gpd

from .._errors import ModelError
from ..anpr.plan import CONTEXT_REACH_M as CONTEXT_REACH_M  # the context reach the docstring names, for the command
from ..anpr.plan import ANPRPlan, plan_anpr, with_candidate_defaults
from ..areas import Area, load_boundaries
from ..context import Context
from ..crossborder import neighbours_without_data
from ..fetchers.layers import fetched_or_reference_roads
from ..incidents import IncidentsLike, as_frame
from ..kde import Surface
from ..periods import recent_incidents
from .reference import ReferenceData


def plan_anpr_for_area(area: Area, incidents: IncidentsLike, *, road_layers: dict[str, gpd.GeoDataFrame] | None = None,
                       reference: ReferenceData | None = None, candidates: gpd.GeoDataFrame | None = None,
                       existing: gpd.GeoDataFrame | None = None, postcodes: gpd.GeoDataFrame | None = None,
                       neighbours: gpd.GeoDataFrame | None = None, context: Context | None = None,
                       cameras: int = 20, radius: float = 500.0, months: int = 12,
                       surface: Surface | None = None, count_points: gpd.GeoDataFrame | None = None,
                       red_routes: gpd.GeoDataFrame | None = None, traffic_cameras: gpd.GeoDataFrame | None = None,
                       streets: gpd.GeoDataFrame | None = None) -> ANPRPlan:
    """An area's camera plan: :func:`plan_anpr` on the last ``months`` of
    burglary, with the reference data filling the layers not given.

    The one entry point of the ``anpr`` command and of the run's ``anpr``
    stage: the command leaves the layers to the reference data, the run
    passes those it read (a layer given always wins over the reference's).

    Parameters
    ----------
    area : Area
        The study area.
    incidents : Incidents or GeoDataFrame
        The area's incidents (working CRS, metres); the last ``months`` of
        them weigh the demand.
    road_layers : dict of str to GeoDataFrame, optional
        Full road layers by name; default: the reference data's partial layers.
    reference : ReferenceData, optional
        The reference data folder (:class:`hotspot.jobs.reference.ReferenceData`):
        roads when none are given, traffic counts, red routes and the TfL
        traffic cameras (JamCams), shown beside the sites as context: they
        read no number plate, so they never count as cover.
    candidates : GeoDataFrame, optional
        Candidate sites (given ``site_id``/``kind``/``road`` kept, see
        :func:`with_candidate_defaults`); default: crossings and count points.
    existing : GeoDataFrame, optional
        Existing ANPR cameras, kept fixed: their cover counts before any new
        camera (none given: 0 % already covered, and a note says so).
    postcodes : GeoDataFrame, optional
        Postcode layer naming each site's nearest postcode (a note says when
        there is none).
    neighbours : GeoDataFrame, optional
        Areas across the boundary (default: the area's own layer).
    context : Context, optional
        Incidents across the boundary within :data:`CONTEXT_REACH_M` metres;
        the same last ``months`` of them count towards demand.
    cameras : int
        New cameras to site, at most (sites adding nothing are dropped).
    radius : float
        Coverage radius of a camera, metres.
    months : int
        Burglary risk from the last this many months.
    surface : Surface, optional
        A forecast surface (the run's selected method): weighs demand only
        when there is no context (see :func:`plan_anpr`).
    count_points : GeoDataFrame, optional
        Traffic count points with ``flow`` (working CRS); default the
        reference's DfT counts.
    red_routes : GeoDataFrame, optional
        Red-route (TLRN) polygons, any CRS; default the reference's.
    traffic_cameras : GeoDataFrame, optional
        Cameras that read no number plate (working CRS): context beside the
        sites, never cover; default the reference's JamCams.
    streets : GeoDataFrame, optional
        Named street points naming the sites; default from the last
        ``months`` of incidents (:func:`hotspot.places.street_points`).

    Returns
    -------
    ANPRPlan

    Raises
    ------
    ModelError
        ``radius`` is not a positive number of metres (before any layer is
        read), or the camera model cannot be built.
    """
    if not radius > 0:
        # refused before any layer is read (the reference ones take seconds and may warn), as the model would
        raise ModelError("the coverage radius of a camera (radius=) must be a positive number of metres",
                         param='radius')
    incidents = as_frame(incidents)
    inc = recent_incidents(incidents, months=months)
    roads_used = None
    # a layer given (the run reads its own files) wins over the reference data's
    red = red_routes if red_routes is not None else reference.red_routes() if reference is not None else None
    if road_layers is None:
        # a street network fetched for the area (hotspot fetch roads) beats the reference's bus routes
        road_layers, roads_used = fetched_or_reference_roads(area, reference)
    # JamCams are traffic CCTV, not ANPR: a crossing only they watch is not seen, so they are context, not cover
    traffic = (traffic_cameras if traffic_cameras is not None
               else reference.traffic_cameras(area.crs) if reference is not None else None)
    if count_points is None and reference is not None:
        count_points = reference.count_points(area.crs)
    if neighbours is None and reference is not None and reference.districts is not None:
        # as the run: the districts beyond the area's own layer (another force's) are named too
        neighbours = area.neighbours(load_boundaries(reference.districts, crs=area.crs))
    if context is not None:
        # the run's cross-border rule, on every month: stray records do not make another force's data complete
        context = context.mark_missing(neighbours_without_data(incidents, context.incidents, area,
                                                               neighbours if neighbours is not None
                                                               else area.neighbours()))
        # said on the counts it was decided on (every month), not the window's
        missing_notes = context.missing_notes()
        context = context.recent(months, inc["occurred"].max())
    plan = plan_anpr(area, road_layers=road_layers, incidents=inc, surface=surface, count_points=count_points,
                     candidates=with_candidate_defaults(candidates) if candidates is not None else None,
                     existing=existing, red_routes=red,
                     k=cameras, radius=radius, postcodes=postcodes, neighbours=neighbours, context=context,
                     streets=streets, traffic_cameras=traffic)
    if context is not None:
        plan.context = context.to_json()
        plan.notes.append(f"context: {len(context.incidents):,} burglaries across the boundary in the same "
                          f"{months} months count towards demand")
        plan.notes += missing_notes
    if postcodes is None:
        plan.notes.append("no postcode layer: give --postcodes to name each site's nearest postcode")
    if roads_used:
        plan.notes.append(roads_used)
    return plan
