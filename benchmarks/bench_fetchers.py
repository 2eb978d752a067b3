"""Postcode fetcher at national scale: one area's units out of a GB-sized
Code-Point Open zip.

Run: python benchmarks/bench_fetchers.py [--rows 1700000] [--files 120]

Builds a synthetic Code-Point Open zip (Data/CSV/<area>.csv, no header,
random British National Grid points; seeded) of about the size of the real GB
file, then reports, side by side in the same process: the fetcher's reader
(:func:`hotspot.fetchers.read_postcode_directory`, streamed in chunks and cut
to a 10 km x 10 km box as read) and a plain reference (every member read
whole with pandas, then filtered to the box), their times, rows kept, peak
traced memory and the ratio. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspot.fetchers import CODEPOINT_COLUMNS, read_postcode_directory  # noqa: E402

BOX = (425_000.0, 428_000.0, 435_000.0, 438_000.0)  # 10 km x 10 km around Leeds, BNG metres


def build_zip(path: Path, rows: int, files: int, seed: int = 0) -> None:
    """A Code-Point-shaped zip of ``rows`` random units over Great Britain."""
    rng = np.random.default_rng(seed)
    per = rows // files
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(files):
            e = rng.integers(100_000, 650_000, per)
            n = rng.integers(10_000, 1_200_000, per)
            pc = [f"A{i % 90 + 10} {k % 10}{chr(65 + k % 26)}{chr(65 + (k // 26) % 26)}" for k in range(per)]
            df = pd.DataFrame({"PC": pc, "PQ": 10, "EA": e, "NO": n, "CY": "E92000001", "RH": "E19000003",
                               "LH": "E18000003", "CC": "", "DC": "E08000035", "WC": "E05011404"})
            z.writestr(f"Data/CSV/{chr(97 + i // 26)}{chr(97 + i % 26)}.csv", df.to_csv(header=False, index=False))


def reference(path: Path) -> int:
    """Every member read whole, then cut to the box."""
    kept = 0
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            df = pd.read_csv(io.BytesIO(z.read(name)), header=None, names=list(CODEPOINT_COLUMNS), dtype={"PC": str})
            kept += int((df.EA.between(BOX[0], BOX[2]) & df.NO.between(BOX[1], BOX[3])).sum())
    return kept


def clock(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def peak(fn, *args) -> float:
    """Peak traced memory, MB (a separate run: tracing slows pandas' string work)."""
    tracemalloc.start()
    fn(*args)
    got = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_700_000)
    ap.add_argument("--files", type=int, default=120)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codepo_gb.zip"
        build_zip(path, args.rows, args.files)
        print(f"synthetic Code-Point zip: {args.rows:,} rows in {args.files} files, {path.stat().st_size / 2**20:.0f} MB")
        (units, counts), t_ours = clock(read_postcode_directory, path, BOX)
        kept_ref, t_ref = clock(reference, path)
        m_ours, m_ref = peak(read_postcode_directory, path, BOX), peak(reference, path)
    assert counts["kept"] == kept_ref == len(units), (counts, kept_ref)
    assert counts["read"] == counts["no_coordinates"] + counts["outside_bounds"] + counts["kept"]
    print(f"{'':28}{'time (s)':>10}{'peak MB':>10}{'kept':>10}")
    print(f"{'read_postcode_directory':28}{t_ours:10.1f}{m_ours:10.0f}{counts['kept']:10,}")
    print(f"{'reference (whole members)':28}{t_ref:10.1f}{m_ref:10.0f}{kept_ref:10,}")
    print(f"ratio ours/reference: time {t_ours / t_ref:.2f}, peak memory {m_ours / m_ref:.2f}")


if __name__ == "__main__":
    main()
