"""Compatibility: the store code moved to :mod:`hotspot.io` (issue 23); ``hotspot.stores.X`` keeps working.

New code imports from the :mod:`hotspot.io` modules. Patching a name here does not change what the
moved code looks up: patch it in its module (``hotspot.io.write._copy_rows``).
"""

from __future__ import annotations

from .io.parquet import _read_geoparquet as _read_geoparquet
from .io.parquet import _rg_stats as _rg_stats
from .io.parquet import _RowFilter as _RowFilter
from .io.parquet import parquet_columns as parquet_columns
from .io.parquet import read_parquet_raw as read_parquet_raw
from .io.paths import expand_paths as expand_paths
from .io.postgis import _geom_srid as _geom_srid
from .io.postgis import _pg_columns as _pg_columns
from .io.postgis import _pg_order as _pg_order
from .io.postgis import _pg_rows as _pg_rows
from .io.postgis import _pg_source as _pg_source
from .io.postgis import _pg_where as _pg_where
from .io.postgis import read_postgis_raw as read_postgis_raw
from .io.raw import LSOA_NAME_COLUMN as LSOA_NAME_COLUMN
from .io.raw import ROW_ORDER_COLUMNS as ROW_ORDER_COLUMNS
from .io.raw import BBox as BBox
from .io.raw import _to_strings as _to_strings
from .io.source import BBOX_MARGIN_DEG as BBOX_MARGIN_DEG
from .io.source import StoreSource as StoreSource
from .io.source import area_bbox_lonlat as area_bbox_lonlat
from .io.source import as_source as as_source
from .io.source import is_store as is_store
from .io.source import month_extent as month_extent
from .io.source import push_down as push_down
from .io.source import read_store as read_store
from .io.urls import _ENGINES as _ENGINES
from .io.urls import _SQL_TOKEN as _SQL_TOKEN
from .io.urls import PG_SCHEMES as PG_SCHEMES
from .io.urls import PgTarget as PgTarget
from .io.urls import _first_line as _first_line
from .io.urls import _fix_url as _fix_url
from .io.urls import _q as _q
from .io.urls import _split_netloc as _split_netloc
from .io.urls import _table_sql as _table_sql
from .io.urls import engine as engine
from .io.urls import is_pg_url as is_pg_url
from .io.urls import one_statement as one_statement
from .io.urls import parse_pg_url as parse_pg_url
from .io.urls import query_from as query_from
from .io.urls import read_only as read_only
from .io.write import _FORMULA_START as _FORMULA_START
from .io.write import RUN_ID_IGNORES as RUN_ID_IGNORES
from .io.write import _copy_rows as _copy_rows
from .io.write import _create_indexes as _create_indexes
from .io.write import _delete_run as _delete_run
from .io.write import _geo as _geo
from .io.write import _replace_run as _replace_run
from .io.write import _require_postgis as _require_postgis
from .io.write import _with_table as _with_table
from .io.write import _write_file as _write_file
from .io.write import _write_pg as _write_pg
from .io.write import _write_transaction as _write_transaction
from .io.write import csv_safe as csv_safe
from .io.write import input_identity as input_identity
from .io.write import load_incidents as load_incidents
from .io.write import run_id_for as run_id_for
from .io.write import write_table as write_table
