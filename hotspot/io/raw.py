"""The raw table every store read returns, and the names shared by readers and writers.

A raw table is in the input's own columns, every value a string (``""`` for
missing, like a CSV read with no NA parsing), indexed by the row's number in
the source; :func:`hotspot.intake.read_incidents` validates it as any other
input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # annotations only: pyarrow is imported where it is used
    import pyarrow as pa

#: A lon/lat box, degrees: (west, south, east, north).
BBox = tuple[float, float, float, float]


#: The row-order column :func:`load_incidents` adds ("fid"; the second name
#: when the input has its own "fid" column), read back as the row number.
ROW_ORDER_COLUMNS = ("fid", "hotspot_row")


#: police.uk LSOA names are "<borough> 001A" (2011 and 2021 codes alike).
LSOA_NAME_COLUMN = "LSOA name"


#: A column whose distinct values number at most this share of its rows is
#: returned as a pandas Categorical of its text (one code per row, each
#: distinct string once); a column of mostly distinct values (an incident id)
#: as Arrow-backed text, where a dictionary would only add the codes.
CATEGORICAL_SHARE = 0.5


#: The dtype of text columns: pandas' default string dtype (Arrow-backed,
#: NaN for missing), what a CSV read gives.
TEXT = pd.StringDtype(na_value=np.nan)


def text_type(arrow_type: pa.DataType) -> pd.StringDtype | None:
    """``types_mapper`` for ``pyarrow.Table.to_pandas``: Arrow strings as
    :data:`TEXT` (what a CSV read gives: Arrow-backed, no Python string per
    row), other types as pyarrow converts them (None).

    Parameters
    ----------
    arrow_type : pyarrow.DataType
        A column's Arrow type.

    Returns
    -------
    pandas.StringDtype or None
    """
    import pyarrow as pa

    return TEXT if arrow_type in (pa.string(), pa.large_string()) else None


#: Rows whose distinct values decide whether an Arrow text column is worth
#: dictionary-encoding at all (a column of ids is then never hashed whole).
_SAMPLE_ROWS = 65_536


def _text_rule(s: pd.Series) -> pd.Series:
    """The text of each value, ``""`` for missing: timestamps as
    ``YYYY-MM-DDTHH:MM:SS`` (no time when midnight), anything else as
    ``str()`` gives it (floats in Python's shortest round-trip repr)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("").str.replace("T00:00:00", "", regex=False).astype(object)
    na = s.isna()
    return s.astype(object).where(~na, "").astype(str).astype(object)


def _is_text(values: pd.Index | pd.Series) -> bool:
    """Whether every value is a Python/Arrow string (missing values aside)."""
    return pd.api.types.is_string_dtype(values.dtype) and (
        values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"))


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """(codes, values): ``s`` as one code per row (-1 missing) into its
    distinct values; None when the values cannot be told apart exactly by
    hashing (objects other than strings: Decimal('1.0') == Decimal('1.00')
    but their texts differ)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(), pd.Series(s.cat.categories)
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        # by bit pattern: -0.0 == 0.0 but str() tells them apart
        arr = s.to_numpy()
        codes, bits = pd.factorize(arr.view(f"i{arr.itemsize}"))
        return codes, pd.Series(np.asarray(bits).view(arr.dtype))
    if (isinstance(dtype, np.dtype) and dtype.kind in "iubmM") or isinstance(dtype, pd.DatetimeTZDtype) or _is_text(s):
        codes, values = pd.factorize(s)
        return codes, pd.Series(values)
    return None


def _arrow_text(s: pd.Series):
    """An Arrow-backed text column as :func:`_text_column` gives it, in
    Arrow: missing as ``""``, kept as text when most values are distinct,
    else dictionary-encoded into a Categorical."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.array)  # the column's own Arrow data (no copy)
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    head = arr.slice(0, _SAMPLE_ROWS)  # a column of distinct ids shows it in its first rows: no hashing of them all
    if pc.count_distinct(head).as_py() <= CATEGORICAL_SHARE * max(len(head), 1):
        encoded = pa.table({"v": arr.dictionary_encode()}).unify_dictionaries()
        if len(encoded["v"].chunk(0).dictionary) <= CATEGORICAL_SHARE * max(len(s), 1):
            return _text_column(encoded.to_pandas()["v"])
    return pa.table({"v": arr}).to_pandas(types_mapper=text_type)["v"].array


def _text_column(s: pd.Series):
    """One column as :func:`_text_rule` gives it, computed once per distinct
    value: a Categorical of the strings (no Python string per row, a value
    shared by many rows stored once), or Arrow text when most values are
    distinct; other object columns row by row."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return _arrow_text(s)
    split = _distinct(s)
    if split is None:
        return pd.array(_text_rule(s).to_numpy(), dtype=TEXT)
    codes, values = split
    codes = codes.astype(np.intp)
    if _is_text(values) and not values.isna().any():  # distinct strings already: their text is themselves
        cats = pd.Index(values, dtype=TEXT)
        missing = codes < 0
        if missing.any():
            empty = np.flatnonzero(np.asarray(cats == "", bool))
            if not len(empty):
                cats = cats.append(pd.Index([""], dtype=TEXT))
            codes[missing] = empty[0] if len(empty) else len(cats) - 1
    else:
        # the rule can give two values one text (NaN and a null both ""); missing rows are code -1 -> "" (last)
        tcodes, uniq = pd.factorize(np.append(_text_rule(values).to_numpy(object), ""))
        codes, cats = tcodes[codes], pd.Index(uniq, dtype=TEXT)
    used = np.bincount(codes, minlength=len(cats)) > 0
    if not used.all():  # a dictionary can hold values of rows filtered out
        codes = (np.cumsum(used) - 1)[codes]
        cats = cats[used]
    if len(cats) > CATEGORICAL_SHARE * max(len(s), 1):
        return cats.take(codes).array
    small = np.int8 if len(cats) < 128 else np.int16 if len(cats) < 32_768 else np.int32
    return pd.Categorical.from_codes(codes.astype(small), categories=cats)


def _to_strings(df: pd.DataFrame, skip: Iterable[str] = ()) -> pd.DataFrame:
    """Columns as strings, ``""`` for missing, like a CSV read with no NA
    parsing. Floats use Python's shortest round-trip repr, so parsing them
    back gives the same doubles.

    A column whose distinct values are few (at most
    :data:`CATEGORICAL_SHARE` of its rows: police.uk months, forces,
    outcomes, places, snap-point coordinates) is a pandas Categorical of
    those strings, converted once per distinct value; the others are
    Arrow-backed text. The values are the strings a per-cell conversion
    gives (``""`` included), at a few bytes per row instead of a Python
    string object each.
    """
    out = {}
    skip = set(skip)
    for c in df.columns:
        s = df[c]
        out[c] = s.array if c in skip else _text_column(s)
    return pd.DataFrame(out, index=df.index, columns=df.columns)
