"""The all-areas league and backtest on dask.distributed.

Done-when: the league for all 33 London boroughs equals an independent pandas
count of the Parquet file (dedupe by Crime ID, borough = LSOA-name prefix)
for every borough; it runs on a LocalCluster and on a scheduler given by
address; the same league from PostGIS (after ``hotspot load``) equals the one
from the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from hotspot._errors import HotspotError
from hotspot.league import backtest_areas, build_league, run_area_tasks, select_areas
from hotspot.report import change_pct, expected_range, rag_rating

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2024-12"


@pytest.fixture(scope="module")
def files(shared_data):
    f = {"parquet": shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet",
         "layer": shared_data / "boundaries" / "london_boroughs.geojson",
         "households": shared_data / "demographics" / "lsoa2011_census2011_population_households.csv"}
    for p in f.values():
        if not p.is_file():
            pytest.fail(f"{p} missing: the league tests read the reference data in place", pytrace=False)
    return f


@pytest.fixture(scope="module")
def reference(files):
    """Independent pandas league: dedupe by Crime ID (first row kept), borough
    = LSOA-name prefix, monthly counts, households summed by LAD code."""
    df = pd.read_parquet(files["parquet"], columns=["Crime ID", "Month", "LSOA name", "Longitude"])
    df = df.drop_duplicates("Crime ID")
    df = df[df["Longitude"].notna()]  # rows without a location cannot be placed (intake rejects them)
    df["borough"] = df["LSOA name"].str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)
    monthly = df.groupby(["borough", "Month"]).size()
    hh = pd.read_csv(files["households"]).groupby("lad_code")["households"].sum()
    return monthly, hh


@pytest.fixture(scope="module")
def league_cluster(files):
    return build_league([str(files["parquet"])], files["layer"], MONTH, households=files["households"], workers=2)


def test_league_equals_independent_count_on_local_cluster(league_cluster, reference):
    monthly, hh = reference
    res = league_cluster
    assert res.run.workers == 2 and not res.failed and res.assign == "lsoa"
    t = res.table.set_index("area")
    assert len(t) == 33
    M = pd.Period(MONTH, "M")
    months = [str(M - k) for k in range(60)][::-1]
    for area, row in t.iterrows():
        s = monthly.loc[area].reindex(months, fill_value=0)
        r12, p12 = int(s.iloc[-12:].sum()), int(s.iloc[-24:-12].sum())
        assert row["rolling_12m"] == r12, area
        assert row["previous_12m"] == p12, area
        assert row["change_pct"] == change_pct(r12, p12)
        assert row["households"] == hh[row["code"]]
        assert row["rate_per_1000_households"] == pytest.approx(r12 / hh[row["code"]] * 1000, abs=5e-4)
        series = pd.Series(s.to_numpy(), index=pd.PeriodIndex(months, freq="M"))
        rng = expected_range(series)
        high = bool(((rng["direction"] == "high") & (rng.index > M - 3)).any())
        assert row["rag"] == rag_rating(change_pct(r12, p12), high_exception_recent=high)
    rates = t["rate_per_1000_households"].where(t["households"] >= 10_000)  # City of London: not ranked
    assert t["rank"].isna().sum() == 1 and pd.isna(t.loc["City of London", "rank"])
    assert list(t["rank"].dropna()) == list(rates.rank(ascending=False, method="min").dropna().astype(int))
    assert list(res.table["rank"].dropna()) == sorted(res.table["rank"].dropna())
    assert res.total["rolling_12m"] == t["rolling_12m"].sum()
    assert res.total["households"] == pytest.approx(sum(hh[c] for c in t["code"]))


def test_sequential_and_scheduler_address_give_identical_tables(files, league_cluster):
    from distributed import LocalCluster

    seq = build_league([str(files["parquet"])], files["layer"], MONTH, households=files["households"], workers=0)
    assert seq.run.workers == 0
    pd.testing.assert_frame_equal(seq.table, league_cluster.table)
    assert seq.total == league_cluster.total
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        addr = cluster.scheduler_address
        assert addr.startswith("tcp://127.0.0.1:")
        few = ["Barnet", "Camden", "Croydon"]
        remote = build_league([str(files["parquet"])], files["layer"], MONTH, households=files["households"],
                              areas=few, scheduler=addr)
    assert remote.run.workers == 1
    ref = seq.table.set_index("area").loc[few, ["rolling_12m", "previous_12m", "change_pct", "rate_per_1000_households", "rag"]]
    got = remote.table.set_index("area").loc[few, ref.columns]
    pd.testing.assert_frame_equal(got, ref)


def _fail_for_camden(spec):
    if spec.name == "Camden":
        raise HotspotError("synthetic failure in Camden")
    return {"area": spec.name, "pid": 0, "peak_rss_mb": 0.0}


def test_failed_area_is_named_and_others_kept(files):
    specs = select_areas(files["layer"], "Barnet,Camden,Hackney")
    for workers in (0, 2):
        results, run = run_area_tasks(_fail_for_camden, specs, workers=workers)
        assert sorted(results) == ["Barnet", "Hackney"]
        assert list(run.failed) == ["Camden"] and "synthetic failure in Camden" in run.failed["Camden"]


def test_month_after_data_refused_and_unknown_area(files):
    with pytest.raises(HotspotError, match="after the data's last month 2025-02"):
        build_league([str(files["parquet"])], files["layer"], "2025-03", households=files["households"], workers=0)
    with pytest.raises(HotspotError, match="2014-12.*24 months"):
        build_league([str(files["parquet"])], files["layer"], "2014-12", households=files["households"], workers=0)
    with pytest.raises(HotspotError, match="households file not found"):
        build_league([str(files["parquet"])], files["layer"], MONTH, households=files["households"].with_name("x.csv"),
                     workers=0)
    r = subprocess.run([sys.executable, "cli.py", "league", str(files["parquet"]), "--area-file", str(files["layer"]),
                        "--month", "2025-06", "--workers", "0"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "2025-02" in r.stderr


def test_league_from_postgis_equals_file(pg_url, files, league_cluster, tmp_path):
    url = pg_url + "?table=london_incidents"
    r = subprocess.run([sys.executable, "cli.py", "load", str(files["parquet"]), "--to", url, "--crime-type",
                        "Burglary", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["rows"] == 743_520 == info["accepted"] + info["rejected"] + info["filtered"]
    r = subprocess.run([sys.executable, "cli.py", "league", url, "--area-file", str(files["layer"]), "--month", MONTH,
                        "--households", str(files["households"]), "--workers", "2", "--json",
                        "--out", str(tmp_path / "league.csv"), "--html", str(tmp_path / "league.html")],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"month", "areas", "workers", "seconds"} and out["workers"] == 2
    ref = json.loads(json.dumps(league_cluster.to_json()))
    assert out["areas"] == ref["areas"]
    assert out["total"] == ref["total"]
    csv = pd.read_csv(tmp_path / "league.csv")
    assert len(csv) == 34 and csv["area"].iloc[-1] == "All areas"
    assert csv["rolling_12m"].iloc[:-1].sum() == csv["rolling_12m"].iloc[-1]
    assert "<td>Westminster</td>" in (tmp_path / "league.html").read_text()
    # the league itself as a PostGIS output, twice: the run's rows are replaced, not doubled
    for _ in range(2):
        r = subprocess.run([sys.executable, "cli.py", "league", str(files["parquet"]), "--area-file", str(files["layer"]),
                            "--month", MONTH, "--households", str(files["households"]), "--workers", "0",
                            "--areas", "Barnet,Camden", "--out", pg_url + "?table=league_runs"],
                           cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    import sqlalchemy as sa

    from hotspot import stores

    with stores.engine(stores.parse_pg_url(pg_url, need="none")).connect() as c:
        rows = c.execute(sa.text("SELECT area, rolling_12m, run_params FROM league_runs ORDER BY area")).fetchall()
    assert [r[0] for r in rows] == ["All areas", "Barnet", "Camden"]
    assert json.loads(rows[1][2])["month"] == MONTH
    assert rows[1][1] == ref["areas"][[a["area"] for a in ref["areas"]].index("Barnet")]["rolling_12m"]


@pytest.mark.browser
def test_league_page_in_browser(browser, league_cluster, tmp_path):
    from hotspot.render.league import league_html

    p = tmp_path / "league.html"
    p.write_text(league_html(league_cluster), encoding="utf-8")
    browser.get(p.resolve().as_uri())
    rows = browser.find_elements("css selector", "#league tbody tr")
    assert len(rows) == 34
    first = rows[0].find_elements("css selector", "td")
    top = league_cluster.table.iloc[0]
    assert first[1].text == top["area"] and first[3].text == f"{top['rolling_12m']:,}"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_backtest_areas_parallel_equals_direct(files):
    from hotspot.areas import load_area
    from hotspot.forecast import PeriodCounts, backtest
    from hotspot.intake import read_incidents

    kw = dict(areas="City of London,Kingston upon Thames", start="2024-07", end="2024-12",
              methods=["counts_12", "kde_200m_12", "prospective"], levels=(0.05, 0.10), bootstrap=50, seed=3)
    par = backtest_areas([str(files["parquet"])], files["layer"], workers=2, **kw)
    seq = backtest_areas([str(files["parquet"])], files["layer"], workers=0, **kw)
    assert not par.failed and par.run.workers == 2
    pd.testing.assert_frame_equal(par.table, seq.table)
    assert set(par.table["area"]) == {"City of London", "Kingston upon Thames"}
    assert len(par.table) == 2 * 3 * 2
    # reference: the single-area API (read_incidents + PeriodCounts + backtest) in this process
    area = load_area(files["layer"], "Kingston upon Thames")
    inc = read_incidents(files["parquet"], crime_types="Burglary", area=area).incidents
    bt = backtest(PeriodCounts.from_incidents(inc, area), start="2024-07", end="2024-12",
                  methods=kw["methods"], levels=[0.05, 0.10], best_level=0.05, bootstrap=50, seed=3)
    mine = par.table[par.table["area"] == "Kingston upon Thames"].drop(columns=["area", "best"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, bt.summary.reset_index(drop=True))


def test_crime_id_in_two_areas_counted_once_in_first(files, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = pd.read_parquet(files["parquet"])
    keep = df["LSOA name"].fillna("").str.match(r"^(Barnet|Camden)\s+\d{3}[A-Z]$") & (df["Month"] >= "2021-01")
    df = df[keep].drop_duplicates("Crime ID").reset_index(drop=True)
    moved = df[(df["LSOA name"].str.startswith("Barnet ")) & (df["Month"] == "2024-06")].iloc[[0]].copy()
    moved["LSOA name"] = "Camden 001A"  # the same crime id again, later in the file, in another area
    pq.write_table(pa.Table.from_pandas(pd.concat([df, moved], ignore_index=True), preserve_index=False),
                   tmp_path / "two.parquet", row_group_size=4000)
    res = build_league([str(tmp_path / "two.parquet")], files["layer"], MONTH, areas="Barnet,Camden",
                       households=files["households"], workers=0)
    t = res.table.set_index("area")
    in12 = df["Month"].between("2024-01", "2024-12")
    assert t.loc["Barnet", "rolling_12m"] == int((in12 & df["LSOA name"].str.startswith("Barnet ")).sum())
    assert t.loc["Camden", "rolling_12m"] == int((in12 & df["LSOA name"].str.startswith("Camden ")).sum())
    assert any(w.startswith("crime ids found in more than one area") and ": 1;" in w for w in res.warnings)


def test_polygon_assignment_equals_single_area_reads(files):
    from hotspot.areas import load_area
    from hotspot.intake import read_incidents

    few = "Kingston upon Thames,Sutton"
    res = build_league([str(files["parquet"])], files["layer"], MONTH, areas=few, assign="polygon",
                       households=files["households"], workers=0)
    assert res.assign == "polygon"
    for name in few.split(","):
        inc = read_incidents(files["parquet"], crime_types="Burglary", area=load_area(files["layer"], name)).incidents
        per = inc["occurred"].dt.to_period("M")
        M = pd.Period(MONTH, "M")
        row = res.table.set_index("area").loc[name]
        assert row["rolling_12m"] == int(((per > M - 12) & (per <= M)).sum())
        assert row["previous_12m"] == int(((per > M - 24) & (per <= M - 12)).sum())


def test_a_league_whose_rows_are_all_of_another_crime_type_says_so(tmp_path, shared_data):
    from shapely.geometry import box

    from hotspot._errors import HotspotError
    from hotspot.league import build_league

    src = shared_data / "crime" / "exact_dates" / "vancouver_break_and_enter_2020.csv"
    layer = gpd.GeoDataFrame({"name": ["West", "East"]},
                             geometry=[box(-123.23, 49.19, -123.1, 49.32), box(-123.1, 49.19, -123.02, 49.32)],
                             crs=4326)
    with pytest.raises(HotspotError, match=r"no incidents in any area: the rows read are of other crime types than "
                                           r"asked \(crime types present: Break and Enter Commercial \(2,787\), "
                                           r"Break and Enter Residential/Other \(2,083\)\); give --crime-type"):
        build_league([str(src)], layer, "2020-12", households=shared_data / "demographics" /
                     "lsoa2011_census2011_population_households.csv", workers=0)
