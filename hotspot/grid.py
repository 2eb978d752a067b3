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
    def covering(cls, bounds: tuple[float, float, float, float], cell: float, crs, *, pad: float = 0.0,
                 offset: tuple[float, float] = (0.0, 0.0)) -> "Grid":
        """The smallest aligned grid covering ``bounds`` plus ``pad`` metres.

        ``offset`` shifts the lattice (metres, within one cell) to measure
        grid-offset effects.
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
    def for_geometry(cls, geometry: BaseGeometry, cell: float, crs, *, pad: float = 0.0,
                     offset: tuple[float, float] = (0.0, 0.0)) -> "Grid":
        """Grid covering a geometry (e.g. the study area)."""
        return cls.covering(geometry.bounds, cell, crs, pad=pad, offset=offset)

    @property
    def shape(self) -> tuple[int, int]:
        return self.ny, self.nx

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the whole grid, metres."""
        return self.x0, self.y0, self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell

    @property
    def cell_area_km2(self) -> float:
        return self.cell * self.cell / 1e6

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as two ``(ny, nx)`` arrays."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell
        return np.meshgrid(xs, ys)

    def index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and inside-grid flag of each point."""
        col = np.floor((np.asarray(x, float) - self.x0) / self.cell).astype(np.int64)
        row = np.floor((np.asarray(y, float) - self.y0) / self.cell).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return row, col, ok

    def bin(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``weights`` (default 1) per cell; points outside are dropped."""
        row, col, ok = self.index(x, y)
        w = np.ones(len(row)) if weights is None else np.asarray(weights, float)
        flat = np.bincount(row[ok] * self.nx + col[ok], weights=w[ok], minlength=self.nx * self.ny)
        return flat.reshape(self.ny, self.nx)

    def mask(self, geometry: BaseGeometry) -> np.ndarray:
        """Cells whose centre lies in ``geometry``."""
        X, Y = self.centres()
        shapely.prepare(geometry)
        return shapely.contains_xy(geometry, X, Y)

    def boxes(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Cell polygons for the given rows and columns."""
        x = self.x0 + np.asarray(cols) * self.cell
        y = self.y0 + np.asarray(rows) * self.cell
        return shapely.box(x, y, x + self.cell, y + self.cell)

    def to_gdf(self, columns: dict[str, np.ndarray], mask: np.ndarray | None = None) -> gpd.GeoDataFrame:
        """Cells (all, or those in ``mask``) as polygons with value columns."""
        m = np.ones(self.shape, bool) if mask is None else mask
        rows, cols = np.nonzero(m)
        data = {"row": rows, "col": cols, **{k: np.asarray(v)[rows, cols] for k, v in columns.items()}}
        return gpd.GeoDataFrame(data, geometry=self.boxes(rows, cols), crs=self.crs)
