"""A large CSV is read batch by batch with its repetitive columns as pandas
Categoricals (issue 21's bounded intake memory). Every consumer of the
accepted incidents' and the rejects' original columns must give what the
small path's text columns give: the PostGIS load (incidents and rejects),
GeoPackage, GeoJSON and CSV files, check-public, the LSOA-name rule, the
street names and the map's tooltips. The size threshold and the batch size
are lowered here so a 600-row file takes the streamed path in several batches."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import hotspot.intake.files as intake  # STREAM_CSV_BYTES and _ARROW_BLOCK_BYTES are looked up (and patched) here
from hotspot.columns import is_lsoa_of, lsoa_district
from hotspot.disclosure import check_public
from hotspot.disclosure.check import exact_address_streets
from hotspot.intake import read_incidents
from hotspot.io import write as io_write
from hotspot.io.write import load_incidents, write_table
from hotspot.places import street_points
from hotspot.render.leaflet import incident_groups

BARNET = "crime/barnet_burglary_police_uk_2013-12_2025-02.csv"
REPETITIVE = {"Month", "Reported by", "Falls within", "Crime type", "Last outcome category", "Context"}


@pytest.fixture(scope="module")
def reads(tmp_path_factory, shared_data):
    """One CSV read on the small path (text columns) and on the streamed one
    (Categoricals): 600 Barnet rows with 3 bad months (rejects), a formula, HTML
    and a low count in the text."""
    df = pd.read_csv(shared_data / BARNET, dtype=str, keep_default_na=False, nrows=600)
    df.loc[df.index[:3], "Month"] = "2023-13"  # rejected: the rejects table holds Categoricals too
    df.loc[df.index[5], "Last outcome category"] = '=HYPERLINK("http://x")'
    df.loc[df.index[6], "Last outcome category"] = "<b>bold</b> & co"
    df.loc[df.index[7], "Context"] = "3 burglaries on this street"  # a count below k, in a Categorical
    df.loc[df.index[8], "Location"] = "17 Acacia Road, Barnet"  # exact-address text: a street check-public must find
    path = tmp_path_factory.mktemp("stream_outputs") / "in.csv"
    df.to_csv(path, index=False)
    whole = read_incidents(path, crime_types="all")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(intake, "STREAM_CSV_BYTES", 0)
        mp.setattr(intake, "_ARROW_BLOCK_BYTES", 32 * 1024)  # several batches, each dictionary-encoded on its own
        streamed = read_incidents(path, crime_types="all")
    cats = {c for c in streamed.incidents if isinstance(streamed.incidents[c].dtype, pd.CategoricalDtype)}
    assert REPETITIVE <= cats  # the streamed path was taken: otherwise this file tests nothing
    assert {c for c in streamed.rejects if isinstance(streamed.rejects[c].dtype, pd.CategoricalDtype)} >= REPETITIVE
    assert not any(isinstance(whole.incidents[c].dtype, pd.CategoricalDtype) for c in REPETITIVE)
    assert (streamed.accepted, streamed.rejected) == (whole.accepted, whole.rejected)
    assert (whole.rejects["Month"] == "2023-13").sum() == 3
    return whole, streamed


def _rows(url: str, table: str, order: str) -> list:
    import sqlalchemy as sa

    from hotspot.io.urls import engine, parse_pg_url

    with engine(parse_pg_url(url, need="none")).begin() as c:
        types = c.execute(sa.text("SELECT column_name, udt_name FROM information_schema.columns "
                                  "WHERE table_name = :t ORDER BY ordinal_position"), {"t": table}).fetchall()
        rows = c.execute(sa.text(f'SELECT to_jsonb(t) - \'written_at\' FROM "{table}" t ORDER BY {order}')).fetchall()
    return [types, [r[0] for r in rows]]


def test_load_of_the_streamed_read_equals_the_small_reads(pg_url, reads, monkeypatch):
    whole, streamed = reads
    load_incidents(whole, pg_url + "?table=small_path", run_id="r")
    monkeypatch.setattr(io_write, "COPY_BATCH_ROWS", 7)  # the COPY fed in many batches, as a 3 M-row load is
    load_incidents(streamed, pg_url + "?table=big_path", run_id="r")
    small = _rows(pg_url, "small_path", "fid")
    big = _rows(pg_url, "big_path", "fid")
    assert len(big[1]) == whole.accepted
    assert sum(r["Last outcome category"] == '=HYPERLINK("http://x")' for r in big[1]) == 1  # stored as given
    assert big == small  # column types and every cell (geometry, fid, run columns) alike
    small_rej = _rows(pg_url, "small_path_rejects", "source_row")
    big_rej = _rows(pg_url, "big_path_rejects", "source_row")
    assert len(big_rej[1]) == whole.rejected and big_rej == small_rej


@pytest.mark.parametrize("ext", [".csv", ".gpkg", ".geojson", ".parquet"])
def test_files_of_the_streamed_read_equal_the_small_reads(tmp_path, reads, ext):
    whole, streamed = reads
    a, b = tmp_path / f"small{ext}", tmp_path / f"big{ext}"
    write_table(whole.incidents, a, layer="incidents")
    write_table(streamed.incidents, b, layer="incidents")
    if ext == ".csv":
        assert b.read_bytes() == a.read_bytes()
        assert "'=HYPERLINK" in b.read_text()  # the formula made safe in the Categorical column too
        return
    read = gpd.read_parquet if ext == ".parquet" else gpd.read_file
    got, want = read(b), read(a)
    cats = [c for c in got if isinstance(got[c].dtype, pd.CategoricalDtype)]  # Parquet keeps the dictionary
    pd.testing.assert_frame_equal(got.astype({c: want[c].dtype for c in cats}), want)


def test_rejects_csv_of_the_streamed_read_equals_the_small_reads(tmp_path, reads):
    whole, streamed = reads
    write_table(whole.rejects, tmp_path / "a.csv")
    write_table(streamed.rejects, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()


def test_check_public_finds_the_same_in_categorical_columns(tmp_path, reads):
    whole, streamed = reads
    found = {}
    for name, res in (("small", whole), ("big", streamed)):
        files = []
        for ext in (".csv", ".gpkg", ".parquet"):
            files.append(tmp_path / f"{name}{ext}")
            write_table(res.incidents, files[-1], layer="incidents")
        found[name] = sorted((f.kind, f.detail) for f in check_public(files, res.incidents))
    assert found["big"] == found["small"]
    kinds = {k for k, _ in found["big"]}
    # the low count sits in the Categorical "Context" column: scanned as text in every format
    assert sum(k == "count below k" for k, _ in found["big"]) >= 3 and "point near incident" in kinds
    assert "street of an incident" in kinds  # one exact address makes the text exact-address data
    assert exact_address_streets(streamed.incidents) == exact_address_streets(whole.incidents)
    assert "Acacia Road" in exact_address_streets(streamed.incidents)


def test_lsoa_rule_streets_and_map_tooltips_alike(reads):
    whole, streamed = reads
    big, small = streamed.incidents, whole.incidents
    assert (is_lsoa_of(big["LSOA name"], "Barnet") == is_lsoa_of(small["LSOA name"], "Barnet")).all()
    assert is_lsoa_of(big["LSOA name"], "Barnet").sum() > 500
    assert lsoa_district(big["LSOA name"]).equals(lsoa_district(small["LSOA name"]))
    sb, ss = street_points(big), street_points(small)
    assert len(sb) > 10 and sb.equals(ss)
    for show in (True, False):
        gb, gs = incident_groups(big, show_points=show), incident_groups(small, show_points=show)
        assert gb.equals(gs)
    assert "Latest outcome: Under investigation" in "".join(incident_groups(big, show_points=True)["tooltip"])
