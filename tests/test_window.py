"""Issue 23: a window carries its unit, and the data's time unit is worked out in one place
(hotspot.periods.data_time_unit), so a window in days is never read as months."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot import settings
from hotspot._errors import DataPrecisionError, HotspotError
from hotspot.areas import area_from_geometry
from hotspot.nanobeats import NanoBeatOptions, NanoBeatPlanner
from hotspot.periods import Window, data_time_unit

AREA = area_from_geometry(box(0, 0, 4000, 4000), 27700, "test")


def _incidents(dates, precision, xy=None) -> gpd.GeoDataFrame:
    n = len(dates)
    xy = np.asarray(xy if xy is not None else [(2000.0, 2000.0)] * n, float)
    df = pd.DataFrame({"incident_id": [f"i{k}" for k in range(n)], "occurred": pd.to_datetime(dates),
                       "date_precision": precision, "crime_type": "Burglary", "location_text": ""})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def _monthly() -> gpd.GeoDataFrame:
    # one burglary at (1000, 1000) in 2024-01 and one at (3000, 3000) in 2023-06:
    # a 2-month window as of 2024-03 sees only the first, a 14-month window both
    return _incidents(["2024-01-01", "2023-06-01"], "month", [(1000, 1000), (3000, 3000)])


def _daily() -> gpd.GeoDataFrame:
    # (1000, 1000) 10 days before 2024-03-15, (3000, 3000) 40 days before
    return _incidents(["2024-03-05", "2024-02-04"], "day", [(1000, 1000), (3000, 3000)])


# --------------------------------------------------------------------------- the one time-unit function

def test_data_time_unit_month_day_minute_and_empty():
    assert data_time_unit(_incidents(["2024-01-01"] * 3, "month")) == "month"
    assert data_time_unit(_incidents(["2024-01-05"] * 3, "day")) == "day"
    assert data_time_unit(_incidents(["2024-01-05 10:30"] * 3, "minute")) == "day"
    assert data_time_unit(pd.concat([_incidents(["2024-01-05"], "day"),
                                     _incidents(["2024-01-05 10:30"], "minute")])) == "day"
    assert data_time_unit(_incidents(["2024-01-05"], "day").iloc[:0]) == "day"


def test_data_time_unit_refuses_mixed_precision_with_counts():
    mixed = pd.concat([_incidents(["2024-01-01"] * 3, "month"), _incidents(["2024-01-05"] * 2, "day")])
    with pytest.raises(DataPrecisionError, match="3 rows are dated to the month only and 2 to the day"):
        data_time_unit(mixed)
    from hotspot.intake import has_month_dates  # the old name calls the one function

    with pytest.raises(DataPrecisionError):
        has_month_dates(mixed)
    assert has_month_dates(_monthly()) and not has_month_dates(_daily())


def test_data_time_unit_refuses_a_missing_or_unknown_precision():
    with pytest.raises(DataPrecisionError, match="no date_precision column"):
        data_time_unit(_monthly().drop(columns="date_precision"))
    with pytest.raises(DataPrecisionError, match="'week' is not month, day or minute"):
        data_time_unit(_incidents(["2024-01-01"], "week"))


# --------------------------------------------------------------------------- Window

def test_window_round_trip_and_checks():
    for w in (Window(14, "day"), Window(2.0, "month"), Window(0.5, "day")):
        assert Window.from_json(w.to_json()) == w
    assert str(Window(14, "day")) == "14 days" and str(Window(1, "month")) == "1 month"
    for bad in ((0, "day"), (-1, "month"), (float("nan"), "day"), (True, "day"), ("2", "month")):
        with pytest.raises(HotspotError, match="Window length"):
            Window(*bad)
    with pytest.raises(HotspotError, match="Window unit 'week'"):
        Window(2, "week")  # type: ignore[arg-type]
    with pytest.raises(HotspotError, match="not a window"):
        Window.from_json({"length": 3})


def test_window_days_before_counts_calendar_months():
    assert Window(14, "day").days_before(pd.Timestamp("2024-03-15")) == 14.0
    assert Window(1, "month").days_before(pd.Timestamp("2024-03-15")) == 29.0  # 2024-02-15 (leap year)
    assert Window(2, "month").days_before(pd.Timestamp("2023-05-01")) == 30 + 31  # from 2023-03-01
    with pytest.raises(HotspotError, match="whole months"):
        Window(1.5, "month").days_before(pd.Timestamp("2024-03-15"))


# --------------------------------------------------------------------------- the planner never reads days as months

def test_from_window_days_on_month_data_is_refused_naming_months():
    with pytest.raises(DataPrecisionError, match=r"NanoBeatPlanner days=14: .*month only.*give months=N"):
        NanoBeatPlanner.from_window(_monthly(), AREA, distance=200, days=14)
    with pytest.raises(DataPrecisionError, match=r"window=Window\(length=14, unit='day'\)"):
        NanoBeatPlanner.from_window(_monthly(), AREA, window=Window(14, "day"))
    with pytest.raises(HotspotError, match="one of days=, months= or window="):
        NanoBeatPlanner.from_window(_daily(), AREA, days=14, months=2)


def test_months_on_month_data_plan_that_many_months():
    two = NanoBeatPlanner.from_window(_monthly(), AREA, distance=200, months=2, history_weight=0.0,
                                      background="history").solve("2024-03-01", n_targets=5)
    assert two.variant == "monthly" and two.window == (200.0, 2.0)
    assert len(two.targets) == 1 and two.targets.iloc[0]["centroid_x"] < 2000
    # the same through a Window, and the default on month data is NANOBEAT_MONTHS months, not 14
    same = NanoBeatPlanner.from_window(_monthly(), AREA, window=Window(2, "month"), history_weight=0.0,
                                       background="history").solve("2024-03-01", n_targets=5)
    assert same.targets[["centroid_x", "centroid_y"]].equals(two.targets[["centroid_x", "centroid_y"]])
    default = NanoBeatPlanner.from_window(_monthly(), AREA, history_weight=0.0, background="history")
    assert default.window == Window(settings.NANOBEAT_MONTHS, "month")
    fourteen = NanoBeatPlanner.from_window(_monthly(), AREA, months=14, history_weight=0.0,
                                           background="history").solve("2024-03-01", n_targets=5)
    assert len(fourteen.targets) == 2


def test_days_on_day_data_and_calendar_months():
    planner = NanoBeatPlanner.from_window(_daily(), AREA, distance=200, days=14, history_weight=0.0,
                                          background="history")
    plan = planner.solve("2024-03-15", n_targets=5)
    assert plan.variant == "daily" and plan.window == (200.0, 14.0) and len(plan.targets) == 1
    assert NanoBeatPlanner.from_window(_daily(), AREA, history_weight=0.0).window == Window(settings.NANOBEAT_DAYS, "day")
    # on dates with days, months= are calendar months: as of 2024-03-15 one month is the 29 days
    # back to 2024-02-15, two months the 60 days back to 2024-01-15 (both burglaries)
    one = NanoBeatPlanner.from_window(_daily(), AREA, months=1, history_weight=0.0, background="history")
    p1 = one.solve("2024-03-15", n_targets=5)
    assert p1.window == (200.0, 29.0) and len(p1.targets) == 1
    two = NanoBeatPlanner.from_window(_daily(), AREA, months=2, history_weight=0.0, background="history")
    assert len(two.solve("2024-03-15", n_targets=5).targets) == 2
    assert two.days == 60.0


def test_context_of_another_precision_is_refused():
    ctx = _incidents(["2024-02-01"], "month", [(100, 100)])
    with pytest.raises(DataPrecisionError, match="context: .*month and the area's to the day"):
        NanoBeatPlanner.from_window(_daily(), AREA, days=14, context=ctx)


def test_options_and_knox_give_the_window_with_its_unit():
    planner = NanoBeatOptions(months=3).planner(_monthly(), AREA)
    assert planner.window == Window(3.0, "month") and planner.days == 3.0
    assert NanoBeatOptions(days=7).planner(_daily(), AREA).window == Window(7.0, "day")
    knox = {"p_value": [[0.001, 0.5], [0.5, 0.5]], "ratio": [[2.0, 1.0], [1.0, 1.0]],
            "distance_bands": [[0, 150], [150, None]], "time_bands": [[0, 2], [2, None]]}
    assert NanoBeatPlanner.from_knox(_monthly(), AREA, {**knox, "time_unit": "months"}).window == Window(2, "month")
    assert NanoBeatPlanner.from_knox(_monthly(), AREA, knox).window == Window(2, "month")  # month data: months only
    assert NanoBeatPlanner.from_knox(_daily(), AREA, {**knox, "time_unit": "days"}).window == Window(2, "day")
    with pytest.raises(DataPrecisionError, match="month only"):
        NanoBeatPlanner.from_knox(_monthly(), AREA, {**knox, "time_unit": "days"})


def test_target_backtest_window_keeps_its_unit():
    from hotspot._errors import OptionError
    from hotspot.target_backtest import backtest_targets

    with pytest.raises(DataPrecisionError, match="month only"):
        backtest_targets(_monthly(), AREA, n_targets=1, window=Window(14, "day"))
    with pytest.raises(OptionError, match="takes a window in days"):
        backtest_targets(_daily(), AREA, n_targets=1, window=Window(1, "month"))
