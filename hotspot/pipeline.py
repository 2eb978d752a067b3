"""The end-to-end job behind ``hotspot demo``: reference data in, plans and
maps out. Each capability adds one step here and one layer to the map."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pandas as pd

from . import settings
from ._errors import FetchError, InputFileError
from .anpr import add_siting_to_map, plan_anpr
from .campaigns import add_campaign_to_map, plan_campaign
from .areas import Area, load_area, load_boundaries
from .crossborder import border_concentration, border_zones, density_by_neighbour
from .intake import IntakeResult, has_month_dates, read_incidents
from .forecast import PeriodCounts, backtest, forecast_surface
from .grid import Grid
from .hotspots import add_gi_to_map, add_hotspots_to_map, gi_star, hotspot_mask, hotspot_polygons
from .maps import HotspotMap, add_month_slider, add_surface
from .nanobeats import NanoBeatPlanner, add_plan_to_map, write_plan
from .report import build_report
from .sources import slug

log = logging.getLogger("hotspot")


@dataclass
class ReferenceData:
    """Where the reference files live (the layout of ``../shared/data``)."""

    root: Path

    def _one(self, pattern: str) -> Path:
        found = sorted(self.root.glob(pattern))
        if not found:
            raise InputFileError(f"{self.root}: no file matching {pattern}")
        return found[-1]

    @property
    def incidents(self) -> Path:
        return self._one("crime/barnet_burglary_police_uk_*.csv")

    @property
    def fringe_incidents(self) -> Path:
        return self._one("crime/barnet_3km_fringe_burglary_police_uk_*.csv")

    @property
    def boroughs(self) -> Path:
        return self._one("boundaries/london_boroughs.geojson")

    def london_context(self):
        """Borough counts, population, households and peer measures."""
        from .report import LondonContext

        # the incident file counts one burglary per Crime ID, as the report does
        counts = (sorted(self.root.glob("crime/london_burglary_police_uk_*.parquet"))
                  or [self._one("crime/london_burglary_lsoa_month_counts_*.csv.gz")])[-1]
        return LondonContext.from_files(
            counts,
            self._one("demographics/london_lsoa_population_mid2015.csv"),
            self._one("demographics/lsoa2011_census2011_population_households.csv"),
            self._one("demographics/london_lsoa_imd2019.csv"), self.boroughs)

    def lsoa_units(self, area):
        """2011 LSOAs of the area with Census 2011 households."""
        from .campaigns import lsoa_units

        return lsoa_units(self._one("boundaries/lsoa2011_*.geojson"),
                          self._one("demographics/lsoa2011_census2011_population_households.csv"), area)

    @property
    def lads(self) -> Path:
        return self._one("boundaries/lads_*.geojson")

    def road_layers(self, crs) -> dict:
        """The partial road layers (motorways, bus-route paths) as lines."""
        from .crossborder import read_roads

        return {"OSM motorways": read_roads(self._one("roads/osm_motorways_*.geojson"), crs),
                "TfL bus routes": read_roads(self._one("roads/tfl_bus_routes_*.geojson"), crs)}

    def red_routes(self):
        return gpd.read_file(self._one("roads/tfl_tlrn_red_route_areas_*.geojson"))

    def count_points(self, crs):
        """DfT count points with their latest counted flow."""
        from .crossborder import count_point_flows

        pts = gpd.read_file(self._one("roads/london_dft_traffic_count_points.geojson")).to_crs(crs)
        return count_point_flows(pts, pd.read_csv(self._one("roads/london_dft_traffic_counts_*.csv")))

    def traffic_cameras(self, crs):
        """TfL JamCam traffic cameras (NOT ANPR): a stand-in existing layer."""
        return gpd.read_file(self._one("cameras/tfl_jamcams_*.geojson")).to_crs(crs)

    def path(self, relative: str) -> Path:
        p = self.root / relative
        if not p.exists():
            raise InputFileError(f"{p}: reference file not found")
        return p


def resolve_data_dir(data: str | Path | None = None) -> Path | None:
    """``data`` if given, else ``$HOTSPOT_DATA_DIR``, else ``../shared/data``
    beside the checkout; None when there is none (then the demo downloads)."""
    if data is not None:
        p = Path(data)
        if not p.is_dir():
            raise InputFileError(f"{p}: data folder not found")
        return p
    return settings.shared_data_dir()


@dataclass
class DemoResult:
    """What the demo produced."""

    area: Area
    intake: IntakeResult
    map_path: Path
    steps: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


def run_demo(
    data: str | Path | None = None,
    out: str | Path = "maps",
    *,
    reports: str | Path = "reports",
    area_name: str = "Barnet",
    map_months: int = 12,
    step: Callable[[str], None] | None = None,
    tiles: str | None = None,
    backtest_periods: int = 24,
    gi_star_layer: bool = True,
) -> DemoResult:
    """Run the whole pipeline on the reference data.

    Parameters
    ----------
    data : path, optional
        Reference data folder (see :func:`resolve_data_dir`).
    out : path
        Folder for maps.
    reports : path
        Folder for tables and plans (GeoJSON, CSV, HTML reports).
    area_name : str
        Borough to analyse.
    map_months : int
        Months of incidents drawn on the map (the most recent ones).
    step : callable, optional
        Called with the name of each step as it starts (progress display).
    tiles : str, optional
        Base tiles for the map (none by default: works offline).
    backtest_periods : int
        Periods of the rolling backtest that picks the hotspot method.
    gi_star_layer : bool
        Add the Gi* layer (esda compiles its kernels on first use: ~25 s).
    """
    timings: dict[str, float] = {}
    out, reports = Path(out), Path(reports)
    out.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Path] = {}

    def stage(name: str):
        if step:
            step(name)
        timings[name] = time.perf_counter()

    def done(name: str):
        timings[name] = round(time.perf_counter() - timings[name], 3)

    root = resolve_data_dir(data)
    stage("areas")
    if root is not None:
        ref = ReferenceData(root)
        area = load_area(ref.boroughs, area_name)
        incident_files = [ref.incidents]
    else:
        area, incident_files = _download_inputs(area_name)
    neighbours = area.neighbours()
    done("areas")

    stage("intake")
    intake = read_incidents(incident_files, crime_types=[settings.BURGLARY], area=area)
    done("intake")

    inc = intake.incidents
    name = slug(area.name)
    # plans are made for the month after the latest data, as an analyst would
    as_of = (inc["occurred"].max().to_period("M") + 1).to_timestamp()

    stage("hotspots")
    # let the data choose the surface: a rolling backtest of every method
    # over the last two years, then that method's forecast for next month
    pc = PeriodCounts.from_incidents(inc, area, cell=50.0)
    bt = backtest(pc, start=str(pc.periods[max(len(pc.periods) - backtest_periods, 13)]), end=str(pc.periods[-1]),
                  bootstrap=200)
    surface = forecast_surface(pc, bt.best, as_of)
    recent12 = recent_incidents(inc, months=12)
    hot = hotspot_polygons(surface, hotspot_mask(surface, share=0.05), recent12)
    outputs["hotspots"] = reports / f"{name}_hotspots.gpkg"
    surface.to_gdf("score").drop(columns=["row", "col"]).to_file(outputs["hotspots"], layer="cells", driver="GPKG")
    hot.to_file(outputs["hotspots"], layer="hotspots", driver="GPKG")
    bt.at(0.05).to_csv(reports / f"{name}_backtest.csv", index=False)
    outputs["backtest"] = reports / f"{name}_backtest.csv"
    gi = None
    if gi_star_layer:
        g = Grid.for_geometry(area.geometry, 250.0, area.crs)
        gi = gi_star(g.bin(recent12.geometry.x, recent12.geometry.y), g, g.mask(area.geometry))
    done("hotspots")

    if root is not None:
        stage("cross-border")
        outside = read_incidents([ref.fringe_incidents], crime_types=[settings.BURGLARY]).incidents
        lads = load_boundaries(ref.lads, crs=area.crs)
        zones = border_zones(area)
        conc = border_concentration(inc, area)
        dens = density_by_neighbour(inc, outside.to_crs(area.crs), area, area.neighbours(lads), name_column="lad_name")
        conc.to_csv(reports / f"{name}_border_zones.csv", index=False)
        dens.to_csv(reports / f"{name}_border_density.csv", index=False)
        outputs["border zones"] = reports / f"{name}_border_zones.csv"
        done("cross-border")

        stage("anpr")
        anpr = plan_anpr(area, road_layers=ref.road_layers(area.crs), surface=surface,
                         count_points=ref.count_points(area.crs), existing=ref.traffic_cameras(area.crs),
                         red_routes=ref.red_routes(), k=20, radius=500.0)
        outputs["anpr"] = reports / f"{name}_anpr_sites.geojson"
        anpr.result.sites.drop(columns=["x", "y"]).to_crs(4326).to_file(outputs["anpr"], driver="GeoJSON")
        anpr.result.marginal.to_csv(reports / f"{name}_anpr_marginal.csv", index=False)
        done("anpr")

        stage("campaign")
        campaign = plan_campaign(ref.lsoa_units(area), inc, surface=surface)
        outputs["campaign"] = reports / f"{name}_leaflet_plan.csv"
        campaign.targets.drop(columns="geometry").to_csv(outputs["campaign"], index=False)
        done("campaign")

        stage("report")
        report = build_report(inc, area.name, str(inc["occurred"].max().to_period("M")), london=ref.london_context())
        outputs["report"] = reports / f"{name}_performance_{report.month}.html"
        outputs["report"].write_text(report.to_html(), encoding="utf-8")
        report.to_csv_frame().to_csv(reports / f"{name}_performance_{report.month}.csv", index=False)
        done("report")
    else:
        zones = anpr = conc = campaign = report = None

    stage("nano-beats")
    planner = NanoBeatPlanner.from_window(inc, area, distance=200.0, days=2.0 if has_month_dates(inc) else 14.0)
    plan = planner.solve(as_of, n_targets=10)
    outputs["nano-beats"] = write_plan(plan, reports / f"{name}_nanobeats.geojson")
    done("nano-beats")

    stage("map")
    m = HotspotMap(area, tiles=tiles, title=f"hotspot: {area.name} burglary")
    m.add_neighbours(neighbours)
    recent = recent_incidents(inc, months=map_months)
    m.add_incidents(recent, name=f"Burglaries, last {map_months} months", show_markers=False)
    add_surface(m, surface, f"Forecast {surface.meta['forecast_period']} ({bt.best})")
    add_hotspots_to_map(m, hot, "Hotspots (top 5% of cells)")
    if gi is not None:
        add_gi_to_map(m, gi)
    add_month_slider(m, inc)
    if zones is not None:
        m.add_polygons(zones.iloc[::-1], "Border zones (250 m / 500 m / 1 km)", colour="#2c3e50", weight=0.5,
                       fill_opacity=0.08, tooltip=["distance_m"], aliases=["within (m) of the boundary"], show=False)
    if campaign is not None:
        add_campaign_to_map(m, campaign)
    if anpr is not None:
        add_siting_to_map(m, anpr.result, anpr.crossings, anpr.existing,
                          existing_label="TfL traffic cameras (JamCams, not ANPR)")
    add_plan_to_map(m, plan)
    map_path = m.save(out / f"{name}.html")
    done("map")

    summary = intake.summary()
    summary.update(area=area.name, area_km2=round(area.area_km2, 2), map=str(map_path),
                   as_of=str(as_of.date()),
                   hotspots={"method": bt.best, "backtest_periods": bt.n_periods, "polygons": len(hot),
                             "pai_5pct": round(float(bt.at(0.05).iloc[0]["pai"]), 2)},
                   border={"ratio_250m": round(float(conc[(conc.month == "all") & (conc.distance_m == 250)].ratio.iloc[0]), 3)}
                   if conc is not None else None,
                   anpr=anpr.result.to_json() | {"min_cameras": anpr.min_cameras, "notes": anpr.notes}
                   if anpr is not None else None,
                   campaign={k: v for k, v in campaign.to_json().items() if k != "targets"} if campaign else None,
                   report=report.to_json() if report else None,
                   nanobeats={"variant": plan.variant, "targets": len(plan.targets), "notes": plan.notes,
                              "route_length_m": round(plan.route_length_m, 1)})
    return DemoResult(area=area, intake=intake, map_path=map_path, steps=timings, outputs=outputs, summary=summary)


def recent_incidents(incidents: gpd.GeoDataFrame, *, months: int, as_of: pd.Timestamp | None = None) -> gpd.GeoDataFrame:
    """Incidents in the ``months`` calendar months up to ``as_of`` (default:
    the latest month in the data)."""
    if incidents.empty:
        return incidents
    end = (as_of or incidents["occurred"].max()).to_period("M")
    start = (end - (months - 1)).to_timestamp()
    occ = incidents["occurred"]
    return incidents[(occ >= start) & (occ < (end + 1).to_timestamp())]


def _download_inputs(area_name: str) -> tuple[Area, list[Path]]:  # pragma: no cover - needs internet
    """No local data: fetch a boundary layer and the last 24 months."""
    from .sources import fetch_boundary, fetch_police_uk, months_between

    layer = fetch_boundary("england_lads_uk_geojson", progress=True)
    area = load_area(layer, area_name)
    end = pd.Timestamp.now().to_period("M") - 3  # police.uk publishes ~2 months behind
    months = months_between(str(end - 23), str(end))
    try:
        files = fetch_police_uk(area, months)
    except FetchError as exc:
        raise FetchError(f"no local data (set --data or $HOTSPOT_DATA_DIR) and download failed: {exc}") from None
    return area, files
