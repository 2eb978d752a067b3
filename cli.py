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
    area_file: Annotated[Path, typer.Option("--area-file", help="Boundary layer (GeoJSON/GPKG).")],
    area: Annotated[str, typer.Option("--area", help="Area name or code.")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
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

    a = _area(area_file, area)
    result = _read(inputs, area=a, area_buffer=area_buffer, crime_type=crime_type, crs=crs, fmt=fmt,
                   date_format=date_format, id=id_col, date=date_col, x=x_col, y=y_col, lon=lon_col,
                   lat=lat_col, type=type_col, location=location_col)
    inc = recent_incidents(result.incidents, months=months) if months else result.incidents
    with _spinner("drawing map"):
        m = HotspotMap(a, tiles=tiles, title=f"hotspot: {a.name}")
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


@app.command()
def demo(
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (default: $HOTSPOT_DATA_DIR or ../shared/data).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for maps.")] = Path("maps"),
    area: Annotated[str, typer.Option("--area", help="Borough to analyse.")] = "Barnet",
    tiles: Annotated[Optional[str], typer.Option("--tiles", help="Base tiles: osm or light (need a network).")] = None,
    as_json: JsonOut = False,
):
    """Run the whole pipeline on the Barnet reference data."""
    from hotspot.pipeline import run_demo

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("starting", total=None)
        result = run_demo(data, out, area_name=area, tiles=tiles, step=lambda s: bar.update(task, description=s))
    if as_json:
        _print_json({**result.summary, "timings_s": result.steps})
        return
    err.print(_summary_table(result.summary, f"{result.area.name}: burglary intake"))
    for name, path in {"map": result.map_path, **result.outputs}.items():
        err.print(f"{name}: {path}")
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
