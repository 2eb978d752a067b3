"""Incident intake: real files, every rejection reason, unusable files."""

from __future__ import annotations

import gzip

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspot._errors import CRSError, InputFileError
from hotspot.areas import area_from_geometry
from hotspot.intake import POLICE_UK_COLUMNS, UnusableInputError, read_incidents

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
    # Independent count: one Crime ID = one burglary, over every row of the
    # borough's police.uk LSOAs (the file holds only those).
    assert raw["LSOA name"].str.startswith("Barnet ").all()
    res = barnet_intake
    assert res.rows == len(raw) == 34_775
    assert res.accepted == raw["Crime ID"].nunique() == 34_363
    assert res.reasons == {"duplicate id": 412}
    assert res.rows == res.accepted + res.rejected + res.n_filtered
    # the 43 boundary snap points are recovered by the edge tolerance, and
    # every one is within 6.5 m of the polygon (geopandas distance)
    first = raw.drop_duplicates("Crime ID", keep="first")
    pts = gpd.GeoSeries(gpd.points_from_xy(first["Longitude"], first["Latitude"]), crs=4326).to_crs(barnet.crs)
    d = pts.distance(barnet.geometry)
    assert int((d > 0).sum()) == 43 and d.max() < 6.5
    m = res.membership
    assert m["rule"] == "police.uk LSOA attribution" and m["edge_tolerance_m"] == 25.0
    assert m["recovered_within_tolerance"] == 43 and m["attributed_here_beyond_tolerance"] == 0
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


def test_a_filtered_type_named_like_the_asked_one_is_noted(tmp_path):
    p = tmp_path / "records.csv"
    p.write_text("ref,when,E,N,kind\nA1,03/02/2024,530000,180000,BURGLARY\n"
                 "A2,04/02/2024,530100,180050,AGGRAVATED BURGLARY\nA3,05/02/2024,530200,180100,THEFT\n"
                 "A4,06/02/2024,530300,180150,AGGRAVATED BURGLARY\n")
    res = read_incidents(p, crs="EPSG:27700", columns={"id": "ref", "date": "when", "x": "E", "y": "N", "type": "kind"},
                         crime_types=["Burglary"], date_format="%d/%m/%Y")
    assert res.accepted == 1 and res.n_filtered == 3
    named = [n for n in res.notes if "filtered out" in n]
    assert len(named) == 1 and "'AGGRAVATED BURGLARY' (2 rows)" in named[0] and "--crime-type" in named[0]
    kept = read_incidents(p, crs="EPSG:27700", columns={"id": "ref", "date": "when", "x": "E", "y": "N", "type": "kind"},
                          crime_types=["Burglary", "Aggravated burglary"], date_format="%d/%m/%Y")
    assert kept.accepted == 3 and not [n for n in kept.notes if "filtered out" in n]


def test_dates_all_on_the_first_of_a_month_are_months(tmp_path):
    rng = np.random.default_rng(4)
    n = 60
    months = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 12, n) * 31, "D")
    firsts = months.to_period("M").to_timestamp()
    table = pd.DataFrame({"id": [f"r{k}" for k in range(n)], "x": rng.uniform(530000, 531000, n),
                          "y": rng.uniform(180000, 181000, n)})
    table.assign(date=firsts.strftime("%Y-%m-%d")).to_csv(tmp_path / "monthly.csv", index=False)
    res = read_incidents(tmp_path / "monthly.csv", crs="EPSG:27700")
    assert res.accepted == n and res.date_precision == "month"
    assert "every date is the 1st of a month" in res.summary()["sources"][0]["dates"]["how"]
    # real days, one of them not the 1st: days; and too few rows to tell: days
    days = firsts.where(np.arange(n) != 5, firsts + pd.Timedelta(days=9))
    table.assign(date=days.strftime("%Y-%m-%d")).to_csv(tmp_path / "daily.csv", index=False)
    assert read_incidents(tmp_path / "daily.csv", crs="EPSG:27700").date_precision == "day"
    table.head(10).assign(date=firsts[:10].strftime("%Y-%m-%d")).to_csv(tmp_path / "few.csv", index=False)
    assert read_incidents(tmp_path / "few.csv", crs="EPSG:27700").date_precision == "day"


def test_a_police_uk_month_resaved_by_a_spreadsheet_reads_with_date_format(tmp_path, barnet_csv):
    t = pd.read_csv(barnet_csv, nrows=200)
    t["Month"] = pd.to_datetime(t["Month"], format="%Y-%m").dt.strftime("%b-%y")
    t.to_csv(tmp_path / "excel.csv", index=False)
    with pytest.raises(UnusableInputError, match=r"police.uk Month is YYYY-MM: give --date-format"):
        read_incidents(tmp_path / "excel.csv")
    res = read_incidents(tmp_path / "excel.csv", date_format="%b-%y")
    assert res.accepted + res.rejected == 200 and res.date_precision == "month"
    assert res.date_range()[0] == pd.read_csv(barnet_csv, nrows=200)["Month"].min()


def test_a_geopackage_of_several_layers_is_refused_naming_them(tmp_path):
    pts = gpd.GeoDataFrame({"id": ["a", "b"], "date": ["2024-01-03", "2024-01-04"]},
                           geometry=gpd.points_from_xy([530000, 530100], [180000, 180100]), crs=27700)
    pts.to_file(tmp_path / "two.gpkg", layer="burglary")
    pts.to_file(tmp_path / "two.gpkg", layer="other")
    with pytest.raises(InputFileError, match=r"two.gpkg: holds 2 layers \(burglary, other\): save the layer"):
        read_incidents(tmp_path / "two.gpkg")
    pts.to_file(tmp_path / "one.gpkg", layer="burglary")
    assert read_incidents(tmp_path / "one.gpkg").accepted == 2


def test_duplicate_ids_at_different_places_are_counted_in_a_note(tmp_path):
    p = tmp_path / "dups.csv"
    p.write_text("ref,when,E,N\nA1,2024-02-03,530000,180000\nA1,2024-02-03,530000,180000\n"
                 "A2,2024-02-04,530500,180500\nA2,2024-02-04,530500,180620\nA2,2024-02-04,530500,180510\n")
    res = read_incidents(p, crs="EPSG:27700", columns={"id": "ref", "date": "when", "x": "E", "y": "N"})
    assert res.accepted == 2 and res.reasons == {"duplicate id": 3}
    assert res.notes == ["1 duplicate-id rows lie more than 25 m from the row kept (median 120 m, up to 120 m): the "
                         "records disagree on the place, and the first row's is used"]


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
    assert res.crime_types == {"Burglary": 4, "Vehicle crime": 2}
    none = read_incidents(write(tmp_path, rows), crime_types=["Robbery"])
    assert none.accepted == 0 and none.n_filtered == 6
    assert none.notes == ["no row of crime type robbery; crime types present: Burglary (4), Vehicle crime (2)"]


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


# ----------------------------------------------------------------- every London borough
def test_every_london_borough_matches_an_independent_count(shared_data):
    """For each of the 33 boroughs, the accepted incidents are exactly the
    distinct Crime IDs of the borough's police.uk LSOA rows (independent
    pandas count), although the input also holds every row within 1 km of
    the borough (its neighbours' rows, some inside its polygon) and 1,615
    of the borough rows lie up to 11.5 m outside its polygon."""
    from hotspot.areas import find_area, load_boundaries

    london = pd.read_parquet(shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")
    assert len(london) == 743_520
    layer = load_boundaries(shared_data / "boundaries" / "london_boroughs.geojson")
    assert len(layer) == 33
    located = london.dropna(subset=["Longitude"])
    pts = gpd.GeoSeries(gpd.points_from_xy(located["Longitude"], located["Latitude"]), crs=4326,
                        index=located.index).to_crs(layer.crs)
    recovered = rejected_inside = 0
    for name in layer["borough_name"]:
        area = find_area(layer, name)
        own = london["LSOA name"].fillna("").str.startswith(name + " ")
        expected = set(london.loc[own, "Crime ID"])
        nearby = pts.index[pts.intersects(area.geometry.buffer(1000))]
        rows = london.loc[own | london.index.isin(nearby)]
        res = read_incidents(rows, crime_types="Burglary", area=area, source_name=f"london:{name}")
        assert res.rows == len(rows) == res.accepted + res.rejected + res.n_filtered
        assert res.accepted == len(expected), name
        assert set(res.incidents["incident_id"]) == expected, name
        assert res.membership["attributed_here_beyond_tolerance"] == 0, name
        recovered += res.membership["recovered_within_tolerance"]
        rejected_inside += res.membership["attributed_elsewhere_inside_polygon"]
    # both counts, independently: rows of a borough's LSOAs outside its
    # polygon (all within the tolerance), and other LSOAs' rows inside it
    own_lad = london.loc[located.index, "LSOA name"].str.extract(r"^(.*) \w{4}$")[0]
    outside_rows = inside_other = 0
    for name, geom in zip(layer["borough_name"], layer.geometry):
        within = pts.intersects(geom).to_numpy()
        mine = (own_lad == name).to_numpy()
        outside_rows += int((mine & ~within).sum())
        inside_other += int((~mine & within).sum())
    assert recovered == outside_rows == 1_615
    assert rejected_inside == inside_other
    print(f"\nrecovered within tolerance: {recovered:,} rows; other LSOAs' rows inside a polygon: {inside_other:,}")


# ----------------------------------------------------------------- area membership without LSOA columns
def _records(tmp_path, points, crs_from, name="recs.csv"):
    from hotspot.crs import to_lonlat

    lon, lat = to_lonlat(np.array([p[0] for p in points]), np.array([p[1] for p in points]), crs_from)
    p = tmp_path / name
    p.write_text("id,date,lon,lat\n" + "".join(f"r{i},2024-01-0{1 + i % 9},{a:.8f},{b:.8f}\n"
                                             for i, (a, b) in enumerate(zip(lon, lat))))
    return p


def test_edge_tolerance_without_lsoa_columns(tmp_path):
    """Point in polygon: a point in the tolerance band is this area's only
    when no neighbouring polygon holds it."""
    from shapely.geometry import box

    from hotspot.areas import find_area

    layer = gpd.GeoDataFrame({"name": ["West", "East"]},
                             geometry=[box(500000, 180000, 501000, 181000), box(501000, 180000, 502000, 181000)],
                             crs=27700)
    west = find_area(layer, "West")
    pts = [(500500, 180500),   # inside
           (500500, 181010),   # 10 m north, in no polygon: recovered
           (501010, 180500),   # 10 m east, inside East: East's, not West's
           (500500, 181100)]   # 100 m north: outside
    res = read_incidents(_records(tmp_path, pts, "EPSG:27700"), area=west)
    assert sorted(res.incidents["incident_id"]) == ["r0", "r1"]
    r = res.rejects.set_index("id")
    assert r.loc["r2", "detail"] == "within 25 m of West but inside a neighbouring area"
    assert r.loc["r3", "detail"] == "outside West (edge tolerance 25 m)"
    assert res.membership["recovered_within_tolerance"] == 1
    assert res.membership["in_neighbour_not_recovered"] == 1
    east = read_incidents(_records(tmp_path, pts, "EPSG:27700"), area=find_area(layer, "East"))
    assert sorted(east.incidents["incident_id"]) == ["r2"]  # each point in at most one area
    strict = read_incidents(_records(tmp_path, pts, "EPSG:27700"), area=west, area_buffer=0)
    assert sorted(strict.incidents["incident_id"]) == ["r0"]


def test_lsoa_rows_beyond_tolerance_are_rejected_with_the_distance(tmp_path, barnet):
    from hotspot.crs import to_lonlat

    inside = barnet.geometry.representative_point()
    x0, y0, x1, y1 = barnet.geometry.bounds
    lon, lat = to_lonlat(np.array([inside.x, x1 + 500]), np.array([inside.y, inside.y]), barnet.crs)
    rows = [police_row(0, lon=f"{lon[0]:.6f}", lat=f"{lat[0]:.6f}"),
            police_row(1, lon=f"{lon[1]:.6f}", lat=f"{lat[1]:.6f}")]
    res = read_incidents(write(tmp_path, rows), area=barnet)
    assert res.accepted == 1
    detail = res.rejects.iloc[0]["detail"]
    assert detail.startswith("LSOA 'Barnet 001A' is in Barnet but the point is ")
    metres = float(detail.split("the point is ")[1].split(" m")[0].replace(",", ""))
    assert abs(metres - barnet.geometry.distance(__import__("shapely").Point(x1 + 500, inside.y))) < 1
    assert res.membership["attributed_here_beyond_tolerance"] == 1
    assert any("more than 25 m outside" in n for n in res.notes)


def test_negative_area_buffer_is_refused(tmp_path, barnet):
    with pytest.raises(InputFileError, match=r"area buffer must be zero or more metres, got -5"):
        read_incidents(write(tmp_path, good_rows(3)), area=barnet, area_buffer=-5)


# ----------------------------------------------------------------- day/month order
def _cincinnati_us_copy(shared_data, tmp_path, fmt="%m/%d/%Y %H:%M:%S"):
    src = shared_data / "crime" / "exact_dates" / "cincinnati_burglary_2016_2018.csv"
    raw = pd.read_csv(src, dtype=str)
    us = raw.copy()
    us["offense_date"] = pd.to_datetime(raw["offense_date"], format="ISO8601").dt.strftime(fmt)
    p = tmp_path / "cincinnati_us.csv"
    us.to_csv(p, index=False)
    return src, p, raw, us


def test_month_first_column_is_parsed_month_first_on_every_row(shared_data, tmp_path):
    src, p, raw, us = _cincinnati_us_copy(shared_data, tmp_path)
    # the rewrite is the ambiguous kind: most days are <= 12 on some rows and > 12 on others
    first = us["offense_date"].str.slice(3, 5).astype(int)
    assert (first > 12).mean() > 0.5 and (first <= 12).mean() > 0.3
    iso = read_incidents(src)
    res = read_incidents(p)
    assert res.accepted == iso.accepted
    a = iso.incidents.set_index("source_row")["occurred"]
    b = res.incidents.set_index("source_row")["occurred"]
    assert (a == b.loc[a.index]).all()  # 100 % month-first, none swapped
    dates = res.detected[0]["dates"]
    assert dates["order"] == "month-first"
    r = int(first.gt(12).idxmax()) + 1
    assert dates["how"] == (f"inferred from the column: row {r} {us['offense_date'][r - 1]!r} has a second "
                            f"field > 12 ({int(first.gt(12).sum()):,} rows do)")
    assert res.summary()["sources"][0]["dates"]["order"] == "month-first"


def test_day_first_column(tmp_path):
    p = tmp_path / "uk.csv"
    p.write_text("id,date,lon,lat\n1,03/02/2024,-0.2,51.6\n2,25/02/2024,-0.2,51.6\n3,04.03.2024,-0.2,51.6\n")
    res = read_incidents(p)
    assert list(res.incidents["occurred"]) == [pd.Timestamp("2024-02-03"), pd.Timestamp("2024-02-25"),
                                               pd.Timestamp("2024-03-04")]
    assert res.detected[0]["dates"]["order"] == "day-first"


def test_contradictory_date_column_is_refused(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_text("id,offence_date,lon,lat\n1,03/02/2024,-0.2,51.6\n2,25/02/2024,-0.2,51.6\n3,02/28/2024,-0.2,51.6\n")
    with pytest.raises(InputFileError) as exc:
        read_incidents(p)
    assert str(exc.value) == (
        f"{p}: column 'offence_date' mixes day-first and month-first dates: row 2 '25/02/2024' is day-first "
        "(first field > 12), row 3 '02/28/2024' is month-first (second field > 12); "
        "correct the file or give date_format=")


def test_all_ambiguous_date_column_needs_a_format(tmp_path):
    p = tmp_path / "amb.csv"
    p.write_text("id,date,lon,lat\n1,03/02/2024,-0.2,51.6\n2,04/02/2024,-0.2,51.6\n")
    with pytest.raises(InputFileError) as exc:
        read_incidents(p)
    assert str(exc.value) == (
        f"{p}: column 'date': day/month order cannot be told: in all 2 dates like '03/02/2024' (row 1) "
        "both fields are 12 or less; give date_format= (e.g. %d/%m/%Y or %m/%d/%Y)")
    res = read_incidents(p, date_format="%m/%d/%Y")
    assert list(res.incidents["occurred"]) == [pd.Timestamp("2024-03-02"), pd.Timestamp("2024-04-02")]
    with pytest.raises(InputFileError, match=r"^date_format='%Q' is not a valid strftime format: 'Q' is a bad directive"):
        read_incidents(p, date_format="%Q")
    assert res.detected[0]["dates"] == {"column": "date", "order": "month-first", "how": "format given: %m/%d/%Y",
                                        "precision": "day"}


# ----------------------------------------------------------------- CRS contradicting the data
CHICAGO = "chicago_residential_burglary_2014_2017.csv"


def test_chicago_xy_declared_british_grid_is_refused(shared_data):
    path = shared_data / "crime" / "exact_dates" / CHICAGO
    with pytest.raises(CRSError) as exc:
        read_incidents(path, crs="EPSG:27700")
    msg = str(exc.value)
    assert msg.startswith(f"{path}: x/y columns 'x', 'y' read as EPSG:27700 contradict the lon/lat columns "
                          "'longitude', 'latitude': median disagreement ")
    assert msg.endswith(" km (more than 1 km); the x/y are not in that CRS: give their true CRS with crs=")
    km = float(msg.split("median disagreement ")[1].split(" km")[0].replace(",", ""))
    assert 5_000 < km < 8_000  # Chicago to England
    # the true CRS passes the same check, and says so
    ok = read_incidents(path, crs="EPSG:26971")
    assert ok.detected[0]["coordinates"]["check"].startswith("x/y agree with lon/lat columns 'longitude', 'latitude'")


def test_chicago_xy_declared_degrees_is_refused(shared_data, tmp_path):
    path = shared_data / "crime" / "exact_dates" / CHICAGO
    with pytest.raises(CRSError, match=r"x/y columns 'x', 'y' are declared as EPSG:4326 \(degrees\) but 100% of rows "
                                       r"are not degrees \(e\.g\. row 1: x=365536, y=563965\); give their projected CRS"):
        read_incidents(path, crs="EPSG:4326")
    # without the lon/lat columns too
    xy = pd.read_csv(path).drop(columns=["longitude", "latitude"])
    with pytest.raises(CRSError, match="are declared as EPSG:4326"):
        read_incidents(xy, crs="EPSG:4326", source_name="chicago_xy")


def test_every_row_rejected_is_unusable_input(barnet_csv, boroughs_file):
    from hotspot.areas import load_area

    enfield = load_area(boroughs_file, "Enfield")
    with pytest.raises(UnusableInputError) as exc:
        read_incidents(barnet_csv, crime_types="Burglary", area=enfield)
    res = exc.value.result
    assert res.accepted == 0 and res.rows == res.rejected == 34_775
    # the boroughs layer is a layer of police.uk districts: no Barnet LSOA row
    # is Enfield's, however near the boundary
    assert res.membership["rule"] == "police.uk LSOA attribution"
    assert (res.rejects["detail"] == "police.uk places it in LSOA '" + res.rejects["LSOA name"] + "', not in Enfield").all()
    assert str(exc.value).startswith(f"{barnet_csv}: no usable rows: all 34,775 rows were rejected; commonest "
                                     f"reason 'outside area' ({res.reasons['outside area']:,} rows, e.g. ")


def test_polygons_where_points_are_expected(tmp_path, boroughs_file):
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"id": ["a", "b"], "date": ["2024-01-02", "2024-01-03"]},
                           geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)], crs=27700)
    p = tmp_path / "polys.gpkg"
    gdf.to_file(p)
    with pytest.raises(InputFileError) as exc:
        read_incidents(p)
    assert str(exc.value) == (f"{p}: holds Polygon (2) geometries, not points; incidents must be points "
                              "(one location per incident); a boundary layer goes to area_file=")


# ----------------------------------------------------------------- DataFrame sources and what was detected
def test_dataframe_source_reads_like_the_csv(barnet_csv, barnet, barnet_intake):
    df = pd.read_csv(barnet_csv)
    res = read_incidents(df, crime_types="Burglary", area=barnet, source_name="barnet-frame")
    assert res.summary()["accepted"] == barnet_intake.accepted
    assert set(res.incidents["incident_id"]) == set(barnet_intake.incidents["incident_id"])
    assert set(res.incidents["source_file"]) == {"barnet-frame"}
    with pytest.raises(InputFileError, match=r"^frame: header only, no data rows$"):
        read_incidents(df.iloc[:0], source_name="frame")


def test_summary_says_what_was_detected(barnet_intake):
    s = barnet_intake.summary()
    assert {"rows", "accepted", "rejected", "filtered", "reasons", "crs", "date_range"} <= set(s)
    assert s["crime_types"] == {"Burglary": 34_775}
    assert s["date_precision"] == "month"
    assert s["crs_how"] == "the area's CRS (Barnet)"
    src = s["sources"][0]
    assert src["format"] == "police.uk street-level CSV"
    assert src["columns"]["id"] == "Crime ID" and src["columns"]["date"] == "Month"
    assert src["coordinates"] == {"columns": ["Longitude", "Latitude"], "crs": "EPSG:4326",
                                  "how": "lon/lat columns (WGS84 degrees)"}
    assert src["dates"] == {"column": "Month", "order": "year-month", "how": "police.uk Month column (YYYY-MM)",
                            "precision": "month"}
    assert s["membership"]["recovered_within_tolerance"] == 43


# ----------------------------------------------------------------- hotspot validate
def _cli(*args):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, str(root / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=root, timeout=600)


def _one_line_error(r, text):
    assert r.returncode == 2 and r.stdout == ""
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert text in " ".join(r.stderr.split()), r.stderr


def test_validate_json_carries_what_was_detected(shared_data, tmp_path):
    import json

    src, p, raw, us = _cincinnati_us_copy(shared_data, tmp_path)
    r = _cli("validate", p, "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["rows"] == obj["accepted"] + obj["rejected"] + obj["filtered"] == len(raw)
    assert obj["crs_how"] == "UTM zone of the data's median location (WGS 84 / UTM zone 16N)"
    assert obj["crime_types"] == raw["offense"].value_counts().to_dict()
    assert obj["sources"][0]["dates"]["order"] == "month-first"
    assert obj["sources"][0]["columns"] == {"id": "incident_no", "date": "offense_date", "lon": "longitude",
                                            "lat": "latitude", "type": "offense"}
    assert obj["membership"] is None and obj["date_precision"] == "minute"
    # the table shows the same facts
    t = _cli("validate", p)
    assert t.returncode == 0 and "month-first" in t.stderr and "Detected" in t.stderr


def test_validate_edge_tolerance_option(barnet_csv, boroughs_file):
    import json

    base = ["validate", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--json"]
    default = json.loads(_cli(*base).stdout)
    strict = json.loads(_cli(*base, "--area-buffer", "0").stdout)
    assert default["accepted"] == 34_363 and default["membership"]["edge_tolerance_m"] == 25
    assert strict["accepted"] == 34_320 and strict["reasons"]["outside area"] == 43
    assert strict["membership"]["recovered_within_tolerance"] == 0


@pytest.mark.parametrize("case", ["wrong crs", "degrees", "ambiguous area", "unknown area", "header only",
                                  "polygons", "all rejected", "metres without crs"])
def test_validate_refuses_with_one_line(case, shared_data, tmp_path, barnet_csv, boroughs_file):
    chicago = shared_data / "crime" / "exact_dates" / CHICAGO
    wards = shared_data / "boundaries" / "london_wards_2014.geojson"
    if case == "wrong crs":
        _one_line_error(_cli("validate", chicago, "--crs", "EPSG:27700"),
                        "x/y columns 'x', 'y' read as EPSG:27700 contradict the lon/lat columns")
    elif case == "degrees":
        _one_line_error(_cli("validate", chicago, "--crs", "EPSG:4326"),
                        "are declared as EPSG:4326 (degrees) but 100% of rows are not degrees")
    elif case == "ambiguous area":
        _one_line_error(_cli("validate", barnet_csv, "--area-file", wards, "--area", "Edgware"),
                        "'Edgware' matches 2 areas in the boundary layer: E05000287 Edgware (Harrow); "
                        "E05000050 Edgware (Barnet); give the code instead")
    elif case == "unknown area":
        _one_line_error(_cli("validate", barnet_csv, "--area-file", wards, "--area", "Edgwear"),
                        "no area named 'Edgwear' in the boundary layer; closest: Edgware")
    elif case == "header only":
        p = write(tmp_path, [], "h.csv")
        _one_line_error(_cli("validate", p), "h.csv: header only, no data rows")
    elif case == "polygons":
        _one_line_error(_cli("validate", boroughs_file), f"{boroughs_file}: holds Polygon (33) geometries, not "
                        "points; incidents must be points (one location per incident)")
    elif case == "all rejected":
        rej = tmp_path / "rej.csv"
        r = _cli("validate", barnet_csv, "--area-file", boroughs_file, "--area", "Enfield", "--rejects", rej)
        _one_line_error(r, "no usable rows: all 34,775 rows were rejected; commonest reason 'outside area'")
        assert len(pd.read_csv(rej)) == 34_775  # the reasons are still written
    elif case == "metres without crs":
        import json

        layer = load_boundaries_27700(boroughs_file)
        feats = json.loads(layer[["borough_name", "geometry"]].to_json())
        feats.pop("crs", None)
        p = tmp_path / "m.geojson"
        p.write_text(json.dumps(feats))
        _one_line_error(_cli("validate", barnet_csv, "--area-file", p, "--area", "Barnet"),
                        "coordinates look like metres")
        ok = _cli("validate", barnet_csv, "--area-file", p, "--area", "Barnet", "--area-crs", "EPSG:27700", "--json")
        assert ok.returncode == 0, ok.stderr
        assert '"accepted": 34363' in ok.stdout


def load_boundaries_27700(path):
    from hotspot.areas import load_boundaries

    return load_boundaries(path, crs="EPSG:27700")


def test_geojson_points_in_metres_read_as_degrees(tmp_path):
    import json

    gdf = gpd.GeoDataFrame({"id": ["a", "b"], "date": ["2024-01-02", "2024-01-03"]},
                           geometry=gpd.points_from_xy([530000, 531000], [180000, 181000]), crs=27700)
    feats = json.loads(gdf.to_json())
    feats.pop("crs", None)  # no crs member: GDAL reads lon/lat
    p = tmp_path / "bng.geojson"
    p.write_text(json.dumps(feats))
    with pytest.raises(CRSError) as exc:
        read_incidents(p)
    assert str(exc.value) == (f"{p}: geometries are declared as EPSG:4326 (degrees) but 100% of rows are not "
                              "degrees (e.g. row 1: x=530000, y=180000); give their projected CRS with crs=")
    res = read_incidents(p, crs="EPSG:27700")
    np.testing.assert_allclose(res.incidents.geometry.x, [530000, 531000])
    assert res.detected[0]["coordinates"]["how"] == "given with --crs"


def test_rows_of_another_district_inside_the_polygon_are_not_taken(tmp_path, boroughs_file):
    """A row police.uk attributes to one borough is never counted for its
    neighbour, even when its point lies inside the neighbour's polygon;
    with a ward layer (not a layer of police.uk districts) the polygon decides."""
    from hotspot.areas import load_area
    from hotspot.crs import to_lonlat

    enfield = load_area(boroughs_file, "Enfield")
    c = enfield.geometry.representative_point()
    lon, lat = to_lonlat([c.x], [c.y], enfield.crs)
    rows = [police_row(i, lon=f"{lon[0]:.6f}", lat=f"{lat[0]:.6f}") for i in range(3)]  # LSOA 'Barnet 001A'
    with pytest.raises(UnusableInputError) as exc:
        read_incidents(write(tmp_path, rows), area=enfield)
    assert str(exc.value) == (f"{tmp_path / 'in.csv'}: no usable rows: all 3 rows were rejected; commonest reason "
                              "'outside area' (3 rows, e.g. in.csv row 1, column LSOA name: police.uk places it in "
                              "LSOA 'Barnet 001A', not in Enfield)")
    wards = boroughs_file.parent / "london_wards_2014.geojson"
    from hotspot.areas import load_boundaries

    layer = load_boundaries(wards)
    ward = layer[layer.geometry.contains(c)].iloc[0]
    res = read_incidents(write(tmp_path, rows), area=load_area(wards, ward["ward_code"]))
    assert res.accepted == 3 and res.membership["rule"] == "point in polygon"


def test_table_read_as_gis_layer_and_far_apart_crs(shared_data, barnet_csv, barnet):
    with pytest.raises(InputFileError, match=r"barnet_burglary_police_uk_2013-12_2025-02\.csv: not a GIS layer "
                                             r"\(no geometry column\); read it as a table"):
        read_incidents(barnet_csv, format="vector")
    van = shared_data / "crime" / "exact_dates" / "vancouver_break_and_enter_2020.csv"
    with pytest.raises(CRSError, match=r"^no accurate transformation from EPSG:26910 to EPSG:27700: their areas of use"):
        read_incidents(van, crs="EPSG:26910", area=barnet)


def test_two_inputs_holding_the_same_incidents_under_other_ids_are_refused(tmp_path, barnet_csv):
    import pandas as pd

    from hotspot._errors import InputFileError
    from hotspot.intake import read_incidents

    a = pd.read_csv(barnet_csv).head(500)
    b = a.copy()
    b["Crime ID"] = [f"other-{k}" for k in range(len(b))]  # another export's id format
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(InputFileError, match=r"b.csv: 100% of its rows repeat an earlier input's date, place"):
        read_incidents([tmp_path / "a.csv", tmp_path / "b.csv"])
    # different months of one export are not an overlap
    a2 = pd.read_csv(barnet_csv)
    a2[a2["Month"] < "2020-01"].to_csv(tmp_path / "early.csv", index=False)
    a2[a2["Month"] >= "2020-01"].to_csv(tmp_path / "late.csv", index=False)
    assert read_incidents([tmp_path / "early.csv", tmp_path / "late.csv"]).accepted == 34_363
