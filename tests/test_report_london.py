"""Issue 9, done-when: for every London borough the report's rolling-12-month
and quarterly volumes equal an independent pandas count of the London file
(one Crime ID = one burglary, all of the borough's LSOA rows), and its rates
and ranks come from the same counting."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def london_file(shared_data):
    return shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet"


@pytest.fixture(scope="module")
def independent_counts(london_file):
    raw = pd.read_parquet(london_file, columns=["Crime ID", "Month", "LSOA name", "Longitude"])
    raw = raw.dropna(subset=["LSOA name", "Longitude"])  # no location: not a mappable burglary
    raw["borough"] = raw["LSOA name"].str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)
    one_per_id = raw.drop_duplicates(subset=["borough", "Crime ID"])
    return one_per_id.groupby(["borough", "Month"]).size()


@pytest.fixture(scope="module")
def london_context(shared_data, london_file):
    from hotspot.report import LondonContext

    d = shared_data
    return LondonContext.from_files(london_file, d / "demographics" / "london_lsoa_population_mid2015.csv",
                                    d / "demographics" / "lsoa2011_census2011_population_households.csv",
                                    d / "demographics" / "london_lsoa_imd2019.csv",
                                    d / "boundaries" / "london_boroughs.geojson")


def test_every_borough_report_equals_an_independent_count(shared_data, london_file, independent_counts,
                                                          london_context):
    import geopandas as gpd

    from hotspot.areas import load_area
    from hotspot.intake import read_incidents
    from hotspot.report import build_report

    layer = shared_data / "boundaries" / "london_boroughs.geojson"
    names = gpd.read_file(layer)["borough_name"].tolist()
    assert len(names) == 33
    mismatches = []
    for name in names:
        area = load_area(layer, name)
        inc = read_incidents(london_file, crime_types="Burglary", area=area).incidents
        rep = build_report(inc, name, "2024-12", london=london_context)
        per_month = independent_counts.loc[name]
        r12 = int(per_month.reindex([f"2024-{m:02d}" for m in range(1, 13)], fill_value=0).sum())
        q = int(per_month.reindex(["2024-10", "2024-11", "2024-12"], fill_value=0).sum())
        got = (rep.rolling_12m["volume"], rep.latest_quarter["volume"])
        if got != (r12, q):
            mismatches.append((name, got, (r12, q)))
        # one counting for volume, rate and rank: no partial-coverage warning for a whole borough
        # (City of London, ~7,000 residents, is too small a base to rank: rate shown, no rank, a warning)
        small = name in rep.unranked
        assert (rep.london_rank is None) == small and not any("only partly" in w for w in rep.warnings), (name, rep.warnings)
    assert mismatches == []


def _police_rows():
    # two boroughs; id "a" twice in Barnet (one crime) and once in Brent (another crime: counted per area);
    # a row without an id (its own crime), one without a location and one without an LSOA (both not counted)
    return pd.DataFrame({
        "Crime ID": ["a", "a", "a", None, "b", "c", "d"],
        "Month": ["2024-01", "2024-02", "2024-01", "2024-01", "2024-02", "2024-02", "2024-02"],
        "LSOA name": ["Barnet 001A", "Barnet 002B", "Brent 003C", "Barnet 001A", "Brent 003C", "Brent 004D", None],
        "Longitude": [-0.2, -0.2, -0.25, -0.2, None, -0.25, -0.25],
    })


def test_parquet_counts_equal_the_table_counting_on_a_known_answer(tmp_path):
    """The compact Parquet read (issue 22) counts as the in-memory table
    counting does, and both give the hand count."""
    from hotspot.report.london import _monthly_from_incident_table, _monthly_from_parquet

    path = tmp_path / "london.parquet"
    rows = _police_rows()
    rows.to_parquet(path)
    got, counting = _monthly_from_parquet(str(path))
    want, _ = _monthly_from_incident_table(rows, str(path))
    pd.testing.assert_frame_equal(got, want)
    assert counting == "police.uk incidents, one burglary per Crime ID"
    # Barnet: "a" (Jan; its Feb repeat is the same crime) + the id-less row (Jan); Brent: "a" (Jan), "c" (Feb)
    assert got.loc["Barnet"].tolist() == [2, 0] and got.loc["Brent"].tolist() == [1, 1]
    assert [str(p) for p in got.columns] == ["2024-01", "2024-02"]


def test_parquet_counts_refuse_a_malformed_lsoa_name_by_its_row(tmp_path):
    from hotspot._errors import InputFileError
    from hotspot.report.london import _monthly_from_parquet

    rows = _police_rows()
    rows.loc[5, "LSOA name"] = "Brent"  # data row 6: no LSOA suffix
    path = tmp_path / "london.parquet"
    rows.to_parquet(path)
    with pytest.raises(InputFileError, match=r"data row 6, column 'LSOA name': 'Brent' is not a police.uk LSOA "
                                             r"name .*1 such rows"):
        _monthly_from_parquet(str(path))
