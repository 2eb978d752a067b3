"""Context incidents: the neighbours' burglaries just across the boundary.

A burglary 100 m across the boundary raises the near-repeat risk of the homes
on this side, and a kernel density that cannot see the other side is biased
low near the boundary (the edge effect). Context incidents are incidents
outside the area, within a buffer set by the method (the KDE bandwidth, the
near-repeat distance, the camera radius). They inform the computation; they
are never counted as the area's own: volumes, reports and ranks stay the
area's.

A neighbour whose side of the buffer holds no incident, or only a few stray
ones (at most 3, and at most 5 % of what the area's own density near the
boundary predicts, that prediction being at least 5), is reported as
*missing data* (e.g. another force's area that the input does
not cover), never treated as a neighbour without burglary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import HotspotError
from .areas import Area, _string_columns
from .crs import require_same_metric_crs
from .grid import Grid
from .kde import Surface, kde, support

if TYPE_CHECKING:  # intake imports this module's callers; imported lazily at run time
    from .intake import IncidentInput, IntakeResult

#: Expected incidents (from the area's own density near the boundary) above
#: which a neighbour with (almost) none is reported as missing data.
MISSING_EXPECTED = 5.0
#: A neighbour with at most this share of the expected incidents is missing
#: data: a real neighbour rarely has a twentieth of the area's density at the
#: boundary, while an input that stops at a force boundary holds only the odd
#: stray point beyond it (e.g. 1 of ~600 expected in Hertsmere).
MISSING_SHARE = 0.05
#: ... and at most this many: a neighbour with a few dozen incidents along a
#: park or river boundary has data, however low its density there.
MISSING_MAX = 3
#: Context incidents outside every neighbour polygon but within this many
#: metres of one are taken to lie in it (generalised layers leave slivers).
SLIVER_M = 250.0
#: Name used for the part of the buffer outside every polygon of the
#: neighbours layer (beyond the layer's edge, e.g. another region).
BEYOND_LAYER = "beyond the neighbours layer"


@dataclass
class Context:
    """Context incidents for one area.

    Attributes
    ----------
    incidents : GeoDataFrame
        Incidents outside the area within ``buffer_m`` metres of it, with a
        ``neighbour`` column (the neighbouring area each lies in).
    buffer_m : float
        Buffer around the area, metres.
    neighbours : DataFrame
        One row per neighbour: ``neighbour, incidents, ring_km2,
        expected_from_area, status`` ("data" or "missing").
    sources : list of str
        Where the context incidents came from (file names).
    """

    incidents: gpd.GeoDataFrame
    buffer_m: float
    neighbours: pd.DataFrame
    sources: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Neighbours with no data (not: no burglary)."""
        return self.neighbours.loc[self.neighbours["status"] == "missing", "neighbour"].tolist()

    def recent(self, months: int, as_of: pd.Timestamp) -> "Context":
        """The same context with only the incidents of the ``months``
        calendar months up to ``as_of`` (the window the area's own use).

        Parameters
        ----------
        months : int
            Length of the window, calendar months (see
            :func:`hotspot.periods.recent_incidents`).
        as_of : pandas.Timestamp
            End of the window (the day the analysis is made for).

        Returns
        -------
        Context
            A copy with the windowed incidents; buffer, neighbours table and
            sources unchanged.
        """
        from dataclasses import replace

        from .periods import recent_incidents

        inc = recent_incidents(self.incidents, months=months, as_of=as_of)
        # the table counts the same window (its missing-data verdict, made on every month, stays)
        nb = self.neighbours.copy()
        nb["incidents"] = nb["neighbour"].astype(str).map(inc["neighbour"].astype(str).value_counts()).fillna(0).astype(int)
        return replace(self, incidents=inc, neighbours=nb)

    def mark_missing(self, names: list[str]) -> "Context":
        """The same context with these neighbours' data marked missing, as
        decided by a wider test than the buffer allows (the cross-border
        density clear of the boundary: a few stray records along the line do
        not make another force's data complete).

        Parameters
        ----------
        names : list of str
            Neighbours whose data are missing.

        Returns
        -------
        Context
            A copy; itself when none of them is marked yet.
        """
        from dataclasses import replace

        nb = self.neighbours
        hit = nb["neighbour"].astype(str).isin({str(n) for n in names}) & (nb["status"] != "missing")
        if not hit.any():
            return self
        nb = nb.copy()
        nb.loc[hit, "status"] = "missing"
        return replace(self, neighbours=nb)

    def missing_notes(self) -> list[str]:
        """One note per neighbour without data, for the outputs."""
        out = []
        rows = self.neighbours[self.neighbours["status"] == "missing"]  # in the order of ``missing``
        # the counts are over every month the context holds: said, as another note may speak of a shorter window
        when = self.incidents["occurred"] if "occurred" in self.incidents and len(self.incidents) else None
        span = f" in {when.min():%Y-%m}..{when.max():%Y-%m}" if when is not None else ""
        for n, count, exp in zip(rows["neighbour"], rows["incidents"], rows["expected_from_area"]):
            # without incidents of its own the area predicts nothing to compare with
            basis = ("and the area has no burglaries of its own to compare with" if exp is None or pd.isna(exp)
                     else f"where the area's own density predicts ~{exp:.0f}")
            out.append(f"no data for {n} within {self.buffer_m:g} m of the boundary ({int(count)} "
                       f"burglaries{span} {basis}): missing "
                       "data, or an empty stretch such as a park or river; its burglaries are unknown, not zero")
        return out

    def by_neighbour(self) -> dict[str, int]:
        """Context incidents per neighbour, counted from the incidents
        themselves so that the parts add up to ``len(incidents)`` (a
        neighbour too small for the table still gets its row).

        Returns
        -------
        dict of str to int
            Neighbour name -> incidents, in the table's order first.
        """
        counts = self.incidents["neighbour"].astype(str).value_counts() if len(self.incidents) else pd.Series(dtype=int)
        names = list(dict.fromkeys([*map(str, self.neighbours["neighbour"]), *counts.index]))
        return {n: int(counts.get(n, 0)) for n in names}

    def to_json(self) -> dict[str, Any]:
        """Counts per neighbour and what is missing, for ``--json`` outputs."""
        return {"context_incidents": len(self.incidents), "buffer_m": self.buffer_m, "sources": self.sources,
                "by_neighbour": self.by_neighbour(),
                "missing_neighbours": self.missing}


def build_context(area: Area, incidents: gpd.GeoDataFrame, *, own: gpd.GeoDataFrame | None = None,
                  buffer_m: float, neighbours: gpd.GeoDataFrame | None = None, name_column: str | None = None,
                  sources: list[str] | None = None) -> Context:
    """Select the context incidents of an area from any incident table.

    Parameters
    ----------
    area : Area
        The study area (metres).
    incidents : GeoDataFrame
        Incidents of any extent (e.g. a city-wide file, or a fringe file);
        those of the area itself are left out.
    own : GeoDataFrame, optional
        The area's own incidents; rows with the same ``incident_id`` are left
        out of the context (an own incident a few metres outside the polygon,
        on a boundary snap point, stays the area's). Without it, incidents
        inside the polygon are the area's.
    buffer_m : float
        Keep incidents within this distance of the area, metres (> 0).
    neighbours : GeoDataFrame, optional
        Neighbouring areas (default the area's own layer's neighbours).
    name_column : str, optional
        Name column of ``neighbours`` (default: the first text column with
        "name" in it).
    sources : list of str, optional
        Names of the files the incidents came from (reported).

    Returns
    -------
    Context
    """
    if not buffer_m > 0:
        raise HotspotError(f"the context buffer must be a positive number of metres, got {buffer_m}")
    require_same_metric_crs(area=area, incidents=incidents, own=own)
    nb = neighbours if neighbours is not None else area.neighbours()
    nb = nb.to_crs(area.crs)
    col = name_column or name_column_of(nb)
    if col is None:
        raise HotspotError("the neighbours layer needs a name column (give name_column)")
    ring = area.geometry.buffer(buffer_m).difference(area.geometry)
    keep = _within_ring(area.geometry, ring, incidents.geometry.to_numpy(), buffer_m)
    if own is not None and "incident_id" in incidents and "incident_id" in own:
        keep &= ~_is_in(incidents["incident_id"], own["incident_id"])
    ctx = incidents[keep].copy()
    ctx["neighbour"] = _which_neighbour(ctx, nb, col)
    table = _neighbour_table(area, ctx, own, nb, col, ring, buffer_m)
    return Context(ctx, float(buffer_m), table, list(sources or []))


def _is_in(ids: pd.Series, among: pd.Series) -> np.ndarray:
    """``ids.isin(set(among))`` as a boolean array (a missing id is in only if
    ``among`` has one too). Arrow-backed text (the intake's ids) is matched
    by Arrow's own hash lookup: ~0.02 s instead of ~0.3 s for 100 k ids
    against a borough's 34 k, and a run selects four contexts."""
    if isinstance(ids.array, pd.arrays.ArrowStringArray) and isinstance(among.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pa.array(among.array)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        hit = pc.is_in(pa.array(ids.array), value_set=values, skip_nulls=False)
        return np.asarray(hit.to_numpy(zero_copy_only=False), bool)
    return ids.isin(set(among)).to_numpy()


def _within_ring(area_geometry: Any, ring: Any, pts: np.ndarray, buffer_m: float) -> np.ndarray:
    """Points outside ``area_geometry`` and within ``buffer_m`` metres of it (in ``ring``, the buffer less the area,
    or within the distance where the buffer's polygon cuts a corner). Only points in the area's box widened by the
    buffer are tested, on prepared geometries: a city-wide file holds hundreds of thousands of points and the
    distance to a borough's boundary costs seconds for all of them."""
    keep = np.zeros(len(pts), bool)
    bounds = shapely.bounds(pts)  # NaN for an empty geometry: never near
    x0, y0, x1, y1 = area_geometry.bounds
    with np.errstate(invalid="ignore"):
        near = ((bounds[:, 2] >= x0 - buffer_m) & (bounds[:, 0] <= x1 + buffer_m)
                & (bounds[:, 3] >= y0 - buffer_m) & (bounds[:, 1] <= y1 + buffer_m))
    cand = pts[near]
    shapely.prepare(ring)
    shapely.prepare(area_geometry)
    hit = shapely.intersects(ring, cand) | shapely.dwithin(area_geometry, cand, buffer_m)
    keep[near] = hit & ~shapely.intersects(area_geometry, cand)
    return keep


def read_context(paths: IncidentInput, area: Area, own: gpd.GeoDataFrame, *, buffer_m: float,
                 neighbours: gpd.GeoDataFrame | None = None, **read_options: Any) -> Context:
    """Read context incidents from files or stores: only what lies within
    ``buffer_m`` metres of the area is read (the box is pushed down to
    Parquet/PostGIS), then :func:`build_context`.

    Parameters
    ----------
    paths : path, URL or list of them
        Any input :func:`hotspot.intake.read_incidents` reads (a city-wide
        file, a fringe file, the neighbours' exports).
    area : Area
        The study area (metres).
    own : GeoDataFrame
        The area's own incidents (left out of the context by id).
    buffer_m : float
        Metres around the area.
    neighbours : GeoDataFrame, optional
        Layer naming the neighbours (default the area's own layer).
    **read_options
        Passed to :func:`hotspot.intake.read_incidents` (``crime_types``,
        ``crs``, ``columns``, ...).

    Returns
    -------
    Context
        The context incidents (empty when nothing lies near the area) and
        the table of neighbours.
    """
    around = read_around(paths, area, buffer_m=buffer_m, **read_options)
    return build_context(area, around, own=own, buffer_m=buffer_m, neighbours=neighbours, sources=source_names(paths))


def read_around(paths: IncidentInput, area: Area, *, buffer_m: float, **read_options: Any) -> gpd.GeoDataFrame:
    """The incidents of files or stores within ``buffer_m`` metres of the
    area (and inside it), in the area's CRS: what :func:`read_context` reads.
    One read at the widest buffer serves every narrower one
    (:func:`build_context` keeps those within its own buffer).

    Parameters
    ----------
    paths : path, URL or list of them
        Any input :func:`hotspot.intake.read_incidents` reads.
    area : Area
        The study area (metres).
    buffer_m : float
        Metres around the area (the box pushed down to Parquet/PostGIS is
        100 m wider, so that a point at the buffer's edge is read).
    **read_options
        Passed to :func:`hotspot.intake.read_incidents`.

    Returns
    -------
    GeoDataFrame
        Accepted incidents (empty when nothing lies near the area).
    """
    from .intake import UnusableInputError, read_incidents

    try:
        return read_incidents(paths, area=around_area(area, buffer_m), **read_options).incidents.to_crs(area.crs)
    except UnusableInputError as exc:  # nothing of these files lies near the area: an empty context
        return exc.result.incidents.to_crs(area.crs)


def around_area(area: Area, buffer_m: float) -> Area:
    """The area :func:`read_around` reads in: the area and ``buffer_m``
    metres around it, plus 100 m (so that a point at the buffer's edge is
    read).

    Parameters
    ----------
    area : Area
        The study area (metres).
    buffer_m : float
        Metres around the area.

    Returns
    -------
    Area
        Point-in-polygon area named ``"<area> + <buffer> m"``, in the area's CRS.
    """
    from .areas import area_from_geometry

    return area_from_geometry(area.geometry.buffer(buffer_m + 100.0), area.crs, f"{area.name} + {buffer_m:g} m")


def read_with_around(paths: IncidentInput, area: Area, *, buffer_m: float,
                     **read_options: Any) -> tuple[IntakeResult, gpd.GeoDataFrame]:
    """The area's own incidents and those within ``buffer_m`` metres of it,
    from one read of the inputs: what ``read_incidents(paths, area=area)``
    and :func:`read_around` return, each input read and parsed once
    (:func:`hotspot.intake.read_incidents_near`).

    Parameters
    ----------
    paths : path, URL or list of them
        Any input :func:`hotspot.intake.read_incidents` reads.
    area : Area
        The study area (metres).
    buffer_m : float
        Metres around the area (as :func:`read_around`).
    **read_options
        Passed to :func:`hotspot.intake.read_incidents_near`.

    Returns
    -------
    (IntakeResult, GeoDataFrame)
        The area's intake, and the accepted incidents in and around it (the
        area's CRS; empty when nothing lies near the area).

    Raises
    ------
    InputFileError, UnusableInputError
        As ``read_incidents(paths, area=area)``.
    """
    from .intake import read_incidents_near

    own, wide = read_incidents_near(paths, area=area, wide=around_area(area, buffer_m), **read_options)
    return own, wide.incidents.to_crs(area.crs)


def source_names(paths: IncidentInput) -> list[str]:
    """File names of an input, as a context reports its sources.

    Parameters
    ----------
    paths : path, URL or list of them
        The input.

    Returns
    -------
    list of str
    """
    return [str(p).rsplit("/", 1)[-1] for p in (paths if isinstance(paths, (list, tuple)) else [paths])]


def name_column_of(layer: gpd.GeoDataFrame) -> str | None:
    """The layer's first text column with "name" in its title, if any.

    Parameters
    ----------
    layer : GeoDataFrame
        A boundary layer.

    Returns
    -------
    str or None
        The column's name, or None when no text column is called "...name...".
    """
    return next((c for c in _string_columns(layer) if "name" in c.lower()), None)


def _which_neighbour(points: gpd.GeoDataFrame, nb: gpd.GeoDataFrame, col: str) -> np.ndarray:
    """The neighbour polygon each point lies in (nearest within the buffer
    when it lies in none: generalised layers leave slivers)."""
    out = np.full(len(points), BEYOND_LAYER, dtype=object)
    if len(points) == 0 or len(nb) == 0:
        return out
    tree = shapely.STRtree(nb.geometry.to_numpy())
    pts = points.geometry.to_numpy()
    names = nb[col].astype(str).to_numpy()
    p_idx, n_idx = tree.query(pts, predicate="intersects")
    out[p_idx] = names[n_idx]
    rest = np.flatnonzero(out == BEYOND_LAYER)
    if len(rest):  # in a sliver between generalised polygons: the nearest within the tolerance
        q_idx, m_idx = tree.query_nearest(pts[rest], max_distance=SLIVER_M)
        out[rest[q_idx]] = names[m_idx]
    return out


def _neighbour_table(area: Area, ctx: gpd.GeoDataFrame, own: gpd.GeoDataFrame | None, nb: gpd.GeoDataFrame,
                     col: str, ring: shapely.Geometry, buffer_m: float) -> pd.DataFrame:
    strip = area.geometry.difference(area.geometry.buffer(-buffer_m))
    density = None  # own incidents per km² in the inside strip: what a neighbour like the area would have
    if own is not None and len(own) and strip.area > 0:
        shapely.prepare(strip)  # tens of thousands of points against a long thin polygon: prepared, 1 s -> ms
        density = float(shapely.intersects(strip, own.geometry.to_numpy()).sum()) / (strip.area / 1e6)
    rows = []
    covered = shapely.union_all(nb.geometry.to_numpy()) if len(nb) else shapely.Polygon()
    parts = [(str(name), ring.intersection(g)) for name, g in zip(nb[col], nb.geometry)]
    beyond = ring.difference(covered.buffer(SLIVER_M))  # slivers count as the nearest neighbour
    if beyond.area > 0.02 * ring.area:
        parts.append((BEYOND_LAYER, beyond))
    counts = ctx["neighbour"].value_counts()
    for name, part in parts:
        km2 = part.area / 1e6
        if km2 <= 0:
            continue
        n = int(counts.get(name, 0))
        expected = density * km2 if density is not None else None
        missing = (n == 0 and expected is None) or (
            expected is not None and expected >= MISSING_EXPECTED and n <= min(MISSING_MAX, MISSING_SHARE * expected))
        rows.append({"neighbour": name, "incidents": n, "ring_km2": round(km2, 3),
                     "expected_from_area": None if expected is None else round(expected, 1),
                     "status": "missing" if missing else "data"})
    return pd.DataFrame(rows, columns=["neighbour", "incidents", "ring_km2", "expected_from_area", "status"])


def kde_with_context(own: gpd.GeoDataFrame, area: Area, *, context: Context | None = None, cell: float = 50.0,
                     bandwidth: float = 250.0, kernel: str = "quartic") -> Surface:
    """Kernel density over the area from its own incidents plus the context.

    The grid is padded by the kernel's support so that burglaries across the
    boundary reach the cells near it; cells outside the area are masked. The
    surface's ``meta`` records how many context incidents were used.

    Parameters
    ----------
    own : GeoDataFrame
        The area's incidents (metres).
    area : Area
        The study area; cells outside it are masked.
    context : Context, optional
        Context incidents (their buffer should be at least the kernel's
        support, else the edge is only partly corrected; an error says so).
    cell, bandwidth : float
        Cell size and bandwidth, metres.
    kernel : {"quartic", "gaussian"}
        Kernel shape (its reach sets the grid's padding).

    Returns
    -------
    Surface
        Density in incidents per km² at cell centres.
    """
    require_same_metric_crs(area=area, own=own, context=context.incidents if context is not None else None)
    reach = support(bandwidth, kernel)
    if context is not None and context.buffer_m < reach - 1e-9:
        raise HotspotError(f"the context buffer ({context.buffer_m:g} m) is narrower than the kernel's reach "
                           f"({reach:g} m): build the context with buffer_m >= {reach:g}")
    grid = Grid.for_geometry(area.geometry, cell, area.crs, pad=reach)
    frames = [own] + ([context.incidents] if context is not None and len(context.incidents) else [])
    x = np.concatenate([f.geometry.x.to_numpy() for f in frames])
    y = np.concatenate([f.geometry.y.to_numpy() for f in frames])
    surf = kde(x, y, grid, bandwidth=bandwidth, kernel=kernel, mask=grid.mask(area.geometry))
    surf.meta["context_incidents"] = 0 if context is None else len(context.incidents)
    return surf


def boundary_effect(own: gpd.GeoDataFrame, area: Area, context: Context, *, cell: float = 50.0,
                    bandwidth: float = 250.0, strip_m: float = 500.0) -> dict[str, Any]:
    """Mean density (incidents per km²) of the area's cells within
    ``strip_m`` metres of the boundary and of the interior, without and with
    the context: the edge effect the context removes.

    Parameters
    ----------
    own : GeoDataFrame
        The area's incidents (metres).
    area : Area
        The study area.
    context : Context
        Context incidents (buffer at least the quartic kernel's reach).
    cell : float
        Grid cell size, metres (default 50).
    bandwidth : float
        Quartic kernel bandwidth, metres (default 250).
    strip_m : float
        Width of the boundary strip inside the area, metres (default 500);
        the interior starts a kernel reach and a cell beyond it.

    Returns
    -------
    dict
        ``strip_m``, ``bandwidth_m``, ``context_incidents``, and for
        ``"boundary"`` and ``"interior"``: ``cells``, ``without_context``,
        ``with_context`` (incidents per km²) and ``change_pct`` (per cent,
        None when the density without context is zero).
    """
    without = kde_with_context(own, area, cell=cell, bandwidth=bandwidth)
    with_ctx = kde_with_context(own, area, context=context, cell=cell, bandwidth=bandwidth)
    X, Y = without.grid.centres()
    d = shapely.distance(area.geometry.boundary, shapely.points(X, Y))
    near = without.mask & (d <= strip_m)
    inner = without.mask & (d > strip_m + support(bandwidth, "quartic") + cell)
    out: dict[str, Any] = {"strip_m": strip_m, "bandwidth_m": bandwidth, "context_incidents": len(context.incidents)}
    for name, sel in (("boundary", near), ("interior", inner)):
        a, b = float(without.values[sel].mean()), float(with_ctx.values[sel].mean())
        out[name] = {"cells": int(sel.sum()), "without_context": round(a, 3), "with_context": round(b, 3),
                     "change_pct": round((b - a) / a * 100, 2) if a > 0 else None}
    return out
