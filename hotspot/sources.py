"""Data sources: police.uk downloads, boundary layers and a local cache.

* police.uk street-level crimes are fetched month by month from the public
  API (``/crimes-street/<category>?poly=...&date=YYYY-MM``) for the area's
  polygon, and written as police.uk-format CSV files in the cache, so the
  rest of the tool reads them like any downloaded archive. A month the API
  refuses as too large (HTTP 503: over 10,000 crimes) is split into four and
  fetched again.
* Boundary layers the tool knows are listed in ``data/boundaries/manifest.json``
  (name, file, public address, licence, SHA-256); they are downloaded with
  pooch or copied from a local mirror (``hotspot fetch --from DIR``), and the
  checksum is verified either way where one is recorded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import geopandas as gpd
import pandas as pd
from pyproj import CRS
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from . import settings
from ._errors import FetchError
from .areas import Area
from .columns import POLICE_UK_COLUMNS

MANIFEST = settings.PROJECT_DIR / "data" / "boundaries" / "manifest.json"
#: police.uk API category slug -> the "Crime type" its CSV files use.
CATEGORY_NAMES = {"burglary": "Burglary", "all-crime": None}
MAX_POLY_POINTS = 100


@dataclass
class BoundaryLayer:
    """One entry of the boundary manifest."""

    name: str
    file: str
    url: str | None
    licence: str
    sha256: str | None
    description: str = ""
    source: str = ""


def boundary_manifest(path: Path | None = None) -> dict[str, BoundaryLayer]:
    """The boundary layers the tool knows, by name.

    Parameters
    ----------
    path : Path, optional
        Manifest JSON (a ``layers`` list); default :data:`MANIFEST`.

    Returns
    -------
    dict of str to BoundaryLayer
        The manifest's entries by layer name.

    Raises
    ------
    FetchError
        The manifest file is missing.
    """
    path = path or MANIFEST
    try:
        entries = json.loads(Path(path).read_text())["layers"]
    except FileNotFoundError:
        raise FetchError(f"{path}: boundary manifest not found") from None
    fields = set(BoundaryLayer.__dataclass_fields__)
    return {e["name"]: BoundaryLayer(**{k: v for k, v in e.items() if k in fields}) for e in entries}


def months_between(start: str, end: str) -> list[str]:
    """Months ``start``..``end`` inclusive as ``YYYY-MM`` strings.

    Parameters
    ----------
    start, end : str
        First and last month, ``YYYY-MM``.

    Returns
    -------
    list of str
        Every month of the range, in order.

    Raises
    ------
    FetchError
        A month that is not ``YYYY-MM``, or ``end`` before ``start``.
    """
    try:
        rng = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    except Exception:
        raise FetchError(f"bad month range {start!r}..{end!r} (use YYYY-MM)") from None
    if len(rng) == 0:
        raise FetchError(f"empty month range {start}..{end}")
    return [str(p) for p in rng]


def slug(text: str) -> str:
    """File-name-safe form of an area name.

    Parameters
    ----------
    text : str
        An area name (e.g. ``"Barking and Dagenham"``).

    Returns
    -------
    str
        Lower case letters and digits joined by hyphens; ``"area"`` when
        nothing is left.
    """
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "area"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- police.uk


def api_polygon(geometry: BaseGeometry, crs: str | int | CRS, max_points: int = MAX_POLY_POINTS) -> str:
    """The police.uk ``poly`` parameter for a polygon: ``lat,lng:lat,lng...``,
    simplified (outward, by buffering first) to at most ``max_points``
    vertices so the request stays within the API's URL limit.

    Parameters
    ----------
    geometry : shapely Polygon or MultiPolygon
        The area, in ``crs`` (metres: the simplification tolerance starts at
        10 m).
    crs : str, int or pyproj.CRS
        CRS of ``geometry``.
    max_points : int
        Most vertices sent (default :data:`MAX_POLY_POINTS`).

    Returns
    -------
    str
        ``lat,lng`` pairs in degrees (5 decimals) joined by ``:``.
    """
    g = gpd.GeoSeries([geometry], crs=crs)
    hull = g.iloc[0]
    tol = 10.0
    while True:
        # Buffering before simplifying keeps the simplified outline outside
        # the true one, so no edge crime is cut off; intake clips exactly.
        simple = hull.buffer(tol).simplify(tol)
        if simple.geom_type == "MultiPolygon":
            simple = simple.convex_hull
        if len(simple.exterior.coords) <= max_points:
            break
        tol *= 1.6
    ll = gpd.GeoSeries([simple], crs=crs).to_crs(4326).iloc[0]
    return ":".join(f"{lat:.5f},{lon:.5f}" for lon, lat in list(ll.exterior.coords)[:-1])


def _crime_rows(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        loc = r.get("location") or {}
        street = (loc.get("street") or {}).get("name", "")
        cat = r.get("category", "")
        rows.append({
            "Crime ID": r.get("persistent_id") or "",
            "Month": r.get("month", ""),
            "Reported by": "",
            "Falls within": "",
            "Longitude": loc.get("longitude", ""),
            "Latitude": loc.get("latitude", ""),
            "Location": street,
            "LSOA code": "",
            "LSOA name": "",
            "Crime type": CATEGORY_NAMES.get(cat) or cat.replace("-", " ").capitalize(),
            "Last outcome category": (r.get("outcome_status") or {}).get("category", "") if r.get("outcome_status") else "",
            "Context": r.get("context") or "",
        })
    return rows


def _get_month(session, base: str, category: str, geometry: BaseGeometry, crs, month: str, depth: int = 0) -> list[dict]:
    url = f"{base}/crimes-street/{category}"
    params = {"poly": api_polygon(geometry, crs), "date": month}
    for attempt in range(3):
        try:
            resp = session.get(url, params=params, timeout=60)
        except Exception as exc:
            if attempt == 2:
                raise FetchError(f"police.uk request for {month} failed: {exc}") from None
            time.sleep(1.5 * (attempt + 1))
            continue
        if resp.status_code == 503 and depth < 4:
            # Too many crimes in one request: split the area into quarters.
            x0, y0, x1, y1 = geometry.bounds
            xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
            out: dict[str, dict] = {}
            for q in (box(x0, y0, xm, ym), box(xm, y0, x1, ym), box(x0, ym, xm, y1), box(xm, ym, x1, y1)):
                part = geometry.intersection(q)
                if part.is_empty or part.area == 0:
                    continue
                for rec in _get_month(session, base, category, part, crs, month, depth + 1):
                    out[str(rec.get("id", id(rec)))] = rec  # quarters overlap once buffered
            return list(out.values())
        if resp.status_code == 429:
            time.sleep(2.0 * (attempt + 1))
            continue
        if resp.status_code != 200:
            raise FetchError(f"police.uk answered HTTP {resp.status_code} for {month} ({url})")
        try:
            return resp.json()
        except ValueError:
            raise FetchError(f"police.uk sent something that is not JSON for {month}") from None
    raise FetchError(f"police.uk kept refusing {month} (rate limit)")


def fetch_police_uk(
    area: Area,
    months: Iterable[str],
    *,
    category: str = "burglary",
    cache: Path | None = None,
    base_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    refresh: bool = False,
) -> list[Path]:
    """Download police.uk street-level crimes for an area, month by month.

    Parameters
    ----------
    area : Area
        The area whose polygon is sent to the API.
    months : iterable of "YYYY-MM"
        The calendar months to download (one request per month).
    category : str
        police.uk category slug (``"burglary"``, ``"all-crime"``, ...).
    cache : Path, optional
        Folder for the monthly CSV files; default
        ``<cache>/policeuk/<area>/``.
    base_url : str, optional
        API base address (default ``settings.POLICE_API``).
    progress : callable, optional
        Called with each month as it completes.
    refresh : bool
        Download again even when the month is cached.

    Returns
    -------
    list of Path
        One police.uk-format CSV per month that has crimes (read them with
        :func:`hotspot.intake.read_incidents`).
    """
    import requests

    base = (base_url or settings.POLICE_API).rstrip("/")
    folder = Path(cache) if cache else settings.cache_dir() / "policeuk" / slug(area.name)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    with requests.Session() as session:
        session.headers["User-Agent"] = "hotspot (crime analysis tool)"
        for month in months:
            path = folder / f"{month}-{slug(area.name)}-{category}-street.csv"
            # A month with no crimes leaves a marker instead of a header-only
            # CSV (which intake rightly refuses as unusable).
            none = path.with_suffix(".none")
            if refresh or not (path.is_file() or none.is_file()):
                records = _get_month(session, base, category, area.geometry, area.crs, month)
                if records:
                    tmp = path.with_suffix(".part")
                    with open(tmp, "w", newline="", encoding="utf-8") as f:
                        w = csv.DictWriter(f, fieldnames=list(POLICE_UK_COLUMNS))
                        w.writeheader()
                        w.writerows(_crime_rows(records))
                    tmp.replace(path)
                else:
                    none.touch()
            if path.is_file():
                out.append(path)
            if progress:
                progress(month)
    return out


# --------------------------------------------------------------------------- boundaries


def fetch_boundary(name: str, *, mirror: Path | None = None, cache: Path | None = None,
                   manifest: Path | None = None, progress: bool = False) -> Path:
    """A boundary layer from the manifest, cached.

    With ``mirror`` the file is looked up (recursively, by file name) in that
    folder and copied; otherwise it is downloaded from its public address
    with pooch. A recorded SHA-256 is checked in both cases.

    Parameters
    ----------
    name : str
        Layer name in the manifest.
    mirror : Path, optional
        Local folder holding the layer's file (``hotspot fetch --from DIR``).
    cache : Path, optional
        Folder to keep the layer in; default ``<cache>/boundaries``.
    manifest : Path, optional
        Manifest to read; default :data:`MANIFEST`.
    progress : bool
        Show a download progress bar.

    Returns
    -------
    Path
        The cached layer file.

    Raises
    ------
    FetchError
        Unknown layer, file not in the mirror, checksum mismatch, or a
        failed download.
    """
    layers = boundary_manifest(manifest)
    if name not in layers:
        raise FetchError(f"unknown boundary layer {name!r}; known: {', '.join(sorted(layers))}")
    layer = layers[name]
    folder = Path(cache) if cache else settings.cache_dir() / "boundaries"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / layer.file
    if target.is_file() and (layer.sha256 is None or _sha256(target) == layer.sha256):
        return target
    if mirror is not None:
        found = sorted(Path(mirror).rglob(layer.file))
        if not found:
            raise FetchError(f"{mirror}: no file named {layer.file} in the mirror")
        src = found[0]
        if layer.sha256 and _sha256(src) != layer.sha256:
            raise FetchError(f"{src}: checksum does not match the manifest entry for {name}")
        shutil.copyfile(src, target)
        return target
    if not layer.url:
        raise FetchError(f"boundary layer {name!r} has no download address; use mirror=DIR", param='mirror')
    import pooch

    try:
        got = pooch.retrieve(layer.url, known_hash=f"sha256:{layer.sha256}" if layer.sha256 else None,
                             fname=layer.file, path=folder, progressbar=progress)
    except Exception as exc:
        raise FetchError(f"cannot download {name} from {layer.url}: {exc}") from None
    return Path(got)


def fetch_police_uk_from_mirror(mirror: Path, months: Iterable[str], *, cache: Path | None = None,
                                area_name: str = "mirror") -> list[Path]:
    """Copy police.uk monthly CSV files (``YYYY-MM-*-street.csv``) for the
    given months from a local mirror into the cache.

    Parameters
    ----------
    mirror : Path
        Folder searched (recursively) for the monthly files.
    months : iterable of "YYYY-MM"
        The calendar months wanted; each must have a file.
    cache : Path, optional
        Folder to copy into; default ``<cache>/policeuk/<area_name>``.
    area_name : str
        Name of the cache sub-folder when ``cache`` is not given.

    Returns
    -------
    list of Path
        The copied files (every force's file of each month).

    Raises
    ------
    FetchError
        A month with no file in the mirror.
    """
    months = list(months)
    folder = Path(cache) if cache else settings.cache_dir() / "policeuk" / slug(area_name)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for month in months:
        found = sorted(Path(mirror).rglob(f"{month}-*street*.csv"))
        if not found:
            raise FetchError(f"{mirror}: no police.uk file for {month} (expected {month}-<force>-street.csv)")
        for src in found:
            dst = folder / src.name
            shutil.copyfile(src, dst)
            out.append(dst)
    return out

