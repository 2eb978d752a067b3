"""Issue 21, the robustness half: intake that never crashes on a date, a
column name or a byte; every CSV through the one formula-safe writer; output
files that are whole or absent; output folders that two runs cannot
interleave. The PostGIS half (transactions, locks, passwords, ``?sql=``) is in
tests/test_store_safety.py.

Inputs are a few rows of the Barnet police.uk file, edited in place."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

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
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


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


# --------------------------------------------------------------------------- outputs whole or absent

#: A `hotspot run` whose map stage, once its page is written, says so and
#: waits to be stopped (SIGTERM) - the run's last stage, interrupted.
_SLOW_RUN = textwrap.dedent("""
    import sys, time
    import hotspot.pipeline as pl
    import cli
    i = [n for n, _ in pl.STAGES].index("map")
    real = pl.STAGES[i][1]
    def slow_map(run):
        real(run)
        print("written", flush=True)
        time.sleep(120)
    pl.STAGES[i] = ("map", slow_map)
    sys.exit(cli.main(sys.argv[1:]))
""")


def test_interrupted_run_leaves_previous_outputs_and_locks_out_a_second_run(tmp_path, shared_data):
    maps, reports = tmp_path / "maps", tmp_path / "reports"
    maps.mkdir()
    (maps / "barnet.html").write_text("previous run", encoding="utf-8")
    args = ["run", "--area", "Barnet", "--data", str(shared_data), "--stages", "map", "--out", str(maps),
            "--reports", str(reports), "--no-gi"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    slow = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert slow.stdout.readline().strip() == "written", slow.stderr.read()[-1000:]
        # the new page exists, but only in the run's staging: the folder still shows the previous run
        assert (maps / "barnet.html").read_text(encoding="utf-8") == "previous run"
        second = cli(*args)  # a second run into the same folders at once is refused, nothing written
        assert second.returncode == 2 and "another hotspot run" in second.stderr, second.stderr
        assert second.stderr.strip().count("\n") == 0 or "Traceback" not in second.stderr
        slow.send_signal(signal.SIGTERM)
        _, stderr = slow.communicate(timeout=60)
    finally:
        slow.kill()
    assert slow.returncode == 130 and "Traceback" not in stderr, stderr[-1000:]
    assert (maps / "barnet.html").read_text(encoding="utf-8") == "previous run"
    assert sorted(p.name for p in maps.iterdir() if not p.name.startswith(".hotspot")) == ["barnet.html"]
    assert not any(p.name.startswith(".partial") for p in tmp_path.rglob("*"))


def test_a_failed_write_keeps_the_previous_file_and_names_it(tmp_path, monkeypatch):
    from hotspot._errors import InputFileError
    from hotspot.io import write as io_write
    from hotspot.render import write_page
    from hotspot.stores import write_table

    table = pd.DataFrame({"a": ["x", "y"]})
    dest = tmp_path / "t.csv"
    write_table(table, dest)
    before = dest.read_bytes()

    def full_disk(table, path, *args):
        Path(path).write_text("a\nx\n", encoding="utf-8")  # half the rows, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io_write, "_write_file", full_disk)  # where write_table looks it up
    with pytest.raises(InputFileError, match=r"t\.csv: cannot write it"):
        write_table(table.assign(a=["p", "q"]), dest)
    assert dest.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]
    # a page on a full disk (/dev/full): one line naming the file, no partial file left
    page = tmp_path / "page.html"
    def to_dev_full(self, *args, **kwargs):
        with open("/dev/full", "w", encoding="utf-8") as f:
            f.write("x" * 70000)

    monkeypatch.setattr(Path, "write_text", to_dev_full)
    with pytest.raises(InputFileError, match=r"page\.html: cannot write it \(no space left on the device\)"):
        write_page(page, "<html></html>")
    assert not page.exists()


def test_anpr_writes_nothing_unasked(tmp_path, shared_data):
    r = cli("anpr", "--area-file", str(shared_data / "boundaries" / "london_boroughs.geojson"), "--area", "Enfield",
            "--incidents", str(shared_data / "crime" / "barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv"),
            "--data", str(shared_data), "--cameras", "3", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["sites"]) >= 1
    assert list(tmp_path.iterdir()) == []
    assert not (ROOT / "anpr_sites.geojson").exists()


def test_brief_page_and_pdf_are_replaced_together(tmp_path, monkeypatch):
    from hotspot._errors import HotspotError
    from hotspot.render import brief as brief_module
    from hotspot.render.brief import PatrolBrief

    page, pdf = tmp_path / "brief.html", tmp_path / "brief.pdf"
    page.write_text("previous page", encoding="utf-8")
    pdf.write_bytes(b"%PDF previous")
    monkeypatch.setattr(PatrolBrief, "to_html", lambda self: "<html>new page</html>")
    b = PatrolBrief.__new__(PatrolBrief)

    def stopped_while_printing(html_path, pdf_path, **kwargs):
        assert Path(html_path).read_text(encoding="utf-8") == "<html>new page</html>"  # printed from the new page
        raise HotspotError("printing stopped")

    monkeypatch.setattr(brief_module, "write_pdf", stopped_while_printing)
    with pytest.raises(HotspotError):
        b.save(page, pdf=pdf)
    assert page.read_text(encoding="utf-8") == "previous page" and pdf.read_bytes() == b"%PDF previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.html", "brief.pdf"]

    def printed(html_path, pdf_path, **kwargs):
        Path(pdf_path).write_bytes(b"%PDF new")

    monkeypatch.setattr(brief_module, "write_pdf", printed)
    assert b.save(page, pdf=pdf) == page
    assert page.read_text(encoding="utf-8") == "<html>new page</html>" and pdf.read_bytes() == b"%PDF new"
