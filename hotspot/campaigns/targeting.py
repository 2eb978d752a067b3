"""Unit targeting: expected burglaries per unit and the allocation of leaflets
and timer switches to units.

Expected burglaries
-------------------
A unit's expected burglaries over the next 12 months are its share of the
forecast surface (cell values summed over the cells whose centres fall in the
unit) times the area's burglaries in the last 12 months; with no surface,
the unit's own count in the last 12 months. Risk per 1,000 households =
expected / households x 1000.

Allocation rule (:func:`allocate`)
----------------------------------
One leaflet per household; a unit reached by leaflets reaches its expected
burglaries in proportion to the households that get one. Maximising the
expected burglaries reached with a fixed number of leaflets is then a
knapsack: with ``rule="partial"`` (default) units are filled in order of risk
per household and the last one gets a partial drop - which is optimal for the
fractional problem; with ``rule="whole"`` only whole units are dropped and the
0/1 knapsack is solved exactly (pulp/CBC). Timer switches go one per
household, to the highest-risk households first (risk per household order,
at most one per household), independently of the leaflets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import HotspotError
from ..crs import require_same_metric_crs

if TYPE_CHECKING:  # annotations only
    from ..kde import Surface


def expected_burglaries(units: gpd.GeoDataFrame, *, incidents: gpd.GeoDataFrame, surface: Surface | None = None,
                        months: int = 12) -> gpd.GeoDataFrame:
    """Expected burglaries per unit over the next 12 months and the risk per
    1,000 households (see the module doc).

    Parameters
    ----------
    units : GeoDataFrame
        Polygons with ``households`` (same metric CRS as ``incidents``).
    incidents : GeoDataFrame
        The area's burglaries (``occurred``); the last ``months`` months set
        the yearly total.
    surface : Surface, optional
        Forecast surface (each unit's share of it times the yearly total);
        without it, each unit's own recent count.
    months : int
        Length of the recent window, months (default 12); counts are
        scaled to a year.

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``expected_burglaries`` (per year),
        ``rate_per_1000_households`` (expected burglaries per 1,000
        households a year; 0 without households) and ``basis``.
    """
    require_same_metric_crs(units=units, incidents=incidents, surface=surface)
    end = incidents["occurred"].max().to_period("M")
    recent = incidents[incidents["occurred"].dt.to_period("M") > end - months]
    annual = len(recent) * 12.0 / months
    out = units.copy()
    geoms = out.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    if surface is not None:
        X, Y = surface.grid.centres()
        m = surface.mask & (surface.values > 0)
        pts = shapely.points(X[m], Y[m])
        vals = surface.values[m]
        pi, ui = tree.query(pts, predicate="within")
        mass = np.bincount(ui, weights=vals[pi], minlength=len(out))
        total = vals.sum()
        out["expected_burglaries"] = mass / total * annual if total > 0 else 0.0
        out["basis"] = f"forecast surface ({surface.meta.get('method', 'surface')})"
    else:
        pts = shapely.points(recent.geometry.x.to_numpy(), recent.geometry.y.to_numpy())
        pi, ui = tree.query(pts, predicate="within")
        out["expected_burglaries"] = np.bincount(ui, minlength=len(out)) * 12.0 / months
        out["basis"] = f"counts, last {months} months"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_1000_households"] = np.where(out["households"] > 0,
                                                   out["expected_burglaries"] / out["households"] * 1000, 0.0)
    return out


def allocate(units: pd.DataFrame, *, leaflets: int = 25_000, timer_switches: int = 3_000,
             rule: str = "partial") -> pd.DataFrame:
    """Leaflets and timer switches per unit (see the module doc for the rule).

    Parameters
    ----------
    units : DataFrame
        Units with ``households``, ``expected_burglaries`` and
        ``rate_per_1000_households`` (:func:`expected_burglaries`).
    leaflets : int
        Leaflet budget (one per household).
    timer_switches : int
        Timer-switch budget (one per household).
    rule : str
        ``"partial"`` (fill by risk, the last unit partly) or ``"whole"``
        (whole units only, exact 0/1 knapsack).

    Returns
    -------
    DataFrame
        ``units`` with ``leaflets``, ``timer_switches``,
        ``reached_by_leaflets`` and ``reached_by_switches`` (expected
        burglaries a year), sorted by risk rate.

    Raises
    ------
    HotspotError
        A negative budget or an unknown rule.
    """
    if leaflets < 0 or timer_switches < 0:
        raise HotspotError("budgets must not be negative")
    if rule not in ("partial", "whole"):
        raise HotspotError("rule must be 'partial' or 'whole'")
    u = units.sort_values(["rate_per_1000_households", "expected_burglaries"], ascending=False, kind="stable").copy()
    hh = u["households"].to_numpy(int)
    exp = u["expected_burglaries"].to_numpy(float)
    per_hh = np.where(hh > 0, exp / np.maximum(hh, 1), 0.0)
    if rule == "partial":
        cum = np.cumsum(hh)
        before = cum - hh
        given = np.clip(leaflets - before, 0, hh)
    else:
        given = _knapsack(hh, exp, leaflets)
    u["leaflets"] = given.astype(int)
    u["reached_by_leaflets"] = per_hh * given
    cum = np.cumsum(hh)
    switches = np.clip(timer_switches - (cum - hh), 0, hh)
    u["timer_switches"] = switches.astype(int)
    u["reached_by_switches"] = per_hh * switches
    return u


def _knapsack(weights: np.ndarray, values: np.ndarray, capacity: int) -> np.ndarray:
    """Whole-unit 0/1 knapsack, exact with CBC: households given per unit."""
    import pulp

    if capacity <= 0 or len(weights) == 0:
        return np.zeros(len(weights), int)
    prob = pulp.LpProblem("leaflets", pulp.LpMaximize)
    x = [pulp.LpVariable(f"u{i}", cat="Binary") for i in range(len(weights))]
    prob += pulp.lpSum(float(v) * xi for v, xi in zip(values, x))
    prob += pulp.lpSum(int(w) * xi for w, xi in zip(weights, x)) <= int(capacity)
    status = prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[status] != "Optimal":
        raise HotspotError(f"leaflet knapsack: solver status {pulp.LpStatus[status]}")
    return np.array([int(round(xi.value() or 0)) * w for xi, w in zip(x, weights)])
