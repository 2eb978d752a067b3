"""Knox test speed and memory: `hotspot knox` against a plain reference.

Run: python benchmarks/bench_knox.py [--permutations 999]

Two cases from the issue, on the Chicago exact-date data:
  A. 2014 only (12,334 events), edges 1,200 m x 7 d;
  B. all 45,319 events, edges 1,100,200,300 m x 2,4 d.
Each is run as a whole process (reading the CSV included), side by side:
  * ours:      `python cli.py knox ... --json`
  * reference: scikit-learn radius neighbours + a Python loop over
               permutations with np.add.at (benchmarks/knox_reference.py).
Wall time and peak resident memory come from os.wait4 on each child. The
observed tables of the two are compared cell by cell. Not a test: nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hotspot.settings import shared_data_dir  # noqa: E402

CASES = {
    "A: Chicago 2014, 1,200 m x 7 d": ("2014", "1,200", "7"),
    "B: Chicago 2014-17, 1,100,200,300 m x 2,4 d": (None, "1,100,200,300", "2,4"),
}


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Wall time (s), peak RSS (MiB) and stdout of one child process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed with status {status}")
    return wall, usage.ru_maxrss / 1024, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()
    src = shared_data_dir() / "crime" / "exact_dates" / "chicago_residential_burglary_2014_2017.csv"
    tmp = ROOT / "benchmarks" / ".tmp"
    tmp.mkdir(exist_ok=True)
    rows = []
    for name, (year, dedges, tedges) in CASES.items():
        path = src
        if year:
            df = pd.read_csv(src)
            path = tmp / f"chicago_{year}.csv"
            df[df["date"].str.startswith(year)].to_csv(path, index=False)
        ours = [sys.executable, str(ROOT / "cli.py"), "-q", "knox", str(path), "--crs", "EPSG:26971",
                "--distance-edges", dedges, "--time-edges", tedges, "--permutations", str(args.permutations),
                "--seed", "1", "--json"]
        w1, m1, out1 = run_measured(ours)
        obs = json.loads(out1)["observed"]
        row = {"case": name, "events": json.loads(out1)["n_events"], "ours_s": w1, "ours_MiB": m1}
        if not args.skip_reference:
            ref = [sys.executable, str(ROOT / "benchmarks" / "knox_reference.py"), str(path), dedges, tedges,
                   str(args.permutations)]
            w2, m2, out2 = run_measured(ref)
            row.update(ref_s=w2, ref_MiB=m2, speedup=w2 / w1, same_observed=json.loads(out2)["observed"] == obs)
        rows.append(row)
        print(row, flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
