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
               postcodes: Path | gpd.GeoDataFrame | None = None, postcode_column: str | None = None,
               data: Path | None = None, reference: bool = True) -> PatrolBrief:
    """The briefing's rows: numbered targets in patrol order, why, until when.

    The one entry point of the ``brief`` command and of the run's brief (its
    ``audiences`` stage), which passes the postcodes it read and its streets.

    Parameters
    ----------
    plan : NanoBeatPlan
        The nano-beat plan (:func:`hotspot.jobs.nanobeats.plan_patrols`).
    area : Area
        The study area.
    roads : GeoDataFrame, optional
        The street lines the plan used (street names).
    postcodes : Path or GeoDataFrame, optional
        Postcode layer (points or polygons), as a file or already read
        (:func:`hotspot.places.read_postcodes`); default the reference data's
        postcode units, if any.
    postcode_column : str, optional
        Postcode column of a ``postcodes`` file.
    data : Path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``).
    reference : bool
        Fill the postcodes from the reference data when none are given
        (False: only what is given, as the run, whose configuration names its layers).

    Returns
    -------
    PatrolBrief
    """
    if isinstance(postcodes, gpd.GeoDataFrame) or (postcodes is None and not reference):
        pcs = postcodes
    else:
        pcs = postcode_layer(postcodes, area.crs, column=postcode_column, data=data)
    return patrol_brief(plan, area, roads=roads, postcodes=pcs)
