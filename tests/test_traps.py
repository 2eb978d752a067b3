"""Issue 18, "traps a new user met": each test failed on the code before the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot._errors import InputFileError
from hotspot.intake import read_incidents

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def force_export(n: int = 120, seed: int = 0, id_name: str | None = "Crime Reference") -> pd.DataFrame:
    """A records-system export in British National Grid metres, one burglary a row."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "Date": pd.date_range("2023-01-01", periods=n, freq="3D").strftime("%d/%m/%Y"),
        "Easting": rng.uniform(520_000, 525_000, n).round(),
        "Northing": rng.uniform(190_000, 195_000, n).round(),
        "Offence": "Burglary",
    })
    if id_name:
        df.insert(0, id_name, [f"01/{seed}{i:05d}/23" for i in range(n)])
    return df


# --------------------------------------------------------------------------- trap 6: id columns


@pytest.mark.parametrize("name", ["Crime Reference", "CRN", "crime_ref", "URN", "Incident Number", "Occurrence No"])
def test_force_id_columns_are_recognised(tmp_path, name):
    path = tmp_path / "export.csv"
    df = force_export(id_name=name)
    df.loc[5, name] = df.loc[4, name]  # one crime on two lines: one burglary
    df.to_csv(path, index=False)
    res = read_incidents(path, crime_types="Burglary", crs="EPSG:27700")
    assert res.detected[0]["columns"]["id"] == name
    assert res.accepted == 119 and res.reasons == {"duplicate id": 1}
    assert not any("no incident-id column" in n for n in res.notes)


def test_no_id_column_is_said_and_no_row_is_dropped_as_a_duplicate(tmp_path):
    a, b = force_export(40, seed=1, id_name=None), force_export(40, seed=2, id_name=None)
    b.iloc[:6] = a.iloc[:6].to_numpy()  # six rows alike in every column: without an id nothing says they are one
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    with pytest.warns(UserWarning, match="no incident-id column"):
        res = read_incidents([tmp_path / "a.csv", tmp_path / "b.csv"], crime_types="Burglary", crs="EPSG:27700")
    assert res.rows == 80 and res.accepted == 80 and res.rejected == 0
    assert sum("no incident-id column detected" in n and "--id-col" in n for n in res.notes) == 2
    assert res.detected[0]["id"].startswith("none detected")


# --------------------------------------------------------------------------- trap 7: title lines, Excel


def test_a_title_line_above_the_header_is_skipped_with_a_note(tmp_path):
    path = tmp_path / "export.csv"
    body = force_export().to_csv(index=False)
    path.write_text("Burglary export, all wards\n\n" + body)
    with pytest.warns(UserWarning, match="skipped 2 line"):
        res = read_incidents(path, crime_types="Burglary", crs="EPSG:27700")
    assert res.accepted == 120 and res.detected[0]["columns"]["id"] == "Crime Reference"
    assert any("'Burglary export, all wards'" in n and "header is line 3" in n for n in res.notes)


def test_a_csv_without_title_is_unchanged(tmp_path):
    path = tmp_path / "export.csv"
    force_export().to_csv(path, index=False)
    res = read_incidents(path, crime_types="Burglary", crs="EPSG:27700")
    assert res.accepted == 120 and not any("skipped" in n for n in res.notes)


def test_an_xlsx_export_is_read_with_its_title_row(tmp_path):
    df = force_export()
    df["Date"] = pd.to_datetime(df["Date"], dayfirst=True)  # Excel date cells, not text
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as w:
        pd.DataFrame([["Burglaries 2023"]]).to_excel(w, index=False, header=False, sheet_name="Crimes")
        df.to_excel(w, index=False, startrow=2, sheet_name="Crimes")
    r = run("validate", path, "--crs", "EPSG:27700", "--crime-type", "Burglary", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["rows"] == got["accepted"] == 120 and got["date_range"] == ["2023-01-01", "2023-12-24"]
    assert any("'Burglaries 2023'" in n for n in got["notes"])


def test_a_workbook_of_several_sheets_or_an_xls_is_refused_by_name(tmp_path):
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path) as w:
        force_export().to_excel(w, index=False, sheet_name="2023")
        force_export(seed=3).to_excel(w, index=False, sheet_name="2024")
    with pytest.raises(InputFileError, match=r"2 sheets hold data \(2023, 2024\)"):
        read_incidents(path, crime_types="Burglary", crs="EPSG:27700")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200))
    r = run("validate", old, "--crs", "EPSG:27700")
    assert r.returncode == 2 and "old.xls: .xls spreadsheets are not read" in r.stderr
    assert "undecodable" not in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- trap 1: intake options everywhere

INTAKE_OPTIONS = ("--crs", "--date-format", "--format", "--id-col", "--date-col", "--x-col", "--y-col", "--lon-col",
                  "--lat-col", "--type-col", "--location-col", "--crime-type")


def test_every_command_that_reads_incidents_takes_every_intake_option():
    import typer

    import cli

    commands = typer.main.get_command(cli.app).commands
    readers = {n for n, c in commands.items() if any("--crime-type" in p.opts for p in c.params)}
    assert {"report", "league", "leaflets", "anpr", "crossborder", "kde", "backtest", "load", "knox", "validate",
            "brief", "nanobeats", "run", "map", "check-public"} <= readers
    for name in readers:
        opts = {o for p in commands[name].params for o in p.opts}
        assert set(INTAKE_OPTIONS) <= opts, (name, set(INTAKE_OPTIONS) - opts)
        assert all(p.help for p in commands[name].params if set(p.opts) & set(INTAKE_OPTIONS)), name


@pytest.fixture(scope="module")
def own_barnet(tmp_path_factory, barnet_csv):
    """Barnet's police.uk burglaries 2021-2024 as a force export: own column names, BNG metres, day dates."""
    import pyproj

    df = pd.read_csv(barnet_csv)
    df = df[(df["Crime type"] == "Burglary") & df["Longitude"].notna() & (df["Month"] >= "2021-01")]
    df = df[df["Month"] <= "2024-12"].drop_duplicates("Crime ID")
    e, n = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(df["Longitude"].to_numpy(),
                                                                               df["Latitude"].to_numpy())
    own = pd.DataFrame({"Ref": df["Crime ID"].to_numpy(), "When": "15/" + df["Month"].str[5:] + "/" + df["Month"].str[:4],
                        "E": e.round(1), "N": n.round(1), "Offence": "Burglary"})
    path = tmp_path_factory.mktemp("own") / "barnet_export.csv"
    own.to_csv(path, index=False)
    return path


OWN_OPTIONS = ("--crs", "EPSG:27700", "--x-col", "E", "--date-col", "When", "--id-col", "Ref",
               "--date-format", "%d/%m/%Y", "--crime-type", "all")


@pytest.mark.parametrize("command", [
    ("report", "{own}", "--area", "Barnet", "--month", "2024-12"),
    ("league", "{own}", "--areas", "Barnet", "--month", "2024-12"),
    ("leaflets", "{own}", "--area", "Barnet"),
    ("anpr", "--incidents", "{own}", "--area", "Barnet"),
])
def test_report_league_leaflets_anpr_take_the_intake_options(command, own_barnet, boroughs_file, tmp_path):
    args = [a.format(own=own_barnet) for a in command] + ["--area-file", boroughs_file, *OWN_OPTIONS]
    r = run(*args, "--y-col", "Northing")  # a wrong name: the option reached the intake, which names the column
    assert r.returncode == 2, r.stderr
    assert "No such option" not in r.stderr and "column 'Northing' (given for y) not found" in r.stderr


# --------------------------------------------------------------------------- traps 2 and 3: the report's baseline and ranks


@pytest.fixture(scope="module")
def own_report(own_barnet, boroughs_file):
    r = run("report", own_barnet, "--area-file", boroughs_file, "--area", "Barnet", "--month", "2024-12",
            *OWN_OPTIONS, "--y-col", "N", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_an_own_file_starting_later_says_its_baseline_moved(own_report):
    assert own_report["vs_baseline"]["fy"] == 2021  # the input starts 2021-01; police.uk's Barnet data 2013-12
    moved = [w for w in own_report["warnings"] if w.startswith("the baseline is FY 2021/22")]
    assert len(moved) == 1 and "FY 2014/15" in moved[0] and "--baseline-fy" in moved[0]


def test_ranks_from_reference_counts_beside_own_counts_say_so(own_report):
    said = [w for w in own_report["warnings"] if w.startswith("rates and ranks count every area the same way")]
    assert len(said) == 1
    assert f"{own_report['rolling_12m']['volume']:,} in the input" in said[0] and "police.uk" in said[0]


def test_report_and_league_rank_on_one_basis(own_report, boroughs_file, shared_data):
    from hotspot.jobs.report import london_context

    r = run("league", "--area-file", boroughs_file, "--month", "2024-12", "--json")
    assert r.returncode == 0, r.stderr
    league = json.loads(r.stdout)
    assert own_report["rank_by"] == league["rank_by"] == "burglaries per 1,000 households, rolling 12 months"
    ranks = {a["area"]: a["rank"] for a in league["areas"] if a["rank"] is not None}
    assert own_report["london_rank"] == ranks["Barnet"] and own_report["london_of"] == len(ranks) == 32
    # every borough: the report's ranking (reference counts per household) is the league's
    london = london_context(shared_data)
    rates = london.rolling_rates(pd.Period("2024-12", "M"), per="households").drop("City of London")
    assert rates.rank(ascending=False, method="min").astype(int).to_dict() == ranks


# --------------------------------------------------------------------------- traps 4 and 5: what a brief's target says


def _clusters(seed: int = 4):
    """Two burglary clusters 260 m apart (so their targets share burglaries) and a third of
    supermarket points, 14 days of day-precision data in a 3 km square."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    centres = [(1000, 1000, "On or near Oak Road"), (1260, 1000, "On or near Elm Grove"),
               (2300, 2200, "On or near Supermarket")]
    rows = []
    for cx, cy, where in centres:
        for k in range(12):
            r, a = 160 * np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
            rows.append((cx + r * np.cos(a), cy + r * np.sin(a), f"2024-03-{1 + k:02d}", where))
    x, y, d, loc = zip(*rows)
    return gpd.GeoDataFrame({"incident_id": [f"i{k}" for k in range(len(rows))], "occurred": pd.to_datetime(d),
                             "date_precision": "day", "crime_type": "Burglary", "location_text": loc},
                            geometry=gpd.points_from_xy(x, y), crs=27700)


@pytest.fixture(scope="module")
def cluster_plan():
    from shapely.geometry import box

    from hotspot.areas import area_from_geometry
    from hotspot.nanobeats import NanoBeatPlanner

    inc = _clusters()
    area = area_from_geometry(box(0, 0, 3000, 3000), 27700, "test")
    plan = NanoBeatPlanner.from_window(inc, area, distance=200, days=14).solve("2024-03-14", n_targets=4)
    plan.test_area = area
    return inc, plan


def test_a_targets_distances_are_from_its_centre(cluster_plan):
    import re

    import shapely

    inc, plan = cluster_plan
    t = plan.targets
    assert len(t) >= 3
    x, y = inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy()
    for r in t.itertuples():
        # brute force: the window's burglaries that gave the target its risk (within 200 m of its patrol area)
        near = shapely.dwithin(r.geometry, shapely.points(x, y), 200)
        assert near.sum() == r.n_recent
        farthest = np.hypot(x[near] - r.centroid_x, y[near] - r.centroid_y).max()
        stated = float(re.match(r"(\d+) burglar(?:y|ies) within (\d+) m of its centre", r.why).group(2))
        assert farthest <= stated < farthest + 10  # the reach from the centre, rounded up to 10 m
    assert any(float(re.search(r"within (\d+) m", w).group(1)) > 200 for w in t["why"])  # the old text said 200


def test_burglaries_counted_at_two_targets_are_said(cluster_plan, tmp_path):
    import shapely

    from hotspot.render.brief import patrol_brief

    inc, plan = cluster_plan
    t = plan.targets
    pts = shapely.points(inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy())
    sets = [set(np.flatnonzero(shapely.dwithin(g, pts, 200))) for g in t.geometry]
    distinct = len(set().union(*sets))
    assert t["n_sources"].sum() > distinct  # the two close clusters' targets do share burglaries
    assert t["n_sources_first"].sum() == distinct
    shared = t[t["n_sources_shared"] > 0]
    assert len(shared) >= 2 and shared["sources_also_at"].notna().all()
    brief = patrol_brief(plan, plan.test_area)
    assert any(f"add up to {t['n_sources'].sum()} burglaries but are {distinct} distinct" in n for n in brief.notes)
    rows = brief.to_json()["targets"]
    order = dict(zip(t["target_id"], t["patrol_order"]))
    for r in shared.itertuples():
        row = next(x for x in rows if x["rank"] == r.patrol_order)
        assert f"{r.n_sources_shared} of these also counted at target #" in row["why"]
        assert all(f"#{order[o.split(' ')[0]]}" in row["why"] for o in r.sources_also_at.split(", "))


def test_targets_of_business_premises_are_marked(cluster_plan):
    from hotspot.nanobeats import business_premises
    from hotspot.render.brief import patrol_brief

    inc, plan = cluster_plan
    t = plan.targets
    shop = t[(t["centroid_x"] > 2000)]
    homes = t[(t["centroid_x"] < 2000)]
    assert len(shop) >= 1 and len(homes) >= 1
    assert shop["business"].all() and (shop["business_share"] == 1.0).all()
    assert (shop["business_places"] == "Supermarket").all() and not homes["business"].any()
    assert all("mainly business premises" in w and "supermarket" in w for w in shop["why"])
    j = patrol_brief(plan, plan.test_area).to_json()
    assert [r["business"] for r in j["targets"]] == [bool(b) for b in t.sort_values("patrol_order")["business"]]
    assert business_premises(["On or near Petrol Station", "On or near Oak Road"])["business"]  # half: marked
    assert not business_premises(["On or near Shopping Area", "On or near Oak Road", "On or near Elm Grove"])["business"]


# --------------------------------------------------------------------------- trap 8: a brief for a whole city


def test_a_city_wide_brief_is_one_page_of_beats_a_team_can_drive(shared_data, tmp_path, monkeypatch, capsys):
    import shutil

    from hotspot import settings

    sys.path.insert(0, str(ROOT))
    try:
        from cli import main
    finally:
        sys.path.remove(str(ROOT))
    # Chicago's ten targets lie ~12 km of route apart; a shift that drives 6 km at most must split them
    # into beats (in this process, so the setting, read at call time, holds)
    monkeypatch.setattr(settings, "NANOBEAT_BEAT_ROUTE_M", 6_000.0)
    chicago = shared_data / "crime/exact_dates/chicago_residential_burglary_2014_2017.csv"
    capsys.readouterr()
    code = main([str(a) for a in ("brief", chicago, "--crs", "EPSG:26971", "--as-of", "2017-06-01",
                                  "--out", tmp_path / "b.html", "--pdf", tmp_path / "b.pdf", "--json")])
    out, err = capsys.readouterr()
    assert code == 0, err
    j = json.loads(out)
    assert j["area"] == "Chicago (records' extent)"  # was "incident footprint"
    page = (tmp_path / "b.html").read_text()
    assert "Patrol brief: Chicago (records&#x27; extent)" in page and "incident footprint" not in page
    beats = j["beats"]
    assert j["route_km"] > 6, "the ten targets fit one 6 km route: the test no longer exercises beats"
    assert len(beats) >= 2 and all(b["route_km"] <= 6 for b in beats)
    assert sorted(t for b in beats for t in b["targets"]) == [t["rank"] for t in j["targets"]]
    assert j["route_km"] == pytest.approx(sum(b["route_km"] for b in beats), abs=0.01)
    # no leg joins two beats (no start: a path through each beat's targets)
    assert page.count('class="route-leg') == sum(len(b["targets"]) - 1 for b in beats)
    assert page.count('class="beat-row"') == len(beats)
    info = subprocess.run([shutil.which("pdfinfo") or "pdfinfo", tmp_path / "b.pdf"], capture_output=True, text=True)
    assert info.returncode == 0, "pdfinfo (poppler-utils) is needed"
    assert "Pages:           1" in info.stdout  # was 2


def test_beats_are_the_fewest_routes_within_the_limit():
    from hotspot.routing import beat_routes, patrol_route

    rng = np.random.default_rng(8)
    towns = np.array([[0, 0], [30_000, 0], [0, 30_000]])
    xy = np.vstack([c + rng.normal(0, 800, (4, 2)) for c in towns])[rng.permutation(12)]
    order, lengths, beat = beat_routes(xy, None, max_route_m=10_000)
    assert sorted(order) == list(range(12)) and len(lengths) == beat.max() == 3 and max(lengths) <= 10_000
    # each beat is one town, and its route is the patrol route through its targets
    for b, length in zip(range(1, 4), lengths):
        pts = xy[np.array(order)[beat == b]]
        assert np.ptp(pts, axis=0).max() < 10_000
        assert length == pytest.approx(patrol_route(pts)[1])
    assert beat_routes(xy, None, max_route_m=1e9)[2].max() == 1  # close enough: one beat
    assert order[0] == 0  # beat 1 holds the first (highest-risk) target


def test_the_map_draws_one_route_per_beat(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from hotspot import settings
    from hotspot.areas import area_from_geometry
    from hotspot.crs import to_lonlat
    from hotspot.nanobeats import NanoBeatPlanner
    from hotspot.render.leaflet import HotspotMap
    from hotspot.render.maps import add_nanobeats

    rng = np.random.default_rng(3)
    towns = [(530_000, 180_000), (530_000, 186_000), (546_000, 180_000)]  # 6 and 16 km apart, metres
    pts = np.vstack([np.array(c) + rng.normal(0, 100, (5, 2)) for c in towns])
    inc = gpd.GeoDataFrame({"incident_id": [f"i{k}" for k in range(len(pts))],
                            "occurred": pd.to_datetime([f"2024-03-{1 + k % 10:02d}" for k in range(len(pts))]),
                            "date_precision": "day", "crime_type": "Burglary", "location_text": ""},
                           geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=27700)
    area = area_from_geometry(box(525_000, 175_000, 550_000, 190_000), 27700, "test")
    lon, lat = to_lonlat([530_000.0], [180_500.0], area.crs)
    plan = NanoBeatPlanner.from_window(inc, area, distance=200, days=14).solve(
        "2024-03-14", n_targets=3, start_lonlat=(float(lon[0]), float(lat[0])))
    # one loop from the start through all three is ~44 km: two beats, the far town's loop alone ~31 km
    assert settings.NANOBEAT_BEAT_ROUTE_M == 25_000
    beats = plan.targets.groupby("beat").size().to_dict()
    assert len(beats) == 2
    lines = plan.beat_lines()
    assert len(lines) == 2 and all(ln.coords[0] == ln.coords[-1] == tuple(plan.start) for ln in lines)
    assert sum(ln.length for ln in lines) == pytest.approx(plan.route_length_m)
    m = HotspotMap(area, tiles="none", title="beats")
    add_nanobeats(m, plan)
    m.save(tmp_path / "m.html")
    assert (tmp_path / "m.html").read_text().count("Patrol route, beat ") == 2
