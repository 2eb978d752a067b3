"""Large CSVs are read from disk (pyarrow.csv, else pandas), not decoded whole
first: the same table, the same accounting as the whole-text path (issue 21's
bounded intake memory)."""

from __future__ import annotations

import pandas as pd
import pytest

import hotspot.intake.files as intake  # the CSV readers and STREAM_CSV_BYTES are looked up (and patched) here
from hotspot.intake import read_incidents

HEADER = "Crime ID,Month,Longitude,Latitude,Location,LSOA name,Crime type,Context"
ROWS = [
    'a1,2024-01,-0.2,51.6,"On or near High Street, Barnet",Barnet 001A,Burglary,',
    'a2,2024-02,-0.21,51.61,"On or near ""The"" Lane",Barnet 002B,Burglary,"two\nlines"',
    "a3,2024-02,,,On or near Park Road,Barnet 003C,Burglary,NA",
    "a4,2024-03,-0.22,51.62,On or near Mill Way,Barnet 004D,Robbery,null",
    "a1,2024-01,-0.2,51.6,On or near High Street,Barnet 001A,Burglary,",
]


@pytest.mark.parametrize("text", [
    HEADER + "\n" + "\n".join(ROWS) + "\n",
    "\ufeff" + HEADER + "\r\n" + "\r\n".join(ROWS) + "\r\n",  # BOM, CRLF
    (HEADER + "\n" + "\n".join(ROWS) + "\n").replace(",", ";").replace('"On or near High Street; Barnet"',
                                                                        '"On or near High Street, Barnet"'),
    "Crime ID,Month,Longitude,Latitude,Month\n" + "b1,2024-01,-0.2,51.6,x\n",  # a repeated name: pandas renames it
    HEADER + "\n" + ROWS[0] + "\nshort,row\n" + ROWS[3] + "\n",  # ragged: listed by row
])
def test_streamed_read_equals_the_whole_text_read(tmp_path, monkeypatch, text):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8", newline="")
    whole = read_incidents(path, crime_types="all")
    arrow = intake._read_csv_arrow(path, ";" if text.startswith("Crime ID;") else ",", text)
    if "short,row" in text or "Latitude,Month" in text:
        assert arrow is None  # pandas reads it (ragged records are listed by row; repeated names renamed)
    else:
        assert arrow is not None and len(arrow) == 5
    monkeypatch.setattr(intake, "STREAM_CSV_BYTES", 0)
    streamed = read_incidents(path, crime_types="all")
    assert streamed.summary() == whole.summary()
    # a streamed file's repetitive original columns are Categoricals (memory): the same strings, nothing else
    for res_s, res_w in ((streamed.incidents, whole.incidents), (streamed.rejects, whole.rejects)):
        cats = [c for c in res_s.columns if isinstance(res_s[c].dtype, pd.CategoricalDtype)
                and not isinstance(res_w[c].dtype, pd.CategoricalDtype)]  # source_file: one on either path
        assert all(pd.api.types.is_string_dtype(res_w[c]) for c in cats)
        # a standard text column taken from a Categorical is object strings shared per category (a long location
        # repeated on every row is stored once), where the whole read gives pandas text: the same values
        shared = [c for c in ("incident_id", "crime_type", "location_text")
                  if c in res_s and res_s[c].dtype != res_w[c].dtype]
        assert all(res_s[c].dtype == object and pd.api.types.is_string_dtype(res_w[c]) for c in shared)
        assert res_s.astype({c: res_w[c].dtype for c in cats + shared}).equals(res_w)
        assert all(res_s[c].dtype == res_w[c].dtype for c in res_s.columns if c not in cats + shared)
    assert not any(isinstance(streamed.incidents[c].dtype, pd.CategoricalDtype)
                   for c in ("incident_id", "crime_type", "location_text"))  # standard columns: text
    # one value per file: a Categorical on either path (a byte per row, not the path's text per row)
    assert all(isinstance(res.incidents[c].dtype, pd.CategoricalDtype)
               for res in (streamed, whole) for c in ("source_file", "date_precision"))
    assert streamed.rows == streamed.accepted + streamed.rejected + streamed.n_filtered


def test_the_stream_leaves_what_it_cannot_read_exactly_to_the_whole_text_path(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "STREAM_CSV_BYTES", 0)
    cp1252 = tmp_path / "cp.csv"
    cp1252.write_bytes((HEADER + "\n" + ROWS[0].replace("High", "H\xe9gh") + "\n").encode("cp1252"))
    assert intake._read_csv_stream(cp1252) is None  # decoded as Windows-1252 with a note by the text path
    with pytest.warns(UserWarning, match="not UTF-8 .*decoded as Windows-1252"):
        res = read_incidents(cp1252, crime_types="all")
    assert res.accepted == 1 and any("Windows-1252" in n for n in res.notes)
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "\n" + ROWS[0] + "\n", encoding="utf-8")
    table, bad = intake._read_csv_stream(plain)
    assert intake._read_csv_arrow(plain, ",", plain.read_text(encoding="utf-8")) is not None  # pyarrow read it
    assert list(table.columns) == HEADER.split(",") and list(table.index) == [1] and bad == []
    assert table.loc[1, "Location"] == "On or near High Street, Barnet" and table.loc[1, "Context"] == ""


def test_categorical_text_is_made_formula_safe_and_escaped_like_any_text():
    # a large CSV's repetitive columns arrive as Categoricals: the CSV writer and the map must still treat them as text
    from hotspot.io.write import csv_safe
    from hotspot.render.leaflet import escape_frame

    df = pd.DataFrame({"Location": pd.Categorical(["=HYPERLINK(1)", "<b>x</b>", "=HYPERLINK(1)"]),
                       "Longitude": pd.Categorical(["-0.2", "-0.3", "-0.2"])})
    safe = csv_safe(df)
    assert list(safe["Location"].astype(str)) == ["'=HYPERLINK(1)", "<b>x</b>", "'=HYPERLINK(1)"]
    assert list(safe["Longitude"].astype(str)) == ["'-0.2", "'-0.3", "'-0.2"]  # as a str column is written
    assert list(escape_frame(df)["Location"].astype(str))[1] == "&lt;b&gt;x&lt;/b&gt;"


def test_a_missing_value_of_a_categorical_stays_missing_as_shared_strings():
    # take() reads code -1 as the last category: a missing location must not become another row's street
    from hotspot.intake.result import _shared_strings

    cat = pd.Categorical(["On or near A Road", None, "On or near B Street", "On or near A Road"])
    got = _shared_strings(cat)
    assert got[0] == got[3] == "On or near A Road" and got[0] is got[3]  # one string object per category
    assert got[2] == "On or near B Street" and pd.isna(got[1])
