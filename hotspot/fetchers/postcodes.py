"""Postcode units from OS Code-Point Open or an ONS Postcode Directory, parsed
into the columns of the shipped Code-Point layer (:func:`fetch_postcodes`).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import FetchError
from ..areas import Area
from .cache import FetchedLayer, _bounds_ll, _cache_folder, _http_get, _read_sidecar, _session, _write_sidecar, area_key

CODEPOINT_ATTRIBUTION = ("Contains OS data © Crown copyright and database right; Contains Royal Mail data © Royal "
                         "Mail copyright and database right; Contains National Statistics data © Crown copyright and "
                         "database right (OGL v3.0)")

#: Code-Point Open CSV columns (the files have no header).
CODEPOINT_COLUMNS = ("PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC")
#: Columns of a postcode layer, in the order of the shipped Code-Point file.
POSTCODE_COLUMNS = ("postcode", "outward", "sector", "area", "positional_quality", "easting", "northing",
                    "longitude", "latitude", "admin_district_code", "admin_district_name", "admin_ward_code",
                    "admin_ward_name")


_POSTCODE_BY_HAND = ("download Code-Point Open (CSV) from https://osdatahub.os.uk/downloads/open/CodePointOpen or the "
                     "ONS Postcode Directory zip from https://geoportal.statistics.gov.uk and give it with source_file=FILE")
_POSTCODE_PARAMS = ("source_file",)
#: ONSPD column -> our name; each entry lists the names used by different releases.
_ONSPD_COLUMNS = {"postcode": ("pcds", "pcd", "pcd7", "pcd8"), "easting": ("oseast1m", "east1m"),
                  "northing": ("osnrth1m", "north1m"), "quality": ("osgrdind", "gridind"),
                  "terminated": ("doterm",), "district": ("oslaua", re.compile(r"^lad\d\dcd$")),
                  "ward": ("osward", re.compile(r"^wd\d\dcd$"))}


def _download(url: str, folder: Path, refresh: bool) -> Path:
    """A whole-file download kept in ``folder`` (the raw file is reused by
    every area's extract)."""
    target = folder / (hashlib.sha1(url.encode()).hexdigest()[:12] + ".download")
    if target.is_file() and not refresh:
        return target
    with _session() as s:
        resp = _http_get(s, url, None, _POSTCODE_BY_HAND, stream=True, param=_POSTCODE_PARAMS)
        tmp = target.with_suffix(".part")
        with open(tmp, "wb") as f:
            for chunk in resp.iter_content(1 << 20):
                f.write(chunk)
    tmp.replace(target)
    return target


def _csv_members(path: Path, z: zipfile.ZipFile | None) -> list[tuple[str, Callable[[], Any]]]:
    """(name, opener) of the CSV files of the zip ``z`` (opened once: its
    directory is read once for 120 members), or of the one CSV given; opened
    as streams (an ONSPD CSV is over 1 GB unzipped).
    Code-Point Open: ``Data/CSV/<area>.csv``; ONSPD: ``Data/ONSPD_*_UK.csv``."""
    if z is None:
        return [(path.name, functools.partial(open, path, "rb"))]
    names = [n for n in z.namelist() if n.lower().endswith(".csv") and "/doc" not in n.lower()]
    onspd = [n for n in names if re.search(r"ONSPD_[A-Z]{3}_\d{4}_UK\.csv$", n, re.I)]
    codepoint = [n for n in names if re.search(r"Data/CSV/[a-z]{1,2}\.csv$", n, re.I)]
    chosen = onspd[:1] or codepoint
    if not chosen:
        raise FetchError(f"{path}: neither Code-Point Open (Data/CSV/<area>.csv) nor an ONSPD file "
                         f"(Data/ONSPD_<MON>_<YEAR>_UK.csv) in the zip: {_POSTCODE_BY_HAND}", param=_POSTCODE_PARAMS)
    return [(n, functools.partial(z.open, n)) for n in chosen]


def _pick(columns: list[str], names: tuple) -> str | None:
    for n in names:
        hit = [c for c in columns if (n.match(c.lower()) if isinstance(n, re.Pattern) else c.lower() == n)]
        if hit:
            return hit[0]
    return None


def _postcode_chunks(name: str, opener: Callable[[], Any], source: Path) -> Iterator[tuple[pd.DataFrame, int]]:
    """Chunks of one Code-Point (no header) or ONSPD (header) CSV in the
    common columns, each with the number of terminated postcodes dropped."""
    with opener() as f:
        first = f.read(400).decode("latin-1").splitlines()
    first_line = first[0] if first else ""
    with opener() as f:
        if re.match(r'^"?[A-Z]{1,2}\d', first_line):  # Code-Point Open: a postcode starts the first line
            numbers = dict.fromkeys(("PQ", "EA", "NO"), "float64")  # parsed by the C reader, not later
            wanted = ["PC", "PQ", "EA", "NO", "DC", "WC"]  # the country and health-area codes are not kept
            for raw in _chunks(f, source, name, header=None, names=list(CODEPOINT_COLUMNS), usecols=wanted,
                               dtype=dict.fromkeys(wanted, str) | numbers):
                yield pd.DataFrame({"postcode": raw.PC, "positional_quality": raw.PQ, "easting": raw.EA,
                                    "northing": raw.NO, "admin_district_code": raw.DC,
                                    "admin_ward_code": raw.WC}), 0
            return
        header = next(csv.reader([first_line])) if first_line else []
        cols = {k: _pick(header, v) for k, v in _ONSPD_COLUMNS.items()}
        missing = [k for k in ("postcode", "easting", "northing") if cols[k] is None]
        if missing:
            raise FetchError(f"{source}: {name} is neither Code-Point Open nor ONSPD (no column for "
                             f"{', '.join(missing)}; header starts {', '.join(header[:6])}): {_POSTCODE_BY_HAND}", param=_POSTCODE_PARAMS)
        numbers = {c: "float64" for k in ("easting", "northing", "quality") if (c := cols[k])}
        for raw in _chunks(f, source, name, usecols=[c for c in cols.values() if c],
                           dtype=dict.fromkeys(header, str) | numbers):
            live = raw[cols["terminated"]].fillna("").str.strip().eq("") if cols["terminated"] \
                else pd.Series(True, raw.index)
            raw = raw[live]
            # ONSPD's grid indicator (1 = within the building of a matched address ... 6 = sector mean, 9 = no
            # grid reference) is Code-Point's positional quality divided by ten: one scale for both sources.
            quality = pd.to_numeric(raw[cols["quality"]], errors="coerce") * 10 if cols["quality"] else np.nan
            yield pd.DataFrame({"postcode": raw[cols["postcode"]], "positional_quality": quality,
                                "easting": raw[cols["easting"]], "northing": raw[cols["northing"]],
                                "admin_district_code": raw[cols["district"]] if cols["district"] else None,
                                "admin_ward_code": raw[cols["ward"]] if cols["ward"] else None}), int((~live).sum())


def _chunks(f: Any, source: Path, name: str, **read: Any) -> Iterator[pd.DataFrame]:
    """500,000-row chunks of a CSV; a value that is not a number where the
    format has one refuses the file."""
    try:
        yield from pd.read_csv(f, chunksize=500_000, **read)
    except ValueError as exc:
        raise FetchError(f"{source}: {name} does not read as Code-Point Open or ONSPD ({str(exc)[:100]}): "
                         f"{_POSTCODE_BY_HAND}", param=_POSTCODE_PARAMS) from None


def _place_units(df: pd.DataFrame, bounds: tuple[float, float, float, float] | None) -> tuple[pd.DataFrame, int, int]:
    """Units with BNG coordinates inside ``bounds``, postcodes normalised;
    the counts of rows without coordinates and outside ``bounds``. Numbers
    first, text only for the rows kept (a whole GB file is 1.7-2.7 M rows)."""
    e = pd.to_numeric(df["easting"], errors="coerce")
    n = pd.to_numeric(df["northing"], errors="coerce")
    quality = pd.to_numeric(df["positional_quality"], errors="coerce")
    usable = (e > 0) & (n > 0) & (quality.fillna(0) < 90)  # quality 90: no grid reference
    inside = usable if bounds is None else usable & e.between(bounds[0], bounds[2]) & n.between(bounds[1], bounds[3])
    pc = df.loc[inside, "postcode"].fillna("").str.upper().str.replace(r"\s+", "", regex=True)
    # Northern Ireland (BT) units carry Irish Grid coordinates: not placeable on the BNG
    placeable = ~pc.str.startswith("BT") & (pc.str.len() >= 5)
    kept = df.loc[inside].assign(postcode=pc.str[:-3] + " " + pc.str[-3:], easting=e[inside], northing=n[inside],
                                 positional_quality=quality[inside])[placeable]
    no_xy = int((~usable).sum() + (~placeable).sum())
    return kept, no_xy, int((usable & ~inside).sum())


def _read_member(name: str, opener: Callable[[], Any], source: Path, bounds: tuple[float, float, float, float] | None,
                 parts: list[pd.DataFrame], counts: dict[str, int]) -> None:
    for chunk, terminated in _postcode_chunks(name, opener, source):
        placed, no_xy, outside = _place_units(chunk, bounds)
        parts.append(placed)
        counts["read"] += len(chunk) + terminated
        counts["terminated"] += terminated
        counts["no_coordinates"] += no_xy
        counts["outside_bounds"] += outside


def read_postcode_directory(path: str | Path, bounds: tuple[float, float, float, float] | None = None
                            ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Postcode units from a Code-Point Open or ONSPD download (zip or CSV),
    read in chunks (a whole ONSPD is 2.7 M rows).

    Parameters
    ----------
    path : str or Path
        The zip as downloaded, or one of its CSV files.
    bounds : tuple of 4 floats, optional
        ``xmin, ymin, xmax, ymax`` in British National Grid metres: only
        units inside are kept (the others are counted as ``outside_bounds``).

    Returns
    -------
    DataFrame
        ``postcode`` (normalised "NW4 4BT"), ``outward``, ``sector``,
        ``area``, ``positional_quality`` (Code-Point's scale: 10 = within the
        building of a matched address ... 60 = sector mean), ``easting``,
        ``northing`` (British National Grid, metres), ``admin_district_code``,
        ``admin_ward_code``; live units with coordinates only.
    dict
        Row accounting: ``read`` = ``terminated`` + ``no_coordinates``
        (Northern Ireland's Irish Grid units within ``bounds`` among them) +
        ``outside_bounds`` + ``kept``.

    Raises
    ------
    FetchError
        Not a Code-Point or ONSPD file.
    """
    path = Path(path)
    parts: list[pd.DataFrame] = []
    counts = dict.fromkeys(("read", "terminated", "no_coordinates", "outside_bounds", "kept"), 0)
    with contextlib.ExitStack() as stack:
        z = stack.enter_context(zipfile.ZipFile(path)) if zipfile.is_zipfile(path) else None
        for name, opener in _csv_members(path, z):
            _read_member(name, opener, path, bounds, parts, counts)
    df = pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame(columns=["postcode", "positional_quality", "easting", "northing"])
    df["outward"] = df.postcode.str.split(" ").str[0]
    df["sector"] = df.postcode.str[:-2]
    df["area"] = df.outward.str.extract(r"^([A-Z]+)", expand=False)
    df["positional_quality"] = pd.to_numeric(df["positional_quality"], errors="coerce").astype("Int64")
    counts["kept"] = len(df)
    return df, counts


def fetch_postcodes(area: Area, *, buffer_m: float = 1000.0, source_file: str | Path | None = None,
                    cache: Path | None = None, refresh: bool = False) -> FetchedLayer:
    """Postcode unit points of an area (buffered) from OS Code-Point Open,
    downloaded (``settings.CODEPOINT_URL``), or from a Code-Point or ONSPD
    file given; cached as GeoParquet with the shipped layer's columns.

    Parameters
    ----------
    area : Area
        The area.
    buffer_m : float
        Units within this many metres of the area are kept (default 1000, as
        the shipped London file).
    source_file : str or Path, optional
        A Code-Point Open or ONSPD zip/CSV downloaded by hand (no network).
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.
    refresh : bool
        Build (and download) again even when cached.

    Returns
    -------
    FetchedLayer
        GeoPackage of points (EPSG:4326) with :data:`POSTCODE_COLUMNS`;
        district and ward names are empty (the sources give codes only).

    Raises
    ------
    FetchError
        Download failed (the message says what to download by hand), not a
        postcode file, or no unit in the area.
    """
    ll, _ = _bounds_ll(area, buffer_m)
    folder = _cache_folder("postcodes", cache)
    src_tag = "file-" + hashlib.sha1(str(Path(source_file).resolve()).encode()).hexdigest()[:6] if source_file \
        else "codepoint"
    # GeoPackage, not GeoParquet: every reader of --postcodes (gpd.read_file) takes it
    path = folder / f"{area_key(area, buffer_m, src_tag)}.gpkg"
    if not refresh and (hit := _read_sidecar(path)) is not None:
        return hit
    if source_file is not None and not Path(source_file).is_file():
        raise FetchError(f"source_file={source_file}: file not found", param='source_file')
    raw = Path(source_file) if source_file else _download(settings.CODEPOINT_URL, folder, refresh)
    x0, y0, x1, y1 = (float(v) for v in ll.to_crs(settings.GB_CRS).total_bounds)
    box_bng = (x0, y0, x1, y1)  # only the area's box is kept from a 2.7 M-row file
    try:
        units, counts = read_postcode_directory(raw, bounds=box_bng)
    except FetchError:
        if source_file is None:
            raw.unlink()  # a bad download is not kept: the next call fetches it again
        raise
    pts = gpd.GeoDataFrame(units, geometry=gpd.points_from_xy(units.easting, units.northing), crs=settings.GB_CRS)
    inside = pts.to_crs(area.crs).within(area.geometry.buffer(buffer_m))
    counts["outside_area"] = counts.pop("outside_bounds") + int((~inside).sum())
    counts["kept"] = int(inside.sum())
    if not inside.any():
        raise FetchError(f"{raw}: no postcode unit within {buffer_m:g} m of {area.name} (a file for another "
                         "region?)")
    pts = pts[inside.to_numpy()].to_crs(settings.WGS84)
    pts["longitude"], pts["latitude"] = pts.geometry.x.round(6), pts.geometry.y.round(6)
    pts["admin_district_name"], pts["admin_ward_name"] = None, None
    pts = pts[[*POSTCODE_COLUMNS, "geometry"]].reset_index(drop=True)
    pts.to_file(path, driver="GPKG", layer="postcodes", engine="pyogrio")
    return _write_sidecar(FetchedLayer(
        "postcodes", path, len(pts), str(source_file or settings.CODEPOINT_URL), CODEPOINT_ATTRIBUTION,
        counts=counts, meta={"area": area.name, "buffer_m": buffer_m,
                             "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
