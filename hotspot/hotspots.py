"""Hotspot classes, hotspot polygons and the Getis-Ord Gi* layer.

* :func:`hotspot_mask` - the cells that are "hot": the top ``share`` of the
  area's cells by value (ties at the cut-off all included, so equal cells are
  treated alike), or cells above ``mean + k * sd`` of the in-area values (the
  rule common in practice).
* :func:`hotspot_polygons` - contiguous hot cells (edge-sharing, "rook")
  dissolved into polygons, ranked by the incidents they hold, with area and
  share of incidents.
* :func:`gi_star` - Getis-Ord Gi* (star, binary queen weights) on cell counts
  with permutation p-values and a false-discovery-rate cut (Benjamini-Hochberg),
  as hot and cold cells: :mod:`hotspot.gistar`, equal to esda's ``G_Local``
  and ``fdr`` (same z-scores, same seeded permutations and p-values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from ._errors import HotspotError
from .grid import Grid
from .kde import Surface

if TYPE_CHECKING:
    from .areas import Area
    from .context import Context


def hotspot_mask(surface: Surface, *, method: str = "top", share: float = 0.05, k: float = 2.0) -> np.ndarray:
    """Boolean mask of hot cells.

    Parameters
    ----------
    surface : Surface
        Values per cell (e.g. density per km²) and the in-area mask.
    method : {"top", "sd"}
        ``"top"``: the top ``share`` of in-area cells by value; ``"sd"``:
        cells above mean + ``k`` standard deviations of the in-area values.
    share : float
        Share of the area's cells for ``"top"`` (0-1).
    k : float
        Number of standard deviations for ``"sd"``.
    """
    vals = surface.values[surface.mask]
    if len(vals) == 0:
        raise HotspotError("the surface has no cells inside the area")
    if method == "top":
        if not 0 < share <= 1:
            raise HotspotError("share must be in (0, 1]")
        n = max(1, int(np.ceil(share * len(vals))))
        cut = np.sort(vals)[::-1][n - 1]
        hot = surface.values >= cut
    elif method == "sd":
        cut = vals.mean() + k * vals.std()
        hot = surface.values > cut
    else:
        raise HotspotError(f"unknown hotspot method {method!r}: top or sd")
    return hot & surface.mask & (surface.values > 0)


def hotspot_polygons(surface: Surface, hot: np.ndarray, incidents: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Dissolve contiguous hot cells into ranked hotspot polygons.

    Parameters
    ----------
    surface : Surface
        The surface the hot cells were taken from (its grid, metres).
    hot : ndarray of bool
        From :func:`hotspot_mask`.
    incidents : GeoDataFrame, optional
        Incidents to count in each hotspot (e.g. the training window).

    Returns
    -------
    GeoDataFrame
        ``rank`` (1 = most incidents, then highest total value), ``cells``,
        ``area_km2``, ``value_sum``, ``incidents``, ``share`` (of all the
        incidents given), geometry.
    """
    labels, n = ndimage.label(hot)  # rook contiguity: corner contacts do not merge
    grid = surface.grid
    if n == 0:
        return gpd.GeoDataFrame({"rank": [], "cells": [], "area_km2": [], "value_sum": [], "incidents": [],
                                 "share": []}, geometry=gpd.GeoSeries([], crs=grid.crs), crs=grid.crs)
    rows, cols = np.nonzero(labels)
    lab = labels[rows, cols]
    boxes = grid.boxes(rows, cols)
    polys = [shapely.coverage_union_all(boxes[lab == k]) for k in range(1, n + 1)]
    value_sum = ndimage.sum(surface.values, labels, index=np.arange(1, n + 1))
    cells = np.bincount(lab, minlength=n + 1)[1:]
    inc_count = np.zeros(n, int)
    total = 0
    if incidents is not None and len(incidents):
        r, c, ok = grid.index(incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
        total = len(incidents)
        hit = labels[r[ok], c[ok]]
        inc_count = np.bincount(hit, minlength=n + 1)[1:]
    df = gpd.GeoDataFrame({"cells": cells, "area_km2": cells * grid.cell_area_km2, "value_sum": value_sum,
                           "incidents": inc_count, "share": inc_count / total if total else np.nan},
                          geometry=polys, crs=grid.crs)
    df = df.sort_values(["incidents", "value_sum"], ascending=False, kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df


def gi_star(counts: np.ndarray, grid: Grid, mask: np.ndarray, *, permutations: int = 999, alpha: float = 0.05,
            seed: int = 0) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold cells from counts per cell.

    Neighbours are the 8 surrounding cells (queen) plus the cell itself
    (``star=True``). p-values are from ``permutations`` conditional
    permutations; cells are called hot or cold when their p-value passes
    the Benjamini-Hochberg false-discovery-rate threshold at ``alpha``.

    Parameters
    ----------
    counts : ndarray
        ``(ny, nx)`` incidents per cell.
    grid : Grid
        The lattice of ``counts`` (cell size in metres).
    mask : ndarray of bool
        ``(ny, nx)`` in-area cells; only these are tested and are neighbours.
    permutations : int
        Conditional permutations for the pseudo p-values (default 999).
    alpha : float
        False discovery rate (0-1) for the Benjamini-Hochberg threshold.
    seed : int
        Seed of the permutations.

    Returns
    -------
    GeoDataFrame
        In-area cells with ``count``, ``z``, ``p_sim``, ``class`` ("hot",
        "cold" or "not significant").
    """
    from .gistar import fdr, gi_star_grid

    if int(np.count_nonzero(mask)) < 10:
        raise HotspotError("Gi* needs at least 10 cells in the area")
    y, z, p = gi_star_grid(counts, mask, permutations=permutations, seed=seed)
    cut = fdr(p, alpha)
    sig = p <= cut
    cls = np.where(sig & (z > 0), "hot", np.where(sig & (z < 0), "cold", "not significant"))
    rows, cols = np.nonzero(mask)
    return gpd.GeoDataFrame({"row": rows, "col": cols, "count": y, "z": z, "p_sim": p, "class": cls},
                            geometry=grid.boxes(rows, cols), crs=grid.crs)


@dataclass
class DensityHotspots:
    """What :func:`density_hotspots` returns.

    Attributes
    ----------
    surface : Surface
        Density (incidents per km²), or 1-5 classes when ``public``.
    polygons : GeoDataFrame
        Hotspot polygons, ranked (only those with at least ``k`` incidents
        when ``public``).
    incidents : GeoDataFrame
        The area's incidents in the window used.
    gi : GeoDataFrame or None
        Gi* hot and cold cells, when asked for.
    context_incidents : int
        Incidents across the boundary that informed the surface.
    public : bool
    notes : list of str
        What qualifies the surface (a window past the data's end).
    """

    surface: Surface
    polygons: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    gi: gpd.GeoDataFrame | None = None
    context_incidents: int = 0
    public: bool = False
    notes: list[str] = field(default_factory=list)


def kde_cell(cell: float | None, public: bool = False) -> float:
    """The cell a density surface is made on: the one given, else 50 m, or
    with ``public`` the smallest cell a public surface may have
    (:data:`hotspot.disclosure.MIN_PUBLIC_CELL`, 100 m), so that ``kde
    --public`` never refuses its own default.

    Parameters
    ----------
    cell : float or None
        Cell size asked for, metres.
    public : bool
        The surface is to be published.

    Returns
    -------
    float
        Cell size, metres.
    """
    from .disclosure.rules import MIN_PUBLIC_CELL

    if cell is not None:
        return float(cell)
    return MIN_PUBLIC_CELL if public else 50.0


def density_hotspots(incidents: gpd.GeoDataFrame, area: Area, *, cell: float | None = None, bandwidth: float | None = None,
                     kernel: str = "quartic", as_of: pd.Timestamp | None = None, months: int | None = None,
                     hot_share: float = 0.05, hot_sd: float | None = None, gi_cell: float | None = None,
                     context: Context | None = None, public: bool = False, k: int = 8) -> DensityHotspots:
    """Kernel density and hotspot polygons for an area, as ``hotspot kde`` makes them.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (metres).
    area : Area
        The study area (working CRS, metres).
    cell : float, optional
        Cell size, metres (default :func:`kde_cell`: 50 m, or with ``public``
        the smallest public cell, 100 m).
    bandwidth : float, optional
        Metres (default :func:`hotspot.kde.default_bandwidth`: 500 m at a
        100 m cell, as a public surface needs at least 250 m).
    kernel : {"quartic", "gaussian"}
        Kernel shape (default quartic).
    as_of : Timestamp, optional
        Use incidents before this date (default all).
    months : int, optional
        Only the last ``months`` calendar months before ``as_of``; with
        ``public`` the length of the fixed published window before ``as_of``
        (a divisor of 12, default 12: the latest whole calendar year; see
        :func:`hotspot.disclosure.public_window`).
    hot_share : float
        Hotspots are the top share of cells (0-1) ...
    hot_sd : float, optional
        ... or the cells above mean + ``hot_sd`` standard deviations.
    gi_cell : float, optional
        Also compute Gi* on cells of this size, metres (not with ``public``).
    context : Context, optional
        Incidents across the boundary (:mod:`hotspot.context`): they reach the
        cells near the boundary (no edge bias), never the area's counts.
    public : bool
        Safe to publish (see :mod:`hotspot.disclosure`): classes, not values,
        only where at least ``k`` incidents lie within the bandwidth, and
        hotspots with at least ``k`` incidents.
    k : int
        Smallest count shown with ``public``.

    Returns
    -------
    DensityHotspots
        The surface, hotspot polygons, the incidents used, Gi* cells (or
        None) and how many context incidents reached the surface.
    """
    from .context import kde_with_context
    from .disclosure.publish import check_surface_rule, in_public_window, public_hotspots, public_surface
    from .disclosure.rules import PUBLIC_WINDOW_MONTHS
    from .kde import default_bandwidth
    from .periods import training_window

    cell = kde_cell(cell, public)
    bw = default_bandwidth(cell) if bandwidth is None else float(bandwidth)
    if public:
        if gi_cell is not None:
            raise HotspotError("Gi* is not published with public= (cell-level z-scores of small counts)", param='public')
        check_surface_rule(bw, cell)
    inc = training_window(incidents, as_of=as_of, months=None if public else months)
    if public and not inc.empty:  # a fixed published window, never a sliding or all-time one
        inc = in_public_window(inc, months=months or PUBLIC_WINDOW_MONTHS)[0]
    if inc.empty:
        raise HotspotError("kde: no incidents" + (f" before {as_of:%Y-%m-%d}" if as_of is not None else "")
                           + (f" in the last {months} months" if months else ""))
    surf = kde_with_context(inc, area, context=_window_context(context, as_of, months, inc), cell=cell,
                            bandwidth=bw, kernel=kernel)
    hot = hotspot_mask(surf, method="sd", k=hot_sd) if hot_sd is not None else hotspot_mask(surf, share=hot_share)
    polys = hotspot_polygons(surf, hot, inc)
    gi = None
    if gi_cell is not None:
        g = Grid.for_geometry(area.geometry, gi_cell, area.crs)
        gi = gi_star(g.bin(inc.geometry.x, inc.geometry.y), g, g.mask(area.geometry))
    n_context = int(surf.meta.get("context_incidents", 0))
    if public:
        surf = public_surface(surf, inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy(), k=k)
        polys = public_hotspots(polys, k)
    notes = _window_notes(incidents, as_of, None if public else months)  # a public window is always whole
    return DensityHotspots(surf, polys, inc, gi, n_context, public, notes)


def _window_notes(incidents: gpd.GeoDataFrame, as_of: pd.Timestamp | None, months: int | None) -> list[str]:
    """A note when the window runs past the data's end: its densities (per
    window) count months that hold no data and understate."""
    from .periods import next_month_start

    if as_of is None or months is None or incidents.empty:
        return []
    after = next_month_start(incidents)
    if after >= as_of:
        return []
    gap = (as_of.to_period("M") - after.to_period("M")).n
    return [f"the data end before {after:%Y-%m-%d}: {min(gap, months)} of the {months} months of the window before "
            f"--as-of {as_of:%Y-%m-%d} hold no data, so densities over the window understate (give --as-of "
            f"{after:%Y-%m-%d} or earlier)"]


def _window_context(context, as_of, months, own):
    """The context restricted to the same months as the area's incidents."""
    if context is None:
        return None
    from dataclasses import replace

    from .periods import next_month_start, training_window

    end = as_of if as_of is not None else next_month_start(own)
    start = own["occurred"].min() if months is None else end - pd.DateOffset(months=months)
    ctx = training_window(context.incidents, as_of=end)
    return replace(context, incidents=ctx[ctx["occurred"] >= start])


# --------------------------------------------------------------------------- the `kde` command's reach and tables
def context_reach(cell: float = 50.0, bandwidth: float | None = None, kernel: str = "quartic") -> float:
    """How far across the boundary incidents change the surface: the
    kernel's support, metres.

    Parameters
    ----------
    cell : float
        Cell size, metres (sets the default bandwidth).
    bandwidth : float, optional
        Kernel bandwidth, metres (default :func:`hotspot.kde.default_bandwidth`
        of ``cell``, as :func:`density_hotspots` uses).
    kernel : {"quartic", "gaussian"}
        Kernel shape.

    Returns
    -------
    float
        Metres; read context incidents within it (:func:`hotspot.context.read_context`).
    """
    from .kde import default_bandwidth, support

    return support(bandwidth if bandwidth is not None else default_bandwidth(cell), kernel)


def density_tables(res: DensityHotspots) -> dict[str, gpd.GeoDataFrame]:
    """The ``kde`` command's output layers.

    Parameters
    ----------
    res : DensityHotspots
        From :func:`density_hotspots`.

    Returns
    -------
    dict of str to GeoDataFrame
        ``cells``: one polygon per cell with its density (incidents per km²),
        or with ``public`` its class (1-5; cells of class 0 left out);
        ``hotspots``: the hotspot polygons.
    """
    cells = res.surface.to_gdf("class" if res.public else "density").drop(columns=["row", "col"])
    if res.public:
        cells = cells[cells["class"] > 0]
    return {"cells": cells, "hotspots": res.polygons}
