"""The Knox test for near-repeat victimisation, by distance and time bands.

This is the analysis of Ratcliffe's Near Repeat Calculator (NRC), done exactly
and fast:

* Bands are half-open, ``[lo, hi)``. ``distance_edges=[1, 200]`` gives the
  bands ``[0, 1)`` (same location), ``[1, 200)`` and ``[200, inf)`` metres;
  ``time_edges=[7]`` gives ``[0, 7)`` and ``[7, inf)`` days. Labels say what
  was computed: with whole-day dates ``[0, 7)`` is "0-6 days" (the NRC
  labels the same band "0 to 7 days").
* Time differences are whole days for date data and fractional days for
  date-times; distances are Euclidean or Manhattan metres in the working CRS.
* Only pairs closer than the largest finite distance edge are enumerated
  (KD-tree), so memory grows with the close pairs, not N^2. The last
  distance row ("more than") is the permutation-invariant total of pairs per
  time band (from the sorted times, O(N log N)) minus the close pairs.
* Monte Carlo: the event times are permuted over the locations
  ``permutations`` times with a seeded generator. Permuted times are held as
  an (events x block of permutations) matrix, so a compiled loop (numba,
  parallel over chunks of pairs) reads two contiguous rows per close pair;
  only pairs inside the largest finite time edge are counted, the rest of
  each distance band following from its invariant number of close pairs.

p-values are ``(1 + #{sim >= obs}) / (permutations + 1)``; the Knox ratio is
observed / mean of the simulations (also / median); z = (obs - mean) / sd.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ._errors import DataPrecisionError, HotspotError
from .crs import require_metre_coordinates, require_same_metric_crs

Metric = Literal["euclidean", "manhattan"]
TimeUnit = Literal["days", "months"]

try:  # numba pays ~10x on the permutation loop; numpy is the fallback
    from numba import njit, prange

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False


# --------------------------------------------------------------------------- bands


def nrc_edges(bandwidth: float, n_bands: int, *, same_location: float | None = 1.0) -> list[float]:
    """Edges in the Near Repeat Calculator's style.

    ``nrc_edges(200, 5)`` gives ``[1, 200, 400, 600, 800, 1000]``: a
    same-location band ``[0, 1)``, five bands of 200 m and "more than 1000 m".
    For time, ``nrc_edges(7, 4, same_location=None)`` gives
    ``[7, 14, 21, 28]``.

    Parameters
    ----------
    bandwidth : float
        Width of each band, in metres for distance bands, in days (or
        months) for time bands.
    n_bands : int
        Number of bands of that width.
    same_location : float, optional
        A first edge for a same-location band ``[0, same_location)``, metres
        (default 1 m); None for no such band (time edges).

    Returns
    -------
    list of float
        Finite edges, increasing.
    """
    if bandwidth <= 0 or n_bands < 1:
        raise HotspotError("bandwidth must be positive and n_bands >= 1")
    edges = [bandwidth * k for k in range(1, n_bands + 1)]
    if same_location:
        edges = [same_location] + edges
    return edges


def _check_edges(edges: Sequence[float], what: str) -> np.ndarray:
    e = np.asarray(list(edges), dtype=float)
    if e.ndim != 1 or len(e) == 0:
        raise HotspotError(f"{what} edges: give at least one finite edge")
    if not np.all(np.isfinite(e)) or np.any(e <= 0) or np.any(np.diff(e) <= 0):
        raise HotspotError(f"{what} edges must be positive, finite and increasing: {list(edges)}")
    return e


def _fmt(v: float) -> str:
    return f"{v:g}"


def distance_labels(edges: np.ndarray) -> list[str]:
    """Labels of the distance bands ``[0, e0), [e0, e1), ..., [e_last, inf)``.

    Parameters
    ----------
    edges : ndarray
        Finite distance edges, metres.

    Returns
    -------
    list of str
        One label per band, the last "more than ...".
    """
    lows = np.r_[0.0, edges]
    out = []
    for i, lo in enumerate(lows):
        if i == len(edges):
            out.append(f"{_fmt(lo)} m or more")
        elif lo == 0 and edges[0] <= 1:
            out.append(f"same location (<{_fmt(edges[0])} m)")
        else:
            out.append(f"{_fmt(lo)} to <{_fmt(edges[i])} m")
    return out


def time_labels(edges: np.ndarray, whole_units: bool, unit: str = "days") -> list[str]:
    """Labels of the time bands; whole units print inclusive ranges
    (``[0, 7)`` -> "0-6 days").

    Parameters
    ----------
    edges : ndarray
        Finite time edges, in ``unit``.
    whole_units : bool
        Whether event times are whole units (dates), so bands print as
        inclusive ranges.
    unit : str
        The time unit's name, "days" or "months".

    Returns
    -------
    list of str
        One label per band, the last "more than ...".
    """
    lows = np.r_[0.0, edges]
    out = []
    for i, lo in enumerate(lows):
        if i == len(edges):
            out.append(f"{_fmt(lo)}+ {unit}" if whole_units else f"{_fmt(lo)} {unit} or more")
        elif whole_units and float(lo).is_integer() and float(edges[i]).is_integer():
            hi = edges[i] - 1
            out.append(f"{_fmt(lo)} {unit[:-1] if lo == hi == 1 else unit}" if lo == hi
                       else f"{_fmt(lo)}\u2013{_fmt(hi)} {unit}")
        else:
            out.append(f"{_fmt(lo)} to <{_fmt(edges[i])} {unit}")
    return out


# --------------------------------------------------------------------------- pairs


def close_pairs(x: np.ndarray, y: np.ndarray, max_distance: float, metric: Metric = "euclidean") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``i < j`` closer than ``max_distance`` metres (strictly).

    Uses a KD-tree: memory grows with the number of close pairs, never with N^2.

    Parameters
    ----------
    x, y : ndarray
        Coordinates, metres (working CRS).
    max_distance : float
        Pairs strictly closer than this many metres are returned.
    metric : {"euclidean", "manhattan"}
        How the distance is measured.

    Returns
    -------
    i, j : ndarray of int
        Indices of each pair, ``i < j``.
    d : ndarray
        Their distance, metres.
    """
    pts = np.column_stack([x, y]).astype(float)
    p = {"euclidean": 2.0, "manhattan": 1.0}[metric]
    tree = cKDTree(pts)
    pairs = tree.query_pairs(r=max_distance, p=p, output_type="ndarray")
    if len(pairs) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    diff = pts[i] - pts[j]
    d = np.hypot(diff[:, 0], diff[:, 1]) if metric == "euclidean" else np.abs(diff).sum(axis=1)
    keep = d < max_distance  # query_pairs includes r itself; bands are half-open
    return i[keep], j[keep], d[keep]


def pairs_per_time_band(t: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Number of unordered pairs in each time band over *all* N(N-1)/2 pairs.

    Invariant under any permutation of ``t``; O(N log N) via sorting.

    Parameters
    ----------
    t : ndarray
        Event times (days or months).
    edges : ndarray
        Finite time edges, same unit as ``t``.

    Returns
    -------
    ndarray of int
        Pairs per band, ``len(edges) + 1`` values (the last "or more").
    """
    ts = np.sort(np.asarray(t, float))
    n = len(ts)
    below = np.empty(len(edges))
    for k, e in enumerate(edges):
        # pairs (a < b in sorted order) with ts[b] - ts[a] < e
        upto = np.searchsorted(ts, ts + e, side="left")  # first index with ts >= ts[a] + e
        below[k] = float(np.sum(upto - np.arange(n) - 1))
    total = n * (n - 1) / 2
    counts = np.diff(np.r_[0.0, below, total])
    return counts


def _band(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.searchsorted(edges, values, side="right")


if _HAVE_NUMBA:

    @njit(cache=True, parallel=True)
    def _permute_counts(tp: np.ndarray, i: np.ndarray, j: np.ndarray, dband: np.ndarray, tedges: np.ndarray,
                        n_dist: int, n_time: int) -> np.ndarray:  # pragma: no cover - compiled
        """Close-pair counts per (permutation, distance band, finite time band).

        ``tp`` is (events x permutations): each pair reads two contiguous
        rows, and only pairs inside the largest finite time edge are counted
        (the rest fall in the last time band, which the caller derives from
        the invariant number of close pairs per distance band).
        """
        n_perm = tp.shape[1]
        m = i.shape[0]
        n_chunks = 16
        tmax = tedges[tedges.shape[0] - 1]
        ne = tedges.shape[0]
        partial = np.zeros((n_chunks, n_perm, n_dist, n_time), np.int64)
        for c in prange(n_chunks):
            lo = c * m // n_chunks
            hi = (c + 1) * m // n_chunks
            for k in range(lo, hi):
                a = tp[i[k]]
                b = tp[j[k]]
                db = dband[k]
                for p in range(n_perm):
                    dt = abs(a[p] - b[p])
                    if dt < tmax:
                        band = 0
                        while band < ne and dt >= tedges[band]:
                            band += 1
                        partial[c, p, db, band] += 1
        return partial.sum(axis=0)


def _permute_counts_numpy(tp, i, j, dband, tedges, n_dist, n_time):
    out = np.zeros((tp.shape[1], n_dist, n_time), np.int64)
    cell = dband * n_time
    for p in range(tp.shape[1]):
        tb = _band(np.abs(tp[i, p] - tp[j, p]), tedges)
        inside = tb < len(tedges)
        out[p] = np.bincount(cell[inside] + tb[inside], minlength=n_dist * n_time).reshape(n_dist, n_time)
    return out


# --------------------------------------------------------------------------- result


@dataclass
class KnoxResult:
    """A banded Knox test.

    Arrays have one row per distance band (the last is "more than the largest
    edge") and one column per time band (the last is "more than").
    """

    n_events: int
    permutations: int
    seed: int | None
    metric: str
    time_unit: str
    whole_units: bool
    distance_edges: np.ndarray
    time_edges: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    median: np.ndarray
    sd: np.ndarray
    p_value: np.ndarray
    n_close_pairs: int
    sims: np.ndarray | None = field(default=None, repr=False)

    @property
    def ratio(self) -> np.ndarray:
        """Knox ratio: observed / mean of the simulations (NaN where 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    @property
    def ratio_median(self) -> np.ndarray:
        """Observed / median of the simulations (the NRC's second ratio)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.median > 0, self.observed / self.median, np.nan)

    @property
    def z_score(self) -> np.ndarray:
        """(observed - mean of the simulations) / their standard deviation (NaN where it is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.sd > 0, (self.observed - self.expected) / self.sd, np.nan)

    @property
    def distance_bands(self) -> list[list[float | None]]:
        """``[low, high]`` of each distance band, metres (``None``: no upper end)."""
        lows = np.r_[0.0, self.distance_edges]
        return [[float(lo), float(hi) if np.isfinite(hi) else None] for lo, hi in zip(lows, np.r_[self.distance_edges, np.inf])]

    @property
    def time_bands(self) -> list[list[float | None]]:
        """``[low, high]`` of each time band, in :attr:`time_unit` (``None``: no upper end)."""
        lows = np.r_[0.0, self.time_edges]
        return [[float(lo), float(hi) if np.isfinite(hi) else None] for lo, hi in zip(lows, np.r_[self.time_edges, np.inf])]

    @property
    def distance_labels(self) -> list[str]:
        """Labels of the distance bands (see :func:`distance_labels`)."""
        return distance_labels(self.distance_edges)

    @property
    def time_labels(self) -> list[str]:
        """Labels of the time bands (see :func:`time_labels`)."""
        return time_labels(self.time_edges, self.whole_units, self.time_unit)

    def to_dict(self) -> dict:
        """The JSON object of ``hotspot knox --json``."""

        def clean(a):
            return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]

        window = self.significant_window()

        return {
            "n_events": self.n_events,
            "permutations": self.permutations,
            "seed": self.seed,
            "metric": self.metric,
            "time_unit": self.time_unit,
            "distance_bands": [[_num(lo), _num(hi)] for lo, hi in self.distance_bands],
            "time_bands": [[_num(lo), _num(hi)] for lo, hi in self.time_bands],
            "distance_labels": self.distance_labels,
            "time_labels": self.time_labels,
            "observed": self.observed.astype(int).tolist(),
            "expected": clean(self.expected),
            "ratio": clean(self.ratio),
            "ratio_median": clean(self.ratio_median),
            "p_value": clean(self.p_value),
            "z_score": clean(self.z_score),
            "significant": self.significant().tolist(),
            "window": None if window is None else {"distance_m": window[0], self.time_unit: window[1]},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per (distance band, time band) cell."""
        rows = []
        for a, dl in enumerate(self.distance_labels):
            for b, tl in enumerate(self.time_labels):
                rows.append({
                    "distance_band": dl, "time_band": tl,
                    "distance_lo": self.distance_bands[a][0], "distance_hi": self.distance_bands[a][1],
                    "time_lo": self.time_bands[b][0], "time_hi": self.time_bands[b][1],
                    "observed": int(self.observed[a, b]), "expected": float(self.expected[a, b]),
                    "ratio": float(self.ratio[a, b]), "ratio_median": float(self.ratio_median[a, b]),
                    "p_value": float(self.p_value[a, b]), "z_score": float(self.z_score[a, b]),
                })
        return pd.DataFrame(rows)

    def significant(self, *, alpha: float = 0.05, min_ratio: float = 1.2) -> np.ndarray:
        """Cells (all bands) significantly above expectation: ratio >=
        ``min_ratio`` and significant at false-discovery rate ``alpha``
        (Benjamini-Hochberg over the finite cells; see :func:`significant_cells`).

        Parameters
        ----------
        alpha : float
            False discovery rate (0-1).
        min_ratio : float
            Smallest Knox ratio (unitless) a cell needs.

        Returns
        -------
        ndarray of bool
            ``(distance bands, time bands)``; the "or more" bands are never flagged.
        """
        out = np.zeros(self.observed.shape, bool)
        nd, nt = len(self.distance_edges), len(self.time_edges)
        out[:nd, :nt] = significant_cells(self.p_value, self.ratio, nd, nt, alpha=alpha, min_ratio=min_ratio)
        return out

    def significant_window(self, *, alpha: float = 0.05, min_ratio: float = 1.2) -> tuple[float, float] | None:
        """The near-repeat window (distance h metres, time tau) for nano-beats.

        The contiguous block of cells with ratio ``>= min_ratio`` that are
        significant at false-discovery rate ``alpha`` (Benjamini-Hochberg),
        joined to the nearest, shortest bands; see :func:`window_from_table`.
        ``None`` when there is none.

        Parameters
        ----------
        alpha : float
            False discovery rate (0-1).
        min_ratio : float
            Smallest Knox ratio (unitless) a cell needs.

        Returns
        -------
        tuple of float or None
            ``(distance in metres, time in days or months)``.
        """
        return window_from_table(self.p_value, self.ratio, self.distance_edges, self.time_edges,
                                 alpha=alpha, min_ratio=min_ratio)



def significant_cells(p_value: np.ndarray, ratio: np.ndarray, n_distance: int, n_time: int, *, alpha: float = 0.05,
                      min_ratio: float = 1.2) -> np.ndarray:
    """Cells of the finite bands (``n_distance`` x ``n_time``) with ratio at
    least ``min_ratio`` that are significant at false-discovery rate
    ``alpha`` (Benjamini-Hochberg over those cells). The "or more" bands are
    never flagged: they cannot bound a window.

    Parameters
    ----------
    p_value : array-like
        Monte Carlo p-values per (distance band, time band), the "or more"
        bands included.
    ratio : array-like
        Knox ratios, same shape.
    n_distance, n_time : int
        Number of finite distance and time bands (unitless counts).
    alpha : float
        False discovery rate (0-1).
    min_ratio : float
        Smallest Knox ratio (unitless) a cell needs.

    Returns
    -------
    ndarray of bool
        Same shape as ``p_value``.
    """
    from scipy.stats import false_discovery_control

    p = np.asarray(p_value, dtype=float)[:n_distance, :n_time]
    r = np.asarray(ratio, dtype=float)[:n_distance, :n_time]
    finite = np.isfinite(p)
    adjusted = np.full(p.shape, np.inf)
    if finite.any():
        adjusted[finite] = false_discovery_control(np.clip(p[finite], 0, 1), method="bh")
    return (adjusted <= alpha) & (np.nan_to_num(r) >= min_ratio)


def window_from_table(p_value: np.ndarray, ratio: np.ndarray, distance_edges: Sequence[float] | np.ndarray,
                      time_edges: Sequence[float] | np.ndarray, *, alpha: float = 0.05,
                      min_ratio: float = 1.2) -> tuple[float, float] | None:
    """The near-repeat window (distance, time) from a Knox table.

    A finite cell qualifies when its ratio is at least ``min_ratio`` and it
    is significant after a Benjamini-Hochberg correction at false-discovery
    rate ``alpha`` over all finite cells (a table of 20 cells tested at 5 %
    each finds one "significant" cell by chance). The window is the block of
    qualifying cells joined side by side (4-connected) to the nearest
    distance band in the shortest time band (or, when the nearest band is a
    same-location band, to the band after it); its extent is the largest
    finite distance edge and time edge of that block. Qualifying cells not
    joined to it are unrelated excesses and do not stretch the window.

    NaN p-values or ratios never qualify.

    Parameters
    ----------
    p_value : array-like
        Monte Carlo p-values per (distance band, time band).
    ratio : array-like
        Knox ratios, same shape.
    distance_edges : sequence of float
        Finite distance edges, metres.
    time_edges : sequence of float
        Finite time edges, days (or months).
    alpha : float
        False discovery rate (0-1).
    min_ratio : float
        Smallest Knox ratio (unitless) a cell needs.

    Returns
    -------
    tuple of float or None
        ``(distance in metres, time in days or months)``; None when no finite
        cell qualifies or none is joined to the shortest, nearest bands.
    """
    from scipy import ndimage

    ok = significant_cells(p_value, ratio, len(distance_edges), len(time_edges), alpha=alpha, min_ratio=min_ratio)
    if ok.size == 0:
        return None
    labels, _ = ndimage.label(ok)  # 4-connected blocks
    seeds = {int(v) for v in labels[:2, 0] if v}
    if not seeds:
        return None
    block = np.isin(labels, list(seeds))
    rows, cols = np.nonzero(block)
    return float(distance_edges[rows.max()]), float(time_edges[cols.max()])


def _num(v):
    if v is None:
        return None
    return int(v) if float(v).is_integer() else float(v)


# --------------------------------------------------------------------------- the test


def event_times(occurred: pd.Series, precision: str | None, time_unit: TimeUnit = "days") -> tuple[np.ndarray, bool]:
    """Event times as floats in ``time_unit`` and whether they are whole units.

    Dates (no time of day) give whole days; date-times give fractional days.
    Month-precision dates are refused for a test in days.

    Parameters
    ----------
    occurred : Series of datetime64
        Incident dates.
    precision : str or None
        ``"month"`` for month-precision dates, else None.
    time_unit : {"days", "months"}
        Unit of the returned times.

    Returns
    -------
    times : ndarray
        Event times in ``time_unit`` since the earliest event.
    whole : bool
        Whether every time is a whole number of units.
    """
    occ = pd.to_datetime(occurred)
    if time_unit == "months":
        months = (occ.dt.year * 12 + occ.dt.month).to_numpy(float)
        return months - months.min(), True
    if precision == "month":
        raise DataPrecisionError(
            "these dates are months only (police.uk): every burglary in a month carries the same date, so "
            "differences in days would be artefacts of the month boundaries. Use exact-date records, or ask "
            "for month bands explicitly (time_unit='months')", param='time_unit')
    ns = occ.to_numpy("datetime64[ns]").astype(np.int64)
    days = (ns - ns.min()) / 86_400e9
    whole = bool(np.all(days == np.floor(days)))
    return days, whole


def knox_test(
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray,
    *,
    distance_edges: Sequence[float] = (1, 200),
    time_edges: Sequence[float] = (7,),
    metric: Metric = "euclidean",
    permutations: int = 999,
    seed: int | None = 0,
    time_unit: TimeUnit = "days",
    whole_units: bool | None = None,
    keep_simulations: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> KnoxResult:
    """Banded Knox test with Monte Carlo inference.

    Parameters
    ----------
    x, y : array of float
        Event coordinates, metres (working CRS).
    t : array of float
        Event times in ``time_unit`` (days: whole for dates, fractional for
        date-times). See :func:`event_times`.
    distance_edges : sequence of float
        Finite distance edges, metres; bands are ``[0, e0), ..., [e_last, inf)``.
    time_edges : sequence of float
        Finite time edges in ``time_unit``; bands likewise half-open.
    metric : {"euclidean", "manhattan"}
        How distances are measured (metres either way).
    permutations : int
        Number of Monte Carlo permutations of the times over the locations.
    seed : int, default 0
        Seed of the permutation generator; same seed, same result. ``None``
        is taken as the default seed 0 (results never vary run to run).
    time_unit : {"days", "months"}
        Unit of ``t`` and ``time_edges``.
    whole_units : bool, optional
        Whether times are whole units (labels); inferred when None.
    keep_simulations : bool
        Keep the simulated tables (permutations x bands x bands).
    progress : callable, optional
        Called as ``progress(done, total)`` with permutation counts.

    Returns
    -------
    KnoxResult
    """
    x, y, t = _check_events(x, y, t, metric, permutations)
    n = len(t)
    dedges = _check_edges(distance_edges, "distance")
    tedges = _check_edges(time_edges, "time")
    nd, nt = len(dedges) + 1, len(tedges) + 1
    if whole_units is None:
        whole_units = bool(np.all(t == np.floor(t)))

    i, j, d = close_pairs(x, y, dedges[-1], metric)
    dband = _band(d, dedges).astype(np.int64)  # 0 .. nd-2 (all < last edge)
    totals = pairs_per_time_band(t, tedges)
    obs_close = np.bincount(dband * nt + _band(np.abs(t[i] - t[j]), tedges), minlength=nd * nt).reshape(nd, nt)
    observed = _full_table(obs_close, totals)
    if seed is None:
        seed = 0
    sims = _simulate(t, tedges, i, j, dband, obs_close, totals, permutations=permutations, seed=seed,
                     progress=progress)
    return KnoxResult(
        n_events=n, permutations=permutations, seed=seed, metric=metric, time_unit=time_unit,
        whole_units=whole_units, distance_edges=dedges, time_edges=tedges, observed=observed,
        expected=sims.mean(axis=0), median=np.median(sims, axis=0),
        sd=sims.std(axis=0, ddof=1) if permutations > 1 else np.zeros((nd, nt)),
        p_value=(1 + (sims >= observed).sum(axis=0)) / (permutations + 1),
        n_close_pairs=len(i), sims=sims if keep_simulations else None,
    )


def _check_events(x: np.ndarray, y: np.ndarray, t: np.ndarray, metric: str,
                  permutations: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x, y, t`` as float arrays, refused (named errors) when they cannot
    give a Knox test: unequal lengths, fewer than 3 events, non-finite
    values, an unknown metric, no permutation, coordinates not in metres."""
    x, y, t = (np.asarray(a, float) for a in (x, y, t))
    n = len(t)
    if not (len(x) == len(y) == n):
        raise HotspotError("x, y and t must have the same length")
    if n < 3:
        raise HotspotError(f"a Knox test needs at least 3 events, got {n}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(t))):
        raise HotspotError("coordinates and times must be finite")
    if metric not in ("euclidean", "manhattan"):
        raise HotspotError(f"metric must be euclidean or manhattan, got {metric!r}")
    if permutations < 1:
        raise HotspotError("permutations must be at least 1")
    require_metre_coordinates(x, y, "knox_test")
    return x, y, t


def _full_table(close_counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Add the "more than" distance row to tables of close-pair counts
    (``(..., nd, nt)``, last row unused) from the invariant pairs per time band."""
    nd, nt = close_counts.shape[-2:]
    full = np.zeros(close_counts.shape[:-2] + (nd, nt), np.int64)
    full[..., : nd - 1, :] = close_counts[..., : nd - 1, :]
    full[..., nd - 1, :] = np.rint(totals).astype(np.int64) - close_counts[..., : nd - 1, :].sum(axis=-2)
    return full


def _simulate(t: np.ndarray, tedges: np.ndarray, i: np.ndarray, j: np.ndarray, dband: np.ndarray,
              obs_close: np.ndarray, totals: np.ndarray, *, permutations: int, seed: int,
              progress: Callable[[int, int], None] | None) -> np.ndarray:
    """Knox tables ``(permutations, nd, nt)`` with the times permuted over the
    locations (seeded), counted over the close pairs ``i, j`` (distance band
    ``dband``) and completed from the invariant counts."""
    n = len(t)
    nd, nt = obs_close.shape
    close_per_band = obs_close.sum(axis=1)  # invariant under permutation
    # Whole days and whole edges are exact in int32: half the memory traffic.
    whole = np.all(t == np.floor(t)) and np.all(tedges == np.floor(tedges)) and np.abs(t).max() < 2**30
    tt, te = (t.astype(np.int32), tedges.astype(np.int32)) if whole else (t, tedges)
    rng = np.random.default_rng(seed)
    kernel = _permute_counts if _HAVE_NUMBA else _permute_counts_numpy
    # permutations in blocks: memory is events x block, whatever the total
    block = int(max(1, min(permutations, 128, 2**27 // max(n, 1) // tt.itemsize)))
    sims = np.empty((permutations, nd, nt), np.int64)
    order = np.arange(n)
    done = 0
    while done < permutations:
        k = min(block, permutations - done)
        tp = np.empty((n, k), tt.dtype)
        for c in range(k):
            rng.shuffle(order)  # successive in-place shuffles: each a uniform permutation
            tp[:, c] = tt[order]
        close = kernel(tp, i, j, dband, te, nd, nt)
        close[:, :, nt - 1] = close_per_band[None, :] - close[:, :, : nt - 1].sum(axis=2)
        sims[done: done + k] = _full_table(close, totals)
        done += k
        if progress:
            progress(done, permutations)
    return sims


def knox_from_incidents(incidents: gpd.GeoDataFrame, *, time_unit: TimeUnit = "days", **kwargs: Any) -> KnoxResult:
    """:func:`knox_test` on an intake GeoDataFrame (refuses month dates in days).

    Parameters
    ----------
    incidents : GeoDataFrame
        From :func:`hotspot.intake.read_incidents` (working CRS, metres),
        at least 3 rows.
    time_unit : {"days", "months"}
        Unit of the times and time edges; month-precision data need "months".
    **kwargs
        ``distance_edges`` in metres, ``time_edges`` in ``time_unit``,
        ``permutations``, ``seed``, ... (passed on to :func:`knox_test`).

    Returns
    -------
    KnoxResult
    """
    from .periods import data_time_unit

    if len(incidents) < 3:
        raise HotspotError(f"a Knox test needs at least 3 incidents, got {len(incidents)}")
    require_same_metric_crs(incidents=incidents)
    precision = "month" if data_time_unit(incidents) == "month" else None
    t, whole = event_times(incidents["occurred"], precision, time_unit)
    return knox_test(incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy(), t,
                     time_unit=time_unit, whole_units=whole, **kwargs)

