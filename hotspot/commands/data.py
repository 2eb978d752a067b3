"""Commands about data: ``validate``, ``load``, ``fetch``, ``assets``, ``map``, ``check-public``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from hotspot._errors import OptionError
from hotspot.render import tables as show
from hotspot.render.console import bar as _bar
from hotspot.render.console import err
from hotspot.render.console import print_json as _print_json
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:

    from hotspot.areas import Area
from .base import (
    _TILES,
    AreaBufferOpt,
    AreaCrs,
    AreaFile,
    AreaName,
    CrimeType,
    Crs,
    Fmt,
    Inputs,
    JsonOut,
    PublicK,
    _area,
    _read,
    _write,
)


def validate(
    inputs: Inputs,
    area_file: AreaFile = None, area: AreaName = None, area_buffer: AreaBufferOpt = None, area_crs: AreaCrs = None,
    crime_type: CrimeType = None,     rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Write rejected rows to this CSV.")] = None,
    as_json: JsonOut = False,
) -> None:
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
) -> None:
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


def check_public_cmd(
    files: Annotated[list[Path], typer.Argument(help="Outputs to check: HTML, GeoJSON/JSON, GeoPackage, CSV, Parquet or PDF.")],
    incidents: Annotated[list[Path], typer.Option("--incidents", help="The input incident files (repeatable).")],
    area_file: AreaFile = None, area: AreaName = None, crime_type: CrimeType = None,     distance: Annotated[float, typer.Option("--distance", help="An output coordinate within this many metres of an input incident is a leak.")] = 25.0,
    k: Annotated[int, typer.Option("--k", help="Smallest count that may be published (police.uk: at least 8 addresses per published point).")] = 8,
    previous: Annotated[Optional[list[Path]], typer.Option("--previous", help="The previous release's files (repeatable): also fail when a published count changed by fewer than --k since then.")] = None,
    as_json: JsonOut = False,
) -> None:
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


def assets(
    source: Annotated[Optional[Path], typer.Option("--from", help="Folder of npm tarballs (npm pack output).")] = None,
) -> None:
    """Fill the offline map-asset cache (Leaflet and plugins, pinned by SHA-256)."""
    from hotspot.assets import install_assets

    path = install_assets(source, progress=err.is_terminal)
    err.print(f"map assets ready in {path}")


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
) -> None:
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


def load(
    inputs: Annotated[list[str], typer.Argument(help="CSV/GeoJSON/GeoPackage/Parquet files, folders or postgresql:// URLs.")],
    to: Annotated[str, typer.Option("--to", help="postgresql://USER@HOST:PORT/DB?table=NAME; rejected rows go to NAME_rejects.")],
    area_file: AreaFile = None, area: AreaName = None, area_buffer: AreaBufferOpt = None,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    run_id: Annotated[Optional[str], typer.Option("--run-id", help="Run id (default: from the inputs' content and the options); loading the same run again replaces its rows.")] = None,
    as_json: JsonOut = False,
) -> None:
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
