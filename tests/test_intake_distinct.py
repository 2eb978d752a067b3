"""Intake work done once per distinct value or per marked row gives what the
per-row work gave (issue 22: the speed-ups must not change an output)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS

from hotspot.crs import project
from hotspot.intake.columns import _stable_ids
from hotspot.intake.record import _mark, _Parsed
from hotspot.intake.stages import _project_distinct
from hotspot.settings import GB_CRS, WGS84

TEXT = pd.StringDtype(na_value=np.nan)


def _repeated_pairs(n=20_000, seed=3):
    """lon/lat with few distinct pairs (snap points), plus 0.0 and -0.0, NaN,
    infinities and out-of-range values."""
    rng = np.random.default_rng(seed)
    lon = np.round(-0.2 + rng.normal(0, 0.05, 300), 6)[rng.integers(0, 300, n)]
    lat = np.round(51.55 + rng.normal(0, 0.03, 300), 6)[rng.integers(0, 300, n)]
    specials = [(0.0, 51.5), (-0.0, 51.5), (0.0, -0.0), (np.nan, 51.5), (-0.1, np.nan), (np.inf, 51.5),
                (-0.1, -np.inf), (200.0, 95.0), (51.5, -0.1)]
    for k, (a, b) in enumerate(specials):
        lon[k::997], lat[k::997] = a, b
    return lon, lat


def test_projecting_distinct_pairs_gives_every_row_its_own_projection_bit_for_bit():
    lon, lat = _repeated_pairs()
    src, dst = CRS.from_user_input(WGS84), CRS.from_user_input(GB_CRS)
    x, y = _project_distinct(lon, lat, src, dst)
    rx, ry = project(lon, lat, src, dst)
    assert len(np.unique(lon)) < 0.1 * len(lon)  # the distinct path was taken
    assert np.array_equal(x.view(np.int64), np.asarray(rx, float).view(np.int64))
    assert np.array_equal(y.view(np.int64), np.asarray(ry, float).view(np.int64))
    # and back from metres (a projected source), and with mostly distinct pairs (the per-row path)
    bx, by = _project_distinct(x, y, dst, src)
    assert np.array_equal(bx, project(x, y, dst, src)[0], equal_nan=True)
    assert np.array_equal(by, project(x, y, dst, src)[1], equal_nan=True)
    rng = np.random.default_rng(0)
    ulon, ulat = -0.2 + rng.normal(0, 0.05, 5000), 51.5 + rng.normal(0, 0.05, 5000)
    assert np.array_equal(_project_distinct(ulon, ulat, src, dst)[0], project(ulon, ulat, src, dst)[0])


def _record(n):
    idx = pd.RangeIndex(1, n + 1)
    table = pd.DataFrame({"v": pd.array([f"v{i}" for i in range(n)], dtype=TEXT)}, index=idx)
    return _Parsed(path=Path("f.csv"), table=table, a=np.zeros(n), b=np.zeros(n), coord_crs=CRS.from_user_input(WGS84),
                   coord_cols=("lon", "lat"), occurred=pd.Series(pd.NaT, index=idx), precision="day",
                   ids=pd.Series([""] * n, index=idx), crime_type=pd.Series([""] * n, index=idx),
                   location=pd.Series([""] * n, index=idx), reason=np.full(n, None, dtype=object),
                   column=np.full(n, None, dtype=object), detail=np.full(n, "", dtype=object),
                   filtered=np.zeros(n, bool))


def test_row_details_are_made_for_the_marked_rows_alone_and_land_on_them():
    p = _record(10)
    p.filtered[7] = True
    _mark(p, np.isin(np.arange(10), [2]), "first", "c")  # an earlier reason wins
    asked = []

    def details(rows):
        asked.append(rows.copy())
        return (f"row {r} value {v}" for r, v in zip(rows, p.table["v"].iloc[rows]))

    _mark(p, np.isin(np.arange(10), [1, 2, 5, 7]), "second", "c", details)
    assert len(asked) == 1 and asked[0].tolist() == [1, 5]  # not row 2 (marked), not row 7 (filtered)
    assert p.reason.tolist() == [None, "second", "first", None, None, "second", None, None, None, None]
    assert p.detail[[1, 5]].tolist() == ["row 1 value v1", "row 5 value v5"]
    assert p.detail[[0, 2, 7]].tolist() == ["", "", ""]
    _mark(p, np.zeros(10, bool), "third", "c", lambda rows: 1 / 0)  # nothing marked: never called


def _stable_ids_whole_table(table):
    """The derivation over every row of the table (the rule before issue 22)."""
    content = table.astype(str).agg("\x1f".join, axis=1)
    nth = content.groupby(content).cumcount().astype(str)
    return ("derived-" + (content + "\x1e" + nth).map(
        lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:16])).set_axis(table.index)


def test_derived_ids_made_for_the_rows_without_an_id_are_those_of_the_whole_table():
    rng = np.random.default_rng(5)
    n = 3000
    ids = rng.choice(["", " ", "A1", "A2", "B7"], n)
    table = pd.DataFrame({"Crime ID": pd.array(ids, dtype=TEXT),
                          "Month": pd.Categorical(rng.choice(["2024-01", "2024-02"], n)),
                          "Location": pd.array(rng.choice(["On or near X", "é street", ""], n), dtype=TEXT),
                          "n": rng.choice(["1", "2"], n).astype(object)}, index=np.arange(1, n + 1) * 2)
    need = (table["Crime ID"].str.strip() == "").to_numpy()
    assert need.any() and not need.all()
    whole = _stable_ids_whole_table(table)
    some = _stable_ids(Path("f.csv"), table, need)
    assert some.index.equals(table.index[need])
    assert some.tolist() == whole[need].tolist()
    assert len(set(some)) == int(need.sum())  # identical rows still get distinct ids
    pd.testing.assert_series_equal(_stable_ids(Path("f.csv"), table), whole)
