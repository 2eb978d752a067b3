"""The nano-beat planner (:class:`NanoBeatPlanner`): builds the sources and
the risk model (cells, or street segments with a road layer), mixes the
near-repeat part with the background, selects targets, describes them
(sources, expiry, why), routes them and notes what the data allow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._errors import HotspotError
from ..areas import Area
from ..context import Context
from ..crs import require_same_metric_crs, to_lonlat
from ..grid import Grid
from ..periods import Window, data_time_unit
from ..routing import StreetNetwork, beat_routes, check_start, patrol_route
from .cells import CellRisk
from .describe import _across, _business_words, _reach, _shared_sources, business_premises, street_name
from .model import RiskModel
from .plan import NanoBeatPlan
from .sources import DateLike, Sources
from .streets import SegmentRisk, street_segments
from .window import knox_window, planner_window

if TYPE_CHECKING:
    from pandas._libs.tslibs import NaTType

    from ..knox import KnoxResult


#: Mix of history in the risk score, chosen by backtest (see the package doc, :mod:`hotspot.nanobeats`).
DEFAULT_HISTORY_WEIGHT = 0.75


def _check_parameters(incidents: gpd.GeoDataFrame, area: Area, *, distance: float, days: float,
                      history_weight: float | None, cell: float, target_radius: float, location_radius: float,
                      roads: gpd.GeoDataFrame | None, grid: Grid | None) -> None:
    """Refuse a planner that cannot give a meaningful plan (named errors)."""
    if distance <= 0 or days <= 0:
        raise HotspotError("the near-repeat window needs a positive distance (metres) and time")
    if history_weight is not None and not 0 <= history_weight <= 1:
        raise HotspotError("history_weight must be between 0 and 1")
    require_same_metric_crs(incidents=incidents, area=area, roads=roads, grid=grid)
    if cell <= 0 or target_radius <= 0 or location_radius <= 0:
        raise HotspotError(f"cell ({cell:g} m), target_radius ({target_radius:g} m) and location_radius "
                           f"({location_radius:g} m) must be positive")
    if len(incidents) == 0:
        raise HotspotError("no incidents to plan nano-beats from (check crime_types= and the area)", param='crime_types')


class NanoBeatPlanner:
    """Plan nano-beat patrols from recent burglaries.

    Build with :meth:`from_window` or :meth:`from_knox`, then call
    :meth:`solve` for a date. The risk model is :class:`CellRisk` (grid
    cells), or :class:`SegmentRisk` when a road layer is given.

    Parameters
    ----------
    incidents : GeoDataFrame
        Accepted incidents (working CRS, metres).
    area : Area
        The patrol area (targets lie inside it).
    distance : float
        Near-repeat distance, metres.
    days : float, optional
        Near-repeat window, days; day-precision data only (on month-only
        police.uk dates it is refused: give ``months``). Give at most one of
        ``days``, ``months`` and ``window``; with none, the window is
        :data:`~hotspot.settings.NANOBEAT_DAYS` days or
        :data:`~hotspot.settings.NANOBEAT_MONTHS` months by the data's
        time unit (:func:`hotspot.periods.data_time_unit`).
    cell : float
        Cell size, metres (default 50).
    history_weight : float, optional
        Share of the background in the risk (0-1). Default: chosen by
        nested selection with the forecast background, else
        :data:`DEFAULT_HISTORY_WEIGHT`.
    history_days : float
        Length of the history window, days (default two years).
    half_life_days : float
        Half-life of a past burglary's weight in the history, days.
    location_radius : float
        Radius of "the same location" for the history, metres.
    target_radius : float
        Radius of one patrol area, metres.
    grid : Grid, optional
        Cells to use instead of a grid over the area (metres).
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
    background : {"forecast", "history"}
        What the ``history_weight`` share of the risk is: the forecast that
        nested selection picks for the data
        (:class:`hotspot.targets.ForecastBackground`; the default) or the
        location's decayed history within ``location_radius``.
    months : float, optional
        Near-repeat window, calendar months: on month-only dates the last
        ``months`` complete months (the monthly variant); on dates with days
        the span back to the same day ``months`` (whole) months before each
        planning date.
    window : Window, optional
        The window with its unit (:class:`hotspot.periods.Window`), instead
        of ``days`` or ``months``.
    """

    def __init__(self, incidents: gpd.GeoDataFrame, area: Area, *, distance: float = 200.0, days: float | None = None,
                 cell: float = 50.0, history_weight: float | None = None, history_days: float = 730.0,
                 half_life_days: float = 180.0, location_radius: float = 50.0, target_radius: float = 100.0,
                 grid: Grid | None = None, roads: gpd.GeoDataFrame | None = None, segment_length: float = 100.0,
                 context: Context | gpd.GeoDataFrame | None = None, background: str = settings.NANOBEAT_BACKGROUND,
                 months: float | None = None, window: Window | None = None):
        #: the near-repeat window with its unit, checked against the data's time unit
        self.window = planner_window(incidents, days=days, months=months, window=window)
        # days: the window in the data's unit (days, or months for month dates); calendar
        # months on dates with days become the exact days back to that date at each plan (_fit_window)
        self._calendar_months = self.window.unit == "month" and data_time_unit(incidents) == "day"
        days = self.window.length
        if self._calendar_months and len(incidents):
            days = self.window.days_before(incidents["occurred"].max().normalize() + pd.Timedelta(days=1))
        if background not in ("forecast", "history"):
            raise HotspotError(f"background must be 'forecast' or 'history', got {background!r}")
        self.background = background
        #: what the forecast background used at the last plan (method, rule, candidates' PAI)
        self.background_about: dict | None = None
        self._forecast: tuple[int, Any] | None = None
        self._n_targets = settings.NANOBEAT_TARGETS
        _check_parameters(incidents, area, distance=distance, days=days, history_weight=history_weight, cell=cell,
                          target_radius=target_radius, location_radius=location_radius, roads=roads, grid=grid)
        self.area = area
        self.distance, self.days = float(distance), float(days)
        self.cell = float(cell)
        #: the weight the user gave (None: chosen, or the default with the history background)
        self.weight_given = None if history_weight is None else float(history_weight)
        self.history_weight = DEFAULT_HISTORY_WEIGHT if history_weight is None else float(history_weight)
        self.history_days, self.half_life_days = float(history_days), float(half_life_days)
        self.location_radius, self.target_radius = float(location_radius), float(target_radius)
        ctx: gpd.GeoDataFrame | None = getattr(context, "incidents", context)  # a Context or its incidents
        if ctx is not None and len(ctx):
            require_same_metric_crs(incidents=incidents, context=ctx)
        else:
            ctx = None
        self.sources = Sources.from_incidents(incidents, ctx, days=self.days, history_days=self.history_days,
                                              half_life_days=self.half_life_days)
        self.monthly = self.sources.monthly
        self.n_context = self.sources.n_context
        # with context the grid reaches the near-repeat distance beyond the
        # boundary, so burglaries there are binned; targets stay inside (mask)
        self.grid = grid or Grid.for_geometry(area.geometry, cell, area.crs, pad=self.distance if ctx is not None else 0.0)
        self.mask = self.grid.mask(area.geometry)
        radii = dict(distance=self.distance, location_radius=self.location_radius, target_radius=self.target_radius)
        self.cells = CellRisk(self.sources, self.grid, self.mask, cell=self.cell, **radii)
        self.segments = street_segments(roads, area, segment_length) if roads is not None else None
        #: the risk model plans use: street segments with a road layer, else cells
        self.model: RiskModel = SegmentRisk(self.sources, self.segments, **radii) if roads is not None else self.cells
        self._disc, self._excl = self.cells.disc, self.cells.exclusion

    # -- constructors -------------------------------------------------------------
    @classmethod
    def from_window(cls, incidents: gpd.GeoDataFrame, area: Area, distance: float = 200.0, days: float | None = None,
                    *, months: float | None = None, window: Window | None = None,
                    **kwargs: Any) -> "NanoBeatPlanner":
        """A planner with a window given by the user, in days, calendar
        months or as a :class:`~hotspot.periods.Window`.

        Days are never read as months: on month-only dates (police.uk) a
        ``days`` window is refused (:class:`DataPrecisionError` naming
        ``months=``), as no number of days is a whole number of months.

        Parameters
        ----------
        incidents : GeoDataFrame
            Accepted incidents (working CRS, metres).
        area : Area
            The patrol area.
        distance : float
            Near-repeat distance, metres (default 200 m).
        days : float, optional
            Near-repeat window, days (dates with days only).
        months : float, optional
            Near-repeat window, calendar months (see the class).
        window : Window, optional
            The window with its unit. Give at most one of ``days``,
            ``months`` and ``window``; with none the default for the data's
            time unit (:data:`~hotspot.settings.NANOBEAT_DAYS` days or
            :data:`~hotspot.settings.NANOBEAT_MONTHS` months).
        **kwargs
            Any other parameter of the class (``cell`` in metres,
            ``history_weight``, ``roads``, ``context``, ...).

        Returns
        -------
        NanoBeatPlanner
        """
        return cls(incidents, area, distance=distance, days=days, months=months, window=window, **kwargs)

    @classmethod
    def from_knox(cls, incidents: gpd.GeoDataFrame, area: Area, knox: KnoxResult | Mapping[str, Any], *,
                  alpha: float = 0.05, min_ratio: float = 1.2, **kwargs: Any) -> "NanoBeatPlanner":
        """A planner whose window is the near-repeat window of a Knox result
        (see :meth:`hotspot.knox.KnoxResult.significant_window`).

        Parameters
        ----------
        incidents : GeoDataFrame
            Accepted incidents (working CRS, metres).
        area : Area
            The patrol area.
        knox : KnoxResult or dict
            A Knox result or its JSON dict (``hotspot knox --json``).
        alpha : float
            False discovery rate (0-1) for the significant cells.
        min_ratio : float
            Smallest Knox ratio (unitless) a cell needs.
        **kwargs
            Any other parameter of the class (``cell`` in metres,
            ``history_weight``, ``roads``, ``context``, ...).

        Returns
        -------
        NanoBeatPlanner
            With ``distance`` (metres) and the window in the Knox test's
            ``time_unit`` (days or months) from the window.
        """
        window = knox_window(knox, alpha=alpha, min_ratio=min_ratio)
        if window is None:
            raise HotspotError(f"the Knox result shows no near-repeat band with p <= {alpha} and ratio >= {min_ratio}; "
                               "give distance= and days= instead", param=('distance', 'days'))
        unit = getattr(knox, "time_unit", None) or (knox.get("time_unit") if isinstance(knox, Mapping) else None)
        if unit is None:  # an old Knox JSON: month dates allow only month bands, dates with days default to days
            unit = "months" if data_time_unit(incidents) == "month" else "days"
        length = window[1]
        return cls(incidents, area, distance=window[0], window=Window(length, "month" if unit == "months" else "day"),
                   **kwargs)

    # -- risk ---------------------------------------------------------------------
    def components(self, as_of: DateLike, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The near-repeat and history risk of the planner's model (cells,
        or street segments with a road layer), each summing to 1; see
        :meth:`CellRisk.components`.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; burglaries strictly before it count.
        own_only : bool
            Only the part from the area's own burglaries (same scale).

        Returns
        -------
        near_repeat, history : ndarray
            Risk per unit.
        """
        self._fit_window(self.sources.as_of(as_of))
        return self.model.components(as_of, own_only=own_only)

    def _fit_window(self, as_of: pd.Timestamp) -> None:
        """Calendar months on dates with days: the window is the exact days
        back to the same day that many months before ``as_of``."""
        if self._calendar_months:
            self.days = self.sources.days = self.window.days_before(as_of)

    def risk(self, as_of: DateLike, history_weight: float | None = None, *, own_only: bool = False) -> np.ndarray:
        """Risk per unit (cell or segment) as of a date (see module doc).

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; burglaries strictly before it count.
        history_weight : float, optional
            Share of the history component (0-1; default the planner's).
        own_only : bool
            Only the part that comes from the area's own burglaries.

        Returns
        -------
        ndarray
            Risk per cell ``(ny, nx)`` or per segment.
        """
        nr, hist = self.components(as_of, own_only=own_only)
        if self.background == "forecast":
            w, hist = self.forecast_background(as_of)
            w = w if history_weight is None and self.weight_given is None else (
                self.history_weight if history_weight is None else history_weight)
        else:
            w = self.history_weight if history_weight is None else history_weight
        return (1 - w) * nr + w * hist

    def forecast_background(self, as_of: DateLike) -> tuple[float, np.ndarray]:
        """The forecast background per unit (cell, or the cell under a
        street segment's midpoint), summing to 1, and its share in the risk,
        both chosen by nested selection (:class:`hotspot.targets.TargetRisk`);
        records what was chosen in :attr:`background_about`.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; only periods before its period count.

        Returns
        -------
        weight : float
            The background's share of the risk (0-1).
        background : ndarray
            Per cell ``(ny, nx)`` or per segment.
        """
        from ..targets import TargetRisk

        if self._forecast is None or self._forecast[0] != self._n_targets:
            self._forecast = (self._n_targets, TargetRisk(self, self._n_targets))
        target_risk = self._forecast[1]
        when = self.sources.as_of(as_of)
        _, self.background_about = target_risk.risk(when)
        w = float(self.background_about["weight"])
        surf, _ = target_risk.background.surface(when)
        if self.segments is None:
            return w, surf
        row, col, ok = self.grid.index(self.segments["mx"].to_numpy(), self.segments["my"].to_numpy())
        v = np.where(ok, surf[np.clip(row, 0, self.grid.ny - 1), np.clip(col, 0, self.grid.nx - 1)], 0.0)
        return w, (v / v.sum() if v.sum() > 0 else v)

    def select_cells(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Greedy compact patrol areas on the grid (:func:`select_targets`).

        Parameters
        ----------
        risk : ndarray
            ``(ny, nx)`` risk per cell.
        n_targets : int
            At most this many targets.

        Returns
        -------
        list of ndarray
            ``(k, 2)`` arrays of (row, col).
        """
        return self.cells.select(risk, n_targets)

    # -- plan ---------------------------------------------------------------------
    def solve(self, as_of: DateLike, *, n_targets: int = 10, start: tuple[float, float] | None = None,
              start_lonlat: tuple[float, float] | None = None, network: StreetNetwork | None = None,
              start_tolerance: float = 1000.0) -> NanoBeatPlan:
        """Nano-beat targets as of a date.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            Planning date D; incidents strictly before it are used.
        n_targets : int
            At most this many targets (fewer when risk runs out).
        start : (x, y), optional
            Start/end of the patrol route, metres (working CRS).
        start_lonlat : (lon, lat), optional
            The same in WGS84 degrees; checked against the area
            (:class:`HotspotError` when swapped or outside it).
        network : StreetNetwork, optional
            Street graph; the route follows the streets (shortest paths),
            otherwise legs are straight ("as the crow flies").
        start_tolerance : float
            How far outside the area the start may be, metres.

        Returns
        -------
        NanoBeatPlan
            Targets in patrol order with their sources, expiry and why, the
            route and notes.
        """
        if n_targets < 1:
            raise HotspotError("n_targets must be at least 1")
        when = self.sources.as_of(as_of)
        self._fit_window(when)
        notes = self._window_notes(when)
        self._n_targets = n_targets
        if start_lonlat is not None:
            start = check_start(float(start_lonlat[0]), float(start_lonlat[1]), self.area, tolerance=start_tolerance)
        plan = self._plan(when, n_targets, start, notes, network)
        plan.legs = plan.beat_legs(network) if len(plan.targets) else None
        if plan.legs is not None:
            plan.route_length_m = plan.legs.length_m
            if network is None:
                notes.append("route legs are straight lines (as the crow flies): give a street layer to route on streets")
            elif not plan.legs.all_on_streets:
                notes.append(f"{plan.legs.on_streets.count(False)} route legs cross gaps in the street layer "
                             "and are drawn straight")
        return plan

    def _window_notes(self, as_of: pd.Timestamp) -> list[str]:
        """Refuse a date before the data; note when the data end before the
        near-repeat window (targets then come from the history only)."""
        t = self.sources.t
        before = t < np.datetime64(as_of)
        fmt = "%Y-%m" if self.monthly else "%Y-%m-%d"
        if not before.any():
            raise HotspotError(f"as_of={as_of:%Y-%m-%d}: no burglary before it (the data start "
                               f"{pd.Timestamp(t.min()):{fmt}}); plan for a date after the data", param='as_of')
        last = pd.Timestamp(t[before].max())
        window_start = (as_of.to_period("M") - int(self.days)).to_timestamp() if self.monthly \
            else as_of - pd.Timedelta(days=self.days)
        refuse_before = window_start if settings.AS_OF_MAX_GAP_DAYS is None \
            else as_of - pd.Timedelta(days=settings.AS_OF_MAX_GAP_DAYS)
        end = pd.Timestamp(t.max())  # the data's end (a quiet spell mid-data is not one)
        if end < refuse_before:
            expected = self._expected_in_gap(as_of, end)
            # data that stop early are told from a quiet spell by the area's own rate: refused when
            # it predicts so many burglaries since the data end that none is implausible (P(0 | 5) < 1 %)
            if settings.AS_OF_MAX_GAP_DAYS is not None or expected >= settings.STALE_EXPECTED:
                raise HotspotError(self._stale_message(as_of, end, fmt), param="as_of")
            return [f"no burglary in the data after {end:{fmt}}, where the area's rate over the year before "
                    f"predicts ~{expected:.1f} by --as-of {as_of:%Y-%m-%d}: a quiet spell, or data that end "
                    "early (check the extract runs to --as-of); targets come from the longer history only"]
        if last < window_start:
            return [f"the data end {last:{fmt}}, before the near-repeat window: targets come from the longer "
                    "history only, with no expiry"]
        return self._gap_note(as_of, end, fmt)

    def _expected_in_gap(self, as_of: pd.Timestamp, end: pd.Timestamp) -> float:
        """Burglaries the area's rate over the year up to the data end predicts
        between the data end and ``as_of`` (whole months for month data)."""
        t = self.sources.t
        if self.monthly:
            year = (t > np.datetime64((end.to_period("M") - 12).to_timestamp())) & (t <= np.datetime64(end))
            gap = (as_of.to_period("M") - end.to_period("M")).n - 1
            return float(year.sum()) / 12 * max(gap, 0)
        year = (t > np.datetime64(end - pd.Timedelta(days=365))) & (t <= np.datetime64(end))
        return float(year.sum()) / 365 * max((as_of - end) / pd.Timedelta(days=1), 0.0)

    def _stale_message(self, as_of: pd.Timestamp, last: pd.Timestamp, fmt: str) -> str:
        """One line: ``as_of`` is more than the near-repeat window after the data
        end, so a plan would rest on old burglaries only; the latest date it can be."""
        unit = "months" if self.monthly else "days"
        latest = ((last.to_period("M") + int(self.days)).to_timestamp() if self.monthly
                  else last + pd.Timedelta(days=self.days))
        return (f"as_of={as_of:%Y-%m-%d}: the data end {last:{fmt}}, more than the near-repeat window "
                f"({self.days:g} {unit}) before it, so no recent burglary could be known; add data up to "
                f"as_of= or plan for {latest:%Y-%m-%d} at the latest")

    def _gap_note(self, as_of: pd.Timestamp, last: pd.Timestamp, fmt: str) -> list[str]:
        """A note when the data end inside the near-repeat window but not just
        before --as-of: the most recent part of the window is not known."""
        if self.monthly:
            gap = (as_of.to_period("M") - last.to_period("M")).n - 1
            unit = "month"
        else:
            gap = int((as_of - last.normalize()) / pd.Timedelta(days=1)) - 1
            unit = "day"
        if gap < 1:
            return []
        return [f"the data end {last:{fmt}}, {gap} {unit}{'s' if gap > 1 else ''} before --as-of "
                f"{as_of:%Y-%m-%d}: burglaries since then are not in the plan"]

    def _plan(self, as_of: pd.Timestamp, n_targets: int, start, notes: list[str],
              network: StreetNetwork | None) -> NanoBeatPlan:
        """Targets of the planner's risk model, described and in patrol order."""
        model = self.model
        risk = self.risk(as_of)
        groups = model.select(risk, n_targets)
        own = self.risk(as_of, own_only=True) if self.n_context else risk
        if self.monthly:
            notes.append(f"month-precision dates: monthly variant (last {self.days:g} months, plans from {as_of:%Y-%m})")
        if not groups:
            notes.append("no burglaries in the window: no targets")
        from ..targets import dosage

        targets = self._describe_polygons(model.polygons(groups), model.group_sums(risk, groups), as_of)
        dose = dosage(len(groups))
        self._mark_shared(targets, model.group_sums(own, groups))
        length = 0.0
        if len(targets):
            model.describe_targets(targets, groups)
            targets["visit_minutes"] = dose["visit_minutes"]
            targets["visits_per_shift"] = dose["visits_per_shift"]
            xy = targets[["centroid_x", "centroid_y"]].to_numpy()
            order, length = patrol_route(xy, start, network)
            beat = np.ones(len(order), int)
            if length > settings.NANOBEAT_BEAT_ROUTE_M and len(targets) > 1:  # too far for one shift: beats
                order, lengths, beat = beat_routes(xy, start, network, max_route_m=settings.NANOBEAT_BEAT_ROUTE_M)
                length = sum(lengths)
                notes.append(f"one route through the {len(targets)} targets would be over "
                             f"{settings.NANOBEAT_BEAT_ROUTE_M / 1000:g} km (settings.NANOBEAT_BEAT_ROUTE_M): they are "
                             f"grouped into {beat.max()} beats, one route each")
            targets = targets.iloc[order].reset_index(drop=True)
            targets["patrol_order"] = np.arange(1, len(targets) + 1)
            targets["beat"] = beat
            groups = [groups[k] for k in order]
        return NanoBeatPlan(targets=targets, route_length_m=length, start=start, as_of=as_of,
                            window=(self.distance, self.days),
                            variant=("monthly" if self.monthly else "daily") + model.variant_suffix,
                            risk=risk, grid=self.grid, target_cells=groups, notes=notes,
                            risk_method=self._risk_method(), dosage=dose)

    def _risk_method(self) -> dict:
        """What the last plan's risk was made of, and the targets' shape (for the JSON and the brief)."""
        # discs stay the shape: risk-grown areas of equal size did not beat them on past data (README)
        shape = {"target_shape": "disc"}
        if self.background == "forecast" and self.background_about is not None:
            given = {} if self.weight_given is None else {"weight": self.weight_given, "weight_rule": "given"}
            return {"background": "forecast"} | self.background_about | given | shape
        return {"background": "history", "weight": self.history_weight,
                "rule": f"decayed burglaries within {self.location_radius:g} m over {self.history_days:g} days"} | shape

    def _mark_shared(self, targets: gpd.GeoDataFrame, own_risk: list[float]) -> None:
        """Add ``context_share`` (the part of each target's risk that comes
        from burglaries across the boundary) and ``shared_with`` (the
        neighbours, when that part is at least ``settings.SHARED_TARGET_SHARE``)."""
        if not len(targets):
            return
        total = targets["risk"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, 1.0 - np.asarray(own_risk) / total, 0.0)
        targets["context_share"] = np.round(np.clip(share, 0.0, 1.0), 4)
        targets["shared_with"] = [", ".join(n) if s >= settings.SHARED_TARGET_SHARE and n else None
                                  for s, n in zip(share, targets["context_neighbours"])]
        targets["context_neighbours"] = [", ".join(n) for n in targets["context_neighbours"]]

    def _why(self, n_recent: int, n_past: int, t_recent: np.ndarray, t_past: np.ndarray,
             history_days: float | None = None, reach: tuple[float, float] | None = None) -> str:
        """Why a place is a target, in words with units (``history_days``:
        the history actually covered by the data, days; ``reach``: the
        farthest recent and earlier source from the target's centre, metres,
        stated instead of the distances from the patrol area's edge)."""
        fmt = "%Y-%m" if self.monthly else "%d %b %Y"
        unit = "months" if self.monthly else "days"
        parts = []
        if n_recent:
            lo, hi = pd.Timestamp(t_recent.min()), pd.Timestamp(t_recent.max())
            when = f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}} to {hi:{fmt}}"
            within = f"{reach[0]:g} m of its centre" if reach else f"{self.distance:g} m"
            parts.append(f"{n_recent} burglar{'y' if n_recent == 1 else 'ies'} within {within}, last "
                         f"{self.days:g} {unit} ({when})")
        if n_past:
            days = self.history_days if history_days is None else min(self.history_days, history_days)
            hist = f"{days / 30.44:.0f} months" if days >= 61 else f"{days:.0f} days"
            within = f"{reach[1]:g} m of its centre" if reach else f"{self.location_radius:g} m"
            parts.append(f"{n_past} earlier within {within} over {hist} "
                         f"(latest {pd.Timestamp(t_past.max()):{fmt}})")
        return "; ".join(parts) if parts else "no burglary in the window"

    def _describe_polygons(self, polys: list, risks: list[float], as_of: pd.Timestamp) -> gpd.GeoDataFrame:
        """Targets with their source burglaries: the recent ones within the
        near-repeat distance and the older ones (history window) within the
        location radius, i.e. those that gave the target its risk."""
        s = self.sources
        idx, age = s.ages(as_of)
        recent_ok = s.recent(age)
        recent, older = idx[recent_ok], idx[~recent_ok & (s.history_age_days(age) < self.history_days)]
        rows = []
        sources: list[np.ndarray] = []
        for rank, (poly, target_risk) in enumerate(zip(polys, risks), start=1):
            c = poly.centroid
            near = recent[shapely.dwithin(poly, shapely.points(s.x[recent], s.y[recent]), self.distance)]
            past = older[shapely.dwithin(poly, shapely.points(s.x[older], s.y[older]), self.location_radius)]
            src = np.r_[past, near]
            sources.append(src)
            times = pd.DatetimeIndex(s.t[src])
            until: pd.Timestamp | NaTType
            if not len(near):
                # held up by its history alone: no near-repeat clock runs, so
                # no expiry (review it at the next plan)
                until = pd.NaT
            elif self.monthly:
                last = pd.Timestamp(s.t[near].max()).to_period("M")
                until = (last + int(self.days)).to_timestamp(how="end").normalize()
            else:
                until = pd.Timestamp(s.t[near].max()) + pd.Timedelta(days=self.days)
            own = s.own[src]
            # named after the area's own burglaries: a target is a place in the area, even when most of
            # its risk comes from across the boundary (context names it only when nothing of its own does)
            locs = pd.Series(s.location[src[own]] if (s.location[src[own]] != "").any() else s.location[src])
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
                "why": self._why(len(near), len(past), s.t[near], s.t[past],
                                 history_days=(as_of - pd.Timestamp(s.t.min())) / pd.Timedelta(days=1),
                                 reach=(_reach(s, near, c), _reach(s, past, c)))
                + _across(int((~own).sum()), n, sorted(set(s.neighbour[src][~own])))
                + _business_words(s.location[src]),
                **business_premises(s.location[src]),
                "context_sources": int((~own).sum()),
                "context_neighbours": sorted(set(s.neighbour[src][~own])),
                "area_m2": float(poly.area), "centroid_x": c.x, "centroid_y": c.y, "geometry": poly,
            })
        for row, shared in zip(rows, _shared_sources(sources, [r["target_id"] for r in rows])):
            row.update(shared)
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=self.area.crs) if rows else gpd.GeoDataFrame(
            {"target_id": []}, geometry=gpd.GeoSeries([], crs=self.area.crs))
        if rows:
            lon, lat = to_lonlat(gdf["centroid_x"], gdf["centroid_y"], self.area.crs)
            gdf["centroid_lon"], gdf["centroid_lat"] = np.round(lon, 6), np.round(lat, 6)
        return gdf
