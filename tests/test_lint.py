"""The code passes the lint and the type check configured in pyproject.toml
(ruff: pyflakes, pycodestyle, bugbear, import order; mypy on the package and
the CLI), so CI fails on an unused import, an undefined name or a wrong type
as it does on a failing test. `.ci/run` also runs both before the tests, so a
failure there is reported first and whole."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    r = subprocess.run([*cmd, "check", "--output-format", "concise", "hotspot", "cli.py", "tests", "benchmarks"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_is_clean():
    r = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr
