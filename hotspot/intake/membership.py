"""Area membership: which rows belong to the study area.

One rule is chosen for the whole input: police.uk's own LSOA attribution,
or point in polygon with an edge tolerance (the rules are in the package
notes, "Area membership"). Rows not in the area are marked ``outside area``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..columns import lsoa_district
from .record import _mark, _Parsed


def _membership(parsed: list[_Parsed], area, tol: float) -> dict:
    """Judge every row against the area (see the package notes); returns the
    counts for :attr:`IntakeResult.membership`."""
    geom = area.geometry
    shapely.prepare(geom)
    band = geom.buffer(tol) if tol > 0 else geom
    shapely.prepare(band)
    want = str(area.name).strip().casefold()
    districts = [lsoa_district(p.lsoa).str.casefold() if p.lsoa is not None else None for p in parsed]
    use_lsoa = _use_lsoa_rule(area, want, districts)
    others = None
    if area.layer is not None and tol > 0:
        layer = area.layer.to_crs(area.crs)
        rep = layer.geometry.representative_point()
        others = layer[~rep.within(geom)]  # the other units of the layer
    info = {"area": area.name, "code": area.code,
            "rule": "police.uk LSOA attribution" if use_lsoa else "point in polygon",
            "edge_tolerance_m": float(tol), "recovered_within_tolerance": 0,
            "in_neighbour_not_recovered": 0, "attributed_elsewhere_inside_polygon": 0,
            "attributed_here_beyond_tolerance": 0}
    for p, dist in zip(parsed, districts):
        x, y = p.projected()
        finite = np.isfinite(x) & np.isfinite(y)
        x0, y0 = np.nan_to_num(x), np.nan_to_num(y)
        inside = finite & shapely.intersects_xy(geom, x0, y0)
        near = finite & (inside | shapely.intersects_xy(band, x0, y0))
        if use_lsoa and dist is not None:
            rest = _judge_by_lsoa(p, dist, want, area, geom, tol, inside, near, info)
        else:
            rest = np.ones(len(x), bool)
        _judge_by_polygon(p, rest, inside, near, others, area, tol, info)
    return info


def _use_lsoa_rule(area, want: str, districts: list[pd.Series | None]) -> bool:
    """police.uk's attribution decides when the area is one of the districts
    the rows are attributed to, or a unit of a layer of such districts (e.g.
    another borough: then no row is the area's, however near)."""
    present = set().union(*[set(d.dropna()) for d in districts if d is not None])
    if want in present:
        return True
    if present and area.layer is not None:
        from ..areas import _layer_columns

        name_col = _layer_columns(area.layer)[0]
        if name_col is not None:
            names = set(area.layer[name_col].astype(str).str.strip().str.casefold())
            return len(present & names) >= 0.5 * len(present)
    return False


def _judge_by_lsoa(p: _Parsed, dist: pd.Series, want: str, area, geom, tol: float, inside: np.ndarray,
                   near: np.ndarray, info: dict) -> np.ndarray:
    """Rows with a police.uk LSOA: another district's are outside, this
    district's beyond the edge tolerance are outside; returns the rows
    without an LSOA (the polygon decides those)."""
    x, y = p.projected()
    lsoa = p.lsoa
    assert lsoa is not None  # ``dist`` is the district of these names
    cols = "/".join(p.coord_cols)
    open_ = (p.reason == None) & ~p.filtered  # noqa: E711
    has = dist.notna().to_numpy()
    mine = (dist == want).fillna(False).to_numpy()
    elsewhere = has & ~mine
    info["attributed_elsewhere_inside_polygon"] += int((open_ & elsewhere & inside).sum())
    _mark(p, elsewhere, "outside area", "LSOA name",
          lambda rows: (f"police.uk places it in LSOA {v!r}, not in {area.name}" for v in lsoa.iloc[rows]))
    far = mine & ~near
    if (far & open_).any():
        d = np.full(len(x), np.nan)
        idx = np.flatnonzero(far & open_ & np.isfinite(x) & np.isfinite(y))
        d[idx] = shapely.distance(geom, shapely.points(x[idx], y[idx]))
        info["attributed_here_beyond_tolerance"] += int((far & open_).sum())
        _mark(p, far, "outside area", cols,
              lambda rows: (f"LSOA {v!r} is in {area.name} but the point is {dd:,.0f} m outside it "
               f"(edge tolerance {tol:g} m)" for v, dd in zip(lsoa.iloc[rows], d[rows])))
    info["recovered_within_tolerance"] += int((mine & near & ~inside & open_).sum())
    return ~has


def _judge_by_polygon(p: _Parsed, rest: np.ndarray, inside: np.ndarray, near: np.ndarray, others, area,
                      tol: float, info: dict) -> None:
    """Rows ``rest``: outside beyond the edge tolerance, or within it but
    inside another unit of the area's layer, are outside; the others within
    the tolerance are recovered."""
    x, y = p.projected()
    cols = "/".join(p.coord_cols)
    open_ = (p.reason == None) & ~p.filtered  # noqa: E711
    band_pts = rest & near & ~inside & open_
    if band_pts.any() and others is not None and len(others):
        idx = np.flatnonzero(band_pts)
        tree = shapely.STRtree(others.geometry.to_numpy())
        hit_pt, _ = tree.query(shapely.points(x[idx], y[idx]), predicate="intersects")
        claimed = np.zeros(len(x), np.bool_)
        claimed[idx[hit_pt]] = True
        info["in_neighbour_not_recovered"] += int(claimed.sum())
        _mark(p, claimed, "outside area", cols, f"within {tol:g} m of {area.name} but inside a neighbouring area")
        band_pts &= ~claimed
    info["recovered_within_tolerance"] += int((band_pts & (p.reason == None)).sum())  # noqa: E711
    _mark(p, rest & ~near, "outside area", cols, f"outside {area.name} (edge tolerance {tol:g} m)")
