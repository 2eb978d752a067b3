"""Brute-force references shared by the tests: slow, obvious, independent of
the code they check."""

from __future__ import annotations

import numpy as np
from scipy.signal import convolve2d


def brute_force_targets(risk, mask, disc, excl, n):
    """Reference: every score recomputed from scratch, bounds checked cell by cell."""
    r = risk.copy()
    taken = np.zeros(risk.shape, bool)
    rr, re = disc.shape[0] // 2, excl.shape[0] // 2
    out = []
    for _ in range(n):
        score = np.where(mask, np.round(convolve2d(r, disc, mode="same"), 12), -np.inf)
        k = int(np.argmax(score))
        if score.flat[k] <= 1e-12:
            break
        row, col = divmod(k, risk.shape[1])
        cells = []
        for dr in range(-rr, rr + 1):
            for dc in range(-rr, rr + 1):
                a, b = row + dr, col + dc
                if 0 <= a < r.shape[0] and 0 <= b < r.shape[1] and disc[dr + rr, dc + rr] and mask[a, b] \
                        and not taken[a, b]:
                    cells.append((a, b))
                    taken[a, b] = True
        out.append(sorted(cells))
        for dr in range(-re, re + 1):
            for dc in range(-re, re + 1):
                a, b = row + dr, col + dc
                if 0 <= a < r.shape[0] and 0 <= b < r.shape[1] and excl[dr + re, dc + re]:
                    r[a, b] = 0.0
    return out
