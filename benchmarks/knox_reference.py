"""Plain reference Knox test for the benchmark (not used by the package).

scikit-learn radius neighbours for the close pairs, then a Python loop over
permutations that histograms each permutation with np.add.at. Usage:
    python knox_reference.py FILE DEDGES TEDGES PERMUTATIONS
Prints {"observed": [[...]]} (the "more than" row included) as JSON.
"""

import json
import sys

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors


def main():
    path, dedges, tedges, perms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    dedges = np.array([float(v) for v in dedges.split(",")])
    tedges = np.array([float(v) for v in tedges.split(",")])
    df = pd.read_csv(path)
    xy = df[["x", "y"]].to_numpy(float)
    t = ((pd.to_datetime(df["date"]) - pd.Timestamp("1970-01-01")).dt.days).to_numpy(float)
    n = len(t)
    nn = NearestNeighbors().fit(xy)
    dist, ind = nn.radius_neighbors(xy, radius=dedges[-1])
    i = np.repeat(np.arange(n), [len(a) for a in ind])
    j = np.concatenate(ind)
    d = np.concatenate(dist)
    keep = (i < j) & (d < dedges[-1])
    i, j, d = i[keep], j[keep], d[keep]
    db = np.searchsorted(dedges, d, side="right")
    nd, nt = len(dedges) + 1, len(tedges) + 1
    # totals over all pairs per time band (for the "more than" row)
    ts = np.sort(t)
    below = [np.sum(np.searchsorted(ts, ts + e, side="left") - np.arange(n) - 1) for e in tedges]
    totals = np.diff(np.r_[0, below, n * (n - 1) // 2])

    def table(tt):
        tab = np.zeros((nd, nt), np.int64)
        np.add.at(tab, (db, np.searchsorted(tedges, np.abs(tt[i] - tt[j]), side="right")), 1)
        tab[nd - 1] = totals - tab[: nd - 1].sum(axis=0)
        return tab

    obs = table(t)
    rng = np.random.default_rng(1)
    sims = np.array([table(t[rng.permutation(n)]) for _ in range(perms)])
    p = (1 + (sims >= obs).sum(axis=0)) / (perms + 1)
    print(json.dumps({"observed": obs.tolist(), "p_value": p.tolist()}))


if __name__ == "__main__":
    main()
