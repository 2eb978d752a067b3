"""The command line: JSON on stdout, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=600)


def test_validate_json_is_one_object(barnet_csv, boroughs_file):
    r = run("validate", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--crime-type", "Burglary", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)  # exactly one JSON document
    assert {"rows", "accepted", "rejected", "filtered", "reasons", "crs", "date_range"} <= set(obj)
    assert obj["rows"] == obj["accepted"] + obj["rejected"] + obj["filtered"] == 34_775
    assert obj["crs"] == "EPSG:27700" and obj["date_range"] == ["2013-12", "2025-02"]


def test_validate_writes_rejects(tmp_path, barnet_csv):
    out = tmp_path / "rejects.csv"
    r = run("validate", barnet_csv, "--rejects", out)
    assert r.returncode == 0, r.stderr
    import pandas as pd

    rej = pd.read_csv(out)
    assert len(rej) == 412 and set(rej["reason"]) == {"duplicate id"}


@pytest.mark.parametrize("content,message", [
    (None, "file not found"),
    ("", "empty file"),
    ("Crime ID,Month,Longitude,Latitude,Crime type\n", "header only"),
])
def test_unusable_input_exits_2_with_one_line(tmp_path, content, message):
    p = tmp_path / "in.csv"
    if content is not None:
        p.write_text(content)
    r = run("validate", p, "--json")
    assert r.returncode == 2
    assert r.stdout == ""
    assert message in r.stderr and "in.csv" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_unknown_area_exits_2(barnet_csv, boroughs_file):
    r = run("validate", barnet_csv, "--area-file", boroughs_file, "--area", "Narnia")
    assert r.returncode == 2 and "no area named 'Narnia'" in r.stderr and "Traceback" not in r.stderr


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("hotspot ")


def _synthetic_exact_csv(tmp_path, seed=3):
    """A small near-repeat process written as a records-system CSV."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = 400
    x, y = rng.uniform(500_000, 510_000, n), rng.uniform(170_000, 180_000, n)
    t = rng.integers(0, 365, n)
    kids = rng.random(n) < 0.6
    cx = x[kids] + rng.uniform(-80, 80, kids.sum())
    cy = y[kids] + rng.uniform(-80, 80, kids.sum())
    ct = t[kids] + rng.integers(0, 5, kids.sum())
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.r_[t, ct], unit="D")
    df = pd.DataFrame({"ref": [f"R{k}" for k in range(len(dates))], "occurred": dates.strftime("%Y-%m-%d"),
                       "easting": np.r_[x, cx].round(1), "northing": np.r_[y, cy].round(1),
                       "street": ["<b>High St</b>"] * len(dates)})
    p = tmp_path / "records.csv"
    df.to_csv(p, index=False)
    return p


def test_knox_json_shape(tmp_path):
    p = _synthetic_exact_csv(tmp_path)
    r = run("knox", p, "--crs", "EPSG:27700", "--distance-edges", "1,200", "--time-edges", "7",
            "--permutations", "99", "--seed", "1", "--json", "--html", tmp_path / "k.html")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["n_events"] > 400 and obj["permutations"] == 99
    assert obj["distance_bands"] == [[0, 1], [1, 200], [200, None]]
    assert obj["time_bands"] == [[0, 7], [7, None]]
    for key in ("observed", "expected", "ratio", "p_value"):
        assert len(obj[key]) == 3 and all(len(row) == 2 for row in obj[key])
    assert obj["ratio"][1][0] > 1.5 and obj["p_value"][1][0] == 0.01
    assert "<table>" in (tmp_path / "k.html").read_text()
    # the same seed gives the same answer
    r2 = run("knox", p, "--crs", "EPSG:27700", "--distance-edges", "1,200", "--time-edges", "7",
             "--permutations", "99", "--seed", "1", "--json")
    assert json.loads(r2.stdout) == obj


def test_knox_refuses_month_data(barnet_csv):
    r = run("knox", barnet_csv)
    assert r.returncode == 2 and "months only" in r.stderr and "Traceback" not in r.stderr


def test_nanobeats_from_knox(tmp_path):
    p = _synthetic_exact_csv(tmp_path)
    k = run("knox", p, "--crs", "EPSG:27700", "--distance-edges", "100,200,400", "--time-edges", "7,14",
            "--permutations", "99", "--json")
    (tmp_path / "knox.json").write_text(k.stdout)
    r = run("nanobeats", p, "--crs", "EPSG:27700", "--as-of", "2023-12-01", "--from-knox", tmp_path / "knox.json",
            "--targets", "5", "--start=-0.49,51.464", "--out", tmp_path / "nb.geojson", "--map", tmp_path / "nb.html",
            "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["window"]["distance_m"] in (100, 200) and obj["window"]["time"] == 7
    assert 1 <= len(obj["targets"]) <= 5
    assert [t["patrol_order"] for t in obj["targets"]] == list(range(1, len(obj["targets"]) + 1))
    import geopandas as gpd

    g = gpd.read_file(tmp_path / "nb.geojson")
    assert len(g) == len(obj["targets"]) and g.crs.to_epsg() == 4326
    html = (tmp_path / "nb.html").read_text()
    assert "<b>High St</b>" not in html  # location text escaped


@pytest.mark.browser
def test_demo_runs_offline_and_its_map_renders(tmp_path, shared_data, browser):
    from browser import load_map

    r = run("demo", "--data", shared_data, "--out", tmp_path / "maps", "--reports", tmp_path / "reports", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["area"] == "Barnet" and obj["accepted"] == 34_363
    assert obj["nanobeats"]["variant"] == "monthly" and obj["nanobeats"]["targets"] == 10
    assert obj["anpr"]["optimal"] is True and len(obj["anpr"]["sites"]) == 20
    import pandas as pd

    bt = pd.read_csv(tmp_path / "reports" / "barnet_backtest.csv")
    chosen = json.loads((tmp_path / "reports" / "barnet_backtest.json").read_text())
    # the map uses the method the selection rule picks; the score given is that of the rule, out of sample
    assert obj["hotspots"]["method"] == chosen["best"] and chosen["best"] in set(bt["method"])
    assert obj["hotspots"]["pai_5pct"] == round(chosen["selected"]["pai"], 2)
    assert obj["hotspots"]["vs_naive"] == chosen["vs_naive"]["ratio"] and obj["hotspots"]["naive"] == "counts_24"
    for f in ("barnet_nanobeats.geojson", "barnet_hotspots.gpkg", "barnet_backtest.csv", "barnet_anpr_sites.geojson",
              "barnet_border_zones.csv"):
        assert (tmp_path / "reports" / f).is_file(), f
    page = load_map(browser, tmp_path / "maps" / "barnet.html", settle=2.5)
    assert page["severe"] == [] and page["errors"] == []
    for name in ("Area: Barnet", "Neighbouring areas", "Hotspots (top 5% of cells)", "Gi* hot spots (FDR 5%)",
                 "New ANPR sites (20)", "TfL traffic cameras (JamCams, not ANPR)", "Nano-beat targets"):
        assert name in page["layers"], (name, page["layers"])
    assert any(n.startswith("Forecast ") for n in page["layers"])


def test_anpr_json_on_reference_data(tmp_path, shared_data, boroughs_file):
    r = run("anpr", "--area-file", boroughs_file, "--area", "Barnet", "--incidents",
            shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv", "--data", shared_data,
            "--cameras", "20", "--radius", "500", "--out", tmp_path / "sites.geojson", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["k"] == 20 and obj["radius_m"] == 500 and obj["optimal"] is True and obj["solver"] == "CBC"
    assert 0 <= obj["coverage_before"] <= obj["coverage_after"] <= 1
    assert obj["greedy_coverage"] <= obj["coverage_after"] + 1e-9
    assert [s["install_order"] for s in obj["sites"]] == list(range(1, 21))
    for s in obj["sites"]:
        assert {"id", "lon", "lat", "road", "marginal_gain", "install_order"} <= set(s)
        assert -0.35 < s["lon"] < -0.05 and 51.55 < s["lat"] < 51.7
    assert (tmp_path / "sites.geojson").is_file()


def test_anpr_bad_input_exits_2(tmp_path, shared_data, boroughs_file):
    r = run("anpr", "--area-file", boroughs_file, "--area", "Barnet", "--incidents",
            shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv", "--data", shared_data,
            "--cameras", "0", "--out", tmp_path / "s.geojson")
    assert r.returncode == 2 and "--cameras" in r.stderr and "Traceback" not in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("error:")]) == 1


def test_anpr_more_cameras_than_sites_plans_the_useful_ones(tmp_path, shared_data, boroughs_file):
    # issue 18: k beyond the candidate sites is planned, not refused; k_asked and k_useful say what happened
    r = run("anpr", "--area-file", boroughs_file, "--area", "Barnet", "--incidents",
            shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv", "--data", shared_data,
            "--cameras", "100000", "--out", tmp_path / "s.geojson", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["k_asked"] == 100000 and 0 < obj["k_useful"] == len(obj["sites"]) < 100000


def test_crossborder_json(shared_data, boroughs_file):
    r = run("crossborder", "--area-file", boroughs_file, "--area", "Barnet", "--incidents",
            shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv", "--outside",
            shared_data / "crime" / "barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert [z["distance_m"] for z in obj["zones"]] == [250, 500, 1000]
    names = {n["neighbour"] for n in obj["neighbours"]}
    assert names == {"Brent", "Camden", "Enfield", "Haringey", "Harrow"}
    assert len({m["month"] for m in obj["monthly"]}) == 135


def test_run_on_a_layer_of_one_area_skips_the_cross_border_stage_with_its_reason(tmp_path):
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import box

    rng = np.random.default_rng(2)
    n = 400
    pd.DataFrame({"id": [f"c{k}" for k in range(n)],
                  "date": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")).strftime("%Y-%m-%d"),
                  "lon": rng.uniform(-84.55, -84.45, n), "lat": rng.uniform(39.10, 39.16, n), "type": "Burglary",
                  }).to_csv(tmp_path / "city.csv", index=False)
    gpd.GeoDataFrame({"name": ["Town"]}, geometry=[box(-84.56, 39.09, -84.44, 39.17)], crs=4326).to_file(
        tmp_path / "town.geojson")
    r = run("run", tmp_path / "city.csv", "--area-file", tmp_path / "town.geojson", "--area", "Town", "--no-reference",
            "--no-gi", "--stages", "intake,cross-border", "--out", tmp_path / "maps", "--reports", tmp_path / "reports",
            "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["accepted"] == n
    assert "no area of the boundary layer borders Town" in obj["skipped"]["cross-border"]


def test_run_reads_a_users_own_columns_and_crs(tmp_path):
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import box

    rng = np.random.default_rng(6)
    n = 300
    pd.DataFrame({"ref": [f"r{k}" for k in range(n)],
                  "when": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")).strftime("%d/%m/%Y"),
                  "E": rng.uniform(530000, 532000, n), "N": rng.uniform(180000, 182000, n),
                  }).to_csv(tmp_path / "own.csv", index=False)
    gpd.GeoDataFrame({"name": ["Patch"]}, geometry=[box(529900, 179900, 532100, 182100)], crs=27700).to_file(
        tmp_path / "patch.geojson")
    common = ["run", tmp_path / "own.csv", "--area-file", tmp_path / "patch.geojson", "--area", "Patch", "--no-reference",
              "--no-gi", "--stages", "intake", "--out", tmp_path / "maps", "--reports", tmp_path / "reports", "--json",
              "--crs", "EPSG:27700", "--id-col", "ref", "--date-col", "when", "--x-col", "E", "--y-col", "N",
              "--date-format", "%d/%m/%Y"]
    r = run(*common)
    errors = [x for x in r.stderr.splitlines() if not x.startswith("stage:")]  # progress lines aside
    assert r.returncode == 2 and len(errors) == 1 and "--crime-type all" in errors[0]
    r = run(*common, "--crime-type", "all")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["accepted"] == n


def test_run_takes_a_postcode_layer_for_its_brief(tmp_path):
    # the run's notes tell a user without reference data to give --postcodes: the run has the option, and the layer
    # names each target's nearest postcode in the brief
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import Point, box

    rng = np.random.default_rng(6)
    n = 300
    pd.DataFrame({"ref": [f"r{k}" for k in range(n)],
                  "when": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")).strftime("%Y-%m-%d"),
                  "E": rng.uniform(530000, 532000, n), "N": rng.uniform(180000, 182000, n), "type": "Burglary",
                  }).to_csv(tmp_path / "own.csv", index=False)
    gpd.GeoDataFrame({"name": ["Patch"]}, geometry=[box(529900, 179900, 532100, 182100)], crs=27700).to_file(
        tmp_path / "patch.geojson")
    xs, ys = np.meshgrid(np.arange(530000, 532001, 250), np.arange(180000, 182001, 250))
    gpd.GeoDataFrame({"postcode": [f"ZZ{i // 10} {i % 10}AA" for i in range(xs.size)]},
                     geometry=[Point(x, y) for x, y in zip(xs.ravel(), ys.ravel())], crs=27700).to_file(
        tmp_path / "postcodes.geojson")
    common = ["run", tmp_path / "own.csv", "--area-file", tmp_path / "patch.geojson", "--area", "Patch", "--no-reference",
              "--no-gi", "--stages", "intake,nano-beats,audiences", "--out", tmp_path / "maps", "--reports",
              tmp_path / "reports", "--json", "--crs", "EPSG:27700", "--id-col", "ref", "--date-col", "when",
              "--x-col", "E", "--y-col", "N"]
    without, given = run(*common), run(*common, "--postcodes", tmp_path / "postcodes.geojson")
    assert without.returncode == 0 and given.returncode == 0, (without.stderr, given.stderr)
    assert json.loads(without.stdout)["brief"]["with_postcode"] == 0
    brief = json.loads(given.stdout)["brief"]
    assert brief["targets"] == brief["with_postcode"] == 10
