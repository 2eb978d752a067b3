"""A nano-beat plan (:class:`NanoBeatPlan`, the result of
:meth:`~hotspot.nanobeats.planner.NanoBeatPlanner.solve`): targets in patrol
order, the route and its beats, notes; and writing its targets to a file
(:func:`write_plan`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import HotspotError
from ..grid import Grid
from ..routing import RouteLegs, StreetNetwork, route_legs
from .sources import DateLike


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
    from ..io.write import write_table

    ext = path.suffix.lower()
    if ext not in (".csv", ".geojson", ".json", ".gpkg"):
        raise HotspotError(f"{path}: write .geojson, .gpkg or .csv")
    write_table(pd.DataFrame(t.drop(columns="geometry")) if ext == ".csv" else t, path,
                layer="nanobeats" if ext == ".gpkg" else None)
    return path
