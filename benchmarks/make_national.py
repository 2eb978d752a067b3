"""A synthetic national-size police.uk file: k copies of London's real burglaries.

Run: python benchmarks/make_national.py --k 4 [--out DIR] [--seed 0]

Copy 0 is London itself, unchanged. Copy c >= 1 is London's real incidents
(every row: months, outcomes, locations, repeats) moved by a fixed offset in
British National Grid metres onto its own patch of the grid, so the copies
never overlap, with its own names and codes: borough ``Barnet`` becomes
``F02 Barnet`` (so its LSOAs read ``F02 Barnet 001A`` and the LSOA-name
prefix assignment finds them), code ``E09000003`` becomes ``E09100003`` (the
fourth character, 0 in every real E01/E09/W01 code, replaced by the copy's
digit: still 9 characters, police.uk-shaped, and matching no real code),
``Falls within`` names the synthetic force, and every Crime ID gets the copy's
digit in front (unique across copies; the source's own repeated ids, rows
where only the outcome differs, stay repeated within a copy, as in the
source). The spatial and temporal patterns are London's, real; only their
place on the map and their names are synthetic.

Written (never into the repository; default under the system temp folder):
``national_k{k}.parquet`` (k x the source rows, police.uk columns, each copy
sorted as the source is, by LSOA code then month), ``boroughs_k{k}.geojson``
(33 k areas, the ``london_boroughs.geojson`` columns), ``lsoa_k{k}.geojson``
and ``households_k{k}.csv`` (the LSOA and Census households layers the league
and the campaign need, renamed the same way), and ``national_k{k}.json``
(what was written, last). The seed moves each copy by a
few kilometres inside its gap (so the copies do not sit on an exact lattice)
and nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Copy index -> the digit written into codes and ids (base 36: 0-9, A-Z).
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Gap between neighbouring copies' bounding boxes before jitter, metres.
GAP_M = 10_000.0
#: Copies per row of the grid (rows go north, columns west of London).
COLUMNS = 4
BNG = "EPSG:27700"


@dataclass
class Sources:
    """The real inputs one copy is made from."""

    incidents: Path
    boroughs: Path | None = None
    lsoas: Path | None = None
    households: Path | None = None

    @classmethod
    def reference(cls, data: Path) -> "Sources":
        return cls(data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet",
                   data / "boundaries" / "london_boroughs.geojson", data / "boundaries" / "london_lsoa2011.geojson",
                   data / "demographics" / "lsoa2011_census2011_population_households.csv")


def copy_prefix(c: int) -> str:
    """Name prefix of copy ``c`` (``""`` for London itself, else ``"F02 "``...)."""
    return "" if c == 0 else f"F{c + 1:02d} "


def copy_code(codes, c: int):
    """ONS-style codes of copy ``c``: the fourth character (0 in every real
    E01/E09/W01 code) replaced by the copy's digit. Accepts a pyarrow array or
    a pandas Series; missing codes stay missing."""
    if c == 0:
        return codes
    d = DIGITS[c]
    if hasattr(codes, "str"):  # pandas
        bad = codes.notna() & (codes.astype(str).str[3] != "0")
        if bad.any():
            raise ValueError(f"code {codes[bad].iloc[0]!r} has no 0 in its fourth character: cannot mark a copy")
        return codes.where(codes.isna(), codes.astype(str).str[:3] + d + codes.astype(str).str[4:])
    import pyarrow.compute as pc

    fourth = pc.utf8_slice_codeunits(codes, 3, 4)
    if pc.any(pc.not_equal(fourth, "0")).as_py():
        raise ValueError("a code has no 0 in its fourth character: cannot mark a copy")
    return pc.utf8_replace_slice(codes, 3, 4, d)


def offsets(k: int, extent: tuple[float, float, float, float], seed: int) -> np.ndarray:
    """BNG offsets (dx, dy) in metres of copies 0..k-1.

    Copies sit on a grid of cells ``extent + GAP_M`` wide and high (COLUMNS
    to a row, going west of London, rows going north), each moved by a
    seeded jitter of at most ``GAP_M / 4`` in x and y: neighbouring boxes stay
    at least ``GAP_M / 2`` apart. Copy 0 is not moved.
    """
    if not 1 <= k <= len(DIGITS):
        raise ValueError(f"k={k}: give 1..{len(DIGITS)} copies")
    x0, y0, x1, y1 = extent
    sx, sy = (x1 - x0) + GAP_M, (y1 - y0) + GAP_M
    rng = np.random.default_rng(seed)
    out = np.zeros((k, 2))
    for c in range(1, k):
        jx, jy = rng.uniform(-GAP_M / 4, GAP_M / 4, size=2)
        out[c] = (-(c % COLUMNS) * sx + jx, (c // COLUMNS) * sy + jy)
    return out


def _to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", BNG, always_xy=True).transform(lon, lat)


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    return Transformer.from_crs(BNG, "EPSG:4326", always_xy=True).transform(x, y)


def source_extent(src: Sources) -> tuple[float, float, float, float]:
    """BNG box (metres) of the copied area: the borough and LSOA layers'
    bounds, or, with neither, every located incident's.

    The layers, not the points, set the box because a police.uk file holds a
    few strays geocoded far away (London's: 139 rows up to Leeds and County
    Durham); they move with their copy, like every row, and may land in
    another copy's patch, as they lie in another force's area in the source.
    """
    import geopandas as gpd

    boxes = [gpd.read_file(p).to_crs(BNG).total_bounds for p in (src.boroughs, src.lsoas) if p is not None]
    if not boxes:
        x, y = _located_bng(src.incidents)
        boxes = [np.array([x.min(), y.min(), x.max(), y.max()])]
    b = np.array(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _located_bng(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["Longitude", "Latitude"])
    lon = t["Longitude"].to_numpy(zero_copy_only=False).astype(float)
    lat = t["Latitude"].to_numpy(zero_copy_only=False).astype(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    return _to_bng(lon[ok], lat[ok])


def _copy_incidents(table, c: int, dx: float, dy: float):
    """Copy ``c`` of the police.uk table (pyarrow), moved by (dx, dy) metres."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if c == 0:
        return table
    lon = table["Longitude"].to_numpy(zero_copy_only=False).astype(float)
    lat = table["Latitude"].to_numpy(zero_copy_only=False).astype(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = _to_bng(lon[ok], lat[ok])
    nlon, nlat = lon.copy(), lat.copy()
    # 6 decimals as police.uk writes them (~0.1 m).
    nlon[ok], nlat[ok] = (np.round(v, 6) for v in _to_lonlat(x + dx, y + dy))
    d, prefix = DIGITS[c], copy_prefix(c)
    force = f"Synthetic Force {c + 1:02d}"
    cols = {}
    for name in table.column_names:
        col = table[name]
        if name == "Crime ID":
            col = pc.binary_join_element_wise(pa.scalar(d, col.type), col, pa.scalar("", col.type))
        elif name in ("Reported by", "Falls within"):
            col = pa.array([force] * len(table), col.type)
        elif name == "Longitude":
            col = pa.array(np.where(ok, nlon, np.nan), col.type, mask=~ok)
        elif name == "Latitude":
            col = pa.array(np.where(ok, nlat, np.nan), col.type, mask=~ok)
        elif name == "LSOA code":
            col = copy_code(col, c)
        elif name == "LSOA name":
            col = pc.binary_join_element_wise(pa.scalar(prefix, col.type), col, pa.scalar("", col.type))
        cols[name] = col
    return pa.table(cols, schema=table.schema)


def _copy_layer(gdf, c: int, dx: float, dy: float, names: tuple[str, ...], codes: tuple[str, ...]):
    from shapely import affinity

    if c == 0:
        return gdf
    out = gdf.to_crs(BNG).copy()
    out["geometry"] = [affinity.translate(g, dx, dy) for g in out.geometry]
    for n in names:
        if n in out:
            out[n] = copy_prefix(c) + out[n].astype(str)
    for n in codes:
        if n in out:
            out[n] = copy_code(out[n], c)
    return out.to_crs(gdf.crs)


def make_national(k: int, out: str | Path, *, src: Sources, seed: int = 0, row_group: int = 65_536) -> dict:
    """Write the k-copy file and its layers into ``out``.

    Parameters
    ----------
    k : int
        Copies of the source (1..36); copy 0 is the source itself.
    out : path
        Output folder (created).
    src : Sources
        The real inputs (a police.uk Parquet file, optional borough, LSOA
        and households layers).
    seed : int
        Seed of the copies' jitter (at most ``GAP_M / 4`` = 2,500 m each way).
    row_group : int
        Parquet row-group size, rows (the source's is ~62 k).

    Returns
    -------
    dict
        Paths written, ``rows`` (= k x the source rows), ``source_rows``,
        ``offsets_m`` (dx, dy per copy, metres), ``extent_m`` (the copied
        BNG box) and ``strays`` (located source rows outside that box).
    """
    import geopandas as gpd
    import pandas as pd
    import pyarrow.parquet as pq

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    extent = source_extent(src)
    offs = offsets(k, extent, seed)
    table = pq.read_table(src.incidents)
    x, y = _located_bng(src.incidents)
    strays = int(((x < extent[0]) | (x > extent[2]) | (y < extent[1]) | (y > extent[3])).sum())
    paths: dict[str, str] = {}
    dest = out / f"national_k{k}.parquet"
    rows = 0
    # One copy at a time: the writer's peak is one copy, not k.
    with pq.ParquetWriter(dest, table.schema, compression="zstd") as w:
        for c in range(k):
            part = _copy_incidents(table, c, *offs[c])
            w.write_table(part, row_group_size=row_group)
            rows += part.num_rows
    paths["incidents"] = str(dest)
    for key, path, names, codes in (("boroughs", src.boroughs, ("borough_name",), ("borough_code",)),
                                    ("lsoas", src.lsoas, ("LSOA11NM", "lad_name"), ("LSOA11CD", "lad_code"))):
        if path is None:
            continue
        gdf = gpd.read_file(path)
        parts = [_copy_layer(gdf, c, *offs[c], names, codes) for c in range(k)]
        dest = out / f"{key}_k{k}.geojson"
        pd.concat(parts, ignore_index=True).pipe(gpd.GeoDataFrame, crs=gdf.crs).to_file(dest, driver="GeoJSON")
        paths[key] = str(dest)
    if src.households is not None:
        hh = pd.read_csv(src.households)
        parts = []
        for c in range(k):
            p = hh.copy()
            for n in ("lad_name", "lsoa_name", "msoa_name"):
                if n in p and c:
                    p[n] = copy_prefix(c) + p[n].astype(str)
            for n in ("lad_code", "lsoa_code", "msoa_code"):
                if n in p:
                    p[n] = copy_code(p[n], c)
            parts.append(p)
        dest = out / f"households_k{k}.csv"
        pd.concat(parts, ignore_index=True).to_csv(dest, index=False)
        paths["households"] = str(dest)
    meta = {**paths, "rows": rows, "source_rows": table.num_rows, "k": k, "seed": seed,
            "offsets_m": [[round(float(a), 1), round(float(b), 1)] for a, b in offs],
            "extent_m": [round(v, 1) for v in extent], "strays": strays}
    # Written last: its presence says the set is complete (bench_national reuses it).
    (out / f"national_k{k}.json").write_text(json.dumps(meta))
    return meta


def default_out() -> Path:
    return Path(tempfile.gettempdir()) / "hotspot-national"


def main() -> None:
    from hotspot.settings import shared_data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, action="append", help="copies of London (repeatable; default 1, 2, 4)")
    ap.add_argument("--out", default=str(default_out()), help="output folder (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        sys.exit("reference data not found (../shared/data or $HOTSPOT_DATA_DIR)")
    out = Path(args.out).resolve()
    if out == ROOT or ROOT in out.parents:
        sys.exit(f"--out {out}: inside the repository; give a folder outside it (generated data are never committed)")
    for k in args.k or [1, 2, 4]:
        print(json.dumps(make_national(k, out, src=Sources.reference(data), seed=args.seed)), flush=True)


if __name__ == "__main__":
    main()

__all__ = ["Sources", "make_national", "offsets", "copy_code", "copy_prefix", "source_extent"]
