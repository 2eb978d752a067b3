"""Shared fixtures. Tests that need the reference data read it in place from
``../shared/data`` (or ``$HOTSPOT_DATA_DIR``) and *fail* with a clear message
when it is missing: they never skip."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture(autouse=True)
def _no_warning_noise():
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        yield


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
