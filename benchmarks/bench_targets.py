"""Patrol targets at equal effort (issue 20): the nano-beat planner (forecast
background + near-repeat) against count discs on two years of counts and
near-repeat alone, same K and radius, paired by planning date.

Run: python benchmarks/bench_targets.py chicago [--step 4] [--targets 168]
     python benchmarks/bench_targets.py vancouver|cincinnati   (K: targets covering ~1 % of the city, weekly)
     python benchmarks/bench_targets.py london [--boroughs 10] [--targets 20]
     add --touching for the rows with touching discs (select_targets(spacing="touch"), both methods)

Exact-date cities have no boundary file here: the study area is the union of
400 m discs round every burglary (hotspot.areas.area_from_points). Planning
dates: every ``--step``-th Monday from ``--start`` (Chicago: every 4th Monday
of 2016-2017); London: the first of each month 2016-01..2024-12. Fixed seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspot.areas import area_from_points, load_area  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402
from hotspot.target_backtest import COUNT_DISCS, NEAR_REPEAT, PLANNER, TOUCH, TOUCH_COUNTS, backtest_targets  # noqa: E402

CITIES = {
    "chicago": ("chicago_residential_burglary_2014_2017.csv", {"crs": "EPSG:26971"}, "2016-01-04", "2017-12-25"),
    # one year of data: plans from July, on half a year of history
    "vancouver": ("vancouver_break_and_enter_2020.csv", {"crs": "EPSG:26910"}, "2020-07-06", "2020-12-21"),
    "cincinnati": ("cincinnati_burglary_2016_2018.csv", {}, None, None),
}
LONDON = "crime/london_burglary_police_uk_2013-12_2025-02.parquet"


def _show(name: str, res, secs: float) -> None:
    s = res.summary
    print(f"\n{name}: {res.periods['date'].nunique()} plans, K={res.n_targets} x {res.target_radius:g} m, "
          f"horizon {res.horizon}, {secs:.0f} s")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(s[["method", "plans", "incidents", "caught", "caught_share", "area_km2", "share_per_km2"]]
              .to_string(index=False))
    for b, r in res.ratios().items():
        print(f"  {b if '/' in b else 'planner / ' + b}: {r['ratio']:.3f} (95 % {r['lo']:.3f}-{r['hi']:.3f})")
    used = res.periods.loc[res.periods["method"] == PLANNER, "background"].value_counts()
    print("  background used:", {str(k): int(v) for k, v in used.items()})


def city(args) -> None:
    name, kw, start, end = CITIES[args.city]
    res = read_incidents(shared_data_dir() / "crime" / "exact_dates" / name, **kw)
    area = area_from_points(res.incidents.geometry.x, res.incidents.geometry.y, res.crs, name=args.city)
    if args.targets is None:  # the same rule as Chicago's 168: targets covering about 1 % of the city
        disc_km2 = 13 * 0.05 ** 2  # a 100 m disc on 50 m cells
        args.targets = max(1, round(0.01 * area.area_km2 / disc_km2))
    t0 = time.perf_counter()
    bt = backtest_targets(res.incidents, area, n_targets=args.targets, target_radius=args.radius,
                          start=args.start or start, end=args.end or end, step=args.step, seed=0,
                          touching=args.touching)
    _show(args.city, bt, time.perf_counter() - t0)


def london(args) -> None:
    import geopandas as gpd

    d = shared_data_dir()
    layer = gpd.read_file(d / "boundaries" / "london_boroughs.geojson")
    # the first boroughs in alphabetical order; the City of London (a few burglaries a month) is left out
    names = sorted(n for n in layer["borough_name"] if n != "City of London")[: args.boroughs]
    rows = []
    for b in names:
        area = load_area(d / "boundaries" / "london_boroughs.geojson", b)
        inc = read_incidents(d / LONDON, area=area).incidents
        t0 = time.perf_counter()
        bt = backtest_targets(inc, area, n_targets=args.targets, target_radius=args.radius,
                              start=args.start or "2016-01", end=args.end or "2024-12", step=args.step, seed=0,
                              touching=args.touching)
        r = bt.ratios()
        t = r.get(f"{TOUCH} / {TOUCH_COUNTS}", {"ratio": np.nan})["ratio"]
        rows.append((b, r[COUNT_DISCS]["ratio"], r[COUNT_DISCS]["lo"], r[COUNT_DISCS]["hi"], r[NEAR_REPEAT]["ratio"], t))
        _show(b, bt, time.perf_counter() - t0)
        sys.stdout.flush()
    t = pd.DataFrame(rows, columns=["borough", "vs_count_discs", "lo", "hi", "vs_near_repeat", "touching_vs_counts"])
    print("\n" + t.to_string(index=False))
    print(f"median ratio to count discs {t['vs_count_discs'].median():.3f}, lowest {t['vs_count_discs'].min():.3f}"
          f" ({t.loc[t['vs_count_discs'].idxmin(), 'borough']}), below 0.97: {(t['vs_count_discs'] < 0.97).sum()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("city", choices=[*CITIES, "london"])
    ap.add_argument("--targets", type=int, default=None)
    ap.add_argument("--radius", type=float, default=100.0)
    ap.add_argument("--step", type=int, default=None)
    ap.add_argument("--start")
    ap.add_argument("--end")
    ap.add_argument("--boroughs", type=int, default=10)
    ap.add_argument("--touching", action="store_true",
                    help="also score touching discs (planner and count discs placed by the same rule)")
    args = ap.parse_args()
    np.seterr(all="ignore")
    if args.city == "london":
        args.targets, args.step = args.targets or 20, args.step or 1
        london(args)
    else:
        args.targets = args.targets or (168 if args.city == "chicago" else None)
        args.step = args.step or (4 if args.city == "chicago" else 1)
        city(args)


if __name__ == "__main__":
    main()
