"""Nested method selection, the paired comparison with the naive baseline,
decayed counts, and the backtest command's JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import ModelError
from hotspot.areas import area_from_geometry
from hotspot.forecast import PeriodCounts, backtest, check_method, forecast_surface, method_score

ROOT = Path(__file__).resolve().parents[1]
AREA = area_from_geometry(box(0, 0, 2000, 2000), 27700, "toy")


def _incidents(rows):
    df = pd.DataFrame(rows, columns=["x", "y", "occurred"])
    df["occurred"] = pd.to_datetime(df["occurred"])
    df["date_precision"] = "month"
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs=27700)


def _regime_change(seed=11, months=40):
    """A hotspot that moves after 20 months: long memory wins at first,
    short memory after the move."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(months):
        month = pd.Timestamp("2020-01-01") + pd.DateOffset(months=m)
        hx, hy = (400, 400) if m < 20 else (1500, 1300)
        for _ in range(rng.poisson(5)):
            rows.append((hx + rng.normal(0, 30), hy + rng.normal(0, 30), month))
        for _ in range(rng.poisson(8)):
            rows.append((rng.uniform(0, 2000), rng.uniform(0, 2000), month))
    return _incidents(rows)


METHODS = ["counts_24", "counts_1", "counts_36", "decay_3"]


def test_each_period_uses_the_method_best_on_earlier_periods_only():
    pc = PeriodCounts.from_incidents(_regime_change(), AREA, cell=50)
    res = backtest(pc, start="2020-03", end="2023-04", methods=METHODS, levels=[0.05], warmup=0, bootstrap=200)
    per = res.periods[np.isclose(res.periods.coverage, 0.05)].pivot(index="period", columns="method", values="pai")
    per = per.loc[sorted(per.index)]
    ch = res.selected.choices.set_index("period")
    # brute force: mean PAI of each method over the periods strictly before, ties to the first listed
    for i, period in enumerate(per.index):
        if i == 0:
            expected = "counts_24"  # nothing scored before: the baseline by default
        else:
            means = per.iloc[:i][METHODS].mean()
            expected = METHODS[int(np.argmax(means.to_numpy()))]
        assert ch.loc[period, "method"] == expected, period
        assert ch.loc[period, "pai"] == pytest.approx(per.loc[period, expected])
        assert ch.loc[period, "baseline_pai"] == pytest.approx(per.loc[period, "counts_24"])
    # the regime change is seen: the rule does not stick to one method
    assert ch["method"].nunique() >= 2
    s = res.selected
    assert s.pai == pytest.approx(ch["pai"].mean())
    assert s.ratio == pytest.approx(ch["pai"].mean() / ch["baseline_pai"].mean())
    assert s.pai_ci[0] <= s.pai <= s.pai_ci[1] and s.ratio_ci[0] <= s.ratio <= s.ratio_ci[1]
    assert any("by default" in w for w in res.warnings)
    # the method for the next period: best mean over every scored period
    assert res.best == METHODS[int(np.argmax(per[METHODS].mean().to_numpy()))]


def test_selected_score_is_not_the_in_sample_best():
    # choosing afterwards on the same periods can only look better than (or equal to) the nested rule
    pc = PeriodCounts.from_incidents(_regime_change(), AREA, cell=50)
    res = backtest(pc, start="2020-06", end="2023-04", methods=METHODS, levels=[0.05], bootstrap=0)
    in_sample_best = res.at(0.05)["pai"].max()
    assert res.selected.pai <= in_sample_best + 1e-12
    assert res.selected.pai < in_sample_best  # after the move the rule is still catching up


def test_the_run_summary_gives_the_rules_own_score_not_the_tables_top_row():
    from hotspot.pipeline import _hotspots_summary

    pc = PeriodCounts.from_incidents(_regime_change(), AREA, cell=50)
    res = backtest(pc, start="2020-06", end="2023-04", methods=METHODS, levels=[0.05], bootstrap=200)
    got = _hotspots_summary(res, polygons=3)
    assert got["method"] == res.best
    assert got["pai_5pct"] == round(res.selected.pai, 2) and got["vs_naive"] == round(res.selected.ratio, 4)
    assert got["naive"] == "counts_24" and got["period"] == "month" and "each month" in got["pai_5pct_of"]
    assert got["pai_5pct"] < round(res.at(0.05)["pai"].max(), 2)  # the in-sample top row would flatter it


def test_weekly_counts_are_compared_with_two_years_and_a_month_end_means_all_of_it():
    rng = np.random.default_rng(5)
    n = 3000
    days = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), "D")
    inc = gpd.GeoDataFrame({"occurred": days, "date_precision": "day"},
                           geometry=gpd.points_from_xy(rng.normal(1000, 300, n), rng.normal(1000, 300, n)), crs=27700)
    pc = PeriodCounts.from_incidents(inc, AREA, cell=100)
    assert pc.freq.startswith("W")
    res = backtest(pc, start="2021-01", end="2021-12", methods=["counts_12", "decay_12"], levels=[0.05], bootstrap=0)
    # two years of memory, as counts_24 on months: 104 weeks, not 24
    assert res.selected.baseline == "counts_104" and res.to_json(0.05)["period"] == "week"
    from hotspot.pipeline import _hotspots_summary

    summary = _hotspots_summary(res, polygons=1)  # the run says so too
    assert summary["naive"] == "counts_104" and summary["period"] == "week" and "each week" in summary["pai_5pct_of"]
    last = res.selected.choices["period"].max()
    assert str(last) == str(pd.Period("2021-12-31", pc.freq))  # the week holding 31 December, not the 1st
    assert res.n_periods == pc.index_of("2021-12-31") - pc.index_of("2021-01-01") + 1
    # a week given as the data's own period, or as its text, is that week (the run passes them so)
    week = pc.periods[-10]
    assert pc.index_of(week) == pc.index_of(str(week)) == len(pc.periods) - 10
    by_text = backtest(pc, start=str(pc.periods[-6]), end=str(pc.periods[-1]), methods=["counts_12"], levels=[0.05],
                       bootstrap=0)
    assert by_text.n_periods == 6
    monthly = backtest(PeriodCounts.from_incidents(inc.assign(date_precision="month",
                                                              occurred=inc["occurred"].dt.to_period("M").dt.start_time),
                                                   AREA, cell=100),
                       start="2021-01", end="2021-12", methods=["counts_12"], levels=[0.05], bootstrap=0)
    assert monthly.selected.baseline == "counts_24" and monthly.to_json(0.05)["period"] == "month"


def test_paired_ratio_interval_matches_a_reference_bootstrap():
    pc = PeriodCounts.from_incidents(_regime_change(seed=12), AREA, cell=50)
    res = backtest(pc, start="2021-01", end="2023-04", methods=METHODS, levels=[0.05], bootstrap=500, seed=3)
    ch = res.selected.choices
    a, b = ch["pai"].to_numpy(), ch["baseline_pai"].to_numpy()
    rng = np.random.default_rng([3, 1])
    idx = rng.integers(0, len(a), size=(500, len(a)))
    ref = a[idx].mean(axis=1) / b[idx].mean(axis=1)
    np.testing.assert_allclose(res.selected.ratio_ci, np.quantile(ref, [0.025, 0.975]))
    # an unpaired interval would be wider: the pairing removes the month-to-month swing shared by both
    rng2 = np.random.default_rng(5)
    unpaired = a[rng2.integers(0, len(a), (2000, len(a)))].mean(1) / b[rng2.integers(0, len(a), (2000, len(a)))].mean(1)
    assert np.diff(res.selected.ratio_ci)[0] < np.diff(np.quantile(unpaired, [0.025, 0.975]))[0]


def test_baseline_alone_has_ratio_one():
    pc = PeriodCounts.from_incidents(_regime_change(), AREA, cell=50)
    res = backtest(pc, start="2021-01", end="2022-12", methods=["counts_24"], levels=[0.05], bootstrap=100)
    assert res.selected.ratio == 1.0 and res.selected.ratio_ci == (1.0, 1.0)
    assert set(res.selected.choices["method"]) == {"counts_24"}


def test_baseline_outside_the_candidates_is_still_compared():
    pc = PeriodCounts.from_incidents(_regime_change(), AREA, cell=50)
    res = backtest(pc, start="2021-01", end="2022-12", methods=["counts_1", "decay_3"], levels=[0.05], bootstrap=100)
    ref = backtest(pc, start="2021-01", end="2022-12", methods=["counts_24"], levels=[0.05], bootstrap=0)
    assert res.selected.baseline_pai == pytest.approx(ref.at(0.05).iloc[0]["pai"])
    assert set(res.periods["method"]) == {"counts_1", "decay_3"}


def test_one_period_names_no_best_method():
    pc = PeriodCounts.from_incidents(_regime_change(), AREA, cell=50)
    res = backtest(pc, start="2022-05", end="2022-05", methods=METHODS, levels=[0.05], bootstrap=100)
    assert res.best is None and res.n_periods == 1
    assert any("only 1 forecast period" in w for w in res.warnings)
    js = res.to_json(0.05)
    assert js["best"] is None and js["selected"]["pai_ci"] == [None, None]
    json.dumps(js, allow_nan=False)  # valid JSON, no NaN
    with pytest.raises(ModelError, match="no forecast method was chosen"):
        forecast_surface(pc, res.best)


def test_selection_never_sees_the_future():
    inc = _regime_change()
    pc = PeriodCounts.from_incidents(inc, AREA, cell=50)
    future = _incidents([(1500, 1500, "2022-07-01")] * 60 + [(100, 1900, "2023-02-01")] * 60)
    pc2 = PeriodCounts.from_incidents(pd.concat([inc, future]), AREA, cell=50)
    kw = dict(start="2020-09", end="2022-06", methods=METHODS, levels=[0.05], bootstrap=50)
    a, b = backtest(pc, **kw), backtest(pc2, **kw)
    pd.testing.assert_frame_equal(a.selected.choices, b.selected.choices)
    assert a.best == b.best and a.selected.ratio_ci == b.selected.ratio_ci
    origin = pc.index_of("2022-07")
    for m in ("decay_3", "decay_12", "counts_24"):
        np.testing.assert_array_equal(method_score(pc, m, origin), method_score(pc2, m, origin))


def test_decay_weights_by_hand():
    inc = _incidents([(525, 525, "2020-01-01"), (525, 525, "2020-03-01"), (525, 525, "2020-03-01")])
    pc = PeriodCounts.from_incidents(inc, AREA, cell=50)
    r, c, _ = pc.grid.index([525], [525])
    tau = 4.0
    # as of April: March is age 0 (two incidents), January age 2
    assert pc.decayed(pc.index_of("2020-04"), tau)[r[0], c[0]] == pytest.approx(2 + np.exp(-2 / tau))
    # past the data everything only ages: as of June, March is age 2, January age 4
    assert pc.decayed(pc.index_of("2020-06"), tau)[r[0], c[0]] == pytest.approx(2 * np.exp(-2 / tau) + np.exp(-4 / tau))
    assert pc.decayed(0, tau).sum() == 0
    assert method_score(pc, "decay_4", pc.index_of("2020-04"))[r[0], c[0]] == pytest.approx(2 + np.exp(-0.5))


@pytest.mark.parametrize("name", ["decay_x", "counts_-3", "kde_200_12", "magic", "decay_0"])
def test_unknown_methods_are_refused(name):
    with pytest.raises(ModelError):
        check_method(name)


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_backtest_json_reports_the_nested_score_on_real_data(barnet_csv, boroughs_file):
    p = _cli("backtest", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--from", "2024-03",
             "--to", "2025-02", "--methods", "counts_24,counts_36,decay_12", "--json")
    assert p.returncode == 0, p.stderr
    js = json.loads(p.stdout)
    sel, vs = js["selected"], js["vs_naive"]
    assert sel["periods"] == js["periods"] == 12
    assert sel["pai_ci"][0] <= sel["pai"] <= sel["pai_ci"][1]
    assert vs["baseline"] == "counts_24"
    assert vs["baseline_pai"] == pytest.approx(js["methods"]["counts_24"]["pai"], abs=1e-4)
    assert vs["ratio"] == pytest.approx(sel["pai"] / vs["baseline_pai"], rel=1e-3)
    assert vs["ratio_ci"][0] <= vs["ratio"] <= vs["ratio_ci"][1]
    assert sum(sel["methods_used"].values()) == 12 and js["best"] in js["methods"]
    # the nested score cannot beat the best method picked afterwards on the same months
    assert sel["pai"] <= max(m["pai"] for m in js["methods"].values()) + 1e-4


def test_backtest_cli_one_period_and_bad_method(barnet_csv, boroughs_file):
    p = _cli("backtest", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--from", "2025-02",
             "--to", "2025-02", "--methods", "counts_24,decay_12", "--json")
    assert p.returncode == 0, p.stderr
    js = json.loads(p.stdout)
    assert js["best"] is None and any("only 1 forecast period" in w for w in js["warnings"])
    p = _cli("backtest", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--methods", "decay_soon")
    assert p.returncode == 2 and "decay_soon" in p.stderr and "Traceback" not in p.stderr
