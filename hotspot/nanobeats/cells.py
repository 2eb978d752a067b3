"""The cell risk model (:class:`CellRisk`): each burglary's weight spread over
grid cells by a cone stencil (FFT convolution) inside the area's mask, and
the stencils it uses (:func:`_cone`, :func:`_disc`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.signal import fftconvolve
from shapely.geometry.base import BaseGeometry

from ..grid import Grid
from .selection import select_targets
from .sources import DateLike, Sources


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

    def select(self, risk: np.ndarray, n_targets: int, spacing: str = "clear") -> list[np.ndarray]:
        """Compact patrol areas (:func:`select_targets`).

        Parameters
        ----------
        risk : ndarray
            ``(ny, nx)`` risk per cell.
        n_targets : int
            At most this many targets.
        spacing : {"clear", "touch"}
            The rule (a name, unitless) by which later targets keep away from
            earlier ones (:func:`select_targets`).

        Returns
        -------
        list of ndarray
            ``(k, 2)`` arrays of (row, col).
        """
        return select_targets(risk, self.mask, self.disc, self.exclusion, n_targets, spacing=spacing)

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
