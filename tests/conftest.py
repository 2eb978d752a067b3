"""Shared fixtures and the test tiers. Tests that need the reference data read
it in place from ``../shared/data`` (or ``$HOTSPOT_DATA_DIR``) and *fail* with a
clear message when it is missing: they never skip.

Tiers (markers registered in pyproject.toml), assigned here and nowhere else so
that no test file carries its own marks:

- ``system``: starts a browser, a PostgreSQL server (tests/pg.py) or another
  process (a test listed in ``SYSTEM`` below, or one using the ``browser`` or
  ``pg_url`` fixtures);
- ``data``: reads the reference data (the ``shared_data`` fixture or any
  fixture built on it), or is listed in ``HEAVY`` (minutes on synthetic data);
- ``fast``: everything else: no shared data, no subprocess.

``python -m pytest`` alone runs the fast tier; naming files or node ids runs
every tier of what was named; ``--tier all`` (the README's CI command) or
``--tier data`` etc. choose explicitly, and ``-m`` works as usual. A fast test
that opens a file under the shared data folder or starts a process fails,
naming what it did: list it in ``SYSTEM`` or give it the fixture.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TIERS = ("fast", "data", "system")

#: Tests that start another process (the CLI as a subprocess, ruff, mypy, the
#: CBC solver that pulp runs for the ANPR and campaign plans): a file name takes
#: every test in it, ``file::name`` one test (parametrized ones included). Found
#: by the guard below; a new one fails the fast tier until it is listed here.
SYSTEM: tuple[str, ...] = (
    "test_lint.py",
    "test_anpr.py::test_bad_inputs_are_clear_errors",
    "test_anpr.py::test_coverage_never_falls_as_k_or_radius_grows",
    "test_anpr.py::test_existing_cameras_stay_and_count_before",
    "test_anpr.py::test_install_order_gains_decrease_and_sum_up",
    "test_anpr.py::test_mclp_matches_spopt",
    "test_anpr.py::test_mclp_optimum_equals_brute_force",
    "test_anpr.py::test_min_cameras_is_the_smallest_k_reaching_the_target",
    "test_anpr.py::test_plan_reports_the_boundary_share_of_the_road_layers",
    "test_anpr.py::test_zero_gain_sites_are_never_listed",
    "test_anpr_jamcams.py::test_a_jamcam_is_named_beside_the_site_but_covers_nothing",
    "test_anpr_jamcams.py::test_a_users_existing_anpr_layer_covers_its_crossing",
    "test_anpr_jamcams.py::test_the_anpr_job_takes_the_reference_jamcams_as_context_not_cover",
    "test_api_cli_parity.py::test_usage_errors_are_one_line_exit_2",
    "test_backtest_memory.py::test_a_backtest_without_the_learned_model_holds_about_one_array_at_a_time",
    "test_brief.py::test_brief_routes_on_an_openstreetmap_extract",
    "test_campaigns_report.py::test_allocations_are_optimal",
    "test_campaigns_report.py::test_budgets_are_never_exceeded",
    "test_campaigns_report.py::test_poisson_glm_matches_scikit_learn",
    "test_campaigns_report.py::test_the_plan_keeps_the_allocation_rule_apart_from_the_clock_rule",
    "test_cli.py::test_knox_json_shape",
    "test_cli.py::test_nanobeats_from_knox",
    "test_cli.py::test_run_on_a_layer_of_one_area_skips_the_cross_border_stage_with_its_reason",
    "test_cli.py::test_run_reads_a_users_own_columns_and_crs",
    "test_cli.py::test_run_takes_a_postcode_layer_for_its_brief",
    "test_cli.py::test_unusable_input_exits_2_with_one_line",
    "test_cli.py::test_version",
    "test_disclosure_leaks.py::test_check_public_fails_two_releases_that_subtract_below_k",
    "test_disclosure_leaks.py::test_check_public_finds_each_planted_leak",
    "test_disclosure_leaks.py::test_clean_outputs_raise_no_false_alarm",
    "test_disclosure_leaks.py::test_every_public_output_of_the_commands_passes_check_public",
    "test_disclosure_leaks.py::test_public_kde_picks_safe_defaults_and_publishes_no_exact_sums",
    "test_disclosure_leaks.py::test_public_map_draws_no_footprint_from_points",
    "test_disclosure_leaks.py::test_street_of_an_exact_address_is_a_leak_but_a_police_uk_snap_point_is_not",
    "test_layers_traps.py::test_anpr_report_wording_follows_the_traffic_data",
    "test_layers_traps.py::test_more_cameras_than_candidate_sites_plans_the_useful_ones",
    "test_layers_traps.py::test_run_roads_and_cell_reach_the_nanobeats_and_the_brief",
    "test_layers_traps.py::test_stray_records_of_another_force_are_missing_data_as_in_the_run",
    "test_parallel.py::test_a_dask_local_cluster_gives_the_same_outcomes_and_the_client_stays_open",
    "test_parquet_text.py::test_a_string_shared_by_many_rows_is_stored_once",
    "test_selection_cache.py::test_run_says_whether_it_reused_the_selection_and_refit_fits_again",
    "test_targets.py::test_backtest_targets_command_json_matches_the_api",
    "test_traps.py::test_a_workbook_of_several_sheets_or_an_xls_is_refused_by_name",
    "test_traps.py::test_an_xlsx_export_is_read_with_its_title_row",
)

#: Tests without shared data or processes that compute on a large synthetic data
#: set (several seconds each, minutes together): run with the ``data`` tier so
#: the fast tier stays under a minute.
HEAVY: tuple[str, ...] = (
    "test_assess.py::test_assess_intervention_reads_a_nanobeat_layer_and_json_has_the_keys",
    "test_assess.py::test_cli_json_equals_the_api_with_the_same_defaults",
    "test_assess.py::test_null_calibration_on_synthetic_data_with_a_known_null",
    "test_assess.py::test_planted_effect_is_recovered_and_displacement_flagged",
    "test_fetchers.py::test_the_run_and_the_brief_use_a_fetched_network",
    "test_forecast_pooled.py::test_pooled_forecast_is_calibrated_and_finds_the_known_hot_cells",
    "test_forecast_pooled.py::test_pooled_forecast_never_sees_the_future",
    "test_forecast_sepp.py::test_em_reaches_the_maximum_likelihood_of_a_direct_optimiser",
    "test_hotspots.py::test_backtest_never_uses_the_future",
    "test_hotspots.py::test_gi_star_finds_a_planted_cluster",
    "test_hotspots.py::test_gi_star_equals_esda_z_scores_p_values_and_classes",
    "test_morning.py::test_a_run_reads_its_incidents_once_at_its_widest_buffer",
    "test_intake_memory.py::test_a_large_csv_is_read_in_bounded_memory_per_row",
    "test_memory.py",
    "test_properties.py::test_rows_are_conserved_under_random_corruption",
)

#: Fixtures that make a test a ``system`` / ``data`` one; pytest's fixture
#: closure includes fixtures built on these (``barnet_intake`` -> ``shared_data``).
SYSTEM_FIXTURES = {"browser", "pg_url"}
DATA_FIXTURES = {"shared_data"}


def pytest_addoption(parser):
    parser.addoption("--tier", action="append", choices=(*TIERS, "all"), default=None,
                     help="run these test tiers (repeatable; 'all' = every tier). Default: 'fast' when no file "
                          "or node id is named and no -m is given, else every tier of what is named.")


def _tier(item) -> str:
    path = Path(str(item.fspath)).name
    base = item.nodeid.split("[")[0].split("::")
    name = f"{path}::{base[-1]}" if len(base) > 1 else path
    names = set(getattr(item, "fixturenames", ()))
    if path in SYSTEM or name in SYSTEM or names & SYSTEM_FIXTURES:
        return "system"
    if names & DATA_FIXTURES or path in HEAVY or name in HEAVY:
        return "data"
    return "fast"


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(getattr(pytest.mark, _tier(item)))
    tiers = config.getoption("--tier")
    if tiers is None:
        if config.getoption("-m") or config.args_source != pytest.Config.ArgsSource.TESTPATHS:
            return
        tiers = ["fast"]
    if "all" in tiers:
        return
    keep, drop = [], []
    for item in items:
        (keep if any(item.get_closest_marker(t) for t in tiers) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# ----- the fast tier's guard: no shared data, no process -----
# An audit hook (it cannot be removed, so it checks a flag) records what a fast
# test does that only data and system tests may do; the test then fails.
_guard: dict = {"on": False, "seen": []}
_PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "os.forkpty", "pty.spawn"}


def _audit(event: str, args: tuple) -> None:
    if not _guard["on"]:
        return
    if event in _PROCESS_EVENTS:
        _guard["seen"].append(f"{event} {str(args[:2])[:200]}")
    elif event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
        try:
            path = os.path.realpath(os.fsdecode(args[0]))
        except (TypeError, ValueError):
            return
        if path.startswith(_guard["shared"]):
            _guard["seen"].append(f"open {path}")


_guard["shared"] = os.path.realpath(os.environ.get("HOTSPOT_DATA_DIR") or ROOT.parent / "shared" / "data") + os.sep
sys.addaudithook(_audit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if not item.get_closest_marker("fast"):
        return (yield)
    _guard["on"], _guard["seen"] = True, []
    try:
        result = yield
    finally:
        _guard["on"] = False
    if _guard["seen"]:
        pytest.fail(f"a fast-tier test read shared data or started a process: {_guard['seen'][:3]}; give it the "
                    "shared_data fixture or list it in SYSTEM in tests/conftest.py", pytrace=False)
    return result


def _shared_data_dir() -> Path:
    env = os.environ.get("HOTSPOT_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data folder; fails (never skips) when it is missing."""
    d = _shared_data_dir()
    if not (d / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv").is_file():
        pytest.fail(
            f"reference data not found at {d}: these tests read ../shared/data in place "
            "(or set HOTSPOT_DATA_DIR to a copy with the same layout)", pytrace=False)
    return d


@pytest.fixture(scope="session")
def barnet_csv(shared_data) -> Path:
    return shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv"


@pytest.fixture(scope="session")
def boroughs_file(shared_data) -> Path:
    return shared_data / "boundaries" / "london_boroughs.geojson"


@pytest.fixture(scope="session")
def barnet(boroughs_file):
    from hotspot.areas import load_area

    return load_area(boroughs_file, "Barnet")


@pytest.fixture(scope="session")
def barnet_intake(barnet_csv, barnet):
    from hotspot.intake import read_incidents

    return read_incidents(barnet_csv, crime_types="Burglary", area=barnet)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium with the network cut off (see tests/browser.py)."""
    from browser import open_browser

    drv = open_browser()
    yield drv
    drv.quit()


@pytest.fixture(scope="session")
def pg_url():
    """URL of a throwaway PostgreSQL + PostGIS server (tests/pg.py) on
    127.0.0.1; a missing server or PostGIS fails the test (never skips)."""
    from pg import PostgresMissing, start_postgres

    try:
        server = start_postgres()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server.url
    server.stop()
