"""The store source: a Parquet file or PostgreSQL table/query with its push-down filters.

:class:`StoreSource` reads the rows that can matter (an area's lon/lat box,
an LSOA-name prefix, a month range) through :mod:`hotspot.io.parquet` or
:mod:`hotspot.io.postgis`, and notes what it left out (``read N of M rows``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import geopandas as gpd
import pandas as pd

from .._errors import InputFileError
from .parquet import _rg_stats, read_parquet_raw
from .postgis import _pg_columns, read_postgis_raw
from .raw import BBox
from .urls import PG_SCHEMES, _fix_url, _q, _table_sql, is_pg_url, parse_pg_url, query_from, read_only

if TYPE_CHECKING:
    from ..areas import Area


def is_store(src: object) -> bool:
    """True when ``src`` is read by :mod:`hotspot.io`: a :class:`StoreSource`, a
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
    #: rows in the source before the push-down, as the last :meth:`read` found them (None: not known)
    total_rows: int | None = field(default=None, compare=False, repr=False)

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
        self.total_rows = total
        note = self.push_down_note(len(df))
        if note:
            self.notes.append(note)
        return df

    def push_down_note(self, kept: int) -> str | None:
        """The note a read keeping ``kept`` rows writes (``read N of M rows``),
        or None when it kept every row or the total is not known.

        Parameters
        ----------
        kept : int
            Rows the push-down kept.

        Returns
        -------
        str or None
        """
        total = self.total_rows
        if total is not None and kept < total:
            return f"{self}: read {kept:,} of {total:,} rows (push-down: {self.describe_filter()})"
        return None

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


#: Degrees added round an area's lon/lat box before pushing it down, so a
#: point on the boundary is never cut by rounding of the box corners.
BBOX_MARGIN_DEG = 0.002


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
