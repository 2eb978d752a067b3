"""The ``hotspot`` command line: a thin shell over the :mod:`hotspot` API.

Errors caused by input (named :class:`hotspot.HotspotError` subclasses) are
printed as one line on stderr with exit code 2, never as a traceback.
Progress and tables go to stderr; ``--json`` output is the only thing on
stdout.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import hotspot
from hotspot import settings
from hotspot._errors import HotspotError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Turn geocoded burglary records into patrol, camera and prevention plans.")
err = Console(stderr=True)
log = logging.getLogger("hotspot")

# --------------------------------------------------------------------------- shared options
Inputs = Annotated[list[Path], typer.Argument(help="CSV/GeoJSON/GeoPackage files or folders of them.")]
AreaFile = Annotated[Optional[Path], typer.Option("--area-file", help="Boundary layer (GeoJSON/GPKG).")]
AreaName = Annotated[Optional[str], typer.Option("--area", help="Area name or code in the boundary layer.")]
AreaFileRequired = Annotated[Path, typer.Option("--area-file", help="Boundary layer (GeoJSON/GPKG).")]
AreaNameRequired = Annotated[str, typer.Option("--area", help="Area name or code.")]
AreaBuffer = Annotated[float, typer.Option("--area-buffer", help="Tolerance around the area, metres.")]
CrimeType = Annotated[Optional[list[str]], typer.Option("--crime-type", help="Keep only this crime type (repeatable).")]
Crs = Annotated[Optional[str], typer.Option("--crs", help="CRS of x/y columns, e.g. EPSG:26971.")]
Fmt = Annotated[str, typer.Option("--format", help="auto, policeuk, csv or vector.")]
IdCol = Annotated[Optional[str], typer.Option("--id-col")]
DateCol = Annotated[Optional[str], typer.Option("--date-col")]
XCol = Annotated[Optional[str], typer.Option("--x-col")]
YCol = Annotated[Optional[str], typer.Option("--y-col")]
LonCol = Annotated[Optional[str], typer.Option("--lon-col")]
LatCol = Annotated[Optional[str], typer.Option("--lat-col")]
TypeCol = Annotated[Optional[str], typer.Option("--type-col")]
LocCol = Annotated[Optional[str], typer.Option("--location-col")]
DateFormat = Annotated[Optional[str], typer.Option("--date-format", help="strftime format of the date column.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def _area(area_file: Path | None, area: str | None):
    if (area_file is None) != (area is None):
        raise typer.BadParameter("--area-file and --area go together")
    if area_file is None:
        return None
    from hotspot.areas import load_area

    return load_area(area_file, area)


def _read(inputs, *, area=None, area_buffer=0.0, crime_type=None, crs=None, fmt="auto", date_format=None, **cols):
    from hotspot.intake import read_incidents

    columns = {k: v for k, v in cols.items() if v}
    with _spinner("reading incidents"):
        return read_incidents(inputs, format=fmt, crime_types=crime_type, crs=crs, columns=columns or None,
                              area=area, area_buffer=area_buffer, date_format=date_format)


class _spinner:
    """A rich spinner on stderr for a step that may take over a second."""

    def __init__(self, text: str):
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=err, transient=True, disable=not err.is_terminal)
        self.text = text

    def __enter__(self):
        self.progress.start()
        self.progress.add_task(self.text, total=None)
        return self

    def __exit__(self, *exc):
        self.progress.stop()


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")


def _summary_table(summary: dict, title: str) -> Table:
    t = Table(title=title, show_header=False)
    for k in ("rows", "accepted", "rejected", "filtered", "crs"):
        t.add_row(k, f"{summary[k]:,}" if isinstance(summary[k], int) else str(summary[k]))
    if summary.get("date_range"):
        t.add_row("date range", " to ".join(summary["date_range"]))
    for reason, n in summary["reasons"].items():
        t.add_row(f"  rejected: {reason}", f"{n:,}")
    return t


# --------------------------------------------------------------------------- commands
def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hotspot {hotspot.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True, help="More log output.")] = 0,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.", is_eager=True,
                                          callback=_show_version)] = False,
):
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=err, show_path=False)])
    if quiet:
        import warnings

        warnings.simplefilter("ignore")


@app.command()
def validate(
    inputs: Inputs,
    area_file: AreaFile = None, area: AreaName = None, area_buffer: AreaBuffer = 0.0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    id_col: IdCol = None, date_col: DateCol = None, x_col: XCol = None, y_col: YCol = None,
    lon_col: LonCol = None, lat_col: LatCol = None, type_col: TypeCol = None, location_col: LocCol = None,
    date_format: DateFormat = None,
    rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Write rejected rows to this CSV.")] = None,
    as_json: JsonOut = False,
):
    """Read and validate incident files; report accepted, rejected and filtered rows."""
    result = _read(inputs, area=_area(area_file, area), area_buffer=area_buffer, crime_type=crime_type, crs=crs,
                   fmt=fmt, date_format=date_format, id=id_col, date=date_col, x=x_col, y=y_col, lon=lon_col,
                   lat=lat_col, type=type_col, location=location_col)
    if rejects:
        rejects.parent.mkdir(parents=True, exist_ok=True)
        result.rejects.to_csv(rejects, index=False)
    s = result.summary()
    if as_json:
        _print_json(s)
    else:
        err.print(_summary_table(s, "Validation"))
        if rejects:
            err.print(f"rejected rows written to {rejects}")


@app.command("map")
def map_(
    inputs: Inputs,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    area_file: AreaFile = None, area: AreaName = None,
    area_buffer: AreaBuffer = 0.0, crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    id_col: IdCol = None, date_col: DateCol = None, x_col: XCol = None, y_col: YCol = None,
    lon_col: LonCol = None, lat_col: LatCol = None, type_col: TypeCol = None, location_col: LocCol = None,
    date_format: DateFormat = None,
    months: Annotated[Optional[int], typer.Option("--months", help="Only the last N months.")] = None,
    show_points: Annotated[bool, typer.Option("--show-points", help="Exact-date data at its points, not per cell.")] = False,
    cell: Annotated[float, typer.Option("--cell", help="Cell size for pooling exact-date points, metres.")] = 100.0,
    tiles: Annotated[Optional[str], typer.Option("--tiles", help="Base tiles: osm or light (need a network).")] = None,
):
    """Draw the area, its neighbours and the incidents on a self-contained map."""
    from hotspot.maps import HotspotMap
    from hotspot.pipeline import recent_incidents

    from hotspot.areas import area_from_points

    a = _area(area_file, area)
    result = _read(inputs, area=a, area_buffer=area_buffer, crime_type=crime_type, crs=crs, fmt=fmt,
                   date_format=date_format, id=id_col, date=date_col, x=x_col, y=y_col, lon=lon_col,
                   lat=lat_col, type=type_col, location=location_col)
    inc = recent_incidents(result.incidents, months=months) if months else result.incidents
    with _spinner("drawing map"):
        if a is None:  # no boundary file: the incidents' footprint
            a = area_from_points(result.incidents.geometry.x, result.incidents.geometry.y, result.crs)
        m = HotspotMap(a, tiles=tiles, title=f"hotspot: {a.name}")
        if a.layer is not None:
            m.add_neighbours(a.neighbours())
        m.add_incidents(inc, show_points=show_points, cell=cell)
        path = m.save(out)
    err.print(f"{len(inc):,} incidents ({result.rejected:,} rejected) -> {path}")


@app.command()
def assets(
    source: Annotated[Optional[Path], typer.Option("--from", help="Folder of npm tarballs (npm pack output).")] = None,
):
    """Fill the offline map-asset cache (Leaflet and plugins, pinned by SHA-256)."""
    from hotspot.assets import install_assets

    path = install_assets(source, progress=err.is_terminal)
    err.print(f"map assets ready in {path}")


@app.command()
def fetch(
    area_file: AreaFile = None, area: AreaName = None,
    start: Annotated[Optional[str], typer.Option("--start", help="First month, YYYY-MM.")] = None,
    end: Annotated[Optional[str], typer.Option("--end", help="Last month, YYYY-MM.")] = None,
    category: Annotated[str, typer.Option("--category", help="police.uk category slug.")] = "burglary",
    boundary: Annotated[Optional[list[str]], typer.Option("--boundary", help="Boundary layer from the manifest (repeatable).")] = None,
    mirror: Annotated[Optional[Path], typer.Option("--from", help="Take files from this local mirror instead of downloading.")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache", help="Cache folder (default: data/ or $HOTSPOT_CACHE_DIR).")] = None,
):
    """Download police.uk months for an area and boundary layers into the cache."""
    from hotspot.sources import fetch_boundary, fetch_police_uk, fetch_police_uk_from_mirror, months_between

    for name in boundary or []:
        p = fetch_boundary(name, mirror=mirror, cache=cache / "boundaries" if cache else None, progress=err.is_terminal)
        err.print(f"boundary {name} -> {p}")
    if start or end:
        if not (start and end):
            raise typer.BadParameter("--start and --end go together")
        months = months_between(start, end)
        a = _area(area_file, area)
        if mirror is not None:
            files = fetch_police_uk_from_mirror(mirror, months, cache=cache, area_name=a.name if a else "mirror")
        else:
            if a is None:
                raise typer.BadParameter("downloading police.uk data needs --area-file and --area")
            with Progress(TextColumn("police.uk"), BarColumn(), TextColumn("{task.completed}/{task.total} months"),
                          console=err, disable=not err.is_terminal) as bar:
                task = bar.add_task("months", total=len(months))
                files = fetch_police_uk(a, months, category=category, cache=cache,
                                        progress=lambda m: bar.advance(task))
        err.print(f"{len(files)} police.uk files in {files[0].parent if files else cache}")
    elif not boundary:
        raise typer.BadParameter("nothing to fetch: give --start/--end and/or --boundary")


def _floats(text: str | None, what: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"{what}: comma-separated numbers, e.g. 1,200") from None


def _nrc(text: str | None, what: str, same_location: float | None):
    if text is None:
        return None
    from hotspot.knox import nrc_edges

    vals = _floats(text, what)
    if len(vals) != 2:
        raise typer.BadParameter(f"{what}: BANDWIDTH,BANDS, e.g. 200,5")
    return nrc_edges(vals[0], int(vals[1]), same_location=same_location)


@app.command()
def knox(
    inputs: Inputs,
    crs: Crs = None, fmt: Fmt = "auto",
    id_col: IdCol = None, date_col: DateCol = None, x_col: XCol = None, y_col: YCol = None,
    lon_col: LonCol = None, lat_col: LatCol = None, type_col: TypeCol = None, date_format: DateFormat = None,
    crime_type: CrimeType = None, area_file: AreaFile = None, area: AreaName = None,
    distance_edges: Annotated[Optional[str], typer.Option("--distance-edges", help="Finite distance edges, metres: 1,200 gives [0,1) [1,200) [200,inf).")] = None,
    time_edges: Annotated[Optional[str], typer.Option("--time-edges", help="Finite time edges, days: 7 gives [0,7) [7,inf).")] = None,
    nrc_distance: Annotated[Optional[str], typer.Option("--nrc-distance", help="NRC style BANDWIDTH,BANDS (with a same-location band).")] = None,
    nrc_time: Annotated[Optional[str], typer.Option("--nrc-time", help="NRC style BANDWIDTH,BANDS for time.")] = None,
    metric: Annotated[str, typer.Option("--metric", help="euclidean or manhattan.")] = "euclidean",
    permutations: Annotated[int, typer.Option("--permutations")] = 999,
    seed: Annotated[Optional[int], typer.Option("--seed")] = 1,
    time_unit: Annotated[str, typer.Option("--time-unit", help="days, or months for month-precision data.")] = "days",
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table as CSV.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write an HTML heat table.")] = None,
):
    """Knox test for near-repeat victimisation by distance and time bands."""
    from hotspot.knox import knox_from_incidents

    dedges = _nrc(nrc_distance, "--nrc-distance", 1.0) or _floats(distance_edges, "--distance-edges") or [1, 200]
    tedges = _nrc(nrc_time, "--nrc-time", None) or _floats(time_edges, "--time-edges") or [7]
    if metric not in ("euclidean", "manhattan"):
        raise typer.BadParameter("--metric: euclidean or manhattan")
    result = _read(inputs, area=_area(area_file, area), crime_type=crime_type, crs=crs, fmt=fmt,
                   date_format=date_format, id=id_col, date=date_col, x=x_col, y=y_col, lon=lon_col, lat=lat_col,
                   type=type_col)
    with Progress(TextColumn("Knox permutations"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("perm", total=permutations)
        res = knox_from_incidents(result.incidents, distance_edges=dedges, time_edges=tedges, metric=metric,
                                  permutations=permutations, seed=seed, time_unit=time_unit,
                                  progress=lambda d, t: bar.update(task, completed=d))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        res.to_frame().to_csv(out, index=False)
    if html_out:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(res.to_html(f"Knox test: {res.n_events:,} events"), encoding="utf-8")
    if as_json:
        _print_json(res.to_dict())
        return
    t = Table(title=f"Knox test: {res.n_events:,} events, {res.permutations} permutations (seed {seed})")
    t.add_column("distance \\ time")
    for lab in res.time_labels:
        t.add_column(lab, justify="right")
    for a, lab in enumerate(res.distance_labels):
        t.add_row(lab, *[f"{res.ratio[a, b]:.2f} ({'p=' + format(res.p_value[a, b], '.3f')})"
                         f"{' *' if res.p_value[a, b] <= 0.05 and res.ratio[a, b] > 1 else ''}"
                         for b in range(len(res.time_labels))])
    err.print(t)
    err.print("cells: Knox ratio (observed / expected); * = significantly more pairs than expected")
    window = res.significant_window()
    err.print(f"near-repeat window for nano-beats: {window[0]:g} m, {window[1]:g} {res.time_unit}" if window
              else "no significant near-repeat window")


@app.command()
def nanobeats(
    inputs: Inputs,
    as_of: Annotated[str, typer.Option("--as-of", help="Planning date; burglaries before it are used.")],
    out: Annotated[Path, typer.Option("--out", help="Targets: .geojson, .gpkg or .csv.")],
    crs: Crs = None, fmt: Fmt = "auto",
    id_col: IdCol = None, date_col: DateCol = None, x_col: XCol = None, y_col: YCol = None,
    lon_col: LonCol = None, lat_col: LatCol = None, type_col: TypeCol = None, location_col: LocCol = None,
    date_format: DateFormat = None, crime_type: CrimeType = None,
    area_file: AreaFile = None, area: AreaName = None,
    distance: Annotated[Optional[float], typer.Option("--distance", help="Near-repeat distance, metres.")] = None,
    days: Annotated[Optional[float], typer.Option("--days", help="Near-repeat window, days (months for police.uk).")] = None,
    from_knox: Annotated[Optional[Path], typer.Option("--from-knox", help="Take the window from `hotspot knox --json` output.")] = None,
    targets: Annotated[int, typer.Option("--targets", help="At most this many targets.")] = 10,
    start: Annotated[Optional[str], typer.Option("--start", help="Route start/end as LON,LAT (e.g. the station).")] = None,
    roads: Annotated[Optional[Path], typer.Option("--roads", help="Street lines (GeoJSON/GPKG or OSM XML): risk per street segment.")] = None,
    map_out: Annotated[Optional[Path], typer.Option("--map", help="Write a map of the plan.")] = None,
    as_json: JsonOut = False,
):
    """Nano-beat patrol targets as of a date, with a patrol route."""
    from hotspot.areas import area_from_points
    from hotspot.intake import has_month_dates
    from hotspot.nanobeats import NanoBeatPlanner, add_plan_to_map, write_plan

    if from_knox and (distance or days):
        raise typer.BadParameter("give --from-knox or --distance/--days, not both")
    a = _area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt, date_format=date_format, id=id_col,
                   date=date_col, x=x_col, y=y_col, lon=lon_col, lat=lat_col, type=type_col, location=location_col)
    inc = result.incidents
    if a is None:
        a = area_from_points(inc.geometry.x, inc.geometry.y, result.crs)
    monthly = has_month_dates(inc)
    extra = {}
    if roads is not None:
        from hotspot.crossborder import read_roads

        extra["roads"] = read_roads(roads, a.crs)
    if from_knox:
        try:
            obj = json.loads(from_knox.read_text())
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"--from-knox {from_knox}: {exc}") from None
        planner = NanoBeatPlanner.from_knox(inc, a, obj, **extra)
    else:
        planner = NanoBeatPlanner.from_window(inc, a, distance=distance or 200.0,
                                              days=days or (2.0 if monthly else 14.0), **extra)
    start_ll = tuple(_floats(start, "--start")) if start else None
    if start_ll is not None and len(start_ll) != 2:
        raise typer.BadParameter("--start LON,LAT")
    try:
        when = pd_timestamp(as_of)
    except ValueError:
        raise typer.BadParameter(f"--as-of {as_of!r} is not a date") from None
    plan = planner.solve(when, n_targets=targets, start_lonlat=start_ll)
    write_plan(plan, out)
    if map_out:
        from hotspot.maps import HotspotMap

        m = HotspotMap(a, title=f"Nano-beats as of {plan.as_of:%Y-%m-%d}")
        add_plan_to_map(m, plan)
        m.save(map_out)
    for note in plan.notes:
        err.print(f"note: {note}")
    if as_json:
        frame = plan.to_csv_frame()
        for c in ("first_source", "last_source", "active_until"):
            frame[c] = frame[c].astype(str)
        _print_json({"as_of": str(plan.as_of.date()), "variant": plan.variant,
                     "window": {"distance_m": plan.window[0], "time": plan.window[1]},
                     "route_length_m": round(plan.route_length_m, 1), "targets": frame.to_dict(orient="records")})
        return
    t = Table(title=f"Nano-beats as of {plan.as_of:%Y-%m-%d} ({plan.window[0]:g} m, {plan.window[1]:g} "
                    f"{'months' if plan.variant == 'monthly' else 'days'})")
    for c in ("#", "target", "label", "sources", "last source", "active until"):
        t.add_column(c)
    for r in plan.targets.itertuples():
        t.add_row(str(r.patrol_order), r.target_id, r.label, str(r.n_sources), f"{r.last_source:%Y-%m-%d}",
                  f"{r.active_until:%Y-%m-%d}")
    err.print(t)
    err.print(f"route {plan.route_length_m / 1000:.2f} km -> {out}" + (f", map {map_out}" if map_out else ""))


Cell = Annotated[float, typer.Option("--cell", help="Cell size, metres.")]


@app.command()
def kde(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    out: Annotated[Path, typer.Option("--out", help="GeoPackage with layers 'cells' and 'hotspots'.")],
    cell: Cell = 50.0,
    bandwidth: Annotated[Optional[float], typer.Option("--bandwidth", help="Metres (default max(150, 5 x cell)).")] = None,
    kernel: Annotated[str, typer.Option("--kernel", help="quartic or gaussian.")] = "quartic",
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Use incidents before this date (default: all).")] = None,
    months: Annotated[Optional[int], typer.Option("--months", help="Training window: the last N months before --as-of.")] = None,
    hot_share: Annotated[float, typer.Option("--hot-share", help="Hotspots: top share of cells (0-1).")] = 0.05,
    hot_sd: Annotated[Optional[float], typer.Option("--hot-sd", help="Hotspots: cells above mean + K sd instead.")] = None,
    gi: Annotated[bool, typer.Option("--gi/--no-gi", help="Add a Gi* hot/cold layer (slow on first use).")] = False,
    gi_cell: Annotated[float, typer.Option("--gi-cell", help="Cell size for Gi*, metres.")] = 250.0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    map_out: Annotated[Optional[Path], typer.Option("--map", help="Write a map.")] = None,
    tiles: Annotated[Optional[str], typer.Option("--tiles")] = None,
):
    """Kernel density surface and hotspot polygons."""
    import pandas as pd

    from hotspot.grid import Grid
    from hotspot.hotspots import add_gi_to_map, add_hotspots_to_map, gi_star, hotspot_mask, hotspot_polygons
    from hotspot.kde import kde as kde_surface
    from hotspot.maps import HotspotMap, add_month_slider, add_surface

    a = _area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt)
    inc = result.incidents
    if as_of:
        inc = inc[inc["occurred"] < pd_timestamp(as_of)]
    if months:
        end = pd_timestamp(as_of) if as_of else (inc["occurred"].max().to_period("M") + 1).to_timestamp()
        inc = inc[inc["occurred"] >= end - pd.DateOffset(months=months)]
    grid = Grid.for_geometry(a.geometry, cell, a.crs)
    with _spinner("kernel density"):
        surf = kde_surface(inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy(), grid, bandwidth=bandwidth,
                           kernel=kernel, mask=grid.mask(a.geometry))
        hot = hotspot_mask(surf, method="sd", k=hot_sd) if hot_sd is not None else hotspot_mask(surf, share=hot_share)
        polys = hotspot_polygons(surf, hot, inc)
    out.parent.mkdir(parents=True, exist_ok=True)
    surf.to_gdf("density").drop(columns=["row", "col"]).to_file(out, layer="cells", driver="GPKG")
    polys.to_file(out, layer="hotspots", driver="GPKG")
    if map_out:
        m = HotspotMap(a, tiles=tiles, title=f"{a.name}: burglary density")
        m.add_neighbours(a.neighbours())
        add_surface(m, surf, f"Density (bandwidth {surf.meta['bandwidth_m']:g} m)")
        add_hotspots_to_map(m, polys)
        if gi:
            g = Grid.for_geometry(a.geometry, gi_cell, a.crs)
            with _spinner("Gi* (permutations)"):
                add_gi_to_map(m, gi_star(g.bin(inc.geometry.x, inc.geometry.y), g, g.mask(a.geometry)))
        add_month_slider(m, inc)
        m.save(map_out)
    err.print(f"{len(inc):,} incidents, {int(surf.mask.sum()):,} cells, {len(polys)} hotspots -> {out}"
              + (f", map {map_out}" if map_out else ""))


@app.command()
def backtest(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    start: Annotated[Optional[str], typer.Option("--from", help="First forecast period (YYYY-MM, or a date).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last forecast period.")] = None,
    coverage: Annotated[float, typer.Option("--coverage", help="Coverage level in percent of the area.")] = 5.0,
    methods: Annotated[Optional[str], typer.Option("--methods", help="Comma-separated methods (default: all).")] = None,
    cell: Cell = 50.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    as_json: JsonOut = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Coverage-curve plot (PNG).")] = None,
):
    """Rolling-origin backtest of forecast methods: hit rate, PAI, PEI."""
    from hotspot._errors import ModelError
    from hotspot.forecast import DEFAULT_METHODS, PeriodCounts, check_method
    from hotspot.forecast import backtest as run_backtest

    a = _area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt)
    pc = PeriodCounts.from_incidents(result.incidents, a, cell=cell)
    chosen = [m.strip() for m in methods.split(",")] if methods else list(DEFAULT_METHODS)
    for m in chosen:
        try:
            check_method(m)
        except ModelError as e:
            raise typer.BadParameter(f"--methods: {e}") from None
    if not 0 < coverage <= 100:
        raise typer.BadParameter(f"--coverage must be a percentage in (0, 100], got {coverage:g}")
    level = coverage / 100.0
    with Progress(TextColumn("backtest"), BarColumn(), TextColumn("{task.completed}/{task.total} periods"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("bt", total=None)
        res = run_backtest(pc, start=start or str(pc.periods[min(24, len(pc.periods) - 1)]),
                           end=end or str(pc.periods[-1]), methods=chosen,
                           levels=sorted({0.01, 0.02, 0.05, 0.10, 0.20, level}), best_level=level, seed=seed,
                           progress=lambda d, t: bar.update(task, completed=d, total=t))
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 5))
        for mname, curve in res.curves.items():
            ax.plot(res.curve_levels * 100, curve * 100, label=mname, lw=2.2 if mname == res.best else 1)
        ax.set_xlabel("area covered (%)")
        ax.set_ylabel("incidents captured (%)")
        ax.set_title(f"{a.name}: forecast coverage curves, {res.n_periods} periods")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=120, bbox_inches="tight")
    if as_json:
        _print_json(res.to_json(level))
        return
    t = Table(title=f"{a.name}: {res.n_periods} forecast periods ({'months' if res.freq == 'M' else 'weeks'})")
    pai_levels = sorted({0.01, 0.05, 0.10, level})
    for c in ("method", *[f"PAI {lv * 100:g}%" for lv in pai_levels], f"hit rate {coverage:g}%", f"PEI {coverage:g}%",
              f"PAI {coverage:g}% 95% CI"):
        t.add_column(c)
    s = res.summary
    for mname in res.at(level)["method"]:
        row = {lv: s[(s.method == mname) & np.isclose(s.coverage, lv)].iloc[0] for lv in pai_levels}
        t.add_row(mname, *[f"{row[lv].pai:.2f}" for lv in pai_levels], f"{row[level].hit_rate:.1%}",
                  f"{row[level].pei:.2f}", f"{row[level].pai_lo:.2f}-{row[level].pai_hi:.2f}")
    sel = res.selected
    if sel is not None:
        t.add_section()
        blank = ["" for _ in pai_levels]
        at = pai_levels.index(level)
        t.add_row(f"selected (nested, {sel.periods} periods)", *(blank[:at] + [f"{sel.pai:.2f}"] + blank[at + 1:]),
                  f"{sel.hit_rate:.1%}", f"{sel.pei:.2f}", f"{sel.pai_ci[0]:.2f}-{sel.pai_ci[1]:.2f}")
        t.add_row(f"selected / {sel.baseline} (paired ratio)", *(blank[:at] + [f"{sel.ratio:.3f}"] + blank[at + 1:]),
                  "", "", f"{sel.ratio_ci[0]:.3f}-{sel.ratio_ci[1]:.3f}")
    err.print(t)
    if sel is not None:
        err.print(f"selected procedure at {coverage:g}% coverage (method chosen each period on earlier periods only): "
                  f"PAI {sel.pai:.2f} (95% CI {sel.pai_ci[0]:.2f}-{sel.pai_ci[1]:.2f}); "
                  f"vs naive {sel.baseline} PAI {sel.baseline_pai:.2f}: ratio {sel.ratio:.3f} "
                  f"(paired 95% CI {sel.ratio_ci[0]:.3f}-{sel.ratio_ci[1]:.3f})")
    err.print(f"method for the next period at {coverage:g}% coverage: {res.best or 'none (too few periods to choose)'}")
    for w in res.warnings:
        err.print(f"warning: {w}")


DataDir = Annotated[Optional[Path], typer.Option("--data", help="Reference data folder for the partial road layers, counts and cameras (default: $HOTSPOT_DATA_DIR or ../shared/data).")]


def _reference(data: Path | None):
    from hotspot.pipeline import ReferenceData, resolve_data_dir

    root = resolve_data_dir(data)
    if root is None:
        raise typer.BadParameter("no reference data folder: give --data DIR (or --roads and the other layers)")
    return ReferenceData(root)


def _read_layer(path: Path, crs):
    import geopandas as gpd

    from hotspot._errors import InputFileError

    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    g = gpd.read_file(path)
    if g.crs is None:
        from hotspot._errors import CRSError

        raise CRSError(f"{path}: layer has no CRS")
    return g.to_crs(crs)


@app.command()
def crossborder(
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    incidents: Annotated[list[Path], typer.Option("--incidents", help="Incidents inside the area (repeatable).")],
    outside: Annotated[Optional[list[Path]], typer.Option("--outside", help="Incidents beyond the boundary (repeatable).")] = None,
    neighbours_file: Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of neighbouring areas (default: --area-file).")] = None,
    strip: Annotated[float, typer.Option("--strip", help="Strip width either side of the boundary, metres.")] = 1000.0,
    crime_type: CrimeType = None,
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the month-by-month figures as CSV.")] = None,
):
    """Border-zone figures: burglary near the boundary, and density either side."""
    from hotspot.areas import load_boundaries
    from hotspot.crossborder import border_concentration, density_by_neighbour

    a = _area(area_file, area)
    inside = _read(incidents, area=a, crime_type=crime_type).incidents
    conc = border_concentration(inside, a)
    dens = None
    if outside:
        out_inc = _read(outside, crime_type=crime_type).incidents.to_crs(a.crs)
        layer = load_boundaries(neighbours_file, crs=a.crs) if neighbours_file else None
        dens = density_by_neighbour(inside, out_inc, a, a.neighbours(layer), strip=strip)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        conc.to_csv(out, index=False)
    overall = conc[conc["month"] == "all"]
    if as_json:
        _print_json({"area": a.name,
                     "zones": [{"distance_m": r.distance_m, "incident_share": round(r.incident_share, 4),
                                "area_share": round(r.area_share, 4), "ratio": round(r.ratio, 3)} for r in overall.itertuples()],
                     "monthly": conc[conc["month"] != "all"].round(4).to_dict(orient="records"),
                     "neighbours": [] if dens is None else dens.round(3).replace({np.nan: None}).to_dict(orient="records")})
        return
    t = Table(title=f"{a.name}: burglary near the boundary ({int(overall.incidents.iloc[0]):,} burglaries)")
    for c in ("zone", "burglaries", "share of burglaries", "share of area", "concentration ratio"):
        t.add_column(c, justify="right")
    for r in overall.itertuples():
        t.add_row(f"within {r.distance_m:g} m", f"{r.in_zone:,}", f"{r.incident_share:.1%}", f"{r.area_share:.1%}", f"{r.ratio:.2f}")
    err.print(t)
    if dens is not None:
        t = Table(title=f"Burglaries per km² per year, {strip:g} m either side ({int(dens.months.max()) if len(dens) else 0} months)")
        for c in ("neighbour", "shared boundary km", "inside", "outside", "outside / inside"):
            t.add_column(c, justify="right")
        for r in dens.itertuples():
            t.add_row(str(r.neighbour), f"{r.shared_boundary_km:.1f}", f"{r.inside_density:.1f}",
                      "no data" if np.isnan(r.outside_density) else f"{r.outside_density:.1f}",
                      "" if np.isnan(r.ratio_outside_inside) else f"{r.ratio_outside_inside:.2f}")
        err.print(t)


@app.command()
def anpr(
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    incidents: Annotated[list[Path], typer.Option("--incidents", help="Incident files (repeatable).")],
    roads: Annotated[Optional[list[Path]], typer.Option("--roads", help="Full road layer: lines or an OSM XML extract (repeatable). Default: the partial layers in --data.")] = None,
    candidates: Annotated[Optional[Path], typer.Option("--candidates", help="Candidate sites (points).")] = None,
    existing: Annotated[Optional[Path], typer.Option("--existing", help="Existing cameras (points, kept fixed).")] = None,
    cameras: Annotated[int, typer.Option("--cameras", help="New cameras to site.")] = 20,
    radius: Annotated[float, typer.Option("--radius", help="Coverage radius, metres.")] = 500.0,
    months: Annotated[int, typer.Option("--months", help="Burglary risk from the last N months.")] = 12,
    data: DataDir = None,
    crime_type: CrimeType = None,
    out: Annotated[Path, typer.Option("--out", help="Sites (.geojson, .gpkg or .csv).")] = Path("anpr_sites.geojson"),
    as_json: JsonOut = False,
    map_out: Annotated[Optional[Path], typer.Option("--map", help="Write a map.")] = None,
):
    """Optimal new ANPR camera sites on roads crossing the boundary."""
    from hotspot.anpr import add_siting_to_map, plan_anpr
    from hotspot.crossborder import read_roads
    from hotspot.pipeline import recent_incidents

    a = _area(area_file, area)
    inc = recent_incidents(_read(incidents, area=a, crime_type=crime_type).incidents, months=months)
    # counts, red routes and cameras come from the reference data; with a full
    # road layer only when --data names it, otherwise it also gives the roads
    ref = (_reference(data) if data is not None else None) if roads else _reference(data)
    layers = {p.name: read_roads(p, a.crs) for p in roads} if roads else ref.road_layers(a.crs)
    cands = _read_layer(candidates, a.crs) if candidates else None
    if cands is not None and "site_id" not in cands:
        cands["site_id"] = [f"S{k + 1}" for k in range(len(cands))]
    if cands is not None and "kind" not in cands:
        cands["kind"] = "candidate"
    if cands is not None and "road" not in cands:
        cands["road"] = None
    ex = _read_layer(existing, a.crs) if existing else (ref.traffic_cameras(a.crs) if ref else None)
    with _spinner("siting cameras (CBC)"):
        plan = plan_anpr(a, road_layers=layers, incidents=inc, count_points=ref.count_points(a.crs) if ref else None,
                         candidates=cands, existing=ex, red_routes=ref.red_routes() if ref else None,
                         k=cameras, radius=radius)
    res = plan.result
    out.parent.mkdir(parents=True, exist_ok=True)
    sites = res.sites.drop(columns=["x", "y"])
    if out.suffix.lower() == ".csv":
        sites.drop(columns="geometry").to_csv(out, index=False)
    else:
        sites.to_crs(4326).to_file(out, driver="GPKG" if out.suffix.lower() == ".gpkg" else "GeoJSON")
    if map_out:
        from hotspot.maps import HotspotMap

        m = HotspotMap(a, title=f"{a.name}: ANPR sites")
        label = "Existing cameras" if existing else "TfL traffic cameras (JamCams, not ANPR)"
        add_siting_to_map(m, res, plan.crossings, plan.existing, existing_label=label)
        m.save(map_out)
    for note in plan.notes:
        err.print(f"note: {note}")
    if as_json:
        _print_json(res.to_json() | {"min_cameras": plan.min_cameras})
        return
    t = Table(title=f"{a.name}: {res.k} new cameras, {res.radius_m:g} m radius ({'optimal' if res.optimal else res.status}, CBC)")
    for c in ("#", "site", "road", "lon", "lat", "marginal gain", "coverage after"):
        t.add_column(c)
    for r, cov in zip(res.sites.itertuples(), res.marginal["coverage_after"]):
        t.add_row(str(r.install_order), r.site_id, str(r.road), f"{r.lon:.5f}", f"{r.lat:.5f}", f"{r.marginal_gain:.1%}", f"{cov:.1%}")
    err.print(t)
    err.print(f"coverage of weighted cross-border demand: {res.coverage_before:.1%} before, {res.coverage_after:.1%} after "
              f"(greedy {res.greedy_coverage:.1%}); fewest new cameras for " +
              ", ".join(f"{k}: {v}" for k, v in plan.min_cameras.items()))


@app.command()
def report(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    month: Annotated[str, typer.Option("--month", help="Reporting month, YYYY-MM.")],
    baseline_fy: Annotated[Optional[int], typer.Option("--baseline-fy", help="Baseline financial year (2014 = Apr 2014-Mar 2015).")] = None,
    peers: Annotated[Optional[str], typer.Option("--peers", help="Comma-separated peer boroughs (default: nearest in density and deprivation).")] = None,
    z: Annotated[float, typer.Option("--z", help="Exception band, standard deviations.")] = 2.5,
    green: Annotated[float, typer.Option("--green", help="GREEN at or below -X % rolling change.")] = 5.0,
    red: Annotated[float, typer.Option("--red", help="RED at or above +X % rolling change.")] = 5.0,
    data: DataDir = None,
    crime_type: CrimeType = None,
    as_json: JsonOut = False,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the HTML report.")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the monthly series with the expected range.")] = None,
):
    """Quarterly burglary performance report for a partnership board."""
    from hotspot.report import build_report

    a = _area(area_file, area)
    inc = _read(inputs, area=a, crime_type=crime_type).incidents
    ref = _optional_reference(data)
    london = ref.london_context() if ref else None
    try:
        pd_timestamp(month + "-01" if len(month) == 7 else month)
    except ValueError:
        raise typer.BadParameter(f"--month {month!r}: use YYYY-MM") from None
    rep = build_report(inc, a.name, month, london=london, baseline_fy=baseline_fy,
                       peers=[p.strip() for p in peers.split(",")] if peers else None, z=z, green=green, red=red)
    if html_out:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(rep.to_html(), encoding="utf-8")
    if csv_out:
        csv_out.parent.mkdir(parents=True, exist_ok=True)
        rep.to_csv_frame().to_csv(csv_out, index=False)
    if as_json:
        _print_json(rep.to_json())
        return
    j = rep.to_json()
    t = Table(title=f"{a.name}: burglary performance {rep.month} - {rep.rag}")
    for c in ("measure", "burglaries", "change"):
        t.add_column(c)
    t.add_row("latest quarter", f"{j['latest_quarter']['volume']:,}", f"{j['latest_quarter']['change_pct']}%")
    t.add_row("rolling 12 months", f"{j['rolling_12m']['volume']:,}", f"{j['rolling_12m']['change_pct']}%")
    t.add_row(f"vs FY {j['vs_baseline']['fy']}", f"{j['vs_baseline']['volume']:,}", f"{j['vs_baseline']['change_pct']}%")
    err.print(t)
    err.print(f"rates per 1,000: {j['rate_per_1000']}; London rank {j['london_rank']} of {j['london_of']}; "
              f"peer rank {j['peer_rank']}; exceptions: {len(j['exceptions'])}")


def _optional_reference(data: Path | None):
    """The reference data when given or found (../shared/data), else None."""
    from hotspot.pipeline import ReferenceData, resolve_data_dir

    root = resolve_data_dir(data)
    return ReferenceData(root) if root is not None else None


@app.command()
def leaflets(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    units: Annotated[Optional[Path], typer.Option("--units", help="Polygon layer of units; households from a 'households' column or interpolated from LSOAs.")] = None,
    unit_column: Annotated[Optional[str], typer.Option("--unit-column", help="Name/id column of --units.")] = None,
    leaflets_budget: Annotated[int, typer.Option("--leaflets", help="Leaflets (one per household).")] = 25_000,
    timer_switches: Annotated[int, typer.Option("--timer-switches", help="Timer switches (one per household).")] = 3_000,
    rule: Annotated[str, typer.Option("--rule", help="partial (last unit partly) or whole (whole units, exact).")] = "partial",
    method: Annotated[Optional[str], typer.Option("--method", help="Forecast method for expected burglaries (default: counts over 36 months).")] = "counts_36",
    year: Annotated[Optional[int], typer.Option("--year", help="Campaign year (default: the next autumn).")] = None,
    data: DataDir = None,
    crime_type: CrimeType = None,
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Plan as CSV.")] = None,
    map_out: Annotated[Optional[Path], typer.Option("--map", help="Write a map.")] = None,
):
    """Leaflet and timer-switch targeting, with the campaign window."""
    import geopandas as gpd

    from hotspot.campaigns import add_campaign_to_map, interpolate_households, plan_campaign
    from hotspot.forecast import PeriodCounts, forecast_surface

    if rule not in ("partial", "whole"):
        raise typer.BadParameter("--rule: partial or whole")
    a = _area(area_file, area)
    inc = _read(inputs, area=a, crime_type=crime_type).incidents
    ref = _optional_reference(data)
    if units is None:
        if ref is None:
            raise typer.BadParameter("give --units (with households) or --data for LSOAs and census households")
        u = ref.lsoa_units(a)
    else:
        u = _read_layer(units, a.crs)
        col = unit_column or next((c for c in u.columns if c != "geometry" and u[c].dtype == object), None)
        if col is None:
            raise typer.BadParameter("--unit-column: the units need a name/id column")
        u = u[u.geometry.representative_point().within(a.geometry.buffer(1))].copy()
        if "households" not in u:
            if ref is None:
                raise typer.BadParameter("--units has no 'households' column; give --data to interpolate from LSOAs")
            lsoa = ref.lsoa_units(a)
            u = interpolate_households(u, lsoa, unit_column=col)
        u["unit"], u["name"] = u[col].astype(str), u[col].astype(str)
    surface = forecast_surface(PeriodCounts.from_incidents(inc, a), method) if method else None
    plan = plan_campaign(u, inc, surface=surface, leaflets=leaflets_budget, timer_switches=timer_switches,
                         rule=rule, year=year)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        plan.targets.drop(columns="geometry").to_csv(out, index=False)
    if map_out:
        from hotspot.maps import HotspotMap

        m = HotspotMap(a, title=f"{a.name}: prevention campaign")
        add_campaign_to_map(m, plan)
        m.save(map_out)
    if as_json:
        _print_json(plan.to_json())
        return
    t = Table(title=f"{a.name}: leaflets and timer switches ({plan.rule} rule)")
    for c in ("#", "unit", "households", "leaflets", "timer switches", "expected/yr", "per 1,000 hh"):
        t.add_column(c)
    for r in plan.targets.head(25).itertuples():
        t.add_row(str(r.rank), str(r.name), f"{r.households:,}", f"{r.leaflets:,}", f"{r.timer_switches:,}",
                  f"{r.expected_burglaries:.1f}", f"{r.rate_per_1000_households:.1f}")
    err.print(t)
    err.print(f"{plan.leaflets_used:,} leaflets and {plan.timer_switches_used:,} timer switches reach "
              f"{plan.share_reached:.1%} of expected burglary; campaign {plan.campaign_window[0]:%d %b %Y} to "
              f"{plan.campaign_window[1]:%d %b %Y} (clocks go back {plan.clocks_go_back:%d %b}); "
              f"winter/summer {plan.winter_summer_ratio:.2f}")


def pd_timestamp(text: str):
    import pandas as pd

    ts = pd.Timestamp(text)
    if pd.isna(ts):
        raise ValueError(text)
    return ts


@app.command()
def demo(
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (default: $HOTSPOT_DATA_DIR or ../shared/data).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for maps.")] = Path("maps"),
    reports: Annotated[Path, typer.Option("--reports", help="Folder for plans and reports.")] = Path("reports"),
    area: Annotated[str, typer.Option("--area", help="Borough to analyse.")] = "Barnet",
    tiles: Annotated[Optional[str], typer.Option("--tiles", help="Base tiles: osm or light (need a network).")] = None,
    gi: Annotated[bool, typer.Option("--gi/--no-gi", help="Gi* layer (esda compiles ~25 s on first use).")] = True,
    as_json: JsonOut = False,
):
    """Run the whole pipeline on the Barnet reference data."""
    from hotspot.pipeline import run_demo

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("starting", total=None)
        result = run_demo(data, out, reports=reports, area_name=area, tiles=tiles, gi_star_layer=gi,
                          step=lambda s: bar.update(task, description=s))
    if as_json:
        _print_json({**result.summary, "timings_s": result.steps})
        return
    err.print(_summary_table(result.summary, f"{result.area.name}: burglary intake"))
    for name, path in {"map": result.map_path, **result.outputs}.items():
        err.print(f"{name}: {path}")
    for note in result.summary.get("nanobeats", {}).get("notes", []):
        err.print(f"note: {note}")
    err.print("steps (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.steps.items()))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hotspot`` console script; returns the exit code.

    Usage errors are click's (exit 2); input errors are :class:`HotspotError`
    (exit 2, one line); nothing the user can cause prints a traceback.
    """
    try:
        app(args=argv, prog_name="hotspot")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (HotspotError, OSError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
