"""benchmarks/make_national.py: k copies of a police.uk file, rows conserved,
copies apart on the map, names and ids their own (synthetic input with a known
answer)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyproj import Transformer
from shapely.geometry import box

from hotspot.columns import is_lsoa_of

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_national", ROOT / "benchmarks" / "make_national.py")
assert _spec and _spec.loader
mn = importlib.util.module_from_spec(_spec)
sys.modules["make_national"] = mn  # dataclasses look their module up
_spec.loader.exec_module(mn)

TO_LL = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@pytest.fixture
def small(tmp_path):
    """Two 4 km square boroughs side by side (BNG), two LSOAs each, 300
    incidents inside them, 7 with no location, one id repeated (a police.uk
    row where only the outcome differs)."""
    rng = np.random.default_rng(3)
    boroughs = {"Alpha": (530_000, 180_000), "Beta": (534_000, 180_000)}
    bgeo = gpd.GeoDataFrame({"borough_name": list(boroughs), "borough_code": ["E09000001", "E09000002"]},
                            geometry=[box(x, y, x + 4000, y + 4000) for x, y in boroughs.values()], crs=27700)
    lrows = []
    for i, (name, (x, y)) in enumerate(boroughs.items()):
        for j, (dx, letter) in enumerate(((0, "A"), (2000, "B"))):
            lrows.append({"LSOA11CD": f"E0100000{2 * i + j + 1}", "LSOA11NM": f"{name} 001{letter}",
                          "lad_code": bgeo.borough_code[i], "lad_name": name,
                          "geometry": box(x + dx, y, x + dx + 2000, y + 4000)})
    lsoa = gpd.GeoDataFrame(lrows, crs=27700)
    n = 300
    which = rng.integers(0, len(lsoa), n)
    x = np.array([lsoa.geometry[w].bounds[0] for w in which]) + rng.uniform(1, 1999, n)
    y = np.array([lsoa.geometry[w].bounds[1] for w in which]) + rng.uniform(1, 3999, n)
    lon, lat = TO_LL.transform(x, y)
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    df = pd.DataFrame({
        "Crime ID": [f"{i:016x}" for i in range(n)], "Month": [f"2024-{1 + i % 12:02d}" for i in range(n)],
        "Reported by": "Metropolitan Police Service", "Falls within": "Metropolitan Police Service",
        "Longitude": lon, "Latitude": lat, "Location": "On or near High Street",
        "LSOA code": lsoa.LSOA11CD.to_numpy()[which], "LSOA name": lsoa.LSOA11NM.to_numpy()[which],
        "Crime type": "Burglary", "Last outcome category": "Under investigation", "Context": None})
    df.loc[5, "Crime ID"] = df.loc[4, "Crime ID"]
    df.loc[10:16, ["Longitude", "Latitude", "LSOA code", "LSOA name"]] = None
    src = tmp_path / "src"
    src.mkdir()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), src / "inc.parquet")
    bgeo.to_crs(4326).to_file(src / "boroughs.geojson", driver="GeoJSON")
    lsoa.to_crs(4326).to_file(src / "lsoa.geojson", driver="GeoJSON")
    pd.DataFrame({"lsoa_code": lsoa.LSOA11CD, "lsoa_name": lsoa.LSOA11NM, "lad_code": lsoa.lad_code,
                  "lad_name": lsoa.lad_name, "households": [100, 200, 300, 400]}).to_csv(src / "hh.csv", index=False)
    return mn.Sources(src / "inc.parquet", src / "boroughs.geojson", src / "lsoa.geojson", src / "hh.csv"), df


@pytest.mark.parametrize("k", [1, 5])  # 5: the grid's second row (COLUMNS = 4)
def test_k_copies_conserve_every_row_and_never_overlap(small, tmp_path, k):
    src, df = small
    got = mn.make_national(k, tmp_path / "out", src=src, seed=7)
    out = pq.read_table(got["incidents"]).to_pandas()
    assert got["rows"] == len(out) == k * len(df)
    # Copy 0 is the source itself, row for row.
    pd.testing.assert_frame_equal(out.iloc[: len(df)].reset_index(drop=True), df, check_dtype=False)
    copy = np.repeat(np.arange(k), len(df))
    # Ids unique across copies; the source's one repeated id stays repeated once per copy.
    assert out["Crime ID"].nunique() == k * df["Crime ID"].nunique()
    # Rows with no location stay without one, in every copy.
    assert out["Longitude"].isna().sum() == k * df["Longitude"].isna().sum()
    x, y = TO_BNG.transform(out["Longitude"].to_numpy(float), out["Latitude"].to_numpy(float))
    sx, sy = TO_BNG.transform(df["Longitude"].to_numpy(float), df["Latitude"].to_numpy(float))
    boxes = []
    ok = np.isfinite(df["Longitude"].to_numpy(float))
    for c in range(k):
        m = copy == c
        # Each copy is the source moved by its offset (to the 6-decimal rounding, < 0.2 m).
        dx, dy = got["offsets_m"][c]
        assert np.allclose(x[m][ok] - sx[ok], dx, atol=0.5) and np.allclose(y[m][ok] - sy[ok], dy, atol=0.5)
        cx, cy = x[m][ok], y[m][ok]
        boxes.append((cx.min(), cy.min(), cx.max(), cy.max()))
    for i in range(k):
        for j in range(i + 1, k):
            a, b = boxes[i], boxes[j]
            apart = a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]
            assert apart, f"copies {i} and {j} overlap: {a} {b}"


def test_each_copy_is_a_set_of_areas_the_league_can_find(small, tmp_path):
    src, df = small
    got = mn.make_national(3, tmp_path / "out", src=src, seed=1)
    out = pq.read_table(got["incidents"]).to_pandas()
    areas = gpd.read_file(got["boroughs"]).to_crs(27700)
    assert list(areas.borough_name) == ["Alpha", "Beta", "F02 Alpha", "F02 Beta", "F03 Alpha", "F03 Beta"]
    assert areas.borough_code.is_unique and (areas.borough_code.str.len() == 9).all()
    lsoa = gpd.read_file(got["lsoas"])
    assert lsoa.LSOA11CD.is_unique and set(out["LSOA code"].dropna()) == set(lsoa.LSOA11CD)
    pts = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out.Longitude, out.Latitude), crs=4326).to_crs(27700)
    for _, a in areas.iterrows():
        mine = is_lsoa_of(out["LSOA name"], a.borough_name)
        base = a.borough_name.split(" ", 1)[-1] if a.borough_name.startswith("F0") else a.borough_name
        # The LSOA-name prefix finds exactly the source's rows of that borough, and they lie inside its polygon.
        assert mine.sum() == is_lsoa_of(df["LSOA name"], base).sum() > 0
        assert pts[mine].within(a.geometry.buffer(1)).all()
    hh = pd.read_csv(got["households"])
    assert len(hh) == 12 and set(hh.lad_code) == set(areas.borough_code)
    assert hh.groupby("lad_code").households.sum().tolist() == [300, 700] * 3


def test_a_code_that_cannot_be_marked_is_refused():
    with pytest.raises(ValueError, match="fourth character"):
        mn.copy_code(pd.Series(["E01100001"]), 1)
    with pytest.raises(ValueError, match="1..36"):
        mn.offsets(37, (0, 0, 1, 1), 0)
