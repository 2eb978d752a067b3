"""The record of one source while intake judges it.

:class:`_Parsed` holds a source's rows (the raw table, index = row number),
their coordinates and dates, and one status per row; :func:`_mark` gives rows
a reason (the first reason wins). Every stage marks, none drops a row:
:func:`hotspot.intake.result._account` alone turns the marks into accepted,
rejected and filtered rows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from pyproj import CRS


@dataclass
class _Parsed:
    """One file, parsed but not yet judged as a whole input."""

    path: Path
    table: pd.DataFrame  # raw columns, index = row number
    a: np.ndarray  # lon or x
    b: np.ndarray  # lat or y
    coord_crs: CRS
    coord_cols: tuple[str, str]
    occurred: pd.Series
    precision: str
    ids: pd.Series
    crime_type: pd.Series
    location: pd.Series
    reason: np.ndarray  # object: None = ok so far
    column: np.ndarray
    detail: np.ndarray
    filtered: np.ndarray  # bool
    lsoa: pd.Series | None = None  # police.uk "LSOA name", when the file has one
    info: dict = field(default_factory=dict)  # what was detected, for summary()
    x: np.ndarray | None = None  # projected into the working CRS (metres), by _stage_project
    y: np.ndarray | None = None

    def take(self, rows: np.ndarray | None = None) -> "_Parsed":
        """A record of the ``rows`` (boolean mask; default all) with marks of
        its own, for judging the same parsed rows against another area. The
        raw table is a shallow copy when every row is kept (the accounting
        pops its columns, never changes their values)."""
        keep = np.ones(len(self.table), bool) if rows is None else np.asarray(rows, bool)
        full = bool(keep.all())

        def sub(v):  # an array or a Series: a boolean mask selects rows of either
            if v is None:
                return None
            return v.copy() if full else v[keep]

        table = self.table.copy(deep=False) if full else self.table[keep]
        return replace(self, table=table, a=sub(self.a), b=sub(self.b), occurred=sub(self.occurred), ids=sub(self.ids),
                       crime_type=sub(self.crime_type), location=sub(self.location), reason=sub(self.reason),
                       column=sub(self.column), detail=sub(self.detail), filtered=sub(self.filtered),
                       lsoa=sub(self.lsoa), info=copy.deepcopy(self.info), x=sub(self.x), y=sub(self.y))

    def projected(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) in the working CRS, metres (set by :func:`_stage_project`)."""
        assert self.x is not None and self.y is not None, "_stage_project has not run"
        return self.x, self.y


#: The details of the rows being marked, made for those rows alone: called
#: with their positions (ascending), it returns one string per position.
RowDetails = Callable[[np.ndarray], Iterable[str]]


def _mark(p: _Parsed, mask: np.ndarray, reason: str, column: str | None,
          detail: RowDetails | Iterable[str] | str = "") -> None:
    """Give ``reason`` to rows in ``mask`` that have no reason yet.

    ``detail`` is one string for all of them, one per row of ``p``, or a
    :data:`RowDetails` function: a malformed file's few marked rows then
    cost a Python string each, not every row of the file (a detail
    formatted per row was ~20 s per million rows and reason)."""
    m = np.asarray(mask, bool)
    if not m.any():  # most rules mark nothing in a clean file: skip the object-array comparison (~15 ms/M rows)
        return
    m = m & (p.reason == None) & ~p.filtered  # noqa: E711 (elementwise)
    if not m.any():
        return
    p.reason[m] = reason
    p.column[m] = column
    if isinstance(detail, str):
        p.detail[m] = detail
    elif callable(detail):
        rows = np.flatnonzero(m)
        made = np.empty(len(rows), dtype=object)
        made[:] = list(detail(rows))
        p.detail[m] = made
    else:
        p.detail[m] = np.asarray(list(detail), dtype=object)[m]
