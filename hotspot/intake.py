"""Incident intake: read, validate and project crime records.

Every input row ends in exactly one of three places:

* **accepted** - a row of the returned GeoDataFrame, projected into the
  working CRS (metres);
* **rejected** - a row of the rejects table, with the file, the row number
  (1 = first data row), the column at fault and a reason;
* **filtered** - a row of another crime type than asked for (counted, not an
  error).

``rows == accepted + rejected + filtered`` always holds.

Stages
------
:func:`read_incidents` runs six named stages over per-source records (the
source's rows as a DataFrame plus one status per row):
``_stage_parse`` (rows, columns by role, coordinates in their own CRS, dates,
ids) -> ``_stage_coordinates`` (zero, out-of-range, swapped, future) ->
``_stage_crs`` (the working CRS) -> ``_stage_project`` -> ``_stage_area``
(membership) -> ``_stage_duplicates``. A stage never drops a row: it marks it
with :func:`_mark` (the first reason wins), and :func:`_account` alone turns
the marks into accepted, rejected and filtered rows and checks the counts.

Duplicates
----------
A *duplicate* is a row whose incident id was already accepted earlier in the
input (any file, input order). The first row is kept and the later ones are
rejected with reason ``"duplicate id"`` naming the kept row. In the police.uk
Barnet extract the 412 extra rows of duplicated Crime IDs repeat the same
month and snap point and differ only in ``Last outcome category``; in the
Cincinnati file one ``incident_no`` carries one row per offence or victim. In
both cases one id is one burglary, and counting it twice would invent
"repeat" victimisations.

Area membership
---------------
With an ``area``, a row belongs to it by one of two rules, chosen once:

* **police.uk attribution** - when rows carry a police.uk ``LSOA name``
  ("<district name> 001A") and the district part of some rows equals the
  area's name (or the area's boundary layer is a layer of those districts:
  at least half the districts named by the rows are units of it),
  membership follows police.uk's own LSOA attribution: rows of
  the area's LSOAs are accepted when their point lies inside the area or
  within the edge tolerance of it (police.uk snaps crimes on a boundary road
  to the road's centre line, a few metres over the line); rows of the area's
  LSOAs farther out are rejected (``"outside area"``, with the distance), and
  rows of other districts' LSOAs are rejected even when the point falls
  inside the polygon, so neighbouring areas never count one crime twice.
* **point in polygon** - otherwise. A point within the edge tolerance
  outside the polygon is accepted only when no other polygon of the area's
  boundary layer contains it (so it is not also counted by a neighbour).

The tolerance is ``area_buffer`` metres, default
:data:`hotspot.settings.AREA_EDGE_TOLERANCE`.

Dates
-----
Day/month order is decided once per date column, never per row: ISO 8601
(year first) as it is; for ``dd/mm/yyyy``-like columns a first field above
12 in some row proves day-first and a second field above 12 proves
month-first. A column proving both is refused, and so is a column where no
row proves either, unless ``date_format`` is given. What was decided is in
:attr:`IntakeResult.detected`.

Unusable input
--------------
When rows were read but every one of them is rejected, :func:`read_incidents`
raises :class:`UnusableInputError` naming the commonest reason, instead of
returning nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import settings
from ._errors import CRSError, HotspotError, InputFileError
from .columns import COLUMN_ALIASES as COLUMN_ALIASES  # moved below intake and hotspot.io; old imports work
from .columns import POLICE_UK_COLUMNS as POLICE_UK_COLUMNS
from .columns import detect_columns
from .columns import lsoa_district as lsoa_district  # the police.uk LSOA-name rule's one copy
from .crs import as_crs, choose_working_crs, is_metric_projected, project, transformer
from .io.paths import expand_paths
from .io.source import StoreSource, push_down, read_store
from .settings import GB_CRS, GB_LONLAT_BOUNDS, WGS84

if TYPE_CHECKING:  # for annotations only
    from .areas import Area


class UnusableInputError(InputFileError):
    """Rows were read but every one was rejected. ``result`` holds the full
    :class:`IntakeResult` (rejects with reasons) for reporting."""

    def __init__(self, message: str, result: "IntakeResult") -> None:
        super().__init__(message)
        self.result = result

Format = Literal["auto", "policeuk", "csv", "vector"]
#: What :func:`read_incidents` reads: a path or URL, a list of them, an opened
#: store source, or one table (DataFrame or GeoDataFrame).
IncidentInput = str | Path | StoreSource | pd.DataFrame | Iterable[str | Path | StoreSource]
#: One input file as intake reads it: a path, or a Parquet/PostGIS store source.
InputFile = Path | StoreSource

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
            + f"; crime types present: {present} (check --crime-type and the area)")

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
    from .periods import data_time_unit

    return data_time_unit(incidents) == "month"


# --------------------------------------------------------------------------- files


def _is_vector(path: Path) -> bool:
    return path.name.lower().endswith((".geojson", ".json", ".gpkg", ".shp", ".fgb"))


def _decode(path: Path, notes: list[str]) -> str:
    """File text: UTF-8 (BOM allowed), else Windows-1252 with a note.

    Bytes that are neither (e.g. 0x81) cannot be repaired without guessing, so
    they raise, naming the line.
    """
    raw = gzip.open(path).read() if path.name.lower().endswith(".gz") else path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_line = raw[: exc.start].count(b"\n") + 1
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"{path}: undecodable byte 0x{raw[exc.start]:02x} at line {line} (neither UTF-8 nor Windows-1252)"
        ) from None
    note = f"{path}: not UTF-8 (first bad byte at line {utf8_line}); decoded as Windows-1252"
    notes.append(note)
    warnings.warn(note, stacklevel=3)
    return text


#: Spreadsheet endings: read with openpyxl (.xlsx, .xlsm) or refused by name (.xls, .ods), never decoded as text.
_SPREADSHEET_ENDINGS = (".xlsx", ".xlsm", ".xls", ".ods")


def _read_spreadsheet(path: Path, notes: list[str]) -> pd.DataFrame:
    """The one sheet of an Excel workbook as string columns (row numbers
    from 1 below the header, as for a CSV); a workbook with several sheets
    holding data, or an old .xls/.ods, is refused by name."""
    if not path.name.lower().endswith((".xlsx", ".xlsm")):
        raise InputFileError(f"{path}: {path.suffix} spreadsheets are not read; save the sheet of incidents as .xlsx "
                             "or CSV (UTF-8)")
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # a corrupt or password-protected workbook
        raise InputFileError(f"{path}: cannot read as an Excel workbook: {exc}") from None
    full = {name: df for name, df in sheets.items() if not df.empty}
    if len(full) != 1:
        raise InputFileError(f"{path}: " + (f"{len(full)} sheets hold data ({', '.join(map(str, full))}): save the "
                                            "sheet of incidents as a workbook or CSV of its own" if full
                                            else "no sheet holds data rows"))
    (sheet, cells), = full.items()
    filled = (cells != "").sum(axis=1).to_numpy()
    top = 0  # title rows above the header: at most one cell filled while the rows below fill three or more
    while top < len(cells) - 3 and filled[top] <= 1 and np.median(filled[top + 1:top + 26]) >= 3:
        top += 1
    if top:
        notes.append(f"{path}: skipped {top} row(s) above the header in sheet '{sheet}' "
                     f"({'; '.join(repr(v[:60]) for v in cells.iloc[:top].to_numpy().ravel() if v) or 'blank'})")
    header = [str(v).strip() for v in cells.iloc[top]]
    df = cells.iloc[top + 1:, [h != "" for h in header]]
    df.columns = [h for h in header if h != ""]
    df.index = np.arange(1, len(df) + 1)
    notes.append(f"{path}: read sheet '{sheet}' of the Excel workbook")
    return df


def _skip_title_lines(path: Path, text: str, notes: list[str]) -> str:
    """Text without the title lines some exports put above the header.

    A leading line is a title when it holds at most one delimiter while the
    lines below (header and records) hold at least three each: that cannot be
    a header of the same table, so it is skipped with a note naming it. Any
    other shape is left to the header and ragged-row checks.
    """
    lines = text[:200_000].splitlines()[:25]
    counts = [max(line.count(d) for d in ",;\t|") for line in lines]
    skip = 0
    while skip < len(lines) - 3 and counts[skip] <= 1:
        skip += 1
    below = sorted(counts[skip:])
    if not skip or below[len(below) // 2] < 3 or counts[skip] < 3:
        return text
    titles = "; ".join(repr(line.strip()[:60]) for line in lines[:skip] if line.strip())
    note = (f"{path}: skipped {skip} line(s) above the header, not part of the table "
            f"({titles or 'blank'}); the header is line {skip + 1}")
    notes.append(note)
    warnings.warn(note, stacklevel=4)
    return text.split("\n", skip)[-1]  # the text itself from the header on (\r\n endings kept)


def _read_csv_text(path: Path, text: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Parse CSV text into string columns; malformed records are returned
    separately as (row number, detail) instead of failing the file."""
    if not text.strip():
        raise InputFileError(f"{path}: empty file")
    sep = _sniff_delimiter(path, text)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False)
        bad: list[tuple[int, str]] = []
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: empty file") from None
    except pd.errors.ParserError:
        # Slow path, only for files with ragged records: keep the good ones,
        # list the bad ones by row number.
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        header = next(reader)
        good: list[list[str] | None] = []
        bad = []
        for i, rec in enumerate(reader, start=1):
            if len(rec) == len(header):
                good.append(rec)
            else:
                bad.append((i, f"{len(rec)} fields, expected {len(header)}"))
                good.append(None)
        keep = [r for r in good if r is not None]
        df = pd.DataFrame(keep, columns=header, dtype=str)
        df.index = [i for i, r in enumerate(good, start=1) if r is not None]
        df.attrs["delimiter"] = sep
        return df, bad
    if df.empty:
        raise InputFileError(f"{path}: header only, no data rows")
    df.index = np.arange(1, len(df) + 1)
    df.attrs["delimiter"] = sep
    return df, bad


#: CSV files of at least this many bytes are read by pandas from disk after
#: their encoding is checked block by block (memory: the table alone, ~0.3 KB
#: per police.uk row), not decoded whole into one string first (which held
#: the bytes, the text and a copy: a 3 M-row file peaked at 4.5 GB).
STREAM_CSV_BYTES = 8 * 1024 * 1024
#: Block size of that encoding check, bytes.
_BLOCK_BYTES = 8 * 1024 * 1024


def _read_csv_stream(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]] | None:
    """A large plain UTF-8 CSV file read without holding its text: string
    columns as :func:`_read_csv_text` gives them. None when the whole-text
    path must read it instead: a small or gzip file, bytes that are not
    UTF-8 (decoded as Windows-1252 with a note there, or refused naming the
    line), a NUL byte, ragged records (listed by row there), or no data."""
    if path.name.lower().endswith(".gz") or not path.is_file() or path.stat().st_size < STREAM_CSV_BYTES:
        return None
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    head = ""
    with open(path, "rb") as f:
        while block := f.read(_BLOCK_BYTES):
            if b"\x00" in block:
                return None
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError:
                return None
            if len(head) <= 200_000:  # the delimiter sniffer's sample: the header and the first lines
                head += text[:200_001]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    if not head.strip():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if _skip_title_lines(path, head, []) is not head:  # title lines above the header: the text path notes them
            return None
    sep = _sniff_delimiter(path, head)
    df = _read_csv_arrow(path, sep, head)
    if df is None:
        try:
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            return None
    if df.empty:
        return None
    df.index = np.arange(1, len(df) + 1)
    df.attrs["delimiter"] = sep
    return df, []


def _read_csv_arrow(path: Path, sep: str, head: str) -> pd.DataFrame | None:
    """The file read by pyarrow.csv (multi-threaded, ~2.5x pandas' parser),
    every column text, nothing taken as missing: the frame pandas' parser
    gives. None, for pandas to read it, when the two could differ: a header
    with an empty or repeated name (pandas renames them), or anything pyarrow
    refuses (ragged records, a quoted newline it cannot split)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = next(csv.reader([head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")], delimiter=sep), [])
    if not header or len(set(header)) < len(header) or any(not h for h in header):
        return None
    try:
        table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
                               convert_options=pacsv.ConvertOptions(
                                   column_types={h: pa.string() for h in header}, null_values=[],
                                   strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if table.column_names != header:
        return None
    text = pd.StringDtype(na_value=np.nan)
    return table.to_pandas(types_mapper=lambda t: text if t in (pa.string(), pa.large_string()) else None)


#: Delimiters other than the comma that a re-saved CSV may use (Excel in
#: locales with a decimal comma writes ';').
_OTHER_DELIMITERS = ";\t|"


def _sniff_delimiter(path: str | Path, text: str) -> str:
    """The field delimiter of CSV text: ``","`` unless the header has no comma.

    A header without a comma that holds exactly one of ``;``, tab or ``|`` is
    checked with :class:`csv.Sniffer` (what ``pandas.read_csv(sep=None)``
    uses) on the first lines; that delimiter is used only when the sniffer
    agrees and every sampled line has the header's number of fields.

    Parameters
    ----------
    path : str or Path
        The file, named in errors.
    text : str
        The decoded file text.

    Returns
    -------
    str
        The delimiter, one character.

    Raises
    ------
    InputFileError
        The header holds several candidate delimiters, or the lines disagree
        with the header's delimiter: the message names the file and the
        delimiters found.
    """
    head = text[:200_000].lstrip("\ufeff")  # the header and the sampled lines only: files can be large
    header = head.split("\n", 1)[0]
    if "," in header:
        return ","
    lines = head.splitlines()
    if len(text) > 200_000:
        lines = lines[:-1]  # the last line may be cut
    found = [d for d in _OTHER_DELIMITERS if d in header]
    if not found:
        return ","  # one column: the missing-column checks name what is absent
    names = {";": "';'", "\t": "tab", "|": "'|'"}
    if len(found) > 1:
        raise InputFileError(
            f"{path}: the header has no comma but holds several delimiters ({', '.join(names[d] for d in found)}); "
            "re-save the file as comma-separated CSV")
    sep = found[0]
    sample = "\n".join(lines[:50])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_OTHER_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    n = len(next(csv.reader([header], delimiter=sep)))
    consistent = all(len(r) == n for r in csv.reader(lines[1:50], delimiter=sep) if r)
    if sniffed != sep or not consistent:
        raise InputFileError(
            f"{path}: the header is delimited by {names[sep]}, not commas, but the first lines do not split "
            f"into its {n} fields; re-save the file as comma-separated CSV")
    return sep



def sniff_format(path: Path, columns: Iterable[str]) -> Format:
    """``"vector"`` for GIS files, ``"policeuk"`` when the police.uk header is
    (mostly) there, else ``"csv"``.

    Parameters
    ----------
    path : Path
        The input's name (its ending marks GIS files).
    columns : iterable of str
        The input's column names.

    Returns
    -------
    {"vector", "policeuk", "csv"}
        The format to read it as.
    """
    if _is_vector(path):
        return "vector"
    distinctive = {"Crime ID", "Reported by", "Falls within", "LSOA code", "Crime type", "Month"}
    return "policeuk" if len(distinctive & set(columns)) >= 3 else "csv"


# --------------------------------------------------------------------------- parsing


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

    def projected(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) in the working CRS, metres (set by :func:`_stage_project`)."""
        assert self.x is not None and self.y is not None, "_stage_project has not run"
        return self.x, self.y


def _mark(p: _Parsed, mask: np.ndarray, reason: str, column: str | None, detail: Iterable[str] | str = "") -> None:
    """Give ``reason`` to rows in ``mask`` that have no reason yet."""
    m = np.asarray(mask, bool) & (p.reason == None) & ~p.filtered  # noqa: E711 (elementwise)
    if not m.any():
        return
    p.reason[m] = reason
    p.column[m] = column
    if isinstance(detail, str):
        p.detail[m] = detail
    else:
        p.detail[m] = np.asarray(list(detail), dtype=object)[m]


def _parse_numbers(p: _Parsed, sa: pd.Series, sb: pd.Series) -> None:
    ca, cb = p.coord_cols
    sa, sb = sa.str.strip(), sb.str.strip()
    a = pd.to_numeric(sa, errors="coerce").to_numpy(float)
    b = pd.to_numeric(sb, errors="coerce").to_numpy(float)
    missing = (sa == "").to_numpy() | (sb == "").to_numpy()
    _mark(p, missing, "missing coordinates", f"{ca}/{cb}")
    bad_a, bad_b = ~np.isfinite(a), ~np.isfinite(b)
    _mark(p, bad_a, "unparsable coordinates", ca, (f"{ca}={v!r}" for v in sa))
    _mark(p, bad_b, "unparsable coordinates", cb, (f"{cb}={v!r}" for v in sb))
    p.a, p.b = a, b


# dd/mm/yyyy, mm/dd/yyyy, with "/", "." or "-" and an optional time after it.
_NUMERIC_DATE = r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})((?:[ T].*)?)$"


def _format_order(fmt: str) -> str:
    """Day/month order named by a strftime format."""
    d, m = fmt.find("%d"), max(fmt.find("%m"), fmt.find("%b"), fmt.find("%B"))
    if d < 0 or m < 0:
        return "as given by the format"
    return "day-first" if d < m else "month-first"


def decide_date_order(s: pd.Series, path: Path | str, col: str) -> tuple[str | None, str]:
    """Day/month order of a column of ``dd/mm/yyyy``-like dates, decided once.

    Parameters
    ----------
    s : Series of str
        The column (index = row number).
    path, col : str
        File and column, for the messages.

    Returns
    -------
    order : {"day-first", "month-first"} or None
        None when the column has no ``nn/nn/yyyy`` dates at all.
    how : str
        The evidence: the first row whose first field (day-first) or second
        field (month-first) is above 12.

    Raises
    ------
    InputFileError
        Some rows prove day-first and others month-first (the message names
        one row of each), or no row proves either (give ``--date-format``).
    """
    m = s.str.extract(_NUMERIC_DATE)
    numeric = m[0].notna()
    if not numeric.any():
        return None, ""
    f1 = m.loc[numeric, 0].astype(int)
    f2 = m.loc[numeric, 2].astype(int)
    day_proof = f1.index[(f1 > 12) & (f2 <= 12)]
    month_proof = f2.index[(f2 > 12) & (f1 <= 12)]
    if len(day_proof) and len(month_proof):
        r1, r2 = day_proof[0], month_proof[0]
        raise InputFileError(
            f"{path}: column '{col}' mixes day-first and month-first dates: row {r1} {s[r1]!r} is day-first "
            f"(first field > 12), row {r2} {s[r2]!r} is month-first (second field > 12); "
            "correct the file or give --date-format")
    if len(day_proof):
        r = day_proof[0]
        return "day-first", f"inferred from the column: row {r} {s[r]!r} has a first field > 12 ({len(day_proof):,} rows do)"
    if len(month_proof):
        r = month_proof[0]
        return "month-first", f"inferred from the column: row {r} {s[r]!r} has a second field > 12 ({len(month_proof):,} rows do)"
    r = numeric.index[numeric][0]
    raise InputFileError(
        f"{path}: column '{col}': day/month order cannot be told: in all {int(numeric.sum()):,} dates like "
        f"{s[r]!r} (row {r}) both fields are 12 or less; give --date-format (e.g. %d/%m/%Y or %m/%d/%Y)")


def _all_on_the_first(occ: pd.Series) -> bool:
    """Whether dates with no time all fall on the 1st of a month, over at
    least ``settings.MONTH_DATES_MIN`` rows and two months: (1/30)^20 for
    real days, so the dates stand for months."""
    from . import settings

    if len(occ) < settings.MONTH_DATES_MIN or (occ != occ.dt.normalize()).any():
        return False
    return bool((occ.dt.day == 1).all() and occ.dt.to_period("M").nunique() >= 2)


def _in_ns_range(p: _Parsed, occ: pd.Series, s: pd.Series, col: str) -> pd.Series:
    """``occ`` with dates pandas cannot hold in nanoseconds (before 1678 or
    after 2261: a police.uk ``Month`` of ``1066-10`` or ``9999-12``) rejected
    per row as too early or in the future, never a crash on the conversion."""
    if len(occ) == 0 or occ.dtype == "datetime64[ns]" or not pd.api.types.is_datetime64_any_dtype(occ):
        return occ
    year = occ.dt.year
    early, late = (year < 1678).fillna(False), (year > 2261).fillna(False)
    if not (early.any() or late.any()):
        return occ
    text = s.reindex(occ.index)
    _mark(p, _row_mask(p, early), "before earliest date", col,
          _row_detail(p, early, text, f"is before {settings.EARLIEST_DATE} (settings.EARLIEST_DATE)"))
    _mark(p, _row_mask(p, late), "future", col, _row_detail(p, late, text, "is in the future"))
    return occ.where(~(early | late))


def _row_mask(p: _Parsed, sub: pd.Series) -> np.ndarray:
    """A mask over all of ``p``'s rows from a boolean Series over some of them (by row label)."""
    return sub.reindex(p.table.index, fill_value=False).to_numpy(bool)


def _row_detail(p: _Parsed, sub: pd.Series, text: pd.Series, why: str) -> list[str]:
    """Per-row details ``col=value why`` over all of ``p``'s rows for the rows of ``sub``."""
    return [f"{v!r} {why}" if hit else "" for v, hit in zip(text.reindex(p.table.index).fillna(""),
                                                         _row_mask(p, sub))]


def _parse_dates(p: _Parsed, s: pd.Series, col: str, month_only: bool, date_format: str | None) -> None:
    s = s.str.strip()
    _mark(p, (s == "").to_numpy(), "missing date", col)
    info = {"column": col}
    if month_only:  # police.uk's Month, as YYYY-MM or as a spreadsheet re-saved it (--date-format)
        occ = _in_ns_range(p, pd.to_datetime(s, format=date_format or "%Y-%m", errors="coerce"), s, col)
        precision = "month"
        info.update(order="year-month", how=f"police.uk Month column ({date_format or 'YYYY-MM'})")
    else:
        if date_format:
            try:
                occ = _in_ns_range(p, pd.to_datetime(s, format=date_format, errors="coerce"), s, col)
            except ValueError as exc:
                raise InputFileError(f"--date-format {date_format!r} is not a valid strftime format: {exc}") from None
            info.update(order=_format_order(date_format), how=f"format given: {date_format}")
        else:
            order, how = decide_date_order(s, p.path, col)
            norm = s
            if order is not None:
                m = s.str.extract(_NUMERIC_DATE)
                ok = m[0].notna()
                day, month = (m[0], m[2]) if order == "day-first" else (m[2], m[0])
                year = m[3].where(m[3].str.len() == 4,
                                  # strptime's %y rule: 69-99 -> 1900s, 00-68 -> 2000s
                                  m[3].map(lambda y: str(1900 + int(y) if int(y) >= 69 else 2000 + int(y))
                                           if isinstance(y, str) else y))
                iso = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + m[4].fillna("")
                norm = s.where(~ok, iso)
                info.update(order=order, how=how)
            else:
                info.update(order="year-month-day", how="ISO 8601")
            # UTC offsets (Z, +01:00, -0500): keep the wall-clock time as
            # written; a column mixing offsets (daylight saving) is one clock
            offset = norm.str.contains(r"\d(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False)
            if offset.any():
                norm = norm.str.replace(r"(?<=\d)(?:Z|[+-]\d{2}:?\d{2})$", "", regex=True)
                info["offsets"] = f"{int(offset.sum()):,} values carried a UTC offset: wall-clock times kept"
            occ = _in_ns_range(p, pd.to_datetime(norm, format="ISO8601", errors="coerce", utc=False), s, col)
            rest = occ.isna() & (norm != "")
            if rest.any():
                # Times with AM/PM or month names ("3 Feb 2024"): unambiguous
                # once the numeric day/month order is fixed above.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    alt = pd.to_datetime(norm[rest], format="mixed", dayfirst=False, errors="coerce")
                alt = _in_ns_range(p, alt, s, col)
                if getattr(alt.dt, "tz", None) is not None:
                    alt = alt.dt.tz_localize(None)
                if getattr(occ.dt, "tz", None) is not None:
                    occ = occ.dt.tz_localize(None)
                occ = occ.astype("datetime64[ns]")
                occ[rest] = alt.astype("datetime64[ns]")
        if getattr(occ.dt, "tz", None) is not None:
            # Keep the wall-clock time as written; offsets in crime exports
            # usually mislabel local time, and days are what matter here.
            occ = occ.dt.tz_localize(None)
        ok = occ.notna()
        nonempty = s[ok]
        if nonempty.str.fullmatch(r"\d{4}-\d{2}").all() and ok.any():
            precision = "month"
        elif ok.any() and ((occ[ok] - occ[ok].dt.normalize()) != pd.Timedelta(0)).any():
            precision = "minute"
        elif _all_on_the_first(occ[ok]):
            # monthly data saved as dates (a spreadsheet turns 2023-01 into 2023-01-01): read as days
            # they would make every burglary of a month "same day" and fake a near-repeat
            precision = "month"
            info["how"] = f"{info['how']}; every date is the 1st of a month: read as months"
        else:
            precision = "day"
    occ = occ.astype("datetime64[ns]")
    hint = "" if date_format or not month_only else " (police.uk Month is YYYY-MM: give --date-format, e.g. %b-%y)"
    _mark(p, occ.isna().to_numpy(), "unparsable date", col, (f"{col}={v!r}{hint}" for v in s))
    p.occurred, p.precision = occ, precision
    info["precision"] = precision
    p.info["dates"] = info


def _stable_ids(path: Path, table: pd.DataFrame) -> pd.Series:
    """Derived ids for rows without one: a hash of the row's content plus its
    occurrence number among identical rows, so the same file always gives the
    same ids and identical rows still get distinct ids."""
    content = table.astype(str).agg("\x1f".join, axis=1)
    nth = content.groupby(content).cumcount().astype(str)
    return ("derived-" + (content + "\x1e" + nth).map(
        lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:16])).set_axis(table.index)


def _frame_table(df: pd.DataFrame, name: Path) -> pd.DataFrame:
    """A DataFrame source as string columns (missing values as ''),
    index = row number from 1, like a parsed CSV."""
    if df.empty:
        raise InputFileError(f"{name}: header only, no data rows")
    table = pd.DataFrame({str(c): df[c].astype(object).where(df[c].notna(), "").astype(str) for c in df.columns})
    table.index = np.arange(1, len(table) + 1)
    return table


def _geom_types(geoms) -> str:
    kinds = pd.Series([g.geom_type for g in geoms if g is not None and not g.is_empty]).value_counts()
    return ", ".join(f"{k} ({v:,})" for k, v in kinds.items())


def _crs_cross_check(p: _Parsed, table: pd.DataFrame, lon_col: str, lat_col: str) -> None:
    """Compare x/y read in the declared CRS with the file's own lon/lat.

    Raises :class:`CRSError` when their median disagreement exceeds
    :data:`hotspot.settings.CRS_CHECK_TOLERANCE` metres.
    """
    from pyproj import Geod

    lon = pd.to_numeric(table[lon_col].str.strip(), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(table[lat_col].str.strip(), errors="coerce").to_numpy(float)
    use = np.isfinite(p.a) & np.isfinite(p.b) & np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) \
        & (np.abs(lat) <= 90) & ~((lon == 0) & (lat == 0))
    if not use.any():
        return
    x, y = p.a[use], p.b[use]
    with np.errstate(all="ignore"):
        if p.coord_crs.is_geographic:
            # x/y declared in degrees: compare as they are.
            lon2, lat2 = project(x, y, p.coord_crs, WGS84) if not p.coord_crs.equals(CRS.from_user_input(WGS84)) else (x, y)
        else:
            try:
                lon2, lat2 = project(x, y, p.coord_crs, WGS84)
            except CRSError:
                lon2 = lat2 = np.full(len(x), np.nan)
        lon2, lat2 = np.asarray(lon2, float), np.asarray(lat2, float)
        valid = np.isfinite(lon2) & np.isfinite(lat2) & (np.abs(lon2) <= 180) & (np.abs(lat2) <= 90)
        dist = np.full(len(x), np.inf)
        if valid.any():
            _, _, d = Geod(ellps="WGS84").inv(lon[use][valid], lat[use][valid], lon2[valid], lat2[valid])
            dist[valid] = d
    med = float(np.median(dist))
    ca, cb = p.coord_cols
    crs_name = p.coord_crs.to_string()
    if med > settings.CRS_CHECK_TOLERANCE:
        what = (f"median disagreement {med / 1000:,.0f} km" if np.isfinite(med)
                else "most x/y values are not coordinates in that CRS at all")
        raise CRSError(
            f"{p.path}: x/y columns '{ca}', '{cb}' read as {crs_name} contradict the lon/lat columns "
            f"'{lon_col}', '{lat_col}': {what} (more than {settings.CRS_CHECK_TOLERANCE / 1000:g} km); "
            "the x/y are not in that CRS: give their true CRS with --crs")
    p.info["coordinates"]["check"] = (
        f"x/y agree with lon/lat columns '{lon_col}', '{lat_col}': median {med:.3g} m over {int(use.sum()):,} rows")


def _load_source(src, fmt: Format, notes: list[str], source_name: str | None):
    """(name, table, geoms, file_crs, kind, bad) for a file or a DataFrame."""
    bad: list[tuple[int, str]] = []
    if isinstance(src, pd.DataFrame):
        name = Path(source_name or "<DataFrame>")
        if isinstance(src, gpd.GeoDataFrame):
            if src.empty:
                raise InputFileError(f"{name}: no features")
            geoms = src.geometry.to_numpy()
            table = _frame_table(pd.DataFrame(src.drop(columns=src.geometry.name)), name)
            return name, table, geoms, src.crs, "vector", bad
        table = _frame_table(src, name)
        return name, table, None, None, (sniff_format(name, table.columns) if fmt == "auto" else fmt), bad
    path = src
    store = read_store(path, notes)  # raw rows of a Parquet file / PostGIS table, else None
    if store is not None and not isinstance(store, gpd.GeoDataFrame):
        return path, store, None, None, (sniff_format(path, store.columns) if fmt == "auto" else fmt), bad
    if store is not None or fmt == "vector" or (fmt == "auto" and _is_vector(path)):
        import pyogrio

        try:
            layers = [] if store is not None else [str(x[0]) for x in pyogrio.list_layers(path)]
            if len(layers) > 1:  # pyogrio would read the first and only warn: which one holds incidents is the user's
                raise InputFileError(f"{path}: holds {len(layers)} layers ({', '.join(layers[:5])}"
                                     f"{', ...' if len(layers) > 5 else ''}): save the layer of incidents as a file of "
                                     f"its own (e.g. ogr2ogr incidents.gpkg {Path(path).name} {layers[0]})")
            gdf = store if store is not None else pyogrio.read_dataframe(path)
        except InputFileError:
            raise
        except Exception as exc:
            raise InputFileError(f"{path}: cannot read as GIS layer: {exc}") from None
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
            raise InputFileError(f"{path}: not a GIS layer (no geometry column); read it as a table with --format auto or csv")
        if gdf.empty:
            raise InputFileError(f"{path}: no features")
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
        table = table.replace({"None": "", "nan": "", "NaT": ""})
        table.index = gdf.index if store is not None else np.arange(1, len(table) + 1)
        return path, table, gdf.geometry.to_numpy(), gdf.crs, "vector", bad
    if path.name.lower().endswith(_SPREADSHEET_ENDINGS):
        table, bad = _read_spreadsheet(path, notes), []
    else:
        streamed = _read_csv_stream(path)
        table, bad = streamed if streamed is not None else _read_csv_text(
            path, _skip_title_lines(path, _decode(path, notes), notes))
    kind = sniff_format(path, table.columns) if fmt == "auto" else fmt
    return path, table, None, None, kind, bad


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
    if cols["id"] is None or (p.ids == "").any():
        derived = _stable_ids(path, table)
        p.ids = p.ids.where(p.ids != "", derived)
    return p, bad


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


def _mark_nul_bytes(p: _Parsed) -> None:
    """Reject rows holding a NUL byte (0x00) in any cell, naming the column:
    no database text field can store one (PostgreSQL refuses the whole COPY),
    and it is a sign of a corrupt export, not a burglary to plan on."""
    for col in p.table.columns:
        s = p.table[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        if "\x00" not in "\x1f".join(map(str, s.tolist())):  # one C-speed scan: 4x faster than str.contains
            continue
        nul = s.str.contains("\x00", regex=False).fillna(False).to_numpy(bool)
        if nul.any():
            _mark(p, nul, "NUL byte", str(col), f"{col} holds a NUL byte (0x00): a corrupt export?")


def _require_points(path: Path, geoms) -> None:
    """A layer of lines or polygons is not incidents (one location each)."""
    arr = np.array([g if g is not None else shapely.Point() for g in geoms], dtype=object)
    present = ~shapely.is_empty(arr)
    if present.any() and not (present & (shapely.get_type_id(arr) == 0)).any():
        raise InputFileError(
            f"{path}: holds {_geom_types(geoms)} geometries, not points; incidents must be points "
            "(one location per incident); a boundary layer goes to --area-file")


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
        raise InputFileError(f"{path}: required column for the date is missing (name it with --date-col); columns are {list(table.columns)}")
    if crime_types and cols["type"] is None:
        raise InputFileError(f"{path}: a crime-type filter was asked for but there is no crime-type column (name it "
                             "with --type-col, or give --crime-type all when every row is a burglary)")
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
        ids=table[cols["id"]].str.strip() if cols["id"] else empty.copy(),
        crime_type=table[cols["type"]].str.strip() if cols["type"] else empty.copy(),
        location=table[cols["location"]].str.strip() if cols["location"] else empty.copy(),
        reason=np.full(n, None, dtype=object), column=np.full(n, None, dtype=object),
        detail=np.full(n, "", dtype=object), filtered=np.zeros(n, bool),
        lsoa=table["LSOA name"].str.strip() if "LSOA name" in table.columns else None,
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


def _geometry_coordinates(p: _Parsed, geoms, file_crs, crs: CRS | None) -> None:
    """Coordinates from a layer's point geometries, in the layer's CRS (or
    the user's, when the layer has none or its "degrees" are metres)."""
    is_none = np.array([g is None or g.is_empty for g in geoms])
    safe = np.where(is_none, shapely.Point(), geoms)
    not_point = ~is_none & (shapely.get_type_id(safe) != 0)
    if file_crs is None and crs is None:
        raise CRSError(f"{p.path}: layer has no CRS; give one with crs=/--crs")
    file_crs = as_crs(file_crs) if file_crs is not None else None
    pts0 = np.where(not_point | is_none, shapely.Point(0, 0), safe)
    metres_as_degrees = (file_crs is not None and file_crs.is_geographic and crs is not None
                         and ((np.abs(shapely.get_x(pts0)) > 180) | (np.abs(shapely.get_y(pts0)) > 90)).mean() > 0.5)
    # A GeoJSON without a "crs" member is read as lon/lat; when its
    # coordinates are clearly metres the user's --crs says what they are.
    use_given = file_crs is None or metres_as_degrees
    coord_crs = crs if use_given else file_crs
    assert coord_crs is not None  # a layer without a CRS and no crs= raised above
    p.coord_crs = coord_crs
    p.coord_cols = ("geometry", "geometry")
    p.info["coordinates"] = {"columns": ["geometry"], "crs": p.coord_crs.to_string(),
                             "how": "given with --crs" if use_given else "declared in the file"}
    _mark(p, is_none, "missing coordinates", "geometry")
    _mark(p, not_point, "not a point geometry", "geometry",
          (f"{t} geometry" for t in shapely.get_type_id(safe).astype(str)))
    pts = np.where(not_point | is_none, shapely.Point(np.nan, np.nan), safe)
    p.a, p.b = shapely.get_x(pts), shapely.get_y(pts)
    _check_degrees(p)


def _column_coordinates(p: _Parsed, cols: Mapping[str, str | None], crs: CRS | None) -> None:
    """Coordinates from x/y columns in the user's CRS (cross-checked against
    lon/lat columns when the file has both), else from lon/lat columns."""
    table = p.table
    x_col, y_col = cols["x"], cols["y"]
    use_xy = bool(x_col and y_col and (crs is not None or not (cols["lon"] and cols["lat"])))
    if use_xy and x_col and y_col:  # (use_xy implies both columns)
        if crs is None:
            raise CRSError(f"{p.path}: x/y columns '{x_col}', '{y_col}' need a CRS (--crs EPSG:...)")
        p.coord_crs, p.coord_cols = crs, (x_col, y_col)
        p.info["coordinates"] = {"columns": list(p.coord_cols), "crs": crs.to_string(), "how": "given with --crs"}
    elif cols["lon"] and cols["lat"]:
        p.coord_cols = (cols["lon"], cols["lat"])
        p.info["coordinates"] = {"columns": list(p.coord_cols), "crs": WGS84,
                                 "how": "lon/lat columns (WGS84 degrees)"}
    else:
        raise InputFileError(f"{p.path}: required coordinate columns are missing (lon/lat or x/y); columns are {list(table.columns)}")
    _parse_numbers(p, table[p.coord_cols[0]], table[p.coord_cols[1]])
    if use_xy:
        _check_degrees(p)
        if cols["lon"] and cols["lat"] and {cols["lon"], cols["lat"]}.isdisjoint(p.coord_cols):
            _crs_cross_check(p, table, cols["lon"], cols["lat"])


def _check_degrees(p: _Parsed) -> None:
    """x/y declared in a geographic CRS must look like degrees."""
    if not p.coord_crs.is_geographic:
        return
    ok = np.isfinite(p.a) & np.isfinite(p.b) & ~((p.a == 0) & (p.b == 0))
    if not ok.any():
        return
    out = (np.abs(p.a[ok]) > 180) | (np.abs(p.b[ok]) > 90)
    if out.mean() > 0.5:
        i = int(np.flatnonzero(ok)[np.argmax(out)])
        ca, cb = p.coord_cols
        what = "geometries" if ca == "geometry" else f"x/y columns '{ca}', '{cb}'"
        raise CRSError(
            f"{p.path}: {what} are declared as {p.coord_crs.to_string()} (degrees) but "
            f"{out.mean():.0%} of rows are not degrees (e.g. row {p.table.index[i]}: x={p.a[i]:g}, "
            f"y={p.b[i]:g}); give their projected CRS with --crs")


# --------------------------------------------------------------------------- judging


#: How many times nearer the data's centre an exchange of x and y must bring a
#: point for the row to be rejected as "swapped" (see _check_coordinates).
SWAP_NEARER = 3.0


def _near(a: np.ndarray, b: np.ndarray, ca: float, cb: float, tol: float) -> np.ndarray:
    return (np.abs(a - ca) <= tol) & (np.abs(b - cb) <= tol)


def _check_coordinates(p: _Parsed, centre: tuple[float, float] | None, tol: float) -> None:
    a, b = p.a, p.b
    ca, cb = p.coord_cols
    finite = np.isfinite(a) & np.isfinite(b)
    _mark(p, finite & (a == 0) & (b == 0), "zero coordinates", f"{ca}/{cb}")
    if p.coord_crs.is_geographic:
        in_range = (np.abs(a) <= 180) & (np.abs(b) <= 90)
    else:
        lo_lon, lo_lat, hi_lon, hi_lat = p.coord_crs.area_of_use.bounds if p.coord_crs.area_of_use else (-180, -90, 180, 90)
        x0, y0, x1, y1 = transformer(WGS84, p.coord_crs).transform_bounds(lo_lon, lo_lat, hi_lon, hi_lat)
        # A generous margin: area-of-use boxes are tight and data sit on edges.
        mx, my = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
        in_range = (a >= x0 - mx) & (a <= x1 + mx) & (b >= y0 - my) & (b <= y1 + my)
    if centre is not None:
        cx, cy = centre
        # In metres x and y ranges overlap (British National Grid: a real point in Wigan, 250 km from
        # London, is within 200 km of London exchanged too), so an exchange must also bring the point
        # SWAP_NEARER times nearer the centre: a true exchange of a local point lands it ~10-100x nearer.
        nearer = SWAP_NEARER * np.hypot(b - cx, a - cy) < np.hypot(a - cx, b - cy)
        swapped = finite & ~_near(a, b, cx, cy, tol) & _near(b, a, cx, cy, tol) & nearer
        _mark(p, swapped, "swapped", f"{ca}/{cb}",
              (f"{ca}={x:g}, {cb}={y:g} look exchanged" for x, y in zip(a, b)))
    if p.info.get("format") == "police.uk street-level CSV" and p.coord_crs.is_geographic:
        # police.uk publishes England, Wales and Northern Ireland only: with or
        # without an area, a point outside Great Britain's box is wrong, and
        # exchanged when the exchange puts it inside
        x0, y0, x1, y1 = GB_LONLAT_BOUNDS
        inside = (a >= x0) & (a <= x1) & (b >= y0) & (b <= y1)
        flipped = (b >= x0) & (b <= x1) & (a >= y0) & (a <= y1)
        _mark(p, finite & ~inside & flipped, "swapped", f"{ca}/{cb}",
              (f"{ca}={x:g}, {cb}={y:g} look exchanged (police.uk data lie in Great Britain)" for x, y in zip(a, b)))
        _mark(p, finite & ~inside & ~((a == 0) & (b == 0)), "coordinates out of range", f"{ca}/{cb}",
              (f"{ca}={x:g}, {cb}={y:g} is outside Great Britain (police.uk data)" for x, y in zip(a, b)))
    _mark(p, finite & ~in_range, "coordinates out of range", f"{ca}/{cb}",
          (f"{ca}={x:g}, {cb}={y:g}" for x, y in zip(a, b)))


def _membership(parsed: list[_Parsed], area, tol: float) -> dict:
    """Judge every row against the area (see the module notes); returns the
    counts for :attr:`IntakeResult.membership`."""
    geom = area.geometry
    shapely.prepare(geom)
    band = geom.buffer(tol) if tol > 0 else geom
    shapely.prepare(band)
    want = str(area.name).strip().casefold()
    districts = [lsoa_district(p.lsoa).str.casefold() if p.lsoa is not None else None for p in parsed]
    use_lsoa = _use_lsoa_rule(area, want, districts)
    others = None
    if area.layer is not None and tol > 0:
        layer = area.layer.to_crs(area.crs)
        rep = layer.geometry.representative_point()
        others = layer[~rep.within(geom)]  # the other units of the layer
    info = {"area": area.name, "code": area.code,
            "rule": "police.uk LSOA attribution" if use_lsoa else "point in polygon",
            "edge_tolerance_m": float(tol), "recovered_within_tolerance": 0,
            "in_neighbour_not_recovered": 0, "attributed_elsewhere_inside_polygon": 0,
            "attributed_here_beyond_tolerance": 0}
    for p, dist in zip(parsed, districts):
        x, y = p.projected()
        finite = np.isfinite(x) & np.isfinite(y)
        x0, y0 = np.nan_to_num(x), np.nan_to_num(y)
        inside = finite & shapely.intersects_xy(geom, x0, y0)
        near = finite & (inside | shapely.intersects_xy(band, x0, y0))
        if use_lsoa and dist is not None:
            rest = _judge_by_lsoa(p, dist, want, area, geom, tol, inside, near, info)
        else:
            rest = np.ones(len(x), bool)
        _judge_by_polygon(p, rest, inside, near, others, area, tol, info)
    return info


def _use_lsoa_rule(area, want: str, districts: list[pd.Series | None]) -> bool:
    """police.uk's attribution decides when the area is one of the districts
    the rows are attributed to, or a unit of a layer of such districts (e.g.
    another borough: then no row is the area's, however near)."""
    present = set().union(*[set(d.dropna()) for d in districts if d is not None])
    if want in present:
        return True
    if present and area.layer is not None:
        from .areas import _layer_columns

        name_col = _layer_columns(area.layer)[0]
        if name_col is not None:
            names = set(area.layer[name_col].astype(str).str.strip().str.casefold())
            return len(present & names) >= 0.5 * len(present)
    return False


def _judge_by_lsoa(p: _Parsed, dist: pd.Series, want: str, area, geom, tol: float, inside: np.ndarray,
                   near: np.ndarray, info: dict) -> np.ndarray:
    """Rows with a police.uk LSOA: another district's are outside, this
    district's beyond the edge tolerance are outside; returns the rows
    without an LSOA (the polygon decides those)."""
    x, y = p.projected()
    lsoa = p.lsoa
    assert lsoa is not None  # ``dist`` is the district of these names
    cols = "/".join(p.coord_cols)
    open_ = (p.reason == None) & ~p.filtered  # noqa: E711
    has = dist.notna().to_numpy()
    mine = (dist == want).fillna(False).to_numpy()
    elsewhere = has & ~mine
    info["attributed_elsewhere_inside_polygon"] += int((open_ & elsewhere & inside).sum())
    _mark(p, elsewhere, "outside area", "LSOA name",
          (f"police.uk places it in LSOA {v!r}, not in {area.name}" for v in lsoa))
    far = mine & ~near
    if (far & open_).any():
        d = np.full(len(x), np.nan)
        idx = np.flatnonzero(far & open_ & np.isfinite(x) & np.isfinite(y))
        d[idx] = shapely.distance(geom, shapely.points(x[idx], y[idx]))
        info["attributed_here_beyond_tolerance"] += int((far & open_).sum())
        _mark(p, far, "outside area", cols,
              (f"LSOA {v!r} is in {area.name} but the point is {dd:,.0f} m outside it "
               f"(edge tolerance {tol:g} m)" for v, dd in zip(lsoa, d)))
    info["recovered_within_tolerance"] += int((mine & near & ~inside & open_).sum())
    return ~has


def _judge_by_polygon(p: _Parsed, rest: np.ndarray, inside: np.ndarray, near: np.ndarray, others, area,
                      tol: float, info: dict) -> None:
    """Rows ``rest``: outside beyond the edge tolerance, or within it but
    inside another unit of the area's layer, are outside; the others within
    the tolerance are recovered."""
    x, y = p.projected()
    cols = "/".join(p.coord_cols)
    open_ = (p.reason == None) & ~p.filtered  # noqa: E711
    band_pts = rest & near & ~inside & open_
    if band_pts.any() and others is not None and len(others):
        idx = np.flatnonzero(band_pts)
        tree = shapely.STRtree(others.geometry.to_numpy())
        hit_pt, _ = tree.query(shapely.points(x[idx], y[idx]), predicate="intersects")
        claimed = np.zeros(len(x), np.bool_)
        claimed[idx[hit_pt]] = True
        info["in_neighbour_not_recovered"] += int(claimed.sum())
        _mark(p, claimed, "outside area", cols, f"within {tol:g} m of {area.name} but inside a neighbouring area")
        band_pts &= ~claimed
    info["recovered_within_tolerance"] += int((band_pts & (p.reason == None)).sum())  # noqa: E711
    _mark(p, rest & ~near, "outside area", cols, f"outside {area.name} (edge tolerance {tol:g} m)")


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
        with reason ``"outside area"`` (membership rule: module notes) and
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
    _stage_coordinates(parsed, area, opts.now)
    work, crs_how = _stage_crs(parsed, area, opts.crs)
    _stage_project(parsed, work)
    membership = _stage_area(parsed, area, opts.tol, notes) if area is not None else None
    _stage_duplicates(parsed, notes)
    return _account(parsed, work, malformed, files, notes, crs_how=crs_how, membership=membership, types=opts.types)


# --------------------------------------------------------------------------- stages


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
        _mark(p, future, "future", None, (f"{d:%Y-%m-%d} is after {now:%Y-%m-%d}" if pd.notna(d) else ""
                                          for d in p.occurred))
        _mark_implausible_dates(p, now)


def _mark_implausible_dates(p: _Parsed, now: pd.Timestamp) -> None:
    """Reject dates before ``settings.EARLIEST_DATE`` (1901 is a default or a
    typo, not a burglary to plan on) and name the date column on future dates."""
    col = (p.info.get("dates") or {}).get("column")
    p.column[(p.reason == "future") & (p.column == None)] = col  # noqa: E711 (elementwise)
    earliest = pd.Timestamp(settings.EARLIEST_DATE)
    early = (p.occurred < earliest).to_numpy()
    _mark(p, early, "before earliest date", col,
          (f"{d:%Y-%m-%d} is before {earliest:%Y-%m-%d} (settings.EARLIEST_DATE)" if pd.notna(d) else ""
           for d in p.occurred))


def _centre(parsed: list[_Parsed], coord_crs: CRS, area) -> tuple[float, float] | None:
    """The centre of the data in ``coord_crs``: the area's centroid, else the
    median of the sources' non-zero finite coordinates (None under 5 rows)."""
    if area is not None:
        c = gpd.GeoSeries([area.geometry.centroid], crs=area.crs).to_crs(coord_crs).iloc[0]
        return (c.x, c.y)
    key = coord_crs.to_wkt()
    same = [q for q in parsed if q.coord_crs.to_wkt() == key]
    a = np.concatenate([q.a for q in same])
    b = np.concatenate([q.b for q in same])
    ok = np.isfinite(a) & np.isfinite(b) & ~((a == 0) & (b == 0))
    return (float(np.median(a[ok])), float(np.median(b[ok]))) if ok.sum() >= 5 else None


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
        p.x, p.y = project(p.a, p.b, p.coord_crs, work)
        _mark(p, ~(np.isfinite(p.x) & np.isfinite(p.y)) & np.isfinite(p.a), "coordinates out of range",
              "/".join(p.coord_cols), "cannot be projected")


def _stage_area(parsed: list[_Parsed], area, tol: float, notes: list[str]) -> dict:
    """Stage 5, area: rows not in the area are marked ``outside area`` (rule:
    module notes); returns the membership counts."""
    membership = _membership(parsed, area, tol)
    if membership["attributed_here_beyond_tolerance"]:
        notes.append(f"{membership['attributed_here_beyond_tolerance']:,} rows of {area.name}'s police.uk LSOAs lie "
                     f"more than {tol:g} m outside its boundary and were rejected (see rejects)")
    return membership


def _stage_duplicates(parsed: list[_Parsed], notes: list[str]) -> None:
    """Stage 6, duplicates: a row whose id an earlier good row (any source,
    input order) already has is marked ``duplicate id``, naming the kept row;
    rows of one id at different places are counted in a note."""
    ids = pd.concat([p.ids for p in parsed], ignore_index=True)
    good = np.concatenate([(p.reason == None) & ~p.filtered for p in parsed])  # noqa: E711
    # a derived id (no id in the input) is a hash of the row's content: two equal rows in two files share it,
    # but without an id nothing shows they are one burglary, so only real ids make duplicates
    good &= ~ids.str.startswith("derived-").to_numpy()
    where = np.concatenate([[f"{p.path.name}:{r}" for r in p.table.index] for p in parsed])
    first_pos = pd.Series(np.arange(len(ids)))[good].groupby(ids[good].to_numpy()).transform("first")
    dup = np.zeros(len(ids), bool)
    dup_of = np.full(len(ids), "", dtype=object)
    is_dup = first_pos.to_numpy() != first_pos.index.to_numpy()
    dup[first_pos.index[is_dup]] = True
    dup_of[first_pos.index[is_dup]] = "same id as " + pd.Series(where[first_pos.to_numpy()[is_dup]]).to_numpy()
    offset = 0
    for p in parsed:
        sl = slice(offset, offset + len(p.table))
        _mark(p, dup[sl], "duplicate id", "id", dup_of[sl])
        offset += len(p.table)
    notes.extend(_moved_duplicates_note(parsed, first_pos.index[is_dup], first_pos.to_numpy()[is_dup]))
    _refuse_overlapping_sources(parsed)


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


def _account(parsed: list[_Parsed], work: CRS, malformed: list[dict], files: list[InputFile], notes: list[str], *,
             crs_how: str, membership: dict | None, types: set[str] | None) -> IntakeResult:
    """The row accounting: every row accepted, rejected (with its reason) or
    filtered, counts checked to add up; raises :class:`UnusableInputError`
    when rows were read and every one was rejected."""
    result = _assemble(parsed, work, malformed, files, notes)
    result.detected = [p.info for p in parsed]
    result.crs_how = crs_how
    types_all = pd.concat([p.crime_type for p in parsed]).replace("", "(none)")
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


def _take_columns(raw: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The ``rows`` (boolean mask) of a source's raw table, taken column by
    column, each column released from ``raw`` as soon as it is taken: the
    intake's peak holds the raw table plus one column, not two whole tables
    (the raw table is not used after the accounting)."""
    index = raw.index[rows]
    taken = {c: raw.pop(c)[rows] for c in list(raw.columns)}  # each column keeps its dtype
    return pd.DataFrame(taken, index=index, columns=list(taken))


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
        meta = pd.DataFrame({"source_file": str(p.path), "source_row": raw.index}, index=raw.index)
        bad = (p.reason != None) & ~p.filtered  # noqa: E711
        if bad.any():
            rej = pd.concat([meta[bad], pd.DataFrame({
                "reason": p.reason[bad], "column": p.column[bad], "detail": p.detail[bad]}, index=raw.index[bad]),
                raw[bad]], axis=1)
            rejects.append(rej)
        if ok.any():
            orig = _take_columns(raw, ok).rename(columns=lambda c: f"orig_{c}" if c in STANDARD_COLUMNS or c in ("geometry", "source_file", "source_row") else c)
            std = pd.DataFrame({
                "incident_id": p.ids[ok].to_numpy(),
                "occurred": p.occurred[ok].to_numpy(),
                "date_precision": p.precision,
                "crime_type": p.crime_type[ok].to_numpy(),
                "location_text": p.location[ok].to_numpy(),
            }, index=raw.index[ok])
            accepted.append(gpd.GeoDataFrame(
                pd.concat([std, meta[ok], orig], axis=1),
                geometry=gpd.points_from_xy(x[ok], y[ok]), crs=work,
            ))
        if p.filtered.any():
            filtered.append(pd.concat([meta[p.filtered], pd.DataFrame(
                {"crime_type": p.crime_type[p.filtered].to_numpy()}, index=raw.index[p.filtered])], axis=1))
    if accepted:
        inc = pd.concat(accepted, ignore_index=True)
        inc = gpd.GeoDataFrame(inc, geometry="geometry", crs=work)
    else:
        inc = gpd.GeoDataFrame({c: [] for c in STANDARD_COLUMNS + ("source_file", "source_row")},
                               geometry=gpd.GeoSeries([], crs=work), crs=work)
        inc["occurred"] = pd.to_datetime(inc["occurred"])
    rej_cols = ["source_file", "source_row", "reason", "column", "detail"]
    rej = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=rej_cols)
    filt = pd.concat(filtered, ignore_index=True) if filtered else pd.DataFrame(columns=["source_file", "source_row", "crime_type"])
    result = IntakeResult(incidents=inc, rejects=rej, filtered=filt, rows=rows, crs=work, files=files, notes=notes)
    assert result.rows == result.accepted + result.rejected + result.n_filtered, "row conservation broken"
    return result
