"""The ``nanobeats`` job: an area's patrol targets and route as of a date,
the one entry point of the ``nanobeats`` and ``brief`` commands and of the
run's ``nano-beats`` stage.

The options (:class:`~hotspot.nanobeats.NanoBeatOptions`, re-exported here)
hold the job's defaults, read from :mod:`hotspot.settings` when a plan is
made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..areas import Area
from ..context import Context
from ..incidents import IncidentsLike
from ..nanobeats import NanoBeatOptions as NanoBeatOptions  # the job's options
from ..nanobeats import NanoBeatPlan, plan_nanobeats


def plan_patrols(area: Area, incidents: IncidentsLike, as_of: str | pd.Timestamp,
                 options: NanoBeatOptions | None = None, *, roads: gpd.GeoDataFrame | None = None,
                 context: Context | None = None, fetched: Any = None) -> NanoBeatPlan:
    """Nano-beat targets and their patrol route (:func:`hotspot.nanobeats.plan_nanobeats`).

    Parameters
    ----------
    area : Area
        The study area.
    incidents : Incidents or GeoDataFrame
        The area's incidents (working CRS, metres) (an :class:`~hotspot.incidents.Incidents` carries
        its time unit: days or months).
    as_of : str or Timestamp
        Planning date; burglaries before it are used.
    options : NanoBeatOptions, optional
        Window (metres and days or months), targets, cell (metres) ...;
        default :mod:`hotspot.settings`' values.
    roads : GeoDataFrame, optional
        Street lines: risk per street segment and a route along them.
    context : Context, optional
        Incidents across the boundary within the near-repeat distance.
    fetched : FetchedLayer, optional
        The street network fetched for the area that ``roads`` was read
        from (``hotspot fetch roads``): a note says so.

    Returns
    -------
    NanoBeatPlan
    """
    plan = plan_nanobeats(incidents, area, as_of, options, roads=roads, context=context)
    if fetched:
        from ..fetchers import street_layer_note

        plan.notes.append(street_layer_note(fetched))
    return plan


def street_layer(paths: list[Path], crs: Any) -> gpd.GeoDataFrame:
    """One street layer (lines with a 'road' column) from one or more files.

    Parameters
    ----------
    paths : list of Path
        Street line files (GeoJSON/GPKG, or OSM XML).
    crs : CRS-like
        The working CRS (metres).

    Returns
    -------
    GeoDataFrame
    """
    from ..crossborder import read_roads

    layers = [read_roads(p, crs) for p in paths]
    return layers[0] if len(layers) == 1 else gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=crs)
