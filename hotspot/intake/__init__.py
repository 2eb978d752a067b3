"""Incident intake: read, validate and project crime records.

Every input row ends in exactly one of three places:

* **accepted** - a row of the returned GeoDataFrame, projected into the
  working CRS (metres);
* **rejected** - a row of the rejects table, with the file, the row number
  (1 = first data row), the column at fault and a reason;
* **filtered** - a row of another crime type than asked for (counted, not an
  error).

``rows == accepted + rejected + filtered`` always holds.

Stages
------
:func:`read_incidents` runs six named stages over per-source records (the
source's rows as a DataFrame plus one status per row):
``_stage_parse`` (rows, columns by role, coordinates in their own CRS, dates,
ids) -> ``_stage_coordinates`` (zero, out-of-range, swapped, future) ->
``_stage_crs`` (the working CRS) -> ``_stage_project`` -> ``_stage_area``
(membership) -> ``_stage_duplicates``. A stage never drops a row: it marks it
with :func:`_mark` (the first reason wins), and :func:`_account` alone turns
the marks into accepted, rejected and filtered rows and checks the counts.

Duplicates
----------
A *duplicate* is a row whose incident id was already accepted earlier in the
input (any file, input order). The first row is kept and the later ones are
rejected with reason ``"duplicate id"`` naming the kept row. In the police.uk
Barnet extract the 412 extra rows of duplicated Crime IDs repeat the same
month and snap point and differ only in ``Last outcome category``; in the
Cincinnati file one ``incident_no`` carries one row per offence or victim. In
both cases one id is one burglary, and counting it twice would invent
"repeat" victimisations.

Area membership
---------------
With an ``area``, a row belongs to it by one of two rules, chosen once:

* **police.uk attribution** - when rows carry a police.uk ``LSOA name``
  ("<district name> 001A") and the district part of some rows equals the
  area's name (or the area's boundary layer is a layer of those districts:
  at least half the districts named by the rows are units of it),
  membership follows police.uk's own LSOA attribution: rows of
  the area's LSOAs are accepted when their point lies inside the area or
  within the edge tolerance of it (police.uk snaps crimes on a boundary road
  to the road's centre line, a few metres over the line); rows of the area's
  LSOAs farther out are rejected (``"outside area"``, with the distance), and
  rows of other districts' LSOAs are rejected even when the point falls
  inside the polygon, so neighbouring areas never count one crime twice.
* **point in polygon** - otherwise. A point within the edge tolerance
  outside the polygon is accepted only when no other polygon of the area's
  boundary layer contains it (so it is not also counted by a neighbour).

The tolerance is ``area_buffer`` metres, default
:data:`hotspot.settings.AREA_EDGE_TOLERANCE`.

Dates
-----
Day/month order is decided once per date column, never per row: ISO 8601
(year first) as it is; for ``dd/mm/yyyy``-like columns a first field above
12 in some row proves day-first and a second field above 12 proves
month-first. A column proving both is refused, and so is a column where no
row proves either, unless ``date_format`` is given. What was decided is in
:attr:`IntakeResult.detected`.

Unusable input
--------------
When rows were read but every one of them is rejected, :func:`read_incidents`
raises :class:`UnusableInputError` naming the commonest reason, instead of
returning nothing.

Layout
------
* :mod:`~hotspot.intake.files` - input files into raw tables (decoding,
  delimiters, streamed CSVs, workbooks, GIS layers, stores, DataFrames);
* :mod:`~hotspot.intake.columns` - columns by role, the source's record
  started, NUL bytes, derived ids;
* :mod:`~hotspot.intake.coords` - coordinates read, cross-checked and judged
  (zero, out of range, swapped);
* :mod:`~hotspot.intake.dates` - the date column, its day/month order and
  precision;
* :mod:`~hotspot.intake.membership` - area membership;
* :mod:`~hotspot.intake.dedupe` - duplicate ids, overlapping inputs;
* :mod:`~hotspot.intake.record` - the per-source record and its marks;
* :mod:`~hotspot.intake.result` - :class:`IntakeResult` and the row
  accounting;
* :mod:`~hotspot.intake.stages` - :func:`read_incidents` and its stages.

A test that patches a name patches it in the submodule that looks it up
(e.g. ``hotspot.intake.files.STREAM_CSV_BYTES``): the names below are
re-exported for importing, not for patching.
"""

from ..columns import COLUMN_ALIASES as COLUMN_ALIASES  # moved below intake and hotspot.io; old imports work
from ..columns import POLICE_UK_COLUMNS as POLICE_UK_COLUMNS
from ..columns import lsoa_district as lsoa_district  # the police.uk LSOA-name rule's one copy
from ..incidents import Incidents as Incidents  # the value intake hands every job and analysis
from .coords import SWAP_NEARER
from .dates import decide_date_order
from .files import STREAM_CSV_BYTES, Format, IncidentInput, InputFile, sniff_format
from .result import REASONS, STANDARD_COLUMNS, IntakeResult, UnusableInputError, has_month_dates
from .stages import read_incidents, read_incidents_near

__all__ = ["COLUMN_ALIASES", "POLICE_UK_COLUMNS", "REASONS", "STANDARD_COLUMNS", "STREAM_CSV_BYTES", "SWAP_NEARER",
           "Format", "IncidentInput", "Incidents", "InputFile", "IntakeResult", "UnusableInputError", "decide_date_order",
           "has_month_dates", "lsoa_district", "read_incidents", "read_incidents_near", "sniff_format"]
