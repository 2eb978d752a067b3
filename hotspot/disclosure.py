"""Disclosure control: outputs safe to publish, and a checker for any file.

Rules (``--public``)
--------------------
* **No incident points or exact coordinates.** Nothing drawn at an incident's
  location: no markers, heat points or per-incident features. Counts are
  published per grid cell (default 250 m) or per street/unit only.
* **k rule.** A count is shown only when it is at least ``k`` (default
  :data:`K_DEFAULT` = 8); smaller counts are suppressed (not drawn, not
  written). The default follows police.uk's own anonymisation: every
  published map point stands for at least eight postal addresses (or none),
  so no published figure should single out fewer households than police.uk
  already does. Counts shown are bands ``k`` wide (:func:`count_bands`),
  never exact numbers.
* **Fixed windows** (:func:`public_window`): counts cover the latest whole
  fixed window (a calendar year by default), never a sliding or all-time
  one, so releases are identical or disjoint and cannot be subtracted.
* **No street of an exact address** (:func:`exact_address_streets`): from a
  force's own address text, public plans give postcode sectors and units,
  not the streets of burgled addresses.
* **Dates no finer than the month** for exact-date records.
* **Density surfaces** (:func:`public_surface`) are published only when they
  cannot be inverted back to points: a kernel density is a blurred copy of
  the points, and with exact values and a known kernel the blur can be
  undone (deconvolution). So (1) the bandwidth is at least
  :data:`MIN_PUBLIC_BANDWIDTH` (250 m) and at least twice the cell, and the
  cell at least :data:`MIN_PUBLIC_CELL` (100 m): one burglary spreads over
  about 0.1 km^2 (hundreds of homes); (2) a cell is shown only when at least
  ``k`` incidents lie within the bandwidth of it; (3) values are published
  as :data:`PUBLIC_CLASSES` ordered classes, never as numbers, which removes
  the precision deconvolution needs.

Checker (:func:`check_public`)
------------------------------
Reads HTML, GeoJSON/JSON, GeoPackage, CSV, Parquet and PDF (text by
poppler's ``pdftotext``) and reports (1) any coordinate pair - markers,
heat/cluster arrays, ``L.latLng``, Point features, WKT, lon/lat or
eastings/northings in any order, any two numeric columns - within
``distance`` metres (default 25) of an input incident, (2) any polygon or
line feature so small (extent under ``2 x distance``) that it pinpoints a
place, (3) any count below ``k`` (count-like columns and keys of any dtype,
numbers held as text, arrays, and "N burglaries" / "Burglaries: N" text in
every text column, tooltip and legend) and (4) with exact-address input, the
street of any incident.
Map view settings (centre, bounds) are not data and are ignored. MaskMyPy
(masking and k-anonymity checks of point sets) was considered: it masks
points to publish them, while these outputs publish no points at all and the
check has to read HTML/CSV/GeoJSON text; it is also not in this project's
package index, so the checks are written here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ._errors import HotspotError, InputFileError
from .periods import data_time_unit

if TYPE_CHECKING:  # annotations only
    from .areas import Area
    from .kde import Surface

#: Smallest count published (police.uk: at least 8 addresses per map point).
K_DEFAULT = 8
#: Default public cell for counts, metres.
PUBLIC_CELL = 250.0
#: Smallest bandwidth and cell of a published density surface, metres.
MIN_PUBLIC_BANDWIDTH = 250.0
MIN_PUBLIC_CELL = 100.0
#: Length of a published window, calendar months. Windows are fixed (a
#: 12-month window is a calendar year), never sliding or cumulative: two
#: releases cover the same months (and publish the same figures) or months
#: that do not overlap, so subtracting one release from another recovers no
#: count.
PUBLIC_WINDOW_MONTHS = 12
#: Number of ordered classes a public surface is shown in.
PUBLIC_CLASSES = 5
#: Default distance (metres) within which an output coordinate counts as an
#: incident's location.
CHECK_DISTANCE = 25.0

COUNT_KEYS = re.compile(r"^(count|counts|n|incidents|burglaries|crimes|n_sources|n_recent|n_history|in_zone|"
                        r"inside_incidents|outside_incidents|volume)$", re.I)
COUNT_TEXT = re.compile(r"(?<![\d.,])(\d{1,6})\s+(?:incidents?|burglar(?:y|ies)|crimes?|offences?)\b", re.I)


# --------------------------------------------------------------------------- publishing


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
        raise HotspotError(f"--public: the published window must divide 12 months (1, 2, 3, 4, 6 or 12) so that "
                           f"releases never overlap; got {months}")
    if incidents.empty:
        raise HotspotError("--public: no incidents to publish")
    occ = pd.to_datetime(incidents["occurred"])
    first, last = occ.min().to_period("M"), occ.max().to_period("M")
    daily = "date_precision" in incidents and data_time_unit(incidents) == "day"  # day or minute precision
    if daily and occ.max().normalize() < last.to_timestamp(how="end").normalize():
        last -= 1  # the data stop inside their last month
    end = last - (last.month % months)
    start = end - (months - 1)
    if start < first:
        raise HotspotError(f"--public: the data ({first} to {occ.max():%Y-%m-%d}) cover no whole published window "
                           f"of {months} months (fixed windows ending in a month divisible by {months}, e.g. "
                           f"{end.year}-01 to {end.year}-{months:02d}); give more data or a shorter --months")
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
    from .grid import Grid

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
            f"--public: a density surface is published only with --cell >= {MIN_PUBLIC_CELL:g} m and --bandwidth "
            f">= max({MIN_PUBLIC_BANDWIDTH:g} m, 2 x cell); got cell {cell:g} m, bandwidth {bandwidth:g} m")


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


# --------------------------------------------------------------------------- checking


@dataclass
class Finding:
    """One thing in an output that is not safe to publish."""

    file: str
    kind: str  # "point near incident", "pinpointing feature", "count below k", "street of an incident"
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


_SNAP_PREFIX = "on or near"
_HOUSE_NUMBER = re.compile(r"^\s*(?:(?:flat|apartment|apt|unit)\s+\S+\s*,?\s*)?[\w/-]*\d[\w/-]*\s*,?\s*", re.I)


def exact_address_streets(incidents: gpd.GeoDataFrame) -> set[str]:
    """Street names in the incidents' location text when it is a force's own
    exact-address (or block) text, not police.uk's ``On or near X`` snap
    points (which police.uk publishes itself): what a public output must
    not name.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents, with ``location_text`` (any other table: no streets).

    Returns
    -------
    set of str
        The street part of each address ("17 Acacia Road, Barnet" ->
        "Acacia Road"); empty for police.uk snap-point text or no text.
    """
    if "location_text" not in incidents:
        return set()
    text = incidents["location_text"].dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty or text.str.lower().str.startswith(_SNAP_PREFIX).all():
        return set()
    from .nanobeats.describe import GENERIC_PLACES  # here: importing nanobeats takes seconds (scipy.signal)
    names = set()
    for t in text.unique():
        t = t[len(_SNAP_PREFIX):] if t.lower().startswith(_SNAP_PREFIX) else t
        name = _HOUSE_NUMBER.sub("", t, count=1).split(",")[0].strip()
        if sum(ch.isalpha() for ch in name) >= 4 and name.lower() not in GENERIC_PLACES:
            names.add(name)
    return names


class _Checker:
    def __init__(self, incidents: gpd.GeoDataFrame, distance: float, k: int):
        from .crs import to_lonlat

        if incidents.crs is None:
            raise HotspotError("incidents need a CRS")
        self.crs = incidents.crs
        self.xy = np.c_[incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()]
        self.tree = cKDTree(self.xy) if len(self.xy) else None
        self.distance, self.k = float(distance), int(k)
        lon, lat = to_lonlat(self.xy[:, 0], self.xy[:, 1], self.crs) if len(self.xy) else (np.empty(0), np.empty(0))
        self.lon_range = (np.min(lon) - 0.5, np.max(lon) + 0.5) if len(self.xy) else (0, 0)
        self.lat_range = (np.min(lat) - 0.5, np.max(lat) + 0.5) if len(self.xy) else (0, 0)
        lo, hi = (self.xy.min(axis=0), self.xy.max(axis=0)) if len(self.xy) else (np.zeros(2), np.zeros(2))
        self.box = (lo - self.distance, hi + self.distance)
        streets = sorted(exact_address_streets(incidents), key=len, reverse=True)
        words = [r"\s+".join(map(re.escape, name.split())) for name in streets]  # a PDF breaks lines anywhere
        self.streets = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.I) if streets else None

    def near_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (metres) from each lon/lat to the nearest incident."""
        from .crs import from_lonlat

        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        d = np.full(len(lon), np.inf)
        ok = ((lon >= self.lon_range[0]) & (lon <= self.lon_range[1]) & (lat >= self.lat_range[0])
              & (lat <= self.lat_range[1]))
        if self.tree is None or not ok.any():
            return d, np.zeros(len(lon), int)
        x, y = from_lonlat(lon[ok], lat[ok], self.crs)
        dd, ii = self.tree.query(np.c_[x, y])
        d[ok] = dd
        idx = np.zeros(len(lon), int)
        idx[ok] = ii
        return d, idx

    def near_xy(self, x, y) -> np.ndarray:
        x, y = np.asarray(x, float), np.asarray(y, float)
        d = np.full(len(x), np.inf)
        ok = (x >= self.box[0][0]) & (x <= self.box[1][0]) & (y >= self.box[0][1]) & (y <= self.box[1][1])
        if self.tree is not None and ok.any():
            d[ok] = self.tree.query(np.c_[x[ok], y[ok]])[0]
        return d

    def near_any(self, a, b) -> np.ndarray:
        """Distance (metres) to the nearest incident of each pair read every
        way it could be meant: (lon, lat), (lat, lon), and (x, y) or (y, x)
        in the incidents' own CRS (British National Grid eastings and
        northings, say)."""
        a, b = np.asarray(a, float), np.asarray(b, float)
        if not len(a):
            return np.empty(0)
        return np.minimum.reduce([self.near_lonlat(a, b)[0], self.near_lonlat(b, a)[0], self.near_xy(a, b),
                                  self.near_xy(b, a)])


def _count_value(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*\d{1,9}(?:\.0*)?\s*", v):  # a count written as text: "3"
        return int(float(v))
    return None


COUNT_LABEL = re.compile(r"\b(?:incidents?|burglar(?:y|ies)|crimes?|offences?|counts?)\s*[:=]\s*[\"']?(\d{1,6})"
                         r"(?![\d.,]\d)", re.I)
_KEYED_COUNT = re.compile(r"[\"']" + COUNT_KEYS.pattern.strip("^$") + r"[\"']\s*:\s*"
                          r"(?P<value>\[[^\[\]]*\]|[\"']?\d+[\"']?)", re.I)
_LONLAT_PAIR = re.compile(r"(?<![\w.])(-?\d{1,3}\.\d{3,})\s*(?:,\s*|\s+)(-?\d{1,3}\.\d{3,})(?!\d)")
_METRE_PAIR = re.compile(r"(?<![\w.,])(-?\d{4,8}(?:\.\d+)?)\s*(?:,\s*|\s+)(-?\d{4,8}(?:\.\d+)?)(?![\d,])")


_ENTITY = re.compile(r"&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(nbsp|amp|lt|gt|quot|apos|colon));", re.I)
_NAMED = {"nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "colon": ":"}


def _unescape(text: str) -> str:
    """Character references a page may hide a count behind (``Burglaries&#58; 3``)."""
    def one(m: re.Match) -> str:
        if m.group(3):
            return _NAMED[m.group(3).lower()]
        code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        return chr(code) if code < 0x110000 else " "
    return _ENTITY.sub(one, text)


def _text_counts(text: str, k: int) -> list[str]:
    plain = _unescape(re.sub(r"<[^>]+>", " ", text))
    hits = [m.group(0) for rx in (COUNT_TEXT, COUNT_LABEL) for m in rx.finditer(plain) if 0 < int(m.group(1)) < k]
    for m in _KEYED_COUNT.finditer(text):  # "count": "3" or "counts": [40, 3] in data embedded in a page
        values = [_count_value(v.strip(" \"'")) for v in m.group("value").strip("[]").split(",")]
        hits += [m.group(0) for v in values if v is not None and 0 < v < k][:1]
    return hits


def _scan_text(name: str, text: str, ck: _Checker, found: list[Finding], where: str) -> None:
    """Counts below k, coordinate pairs near an incident (any order, lon/lat
    or the incidents' CRS) and streets of exact addresses in free text."""
    hits = _text_counts(text, ck.k)
    if hits:
        found.append(Finding(name, "count below k", f"{len(hits)} texts in {where} like '{hits[0]}' (k = {ck.k})"))
    pairs = [(float(a), float(b)) for rx in (_LONLAT_PAIR, _METRE_PAIR) for a, b in rx.findall(text)]
    if pairs:
        d = ck.near_any(*np.array(pairs).T)
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} coordinates in {where} (markers, heat, cluster data or text) within "
                                 f"{ck.distance:g} m of an input incident (closest {d.min():.1f} m)"))
    if ck.streets is not None:
        streets = sorted({" ".join(m.group(0).split()) for m in ck.streets.finditer(text)})
        if streets:
            found.append(Finding(name, "street of an incident",
                                 f"{len(streets)} streets of burgled addresses in {where} (e.g. '{streets[0]}'); "
                                 f"exact-address data are published by ward, LSOA or postcode sector only"))


def _check_columns(name: str, df: pd.DataFrame, ck: _Checker, found: list[Finding], where: str) -> None:
    """Every column of a table, of any dtype: count columns below k, text
    (string, object, categorical...) scanned, numeric column pairs that
    place a point near an incident, whatever their names."""
    numeric = []
    for col in df.columns:
        s = df[col]
        if COUNT_KEYS.match(str(col)):
            vals = [_count_value(v) for v in s]
            low = [v for v in vals if v is not None and 0 < v < ck.k]
            if low:
                found.append(Finding(name, "count below k",
                                     f"{len(low)} values of '{col}' in {where} below k = {ck.k} (e.g. {low[0]})"))
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            numeric.append(col)
        elif not pd.api.types.is_datetime64_any_dtype(s):
            text = "\n".join(s.dropna().astype(str))
            _scan_text(name, text, ck, found, f"'{col}' of {where}")
    for i, a in enumerate(numeric):
        for b in numeric[i + 1:]:
            ok = df[a].notna() & df[b].notna()
            d = ck.near_any(df.loc[ok, a].to_numpy(float), df.loc[ok, b].to_numpy(float))
            n = int((d <= ck.distance).sum())
            if n:
                found.append(Finding(name, "point near incident",
                                     f"{n} rows of ({a}, {b}) in {where} within {ck.distance:g} m of an input "
                                     f"incident (closest {d.min():.1f} m)"))


def _in_working_crs(gdf: gpd.GeoDataFrame, ck: _Checker) -> gpd.GeoDataFrame:
    """Features in the incidents' CRS. GeoJSON without a CRS is lon/lat by
    its standard, but coordinates beyond +-180/90 are metres: they are read
    in the incidents' CRS rather than thrown away."""
    if gdf.crs is None or gdf.crs.is_geographic:
        b = gdf.total_bounds if len(gdf) and gdf.geometry.notna().any() else np.zeros(4)
        if np.isfinite(b).all() and (np.abs(b[[0, 2]]).max() > 180 or np.abs(b[[1, 3]]).max() > 90):
            return gdf.set_crs(ck.crs, allow_override=True)
        gdf = gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf
    return gdf.to_crs(ck.crs)


def _check_features(name: str, gdf: gpd.GeoDataFrame, ck: _Checker, found: list[Finding], where: str) -> None:
    g = _in_working_crs(gdf, ck)
    geoms = g.geometry
    is_pt = geoms.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    if is_pt.any():
        pts = shapely.get_parts(geoms[is_pt].to_numpy())
        d = ck.near_xy(shapely.get_x(pts), shapely.get_y(pts))
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} point features in {where} within {ck.distance:g} m of an input incident "
                                 f"(closest {d.min():.1f} m)"))
    other = ~is_pt & geoms.notna().to_numpy()
    if other.any():
        b = geoms[other].bounds
        ext = np.maximum(b["maxx"] - b["minx"], b["maxy"] - b["miny"]).to_numpy()
        cx, cy = ((b["minx"] + b["maxx"]) / 2).to_numpy(), ((b["miny"] + b["maxy"]) / 2).to_numpy()
        small = ext < 2 * ck.distance
        if small.any():
            d = ck.near_xy(cx[small], cy[small])
            n = int((d <= ck.distance).sum())
            if n:
                found.append(Finding(name, "pinpointing feature",
                                     f"{n} features in {where} smaller than {2 * ck.distance:g} m at an incident"))
    _check_columns(name, pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), ck, found, where)


_GEOJSON_START = re.compile(r'\{\s*"(?:bbox|features|type)"\s*:')
_VIEW = re.compile(r"(center\s*:\s*\[[^\]]*\]|fitBounds\(\s*\[\[[^\]]*\],\s*\[[^\]]*\]\]|"
                   r"imageOverlay\(\s*(?:\"[^\"]*\"|'[^']*')\s*,\s*\[\[[^\]]*\],\s*\[[^\]]*\]\])", re.S)


def _page_layers(text: str) -> tuple[list[list[dict]], list[tuple[int, int]]]:
    """The GeoJSON FeatureCollections embedded in a page: their features and
    where each lies in the text."""
    dec = json.JSONDecoder()
    layers, spans = [], []
    pos = 0
    while True:
        m = _GEOJSON_START.search(text, pos)
        if not m:
            break
        try:
            obj, end = dec.raw_decode(text, m.start())
        except ValueError:
            pos = m.end()
            continue
        if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
            layers.append(obj.get("features") or [])
            spans.append((m.start(), end))
        pos = end
    return layers, spans


def _check_html(name: str, text: str, ck: _Checker, found: list[Finding]) -> None:
    layers, spans = _page_layers(text)
    for n, feats in enumerate(layers, 1):
        if feats:
            _check_features(name, gpd.GeoDataFrame.from_features(feats), ck, found, f"map layer {n}")
    rest, last = [], 0
    for a, b in spans:
        rest.append(text[last:a])
        last = b
    rest.append(text[last:])
    outside = _VIEW.sub(" ", "".join(rest))  # the page outside its GeoJSON layers and view settings
    _scan_text(name, outside, ck, found, "the page")


def _check_csv(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    _check_columns(name, pd.read_csv(path), ck, found, "the table")


def _check_pdf(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    """The text of a PDF (poppler's ``pdftotext``), scanned like a page."""
    import shutil
    import subprocess

    exe = shutil.which("pdftotext")
    if exe is None:
        raise InputFileError(f"{path}: check-public reads PDF text with poppler's pdftotext; install poppler-utils")
    res = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise InputFileError(f"{path}: pdftotext could not read it ({res.stderr.strip().splitlines()[-1:]})")
    _scan_text(name, res.stdout, ck, found, "the PDF text")  # reading order: a table cell's words stay together


def _check_json(name: str, path: Path, ck: _Checker, found: list[Finding]) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InputFileError(f"{name}: not JSON ({exc})") from None
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        gdf = gpd.read_file(path) if obj.get("features") else gpd.GeoDataFrame()
        if len(gdf):
            _check_features(name, gdf, ck, found, "the features")
        return
    pairs: list[tuple[float, float]] = []
    low: list[str] = []
    texts: list[str] = []

    def walk(o):
        if isinstance(o, dict):
            nums = [float(v) for v in o.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            pairs.extend((a, b) for i, a in enumerate(nums) for b in nums[i + 1:])
            for kk, v in o.items():
                if COUNT_KEYS.match(str(kk)):
                    for c in map(_count_value, v if isinstance(v, list) else [v]):
                        if c is not None and 0 < c < ck.k:
                            low.append(f"{kk}={c}")
                walk(v)
        elif isinstance(o, list):
            nums = [float(v) for v in o if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if 2 <= len(nums) == len(o) <= 3:
                pairs.append((nums[0], nums[1]))
            for v in o:
                walk(v)
        elif isinstance(o, str):
            texts.append(o)

    walk(obj)
    if pairs:
        d = ck.near_any(*np.array(pairs).T)
        n = int((d <= ck.distance).sum())
        if n:
            found.append(Finding(name, "point near incident",
                                 f"{n} coordinate pairs within {ck.distance:g} m of an incident (closest {d.min():.1f} m)"))
    if low:
        found.append(Finding(name, "count below k", f"{len(low)} counts below k = {ck.k} (e.g. {low[0]})"))
    _scan_text(name, "\n".join(texts), ck, found, "the text")


def check_public(paths: str | Path | Iterable[str | Path], incidents: gpd.GeoDataFrame, *, distance: float = CHECK_DISTANCE,
                 k: int = K_DEFAULT) -> list[Finding]:
    """Scan outputs for what must not be published (see the module doc).

    Parameters
    ----------
    paths : path or list of paths
        HTML, GeoJSON/JSON, GeoPackage, CSV, Parquet/GeoParquet or PDF files.
    incidents : GeoDataFrame
        The input incidents (working CRS, metres).
    distance : float
        Distance in metres (default 25): an output coordinate this close to
        an incident is a leak.
    k : int
        Smallest count that may be published.

    Returns
    -------
    list of Finding
        Empty when the files are safe to publish.
    """
    if distance <= 0 or k < 1:
        raise HotspotError("distance must be positive (metres) and k at least 1")
    ck = _Checker(incidents, distance, k)
    found: list[Finding] = []
    for p in [paths] if isinstance(paths, (str, Path)) else paths:
        p = Path(p)
        if not p.is_file():
            raise InputFileError(f"{p}: file not found")
        ext = p.suffix.lower()
        try:
            _check_file(p, ext, ck, found)
        except HotspotError:
            raise
        except Exception as exc:  # unreadable file: name it, never a traceback
            raise InputFileError(f"{p}: cannot be read as {ext or 'a known type'} ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    return found


def _check_file(p: Path, ext: str, ck: _Checker, found: list[Finding]) -> None:
    """Check one file by its type (see :func:`check_public`)."""
    if ext in (".html", ".htm"):
        _check_html(str(p), p.read_text(encoding="utf-8", errors="replace"), ck, found)
    elif ext in (".geojson", ".json"):
        _check_json(str(p), p, ck, found)
    elif ext == ".csv":
        _check_csv(str(p), p, ck, found)
    elif ext == ".pdf":
        _check_pdf(str(p), p, ck, found)
    elif ext in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        geo = b"geo" in (pq.read_schema(p).metadata or {})
        table = gpd.read_parquet(p) if geo else pd.read_parquet(p)
        if geo:
            _check_features(str(p), table, ck, found, "the table")
        else:
            _check_columns(str(p), table, ck, found, "the table")
    elif ext == ".gpkg":
        import pyogrio

        for layer, _ in pyogrio.list_layers(p):
            _check_features(str(p), gpd.read_file(p, layer=layer), ck, found, f"layer {layer}")
    else:
        raise InputFileError(f"{p}: check-public reads .html, .geojson/.json, .gpkg, .csv, .parquet or .pdf")


# --------------------------------------------------------------------------- two releases

_EXACT_TEXT = re.compile(r"(?<![\d.,\-–])(\d{1,6})\s+(?:incidents?|burglar(?:y|ies)|crimes?|offences?)\b", re.I)


def _release_features(path: Path) -> gpd.GeoDataFrame:
    """The features a file publishes (map layers, GeoJSON, GeoPackage or
    GeoParquet); other files publish none."""
    ext = path.suffix.lower()
    if ext in (".html", ".htm"):
        feats = [f for layer in _page_layers(path.read_text(encoding="utf-8", errors="replace"))[0] for f in layer]
        return gpd.GeoDataFrame.from_features(feats) if feats else gpd.GeoDataFrame()
    if ext in (".geojson", ".json", ".gpkg"):
        import pyogrio

        try:
            layers = [name for name, _ in pyogrio.list_layers(path)]
        except Exception:  # a JSON file that is not GeoJSON publishes no feature
            return gpd.GeoDataFrame()
        frames = [gpd.read_file(path, layer=layer) for layer in layers]
        return pd.concat(frames, ignore_index=True) if frames else gpd.GeoDataFrame()
    if ext in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(path)
        except ValueError:  # no geometry column: no feature
            return gpd.GeoDataFrame()
    return gpd.GeoDataFrame()


def _exact_counts(path: Path) -> dict[str, int]:
    """Exact counts per published feature, keyed by its geometry: a count
    column's whole number, or the one number of an "N burglaries" text (a
    band such as "8-15 burglaries" is not exact)."""
    gdf = _release_features(path)
    if gdf.empty or "geometry" not in gdf:
        return {}
    keys = shapely.to_wkt(shapely.set_precision(gdf.geometry.to_numpy(), 1e-6), rounding_precision=6)
    counts = [c for c in gdf.columns if COUNT_KEYS.match(str(c))]
    texts = [c for c in gdf.columns if c != "geometry" and c not in counts]
    out = {}
    for i, key in enumerate(keys):
        values = [v for v in (_count_value(gdf[c].iloc[i]) for c in counts) if v is not None]
        if not values:
            values = [int(m.group(1)) for c in texts for m in _EXACT_TEXT.finditer(str(gdf[c].iloc[i]))]
        if len(values) == 1 and key:
            out[str(key)] = values[0]
    return out


def release_differences(paths: Iterable[str | Path], previous: Iterable[str | Path], *,
                        k: int = K_DEFAULT) -> list[Finding]:
    """Differencing between two releases: features published in both whose
    exact count changed by 1 to ``k - 1`` (subtracting the releases gives
    the burglaries of the period between them, place by place).

    Parameters
    ----------
    paths : iterable of path
        The new release's files.
    previous : iterable of path
        The previous release's files.
    k : int
        Smallest count (and change) that may be published.

    Returns
    -------
    list of Finding
        One "change below k" finding naming how many features and an
        example; empty when the releases cannot be subtracted.
    """
    paths, previous = [Path(p) for p in paths], [Path(p) for p in previous]
    new: dict[str, int] = {}
    old: dict[str, int] = {}
    for group, store in ((paths, new), (previous, old)):
        for p in group:
            store.update(_exact_counts(Path(p)))
    changes = [new[g] - old[g] for g in new.keys() & old.keys() if 0 < abs(new[g] - old[g]) < k]
    if not changes:
        return []
    return [Finding(", ".join(map(str, paths)), "change below k",
                    f"{len(changes)} features whose count changed by 1 to {k - 1} since the previous release (e.g. "
                    f"{changes[0]:+d}): subtracting the releases reveals them; publish fixed windows and banded counts")]
