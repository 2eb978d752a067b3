"""Settings in one place: defaults, environment variables and folders.

Environment variables
---------------------
HOTSPOT_DATA_DIR
    Folder holding the reference data (same layout as ``../shared/data``).
HOTSPOT_CACHE_DIR
    Where downloads (police.uk months, boundary layers, map assets) are cached.
HOTSPOT_SELECTION_CACHE
    Where runs keep their forecast method selection (default: the
    ``selection`` folder of the cache folder above).
HOTSPOT_POLICE_API
    Base address of the police.uk API (tests point it at a local server).
HOTSPOT_OVERPASS_URL, HOTSPOT_CODEPOINT_URL, HOTSPOT_ONS_LSOA_LAYER, HOTSPOT_ONS_WARD_LAYER, HOTSPOT_NOMIS_API
    Where the online fetchers (``hotspot fetch roads|postcodes|units``) get
    their layers.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Working CRS for British data: British National Grid, metres.
GB_CRS = "EPSG:27700"
#: CRS of lon/lat input (police.uk, GeoJSON).
WGS84 = "EPSG:4326"
#: lon/lat box inside which data are taken to be British (then GB_CRS is used).
GB_LONLAT_BOUNDS = (-8.8, 49.8, 2.0, 60.95)

#: Edge tolerance of the area test, metres (``area_buffer`` / ``--area-buffer``
#: override it). police.uk snaps every crime to a map point on the street,
#: and a crime on a boundary road is snapped to the road's centre line, which
#: can lie a few metres on the wrong side of a generalised boundary: across all
#: 33 London boroughs (2013-12 .. 2025-02) 1,615 rows (before de-duplication) that police.uk attributes
#: to a borough's LSOAs lie outside its GLA polygon, every one within 11.5 m.
#: 25 m takes them in with a margin while staying far below the width of a
#: street block. Double counting across neighbouring areas is avoided by the
#: membership rule in :mod:`hotspot.intake` (police.uk's own LSOA attribution
#: where rows carry it; otherwise a point in the band belongs to this area
#: only when no neighbouring polygon contains it).
AREA_EDGE_TOLERANCE = 25.0

#: Largest median disagreement, metres, between a file's x/y columns (read in
#: the declared CRS) and its lon/lat columns before the CRS is refused.
CRS_CHECK_TOLERANCE = 1000.0

#: police.uk crime type for burglary (residential and business merged in 2017).
BURGLARY = "Burglary"

#: Report: a month with no incident counts as missing data (not a month without
#: burglary) when the median of the months around it is at least this many.
MISSING_MONTH_LEVEL = 5.0
#: Report: largest relative difference between the input's rolling-12-month
#: volume and the London reference's before the input counts as partial.
COVERAGE_TOLERANCE = 0.03

#: Nano-beats: a target whose risk comes at least this much (share, 0-1) from
#: burglaries across the boundary is marked shared with the neighbour.
SHARED_TARGET_SHARE = 0.5
#: Nano-beats: a target at least this share (0-1) of whose burglaries are at
#: police.uk points named after business premises ("On or near Supermarket")
#: is marked as mainly business burglary (JSON ``business``, the brief).
BUSINESS_TARGET_SHARE = 0.5

#: Campaigns: when the evenings get dark an hour earlier. "auto" chooses from
#: the area's position (Europe: last Sunday of October; North America: first
#: Sunday of November; elsewhere none); or "eu", "us", "none".
CLOCK_RULE = "auto"

#: Report: fewer burglaries than this in the comparison year give no RAG
#: rating ("n/a"): a percentage change on a handful is noise.
MIN_RAG_VOLUME = 20
#: Report: the exception band (standard deviations) and the RAG thresholds (percent rolling-12-month change).
REPORT_EXCEPTION_Z = 2.5
REPORT_GREEN_PCT = 5.0
REPORT_RED_PCT = 5.0

#: Intake: dates before this (ISO date) are rejected per row as "before
#: earliest date": a year like 1901 is a default or a typing error, and
#: police.uk street-level data start in 2010. Dates after today are rejected
#: as "future".
EARLIEST_DATE = "1990-01-01"

#: Report and league: an area with fewer residents (report: rate per 1,000
#: residents) or fewer households (league: rate per 1,000 households) than
#: these is not ranked. Its rate is shown with a warning: on so small a base
#: (City of London: ~8,600 residents, a workday population of ~500,000) a
#: rate per resident says little about risk and would top or tail the table.
MIN_RANK_RESIDENTS = 20_000
MIN_RANK_HOUSEHOLDS = 10_000
#: The rate every rank orders areas by, in `report` and `league` alike:
#: "households" (burglaries per 1,000 households, the Home Office basis for
#: residential burglary that partnership boards compare on) or "residents".
#: Without households in the reference, the report ranks by residents and says so.
RANK_BASIS = "households"

#: Nano-beats and the patrol brief: --as-of may be at most this many days
#: after the last burglary in the data; None (default) = the plan's own
#: near-repeat window (e.g. 14 days, or 2 months for police.uk data). Later
#: is refused: every recent burglary would be unknown and the plan would rest
#: on history only.
AS_OF_MAX_GAP_DAYS: float | None = None

#: With the default window above, a gap longer than the window is refused only
#: when the area's rate over the year before the data end predicts at least
#: this many burglaries in it (none is then implausible: P(0 | 5) = 0.7 %); a
#: quiet spell in a small area is planned with a note instead.
STALE_EXPECTED: float = 5.0

POLICE_API = os.environ.get("HOTSPOT_POLICE_API", "https://data.police.uk/api")
NPM_REGISTRY = os.environ.get("HOTSPOT_NPM_REGISTRY", "https://registry.npmjs.org")

# Online fetchers (hotspot.fetchers): the services each layer comes from. They
# are read when a fetcher runs, so tests (and users behind a mirror) can point
# them elsewhere: ``hotspot.settings.OVERPASS_URL = "http://127.0.0.1:8000/api"``.
#: Overpass API base address for the OSM street network (osmnx adds
#: ``/interpreter`` and ``/status``); None keeps osmnx's own setting.
OVERPASS_URL: str | None = os.environ.get("HOTSPOT_OVERPASS_URL") or None
#: OS Code-Point Open (GB postcode units, zipped CSV), from the OS Downloads API.
CODEPOINT_URL = os.environ.get(
    "HOTSPOT_CODEPOINT_URL", "https://api.os.uk/downloads/v1/products/CodePointOpen/downloads?area=GB&format=CSV&redirect")
#: ONS Open Geography ArcGIS FeatureServer layers: LSOA (December 2021,
#: generalised) and ward (May 2024, generalised) polygons.
ONS_LSOA_LAYER = os.environ.get(
    "HOTSPOT_ONS_LSOA_LAYER", "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5/FeatureServer/0")
ONS_WARD_LAYER = os.environ.get(
    "HOTSPOT_ONS_WARD_LAYER", "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Wards_May_2024_Boundaries_UK_BGC/FeatureServer/0")
#: Nomis API and its dataset of Census 2021 TS041 (number of households).
NOMIS_API = os.environ.get("HOTSPOT_NOMIS_API", "https://www.nomisweb.co.uk/api/v01")
NOMIS_HOUSEHOLDS_DATASET = "NM_2059_1"

#: Project root when running from a checkout (``cli.py`` sits beside the package).
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def cache_dir() -> Path:
    """Folder for cached downloads; created on demand.

    ``$HOTSPOT_CACHE_DIR`` wins; in a checkout it is ``data/`` (git-ignored);
    otherwise the user's cache folder.
    """
    env = os.environ.get("HOTSPOT_CACHE_DIR")
    if env:
        path = Path(env)
    elif (PROJECT_DIR / "data" / "boundaries").is_dir() and os.access(PROJECT_DIR / "data", os.W_OK):
        path = PROJECT_DIR / "data"
    else:
        import pooch

        path = Path(pooch.os_cache("hotspot"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def selection_cache_dir() -> Path:
    """Folder of the runs' stored forecast method selections
    (:mod:`hotspot.selection`): ``$HOTSPOT_SELECTION_CACHE``, else
    ``selection/`` in :func:`cache_dir` (``data/selection`` in a checkout,
    git-ignored). Read at call time; created when an entry is written.
    """
    env = os.environ.get("HOTSPOT_SELECTION_CACHE")
    return Path(env) if env else cache_dir() / "selection"


def shared_data_dir() -> Path | None:
    """The reference data folder, if there is one: ``$HOTSPOT_DATA_DIR``, else
    ``../shared/data`` beside the checkout (this repository's CI layout)."""
    env = os.environ.get("HOTSPOT_DATA_DIR")
    if env:
        return Path(env)
    candidate = PROJECT_DIR.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


# --------------------------------------------------------------------------- command defaults
# The defaults the commands and their API functions share (issue 10: what a
# command computes is in the API with the same defaults).

#: Nano-beats: near-repeat distance (metres) and window (days for exact
#: dates; months for police.uk month dates), targets, risk cell and target
#: radius (metres).
NANOBEAT_DISTANCE_M = 200.0
NANOBEAT_DAYS = 14.0
NANOBEAT_MONTHS = 2.0
NANOBEAT_TARGETS = 10
NANOBEAT_CELL_M = 50.0
NANOBEAT_TARGET_RADIUS_M = 100.0
#: Nano-beats: the longest patrol route of one beat, metres (legs between its
#: targets, and from and back to the start when given). Targets whose one
#: route would be longer (a city-wide plan: Chicago's 10 targets, 41 km) are
#: grouped into beats, each within this, so a team can drive its beat in a
#: shift with time on foot at every target; a single route this long or
#: shorter (Barnet's 8 targets: 21 km on streets) stays one beat.
NANOBEAT_BEAT_ROUTE_M = 25_000.0
#: Nano-beat risk background: "forecast" (the forecast nested selection picks,
#: :mod:`hotspot.targets`) or "history" (decayed counts within 50 m, as before).
NANOBEAT_BACKGROUND = "forecast"
#: Patrol dosage (Koper curve): minutes per visit, visits per target per
#: shift, and the longest gap between visits, hours.
DOSAGE_VISIT_MIN = 15.0
DOSAGE_VISITS_PER_SHIFT = 4
DOSAGE_REVISIT_HOURS = 2.0

#: Backtests: coverage (percent of the area), the coverage levels always
#: scored (shares) and the periods kept as the first training window.
BACKTEST_COVERAGE_PCT = 5.0
BACKTEST_LEVELS = (0.01, 0.02, 0.05, 0.10, 0.20)
BACKTEST_TABLE_LEVELS = (0.01, 0.05, 0.10)
BACKTEST_WARMUP_PERIODS = 24
BACKTEST_BOOTSTRAP = 1000

#: ANPR: new cameras to site, coverage radius (metres), months of burglary risk.
ANPR_CAMERAS = 20
ANPR_RADIUS_M = 500.0
ANPR_MONTHS = 12

#: Campaigns: leaflets and timer switches (one per household), the rule for
#: the last unit, and the forecast method of expected burglaries.
CAMPAIGN_LEAFLETS = 25_000
CAMPAIGN_TIMER_SWITCHES = 3_000
CAMPAIGN_RULE = "partial"
CAMPAIGN_METHOD = "counts_36"

#: Assess (issue 19): catchment buffer of nano-beats, leaflet units and
#: other layers (metres; ANPR sites use their coverage radius), the disc
#: (metres) a point feature stands for, control places per treated place,
#: the most and fewest placebo dates for regression to the mean (19 is the
#: fewest with which a permutation p-value can reach 0.05), the window of
#: the count selection rule (days) and the Koper curve's best visit length
#: (minutes).
ASSESS_BUFFER_M = 200.0
ASSESS_POINT_RADIUS_M = 100.0
ASSESS_CONTROLS_PER_TREATED = 2
ASSESS_MAX_PLACEBOS = 60
ASSESS_MIN_PLACEBOS = 19
ASSESS_SELECTION_DAYS = 365.0
ASSESS_KOPER_MINUTES = (10.0, 15.0)

#: Areas: polygons of a boundary layer up to this far apart (metres) still
#: border each other when the gap between them is mapped to no other polygon
#: (a river in a layer clipped to the coastline: the Thames between
#: Westminster and Lambeth); 0 for touching polygons only.
NEIGHBOUR_MAX_GAP_M: float = 1000.0

#: Intake: dates that all fall on the 1st of a month, over at least this many
#: rows (and two months), are monthly data saved as dates and read as months.
MONTH_DATES_MIN: int = 20
