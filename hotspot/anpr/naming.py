"""Naming the chosen sites so a highways engineer can find them
(:func:`describe_sites`): road number, street, postcode, the area across the
boundary and who runs the road.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..areas import Area

MOTORWAY_PATTERN = r"^\s*(?:A\d+\s*\(M\)|M\d+)"


def describe_sites(sites: gpd.GeoDataFrame, area: Area, *, postcodes: gpd.GeoDataFrame | None = None,
                   neighbours: gpd.GeoDataFrame | None = None, red_routes: gpd.GeoDataFrame | None = None,
                   count_points: gpd.GeoDataFrame | None = None, crossings: gpd.GeoDataFrame | None = None,
                   streets: gpd.GeoDataFrame | None = None, neighbour_within: float = 2000.0,
                   dft_within: float = 150.0, street_within: float = 200.0) -> gpd.GeoDataFrame:
    """Name each site so a highways engineer can find it.

    Adds ``road`` (the DfT road number where the layer's name is only a bus
    route, the bus route kept in ``via``), ``postcode`` and ``postcode_m``
    (nearest postcode unit and its distance, metres), ``neighbour`` (the
    area across the boundary: nearest neighbouring polygon within
    ``neighbour_within`` metres) and ``owner`` (who runs the road:
    ``motorway`` by its number or DfT class TM, ``red route (TLRN)`` inside
    the red-route polygons, else ``local highway authority``; ``unknown``
    when no red-route layer was given), and ``street``: the street name of
    the nearest named point within ``street_within`` metres (``streets`` from
    :func:`hotspot.places.street_points`, e.g. police.uk snap points), which
    names a bus-route or unnamed road on the ground.

    Parameters
    ----------
    sites : GeoDataFrame
        Chosen sites (points, the area's CRS) with ``road`` and ``site_id``.
    area : Area
        The study area (working CRS, metres).
    postcodes : GeoDataFrame, optional
        Postcode unit points (:func:`hotspot.places.read_postcodes`).
    neighbours : GeoDataFrame, optional
        Polygons across the boundary, with a name column.
    red_routes : GeoDataFrame, optional
        Red-route (TLRN) polygons; without them ``owner`` is "unknown".
    count_points : GeoDataFrame, optional
        DfT count points with ``road`` (and ``rcat``).
    crossings : GeoDataFrame, optional
        The crossings with ``count_road`` (from :func:`hotspot.crossborder.attach_flows`).
    streets : GeoDataFrame, optional
        Named street points.
    neighbour_within : float
        Farthest a neighbour may be to be named, metres (default 2000 m).
    dft_within : float
        Reach of a DfT count point in metres (default 150 m); a nearer one
        gives its road number.
    street_within : float
        Farthest a named street point may be, metres (default 200 m).

    Returns
    -------
    GeoDataFrame
        ``sites`` with ``road, via, street, postcode, postcode_m,
        neighbour, owner``.
    """
    from ..places import nearest_postcodes, nearest_streets

    out = sites.copy()
    if out.empty:
        for c in ("via", "street", "postcode", "postcode_m", "neighbour", "owner"):
            out[c] = pd.Series(dtype=object)
        return out
    x, y = out.geometry.x.to_numpy(), out.geometry.y.to_numpy()
    road = out["road"].astype(object).where(out["road"].notna(), None).tolist() if "road" in out else [None] * len(out)
    via: list = [None] * len(out)
    cp = None
    if count_points is not None and len(count_points) and "road" in count_points:
        cp = count_points.to_crs(area.crs)
        tree = cKDTree(np.c_[cp.geometry.x, cp.geometry.y])
        d, i = tree.query(np.c_[x, y])
        for k in range(len(out)):
            if (road[k] is None or str(road[k]).startswith(("bus route", "unnamed"))) and d[k] <= dft_within:
                via[k] = road[k]
                road[k] = str(cp["road"].iloc[i[k]])
    # a crossing already knows the road of its count point
    if crossings is not None and "count_road" in crossings and "site_id" in out:
        by_id = {f"C-{r.crossing_id}": r.count_road for r in crossings.itertuples()}
        for k, sid in enumerate(out["site_id"]):
            cr = by_id.get(sid)
            if cr and (road[k] is None or str(road[k]).startswith(("bus route", "unnamed"))):
                via[k], road[k] = road[k], str(cr)
    out["road"], out["via"] = road, via
    out["street"] = nearest_streets(x, y, streets, max_distance=street_within)
    pcs, pcd = nearest_postcodes(x, y, postcodes)
    out["postcode"], out["postcode_m"] = pcs, np.round(pcd, 0)
    names: list = [None] * len(out)
    if neighbours is not None and len(neighbours):
        nb = neighbours.to_crs(area.crs)
        col = next((c for c in nb.columns if "name" in c.lower()), None)
        geoms = nb.geometry.to_numpy()
        pts = shapely.points(x, y)
        dist = np.array([shapely.distance(geoms, p) for p in pts])  # sites x neighbours
        best = dist.argmin(axis=1)
        for k in range(len(out)):
            if dist[k, best[k]] <= neighbour_within:
                names[k] = str(nb[col].iloc[best[k]]) if col else str(nb.index[best[k]])
    out["neighbour"] = names
    owner = []
    red, red_here = None, False
    if red_routes is not None and len(red_routes):
        red_raw = shapely.union_all(red_routes.to_crs(area.crs).geometry.make_valid().to_numpy())
        red_here = red_raw.intersection(area.geometry).area > 0  # touching the boundary is not reaching in
        red = red_raw.buffer(30)
    rcat = None
    if cp is not None and "rcat" in cp:
        d, i = cKDTree(np.c_[cp.geometry.x, cp.geometry.y]).query(np.c_[x, y])
        rcat = [str(cp["rcat"].iloc[j]) if dj <= dft_within else None for j, dj in zip(i, d)]
    motorway = pd.Series([str(r or "") for r in road]).str.contains(MOTORWAY_PATTERN, regex=True).to_numpy()
    for k in range(len(out)):
        if motorway[k] or (rcat is not None and rcat[k] == "TM"):
            owner.append("motorway (national highways)")
        elif red is not None and red.intersects(shapely.Point(x[k], y[k])):
            owner.append("red route (TfL)")
        elif red is not None and red_here:
            owner.append("borough road")
        else:  # no layer, or one with no polygon in the area (the TLRN source lacks some boroughs)
            owner.append("unknown (no red-route layer)" if red_routes is None
                         else "unknown (no red-route data for the area)")
    out["owner"] = owner
    return out
