"""Camera siting (MCLP, greedy, partial covering) and cross-border figures."""

from __future__ import annotations

from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from hotspot._errors import CRSError, ModelError
from hotspot.anpr import CameraSiting
from hotspot.areas import area_from_geometry
from hotspot.crossborder import border_concentration, border_zones, density_by_neighbour, road_crossings


def instance(seed, n_dem=30, n_cand=9, n_exist=2, size=3000):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, size, (n_dem, 2)), rng.integers(0, 20, n_dem).astype(float),
            rng.uniform(0, size, (n_cand, 2)), rng.uniform(0, size, (n_exist, 2)))


@pytest.mark.parametrize("seed", range(8))
def test_mclp_optimum_equals_brute_force(seed):
    D, w, C, E = instance(seed)
    model = CameraSiting(D, w, C, E, radius=600)
    for k in (1, 2, 3):
        res = model.solve(k)
        best = max(model.covered_weight(c) for c in combinations(range(len(C)), k))
        assert res.optimal and res.coverage_after * model.total == pytest.approx(best)
        assert res.greedy_coverage <= res.coverage_after + 1e-12  # greedy never beats the optimum
        # k asked, n useful: only sites that add coverage are listed
        assert len(res.sites) == res.k_useful <= k and res.k_useful + len(res.unused) == k
        assert (res.sites["marginal_gain"] > 0).all()


def test_mclp_matches_spopt():
    import pulp
    from spopt.locate import MCLP

    D, w, C, _ = instance(11, n_dem=400, n_cand=60, n_exist=0, size=8000)
    ours = CameraSiting(D, w, C, radius=700).solve(6)
    cost = np.hypot(D[:, None, 0] - C[None, :, 0], D[:, None, 1] - C[None, :, 1])
    ref = MCLP.from_cost_matrix(cost, w, service_radius=700, p_facilities=6).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.coverage_after * w.sum() == pytest.approx(pulp.value(ref.problem.objective))


def test_existing_cameras_stay_and_count_before():
    D, w, C, E = instance(3)
    with_e = CameraSiting(D, w, C, E, radius=600)
    pre = np.hypot(D[:, None, 0] - E[None, :, 0], D[:, None, 1] - E[None, :, 1]).min(axis=1) <= 600
    res = with_e.solve(2)
    assert res.coverage_before == pytest.approx(w[pre].sum() / w.sum())
    # the new sites are candidates, never the existing cameras, and demand
    # already covered never counts as a gain
    assert set(res.sites["site_id"]) <= {f"S{j}" for j in range(len(C))}
    assert res.coverage_after >= res.coverage_before
    assert res.marginal["coverage_after"].iloc[-1] == pytest.approx(res.coverage_after)


@given(st.integers(0, 10_000), st.integers(1, 4), st.floats(200, 900))
@settings(max_examples=25, deadline=None)
def test_coverage_never_falls_as_k_or_radius_grows(seed, k, radius):
    D, w, C, E = instance(seed, n_dem=25, n_cand=8)
    a = CameraSiting(D, w, C, E, radius=radius).solve(k).coverage_after
    b = CameraSiting(D, w, C, E, radius=radius).solve(k + 1).coverage_after
    c = CameraSiting(D, w, C, E, radius=radius * 1.3).solve(k).coverage_after
    assert b >= a - 1e-12 and c >= a - 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_min_cameras_is_the_smallest_k_reaching_the_target(seed):
    D, w, C, E = instance(seed)
    model = CameraSiting(D, w, C, E, radius=600)
    target = 0.6
    if (model.before + model.row_weights.sum()) / model.total < target:
        with pytest.raises(ModelError, match="no choice of sites"):
            model.min_cameras(target)
        return
    n, sites = model.min_cameras(target)
    assert model.covered_weight(sites) >= target * model.total - 1e-9
    smaller = [model.covered_weight(c) for c in combinations(range(len(C)), n - 1)] if n > 1 else [model.before]
    assert max(smaller) < target * model.total


def test_install_order_gains_decrease_and_sum_up():
    D, w, C, E = instance(5)
    res = CameraSiting(D, w, C, E, radius=600).solve(4)
    gains = res.sites["marginal_gain"].to_numpy()
    assert list(res.sites["install_order"]) == list(range(1, res.k_useful + 1))
    assert np.all(np.diff(gains) <= 1e-12)
    assert res.coverage_before + gains.sum() == pytest.approx(res.coverage_after)


def _pts(xy, crs=27700, **cols):
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(*np.asarray(xy).T), crs=crs)


def test_bad_inputs_are_clear_errors():
    dem = _pts([(0, 0), (100, 0)], demand=[1.0, 2.0])
    cand = _pts([(50, 0), (5000, 0)], site_id=["a", "b"])
    with pytest.raises(CRSError, match="candidates is in EPSG:3857 but demand is in EPSG:27700"):
        CameraSiting.from_geodataframes(dem, cand.set_crs(3857, allow_override=True))
    with pytest.raises(ModelError, match="no candidate sites"):
        CameraSiting.from_geodataframes(dem, cand.iloc[:0])
    assert CameraSiting.from_geodataframes(dem, cand).solve(3).k_asked == 3  # planned, not refused (issue 18)
    with pytest.raises(ModelError, match="outside the study region: b"):
        CameraSiting.from_geodataframes(dem, cand, region=box(-1000, -1000, 1000, 1000))


SQUARE = area_from_geometry(box(0, 0, 1000, 1000), 27700, "square")


def test_border_zone_shares_by_hand():
    z = border_zones(SQUARE, (100, 250))
    # a 1 km square: the band within 100 m of the edge is 1 - 0.8^2 = 36 % of it
    assert z["area_share"].tolist() == pytest.approx([0.36, 0.75])
    occ = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"])
    inc = gpd.GeoDataFrame({"occurred": occ}, geometry=gpd.points_from_xy([50, 500, 500, 950], [500, 500, 150, 980]),
                           crs=27700)
    c = border_concentration(inc, SQUARE, (100, 250))
    allrow = c[(c.month == "all") & (c.distance_m == 100)].iloc[0]
    assert allrow.in_zone == 2 and allrow.incident_share == 0.5 and allrow.ratio == pytest.approx(0.5 / 0.36)
    jan = c[(c.month == "2024-01") & (c.distance_m == 250)].iloc[0]
    assert jan.in_zone == 1 and jan.incidents == 2
    feb = c[(c.month == "2024-02") & (c.distance_m == 250)].iloc[0]
    assert feb.in_zone == 2


def test_within_distances_equals_measuring_every_distance():
    # the indexed test with a margin against shapely.distance <= d on a jagged ring with a hole: random points,
    # the vertices, points exactly at a cut-off from a vertex (ties) and points a hair either side of it
    from shapely.geometry import Polygon

    from hotspot.crossborder import within_distances

    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 2 * np.pi, 400))
    r = 3000 + rng.normal(0, 150, 400)
    ring = np.column_stack([r * np.cos(t), r * np.sin(t)]) + 500_000.0
    line = Polygon(ring, [ring[::7][::-1] * 0.25 + 375_000.0]).boundary
    c = shapely.get_coordinates(line)
    x = np.concatenate([rng.uniform(496_000, 504_000, 20_000), c[:, 0], c[:, 0] + 250.0, c[:, 0] - 500.0,
                        c[:, 0] + 250.0 + 1e-9, c[:, 0] + 1000.0 - 1e-9])
    y = np.concatenate([rng.uniform(496_000, 504_000, 20_000), c[:, 1], c[:, 1], c[:, 1], c[:, 1], c[:, 1]])
    d = shapely.distance(line, shapely.points(x, y))
    near = within_distances(line, x, y, (250.0, 500.0, 1000.0))
    for cut in (250.0, 500.0, 1000.0):
        assert np.array_equal(near[cut], d <= cut)
        assert 0 < near[cut].sum() < len(x)
    assert (d == 250.0).sum() > 0  # ties were tested


def test_density_either_side_by_hand():
    nb = gpd.GeoDataFrame({"name": ["east", "north"]}, geometry=[box(1000, 0, 2000, 1000), box(0, 1000, 1000, 2000)],
                          crs=27700)
    months = pd.to_datetime(["2024-01-01"] * 3 + ["2024-06-01"])
    inside = gpd.GeoDataFrame({"occurred": months}, geometry=gpd.points_from_xy([900, 950, 100, 500], [500, 200, 500, 500]), crs=27700)
    outside = gpd.GeoDataFrame({"occurred": pd.to_datetime(["2024-01-01", "2024-06-01"])},
                               geometry=gpd.points_from_xy([1100, 1500], [500, 500]), crs=27700)
    d = density_by_neighbour(inside, outside, SQUARE, nb, strip=200, min_density=0.5).set_index("neighbour")
    # east strip inside: x 800..1000 -> 2 burglaries in 0.2 km2 over 2 common months (1/6 year)
    assert d.loc["east", "inside_incidents"] == 2 and d.loc["east", "outside_incidents"] == 1
    # the shared edge is x = 1000 (plus up to 50 m of tolerance at the corners)
    assert 0.2 <= d.loc["east", "inside_km2"] <= 0.2 + 2 * 50 * 200 / 1e6
    assert d.loc["east", "inside_density"] == pytest.approx(2 / d.loc["east", "inside_km2"] / (2 / 12))
    assert np.isnan(d.loc["north", "outside_density"])  # no data at all north: not zero


def test_road_crossings_merge_carriageways():
    roads = gpd.GeoDataFrame({"road": ["A1", "A1", "B2"]}, geometry=[
        LineString([(500, -200), (500, 500)]), LineString([(520, -200), (520, 500)]),  # two carriageways
        LineString([(-100, 300), (1100, 300)])], crs=27700)  # crosses twice
    x = road_crossings(SQUARE, {"roads": roads}, merge_distance=60)
    assert sorted(x["road"]) == ["A1", "B2", "B2"]
    a1 = x[x.road == "A1"].iloc[0]
    assert a1.n_lines == 2 and a1.geometry.y == pytest.approx(0) and a1.geometry.x == pytest.approx(510)
    with pytest.raises(CRSError):
        road_crossings(SQUARE, {"roads": roads.to_crs(4326)})


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hotspot-tests">
  <node id="1" lat="51.5000" lon="-0.2000" version="1"/>
  <node id="2" lat="51.5100" lon="-0.2000" version="1"/>
  <node id="3" lat="51.5200" lon="-0.2000" version="1"/>
  <node id="4" lat="51.5100" lon="-0.2200" version="1"/>
  <node id="5" lat="51.5100" lon="-0.1800" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="name" v="High Road"/><tag k="ref" v="A1000"/></way>
  <way id="11" version="1"><nd ref="4"/><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="residential"/><tag k="name" v="Cross Street"/></way>
</osm>
"""


def test_crossings_from_an_openstreetmap_extract(tmp_path):
    """A full road network from a local OSM file (read with osmnx): a
    crossroads in the middle of a 1 km square crosses its edge four times;
    osmnx's two directed edges per street merge into one crossing each."""
    from hotspot.crossborder import read_roads
    from hotspot.crs import from_lonlat

    p = tmp_path / "extract.osm"
    p.write_text(OSM_XML)
    roads = read_roads(p, "EPSG:27700")
    assert set(roads["road"]) == {"A1000", "Cross Street"}
    x, y = from_lonlat([-0.2], [51.51], "EPSG:27700")
    square = area_from_geometry(box(x[0] - 500, y[0] - 500, x[0] + 500, y[0] + 500), 27700, "sq")
    xs = road_crossings(square, {"osm": roads})
    assert sorted(xs["road"]) == ["A1000", "A1000", "Cross Street", "Cross Street"]
    assert (xs["n_lines"] == 2).all()
    assert np.allclose(square.geometry.boundary.distance(gpd.GeoSeries(xs.geometry)), 0, atol=1e-6)


def test_zero_gain_sites_are_never_listed():
    # two demand points, five candidates: after two cameras nothing is left
    D = np.array([(0.0, 0.0), (5000.0, 0.0)])
    C = np.array([(10.0, 0.0), (20.0, 0.0), (5010.0, 0.0), (9000.0, 9000.0), (-9000.0, 9000.0)])
    res = CameraSiting(D, np.array([3.0, 1.0]), C, radius=100).solve(5)
    assert res.k == 5 and res.k_useful == 2 and len(res.unused) == 3
    assert res.sites["marginal_gain"].tolist() == pytest.approx([0.75, 0.25])
    j = res.to_json()
    assert j["k_asked"] == 5 and j["k_useful"] == 2 and len(j["sites"]) == 2


def test_sites_are_named_for_a_highways_engineer():
    from shapely.geometry import Polygon

    from hotspot.anpr import describe_sites

    area = area_from_geometry(box(0, 0, 1000, 1000), 27700, "A")
    sites = _pts([(0, 500), (1000, 500), (500, 0)], site_id=["C-1", "C-2", "C-3"],
                 road=["bus route 42", "M1", "High Road"])
    counts = _pts([(5, 505), (990, 500)], road=["A1000", "M1"], rcat=["PU", "TM"])
    postcodes = _pts([(0, 520), (1000, 400), (480, 10), (600, 600)], postcode=["AB1 1AA", "AB1 2BB", "AB1 3CC", "AB9 9ZZ"])
    neighbours = gpd.GeoDataFrame({"name": ["West", "East"]}, geometry=[box(-1000, 0, 0, 1000), box(1000, 0, 2000, 1000)],
                                  crs=27700)
    red = gpd.GeoDataFrame(geometry=[Polygon([(450, -20), (550, -20), (550, 20), (450, 20)])], crs=27700)
    out = describe_sites(sites, area, postcodes=postcodes, neighbours=neighbours, red_routes=red, count_points=counts)
    assert out["road"].tolist() == ["A1000", "M1", "High Road"]  # DfT road where the layer has only a bus route
    assert out["via"].tolist()[0] == "bus route 42"
    assert out["postcode"].tolist() == ["AB1 1AA", "AB1 2BB", "AB1 3CC"]
    assert out["neighbour"].tolist()[:2] == ["West", "East"]
    assert out["owner"].tolist() == ["borough road", "motorway (national highways)", "red route (TfL)"]


def test_anpr_cli_lists_useful_named_sites(tmp_path, shared_data):
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    D = shared_data
    r = subprocess.run([sys.executable, str(root / "cli.py"), "anpr", "--area-file", str(D / "boundaries/london_boroughs.geojson"),
                        "--area", "Enfield", "--incidents", str(D / "crime/barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv"),
                        "--neighbours-file", str(D / "boundaries/lads_london_and_herts_region.geojson"),
                        "--out", str(tmp_path / "s.geojson"), "--report", str(tmp_path / "anpr.html"), "--json"],
                       capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["k_asked"] == 20 and 0 < j["k_useful"] <= 20 and len(j["sites"]) == j["k_useful"]
    for s in j["sites"]:
        assert s["marginal_gain"] > 0 and s["postcode"] and s["owner"] and "neighbour" in s
    assert sum(s["marginal_gain"] for s in j["sites"]) == pytest.approx(j["coverage_after"] - j["coverage_before"], abs=1e-5)
    page = (tmp_path / "anpr.html").read_text()
    assert 'What "demand" means' in page and page.count('class="site-row"') == j["k_useful"]
    assert page.count('class="coverage-point"') == j["k_useful"] + 1
    if j["k_useful"] < 20:
        assert f"You asked for 20 cameras; <b>{j['k_useful']}</b> add coverage" in page


def test_road_layers_not_covering_the_boundary_are_flagged():
    from shapely.geometry import LineString

    from hotspot.anpr import boundary_covered

    area = area_from_geometry(box(0, 0, 10_000, 10_000), 27700, "A")
    west = gpd.GeoDataFrame({"road": ["A1"]}, geometry=[LineString([(-1000, -1000), (3000, 11_000)])], crs=27700)
    # the layer's box (x -1000..3000, grown 500 m) holds the west edge and
    # 3.5 km of the north and south edges: (10 + 2 * 3.5) / 40 of the boundary
    assert boundary_covered(area, {"w": west}) == pytest.approx(17 / 40)
    full = gpd.GeoDataFrame({"road": ["A1"]}, geometry=[LineString([(-100, -100), (10_100, 10_100)])], crs=27700)
    assert boundary_covered(area, {"w": west, "f": full}) == pytest.approx(1.0)


def test_sites_get_the_nearest_recorded_street():
    from hotspot.anpr import describe_sites
    from hotspot.places import street_points

    area = area_from_geometry(box(0, 0, 1000, 1000), 27700, "A")
    sites = _pts([(0, 500), (1000, 500)], site_id=["C-1", "C-2"], road=["bus route 42", "bus route 7"])
    inc = _pts([(30, 520), (40, 480), (600, 500)], location_text=["On or near Oak Road", "On or near Supermarket",
                                                                    "On or near Elm Street"])
    out = describe_sites(sites, area, streets=street_points(inc))
    # Supermarket is no street; Elm Street is 400 m away
    assert out["street"].iloc[0] == "Oak Road" and pd.isna(out["street"].iloc[1])


def test_plan_reports_the_boundary_share_of_the_road_layers():
    # the share the road layers reach, not the last min-cameras target (0.8 by default) it was once overwritten by
    from hotspot.anpr import boundary_covered, plan_anpr

    area = area_from_geometry(box(0, 0, 10_000, 10_000), 27700, "A")
    roads = gpd.GeoDataFrame({"road": ["A1", "A2"]}, crs=27700,
                             geometry=[LineString([(-500, 5000), (10_500, 5000)]), LineString([(5000, -500), (5000, 10_500)])])
    inc = _pts([(200, 5000), (9800, 5050), (5000, 300), (4950, 9700), (300, 4900)],
               location_text=["On or near A1"] * 2 + ["On or near A2"] * 3, occurred=pd.Timestamp("2024-01-01"))
    plan = plan_anpr(area, road_layers={"r": roads}, incidents=inc, k=2, targets=(0.5, 0.8))
    assert plan.boundary_share == pytest.approx(boundary_covered(area, {"r": roads})) == pytest.approx(1.0)
    assert not any("cover only" in n for n in plan.notes)


def test_road_layers_that_miss_the_area_are_named_in_the_refusal():
    from hotspot.anpr import plan_anpr
    from hotspot.areas import area_from_geometry

    area = area_from_geometry(box(0, 0, 1000, 1000), 27700, "Here")
    far = gpd.GeoDataFrame({"road": ["A1"]}, geometry=[LineString([(5000, 0), (6000, 0)])], crs=27700)
    inc = gpd.GeoDataFrame({"occurred": [pd.Timestamp("2024-01-01")]}, geometry=gpd.points_from_xy([500], [500]),
                           crs=27700)
    with pytest.raises(ModelError, match=r"no road of the road layers \(elsewhere\) crosses the boundary of Here "
                                         r"\(they cover 0% of it\): give a road layer of the area \(roads=\)"):
        plan_anpr(area, road_layers={"elsewhere": far}, incidents=inc)
