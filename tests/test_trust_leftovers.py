"""Defects left by the last new-user trial (issue 9), each on real data:
a semicolon-delimited police.uk file, implausible dates, rates on a tiny
resident base, repeated ward names, --peers by code or lower case, a brief
long after the data end, and what the report's change is compared with."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot import settings
from hotspot._errors import InputFileError
from hotspot.intake import read_incidents


@pytest.fixture(scope="module")
def barnet_rows(shared_data) -> pd.DataFrame:
    """The first 300 rows of the police.uk Barnet file, as strings."""
    path = shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False, nrows=300)


# ------------------------------------------------------------------ 1. delimiter


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_police_uk_file_is_read_like_the_comma_file(tmp_path, barnet_rows, sep):
    comma, other = tmp_path / "comma.csv", tmp_path / "other.csv"
    barnet_rows.to_csv(comma, index=False)
    barnet_rows.to_csv(other, index=False, sep=sep)
    a, b = read_incidents(comma), read_incidents(other)
    assert b.accepted == a.accepted and b.rejected == a.rejected
    assert list(b.incidents["incident_id"]) == list(a.incidents["incident_id"])
    assert (b.incidents.geometry.x.to_numpy() == a.incidents.geometry.x.to_numpy()).all()
    src = b.summary()["sources"][0]
    assert src["delimiter"] == {";": ";", "\t": "tab"}[sep]
    assert "delimited by" in src["format"]          # the validate table shows the format line
    assert "delimiter" not in a.summary()["sources"][0]


def test_ambiguous_delimiter_is_refused_naming_file_and_delimiters(tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text("Month;Longitude|Latitude\n2024-01;-0.2|51.6\n")
    with pytest.raises(InputFileError, match=r"mixed\.csv.*';'.*'\|'"):
        read_incidents(f)


def test_inconsistent_semicolon_lines_are_refused(tmp_path, barnet_rows):
    f = tmp_path / "ragged.csv"
    text = barnet_rows.head(5).to_csv(index=False, sep=";").splitlines()
    text[2] = text[2].replace(";", ",")
    f.write_text("\n".join(text) + "\n")
    with pytest.raises(InputFileError, match=r"ragged\.csv.*';'"):
        read_incidents(f)


# ------------------------------------------------------------------ 2. implausible dates


def test_dates_before_the_earliest_date_are_rejected_per_row(tmp_path, barnet_rows):
    rows = barnet_rows.copy()
    rows.loc[[0, 1], "Month"] = "1901-05"
    rows.loc[2, "Month"] = "1989-12"
    rows.loc[3, "Month"] = "2099-01"
    f = tmp_path / "old.csv"
    rows.to_csv(f, index=False)
    res = read_incidents(f, now="2026-11-25")
    rej = res.rejects.set_index("source_row")
    assert list(rej.loc[[1, 2, 3], "reason"]) == ["before earliest date"] * 3
    assert set(rej.loc[[1, 2, 3, 4], "column"]) == {"Month"}
    assert rej.loc[4, "reason"] == "future"
    assert res.rows == res.accepted + res.rejected + res.n_filtered == len(rows)
    assert res.reasons["before earliest date"] == 3
    assert res.incidents["occurred"].min() >= pd.Timestamp(settings.EARLIEST_DATE)


def test_earliest_date_is_a_setting(tmp_path, barnet_rows, monkeypatch):
    rows = barnet_rows.copy()
    first = pd.Timestamp(rows["Month"].min() + "-01")
    later = first + pd.offsets.MonthBegin(1)
    rows.loc[:99, "Month"] = f"{later:%Y-%m}"
    f = tmp_path / "b.csv"
    rows.to_csv(f, index=False)
    assert read_incidents(f).reasons.get("before earliest date", 0) == 0
    monkeypatch.setattr(settings, "EARLIEST_DATE", f"{later:%Y-%m-%d}")
    res = read_incidents(f)
    assert res.reasons["before earliest date"] == (rows["Month"] < f"{later:%Y-%m}").sum() == 200


# ------------------------------------------------------------------ 3. tiny rate basis


@pytest.fixture(scope="module")
def london(shared_data):
    from hotspot.report import LondonContext

    d = shared_data
    return LondonContext.from_files(d / "crime" / "london_burglary_lsoa_month_counts_2013-12_2025-02.csv.gz",
                                    d / "demographics" / "london_lsoa_population_mid2015.csv",
                                    d / "demographics" / "lsoa2011_census2011_population_households.csv",
                                    d / "demographics" / "london_lsoa_imd2019.csv",
                                    d / "boundaries" / "london_boroughs.geojson")


@pytest.fixture(scope="module")
def london_incidents(shared_data):
    """The London file's police.uk rows for two boroughs, one burglary per Crime ID."""
    t = pd.read_parquet(shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")
    t = t[t["LSOA name"].str.rsplit(" ", n=1).str[0].isin(["City of London", "Camden"])]
    t = t.drop_duplicates("Crime ID")
    return t


def _incidents_of(table: pd.DataFrame, borough: str):
    rows = table[table["LSOA name"].str.rsplit(" ", n=1).str[0] == borough]
    return pd.DataFrame({"occurred": pd.to_datetime(rows["Month"] + "-01")})


def test_report_gives_no_rank_on_a_tiny_resident_base(london, london_incidents, shared_data):
    from hotspot.render.report import report_html
    from hotspot.report import build_report

    pop = pd.read_csv(shared_data / "demographics" / "london_lsoa_population_mid2015.csv")
    residents = pop.groupby("Local Authority District name (2019)")["Total population: mid 2015 (excluding prisoners)"].sum()
    assert residents["City of London"] < settings.MIN_RANK_RESIDENTS < residents.drop("City of London").min()
    city = build_report(_incidents_of(london_incidents, "City of London"), "City of London", "2024-12", london=london)
    assert city.rate_per_1000["residents"] is not None          # the rate is shown ...
    assert city.london_rank is None and city.peer_rank is None  # ... but not ranked
    w = [x for x in city.warnings if "too small a base to rank" in x]
    assert len(w) == 1 and f"{residents['City of London']:,.0f} residents" in w[0]
    assert city.to_json()["warnings"] == city.warnings and "too small a base to rank" in report_html(city)
    camden = build_report(_incidents_of(london_incidents, "Camden"), "Camden", "2024-12", london=london)
    rates = london.rolling_rates(pd.Period("2024-12", "M")).drop("City of London")
    assert camden.london_of == len(rates) == 32
    assert camden.london_rank == int(rates.rank(ascending=False, method="min")["Camden"])
    assert list(camden.to_json()["unranked"]) == ["City of London"]


def test_city_of_london_as_a_peer_is_left_out_with_a_warning(london, london_incidents):
    from hotspot.report import build_report

    rep = build_report(_incidents_of(london_incidents, "Camden"), "Camden", "2024-12", london=london,
                       peers=["City of London", "Islington"])
    rates = london.rolling_rates(pd.Period("2024-12", "M"))[["Camden", "Islington"]]
    assert rep.peer_rank == int(rates.rank(ascending=False, method="min")["Camden"])
    assert any("peers left out of the peer rank" in w and "City of London" in w for w in rep.warnings)


def test_small_rate_basis_follows_the_settings(london, monkeypatch):
    from hotspot.report import small_rate_bases

    assert list(small_rate_bases(london).index) == ["City of London"]
    monkeypatch.setattr(settings, "MIN_RANK_RESIDENTS", 0)
    monkeypatch.setattr(settings, "MIN_RANK_HOUSEHOLDS", 0)
    assert small_rate_bases(london).empty


def test_league_gives_no_rank_on_a_tiny_household_base(shared_data):
    from hotspot.league import build_league
    from hotspot.render.league import league_html

    d = shared_data
    hh_file = d / "demographics" / "lsoa2011_census2011_population_households.csv"
    res = build_league([str(d / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")],
                       d / "boundaries" / "london_boroughs.geojson", "2024-12",
                       areas=["City of London", "Camden", "Islington"], households=hh_file, workers=0)
    hh = pd.read_csv(hh_file).groupby("lad_name")["households"].sum()
    assert hh["City of London"] < settings.MIN_RANK_HOUSEHOLDS < hh.drop("City of London").min()
    t = res.table.set_index("area")
    assert pd.isna(t.loc["City of London", "rank"]) and t.loc["City of London", "rate_per_1000_households"] > 0
    rates = t.loc[["Camden", "Islington"], "rate_per_1000_households"]
    assert list(t.loc[["Camden", "Islington"], "rank"]) == list(rates.rank(ascending=False, method="min").astype(int))
    j = res.to_json()
    assert any(w.startswith("City of London:") and "too small a base to rank" in w for w in j["warnings"])
    assert "too small a base to rank" in league_html(res)
