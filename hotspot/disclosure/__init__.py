"""Disclosure control: outputs safe to publish, and a checker for any file.

Rules (``--public``)
--------------------
* **No incident points or exact coordinates.** Nothing drawn at an incident's
  location: no markers, heat points or per-incident features. Counts are
  published per grid cell (default 250 m) or per street/unit only.
* **k rule.** A count is shown only when it is at least ``k`` (default
  :data:`K_DEFAULT` = 8); smaller counts are suppressed (not drawn, not
  written). The default follows police.uk's own anonymisation: every
  published map point stands for at least eight postal addresses (or none),
  so no published figure should single out fewer households than police.uk
  already does. Counts shown are bands ``k`` wide (:func:`count_bands`),
  never exact numbers.
* **Fixed windows** (:func:`public_window`): counts cover the latest whole
  fixed window (a calendar year by default), never a sliding or all-time
  one, so releases are identical or disjoint and cannot be subtracted.
* **No street of an exact address** (:func:`exact_address_streets`): from a
  force's own address text, public plans give postcode sectors and units,
  not the streets of burgled addresses.
* **Dates no finer than the month** for exact-date records.
* **Density surfaces** (:func:`public_surface`) are published only when they
  cannot be inverted back to points: a kernel density is a blurred copy of
  the points, and with exact values and a known kernel the blur can be
  undone (deconvolution). So (1) the bandwidth is at least
  :data:`MIN_PUBLIC_BANDWIDTH` (250 m) and at least twice the cell, and the
  cell at least :data:`MIN_PUBLIC_CELL` (100 m): one burglary spreads over
  about 0.1 km^2 (hundreds of homes); (2) a cell is shown only when at least
  ``k`` incidents lie within the bandwidth of it; (3) values are published
  as :data:`PUBLIC_CLASSES` ordered classes, never as numbers, which removes
  the precision deconvolution needs.

Checker (:func:`check_public`)
------------------------------
Reads HTML, GeoJSON/JSON, GeoPackage, CSV, Parquet and PDF (text by
poppler's ``pdftotext``) and reports (1) any coordinate pair - markers,
heat/cluster arrays, ``L.latLng``, Point features, WKT, lon/lat or
eastings/northings in any order, any two numeric columns - within
``distance`` metres (default 25) of an input incident, (2) any polygon or
line feature so small (extent under ``2 x distance``) that it pinpoints a
place, (3) any count below ``k`` (count-like columns and keys of any dtype,
numbers held as text, arrays, and "N burglaries" / "Burglaries: N" text in
every text column, tooltip and legend) and (4) with exact-address input, the
street of any incident.
Map view settings (centre, bounds) are not data and are ignored. MaskMyPy
(masking and k-anonymity checks of point sets) was considered: it masks
points to publish them, while these outputs publish no points at all and the
check has to read HTML/CSV/GeoJSON text; it is also not in this project's
package index, so the checks are written here.

The package, one topic a file:

* :mod:`~hotspot.disclosure.rules` - the rules' numbers (``k``, cells,
  bandwidths, windows) and what a count looks like in an output;
* :mod:`~hotspot.disclosure.publish` - writing public outputs (windows,
  banded cells, hotspots, surfaces, plans);
* :mod:`~hotspot.disclosure.check` - the leak scan of any file
  (:func:`check_public`);
* :mod:`~hotspot.disclosure.releases` - what two releases give away together
  (:func:`release_differences`).
"""

from .check import COUNT_LABEL, Finding, check_public, exact_address_streets
from .publish import (
    check_surface_rule,
    count_bands,
    in_public_window,
    longest_public_window,
    postcode_sector,
    public_campaign_json,
    public_cells,
    public_hotspots,
    public_plan_frame,
    public_surface,
    public_window,
    suppress_counts,
)
from .releases import release_differences
from .rules import (
    CHECK_DISTANCE,
    COUNT_KEYS,
    COUNT_TEXT,
    K_DEFAULT,
    MIN_PUBLIC_BANDWIDTH,
    MIN_PUBLIC_CELL,
    PUBLIC_CELL,
    PUBLIC_CLASSES,
    PUBLIC_WINDOW_MONTHS,
)

__all__ = ["CHECK_DISTANCE", "COUNT_KEYS", "COUNT_LABEL", "COUNT_TEXT", "Finding", "K_DEFAULT", "MIN_PUBLIC_BANDWIDTH",
           "MIN_PUBLIC_CELL", "PUBLIC_CELL", "PUBLIC_CLASSES", "PUBLIC_WINDOW_MONTHS", "check_public",
           "check_surface_rule", "count_bands", "exact_address_streets", "in_public_window", "longest_public_window",
           "postcode_sector", "public_campaign_json", "public_cells", "public_hotspots", "public_plan_frame",
           "public_surface", "public_window", "release_differences", "suppress_counts"]
