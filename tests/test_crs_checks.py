"""Degrees are never read as metres, and layers in two CRSs are never compared
(issue 9, item 4): every distance-based public function raises CRSError."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import CRSError
from hotspot.anpr import CameraSiting
from hotspot.areas import Area, area_from_geometry
from hotspot.campaigns import expected_burglaries
from hotspot.forecast import PeriodCounts
from hotspot.grid import Grid
from hotspot.kde import kde
from hotspot.knox import knox_from_incidents, knox_test
from hotspot.nanobeats import NanoBeatPlanner

RNG = np.random.default_rng(4)
N = 60


def _incidents(crs, x0=530_000.0, y0=190_000.0, span=2000.0):
    x, y = x0 + RNG.uniform(0, span, N), y0 + RNG.uniform(0, span, N)
    df = pd.DataFrame({"occurred": pd.Timestamp("2024-01-01") + pd.to_timedelta(RNG.integers(0, 90, N), "D"),
                       "incident_id": [f"i{k}" for k in range(N)], "date_precision": "day", "location_text": ""})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=crs)


BNG = _incidents(27700)
LONLAT = BNG.to_crs(4326)
UTM = BNG.to_crs(32630)  # metres too, but another CRS
AREA_BNG = area_from_geometry(box(529_000, 189_000, 533_000, 193_000), 27700, "test")
AREA_LONLAT = Area(name="test", code="T", geometry=gpd.GeoSeries([AREA_BNG.geometry], crs=27700).to_crs(4326).iloc[0],
                   crs=LONLAT.crs)


def test_the_metric_inputs_work():
    PeriodCounts.from_incidents(BNG, AREA_BNG)
    NanoBeatPlanner.from_window(BNG, AREA_BNG, distance=200, days=14)
    knox_from_incidents(BNG, permutations=9)


@pytest.mark.parametrize("call", [
    lambda: PeriodCounts.from_incidents(UTM, AREA_BNG),
    lambda: NanoBeatPlanner.from_window(UTM, AREA_BNG, distance=200, days=14),
    lambda: expected_burglaries(AREA_BNG.to_gdf(), incidents=UTM),
], ids=["PeriodCounts", "NanoBeatPlanner", "expected_burglaries"])
def test_incidents_and_area_in_two_crss_are_refused(call):
    with pytest.raises(CRSError, match=r"is in EPSG:(32630|27700) but .* is in EPSG:(27700|32630)"):
        call()


@pytest.mark.parametrize("call", [
    lambda: knox_from_incidents(LONLAT, permutations=9),
    lambda: knox_test(LONLAT.geometry.x, LONLAT.geometry.y, np.arange(N, dtype=float), permutations=9),
    lambda: kde(LONLAT.geometry.x, LONLAT.geometry.y, Grid.for_geometry(AREA_BNG.geometry, 50, 27700)),
    lambda: Grid.for_geometry(AREA_LONLAT.geometry, 50, 4326),
    lambda: PeriodCounts.from_incidents(LONLAT, AREA_LONLAT),
    lambda: NanoBeatPlanner.from_window(LONLAT, AREA_LONLAT, distance=200, days=14),
    lambda: expected_burglaries(AREA_LONLAT.to_gdf(), incidents=LONLAT),
], ids=["knox_from_incidents", "knox_test", "kde", "Grid", "PeriodCounts", "NanoBeatPlanner", "expected_burglaries"])
def test_degrees_are_refused(call):
    with pytest.raises(CRSError, match=r"metres|degrees"):
        call()


def test_camera_siting_refuses_degrees_and_mixed_crs():
    demand = BNG.assign(demand=1.0)[["demand", "geometry"]]
    cands = BNG.iloc[:5].assign(site_id=[f"S{k}" for k in range(5)])[["site_id", "geometry"]]
    CameraSiting.from_geodataframes(demand, cands, radius=500)  # fine in metres
    with pytest.raises(CRSError, match="must be a projected CRS in metres"):
        CameraSiting.from_geodataframes(demand.to_crs(4326), cands.to_crs(4326), radius=500)
    with pytest.raises(CRSError, match=r"candidates is in EPSG:32630 but demand is in EPSG:27700"):
        CameraSiting.from_geodataframes(demand, cands.to_crs(32630), radius=500)
    with pytest.raises(CRSError, match="has no CRS"):
        CameraSiting.from_geodataframes(demand, cands.set_crs(None, allow_override=True), radius=500)
