"""Incidents binned per period (month or week) on a grid: :class:`PeriodCounts`.

Every forecast method reads these arrays, cumulated over periods, so a
window of any length costs one subtraction and nothing after a forecast
date reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.signal import fftconvolve

from .._errors import HotspotError, ModelError
from ..areas import Area
from ..crs import require_same_metric_crs
from ..grid import Grid
from ..kde import kernel_stencil
from ..periods import data_time_unit

if TYPE_CHECKING:
    from ..context import Context


def period_of(occurred: pd.Series, freq: str) -> pd.PeriodIndex:
    """The period (month or week) each incident falls in.

    Parameters
    ----------
    occurred : Series of datetime64
        Incident dates.
    freq : str
        Period frequency, ``"M"`` (calendar months) or ``"W"`` (weeks).

    Returns
    -------
    PeriodIndex
        One period per incident.
    """
    return pd.PeriodIndex(pd.DatetimeIndex(occurred), freq=freq)


#: Periods smoothed per FFT call (:meth:`PeriodCounts._smoothed`): bounds the transform's temporaries
#: (~25 MB for a borough's padded 50 m grid; 16 periods: ~50 MB) whatever the number of periods.
_FFT_BLOCK = 8


def _prospective_stencil(cell: float, radius: float) -> np.ndarray:
    r = int(np.floor(radius / cell))
    off = np.arange(-r, r + 1)
    dx, dy = np.meshgrid(off, off)
    d_cells = np.hypot(dx, dy)
    return np.where(d_cells * cell <= radius + 1e-9, 1.0 / (1.0 + d_cells), 0.0)


@dataclass
class PeriodCounts:
    """Incidents binned per period on a grid.

    Attributes
    ----------
    grid : Grid
    mask : ndarray of bool
        In-area cells.
    periods : PeriodIndex
        Consecutive periods covering the data.
    counts : ndarray (n_periods, ny, nx)
        The area's own incidents: what forecasts are scored on.
    freq : str
        ``"M"`` or ``"W"``.
    context_counts : ndarray (n_periods, ny, nx), optional
        Incidents across the boundary (:mod:`hotspot.context`) on the same
        grid and periods: smoothing methods (``kde_*``, ``prospective``) see
        them, so cells near the boundary are not biased low; counts-based
        methods and the scoring use the area's own counts only.
    """

    grid: Grid
    mask: np.ndarray
    periods: pd.PeriodIndex
    counts: np.ndarray
    freq: str
    _cache: dict = field(default_factory=dict, repr=False)
    context_counts: np.ndarray | None = None
    _cells: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_incidents(cls, incidents: gpd.GeoDataFrame, area: Area, *, cell: float = 50.0, freq: str | None = None,
                       offset: tuple[float, float] = (0.0, 0.0), context: Context | gpd.GeoDataFrame | None = None,
                       context_pad: float = 1000.0) -> "PeriodCounts":
        """Bin incidents by period (default: months for month-precision data,
        weeks otherwise) on a grid over the area.

        Parameters
        ----------
        incidents : GeoDataFrame
            The area's incidents (working CRS, metres) with ``occurred``.
        area : Area
            The study area; the grid covers it and its cells are the mask.
        cell : float
            Cell size, metres (default 50).
        freq : {"M", "W"}, optional
            Period length, calendar months or weeks (default: months for
            month-precision dates, weeks otherwise).
        offset : tuple of float
            Shift of the grid ``(dx, dy)``, metres within one cell.
        context : Context or GeoDataFrame, optional
            Incidents across the boundary (a :class:`hotspot.context.Context`
            or its incidents), binned into :attr:`context_counts`.
        context_pad : float
            With ``context``, the grid is padded by this many metres around
            the area (default 1000 m).

        Returns
        -------
        PeriodCounts
        """
        if incidents.empty:
            raise HotspotError("no incidents to forecast from")
        ctx: gpd.GeoDataFrame | None = getattr(context, "incidents", context)  # a Context or its incidents
        require_same_metric_crs(incidents=incidents, area=area, context=ctx)
        if freq is None:
            freq = "M" if data_time_unit(incidents) == "month" else "W"
        grid = Grid.for_geometry(area.geometry, cell, area.crs, offset=offset,
                                 pad=context_pad if ctx is not None else 0.0)
        per = period_of(incidents["occurred"], freq)
        periods = pd.period_range(per.min(), per.max(), freq=freq)
        counts = bin_periods(per, incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy(), grid, periods)
        context_counts = (bin_periods(period_of(ctx["occurred"], freq), ctx.geometry.x.to_numpy(),
                                      ctx.geometry.y.to_numpy(), grid, periods)
                          if ctx is not None and len(ctx) else None)
        return cls(grid, grid.mask(area.geometry), periods, counts, freq, context_counts=context_counts)

    def index_of(self, when: str | pd.Timestamp | pd.Period) -> int:
        """Index of the period containing ``when`` (may be past the end).

        Parameters
        ----------
        when : str, Timestamp or Period
            A date (e.g. ``"2024-12"`` or ``"2024-12-15"``), or a period of
            the data as itself or as its text (a week prints as
            ``"2017-12-25/2017-12-31"``: its first day is taken).

        Returns
        -------
        int
            Periods since the first period of the data (negative before it).
        """
        start = when.start_time if isinstance(when, pd.Period) else pd.Timestamp(str(when).split("/")[0])
        return (pd.Period(start, freq=self.freq) - self.periods[0]).n

    @property
    def cells(self) -> np.ndarray:
        """Flat (row-major) indices of the in-area cells: the cells forecasts
        are scored on and the only ones the cached arrays keep."""
        if self._cells is None:
            self._cells = np.flatnonzero(self.mask.ravel())
        return self._cells

    def _on_grid(self, values: np.ndarray) -> np.ndarray:
        """In-area ``values`` (one per :attr:`cells`) as an ``(ny, nx)`` array, 0 outside the area."""
        out = np.zeros(self.mask.size)
        out[self.cells] = values
        return out.reshape(self.mask.shape)

    def _smoothed(self, key: tuple) -> np.ndarray:
        """Per-period arrays smoothed by a stencil, cumulated over periods
        (cum[k] = sum of periods < k), in-area cells only, cached.

        Only the in-area cells are kept (issue 22): every forecast is read
        there (scored on them, and a surface is 0 outside the area), and a
        borough's cells are ~40 % of its padded grid, so each array is
        ``(periods + 1, in-area cells)``, ~38 MB for Barnet's 135 months at
        50 m instead of ~92 MB. The values are those of the whole grid's
        arrays, bit for bit: smoothing still sees the whole grid (and the
        context), and the clip and the cumulative sum are per cell.
        """
        if key not in self._cache:
            kind, param = key
            cells, n = self.cells, len(self.counts)
            if kind == "decay":
                # dec[k] = sum over periods s < k of counts[s] * exp(-(k - 1 - s) / tau)
                lam = float(np.exp(-1.0 / param))
                dec = np.zeros((n + 1, len(cells)))
                for k in range(1, n + 1):
                    np.multiply(dec[k - 1], lam, out=dec[k])
                    dec[k] += self.counts[k - 1].ravel()[cells]
                self._cache[key] = dec
                return dec
            # cum[0] = 0 and the periods' values in cum[1:], cumulated there in place: no second
            # (periods, cells) array beside it
            cum = np.zeros((n + 1, len(cells)))
            per = cum[1:]
            if kind == "counts":
                np.take(self.counts.reshape(n, -1), cells, axis=1, out=per, mode="clip")  # "clip": unbuffered
            elif kind in ("kde", "prospective"):
                st = (kernel_stencil(self.grid.cell, param, "quartic") * 1e6 if kind == "kde"
                      else _prospective_stencil(self.grid.cell, param))
                # a block of periods at a time: the FFT's padded complex arrays and the smoothed grid of
                # every period at once were ~400 MB for a borough (issue 22); each period's 2-D transform
                # is its own, so blocks give the same values bit for bit
                for a in range(0, n, _FFT_BLOCK):
                    b = min(a + _FFT_BLOCK, n)
                    # smoothing spreads burglaries across the boundary too: it sees the context
                    seen = self.counts[a:b] if self.context_counts is None else (
                        self.counts[a:b] + self.context_counts[a:b])
                    sm = fftconvolve(seen, st[None], mode="same", axes=(1, 2))
                    per[a:b] = sm.reshape(b - a, -1)[:, cells]
                    del seen, sm
            else:  # pragma: no cover
                raise HotspotError(f"unknown smoothing {kind}")
            np.clip(per, 0.0, None, out=per)
            per[per < 1e-9] = 0.0  # FFT round-off
            for k in range(1, n):  # cum[k + 1] = cum[k] + per[k]: np.cumsum's sums, in the same order
                cum[k + 1] += cum[k]
            self._cache[key] = cum
        return self._cache[key]

    def release(self, key: tuple | None = None) -> None:
        """Forget the cached smoothed arrays (each ``(periods + 1, in-area
        cells)`` float64, ~38 MB for a borough's 135 months at 50 m): a
        caller done with a method frees its memory; asking again recomputes
        the same values.

        Parameters
        ----------
        key : tuple, optional
            Only this array (``(kind, parameter)``, as
            :func:`hotspot.forecast.methods.cached_array` names it); default
            all of them.
        """
        if key is None:
            self._cache.clear()
        else:
            self._cache.pop(key, None)

    def window(self, kind: str, param: float | None, origin: int, periods: int, *,
               in_area: bool = False) -> np.ndarray:
        """Sum over periods ``origin - periods`` .. ``origin - 1`` (never
        ``origin`` or later).

        Parameters
        ----------
        kind : {"counts", "kde", "prospective"}
            What is summed - raw counts, KDE-smoothed counts or the
            prospective stencil's spread.
        param : float or None
            The smoothing's size: KDE bandwidth or prospective radius,
            metres; None for ``"counts"``.
        origin : int
            Index of the forecast period; only earlier periods are summed.
        periods : int
            Window length, periods (months or weeks).
        in_area : bool
            Return the in-area cells only (one value per :attr:`cells`).

        Returns
        -------
        ndarray
            ``(ny, nx)`` sums (incidents, or incidents per km² for ``"kde"``),
            0 outside the area; or with ``in_area`` one sum per in-area cell.
        """
        cum = self._smoothed((kind, param))
        hi = min(max(origin, 0), len(cum) - 1)
        lo = min(max(origin - periods, 0), hi)
        v = cum[hi] - cum[lo]
        return v if in_area else self._on_grid(v)

    def decayed(self, origin: int, tau: float, *, in_area: bool = False) -> np.ndarray:
        """Incidents before period ``origin`` weighted by ``exp(-age / tau)``
        (age in periods, 0 for the period just before ``origin``).

        Parameters
        ----------
        origin : int
            Index of the forecast period; only earlier periods count.
        tau : float
            E-folding time, periods (months or weeks).
        in_area : bool
            Return the in-area cells only (one value per :attr:`cells`).

        Returns
        -------
        ndarray
            ``(ny, nx)`` decayed incident counts, 0 outside the area; or with
            ``in_area`` one per in-area cell.
        """
        if tau <= 0:
            raise ModelError(f"decay time must be positive (periods), got {tau:g}")
        dec = self._smoothed(("decay", float(tau)))
        last = len(dec) - 1
        if origin <= 0:
            v = np.zeros(dec.shape[1])
        elif origin <= last:
            v = dec[origin].copy()  # a copy: the caller may change it, the cache must not
        else:  # past the data: no new incidents, everything just ages
            v = dec[last] * np.exp(-(origin - last) / tau)
        return v if in_area else self._on_grid(v)

    def prospective(self, origin: int, *, radius: float = 400.0, weeks: int = 8, in_area: bool = False) -> np.ndarray:
        """Bowers-Johnson-Pease prospective risk as of the start of period
        ``origin``: ages in weeks (months for monthly data; an incident in the
        previous period is age 0), window ``weeks`` (8 weeks = 2 months).

        Parameters
        ----------
        origin : int
            Index of the forecast period; only earlier periods count.
        radius : float
            Spread of each incident, metres (default 400 m).
        weeks : int
            Memory, weeks (converted to whole months for monthly data).
        in_area : bool
            Return the in-area cells only (one value per :attr:`cells`).

        Returns
        -------
        ndarray
            ``(ny, nx)`` risk scores, 0 outside the area; or with ``in_area``
            one per in-area cell.
        """
        per = self._smoothed(("prospective", radius))
        span = weeks if self.freq == "W" else max(1, int(round(weeks * 7 / 30.44)))
        out = np.zeros(per.shape[1])
        for age in range(span):
            k = origin - 1 - age
            if k < 0:
                break
            if k >= len(per) - 1:
                continue
            out += (per[k + 1] - per[k]) / (1.0 + age)
        return out if in_area else self._on_grid(out)


def bin_periods(per: pd.PeriodIndex, x: np.ndarray, y: np.ndarray, grid: Grid,
                periods: pd.PeriodIndex) -> np.ndarray:
    """Counts per (period, row, col) of points in their periods.

    Parameters
    ----------
    per : PeriodIndex
        Each point's period (:func:`period_of`), of the frequency of ``periods``.
    x, y : ndarray
        The points' coordinates, metres in the grid's CRS.
    grid : Grid
        The cells.
    periods : PeriodIndex
        Consecutive periods, the first axis of the counts; points in other
        periods or off the grid are left out.

    Returns
    -------
    ndarray
        ``(periods, ny, nx)`` float64 counts (incidents).
    """
    # periods of one frequency: their ordinals count the periods between them
    k = np.asarray(per.asi8, np.int64) - periods[0].ordinal
    row, col, ok = grid.index(np.asarray(x, float), np.asarray(y, float))
    ok &= (k >= 0) & (k < len(periods))
    flat = (k[ok] * grid.ny + row[ok]) * grid.nx + col[ok]
    # counted straight into float64 (weights of one: whole numbers, exact): no int64 copy of the
    # (periods x rows x cols) array beside it (~90 MB for a borough's 135 months at 50 m)
    return np.bincount(flat, weights=np.ones(len(flat)), minlength=len(periods) * grid.ny * grid.nx).reshape(
        len(periods), grid.ny, grid.nx)
