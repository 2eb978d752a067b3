"""Issue 22, the cold run: the backtest's cumulated arrays hold the in-area
cells only, are smoothed a block of periods at a time and, for a method no
other method reads, are freed when it is scored. The values must be those of
the whole-grid arrays bit for bit (the method chosen and every score stay the
same), and the memory must stay bounded by a few in-area arrays.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import fftconvolve
from shapely.geometry import Point

from hotspot.areas import area_from_geometry
from hotspot.forecast import DEFAULT_METHODS, PeriodCounts, method_score
from hotspot.forecast.counts import _FFT_BLOCK, _prospective_stencil
from hotspot.grid import Grid
from hotspot.kde import kernel_stencil

ROOT = Path(__file__).resolve().parents[1]


def _period_counts(n_periods: int, size: int, seed: int = 3) -> PeriodCounts:
    """Poisson counts on a ``size`` x ``size`` grid of 50 m cells; the area is
    a disc (about half the grid, as a borough on its padded grid), and the
    context has incidents outside it."""
    rng = np.random.default_rng(seed)
    grid = Grid(0.0, 0.0, 50.0, size, size, 27700)
    half = size * 25.0
    area = area_from_geometry(Point(half, half).buffer(half * 0.8), 27700, "disc")
    mask = grid.mask(area.geometry)
    lam = rng.gamma(0.3, 0.2, (size, size))
    counts = rng.poisson(lam, (n_periods, size, size)).astype(float) * mask
    context = rng.poisson(lam, (n_periods, size, size)).astype(float) * ~mask
    periods = pd.period_range("2015-01", periods=n_periods, freq="M")
    return PeriodCounts(grid, mask, periods, counts, "M", context_counts=context)


def _whole_grid(pc: PeriodCounts, kind: str, param: float | None) -> np.ndarray:
    """The cumulated whole-grid array as the code before issue 22 made it:
    every period smoothed in one call, clipped, cumulated with np.cumsum."""
    seen = pc.counts + pc.context_counts
    if kind == "counts":
        per = pc.counts
    elif kind == "kde":
        per = fftconvolve(seen, (kernel_stencil(pc.grid.cell, param, "quartic") * 1e6)[None], mode="same",
                          axes=(1, 2))
    else:
        per = fftconvolve(seen, _prospective_stencil(pc.grid.cell, param)[None], mode="same", axes=(1, 2))
    per = np.clip(per, 0.0, None)
    per[per < 1e-9] = 0.0
    cum = np.zeros((len(per) + 1,) + per.shape[1:])
    np.cumsum(per, axis=0, out=cum[1:])
    return cum


def test_in_area_arrays_equal_the_whole_grid_ones_bit_for_bit():
    pc = _period_counts(2 * _FFT_BLOCK + 5, 48)  # periods over several FFT blocks, the last one partial
    inside = pc.mask
    for kind, param, method in (("counts", None, "counts_12"), ("kde", 200.0, "kde_200m_12"),
                                ("kde", 400.0, "kde_400m_12"), ("prospective", 400.0, "prospective")):
        ref = _whole_grid(pc, kind, param)
        for origin in (1, 7, 20, len(pc.periods), len(pc.periods) + 3):
            if kind == "prospective":
                want = sum((ref[k + 1] - ref[k]) / (1.0 + age) for age, k in enumerate([origin - 1, origin - 2])
                           if 0 <= k < len(ref) - 1) + np.zeros(pc.mask.shape)
            else:
                hi = min(origin, len(ref) - 1)  # every windowed method here sums 12 periods
                want = ref[hi] - ref[min(max(origin - 12, 0), hi)]
            got = method_score(pc, method, origin)
            np.testing.assert_array_equal(got[inside], want[inside])  # bit for bit, not approximately
            assert not got[~inside].any()  # nothing is kept, or returned, outside the area
            np.testing.assert_array_equal(method_score(pc, method, origin, in_area=True), want.ravel()[pc.cells])
    # decayed counts against the recursion on the whole grid
    lam, dec = float(np.exp(-1.0 / 6.0)), np.zeros(pc.mask.shape)
    for k in range(len(pc.periods)):
        dec = dec * lam + pc.counts[k]
        np.testing.assert_array_equal(pc.decayed(k + 1, 6.0)[inside], dec[inside])


def test_release_frees_one_array_and_asking_again_gives_the_same_values():
    pc = _period_counts(20, 32)
    a, b = method_score(pc, "kde_200m_3", 15), method_score(pc, "decay_6", 15)
    pc.release(("decay", 6.0))
    assert set(pc._cache) == {("kde", 200.0)}
    np.testing.assert_array_equal(method_score(pc, "decay_6", 15), b)
    pc.release()
    assert not pc._cache
    np.testing.assert_array_equal(method_score(pc, "kde_200m_3", 15), a)


_MEASURE = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[2])
    import numpy as np
    from test_backtest_memory import _period_counts
    from hotspot.forecast import DEFAULT_METHODS, backtest

    def status():
        return {l.split()[0]: int(l.split()[1]) for l in open("/proc/self/status")
                if l.startswith(("VmHWM", "VmRSS"))}

    methods = [m for m in DEFAULT_METHODS if m != "learned"]
    small = _period_counts(30, 40)  # the imports and first calls, on a grid too small to pre-grow the heap
    backtest(small, start=str(small.periods[-4]), end=str(small.periods[-1]), methods=methods, bootstrap=10)
    pc = _period_counts(120, 260)
    base = status()["VmRSS:"]
    open("/proc/self/clear_refs", "w").write("5")  # the high-water mark from here on
    bt = backtest(pc, start=str(pc.periods[-24]), end=str(pc.periods[-1]), methods=methods, bootstrap=200)
    in_area_array = pc.counts.shape[0] * int(pc.mask.sum()) * 8 / 1024  # KB: one cumulated array
    print(json.dumps({"best": bt.best, "arrays": (status()["VmHWM:"] - base) / in_area_array,
                      "grid_over_area": pc.mask.size / int(pc.mask.sum())}))
    """)


def test_a_backtest_without_the_learned_model_holds_about_one_array_at_a_time():
    # measured in a fresh process (its own high-water mark): 120 months on a 260 x 260 grid, the area
    # ~half of it. Before issue 22 the 14 methods' 8 whole-grid arrays stayed alive together with the
    # FFT's temporaries: 26 in-area arrays measured; now each is freed when its methods are scored and
    # holds the in-area cells only: 2.7 measured.
    r = subprocess.run([sys.executable, "-c", _MEASURE, str(ROOT), str(ROOT / "tests")], capture_output=True,
                       text=True, check=True)
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["grid_over_area"] > 1.8
    assert got["best"] in DEFAULT_METHODS
    assert got["arrays"] < 4, got
