"""Reading the input files into raw tables (intake's "files" section).

Decoding (UTF-8, else Windows-1252 with a note), title lines above the
header, the field delimiter, large CSVs streamed (pyarrow, else pandas from
disk), Excel workbooks, GIS layers, Parquet/PostGIS stores and DataFrames:
each source becomes a table of string columns indexed by row number, with
malformed records listed apart. :func:`sniff_format` tells police.uk from
records-system CSVs and GIS layers.
"""

from __future__ import annotations

import collections
import concurrent.futures
import csv
import gzip
import io
import warnings
from pathlib import Path
from typing import Iterable, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputFileError
from ..io.raw import text_type
from ..io.source import StoreSource, read_store

Format = Literal["auto", "policeuk", "csv", "vector"]


#: What :func:`read_incidents` reads: a path or URL, a list of them, an opened
#: store source, or one table (DataFrame or GeoDataFrame).
IncidentInput = str | Path | StoreSource | pd.DataFrame | Iterable[str | Path | StoreSource]


#: One input file as intake reads it: a path, or a Parquet/PostGIS store source.
InputFile = Path | StoreSource


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
        # read batch by batch, each repetitive column dictionary-encoded as it comes (_dictionary_encode): the
        # whole file is never held as plain text (a 3 M-row police.uk file: ~1.1 GB as text, ~0.4 GB encoded)
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=_ARROW_BLOCK_BYTES),
                                parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
                                convert_options=pacsv.ConvertOptions(
                                    column_types={h: pa.string() for h in header}, null_values=[],
                                    strings_can_be_null=False, quoted_strings_can_be_null=False))
        if reader.schema.names != header:
            return None
        encode: list[bool] | None = None

        def encoded(batch: pa.RecordBatch, encode: list[bool]) -> pa.RecordBatch:
            return pa.RecordBatch.from_arrays(
                [c.dictionary_encode() if e else c for c, e in zip(batch.columns, encode)], names=header)

        # each batch is encoded on a second thread while the reader parses the next one (both release the
        # GIL): read and encode overlap instead of adding up (3 M rows: 1.5-1.6 s -> 1.2-1.3 s). At most two
        # batches wait as plain text, so the whole file is still never held as text.
        batches: list[pa.RecordBatch] = []
        pending: collections.deque = collections.deque()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            try:
                for batch in reader:
                    if encode is None:  # decided on the first batch: a mostly distinct column (Crime ID) stays text
                        encode = _repetitive(batch)
                    pending.append(pool.submit(encoded, batch, encode))
                    del batch
                    while len(pending) > 2 or (pending and pending[0].done()):
                        batches.append(pending.popleft().result())
            finally:
                batches.extend(f.result() for f in pending)
                pending.clear()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if not batches:
        return None
    table = pa.Table.from_batches(batches)
    del batches
    return table.to_pandas(types_mapper=text_type)


#: A column of a streamed CSV whose first batch has at most this share of
#: distinct values is kept dictionary-encoded (a pandas Categorical of the
#: same strings).
_DICTIONARY_SHARE = 0.5


#: Bytes per batch of the streamed CSV read.
_ARROW_BLOCK_BYTES = 16 * 1024 * 1024


def _repetitive(batch) -> list[bool]:
    """Per column of the first batch: whether to dictionary-encode it.

    A police.uk file repeats its month, force, LSOA, location, snap-point
    coordinates and outcome on thousands of rows: as Categoricals (one copy
    of each distinct string, an integer code per row) a 3 M-row file's table
    takes ~0.4 GB instead of ~1.1 GB, and so does the accepted copy of it.
    The values are the same strings; a column of mostly distinct values
    (the Crime ID) stays plain text, where a dictionary would only add codes.
    """
    import pyarrow.compute as pc

    n = batch.num_rows
    return [pc.count_distinct(c).as_py() <= _DICTIONARY_SHARE * n for c in batch.columns]


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


def _frame_table(df: pd.DataFrame, name: Path) -> pd.DataFrame:
    """A DataFrame source as string columns (missing values as ''),
    index = row number from 1, like a parsed CSV."""
    if df.empty:
        raise InputFileError(f"{name}: header only, no data rows")
    table = pd.DataFrame({str(c): df[c].astype(object).where(df[c].notna(), "").astype(str) for c in df.columns})
    table.index = np.arange(1, len(table) + 1)
    return table


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
            raise InputFileError(f"{path}: not a GIS layer (no geometry column); read it as a table with format=auto or csv", param='format')
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
