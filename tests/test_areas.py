"""Areas: picking by name or code, neighbours, fringe, repair."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from hotspot._errors import AreaError
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
