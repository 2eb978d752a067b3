"""The coverage model: which new camera sites cover the most demand.

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

from typing import Iterable

import geopandas as gpd
import numpy as np
import pulp
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from .._errors import ModelError
from ..crs import require_same_metric_crs, to_lonlat
from .result import SitingResult


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
            raise ModelError("the coverage radius of a camera (radius=) must be a positive number of metres", param='radius')
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
            raise ModelError(f"the number of new cameras (k=) must be at least 1, got {k}", param='k')
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
