"""Writing tables: :func:`write_table`, the one writer for every table output, and :func:`load_incidents`.

Outputs are ``.geojson`` (EPSG:4326, RFC 7946), ``.gpkg``, ``.csv`` (geometry
as WKT, formula cells made safe), ``.parquet`` (GeoParquet with a bbox
covering column) and ``postgresql://...?table=NAME``. Database outputs carry
``run_id``, ``run_params`` (JSON) and ``written_at`` columns; writing the same
run again replaces that run's rows in one transaction (idempotent).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import HotspotError, InputFileError, StoreError
from ..columns import constant_column
from .paths import expand_paths
from .postgis import _pg_columns
from .raw import LSOA_NAME_COLUMN, ROW_ORDER_COLUMNS
from .source import StoreSource
from .urls import PgTarget, _first_line, _fix_url, _q, _table_sql, engine, is_pg_url, parse_pg_url

if TYPE_CHECKING:
    from ..intake import IntakeResult


#: Keys of a run's parameters that say where the data were read from, not
#: what they are: stored in ``run_params`` but left out of the run id.
RUN_ID_IGNORES = ("sources",)


def run_id_for(params: Mapping[str, Any] | None) -> str:
    """A deterministic run id: the first 12 hex digits of the SHA-1 of the
    parameters as sorted JSON (same parameters -> same id -> replaced),
    without the keys of :data:`RUN_ID_IGNORES`.

    Parameters
    ----------
    params : mapping, optional
        The run's parameters (values that JSON cannot hold are written with ``str``).

    Returns
    -------
    str
        Twelve hexadecimal digits.
    """
    ident = {k: v for k, v in (params or {}).items() if k not in RUN_ID_IGNORES}
    text = json.dumps(ident, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def input_identity(inputs: Sequence[str | Path | StoreSource]) -> dict[str, list[Any]]:
    """What a run read, for its parameters: ``inputs``, the content of each
    file (SHA-256 and size in bytes; folders expanded as intake expands
    them) or a database source's URL without its password; and ``sources``,
    the resolved paths. With :func:`run_id_for` the run id then comes from
    the data: ``./file``, its absolute path or a copy elsewhere are one run
    (loading again replaces it), while a changed file is another.

    Parameters
    ----------
    inputs : sequence
        Files, folders, ``*.parquet`` paths or ``postgresql://`` URLs, as given.

    Returns
    -------
    dict
        ``{"inputs": [...], "sources": [...]}``, safe to store (no password).

    Raises
    ------
    InputFileError
        A path that does not exist.
    """
    from ..sources import _sha256  # the downloads' checksum: SHA-256 read in 1 MiB blocks

    ident: list[Any] = []
    sources: list[str] = []
    for f in expand_paths(list(inputs)):
        if isinstance(f, StoreSource) and f.is_pg:
            ident.append({"postgresql": str(f)})  # str() is the URL without the password
            sources.append(str(f))
            continue
        path = Path(f.location if isinstance(f, StoreSource) else f).resolve()
        ident.append({"sha256": _sha256(path), "bytes": path.stat().st_size})
        sources.append(str(path))
    return {"inputs": ident, "sources": sources}


#: Characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell that a spreadsheet would run as a
    formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return)
    prefixed with ``'``, so a location text such as ``=HYPERLINK(...)`` in
    the input is shown, not run, when a CSV output is opened in Excel.

    Parameters
    ----------
    table : DataFrame
        Any table; numbers are left as they are.

    Returns
    -------
    DataFrame
        A copy with its text cells made safe.
    """
    out = pd.DataFrame(table).copy()
    for col in out.columns:
        dtype = out[col].dtype
        # a Categorical is text too (a large CSV's repetitive columns arrive as one): map() maps its categories
        if out[col].dtype == object or pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def write_table(table: pd.DataFrame, dest: str | Path, *, layer: str | None = None, run_id: str | None = None,
                params: Mapping[str, Any] | None = None, index_columns: Sequence[str] = ()) -> str:
    """Write a table output: the one writer for GeoJSON, GeoPackage, CSV,
    GeoParquet and PostGIS.

    Parameters
    ----------
    table : DataFrame or GeoDataFrame
        The rows to write.
    dest : path or ``postgresql://...?table=NAME`` URL
        ``.geojson`` (written in EPSG:4326 as RFC 7946 requires), ``.gpkg``
        (``layer``), ``.csv`` (geometry as WKT in the table's CRS), ``.parquet``
        (GeoParquet 1.1 with a bbox covering column for geometries).
    layer : str, optional
        GeoPackage layer name (default: the file's name).
    run_id : str, optional
        Database outputs only: the run's id (default: :func:`run_id_for`
        ``params``). Rows of this run already in the table are replaced.
    params : mapping, optional
        The parameters that produced the table, stored as JSON per row.
    index_columns : sequence of str
        Database outputs: extra b-tree indexes (a GIST index is always made on
        the geometry).

    Returns
    -------
    str
        What was written (path, or ``table (run id)``).
    """
    if is_pg_url(dest):
        return _write_pg(table, parse_pg_url(dest, need="table"), run_id=run_id, params=params,
                         index_columns=index_columns)
    from ..atomic import atomic_path

    path = Path(dest)
    suffix = path.name.lower()
    # whole or absent: written under a temporary name, renamed when complete (a GeoPackage keeps its other layers)
    with atomic_path(path, keep_existing=suffix.endswith(".gpkg")) as tmp:
        try:
            # the layer is named after the file asked for, never the temporary one (GeoJSON stores it as "name")
            _write_file(table, tmp, suffix, layer or (path.stem if suffix.endswith((".gpkg", ".geojson", ".json")) else None), path)
        except HotspotError:
            raise
        except Exception as exc:  # the OS or GDAL refused the file: say which and why, no traceback
            raise InputFileError(f"{path}: cannot write it ({type(exc).__name__}: {exc})") from None
    return str(path)


def _geo(table: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """``table`` when it is a GeoDataFrame holding its geometry column, else None."""
    return table if isinstance(table, gpd.GeoDataFrame) and table.geometry.name in table else None


def _write_file(table: pd.DataFrame, path: Path, suffix: str, layer: str | None, name: Path | None = None) -> None:
    """:func:`write_table` for a file, by its ending (``name``: the file the user asked for, in messages)."""
    where = name or path
    geo = _geo(table)
    if suffix.endswith((".parquet", ".geoparquet")):
        if geo is not None:
            geo.to_parquet(path, index=False, write_covering_bbox=True)
        else:
            pd.DataFrame(table).to_parquet(path, index=False)
    elif suffix.endswith(".csv"):
        out = pd.DataFrame(table)
        if geo is not None:
            out = out.assign(**{str(geo.geometry.name): geo.geometry.to_wkt()})
        csv_safe(out).to_csv(path, index=False)
    elif suffix.endswith((".geojson", ".json")):
        if geo is None:
            raise InputFileError(f"{where}: a GeoJSON output needs geometries; write .csv or .parquet for this table")
        geo.to_crs(4326).to_file(path, driver="GeoJSON", engine="pyogrio", layer=layer)
    elif suffix.endswith(".gpkg"):
        if geo is None:
            raise InputFileError(f"{where}: a GeoPackage output needs geometries; write .csv or .parquet for this table")
        options = {}
        if any(str(c).lower() == "fid" for c in geo.columns):
            # GeoPackage's own integer key is called "fid": an input column of that name is data, kept under its name
            taken = {str(c).lower() for c in geo.columns}
            options["layer_options"] = {"FID": next(n for n in ("gpkg_fid", "gpkg_fid_1", "gpkg_fid_2", "_gpkg_fid")
                                                    if n not in taken)}
        geo.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", **options)
    else:
        raise InputFileError(f"{where}: unknown output type; use .geojson, .gpkg, .csv, .parquet or a postgresql:// URL")


def _write_pg(table: pd.DataFrame, t: PgTarget, *, run_id: str | None, params: Mapping[str, Any] | None,
              index_columns: Sequence[str] = ()) -> str:
    if t.table is None:  # parse_pg_url(need="table") refuses this already
        raise StoreError(f"{t.shown}: name the table with ?table=NAME")
    rid = run_id or run_id_for(params)
    with _write_transaction(t, [t]) as conn:  # the run is replaced whole or not at all
        n = _replace_run(conn, t, table, rid, params, index_columns)
    return f"{t.qualified} (run {rid}, {n:,} rows)"


@contextmanager
def _write_transaction(t: PgTarget, tables: Sequence[PgTarget]) -> Iterator[Any]:
    """One transaction holding the write lock of every table in ``tables``
    (a transaction-level advisory lock per table, taken in name order so two
    writers never deadlock): a second load of the same table waits for the
    first to commit, then replaces its run, so concurrent loads leave one
    copy. A killed load holds nothing: the server rolls it back. Any driver
    failure (a server stopped mid-COPY, a full disk on the server) is a
    one-line :class:`StoreError` naming the table."""
    import sqlalchemy as sa

    names = ", ".join(f"'{x.qualified}'" for x in tables)
    try:
        with engine(t).begin() as conn:
            for key in sorted({(x.schema or "", str(x.table)) for x in tables}):
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended("
                                     "COALESCE(NULLIF(:s, ''), current_schema()) || '.' || :t, 21))"),
                             {"s": key[0], "t": key[1]})
            yield conn
    except HotspotError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver and server failures alike: one line naming the table
        raise StoreError(f"{t.shown}: writing {names} failed, nothing committed: {_first_line(t, exc)}") from None


def _require_postgis(conn, t: PgTarget) -> None:
    """Refuse a geometry output to a database without PostGIS, saying what to do."""
    import sqlalchemy as sa

    if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first() is None:
        raise StoreError(f"{t.shown}: the database has no PostGIS; run CREATE EXTENSION postgis (as the "
                         "database owner) and write again")


def _replace_run(conn, t: PgTarget, table: pd.DataFrame, rid: str, params: Mapping[str, Any] | None,
                 index_columns: Sequence[str] = ()) -> int:
    """Within the caller's transaction: delete run ``rid``'s rows of table
    ``t`` and COPY ``table`` in (creating the table and its indexes when
    new). Returns the rows written."""
    import sqlalchemy as sa

    out = table.copy(deep=False)  # the caller's columns shared, not copied (a 3 M-row load: ~1 GB)
    for c in ("run_id", "run_params", "written_at"):
        if c in out:
            raise StoreError(f"{t.shown}: the table to write already has a column '{c}' (reserved for the run)")
    # one value on every row: a one-category Categorical (a byte per row), not one copy of the JSON per row
    out["run_id"] = pd.Series(constant_column(rid, len(out)), index=out.index)
    out["run_params"] = pd.Series(constant_column(json.dumps(params or {}, sort_keys=True, default=str), len(out)),
                                  index=out.index)
    out["written_at"] = pd.Timestamp.now(tz="UTC")
    geo = _geo(out)
    if geo is not None:
        _require_postgis(conn, t)
    exists = conn.execute(sa.text("SELECT to_regclass(:r)"), {"r": _table_sql(t)}).scalar() is not None
    if exists:
        have = _pg_columns(conn, t)
        missing = [c for c in out.columns if c not in have]
        if missing:
            raise StoreError(f"{t.shown}: table '{t.qualified}' exists without columns {missing}; "
                             "write to a new table or drop the old one")
        conn.execute(sa.text(f"DELETE FROM {_table_sql(t)} WHERE run_id = :rid"), {"rid": rid})
    else:  # column types from pandas/GeoAlchemy2, rows by COPY below
        if geo is not None:
            _plain(geo.iloc[:0]).to_postgis(t.table, conn, schema=t.schema, if_exists="append", index=False)
        else:
            _plain(pd.DataFrame(out).iloc[:0]).to_sql(str(t.table), conn, schema=t.schema, if_exists="append",
                                                      index=False)
    _copy_rows(conn, t, out)
    if not exists:
        _create_indexes(conn, t, geo.geometry.name if geo is not None else None, index_columns)
    conn.execute(sa.text(f"ANALYZE {_table_sql(t)}"))
    return len(out)


def _create_indexes(conn, t: PgTarget, gname: str | None, index_columns: Sequence[str]) -> None:
    """The indexes of a new output table: run id, GIST on the geometry, ``index_columns``."""
    import sqlalchemy as sa

    conn.execute(sa.text(f"CREATE INDEX ON {_table_sql(t)} (run_id)"))
    if gname is not None:
        has_gist = conn.execute(sa.text(
            "SELECT count(*) FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%gist%'"),
            {"t": t.table}).scalar()
        if not has_gist:
            conn.execute(sa.text(f"CREATE INDEX ON {_table_sql(t)} USING GIST ({_q(gname)})"))
    for c in index_columns:
        # text_pattern_ops lets `LIKE 'Barnet %'` use the index whatever the collation.
        ops = " text_pattern_ops" if c == LSOA_NAME_COLUMN else ""
        conn.execute(sa.text(f"CREATE INDEX ON {_table_sql(t)} ({_q(c)}{ops})"))


_Frame = TypeVar("_Frame", pd.DataFrame, gpd.GeoDataFrame)


#: Rows per batch of :func:`_copy_rows`: each batch's cells become Python
#: objects for the driver (~20 MB per 50,000 police.uk rows), never the whole table's.
COPY_BATCH_ROWS = 50_000


def _plain(df: _Frame) -> _Frame:
    """``df`` with each Categorical column (a large CSV's repetitive columns,
    the run's constant columns) as its categories' own dtype: the same
    values, so a new table's column types are what the plain column gives."""
    cats = {c: df[c].cat.categories.dtype for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)}
    return df.astype(cats) if cats else df


def _copy_rows(conn, t: PgTarget, df: pd.DataFrame) -> None:
    """Append ``df`` with PostgreSQL ``COPY`` (psycopg 3): 10-20x faster than
    the INSERTs of ``to_sql``/``to_postgis``. Geometries go as hex EWKB.

    One COPY in the caller's transaction, fed :data:`COPY_BATCH_ROWS` rows
    at a time: only a batch's cells are ever Python objects (the whole of a
    3 M-row table as Python lists took ~8 GB)."""
    names = ", ".join(_q(c) for c in df.columns)
    cur = conn.connection.driver_connection.cursor()
    with cur.copy(f"COPY {_table_sql(t)} ({names}) FROM STDIN") as cp:
        for start in range(0, len(df), COPY_BATCH_ROWS):
            for row in zip(*_copy_cells(df.iloc[start:start + COPY_BATCH_ROWS])):
                cp.write_row(row)


def _copy_cells(df: pd.DataFrame) -> list[list]:
    """The cells of ``df`` column by column as the driver takes them: None
    for missing, Python scalars, datetimes, geometries as hex EWKB."""
    cols = []
    geo_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df else None
    for c in df.columns:
        s = df[c]
        if c == geo_name:
            import shapely

            srid = df.crs.to_epsg() if df.crs is not None else None
            g = s.to_numpy()
            if srid:
                g = shapely.set_srid(g, srid)
            cols.append(list(shapely.to_wkb(g, hex=True, include_srid=bool(srid))))
        elif pd.api.types.is_datetime64_any_dtype(s):
            cols.append([None if pd.isna(v) else v.to_pydatetime() for v in s])
        else:  # a Categorical gives its values here, as a text column does
            v = s.astype(object).where(s.notna(), None).tolist()
            cols.append([x.item() if isinstance(x, np.generic) else x for x in v])
    return cols


def load_incidents(result: IntakeResult, dest: str, *, run_id: str | None = None,
                   params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write an :class:`~hotspot.intake.IntakeResult` to PostGIS: accepted
    incidents to ``?table=NAME`` (standard columns, ``source_file``,
    ``source_row``, the input's own columns, geometry in the working CRS, a
    ``fid`` giving input order, GIST index, indexes on ``occurred`` and
    ``LSOA name`` when present) and rejected rows to ``NAME_rejects``.

    Parameters
    ----------
    result : IntakeResult
        A validated read (:func:`hotspot.intake.read_incidents`).
    dest : str
        ``postgresql://...?table=[SCHEMA.]NAME``.
    run_id : str, optional
        The run's id (default: :func:`run_id_for` ``params``); rows of this
        run already in the tables are replaced.
    params : mapping, optional
        The parameters of the load, stored as JSON per row.

    Returns
    -------
    dict
        ``{"table", "rejects_table", "run_id", "accepted", "rejected", "filtered", "rows"}``.
    """
    t = parse_pg_url(dest, need="table")
    inc = result.incidents.copy(deep=False)  # columns shared with the result, not copied
    # the row-order column: "fid", unless the input has a column of that name (kept as it is)
    order_col = ROW_ORDER_COLUMNS[0] if ROW_ORDER_COLUMNS[0] not in inc else ROW_ORDER_COLUMNS[1]
    if order_col in inc:
        raise StoreError(f"{t.shown}: the input has columns {list(ROW_ORDER_COLUMNS)}; rename one (both are "
                         "reserved for the row order)")
    inc.insert(0, order_col, np.arange(1, len(inc) + 1, dtype=np.int64))
    inc["source_row"] = inc["source_row"].astype(np.int64)
    params = dict(params or {})
    rid = run_id or run_id_for(params)
    idx = ["occurred", "incident_id"] + ([LSOA_NAME_COLUMN] if LSOA_NAME_COLUMN in inc else [])
    rej = result.rejects.copy()
    # text as text; a NUL byte (a rejected row's reason) cannot be stored in PostgreSQL text: shown as U+FFFD
    rej = rej.astype({c: str for c in rej.columns if c not in ("source_row",)})
    rej = rej.apply(lambda s: s.str.replace("\x00", "\ufffd", regex=False)
                    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype) else s)
    rt = parse_pg_url(_with_table(dest, t.qualified + "_rejects"), need="table")
    # incidents and rejects in ONE transaction: a load stopped anywhere leaves both tables as they were
    with _write_transaction(t, [t, rt]) as conn:
        _replace_run(conn, t, inc, rid, params, idx)
        if len(rej):
            _replace_run(conn, rt, pd.DataFrame(rej), rid, params)
        else:  # still replace an earlier run's rejects (the run now has none)
            _delete_run(conn, rt, rid)
    return {"table": t.qualified, "rejects_table": rt.qualified, "run_id": rid,
            "rows": result.rows, "accepted": result.accepted, "rejected": result.rejected,
            "filtered": result.n_filtered}


def _with_table(url: str, table: str) -> str:
    text = _fix_url(str(url))
    parts = urlsplit(text)
    q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("table", "sql")]
    q.append(("table", table))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(q), ""))


def _delete_run(conn, t: PgTarget, rid: str) -> None:
    """Within the caller's transaction: delete run ``rid``'s rows of ``t`` when the table exists."""
    import sqlalchemy as sa

    if conn.execute(sa.text("SELECT to_regclass(:r)"), {"r": _table_sql(t)}).scalar() is not None:
        conn.execute(sa.text(f"DELETE FROM {_table_sql(t)} WHERE run_id = :rid"), {"rid": rid})
