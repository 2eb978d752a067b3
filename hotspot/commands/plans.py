"""Plans for the council and the campaign team, and the board's report: ``anpr``, ``leaflets``, ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape

from hotspot import settings
from hotspot.render import tables as show
from hotspot.render.console import err
from hotspot.render.console import print_json as _print_json
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:

    from hotspot.anpr import ANPRPlan
    from hotspot.areas import Area
from .base import (
    _TILES,
    AreaFileRequired,
    AreaNameRequired,
    CrimeType,
    DataDir,
    Inputs,
    JsonOut,
    MapOut,
    PostcodeColumn,
    _context,
    _date_option,
    _read,
    _required_area,
    _write,
)


def anpr(
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    incidents: Annotated[list[Path], typer.Option("--incidents", help="Incident files (repeatable).")],
    roads: Annotated[Optional[list[Path]], typer.Option("--roads", help="Full road layer: lines or an OSM XML extract (repeatable). Default: the partial layers in --data.")] = None,
    candidates: Annotated[Optional[Path], typer.Option("--candidates", help="Candidate sites (points).")] = None,
    existing: Annotated[Optional[Path], typer.Option("--existing", help="Your existing ANPR cameras (points, kept fixed): their cover counts as already covered. Without it nothing does; the TfL JamCams (traffic CCTV, no plate reading) are shown beside the sites, never as cover.")] = None,
    cameras: Annotated[int, typer.Option("--cameras", help="New cameras to site (at most; sites adding nothing are dropped).")] = settings.ANPR_CAMERAS,
    radius: Annotated[float, typer.Option("--radius", help="Coverage radius, metres.")] = settings.ANPR_RADIUS_M,
    months: Annotated[int, typer.Option("--months", help="Burglary risk from the last N months.")] = settings.ANPR_MONTHS,
    postcodes: Annotated[Optional[Path], typer.Option("--postcodes", help="Postcode layer for the nearest postcode of each site (default: the reference data's postcode units, if any).")] = None,
    postcode_column: PostcodeColumn = None,
    neighbours_file: Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of the areas across the boundary (default: --area-file).")] = None,
    context: Annotated[Optional[list[Path]], typer.Option("--context", help="Incidents around the area (repeatable): demand counts burglary along each crossing route on both sides of the boundary (1.5 km each way); never counted as the area's own.")] = None,
    data: DataDir = None,
    crime_type: CrimeType = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the sites: .geojson, .gpkg, .csv, .parquet (GeoParquet) or postgresql://...?table=NAME (default: not written).")] = None,
    report_out: Annotated[Optional[Path], typer.Option("--report", help="Write the camera-siting report (HTML).")] = None,
    as_json: JsonOut = False,
    map_out: MapOut = None,
    tiles: _TILES = None,
) -> None:
    """Optimal new ANPR camera sites on roads crossing the boundary, named so a highways engineer can find them."""
    from hotspot.areas import load_boundaries
    from hotspot.jobs.anpr import CONTEXT_REACH_M, plan_anpr_for_area
    from hotspot.jobs.nanobeats import street_layer
    from hotspot.jobs.reference import optional_reference, postcode_layer, read_layer

    a = _required_area(area_file, area)
    result = _read(incidents, area=a, crime_type=crime_type)
    # the reference layers (counts, red routes, cameras, districts naming the context) stay on whatever the user adds
    ref = optional_reference(data)  # a fetched street network stands in when no folder is found
    ctx = _context(context, a, result.incidents, buffer_m=CONTEXT_REACH_M, crime_type=crime_type,
                   neighbours_file=neighbours_file or (ref.districts if ref is not None else None)) if context else None
    with _spinner("siting cameras (CBC)"):
        plan = plan_anpr_for_area(
            a, result.incidents, road_layers={p.name: street_layer([p], a.crs) for p in roads} if roads else None,
            reference=ref, candidates=read_layer(candidates, a.crs) if candidates else None,
            existing=read_layer(existing, a.crs) if existing else None,
            postcodes=postcode_layer(postcodes, a.crs, column=postcode_column, data=data),
            neighbours=a.neighbours(load_boundaries(neighbours_file, crs=a.crs)) if neighbours_file else None,
            context=ctx, cameras=cameras, radius=radius, months=months)
    res = plan.result
    _write(res.sites.drop(columns=["x", "y"]), out, params={"command": "anpr", "area": a.name, "cameras": cameras,
                                                             "radius_m": radius, "months": months})
    _anpr_outputs(plan, a, report_out, map_out, tiles, months)
    for note in plan.notes:
        err.print(f"note: {escape(note)}")
    if as_json:
        _print_json(res.to_json() | {"min_cameras": plan.min_cameras, "notes": plan.notes, "context": plan.context})
        return
    show.print_anpr(plan, a.name)


def _anpr_outputs(plan: ANPRPlan, a: Area, report_out: Path | None, map_out: Path | None, tiles: str | None,
                  months: int) -> None:
    """The camera-siting report and the map of an `anpr` plan, when asked for."""
    if report_out:
        from hotspot.render.anpr_report import write_anpr_report

        write_anpr_report(plan, a.name, report_out, risk_basis=f"burglaries in the last {months} months")
    if map_out:
        from hotspot.render.leaflet import HotspotMap
        from hotspot.render.maps import add_anpr

        m = HotspotMap(a, tiles=tiles, title=f"{a.name}: ANPR sites")
        add_anpr(m, plan.result, plan.crossings, plan.existing, existing_label="Existing ANPR cameras",
                 show_context=True, traffic_cameras=plan.traffic_cameras)
        m.save(map_out)


def report(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    month: Annotated[str, typer.Option("--month", help="Reporting month, YYYY-MM (not after the data's last month).")],
    baseline_fy: Annotated[Optional[int], typer.Option("--baseline-fy", help="Baseline financial year (2014 = Apr 2014-Mar 2015).")] = None,
    peers: Annotated[Optional[str], typer.Option("--peers", help="Comma-separated peer areas (default: nearest in density and deprivation).")] = None,
    z: Annotated[float, typer.Option("--z", help="Exception band, standard deviations.")] = settings.REPORT_EXCEPTION_Z,
    green: Annotated[float, typer.Option("--green", help="GREEN at or below -X % rolling change.")] = settings.REPORT_GREEN_PCT,
    red: Annotated[float, typer.Option("--red", help="RED at or above +X % rolling change.")] = settings.REPORT_RED_PCT,
    data: DataDir = None,
    reference_counts: Annotated[Optional[Path], typer.Option("--reference-counts", help="Counts of every area for rates and ranks: police.uk incidents (.parquet/.csv with Crime ID, Month, LSOA name) or LSOA month counts (LSOA name, Month, burglary_count). Default: from --data.")] = None,
    population: Annotated[Optional[Path], typer.Option("--population", help="LSOA population CSV (per-1,000 rates, peers).")] = None,
    households: Annotated[Optional[Path], typer.Option("--households", help="LSOA Census households CSV (lad_name, households).")] = None,
    imd: Annotated[Optional[Path], typer.Option("--imd", help="LSOA deprivation (IMD) CSV, for default peers.")] = None,
    boroughs: Annotated[Optional[Path], typer.Option("--boroughs", help="Polygons of every area, for population density (default peers).")] = None,
    crime_type: CrimeType = None,
    as_json: JsonOut = False,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the HTML report.")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the monthly series with the expected range.")] = None,
) -> None:
    """Quarterly burglary performance report for a partnership board."""
    from hotspot.jobs.report import ReportOptions, london_context, plan_report
    from hotspot.render import write_page
    from hotspot.render.report import report_html

    a = _required_area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type)
    london = london_context(data, counts_csv=reference_counts, population_csv=population, households_csv=households,
                            imd_csv=imd, boroughs_layer=boroughs)
    options = ReportOptions(baseline_fy=baseline_fy, peers=[p.strip() for p in peers.split(",")] if peers else None,
                            z=z, green=green, red=red)
    rep = plan_report(result.incidents, a.name, month, options, london=london, sources=result.detected)
    if html_out:
        write_page(html_out, report_html(rep))
    if csv_out:
        _write(rep.to_csv_frame(), csv_out)
    if as_json:
        _print_json(rep.to_json())
        return
    show.print_report(rep, a.name)


def leaflets(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    units: Annotated[Optional[Path], typer.Option("--units", help="Polygon layer of units; households from a 'households' column or interpolated from LSOAs.")] = None,
    unit_column: Annotated[Optional[str], typer.Option("--unit-column", help="Name/id column of --units.")] = None,
    leaflets_budget: Annotated[int, typer.Option("--leaflets", help="Leaflets (one per household).")] = settings.CAMPAIGN_LEAFLETS,
    timer_switches: Annotated[int, typer.Option("--timer-switches", help="Timer switches (one per household).")] = settings.CAMPAIGN_TIMER_SWITCHES,
    rule: Annotated[str, typer.Option("--rule", help="partial (last unit partly) or whole (whole units, exact).")] = settings.CAMPAIGN_RULE,
    method: Annotated[Optional[str], typer.Option("--method", help="Forecast method for expected burglaries (default: counts over 36 months).")] = settings.CAMPAIGN_METHOD,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Planning date (default today): the next campaign window after it is recommended.")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Campaign year (default: the next window after --as-of; a past one is refused).")] = None,
    postcodes: Annotated[Optional[Path], typer.Option("--postcodes", help="Postcode layer (points or polygons) for the drop list (default: the reference data's postcode units, if any).")] = None,
    postcode_column: PostcodeColumn = None,
    data: DataDir = None,
    crime_type: CrimeType = None,
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Plan, one row per target unit: .csv, .parquet or postgresql://...?table=NAME.")] = None,
    drop_list: Annotated[Optional[Path], typer.Option("--drop-list", help="Drop list CSV: postcodes per target, highest risk first, with households, leaflets and timer switches.")] = None,
    map_out: MapOut = None,
    tiles: _TILES = None,
    public: Annotated[bool, typer.Option("--public", help="Safe to publish: no incident points or burglary counts in the map, plan or drop list.")] = False,
) -> None:
    """Leaflet and timer-switch targeting, with the campaign window and a drop list of postcodes."""
    from hotspot.campaigns import plan_json, plan_table
    from hotspot.jobs.campaign import plan_leaflets_for_area

    when = _date_option(as_of, "--as-of", example="") if as_of else None
    a = _required_area(area_file, area)
    inc = _read(inputs, area=a, crime_type=crime_type).incidents
    with _spinner("forecast and allocation"):
        plan = plan_leaflets_for_area(a, inc, units=units, unit_column=unit_column, postcodes=postcodes,
                                      postcode_column=postcode_column, data=data, method=method,
                                      leaflets=leaflets_budget, timer_switches=timer_switches, rule=rule, year=year,
                                      as_of=when)
    if out:
        _write(plan_table(plan, public=public), out, params={"command": "leaflets", "area": a.name,
                                                              "leaflets": leaflets_budget,
                                                              "timer_switches": timer_switches, "rule": rule})
    if drop_list:
        from hotspot.render.droplist import write_drop_list

        write_drop_list(plan, drop_list, public=public)
    if map_out:
        from hotspot.render.leaflet import HotspotMap
        from hotspot.render.maps import add_campaign

        m = HotspotMap(a, tiles=tiles, title=f"{a.name}: prevention campaign")
        add_campaign(m, plan, public=public)
        m.save(map_out)
    for note in plan.notes:
        err.print(f"note: {escape(note)}")
    if as_json:
        _print_json(plan_json(plan, public=public))
        return
    show.print_campaign(plan, a.name)
