"""LSOA or ward polygons from the ONS Open Geography FeatureServer with Census
2021 households from Nomis (:func:`fetch_units`).
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import FetchError, OptionError
from ..areas import Area
from .cache import FetchedLayer, _bounds_ll, _cache_folder, _http_get, _read_sidecar, _session, _write_sidecar, area_key

#: Unit levels ``fetch_units`` knows.
UNIT_LEVELS = ("lsoa", "ward")

ONS_ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v3.0; "
                   "Contains OS data © Crown copyright and database right")


_UNITS_BY_HAND = ("download the LSOA 2021 (or ward) boundaries from https://geoportal.statistics.gov.uk and Census "
                  "2021 TS041 households by LSOA from https://www.nomisweb.co.uk, and give them with units=FILE "
                  "households=FILE")
_UNITS_PARAMS = ("units", "households")
_PAGE = 1000


def arcgis_features(layer_url: str, bounds: np.ndarray, *, page: int = _PAGE) -> gpd.GeoDataFrame:
    """Every feature of an ArcGIS FeatureServer layer whose shape meets a
    lon/lat box, as GeoJSON, page by page (``resultOffset``) while the server
    says it left some out (``exceededTransferLimit``).

    Parameters
    ----------
    layer_url : str
        The layer (``.../FeatureServer/0``).
    bounds : array of 4 floats
        ``minx, miny, maxx, maxy`` in degrees (EPSG:4326).
    page : int
        Features asked for per request (the ONS services allow 2,000).

    Returns
    -------
    GeoDataFrame
        The features, EPSG:4326.

    Raises
    ------
    FetchError
        Unreachable, an HTTP or ArcGIS error, or a response that is not
        GeoJSON.
    """
    url = layer_url.rstrip("/") + "/query"
    params: dict[str, Any] = {
        "where": "1=1", "geometry": ",".join(f"{b:.6f}" for b in bounds), "geometryType": "esriGeometryEnvelope",
        "inSR": 4326, "spatialRel": "esriSpatialRelIntersects", "outFields": "*", "outSR": 4326, "f": "geojson",
        "resultRecordCount": page}
    features: list[dict] = []
    with _session() as s:
        while True:
            resp = _http_get(s, url, params | {"resultOffset": len(features)}, _UNITS_BY_HAND, param=_UNITS_PARAMS)
            try:
                body = resp.json()
            except ValueError:
                raise FetchError(f"{url} sent something that is not GeoJSON: {_UNITS_BY_HAND}", param=_UNITS_PARAMS) from None
            if not isinstance(body, dict) or "error" in body or not isinstance(body.get("features"), list):
                why = (body.get("error") or {}).get("message", "no features list") if isinstance(body, dict) else ""
                raise FetchError(f"{url} refused the query ({why}): {_UNITS_BY_HAND}", param=_UNITS_PARAMS)
            features += body["features"]
            more = body.get("exceededTransferLimit") or (body.get("properties") or {}).get("exceededTransferLimit")
            if not more or not body["features"]:
                break
    try:
        return gpd.GeoDataFrame.from_features(features, crs=settings.WGS84) if features else \
            gpd.GeoDataFrame(geometry=[], crs=settings.WGS84)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FetchError(f"{url} sent features that are not GeoJSON ({exc}): {_UNITS_BY_HAND}", param=_UNITS_PARAMS) from None


def _code_columns(gdf: gpd.GeoDataFrame, prefix: str, url: str) -> tuple[str, str]:
    code = next((c for c in gdf.columns if re.fullmatch(fr"{prefix}\d\dCD", c, re.I)), None)
    name = next((c for c in gdf.columns if re.fullmatch(fr"{prefix}\d\dNM", c, re.I)), None)
    if code is None or name is None:
        raise FetchError(f"{url}: no {prefix}<yy>CD/{prefix}<yy>NM columns in the features "
                         f"({', '.join(map(str, gdf.columns[:8]))}): is it a {prefix} layer?")
    return code, name


def nomis_households(codes: list[str], *, batch: int = 100) -> pd.DataFrame:
    """Census 2021 households (TS041) per LSOA from the Nomis API.

    Parameters
    ----------
    codes : list of str
        2021 LSOA codes (E01..., W01...).
    batch : int
        Codes per request (keeps the address short).

    Returns
    -------
    DataFrame
        ``lsoa_code``, ``lsoa_name``, ``households`` (one row per code).

    Raises
    ------
    FetchError
        Unreachable, an HTTP error, a CSV without the expected columns, or a
        code with no (or more than one) household count.
    """
    url = f"{settings.NOMIS_API.rstrip('/')}/dataset/{settings.NOMIS_HOUSEHOLDS_DATASET}.data.csv"
    parts = []
    with _session() as s:
        for i in range(0, len(codes), batch):
            resp = _http_get(s, url, {"date": "latest", "geography": ",".join(codes[i:i + batch]), "measures": 20100,
                                      "select": "GEOGRAPHY_CODE,GEOGRAPHY_NAME,OBS_VALUE"}, _UNITS_BY_HAND, param=_UNITS_PARAMS)
            try:
                part = pd.read_csv(io.StringIO(resp.text), dtype={"GEOGRAPHY_CODE": str})
            except (ValueError, pd.errors.ParserError):
                part = pd.DataFrame()
            if not {"GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "OBS_VALUE"} <= set(part.columns):
                raise FetchError(f"{url} sent no GEOGRAPHY_CODE/GEOGRAPHY_NAME/OBS_VALUE table: {_UNITS_BY_HAND}", param=_UNITS_PARAMS)
            parts.append(part)
    hh = pd.concat(parts, ignore_index=True)
    hh["OBS_VALUE"] = pd.to_numeric(hh["OBS_VALUE"], errors="coerce")
    per = hh.groupby("GEOGRAPHY_CODE").size()
    twice, missing = per[per > 1].index.tolist(), sorted(set(codes) - set(hh["GEOGRAPHY_CODE"][hh.OBS_VALUE.notna()]))
    if twice or missing:
        what = f"{len(twice)} LSOAs with several counts, e.g. {twice[0]}" if twice else \
            f"no households for {len(missing)} LSOAs, e.g. {missing[0]}"
        raise FetchError(f"{url}: {what}: {_UNITS_BY_HAND}", param=_UNITS_PARAMS)
    return hh.rename(columns={"GEOGRAPHY_CODE": "lsoa_code", "GEOGRAPHY_NAME": "lsoa_name",
                              "OBS_VALUE": "households"})[["lsoa_code", "lsoa_name", "households"]]


def _units_in(area: Area, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygons whose representative point lies in the area (as
    :func:`hotspot.campaigns.lsoa_units`), in the area's CRS."""
    g = gdf.to_crs(area.crs)
    g["geometry"] = g.geometry.make_valid()
    return g[g.geometry.representative_point().within(area.geometry)].reset_index(drop=True)


def _lsoas_with_households(area: Area) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    _, bounds = _bounds_ll(area, 0.0)
    raw = arcgis_features(settings.ONS_LSOA_LAYER, bounds)
    if raw.empty:
        raise FetchError(f"{settings.ONS_LSOA_LAYER}: no LSOA meets {area.name}'s bounds (outside England and "
                         f"Wales?): {_UNITS_BY_HAND}", param=_UNITS_PARAMS)
    code, name = _code_columns(raw, "LSOA", settings.ONS_LSOA_LAYER)
    lsoas = _units_in(area, raw)
    hh = nomis_households(lsoas[code].astype(str).tolist())
    units = lsoas.merge(hh, left_on=code, right_on="lsoa_code", how="left")
    units["unit"], units["name"] = units[code].astype(str), units[name].astype(str)
    units["households"] = units["households"].round().astype(int)
    # the service's code column (LSOA21CD) is kept too: `run --units F --households F` reads LSOA layers by it
    out = gpd.GeoDataFrame(units[["unit", "name", "households", code, "geometry"]], geometry="geometry", crs=area.crs)
    return out, {"lsoas_read": len(raw), "lsoas_outside_area": len(raw) - len(lsoas), "lsoas": len(out)}


def fetch_units(area: Area, *, level: str = "lsoa", cache: Path | None = None, refresh: bool = False) -> FetchedLayer:
    """Campaign units of an area with households, from ONS: 2021 LSOA
    polygons with Census 2021 TS041 households (Nomis), or May 2024 ward
    polygons with households interpolated by area from those LSOAs.

    Parameters
    ----------
    area : Area
        The area; a unit belongs to it when its representative point lies
        inside.
    level : str
        ``"lsoa"`` or ``"ward"``.
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.
    refresh : bool
        Fetch again even when cached.

    Returns
    -------
    FetchedLayer
        A GeoPackage (EPSG:4326) with ``unit`` (code), ``name`` and
        ``households`` (LSOAs also their ``LSOA21CD``), for ``leaflets
        --units`` (and, LSOAs, ``run --units F --households F``); beside it
        ``<key>_households.csv`` (``lsoa_code``, ``lsoa_name``,
        ``households``). For wards, ``meta["households_from_lsoas"]`` lists
        the LSOAs the households were interpolated from.

    Raises
    ------
    OptionError
        Unknown level.
    FetchError
        A service unreachable or refusing, or units without households.
    """
    if level not in UNIT_LEVELS:
        raise OptionError(f"level={level!r}: use one of {', '.join(UNIT_LEVELS)}", param='level')
    path = _cache_folder("units", cache) / f"{area_key(area, 0.0, level)}.gpkg"
    if not refresh and (hit := _read_sidecar(path)) is not None:
        return hit
    lsoas, counts = _lsoas_with_households(area)
    lsoas[["unit", "name", "households"]].rename(columns={"unit": "lsoa_code", "name": "lsoa_name"}).to_csv(
        path.with_name(path.stem + "_households.csv"), index=False)
    units, source = lsoas, settings.ONS_LSOA_LAYER
    meta: dict[str, Any] = {}
    if level == "ward":
        units, meta = _wards_with_households(area, lsoas)
        source = settings.ONS_WARD_LAYER
        counts |= {"wards": len(units)}
    units.to_crs(settings.WGS84).to_file(path, driver="GPKG", layer="units", engine="pyogrio")
    nomis = f"{settings.NOMIS_API.rstrip('/')}/dataset/{settings.NOMIS_HOUSEHOLDS_DATASET}"
    return _write_sidecar(FetchedLayer(
        "units", path, len(units), f"{source}; households: {nomis} (Census 2021 TS041)", ONS_ATTRIBUTION,
        counts=counts | {"households": int(units["households"].sum())},
        meta=meta | {"area": area.name, "level": level,
                     "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))


def _wards_with_households(area: Area, lsoas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    from ..campaigns.households import interpolate_households

    _, bounds = _bounds_ll(area, 0.0)
    raw = arcgis_features(settings.ONS_WARD_LAYER, bounds)
    if raw.empty:
        raise FetchError(f"{settings.ONS_WARD_LAYER}: no ward meets {area.name}'s bounds: {_UNITS_BY_HAND}", param=_UNITS_PARAMS)
    code, name = _code_columns(raw, "WD", settings.ONS_WARD_LAYER)
    wards = _units_in(area, raw)
    wards = interpolate_households(wards, lsoas, unit_column=code)
    # a ward no LSOA of the area overlaps would get 0 households: refused, never a silent zero
    empty = wards.loc[wards["households"] <= 0, code].astype(str).tolist()
    if empty:
        raise FetchError(f"{settings.ONS_WARD_LAYER}: ward {empty[0]} overlaps none of {area.name}'s LSOAs, so it "
                         f"has no households ({len(empty)} such wards): {_UNITS_BY_HAND}", param=_UNITS_PARAMS)
    wards["unit"], wards["name"] = wards[code].astype(str), wards[name].astype(str)
    shared = gpd.overlay(lsoas[["unit", "geometry"]], wards[["geometry"]], how="intersection", keep_geom_type=True)
    used = sorted(set(shared.loc[shared.geometry.area > 1.0, "unit"]))  # more than a shared edge (1 m²)
    out = gpd.GeoDataFrame(wards[["unit", "name", "households", "geometry"]], geometry="geometry", crs=area.crs)
    return out, {"households_from_lsoas": used, "households_method": "areal interpolation from 2021 LSOAs"}
