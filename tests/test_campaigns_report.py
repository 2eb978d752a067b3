"""Leaflet/timer-switch allocation, campaign timing and the performance report."""

from __future__ import annotations

from itertools import product

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot._errors import HotspotError
from hotspot.campaigns import allocate, campaign_window, clocks_go_back, seasonal_index, winter_summer_ratio
from hotspot.render.report import report_html
from hotspot.report import (
    LondonContext,
    build_report,
    complete_financial_years,
    expected_range,
    rag_rating,
)


def units_frame(hh, exp):
    hh, exp = np.asarray(hh), np.asarray(exp, float)
    return pd.DataFrame({"unit": [f"u{i}" for i in range(len(hh))], "name": [f"u{i}" for i in range(len(hh))],
                         "households": hh, "expected_burglaries": exp,
                         "rate_per_1000_households": np.where(hh > 0, exp / np.maximum(hh, 1) * 1000, 0)})


@given(st.lists(st.tuples(st.integers(0, 2000), st.floats(0, 50)), min_size=1, max_size=25),
       st.integers(0, 30_000), st.integers(0, 5_000), st.sampled_from(["partial", "whole"]))
@settings(max_examples=60, deadline=None)
def test_budgets_are_never_exceeded(units, leaflets, switches, rule):
    u = units_frame(*zip(*units))
    a = allocate(u, leaflets=leaflets, timer_switches=switches, rule=rule)
    assert a["leaflets"].sum() <= leaflets and a["timer_switches"].sum() <= switches
    assert (a["leaflets"] <= a["households"]).all() and (a["timer_switches"] <= a["households"]).all()
    assert (a["leaflets"] >= 0).all()
    if rule == "whole":
        assert ((a["leaflets"] == 0) | (a["leaflets"] == a["households"])).all()
    # everything is used when there are enough households (partial rule)
    if rule == "partial":
        assert a["leaflets"].sum() == min(leaflets, u["households"].sum())


def brute_force_whole(hh, exp, cap):
    best = 0.0
    for pick in product([0, 1], repeat=len(hh)):
        pick = np.array(pick)
        if (pick * hh).sum() <= cap:
            best = max(best, float((pick * exp).sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_allocations_are_optimal(seed):
    rng = np.random.default_rng(seed)
    hh = rng.integers(100, 900, 9)
    exp = rng.uniform(1, 30, 9)
    u = units_frame(hh, exp)
    cap = int(hh.sum() * 0.4)
    whole = allocate(u, leaflets=cap, timer_switches=0, rule="whole")
    assert whole["reached_by_leaflets"].sum() == pytest.approx(brute_force_whole(hh, exp, cap))
    # the partial rule is the fractional-knapsack optimum: check against an LP
    from scipy.optimize import linprog

    lp = linprog(-exp / hh, A_ub=[np.ones(9)], b_ub=[cap], bounds=list(zip(np.zeros(9), hh)))
    partial = allocate(u, leaflets=cap, timer_switches=0, rule="partial")
    assert partial["reached_by_leaflets"].sum() == pytest.approx(-lp.fun)
    assert partial["reached_by_leaflets"].sum() >= whole["reached_by_leaflets"].sum() - 1e-9


@pytest.mark.parametrize("year,day", [(2023, "2023-10-29"), (2024, "2024-10-27"), (2025, "2025-10-26"),
                                      (2026, "2026-10-25")])
def test_clocks_go_back_on_the_last_sunday_of_october(year, day):
    assert clocks_go_back(year) == pd.Timestamp(day)


def _incidents_with_counts(counts: dict[str, int]):
    occ = np.repeat(pd.to_datetime([f"{m}-01" for m in counts]), list(counts.values()))
    return gpd.GeoDataFrame({"occurred": occ, "date_precision": "month"},
                            geometry=gpd.points_from_xy(np.zeros(len(occ)), np.zeros(len(occ))), crs=27700)


def test_seasonal_index_and_window_by_hand():
    # two complete years: winter months 30, others 15 (mean 20)
    months = pd.period_range("2022-01", "2023-12", freq="M")
    counts = {str(p): 30 if p.month in (11, 12, 1, 2) else 15 for p in months}
    idx = seasonal_index(_incidents_with_counts(counts))
    assert idx.loc[1] == pytest.approx(1.5) and idx.loc[6] == pytest.approx(0.75)
    assert winter_summer_ratio(idx) == pytest.approx(2.0)
    start, end = campaign_window(idx, 2024)
    assert start == pd.Timestamp("2024-10-13") and end == pd.Timestamp("2025-02-28")


def seasonal_series(seed, n=120, spike=None, factor=1.6):
    rng = np.random.default_rng(seed)
    idx = pd.period_range("2015-01", periods=n, freq="M")
    mu = 200 * (1 + 0.25 * np.cos(2 * np.pi * (idx.month - 12) / 12)) * np.exp(-0.003 * np.arange(n))
    y = rng.poisson(mu)
    if spike is not None:
        y[spike] = int(mu[spike] * factor)
    return pd.Series(y, index=idx), mu


def test_exceptions_found_on_spikes_and_rarely_on_clean_series():
    false_alarm, found_high, found_low = 0, 0, 0
    for seed in range(60):
        clean, _ = seasonal_series(seed)
        false_alarm += (expected_range(clean).iloc[-24:]["direction"] != "").any()
        k = 100 + seed % 20
        hi, _ = seasonal_series(seed, spike=k, factor=1.6)
        found_high += expected_range(hi).loc[hi.index[k], "direction"] == "high"
        lo, _ = seasonal_series(seed, spike=k, factor=0.45)
        found_low += expected_range(lo).loc[lo.index[k], "direction"] == "low"
    assert false_alarm <= 6  # at most 10 % of clean series show any flag in 24 months
    assert found_high >= 57 and found_low >= 57  # at least 95 % of the injected months found
    clean, _ = seasonal_series(0)
    assert (expected_range(clean)["direction"] == "").all()  # none on this clean series


@pytest.mark.parametrize("change,high,expected", [
    (-5.0, False, "GREEN"), (-4.9, False, "AMBER"), (4.9, False, "AMBER"), (5.0, False, "RED"),
    (-20.0, True, "AMBER"), (30.0, True, "RED"), (None, False, "AMBER"), (0.0, False, "AMBER"),
])
def test_rag_rule_boundaries(change, high, expected):
    assert rag_rating(change, high_exception_recent=high) == expected


def test_rag_thresholds_are_configurable():
    assert rag_rating(-3.0, green=2.0) == "GREEN" and rag_rating(3.0, red=2.0) == "RED"


@pytest.fixture(scope="module")
def london(shared_data):
    d = shared_data
    return LondonContext.from_files(d / "crime" / "london_burglary_lsoa_month_counts_2013-12_2025-02.csv.gz",
                                    d / "demographics" / "london_lsoa_population_mid2015.csv",
                                    d / "demographics" / "lsoa2011_census2011_population_households.csv",
                                    d / "demographics" / "london_lsoa_imd2019.csv",
                                    d / "boundaries" / "london_boroughs.geojson")


def test_report_volumes_equal_an_independent_pandas_count(barnet_intake, london):
    inc = barnet_intake.incidents
    rep = build_report(inc, "Barnet", "2024-12", london=london)
    m = inc["occurred"].dt.strftime("%Y-%m")
    count = m.value_counts()

    def total(months):
        return int(sum(count.get(x, 0) for x in months))

    assert rep.latest_quarter["volume"] == total(["2024-10", "2024-11", "2024-12"])
    prev_q = total(["2023-10", "2023-11", "2023-12"])
    assert rep.latest_quarter["change_pct"] == round((rep.latest_quarter["volume"] - prev_q) / prev_q * 100, 1)
    r12 = total([f"2024-{k:02d}" for k in range(1, 13)])
    p12 = total([f"2023-{k:02d}" for k in range(1, 13)])
    assert rep.rolling_12m == {"volume": r12, "change_pct": round((r12 - p12) / p12 * 100, 1)}
    # the earliest complete financial year in data starting 2013-12 is April 2014 - March 2015
    fy = total([f"2014-{k:02d}" for k in range(4, 13)] + [f"2015-{k:02d}" for k in range(1, 4)])
    assert rep.vs_baseline == {"fy": 2014, "volume": fy, "change_pct": round((r12 - fy) / fy * 100, 1)}
    assert rep.rag == rag_rating(rep.rolling_12m["change_pct"],
                                 high_exception_recent=any(x["direction"] == "high" and x["month"] >= "2024-10"
                                                           for x in rep.exceptions))
    html = report_html(rep)
    assert 'id="rag"' in html and "data:image/png;base64," in html and "http" not in html.split("<small>")[0]


def test_ranks_are_consistent_with_the_london_counts(shared_data, barnet_intake, london):
    c = pd.read_csv(shared_data / "crime" / "london_burglary_lsoa_month_counts_2013-12_2025-02.csv.gz")
    c = c[(c["Month"] >= "2024-01") & (c["Month"] <= "2024-12")]
    c["borough"] = c["LSOA name"].str.rsplit(" ", n=1).str[0]
    pop = pd.read_csv(shared_data / "demographics" / "london_lsoa_population_mid2015.csv")
    p = pop.groupby("Local Authority District name (2019)")["Total population: mid 2015 (excluding prisoners)"].sum()
    hh = pd.read_csv(shared_data / "demographics" / "lsoa2011_census2011_population_households.csv")
    h = hh.groupby("lad_name")["households"].sum().reindex(p.index)  # London's areas: those with a population
    # ranks are per 1,000 households (settings.RANK_BASIS), as the league's
    rate = (c.groupby("borough")["burglary_count"].sum() / h * 1000).dropna().sort_values(ascending=False)
    rate = rate[p.reindex(rate.index) >= 20_000]  # City of London (~7,000 residents) is not ranked
    rep = build_report(barnet_intake.incidents, "Barnet", "2024-12", london=london, peers=["Brent", "Harrow", "Enfield"])
    assert rep.london_of == len(rate) == 32
    assert rep.london_rank == list(rate.index).index("Barnet") + 1
    group = rate.loc[["Barnet", "Brent", "Harrow", "Enfield"]].sort_values(ascending=False)
    assert rep.peer_rank == list(group.index).index("Barnet") + 1
    # the rate comes from the same counting as the rank (the reference's), never from the input's volume
    assert rep.rate_per_1000["households"] == pytest.approx(rate["Barnet"], abs=1e-3)
    assert rep.rank_counting.startswith("LSOA month counts") and rep.warnings == []


def test_default_peers_are_the_nearest_in_density_and_deprivation(london):
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    peers = london.peers("Barnet")
    assert len(peers) == 5 and "Barnet" not in peers
    # an independent reference: scikit-learn's scaler and neighbour search
    df = pd.DataFrame({"d": london.density, "i": london.deprivation}).dropna()
    X = StandardScaler().fit_transform(df.to_numpy())
    nn = NearestNeighbors(n_neighbors=6).fit(X)
    idx = nn.kneighbors(X[[list(df.index).index("Barnet")]], return_distance=False)[0]
    assert peers == [b for b in df.index[idx] if b != "Barnet"]


def test_financial_years():
    s = pd.Series(1, index=pd.period_range("2013-12", "2016-05", freq="M"))
    assert complete_financial_years(s) == [2014, 2015]


def test_poisson_glm_matches_scikit_learn():
    from sklearn.linear_model import PoissonRegressor

    from hotspot.report import poisson_glm

    rng = np.random.default_rng(1)
    n = 60
    X = np.column_stack([np.ones(n), np.eye(12)[np.arange(n) % 12][:, 1:], np.arange(n) / 12])
    y = rng.poisson(np.exp(X @ np.r_[5, rng.normal(0, 0.2, 11), -0.05])).astype(float)
    ours = poisson_glm(X, y)
    ref = PoissonRegressor(alpha=0, max_iter=10_000, tol=1e-12).fit(X[:, 1:], y)
    np.testing.assert_allclose(ours[1:], ref.coef_, atol=1e-5)
    np.testing.assert_allclose(ours[0], ref.intercept_, atol=1e-5)


def _month_design(n: int) -> np.ndarray:
    return np.column_stack([np.ones(n), np.eye(12)[np.arange(n) % 12][:, 1:], (np.arange(n) - n / 2) / 12])


def test_poisson_glm_leaves_out_a_zero_weight_row_even_when_its_mean_underflows():
    # The left-out row sits far along the trend, where exp(eta) is 0.0 in
    # floating point: it must change neither the coefficients nor warn.
    from hotspot.report import poisson_glm

    rng = np.random.default_rng(3)
    X = _month_design(48)
    y = rng.poisson(np.exp(X @ np.r_[2.0, rng.normal(0, 0.2, 11), -0.3])).astype(float)
    far = np.r_[1.0, np.zeros(11), 5_000.0]  # exp(2 - 0.3 * 5000) underflows to 0
    w = np.r_[np.ones(48), 0.0]
    with_row = poisson_glm(np.vstack([X, far]), np.r_[y, 0.0], w)
    np.testing.assert_allclose(with_row, poisson_glm(X, y), rtol=0, atol=1e-9)


def test_poisson_glm_refuses_a_mean_that_falls_to_zero():
    # No count at all in one calendar month: the likelihood grows without
    # bound as that month's effect goes to minus infinity (no finite fit).
    from hotspot._errors import ModelError
    from hotspot.report import poisson_glm

    X = _month_design(60)
    y = np.where(np.arange(60) % 12 == 3, 0.0, 4.0)
    with pytest.raises(ModelError, match="expects no burglaries at all in some months"):
        poisson_glm(X, y)


def test_expected_range_names_a_calendar_month_without_burglaries():
    from hotspot._errors import ModelError

    idx = pd.period_range("2019-01", periods=60, freq="M")
    rng = np.random.default_rng(5)
    counts = rng.poisson(3, 60)
    counts[idx.month == 1] = counts[idx.month == 8] = 0
    with pytest.raises(ModelError, match=r"no burglaries in any January, August of the 60 months fitted"):
        expected_range(pd.Series(counts, index=idx))
    counts[(idx.month == 8) & (idx.year == 2021)] = 1  # one August burglary: August has a finite effect
    with pytest.raises(ModelError, match=r"no burglaries in any January of the"):
        expected_range(pd.Series(counts, index=idx))
    counts[(idx.month == 1) & (idx.year == 2020)] = 2
    rng_ = expected_range(pd.Series(counts, index=idx))
    assert np.isfinite(rng_["expected"]).all() and (rng_["expected"] > 0).all()


# --------------------------------------------------------------------------- refusals and warnings (issue 9)


def test_report_refuses_a_month_after_the_data_end(barnet_intake, london):
    with pytest.raises(HotspotError, match=r"month=2026-01: the data end in 2025-02; months after it are missing"):
        build_report(barnet_intake.incidents, "Barnet", "2026-01", london=london)


def test_report_refuses_a_month_missing_inside_its_windows(barnet_intake, london):
    inc = barnet_intake.incidents
    holed = inc[inc["occurred"].dt.strftime("%Y-%m") != "2024-06"]
    with pytest.raises(HotspotError, match=r"month\(s\) 2024-06 have no incident .* look incomplete"):
        build_report(holed, "Barnet", "2024-12", london=london)
    # a hole outside every window the figures use is a warning in the output, not silence
    old = inc[inc["occurred"].dt.strftime("%Y-%m") != "2020-06"]
    rep = build_report(old, "Barnet", "2024-12", london=london)
    assert any(w.startswith("2020-06 has no incident") for w in rep.warnings)
    assert "2020-06 has no incident" in report_html(rep)


def test_missing_months_need_a_level_that_makes_zero_implausible():
    from hotspot.report import probably_missing_months

    idx = pd.period_range("2020-01", "2021-12", freq="M")
    busy = pd.Series(20, index=idx)
    busy.iloc[10] = 0
    quiet = pd.Series([0, 1, 2, 0, 1, 0, 3, 1, 0, 2, 0, 1] * 2, index=idx)  # a ward: zeros are real
    assert probably_missing_months(busy) == [idx[10]]
    assert probably_missing_months(quiet) == []


def test_unknown_peers_are_an_error_with_closest_matches(barnet_intake, london):
    with pytest.raises(HotspotError, match=r"peers=: unknown area 'Harow': did you mean Harrow"):
        build_report(barnet_intake.incidents, "Barnet", "2024-12", london=london, peers=["Harow", "Enfield"])


def test_partial_input_withholds_rates_and_ranks_and_says_so(shared_data, london):
    from hotspot.areas import load_area
    from hotspot.intake import read_incidents

    enfield = load_area(shared_data / "boundaries" / "london_boroughs.geojson", "Enfield")
    fringe = read_incidents(shared_data / "crime" / "barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv",
                            crime_types="Burglary", area=enfield).incidents
    rep = build_report(fringe, "Enfield", "2025-02", london=london)
    ref = london.volume("Enfield", pd.Period("2025-02", "M"))
    assert rep.rolling_12m["volume"] < 0.5 * ref  # the fringe file holds only the part of Enfield near Barnet
    assert rep.london_rank is None and rep.peer_rank is None and rep.rate_per_1000["residents"] is None
    assert any("covers the area only partly" in w and f"{ref:,}" in w for w in rep.warnings)
    assert rep.to_json()["warnings"] == rep.warnings and "only partly" in report_html(rep)


def test_the_clock_change_is_the_areas_own():
    from hotspot import settings as hs
    from hotspot.campaigns import clock_rule_for

    assert clock_rule_for(-0.2, 51.6) == "eu" and clock_rule_for(-87.6, 41.9) == "us"
    assert clock_rule_for(151.2, -33.9) == "none"
    # US: first Sunday of November (2024-11-03, 2025-11-02); no DST: 1 November
    assert clocks_go_back(2024, "us") == pd.Timestamp("2024-11-03")
    assert clocks_go_back(2025, "us") == pd.Timestamp("2025-11-02")
    assert clocks_go_back(2025, "none") == pd.Timestamp("2025-11-01")
    old = hs.CLOCK_RULE
    try:
        hs.CLOCK_RULE = "us"
        assert clock_rule_for(-0.2, 51.6) == "us"  # a setting, changeable at run time
    finally:
        hs.CLOCK_RULE = old
    with pytest.raises(HotspotError, match="clock rule 'mars'"):
        clocks_go_back(2025, "mars")


def test_a_handful_of_burglaries_gets_no_rating(barnet_intake):
    inc = barnet_intake.incidents
    few = inc.iloc[::300]  # ~115 burglaries over 11 years: ~10 a year
    rep = build_report(few, "Barnet", "2024-12")
    assert rep.rag == "n/a" and any("too few for a rating" in w for w in rep.warnings)
    # ~1 a month leaves a calendar month without any in five years: no band, said, and the counts still shown
    assert any(w.startswith("the expected range cannot be fitted: no burglaries in any ") and
               w.endswith("; no exceptions and no RAG rating") for w in rep.warnings)
    assert rep.series["expected"].isna().all() and rep.exceptions == []
    expected_counts = few["occurred"].dt.to_period("M").value_counts()
    assert rep.series["observed"].sum() == expected_counts[expected_counts.index.isin(rep.series.index)].sum()
    assert len(rep.to_csv_frame()) == 60
    assert "no exceptions and no RAG rating" in report_html(rep)  # the chart draws the counts without a band
    assert build_report(inc, "Barnet", "2024-12").rag in ("RED", "AMBER", "GREEN")


def test_campaign_units_from_a_users_layer(shared_data, barnet):
    from hotspot.campaigns import campaign_units, lsoa_units

    d = shared_data
    lsoas = lsoa_units(d / "boundaries" / "lsoa2011_barnet_and_neighbours.geojson",
                       d / "demographics" / "lsoa2011_census2011_population_households.csv", barnet)
    wards = gpd.read_file(d / "boundaries" / "wards_barnet_and_neighbours_martinjc.geojson")
    u = campaign_units(barnet, units=wards, unit_column="WD13NM", lsoas=lsoas)
    # Barnet's 21 wards (2013), households interpolated by area from the LSOAs: the totals agree
    assert len(u) == 21 and set(u["name"]) <= set(wards["WD13NM"])
    assert u["households"].sum() == pytest.approx(lsoas["households"].sum(), rel=0.02)
    assert campaign_units(barnet, units=wards, lsoas=lsoas)["unit"].str.startswith("E05").all()  # first text column
    with pytest.raises(HotspotError, match="give LSOAs with households"):
        campaign_units(barnet, units=wards, unit_column="WD13NM")


@pytest.mark.parametrize("rule", ["partial", "whole"])
def test_the_plan_keeps_the_allocation_rule_apart_from_the_clock_rule(rule):
    from shapely.geometry import box

    from hotspot.campaigns import plan_campaign

    # four 500 m units in north London; burglary in all seasons over two years
    units = gpd.GeoDataFrame({"unit": list("abcd"), "name": list("ABCD"), "households": [400, 300, 200, 100]},
                             geometry=[box(525000 + 500 * i, 190000, 525500 + 500 * i, 190500) for i in range(4)],
                             crs=27700)
    rng = np.random.default_rng(3)
    n = 240
    inc = gpd.GeoDataFrame({"incident_id": [f"i{k}" for k in range(n)],
                            "occurred": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D"),
                            "date_precision": "day"},
                           geometry=gpd.points_from_xy(rng.uniform(525000, 527000, n), rng.uniform(190000, 190500, n)),
                           crs=27700)
    plan = plan_campaign(units, inc, leaflets=500, timer_switches=50, rule=rule, as_of="2025-01-15")
    assert plan.rule == rule and plan.clock_rule == "eu"  # London: clocks go back on the last Sunday of October
    assert plan.to_json()["rule"] == rule and plan.to_json()["clock_rule"] == "eu"
    assert plan.clocks_go_back == pd.Timestamp("2025-10-26")
    assert plan.to_json()["units"]["expected_burglaries"] == "burglaries per year"  # not per campaign window


def test_the_report_credits_its_own_source_and_says_why_it_has_no_rank(barnet_intake):
    from hotspot.report import area_report, data_source

    inc = barnet_intake.incidents
    police = area_report(inc, "Barnet", "2024-12", sources=barnet_intake.detected)
    assert police.source == "data.police.uk (Open Government Licence v3.0)"
    page = report_html(police)
    assert "Source: data.police.uk (Open Government Licence v3.0)." in page and "London rank" not in page
    assert "<p>Rank: n/a<br>" in page and any("no reference counts" in w for w in police.warnings)
    other = data_source([{"file": "/x/cincinnati.csv", "format": "records-system CSV"}])
    assert other == "the incident files given: cincinnati.csv"
    assert "data.police.uk" not in report_html(area_report(inc, "Town", "2024-12", sources=[
        {"file": "/x/cincinnati.csv", "format": "records-system CSV"}]))


def test_target_units_beyond_the_postcode_layer_are_named_as_such():
    from shapely.geometry import box

    from hotspot.campaigns import plan_campaign

    units = gpd.GeoDataFrame({"unit": list("abcd"), "name": list("ABCD"), "households": [400, 300, 200, 100]},
                             geometry=[box(525000 + 2000 * i, 190000, 525500 + 2000 * i, 190500) for i in range(4)],
                             crs=27700)
    rng = np.random.default_rng(3)
    n = 240
    x = rng.choice([525250 + 2000 * i for i in range(4)], n) + rng.uniform(-200, 200, n)
    inc = gpd.GeoDataFrame({"incident_id": [f"i{k}" for k in range(n)],
                            "occurred": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D"),
                            "date_precision": "day"},
                           geometry=gpd.points_from_xy(x, rng.uniform(190050, 190450, n)), crs=27700)
    # postcodes in unit a only: the layer stops short of the other three
    pcs = gpd.GeoDataFrame({"postcode": ["AB1 1AA", "AB1 1AB"]},
                           geometry=gpd.points_from_xy([525100, 525400], [190100, 190400]), crs=27700)
    plan = plan_campaign(units, inc, leaflets=1000, timer_switches=100, as_of="2025-01-15", postcodes=pcs)
    note = next(x for x in plan.notes if "no postcode of the postcode layer" in x)
    assert note.startswith("3 target units have no postcode") and "3 of them lie beyond the postcode layer" in note


def test_a_red_or_green_change_within_chance_is_flagged():
    from math import comb

    from hotspot.report.rag import _chance_note

    # City of London, 35 -> 48: by hand, the two-sided exact binomial p of 48 of 83 at 1/2
    tail = sum(comb(83, k) for k in range(48, 84)) / 2 ** 83
    note = _chance_note(48, 35, "RED")
    assert len(note) == 1 and f"p = {min(1.0, 2 * tail):.2f}" in note[0] and "35 -> 48" in note[0]
    assert _chance_note(400, 300, "RED") == []  # p < 0.001: a real rise


def test_report_and_league_rate_a_change_by_one_rule():
    from hotspot.report import rag_with_caveats

    assert rag_with_caveats(2, 1) == ("n/a", ["only 1 burglaries in the 12 months before and 2 in the last 12: too few "
                                              "for a rating (check that the input covers the area)"])
    rag, notes = rag_with_caveats(48, 35)
    assert rag == "RED" and len(notes) == 1 and "p = 0.19" in notes[0]
    assert rag_with_caveats(400, 300) == ("RED", []) and rag_with_caveats(300, 300) == ("AMBER", [])
    assert rag_with_caveats(200, 300, high_exception_recent=True) == ("AMBER", [])


def test_read_postcodes_reads_what_it_uses_and_projects_as_geopandas(tmp_path):
    # a GeoParquet postcode layer in lon/lat with columns the reader does not use: the points read are the points
    # geopandas' to_crs makes, the postcode column is found in any case, and a missing column is named with them all
    from shapely.geometry import Polygon

    from hotspot._errors import InputFileError
    from hotspot.places import read_postcodes

    rng = np.random.default_rng(7)
    n = 500
    lon, lat = rng.uniform(-0.3, 0.1, n), rng.uniform(51.4, 51.6, n)
    layer = gpd.GeoDataFrame({"Postcode": [f" n{i % 9}  {i}ab " for i in range(n)], "ward": ["W"] * n,
                              "Delivery_Points": rng.integers(1, 40, n), "easting": np.arange(n)},
                             geometry=gpd.points_from_xy(lon, lat), crs=4326)
    path = tmp_path / "units.parquet"
    layer.to_parquet(path)
    got = read_postcodes(path, 27700)
    want = layer.to_crs(27700)
    assert np.array_equal(shapely.get_coordinates(got.geometry.values), shapely.get_coordinates(want.geometry.values))
    assert got["postcode"].tolist() == [p.strip().upper() for p in layer["Postcode"]]
    assert got["households"].tolist() == layer["Delivery_Points"].tolist()
    assert got.crs.equals(want.crs)
    polygons = layer.set_geometry([Polygon([(x, y), (x + 1e-3, y), (x, y + 1e-3)]) for x, y in zip(lon, lat)], crs=4326)
    polygons.to_parquet(tmp_path / "polys.parquet")
    by_polygon = read_postcodes(tmp_path / "polys.parquet", 27700)  # polygons: geopandas' own to_crs, then a point
    assert np.array_equal(shapely.get_coordinates(by_polygon.geometry.values),
                          shapely.get_coordinates(polygons.to_crs(27700).representative_point().values))
    with pytest.raises(InputFileError, match="columns: Postcode, ward, Delivery_Points, easting, geometry"):
        read_postcodes(path, 27700, column="pcd")
