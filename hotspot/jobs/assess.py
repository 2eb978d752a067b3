"""The ``assess`` job: did the patrols, leaflets or cameras work? The one
entry point of the ``assess`` command and of the run's ``assess`` stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from ..areas import Area
from ..assess import AssessmentResult, assess_intervention
from ..assess import AssessOptions as AssessOptions  # the job's options
from ..incidents import IncidentsLike, as_frame
from .reference import optional_reference


def plan_assessment(area: Area, incidents: IncidentsLike, intervention: Any,
                    options: AssessOptions | None = None) -> AssessmentResult:
    """Treated vs control before/after, displacement, regression to the mean
    (:func:`hotspot.assess.assess_intervention`).

    Parameters
    ----------
    area : Area
        The study area.
    incidents : Incidents or GeoDataFrame
        The area's incidents.
    intervention : path or GeoDataFrame
        The treated places (nano-beat targets, ANPR sites, a leaflet plan, a layer).
    options : AssessOptions, optional
        Dates, buffer (metres), control, visits, placebos, units.

    Returns
    -------
    AssessmentResult
    """
    return assess_intervention(as_frame(incidents), area, intervention, options)


def leaflet_units(intervention: Path, data: Path | None, area: Area) -> gpd.GeoDataFrame | None:
    """The reference LSOAs for a leaflet plan given without ``--units`` (None otherwise).

    Parameters
    ----------
    intervention : Path
        The treated places' file.
    data : Path, optional
        Reference data folder.
    area : Area
        The study area.

    Returns
    -------
    GeoDataFrame or None
    """
    from ..assess.layers import detect_kind

    if intervention.suffix.lower() != ".csv" or not intervention.is_file():
        return None
    import pandas as pd

    if detect_kind(list(pd.read_csv(intervention, nrows=0).columns)) != "leaflets":
        return None
    ref = optional_reference(data)
    return ref.lsoa_units(area) if ref is not None else None
