"""Short patrol routes through a handful of targets.

Order: nearest-neighbour construction followed by 2-opt improvement on a
matrix of leg lengths in metres - exact enough for ordering ten or twenty
nano-beats.

Legs: with a street layer (:class:`StreetNetwork`, lines in the working CRS)
every leg is the shortest path along the streets (networkx Dijkstra on the
noded lines; target centres and the start are joined to their nearest street
node, and that connector is counted). Without one, legs are straight lines
and every output says so ("as the crow flies"). A leg whose two ends lie on
disconnected parts of the street layer is drawn straight and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ._errors import HotspotError

if TYPE_CHECKING:
    from .areas import Area


def route_length(points: np.ndarray, order: list[int], closed: bool) -> float:
    """Length of visiting ``points[order]`` in turn, metres (straight legs).

    Parameters
    ----------
    points : array (n, 2)
        Point coordinates, metres.
    order : list of int
        Indices into ``points`` in visiting order.
    closed : bool
        Add the leg from the last point back to the first.

    Returns
    -------
    float
        Route length, metres.
    """
    p = points[order]
    legs = np.hypot(*np.diff(p, axis=0).T).sum() if len(p) > 1 else 0.0
    if closed and len(p) > 1:
        legs += float(np.hypot(*(p[-1] - p[0])))
    return float(legs)


def _tour_length(dist: np.ndarray, tour: list[int], closed: bool) -> float:
    legs = float(sum(dist[a, b] for a, b in zip(tour[:-1], tour[1:])))
    if closed and len(tour) > 1:
        legs += float(dist[tour[-1], tour[0]])
    return legs


def order_by_matrix(dist: np.ndarray, closed: bool) -> tuple[list[int], float]:
    """Nearest neighbour from node 0, then 2-opt (node 0 stays first).

    Parameters
    ----------
    dist : array (n, n)
        Leg lengths, metres (need not be symmetric).
    closed : bool
        Return to node 0 at the end.

    Returns
    -------
    tour : list of int
        Node indices, starting with 0.
    length : float
        Tour length, metres.
    """
    n = len(dist)
    if n == 0:
        return [], 0.0
    unvisited = set(range(1, n))
    tour = [0]
    while unvisited:
        last = tour[-1]
        nxt = min(unvisited, key=lambda k: (dist[last, k], k))
        tour.append(nxt)
        unvisited.remove(nxt)
    improved = True
    while improved:
        improved = False
        for a in range(1, len(tour) - 1):
            for b in range(a + 1, len(tour)):
                new = tour[:a] + tour[a:b + 1][::-1] + tour[b + 1:]
                if _tour_length(dist, new, closed) < _tour_length(dist, tour, closed) - 1e-9:
                    tour, improved = new, True
    return tour, _tour_length(dist, tour, closed)


def patrol_route(targets_xy: np.ndarray, start_xy: tuple[float, float] | None = None,
                 network: "StreetNetwork | None" = None) -> tuple[list[int], float]:
    """Order targets into a short patrol.

    Parameters
    ----------
    targets_xy : array (n, 2)
        Target centroids, metres.
    start_xy : (x, y), optional
        Start and end point (e.g. the police station), metres: the route is a
        closed loop from it. Without it, an open path starting at target 0.
    network : StreetNetwork, optional
        Street graph; legs are shortest paths along it. Default: straight.

    Returns
    -------
    order : list of int
        Target indices in patrol order.
    length : float
        Route length in metres (including the legs from and back to the
        start when given).
    """
    pts = np.asarray(targets_xy, float).reshape(-1, 2)
    if len(pts) == 0:
        return [], 0.0
    closed = start_xy is not None
    allp = np.vstack([np.asarray(start_xy, float)[None, :], pts]) if closed else pts
    if network is None:
        dist = np.hypot(allp[:, None, 0] - allp[None, :, 0], allp[:, None, 1] - allp[None, :, 1])
    else:
        dist = network.distance_matrix(allp)
    tour, length = order_by_matrix(dist, closed)
    order = [k - 1 for k in tour[1:]] if closed else tour
    return order, length


def beat_routes(targets_xy: np.ndarray, start_xy: tuple[float, float] | None = None,
                network: "StreetNetwork | None" = None, *, max_route_m: float) -> tuple[list[int], list[float], np.ndarray]:
    """Targets grouped into beats, each a patrol route of at most ``max_route_m``.

    Complete-linkage clusters of the target centroids, the fewest (1, 2, ...)
    whose every beat's route (:func:`patrol_route` over its targets) is at
    most ``max_route_m`` metres; a beat of one target whose loop from the
    start alone is longer cannot be split further. Beats are numbered by
    their first target in the input order (targets come in risk order, so
    beat 1 holds the highest-risk target).

    Parameters
    ----------
    targets_xy : array (n, 2)
        Target centroids, metres, in risk order.
    start_xy : (x, y), optional
        Start and end of every beat's loop, metres.
    network : StreetNetwork, optional
        Street graph for the route lengths (default: straight legs).
    max_route_m : float
        Longest route of one beat, metres.

    Returns
    -------
    order : list of int
        Target indices in patrol order, beat after beat.
    lengths : list of float
        Route length of each beat, metres.
    beat : ndarray of int
        The beat (1, 2, ...) of each target in ``order``.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    pts = np.asarray(targets_xy, float).reshape(-1, 2)
    n = len(pts)
    tree = linkage(pts, "complete") if n > 1 else None
    routes: list[tuple[np.ndarray, float]] = []
    for k in range(1, n + 1):
        labels = fcluster(tree, k, "maxclust") if tree is not None else np.ones(n, int)
        routes = []
        for lab in np.unique(labels):
            idx = np.flatnonzero(labels == lab)
            o, length = patrol_route(pts[idx], start_xy, network)
            routes.append((idx[o], length))
        if all(length <= max_route_m or len(idx) == 1 for idx, length in routes):  # a lone target cannot split
            break
    routes.sort(key=lambda r: int(r[0].min()))
    order = [int(i) for idx, _ in routes for i in idx]
    beat = np.concatenate([np.full(len(idx), b, int) for b, (idx, _) in enumerate(routes, start=1)])
    return order, [float(length) for _, length in routes], beat


@dataclass
class RouteLegs:
    """A patrol route drawn leg by leg.

    Attributes
    ----------
    lines : list of shapely LineString
        One line per leg, working CRS.
    on_streets : list of bool
        Whether each leg follows the streets (False: a straight line).
    length_m : float
        Total length, metres.
    """

    lines: list
    on_streets: list[bool]
    length_m: float

    @property
    def all_on_streets(self) -> bool:
        """True when there is at least one leg and every leg follows the streets."""
        return bool(self.on_streets) and all(self.on_streets)


class StreetNetwork:
    """A street graph from road lines (working CRS, metres).

    Lines are noded (split where they cross) so that streets meeting without
    a shared vertex are still connected; each segment becomes an edge whose
    weight is its length in metres.

    Parameters
    ----------
    roads : GeoDataFrame
        Line features in a projected CRS in metres, with an optional ``road``
        name column.
    snap : float
        Vertices closer than this (metres) are one node.
    """

    def __init__(self, roads, *, snap: float = 1.0):
        import networkx as nx

        if roads is None or len(roads) == 0:
            raise HotspotError("the street layer has no lines")
        geoms = shapely.line_merge(shapely.union_all(roads.geometry.to_numpy()))  # nodes every crossing
        lines = [g for g in shapely.get_parts(geoms) if g.geom_type == "LineString" and g.length > 0]
        if not lines:
            raise HotspotError("the street layer has no lines")
        self.crs = roads.crs
        self.snap = float(snap)
        G = nx.Graph()
        for ln in lines:
            xy = np.round(np.asarray(ln.coords)[:, :2] / self.snap) * self.snap
            for a, b in zip(map(tuple, xy[:-1]), map(tuple, xy[1:])):
                if a != b:
                    d = float(np.hypot(a[0] - b[0], a[1] - b[1]))
                    if not G.has_edge(a, b) or G[a][b]["length"] > d:
                        G.add_edge(a, b, length=d)
        self.graph = G
        self.nodes = np.array(list(G.nodes), float)
        from scipy.spatial import cKDTree

        self._tree = cKDTree(self.nodes)
        self._comp = {}
        for k, comp in enumerate(nx.connected_components(G)):
            for v in comp:
                self._comp[v] = k

    def nearest(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point.

        Parameters
        ----------
        xy : array (n, 2)
            Points, metres (working CRS).

        Returns
        -------
        distances : ndarray
            Straight distance to the nearest street node, metres.
        nodes : ndarray of int
            Index of that node in :attr:`nodes`.
        """
        d, i = self._tree.query(np.asarray(xy, float).reshape(-1, 2))
        return d, i

    def distance_matrix(self, xy: np.ndarray) -> np.ndarray:
        """Street distance between points (connector to the nearest node
        counted at both ends); straight distance where not connected.

        Parameters
        ----------
        xy : array (n, 2)
            Points, metres (working CRS).

        Returns
        -------
        ndarray
            ``(n, n)`` distances, metres.
        """
        import networkx as nx

        xy = np.asarray(xy, float).reshape(-1, 2)
        d0, idx = self.nearest(xy)
        nodes = [tuple(self.nodes[i]) for i in idx]
        n = len(xy)
        out = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        for a in range(n):
            lengths = nx.single_source_dijkstra_path_length(self.graph, nodes[a], weight="length")
            for b in range(n):
                if a != b and nodes[b] in lengths:
                    out[a, b] = d0[a] + lengths[nodes[b]] + d0[b]
        return out

    def leg(self, a: tuple[float, float], b: tuple[float, float]) -> tuple[shapely.LineString, bool]:
        """The street path from ``a`` to ``b`` (with the connectors), and
        whether it follows the streets.

        Parameters
        ----------
        a, b : tuple of float
            Start and end ``(x, y)``, metres (working CRS).

        Returns
        -------
        line : shapely.LineString
            The path (straight when ``a`` and ``b`` are on disconnected parts).
        on_streets : bool
            Whether the path follows the streets.
        """
        import networkx as nx

        _, idx = self.nearest(np.array([a, b]))
        na, nb = tuple(self.nodes[idx[0]]), tuple(self.nodes[idx[1]])
        if self._comp.get(na) != self._comp.get(nb):
            return shapely.LineString([a, b]), False
        path = nx.shortest_path(self.graph, na, nb, weight="length")
        coords = [tuple(a)] + [tuple(p) for p in path] + [tuple(b)]
        return shapely.LineString(coords), True


def route_legs(points: list[tuple[float, float]], network: StreetNetwork | None = None) -> RouteLegs:
    """Draw a route through ``points`` in the given order (metres).

    Parameters
    ----------
    points : list of tuple of float
        ``(x, y)`` stops in visiting order, metres (working CRS).
    network : StreetNetwork, optional
        Street graph for the legs (default: straight legs).

    Returns
    -------
    RouteLegs
        One line per leg, whether each follows the streets, total length in metres.
    """
    lines, on = [], []
    for a, b in zip(points[:-1], points[1:]):
        if network is None:
            lines.append(shapely.LineString([a, b]))
            on.append(False)
        else:
            ln, ok = network.leg(a, b)
            lines.append(ln)
            on.append(ok)
    return RouteLegs(lines=lines, on_streets=on, length_m=float(sum(ln.length for ln in lines)))


def check_start(lon: float, lat: float, area: Area, *, tolerance: float = 1000.0) -> tuple[float, float]:
    """A route start given as (lon, lat) degrees, checked against the area.

    Parameters
    ----------
    lon, lat : float
        WGS84 degrees.
    area : Area
        The patrol area (working CRS, metres).
    tolerance : float
        How far outside the area the start may lie, metres (a station just
        across the boundary).

    Returns
    -------
    (x, y) in the area's CRS, metres.

    Raises
    ------
    HotspotError
        Not finite, out of range, swapped (LAT,LON) or outside the area.
    """
    from .crs import from_lonlat

    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise HotspotError(f"start_lonlat={lon},{lat}: not a number", param='start_lonlat')

    def project(lo, la):
        if not (-180 <= lo <= 180 and -90 <= la <= 90):
            return None
        try:
            x, y = from_lonlat([lo], [la], area.crs)
        except Exception:  # outside the CRS's area of use
            return None
        x, y = float(x[0]), float(y[0])
        return (x, y) if np.isfinite(x) and np.isfinite(y) else None

    def dist(p):
        return float("inf") if p is None else float(shapely.distance(area.geometry, shapely.Point(p)))

    here, swapped = project(lon, lat), project(lat, lon)
    if dist(here) <= tolerance:
        return here
    if dist(swapped) <= tolerance:
        raise HotspotError(f"start_lonlat={lon:g},{lat:g} looks like LAT,LON: give LON,LAT, i.e. start_lonlat={lat:g},{lon:g}", param='start_lonlat')
    where = "out of range for lon/lat" if here is None else f"{dist(here) / 1000:,.1f} km outside {area.name}"
    raise HotspotError(f"start_lonlat={lon:g},{lat:g} is {where}: give the start as LON,LAT inside the area "
                       f"(up to {tolerance:g} m beyond its boundary)", param='start_lonlat')
