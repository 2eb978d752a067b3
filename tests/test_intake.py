"""Incident intake: real files, every rejection reason, unusable files."""

from __future__ import annotations

import gzip

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspot._errors import CRSError, InputFileError
from hotspot.areas import area_from_geometry
from hotspot.intake import POLICE_UK_COLUMNS, read_incidents

HEADER = ",".join(POLICE_UK_COLUMNS)


def police_row(i: int, lon=-0.2, lat=51.6, month="2024-01", crime_id=None, location="On or near High Street",
               crime_type="Burglary") -> str:
    cid = f"id{i:04d}" if crime_id is None else crime_id
    return (f"{cid},{month},Metropolitan Police Service,Metropolitan Police Service,{lon},{lat},"
            f"{location},E01000001,Barnet 001A,{crime_type},Under investigation,")


def write(tmp_path, rows, name="in.csv", header=HEADER):
    p = tmp_path / name
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


def good_rows(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return [police_row(i, lon=round(-0.2 + rng.normal(0, 0.01), 6), lat=round(51.6 + rng.normal(0, 0.01), 6))
            for i in range(n)]


def reason_of(result, row):
    r = result.rejects
    return r.loc[r["source_row"] == row, "reason"].tolist()


# ----------------------------------------------------------------- real data
def test_barnet_file_counts_match_an_independent_count(barnet_csv, barnet, barnet_intake):
    raw = pd.read_csv(barnet_csv)
    # Independent count: geopandas point-in-polygon on the raw lon/lat, after
    # keeping the first row of each Crime ID.
    first = raw.drop_duplicates("Crime ID", keep="first")
    pts = gpd.GeoSeries(gpd.points_from_xy(first["Longitude"], first["Latitude"]), crs=4326).to_crs(barnet.crs)
    inside = int(pts.intersects(barnet.geometry).sum())
    res = barnet_intake
    assert res.rows == len(raw) == 34_775
    assert res.accepted == inside
    assert res.reasons["duplicate id"] == len(raw) - raw["Crime ID"].nunique() == 412
    assert res.reasons["outside area"] == len(first) - inside
    assert res.rows == res.accepted + res.rejected + res.n_filtered
    assert res.crs.to_epsg() == 27700
    assert set(res.incidents["date_precision"]) == {"month"}
    assert res.date_range() == ("2013-12", "2025-02")
    # every rejected row is listed with its file, row and reason
    assert res.rejects[["source_file", "source_row", "reason"]].notna().all().all()
    # the standard columns are there and the originals kept
    for col in ("incident_id", "occurred", "date_precision", "crime_type", "location_text", "Last outcome category"):
        assert col in res.incidents.columns


def test_duplicate_policy_keeps_the_first_row(barnet_csv, barnet_intake):
    raw = pd.read_csv(barnet_csv)
    dup_ids = raw.loc[raw["Crime ID"].duplicated(), "Crime ID"]
    rej = barnet_intake.rejects[barnet_intake.rejects["reason"] == "duplicate id"]
    assert set(rej["Crime ID"]) == set(dup_ids)
    first_rows = raw.reset_index().drop_duplicates("Crime ID")["index"] + 1
    kept = barnet_intake.incidents["source_row"]
    assert set(kept).issubset(set(first_rows))
    assert rej["detail"].str.startswith("same id as barnet_burglary").all()


@pytest.mark.parametrize("name,kwargs,epsg,precision,expected_rows", [
    ("chicago_residential_burglary_2014_2017.csv", {"crs": "EPSG:26971"}, 26971, "day", 45_319),
    ("chicago_residential_burglary_2014_2017.csv", {}, 32616, "day", 45_319),
    ("vancouver_break_and_enter_2020.csv", {"crs": "EPSG:26910"}, 26910, "minute", 4_870),
    ("cincinnati_burglary_2016_2018.csv", {}, 32616, "minute", 8_723),
])
def test_exact_date_files_load(shared_data, name, kwargs, epsg, precision, expected_rows):
    path = shared_data / "crime" / "exact_dates" / name
    res = read_incidents(path, **kwargs)
    raw = pd.read_csv(path)
    assert res.rows == expected_rows == len(raw)
    assert res.crs.to_epsg() == epsg
    assert res.date_precision == precision
    assert res.rows == res.accepted + res.rejected
    if name.startswith("cincinnati"):
        # 426 rows have no coordinates; one incident_no is one burglary
        assert res.reasons["missing coordinates"] == raw["longitude"].isna().sum() == 426
        assert res.accepted == raw.dropna(subset=["longitude"])["incident_no"].nunique()
    else:
        assert res.accepted == len(raw)
    if kwargs.get("crs") == "EPSG:26971":
        # x/y in the given metric CRS are used as they are
        np.testing.assert_allclose(res.incidents.geometry.x.to_numpy()[:50], raw["x"].to_numpy()[:50])


def test_generic_columns_can_be_named(tmp_path):
    p = tmp_path / "records.csv"
    p.write_text("ref,when,E,N,kind\nA1,03/02/2024,530000,180000,burglary\n"
                 "A2,04/02/2024,530100,180050,burglary\nA3,05/02/2024,530200,180100,theft\n")
    res = read_incidents(p, crs="EPSG:27700", columns={"id": "ref", "date": "when", "x": "E", "y": "N", "type": "kind"},
                         crime_types=["Burglary"], date_format="%d/%m/%Y")
    assert res.accepted == 2 and res.n_filtered == 1
    assert res.incidents["occurred"].iloc[0] == pd.Timestamp("2024-02-03")
    assert list(res.incidents["incident_id"]) == ["A1", "A2"]


def test_geojson_input_in_any_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a", "b"], "date": ["2024-01-02", "2024-01-03"]},
                           geometry=gpd.points_from_xy([530000, 531000], [180000, 181000]), crs=27700)
    p = tmp_path / "pts.gpkg"
    gdf.to_file(p)
    res = read_incidents(p)
    assert res.accepted == 2 and res.crs.to_epsg() == 27700
    np.testing.assert_allclose(res.incidents.geometry.x, [530000, 531000], atol=1e-6)
    gdf.to_crs(4326).to_file(tmp_path / "pts.geojson")
    res2 = read_incidents(tmp_path / "pts.geojson")
    np.testing.assert_allclose(res2.incidents.geometry.x, [530000, 531000], atol=1e-3)


def test_folder_of_monthly_files_and_gzip(tmp_path):
    d = tmp_path / "months"
    d.mkdir()
    write(d, [police_row(i, month="2024-01") for i in range(3)], name="2024-01-metropolitan-street.csv")
    write(d, [police_row(i + 10, month="2024-02") for i in range(4)], name="2024-02-metropolitan-street.csv")
    with gzip.open(d / "2024-03-metropolitan-street.csv.gz", "wt") as f:
        f.write(HEADER + "\n" + police_row(99, month="2024-03") + "\n")
    res = read_incidents(d)
    assert res.rows == 8 and res.accepted == 8 and len(res.files) == 3


# ----------------------------------------------------------------- rejection reasons
def test_swapped_lat_lon_is_detected(tmp_path):
    rows = good_rows()
    rows[5] = police_row(5, lon=51.61, lat=-0.21)
    res = read_incidents(write(tmp_path, rows))
    assert reason_of(res, 6) == ["swapped"]
    assert res.accepted == 19


def test_points_outside_the_area_are_rejected(tmp_path, barnet):
    rows = [police_row(0, lon=-0.2, lat=51.62), police_row(1, lon=-0.05, lat=51.50)]  # Barnet; Tower Hamlets
    res = read_incidents(write(tmp_path, rows), area=barnet)
    assert res.accepted == 1
    assert reason_of(res, 2) == ["outside area"]
    # a buffer lets a point just over the boundary in
    edge = barnet.geometry.exterior.coords[0] if barnet.geometry.geom_type == "Polygon" else barnet.geometry.geoms[0].exterior.coords[0]
    from hotspot.crs import to_lonlat

    lon, lat = to_lonlat([edge[0] + 150], [edge[1]], barnet.crs)
    lon2, lat2 = to_lonlat([edge[0] - 150], [edge[1]], barnet.crs)
    rows = [police_row(0, lon=round(float(lon[0]), 6), lat=round(float(lat[0]), 6)),
            police_row(1, lon=round(float(lon2[0]), 6), lat=round(float(lat2[0]), 6))]
    strict = read_incidents(write(tmp_path, rows, "edge.csv"), area=barnet)
    loose = read_incidents(write(tmp_path, rows, "edge.csv"), area=barnet, area_buffer=300)
    assert strict.accepted == 1 and loose.accepted == 2


def test_future_dates_are_rejected(tmp_path):
    rows = good_rows(5)
    rows[2] = police_row(2, month="2099-01")
    res = read_incidents(write(tmp_path, rows), now="2026-11-25")
    assert reason_of(res, 3) == ["future"]


def test_duplicate_ids_across_files(tmp_path):
    a = write(tmp_path, [police_row(1), police_row(2)], "a.csv")
    b = write(tmp_path, [police_row(3, crime_id="id0002"), police_row(4)], "b.csv")
    res = read_incidents([a, b])
    assert res.accepted == 3
    rej = res.rejects.iloc[0]
    assert rej["reason"] == "duplicate id" and rej["source_file"].endswith("b.csv") and rej["source_row"] == 1
    assert rej["detail"] == "same id as a.csv:2"


def test_empty_crime_id_gets_a_stable_derived_id(tmp_path):
    rows = [police_row(0, crime_id=""), police_row(1, crime_id=""), police_row(2)]
    rows[1] = rows[0]  # two identical anonymous rows: still two incidents
    p = write(tmp_path, rows)
    ids1 = read_incidents(p).incidents["incident_id"].tolist()
    ids2 = read_incidents(p).incidents["incident_id"].tolist()
    assert ids1 == ids2 and len(set(ids1)) == 3 and ids1[0].startswith("derived-")


@pytest.mark.parametrize("lon,lat,reason", [
    ("", "51.6", "missing coordinates"),
    ("abc", "51.6", "unparsable coordinates"),
    ("0", "0", "zero coordinates"),
    ("-0.2", "95.0", "coordinates out of range"),
])
def test_bad_coordinates(tmp_path, lon, lat, reason):
    rows = good_rows(10)
    rows[3] = police_row(3, lon=lon, lat=lat)
    res = read_incidents(write(tmp_path, rows))
    assert reason_of(res, 4) == [reason]
    assert res.accepted == 9


@pytest.mark.parametrize("month,reason", [("", "missing date"), ("2024-13", "unparsable date"), ("Jan 2024", "unparsable date")])
def test_bad_dates(tmp_path, month, reason):
    rows = good_rows(5)
    rows[0] = police_row(0, month=month)
    res = read_incidents(write(tmp_path, rows))
    assert reason_of(res, 1) == [reason]


def test_crime_type_filter_counts_filtered_rows(tmp_path):
    rows = good_rows(6)
    rows[1] = police_row(1, crime_type="Vehicle crime")
    rows[2] = police_row(2, crime_type="Vehicle crime", lon="")  # filtered, not rejected
    res = read_incidents(write(tmp_path, rows), crime_types=["burglary"])
    assert (res.accepted, res.rejected, res.n_filtered) == (4, 0, 2)


def test_ragged_rows_are_rejected_not_lost(tmp_path):
    rows = good_rows(5)
    rows[2] = rows[2] + ",extra,fields"
    res = read_incidents(write(tmp_path, rows))
    assert res.rows == 5 and res.accepted == 4
    assert reason_of(res, 3) == ["malformed row"]


# ----------------------------------------------------------------- unusable input
def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(InputFileError, match=r"nothere\.csv: file not found"):
        read_incidents(tmp_path / "nothere.csv")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(InputFileError, match=r"empty\.csv: empty file"):
        read_incidents(p)


def test_header_only(tmp_path):
    p = write(tmp_path, [], "header.csv")
    with pytest.raises(InputFileError, match=r"header\.csv: header only, no data rows"):
        read_incidents(p)


def test_missing_required_column_names_it(tmp_path):
    header = HEADER.replace("Month,", "")
    rows = [r.replace(",2024-01,", ",", 1) for r in good_rows(3)]
    with pytest.raises(InputFileError, match=r"in\.csv: required column 'Month' is missing"):
        read_incidents(write(tmp_path, rows, header=header))


def test_named_column_that_does_not_exist(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("id,date,lon,lat\n1,2024-01-01,-0.2,51.6\n")
    with pytest.raises(InputFileError, match=r"g\.csv: column 'when' \(given for date\) not found"):
        read_incidents(p, columns={"date": "when"})


def test_xy_without_crs_is_an_error(tmp_path):
    p = tmp_path / "xy.csv"
    p.write_text("id,date,x,y\n1,2024-01-01,530000,180000\n")
    with pytest.raises(CRSError, match="need a CRS"):
        read_incidents(p)


def test_windows_1252_bytes_are_repaired_with_a_note(tmp_path):
    p = tmp_path / "cp.csv"
    rows = good_rows(3)
    rows[1] = police_row(1, location="On or near Caf\u00e9 Parade")
    p.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("cp1252"))
    with pytest.warns(UserWarning, match="decoded as Windows-1252"):
        res = read_incidents(p)
    assert res.accepted == 3
    assert "On or near Caf\u00e9 Parade" in set(res.incidents["location_text"])


def test_undecodable_bytes_raise_naming_file_and_line(tmp_path):
    p = tmp_path / "bad.csv"
    body = ("\n".join([HEADER, *good_rows(3)]) + "\n").encode() + b"x\x81\x8d,2024-01\n"
    p.write_bytes(body)
    with pytest.raises(InputFileError, match=r"bad\.csv: undecodable byte 0x81 at line 5"):
        read_incidents(p)


def test_projected_working_crs_must_be_metres(tmp_path):
    p = tmp_path / "ft.csv"
    p.write_text("id,date,x,y\n1,2024-01-01,1170000,1900000\n")
    # Illinois East in US feet is projected but not metric: it is used to
    # read the coordinates, and the working CRS falls back to UTM metres.
    res = read_incidents(p, crs="EPSG:3435")
    assert res.crs.axis_info[0].unit_name == "metre"


def test_area_from_geometry_rejects_degrees():
    from shapely.geometry import box

    with pytest.raises(CRSError):
        area_from_geometry(box(0, 0, 1, 1), "EPSG:4326")
