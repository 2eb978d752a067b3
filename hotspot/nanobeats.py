"""Nano-beat patrol targets: the few places most at risk of a repeat or
near-repeat burglary in the coming days.

Risk at a 50 m cell as of date D is built from two parts:

* **near-repeat** - every burglary in the ``days`` before D within
  ``distance`` metres adds ``(1 - d / distance) * (1 - age / days)``
  (a cone in space and a ramp in time: close and recent counts most);
* **history** - the location's own longer record: burglaries in the
  ``history_days`` before D within ``location_radius`` metres, each weighted
  ``0.5 ** (age / half_life)``.

The two are normalised to sum to one over the area and mixed,
``risk = (1 - w) * near_repeat + w * history``. The variants (``w`` = 0,
0.25, 0.5, 0.75, 1) were compared by a rolling weekly backtest on the
Chicago exact-date data for 2015 (benchmarks/backtest_nanobeats.py): PAI at
7 days was 12.7, 15.3, 17.3, 22.3 and 21.1, so the default is ``w = 0.75``
(a location's own record carries most of the signal; near-repeat adds a
short boost). 2016-2017 is kept for the out-of-sample report.

Targets are compact patrol areas: the cell whose ``target_radius``
neighbourhood holds the most risk is chosen, that disc of cells becomes a
target, the risk within two radii of it is cleared (so the next target is a
different place, not a ring round this one), and so on up to N targets. Each target lists
its source burglaries (those within ``distance`` of it in the window),
when it expires (``active_until`` = last source date + ``days``), and a
label from the incidents' location text.

Month-precision data (police.uk) cannot support a window in days. The
*monthly variant* uses the last ``months`` complete months (the most recent
month weighs 1, the one before 1 - 1/months, ...), the history in months,
and ``active_until`` = the end of the last source month plus ``months``.
Plans say which variant they used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.signal import fftconvolve

from .crs import require_same_metric_crs
from ._errors import DataPrecisionError, HotspotError
from .areas import Area
from .crs import to_lonlat
from .grid import Grid
from .intake import has_month_dates
from .routing import RouteLegs, StreetNetwork, check_start, patrol_route, route_legs

#: Mix of history in the risk score, chosen by backtest (see module doc).
DEFAULT_HISTORY_WEIGHT = 0.75


def _cone(cell: float, radius: float) -> np.ndarray:
    """``max(0, 1 - d / radius)`` on the lattice (the centre cell is 1)."""
    r = int(np.ceil(radius / cell))
    off = np.arange(-r, r + 1) * cell
    dx, dy = np.meshgrid(off, off)
    return np.clip(1.0 - np.hypot(dx, dy) / radius, 0.0, None)


def _disc(cell: float, radius: float) -> np.ndarray:
    r = int(np.floor(radius / cell))
    off = np.arange(-r, r + 1) * cell
    dx, dy = np.meshgrid(off, off)
    return (np.hypot(dx, dy) <= radius + 1e-9).astype(float)


@dataclass
class NanoBeatPlan:
    """Result of :meth:`NanoBeatPlanner.solve`.

    Attributes
    ----------
    targets : GeoDataFrame
        One polygon per target, in patrol order, with ``target_id``,
        ``patrol_order``, ``rank``, ``risk``, ``n_sources`` (``n_recent`` of
        them in the near-repeat window), ``first_source``,
        ``last_source``, ``active_until``, ``label``, ``area_m2``,
        ``centroid_lon``, ``centroid_lat``.
    route_length_m : float
    start : (x, y) or None
    as_of : Timestamp
    window : (distance metres, days or months)
    variant : str
        ``"daily"`` or ``"monthly"``.
    risk : ndarray
        The risk surface (grid cells).
    grid : Grid
    notes : list of str
    """

    targets: gpd.GeoDataFrame
    route_length_m: float
    start: tuple[float, float] | None
    as_of: pd.Timestamp
    window: tuple[float, float]
    variant: str
    risk: np.ndarray = field(repr=False)
    grid: Grid = field(repr=False)
    target_cells: np.ndarray = field(repr=False, default=None)
    notes: list[str] = field(default_factory=list)
    legs: RouteLegs | None = field(repr=False, default=None)
    #: Context incidents used (:meth:`hotspot.context.Context.to_json`), if any.
    context: dict | None = None

    @property
    def monthly(self) -> bool:
        """True when the dates are months only (police.uk)."""
        return self.variant.startswith("monthly")

    @property
    def route_on_streets(self) -> bool:
        """True when every leg of the route follows the streets."""
        return self.legs is not None and self.legs.all_on_streets

    def format_date(self, value) -> str | None:
        """A date as the source allows: ``YYYY-MM`` for month-precision data,
        ``YYYY-MM-DD`` otherwise; None for a missing date."""
        if value is None or pd.isna(value):
            return None
        return format(pd.Timestamp(value), "%Y-%m" if self.monthly else "%Y-%m-%d")

    def to_csv_frame(self) -> pd.DataFrame:
        """Targets without geometry (centroid lon/lat kept), dates as text
        no finer than the source, for CSV and JSON."""
        t = pd.DataFrame(self.targets.drop(columns="geometry"))
        for c in ("first_source", "last_source", "active_until"):
            if c in t:
                t[c] = [self.format_date(v) for v in t[c]]
        return t

    def route_points(self) -> list[tuple[float, float]]:
        """Start, targets in patrol order, back to the start (metres)."""
        pts = [tuple(self.start)] if self.start else []
        pts += [(float(r.centroid_x), float(r.centroid_y)) for r in self.targets.itertuples()]
        if self.start:
            pts.append(tuple(self.start))
        return pts

    def route_line(self) -> shapely.LineString | None:
        """The whole route as one line (street paths when routed on streets)."""
        if self.legs is not None and self.legs.lines:
            coords = []
            for ln in self.legs.lines:
                c = list(ln.coords)
                coords += c if not coords else c[1:]
            return shapely.LineString(coords) if len(coords) >= 2 else None
        pts = self.route_points()
        return shapely.LineString(pts) if len(pts) >= 2 else None


class NanoBeatPlanner:
    """Plan nano-beat patrols from recent burglaries.

    Build with :meth:`from_window` or :meth:`from_knox`, then call
    :meth:`solve` for a date.

    Parameters
    ----------
    incidents : GeoDataFrame
        Accepted incidents (working CRS, metres).
    area : Area
        The patrol area (targets lie inside it).
    distance : float
        Near-repeat distance, metres.
    days : float
        Near-repeat window, days (months for the monthly variant).
    cell : float
        Cell size, metres (default 50).
    history_weight : float
        Share of the long-history component in the risk (0-1).
    history_days : float
        Length of the history window, days (default two years).
    half_life_days : float
        Half-life of a past burglary's weight in the history, days.
    location_radius : float
        Radius of "the same location" for the history, metres.
    target_radius : float
        Radius of one patrol area, metres.
    roads : GeoDataFrame, optional
        Street lines (working CRS) with a ``road`` name column. When given,
        risk is per street segment (distances from each burglary to the
        segment) and targets are groups of nearby segments.
    segment_length : float
        Street segment length, metres.
    context : Context or GeoDataFrame, optional
        Burglaries across the boundary (see :mod:`hotspot.context`): they
        raise the risk on this side like the area's own, but targets stay
        inside the area, and a target whose risk comes mostly from across
        the boundary is marked shared with the neighbour named.
    """

    def __init__(self, incidents: gpd.GeoDataFrame, area: Area, *, distance: float = 200.0, days: float = 14.0,
                 cell: float = 50.0, history_weight: float = DEFAULT_HISTORY_WEIGHT, history_days: float = 730.0,
                 half_life_days: float = 180.0, location_radius: float = 50.0, target_radius: float = 100.0,
                 grid: Grid | None = None, roads: gpd.GeoDataFrame | None = None, segment_length: float = 100.0,
                 context=None):
        if distance <= 0 or days <= 0:
            raise HotspotError("the near-repeat window needs a positive distance (metres) and time")
        if not 0 <= history_weight <= 1:
            raise HotspotError("history_weight must be between 0 and 1")
        require_same_metric_crs(incidents=incidents, area=area, roads=roads, grid=grid)
        if cell <= 0 or target_radius <= 0 or location_radius <= 0:
            raise HotspotError(f"cell ({cell:g} m), target_radius ({target_radius:g} m) and location_radius "
                               f"({location_radius:g} m) must be positive")
        if len(incidents) == 0:
            raise HotspotError("no incidents to plan nano-beats from (check --crime-type and the area)")
        self.area = area
        self.distance, self.days = float(distance), float(days)
        self.cell = float(cell)
        self.history_weight = float(history_weight)
        self.history_days, self.half_life_days = float(history_days), float(half_life_days)
        self.location_radius, self.target_radius = float(location_radius), float(target_radius)
        self.monthly = has_month_dates(incidents)
        ctx = getattr(context, "incidents", context)
        if ctx is not None and len(ctx):
            require_same_metric_crs(incidents=incidents, context=ctx)
            ctx = ctx.assign(neighbour=ctx["neighbour"] if "neighbour" in ctx else "across the boundary")
            inc = pd.concat([incidents.assign(neighbour=""), ctx], ignore_index=True)
        else:
            ctx, inc = None, incidents.assign(neighbour="")
        inc = inc.sort_values("occurred", kind="stable")
        self.x = inc.geometry.x.to_numpy()
        self.y = inc.geometry.y.to_numpy()
        self.t = inc["occurred"].to_numpy("datetime64[ns]")
        self.location = inc["location_text"].fillna("").to_numpy() if "location_text" in inc else np.full(len(inc), "")
        #: "" for the area's own burglaries, else the neighbour a context one lies in
        self.neighbour = inc["neighbour"].fillna("across the boundary").astype(str).to_numpy()
        self.own = self.neighbour == ""
        self.n_context = int((~self.own).sum())
        # with context the grid reaches the near-repeat distance beyond the
        # boundary, so burglaries there are binned; targets stay inside (mask)
        self.grid = grid or Grid.for_geometry(area.geometry, cell, area.crs, pad=self.distance if ctx is not None else 0.0)
        self.mask = self.grid.mask(area.geometry)
        self._cone = _cone(self.cell, self.distance)
        self._loc = _cone(self.cell, self.location_radius)
        self._disc = _disc(self.cell, self.target_radius)
        self.segments = street_segments(roads, area, segment_length) if roads is not None else None
        # the exclusion disc has its own half-width in cells (floor(2r/cell)
        # is not always 2 * floor(r/cell), e.g. cell 40 m, radius 100 m)
        self._excl = _disc(self.cell, 2 * self.target_radius)

    # -- constructors -------------------------------------------------------------
    @classmethod
    def from_window(cls, incidents: gpd.GeoDataFrame, area: Area, distance: float = 200.0, days: float = 14.0,
                    **kwargs) -> "NanoBeatPlanner":
        """A planner with a window given by the user (metres, days)."""
        return cls(incidents, area, distance=distance, days=days, **kwargs)

    @classmethod
    def from_knox(cls, incidents: gpd.GeoDataFrame, area: Area, knox, *, alpha: float = 0.05,
                  min_ratio: float = 1.2, **kwargs) -> "NanoBeatPlanner":
        """A planner whose window is the largest distance and time band of a
        Knox result that is significant (``p <= alpha``) with ratio
        ``>= min_ratio``. ``knox`` is a :class:`~hotspot.knox.KnoxResult` or
        its JSON dict."""
        window = knox_window(knox, alpha=alpha, min_ratio=min_ratio)
        if window is None:
            raise HotspotError(f"the Knox result shows no near-repeat band with p <= {alpha} and ratio >= {min_ratio}; "
                               "give --distance and --days instead")
        return cls(incidents, area, distance=window[0], days=window[1], **kwargs)

    # -- risk ---------------------------------------------------------------------
    def _ages(self, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """Indices of incidents before ``as_of`` and their ages (days, or
        months for the monthly variant: 1 = the month before)."""
        before = self.t < np.datetime64(as_of)
        idx = np.nonzero(before)[0]
        if self.monthly:
            ts = pd.DatetimeIndex(self.t[idx])
            age = (as_of.year * 12 + as_of.month) - (ts.year * 12 + ts.month).to_numpy()
            return idx, age.astype(float)
        return idx, (np.datetime64(as_of) - self.t[idx]) / np.timedelta64(1, "D")

    def _weights(self, as_of) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Incidents before ``as_of`` with their near-repeat weight
        ``1 - age / days`` (monthly: the last month weighs 1) and their
        history weight ``0.5 ** (age / half-life)`` within the history."""
        idx, age = self._ages(self._as_of(as_of))
        if self.monthly:
            w_nr = np.where(age <= self.days, 1.0 - (age - 1) / self.days, 0.0)
            hist_age = age * 30.44
        else:
            w_nr = np.where(age < self.days, 1.0 - age / self.days, 0.0)
            hist_age = age
        w_h = np.where(hist_age < self.history_days, 0.5 ** (hist_age / self.half_life_days), 0.0)
        return idx, w_nr, w_h

    def components(self, as_of, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The near-repeat and history surfaces. Each sums to 1 over the area
        (or is all zero) with every source; with ``own_only`` the context's
        share is left out but the same scale is kept, so that
        ``own_only / all`` is the share of risk from the area's own burglaries."""
        idx, w_nr, w_h = self._weights(as_of)
        out = []
        for w, stencil in ((w_nr, self._cone), (w_h, self._loc)):
            raw = []
            for subset in ((w > 0), (w > 0) & self.own[idx]):
                binned = self.grid.bin(self.x[idx][subset], self.y[idx][subset], w[subset])
                s = fftconvolve(binned, stencil, mode="same") if subset.any() else np.zeros(self.grid.shape)
                s = np.where(self.mask, np.clip(s, 0, None), 0.0)
                s[s < 1e-12] = 0.0  # FFT round-off would otherwise seed targets with noise
                raw.append(s)
                if self.n_context == 0:
                    raw.append(s)
                    break
            total = raw[0].sum()
            chosen = raw[1] if own_only else raw[0]
            out.append(chosen / total if total > 0 else chosen)
        return out[0], out[1]

    def risk(self, as_of, history_weight: float | None = None, *, own_only: bool = False) -> np.ndarray:
        """Risk per cell as of a date (see module doc); ``own_only``: the part
        of it that comes from the area's own burglaries."""
        w = self.history_weight if history_weight is None else history_weight
        nr, hist = self.components(as_of, own_only=own_only)
        return (1 - w) * nr + w * hist

    def _as_of(self, as_of) -> pd.Timestamp:
        ts = pd.Timestamp(as_of)
        if self.monthly:
            ts = ts.to_period("M").to_timestamp()  # monthly variant: plans start on a month
        return ts

    # -- targets ------------------------------------------------------------------
    def select_cells(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Greedy compact patrol areas: a list of (k, 2) arrays of (row, col)."""
        r = risk.copy()
        # risk sums to 1, so scores are <= 1: rounding to 1e-12 removes FFT
        # round-off, and equal scores then tie-break on the first cell
        score = np.round(fftconvolve(r, self._disc, mode="same"), 12)
        score = np.where(self.mask, score, -np.inf)
        rr = self._disc.shape[0] // 2   # target disc half-width, cells
        re = self._excl.shape[0] // 2   # exclusion disc half-width, cells
        ny, nx = self.grid.shape
        taken = np.zeros(self.grid.shape, bool)
        targets = []
        for _ in range(n_targets):
            k = int(np.argmax(score))
            if not np.isfinite(score.flat[k]) or score.flat[k] <= 1e-12:
                break
            row, col = divmod(k, nx)
            r0, r1 = max(row - rr, 0), min(row + rr + 1, ny)
            c0, c1 = max(col - rr, 0), min(col + rr + 1, nx)
            sub = self._disc[rr - (row - r0): rr + (r1 - row), rr - (col - c0): rr + (c1 - col)] > 0
            # the whole disc is the patrol area (every target has the same
            # size, so methods compare at equal area), minus cells outside
            # the area or already in an earlier target
            patch = sub & self.mask[r0:r1, c0:c1] & ~taken[r0:r1, c0:c1]
            rows, cols = np.nonzero(patch)
            targets.append(np.column_stack([rows + r0, cols + c0]))
            taken[r0:r1, c0:c1] |= patch
            # clear the risk within two radii, so the next target is another
            # place, not a ring around this one
            e0, e1 = max(row - re, 0), min(row + re + 1, ny)
            g0, g1 = max(col - re, 0), min(col + re + 1, nx)
            ex = self._excl[re - (row - e0): re + (e1 - row), re - (col - g0): re + (g1 - col)] > 0
            r[e0:e1, g0:g1][ex] = 0.0
            # risk changed within re cells, so scores within re + rr can
            # change: recompute them locally
            w = re + rr
            a0, a1 = max(row - w, 0), min(row + w + 1, ny)
            b0, b1 = max(col - w, 0), min(col + w + 1, nx)
            p0, p1 = max(a0 - rr, 0), min(a1 + rr, ny)
            q0, q1 = max(b0 - rr, 0), min(b1 + rr, nx)
            local = np.round(fftconvolve(r[p0:p1, q0:q1], self._disc, mode="same"), 12)
            local = local[a0 - p0: a1 - p0, b0 - q0: b1 - q0]
            score[a0:a1, b0:b1] = np.where(self.mask[a0:a1, b0:b1], local, -np.inf)
        return targets

    def solve(self, as_of, *, n_targets: int = 10, start: tuple[float, float] | None = None,
              start_lonlat: tuple[float, float] | None = None, network: StreetNetwork | None = None,
              start_tolerance: float = 1000.0) -> NanoBeatPlan:
        """Nano-beat targets as of a date.

        Parameters
        ----------
        as_of : date-like
            Planning date D; incidents strictly before it are used.
        n_targets : int
            At most this many targets (fewer when risk runs out).
        start : (x, y), optional
            Start/end of the patrol route, metres (working CRS).
        start_lonlat : (lon, lat), optional
            The same in WGS84 degrees; checked against the area (swapped
            or outside: :class:`HotspotError`).
        network : StreetNetwork, optional
            Street graph: the route follows the streets (shortest paths);
            otherwise legs are straight ("as the crow flies").
        start_tolerance : float
            How far outside the area the start may be, metres.

        Returns
        -------
        NanoBeatPlan
        """
        if n_targets < 1:
            raise HotspotError("n_targets must be at least 1")
        as_of = self._as_of(as_of)
        before = self.t < np.datetime64(as_of)
        if not before.any():
            first = pd.Timestamp(self.t.min())
            raise HotspotError(f"--as-of {as_of:%Y-%m-%d}: no burglary before it (the data start "
                               f"{first:{'%Y-%m' if self.monthly else '%Y-%m-%d'}}); plan for a date after the data")
        if start_lonlat is not None:
            start = check_start(float(start_lonlat[0]), float(start_lonlat[1]), self.area, tolerance=start_tolerance)
        notes = []
        last = pd.Timestamp(self.t[before].max())
        window_start = (as_of.to_period("M") - int(self.days)).to_timestamp() if self.monthly \
            else as_of - pd.Timedelta(days=self.days)
        if last < window_start:
            fmt = "%Y-%m" if self.monthly else "%Y-%m-%d"
            notes.append(f"the data end {last:{fmt}}, before the near-repeat window: targets come from the longer "
                         "history only, with no expiry")
        if self.segments is not None:
            plan = self._solve_segments(as_of, n_targets, start, notes, network)
        else:
            plan = self._solve_cells(as_of, n_targets, start, notes, network)
        plan.legs = route_legs(plan.route_points(), network) if len(plan.targets) else None
        if plan.legs is not None:
            plan.route_length_m = plan.legs.length_m
            if network is None:
                notes.append("route legs are straight lines (as the crow flies): give a street layer to route on streets")
            elif not plan.legs.all_on_streets:
                notes.append(f"{plan.legs.on_streets.count(False)} route legs cross gaps in the street layer "
                             "and are drawn straight")
        return plan

    def _solve_cells(self, as_of, n_targets, start, notes, network) -> NanoBeatPlan:
        risk = self.risk(as_of)
        cells = self.select_cells(risk, n_targets)
        own = self.risk(as_of, own_only=True) if self.n_context else risk
        if self.monthly:
            notes.append(f"month-precision dates: monthly variant (last {self.days:g} months, plans from {as_of:%Y-%m})")
        if not cells:
            notes.append("no burglaries in the window: no targets")
        targets = self._describe(cells, risk, as_of)
        self._mark_shared(targets, [float(own[rc[:, 0], rc[:, 1]].sum()) for rc in cells])
        if len(targets):
            order, length = patrol_route(targets[["centroid_x", "centroid_y"]].to_numpy(), start, network)
            targets = targets.iloc[order].reset_index(drop=True)
            targets["patrol_order"] = np.arange(1, len(targets) + 1)
            cells = [cells[k] for k in order]
        else:
            length = 0.0
        return NanoBeatPlan(targets=targets, route_length_m=length, start=start, as_of=as_of,
                            window=(self.distance, self.days), variant="monthly" if self.monthly else "daily",
                            risk=risk, grid=self.grid, target_cells=cells, notes=notes)

    # -- street segments ------------------------------------------------------------
    def segment_components(self, as_of, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Near-repeat and history risk per street segment (each sums to 1),
        from the distance between each burglary and each segment;
        ``own_only`` as in :meth:`components`."""
        idx, w_nr, w_h = self._weights(as_of)
        geoms = self.segments.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        out = []
        for w, radius, cone in ((w_nr, self.distance, True), (w_h, self.location_radius, False)):
            keep = w > 0
            pts = shapely.points(self.x[idx][keep], self.y[idx][keep])
            pi, si = tree.query(pts, predicate="dwithin", distance=radius)
            d = shapely.distance(pts[pi], geoms[si])
            contrib = w[keep][pi] * (np.clip(1 - d / radius, 0, None) if cone else (d < radius))
            r = np.bincount(si, weights=contrib, minlength=len(geoms))
            total = r.sum()
            if own_only:
                r = np.bincount(si, weights=contrib * self.own[idx][keep][pi], minlength=len(geoms))
            out.append(r / total if total > 0 else r)
        return out[0], out[1]

    def _solve_segments(self, as_of, n_targets, start, notes, network) -> NanoBeatPlan:
        nr, hist = self.segment_components(as_of)
        risk = (1 - self.history_weight) * nr + self.history_weight * hist
        if self.n_context:
            onr, ohist = self.segment_components(as_of, own_only=True)
            own = (1 - self.history_weight) * onr + self.history_weight * ohist
        else:
            own = risk
        seg = self.segments
        mxy = np.column_stack([seg["mx"], seg["my"]])
        r = risk.copy()
        groups = []
        while len(groups) < n_targets and r.max() > 1e-12:
            k = int(np.argmax(r))
            d = np.hypot(*(mxy - mxy[k]).T)
            members = np.flatnonzero((d <= self.target_radius) & (r > 0) | (np.arange(len(r)) == k))
            groups.append(members)
            r[d <= 2 * self.target_radius] = 0.0  # the next target is another place
        if not groups:
            notes.append("no burglaries in the window: no targets")
        if self.monthly:
            notes.append(f"month-precision dates: monthly variant (last {self.days:g} months, plans from {as_of:%Y-%m})")
        polys = [shapely.union_all(seg.geometry.iloc[g].buffer(25, cap_style="flat").to_numpy()) for g in groups]
        targets = self._describe_polygons(polys, [float(risk[g].sum()) for g in groups], as_of)
        self._mark_shared(targets, [float(own[g].sum()) for g in groups])
        if len(targets):
            roads = [pd.Series(seg["road"].iloc[g]).mode().iloc[0] for g in groups]
            # the incidents' own street names win; the road layer's name
            # fills in where the records carry none
            targets["street"] = [s if isinstance(s, str) and s else r for s, r in zip(targets["street"], roads)]
            targets["label"] = roads
            targets["segments"] = [len(g) for g in groups]
            order, length = patrol_route(targets[["centroid_x", "centroid_y"]].to_numpy(), start, network)
            targets = targets.iloc[order].reset_index(drop=True)
            targets["patrol_order"] = np.arange(1, len(targets) + 1)
            groups = [groups[k] for k in order]
        else:
            length = 0.0
        return NanoBeatPlan(targets=targets, route_length_m=length, start=start, as_of=as_of,
                            window=(self.distance, self.days), variant=("monthly" if self.monthly else "daily") + " streets",
                            risk=risk, grid=self.grid, target_cells=groups, notes=notes)

    def _mark_shared(self, targets: gpd.GeoDataFrame, own_risk: list[float]) -> None:
        """Add ``context_share`` (the part of each target's risk that comes
        from burglaries across the boundary) and ``shared_with`` (the
        neighbours, when that part is at least ``settings.SHARED_TARGET_SHARE``)."""
        from . import settings

        if not len(targets):
            return
        total = targets["risk"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, 1.0 - np.asarray(own_risk) / total, 0.0)
        targets["context_share"] = np.round(np.clip(share, 0.0, 1.0), 4)
        targets["shared_with"] = [", ".join(n) if s >= settings.SHARED_TARGET_SHARE and n else None
                                  for s, n in zip(share, targets["context_neighbours"])]
        targets["context_neighbours"] = [", ".join(n) for n in targets["context_neighbours"]]

    def _why(self, n_recent: int, n_past: int, t_recent: np.ndarray, t_past: np.ndarray) -> str:
        """Why a place is a target, in words with units."""
        fmt = "%Y-%m" if self.monthly else "%d %b %Y"
        unit = "months" if self.monthly else "days"
        parts = []
        if n_recent:
            lo, hi = pd.Timestamp(t_recent.min()), pd.Timestamp(t_recent.max())
            when = f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}} to {hi:{fmt}}"
            parts.append(f"{n_recent} burglar{'y' if n_recent == 1 else 'ies'} within {self.distance:g} m, last "
                         f"{self.days:g} {unit} ({when})")
        if n_past:
            hist = f"{self.history_days / 30.44:.0f} months"
            parts.append(f"{n_past} earlier within {self.location_radius:g} m over {hist} "
                         f"(latest {pd.Timestamp(t_past.max()):{fmt}})")
        return "; ".join(parts) if parts else "no burglary in the window"

    def _describe(self, cells: list[np.ndarray], risk: np.ndarray, as_of: pd.Timestamp) -> gpd.GeoDataFrame:
        polys = [shapely.union_all(self.grid.boxes(rc[:, 0], rc[:, 1])) for rc in cells]
        return self._describe_polygons(polys, [float(risk[rc[:, 0], rc[:, 1]].sum()) for rc in cells], as_of)

    def _describe_polygons(self, polys: list, risks: list[float], as_of: pd.Timestamp) -> gpd.GeoDataFrame:
        """Targets with their source burglaries: the recent ones within the
        near-repeat distance and the older ones (history window) within the
        location radius, i.e. those that gave the target its risk."""
        idx, age = self._ages(as_of)
        recent_ok = (age <= self.days) if self.monthly else (age < self.days)
        hist_age = age * 30.44 if self.monthly else age
        recent, older = idx[recent_ok], idx[~recent_ok & (hist_age < self.history_days)]
        rows = []
        for rank, (poly, target_risk) in enumerate(zip(polys, risks), start=1):
            c = poly.centroid
            near = recent[shapely.dwithin(poly, shapely.points(self.x[recent], self.y[recent]), self.distance)]
            past = older[shapely.dwithin(poly, shapely.points(self.x[older], self.y[older]), self.location_radius)]
            src = np.r_[past, near]
            times = pd.DatetimeIndex(self.t[src])
            if not len(near):
                # held up by its history alone: no near-repeat clock runs, so
                # no expiry (review it at the next plan)
                until = pd.NaT
            elif self.monthly:
                last = pd.Timestamp(self.t[near].max()).to_period("M")
                until = (last + int(self.days)).to_timestamp(how="end").normalize()
            else:
                until = pd.Timestamp(self.t[near].max()) + pd.Timedelta(days=self.days)
            locs = pd.Series(self.location[src])
            locs = locs[locs != ""]
            n = len(src)
            label = locs.mode().iloc[0] if len(locs) else f"{n} burglar{'y' if n == 1 else 'ies'} nearby"
            streets = pd.Series([street_name(v) for v in locs], dtype=object)
            streets = streets[streets != ""]
            rows.append({
                "target_id": f"NB{rank:02d}", "rank": rank, "risk": target_risk,
                "n_sources": int(n), "n_recent": int(len(near)), "n_history": int(len(past)),
                "first_source": times.min() if n else pd.NaT,
                "last_source": times.max() if n else pd.NaT,
                "active_until": until, "basis": "recent burglaries" if len(near) else "history only",
                "label": label, "street": streets.mode().iloc[0] if len(streets) else None,
                "why": self._why(len(near), len(past), self.t[near], self.t[past]),
                "context_sources": int((~self.own[src]).sum()),
                "context_neighbours": sorted(set(self.neighbour[src][~self.own[src]])),
                "area_m2": float(poly.area), "centroid_x": c.x, "centroid_y": c.y, "geometry": poly,
            })
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=self.area.crs) if rows else gpd.GeoDataFrame(
            {"target_id": []}, geometry=gpd.GeoSeries([], crs=self.area.crs))
        if rows:
            lon, lat = to_lonlat(gdf["centroid_x"], gdf["centroid_y"], self.area.crs)
            gdf["centroid_lon"], gdf["centroid_lat"] = np.round(lon, 6), np.round(lat, 6)
        return gdf


#: police.uk's anonymous map points named after a kind of place rather than a
#: street ("On or near Supermarket"): not a street anyone can find.
GENERIC_PLACES = frozenset(s.lower() for s in (
    "Supermarket", "Petrol Station", "Parking Area", "Sports/Recreation Area", "Shopping Area", "Nightclub",
    "Further/Higher Educational Building", "Hospital", "Police Station", "Conference/Exhibition Centre",
    "Theatre/Concert Hall", "Pedestrian Subway", "Bus/Coach Station", "Train Station", "Airport/Airfield",
    "Park/Open Space", "Cinema", "Prison", "Place Of Worship", "Shopping Centre", "Mobile Phone Shop"))


def street_name(label: str) -> str:
    """A street from a location text: police.uk's "On or near X" -> "X";
    "" when X is a kind of place (:data:`GENERIC_PLACES`), not a street."""
    text = str(label).strip()
    if text.lower().startswith("on or near"):
        text = text[len("on or near"):].strip()
    return "" if text.lower() in GENERIC_PLACES else text


def street_segments(roads: gpd.GeoDataFrame, area: Area, length: float = 100.0) -> gpd.GeoDataFrame:
    """Street lines clipped to the area and cut into pieces of at most
    ``length`` metres, with their ``road`` name and midpoint."""
    if roads.crs is None or not roads.crs.equals(area.crs):
        raise HotspotError("the road layer must be in the area's CRS")
    names = roads["road"] if "road" in roads else pd.Series("street", index=roads.index)
    pieces, labels = [], []
    for geom, name in zip(roads.geometry.intersection(area.geometry), names):
        for line in shapely.get_parts(shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom):
            if line.geom_type != "LineString" or line.length == 0:
                continue
            n = max(1, int(np.ceil(line.length / length)))
            for k in range(n):
                pieces.append(shapely.ops.substring(line, k * line.length / n, (k + 1) * line.length / n))
                labels.append(str(name))
    if not pieces:
        raise HotspotError("no street of the road layer lies inside the area")
    seg = gpd.GeoDataFrame({"road": labels}, geometry=pieces, crs=area.crs)
    mid = seg.geometry.interpolate(0.5, normalized=True)
    seg["mx"], seg["my"] = mid.x.to_numpy(), mid.y.to_numpy()
    return seg


def knox_window(knox, *, alpha: float = 0.05, min_ratio: float = 1.2) -> tuple[float, float] | None:
    """(distance, time) window from a Knox result or its JSON dict."""
    if hasattr(knox, "significant_window"):
        return knox.significant_window(alpha=alpha, min_ratio=min_ratio)
    from .knox import window_from_table

    try:
        p = np.array(knox["p_value"], dtype=float)
        ratio = np.array(knox["ratio"], dtype=float)
        dist = [b[1] for b in knox["distance_bands"][:-1]]  # the finite edges
        time = [b[1] for b in knox["time_bands"][:-1]]
    except (KeyError, TypeError) as exc:
        raise HotspotError(f"not a Knox result: missing {exc}") from None
    return window_from_table(p, ratio, dist, time, alpha=alpha, min_ratio=min_ratio)


def require_daily(incidents) -> None:
    """Raise when dates are months only (for analyses that need days)."""
    if has_month_dates(incidents):
        raise DataPrecisionError("this needs day-precision dates; police.uk dates are months only")


def backtest_nanobeats(
    incidents: gpd.GeoDataFrame,
    area: Area,
    *,
    start,
    end,
    step_days: int = 7,
    horizons: tuple[int, ...] = (7, 14),
    distance: float = 200.0,
    days: float = 14.0,
    history_weights: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
    n_targets: int = 10,
    kde_bandwidth: float = 200.0,
    kde_days: int = 365,
    random_draws: int = 20,
    seed: int = 0,
    progress=None,
) -> pd.DataFrame:
    """Rolling backtest of nano-beat targets against same-area baselines.

    For each planning date D from ``start`` to ``end`` every ``step_days``,
    targets are built from incidents before D only, and scored on the
    incidents of the next ``h`` days for each horizon: hit rate = share of
    those incidents inside the targets, area share = the targets' share of
    the area's cells, PAI = hit rate / area share (pooled over periods).

    Methods: each nano-beat variant (``history_weights``), a retrospective
    KDE (quartic, ``kde_bandwidth`` m, the last ``kde_days`` days) taking its
    top cells with the same area as the default nano-beat plan, the same KDE
    cut into compact patrol areas like the nano-beats, and random in-area
    cells of the same area (``random_draws`` seeded draws).

    Returns
    -------
    DataFrame
        One row per method and horizon: ``periods, incidents, hits,
        hit_rate, area_share, pai, pai_mean, pai_sd``.
    """
    from .kde import kde

    require_daily(incidents)
    planner = NanoBeatPlanner(incidents, area, distance=distance, days=days)
    grid, mask = planner.grid, planner.mask
    in_area = np.flatnonzero(mask.ravel())
    n_area = len(in_area)
    row, col, ok = grid.index(planner.x, planner.y)
    flat = np.where(ok, row * grid.nx + col, -1)
    t = planner.t
    rng = np.random.default_rng(seed)
    dates = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=f"{step_days}D")
    default_w = min(history_weights, key=lambda w: abs(w - DEFAULT_HISTORY_WEIGHT))
    records = []
    for k, D in enumerate(dates):
        nr, hist = planner.components(D)
        chosen: dict[str, np.ndarray] = {}
        for w in history_weights:
            cells = planner.select_cells((1 - w) * nr + w * hist, n_targets)
            chosen[f"nano-beat (history weight {w:g})"] = (
                np.unique(np.concatenate([c[:, 0] * grid.nx + c[:, 1] for c in cells])) if cells else np.empty(0, int))
        size = len(chosen[f"nano-beat (history weight {default_w:g})"])
        lo = np.searchsorted(t, np.datetime64(D - pd.Timedelta(days=kde_days)))
        hi = np.searchsorted(t, np.datetime64(D))
        surf = kde(planner.x[lo:hi], planner.y[lo:hi], grid, bandwidth=kde_bandwidth).values
        surf = np.where(mask, surf, -np.inf)
        chosen[f"KDE top cells ({kde_days} d)"] = np.argsort(-surf.ravel(), kind="stable")[:size]
        kd = np.where(mask, np.clip(surf, 0, None), 0.0)
        cells = planner.select_cells(kd / kd.sum() if kd.sum() > 0 else kd, n_targets)
        chosen[f"KDE patrol areas ({kde_days} d)"] = (
            np.unique(np.concatenate([c[:, 0] * grid.nx + c[:, 1] for c in cells])) if cells else np.empty(0, int))
        draws = [rng.choice(in_area, size=size, replace=False) for _ in range(random_draws)] if size else []
        for h in horizons:
            f0 = np.searchsorted(t, np.datetime64(D))
            f1 = np.searchsorted(t, np.datetime64(D + pd.Timedelta(days=h)))
            future = flat[f0:f1]
            future = future[future >= 0]
            future = future[mask.ravel()[future]]
            total = len(future)
            for name, cellset in chosen.items():
                hits = int(np.isin(future, cellset).sum())
                records.append((name, h, D, total, hits, len(cellset) / n_area))
            if draws:
                hits = float(np.mean([np.isin(future, d).sum() for d in draws]))
                records.append(("random cells", h, D, total, hits, size / n_area))
        if progress:
            progress(k + 1, len(dates))
    df = pd.DataFrame(records, columns=["method", "horizon_days", "date", "incidents", "hits", "area_share"])
    with np.errstate(divide="ignore", invalid="ignore"):
        df["pai"] = (df["hits"] / df["incidents"]) / df["area_share"]
    out = df.groupby(["method", "horizon_days"], sort=False).agg(
        periods=("date", "size"), incidents=("incidents", "sum"), hits=("hits", "sum"),
        area_share=("area_share", "mean"), pai_mean=("pai", "mean"), pai_sd=("pai", "std")).reset_index()
    out["hit_rate"] = out["hits"] / out["incidents"]
    out["pai"] = out["hit_rate"] / out["area_share"]
    return out[["method", "horizon_days", "periods", "incidents", "hits", "hit_rate", "area_share", "pai",
                "pai_mean", "pai_sd"]]


def write_plan(plan: NanoBeatPlan, path) -> "Path":
    """Write targets as GeoJSON (WGS84), GeoPackage or CSV, by extension."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = plan.targets.copy()
    for c in ("first_source", "last_source", "active_until"):
        if c in t:  # never finer than the source: YYYY-MM for police.uk
            t[c] = pd.Series([plan.format_date(v) for v in t[c]], index=t.index, dtype=object)
    ext = path.suffix.lower()
    if ext == ".csv":
        pd.DataFrame(t.drop(columns="geometry")).to_csv(path, index=False)
    elif ext in (".geojson", ".json"):
        t.to_crs(4326).to_file(path, driver="GeoJSON")
    elif ext == ".gpkg":
        t.to_file(path, layer="nanobeats", driver="GPKG")
    else:
        raise HotspotError(f"{path}: write .geojson, .gpkg or .csv")
    return path


def add_plan_to_map(m, plan: NanoBeatPlan, name: str = "Nano-beat targets", show: bool = True) -> None:
    """Targets and route on a :class:`~hotspot.maps.HotspotMap` (drawn by
    :func:`hotspot.render.maps.add_nanobeats`; kept here for callers)."""
    from .render.maps import add_nanobeats

    add_nanobeats(m, plan, name=name, show=show)
