"""Issue 18 (ANPR part): TfL JamCams are traffic CCTV that read no number
plate, so they are context beside the planned sites, never cover; a user's
own --existing ANPR layer still covers. Synthetic, with a known answer."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from hotspot.areas import area_from_geometry


def _pts(xy, **cols):
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(*np.asarray(xy, float).T), crs=27700)


def _world():
    """A 2 x 1 km area crossed by one road: two crossings, at x = 0 and
    x = 2000 m, 2 km apart (no camera reaches both); burglary all along it;
    one JamCam 120 m inside the western crossing."""
    area = area_from_geometry(box(0, 0, 2000, 1000), 27700, "Here")
    rng = np.random.default_rng(0)
    months = pd.date_range("2024-01-01", "2024-12-01", freq="MS").repeat(30)
    own = _pts(np.c_[rng.uniform(0, 2000, len(months)), rng.uniform(300, 700, len(months))],
               incident_id=[f"b{k}" for k in range(len(months))])
    own["occurred"], own["date_precision"], own["crime_type"] = months, "month", "Burglary"
    roads = gpd.GeoDataFrame({"road": ["A1"]}, geometry=[LineString([(-500, 500), (2500, 500)])], crs=27700)
    jamcam = _pts([(120, 500)], id=["JamCams_00001.01234"])
    return area, own, roads, jamcam


def test_a_jamcam_is_named_beside_the_site_but_covers_nothing():
    from hotspot.anpr import plan_anpr
    from hotspot.render.anpr_report import anpr_report_html

    area, own, roads, jamcam = _world()
    plan = plan_anpr(area, road_layers={"r": roads}, incidents=own, traffic_cameras=jamcam, k=20)
    res = plan.result
    # the western crossing keeps its demand: both crossings are planned, nothing counted as covered before
    assert res.coverage_before == 0.0 and res.k_useful == 2 and res.coverage_after == pytest.approx(1.0)
    sites = res.sites.set_index(res.sites.geometry.x.round().astype(int))
    assert sites.loc[0, "traffic_camera_m"] == pytest.approx(120.0)
    assert np.isnan(sites.loc[2000, "traffic_camera_m"])  # 1,880 m away: beyond the 500 m reach, not named
    j = {round(s["lon"], 3): s["traffic_camera_m"] for s in res.to_json()["sites"]}
    assert sorted(j.values(), key=lambda v: v is None) == [120.0, None]
    assert any(n.startswith("no existing ANPR layer given (anpr --existing YOUR_ANPR.geojson") for n in plan.notes)
    html = anpr_report_html(plan, "Here")
    assert html.count("TfL JamCam 120 m away (traffic camera, not ANPR): a pole and power may be there") == 1
    assert "0.0% already covered: <b class='no-anpr'>no existing ANPR layer given: --existing YOUR_ANPR.geojson" in html
    # 2 useful of 20 asked: the plan says why, on the data (2 crossings with demand, both reached)
    few = [n for n in plan.notes if n.startswith("only 2 new sites add coverage")]
    assert len(few) == 1 and "Here (2.0 km²) has 2 crossings with burglary demand, 2 of them within 500 m" in few[0]


def test_a_users_existing_anpr_layer_covers_its_crossing():
    from hotspot.anpr import plan_anpr
    from hotspot.render.anpr_report import anpr_report_html

    area, own, roads, jamcam = _world()
    plan = plan_anpr(area, road_layers={"r": roads}, incidents=own, existing=jamcam, k=20)
    res = plan.result
    west = plan.crossings.geometry.x.to_numpy() < 1000
    share = plan.crossings["demand"].to_numpy()
    # the same point given as the user's ANPR layer covers the western crossing: its demand share, exactly
    assert 0 < res.coverage_before == pytest.approx(share[west].sum() / share.sum())
    assert res.k_useful == 1 and res.sites.geometry.x.round().tolist() == [2000.0]
    assert not any("no existing ANPR layer" in n for n in plan.notes)
    assert f"{res.coverage_before:.1%} already covered by your 1 existing ANPR camera;" in anpr_report_html(plan, "Here")


def test_the_anpr_job_takes_the_reference_jamcams_as_context_not_cover():
    """`anpr` with the reference data and no --existing: the JamCams reach
    the plan as context (named beside the site), and nothing is covered."""
    from hotspot.jobs.anpr import plan_anpr_for_area

    area, own, roads, jamcam = _world()
    ref = SimpleNamespace(red_routes=lambda: None, traffic_cameras=lambda crs: jamcam.to_crs(crs),
                          count_points=lambda crs: None, districts=None)
    plan = plan_anpr_for_area(area, own, road_layers={"r": roads}, reference=ref)  # type: ignore[arg-type]
    assert plan.existing is None and plan.result.coverage_before == 0.0 and plan.result.k_useful == 2
    assert len(plan.traffic_cameras) == 1 and plan.result.sites["traffic_camera_m"].notna().sum() == 1
    given = plan_anpr_for_area(area, own, road_layers={"r": roads}, reference=ref, existing=jamcam)  # type: ignore[arg-type]
    assert given.result.coverage_before > 0 and given.result.k_useful == 1


@pytest.mark.browser
def test_the_cameras_map_draws_jamcams_as_context(tmp_path, browser):
    from browser import load_map

    from hotspot.anpr import TRAFFIC_CAMERA_LABEL, plan_anpr
    from hotspot.render.leaflet import HotspotMap
    from hotspot.render.maps import add_anpr

    area, own, roads, jamcam = _world()
    plan = plan_anpr(area, road_layers={"r": roads}, incidents=own, traffic_cameras=jamcam, k=20)
    m = HotspotMap(area)
    add_anpr(m, plan.result, plan.crossings, plan.existing, show_context=True, traffic_cameras=plan.traffic_cameras)
    page = load_map(browser, m.save(tmp_path / "cams.html"))
    assert not page["severe"] and not page["errors"], (page["severe"], page["errors"])
    assert TRAFFIC_CAMERA_LABEL in page["layers"] and "New ANPR sites (2)" in page["layers"]
