"""The ``leaflets`` job (a prevention campaign): leaflets and timer switches
for the units of highest expected burglary, with the campaign window and a
drop list; the reference data fill the LSOAs and postcodes not given.

One entry point, :func:`plan_leaflets_for_area`, serves the ``leaflets``
command and the run's ``campaign`` stage (which passes its LSOA files, its
selected forecast surface and ``min_coverage``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from .. import settings
from .._errors import UnitCoverageError
from ..areas import Area
from ..campaigns import CampaignPlan, lsoa_units, plan_leaflets, unit_coverage
from ..incidents import IncidentsLike, as_frame
from .reference import optional_reference, postcode_layer, read_layer


def plan_leaflets_for_area(area: Area, incidents: IncidentsLike, *, units: Path | None = None,
                           unit_column: str | None = None, lsoa_file: Path | None = None,
                           households_file: Path | None = None,
                           postcodes: Path | gpd.GeoDataFrame | None = None, postcode_column: str | None = None,
                           data: Path | None = None, reference: bool = True, min_coverage: float | None = None,
                           **options: Any) -> CampaignPlan:
    """A prevention campaign's plan for an area: :func:`hotspot.campaigns.plan_leaflets`
    with the layers resolved from files and, unless ``reference`` is False, the reference data.

    Parameters
    ----------
    area : Area
        The study area.
    incidents : Incidents or GeoDataFrame
        The area's incidents (working CRS, metres).
    units : Path, optional
        Polygon layer of units (default: the LSOAs).
    unit_column : str, optional
        Name/id column of ``units``.
    lsoa_file, households_file : Path, optional
        LSOA polygons and Census households per LSOA (default: the reference data's).
    postcodes : Path or GeoDataFrame, optional
        Postcode layer for the drop list, as a file or already read (default: the reference data's).
    postcode_column : str, optional
        Postcode column of a ``postcodes`` file.
    data : Path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``).
    reference : bool
        Fill the layers not given from the reference data (False: only what is given).
    min_coverage : float, optional
        Refuse when the units reach less than this share (0-1, unitless) of the area's burglaries.
    **options
        ``method``, ``surface``, ``leaflets``, ``timer_switches``, ``rule``, ``year``, ``as_of`` of
        :func:`hotspot.campaigns.plan_leaflets`; budgets and rule default to ``settings.CAMPAIGN_*``.

    Returns
    -------
    CampaignPlan

    Raises
    ------
    UnitCoverageError
        The units reach less than ``min_coverage`` of the burglaries.
    """
    incidents = as_frame(incidents)
    # the budgets' and rule's defaults read from settings now (a change at run time counts), the caller's win
    chosen: dict[str, Any] = {"method": settings.CAMPAIGN_METHOD, "leaflets": settings.CAMPAIGN_LEAFLETS,
                              "timer_switches": settings.CAMPAIGN_TIMER_SWITCHES, "rule": settings.CAMPAIGN_RULE} | options
    if lsoa_file is not None and households_file is not None:
        lsoas = lsoa_units(lsoa_file, households_file, area)
    else:
        ref = optional_reference(data) if reference else None
        lsoas = ref.lsoa_units(area) if ref is not None else None
    if isinstance(postcodes, gpd.GeoDataFrame) or (postcodes is None and not reference):
        pcs = postcodes
    else:
        pcs = postcode_layer(postcodes, area.crs, column=postcode_column, data=data)
    user_units = read_layer(units, area.crs) if units else None
    if min_coverage is not None and user_units is None and lsoas is not None:
        share = unit_coverage(lsoas, area, incidents)
        if share < min_coverage:
            raise UnitCoverageError(f"the unit layer reaches {share:.0%} of {area.name}'s burglaries "
                                    f"(needs {min_coverage:.0%})")
    return plan_leaflets(area, incidents, units=user_units, unit_column=unit_column, lsoas=lsoas, postcodes=pcs,
                         **chosen)
