"""The street risk model (:class:`SegmentRisk`): risk per street segment from
the distance between each burglary and the segment, and the segments it
works on (:func:`street_segments`: a road layer clipped to the area and cut
into short pieces)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from .._errors import HotspotError
from ..areas import Area
from .selection import select_segments
from .sources import DateLike, Sources


class SegmentRisk:
    """Risk per street segment, from the distance between each burglary and
    each segment (a cone of ``distance`` metres for the near-repeat part, a
    disc of ``location_radius`` metres for the history).

    Parameters
    ----------
    sources : Sources
    segments : GeoDataFrame
        From :func:`street_segments` (``road``, midpoints ``mx``, ``my``).
    distance, location_radius, target_radius : float
        Metres.
    """

    variant_suffix = " streets"

    def __init__(self, sources: Sources, segments: gpd.GeoDataFrame, *, distance: float, location_radius: float,
                 target_radius: float):
        self.sources, self.segments = sources, segments
        self.distance, self.location_radius, self.target_radius = distance, location_radius, target_radius

    def components(self, as_of: DateLike, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Near-repeat and history risk per segment (each sums to 1);
        ``own_only`` as in :meth:`CellRisk.components`.

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; burglaries strictly before it count.
        own_only : bool
            Only the part from the area's own burglaries (same scale).

        Returns
        -------
        near_repeat, history : ndarray
            Risk per segment.
        """
        src = self.sources
        idx, w_nr, w_h = src.weights(as_of)
        geoms = self.segments.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        out = []
        for w, radius, cone in ((w_nr, self.distance, True), (w_h, self.location_radius, False)):
            keep = w > 0
            pts = shapely.points(src.x[idx][keep], src.y[idx][keep])
            pi, si = tree.query(pts, predicate="dwithin", distance=radius)
            d = shapely.distance(pts[pi], geoms[si])
            contrib = w[keep][pi] * (np.clip(1 - d / radius, 0, None) if cone else (d < radius))
            r = np.bincount(si, weights=contrib, minlength=len(geoms))
            total = r.sum()
            if own_only:
                r = np.bincount(si, weights=contrib * src.own[idx][keep][pi], minlength=len(geoms))
            out.append(r / total if total > 0 else r)
        return out[0], out[1]

    def select(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Groups of nearby segments (:func:`select_segments`).

        Parameters
        ----------
        risk : ndarray
            Risk per segment.
        n_targets : int
            At most this many groups.

        Returns
        -------
        list of ndarray
            Segment indices of each group.
        """
        mxy = np.column_stack([self.segments["mx"], self.segments["my"]])
        return select_segments(risk, mxy, self.target_radius, n_targets)

    def group_sums(self, values: np.ndarray, groups: list[np.ndarray]) -> list[float]:
        """``values`` summed over each group.

        Parameters
        ----------
        values : ndarray
            A value per segment.
        groups : list of ndarray
            Segment indices.

        Returns
        -------
        list of float
        """
        return [float(values[g].sum()) for g in groups]

    def polygons(self, groups: list[np.ndarray]) -> list[BaseGeometry]:
        """Each group's segments buffered 25 m either side (flat ends).

        Parameters
        ----------
        groups : list of ndarray
            Segment indices.

        Returns
        -------
        list of shapely geometry
            Polygons in the road layer's CRS (metres).
        """
        geom = self.segments.geometry
        return [shapely.union_all(geom.iloc[g].buffer(25, cap_style="flat").to_numpy()) for g in groups]

    def describe_targets(self, targets: gpd.GeoDataFrame, groups: list[np.ndarray]) -> None:
        """``label`` and (where the records name none) ``street`` from the
        road layer, and the number of ``segments``.

        Parameters
        ----------
        targets : GeoDataFrame
            One row per group (with ``street``), changed in place.
        groups : list of ndarray
            Segment indices of each target.
        """
        roads = [pd.Series(self.segments["road"].iloc[g]).mode().iloc[0] for g in groups]
        # the incidents' own street names win; the road layer's name fills in
        # where the records carry none
        targets["street"] = [s if isinstance(s, str) and s else r for s, r in zip(targets["street"], roads)]
        targets["label"] = roads
        targets["segments"] = [len(g) for g in groups]


def street_segments(roads: gpd.GeoDataFrame, area: Area, length: float = 100.0) -> gpd.GeoDataFrame:
    """Street lines clipped to the area and cut into pieces of at most
    ``length`` metres, with their ``road`` name and midpoint.

    Parameters
    ----------
    roads : GeoDataFrame
        Street lines in the area's CRS (optional ``road`` name column).
    area : Area
        The patrol area (working CRS, metres).
    length : float
        Longest segment, metres (default 100 m).

    Returns
    -------
    GeoDataFrame
        ``road``, the segment line and its midpoint ``mx, my`` (metres).
    """
    if roads.crs is None or not roads.crs.equals(area.crs):
        raise HotspotError("the road layer must be in the area's CRS")
    names = roads["road"] if "road" in roads else pd.Series("street", index=roads.index)
    pieces, labels = [], []
    for geom, name in zip(roads.geometry.intersection(area.geometry), names):
        for line in shapely.get_parts(shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom):
            if line.geom_type != "LineString" or line.length == 0:
                continue
            n = max(1, int(np.ceil(line.length / length)))
            for k in range(n):
                pieces.append(shapely.ops.substring(line, k * line.length / n, (k + 1) * line.length / n))
                labels.append(str(name))
    if not pieces:
        raise HotspotError("no street of the road layer lies inside the area")
    seg = gpd.GeoDataFrame({"road": labels}, geometry=pieces, crs=area.crs)
    mid = seg.geometry.interpolate(0.5, normalized=True)
    seg["mx"], seg["my"] = mid.x.to_numpy(), mid.y.to_numpy()
    return seg
