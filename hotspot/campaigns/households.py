"""Households of any polygons, interpolated by area from LSOAs
(:func:`interpolate_households`: households assumed spread evenly over each
LSOA), and the share of a unit the LSOAs must cover for that.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .._errors import HotspotError

#: A unit less than this share inside the LSOA layer cannot get its households by interpolation.
MIN_INTERPOLATED_SHARE = 0.95


def interpolate_households(units: gpd.GeoDataFrame, source: gpd.GeoDataFrame, *, unit_column: str) -> gpd.GeoDataFrame:
    """Households of any polygons, by area from ``source`` polygons (e.g.
    LSOAs) with a ``households`` column, assuming each source's households are
    spread evenly over it.

    Parameters
    ----------
    units : GeoDataFrame
        The polygons that need households (projected CRS, metres).
    source : GeoDataFrame
        Polygons with a ``households`` column (e.g. :func:`lsoa_units`).
    unit_column : str
        Column of ``units`` that identifies each unit.

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``households`` (whole numbers) and
        ``households_from``: the source polygons used and the share of each
        (e.g. ``"E01000001 62%; E01000002 100%"``; by ``unit`` when the
        source has one).

    Raises
    ------
    HotspotError
        A unit lies less than :data:`MIN_INTERPOLATED_SHARE` inside the
        source polygons (its households cannot be had; named with the share).
    """
    src = source[["households", "geometry"]].to_crs(units.crs).copy()
    src["source_id"] = (source["unit"] if "unit" in source else pd.Series(source.index, index=source.index)).astype(str)
    src["geometry"] = src.geometry.make_valid()
    src["src_area"] = src.geometry.area
    tgt = units[[unit_column, "geometry"]].copy()
    tgt["geometry"] = tgt.geometry.make_valid()
    inter = gpd.overlay(tgt, src, how="intersection", keep_geom_type=True)
    inter["share"] = inter.geometry.area / inter["src_area"]
    inter["hh"] = inter["households"] * inter["share"]
    inside = inter.assign(part_m2=inter.geometry.area).groupby(unit_column)["part_m2"].sum()
    covered = (units[unit_column].map(inside).fillna(0.0) / units.geometry.area.where(units.geometry.area > 0)).fillna(0.0)
    short = covered < MIN_INTERPOLATED_SHARE
    if short.any():
        names = ", ".join(f"{n} ({c:.0%})" for n, c in zip(units.loc[short, unit_column].head(3), covered[short].head(3)))
        raise HotspotError(f"households cannot be interpolated for {int(short.sum())} of {len(units)} units: "
                           f"{names} of their area lies in the LSOA layer (needs {MIN_INTERPOLATED_SHARE:.0%}); "
                           "give the units a 'households' column")
    used = inter[inter["share"] > 0.005].sort_values([unit_column, "share"], ascending=[True, False])
    labels = [f"{i} {share:.0%}" for i, share in zip(used["source_id"], used["share"])]
    sources = used.assign(label=labels).groupby(unit_column)["label"].agg("; ".join)
    out = units.copy()
    out["households"] = out[unit_column].map(inter.groupby(unit_column)["hh"].sum()).fillna(0.0).round().astype(int)
    out["households_from"] = out[unit_column].map(sources).fillna("")
    return out
