"""Intervention layers as ``hotspot`` writes them, and any other point or
polygon layer: which kind it is, its places (polygons, metres), their ids,
the default buffer and per-feature start/end dates.

* nano-beat targets (``hotspot nanobeats --out``: ``target_id``,
  ``active_until``): polygons, buffer the near-repeat distance (200 m);
* ANPR sites (``hotspot anpr``: ``site_id``, ``install_order``): points, a
  place is the camera's coverage disc (500 m), buffer as wide;
* leaflet plan units (``hotspot leaflets --out``: ``unit``, ``leaflets``):
  a table without geometry, joined to the unit layer (the reference LSOAs
  unless ``units`` is given); buffer 200 m;
* anything else: its polygons, or discs around its points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import settings
from .._errors import InputFileError, OptionError
from ..areas import Area

#: Columns that mark each kind of layer hotspot writes.
KINDS = {"nanobeats": {"target_id", "active_until"}, "anpr": {"site_id", "install_order"},
         "leaflets": {"unit", "leaflets"}}
ID_COLUMNS = {"nanobeats": "target_id", "anpr": "site_id", "leaflets": "unit"}
START_COLUMNS = ("start", "start_date", "starts")
END_COLUMNS = ("end", "end_date", "ends")


@dataclass
class Intervention:
    """The treated places of an intervention.

    Attributes
    ----------
    places : GeoDataFrame
        ``place_id`` and polygon geometry (the area's CRS, metres).
    kind : str
        ``nanobeats``, ``anpr``, ``leaflets`` or ``layer``.
    buffer_m : float
        Default catchment buffer for the kind, metres.
    start, end : Timestamp or None
        Dates from per-feature start/end columns (all features the same).
    units : GeoSeries or None
        The unit layer of a leaflet plan (candidate control places).
    notes : list of str
    """

    places: gpd.GeoDataFrame
    kind: str
    buffer_m: float
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    units: gpd.GeoSeries | None = None
    notes: list[str] = field(default_factory=list)


def detect_kind(columns: list[str]) -> str:
    """The kind of an intervention layer from its columns.

    Parameters
    ----------
    columns : list of str
        The layer's column names.

    Returns
    -------
    str
        ``nanobeats``, ``anpr``, ``leaflets`` or ``layer``.
    """
    cols = {c.lower() for c in columns}
    return next((k for k, need in KINDS.items() if need <= cols), "layer")


def _read_any(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    ext = path.suffix.lower()
    try:
        if ext == ".csv":
            return pd.read_csv(path)
        if ext == ".parquet":
            try:
                return gpd.read_parquet(path)
            except ValueError:
                return pd.read_parquet(path)
        return gpd.read_file(path)
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: cannot read the intervention layer ({exc})") from exc


def _geometry(path: Path, frame: pd.DataFrame, area: Area, kind: str, units: gpd.GeoDataFrame | None,
              unit_column: str) -> gpd.GeoDataFrame:
    """The layer's features as polygons in the area's CRS."""
    if kind == "leaflets" and not isinstance(frame, gpd.GeoDataFrame):
        if units is None:
            raise InputFileError(f"{path}: a leaflet plan has no geometry; give units= (the unit layer of the plan)", param='units')
        if unit_column not in units:
            raise InputFileError(f"units=: no column {unit_column!r} to join the plan's units on", param='units')
        lookup = units.set_index(units[unit_column].astype(str))
        missing = sorted(set(frame["unit"].astype(str)) - set(lookup.index))
        if missing:
            raise InputFileError(f"{path}: units {', '.join(missing[:5])} are not in the unit layer; give units=", param='units')
        return gpd.GeoDataFrame(frame, geometry=list(lookup.loc[frame["unit"].astype(str)].geometry), crs=units.crs)
    if not isinstance(frame, gpd.GeoDataFrame):
        lon = next((c for c in frame.columns if c.lower() in ("lon", "longitude", "centroid_lon")), None)
        lat = next((c for c in frame.columns if c.lower() in ("lat", "latitude", "centroid_lat")), None)
        if lon is None or lat is None:
            raise InputFileError(f"{path}: no geometry and no lon/lat columns; write the layer as GeoJSON or GeoPackage")
        frame = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame[lon], frame[lat]), crs=settings.WGS84)
    if frame.crs is None:
        raise InputFileError(f"{path}: the layer has no CRS")
    return gpd.GeoDataFrame(frame).to_crs(area.crs)


def _dates(path: Path, frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Timestamp | None:
    col = next((c for c in frame.columns if c.lower() in names), None)
    if col is None:
        return None
    values = pd.to_datetime(frame[col], errors="coerce")
    if values.isna().any():
        row = int(values.isna().to_numpy().argmax())
        raise InputFileError(f"{path}: row {row + 1}, column {col}: not a date ({frame[col].iloc[row]!r})")
    if values.nunique() > 1:
        raise OptionError(f"{path}: column {col} has {values.nunique()} different dates; features with different "
                          "dates are assessed one date at a time (split the layer by date)")
    return pd.Timestamp(values.iloc[0])


def read_intervention(path: str | Path, area: Area, *, units: gpd.GeoDataFrame | None = None,
                      unit_column: str = "unit") -> Intervention:
    """Read an intervention layer and check its places lie in the area.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, GeoParquet or CSV (a leaflet plan table, or
        points with lon/lat columns).
    area : Area
        The study area (its CRS, metres, is the working CRS).
    units : GeoDataFrame, optional
        The unit layer a leaflet plan refers to (any CRS).
    unit_column : str
        The unit id column of ``units``.

    Returns
    -------
    Intervention

    Raises
    ------
    InputFileError
        Unreadable, no geometry, or a place outside the area (named).
    """
    path = Path(path)
    frame = _read_any(path)
    if not len(frame):
        raise InputFileError(f"{path}: the intervention layer has no features")
    kind = detect_kind(list(frame.columns))
    gdf = _geometry(path, frame, area, kind, units, unit_column)
    radius = settings.ANPR_RADIUS_M if kind == "anpr" else settings.ASSESS_POINT_RADIUS_M
    points = gdf.geom_type.isin(["Point", "MultiPoint"])
    geom = gdf.geometry.where(~points, gdf.geometry.buffer(radius))
    id_col = ID_COLUMNS.get(kind) or next((c for c in gdf.columns if c.lower() in ("id", "place_id", "name")), None)
    ids = gdf[id_col].astype(str) if id_col else pd.Series([f"#{i + 1}" for i in range(len(gdf))])
    # polygons read back from degrees can self-touch: repaired, never dropped
    places = gpd.GeoDataFrame({"place_id": ids.to_numpy()}, geometry=list(geom.make_valid()), crs=area.crs)
    # a point (a camera on a boundary road) is tested itself, not its disc
    inside = gdf.geometry.representative_point().within(area.geometry.buffer(settings.AREA_EDGE_TOLERANCE))
    if not inside.all():
        out = places.loc[~inside.to_numpy(), "place_id"].tolist()
        raise InputFileError(f"{path}: {len(out)} treated place(s) outside {area.name} ({', '.join(out[:5])}); "
                             "give the area the plan was made for")
    buffer_m = settings.ANPR_RADIUS_M if kind == "anpr" else settings.ASSESS_BUFFER_M
    notes = [f"{int(points.sum())} point feature(s) taken as discs of {radius:g} m"] if points.any() else []
    unit_geoms = None
    if kind == "leaflets" and units is not None:
        unit_geoms = gpd.GeoSeries(units.to_crs(area.crs).geometry.values, crs=area.crs)
    return Intervention(places=places, kind=kind, buffer_m=buffer_m, start=_dates(path, frame, START_COLUMNS),
                        end=_dates(path, frame, END_COLUMNS), units=unit_geoms, notes=notes)
