"""The per-worker peak memory the league and the morning run report
(``hotspot._memory.peak_rss_mb``) is the worker's own, not its parent's."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Loaded from its file, not through ``import hotspot``: the package's imports
# (geopandas, pandas) would dwarf the sizes this test compares.
_CHILD = textwrap.dedent("""
    import importlib.util, json, resource, sys
    spec = importlib.util.spec_from_file_location("m", sys.argv[1])
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    start = m.peak_rss_mb()
    block = bytearray(120 * 2**20)  # touched: bytearray zero-fills
    del block
    print(json.dumps({"start": start, "after": m.peak_rss_mb(),
                      "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """)

_PARENT = textwrap.dedent("""
    import subprocess, sys
    ballast = bytearray(400 * 2**20)  # the parent is large when it starts the child
    r = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True, text=True, check=True)
    print(r.stdout)
    """)


def test_peak_is_the_process_own_not_its_parents():
    out = subprocess.run([sys.executable, "-c", _PARENT, _CHILD, str(ROOT / "hotspot" / "_memory.py")],
                         capture_output=True, text=True, check=True).stdout
    got = json.loads(out)
    # Linux carries ru_maxrss over fork and exec: the child's starts at the
    # 400 MB parent's. Its own high-water mark starts small ...
    assert got["ru_maxrss"] >= 400, got  # the trap this helper avoids (Linux)
    assert got["start"] < 150, got
    # ... and still records the child's own 120 MB after it is freed.
    assert got["after"] - got["start"] >= 110, got
