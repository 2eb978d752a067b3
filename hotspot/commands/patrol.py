"""Patrol commands: ``nanobeats`` and the sergeant's ``brief``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from hotspot import settings
from hotspot.render import tables as show
from hotspot.render.console import err
from hotspot.render.console import print_json as _print_json
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:
    import geopandas as gpd

    from hotspot.areas import Area
    from hotspot.nanobeats import NanoBeatOptions, NanoBeatPlan
from .base import (
    _TILES,
    AreaFile,
    AreaName,
    CrimeType,
    Inputs,
    JsonOut,
    PostcodeColumn,
    _area,
    _context,
    _date_option,
    _floats,
    _intake_kwargs,
    _read,
)


def _start(start: str | None) -> tuple[float, float] | None:
    if start is None:
        return None
    vals = _floats(start, "--start")
    if len(vals) != 2:
        raise typer.BadParameter("--start LON,LAT (two numbers, e.g. --start=-0.2,51.6)")
    return float(vals[0]), float(vals[1])


def _knox_json(path: Path | None) -> dict | None:
    """The ``hotspot knox --json`` output named by ``--from-knox``, or None."""
    if path is None:
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"--from-knox {path}: {exc}") from None


def _plan_nanobeats(inputs: list[Path], as_of: str, options: NanoBeatOptions, *, area_file: Path | None,
                    area: str | None, crime_type: list[str] | None, roads: list[Path] | None,
                    context: list[Path] | None = None, neighbours_file: Path | None = None,
                    prefer_fetched: bool = False,
                    ) -> tuple[Area, NanoBeatPlan, gpd.GeoDataFrame | None]:
    """Shared by `nanobeats` and `brief`: read the layers the options name,
    then :func:`hotspot.jobs.nanobeats.plan_patrols`. With ``prefer_fetched``
    and no ``--roads``, a street network fetched for the area
    (``hotspot fetch roads``) is used, and a note says so."""
    from hotspot.areas import area_from_points, footprint_name
    from hotspot.fetchers import cached_street_network
    from hotspot.jobs.nanobeats import plan_patrols, street_layer

    when = _date_option(as_of, "--as-of", example="")
    a = _area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type)
    inc = result.incidents
    if a is None:  # no boundary file: the incidents' footprint, named after the input
        a = area_from_points(inc.geometry.x, inc.geometry.y, result.crs, name=footprint_name(result.files))
    fetched = cached_street_network(a) if prefer_fetched and not roads and area_file is not None else None
    road_gdf = street_layer([fetched.path] if fetched else roads or [], a.crs) if fetched or roads else None
    ctx = None
    if context:
        ctx = _context(context, a, inc, buffer_m=options.context_buffer(), neighbours_file=neighbours_file,
                       crime_type=crime_type, **_intake_kwargs())
    with _spinner("planning nano-beats"):
        plan = plan_patrols(a, inc, when, options, roads=road_gdf, context=ctx, fetched=fetched)
    return a, plan, road_gdf


_NB_ROADS = Annotated[Optional[list[Path]], typer.Option("--roads", help="Street lines (GeoJSON/GPKG, or OSM XML read with osmnx; repeatable): risk per street segment and a route along the streets (shortest paths). Without it legs are straight (as the crow flies).")]


_NB_DISTANCE = Annotated[Optional[float], typer.Option("--distance", help="Near-repeat distance, metres (default 200).")]


_NB_DAYS = Annotated[Optional[float], typer.Option("--days", help="Near-repeat window, days (day-precision data; default 14).")]


_NB_MONTHS = Annotated[Optional[float], typer.Option("--months", help="Near-repeat window, months (month-precision police.uk data; default 2).")]


_NB_KNOX = Annotated[Optional[Path], typer.Option("--from-knox", help="Take the window from `hotspot knox --json` output.")]


_NB_TARGETS = Annotated[int, typer.Option("--targets", help="At most this many targets.")]


_NB_START = Annotated[Optional[str], typer.Option("--start", help="Route start/end as LON,LAT in degrees (e.g. the station; within 1 km of the area).")]


_NB_CELL = Annotated[float, typer.Option("--cell", help="Risk grid cell size, metres.")]


_NB_RADIUS = Annotated[float, typer.Option("--target-radius", help="Radius of one patrol area, metres.")]


_CONTEXT = Annotated[Optional[list[Path]], typer.Option("--context", help="Incidents around the area (e.g. a city-wide or fringe file; repeatable): burglaries across the boundary within the near-repeat distance raise the risk on this side; never counted as the area's own.")]


_NEIGHBOURS = Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of neighbouring areas that names where context incidents lie (default: --area-file).")]


def nanobeats(
    inputs: Inputs,
    as_of: Annotated[str, typer.Option("--as-of", help="Planning date; burglaries before it are used.")],
    out: Annotated[Path, typer.Option("--out", help="Targets: .geojson, .gpkg or .csv.")],
    crime_type: CrimeType = None,
    area_file: AreaFile = None, area: AreaName = None,
    distance: _NB_DISTANCE = None, days: _NB_DAYS = None, months: _NB_MONTHS = None, from_knox: _NB_KNOX = None,
    targets: _NB_TARGETS = settings.NANOBEAT_TARGETS, start: _NB_START = None, roads: _NB_ROADS = None,
    cell: _NB_CELL = settings.NANOBEAT_CELL_M, target_radius: _NB_RADIUS = settings.NANOBEAT_TARGET_RADIUS_M,
    context: _CONTEXT = None, neighbours_file: _NEIGHBOURS = None,
    map_out: Annotated[Optional[Path], typer.Option("--map", help="Write a map of the plan.")] = None,
    tiles: _TILES = None,
    as_json: JsonOut = False,
) -> None:
    """Nano-beat patrol targets as of a date, with a patrol route."""
    from hotspot.jobs.nanobeats import NanoBeatOptions
    from hotspot.nanobeats import write_plan

    options = NanoBeatOptions(distance=distance, days=days, months=months, knox=_knox_json(from_knox),
                              n_targets=targets, start_lonlat=_start(start), cell=cell, target_radius=target_radius)
    a, plan, _ = _plan_nanobeats(inputs, as_of, options, area_file=area_file, area=area, crime_type=crime_type,
                                 roads=roads, context=context, neighbours_file=neighbours_file)
    write_plan(plan, out)
    if map_out:
        from hotspot.render.leaflet import HotspotMap
        from hotspot.render.maps import add_nanobeats

        m = HotspotMap(a, tiles=tiles, title=f"Nano-beats as of {plan.format_date(plan.as_of)}")
        add_nanobeats(m, plan)
        m.save(map_out)
    for note in plan.notes:
        err.print(f"note: {note}")
    if as_json:
        _print_json(show.nanobeats_json(plan))
        return
    show.print_nanobeats(plan, out, map_out)


def brief(
    inputs: Inputs,
    as_of: Annotated[str, typer.Option("--as-of", help="Planning date; burglaries before it are used.")],
    area_file: AreaFile = None, area: AreaName = None,
    crime_type: CrimeType = None,
    distance: _NB_DISTANCE = None, days: _NB_DAYS = None, months: _NB_MONTHS = None, from_knox: _NB_KNOX = None,
    targets: _NB_TARGETS = settings.NANOBEAT_TARGETS, start: _NB_START = None, roads: _NB_ROADS = None,
    cell: _NB_CELL = settings.NANOBEAT_CELL_M, target_radius: _NB_RADIUS = settings.NANOBEAT_TARGET_RADIUS_M,
    context: _CONTEXT = None, neighbours_file: _NEIGHBOURS = None,
    postcodes: Annotated[Optional[Path], typer.Option("--postcodes", help="Postcode layer (points or polygons) for the nearest postcode (default: the reference data's postcode units, if any).")] = None,
    postcode_column: PostcodeColumn = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (for the default postcode layer).")] = None,
    out: Annotated[Path, typer.Option("--out", help="The briefing page (HTML).")] = Path("reports/brief.html"),
    pdf: Annotated[Optional[Path], typer.Option("--pdf", help="Also print it to PDF (headless Chromium).")] = None,
    as_json: JsonOut = False,
) -> None:
    """One-page patrol briefing for a sergeant: map, numbered targets in patrol order, why, until when, what to do."""
    from hotspot.jobs.brief import plan_brief
    from hotspot.jobs.nanobeats import NanoBeatOptions

    options = NanoBeatOptions(distance=distance, days=days, months=months, knox=_knox_json(from_knox),
                              n_targets=targets, start_lonlat=_start(start), cell=cell, target_radius=target_radius)
    a, plan, road_gdf = _plan_nanobeats(inputs, as_of, options, area_file=area_file, area=area,
                                        crime_type=crime_type, roads=roads, context=context,
                                        neighbours_file=neighbours_file, prefer_fetched=True)
    b = plan_brief(plan, a, roads=road_gdf, postcodes=postcodes, postcode_column=postcode_column, data=data)
    with _spinner("writing the brief" + (" and printing the PDF" if pdf else "")):
        path = b.save(out, pdf=pdf)  # page and PDF whole, renamed together
    if as_json:
        _print_json(b.to_json())
        return
    show.print_brief(b, a.name, plan.format_date(plan.as_of), path, pdf)
