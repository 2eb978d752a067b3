"""Naming places so people can find them: nearest postcode unit, road and
junction.

Any postcode layer works (points such as OS Code-Point Open units, or
polygons, whose representative points are used) as long as it has a postcode
column (``postcode``, ``pcd``, ``pcds``, ``pcd7``, ``pcd8``, ``postcode_unit``
or one named with ``--postcode-column``). Any road layer works (lines with a
``road`` name column, as :func:`hotspot.crossborder.read_roads` gives).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS
from scipy.spatial import cKDTree

from ._errors import CRSError, InputFileError

POSTCODE_COLUMNS = ("postcode", "pcds", "pcd", "pcd7", "pcd8", "postcode_unit", "pc")


#: What each reference layer cannot tell, said wherever an output rests on it
#: (a file-name fragment of the reference layout -> the caveat).
LAYER_CAVEATS = {
    "tfl_bus_routes": "roads: TfL bus-route paths (2018) stand in for the main roads: coarse (vertices ~100 m apart, "
                      "lines cut corners), without road names or classes, and only roads with a bus; a crossing on "
                      "any other road is missing (give --roads with a street network)",
    "osm_motorways": "roads: OpenStreetMap motorways only (extract c. 2020-21)",
    "lsoa2011": "units: 2011 LSOAs, generalised polygons (edges approximate), households from Census 2011",
    "codepoint_open_units": "postcodes: OS Code-Point Open unit centroids: a postcode named is the nearest unit's "
                            "point, not an address, and units are not households (about 15 addresses each, varying "
                            "widely)",
}


def layer_caveats(paths: list[str | Path | None]) -> list[str]:
    """The caveats of the reference layers among ``paths`` (see
    :data:`LAYER_CAVEATS`); a user's own file gets none.

    Parameters
    ----------
    paths : list of path or None
        Layer files an output rests on (None entries are skipped; a layer
        read by :func:`read_postcodes` keeps its file in ``attrs["source"]``).

    Returns
    -------
    list of str
        One caveat per reference layer, in the order given, without repeats.
    """
    found = [text for p in paths if p is not None for key, text in LAYER_CAVEATS.items() if key in Path(p).name]
    return list(dict.fromkeys(found))


def read_postcodes(path: str | Path, crs: str | int | CRS, *, column: str | None = None) -> gpd.GeoDataFrame:
    """A postcode layer as points in ``crs`` with a ``postcode`` column.

    Parameters
    ----------
    path : path
        GeoJSON/GeoPackage of postcode points or polygons.
    crs : CRS-like
        The working CRS (metres).
    column : str, optional
        The postcode column (default: the first of :data:`POSTCODE_COLUMNS`).

    Returns
    -------
    GeoDataFrame
        One point per postcode unit (polygons by a representative point), in
        ``crs``, with an upper-case ``postcode`` column and ``households``
        when the layer counts them.

    Raises
    ------
    InputFileError
        Missing file or no postcode column (the columns present are named).
    CRSError
        The layer has no CRS.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: postcode file not found")
    try:
        # the London-wide Code-Point units are GeoParquet, which not every GDAL build reads
        g = (gpd.read_parquet(path, columns=_postcode_columns(path, column)) if path.suffix.lower() == ".parquet"
             else gpd.read_file(path))
    except Exception as exc:  # not a vector file: name it
        raise InputFileError(f"{path}: not a postcode layer ({type(exc).__name__})") from None
    if not isinstance(g, gpd.GeoDataFrame) or "geometry" not in g:
        raise InputFileError(f"{path}: not a postcode layer (no geometry); give GeoJSON/GPKG points or polygons")
    if g.crs is None:
        raise CRSError(f"{path}: postcode layer has no CRS")
    lower = {c.lower(): c for c in g.columns}
    col = column or next((lower[c] for c in POSTCODE_COLUMNS if c in lower), None)
    if col is None or col not in g.columns:
        raise InputFileError(f"{path}: no postcode column (looked for {', '.join(POSTCODE_COLUMNS)}; "
                             f"columns: {', '.join(map(str, g.columns[:12]))}); give postcode_column=", param='postcode_column')
    g = g[g.geometry.notna() & ~g.geometry.is_empty]
    g = _points_to_crs(g, crs) if (g.geom_type == "Point").all() else g.to_crs(crs)
    pts = g.geometry.representative_point() if (g.geom_type != "Point").any() else g.geometry
    out = gpd.GeoDataFrame({"postcode": g[col].astype(str).str.strip().str.upper()}, geometry=pts.to_numpy(),
                           crs=g.crs)
    for c in ("households", "addresses", "delivery_points"):
        if c in lower:
            out["households"] = pd.to_numeric(g[lower[c]], errors="coerce").to_numpy()
            break
    out = out.reset_index(drop=True)
    out.attrs["source"] = str(path)  # what the outputs resting on it must say of it (layer_caveats)
    return out


def _postcode_columns(path: Path, column: str | None) -> list[str] | None:
    """The columns of a GeoParquet postcode layer that :func:`read_postcodes`
    uses (postcode, households and geometry: ~0.2 s less than every column of
    the London-wide units), or None (read them all) when they are not found,
    so that the error names every column."""
    import json

    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    names = schema.names
    try:
        geometry = json.loads((schema.metadata or {})[b"geo"])["primary_column"]
    except (KeyError, ValueError, TypeError):
        return None
    lower = {c.lower(): c for c in names}
    col = (column if column in names else None) if column else next((lower[c] for c in POSTCODE_COLUMNS if c in lower),
                                                                    None)
    if col is None or geometry not in names:
        return None
    count = next((lower[c] for c in ("households", "addresses", "delivery_points") if c in lower), None)
    return list(dict.fromkeys([col, *([count] if count else []), geometry]))


def _points_to_crs(g: gpd.GeoDataFrame, crs: str | int | CRS) -> gpd.GeoDataFrame:
    """``g.to_crs(crs)`` for a layer of 2-D points: the same operation
    (:func:`hotspot.crs.transformer`, the project's cached ``always_xy``
    transformation, which picks what geopandas picks and refuses a ballpark
    one) on the same coordinates, with the points made anew rather than
    copied and rewritten (~0.25 s less for London's 187 k postcode units)."""
    from .crs import transformer

    target = CRS.from_user_input(crs)
    if g.crs.is_exact_same(target) or shapely.has_z(g.geometry.values).any():
        return g.to_crs(target)
    x, y = transformer(g.crs, target).transform(shapely.get_x(g.geometry.values), shapely.get_y(g.geometry.values))
    return g.set_geometry(gpd.GeoSeries(shapely.points(x, y), index=g.index, crs=target), crs=target)


def nearest_postcodes(x: ArrayLike, y: ArrayLike, postcodes: gpd.GeoDataFrame | None, *, max_distance: float = 1000.0
                      ) -> tuple[list[str | None], np.ndarray]:
    """Nearest postcode unit of each point and its distance (metres); None
    (and NaN) when none lies within ``max_distance`` metres - a layer that
    does not cover the place never names a far-away postcode.

    Parameters
    ----------
    x, y : array-like of float
        Point coordinates in the working CRS, metres.
    postcodes : GeoDataFrame or None
        Postcode points from :func:`read_postcodes` (same CRS); None or empty
        names nothing.
    max_distance : float
        Farthest postcode point to name, metres (default 1000).

    Returns
    -------
    tuple of (list of str or None, numpy.ndarray)
        The postcode of each point and its distance, metres (NaN when none).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if postcodes is None or len(postcodes) == 0:
        return [None] * len(x), np.full(len(x), np.nan)
    tree = cKDTree(np.c_[postcodes.geometry.x, postcodes.geometry.y])
    d, i = tree.query(np.c_[x, y], distance_upper_bound=max_distance)
    ok = np.isfinite(d)
    return [str(postcodes["postcode"].iloc[k]) if good else None for k, good in zip(i, ok)], np.where(ok, d, np.nan)


def nearest_roads(x: ArrayLike, y: ArrayLike, roads: gpd.GeoDataFrame | None, *,
                  max_distance: float = 200.0) -> list[str | None]:
    """Name of the nearest road line within ``max_distance`` metres.

    Parameters
    ----------
    x, y : array-like of float
        Point coordinates in the working CRS, metres.
    roads : GeoDataFrame or None
        Road lines with a ``road`` name column (same CRS); None or empty
        names nothing.
    max_distance : float
        Farthest road line to name, metres (default 200).

    Returns
    -------
    list of str or None
        The road of each point; None when no named road is near.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if roads is None or len(roads) == 0:
        return [None] * len(x)
    geoms = roads.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    pts = shapely.points(x, y)
    pi, ri = tree.query_nearest(pts, max_distance=max_distance, all_matches=False)
    names: list[str | None] = [None] * len(x)
    col = roads["road"] if "road" in roads else pd.Series([None] * len(roads))
    for p, r in zip(pi, ri):
        v = col.iloc[r]
        names[p] = None if v is None or (isinstance(v, float) and np.isnan(v)) or v == "unnamed road" else str(v)
    return names


def junctions(roads: gpd.GeoDataFrame, bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Points where two differently named roads meet, named "A / B".

    Parameters
    ----------
    roads : GeoDataFrame
        Lines with a ``road`` column (working CRS).
    bbox : (minx, miny, maxx, maxy), optional
        Only roads within this box (metres), to keep it quick.

    Returns
    -------
    GeoDataFrame
        One point per distinct junction, with its ``junction`` name.
    """
    r = roads if bbox is None else roads.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
    r = r[r["road"].notna() & (r["road"] != "unnamed road")] if "road" in r else r.iloc[0:0]
    empty = gpd.GeoDataFrame({"junction": []}, geometry=gpd.GeoSeries([], crs=roads.crs))
    if len(r) < 2:
        return empty
    geoms = r.geometry.to_numpy()
    names = r["road"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = (a < b) & (names[a] != names[b])
    rows, pts = [], []
    for i, j in zip(a[keep], b[keep]):
        inter = geoms[i].intersection(geoms[j])
        if inter.is_empty:
            continue
        p = inter if inter.geom_type == "Point" else shapely.get_parts(inter)[0].representative_point() \
            if inter.geom_type != "Point" else inter
        n1, n2 = sorted((names[i], names[j]))
        rows.append(f"{n1} / {n2}")
        pts.append(p if p.geom_type == "Point" else p.representative_point())
    if not rows:
        return empty
    out = gpd.GeoDataFrame({"junction": rows}, geometry=pts, crs=roads.crs)
    return out.drop_duplicates("junction").reset_index(drop=True)


def nearest_junctions(x: ArrayLike, y: ArrayLike, roads: gpd.GeoDataFrame | None, *,
                      max_distance: float = 400.0) -> list[str | None]:
    """Nearest junction ("A / B") of each point within ``max_distance`` metres.

    Parameters
    ----------
    x, y : array-like of float
        Point coordinates in the working CRS, metres.
    roads : GeoDataFrame or None
        Road lines with a ``road`` name column (same CRS); None or empty
        names nothing.
    max_distance : float
        Farthest junction to name, metres (default 400); also the margin
        round the points within which junctions are found.

    Returns
    -------
    list of str or None
        The junction of each point; None when none is near.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if roads is None or len(roads) == 0 or len(x) == 0:
        return [None] * len(x)
    pad = max_distance
    j = junctions(roads, (x.min() - pad, y.min() - pad, x.max() + pad, y.max() + pad))
    if j.empty:
        return [None] * len(x)
    d, i = cKDTree(np.c_[j.geometry.x, j.geometry.y]).query(np.c_[x, y])
    return [str(j["junction"].iloc[k]) if dk <= max_distance else None for k, dk in zip(i, d)]


def street_points(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Named places from the incidents' location text: one point per distinct
    location with its ``street`` (police.uk "On or near X Road" -> "X Road";
    kinds of place such as "Supermarket" left out). police.uk snap points
    are public, anonymous street points, so these name streets without a
    street layer.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents with a ``location_text`` column (working CRS).

    Returns
    -------
    GeoDataFrame
        One point per distinct (point, street), with a ``street`` column;
        empty without location text.
    """
    from .nanobeats.describe import street_name

    empty = gpd.GeoDataFrame({"street": []}, geometry=gpd.GeoSeries([], crs=incidents.crs))
    if "location_text" not in incidents or not len(incidents):
        return empty
    df = pd.DataFrame({"x": incidents.geometry.x.round(1).to_numpy(), "y": incidents.geometry.y.round(1).to_numpy(),
                       "street": [street_name(v) if isinstance(v, str) else "" for v in incidents["location_text"]]})
    df = df[df["street"] != ""].drop_duplicates(["x", "y", "street"])
    if df.empty:
        return empty
    return gpd.GeoDataFrame({"street": df["street"].to_numpy()}, geometry=gpd.points_from_xy(df["x"], df["y"]),
                            crs=incidents.crs)


def nearest_streets(x: ArrayLike, y: ArrayLike, streets: gpd.GeoDataFrame | None, *,
                    max_distance: float = 100.0) -> list[str | None]:
    """Street name of the nearest named point (from :func:`street_points`)
    within ``max_distance`` metres, else None.

    Parameters
    ----------
    x, y : array-like of float
        Point coordinates in the working CRS, metres.
    streets : GeoDataFrame or None
        Named points from :func:`street_points` (same CRS); None or empty
        names nothing.
    max_distance : float
        Farthest named point to use, metres (default 100).

    Returns
    -------
    list of str or None
        The street of each point; None when no named point is near.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if streets is None or len(streets) == 0:
        return [None] * len(x)
    d, i = cKDTree(np.c_[streets.geometry.x, streets.geometry.y]).query(np.c_[x, y], distance_upper_bound=max_distance)
    return [str(streets["street"].iloc[k]) if np.isfinite(dk) else None for k, dk in zip(i, d)]
