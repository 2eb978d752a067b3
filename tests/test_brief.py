"""The sergeant's patrol briefing: `hotspot brief` (HTML, PDF, JSON)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture(scope="module")
def brief(tmp_path_factory, shared_data):
    d = tmp_path_factory.mktemp("brief")
    D = shared_data
    r = run("brief", D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv",
            "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet", "--as-of", "2025-03-01",
            "--start=-0.2,51.6", "--targets", "8", "--roads", D / "roads/tfl_bus_routes_2018_barnet_bbox.geojson",
            "--postcodes", D / "postcodes/codepoint_open_units_barnet_3km.geojson",
            "--out", d / "brief.html", "--pdf", d / "brief.pdf", "--json")
    assert r.returncode == 0, r.stderr
    return d, json.loads(r.stdout)


def test_brief_json_has_what_a_patrol_needs(brief):
    _, j = brief
    assert j["as_of"] == "2025-03"  # police.uk months: never shown as a day
    assert j["window"] == {"distance_m": 200.0, "months": 2.0}
    assert 1 <= len(j["targets"]) <= 8 and [t["rank"] for t in j["targets"]] == list(range(1, len(j["targets"]) + 1))
    for t in j["targets"]:
        assert t["street"] and t["why"] and t["postcode"] and t["near"]
        assert not t["street"].lower().startswith("on or near")
        assert t["active_until"] is None or len(t["active_until"]) == 7  # YYYY-MM
        assert -0.31 < t["lon"] < -0.12 and 51.55 < t["lat"] < 51.68
    assert j["route_on_streets"] is True and j["route_km"] > 0
    assert j["start"] == {"lon": -0.2, "lat": 51.6}


def test_brief_page_in_chromium(brief, browser):
    d, j = brief
    browser.get((d / "brief.html").resolve().as_uri())
    n = len(j["targets"])
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.target-marker')].map(e => e.getAttribute('data-label'))")
    assert labels and sorted(map(int, labels)) == list(range(1, n + 1))
    assert browser.execute_script("return document.querySelectorAll('.start-marker').length") == 1
    # one leg from the start, one between each pair of targets, one back
    legs = browser.execute_script("return [...document.querySelectorAll('path.route-leg')].map(e => e.getAttribute('class'))")
    assert len(legs) == n + 1 and all("on-streets" in c for c in legs)
    assert browser.execute_script("return document.querySelectorAll('tr.target-row').length") == n
    assert browser.execute_script("return document.querySelectorAll('path.street').length") > 10
    # the map is drawn inside the page width (printable)
    w = browser.execute_script("return document.querySelector('svg.static-map').getBoundingClientRect().width")
    assert 300 < w <= 1200


def test_brief_pdf_renders_one_non_blank_page(brief, tmp_path):
    d, _ = brief
    pdf = d / "brief.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.fail("pdftoppm is needed (apt-get install poppler-utils; .ci/install does it)", pytrace=False)
    subprocess.run([tool, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1  # one printable page
    from PIL import Image

    img = np.asarray(Image.open(pages[0]).convert("L"), float)
    assert img.std() > 10 and (img < 128).mean() > 0.01  # text and map, not a blank page
    purple = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    # the numbered target markers (#6c3483) are printed
    assert (np.abs(purple - np.array([0x6c, 0x34, 0x83])).max(axis=2) < 40).sum() > 20


def test_brief_without_roads_says_as_the_crow_flies(tmp_path, shared_data):
    D = shared_data
    r = run("brief", D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv",
            "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet", "--as-of", "2025-03-01",
            "--targets", "3", "--out", tmp_path / "b.html", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["route_on_streets"] is False and j["start"] is None
    assert "as the crow flies" in (tmp_path / "b.html").read_text()


@pytest.mark.parametrize("start,message", [
    ("51.6,-0.2", "looks like LAT,LON"),
    ("-0.2,52.6", "km outside Barnet"),
    ("-0.2", "--start LON,LAT"),
])
def test_bad_start_is_one_line_exit_2(tmp_path, shared_data, start, message):
    D = shared_data
    r = run("brief", D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv",
            "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet", "--as-of", "2025-03-01",
            f"--start={start}", "--out", tmp_path / "b.html")
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_zero_events_lists_the_crime_types_present(tmp_path, shared_data):
    D = shared_data
    for cmd in (["nanobeats", "--as-of", "2025-03-01", "--out", tmp_path / "nb.geojson"],
                ["leaflets", "--as-of", "2025-03-01"]):
        r = run(cmd[0], D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv", *cmd[1:],
                "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet", "--crime-type", "Robbery")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "no incidents left: 34,775 rows read, 34,775 filtered by crime type" in r.stderr
        assert "crime types present: Burglary (34,775)" in r.stderr
    r = run("anpr", "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet", "--incidents",
            D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv", "--crime-type", "Robbery")
    assert r.returncode == 2 and "crime types present: Burglary (34,775)" in r.stderr


def test_days_on_month_data_is_refused(tmp_path, shared_data):
    D = shared_data
    r = run("nanobeats", D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv", "--as-of", "2025-03-01",
            "--days", "14", "--out", tmp_path / "nb.geojson",
            "--area-file", D / "boundaries/london_boroughs.geojson", "--area", "Barnet")
    assert r.returncode == 2 and "give --months" in r.stderr


def test_brief_routes_on_an_openstreetmap_extract(tmp_path):
    """Exact-date burglaries along two arms of an OSM crossroads; the route
    from the end of one arm follows the streets (osmnx reads the file)."""
    import pandas as pd
    from test_anpr import OSM_XML

    (tmp_path / "x.osm").write_text(OSM_XML)
    rows = []
    for k, (lon, lat) in enumerate([(-0.2, 51.5075), (-0.2001, 51.5077), (-0.2046, 51.5100), (-0.2044, 51.5101)]):
        rows.append({"id": f"b{k}", "date": f"2024-03-{10 + k:02d}", "lon": lon, "lat": lat, "crime_type": "Burglary"})
    pd.DataFrame(rows).to_csv(tmp_path / "inc.csv", index=False)
    r = run("brief", tmp_path / "inc.csv", "--as-of", "2024-03-15", "--roads", tmp_path / "x.osm",
            "--start=-0.2,51.519", "--targets", "2", "--out", tmp_path / "b.html", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["route_on_streets"] is True and len(j["targets"]) == 2
    assert j["window"] == {"distance_m": 200.0, "days": 14.0} and j["as_of"] == "2024-03-15"
    assert {t["street"] for t in j["targets"]} == {"A1000", "Cross Street"}
    assert all(t["junction"] == "A1000 / Cross Street" for t in j["targets"])
    assert all(t["active_until"].startswith("2024-03-2") for t in j["targets"])
    # along the streets: start -> down the A1000 -> crossroads -> west on Cross Street and back,
    # longer than the straight legs
    straight = run("brief", tmp_path / "inc.csv", "--as-of", "2024-03-15", "--start=-0.2,51.519", "--targets", "2",
                   "--out", tmp_path / "s.html", "--json")
    assert json.loads(straight.stdout)["route_km"] < j["route_km"]


def test_plan_dates_before_or_long_after_the_data(tmp_path, shared_data):
    D = shared_data
    args = [D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv", "--area-file",
            D / "boundaries/london_boroughs.geojson", "--area", "Barnet"]
    r = run("brief", *args, "--as-of", "1990-01-01", "--out", tmp_path / "b.html")
    assert r.returncode == 2 and "no burglary before it (the data start 2013-12)" in r.stderr
    # long after the data end: refused (every recent burglary would be unknown), one line
    r = run("brief", *args, "--as-of", "2030-01-01", "--out", tmp_path / "b.html", "--json")
    assert r.returncode == 2 and "--as-of 2030-01-01: the data end 2025-02" in r.stderr and not r.stdout
    # one error line; anything else on stderr is progress (a step that took over a second on a busy machine)
    lines = r.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0]
    assert all(re.fullmatch(r"[^:]+: \d+(\.\d)? s|stage: .+", line) for line in lines[:-1]), lines
    r = run("brief", *args, "--as-of", "2025-03-01", "--roads", args[0], "--out", tmp_path / "b.html")
    assert r.returncode == 2 and "not a line layer" in r.stderr


def test_a_target_with_no_street_name_gives_its_coordinates(tmp_path, shared_data):
    import pandas as pd

    D = shared_data
    t = pd.read_csv(D / "crime/barnet_burglary_police_uk_2013-12_2025-02.csv")
    t["Location"] = ""  # records that name no place
    t.to_csv(tmp_path / "nameless.csv", index=False)
    r = run("brief", tmp_path / "nameless.csv", "--area-file", D / "boundaries/london_boroughs.geojson",
            "--area", "Barnet", "--as-of", "2025-03-01", "--targets", "3", "--out", tmp_path / "b.html", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    for target in j["targets"]:
        assert target["street"] is None
        assert f"at {target['lat']:.5f}, {target['lon']:.5f} (latitude, longitude)" in target["near"]
    assert "(latitude, longitude)" in (tmp_path / "b.html").read_text()
