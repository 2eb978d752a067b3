"""Campaign units: the polygons a campaign targets, with their households.

Any polygon layer with a households column: 2011 LSOAs joined to Census 2011
household counts (:func:`lsoa_units`), or any other layer (postcode districts,
hotspot polygons) whose households are interpolated from LSOAs by area
(:func:`campaign_units`, through :mod:`hotspot.campaigns.households`);
:func:`unit_coverage` says how much of the area (or of its burglaries) the
units reach.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import shapely

from .._errors import HotspotError, InputFileError
from ..areas import Area
from ..readonce import read_csv_once
from .households import interpolate_households


def lsoa_units(boundaries: str | Path | gpd.GeoDataFrame, census_csv: str | Path, area: Area, *,
               code_column: str = "LSOA11CD") -> gpd.GeoDataFrame:
    """LSOAs of the area (centroid inside it) with Census 2011 households.

    Parameters
    ----------
    boundaries : str, Path or GeoDataFrame
        LSOA polygons (any vector format geopandas reads, or the layer
        already read, e.g. once for many areas).
    census_csv : str or Path
        Census households per LSOA (columns ``lsoa_code``, ``lsoa_name``,
        ``households``).
    area : Area
        The area; an LSOA belongs to it when its representative point lies
        inside.
    code_column : str
        LSOA code column of ``boundaries`` (default ``LSOA11CD``; a layer
        whose only code column is another year's, e.g. ``LSOA21CD``, uses
        that).

    Returns
    -------
    GeoDataFrame
        ``unit`` (LSOA code), ``name``, ``households`` and the polygons, in
        the area's CRS.

    Raises
    ------
    InputFileError
        A column is missing, or an LSOA of the area has no households.
    """
    source = boundaries.attrs.get("source", "") if isinstance(boundaries, gpd.GeoDataFrame) else str(boundaries)
    lsoa = (boundaries if isinstance(boundaries, gpd.GeoDataFrame) else gpd.read_file(boundaries)).to_crs(area.crs)
    # generalised LSOA layers have self-touching rings: overlays need them valid
    lsoa["geometry"] = lsoa.geometry.make_valid()
    codes = [c for c in lsoa.columns if re.fullmatch(r"LSOA\d\dCD", str(c), re.I)]
    if code_column not in lsoa and code_column == "LSOA11CD" and len(codes) == 1:
        code_column = codes[0]  # e.g. 2021 LSOAs (hotspot fetch units) with their own Census households
    if code_column not in lsoa:
        raise InputFileError(f"{boundaries}: column '{code_column}' not found")
    census = read_csv_once(census_csv, dtype={"lsoa_code": str})
    for col in ("lsoa_code", "households"):
        if col not in census:
            raise InputFileError(f"{census_csv}: required column '{col}' is missing")
    inside = lsoa.geometry.representative_point().within(area.geometry)
    # households and names come from the census table only (a layer may carry columns of the same name)
    units = lsoa.loc[inside, [code_column, "geometry"]].merge(
        census[["lsoa_code", "lsoa_name", "households"]], left_on=code_column, right_on="lsoa_code", how="left")
    missing = units["households"].isna()
    if missing.any():
        raise InputFileError(f"{census_csv}: no households for {int(missing.sum())} LSOAs, e.g. "
                             f"{units.loc[missing, code_column].iloc[0]}")
    units = units.rename(columns={code_column: "unit"})
    units["name"] = units["lsoa_name"]
    out = gpd.GeoDataFrame(units[["unit", "name", "households", "geometry"]], geometry="geometry", crs=area.crs)
    # what a plan resting on it must say of it (places.layer_caveats)
    out.attrs["source"] = source
    return out


def campaign_units(area: Area, *, units: gpd.GeoDataFrame | None = None, unit_column: str | None = None,
                   lsoas: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The units a campaign targets, with ``unit``, ``name`` and ``households``.

    Parameters
    ----------
    area : Area
        The area the campaign is for (working CRS).
    units : GeoDataFrame, optional
        The user's polygons (any CRS); those whose representative point lies
        in the area are kept. Households come from their ``households``
        column, else are interpolated from ``lsoas`` by area.
    unit_column : str, optional
        Name/id column of ``units`` (default: the first text column).
    lsoas : GeoDataFrame, optional
        LSOA polygons with Census households (:func:`lsoa_units`): the units
        when ``units`` is not given, and the source for interpolation.

    Returns
    -------
    GeoDataFrame
        The units in the area's CRS with ``unit``, ``name`` and
        ``households``.

    Raises
    ------
    HotspotError
        Neither units nor LSOAs, no name column, or households that cannot be had.
    """
    from ..areas import _string_columns

    if units is None:
        if lsoas is None:
            raise HotspotError("give units (polygons with households) or LSOAs with Census households")
        return lsoas
    u = units.to_crs(area.crs)
    col = unit_column or next(iter(_string_columns(u)), None)
    if col is None or col not in u:
        raise HotspotError(f"the units need a name/id column{f' ({col!r} is not one of them)' if col else ''}: "
                           "give unit_column=", param='unit_column')
    u = u[u.geometry.representative_point().within(area.geometry.buffer(1))].copy()
    if "households" not in u:
        if lsoas is None:
            raise HotspotError("the units have no 'households' column; give LSOAs with households (data_dir=) to "
                               "interpolate them", param='data_dir')
        u = interpolate_households(u, lsoas, unit_column=col)
    u["unit"], u["name"] = u[col].astype(str), u[col].astype(str)
    return u


def unit_coverage(units: gpd.GeoDataFrame, area: Area, incidents: gpd.GeoDataFrame | None = None, *,
                  tolerance: float | None = None) -> float:
    """Share of the area the campaign units cover (0-1): a unit layer that
    misses part of the area would leave its households out.

    With ``incidents``, the share of them within ``tolerance`` metres of a
    unit: what a campaign would miss. Generalised units leave the river
    (the Thames boroughs' polygons reach mid-stream) and slivers along their
    edges, where police.uk snap points on street centrelines lie, so an area
    share under-counts them (City of London 92 %, 72 % of its burglaries
    strictly inside, 100 % within 25 m).

    Parameters
    ----------
    units : GeoDataFrame
        The units (the area's CRS, metres).
    area : Area
        The study area.
    incidents : GeoDataFrame, optional
        The area's incidents (same CRS); without them, the covered share of
        the area's surface.
    tolerance : float, optional
        Metres; default :data:`hotspot.settings.AREA_EDGE_TOLERANCE` (read at
        call time).

    Returns
    -------
    float
        Share of the incidents within reach of a unit, or of the area's
        surface covered.
    """
    from .. import settings

    if not len(units) or area.geometry.area <= 0:
        return 0.0
    covered = shapely.union_all(units.geometry.to_numpy())
    if incidents is not None and len(incidents):
        reach = settings.AREA_EDGE_TOLERANCE if tolerance is None else tolerance
        return float(shapely.dwithin(covered, incidents.geometry.to_numpy(), reach).mean())
    return float(covered.intersection(area.geometry).area / area.geometry.area)
