"""What intake returns, and the row accounting.

:class:`IntakeResult` (accepted incidents, rejects, filtered rows and what
was detected) and :class:`UnusableInputError`; :func:`_account` is the one
place rows are counted: every row accepted, rejected or filtered, and
``rows == accepted + rejected + filtered`` asserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._errors import HotspotError, InputFileError
from .._memory import release_free_memory
from ..columns import constant_column
from ..incidents import Incidents
from .files import InputFile
from .record import _Parsed


class UnusableInputError(InputFileError):
    """Rows were read but every one was rejected. ``result`` holds the full
    :class:`IntakeResult` (rejects with reasons) for reporting."""

    def __init__(self, message: str, result: "IntakeResult") -> None:
        super().__init__(message)
        self.result = result


#: Standard columns every accepted incident has.
STANDARD_COLUMNS = ("incident_id", "occurred", "date_precision", "crime_type", "location_text")


REASONS = (
    "malformed row", "missing coordinates", "unparsable coordinates", "zero coordinates",
    "coordinates out of range", "swapped", "not a point geometry", "missing date",
    "unparsable date", "future", "before earliest date", "outside area", "duplicate id",
)


@dataclass
class IntakeResult:
    """What :func:`read_incidents` returns.

    Attributes
    ----------
    incidents : GeoDataFrame
        Accepted incidents in ``crs`` (metres) with the standard columns
        ``incident_id, occurred, date_precision, crime_type, location_text``,
        ``source_file, source_row`` and the original columns.
    rejects : DataFrame
        One row per rejected input row: ``source_file, source_row, reason,
        column, detail`` and the raw values.
    filtered : DataFrame
        Rows dropped for being another crime type (``source_file,
        source_row, crime_type``).
    rows : int
        Data rows read from all files.
    crs : pyproj.CRS
        The working CRS of ``incidents``.
    files : list of Path or StoreSource
        The inputs read, folders expanded (a Parquet/PostGIS input as its
        :class:`~hotspot.io.source.StoreSource`).
    notes : list of str
        Warnings raised while reading (repaired encodings and the like).
    detected : list of dict
        Per source: format, columns mapped to roles, coordinate columns and
        their CRS (and how it was chosen), the date column, its day/month
        order or format and precision (see :meth:`summary`).
    crs_how : str
        How the working CRS was chosen.
    crime_types : dict
        Rows per crime type as written in the input (before filtering).
    membership : dict or None
        With an area: the membership rule, the edge tolerance (metres) and
        how many rows it recovered or rejected.
    """

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    filtered: pd.DataFrame
    rows: int
    crs: CRS
    files: list[InputFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    detected: list[dict] = field(default_factory=list)
    crs_how: str = ""
    crime_types: dict[str, int] = field(default_factory=dict)
    membership: dict | None = None

    @property
    def accepted(self) -> int:
        """Number of accepted incidents."""
        return len(self.incidents)

    @property
    def rejected(self) -> int:
        """Number of rejected rows (each with its reason in :attr:`rejects`)."""
        return len(self.rejects)

    @property
    def n_filtered(self) -> int:
        """Number of rows of other crime types, filtered out."""
        return len(self.filtered)

    @property
    def reasons(self) -> dict[str, int]:
        """Rejected rows per reason, most common first."""
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().items()}

    @property
    def date_precision(self) -> str | None:
        """The coarsest date precision among accepted incidents."""
        if self.incidents.empty:
            return None
        levels = set(self.incidents["date_precision"])
        for level in ("month", "day", "minute"):
            if level in levels:
                return level
        return None

    def to_incidents(self) -> Incidents:
        """The accepted incidents as the value every job and analysis takes:
        the frame, its time unit (worked out here, once), the working CRS and
        the inputs read.

        Returns
        -------
        Incidents

        Raises
        ------
        DataPrecisionError
            Month-only rows mixed with rows that have a day (never guessed).
        """
        return Incidents.from_frame(self.incidents, sources=self.files)

    def date_range(self) -> tuple[str, str] | None:
        """First and last ``occurred`` as ISO strings (months as YYYY-MM)."""
        if self.incidents.empty:
            return None
        fmt = "%Y-%m" if self.date_precision == "month" else "%Y-%m-%d"
        occ = self.incidents["occurred"]
        return occ.min().strftime(fmt), occ.max().strftime(fmt)

    def require_incidents(self) -> None:
        """Raise :class:`HotspotError` when no incident is left: every
        analysis needs at least one. The message says where the rows went and
        which crime types the input holds, so the user can fix the filter."""
        if not self.incidents.empty:
            return
        types = pd.concat([self.filtered.get("crime_type", pd.Series(dtype=object)),
                           self.incidents.get("crime_type", pd.Series(dtype=object))])
        present = ", ".join(f"{t} ({n:,})" for t, n in types.astype(str).value_counts().items()) or "none"
        reasons = ", ".join(f"{n:,} {r}" for r, n in self.reasons.items())
        raise HotspotError(
            f"no incidents left: {self.rows:,} rows read, {self.n_filtered:,} filtered by crime type"
            + (f", {self.rejected:,} rejected ({reasons})" if self.rejected else "")
            + f"; crime types present: {present} (check crime_types= and the area)", param='crime_types')

    def summary(self) -> dict:
        """The JSON summary printed by ``hotspot validate --json``.

        Keys: ``rows, accepted, rejected, filtered, reasons, crs, date_range``
        (counts of rows; working CRS; first and last date), and what was
        detected: ``crs_how`` (how the working CRS was chosen),
        ``date_precision`` (month, day or minute), ``crime_types`` (rows per
        type before filtering), ``sources`` (per file: ``format``,
        ``columns`` role -> column, ``coordinates`` {columns, crs, how,
        check}, ``dates`` {column, order, how, precision}), ``membership`` (the
        membership rule, ``edge_tolerance_m`` and row counts, or None) and
        ``notes`` (warnings).
        """
        dr = self.date_range()
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "filtered": self.n_filtered,
            "reasons": self.reasons,
            "crs": self.crs.to_string(),
            "date_range": list(dr) if dr else None,
            "crs_how": self.crs_how,
            "date_precision": self.date_precision,
            "crime_types": dict(self.crime_types),
            "sources": [dict(d) for d in self.detected],
            "membership": dict(self.membership) if self.membership else None,
            "notes": list(self.notes),
        }


def has_month_dates(incidents: pd.DataFrame) -> bool:
    """True when the incidents are dated to the month only (police.uk), so
    analyses in days must refuse or switch to their monthly variant: kept
    for old callers, it is :func:`hotspot.periods.data_time_unit` ``== "month"``.

    Parameters
    ----------
    incidents : DataFrame
        Accepted incidents with a ``date_precision`` column.

    Returns
    -------
    bool
        Whether the rows are dated to the month only.

    Raises
    ------
    DataPrecisionError
        Month-only rows mixed with rows that have a day (never guessed).
    """
    from ..periods import data_time_unit

    return data_time_unit(incidents) == "month"


def _account(parsed: list[_Parsed], work: CRS, malformed: list[dict], files: list[InputFile], notes: list[str], *,
             crs_how: str, membership: dict | None, types: set[str] | None) -> IntakeResult:
    """The row accounting: every row accepted, rejected (with its reason) or
    filtered, counts checked to add up; raises :class:`UnusableInputError`
    when rows were read and every one was rejected."""
    result = _assemble(parsed, work, malformed, files, notes)
    result.detected = [p.info for p in parsed]
    result.crs_how = crs_how
    # a Categorical (a Parquet file's repetitive column) counted as its strings: replace() cannot add a category
    types_all = pd.concat([_as_text(p.crime_type) for p in parsed]).replace("", "(none)")
    result.crime_types = {str(k): int(v) for k, v in types_all.value_counts().items()}
    result.membership = membership
    if types and result.n_filtered:
        notes.extend(_similar_types_filtered(result.crime_types, types))
    if result.accepted == 0 and result.n_filtered:
        asked = ", ".join(sorted(types or ()))
        present = ", ".join(f"{k} ({v:,})" for k, v in result.crime_types.items())
        notes.append(f"no row of crime type {asked}; crime types present: {present}")
    if result.accepted == 0 and result.rejected > 0:
        raise UnusableInputError(_unusable_message(result), result)
    return result


def _similar_types_filtered(present: dict[str, int], asked: set[str]) -> list[str]:
    """A note per filtered crime type whose name holds an asked one
    ("AGGRAVATED BURGLARY" when "Burglary" was asked): such rows are
    burglaries by another name, and leaving them out silently changes every count."""
    out = []
    for name, n in present.items():
        low = name.lower()
        if low not in asked and any(a in low for a in asked):
            out.append(f"crime type '{name}' ({n:,} rows) was filtered out: only {', '.join(sorted(asked))} kept; "
                       f"give --crime-type '{name}' as well to count it")
    return out


def _unusable_message(res: IntakeResult) -> str:
    reason, k = next(iter(res.reasons.items()))
    ex = res.rejects[res.rejects["reason"] == reason].iloc[0]
    where = f"{Path(str(ex['source_file'])).name} row {ex['source_row']}"
    if isinstance(ex.get("column"), str) and ex["column"]:
        where += f", column {ex['column']}"
    if isinstance(ex.get("detail"), str) and ex["detail"]:
        where += f": {ex['detail']}"
    names = ", ".join(str(f) for f in res.files[:3]) + (f" and {len(res.files) - 3} more" if len(res.files) > 3 else "")
    msg = (f"{names}: no usable rows: all {res.rejected:,} rows were rejected; commonest reason "
           f"'{reason}' ({k:,} rows, e.g. {where})")
    if res.n_filtered:
        msg += f"; {res.n_filtered:,} rows of other crime types were filtered out"
    return msg


def _as_text(s: pd.Series) -> pd.Series:
    """``s``, a Categorical as object strings: each row a reference to its
    category's one string object (8 bytes a row, however long the string)."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return s
    return pd.Series(_shared_strings(s.array), index=s.index, dtype=object)


def _shared_strings(cat: pd.Categorical) -> np.ndarray:
    """The values of a Categorical as an object array referring to one
    Python string per category (not one string per row: a 10 KB location
    shared by 2 M rows stays 10 KB), NaN where a value is missing."""
    out = np.asarray(cat.categories, dtype=object).take(cat.codes)
    missing = cat.codes < 0
    if missing.any():  # take() reads code -1 as the last category: a missing value would become a real one
        out[missing] = np.nan
    return out


def _rows(s: pd.Series, rows: np.ndarray):
    """The ``rows`` (boolean mask) of ``s`` as an array for a new frame: a
    string column's own (Arrow) array, a Categorical's as object strings
    shared per category (as text, every row would hold a copy of its
    string: 20 GB for a 10 KB location on 2 M rows), else its NumPy values."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # a Series, as an object array alone would be inferred as text
        return pd.Series(_shared_strings(s.array[rows]), index=s.index[rows], dtype=object)
    return s.array[rows] if isinstance(s.dtype, pd.StringDtype) else s.to_numpy()[rows]


def _take_columns(raw: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The ``rows`` (boolean mask) of a source's raw table, taken column by
    column, each column released from ``raw`` as soon as it is taken: the
    intake's peak holds the raw table plus one column, not two whole tables
    (the raw table is not used after the accounting)."""
    index = raw.index[rows]
    taken = {c: raw.pop(c)[rows] for c in list(raw.columns)}  # each column keeps its dtype
    return pd.DataFrame(taken, index=index, columns=list(taken))


def _release(p: _Parsed) -> None:
    """Drop the record's per-row ids, places and dates once the accepted
    table holds its own copy: nothing reads them after :func:`_assemble`
    (the crime types, still counted, are kept), and a 3 M-row file's ids
    alone are ~0.2 GB while the points are being made."""
    # copies: an empty slice would be a view keeping the whole column alive
    p.ids, p.location, p.occurred = p.ids.iloc[:0].copy(), p.location.iloc[:0].copy(), p.occurred.iloc[:0].copy()
    p.a = p.b = np.empty(0)
    p.lsoa = None
    p.x = p.y = None


def _points(x: np.ndarray, y: np.ndarray, crs: CRS):
    """Points at ``x``, ``y`` (working CRS, metres), one shapely object per
    distinct coordinate pair, shared by the rows that repeat it.

    A shapely point takes ~200 bytes (0.6 GB for 3 M rows), while police.uk
    rows repeat a few hundred thousand anonymised snap points: rows at the
    same place refer to one immutable point (pairs compared bit for bit, so
    every row gets exactly its own coordinates). Exact-address data, with
    few repeats, get one point per row as before.
    """
    codes, one = _distinct_pairs(x, y)
    return gpd.points_from_xy(x[one], y[one], crs=crs)[codes]  # a GeometryArray, as points_from_xy gives


def _distinct_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct coordinate pairs of ``x``, ``y``, told apart by their
    bits (0.0 and -0.0, NaN payloads: each its own pair): each row's pair
    number, and one row of each pair (any: the rows of a pair hold the same
    bits). By hashing: np.unique sorted 1 M keys (~0.1 s)."""
    kx, _ = _bit_codes(x)
    ky, ny = _bit_codes(y)
    codes, pairs = pd.factorize(kx * max(ny, 1) + ky)
    one = np.empty(len(pairs), np.int64)
    one[codes] = np.arange(len(codes))
    return codes, one


def _bit_codes(v: np.ndarray) -> tuple[np.ndarray, int]:
    """An integer code per distinct float of ``v`` by its bits (0.0 and -0.0
    apart, as the points' coordinates are), and the number of codes."""
    codes, uniq = pd.factorize(np.ascontiguousarray(v, dtype=np.float64).view(np.int64))
    return codes.astype(np.int64), len(uniq)


def _shared(p: _Parsed, raw: pd.DataFrame) -> dict[str, str]:
    """The record's series (``ids``, ``crime_type``, ``location``) that are a
    raw column itself (nothing stripped), by the column: the accepted table
    then takes such rows once for both."""
    return {attr: c for attr in ("ids", "crime_type", "location") for c in raw.columns
            if getattr(p, attr).array is raw[c].array}


def _assemble(parsed: list[_Parsed], work: CRS, malformed: list[dict], files: list[InputFile],
              notes: list[str]) -> IntakeResult:
    """Accepted incidents, rejects and filtered rows from the marked records
    (the one place rows are counted; conservation asserted)."""
    accepted: list[gpd.GeoDataFrame] = []
    rejects: list[pd.DataFrame] = [pd.DataFrame(malformed)] if malformed else []
    filtered: list[pd.DataFrame] = []
    rows = len(malformed)
    for p in parsed:
        x, y = p.projected()
        rows += len(p.table)
        ok = (p.reason == None) & ~p.filtered  # noqa: E711
        raw = p.table
        def meta(rows, path=str(p.path), index=raw.index):  # the rows' file and row number, built per use
            return pd.DataFrame({"source_file": constant_column(path, int(np.count_nonzero(rows))), "source_row": index[rows]},
                                index=index[rows])

        bad = (p.reason != None) & ~p.filtered  # noqa: E711
        if bad.any():
            rej = pd.concat([meta(bad), pd.DataFrame({
                "reason": p.reason[bad], "column": p.column[bad], "detail": p.detail[bad]}, index=raw.index[bad]),
                raw[bad]], axis=1)
            rejects.append(rej)
        if ok.any():
            shared = _shared(p, raw)
            orig = _take_columns(raw, ok)
            std_cols = {attr: orig[c].array for attr, c in shared.items() if isinstance(orig[c].dtype, pd.StringDtype)}
            orig = orig.rename(columns=lambda c: f"orig_{c}" if c in STANDARD_COLUMNS or c in ("geometry", "source_file", "source_row") else c)
            std = pd.DataFrame({
                # the Series' own arrays (Arrow strings), not .to_numpy(): that made one Python string per row
                # and column (~0.75 GB for 3 M rows) only for the frame to turn them back into the same dtype
                "incident_id": std_cols.get("ids", _rows(p.ids, ok)),
                "occurred": _rows(p.occurred, ok),
                "date_precision": constant_column(p.precision, int(ok.sum())),
                "crime_type": std_cols.get("crime_type", _rows(p.crime_type, ok)),
                "location_text": std_cols.get("location", _rows(p.location, ok)),
            }, index=raw.index[ok])
            _release(p)
            # the rejects are made: the marks go too, and the accepted points are made from their rows' coordinates
            # only, the whole file's freed first (~0.12 GB for 3 M rows)
            p.reason, p.column, p.detail = (np.empty(0, dtype=object) for _ in range(3))
            x, y = x[ok], y[ok]
            release_free_memory()  # the raw columns just released, before the points are made on top
            accepted.append(gpd.GeoDataFrame(
                pd.concat([std, meta(ok), orig], axis=1),
                geometry=_points(x, y, work), crs=work,
            ))
            del x, y
        if p.filtered.any():
            filtered.append(pd.concat([meta(p.filtered), pd.DataFrame(
                {"crime_type": _rows(p.crime_type, p.filtered)}, index=raw.index[p.filtered])], axis=1))
    if accepted:
        inc = pd.concat(accepted, ignore_index=True)
        inc = gpd.GeoDataFrame(inc, geometry="geometry", crs=work)
        del accepted
        release_free_memory()
    else:
        inc = gpd.GeoDataFrame({c: [] for c in STANDARD_COLUMNS + ("source_file", "source_row")},
                               geometry=gpd.GeoSeries([], crs=work), crs=work)
        inc["occurred"] = pd.to_datetime(inc["occurred"])
    rej_cols = ["source_file", "source_row", "reason", "column", "detail"]
    rej = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=rej_cols)
    filt = pd.concat(filtered, ignore_index=True) if filtered else pd.DataFrame(columns=["source_file", "source_row", "crime_type"])
    for frame in (inc, rej, filt):  # one dtype however many files (concat makes differing categories objects)
        for c in ("source_file", "date_precision"):
            # ours is the first column of the name (a rejected row's raw columns may hold one too: a table loaded before)
            i = next((k for k, name in enumerate(frame.columns) if name == c), None)
            if i is not None and not isinstance(frame.iloc[:, i].dtype, pd.CategoricalDtype):
                frame.isetitem(i, frame.iloc[:, i].astype("category").array)
    result = IntakeResult(incidents=inc, rejects=rej, filtered=filt, rows=rows, crs=work, files=files, notes=notes)
    assert result.rows == result.accepted + result.rejected + result.n_filtered, "row conservation broken"
    return result
