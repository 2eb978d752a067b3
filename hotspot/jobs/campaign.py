"""The ``leaflets`` job (a prevention campaign): leaflets and timer switches
for the units of highest expected burglary, with the campaign window and a
drop list; the reference data fill the LSOAs and postcodes not given.

The run's ``campaign`` stage plans from the LSOAs with Census households and
the run's forecast surface (:func:`plan_run_campaign`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..areas import Area
from ..campaigns import CampaignPlan, lsoa_units, plan_campaign, plan_leaflets, unit_coverage
from .reference import optional_reference, postcode_layer, read_layer


def plan_leaflets_for_area(area: Area, incidents: gpd.GeoDataFrame, *, units: Path | None = None,
                           unit_column: str | None = None, postcodes: Path | None = None,
                           postcode_column: str | None = None, data: Path | None = None,
                           **options: Any) -> CampaignPlan:
    """The ``leaflets`` command's plan: :func:`hotspot.campaigns.plan_leaflets`
    with the reference data's LSOAs and postcodes when found.

    Parameters
    ----------
    area : Area
        The study area.
    incidents : GeoDataFrame
        The area's incidents.
    units : Path, optional
        Polygon layer of units (default: the reference data's LSOAs).
    unit_column : str, optional
        Name/id column of ``units``.
    postcodes : Path, optional
        Postcode layer for the drop list (default: the reference data's).
    postcode_column : str, optional
        Postcode column of ``postcodes``.
    data : Path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``).
    **options
        ``method``, ``leaflets``, ``timer_switches``, ``rule``, ``year``,
        ``as_of`` of :func:`hotspot.campaigns.plan_leaflets`.

    Returns
    -------
    CampaignPlan
    """
    ref = optional_reference(data)
    pcs = postcode_layer(postcodes, area.crs, column=postcode_column, data=data)
    return plan_leaflets(area, incidents, units=read_layer(units, area.crs) if units else None,
                         unit_column=unit_column, lsoas=ref.lsoa_units(area) if ref is not None else None,
                         postcodes=pcs, **options)


def plan_run_campaign(area: Area, incidents: gpd.GeoDataFrame, lsoa_file: Path, households_file: Path, *,
                      surface: Any = None, as_of: pd.Timestamp | None = None,
                      postcodes: gpd.GeoDataFrame | None = None) -> CampaignPlan | str:
    """The run's campaign: LSOAs with Census households, the run's forecast.

    Parameters
    ----------
    area : Area
        The study area.
    incidents : GeoDataFrame
        The area's incidents.
    lsoa_file, households_file : Path
        LSOA polygons and Census households per LSOA.
    surface : Surface, optional
        The run's forecast surface.
    as_of : Timestamp, optional
        Planning date.
    postcodes : GeoDataFrame, optional
        Postcode points for the drop list.

    Returns
    -------
    CampaignPlan or str
        The plan, or why there is none (the units reach too few burglaries).
    """
    units = lsoa_units(lsoa_file, households_file, area)
    share = unit_coverage(units, area, incidents)
    if share < 0.95:
        return f"the unit layer reaches {share:.0%} of {area.name}'s burglaries (needs 95 %)"
    return plan_campaign(units, incidents, surface=surface, as_of=as_of, postcodes=postcodes)
