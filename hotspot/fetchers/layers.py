"""One entry point for every kind of layer (:func:`fetch_layer`), and the
preference of a fetched street network over the proxy road layers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from .._errors import OptionError
from ..areas import Area
from .cache import FetchedLayer
from .postcodes import fetch_postcodes
from .streets import cached_street_network, fetch_roads
from .units import fetch_units

#: The reference data's partial road layers (``ReferenceData.road_files``): proxies for a street network, which a
#: street network fetched for the area replaces.
PROXY_ROAD_LAYERS = ("OSM motorways", "TfL bus routes")
#: Default buffer of each kind, metres (units take none: a unit belongs to the area by its representative point).
DEFAULT_BUFFER_M = {"roads": 500.0, "postcodes": 1000.0}


def fetch_layer(kind: str, area: Area, *, buffer_m: float | None = None, network_type: str = "drive",
                level: str = "lsoa", source_file: str | Path | None = None, cache: Path | None = None,
                refresh: bool = False) -> FetchedLayer:
    """``hotspot fetch roads|postcodes|units``: the one fetcher the kind names.

    Parameters
    ----------
    kind : str
        ``"roads"``, ``"postcodes"`` or ``"units"``.
    area : Area
        The area.
    buffer_m : float, optional
        Buffer around the area, metres (default :data:`DEFAULT_BUFFER_M`;
        not for units).
    network_type : str
        Street network type (roads only).
    level : str
        ``"lsoa"`` or ``"ward"`` (units only).
    source_file : str or Path, optional
        A Code-Point Open or ONSPD file downloaded by hand (postcodes only).
    cache : Path, optional
        Cache root.
    refresh : bool
        Fetch again even when cached.

    Returns
    -------
    FetchedLayer
        The cached layer and its provenance.

    Raises
    ------
    OptionError
        Unknown kind, or an option the kind does not take.
    """
    if kind not in ("roads", "postcodes", "units"):
        raise OptionError(f"fetch {kind!r}: use roads, postcodes or units (or start=/end=, boundary=)", param=('start', 'end', 'boundary'))
    if kind == "units" and buffer_m is not None:
        raise OptionError("buffer_m= does not apply to units: a unit belongs to the area by its representative point", param='buffer_m')
    if source_file is not None and kind != "postcodes":
        raise OptionError(f"source_file=FILE is for postcodes; for {kind} give the file you downloaded by hand to the "
                          f"command that uses it ({'roads=' if kind == 'roads' else 'units=/households='})", param=('source_file', 'roads', 'units', 'households'))
    buffer = DEFAULT_BUFFER_M.get(kind, 0.0) if buffer_m is None else buffer_m
    if kind == "roads":
        return fetch_roads(area, buffer_m=buffer, network_type=network_type, cache=cache, refresh=refresh)
    if kind == "postcodes":
        return fetch_postcodes(area, buffer_m=buffer, source_file=source_file, cache=cache, refresh=refresh)
    return fetch_units(area, level=level, cache=cache, refresh=refresh)


def street_layer_name(layer: FetchedLayer) -> str:
    """How outputs name a fetched street network.

    Parameters
    ----------
    layer : FetchedLayer
        A fetched street network.

    Returns
    -------
    str
        E.g. ``"OSM streets (drive, fetched 2026-12-05)"``.
    """
    return (f"OSM streets ({layer.meta.get('network_type', '?')}, fetched "
            f"{str(layer.meta.get('fetched_at', '?'))[:10]})")


def street_layer_note(layer: FetchedLayer) -> str:
    """The note a brief, camera plan or run gives when it used a fetched
    street network: which one, and its attribution.

    Parameters
    ----------
    layer : FetchedLayer
        A fetched street network.

    Returns
    -------
    str
        One line.
    """
    return f"roads: {street_layer_name(layer)} ({layer.path.name}); {layer.attribution}"


def fetched_or_reference_roads(area: Area, reference: Any) -> tuple[dict[str, gpd.GeoDataFrame], str | None]:
    """Road layers for camera siting when none were given: the street
    network fetched for the area if there is one, else the reference data's
    partial layers.

    Parameters
    ----------
    area : Area
        The area (working CRS, metres).
    reference : ReferenceData or None
        The reference data folder (:class:`hotspot.jobs.reference.ReferenceData`).

    Returns
    -------
    dict of str to GeoDataFrame
        Name -> lines with a ``road`` column, in the area's CRS.
    str or None
        The note naming a fetched street network (None for the reference layers).

    Raises
    ------
    OptionError
        Neither a fetched network nor a reference folder.
    """
    from ..crossborder import read_roads

    files, used = prefer_fetched_streets(reference.road_files() if reference is not None else None, area)
    if not files:
        raise OptionError("no reference data folder: give data_dir=DIR (or roads= and the other layers, or fetch "
                          "the area's streets with `hotspot fetch roads`)", param=('data_dir', 'roads'))
    layers = {name: read_roads(p, area.crs) for name, p in files.items()}
    return layers, used["note"] if used["source"] == "fetched" else None


def prefer_fetched_streets(road_files: dict[str, Path] | None, area: Area, *, cache: Path | None = None
                           ) -> tuple[dict[str, Path], dict[str, Any]]:
    """The road layers a run uses: a street network fetched for the area
    (``hotspot fetch roads``) in place of the reference data's partial
    layers (motorways, bus routes); layers the user gave are kept as given.

    Parameters
    ----------
    road_files : dict of str to Path, optional
        Name -> road layer, as configured.
    area : Area
        The area (its fetched network is looked up by :func:`cached_street_network`).
    cache : Path, optional
        Cache root.

    Returns
    -------
    dict of str to Path
        The road layers to use.
    dict
        What the outputs say about them: ``layers``, ``source`` (``fetched``,
        ``given``, ``reference`` or ``none``), a ``note`` (fetched or
        reference) and, for a fetched network, ``path`` and ``attribution``.
    """
    given = dict(road_files or {})
    own = [k for k in given if k not in PROXY_ROAD_LAYERS]
    fetched = None if own else cached_street_network(area, cache=cache)
    if fetched is None:
        source = "given" if own else ("reference" if given else "none")
        note = {"reference": "partial reference layers (motorways, bus-route paths): `hotspot fetch roads` gives "
                             "the full street network"}.get(source)
        return given, {"layers": list(given), "source": source} | ({"note": note} if note else {})
    name = street_layer_name(fetched)
    return {name: fetched.path}, {"layers": [name], "source": "fetched", "path": str(fetched.path),
                                  "attribution": fetched.attribution, "note": street_layer_note(fetched)}
