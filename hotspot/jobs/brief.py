"""The ``brief`` job: a sergeant's one-page patrol briefing from a nano-beat
plan (:mod:`hotspot.jobs.nanobeats`), with the nearest postcodes from the
layer given or the reference data's.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from ..areas import Area
from ..nanobeats import NanoBeatPlan
from ..render.brief import PatrolBrief, patrol_brief
from .reference import postcode_layer


def plan_brief(plan: NanoBeatPlan, area: Area, *, roads: gpd.GeoDataFrame | None = None,
               postcodes: Path | None = None, postcode_column: str | None = None,
               data: Path | None = None) -> PatrolBrief:
    """The briefing's rows: numbered targets in patrol order, why, until when.

    Parameters
    ----------
    plan : NanoBeatPlan
        The nano-beat plan (:func:`hotspot.jobs.nanobeats.plan_patrols`).
    area : Area
        The study area.
    roads : GeoDataFrame, optional
        The street lines the plan used (street names).
    postcodes : Path, optional
        Postcode layer (points or polygons); default the reference data's
        postcode units, if any.
    postcode_column : str, optional
        Postcode column of ``postcodes``.
    data : Path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``).

    Returns
    -------
    PatrolBrief
    """
    pcs = postcode_layer(postcodes, area.crs, column=postcode_column, data=data)
    return patrol_brief(plan, area, roads=roads, postcodes=pcs)
