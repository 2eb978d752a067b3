"""PostgreSQL + PostGIS reads with push-down.

The filters run in the database (``geom && envelope`` on the GIST index, an
LSOA-name ``LIKE`` plus regex, month ranges), in a read-only transaction;
rows come ordered by ``fid`` or the primary key so row numbers are stable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import StoreError
from ..columns import detect_columns, lsoa_name_pattern
from .raw import LSOA_NAME_COLUMN, ROW_ORDER_COLUMNS, BBox, _to_strings
from .urls import PgTarget, _first_line, _q, _table_sql, parse_pg_url, query_from, read_only


def _pg_columns(conn, t: PgTarget) -> dict[str, str]:
    """Column name -> udt name of an existing table; raises when missing."""
    import sqlalchemy as sa

    rows = conn.execute(sa.text(
        "SELECT column_name, udt_name FROM information_schema.columns "
        "WHERE table_name = :t AND table_schema = COALESCE(:s, current_schema()) ORDER BY ordinal_position"),
        {"t": t.table, "s": t.schema}).fetchall()
    if not rows:
        raise StoreError(f"{t.shown}: table '{t.qualified}' does not exist (load it with `hotspot load ... --to URL?table={t.qualified}`)")
    return {r[0]: r[1] for r in rows}


def _geom_srid(conn, t: PgTarget, col: str) -> int:
    import sqlalchemy as sa

    srid = conn.execute(sa.text("SELECT Find_SRID(CAST(COALESCE(:s, current_schema()) AS varchar), CAST(:t AS varchar), CAST(:c AS varchar))"),
                        {"s": t.schema, "t": t.table, "c": col}).scalar()
    return int(srid or 0)


def read_postgis_raw(url: str | Path, *, bbox: BBox | None = None, lsoa_prefix: str | None = None, months: tuple[str, str] | None = None,
                     columns: Sequence[str] | None = None) -> tuple[pd.DataFrame, int | None]:
    """Rows of a PostgreSQL table (or query) passing the push-down filters,
    which run in the database: ``geom && ST_Transform(envelope, srid)`` (GIST
    index), ``"LSOA name" ~`` :func:`hotspot.columns.lsoa_name_pattern`, month ranges on
    ``occurred``/``Month``.

    Rows come ordered by ``fid`` (tables written by :func:`load_incidents`)
    or the primary key, so row numbers are stable; ``fid`` becomes the index.
    Timestamps of tables whose ``date_precision`` is ``month`` come back as
    ``YYYY-MM`` so month-precision data stay month-precision.

    Parameters
    ----------
    url : str or Path
        ``postgresql://...?table=NAME`` or ``?sql=SELECT ...``.
    bbox : (lon0, lat0, lon1, lat1), optional
        Keep rows whose geometry (or lon/lat columns) meets this box, degrees.
    lsoa_prefix : str, optional
        Keep police.uk rows whose ``LSOA name`` is ``"<prefix> NNNX"``.
    months : (first, last), optional
        Keep these calendar months (``YYYY-MM``, inclusive), on ``occurred``
        or ``Month``.
    columns : sequence of str, optional
        Columns to read when the table has them all (a hint; the standard
        incident columns and geometry are always read).

    Returns
    -------
    (DataFrame, int or None)
        The rows, and the table's total row count (None for queries).
    """
    import sqlalchemy as sa

    t = parse_pg_url(url)
    with read_only(t) as conn:
        base, cols, geom_cols, total = _pg_source(conn, t)
        gcol = geom_cols[0] if geom_cols else None
        srid = None
        if gcol:
            srid = _geom_srid(conn, t, gcol) if t.table else conn.execute(sa.text(
                f"SELECT ST_SRID({_q(gcol)}) FROM {base} WHERE {_q(gcol)} IS NOT NULL LIMIT 1")).scalar()
        where, params = _pg_where(t, cols, gcol, srid, bbox=bbox, lsoa_prefix=lsoa_prefix, months=months)
        order = _pg_order(conn, t, base, cols)
        if columns is not None and not set(columns) <= set(cols):
            columns = None  # a hint only: the table lacks some, so read every column
        wanted = [c for c in cols if columns is None or c in columns or c in geom_cols
                  or c in (*ROW_ORDER_COLUMNS, "date_precision", "occurred", "incident_id", "crime_type", "location_text")]
        select = ", ".join(_q(c) if c not in geom_cols else f"ST_AsBinary({_q(c)}) AS {_q(c)}" for c in wanted)
        sql = f"SELECT {select} FROM {base}" + (" WHERE " + " AND ".join(where) if where else "") + order
        try:
            if gcol:
                df = gpd.read_postgis(sa.text(sql), conn, geom_col=gcol, params=params,
                                      crs=srid if srid else None)
            else:
                df = pd.read_sql(sa.text(sql), conn, params=params)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"{t.shown}: reading failed: {_first_line(t, exc)}") from None
    return _pg_rows(df, gcol), total


def _pg_source(conn, t: PgTarget) -> tuple[str, Mapping[str, str], list[str], int | None]:
    """The FROM clause of a table or query, its columns (name -> type, ""
    for queries), its geometry columns and its row count (None for queries)."""
    import sqlalchemy as sa

    if not t.sql:
        types = _pg_columns(conn, t)
        base = _table_sql(t)
        geom_cols = [c for c, u in types.items() if u in ("geometry", "geography")]
        return base, types, geom_cols, int(conn.execute(sa.text(f"SELECT count(*) FROM {base}")).scalar())
    base = query_from(t)
    try:
        cols = {c: "" for c in conn.execute(sa.text(f"SELECT * FROM {base} LIMIT 0")).keys()}
        first = conn.execute(sa.text(
            f"SELECT {', '.join(f'pg_typeof({_q(c)})::text' for c in cols)} FROM {base} LIMIT 1")).first()
    except Exception as exc:  # noqa: BLE001 - a bad query, or one the read-only transaction refuses
        raise StoreError(f"{t.shown}: the query failed: {_first_line(t, exc)}") from None
    geom_cols = [c for c, ty in zip(cols, first or ()) if ty in ("geometry", "geography")]
    return base, cols, geom_cols, None


def _pg_where(t: PgTarget, cols: Mapping[str, str], gcol: str | None, srid: int | None, *, bbox,
              lsoa_prefix: str | None, months: tuple[str, str] | None) -> tuple[list[str], dict]:
    """SQL conditions and parameters of the push-down filters: a lon/lat box
    (degrees; on the geometry column, else on lon/lat columns), an LSOA-name
    prefix and a month range."""
    where: list[str] = []
    params: dict = {}
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        params.update(x0=x0, y0=y0, x1=x1, y1=y1)
        if gcol:
            env = "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
            where.append(f"{_q(gcol)} && ST_Transform({env}, {srid})" if srid and srid != 4326
                         else f"{_q(gcol)} && {env}" if srid else
                         f"ST_Transform({_q(gcol)}, 4326) && {env}")
        else:
            r = detect_columns(list(cols))
            if not (r["lon"] and r["lat"]):
                raise StoreError(f"{t.shown}: an area box was asked for but the table has no geometry or lon/lat columns")
            where.append(f"{_q(r['lon'])}::float8 BETWEEN :x0 AND :x1 AND {_q(r['lat'])}::float8 BETWEEN :y0 AND :y1")
    if lsoa_prefix:
        if LSOA_NAME_COLUMN not in cols:
            raise StoreError(f"{t.shown}: an LSOA-name filter was asked for but there is no '{LSOA_NAME_COLUMN}' column")
        # LIKE uses a btree index when there is one; the regex makes it exact.
        where.append(f"{_q(LSOA_NAME_COLUMN)} LIKE :lp AND {_q(LSOA_NAME_COLUMN)} ~ :lre")
        params.update(lp=lsoa_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %",
                      lre=lsoa_name_pattern(lsoa_prefix))
    if months is not None:
        m0, m1 = pd.Period(months[0], "M"), pd.Period(months[1], "M")
        if "occurred" in cols:
            where.append('"occurred" >= :t0 AND "occurred" < :t1')
            params.update(t0=m0.start_time.to_pydatetime(), t1=(m1 + 1).start_time.to_pydatetime())
        elif "Month" in cols:
            where.append('"Month" BETWEEN :s0 AND :s1')
            params.update(s0=str(m0), s1=str(m1))
    return where, params


def _pg_order(conn, t: PgTarget, base: str, cols: Mapping[str, str]) -> str:
    """ORDER BY ``fid``, else the primary key, so row numbers are stable."""
    import sqlalchemy as sa

    for c in reversed(ROW_ORDER_COLUMNS):  # "hotspot_row" first: then "fid" is the input's own
        if c in cols and cols[c] in ("", "int2", "int4", "int8"):
            return f" ORDER BY {_q(c)}"
    if t.table:
        pk = conn.execute(sa.text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = CAST(:rel AS regclass) AND i.indisprimary"), {"rel": base}).fetchall()
        if pk:
            return " ORDER BY " + ", ".join(_q(r[0]) for r in pk)
    return ""


def _pg_rows(df: pd.DataFrame, gcol: str | None) -> pd.DataFrame:
    """Rows as strings indexed by ``fid`` (else 1..n), month-precision
    timestamps back to ``YYYY-MM``, run bookkeeping columns dropped."""
    order = next((c for c in reversed(ROW_ORDER_COLUMNS) if c in df), None)
    if order is not None and pd.api.types.is_integer_dtype(df[order]) and df[order].is_unique:
        df.index = df.pop(order).astype(np.int64).to_numpy()
    else:  # no row-order column (or an input's own "fid" of text): rows in the order read
        df.index = np.arange(1, len(df) + 1)
    if "date_precision" in df and "occurred" in df and len(df) and (df["date_precision"] == "month").all():
        df["occurred"] = pd.to_datetime(df["occurred"]).dt.strftime("%Y-%m")
    for c in ("run_id", "run_params", "written_at"):
        df.pop(c) if c in df else None
    if gcol:
        geom = df.geometry
        table = _to_strings(pd.DataFrame(df.drop(columns=gcol)))
        return gpd.GeoDataFrame(table, geometry=geom.to_numpy(), crs=df.crs, index=df.index)
    return _to_strings(df)
