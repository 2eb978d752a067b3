"""Property tests (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotspot.crs import from_lonlat, to_lonlat
from hotspot.intake import POLICE_UK_COLUMNS, UnusableInputError, read_incidents


@given(st.lists(st.tuples(st.floats(100_000, 650_000), st.floats(10_000, 1_200_000)), min_size=1, max_size=50))
@settings(max_examples=100, deadline=None)
def test_bng_wgs84_round_trip_within_a_micrometre(points):
    """``from_lonlat`` is the exact inverse of ``to_lonlat``: 1e-6 m. PROJ's own
    inverse of the 2D OSGB36 Helmert is ~1 mm off, so a millimetre tolerance
    could not catch the loss of the fixed-point correction."""
    x, y = np.array(points).T
    lon, lat = to_lonlat(x, y, "EPSG:27700")
    x2, y2 = from_lonlat(lon, lat, "EPSG:27700")
    assert np.max(np.hypot(x2 - x, y2 - y)) < 1e-6


def test_round_trip_tolerance_catches_the_uncorrected_inverse():
    """The tolerance above is tight enough to fail PROJ's plain inverse."""
    from hotspot.crs import transformer

    rng = np.random.default_rng(0)
    x, y = rng.uniform(100_000, 650_000, 200), rng.uniform(10_000, 1_200_000, 200)
    lon, lat = to_lonlat(x, y, "EPSG:27700")
    x0, y0 = transformer("EPSG:27700", "EPSG:4326").transform(lon, lat, direction="INVERSE")
    assert np.max(np.hypot(x0 - x, y0 - y)) > 1e-6


CORRUPTIONS = ["", "abc", "0", "999", "-999", "2099-01", "2024-13", "nan", ",", '"', "x\ny", "51.6", "-0.2", "\u00e9"]


def _valid_rows(n: int) -> list[list[str]]:
    rng = np.random.default_rng(7)
    return [[f"id{i % 37}", f"2024-{1 + i % 12:02d}", "MPS", "MPS", f"{-0.2 + rng.normal(0, 0.01):.6f}",
             f"{51.6 + rng.normal(0, 0.01):.6f}", "On or near High Street", "E01000001", "Barnet 001A",
             "Burglary" if i % 5 else "Robbery", "Under investigation", ""] for i in range(n)]


@given(
    n=st.integers(5, 60),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, len(POLICE_UK_COLUMNS) - 1),
                             st.sampled_from(CORRUPTIONS)), max_size=25),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rows_are_conserved_under_random_corruption(tmp_path_factory, n, edits):
    """Whatever is done to the cells of a valid file, each data row is
    accepted, rejected or filtered: none is lost or counted twice."""
    import csv

    rows = _valid_rows(n)
    for r, c, v in edits:
        rows[r % n][c] = v
    path = tmp_path_factory.mktemp("corrupt") / "c.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(POLICE_UK_COLUMNS)
        w.writerows(rows)
    try:
        res = read_incidents(path, crime_types="Burglary", now="2026-11-25")
    except UnusableInputError as exc:  # every row rejected: refused, and still accounted for
        res = exc.result
        assert res.accepted == 0 and res.rejected > 0
        assert str(exc).startswith(f"{path}: no usable rows: all {res.rejected:,} rows were rejected; commonest reason")
    assert res.rows == n
    assert res.accepted + res.rejected + res.n_filtered == n
    seen = sorted(list(res.incidents["source_row"]) + list(res.rejects["source_row"]) + list(res.filtered["source_row"]))
    assert seen == list(range(1, n + 1))
