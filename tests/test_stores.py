"""Parquet / GeoParquet and PostGIS stores: push-down reads equal a full read
and filter, intake from a store equals intake from the same rows as CSV, one
writer for every format, idempotent PostGIS outputs, one-line errors.

The PostGIS tests run against a real PostgreSQL + PostGIS started for the
session (tests/pg.py); a missing server fails them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from hotspot import stores
from hotspot._errors import StoreError
from hotspot.intake import read_incidents
from hotspot.stores import StoreSource, load_incidents, read_parquet_raw, read_postgis_raw, write_table

ROOT = Path(__file__).resolve().parents[1]
LONDON = "crime/london_burglary_police_uk_2013-12_2025-02.parquet"
PREFIX = r"\s+\d{3}[A-Z]$"


@pytest.fixture(scope="module")
def london_parquet(shared_data) -> Path:
    p = shared_data / LONDON
    if not p.is_file():
        pytest.fail(f"{p} missing: the store tests read the London police.uk Parquet file in place", pytrace=False)
    return p


@pytest.fixture(scope="module")
def london_df(london_parquet) -> pd.DataFrame:
    return pd.read_parquet(london_parquet)


@pytest.fixture(scope="module")
def small_parquet(tmp_path_factory, london_df) -> tuple[Path, pd.DataFrame]:
    """Barnet + Enfield + Haringey rows 2022-2024 with a few broken rows, as
    Parquet in small row groups (so statistics can skip some) and as CSV."""
    names = london_df["LSOA name"].fillna("")
    keep = names.str.match(r"^(Barnet|Enfield|Haringey)" + PREFIX) & london_df["Month"].between("2022-01", "2024-12")
    df = london_df[keep].copy()
    bad = df.iloc[:4].copy()
    bad["Crime ID"] = ["broken-1", "broken-2", "broken-3", "broken-4"]
    bad.iloc[0, bad.columns.get_loc("Longitude")] = np.nan      # missing coordinates
    bad.iloc[1, bad.columns.get_loc("Month")] = "2023-13"       # unparsable date
    bad.iloc[2, bad.columns.get_loc("Longitude")] = 0.0
    bad.iloc[2, bad.columns.get_loc("Latitude")] = 0.0          # zero coordinates
    bad.iloc[3, bad.columns.get_loc("Crime type")] = "Robbery"  # filtered
    df = pd.concat([df, bad, df.iloc[10:13]], ignore_index=True)  # + 3 duplicate ids
    d = tmp_path_factory.mktemp("small")
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), d / "small.parquet", row_group_size=5000)
    df.to_csv(d / "small.csv", index=False)
    return d / "small.parquet", df


def test_lsoa_pushdown_equals_full_read_and_filter(london_parquet, london_df):
    got, total = read_parquet_raw(london_parquet, lsoa_prefix="Barnet")
    mask = london_df["LSOA name"].fillna("").str.match("^Barnet" + PREFIX).to_numpy()
    want = london_df[mask]
    assert total == len(london_df) == 743_520
    assert len(got) == len(want) > 30_000
    assert np.array_equal(got.index.to_numpy(), np.flatnonzero(mask) + 1)  # file row numbers, 1-based
    assert (got["Crime ID"].to_numpy() == want["Crime ID"].to_numpy()).all()
    # floats come back as strings that parse to the same doubles
    assert np.array_equal(got["Longitude"].astype(float).to_numpy(), want["Longitude"].to_numpy())


def test_bbox_and_month_pushdown_equals_filter(london_parquet, london_df):
    box = (-0.2, 51.5, -0.1, 51.55)
    got, _ = read_parquet_raw(london_parquet, bbox=box, months=("2023-04", "2023-09"))
    d = london_df
    m = (d.Longitude.between(box[0], box[2]) & d.Latitude.between(box[1], box[3])
         & d.Month.between("2023-04", "2023-09")).to_numpy()
    assert np.array_equal(got.index.to_numpy(), np.flatnonzero(m) + 1)
    assert set(got["Month"]) == {f"2023-{k:02d}" for k in range(4, 10)}


@pytest.mark.parametrize("kind", ["ym", "ts"])
def test_month_pushdown_skips_row_groups_and_equals_full_read_and_filter(tmp_path, monkeypatch, kind):
    # months in order over 8 row groups (statistics can skip); police.uk "Month" text or a timestamp column
    months = pd.period_range("2022-01", "2023-12", freq="M")
    rng = np.random.default_rng(3)
    n = 960
    when = pd.Series(months.repeat(n // len(months))).dt.to_timestamp() + pd.to_timedelta(rng.integers(0, 27, n), "D")
    df = pd.DataFrame({"Crime ID": [f"c{i}" for i in range(n)], "Longitude": rng.uniform(-0.3, 0.1, n),
                       "Latitude": rng.uniform(51.4, 51.6, n), "Crime type": "Burglary"})
    if kind == "ym":
        df["Month"] = when.dt.strftime("%Y-%m")
    else:
        df["Date"] = when
    path = tmp_path / f"{kind}.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=n // 8)
    read = []
    real = pq.ParquetFile.read_row_group
    monkeypatch.setattr(pq.ParquetFile, "read_row_group", lambda self, i, *a, **k: read.append(i) or real(self, i, *a, **k))
    got, total = read_parquet_raw(path, months=("2022-05", "2022-09"))
    pushed, read = read, []
    full, _ = read_parquet_raw(path)
    col = "Month" if kind == "ym" else "Date"
    keep = full[col].str[:7].between("2022-05", "2022-09")
    assert total == n and keep.sum() > 0
    # the same strings; a text column of few distinct values is a Categorical, and the rows read hold fewer of them
    pd.testing.assert_frame_equal(got.astype(object), full[keep].astype(object))
    if kind == "ym":  # text statistics skip the row groups outside the months (timestamps are filtered row-wise)
        assert pushed == [1, 2] and read == list(range(8))  # 3 months per row group: 2022-04..06, 07..09


def test_intake_from_parquet_equals_csv_with_area(small_parquet, shared_data):
    from hotspot.areas import load_area

    pq_path, df = small_parquet
    barnet = load_area(shared_data / "boundaries" / "london_boroughs.geojson", "Barnet")
    a = read_incidents(pq_path, crime_types="Burglary", area=barnet)
    b = read_incidents(pq_path.with_suffix(".csv"), crime_types="Burglary", area=barnet)
    assert a.rows == a.accepted + a.rejected + a.n_filtered
    # the box push-down only skips rows the polygon test would reject as outside
    assert a.accepted == b.accepted > 5000
    assert list(a.incidents["incident_id"]) == list(b.incidents["incident_id"])
    assert list(a.incidents["source_row"]) == list(b.incidents["source_row"])
    assert np.allclose(shapely.get_coordinates(a.incidents.geometry.to_numpy()),
                       shapely.get_coordinates(b.incidents.geometry.to_numpy()), atol=1e-9)
    ra, rb = a.reasons, b.reasons
    rb_out = rb.pop("outside area")
    assert ra.pop("outside area") <= rb_out  # fewer read, the rest were never input rows of this read
    # rows without usable coordinates lie in no box: not read, so not rejected either
    assert ra == {k: v for k, v in rb.items() if k not in ("missing coordinates", "zero coordinates")}
    assert a.rows < b.rows
    assert any("read" in n and "push-down" in n for n in a.notes)
    assert a.date_precision == "month"


@pytest.mark.parametrize("name", ["Barnet", "Enfield"])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_one_read_for_the_area_and_around_it_equals_the_two_reads(small_parquet, shared_data, monkeypatch, name,
                                                                  suffix):
    # issue 22, read once: the area's own rows judged from the read at the widest buffer are the rows, rejects,
    # notes and counts of a read for the area alone (its membership rule and edge tolerance), and the rows around
    # it those of a read around it; the input is read once (a store in the box holding both boxes)
    import hotspot.intake.stages
    from hotspot.areas import load_area
    from hotspot.context import read_around, read_with_around

    path = small_parquet[0].with_suffix(suffix)
    area = load_area(shared_data / "boundaries" / "london_boroughs.geojson", name)
    own = read_incidents(path, crime_types="Burglary", area=area)
    ring = read_around(path, area, buffer_m=3000.0, crime_types="Burglary")
    loads: list = []
    real = hotspot.intake.stages._load_source
    monkeypatch.setattr(hotspot.intake.stages, "_load_source", lambda src, *a, **k: loads.append(src) or real(src, *a, **k))
    one, around = read_with_around(path, area, buffer_m=3000.0, crime_types="Burglary")
    assert len(loads) == 1
    assert one.summary() == own.summary() and one.accepted > 1000
    # equal values; a Categorical's categories are those of the rows read (the wider read holds more), not compared
    for got, want in ((one.incidents, own.incidents), (one.rejects, own.rejects), (one.filtered, own.filtered)):
        pd.testing.assert_frame_equal(pd.DataFrame(got).astype(object), pd.DataFrame(want).astype(object))
    assert around.equals(ring) and len(around) > one.accepted
    if suffix == ".parquet":  # the area's own push-down note, not the wider read's
        assert [n for n in one.notes if "push-down" in n] == [n for n in own.notes if "push-down" in n] != []


def test_intake_from_parquet_without_area_is_every_row(small_parquet):
    pq_path, df = small_parquet
    a = read_incidents(pq_path, crime_types="Burglary")
    b = read_incidents(pq_path.with_suffix(".csv"), crime_types="Burglary")
    assert a.rows == len(df) == b.rows
    sa, sb = a.summary(), b.summary()
    # identical but for the file each source names
    for s_ in (sa, sb):
        for src in s_["sources"]:
            src.pop("file")
    assert sa == sb
    natural = int(df.iloc[:-7]["Crime ID"].duplicated().sum())
    assert a.reasons["duplicate id"] == natural + 3 and a.reasons["missing coordinates"] == 1
    assert a.reasons["unparsable date"] == 1 and a.reasons["zero coordinates"] == 1 and a.n_filtered == 1


def test_write_table_formats_round_trip(tmp_path, barnet_intake):
    inc = barnet_intake.incidents.head(200)[["incident_id", "occurred", "crime_type", "geometry"]]
    for name in ("t.geojson", "t.gpkg", "t.parquet"):
        write_table(inc, tmp_path / name)
        back = gpd.read_parquet(tmp_path / name) if name.endswith("parquet") else gpd.read_file(tmp_path / name)
        assert list(back["incident_id"]) == list(inc["incident_id"])
        got = back.to_crs(inc.crs)
        assert np.allclose(shapely.get_coordinates(got.geometry.to_numpy()),
                           shapely.get_coordinates(inc.geometry.to_numpy()), atol=1e-3)
    assert gpd.read_file(tmp_path / "t.geojson").crs.to_epsg() == 4326  # RFC 7946
    meta = pq.ParquetFile(tmp_path / "t.parquet").metadata.metadata
    assert b"geo" in meta and b"covering" in meta[b"geo"]  # GeoParquet with a bbox column
    write_table(inc, tmp_path / "t.csv")
    csv = pd.read_csv(tmp_path / "t.csv")
    assert shapely.from_wkt(csv["geometry"].iloc[0]).equals_exact(inc.geometry.iloc[0], 1e-6)
    with pytest.raises(Exception, match="unknown output type"):
        write_table(inc, tmp_path / "t.xlsx")


def test_geoparquet_input(tmp_path, barnet_intake, barnet):
    inc = barnet_intake.incidents.head(500)[["incident_id", "occurred", "crime_type", "location_text", "geometry"]]
    inc = inc.assign(occurred=inc["occurred"].dt.strftime("%Y-%m"))
    write_table(inc, tmp_path / "g.parquet")
    back = read_incidents(tmp_path / "g.parquet", area=barnet)
    assert back.rows == 500 and back.accepted == 500
    assert list(back.incidents["incident_id"]) == list(inc["incident_id"])
    assert np.allclose(shapely.get_coordinates(back.incidents.geometry.to_numpy()),
                       shapely.get_coordinates(inc.geometry.to_numpy()), atol=1e-6)


# --------------------------------------------------------------------------- PostGIS


def _sql(url, q, **params):
    import sqlalchemy as sa

    with stores.engine(stores.parse_pg_url(url, need="none")).connect() as c:
        return c.execute(sa.text(q), params).fetchall()


def test_postgis_load_read_back_and_idempotent(pg_url, small_parquet, shared_data):
    from hotspot.areas import load_area

    pq_path, df = small_parquet
    res = read_incidents(pq_path, crime_types="Burglary")
    url = pg_url + "?table=small_incidents"
    info = load_incidents(res, url, params={"inputs": [str(pq_path)]})
    assert (info["accepted"], info["rejected"]) == (res.accepted, res.rejected)
    assert _sql(url, "SELECT count(*) FROM small_incidents")[0][0] == res.accepted
    assert _sql(url, "SELECT count(*) FROM small_incidents_rejects")[0][0] == res.rejected
    assert _sql(url, "SELECT DISTINCT ST_SRID(geometry) FROM small_incidents")[0][0] == 27700
    idx = " ".join(r[0] for r in _sql(url, "SELECT indexdef FROM pg_indexes WHERE tablename='small_incidents'"))
    assert "gist (geometry)" in idx.lower()
    # re-running the same run replaces its rows; another run id adds its own
    load_incidents(res, url, params={"inputs": [str(pq_path)]})
    assert _sql(url, "SELECT count(*), count(DISTINCT run_id) FROM small_incidents")[0] == (res.accepted, 1)
    assert _sql(url, "SELECT count(*) FROM small_incidents_rejects")[0][0] == res.rejected
    load_incidents(res, url, run_id="second")
    assert _sql(url, "SELECT count(*), count(DISTINCT run_id) FROM small_incidents")[0] == (2 * res.accepted, 2)
    _sql_exec(url, "DELETE FROM small_incidents WHERE run_id = 'second'")
    # reading back through intake gives the same incidents, still month-precision
    back = read_incidents(url, crime_types="Burglary")
    assert back.rows == back.accepted == res.accepted and back.date_precision == "month"
    assert list(back.incidents["incident_id"]) == list(res.incidents["incident_id"])
    assert np.allclose(shapely.get_coordinates(back.incidents.geometry.to_numpy()),
                       shapely.get_coordinates(res.incidents.geometry.to_numpy()), atol=1e-6)
    # box push-down in the database = polygon test on the full table
    barnet = load_area(shared_data / "boundaries" / "london_boroughs.geojson", "Barnet")
    a = read_incidents(url, area=barnet)
    b = read_incidents(pq_path, crime_types="Burglary", area=barnet)
    assert a.accepted == b.accepted > 0 and a.rows < res.accepted
    assert sorted(a.incidents["incident_id"]) == sorted(b.incidents["incident_id"])
    # LSOA-name and month push-down, and a query source
    got, total = read_postgis_raw(url, lsoa_prefix="Enfield", months=("2023-01", "2023-06"))
    inc = res.incidents
    want = inc[inc["LSOA name"].str.match("^Enfield" + PREFIX) & inc["occurred"].between("2023-01-01", "2023-06-01")]
    assert total == res.accepted and sorted(got["incident_id"]) == sorted(want["incident_id"])
    q = read_incidents(pg_url + "?sql=SELECT * FROM small_incidents WHERE \"LSOA name\" LIKE 'Haringey %'")
    assert q.accepted == int(inc["LSOA name"].str.startswith("Haringey ").sum())


def _sql_exec(url, q):
    import sqlalchemy as sa

    with stores.engine(stores.parse_pg_url(url, need="none")).begin() as c:
        c.execute(sa.text(q))


def test_write_table_postgis_run_ids(pg_url):
    t = pd.DataFrame({"area": ["A", "B"], "value": [1.5, 2.0]})
    url = pg_url + "?table=league_out"
    write_table(t, url, params={"month": "2024-12"})
    write_table(t, url, params={"month": "2024-12"})
    write_table(t.assign(value=[3.0, 4.0]), url, params={"month": "2024-11"})
    rows = _sql(url, "SELECT run_params, sum(value) FROM league_out GROUP BY run_params ORDER BY 1")
    assert [(r[0], r[1]) for r in rows] == [('{"month": "2024-11"}', 7.0), ('{"month": "2024-12"}', 3.5)]
    with pytest.raises(StoreError, match="without columns"):
        write_table(t.assign(extra=1), url, params={"month": "2024-10"})


def test_missing_table_and_dead_server_are_one_line_errors(pg_url, tmp_path):
    with pytest.raises(StoreError, match="table 'nope' does not exist"):
        read_incidents(pg_url + "?table=nope")
    dead = "postgresql://postgres@127.0.0.1:9/hotspot_test?table=x"
    with pytest.raises(StoreError, match="cannot connect"):
        read_incidents(dead)
    # through the CLI (its Path arguments turn "//" into "/": the URL must survive that)
    for args, what in ((["validate", dead], "cannot connect"), (["validate", pg_url + "?table=nope"], "does not exist")):
        r = subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
        assert "error:" in r.stderr and "127.0.0.1" in r.stderr and what in r.stderr


def test_cli_load(pg_url, small_parquet):
    pq_path, df = small_parquet
    url = pg_url + "?table=cli_loaded"
    r = subprocess.run([sys.executable, "cli.py", "load", str(pq_path), "--to", url, "--crime-type", "Burglary",
                        "--json"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    import json

    out = json.loads(r.stdout)
    assert out["rows"] == len(df) == out["accepted"] + out["rejected"] + out["filtered"]
    assert _sql(url, "SELECT count(*) FROM cli_loaded")[0][0] == out["accepted"]


def test_empty_pushdown_is_a_named_error(london_parquet):
    from hotspot._errors import InputFileError

    with pytest.raises(InputFileError, match="no rows match the push-down .*LSOA name 'Nowhere"):
        read_incidents(StoreSource(str(london_parquet), lsoa_prefix="Nowhere"))


def test_csv_outputs_never_carry_a_spreadsheet_formula(tmp_path):
    from hotspot.stores import csv_safe, write_table

    t = pd.DataFrame({"street": ["=HYPERLINK(\"http://x\",\"y\")", "+1 Main St", "-cmd", "@SUM(A1)", "High St"],
                      "count": [-3, 1, 2, 3, 4]})
    write_table(t, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert list(back["street"]) == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1 Main St", "'-cmd", "'@SUM(A1)", "High St"]
    assert list(back["count"]) == [-3, 1, 2, 3, 4]  # numbers untouched
    assert csv_safe(t)["street"].iloc[4] == "High St" and t["street"].iloc[0].startswith("=")  # a copy


@pytest.mark.parametrize("kind", ["ym", "ts", "date"])
def test_geoparquet_month_filter_equals_a_full_read_filtered(tmp_path, kind):
    # issue 21: a GeoParquet read used to ignore months=, returning every month (a league window over all of them)
    import geopandas as gpd

    months = pd.period_range("2022-01", "2023-12", freq="M")
    rng = np.random.default_rng(5)
    n = 480
    when = pd.Series(months.repeat(n // len(months))).dt.to_timestamp() + pd.to_timedelta(rng.integers(0, 27, n), "D")
    df = pd.DataFrame({"Crime ID": [f"c{i}" for i in range(n)], "Crime type": "Burglary"})
    if kind == "ym":
        df["Month"] = when.dt.strftime("%Y-%m")
    elif kind == "ts":
        df["Date"] = when
    else:
        df["Date"] = when.dt.date
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(rng.uniform(-0.3, 0.1, n), rng.uniform(51.4, 51.6, n)),
                           crs=4326)
    path = tmp_path / f"{kind}.parquet"
    gdf.to_parquet(path)
    got, total = read_parquet_raw(path, months=("2022-05", "2022-09"))
    full, _ = read_parquet_raw(path)
    inside = when.dt.to_period("M").between(pd.Period("2022-05", "M"), pd.Period("2022-09", "M")).to_numpy()
    assert total == n and 0 < inside.sum() < n
    assert list(got.index) == list(full.index[inside])  # file row numbers kept
    assert got["Crime ID"].tolist() == df.loc[inside, "Crime ID"].tolist()


def test_a_geojson_written_twice_is_the_same_bytes_and_named_after_its_file(tmp_path):
    # the atomic writer's temporary name (".partial-<hex>-...") used to be stored as the GeoJSON layer name
    import json

    import geopandas as gpd

    table = gpd.GeoDataFrame({"site": ["a", "b"]}, geometry=gpd.points_from_xy([530000, 531000], [190000, 191000]),
                             crs=27700)
    one, two = tmp_path / "one" / "sites.geojson", tmp_path / "two" / "sites.geojson"
    for p in (one, two):
        p.parent.mkdir()
        write_table(table, p)
    assert one.read_bytes() == two.read_bytes()
    assert json.loads(one.read_text())["name"] == "sites"


def test_an_input_column_named_fid_is_written_to_a_geopackage_as_data(tmp_path):
    # GeoPackage calls its own integer key "fid": an input's "fid" (here text, and not unique) is kept as a column
    path = tmp_path / "own.csv"
    pd.DataFrame({"fid": ["a", "a", "b"], "Crime ID": ["c1", "c2", "c3"], "Month": "2024-01",
                  "Longitude": [-0.2, -0.19, -0.18], "Latitude": [51.6, 51.61, 51.62], "Location": "On or near X",
                  "Crime type": "Burglary"}).to_csv(path, index=False)
    res = read_incidents(path)
    write_table(res.incidents, tmp_path / "out.gpkg")
    back = gpd.read_file(tmp_path / "out.gpkg")
    assert back["fid"].tolist() == ["a", "a", "b"] and back["incident_id"].tolist() == res.incidents["incident_id"].tolist()


def test_a_file_path_given_for_a_database_is_named_as_not_a_url(tmp_path):
    from hotspot.io.urls import parse_pg_url

    with pytest.raises(StoreError, match=r"out\.gpkg: not a postgresql:// URL"):
        parse_pg_url(tmp_path / "out.gpkg", need="table")
