"""Intake speed: rows per second for every file in ../shared/data/crime.

Run: python benchmarks/bench_intake.py [--repeat 5]
     python benchmarks/bench_intake.py --big 3000000      # a 4x-London police.uk CSV and Parquet
     python benchmarks/bench_intake.py --big 3000000 --to postgresql://USER@HOST/DB   # and `load` it

Reports, side by side in the same process, the full validated intake
(read_incidents) and a plain reference (pandas.read_csv + pyproj transform,
no validation), and their ratio. Not a test: nothing here asserts a time.

``--big N`` writes an N-row police.uk file made of the London file's rows
repeated with distinct Crime IDs into a temporary folder (never the repo),
as CSV and as Parquet, and reads each in a fresh process (so the peak RSS is
that read's own): the intake (for the CSV also as ``validate --crime-type
all`` reads it, and with ``--to`` as ``load`` reads and writes it, into a
table ``bench_intake_load`` dropped afterwards), and pandas.read_csv alone
as the reference. Every intake checks rows = accepted + rejected + filtered.

``--against CHECKOUT`` (with ``--big``) also runs every read with another
checkout's code (e.g. ``/work/main``: its own ``benchmarks/bench_intake.py
--one``), right after this checkout's, on the same files: old and new side
by side in one session, with their ratio.

``--shared-string N`` writes an N-row police.uk Parquet file whose every
Location is one 10 KB string (issue 21: 2 M rows, killed at 6 GiB) and
validates it in a fresh process: seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
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


def make_big(n: int, folder: Path) -> dict[str, Path]:
    """An n-row police.uk table from the London file (rows repeated, Crime
    IDs made distinct), as CSV and Parquet in ``folder``."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    src = shared_data_dir() / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet"
    t = pq.read_table(src)
    parts, k = [], 0
    while sum(len(p) for p in parts) < n:
        ids = t["Crime ID"] if k == 0 else pc.binary_join_element_wise(
            t["Crime ID"], pa.scalar(f"-r{k}", pa.large_string()), pa.scalar("", pa.large_string()))
        parts.append(t.set_column(0, "Crime ID", ids))
        k += 1
    big = pa.concat_tables(parts).slice(0, n)
    out = {"csv": folder / f"police_uk_{n}.csv", "parquet": folder / f"police_uk_{n}.parquet"}
    pcsv.write_csv(big, out["csv"])
    pq.write_table(big, out["parquet"], row_group_size=250_000)
    return out


def make_shared_string(n: int, folder: Path, size: int = 10_000) -> Path:
    """An n-row police.uk Parquet file (the London rows repeated, Crime IDs
    made distinct) whose every Location is one string of ``size`` characters:
    issue 21's file that was killed at 6 GiB (dictionary-encoded, the file
    holds the string once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    made = make_big(n, folder)
    big = pq.read_table(made["parquet"])
    for plain in made.values():
        plain.unlink()  # only the shared-string file is read
    text = "On or near " + "x" * (size - 11)
    big = big.set_column(big.schema.get_field_index("Location"), "Location",
                         pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([text])))
    out = folder / f"police_uk_{n}_shared_{size}.parquet"
    pq.write_table(big, out, row_group_size=250_000)
    return out


def shared_string(n: int) -> None:
    """Validate the shared-string file in a fresh process: seconds, rows and peak RSS."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = make_shared_string(n, Path(tmp))
        print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB")
        r = subprocess.run([sys.executable, __file__, "--one", "validate", str(path)], capture_output=True, text=True)
        if r.returncode:
            print(f"validate failed: {r.stderr.strip().splitlines()[-1:]}")
            return
        f = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"validate: {f['rows']:,} rows, {f['accepted']:,} accepted, {f['seconds']:.1f} s, "
              f"{f['rows'] / f['seconds']:,.0f} rows/s, peak {f['peak_mb']:.0f} MB")


def one_read(kind: str, path: str) -> None:
    """One read in this process; prints its figures as JSON."""
    import json
    import resource

    t = time.perf_counter()
    if kind.startswith("load="):  # what `hotspot load FILE --crime-type all --to URL` does
        from hotspot.io.write import load_incidents

        res = read_incidents(path, crime_types="all")
        info = load_incidents(res, kind[len("load="):], run_id="bench")
        rows, accepted = info["rows"], info["accepted"]
        assert info["rows"] == info["accepted"] + info["rejected"] + info["filtered"]
    elif kind == "validate":  # what `hotspot validate FILE --crime-type all` reads
        res = read_incidents(path, crime_types="all")
        rows, accepted = res.rows, res.accepted
        assert res.rows == res.accepted + res.rejected + res.n_filtered
    elif kind == "intake":
        res = read_incidents(path)
        rows, accepted = res.rows, res.accepted
        assert res.rows == res.accepted + res.rejected + res.n_filtered
    else:
        df = pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
        rows = accepted = len(df)
    secs = time.perf_counter() - t
    # VmHWM: this process's own peak (ru_maxrss survives fork and exec, so it starts at the parent's size)
    status = Path("/proc/self/status")
    hwm = [ln for ln in status.read_text().splitlines() if ln.startswith("VmHWM:")] if status.exists() else []
    peak = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "rows": rows, "accepted": accepted, "peak_mb": peak}))


def big(n: int, to: str | None = None, against: str | None = None) -> None:
    import json
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        files = make_big(n, Path(tmp))
        print(f"{'file':10s} {'read':9s} {'code':6s} {'rows':>9s} {'accepted':>9s} {'s':>7s} {'rows/s':>10s} "
              f"{'peak MB':>8s} {'KB/row':>6s}")
        if against:
            print(f"code 'old': {against}; load average {os.getloadavg()[0]:.2f} at the start")
        for fmt, path in files.items():
            figs = {}
            kinds = ["validate", "intake", "pandas"] if fmt == "csv" else ["intake", "pandas"]
            if to and fmt == "csv":
                sep = "&" if "?" in to else "?"
                kinds.append(f"load={to}{sep}table=bench_intake_load")
            for kind in kinds:
                codes = [("new", ROOT)] + ([("old", Path(against))] if against and kind != "pandas" else [])
                for code, root in codes:
                    script = root / "benchmarks" / "bench_intake.py"
                    r = subprocess.run([sys.executable, str(script), "--one", kind, str(path)], capture_output=True,
                                       text=True, cwd=root)
                    name = kind.split("=")[0]
                    if r.returncode:
                        print(f"{fmt:10s} {name:9s} {code:6s} failed: {r.stderr.strip().splitlines()[-1:]}")
                        continue
                    f = figs[name if code == "new" else f"{name}-old"] = json.loads(r.stdout.strip().splitlines()[-1])
                    print(f"{fmt:10s} {name:9s} {code if against and name != 'pandas' else '':6s} {f['rows']:9d} {f['accepted']:9d} "
                          f"{f['seconds']:7.1f} {f['rows'] / f['seconds']:10,.0f} {f['peak_mb']:8.0f} "
                          f"{f['peak_mb'] * 1024 / f['rows']:6.2f}  (load {os.getloadavg()[0]:.2f})", flush=True)
            for kind in ("validate", "load", "intake"):
                if kind in figs and f"{kind}-old" in figs:
                    new, old = figs[kind], figs[f"{kind}-old"]
                    print(f"{fmt:10s} {kind} new/old: time {new['seconds'] / old['seconds']:.2f} "
                          f"(speed-up {old['seconds'] / new['seconds']:.1f}x), peak {new['peak_mb'] / old['peak_mb']:.2f}",
                          flush=True)
            for kind in ("validate", "load", "intake"):
                if kind in figs and "pandas" in figs:
                    print(f"{fmt:10s} {kind}/pandas: time {figs[kind]['seconds'] / figs['pandas']['seconds']:.1f}, "
                          f"peak {figs[kind]['peak_mb'] / figs['pandas']['peak_mb']:.2f} "
                          f"({figs[kind]['peak_mb'] / 1024:.2f} GB; issue 21's goal: < 1.5 GB)", flush=True)
    if to:
        _drop_scratch(to)


def _drop_scratch(to: str) -> None:
    """Drop the load's scratch tables (``bench_intake_load`` and its rejects)."""
    import sqlalchemy as sa

    from hotspot.io.urls import engine, parse_pg_url

    with engine(parse_pg_url(to, need="none")).begin() as conn:
        for table in ("bench_intake_load", "bench_intake_load_rejects"):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--big", type=int, help="rows of a generated police.uk file (CSV and Parquet) to read")
    ap.add_argument("--shared-string", type=int, metavar="N",
                    help="rows of a generated police.uk Parquet file whose every Location is one 10 KB string")
    ap.add_argument("--to", help="with --big: also load the CSV into this postgresql:// database (a scratch table)")
    ap.add_argument("--against", metavar="CHECKOUT",
                    help="with --big: also run each read with this checkout's code (old vs new, side by side)")
    ap.add_argument("--one", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one_read(*args.one)
    if args.shared_string:
        return shared_string(args.shared_string)
    if args.big:
        return big(args.big, args.to, args.against)
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
