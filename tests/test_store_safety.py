"""Issue 21, PostGIS loads that cannot duplicate or half-write, passwords
that are never shown or stored, ``?sql=`` reads that cannot write, and the
load's failures as one line naming the table. Against the real throwaway
server of tests/pg.py (a missing server fails, never skips).

Inputs: a few hundred Barnet rows of the police.uk file (fast to load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from hotspot import stores
from hotspot._errors import StoreError
from hotspot.intake import read_incidents
from hotspot.io import write as io_write
from hotspot.stores import load_incidents, parse_pg_url

ROOT = Path(__file__).resolve().parents[1]
BARNET = "crime/barnet_burglary_police_uk_2013-12_2025-02.csv"
SECRET = "s3cr@t-Pw"  # a raw '@' inside


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory, shared_data) -> Path:
    """400 Barnet rows (and 3 broken ones, for a rejects table)."""
    df = pd.read_csv(shared_data / BARNET, dtype=str, keep_default_na=False, nrows=400)
    df.loc[df.index[:3], "Month"] = "2023-13"
    path = tmp_path_factory.mktemp("safety") / "small.csv"
    df.to_csv(path, index=False)
    return path


def sql(url: str, q: str) -> list:
    import sqlalchemy as sa

    with stores.engine(parse_pg_url(url, need="none")).begin() as c:
        res = c.execute(sa.text(q))
        return res.fetchall() if res.returns_rows else []


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def with_password(pg_url: str, how: str) -> str:
    """``pg_url`` with SECRET as a password: in the URL (raw '@') or as ?password= (the test server trusts)."""
    if how == "url":
        return pg_url.replace("postgres@", f"postgres:{SECRET}@", 1)
    return pg_url + f"?password={SECRET}"


def add_query(url: str, q: str) -> str:
    return url + ("&" if "?" in url else "?") + q


# --------------------------------------------------------------------------- run identity, transactions, locks


def test_same_file_by_another_path_replaces_not_duplicates(pg_url, small_csv):
    url = pg_url + "?table=ident"
    rel = os.path.relpath(small_csv, small_csv.parent.parent)
    for args, cwd in (([str(small_csv)], ROOT), ([f"./{rel}"], small_csv.parent.parent)):
        r = cli("load", *args, "--to", url, "--json", cwd=cwd)
        assert r.returncode == 0, r.stderr
    accepted = json.loads(r.stdout)["accepted"]
    assert sql(url, "SELECT count(*), count(DISTINCT run_id) FROM ident")[0] == (accepted, 1)
    params = json.loads(sql(url, "SELECT run_params FROM ident LIMIT 1")[0][0])
    assert params["sources"] == [str(small_csv.resolve())] and len(params["inputs"][0]["sha256"]) == 64
    # a copy under another name is the same data: the same run
    copy = small_csv.parent / "copy.csv"
    copy.write_bytes(small_csv.read_bytes())
    assert cli("load", str(copy), "--to", url).returncode == 0
    assert sql(url, "SELECT count(*) FROM ident")[0][0] == accepted


def test_incidents_and_rejects_in_one_transaction(pg_url, small_csv, monkeypatch):
    url = pg_url + "?table=onetx"
    res = read_incidents(small_csv)
    assert res.rejected >= 3
    load_incidents(res, url, run_id="r1")
    before = sql(url, "SELECT count(*) FROM onetx")[0][0], sql(url, "SELECT count(*) FROM onetx_rejects")[0][0]
    assert before == (res.accepted, res.rejected)
    real = io_write._copy_rows
    calls = []

    def fail_on_rejects(conn, t, df):
        calls.append(t.table)
        if t.table.endswith("_rejects"):
            raise OSError("simulated failure after the incidents' COPY")
        real(conn, t, df)

    monkeypatch.setattr(io_write, "_copy_rows", fail_on_rejects)
    with pytest.raises(StoreError, match="onetx.*nothing committed"):
        load_incidents(res, url, run_id="r1")
    assert calls == ["onetx", "onetx_rejects"]
    after = sql(url, "SELECT count(*) FROM onetx")[0][0], sql(url, "SELECT count(*) FROM onetx_rejects")[0][0]
    assert after == before  # the incidents' DELETE and COPY rolled back with the rejects'


_LOADER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from hotspot import stores
    from hotspot.io import write as io_write
    from hotspot.intake import read_incidents
    src, url, go, mode = sys.argv[1:5]
    res = read_incidents(src)
    real = io_write._copy_rows
    def copy(conn, t, df):
        real(conn, t, df)
        if mode == "hang" and t.table.endswith("_rejects"):
            print("copied", flush=True)
            time.sleep(120)  # killed here: everything written, nothing committed
        if mode == "race":
            time.sleep(0.5)  # widen the window between the DELETE and the commit
    io_write._copy_rows = copy  # where load_incidents looks it up
    while not Path(go).exists():
        time.sleep(0.01)
    print(stores.load_incidents(res, url, params={"inputs": [src]}), flush=True)
""")


def _loader(small_csv, url, go, mode):
    return subprocess.Popen([sys.executable, "-c", _LOADER, str(small_csv), url, str(go), mode], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_two_concurrent_loads_of_one_run_leave_one_copy(pg_url, small_csv, tmp_path):
    res = read_incidents(small_csv)
    n = res.accepted
    for table in ("race", "race_new"):  # into a table holding another run, and into a new one
        url = pg_url + f"?table={table}"
        if table == "race":
            load_incidents(res, url, run_id="another run")
        go = tmp_path / f"go_{table}"
        procs = [_loader(small_csv, url, go, "race") for _ in range(2)]
        time.sleep(0.2)
        go.touch()  # both start writing at once
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1][-800:] for o in outs]
        assert sql(url, f"SELECT count(*), count(DISTINCT incident_id), count(DISTINCT run_id) FROM {table} "
                        "WHERE run_id <> 'another run'")[0] == (n, n, 1)
        assert sql(url, f"SELECT count(*) FROM {table}_rejects WHERE run_id <> 'another run'")[0][0] == res.rejected


def test_a_killed_load_leaves_the_tables_as_they_were(pg_url, small_csv, tmp_path):
    url = pg_url + "?table=killed"
    res = read_incidents(small_csv)
    load_incidents(res, url, params={"inputs": [str(small_csv)]})  # the same run id as the loader's
    sql(url, "UPDATE killed SET location_text = 'before' ")
    go = tmp_path / "go"
    go.touch()
    p = _loader(small_csv, url, go, "hang")
    assert p.stdout.readline().strip() == "copied", p.stderr.read()[-800:]
    p.kill()  # SIGKILL after both COPYs, before the commit
    p.communicate(timeout=30)
    deadline = time.time() + 20  # the server notices the dead client and rolls back
    while sql(url, "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'")[0][0]:
        assert time.time() < deadline
        time.sleep(0.1)
    assert sql(url, "SELECT count(*), min(location_text), max(location_text) FROM killed")[0] == \
        (res.accepted, "before", "before")
    assert sql(url, "SELECT count(*) FROM killed_rejects")[0][0] == res.rejected


def test_database_without_postgis_says_create_extension(pg_url, small_csv):
    import psycopg

    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS no_postgis")
        c.execute("CREATE DATABASE no_postgis")
    url = pg_url.rsplit("/", 1)[0] + "/no_postgis?table=x"
    r = cli("load", str(small_csv), "--to", url)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "run CREATE EXTENSION postgis" in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize("how", ["url", "query"])
def test_password_never_printed_or_stored(pg_url, small_csv, how):
    secret_url = with_password(pg_url, how)
    table = f"pw_{how}"
    # load from a file, then read back through a URL holding the password
    r = cli("load", str(small_csv), "--to", add_query(secret_url, f"table={table}"), "--json", "-v")
    assert r.returncode == 0, r.stderr
    assert SECRET not in r.stdout + r.stderr
    src = add_query(secret_url, f"table={table}")
    r = cli("validate", src, "--json", "-vv")  # JSON and debug logs
    assert r.returncode == 0, r.stderr
    assert SECRET not in r.stdout + r.stderr and "***" in r.stdout
    # a load whose input is the URL stores its parameters per row: no password there
    r = cli("load", src, "--to", add_query(secret_url, f"table={table}_copy"))
    assert r.returncode == 0, r.stderr
    params = sql(pg_url, f"SELECT DISTINCT run_params FROM {table}_copy")
    assert len(params) == 1 and SECRET not in params[0][0] and "***" in params[0][0]
    # an error (a missing table) names the URL without the password
    r = cli("validate", add_query(secret_url, "table=nope"))
    assert r.returncode == 2 and SECRET not in r.stderr and "***" in r.stderr, r.stderr
    # pages name their sources through report.data_source (the performance page's "Source:" line)
    from hotspot.report import data_source

    res = read_incidents(src)
    named = data_source(res.detected)
    assert SECRET not in named and table in named, named


def test_parse_pg_url_keeps_a_raw_at_in_the_password():
    t = parse_pg_url(f"postgresql://me:{SECRET}@db.example:5433/crime?table=t&sslmode=require")
    assert SECRET not in t.shown + repr(t) and t.shown == "postgresql://me:***@db.example:5433/crime?table=t&sslmode=require"
    import sqlalchemy as sa

    u = sa.engine.make_url(t.url)
    assert (u.username, u.password, u.host, u.port, u.database) == ("me", SECRET, "db.example", 5433, "crime")
    assert t.scrub(f"failed for {SECRET}") == "failed for ***"
    q = parse_pg_url(f"postgresql://me@db/crime?password={SECRET}&table=t")
    assert SECRET not in q.shown and sa.engine.make_url(q.url).password == SECRET


# --------------------------------------------------------------------------- ?sql=


def test_sql_reads_are_one_statement_and_read_only(pg_url):
    sql(pg_url, "CREATE TABLE IF NOT EXISTS victim (x int)")
    sql(pg_url, "INSERT INTO victim VALUES (1)")
    for q in ("SELECT 1 AS x; DROP TABLE victim",
              "SELECT * FROM victim) AS q; DROP TABLE victim; SELECT * FROM (SELECT 1",
              "SELECT 1 AS x; /* */ DELETE FROM victim"):
        r = cli("validate", add_query(pg_url, "sql=" + q.replace(" ", "%20").replace(";", "%3B")))
        assert r.returncode == 2 and "one SELECT statement" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert sql(pg_url, "SELECT count(*) FROM victim")[0][0] >= 1
    # one statement that writes (a function with a side effect) is refused by the read-only transaction
    sql(pg_url, "CREATE SEQUENCE IF NOT EXISTS victim_seq")
    with pytest.raises(StoreError, match="read-only transaction"):
        stores.read_postgis_raw(pg_url + "?sql=SELECT nextval('victim_seq') AS x")
    assert sql(pg_url, "SELECT is_called FROM victim_seq")[0][0] is False
    # a semicolon in a string or a trailing one is fine
    assert stores.one_statement("SELECT ';' AS s;") == "SELECT ';' AS s"
    assert stores.one_statement("SELECT 1 -- trailing comment") == "SELECT 1 -- trailing comment"


# --------------------------------------------------------------------------- store parity

#: Rows of the London file with Met-recorded burglaries located in NW England
#: (Wigan, Sefton, Wirral, Blackpool, Lancaster, Bolton, Liverpool): genuine
#: coordinates that the "swapped" test rejected once read as BNG metres.
FAR_IDS = ("1800823e753a0f23", "39690eec285bc4ea", "81248d2bdb941f79", "afe700c14ab91da8", "e3950fa0fc1f5994",
           "a38243f1945732a9", "f8268dd7460f375b", "5948ea29c028687b", "f99e87e226c90732")


def test_parquet_and_postgis_accept_the_same_rows(pg_url, shared_data, tmp_path):
    import pyarrow.parquet as pq

    london = shared_data / "crime/london_burglary_police_uk_2013-12_2025-02.parquet"
    df = pq.read_table(london, filters=[("LSOA name", ">=", "Barnet 001"), ("LSOA name", "<", "Barnet 003")]).to_pandas()
    far = pq.read_table(london, filters=[("Crime ID", "in", list(FAR_IDS))]).to_pandas()
    assert len(far) == 9 and len(df) > 300
    path = tmp_path / "mix.parquet"
    pd.concat([df, far]).to_parquet(path, index=False)
    a = read_incidents(path)
    assert set(FAR_IDS) <= set(a.incidents["incident_id"])
    url = pg_url + "?table=parity"
    load_incidents(a, url, run_id="parity")
    b = read_incidents(url)
    assert (b.rows, b.accepted, b.rejected) == (a.accepted, a.accepted, 0), b.rejects[["reason", "detail"]].head()
    # a true exchange of a local point is still caught in metres
    x = b.incidents.geometry.x.to_numpy()
    y = b.incidents.geometry.y.to_numpy()
    rows = pd.DataFrame({"id": [f"r{i}" for i in range(len(x))], "date": "2024-01-15", "x": x, "y": y})
    rows.loc[0, ["x", "y"]] = y[0], x[0]
    rows.to_csv(tmp_path / "bng.csv", index=False)
    c = read_incidents(tmp_path / "bng.csv", crs="EPSG:27700", crime_types="all")
    assert list(c.rejects["reason"]) == ["swapped"] and c.accepted == len(x) - 1


def test_load_area_uses_the_same_membership_as_every_read(pg_url, barnet_csv, barnet, boroughs_file):
    url = pg_url + "?table=barnet_area"
    r = cli("load", str(barnet_csv), "--area-file", str(boroughs_file), "--area", "Barnet", "--to", url, "--json")
    assert r.returncode == 0, r.stderr
    want = read_incidents(barnet_csv, area=barnet).accepted
    assert json.loads(r.stdout)["accepted"] == want == sql(url, "SELECT count(*) FROM barnet_area")[0][0]


# --------------------------------------------------------------------------- intake and load never crash


def test_fid_column_and_nul_byte_load_and_read_back(pg_url, small_csv, tmp_path):
    df = pd.read_csv(small_csv, dtype=str, keep_default_na=False)
    df.insert(0, "fid", [f"user-{i}" for i in range(len(df))])  # the input's own column of that name
    df.loc[df.index[10], "Location"] = "On or near \x00 Street"
    path = tmp_path / "fid_nul.csv"
    df.to_csv(path, index=False)
    res = read_incidents(path)
    rej = res.rejects.set_index("source_row")
    assert rej.loc[11, "reason"] == "NUL byte" and rej.loc[11, "column"] == "Location"
    assert res.rows == len(df) == res.accepted + res.rejected
    url = pg_url + "?table=fid_nul"
    r = cli("load", str(path), "--to", url, "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert sql(url, "SELECT count(*) FROM fid_nul")[0][0] == res.accepted
    assert sql(url, "SELECT count(*) FROM fid_nul_rejects WHERE reason = 'NUL byte'")[0][0] == 1
    back = read_incidents(url)  # rows in input order; the input's fid read like any other column
    assert back.accepted == res.accepted
    assert list(back.incidents["fid"]) == list(res.incidents["fid"])
    assert list(back.incidents["incident_id"]) == list(res.incidents["incident_id"])


def test_server_lost_mid_copy_is_one_line_naming_the_table(small_csv, monkeypatch):
    from pg import start_postgres

    server = start_postgres("lost")
    try:
        res = read_incidents(small_csv)
        real = io_write._copy_rows

        def copy_then_stop(conn, t, df):
            real(conn, t, df)
            server.stop()  # the server goes away mid-load

        monkeypatch.setattr(io_write, "_copy_rows", copy_then_stop)
        with pytest.raises(StoreError) as info:
            load_incidents(res, server.url + "?table=lost_table")
    finally:
        server.stop()
    msg = str(info.value)
    assert "'lost_table'" in msg and "nothing committed" in msg and "\n" not in msg
