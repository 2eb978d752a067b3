"""Parquet and GeoParquet reads with push-down.

Row groups whose statistics miss the filters (a lon/lat box, an LSOA-name
prefix, a month range) are skipped; the others are read one at a time and
filtered with Arrow compute, so peak memory is one row group plus the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputFileError
from ..columns import detect_columns, is_lsoa_of, lsoa_name_pattern
from .raw import CATEGORICAL_SHARE, LSOA_NAME_COLUMN, BBox, _to_strings, text_type


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
        plain = pq.ParquetFile(path)
        # text columns read as dictionaries (each distinct string once, an index per row), never as one string
        # per row: a value shared by many rows (a 10 KB location on 2 M rows) costs what it costs in the file
        text = [f.name for f in plain.schema_arrow if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        pf = pq.ParquetFile(path, read_dictionary=text) if text else plain
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
        raise InputFileError(f"{path}: cannot read as Parquet: {exc}") from None
    md = pf.metadata
    names = pf.schema_arrow.names
    if md.num_rows == 0:
        raise InputFileError(f"{path}: no rows")
    geo = (md.metadata or {}).get(b"geo")
    if geo is not None:
        return _read_geoparquet(path, json.loads(geo), bbox, lsoa_prefix, months, None, md.num_rows)
    flt = _RowFilter.for_file(path, plain, bbox=bbox, lsoa_prefix=lsoa_prefix, months=months)
    # ``columns`` is a hint: used only when the file has them all (else read everything).
    keep_cols = list(columns) if columns is not None and set(columns) <= set(names) else names
    read_cols = [c for c in names if c in set(keep_cols) | flt.columns()]
    idx = {md.schema.column(i).path: i for i in range(md.num_columns)}
    out_cols = [c for c in read_cols if c in keep_cols]
    parts: list[Any] = []  # the row groups' Arrow tables
    numbers: list[np.ndarray] = []  # their rows' numbers in the file
    plain_cols: set[str] = set()
    offsets = np.cumsum([0] + [md.row_group(i).num_rows for i in range(md.num_row_groups)])
    for rg in range(md.num_row_groups):
        if flt.skip(md, idx, rg):  # statistics first: no wanted row can be in it
            continue
        tab = pf.read_row_group(rg, columns=read_cols)
        rows = np.flatnonzero(np.asarray(flt.mask(tab).to_numpy(zero_copy_only=False), bool))
        if len(rows) == 0:
            continue
        tab = tab.select(out_cols)
        tab = tab if len(rows) == tab.num_rows else tab.take(pa.array(rows))
        if not parts:  # decided on the first rows read: a column of mostly distinct strings (the Crime ID) is plain
            plain_cols = {c for c in out_cols if _mostly_distinct(tab[c])}
        parts.append(_decode(tab, plain_cols))
        numbers.append(offsets[rg] + rows + 1)
    # one table, its row groups' dictionaries unified, made a frame once: pandas would turn Categoricals with
    # different categories into one Python string per row when concatenating frames
    table = (pa.concat_tables(parts) if parts else pf.schema_arrow.empty_table().select(out_cols)).unify_dictionaries()
    del parts
    df = table.to_pandas(self_destruct=True, types_mapper=text_type)
    del table
    df.index = np.concatenate(numbers) if numbers else np.zeros(0, np.int64)
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
            pattern = lsoa_name_pattern(self.lsoa_prefix)
            mask = pc.and_(mask, pc.fill_null(_per_value(tab[LSOA_NAME_COLUMN],
                                                         lambda v: pc.match_substring_regex(v, pattern)), False))
        if self.bbox is not None:
            bbox, lon, lat = self.bbox, self.lon, self.lat
            x = pc.cast(tab[lon], pa.float64(), safe=False) if not pa.types.is_floating(tab.schema.field(lon).type) else tab[lon]
            y = pc.cast(tab[lat], pa.float64(), safe=False) if not pa.types.is_floating(tab.schema.field(lat).type) else tab[lat]
            inb = pc.and_(pc.and_(pc.greater_equal(x, bbox[0]), pc.less_equal(x, bbox[2])),
                          pc.and_(pc.greater_equal(y, bbox[1]), pc.less_equal(y, bbox[3])))
            mask = pc.and_(mask, pc.fill_null(inb, False))
        if self.month_kind == "ym":
            m0, m1 = self.m0, self.m1
            inm = _per_value(tab[self.month_col], lambda v: pc.and_(pc.greater_equal(v, m0), pc.less_equal(v, m1)))
            mask = pc.and_(mask, pc.fill_null(inm, False))
        elif self.month_kind == "ts":
            ts = tab[self.month_col]
            start = pd.Timestamp(self.m0 + "-01")
            end = (pd.Period(self.m1, "M") + 1).start_time
            mask = pc.and_(mask, pc.fill_null(pc.and_(pc.greater_equal(ts, pa.scalar(start, ts.type)),
                                                      pc.less(ts, pa.scalar(end, ts.type))), False))
        return mask


def _mostly_distinct(col) -> bool:
    """Whether a dictionary-encoded column holds more distinct values than
    :data:`~hotspot.io.raw.CATEGORICAL_SHARE` of its rows (its dictionary
    would only add an index to every string)."""
    import pyarrow as pa

    return (pa.types.is_dictionary(col.type)
            and sum(len(ch.dictionary) for ch in col.chunks) > CATEGORICAL_SHARE * max(len(col), 1))


def _decode(tab, columns: set[str]):
    """``tab`` with the dictionary-encoded ``columns`` as plain strings."""
    import pyarrow as pa

    for c in columns:
        col = tab[c]
        if pa.types.is_dictionary(col.type):
            plain = pa.chunked_array([ch.dictionary_decode() for ch in col.chunks], col.type.value_type)
            tab = tab.set_column(tab.schema.get_field_index(c), c, plain)
    return tab


def _per_value(col, test):
    """Boolean Arrow array: ``test`` (an Arrow compute function of an array)
    of every row of ``col``; a dictionary-encoded column is tested once per
    distinct value and the answers taken by the rows' indices (null stays null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(col.type):
        return test(col)
    return pa.chunked_array([pc.take(test(ch.dictionary), ch.indices) for ch in col.chunks], pa.bool_())


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
    if months is not None:
        keep &= _in_months(gdf, months)
    gdf = gdf[keep]
    geom = gdf.geometry
    table = _to_strings(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    return gpd.GeoDataFrame(table, geometry=geom.to_numpy(), crs=gdf.crs, index=gdf.index), total


def _in_months(frame: pd.DataFrame, months: tuple[str, str]) -> np.ndarray:
    """Rows of a GeoParquet table within ``months`` (first, last ``YYYY-MM``, inclusive): the same rule as
    :class:`_RowFilter` applies to plain Parquet - a police.uk ``Month`` text column, else a timestamp or date
    column; a file with neither keeps every row (the intake's own date checks still apply)."""
    m0, m1 = pd.Period(months[0], "M"), pd.Period(months[1], "M")
    month_col = "Month" if "Month" in frame else detect_columns(list(frame.columns))["date"]
    if not month_col:
        return np.ones(len(frame), bool)
    col = frame[month_col]
    if col.dtype == object and isinstance(col.dropna().iloc[0] if col.notna().any() else None, date):
        col = pd.to_datetime(col)  # an Arrow date32 column arrives as datetime.date objects
    if month_col == "Month" and (pd.api.types.is_string_dtype(col) or col.dtype == object):
        text = col.astype("string")
        return (text.ge(str(m0)) & text.le(str(m1))).fillna(False).to_numpy(bool)
    if pd.api.types.is_datetime64_any_dtype(col):
        start, end = m0.start_time, (m1 + 1).start_time
        if getattr(col.dt, "tz", None) is not None:  # a zoned column compares with zoned bounds
            start, end = start.tz_localize(col.dt.tz), end.tz_localize(col.dt.tz)
        return (col.ge(start) & col.lt(end)).fillna(False).to_numpy(bool)
    return np.ones(len(frame), bool)
