"""MCLP speed: 20 of 500 candidates against 10,000 demand points.

Run: python benchmarks/bench_anpr.py [--demand 10000] [--candidates 500] [--k 20]

Side by side on the same random instance (seeded; 20 km square, 500 m
radius, a few existing cameras):
  * ours: hotspot.anpr.CameraSiting (instance reduction + sparse pulp model,
    CBC) - build and solve times separately;
  * spopt: MCLP.from_cost_matrix + CBC (existing cameras as predefined
    facilities) - build and solve times separately.
Both objectives are printed (they must agree), and the greedy gap.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pulp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hotspot.anpr import CameraSiting  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demand", type=int, default=10_000)
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--existing", type=int, default=5)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--radius", type=float, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-spopt", action="store_true")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    D = rng.uniform(0, 20_000, (a.demand, 2))
    w = rng.integers(1, 100, a.demand).astype(float)
    C = rng.uniform(0, 20_000, (a.candidates, 2))
    E = rng.uniform(0, 20_000, (a.existing, 2))

    t0 = time.perf_counter()
    model = CameraSiting(D, w, C, E, radius=a.radius)
    t1 = time.perf_counter()
    res = model.solve(a.k)
    t2 = time.perf_counter()
    ours_total = t2 - t0
    print(f"instance: {a.demand:,} demand points, {a.candidates} candidates, {a.existing} existing, k={a.k}, "
          f"radius {a.radius:g} m; reduced to {len(model.rows):,} demand rows")
    print(f"ours   build {t1 - t0:7.2f} s  solve {t2 - t1:6.2f} s  total {t2 - t0:7.2f} s  "
          f"covered {res.coverage_after * model.total:,.0f} ({res.coverage_after:.4f})  optimal={res.optimal}")
    print(f"greedy covered {res.greedy_coverage * model.total:,.0f}: gap {res.greedy_gap:.4%} of demand")
    if a.skip_spopt:
        return
    from spopt.locate import MCLP

    allc = np.vstack([C, E])
    t0 = time.perf_counter()
    cost = np.hypot(D[:, None, 0] - allc[None, :, 0], D[:, None, 1] - allc[None, :, 1])
    pre = np.r_[np.zeros(len(C), bool), np.ones(len(E), bool)]
    m = MCLP.from_cost_matrix(cost, w, service_radius=a.radius, p_facilities=a.k + a.existing,
                              predefined_facilities_arr=pre)
    t1 = time.perf_counter()
    m.solve(pulp.PULP_CBC_CMD(msg=False))
    t2 = time.perf_counter()
    obj = pulp.value(m.problem.objective)
    print(f"spopt  build {t1 - t0:7.2f} s  solve {t2 - t1:6.2f} s  total {t2 - t0:7.2f} s  covered {obj:,.0f}")
    print(f"ratio spopt / ours (total): {(t2 - t0) / ours_total:.0f}x")
    print(f"objectives agree: {abs(obj - res.coverage_after * model.total) < 1e-6}")


if __name__ == "__main__":
    main()
