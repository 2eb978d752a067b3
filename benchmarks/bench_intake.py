"""Intake speed: rows per second for every file in ../shared/data/crime.

Run: python benchmarks/bench_intake.py [--repeat 5]

Reports, side by side in the same process, the full validated intake
(read_incidents) and a plain reference (pandas.read_csv + pyproj transform,
no validation), and their ratio. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspot.areas import load_area  # noqa: E402
from hotspot.crs import from_lonlat  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402

FILES = [
    ("barnet_burglary_police_uk_2013-12_2025-02.csv", {"crime_types": "Burglary"}, "area"),
    ("barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv", {}, None),
    ("exact_dates/chicago_residential_burglary_2014_2017.csv", {"crs": "EPSG:26971"}, None),
    ("exact_dates/vancouver_break_and_enter_2020.csv", {"crs": "EPSG:26910"}, None),
    ("exact_dates/cincinnati_burglary_2016_2018.csv", {}, None),
]


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times), out


def reference(path):
    df = pd.read_csv(path)
    lon = next(c for c in df.columns if c.lower() in ("longitude", "lon"))
    lat = next(c for c in df.columns if c.lower() in ("latitude", "lat"))
    return from_lonlat(df[lon], df[lat], "EPSG:27700")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        sys.exit("reference data not found (../shared/data or $HOTSPOT_DATA_DIR)")
    crime = data / "crime"
    barnet = load_area(data / "boundaries" / "london_boroughs.geojson", "Barnet")
    print(f"{'file':58s} {'rows':>7s} {'intake s':>9s} {'rows/s':>10s} {'ref s':>7s} {'ratio':>6s}")
    for name, kw, area in FILES:
        path = crime / name
        # bind this iteration's values: the lambdas run inside best()
        t_min, _, res = best(lambda p=path, a=area, k=kw: read_incidents(p, area=barnet if a else None, **k),
                             args.repeat)
        r_min, _, _ = best(lambda p=path: reference(p), args.repeat)
        print(f"{name:58s} {res.rows:7d} {t_min:9.3f} {res.rows / t_min:10,.0f} {r_min:7.3f} {t_min / r_min:6.1f}")


if __name__ == "__main__":
    main()
