"""The pooled (many-area) forecast and the reliability table."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import ModelError
from hotspot.areas import area_from_geometry
from hotspot.forecast import PeriodCounts, backtest
from hotspot.metrics import reliability
from hotspot.pooled import PooledForecast


def _area(x0):
    return area_from_geometry(box(x0, 0, x0 + 1500, 1500), 27700, f"a{x0}")


def _stationary(x0, seed, months=30, hot_rate=0.6, n_hot=12):
    """Incidents from known, constant rates: ``n_hot`` hot cells with
    ``hot_rate`` per month each and a uniform background."""
    rng = np.random.default_rng(seed)
    hot = [(x0 + 25 + 50 * rng.integers(0, 30), 25 + 50 * rng.integers(0, 30)) for _ in range(n_hot)]
    rows = []
    for m in range(months):
        month = pd.Timestamp("2020-01-01") + pd.DateOffset(months=m)
        for hx, hy in hot:
            rows += [(hx, hy, month)] * rng.poisson(hot_rate)
        for _ in range(rng.poisson(4)):
            rows.append((x0 + rng.uniform(0, 1500), rng.uniform(0, 1500), month))
    df = pd.DataFrame(rows, columns=["x", "y", "occurred"])
    df["date_precision"] = "month"
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs=27700), hot


def _pcs(extra=None):
    out = {}
    for i, x0 in enumerate((0, 5000, 10000)):
        inc, _ = _stationary(x0, seed=i)
        if extra is not None and i == 1:
            inc = pd.concat([inc, extra])
        out[f"a{i}"] = PeriodCounts.from_incidents(inc, _area(x0), cell=50)
    return out


def test_pooled_forecast_never_sees_the_future():
    future = gpd.GeoDataFrame({"occurred": pd.to_datetime(["2021-09-01"] * 40 + ["2022-05-01"] * 40),
                               "date_precision": "month"},
                              geometry=gpd.points_from_xy([5700] * 80, [700] * 80), crs=27700)
    a = PooledForecast.from_period_counts(_pcs(), train_periods=12, refit=3, max_rows=20_000).fit("2021-01", "2021-08")
    b = PooledForecast.from_period_counts(_pcs(future), train_periods=12, refit=3, max_rows=20_000).fit("2021-01",
                                                                                                          "2021-08")
    for name in ("a0", "a1", "a2"):
        pc = a.areas[name]
        for month in ("2021-01", "2021-05", "2021-08"):
            o = pc.index_of(month)
            np.testing.assert_array_equal(a.scorer(name)(o), b.scorer(name)(o))
    with pytest.raises(ModelError, match="no period"):
        a.scorer("a0")(a.areas["a0"].index_of("2021-09"))


def test_pooled_forecast_is_calibrated_and_finds_the_known_hot_cells():
    pcs = _pcs()
    pooled = PooledForecast.from_period_counts(pcs, train_periods=12, refit=6, max_rows=50_000,
                                               min_samples_leaf=100).fit("2021-06", "2022-06")
    pc = pcs["a0"]
    _, hot = _stationary(0, seed=0)
    r, c, _ = pc.grid.index([h[0] for h in hot], [h[1] for h in hot])
    rate = np.full(pc.mask.shape, 4 / pc.mask.sum())
    np.add.at(rate, (r, c), 0.6)
    true = rate[pc.mask]
    pred, obs, captured = [], [], []
    for month in pd.period_range("2021-06", "2022-06", freq="M"):
        o = pc.index_of(str(month))
        s = pooled.scorer("a0")(o)
        pred.append(s[pc.mask])
        obs.append(pc.counts[o][pc.mask])
        # the expected total per month is known: 12 hot cells x 0.6 + a background of 4 (a few land outside cells)
        assert s[pc.mask].sum() == pytest.approx(12 * 0.6 + 4, rel=0.25)
        # expected capture of the forecast's top 12 cells under the known rates, against the oracle's
        k = len(hot)
        got = np.sort(true[np.argsort(-s[pc.mask], kind="stable")[:k]]).sum()
        captured.append(got / np.sort(true)[-k:].sum())
    assert np.mean(captured) >= 0.9
    # hot cells forecast near their true rate (0.6 per month each, more where two coincide)
    rel = reliability(np.concatenate(pred), np.concatenate(obs), edges=(0, 0.1, 0.3, np.inf))
    hot_bin = rel.iloc[-1]
    assert hot_bin.mean_forecast == pytest.approx(hot_bin.mean_observed, rel=0.2)
    # usable as a backtest candidate through the scorer hook
    res = backtest(pc, start="2021-06", end="2022-06", methods=["counts_24", "pooled"], levels=[0.05],
                   bootstrap=50, warmup=0, scorers={"pooled": pooled.scorer("a0")})
    assert res.selected.periods == 13 and {"counts_24", "pooled"} == set(res.periods["method"])


def test_pooled_refuses_mixed_grids():
    inc, _ = _stationary(0, seed=0)
    a = PeriodCounts.from_incidents(inc, _area(0), cell=50)
    b = PeriodCounts.from_incidents(inc, _area(0), cell=100)
    with pytest.raises(ModelError, match="cell size"):
        PooledForecast.from_period_counts({"a": a, "b": b})


def test_reliability_table_by_brute_force():
    rng = np.random.default_rng(4)
    p = rng.gamma(0.5, 0.4, 5000)
    o = rng.poisson(p)
    edges = (0, 0.05, 0.2, 1, np.inf)
    t = reliability(p, o, edges)
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        sel = (p >= lo) & (p < hi)
        assert t.loc[i, "cells"] == sel.sum()
        assert t.loc[i, "mean_forecast"] == pytest.approx(p[sel].mean())
        assert t.loc[i, "mean_observed"] == pytest.approx(o[sel].mean())
    # Poisson draws from the forecast itself: calibrated within sampling error in the well-filled bins
    assert np.all(np.abs(t["ratio"].iloc[1:3] - 1) < 0.1)
