"""The drop list: the postcodes to drop in each target unit, highest risk
first, with their leaflets and timer switches (:func:`drop_list`); the
street names of each target (:func:`unit_streets`); and why a target has no
postcode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:  # annotations only
    from ..kde import Surface


def _postcode_gap_note(targets: gpd.GeoDataFrame, postcodes: gpd.GeoDataFrame, n_none: int) -> str:
    """Why target units have no postcode: the layer stops short of them (its
    points' hull, 500 m out), or they hold none (non-residential units)."""
    hull = shapely.convex_hull(shapely.union_all(postcodes.to_crs(targets.crs).geometry.to_numpy())).buffer(500)
    outside = int((~targets.geometry.centroid.within(hull)).sum())
    note = f"{n_none} target units have no postcode of the postcode layer inside them"
    if outside:
        note += (f"; {outside} of them lie beyond the postcode layer, which covers only part of the area: give "
                 "--postcodes covering the whole area for their drop lists")
    return note


def _split_exact(total: int, n: int) -> np.ndarray:
    """``total`` split over ``n`` parts as evenly as possible, summing exactly."""
    if n == 0:
        return np.zeros(0, int)
    base = np.full(n, total // n)
    base[: total - base.sum()] += 1
    return base


def drop_list(targets: gpd.GeoDataFrame, postcodes: gpd.GeoDataFrame, *, incidents: gpd.GeoDataFrame,
              surface: Surface | None = None, radius: float = 100.0, months: int = 12) -> pd.DataFrame:
    """Postcode units to drop in each target, highest risk first.

    Risk of a postcode: the forecast surface at its cell when a surface is
    given, else the recent burglaries (last ``months`` months) within
    ``radius`` metres. Households per postcode come from the layer when it
    has them, else the unit's households split evenly over its postcodes
    (Code-Point Open has no address counts; ``households_basis`` says which).
    Each target's leaflets and timer switches go to its postcodes in risk
    order, the last one partly, so they sum exactly to the target's.

    Parameters
    ----------
    targets : GeoDataFrame
        The plan's targets (``rank``, ``unit``, ``name``, ``households``,
        ``leaflets``, ``timer_switches``, polygons).
    postcodes : GeoDataFrame
        Postcode points with ``postcode`` (and ``households`` if known).
    incidents : GeoDataFrame
        The area's burglaries (``occurred``): postcode risk without a
        surface.
    surface : Surface, optional
        Forecast surface (a postcode's risk is its cell's value).
    radius : float
        Search radius in metres (default 100 m): without a surface, the
        burglaries this close to a postcode are its risk.
    months : int
        Without a surface, the recent window counted, months (default 12).

    Returns
    -------
    DataFrame
        ``target_rank, unit, unit_name, drop_order, postcode, households,
        households_basis, leaflets, timer_switches, risk``.
    """
    pc = postcodes.to_crs(targets.crs)
    if len(targets):  # only postcodes within the targets' extent can be dropped (a city-wide layer is 187k points)
        x0, y0, x1, y1 = targets.total_bounds
        pc = pc.cx[x0:x1, y0:y1]
    px, py = pc.geometry.x.to_numpy(), pc.geometry.y.to_numpy()
    if surface is not None:
        row, col, ok = surface.grid.index(px, py)
        risk = np.zeros(len(pc))
        risk[ok] = np.where(surface.mask[row[ok], col[ok]], surface.values[row[ok], col[ok]], 0.0)
        basis_risk = "forecast"
    else:
        end = incidents["occurred"].max().to_period("M")
        recent = incidents[incidents["occurred"].dt.to_period("M") > end - months]
        from scipy.spatial import cKDTree

        tree = cKDTree(np.c_[recent.geometry.x, recent.geometry.y]) if len(recent) else None
        risk = np.array([len(v) for v in tree.query_ball_point(np.c_[px, py], radius)], float) if tree else np.zeros(len(pc))
        basis_risk = "recent burglaries"
    rows = []
    has_hh = "households" in pc and pc["households"].notna().any()
    for t in targets.itertuples():
        inside = np.flatnonzero(shapely.contains_xy(t.geometry, px, py))
        if not len(inside):
            continue
        order = inside[np.lexsort((pc["postcode"].to_numpy()[inside], -risk[inside]))]
        if has_hh:
            hh = pc["households"].to_numpy()[order]
            hh = np.nan_to_num(hh).astype(int)
            basis = "postcode layer"
        else:
            hh = _split_exact(int(t.households), len(order))
            basis = f"even split of {int(t.households):,} households over {len(order)} postcodes"
        cum = np.cumsum(hh) - hh
        lf = np.clip(int(t.leaflets) - cum, 0, hh)
        ts = np.clip(int(t.timer_switches) - cum, 0, hh)
        for k, j in enumerate(order):
            if lf[k] <= 0 and ts[k] <= 0:
                continue
            rows.append({"target_rank": int(t.rank), "unit": str(t.unit), "unit_name": str(t.name),
                         "drop_order": k + 1, "postcode": str(pc["postcode"].iloc[j]), "households": int(hh[k]),
                         "households_basis": basis, "leaflets": int(lf[k]), "timer_switches": int(ts[k]),
                         "risk": float(risk[j]), "risk_basis": basis_risk})
    return pd.DataFrame(rows, columns=["target_rank", "unit", "unit_name", "drop_order", "postcode", "households",
                                       "households_basis", "leaflets", "timer_switches", "risk", "risk_basis"])


def unit_streets(targets: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *, top: int = 8) -> list[list[str]]:
    """Street names of each target, from its incidents' location text
    (police.uk "On or near X" -> X), commonest first; no counts (a street
    name with a count could point at a victim).

    Parameters
    ----------
    targets : GeoDataFrame
        Target polygons (same CRS as ``incidents``).
    incidents : GeoDataFrame
        Burglaries with ``location_text``; without that column every target
        gets an empty list.
    top : int
        Most street names per target (default 8).

    Returns
    -------
    list of list of str
        One list per target, in the order of ``targets``.
    """
    from ..nanobeats.describe import street_name

    if "location_text" not in incidents or not len(targets):
        return [[] for _ in range(len(targets))]
    loc = incidents["location_text"].fillna("").astype(str).to_numpy()
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()
    out = []
    for g in targets.geometry:
        inside = shapely.contains_xy(g, x, y)
        names = pd.Series([n for n in (street_name(v) for v in loc[inside] if v) if n], dtype=object)
        out.append(names.value_counts().head(top).index.tolist())
    return out
