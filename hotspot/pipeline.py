"""The end-to-end job behind ``hotspot run`` and ``hotspot demo``: an area's
data in, plans and maps out.

A run is a list of named stages (:data:`STAGES`) over one area's
configuration (:class:`RunConfig`); each stage adds files, figures and map
layers, and a stage whose input layer is missing or does not cover the area
is skipped with its reason (never a silent gap). Nothing here names an area.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import pandas as pd

from . import settings
from ._errors import FetchError, HotspotError
from .areas import Area, load_area, load_boundaries
from .context import name_column_of
from .crossborder import border_concentration, border_zones, density_by_neighbour
from .fetchers.layers import prefer_fetched_streets
from .forecast.counts import PeriodCounts
from .forecast.methods import forecast_surface
from .forecast.rolling import BacktestResult
from .grid import Grid
from .hotspots import gi_star, hotspot_mask, hotspot_polygons
from .incidents import Incidents
from .intake import IntakeResult, read_incidents
from .io.write import write_table
from .jobs.reference import ReferenceData, resolve_data_dir  # re-exported: old callers import them from here
from .nanobeats import write_plan
from .periods import last_month, next_month_start, recent_incidents
from .places import layer_caveats
from .render import write_page
from .render.leaflet import HotspotMap
from .render.maps import add_anpr, add_campaign
from .render.nanobeats import add_plan_to_map
from .render.report import report_html
from .render.surfaces import add_gi_to_map, add_hotspots_to_map, add_month_slider, add_surface
from .selection import MethodSelection, select_method
from .sources import slug

log = logging.getLogger("hotspot")


@dataclass
class RunConfig:
    """One area's run: where its data are and the analysis parameters.

    Every layer but the boundary and the incidents is optional: a stage whose
    layer is absent, or does not cover the area, is skipped and the run's
    ``skipped`` list says so (never a silent gap).

    Attributes
    ----------
    area_file, area : path, str
        Boundary layer and the area's name or code in it.
    incidents : list of path
        Incident files (any format :func:`hotspot.intake.read_incidents`
        reads); they may hold other areas too (the area filter applies).
    outside_incidents : list of path
        Incidents around the area for the cross-border figures (default: the
        ``incidents`` files, read within ``fringe_m`` of the boundary).
    context : list of path, optional
        Incidents across the boundary that inform nano-beats and camera
        demand (:mod:`hotspot.context`); never counted as the area's own.
    neighbours_file : path, optional
        Layer of neighbouring areas (e.g. districts beyond a force boundary);
        default the boundary layer.
    road_files : dict, optional
        Name -> road line layer, for camera siting.
    street_files : list of path, optional
        Street line layers given by the user (``run --roads``): nano-beat
        risk per street segment, routes along the streets and the brief's
        street names, as ``brief --roads``; the partial reference road layers
        are never taken for streets.
    count_points, count_flows, red_routes, existing_cameras : path, optional
        DfT count points and their counts, red-route polygons, existing ANPR
        cameras (their cover counts as already covered).
    traffic_cameras : path, optional
        Cameras that read no number plate (the reference's TfL JamCams):
        named beside the sites as context, never counted as cover.
    lsoa_file, households_file : path, optional
        Units (LSOA polygons) and Census households, for the campaign.
    postcodes : path, optional
        Postcode points (or polygons): drop lists, site and target names.
    london_files : dict, optional
        Keyword arguments of :meth:`hotspot.report.LondonContext.from_files`.
    crime_types : list of str
        Crime types kept (default burglary).
    read_options : dict, optional
        Passed on to :func:`hotspot.intake.read_incidents` for the incident
        files (``crs``, ``columns``, ``date_format``, ``format``), and for
        context read from the same files.
    cell_m, fringe_m, camera_radius_m, nanobeat_distance_m : float
        Cell size of the forecast and of the nano-beat risk grid, cross-border
        fringe, camera radius and near-repeat distance, metres.
    cameras, nanobeat_targets, backtest_periods, map_months : int
    """

    area_file: Path
    area: str
    incidents: list[Path]
    outside_incidents: list[Path] | None = None
    context: list[Path] | None = None
    neighbours_file: Path | None = None
    road_files: dict[str, Path] = field(default_factory=dict)
    street_files: list[Path] | None = None
    count_points: Path | None = None
    count_flows: Path | None = None
    red_routes: Path | None = None
    existing_cameras: Path | None = None
    existing_label: str = "Existing ANPR cameras"
    #: Cameras that read no number plate (TfL JamCams): context beside the sites, never cover.
    traffic_cameras: Path | None = None
    lsoa_file: Path | None = None
    households_file: Path | None = None
    postcodes: Path | None = None
    london_files: dict[str, Path] | None = None
    crime_types: list[str] = field(default_factory=lambda: [settings.BURGLARY])
    read_options: dict[str, Any] = field(default_factory=dict)
    cell_m: float = 50.0
    fringe_m: float = 3000.0
    camera_radius_m: float = 500.0
    cameras: int = 20
    nanobeat_distance_m: float = 200.0
    nanobeat_targets: int = 10
    backtest_periods: int = 24
    map_months: int = 12
    #: The previous plan's targets (e.g. ``reports/<area>_nanobeats.geojson``)
    #: and the day it began: the ``assess`` stage says whether they worked.
    assess_targets: Path | None = None
    assess_start: str | None = None

    @classmethod
    def from_reference(cls, root: str | Path, area: str, **overrides: Any) -> "RunConfig":
        """The run for any area of the reference data's boundary layer
        (London boroughs), reading the London-wide incident file in place.

        Parameters
        ----------
        root : str or Path
            The reference data folder (the layout of ``../shared/data``).
        area : str
            Name or code of the area in the boroughs layer.
        **overrides
            Fields of :class:`RunConfig` to set instead of the reference's
            (e.g. ``cameras=10``).

        Returns
        -------
        RunConfig
            Every reference layer the folder holds filled in.
        """
        ref = ReferenceData(Path(root))
        cfg = cls(
            area_file=ref.boroughs, area=area, incidents=[ref.incidents], context=[ref.incidents],
            neighbours_file=ref.lads,
            road_files=ref.road_files(), count_points=ref._maybe("roads/london_dft_traffic_count_points.geojson"),
            count_flows=ref._maybe("roads/london_dft_traffic_counts_*.csv"),
            red_routes=ref.red_route_file,
            traffic_cameras=ref._maybe("cameras/tfl_jamcams_*.geojson"),
            lsoa_file=ref.lsoa_file,
            households_file=ref._maybe("demographics/lsoa2011_census2011_population_households.csv"),
            postcodes=ref.postcodes,
            london_files=ref.london_files())
        for k, v in overrides.items():
            setattr(cfg, k, v)
        return cfg


@dataclass
class RunResult:
    """What a run produced: files, figures per stage, timings and skips."""

    area: Area
    intake: IntakeResult
    map_path: Path | None = None
    steps: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


#: Kept for callers of the first API: the demo's result is a run's result.
DemoResult = RunResult


@dataclass
class _Run:
    """State passed from stage to stage (made by :func:`_intake`)."""

    config: RunConfig
    out: Path
    reports: Path
    tiles: str | None
    gi: bool
    result: RunResult
    area: Area
    #: the area's own incidents: the one value every stage is handed (``incidents`` is its frame)
    own: Incidents
    as_of: pd.Timestamp
    name: str
    layers: dict = field(default_factory=dict)
    #: progress display: called with a stage's name, and within a long stage with what it is at
    step: Callable[[str], None] | None = None
    #: fit the forecast method selection again even when the cache holds it
    refit: bool = False
    #: widest buffer (metres) around the area that the run's stages read incidents in: read once at this reach
    reach: float = 0.0

    @property
    def incidents(self) -> gpd.GeoDataFrame:
        """The area's own incidents as a frame (working CRS, metres): ``own.frame``."""
        return self.own.frame

    def output(self, key: str, filename: str) -> Path:
        path = self.reports / f"{self.name}_{filename}"
        self.result.outputs[key] = path
        return path

    def context(self, buffer_m: float, months: int | None = None):
        """Context incidents within ``buffer_m`` metres (read once per
        buffer), restricted to the last ``months`` months when given; None
        without context files."""
        from .context import build_context, source_names

        cfg = self.config
        if not cfg.context:
            return None
        key = ("context", buffer_m)
        if key not in self.layers:
            self.layers[key] = build_context(self.area, self.around(cfg.context, buffer_m), own=self.incidents,
                                             buffer_m=buffer_m, neighbours=self.layers["neighbours"],
                                             sources=source_names(cfg.context))
        # the cross-border stage tests each neighbour clear of the boundary: its verdict holds here too
        ctx = self.layers[key].mark_missing(self.layers.get("neighbours_without_data", []))
        if months is not None:
            ctx = ctx.recent(months, self.incidents["occurred"].max())
        return ctx

    def around(self, paths: list[Path], buffer_m: float) -> gpd.GeoDataFrame:
        """Incidents of ``paths`` within ``buffer_m`` metres of the area (and
        in it), read once per run at the widest buffer any of its stages asks
        for (:attr:`reach`): a narrower stage selects from the same read."""
        from .context import read_around

        key = ("around", tuple(map(str, paths)))
        have = self.layers.get(key)
        if have is None or have[0] < buffer_m:  # first read, or a stage reaching beyond the planned widest
            reach = max(self.reach, buffer_m)
            same = set(map(str, paths)) <= set(map(str, self.config.incidents or []))
            options = dict(self.config.read_options) if same else {}
            have = (reach, read_around(paths, self.area, buffer_m=reach, crime_types=self.config.crime_types,
                                       **options))
            self.layers[key] = have
        return have[1]

    def streets(self) -> gpd.GeoDataFrame | None:
        """The user's street layers as one line layer (read once), or None."""
        from .crossborder import read_roads

        files = self.config.street_files
        if not files:
            return None
        if "streets" not in self.layers:
            lines = [read_roads(p, self.area.crs) for p in files]
            self.layers["streets"] = gpd.GeoDataFrame(pd.concat(lines, ignore_index=True), crs=self.area.crs)
        return self.layers["streets"]

    def skip(self, stage: str, why: str) -> None:
        self.result.skipped[stage] = why
        log.warning("%s skipped: %s", stage, why)


def _intake(cfg: RunConfig, out: Path, reports: Path, tiles: str | None, gi: bool, reach: float = 0.0,
            together: bool = False) -> _Run:
    """The first stage: the area, its incidents and the layers every later
    stage shares (neighbours, postcodes). ``reach`` is the widest buffer
    (metres) the stages read incidents in; ``together``: a stage reads the
    incident files around the area, so they are read once, at ``reach``, and
    the area's own incidents are judged from the same read (the membership
    rule and edge tolerance of a read for the area alone)."""
    from .context import read_with_around

    area = load_area(cfg.area_file, cfg.area)
    around = None
    if together and reach > 0:
        intake, around = read_with_around(cfg.incidents, area, buffer_m=reach, crime_types=cfg.crime_types,
                                          **cfg.read_options)
    else:
        intake = read_incidents(cfg.incidents, crime_types=cfg.crime_types, area=area, **cfg.read_options)
    intake.require_incidents()
    own = intake.to_incidents()
    # plans are made for the month after the latest data, as an analyst would
    as_of = next_month_start(own.frame)
    run = _Run(config=cfg, out=out, reports=reports, tiles=tiles, gi=gi, result=RunResult(area=area, intake=intake),
               area=area, own=own, as_of=as_of, name=slug(area.name), reach=reach)
    if around is not None:  # every stage's buffer selects from this one read (_Run.around)
        run.layers[("around", tuple(map(str, cfg.incidents)))] = (reach, around)
    run.result.summary.update(intake.summary(), area=area.name, area_km2=round(area.area_km2, 2),
                              as_of=str(as_of.date()))
    run.layers["neighbours"] = (area.neighbours(load_boundaries(cfg.neighbours_file, crs=area.crs))
                                if cfg.neighbours_file else area.neighbours())
    run.result.summary["layer_caveats"] = layer_caveats([*cfg.road_files.values(), cfg.lsoa_file, cfg.postcodes])
    if cfg.postcodes:
        from .places import read_postcodes

        run.layers["postcodes"] = read_postcodes(cfg.postcodes, area.crs)
    # a street network fetched for the area (hotspot fetch roads) replaces the partial reference road layers
    roads, run.result.summary["roads"] = prefer_fetched_streets(cfg.road_files, area)
    run.config = replace(cfg, road_files=roads)
    return run


def _stage_hotspots(run: _Run) -> None:
    # let the data choose the surface: a rolling backtest of every method
    # over the last two years, then that method's forecast for next month
    cfg, inc, area = run.config, run.incidents, run.area
    # the neighbours' burglaries reach the smoothing methods near the boundary
    pc = PeriodCounts.from_incidents(inc, area, cell=cfg.cell_m, context=run.context(1000.0))
    if len(pc.periods) < 14:
        raise HotspotError(f"{area.name}: {len(pc.periods)} periods of data; choosing a forecast needs at least 14")
    path = run.output("hotspots", "hotspots.gpkg")
    sel = _select_method(run, pc)
    surface = forecast_surface(pc, sel.best, run.as_of)
    del pc  # the per-period arrays (and the method's cache) are done with: freed before Gi* (issue 22)
    recent12 = recent_incidents(inc, months=12)
    hot = hotspot_polygons(surface, hotspot_mask(surface, share=0.05), recent12)
    write_table(surface.to_gdf("score").drop(columns=["row", "col"]), path, layer="cells")
    write_table(hot, path, layer="hotspots")
    run.layers.update(surface=surface, method=sel.best, hotspots=hot)
    if sel.backtest is not None:
        run.layers["backtest"] = sel.backtest
    if run.gi:
        g = Grid.for_geometry(area.geometry, 250.0, area.crs)
        run.layers["gi"] = gi_star(g.bin(recent12.geometry.x, recent12.geometry.y), g, g.mask(area.geometry))
    run.result.summary["hotspots"] = sel.summary | {"polygons": len(hot), "selection": sel.to_json()}


def _select_method(run: _Run, pc: PeriodCounts) -> MethodSelection:
    """The backtest's method choice: reused from the cache while the counts
    and options are those it was fitted on, else fitted (``--refit``: always);
    the progress line says which."""
    cfg, step = run.config, run.step
    outputs = {"backtest.csv": run.output("backtest", "backtest.csv"),
               "backtest.json": run.output("backtest_json", "backtest.json")}

    def write(bt: BacktestResult) -> None:
        write_table(bt.at(0.05), outputs["backtest.csv"])
        outputs["backtest.json"].write_text(json.dumps(bt.to_json(0.05), indent=1), encoding="utf-8")

    sel = select_method(pc, start=str(pc.periods[max(len(pc.periods) - cfg.backtest_periods, 13)]),
                        end=str(pc.periods[-1]), bootstrap=200, outputs=outputs, write=write,
                        summarise=lambda bt: _hotspots_summary(bt, 0), files=[*cfg.incidents, *(cfg.context or [])],
                        refit=run.refit,
                        progress=(lambda done, total: step(f"hotspots: backtest {done}/{total} periods"))
                        if step else None)
    if not sel.best:
        warnings = sel.backtest.warnings if sel.backtest is not None else []
        raise HotspotError(f"{run.area.name}: the backtest could not choose a forecast method: {'; '.join(warnings)}")
    how = (f"method {sel.best} reused from the cache (fitted {sel.fitted_at}; --refit fits again)" if sel.reused
           else f"method {sel.best} fitted and cached")
    log.info("hotspots: %s", how)
    if step:
        step(f"hotspots: {how}")
    return sel


def _hotspots_summary(bt: BacktestResult, polygons: int) -> dict[str, Any]:
    """The method mapped and the honest score of choosing it: the PAI at 5 %
    of the area of the nested selection, out of sample, and its paired ratio
    to the naive baseline (two years of counts) - not the best in-sample row
    of the table, which may be another method and flatters whichever won."""
    sel = bt.to_json(0.05)
    chosen, naive = sel["selected"], sel["vs_naive"]
    return {"method": bt.best, "backtest_periods": bt.n_periods, "period": sel["period"], "polygons": polygons,
            "pai_5pct": None if chosen is None else round(float(chosen["pai"]), 2),
            "pai_5pct_ci95": None if chosen is None else chosen["pai_ci"],
            "pai_5pct_of": f"the method chosen each {sel['period']} on the {sel['period']}s before it, scored out "
                           "of sample",
            "naive": None if naive is None else naive["baseline"],
            "vs_naive": None if naive is None else naive["ratio"],
            "vs_naive_ci95": None if naive is None else naive["ratio_ci"]}


def _stage_crossborder(run: _Run) -> None:
    from .context import build_context, read_context

    cfg, area = run.config, run.area
    neighbours = run.layers["neighbours"]
    if neighbours is None or neighbours.empty:
        return run.skip("cross-border", f"no area of the boundary layer borders {area.name}: give a layer of the "
                                        "areas around it (--neighbours-file) to compare either side of the boundary")
    # the fringe is the context at the fringe's width: never the area's own incidents
    if cfg.outside_incidents:
        outside = read_context(cfg.outside_incidents, area, run.incidents, buffer_m=cfg.fringe_m,
                               neighbours=neighbours, crime_types=cfg.crime_types).incidents
    else:  # the incident files themselves: the run's one read around the area
        outside = build_context(area, run.around(cfg.incidents, cfg.fringe_m), own=run.incidents,
                                buffer_m=cfg.fringe_m, neighbours=neighbours).incidents
    zones = border_zones(area)
    conc = border_concentration(run.incidents, area, zones=zones)
    dens = density_by_neighbour(run.incidents, outside, area, neighbours,
                                name_column=name_column_of(neighbours))
    write_table(conc, run.output("border zones", "border_zones.csv"))
    write_table(dens, run.output("border density", "border_density.csv"))
    no_data = dens.loc[dens["outside_density"].isna(), "neighbour"].astype(str).tolist()
    run.layers["neighbours_without_data"] = no_data
    run.layers["zones"] = zones
    row = conc[(conc.month == "all") & (conc.distance_m == 250)]
    run.result.summary["border"] = {"ratio_250m": round(float(row.ratio.iloc[0]), 3) if len(row) else None,
                                    "outside_incidents": len(outside), "neighbours_without_data": no_data}


def _stage_anpr(run: _Run) -> None:
    from .crossborder import count_point_flows, read_roads

    cfg, area = run.config, run.area
    if not cfg.road_files:
        return run.skip("anpr", "no road layer given")
    roads = {name: read_roads(p, area.crs) for name, p in cfg.road_files.items()}
    ring = area.geometry.boundary.buffer(cfg.camera_radius_m)
    covered = {n: g for n, g in roads.items() if g.intersects(ring).any()}
    if not covered:
        return run.skip("anpr", f"the road layers ({', '.join(roads)}) do not reach {area.name}'s boundary")
    counts = None
    if cfg.count_points and cfg.count_flows:
        counts = count_point_flows(gpd.read_file(cfg.count_points).to_crs(area.crs), pd.read_csv(cfg.count_flows))
    from .jobs.anpr import CONTEXT_REACH_M, plan_anpr_for_area
    from .places import street_points

    # the anpr command's plan on the run's own layers (no reference data: the run's config names every file) and
    # its whole context, which the job marks for neighbours without data and cuts to the same 12 months
    plan = plan_anpr_for_area(
        area, run.own, road_layers=covered, surface=run.layers.get("surface"), count_points=counts,
        existing=gpd.read_file(cfg.existing_cameras).to_crs(area.crs) if cfg.existing_cameras else None,
        red_routes=gpd.read_file(cfg.red_routes) if cfg.red_routes else None,
        cameras=cfg.cameras, radius=cfg.camera_radius_m, months=12, postcodes=run.layers.get("postcodes"),
        neighbours=run.layers["neighbours"], streets=street_points(run.incidents),
        context=run.context(CONTEXT_REACH_M),
        traffic_cameras=gpd.read_file(cfg.traffic_cameras).to_crs(area.crs) if cfg.traffic_cameras else None)
    write_table(plan.result.sites.drop(columns=["x", "y"]), run.output("anpr", "anpr_sites.geojson"))
    write_table(plan.result.marginal, run.output("anpr marginal", "anpr_marginal.csv"))
    run.layers["anpr"] = plan
    run.result.summary["anpr"] = plan.result.to_json() | {"min_cameras": plan.min_cameras, "notes": plan.notes,
                                                          "context": plan.context}


def _stage_campaign(run: _Run) -> None:
    from ._errors import UnitCoverageError
    from .jobs.campaign import plan_leaflets_for_area

    cfg, area = run.config, run.area
    if not (cfg.lsoa_file and cfg.households_file):
        return run.skip("campaign", "no unit layer with households (LSOAs + Census households) given")
    try:  # the leaflets command's plan, on the run's LSOAs, postcodes and selected forecast surface
        campaign = plan_leaflets_for_area(area, run.own, lsoa_file=cfg.lsoa_file,
                                          households_file=cfg.households_file, postcodes=run.layers.get("postcodes"),
                                          reference=False, min_coverage=0.95, surface=run.layers.get("surface"),
                                          method=None, as_of=run.as_of)  # no surface: the yearly rate, as before
    except UnitCoverageError as exc:
        return run.skip("campaign", str(exc))
    write_table(campaign.targets.drop(columns="geometry"), run.output("campaign", "leaflet_plan.csv"))
    run.layers["campaign"] = campaign
    run.result.summary["campaign"] = {k: v for k, v in campaign.to_json().items() if k != "targets"}


def _stage_report(run: _Run) -> None:
    from .jobs.report import plan_report
    from .report.london import LondonContext

    cfg = run.config
    london = LondonContext.from_files(**cfg.london_files) if cfg.london_files else None
    report = plan_report(run.own, run.area.name, str(last_month(run.incidents)), london=london,
                         sources=run.result.summary.get("sources"))
    html_path = run.output("report", f"performance_{report.month}.html")
    write_page(html_path, report_html(report))
    write_table(report.to_csv_frame(), run.output("report series", f"performance_{report.month}.csv"))
    run.result.summary["report"] = report.to_json()


def _stage_nanobeats(run: _Run) -> None:
    from .jobs.nanobeats import NanoBeatOptions, plan_patrols

    cfg = run.config
    # the brief command's planning with the run's options: the window by the data's date precision
    # (settings' defaults), the run's cell, and the user's streets when given
    options = NanoBeatOptions(distance=cfg.nanobeat_distance_m, n_targets=cfg.nanobeat_targets, cell=cfg.cell_m)
    streets = run.streets()
    plan = plan_patrols(run.area, run.own, run.as_of, options, roads=streets,
                        context=run.context(cfg.nanobeat_distance_m))
    run.result.outputs["nano-beats"] = write_plan(plan, run.reports / f"{run.name}_nanobeats.geojson")
    run.layers["nanobeats"] = plan
    shared = plan.targets["shared_with"].dropna().tolist() if "shared_with" in plan.targets else []
    run.result.summary["nanobeats"] = {"variant": plan.variant, "targets": len(plan.targets), "notes": plan.notes,
                                       "route_length_m": round(plan.route_length_m, 1), "context": plan.context,
                                       "shared_targets": len(shared), "risk_method": plan.risk_method,
                                       "dosage": plan.dosage, "cell_m": cfg.cell_m,
                                       "route_on_streets": plan.route_on_streets}


def _stage_map(run: _Run) -> None:
    cfg, area, inc, layers = run.config, run.area, run.incidents, run.layers
    m = HotspotMap(area, tiles=run.tiles, title=f"hotspot: {area.name} burglary")
    m.add_neighbours(layers["neighbours"] if "neighbours" in layers else area.neighbours())  # not made again
    m.add_incidents(recent_incidents(inc, months=cfg.map_months), name=f"Burglaries, last {cfg.map_months} months",
                    show_markers=False)
    if "surface" in layers:
        surface = layers["surface"]
        add_surface(m, surface, f"Forecast {surface.meta['forecast_period']} ({layers['method']})")
        add_hotspots_to_map(m, layers["hotspots"], "Hotspots (top 5% of cells)")
    if "gi" in layers:
        add_gi_to_map(m, layers["gi"])
    add_month_slider(m, inc)
    if "zones" in layers:
        m.add_polygons(layers["zones"].iloc[::-1], "Border zones (250 m / 500 m / 1 km)", colour="#2c3e50",
                       weight=0.5, fill_opacity=0.08, tooltip=["distance_m"], aliases=["within (m) of the boundary"],
                       show=False)
    if "campaign" in layers:
        add_campaign(m, layers["campaign"])
    if "anpr" in layers:
        plan = layers["anpr"]
        add_anpr(m, plan.result, plan.crossings, plan.existing, existing_label=cfg.existing_label,
                 traffic_cameras=plan.traffic_cameras)
    if "nanobeats" in layers:
        add_plan_to_map(m, layers["nanobeats"])
    run.result.map_path = m.save(run.out / f"{run.name}.html")
    run.result.summary["map"] = str(run.result.map_path)


def _stage_audiences(run: _Run) -> None:
    """One output per audience: patrol brief, camera report, drop list, a map
    each, and the public outputs (checked: none may reveal an address)."""
    from .jobs.brief import plan_brief
    from .render.outputs import write_audience_outputs

    layers, inc = run.layers, run.incidents
    # the brief command's brief: on the streets the nano-beats used and the run's postcodes (no reference lookup)
    brief = (plan_brief(layers["nanobeats"], run.area, roads=run.streets(), postcodes=layers.get("postcodes"),
                        reference=False) if "nanobeats" in layers else None)
    written = write_audience_outputs(
        run.area, maps_dir=run.out, reports_dir=run.reports, name=run.name, incidents=inc,
        recent=recent_incidents(inc, months=12), neighbours=layers.get("neighbours"),
        nanobeats=layers.get("nanobeats"), brief=brief, anpr=layers.get("anpr"), campaign=layers.get("campaign"),
        surface=layers.get("surface"), hotspots=layers.get("hotspots"), postcodes=layers.get("postcodes"),
        tiles=run.tiles, existing_label=run.config.existing_label, details=run.result.summary)
    run.result.outputs.update(written)
    if "public" in run.result.summary:  # too little data for a whole published window
        run.skip("public outputs", run.result.summary["public"])


def _stage_assess(run: _Run) -> None:
    """Did the previous plan's targets work (``hotspot assess`` on them)?"""
    cfg = run.config
    if cfg.assess_targets is None:
        return
    if cfg.assess_start is None:
        run.skip("assess", "give --assess-start, the day the previous plan began")
        return
    from .jobs.assess import AssessOptions, plan_assessment
    from .render.assess import write_assessment

    res = plan_assessment(run.area, run.own, cfg.assess_targets, AssessOptions(start=cfg.assess_start))
    run.result.outputs["assessment"] = write_assessment(res, run.area, run.reports / f"{run.name}_assessment.html")
    run.result.summary["assess"] = res.to_json()


#: The stages of a run, in order: (name, function over the run state).
STAGES: list[tuple[str, Callable[[_Run], None]]] = [
    ("hotspots", _stage_hotspots),
    ("cross-border", _stage_crossborder),
    ("anpr", _stage_anpr),
    ("campaign", _stage_campaign),
    ("report", _stage_report),
    ("nano-beats", _stage_nanobeats),
    ("map", _stage_map),
    ("audiences", _stage_audiences),
    ("assess", _stage_assess),
]


def _reach(cfg: RunConfig, stages: set[str]) -> float:
    """The widest buffer (metres) around the area in which the given stages
    read incidents: the run reads them once at this reach."""
    from .anpr import ALONG_M, CORRIDOR_M

    buffers = {"hotspots": 1000.0, "anpr": ALONG_M + CORRIDOR_M, "nano-beats": cfg.nanobeat_distance_m,
               "cross-border": 0.0 if cfg.outside_incidents else cfg.fringe_m}
    return max([b for stage, b in buffers.items() if stage in stages], default=0.0)


def _reads_around_own(cfg: RunConfig, stages: set[str]) -> bool:
    """Whether a stage reads the incident files around the area (the
    cross-border fringe without outside files, or context from the same
    files): then the run reads them once for the area and around it."""
    same = bool(cfg.context) and list(map(str, cfg.context or [])) == list(map(str, cfg.incidents))
    fringe = "cross-border" in stages and not cfg.outside_incidents
    context = same and bool(stages & {"hotspots", "anpr", "nano-beats"})
    return fringe or context


def run_area(
    config: RunConfig,
    out: str | Path = "maps",
    *,
    reports: str | Path = "reports",
    tiles: str | None = None,
    gi_star_layer: bool = True,
    stages: list[str] | None = None,
    step: Callable[[str], None] | None = None,
    refit: bool = False,
) -> RunResult:
    """Run the pipeline's stages for one area.

    Parameters
    ----------
    config : RunConfig
        The area, its data and parameters.
    out : path
        Folder for maps.
    reports : path
        Folder for tables, plans and reports (one file name prefix per area).
    tiles : str, optional
        Base tiles for the map (none by default: works offline).
    gi_star_layer : bool
        Add the Gi* layer (Getis-Ord Gi* with 999 permutations at 250 m cells).
    stages : list of str, optional
        Names from :data:`STAGES` to run (default all); the intake always runs.
    step : callable, optional
        Called with each stage's name as it starts (progress display).
    refit : bool
        Fit the forecast method selection again even when the cache holds
        one for these counts and options (:mod:`hotspot.selection`).

    Returns
    -------
    RunResult
        ``skipped`` names each stage that could not run and why; the
        summary's ``hotspots.selection`` says whether the method was reused.
    """
    names = ["intake"] + [name for name, _ in STAGES]
    wanted = set(stages) if stages else set(names)
    unknown = wanted - set(names)
    if unknown:
        raise HotspotError(f"unknown stage(s) {sorted(unknown)}; stages: {', '.join(names)}")
    from .atomic import staged_folders
    from .readonce import read_each_file_once

    out, reports = Path(out), Path(reports)
    # one run per folder at a time, written to staging and moved into place at the end: a run stopped
    # in any stage leaves the folders as the previous run left them
    # one read per reference file in the run (hotspot.readonce)
    with staged_folders(out, reports) as staging, read_each_file_once():
        if step:
            step("intake")
        t0 = time.perf_counter()
        run = _intake(config, staging[out.resolve()], staging[reports.resolve()], tiles, gi_star_layer,
                      _reach(config, wanted), _reads_around_own(config, wanted))
        run.step, run.refit = step, refit
        timings: dict[str, float] = {"intake": round(time.perf_counter() - t0, 3)}
        for name, fn in STAGES:
            if name not in wanted:
                continue
            if step:
                step(name)
            t0 = time.perf_counter()
            fn(run)
            timings[name] = round(time.perf_counter() - t0, 3)
    run.result.steps = timings
    run.result.summary["skipped"] = run.result.skipped
    _unstage(run.result, {s: (out if real == out.resolve() else reports) for real, s in staging.items()})
    return run.result


def _unstage(result: RunResult, moved: dict[Path, Path]) -> None:
    """Point the result's paths (outputs, map, summary) from the staging
    folders to where their files were moved."""
    def fix(v: Any) -> Any:
        if isinstance(v, (str, Path)):
            s = str(v)
            for staging, folder in moved.items():
                s = s.replace(str(staging), str(folder))  # also inside notes that name a file
            return Path(s) if isinstance(v, Path) else s
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    result.outputs = fix(result.outputs)
    result.map_path = fix(result.map_path)
    result.summary = fix(result.summary)


def run_demo(
    data: str | Path | None = None,
    out: str | Path = "maps",
    *,
    reports: str | Path = "reports",
    area_name: str = "Barnet",
    step: Callable[[str], None] | None = None,
    tiles: str | None = None,
    gi_star_layer: bool = True,
    refit: bool = False,
) -> RunResult:
    """The README's job: :func:`run_area` on the reference data for one
    borough (Barnet by default: the reference setting, not a code path).

    ``data`` is the reference folder (see :func:`resolve_data_dir`); with none,
    police.uk data and a boundary layer are downloaded for the area.

    Parameters
    ----------
    data : str or Path, optional
        Reference data folder; default ``$HOTSPOT_DATA_DIR``, else
        ``../shared/data``, else a download.
    out : str or Path
        Folder for maps.
    reports : str or Path
        Folder for tables, plans and reports.
    area_name : str
        Name or code of the area (default ``"Barnet"``).
    step : callable, optional
        Called with each stage's name as it starts (progress display).
    tiles : str, optional
        Base tiles for the map (none by default: works offline).
    gi_star_layer : bool
        Add the Gi* layer (Getis-Ord Gi* with 999 permutations at 250 m cells).
    refit : bool
        Fit the forecast method selection again (see :func:`run_area`).

    Returns
    -------
    RunResult
        As :func:`run_area`.
    """
    root = resolve_data_dir(data)
    if root is not None:
        config = RunConfig.from_reference(root, area_name)
    else:
        boundary, files = _download_inputs(area_name)
        config = RunConfig(area_file=boundary, area=area_name, incidents=files)
    return run_area(config, out, reports=reports, tiles=tiles, gi_star_layer=gi_star_layer, step=step, refit=refit)


def _download_inputs(area_name: str) -> tuple[Path, list[Path]]:  # pragma: no cover - needs internet
    """No local data: fetch a boundary layer and the last 24 months."""
    from .sources import fetch_boundary, fetch_police_uk, months_between

    layer = fetch_boundary("england_lads_uk_geojson", progress=True)
    area = load_area(layer, area_name)
    end = pd.Timestamp.now().to_period("M") - 3  # police.uk publishes ~2 months behind
    months = months_between(str(end - 23), str(end))
    try:
        files = fetch_police_uk(area, months)
    except FetchError as exc:
        raise FetchError(f"no local data (set data_dir= or $HOTSPOT_DATA_DIR) and download failed: {exc}", param='data_dir') from None
    return layer, files
