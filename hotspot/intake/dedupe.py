"""Duplicates: stage 6 of the intake.

A row whose incident id an earlier good row already has is marked
``duplicate id`` (the package notes, "Duplicates", say why one id is one
burglary); duplicate rows far from the row kept are counted in a note, and
inputs that hold the same incidents under other ids are refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import settings
from .._errors import InputFileError
from .record import _mark, _Parsed


def _stage_duplicates(parsed: list[_Parsed], notes: list[str]) -> None:
    """Stage 6, duplicates: a row whose id an earlier good row (any source,
    input order) already has is marked ``duplicate id``, naming the kept row;
    rows of one id at different places are counted in a note."""
    ids = pd.concat([p.ids for p in parsed], ignore_index=True) if len(parsed) > 1 else parsed[0].ids
    good = np.concatenate([(p.reason == None) & ~p.filtered for p in parsed])  # noqa: E711
    # a derived id (no id in the input) is a hash of the row's content: two equal rows in two files share it,
    # but without an id nothing shows they are one burglary, so only real ids make duplicates
    good &= ~ids.str.startswith("derived-").to_numpy(dtype=bool, na_value=False) & ids.notna().to_numpy()
    # each row's "file:row", built only for the kept rows named (not one string per input row: 0.3 GB at 3 M rows)
    names = np.concatenate([np.full(len(p.table), k) for k, p in enumerate(parsed)])
    rownum = np.concatenate([p.table.index.to_numpy() for p in parsed])
    # the first good row of each id: by integer codes of the ids (never a Python string per row), sorted
    # stably so the earliest row of a code comes first
    rows = np.flatnonzero(good)
    codes = _id_codes(ids)[rows]
    order = np.argsort(codes, kind="stable")
    starts = np.r_[True, codes[order][1:] != codes[order][:-1]]
    first = rows[order][np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))]
    later = first != rows[order]
    dup_rows, kept = rows[order][later], first[later]
    back = np.argsort(dup_rows, kind="stable")  # in input order, as the note and the marks expect
    dup_rows, kept = dup_rows[back], kept[back]
    dup = np.zeros(len(ids), bool)
    dup[dup_rows] = True
    dup_of = np.full(len(ids), "", dtype=object)
    dup_of[dup_rows] = np.array([f"same id as {parsed[k].path.name}:{r}"
                                 for k, r in zip(names[kept], rownum[kept])], dtype=object)
    offset = 0
    for p in parsed:
        sl = slice(offset, offset + len(p.table))
        _mark(p, dup[sl], "duplicate id", "id", dup_of[sl])
        offset += len(p.table)
    notes.extend(_moved_duplicates_note(parsed, dup_rows, kept))
    _refuse_overlapping_sources(parsed)


def _id_codes(ids: pd.Series) -> np.ndarray:
    """An integer code per distinct id: by Arrow's hashing when the ids are
    Arrow strings (no Python object per row), else by pandas'."""
    import pyarrow as pa

    if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow":
        arr = pa.array(ids.array)  # the Series' own Arrow data (one or more chunks), not copied
        enc = (arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])).dictionary_encode()
        return np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in enc.chunks]
                              or [np.empty(0, np.int64)]).astype(np.int64)
    return pd.factorize(ids)[0].astype(np.int64)


def _moved_duplicates_note(parsed: list[_Parsed], dups: np.ndarray, kept: np.ndarray) -> list[str]:
    """Duplicate-id rows more than the area edge tolerance from the row kept:
    the records disagree on the place, and the first row's place is used."""
    if not len(dups):
        return []
    xy = [p.projected() for p in parsed]
    x, y = np.concatenate([a for a, _ in xy]), np.concatenate([b for _, b in xy])
    d = np.hypot(x[dups] - x[kept], y[dups] - y[kept])
    far = d[np.isfinite(d) & (d > settings.AREA_EDGE_TOLERANCE)]
    if not len(far):
        return []
    return [f"{len(far):,} duplicate-id rows lie more than {settings.AREA_EDGE_TOLERANCE:g} m from the row kept "
            f"(median {np.median(far):,.0f} m, up to {far.max():,.0f} m): the records disagree on the place, and the "
            "first row's is used"]


def _refuse_overlapping_sources(parsed: list[_Parsed]) -> None:
    """Two sources holding the same incidents under other ids (e.g. a police.uk
    extract and a city-wide file: 64- vs 16-character Crime IDs) would count
    every burglary twice. When most of a later source's accepted rows repeat
    an earlier source's date, place and location text exactly, refuse."""
    if len(parsed) < 2:
        return
    seen: set[tuple] = set()
    for k, p in enumerate(parsed):
        good = (p.reason == None) & ~p.filtered  # noqa: E711
        if not good.any():
            continue
        keys = set(zip(p.occurred[good].astype(str), np.round(p.a[good], 6), np.round(p.b[good], 6),
                       p.location[good]))
        if k and seen:
            rows = list(zip(p.occurred[good].astype(str), np.round(p.a[good], 6), np.round(p.b[good], 6),
                            p.location[good]))
            share = float(np.mean([r in seen for r in rows]))
            if share > 0.5 and len(rows) >= 20:
                raise InputFileError(
                    f"{p.path}: {share:.0%} of its rows repeat an earlier input's date, place and location under "
                    "other ids: the inputs overlap and every burglary would count twice; give one of them")
        seen |= keys
