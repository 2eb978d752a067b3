"""Tables in and out: Parquet / GeoParquet files, PostgreSQL + PostGIS tables, the one table writer.

Tables, not incidents: what an input holds is validated by :mod:`hotspot.intake`.
One file per topic: :mod:`~hotspot.io.urls` (recognising sources),
:mod:`~hotspot.io.source` (the source), :mod:`~hotspot.io.parquet`,
:mod:`~hotspot.io.postgis`, :mod:`~hotspot.io.write` (writing),
:mod:`~hotspot.io.paths` (input paths) and :mod:`~hotspot.io.raw` (the raw table).

Reading
-------
A *store source* is a ``*.parquet`` path or a ``postgresql://USER@HOST:PORT/DB?table=NAME``
(or ``?sql=SELECT ...``) URL. :class:`StoreSource` reads it into a raw table in
the input's own columns (strings, ``""`` for missing values, like a CSV read;
a GeoDataFrame when the store holds geometries), indexed by the row's number
in the source, and :func:`hotspot.intake.read_incidents` validates it exactly
as any other input, so ``rows == accepted + rejected + filtered`` holds.

Only the rows that can matter are read ("push-down"):

* ``bbox`` (lon/lat degrees): Parquet row groups whose coordinate statistics
  miss the box are skipped and the rest filtered row group by row group (peak
  memory: one row group plus the result); in PostGIS a ``geom && envelope``
  clause uses the GIST index;
* ``lsoa_prefix`` (police.uk data): rows whose ``LSOA name`` is
  ``"<prefix> NNNX"``; in the London file (sorted by LSOA code) a borough
  touches 2-4 of the 12 row groups;
* ``months`` (first, last ``YYYY-MM``): police.uk ``Month`` strings, or
  timestamp columns.

Rows not read are reported as a note on the read (``read N of M rows``); they
are not input rows of that read, so the row count holds over the rows read.

Writing
-------
:func:`write_table` is the one writer for every table output: ``.geojson``
(EPSG:4326, RFC 7946), ``.gpkg``, ``.csv`` (geometry as WKT), ``.parquet``
(GeoParquet with a bbox covering column) and ``postgresql://...?table=NAME``.
Database outputs carry ``run_id``, ``run_params`` (JSON) and ``written_at``
columns; writing the same run again replaces that run's rows in one
transaction (idempotent). :func:`load_incidents` writes validated incidents
(standard columns, geometry in the working CRS, a GIST index) and their
rejects to a sibling table ``<table>_rejects``.
"""

from __future__ import annotations

from .parquet import parquet_columns, read_parquet_raw
from .paths import expand_paths
from .postgis import read_postgis_raw
from .raw import LSOA_NAME_COLUMN, ROW_ORDER_COLUMNS, BBox
from .source import (
    BBOX_MARGIN_DEG,
    StoreSource,
    area_bbox_lonlat,
    as_source,
    is_store,
    month_extent,
    push_down,
    read_store,
)
from .urls import PG_SCHEMES, PgTarget, engine, is_pg_url, one_statement, parse_pg_url, query_from, read_only
from .write import RUN_ID_IGNORES, csv_safe, input_identity, load_incidents, run_id_for, write_table

__all__ = [
    "BBOX_MARGIN_DEG", "BBox", "LSOA_NAME_COLUMN", "PG_SCHEMES", "PgTarget", "ROW_ORDER_COLUMNS", "RUN_ID_IGNORES",
    "StoreSource", "area_bbox_lonlat", "as_source", "csv_safe", "engine", "expand_paths", "input_identity",
    "is_pg_url", "is_store", "load_incidents", "month_extent", "one_statement", "parquet_columns", "parse_pg_url",
    "push_down", "query_from", "read_only", "read_parquet_raw", "read_postgis_raw", "read_store", "run_id_for",
    "write_table",
]
