"""The police.uk LSOA-name rule ("Barnet 001A" -> Barnet) has one copy,
:func:`hotspot.columns.lsoa_name_pattern`, and every reader uses it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from hotspot._errors import InputFileError
from hotspot.columns import district_of_lsoa_name, is_lsoa_of, lsoa_district, lsoa_name_pattern
from hotspot.report import LondonContext

PKG = Path(__file__).resolve().parents[1] / "hotspot"

#: name -> its district (None: not a police.uk LSOA name)
EXAMPLES = {
    "Barnet 001A": "Barnet",
    "City of London 001A": "City of London",
    "Kingston upon Thames 012B": "Kingston upon Thames",
    "Barking and Dagenham 012B": "Barking and Dagenham",
    "Richmond upon Thames 020C": "Richmond upon Thames",
    "Barnet  001A": "Barnet",            # white space of any width
    "Richmond upon Thames": None,        # no code
    "Barnet 01A": None,                  # two digits
    "Barnet 001a": None,                 # lower-case letter
    "Barnet 0001A": None,                # four digits
    "Barnet001A": None,                  # no space
    " 001A": None,                       # no district
    "001A": None,
    "": None,
}


@pytest.mark.parametrize("name, district", EXAMPLES.items())
def test_the_district_of_an_lsoa_name(name, district):
    assert district_of_lsoa_name(name) == district


def test_a_column_parses_as_each_name_does_and_missing_values_give_none():
    names = pd.Series(list(EXAMPLES) + [None, np.nan, 7, "Barnet 001A"], index=range(10, 10 + len(EXAMPLES) + 4))
    got = lsoa_district(names)
    assert list(got.index) == list(names.index) and got.dtype == object
    assert got.tolist() == list(EXAMPLES.values()) + [None, None, None, "Barnet"]


@pytest.mark.parametrize("district", ["Barnet", "City of London", "Kingston upon Thames", "Richmond upon Thames"])
def test_matching_a_district_agrees_with_parsing_in_pandas_and_arrow(district):
    names = pd.Series(list(EXAMPLES) + ["Barnet North 001A", "City of London 001A extra", None, "Kingston 012B"])
    want = np.array([district_of_lsoa_name(n) == district for n in names])
    assert want.any()  # each district has a name of its own among the examples
    assert (is_lsoa_of(names, district) == want).all()
    # the Parquet push-down runs the same pattern in Arrow's RE2
    arrow = pc.fill_null(pc.match_substring_regex(pa.array(names, pa.string()), lsoa_name_pattern(district)), False)
    assert (np.asarray(arrow) == want).all()


def test_a_district_name_is_taken_literally_not_as_a_pattern():
    assert not is_lsoa_of(pd.Series(["BarnetX 001A", "Barnet 001A"]), "Barne.").any()
    assert re.fullmatch(lsoa_name_pattern("St. Albans"), "St. Albans 003C")


def test_the_report_refuses_a_malformed_lsoa_name_naming_the_row(tmp_path):
    counts = tmp_path / "counts.csv"
    pd.DataFrame({"LSOA name": ["Barnet 001A", "Barnet", "Camden 002B"], "Month": ["2024-01"] * 3,
                  "burglary_count": [3, 4, 5]}).to_csv(counts, index=False)
    with pytest.raises(InputFileError, match=r"counts.csv: data row 2, column 'LSOA name': 'Barnet' is not a police"):
        LondonContext.from_files(counts_csv=counts, population_csv=tmp_path / "unread.csv")


def test_no_module_writes_the_rule_again():
    # the rule's tell-tale: three digits then a capital letter, as a regular expression
    tell = re.compile(r"d\{3\}\[A-Z\]|\[0-9\]\{3\}\[A-Z\]")
    copies = [str(p.relative_to(PKG.parent)) for p in sorted(PKG.rglob("*.py"))
              if p.name != "columns.py" and tell.search(p.read_text(encoding="utf-8"))]
    assert not copies, f"the police.uk LSOA-name rule re-implemented (call hotspot.columns.lsoa_name_pattern): {copies}"
