"""What a command computes is in the Python API with the same defaults
(issue 10): each command's JSON equals the API function's result called
with nothing but the inputs, and the defaults of the command, the API
function and :mod:`hotspot.settings` agree. Also: ``-q``/``-v`` anywhere on
the command line."""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot import settings
from hotspot._errors import HotspotError, OptionError

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def _cli_defaults(command: str) -> dict:
    """Option name -> default of a command, as the command line parses it."""
    import typer

    import cli

    group = typer.main.get_command(cli.app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    return {p.name: p.default for p in cmd.params}


def _as_printed(obj) -> object:
    """``obj`` as the CLI prints it (strict JSON: NaN as null), read back."""
    import cli

    return json.loads(json.dumps(cli._json_safe(obj), default=str))


def _api_defaults(fn) -> dict:
    return {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}


# --------------------------------------------------------------------------- defaults agree
def test_nanobeat_defaults_agree():
    from hotspot.nanobeats import NanoBeatOptions

    o, cli = NanoBeatOptions(), _cli_defaults("nanobeats")
    assert (o.n_targets, o.cell, o.target_radius) == (cli["targets"], cli["cell"], cli["target_radius"]) == (
        settings.NANOBEAT_TARGETS, settings.NANOBEAT_CELL_M, settings.NANOBEAT_TARGET_RADIUS_M)
    assert _cli_defaults("brief")["targets"] == o.n_targets


def test_backtest_anpr_leaflets_defaults_agree():
    from hotspot.campaigns import plan_leaflets
    from hotspot.forecast import backtest_at_coverage
    from hotspot.jobs.anpr import plan_anpr_for_area

    bt, cli = _api_defaults(backtest_at_coverage), _cli_defaults("backtest")
    assert bt["coverage"] == cli["coverage"] == settings.BACKTEST_COVERAGE_PCT
    assert bt["bootstrap"] == cli["bootstrap"] == settings.BACKTEST_BOOTSTRAP
    assert bt["seed"] == cli["seed"]
    an, cli = _api_defaults(plan_anpr_for_area), _cli_defaults("anpr")
    assert (an["cameras"], an["radius"], an["months"]) == (cli["cameras"], cli["radius"], cli["months"]) == (
        settings.ANPR_CAMERAS, settings.ANPR_RADIUS_M, settings.ANPR_MONTHS)
    lf, cli = _api_defaults(plan_leaflets), _cli_defaults("leaflets")
    assert (lf["leaflets"], lf["timer_switches"], lf["rule"], lf["method"]) == (
        cli["leaflets_budget"], cli["timer_switches"], cli["rule"], cli["method"]) == (
        settings.CAMPAIGN_LEAFLETS, settings.CAMPAIGN_TIMER_SWITCHES, settings.CAMPAIGN_RULE, settings.CAMPAIGN_METHOD)


# --------------------------------------------------------------------------- nano-beats
def test_nanobeat_options_refuse_conflicts():
    from hotspot.nanobeats import NanoBeatOptions

    with pytest.raises(OptionError, match="knox= or distance="):
        NanoBeatOptions(distance=100, knox={"p_value": []})
    with pytest.raises(OptionError, match="days= .* or months="):
        NanoBeatOptions(days=3, months=2)


def test_nanobeat_window_follows_the_date_precision(barnet_intake, shared_data):
    from hotspot.intake import read_incidents
    from hotspot.nanobeats import NanoBeatOptions

    monthly = barnet_intake.incidents
    assert NanoBeatOptions().window(monthly) == (settings.NANOBEAT_DISTANCE_M, settings.NANOBEAT_MONTHS)
    assert NanoBeatOptions(distance=150, months=3).window(monthly) == (150, 3)
    with pytest.raises(HotspotError, match="days=3: the dates are months only"):
        NanoBeatOptions(days=3).window(monthly)
    daily = read_incidents(shared_data / "crime/exact_dates/chicago_residential_burglary_2014_2017.csv",
                           crs="EPSG:26971").incidents.head(500)
    assert NanoBeatOptions().window(daily) == (settings.NANOBEAT_DISTANCE_M, settings.NANOBEAT_DAYS)
    with pytest.raises(HotspotError, match="months=2: the dates have days"):
        NanoBeatOptions(months=2).window(daily)
    # a zero is the user's value, never replaced by the default
    assert NanoBeatOptions(distance=0.0).window(daily)[0] == 0.0


def test_nanobeat_context_buffer():
    from hotspot.nanobeats import NanoBeatOptions

    knox = {"p_value": [[0.001, 0.5], [0.5, 0.5]], "ratio": [[2.0, 1.0], [1.0, 1.0]],
            "distance_bands": [[0, 150], [150, None]], "time_bands": [[0, 7], [7, None]]}
    assert NanoBeatOptions(distance=120).context_buffer() == 120
    assert NanoBeatOptions(knox=knox).context_buffer() == 150
    assert NanoBeatOptions().context_buffer() == settings.NANOBEAT_DISTANCE_M


def test_the_nanobeats_job_plans_with_the_settings_defaults(barnet, barnet_intake):
    # the `nanobeats` and `brief` commands and the run's stage all plan through hotspot.jobs.nanobeats.plan_patrols
    # (the command-vs-API comparison that stood here is moot): what is left to guard is the defaults it plans with
    from hotspot.jobs.nanobeats import plan_patrols

    plan = plan_patrols(barnet, barnet_intake.incidents, "2025-03-01")
    assert plan.window == (settings.NANOBEAT_DISTANCE_M, settings.NANOBEAT_MONTHS)
    assert len(plan.targets) == settings.NANOBEAT_TARGETS


# --------------------------------------------------------------------------- backtest
def test_backtest_at_coverage_gives_what_the_command_gives(barnet_csv, boroughs_file, barnet, barnet_intake):
    from hotspot.forecast import PeriodCounts, backtest_at_coverage

    r = run("backtest", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--crime-type", "Burglary",
            "--from", "2024-01", "--to", "2024-12", "--methods", "counts_12,counts_24", "--bootstrap", "100", "--json")
    assert r.returncode == 0, r.stderr
    pc = PeriodCounts.from_incidents(barnet_intake.incidents, barnet)
    bt = backtest_at_coverage(pc, start="2024-01", end="2024-12", methods=["counts_12", "counts_24"], bootstrap=100)
    assert json.loads(r.stdout) == _as_printed(bt.to_json())
    assert bt.to_json()["coverage"] == settings.BACKTEST_COVERAGE_PCT / 100
    # the table rows are the summary at the coverage asked, best PAI first
    rows = bt.rows()
    assert [x["method"] for x in rows] == list(bt.result.at(bt.level)["method"])
    assert rows[0]["pai"][bt.level] >= rows[1]["pai"][bt.level]
    assert set(rows[0]["pai"]) == {0.01, 0.05, 0.10}
    s = bt.result.summary
    at = s[(s.method == "counts_12") & np.isclose(s.coverage, 0.01)].iloc[0]
    assert next(x for x in rows if x["method"] == "counts_12")["pai"][0.01] == pytest.approx(at.pai)


def test_backtest_at_coverage_defaults_and_checks(barnet, barnet_intake):
    from hotspot.forecast import PeriodCounts, backtest_at_coverage

    pc = PeriodCounts.from_incidents(barnet_intake.incidents, barnet)
    with pytest.raises(OptionError, match=r"coverage= must be a percentage in \(0, 100\], got 0"):
        backtest_at_coverage(pc, coverage=0, methods=["counts_12"])
    with pytest.raises(OptionError, match="methods=: unknown method 'nope'"):
        backtest_at_coverage(pc, methods=["nope"])
    bt = backtest_at_coverage(pc, coverage=3, methods=["counts_12"], bootstrap=20)
    # by default the first BACKTEST_WARMUP_PERIODS periods only train; every later period is scored
    assert bt.result.periods["period"].astype(str).min() == str(pc.periods[settings.BACKTEST_WARMUP_PERIODS])
    assert bt.result.n_periods == len(pc.periods) - settings.BACKTEST_WARMUP_PERIODS
    assert bt.table_levels == (0.01, 0.03, 0.05, 0.10)
    assert np.isclose(bt.result.summary["coverage"], 0.03).any()


# --------------------------------------------------------------------------- league
def test_league_sources_defaults(tmp_path, shared_data):
    from hotspot.jobs.league import league_sources

    inputs, households = league_sources(data=shared_data)
    assert inputs == [str(shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet")]
    assert households == shared_data / "demographics" / "lsoa2011_census2011_population_households.csv"
    assert league_sources(["a.parquet"], tmp_path / "h.csv", data=shared_data) == (["a.parquet"], tmp_path / "h.csv")
    with pytest.raises(OptionError, match="give INPUT files"):
        league_sources(data=tmp_path)
    with pytest.raises(OptionError, match="give households=FILE"):
        league_sources(["a.parquet"], data=tmp_path)


# --------------------------------------------------------------------------- anpr
def test_candidate_defaults():
    import geopandas as gpd
    from shapely.geometry import Point

    from hotspot.anpr import with_candidate_defaults

    c = gpd.GeoDataFrame({"road": ["A1", "A41"]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:27700")
    out = with_candidate_defaults(c)
    assert list(out["site_id"]) == ["S1", "S2"] and list(out["kind"]) == ["candidate"] * 2
    assert list(out["road"]) == ["A1", "A41"]  # given columns kept
    assert "site_id" not in c  # the caller's layer is not changed


def test_plan_anpr_for_area_gives_what_the_command_gives(tmp_path, shared_data, barnet_csv, boroughs_file, barnet,
                                                          barnet_intake):
    from hotspot.jobs.anpr import plan_anpr_for_area
    from hotspot.jobs.reference import ReferenceData
    from hotspot.places import read_postcodes

    r = run("anpr", "--area-file", boroughs_file, "--area", "Barnet", "--incidents", barnet_csv, "--crime-type",
            "Burglary", "--data", shared_data, "--out", tmp_path / "s.geojson", "--json")
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout)
    ref = ReferenceData(shared_data)
    # the reference LAD layer (the cross-border neighbours) has invalid rings the job repairs and says so
    with pytest.warns(UserWarning, match="lads_london_and_herts_region.geojson: repaired 29 invalid geometries"):
        plan = plan_anpr_for_area(barnet, barnet_intake.incidents, reference=ref,
                                  postcodes=read_postcodes(ref.postcodes, barnet.crs))
    api = _as_printed(plan.result.to_json() | {"min_cameras": plan.min_cameras, "notes": plan.notes,
                                               "context": plan.context})
    assert cli == api
    assert cli["k"] == settings.ANPR_CAMERAS and cli["radius_m"] == settings.ANPR_RADIUS_M
    # without a postcode layer the plan says so
    with pytest.warns(UserWarning, match="lads_london_and_herts_region.geojson: repaired 29 invalid geometries"):
        bare = plan_anpr_for_area(barnet, barnet_intake.incidents, reference=ref, cameras=3)
    assert any("no postcode layer" in n for n in bare.notes)
    with pytest.raises(OptionError, match="no reference data folder"):
        plan_anpr_for_area(barnet, barnet_intake.incidents)


# --------------------------------------------------------------------------- leaflets
def test_plan_leaflets_gives_what_the_command_gives(shared_data, barnet_csv, boroughs_file, barnet, barnet_intake):
    from hotspot.campaigns import plan_json, plan_leaflets, plan_table
    from hotspot.jobs.reference import ReferenceData
    from hotspot.places import read_postcodes

    r = run("leaflets", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--crime-type", "Burglary",
            "--data", shared_data, "--as-of", "2024-06-01", "--json")
    assert r.returncode == 0, r.stderr
    ref = ReferenceData(shared_data)
    plan = plan_leaflets(barnet, barnet_intake.incidents, lsoas=ref.lsoa_units(barnet),
                         as_of=pd.Timestamp("2024-06-01"), postcodes=read_postcodes(ref.postcodes, barnet.crs))
    assert json.loads(r.stdout) == _as_printed(plan_json(plan))
    assert plan.leaflets_used == settings.CAMPAIGN_LEAFLETS  # the default budget, spent exactly
    public = plan_json(plan, public=True)
    assert public["targets"] and all("expected_burglaries" not in t for t in public["targets"])
    assert "expected_burglaries" in plan_table(plan) and "expected_burglaries" not in plan_table(plan, public=True)
    assert len(plan_table(plan)) == len(plan.targets) and "geometry" not in plan_table(plan)
    with pytest.raises(OptionError, match="rule=: partial or whole"):
        plan_leaflets(barnet, barnet_intake.incidents, rule="most")
    assert not any("every crime type" in n for n in plan.notes)  # burglary only: nothing to say
    mixed = barnet_intake.incidents.copy()
    mixed.loc[mixed.index[::10], "crime_type"] = "Commercial burglary"
    notes = plan_leaflets(barnet, mixed, lsoas=ref.lsoa_units(barnet), as_of=pd.Timestamp("2024-06-01")).notes
    assert any(n.startswith("expected burglaries count every crime type given: Burglary (") and
               "Commercial burglary (" in n and "--crime-type" in n for n in notes)


# --------------------------------------------------------------------------- kde
def test_density_tables_and_reach_match_the_command(tmp_path, barnet_csv, boroughs_file, barnet, barnet_intake):
    import geopandas as gpd

    from hotspot.hotspots import context_reach, density_hotspots, density_tables
    from hotspot.kde import default_bandwidth, support

    assert context_reach(50.0) == support(default_bandwidth(50.0), "quartic")
    assert context_reach(100.0, 300.0, "gaussian") == support(300.0, "gaussian")
    out = tmp_path / "h.gpkg"
    r = run("kde", barnet_csv, "--area-file", boroughs_file, "--area", "Barnet", "--crime-type", "Burglary",
            "--out", out, "--public", "--cell", "100")
    assert r.returncode == 0, r.stderr
    res = density_hotspots(barnet_intake.incidents, barnet, cell=100.0, public=True)
    tables = density_tables(res)
    cells = gpd.read_file(out, layer="cells")
    assert len(cells) == len(tables["cells"]) and (tables["cells"]["class"] > 0).all()
    assert sorted(cells["class"]) == sorted(tables["cells"]["class"])
    assert len(gpd.read_file(out, layer="hotspots")) == len(tables["hotspots"])
    private = density_tables(density_hotspots(barnet_intake.incidents, barnet, cell=100.0))
    assert "density" in private["cells"] and len(private["cells"]) > len(tables["cells"])
    # a window running past the data's end (2025-02) says how much of it holds no data
    late = density_hotspots(barnet_intake.incidents, barnet, cell=100.0, as_of=pd.Timestamp("2025-05-01"), months=3)
    assert late.notes == ["the data end before 2025-03-01: 2 of the 3 months of the window before --as-of 2025-05-01 "
                          "hold no data, so densities over the window understate (give --as-of 2025-03-01 or earlier)"]
    assert density_hotspots(barnet_intake.incidents, barnet, cell=100.0, as_of=pd.Timestamp("2025-03-01"),
                            months=3).notes == []


# --------------------------------------------------------------------------- -q / -v anywhere
def test_quiet_and_verbose_anywhere_on_the_line(barnet_csv):
    """-q/-v after the command name set the log level as before it; stdout stays one JSON object."""
    import warnings

    import cli

    root = logging.getLogger()
    saved = root.level, root.handlers[:], warnings.filters[:], warnings.formatwarning
    for argv, level in ((["validate", str(barnet_csv), "--json", "-q"], logging.ERROR),
                        (["-q", "validate", str(barnet_csv), "--json"], logging.ERROR),
                        (["validate", "-vv", str(barnet_csv), "--json"], logging.DEBUG),
                        (["-v", "validate", str(barnet_csv), "-v", "--json"], logging.DEBUG),
                        (["validate", str(barnet_csv), "--json", "-v"], logging.INFO),
                        (["validate", str(barnet_csv), "--json"], logging.WARNING)):
        root.setLevel(logging.NOTSET)
        try:
            assert cli.main(argv) == 0, argv
            assert root.level == level, argv
        finally:  # the CLI configures the process's logging and warnings: leave them as they were
            root.setLevel(saved[0])
            root.handlers[:] = saved[1]
            warnings.filters[:] = saved[2]
            warnings.formatwarning = saved[3]


@pytest.mark.parametrize("args", [
    ("validate", "{csv}", "--json", "-q"),
    ("knox", "{chicago}", "--crs", "EPSG:26971", "--permutations", "19", "--json", "-q"),
    ("demo", "-q", "--help"),
    ("backtest", "{csv}", "--area-file", "{boroughs}", "--area", "Barnet", "-v", "--from", "2024-10", "--methods",
     "counts_12", "--bootstrap", "20", "--json", "-q"),
])
def test_quiet_after_the_command_in_a_subprocess(args, barnet_csv, boroughs_file, shared_data):
    fill = {"csv": barnet_csv, "boroughs": boroughs_file,
            "chicago": shared_data / "crime/exact_dates/chicago_residential_burglary_2014_2017.csv"}
    r = run(*[a.format(**fill) for a in args])
    assert r.returncode == 0, r.stderr
    if "--json" in args:
        assert len(r.stdout.splitlines()) == 1 and isinstance(json.loads(r.stdout), dict)
    else:
        assert "-q, --quiet" in r.stdout


def test_an_option_conflict_found_by_the_api_is_a_usage_error(barnet_csv, tmp_path):
    r = run("nanobeats", barnet_csv, "--as-of", "2025-03-01", "--out", tmp_path / "x.geojson", "--days", "3",
            "--months", "2", "-q")
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: Invalid value: give --days (day-precision data) or --months (police.uk), "
                                "not both (see hotspot nanobeats --help)")  # one line, as every refusal


@pytest.mark.parametrize("args, message", [
    (["knox"], "error: Missing argument 'inputs'. (see hotspot knox --help)"),
    (["validate", "--bogus"], "error: No such option: --bogus"),
    (["nosuch"], "error: No such command 'nosuch'. (see hotspot --help)"),
])
def test_usage_errors_are_one_line_exit_2(args, message):
    r = run(*args)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith(message), r.stderr


# --------------------------------------------------------------------------- crossborder
def test_border_figures_give_what_the_command_gives(shared_data, barnet_csv, boroughs_file, barnet, barnet_intake):
    from hotspot.crossborder import border_figures
    from hotspot.intake import read_incidents

    fringe = shared_data / "crime" / "barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv"
    r = run("crossborder", "--area-file", boroughs_file, "--area", "Barnet", "--incidents", barnet_csv,
            "--crime-type", "Burglary", "--outside", fringe, "--strip", "500", "--json")
    assert r.returncode == 0, r.stderr
    outside = read_incidents(fringe).incidents
    fig = border_figures(barnet_intake.incidents, barnet, outside=outside, strip=500.0)
    assert json.loads(r.stdout) == _as_printed(fig.to_json())
    assert (fig.overall["month"] == "all").all() and len(fig.overall) == len(fig.to_json()["zones"])
    assert fig.density is not None and set(fig.density["neighbour"]) >= {"Enfield", "Harrow"}
    assert border_figures(barnet_intake.incidents, barnet).to_json()["neighbours"] == []


def test_postcode_layer_defaults_to_the_reference_postcodes(tmp_path, shared_data):
    from hotspot.jobs.reference import ReferenceData, postcode_layer
    from hotspot.places import read_postcodes

    ref = ReferenceData(shared_data)
    got = postcode_layer(None, "EPSG:27700", data=shared_data)
    assert got is not None and got.equals(read_postcodes(ref.postcodes, "EPSG:27700"))
    assert postcode_layer(None, "EPSG:27700", data=tmp_path) is None  # no reference folder content: no layer
    given = shared_data / "postcodes" / "postcode_sector_centroids_barnet_3km.geojson"  # a given layer wins
    sectors = postcode_layer(given, "EPSG:27700", column="sector", data=tmp_path)
    assert sectors is not None and sectors.equals(read_postcodes(given, "EPSG:27700", column="sector"))


def test_counted_progress_prints_plain_lines_when_piped(monkeypatch, capsys):
    import cli
    from hotspot.render import console

    clock = iter(range(0, 1000, 3))  # every reading of the clock is 3 s later
    monkeypatch.setattr(console.time, "perf_counter", lambda: float(next(clock)))  # the bar is drawn there
    assert not cli.err.is_terminal  # stderr is captured: the pipe case
    with cli._bar("backtest", "periods") as bar:
        for done in range(1, 4):
            bar.update(done, 3)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[:3] == ["backtest: 1/3 periods, 3 s", "backtest: 2/3 periods, 6 s", "backtest: 3/3 periods, 9 s"]
    assert lines[-1].startswith("backtest: 3/3 periods,")  # and a last line at the end
    log = logging.getLogger("hotspot")
    old = log.level
    log.setLevel(logging.ERROR)  # -q: nothing
    try:
        with cli._bar("backtest", "periods") as bar:
            bar.update(1, 1)
        assert capsys.readouterr().err == ""
    finally:
        log.setLevel(old)


def test_every_option_of_every_command_has_help():
    import typer

    import cli

    group = typer.main.get_command(cli.app)
    missing = [f"{name} {p.opts[0]}" for name, cmd in group.commands.items()  # type: ignore[attr-defined]
               for p in cmd.params if getattr(p, "param_type_name", "") == "option" and not getattr(p, "help", None)]
    assert len(group.commands) >= 15 and not missing, missing  # type: ignore[attr-defined]
