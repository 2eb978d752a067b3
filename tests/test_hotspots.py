"""KDE, hotspot classes, forecast metrics and the backtest."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from hotspot.areas import area_from_geometry
from hotspot.forecast import PeriodCounts, backtest, forecast_surface, method_score
from hotspot.grid import Grid
from hotspot.hotspots import hotspot_mask, hotspot_polygons
from hotspot.kde import Surface, kde, kde_direct
from hotspot.metrics import accuracy, coverage_hits

GRID = Grid.covering((0, 0, 3000, 2000), 50, 27700, pad=2000)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
@pytest.mark.parametrize("seed", [0, 1])
def test_fft_kde_equals_direct_sum(kernel, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 3000, 150), rng.uniform(0, 2000, 150)
    w = rng.uniform(0.5, 2, 150)
    grid = Grid.covering((0, 0, 3000, 2000), 50, 27700, pad=400)
    fft = kde(x, y, grid, bandwidth=200, kernel=kernel, weights=w).values
    direct = kde_direct(x, y, grid, bandwidth=200, kernel=kernel, weights=w)
    assert np.max(np.abs(fft - direct)) <= 1e-9 * np.max(direct)


def test_oversampled_kde_approaches_the_exact_point_sum():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 3000, 200), rng.uniform(0, 2000, 200)
    grid = Grid.covering((0, 0, 3000, 2000), 50, 27700, pad=400)
    exact = kde_direct(x, y, grid, bandwidth=250, kernel="gaussian", snap=False)
    err1 = np.abs(kde(x, y, grid, bandwidth=250, kernel="gaussian").values - exact).max() / exact.max()
    err5 = np.abs(kde(x, y, grid, bandwidth=250, kernel="gaussian", oversample=5).values - exact).max() / exact.max()
    assert err5 < 1e-3 < err1 and err5 < err1 / 10


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_mass_is_conserved_unclipped(kernel):
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 3000, 100), rng.uniform(0, 2000, 100)
    s = kde(x, y, GRID, bandwidth=200, kernel=kernel)
    assert s.values.sum() * GRID.cell_area_km2 == pytest.approx(100, rel=1e-9)


@given(st.lists(st.tuples(st.floats(0, 3000), st.floats(0, 2000)), min_size=1, max_size=40),
       st.integers(-10, 10), st.integers(-10, 10), st.sampled_from(["quartic", "gaussian"]))
@settings(max_examples=40, deadline=None)
def test_kde_is_non_negative_and_translation_invariant(points, dx, dy, kernel):
    x, y = np.array(points).T
    a = kde(x, y, GRID, bandwidth=150, kernel=kernel).values
    b = kde(x + dx * 50, y + dy * 50, GRID, bandwidth=150, kernel=kernel).values
    assert (a >= 0).all()
    # shifting the points by whole cells shifts the surface by whole cells
    np.testing.assert_allclose(np.roll(np.roll(a, dy, axis=0), dx, axis=1)[20:-20, 20:-20], b[20:-20, 20:-20],
                               atol=1e-9 * max(a.max(), 1))


def test_perfect_forecast_has_pai_one_over_area_share():
    rng = np.random.default_rng(4)
    counts = np.zeros(1000)
    counts[rng.choice(1000, 10, replace=False)] = rng.integers(1, 5, 10)
    acc = accuracy(counts, counts, [0.01, 0.05, 0.2])
    np.testing.assert_allclose(acc["hit_rate"], 1.0)
    np.testing.assert_allclose(acc["pai"], [100, 20, 5])
    np.testing.assert_allclose(acc["pei"], 1.0)


def test_constant_forecast_scores_the_area_share():
    counts = np.random.default_rng(5).poisson(0.3, 500)
    acc = accuracy(np.zeros(500), counts, [0.01, 0.1, 0.5])
    np.testing.assert_allclose(acc["hit_rate"], [0.01, 0.1, 0.5])
    np.testing.assert_allclose(acc["pai"], 1.0)


def test_tie_break_equals_the_random_ordering_expectation():
    rng = np.random.default_rng(6)
    score = rng.integers(0, 4, 60).astype(float)
    counts = rng.poisson(1, 60).astype(float)
    levels = np.array([0.05, 0.1, 0.25, 0.5])
    sims = []
    for _ in range(4000):
        order = np.lexsort((rng.random(60), -score))
        c = np.cumsum(counts[order])
        sims.append([c[int(lv * 60) - 1] for lv in levels])  # whole cells at these levels
    np.testing.assert_allclose(coverage_hits(score, counts, levels), np.mean(sims, axis=0), rtol=0.03)


def test_toy_hit_rate_by_hand():
    score = np.array([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], float)
    counts = np.array([1, 0, 2, 0, 0, 0, 0, 1, 0, 0], float)
    acc = accuracy(score, counts, [0.1, 0.3])
    np.testing.assert_allclose(acc["hit_rate"], [0.25, 0.75])
    np.testing.assert_allclose(acc["pai"], [2.5, 2.5])
    # best possible: 2 of 4 in the top 10 %, all 4 in the top 30 %
    np.testing.assert_allclose(acc["pei"], [0.5, 0.75])


def test_hotspot_classes_and_polygons():
    grid = Grid(0, 0, 100, 10, 10, 27700)
    vals = np.zeros((10, 10))
    vals[2:4, 2:4] = 5  # a 2x2 block
    vals[7, 7] = 9  # a single hot cell
    vals[8, 8] = 1
    s = Surface(vals, grid, np.ones((10, 10), bool))
    hot = hotspot_mask(s, share=0.05)  # 5 cells: the block and the single cell
    assert hot.sum() == 5
    inc = gpd.GeoDataFrame(geometry=gpd.points_from_xy([250, 250, 350, 750, 850], [250, 350, 350, 750, 850]), crs=27700)
    polys = hotspot_polygons(s, hot, inc)
    assert list(polys["cells"]) == [4, 1] and list(polys["incidents"]) == [3, 1]
    assert polys["share"].tolist() == [0.6, 0.2] and polys["rank"].tolist() == [1, 2]
    assert polys.geometry.iloc[0].equals(box(200, 200, 400, 400))
    sd = hotspot_mask(s, method="sd", k=2)
    assert sd.sum() == 5  # mean 0.3, sd ~1.3: cells of 5 and 9


def _monthly_incidents(rows):
    df = pd.DataFrame(rows, columns=["x", "y", "occurred"])
    df["occurred"] = pd.to_datetime(df["occurred"])
    df["date_precision"] = "month"
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs=27700)


AREA = area_from_geometry(box(0, 0, 2000, 2000), 27700, "toy")


def _toy_history(seed=7, months=30):
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(months):
        month = pd.Timestamp("2020-01-01") + pd.DateOffset(months=m)
        for _ in range(rng.poisson(6)):
            rows.append((500 + rng.normal(0, 40), 500 + rng.normal(0, 40), month))  # a persistent hotspot
        for _ in range(rng.poisson(6)):
            rows.append((rng.uniform(0, 2000), rng.uniform(0, 2000), month))
    return _monthly_incidents(rows)


def test_backtest_never_uses_the_future():
    inc = _toy_history()
    pc = PeriodCounts.from_incidents(inc, AREA, cell=50)
    origin = pc.index_of("2021-06")
    future = _monthly_incidents([(1500, 1500, "2021-06-01")] * 50 + [(1700, 300, "2021-09-01")] * 50)
    pc2 = PeriodCounts.from_incidents(pd.concat([inc, future]), AREA, cell=50)
    for m in ("counts_1", "counts_12", "counts_24", "decay_6", "decay_24", "kde_200m_3", "prospective", "learned",
              "sepp"):
        if m == "learned":
            from hotspot.forecast import LearnedForecast

            a = LearnedForecast(pc, seed=1).score(origin)
            b = LearnedForecast(pc2, seed=1).score(origin)
        elif m == "sepp":
            from hotspot.forecast.methods import _sepp  # the model exactly as the backtest builds it

            a = _sepp(pc).score(origin)
            b = _sepp(pc2).score(origin)
            assert a.max() > 0
        else:
            a, b = method_score(pc, m, origin), method_score(pc2, m, origin)
        np.testing.assert_array_equal(a, b)


def test_backtest_finds_the_persistent_hotspot():
    inc = _toy_history()
    pc = PeriodCounts.from_incidents(inc, AREA, cell=50)
    res = backtest(pc, start="2021-01", end="2022-06", methods=["counts_12", "kde_200m_12", "counts_1"],
                   bootstrap=200, seed=1)
    assert res.n_periods == 18
    top = res.at(0.05)
    assert top.iloc[0]["pai"] > 4  # a quarter of the area's burglaries sit in one small hotspot
    for r in top.itertuples():
        assert r.pai_lo <= r.pai <= r.pai_hi
    js = res.to_json(0.05)
    assert js["best"] == res.best and set(js["methods"]) == {"counts_12", "kde_200m_12", "counts_1"}
    surf = forecast_surface(pc, res.best)
    r, c, _ = pc.grid.index([500], [500])
    assert surf.values[r[0], c[0]] >= np.quantile(surf.values[surf.mask], 0.99)


def test_prospective_weights_by_hand():
    inc = _monthly_incidents([(525, 525, "2020-01-01"), (525, 525, "2020-02-01"), (625, 525, "2020-02-01")])
    pc = PeriodCounts.from_incidents(inc, AREA, cell=50)
    risk = pc.prospective(pc.index_of("2020-03"))
    r, c, _ = pc.grid.index([525], [525])
    # at the cell itself: Feb (age 0): 1 + 1/(1+2 cells); Jan (age 1): 1/2
    assert risk[r[0], c[0]] == pytest.approx(1 + 1 / 3 + 0.5)


def test_gi_star_finds_a_planted_cluster():
    from hotspot.hotspots import gi_star

    rng = np.random.default_rng(9)
    grid = Grid(0, 0, 100, 30, 30, 27700)
    counts = rng.poisson(1.0, (30, 30)).astype(float)
    counts[10:14, 10:14] += 8  # planted hot cluster
    counts[22:27, 22:27] = 0  # planted cold patch
    gi = gi_star(counts, grid, np.ones((30, 30), bool), permutations=999, seed=1)
    hot = gi[gi["class"] == "hot"]
    assert len(hot) >= 12
    assert hot["row"].between(9, 14).all() and hot["col"].between(9, 14).all()
    cold = gi[gi["class"] == "cold"]
    interior = set(zip(cold["row"], cold["col"]))
    assert {(r, c) for r in range(23, 26) for c in range(23, 26)} <= interior  # the empty patch's core
    # an untouched random field has almost no significant cells after FDR
    null = gi_star(rng.poisson(1.0, (30, 30)).astype(float), grid, np.ones((30, 30), bool), seed=2)
    assert (null["class"] != "not significant").sum() <= 5


def _esda_gi_star(counts, mask, cell, permutations, seed):
    """esda's own G_Local and fdr on the same cells (the reference): binary
    weights to the queen neighbours within 1.5 cells, the cell itself added."""
    import warnings

    import esda
    from libpysal.weights import DistanceBand

    rows, cols = np.nonzero(mask)
    pts = np.column_stack([(cols + 0.5) * cell, (rows + 0.5) * cell])
    y = counts[mask].astype(float)
    w = DistanceBand(pts, threshold=cell * 1.5, binary=True, silence_warnings=True)
    with warnings.catch_warnings():  # the reference's own notes (its default alternative; islands in the weights)
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, w, transform="B", permutations=permutations, star=True, keep_simulations=False,
                         n_jobs=1, seed=seed)
    p = np.asarray(g.p_sim, float)
    return np.asarray(g.Zs, float), p, esda.fdr(p, 0.05)


def test_gi_star_equals_esda_z_scores_p_values_and_classes():
    # the numpy Gi* (hotspot.gistar) against esda.G_Local on fields with ties (many equal small counts), islands
    # (in-area cells with no in-area neighbour) and holes: z to the last bit, the seeded p-values equal
    from hotspot.gistar import fdr, gi_star_grid
    from hotspot.hotspots import gi_star

    rng = np.random.default_rng(22)
    for trial in range(8):
        ny, nx = (int(v) for v in rng.integers(8, 40, 2))
        yy, xx = np.mgrid[:ny, :nx]
        mask = ((yy - ny / 2) / (ny / 2)) ** 2 + ((xx - nx / 2) / (nx / 2)) ** 2 < 1
        mask &= rng.random((ny, nx)) > 0.1 * (trial % 3)  # holes, and with them islands
        mask[0, 0] = mask[0, nx - 1] = True  # corner cells apart from the rest: islands
        mask[0, 1] = mask[1, 0] = mask[1, 1] = mask[0, nx - 2] = mask[1, nx - 2] = mask[1, nx - 1] = False
        counts = rng.poisson(rng.gamma(0.4 + trial / 4, 2, (ny, nx))).astype(float)
        counts[:3, :3] += 5 * (trial % 2)  # a planted cluster near an island
        permutations, seed = (999, 99, 199)[trial % 3], int(rng.integers(0, 2**32))
        z_ref, p_ref, cut_ref = _esda_gi_star(counts, mask, 250.0, permutations, seed)
        y, z, p = gi_star_grid(counts, mask, permutations=permutations, seed=seed)
        assert np.array_equal(y, counts[mask])
        assert np.array_equal(z, z_ref)
        assert np.array_equal(p, p_ref), f"trial {trial}: {np.count_nonzero(p != p_ref)} p-values differ"
        assert fdr(p, 0.05) == cut_ref
    grid = Grid(0.0, 0.0, 250.0, nx, ny, 27700)
    gi = gi_star(counts, grid, mask, permutations=permutations, seed=seed)
    sig = p_ref <= cut_ref
    ref_class = np.where(sig & (z_ref > 0), "hot", np.where(sig & (z_ref < 0), "cold", "not significant"))
    assert (gi["class"].to_numpy() == ref_class).all()
    again = gi_star(counts, grid, mask, permutations=permutations, seed=seed)
    assert np.array_equal(again["p_sim"], gi["p_sim"])  # seeded: the same p-values
    other = gi_star(counts, grid, mask, permutations=permutations, seed=seed + 1)
    assert not np.array_equal(other["p_sim"], gi["p_sim"])  # the seed is used


def test_gi_star_p_values_are_calibrated_under_the_null():
    # an untouched random field: the pseudo p-values of the cells are ~uniform on (0, 0.5] (esda's directed rule
    # takes the nearer tail), so ~10 % of the cells fall at or below 0.05 (each cell's test is exact; the cells
    # share one set of draws, hence the wide band)
    from hotspot.gistar import gi_star_grid

    rng = np.random.default_rng(5)
    shares = []
    for seed in range(6):
        counts = rng.poisson(2.0, (40, 40)).astype(float)
        _, z, p = gi_star_grid(counts, np.ones((40, 40), bool), permutations=199, seed=seed)
        assert p.min() == pytest.approx(1 / 200, rel=1e-6) and p.max() <= 0.5 + 1 / 200
        shares.append(np.mean(p <= 0.05))
    assert 0.06 < np.mean(shares) < 0.14


def test_gi_star_refuses_what_it_cannot_test():
    from hotspot._errors import HotspotError
    from hotspot.gistar import gi_star_grid

    counts = np.ones((5, 5))
    with pytest.raises(HotspotError, match="permutation"):
        gi_star_grid(counts, np.ones((5, 5), bool), permutations=0)
    with pytest.raises(HotspotError, match="seed"):
        gi_star_grid(counts, np.ones((5, 5), bool), seed=-1)
    with pytest.raises(HotspotError, match="at least one incident"):
        gi_star_grid(np.zeros((5, 5)), np.ones((5, 5), bool))


@pytest.mark.parametrize("freq", ["M", "W"])
def test_period_counts_bin_each_incident_in_its_period_and_cell(freq):
    # the periods' ordinals (vectorised) against counting Period by Period, on a grid cell by cell
    from hotspot.forecast.counts import bin_periods, period_of

    rng = np.random.default_rng(11)
    n = 3000
    occ = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    inc = gpd.GeoDataFrame({"occurred": occ}, geometry=gpd.points_from_xy(rng.uniform(-500, 3500, n),
                                                                         rng.uniform(-500, 2500, n)), crs=27700)
    grid = Grid.covering((0, 0, 3000, 2000), 100, 27700)
    per = period_of(inc["occurred"], freq)
    periods = pd.period_range(per.min() + 2, per.max() - 2, freq=freq)  # some incidents before and after
    got = bin_periods(per, inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy(), grid, periods)
    want = np.zeros_like(got)
    row, col, ok = grid.index(inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy())
    for p, r, c, inside in zip(per, row, col, ok):
        k = (p - periods[0]).n
        if inside and 0 <= k < len(periods):
            want[k, r, c] += 1
    assert np.array_equal(got, want) and 0 < got.sum() < n
