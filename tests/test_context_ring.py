"""The context's ring test (points outside an area within a distance of it) against brute force (issue 22)."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from hotspot.context import _within_ring

#: A concave area with a sharp corner (where a buffer's polygon cuts the arc) and a notch.
AREA = Polygon([(0, 0), (3000, 0), (3000, 2000), (1600, 2000), (1500, 800), (1400, 2000), (0, 2000)])


def _brute(area, pts, d):
    # the definition: outside the area, at most d metres from it (no buffer polygon, no box)
    return (shapely.distance(area, pts) <= d) & ~shapely.intersects(area, pts)


@settings(max_examples=40, deadline=None)
@given(d=st.floats(1.0, 2500.0), seed=st.integers(0, 10_000))
def test_the_ring_equals_brute_force_distance(d, seed):
    rng = np.random.default_rng(seed)
    n = 3000
    pts = shapely.points(rng.uniform(-3000, 6000, n), rng.uniform(-3000, 5000, n))
    # points at exactly d from a corner, along the diagonal, and just inside and outside that distance
    corner = np.array([3000.0, 2000.0])
    exact = [corner + (d + e) * np.array([np.sqrt(0.5), np.sqrt(0.5)]) for e in (-1e-6, 0.0, 1e-6)]
    pts = np.concatenate([pts, shapely.points(np.array(exact)), np.array([shapely.Point()])])  # and an empty point
    ring = AREA.buffer(d).difference(AREA)
    got = _within_ring(AREA, ring, pts, d)
    want = _brute(AREA, pts, d) | shapely.intersects(ring, pts) & ~shapely.intersects(AREA, pts)
    assert np.array_equal(got, want)
    assert got[-4] and not got[-2] and not got[-1]  # just inside d kept, just beyond d and empty left out
