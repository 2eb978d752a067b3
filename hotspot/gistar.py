"""Getis-Ord Gi* on a grid of counts, in numpy: the statistic, its analytic
z-scores and conditional-permutation pseudo p-values, equal to esda's
``G_Local(y, w, transform="B", star=True, n_jobs=1, seed=seed)`` with binary
queen weights (the 8 surrounding in-area cells plus the cell itself).

Why not esda itself: its permutation kernels are numba functions that a run
compiled again in every process (esda passes its statistic to the kernel as a
function, which numba does not cache: ~5 s of a warm run on an idle machine,
with ~2 s importing esda, libpysal and numba), for ~1,400 cells at 250 m.

What "equal" means here (``tests/test_hotspots.py`` checks it against esda):

* z-scores are computed by the same formulas in the same order, so they are
  equal to the last bit;
* the permutations are esda's own draws: ``vec_permutations`` seeds numba's
  Mersenne Twister with ``seed`` and takes the first ``max_card`` items of a
  permutation of ``n - 1`` ids, ``permutations`` times; numba's
  ``np.random.seed`` / ``permutation`` are NumPy's legacy ``RandomState``
  algorithms (same seeding, same masked rejection sampling), so
  ``RandomState(seed).permutation`` gives the same ids;
* esda's kernel (numba ``fastmath``) divides a permuted sum by the total as a
  multiplication by its reciprocal; on whole-number counts the sums are exact,
  so the simulated statistics, the ties with the observed one and the pseudo
  p-values (esda's "directed" rule, stored as float32) are esda's exactly.
"""

from __future__ import annotations

import numpy as np

from ._errors import HotspotError

#: Cells per block of the vectorised permutation test: the block's
#: (cells x permutations x neighbours) arrays stay near 8 MB each.
_BLOCK = 128


def _queen_sum(a: np.ndarray) -> np.ndarray:
    """Sum of each cell's 3 x 3 neighbourhood (itself included), zero beyond
    the edge: whole numbers are added exactly, in any order."""
    ny, nx = a.shape
    p = np.pad(a, 1)
    out = np.zeros(a.shape, dtype=a.dtype)
    for dy in range(3):
        for dx in range(3):
            out += p[dy:dy + ny, dx:dx + nx]
    return out


def fdr(p: np.ndarray, alpha: float = 0.05) -> float:
    """Benjamini-Hochberg cut-off for p-values, as ``esda.fdr``: the largest
    ``k * alpha / n`` with at least ``k`` p-values below it, else the
    Bonferroni bound ``alpha / n``.

    Parameters
    ----------
    p : ndarray
        p-values (0-1).
    alpha : float
        False discovery rate (0-1).

    Returns
    -------
    float
        Cells with ``p <= cut`` are significant.
    """
    n = len(p)
    p_sort = np.sort(p)[::-1]
    p_fdr = np.arange(n, 0, -1) * alpha / n
    below = np.flatnonzero(p_sort < p_fdr)
    return float(alpha / n) if len(below) == 0 else float(p_fdr[below[0]])


def gi_star_grid(counts: np.ndarray, mask: np.ndarray, *, permutations: int = 999,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Getis-Ord Gi* of the in-area cells of a grid of counts.

    Parameters
    ----------
    counts : ndarray
        ``(ny, nx)`` whole-number counts per cell (incidents).
    mask : ndarray of bool
        ``(ny, nx)`` in-area cells: only these are tested and are neighbours.
    permutations : int
        Conditional permutations for the pseudo p-values (at least 1).
    seed : int
        Seed of the permutations (0 to 2**32 - 1); the same seed gives the
        same p-values, and esda's with that seed.

    Returns
    -------
    y, z, p_sim : ndarray
        For the in-area cells in row-major order (``counts[mask]``): the
        counts (float), the analytic z-scores and the pseudo p-values.
    """
    if permutations < 1:
        raise HotspotError(f"Gi* needs at least 1 permutation, got {permutations}", param="permutations")
    if not 0 <= seed < 2**32:
        raise HotspotError(f"the Gi* seed must be 0 to 2**32 - 1, got {seed}", param="seed")
    mask = np.asarray(mask, bool)
    y = np.asarray(counts, float)[mask]
    n = len(y)
    total = y.sum()
    if total <= 0:
        raise HotspotError("Gi* needs at least one incident in the area")
    lag = _queen_sum(np.where(mask, counts, 0).astype(float))[mask]  # W @ y with the cell itself
    card = _queen_sum(mask.astype(float))[mask]  # neighbours + 1 (binary weights, self weight 1)

    # the analytic moments, in esda.G_Local.calc's order of operations (bit-equal z)
    statistic = lag / total
    mean = total / n
    mean_of_squares = (y**2).sum() / n
    variance = mean_of_squares - mean**2
    expected = card / n
    var_g = card * (n - card)
    var_g /= n - 1
    var_g *= 1 / n**2
    var_g *= variance / (mean**2)
    z = (statistic - expected) / np.sqrt(var_g)

    # esda's draws (crand.vec_permutations): for each permutation, the first max_card ids of a
    # permutation of the n - 1 other cells; id j stands for cell j, or j + 1 from cell i on
    others = (card - 1).astype(np.int64)
    k = int(others.max())
    rs = np.random.RandomState(seed)
    ids = np.empty((permutations, k), np.int64)
    for r in range(permutations):
        ids[r] = rs.permutation(n - 1)[:k]
    recip = 1.0 / total  # esda's fastmath kernel multiplies by it (ties fall as there)
    larger = np.empty(n, np.int64)
    for start in range(0, n, _BLOCK):
        cells = np.arange(start, min(start + _BLOCK, n))
        drawn = ids[None] + (ids[None] >= cells[:, None, None])  # (cells, permutations, k) indices into y
        sums = np.cumsum(y[drawn], axis=2)  # exact on whole numbers
        c = others[cells]
        own = np.where(c > 0, 1.0, 0.0) * y[cells]  # an island's self weight is 0 in esda's kernel
        sim = sums[np.arange(len(cells)), :, np.maximum(c - 1, 0)] * (c > 0)[:, None] + own[:, None]
        larger[cells] = ((sim * recip) >= statistic[cells, None]).sum(axis=1)
    # esda's "directed" pseudo p-value: the nearer tail, (M + 1) / (R + 1), kept as float32
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    p_sim = ((larger + 1.0) / (permutations + 1.0)).astype(np.float32).astype(float)
    return y, z, p_sim
