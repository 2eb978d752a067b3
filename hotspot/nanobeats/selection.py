"""Pure target selection: greedy compact patrol areas on a grid
(:func:`select_targets`, on the risk array padded once by the disc
half-width) and greedy groups of street segments (:func:`select_segments`).
Arrays in, index arrays out: no planner state."""

from __future__ import annotations

import heapq

import numpy as np
from scipy.signal import fftconvolve


def select_targets(risk: np.ndarray, mask: np.ndarray, disc: np.ndarray, exclusion: np.ndarray,
                   n_targets: int, keep: float = 0.0, spacing: str = "clear") -> list[np.ndarray]:
    """Greedy compact patrol areas on a grid.

    The cell whose ``disc`` neighbourhood holds the most risk is chosen; that
    disc (minus cells outside ``mask`` or in an earlier target) is a target;
    the risk under ``exclusion`` round it is cleared, so the next target is
    another place, not a ring round this one; and so on.

    Parameters
    ----------
    risk : ndarray (ny, nx)
        Risk per cell, summing to at most 1 (not modified).
    mask : ndarray of bool (ny, nx)
        Cells a target may cover.
    disc, exclusion : ndarray (2k + 1, 2k + 1)
        Target and exclusion stencils (non-zero = in), odd-sized, centred.
    n_targets : int
        At most this many targets (fewer when the risk runs out).
    keep : float
        0 (default): a target is the whole disc. Above 0 it follows the
        risk: only the disc's cells with at least ``keep`` times the risk of
        its riskiest cell (0-1), so never larger than the disc.
    spacing : {"clear", "touch"}
        ``"clear"`` (default): the risk under ``exclusion`` round each
        target is cleared, so later targets lie in other places.
        ``"touch"``: only discs that would overlap an earlier target's cells
        are ruled out (targets may touch); the risk is left as it is, so
        every later disc is scored on the whole risk inside it - greedy
        non-overlapping discs on the disc-integrated risk. ``exclusion``
        is then unused.

    Returns
    -------
    list of ndarray (k, 2)
        (row, col) of each target's cells, best first.
    """
    if spacing not in ("clear", "touch"):
        raise ValueError(f"spacing must be 'clear' or 'touch', got {spacing!r}")
    rr, re = disc.shape[0] // 2, exclusion.shape[0] // 2  # half-widths, cells
    if spacing == "touch":
        re = 2 * rr  # the centres whose disc could reach this target's cells
    reach = re + rr  # clearing risk within re cells changes scores within re + rr
    pad = reach + rr
    # everything below slices the padded arrays, so no window is ever clipped
    r = np.pad(risk, pad)
    original = r.copy()  # `r` is cleared round each target; the shape follows the risk as given
    inside = np.pad(mask, pad, constant_values=False)
    taken = np.zeros(r.shape, bool)
    score = np.full(r.shape, -np.inf)
    # risk sums to 1, so scores are <= 1: rounding to 1e-12 removes FFT
    # round-off, and equal scores then tie-break on the first cell
    score[pad:-pad, pad:-pad] = np.where(mask, np.round(fftconvolve(risk, disc, mode="same"), 12), -np.inf)
    in_disc, in_excl = disc > 0, exclusion > 0
    targets = []
    for _ in range(n_targets):
        k = int(np.argmax(score))
        if not np.isfinite(score.flat[k]) or score.flat[k] <= 1e-12:
            break
        row, col = divmod(k, r.shape[1])
        win = _window(row, col, rr)
        # the whole disc is the patrol area (every target has the same size,
        # so methods compare at equal area), minus cells outside the area or
        # already in an earlier target
        patch = in_disc & inside[win] & ~taken[win]
        if keep > 0 and patch.any():
            patch &= original[win] >= keep * original[win][patch].max()
        rows, cols = np.nonzero(patch)
        targets.append(np.column_stack([rows + row - rr - pad, cols + col - rr - pad]))
        taken[win] |= patch
        if spacing == "touch":
            # a centre is ruled out when its disc holds a taken cell; the rest keep their scores, since
            # no risk changed (a disc that holds no taken cell is scored on exactly what it would patrol)
            near = _window(row, col, 2 * rr)
            hits = fftconvolve(taken[_window(row, col, 3 * rr)].astype(float), disc, mode="same")
            score[near] = np.where(hits[rr:rr + 4 * rr + 1, rr:rr + 4 * rr + 1] > 0.5, -np.inf, score[near])
            continue
        r[_window(row, col, re)][in_excl] = 0.0
        local = np.round(fftconvolve(r[_window(row, col, reach + rr)], disc, mode="same"), 12)
        near = _window(row, col, reach)
        score[near] = np.where(inside[near], local[rr:rr + 2 * reach + 1, rr:rr + 2 * reach + 1], -np.inf)
    return targets


def grow_targets(risk: np.ndarray, mask: np.ndarray, disc: np.ndarray, exclusion: np.ndarray,
                 n_targets: int, search: float = 2.0) -> list[np.ndarray]:
    """Greedy patrol areas of the disc's size grown over the risk.

    Each target's centre is chosen as in :func:`select_targets` (the cell
    whose ``disc`` neighbourhood holds the most risk). Its area is grown
    from the centre cell over 4-adjacent cells in descending risk, inside
    ``mask``, outside earlier targets and within ``search`` disc radii of
    the centre, until it has as many cells as the disc (so every target has
    the disc's area, pi r^2 to within the disc's rasterisation: equal
    effort). The risk of the grown cells and under ``exclusion`` round the
    centre is then cleared, and so on.

    Parameters
    ----------
    risk : ndarray (ny, nx)
        Risk per cell, summing to at most 1 (not modified).
    mask : ndarray of bool (ny, nx)
        Cells a target may cover.
    disc, exclusion : ndarray (2k + 1, 2k + 1)
        Target and exclusion stencils (non-zero = in), odd-sized, centred.
    n_targets : int
        At most this many targets.
    search : float
        Search radius as a multiple of the disc radius (dimensionless, >= 1).

    Returns
    -------
    list of ndarray (k, 2)
        (row, col) of each target's cells, best first; contiguous.
    """
    rr = disc.shape[0] // 2
    size = int((disc > 0).sum())
    ny, nx = risk.shape
    r = risk.astype(float).copy()
    taken = np.zeros(risk.shape, bool)
    targets: list[np.ndarray] = []
    excl = np.argwhere(exclusion > 0) - exclusion.shape[0] // 2
    for _ in range(n_targets):
        score = np.where(mask & ~taken, np.round(fftconvolve(r, disc, mode="same"), 12), -np.inf)
        k = int(np.argmax(score))
        if not np.isfinite(score.flat[k]) or score.flat[k] <= 1e-12:
            break
        row, col = divmod(k, nx)
        got: list[tuple[int, int]] = []
        seen = {(row, col)}
        heap = [(-risk[row, col], row, col)]  # ties break on the first cell (row, col)
        while heap and len(got) < size:
            _, i, j = heapq.heappop(heap)
            got.append((i, j))
            for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                a, b = i + di, j + dj
                if ((a, b) in seen or not (0 <= a < ny and 0 <= b < nx) or not mask[a, b] or taken[a, b]
                        or (a - row) ** 2 + (b - col) ** 2 > (search * (rr + 0.5)) ** 2):
                    continue
                seen.add((a, b))
                heapq.heappush(heap, (-risk[a, b], a, b))
        cells = np.array(got, int)
        targets.append(cells)
        taken[cells[:, 0], cells[:, 1]] = True
        r[cells[:, 0], cells[:, 1]] = 0.0
        ex = excl + (row, col)
        ok = (ex[:, 0] >= 0) & (ex[:, 0] < ny) & (ex[:, 1] >= 0) & (ex[:, 1] < nx)
        r[ex[ok, 0], ex[ok, 1]] = 0.0
    return targets


def _window(row: int, col: int, half: int) -> tuple[slice, slice]:
    """The square of ``half`` cells either side of (row, col)."""
    return slice(row - half, row + half + 1), slice(col - half, col + half + 1)


def select_segments(risk: np.ndarray, midpoints: np.ndarray, radius: float, n_targets: int) -> list[np.ndarray]:
    """Greedy groups of street segments: the riskiest segment and the risky
    segments whose midpoints lie within ``radius`` metres of its midpoint form
    a target; risk within ``2 * radius`` is cleared; and so on.

    Parameters
    ----------
    risk : ndarray (n,)
        Risk per segment (not modified).
    midpoints : ndarray (n, 2)
        Segment midpoints, metres.
    radius : float
        Target radius, metres.
    n_targets : int
        At most this many groups.

    Returns
    -------
    list of ndarray
        Segment indices of each target, best first.
    """
    r = risk.copy()
    groups: list[np.ndarray] = []
    while len(groups) < n_targets and r.max() > 1e-12:
        k = int(np.argmax(r))
        d = np.hypot(*(midpoints - midpoints[k]).T)
        groups.append(np.flatnonzero((d <= radius) & (r > 0) | (np.arange(len(r)) == k)))
        r[d <= 2 * radius] = 0.0  # the next target is another place
    return groups
