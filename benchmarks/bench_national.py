"""National sizing, measured: validate, league and load at k x London.

Run: nice -n 10 python benchmarks/bench_national.py [--k 1 --k 2 --k 4] [--dir DIR] [--plot growth.png]
     [--no-load] [--month 2024-12]

For each k, the synthetic file of ``benchmarks/make_national.py`` (k copies of
London's real burglaries, 33 k areas; made in ``--dir`` if missing, default
under the system temp folder, never in the repository) goes through:

- ``hotspot validate FILE --json`` (the whole file read and validated once);
- ``hotspot league FILE --area-file boroughs_kK.geojson --households
  households_kK.csv --month M --workers 0 --json`` (every area, one after
  another in one process: the work itself, without dask's start-up or
  scheduling, and one process whose peak is the command's);
- ``hotspot load FILE --to postgresql://...`` into a throwaway PostGIS
  (``tests/pg.py``); skipped, saying why, when no server can start.

Each command is a fresh process; its wall time and peak resident memory come
from the kernel (GNU ``/usr/bin/time``'s ``%M``, the command's own peak: a
plain ``os.wait4`` would report at least this script's size, because Linux
carries ``ru_maxrss`` across fork and exec), and the load
average (``os.getloadavg``) is printed beside it, because on a shared machine
the seconds mean little without it. The table puts the per-row figures (time
per row, peak bytes per row) and their ratio to k = 1 side by side: a ratio
near 1 at every k is linear growth; bars of time and peak follow the table.
``--plot`` draws time and peak against rows (PNG, not committed). Not a test: nothing asserts a time.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_national import Sources, default_out, make_national  # noqa: E402


def measure(cmd: list[str], log: Path) -> dict:
    """Run ``cmd``; its wall time (s), peak RSS (MB), exit code and the last
    line of its stdout parsed as JSON (None if it is not)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    load_before = os.getloadavg()[0]
    # A child's ru_maxrss starts at its parent's: Linux carries the high-water
    # mark across fork and exec, and this script holds the synthetic file it
    # made (~0.6 GB at k = 1), so wait4 alone floors every peak there. GNU
    # time forks the command from its own small process: its %M is the
    # command's own peak.
    gnu_time = Path("/usr/bin/time")
    peak_file = log.with_suffix(".peak")
    full = [str(gnu_time), "-f", "%M", "-o", str(peak_file), *cmd] if gnu_time.is_file() else cmd
    with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = float(ru.ru_maxrss)
    if full is not cmd:
        # GNU time writes "Command exited with non-zero status N" before %M.
        peak_kb = float(peak_file.read_text().split()[-1])
    lines = log.with_suffix(".out").read_text().strip().splitlines()
    try:
        js = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        js = None
    return {"wall_s": wall, "peak_mb": peak_kb / 1024, "rc": p.returncode, "json": js,
            "load": (load_before + os.getloadavg()[0]) / 2,
            "stderr": log.with_suffix(".err").read_text()[-400:] if p.returncode else ""}


def ensure_files(k: int, folder: Path, seed: int) -> dict:
    from hotspot.settings import shared_data_dir

    meta = folder / f"national_k{k}.json"
    if meta.is_file():
        return json.loads(meta.read_text())
    data = shared_data_dir()
    if data is None:
        sys.exit("reference data not found (../shared/data or $HOTSPOT_DATA_DIR)")
    got = make_national(k, folder, src=Sources.reference(data), seed=seed)
    if got["rows"] != k * got["source_rows"]:
        sys.exit(f"make_national k={k}: {got['rows']} rows, expected {k} x {got['source_rows']}")
    return got


def start_pg():
    """A throwaway PostGIS, or the reason there is none."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from pg import PostgresMissing, start_postgres
    except ImportError as exc:
        return None, f"tests/pg.py not importable: {exc}"
    try:
        return start_postgres("hotspot_national"), ""
    except PostgresMissing as exc:
        return None, str(exc)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6))
    for cmd in sorted({r["cmd"] for r in rows}):
        rs = sorted((r for r in rows if r["cmd"] == cmd and r["rc"] == 0), key=lambda r: r["rows"])
        x = [r["rows"] / 1e6 for r in rs]
        a.plot(x, [r["wall_s"] for r in rs], "o-", label=cmd)
        b.plot(x, [r["peak_mb"] / 1024 for r in rs], "o-", label=cmd)
    a.set(xlabel="rows (millions)", ylabel="wall time (s)", title="time")
    b.set(xlabel="rows (millions)", ylabel="peak RSS (GB)", title="memory")
    for ax in (a, b):
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    a.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def ascii_growth(rows: list[dict], width: int = 30) -> str:
    """Bars of wall time and peak memory per command and k (for the README)."""
    ok = [r for r in rows if r["rc"] == 0]
    if not ok:
        return ""
    tmax, mmax = max(r["wall_s"] for r in ok), max(r["peak_mb"] for r in ok)
    out = [f"{'':12s} {'wall time (s)':{width + 7}s} peak memory (GiB)"]
    for r in sorted(ok, key=lambda r: (r["cmd"], r["k"])):
        t = "#" * max(1, round(r["wall_s"] / tmax * width))
        m = "#" * max(1, round(r["peak_mb"] / mmax * width))
        out.append(f"{r['cmd']:8s} {r['k']}x {t:{width}s} {r['wall_s']:5.0f}  {m:{width}s} {r['peak_mb'] / 1024:5.2f}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, action="append", help="copies of London (repeatable; default 1, 2, 4)")
    ap.add_argument("--dir", default=str(default_out()), help="synthetic files (default: %(default)s)")
    ap.add_argument("--month", default="2024-12")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-load", action="store_true", help="skip the PostGIS load")
    ap.add_argument("--only", action="append", choices=("validate", "league", "load"))
    ap.add_argument("--plot", help="PNG of time and peak against rows (not committed)")
    ap.add_argument("--json", help="write every measurement to this JSON file")
    args = ap.parse_args()
    folder = Path(args.dir).resolve()
    if folder == ROOT or ROOT in folder.parents:
        sys.exit(f"--dir {folder}: inside the repository; give a folder outside it")
    ks = args.k or [1, 2, 4]
    wanted = args.only or ["validate", "league", "load"]
    pg, why = (None, "--no-load") if args.no_load or "load" not in wanted else start_pg()
    if "load" in wanted and pg is None:
        print(f"load skipped: {why}", flush=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-national-"))
    py = [sys.executable, str(ROOT / "cli.py")]
    rows: list[dict] = []
    print(f"{'k':>2s} {'rows':>10s} {'command':9s} {'wall s':>7s} {'peak MB':>8s} {'us/row':>7s} {'B/row':>6s} "
          f"{'x k=1 t/row':>11s} {'x k=1 B/row':>11s} {'load avg':>8s}  check", flush=True)
    try:
        for k in ks:
            files = ensure_files(k, folder, args.seed)
            inc = files["incidents"]
            cmds = {"validate": py + ["validate", inc, "--json"],
                    "league": py + ["league", inc, "--area-file", files["boroughs"], "--households",
                                    files["households"], "--month", args.month, "--workers", "0", "--json"]}
            if pg is not None:
                cmds["load"] = py + ["load", inc, "--to", f"{pg.url}?table=incidents_k{k}", "--json"]
            for name in wanted:
                if name not in cmds:
                    continue
                m = measure(cmds[name], logs / f"{name}_k{k}")
                n = files["rows"]
                r = {"k": k, "rows": n, "cmd": name, **{x: m[x] for x in ("wall_s", "peak_mb", "rc", "load")}}
                js = m["json"] or {}
                if name == "league":
                    r["check"] = f"{len(js.get('areas', []))} areas"
                else:
                    r["check"] = json.dumps({x: js[x] for x in ("rows_read", "read", "accepted", "loaded", "rows")
                                             if x in js})[:60]
                base = next((b for b in rows if b["cmd"] == name and b["k"] == ks[0] and b["rc"] == 0), None)
                us, bpr = m["wall_s"] / n * 1e6, m["peak_mb"] * 2**20 / n
                rt = f"{us / (base['wall_s'] / base['rows'] * 1e6):.2f}" if base else "1.00"
                rb = f"{bpr / (base['peak_mb'] * 2**20 / base['rows']):.2f}" if base else "1.00"
                rows.append(r)
                status = r["check"] if m["rc"] == 0 else f"FAILED rc={m['rc']}: {m['stderr'].strip()[-200:]}"
                print(f"{k:2d} {n:10,d} {name:9s} {m['wall_s']:7.1f} {m['peak_mb']:8.0f} {us:7.1f} {bpr:6.0f} "
                      f"{rt:>11s} {rb:>11s} {m['load']:8.1f}  {status}", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    print(ascii_growth(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.plot:
        plot(rows, Path(args.plot))
        print(f"plot: {args.plot}")
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
