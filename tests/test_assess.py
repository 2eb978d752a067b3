"""`hotspot assess` (issue 19): the statistics against published worked
examples and simulation, a planted effect with displacement, a null
calibration on synthetic data with a known null, refusals, and the board
page and map in a browser."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot.areas import area_from_geometry
from hotspot.assess import AssessOptions, Assessor, assess_intervention
from hotspot.assess.estimates import did_rate_ratio, fit_dispersion, placebo_adjust, wdd, wdq
from hotspot.assess.selection import NanoBeatRule

SIDE = 3000.0
X0, Y0 = 520_000.0, 180_000.0  # in Great Britain, so the CLI reads its lon/lat as British
AREA = area_from_geometry(box(X0, Y0, X0 + SIDE, Y0 + SIDE), 27700, "Testham")


# --------------------------------------------------------------------------- estimates
def test_wdd_reproduces_the_papers_worked_example():
    # Wheeler & Ratcliffe (2018), Crime Science 7:11, worked example (as in the
    # authors' ptools::wdd test "Est & Variance Paper"): control 308 -> 318,
    # treated 207 -> 110, control displacement 150 -> 140, treated displacement 178 -> 157
    r = wdd(treated=(207, 110), control=(308, 318), disp_treated=(178, 157), disp_control=(150, 140))
    assert r.value == -118
    assert r.se == pytest.approx(np.sqrt(1568))
    assert round(r.z, 2) == -2.98
    assert (round(r.ci95[0]), round(r.ci95[1])) == (-196, -40)
    # its parts: the treated places alone and the displacement areas alone
    assert (r.local, r.local_se) == (-107, pytest.approx(np.sqrt(943)))
    assert (r.displacement, r.displacement_se) == (-11, pytest.approx(25.0))


def test_wdd_small_examples_from_the_authors_tests():
    assert wdd(treated=(20, 10), control=(20, 20)).local == -10
    assert wdd(treated=(20, 20), control=(20, 20), disp_treated=(20, 10), disp_control=(20, 20)).displacement == -10
    assert wdd(treated=(20, 10), control=(20, 20), disp_treated=(20, 10), disp_control=(20, 20)).value == -20


def test_wdq_hand_computed_readings():
    # success measure 50/200 - 100/200 = -0.25
    assert wdq((100, 50), (80, 60), (200, 200)).value == pytest.approx(0.4)           # buffer fell too
    assert "diffusion" in wdq((100, 50), (80, 60), (200, 200)).reading
    assert wdq((100, 50), (80, 100), (200, 200)).value == pytest.approx(-0.4)         # buffer rose
    assert wdq((100, 50), (80, 100), (200, 200)).reading.startswith("displacement")
    assert wdq((100, 50), (80, 200), (200, 200)).value == pytest.approx(-2.4)
    assert "net harm" in wdq((100, 50), (80, 200), (200, 200)).reading
    assert wdq((100, 120), (80, 60), (200, 200)).value is None                        # no success: not read


def test_did_rate_ratio_is_the_ratio_of_ratios_and_its_interval_covers():
    rng = np.random.default_rng(1)
    true, hits, n = 0.7, 0, 400
    for _ in range(n):
        tb, cb, cc = rng.poisson(8, 6), rng.poisson(15, 6), rng.poisson(15, 6)
        ta = rng.poisson(8 * true, 6)
        r = did_rate_ratio(tb, ta, cb, cc)
        hits += r.ci95[0] <= true <= r.ci95[1]
    assert 0.92 <= hits / n <= 0.98
    r = did_rate_ratio([10, 10], [5, 5], [20, 20], [20, 20])
    assert r.rate_ratio == pytest.approx(0.5) and r.model == "poisson"
    assert r.log_se == pytest.approx(np.sqrt(1 / 20 + 1 / 10 + 1 / 40 + 1 / 40))


def test_overdispersion_picks_negative_binomial_and_keeps_coverage():
    rng = np.random.default_rng(2)
    hits, nb, n = 0, 0, 300
    for _ in range(n):
        def nbc(mu, k=12):  # gamma-Poisson, alpha = 0.5
            return rng.poisson(mu * rng.gamma(2.0, 0.5, k))
        r = did_rate_ratio(nbc(10), nbc(10), nbc(20), nbc(20))
        hits += r.ci95[0] <= 1.0 <= r.ci95[1]
        nb += r.model == "negative binomial"
    assert nb / n > 0.8
    assert 0.90 <= hits / n <= 0.99
    alpha, p = fit_dispersion([rng.poisson(10 * rng.gamma(2.0, 0.5, 4000))])
    assert alpha == pytest.approx(0.5, abs=0.06) and p < 1e-6
    assert fit_dispersion([rng.poisson(10, 4000)])[0] < 0.01


def test_placebo_adjustment_centres_and_ranks():
    lr = np.log(np.linspace(0.6, 1.0, 39))
    adj = placebo_adjust(np.log(0.3), lr)
    assert adj.expected_ratio == pytest.approx(np.exp(lr.mean()))
    assert adj.net_ratio == pytest.approx(0.3 / adj.expected_ratio)
    assert adj.p == pytest.approx(1 / 40)                   # beyond every placebo
    assert placebo_adjust(float(lr.mean()), lr).p == pytest.approx(1.0)
    # the interval is the test inverted: it excludes 1 exactly when the observation lies beyond
    # the placebos' 95th percentile distance from their mean
    half = np.quantile(np.abs(lr - lr.mean()), 0.95)
    for shift in (0.9 * half, 1.1 * half):
        a = placebo_adjust(float(lr.mean()) - shift, lr)
        assert (a.net_ci95[1] < 1.0) == (shift > half)
        assert a.net_ci95[0] * a.net_ci95[1] == pytest.approx(a.net_ratio ** 2)


# --------------------------------------------------------------------------- synthetic data
def synthetic(seed: int, months: int = 72, rate: float = 150.0, hot: bool = True) -> gpd.GeoDataFrame:
    """Monthly burglaries in a 3 km square: homogeneous Poisson (and, with
    ``hot``, a few fixed hot spots so the ranking is stable); no intervention."""
    rng = np.random.default_rng(seed)
    xs, ys, ts = [], [], []
    spots = rng.uniform(300, SIDE - 300, (8, 2))
    for m in range(months):
        k = rng.poisson(rate)
        xs.append(rng.uniform(0, SIDE, k)), ys.append(rng.uniform(0, SIDE, k))
        ts += [m] * k
        if hot:
            j = rng.poisson(4, len(spots))
            c = np.repeat(spots, j, axis=0) + rng.normal(0, 40, (j.sum(), 2))
            xs.append(c[:, 0]), ys.append(c[:, 1])
            ts += [m] * int(j.sum())
    x, y = np.clip(np.concatenate(xs), 1, SIDE - 1), np.clip(np.concatenate(ys), 1, SIDE - 1)
    occurred = pd.PeriodIndex([pd.Period("2018-01", "M") + int(t) for t in ts]).to_timestamp()
    return gpd.GeoDataFrame({"incident_id": [f"i{i}" for i in range(len(x))], "occurred": occurred,
                             "date_precision": "month", "crime_type": "Burglary", "location_text": ""},
                            geometry=gpd.points_from_xy(x + X0, y + Y0), crs=27700)


def _targets(rule: NanoBeatRule, when: str, n: int = 5) -> gpd.GeoDataFrame:
    places = rule.ranked(pd.Timestamp(when), n)
    return gpd.GeoDataFrame({"place_id": [f"NB{i + 1:02d}" for i in range(len(places))]}, geometry=places, crs=27700)


@pytest.fixture(scope="module")
def null_data():
    return synthetic(7)


def test_null_calibration_on_synthetic_data_with_a_known_null(null_data):
    # nothing was done anywhere: assess must rarely call an effect, while
    # naive before/after on the top-ranked places claims falls (regression to the mean)
    rule, cache = NanoBeatRule(null_data, AREA), {}
    called, naive_falls, model_calls = 0, 0, 0
    starts = [str((pd.Period("2018-01", "M") + m).to_timestamp().date()) for m in range(44, 68, 3)]
    for start in starts:
        res = Assessor(null_data, AREA, rule, pd.Timestamp(start), cache=cache).solve(
            _targets(rule, start), 3, 200.0, max_placebos=30)
        assert res.rtm is not None and res.rtm.n >= 19
        called += res.called
        model_calls += res.effect.p < 0.05
        naive_falls += (res.naive_change or 0) <= -0.2
    assert called <= 1                      # P(>= 2 of 8 | 5 %) = 0.06
    assert naive_falls >= 3                 # the naive reading is fooled
    assert naive_falls > called


def planted(data: gpd.GeoDataFrame, treated: gpd.GeoDataFrame, start: str, end: str, share: float, move: float,
            seed: int) -> gpd.GeoDataFrame:
    """Remove ``share`` of the after-period burglaries in the treated places;
    put ``move`` of those removed into the 200 m buffer (seeded)."""
    rng = np.random.default_rng(seed)
    union = treated.geometry.union_all()
    t = pd.DatetimeIndex(data["occurred"])
    after = (t >= pd.Timestamp(start)) & (t < pd.Timestamp(end))
    inside = data.geometry.within(union).to_numpy() & after
    drop = inside & (rng.uniform(size=len(data)) < share)
    moved = data[drop & (rng.uniform(size=len(data)) < move)].copy()
    ring = union.buffer(150).difference(union.buffer(20))
    pts = ring.representative_point()
    moved["geometry"] = gpd.points_from_xy(np.full(len(moved), pts.x) + rng.normal(0, 5, len(moved)),
                                           np.full(len(moved), pts.y) + rng.normal(0, 5, len(moved)))
    moved["incident_id"] = [f"m{i}" for i in range(len(moved))]
    return pd.concat([data[~drop], moved], ignore_index=True)


@pytest.mark.parametrize("share", [0.5, 0.8])
def test_planted_effect_is_recovered_and_displacement_flagged(share):
    data = synthetic(11, rate=120.0)
    rule = NanoBeatRule(data, AREA)
    start, end = "2022-01-01", "2022-07-01"
    treated = _targets(rule, start, 5)
    base = Assessor(data, AREA, rule, pd.Timestamp(start)).solve(treated, 6, 200.0, max_placebos=30)
    cut = planted(data, treated, start, end, share=share, move=0.6, seed=3)
    res = Assessor(cut, AREA, NanoBeatRule(cut, AREA), pd.Timestamp(start)).solve(treated, 6, 200.0, max_placebos=30)
    removed = 1 - res.counts["treatment"]["after"] / base.counts["treatment"]["after"]
    assert abs(removed - share) < 0.1                                   # the seeded cut is what was planted
    effect = res.effect.rate_ratio / base.effect.rate_ratio            # planted vs the same data without it
    assert effect == pytest.approx(1 - removed, rel=0.02)
    lo, hi = res.effect.ci95
    assert lo <= base.effect.rate_ratio * (1 - removed) <= hi            # the cut within the interval
    assert res.effect.rate_ratio < base.effect.rate_ratio
    # net of regression to the mean, 5 targets over 6 months detect an 80 % cut (a 50 % one is at the edge of
    # their power: called or not depending on which places the rule picks, so not asserted)
    if share == 0.8:
        assert res.called
    assert res.rtm is not None and res.rtm.net_ci95[0] <= (1 - removed) / res.rtm.expected_ratio * \
        base.effect.rate_ratio <= res.rtm.net_ci95[1]
    # displacement: the buffer rose relative to control; the WDQ is read only when the treated places fell
    # relative to control, and then it says displacement
    assert res.wdd.displacement > base.wdd.displacement  # the buffer part of the WDD rose
    if share == 0.8:
        assert res.wdq.value is not None
    if res.wdq.value is not None:
        assert res.wdq.value < 0 and "displacement" in res.wdq.reading
    else:
        assert res.wdq.success > 0
    assert res.wdd.displacement > 0 and base.wdd.displacement < res.wdd.displacement


# --------------------------------------------------------------------------- API and CLI
def _layer(tmp_path, rule, start, n=5):
    path = tmp_path / "nb.geojson"
    t = _targets(rule, start, n).rename(columns={"place_id": "target_id"})
    t["active_until"] = "2022-03"
    t.to_crs(4326).to_file(path)
    return path


def test_assess_intervention_reads_a_nanobeat_layer_and_json_has_the_keys(tmp_path, null_data):
    rule = NanoBeatRule(null_data, AREA)
    res = assess_intervention(null_data, AREA, _layer(tmp_path, rule, "2022-01-01"),
                              AssessOptions(start="2022-01-01", end="2022-04-01", max_placebos=25))
    j = json.loads(json.dumps(res.to_json()))
    assert res.kind == "nanobeats" and res.buffer_m == 200.0
    assert set(j["effect"]) >= {"rate_ratio", "ci95", "p", "model"}
    assert set(j["wdd"]) >= {"value", "se"} and "wdq" in j and "verdict" in j
    assert set(j["counts"]) >= {"treatment", "buffer", "control"}
    assert set(j["rtm"]) >= {"expected_ratio", "placebo_dates"} and len(j["rtm"]["placebo_dates"]) == 25
    # counts add up: per-place rows equal the region totals
    pl = res.places
    assert pl.loc[pl.role == "treatment", "after"].sum() == res.counts["treatment"]["after"]
    assert pl.loc[pl.role == "control", "before"].sum() == res.counts["control"]["before"]
    # controls never overlap the treated places or their buffer
    t = pl[pl.role == "treatment"].union_all()
    assert not pl[pl.role == "control"].intersects(t.buffer(200.0)).any()
    assert ("no detectable effect" in res.verdict) != res.called


def test_dosage_rows_add_up_and_koper_shares(tmp_path, null_data):
    rule = NanoBeatRule(null_data, AREA)
    log = tmp_path / "visits.csv"
    pd.DataFrame({"target_id": ["NB01", "NB01", "NB02", "NB99", "NB03", "NB01"],
                  "time": ["2022-01-05 10:00", "2022-01-06 11:00", "2022-02-01 09:00", "2022-01-05", "2021-12-01",
                           "not a date"],
                  "minutes": [12, 5, 20, 10, 15, 10]}).to_csv(log, index=False)
    res = assess_intervention(null_data, AREA, _layer(tmp_path, rule, "2022-01-01"),
                              AssessOptions(start="2022-01-01", end="2022-04-01", visits=log, max_placebos=0))
    d = res.dosage
    assert d["rows"] == d["accepted"] + d["rejected"] + d["filtered"] == 6
    assert (d["accepted"], d["rejected"], d["filtered"]) == (3, 2, 1)
    assert d["per_target"]["NB01"] == {"visits": 2, "minutes": 17.0, "mean_minutes": 8.5}
    assert d["koper"]["share_in_band"] == round(1 / 3, 4) and d["koper"]["share_short"] == round(1 / 3, 4)
    assert any("placebo dates" in w for w in res.warnings)           # no placebos: said, verdict from the model


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, null_data):
    d = tmp_path_factory.mktemp("assess")
    inc = null_data.to_crs(4326)
    pd.DataFrame({"Crime ID": inc["incident_id"], "Month": inc["occurred"].dt.strftime("%Y-%m"),
                  "Longitude": inc.geometry.x, "Latitude": inc.geometry.y, "Crime type": "Burglary",
                  "Location": "On or near Test Street"}).to_csv(d / "crimes.csv", index=False)
    gpd.GeoDataFrame({"name": ["Testham"]}, geometry=[AREA.geometry], crs=27700).to_crs(4326).to_file(d / "area.geojson")
    rule = NanoBeatRule(null_data, AREA)
    layer = _layer(d, rule, "2022-01-01")
    far = gpd.GeoDataFrame({"id": ["X"]}, geometry=[box(X0 + SIDE + 5000, Y0, X0 + SIDE + 5100, Y0 + 100)], crs=27700)
    far.to_crs(4326).to_file(d / "outside.geojson")
    t = gpd.read_file(layer).to_crs(27700)
    gpd.GeoDataFrame({"id": ["C1"]}, geometry=[t.geometry.iloc[0].buffer(50)], crs=27700).to_crs(4326).to_file(
        d / "overlap.geojson")
    return d, layer


def _cli(capsys, *args):
    from cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("extra,needle", [
    (["--start", "2030-01-01"], "outside the data"),
    (["--start", "2022-01-01", "--end", "2022-01-01"], "after-period is empty"),
    (["--start", "2022-01-01", "--end", "2031-01-01"], "after the data"),
    (["--start", "2022-01-15"], "first day of a month"),
    (["--start", "2022-01-01", "--control", "OVERLAP"], "overlap the treated places"),
    (["--start", "2022-01-01", "--intervention", "OUTSIDE"], "outside Testham"),
])
def test_cli_refuses_in_one_line(capsys, cli_files, extra, needle):
    d, layer = cli_files
    extra = [str(d / "overlap.geojson") if e == "OVERLAP" else str(d / "outside.geojson") if e == "OUTSIDE" else e
             for e in extra]
    args = [d / "crimes.csv", "--area-file", d / "area.geojson", "--area", "Testham", "--intervention", layer, *extra]
    code, out, err = _cli(capsys, "assess", *args, "-q")
    assert code == 2, err
    assert needle in err and "Traceback" not in err
    assert len([ln for ln in err.strip().splitlines() if ln.startswith("error")]) == 1


def test_cli_json_page_and_map_open_in_chromium(capsys, cli_files, tmp_path, browser):
    from browser import load_map

    from hotspot.disclosure import check_public
    from hotspot.intake import read_incidents

    d, layer = cli_files
    page, mp, pdf = tmp_path / "a.html", tmp_path / "m.html", tmp_path / "a.pdf"
    code, out, err = _cli(capsys, "assess", d / "crimes.csv", "--area-file", d / "area.geojson", "--area", "Testham",
                          "--intervention", layer, "--start", "2022-01-01", "--end", "2022-04-01", "--placebos", "20",
                          "--json", "--html", page, "--pdf", pdf, "--map", mp, "--public")
    assert code == 0, err
    import subprocess

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info              # one page for the board
    j = json.loads(out)
    assert j["kind"] == "nanobeats" and len(j["rtm"]["placebo_dates"]) == 20
    assert all(v is None or v == 0 or v >= 8 for c in j["counts"].values() for v in c.values())
    text = page.read_text()
    assert ("No detectable effect" in text) == (not j["effect_called"])
    assert "<script" not in text.split("<svg")[0]
    got = load_map(browser, page, settle=0.3)
    assert not got["severe"] and not got["errors"]
    got = load_map(browser, mp)
    assert not got["severe"] and not got["errors"] and got["leaflet"]
    assert {"treated places", "control places"} <= set(got["layers"])
    inc = read_incidents(d / "crimes.csv").incidents
    assert check_public([page, mp], inc) == []


def test_cli_json_equals_the_api_with_the_same_defaults(capsys, cli_files):
    from hotspot.areas import load_area
    from hotspot.intake import read_incidents

    d, layer = cli_files
    code, out, err = _cli(capsys, "assess", d / "crimes.csv", "--area-file", d / "area.geojson", "--area", "Testham",
                          "--intervention", layer, "--start", "2022-01-01", "--placebos", "20", "--json")
    assert code == 0, err
    area = load_area(d / "area.geojson", "Testham")
    inc = read_incidents(d / "crimes.csv", area=area).incidents
    api = assess_intervention(inc, area, layer, AssessOptions(start="2022-01-01", max_placebos=20)).to_json()
    assert json.loads(out) == json.loads(json.dumps(api))
    assert api["window"]["after"] == ["2022-01", "2024-01"]        # default end: the end of the data


def test_leaflet_plans_and_anpr_sites_are_read_as_hotspot_writes_them(tmp_path, null_data):
    from hotspot.assess import read_intervention
    from hotspot.assess.selection import square_cells

    # a leaflet plan: a table of units without geometry, joined to its unit layer
    cells = square_cells(AREA, 500.0)
    units = gpd.GeoDataFrame({"unit": [f"U{i:02d}" for i in range(len(cells))]}, geometry=cells, crs=27700)
    pd.DataFrame({"rank": [1, 2], "unit": ["U07", "U28"], "leaflets": [300, 250]}).to_csv(tmp_path / "plan.csv",
                                                                                             index=False)
    plan = read_intervention(tmp_path / "plan.csv", AREA, units=units)
    assert plan.kind == "leaflets" and plan.buffer_m == 200.0 and list(plan.places["place_id"]) == ["U07", "U28"]
    assert plan.places.geometry.iloc[0].equals(cells[7])
    res = assess_intervention(null_data, AREA, plan, AssessOptions(start="2022-01-01", end="2022-07-01",
                                                                   max_placebos=20))
    ctrl = res.places[res.places.role == "control"]
    assert len(ctrl) == 4 and all(any(g.equals(c) for c in cells) for g in ctrl.geometry)  # controls are units too
    assert res.control_rule.endswith("per unit of the plan's layer")
    with pytest.raises(Exception, match="units="):
        read_intervention(tmp_path / "plan.csv", AREA)
    # ANPR sites: points with site_id and install_order, a place is the 500 m coverage disc
    xy = gpd.GeoSeries(gpd.points_from_xy([X0 + 1000, X0 + 2000], [Y0 + 1500, Y0 + 1500]), crs=27700).to_crs(4326)
    gpd.GeoDataFrame({"site_id": ["C-1", "C-2"], "install_order": [1, 2]}, geometry=xy).to_file(tmp_path / "a.geojson")
    sites = read_intervention(tmp_path / "a.geojson", AREA)
    assert sites.kind == "anpr" and sites.buffer_m == 500.0
    assert sites.places.geometry.area.iloc[0] == pytest.approx(np.pi * 500.0 ** 2, rel=0.01)


def test_visits_by_lon_lat_go_to_the_target_they_fall_in(tmp_path, null_data):
    from hotspot.assess.dosage import summarise_visits
    from hotspot.crs import to_lonlat

    rule = NanoBeatRule(null_data, AREA)
    t = _targets(rule, "2022-01-01", 3)
    c = t.geometry.iloc[1].representative_point()
    lon, lat = to_lonlat([c.x, X0 - 500], [c.y, Y0 - 500], 27700)
    pd.DataFrame({"lon": lon, "lat": lat, "time": ["2022-01-03T10:00", "2022-01-03T11:00"],
                  "minutes": [14, 9]}).to_csv(tmp_path / "v.csv", index=False)
    d = summarise_visits(tmp_path / "v.csv", t, pd.Timestamp("2022-01-01"), pd.Timestamp("2022-04-01"))
    assert d["per_target"]["NB02"]["visits"] == 1 and d["reasons"] == {"not at a treated place": 1}


def test_weekly_periods_are_whole_weeks_inside_the_data():
    from hotspot.assess.core import Periods

    days = pd.date_range("2014-01-01", "2014-03-31", freq="D")  # a Wednesday to a Monday
    inc = gpd.GeoDataFrame({"occurred": days, "date_precision": "day"},
                           geometry=gpd.points_from_xy(np.full(len(days), X0 + 1), np.full(len(days), Y0 + 1)),
                           crs=27700)
    p = Periods.from_incidents(inc, pd.Timestamp("2014-02-03"))
    assert (p.unit, p.first, p.end) == ("week", -4, 8)
    assert p.stamp(p.first) >= days[0] and p.stamp(p.end) <= days[-1] + pd.Timedelta(days=1)
    assert p.stamp(p.first - 1) < days[0]                      # one more week back would be partial
    k = np.asarray(p.index(pd.DatetimeIndex(days)))
    assert (np.bincount(k[(k >= p.first) & (k < p.end)] - p.first) == 7).all()


def test_run_assesses_the_previous_plans_targets(capsys, cli_files, tmp_path):
    d, layer = cli_files
    code, out, err = _cli(capsys, "run", d / "crimes.csv", "--area", "Testham", "--area-file", d / "area.geojson",
                          "--no-reference", "--stages", "assess", "--assess-targets", layer, "--assess-start",
                          "2022-01-01", "--out", tmp_path / "maps", "--reports", tmp_path / "reports", "--no-gi",
                          "--json")
    assert code == 0, err
    j = json.loads(out)
    assert j["assess"]["kind"] == "nanobeats" and j["assess"]["window"]["after"][0] == "2022-01"
    assert (tmp_path / "reports" / "testham_assessment.html").is_file()
    code, out, err = _cli(capsys, "run", d / "crimes.csv", "--area", "Testham", "--area-file", d / "area.geojson",
                          "--no-reference", "--stages", "assess", "--assess-targets", layer, "--out",
                          tmp_path / "maps", "--reports", tmp_path / "reports", "--no-gi", "--json")
    assert code == 0 and "assess-start" in json.loads(out)["skipped"]["assess"]
