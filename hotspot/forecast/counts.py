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
        counts = _bin_periods(incidents, grid, periods, freq)
        context_counts = _bin_periods(ctx, grid, periods, freq) if ctx is not None and len(ctx) else None
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

    def _smoothed(self, key: tuple) -> np.ndarray:
        """Per-period arrays smoothed by a stencil, cumulated over periods
        (cum[k] = sum of periods < k), cached."""
        if key not in self._cache:
            kind, param = key
            # smoothing spreads burglaries across the boundary too: it sees the context
            seen = self.counts if self.context_counts is None else self.counts + self.context_counts
            if kind == "counts":
                per = self.counts
            elif kind == "kde":
                st = kernel_stencil(self.grid.cell, param, "quartic") * 1e6
                per = fftconvolve(seen, st[None], mode="same", axes=(1, 2))
            elif kind == "prospective":
                per = fftconvolve(seen, _prospective_stencil(self.grid.cell, param)[None], mode="same", axes=(1, 2))
            elif kind == "decay":
                # dec[k] = sum over periods s < k of counts[s] * exp(-(k - 1 - s) / tau)
                lam = float(np.exp(-1.0 / param))
                dec = np.zeros((len(self.counts) + 1,) + self.counts.shape[1:])
                for k in range(1, len(dec)):
                    np.multiply(dec[k - 1], lam, out=dec[k])
                    dec[k] += self.counts[k - 1]
                self._cache[key] = dec
                return dec
            else:  # pragma: no cover
                raise HotspotError(f"unknown smoothing {kind}")
            per = np.clip(per, 0.0, None)
            per[per < 1e-9] = 0.0  # FFT round-off
            cum = np.zeros((len(per) + 1,) + per.shape[1:])
            np.cumsum(per, axis=0, out=cum[1:])
            self._cache[key] = cum
        return self._cache[key]

    def release(self) -> None:
        """Forget the cached smoothed arrays (each ``(periods + 1, ny, nx)``
        float64, ~90 MB for a borough's 135 months at 50 m): a caller done
        with a method frees its memory; asking again recomputes the same
        values."""
        self._cache.clear()

    def window(self, kind: str, param: float | None, origin: int, periods: int) -> np.ndarray:
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

        Returns
        -------
        ndarray
            ``(ny, nx)`` sums (incidents, or incidents per km² for ``"kde"``).
        """
        cum = self._smoothed((kind, param))
        hi = min(max(origin, 0), len(cum) - 1)
        lo = min(max(origin - periods, 0), hi)
        return cum[hi] - cum[lo]

    def decayed(self, origin: int, tau: float) -> np.ndarray:
        """Incidents before period ``origin`` weighted by ``exp(-age / tau)``
        (age in periods, 0 for the period just before ``origin``).

        Parameters
        ----------
        origin : int
            Index of the forecast period; only earlier periods count.
        tau : float
            E-folding time, periods (months or weeks).

        Returns
        -------
        ndarray
            ``(ny, nx)`` decayed incident counts.
        """
        if tau <= 0:
            raise ModelError(f"decay time must be positive (periods), got {tau:g}")
        dec = self._smoothed(("decay", float(tau)))
        if origin <= 0:
            return np.zeros(self.counts.shape[1:])
        last = len(dec) - 1
        if origin <= last:
            return dec[origin]
        # past the data: no new incidents, everything just ages
        return dec[last] * np.exp(-(origin - last) / tau)

    def prospective(self, origin: int, *, radius: float = 400.0, weeks: int = 8) -> np.ndarray:
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

        Returns
        -------
        ndarray
            ``(ny, nx)`` risk scores.
        """
        per = self._smoothed(("prospective", radius))
        span = weeks if self.freq == "W" else max(1, int(round(weeks * 7 / 30.44)))
        out = np.zeros(self.counts.shape[1:])
        for age in range(span):
            k = origin - 1 - age
            if k < 0:
                break
            if k >= len(per) - 1:
                continue
            out += (per[k + 1] - per[k]) / (1.0 + age)
        return out


def _bin_periods(incidents: gpd.GeoDataFrame, grid: Grid, periods: pd.PeriodIndex, freq: str) -> np.ndarray:
    """Counts per (period, row, col); incidents outside ``periods`` or the
    grid are left out."""
    per = period_of(incidents["occurred"], freq)
    if not len(per):
        k = np.array([], np.int64)
    elif per.freq == periods.freq:  # periods of one frequency: their ordinals count the periods between them
        k = per.asi8 - periods[0].ordinal
    else:
        k = np.asarray([(p - periods[0]).n for p in per], dtype=np.int64)
    row, col, ok = grid.index(incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
    ok &= (k >= 0) & (k < len(periods))
    flat = (k[ok] * grid.ny + row[ok]) * grid.nx + col[ok]
    # counted straight into float64 (weights of one: whole numbers, exact): no int64 copy of the
    # (periods x rows x cols) array beside it (~90 MB for a borough's 135 months at 50 m)
    return np.bincount(flat, weights=np.ones(len(flat)), minlength=len(periods) * grid.ny * grid.nx).reshape(
        len(periods), grid.ny, grid.nx)
