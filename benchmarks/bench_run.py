"""A run cold (method selection fitted) and warm (reused), side by side.

Run: python benchmarks/bench_run.py [--area Barnet] [--area Sutton ...] [--no-gi]

Each run is a fresh Python process (so its peak RSS is its own) started from
this script one after the other on the same machine: per area, a cold run
(``--refit``: the 24-period backtest fitted) then a warm run (the selection
reused from the cache, as every run after the first). Prints wall time, the
hotspots stage, peak RSS and the warm/cold ratio; nothing asserts a time.
The selection cache is a temporary folder, so the user's own cache is left
alone. On a machine shared with other jobs, read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(area: str, refit: bool, gi: bool, out: Path) -> dict:
    """One run in this process; returns its figures."""
    from hotspot.pipeline import RunConfig, run_area
    from hotspot.settings import shared_data_dir

    data = shared_data_dir()
    if data is None:
        sys.exit("reference data not found (../shared/data or $HOTSPOT_DATA_DIR)")
    t0 = time.perf_counter()
    res = run_area(RunConfig.from_reference(data, area), out / "maps", reports=out / "reports", gi_star_layer=gi,
                   refit=refit)
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "steps": res.steps, "reused": res.summary["hotspots"]["selection"]["reused"],
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def spawn(area: str, refit: bool, gi: bool, cache: Path, out: Path) -> dict:
    env = dict(os.environ, HOTSPOT_SELECTION_CACHE=str(cache), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, __file__, "--one", area, "--out", str(out)] + (["--refit"] if refit else []) + \
        ([] if gi else ["--no-gi"])
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(r.stderr[-2000:])
    fig = json.loads(r.stdout.strip().splitlines()[-1])
    fig["process_s"] = round(time.perf_counter() - t0, 2)  # with imports: what a user waits for
    return fig


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--area", action="append")
    ap.add_argument("--no-gi", action="store_true")
    ap.add_argument("--one")
    ap.add_argument("--refit", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    gi = not args.no_gi
    if args.one:
        print(json.dumps(one(args.one, args.refit, gi, Path(args.out))))
        return
    print(f"{'area':12s} {'run':5s} {'process s':>9s} {'run s':>7s} {'hotspots s':>10s} {'peak MB':>8s} "
          f"{'reused':>6s}")
    with tempfile.TemporaryDirectory() as tmp:
        for area in args.area or ["Barnet"]:
            figs = {}
            for label, refit in (("cold", True), ("warm", False)):
                f = figs[label] = spawn(area, refit, gi, Path(tmp) / "cache", Path(tmp) / label)
                print(f"{area:12s} {label:5s} {f['process_s']:9.1f} {f['wall_s']:7.1f} "
                      f"{f['steps'].get('hotspots', 0):10.1f} {f['peak_mb']:8.0f} {str(f['reused']):>6s}", flush=True)
            c, w = figs["cold"], figs["warm"]
            print(f"{area:12s} warm/cold: process {w['process_s'] / c['process_s']:.2f}, hotspots "
                  f"{w['steps']['hotspots'] / c['steps']['hotspots']:.2f}, peak {w['peak_mb'] / c['peak_mb']:.2f}; "
                  "stages (s) cold " + json.dumps(c["steps"]) + " warm " + json.dumps(w["steps"]), flush=True)


if __name__ == "__main__":
    main()
