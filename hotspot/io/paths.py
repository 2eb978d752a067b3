"""Input paths: files, folders and store sources named by the user (was ``hotspot.intake.expand_paths``)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .._errors import InputFileError
from .source import StoreSource, as_source, is_store


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
        :class:`~hotspot.io.source.StoreSource`).

    Raises
    ------
    InputFileError
        A missing path, a folder without incident files, or no input at all.
    """
    # (a str, Path or StoreSource is one input, not a list of them)
    items = [paths] if isinstance(paths, (str, Path, StoreSource)) else paths
    out: list[Path | StoreSource] = []
    for p in items:
        if is_store(p):  # Parquet / PostgreSQL: read by hotspot.io
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
