"""The `Incidents` value (issue 23): the frame with its time unit, CRS and
sources, worked out once at intake, and accepted wherever the bare frame is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot import DataPrecisionError
from hotspot.areas import area_from_geometry
from hotspot.incidents import Incidents, as_frame, time_unit
from hotspot.intake import read_incidents


def _rows(dates, seed=7):
    rng = np.random.default_rng(seed)
    n = len(dates)
    return pd.DataFrame({"id": [f"b{k}" for k in range(n)], "date": dates,
                         "x": rng.uniform(10, 1990, n), "y": rng.uniform(10, 1990, n)})


def _read(table):
    return read_incidents(table, crs="EPSG:27700", columns={"date": "date"}, crime_types="all",
                          now="2024-06-01", source_name="synthetic.csv")


@pytest.fixture(scope="module")
def month_rows():
    rng = np.random.default_rng(3)
    months = pd.period_range("2022-01", "2023-12", freq="M").strftime("%Y-%m")
    return _rows(months[rng.integers(0, len(months), 400)])


def test_incidents_from_month_data_are_in_months_and_from_exact_dates_in_days(month_rows):
    res = _read(month_rows)
    inc = res.to_incidents()
    assert inc.time_unit == "month" and time_unit(inc) == "month"
    assert inc.frame is res.incidents and len(inc) == res.accepted == 400
    assert inc.crs.equals(res.crs) and inc.sources == ("synthetic.csv",)
    days = _read(_rows(pd.date_range("2023-01-01", periods=200, freq="D").strftime("%Y-%m-%d")))
    assert days.to_incidents().time_unit == "day" == Incidents.from_frame(days.incidents).time_unit


def test_the_time_unit_is_taken_from_the_value_not_worked_out_again(month_rows):
    frame = _read(month_rows).incidents
    # a value says its unit: the frame is not looked at again (here it has no date_precision column at all)
    assert time_unit(Incidents(frame.drop(columns="date_precision"), "month")) == "month"
    with pytest.raises(DataPrecisionError, match="date_precision"):
        time_unit(frame.drop(columns="date_precision"))  # a bare frame is worked out, as before
    assert as_frame(frame) is frame and as_frame(Incidents.from_frame(frame)) is frame


def test_mixed_precision_is_refused_as_before(month_rows):
    frame = _read(month_rows).incidents.copy()
    frame["date_precision"] = frame["date_precision"].astype(str)  # the intake's is a one-category Categorical
    frame.loc[frame.index[:5], "date_precision"] = "day"
    for make in (Incidents.from_frame, time_unit):
        with pytest.raises(DataPrecisionError, match="5 to the day"):
            make(frame)


def test_a_job_given_incidents_or_the_bare_frame_plans_the_same(month_rows):
    from hotspot.jobs.nanobeats import NanoBeatOptions, plan_patrols
    from hotspot.jobs.report import plan_report

    res = _read(month_rows)
    area = area_from_geometry(box(0, 0, 2000, 2000), "EPSG:27700", "Square")
    options = NanoBeatOptions(n_targets=3, cell=100.0)
    a = plan_patrols(area, res.to_incidents(), "2024-01-01", options)
    b = plan_patrols(area, res.incidents, "2024-01-01", options)
    assert len(a.targets) == 3 and a.targets.equals(b.targets) and a.route_length_m == b.route_length_m
    assert a.notes == b.notes and a.variant == b.variant
    ra = plan_report(res.to_incidents(), "Square", "2023-12")
    rb = plan_report(res.incidents, "Square", "2023-12")
    assert ra.to_json() == rb.to_json()
    # a window in days on month data is refused whichever way the incidents come
    for given in (res.to_incidents(), res.incidents):
        with pytest.raises(Exception, match="days=14"):
            plan_patrols(area, given, "2024-01-01", NanoBeatOptions(days=14))
