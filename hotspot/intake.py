"""Incident intake: read, validate and project crime records.

Every input row ends in exactly one of three places:

* **accepted** - a row of the returned GeoDataFrame, projected into the
  working CRS (metres);
* **rejected** - a row of the rejects table, with the file, the row number
  (1 = first data row), the column at fault and a reason;
* **filtered** - a row of another crime type than asked for (counted, not an
  error).

``rows == accepted + rejected + filtered`` always holds.

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
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import stores
from ._errors import CRSError, InputFileError
from .crs import as_crs, choose_working_crs, is_metric_projected, project, transformer
from .settings import WGS84

Format = Literal["auto", "policeuk", "csv", "vector"]

#: The columns of a data.police.uk street-level CSV.
POLICE_UK_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
#: Standard columns every accepted incident has.
STANDARD_COLUMNS = ("incident_id", "occurred", "date_precision", "crime_type", "location_text")

# Common spellings of each role in records-system exports, compared after
# lower-casing and removing spaces, underscores, dots and hyphens.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("incidentid", "eventid", "crimeid", "id", "incidentno", "incidentnumber", "casenumber",
           "caseno", "recordid", "reference", "urn", "objectid", "fid"),
    "date": ("occurred", "datetime", "date", "offensedate", "offencedate", "occurrencedate",
             "dateoccurred", "incidentdate", "eventdate", "datesingle", "timestamp", "month",
             "reporteddate", "firstoccurrencedate"),
    "x": ("x", "easting", "xcoordinate", "xcoord", "pointx", "east"),
    "y": ("y", "northing", "ycoordinate", "ycoord", "pointy", "north"),
    "lon": ("longitude", "lon", "lng", "long", "xlong"),
    "lat": ("latitude", "lat", "ylat"),
    "type": ("crimetype", "type", "offense", "offence", "offensetype", "offencetype", "category",
             "primarytype", "crimecategory", "offencedescription"),
    "location": ("locationtext", "location", "hundredblock", "block", "address", "street",
                 "streetname", "locationdescription"),
    "outcome": ("lastoutcomecategory", "outcome", "status", "disposition"),
}

REASONS = (
    "malformed row", "missing coordinates", "unparsable coordinates", "zero coordinates",
    "coordinates out of range", "swapped", "not a point geometry", "missing date",
    "unparsable date", "future", "outside area", "duplicate id",
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
    files : list of Path
    notes : list of str
        Warnings raised while reading (repaired encodings and the like).
    """

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    filtered: pd.DataFrame
    rows: int
    crs: CRS
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return len(self.incidents)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def n_filtered(self) -> int:
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

    def summary(self) -> dict:
        """The JSON summary printed by ``hotspot validate --json``."""
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "filtered": self.n_filtered,
            "reasons": self.reasons,
            "crs": self.crs.to_string(),
            "date_range": list(self.date_range()) if self.date_range() else None,
        }


def has_month_dates(incidents) -> bool:
    """True when any incident is dated to the month only (police.uk), so
    analyses in days must refuse or switch to their monthly variant."""
    return bool((incidents["date_precision"] == "month").any())


# --------------------------------------------------------------------------- files


def expand_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files named by ``paths``: folders expand to their CSV, GeoJSON and
    GeoPackage files (sorted, recursive). Missing paths raise."""
    if isinstance(paths, (str, Path)) or stores.is_store(paths):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        if stores.is_store(p):  # Parquet / PostgreSQL: read by hotspot.stores
            out.append(stores.as_source(p))
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


def _read_csv_text(path: Path, text: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Parse CSV text into string columns; malformed records are returned
    separately as (row number, detail) instead of failing the file."""
    if not text.strip():
        raise InputFileError(f"{path}: empty file")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
        bad: list[tuple[int, str]] = []
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: empty file") from None
    except pd.errors.ParserError:
        # Slow path, only for files with ragged records: keep the good ones,
        # list the bad ones by row number.
        reader = csv.reader(io.StringIO(text))
        header = next(reader)
        good, bad = [], []
        for i, rec in enumerate(reader, start=1):
            if len(rec) == len(header):
                good.append(rec)
            else:
                bad.append((i, f"{len(rec)} fields, expected {len(header)}"))
                good.append(None)
        keep = [r for r in good if r is not None]
        df = pd.DataFrame(keep, columns=header, dtype=str)
        df.index = [i for i, r in enumerate(good, start=1) if r is not None]
        return df, bad
    if df.empty:
        raise InputFileError(f"{path}: header only, no data rows")
    df.index = np.arange(1, len(df) + 1)
    return df, bad


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def detect_columns(columns: Sequence[str], given: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Map roles (id, date, x, y, lon, lat, type, location, outcome) to column
    names, from the user's ``given`` names first, then common spellings."""
    given = {k: v for k, v in (given or {}).items() if v}
    by_norm = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    out: dict[str, str | None] = {}
    for role, aliases in COLUMN_ALIASES.items():
        if role in given:
            out[role] = given[role]
            continue
        out[role] = next((by_norm[a] for a in aliases if a in by_norm), None)
    return out


def sniff_format(path: Path, columns: Sequence[str]) -> Format:
    """``"vector"`` for GIS files, ``"policeuk"`` when the police.uk header is
    (mostly) there, else ``"csv"``."""
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


def _parse_dates(p: _Parsed, s: pd.Series, col: str, month_only: bool, date_format: str | None) -> None:
    s = s.str.strip()
    _mark(p, (s == "").to_numpy(), "missing date", col)
    if month_only:
        occ = pd.to_datetime(s, format="%Y-%m", errors="coerce")
        precision = "month"
    else:
        if date_format:
            occ = pd.to_datetime(s, format=date_format, errors="coerce")
        else:
            occ = pd.to_datetime(s, format="ISO8601", errors="coerce", utc=False)
            if occ.isna().mean() > 0.5:
                alt = pd.to_datetime(s, format="mixed", dayfirst=True, errors="coerce")
                if alt.notna().sum() > occ.notna().sum():
                    occ = alt
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
        else:
            precision = "day"
    occ = occ.astype("datetime64[ns]")
    _mark(p, occ.isna().to_numpy(), "unparsable date", col, (f"{col}={v!r}" for v in s))
    p.occurred, p.precision = occ, precision


def _stable_ids(path: Path, table: pd.DataFrame) -> pd.Series:
    """Derived ids for rows without one: a hash of the row's content plus its
    occurrence number among identical rows, so the same file always gives the
    same ids and identical rows still get distinct ids."""
    content = table.astype(str).agg("\x1f".join, axis=1)
    nth = content.groupby(content).cumcount().astype(str)
    return ("derived-" + (content + "\x1e" + nth).map(
        lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:16])).set_axis(table.index)


def _parse_file(
    path: Path,
    fmt: Format,
    *,
    crime_types: set[str] | None,
    crs: CRS | None,
    columns: Mapping[str, str] | None,
    date_format: str | None,
    notes: list[str],
) -> tuple[_Parsed, list[tuple[int, str]]]:
    bad: list[tuple[int, str]] = []
    geoms = None
    store = stores.read_store(path, notes)  # raw rows of a Parquet file / PostGIS table, else None
    if store is not None and not isinstance(store, gpd.GeoDataFrame):
        table, kind = store, sniff_format(path, store.columns) if fmt == "auto" else fmt
    elif store is not None or fmt == "vector" or (fmt == "auto" and _is_vector(path)):
        import pyogrio

        try:
            gdf = store if store is not None else pyogrio.read_dataframe(path)
        except Exception as exc:
            raise InputFileError(f"{path}: cannot read as GIS layer: {exc}") from None
        if gdf.empty:
            raise InputFileError(f"{path}: no features")
        file_crs = gdf.crs or crs
        if file_crs is None:
            raise CRSError(f"{path}: layer has no CRS; give one with crs=/--crs")
        geoms = gdf.geometry.to_numpy()
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
        table = table.replace({"None": "", "nan": "", "NaT": ""})
        table.index = gdf.index if store is not None else np.arange(1, len(table) + 1)
        kind: Format = "vector"
    else:
        table, bad = _read_csv_text(path, _decode(path, notes))
        kind = sniff_format(path, table.columns) if fmt == "auto" else fmt
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
        raise InputFileError(f"{path}: a crime-type filter was asked for but there is no crime-type column (name it with --type-col)")

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
    )
    if crime_types:
        p.filtered = ~p.crime_type.str.lower().isin(crime_types).to_numpy()

    # Coordinates: a geometry column, x/y in the given CRS, or lon/lat.
    if geoms is not None:
        p.coord_crs = as_crs(file_crs)
        p.coord_cols = ("geometry", "geometry")
        is_none = np.array([g is None or g.is_empty for g in geoms])
        _mark(p, is_none, "missing coordinates", "geometry")
        safe = np.where(is_none, shapely.Point(), geoms)
        not_point = ~is_none & (shapely.get_type_id(safe) != 0)
        _mark(p, not_point, "not a point geometry", "geometry",
              (shapely.get_type_id(safe) .astype(str)))
        pts = np.where(not_point | is_none, shapely.Point(np.nan, np.nan), safe)
        p.a, p.b = shapely.get_x(pts), shapely.get_y(pts)
    else:
        use_xy = cols["x"] and cols["y"] and (crs is not None or not (cols["lon"] and cols["lat"]))
        if use_xy:
            if crs is None:
                raise CRSError(f"{path}: x/y columns '{cols['x']}', '{cols['y']}' need a CRS (--crs EPSG:...)")
            p.coord_crs, p.coord_cols = crs, (cols["x"], cols["y"])
        elif cols["lon"] and cols["lat"]:
            p.coord_cols = (cols["lon"], cols["lat"])
        else:
            raise InputFileError(f"{path}: required coordinate columns are missing (lon/lat or x/y); columns are {list(table.columns)}")
        _parse_numbers(p, table[p.coord_cols[0]], table[p.coord_cols[1]])
    _parse_dates(p, table[cols["date"]], cols["date"], kind == "policeuk", date_format)
    if cols["id"] is None or (p.ids == "").any():
        derived = _stable_ids(path, table)
        p.ids = p.ids.where(p.ids != "", derived)
    return p, bad


# --------------------------------------------------------------------------- judging


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
        swapped = finite & ~_near(a, b, *centre, tol) & _near(b, a, *centre, tol)
        _mark(p, swapped, "swapped", f"{ca}/{cb}",
              (f"{ca}={x:g}, {cb}={y:g} look exchanged" for x, y in zip(a, b)))
    _mark(p, finite & ~in_range, "coordinates out of range", f"{ca}/{cb}",
          (f"{ca}={x:g}, {cb}={y:g}" for x, y in zip(a, b)))


def read_incidents(
    paths: str | Path | Iterable[str | Path],
    *,
    format: Format = "auto",
    crime_types: Iterable[str] | str | None = None,
    crs: str | int | CRS | None = None,
    columns: Mapping[str, str] | None = None,
    area=None,
    area_buffer: float = 0.0,
    date_format: str | None = None,
    now: pd.Timestamp | str | None = None,
) -> IntakeResult:
    """Read, validate and project incident records.

    Parameters
    ----------
    paths : path or list of paths
        CSV files (police.uk street-level or any records-system export),
        GeoJSON/GeoPackage files, or folders of them.
    format : {"auto", "policeuk", "csv", "vector"}
        Input format; ``"auto"`` sniffs each file.
    crime_types : str or list of str, optional
        Keep only these crime types (case-insensitive); others are *filtered*.
    crs : CRS-like, optional
        CRS of x/y columns. When it is projected in metres it is also the
        working CRS. Without it, lon/lat columns are used.
    columns : mapping, optional
        Column names by role: ``id, date, x, y, lon, lat, type, location``.
    area : Area, optional
        Study area (see :mod:`hotspot.areas`); rows outside it (plus
        ``area_buffer``) are rejected with reason ``"outside area"`` and the
        incidents are projected to the area's CRS.
    area_buffer : float
        Tolerance around the area, metres.
    date_format : str, optional
        strftime format of the date column; default: ISO 8601, then day-first.
    now : timestamp, optional
        Dates after this are rejected as ``"future"`` (default: now).

    Returns
    -------
    IntakeResult

    Raises
    ------
    InputFileError
        Missing, empty, header-only or undecodable file, or a required column
        absent. The message names the file and column.
    CRSError
        x/y columns without a CRS, or a non-metric working CRS.
    """
    files = expand_paths(paths)
    stores.push_down(files, area, area_buffer)  # area box to Parquet/PostGIS readers
    if isinstance(crime_types, str):
        crime_types = [crime_types]
    types = {t.strip().lower() for t in crime_types} if crime_types else None
    user_crs = as_crs(crs)
    now_ts = pd.Timestamp(now) if now is not None else pd.Timestamp.now()
    notes: list[str] = []

    parsed: list[_Parsed] = []
    malformed: list[dict] = []
    for f in files:
        p, bad = _parse_file(f, format, crime_types=types, crs=user_crs, columns=columns,
                             date_format=date_format, notes=notes)
        parsed.append(p)
        malformed += [dict(source_file=str(f), source_row=r, reason="malformed row", column=None, detail=d)
                      for r, d in bad]

    # The centre used to recognise swapped coordinates: the area's, else the
    # median of the rows whose coordinates look sane.
    centres: dict[str, tuple[float, float] | None] = {}
    for p in parsed:
        key = p.coord_crs.to_wkt()
        if key in centres:
            continue
        if area is not None:
            c = gpd.GeoSeries([area.geometry.centroid], crs=area.crs).to_crs(p.coord_crs).iloc[0]
            centres[key] = (c.x, c.y)
            continue
        same = [q for q in parsed if q.coord_crs.to_wkt() == key]
        a = np.concatenate([q.a for q in same])
        b = np.concatenate([q.b for q in same])
        ok = np.isfinite(a) & np.isfinite(b) & ~((a == 0) & (b == 0))
        centres[key] = (float(np.median(a[ok])), float(np.median(b[ok]))) if ok.sum() >= 5 else None
    for p in parsed:
        tol = 2.0 if p.coord_crs.is_geographic else 200_000.0  # degrees / metres
        _check_coordinates(p, centres[p.coord_crs.to_wkt()], tol)
        future = (p.occurred > now_ts).to_numpy()
        _mark(p, future, "future", None, (f"{d:%Y-%m-%d} is after {now_ts:%Y-%m-%d}" if pd.notna(d) else "" for d in p.occurred))

    # Working CRS: the area's, else the user's metric CRS, else chosen from
    # the points (British National Grid in GB, UTM elsewhere).
    if area is not None:
        work = as_crs(area.crs)
    elif user_crs is not None and is_metric_projected(user_crs):
        work = user_crs
    else:
        lons, lats = [], []
        for p in parsed:
            ok = p.reason == None  # noqa: E711
            lo, la = project(p.a[ok], p.b[ok], p.coord_crs, WGS84)
            lons.append(lo)
            lats.append(la)
        work = choose_working_crs(np.concatenate(lons), np.concatenate(lats))

    xs, ys = [], []
    for p in parsed:
        x, y = project(p.a, p.b, p.coord_crs, work)
        _mark(p, ~(np.isfinite(x) & np.isfinite(y)) & np.isfinite(p.a), "coordinates out of range",
              "/".join(p.coord_cols), "cannot be projected")
        if area is not None:
            geom = area.geometry.buffer(area_buffer) if area_buffer else area.geometry
            shapely.prepare(geom)
            inside = shapely.intersects_xy(geom, np.nan_to_num(x), np.nan_to_num(y))
            _mark(p, ~inside, "outside area", "/".join(p.coord_cols),
                  f"outside {area.name}" + (f" + {area_buffer:g} m" if area_buffer else ""))
        xs.append(x)
        ys.append(y)

    # Duplicates across all files, among otherwise good rows, first kept.
    ids = pd.concat([p.ids for p in parsed], ignore_index=True)
    good = np.concatenate([(p.reason == None) & ~p.filtered for p in parsed])  # noqa: E711
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

    return _assemble(parsed, xs, ys, work, malformed, files, notes)


def _assemble(parsed, xs, ys, work, malformed, files, notes) -> IntakeResult:
    accepted, rejects, filtered = [], list(malformed) and [pd.DataFrame(malformed)], []
    rows = len(malformed)
    for p, x, y in zip(parsed, xs, ys):
        rows += len(p.table)
        ok = (p.reason == None) & ~p.filtered  # noqa: E711
        raw = p.table
        meta = pd.DataFrame({"source_file": str(p.path), "source_row": raw.index}, index=raw.index)
        if ok.any():
            orig = raw[ok].rename(columns=lambda c: f"orig_{c}" if c in STANDARD_COLUMNS or c in ("geometry", "source_file", "source_row") else c)
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
        bad = (p.reason != None) & ~p.filtered  # noqa: E711
        if bad.any():
            rej = pd.concat([meta[bad], pd.DataFrame({
                "reason": p.reason[bad], "column": p.column[bad], "detail": p.detail[bad]}, index=raw.index[bad]),
                raw[bad]], axis=1)
            rejects.append(rej)
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
    result = IntakeResult(incidents=inc, rejects=rej, filtered=filt, rows=rows, crs=as_crs(work), files=files, notes=notes)
    assert result.rows == result.accepted + result.rejected + result.n_filtered, "row conservation broken"
    return result
