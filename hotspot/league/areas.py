"""Which areas a league or an all-area backtest covers (:class:`AreaSpec`,
:func:`select_areas`), and the columns an input has (:func:`source_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import AreaError, InputFileError
from ..areas import Area, _name_and_code_columns, find_area, load_boundaries
from ..io.parquet import parquet_columns
from ..io.postgis import _pg_columns
from ..io.source import is_store
from ..io.urls import is_pg_url, parse_pg_url, query_from, read_only


@dataclass(frozen=True)
class AreaSpec:
    """What a task needs to know about its area (small and picklable)."""

    name: str
    code: str | None
    wkb: bytes
    crs: str

    def area(self) -> Area:
        """The area rebuilt from the spec (geometry from WKB, CRS parsed).

        Returns
        -------
        Area
            The area, in its working CRS (metres).
        """
        return Area(name=self.name, code=self.code, geometry=shapely.from_wkb(self.wkb),
                    crs=CRS.from_user_input(self.crs))


def select_areas(layer: gpd.GeoDataFrame | str | Path, areas: str | Sequence[str] = "all") -> list[AreaSpec]:
    """The areas of a boundary layer: ``"all"`` (every feature, dissolved by
    name, in layer order) or a list / comma-separated string of names or
    codes (unknown ones raise :class:`AreaError` with suggestions).

    Parameters
    ----------
    layer : GeoDataFrame, str or Path
        The boundary layer (read and projected to metres when a path).
    areas : str or sequence of str
        ``"all"``, a comma-separated string, or a list of names or codes.

    Returns
    -------
    list of AreaSpec
        One per area, in the order asked (a name given twice once).

    Raises
    ------
    AreaError
        No name column, no area named, or an unknown area.
    """
    if not isinstance(layer, gpd.GeoDataFrame):
        layer = load_boundaries(layer)
    name_col, code_col = _name_and_code_columns(layer)
    if name_col is None:
        raise AreaError("the boundary layer has no name column to label the areas")
    if isinstance(areas, str) and areas.strip().lower() == "all":
        wanted = _all_area_keys(layer, name_col, code_col)
    else:
        wanted = [a.strip() for a in (areas.split(",") if isinstance(areas, str) else areas) if a.strip()]
        if not wanted:
            raise AreaError("no areas named: give areas=all or a comma-separated list", param='areas')
    out, seen, parents = [], set(), []
    for w in wanted:
        try:
            a = find_area(layer, w)
        except AreaError as exc:  # the league names its areas with areas= (--areas)
            raise AreaError(str(exc).replace("e.g. area=", "e.g. areas="), param=('area', 'areas')) from None
        if (a.code, a.name) in seen:
            continue
        seen.add((a.code, a.name))
        parents.append(_parent_of(layer, a))
        out.append(AreaSpec(a.name, a.code, shapely.to_wkb(a.geometry), a.crs.to_string()))
    return _unique_names(out, parents)


def _all_area_keys(layer: gpd.GeoDataFrame, name_col: str, code_col: str | None) -> list[str]:
    """Every area of the layer, in layer order, by name, or by code where a
    name is shared by areas with different codes (ward names repeat across
    boroughs); a layer without codes that repeats names is refused."""
    names = layer[name_col].astype(str)
    if code_col is None:
        from ..areas import _string_columns

        attrs = layer[_string_columns(layer)].astype(str).drop_duplicates()  # one area in parts counts once
        shared = sorted(set(attrs[name_col][attrs[name_col].duplicated()]))
        if shared:
            raise AreaError(
                f"the boundary layer names several areas alike ({', '.join(shared[:10])}"
                f"{', ...' if len(shared) > 10 else ''}: {len(shared)} names) and has no code column to tell them "
                "apart: add a code column (e.g. E05... ward codes) to the layer")
        return list(dict.fromkeys(names))
    codes = layer[code_col].astype(str)
    repeated = set(codes.groupby(names).nunique().pipe(lambda n: n[n > 1]).index)
    return list(dict.fromkeys(codes[i] if n in repeated else n for i, n in names.items()))


def _parent_of(layer: gpd.GeoDataFrame, a: Area) -> str | None:
    """The parent area's name (e.g. the borough of a ward), if the layer has one."""
    from ..areas import _layer_columns

    parent_col = _layer_columns(layer)[2]
    if parent_col is None or a.index is None or a.index not in layer.index:
        return None
    return str(layer.loc[a.index, parent_col]).strip() or None


def _unique_names(specs: list[AreaSpec], parents: list[str | None]) -> list[AreaSpec]:
    """Areas that share a name are labelled "name (parent)", or "name
    (code)" where the parent does not tell them apart, so every league row
    names one area."""
    from collections import Counter

    count = Counter(s.name for s in specs)
    labels = [f"{s.name} ({p})" if count[s.name] > 1 and p else s.name for s, p in zip(specs, parents)]
    again = Counter(labels)
    labels = [f"{s.name} ({s.code})" if again[lab] > 1 and s.code else lab for s, lab in zip(specs, labels)]
    return [replace(s, name=lab) if lab != s.name else s for s, lab in zip(specs, labels)]


def source_columns(src: str | Path) -> list[str]:
    """Column names of an input (Parquet schema, PostgreSQL table/query or a
    CSV header) without reading its rows.

    Parameters
    ----------
    src : str or Path
        A Parquet file or folder, a ``postgresql://`` URL, or a CSV file.

    Returns
    -------
    list of str
        The column names; empty for other file types (not known without
        reading).

    Raises
    ------
    InputFileError
        A file that does not exist.
    """
    s = str(src)
    if is_pg_url(s):
        import sqlalchemy as sa

        t = parse_pg_url(s)
        with read_only(t) as conn:  # a ?sql= source: one statement, read-only
            if t.table:
                return list(_pg_columns(conn, t))
            return list(conn.execute(sa.text(f"SELECT * FROM {query_from(t)} LIMIT 0")).keys())
    if is_store(s):
        return parquet_columns(s)
    p = Path(s)
    if not p.is_file():
        raise InputFileError(f"{p}: file not found")
    if p.name.lower().endswith((".csv", ".csv.gz")):
        return list(pd.read_csv(p, nrows=0).columns)
    return []
