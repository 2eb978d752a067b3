"""Online fetchers for areas beyond the shipped reference data.

* **Streets** from OpenStreetMap through osmnx (Overpass API): the street
  network of the area's polygon buffered by ``buffer_m``, with names and refs,
  for routing the patrol brief and naming ANPR sites and targets.
* **Postcode units** from OS Code-Point Open (downloaded from the OS Downloads
  API) or from an ONS Postcode Directory (ONSPD) zip/CSV the user downloaded:
  parsed into the columns of the shipped
  ``postcodes/london_codepoint_open_units.parquet``.
* **Units with households**: LSOA (December 2021) or ward (May 2024) polygons
  from the ONS Open Geography ArcGIS FeatureServer and Census 2021 TS041
  households per LSOA from the Nomis API; ward households by areal
  interpolation from those LSOAs (the LSOAs used are listed).

Every layer is cached under ``<cache>/fetched/<kind>/`` keyed by the area
(name and a tag of its outline), the buffer and the options, with a JSON
sidecar holding the source address, licence and attribution and the row
counts. A cached layer is used without touching the network. The service
addresses are :mod:`hotspot.settings` values read at call time.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd

from . import settings
from ._errors import FetchError, OptionError
from .areas import Area
from .sources import slug

log = logging.getLogger("hotspot")

#: osmnx network types a street layer may be fetched as.
NETWORK_TYPES = ("drive", "drive_service", "walk", "bike", "all", "all_public")
#: Unit levels ``fetch_units`` knows.
UNIT_LEVELS = ("lsoa", "ward")
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0, https://www.openstreetmap.org/copyright)"
CODEPOINT_ATTRIBUTION = ("Contains OS data © Crown copyright and database right; Contains Royal Mail data © Royal "
                         "Mail copyright and database right; Contains National Statistics data © Crown copyright and "
                         "database right (OGL v3.0)")
ONS_ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v3.0; "
                   "Contains OS data © Crown copyright and database right")
#: Code-Point Open CSV columns (the files have no header).
CODEPOINT_COLUMNS = ("PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC")
#: Columns of a postcode layer, in the order of the shipped Code-Point file.
POSTCODE_COLUMNS = ("postcode", "outward", "sector", "area", "positional_quality", "easting", "northing",
                    "longitude", "latitude", "admin_district_code", "admin_district_name", "admin_ward_code",
                    "admin_ward_name")
_ROAD_COLUMNS = ("u", "v", "key", "osmid", "name", "ref", "highway", "oneway", "maxspeed", "lanes", "length")


@dataclass
class FetchedLayer:
    """A fetched (or cached) layer and where it came from.

    Attributes
    ----------
    kind : str
        ``"roads"``, ``"postcodes"`` or ``"units"``.
    path : Path
        The cached layer (GeoPackage, EPSG:4326).
    rows : int
        Features in the layer.
    source : str
        The address it was fetched from (or the local file read).
    attribution : str
        What a map or report using it must credit.
    from_cache : bool
        True when the layer was already cached (no network used).
    counts : dict
        Row accounting (read, filtered, rejected, kept) of the download.
    meta : dict
        Options (area, buffer, network type, level, ...) and notes.
    """

    kind: str
    path: Path
    rows: int
    source: str
    attribution: str
    from_cache: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Everything the command's table shows, JSON-ready.

        Returns
        -------
        dict
            The fields, ``path`` as text.
        """
        return asdict(self) | {"path": str(self.path)}


# --------------------------------------------------------------------------- cache


def area_key(area: Area, buffer_m: float, *parts: str) -> str:
    """Cache key of a layer fetched for an area: its name, a tag of its
    outline (lon/lat bounds to ~10 m, so the same area read in another CRS
    hits the same entry), the buffer and the options.

    Parameters
    ----------
    area : Area
        The area.
    buffer_m : float
        Buffer around the area, metres.
    *parts : str
        Further options (network type, level, ...).

    Returns
    -------
    str
        File-name-safe key.
    """
    bounds = gpd.GeoSeries([area.geometry], crs=area.crs).to_crs(settings.WGS84).total_bounds
    tag = hashlib.sha1(",".join(f"{b:.4f}" for b in bounds).encode()).hexdigest()[:8]
    return "-".join([slug(area.name), tag, f"{buffer_m:g}m", *parts])


def _cache_folder(kind: str, cache: Path | None) -> Path:
    folder = (Path(cache) if cache else settings.cache_dir()) / "fetched" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_sidecar(path: Path) -> FetchedLayer | None:
    side = path.with_suffix(".json")
    if not (path.is_file() and side.is_file()):
        return None
    try:
        meta = json.loads(side.read_text())
        return FetchedLayer(**(meta | {"path": path, "from_cache": True}))
    except (ValueError, TypeError):
        return None  # a broken sidecar: fetch again


def _write_sidecar(layer: FetchedLayer) -> FetchedLayer:
    data = layer.to_json()
    data.pop("path"), data.pop("from_cache")
    layer.path.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str))
    return layer


def _bounds_ll(area: Area, buffer_m: float) -> tuple[gpd.GeoSeries, np.ndarray]:
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise OptionError(f"--buffer {buffer_m}: give a distance in metres, 0 or more")
    g = gpd.GeoSeries([area.geometry.buffer(buffer_m) if buffer_m else area.geometry], crs=area.crs)
    ll = g.to_crs(settings.WGS84)
    return ll, ll.total_bounds


# --------------------------------------------------------------------------- HTTP


def _offline(url: str, exc: Exception, by_hand: str) -> FetchError:
    return FetchError(f"cannot reach {url} ({type(exc).__name__}; offline?): {by_hand}")


def _http_get(session: Any, url: str, params: dict[str, Any] | None, by_hand: str, *, stream: bool = False) -> Any:
    """GET with the one-line refusals every fetcher gives: the address, what
    went wrong, what to download by hand and which option takes it."""
    import requests

    try:
        resp = session.get(url, params=params, timeout=120, stream=stream)
    except requests.RequestException as exc:
        raise _offline(url, exc, by_hand) from None
    if resp.status_code != 200:
        raise FetchError(f"{url} answered HTTP {resp.status_code}: {by_hand}")
    return resp


def _session() -> Any:
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = "hotspot (crime analysis tool)"
    return s


# --------------------------------------------------------------------------- streets (OSM, osmnx)


@contextlib.contextmanager
def _osmnx_settings() -> Iterator[str]:
    """osmnx pointed at ``settings.OVERPASS_URL`` (when set), with its own
    response cache off (ours keys by area); restored afterwards."""
    import osmnx as ox

    saved = {k: getattr(ox.settings, k) for k in ("overpass_url", "use_cache", "log_console")}
    try:
        if settings.OVERPASS_URL:
            ox.settings.overpass_url = settings.OVERPASS_URL
        ox.settings.use_cache, ox.settings.log_console = False, False
        yield ox.settings.overpass_url.rstrip("/") + "/interpreter"
    finally:
        for k, v in saved.items():
            setattr(ox.settings, k, v)


def _flat(v: Any) -> Any:
    """A cell GeoPackage can hold: osmnx lists (a way merged from several
    named ways) joined with " / "."""
    if isinstance(v, (list, tuple)):
        return " / ".join(str(x) for x in dict.fromkeys(v))
    return v


def _street_edges(G: Any) -> gpd.GeoDataFrame:
    import osmnx as ox

    edges = ox.graph_to_gdfs(G, nodes=False).reset_index()
    keep = [c for c in _ROAD_COLUMNS if c in edges]
    edges = edges[keep + ["geometry"]].copy()
    for c in keep:
        if edges[c].dtype == object:  # lists where simplification merged ways; ids mixed int and text
            edges[c] = edges[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                    else str(_flat(v)))
    return gpd.GeoDataFrame(edges, geometry="geometry", crs=edges.crs).to_crs(settings.WGS84)


def fetch_roads(area: Area, *, buffer_m: float = 500.0, network_type: str = "drive", cache: Path | None = None,
                refresh: bool = False) -> FetchedLayer:
    """The OpenStreetMap street network of an area (buffered), with names,
    fetched through osmnx from the Overpass API and cached.

    Parameters
    ----------
    area : Area
        The area; its polygon buffered by ``buffer_m`` is sent to Overpass.
    buffer_m : float
        Buffer around the area, metres (default 500: roads crossing the
        boundary and routes that leave the area briefly are kept).
    network_type : str
        osmnx network type (:data:`NETWORK_TYPES`; default ``"drive"``).
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.
    refresh : bool
        Fetch again even when cached.

    Returns
    -------
    FetchedLayer
        A GeoPackage of street edges (``name``, ``ref``, ``highway``,
        ``oneway``, ``length`` in metres, lines in EPSG:4326); read it with
        :func:`hotspot.crossborder.read_roads` (``--roads``).

    Raises
    ------
    OptionError
        Unknown network type or a negative buffer.
    FetchError
        Overpass cannot be reached, refuses, or sends no streets.
    """
    if network_type not in NETWORK_TYPES:
        raise OptionError(f"--network-type {network_type!r}: use one of {', '.join(NETWORK_TYPES)}")
    ll, _ = _bounds_ll(area, buffer_m)
    path = _cache_folder("roads", cache) / f"{area_key(area, buffer_m, network_type)}.gpkg"
    if not refresh and (hit := _read_sidecar(path)) is not None:
        return hit
    with _osmnx_settings() as url:
        G = _overpass_graph(ll.iloc[0], network_type, url)
    edges = _street_edges(G)
    edges.to_file(path.with_suffix(".part.gpkg"), driver="GPKG", layer="edges", engine="pyogrio")
    path.with_suffix(".part.gpkg").replace(path)
    named = int(edges["name"].notna().sum()) if "name" in edges else 0
    return _write_sidecar(FetchedLayer(
        "roads", path, len(edges), url, OSM_ATTRIBUTION,
        counts={"edges": len(edges), "named_edges": named, "nodes": G.number_of_nodes()},
        meta={"area": area.name, "buffer_m": buffer_m, "network_type": network_type,
              "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))


def _overpass_graph(polygon: Any, network_type: str, url: str) -> Any:
    import osmnx as ox
    import requests

    by_hand = ("export the area from openstreetmap.org (or a Geofabrik extract as .osm XML) and give it with "
               "--roads FILE")
    # osmnx waits 60 s when the status endpoint cannot be reached, then fails: ask it ourselves first
    try:
        with _session() as s:
            s.get(url.rsplit("/", 1)[0] + "/status", timeout=15)
    except requests.RequestException as exc:
        raise _offline(url, exc, by_hand) from None
    try:
        return ox.graph_from_polygon(polygon, network_type=network_type, simplify=True, retain_all=True,
                                     truncate_by_edge=True)
    except requests.RequestException as exc:
        raise _offline(url, exc, by_hand) from None
    except ox._errors.ResponseStatusCodeError as exc:
        raise FetchError(f"{url} refused the street query ({str(exc)[:120]}): {by_hand}") from None
    except (ox._errors.InsufficientResponseError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"{url} sent no usable street network ({type(exc).__name__}: {str(exc)[:120]}): "
                         f"{by_hand}") from None


def cached_street_network(area: Area, *, cache: Path | None = None) -> FetchedLayer | None:
    """The street network fetched for this area earlier, if any (the drive
    network first, then the widest buffer).

    Parameters
    ----------
    area : Area
        The area (matched by name and outline, see :func:`area_key`).
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.

    Returns
    -------
    FetchedLayer or None
        The cached layer (``from_cache`` True), or None when none was fetched.
    """
    prefix = area_key(area, 0.0).rsplit("-", 1)[0] + "-"
    folder = (Path(cache) if cache else settings.cache_dir()) / "fetched" / "roads"
    found = [hit for p in sorted(folder.glob(f"{prefix}*.gpkg")) if (hit := _read_sidecar(p)) is not None]
    if not found:
        return None
    # cars patrol and cameras watch the drive network: it wins over a walk/bike one, then the widest buffer
    return max(found, key=lambda h: (h.meta.get("network_type") == "drive", float(h.meta.get("buffer_m", 0))))


# --------------------------------------------------------------------------- postcodes (Code-Point Open, ONSPD)

_POSTCODE_BY_HAND = ("download Code-Point Open (CSV) from https://osdatahub.os.uk/downloads/open/CodePointOpen or the "
                     "ONS Postcode Directory zip from https://geoportal.statistics.gov.uk and give it with --from FILE")
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
        resp = _http_get(s, url, None, _POSTCODE_BY_HAND, stream=True)
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
                         f"(Data/ONSPD_<MON>_<YEAR>_UK.csv) in the zip: {_POSTCODE_BY_HAND}")
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
                             f"{', '.join(missing)}; header starts {', '.join(header[:6])}): {_POSTCODE_BY_HAND}")
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
                         f"{_POSTCODE_BY_HAND}") from None


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
        raise FetchError(f"--from {source_file}: file not found")
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


# --------------------------------------------------------------------------- units (ONS Open Geography, Nomis)

_UNITS_BY_HAND = ("download the LSOA 2021 (or ward) boundaries from https://geoportal.statistics.gov.uk and Census "
                  "2021 TS041 households by LSOA from https://www.nomisweb.co.uk, and give them with --units FILE "
                  "--households FILE")
_PAGE = 1000


def arcgis_features(layer_url: str, bounds: np.ndarray, *, page: int = _PAGE) -> gpd.GeoDataFrame:
    """Every feature of an ArcGIS FeatureServer layer whose shape meets a
    lon/lat box, as GeoJSON, page by page (``resultOffset``) while the server
    says it left some out (``exceededTransferLimit``).

    Parameters
    ----------
    layer_url : str
        The layer (``.../FeatureServer/0``).
    bounds : array of 4 floats
        ``minx, miny, maxx, maxy`` in degrees (EPSG:4326).
    page : int
        Features asked for per request (the ONS services allow 2,000).

    Returns
    -------
    GeoDataFrame
        The features, EPSG:4326.

    Raises
    ------
    FetchError
        Unreachable, an HTTP or ArcGIS error, or a response that is not
        GeoJSON.
    """
    url = layer_url.rstrip("/") + "/query"
    params: dict[str, Any] = {
        "where": "1=1", "geometry": ",".join(f"{b:.6f}" for b in bounds), "geometryType": "esriGeometryEnvelope",
        "inSR": 4326, "spatialRel": "esriSpatialRelIntersects", "outFields": "*", "outSR": 4326, "f": "geojson",
        "resultRecordCount": page}
    features: list[dict] = []
    with _session() as s:
        while True:
            resp = _http_get(s, url, params | {"resultOffset": len(features)}, _UNITS_BY_HAND)
            try:
                body = resp.json()
            except ValueError:
                raise FetchError(f"{url} sent something that is not GeoJSON: {_UNITS_BY_HAND}") from None
            if not isinstance(body, dict) or "error" in body or not isinstance(body.get("features"), list):
                why = (body.get("error") or {}).get("message", "no features list") if isinstance(body, dict) else ""
                raise FetchError(f"{url} refused the query ({why}): {_UNITS_BY_HAND}")
            features += body["features"]
            more = body.get("exceededTransferLimit") or (body.get("properties") or {}).get("exceededTransferLimit")
            if not more or not body["features"]:
                break
    try:
        return gpd.GeoDataFrame.from_features(features, crs=settings.WGS84) if features else \
            gpd.GeoDataFrame(geometry=[], crs=settings.WGS84)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FetchError(f"{url} sent features that are not GeoJSON ({exc}): {_UNITS_BY_HAND}") from None


def _code_columns(gdf: gpd.GeoDataFrame, prefix: str, url: str) -> tuple[str, str]:
    code = next((c for c in gdf.columns if re.fullmatch(fr"{prefix}\d\dCD", c, re.I)), None)
    name = next((c for c in gdf.columns if re.fullmatch(fr"{prefix}\d\dNM", c, re.I)), None)
    if code is None or name is None:
        raise FetchError(f"{url}: no {prefix}<yy>CD/{prefix}<yy>NM columns in the features "
                         f"({', '.join(map(str, gdf.columns[:8]))}): is it a {prefix} layer?")
    return code, name


def nomis_households(codes: list[str], *, batch: int = 100) -> pd.DataFrame:
    """Census 2021 households (TS041) per LSOA from the Nomis API.

    Parameters
    ----------
    codes : list of str
        2021 LSOA codes (E01..., W01...).
    batch : int
        Codes per request (keeps the address short).

    Returns
    -------
    DataFrame
        ``lsoa_code``, ``lsoa_name``, ``households`` (one row per code).

    Raises
    ------
    FetchError
        Unreachable, an HTTP error, a CSV without the expected columns, or a
        code with no (or more than one) household count.
    """
    url = f"{settings.NOMIS_API.rstrip('/')}/dataset/{settings.NOMIS_HOUSEHOLDS_DATASET}.data.csv"
    parts = []
    with _session() as s:
        for i in range(0, len(codes), batch):
            resp = _http_get(s, url, {"date": "latest", "geography": ",".join(codes[i:i + batch]), "measures": 20100,
                                      "select": "GEOGRAPHY_CODE,GEOGRAPHY_NAME,OBS_VALUE"}, _UNITS_BY_HAND)
            try:
                part = pd.read_csv(io.StringIO(resp.text), dtype={"GEOGRAPHY_CODE": str})
            except (ValueError, pd.errors.ParserError):
                part = pd.DataFrame()
            if not {"GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "OBS_VALUE"} <= set(part.columns):
                raise FetchError(f"{url} sent no GEOGRAPHY_CODE/GEOGRAPHY_NAME/OBS_VALUE table: {_UNITS_BY_HAND}")
            parts.append(part)
    hh = pd.concat(parts, ignore_index=True)
    hh["OBS_VALUE"] = pd.to_numeric(hh["OBS_VALUE"], errors="coerce")
    per = hh.groupby("GEOGRAPHY_CODE").size()
    twice, missing = per[per > 1].index.tolist(), sorted(set(codes) - set(hh["GEOGRAPHY_CODE"][hh.OBS_VALUE.notna()]))
    if twice or missing:
        what = f"{len(twice)} LSOAs with several counts, e.g. {twice[0]}" if twice else \
            f"no households for {len(missing)} LSOAs, e.g. {missing[0]}"
        raise FetchError(f"{url}: {what}: {_UNITS_BY_HAND}")
    return hh.rename(columns={"GEOGRAPHY_CODE": "lsoa_code", "GEOGRAPHY_NAME": "lsoa_name",
                              "OBS_VALUE": "households"})[["lsoa_code", "lsoa_name", "households"]]


def _units_in(area: Area, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygons whose representative point lies in the area (as
    :func:`hotspot.campaigns.lsoa_units`), in the area's CRS."""
    g = gdf.to_crs(area.crs)
    g["geometry"] = g.geometry.make_valid()
    return g[g.geometry.representative_point().within(area.geometry)].reset_index(drop=True)


def _lsoas_with_households(area: Area) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    _, bounds = _bounds_ll(area, 0.0)
    raw = arcgis_features(settings.ONS_LSOA_LAYER, bounds)
    if raw.empty:
        raise FetchError(f"{settings.ONS_LSOA_LAYER}: no LSOA meets {area.name}'s bounds (outside England and "
                         f"Wales?): {_UNITS_BY_HAND}")
    code, name = _code_columns(raw, "LSOA", settings.ONS_LSOA_LAYER)
    lsoas = _units_in(area, raw)
    hh = nomis_households(lsoas[code].astype(str).tolist())
    units = lsoas.merge(hh, left_on=code, right_on="lsoa_code", how="left")
    units["unit"], units["name"] = units[code].astype(str), units[name].astype(str)
    units["households"] = units["households"].round().astype(int)
    # the service's code column (LSOA21CD) is kept too: `run --units F --households F` reads LSOA layers by it
    out = gpd.GeoDataFrame(units[["unit", "name", "households", code, "geometry"]], geometry="geometry", crs=area.crs)
    return out, {"lsoas_read": len(raw), "lsoas_outside_area": len(raw) - len(lsoas), "lsoas": len(out)}


def fetch_units(area: Area, *, level: str = "lsoa", cache: Path | None = None, refresh: bool = False) -> FetchedLayer:
    """Campaign units of an area with households, from ONS: 2021 LSOA
    polygons with Census 2021 TS041 households (Nomis), or May 2024 ward
    polygons with households interpolated by area from those LSOAs.

    Parameters
    ----------
    area : Area
        The area; a unit belongs to it when its representative point lies
        inside.
    level : str
        ``"lsoa"`` or ``"ward"``.
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.
    refresh : bool
        Fetch again even when cached.

    Returns
    -------
    FetchedLayer
        A GeoPackage (EPSG:4326) with ``unit`` (code), ``name`` and
        ``households`` (LSOAs also their ``LSOA21CD``), for ``leaflets
        --units`` (and, LSOAs, ``run --units F --households F``); beside it
        ``<key>_households.csv`` (``lsoa_code``, ``lsoa_name``,
        ``households``). For wards, ``meta["households_from_lsoas"]`` lists
        the LSOAs the households were interpolated from.

    Raises
    ------
    OptionError
        Unknown level.
    FetchError
        A service unreachable or refusing, or units without households.
    """
    if level not in UNIT_LEVELS:
        raise OptionError(f"--level {level!r}: use one of {', '.join(UNIT_LEVELS)}")
    path = _cache_folder("units", cache) / f"{area_key(area, 0.0, level)}.gpkg"
    if not refresh and (hit := _read_sidecar(path)) is not None:
        return hit
    lsoas, counts = _lsoas_with_households(area)
    lsoas[["unit", "name", "households"]].rename(columns={"unit": "lsoa_code", "name": "lsoa_name"}).to_csv(
        path.with_name(path.stem + "_households.csv"), index=False)
    units, source = lsoas, settings.ONS_LSOA_LAYER
    meta: dict[str, Any] = {}
    if level == "ward":
        units, meta = _wards_with_households(area, lsoas)
        source = settings.ONS_WARD_LAYER
        counts |= {"wards": len(units)}
    units.to_crs(settings.WGS84).to_file(path, driver="GPKG", layer="units", engine="pyogrio")
    nomis = f"{settings.NOMIS_API.rstrip('/')}/dataset/{settings.NOMIS_HOUSEHOLDS_DATASET}"
    return _write_sidecar(FetchedLayer(
        "units", path, len(units), f"{source}; households: {nomis} (Census 2021 TS041)", ONS_ATTRIBUTION,
        counts=counts | {"households": int(units["households"].sum())},
        meta=meta | {"area": area.name, "level": level,
                     "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))


def _wards_with_households(area: Area, lsoas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    from .campaigns import interpolate_households

    _, bounds = _bounds_ll(area, 0.0)
    raw = arcgis_features(settings.ONS_WARD_LAYER, bounds)
    if raw.empty:
        raise FetchError(f"{settings.ONS_WARD_LAYER}: no ward meets {area.name}'s bounds: {_UNITS_BY_HAND}")
    code, name = _code_columns(raw, "WD", settings.ONS_WARD_LAYER)
    wards = _units_in(area, raw)
    wards = interpolate_households(wards, lsoas, unit_column=code)
    # a ward no LSOA of the area overlaps would get 0 households: refused, never a silent zero
    empty = wards.loc[wards["households"] <= 0, code].astype(str).tolist()
    if empty:
        raise FetchError(f"{settings.ONS_WARD_LAYER}: ward {empty[0]} overlaps none of {area.name}'s LSOAs, so it "
                         f"has no households ({len(empty)} such wards): {_UNITS_BY_HAND}")
    wards["unit"], wards["name"] = wards[code].astype(str), wards[name].astype(str)
    shared = gpd.overlay(lsoas[["unit", "geometry"]], wards[["geometry"]], how="intersection", keep_geom_type=True)
    used = sorted(set(shared.loc[shared.geometry.area > 1.0, "unit"]))  # more than a shared edge (1 m²)
    out = gpd.GeoDataFrame(wards[["unit", "name", "households", "geometry"]], geometry="geometry", crs=area.crs)
    return out, {"households_from_lsoas": used, "households_method": "areal interpolation from 2021 LSOAs"}


# --------------------------------------------------------------------------- one entry point, and the road preference

#: The reference data's partial road layers (``ReferenceData.road_files``): proxies for a street network, which a
#: street network fetched for the area replaces.
PROXY_ROAD_LAYERS = ("OSM motorways", "TfL bus routes")
#: Default buffer of each kind, metres (units take none: a unit belongs to the area by its representative point).
DEFAULT_BUFFER_M = {"roads": 500.0, "postcodes": 1000.0}


def fetch_layer(kind: str, area: Area, *, buffer_m: float | None = None, network_type: str = "drive",
                level: str = "lsoa", source_file: str | Path | None = None, cache: Path | None = None,
                refresh: bool = False) -> FetchedLayer:
    """``hotspot fetch roads|postcodes|units``: the one fetcher the kind names.

    Parameters
    ----------
    kind : str
        ``"roads"``, ``"postcodes"`` or ``"units"``.
    area : Area
        The area.
    buffer_m : float, optional
        Buffer around the area, metres (default :data:`DEFAULT_BUFFER_M`;
        not for units).
    network_type : str
        Street network type (roads only).
    level : str
        ``"lsoa"`` or ``"ward"`` (units only).
    source_file : str or Path, optional
        A Code-Point Open or ONSPD file downloaded by hand (postcodes only).
    cache : Path, optional
        Cache root.
    refresh : bool
        Fetch again even when cached.

    Returns
    -------
    FetchedLayer
        The cached layer and its provenance.

    Raises
    ------
    OptionError
        Unknown kind, or an option the kind does not take.
    """
    if kind not in ("roads", "postcodes", "units"):
        raise OptionError(f"fetch {kind!r}: use roads, postcodes or units (or --start/--end, --boundary)")
    if kind == "units" and buffer_m is not None:
        raise OptionError("--buffer does not apply to units: a unit belongs to the area by its representative point")
    if source_file is not None and kind != "postcodes":
        raise OptionError(f"--from FILE is for postcodes; for {kind} give the file you downloaded by hand to the "
                          f"command that uses it ({'--roads' if kind == 'roads' else '--units/--households'})")
    buffer = DEFAULT_BUFFER_M.get(kind, 0.0) if buffer_m is None else buffer_m
    if kind == "roads":
        return fetch_roads(area, buffer_m=buffer, network_type=network_type, cache=cache, refresh=refresh)
    if kind == "postcodes":
        return fetch_postcodes(area, buffer_m=buffer, source_file=source_file, cache=cache, refresh=refresh)
    return fetch_units(area, level=level, cache=cache, refresh=refresh)


def street_layer_name(layer: FetchedLayer) -> str:
    """How outputs name a fetched street network.

    Parameters
    ----------
    layer : FetchedLayer
        A fetched street network.

    Returns
    -------
    str
        E.g. ``"OSM streets (drive, fetched 2026-12-05)"``.
    """
    return (f"OSM streets ({layer.meta.get('network_type', '?')}, fetched "
            f"{str(layer.meta.get('fetched_at', '?'))[:10]})")


def street_layer_note(layer: FetchedLayer) -> str:
    """The note a brief, camera plan or run gives when it used a fetched
    street network: which one, and its attribution.

    Parameters
    ----------
    layer : FetchedLayer
        A fetched street network.

    Returns
    -------
    str
        One line.
    """
    return f"roads: {street_layer_name(layer)} ({layer.path.name}); {layer.attribution}"


def fetched_or_reference_roads(area: Area, reference: Any) -> tuple[dict[str, gpd.GeoDataFrame], str | None]:
    """Road layers for camera siting when none were given: the street
    network fetched for the area if there is one, else the reference data's
    partial layers.

    Parameters
    ----------
    area : Area
        The area (working CRS, metres).
    reference : ReferenceData or None
        The reference data folder (:class:`hotspot.jobs.reference.ReferenceData`).

    Returns
    -------
    dict of str to GeoDataFrame
        Name -> lines with a ``road`` column, in the area's CRS.
    str or None
        The note naming a fetched street network (None for the reference layers).

    Raises
    ------
    OptionError
        Neither a fetched network nor a reference folder.
    """
    from .crossborder import read_roads

    files, used = prefer_fetched_streets(reference.road_files() if reference is not None else None, area)
    if not files:
        raise OptionError("no reference data folder: give --data DIR (or --roads and the other layers, or fetch "
                          "the area's streets with `hotspot fetch roads`)")
    layers = {name: read_roads(p, area.crs) for name, p in files.items()}
    return layers, used["note"] if used["source"] == "fetched" else None


def prefer_fetched_streets(road_files: dict[str, Path] | None, area: Area, *, cache: Path | None = None
                           ) -> tuple[dict[str, Path], dict[str, Any]]:
    """The road layers a run uses: a street network fetched for the area
    (``hotspot fetch roads``) in place of the reference data's partial
    layers (motorways, bus routes); layers the user gave are kept as given.

    Parameters
    ----------
    road_files : dict of str to Path, optional
        Name -> road layer, as configured.
    area : Area
        The area (its fetched network is looked up by :func:`cached_street_network`).
    cache : Path, optional
        Cache root.

    Returns
    -------
    dict of str to Path
        The road layers to use.
    dict
        What the outputs say about them: ``layers``, ``source`` (``fetched``,
        ``given``, ``reference`` or ``none``), a ``note`` (fetched or
        reference) and, for a fetched network, ``path`` and ``attribution``.
    """
    given = dict(road_files or {})
    own = [k for k in given if k not in PROXY_ROAD_LAYERS]
    fetched = None if own else cached_street_network(area, cache=cache)
    if fetched is None:
        source = "given" if own else ("reference" if given else "none")
        note = {"reference": "partial reference layers (motorways, bus-route paths): `hotspot fetch roads` gives "
                             "the full street network"}.get(source)
        return given, {"layers": list(given), "source": source} | ({"note": note} if note else {})
    name = street_layer_name(fetched)
    return {name: fetched.path}, {"layers": [name], "source": "fetched", "path": str(fetched.path),
                                  "attribution": fetched.attribution, "note": street_layer_note(fetched)}
