"""Streets from OpenStreetMap through osmnx (Overpass API): :func:`fetch_roads`
and the cached street network of an area.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import geopandas as gpd
import numpy as np

from .. import settings
from .._errors import FetchError, OptionError
from ..areas import Area
from .cache import FetchedLayer, _bounds_ll, _cache_folder, _offline, _read_sidecar, _session, _write_sidecar, area_key

#: osmnx network types a street layer may be fetched as.
NETWORK_TYPES = ("drive", "drive_service", "walk", "bike", "all", "all_public")

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0, https://www.openstreetmap.org/copyright)"

_ROAD_COLUMNS = ("u", "v", "key", "osmid", "name", "ref", "highway", "oneway", "maxspeed", "lanes", "length")


@contextlib.contextmanager
def _osmnx_settings() -> Iterator[str]:
    """osmnx pointed at ``settings.OVERPASS_URL`` (when set), with its own
    response cache off (ours keys by area); restored afterwards."""
    import osmnx as ox

    saved = {k: getattr(ox.settings, k) for k in ("overpass_url", "use_cache", "log_console")}
    try:
        if settings.OVERPASS_URL:
            ox.settings.overpass_url = settings.OVERPASS_URL
        ox.settings.use_cache, ox.settings.log_console = False, False
        yield ox.settings.overpass_url.rstrip("/") + "/interpreter"
    finally:
        for k, v in saved.items():
            setattr(ox.settings, k, v)


def _flat(v: Any) -> Any:
    """A cell GeoPackage can hold: osmnx lists (a way merged from several
    named ways) joined with " / "."""
    if isinstance(v, (list, tuple)):
        return " / ".join(str(x) for x in dict.fromkeys(v))
    return v


def _street_edges(G: Any) -> gpd.GeoDataFrame:
    import osmnx as ox

    edges = ox.graph_to_gdfs(G, nodes=False).reset_index()
    keep = [c for c in _ROAD_COLUMNS if c in edges]
    edges = edges[keep + ["geometry"]].copy()
    for c in keep:
        if edges[c].dtype == object:  # lists where simplification merged ways; ids mixed int and text
            edges[c] = edges[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                    else str(_flat(v)))
    return gpd.GeoDataFrame(edges, geometry="geometry", crs=edges.crs).to_crs(settings.WGS84)


def fetch_roads(area: Area, *, buffer_m: float = 500.0, network_type: str = "drive", cache: Path | None = None,
                refresh: bool = False) -> FetchedLayer:
    """The OpenStreetMap street network of an area (buffered), with names,
    fetched through osmnx from the Overpass API and cached.

    Parameters
    ----------
    area : Area
        The area; its polygon buffered by ``buffer_m`` is sent to Overpass.
    buffer_m : float
        Buffer around the area, metres (default 500: roads crossing the
        boundary and routes that leave the area briefly are kept).
    network_type : str
        osmnx network type (:data:`NETWORK_TYPES`; default ``"drive"``).
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.
    refresh : bool
        Fetch again even when cached.

    Returns
    -------
    FetchedLayer
        A GeoPackage of street edges (``name``, ``ref``, ``highway``,
        ``oneway``, ``length`` in metres, lines in EPSG:4326); read it with
        :func:`hotspot.crossborder.read_roads` (``--roads``).

    Raises
    ------
    OptionError
        Unknown network type or a negative buffer.
    FetchError
        Overpass cannot be reached, refuses, or sends no streets.
    """
    if network_type not in NETWORK_TYPES:
        raise OptionError(f"network_type={network_type!r}: use one of {', '.join(NETWORK_TYPES)}", param='network_type')
    ll, _ = _bounds_ll(area, buffer_m)
    path = _cache_folder("roads", cache) / f"{area_key(area, buffer_m, network_type)}.gpkg"
    if not refresh and (hit := _read_sidecar(path)) is not None:
        return hit
    with _osmnx_settings() as url:
        G = _overpass_graph(ll.iloc[0], network_type, url)
    edges = _street_edges(G)
    edges.to_file(path.with_suffix(".part.gpkg"), driver="GPKG", layer="edges", engine="pyogrio")
    path.with_suffix(".part.gpkg").replace(path)
    named = int(edges["name"].notna().sum()) if "name" in edges else 0
    return _write_sidecar(FetchedLayer(
        "roads", path, len(edges), url, OSM_ATTRIBUTION,
        counts={"edges": len(edges), "named_edges": named, "nodes": G.number_of_nodes()},
        meta={"area": area.name, "buffer_m": buffer_m, "network_type": network_type,
              "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))


def _overpass_graph(polygon: Any, network_type: str, url: str) -> Any:
    import osmnx as ox
    import requests

    by_hand = ("export the area from openstreetmap.org (or a Geofabrik extract as .osm XML) and give it with "
               "roads=FILE")
    # osmnx waits 60 s when the status endpoint cannot be reached, then fails: ask it ourselves first
    try:
        with _session() as s:
            s.get(url.rsplit("/", 1)[0] + "/status", timeout=15)
    except requests.RequestException as exc:
        raise _offline(url, exc, by_hand, param=("roads",)) from None
    try:
        return ox.graph_from_polygon(polygon, network_type=network_type, simplify=True, retain_all=True,
                                     truncate_by_edge=True)
    except requests.RequestException as exc:
        raise _offline(url, exc, by_hand, param=("roads",)) from None
    except ox._errors.ResponseStatusCodeError as exc:
        raise FetchError(f"{url} refused the street query ({str(exc)[:120]}): {by_hand}", param=("roads",)) from None
    except (ox._errors.InsufficientResponseError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"{url} sent no usable street network ({type(exc).__name__}: {str(exc)[:120]}): "
                         f"{by_hand}", param=("roads",)) from None


def cached_street_network(area: Area, *, cache: Path | None = None) -> FetchedLayer | None:
    """The street network fetched for this area earlier, if any (the drive
    network first, then the widest buffer).

    Parameters
    ----------
    area : Area
        The area (matched by name and outline, see :func:`area_key`).
    cache : Path, optional
        Cache root; default :func:`hotspot.settings.cache_dir`.

    Returns
    -------
    FetchedLayer or None
        The cached layer (``from_cache`` True), or None when none was fetched.
    """
    prefix = area_key(area, 0.0).rsplit("-", 1)[0] + "-"
    folder = (Path(cache) if cache else settings.cache_dir()) / "fetched" / "roads"
    found = [hit for p in sorted(folder.glob(f"{prefix}*.gpkg")) if (hit := _read_sidecar(p)) is not None]
    if not found:
        return None
    # cars patrol and cameras watch the drive network: it wins over a walk/bike one, then the widest buffer
    return max(found, key=lambda h: (h.meta.get("network_type") == "drive", float(h.meta.get("buffer_m", 0))))
