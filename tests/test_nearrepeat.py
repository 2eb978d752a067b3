"""Repeat/near-repeat classification, nano-beat targets and patrol routes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import DataPrecisionError, HotspotError
from hotspot.areas import area_from_geometry
from hotspot.nanobeats import NanoBeatPlanner, knox_window
from hotspot.nearrepeat import classify_repeats
from hotspot.routing import patrol_route, route_length


def incidents(rows, precision="day"):
    """rows: (x, y, date[, location])"""
    df = pd.DataFrame(rows, columns=["x", "y", "occurred", "location_text"][: len(rows[0])])
    if "location_text" not in df:
        df["location_text"] = ""
    df["occurred"] = pd.to_datetime(df["occurred"])
    df["incident_id"] = [f"i{k}" for k in range(len(df))]
    df["date_precision"] = precision
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs=27700)


AREA = area_from_geometry(box(0, 0, 5000, 5000), 27700, "test")


def test_classification_on_a_hand_made_case():
    inc = incidents([
        (1000, 1000, "2024-01-01"),  # 0 originator of a chain
        (1000, 1000, "2024-01-05"),  # 1 repeat (same place, 4 days later)
        (1100, 1000, "2024-01-08"),  # 2 near-repeat (100 m, 3 days after #1)
        (1100, 1000, "2024-03-01"),  # 3 isolated (too late)
        (4000, 4000, "2024-01-02"),  # 4 isolated (far)
        (2000, 2000, "2024-02-01"),  # 5 originator (same day tie, first in input)
        (2050, 2000, "2024-02-01"),  # 6 near-repeat
    ])
    out = classify_repeats(inc, distance=200, days=14)
    assert list(out["label"]) == ["originator", "repeat", "near-repeat", "isolated", "isolated",
                                  "originator", "near-repeat"]
    assert list(out["chain_id"]) == [0, 0, 0, -1, -1, 1, 1]
    assert list(out["chain_size"]) == [3, 3, 3, 1, 1, 2, 2]


def test_classification_window_is_half_open():
    inc = incidents([(0, 0, "2024-01-01"), (200, 0, "2024-01-02"), (0, 100, "2024-01-15")])
    out = classify_repeats(inc, distance=200, days=14)  # 200 m is not < 200; 14 days is not < 14
    assert list(out["label"]) == ["isolated"] * 3


def test_classification_refuses_month_dates():
    inc = incidents([(0, 0, "2024-01-01"), (10, 0, "2024-01-01"), (0, 10, "2024-02-01")], precision="month")
    with pytest.raises(DataPrecisionError):
        classify_repeats(inc)
    assert classify_repeats(inc, days=1, time_unit="months")["label"].tolist() == ["originator", "near-repeat", "isolated"]


def test_nanobeat_expiry_and_patrol_order():
    inc = incidents([
        (1000, 1000, "2024-03-01", "On or near Oak Road"),
        (1020, 1010, "2024-03-10", "On or near Oak Road"),
        (4000, 1000, "2024-03-12", "On or near Elm Street"),
        (1000, 4000, "2024-03-13", "On or near Ash Lane"),
        (2500, 2500, "2023-01-01", "On or near Old Street"),  # too old for the near-repeat window
    ])
    planner = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.0)
    plan = planner.solve("2024-03-14", n_targets=5, start=(0, 0))
    t = plan.targets
    assert len(t) == 3  # the 2023 burglary carries no near-repeat risk
    oak = t[t["label"] == "On or near Oak Road"].iloc[0]
    assert oak["n_sources"] == 2
    assert oak["first_source"] == pd.Timestamp("2024-03-01") and oak["last_source"] == pd.Timestamp("2024-03-10")
    assert oak["active_until"] == pd.Timestamp("2024-03-24")  # last source + 14 days
    # recency-weighted: Ash Lane (1 day old: 13/14) > Elm Street (2 days: 12/14)
    # > Oak Road (13 and 4 days: 1/14 + 10/14)
    assert list(t.sort_values("rank")["label"]) == ["On or near Ash Lane", "On or near Elm Street", "On or near Oak Road"]
    # closed route from (0, 0): Oak (1000,1000), then either way round; 2-opt finds the square
    assert list(t["patrol_order"]) == [1, 2, 3]
    assert t.iloc[0]["label"] == "On or near Oak Road"
    assert plan.route_length_m == pytest.approx(
        route_length(np.array([(0, 0), *t[["centroid_x", "centroid_y"]].to_numpy()]), [0, 1, 2, 3], True))
    # targets are compact discs of radius 100 m on 50 m cells, inside the area
    assert (t["area_m2"] <= 13 * 2500).all()
    assert all(AREA.geometry.contains(g) for g in t.geometry)


def test_nanobeat_history_keeps_a_repeatedly_burgled_spot_at_risk():
    old = [(3000, 3000, f"2023-{m:02d}-10") for m in range(1, 12)]  # burgled every month in 2023
    inc = incidents(old + [(1000, 1000, "2024-03-10")])
    nr_only = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.0).solve("2024-03-14", n_targets=1)
    mixed = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.75).solve("2024-03-14", n_targets=1)
    assert nr_only.targets.iloc[0]["centroid_x"] == pytest.approx(1025, abs=50)
    assert mixed.targets.iloc[0]["centroid_x"] == pytest.approx(3025, abs=50)


def test_nanobeat_uses_only_the_past():
    inc = incidents([(1000, 1000, "2024-03-10"), (4000, 4000, "2024-03-20")])
    plan = NanoBeatPlanner.from_window(inc, AREA, history_weight=0.0).solve("2024-03-14", n_targets=5)
    assert len(plan.targets) == 1 and plan.targets.iloc[0]["centroid_x"] < 2000


def test_monthly_variant_is_announced():
    inc = incidents([(1000, 1000, "2024-01-01"), (1010, 1000, "2024-02-01")], precision="month")
    plan = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=2).solve("2024-03-15", n_targets=3)
    assert plan.variant == "monthly" and "monthly variant" in plan.notes[0]
    assert plan.targets.iloc[0]["active_until"] == pd.Timestamp("2024-04-30")


def test_window_from_knox_json():
    obj = {"distance_bands": [[0, 1], [1, 200], [200, 400], [400, None]], "time_bands": [[0, 7], [7, 14], [14, None]],
           "ratio": [[3, 1.5, 1], [1.4, 1.3, 1], [1.25, 1.0, 1], [1, 1, 1]],
           "p_value": [[0.001, 0.01, 0.5], [0.001, 0.02, 0.4], [0.04, 0.3, 0.5], [1, 1, 1]]}
    assert knox_window(obj) == (400.0, 14.0)
    obj["p_value"][2][0] = 0.2
    assert knox_window(obj) == (200.0, 14.0)
    with pytest.raises(HotspotError):
        knox_window({"ratio": []})


def brute_force_tour(points, start):
    import itertools

    best = None
    for perm in itertools.permutations(range(len(points))):
        L = route_length(np.vstack([start, points]), [0, *[p + 1 for p in perm]], True)
        best = L if best is None or L < best else best
    return best


@pytest.mark.parametrize("seed", range(5))
def test_route_is_close_to_optimal(seed):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 5000, (7, 2))
    order, length = patrol_route(pts, (0, 0))
    assert sorted(order) == list(range(7))
    opt = brute_force_tour(pts, np.array([0.0, 0.0]))
    assert length <= 1.10 * opt  # NN + 2-opt: within 10 % of the optimum on 7 stops
    assert length == pytest.approx(route_length(np.vstack([[0, 0], pts]), [0, *[o + 1 for o in order]], True))


def test_street_segment_targets_follow_the_street():
    from shapely.geometry import LineString

    roads = gpd.GeoDataFrame({"road": ["Oak Road", "Elm Street"]},
                             geometry=[LineString([(500, 1000), (4500, 1000)]), LineString([(500, 3000), (4500, 3000)])],
                             crs=27700)
    inc = incidents([
        (2000, 1020, "2024-03-10", "On or near Supermarket"),
        (2080, 990, "2024-03-12", "On or near Supermarket"),
        (4000, 3030, "2024-01-01", "On or near Elm Street"),  # outside the 14-day window
    ])
    planner = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.0, roads=roads)
    plan = planner.solve("2024-03-14", n_targets=3)
    t = plan.targets
    assert len(t) == 1 and plan.variant == "daily streets"
    assert t.iloc[0]["label"] == "Oak Road"  # labelled by the street, not the snap-point text
    g = t.geometry.iloc[0]
    assert g.intersects(LineString([(1900, 1000), (2200, 1000)])) and not g.intersects(roads.geometry.iloc[1])
    assert abs(g.centroid.y - 1000) < 1 and 1900 < g.centroid.x < 2200
    assert t.iloc[0]["n_sources"] == 2 and t.iloc[0]["active_until"] == pd.Timestamp("2024-03-26")


def test_street_segments_need_the_area_crs():
    from shapely.geometry import LineString

    roads = gpd.GeoDataFrame({"road": ["x"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326)
    inc = incidents([(1000, 1000, "2024-03-10")])
    with pytest.raises(HotspotError, match="area's CRS"):
        NanoBeatPlanner.from_window(inc, AREA, roads=roads)
