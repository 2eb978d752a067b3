"""The raw table every store read returns, and the names shared by readers and writers.

A raw table is in the input's own columns, every value a string (``""`` for
missing, like a CSV read with no NA parsing), indexed by the row's number in
the source; :func:`hotspot.intake.read_incidents` validates it as any other
input.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

#: A lon/lat box, degrees: (west, south, east, north).
BBox = tuple[float, float, float, float]


#: The row-order column :func:`load_incidents` adds ("fid"; the second name
#: when the input has its own "fid" column), read back as the row number.
ROW_ORDER_COLUMNS = ("fid", "hotspot_row")


#: police.uk LSOA names are "<borough> 001A" (2011 and 2021 codes alike).
LSOA_NAME_COLUMN = "LSOA name"


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
