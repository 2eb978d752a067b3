"""Regular grids aligned to whole metres of the working CRS.

A :class:`Grid` is the lattice every surface lives on: its lower-left corner
is a whole multiple of the cell size, so grids of the same cell size from
different runs line up. Arrays are ``(ny, nx)`` with row 0 at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ._errors import HotspotError


@dataclass(frozen=True)
class Grid:
    """A regular grid.

    Attributes
    ----------
    x0, y0 : float
        Lower-left corner, metres (whole multiples of ``cell``).
    cell : float
        Cell size, metres.
    nx, ny : int
        Columns and rows.
    crs : pyproj.CRS
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    crs: CRS

    def __post_init__(self) -> None:
        from .crs import require_metric

        if self.cell <= 0 or not np.isfinite(self.cell):
            raise HotspotError(f"cell size must be a positive number of metres, got {self.cell}")
        require_metric(CRS.from_user_input(self.crs), "the grid's CRS")

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell: float, crs: CRS | int | str, *,
                 pad: float = 0.0, offset: tuple[float, float] = (0.0, 0.0)) -> "Grid":
        """The smallest aligned grid covering ``bounds`` plus ``pad`` metres.

        Parameters
        ----------
        bounds : tuple of float
            ``(xmin, ymin, xmax, ymax)`` to cover, metres in ``crs``.
        cell : float
            Cell size, metres.
        crs : pyproj.CRS, int or str
            The projected (metric) CRS of ``bounds``, anything pyproj reads
            (e.g. ``27700`` or ``"EPSG:27700"``).
        pad : float
            Margin added on every side, metres (default 0: no margin).
        offset : tuple of float
            Shift of the lattice ``(dx, dy)``, metres within one cell, to
            measure grid-offset effects (default ``(0, 0)``: whole multiples
            of the cell size).

        Returns
        -------
        Grid
        """
        if cell <= 0:
            raise HotspotError("cell size must be positive (metres)")
        minx, miny, maxx, maxy = bounds
        ox, oy = offset
        x0 = np.floor((minx - pad - ox) / cell) * cell + ox
        y0 = np.floor((miny - pad - oy) / cell) * cell + oy
        nx = int(np.ceil((maxx + pad - x0) / cell))
        ny = int(np.ceil((maxy + pad - y0) / cell))
        if nx * ny > 60_000_000:
            raise HotspotError(f"grid of {nx} x {ny} cells is too large; use a larger cell size")
        return cls(float(x0), float(y0), float(cell), max(nx, 1), max(ny, 1), CRS.from_user_input(crs))

    @classmethod
    def for_geometry(cls, geometry: BaseGeometry, cell: float, crs: CRS | int | str, *, pad: float = 0.0,
                     offset: tuple[float, float] = (0.0, 0.0)) -> "Grid":
        """Grid covering a geometry (e.g. the study area).

        Parameters
        ----------
        geometry : shapely geometry
            What to cover, coordinates in metres of ``crs``.
        cell : float
            Cell size, metres.
        crs : pyproj.CRS, int or str
            The projected (metric) CRS of ``geometry``.
        pad : float
            Margin around the geometry's bounds, metres (default 0).
        offset : tuple of float
            Shift of the lattice ``(dx, dy)``, metres within one cell.

        Returns
        -------
        Grid
        """
        return cls.covering(geometry.bounds, cell, crs, pad=pad, offset=offset)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``: the shape of every array on this grid, in cells."""
        return self.ny, self.nx

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the whole grid, metres."""
        return self.x0, self.y0, self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell, km²."""
        return self.cell * self.cell / 1e6

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as two ``(ny, nx)`` arrays."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell
        return np.meshgrid(xs, ys)

    def index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and inside-grid flag of each point.

        Parameters
        ----------
        x, y : ndarray
            Point coordinates, metres in the grid's CRS.

        Returns
        -------
        row, col : ndarray of int64
            Cell indices (meaningless where the flag is false).
        ok : ndarray of bool
            True where the point lies inside the grid.
        """
        col = np.floor((np.asarray(x, float) - self.x0) / self.cell).astype(np.int64)
        row = np.floor((np.asarray(y, float) - self.y0) / self.cell).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return row, col, ok

    def bin(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``weights`` (default 1) per cell; points outside are dropped.

        Parameters
        ----------
        x, y : ndarray
            Point coordinates, metres in the grid's CRS.
        weights : ndarray, optional
            Weight of each point (default: 1 each, i.e. counts).

        Returns
        -------
        ndarray
            ``(ny, nx)`` sums per cell.
        """
        row, col, ok = self.index(x, y)
        w = np.ones(len(row)) if weights is None else np.asarray(weights, float)
        flat = np.bincount(row[ok] * self.nx + col[ok], weights=w[ok], minlength=self.nx * self.ny)
        return flat.reshape(self.ny, self.nx)

    def mask(self, geometry: BaseGeometry) -> np.ndarray:
        """Cells whose centre lies in ``geometry``.

        Parameters
        ----------
        geometry : shapely geometry
            The region, metres in the grid's CRS.

        Returns
        -------
        ndarray of bool
            ``(ny, nx)``, True for cells whose centre is inside.
        """
        X, Y = self.centres()
        shapely.prepare(geometry)
        return shapely.contains_xy(geometry, X, Y)

    def boxes(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Cell polygons for the given rows and columns.

        Parameters
        ----------
        rows, cols : ndarray of int
            Cell indices (row 0 at the bottom).

        Returns
        -------
        ndarray of shapely.Polygon
            One square per ``(row, col)`` pair.
        """
        x = self.x0 + np.asarray(cols) * self.cell
        y = self.y0 + np.asarray(rows) * self.cell
        return shapely.box(x, y, x + self.cell, y + self.cell)

    def to_gdf(self, columns: dict[str, np.ndarray], mask: np.ndarray | None = None) -> gpd.GeoDataFrame:
        """Cells (all, or those in ``mask``) as polygons with value columns.

        Parameters
        ----------
        columns : dict of str to ndarray
            Column name -> ``(ny, nx)`` values to attach to each cell.
        mask : ndarray of bool, optional
            ``(ny, nx)`` cells to keep (default: all cells).

        Returns
        -------
        GeoDataFrame
            ``row, col`` and the value columns, one square per cell, in the grid's CRS.
        """
        m = np.ones(self.shape, bool) if mask is None else mask
        rows, cols = np.nonzero(m)
        data = {"row": rows, "col": cols, **{k: np.asarray(v)[rows, cols] for k, v in columns.items()}}
        return gpd.GeoDataFrame(data, geometry=self.boxes(rows, cols), crs=self.crs)
