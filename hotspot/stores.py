"""Data stores: Parquet / GeoParquet files and PostgreSQL + PostGIS tables.

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

import hashlib
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import HotspotError, InputFileError, StoreError
from .columns import detect_columns, is_lsoa_of, lsoa_name_pattern

if TYPE_CHECKING:  # imported for annotations only: intake imports this module
    import sqlalchemy

    from .areas import Area
    from .intake import IntakeResult

#: A lon/lat box, degrees: (west, south, east, north).
BBox = tuple[float, float, float, float]

PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
#: Degrees added round an area's lon/lat box before pushing it down, so a
#: point on the boundary is never cut by rounding of the box corners.
BBOX_MARGIN_DEG = 0.002
#: The row-order column :func:`load_incidents` adds ("fid"; the second name
#: when the input has its own "fid" column), read back as the row number.
ROW_ORDER_COLUMNS = ("fid", "hotspot_row")
#: police.uk LSOA names are "<borough> 001A" (2011 and 2021 codes alike).
LSOA_NAME_COLUMN = "LSOA name"


# --------------------------------------------------------------------------- recognising sources


def _fix_url(text: str) -> str:
    """``Path("postgresql://u@h/db")`` collapses ``//`` to ``/``; put it back so
    URLs passed through ``pathlib`` (the CLI's input arguments) still work."""
    m = re.match(r"^(postgres(?:ql)?(?:\+psycopg)?):/+(.*)$", text, flags=re.S)
    return f"{m.group(1)}://{m.group(2)}" if m else text


def is_pg_url(src: object) -> bool:
    """True for a ``postgresql://`` URL (also after ``pathlib`` mangling).

    Parameters
    ----------
    src : object
        An input as the user gave it (str, Path, DataFrame, ...).

    Returns
    -------
    bool
        Whether ``src`` is a str or Path naming a PostgreSQL URL.
    """
    return isinstance(src, (str, Path)) and _fix_url(str(src)).startswith(PG_SCHEMES)


def is_store(src: object) -> bool:
    """True when ``src`` is read by this module: a :class:`StoreSource`, a
    ``*.parquet`` path or a PostgreSQL URL.

    Parameters
    ----------
    src : object
        An input as the user gave it (str, Path, DataFrame, ...).

    Returns
    -------
    bool
        Whether :func:`as_source` should read it.
    """
    if isinstance(src, StoreSource):
        return True
    if not isinstance(src, (str, Path)):
        return False
    return is_pg_url(src) or str(src).lower().endswith((".parquet", ".geoparquet"))


@dataclass(frozen=True)
class PgTarget:
    """A parsed ``postgresql://`` URL: the SQLAlchemy URL and the table or query."""

    url: str = field(repr=False)  # SQLAlchemy URL (postgresql+psycopg://...), without table/sql; holds the password
    table: str | None
    schema: str | None
    sql: str | None
    shown: str        # the URL for messages, password removed
    secret: str | None = field(default=None, repr=False)  # the password, to scrub from driver messages

    @property
    def qualified(self) -> str:
        """``schema.table`` (or ``table``) as written in messages."""
        return f"{self.schema}.{self.table}" if self.schema else str(self.table)

    def scrub(self, text: str) -> str:
        """``text`` (a driver's message) with the password, if it appears, replaced by ``***``.

        Parameters
        ----------
        text : str
            Any message.

        Returns
        -------
        str
            The message, safe to print or store.
        """
        return text.replace(self.secret, "***") if self.secret else text


def _split_netloc(netloc: str) -> tuple[str | None, str | None, str]:
    """(user, password, host[:port]) of a URL's netloc. The host follows the
    *last* ``@``, so a password holding a raw ``@`` stays whole (and secret)."""
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return None, None, netloc
    user, colon, password = userinfo.partition(":")
    return unquote(user) or None, (unquote(password) if colon else None), hostport


def parse_pg_url(url: str | Path, *, need: str = "either") -> PgTarget:
    """Split ``postgresql://USER[:PW]@HOST:PORT/DB?table=[SCHEMA.]NAME`` (or
    ``?sql=SELECT ...``); other query parameters go to the driver. The
    password (in the URL, also with a raw ``@`` in it, or as ``?password=``)
    goes to the driver only: never into :attr:`PgTarget.shown`.

    Parameters
    ----------
    url : str or Path
        The URL (``//`` collapsed by ``pathlib`` is repaired).
    need : {"either", "table", "none"}
        What the URL must name: a table or a query (``"either"``), a table
        (outputs), or nothing (any other value).

    Returns
    -------
    PgTarget
        The SQLAlchemy URL (psycopg 3 driver), table, schema, query and the
        URL for messages (password removed).

    Raises
    ------
    StoreError
        No table/sql given, or both, or a malformed host/port.
    """
    import sqlalchemy as sa

    text = _fix_url(str(url))
    parts = urlsplit(text)
    query = parse_qsl(parts.query, keep_blank_values=True)
    table = next((v for k, v in query if k == "table"), None)
    sql = next((v for k, v in query if k == "sql"), None)
    user, password, hostport = _split_netloc(parts.netloc)
    password = next((v for k, v in query if k == "password"), password)
    rest = [(k, v) for k, v in query if k not in ("table", "sql", "password")]
    shown_netloc = (quote(user, safe="") + (":***" if password is not None else "") + "@" if user else
                    (":***@" if password is not None else "")) + hostport
    shown_query = parts.query if all(k != "password" for k, _ in query) else \
        urlencode([(k, v) for k, v in query if k != "password"])
    shown = urlunsplit(("postgresql", shown_netloc, parts.path, shown_query, ""))
    if need in ("table", "either") and table is None and (need == "table" or sql is None):
        raise StoreError(f"{shown}: name the table with ?table=NAME" + ("" if need == "table" else " (or give ?sql=SELECT ...)"))
    if table and sql:
        raise StoreError(f"{shown}: give ?table= or ?sql=, not both")
    schema = None
    if table and "." in table:
        schema, table = table.split(".", 1)
    try:
        hp = urlsplit("//" + hostport)
        driver_query: dict[str, list[str]] = {}
        for k, v in rest:
            driver_query.setdefault(k, []).append(v)
        sa_url = sa.engine.URL.create("postgresql+psycopg", username=user, password=password, host=hp.hostname,
                                      port=hp.port, database=unquote(parts.path.lstrip("/")) or None,
                                      query={k: v[0] if len(v) == 1 else v for k, v in driver_query.items()})
    except ValueError as exc:
        raise StoreError(f"{shown}: not a valid PostgreSQL URL ({exc})") from None
    return PgTarget(url=sa_url.render_as_string(hide_password=False), table=table, schema=schema,
                    sql=unquote(sql) if sql else None, shown=shown, secret=password or None)


def _first_line(t: PgTarget, exc: BaseException) -> str:
    """The first line of a driver error, password scrubbed (for one-line errors)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return t.scrub(text.splitlines()[0] if text else type(exc).__name__)


_ENGINES: dict[str, sqlalchemy.Engine] = {}


def engine(target: PgTarget) -> sqlalchemy.Engine:
    """A cached SQLAlchemy engine; a server that cannot be reached raises
    :class:`StoreError` in one line naming the URL.

    Parameters
    ----------
    target : PgTarget
        A parsed URL (:func:`parse_pg_url`).

    Returns
    -------
    sqlalchemy.Engine
        One engine per database URL, connected once when made.

    Raises
    ------
    StoreError
        The server cannot be reached or refuses the login.
    """
    import sqlalchemy as sa

    eng = _ENGINES.get(target.url)
    if eng is None:
        eng = sa.create_engine(target.url, pool_pre_ping=True)
        try:
            with eng.connect():
                pass
        except Exception as exc:  # noqa: BLE001 - any driver failure is the user's connection setting
            raise StoreError(f"{target.shown}: cannot connect to PostgreSQL: {_first_line(target, exc)}") from None
        _ENGINES[target.url] = eng
    return eng


@contextmanager
def read_only(t: PgTarget) -> Iterator[sqlalchemy.Connection]:
    """A connection whose transaction is ``READ ONLY`` (rolled back at the
    end): every read of a table or ``?sql=`` query runs in one, so a query
    cannot change the database whatever it says.

    Parameters
    ----------
    t : PgTarget
        A parsed URL (:func:`parse_pg_url`).

    Yields
    ------
    sqlalchemy.Connection
        The connection, its transaction begun read-only.
    """
    import sqlalchemy as sa

    with engine(t).connect() as conn:
        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        yield conn


#: Lexical pieces of SQL that may hold a ``;`` without ending a statement:
#: quoted strings (also E'' with backslash escapes), quoted identifiers,
#: dollar-quoted bodies and comments. Anything else is one character.
_SQL_TOKEN = re.compile(r"""(?<!\w)[eE]'(?:\\.|[^'\\]|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|(\$[A-Za-z_0-9]*\$)[\s\S]*?\1"""
                        r"|--[^\n]*|/\*[\s\S]*?\*/|[\s\S]", re.S)


def one_statement(sql: str, shown: str = "?sql=") -> str:
    """``sql`` when it is exactly one statement (a trailing ``;`` dropped),
    else :class:`StoreError`: stacked statements (``SELECT 1; DROP TABLE x``)
    are refused before anything runs.

    Parameters
    ----------
    sql : str
        The ``?sql=`` query.
    shown : str
        The source for the message (URL without password).

    Returns
    -------
    str
        The statement without a trailing semicolon.

    Raises
    ------
    StoreError
        More than one statement, or none.
    """
    tokens = [m.group(0) for m in _SQL_TOKEN.finditer(sql)]
    meaningful = [i for i, tok in enumerate(tokens) if not (tok.isspace() or tok.startswith(("--", "/*")))]
    ends = [i for i in meaningful if tokens[i] == ";"]
    if ends and meaningful[-1] != ends[0]:  # something after the first ';'
        raise StoreError(f"{shown}: ?sql= must be one SELECT statement; it holds several (';' at character "
                         f"{sum(len(tok) for tok in tokens[:ends[0]]) + 1})")
    if not meaningful or meaningful[0] == (ends[0] if ends else -1):
        raise StoreError(f"{shown}: ?sql= is empty; give one SELECT statement")
    return "".join(tokens[:ends[0]]) if ends else sql


def query_from(t: PgTarget) -> str:
    """The FROM item of a ``?sql=`` source: its one statement as a subquery
    (on lines of its own, so a trailing ``--`` comment cannot swallow the
    closing parenthesis).

    Parameters
    ----------
    t : PgTarget
        A parsed URL with ``sql``.

    Returns
    -------
    str
        The statement in parentheses, aliased ``q``.
    """
    return f"(\n{one_statement(str(t.sql), t.shown)}\n) AS q"


def _q(name: object) -> str:
    """A quoted SQL identifier (of a name, or a column label as ``str`` shows it)."""
    return '"' + str(name).replace('"', '""') + '"'


def _table_sql(t: PgTarget) -> str:
    return (_q(t.schema) + "." if t.schema else "") + _q(t.table)


# --------------------------------------------------------------------------- the source


@dataclass
class StoreSource:
    """A Parquet file or PostgreSQL table/query to read, with push-down filters.

    Parameters
    ----------
    location : str
        ``*.parquet`` path or ``postgresql://...`` URL.
    bbox : (lon0, lat0, lon1, lat1), optional
        Keep rows whose point lies in this box, degrees.
    lsoa_prefix : str, optional
        Keep police.uk rows whose ``LSOA name`` is ``"<prefix> NNNX"``.
    months : (first, last), optional
        Keep months ``first..last`` (``YYYY-MM``, inclusive).
    columns : tuple of str, optional
        Columns to read when the source has them all (a hint; default all).
    notes : list of str
        What the reads left out (``read N of M rows``), filled by :meth:`read`.
    """

    location: str
    bbox: tuple[float, float, float, float] | None = None
    lsoa_prefix: str | None = None
    months: tuple[str, str] | None = None
    columns: tuple[str, ...] | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.location = _fix_url(str(self.location))
        # intake asks for the name once per row: work it out once
        if self.is_pg:
            t = parse_pg_url(self.location)
            self._name, self._shown = (t.qualified if t.table else "sql"), t.shown
        else:
            self._name, self._shown = Path(self.location).name, self.location

    @property
    def is_pg(self) -> bool:
        """True for a PostgreSQL table or query, False for a Parquet file."""
        return self.location.startswith(PG_SCHEMES)

    @property
    def name(self) -> str:
        """Short name used in ``file:row`` references."""
        return self._name

    def __str__(self) -> str:
        return self._shown

    def __fspath__(self) -> str:  # lets Path-minded callers print it
        return str(self)

    def read(self) -> pd.DataFrame:
        """The rows passing the push-down filters, in the source's own columns
        (strings; a GeoDataFrame when the source has geometries), indexed by
        row number in the source (1 = first row)."""
        if self.is_pg:
            df, total = read_postgis_raw(self.location, bbox=self.bbox, lsoa_prefix=self.lsoa_prefix, months=self.months,
                                         columns=self.columns)
        else:
            df, total = read_parquet_raw(self.location, bbox=self.bbox, lsoa_prefix=self.lsoa_prefix, months=self.months,
                                         columns=self.columns)
        if total is not None and len(df) < total:
            self.notes.append(f"{self}: read {len(df):,} of {total:,} rows (push-down: {self.describe_filter()})")
        return df

    def describe_filter(self) -> str:
        """The push-down filters in words (``"none"`` without any), for notes and errors."""
        parts = []
        if self.lsoa_prefix:
            parts.append(f"LSOA name '{self.lsoa_prefix} ...'")
        if self.bbox:
            parts.append("lon/lat box " + ",".join(f"{v:.4f}" for v in self.bbox))
        if self.months:
            parts.append(f"months {self.months[0]}..{self.months[1]}")
        return "; ".join(parts) or "none"


def as_source(src: str | Path | StoreSource, **filters: Any) -> StoreSource:
    """``src`` as a :class:`StoreSource` (filters given here are added).

    Parameters
    ----------
    src : str, Path or StoreSource
        A ``*.parquet`` path, a PostgreSQL URL or a source already made.
    **filters
        :class:`StoreSource` fields (``bbox``, ``lsoa_prefix``, ``months``,
        ``columns``); on an existing source only those it lacks are set.

    Returns
    -------
    StoreSource
        ``src`` itself when it already was one.

    Raises
    ------
    InputFileError
        A Parquet path that is not a file.
    """
    if isinstance(src, StoreSource):
        for k, v in filters.items():
            if v is not None and getattr(src, k) is None:
                setattr(src, k, v)
        return src
    loc = _fix_url(str(src))
    if not loc.startswith(PG_SCHEMES) and not Path(loc).is_file():
        raise InputFileError(f"{loc}: file not found")
    return StoreSource(loc, **filters)


def area_bbox_lonlat(area: Area, buffer: float = 0.0, margin_deg: float = BBOX_MARGIN_DEG) -> BBox:
    """The area's bounding box in lon/lat degrees (plus ``buffer`` metres and
    ``margin_deg``), from a densified boundary so the box holds every
    point of the projected polygon.

    Parameters
    ----------
    area : Area
        The study area (metres).
    buffer : float
        Distance added round the area before taking the box, metres.
    margin_deg : float
        Degrees added on every side (default :data:`BBOX_MARGIN_DEG`).

    Returns
    -------
    tuple of float
        ``(west, south, east, north)``, degrees.
    """
    geom = area.geometry.buffer(buffer) if buffer else area.geometry
    s = gpd.GeoSeries([geom], crs=area.crs).segmentize(500.0).to_crs(4326)
    x0, y0, x1, y1 = s.total_bounds
    return (x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg)


def push_down(files: Sequence[object], area: Area | None = None, area_buffer: float = 0.0) -> None:
    """Give every :class:`StoreSource` in ``files`` the area's lon/lat box
    (called by :func:`hotspot.intake.read_incidents`). Only the box is pushed
    down: it is a superset of the point-in-polygon test intake then applies,
    so the accepted rows are exactly those of a full read.

    Parameters
    ----------
    files : sequence
        The inputs; only :class:`StoreSource` items without a box are changed.
    area : Area, optional
        The study area; without it nothing is pushed down.
    area_buffer : float
        The area test's edge tolerance, metres (the box is widened by it).
    """
    if area is None:
        return
    box = None
    for f in files:
        if isinstance(f, StoreSource) and f.bbox is None:
            box = box or area_bbox_lonlat(area, area_buffer)
            f.bbox = box


def _to_strings(df: pd.DataFrame, skip: Iterable[str] = ()) -> pd.DataFrame:
    """Columns as strings, ``""`` for missing, like a CSV read with no NA
    parsing. Floats use Python's shortest round-trip repr, so parsing them
    back gives the same doubles."""
    out = {}
    skip = set(skip)
    for c in df.columns:
        s = df[c]
        if c in skip:
            out[c] = s
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("").str.replace("T00:00:00", "", regex=False)
        else:
            na = s.isna()
            out[c] = s.astype(object).where(~na, "").astype(str).astype(object)
    return pd.DataFrame(out, index=df.index)


# --------------------------------------------------------------------------- Parquet


def _rg_stats(md: Any, name_to_idx: Mapping[str, int], rg: int, col: str | None) -> tuple[Any, Any] | None:
    """(min, max) of column ``col`` in row group ``rg``; None when unknown."""
    i = name_to_idx.get(col) if col is not None else None
    if i is None:
        return None
    st = md.row_group(rg).column(i).statistics
    if st is None or not st.has_min_max:
        return None
    return st.min, st.max


def parquet_columns(path: str | Path) -> list[str]:
    """The column names of a Parquet file, read from its schema.

    Parameters
    ----------
    path : str or Path
        A Parquet file.

    Returns
    -------
    list of str
        The columns in file order.
    """
    import pyarrow.parquet as pq

    return list(pq.ParquetFile(path).schema_arrow.names)


def read_parquet_raw(path: str | Path, *, bbox: BBox | None = None, lsoa_prefix: str | None = None, months: tuple[str, str] | None = None,
                     columns: Sequence[str] | None = None) -> tuple[pd.DataFrame, int]:
    """Rows of a Parquet file passing the push-down filters.

    Row groups whose statistics cannot match are skipped; the others are read
    one at a time (only ``columns`` when given) and filtered with Arrow
    compute, so peak memory is one row group plus the result.

    Parameters
    ----------
    path : str or Path
        A Parquet or GeoParquet file.
    bbox : (lon0, lat0, lon1, lat1), optional
        Degrees; needs lon/lat columns (or a GeoParquet point geometry).
    lsoa_prefix : str, optional
        Keep police.uk rows whose ``LSOA name`` is ``"<prefix> NNNX"``; needs
        an ``LSOA name`` column.
    months : (first, last), optional
        Keep these calendar months (``YYYY-MM``, inclusive); needs a
        ``Month`` (police.uk) or timestamp date column.
    columns : sequence of str, optional
        Columns to read (all by default).

    Returns
    -------
    (DataFrame, int)
        The rows (strings, ``""`` for missing; GeoDataFrame for GeoParquet)
        indexed by their 1-based row number in the file, and the file's
        total row count.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
        raise InputFileError(f"{path}: cannot read as Parquet: {exc}") from None
    md = pf.metadata
    names = pf.schema_arrow.names
    if md.num_rows == 0:
        raise InputFileError(f"{path}: no rows")
    geo = (md.metadata or {}).get(b"geo")
    if geo is not None:
        return _read_geoparquet(path, json.loads(geo), bbox, lsoa_prefix, months, None, md.num_rows)
    flt = _RowFilter.for_file(path, pf, bbox=bbox, lsoa_prefix=lsoa_prefix, months=months)
    # ``columns`` is a hint: used only when the file has them all (else read everything).
    keep_cols = list(columns) if columns is not None and set(columns) <= set(names) else names
    read_cols = [c for c in names if c in set(keep_cols) | flt.columns()]
    idx = {md.schema.column(i).path: i for i in range(md.num_columns)}
    parts, offsets = [], np.cumsum([0] + [md.row_group(i).num_rows for i in range(md.num_row_groups)])
    for rg in range(md.num_row_groups):
        if flt.skip(md, idx, rg):  # statistics first: no wanted row can be in it
            continue
        tab = pf.read_row_group(rg, columns=read_cols)
        rows = np.flatnonzero(np.asarray(flt.mask(tab).to_numpy(zero_copy_only=False), bool))
        if len(rows) == 0:
            continue
        sub = tab.take(pa.array(rows)).select([c for c in read_cols if c in keep_cols]).to_pandas()
        sub.index = offsets[rg] + rows + 1
        parts.append(sub)
    if parts:
        df = pd.concat(parts)
    else:
        df = pf.schema_arrow.empty_table().select([c for c in read_cols if c in keep_cols]).to_pandas()
    return _to_strings(df), md.num_rows


@dataclass
class _RowFilter:
    """The push-down filters of :func:`read_parquet_raw`: a lon/lat box
    (degrees), an LSOA-name prefix and a month range, checked on row-group
    statistics (:meth:`skip`) and then row by row with Arrow compute
    (:meth:`mask`)."""

    bbox: tuple[float, float, float, float] | None
    lon: str | None
    lat: str | None
    lsoa_prefix: str | None
    month_col: str | None
    month_kind: str | None  # "ym" (police.uk YYYY-MM text), "ts" (timestamps) or None
    m0: str | None = None  # first and last month, YYYY-MM
    m1: str | None = None

    @classmethod
    def for_file(cls, path, pf, *, bbox, lsoa_prefix: str | None,
                 months: tuple[str, str] | None) -> "_RowFilter":
        """The filters for one file; a filter its columns cannot serve raises."""
        import pyarrow as pa

        names = pf.schema_arrow.names
        roles = detect_columns(names)
        lon, lat = roles["lon"], roles["lat"]
        if bbox is not None and not (lon and lat):
            raise InputFileError(f"{path}: an area box was asked for but the file has no lon/lat columns")
        if lsoa_prefix is not None and LSOA_NAME_COLUMN not in names:
            raise InputFileError(f"{path}: an LSOA-name filter was asked for but the file has no '{LSOA_NAME_COLUMN}' column")
        month_col = "Month" if "Month" in names else roles["date"]
        month_kind = None
        if months is not None and month_col:
            t = pf.schema_arrow.field(month_col).type
            month_kind = "ts" if pa.types.is_timestamp(t) or pa.types.is_date(t) else (
                "ym" if month_col == "Month" and (pa.types.is_string(t) or pa.types.is_large_string(t)) else None)
        out = cls(bbox=bbox, lon=lon, lat=lat, lsoa_prefix=lsoa_prefix, month_col=month_col, month_kind=month_kind)
        if month_kind and months is not None:  # month_kind is only set when months are given
            out.m0, out.m1 = str(pd.Period(months[0], "M")), str(pd.Period(months[1], "M"))
        return out

    def columns(self) -> set[str]:
        """Columns the filters read."""
        # for_file sets lon/lat whenever there is a box, and month_col whenever month_kind
        return ({c for c in (self.lon, self.lat) if c is not None and self.bbox is not None}
                | ({LSOA_NAME_COLUMN} if self.lsoa_prefix else set())
                | ({self.month_col} if self.month_kind and self.month_col else set()))

    def skip(self, md, idx: dict[str, int], rg: int) -> bool:
        """True when row group ``rg``'s statistics show no row can pass."""
        if self.lsoa_prefix:
            lo_name, hi_name = self.lsoa_prefix + " ", self.lsoa_prefix + " \U0010ffff"
            s = _rg_stats(md, idx, rg, LSOA_NAME_COLUMN)
            if s is not None and (s[1] < lo_name or s[0] > hi_name):
                return True
        if self.bbox is not None:
            bbox = self.bbox
            sx, sy = _rg_stats(md, idx, rg, self.lon), _rg_stats(md, idx, rg, self.lat)
            if sx is not None and isinstance(sx[0], (int, float)) and (sx[1] < bbox[0] or sx[0] > bbox[2]):
                return True
            if sy is not None and isinstance(sy[0], (int, float)) and (sy[1] < bbox[1] or sy[0] > bbox[3]):
                return True
        if self.month_kind == "ym":
            s = _rg_stats(md, idx, rg, self.month_col)
            if s is not None and (s[1] < self.m0 or s[0] > self.m1):
                return True
        return False

    def mask(self, tab):
        """Boolean Arrow array: the rows of table ``tab`` passing every filter."""
        import pyarrow as pa
        import pyarrow.compute as pc

        mask = pa.array(np.ones(tab.num_rows, bool))
        if self.lsoa_prefix:
            nm = tab[LSOA_NAME_COLUMN]
            mask = pc.and_(mask, pc.fill_null(pc.match_substring_regex(nm, lsoa_name_pattern(self.lsoa_prefix)), False))
        if self.bbox is not None:
            bbox, lon, lat = self.bbox, self.lon, self.lat
            x = pc.cast(tab[lon], pa.float64(), safe=False) if not pa.types.is_floating(tab.schema.field(lon).type) else tab[lon]
            y = pc.cast(tab[lat], pa.float64(), safe=False) if not pa.types.is_floating(tab.schema.field(lat).type) else tab[lat]
            inb = pc.and_(pc.and_(pc.greater_equal(x, bbox[0]), pc.less_equal(x, bbox[2])),
                          pc.and_(pc.greater_equal(y, bbox[1]), pc.less_equal(y, bbox[3])))
            mask = pc.and_(mask, pc.fill_null(inb, False))
        if self.month_kind == "ym":
            mc = tab[self.month_col]
            mask = pc.and_(mask, pc.fill_null(pc.and_(pc.greater_equal(mc, self.m0), pc.less_equal(mc, self.m1)), False))
        elif self.month_kind == "ts":
            ts = tab[self.month_col]
            start = pd.Timestamp(self.m0 + "-01")
            end = (pd.Period(self.m1, "M") + 1).start_time
            mask = pc.and_(mask, pc.fill_null(pc.and_(pc.greater_equal(ts, pa.scalar(start, ts.type)),
                                                      pc.less(ts, pa.scalar(end, ts.type))), False))
        return mask


def _read_geoparquet(path, meta, bbox, lsoa_prefix, months, columns, total) -> tuple[gpd.GeoDataFrame, int]:
    """GeoParquet: read with geopandas (its bbox filter uses the covering
    column when there is one) and keep file row numbers."""
    gdf = gpd.read_parquet(path, columns=columns)
    gdf.index = np.arange(1, len(gdf) + 1)
    keep = np.ones(len(gdf), bool)
    if bbox is not None:
        box = gpd.GeoSeries.from_xy([bbox[0], bbox[2]], [bbox[1], bbox[3]], crs=4326).to_crs(gdf.crs).total_bounds if gdf.crs else bbox
        b = gdf.geometry.bounds
        keep &= ((b["maxx"] >= box[0]) & (b["minx"] <= box[2]) & (b["maxy"] >= box[1]) & (b["miny"] <= box[3])).to_numpy()
    if lsoa_prefix:
        if LSOA_NAME_COLUMN not in gdf:
            raise InputFileError(f"{path}: an LSOA-name filter was asked for but the file has no '{LSOA_NAME_COLUMN}' column")
        keep &= is_lsoa_of(gdf[LSOA_NAME_COLUMN], lsoa_prefix)
    gdf = gdf[keep]
    geom = gdf.geometry
    table = _to_strings(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    return gpd.GeoDataFrame(table, geometry=geom.to_numpy(), crs=gdf.crs, index=gdf.index), total


# --------------------------------------------------------------------------- PostGIS


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


def month_extent(src: str | Path | StoreSource) -> tuple[pd.Period, pd.Period] | None:
    """First and last month in a store source (police.uk ``Month`` or
    ``occurred``), read from Parquet statistics or one SQL aggregate.

    Parameters
    ----------
    src : str, Path or StoreSource
        A Parquet file or PostgreSQL URL.

    Returns
    -------
    tuple of pandas.Period or None
        ``(first, last)`` months; None when the source has no month column
        or no rows.
    """
    src = src.location if isinstance(src, StoreSource) else _fix_url(str(src))
    if src.startswith(PG_SCHEMES):
        import sqlalchemy as sa

        t = parse_pg_url(src)
        with read_only(t) as conn:
            cols = _pg_columns(conn, t) if t.table else {}
            base = _table_sql(t) if t.table else query_from(t)
            col = "occurred" if "occurred" in cols else "Month" if "Month" in cols else None
            if col is None:
                return None
            lo, hi = conn.execute(sa.text(f"SELECT min({_q(col)}), max({_q(col)}) FROM {base}")).one()
        if lo is None:
            return None
        return pd.Period(pd.Timestamp(str(lo)[:7] + "-01"), "M"), pd.Period(pd.Timestamp(str(hi)[:7] + "-01"), "M")
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(src)
    md = pf.metadata
    idx = {md.schema.column(i).path: i for i in range(md.num_columns)}
    if "Month" not in idx:
        return None
    stats = [_rg_stats(md, idx, rg, "Month") for rg in range(md.num_row_groups)]
    known = [s for s in stats if s is not None]
    if len(known) < len(stats):
        col = pf.read(columns=["Month"])["Month"].to_pandas()
        col = col[col.astype(str).str.len() > 0]
        lo, hi = col.min(), col.max()
    else:
        lo, hi = min(s[0] for s in known), max(s[1] for s in known)
    return pd.Period(str(lo)[:7], "M"), pd.Period(str(hi)[:7], "M")


# --------------------------------------------------------------------------- writing


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
    from .sources import _sha256  # the downloads' checksum: SHA-256 read in 1 MiB blocks

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
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
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
    from .atomic import atomic_path

    path = Path(dest)
    suffix = path.name.lower()
    # whole or absent: written under a temporary name, renamed when complete (a GeoPackage keeps its other layers)
    with atomic_path(path, keep_existing=suffix.endswith(".gpkg")) as tmp:
        try:
            _write_file(table, tmp, suffix, layer or (path.stem if suffix.endswith(".gpkg") else None), path)
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
        geo.to_crs(4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    elif suffix.endswith(".gpkg"):
        if geo is None:
            raise InputFileError(f"{where}: a GeoPackage output needs geometries; write .csv or .parquet for this table")
        geo.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
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

    out = table.copy()
    for c in ("run_id", "run_params", "written_at"):
        if c in out:
            raise StoreError(f"{t.shown}: the table to write already has a column '{c}' (reserved for the run)")
    out["run_id"] = rid
    out["run_params"] = json.dumps(params or {}, sort_keys=True, default=str)
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
            geo.iloc[:0].to_postgis(t.table, conn, schema=t.schema, if_exists="append", index=False)
        else:
            pd.DataFrame(out).iloc[:0].to_sql(str(t.table), conn, schema=t.schema, if_exists="append", index=False)
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


def _copy_rows(conn, t: PgTarget, df: pd.DataFrame) -> None:
    """Append ``df`` with PostgreSQL ``COPY`` (psycopg 3): 10-20x faster than
    the INSERTs of ``to_sql``/``to_postgis``. Geometries go as hex EWKB."""
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
        else:
            v = s.astype(object).where(s.notna(), None).tolist()
            cols.append([x.item() if isinstance(x, np.generic) else x for x in v])
    names = ", ".join(_q(c) for c in df.columns)
    cur = conn.connection.driver_connection.cursor()
    with cur.copy(f"COPY {_table_sql(t)} ({names}) FROM STDIN") as cp:
        for row in zip(*cols):
            cp.write_row(row)


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
    inc = result.incidents.copy()
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


def read_store(path: object, notes: list[str]) -> pd.DataFrame | None:
    """The hook :func:`hotspot.intake.read_incidents` calls per input: the raw
    rows of a :class:`StoreSource` (its notes added to ``notes``), or None
    for an ordinary file.

    Parameters
    ----------
    path : object
        One input: a :class:`StoreSource` is read, anything else is not.
    notes : list of str
        The read's notes; the source's push-down notes are appended.

    Returns
    -------
    DataFrame or None
        The raw rows (see :meth:`StoreSource.read`), or None for another input.

    Raises
    ------
    InputFileError
        The push-down left no row: the store does not cover the area or period.
    """
    if not isinstance(path, StoreSource):
        return None
    df = path.read()
    if df.empty:
        # Nothing to validate; an area or period the store does not cover is an error, never a zero.
        raise InputFileError(f"{path}: no rows match the push-down ({path.describe_filter()}); "
                             "the store does not cover this area or period")
    notes.extend(path.notes)
    return df


# --------------------------------------------------------------------------- input paths (was hotspot.intake.expand_paths)
def expand_paths(paths: str | Path | StoreSource | Iterable[str | Path | StoreSource]
                 ) -> list[Path | StoreSource]:
    """Files named by ``paths``: folders expand to their CSV, GeoJSON and
    GeoPackage files (sorted, recursive). Missing paths raise.

    Parameters
    ----------
    paths : str, Path, StoreSource or a list of them
        Files, folders, ``*.parquet`` paths or ``postgresql://`` URLs.

    Returns
    -------
    list of Path or StoreSource
        The files in order (Parquet and PostgreSQL inputs as
        :class:`~hotspot.stores.StoreSource`).

    Raises
    ------
    InputFileError
        A missing path, a folder without incident files, or no input at all.
    """
    # (a str, Path or StoreSource is one input, not a list of them)
    items = [paths] if isinstance(paths, (str, Path, StoreSource)) else paths
    out: list[Path | StoreSource] = []
    for p in items:
        if is_store(p):  # Parquet / PostgreSQL: read by this module
            out.append(as_source(p))
            continue
        p = Path(p)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.name.lower().endswith((".csv", ".csv.gz", ".geojson", ".json", ".gpkg"))
            )
            if not found:
                raise InputFileError(f"{p}: folder holds no CSV, GeoJSON or GeoPackage files")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputFileError(f"{p}: file not found")
    if not out:
        raise InputFileError("no input files given")
    return out
