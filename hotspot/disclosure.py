"""Disclosure control: outputs safe to publish, and a checker for any file.

Rules (``--public``)
--------------------
* **No incident points or exact coordinates.** Nothing drawn at an incident's
  location: no markers, heat points or per-incident features. Counts are
  published per grid cell (default 250 m) or per street/unit only.
* **k rule.** A count is shown only when it is at least ``k`` (default
  :data:`K_DEFAULT` = 8); smaller counts are suppressed (not drawn, not
  written). The default follows police.uk's own anonymisation: every
  published map point stands for at least eight postal addresses (or none),
  so no published figure should single out fewer households than police.uk
  already does.
* **Dates no finer than the month** for exact-date records.
* **Density surfaces** (:func:`public_surface`) are published only when they
  cannot be inverted back to points: a kernel density is a blurred copy of
  the points, and with exact values and a known kernel the blur can be
  undone (deconvolution). So (1) the bandwidth is at least
  :data:`MIN_PUBLIC_BANDWIDTH` (250 m) and at least twice the cell, and the
  cell at least :data:`MIN_PUBLIC_CELL` (100 m): one burglary spreads over
  about 0.1 km^2 (hundreds of homes); (2) a cell is shown only when at least
  ``k`` incidents lie within the bandwidth of it; (3) values are published
  as :data:`PUBLIC_CLASSES` ordered classes, never as numbers, which removes
  the precision deconvolution needs.

Checker (:func:`check_public`)
------------------------------
Scans the text of an HTML, GeoJSON/JSON, GeoPackage or CSV output and
reports (1) any point coordinate - markers, heat/cluster arrays, Point
features, lon/lat or x/y columns - within ``distance`` metres (default 25)
of an input incident, (2) any polygon or line feature so small (extent under
``2 x distance``) that it pinpoints a place, and (3) any count below ``k``
(count-like columns and properties, and "N burglaries"/"N incidents" text).
Map view settings (centre, bounds) are not data and are ignored. MaskMyPy
(masking and k-anonymity checks of point sets) was considered: it masks
points to publish them, while these outputs publish no points at all and the
check has to read HTML/CSV/GeoJSON text; it is also not in this project's
package index, so the checks are written here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ._errors import HotspotError, InputFileError

if TYPE_CHECKING:  # annotations only
    from .areas import Area
    from .kde import Surface

#: Smallest count published (police.uk: at least 8 addresses per map point).
K_DEFAULT = 8
#: Default public cell for counts, metres.
PUBLIC_CELL = 250.0
#: Smallest bandwidth and cell of a published density surface, metres.
MIN_PUBLIC_BANDWIDTH = 250.0
MIN_PUBLIC_CELL = 100.0
#: Number of ordered classes a public surface is shown in.
PUBLIC_CLASSES = 5
#: Default distance (metres) within which an output coordinate counts as an
#: incident's location.
CHECK_DISTANCE = 25.0

COUNT_KEYS = re.compile(r"^(count|counts|n|incidents|burglaries|crimes|n_sources|n_recent|n_history|in_zone|"
                        r"inside_incidents|outside_incidents|volume)$", re.I)
COUNT_TEXT = re.compile(r"(?<![\d.,])(\d{1,6})\s+(?:incidents?|burglar(?:y|ies)|crimes?|offences?)\b", re.I)


# --------------------------------------------------------------------------- publishing


def public_cells(incidents: gpd.GeoDataFrame, area: Area, *, cell: float = PUBLIC_CELL, k: int = K_DEFAULT,
                 period: str | None = None) -> gpd.GeoDataFrame:
    """Counts per grid cell, only cells with at least ``k`` incidents.

    Parameters
    ----------
    incidents : GeoDataFrame
        The incidents counted (working CRS, metres, with ``occurred``).
    area : Area
        Cells are clipped to it.
    cell : float
        Cell size, metres (default :data:`PUBLIC_CELL`, 250 m).
    k : int
        Smallest count shown (default :data:`K_DEFAULT`, 8); at least 1.
    period : str, optional
        Label of the period counted (default: first to last month).

    Returns
    -------
    GeoDataFrame
        ``count``, ``cell_m``, ``k``, ``period`` and the cell polygons.
    """
    from .grid import Grid

    if k < 1:
        raise HotspotError("k must be at least 1")
    grid = Grid.for_geometry(area.geometry, cell, area.crs)
    counts = grid.bin(incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
    mask = grid.mask(area.geometry) & (counts >= k)
    rows, cols = np.nonzero(mask)
    if period is None and len(incidents):
        per = incidents["occurred"].dt.to_period("M")
        period = f"{per.min()} to {per.max()}"
    out = gpd.GeoDataFrame({"count": counts[rows, cols].astype(int), "cell_m": float(cell), "k": int(k),
                            "period": period or ""}, geometry=grid.boxes(rows, cols), crs=area.crs)
    return out


def check_surface_rule(bandwidth: float, cell: float) -> None:
    """Raise unless a surface with this bandwidth and cell may be published
    (see the module doc).

    Parameters
    ----------
    bandwidth : float
        Kernel bandwidth of the surface, metres; at least
        :data:`MIN_PUBLIC_BANDWIDTH` and twice the cell.
    cell : float
        Cell size of the surface, metres; at least :data:`MIN_PUBLIC_CELL`.

    Raises
    ------
    HotspotError
        The surface could be inverted back to points (names both values).
    """
    if cell < MIN_PUBLIC_CELL or bandwidth < max(MIN_PUBLIC_BANDWIDTH, 2 * cell):
        raise HotspotError(
            f"--public: a density surface is published only with --cell >= {MIN_PUBLIC_CELL:g} m and --bandwidth "
            f">= max({MIN_PUBLIC_BANDWIDTH:g} m, 2 x cell); got cell {cell:g} m, bandwidth {bandwidth:g} m")


def public_surface(surface: Surface, x: np.ndarray, y: np.ndarray, *, k: int = K_DEFAULT,
                   classes: int = PUBLIC_CLASSES) -> Surface:
    """A copy of a KDE surface safe to publish: cells with fewer than ``k``
    incidents within the bandwidth masked, values replaced by ordered
    classes 1..``classes`` (quantiles of the shown cells).

    Parameters
    ----------
    surface : Surface
        A kernel density surface; its ``meta["bandwidth_m"]`` (metres) and
        its grid cell (metres) must pass :func:`check_surface_rule`.
    x, y : ndarray
        The incidents the surface was made from (working CRS, metres).
    k : int
        Fewest incidents within the bandwidth of a cell for it to be shown.
    classes : int
        Number of ordered classes the shown values are put into.

    Returns
    -------
    Surface
        A copy: values are classes (1 = lowest), cells not shown masked out,
        ``meta`` marked ``public``.

    Raises
    ------
    HotspotError
        The bandwidth or cell breaks :func:`check_surface_rule`.
    """
    import copy

    bw = float(surface.meta.get("bandwidth_m", 0.0))
    cell = float(surface.grid.cell)
    check_surface_rule(bw, cell)
    X, Y = surface.grid.centres()
    tree = cKDTree(np.c_[x, y]) if len(x) else None
    support = np.zeros(surface.grid.shape, int)
    if tree is not None:
        m = surface.mask
        support[m] = [len(v) for v in tree.query_ball_point(np.c_[X[m], Y[m]], bw)]
    show = surface.mask & (support >= k) & (surface.values > 0)
    out = copy.copy(surface)
    vals = np.zeros(surface.grid.shape)
    if show.any():
        v = surface.values[show]
        edges = np.quantile(v, np.linspace(0, 1, classes + 1)[1:-1])
        vals[show] = np.searchsorted(edges, v, side="right") + 1
    out.values = vals
    out.mask = show
    out.units = f"class (1 = lowest, {classes} = highest)"
    out.meta = dict(surface.meta, public=True, k=k, classes=classes)
    return out


def suppress_counts(frame: pd.DataFrame, columns: Iterable[str], *, k: int = K_DEFAULT) -> pd.DataFrame:
    """A copy of a table with counts from 1 to ``k - 1`` suppressed (set to
    missing) in ``columns``, and a ``suppressed`` column naming what was
    removed per row (e.g. for a public report's monthly or ward table).
    Zero stays zero: it singles out nobody.

    Parameters
    ----------
    frame : DataFrame
        The table (left unchanged).
    columns : iterable of str
        Columns holding counts.
    k : int
        Smallest count that may be published.

    Returns
    -------
    DataFrame
        The copy, with the ``suppressed`` column (None where nothing was).
    """
    out = frame.copy()
    note = pd.Series("", index=out.index, dtype=object)
    for c in columns:
        v = pd.to_numeric(out[c], errors="coerce")
        small = (v > 0) & (v < k)
        out[c] = v.astype(object).where(~small, None)
        note = note.where(~small, note + c + f" < {k}; ")
    out["suppressed"] = note.str.rstrip("; ").replace("", None)
    return out


def public_plan_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A campaign plan without modelled burglary figures (households,
    leaflets, timer switches, postcodes and streets only).

    Parameters
    ----------
    frame : DataFrame
        The plan's targets table (``CampaignPlan.targets`` without geometry).

    Returns
    -------
    DataFrame
        The table without the expected burglaries, rates, reach and basis.
    """
    drop = [c for c in frame.columns if c in ("expected_burglaries", "rate_per_1000_households", "reached_by_leaflets",
                                              "reached_by_switches", "basis")]
    return frame.drop(columns=drop)


def public_campaign_json(obj: dict) -> dict:
    """:meth:`CampaignPlan.to_json` without modelled burglary figures.

    Parameters
    ----------
    obj : dict
        The plan's JSON (:meth:`hotspot.campaigns.CampaignPlan.to_json`).

    Returns
    -------
    dict
        A copy whose targets lack expected burglaries and rates, marked
        ``"public": true``.
    """
    out = dict(obj)
    out["targets"] = [{k: v for k, v in t.items() if k not in ("expected_burglaries", "rate_per_1000_households")}
                      for t in obj.get("targets", [])]
    out["public"] = True
    return out


# --------------------------------------------------------------------------- checking


@dataclass
class Finding:
    """One thing in an output that is not safe to publish."""

    file: str
    kind: str  # "point near incident", "pinpointing feature", "count below k"
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


class _Checker:
    def __init__(self, incidents: gpd.GeoDataFrame, distance: float, k: int):
        from .crs import to_lonlat

        if incidents.crs is None:
            raise HotspotError("incidents need a CRS")
        self.crs = incidents.crs
        self.xy = np.c_[incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()]
        self.tree = cKDTree(self.xy) if len(self.xy) else None
        self.distance, self.k = float(distance), int(k)
        lon, lat = to_lonlat(self.xy[:, 0], self.xy[:, 1], self.crs) if len(self.xy) else (np.empty(0), np.empty(0))
        self.lon_range = (np.min(lon) - 0.5, np.max(lon) + 0.5) if len(self.xy) else (0, 0)
        self.lat_range = (np.min(lat) - 0.5, np.max(lat) + 0.5) if len(self.xy) else (0, 0)

    def near_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (metres) from each lon/lat to the nearest incident."""
        from .crs import from_lonlat

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
        if self.tree is None:
            return np.full(len(x), np.inf)
        return self.tree.query(np.c_[np.asarray(x, float), np.asarray(y, float)])[0]


def _count_value(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return int(v)
    return None


def _text_counts(text: str, k: int) -> list[str]:
    plain = re.sub(r"<[^>]+>", " ", text)
    hits = [m.group(0) for m in COUNT_TEXT.finditer(plain) if 0 < int(m.group(1)) < k]
    return hits


def _check_features(name: str, gdf: gpd.GeoDataFrame, ck: _Checker, found: list[Finding], where: str) -> None:
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    g = gdf.to_crs(ck.crs)
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
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        if COUNT_KEYS.match(str(col)):
            vals = [_count_value(v) for v in gdf[col]]
            low = [v for v in vals if v is not None and 0 < v < ck.k]
            if low:
                found.append(Finding(name, "count below k",
                                     f"{len(low)} values of '{col}' in {where} below k = {ck.k} (e.g. {low[0]})"))
        elif gdf[col].dtype == object:
            hits = [h for v in gdf[col].dropna().astype(str) for h in _text_counts(v, ck.k)]
            if hits:
                found.append(Finding(name, "count below k", f"{len(hits)} texts in '{col}' of {where} like '{hits[0]}'"))


_GEOJSON_START = re.compile(r'\{\s*"(?:bbox|features|type)"\s*:')
_VIEW = re.compile(r"(center\s*:\s*\[[^\]]*\]|fitBounds\(\s*\[\[[^\]]*\],\s*\[[^\]]*\]\]|"
                   r"imageOverlay\(\s*(?:\"[^\"]*\"|'[^']*')\s*,\s*\[\[[^\]]*\],\s*\[[^\]]*\]\])", re.S)
_PAIR = re.compile(r"\[\s*(-?\d{1,3}\.\d{3,})\s*,\s*(-?\d{1,3}\.\d{3,})")


def _check_html(name: str, text: str, ck: _Checker, found: list[Finding]) -> None:
    dec = json.JSONDecoder()
    spans = []
    pos = 0
    n_layers = 0
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
            n_layers += 1
            feats = obj.get("features") or []
            if feats:
                gdf = gpd.GeoDataFrame.from_features(feats, crs=4326)
                _check_features(name, gdf, ck, found, f"map layer {n_layers}")
            spans.append((m.start(), end))
        pos = end
    rest, last = [], 0
    for a, b in spans:
        rest.append(text[last:a])
        last = b
    rest.append(text[last:])
    outside = _VIEW.sub(" ", "".join(rest))  # the page outside its GeoJSON layers and view settings
    pairs = np.array([(float(a), float(b)) for a, b in _PAIR.findall(outside)])
    if len(pairs):
        d1, _ = ck.near_lonlat(pairs[:, 1], pairs[:, 0])  # Leaflet order [lat, lon]
        d2, _ = ck.near_lonlat(pairs[:, 0], pairs[:, 1])  # GeoJSON order [lon, lat]
        d = np.minimum(d1, d2)
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} coordinates in the page (markers, heat or cluster data) within "
                                 f"{ck.distance:g} m of an input incident (closest {d.min():.1f} m)"))
    hits = _text_counts(text, ck.k)
    if hits:
        found.append(Finding(name, "count below k", f"{len(hits)} texts like '{hits[0]}' (k = {ck.k})"))


def _check_csv(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    df = pd.read_csv(path)
    lower = {c.lower(): c for c in df.columns}
    lon = next((lower[c] for c in ("lon", "longitude", "lng", "centroid_lon") if c in lower), None)
    lat = next((lower[c] for c in ("lat", "latitude", "centroid_lat") if c in lower), None)
    if lon and lat:
        ok = df[lon].notna() & df[lat].notna()
        d, _ = ck.near_lonlat(pd.to_numeric(df.loc[ok, lon], errors="coerce").to_numpy(),
                              pd.to_numeric(df.loc[ok, lat], errors="coerce").to_numpy())
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} rows of ({lon}, {lat}) within {ck.distance:g} m of an input incident"))
    xs = next((lower[c] for c in ("x", "easting", "centroid_x") if c in lower), None)
    ys = next((lower[c] for c in ("y", "northing", "centroid_y") if c in lower), None)
    if xs and ys:
        ok = df[xs].notna() & df[ys].notna()
        d = ck.near_xy(df.loc[ok, xs].to_numpy(float), df.loc[ok, ys].to_numpy(float))
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} rows of ({xs}, {ys}) within {ck.distance:g} m of an input incident"))
    gdf = gpd.GeoDataFrame(df.drop(columns=[c for c in (lon, lat, xs, ys) if c]),
                           geometry=gpd.GeoSeries([None] * len(df)), crs=ck.crs)
    _check_features(name, gdf, ck, found, "the table")


def _check_json(name: str, text: str, ck: _Checker, found: list[Finding]) -> None:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InputFileError(f"{name}: not JSON ({exc})") from None
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        gdf = gpd.GeoDataFrame.from_features(obj.get("features") or [], crs=4326)
        if len(gdf):
            _check_features(name, gdf, ck, found, "the features")
        return
    lons, lats, low, texts = [], [], [], []

    def walk(o):
        if isinstance(o, dict):
            keys = {str(k).lower(): k for k in o}
            lo = next((keys[c] for c in ("lon", "longitude", "lng") if c in keys), None)
            la = next((keys[c] for c in ("lat", "latitude") if c in keys), None)
            if lo and la and isinstance(o[lo], (int, float)) and isinstance(o[la], (int, float)):
                lons.append(float(o[lo]))
                lats.append(float(o[la]))
            for kk, v in o.items():
                if COUNT_KEYS.match(str(kk)):
                    c = _count_value(v)
                    if c is not None and 0 < c < ck.k:
                        low.append(f"{kk}={c}")
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
        elif isinstance(o, str):
            texts.extend(_text_counts(o, ck.k))

    walk(obj)
    if lons:
        d, _ = ck.near_lonlat(np.array(lons), np.array(lats))
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident", f"{n} lon/lat pairs within {ck.distance:g} m of an incident"))
    if low:
        found.append(Finding(name, "count below k", f"{len(low)} counts below k = {ck.k} (e.g. {low[0]})"))
    if texts:
        found.append(Finding(name, "count below k", f"{len(texts)} texts like '{texts[0]}'"))


def check_public(paths: str | Path | Iterable[str | Path], incidents: gpd.GeoDataFrame, *, distance: float = CHECK_DISTANCE,
                 k: int = K_DEFAULT) -> list[Finding]:
    """Scan outputs for what must not be published (see the module doc).

    Parameters
    ----------
    paths : path or list of paths
        HTML, GeoJSON/JSON, GeoPackage or CSV files.
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
        _check_json(str(p), p.read_text(encoding="utf-8", errors="replace"), ck, found)
    elif ext == ".csv":
        _check_csv(str(p), p, ck, found)
    elif ext == ".gpkg":
        import pyogrio

        for layer, _ in pyogrio.list_layers(p):
            _check_features(str(p), gpd.read_file(p, layer=layer), ck, found, f"layer {layer}")
    else:
        raise InputFileError(f"{p}: check-public reads .html, .geojson/.json, .gpkg or .csv")
