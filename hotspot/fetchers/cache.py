"""A fetched layer (:class:`FetchedLayer`), its cache (keyed by the area, the
buffer and the options, with a JSON sidecar) and the HTTP plumbing every
fetcher shares.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from .. import settings
from .._errors import FetchError, OptionError
from ..areas import Area
from ..sources import slug

log = logging.getLogger("hotspot")


@dataclass
class FetchedLayer:
    """A fetched (or cached) layer and where it came from.

    Attributes
    ----------
    kind : str
        ``"roads"``, ``"postcodes"`` or ``"units"``.
    path : Path
        The cached layer (GeoPackage, EPSG:4326).
    rows : int
        Features in the layer.
    source : str
        The address it was fetched from (or the local file read).
    attribution : str
        What a map or report using it must credit.
    from_cache : bool
        True when the layer was already cached (no network used).
    counts : dict
        Row accounting (read, filtered, rejected, kept) of the download.
    meta : dict
        Options (area, buffer, network type, level, ...) and notes.
    """

    kind: str
    path: Path
    rows: int
    source: str
    attribution: str
    from_cache: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Everything the command's table shows, JSON-ready.

        Returns
        -------
        dict
            The fields, ``path`` as text.
        """
        return asdict(self) | {"path": str(self.path)}


def area_key(area: Area, buffer_m: float, *parts: str) -> str:
    """Cache key of a layer fetched for an area: its name, a tag of its
    outline (lon/lat bounds to ~10 m, so the same area read in another CRS
    hits the same entry), the buffer and the options.

    Parameters
    ----------
    area : Area
        The area.
    buffer_m : float
        Buffer around the area, metres.
    *parts : str
        Further options (network type, level, ...).

    Returns
    -------
    str
        File-name-safe key.
    """
    bounds = gpd.GeoSeries([area.geometry], crs=area.crs).to_crs(settings.WGS84).total_bounds
    tag = hashlib.sha1(",".join(f"{b:.4f}" for b in bounds).encode()).hexdigest()[:8]
    return "-".join([slug(area.name), tag, f"{buffer_m:g}m", *parts])


def _cache_folder(kind: str, cache: Path | None) -> Path:
    folder = (Path(cache) if cache else settings.cache_dir()) / "fetched" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_sidecar(path: Path) -> FetchedLayer | None:
    side = path.with_suffix(".json")
    if not (path.is_file() and side.is_file()):
        return None
    try:
        meta = json.loads(side.read_text())
        return FetchedLayer(**(meta | {"path": path, "from_cache": True}))
    except (ValueError, TypeError):
        return None  # a broken sidecar: fetch again


def _write_sidecar(layer: FetchedLayer) -> FetchedLayer:
    data = layer.to_json()
    data.pop("path"), data.pop("from_cache")
    layer.path.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str))
    return layer


def _bounds_ll(area: Area, buffer_m: float) -> tuple[gpd.GeoSeries, np.ndarray]:
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise OptionError(f"buffer_m={buffer_m}: give a distance in metres, 0 or more", param='buffer_m')
    g = gpd.GeoSeries([area.geometry.buffer(buffer_m) if buffer_m else area.geometry], crs=area.crs)
    ll = g.to_crs(settings.WGS84)
    return ll, ll.total_bounds


def _offline(url: str, exc: Exception, by_hand: str, param: tuple[str, ...] = ()) -> FetchError:
    # by_hand names the parameters that take a hand-downloaded file (roads=FILE); param lists them
    return FetchError(f"cannot reach {url} ({type(exc).__name__}; offline?): {by_hand}", param=param)


def _http_get(session: Any, url: str, params: dict[str, Any] | None, by_hand: str, *, stream: bool = False,
              param: tuple[str, ...] = ()) -> Any:
    """GET with the one-line refusals every fetcher gives: the address, what
    went wrong, what to download by hand and which option takes it."""
    import requests

    try:
        resp = session.get(url, params=params, timeout=120, stream=stream)
    except requests.RequestException as exc:
        raise _offline(url, exc, by_hand, param) from None
    if resp.status_code != 200:
        raise FetchError(f"{url} answered HTTP {resp.status_code}: {by_hand}", param=param)
    return resp


def _session() -> Any:
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = "hotspot (crime analysis tool)"
    return s
