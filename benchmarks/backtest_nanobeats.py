"""Rolling weekly backtest of nano-beat targets on the exact-date data.

Run: python benchmarks/backtest_nanobeats.py [--city chicago] [--start 2016-01-04] [--end 2017-12-18]

Chicago has no boundary file here, so its study area is the city's
burglary footprint: the union of 400 m discs around every burglary location
of 2014-2017 (areas without any burglary in four years, like the lake, are
left out). Variants are chosen on 2015 and reported on 2016-2017.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspot.areas import area_from_points  # noqa: E402
from hotspot.evaluation import backtest_nanobeats  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402

CITIES = {
    "chicago": ("chicago_residential_burglary_2014_2017.csv", {"crs": "EPSG:26971"}),
    "vancouver": ("vancouver_break_and_enter_2020.csv", {"crs": "EPSG:26910"}),
    "cincinnati": ("cincinnati_burglary_2016_2018.csv", {}),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", default="chicago", choices=sorted(CITIES))
    ap.add_argument("--start", default="2016-01-04")
    ap.add_argument("--end", default="2017-12-18")
    ap.add_argument("--distance", type=float, default=200)
    ap.add_argument("--days", type=float, default=14)
    ap.add_argument("--targets", type=int, default=10)
    args = ap.parse_args()
    name, kw = CITIES[args.city]
    res = read_incidents(shared_data_dir() / "crime" / "exact_dates" / name, **kw)
    area = area_from_points(res.incidents.geometry.x, res.incidents.geometry.y, res.crs, name=args.city)
    t0 = time.perf_counter()
    table = backtest_nanobeats(res.incidents, area, start=args.start, end=args.end, distance=args.distance,
                               days=args.days, n_targets=args.targets)
    secs = time.perf_counter() - t0
    print(f"{args.city}: {res.accepted:,} incidents, area {area.area_km2:.1f} km2, "
          f"{table['periods'].iloc[0]} weekly plans {args.start}..{args.end}, {secs:.1f} s")
    cols = ["method", "horizon_days", "incidents", "hits", "hit_rate", "area_share", "pai", "pai_mean", "pai_sd"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].to_string(index=False))


if __name__ == "__main__":
    main()
