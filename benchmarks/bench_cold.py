"""A cold run's hotspots stage (the method selection fitted: ``--refit``),
another checkout's code and this one's side by side (issue 22).

Run: python benchmarks/bench_cold.py --old /path/to/main [--area Barnet] [--area Camden] [--repeat 2]

For each area, the old and this checkout's code alternate, each in a fresh
Python process (so the peak is its own): the intake and hotspots stages of
``run`` with ``--refit`` into a temporary folder, its selection cache a
temporary folder too (the user's own cache is left alone). Printed per run:
the hotspots stage's seconds, the peak resident memory during it (``VmHWM``
reset when it starts) and over the process, the method chosen and a digest
of the backtest table and JSON (the same digest: the same scores); then the
new/old ratios. Nothing asserts a time; on a shared machine read the ratios
and the memory, and note the load average printed beside each run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_ONE = r"""
import hashlib, json, sys, time
from pathlib import Path
root, area, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
sys.path.insert(0, root)
import hotspot.pipeline as P
from hotspot.settings import shared_data_dir

def status():
    return {l.split()[0]: int(l.split()[1]) // 1024 for l in open("/proc/self/status")
            if l.startswith(("VmHWM", "VmRSS"))}

fig = {}
stage = dict(P.STAGES)["hotspots"]
def hotspots(run):
    fig["rss_before_mb"], fig["peak_before_mb"] = status()["VmRSS:"], status()["VmHWM:"]
    open("/proc/self/clear_refs", "w").write("5")  # the high-water mark of this stage only
    t0 = time.perf_counter()
    stage(run)
    fig["hotspots_s"] = round(time.perf_counter() - t0, 2)
    fig["stage_peak_mb"] = status()["VmHWM:"]
P.STAGES = [(n, hotspots if n == "hotspots" else f) for n, f in P.STAGES]
data = shared_data_dir()
if data is None:
    sys.exit("reference data not found (../shared/data or $HOTSPOT_DATA_DIR)")
res = P.run_area(P.RunConfig.from_reference(data, area), out / "maps", reports=out / "reports",
                 stages=["intake", "hotspots"], refit=True)
h = hashlib.sha256()
for name in ("backtest", "backtest_json"):  # the table and the JSON the run wrote
    h.update(Path(res.outputs[name]).read_bytes())
# the reset above also resets what getrusage (and /usr/bin/time) would report: the process's peak is
# the highest of the marks before, during and after the stage
fig["process_peak_mb"] = max(fig["peak_before_mb"], fig["stage_peak_mb"], status()["VmHWM:"])
fig["method"] = res.summary["hotspots"]["method"]
fig["digest"] = h.hexdigest()[:16]
print(json.dumps(fig))
"""


def _load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def spawn(root: Path, area: str, tmp: Path) -> dict:
    """One cold run of ``area`` with the code of ``root``, in a fresh process."""
    env = dict(os.environ, HOTSPOT_SELECTION_CACHE=str(tmp / "cache"), PYTHONPATH=str(root))
    cmd = [sys.executable, "-c", _ONE, str(root), area, str(tmp / "out")]
    load = _load()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root)
    if r.returncode:
        sys.exit(r.stderr[-2000:])
    fig = json.loads(r.stdout.strip().splitlines()[-1])
    fig["process_s"] = round(time.perf_counter() - t0, 1)
    fig["load"] = load
    return fig


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="the checkout to compare with (e.g. the main branch's)")
    ap.add_argument("--area", action="append")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    old, new = Path(args.old).resolve(), ROOT
    print(f"{'area':10s} {'code':4s} {'hotspots s':>10s} {'stage peak MB':>13s} {'process peak MB':>15s} "
          f"{'method':>12s} {'digest':>17s}  load 1/5/15 min")
    for area in args.area or ["Barnet"]:
        figs: dict[str, list[dict]] = {"old": [], "new": []}
        for _ in range(args.repeat):
            for label, root in (("old", old), ("new", new)):
                with tempfile.TemporaryDirectory() as tmp:
                    f = spawn(root, area, Path(tmp))
                figs[label].append(f)
                print(f"{area:10s} {label:4s} {f['hotspots_s']:10.1f} {f['stage_peak_mb']:13d} "
                      f"{f['process_peak_mb']:15d} {f['method']:>12s} {f['digest']:>17s}  {f['load']}", flush=True)
        o, n = figs["old"], figs["new"]
        same = {f["digest"] for f in o} == {f["digest"] for f in n} and len({f["digest"] for f in o}) == 1
        ratio_t = sum(f["hotspots_s"] for f in n) / sum(f["hotspots_s"] for f in o)
        ratio_m = max(f["process_peak_mb"] for f in n) / max(f["process_peak_mb"] for f in o)
        print(f"{area:10s} new/old: hotspots time {ratio_t:.2f}, process peak {ratio_m:.2f}; "
              f"backtest table and JSON {'identical' if same else 'DIFFER'}", flush=True)


if __name__ == "__main__":
    main()
