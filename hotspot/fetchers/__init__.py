"""Online fetchers for areas beyond the shipped reference data.

* **Streets** from OpenStreetMap through osmnx (Overpass API): the street
  network of the area's polygon buffered by ``buffer_m``, with names and refs,
  for routing the patrol brief and naming ANPR sites and targets.
* **Postcode units** from OS Code-Point Open (downloaded from the OS Downloads
  API) or from an ONS Postcode Directory (ONSPD) zip/CSV the user downloaded:
  parsed into the columns of the shipped
  ``postcodes/london_codepoint_open_units.parquet``.
* **Units with households**: LSOA (December 2021) or ward (May 2024) polygons
  from the ONS Open Geography ArcGIS FeatureServer and Census 2021 TS041
  households per LSOA from the Nomis API; ward households by areal
  interpolation from those LSOAs (the LSOAs used are listed).

Every layer is cached under ``<cache>/fetched/<kind>/`` keyed by the area
(name and a tag of its outline), the buffer and the options, with a JSON
sidecar holding the source address, licence and attribution and the row
counts. A cached layer is used without touching the network. The service
addresses are :mod:`hotspot.settings` values read at call time.

The package, one topic a file:

* :mod:`~hotspot.fetchers.cache` - the fetched layer (:class:`FetchedLayer`),
  its cache and sidecar, and the HTTP plumbing;
* :mod:`~hotspot.fetchers.streets` - streets from OpenStreetMap
  (:func:`fetch_roads`);
* :mod:`~hotspot.fetchers.postcodes` - postcode units from Code-Point Open or
  the ONSPD (:func:`fetch_postcodes`);
* :mod:`~hotspot.fetchers.units` - ONS units with Census households
  (:func:`fetch_units`);
* :mod:`~hotspot.fetchers.layers` - one entry point (:func:`fetch_layer`) and
  the preference of a fetched street network over the proxy road layers.
"""

from .cache import FetchedLayer, area_key
from .layers import (
    DEFAULT_BUFFER_M,
    PROXY_ROAD_LAYERS,
    fetch_layer,
    fetched_or_reference_roads,
    prefer_fetched_streets,
    street_layer_name,
    street_layer_note,
)
from .postcodes import (
    CODEPOINT_ATTRIBUTION,
    CODEPOINT_COLUMNS,
    POSTCODE_COLUMNS,
    fetch_postcodes,
    read_postcode_directory,
)
from .streets import NETWORK_TYPES, OSM_ATTRIBUTION, cached_street_network, fetch_roads
from .units import ONS_ATTRIBUTION, UNIT_LEVELS, arcgis_features, fetch_units, nomis_households

__all__ = ["CODEPOINT_ATTRIBUTION", "CODEPOINT_COLUMNS", "DEFAULT_BUFFER_M", "FetchedLayer", "NETWORK_TYPES",
           "ONS_ATTRIBUTION", "OSM_ATTRIBUTION", "POSTCODE_COLUMNS", "PROXY_ROAD_LAYERS", "UNIT_LEVELS",
           "arcgis_features", "area_key", "cached_street_network", "fetch_layer", "fetch_postcodes", "fetch_roads",
           "fetch_units", "fetched_or_reference_roads", "nomis_households", "prefer_fetched_streets",
           "read_postcode_directory", "street_layer_name", "street_layer_note"]
