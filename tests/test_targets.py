"""Nano-beat risk from the forecast nested selection picks, the target
backtest at equal effort, and the dosage (issue 20)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import OptionError
from hotspot.areas import area_from_geometry
from hotspot.nanobeats import NanoBeatPlanner
from hotspot.target_backtest import COUNT_DISCS, NEAR_REPEAT, PLANNER, backtest_targets
from hotspot.targets import TargetRisk, dosage

AREA = area_from_geometry(box(0, 0, 2000, 2000), 27700, "test")


def _moving_hotspots(seed: int = 0) -> gpd.GeoDataFrame:
    """Three years of daily burglaries: a thin uniform background, and 24 hot
    places that switch on one after another (a place stays hot once on), so
    recent memory knows where burglary is now and two-year counts still
    point at places that cooled down (the first 12 stop after 18 months)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2015-01-01", "2017-12-31", freq="D")
    hot = rng.uniform(150, 1850, (24, 2))
    on = np.sort(rng.integers(0, len(days) - 200, 24))
    off = np.where(np.arange(24) < 12, np.minimum(on + 540, len(days)), len(days))
    rows = []
    for k, (x, y) in enumerate(hot):
        n = rng.poisson(0.12 * (off[k] - on[k]))
        d = rng.integers(on[k], off[k], n)
        r, a = 40 * np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, n)
        rows += list(zip(x + r * np.cos(a), y + r * np.sin(a), days[d]))
    n = rng.poisson(1.0 * len(days))
    rows += list(zip(rng.uniform(0, 2000, n), rng.uniform(0, 2000, n), days[rng.integers(0, len(days), n)]))
    x, y, d = zip(*rows)
    return gpd.GeoDataFrame({"incident_id": [f"i{k}" for k in range(len(rows))], "occurred": pd.to_datetime(d),
                             "date_precision": "day", "crime_type": "Burglary", "location_text": ""},
                            geometry=gpd.points_from_xy(x, y), crs=27700)


@pytest.fixture(scope="module")
def moving():
    return _moving_hotspots()


def test_the_planner_beats_two_year_count_discs_where_hotspots_move(moving):
    bt = backtest_targets(moving, AREA, n_targets=6, start="2017-01-02", end="2017-12-25", step=2,
                          methods=("decay_26", "decay_104"), bootstrap=500)
    s = bt.summary.set_index("method")
    assert (s["plans"] == 26).all() and s.loc[PLANNER, "incidents"] == s.loc[COUNT_DISCS, "incidents"]
    r = bt.ratios()[COUNT_DISCS]
    # the cooled-down places hold two-year counts; recent memory does not patrol them
    assert r["ratio"] > 1.1 and r["lo"] > 1.0
    # the shares are the caught burglaries over all of them, and per km2 of the same target area
    assert s.loc[PLANNER, "caught_share"] == pytest.approx(s.loc[PLANNER, "caught"] / s.loc[PLANNER, "incidents"])
    assert s.loc[PLANNER, "area_km2"] == pytest.approx(s.loc[COUNT_DISCS, "area_km2"], rel=0.05)
    assert NEAR_REPEAT in bt.ratios()
    js = bt.to_json()
    assert js["vs"][COUNT_DISCS]["ratio"] == pytest.approx(r["ratio"], abs=1e-4)
    assert set(js["background_used"]) <= {"decay_26", "decay_104"}


@pytest.mark.parametrize("spacing", ["clear", "touch"])
def test_no_look_ahead_burglaries_after_the_date_change_nothing(moving, spacing):
    # the weight is chosen on past plans placed by the same spacing rule: each rule is its own path
    D = pd.Timestamp("2017-03-15")  # mid-week: its week's earlier days are not in the weekly forecast either
    later = moving[moving["occurred"] >= D].copy()
    later["geometry"] = gpd.points_from_xy(np.full(len(later), 1000.0), np.full(len(later), 1000.0))
    changed = pd.concat([moving[moving["occurred"] < D], later], ignore_index=True)
    got = []
    for inc in (moving, changed):
        planner = NanoBeatPlanner(inc, AREA, days=14, background="history")
        risk, about = TargetRisk(planner, 6, methods=("sepp", "decay_26"), spacing=spacing).risk(D)
        got.append((risk, about))
    np.testing.assert_array_equal(got[0][0], got[1][0])
    assert got[0][1] == got[1][1]


def test_plans_report_the_risk_method_and_dosage(moving):
    plan = NanoBeatPlanner(moving, AREA, days=14).solve("2017-06-05", n_targets=5)
    how = plan.risk_method
    assert how["background"] == "forecast" and how["method"] in ("sepp", "decay_26", "decay_52", "decay_104")
    assert 0 <= how["weight"] <= 1 and set(how["candidates"]) == {"sepp", "decay_26", "decay_52", "decay_104"}
    assert plan.dosage["officer_minutes"] == 5 * plan.dosage["visit_minutes"] * plan.dosage["visits_per_shift"]
    assert (plan.targets["visit_minutes"] == plan.dosage["visit_minutes"]).all()
    old = NanoBeatPlanner(moving, AREA, days=14, background="history").solve("2017-06-05", n_targets=5)
    assert old.risk_method["background"] == "history"
    assert how["target_shape"] == old.risk_method["target_shape"] == "disc"
    from hotspot.render.brief import patrol_brief

    brief = patrol_brief(plan, AREA)
    page = brief.to_html()
    assert f"{plan.dosage['officer_minutes']:g} officer-minutes per shift" in page
    assert f"forecast {how['method']} (chosen on earlier periods)" in page
    assert brief.to_json()["dosage"] == plan.dosage and brief.to_json()["risk_method"]["method"] == how["method"]


def test_dosage_follows_koper_and_refuses_nonsense():
    d = dosage(12)
    assert 10 <= d["visit_minutes"] <= 15 and d["revisit_within_hours"] <= 2
    assert d["officer_minutes"] == 12 * d["visit_minutes"] * d["visits_per_shift"]
    assert dosage(3, visit_minutes=10, visits=2)["officer_minutes"] == 60
    with pytest.raises(OptionError):
        dosage(3, visit_minutes=0)
    with pytest.raises(OptionError):
        backtest_targets(_moving_hotspots().head(50), AREA, n_targets=0)


def test_backtest_targets_command_json_matches_the_api(tmp_path, moving):
    import json
    import subprocess
    import sys
    from pathlib import Path

    csv = tmp_path / "records.csv"
    pd.DataFrame({"ref": moving["incident_id"], "occurred": moving["occurred"].dt.strftime("%Y-%m-%d"),
                  "easting": moving.geometry.x.round(3), "northing": moving.geometry.y.round(3)}).to_csv(csv, index=False)
    area_file = tmp_path / "area.geojson"
    gpd.GeoDataFrame({"name": ["test"]}, geometry=[AREA.geometry], crs=27700).to_file(area_file)
    cli = Path(__file__).resolve().parents[1] / "cli.py"
    args = [csv, "--crs", "EPSG:27700", "--crime-type", "all", "--area-file", area_file, "--area", "test",
            "--targets", "6", "--target-radius", "100", "--from", "2017-01-02", "--to", "2017-06-26", "--step", "4"]
    r = subprocess.run([sys.executable, str(cli), "backtest", *map(str, args), "--json"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert js["targets"] == 6 and js["target_radius_m"] == 100 and js["plans"] == 7 and js["horizon"] == "7 days"
    assert set(js["vs"]) == {COUNT_DISCS, NEAR_REPEAT}
    api = backtest_targets(moving, AREA, n_targets=6, start="2017-01-02", end="2017-06-26", step=4)
    assert js["methods"][PLANNER]["caught"] == int(api.summary.set_index("method").loc[PLANNER, "caught"])
    bad = subprocess.run([sys.executable, str(cli), "backtest", *map(str, args[:-8]), "--targets", "0"],
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: Invalid value: --targets 0 --target-radius 100: need at least 1 target of a positive radius (metres) "
        "(see hotspot backtest --help)"]


def test_risk_shaped_targets_keep_the_risky_cells_of_the_disc_only():
    from hotspot.nanobeats import _disc, select_targets

    rng = np.random.default_rng(5)
    risk = rng.uniform(0, 1, (30, 30)) ** 8  # mostly near zero, a few risky cells
    risk /= risk.sum()
    mask = np.ones(risk.shape, bool)
    disc, excl = _disc(50, 100), _disc(50, 200)
    whole = select_targets(risk, mask, disc, excl, 5)
    shaped = select_targets(risk, mask, disc, excl, 5, keep=0.1)
    assert len(shaped) == len(whole)
    for w, s in zip(whole, shaped):
        ws, ss = set(map(tuple, w.tolist())), set(map(tuple, s.tolist()))
        peak = max(risk[r, c] for r, c in ws)
        assert ss <= ws and ss == {(r, c) for r, c in ws if risk[r, c] >= 0.1 * peak}
    assert sum(map(len, shaped)) < sum(map(len, whole))  # the outlines follow the risk, inside the same bound
