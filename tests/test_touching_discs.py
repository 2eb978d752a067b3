"""Known-answer tests of touching discs (:func:`hotspot.nanobeats.select_targets`
with ``spacing="touch"``: greedy non-overlapping discs on the disc-integrated
risk) and of the backtest rows that use them (issue 20)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_targets import AREA, _moving_hotspots

from hotspot.nanobeats import select_targets
from hotspot.nanobeats.cells import _disc
from hotspot.target_backtest import TOUCH, TOUCH_COUNTS, backtest_targets


def _brute_force_touching(risk: np.ndarray, mask: np.ndarray, disc: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Greedy by enumeration: each step, of the in-mask centres whose disc
    holds no cell of an earlier target, the one whose disc (inside the mask)
    holds the most risk (ties: the first cell)."""
    ny, nx = risk.shape
    h = disc.shape[0] // 2
    offs = np.argwhere(disc > 0) - h
    taken = np.zeros(risk.shape, bool)
    centres = []
    for _ in range(k):
        best, best_v = None, 1e-12
        for i in range(ny):
            for j in range(nx):
                if not mask[i, j]:
                    continue
                c = offs + (i, j)
                c = c[(c[:, 0] >= 0) & (c[:, 0] < ny) & (c[:, 1] >= 0) & (c[:, 1] < nx)]
                if taken[tuple(c.T)].any():
                    continue
                c = c[mask[tuple(c.T)]]
                v = round(float(risk[tuple(c.T)].sum()), 12)
                if v > best_v:
                    best, best_v = (i, j), v
        if best is None:
            break
        c = offs + best
        c = c[(c[:, 0] >= 0) & (c[:, 0] < ny) & (c[:, 1] >= 0) & (c[:, 1] < nx)]
        taken[tuple(c[mask[tuple(c.T)]].T)] = True
        centres.append(best)
    return centres


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_touching_discs_are_the_greedy_non_overlapping_discs_of_brute_force(seed):
    rng = np.random.default_rng(seed)
    disc, excl = _disc(10.0, 20.0), _disc(10.0, 40.0)  # 13-cell discs
    risk = rng.gamma(0.4, size=(24, 28))
    mask = np.ones(risk.shape, bool)
    mask[:, 22:] = False  # an area edge: discs are clipped to it
    risk = np.where(mask, risk, 0.0)
    risk /= risk.sum()
    groups = select_targets(risk, mask, disc, excl, 8, spacing="touch")
    want = _brute_force_touching(risk, mask, disc, 8)
    assert len(groups) == len(want) == 8
    h = disc.shape[0] // 2
    for g, (i, j) in zip(groups, want):
        expect = {(a, b) for a, b in np.argwhere(disc > 0) - h + (i, j)
                  if 0 <= a < risk.shape[0] and 0 <= b < risk.shape[1] and mask[a, b]}
        assert {tuple(c) for c in g} == expect  # the whole disc, clipped to the area only
    cells = np.vstack(groups)
    assert len({tuple(c) for c in cells}) == len(cells)  # no overlap


def test_touching_discs_may_touch_where_clearing_moves_them_away():
    # a hot street of 10 cells (radius-2-cell discs): two touching discs cover it all; clearing the ring of
    # 2 radii round the first leaves the second only the street's last 3 cells
    disc, excl = _disc(10.0, 20.0), _disc(10.0, 40.0)
    risk = np.full((30, 30), 1e-4)
    risk[15, 5:15] = 1.0
    risk /= risk.sum()
    mask = np.ones(risk.shape, bool)
    street = {(15, j) for j in range(5, 15)}
    cover = [{tuple(c) for c in np.vstack(select_targets(risk, mask, disc, excl, 2, spacing=s))} & street
             for s in ("touch", "clear")]
    assert cover[0] == street and len(cover[1]) == 8
    with pytest.raises(ValueError, match="spacing"):
        select_targets(risk, mask, disc, excl, 2, spacing="apart")


@pytest.fixture(scope="module")
def moving():
    return _moving_hotspots()


def test_backtest_rows_with_touching_discs(moving):
    bt = backtest_targets(moving, AREA, n_targets=6, start="2017-01-02", end="2017-06-26", step=4,
                          methods=("decay_26",), bootstrap=200, touching=True)
    s = bt.summary.set_index("method")
    assert {TOUCH, TOUCH_COUNTS} <= set(s.index)
    r = bt.ratios()[f"{TOUCH} / {TOUCH_COUNTS}"]
    assert r["ratio"] == pytest.approx(s.loc[TOUCH, "caught"] / s.loc[TOUCH_COUNTS, "caught"])
    # equal effort: the same number of cells per plan (whole discs inside the area, no overlap)
    assert s.loc[TOUCH, "area_km2"] == pytest.approx(s.loc[TOUCH_COUNTS, "area_km2"], rel=0.05)
    plain = backtest_targets(moving, AREA, n_targets=6, start="2017-01-02", end="2017-06-26", step=4,
                             methods=("decay_26",), bootstrap=200)
    # the rows the backtest had before are unchanged by the extra ones
    pd.testing.assert_frame_equal(plain.periods, bt.periods[~bt.periods["method"].isin([TOUCH, TOUCH_COUNTS])]
                                  .reset_index(drop=True))
