"""Issue 21: check-public finds every planted leak form of the probe, and
every --public output passes it (fast, synthetic data with a known answer)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot.areas import area_from_geometry
from hotspot.crs import to_lonlat
from hotspot.disclosure import check_public

ROOT = Path(__file__).resolve().parents[1]
AREA = area_from_geometry(box(520_000, 180_000, 522_000, 182_000), 27700, "square")


def incidents(seed: int = 0, n: int = 300, text: str = "On or near {}") -> gpd.GeoDataFrame:
    """Seeded burglaries in a 2 km square of British National Grid, with
    location text in police.uk form (``On or near X``) or an address form."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(520_000, 522_000, n)
    y = rng.uniform(180_000, 182_000, n)
    streets = [f"{w} Road" for w in ("Acacia", "Laburnum", "Wisteria", "Hawthorn", "Juniper")]
    loc = [text.format(streets[i % len(streets)], i + 1) for i in range(n)]
    df = pd.DataFrame({"occurred": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
                       "date_precision": "day", "location_text": loc, "incident_id": [f"i{k}" for k in range(n)]})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=27700)


INC = incidents()
X0, Y0 = float(INC.geometry.x.iloc[0]) + 5, float(INC.geometry.y.iloc[0]) - 5  # 7 m from an incident
LON0, LAT0 = (float(v[0]) for v in to_lonlat(np.array([X0]), np.array([Y0]), 27700))
BIG = box(520_000, 180_000, 521_000, 181_000)  # a 1 km polygon: not pinpointing by itself


def _geojson(path: Path, props: dict, geom=BIG, crs: int = 4326) -> Path:
    gpd.GeoDataFrame([props], geometry=[geom], crs=27700).to_crs(crs).to_file(path, driver="GeoJSON")
    return path


def _pdf(path: Path, text: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure()
        fig.text(0.05, 0.5, text)
        fig.savefig(path)
        plt.close(fig)
    return path


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><body><div id='m'></div><script>{body}</script></body></html>"


PROBES = {
    # text in string-dtype columns (pandas 3): GeoJSON, CSV, GeoPackage
    "geojson_text.geojson": lambda p: _geojson(p, {"note": "3 burglaries in this square"}),
    "csv_text.csv": lambda p: pd.DataFrame({"ward": ["A"], "note": ["3 burglaries"]}).to_csv(p, index=False),
    "gpkg_text.gpkg": lambda p: gpd.GeoDataFrame({"tip": ["Burglaries: 3"]}, geometry=[BIG], crs=27700)
    .to_file(p, layer="cells", driver="GPKG"),
    # counts below k in tooltips, legends and arrays embedded in pages; numbers held as strings
    "tooltip.html": lambda p: p.write_text(_page("layer.bindTooltip('Burglaries: 3');")),
    "entity.html": lambda p: p.write_text("<html><body><p>Burglaries&#58;&nbsp;3</p></body></html>"),
    "legend.html": lambda p: p.write_text("<html><body><div class='legend'>Acacia: 2 burglaries</div></body></html>"),
    "count_str.html": lambda p: p.write_text(_page('var cells = [{"count": "3", "cell": "A"}];')),
    "array.html": lambda p: p.write_text(_page('var data = {"counts": [40, 3, 25]};')),
    "count_str.json": lambda p: p.write_text(json.dumps({"cells": [{"count": "3"}]})),
    "count_str.geojson": lambda p: _geojson(p, {"count": "3"}),
    # coordinates within the distance in any CRS and any form
    "latlng.html": lambda p: p.write_text(_page(f"L.marker(L.latLng({LAT0:.6f}, {LON0:.6f})).addTo(map);")),
    "bng.html": lambda p: p.write_text(_page(f"var site = [{X0:.1f}, {Y0:.1f}];")),
    "bng_wkt.csv": lambda p: pd.DataFrame({"wkt": [f"POINT ({X0:.0f} {Y0:.0f})"]}).to_csv(p, index=False),
    "long.csv": lambda p: pd.DataFrame({"Long": [LON0], "Lat": [LAT0]}).to_csv(p, index=False),
    "bng_cols.csv": lambda p: pd.DataFrame({"site": ["a"], "bng_e": [X0], "bng_n": [Y0]}).to_csv(p, index=False),
    "bng.json": lambda p: p.write_text(json.dumps({"sites": [{"E": X0, "N": Y0}]})),
    "bng_points.geojson": lambda p: p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [X0, Y0]}}]})),
    "bng_points.gpkg": lambda p: gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([X0], [Y0]), crs=27700)
    .to_file(p, driver="GPKG"),
    "count_str.gpkg": lambda p: gpd.GeoDataFrame({"count": ["3"]}, geometry=[BIG], crs=27700).to_file(p),
    "tiny_bng.geojson": lambda p: _geojson(p, {"a": "b"}, geom=box(X0 - 5, Y0 - 5, X0 + 5, Y0 + 5), crs=27700),
    # Parquet, as --out writes it
    "text.parquet": lambda p: pd.DataFrame({"note": ["3 burglaries"]}).to_parquet(p),
    "points.parquet": lambda p: gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([X0], [Y0]), crs=27700)
    .to_parquet(p),
    # the printed brief
    "brief.pdf": lambda p: _pdf(p, "Target 1: 3 burglaries"),
    "brief_coords.pdf": lambda p: _pdf(p, f"Meet at {LAT0:.6f}, {LON0:.6f}"),
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_check_public_finds_each_planted_leak(tmp_path, name):
    path = tmp_path / name
    PROBES[name](path)
    found = check_public(path, INC)
    assert found, f"{name}: planted leak not found"


def test_street_of_an_exact_address_is_a_leak_but_a_police_uk_snap_point_is_not(tmp_path):
    exact = incidents(text="{1} {0}")  # "17 Acacia Road": a force's own exact-address export
    p = tmp_path / "plan.csv"
    pd.DataFrame({"unit": ["E01000001"], "streets": ["Acacia Road; Laburnum Road"]}).to_csv(p, index=False)
    found = check_public(p, exact)
    assert [f.kind for f in found] == ["street of an incident"] and "Acacia Road" in found[0].detail
    page = tmp_path / "p.html"
    page.write_text("<html><body>Leaflets for the streets round WISTERIA ROAD</body></html>")
    assert [f.kind for f in check_public(page, exact)] == ["street of an incident"]
    pdf = _pdf(tmp_path / "brief.pdf", "Target 4: Hawthorn\nRoad")  # a table cell wraps the name
    assert [f.detail.split("'")[1] for f in check_public(pdf, exact)] == ["Hawthorn Road"]
    assert check_public(p, INC) == []  # police.uk snap points are published by police.uk itself


def test_clean_outputs_raise_no_false_alarm(tmp_path):
    from hotspot.render.public import public_map

    page = public_map(AREA, INC, tmp_path / "public.html", cell=500, k=8, window_months=3)
    assert check_public(page, INC) == []
    pd.DataFrame({"ward": ["A", "B"], "count": [8, 0], "note": ["12 burglaries", "none"],
                  "households": [3, 5], "year": [2024, 2024]}).to_csv(tmp_path / "t.csv", index=False)
    assert check_public(tmp_path / "t.csv", INC) == []
    _pdf(tmp_path / "ok.pdf", "Target 1: 12 burglaries, 1,234 households")
    assert check_public(tmp_path / "ok.pdf", INC) == []


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


# --------------------------------------------------------------------------- releases, windows, footprints


def monthly(n: int = 4000, seed: int = 1, start: str = "2023-01", end: str = "2025-02",
            text: str = "On or near {}") -> gpd.GeoDataFrame:
    """Burglaries at month precision, uniform over a 2 km square (police.uk
    snap-point text, or ``text`` as the location form)."""
    rng = np.random.default_rng(seed)
    months = pd.period_range(start, end, freq="M").to_timestamp()
    inc = incidents(seed, n, text)
    inc["occurred"] = months[rng.integers(0, len(months), n)]
    inc["date_precision"] = "month"
    return inc


def _published(page: Path) -> dict[tuple, str]:
    """Cell polygon -> its tooltip text, from the GeoJSON layers of a page."""
    dec, text, out = json.JSONDecoder(), page.read_text(), {}
    for m in re.finditer(r'\{"(?:bbox|features)": ', text):
        layer = dec.raw_decode(text, m.start())[0]
        for f in layer.get("features", []) if layer.get("type") == "FeatureCollection" else []:
            tip = " ".join(str(v) for kk, v in f["properties"].items() if kk in ("tip", "burglaries", "count"))
            if tip:
                out[json.dumps(f["geometry"]["coordinates"])] = tip
    return out


def test_two_monthly_releases_cannot_be_subtracted(tmp_path):
    from hotspot.render.public import public_map

    inc = monthly()
    recovered, identical = 0, 0
    pages = []
    for cutoff in ("2025-02-01", "2025-03-01"):  # a release each month: data to January, then to February
        pages.append(public_map(AREA, inc[inc["occurred"] < cutoff], tmp_path / f"{cutoff}.html", cell=250, k=8))
    a, b = (_published(p) for p in pages)
    assert a and b
    for cell in set(a) & set(b):
        na, nb = (re.findall(r"(?<![\d-])\d+(?![\d-])", t) for t in (a[cell], b[cell]))
        exact = len(na) == 1 and len(nb) == 1  # a single number, not a band such as 8-15
        if exact and 0 < int(nb[0]) - int(na[0]) < 8:
            recovered += 1
        identical += a[cell] == b[cell]
    assert recovered == 0
    assert identical == len(a) == len(b)  # one fixed window (the calendar year 2024) in both releases


def test_check_public_fails_two_releases_that_subtract_below_k(tmp_path):
    from hotspot.disclosure import release_differences
    from hotspot.render.public import public_map

    cells = [box(520_000 + 500 * i, 180_000, 520_500 + 500 * i, 180_500) for i in range(3)]
    for name, counts in (("jan", [10, 20, 30]), ("feb", [12, 20, 38]), ("jan_band", ["8-15"] * 3),
                         ("feb_band", ["8-15", "16-23", "8-15"])):
        gpd.GeoDataFrame({"count" if "band" not in name else "burglaries": counts}, geometry=cells, crs=27700
                         ).to_crs(4326).to_file(tmp_path / f"{name}.geojson", driver="GeoJSON")
    found = release_differences([tmp_path / "feb.geojson"], [tmp_path / "jan.geojson"])
    assert [f.kind for f in found] == ["change below k"] and "1 features" in found[0].detail  # +2; +8 is not below k
    assert release_differences([tmp_path / "feb_band.geojson"], [tmp_path / "jan_band.geojson"]) == []
    # the public maps of two monthly releases: nothing to subtract
    inc = monthly()
    pages = [public_map(AREA, inc[inc["occurred"] < c], tmp_path / f"{c}.html", cell=250) for c in ("2025-02", "2025-03")]
    assert release_differences(pages[1:], pages[:1]) == []
    # the command: --previous names the earlier release
    A = ["--incidents", _csv(tmp_path, inc), "--crs", "EPSG:27700", "--json"]
    r = run("check-public", tmp_path / "feb.geojson", "--previous", tmp_path / "jan.geojson", *A)
    assert r.returncode == 1 and [f["kind"] for f in json.loads(r.stdout)["findings"]] == ["change below k"]
    assert run("check-public", pages[1], "--previous", pages[0], *A).returncode == 0


def test_public_windows_are_fixed_and_counts_banded():
    from hotspot.disclosure import public_window

    inc = monthly()
    for cutoff, window in (("2025-01-01", ("2024-01", "2024-12")), ("2025-03-01", ("2024-01", "2024-12")),
                           ("2024-12-01", ("2023-01", "2023-12"))):
        w = public_window(inc[inc["occurred"] < cutoff])
        assert (str(w[0]), str(w[1])) == window
    assert tuple(map(str, public_window(inc, months=3))) == ("2024-10", "2024-12")
    # day-precision data ending mid-month: that month is not complete
    day = incidents()
    day["occurred"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(day)) % 320, "D")  # to 2024-11-16
    assert tuple(map(str, public_window(day, months=3))) == ("2024-07", "2024-09")
    from hotspot._errors import HotspotError

    with pytest.raises(HotspotError, match="whole published window"):
        public_window(day)  # Jan-Nov 2024: no whole calendar year
    with pytest.raises(HotspotError, match="divide 12"):
        public_window(inc, months=5)
    from hotspot.disclosure import longest_public_window

    assert longest_public_window(inc) == 12 and longest_public_window(day) == 6  # Jan-Jun 2024 whole, no year


def _csv(tmp_path: Path, inc: gpd.GeoDataFrame) -> Path:
    p = tmp_path / "inc.csv"
    pd.DataFrame({"id": inc["incident_id"], "date": inc["occurred"].dt.strftime("%Y-%m-%d"),
                  "x": inc.geometry.x.round(1), "y": inc.geometry.y.round(1)}).to_csv(p, index=False)
    return p


def test_public_map_draws_no_footprint_from_points(tmp_path):
    src = _csv(tmp_path, monthly(n=600))
    r = run("map", src, "--crs", "EPSG:27700", "--public", "--out", tmp_path / "m.html")
    assert r.returncode == 2 and "--area-file" in r.stderr and "footprint" in r.stderr
    assert not (tmp_path / "m.html").exists()


def test_public_kde_picks_safe_defaults_and_publishes_no_exact_sums(tmp_path):
    from hotspot.hotspots import density_hotspots, density_tables

    inc = monthly()
    res = density_hotspots(inc, AREA, public=True)
    assert res.surface.grid.cell >= 100 and res.surface.meta["bandwidth_m"] >= 250
    assert set(res.incidents["occurred"].dt.year) == {2024}  # the fixed published window, not all time
    hot = density_tables(res)["hotspots"]
    assert len(hot) and not {"value_sum", "share", "incidents"} & set(hot.columns)
    assert all(re.fullmatch(r"\d+-\d+", b) and int(b.split("-")[0]) >= 8 for b in hot["burglaries"])
    # the command: --public alone (no --cell) is accepted and its outputs pass check-public
    area = tmp_path / "area.geojson"
    gpd.GeoDataFrame({"name": ["square"]}, geometry=[AREA.geometry], crs=27700).to_file(area, driver="GeoJSON")
    src = _csv(tmp_path, inc)
    A = ["--area-file", area, "--area", "square", "--crs", "EPSG:27700"]
    r = run("kde", src, *A, "--public", "--out", tmp_path / "k.gpkg", "--map", tmp_path / "k.html")
    assert r.returncode == 0, r.stderr
    ok = run("check-public", tmp_path / "k.gpkg", tmp_path / "k.html", "--incidents", src, *A)
    assert ok.returncode == 0, ok.stderr + ok.stdout


# --------------------------------------------------------------------------- streets of exact addresses


def _campaign(inc: gpd.GeoDataFrame):
    from hotspot.campaigns import plan_campaign

    units = gpd.GeoDataFrame({"unit": [f"U{i}{j}" for i in range(2) for j in range(2)],
                              "name": [f"Unit {i}{j}" for i in range(2) for j in range(2)], "households": 400},
                             geometry=[box(520_000 + 1000 * i, 180_000 + 1000 * j, 521_000 + 1000 * i, 181_000 + 1000 * j)
                                       for i in range(2) for j in range(2)], crs=27700)
    gx, gy = np.meshgrid(np.arange(520_050, 522_000, 100), np.arange(180_050, 182_000, 100))
    codes = [f"AB{1 + int(x > 521_000) + 2 * int(y > 181_000)} {int(x) // 100 % 10}{chr(65 + int(y) // 100 % 20)}"
             f"{chr(65 + int(x) // 100 % 20)}" for x, y in zip(gx.ravel(), gy.ravel())]
    pcs = gpd.GeoDataFrame({"postcode": codes}, geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=27700)
    return plan_campaign(units, inc, leaflets=600, timer_switches=100, as_of="2025-03-01", postcodes=pcs)


def test_public_campaign_outputs_name_no_street_of_an_exact_address(tmp_path):
    from hotspot.campaigns import plan_json, plan_table
    from hotspot.render.droplist import drop_list_frame
    from hotspot.render.public import public_outputs

    exact = monthly(text="{1} {0}")  # "17 Acacia Road": a force's own exact-address export
    plan = _campaign(exact)
    assert any(plan.targets["streets"].map(len))  # the police's own plan names them
    paths = public_outputs(AREA, exact, tmp_path, name="sq", campaign=plan, check=False)
    found = check_public(list(paths.values()), exact)
    assert [f for f in found if f.kind == "street of an incident"] == [] and found == []
    assert "streets" not in plan_table(plan, public=True)
    assert all("streets" not in t for t in plan_json(plan, public=True)["targets"])
    drops = drop_list_frame(plan, public=True)
    assert "streets" not in drops and drops["postcode_sector"].str.fullmatch(r"AB\d \d").all()
    assert drops["leaflets"].sum() == plan.leaflets_used  # the sectors hold every leaflet of the plan
    # police.uk snap points keep their streets in the public forms (police.uk publishes them itself)
    snap = _campaign(monthly())
    assert "streets" in plan_table(snap, public=True) and "streets" in drop_list_frame(snap, public=True)


def test_every_public_output_of_the_commands_passes_check_public(tmp_path):
    """map, leaflets (map, plan, drop list, JSON) with --public, from exact-address data (kde --public: above;
    run's reports/public/: public_outputs, above and in test_public.py on Barnet; brief has no public form)."""
    inc = monthly(text="{1} {0}")
    plan = _campaign(inc)  # the synthetic units and postcodes, written as layers for the command
    src = tmp_path / "inc.gpkg"  # a vector file: leaflets takes no --crs
    gpd.GeoDataFrame({"id": inc["incident_id"], "date": inc["occurred"].dt.strftime("%Y-%m-%d"),
                      "location": inc["location_text"]}, geometry=inc.geometry, crs=27700).to_file(src)
    area = tmp_path / "area.geojson"
    gpd.GeoDataFrame({"name": ["square"]}, geometry=[AREA.geometry], crs=27700).to_file(area, driver="GeoJSON")
    units = tmp_path / "units.geojson"
    plan.targets[["unit", "name", "households", "geometry"]].to_file(units, driver="GeoJSON")
    pcs = tmp_path / "postcodes.geojson"
    gpd.GeoDataFrame({"postcode": plan.drops["postcode"]}, geometry=gpd.points_from_xy(
        *zip(*[(520_050 + i % 20 * 100, 180_050 + i // 20 * 100) for i in range(len(plan.drops))])), crs=27700
    ).to_file(pcs, driver="GeoJSON")
    A = ["--area-file", area, "--area", "square", "--crime-type", "all"]
    r = run("map", src, *A, "--public", "--out", tmp_path / "m.html")
    assert r.returncode == 0, r.stderr
    r = run("leaflets", src, *A, "--public", "--units", units, "--unit-column", "unit", "--postcodes", pcs,
            "--as-of", "2025-03-01", "--leaflets", "600", "--timer-switches", "100", "--out", tmp_path / "plan.csv",
            "--drop-list", tmp_path / "drops.csv", "--map", tmp_path / "c.html", "--json")
    assert r.returncode == 0, r.stderr
    (tmp_path / "plan.json").write_text(r.stdout)
    files = [tmp_path / f for f in ("m.html", "plan.csv", "drops.csv", "c.html", "plan.json")]
    ok = run("check-public", *files, "--incidents", src, *A, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["safe"], ok.stdout + ok.stderr
    assert "postcode_sector" in pd.read_csv(tmp_path / "drops.csv")  # exact addresses: sectors, no streets
    # the police's own plan names the streets, and the same check sees them
    r = run("leaflets", src, *A, "--units", units, "--unit-column", "unit", "--as-of", "2025-03-01",
            "--leaflets", "600", "--timer-switches", "100", "--out", tmp_path / "own.csv")
    bad = run("check-public", tmp_path / "own.csv", "--incidents", src, *A, "--json")
    assert bad.returncode == 1 and "street of an incident" in {f["kind"] for f in json.loads(bad.stdout)["findings"]}


def test_streets_of_exact_addresses_are_read_from_common_address_forms():
    from hotspot.disclosure import exact_address_streets

    text = ["Flat 3, 17 Acacia Road, Barnet", "17 Laburnum Road", "8XX E 8TH AVE", "On or near High Street",
            "12a Oak Lane", "Supermarket", ""]
    g = gpd.GeoDataFrame({"location_text": text}, geometry=gpd.points_from_xy([0] * 7, [0] * 7), crs=27700)
    assert exact_address_streets(g) == {"Acacia Road", "Laburnum Road", "E 8TH AVE", "High Street", "Oak Lane"}
    assert exact_address_streets(g.iloc[[3]]) == set()  # police.uk snap points only: nothing to hide


def test_public_maps_open_in_chromium_with_banded_cells_and_the_window_named(tmp_path, browser):
    from browser import load_map

    from hotspot.hotspots import density_hotspots
    from hotspot.render.public import public_map
    from hotspot.render.surfaces import density_map

    inc = monthly()
    info = load_map(browser, public_map(AREA, inc, tmp_path / "p.html", cell=250))
    assert not info["severe"] and not info["errors"] and info["leaflet"]
    assert info["paths"] >= 60  # 64 cells of 250 m, nearly all with at least 8 burglaries in 2024
    assert "2024-01 to 2024-12" in info["legend"] and "bands of 8" in info["legend"]
    from hotspot import load_area

    gpd.GeoDataFrame({"name": ["square"]}, geometry=[AREA.geometry], crs=27700).to_file(tmp_path / "a.geojson")
    area = load_area(tmp_path / "a.geojson", "square")
    page = density_map(area, density_hotspots(inc, area, public=True)).save(tmp_path / "k.html")
    info = load_map(browser, page)
    assert not info["severe"] and not info["errors"] and info["paths"] >= 1
