"""Areas: picking by name or code, neighbours, fringe, repair."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from hotspot._errors import AreaError, CRSError, InputFileError
from hotspot.areas import find_area, load_area, load_boundaries, neighbours


@pytest.mark.parametrize("name", ["Barnet", "barnet", "BARNET", "E09000003", "e09000003"])
def test_pick_by_name_or_code(boroughs_file, name):
    a = load_area(boroughs_file, name)
    assert a.name == "Barnet" and a.code == "E09000003"
    assert a.crs.to_epsg() == 27700
    assert abs(a.area_km2 - 86.7) < 0.2  # GLA: 8,675 ha


def test_unknown_name_lists_closest_matches(boroughs_file):
    with pytest.raises(AreaError, match=r"no area named 'Barnit'.*closest: Barnet"):
        load_area(boroughs_file, "Barnit")


def test_neighbours_in_same_and_other_layer(barnet, shared_data):
    same = set(barnet.neighbours()["borough_name"])
    assert same == {"Brent", "Camden", "Enfield", "Haringey", "Harrow"}
    with pytest.warns(UserWarning, match="repaired 29 invalid geometries"):  # the reference layer's own flaw
        lads = load_boundaries(shared_data / "boundaries" / "lads_london_and_herts_region.geojson")
    other = set(neighbours(barnet, lads)["lad_name"])
    # across the Greater London edge: Hertsmere (and Barnet itself excluded)
    assert {"Hertsmere", "Enfield", "Harrow", "Brent", "Camden", "Haringey"} <= other
    assert "Barnet" not in other


def test_fringe_band(barnet):
    band = barnet.fringe(3000)
    assert band.intersection(barnet.geometry).area < 1e-3 * band.area
    # a 3 km band round an 86.7 km2 area of perimeter P has area ~ 3P + pi*9
    approx = 3000 * barnet.geometry.length + 3.1416 * 3000**2
    assert 0.8 * approx < band.area < 1.05 * approx


def test_invalid_polygons_repaired_with_warning(tmp_path):
    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    gdf = gpd.GeoDataFrame({"name": ["bow", "square"]}, geometry=[bowtie, box(2000, 0, 3000, 1000)], crs=27700)
    p = tmp_path / "b.gpkg"
    gdf.to_file(p)
    with pytest.warns(UserWarning, match="repaired 1 invalid"):
        layer = load_boundaries(p)
    assert layer.geometry.is_valid.all()
    assert abs(find_area(layer, "bow").geometry.area - 500_000) < 1


def test_area_from_non_gb_layer_uses_utm(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(-87.7, 41.8, -87.6, 41.9)], crs=4326)
    p = tmp_path / "chi.geojson"
    gdf.to_file(p)
    a = load_area(p, "x")
    assert a.crs.to_epsg() == 32616


# ----------------------------------------------------------------- ambiguous names, layers without a CRS
def test_ambiguous_ward_name_is_never_merged(shared_data):
    wards = shared_data / "boundaries" / "london_wards_2014.geojson"
    with pytest.raises(AreaError) as exc:
        load_area(wards, "Edgware")
    assert str(exc.value) == (
        "'Edgware' matches 2 areas in the boundary layer: E05000287 Edgware (Harrow); "
        "E05000050 Edgware (Barnet); give the code instead, e.g. area=E05000287")
    # by code: exactly one ward, the same polygon as in the layer
    layer = load_boundaries(wards)
    for code, borough in (("E05000050", "Barnet"), ("E05000287", "Harrow")):
        a = load_area(wards, code)
        row = layer[layer["ward_code"] == code].iloc[0]
        assert (a.name, a.code) == ("Edgware", code) and row["borough_name"] == borough
        assert a.geometry.symmetric_difference(row.geometry).area < 1e-6


def test_ambiguous_name_without_parent_column_lists_codes(shared_data):
    with pytest.raises(AreaError, match=r"^'edgware' matches 2 areas in the boundary layer: E05013545 Edgware; "
                                        r"E05013637 Edgware; give the code instead"):
        load_area(shared_data / "boundaries" / "london_wards_2024.geojson", "edgware")


def test_parent_name_selects_its_units(shared_data, barnet):
    # a borough name in a ward layer: the union of its wards, named by the borough
    a = load_area(shared_data / "boundaries" / "london_wards_2014.geojson", "Barnet")
    assert a.name == "Barnet" and a.code is None
    assert abs(a.area_km2 - barnet.area_km2) < 0.01 * barnet.area_km2


def test_rows_of_one_code_are_dissolved(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["Isle", "Isle", "Main"], "code": ["E06000046", "E06000046", "E06000001"]},
                           geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)], crs=27700)
    p = tmp_path / "parts.gpkg"
    gdf.to_file(p)
    a = load_area(p, "isle")
    assert a.code == "E06000046" and a.geometry.area == 200


def test_unknown_ward_lists_closest(shared_data):
    with pytest.raises(AreaError, match=r"^no area named 'Edgwar' in the boundary layer; closest: Edgware"):
        load_area(shared_data / "boundaries" / "london_wards_2014.geojson", "Edgwar")


def _write_without_crs(tmp_path, coords_gdf, name="nocrs.geojson"):
    """A GeoJSON whose coordinates are whatever ``coords_gdf`` holds, with no
    ``crs`` member (GDAL then reads it as lon/lat)."""
    import json

    feats = json.loads(coords_gdf.to_json())
    feats.pop("crs", None)
    p = tmp_path / name
    p.write_text(json.dumps(feats))
    return p


def test_boundary_in_metres_without_crs_names_area_crs(tmp_path, boroughs_file):
    layer = load_boundaries(boroughs_file)  # EPSG:27700 metres
    p = _write_without_crs(tmp_path, layer[["borough_name", "borough_code", "geometry"]])
    x0, y0, x1, y1 = layer.total_bounds
    with pytest.raises(CRSError) as exc:
        load_area(p, "Barnet")
    assert str(exc.value) == (
        f"{p}: boundary layer declares EPSG:4326 (degrees) but its coordinates look like metres "
        f"(x {x0:,.0f}..{x1:,.0f}, y {y0:,.0f}..{y1:,.0f}); give their CRS with crs= "
        "(EPSG:27700 for British National Grid)")
    a = load_area(p, "Barnet", crs="EPSG:27700")
    assert a.crs.to_epsg() == 27700 and abs(a.area_km2 - 86.7) < 0.2
    with pytest.raises(CRSError, match=r"crs=EPSG:4326 is in degrees but the coordinates look like metres"):
        load_area(p, "Barnet", crs="EPSG:4326")


def test_a_table_is_not_a_boundary_layer(shared_data):
    p = shared_data / "crime" / "exact_dates" / "chicago_residential_burglary_2014_2017.csv"
    with pytest.raises(InputFileError, match=r"chicago_residential_burglary_2014_2017\.csv: not a boundary layer "
                                             r"\(no geometry column\)"):
        load_area(p, "x")


def test_gpkg_without_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(530000, 180000, 531000, 181000)])
    p = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):  # the file without a CRS is the point
        gdf.to_file(p)
    with pytest.raises(CRSError, match=r"declares no CRS but its coordinates look like metres \(x 530,000..531,000, "
                                       r"y 180,000..181,000\); give their CRS with crs= \(EPSG:27700"):
        load_area(p, "a")
    assert load_area(p, "a", crs=27700).area_km2 == pytest.approx(1.0)


def test_points_layer_is_not_a_boundary(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([530000], [180000]), crs=27700)
    p = tmp_path / "pts.gpkg"
    gdf.to_file(p)
    with pytest.raises(InputFileError, match=r"pts\.gpkg: boundary layer holds Point geometries, not polygons"):
        load_area(p, "a")


def test_neighbours_across_a_river_but_not_across_a_third_area():
    from hotspot.areas import area_from_geometry

    # A; B across a 200 m unmapped river; C 400 m away with D filling the space between; E 1.5 km away
    layer = gpd.GeoDataFrame({"name": list("ABCDE")}, geometry=[
        box(0, 0, 1000, 1000), box(0, 1200, 1000, 2200), box(1400, 0, 2400, 1000), box(1000, 0, 1400, 1000),
        box(-2500, 0, -1500, 1000)], crs=27700)
    a = area_from_geometry(layer.geometry[0], 27700, "A")
    assert sorted(neighbours(a, layer.iloc[1:])["name"]) == ["B", "D"]
    assert sorted(neighbours(a, layer.iloc[1:], max_gap=0)["name"]) == ["D"]  # touching only
    assert sorted(neighbours(a, layer.iloc[[1, 2]])["name"]) == ["B", "C"]  # without D, C faces A across a gap


def test_westminster_borders_lambeth_and_wandsworth_across_the_thames(shared_data, boroughs_file):
    westminster = load_area(boroughs_file, "Westminster")
    with pytest.warns(UserWarning, match="repaired 29 invalid geometries"):  # the reference layer's own flaw
        lads = load_boundaries(shared_data / "boundaries" / "lads_london_and_herts_region.geojson", crs=westminster.crs)
    got = set(neighbours(westminster, lads)["lad_name"])
    # the LAD layer is clipped to the river bank: Lambeth and Wandsworth lie 80 m off, Southwark 210 m
    assert {"Lambeth", "Wandsworth", "Southwark", "Camden", "Brent", "City of London"} <= got
    assert "Islington" not in got and "Hammersmith and Fulham" not in got  # Camden / Kensington between
    assert not {"Lambeth", "Wandsworth", "Southwark"} & set(neighbours(westminster, lads, max_gap=0)["lad_name"])


def test_an_area_given_twice_overlapping_or_not_as_a_polygon_is_refused():
    from shapely.geometry import LineString

    layer = gpd.GeoDataFrame({"name": ["Twice", "Twice", "Line", "Parts", "Parts"]}, geometry=[
        box(0, 0, 1000, 1000), box(-500, -500, 1500, 1500), LineString([(0, 0), (1000, 0)]),
        box(3000, 0, 4000, 1000), box(4000, 0, 5000, 1000)], crs=27700)
    with pytest.raises(AreaError, match=r"'Twice' is given by 2 overlapping rows .*rows 0, 1"):
        find_area(layer, "Twice")
    with pytest.raises(AreaError, match=r"'Line' is a LineString .* not a polygon"):
        find_area(layer, "Line")
    parts = find_area(layer, "Parts")  # an area stored in two parts that touch: dissolved
    assert parts.geometry.area == pytest.approx(2e6)
