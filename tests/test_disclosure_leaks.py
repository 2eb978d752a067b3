"""Issue 21: check-public finds every planted leak form of the probe, and
every --public output passes it (fast, synthetic data with a known answer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot.areas import area_from_geometry
from hotspot.crs import to_lonlat
from hotspot.disclosure import check_public

ROOT = Path(__file__).resolve().parents[1]
AREA = area_from_geometry(box(520_000, 180_000, 522_000, 182_000), 27700, "square")


def incidents(seed: int = 0, n: int = 300, text: str = "On or near {}") -> gpd.GeoDataFrame:
    """Seeded burglaries in a 2 km square of British National Grid, with
    location text in police.uk form (``On or near X``) or an address form."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(520_000, 522_000, n)
    y = rng.uniform(180_000, 182_000, n)
    streets = [f"{w} Road" for w in ("Acacia", "Laburnum", "Wisteria", "Hawthorn", "Juniper")]
    loc = [text.format(streets[i % len(streets)], i + 1) for i in range(n)]
    df = pd.DataFrame({"occurred": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
                       "date_precision": "day", "location_text": loc, "incident_id": [f"i{k}" for k in range(n)]})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=27700)


INC = incidents()
X0, Y0 = float(INC.geometry.x.iloc[0]) + 5, float(INC.geometry.y.iloc[0]) - 5  # 7 m from an incident
LON0, LAT0 = (float(v[0]) for v in to_lonlat(np.array([X0]), np.array([Y0]), 27700))
BIG = box(520_000, 180_000, 521_000, 181_000)  # a 1 km polygon: not pinpointing by itself


def _geojson(path: Path, props: dict, geom=BIG, crs: int = 4326) -> Path:
    gpd.GeoDataFrame([props], geometry=[geom], crs=27700).to_crs(crs).to_file(path, driver="GeoJSON")
    return path


def _pdf(path: Path, text: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure()
        fig.text(0.05, 0.5, text)
        fig.savefig(path)
        plt.close(fig)
    return path


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><body><div id='m'></div><script>{body}</script></body></html>"


PROBES = {
    # text in string-dtype columns (pandas 3): GeoJSON, CSV, GeoPackage
    "geojson_text.geojson": lambda p: _geojson(p, {"note": "3 burglaries in this square"}),
    "csv_text.csv": lambda p: pd.DataFrame({"ward": ["A"], "note": ["3 burglaries"]}).to_csv(p, index=False),
    "gpkg_text.gpkg": lambda p: gpd.GeoDataFrame({"tip": ["Burglaries: 3"]}, geometry=[BIG], crs=27700)
    .to_file(p, layer="cells", driver="GPKG"),
    # counts below k in tooltips, legends and arrays embedded in pages; numbers held as strings
    "tooltip.html": lambda p: p.write_text(_page("layer.bindTooltip('Burglaries: 3');")),
    "legend.html": lambda p: p.write_text("<html><body><div class='legend'>Acacia: 2 burglaries</div></body></html>"),
    "count_str.html": lambda p: p.write_text(_page('var cells = [{"count": "3", "cell": "A"}];')),
    "array.html": lambda p: p.write_text(_page('var data = {"counts": [40, 3, 25]};')),
    "count_str.json": lambda p: p.write_text(json.dumps({"cells": [{"count": "3"}]})),
    "count_str.geojson": lambda p: _geojson(p, {"count": "3"}),
    # coordinates within the distance in any CRS and any form
    "latlng.html": lambda p: p.write_text(_page(f"L.marker(L.latLng({LAT0:.6f}, {LON0:.6f})).addTo(map);")),
    "bng.html": lambda p: p.write_text(_page(f"var site = [{X0:.1f}, {Y0:.1f}];")),
    "bng_wkt.csv": lambda p: pd.DataFrame({"wkt": [f"POINT ({X0:.0f} {Y0:.0f})"]}).to_csv(p, index=False),
    "long.csv": lambda p: pd.DataFrame({"Long": [LON0], "Lat": [LAT0]}).to_csv(p, index=False),
    "bng_cols.csv": lambda p: pd.DataFrame({"site": ["a"], "bng_e": [X0], "bng_n": [Y0]}).to_csv(p, index=False),
    "bng.json": lambda p: p.write_text(json.dumps({"sites": [{"E": X0, "N": Y0}]})),
    "bng_points.geojson": lambda p: p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [X0, Y0]}}]})),
    "bng_points.gpkg": lambda p: gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([X0], [Y0]), crs=27700)
    .to_file(p, driver="GPKG"),
    # the printed brief
    "brief.pdf": lambda p: _pdf(p, "Target 1: 3 burglaries"),
    "brief_coords.pdf": lambda p: _pdf(p, f"Meet at {LAT0:.6f}, {LON0:.6f}"),
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_check_public_finds_each_planted_leak(tmp_path, name):
    path = tmp_path / name
    PROBES[name](path)
    found = check_public(path, INC)
    assert found, f"{name}: planted leak not found"


def test_street_of_an_exact_address_is_a_leak_but_a_police_uk_snap_point_is_not(tmp_path):
    exact = incidents(text="{1} {0}")  # "17 Acacia Road": a force's own exact-address export
    p = tmp_path / "plan.csv"
    pd.DataFrame({"unit": ["E01000001"], "streets": ["Acacia Road; Laburnum Road"]}).to_csv(p, index=False)
    found = check_public(p, exact)
    assert [f.kind for f in found] == ["street of an incident"] and "Acacia Road" in found[0].detail
    page = tmp_path / "p.html"
    page.write_text("<html><body>Leaflets for the streets round WISTERIA ROAD</body></html>")
    assert [f.kind for f in check_public(page, exact)] == ["street of an incident"]
    assert check_public(p, INC) == []  # police.uk snap points are published by police.uk itself


def test_clean_outputs_raise_no_false_alarm(tmp_path):
    from hotspot.render.public import public_map

    page = public_map(AREA, INC, tmp_path / "public.html", cell=500, k=8)
    assert check_public(page, INC) == []
    pd.DataFrame({"ward": ["A", "B"], "count": [8, 0], "note": ["12 burglaries", "none"],
                  "households": [3, 5], "year": [2024, 2024]}).to_csv(tmp_path / "t.csv", index=False)
    assert check_public(tmp_path / "t.csv", INC) == []
    _pdf(tmp_path / "ok.pdf", "Target 1: 12 burglaries, 1,234 households")
    assert check_public(tmp_path / "ok.pdf", INC) == []


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)
