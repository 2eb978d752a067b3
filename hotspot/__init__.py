"""hotspot: turn geocoded burglary records into patrol, camera and
prevention plans.

The package has one module per concept:

* :mod:`hotspot.intake` - read, validate and project incident records;
* :mod:`hotspot.areas` - boundary layers, areas, neighbours, fringes;
* :mod:`hotspot.sources` - police.uk and boundary downloads, local mirrors;
* :mod:`hotspot.render` - maps, pages and charts, one module per result
  (analytics modules return results and draw nothing);
* :mod:`hotspot.pipeline` - the end-to-end ``hotspot demo`` job;
* :mod:`hotspot.jobs` - the application layer above the analytics (the
  reference data folder, the jobs' defaults); nothing below imports it.

All distances are metres in a projected working CRS (:mod:`hotspot.crs`).
"""

from ._errors import (
    AreaError,
    CRSError,
    DataPrecisionError,
    FetchError,
    HotspotError,
    InputFileError,
    ModelError,
)
from .areas import Area, find_area, load_area, load_boundaries, neighbours
from .intake import Incidents, IntakeResult, read_incidents

__version__ = "0.1.0"

__all__ = [
    "Area", "AreaError", "CRSError", "DataPrecisionError", "FetchError", "HotspotError", "InputFileError",
    "Incidents", "IntakeResult", "ModelError", "find_area", "load_area", "load_boundaries", "neighbours", "read_incidents",
    "__version__",
]
