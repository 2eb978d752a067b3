"""Study areas: boundary layers, picking an area, its neighbours and fringe.

Boundary layers are read once and projected into the working CRS (metres);
invalid polygons are repaired with ``shapely.make_valid`` and a warning.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ._errors import AreaError, CRSError, InputFileError
from .crs import as_crs, choose_working_crs, is_metric_projected, require_metric
from .readonce import read_once


@dataclass
class Area:
    """A study area.

    Attributes
    ----------
    name : str
        Display name (e.g. ``"Barnet"``).
    code : str or None
        Official code where the layer has one (e.g. ``"E09000003"``).
    geometry : shapely Polygon or MultiPolygon
        In ``crs`` (metres).
    crs : pyproj.CRS
    layer : GeoDataFrame
        The boundary layer it was picked from (same CRS); used for neighbours.
    index : label
        Row label of the area in ``layer``.
    """

    name: str
    code: str | None
    geometry: BaseGeometry
    crs: CRS
    layer: gpd.GeoDataFrame | None = None
    index: object = None

    @property
    def area_km2(self) -> float:
        """Area in square kilometres."""
        return self.geometry.area / 1e6

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The area as a one-row GeoDataFrame."""
        return gpd.GeoDataFrame({"name": [self.name], "code": [self.code]}, geometry=[self.geometry], crs=self.crs)

    def fringe(self, distance: float) -> BaseGeometry:
        """Band of ``distance`` metres around the area, outside it.

        Parameters
        ----------
        distance : float
            Width of the band, metres (positive).

        Returns
        -------
        shapely geometry
            The band, in the area's CRS (see :func:`fringe`).
        """
        return fringe(self, distance)

    def neighbours(self, layer: gpd.GeoDataFrame | None = None, tolerance: float = 50.0) -> gpd.GeoDataFrame:
        """Polygons bordering the area, across a river too (see :func:`neighbours`).

        Parameters
        ----------
        layer : GeoDataFrame, optional
            Layer to search (any CRS; reprojected); default: the area's own layer.
        tolerance : float
            Gap allowed between shared edges, metres (default 50).

        Returns
        -------
        GeoDataFrame
            The neighbouring polygons, in the area's CRS.
        """
        return neighbours(self, layer, tolerance=tolerance)


def load_boundaries(path: str | Path, *, crs: str | CRS | None = None, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a boundary layer (GeoJSON, GeoPackage, any CRS) into metres.

    Parameters
    ----------
    path : path
        Polygon layer.
    crs : CRS-like, optional
        When the file declares no CRS (or declares lon/lat degrees while its
        coordinates are clearly metres, as a GeoJSON without a ``crs``
        member is read), the CRS of its coordinates (``--area-crs``, e.g.
        EPSG:27700). Otherwise the working CRS to project into (projected,
        metres). Default working CRS: the layer's own when it is projected
        in metres; else EPSG:27700 for British layers and the UTM zone of
        the layer's centre elsewhere.
    layer : str, optional
        Layer name inside a GeoPackage.

    Returns
    -------
    GeoDataFrame
        Polygons in the working CRS, invalid ones repaired.

    Raises
    ------
    InputFileError
        Missing or unreadable file, no features, no polygons.
    CRSError
        No CRS declared (or degrees declared for metre coordinates) and no
        ``crs`` given: the message says whether the coordinates look like
        metres or degrees and names ``--area-crs``.
    """
    # a run asks for its boundary layer more than once (the area, the report's borough codes): read it once
    return read_once(Path(path), _load_boundaries, crs=crs, layer=layer)


def _load_boundaries(path: Path, *, crs: str | CRS | None, layer: str | None) -> gpd.GeoDataFrame:
    gdf = _read_polygons(path, layer)
    gdf, given = _declare_crs(path, gdf, as_crs(crs))
    _repair(path, gdf)
    work = given
    if work is None and is_metric_projected(gdf.crs):
        work = gdf.crs  # already in metres: keep it
    elif work is None:
        ll = gdf.to_crs(4326).geometry.union_all().centroid
        work = choose_working_crs(np.array([ll.x]), np.array([ll.y]))
    require_metric(work, "the working CRS")
    return gdf.to_crs(work)


def _read_polygons(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The non-empty features of a polygon layer (refusing other geometries)."""
    if not path.is_file():
        raise InputFileError(f"{path}: boundary file not found")
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:
        raise InputFileError(f"{path}: cannot read boundary layer: {exc}") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputFileError(f"{path}: not a boundary layer (no geometry column); give a GeoJSON or GeoPackage of polygons")
    if gdf.empty:
        raise InputFileError(f"{path}: boundary layer has no features")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    if gdf.empty:
        raise InputFileError(f"{path}: boundary layer has no geometries")
    kinds = set(gdf.geom_type)
    if not kinds & {"Polygon", "MultiPolygon", "GeometryCollection"}:
        raise InputFileError(f"{path}: boundary layer holds {', '.join(sorted(kinds))} geometries, not polygons; "
                             "an area needs polygons")
    return gdf


def _declare_crs(path: Path, gdf: gpd.GeoDataFrame, given: CRS | None) -> tuple[gpd.GeoDataFrame, CRS | None]:
    """The layer with its coordinates' CRS set, and the working CRS the user
    gave (None when ``given`` was used as the layer's own CRS instead).

    A layer without a CRS, or declaring degrees for coordinates that are
    clearly metres (a GeoJSON without a ``crs`` member), takes ``given``;
    without it the error says what the coordinates look like."""
    x0, y0, x1, y1 = gdf.total_bounds
    looks_metres = max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90
    if not (gdf.crs is None or (gdf.crs.is_geographic and looks_metres)):
        return gdf, given
    extent = f"x {x0:,.0f}..{x1:,.0f}, y {y0:,.0f}..{y1:,.0f}"
    if given is None:
        said = "declares no CRS" if gdf.crs is None else f"declares {gdf.crs.to_string()} (degrees)"
        if looks_metres:
            raise CRSError(f"{path}: boundary layer {said} but its coordinates look like metres ({extent}); "
                           "give their CRS with crs= (EPSG:27700 for British National Grid)", param='area.crs')
        raise CRSError(f"{path}: boundary layer declares no CRS; its coordinates look like lon/lat degrees "
                       f"({extent}): give crs=EPSG:4326 (or the layer's CRS)", param='area.crs')
    if given.is_geographic and looks_metres:
        raise CRSError(f"{path}: crs={given.to_string()} is in degrees but the coordinates look like "
                       f"metres ({extent}); give their projected CRS (EPSG:27700 for British National Grid)", param='area.crs')
    return gdf.set_crs(given, allow_override=True), None


def _repair(path: Path, gdf: gpd.GeoDataFrame) -> None:
    """Repair invalid polygons in place (with a warning naming the file)."""
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        # stacklevel: the caller of load_boundaries
        warnings.warn(f"{path}: repaired {int(invalid.sum())} invalid geometries with make_valid", stacklevel=3)
        fixed = shapely.make_valid(gdf.geometry[invalid].to_numpy())
        # make_valid can return collections with stray lines; keep the polygons.
        gdf.loc[invalid, "geometry"] = [_polygonal(g) for g in fixed]


def _polygonal(g: BaseGeometry) -> BaseGeometry:
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _string_columns(layer: gpd.GeoDataFrame) -> list[str]:
    return [c for c in layer.columns if c != layer.geometry.name and (layer[c].dtype == object or pd.api.types.is_string_dtype(layer[c]))]


def _is_name_column(c: str) -> bool:
    low = c.lower()
    return "name" in low or low.endswith("nm")


def _layer_columns(layer: gpd.GeoDataFrame) -> tuple[str | None, str | None, str | None]:
    """(name, code, parent) columns of a boundary layer.

    The code is the ONS-style code column (``E05000290``) with the most
    distinct values (a ward layer also carries its borough's code); the name
    the name-like column with the most distinct values; the parent a further
    name-like column (e.g. ``borough_name`` in a ward layer), if any.
    """
    cols = _string_columns(layer)
    nunique = {c: layer[c].nunique() for c in cols}
    codes = [c for c in cols if layer[c].astype(str).str.fullmatch(r"[A-Z]\d{8}").mean() > 0.9]
    code = max(codes, key=lambda c: nunique[c]) if codes else None
    names = [c for c in cols if c not in codes and _is_name_column(c)]
    name = max(names, key=lambda c: nunique[c]) if names else next((c for c in cols if c not in codes), None)
    top = nunique.get(name, 0) if name is not None else 0
    parents = [c for c in names if c != name and nunique[c] < top]
    parent = max(parents, key=lambda c: nunique[c]) if parents else None
    return name, code, parent


def _name_and_code_columns(layer: gpd.GeoDataFrame) -> tuple[str | None, str | None]:
    name, code, _ = _layer_columns(layer)
    return name, code


def find_area(layer: gpd.GeoDataFrame, name: str, *, column: str | None = None) -> Area:
    """Pick one area from a boundary layer by name or code.

    Matching is case-insensitive over every text column (or ``column``).
    Rows sharing one code (an area stored in parts) are dissolved into one
    area; a name shared by areas with different codes (two wards called
    Edgware in two boroughs) is never merged: it raises, listing every
    match with its code and parent area, so the user can give the code.
    A value of a parent column (a borough name in a ward layer) selects the
    union of that parent's units.

    Parameters
    ----------
    layer : GeoDataFrame
        Boundary layer in a metric CRS (as :func:`load_boundaries` returns it).
    name : str
        Name or code of the area (e.g. ``"Barnet"`` or ``"E09000003"``), or
        the name of a parent area whose units are taken together.
    column : str, optional
        Search only this column; default: every text column.

    Returns
    -------
    Area
        The area, its geometry in the layer's CRS (metres).

    Raises
    ------
    AreaError
        Unknown name (the message lists the closest matches) or a name
        matching several areas (the message lists them with their codes), or
        a layer without a CRS.
    """
    crs = as_crs(layer.crs)
    if crs is None:
        raise AreaError("the boundary layer has no CRS: read it with load_boundaries (or set its CRS) first")
    cols = [column] if column else _string_columns(layer)
    if column and column not in layer.columns:
        raise AreaError(f"boundary layer has no column '{column}'")
    name_col, code_col, parent_col = _layer_columns(layer)
    want = name.strip().casefold()
    for c in cols:
        hit = layer[c].astype(str).str.strip().str.casefold() == want
        if not hit.any():
            continue
        rows = layer[hit]
        if c in (name_col, code_col) or c == column:
            # The area's own identity: rows with different codes (or, in a
            # layer without codes, different attributes) are different areas.
            key_cols = [code_col] if code_col else [k for k in _string_columns(layer)]
            keys = rows[key_cols].astype(str).drop_duplicates()
            if len(keys) > 1:
                raise AreaError(_ambiguous_message(name, rows, name_col, code_col, parent_col), param="area")
            label = str(rows[name_col].iloc[0]) if name_col else name
            code = str(rows[code_col].iloc[0]) if code_col else None
        else:
            # A parent (e.g. a borough name in a ward layer): its units together.
            label = str(rows[c].iloc[0]).strip()
            code = None
        geom = _area_geometry(name, rows)
        return Area(name=label, code=code, geometry=geom, crs=crs, layer=layer, index=rows.index[0])
    pool = sorted({str(v) for c in cols for v in layer[c].dropna().astype(str)})
    close = difflib.get_close_matches(name, pool, n=5, cutoff=0.5)
    if not close:
        low = {p.casefold(): p for p in pool}
        close = [low[k] for k in difflib.get_close_matches(want, list(low), n=5, cutoff=0.4)]
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise AreaError(f"no area named '{name}' in the boundary layer{hint}")


def _area_geometry(name: str, rows: gpd.GeoDataFrame) -> BaseGeometry:
    """The polygon of an area's rows (several rows: its parts, dissolved);
    refused when a row is no polygon, or when rows overlap (the same area
    twice, not parts of one: which to use is the user's to say)."""
    geoms = rows.geometry.to_numpy()
    if any(g is None or g.is_empty for g in geoms):
        raise AreaError(f"'{name}' has no geometry in the boundary layer (row {rows.index[0]}): fix the layer")
    kinds = {g.geom_type for g in geoms} - {"Polygon", "MultiPolygon"}
    if kinds:
        raise AreaError(f"'{name}' is a {'/'.join(sorted(kinds))} in the boundary layer, not a polygon: "
                        "an area needs a polygon")
    if len(geoms) == 1:
        return geoms[0]
    union = shapely.union_all(geoms)
    if sum(g.area for g in geoms) > 1.01 * union.area:
        raise AreaError(f"'{name}' is given by {len(geoms)} overlapping rows of the boundary layer (rows "
                        f"{', '.join(map(str, rows.index[:5]))}): parts of one area do not overlap; remove the "
                        "duplicate or tell the rows apart by a code column")
    return union


def _ambiguous_message(name: str, rows: gpd.GeoDataFrame, name_col: str | None, code_col: str | None,
                       parent_col: str | None) -> str:
    items = []
    for _, r in rows.drop_duplicates(subset=[code_col] if code_col else None).iterrows():
        label = str(r[name_col]) if name_col else name
        item = f"{r[code_col]} {label}" if code_col else f"{label} (row {r.name})"
        if parent_col:
            item += f" ({r[parent_col]})"
        items.append(item)
    ask = (f"give the code instead, e.g. area={rows[code_col].iloc[0]}" if code_col
           else "pick one by another column of the layer")
    return f"'{name}' matches {len(items)} areas in the boundary layer: {'; '.join(items)}; {ask}"


def load_area(path: str | Path, name: str, *, crs: str | CRS | None = None, column: str | None = None) -> Area:
    """:func:`load_boundaries` then :func:`find_area`.

    ``crs`` is the layer's CRS when the file declares none (``--area-crs``),
    else the working CRS (see :func:`load_boundaries`).

    Parameters
    ----------
    path : str or Path
        Boundary layer (GeoJSON, GeoPackage; any CRS).
    name : str
        Name or code of the area (see :func:`find_area`).
    crs : CRS-like, optional
        The layer's CRS when the file declares none, else the working CRS
        (projected, metres).
    column : str, optional
        Search only this column of the layer for ``name``.

    Returns
    -------
    Area
        The area in the working CRS (metres).
    """
    return find_area(load_boundaries(path, crs=crs), name, column=column)


def neighbours(area: Area, layer: gpd.GeoDataFrame | None = None, *, tolerance: float = 50.0,
               max_gap: float | None = None) -> gpd.GeoDataFrame:
    """Polygons of ``layer`` that border the area, across a river too.

    Generalised layers rarely share edges exactly, so "touching" means
    within ``tolerance`` metres of the boundary without being the area itself
    (more than half of a neighbour's area inside the study area marks it as
    the same unit). Layers clipped to the coastline leave rivers unmapped:
    Westminster and Lambeth face each other across 80-250 m of Thames. A
    polygon up to ``max_gap`` metres away is a neighbour too when the space
    between the two is mostly mapped to no other polygon of the layer (water,
    not a third area: Islington, 560 m from Westminster with Camden between,
    is not).

    Parameters
    ----------
    area : Area
        The study area.
    layer : GeoDataFrame, optional
        Another layer (any CRS; reprojected); default: the area's own layer.
    tolerance : float
        Gap allowed between shared edges, metres.
    max_gap : float, optional
        Widest unmapped gap (a river) across which polygons still border,
        metres; default ``settings.NEIGHBOUR_MAX_GAP_M`` (1,000 m); 0 for
        touching polygons only.

    Returns
    -------
    GeoDataFrame
        The neighbouring polygons, in the area's CRS.
    """
    from . import settings

    layer = area.layer if layer is None else layer
    if layer is None:
        raise AreaError("no layer to find neighbours in")
    max_gap = settings.NEIGHBOUR_MAX_GAP_M if max_gap is None else max_gap
    layer = layer.to_crs(area.crs)
    geoms = layer.geometry
    overlap = geoms.intersection(area.geometry).area / geoms.area.where(geoms.area > 0, 1)
    other = (overlap < 0.5).to_numpy()
    if area.layer is not None and layer is area.layer:
        other &= layer.index != area.index
    dist = geoms.distance(area.geometry).to_numpy()
    border = dist <= tolerance
    for i in np.flatnonzero(other & ~border & (dist <= max_gap)):
        rest = other.copy()
        rest[i] = False
        border[i] = _across_unmapped_gap(area.geometry, geoms.iloc[i], float(dist[i]) + tolerance, geoms[rest])
    return layer[border & other].copy()


def _across_unmapped_gap(a: BaseGeometry, b: BaseGeometry, reach: float, others: gpd.GeoSeries) -> bool:
    """Whether the space between ``a`` and ``b`` (within ``reach`` metres of
    both) is mostly covered by no other polygon: a river, not a third area."""
    between = a.buffer(reach).intersection(b.buffer(reach)).difference(a).difference(b)
    if between.area <= 0:
        return False
    hit = others[others.intersects(between)]
    covered = shapely.union_all(hit.intersection(between).to_numpy()).area if len(hit) else 0.0
    return bool(covered < 0.5 * between.area)


def fringe(area: Area, distance: float) -> BaseGeometry:
    """The band within ``distance`` metres outside the area's boundary.

    Parameters
    ----------
    area : Area
        The study area.
    distance : float
        Width of the band, metres; must be positive.

    Returns
    -------
    shapely geometry
        The area buffered by ``distance`` minus the area itself.

    Raises
    ------
    AreaError
        ``distance`` is not positive.
    """
    if distance <= 0:
        raise AreaError("fringe distance must be positive (metres)")
    return area.geometry.buffer(distance).difference(area.geometry)


def area_from_geometry(geometry: BaseGeometry, crs: str | int | CRS, name: str = "area") -> Area:
    """Wrap a polygon (in a metric CRS) as an :class:`Area`.

    Parameters
    ----------
    geometry : shapely Polygon or MultiPolygon
        The area's outline, in ``crs``.
    crs : str, int or pyproj.CRS
        CRS of ``geometry``; must be projected in metres.
    name : str
        Display name of the area.

    Returns
    -------
    Area
        An area without code or boundary layer.

    Raises
    ------
    CRSError
        ``crs`` is missing, or not projected in metres.
    """
    c = as_crs(crs)
    if c is None:
        raise CRSError("no CRS given for the area")
    require_metric(c, "the area CRS")
    return Area(name=name, code=None, geometry=geometry, crs=c)


#: Words of an input's file name that say what the records are, not where: left out of a footprint's name.
_RECORD_WORDS = frozenset("""residential domestic commercial business burglary burglaries break enter and
    crime crimes incidents incident offences offence offenses offense records data export extract police uk
    street level all csv geojson gpkg parquet""".split())


def footprint_name(files: Sequence[object]) -> str:
    """A name for the area of records given without a boundary file: the
    place words of the first input's file name ("chicago_residential_burglary_2014_2017.csv"
    -> "Chicago"), else "the records' area".

    Parameters
    ----------
    files : sequence of path-like
        The inputs read (``IntakeResult.files``).

    Returns
    -------
    str
        The name, "(records' extent)" appended so it is never taken for a boundary.
    """
    if not files:
        return "the records' area"
    stem = Path(str(files[0])).name.split(".")[0]
    words = [w for w in re.split(r"[\W_]+", stem) if w and not w.isdigit() and w.lower() not in _RECORD_WORDS]
    return (" ".join(words).title() + " (records' extent)") if words else "the records' area"


def area_from_points(x: ArrayLike, y: ArrayLike, crs: str | int | CRS, *, radius: float = 400.0, snap: float = 100.0,
                     name: str = "incident footprint") -> Area:
    """An area for data without a boundary file: the union of ``radius``-metre
    discs round every incident location (snapped to ``snap`` metres first,
    which keeps the union fast). Places with no incident at all, such as a
    lake, stay outside.

    Parameters
    ----------
    x, y : array-like of float
        Incident coordinates in ``crs``, metres.
    crs : str, int or pyproj.CRS
        CRS of the coordinates; must be projected in metres.
    radius : float
        Radius of the disc round each location, metres (default 400).
    snap : float
        Grid spacing the locations are rounded to before buffering, metres
        (default 100).
    name : str
        Display name of the area.

    Returns
    -------
    Area
        The footprint as an area without code or boundary layer.
    """
    xy = np.unique(np.round(np.column_stack([x, y]) / snap) * snap, axis=0)
    geom = shapely.union_all(shapely.buffer(shapely.points(xy), radius, quad_segs=4))
    return area_from_geometry(geom, crs, name=name)
