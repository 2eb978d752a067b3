"""The campaign job, one entry point for the ``leaflets`` command and the run's ``campaign`` stage (issue 23)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import UnitCoverageError
from hotspot.areas import area_from_geometry
from hotspot.jobs.campaign import plan_leaflets_for_area


def _layers(tmp_path, cover: float):
    """An area of 4 x 4 km, LSOAs covering its left ``cover`` share, and burglaries spread evenly over it."""
    area = area_from_geometry(box(0, 0, 4000, 4000), 27700, "Test")
    width = 4000 * cover
    lsoas = gpd.GeoDataFrame({"LSOA11CD": [f"E0100000{i}" for i in range(4)]},
                             geometry=[box(x, y, x + width / 2, y + 2000) for x in (0, width / 2) for y in (0, 2000)],
                             crs=27700)
    lsoas.to_file(tmp_path / "lsoas.geojson")
    pd.DataFrame({"lsoa_code": lsoas["LSOA11CD"], "lsoa_name": [f"Test 00{i}A" for i in range(4)],
                  "households": 600}).to_csv(tmp_path / "households.csv", index=False)
    rng = np.random.default_rng(1)
    n = 800
    when = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D")
    incidents = gpd.GeoDataFrame({"occurred": when, "crime_type": "Burglary", "date_precision": "day"},
                                 geometry=gpd.points_from_xy(rng.uniform(1, 3999, n), rng.uniform(1, 3999, n)),
                                 crs=27700)
    return area, incidents, tmp_path / "lsoas.geojson", tmp_path / "households.csv"


def test_units_reaching_too_few_burglaries_are_refused_when_a_coverage_is_asked(tmp_path):
    area, incidents, lsoa_file, hh = _layers(tmp_path, cover=0.5)  # the LSOAs reach about half the burglaries
    with pytest.raises(UnitCoverageError, match=r"reaches (4[5-9]|5[0-5])% of Test's burglaries \(needs 95%\)"):
        plan_leaflets_for_area(area, incidents, lsoa_file=lsoa_file, households_file=hh, reference=False,
                               min_coverage=0.95, method=None, as_of="2023-12-01")


def test_the_run_and_the_command_get_the_same_plan_from_the_same_layers(tmp_path):
    area, incidents, lsoa_file, hh = _layers(tmp_path, cover=1.0)
    run = plan_leaflets_for_area(area, incidents, lsoa_file=lsoa_file, households_file=hh, reference=False,
                                 min_coverage=0.95, as_of="2023-12-01", leaflets=1000, timer_switches=100)
    command = plan_leaflets_for_area(area, incidents, lsoa_file=lsoa_file, households_file=hh, reference=False,
                                     as_of="2023-12-01", leaflets=1000, timer_switches=100)
    pd.testing.assert_frame_equal(run.targets, command.targets)
    assert int(run.targets["leaflets"].sum()) == 1000  # the budget is spent exactly (rule "partial")
