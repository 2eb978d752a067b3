"""Short patrol routes through a handful of targets.

Nearest-neighbour construction followed by 2-opt improvement, on straight
line (Euclidean) distances in metres: exact enough for ordering ten or
twenty nano-beats, and it needs no street network.
"""

from __future__ import annotations

import numpy as np


def route_length(points: np.ndarray, order: list[int], closed: bool) -> float:
    """Length of visiting ``points[order]`` in turn, metres."""
    p = points[order]
    legs = np.hypot(*np.diff(p, axis=0).T).sum() if len(p) > 1 else 0.0
    if closed and len(p) > 1:
        legs += float(np.hypot(*(p[-1] - p[0])))
    return float(legs)


def patrol_route(targets_xy: np.ndarray, start_xy: tuple[float, float] | None = None) -> tuple[list[int], float]:
    """Order targets into a short patrol.

    Parameters
    ----------
    targets_xy : array (n, 2)
        Target centroids, metres.
    start_xy : (x, y), optional
        Start and end point (e.g. the police station), metres: the route is a
        closed loop from it. Without it, an open path starting at target 0.

    Returns
    -------
    order : list of int
        Target indices in patrol order.
    length : float
        Route length in metres (including the legs from and back to the
        start when given).
    """
    pts = np.asarray(targets_xy, float).reshape(-1, 2)
    n = len(pts)
    if n == 0:
        return [], 0.0
    closed = start_xy is not None
    allp = np.vstack([np.asarray(start_xy, float)[None, :], pts]) if closed else pts
    # nearest neighbour from the start (index 0 of allp)
    unvisited = set(range(1, len(allp)))
    tour = [0]
    while unvisited:
        last = allp[tour[-1]]
        nxt = min(unvisited, key=lambda k: (np.hypot(*(allp[k] - last)), k))
        tour.append(nxt)
        unvisited.remove(nxt)
    # 2-opt: reverse segments while that shortens the route (start stays first)
    improved = True
    while improved:
        improved = False
        for a in range(1, len(tour) - 1):
            for b in range(a + 1, len(tour)):
                new = tour[:a] + tour[a:b + 1][::-1] + tour[b + 1:]
                if route_length(allp, new, closed) < route_length(allp, tour, closed) - 1e-9:
                    tour, improved = new, True
    order = [k - 1 for k in tour[1:]] if closed else tour
    return order, route_length(allp, tour, closed)
