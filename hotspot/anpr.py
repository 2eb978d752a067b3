"""ANPR camera siting: cover the cross-border traffic that matters most.

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

Siting (:class:`CameraSiting`)
------------------------------
A camera covers the demand points within ``radius`` metres (500 m). Existing
cameras are fixed. :meth:`CameraSiting.solve` picks ``k`` new sites that
maximise covered demand - the maximal covering location problem (Church &
ReVelle 1974), solved exactly with pulp's CBC. The model is the one spopt's
``MCLP`` builds, built sparsely: spopt loops over every demand-candidate pair
in Python (56 s to build a 10,000 x 500 instance that CBC then solves in
0.7 s), so here demand already covered by existing cameras or out of reach is
dropped first, demand points with identical candidate sets are merged, and
only the non-zero coverage terms are written. The tests check the optimum
against brute force and against spopt.

:meth:`CameraSiting.install_order` ranks the chosen sites greedily (largest
marginal gain first: the order to install them in), :meth:`CameraSiting.greedy`
is the plain greedy heuristic (for the gap), and
:meth:`CameraSiting.min_cameras` is the partial set-covering problem: the
fewest new cameras that cover a target share of all demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from ._errors import ModelError
from .areas import Area
from .crs import require_same_metric_crs, to_lonlat

if TYPE_CHECKING:
    from .context import Context
    from .kde import Surface

# --------------------------------------------------------------------------- demand


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


# --------------------------------------------------------------------------- model


@dataclass
class SitingResult:
    """Result of :meth:`CameraSiting.solve`."""

    sites: gpd.GeoDataFrame
    k: int
    radius_m: float
    coverage_before: float
    coverage_after: float
    optimal: bool
    solver: str
    status: str
    greedy_coverage: float
    marginal: pd.DataFrame = field(repr=False)
    k_useful: int | None = None
    unused: list = field(default_factory=list)

    @property
    def k_asked(self) -> int:
        """New cameras asked for (``k``)."""
        return self.k

    @property
    def greedy_gap(self) -> float:
        """Optimal minus greedy coverage (share of total demand)."""
        return self.coverage_after - self.greedy_coverage

    def to_json(self) -> dict:
        """The JSON object of ``hotspot anpr --json``: the figures and one entry per site in install order."""
        s = self.sites.sort_values("install_order")
        return {
            "k": self.k, "radius_m": self.radius_m, "coverage_before": round(self.coverage_before, 6),
            "coverage_after": round(self.coverage_after, 6), "optimal": self.optimal, "solver": self.solver,
            "greedy_coverage": round(self.greedy_coverage, 6),
            "k_asked": self.k, "k_useful": len(self.sites) if self.k_useful is None else self.k_useful,
            "unused_sites": len(self.unused),
            "sites": [{"id": r.site_id, "lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
                       "road": None if r.road is None else str(r.road), "kind": r.kind,
                       "postcode": _text(getattr(r, "postcode", None)),
                       "neighbour": _text(getattr(r, "neighbour", None)),
                       "owner": _text(getattr(r, "owner", None)),
                       "via": _text(getattr(r, "via", None)), "street": _text(getattr(r, "street", None)),
                       "covered_demand": round(float(r.covered_demand), 6),
                       "traffic_camera_m": _metres(getattr(r, "traffic_camera_m", None)),
                       "marginal_gain": round(float(r.marginal_gain), 6), "install_order": int(r.install_order)}
                      for r in s.itertuples()],
        }


def _metres(v) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 1)


def _text(v) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


class CameraSiting:
    """Maximal covering location of new cameras, existing ones fixed.

    Build with :meth:`from_geodataframes`; then :meth:`solve`.
    """

    def __init__(self, demand_xy: np.ndarray, weights: np.ndarray, candidate_xy: np.ndarray,
                 existing_xy: np.ndarray | None = None, *, radius: float = 500.0):
        self.demand_xy = np.asarray(demand_xy, float).reshape(-1, 2)
        self.weights = np.asarray(weights, float)
        self.candidate_xy = np.asarray(candidate_xy, float).reshape(-1, 2)
        self.existing_xy = np.zeros((0, 2)) if existing_xy is None else np.asarray(existing_xy, float).reshape(-1, 2)
        self.radius = float(radius)
        #: The layers the model was built from (set by :meth:`from_geodataframes`), for naming the sites.
        self.candidates: gpd.GeoDataFrame | None = None
        self.demand: gpd.GeoDataFrame | None = None
        if len(self.candidate_xy) == 0:
            raise ModelError("no candidate sites")
        if len(self.weights) != len(self.demand_xy):
            raise ModelError("one weight per demand point")
        if np.any(self.weights < 0):
            raise ModelError("demand weights must not be negative")
        if self.radius <= 0:
            raise ModelError("the coverage radius of a camera (--radius) must be a positive number of metres")
        self.total = float(self.weights.sum())
        cand_tree = cKDTree(self.candidate_xy)
        self.covers = cand_tree.query_ball_point(self.demand_xy, self.radius)  # demand -> candidates
        if len(self.existing_xy):
            d, _ = cKDTree(self.existing_xy).query(self.demand_xy)
            self.pre_covered = d <= self.radius
        else:
            self.pre_covered = np.zeros(len(self.demand_xy), bool)
        self.before = float(self.weights[self.pre_covered].sum())
        # Reduced rows: coverable demand not already covered, merged by
        # identical candidate sets (same column in every constraint).
        merged: dict[tuple, float] = {}
        for i, lst in enumerate(self.covers):
            if self.pre_covered[i] or not lst or self.weights[i] == 0:
                continue
            key = tuple(sorted(lst))
            merged[key] = merged.get(key, 0.0) + self.weights[i]
        self.rows = list(merged)
        self.row_weights = np.array([merged[k] for k in self.rows])

    @classmethod
    def from_geodataframes(cls, demand: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame,
                           existing: gpd.GeoDataFrame | None = None, *, weight: str = "demand", radius: float = 500.0,
                           region: BaseGeometry | None = None, id_column: str = "site_id") -> "CameraSiting":
        """Build from layers in one CRS (metres).

        Parameters
        ----------
        demand : GeoDataFrame
            Demand points (e.g. from :func:`crossing_demand`).
        candidates : GeoDataFrame
            Candidate camera sites (points).
        existing : GeoDataFrame, optional
            Existing cameras, fixed (their cover is counted before any new one).
        weight : str
            Column of ``demand`` holding the weights (default ``"demand"``).
        radius : float
            A camera covers the demand points within this many metres (default 500 m).
        region : shapely geometry, optional
            Every candidate must lie in it (e.g. the area grown by 3 km).
        id_column : str
            Column naming the candidates in error messages.

        Returns
        -------
        CameraSiting

        Raises
        ------
        CRSError
            A layer without a CRS, in degrees, or in another CRS than the demand.
        ModelError
            No candidates, or candidates outside ``region`` (named).
        """
        require_same_metric_crs(demand=demand, candidates=candidates, existing_cameras=existing)
        if len(candidates) == 0:
            raise ModelError("no candidate sites")
        if region is not None:
            outside = ~candidates.geometry.intersects(region)
            if outside.any():
                ids = candidates.loc[outside, id_column].astype(str).tolist() if id_column in candidates else \
                    [str(i) for i in candidates.index[outside]]
                raise ModelError(f"{int(outside.sum())} candidate sites lie outside the study region: "
                                 f"{', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}")
        model = cls(np.c_[demand.geometry.x, demand.geometry.y], demand[weight].to_numpy(float),
                    np.c_[candidates.geometry.x, candidates.geometry.y],
                    None if existing is None or not len(existing) else np.c_[existing.geometry.x, existing.geometry.y],
                    radius=radius)
        model.candidates = candidates.reset_index(drop=True)
        model.demand = demand.reset_index(drop=True)
        return model

    # -- coverage helpers -----------------------------------------------------------
    def covered_weight(self, chosen: Iterable[int]) -> float:
        """Demand covered by existing cameras plus ``chosen`` candidates.

        Parameters
        ----------
        chosen : iterable of int
            Indices of the chosen candidates.

        Returns
        -------
        float
            Covered demand (in the demand's weight units).
        """
        picked = set(int(c) for c in chosen)
        extra = sum(w for key, w in zip(self.rows, self.row_weights) if picked.intersection(key))
        return self.before + float(extra)

    def _gains(self, chosen: set[int]) -> np.ndarray:
        gain = np.zeros(len(self.candidate_xy))
        for key, w in zip(self.rows, self.row_weights):
            if not chosen.intersection(key):
                for j in key:
                    gain[j] += w
        return gain

    def _check_k(self, k: int) -> int:
        """The cameras that can be placed: ``k``, or every candidate site when
        there are fewer (a camera per site at most; the result keeps the
        number asked for, ``k_asked``, beside the useful ones)."""
        if k < 1:
            raise ModelError(f"the number of new cameras (--cameras) must be at least 1, got {k}")
        return min(k, len(self.candidate_xy))

    # -- solvers --------------------------------------------------------------------
    def greedy(self, k: int) -> tuple[list[int], list[float]]:
        """Plain greedy: add the candidate with the largest marginal gain, k
        times (ties: lowest index).

        Parameters
        ----------
        k : int
            New cameras to place.

        Returns
        -------
        sites : list of int
            Candidate indices in the order added.
        gains : list of float
            Marginal demand each added.
        """
        chosen: list[int] = []
        gains = []
        for _ in range(self._check_k(k)):
            g = self._gains(set(chosen))
            g[chosen] = -1
            j = int(np.argmax(g))
            chosen.append(j)
            gains.append(float(max(g[j], 0.0)))
        return chosen, gains

    def install_order(self, sites: Iterable[int]) -> tuple[list[int], list[float]]:
        """Order given sites greedily by marginal gain (the install order).

        Parameters
        ----------
        sites : iterable of int
            Candidate indices to order.

        Returns
        -------
        order : list of int
            The sites, largest marginal gain first (ties: lowest index).
        gains : list of float
            Marginal demand of each once the earlier ones are installed.
        """
        left = [int(s) for s in sites]
        order: list[int] = []
        gains: list[float] = []
        chosen: set[int] = set()
        while left:
            g = self._gains(chosen)
            j = max(left, key=lambda s: (g[s], -s))
            order.append(j)
            gains.append(float(g[j]))
            chosen.add(j)
            left.remove(j)
        return order, gains

    def _problem(self, sense, name: str):
        prob = pulp.LpProblem(name, sense)
        x = {j: pulp.LpVariable(f"x_{j}", cat="Binary") for j in range(len(self.candidate_xy))}
        # y in [0, 1] needs no integrality: with x binary an optimum has y at 0 or 1
        y = [pulp.LpVariable(f"y_{r}", lowBound=0, upBound=1) for r in range(len(self.rows))]
        for r, key in enumerate(self.rows):
            prob += y[r] <= pulp.lpSum(x[j] for j in key), f"cover_{r}"
        return prob, x, y

    def solve(self, k: int = 20, *, time_limit: float | None = None, msg: bool = False) -> SitingResult:
        """Choose ``k`` new sites maximising covered demand (exact, CBC).

        Parameters
        ----------
        k : int
            New cameras to place (default 20).
        time_limit : float, optional
            Solver time limit, seconds (default none).
        msg : bool
            Show the solver's log.

        Returns
        -------
        SitingResult
            The useful sites in install order, coverage before and after, the
            greedy heuristic's coverage, and the sites that add nothing.
        """
        placed = self._check_k(k)
        prob, x, y = self._problem(pulp.LpMaximize, "mclp")
        prob += pulp.lpSum(w * y[r] for r, w in enumerate(self.row_weights))
        prob += pulp.lpSum(x.values()) == placed, "k_new_cameras"
        status = prob.solve(pulp.PULP_CBC_CMD(msg=msg, timeLimit=time_limit))
        status_name = pulp.LpStatus[status]
        if status_name not in ("Optimal",):
            raise ModelError(f"the solver stopped with status {status_name}")
        chosen = [j for j, v in x.items() if v.value() is not None and v.value() > 0.5]
        return self._result(chosen, k, optimal=prob.sol_status == pulp.LpSolutionOptimal, status=status_name)

    def min_cameras(self, share: float, *, msg: bool = False) -> tuple[int, list[int]]:
        """Fewest new cameras covering ``share`` of all demand (with the
        existing ones): a partial set-covering problem, exact with CBC.

        Parameters
        ----------
        share : float
            Target share of all demand (0-1].
        msg : bool
            Show the solver's log.

        Returns
        -------
        n : int
            Fewest new cameras (0 when existing cameras already reach it).
        sites : list of int
            The chosen candidate indices.
        """
        if not 0 < share <= 1:
            raise ModelError("target share must be in (0, 1]")
        need = share * self.total - self.before
        if need <= 1e-12:
            return 0, []
        reachable = self.before + self.row_weights.sum()
        if reachable < share * self.total - 1e-9:
            raise ModelError(f"no choice of sites reaches {share:.0%} of demand; the most is "
                             f"{reachable / self.total:.1%} with every candidate")
        prob, x, y = self._problem(pulp.LpMinimize, "partial_cover")
        prob += pulp.lpSum(x.values())
        prob += pulp.lpSum(w * y[r] for r, w in enumerate(self.row_weights)) >= need - 1e-9, "target"
        status = prob.solve(pulp.PULP_CBC_CMD(msg=msg))
        if pulp.LpStatus[status] != "Optimal":
            raise ModelError(f"the solver stopped with status {pulp.LpStatus[status]}")
        chosen = [j for j, v in x.items() if v.value() is not None and v.value() > 0.5]
        return len(chosen), chosen

    def _result(self, chosen: list[int], k: int, *, optimal: bool, status: str) -> SitingResult:
        order, gains = self.install_order(chosen)
        greedy_sites, _ = self.greedy(k)
        total = self.total if self.total > 0 else 1.0
        cands = getattr(self, "candidates", None)
        if cands is None:
            cands = gpd.GeoDataFrame({"site_id": [f"S{j}" for j in range(len(self.candidate_xy))], "road": None,
                                      "kind": "candidate"},
                                     geometry=gpd.points_from_xy(self.candidate_xy[:, 0], self.candidate_xy[:, 1]))
        # a site that adds nothing once the earlier ones are installed is not
        # worth a camera: never listed (k asked, k useful)
        eps = 1e-12 * max(self.total, 1.0)
        useful = [j for j, g in zip(order, gains) if g > eps]
        unused = [j for j, g in zip(order, gains) if g <= eps]
        gains = [g for g in gains if g > eps]
        order = useful
        sites = cands.iloc[order].copy()
        sites["install_order"] = np.arange(1, len(order) + 1)
        sites["marginal_gain"] = np.array(gains, float) / total
        alone = self._gains(set())
        sites["covered_demand"] = alone[order] / total
        sites["x"], sites["y"] = self.candidate_xy[order, 0], self.candidate_xy[order, 1]
        if sites.crs is not None:
            lon, lat = to_lonlat(sites["x"], sites["y"], sites.crs)
            sites["lon"], sites["lat"] = lon, lat
        else:
            sites["lon"], sites["lat"] = np.nan, np.nan
        for c in ("road", "kind"):
            if c not in sites:
                sites[c] = None
        marginal = sites[["install_order", "site_id", "road", "marginal_gain"]].copy()
        marginal["coverage_after"] = (self.before + np.cumsum(gains)) / total
        return SitingResult(sites=sites.reset_index(drop=True), k=k, radius_m=self.radius,
                            coverage_before=self.before / total, coverage_after=self.covered_weight(chosen) / total,
                            optimal=optimal, solver="CBC", status=status,
                            greedy_coverage=self.covered_weight(greedy_sites) / total, marginal=marginal,
                            k_useful=len(order), unused=[str(cands["site_id"].iloc[j]) if "site_id" in cands else str(j)
                                                         for j in unused])


# --------------------------------------------------------------------------- naming


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
    from .places import nearest_postcodes, nearest_streets

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


def boundary_covered(area: Area, road_layers: dict[str, gpd.GeoDataFrame], *, margin: float = 500.0) -> float:
    """Share of the area's boundary (by length) inside the extent of the
    road layers (each layer's bounding box grown by ``margin`` metres): a
    layer clipped to a box round one borough leaves the rest of another's
    boundary without crossings.

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).
    road_layers : dict of str to GeoDataFrame
        Road line layers by source name.
    margin : float
        Growth of each layer's bounding box, metres (default 500 m).

    Returns
    -------
    float
        Share of the boundary's length (0-1).
    """
    line = area.geometry.boundary
    if line.length == 0 or not road_layers:
        return 0.0
    boxes = [shapely.box(*g.total_bounds).buffer(margin, join_style="mitre") for g in road_layers.values() if len(g)]
    if not boxes:
        return 0.0
    return float(line.intersection(shapely.union_all(boxes)).length / line.length)


@dataclass
class ANPRPlan:
    """Everything :func:`plan_anpr` produced."""

    crossings: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame | None
    result: SitingResult
    min_cameras: dict
    notes: list[str]
    #: Share of the area's boundary the road layers reach (0-1): demand at
    #: crossings beyond it is not counted.
    boundary_share: float = 1.0
    #: Context incidents counted (:meth:`hotspot.context.Context.to_json`), if any.
    context: dict | None = None
    #: Cameras that are context, not cover (TfL JamCams: traffic CCTV that
    #: reads no number plate), shown beside the sites; None when not given.
    traffic_cameras: gpd.GeoDataFrame | None = None


def plan_anpr(
    area: Area,
    *,
    road_layers: dict[str, gpd.GeoDataFrame],
    incidents: gpd.GeoDataFrame | None = None,
    surface: Surface | None = None,
    count_points: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    existing: gpd.GeoDataFrame | None = None,
    red_routes: gpd.GeoDataFrame | None = None,
    k: int = 20,
    radius: float = 500.0,
    candidate_within: float = 1000.0,
    region_buffer: float = 3000.0,
    targets: tuple[float, ...] = (0.5, 0.8),
    postcodes: gpd.GeoDataFrame | None = None,
    neighbours: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    context: Context | gpd.GeoDataFrame | None = None,
    traffic_cameras: gpd.GeoDataFrame | None = None,
) -> ANPRPlan:
    """Crossings -> demand -> candidates -> optimal sites, in one call.

    ``count_points`` must carry a ``flow`` column (see
    :func:`hotspot.crossborder.count_point_flows`). Candidates default to the
    crossings plus count points inside the area within ``candidate_within``
    metres of the boundary; supplied candidates must lie within
    ``region_buffer`` metres of the area. Sites are named by
    :func:`describe_sites` (``postcodes``: a layer from
    :func:`hotspot.places.read_postcodes`; ``neighbours``: polygons across the
    boundary, default the area's own layer; ``streets``: named points,
    default from ``incidents`` by :func:`hotspot.places.street_points`).
    ``context`` (a :class:`hotspot.context.Context` or its incidents): demand
    counts burglary on both sides of each crossing (see :func:`crossing_demand`).

    Parameters
    ----------
    area : Area
        The study area (working CRS, metres).
    road_layers : dict of str to GeoDataFrame
        Road line layers by source name (the area's CRS).
    incidents : GeoDataFrame, optional
        Recent burglaries (risk by count, and street names).
    surface : Surface, optional
        Hotspot surface (risk by value) when no incidents or context.
    count_points : GeoDataFrame, optional
        DfT count points with ``flow``; without them risk alone weights crossings.
    candidates : GeoDataFrame, optional
        Candidate sites (default: crossings and nearby count points).
    existing : GeoDataFrame, optional
        Existing cameras (those within ``region_buffer`` metres are kept fixed).
    red_routes : GeoDataFrame, optional
        Red-route (TLRN) polygons: crossings tagged, road owner named.
    k : int
        New cameras asked for (default 20).
    radius : float
        A camera covers the crossings within this many metres (default 500 m).
    candidate_within : float
        Reach into the area in metres (default 1000 m); count points
        farther from the boundary are not candidates.
    region_buffer : float
        Margin round the area in metres (default 3000 m); candidates and
        existing cameras must lie within it.
    targets : tuple of float
        Shares of demand (0-1) for which the fewest cameras are reported.
    postcodes : GeoDataFrame, optional
        Postcode unit points for naming the sites.
    neighbours : GeoDataFrame, optional
        Polygons across the boundary (default: the area's own layer).
    streets : GeoDataFrame, optional
        Named street points (default: from ``incidents``).
    context : Context or GeoDataFrame, optional
        Burglaries across the boundary (a :class:`hotspot.context.Context`
        or its incidents).
    traffic_cameras : GeoDataFrame, optional
        Cameras that read no number plate (TfL JamCams): context, never
        cover. Each site gets ``traffic_camera_m``, metres to the nearest
        one within ``radius`` (NaN beyond), where a pole and power may be.

    Returns
    -------
    ANPRPlan
        Crossings with demand, candidates, existing cameras, the siting
        result, the fewest cameras per target share, and notes.
    """
    from .crossborder import attach_flows, road_crossings

    notes = []
    if red_routes is not None and len(red_routes):
        # only the red routes near the area matter: a London-wide layer buffered whole costs seconds per plan
        x0, y0, x1, y1 = area.geometry.buffer(region_buffer + 1000.0).bounds
        red_routes = gpd.clip(red_routes.to_crs(area.crs).assign(geometry=lambda g: g.geometry.make_valid()),
                              (x0, y0, x1, y1))
    share = boundary_covered(area, road_layers)
    if share < 0.99:
        notes.append(f"the road layers cover only {share:.0%} of the boundary: crossings on the rest are missing, "
                     "so sites there cannot be chosen (give a road layer covering the whole area)")
    crossings = road_crossings(area, road_layers, red_routes=red_routes)
    if crossings.empty:
        raise ModelError(f"no road of the road layers ({', '.join(road_layers) or 'none'}) crosses the boundary of "
                         f"{area.name} (they cover {share:.0%} of it): give a road layer of the area (--roads)")
    if count_points is not None:
        crossings = attach_flows(crossings, count_points)
    else:
        crossings["flow"] = np.nan
        notes.append("no traffic counts: every crossing weighted by risk alone")
    ctx = getattr(context, "incidents", context)
    if ctx is not None and surface is not None:
        notes.append("demand counts burglaries on both sides of the boundary (context): the surface is not used")
    crossings = crossing_demand(crossings, area, roads=list(road_layers.values()), incidents=incidents,
                                surface=surface, context=ctx)
    n_imp = int(crossings["flow_imputed"].sum())
    if n_imp:
        notes.append(f"{n_imp} of {len(crossings)} crossings have no count within reach: median flow used")
    if candidates is None:
        candidates = candidate_sites(crossings, count_points, area, within=candidate_within)
    region = area.geometry.buffer(region_buffer)
    if existing is not None and len(existing):
        existing = existing[existing.geometry.intersects(region)]
    siting = CameraSiting.from_geodataframes(crossings, candidates, existing, weight="demand", radius=radius,
                                             region=region)
    result = siting.solve(k)
    if neighbours is None and area.layer is not None:
        neighbours = area.neighbours()
    if streets is None and incidents is not None:
        from .places import street_points

        streets = street_points(incidents)
    result.sites = describe_sites(result.sites, area, postcodes=postcodes, neighbours=neighbours,
                                  red_routes=red_routes, count_points=count_points, crossings=crossings,
                                  streets=streets)
    if traffic_cameras is not None:
        traffic_cameras = traffic_cameras[traffic_cameras.geometry.intersects(region)]
        result.sites["traffic_camera_m"] = nearest_within(result.sites, traffic_cameras, radius)
    notes += cover_notes(existing, result, crossings, area)
    if k > len(siting.candidate_xy):
        notes.append(f"{k} new cameras asked for (--cameras) but the road layers give only "
                     f"{len(siting.candidate_xy)} candidate sites: {result.k_useful} of them add coverage")
    elif result.unused:
        notes.append(f"{result.k_useful} of {result.k} cameras add coverage; the other {len(result.unused)} would "
                     "add nothing once those are installed and are not listed")
    from .places import layer_caveats

    # what the layers the plan rests on cannot tell (partial roads, postcode centroids, red routes missing)
    notes += layer_caveats([*(g.attrs.get("source") for g in road_layers.values()),
                            postcodes.attrs.get("source") if postcodes is not None else None])
    red_caveat = red_route_caveat(red_routes, area)
    notes += [red_caveat] if red_caveat else []
    mins: dict[str, int | None] = {}
    for target in targets:  # not `share`: that is the boundary share returned below
        try:
            mins[f"{target:.0%}"] = siting.min_cameras(target)[0]
        except ModelError as exc:
            mins[f"{target:.0%}"] = None
            notes.append(str(exc))
    return ANPRPlan(crossings, candidates, existing, result, mins, notes, boundary_share=share,
                    traffic_cameras=traffic_cameras)


#: What the TfL JamCams are, wherever they are drawn or named: traffic CCTV, context and never cover.
TRAFFIC_CAMERA_LABEL = "TfL traffic cameras (JamCams, not ANPR)"

#: Fewer useful sites than this, and the plan says why (issue 18 asks >= 5).
FEW_SITES = 5


def nearest_within(points: gpd.GeoDataFrame, others: gpd.GeoDataFrame, radius: float) -> np.ndarray:
    """Metres from each point to the nearest of ``others`` within ``radius``.

    Parameters
    ----------
    points, others : GeoDataFrame
        Points in the same metric CRS.
    radius : float
        Farthest distance reported, metres.

    Returns
    -------
    ndarray of float
        Distance in metres per point; NaN where none lies within ``radius``.
    """
    require_same_metric_crs(sites=points, traffic_cameras=others)
    out = np.full(len(points), np.nan)
    if len(points) and len(others):
        d, _ = cKDTree(np.c_[others.geometry.x, others.geometry.y]).query(np.c_[points.geometry.x, points.geometry.y])
        out = np.where(d <= radius, d, np.nan)
    return out


def cover_notes(existing: gpd.GeoDataFrame | None, result: SitingResult, crossings: gpd.GeoDataFrame,
                area: Area) -> list[str]:
    """What "already covered" rests on, and why fewer than :data:`FEW_SITES`
    sites are useful when they are (never a silent short list).

    Parameters
    ----------
    existing : GeoDataFrame or None
        The existing ANPR cameras kept fixed (within the region).
    result : SitingResult
        The solved plan (``radius_m`` in metres).
    crossings : GeoDataFrame
        The crossings with their ``demand``.
    area : Area
        The study area (metres; its area is given in km²).

    Returns
    -------
    list of str
        Plain-text notes (none when there is nothing to say).
    """
    notes = []
    if existing is None or not len(existing):
        notes.append("no existing ANPR layer given (anpr --existing YOUR_ANPR.geojson; run --existing-cameras): "
                     "0 % of demand is counted as already covered")
    if result.k_useful is None or result.k_useful >= min(FEW_SITES, result.k):
        return notes
    demand = crossings["demand"].to_numpy(float)
    live = demand > 0
    xy = np.c_[crossings.geometry.x, crossings.geometry.y][live]
    near = np.zeros(int(live.sum()), bool)
    if len(result.sites) and len(xy):
        d, _ = cKDTree(np.c_[result.sites.geometry.x, result.sites.geometry.y]).query(xy)
        near = d <= result.radius_m
    new = result.coverage_after - result.coverage_before
    notes.append(f"only {result.k_useful} new site{'s' if result.k_useful != 1 else ''} add coverage: "
                 f"{area.name} ({area.geometry.area / 1e6:.1f} km²) has {int(live.sum())} crossings with burglary "
                 f"demand, {int(near.sum())} of them within {result.radius_m:g} m of these sites "
                 f"({new:.1%} of demand); {result.coverage_before:.1%} is already covered by existing ANPR cameras "
                 f"and {1 - result.coverage_after:.1%} lies at crossings no candidate site reaches, so no further "
                 "camera adds any")
    return notes


def red_route_caveat(red_routes: gpd.GeoDataFrame | None, area: Area) -> str | None:
    """A caveat when the red-route layer has no polygon in the area (the
    TLRN source has no row for some boroughs), so that no road there is
    taken for a borough road on the layer's word alone.

    Parameters
    ----------
    red_routes : GeoDataFrame or None
        Red-route (TLRN) polygons, any CRS.
    area : Area
        The study area (metres).

    Returns
    -------
    str or None
        The caveat, or None when the layer reaches the area.
    """
    if red_routes is None:
        return None
    if len(red_routes) and red_routes.to_crs(area.crs).geometry.make_valid().intersection(area.geometry).area.sum() > 0:
        return None
    return (f"red routes: the red-route (TLRN) layer has no polygon in {area.name}, so no road there is marked a red "
            "route; a road called a borough road may be TfL's (confirm ownership with TfL)")


# --------------------------------------------------------------------------- the `anpr` command's plan
#: How far across the boundary context incidents count towards demand: along
#: each crossing route plus the corridor either side, metres.
CONTEXT_REACH_M = ALONG_M + CORRIDOR_M


def with_candidate_defaults(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """User-supplied candidate sites with the columns siting needs: a
    ``site_id`` (S1, S2, ... in file order), ``kind`` ("candidate") and
    ``road`` (none known) where the layer has none.

    Parameters
    ----------
    candidates : GeoDataFrame
        Candidate points (working CRS, metres).

    Returns
    -------
    GeoDataFrame
        A copy with the missing columns added; given columns are kept.
    """
    out = candidates.copy()
    if "site_id" not in out:
        out["site_id"] = [f"S{k + 1}" for k in range(len(out))]
    if "kind" not in out:
        out["kind"] = "candidate"
    if "road" not in out:
        out["road"] = None
    return out


