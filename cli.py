"""The ``hotspot`` command line: a thin shell over the :mod:`hotspot` API.

Errors caused by input (named :class:`hotspot.HotspotError` subclasses) are
printed as one line on stderr with exit code 2, never as a traceback.
Progress and tables go to stderr; ``--json`` output is the only thing on
stdout.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional, cast

import typer
from rich.logging import RichHandler
from rich.markup import escape
from typer.core import TyperCommand

import hotspot
from hotspot import settings
from hotspot._errors import HotspotError, OptionError
from hotspot.render import tables as show
from hotspot.render.console import Steps as _Steps
from hotspot.render.console import bar as _bar
from hotspot.render.console import err
from hotspot.render.console import json_safe as _json_safe  # noqa: F401 - the JSON the commands print
from hotspot.render.console import print_json as _print_json
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from hotspot.anpr import ANPRPlan
    from hotspot.areas import Area
    from hotspot.knox import TimeUnit
    from hotspot.nanobeats import NanoBeatOptions, NanoBeatPlan

log = logging.getLogger("hotspot")


def _set_logging(verbose: int, quiet: bool) -> None:
    """Log level from -v (repeatable) and -q; a warning is one line on stderr."""
    import warnings

    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    # the first call installs the handler; -q/-v after the command name only change the level
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=err, show_path=False)])
    logging.getLogger().setLevel(level)
    # a warning is one line on stderr, like every other message (no source line)
    warnings.formatwarning = lambda message, category, *args, **kwargs: f"warning: {message}\n"
    if quiet:
        warnings.simplefilter("ignore")


Verbose = Annotated[int, typer.Option("-v", "--verbose", count=True, help="More log output (-vv: debug).")]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Only errors.")]
#: Holds the -v/-q options every command also takes (typer builds them once).
_log_options_app = typer.Typer(add_completion=False)


@_log_options_app.command()
def _log_options(verbose: Verbose = 0, quiet: Quiet = False) -> None:
    """-v/-q, as parsed after a command name (see :class:`_Command`)."""


class _Command(TyperCommand):
    """Every command: ``-q``/``-v`` anywhere on the line (also after the
    command's own options), and a conflict of settings found by the API
    (:class:`~hotspot._errors.OptionError`) shown as a usage error, exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {p.name for p in self.params}
        # a command that reads incidents (it takes --crime-type) takes every common intake option: those its
        # signature does not name come from the one group below, their values reach _read through _INTAKE_GIVEN
        self.intake_params = [p for p in typer.main.get_command(_intake_options_app).params
                              if p.name not in names] if "crime_type" in names else []
        self.params += self.intake_params + typer.main.get_command(_log_options_app).params

    def invoke(self, ctx: Any) -> Any:
        token = _INTAKE_GIVEN.set({p.name: ctx.params.pop(p.name, None) for p in self.intake_params})
        try:
            return self._invoke(ctx)
        finally:
            _INTAKE_GIVEN.reset(token)

    def _invoke(self, ctx: Any) -> Any:
        verbose, quiet = ctx.params.pop("verbose", 0), ctx.params.pop("quiet", False)
        if verbose or quiet:  # given after the command name: combined with those before it
            root = ctx.find_root().params
            _set_logging(verbose + (root.get("verbose") or 0), quiet or bool(root.get("quiet")))
        try:
            return super().invoke(ctx)
        except OptionError as exc:  # named by its Python parameter: shown with this command's flag
            from hotspot.cliflags import cli_message
            raise typer.BadParameter(cli_message(str(exc), exc.params, ctx.info_name), ctx=ctx) from None


class _App(typer.Typer):
    """A Typer app whose commands are :class:`_Command` (shared -q/-v)."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


app = _App(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
           help="Turn geocoded burglary records into patrol, camera and prevention plans.")

# --------------------------------------------------------------------------- shared options
# area options
Inputs = Annotated[list[Path], typer.Argument(help="CSV/GeoJSON/GeoPackage files or folders of them.")]
AreaFile = Annotated[Optional[Path], typer.Option("--area-file", help="Boundary layer (GeoJSON/GPKG).")]
AreaName = Annotated[Optional[str], typer.Option("--area", help="Area name or code in the boundary layer.")]
AreaFileRequired = Annotated[Path, typer.Option("--area-file", help="Boundary layer (GeoJSON/GPKG).")]
AreaNameRequired = Annotated[str, typer.Option("--area", help="Area name or code.")]
AreaBuffer = Annotated[float, typer.Option("--area-buffer", help="Edge tolerance of the area test, metres.")]
AreaBufferOpt = Annotated[Optional[float], typer.Option("--area-buffer", help="Edge tolerance of the area test, metres (default 25: police.uk snap points on boundary roads lie up to ~12 m over the line).")]
AreaCrs = Annotated[Optional[str], typer.Option("--area-crs", help="CRS of a boundary file that declares none, e.g. EPSG:27700.")]
# intake options (every command that reads incidents takes them all: see _Command)
CrimeType = Annotated[Optional[list[str]], typer.Option("--crime-type", help="Keep only this crime type (repeatable; 'all': every row, for a file with no crime-type column).")]
Crs = Annotated[Optional[str], typer.Option("--crs", help="CRS of x/y columns, e.g. EPSG:26971.")]
Fmt = Annotated[str, typer.Option("--format", help="auto, policeuk, csv or vector.")]
IdCol = Annotated[Optional[str], typer.Option("--id-col", help="Column of the incident id (default: detected).")]
DateCol = Annotated[Optional[str], typer.Option("--date-col", help="Column of the date (default: detected).")]
XCol = Annotated[Optional[str], typer.Option("--x-col", help="Column of the x coordinate, in the units of --crs (default: detected).")]
YCol = Annotated[Optional[str], typer.Option("--y-col", help="Column of the y coordinate, in the units of --crs (default: detected).")]
LonCol = Annotated[Optional[str], typer.Option("--lon-col", help="Column of the longitude, WGS84 degrees (default: detected).")]
LatCol = Annotated[Optional[str], typer.Option("--lat-col", help="Column of the latitude, WGS84 degrees (default: detected).")]
TypeCol = Annotated[Optional[str], typer.Option("--type-col", help="Column of the crime type (default: detected).")]
LocCol = Annotated[Optional[str], typer.Option("--location-col", help="Column of the location text, e.g. a street (default: detected).")]
DateFormat = Annotated[Optional[str], typer.Option("--date-format", help="strftime format of the date column, e.g. %d/%m/%Y; needed when no row shows the day/month order.")]
# output options
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
MapOut = Annotated[Optional[Path], typer.Option("--map", help="Write a map.")]
_TILES = Annotated[Optional[str], typer.Option("--tiles", help="Base map: none, osm, light, an XYZ URL template (https://host/{z}/{x}/{y}.png) or wms:URL?layers=NAME.")]
PublicK = Annotated[int, typer.Option("--k", help="Smallest count shown with --public (police.uk: at least 8 addresses per published point).")]
PostcodeColumn = Annotated[Optional[str], typer.Option("--postcode-column", help="Postcode column of --postcodes.")]

#: The common intake options, defined once: every command that reads incidents takes all of them (see
#: :class:`_Command`), and :func:`_read` applies them to every incident file the command reads.
_intake_options_app = typer.Typer(add_completion=False)
#: Values of the intake options a running command got from the group (not from its own signature).
_INTAKE_GIVEN: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("intake_given", default=None)


@_intake_options_app.command()
def _intake_options(crs: Crs = None, fmt: Fmt = "auto", date_format: DateFormat = None, id_col: IdCol = None,
                    date_col: DateCol = None, x_col: XCol = None, y_col: YCol = None, lon_col: LonCol = None,
                    lat_col: LatCol = None, type_col: TypeCol = None, location_col: LocCol = None) -> None:
    """The intake options as parsed for a command whose signature omits some (see :class:`_Command`)."""


def _intake_given() -> dict[str, Any]:
    """The common intake options given to the running command that its
    signature does not name (role -> value for columns: ``id``, ``date`` ...;
    ``crs``, ``fmt``, ``date_format``); empty outside a command. (typer may
    vendor its own click, so this is not read from click's current context.)"""
    given = {k: v for k, v in (_INTAKE_GIVEN.get() or {}).items() if v not in (None, "auto")}
    return {k.removesuffix("_col"): v for k, v in given.items()}


def _intake_kwargs() -> dict[str, Any]:
    """The common intake options given to the running command, as keyword
    arguments of :func:`hotspot.intake.read_incidents` (for an API function
    that reads the files itself, e.g. the league's workers)."""
    given = _intake_given()
    out: dict[str, Any] = {k: given.pop(k) for k in ("crs", "date_format") if k in given}
    if "fmt" in given:
        out["format"] = given.pop("fmt")
    return out | ({"columns": given} if given else {})


def _area(area_file: Path | None, area: str | None, area_crs: str | None = None) -> Area | None:
    """The study area from ``--area-file``/``--area`` (``--area-crs``: the
    CRS of a boundary file that declares none), or None."""
    if area_file is None and area is None:
        return None
    if area_file is None or area is None:
        raise typer.BadParameter("--area-file and --area go together")
    return _required_area(area_file, area, area_crs)


def _required_area(area_file: Path, area: str, area_crs: str | None = None) -> Area:
    """The study area of a command whose --area-file and --area are required."""
    from hotspot.areas import load_area

    return load_area(area_file, area, crs=area_crs)


def _read(inputs, *, area=None, area_buffer=None, crime_type=None, crs=None, fmt="auto", date_format=None,
          allow_empty=False, **cols):
    """:func:`hotspot.intake.read_incidents` with a spinner; ``inputs`` may
    be paths or one DataFrame; ``area_buffer=None`` is the default edge
    tolerance (metres). Unless ``allow_empty``, no incident left is an error
    naming the crime types present."""
    from hotspot.intake import read_incidents

    given = _intake_given()
    crs, date_format = crs or given.pop("crs", None), date_format or given.pop("date_format", None)
    fmt = given.pop("fmt", fmt) if fmt == "auto" else fmt
    columns = {k: v for k, v in (given | {k: v for k, v in cols.items() if v}).items() if v}
    with _spinner("reading incidents"):
        result = read_incidents(inputs, format=fmt, crime_types=crime_type, crs=crs, columns=columns or None,
                                area=area, area_buffer=area_buffer, date_format=date_format)
    if not allow_empty:
        result.require_incidents()
    return result


def _write(table, dest, *, layer: str | None = None, params: dict | None = None) -> str | None:
    """Every table output through the one writer: .geojson, .gpkg (``layer``),
    .csv, .parquet (GeoParquet) or a ``postgresql://...?table=NAME`` URL (rows
    tagged with the run's parameters; re-running replaces them). A PostGIS
    destination with a ``layer`` gets the layer as a table-name suffix. No
    ``dest`` (an output not asked for): nothing is written, None returned."""
    from hotspot.io.urls import is_pg_url
    from hotspot.io.write import write_table

    if dest is None:
        return None
    target = str(dest)
    if layer and is_pg_url(target):
        base, _, query = target.partition("table=")
        name, sep, rest = query.partition("&")
        target = f"{base}table={name}_{layer}{sep}{rest}"
        layer = None
    elif layer and not target.lower().endswith(".gpkg"):
        raise typer.BadParameter(f"{dest}: this output has several layers; give a .gpkg file or a postgresql:// URL")
    return write_table(table, target, layer=layer, params=params)

# --------------------------------------------------------------------------- commands
def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hotspot {hotspot.__version__}")
        raise typer.Exit(0)



@app.callback()
def _root(
    verbose: Verbose = 0,
    quiet: Quiet = False,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.", is_eager=True,
                                          callback=_show_version)] = False,
):
    """Options of every command (-v/-q may also come after the command name)."""
    _set_logging(verbose, quiet)



@app.command()
def validate(
    inputs: Inputs,
    area_file: AreaFile = None, area: AreaName = None, area_buffer: AreaBufferOpt = None, area_crs: AreaCrs = None,
    crime_type: CrimeType = None,     rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Write rejected rows to this CSV.")] = None,
    as_json: JsonOut = False,
):
    """Read and validate incident files; report accepted, rejected and filtered rows and what was detected
    (format, columns, CRS, date order, crime types, area membership)."""
    from hotspot.intake import UnusableInputError

    try:
        result = _read(inputs, area=_area(area_file, area, area_crs), area_buffer=area_buffer,
                       crime_type=crime_type, allow_empty=True)
    except UnusableInputError as exc:
        if rejects:  # the reasons are what the user needs to fix the input
            _write(exc.result.rejects, rejects)
        raise
    if rejects:
        _write(result.rejects, rejects)
    s = result.summary()
    if as_json:
        _print_json(s)
    else:
        err.print(show.summary_table(s, "Validation"))
        err.print(show.detected_table(s))
        if rejects:
            err.print(f"rejected rows written to {rejects}")


@app.command("map")
def map_(
    inputs: Inputs,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    area_file: AreaFile = None, area: AreaName = None,
    area_buffer: AreaBufferOpt = None, crime_type: CrimeType = None,     months: Annotated[Optional[int], typer.Option("--months", help="Only the last N months; with --public the fixed published window's length, a divisor of 12 (default 12: the latest whole calendar year).")] = None,
    show_points: Annotated[bool, typer.Option("--show-points", help="Exact-date data at its points, not per cell.")] = False,
    cell: Annotated[Optional[float], typer.Option("--cell", help="Cell size for pooling exact-date points (default 100 m), or for public counts (default 250 m), metres.")] = None,
    tiles: _TILES = None,
    public: Annotated[bool, typer.Option("--public", help="Safe to publish: counts per cell only where at least --k; no points, heat or exact dates.")] = False,
    k: PublicK = 8,
):
    """Draw the area, its neighbours and the incidents on a self-contained map."""
    from hotspot.areas import area_from_points
    from hotspot.periods import recent_incidents
    from hotspot.render.incidents import incidents_map

    if public and show_points:
        raise typer.BadParameter("--public and --show-points exclude each other")
    a = _area(area_file, area)
    if public and a is None:
        raise OptionError("--public needs --area-file and --area: a footprint drawn from the incidents would outline "
                          "where isolated burglaries are")
    result = _read(inputs, area=a, area_buffer=area_buffer, crime_type=crime_type)
    inc = recent_incidents(result.incidents, months=months) if months and not public else result.incidents
    with _spinner("drawing map"):
        if a is None:  # no boundary file: the incidents' footprint
            a = area_from_points(result.incidents.geometry.x, result.incidents.geometry.y, result.crs)
        path = incidents_map(a, inc, out, public=public, show_points=show_points, cell=cell, k=k, tiles=tiles,
                             window_months=months)
    err.print(f"{len(inc):,} incidents ({result.rejected:,} rejected) -> {path}" + (" (public)" if public else ""))


@app.command("check-public")
def check_public_cmd(
    files: Annotated[list[Path], typer.Argument(help="Outputs to check: HTML, GeoJSON/JSON, GeoPackage, CSV, Parquet or PDF.")],
    incidents: Annotated[list[Path], typer.Option("--incidents", help="The input incident files (repeatable).")],
    area_file: AreaFile = None, area: AreaName = None, crime_type: CrimeType = None,     distance: Annotated[float, typer.Option("--distance", help="An output coordinate within this many metres of an input incident is a leak.")] = 25.0,
    k: Annotated[int, typer.Option("--k", help="Smallest count that may be published (police.uk: at least 8 addresses per published point).")] = 8,
    previous: Annotated[Optional[list[Path]], typer.Option("--previous", help="The previous release's files (repeatable): also fail when a published count changed by fewer than --k since then.")] = None,
    as_json: JsonOut = False,
):
    """Fail (exit 1) when an output holds coordinates near input incidents, counts below k or streets of exact addresses."""
    from hotspot.disclosure import check_public, release_differences

    result = _read(incidents, area=_area(area_file, area), crime_type=crime_type)
    with _spinner("checking"):
        found = check_public(files, result.incidents, distance=distance, k=k)
        found += release_differences(files, previous, k=k) if previous else []
    if as_json:
        _print_json({"files": [str(f) for f in files], "distance_m": distance, "k": k, "safe": not found,
                     "findings": [{"file": f.file, "kind": f.kind, "detail": f.detail} for f in found]})
    else:
        show.print_check_public(found, files, len(result.incidents), distance, k)
    if found:
        raise typer.Exit(1)


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
    layer: Annotated[Optional[str], typer.Argument(help="roads (OSM streets), postcodes (Code-Point Open/ONSPD) or units (ONS LSOAs/wards with Census 2021 households) for --area-file/--area; omit for police.uk months and boundary layers.")] = None,
    area_file: AreaFile = None, area: AreaName = None,
    start: Annotated[Optional[str], typer.Option("--start", help="First month, YYYY-MM.")] = None,
    end: Annotated[Optional[str], typer.Option("--end", help="Last month, YYYY-MM.")] = None,
    category: Annotated[str, typer.Option("--category", help="police.uk category slug.")] = "burglary",
    boundary: Annotated[Optional[list[str]], typer.Option("--boundary", help="Boundary layer from the manifest (repeatable).")] = None,
    mirror: Annotated[Optional[Path], typer.Option("--from", help="Take files from this local mirror instead of downloading; with 'postcodes', a Code-Point Open or ONSPD zip/CSV downloaded by hand.")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache", help="Cache folder (default: data/ or $HOTSPOT_CACHE_DIR).")] = None,
    buffer: Annotated[Optional[float], typer.Option("--buffer", help="roads/postcodes: also fetch within this many metres of the area (default 500 m for roads, 1000 m for postcodes).")] = None,
    network_type: Annotated[str, typer.Option("--network-type", help="roads: osmnx network type (drive, drive_service, walk, bike, all, all_public).")] = "drive",
    level: Annotated[str, typer.Option("--level", help="units: lsoa (2021 LSOAs, Census 2021 households) or ward (May 2024 wards, households interpolated from the LSOAs).")] = "lsoa",
    refresh: Annotated[bool, typer.Option("--refresh", help="Fetch again even when the layer is cached.")] = False,
    as_json: JsonOut = False,
):
    """Download police.uk months and boundary layers, or (LAYER) an area's streets, postcodes or units, into the cache."""
    from hotspot.sources import fetch_boundary, fetch_police_uk, fetch_police_uk_from_mirror, months_between

    if layer is not None:
        return _fetch_layer(layer, _area(area_file, area), buffer=buffer, network_type=network_type, level=level,
                            source=mirror, cache=cache, refresh=refresh, as_json=as_json)
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
            with _bar("police.uk", "months", len(months)) as bar:
                files = fetch_police_uk(a, months, category=category, cache=cache,
                                        progress=lambda m: bar.update(bar.done + 1))
        err.print(f"{len(files)} police.uk files in {files[0].parent if files else cache}")
    elif not boundary:
        raise typer.BadParameter("nothing to fetch: give --start/--end and/or --boundary")



def _fetch_layer(kind: str, a: Area | None, *, buffer: float | None, network_type: str, level: str,
                 source: Path | None, cache: Path | None, refresh: bool, as_json: bool) -> None:
    """``hotspot fetch roads|postcodes|units``: one call of
    :func:`hotspot.fetchers.fetch_layer`, then where the layer is and which
    option takes it."""
    from hotspot.fetchers import fetch_layer

    if a is None:
        raise typer.BadParameter(f"fetch {kind} needs --area-file and --area (the layer is fetched for the area)")
    with _spinner(f"fetching {kind} for {a.name}"):
        got = fetch_layer(kind, a, buffer_m=buffer, network_type=network_type, level=level, source_file=source,
                          cache=cache, refresh=refresh)
    use = {"roads": "--roads (brief, anpr and run use it for this area by themselves)",
           "postcodes": "--postcodes", "units": "leaflets --units"}.get(kind, "")
    if as_json:
        _print_json(got.to_json() | {"use_with": use})
        return
    show.print_fetched(kind, got, use)


def _floats(text: str, what: str) -> list[float]:
    """Comma-separated numbers of an option."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"{what}: comma-separated numbers, e.g. 1,200") from None



def _edges(text: str | None, what: str) -> list[float] | None:
    """Band edges from an option, or None when it is not given."""
    return None if text is None else _floats(text, what)



def _nrc(text: str | None, what: str, same_location: float | None) -> list[float] | None:
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
    crime_type: CrimeType = None, area_file: AreaFile = None, area: AreaName = None,
    distance_edges: Annotated[Optional[str], typer.Option("--distance-edges", help="Finite distance edges, metres: 1,200 gives [0,1) [1,200) [200,inf).")] = None,
    time_edges: Annotated[Optional[str], typer.Option("--time-edges", help="Finite time edges, days: 7 gives [0,7) [7,inf).")] = None,
    nrc_distance: Annotated[Optional[str], typer.Option("--nrc-distance", help="NRC style BANDWIDTH,BANDS (with a same-location band).")] = None,
    nrc_time: Annotated[Optional[str], typer.Option("--nrc-time", help="NRC style BANDWIDTH,BANDS for time.")] = None,
    metric: Annotated[str, typer.Option("--metric", help="euclidean or manhattan.")] = "euclidean",
    permutations: Annotated[int, typer.Option("--permutations", help="Monte Carlo permutations of the times (p-values resolve to 1/(N+1)).")] = 999,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of the permutations (fixed by default, so a run repeats).")] = 0,
    time_unit: Annotated[str, typer.Option("--time-unit", help="days, or months for month-precision data.")] = "days",
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table: .csv, .parquet or postgresql://...?table=NAME.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write an HTML heat table.")] = None,
):
    """Knox test for near-repeat victimisation by distance and time bands."""
    from hotspot.knox import knox_from_incidents

    dedges = _nrc(nrc_distance, "--nrc-distance", 1.0) or _edges(distance_edges, "--distance-edges") or [1, 200]
    tedges = _nrc(nrc_time, "--nrc-time", None) or _edges(time_edges, "--time-edges") or [7]
    if metric not in ("euclidean", "manhattan"):
        raise typer.BadParameter("--metric: euclidean or manhattan")
    if time_unit not in ("days", "months"):  # anything else was read as days
        raise typer.BadParameter("--time-unit: days or months")
    result = _read(inputs, area=_area(area_file, area), crime_type=crime_type)
    with _bar("Knox", "permutations", permutations) as bar:
        res = knox_from_incidents(result.incidents, distance_edges=dedges, time_edges=tedges, metric=metric,
                                  permutations=permutations, seed=seed,
                                  time_unit=cast("TimeUnit", time_unit),  # checked above
                                  progress=lambda d, t: bar.update(d))
    if out:
        _write(res.to_frame(), out, params={"command": "knox", "distance_edges": dedges, "time_edges": tedges,
                                            "permutations": permutations, "seed": seed})
    if html_out:
        from hotspot.render import write_page
        from hotspot.render.knox import knox_html

        write_page(html_out, knox_html(res, f"Knox test: {res.n_events:,} events"))
    if as_json:
        _print_json(res.to_dict())
        return
    show.print_knox(res, seed)


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


def _context(paths, area, own, *, buffer_m, neighbours_file=None, crime_type=None, **read):
    """Context incidents from --context files within ``buffer_m`` metres of the area."""
    from hotspot.areas import load_boundaries
    from hotspot.context import read_context

    if area is None:
        raise typer.BadParameter("--context needs --area-file and --area (context is what lies outside the area)")
    nb = area.neighbours(load_boundaries(neighbours_file, crs=area.crs)) if neighbours_file else None
    with _spinner("reading context incidents"):
        return read_context(paths, area, own, buffer_m=buffer_m, neighbours=nb, crime_types=crime_type, **read)


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






@app.command()
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
):
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


@app.command()
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
):
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


Cell = Annotated[float, typer.Option("--cell", help="Cell size, metres.")]



@app.command()
def kde(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    out: Annotated[Path, typer.Option("--out", help="GeoPackage with layers 'cells' and 'hotspots', or postgresql://...?table=NAME (tables NAME_cells, NAME_hotspots).")],
    cell: Annotated[Optional[float], typer.Option("--cell", help="Cell size, metres (default 50; with --public 100, the smallest a public surface may have).")] = None,
    bandwidth: Annotated[Optional[float], typer.Option("--bandwidth", help="Metres (default max(150, 5 x cell)).")] = None,
    kernel: Annotated[str, typer.Option("--kernel", help="quartic or gaussian.")] = "quartic",
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Use incidents before this date (default: all).")] = None,
    months: Annotated[Optional[int], typer.Option("--months", help="Training window: the last N months before --as-of; with --public the fixed published window's length, a divisor of 12 (default 12: the latest whole calendar year).")] = None,
    hot_share: Annotated[float, typer.Option("--hot-share", help="Hotspots: top share of cells (0-1).")] = 0.05,
    hot_sd: Annotated[Optional[float], typer.Option("--hot-sd", help="Hotspots: cells above mean + K sd instead.")] = None,
    gi: Annotated[bool, typer.Option("--gi/--no-gi", help="Add a Gi* hot/cold layer (slow on first use).")] = False,
    gi_cell: Annotated[float, typer.Option("--gi-cell", help="Cell size for Gi*, metres.")] = 250.0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    map_out: MapOut = None,
    tiles: _TILES = None,
    public: Annotated[bool, typer.Option("--public", help="Safe to publish: surface in classes, only where at least --k incidents lie within the bandwidth (needs cell >= 100 m, bandwidth >= max(250 m, 2 x cell)); hotspots with at least --k; no points.")] = False,
    k: PublicK = 8,
    context: Annotated[Optional[list[Path]], typer.Option("--context", help="Incidents around the area (repeatable): burglaries across the boundary within the kernel's reach remove the edge bias near it; never counted as the area's own.")] = None,
    neighbours_file: Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of neighbouring areas that names where context incidents lie (default: --area-file).")] = None,
):
    """Kernel density surface and hotspot polygons."""
    from hotspot.hotspots import context_reach, density_hotspots, density_tables, kde_cell

    a, cell = _required_area(area_file, area), kde_cell(cell, public)
    inc = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt).incidents
    when = _date_option(as_of, "--as-of") if as_of else None
    ctx = None
    if context:
        ctx = _context(context, a, inc, buffer_m=context_reach(cell, bandwidth, kernel),
                       neighbours_file=neighbours_file, crime_type=crime_type)
    with _spinner("kernel density"):
        res = density_hotspots(inc, a, cell=cell, bandwidth=bandwidth, kernel=kernel, as_of=when, months=months,
                               hot_share=hot_share, hot_sd=hot_sd, gi_cell=gi_cell if gi else None, context=ctx,
                               public=public, k=k)
    out.parent.mkdir(parents=True, exist_ok=True)
    params = {"command": "kde", "area": a.name, "cell_m": cell, "bandwidth_m": res.surface.meta["bandwidth_m"],
              "kernel": kernel, "as_of": as_of, "months": months}
    for layer, table in density_tables(res).items():
        _write(table, out, layer=layer, params=params)
    if map_out:
        from hotspot.render.surfaces import density_map

        density_map(a, res, tiles=tiles).save(map_out)
    show.print_kde(res, ctx, cell, out, map_out)


def _date_option(text: str, option: str, *, example: str = " (YYYY-MM-DD)") -> pd.Timestamp:
    """A date option as a Timestamp; not a date is a usage error naming the option."""
    try:
        return pd_timestamp(text)
    except ValueError:
        raise typer.BadParameter(f"{option} {text!r} is not a date{example}") from None



Workers = Annotated[Optional[int], typer.Option("--workers", help="Dask LocalCluster worker processes (0: run in this process, one area after another; default: one per core).")]



Scheduler = Annotated[Optional[str], typer.Option("--scheduler", help="Address of a running dask scheduler, e.g. tcp://HOST:8786 (start one with `dask scheduler` and `dask worker`; see README).")]



@app.command()
def backtest(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaName = None,
    start: Annotated[Optional[str], typer.Option("--from", help="First forecast period (YYYY-MM, or a date).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last forecast period.")] = None,
    coverage: Annotated[float, typer.Option("--coverage", help="Coverage level in percent of the area.")] = settings.BACKTEST_COVERAGE_PCT,
    methods: Annotated[Optional[str], typer.Option("--methods", help="Comma-separated methods (default: all).")] = None,
    cell: Cell = 50.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap intervals (fixed by default, so a run repeats).")] = 0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    as_json: JsonOut = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Coverage-curve plot (PNG).")] = None,
    areas: Annotated[Optional[str], typer.Option("--areas", help="Backtest every area (all) or A,B,... as parallel tasks; one table out.")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    out: Annotated[Optional[str], typer.Option("--out", help="With --areas: table (area x method x coverage) as .csv, .parquet or postgresql://...?table=NAME.")] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for the PAI interval.")] = settings.BACKTEST_BOOTSTRAP,
    targets: Annotated[Optional[int], typer.Option("--targets", help="Score K nano-beat targets at equal effort against count discs and near-repeat alone (same K and radius).")] = None,
    target_radius: Annotated[float, typer.Option("--target-radius", help="With --targets: radius of each target, metres.")] = settings.NANOBEAT_TARGET_RADIUS_M,
    step: Annotated[int, typer.Option("--step", help="With --targets: weeks (months for month dates) between planning dates.")] = 1,
):
    """Rolling-origin backtest of forecast methods: hit rate, PAI, PEI (--targets: patrol targets at equal effort)."""
    from hotspot.forecast import PeriodCounts, backtest_at_coverage

    if targets is not None:
        return _backtest_targets(inputs, area_file, area, targets, target_radius, step=step, start=start, end=end,
                                 cell=cell, seed=seed, bootstrap=bootstrap, crime_type=crime_type, crs=crs, fmt=fmt,
                                 as_json=as_json)
    if areas is not None:  # every area as independent dask tasks (hotspot.league)
        return _backtest_areas(inputs, area_file, areas, start=start, end=end, coverage=coverage, methods=methods,
                               cell=cell, seed=seed, crime_type=crime_type, workers=workers, scheduler=scheduler,
                               out=out, as_json=as_json, bootstrap=bootstrap)
    if area is None:
        raise typer.BadParameter("give --area NAME (one area) or --areas all|A,B (every area)")
    a = _required_area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt)
    pc = PeriodCounts.from_incidents(result.incidents, a, cell=cell)
    with _bar("backtest", "periods") as bar:
        bt = backtest_at_coverage(pc, coverage=coverage, start=start, end=end, seed=seed, bootstrap=bootstrap,
                                  methods=[m.strip() for m in methods.split(",")] if methods else None,
                                  progress=lambda d, t: bar.update(d, t))
    if plot:
        from hotspot.render.backtest import write_coverage_plot

        write_coverage_plot(bt.result, plot, title=f"{a.name}: forecast coverage curves, {bt.result.n_periods} periods")
    if as_json:
        _print_json(bt.to_json())
        return None
    show.print_backtest(bt, a.name, coverage)
    return None


def _backtest_targets(inputs: list[Path], area_file: Path, area: str | None, k: int, radius: float, *, step: int,
                      start: str | None, end: str | None, cell: float, seed: int, bootstrap: int,
                      crime_type: list[str] | None, crs: str | None, fmt: str, as_json: bool) -> None:
    """`backtest --targets K`: the planner against count discs and near-repeat alone at equal effort."""
    from hotspot.target_backtest import backtest_targets

    if area is None:
        raise typer.BadParameter("--targets scores one area: give --area NAME")
    if k < 1 or radius <= 0:
        raise typer.BadParameter(f"--targets {k} --target-radius {radius:g}: need at least 1 target of a positive "
                                 "radius (metres)")
    a = _required_area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt)
    with _bar("backtest", "plans") as bar:
        bt = backtest_targets(result.incidents, a, n_targets=k, target_radius=radius, start=start, end=end, step=step,
                              cell=cell, seed=seed, bootstrap=bootstrap, progress=lambda d, t: bar.update(d, t))
    if as_json:
        _print_json(bt.to_json())
        return
    show.print_target_backtest(bt, a.name, k, radius)


def _backtest_areas(inputs: list[Path], area_file: Path, areas: str, *, start: str | None, end: str | None,
                    coverage: float, methods: str | None, cell: float, seed: int, crime_type: list[str] | None,
                    workers: int | None, scheduler: str | None, out: str | None, as_json: bool, bootstrap: int) -> None:
    """`backtest --areas`: every area as independent dask tasks (:func:`hotspot.league.backtest_areas`)."""
    from hotspot.io.write import write_table
    from hotspot.league import backtest_areas, best_methods

    level = coverage / 100.0
    with _bar("backtest", "areas") as bar:
        res = backtest_areas([str(i) for i in inputs], area_file, areas=areas, cell=cell, start=start, end=end,
                             methods=[m.strip() for m in methods.split(",")] if methods else None,
                             levels=sorted({*settings.BACKTEST_TABLE_LEVELS, level}), best_level=level,
                             bootstrap=bootstrap, seed=seed, crime_types=crime_type, workers=workers,
                             scheduler=scheduler, progress=bar.update)
    if out:
        params = {"command": "backtest", "inputs": [str(i) for i in inputs], "areas": areas, "from": start, "to": end,
                  "coverage": coverage, "methods": methods, "cell": cell, "seed": seed, "bootstrap": bootstrap}
        err.print(f"wrote {write_table(res.table, out, params=params)}")
    if as_json:
        _print_json(res.to_json())
    else:
        show.print_backtest_areas(res, best_methods(res, coverage), coverage)
    for a, e in res.failed.items():
        err.print(f"[bold red]failed:[/] {escape(a)}: {escape(e)}", highlight=False)
    if res.failed:
        raise typer.Exit(1)


@app.command()
def load(
    inputs: Annotated[list[str], typer.Argument(help="CSV/GeoJSON/GeoPackage/Parquet files, folders or postgresql:// URLs.")],
    to: Annotated[str, typer.Option("--to", help="postgresql://USER@HOST:PORT/DB?table=NAME; rejected rows go to NAME_rejects.")],
    area_file: AreaFile = None, area: AreaName = None, area_buffer: AreaBufferOpt = None,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    run_id: Annotated[Optional[str], typer.Option("--run-id", help="Run id (default: from the inputs' content and the options); loading the same run again replaces its rows.")] = None,
    as_json: JsonOut = False,
):
    """Validate incidents and write them to PostGIS (geometry in the working CRS, GIST index)."""
    from hotspot.io.write import input_identity, load_incidents

    a = _area(area_file, area)
    result = _read(inputs, area=a, area_buffer=area_buffer, crime_type=crime_type, crs=crs, fmt=fmt)
    # the run id comes from the data (content, not the path as typed); no password is stored
    params = {"command": "load", **input_identity(inputs), "area": a.name if a else None,
              "area_buffer": area_buffer, "crime_type": crime_type, "crs": crs}
    with _spinner("writing to PostGIS"):
        info = load_incidents(result, to, run_id=run_id, params=params)
    if as_json:
        _print_json({**info, "summary": result.summary()})
        return
    err.print(show.summary_table(result.summary(), "loaded incidents"))
    err.print(f"table {info['table']} (run {info['run_id']}): {info['accepted']:,} incidents; "
              f"{info['rejects_table']}: {info['rejected']:,} rejected rows")


@app.command()
def league(
    inputs: Annotated[Optional[list[str]], typer.Argument(help="Parquet/CSV files or postgresql:// URLs (default: the London police.uk Parquet file in the reference data).")] = None,
    *,
    area_file: AreaFileRequired,
    month: Annotated[str, typer.Option("--month", help="Reporting month, YYYY-MM (not after the data's last month).")],
    areas: Annotated[str, typer.Option("--areas", help="all, or comma-separated area names/codes.")] = "all",
    households: Annotated[Optional[Path], typer.Option("--households", help="LSOA households CSV (lad_code, households); default: the Census 2011 table in the reference data.")] = None,
    assign: Annotated[str, typer.Option("--assign", help="auto, lsoa (police.uk LSOA-name prefix) or polygon (point in area).")] = "auto",
    workers: Workers = None,
    scheduler: Scheduler = None,
    crime_type: CrimeType = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (default: $HOTSPOT_DATA_DIR or ../shared/data).")] = None,
    as_json: JsonOut = False,
    out: Annotated[Optional[str], typer.Option("--out", help="Table with the all-areas line: .csv, .parquet or postgresql://...?table=NAME.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the table as an HTML page.")] = None,
):
    """Performance table for every area: rolling 12 months, change, rate per 1,000 households, rank, RAG."""
    from hotspot.io.write import write_table
    from hotspot.jobs.league import league_sources
    from hotspot.league import build_league
    from hotspot.render import write_page
    from hotspot.render.league import league_html

    sources, households = league_sources(inputs, households, data)
    with _bar("league", "areas") as bar:
        res = build_league(sources, area_file, month, areas=areas, households=households, assign=assign,
                           crime_types=crime_type or "Burglary", workers=workers, scheduler=scheduler,
                           progress=bar.update, intake=_intake_kwargs())
    if out:
        params = {"command": "league", "inputs": sources, "month": month, "areas": areas, "assign": res.assign,
                  "households": str(households)}
        err.print(f"wrote {write_table(res.to_frame(), out, params=params)}")
    if html_out:
        write_page(html_out, league_html(res))
    if as_json:
        _print_json(res.to_json())
    else:
        err.print(show.league_table(res))
        err.print(f"{res.run.workers} workers, {res.run.seconds:.1f} s")
    for w in res.warnings:
        err.print(f"warning: {escape(w)}", highlight=False)
    if res.failed:
        raise typer.Exit(1)


DataDir = Annotated[Optional[Path], typer.Option("--data", help="Reference data folder for the partial road layers, counts and cameras (default: $HOTSPOT_DATA_DIR or ../shared/data).")]



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
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the month-by-month figures: .csv, .parquet or postgresql://...?table=NAME.")] = None,
):
    """Border-zone figures: burglary near the boundary, and density either side."""
    from hotspot.areas import load_boundaries
    from hotspot.crossborder import border_figures

    a = _required_area(area_file, area)
    inside = _read(incidents, area=a, crime_type=crime_type).incidents
    fig = border_figures(inside, a, outside=_read(outside, crime_type=crime_type).incidents if outside else None,
                         neighbours=load_boundaries(neighbours_file, crs=a.crs) if neighbours_file else None,
                         strip=strip)
    if out:
        _write(fig.concentration, out, params={"command": "crossborder", "area": a.name, "strip_m": strip})
    if as_json:
        _print_json(fig.to_json())
        return
    show.print_crossborder(fig, a.name, strip)


@app.command()
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
):
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


@app.command()
def report(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    month: Annotated[str, typer.Option("--month", help="Reporting month, YYYY-MM (not after the data's last month).")],
    baseline_fy: Annotated[Optional[int], typer.Option("--baseline-fy", help="Baseline financial year (2014 = Apr 2014-Mar 2015).")] = None,
    peers: Annotated[Optional[str], typer.Option("--peers", help="Comma-separated peer areas (default: nearest in density and deprivation).")] = None,
    z: Annotated[float, typer.Option("--z", help="Exception band, standard deviations.")] = 2.5,
    green: Annotated[float, typer.Option("--green", help="GREEN at or below -X % rolling change.")] = 5.0,
    red: Annotated[float, typer.Option("--red", help="RED at or above +X % rolling change.")] = 5.0,
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
):
    """Quarterly burglary performance report for a partnership board."""
    from hotspot.jobs.report import london_context
    from hotspot.render import write_page
    from hotspot.render.report import report_html
    from hotspot.report import area_report

    a = _required_area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type)
    london = london_context(data, counts_csv=reference_counts, population_csv=population, households_csv=households,
                            imd_csv=imd, boroughs_layer=boroughs)
    rep = area_report(result.incidents, a.name, month, london=london, baseline_fy=baseline_fy,
                      peers=[p.strip() for p in peers.split(",")] if peers else None, z=z, green=green, red=red,
                      sources=result.detected)
    if html_out:
        write_page(html_out, report_html(rep))
    if csv_out:
        _write(rep.to_csv_frame(), csv_out)
    if as_json:
        _print_json(rep.to_json())
        return
    show.print_report(rep, a.name)


@app.command()
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
):
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


def pd_timestamp(text: str) -> pd.Timestamp:
    """``text`` as a Timestamp; ValueError when it is not a date."""
    import pandas as pd

    ts = pd.Timestamp(text)
    if pd.isna(ts):
        raise ValueError(text)
    return ts



Stages = Annotated[Optional[str], typer.Option("--stages", help="Comma-separated stages to run (default all): intake, hotspots, cross-border, anpr, campaign, report, nano-beats, map, audiences, assess (with --assess-targets).")]



OutMaps = Annotated[Path, typer.Option("--out", help="Folder for maps.")]



OutReports = Annotated[Path, typer.Option("--reports", help="Folder for plans, tables and reports.")]



Tiles = Annotated[Optional[str], typer.Option("--tiles", help="Base tiles: osm or light (need a network); none by default.")]



GiOpt = Annotated[bool, typer.Option("--gi/--no-gi", help="Gi* layer (esda compiles its kernels ~25 s on first use).")]



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


@app.command()
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
):
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


@app.command()
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
):
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
        crime_types=crime_type, assess_targets=assess_targets, assess_start=assess_start).items() if v is not None}
    given["read_options"] = _intake_kwargs()
    config = RunConfig.from_reference(root, area or "", **given) if root is not None else RunConfig(area=area or "", **given)
    if areas is not None:
        return _run_areas_and_print(config, areas, out, workers, scheduler, gi, refit, stages, as_json)
    _run_and_print(config, out, reports, tiles, gi, stages, as_json, refit)


@app.command()
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
):
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



def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM (a scheduler stopping the job) as Ctrl-C: unwinds the stack, so
    temporary files and staging folders are removed and nothing half-written
    is left looking complete (Python's default for SIGTERM is to die at once)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        def _interrupt(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _interrupt)



def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hotspot`` console script; returns the exit code.

    Usage errors (click's: a missing or bad option) and input errors
    (:class:`HotspotError`) are one line on stderr and exit 2; nothing the
    user can cause prints a traceback.
    """
    # typer's UsageError (click's, or typer's vendored copy of click in typer >= 0.22)
    usage_error: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    _exit_cleanly_on_sigterm()
    try:
        # not standalone: click's usage errors come back here, to be printed as one line like every refusal
        code = typer.main.get_command(app).main(args=argv, prog_name="hotspot", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}{escape(where)}",  # type: ignore[attr-defined]
                  highlight=False, soft_wrap=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):  # Ctrl-C: files in the making were removed on the way out
        err.print("aborted", highlight=False)
        return 130
    except (HotspotError, OSError) as exc:
        # the API names Python parameters (rule=); the command line shows its own flags (--rule)
        from hotspot.cliflags import cli_message, command_of
        text = str(exc) if not getattr(exc, "params", ()) else cli_message(
            str(exc), exc.params, command_of(sys.argv[1:] if argv is None else argv))  # type: ignore[union-attr]
        err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
        return 2
    return code if isinstance(code, int) else 0



if __name__ == "__main__":
    sys.exit(main())

