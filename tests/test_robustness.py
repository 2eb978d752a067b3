"""Issue 21, the robustness half: intake that never crashes on a date, a
column name or a byte; every CSV through the one formula-safe writer; output
files that are whole or absent; output folders that two runs cannot
interleave. The PostGIS half (transactions, locks, passwords, ``?sql=``) is in
tests/test_store_safety.py.

Inputs are a few rows of the Barnet police.uk file, edited in place."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from hotspot.intake import read_incidents

ROOT = Path(__file__).resolve().parents[1]
BARNET = "crime/barnet_burglary_police_uk_2013-12_2025-02.csv"


def police_rows(shared_data: Path, n: int = 6) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``n`` rows of the Barnet police.uk file."""
    with open(shared_data / BARNET, newline="", encoding="utf-8") as f:
        rows = [r for _, r in zip(range(n + 1), csv.reader(f))]
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_out_of_range_months_are_rejected_rows_not_a_crash(tmp_path, shared_data):
    header, rows = police_rows(shared_data)
    m = header.index("Month")
    rows[0][m], rows[1][m] = "9999-12", "1066-10"
    path = write_csv(tmp_path / "dates.csv", header, rows)
    res = read_incidents(path)
    assert (res.rows, res.accepted, res.rejected) == (6, 4, 2)
    rej = res.rejects.set_index("source_row")
    assert rej.loc[1, "reason"] == "future" and "9999-12" in rej.loc[1, "detail"]
    assert rej.loc[2, "reason"] == "before earliest date" and "1066-10" in rej.loc[2, "detail"]
    assert set(rej["column"]) == {"Month"}
    r = cli("validate", str(path), "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert json.loads(r.stdout)["reasons"] == {"future": 1, "before earliest date": 1}


def test_out_of_range_dates_in_a_records_csv(tmp_path):
    rows = [[f"r{i}", f"2023-0{i + 1}-0{i + 1}", str(530000 + 10 * i), str(180000 + 10 * i)] for i in range(6)]
    rows[0][1], rows[1][1] = "9999-12-31", "1066-10-14 09:00"
    path = write_csv(tmp_path / "records.csv", ["id", "date", "x", "y"], rows)
    res = read_incidents(path, crs="EPSG:27700", crime_types="all")
    assert (res.accepted, res.rejected) == (4, 2)
    assert sorted(res.rejects["reason"]) == ["before earliest date", "future"]


def test_validate_rejects_csv_is_formula_safe(tmp_path, shared_data):
    header, rows = police_rows(shared_data)
    rows[0][header.index("Location")] = '=HYPERLINK("http://evil.example","click")'
    rows[0][header.index("Month")] = "2023-13"  # rejected: lands in --rejects
    path = write_csv(tmp_path / "bad.csv", header, rows)
    out = tmp_path / "rejects.csv"
    r = cli("validate", str(path), "--rejects", str(out), "--json")
    assert r.returncode == 0, r.stderr
    back = pd.read_csv(out, dtype=str)
    assert list(back["Location"]) == ["'=HYPERLINK(\"http://evil.example\",\"click\")"]
    assert back["reason"].iloc[0] == "unparsable date"
