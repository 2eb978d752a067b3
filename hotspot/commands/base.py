"""What every command shares: the Typer app and its command class (-q/-v anywhere, the intake
option group), the shared options defined once, and reading and writing through the one intake and writer."""

from __future__ import annotations

import contextvars
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional

import typer
from rich.logging import RichHandler
from typer.core import TyperCommand

import hotspot
from hotspot._errors import OptionError
from hotspot.render.console import err
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:
    import pandas as pd

    from hotspot.areas import Area

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


def _floats(text: str, what: str) -> list[float]:
    """Comma-separated numbers of an option."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"{what}: comma-separated numbers, e.g. 1,200") from None


def _context(paths, area, own, *, buffer_m, neighbours_file=None, crime_type=None, **read):
    """Context incidents from --context files within ``buffer_m`` metres of the area."""
    from hotspot.areas import load_boundaries
    from hotspot.context import read_context

    if area is None:
        raise typer.BadParameter("--context needs --area-file and --area (context is what lies outside the area)")
    nb = area.neighbours(load_boundaries(neighbours_file, crs=area.crs)) if neighbours_file else None
    with _spinner("reading context incidents"):
        return read_context(paths, area, own, buffer_m=buffer_m, neighbours=nb, crime_types=crime_type, **read)


Cell = Annotated[float, typer.Option("--cell", help="Cell size, metres.")]


def _date_option(text: str, option: str, *, example: str = " (YYYY-MM-DD)") -> pd.Timestamp:
    """A date option as a Timestamp; not a date is a usage error naming the option."""
    try:
        return pd_timestamp(text)
    except ValueError:
        raise typer.BadParameter(f"{option} {text!r} is not a date{example}") from None


Workers = Annotated[Optional[int], typer.Option("--workers", help="Dask LocalCluster worker processes (0: run in this process, one area after another; default: one per core).")]


Scheduler = Annotated[Optional[str], typer.Option("--scheduler", help="Address of a running dask scheduler, e.g. tcp://HOST:8786 (start one with `dask scheduler` and `dask worker`; see README).")]


DataDir = Annotated[Optional[Path], typer.Option("--data", help="Reference data folder for the partial road layers, counts and cameras (default: $HOTSPOT_DATA_DIR or ../shared/data).")]


def pd_timestamp(text: str) -> pd.Timestamp:
    """``text`` as a Timestamp; ValueError when it is not a date."""
    import pandas as pd

    ts = pd.Timestamp(text)
    if pd.isna(ts):
        raise ValueError(text)
    return ts
