"""Parquet intake keeps text compact (issue 21 "Memory") and gives what the per-cell conversion gave.

The store readers turn every column into text. They used to make one Python string per cell
(``_old_to_strings`` below, the reference); now each distinct value is converted once and a repetitive column
is a Categorical. These tests check that the values, the intake's counts, its rejects and its accepted incidents
are those of the per-cell conversion and of the same rows read from CSV, and that a string shared by many rows
is stored once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hotspot.intake import read_incidents
from hotspot.io import parquet as parquet_module
from hotspot.io.raw import _to_strings

ROOT = Path(__file__).resolve().parents[1]


def _old_to_strings(df: pd.DataFrame, skip=()) -> pd.DataFrame:
    """The per-cell conversion the readers used before (reference)."""
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):  # the old reader never saw dictionaries: their values
            s = s.astype(object)
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("").str.replace("T00:00:00", "", regex=False)
        else:
            na = s.isna()
            out[c] = s.astype(object).where(~na, "").astype(str).astype(object)
    return pd.DataFrame(out, index=df.index)


def _cells(df: pd.DataFrame) -> list[list]:
    """Every cell as a Python object (dtype aside), for exact comparison."""
    return [[None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in df[c].astype(object)]
            for c in df.columns]


def _odd_frame(n: int = 40) -> pd.DataFrame:
    """Columns of every kind a Parquet file can hand to pandas, with missing values, repeats and edge values."""
    rng = np.random.default_rng(7)
    floats = rng.choice([1.5, -0.0, 0.0, 0.1 + 0.2, 1e-300, 12345678.901234567, np.nan, -0.141636], n)
    when = pd.Series(pd.to_datetime(rng.choice(["2024-01-01", "2024-01-01 05:06:07", "1999-12-31"], n), format="ISO8601"))
    when[3] = pd.NaT
    return pd.DataFrame({
        "float": floats,
        "int": rng.integers(-3, 3, n),
        "int_with_null": rng.choice([1.0, 2.0, np.nan], n),  # what Arrow gives pandas for int64 with nulls
        "nullable_int": pd.array(rng.choice([1, 2, None], n), dtype="Int64"),
        "text": rng.choice(np.array(["a", "b ", "", "\x00x", "=1+1", None], dtype=object), n),
        "text_unique": [f"id-{i}" for i in range(n)],
        "bool": rng.random(n) > 0.5,
        "when": when,
        "when_tz": when.dt.tz_localize("Europe/London", nonexistent="NaT", ambiguous="NaT"),
        "date": [dt.date(2024, 1, 1 + i % 3) if i % 5 else None for i in range(n)],
        "decimal": [decimal.Decimal("1.0") if i % 2 else decimal.Decimal("1.00") for i in range(n)],
        "all_null": [None] * n,
        "cat_int": pd.Categorical(rng.choice([10, 20, 30], n)),
    }, index=np.arange(1, n + 1))


def test_text_columns_equal_the_per_cell_conversion():
    df = _odd_frame()
    got, want = _to_strings(df), _old_to_strings(df)
    assert list(got.columns) == list(want.columns) and (got.index == want.index).all()
    assert _cells(got) == _cells(want)
    # -0.0 and 0.0 are equal as numbers but not as text: kept apart
    assert {"-0.0", "0.0"} <= set(got["float"].astype(str))
    # Decimal('1.0') == Decimal('1.00') but their texts differ: objects other than strings go cell by cell
    assert set(got["decimal"]) == {"1.0", "1.00"}
    # repetitive columns are Categoricals of their strings, a column of distinct values is Arrow text
    assert isinstance(got["text"].dtype, pd.CategoricalDtype) and isinstance(got["float"].dtype, pd.CategoricalDtype)
    assert isinstance(got["text_unique"].dtype, pd.StringDtype)
    # categories are exactly the strings present (a missing value is "", no NaN code)
    for c in got.columns:
        if isinstance(got[c].dtype, pd.CategoricalDtype):
            assert (got[c].cat.codes >= 0).all()
            assert set(got[c].cat.categories) == set(want[c])


def _odd_police_uk(n: int = 400) -> pa.Table:
    """A police.uk-shaped table with odd values: null and duplicate Crime IDs, bad months, numbers written as
    text, junk coordinates, a NUL byte, a column named fid, timestamps, floats."""
    rng = np.random.default_rng(3)
    lon = rng.choice([-0.2, -0.1914, -0.15, 0.0, np.nan, -0.141636], n)
    lat = rng.choice([51.5, 51.6, 51.55, 0.0, np.nan], n)
    ids = np.array([f"id{i:04d}" for i in range(n)], dtype=object)
    ids[::37] = None
    months = rng.choice(["2023-01", "2023-02", " 2023-03", "2023-13", "", "9999-12", "1066-10", "2024-05"], n)
    loc = rng.choice(np.array(["On or near A Street", "On or near B Road ", "=HYPERLINK(\"x\")", "On or near \x00C", "42"], dtype=object), n)
    lat = lat.astype(object)
    for i in range(1, 13):  # good rows, and later good rows repeating their ids: duplicates
        for r in (i, 200 + i):
            months[r], lon[r], lat[r] = "2023-01", -0.2, 51.5
        ids[200 + i] = ids[i]
    return pa.table({
        "Crime ID": pa.array(ids, pa.large_string()),
        "Month": pa.array(months, pa.large_string()),
        "Reported by": pa.array(["Metropolitan Police Service"] * n, pa.large_string()),
        "Falls within": pa.array(["Metropolitan Police Service"] * n, pa.large_string()),
        "Longitude": pa.array(lon, pa.float64()),
        "Latitude": pa.array([str(v) if i % 7 else ("51.5x" if i % 2 else " 51.5 ") for i, v in enumerate(lat)],
                             pa.string()),
        "Location": pa.array(loc, pa.large_string()),
        "LSOA name": pa.array(rng.choice(["Barnet 001A", "Camden 002B", None], n), pa.large_string()),
        "Crime type": pa.array(rng.choice(["Burglary", "Robbery", " Burglary"], n), pa.large_string()),
        "fid": pa.array(rng.integers(0, 5, n), pa.int64()),
        "seen": pa.array(pd.to_datetime(rng.choice(["2024-01-01", "2024-01-01 05:00", "2024-02-03"], n), format="ISO8601")),
        "score": pa.array(rng.choice([0.1, 1 / 3, np.nan], n), pa.float64()),
        "Context": pa.nulls(n, pa.large_string()),
    })


def _outputs(res, name: str = "") -> tuple[dict, list, list]:
    """What validate prints and writes, and the accepted incidents, in comparable form (the file's ``name``,
    as the rejects' details give it, made "FILE")."""
    inc = res.incidents

    def cells(df):
        return [[v.replace(name, "FILE") if name and isinstance(v, str) else v for v in col] for col in _cells(df)]
    return (json.loads(json.dumps(res.summary(), default=str)),
            cells(res.rejects.drop(columns=["source_file"])),
            cells(pd.DataFrame(inc.drop(columns=["geometry", "source_file"]))) + [list(inc.geometry.to_wkb())])


@pytest.mark.parametrize("crime_types", [None, "Burglary"])
def test_parquet_intake_equals_the_per_cell_reader(tmp_path, monkeypatch, crime_types):
    path = tmp_path / "odd.parquet"
    pq.write_table(_odd_police_uk(), path, row_group_size=90)
    new = read_incidents(path, crime_types=crime_types, now="2025-06-01")
    monkeypatch.setattr(parquet_module, "_to_strings", _old_to_strings)
    old = read_incidents(path, crime_types=crime_types, now="2025-06-01")
    assert new.rows == new.accepted + new.rejected + new.n_filtered == 400
    assert {"NUL byte", "duplicate id", "unparsable date", "unparsable coordinates", "future"} <= set(new.reasons)
    assert _outputs(new) == _outputs(old)
    # the accepted table keeps the input's own fid column, and its repetitive columns compact
    assert "fid" in new.incidents and isinstance(new.incidents["Location"].dtype, pd.CategoricalDtype)


def _read_as_parquet_and_csv(table, folder, name: str, row_group_size: int):
    """``table`` written as Parquet and as the CSV of the text its values read
    as (floats as Python writes them, nulls as empty cells), each read by the
    intake: the results, and their outputs with the file names left out."""
    pq.write_table(table, folder / f"{name}.parquet", row_group_size=row_group_size)
    _old_to_strings(table.to_pandas()).to_csv(folder / f"{name}.csv", index=False)
    got = read_incidents(folder / f"{name}.parquet", now="2025-06-01")
    want = read_incidents(folder / f"{name}.csv", now="2025-06-01")
    g, w = _outputs(got, f"{name}.parquet"), _outputs(want, f"{name}.csv")
    for s in (g[0], w[0]):
        s["sources"][0].pop("file")
    return got, g, w


def test_parquet_intake_equals_the_same_rows_as_csv(tmp_path):
    got, g, w = _read_as_parquet_and_csv(_odd_police_uk(), tmp_path, "rows", 128)
    assert g == w
    assert got.rows == 400 and got.rejected > 50


def test_rejects_file_of_parquet_is_formula_safe(tmp_path):
    from hotspot.io.write import write_table

    path = tmp_path / "odd.parquet"
    pq.write_table(_odd_police_uk(), path)
    res = read_incidents(path, now="2025-06-01")
    write_table(res.rejects, tmp_path / "rejects.csv")
    text = (tmp_path / "rejects.csv").read_text()
    assert "=HYPERLINK" in text and ",=HYPERLINK" not in text and "'=HYPERLINK" in text


def test_real_police_uk_parquet_equals_csv(shared_data, tmp_path):
    """A borough's rows of the real London file, read from Parquet and from the CSV of the same rows."""
    table = pq.read_table(shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")
    got, g, w = _read_as_parquet_and_csv(table.slice(0, 60_000), tmp_path, "london", 20_000)
    assert g == w
    assert got.accepted > 50_000


_SHARED = textwrap.dedent("""
    import json, resource, sys
    sys.path.insert(0, sys.argv[2])
    from hotspot.intake import read_incidents
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = read_incidents(sys.argv[1], crime_types="all")
    loc = res.incidents["location_text"].to_numpy()
    print(json.dumps({"rows": res.rows, "accepted": res.accepted, "same": loc[0] is loc[-1],
                      "grew_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024}))
""")


def test_a_string_shared_by_many_rows_is_stored_once(tmp_path):
    """60,000 rows sharing one 10 KB location: 600 MB as one string per row, ~1 MB dictionary-encoded in the
    file; the intake stays far below the former (measured in a fresh process: its own peak)."""
    n, text = 60_000, "On or near " + "x" * 10_000
    rng = np.random.default_rng(1)
    table = pa.table({"Crime ID": [f"c{i}" for i in range(n)], "Month": rng.choice(["2024-01", "2024-02"], n),
                      "Longitude": rng.uniform(-0.2, -0.1, n).round(6), "Latitude": rng.uniform(51.5, 51.6, n).round(6),
                      "Location": pa.array([text] * n), "Crime type": ["Burglary"] * n,
                      "Falls within": ["Metropolitan Police Service"] * n})
    pq.write_table(table, tmp_path / "shared.parquet")
    assert (tmp_path / "shared.parquet").stat().st_size < 5_000_000
    r = subprocess.run([sys.executable, "-c", _SHARED, str(tmp_path / "shared.parquet"), str(ROOT)],
                       capture_output=True, text=True, check=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["rows"] == out["accepted"] == n and out["same"]
    assert out["grew_mb"] < 250, out  # one string per row would add 600 MB (1.2 GB as Python and Arrow text)
