"""The whole job: ``run`` (one area or every area), ``demo``, and ``assess``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.markup import escape

from hotspot import settings
from hotspot.render import tables as show
from hotspot.render.console import Steps as _Steps
from hotspot.render.console import err
from hotspot.render.console import print_json as _print_json
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:

    pass
from .base import (
    _TILES,
    AreaFile,
    AreaFileRequired,
    AreaNameRequired,
    CrimeType,
    Crs,
    Inputs,
    JsonOut,
    PublicK,
    Scheduler,
    Workers,
    _intake_kwargs,
    _read,
    _required_area,
)

Stages = Annotated[Optional[str], typer.Option("--stages", help="Comma-separated stages to run (default all): intake, hotspots, cross-border, anpr, campaign, report, nano-beats, map, audiences, assess (with --assess-targets).")]


OutMaps = Annotated[Path, typer.Option("--out", help="Folder for maps.")]


OutReports = Annotated[Path, typer.Option("--reports", help="Folder for plans, tables and reports.")]


Tiles = Annotated[Optional[str], typer.Option("--tiles", help="Base tiles: osm or light (need a network); none by default.")]


GiOpt = Annotated[bool, typer.Option("--gi/--no-gi", help="Gi* hot and cold cells (250 m, 999 permutations).")]


Refit = Annotated[bool, typer.Option("--refit", help="Fit the forecast method selection again (default: reuse the one cached for the same counts and options).")]


def _run_and_print(config, out, reports, tiles, gi, stages, as_json, refit: bool = False) -> None:
    from hotspot.pipeline import run_area

    wanted = [x.strip() for x in stages.split(",")] if stages else None
    with _Steps() as steps:
        result = run_area(config, out, reports=reports, tiles=tiles, gi_star_layer=gi, stages=wanted, step=steps,
                          refit=refit)
    if as_json:
        _print_json({**result.summary, "outputs": {k: str(v) for k, v in result.outputs.items()},
                     "timings_s": result.steps})
        return
    show.print_run(result)


def _run_areas_and_print(config, areas, out, workers, scheduler, gi, refit, stages, as_json) -> None:
    from hotspot.jobs.morning import run_areas

    wanted = [x.strip() for x in stages.split(",")] if stages else None
    root = Path("runs") if out == Path("maps") else out  # --out's default is the one-area map folder
    with _Steps() as steps:
        res = run_areas(config, areas, root, workers=workers, scheduler=scheduler, gi_star_layer=gi, refit=refit,
                        stages=wanted, progress=lambda done, total, name: steps(f"{done}/{total} areas: {name}"))
    if as_json:
        _print_json(res.to_json())
        return
    show.print_areas_run(res)


def assess(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    intervention: Annotated[Path, typer.Option("--intervention", help="The treated places as hotspot writes them (nano-beat targets, ANPR sites, a leaflet plan) or any point/polygon layer.")],
    start: Annotated[Optional[str], typer.Option("--start", help="First day of the intervention, YYYY-MM-DD (police.uk data: the first of a month); default the layer's start column.")] = None,
    end: Annotated[Optional[str], typer.Option("--end", help="Day after its last day, YYYY-MM-DD (default: the end of the data); the before-period is as long.")] = None,
    buffer: Annotated[Optional[float], typer.Option("--buffer", help="Catchment buffer round the treated places, metres (default by kind: 200; ANPR sites 500).")] = None,
    control: Annotated[str, typer.Option("--control", help="auto (the next-highest-ranked places by the same rule, clear of the treated places and buffer) or a layer of control places.")] = "auto",
    visits: Annotated[Optional[Path], typer.Option("--visits", help="Patrol log CSV: target_id (or lon/lat), time, minutes.")] = None,
    units: Annotated[Optional[Path], typer.Option("--units", help="Unit layer of a leaflet plan (default: the reference data's LSOAs).")] = None,
    placebos: Annotated[int, typer.Option("--placebos", help="Most placebo dates for regression to the mean (the latest before --start).")] = settings.ASSESS_MAX_PLACEBOS,
    crime_type: CrimeType = None, crs: Crs = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder, for a leaflet plan's LSOA units (default: $HOTSPOT_DATA_DIR or ../shared/data).")] = None,
    as_json: JsonOut = False,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the one-page assessment for the board (HTML).")] = None,
    pdf: Annotated[Optional[Path], typer.Option("--pdf", help="Also print the page to PDF (headless Chromium).")] = None,
    map_out: Annotated[Optional[Path], typer.Option("--map", help="Write a map of the treated, buffer and control places.")] = None,
    tiles: _TILES = None,
    public: Annotated[bool, typer.Option("--public", help="Safe to publish: counts below --k withheld (page, map and JSON), months only, no incidents.")] = False,
    k: PublicK = 8,
) -> None:
    """Did the patrols, leaflets or cameras work? Treated vs control before/after, displacement, regression to the mean."""
    from hotspot.jobs.assess import AssessOptions, leaflet_units, plan_assessment
    from hotspot.jobs.reference import read_layer

    a = _required_area(area_file, area)
    inc = _read(inputs, area=a, crime_type=crime_type, crs=crs).incidents
    unit_layer = read_layer(units, a.crs) if units else leaflet_units(intervention, data, a)
    options = AssessOptions(start=start, end=end, buffer_m=buffer, control=None if control == "auto" else Path(control),
                            visits=visits, max_placebos=placebos, units=unit_layer)
    with _spinner("assessing (controls and placebo dates)"):
        res = plan_assessment(a, inc, intervention, options)
    if html_out or pdf:
        from hotspot.render.assess import write_assessment

        write_assessment(res, a, html_out or Path(str(pdf)).with_suffix(".html"), pdf=pdf, public=public, k=k)
    if map_out:
        from hotspot.render.assess import assessment_map

        assessment_map(res, a, map_out, tiles=tiles, public=public, k=k)
    for w in res.warnings:
        err.print(f"warning: {escape(w)}")
    if as_json:
        _print_json(res.to_json(public=public, k=k))
        return
    show.print_assessment(res, a.name)


def run(
    inputs: Annotated[Optional[list[Path]], typer.Argument(help="Incident files (default: the reference data's London-wide file).")] = None,
    *,
    area: Annotated[Optional[str], typer.Option("--area", help="Area name or code in the boundary layer (or --areas).")] = None,
    areas: Annotated[Optional[str], typer.Option("--areas", help="'all' or a comma-separated list of areas: each area's morning products in OUT/<area>/ on dask, and OUT/index.html (OUT: --out, default runs).")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    area_file: AreaFile = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (default: $HOTSPOT_DATA_DIR or ../shared/data); its layers fill every layer not given.")] = None,
    roads: Annotated[Optional[list[Path]], typer.Option("--roads", help="Road line layer (repeatable): camera siting, and the streets of the nano-beats and the brief (risk per street, routes, names).")] = None,
    cell: Annotated[float, typer.Option("--cell", help="Cell size of the forecast and of the nano-beat risk grid, metres.")] = 50.0,
    count_points: Annotated[Optional[Path], typer.Option("--count-points", help="Traffic count points (points with a 'cp' id).")] = None,
    count_flows: Annotated[Optional[Path], typer.Option("--count-flows", help="Traffic counts per count point (CSV with 'cp').")] = None,
    red_routes: Annotated[Optional[Path], typer.Option("--red-routes", help="Red-route (TLRN) polygons.")] = None,
    existing_cameras: Annotated[Optional[Path], typer.Option("--existing-cameras", help="Your existing ANPR camera points: their cover counts as already covered (the TfL JamCams never do).")] = None,
    units: Annotated[Optional[Path], typer.Option("--units", help="LSOA polygons for the campaign.")] = None,
    postcodes: Annotated[Optional[Path], typer.Option("--postcodes", help="Postcode layer (points or polygons): the nearest postcode of each target, camera site and leaflet drop (default: the reference data's postcode units, if any).")] = None,
    households: Annotated[Optional[Path], typer.Option("--households", help="Census households per LSOA (CSV).")] = None,
    neighbours_file: Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of neighbouring areas (default: the boundary layer).")] = None,
    no_reference: Annotated[bool, typer.Option("--no-reference", help="Use only the files given, not the reference data's layers.")] = False,
    assess_targets: Annotated[Optional[Path], typer.Option("--assess-targets", help="The previous plan's targets (e.g. reports/<area>_nanobeats.geojson): assess whether they worked (stage 'assess').")] = None,
    assess_start: Annotated[Optional[str], typer.Option("--assess-start", help="The day the previous plan began, YYYY-MM-DD (police.uk data: the first of a month).")] = None,
    crime_type: CrimeType = None,     stages: Stages = None,
    out: OutMaps = Path("maps"),
    reports: OutReports = Path("reports"),
    tiles: Tiles = None,
    gi: GiOpt = True,
    refit: Refit = False,
    as_json: JsonOut = False,
) -> None:
    """The whole pipeline for any area: intake, forecast and hotspots, cross-border, cameras, campaign, report, nano-beats, map."""
    from hotspot.pipeline import RunConfig, resolve_data_dir

    if (area is None) == (areas is None):
        raise typer.BadParameter("give --area NAME, or --areas all|LIST for every area's morning products")
    root = None if no_reference else resolve_data_dir(data)
    if root is None and (area_file is None or not inputs):
        raise typer.BadParameter("without reference data give INPUT... and --area-file")
    given: dict[str, Any] = {k: v for k, v in dict(
        area_file=area_file, incidents=list(inputs) if inputs else None, neighbours_file=neighbours_file,
        road_files={p.name: p for p in roads} if roads else None, street_files=list(roads) if roads else None,
        cell_m=cell, count_points=count_points, count_flows=count_flows,
        red_routes=red_routes, existing_cameras=existing_cameras, lsoa_file=units, households_file=households,
        postcodes=postcodes,
        crime_types=crime_type, assess_targets=assess_targets, assess_start=assess_start).items() if v is not None}
    given["read_options"] = _intake_kwargs()
    config = RunConfig.from_reference(root, area or "", **given) if root is not None else RunConfig(area=area or "", **given)
    if areas is not None:
        return _run_areas_and_print(config, areas, out, workers, scheduler, gi, refit, stages, as_json)
    _run_and_print(config, out, reports, tiles, gi, stages, as_json, refit)


def demo(
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (default: $HOTSPOT_DATA_DIR or ../shared/data).")] = None,
    out: OutMaps = Path("maps"),
    reports: OutReports = Path("reports"),
    area: Annotated[str, typer.Option("--area", help="Borough of the reference data to analyse.")] = "Barnet",
    tiles: Tiles = None,
    gi: GiOpt = True,
    stages: Stages = None,
    refit: Refit = False,
    as_json: JsonOut = False,
) -> None:
    """The README's job: `hotspot run` on the reference data (Barnet by default)."""
    from hotspot.pipeline import RunConfig, resolve_data_dir

    root = resolve_data_dir(data)
    if root is None:
        from hotspot.pipeline import run_demo

        with _Steps() as steps:  # no local data: download police.uk and a boundary layer
            result = run_demo(None, out, reports=reports, area_name=area, tiles=tiles, gi_star_layer=gi, step=steps,
                              refit=refit)
        err.print(f"map: {result.map_path}")
        return
    _run_and_print(RunConfig.from_reference(root, area), out, reports, tiles, gi, stages, as_json, refit)
