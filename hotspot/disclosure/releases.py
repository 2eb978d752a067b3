"""Two releases together (:func:`release_differences`): features whose count
changed by less than ``k``, which subtracting the releases would reveal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from .check import Finding, _count_value, _page_layers
from .rules import COUNT_KEYS, K_DEFAULT

_EXACT_TEXT = re.compile(r"(?<![\d.,\-–])(\d{1,6})\s+(?:incidents?|burglar(?:y|ies)|crimes?|offences?)\b", re.I)


def _release_features(path: Path) -> gpd.GeoDataFrame:
    """The features a file publishes (map layers, GeoJSON, GeoPackage or
    GeoParquet); other files publish none."""
    ext = path.suffix.lower()
    if ext in (".html", ".htm"):
        feats = [f for layer in _page_layers(path.read_text(encoding="utf-8", errors="replace"))[0] for f in layer]
        return gpd.GeoDataFrame.from_features(feats) if feats else gpd.GeoDataFrame()
    if ext in (".geojson", ".json", ".gpkg"):
        import pyogrio

        try:
            layers = [name for name, _ in pyogrio.list_layers(path)]
        except Exception:  # a JSON file that is not GeoJSON publishes no feature
            return gpd.GeoDataFrame()
        frames = [gpd.read_file(path, layer=layer) for layer in layers]
        return pd.concat(frames, ignore_index=True) if frames else gpd.GeoDataFrame()
    if ext in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(path)
        except ValueError:  # no geometry column: no feature
            return gpd.GeoDataFrame()
    return gpd.GeoDataFrame()


def _exact_counts(path: Path) -> dict[str, int]:
    """Exact counts per published feature, keyed by its geometry: a count
    column's whole number, or the one number of an "N burglaries" text (a
    band such as "8-15 burglaries" is not exact)."""
    gdf = _release_features(path)
    if gdf.empty or "geometry" not in gdf:
        return {}
    keys = shapely.to_wkt(shapely.set_precision(gdf.geometry.to_numpy(), 1e-6), rounding_precision=6)
    counts = [c for c in gdf.columns if COUNT_KEYS.match(str(c))]
    texts = [c for c in gdf.columns if c != "geometry" and c not in counts]
    out = {}
    for i, key in enumerate(keys):
        values = [v for v in (_count_value(gdf[c].iloc[i]) for c in counts) if v is not None]
        if not values:
            values = [int(m.group(1)) for c in texts for m in _EXACT_TEXT.finditer(str(gdf[c].iloc[i]))]
        if len(values) == 1 and key:
            out[str(key)] = values[0]
    return out


def release_differences(paths: Iterable[str | Path], previous: Iterable[str | Path], *,
                        k: int = K_DEFAULT) -> list[Finding]:
    """Differencing between two releases: features published in both whose
    exact count changed by 1 to ``k - 1`` (subtracting the releases gives
    the burglaries of the period between them, place by place).

    Parameters
    ----------
    paths : iterable of path
        The new release's files.
    previous : iterable of path
        The previous release's files.
    k : int
        Smallest count (and change) that may be published.

    Returns
    -------
    list of Finding
        One "change below k" finding naming how many features and an
        example; empty when the releases cannot be subtracted.
    """
    paths, previous = [Path(p) for p in paths], [Path(p) for p in previous]
    new: dict[str, int] = {}
    old: dict[str, int] = {}
    for group, store in ((paths, new), (previous, old)):
        for p in group:
            store.update(_exact_counts(Path(p)))
    changes = [new[g] - old[g] for g in new.keys() & old.keys() if 0 < abs(new[g] - old[g]) < k]
    if not changes:
        return []
    return [Finding(", ".join(map(str, paths)), "change below k",
                    f"{len(changes)} features whose count changed by 1 to {k - 1} since the previous release (e.g. "
                    f"{changes[0]:+d}): subtracting the releases reveals them; publish fixed windows and banded counts")]
