"""The run's forecast method selection is fitted once per data and options,
reused while they stay the same, and fitted again on --refit (issue 22)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from hotspot.areas import area_from_geometry
from hotspot.forecast import PeriodCounts
from hotspot.selection import select_method

ROOT = Path(__file__).resolve().parents[1]
AREA = area_from_geometry(box(0, 0, 1000, 1000), 27700, "Square")
METHODS = ["counts_12", "counts_24", "decay_12"]


def _incidents(n: int = 1500, seed: int = 3, first: str = "2020-01") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    months = pd.period_range(first, "2022-12", freq="M")
    hot = rng.random(n) < 0.6  # a lasting hotspot in one corner: the counts find it
    x = np.where(hot, rng.normal(200, 60, n), rng.uniform(0, 1000, n)).clip(1, 999)
    y = np.where(hot, rng.normal(200, 60, n), rng.uniform(0, 1000, n)).clip(1, 999)
    occurred = months[rng.integers(0, len(months), n)].to_timestamp()
    return gpd.GeoDataFrame({"occurred": occurred, "date_precision": "month"}, geometry=gpd.points_from_xy(x, y),
                            crs=27700)


def _select(pc: PeriodCounts, tmp: Path, calls: list, **kw):
    out = {"backtest.csv": tmp / "out" / "backtest.csv", "backtest.json": tmp / "out" / "backtest.json"}

    def write(bt):
        out["backtest.csv"].parent.mkdir(parents=True, exist_ok=True)
        bt.at(0.05).to_csv(out["backtest.csv"], index=False)
        out["backtest.json"].write_text(json.dumps(bt.to_json(0.05)), encoding="utf-8")

    opts = dict(start="2022-01", end="2022-12", bootstrap=50, methods=METHODS, cache=tmp / "cache") | kw
    sel = select_method(pc, outputs=out, write=write, summarise=lambda bt: {"method": bt.best},
                        progress=lambda done, total: calls.append(done), **opts)
    return sel, {k: p.read_bytes() for k, p in out.items()}


def test_selection_is_reused_until_the_counts_or_options_change(tmp_path):
    pc = PeriodCounts.from_incidents(_incidents(), AREA, cell=50)
    calls: list = []
    first, files1 = _select(pc, tmp_path, calls)
    assert not first.reused and first.backtest is not None and calls  # fitted: the backtest ran
    fitted = len(calls)
    (tmp_path / "out" / "backtest.csv").unlink()
    again, files2 = _select(pc, tmp_path, calls)
    assert again.reused and again.backtest is None and len(calls) == fitted  # no period backtested again
    assert again.best == first.best and again.fingerprint == first.fingerprint and files2 == files1
    assert again.summary == {"method": first.best} and again.to_json()["reused"] is True

    # one more burglary in the last month: other counts, a new fit
    more = pd.concat([_incidents(), _incidents(1, seed=9)], ignore_index=True)
    changed, _ = _select(PeriodCounts.from_incidents(more, AREA, cell=50), tmp_path, calls)
    assert not changed.reused and changed.fingerprint != first.fingerprint and len(calls) > fitted
    # other options: a new fit
    n = len(calls)
    other, _ = _select(pc, tmp_path, calls, bootstrap=60)
    assert not other.reused and len(calls) > n
    # refit: fitted although the cache holds it
    n = len(calls)
    forced, _ = _select(pc, tmp_path, calls, refit=True)
    assert not forced.reused and len(calls) > n and forced.best == first.best
    # a damaged entry is never trusted
    (first.entry / "selection.json").write_text("{", encoding="utf-8")
    n = len(calls)
    damaged, _ = _select(pc, tmp_path, calls)
    assert not damaged.reused and len(calls) > n


def _cli(tmp: Path, csv: Path, *extra: str) -> dict:
    env = dict(os.environ, HOTSPOT_SELECTION_CACHE=str(tmp / "cache"))
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "run", str(csv), "--area-file", str(tmp / "sq.geojson"),
                        "--area", "Square", "--no-reference", "--no-gi", "--stages", "intake,hotspots",
                        "--crs", "EPSG:27700", "--crime-type", "all", "--out", str(tmp / "maps"),
                        "--reports", str(tmp / "reports"), "--json", *extra],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    obj["stderr"] = r.stderr
    return obj


def test_run_says_whether_it_reused_the_selection_and_refit_fits_again(tmp_path):
    gpd.GeoDataFrame({"name": ["Square"]}, geometry=[box(0, 0, 1000, 1000)], crs=27700).to_file(
        tmp_path / "sq.geojson")
    inc = _incidents(600, first="2021-10")  # 15 months: the run backtests the last two (kept fast)
    table = pd.DataFrame({"id": [f"i{k}" for k in range(len(inc))], "date": inc["occurred"].dt.strftime("%Y-%m"),
                          "x": inc.geometry.x, "y": inc.geometry.y})
    csv = tmp_path / "inc.csv"
    table.to_csv(csv, index=False)
    first = _cli(tmp_path, csv)
    backtest_csv = Path(first["outputs"]["backtest"]).read_bytes()
    assert first["hotspots"]["selection"]["reused"] is False and "fitted and cached" in first["stderr"]
    warm = _cli(tmp_path, csv)
    assert warm["hotspots"]["selection"]["reused"] is True and "reused from the cache" in warm["stderr"]
    assert "backtest 1/" not in warm["stderr"] and Path(warm["outputs"]["backtest"]).read_bytes() == backtest_csv
    assert {k: v for k, v in warm["hotspots"].items() if k != "selection"} == \
        {k: v for k, v in first["hotspots"].items() if k != "selection"}
    forced = _cli(tmp_path, csv, "--refit")
    assert forced["hotspots"]["selection"]["reused"] is False and "backtest 1/" in forced["stderr"]
    # (a change of data or options: test_selection_is_reused_until_the_counts_or_options_change)
