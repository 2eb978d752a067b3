"""The leak scan (:func:`check_public`): reads HTML, GeoJSON/JSON, GeoPackage,
CSV, Parquet and PDF and reports points near incidents, pinpointing features,
counts below ``k`` and streets of exact addresses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .._errors import HotspotError, InputFileError
from .rules import CHECK_DISTANCE, COUNT_KEYS, COUNT_TEXT, K_DEFAULT


@dataclass
class Finding:
    """One thing in an output that is not safe to publish."""

    file: str
    kind: str  # "point near incident", "pinpointing feature", "count below k", "street of an incident"
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


_SNAP_PREFIX = "on or near"
_HOUSE_NUMBER = re.compile(r"^\s*(?:(?:flat|apartment|apt|unit)\s+\S+\s*,?\s*)?[\w/-]*\d[\w/-]*\s*,?\s*", re.I)


def exact_address_streets(incidents: gpd.GeoDataFrame) -> set[str]:
    """Street names in the incidents' location text when it is a force's own
    exact-address (or block) text, not police.uk's ``On or near X`` snap
    points (which police.uk publishes itself): what a public output must
    not name.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents, with ``location_text`` (any other table: no streets).

    Returns
    -------
    set of str
        The street part of each address ("17 Acacia Road, Barnet" ->
        "Acacia Road"); empty for police.uk snap-point text or no text.
    """
    if "location_text" not in incidents:
        return set()
    text = incidents["location_text"].dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty or text.str.lower().str.startswith(_SNAP_PREFIX).all():
        return set()
    from ..nanobeats.describe import GENERIC_PLACES  # here: importing nanobeats takes seconds (scipy.signal)
    names = set()
    for t in text.unique():
        t = t[len(_SNAP_PREFIX):] if t.lower().startswith(_SNAP_PREFIX) else t
        name = _HOUSE_NUMBER.sub("", t, count=1).split(",")[0].strip()
        if sum(ch.isalpha() for ch in name) >= 4 and name.lower() not in GENERIC_PLACES:
            names.add(name)
    return names


class _Checker:
    def __init__(self, incidents: gpd.GeoDataFrame, distance: float, k: int):
        from ..crs import to_lonlat

        if incidents.crs is None:
            raise HotspotError("incidents need a CRS")
        self.crs = incidents.crs
        self.xy = np.c_[incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()]
        self.tree = cKDTree(self.xy) if len(self.xy) else None
        self.distance, self.k = float(distance), int(k)
        lon, lat = to_lonlat(self.xy[:, 0], self.xy[:, 1], self.crs) if len(self.xy) else (np.empty(0), np.empty(0))
        self.lon_range = (np.min(lon) - 0.5, np.max(lon) + 0.5) if len(self.xy) else (0, 0)
        self.lat_range = (np.min(lat) - 0.5, np.max(lat) + 0.5) if len(self.xy) else (0, 0)
        lo, hi = (self.xy.min(axis=0), self.xy.max(axis=0)) if len(self.xy) else (np.zeros(2), np.zeros(2))
        self.box = (lo - self.distance, hi + self.distance)
        streets = sorted(exact_address_streets(incidents), key=len, reverse=True)
        words = [r"\s+".join(map(re.escape, name.split())) for name in streets]  # a PDF breaks lines anywhere
        self.streets = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.I) if streets else None

    def near_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (metres) from each lon/lat to the nearest incident."""
        from ..crs import from_lonlat

        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        d = np.full(len(lon), np.inf)
        ok = ((lon >= self.lon_range[0]) & (lon <= self.lon_range[1]) & (lat >= self.lat_range[0])
              & (lat <= self.lat_range[1]))
        if self.tree is None or not ok.any():
            return d, np.zeros(len(lon), int)
        x, y = from_lonlat(lon[ok], lat[ok], self.crs)
        dd, ii = self.tree.query(np.c_[x, y])
        d[ok] = dd
        idx = np.zeros(len(lon), int)
        idx[ok] = ii
        return d, idx

    def near_xy(self, x, y) -> np.ndarray:
        x, y = np.asarray(x, float), np.asarray(y, float)
        d = np.full(len(x), np.inf)
        ok = (x >= self.box[0][0]) & (x <= self.box[1][0]) & (y >= self.box[0][1]) & (y <= self.box[1][1])
        if self.tree is not None and ok.any():
            d[ok] = self.tree.query(np.c_[x[ok], y[ok]])[0]
        return d

    def near_any(self, a, b) -> np.ndarray:
        """Distance (metres) to the nearest incident of each pair read every
        way it could be meant: (lon, lat), (lat, lon), and (x, y) or (y, x)
        in the incidents' own CRS (British National Grid eastings and
        northings, say)."""
        a, b = np.asarray(a, float), np.asarray(b, float)
        if not len(a):
            return np.empty(0)
        return np.minimum.reduce([self.near_lonlat(a, b)[0], self.near_lonlat(b, a)[0], self.near_xy(a, b),
                                  self.near_xy(b, a)])


def _count_value(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*\d{1,9}(?:\.0*)?\s*", v):  # a count written as text: "3"
        return int(float(v))
    return None


COUNT_LABEL = re.compile(r"\b(?:incidents?|burglar(?:y|ies)|crimes?|offences?|counts?)\s*[:=]\s*[\"']?(\d{1,6})"
                         r"(?![\d.,]\d)", re.I)
_KEYED_COUNT = re.compile(r"[\"']" + COUNT_KEYS.pattern.strip("^$") + r"[\"']\s*:\s*"
                          r"(?P<value>\[[^\[\]]*\]|[\"']?\d+[\"']?)", re.I)
_LONLAT_PAIR = re.compile(r"(?<![\w.])(-?\d{1,3}\.\d{3,})\s*(?:,\s*|\s+)(-?\d{1,3}\.\d{3,})(?!\d)")
_METRE_PAIR = re.compile(r"(?<![\w.,])(-?\d{4,8}(?:\.\d+)?)\s*(?:,\s*|\s+)(-?\d{4,8}(?:\.\d+)?)(?![\d,])")


_ENTITY = re.compile(r"&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(nbsp|amp|lt|gt|quot|apos|colon));", re.I)
_NAMED = {"nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "colon": ":"}


def _unescape(text: str) -> str:
    """Character references a page may hide a count behind (``Burglaries&#58; 3``)."""
    def one(m: re.Match) -> str:
        if m.group(3):
            return _NAMED[m.group(3).lower()]
        code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        return chr(code) if code < 0x110000 else " "
    return _ENTITY.sub(one, text)


def _text_counts(text: str, k: int) -> list[str]:
    plain = _unescape(re.sub(r"<[^>]+>", " ", text))
    hits = [m.group(0) for rx in (COUNT_TEXT, COUNT_LABEL) for m in rx.finditer(plain) if 0 < int(m.group(1)) < k]
    for m in _KEYED_COUNT.finditer(text):  # "count": "3" or "counts": [40, 3] in data embedded in a page
        values = [_count_value(v.strip(" \"'")) for v in m.group("value").strip("[]").split(",")]
        hits += [m.group(0) for v in values if v is not None and 0 < v < k][:1]
    return hits


def _scan_text(name: str, text: str, ck: _Checker, found: list[Finding], where: str) -> None:
    """Counts below k, coordinate pairs near an incident (any order, lon/lat
    or the incidents' CRS) and streets of exact addresses in free text."""
    hits = _text_counts(text, ck.k)
    if hits:
        found.append(Finding(name, "count below k", f"{len(hits)} texts in {where} like '{hits[0]}' (k = {ck.k})"))
    pairs = [(float(a), float(b)) for rx in (_LONLAT_PAIR, _METRE_PAIR) for a, b in rx.findall(text)]
    if pairs:
        d = ck.near_any(*np.array(pairs).T)
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} coordinates in {where} (markers, heat, cluster data or text) within "
                                 f"{ck.distance:g} m of an input incident (closest {d.min():.1f} m)"))
    if ck.streets is not None:
        streets = sorted({" ".join(m.group(0).split()) for m in ck.streets.finditer(text)})
        if streets:
            found.append(Finding(name, "street of an incident",
                                 f"{len(streets)} streets of burgled addresses in {where} (e.g. '{streets[0]}'); "
                                 f"exact-address data are published by ward, LSOA or postcode sector only"))


def _check_columns(name: str, df: pd.DataFrame, ck: _Checker, found: list[Finding], where: str) -> None:
    """Every column of a table, of any dtype: count columns below k, text
    (string, object, categorical...) scanned, numeric column pairs that
    place a point near an incident, whatever their names."""
    numeric = []
    for col in df.columns:
        s = df[col]
        if COUNT_KEYS.match(str(col)):
            vals = [_count_value(v) for v in s]
            low = [v for v in vals if v is not None and 0 < v < ck.k]
            if low:
                found.append(Finding(name, "count below k",
                                     f"{len(low)} values of '{col}' in {where} below k = {ck.k} (e.g. {low[0]})"))
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            numeric.append(col)
        elif not pd.api.types.is_datetime64_any_dtype(s):
            text = "\n".join(s.dropna().astype(str))
            _scan_text(name, text, ck, found, f"'{col}' of {where}")
    for i, a in enumerate(numeric):
        for b in numeric[i + 1:]:
            ok = df[a].notna() & df[b].notna()
            d = ck.near_any(df.loc[ok, a].to_numpy(float), df.loc[ok, b].to_numpy(float))
            n = int((d <= ck.distance).sum())
            if n:
                found.append(Finding(name, "point near incident",
                                     f"{n} rows of ({a}, {b}) in {where} within {ck.distance:g} m of an input "
                                     f"incident (closest {d.min():.1f} m)"))


def _in_working_crs(gdf: gpd.GeoDataFrame, ck: _Checker) -> gpd.GeoDataFrame:
    """Features in the incidents' CRS. GeoJSON without a CRS is lon/lat by
    its standard, but coordinates beyond +-180/90 are metres: they are read
    in the incidents' CRS rather than thrown away."""
    if gdf.crs is None or gdf.crs.is_geographic:
        b = gdf.total_bounds if len(gdf) and gdf.geometry.notna().any() else np.zeros(4)
        if np.isfinite(b).all() and (np.abs(b[[0, 2]]).max() > 180 or np.abs(b[[1, 3]]).max() > 90):
            return gdf.set_crs(ck.crs, allow_override=True)
        gdf = gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf
    return gdf.to_crs(ck.crs)


def _check_features(name: str, gdf: gpd.GeoDataFrame, ck: _Checker, found: list[Finding], where: str) -> None:
    g = _in_working_crs(gdf, ck)
    geoms = g.geometry
    is_pt = geoms.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    if is_pt.any():
        pts = shapely.get_parts(geoms[is_pt].to_numpy())
        d = ck.near_xy(shapely.get_x(pts), shapely.get_y(pts))
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} point features in {where} within {ck.distance:g} m of an input incident "
                                 f"(closest {d.min():.1f} m)"))
    other = ~is_pt & geoms.notna().to_numpy()
    if other.any():
        b = geoms[other].bounds
        ext = np.maximum(b["maxx"] - b["minx"], b["maxy"] - b["miny"]).to_numpy()
        cx, cy = ((b["minx"] + b["maxx"]) / 2).to_numpy(), ((b["miny"] + b["maxy"]) / 2).to_numpy()
        small = ext < 2 * ck.distance
        if small.any():
            d = ck.near_xy(cx[small], cy[small])
            n = int((d <= ck.distance).sum())
            if n:
                found.append(Finding(name, "pinpointing feature",
                                     f"{n} features in {where} smaller than {2 * ck.distance:g} m at an incident"))
    _check_columns(name, pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), ck, found, where)


_GEOJSON_START = re.compile(r'\{\s*"(?:bbox|features|type)"\s*:')
_VIEW = re.compile(r"(center\s*:\s*\[[^\]]*\]|fitBounds\(\s*\[\[[^\]]*\],\s*\[[^\]]*\]\]|"
                   r"imageOverlay\(\s*(?:\"[^\"]*\"|'[^']*')\s*,\s*\[\[[^\]]*\],\s*\[[^\]]*\]\])", re.S)


def _page_layers(text: str) -> tuple[list[list[dict]], list[tuple[int, int]]]:
    """The GeoJSON FeatureCollections embedded in a page: their features and
    where each lies in the text."""
    dec = json.JSONDecoder()
    layers, spans = [], []
    pos = 0
    while True:
        m = _GEOJSON_START.search(text, pos)
        if not m:
            break
        try:
            obj, end = dec.raw_decode(text, m.start())
        except ValueError:
            pos = m.end()
            continue
        if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
            layers.append(obj.get("features") or [])
            spans.append((m.start(), end))
        pos = end
    return layers, spans


def _check_html(name: str, text: str, ck: _Checker, found: list[Finding]) -> None:
    layers, spans = _page_layers(text)
    for n, feats in enumerate(layers, 1):
        if feats:
            _check_features(name, gpd.GeoDataFrame.from_features(feats), ck, found, f"map layer {n}")
    rest, last = [], 0
    for a, b in spans:
        rest.append(text[last:a])
        last = b
    rest.append(text[last:])
    outside = _VIEW.sub(" ", "".join(rest))  # the page outside its GeoJSON layers and view settings
    _scan_text(name, outside, ck, found, "the page")


def _check_csv(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    _check_columns(name, pd.read_csv(path), ck, found, "the table")


def _check_pdf(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    """The text of a PDF (poppler's ``pdftotext``), scanned like a page."""
    import shutil
    import subprocess

    exe = shutil.which("pdftotext")
    if exe is None:
        raise InputFileError(f"{path}: check-public reads PDF text with poppler's pdftotext; install poppler-utils")
    res = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise InputFileError(f"{path}: pdftotext could not read it ({res.stderr.strip().splitlines()[-1:]})")
    _scan_text(name, res.stdout, ck, found, "the PDF text")  # reading order: a table cell's words stay together


def _check_json(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InputFileError(f"{name}: not JSON ({exc})") from None
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        gdf = gpd.read_file(path) if obj.get("features") else gpd.GeoDataFrame()
        if len(gdf):
            _check_features(name, gdf, ck, found, "the features")
        return
    pairs: list[tuple[float, float]] = []
    low: list[str] = []
    texts: list[str] = []

    def walk(o):
        if isinstance(o, dict):
            nums = [float(v) for v in o.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            pairs.extend((a, b) for i, a in enumerate(nums) for b in nums[i + 1:])
            for kk, v in o.items():
                if COUNT_KEYS.match(str(kk)):
                    for c in map(_count_value, v if isinstance(v, list) else [v]):
                        if c is not None and 0 < c < ck.k:
                            low.append(f"{kk}={c}")
                walk(v)
        elif isinstance(o, list):
            nums = [float(v) for v in o if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if 2 <= len(nums) == len(o) <= 3:
                pairs.append((nums[0], nums[1]))
            for v in o:
                walk(v)
        elif isinstance(o, str):
            texts.append(o)

    walk(obj)
    if pairs:
        d = ck.near_any(*np.array(pairs).T)
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} coordinate pairs within {ck.distance:g} m of an incident (closest {d.min():.1f} m)"))
    if low:
        found.append(Finding(name, "count below k", f"{len(low)} counts below k = {ck.k} (e.g. {low[0]})"))
    _scan_text(name, "\n".join(texts), ck, found, "the text")


def check_public(paths: str | Path | Iterable[str | Path], incidents: gpd.GeoDataFrame, *, distance: float = CHECK_DISTANCE,
                 k: int = K_DEFAULT) -> list[Finding]:
    """Scan outputs for what must not be published (see the module doc).

    Parameters
    ----------
    paths : path or list of paths
        HTML, GeoJSON/JSON, GeoPackage, CSV, Parquet/GeoParquet or PDF files.
    incidents : GeoDataFrame
        The input incidents (working CRS, metres).
    distance : float
        Distance in metres (default 25): an output coordinate this close to
        an incident is a leak.
    k : int
        Smallest count that may be published.

    Returns
    -------
    list of Finding
        Empty when the files are safe to publish.
    """
    if distance <= 0 or k < 1:
        raise HotspotError("distance must be positive (metres) and k at least 1")
    ck = _Checker(incidents, distance, k)
    found: list[Finding] = []
    for p in [paths] if isinstance(paths, (str, Path)) else paths:
        p = Path(p)
        if not p.is_file():
            raise InputFileError(f"{p}: file not found")
        ext = p.suffix.lower()
        try:
            _check_file(p, ext, ck, found)
        except HotspotError:
            raise
        except Exception as exc:  # unreadable file: name it, never a traceback
            raise InputFileError(f"{p}: cannot be read as {ext or 'a known type'} ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    return found


def _check_file(p: Path, ext: str, ck: _Checker, found: list[Finding]) -> None:
    """Check one file by its type (see :func:`check_public`)."""
    if ext in (".html", ".htm"):
        _check_html(str(p), p.read_text(encoding="utf-8", errors="replace"), ck, found)
    elif ext in (".geojson", ".json"):
        _check_json(str(p), p, ck, found)
    elif ext == ".csv":
        _check_csv(str(p), p, ck, found)
    elif ext == ".pdf":
        _check_pdf(str(p), p, ck, found)
    elif ext in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        geo = b"geo" in (pq.read_schema(p).metadata or {})
        table = gpd.read_parquet(p) if geo else pd.read_parquet(p)
        if geo:
            _check_features(str(p), table, ck, found, "the table")
        else:
            _check_columns(str(p), table, ck, found, "the table")
    elif ext == ".gpkg":
        import pyogrio

        for layer, _ in pyogrio.list_layers(p):
            _check_features(str(p), gpd.read_file(p, layer=layer), ck, found, f"layer {layer}")
    else:
        raise InputFileError(f"{p}: check-public reads .html, .geojson/.json, .gpkg, .csv, .parquet or .pdf")
