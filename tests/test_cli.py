"""The command line: JSON on stdout, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=600)


def test_validate_json_is_one_object(barnet_csv, boroughs_file):
    r = run("validate", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--crime-type", "Burglary", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)  # exactly one JSON document
    assert set(obj) == {"rows", "accepted", "rejected", "filtered", "reasons", "crs", "date_range"}
    assert obj["rows"] == obj["accepted"] + obj["rejected"] + obj["filtered"] == 34_775
    assert obj["crs"] == "EPSG:27700" and obj["date_range"] == ["2013-12", "2025-02"]


def test_validate_writes_rejects(tmp_path, barnet_csv):
    out = tmp_path / "rejects.csv"
    r = run("validate", barnet_csv, "--rejects", out)
    assert r.returncode == 0, r.stderr
    import pandas as pd

    rej = pd.read_csv(out)
    assert len(rej) == 412 and set(rej["reason"]) == {"duplicate id"}


@pytest.mark.parametrize("content,message", [
    (None, "file not found"),
    ("", "empty file"),
    ("Crime ID,Month,Longitude,Latitude,Crime type\n", "header only"),
])
def test_unusable_input_exits_2_with_one_line(tmp_path, content, message):
    p = tmp_path / "in.csv"
    if content is not None:
        p.write_text(content)
    r = run("validate", p, "--json")
    assert r.returncode == 2
    assert r.stdout == ""
    assert message in r.stderr and "in.csv" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_unknown_area_exits_2(barnet_csv, boroughs_file):
    r = run("validate", barnet_csv, "--area-file", boroughs_file, "--area", "Narnia")
    assert r.returncode == 2 and "no area named 'Narnia'" in r.stderr and "Traceback" not in r.stderr


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("hotspot ")
