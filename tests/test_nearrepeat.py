"""Repeat/near-repeat classification, nano-beat targets and patrol routes."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from reference import brute_force_targets
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
    # the history background (a location's decayed record); the forecast background is tests/test_targets.py's
    kw = dict(distance=200, days=14, background="history")
    nr_only = NanoBeatPlanner.from_window(inc, AREA, history_weight=0.0, **kw).solve("2024-03-14", n_targets=1)
    mixed = NanoBeatPlanner.from_window(inc, AREA, history_weight=0.75, **kw).solve("2024-03-14", n_targets=1)
    assert nr_only.targets.iloc[0]["centroid_x"] == pytest.approx(1025, abs=50)
    assert mixed.targets.iloc[0]["centroid_x"] == pytest.approx(3025, abs=50)


def test_nanobeat_uses_only_the_past():
    inc = incidents([(1000, 1000, "2024-03-10"), (4000, 4000, "2024-03-20")])
    plan = NanoBeatPlanner.from_window(inc, AREA, history_weight=0.0).solve("2024-03-14", n_targets=5)
    assert len(plan.targets) == 1 and plan.targets.iloc[0]["centroid_x"] < 2000


def test_monthly_variant_is_announced():
    inc = incidents([(1000, 1000, "2024-01-01"), (1010, 1000, "2024-02-01")], precision="month")
    plan = NanoBeatPlanner.from_window(inc, AREA, distance=200, months=2).solve("2024-03-15", n_targets=3)
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
    with pytest.raises(HotspotError, match="roads must be a projected CRS in metres"):
        NanoBeatPlanner.from_window(inc, AREA, roads=roads)
    with pytest.raises(HotspotError, match="roads is in EPSG:32630 but incidents is in EPSG:27700"):
        NanoBeatPlanner.from_window(inc, AREA, roads=roads.set_crs(32630, allow_override=True))


# --------------------------------------------------------------------------- issue 9: no misleading plan


def test_history_only_targets_have_no_expiry(tmp_path):
    from hotspot.nanobeats import write_plan

    old = [(3000, 3000, f"2023-{m:02d}-10", "On or near Oak Road") for m in range(1, 12)]
    inc = incidents(old + [(1000, 1000, "2024-03-10", "On or near Elm Street")])
    plan = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.75).solve("2024-03-14",
                                                                                                   n_targets=2)
    t = plan.targets.set_index("street")
    assert t.loc["Oak Road", "n_recent"] == 0 and pd.isna(t.loc["Oak Road", "active_until"])
    assert t.loc["Oak Road", "basis"] == "history only" and "within 200 m" not in t.loc["Oak Road", "why"]
    assert t.loc["Elm Street", "active_until"] == pd.Timestamp("2024-03-24")
    # the distance is the burglary's from the target's centre (issue 18), at most the 200 m window plus the radius
    why = re.match(r"1 burglary within (\d+) m of its centre, last 14 days \(10 Mar 2024\)", t.loc["Elm Street", "why"])
    assert why and int(why.group(1)) <= 300
    import json

    props = {f["properties"]["street"]: f["properties"]
             for f in json.loads(write_plan(plan, tmp_path / "nb.geojson").read_text())["features"]}
    assert props["Oak Road"]["active_until"] is None and props["Elm Street"]["active_until"] == "2024-03-24"


def test_month_only_dates_are_written_as_months(tmp_path):
    from hotspot.nanobeats import write_plan

    inc = incidents([(1000, 1000, "2024-01-01"), (1010, 1000, "2024-02-01")], precision="month")
    plan = NanoBeatPlanner.from_window(inc, AREA, distance=200, months=2).solve("2024-03-15", n_targets=3)
    frame = plan.to_csv_frame()
    assert frame.loc[0, "first_source"] == "2024-01" and frame.loc[0, "last_source"] == "2024-02"
    assert frame.loc[0, "active_until"] == "2024-04"  # end of April, shown as the month
    assert plan.format_date(plan.as_of) == "2024-03"
    for ext in ("csv", "geojson"):
        text = write_plan(plan, tmp_path / f"nb.{ext}").read_text()
        assert "2024-01" in text and "2024-01-01" not in text and "2024-04-30" not in text


@pytest.mark.parametrize("cell,radius", [(50, 100), (40, 100), (50, 75), (30, 100), (50, 40), (100, 100)])
def test_target_selection_equals_brute_force_for_any_cell_and_radius(cell, radius):
    rng = np.random.default_rng(cell + radius)
    pts = rng.uniform(300, 4700, (60, 2))
    inc = incidents([(x, y, f"2024-03-{1 + k % 12:02d}") for k, (x, y) in enumerate(pts)])
    planner = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, cell=cell, target_radius=radius)
    risk = planner.risk("2024-03-14")
    got = [sorted(map(tuple, c)) for c in planner.select_cells(risk, 8)]
    assert got == brute_force_targets(risk, planner.mask, planner._disc, planner._excl, 8)
    plan = planner.solve("2024-03-14", n_targets=8)  # and the whole plan runs
    assert 1 <= len(plan.targets) <= 8


def test_bad_cell_or_radius_is_a_clear_error():
    inc = incidents([(1000, 1000, "2024-03-10")])
    with pytest.raises(HotspotError, match="must be positive"):
        NanoBeatPlanner.from_window(inc, AREA, cell=0)
    with pytest.raises(HotspotError, match="no incidents"):
        NanoBeatPlanner.from_window(inc.iloc[:0], AREA)


BARNETISH = area_from_geometry(box(520_000, 185_000, 530_000, 195_000), 27700, "box")


def test_start_swapped_or_outside_is_an_error():
    from hotspot.crs import to_lonlat
    from hotspot.routing import check_start

    lon, lat = (float(v[0]) for v in to_lonlat([525_000], [190_000], "EPSG:27700"))
    x, y = check_start(lon, lat, BARNETISH)
    assert x == pytest.approx(525_000, abs=1e-3) and y == pytest.approx(190_000, abs=1e-3)
    with pytest.raises(HotspotError, match="looks like LAT,LON"):
        check_start(lat, lon, BARNETISH)
    with pytest.raises(HotspotError, match="km outside box"):
        check_start(lon + 0.2, lat, BARNETISH)
    with pytest.raises(HotspotError, match="out of range"):
        check_start(500.0, 91.0, BARNETISH)
    inc = incidents([(525_000, 190_000, "2024-03-10")])
    with pytest.raises(HotspotError, match="LAT,LON"):
        NanoBeatPlanner.from_window(inc, BARNETISH).solve("2024-03-14", start_lonlat=(lat, lon))


def _street_grid():
    """A 5 x 5 street grid, 500 m blocks, named streets."""
    from shapely.geometry import LineString

    lines, names = [], []
    for k in range(5):
        lines.append(LineString([(500, 500 + 1000 * k), (4500, 500 + 1000 * k)]))
        names.append(f"Row {k} Road")
        lines.append(LineString([(500 + 1000 * k, 500), (500 + 1000 * k, 4500)]))
        names.append(f"Col {k} Street")
    return gpd.GeoDataFrame({"road": names}, geometry=lines, crs=27700)


def test_route_follows_the_streets_with_shortest_paths():
    import networkx as nx

    from hotspot.routing import StreetNetwork

    roads = _street_grid()
    net = StreetNetwork(roads)
    # crossings were noded: the grid has 25 junctions and 40 blocks
    assert net.graph.number_of_nodes() == 25 + 0 and net.graph.number_of_edges() == 40
    inc = incidents([(1500, 1510, "2024-03-10"), (3500, 3490, "2024-03-11"), (1500, 3500, "2024-03-12")])
    plan = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.0).solve(
        "2024-03-14", n_targets=3, start=(500, 500), network=net)
    assert plan.route_on_streets and len(plan.legs.lines) == 4
    # every leg is a shortest street path (Manhattan on the grid) plus the
    # connectors from the target centres to the nearest junction
    pts = plan.route_points()
    for (a, b), ln in zip(zip(pts[:-1], pts[1:]), plan.legs.lines):
        _, (ia, ib) = net.nearest(np.array([a, b]))
        na, nb = tuple(net.nodes[ia]), tuple(net.nodes[ib])
        sp = nx.shortest_path_length(net.graph, na, nb, weight="length")
        assert ln.length == pytest.approx(np.hypot(a[0] - na[0], a[1] - na[1]) + sp + np.hypot(b[0] - nb[0], b[1] - nb[1]))
    straight = NanoBeatPlanner.from_window(inc, AREA, distance=200, days=14, history_weight=0.0).solve(
        "2024-03-14", n_targets=3, start=(500, 500))
    assert not straight.route_on_streets and any("as the crow flies" in n for n in straight.notes)
    assert plan.route_length_m > straight.route_length_m  # streets are never shorter than straight lines


def test_disconnected_street_layer_draws_that_leg_straight():
    from shapely.geometry import LineString

    from hotspot.routing import StreetNetwork, route_legs

    roads = gpd.GeoDataFrame({"road": ["A", "B"]}, geometry=[LineString([(0, 0), (1000, 0)]),
                                                              LineString([(0, 3000), (1000, 3000)])], crs=27700)
    legs = route_legs([(0, 0), (1000, 0), (1000, 3000)], StreetNetwork(roads))
    assert legs.on_streets == [True, False] and not legs.all_on_streets
    assert legs.length_m == pytest.approx(1000 + 3000)
