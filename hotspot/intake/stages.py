"""The intake's named stages, and :func:`read_incidents` that runs them.

parse (here, with :mod:`.files`, :mod:`.columns`, :mod:`.coords`,
:mod:`.dates`) -> coordinates (:mod:`.coords`, :mod:`.dates`) -> CRS ->
project -> area (:mod:`.membership`) -> duplicates (:mod:`.dedupe`); then
:func:`~hotspot.intake.result._account` counts the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd
from pyproj import CRS

from .. import settings
from .._errors import CRSError, InputFileError
from .._memory import release_free_memory
from ..crs import as_crs, choose_working_crs, is_metric_projected, project
from ..io.paths import expand_paths
from ..io.source import StoreSource, area_bbox_lonlat, push_down
from ..settings import GB_CRS, WGS84
from .columns import _mark_nul_bytes, _new_record, _no_id_note, _roles, _stable_ids
from .coords import _centre, _check_coordinates, _column_coordinates, _geometry_coordinates, _require_points
from .dates import _mark_implausible_dates, _parse_dates
from .dedupe import _stage_duplicates
from .files import Format, IncidentInput, InputFile, _load_source
from .membership import _membership
from .record import RowDetails, _mark, _Parsed
from .result import IntakeResult, UnusableInputError, _account, _distinct_pairs

if TYPE_CHECKING:  # for annotations only
    from ..areas import Area

def read_incidents(
    paths: IncidentInput,
    *,
    format: Format = "auto",
    crime_types: Iterable[str] | str | None = None,
    crs: str | int | CRS | None = None,
    columns: Mapping[str, str] | None = None,
    area: Area | None = None,
    area_buffer: float | None = None,
    date_format: str | None = None,
    now: pd.Timestamp | str | None = None,
    source_name: str | None = None,
) -> IntakeResult:
    """Read, validate and project incident records.

    Parameters
    ----------
    paths : path, URL, list of them, or DataFrame
        CSV files (police.uk street-level or any records-system export),
        GeoJSON/GeoPackage/Parquet files, ``postgresql://`` URLs, or folders
        of files; or one pandas
        DataFrame holding such a table (e.g. police.uk rows read from a
        parquet file), read exactly like a CSV with those columns (a
        GeoDataFrame like a GIS layer).
    format : {"auto", "policeuk", "csv", "vector"}
        Input format; ``"auto"`` sniffs each file.
    crime_types : str or list of str, optional
        Keep only these crime types (case-insensitive); others are *filtered*.
        ``"all"`` keeps every row (a file of one crime type with no type
        column).
    crs : CRS-like, optional
        CRS of x/y columns. When it is projected in metres it is also the
        working CRS. Without it, lon/lat columns are used. When the file
        also has lon/lat columns they are cross-checked against the x/y.
    columns : mapping, optional
        Column names by role: ``id, date, x, y, lon, lat, type, location``.
    area : Area, optional
        Study area (see :mod:`hotspot.areas`); rows not in it are rejected
        with reason ``"outside area"`` (membership rule: package notes) and
        the incidents are projected to the area's CRS.
    area_buffer : float, optional
        Edge tolerance of the area test, metres; default
        :data:`hotspot.settings.AREA_EDGE_TOLERANCE`.
    date_format : str, optional
        strftime format of the date column; default: ISO 8601, or the
        day/month order proved by the column itself.
    now : timestamp, optional
        Dates after this are rejected as ``"future"`` (default: now).
    source_name : str, optional
        Name used for a DataFrame source in messages and ``source_file``.

    Returns
    -------
    IntakeResult
        Accepted incidents in the working CRS (metres), rejects with their
        reasons, filtered rows, and what was detected.

    Raises
    ------
    InputFileError
        Missing, empty, header-only or undecodable file, a required column
        absent, polygons where points are needed, a date column whose
        day/month order is contradictory or undecidable. The message names
        the file and column.
    UnusableInputError
        Every row read was rejected (names the commonest reason).
    CRSError
        x/y columns without a CRS, x/y contradicting the file's lon/lat or
        not degrees in a geographic CRS.
    """
    sources, files = _sources(paths, area, area_buffer, source_name)
    opts = _Options.from_args(crime_types=crime_types, crs=crs, now=now, area_buffer=area_buffer)
    notes: list[str] = []
    parsed, malformed = _stage_parse(sources, format, opts, columns=columns, date_format=date_format, notes=notes,
                                     source_name=source_name)
    release_free_memory()  # the parse's transient cells, before the stages allocate on top (a large file's peak)
    return _judge(parsed, area, opts, malformed, files, notes)


def _judge(parsed: list[_Parsed], area: Area | None, opts: _Options, malformed: list[dict],
           files: list[InputFile], notes: list[str]) -> IntakeResult:
    """The stages after the parse, for one area (or none): coordinates, CRS,
    projection, membership, duplicates, and the accounting of every row."""
    _stage_coordinates(parsed, area, opts.now)
    work, crs_how = _stage_crs(parsed, area, opts.crs)
    _stage_project(parsed, work)
    membership = _stage_area(parsed, area, opts.tol, notes) if area is not None else None
    _stage_duplicates(parsed, notes)
    release_free_memory()
    return _account(parsed, work, malformed, files, notes, crs_how=crs_how, membership=membership, types=opts.types)


def read_incidents_near(
    paths: IncidentInput,
    *,
    area: Area,
    wide: Area,
    format: Format = "auto",
    crime_types: Iterable[str] | str | None = None,
    crs: str | int | CRS | None = None,
    columns: Mapping[str, str] | None = None,
    area_buffer: float | None = None,
    date_format: str | None = None,
    now: pd.Timestamp | str | None = None,
    source_name: str | None = None,
) -> tuple[IntakeResult, IntakeResult]:
    """One read of the inputs judged twice: against the study ``area`` and
    against a ``wide`` area holding it (the area and its surroundings), as
    two :func:`read_incidents` calls with ``area=area`` and ``area=wide``
    would, reading and parsing each input once.

    The rows are parsed once; each area then has its own coordinate checks,
    membership (its rule and edge tolerance), duplicates and accounting, so
    the area's result is the one :func:`read_incidents` gives for it. A
    Parquet/PostGIS input is read in the box holding both areas' boxes, and
    each result keeps the rows of its own box (and the push-down note its
    own read would write).

    Parameters
    ----------
    paths : path, URL, list of them, or DataFrame
        As :func:`read_incidents`.
    area : Area
        The study area (metres).
    wide : Area
        An area around it, in the same CRS (e.g. the area plus a buffer).
    format, crime_types, crs, columns, area_buffer, date_format, now, source_name
        As :func:`read_incidents` (``area_buffer`` in metres, for both areas).

    Returns
    -------
    (IntakeResult, IntakeResult)
        The area's result and the wide area's.

    Raises
    ------
    InputFileError, CRSError
        As :func:`read_incidents`.
    UnusableInputError
        Every row read was rejected for the study area (raised first); for
        the wide area it is raised after the study area's result was made.
    """
    opts = _Options.from_args(crime_types=crime_types, crs=crs, now=now, area_buffer=area_buffer)
    if isinstance(paths, pd.DataFrame):
        sources: list[Any] = [paths]
        files: list[InputFile] = [Path(source_name or "<DataFrame>")]
        boxed: dict[int, tuple] = {}
    else:
        files = expand_paths(paths)
        sources = list(files)
        own_box, wide_box = area_bbox_lonlat(area, opts.tol), area_bbox_lonlat(wide, opts.tol)
        union = (min(own_box[0], wide_box[0]), min(own_box[1], wide_box[1]),
                 max(own_box[2], wide_box[2]), max(own_box[3], wide_box[3]))
        # the inputs this read boxes (a store the caller boxed keeps its box, for both areas, as in two reads)
        boxed = {id(f): (own_box, wide_box) for f in files if isinstance(f, StoreSource) and f.bbox is None}
        for f in files:
            if id(f) in boxed:
                assert isinstance(f, StoreSource)
                f.bbox = union
    notes: list[str] = []
    parsed, malformed = _stage_parse(sources, format, opts, columns=columns, date_format=date_format, notes=notes,
                                     source_name=source_name)
    if any(id(p.path) in boxed and not p.coord_crs.is_geographic for p in parsed):
        # the box is on lon/lat columns this record does not hold as its coordinates: read for each area
        for f in files:
            if id(f) in boxed:
                assert isinstance(f, StoreSource)
                f.bbox, f.notes = None, []
        return tuple(read_incidents(paths, area=a, format=format, crime_types=crime_types, crs=crs,  # type: ignore[return-value]
                                    columns=columns, area_buffer=area_buffer, date_format=date_format, now=now,
                                    source_name=source_name) for a in (area, wide))
    out = []
    for k, a in enumerate((area, wide)):
        fork, fork_files, fork_notes = _fork(parsed, files, notes, boxed, k)
        try:
            out.append(_judge(fork, a, opts, malformed, fork_files, fork_notes))
        except UnusableInputError as exc:
            if k == 0:
                raise
            out.append(exc.result)
    return out[0], out[1]


def _fork(parsed: list[_Parsed], files: list[InputFile], notes: list[str], boxed: dict[int, tuple],
          k: int) -> tuple[list[_Parsed], list[InputFile], list[str]]:
    """The records, inputs and notes one area's read would have: a boxed
    store keeps the rows in that area's lon/lat box (the push-down's test:
    within the box, edges included) and that read's note; other inputs keep
    every row."""
    fork, fork_notes, fork_files = [], list(notes), list(files)
    for p in parsed:
        if id(p.path) not in boxed:
            fork.append(p.take())
            continue
        store = p.path
        assert isinstance(store, StoreSource)
        box = boxed[id(store)][k]
        rows = (p.a >= box[0]) & (p.a <= box[2]) & (p.b >= box[1]) & (p.b <= box[3])
        own = replace(store, bbox=box, notes=[])
        own.total_rows = store.total_rows
        if not rows.any():
            raise InputFileError(f"{own}: no rows match the push-down ({own.describe_filter()}); "
                                 "the store does not cover this area or period")
        note = own.push_down_note(int(rows.sum()))
        own.notes = [note] if note else []
        # the union read's note, where this area's read wrote its own
        fork_notes = [m for n in fork_notes for m in ((own.notes or []) if n in store.notes else [n])]
        fork_files = [own if f is store else f for f in fork_files]
        fork.append(p.take(rows))
    return fork, fork_files, fork_notes


@dataclass(frozen=True)
class _Options:
    """The caller's options, checked and normalised once."""

    types: set[str] | None  # crime types to keep, lower case
    crs: CRS | None  # CRS of x/y columns
    now: pd.Timestamp  # dates after it are "future"
    tol: float  # edge tolerance of the area test, metres

    @classmethod
    def from_args(cls, *, crime_types, crs, now, area_buffer) -> "_Options":
        if isinstance(crime_types, str):
            crime_types = [crime_types]
        if crime_types and any(t.strip().lower() == "all" for t in crime_types):
            crime_types = None  # "--crime-type all": every row, e.g. a file of burglaries with no type column
        tol = settings.AREA_EDGE_TOLERANCE if area_buffer is None else float(area_buffer)
        if not np.isfinite(tol) or tol < 0:
            raise InputFileError(f"area buffer must be zero or more metres, got {area_buffer!r}")
        return cls(types={t.strip().lower() for t in crime_types} if crime_types else None, crs=as_crs(crs),
                   now=pd.Timestamp(now) if now is not None else pd.Timestamp.now(), tol=tol)


def _sources(paths: IncidentInput, area: Area | None, area_buffer: float | None,
             source_name: str | None) -> tuple[list[Any], list[InputFile]]:
    """The sources to parse and their names: one DataFrame, or the files
    (folders expanded); Parquet/PostGIS readers get the area's box widened by
    the edge tolerance (metres), so they read only rows that can belong."""
    if isinstance(paths, pd.DataFrame):
        return [paths], [Path(source_name or "<DataFrame>")]
    files = expand_paths(paths)
    push_down(files, area, settings.AREA_EDGE_TOLERANCE if area_buffer is None else area_buffer)
    return list(files), files


def _stage_parse(sources: list, fmt: Format, opts: _Options, *, columns: Mapping[str, str] | None,
                 date_format: str | None, notes: list[str],
                 source_name: str | None) -> tuple[list[_Parsed], list[dict]]:
    """Stage 1, parse: every source into a record (rows, roles, coordinates
    in their own CRS, dates, ids); malformed CSV records are listed apart."""
    parsed: list[_Parsed] = []
    malformed: list[dict] = []
    for src in sources:
        p, bad = _parse_file(src, fmt, crime_types=opts.types, crs=opts.crs, columns=columns,
                             date_format=date_format, notes=notes, source_name=source_name)
        parsed.append(p)
        malformed += [dict(source_file=str(p.path), source_row=r, reason="malformed row", column=None, detail=d)
                      for r, d in bad]
    return parsed, malformed


def _parse_file(
    src,
    fmt: Format,
    *,
    crime_types: set[str] | None,
    crs: CRS | None,
    columns: Mapping[str, str] | None,
    date_format: str | None,
    notes: list[str],
    source_name: str | None = None,
) -> tuple[_Parsed, list[tuple[int, str]]]:
    """Parse one source: its rows, columns by role, coordinates (in their own
    CRS), dates and ids; rows that fail a check are marked, none dropped."""
    path, table, geoms, file_crs, kind, bad = _load_source(src, fmt, notes, source_name)
    if geoms is not None:
        _require_points(path, geoms)
    cols = _roles(path, table, kind, columns, crime_types)
    p = _new_record(path, table, cols, kind, crime_types)
    _mark_nul_bytes(p)
    if geoms is not None:
        _geometry_coordinates(p, geoms, file_crs, crs)
    else:
        _column_coordinates(p, cols, crs)
    date_col = cols["date"]
    assert date_col is not None  # _roles raises when there is no date column
    _parse_dates(p, table[date_col], date_col, kind == "policeuk", date_format)
    if cols["id"] is None:
        _no_id_note(p, notes)
    need = (p.ids == "").to_numpy(bool)
    if cols["id"] is None or need.any():
        derived = _stable_ids(path, table, None if cols["id"] is None or need.all() else need)
        if len(derived) < len(table):
            # only the rows without an id have one made; the others hold a placeholder that where() never takes
            full = np.full(len(table), "derived-", dtype=object)
            full[need] = derived.to_numpy(dtype=object)
            derived = pd.Series(full, index=table.index, dtype=derived.dtype)
        p.ids = p.ids.where(p.ids != "", derived)
    return p, bad


def _stage_coordinates(parsed: list[_Parsed], area, now: pd.Timestamp) -> None:
    """Stage 2, coordinates: zero, out-of-range and swapped coordinates, and
    dates in the future, are marked. Swaps are recognised against the area's
    centre, else the median of the rows whose coordinates look sane."""
    centres: dict[str, tuple[float, float] | None] = {}
    for p in parsed:
        key = p.coord_crs.to_wkt()
        if key not in centres:
            centres[key] = _centre(parsed, p.coord_crs, area)
    for p in parsed:
        tol_swap = 2.0 if p.coord_crs.is_geographic else 200_000.0  # degrees / metres
        _check_coordinates(p, centres[p.coord_crs.to_wkt()], tol_swap)
        future = (p.occurred > now).to_numpy()
        _mark(p, future, "future", None, _after(p.occurred, now))
        _mark_implausible_dates(p, now)


def _after(occurred: pd.Series, now: pd.Timestamp) -> RowDetails:
    """``<date> is after <now>`` for the marked rows of ``occurred``."""
    return lambda rows: (f"{d:%Y-%m-%d} is after {now:%Y-%m-%d}" if pd.notna(d) else "" for d in occurred.iloc[rows])


def _stage_crs(parsed: list[_Parsed], area: Area | None, user_crs: CRS | None) -> tuple[CRS, str]:
    """Stage 3, CRS: the working CRS (metres) and how it was chosen: the
    area's, else the user's metric CRS, else chosen from the points (British
    National Grid in GB, UTM elsewhere)."""
    if area is not None:
        area_crs = as_crs(area.crs)
        if area_crs is None:
            raise CRSError(f"the area {area.name} has no CRS")
        return area_crs, f"the area's CRS ({area.name})"
    if user_crs is not None and is_metric_projected(user_crs):
        return user_crs, "the CRS given with --crs (projected, metres)"
    lons, lats = [], []
    for p in parsed:
        ok = p.reason == None  # noqa: E711
        lo, la = project(p.a[ok], p.b[ok], p.coord_crs, WGS84)
        lons.append(lo)
        lats.append(la)
    work = choose_working_crs(np.concatenate(lons), np.concatenate(lats))
    how = ("British National Grid: the data lie in Great Britain" if work.equals(CRS.from_user_input(GB_CRS))
           else f"UTM zone of the data's median location ({work.name})")
    return work, how


def _stage_project(parsed: list[_Parsed], work: CRS) -> None:
    """Stage 4, project: every row's coordinates into the working CRS
    (``p.x``, ``p.y``, metres); rows that cannot be projected are marked."""
    for p in parsed:
        p.x, p.y = _project_distinct(p.a, p.b, p.coord_crs, work)
        _mark(p, ~(np.isfinite(p.x) & np.isfinite(p.y)) & np.isfinite(p.a), "coordinates out of range",
              "/".join(p.coord_cols), "cannot be projected")


def _stage_area(parsed: list[_Parsed], area, tol: float, notes: list[str]) -> dict:
    """Stage 5, area: rows not in the area are marked ``outside area`` (rule:
    package notes); returns the membership counts."""
    membership = _membership(parsed, area, tol)
    if membership["attributed_here_beyond_tolerance"]:
        notes.append(f"{membership['attributed_here_beyond_tolerance']:,} rows of {area.name}'s police.uk LSOAs lie "
                     f"more than {tol:g} m outside its boundary and were rejected (see rejects)")
    return membership


#: A record whose distinct coordinate pairs number at most this share of its
#: rows is projected once per pair (police.uk snap points); exact-address
#: data, with few repeats, row by row as before.
_DISTINCT_SHARE = 0.5


def _project_distinct(a: np.ndarray, b: np.ndarray, src: CRS, dst: CRS) -> tuple[np.ndarray, np.ndarray]:
    """``project(a, b, src, dst)``, computed once per distinct pair.

    police.uk rows repeat anonymised snap points (London: ~0.1 M distinct
    pairs in 0.74 M rows), and the WGS84 -> British National Grid step
    (three PROJ transforms, :func:`hotspot.crs.from_lonlat`) was the
    intake's largest cost. PROJ maps each point on its own, so projecting
    the distinct pairs (told apart by their bits: 0.0 and -0.0, NaN
    payloads, each its own pair) and spreading the results gives every row
    exactly the coordinates a per-row call gives.

    Parameters
    ----------
    a, b : numpy.ndarray of float
        Coordinates in ``src`` units (degrees of longitude and latitude, or
        metres).
    src, dst : pyproj.CRS
        Their CRS and the working CRS.

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, y)`` in ``dst`` units (metres), one per row.
    """
    if len(a) == 0:
        return project(a, b, src, dst)
    codes, one = _distinct_pairs(a, b)
    if len(one) > _DISTINCT_SHARE * len(a):
        return project(a, b, src, dst)
    ux, uy = project(np.asarray(a, float)[one], np.asarray(b, float)[one], src, dst)
    return ux[codes], uy[codes]
