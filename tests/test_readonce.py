"""One read per reference file within a run (hotspot.readonce), re-read when
the file changes, and no cache outside a run."""

from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot.areas import load_area, load_boundaries
from hotspot.campaigns import lsoa_units
from hotspot.readonce import read_csv_once, read_each_file_once, read_once


@pytest.fixture
def counted(monkeypatch):
    """Count the reads of each file by pandas.read_csv and geopandas.read_file."""
    seen: dict[str, int] = {}
    real_csv, real_vector = pd.read_csv, gpd.read_file

    def csv(path, *a, **k):
        seen[str(path)] = seen.get(str(path), 0) + 1
        return real_csv(path, *a, **k)

    def vector(path, *a, **k):
        seen[str(path)] = seen.get(str(path), 0) + 1
        return real_vector(path, *a, **k)

    monkeypatch.setattr(pd, "read_csv", csv)
    monkeypatch.setattr(gpd, "read_file", vector)
    return seen


@pytest.fixture
def layers(tmp_path):
    bounds = gpd.GeoDataFrame({"name": ["North", "South"]}, geometry=[box(0, 1000, 1000, 2000), box(0, 0, 1000, 1000)],
                              crs=27700)
    bounds.to_file(tmp_path / "areas.geojson")
    lsoas = gpd.GeoDataFrame({"LSOA11CD": ["E01000001", "E01000002"]},
                             geometry=[box(0, 1000, 500, 2000), box(500, 1000, 1000, 2000)], crs=27700)
    lsoas.to_file(tmp_path / "lsoa.geojson")
    pd.DataFrame({"lsoa_code": ["E01000001", "E01000002"], "lsoa_name": ["North 001A", "North 001B"],
                  "households": [400, 600]}).to_csv(tmp_path / "households.csv", index=False)
    return tmp_path


def test_a_run_reads_each_file_once_however_often_its_stages_ask(layers, counted):
    hh = layers / "households.csv"
    with read_each_file_once():
        area = load_area(layers / "areas.geojson", "North")
        again = load_boundaries(layers / "areas.geojson")  # the report's borough layer
        units = lsoa_units(layers / "lsoa.geojson", hh, area)
        table = read_csv_once(hh, dtype={"lsoa_code": str})  # the report's households
        table["households"] = 0  # a caller changing its copy changes no other caller's
        assert read_csv_once(hh, dtype={"lsoa_code": str})["households"].tolist() == [400, 600]
    assert counted == {str(layers / "areas.geojson"): 1, str(layers / "lsoa.geojson"): 1, str(hh): 1}
    assert area.name == "North" and len(again) == 2 and units["households"].sum() == 1000


def test_a_changed_file_is_read_again_and_nothing_is_kept_after_the_run(layers, counted):
    hh = layers / "households.csv"
    with read_each_file_once():
        assert read_csv_once(hh)["households"].sum() == 1000
        pd.DataFrame({"lsoa_code": ["E01000001"], "lsoa_name": ["North 001A"], "households": [7]}).to_csv(hh, index=False)
        st = os.stat(hh)
        os.utime(hh, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a later modification time
        assert read_csv_once(hh)["households"].sum() == 7
        with read_each_file_once():  # a nested block shares the run's cache
            assert read_csv_once(hh)["households"].sum() == 7
    assert counted[str(hh)] == 2
    read_csv_once(hh), read_csv_once(hh)  # outside a run: every call reads
    assert counted[str(hh)] == 4


def test_different_arguments_are_different_reads_and_a_missing_file_is_the_readers_error(layers, counted):
    hh = layers / "households.csv"
    with read_each_file_once():
        read_csv_once(hh), read_csv_once(hh, dtype={"lsoa_code": str})
        with pytest.raises(FileNotFoundError):
            read_once(layers / "missing.csv", pd.read_csv)
    assert counted[str(hh)] == 2
