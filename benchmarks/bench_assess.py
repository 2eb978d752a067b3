"""Null calibration and planted effects of ``hotspot assess`` on real data (issue 19).

At many dates where nothing was done, hotspot's own nano-beat targets (the
planner's top 10) are assessed as if patrolled: the share of dates with an
effect called at the 5 % level should be about 5 % (at most 15 %). Side by
side, in the same run: the model's own p-value without the placebo
adjustment, and how often a naive before/after comparison of the targets
would have claimed a fall of 20 % or more. With ``--planted``, at the same
dates a seeded share of the after-period burglaries in the targets is
removed and part of it moved into the buffer: how often the interval holds
the planted cut, how often it is called, and how often WDQ/WDD flag the
displacement.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_assess.py [--boroughs Barnet,Lambeth] [--no-chicago] [--planted 0.5]
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

from hotspot.areas import area_from_points, load_area  # noqa: E402
from hotspot.assess import Assessor  # noqa: E402
from hotspot.assess.selection import NanoBeatRule  # noqa: E402
from hotspot.intake import read_incidents  # noqa: E402
from hotspot.settings import shared_data_dir  # noqa: E402

TARGETS, BUFFER_M = 10, 200.0


def data_dir() -> Path:
    d = shared_data_dir()
    if d is None:
        sys.exit("reference data not found: set HOTSPOT_DATA_DIR")
    return d


def targets(rule: NanoBeatRule, when: pd.Timestamp, crs) -> gpd.GeoDataFrame:
    places = rule.ranked(when, TARGETS)
    return gpd.GeoDataFrame({"place_id": [f"NB{i + 1:02d}" for i in range(len(places))]}, geometry=places, crs=crs)


def plant(inc: gpd.GeoDataFrame, treated: gpd.GeoDataFrame, start: pd.Timestamp, end: pd.Timestamp, share: float,
          seed: int) -> tuple[gpd.GeoDataFrame, float]:
    """Remove ``share`` of the after-period burglaries in the targets (seeded);
    half of those removed reappear in the 200 m buffer (displacement)."""
    rng = np.random.default_rng(seed)
    union = treated.geometry.union_all()
    t = pd.DatetimeIndex(inc["occurred"])
    inside = inc.geometry.within(union).to_numpy() & (t >= start) & (t < end)
    drop = inside & (rng.uniform(size=len(inc)) < share)
    moved = inc[drop & (rng.uniform(size=len(inc)) < 0.5)].copy()
    ring = union.buffer(BUFFER_M * 0.75).difference(union.buffer(20))
    p = ring.representative_point()
    moved["geometry"] = gpd.points_from_xy(p.x + rng.normal(0, 5, len(moved)), p.y + rng.normal(0, 5, len(moved)))
    removed = drop.sum() / max(inside.sum(), 1)
    return pd.concat([inc[~drop], moved], ignore_index=True), float(removed)


def calibrate(name: str, inc: gpd.GeoDataFrame, area, dates: list[pd.Timestamp], n: int, planted: float | None) -> dict:
    rule, cache = NanoBeatRule(inc, area), {}
    rows, t0 = [], time.perf_counter()
    for i, when in enumerate(dates):
        treated = targets(rule, when, area.crs)
        res = Assessor(inc, area, rule, when, cache=cache).solve(treated, n, BUFFER_M)
        row = {"date": when, "called": res.called, "model_call": res.effect.p < 0.05,
               "naive": res.naive_change, "nb": res.effect.model != "poisson", "expected": res.rtm.expected_ratio,
               "placebos": res.rtm.n}
        if planted:
            end = res.periods.stamp(n)
            cut, removed = plant(inc, treated, when, end, planted, seed=i)
            p = Assessor(cut, area, rule, when, cache=cache).solve(treated, n, BUFFER_M)
            truth = res.effect.rate_ratio * (1 - removed)  # the unplanted ratio with the planted cut
            row |= {"p_cover": p.effect.ci95[0] <= truth <= p.effect.ci95[1],
                    "p_net_cover": p.rtm.net_ci95[0] <= (1 - removed) <= p.rtm.net_ci95[1],
                    "p_called": p.called and p.rtm.net_ratio < 1, "p_wdd_disp": p.wdd.displacement > res.wdd.displacement,
                    "p_wdq_neg": p.wdq.value is not None and p.wdq.value < 0, "p_wdq_defined": p.wdq.value is not None}
        rows.append(row)
    t = pd.DataFrame(rows)
    out = {"data": name, "dates": len(t), "called_5pct": t["called"].mean(), "model_p_below_5pct": t["model_call"].mean(),
           "naive_fall_20pct": (t["naive"] <= -0.2).mean(), "median_naive": t["naive"].median(),
           "median_expected_ratio": t["expected"].median(), "nb_share": t["nb"].mean(),
           "min_placebos": int(t["placebos"].min()), "seconds": time.perf_counter() - t0}
    if planted:
        out |= {"planted": planted, "cut_in_model_ci": t["p_cover"].mean(), "cut_in_net_ci": t["p_net_cover"].mean(),
                "called_planted": t["p_called"].mean(), "buffer_rose": t["p_wdd_disp"].mean(),
                "wdq_negative_when_defined": t.loc[t["p_wdq_defined"], "p_wdq_neg"].mean()}
    print(" | ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in out.items()), flush=True)
    return out


def london(boroughs: list[str], planted: float | None) -> list[dict]:
    d = data_dir()
    out = []
    for b in boroughs:
        area = load_area(d / "boundaries" / "london_boroughs.geojson", b)
        inc = read_incidents(d / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet", area=area).incidents
        dates = list(pd.date_range("2019-01-01", "2024-10-01", freq="2MS"))
        out.append(calibrate(f"{b} (monthly, 3 months)", inc, area, dates, 3, planted))
    return out


def chicago(planted: float | None) -> dict:
    res = read_incidents(data_dir() / "crime" / "exact_dates" / "chicago_residential_burglary_2014_2017.csv",
                         crs="EPSG:26971")
    inc = res.incidents
    area = area_from_points(inc.geometry.x, inc.geometry.y, res.crs, name="chicago")
    dates = list(pd.date_range("2016-01-06", "2017-10-25", freq="21D"))
    return calibrate("Chicago (weekly, 8 weeks)", inc, area, dates, 8, planted)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--boroughs", default="Barnet,Lambeth")
    ap.add_argument("--no-chicago", action="store_true")
    ap.add_argument("--planted", type=float, default=None, help="Share of after-period burglaries removed (0-1).")
    args = ap.parse_args()
    rows = london([b.strip() for b in args.boroughs.split(",") if b.strip()], args.planted)
    if not args.no_chicago:
        rows.append(chicago(args.planted))
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for r in table.itertuples(index=False):
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
