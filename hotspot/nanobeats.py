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

By default (``background="forecast"``, issue 20) the history part is
replaced by the forecast that nested selection picks for the data, and ``w``
is chosen on earlier plans too (:class:`hotspot.targets.TargetRisk`): the
plan's ``risk_method`` says which forecast and weight were used and how.

Targets are compact patrol areas: the cell whose ``target_radius``
neighbourhood holds the most risk is chosen, that disc of cells becomes a
target, the risk within two radii of it is cleared (so the next target is a
different place, not a ring round this one), and so on up to N targets. Each target lists
its source burglaries (those within ``distance`` of it in the window),
when it expires (``active_until`` = last source date + ``days``), and a
label from the incidents' location text.

Structure: :class:`Sources` holds the burglaries and their weights as of a
date; a risk model (:class:`RiskModel`: :class:`CellRisk` on grid cells or
:class:`SegmentRisk` on street segments) gives risk per unit, selects targets
(:func:`select_targets`, a pure function on the risk array padded once by
the disc half-width, and :func:`select_segments`) and shapes them; the
:class:`NanoBeatPlanner` describes, routes and notes them. The backtest is
:func:`hotspot.evaluation.backtest_nanobeats`; drawing is
:mod:`hotspot.render.nanobeats`.

Month-precision data (police.uk) cannot support a window in days. The
*monthly variant* uses the last ``months`` complete months (the most recent
month weighs 1, the one before 1 - 1/months, ...), the history in months,
and ``active_until`` = the end of the last source month plus ``months``.
Plans say which variant they used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.signal import fftconvolve
from shapely.geometry.base import BaseGeometry

from . import settings
from ._errors import DataPrecisionError, HotspotError
from .areas import Area
from .context import Context
from .crs import require_same_metric_crs, to_lonlat
from .grid import Grid
from .periods import Window, data_time_unit, window_from
from .routing import RouteLegs, StreetNetwork, beat_routes, check_start, patrol_route, route_legs

if TYPE_CHECKING:
    from pandas._libs.tslibs import NaTType

    from .context import Context
    from .knox import KnoxResult

#: A date as the API takes it: ``"2025-03-01"``, a Timestamp, a date or a datetime64.
DateLike = str | pd.Timestamp | date | np.datetime64

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
    target_cells: list[np.ndarray] | None = field(repr=False, default=None)
    notes: list[str] = field(default_factory=list)
    legs: RouteLegs | None = field(repr=False, default=None)
    #: Context incidents used (:meth:`hotspot.context.Context.to_json`), if any.
    context: dict | None = None
    #: What the risk is made of: ``background`` ("forecast" or "history"), the
    #: forecast ``method`` and ``weight`` chosen and how (:class:`hotspot.targets.TargetRisk`).
    risk_method: dict | None = None
    #: Patrol dosage (:func:`hotspot.targets.dosage`): minutes per visit, revisits, officer-minutes.
    dosage: dict | None = None

    @property
    def monthly(self) -> bool:
        """True when the dates are months only (police.uk)."""
        return self.variant.startswith("monthly")

    @property
    def route_on_streets(self) -> bool:
        """True when every leg of the route follows the streets."""
        return self.legs is not None and self.legs.all_on_streets

    def format_date(self, value: DateLike | None) -> str | None:
        """A date as the source allows: ``YYYY-MM`` for month-precision data,
        ``YYYY-MM-DD`` otherwise; None for a missing date.

        Parameters
        ----------
        value : str, Timestamp, date, datetime64 or None
            The date (None or NaT for a missing one).

        Returns
        -------
        str or None
            The date as text, no finer than the source.
        """
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
        start = (self.start[0], self.start[1]) if self.start else None
        pts = [start] if start else []
        pts += [(float(r.centroid_x), float(r.centroid_y)) for r in self.targets.itertuples()]
        if start:
            pts.append(start)
        return pts

    def beat_points(self) -> list[list[tuple[float, float]]]:
        """Per beat (``targets["beat"]``; one beat without it), the start,
        its targets in patrol order, back to the start (metres)."""
        pts = self.route_points()
        if "beat" not in self.targets or self.targets["beat"].nunique() <= 1:
            return [pts] if pts else []
        start = [pts[0]] if self.start else []
        return [start + [(float(r.centroid_x), float(r.centroid_y)) for r in grp.itertuples()] + start
                for _, grp in self.targets.groupby("beat", sort=True)]

    def beat_legs(self, network: StreetNetwork | None = None) -> RouteLegs:
        """The route's legs, beat after beat (no leg joins two beats).

        Parameters
        ----------
        network : StreetNetwork, optional
            Street graph; legs follow the streets (default: straight legs).

        Returns
        -------
        RouteLegs
            Every beat's legs; ``length_m`` is their total, metres.
        """
        parts = [route_legs(p, network) for p in self.beat_points()]
        return RouteLegs(lines=[ln for p in parts for ln in p.lines], on_streets=[o for p in parts for o in p.on_streets],
                         length_m=float(sum(p.length_m for p in parts)))

    def beat_lengths_m(self) -> list[float]:
        """Route length of each beat, metres, as drawn (straight or on the
        streets, like :attr:`route_length_m`)."""
        if self.legs is None:
            return []
        sizes = [len(p) - 1 for p in self.beat_points()]
        ends = np.cumsum(sizes)
        return [float(sum(ln.length for ln in self.legs.lines[e - n:e])) for n, e in zip(sizes, ends)]

    def beat_lines(self) -> list[shapely.LineString]:
        """One line per beat's route (street paths when routed on streets);
        a single beat gives :meth:`route_line`."""
        if self.legs is None or "beat" not in self.targets or self.targets["beat"].nunique() <= 1:
            line = self.route_line()
            return [line] if line is not None else []
        out, k = [], 0
        for n in (len(p) - 1 for p in self.beat_points()):
            coords: list[tuple[float, ...]] = []
            for ln in self.legs.lines[k:k + n]:
                c = list(ln.coords)
                coords += c if not coords else c[1:]
            k += n
            if len(coords) >= 2:
                out.append(shapely.LineString(coords))
        return out

    def route_line(self) -> shapely.LineString | None:
        """The whole route as one line (street paths when routed on streets)."""
        if self.legs is not None and self.legs.lines:
            coords: list[tuple[float, ...]] = []
            for ln in self.legs.lines:
                c = list(ln.coords)
                coords += c if not coords else c[1:]
            return shapely.LineString(coords) if len(coords) >= 2 else None
        pts = self.route_points()
        return shapely.LineString(pts) if len(pts) >= 2 else None


@dataclass
class Sources:
    """The burglaries a planner draws on, sorted by date, with the weight each
    carries as of a date.

    Attributes
    ----------
    x, y : ndarray
        Coordinates, metres (working CRS).
    t : ndarray of datetime64[ns]
        Dates.
    location : ndarray of str
        Location text ("" when missing).
    neighbour : ndarray of str
        "" for the area's own burglaries, else the neighbour a context one
        lies in.
    monthly : bool
        Dates are months only (police.uk): ages in months.
    days : float
        Near-repeat window, days (months for the monthly variant).
    history_days, half_life_days : float
        History window and half-life of a past burglary's weight, days.
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    location: np.ndarray
    neighbour: np.ndarray
    monthly: bool
    days: float
    history_days: float
    half_life_days: float

    @classmethod
    def from_incidents(cls, incidents: gpd.GeoDataFrame, context: gpd.GeoDataFrame | None, *, days: float,
                       history_days: float, half_life_days: float) -> "Sources":
        """The area's incidents plus any context incidents (their
        ``neighbour`` column names where they lie), sorted by date (stable).

        Parameters
        ----------
        incidents : GeoDataFrame
            The area's incidents (working CRS, metres) with ``occurred``.
        context : GeoDataFrame or None
            Incidents across the boundary, same CRS (optional ``neighbour``
            column), or None.
        days : float
            Near-repeat window, days (months for month-precision data).
        history_days : float
            History window, days.
        half_life_days : float
            Half-life of a past burglary's history weight, days.

        Returns
        -------
        Sources
        """
        unit = data_time_unit(incidents)
        if context is not None and len(context) and "date_precision" in context and data_time_unit(context) != unit:
            raise DataPrecisionError(f"context: its burglaries are dated to the {data_time_unit(context)} and the "
                                     f"area's to the {unit}; give context of the same date precision")
        if context is not None:
            context = context.assign(neighbour=context["neighbour"] if "neighbour" in context
                                     else "across the boundary")
            inc = pd.concat([incidents.assign(neighbour=""), context], ignore_index=True)
        else:
            inc = incidents.assign(neighbour="")
        inc = inc.sort_values("occurred", kind="stable")
        location = (inc["location_text"].fillna("").to_numpy() if "location_text" in inc
                    else np.full(len(inc), ""))
        return cls(x=inc.geometry.x.to_numpy(), y=inc.geometry.y.to_numpy(),
                   t=inc["occurred"].to_numpy("datetime64[ns]"), location=location,
                   neighbour=inc["neighbour"].fillna("across the boundary").astype(str).to_numpy(),
                   monthly=unit == "month", days=float(days), history_days=float(history_days),
                   half_life_days=float(half_life_days))

    #: True for the area's own burglaries (False: context)
    own: np.ndarray = field(init=False, repr=False)
    #: number of context burglaries (across the boundary)
    n_context: int = field(init=False)

    def __post_init__(self) -> None:
        self.own = self.neighbour == ""
        self.n_context = int((~self.own).sum())

    def as_of(self, as_of: DateLike) -> pd.Timestamp:
        """The planning date; the monthly variant plans from the first of a month.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The date asked for.

        Returns
        -------
        Timestamp
            The date planned from.
        """
        ts = pd.Timestamp(as_of)
        if self.monthly:
            ts = ts.to_period("M").to_timestamp()
        return ts

    def ages(self, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """Indices of incidents before ``as_of`` and their ages (days, or
        months for the monthly variant, 1 = the month before).

        Parameters
        ----------
        as_of : Timestamp
            The planning date (from :meth:`as_of`).

        Returns
        -------
        idx : ndarray of int
            Indices of the incidents strictly before ``as_of``.
        age : ndarray of float
            Their ages, days (months for the monthly variant).
        """
        before = self.t < np.datetime64(as_of)
        idx = np.nonzero(before)[0]
        if self.monthly:
            ts = pd.DatetimeIndex(self.t[idx])
            age = (as_of.year * 12 + as_of.month) - (ts.year * 12 + ts.month).to_numpy()
            return idx, age.astype(float)
        # numpy's stubs type datetime64 - datetime64 array as datetime64; it is timedelta64
        delta: np.ndarray = np.datetime64(as_of) - self.t[idx]
        return idx, delta / np.timedelta64(1, "D")

    def history_age_days(self, age: np.ndarray) -> np.ndarray:
        """Ages from :meth:`ages` in days (months of 30.44 days).

        Parameters
        ----------
        age : ndarray
            Ages (from :meth:`ages`), days (months for the monthly variant).

        Returns
        -------
        ndarray
            Ages, days.
        """
        return age * 30.44 if self.monthly else age

    def recent(self, age: np.ndarray) -> np.ndarray:
        """True for ages inside the near-repeat window.

        Parameters
        ----------
        age : ndarray
            Ages (from :meth:`ages`), days (months for the monthly variant).

        Returns
        -------
        ndarray of bool
        """
        return (age <= self.days) if self.monthly else (age < self.days)

    def weights(self, as_of: DateLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Incidents before ``as_of`` with their near-repeat weight
        ``1 - age / days`` (monthly: the last month weighs 1) and their
        history weight ``0.5 ** (age / half-life)`` within the history.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date.

        Returns
        -------
        idx : ndarray of int
            Indices of the incidents before the planning date.
        w_nr, w_h : ndarray
            Their near-repeat and history weights (0-1).
        """
        idx, age = self.ages(self.as_of(as_of))
        if self.monthly:
            w_nr = np.where(age <= self.days, 1.0 - (age - 1) / self.days, 0.0)
        else:
            w_nr = np.where(age < self.days, 1.0 - age / self.days, 0.0)
        hist_age = self.history_age_days(age)
        w_h = np.where(hist_age < self.history_days, 0.5 ** (hist_age / self.half_life_days), 0.0)
        return idx, w_nr, w_h


class RiskModel(Protocol):
    """What a nano-beat risk model provides (:class:`CellRisk`,
    :class:`SegmentRisk`): risk per unit (grid cell or street segment), target
    selection over units, and the targets' shapes and extra columns."""

    #: appended to the plan's variant ("" for cells, " streets")
    variant_suffix: str

    def components(self, as_of: DateLike, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Near-repeat and history risk per unit, each summing to 1 (or all zero).

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
        ...

    def select(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Up to ``n_targets`` groups of units, best first.

        Parameters
        ----------
        risk : ndarray
            Risk per unit.
        n_targets : int
            At most this many groups.

        Returns
        -------
        list of ndarray
            The units of each group.
        """
        ...

    def group_sums(self, values: np.ndarray, groups: list[np.ndarray]) -> list[float]:
        """``values`` summed over each group.

        Parameters
        ----------
        values : ndarray
            A value per unit.
        groups : list of ndarray
            The groups (from :meth:`select`).

        Returns
        -------
        list of float
        """
        ...

    def polygons(self, groups: list[np.ndarray]) -> list[BaseGeometry]:
        """One patrol-area polygon per group (metres).

        Parameters
        ----------
        groups : list of ndarray
            The groups (from :meth:`select`).

        Returns
        -------
        list of shapely geometry
        """
        ...

    def describe_targets(self, targets: gpd.GeoDataFrame, groups: list[np.ndarray]) -> None:
        """Add the model's own columns to the targets (in place).

        Parameters
        ----------
        targets : GeoDataFrame
            One row per group, in the order of ``groups``.
        groups : list of ndarray
            The groups (from :meth:`select`).
        """
        ...


def select_targets(risk: np.ndarray, mask: np.ndarray, disc: np.ndarray, exclusion: np.ndarray,
                   n_targets: int, keep: float = 0.0) -> list[np.ndarray]:
    """Greedy compact patrol areas on a grid.

    The cell whose ``disc`` neighbourhood holds the most risk is chosen; that
    disc (minus cells outside ``mask`` or in an earlier target) is a target;
    the risk under ``exclusion`` round it is cleared, so the next target is
    another place, not a ring round this one; and so on.

    Parameters
    ----------
    risk : ndarray (ny, nx)
        Risk per cell, summing to at most 1 (not modified).
    mask : ndarray of bool (ny, nx)
        Cells a target may cover.
    disc, exclusion : ndarray (2k + 1, 2k + 1)
        Target and exclusion stencils (non-zero = in), odd-sized, centred.
    n_targets : int
        At most this many targets (fewer when the risk runs out).
    keep : float
        0 (default): a target is the whole disc. Above 0 it follows the
        risk: only the disc's cells with at least ``keep`` times the risk of
        its riskiest cell (0-1), so never larger than the disc.

    Returns
    -------
    list of ndarray (k, 2)
        (row, col) of each target's cells, best first.
    """
    rr, re = disc.shape[0] // 2, exclusion.shape[0] // 2  # half-widths, cells
    reach = re + rr  # clearing risk within re cells changes scores within re + rr
    pad = reach + rr
    # everything below slices the padded arrays, so no window is ever clipped
    r = np.pad(risk, pad)
    original = r.copy()  # `r` is cleared round each target; the shape follows the risk as given
    inside = np.pad(mask, pad, constant_values=False)
    taken = np.zeros(r.shape, bool)
    score = np.full(r.shape, -np.inf)
    # risk sums to 1, so scores are <= 1: rounding to 1e-12 removes FFT
    # round-off, and equal scores then tie-break on the first cell
    score[pad:-pad, pad:-pad] = np.where(mask, np.round(fftconvolve(risk, disc, mode="same"), 12), -np.inf)
    in_disc, in_excl = disc > 0, exclusion > 0
    targets = []
    for _ in range(n_targets):
        k = int(np.argmax(score))
        if not np.isfinite(score.flat[k]) or score.flat[k] <= 1e-12:
            break
        row, col = divmod(k, r.shape[1])
        win = _window(row, col, rr)
        # the whole disc is the patrol area (every target has the same size,
        # so methods compare at equal area), minus cells outside the area or
        # already in an earlier target
        patch = in_disc & inside[win] & ~taken[win]
        if keep > 0 and patch.any():
            patch &= original[win] >= keep * original[win][patch].max()
        rows, cols = np.nonzero(patch)
        targets.append(np.column_stack([rows + row - rr - pad, cols + col - rr - pad]))
        taken[win] |= patch
        r[_window(row, col, re)][in_excl] = 0.0
        local = np.round(fftconvolve(r[_window(row, col, reach + rr)], disc, mode="same"), 12)
        near = _window(row, col, reach)
        score[near] = np.where(inside[near], local[rr:rr + 2 * reach + 1, rr:rr + 2 * reach + 1], -np.inf)
    return targets


def _window(row: int, col: int, half: int) -> tuple[slice, slice]:
    """The square of ``half`` cells either side of (row, col)."""
    return slice(row - half, row + half + 1), slice(col - half, col + half + 1)


def select_segments(risk: np.ndarray, midpoints: np.ndarray, radius: float, n_targets: int) -> list[np.ndarray]:
    """Greedy groups of street segments: the riskiest segment and the risky
    segments whose midpoints lie within ``radius`` metres of its midpoint form
    a target; risk within ``2 * radius`` is cleared; and so on.

    Parameters
    ----------
    risk : ndarray (n,)
        Risk per segment (not modified).
    midpoints : ndarray (n, 2)
        Segment midpoints, metres.
    radius : float
        Target radius, metres.
    n_targets : int
        At most this many groups.

    Returns
    -------
    list of ndarray
        Segment indices of each target, best first.
    """
    r = risk.copy()
    groups: list[np.ndarray] = []
    while len(groups) < n_targets and r.max() > 1e-12:
        k = int(np.argmax(r))
        d = np.hypot(*(midpoints - midpoints[k]).T)
        groups.append(np.flatnonzero((d <= radius) & (r > 0) | (np.arange(len(r)) == k)))
        r[d <= 2 * radius] = 0.0  # the next target is another place
    return groups


class CellRisk:
    """Risk per grid cell: each burglary's weight spread by a cone
    (near-repeat, ``distance`` metres) or a cone of ``location_radius``
    metres (history), by FFT convolution, inside the area's mask.

    Parameters
    ----------
    sources : Sources
    grid : Grid
        Cells (metres); may reach beyond the area (context).
    mask : ndarray of bool
        Cells inside the area.
    cell : float
        Cell size of the stencils, metres.
    distance, location_radius, target_radius : float
        Near-repeat distance, history radius and patrol-area radius, metres.
    """

    variant_suffix = ""

    def __init__(self, sources: Sources, grid: Grid, mask: np.ndarray, *, cell: float, distance: float,
                 location_radius: float, target_radius: float):
        self.sources, self.grid, self.mask = sources, grid, mask
        self.cone = _cone(cell, distance)
        self.loc = _cone(cell, location_radius)
        self.disc = _disc(cell, target_radius)
        # the exclusion disc has its own half-width in cells (floor(2r/cell)
        # is not always 2 * floor(r/cell), e.g. cell 40 m, radius 100 m)
        self.exclusion = _disc(cell, 2 * target_radius)

    def components(self, as_of: DateLike, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The near-repeat and history surfaces. Each sums to 1 over the area
        (or is all zero) with every source; with ``own_only`` the context's
        share is left out but the same scale is kept, so that
        ``own_only / all`` is the share of risk from the area's own burglaries.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; burglaries strictly before it count.
        own_only : bool
            Only the part from the area's own burglaries.

        Returns
        -------
        near_repeat, history : ndarray
            ``(ny, nx)`` risk per cell.
        """
        src = self.sources
        idx, w_nr, w_h = src.weights(as_of)
        x, y, own = src.x[idx], src.y[idx], src.own[idx]
        out = []
        for w, stencil in ((w_nr, self.cone), (w_h, self.loc)):
            every = self._surface(x, y, w, w > 0, stencil)
            part = self._surface(x, y, w, (w > 0) & own, stencil) if own_only and src.n_context else every
            total = every.sum()
            out.append(part / total if total > 0 else part)
        return out[0], out[1]

    def _surface(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, keep: np.ndarray,
                 stencil: np.ndarray) -> np.ndarray:
        binned = self.grid.bin(x[keep], y[keep], w[keep])
        s = fftconvolve(binned, stencil, mode="same") if keep.any() else np.zeros(self.grid.shape)
        s = np.where(self.mask, np.clip(s, 0, None), 0.0)
        s[s < 1e-12] = 0.0  # FFT round-off would otherwise seed targets with noise
        return s

    def select(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Compact patrol areas (:func:`select_targets`).

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
        return select_targets(risk, self.mask, self.disc, self.exclusion, n_targets)

    def group_sums(self, values: np.ndarray, groups: list[np.ndarray]) -> list[float]:
        """``values`` summed over each group's cells.

        Parameters
        ----------
        values : ndarray
            ``(ny, nx)`` values per cell.
        groups : list of ndarray
            ``(k, 2)`` arrays of (row, col).

        Returns
        -------
        list of float
        """
        return [float(values[rc[:, 0], rc[:, 1]].sum()) for rc in groups]

    def polygons(self, groups: list[np.ndarray]) -> list[BaseGeometry]:
        """The union of each group's cells.

        Parameters
        ----------
        groups : list of ndarray
            ``(k, 2)`` arrays of (row, col).

        Returns
        -------
        list of shapely geometry
            Polygons in the grid's CRS (metres).
        """
        return [shapely.union_all(self.grid.boxes(rc[:, 0], rc[:, 1])) for rc in groups]

    def describe_targets(self, targets: gpd.GeoDataFrame, groups: list[np.ndarray]) -> None:
        """Cells add no columns of their own.

        Parameters
        ----------
        targets : GeoDataFrame
            The targets (left as they are).
        groups : list of ndarray
            Their cells.
        """


class SegmentRisk:
    """Risk per street segment, from the distance between each burglary and
    each segment (a cone of ``distance`` metres for the near-repeat part, a
    disc of ``location_radius`` metres for the history).

    Parameters
    ----------
    sources : Sources
    segments : GeoDataFrame
        From :func:`street_segments` (``road``, midpoints ``mx``, ``my``).
    distance, location_radius, target_radius : float
        Metres.
    """

    variant_suffix = " streets"

    def __init__(self, sources: Sources, segments: gpd.GeoDataFrame, *, distance: float, location_radius: float,
                 target_radius: float):
        self.sources, self.segments = sources, segments
        self.distance, self.location_radius, self.target_radius = distance, location_radius, target_radius

    def components(self, as_of: DateLike, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Near-repeat and history risk per segment (each sums to 1);
        ``own_only`` as in :meth:`CellRisk.components`.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; burglaries strictly before it count.
        own_only : bool
            Only the part from the area's own burglaries (same scale).

        Returns
        -------
        near_repeat, history : ndarray
            Risk per segment.
        """
        src = self.sources
        idx, w_nr, w_h = src.weights(as_of)
        geoms = self.segments.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        out = []
        for w, radius, cone in ((w_nr, self.distance, True), (w_h, self.location_radius, False)):
            keep = w > 0
            pts = shapely.points(src.x[idx][keep], src.y[idx][keep])
            pi, si = tree.query(pts, predicate="dwithin", distance=radius)
            d = shapely.distance(pts[pi], geoms[si])
            contrib = w[keep][pi] * (np.clip(1 - d / radius, 0, None) if cone else (d < radius))
            r = np.bincount(si, weights=contrib, minlength=len(geoms))
            total = r.sum()
            if own_only:
                r = np.bincount(si, weights=contrib * src.own[idx][keep][pi], minlength=len(geoms))
            out.append(r / total if total > 0 else r)
        return out[0], out[1]

    def select(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Groups of nearby segments (:func:`select_segments`).

        Parameters
        ----------
        risk : ndarray
            Risk per segment.
        n_targets : int
            At most this many groups.

        Returns
        -------
        list of ndarray
            Segment indices of each group.
        """
        mxy = np.column_stack([self.segments["mx"], self.segments["my"]])
        return select_segments(risk, mxy, self.target_radius, n_targets)

    def group_sums(self, values: np.ndarray, groups: list[np.ndarray]) -> list[float]:
        """``values`` summed over each group.

        Parameters
        ----------
        values : ndarray
            A value per segment.
        groups : list of ndarray
            Segment indices.

        Returns
        -------
        list of float
        """
        return [float(values[g].sum()) for g in groups]

    def polygons(self, groups: list[np.ndarray]) -> list[BaseGeometry]:
        """Each group's segments buffered 25 m either side (flat ends).

        Parameters
        ----------
        groups : list of ndarray
            Segment indices.

        Returns
        -------
        list of shapely geometry
            Polygons in the road layer's CRS (metres).
        """
        geom = self.segments.geometry
        return [shapely.union_all(geom.iloc[g].buffer(25, cap_style="flat").to_numpy()) for g in groups]

    def describe_targets(self, targets: gpd.GeoDataFrame, groups: list[np.ndarray]) -> None:
        """``label`` and (where the records name none) ``street`` from the
        road layer, and the number of ``segments``.

        Parameters
        ----------
        targets : GeoDataFrame
            One row per group (with ``street``), changed in place.
        groups : list of ndarray
            Segment indices of each target.
        """
        roads = [pd.Series(self.segments["road"].iloc[g]).mode().iloc[0] for g in groups]
        # the incidents' own street names win; the road layer's name fills in
        # where the records carry none
        targets["street"] = [s if isinstance(s, str) and s else r for s, r in zip(targets["street"], roads)]
        targets["label"] = roads
        targets["segments"] = [len(g) for g in groups]


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
        raise HotspotError("no incidents to plan nano-beats from (check --crime-type and the area)")


def planner_window(incidents: pd.DataFrame, *, days: float | None = None, months: float | None = None,
                   window: Window | None = None) -> Window:
    """The near-repeat window of a planner, with its unit, checked against
    the data's time unit (:func:`hotspot.periods.data_time_unit`).

    Parameters
    ----------
    incidents : DataFrame
        The incidents to plan from (``date_precision`` column).
    days : float, optional
        Window, days; refused on month-only dates.
    months : float, optional
        Window, calendar months.
    window : Window, optional
        The window with its unit. At most one of the three; with none,
        :data:`~hotspot.settings.NANOBEAT_DAYS` days or
        :data:`~hotspot.settings.NANOBEAT_MONTHS` months by the time unit.

    Returns
    -------
    Window

    Raises
    ------
    DataPrecisionError
        A window in days on month-only dates.
    """
    unit = data_time_unit(incidents)
    given = window_from(days=days, months=months, window=window, where="NanoBeatPlanner")
    if given is None:
        return Window(settings.NANOBEAT_MONTHS, "month") if unit == "month" else Window(settings.NANOBEAT_DAYS, "day")
    if unit == "month" and given.unit == "day":
        raise DataPrecisionError(
            f"NanoBeatPlanner {f'days={given.length:g}' if window is None else f'window={window!r}'}: the incidents "
            "are dated to the month "
            f"only (police.uk), so a window in days would be read as months; give months=N (e.g. "
            f"months={settings.NANOBEAT_MONTHS:g}) or window=Window(N, 'month')")
    return given


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
                               "give --distance and --days instead")
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
        from .targets import TargetRisk

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
            raise HotspotError(f"--as-of {as_of:%Y-%m-%d}: no burglary before it (the data start "
                               f"{pd.Timestamp(t.min()):{fmt}}); plan for a date after the data")
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
                raise HotspotError(self._stale_message(as_of, end, fmt))
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
        """One line: --as-of is more than the near-repeat window after the data
        end, so a plan would rest on old burglaries only; the latest date it can be."""
        unit = "months" if self.monthly else "days"
        latest = ((last.to_period("M") + int(self.days)).to_timestamp() if self.monthly
                  else last + pd.Timedelta(days=self.days))
        return (f"--as-of {as_of:%Y-%m-%d}: the data end {last:{fmt}}, more than the near-repeat window "
                f"({self.days:g} {unit}) before it, so no recent burglary could be known; add data up to "
                f"--as-of or plan for {latest:%Y-%m-%d} at the latest")

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
        from .targets import dosage

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
        """What the last plan's risk was made of (for the JSON and the brief)."""
        if self.background == "forecast" and self.background_about is not None:
            given = {} if self.weight_given is None else {"weight": self.weight_given, "weight_rule": "given"}
            return {"background": "forecast"} | self.background_about | given
        return {"background": "history", "weight": self.history_weight,
                "rule": f"decayed burglaries within {self.location_radius:g} m over {self.history_days:g} days"}

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


def _reach(s: Any, idx: np.ndarray, centre: Any) -> float:
    """The farthest of the burglaries ``idx`` from a target's centre, metres,
    rounded up to 10 m (0 when there are none)."""
    if not len(idx):
        return 0.0
    d = float(np.hypot(s.x[idx] - centre.x, s.y[idx] - centre.y).max())
    return float(max(10.0, np.ceil(d / 10.0) * 10.0))


def _shared_sources(sources: list[np.ndarray], ids: list[str]) -> list[dict[str, Any]]:
    """Per target, its burglaries also counted at other targets:
    ``n_sources_shared``, ``sources_also_at`` ("NB03 (2), NB05 (1)") and
    ``n_sources_first`` (not counted at a target ranked before it: these sum
    to the distinct burglaries), so a sum over targets is never read as
    distinct burglaries."""
    sets = [set(np.asarray(src).tolist()) for src in sources]
    out = []
    seen: set = set()
    for k, mine in enumerate(sets):
        others = {ids[j]: len(mine & other) for j, other in enumerate(sets) if j != k and mine & other}
        shared = set().union(*(mine & other for j, other in enumerate(sets) if j != k)) if others else set()
        # counted at no target ranked before it: summed over targets, the distinct burglaries
        out.append({"n_sources_shared": len(shared), "n_sources_first": len(mine - seen),
                    "sources_also_at": ", ".join(f"{t} ({n})" for t, n in others.items()) or None})
        seen |= mine
    return out


#: police.uk map points named after business premises: burglary there is of a
#: business, not a home, and calls for other advice than visiting neighbours.
BUSINESS_PLACES = frozenset(s.lower() for s in (
    "Supermarket", "Shopping Area", "Shopping Centre", "Petrol Station", "Mobile Phone Shop", "Nightclub",
    "Cinema", "Theatre/Concert Hall", "Conference/Exhibition Centre"))


def business_premises(locations: Iterable[str]) -> dict[str, Any]:
    """How much of a target's burglary is at business premises.

    Parameters
    ----------
    locations : iterable of str
        Location texts of the target's burglaries (police.uk "On or near
        Supermarket").

    Returns
    -------
    dict
        ``business_share`` (0-1, of the burglaries), ``business_places``
        (the kinds, comma-separated, or None) and ``business`` (True when the
        share is at least ``settings.BUSINESS_TARGET_SHARE``).
    """
    kinds = [str(v).strip() for v in locations]
    kinds = [k[len("on or near"):].strip() if k.lower().startswith("on or near") else k for k in kinds]
    hits = [k for k in kinds if k.lower() in BUSINESS_PLACES]
    share = len(hits) / len(kinds) if kinds else 0.0
    return {"business_share": round(share, 4), "business_places": ", ".join(sorted(set(hits))) or None,
            "business": bool(kinds) and share >= settings.BUSINESS_TARGET_SHARE}


def _business_words(locations: np.ndarray) -> str:
    """The ``why`` words for a target mainly of business burglary (else "")."""
    b = business_premises(locations)
    if not b["business"]:
        return ""
    n = len(locations)
    return (f"; mainly business premises: {round(b['business_share'] * n)} of these {n} at "
            f"{b['business_places'].lower()} (police.uk points)")


def _across(n_context: int, n: int, neighbours: list[str]) -> str:
    """The part of a target's burglaries that lie across the boundary, for
    its ``why`` (empty when all are the area's own)."""
    if not n_context:
        return ""
    where = f" ({', '.join(neighbours)})" if neighbours else ""
    return f"; {n_context} of these {n} across the boundary{where}, not in the area"


#: police.uk's anonymous map points named after a kind of place rather than a
#: street ("On or near Supermarket"): not a street anyone can find.
GENERIC_PLACES = frozenset(s.lower() for s in (
    "Supermarket", "Petrol Station", "Parking Area", "Sports/Recreation Area", "Shopping Area", "Nightclub",
    "Further/Higher Educational Building", "Hospital", "Police Station", "Conference/Exhibition Centre",
    "Theatre/Concert Hall", "Pedestrian Subway", "Bus/Coach Station", "Train Station", "Airport/Airfield",
    "Park/Open Space", "Cinema", "Prison", "Place Of Worship", "Shopping Centre", "Mobile Phone Shop"))


def street_name(label: str) -> str:
    """A street from a location text: police.uk's "On or near X" -> "X";
    "" when X is a kind of place (:data:`GENERIC_PLACES`), not a street.

    Parameters
    ----------
    label : str
        A location text (e.g. "On or near Oak Road").

    Returns
    -------
    str
        The street name, or "" for a kind of place.
    """
    text = str(label).strip()
    if text.lower().startswith("on or near"):
        text = text[len("on or near"):].strip()
    return "" if text.lower() in GENERIC_PLACES else text


def street_segments(roads: gpd.GeoDataFrame, area: Area, length: float = 100.0) -> gpd.GeoDataFrame:
    """Street lines clipped to the area and cut into pieces of at most
    ``length`` metres, with their ``road`` name and midpoint.

    Parameters
    ----------
    roads : GeoDataFrame
        Street lines in the area's CRS (optional ``road`` name column).
    area : Area
        The patrol area (working CRS, metres).
    length : float
        Longest segment, metres (default 100 m).

    Returns
    -------
    GeoDataFrame
        ``road``, the segment line and its midpoint ``mx, my`` (metres).
    """
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


def knox_window(knox: KnoxResult | Mapping[str, Any], *, alpha: float = 0.05,
                min_ratio: float = 1.2) -> tuple[float, float] | None:
    """(distance, time) window from a Knox result or its JSON dict.

    Parameters
    ----------
    knox : KnoxResult or dict
        A Knox result or its JSON dict (``hotspot knox --json``).
    alpha : float
        False discovery rate (0-1) for the significant cells.
    min_ratio : float
        Smallest Knox ratio (unitless) a cell needs.

    Returns
    -------
    tuple of float or None
        ``(distance in metres, time in days or months)``; None when no
        window is significant.
    """
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


def require_daily(incidents: gpd.GeoDataFrame) -> None:
    """Raise when dates are months only (for analyses that need days).

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents with ``occurred`` (and ``date_precision``).

    Raises
    ------
    DataPrecisionError
        The dates are months only.
    """
    if data_time_unit(incidents) == "month":
        raise DataPrecisionError("this needs day-precision dates; police.uk dates are months only")


def write_plan(plan: NanoBeatPlan, path: str | Path) -> Path:
    """Write targets as GeoJSON (WGS84), GeoPackage or CSV, by extension.

    Parameters
    ----------
    plan : NanoBeatPlan
        The plan to write.
    path : str or Path
        ``.geojson``/``.json`` (WGS84 degrees), ``.gpkg`` (working CRS,
        metres) or ``.csv`` (no geometry); dates never finer than the source.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = plan.targets.copy()
    for c in ("first_source", "last_source", "active_until"):
        if c in t:  # never finer than the source: YYYY-MM for police.uk
            t[c] = pd.Series([plan.format_date(v) for v in t[c]], index=t.index, dtype=object)
    from .io.write import write_table

    ext = path.suffix.lower()
    if ext not in (".csv", ".geojson", ".json", ".gpkg"):
        raise HotspotError(f"{path}: write .geojson, .gpkg or .csv")
    write_table(pd.DataFrame(t.drop(columns="geometry")) if ext == ".csv" else t, path,
                layer="nanobeats" if ext == ".gpkg" else None)
    return path


# --------------------------------------------------------------------------- options (the `nanobeats` and `brief` commands)
@dataclass
class NanoBeatOptions:
    """How to plan nano-beats, with the commands' defaults and checks.

    The near-repeat window is either given (``distance`` with ``days`` for
    exact dates or ``months`` for police.uk month dates; defaults
    :data:`~hotspot.settings.NANOBEAT_DISTANCE_M` metres and
    :data:`~hotspot.settings.NANOBEAT_DAYS` days or
    :data:`~hotspot.settings.NANOBEAT_MONTHS` months, by the data's date
    precision) or read from a Knox result (``knox``), never both.

    Attributes
    ----------
    distance : float or None
        Near-repeat distance, metres (None: the default, or the Knox window's).
    days : float or None
        Near-repeat window in days, for day-precision data only.
    months : float or None
        Near-repeat window in months, for month-precision data only.
    knox : KnoxResult, dict or None
        A Knox result (or ``hotspot knox --json`` output) giving the window.
    n_targets : int
        At most this many targets.
    start_lonlat : (float, float) or None
        Route start/end as (lon, lat) degrees.
    cell : float
        Risk grid cell size, metres.
    target_radius : float
        Radius of one patrol area, metres.
    """

    distance: float | None = None
    days: float | None = None
    months: float | None = None
    knox: KnoxResult | Mapping[str, Any] | None = None
    n_targets: int = settings.NANOBEAT_TARGETS
    start_lonlat: tuple[float, float] | None = None
    cell: float = settings.NANOBEAT_CELL_M
    target_radius: float = settings.NANOBEAT_TARGET_RADIUS_M

    def __post_init__(self) -> None:
        from ._errors import OptionError

        if self.knox is not None and (self.distance is not None or self.days is not None or self.months is not None):
            raise OptionError("give --from-knox or --distance/--days (--months), not both")
        if self.days is not None and self.months is not None:
            raise OptionError("give --days (day-precision data) or --months (police.uk), not both")

    def context_buffer(self) -> float:
        """How far across the boundary context incidents matter: the
        near-repeat distance, metres.

        Returns
        -------
        float
            ``distance``, else the Knox window's distance, else
            :data:`~hotspot.settings.NANOBEAT_DISTANCE_M` (metres).
        """
        if self.distance is not None:
            return self.distance
        window = knox_window(self.knox) if self.knox is not None else None
        return window[0] if window else settings.NANOBEAT_DISTANCE_M

    def window(self, incidents: gpd.GeoDataFrame) -> tuple[float, float]:
        """The given window with its defaults, checked against the data's
        date precision.

        Parameters
        ----------
        incidents : GeoDataFrame
            The incidents to plan from (their date precision decides days
            or months).

        Returns
        -------
        (float, float)
            Distance in metres and the time window in days (exact dates) or
            months (month-precision dates).
        """
        monthly = data_time_unit(incidents) == "month"
        if monthly and self.days is not None:
            raise HotspotError(f"--days {self.days:g}: the dates are months only (police.uk); give --months N instead")
        if not monthly and self.months is not None:
            raise HotspotError(f"--months {self.months:g}: the dates have days; give --days N instead")
        # a zero is the user's value (and refused by the planner), never the default
        distance = settings.NANOBEAT_DISTANCE_M if self.distance is None else self.distance
        if monthly:
            return distance, settings.NANOBEAT_MONTHS if self.months is None else self.months
        return distance, settings.NANOBEAT_DAYS if self.days is None else self.days

    def planner(self, incidents: gpd.GeoDataFrame, area: Area, *, roads: gpd.GeoDataFrame | None = None,
                context: Context | None = None) -> NanoBeatPlanner:
        """The planner these options describe.

        Parameters
        ----------
        incidents : GeoDataFrame
            The area's incidents (working CRS, metres).
        area : Area
            The study area.
        roads : GeoDataFrame, optional
            Street lines with a ``road`` column: risk per street segment.
        context : Context, optional
            Incidents across the boundary (:func:`hotspot.context.read_context`).

        Returns
        -------
        NanoBeatPlanner
        """
        extra: dict = {"cell": self.cell, "target_radius": self.target_radius}
        if roads is not None:
            extra["roads"] = roads
        if context is not None:
            extra["context"] = context
        if self.knox is not None:
            return NanoBeatPlanner.from_knox(incidents, area, self.knox, **extra)
        distance, time = self.window(incidents)
        return NanoBeatPlanner.from_window(incidents, area, distance=distance,
                                           window=Window(time, data_time_unit(incidents)), **extra)


def plan_nanobeats(incidents: gpd.GeoDataFrame, area: Area, as_of: DateLike, options: NanoBeatOptions | None = None, *,
                   roads: gpd.GeoDataFrame | None = None, context: Context | None = None) -> NanoBeatPlan:
    """Nano-beat targets and patrol route as of a date, as the ``nanobeats``
    and ``brief`` commands plan them.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area (e.g. :func:`hotspot.areas.area_from_points` for data
        without a boundary).
    as_of : date-like
        Planning date; incidents strictly before it are used.
    options : NanoBeatOptions, optional
        Window, targets, route start, cell and target radius (default:
        ``NanoBeatOptions()``, the commands' defaults).
    roads : GeoDataFrame, optional
        Street lines with a ``road`` column: risk per street segment and a
        route along the streets; without it legs are straight.
    context : Context, optional
        Incidents across the boundary within ``options.context_buffer()``
        metres; the plan's ``context`` and ``notes`` say what they add.

    Returns
    -------
    NanoBeatPlan
    """
    options = options or NanoBeatOptions()
    planner = options.planner(incidents, area, roads=roads, context=context)
    network = StreetNetwork(roads) if roads is not None else None
    plan = planner.solve(as_of, n_targets=options.n_targets, start_lonlat=options.start_lonlat, network=network)
    if context is not None:
        plan.context = context.to_json()
        plan.notes += [f"context: {len(context.incidents):,} burglaries across the boundary within "
                       f"{context.buffer_m:g} m ({', '.join(f'{k} {v:,}' for k, v in plan.context['by_neighbour'].items())})"]
        plan.notes += context.missing_notes()
    return plan
