"""Demand of the boundary crossings, and the candidate camera sites.

Demand (:func:`crossing_demand`)
--------------------------------
Each road crossing of the boundary is a demand point with weight

    demand = flow ** alpha * risk ** beta        (defaults alpha = beta = 1)

* ``flow`` - the counted vehicle flow at the crossing (AM-peak hour, from
  :func:`hotspot.crossborder.attach_flows`); a crossing with no count gets the
  median of the counted crossings (``flow_imputed`` is set);
* ``risk`` - burglary near the route inside the area: the roads through the
  crossing are followed ``along`` metres (1.5 km) into the area and the
  burglary risk within ``corridor`` metres (250 m) of them is summed, from a
  hotspot surface when one is given, else from recent incident counts.

Candidate sites (:func:`candidate_sites`): every crossing, plus the traffic
count points just inside the boundary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .._errors import ModelError
from ..areas import Area

if TYPE_CHECKING:
    from ..kde import Surface


#: Camera demand: metres each crossing route is followed, and the corridor
#: half-width round it (metres): burglary within that reach counts.
ALONG_M = 1500.0
CORRIDOR_M = 250.0


def route_corridors(crossings: gpd.GeoDataFrame, roads: list[gpd.GeoDataFrame], area: Area, *, along: float = 1500.0,
                    corridor: float = 250.0, snap: float = 60.0, side: str = "inside") -> list[BaseGeometry]:
    """For each crossing, the corridor of ``corridor`` metres round the roads
    through it, followed ``along`` metres into the area (``side="inside"``)
    or into the neighbour across the boundary (``side="outside"``); a disc
    of ``along / 2`` on that side when no road line passes within ``snap``
    metres.

    Parameters
    ----------
    crossings : GeoDataFrame
        Crossing points on the boundary (working CRS, metres).
    roads : list of GeoDataFrame
        Road line layers in the area's CRS.
    area : Area
        The study area.
    along : float
        How far the roads are followed from the crossing, metres (default 1500 m).
    corridor : float
        Half-width of the corridor round the followed roads, metres (default 250 m).
    snap : float
        Snap distance in metres (default 60 m); a road line passing nearer
        the crossing is followed.
    side : {"inside", "outside"}
        Follow the roads into the area or into the neighbour.

    Returns
    -------
    list of shapely geometry
        One corridor polygon per crossing (possibly empty).
    """
    lines = pd.concat([r[["geometry"]] for r in roads], ignore_index=True) if roads else None
    if lines is not None and len(lines):
        lines = gpd.GeoDataFrame(lines, geometry="geometry", crs=area.crs)
        tree = lines.sindex
    out = []
    for p in crossings.geometry:
        near = p.buffer(along)
        if side not in ("inside", "outside"):
            raise ValueError(f"side must be 'inside' or 'outside', got {side!r}")
        side_region = area.geometry.intersection(near) if side == "inside" else near.difference(area.geometry)
        geom = None
        if lines is not None and len(lines):
            idx = tree.query(p, predicate="dwithin", distance=snap)
            if len(idx):
                part = shapely.union_all(lines.geometry.iloc[idx].to_numpy()).intersection(side_region)
                if not part.is_empty:
                    # the same band as part.buffer(corridor), ~35x faster: GEOS buffers a union of many
                    # overlapping bus-route lines slowly (0.4 s each in central London), each part quickly
                    band = shapely.union_all(shapely.buffer(shapely.get_parts(part), corridor))
                    geom = band.intersection(area.geometry) if side == "inside" else band.difference(area.geometry)
        out.append(geom if geom is not None else side_region.intersection(p.buffer(along / 2)))
    return out


def crossing_demand(
    crossings: gpd.GeoDataFrame,
    area: Area,
    *,
    roads: list[gpd.GeoDataFrame] | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    surface: Surface | None = None,
    along: float = ALONG_M,
    corridor: float = CORRIDOR_M,
    alpha: float = 1.0,
    beta: float = 1.0,
    context: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Demand weight of each crossing (see the module doc for the formula).

    Parameters
    ----------
    crossings : GeoDataFrame
        From :func:`hotspot.crossborder.road_crossings` (+ ``attach_flows``).
    area : Area
        The study area (working CRS, metres).
    roads : list of GeoDataFrame, optional
        Line layers to follow into the area.
    incidents : GeoDataFrame, optional
        Recent incidents (risk = count in the corridor) when no surface.
    surface : Surface, optional
        Hotspot surface (risk = sum of cell values in the corridor).
    along, corridor : float
        Metres followed into the area, and corridor half-width.
    alpha, beta : float
        Exponents of flow and risk.
    context : GeoDataFrame, optional
        Burglaries across the boundary (:mod:`hotspot.context`): the route is
        followed ``along`` metres into the neighbour too, and the risk is the
        burglary count in both corridors (``risk_inside + risk_outside``).
        Counts on both sides keep one unit, so ``incidents`` are needed.

    Returns
    -------
    GeoDataFrame
        ``crossings`` with ``flow_imputed, flow_used, risk`` (and
        ``risk_inside, risk_outside`` with context), ``corridor_km2``,
        ``demand`` and ``demand_share``.
    """
    if surface is None and incidents is None:
        raise ModelError("demand needs burglary risk: give a hotspot surface or incidents")
    if context is not None and incidents is None:
        raise ModelError("demand from both sides of the boundary counts burglaries: give incidents with context")
    out = crossings.copy()
    flow = out["flow"].astype(float) if "flow" in out else pd.Series(np.nan, index=out.index)
    median = float(np.median(flow.dropna().to_numpy())) if flow.notna().any() else 1.0
    out["flow_imputed"] = flow.isna()
    out["flow_used"] = flow.fillna(median)
    zones = route_corridors(out, roads or [], area, along=along, corridor=corridor)
    if surface is not None and context is None:
        X, Y = surface.grid.centres()
        vals = np.where(surface.mask, surface.values, 0.0)
        risk = [float(vals[shapely.contains_xy(z, X, Y)].sum()) if not z.is_empty else 0.0 for z in zones]
    else:
        risk = _count_in(zones, incidents)
    if context is not None:
        outside = route_corridors(out, roads or [], area, along=along, corridor=corridor, side="outside")
        out["risk_inside"] = risk
        out["risk_outside"] = _count_in(outside, context)
        risk = list(np.asarray(risk) + out["risk_outside"].to_numpy())
    out["risk"] = risk
    out["corridor_km2"] = [z.area / 1e6 for z in zones]
    out["demand"] = out["flow_used"] ** alpha * np.asarray(risk) ** beta
    total = out["demand"].sum()
    out["demand_share"] = out["demand"] / total if total > 0 else 0.0
    return out


def _count_in(zones: list[BaseGeometry], points: gpd.GeoDataFrame) -> list[float]:
    """Points inside each zone."""
    ix, iy = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    return [float(shapely.intersects_xy(z, ix, iy).sum()) if not z.is_empty else 0.0 for z in zones]


def candidate_sites(crossings: gpd.GeoDataFrame, count_points: gpd.GeoDataFrame | None, area: Area, *,
                    within: float = 1000.0) -> gpd.GeoDataFrame:
    """Candidate camera sites: every crossing, plus count points inside the
    area within ``within`` metres of its boundary.

    Parameters
    ----------
    crossings : GeoDataFrame
        Crossing points with ``crossing_id`` and ``road``.
    count_points : GeoDataFrame, optional
        DfT count points (``cp``, optionally ``road``); None for crossings only.
    area : Area
        The study area (working CRS, metres).
    within : float
        Reach into the area in metres (default 1000 m); count points
        farther from the boundary are left out.

    Returns
    -------
    GeoDataFrame
        ``site_id, kind ("crossing" or "count point"), road`` and the point.
    """
    rows = [{"site_id": f"C-{r.crossing_id}", "kind": "crossing", "road": r.road, "geometry": r.geometry}
            for r in crossings.itertuples()]
    if count_points is not None and len(count_points):
        cp = count_points.to_crs(area.crs)
        d = shapely.distance(area.geometry.boundary, cp.geometry.to_numpy())
        inside = cp.geometry.within(area.geometry).to_numpy()
        for r, keep in zip(cp.itertuples(), inside & (d <= within)):
            if keep:
                rows.append({"site_id": f"CP-{r.cp}", "kind": "count point", "road": getattr(r, "road", None),
                             "geometry": r.geometry})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=area.crs)
