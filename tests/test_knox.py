"""Knox test: exact counts, invariants, p-values, and a process with a
known near-repeat range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot._errors import DataPrecisionError, HotspotError
from hotspot.knox import (
    distance_labels,
    event_times,
    knox_test,
    nrc_edges,
    pairs_per_time_band,
    time_labels,
)


def brute_force_table(x, y, t, dedges, tedges, metric):
    """O(N^2) reference: every pair, half-open bands."""
    n = len(t)
    i, j = np.triu_indices(n, k=1)
    if metric == "euclidean":
        d = np.hypot(x[i] - x[j], y[i] - y[j])
    else:
        d = np.abs(x[i] - x[j]) + np.abs(y[i] - y[j])
    dt = np.abs(t[i] - t[j])
    table = np.zeros((len(dedges) + 1, len(tedges) + 1), int)
    for a, (dlo, dhi) in enumerate(zip(np.r_[0, dedges], np.r_[dedges, np.inf])):
        for b, (tlo, thi) in enumerate(zip(np.r_[0, tedges], np.r_[tedges, np.inf])):
            table[a, b] = np.sum((d >= dlo) & (d < dhi) & (dt >= tlo) & (dt < thi))
    return table


@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_observed_equals_brute_force_with_ties_on_edges(metric, seed):
    rng = np.random.default_rng(seed)
    n = 400
    # integer coordinates on a 50 m lattice and whole days: many distances
    # and time gaps fall exactly on the edges
    x = rng.integers(0, 40, n) * 50.0
    y = rng.integers(0, 40, n) * 50.0
    x[:30] = x[30:60]  # exact repeats (distance 0)
    y[:30] = y[30:60]
    t = rng.integers(0, 120, n).astype(float)
    dedges, tedges = [1, 100, 200, 250], [7, 14, 30]
    res = knox_test(x, y, t, distance_edges=dedges, time_edges=tedges, metric=metric, permutations=19, seed=seed)
    ref = brute_force_table(x, y, t, np.array(dedges, float), np.array(tedges, float), metric)
    np.testing.assert_array_equal(res.observed, ref)
    assert res.observed.sum() == n * (n - 1) // 2


def test_totals_are_permutation_invariant():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 3000, 300), rng.uniform(0, 3000, 300)
    t = rng.integers(0, 90, 300).astype(float)
    res = knox_test(x, y, t, distance_edges=[100, 400], time_edges=[5, 20], permutations=50, seed=3,
                    keep_simulations=True)
    # every simulated table keeps the time-band totals and the distance-band totals
    col = res.sims.sum(axis=1)
    row = res.sims.sum(axis=2)
    assert (col == res.observed.sum(axis=0)).all()
    assert (row == res.observed.sum(axis=1)).all()
    np.testing.assert_array_equal(pairs_per_time_band(t, res.time_edges), pairs_per_time_band(rng.permutation(t), res.time_edges))


def test_p_value_formula_and_ratios():
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0, 2000, 200), rng.uniform(0, 2000, 200)
    t = rng.integers(0, 60, 200).astype(float)
    res = knox_test(x, y, t, distance_edges=[150], time_edges=[10], permutations=99, seed=4, keep_simulations=True)
    sims = res.sims
    np.testing.assert_allclose(res.p_value, (1 + (sims >= res.observed).sum(axis=0)) / 100)
    np.testing.assert_allclose(res.expected, sims.mean(axis=0))
    np.testing.assert_allclose(res.ratio, res.observed / sims.mean(axis=0))
    np.testing.assert_allclose(res.ratio_median, res.observed / np.median(sims, axis=0))
    np.testing.assert_allclose(res.z_score, (res.observed - sims.mean(0)) / sims.std(0, ddof=1))


def test_same_seed_same_result_and_seed_matters():
    rng = np.random.default_rng(5)
    x, y, t = rng.uniform(0, 1000, 150), rng.uniform(0, 1000, 150), rng.integers(0, 30, 150).astype(float)
    a = knox_test(x, y, t, permutations=49, seed=11)
    b = knox_test(x, y, t, permutations=49, seed=11)
    c = knox_test(x, y, t, permutations=49, seed=12)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert not np.array_equal(a.expected, c.expected)


def test_matches_pointpats_single_threshold_knox():
    """pointpats' Knox counts pairs with d <= delta and dt <= tau; with
    continuous coordinates and whole days that is our [0, delta) x [0, tau+1)."""
    from pointpats.spacetime import Knox

    rng = np.random.default_rng(6)
    n = 300
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    t = rng.integers(0, 100, n).astype(float)
    ours = knox_test(x, y, t, distance_edges=[400], time_edges=[11], permutations=9, seed=0)
    ref = Knox(np.column_stack([x, y]), t.reshape(-1, 1), delta=400, tau=10, permutations=0)
    # pointpats' observed table: [[NST, NS - NST], [NT - NST, rest]]
    assert ours.observed[0, 0] == ref.nst
    np.testing.assert_array_equal(ours.observed, ref.observed)


def near_repeat_process(seed, n_parents=1500, window=365.0, size=10_000.0, h=150.0, tau=10.0, p_child=0.5):
    """Burglaries with a known near-repeat range: each burglary, with
    probability ``p_child``, is followed by one more within ``h`` metres
    (uniform on the disc) and ``tau`` days (uniform, whole days). One
    generation only, so every excess pair is within (h, tau)."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, size, n_parents), rng.uniform(0, size, n_parents)
    t = np.floor(rng.uniform(0, window, n_parents))
    kids = rng.random(n_parents) < p_child
    r, a = h * np.sqrt(rng.random(kids.sum())), rng.uniform(0, 2 * np.pi, kids.sum())
    cx, cy = x[kids] + r * np.cos(a), y[kids] + r * np.sin(a)
    ct = t[kids] + np.floor(rng.uniform(0, tau, kids.sum()))
    return np.r_[x, cx], np.r_[y, cy], np.r_[t, ct]


def test_synthetic_near_repeat_range_is_recovered():
    x, y, t = near_repeat_process(seed=42)
    res = knox_test(x, y, t, distance_edges=[50, 100, 150, 300, 600], time_edges=[5, 10, 20, 40],
                    permutations=199, seed=1)
    inside = np.zeros_like(res.observed, bool)
    inside[:3, :2] = True  # distances < 150 m and times < 10 days
    assert np.all(res.ratio[inside] > 1.5) and np.all(res.p_value[inside] <= 0.01)
    # outside the range there is no real excess: no cell is both clearly
    # high and significant, and the window found is exactly (h, tau)
    assert not np.any((res.ratio[~inside] >= 1.2) & (res.p_value[~inside] <= 0.05))
    assert res.significant_window() == (150.0, 10.0)


def test_random_process_shows_no_near_repeat():
    rng = np.random.default_rng(8)
    n = 1500
    x, y = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
    t = rng.integers(0, 365, n).astype(float)
    res = knox_test(x, y, t, distance_edges=[100, 200, 400], time_edges=[7, 14], permutations=199, seed=2)
    assert res.significant_window(alpha=0.01) is None


def test_labels_say_what_was_computed():
    assert distance_labels(np.array([1.0, 200.0])) == ["same location (<1 m)", "1 to <200 m", "200 m or more"]
    assert time_labels(np.array([7.0, 14.0]), True) == ["0\u20136 days", "7\u201313 days", "14+ days"]
    assert time_labels(np.array([7.0]), False) == ["0 to <7 days", "7 days or more"]
    assert nrc_edges(200, 5) == [1, 200, 400, 600, 800, 1000]
    assert nrc_edges(7, 4, same_location=None) == [7, 14, 21, 28]


def test_month_dates_are_refused_unless_month_bands():
    occ = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-01"]))
    with pytest.raises(DataPrecisionError, match="months only"):
        event_times(occ, "month")
    t, whole = event_times(occ, "month", time_unit="months")
    assert list(t) == [0, 1, 1] and whole


def test_fractional_days_for_datetimes():
    occ = pd.Series(pd.to_datetime(["2020-01-01 00:00", "2020-01-01 12:00", "2020-01-03 06:00"]))
    t, whole = event_times(occ, "minute")
    np.testing.assert_allclose(t, [0, 0.5, 2.25])
    assert not whole


def test_bad_arguments():
    x = np.arange(5.0)
    with pytest.raises(HotspotError, match="increasing"):
        knox_test(x, x, x, distance_edges=[200, 100])
    with pytest.raises(HotspotError, match="at least 3"):
        knox_test(x[:2], x[:2], x[:2])


def test_chicago_2014_real_data_shows_near_repeat(shared_data):
    from hotspot.intake import read_incidents
    from hotspot.knox import knox_from_incidents

    res = read_incidents(shared_data / "crime" / "exact_dates" / "chicago_residential_burglary_2014_2017.csv",
                         crs="EPSG:26971")
    inc = res.incidents[res.incidents["occurred"].dt.year == 2014]
    assert len(inc) == 12_334
    k = knox_from_incidents(inc, distance_edges=[1, 200], time_edges=[7], permutations=99, seed=1)
    # the classic finding: same-location and near (<200 m) repeats within a week
    assert k.ratio[0, 0] > 2 and k.p_value[0, 0] == 0.01
    assert k.ratio[1, 0] > 1.1 and k.p_value[1, 0] == 0.01


def test_numpy_fallback_kernel_equals_the_compiled_one():
    """The pure-numpy permutation kernel (used without numba) gives the same
    tables as the compiled one."""
    from hotspot.knox import _HAVE_NUMBA, _band, _permute_counts_numpy, close_pairs

    if not _HAVE_NUMBA:
        pytest.fail("numba is a dependency; the compiled kernel must be importable", pytrace=False)
    from hotspot.knox import _permute_counts

    rng = np.random.default_rng(9)
    x, y = rng.uniform(0, 2000, 300), rng.uniform(0, 2000, 300)
    t = rng.integers(0, 60, 300).astype(np.int32)
    i, j, d = close_pairs(x, y, 300.0)
    dband = _band(d, np.array([1.0, 100.0, 300.0])).astype(np.int64)
    tp = np.stack([t[rng.permutation(300)] for _ in range(20)], axis=1)
    edges = np.array([3, 7], np.int32)
    a = _permute_counts(tp, i, j, dband, edges, 4, 3)
    b = _permute_counts_numpy(tp, i, j, dband, edges, 4, 3)
    np.testing.assert_array_equal(a[:, :, :2], b[:, :, :2])  # the last column is derived by the caller


def test_window_is_contiguous_and_corrected_for_multiple_tests():
    from hotspot.knox import window_from_table

    dist, time = [100.0, 200.0, 400.0, 800.0], [7.0, 14.0, 28.0, 56.0]
    ratio = np.full((5, 5), 1.0)
    p = np.full((5, 5), 0.6)
    ratio[:2, :2], p[:2, :2] = 2.0, 0.001  # the real near-repeat block: < 200 m, < 14 days
    ratio[3, 3], p[3, 3] = 1.6, 0.001  # an unrelated excess at 400-800 m, 28-56 days
    assert window_from_table(p, ratio, dist, time) == (200.0, 14.0)
    # one cell at p = 0.04 among 16 finite tests is not significant after correction
    lone = np.full((5, 5), 0.6)
    lone[0, 0] = 0.04
    assert window_from_table(lone, ratio, dist, time) is None
    # significant cells not joined to the nearest, shortest bands give no window
    far = np.full((5, 5), 0.6)
    far[3, 3] = 0.001
    assert window_from_table(far, ratio, dist, time) is None


def test_default_seed_is_fixed():
    rng = np.random.default_rng(3)
    x, y, t = rng.uniform(0, 2000, 300), rng.uniform(0, 2000, 300), rng.integers(0, 200, 300).astype(float)
    a = knox_test(x, y, t, permutations=49)
    b = knox_test(x, y, t, permutations=49, seed=None)
    np.testing.assert_array_equal(a.p_value, b.p_value)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert a.seed == 0


def test_permutation_means_equal_the_exact_expectation():
    """Under random relabelling of times, E[count in cell (a, b)] = D_a T_b / P
    exactly (D_a pairs in distance band a, T_b in time band b, P pairs)."""
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(11)
    n = 250
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    t = rng.integers(0, 120, n).astype(float)
    dedges, tedges = np.array([150.0, 400.0]), np.array([10.0, 30.0])
    perms = 2000
    res = knox_test(x, y, t, distance_edges=dedges, time_edges=tedges, permutations=perms, seed=5)
    d = pdist(np.c_[x, y])
    dt = pdist(t[:, None])
    D = np.bincount(np.searchsorted(dedges, d, side="right"), minlength=3)
    T = np.bincount(np.searchsorted(tedges, dt, side="right"), minlength=3)
    P = n * (n - 1) / 2
    exact = np.outer(D, T) / P
    se = res.sd / np.sqrt(perms)
    assert np.all(np.abs(res.expected - exact) <= 4 * se + 1e-9)
    # observed totals are the same pairs
    assert res.observed.sum() == P and np.array_equal(res.observed.sum(axis=1), D)


def test_json_carries_the_window_and_the_significant_cells():
    x, y, t = near_repeat_process(seed=42)
    res = knox_test(x, y, t, distance_edges=[50, 100, 150, 300, 600], time_edges=[5, 10, 20, 40],
                    permutations=199, seed=1)
    obj = res.to_dict()
    assert obj["window"] == {"distance_m": 150.0, "days": 10.0}
    sig = np.array(obj["significant"])
    assert sig.shape == res.observed.shape and sig[:3, :2].all() and not sig[-1].any() and not sig[:, -1].any()
