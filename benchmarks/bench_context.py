"""Context incidents across the boundary: the edge effect they remove.

Run: python benchmarks/bench_context.py [--area Barnet] [--bandwidth 250] [--strip 500] [--coverage 5]

For one London borough (any: --area), read in place from the London-wide file:
  * density: mean KDE density of the borough's cells within --strip metres of
    its boundary, without and with the neighbours' burglaries as context (and
    of the interior cells, which must not change);
  * backtest: for every month from 2016-01 to the data end, a KDE of the
    previous 12 months' burglaries (with and without context) ranks the
    boundary-strip cells; the top --coverage % of the strip's cells are
    scored on the next month's burglaries of the borough in the strip
    (hit rate, PAI = hit rate / area share), paired month by month, with a
    bootstrap interval of the PAI ratio over months.
Nothing is tuned: bandwidth and strip are the defaults. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspot.areas import load_area, load_boundaries  # noqa: E402
from hotspot.context import boundary_effect, kde_with_context, read_context  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.kde import support  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--area", default="Barnet")
    ap.add_argument("--bandwidth", type=float, default=250.0)
    ap.add_argument("--cell", type=float, default=50.0)
    ap.add_argument("--strip", type=float, default=500.0)
    ap.add_argument("--coverage", type=float, default=5.0)
    ap.add_argument("--start", default="2016-01")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    d = shared_data_dir()
    if d is None:
        sys.exit("reference data not found (../shared/data or $HOTSPOT_DATA_DIR)")
    london = d / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet"
    area = load_area(d / "boundaries" / "london_boroughs.geojson", args.area)
    t0 = time.perf_counter()
    own = read_incidents(london, area=area).incidents
    reach = support(args.bandwidth, "quartic")
    lads = load_boundaries(d / "boundaries" / "lads_london_and_herts_region.geojson", crs=area.crs)
    ctx = read_context(london, area, own, buffer_m=reach, neighbours=area.neighbours(lads))
    print(f"{area.name}: {len(own):,} own burglaries, {len(ctx.incidents):,} context within {reach:g} m "
          f"({', '.join(f'{k} {v:,}' for k, v in ctx.to_json()['by_neighbour'].items())}); "
          f"missing: {ctx.missing or 'none'}  [{time.perf_counter() - t0:.1f} s]")

    eff = boundary_effect(own, area, ctx, cell=args.cell, bandwidth=args.bandwidth, strip_m=args.strip)
    print(f"mean density, all months (burglaries per km²): boundary strip {eff['boundary']['without_context']:.1f} "
          f"-> {eff['boundary']['with_context']:.1f} ({eff['boundary']['change_pct']:+.1f} %), interior "
          f"{eff['interior']['without_context']:.1f} -> {eff['interior']['with_context']:.1f} "
          f"({eff['interior']['change_pct']:+.2f} %)")

    months = pd.period_range(args.start, own["occurred"].max().to_period("M"), freq="M")
    own_m = own["occurred"].dt.to_period("M")
    ctx_m = ctx.incidents["occurred"].dt.to_period("M")
    base = kde_with_context(own.iloc[:1], area, cell=args.cell, bandwidth=args.bandwidth)
    X, Y = base.grid.centres()
    strip = base.mask & (shapely.distance(area.geometry.boundary, shapely.points(X, Y)) <= args.strip)
    n_strip = int(strip.sum())
    k = max(1, int(round(n_strip * args.coverage / 100)))
    rows = []
    for m in months:
        train = own[(own_m >= m - 12) & (own_m < m)]
        test = own[own_m == m]
        row, col, ok = base.grid.index(test.geometry.x.to_numpy(), test.geometry.y.to_numpy())
        hits_cells = np.zeros(base.grid.shape)
        np.add.at(hits_cells, (row[ok], col[ok]), 1)
        in_strip = hits_cells[strip].sum()
        if in_strip == 0 or train.empty:
            continue
        out = {"month": str(m), "strip_burglaries": int(in_strip)}
        for label, c in (("without", None), ("with", ctx)):
            if c is not None:
                c = type(ctx)(ctx.incidents[(ctx_m >= m - 12) & (ctx_m < m)], ctx.buffer_m, ctx.neighbours)
            s = kde_with_context(train, area, context=c, cell=args.cell, bandwidth=args.bandwidth)
            vals = s.values[strip]
            top = np.argsort(-vals, kind="stable")[:k]
            hit = hits_cells[strip][top].sum() / in_strip
            out[f"hit_{label}"] = hit
            out[f"pai_{label}"] = hit / (k / n_strip)
        rows.append(out)
    r = pd.DataFrame(rows)
    rng = np.random.default_rng(args.seed)
    idx = rng.integers(0, len(r), (2000, len(r)))
    ratio = r["pai_with"].to_numpy()[idx].mean(axis=1) / r["pai_without"].to_numpy()[idx].mean(axis=1)
    print(f"boundary-strip backtest, {len(r)} months {r.month.iloc[0]}..{r.month.iloc[-1]}, top {args.coverage:g} % "
          f"of {n_strip:,} strip cells ({args.cell:g} m): PAI without context {r.pai_without.mean():.2f}, with "
          f"{r.pai_with.mean():.2f}; ratio {r.pai_with.mean() / r.pai_without.mean():.3f} "
          f"(95 % bootstrap {np.percentile(ratio, 2.5):.3f}-{np.percentile(ratio, 97.5):.3f}); months with context "
          f"better / worse / equal: {(r.pai_with > r.pai_without).sum()} / {(r.pai_with < r.pai_without).sum()} / "
          f"{(r.pai_with == r.pai_without).sum()}")


if __name__ == "__main__":
    main()
