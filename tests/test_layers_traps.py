"""Issue 18: the run's options reach every stage, units get households by
areal interpolation (or are refused), and the ANPR / cross-border traps a
new user met (each a test that failed before the fix)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from hotspot._errors import HotspotError, ModelError
from hotspot.anpr import CameraSiting
from hotspot.areas import area_from_geometry

ROOT = Path(__file__).resolve().parents[1]


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def _pts(xy, crs=27700, **cols):
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(*np.asarray(xy, float).T), crs=crs)


def _incidents(xy, months, prefix="own"):
    """Incidents as the intake gives them: id, month, point (EPSG:27700)."""
    g = _pts(xy, incident_id=[f"{prefix}{k}" for k in range(len(xy))])
    g["occurred"] = pd.to_datetime(months)
    g["date_precision"] = "month"
    g["crime_type"] = "Burglary"
    return g


# ----------------------------------------------------------------- the run's options reach every stage


def test_run_roads_and_cell_reach_the_nanobeats_and_the_brief(tmp_path):
    """`run --roads F --cell C` plans nano-beats as `brief --roads F --cell C`
    does: risk per street, a route along the streets, streets in the brief.
    Before, the run's nano-beats ignored both (cell 50 m, straight legs)."""
    from test_anpr import OSM_XML

    from hotspot.areas import load_area
    from hotspot.crossborder import read_roads
    from hotspot.intake import read_incidents
    from hotspot.nanobeats import NanoBeatOptions, plan_nanobeats
    from hotspot.pipeline import RunConfig, run_area

    (tmp_path / "x.osm").write_text(OSM_XML)
    rows = [{"id": f"b{k}", "date": f"2024-03-{20 + k:02d}", "lon": lon, "lat": lat, "crime_type": "Burglary"}
            for k, (lon, lat) in enumerate([(-0.2, 51.5075), (-0.2001, 51.5077), (-0.2046, 51.5100),
                                            (-0.2044, 51.5101), (-0.1999, 51.5140)])]
    pd.DataFrame(rows).to_csv(tmp_path / "inc.csv", index=False)
    gpd.GeoDataFrame({"name": ["Here"]}, geometry=[box(-0.215, 51.502, -0.185, 51.518)], crs=4326).to_file(
        tmp_path / "area.geojson")
    cfg = RunConfig(area_file=tmp_path / "area.geojson", area="Here", incidents=[tmp_path / "inc.csv"],
                    street_files=[tmp_path / "x.osm"], cell_m=25.0, nanobeat_targets=3)
    res = run_area(cfg, tmp_path / "maps", reports=tmp_path / "rep", stages=["nano-beats", "audiences"],
                   gi_star_layer=False)
    nb = res.summary["nanobeats"]
    assert nb["route_on_streets"] is True and nb["cell_m"] == 25.0
    area = load_area(tmp_path / "area.geojson", "Here")
    inc = read_incidents(tmp_path / "inc.csv", area=area).incidents
    direct = plan_nanobeats(inc, area, res.summary["as_of"], NanoBeatOptions(cell=25.0, n_targets=3),
                            roads=read_roads(tmp_path / "x.osm", area.crs))
    assert len(direct.targets) == nb["targets"] > 0
    assert nb["route_length_m"] == pytest.approx(direct.route_length_m, abs=0.1)
    ran = gpd.read_file(res.outputs["nano-beats"])
    assert sorted(ran["target_id"]) == sorted(direct.targets["target_id"])
    # the brief names the street of every target from the run's roads
    assert res.summary["brief"]["with_street"] == res.summary["brief"]["targets"] == nb["targets"]


# ----------------------------------------------------------------- households by areal interpolation


def test_unit_households_interpolated_from_lsoas_say_which_and_how_much():
    from hotspot.campaigns import campaign_units

    area = area_from_geometry(box(0, 0, 2000, 1000), 27700, "A")
    lsoas = gpd.GeoDataFrame({"unit": ["L1", "L2"], "name": ["L1", "L2"], "households": [400, 1000]},
                             geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=27700)
    # W1 holds all of L1 and a quarter of L2; W2 the other three quarters of L2
    wards = gpd.GeoDataFrame({"ward": ["W1", "W2"]}, geometry=[box(0, 0, 1250, 1000), box(1250, 0, 2000, 1000)],
                             crs=27700)
    u = campaign_units(area, units=wards, unit_column="ward", lsoas=lsoas).set_index("unit")
    assert u.loc["W1", "households"] == 400 + 250 and u.loc["W2", "households"] == 750
    assert u.loc["W1", "households_from"] == "L1 100%; L2 25%"
    assert u.loc["W2", "households_from"] == "L2 75%"


def test_units_the_lsoas_do_not_cover_are_refused():
    from hotspot.campaigns import campaign_units

    area = area_from_geometry(box(0, 0, 2000, 1000), 27700, "A")
    lsoas = gpd.GeoDataFrame({"unit": ["L1"], "name": ["L1"], "households": [400]}, geometry=[box(0, 0, 1000, 1000)],
                             crs=27700)
    wards = gpd.GeoDataFrame({"ward": ["W1", "W2"]}, geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                             crs=27700)
    with pytest.raises(HotspotError, match=r"households cannot be interpolated for 1 of 2 units: W2 \(0%\)"):
        campaign_units(area, units=wards, unit_column="ward", lsoas=lsoas)


# ----------------------------------------------------------------- ANPR and cross-border traps


def test_by_neighbour_adds_up_to_the_window_total():
    """The 12-month context's split by neighbour counts the same 12 months."""
    from hotspot.context import build_context

    area = area_from_geometry(box(0, 0, 1000, 1000), 27700, "A")
    nb = gpd.GeoDataFrame({"name": ["A", "East"]}, geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                          crs=27700)
    months = [f"20{y}-{m:02d}-01" for y in (22, 23, 24) for m in range(1, 13)]
    outside = _incidents([(1100, 500)] * len(months), months, prefix="out")
    own = _incidents([(900, 500)] * len(months), months)
    ctx = build_context(area, outside, own=own, buffer_m=500, neighbours=nb)
    recent = ctx.recent(12, own["occurred"].max()).to_json()
    assert recent["context_incidents"] == 12
    assert sum(recent["by_neighbour"].values()) == 12 and recent["by_neighbour"]["East"] == 12


def _strip_world():
    """A 2 x 1 km area whose eastern neighbour is another force's district:
    its only records are 12 strays on the boundary line (the area has ~400
    burglaries a year near it)."""
    area = area_from_geometry(box(0, 0, 2000, 1000), 27700, "Here")
    nb = gpd.GeoDataFrame({"name": ["Here", "Forest"]},
                          geometry=[box(0, 0, 2000, 1000), box(2000, -3000, 6000, 4000)], crs=27700)
    rng = np.random.default_rng(0)
    months = pd.date_range("2024-01-01", "2024-12-01", freq="MS").repeat(40)
    own = _incidents(np.c_[rng.uniform(1000, 1999, len(months)), rng.uniform(0, 1000, len(months))], months)
    strays = _incidents(np.c_[np.full(12, 2010.0), np.linspace(50, 950, 12)], months[:: len(months) // 12][:12], prefix="stray")
    roads = gpd.GeoDataFrame({"road": ["A1"]}, geometry=[LineString([(-500, 500), (2500, 500)])], crs=27700)
    return area, nb, own, strays, roads


def test_stray_records_of_another_force_are_missing_data_as_in_the_run():
    from hotspot.context import build_context
    from hotspot.crossborder import neighbours_without_data
    from hotspot.jobs.anpr import plan_anpr_for_area

    area, nb, own, strays, roads = _strip_world()
    ctx = build_context(area, strays, own=own, buffer_m=1750, neighbours=nb)
    assert "Forest" not in ctx.missing  # 12 strays pass the context's own rule (at most 3)...
    assert neighbours_without_data(own, strays, area, nb.iloc[1:]) == ["Forest"]  # ...not the cross-border stage's
    plan = plan_anpr_for_area(area, own, road_layers={"r": roads}, neighbours=nb.iloc[1:], context=ctx, cameras=2)
    assert "Forest" in plan.context["missing_neighbours"]
    assert any(n.startswith("no data for Forest") for n in plan.notes)


def test_more_cameras_than_candidate_sites_plans_the_useful_ones():
    D = np.array([(0.0, 0.0), (100.0, 0.0)])
    C = np.array([(50.0, 0.0), (5000.0, 0.0)])
    res = CameraSiting(D, np.array([1.0, 2.0]), C, radius=100).solve(3)
    assert res.k_asked == 3 and res.k_useful == 1 and res.coverage_after == pytest.approx(1.0)
    with pytest.raises(ModelError, match=r"k=\) must be at least 1") as e:
        CameraSiting(D, np.array([1.0, 2.0]), C, radius=100).solve(0)
    assert "k =" not in str(e.value)


def test_anpr_report_wording_follows_the_traffic_data():
    from hotspot.anpr import plan_anpr
    from hotspot.render.anpr_report import anpr_report_html

    area, nb, own, _, roads = _strip_world()
    plan = plan_anpr(area, road_layers={"r": roads}, incidents=own, k=20)
    html = anpr_report_html(plan, "Here")
    assert "no traffic counts" in " ".join(plan.notes)
    assert "traffic &times; burglary risk" not in html and "busiest crossings are all covered" not in html
    assert "No crossing had a traffic count" in html
    # 20 asked, fewer candidate sites: planned, and said in options' words
    assert plan.result.k_asked == 20 and 1 <= plan.result.k_useful < 20
    assert "You asked for 20 cameras" in html and "candidate sites" in html
    counts = _pts([(-100, 500), (2100, 500)], cp=[1, 2], road=["A1", "A1"], flow=[900.0, 1100.0])
    html = anpr_report_html(plan_anpr(area, road_layers={"r": roads}, incidents=own, count_points=counts, k=1), "Here")
    assert "traffic &times; burglary risk" in html


def test_anpr_own_roads_keep_the_reference_layers(tmp_path, shared_data):
    """`anpr --roads F` without --data: the traffic cameras, traffic counts
    and red routes of the reference data stay (Merton: the A3, a red route,
    called a borough road before). The TfL JamCams stay as context beside
    the sites, never as cover: with no --existing ANPR layer nothing is
    already covered, and the plan says so."""
    D = shared_data
    r = cli("anpr", "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Merton",
            "--incidents", D / "crime/london_burglary_police_uk_2013-12_2025-02.parquet",
            "--roads", D / "roads/london_tfl_bus_routes_2018.geojson",
            "--roads", D / "roads/london_osm_motorways.geojson", "--out", tmp_path / "s.geojson", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["coverage_before"] == 0  # JamCams read no number plate: no cover without the user's ANPR layer
    assert any(n.startswith("no existing ANPR layer given") for n in j["notes"])
    assert any(s["traffic_camera_m"] is not None and 0 <= s["traffic_camera_m"] <= 500 for s in j["sites"])
    assert "red route (TfL)" in {s["owner"] for s in j["sites"]}
    assert not any("no traffic counts" in n for n in j["notes"])


def test_anpr_context_on_the_default_layers_flags_another_force(tmp_path, shared_data):
    """Redbridge with no --neighbours-file: Epping Forest (Essex Police, not
    in the file) is missing data, as with the districts layer; the split by
    neighbour adds up to the 12 months' total (it summed every month)."""
    D = shared_data
    london = D / "crime/london_burglary_police_uk_2013-12_2025-02.parquet"
    r = cli("anpr", "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Redbridge",
            "--incidents", london, "--context", london, "--out", tmp_path / "s.geojson", "--json")
    assert r.returncode == 0, r.stderr
    ctx = json.loads(r.stdout)["context"]
    assert "Epping Forest" in ctx["missing_neighbours"]
    assert sum(ctx["by_neighbour"].values()) == ctx["context_incidents"] > 0


def test_a_red_route_layer_without_the_area_names_no_borough_road():
    """Harrow has no row in the TLRN layer: its roads are not called borough
    roads on that layer's word, and the plan says why."""
    from hotspot.anpr import describe_sites, red_route_caveat

    area = area_from_geometry(box(0, 0, 1000, 1000), 27700, "Here")
    sites = _pts([(0, 500), (1000, 500)], site_id=["C-1", "C-2"], road=["High Road", "M1"])
    elsewhere = gpd.GeoDataFrame(geometry=[box(5000, 0, 5100, 1000)], crs=27700)
    out = describe_sites(sites, area, red_routes=elsewhere)
    assert out["owner"].tolist() == ["unknown (no red-route data for the area)", "motorway (national highways)"]
    assert "no polygon in Here" in red_route_caveat(elsewhere, area)
    assert red_route_caveat(gpd.GeoDataFrame(geometry=[box(400, 400, 600, 600)], crs=27700), area) is None


@pytest.mark.browser
def test_campaign_map_shows_the_plans_caveats(tmp_path, browser):
    """The campaign page says what its layers cannot tell (escaped), in Chromium with no JS error."""
    from browser import load_map

    from hotspot.campaigns import plan_campaign
    from hotspot.render.leaflet import HotspotMap
    from hotspot.render.maps import add_campaign

    area = area_from_geometry(box(0, 0, 2000, 1000), 27700, "A")
    units = gpd.GeoDataFrame({"unit": ["L1", "L2"], "name": ["L1", "L2"], "households": [400, 1000]},
                             geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=27700)
    units.attrs["source"] = "boundaries/london_lsoa2011.geojson"
    rng = np.random.default_rng(0)
    months = pd.date_range("2022-01-01", "2024-12-01", freq="MS")
    own = _incidents(np.c_[rng.uniform(0, 2000, 200), rng.uniform(0, 1000, 200)], rng.choice(months, 200))
    plan = plan_campaign(units, own, as_of="2025-01-15", leaflets=500, timer_switches=50)
    plan.notes.append("<script>alert(1)</script>")
    m = HotspotMap(area)
    add_campaign(m, plan)
    page = load_map(browser, m.save(tmp_path / "c.html"))
    assert not page["severe"] and not page["errors"], (page["severe"], page["errors"])
    notes = browser.execute_script("return [...document.querySelectorAll('.map-note')].map(e => e.textContent)")
    assert len(notes) == len(plan.notes) and any("generalised" in n for n in notes)
    assert "<script>alert(1)</script>" in notes
