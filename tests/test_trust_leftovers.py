"""Defects left by the last new-user trial (issue 9), each on real data:
a semicolon-delimited police.uk file, implausible dates, rates on a tiny
resident base, repeated ward names, --peers by code or lower case, a brief
long after the data end, and what the report's change is compared with."""

from __future__ import annotations

import numpy as np
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
    rates = london.rolling_rates(pd.Period("2024-12", "M"), per="households").drop("City of London")
    assert camden.london_of == len(rates) == 32
    assert camden.london_rank == int(rates.rank(ascending=False, method="min")["Camden"])
    assert list(camden.to_json()["unranked"]) == ["City of London"]


def test_city_of_london_as_a_peer_is_left_out_with_a_warning(london, london_incidents):
    from hotspot.report import build_report

    rep = build_report(_incidents_of(london_incidents, "Camden"), "Camden", "2024-12", london=london,
                       peers=["City of London", "Islington"])
    rates = london.rolling_rates(pd.Period("2024-12", "M"), per="households")[["Camden", "Islington"]]
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


# ------------------------------------------------------------------ 4. repeated ward names


@pytest.fixture(scope="module")
def wards_2014(shared_data):
    from hotspot.areas import load_boundaries

    return load_boundaries(shared_data / "boundaries" / "london_wards_2014.geojson")


def test_league_areas_of_a_ward_layer_are_unique_by_borough(wards_2014):
    from hotspot.league import select_areas

    raw = wards_2014["ward_name"].astype(str)
    repeated = set(raw[raw.duplicated()])
    assert "Alexandra" in repeated and len(repeated) == 23
    specs = select_areas(wards_2014, "all")
    names = [s.name for s in specs]
    assert len(specs) == wards_2014["ward_code"].nunique() and len(set(names)) == len(names)
    by_code = {s.code: s.name for s in specs}
    for _, row in wards_2014.iterrows():
        want = (f"{row['ward_name']} ({row['borough_name']})" if row["ward_name"] in repeated else row["ward_name"])
        assert by_code[row["ward_code"]] == want
    assert not any("(" in n for n in names if n.split(" (")[0] not in repeated)


def test_league_refuses_a_repeated_ward_name_and_takes_codes(wards_2014):
    from hotspot._errors import AreaError
    from hotspot.league import select_areas

    with pytest.raises(AreaError, match=r"'Alexandra' matches 2 areas.*E05000400.*Kingston.*E05000266.*areas=E05"):
        select_areas(wards_2014, "Alexandra,Barnet")
    specs = select_areas(wards_2014, "E05000400,E05000266")
    assert sorted(s.name for s in specs) == ["Alexandra (Haringey)", "Alexandra (Kingston upon Thames)"]


def test_layer_without_codes_repeating_names_is_refused(wards_2014):
    from hotspot._errors import AreaError
    from hotspot.league import select_areas

    layer = wards_2014[["ward_name", "borough_name", "geometry"]].rename(columns={"borough_name": "district"})
    with pytest.raises(AreaError, match=r"names several areas alike \(Abbey, Alexandra.*23 names.*code column"):
        select_areas(layer, "all")


def test_league_on_repeated_ward_names_counts_each_ward(shared_data, wards_2014):
    import geopandas as gpd

    from hotspot.league import build_league

    d = shared_data
    res = build_league([str(d / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")],
                       wards_2014, "2024-12", areas="E05000400,E05000266",
                       households=d / "demographics" / "lsoa2011_census2011_population_households.csv", workers=0)
    assert res.assign == "polygon"          # LSOA names carry the borough, never the ward
    t = res.table.set_index("code")
    assert t.loc["E05000266", "area"] == "Alexandra (Haringey)"
    # an independent count: distinct Crime IDs strictly inside / within 25 m of each ward, 2024
    pts = pd.read_parquet(d / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")
    pts = pts[(pts["Month"] >= "2024-01") & (pts["Month"] <= "2024-12") & (pts["Crime type"] == "Burglary")]
    pts = pts.dropna(subset=["Longitude"]).drop_duplicates("Crime ID")
    g = gpd.GeoSeries(gpd.points_from_xy(pts["Longitude"], pts["Latitude"]), crs=4326).to_crs(wards_2014.crs)
    for code in ("E05000400", "E05000266"):
        poly = wards_2014.loc[wards_2014["ward_code"] == code].geometry.union_all()
        inside = int(g.within(poly).sum())
        near = int(g.within(poly.buffer(25)).sum())
        assert 0 < inside <= t.loc[code, "rolling_12m"] <= near, code


def test_league_area_too_small_for_the_expected_range_gets_no_rag_not_an_abort(shared_data):
    from hotspot.league import build_league

    d = shared_data
    res = build_league([str(d / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")],
                       d / "boundaries" / "wards_barnet_and_neighbours_martinjc.geojson", "2024-12",
                       areas="E05004831,E05000050",  # Moor Park & Eastbury (Three Rivers: few Met rows), Edgware
                       households=d / "demographics" / "lsoa2011_census2011_population_households.csv", workers=0)
    t = res.table.set_index("code")
    assert t.loc["E05004831", "rag"] == "n/a" and t.loc["E05000050", "rag"] in ("RED", "AMBER", "GREEN")
    assert any(w.startswith("Moor Park & Eastbury: the expected range cannot be fitted") for w in res.warnings)


# ------------------------------------------------------------------ 5. --peers by code or in lower case


def test_peers_by_code_or_any_case_equal_peers_by_name(london, london_incidents, shared_data):
    from hotspot._errors import HotspotError
    from hotspot.report import build_report

    pop = pd.read_csv(shared_data / "demographics" / "london_lsoa_population_mid2015.csv")
    code = pop.loc[pop["Local Authority District name (2019)"] == "Islington", "Local Authority District code (2019)"]
    inc = _incidents_of(london_incidents, "Camden")
    by_name = build_report(inc, "Camden", "2024-12", london=london, peers=["Islington", "Westminster", "Hackney"])
    other = build_report(inc, "Camden", "2024-12", london=london,
                         peers=[code.iloc[0], "westminster", "HACKNEY", "camden"])
    assert other.peers == by_name.peers == ["Islington", "Westminster", "Hackney"]
    assert other.peer_rank == by_name.peer_rank
    with pytest.raises(HotspotError, match=r"peers=: unknown area 'Islingtn': did you mean Islington"):
        build_report(inc, "Camden", "2024-12", london=london, peers=["Islingtn"])
    with pytest.raises(HotspotError, match=r"peers=: unknown area 'E09999999'"):
        build_report(inc, "Camden", "2024-12", london=london, peers=["E09999999"])


# ------------------------------------------------------------------ 6. --as-of long after the data end


def test_brief_long_after_the_data_end_is_refused_short_gap_noted(barnet_intake, barnet):
    from hotspot._errors import HotspotError
    from hotspot.nanobeats import NanoBeatPlanner

    inc = barnet_intake.incidents
    end = inc["occurred"].max().to_period("M")
    assert str(end) == "2025-02"
    planner = NanoBeatPlanner.from_window(inc, barnet, distance=200, months=2)  # police.uk: 2 months
    with pytest.raises(HotspotError, match=r"^as_of=2026-06-01: the data end 2025-02, more than the near-repeat "
                                           r"window \(2 months\).*2025-04-01 at the latest"):
        planner.solve("2026-06-01", n_targets=3)
    with pytest.raises(HotspotError, match="as_of=2025-05-01"):
        planner.solve("2025-05-01", n_targets=3)
    short = planner.solve("2025-04-01", n_targets=3)
    assert any(n.startswith("the data end 2025-02, 1 month before --as-of 2025-04-01") for n in short.notes)
    assert len(short.targets) == 3
    next_month = planner.solve("2025-03-01", n_targets=3)
    assert not any(n.startswith("the data end") for n in next_month.notes)


def test_day_dates_refuse_after_the_window_and_the_limit_is_a_setting(shared_data, monkeypatch):
    from hotspot._errors import HotspotError
    from hotspot.areas import area_from_points
    from hotspot.nanobeats import NanoBeatPlanner

    res = read_incidents(shared_data / "crime" / "exact_dates" / "chicago_residential_burglary_2014_2017.csv",
                         crs="EPSG:26971")
    inc = res.incidents[res.incidents["occurred"] >= "2017-10-01"]
    area = area_from_points(inc.geometry.x, inc.geometry.y, res.crs)
    end = inc["occurred"].max()
    planner = NanoBeatPlanner.from_window(inc, area, distance=200, days=14)
    gap = end + pd.Timedelta(days=10)
    plan = planner.solve(gap, n_targets=2)
    assert any(f"9 days before --as-of {gap:%Y-%m-%d}" in n for n in plan.notes)
    late = end + pd.Timedelta(days=40)
    with pytest.raises(HotspotError, match=r"near-repeat window \(14 days\)"):
        planner.solve(late, n_targets=2)
    monkeypatch.setattr(settings, "AS_OF_MAX_GAP_DAYS", 60)
    assert any("before the near-repeat window" in n for n in planner.solve(late, n_targets=2).notes)


def test_a_quiet_spell_in_a_small_area_is_noted_stale_data_refused(monkeypatch):
    import geopandas as gpd
    from shapely.geometry import box

    from hotspot._errors import HotspotError
    from hotspot.areas import area_from_geometry
    from hotspot.nanobeats import NanoBeatPlanner

    # 50 burglaries a year in a small area: ~0.14 a day, so 20 quiet days (~2.7 expected) happen,
    # 60 (~8.2 expected, P(0) = 0.03 %) mean the data stopped
    rng = np.random.default_rng(11)
    days = np.sort(rng.uniform(0, 365, 50))
    inc = gpd.GeoDataFrame({"incident_id": [f"q{k}" for k in range(50)],
                            "occurred": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D"),
                            "date_precision": "day"},
                           geometry=gpd.points_from_xy(rng.uniform(100, 1900, 50), rng.uniform(100, 1900, 50)),
                           crs=27700)
    area = area_from_geometry(box(0, 0, 2000, 2000), 27700, "Small")
    end = inc["occurred"].max()
    planner = NanoBeatPlanner.from_window(inc, area, distance=200, days=14)
    quiet = planner.solve(end + pd.Timedelta(days=20), n_targets=2)
    assert any(n.startswith(f"no burglary in the data after {end:%Y-%m-%d}") and "a quiet spell" in n
               for n in quiet.notes)
    with pytest.raises(HotspotError, match=r"near-repeat window \(14 days\)"):
        planner.solve(end + pd.Timedelta(days=60), n_targets=2)
    monkeypatch.setattr(settings, "STALE_EXPECTED", 2.0)  # a setting: stricter, the quiet spell is refused too
    with pytest.raises(HotspotError, match="near-repeat window"):
        planner.solve(end + pd.Timedelta(days=20), n_targets=2)


# ------------------------------------------------------------------ 7. what "change" is compared with


def test_report_json_says_what_each_change_is_compared_with(london, london_incidents):
    from hotspot.report import build_report, monthly_series, window_sum

    inc = _incidents_of(london_incidents, "Camden")
    rep = build_report(inc, "Camden", "2024-12", london=london)
    j = rep.to_json()
    for key in ("latest_quarter", "rolling_12m", "vs_baseline"):   # the old keys stay
        assert {"volume", "change_pct"} <= set(j[key]) and "change_vs" in j[key]
    assert j["vs_baseline"]["fy"] == rep.vs_baseline["fy"]
    series = monthly_series(inc)
    # each change recomputed from the months the JSON names
    for key in ("latest_quarter", "rolling_12m"):
        first, last = (pd.Period(m, "M") for m in j[key]["change_vs_months"])
        before = window_sum(series, last, (last - first).n + 1)
        a, b = (pd.Period(m, "M") for m in j[key]["months"])
        assert window_sum(series, b, (b - a).n + 1) == j[key]["volume"]
        assert j[key]["change_pct"] == round((j[key]["volume"] - before) / before * 100, 1)
    assert j["latest_quarter"]["change_vs_months"] == ["2023-10", "2023-12"]
    assert j["latest_quarter"]["change_vs"] == "the same 3 months a year before"
    assert j["rolling_12m"]["change_vs_months"] == ["2023-01", "2023-12"]
    fy = rep.vs_baseline["fy"]
    assert j["vs_baseline"]["change_vs_months"] == [f"{fy}-04", f"{fy + 1}-03"]
    assert j["vs_baseline"]["change_of_months"] == j["rolling_12m"]["months"]


def test_default_peers_skip_an_area_too_small_to_rank(london, shared_data):
    from hotspot.report import build_report

    assert "City of London" in london.peers("Bromley")   # nearest in density and deprivation ...
    t = pd.read_parquet(shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet",
                        columns=["Crime ID", "Month", "LSOA name"])
    t = t[t["LSOA name"].str.startswith("Bromley ")].drop_duplicates("Crime ID")
    rep = build_report(pd.DataFrame({"occurred": pd.to_datetime(t["Month"] + "-01")}), "Bromley", "2024-12",
                       london=london)
    assert "City of London" not in rep.peers and len(rep.peers) == 5     # ... but cannot be ranked
    assert rep.peers == [p for p in london.peers("Bromley", 6) if p != "City of London"]
    assert not any("peers left out" in w for w in rep.warnings)
