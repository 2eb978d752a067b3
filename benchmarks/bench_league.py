"""Every area at once: the league and the all-area backtest, in-process vs a
dask LocalCluster of 1 and 2 worker processes, side by side in one run.

Run: OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/bench_league.py [--backtest-areas 6]

League: all 33 London boroughs from the London police.uk Parquet file
(each task reads its borough's rows by LSOA-name push-down, 60 months).
Backtest: ``--backtest-areas`` boroughs (default 6; all 33 take ~10 min on
two cores), monthly forecasts over ``--from``..``--to``, all default methods.

Reported per run: wall time (including starting the cluster), the sum of the
tasks' own times, the time ratio against the in-process run, and the peak
resident memory of each worker process (ru_maxrss at the end of its last
task). The tables are checked to be identical across runs. Not a test:
nothing asserts a time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from hotspot.league import backtest_areas, build_league, select_areas  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402


def cluster_startup(n: int) -> float:
    import logging

    from distributed import Client, LocalCluster

    t = time.perf_counter()
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as c, Client(c) as cl:
        cl.wait_for_workers(n)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--month", default="2024-12")
    ap.add_argument("--backtest-areas", type=int, default=6)
    ap.add_argument("--from", dest="start", default="2023-01")
    ap.add_argument("--to", dest="end", default="2024-12")
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        sys.exit("reference data not found (set HOTSPOT_DATA_DIR)")
    src = [str(data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")]
    layer = data / "boundaries" / "london_boroughs.geojson"
    hh = data / "demographics" / "lsoa2011_census2011_population_households.csv"

    print(f"LocalCluster start-up alone: 1 worker {cluster_startup(1):.1f} s, 2 workers {cluster_startup(2):.1f} s")

    print(f"\nLeague, 33 boroughs, {args.month}")
    print(f"{'run':22s} {'wall s':>7s} {'tasks s':>8s} {'ratio':>6s}  peak RSS per worker (MB)")
    ref = None
    for w in (0, 1, 2):
        r = build_league(src, layer, args.month, households=hh, workers=w)
        task_s = r.run.seconds  # wall incl. start-up
        label = "in-process (sequential)" if w == 0 else f"LocalCluster {w} worker" + ("s" if w > 1 else "")
        if ref is None:
            ref = r
        else:
            pd.testing.assert_frame_equal(r.table, ref.table)
        peaks = ", ".join(f"{v:.0f}" for v in sorted(r.run.peak_rss_mb.values()))
        print(f"{label:22s} {task_s:7.1f} {r.run.task_seconds:8.1f} {ref.run.seconds / task_s:6.2f}  {peaks}")
    print("tables identical across runs: yes")

    if args.backtest_areas <= 0:
        return
    names = [s.name for s in select_areas(layer, "all")][: args.backtest_areas]
    print(f"\nBacktest, {len(names)} boroughs ({', '.join(names)}), {args.start}..{args.end}, all default methods")
    ref = None
    for w in (0, 1, 2):
        t = time.perf_counter()
        r = backtest_areas(src, layer, areas=names, start=args.start, end=args.end, bootstrap=200, workers=w)
        wall = time.perf_counter() - t
        label = "in-process (sequential)" if w == 0 else f"LocalCluster {w} worker" + ("s" if w > 1 else "")
        if ref is None:
            ref, ref_wall = r, wall
        else:
            pd.testing.assert_frame_equal(r.table, ref.table)
        peaks = ", ".join(f"{v:.0f}" for v in sorted(r.run.peak_rss_mb.values()))
        print(f"{label:22s} {wall:7.1f} {r.run.task_seconds:8.1f} {ref_wall / wall:6.2f}  {peaks}  failed: {list(r.failed) or 'none'}")
    print("tables identical across runs: yes")


if __name__ == "__main__":
    main()
