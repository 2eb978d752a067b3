"""Forecasts against the naive baseline in all 33 London boroughs, Barnet, and Chicago.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_forecast_london.py [--boroughs Barnet,Camden] [--no-chicago]

For every borough of the London police.uk file (one Crime ID = one burglary,
borough = the LSOA-name prefix, cells = 50 m cells whose centre lies in the
borough polygon) it runs the rolling-origin backtest 2015-12 .. 2025-02 and
prints, side by side in the same run:

* PAI at 5 % of the area of the naive baseline ``counts_24``;
* PAI of the *selected* procedure: for each month the candidate with the
  highest mean PAI over the months scored before it (nested selection,
  12 warm-up months 2014-12 .. 2015-11 give the rule its first track record);
* their ratio with a paired bootstrap 95 % interval over months;

then the median, minimum and maximum ratio over the boroughs, and the same
for Chicago (exact dates, weekly forecasts 2015-2017, 1 % of the area,
50 m cells, area = the 400 m footprint of all burglaries as in
``backtest_nanobeats.py``), where ``counts_52`` is "counts alone" (and the
baseline of the ratio), ``prospective`` is "near-repeat alone" and ``sepp``
the self-exciting model combining both.

With ``--pooled`` the London-wide pooled model (:mod:`hotspot.pooled`) is
one more candidate (about 10 minutes more on one core).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspot.areas import area_from_points, find_area, load_boundaries  # noqa: E402
from hotspot.crs import from_lonlat  # noqa: E402
from hotspot.forecast import BASELINE, PeriodCounts, backtest  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.metrics import reliability  # noqa: E402
from hotspot.pooled import PooledForecast  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402

LONDON_METHODS = ("counts_24", "counts_12", "counts_36", "counts_60", "decay_6", "decay_9", "decay_12", "decay_18",
                  "decay_24", "kde_100m_12")
CHICAGO_METHODS = ("counts_52", "counts_104", "decay_8", "decay_26", "decay_52", "decay_104", "prospective", "sepp")


def london_incidents(path: Path) -> gpd.GeoDataFrame:
    """The London police.uk burglaries, one row per Crime ID, projected to
    EPSG:27700, with ``borough`` from the LSOA name."""
    d = pd.read_parquet(path, columns=["Crime ID", "Month", "Longitude", "Latitude", "LSOA name"])
    n = len(d)
    d = d.drop_duplicates("Crime ID")
    dup = n - len(d)
    d = d.dropna(subset=["Longitude", "Latitude", "LSOA name"])
    print(f"{path.name}: {n:,} rows, {dup:,} repeated Crime IDs dropped, {len(d):,} burglaries with coordinates "
          f"and an LSOA")
    x, y = from_lonlat(d["Longitude"].to_numpy(), d["Latitude"].to_numpy(), "EPSG:27700")
    return gpd.GeoDataFrame({"borough": d["LSOA name"].str.rsplit(" ", n=1).str[0].to_numpy(),
                             "occurred": pd.to_datetime(d["Month"] + "-01").to_numpy(),
                             "date_precision": "month"},
                            geometry=gpd.points_from_xy(x, y), crs=27700)


def fmt_ci(ci) -> str:
    return f"{ci[0]:.3f}-{ci[1]:.3f}"


def data_dir() -> Path:
    data = shared_data_dir()
    if data is None:
        sys.exit("no reference data: set HOTSPOT_DATA_DIR to the shared data folder (e.g. /work/shared/data)")
    return data


def run_london(args) -> pd.DataFrame:
    data = data_dir()
    inc = london_incidents(data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")
    layer = load_boundaries(data / "boundaries" / "london_boroughs.geojson", crs=27700)
    names = sorted(layer["borough_name"]) if not args.boroughs else args.boroughs.split(",")
    rows = []
    t0 = time.perf_counter()
    pcs = {}
    for name in names:
        area = find_area(layer, name, column="borough_name")
        pcs[name] = PeriodCounts.from_incidents(inc[inc["borough"] == name], area, cell=50)
    methods = list(LONDON_METHODS)
    pooled = None
    if args.pooled:
        # one model for all boroughs, from the first warm-up month (the backtest's default 12) to the last
        warm = str(pd.Period(args.start, freq="M") - 12)
        pooled = PooledForecast.from_period_counts(pcs, seed=0).fit(
            warm, args.end, progress=lambda d, t: d % 12 == 0 and print(f"  pooled: period {d}/{t} "
                                                                        f"({time.perf_counter() - t0:.0f} s)",
                                                                        file=sys.stderr, flush=True))
        methods.append("pooled")
        print(f"pooled model: {len(pooled.fits)} fits, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    for name in names:
        pc = pcs[name]
        sub = inc[inc["borough"] == name]
        res = backtest(pc, start=args.start, end=args.end, methods=methods, levels=[0.05], best_level=0.05,
                       bootstrap=args.bootstrap, seed=0,
                       scorers={"pooled": pooled.scorer(name)} if pooled else None)
        pc._cache.clear()  # the windows of 33 boroughs would not fit in memory together
        pooled_pai = res.at(0.05).set_index("method")["pai"].get("pooled", np.nan)
        s = res.selected
        used = s.choices["method"].value_counts()
        rows.append({"borough": name, "burglaries": len(sub), "months": s.periods,
                     "PAI counts_24": s.baseline_pai, "PAI selected": s.pai,
                     "PAI selected CI": fmt_ci(s.pai_ci), "ratio": s.ratio, "ratio CI": fmt_ci(s.ratio_ci),
                     "ratio_lo": s.ratio_ci[0], "PAI decay_12": res.at(0.05).set_index("method")["pai"]["decay_12"],
                     "PAI pooled": pooled_pai, "most used": f"{used.index[0]} ({used.iloc[0]})",
                     "next": res.best})
        print(f"  {name}: ratio {s.ratio:.3f} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0
    df = pd.DataFrame(rows)
    print(f"\nLondon boroughs, monthly forecasts {args.start}..{args.end}, 50 m cells, 5 % of each borough; "
          f"selected = nested choice among {', '.join(methods)}; baseline {BASELINE}; {wall:.0f} s")
    with pd.option_context("display.width", 220, "display.max_rows", 100):
        print(df.drop(columns=["ratio_lo"]).round(3).to_string(index=False))
    if pooled is not None:
        # calibration of the pooled expected counts, every borough and forecast month pooled
        pred, obs = [], []
        for name, pc in pcs.items():
            f = pooled.scorer(name)
            for origin in range(pc.index_of(args.start), pc.index_of(args.end) + 1):
                pred.append(f(origin)[pc.mask])
                obs.append(pc.counts[origin][pc.mask])
        rel = reliability(np.concatenate(pred), np.concatenate(obs))
        print("\nreliability of the pooled forecast (burglaries per 50 m cell per month, all boroughs and months):")
        print(rel.round(4).to_string(index=False))
    r = df["ratio"]
    for col in ("PAI decay_12", "PAI pooled"):
        q = df[col] / df["PAI counts_24"]
        if q.notna().all():
            print(f"{col[4:]} alone / counts_24: median {q.median():.3f}, min {q.min():.3f}, max {q.max():.3f}")
    print(f"\nratio selected / counts_24 over {len(df)} boroughs: median {r.median():.3f}, min {r.min():.3f} "
          f"({df.loc[r.idxmin(), 'borough']}), max {r.max():.3f} ({df.loc[r.idxmax(), 'borough']}); "
          f"{int((df['ratio_lo'] > 1).sum())} boroughs with the paired 95 % interval above 1; "
          f"{int((r < 0.97).sum())} below 0.97")
    return df


def run_chicago(args) -> None:
    res = read_incidents(data_dir() / "crime" / "exact_dates" / "chicago_residential_burglary_2014_2017.csv",
                         crs="EPSG:26971")
    area = area_from_points(res.incidents.geometry.x, res.incidents.geometry.y, res.crs, name="chicago")
    t0 = time.perf_counter()
    pc = PeriodCounts.from_incidents(res.incidents, area, cell=args.chicago_cell, freq="W")
    bt = backtest(pc, start="2015-01-05", end="2017-12-25", methods=CHICAGO_METHODS, levels=[0.01],
                  best_level=0.01, bootstrap=args.bootstrap, seed=0, baseline="counts_52")
    wall = time.perf_counter() - t0
    s = bt.selected
    tab = bt.at(0.01)[["method", "pai", "pai_lo", "pai_hi", "hit_rate"]].round(3)
    print(f"\nChicago residential burglary, {bt.n_periods} weekly forecasts 2015-01-05..2017-12-25, "
          f"{args.chicago_cell:g} m cells, 1 % of a {area.area_km2:.0f} km2 footprint; {wall:.0f} s")
    print(tab.to_string(index=False))
    pro = bt.at(0.01).set_index("method").loc["prospective"]
    print(f"selected (nested): PAI {s.pai:.2f} (95 % CI {fmt_ci(s.pai_ci)}); counts alone (counts_52) "
          f"{s.baseline_pai:.2f}, ratio {s.ratio:.3f} (paired CI {fmt_ci(s.ratio_ci)}); near-repeat alone "
          f"(prospective) {pro.pai:.2f}; methods used "
          f"{ {str(k): int(v) for k, v in s.choices['method'].value_counts().items()} }")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="start", default="2015-12")
    ap.add_argument("--to", dest="end", default="2025-02")
    ap.add_argument("--boroughs", default=None, help="comma-separated borough names (default: all 33)")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--chicago-cell", type=float, default=50.0)
    ap.add_argument("--no-chicago", action="store_true")
    ap.add_argument("--no-london", action="store_true")
    ap.add_argument("--pooled", action="store_true", help="add the London-wide pooled model as a candidate")
    args = ap.parse_args()
    if not args.no_london:
        run_london(args)
    if not args.no_chicago:
        run_chicago(args)


if __name__ == "__main__":
    main()
