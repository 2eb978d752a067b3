"""Every area's morning products on 1 and 2 workers, back to back.

Run: nice -n 10 python benchmarks/bench_areas_workers.py [--areas all | --areas "Barnet,Sutton,..."] [--repeat 2]

One cold pass (``hotspot run --areas A --workers 2``, the method selection
fitted and cached in a temporary folder, so the user's own cache is left
alone), then warm passes (the selection reused) alternating 1 worker, 2
workers, ``--repeat`` times, so a change in the machine's load hits both
sides alike. Each pass is a fresh ``python cli.py run --areas ... --json``;
printed per pass: wall time, the sum of the areas' own times, the median and
slowest area's own time (in the worker: no process start), the peak memory
of each worker (from the run's JSON: its own ``VmHWM`` at the end of each
worker's last task), the load average before and after; then the 2-vs-1
speed-up of the warm passes (ratio of wall times, median over repeats).
Outputs go to a temporary folder. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Six boroughs of different sizes (Barnet is the largest here, Kingston the
#: smallest): a subset for a machine where all 33 take too long.
SUBSET = "Barnet,Sutton,Harrow,Merton,Kingston upon Thames,Bexley"


def one_pass(areas: str, workers: int, out: Path, cache: Path) -> dict:
    env = dict(os.environ, HOTSPOT_SELECTION_CACHE=str(cache), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "run", "--areas", areas, "--workers", str(workers),
                        "--out", str(out), "--json"], capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if r.returncode:
        sys.exit(r.stderr[-2000:])
    js = json.loads(r.stdout.strip().splitlines()[-1])
    area_s = {name: d["seconds"] for name, d in js["done"].items()}
    slowest = max(area_s, key=area_s.__getitem__) if area_s else ""
    return {"workers": workers, "wall_s": wall, "run_s": js["seconds"], "task_s": js["task_seconds"],
            "slowest": f"{slowest} {area_s[slowest]:.1f} s" if slowest else "",
            "median_area_s": statistics.median(area_s.values()) if area_s else float("nan"),
            "done": len(js["done"]), "failed": js["failed"], "peaks": sorted(js["peak_rss_mb_per_worker"].values()),
            "reused": sum(bool(d.get("reused")) for d in js["done"].values()), "load": (load0, os.getloadavg())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", default=SUBSET, help="all, or comma-separated names (default: six boroughs)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    print(f"{'pass':6s} {'workers':>7s} {'wall s':>7s} {'tasks s':>8s} {'done':>4s} {'reused':>6s} "
          f"{'peak MB per worker':>20s}  load avg 1/5/15 min before -> after", flush=True)
    warm: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        plan = [("cold", 2)] + [("warm", w) for _ in range(args.repeat) for w in (1, 2)]
        for i, (label, w) in enumerate(plan):
            f = one_pass(args.areas, w, Path(tmp) / f"out{i}", cache)
            if label == "warm":
                warm[w].append(f["wall_s"])
            a, b = f["load"]
            print(f"{label:6s} {w:7d} {f['wall_s']:7.1f} {f['task_s']:8.1f} {f['done']:4d} {f['reused']:6d} "
                  f"{', '.join(f'{p:.0f}' for p in f['peaks']):>20s}  "
                  f"{a[0]:.1f}/{a[1]:.1f}/{a[2]:.1f} -> {b[0]:.1f}/{b[1]:.1f}/{b[2]:.1f}"
                  f"  area median {f['median_area_s']:.1f} s, slowest {f['slowest']}"
                  + (f"  failed: {f['failed']}" if f["failed"] else ""), flush=True)
    if warm[1] and warm[2]:
        print(f"warm speed-up, 2 workers vs 1 (median wall time ratio): "
              f"{statistics.median(warm[1]) / statistics.median(warm[2]):.2f}")


if __name__ == "__main__":
    main()
