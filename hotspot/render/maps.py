"""Map layers per analysis, and one map per audience.

Marker styles never repeat across layers: nano-beat targets are purple
numbered circles, ANPR sites teal numbered squares, the patrol start a black
"S" square, campaign targets shaded polygons.

:func:`audience_maps` writes the patrol, cameras and campaign maps plus an
overview whose default visible layers read at a glance (area, hotspots,
numbered nano-beats and ANPR sites; everything else one click away).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..anpr.caveats import TRAFFIC_CAMERA_LABEL
from .leaflet import COLOURS, HotspotMap, esc
from .surfaces import add_hotspots_to_map, add_surface

if TYPE_CHECKING:  # annotations only: the analytics modules do not import the renderers
    from ..anpr.plan import ANPRPlan
    from ..anpr.result import SitingResult
    from ..areas import Area
    from ..campaigns.plan import CampaignPlan
    from ..kde import Surface
    from ..nanobeats.plan import NanoBeatPlan

ANPR_COLOUR = "#117a65"
START_COLOUR = "#111111"


def add_nanobeats(m: HotspotMap, plan: NanoBeatPlan, name: str = "Nano-beat targets", show: bool = True) -> None:
    """Targets (numbered circles in patrol order, tooltips with why and
    expiry), the route (solid along streets, dashed as the crow flies) and
    the start.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    plan : NanoBeatPlan
        From :meth:`hotspot.nanobeats.NanoBeatPlanner.solve`; no targets:
        nothing drawn.
    name : str
        Layer name prefix (layer control and legend).
    show : bool
        Layers visible when the map opens.
    """
    if plan.targets.empty:
        return
    t = plan.targets.copy()
    t["tip"] = [f"#{r.patrol_order} {r.target_id}: "
                f"{r.street if isinstance(getattr(r, 'street', None), str) and r.street else r.label} · {r.why} · "
                + (f"active until {plan.format_date(r.active_until)}" if pd.notna(r.active_until)
                   else "no expiry (history only)")
                for r in t.itertuples()]
    m.add_polygons(t, name, colour=COLOURS["target"], weight=2, fill_opacity=0.35, tooltip=["tip"],
                   aliases=["Target"], legend=f"{name} (as of {plan.format_date(plan.as_of)})", show=show)
    pts = gpd.GeoDataFrame(t[["patrol_order", "tip"]], geometry=gpd.points_from_xy(t.centroid_x, t.centroid_y),
                           crs=t.crs)
    m.add_points(pts, f"{name}: patrol order", colour=COLOURS["target"], radius=9, tooltip="tip",
                 label="patrol_order", show=show)
    lines = plan.beat_lines()  # one route per beat: no line joins two beats
    if lines:
        how = "along streets" if plan.route_on_streets else "as the crow flies"
        fg = folium.FeatureGroup(name=esc(f"{name}: route ({plan.route_length_m / 1000:.1f} km, {how})"), show=show)
        for k, ll in enumerate(gpd.GeoSeries(lines, crs=t.crs).to_crs(4326), start=1):
            beat = f", beat {k}" if len(lines) > 1 else ""
            folium.PolyLine([(y, x) for x, y in ll.coords], color=COLOURS["target"], weight=3,
                            dash_array=None if plan.route_on_streets else "6 6",
                            tooltip=esc(f"Patrol route{beat}, {how}"), class_name="hotspot-route").add_to(fg)
        m.add_layer(fg)
    if plan.start is not None:
        s = gpd.GeoDataFrame({"label": ["S"], "tip": ["Start and finish"]},
                             geometry=gpd.points_from_xy([plan.start[0]], [plan.start[1]]), crs=t.crs)
        m.add_points(s, "Patrol start", colour=START_COLOUR, radius=9, tooltip="tip", label="label", shape="square",
                     legend="Patrol start (S)", show=show, css_class="hotspot-start")


def add_anpr(m: HotspotMap, result: SitingResult, crossings: gpd.GeoDataFrame | None = None,
             existing: gpd.GeoDataFrame | None = None, existing_label: str = "Existing cameras",
             show: bool = True, show_context: bool = False,
             traffic_cameras: gpd.GeoDataFrame | None = None) -> None:
    """Crossings, existing cameras, new sites as numbered teal squares (in
    install order) and their coverage circles.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    result : SitingResult
        The solved siting (``ANPRPlan.result``): sites and their reach
        ``radius_m`` (metres, drawn as circles).
    crossings : GeoDataFrame, optional
        Road crossings of the boundary (``crossing_id``, ``road``, ``flow``
        vehicles per hour, ``demand_share``).
    existing : GeoDataFrame, optional
        Cameras already installed (points).
    existing_label : str
        Layer and legend name of the existing cameras.
    show : bool
        New sites visible when the map opens.
    show_context : bool
        Crossings, existing cameras and coverage circles visible when the
        map opens.
    traffic_cameras : GeoDataFrame, optional
        Cameras that read no number plate (``ANPRPlan.traffic_cameras``,
        TfL JamCams): drawn as context, never as cover.
    """
    if crossings is not None and len(crossings):
        c = crossings.copy()
        c["tip"] = [f"{r.crossing_id}: {r.road}" + (f" · flow {r.flow:,.0f} vehicles/h" if pd.notna(getattr(r, "flow", np.nan)) else "")
                    + (f" · demand share {r.demand_share:.1%}" if hasattr(r, "demand_share") else "")
                    for r in c.itertuples()]
        m.add_points(c, "Road crossings of the boundary", colour="#34495e", radius=4, tooltip="tip",
                     legend="Road crossings", show=show_context)
    if existing is not None and len(existing):
        e = existing.copy()
        e["tip"] = existing_label
        m.add_points(e, existing_label, colour="#7f8c8d", radius=4, tooltip="tip", legend=existing_label,
                     show=show_context)
    if traffic_cameras is not None and len(traffic_cameras):
        t = traffic_cameras.assign(tip=TRAFFIC_CAMERA_LABEL + ": context, not cover")
        m.add_points(t, TRAFFIC_CAMERA_LABEL, colour="#b9b9b9", radius=3, tooltip="tip", legend=TRAFFIC_CAMERA_LABEL,
                     show=show_context)
    s = result.sites.copy()
    if s.empty:
        return
    s["tip"] = [f"#{r.install_order} {r.site_id}: {r.road}"
                + (f" · {r.postcode}" if isinstance(getattr(r, "postcode", None), str) else "")
                + (f" · {r.owner}" if isinstance(getattr(r, "owner", None), str) else "")
                + f" · adds {r.marginal_gain:.1%} of demand"
                + (f" · JamCam {r.traffic_camera_m:.0f} m away (not ANPR)"
                   if pd.notna(getattr(r, "traffic_camera_m", np.nan)) else "") for r in s.itertuples()]
    circles = folium.FeatureGroup(name=esc(f"New cameras: {result.radius_m:g} m coverage"), show=show_context)
    for r in s.to_crs(4326).itertuples():
        folium.Circle([r.geometry.y, r.geometry.x], radius=result.radius_m, color=ANPR_COLOUR, weight=1,
                      fill=True, fill_opacity=0.08).add_to(circles)
    m.add_layer(circles)
    m.add_points(s, f"New ANPR sites ({len(s)})", colour=ANPR_COLOUR, radius=9, tooltip="tip", label="install_order",
                 shape="square", css_class="hotspot-anpr", show=show,
                 legend=f"New ANPR sites, numbered in install order ({result.coverage_after:.1%} of demand covered)")


def add_campaign(m: HotspotMap, plan: CampaignPlan, name: str = "Leaflet and timer-switch targets", show: bool = True,
                 public: bool = False) -> None:
    """Target units shaded by risk (visible when the map opens), tooltips
    with the allocation and the postcodes to drop first.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    plan : CampaignPlan
        From :func:`hotspot.campaigns.plan_campaign`; no targets: nothing
        drawn.
    name : str
        Layer and legend name.
    show : bool
        Visible when the map opens.
    public : bool
        Leave out modelled burglary figures (households and allocations
        only), for maps handed to the public; from exact-address data also
        the streets, and postcode sectors instead of units.
    """
    import matplotlib

    from ..disclosure.publish import postcode_sector

    hide = public and plan.streets_from_addresses
    t = plan.targets.copy()
    if t.empty:
        return
    cm = matplotlib.colormaps["Purples"]
    top = max(float(t["rate_per_1000_households"].max()), 1e-9)
    t["fill"] = [matplotlib.colors.to_hex(cm(0.3 + 0.7 * r / top)) for r in t["rate_per_1000_households"]]
    tips = []
    for r in t.itertuples():
        tip = f"#{r.rank} {r.name}: {r.households:,} households, {r.leaflets:,} leaflets, {r.timer_switches:,} timer switches"
        if not public:
            tip += (f", {r.expected_burglaries:.1f} expected burglaries/yr "
                    f"({r.rate_per_1000_households:.1f} per 1,000 households)")
        pcs = getattr(r, "postcodes", None)
        if isinstance(pcs, list) and pcs and hide:
            tip += f" · postcode sectors: {', '.join(sorted({postcode_sector(p) for p in pcs}))}"
        elif isinstance(pcs, list) and pcs:
            tip += f" · drop first: {', '.join(pcs[:6])}{' ...' if len(pcs) > 6 else ''}"
        streets = getattr(r, "streets", None)
        if isinstance(streets, list) and streets and not hide:
            tip += f" · streets: {', '.join(streets[:4])}"
        tips.append(tip)
    t["tip"] = tips
    window = plan.campaign_window
    m.add_polygons(t, name, colour="#6c3483", weight=1, fill_opacity=0.45, tooltip=["tip"], aliases=["Target"],
                   legend=f"{name} ({window[0]:%d %b} to {window[1]:%d %b %Y})", fill_column="fill", show=show)
    if plan.notes and not public:  # the plan's caveats (generalised units, postcodes not households) on the page
        from .leaflet import NoteBox

        m.map.add_child(NoteBox("Notes on this plan", plan.notes))


def add_public_cells(m: HotspotMap, cells: gpd.GeoDataFrame, name: str = "Burglaries per cell", show: bool = True) -> None:
    """Publishable counts (from :func:`hotspot.disclosure.public_cells`):
    cells at or above k shaded, smaller counts not drawn.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    cells : GeoDataFrame
        :func:`hotspot.disclosure.public_cells` (``burglaries`` band,
        ``band_low``, ``period``, ``cell_m`` metres, ``k``); empty: nothing
        drawn.
    name : str
        Layer and legend name.
    show : bool
        Visible when the map opens.
    """
    import matplotlib

    if cells.empty:
        return
    c = cells.copy()
    cm = matplotlib.colormaps["OrRd"]
    top = max(float(c["band_low"].max()), 1.0)
    c["fill"] = [matplotlib.colors.to_hex(cm(0.25 + 0.75 * v / top)) for v in c["band_low"]]
    c["tip"] = [f"{band} burglaries ({lab})" for band, lab in zip(c["burglaries"], c["period"])]
    k = int(c["k"].iloc[0])
    m.add_polygons(c, name, colour="#b03a2e", weight=0.5, fill_opacity=0.55, tooltip=["tip"], aliases=["Cell"],
                   fill_column="fill", show=show,
                   legend=f"{name}, {c['period'].iloc[0]} ({int(c['cell_m'].iloc[0])} m cells; counts in bands of "
                          f"{k}; fewer than {k} not shown)")


def audience_maps(area: Area, out_dir: str | Path, *, name: str, neighbours: gpd.GeoDataFrame | None = None,
                  nanobeats: NanoBeatPlan | None = None, anpr: ANPRPlan | None = None,
                  campaign: CampaignPlan | None = None, surface: Surface | None = None, hotspots: gpd.GeoDataFrame | None = None,
                  recent: gpd.GeoDataFrame | None = None, tiles: str | None = None,
                  existing_label: str = "Existing cameras", surface_name: str = "Forecast") -> dict[str, Path]:
    """One map per audience plus an overview.

    Parameters
    ----------
    area : Area
        The area mapped (outline drawn, maps fitted to it).
    out_dir : path
        Folder for the maps (``{name}_patrol.html``, ``{name}_cameras.html``,
        ``{name}_campaign.html``, ``{name}_overview.html``).
    name : str
        File-name stem (e.g. the area's slug).
    neighbours : GeoDataFrame, optional
        Neighbouring areas, outlined for orientation.
    nanobeats : NanoBeatPlan, optional
        Patrol targets and route (patrol map, overview).
    anpr : ANPRPlan, optional
        Camera sites (cameras map, overview).
    campaign : CampaignPlan, optional
        Leaflet and timer-switch targets (campaign map, overview).
    surface : Surface, optional
        Forecast or density surface (hidden on the overview).
    hotspots : GeoDataFrame, optional
        Hotspot polygons (visible on the overview).
    recent : GeoDataFrame, optional
        Recent incidents (hidden layers; police maps only).
    tiles : str, optional
        Base tiles (see :func:`hotspot.render.leaflet.add_base_tiles`).
    existing_label : str
        Layer name of the cameras already installed.
    surface_name : str
        Layer and legend name of ``surface``.

    Returns
    -------
    dict
        ``{"patrol" | "cameras" | "campaign" | "overview": path}`` for the
        maps written (an audience without its plan gets none).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}

    def base(title: str) -> HotspotMap:
        m = HotspotMap(area, tiles=tiles, title=title)
        if neighbours is not None and len(neighbours):
            m.add_neighbours(neighbours)
        return m

    if nanobeats is not None:
        m = base(f"{area.name}: patrol targets as of {nanobeats.format_date(nanobeats.as_of)}")
        if recent is not None and len(recent):
            m.add_incidents(recent, name="Recent burglaries", show_markers=False)
            _hide_last(m, 2)  # context one click away: the targets read first
        add_nanobeats(m, nanobeats)
        paths["patrol"] = m.save(out_dir / f"{name}_patrol.html")
    if anpr is not None:
        m = base(f"{area.name}: ANPR camera sites")
        add_anpr(m, anpr.result, anpr.crossings, anpr.existing, existing_label=existing_label, show_context=True,
                 traffic_cameras=anpr.traffic_cameras)
        paths["cameras"] = m.save(out_dir / f"{name}_cameras.html")
    if campaign is not None:
        m = base(f"{area.name}: prevention campaign")
        add_campaign(m, campaign)
        paths["campaign"] = m.save(out_dir / f"{name}_campaign.html")
    m = base(f"{area.name}: overview")
    if surface is not None:
        add_surface(m, surface, surface_name, show=False)
    if recent is not None and len(recent):
        m.add_incidents(recent, name="Recent burglaries", show_markers=False)
        _hide_last(m, 2)
    if hotspots is not None and len(hotspots):
        add_hotspots_to_map(m, hotspots, "Hotspots")
    if campaign is not None:
        add_campaign(m, campaign, show=False)
    if anpr is not None:
        add_anpr(m, anpr.result, anpr.crossings, anpr.existing, existing_label=existing_label,
                 traffic_cameras=anpr.traffic_cameras)
    if nanobeats is not None:
        add_nanobeats(m, nanobeats)
    paths["overview"] = m.save(out_dir / f"{name}_overview.html")
    return paths


def _hide_last(m: HotspotMap, n: int) -> None:
    """Switch the last ``n`` layers added off when the map opens."""
    for child in list(m.map._children.values())[-n:]:
        if hasattr(child, "show"):
            child.show = False
