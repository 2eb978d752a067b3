"""One read per file within a run: a run's stages ask for the same reference
files (the boundary layer for the area and again for the report's borough
codes; the Census households for the campaign units and the report's
rates), and within :func:`read_each_file_once` each is read and validated
once.

The cache lives only as long as the ``with`` block (one run); outside it
:func:`read_once` just reads. A file is known by its resolved path, its
modification time and size, and the reader with its arguments, so a file
changed during a run is read again, never served stale.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pandas as pd

T = TypeVar("T")

_CACHE: ContextVar[dict[tuple, Any] | None] = ContextVar("hotspot_read_once", default=None)


@contextmanager
def read_each_file_once() -> Iterator[dict[tuple, Any]]:
    """Within the block, :func:`read_once` reads each file (with the same
    reader and arguments) once; the block's end forgets every file. Nested
    blocks share the outer one's cache.

    Yields
    ------
    dict
        The cache (key -> what the reader returned), for inspection.
    """
    have = _CACHE.get()
    if have is not None:
        yield have
        return
    token = _CACHE.set({})
    try:
        yield _CACHE.get() or {}
    finally:
        _CACHE.reset(token)


def read_once(path: str | Path, reader: Callable[..., T], /, **kwargs: Any) -> T:
    """``reader(path, **kwargs)``, or within :func:`read_each_file_once` a
    copy of what the first such call returned for the unchanged file.

    Parameters
    ----------
    path : path
        The file; a missing one is passed to ``reader`` as it is (its error,
        never a cached answer).
    reader : callable
        Reads ``path`` (e.g. :func:`pandas.read_csv`); what it returns should
        not depend on anything but the file and ``kwargs``.
    **kwargs
        The reader's keyword arguments (part of the key, by ``repr``).

    Returns
    -------
    object
        What ``reader`` returns; a DataFrame or GeoDataFrame is a copy, so a
        caller changing its own is no other caller's business.
    """
    cache = _CACHE.get()
    p = Path(path)
    if cache is None or not p.is_file():
        return reader(path, **kwargs)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size, getattr(reader, "__module__", ""),
           getattr(reader, "__qualname__", repr(reader)), repr(sorted(kwargs.items())))
    if key not in cache:
        cache[key] = reader(path, **kwargs)
    got = cache[key]
    return got.copy() if hasattr(got, "copy") else got


def read_csv_once(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """:func:`read_once` of :func:`pandas.read_csv` (a whole table, never a
    chunk iterator).

    Parameters
    ----------
    path : path
        The CSV file.
    **kwargs
        Keyword arguments of :func:`pandas.read_csv` (not ``chunksize`` or
        ``iterator``).

    Returns
    -------
    DataFrame
        The table (a copy of the run's one read).
    """
    return read_once(path, _read_csv, **kwargs)


def _read_csv(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    return pd.read_csv(path, **kwargs)
