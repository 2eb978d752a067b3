"""Data stores: reading one borough with push-down vs reading everything.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_stores.py [--area Barnet] [--no-postgis]

Parquet (../shared/data/crime/london_burglary_police_uk_2013-12_2025-02.parquet,
743,520 rows, 12 row groups), each variant in a fresh process (spawn) so the
peak resident memory is its own (peak RSS minus the RSS after imports):

* reference: ``pandas.read_parquet`` of the whole file, then filter by
  LSOA-name prefix;
* ``read_parquet_raw(lsoa_prefix=...)``: row-group statistics + Arrow filter;
* the same plus ``months`` (the 60 months the league reads);
* ``read_incidents`` of the borough (push-down) vs of the whole file.

PostGIS (a throwaway server from tests/pg.py): load the whole London file
(``load_incidents``, COPY), then read one borough with the lon/lat box pushed
down (GIST index) vs a full table scan filtered in pandas, and the LSOA-name
push-down. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PARQUET = "crime/london_burglary_police_uk_2013-12_2025-02.parquet"
PREFIX = r"\s+\d{3}[A-Z]$"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _variant(name: str, path: str, area: str, layer: str, q) -> None:
    import pandas as pd  # noqa: F401 - imports before the baseline

    from hotspot.areas import load_area
    from hotspot.intake import read_incidents
    from hotspot.stores import StoreSource, read_parquet_raw

    a = load_area(layer, area) if "area" in name else None
    __import__("pyarrow.parquet")  # import cost before the baseline

    base = _rss_mb()
    t = time.perf_counter()
    if name == "pandas whole file + filter":
        df = pd.read_parquet(path)
        out = df[df["LSOA name"].fillna("").str.match("^" + area + PREFIX)]
    elif name == "read_parquet_raw(lsoa_prefix)":
        out, _ = read_parquet_raw(path, lsoa_prefix=area)
    elif name == "read_parquet_raw(lsoa_prefix, 60 months)":
        out, _ = read_parquet_raw(path, lsoa_prefix=area, months=("2020-01", "2024-12"))
    elif name == "read_incidents(whole file), LSOA filter":
        res = read_incidents(path, crime_types="Burglary")
        inc = res.incidents
        out = inc[inc["LSOA name"].str.match("^" + area + PREFIX)]
    elif name == "read_incidents(StoreSource lsoa_prefix)":
        out = read_incidents(StoreSource(path, lsoa_prefix=area), crime_types="Burglary").incidents
    elif name == "read_incidents(no push-down: world box), area polygon":
        # a box given up front is kept, so this reads every row with coordinates
        out = read_incidents(StoreSource(path, bbox=(-180, -90, 180, 90)), crime_types="Burglary", area=a).incidents
    elif name == "read_incidents(box push-down), area polygon":
        out = read_incidents(path, crime_types="Burglary", area=a).incidents
    else:
        raise ValueError(name)
    q.put((time.perf_counter() - t, _rss_mb() - base, len(out)))


def run_variant(name, path, area, layer, repeat):
    ctx = mp.get_context("spawn")
    times, mems, n = [], [], None
    for _ in range(repeat):
        q = ctx.Queue()
        p = ctx.Process(target=_variant, args=(name, path, area, layer, q))
        p.start()
        s, m, n = q.get()
        p.join()
        times.append(s)
        mems.append(m)
    return statistics.median(times), max(mems), n


def bench_parquet(data: Path, area: str, repeat: int) -> None:
    path, layer = str(data / PARQUET), str(data / "boundaries" / "london_boroughs.geojson")
    print(f"\nParquet: one borough ({area}) from {PARQUET}; median of {repeat} fresh processes")
    print(f"{'variant':52s} {'seconds':>8s} {'peak MB':>8s} {'rows':>8s} {'time ratio':>10s} {'mem ratio':>9s}")
    pairs = [("pandas whole file + filter", "read_parquet_raw(lsoa_prefix)"),
             ("pandas whole file + filter", "read_parquet_raw(lsoa_prefix, 60 months)"),
             ("read_incidents(whole file), LSOA filter", "read_incidents(StoreSource lsoa_prefix)"),
             ("read_incidents(no push-down: world box), area polygon", "read_incidents(box push-down), area polygon")]
    cache = {}
    for ref, new in pairs:
        for v in (ref, new):
            if v not in cache:
                cache[v] = run_variant(v, path, area, layer, repeat)
        (ts, ms, nr), (tn, mn, nn) = cache[ref], cache[new]
        print(f"{ref:52s} {ts:8.2f} {ms:8.0f} {nr:8,d}")
        print(f"{new:52s} {tn:8.2f} {mn:8.0f} {nn:8,d} {ts / tn:9.1f}x {ms / max(mn, 1):8.1f}x")


def bench_postgis(data: Path, area: str, repeat: int) -> None:
    import pandas as pd
    import sqlalchemy as sa
    from pg import start_postgres

    from hotspot.areas import load_area
    from hotspot.intake import read_incidents
    from hotspot.stores import area_bbox_lonlat, engine, load_incidents, parse_pg_url, read_postgis_raw

    server = start_postgres("bench")
    try:
        url = server.url + "?table=incidents"
        t = time.perf_counter()
        res = read_incidents(data / PARQUET, crime_types="Burglary")
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        load_incidents(res, url, params={"bench": 1})
        t_load = time.perf_counter() - t
        print(f"\nPostGIS: validate London file {t_read:.1f} s; load {res.accepted:,} incidents (COPY, indexes) "
              f"{t_load:.1f} s = {res.accepted / t_load:,.0f} rows/s")
        a = load_area(data / "boundaries" / "london_boroughs.geojson", area)
        box = area_bbox_lonlat(a)

        def med(fn):
            out = []
            for _ in range(repeat):
                s = time.perf_counter()
                n = fn()
                out.append(time.perf_counter() - s)
            return statistics.median(out), n

        def full_scan():
            df, _ = read_postgis_raw(url)
            lon = pd.to_numeric(df["Longitude"])
            lat = pd.to_numeric(df["Latitude"])
            return int(((lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])).sum())

        t_full, n_full = med(full_scan)
        t_box, n_box = med(lambda: len(read_postgis_raw(url, bbox=box)[0]))
        t_lsoa, n_lsoa = med(lambda: len(read_postgis_raw(url, lsoa_prefix=area, months=("2020-01", "2024-12"))[0]))
        print(f"{'full table scan, filter in pandas':52s} {t_full:8.2f} s {n_full:8,d} rows")
        print(f"{'bbox push-down (GIST)':52s} {t_box:8.2f} s {n_box:8,d} rows  {t_full / t_box:5.1f}x faster")
        print(f"{'LSOA-name + 60 months push-down':52s} {t_lsoa:8.2f} s {n_lsoa:8,d} rows  {t_full / t_lsoa:5.1f}x faster")
        with engine(parse_pg_url(url)).connect() as c:
            plan = c.execute(sa.text(
                "EXPLAIN SELECT * FROM incidents WHERE geometry && ST_Transform(ST_MakeEnvelope(:a,:b,:c,:d,4326),27700)"),
                dict(a=box[0], b=box[1], c=box[2], d=box[3])).fetchall()
        print("plan:", " | ".join(r[0].strip() for r in plan[:3]))
        bench_adbc(server.url, res, t_load, area, repeat)
    finally:
        server.stop()


def bench_adbc(base_url: str, res, t_copy: float, area: str, repeat: int) -> None:
    """ADBC (Arrow Database Connectivity) for the same load and borough read,
    when ``adbc-driver-postgresql`` is installed (optional, not a dependency)."""
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:
        print("ADBC: adbc-driver-postgresql not installed; skipped")
        return
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import shapely

    from hotspot.stores import read_postgis_raw

    inc = res.incidents
    tab = pa.Table.from_pandas(pd.DataFrame(inc.drop(columns="geometry")).assign(
        fid=np.arange(1, len(inc) + 1), geometry=shapely.to_wkb(inc.geometry.to_numpy())), preserve_index=False)
    with adbc.connect(base_url) as conn:
        t = time.perf_counter()
        with conn.cursor() as cur:
            cur.adbc_ingest("inc_adbc", tab, mode="create")
            # ADBC sends WKB as bytea: cast to a typed geometry column, then the same indexes
            cur.execute("ALTER TABLE inc_adbc ALTER COLUMN geometry TYPE geometry(Point,27700) "
                        "USING ST_SetSRID(ST_GeomFromWKB(geometry),27700)")
            cur.execute("CREATE INDEX ON inc_adbc USING GIST (geometry)")
            cur.execute('CREATE INDEX ON inc_adbc ("LSOA name" text_pattern_ops)')
            cur.execute("CREATE INDEX ON inc_adbc (occurred)")
        conn.commit()
        t_adbc = time.perf_counter() - t
        cols = '"Crime ID", "Month", "Longitude", "Latitude", "LSOA name", "Crime type", "Location"'
        q = (f"SELECT {cols}, ST_AsBinary(geometry) AS geometry FROM inc_adbc WHERE \"LSOA name\" LIKE '{area} %' "
             "AND occurred >= '2020-01-01' AND occurred < '2025-01-01'")
        ta = []
        for _ in range(repeat):
            t = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(q)
                df = cur.fetch_arrow_table().to_pandas()
            shapely.from_wkb(df.pop("geometry").to_numpy())
            ta.append(time.perf_counter() - t)
    tp = []
    for _ in range(repeat):
        t = time.perf_counter()
        read_postgis_raw(base_url + "?table=incidents", lsoa_prefix=area, months=("2020-01", "2024-12"),
                         columns=("Crime ID", "Month", "Longitude", "Latitude", "LSOA name", "Crime type", "Location"))
        tp.append(time.perf_counter() - t)
    print("\nADBC vs SQLAlchemy + psycopg 3 (hotspot.stores):")
    print(f"  load {len(inc):,} incidents with indexes: COPY {t_copy:.1f} s, ADBC ingest + cast {t_adbc:.1f} s "
          f"({t_copy / t_adbc:.1f}x)")
    print(f"  read {area}, 60 months ({len(df):,} rows): read_postgis_raw {statistics.median(tp):.3f} s, "
          f"ADBC -> Arrow {statistics.median(ta):.3f} s ({statistics.median(tp) / statistics.median(ta):.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--area", default="Barnet")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-postgis", action="store_true")
    args = ap.parse_args()
    from hotspot.settings import shared_data_dir

    data = shared_data_dir()
    if data is None or not (data / PARQUET).is_file():
        sys.exit("reference data not found (set HOTSPOT_DATA_DIR)")
    bench_parquet(data, args.area, args.repeat)
    if not args.no_postgis:
        bench_postgis(data, args.area, args.repeat)


if __name__ == "__main__":
    main()
