"""Useful ANPR sites per London borough with the TfL JamCams taken as
existing cover (the old default) and as context only (the new default).

Run: python benchmarks/bench_anpr_jamcams.py [--area NAME ...]

Each borough's plan is the ``anpr`` job's (:func:`plan_anpr_for_area`) on
the reference data: last 12 months of burglary, burglary across the boundary
as context, 20 cameras, 500 m radius; only the existing layer differs, side
by side in the same process. Printed per borough: useful sites, share of
demand already covered, crossings with demand and the candidate sites.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hotspot.anpr import CONTEXT_REACH_M  # noqa: E402
from hotspot.areas import find_area, load_boundaries  # noqa: E402
from hotspot.context import read_context  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.jobs.anpr import plan_anpr_for_area  # noqa: E402
from hotspot.jobs.reference import ReferenceData  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--area", nargs="*")
    ap.add_argument("--data", default=os.environ.get("HOTSPOT_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    a = ap.parse_args()
    ref = ReferenceData(Path(a.data))
    crs = "EPSG:27700"
    boroughs = load_boundaries(ref.boroughs, crs=crs)
    cameras = ref.traffic_cameras(crs)
    names = a.area or sorted(boroughs["borough_name"])
    print(f"{'borough':24s} {'useful old':>10s} {'useful new':>10s} {'covered old':>11s} {'covered new':>11s} "
          f"{'crossings':>9s} {'w/ demand':>9s} {'candidates':>10s} {'s':>5s}", flush=True)
    for name in names:
        t0 = time.perf_counter()
        area = find_area(boroughs, name)
        inc = read_incidents(ref.incidents, area=area).incidents
        ctx = read_context(ref.incidents, area, inc, buffer_m=CONTEXT_REACH_M)
        old = plan_anpr_for_area(area, inc, reference=ref, context=ctx, existing=cameras)
        new = plan_anpr_for_area(area, inc, reference=ref, context=ctx, existing=cameras.iloc[:0])
        c = new.crossings
        print(f"{name:24s} {old.result.k_useful:10d} {new.result.k_useful:10d} {old.result.coverage_before:11.1%} "
              f"{new.result.coverage_before:11.1%} {len(c):9d} {int((c['demand'] > 0).sum()):9d} "
              f"{len(new.candidates):10d} {time.perf_counter() - t0:5.1f}", flush=True)


if __name__ == "__main__":
    main()
