"""Cross-border burglary: border zones, density either side, road crossings.

* :func:`border_zones` / :func:`border_concentration` - the share of the
  area's burglaries within 250 m / 500 m / 1 km of its boundary against the
  share of the area those zones cover (the *border concentration ratio*),
  overall and month by month.
* :func:`density_by_neighbour` - burglaries per km^2 per year in a strip on
  each side of the boundary shared with each neighbour, over the months both
  sides have data.
* :func:`road_crossings` - where roads cross the boundary, from a full road
  layer when one is given (lines, or an OpenStreetMap extract read with
  osmnx) or from partial layers (motorways, bus-route paths); near-duplicate
  crossings (the two directions of a road, several bus routes on one road)
  are merged, red routes tagged, and the nearest traffic count attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from ._errors import CRSError, InputFileError
from .areas import Area

ZONE_DISTANCES = (250.0, 500.0, 1000.0)


def boundary_line(area: Area) -> BaseGeometry:
    """The area's boundary as lines (all rings).

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).

    Returns
    -------
    shapely geometry
        The boundary as (multi)lines.
    """
    return area.geometry.boundary


def border_zones(area: Area, distances: Sequence[float] = ZONE_DISTANCES) -> gpd.GeoDataFrame:
    """Bands inside the area within each distance (metres) of its boundary.

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).
    distances : sequence of float
        Band widths, metres from the boundary (default 250, 500, 1000 m).

    Returns
    -------
    GeoDataFrame
        One row per distance: ``distance_m, area_km2, area_share`` (share of
        the area) and the band's polygon.
    """
    line = boundary_line(area)
    rows = []
    for d in distances:
        zone = area.geometry.intersection(line.buffer(d))
        rows.append({"distance_m": float(d), "area_km2": zone.area / 1e6,
                     "area_share": zone.area / area.geometry.area, "geometry": zone})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=area.crs)


def within_distances(line: BaseGeometry, x: np.ndarray, y: np.ndarray, distances: Sequence[float], *,
                     spacing: float = 5.0, margin: float = 0.01) -> dict[float, np.ndarray]:
    """Whether each point lies within each distance of ``line``: exactly
    ``shapely.distance(line, point) <= distance``, without measuring every
    point's distance to every segment.

    The nearest of points placed along the line at most ``spacing`` apart
    (a KD-tree) bounds each point's distance ``d`` to the line:
    ``near - spacing / 2 <= d <= near``. That settles every point more than
    ``margin`` from a cut-off; the few left are measured with
    :func:`shapely.distance` (a 1,700-vertex borough boundary and 34 k
    points: ~0.03 s instead of ~0.5-2 s).

    Parameters
    ----------
    line : shapely geometry
        The lines (e.g. :func:`boundary_line`), metres.
    x, y : ndarray
        Point coordinates, metres in the line's CRS.
    distances : sequence of float
        Cut-offs, metres.
    spacing : float
        Largest gap between the points placed along the line, metres.
    margin : float
        Metres beyond the bounds (for rounding) where the distance is measured.

    Returns
    -------
    dict of float to ndarray of bool
        Cut-off -> one flag per point.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    distances = [float(d) for d in distances]
    along = shapely.get_coordinates(shapely.segmentize(line, spacing))
    # a sliding-midpoint tree suits points strung along lines; a point farther than every cut-off is inf
    tree = cKDTree(along, balanced_tree=False, compact_nodes=False)
    reach = max(distances, default=0.0) + spacing + margin
    near = tree.query(np.column_stack([x, y]), distance_upper_bound=reach)[0] if len(x) else np.zeros(0)
    out = {}
    for d in distances:
        flags = near <= d - margin
        unsure = np.flatnonzero(~flags & (near - spacing / 2 <= d + margin))
        flags[unsure] = shapely.distance(line, shapely.points(x[unsure], y[unsure])) <= d
        out[d] = flags
    return out


def border_concentration(incidents: gpd.GeoDataFrame, area: Area, distances: Sequence[float] = ZONE_DISTANCES,
                         by_month: bool = True, *, zones: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Share of incidents near the boundary against the share of area.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents (working CRS, metres) with ``occurred``; those outside the
        area are left out.
    area : Area
        The study area.
    distances : sequence of float
        Band widths, metres from the boundary (default 250, 500, 1000 m).
    by_month : bool
        Also give one set of rows per calendar month (default True).
    zones : GeoDataFrame, optional
        :func:`border_zones` of ``area`` and ``distances``, when the caller
        has them (made here otherwise).

    Returns
    -------
    DataFrame
        One row per (month, distance) plus ``month="all"`` rows: ``incidents``,
        ``in_zone``, ``incident_share``, ``area_share``, ``ratio``
        (incident share / area share; above 1 means burglary concentrates
        near the border).
    """
    if zones is None:
        zones = border_zones(area, distances)
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()
    inside = shapely.intersects_xy(area.geometry, x, y)
    near = within_distances(boundary_line(area), x[inside], y[inside], zones["distance_m"])
    occ = incidents["occurred"].to_numpy()[inside]
    month = pd.DatetimeIndex(occ).to_period("M").astype(str)
    rows = []
    groups = [("all", np.ones(len(occ), bool))]
    if by_month:
        groups += [(m, month == m) for m in sorted(set(month))]
    for label, sel in groups:
        n = int(sel.sum())
        for z in zones.itertuples():
            k = int(near[z.distance_m][sel].sum())
            share = k / n if n else np.nan
            rows.append({"month": label, "distance_m": z.distance_m, "incidents": n, "in_zone": k,
                         "incident_share": share, "area_share": z.area_share,
                         "ratio": share / z.area_share if n else np.nan})
    return pd.DataFrame(rows)


def density_by_neighbour(inside: gpd.GeoDataFrame, outside: gpd.GeoDataFrame, area: Area,
                         neighbours: gpd.GeoDataFrame, *, name_column: str | None = None, strip: float = 1000.0,
                         tolerance: float = 50.0, min_density: float = 1.0) -> pd.DataFrame:
    """Burglary density either side of the boundary, neighbour by neighbour.

    For each neighbour, the shared boundary is the part of the area's
    boundary within ``tolerance`` metres of it; the inside strip is the area
    within ``strip`` metres of that boundary, the outside strip the same in
    the neighbour. Densities are incidents per km^2 per year over the months
    present in *both* inputs (the fringe data usually covers fewer months).
    A neighbour whose outside data look absent (fewer than ``min_density``
    incidents per km^2 per year near the border, e.g. another police force
    whose data are not loaded) gets NaN outside, not zero.

    Parameters
    ----------
    inside : GeoDataFrame
        The area's incidents (working CRS, metres) with ``occurred``.
    outside : GeoDataFrame
        Incidents beyond the boundary, same CRS.
    area : Area
        The study area.
    neighbours : GeoDataFrame
        Neighbouring areas' polygons (any CRS; reprojected to the area's).
    name_column : str, optional
        Column naming each neighbour (default: the first column with "name"
        in its name, else the first column).
    strip : float
        Width of the strip on each side of the shared boundary (metres,
        default 1000 m).
    tolerance : float
        Distance in metres (default 50 m) within which the area's boundary
        counts as shared with a neighbour (boundary layers are generalised).
    min_density : float
        Density (incidents per km² per year, default 1) near the border
        below which the outside data are taken as missing.

    Returns
    -------
    DataFrame
        One row per neighbour: ``neighbour, shared_boundary_km, inside_km2,
        inside_incidents, inside_density, outside_km2, outside_incidents,
        outside_density, months, ratio_outside_inside`` (densities per km²
        per year; NaN outside where data are missing).
    """
    if inside.crs is None or outside.crs is None or not inside.crs.equals(outside.crs):
        raise CRSError("inside and outside incidents must share one CRS (read both with the same area)")
    col = name_column or next((c for c in neighbours.columns if "name" in c.lower()), neighbours.columns[0])
    # each frame's months once, compared as a few distinct values (not a set of every row's Period)
    period_in, period_out = inside["occurred"].dt.to_period("M"), outside["occurred"].dt.to_period("M")
    common = sorted(set(period_in.unique()) & set(period_out.unique()))
    years = len(common) / 12.0
    sel_in = inside[period_in.isin(common)]
    sel_out = outside[period_out.isin(common)]
    x_in, y_in = sel_in.geometry.x.to_numpy(), sel_in.geometry.y.to_numpy()
    x_out, y_out = sel_out.geometry.x.to_numpy(), sel_out.geometry.y.to_numpy()
    line = boundary_line(area)
    rows = []
    nb = neighbours.to_crs(area.crs)
    # the same for every neighbour: buffered once (each is ~0.02-0.05 s on a borough)
    near_line, reach = (area.geometry.buffer(200), area.geometry.buffer(strip + 2000)) if len(nb) else (None, None)
    for _, r in nb.iterrows():
        shared = line.intersection(r.geometry.buffer(tolerance))
        if shared.is_empty or shared.length < 1:
            continue
        band = shared.buffer(strip)
        zin = area.geometry.intersection(band)
        zout = r.geometry.difference(area.geometry).intersection(band)
        n_in = int(shapely.intersects_xy(zin, x_in, y_in).sum())
        pts_out = shapely.intersects_xy(zout, x_out, y_out)
        n_out = int(pts_out.sum())
        # no outside incident in this neighbour clear of the (generalised)
        # boundary: its data are missing (e.g. another police force), not zero
        # (police.uk forces record the odd crime over their border, so "any
        # incident" is not enough: ask for 1 per km^2 per year in the band)
        clear = r.geometry.difference(near_line).intersection(reach)
        n_clear = int(shapely.intersects_xy(clear, x_out, y_out).sum())
        has_out = bool(years) and clear.area > 0 and n_clear / (clear.area / 1e6) / years >= min_density
        rows.append({
            "neighbour": r[col], "shared_boundary_km": shared.length / 1000,
            "inside_km2": zin.area / 1e6, "inside_incidents": n_in,
            "inside_density": n_in / (zin.area / 1e6) / years if years and zin.area else np.nan,
            "outside_km2": zout.area / 1e6, "outside_incidents": n_out if has_out else np.nan,
            "outside_density": (n_out / (zout.area / 1e6) / years) if years and zout.area and has_out else np.nan,
            "months": len(common),
        })
    df = pd.DataFrame(rows, columns=["neighbour", "shared_boundary_km", "inside_km2", "inside_incidents",
                                     "inside_density", "outside_km2", "outside_incidents", "outside_density", "months"])
    df["ratio_outside_inside"] = df["outside_density"] / df["inside_density"]
    return df


def neighbours_without_data(inside: gpd.GeoDataFrame, outside: gpd.GeoDataFrame, area: Area,
                            neighbours: gpd.GeoDataFrame) -> list[str]:
    """The neighbours whose data look absent by :func:`density_by_neighbour`'s
    rule (fewer than 1 incident per km² per year clear of the boundary): the
    cross-border stage's verdict, which a few stray records along the line
    (another force recording the odd crime over its border) cannot overturn.

    Parameters
    ----------
    inside : GeoDataFrame
        The area's incidents (working CRS, metres) with ``occurred``.
    outside : GeoDataFrame
        Incidents beyond the boundary (same CRS), e.g. a context's incidents.
    area : Area
        The study area.
    neighbours : GeoDataFrame
        Polygons of the areas across the boundary.

    Returns
    -------
    list of str
        Names of the neighbours without data.
    """
    if neighbours is None or not len(neighbours) or not len(inside) or not len(outside):
        return []
    col = next((c for c in neighbours.columns if "name" in c.lower() and neighbours[c].dtype == object), None)
    dens = density_by_neighbour(inside, outside, area, neighbours, name_column=col)
    return dens.loc[dens["outside_density"].isna(), "neighbour"].astype(str).tolist()


# --------------------------------------------------------------------------- roads


def read_roads(path: str | Path, crs: CRS | int | str) -> gpd.GeoDataFrame:
    """A road layer as lines in ``crs`` with a ``road`` name column.

    GeoJSON/GeoPackage/Shapefile lines are read as they are; an
    OpenStreetMap XML extract (``.osm``, ``.osm.bz2``, ``.xml``) is read with
    osmnx into its street edges.

    Parameters
    ----------
    path : str or Path
        The road file.
    crs : pyproj.CRS, int or str
        The working CRS (metres) to project the lines to.

    Returns
    -------
    GeoDataFrame
        Line features in ``crs`` with a ``road`` column (ref, name, bus
        route or "unnamed road").
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: road file not found")
    name = path.name.lower()
    if name.endswith((".osm", ".osm.bz2", ".xml")):
        import osmnx as ox

        G = ox.graph_from_xml(path, simplify=True, retain_all=True)
        gdf = ox.graph_to_gdfs(G, nodes=False).reset_index(drop=True)
    else:
        gdf = gpd.read_file(path, engine="pyogrio")
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise InputFileError(f"{path}: not a line layer (no geometry); give GeoJSON/GPKG lines or an OSM XML file")
    if gdf.crs is None:
        raise CRSError(f"{path}: road layer has no CRS")
    gdf = gdf[gdf.geom_type.isin(["LineString", "MultiLineString"])].to_crs(crs)
    if gdf.empty:
        raise InputFileError(f"{path}: no line features")
    gdf["road"] = _road_names(gdf)
    gdf.attrs["source"] = str(path)  # what a plan resting on it must say of it (places.layer_caveats)
    return gdf


def _road_names(gdf: gpd.GeoDataFrame) -> pd.Series:
    def pick(v):
        if isinstance(v, list):
            v = v[0] if v else None
        return None if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else str(v)

    out = pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    for c in ("ref", "name", "road", "line", "highway"):
        if c in gdf.columns:
            vals = gdf[c].map(pick)
            if c == "line":
                vals = vals.map(lambda v: f"bus route {v}" if v else None)
            out = out.where(out.notna(), vals)
    return out.fillna("unnamed road")


def road_crossings(area: Area, layers: dict[str, gpd.GeoDataFrame], *, merge_distance: float = 60.0,
                   red_routes: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Points where roads cross the area's boundary, near-duplicates merged.

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).
    layers : dict
        Source name -> line layer (in the area's CRS) with a ``road`` column.
    merge_distance : float
        Crossings closer than this (metres) are one crossing: the two
        carriageways of a road, or several bus routes on one street.
    red_routes : GeoDataFrame, optional
        Polygons of the red-route (TLRN) network; crossings within 30 m are
        tagged ``red_route``.

    Returns
    -------
    GeoDataFrame
        ``crossing_id, road, roads (all names), sources, n_lines,
        red_route``, point geometry on the boundary.
    """
    line = boundary_line(area)
    pts, names, srcs = [], [], []
    for src, gdf in layers.items():
        if gdf.crs is None or not gdf.crs.equals(area.crs):
            raise CRSError(f"road layer {src!r} is not in the area's CRS")
        hits = gdf.geometry.intersection(line)
        for geom, road in zip(hits, gdf["road"]):
            if geom.is_empty:
                continue
            for p in shapely.get_parts(shapely.extract_unique_points(geom)):
                pts.append(p)
                names.append(road)
                srcs.append(src)
    cols = ["crossing_id", "road", "roads", "sources", "n_lines", "red_route"]
    if not pts:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=area.crs), crs=area.crs)
    xy = np.array([(p.x, p.y) for p in pts])
    pairs = cKDTree(xy).query_pairs(merge_distance, output_type="ndarray")
    from scipy.sparse import coo_matrix

    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy), len(xy))) if len(pairs) else \
        coo_matrix((len(xy), len(xy)))
    _, label = connected_components(g, directed=False)
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "road": names, "source": srcs, "label": label})
    rows = []
    for _, grp in df.groupby("label", sort=False):
        # prefer a named road over a bus-route label, the commonest name first
        named = grp[~grp["road"].str.startswith(("bus route", "unnamed"))]["road"]
        road = named.mode().iloc[0] if len(named) else grp["road"].mode().iloc[0]
        cx, cy = grp["x"].mean(), grp["y"].mean()
        p = shapely.Point(cx, cy)
        snapped = line.interpolate(line.project(p))  # keep the merged point on the boundary
        rows.append({"road": road, "roads": ", ".join(sorted(set(grp["road"]))),
                     "sources": ", ".join(sorted(set(grp["source"]))), "n_lines": len(grp), "geometry": snapped})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=area.crs)
    out["red_route"] = False
    if red_routes is not None and len(red_routes):
        rr = red_routes.to_crs(area.crs).geometry.buffer(30).union_all()
        out["red_route"] = out.geometry.intersects(rr)
    out.insert(0, "crossing_id", [f"X{k + 1:03d}" for k in range(len(out))])
    return out


def count_point_flows(points: gpd.GeoDataFrame, counts: pd.DataFrame) -> gpd.GeoDataFrame:
    """DfT count points with their latest counted flow (vehicles in the
    08:00-09:00 hour: two-wheelers, cars, buses, vans and lorries; pedal
    cycles excluded) and its year.

    Parameters
    ----------
    points : GeoDataFrame
        DfT count points with a ``cp`` id column.
    counts : DataFrame
        DfT counts with ``cp``, ``year`` and vehicle columns (``2wmv``, ``car``,
        ``bus``, ``lgv``, ``hgv_total``).

    Returns
    -------
    GeoDataFrame
        ``points`` with ``year`` and ``flow`` (vehicles in the counted hour;
        NaN where a point has no count).
    """
    vehicles = [c for c in ("2wmv", "car", "bus", "lgv", "hgv_total") if c in counts.columns]
    if not vehicles or "cp" not in counts.columns:
        raise InputFileError("traffic counts need a 'cp' column and vehicle columns (car, lgv, ...)")
    c = counts.copy()
    c["flow"] = c[vehicles].sum(axis=1)
    latest = c.sort_values("year").groupby("cp").tail(1)[["cp", "year", "flow"]]
    out = points.merge(latest, on="cp", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=points.crs)


def attach_flows(crossings: gpd.GeoDataFrame, count_points: gpd.GeoDataFrame, *, max_distance: float = 300.0,
                 same_road_distance: float = 5000.0) -> gpd.GeoDataFrame:
    """Give each crossing a counted flow: from the nearest count point *on
    the same road* (same name or number) within ``same_road_distance``
    metres (motorways are counted between junctions, kilometres apart), else
    from the nearest count point within ``max_distance``.
    ``flow_source`` says which ("same road", "nearest" or "none").

    Parameters
    ----------
    crossings : GeoDataFrame
        From :func:`road_crossings` (``road``, optionally ``roads``).
    count_points : GeoDataFrame
        From :func:`count_point_flows` (``cp``, ``flow``, optionally ``road``).
    max_distance : float
        Farthest any count point may be, metres (default 300 m).
    same_road_distance : float
        Farthest a count point on the same road may be, metres (default 5000 m).

    Returns
    -------
    GeoDataFrame
        ``crossings`` with ``flow, count_point, count_road, flow_distance_m,
        flow_source``.
    """
    out = crossings.copy()
    cp = count_points[count_points["flow"].notna()].to_crs(crossings.crs)
    out["flow"], out["count_point"], out["count_road"], out["flow_distance_m"] = np.nan, None, None, np.nan
    out["flow_source"] = "none"
    if not len(cp) or not len(out):
        return out
    cxy = np.c_[cp.geometry.x, cp.geometry.y]
    croad = cp["road"].astype(str).str.upper().to_numpy() if "road" in cp else np.full(len(cp), "")
    tree = cKDTree(cxy)
    for k, (x, y, road) in enumerate(zip(out.geometry.x, out.geometry.y, out["road"])):
        names = {n.strip().upper() for n in str(out["roads"].iloc[k] if "roads" in out else road).split(",")} | {str(road).upper()}
        same = np.flatnonzero(np.isin(croad, list(names)))
        pick, how = None, None
        if len(same):
            d = np.hypot(cxy[same, 0] - x, cxy[same, 1] - y)
            if d.min() <= same_road_distance:
                pick, how = same[np.argmin(d)], "same road"
        if pick is None:
            d, j = tree.query([x, y])
            if d <= max_distance:
                pick, how = j, "nearest"
        if pick is not None:
            idx = out.index[k]
            out.loc[idx, ["flow", "count_point", "count_road", "flow_distance_m", "flow_source"]] = [
                float(cp["flow"].iloc[pick]), str(cp["cp"].iloc[pick]), str(cp["road"].iloc[pick]) if "road" in cp else None,
                float(np.hypot(cxy[pick, 0] - x, cxy[pick, 1] - y)), how]
            if str(out.loc[idx, "road"]).startswith(("bus route", "unnamed")) and "road" in cp:
                out.loc[idx, "road"] = str(cp["road"].iloc[pick])  # a counted road name beats a bus-route label
    return out


# --------------------------------------------------------------------------- the `crossborder` command's figures
@dataclass
class BorderFigures:
    """Burglary near the boundary and density either side, as the
    ``crossborder`` command reports them.

    Attributes
    ----------
    area : str
        The area's name.
    concentration : DataFrame
        :func:`border_concentration` by month, with the ``month == "all"`` rows.
    density : DataFrame or None
        :func:`density_by_neighbour` (None without incidents beyond the boundary).
    strip_m : float
        Strip width either side of the boundary, metres.
    """

    area: str
    concentration: pd.DataFrame
    density: pd.DataFrame | None
    strip_m: float

    @property
    def overall(self) -> pd.DataFrame:
        """The concentration over the whole period, one row per zone."""
        return self.concentration[self.concentration["month"] == "all"]

    def to_json(self) -> dict:
        """The ``crossborder --json`` object: zones, monthly figures and neighbours.

        Returns
        -------
        dict
        """
        c, o = self.concentration, self.overall
        zones = zip(o["distance_m"].tolist(), o["incident_share"].tolist(), o["area_share"].tolist(),
                    o["ratio"].tolist())  # Python numbers, as itertuples gives them
        return {"area": self.area,
                "zones": [{"distance_m": d, "incident_share": round(i, 4), "area_share": round(a, 4),
                           "ratio": round(r, 3)} for d, i, a, r in zones],
                "monthly": c[c["month"] != "all"].round(4).to_dict(orient="records"),
                "neighbours": [] if self.density is None else
                self.density.round(3).replace({np.nan: None}).to_dict(orient="records")}


def border_figures(inside: gpd.GeoDataFrame, area: Area, *, outside: gpd.GeoDataFrame | None = None,
                   neighbours: gpd.GeoDataFrame | None = None, strip: float = 1000.0) -> BorderFigures:
    """The ``crossborder`` command's figures.

    Parameters
    ----------
    inside : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area.
    outside : GeoDataFrame, optional
        Incidents beyond the boundary (any CRS; reprojected to the area's).
    neighbours : GeoDataFrame, optional
        Layer of the areas across the boundary (default: the area's own layer).
    strip : float
        Strip width either side of the boundary, metres.

    Returns
    -------
    BorderFigures
    """
    conc = border_concentration(inside, area)
    dens = None
    if outside is not None:
        dens = density_by_neighbour(inside, outside.to_crs(area.crs), area, area.neighbours(neighbours), strip=strip)
    return BorderFigures(area.name, conc, dens, strip)
