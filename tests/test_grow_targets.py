"""Known-answer tests of :func:`hotspot.nanobeats.grow_targets` (risk-grown patrol areas of the disc's size)."""

import numpy as np

from hotspot.nanobeats import grow_targets
from hotspot.nanobeats.cells import _disc


def _contiguous(cells: np.ndarray) -> bool:
    left = {tuple(c) for c in cells[1:]}
    front = [tuple(cells[0])]
    while front:
        i, j = front.pop()
        for n in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if n in left:
                left.discard(n)
                front.append(n)
    return not left


def test_grown_area_follows_an_l_shaped_street_at_the_disc_area():
    cell, radius = 10.0, 50.0
    disc, excl = _disc(cell, radius), _disc(cell, 2 * radius)
    risk = np.full((41, 41), 1e-6)
    risk[20, 5:36] = 1.0   # a horizontal street of 31 cells
    risk[5:20, 20] = 0.9   # a side street going up from the middle
    risk /= risk.sum()
    mask = np.ones(risk.shape, bool)
    (cells,) = grow_targets(risk, mask, disc, excl, 1, search=2.0)
    size = int((disc > 0).sum())
    assert len(cells) == size  # exactly the disc's area: equal effort with the disc baseline
    assert _contiguous(cells)
    r0, c0 = cells[0]  # the centre: growth starts there
    reach = 2.0 * (disc.shape[0] // 2 + 0.5)  # search radius, cells
    assert np.hypot(cells[:, 0] - r0, cells[:, 1] - c0).max() <= reach
    # the highest-risk cells: every street cell within the search radius is in (the street is connected)
    street = [(20, j) for j in range(5, 36)] + [(i, 20) for i in range(5, 20)]
    near = {c for c in street if np.hypot(c[0] - r0, c[1] - c0) <= reach}
    assert len(near) > 20
    assert near <= {tuple(c) for c in cells}
    # a disc of the same area catches less of the street risk
    assert risk[tuple(cells.T)].sum() > risk[r0 - 5:r0 + 6, c0 - 5:c0 + 6][disc > 0].sum()


def test_grown_targets_do_not_overlap_and_stop_at_mask():
    cell, radius = 10.0, 30.0
    disc, excl = _disc(cell, radius), _disc(cell, 2 * radius)
    rng = np.random.default_rng(0)
    risk = rng.random((60, 60))
    mask = np.ones(risk.shape, bool)
    mask[:, 30:] = False
    risk /= risk.sum()
    groups = grow_targets(risk, mask, disc, excl, 5)
    allc = np.vstack(groups)
    assert len({tuple(c) for c in allc}) == len(allc)
    assert mask[tuple(allc.T)].all()
    assert all(_contiguous(g) for g in groups)
