"""A source's columns by role, and the record built from them.

The roles themselves (which column is the id, the date, the coordinates...)
are detected by :mod:`hotspot.columns`; here they are checked against the
table (police.uk's fixed names, a named column missing), the record of the
source is started (ids, crime type, location text, the crime-type filter),
rows holding a NUL byte are rejected, and rows without an id get a stable
derived one.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from pyproj import CRS

from .._errors import InputFileError
from ..columns import detect_columns
from ..settings import WGS84
from .record import _mark, _Parsed


def _roles(path: Path, table: pd.DataFrame, kind: str, columns: Mapping[str, str] | None,
           crime_types: set[str] | None) -> dict[str, str | None]:
    """Columns by role (police.uk's fixed names for police.uk files); a
    column the user named, the date or a needed crime type missing raises."""
    cols = detect_columns(table.columns, columns)
    if kind == "policeuk":
        for req in ("Month", "Longitude", "Latitude"):
            if req not in table.columns:
                raise InputFileError(f"{path}: required column '{req}' is missing (police.uk format)")
        cols.update(id="Crime ID" if "Crime ID" in table.columns else None, date="Month",
                    lon="Longitude", lat="Latitude", x=None, y=None,
                    type="Crime type" if "Crime type" in table.columns else None,
                    location="Location" if "Location" in table.columns else None)
    for role, name in (columns or {}).items():
        if name and name not in table.columns:
            raise InputFileError(f"{path}: column '{name}' (given for {role}) not found; columns are {list(table.columns)}")
    if cols["date"] is None:
        raise InputFileError(f"{path}: required column for the date is missing (name it with date_col=); columns are {list(table.columns)}", param='date_col')
    if crime_types and cols["type"] is None:
        raise InputFileError(f"{path}: a crime-type filter was asked for but there is no crime-type column (name it "
                             "with type_col=, or give crime_types=all when every row is a burglary)", param=('type_col', 'crime_types'))
    return cols


def _new_record(path: Path, table: pd.DataFrame, cols: Mapping[str, str | None], kind: str,
                crime_types: set[str] | None) -> _Parsed:
    """The record of one source before coordinates and dates: ids, crime
    type, location text, and the crime-type filter applied."""
    n = len(table)
    empty = pd.Series([""] * n, index=table.index, dtype=object)
    p = _Parsed(
        path=path, table=table, a=np.full(n, np.nan), b=np.full(n, np.nan), coord_crs=CRS.from_user_input(WGS84),
        coord_cols=("", ""), occurred=pd.Series(pd.NaT, index=table.index), precision="day",
        ids=_stripped(table[cols["id"]]) if cols["id"] else empty.copy(),
        crime_type=_stripped(table[cols["type"]]) if cols["type"] else empty.copy(),
        location=_stripped(table[cols["location"]]) if cols["location"] else empty.copy(),
        reason=np.full(n, None, dtype=object), column=np.full(n, None, dtype=object),
        detail=np.full(n, "", dtype=object), filtered=np.zeros(n, bool),
        lsoa=_stripped(table["LSOA name"]) if "LSOA name" in table.columns else None,
    )
    p.info = {"file": str(path), "format": {"policeuk": "police.uk street-level CSV", "csv": "records-system CSV",
                                            "vector": "GIS layer"}.get(kind, kind),
              "columns": {k: v for k, v in cols.items() if v}}
    if table.attrs.get("delimiter", ",") != ",":
        p.info["delimiter"] = {"\t": "tab"}.get(table.attrs["delimiter"], table.attrs["delimiter"])
        p.info["delimiter_how"] = "the header has no comma; csv.Sniffer and every sampled line agree"
        p.info["format"] += f", delimited by '{p.info['delimiter']}' (not commas: {p.info['delimiter_how']})"
    if crime_types:
        p.filtered = ~p.crime_type.str.lower().isin(crime_types).to_numpy()
    return p


def _stripped(s: pd.Series) -> pd.Series:
    """``s`` with surrounding blanks removed; a Categorical (a large CSV's
    repetitive column) by its categories, so it stays one code per row,
    unless stripping makes two categories equal."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        old = s.cat.categories
        cats = old.str.strip()
        if cats.equals(old):  # nothing to strip (the usual case): no category renamed one Python string at a time
            return s
        if cats.is_unique:
            return s.cat.rename_categories(list(cats))
    out = s.str.strip()
    # unchanged (the usual case): keep the column's own array, so the accepted table can share it, not copy it
    return s if isinstance(s.dtype, pd.StringDtype) and out.equals(s) else out


def _mark_nul_bytes(p: _Parsed) -> None:
    """Reject rows holding a NUL byte (0x00) in any cell, naming the column:
    no database text field can store one (PostgreSQL refuses the whole COPY),
    and it is a sign of a corrupt export, not a burglary to plan on."""
    for col in p.table.columns:
        s = p.table[col]
        if isinstance(s.dtype, pd.CategoricalDtype):  # one check per distinct value
            cats = s.cat.categories
            bad_codes = np.flatnonzero(cats.astype(str).str.contains("\x00", regex=False))
            if len(bad_codes):
                _mark(p, np.isin(s.cat.codes.to_numpy(), bad_codes), "NUL byte", str(col),
                      f"{col} holds a NUL byte (0x00): a corrupt export?")
            continue
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
            pass  # Arrow strings: str.contains below is one C scan, without a Python string per cell
        elif "\x00" not in "\x1f".join(map(str, s.tolist())):  # one C-speed scan: 4x faster than str.contains
            continue
        nul = s.str.contains("\x00", regex=False).fillna(False).to_numpy(bool)
        if nul.any():
            _mark(p, nul, "NUL byte", str(col), f"{col} holds a NUL byte (0x00): a corrupt export?")


def _no_id_note(p: _Parsed, notes: list[str]) -> None:
    """Say that a source has no incident-id column: its rows are told apart
    by content (derived ids), so none can be dropped as a duplicate of
    another; a repeated crime reference under an unrecognised name would
    otherwise pass unseen."""
    note = (f"{p.path}: no incident-id column detected (looked for Crime ID, Crime Reference, CRN, URN, incident "
            f"number and the like among {list(p.table.columns)[:12]}); every row counts as one burglary and none is "
            "dropped as a duplicate: name the id column with --id-col if there is one")
    p.info["id"] = "none detected: rows told apart by content, never dropped as duplicates"
    notes.append(note)
    warnings.warn(note, stacklevel=4)


def _stable_ids(path: Path, table: pd.DataFrame, rows: np.ndarray | None = None) -> pd.Series:
    """Derived ids for rows without one: a hash of the row's content plus its
    occurrence number among identical rows, so the same file always gives the
    same ids and identical rows still get distinct ids.

    ``rows`` (a boolean mask; default every row) are the rows needing one:
    the rows whose id cell is empty. A row identical to one of them has the
    same id cell, so is one of them too: their occurrence numbers counted
    among these rows alone are the ones counted over the whole table, and
    the ids of the other rows are never made (they were one Python join and
    hash per row of the file: ~300 s for 1 M rows with one empty id)."""
    sub = table if rows is None else table[np.asarray(rows, bool)]
    content = _row_text(sub)
    nth = content.groupby(content).cumcount().astype(str)
    return ("derived-" + (content + "\x1e" + nth).map(
        lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:16])).set_axis(sub.index)


def _row_text(table: pd.DataFrame) -> pd.Series:
    """Each row's cells as text (``str()`` of each, as ``astype(str)`` gives
    them) joined by the unit separator 0x1F, joined column by column in
    Arrow rather than row by row in Python; row by row when a cell has no
    text (a missing value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = table.astype(str)
    if len(text.columns) and not text.isna().to_numpy().any():
        joined = pc.binary_join_element_wise(*[_arrow_text(text[c]) for c in text.columns],
                                            pa.scalar("\x1f", pa.large_string()))
        return pd.Series(joined.to_numpy(zero_copy_only=False), index=table.index, dtype=object)
    return text.agg("\x1f".join, axis=1)


def _arrow_text(s: pd.Series):
    """A text column as Arrow large strings: its own Arrow data when it has
    some (no Python string per cell), else converted."""
    import pyarrow as pa

    arr = s.array
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return pa.array(arr).cast(pa.large_string())
    return pa.array(s.to_numpy(dtype=object), pa.large_string())
