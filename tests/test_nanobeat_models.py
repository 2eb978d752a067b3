"""Nano-beat risk models behind one interface, the pure target selection,
and the nano-beat backtest in :mod:`hotspot.evaluation`."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from reference import brute_force_targets
from shapely.geometry import LineString, box

from hotspot.areas import area_from_geometry
from hotspot.evaluation import backtest_nanobeats
from hotspot.nanobeats import CellRisk, NanoBeatPlanner, RiskModel, SegmentRisk, _disc, select_segments, select_targets

AREA = area_from_geometry(box(0, 0, 3000, 3000), 27700, "test")


def incidents(rows):
    x, y, d = zip(*rows)
    return gpd.GeoDataFrame({"incident_id": [f"i{k}" for k in range(len(rows))], "occurred": pd.to_datetime(d),
                             "date_precision": "day", "crime_type": "Burglary", "location_text": ""},
                            geometry=gpd.points_from_xy(x, y), crs=27700)


@pytest.mark.parametrize("cell,radius", [(50, 100), (40, 100), (30, 100), (50, 40)])
def test_select_targets_at_the_edges_equals_brute_force_and_leaves_its_input_alone(cell, radius):
    rng = np.random.default_rng(cell * radius)
    shape = (23, 31)
    risk = np.zeros(shape)
    # risk piled into the corners and along the edges, where windows would be clipped
    for r, c in [(0, 0), (0, 30), (22, 0), (22, 30), (0, 15), (11, 0), (22, 14), (11, 30)]:
        risk[r, c] = rng.uniform(1, 2)
    risk += rng.uniform(0, 0.05, shape) * (rng.uniform(size=shape) < 0.2)
    risk /= risk.sum()
    mask = np.ones(shape, bool)
    mask[5:9, 20:26] = False  # a hole: no target cell there
    disc, excl = _disc(cell, radius), _disc(cell, 2 * radius)
    before = risk.copy()
    got = [sorted(map(tuple, t.tolist())) for t in select_targets(risk, mask, disc, excl, 12)]
    assert got == brute_force_targets(risk, mask, disc, excl, 12)
    assert len(got) >= 8  # every corner and edge pile is a target
    np.testing.assert_array_equal(risk, before)


def test_select_segments_groups_nearby_segments_and_moves_on():
    mid = np.array([[0, 0], [50, 0], [150, 0], [1000, 0], [1060, 0], [5000, 0]], float)
    risk = np.array([0.3, 0.1, 0.05, 0.25, 0.0, 0.3])
    groups = select_segments(risk, mid, 100.0, 5)
    # best first; a group is the seed and the risky segments within the radius; a zero-risk neighbour stays out
    assert [g.tolist() for g in groups] == [[0, 1], [5], [3]]
    np.testing.assert_array_equal(risk, [0.3, 0.1, 0.05, 0.25, 0.0, 0.3])


def _roads():
    lines = [LineString([(x, 0), (x, 3000)]) for x in range(250, 3000, 500)]
    lines += [LineString([(0, y), (3000, y)]) for y in range(250, 3000, 500)]
    return gpd.GeoDataFrame({"road": [f"R{k}" for k in range(len(lines))]}, geometry=lines, crs=27700)


def test_both_risk_models_share_one_interface_and_the_plan_uses_the_chosen_one():
    rng = np.random.default_rng(5)
    pts = rng.uniform(200, 2800, (40, 2))
    inc = incidents([(x, y, f"2024-03-{1 + k % 12:02d}") for k, (x, y) in enumerate(pts)])
    cells = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14)
    streets = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, roads=_roads())
    assert isinstance(cells.model, CellRisk) and isinstance(streets.model, SegmentRisk)
    for planner in (cells, streets):
        model: RiskModel = planner.model
        nr, hist = model.components("2024-03-14")
        assert nr.sum() == pytest.approx(1.0) and hist.sum() == pytest.approx(1.0)
        risk = planner.risk("2024-03-14")
        assert risk.shape == nr.shape
        plan = planner.solve("2024-03-14", n_targets=4)
        # each target's risk is its units' risk, whatever the units are
        got = dict(zip(plan.targets["target_id"], plan.targets["risk"]))
        sums = model.group_sums(risk, plan.target_cells)
        assert [got[t] for t in plan.targets["target_id"]] == pytest.approx(sums)
    assert len(streets.segments) == len(streets.risk("2024-03-14"))
    assert streets.solve("2024-03-14", n_targets=4).variant == "daily streets"


def test_backtest_catches_a_burglary_that_keeps_coming_back():
    # one house burgled every 3 days; scattered one-off burglaries elsewhere
    days = pd.date_range("2024-01-01", "2024-04-30", freq="3D")
    rng = np.random.default_rng(1)
    rows = [(1510.0, 1490.0, d) for d in days]
    rows += [(x, y, d) for (x, y), d in zip(rng.uniform(100, 2900, (40, 2)),
                                             pd.to_datetime(rng.integers(0, 120, 40), unit="D", origin="2024-01-01"))]
    inc = incidents(rows)
    out = backtest_nanobeats(inc, AREA, start="2024-03-01", end="2024-04-15", step_days=7, horizons=(7,),
                             n_targets=1, random_draws=5, seed=2)
    nb = out[out["method"] == "nano-beat (history weight 0.75)"].iloc[0]
    repeats = sum(1 for d in days for D in pd.date_range("2024-03-01", "2024-04-15", freq="7D")
                  if D <= d < D + pd.Timedelta(days=7))
    assert nb["hits"] >= repeats  # every repeat at the house is caught
    assert nb["pai"] > out[out["method"] == "random cells"].iloc[0]["pai"]
    assert set(out["method"]) >= {"random cells", "KDE top cells (365 d)", "KDE patrol areas (365 d)"}
