"""Public outputs: fixed windows, banded counts per cell, public hotspots and
surfaces, suppressed counts, postcode sectors instead of streets in plans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .._errors import HotspotError
from ..periods import data_time_unit
from .rules import K_DEFAULT, MIN_PUBLIC_BANDWIDTH, MIN_PUBLIC_CELL, PUBLIC_CELL, PUBLIC_CLASSES, PUBLIC_WINDOW_MONTHS

if TYPE_CHECKING:  # annotations only
    from ..areas import Area
    from ..kde import Surface



def public_window(incidents: pd.DataFrame, *, months: int = PUBLIC_WINDOW_MONTHS) -> tuple[pd.Period, pd.Period]:
    """The published window: the latest fixed window of ``months`` calendar
    months that the data cover whole (windows end in a month that is a
    multiple of ``months``: calendar years for 12, quarters for 3).

    A release made a month later gives the same window, hence the same
    figures, until a new window is complete; the next window does not
    overlap it. Subtracting two releases therefore recovers nothing (a
    sliding or all-time window would give the month's counts per cell).

    Parameters
    ----------
    incidents : DataFrame
        Incidents with ``occurred`` (and ``date_precision``: with ``day``
        precision a last month that ends before its last day is not whole).
    months : int
        Window length, calendar months: 1, 2, 3, 4, 6 or 12 (a divisor of 12,
        so that windows tile the year). Default :data:`PUBLIC_WINDOW_MONTHS`.

    Returns
    -------
    tuple of Period
        First and last month of the window.

    Raises
    ------
    HotspotError
        ``months`` does not divide 12, or the data cover no whole window.
    """
    if months < 1 or 12 % months:
        raise HotspotError(f"public=: the published window must divide 12 months (1, 2, 3, 4, 6 or 12) so that "
                           f"releases never overlap; got {months}", param='public')
    if incidents.empty:
        raise HotspotError("public=: no incidents to publish", param='public')
    occ = pd.to_datetime(incidents["occurred"])
    first, last = occ.min().to_period("M"), occ.max().to_period("M")
    daily = "date_precision" in incidents and data_time_unit(incidents) == "day"  # day or minute precision
    if daily and occ.max().normalize() < last.to_timestamp(how="end").normalize():
        last -= 1  # the data stop inside their last month
    end = last - (last.month % months)
    start = end - (months - 1)
    if start < first:
        raise HotspotError(f"public=: the data ({first} to {occ.max():%Y-%m-%d}) cover no whole published window "
                           f"of {months} months (fixed windows ending in a month divisible by {months}, e.g. "
                           f"{end.year}-01 to {end.year}-{months:02d}); give more data or a shorter months=", param=('public', 'months'))
    return start, end


def longest_public_window(incidents: pd.DataFrame) -> int:
    """The longest published window length (12, 6, 3 or 1 calendar months)
    of which the data cover a whole fixed window: what a run publishes when
    its data hold no whole calendar year yet.

    Parameters
    ----------
    incidents : DataFrame
        Incidents with ``occurred`` (see :func:`public_window`).

    Returns
    -------
    int
        Window length, calendar months.

    Raises
    ------
    HotspotError
        The data cover no whole calendar month.
    """
    for months in (12, 6, 3):
        try:
            public_window(incidents, months=months)
            return months
        except HotspotError:
            continue
    public_window(incidents, months=1)
    return 1


def in_public_window(incidents: gpd.GeoDataFrame, *, months: int = PUBLIC_WINDOW_MONTHS
                     ) -> tuple[gpd.GeoDataFrame, str]:
    """The incidents of the published window (:func:`public_window`) and
    its label (``"2024-01 to 2024-12"``).

    Parameters
    ----------
    incidents : GeoDataFrame
        All incidents available (with ``occurred``).
    months : int
        Window length, calendar months (a divisor of 12).

    Returns
    -------
    tuple
        The incidents in the window and the window's label.
    """
    start, end = public_window(incidents, months=months)
    month = pd.to_datetime(incidents["occurred"]).dt.to_period("M")
    return incidents[(month >= start) & (month <= end)], f"{start} to {end}"


def count_bands(counts: np.ndarray, k: int = K_DEFAULT) -> tuple[list[str], np.ndarray]:
    """Counts of at least ``k`` as bands ``k`` wide (``8-15``, ``16-23``, ...
    for k = 8): a band changes only when the count crosses a multiple of
    ``k``, so comparing releases never pins a change down to fewer than
    ``k`` incidents.

    Parameters
    ----------
    counts : ndarray of int
        Counts, each at least ``k``.
    k : int
        Band width and smallest count published.

    Returns
    -------
    labels : list of str
        ``"low-high"`` per count.
    low : ndarray of int
        The band's lower bound per count.
    """
    low = (np.asarray(counts, int) // k) * k
    return [f"{lo}-{lo + k - 1}" if k > 1 else f"{lo}" for lo in low], low


def public_cells(incidents: gpd.GeoDataFrame, area: Area, *, cell: float = PUBLIC_CELL, k: int = K_DEFAULT,
                 period: str | None = None) -> gpd.GeoDataFrame:
    """Counts per grid cell, only cells with at least ``k`` incidents, in
    bands ``k`` wide (:func:`count_bands`), never as exact numbers.

    Parameters
    ----------
    incidents : GeoDataFrame
        The incidents counted (working CRS, metres, with ``occurred``); to
        publish, those of one :func:`public_window`.
    area : Area
        Cells are clipped to it.
    cell : float
        Cell size, metres (default :data:`PUBLIC_CELL`, 250 m).
    k : int
        Smallest count shown and band width (default :data:`K_DEFAULT`, 8).
    period : str, optional
        Label of the period counted (default: first to last month).

    Returns
    -------
    GeoDataFrame
        ``burglaries`` (the band, e.g. ``"8-15"``), ``band_low``, ``cell_m``,
        ``k``, ``period`` and the cell polygons.
    """
    from ..grid import Grid

    if k < 1:
        raise HotspotError("k must be at least 1")
    grid = Grid.for_geometry(area.geometry, cell, area.crs)
    counts = grid.bin(incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
    mask = grid.mask(area.geometry) & (counts >= k)
    rows, cols = np.nonzero(mask)
    if period is None and len(incidents):
        per = incidents["occurred"].dt.to_period("M")
        period = f"{per.min()} to {per.max()}"
    labels, low = count_bands(counts[rows, cols], k)
    return gpd.GeoDataFrame({"burglaries": pd.Series(labels, dtype=object), "band_low": low.astype(int),
                             "cell_m": float(cell), "k": int(k), "period": period or ""},
                            geometry=grid.boxes(rows, cols), crs=area.crs)


def public_hotspots(polygons: gpd.GeoDataFrame, k: int = K_DEFAULT) -> gpd.GeoDataFrame:
    """Hotspot polygons safe to publish: those with at least ``k`` incidents,
    their count in bands ``k`` wide, without the exact density sum
    (``value_sum``) or share that the rules allow only as classes.

    Parameters
    ----------
    polygons : GeoDataFrame
        :func:`hotspot.hotspots.hotspot_polygons` (``incidents``,
        ``value_sum``, ``share``, ...).
    k : int
        Smallest count published and band width.

    Returns
    -------
    GeoDataFrame
        ``rank``, ``cells``, ``area_km2``, ``burglaries`` (band), geometry.
    """
    out = polygons[polygons["incidents"] >= k].copy()
    out["burglaries"] = count_bands(out["incidents"].to_numpy(), k)[0] if len(out) else pd.Series([], dtype=object)
    out["rank"] = range(1, len(out) + 1)
    return out.drop(columns=[c for c in ("value_sum", "share", "incidents") if c in out.columns])


def check_surface_rule(bandwidth: float, cell: float) -> None:
    """Raise unless a surface with this bandwidth and cell may be published
    (see the module doc).

    Parameters
    ----------
    bandwidth : float
        Kernel bandwidth of the surface, metres; at least
        :data:`MIN_PUBLIC_BANDWIDTH` and twice the cell.
    cell : float
        Cell size of the surface, metres; at least :data:`MIN_PUBLIC_CELL`.

    Raises
    ------
    HotspotError
        The surface could be inverted back to points (names both values).
    """
    if cell < MIN_PUBLIC_CELL or bandwidth < max(MIN_PUBLIC_BANDWIDTH, 2 * cell):
        raise HotspotError(
            f"public=: a density surface is published only with cell= >= {MIN_PUBLIC_CELL:g} m and bandwidth="
            f">= max({MIN_PUBLIC_BANDWIDTH:g} m, 2 x cell); got cell {cell:g} m, bandwidth {bandwidth:g} m", param=('public', 'cell', 'bandwidth'))


def public_surface(surface: Surface, x: np.ndarray, y: np.ndarray, *, k: int = K_DEFAULT,
                   classes: int = PUBLIC_CLASSES) -> Surface:
    """A copy of a KDE surface safe to publish: cells with fewer than ``k``
    incidents within the bandwidth masked, values replaced by ordered
    classes 1..``classes`` (quantiles of the shown cells).

    Parameters
    ----------
    surface : Surface
        A kernel density surface; its ``meta["bandwidth_m"]`` (metres) and
        its grid cell (metres) must pass :func:`check_surface_rule`.
    x, y : ndarray
        The incidents the surface was made from (working CRS, metres).
    k : int
        Fewest incidents within the bandwidth of a cell for it to be shown.
    classes : int
        Number of ordered classes the shown values are put into.

    Returns
    -------
    Surface
        A copy: values are classes (1 = lowest), cells not shown masked out,
        ``meta`` marked ``public``.

    Raises
    ------
    HotspotError
        The bandwidth or cell breaks :func:`check_surface_rule`.
    """
    import copy

    bw = float(surface.meta.get("bandwidth_m", 0.0))
    cell = float(surface.grid.cell)
    check_surface_rule(bw, cell)
    X, Y = surface.grid.centres()
    tree = cKDTree(np.c_[x, y]) if len(x) else None
    support = np.zeros(surface.grid.shape, int)
    if tree is not None:
        m = surface.mask
        support[m] = [len(v) for v in tree.query_ball_point(np.c_[X[m], Y[m]], bw)]
    show = surface.mask & (support >= k) & (surface.values > 0)
    out = copy.copy(surface)
    vals = np.zeros(surface.grid.shape)
    if show.any():
        v = surface.values[show]
        edges = np.quantile(v, np.linspace(0, 1, classes + 1)[1:-1])
        vals[show] = np.searchsorted(edges, v, side="right") + 1
    out.values = vals
    out.mask = show
    out.units = f"class (1 = lowest, {classes} = highest)"
    out.meta = dict(surface.meta, public=True, k=k, classes=classes)
    return out


def suppress_counts(frame: pd.DataFrame, columns: Iterable[str], *, k: int = K_DEFAULT) -> pd.DataFrame:
    """A copy of a table with counts from 1 to ``k - 1`` suppressed (set to
    missing) in ``columns``, and a ``suppressed`` column naming what was
    removed per row (e.g. for a public report's monthly or ward table).
    Zero stays zero: it singles out nobody.

    Parameters
    ----------
    frame : DataFrame
        The table (left unchanged).
    columns : iterable of str
        Columns holding counts.
    k : int
        Smallest count that may be published.

    Returns
    -------
    DataFrame
        The copy, with the ``suppressed`` column (None where nothing was).
    """
    out = frame.copy()
    note = pd.Series("", index=out.index, dtype=object)
    for c in columns:
        v = pd.to_numeric(out[c], errors="coerce")
        small = (v > 0) & (v < k)
        out[c] = v.astype(object).where(~small, None)
        note = note.where(~small, note + c + f" < {k}; ")
    out["suppressed"] = note.str.rstrip("; ").replace("", None)
    return out


def postcode_sector(postcode: str) -> str:
    """The postcode sector of a unit postcode (``"EN5 1AB"`` -> ``"EN5 1"``):
    thousands of households, not the dozen of a unit.

    Parameters
    ----------
    postcode : str
        A full UK postcode, with or without its space.

    Returns
    -------
    str
        Outward code, a space and the inward code's first digit; the text
        unchanged when it is not a full postcode.
    """
    code = re.sub(r"\s+", "", str(postcode)).upper()
    return f"{code[:-3]} {code[-3]}" if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", code) else str(postcode)


def _sectors(postcodes) -> list[str]:
    return sorted({postcode_sector(p) for p in postcodes}) if isinstance(postcodes, list) else postcodes


def public_plan_frame(frame: pd.DataFrame, *, from_addresses: bool = False) -> pd.DataFrame:
    """A campaign plan without modelled burglary figures (households,
    leaflets, timer switches, postcodes and streets only).

    Parameters
    ----------
    frame : DataFrame
        The plan's targets table (``CampaignPlan.targets`` without geometry).
    from_addresses : bool
        The plan was made from exact-address data
        (:attr:`hotspot.campaigns.CampaignPlan.streets_from_addresses`): the
        streets of burgled addresses are left out and postcode units (in risk
        order) become the sectors they lie in, alphabetical.

    Returns
    -------
    DataFrame
        The table without the expected burglaries, rates, reach and basis.
    """
    drop = [c for c in frame.columns if c in ("expected_burglaries", "rate_per_1000_households", "reached_by_leaflets",
                                              "reached_by_switches", "basis")]
    out = frame.drop(columns=drop + (["streets"] if from_addresses and "streets" in frame else []))
    if from_addresses and "postcodes" in out:
        out["postcodes"] = [_sectors(v) for v in out["postcodes"]]
        out = out.rename(columns={"postcodes": "postcode_sectors"})
    return out


def public_campaign_json(obj: dict, *, from_addresses: bool = False) -> dict:
    """:meth:`CampaignPlan.to_json` without modelled burglary figures.

    Parameters
    ----------
    obj : dict
        The plan's JSON (:meth:`hotspot.campaigns.CampaignPlan.to_json`).
    from_addresses : bool
        Made from exact-address data: no streets, postcode sectors instead
        of units (see :func:`public_plan_frame`).

    Returns
    -------
    dict
        A copy whose targets lack expected burglaries and rates, marked
        ``"public": true``.
    """
    out = dict(obj)
    hidden = ("expected_burglaries", "rate_per_1000_households") + (("streets",) if from_addresses else ())
    out["targets"] = [{k: v for k, v in t.items() if k not in hidden} for t in obj.get("targets", [])]
    if from_addresses:
        for t in out["targets"]:
            if "postcodes" in t:
                t["postcode_sectors"] = _sectors(t.pop("postcodes"))
    out["public"] = True
    return out
