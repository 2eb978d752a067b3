"""A throwaway PostgreSQL + PostGIS server for the store tests.

``start_postgres()`` runs ``initdb`` and ``pg_ctl`` in a fresh temporary
folder on a free port on 127.0.0.1 (trust authentication, no fsync: a test
database), creates a database with ``CREATE EXTENSION postgis`` and returns a
handle whose ``stop()`` shuts the server down and removes the folder.
PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user (``runuser``). A missing server or PostGIS raises
:class:`PostgresMissing` with what to install; the fixture turns it into a
test failure, never a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresMissing(RuntimeError):
    pass


def _bin_dir() -> Path:
    found = shutil.which("initdb") or shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                  if Path(p).parent.name.isdigit() else 0)
    for d in reversed(dirs):
        if (Path(d) / "initdb").is_file():
            return Path(d)
    raise PostgresMissing("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql "
                          "and postgresql-15-postgis-3 (bash .ci/install does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Postgres:
    url: str
    root: Path
    bin: Path
    as_user: list[str]

    def stop(self) -> None:
        subprocess.run(self.as_user + [str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                                       "-w", "stop"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(dbname: str = "hotspot_test") -> Postgres:
    """Start a private PostgreSQL with PostGIS; see the module docstring."""
    bindir = _bin_dir()
    version = bindir.parent.name
    ctl = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
    if version.isdigit() and not ctl.is_file():
        raise PostgresMissing(f"PostGIS for PostgreSQL {version} not installed ({ctl} missing): "
                              f"apt-get install postgresql-{version}-postgis-3 (bash .ci/install does)")
    root = Path(tempfile.mkdtemp(prefix="hotspot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses root: run the server as the postgres system user.
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = dict(capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    r = subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
                                  "-E", "UTF8", "--no-sync"], **run)
    if r.returncode:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresMissing(f"initdb failed: {r.stderr.strip()[-500:]}")
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
           "-c full_page_writes=off -c max_connections=50"
    r = subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(root / "data"), "-o", opts, "-l",
                                  str(root / "server.log"), "-w", "-t", "60", "start"], **run)
    if r.returncode:
        log = (root / "server.log").read_text() if (root / "server.log").is_file() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresMissing(f"pg_ctl start failed: {r.stderr.strip()[-300:]} {log[-500:]}")
    pg = Postgres(f"postgresql://postgres@127.0.0.1:{port}/{dbname}", root, bindir, as_user)
    try:
        import psycopg

        deadline = time.time() + 30
        while True:
            try:
                with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as c:
                    c.execute(f'CREATE DATABASE "{dbname}"')
                break
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        with psycopg.connect(pg.url, autocommit=True) as c:
            c.execute("CREATE EXTENSION postgis")
    except Exception as exc:
        pg.stop()
        raise PostgresMissing(f"PostgreSQL started but PostGIS could not be enabled: {exc}") from exc
    return pg
