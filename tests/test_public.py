"""Disclosure control (--public, check-public) and the campaign drop list."""

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

from hotspot.areas import area_from_geometry
from hotspot.disclosure import check_public, public_cells

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


AREA = area_from_geometry(box(520_000, 180_000, 522_000, 182_000), 27700, "square")


def synthetic(seed=0, n=300):
    rng = np.random.default_rng(seed)
    x = rng.uniform(520_000, 522_000, n)
    y = rng.uniform(180_000, 182_000, n)
    df = pd.DataFrame({"occurred": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
                       "date_precision": "day", "location_text": "", "incident_id": [f"i{k}" for k in range(n)]})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=27700)


def test_public_cells_follow_the_k_rule_and_add_up():
    inc = synthetic()
    cells = public_cells(inc, AREA, cell=500, k=8)
    # brute force: count per 500 m cell
    cx = ((inc.geometry.x - 520_000) // 500).astype(int)
    cy = ((inc.geometry.y - 180_000) // 500).astype(int)
    ref = pd.Series(1, index=pd.MultiIndex.from_arrays([cx, cy])).groupby(level=[0, 1]).sum()
    assert sorted(cells["band_low"]) == sorted((ref[ref >= 8] // 8 * 8).tolist())
    assert (cells["band_low"] >= 8).all() and "count" not in cells  # bands, never exact counts
    assert all(b == f"{lo}-{lo + 7}" for b, lo in zip(cells["burglaries"], cells["band_low"]))
    big = public_cells(inc, AREA, cell=500, k=1000)
    assert big.empty  # every count below k is suppressed


def _write_leaky(tmp_path, inc):
    from hotspot.render.leaflet import HotspotMap

    m = HotspotMap(AREA)
    m.add_incidents(inc, show_points=True)
    return m.save(tmp_path / "leak.html")


def test_check_public_catches_leaks_and_passes_clean_outputs(tmp_path):
    from hotspot.crs import to_lonlat
    from hotspot.render.public import public_map

    inc = synthetic()
    leak = _write_leaky(tmp_path, inc)
    kinds = {f.kind for f in check_public(leak, inc)}
    assert "point near incident" in kinds and "count below k" in kinds
    clean = public_map(AREA, inc, tmp_path / "public.html", cell=500, k=8, window_months=3)
    assert check_public(clean, inc) == []
    # a CSV with one incident's coordinates, shifted 10 m, leaks; 100 m away does not
    lon, lat = to_lonlat(inc.geometry.x.iloc[:1] + 10, inc.geometry.y.iloc[:1], 27700)
    pd.DataFrame({"lon": lon, "lat": lat}).to_csv(tmp_path / "pt.csv", index=False)
    assert [f.kind for f in check_public(tmp_path / "pt.csv", inc)] == ["point near incident"]
    assert check_public(tmp_path / "pt.csv", inc, distance=5) == []
    # counts below k in a GeoJSON property and in text
    g = public_cells(inc, AREA, cell=500, k=1).rename(columns={"band_low": "count"})
    g.to_crs(4326).to_file(tmp_path / "cells.geojson", driver="GeoJSON")
    found = check_public(tmp_path / "cells.geojson", inc, k=1000)
    assert found and found[0].kind == "count below k"
    (tmp_path / "note.json").write_text(json.dumps({"text": "3 burglaries on this street"}))
    assert check_public(tmp_path / "note.json", inc)[0].kind == "count below k"


def test_check_public_cli_exit_codes(tmp_path, shared_data):
    D = shared_data
    B = D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv"
    A = ["--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet"]
    assert run("map", B, *A, "--months", "12", "--public", "--out", tmp_path / "pub.html").returncode == 0
    assert run("map", B, *A, "--months", "12", "--out", tmp_path / "leak.html").returncode == 0
    ok = run("check-public", tmp_path / "pub.html", "--incidents", B, *A, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["safe"] is True
    bad = run("check-public", tmp_path / "leak.html", "--incidents", B, *A, "--json")
    assert bad.returncode == 1
    kinds = {f["kind"] for f in json.loads(bad.stdout)["findings"]}
    assert kinds == {"point near incident", "count below k"}
    html = (tmp_path / "pub.html").read_text()
    assert "L.heatLayer(" not in html and "L.circleMarker(" not in html and "FastMarkerCluster" not in html
    assert "L.heatLayer(" in (tmp_path / "leak.html").read_text()


def test_public_kde_rule(tmp_path, shared_data):
    D = shared_data
    B = D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv"
    A = ["--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet"]
    r = run("kde", B, *A, "--out", tmp_path / "k.gpkg", "--cell", "50", "--public")
    assert r.returncode == 2 and "--cell >= 100 m" in r.stderr
    r = run("kde", B, *A, "--out", tmp_path / "k.gpkg", "--cell", "100", "--bandwidth", "300", "--months", "12",
            "--as-of", "2025-03-01", "--public", "--map", tmp_path / "k.html")
    assert r.returncode == 0, r.stderr
    cells = gpd.read_file(tmp_path / "k.gpkg", layer="cells")
    assert set(cells["class"].unique()) <= {1, 2, 3, 4, 5} and "density" not in cells
    hot = gpd.read_file(tmp_path / "k.gpkg", layer="hotspots")
    assert all(int(b.split("-")[0]) >= 8 for b in hot["burglaries"]) and "value_sum" not in hot
    ok = run("check-public", tmp_path / "k.html", tmp_path / "k.gpkg", "--incidents", B, *A)
    assert ok.returncode == 0, ok.stderr


# --------------------------------------------------------------------------- campaign drop list


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, shared_data):
    d = tmp_path_factory.mktemp("campaign")
    D = shared_data
    r = run("leaflets", D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv",
            "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet", "--as-of", "2025-03-01",
            "--leaflets", "5000", "--timer-switches", "700", "--postcodes",
            D / "postcodes/codepoint_open_units_barnet_3km.geojson", "--drop-list", d / "drops.csv",
            "--out", d / "plan.csv", "--map", d / "campaign.html", "--json")
    assert r.returncode == 0, r.stderr
    return d, json.loads(r.stdout)


def test_campaign_window_is_in_the_future(campaign):
    _, j = campaign
    start, end = (pd.Timestamp(x) for x in j["campaign_window"])
    assert start >= pd.Timestamp("2025-03-01") and end > start
    assert start == pd.Timestamp(j["clocks_go_back"]) - pd.Timedelta(days=14)
    assert any("under way" in n for n in j["notes"])  # 13 Oct 2024 - Mar 2025 was under way


def test_drop_list_spends_the_budget_exactly_by_postcode(campaign, shared_data):
    d, j = campaign
    drops = pd.read_csv(d / "drops.csv")
    assert j["leaflets_used"] == 5000 and drops["leaflets"].sum() == 5000
    assert drops["timer_switches"].sum() == j["timer_switches_used"] == 700
    units = gpd.read_file(shared_data / "postcodes/codepoint_open_units_barnet_3km.geojson")
    by_unit = drops.groupby("unit")[["leaflets", "timer_switches"]].sum()
    for t in j["targets"]:
        assert t["postcodes"], t["unit"]
        assert by_unit.loc[t["unit"], "leaflets"] == t["leaflets"]
        assert by_unit.loc[t["unit"], "timer_switches"] == t["timer_switches"]
        mine = drops[drops["unit"] == t["unit"]].sort_values("drop_order")
        assert mine["postcode"].tolist() == t["postcodes"]
        assert (mine["leaflets"] <= mine["households"]).all()
        # only the last postcode of a target may be partly covered
        part = mine["leaflets"] < mine["households"]
        assert part.sum() <= 1 and (not part.any() or part.iloc[-1])
    assert set(drops["postcode"]) <= set(units["postcode"])


def test_drop_order_is_highest_risk_first():
    from hotspot.campaigns import drop_list

    target = gpd.GeoDataFrame({"rank": [1], "unit": ["U1"], "name": ["U1"], "households": [30], "leaflets": [25],
                               "timer_switches": [5]}, geometry=[box(0, 0, 1000, 1000)], crs=27700)
    pcs = gpd.GeoDataFrame({"postcode": ["A1", "B2", "C3"]}, geometry=gpd.points_from_xy([100, 500, 900], [100, 500, 900]),
                           crs=27700)
    inc = gpd.GeoDataFrame({"occurred": pd.to_datetime(["2024-05-01"] * 4)},
                           geometry=gpd.points_from_xy([900, 905, 910, 500], [900, 900, 900, 500]), crs=27700)
    d = drop_list(target, pcs, incidents=inc)
    assert d["postcode"].tolist() == ["C3", "B2", "A1"]  # 3 burglaries near C3, 1 near B2, none near A1
    assert d["households"].tolist() == [10, 10, 10] and d["leaflets"].tolist() == [10, 10, 5]
    assert d["timer_switches"].tolist() == [5, 0, 0]


def test_campaign_map_opens_with_targets_visible(campaign, browser):
    from browser import load_map

    d, j = campaign
    info = load_map(browser, d / "campaign.html")
    assert not info["severe"] and not info["errors"]
    checked = browser.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
        ".filter(l => l.querySelector('input').checked).map(l => l.innerText.trim())")
    assert any("Leaflet and timer-switch targets" in c for c in checked)
    assert info["paths"] >= len(j["targets"])


def test_public_campaign_outputs_pass_check_public(tmp_path, shared_data):
    D = shared_data
    B = D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv"
    A = ["--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet"]
    r = run("leaflets", B, *A, "--as-of", "2025-03-01", "--public", "--drop-list", tmp_path / "drops.csv",
            "--out", tmp_path / "plan.csv", "--map", tmp_path / "c.html", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["public"] and all("expected_burglaries" not in t for t in j["targets"])
    assert "expected_burglaries" not in pd.read_csv(tmp_path / "plan.csv").columns
    ok = run("check-public", tmp_path / "c.html", tmp_path / "drops.csv", tmp_path / "plan.csv", "--incidents", B, *A)
    assert ok.returncode == 0, ok.stderr


def test_next_campaign_window_is_never_past():
    from hotspot._errors import HotspotError
    from hotspot.campaigns import clocks_go_back, next_campaign_window

    index = pd.Series([1.2, 1.1, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.1, 1.3, 1.3], index=range(1, 13))
    for as_of in ("2024-01-15", "2024-06-01", "2024-10-12", "2024-10-13", "2024-11-20", "2025-03-31"):
        start, end, notes = next_campaign_window(index, as_of)
        assert start >= pd.Timestamp(as_of) and end > start
        assert start == clocks_go_back(start.year) - pd.Timedelta(days=14)
        # and it is the first such window: the one a year earlier starts before as_of
        assert clocks_go_back(start.year - 1) - pd.Timedelta(days=14) < pd.Timestamp(as_of)
    assert next_campaign_window(index, "2024-11-20")[2]  # the window under way is named
    with pytest.raises(HotspotError, match="year=2023"):
        next_campaign_window(index, "2024-06-01", year=2023)


def test_public_outputs_for_the_demo_pass_the_check(tmp_path, shared_data, barnet, barnet_intake):
    from hotspot.campaigns import plan_campaign
    from hotspot.jobs.reference import ReferenceData
    from hotspot.places import read_postcodes
    from hotspot.render.public import public_outputs

    inc = barnet_intake.incidents
    pcs = read_postcodes(shared_data / "postcodes/codepoint_open_units_barnet_3km.geojson", barnet.crs)
    camp = plan_campaign(ReferenceData(shared_data).lsoa_units(barnet), inc, as_of="2025-03-01", postcodes=pcs)
    paths = public_outputs(barnet, inc, tmp_path, name="barnet", campaign=camp,
                           neighbours=barnet.neighbours())
    assert len(paths) == 4
    # checked against every incident, not only the ones counted
    assert check_public(list(paths.values()), inc) == []
    html = paths["public map"].read_text()
    assert "Burglaries per cell" in html and "L.heatLayer(" not in html


def test_suppress_counts_for_a_public_table():
    from hotspot.disclosure import suppress_counts

    t = pd.DataFrame({"ward": ["a", "b", "c"], "quarter": [0, 7, 8], "year": [3, 30, 12]})
    s = suppress_counts(t, ["quarter", "year"], k=8)
    assert s["quarter"].tolist() == [0, None, 8] and s["year"].tolist() == [None, 30, 12]
    assert s["suppressed"].tolist() == ["year < 8", "quarter < 8", None]
