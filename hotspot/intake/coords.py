"""Coordinates: read, cross-checked and judged.

Reading: x/y or lon/lat columns, or a layer's point geometries, in their own
CRS (the user's, the file's, or WGS84 degrees), cross-checked against the
file's lon/lat and against the CRS's units. Judging (stage 2): zero,
out-of-range and swapped coordinates, recognised against the data's centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .. import settings
from .._errors import CRSError, InputFileError
from ..crs import as_crs, project, transformer
from ..settings import GB_LONLAT_BOUNDS, WGS84
from .columns import _stripped
from .record import RowDetails, _mark, _Parsed


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, empty): a stripped text column parsed as numbers (NaN when
    not one) and whether each cell is empty; a Categorical (a Parquet file's
    snap-point coordinates) parsed once per distinct string."""
    if isinstance(s.dtype, pd.CategoricalDtype) and (s.cat.codes >= 0).all():
        cats = pd.Series(np.asarray(s.cat.categories, dtype=object))  # object strings, parsed as a per-row column is
        codes = s.cat.codes.to_numpy()
        return (pd.to_numeric(cats, errors="coerce").to_numpy(float)[codes],
                (cats == "").to_numpy()[codes])
    return pd.to_numeric(s, errors="coerce").to_numpy(float), (s == "").to_numpy()


def _cell_details(col: str, s: pd.Series) -> RowDetails:
    """``col=value`` of the rows :func:`_mark` marks, made for them alone (a
    Categorical is never turned into one Python string per row)."""
    return lambda rows: (f"{col}={v!r}" for v in s.iloc[rows])



def _parse_numbers(p: _Parsed, sa: pd.Series, sb: pd.Series) -> None:
    ca, cb = p.coord_cols
    sa, sb = _stripped(sa), _stripped(sb)
    (a, empty_a), (b, empty_b) = _numbers(sa), _numbers(sb)
    missing = empty_a | empty_b
    _mark(p, missing, "missing coordinates", f"{ca}/{cb}")
    bad_a, bad_b = ~np.isfinite(a), ~np.isfinite(b)
    _mark(p, bad_a, "unparsable coordinates", ca, _cell_details(ca, sa))
    _mark(p, bad_b, "unparsable coordinates", cb, _cell_details(cb, sb))
    p.a, p.b = a, b


def _geom_types(geoms) -> str:
    kinds = pd.Series([g.geom_type for g in geoms if g is not None and not g.is_empty]).value_counts()
    return ", ".join(f"{k} ({v:,})" for k, v in kinds.items())


def _require_points(path: Path, geoms) -> None:
    """A layer of lines or polygons is not incidents (one location each)."""
    arr = np.array([g if g is not None else shapely.Point() for g in geoms], dtype=object)
    present = ~shapely.is_empty(arr)
    if present.any() and not (present & (shapely.get_type_id(arr) == 0)).any():
        raise InputFileError(
            f"{path}: holds {_geom_types(geoms)} geometries, not points; incidents must be points "
            "(one location per incident); a boundary layer goes to area_file=", param='area_file')


def _geometry_coordinates(p: _Parsed, geoms, file_crs, crs: CRS | None) -> None:
    """Coordinates from a layer's point geometries, in the layer's CRS (or
    the user's, when the layer has none or its "degrees" are metres)."""
    is_none = np.array([g is None or g.is_empty for g in geoms])
    safe = np.where(is_none, shapely.Point(), geoms)
    not_point = ~is_none & (shapely.get_type_id(safe) != 0)
    if file_crs is None and crs is None:
        raise CRSError(f"{p.path}: layer has no CRS; give one with crs=", param='crs')
    file_crs = as_crs(file_crs) if file_crs is not None else None
    pts0 = np.where(not_point | is_none, shapely.Point(0, 0), safe)
    metres_as_degrees = (file_crs is not None and file_crs.is_geographic and crs is not None
                         and ((np.abs(shapely.get_x(pts0)) > 180) | (np.abs(shapely.get_y(pts0)) > 90)).mean() > 0.5)
    # A GeoJSON without a "crs" member is read as lon/lat; when its
    # coordinates are clearly metres the user's --crs says what they are.
    use_given = file_crs is None or metres_as_degrees
    coord_crs = crs if use_given else file_crs
    assert coord_crs is not None  # a layer without a CRS and no crs= raised above
    p.coord_crs = coord_crs
    p.coord_cols = ("geometry", "geometry")
    p.info["coordinates"] = {"columns": ["geometry"], "crs": p.coord_crs.to_string(),
                             "how": "given with --crs" if use_given else "declared in the file"}
    _mark(p, is_none, "missing coordinates", "geometry")
    _mark(p, not_point, "not a point geometry", "geometry",
          lambda rows: (f"{t} geometry" for t in shapely.get_type_id(safe[rows]).astype(str)))
    pts = np.where(not_point | is_none, shapely.Point(np.nan, np.nan), safe)
    p.a, p.b = shapely.get_x(pts), shapely.get_y(pts)
    _check_degrees(p)


def _column_coordinates(p: _Parsed, cols: Mapping[str, str | None], crs: CRS | None) -> None:
    """Coordinates from x/y columns in the user's CRS (cross-checked against
    lon/lat columns when the file has both), else from lon/lat columns."""
    table = p.table
    x_col, y_col = cols["x"], cols["y"]
    use_xy = bool(x_col and y_col and (crs is not None or not (cols["lon"] and cols["lat"])))
    if use_xy and x_col and y_col:  # (use_xy implies both columns)
        if crs is None:
            raise CRSError(f"{p.path}: x/y columns '{x_col}', '{y_col}' need a CRS (crs=EPSG:...)", param='crs')
        p.coord_crs, p.coord_cols = crs, (x_col, y_col)
        p.info["coordinates"] = {"columns": list(p.coord_cols), "crs": crs.to_string(), "how": "given with --crs"}
    elif cols["lon"] and cols["lat"]:
        p.coord_cols = (cols["lon"], cols["lat"])
        p.info["coordinates"] = {"columns": list(p.coord_cols), "crs": WGS84,
                                 "how": "lon/lat columns (WGS84 degrees)"}
    else:
        raise InputFileError(f"{p.path}: required coordinate columns are missing (lon/lat or x/y); columns are {list(table.columns)}")
    _parse_numbers(p, table[p.coord_cols[0]], table[p.coord_cols[1]])
    if use_xy:
        _check_degrees(p)
        if cols["lon"] and cols["lat"] and {cols["lon"], cols["lat"]}.isdisjoint(p.coord_cols):
            _crs_cross_check(p, table, cols["lon"], cols["lat"])


def _check_degrees(p: _Parsed) -> None:
    """x/y declared in a geographic CRS must look like degrees."""
    if not p.coord_crs.is_geographic:
        return
    ok = np.isfinite(p.a) & np.isfinite(p.b) & ~((p.a == 0) & (p.b == 0))
    if not ok.any():
        return
    out = (np.abs(p.a[ok]) > 180) | (np.abs(p.b[ok]) > 90)
    if out.mean() > 0.5:
        i = int(np.flatnonzero(ok)[np.argmax(out)])
        ca, cb = p.coord_cols
        what = "geometries" if ca == "geometry" else f"x/y columns '{ca}', '{cb}'"
        raise CRSError(
            f"{p.path}: {what} are declared as {p.coord_crs.to_string()} (degrees) but "
            f"{out.mean():.0%} of rows are not degrees (e.g. row {p.table.index[i]}: x={p.a[i]:g}, "
            f"y={p.b[i]:g}); give their projected CRS with crs=", param='crs')


def _crs_cross_check(p: _Parsed, table: pd.DataFrame, lon_col: str, lat_col: str) -> None:
    """Compare x/y read in the declared CRS with the file's own lon/lat.

    Raises :class:`CRSError` when their median disagreement exceeds
    :data:`hotspot.settings.CRS_CHECK_TOLERANCE` metres.
    """
    from pyproj import Geod

    lon = pd.to_numeric(table[lon_col].str.strip(), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(table[lat_col].str.strip(), errors="coerce").to_numpy(float)
    use = np.isfinite(p.a) & np.isfinite(p.b) & np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) \
        & (np.abs(lat) <= 90) & ~((lon == 0) & (lat == 0))
    if not use.any():
        return
    x, y = p.a[use], p.b[use]
    with np.errstate(all="ignore"):
        if p.coord_crs.is_geographic:
            # x/y declared in degrees: compare as they are.
            lon2, lat2 = project(x, y, p.coord_crs, WGS84) if not p.coord_crs.equals(CRS.from_user_input(WGS84)) else (x, y)
        else:
            try:
                lon2, lat2 = project(x, y, p.coord_crs, WGS84)
            except CRSError:
                lon2 = lat2 = np.full(len(x), np.nan)
        lon2, lat2 = np.asarray(lon2, float), np.asarray(lat2, float)
        valid = np.isfinite(lon2) & np.isfinite(lat2) & (np.abs(lon2) <= 180) & (np.abs(lat2) <= 90)
        dist = np.full(len(x), np.inf)
        if valid.any():
            _, _, d = Geod(ellps="WGS84").inv(lon[use][valid], lat[use][valid], lon2[valid], lat2[valid])
            dist[valid] = d
    med = float(np.median(dist))
    ca, cb = p.coord_cols
    crs_name = p.coord_crs.to_string()
    if med > settings.CRS_CHECK_TOLERANCE:
        what = (f"median disagreement {med / 1000:,.0f} km" if np.isfinite(med)
                else "most x/y values are not coordinates in that CRS at all")
        raise CRSError(
            f"{p.path}: x/y columns '{ca}', '{cb}' read as {crs_name} contradict the lon/lat columns "
            f"'{lon_col}', '{lat_col}': {what} (more than {settings.CRS_CHECK_TOLERANCE / 1000:g} km); "
            "the x/y are not in that CRS: give their true CRS with crs=", param='crs')
    p.info["coordinates"]["check"] = (
        f"x/y agree with lon/lat columns '{lon_col}', '{lat_col}': median {med:.3g} m over {int(use.sum()):,} rows")


#: How many times nearer the data's centre an exchange of x and y must bring a
#: point for the row to be rejected as "swapped" (see _check_coordinates).
SWAP_NEARER = 3.0


def _near(a: np.ndarray, b: np.ndarray, ca: float, cb: float, tol: float) -> np.ndarray:
    return (np.abs(a - ca) <= tol) & (np.abs(b - cb) <= tol)


def _check_coordinates(p: _Parsed, centre: tuple[float, float] | None, tol: float) -> None:
    a, b = p.a, p.b
    ca, cb = p.coord_cols
    finite = np.isfinite(a) & np.isfinite(b)
    _mark(p, finite & (a == 0) & (b == 0), "zero coordinates", f"{ca}/{cb}")
    if p.coord_crs.is_geographic:
        in_range = (np.abs(a) <= 180) & (np.abs(b) <= 90)
    else:
        lo_lon, lo_lat, hi_lon, hi_lat = p.coord_crs.area_of_use.bounds if p.coord_crs.area_of_use else (-180, -90, 180, 90)
        x0, y0, x1, y1 = transformer(WGS84, p.coord_crs).transform_bounds(lo_lon, lo_lat, hi_lon, hi_lat)
        # A generous margin: area-of-use boxes are tight and data sit on edges.
        mx, my = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
        in_range = (a >= x0 - mx) & (a <= x1 + mx) & (b >= y0 - my) & (b <= y1 + my)
    if centre is not None:
        cx, cy = centre
        # In metres x and y ranges overlap (British National Grid: a real point in Wigan, 250 km from
        # London, is within 200 km of London exchanged too), so an exchange must also bring the point
        # SWAP_NEARER times nearer the centre: a true exchange of a local point lands it ~10-100x nearer.
        nearer = SWAP_NEARER * np.hypot(b - cx, a - cy) < np.hypot(a - cx, b - cy)
        swapped = finite & ~_near(a, b, cx, cy, tol) & _near(b, a, cx, cy, tol) & nearer
        _mark(p, swapped, "swapped", f"{ca}/{cb}",
              lambda rows: (f"{ca}={x:g}, {cb}={y:g} look exchanged" for x, y in zip(a[rows], b[rows])))
    if p.info.get("format") == "police.uk street-level CSV" and p.coord_crs.is_geographic:
        # police.uk publishes England, Wales and Northern Ireland only: with or
        # without an area, a point outside Great Britain's box is wrong, and
        # exchanged when the exchange puts it inside
        x0, y0, x1, y1 = GB_LONLAT_BOUNDS
        inside = (a >= x0) & (a <= x1) & (b >= y0) & (b <= y1)
        flipped = (b >= x0) & (b <= x1) & (a >= y0) & (a <= y1)
        _mark(p, finite & ~inside & flipped, "swapped", f"{ca}/{cb}",
              lambda rows: (f"{ca}={x:g}, {cb}={y:g} look exchanged (police.uk data lie in Great Britain)" for x, y in zip(a[rows], b[rows])))
        _mark(p, finite & ~inside & ~((a == 0) & (b == 0)), "coordinates out of range", f"{ca}/{cb}",
              lambda rows: (f"{ca}={x:g}, {cb}={y:g} is outside Great Britain (police.uk data)" for x, y in zip(a[rows], b[rows])))
    _mark(p, finite & ~in_range, "coordinates out of range", f"{ca}/{cb}",
          lambda rows: (f"{ca}={x:g}, {cb}={y:g}" for x, y in zip(a[rows], b[rows])))


def _centre(parsed: list[_Parsed], coord_crs: CRS, area) -> tuple[float, float] | None:
    """The centre of the data in ``coord_crs``: the area's centroid, else the
    median of the sources' non-zero finite coordinates (None under 5 rows)."""
    if area is not None:
        c = gpd.GeoSeries([area.geometry.centroid], crs=area.crs).to_crs(coord_crs).iloc[0]
        return (c.x, c.y)
    key = coord_crs.to_wkt()
    same = [q for q in parsed if q.coord_crs.to_wkt() == key]
    a = np.concatenate([q.a for q in same])
    b = np.concatenate([q.b for q in same])
    ok = np.isfinite(a) & np.isfinite(b) & ~((a == 0) & (b == 0))
    return (float(np.median(a[ok])), float(np.median(b[ok]))) if ok.sum() >= 5 else None
