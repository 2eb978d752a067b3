"""Prevention campaigns: where to drop leaflets and give timer switches, and when.

Units and households
--------------------
Any polygon layer with a households column: 2011 LSOAs joined to Census 2011
household counts (:func:`lsoa_units`), or any other layer (postcode districts,
hotspot polygons) whose households are interpolated from LSOAs by area
(:func:`interpolate_households`: households assumed spread evenly over each
LSOA).

Expected burglaries
-------------------
A unit's expected burglaries over the next 12 months are its share of the
forecast surface (cell values summed over the cells whose centres fall in the
unit) times the area's burglaries in the last 12 months; with no surface,
the unit's own count in the last 12 months. Risk per 1,000 households =
expected / households x 1000.

Allocation rule (:func:`allocate`)
----------------------------------
One leaflet per household; a unit reached by leaflets reaches its expected
burglaries in proportion to the households that get one. Maximising the
expected burglaries reached with a fixed number of leaflets is then a
knapsack: with ``rule="partial"`` (default) units are filled in order of risk
per household and the last one gets a partial drop - which is optimal for the
fractional problem; with ``rule="whole"`` only whole units are dropped and the
0/1 knapsack is solved exactly (pulp/CBC). Timer switches go one per
household, to the highest-risk households first (risk per household order,
at most one per household), independently of the leaflets.

Timing (:func:`seasonal_index`, :func:`campaign_window`)
--------------------------------------------------------
The seasonal index of month m is the mean over complete years of (burglaries
in m / that year's monthly mean). Winter (Nov-Feb) vs summer (May-Aug) ratio
is reported. The clocks go back on the last Sunday of October; the
recommended window starts two weeks before that (leaflets and switches in
homes before the dark evenings) and runs to the end of the last month of the
above-average winter season.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import HotspotError, InputFileError
from .areas import Area
from .crs import require_same_metric_crs
from .readonce import read_csv_once

if TYPE_CHECKING:  # annotations only
    from .kde import Surface

WINTER, SUMMER = (11, 12, 1, 2), (5, 6, 7, 8)


# --------------------------------------------------------------------------- units


def lsoa_units(boundaries: str | Path | gpd.GeoDataFrame, census_csv: str | Path, area: Area, *,
               code_column: str = "LSOA11CD") -> gpd.GeoDataFrame:
    """LSOAs of the area (centroid inside it) with Census 2011 households.

    Parameters
    ----------
    boundaries : str, Path or GeoDataFrame
        LSOA polygons (any vector format geopandas reads, or the layer
        already read, e.g. once for many areas).
    census_csv : str or Path
        Census households per LSOA (columns ``lsoa_code``, ``lsoa_name``,
        ``households``).
    area : Area
        The area; an LSOA belongs to it when its representative point lies
        inside.
    code_column : str
        LSOA code column of ``boundaries`` (default ``LSOA11CD``; a layer
        whose only code column is another year's, e.g. ``LSOA21CD``, uses
        that).

    Returns
    -------
    GeoDataFrame
        ``unit`` (LSOA code), ``name``, ``households`` and the polygons, in
        the area's CRS.

    Raises
    ------
    InputFileError
        A column is missing, or an LSOA of the area has no households.
    """
    source = boundaries.attrs.get("source", "") if isinstance(boundaries, gpd.GeoDataFrame) else str(boundaries)
    lsoa = (boundaries if isinstance(boundaries, gpd.GeoDataFrame) else gpd.read_file(boundaries)).to_crs(area.crs)
    # generalised LSOA layers have self-touching rings: overlays need them valid
    lsoa["geometry"] = lsoa.geometry.make_valid()
    codes = [c for c in lsoa.columns if re.fullmatch(r"LSOA\d\dCD", str(c), re.I)]
    if code_column not in lsoa and code_column == "LSOA11CD" and len(codes) == 1:
        code_column = codes[0]  # e.g. 2021 LSOAs (hotspot fetch units) with their own Census households
    if code_column not in lsoa:
        raise InputFileError(f"{boundaries}: column '{code_column}' not found")
    census = read_csv_once(census_csv, dtype={"lsoa_code": str})
    for col in ("lsoa_code", "households"):
        if col not in census:
            raise InputFileError(f"{census_csv}: required column '{col}' is missing")
    inside = lsoa.geometry.representative_point().within(area.geometry)
    # households and names come from the census table only (a layer may carry columns of the same name)
    units = lsoa.loc[inside, [code_column, "geometry"]].merge(
        census[["lsoa_code", "lsoa_name", "households"]], left_on=code_column, right_on="lsoa_code", how="left")
    missing = units["households"].isna()
    if missing.any():
        raise InputFileError(f"{census_csv}: no households for {int(missing.sum())} LSOAs, e.g. "
                             f"{units.loc[missing, code_column].iloc[0]}")
    units = units.rename(columns={code_column: "unit"})
    units["name"] = units["lsoa_name"]
    out = gpd.GeoDataFrame(units[["unit", "name", "households", "geometry"]], geometry="geometry", crs=area.crs)
    # what a plan resting on it must say of it (places.layer_caveats)
    out.attrs["source"] = source
    return out


def campaign_units(area: Area, *, units: gpd.GeoDataFrame | None = None, unit_column: str | None = None,
                   lsoas: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The units a campaign targets, with ``unit``, ``name`` and ``households``.

    Parameters
    ----------
    area : Area
        The area the campaign is for (working CRS).
    units : GeoDataFrame, optional
        The user's polygons (any CRS); those whose representative point lies
        in the area are kept. Households come from their ``households``
        column, else are interpolated from ``lsoas`` by area.
    unit_column : str, optional
        Name/id column of ``units`` (default: the first text column).
    lsoas : GeoDataFrame, optional
        LSOA polygons with Census households (:func:`lsoa_units`): the units
        when ``units`` is not given, and the source for interpolation.

    Returns
    -------
    GeoDataFrame
        The units in the area's CRS with ``unit``, ``name`` and
        ``households``.

    Raises
    ------
    HotspotError
        Neither units nor LSOAs, no name column, or households that cannot be had.
    """
    from .areas import _string_columns

    if units is None:
        if lsoas is None:
            raise HotspotError("give units (polygons with households) or LSOAs with Census households")
        return lsoas
    u = units.to_crs(area.crs)
    col = unit_column or next(iter(_string_columns(u)), None)
    if col is None or col not in u:
        raise HotspotError(f"the units need a name/id column{f' ({col!r} is not one of them)' if col else ''}: "
                           "give --unit-column")
    u = u[u.geometry.representative_point().within(area.geometry.buffer(1))].copy()
    if "households" not in u:
        if lsoas is None:
            raise HotspotError("the units have no 'households' column; give LSOAs with households (--data) to "
                               "interpolate them")
        u = interpolate_households(u, lsoas, unit_column=col)
    u["unit"], u["name"] = u[col].astype(str), u[col].astype(str)
    return u


def unit_coverage(units: gpd.GeoDataFrame, area: Area, incidents: gpd.GeoDataFrame | None = None, *,
                  tolerance: float | None = None) -> float:
    """Share of the area the campaign units cover (0-1): a unit layer that
    misses part of the area would leave its households out.

    With ``incidents``, the share of them within ``tolerance`` metres of a
    unit: what a campaign would miss. Generalised units leave the river
    (the Thames boroughs' polygons reach mid-stream) and slivers along their
    edges, where police.uk snap points on street centrelines lie, so an area
    share under-counts them (City of London 92 %, 72 % of its burglaries
    strictly inside, 100 % within 25 m).

    Parameters
    ----------
    units : GeoDataFrame
        The units (the area's CRS, metres).
    area : Area
        The study area.
    incidents : GeoDataFrame, optional
        The area's incidents (same CRS); without them, the covered share of
        the area's surface.
    tolerance : float, optional
        Metres; default :data:`hotspot.settings.AREA_EDGE_TOLERANCE` (read at
        call time).

    Returns
    -------
    float
        Share of the incidents within reach of a unit, or of the area's
        surface covered.
    """
    from . import settings

    if not len(units) or area.geometry.area <= 0:
        return 0.0
    covered = shapely.union_all(units.geometry.to_numpy())
    if incidents is not None and len(incidents):
        reach = settings.AREA_EDGE_TOLERANCE if tolerance is None else tolerance
        return float(shapely.dwithin(covered, incidents.geometry.to_numpy(), reach).mean())
    return float(covered.intersection(area.geometry).area / area.geometry.area)


#: A unit less than this share inside the LSOA layer cannot get its households by interpolation.
MIN_INTERPOLATED_SHARE = 0.95


def interpolate_households(units: gpd.GeoDataFrame, source: gpd.GeoDataFrame, *, unit_column: str) -> gpd.GeoDataFrame:
    """Households of any polygons, by area from ``source`` polygons (e.g.
    LSOAs) with a ``households`` column, assuming each source's households are
    spread evenly over it.

    Parameters
    ----------
    units : GeoDataFrame
        The polygons that need households (projected CRS, metres).
    source : GeoDataFrame
        Polygons with a ``households`` column (e.g. :func:`lsoa_units`).
    unit_column : str
        Column of ``units`` that identifies each unit.

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``households`` (whole numbers) and
        ``households_from``: the source polygons used and the share of each
        (e.g. ``"E01000001 62%; E01000002 100%"``; by ``unit`` when the
        source has one).

    Raises
    ------
    HotspotError
        A unit lies less than :data:`MIN_INTERPOLATED_SHARE` inside the
        source polygons (its households cannot be had; named with the share).
    """
    src = source[["households", "geometry"]].to_crs(units.crs).copy()
    src["source_id"] = (source["unit"] if "unit" in source else pd.Series(source.index, index=source.index)).astype(str)
    src["geometry"] = src.geometry.make_valid()
    src["src_area"] = src.geometry.area
    tgt = units[[unit_column, "geometry"]].copy()
    tgt["geometry"] = tgt.geometry.make_valid()
    inter = gpd.overlay(tgt, src, how="intersection", keep_geom_type=True)
    inter["share"] = inter.geometry.area / inter["src_area"]
    inter["hh"] = inter["households"] * inter["share"]
    inside = inter.assign(part_m2=inter.geometry.area).groupby(unit_column)["part_m2"].sum()
    covered = (units[unit_column].map(inside).fillna(0.0) / units.geometry.area.where(units.geometry.area > 0)).fillna(0.0)
    short = covered < MIN_INTERPOLATED_SHARE
    if short.any():
        names = ", ".join(f"{n} ({c:.0%})" for n, c in zip(units.loc[short, unit_column].head(3), covered[short].head(3)))
        raise HotspotError(f"households cannot be interpolated for {int(short.sum())} of {len(units)} units: "
                           f"{names} of their area lies in the LSOA layer (needs {MIN_INTERPOLATED_SHARE:.0%}); "
                           "give the units a 'households' column")
    used = inter[inter["share"] > 0.005].sort_values([unit_column, "share"], ascending=[True, False])
    labels = [f"{i} {share:.0%}" for i, share in zip(used["source_id"], used["share"])]
    sources = used.assign(label=labels).groupby(unit_column)["label"].agg("; ".join)
    out = units.copy()
    out["households"] = out[unit_column].map(inter.groupby(unit_column)["hh"].sum()).fillna(0.0).round().astype(int)
    out["households_from"] = out[unit_column].map(sources).fillna("")
    return out


def expected_burglaries(units: gpd.GeoDataFrame, *, incidents: gpd.GeoDataFrame, surface: Surface | None = None,
                        months: int = 12) -> gpd.GeoDataFrame:
    """Expected burglaries per unit over the next 12 months and the risk per
    1,000 households (see the module doc).

    Parameters
    ----------
    units : GeoDataFrame
        Polygons with ``households`` (same metric CRS as ``incidents``).
    incidents : GeoDataFrame
        The area's burglaries (``occurred``); the last ``months`` months set
        the yearly total.
    surface : Surface, optional
        Forecast surface (each unit's share of it times the yearly total);
        without it, each unit's own recent count.
    months : int
        Length of the recent window, months (default 12); counts are
        scaled to a year.

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``expected_burglaries`` (per year),
        ``rate_per_1000_households`` (expected burglaries per 1,000
        households a year; 0 without households) and ``basis``.
    """
    require_same_metric_crs(units=units, incidents=incidents, surface=surface)
    end = incidents["occurred"].max().to_period("M")
    recent = incidents[incidents["occurred"].dt.to_period("M") > end - months]
    annual = len(recent) * 12.0 / months
    out = units.copy()
    geoms = out.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    if surface is not None:
        X, Y = surface.grid.centres()
        m = surface.mask & (surface.values > 0)
        pts = shapely.points(X[m], Y[m])
        vals = surface.values[m]
        pi, ui = tree.query(pts, predicate="within")
        mass = np.bincount(ui, weights=vals[pi], minlength=len(out))
        total = vals.sum()
        out["expected_burglaries"] = mass / total * annual if total > 0 else 0.0
        out["basis"] = f"forecast surface ({surface.meta.get('method', 'surface')})"
    else:
        pts = shapely.points(recent.geometry.x.to_numpy(), recent.geometry.y.to_numpy())
        pi, ui = tree.query(pts, predicate="within")
        out["expected_burglaries"] = np.bincount(ui, minlength=len(out)) * 12.0 / months
        out["basis"] = f"counts, last {months} months"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_1000_households"] = np.where(out["households"] > 0,
                                                   out["expected_burglaries"] / out["households"] * 1000, 0.0)
    return out


# --------------------------------------------------------------------------- allocation


def allocate(units: pd.DataFrame, *, leaflets: int = 25_000, timer_switches: int = 3_000,
             rule: str = "partial") -> pd.DataFrame:
    """Leaflets and timer switches per unit (see the module doc for the rule).

    Parameters
    ----------
    units : DataFrame
        Units with ``households``, ``expected_burglaries`` and
        ``rate_per_1000_households`` (:func:`expected_burglaries`).
    leaflets : int
        Leaflet budget (one per household).
    timer_switches : int
        Timer-switch budget (one per household).
    rule : str
        ``"partial"`` (fill by risk, the last unit partly) or ``"whole"``
        (whole units only, exact 0/1 knapsack).

    Returns
    -------
    DataFrame
        ``units`` with ``leaflets``, ``timer_switches``,
        ``reached_by_leaflets`` and ``reached_by_switches`` (expected
        burglaries a year), sorted by risk rate.

    Raises
    ------
    HotspotError
        A negative budget or an unknown rule.
    """
    if leaflets < 0 or timer_switches < 0:
        raise HotspotError("budgets must not be negative")
    if rule not in ("partial", "whole"):
        raise HotspotError("rule must be 'partial' or 'whole'")
    u = units.sort_values(["rate_per_1000_households", "expected_burglaries"], ascending=False, kind="stable").copy()
    hh = u["households"].to_numpy(int)
    exp = u["expected_burglaries"].to_numpy(float)
    per_hh = np.where(hh > 0, exp / np.maximum(hh, 1), 0.0)
    if rule == "partial":
        cum = np.cumsum(hh)
        before = cum - hh
        given = np.clip(leaflets - before, 0, hh)
    else:
        given = _knapsack(hh, exp, leaflets)
    u["leaflets"] = given.astype(int)
    u["reached_by_leaflets"] = per_hh * given
    cum = np.cumsum(hh)
    switches = np.clip(timer_switches - (cum - hh), 0, hh)
    u["timer_switches"] = switches.astype(int)
    u["reached_by_switches"] = per_hh * switches
    return u


def _knapsack(weights: np.ndarray, values: np.ndarray, capacity: int) -> np.ndarray:
    """Whole-unit 0/1 knapsack, exact with CBC: households given per unit."""
    import pulp

    if capacity <= 0 or len(weights) == 0:
        return np.zeros(len(weights), int)
    prob = pulp.LpProblem("leaflets", pulp.LpMaximize)
    x = [pulp.LpVariable(f"u{i}", cat="Binary") for i in range(len(weights))]
    prob += pulp.lpSum(float(v) * xi for v, xi in zip(values, x))
    prob += pulp.lpSum(int(w) * xi for w, xi in zip(weights, x)) <= int(capacity)
    status = prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[status] != "Optimal":
        raise HotspotError(f"leaflet knapsack: solver status {pulp.LpStatus[status]}")
    return np.array([int(round(xi.value() or 0)) * w for xi, w in zip(x, weights)])


# --------------------------------------------------------------------------- timing


def seasonal_index(incidents: gpd.GeoDataFrame) -> pd.Series:
    """Seasonal index by calendar month (1 = average month), over the
    complete calendar years in the data.

    Parameters
    ----------
    incidents : GeoDataFrame
        Burglaries with ``occurred``; at least one complete calendar year.

    Returns
    -------
    Series
        Index by month number 1-12 (a ratio to the year's monthly mean).

    Raises
    ------
    HotspotError
        No complete calendar year in the data.
    """
    per = incidents["occurred"].dt.to_period("M")
    counts = per.value_counts().sort_index()
    full = pd.period_range(per.min(), per.max(), freq="M")
    counts = counts.reindex(full, fill_value=0)
    df = pd.DataFrame({"year": full.year, "month": full.month, "n": counts.to_numpy()})
    complete = df.groupby("year")["month"].nunique()
    df = df[df["year"].isin(complete[complete == 12].index)]
    if df.empty:
        raise HotspotError("a seasonal index needs at least one complete calendar year of data")
    df["ratio"] = df["n"] / df.groupby("year")["n"].transform("mean")
    return df.groupby("month")["ratio"].mean().rename("index")


def winter_summer_ratio(index: pd.Series) -> float:
    """Mean index Nov-Feb over mean index May-Aug.

    Parameters
    ----------
    index : Series
        Seasonal index by month number (:func:`seasonal_index`).

    Returns
    -------
    float
        The ratio (above 1: more burglary in winter).
    """
    return float(index.loc[list(WINTER)].mean() / index.loc[list(SUMMER)].mean())


def clocks_go_back(year: int, rule: str = "eu") -> pd.Timestamp:
    """The day the evenings get dark an hour earlier.

    ``rule``: ``"eu"`` (the UK and the EU) the last Sunday of October;
    ``"us"`` (the US and Canada) the first Sunday of November; ``"none"``
    (no daylight saving) 1 November, the start of the dark-evening season.

    Parameters
    ----------
    year : int
        Calendar year.
    rule : str
        ``"eu"``, ``"us"`` or ``"none"`` (see above).

    Returns
    -------
    Timestamp
        The day (midnight).

    Raises
    ------
    HotspotError
        An unknown rule.
    """
    if rule == "us":
        d = pd.Timestamp(year=year, month=11, day=1)
        return d + pd.Timedelta(days=(6 - d.weekday()) % 7)
    if rule == "none":
        return pd.Timestamp(year=year, month=11, day=1)
    if rule != "eu":
        raise HotspotError(f"clock rule {rule!r}: use eu, us or none")
    last = calendar.monthrange(year, 10)[1]
    d = pd.Timestamp(year=year, month=10, day=last)
    return d - pd.Timedelta(days=(d.weekday() - 6) % 7)


def clock_rule_for(lon: float, lat: float) -> str:
    """The clock-change rule where (lon, lat) lies, unless
    ``settings.CLOCK_RULE`` names one: Europe ``"eu"``, North America
    ``"us"``, elsewhere ``"none"`` (the campaign notes say so).

    Parameters
    ----------
    lon : float
        Longitude, degrees (WGS84).
    lat : float
        Latitude, degrees (WGS84).

    Returns
    -------
    str
        ``"eu"``, ``"us"`` or ``"none"``.
    """
    from . import settings

    if settings.CLOCK_RULE != "auto":
        return settings.CLOCK_RULE
    if -25 <= lon <= 45 and 34 <= lat <= 72:
        return "eu"
    if -170 <= lon <= -50 and 15 <= lat <= 72:
        return "us"
    return "none"


def campaign_window(index: pd.Series, year: int, *, lead_days: int = 14,
                    clock_rule: str = "eu") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Recommended window: from ``lead_days`` before the clocks go back
    (:func:`clocks_go_back` with ``clock_rule``) to the end of the last
    above-average month of the winter season that follows (at least the end
    of November).

    Parameters
    ----------
    index : Series
        Seasonal index by month number (:func:`seasonal_index`).
    year : int
        Year whose autumn the window starts in.
    lead_days : int
        Days before the clocks go back that the window starts (default 14).
    clock_rule : str
        ``"eu"``, ``"us"`` or ``"none"`` (:func:`clocks_go_back`).

    Returns
    -------
    (Timestamp, Timestamp)
        First and last day of the window.
    """
    start = clocks_go_back(year, clock_rule) - pd.Timedelta(days=lead_days)
    end_month = 11
    for m in (11, 12, 1, 2, 3):
        if index.loc[m] > 1.0:
            end_month = m
        else:
            break
    end_year = year + (1 if end_month < 10 else 0)
    end = pd.Timestamp(year=end_year, month=end_month, day=calendar.monthrange(end_year, end_month)[1])
    return start, end


def next_campaign_window(index: pd.Series, as_of: str | date, *, lead_days: int = 14, year: int | None = None,
                         clock_rule: str = "eu") -> tuple[pd.Timestamp, pd.Timestamp, list[str]]:
    """The campaign window to recommend on ``as_of``: the first that starts
    on or after ``as_of`` (a window already past or under way is never the
    recommendation; one under way is named in the notes). With ``year``,
    that year's window, which must not have started.

    Parameters
    ----------
    index : Series
        Seasonal index by month number (:func:`seasonal_index`).
    as_of : str or date
        Planning date.
    lead_days : int
        Days before the clocks go back that a window starts (default 14).
    year : int, optional
        Ask for this year's window instead of the next one.
    clock_rule : str
        ``"eu"``, ``"us"`` or ``"none"`` (:func:`clocks_go_back`).

    Returns
    -------
    (start, end, notes)
        First and last day of the window (Timestamps) and notes (a window
        under way, named).

    Raises
    ------
    HotspotError
        ``year``'s window started before ``as_of``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    notes: list[str] = []
    if year is not None:
        start, end = campaign_window(index, year, lead_days=lead_days, clock_rule=clock_rule)
        if start < as_of:
            raise HotspotError(f"--year {year}: that campaign window ({start:%d %b %Y} to {end:%d %b %Y}) started "
                               f"before {as_of:%d %b %Y}; leave --year out for the next one")
        return start, end, notes
    for y in (as_of.year - 1, as_of.year, as_of.year + 1):
        start, end = campaign_window(index, y, lead_days=lead_days, clock_rule=clock_rule)
        if start < as_of <= end:
            notes.append(f"a campaign window is under way ({start:%d %b %Y} to {end:%d %b %Y}); "
                         "the plan is for the next one")
        if start >= as_of:
            return start, end, notes
    raise HotspotError(f"no campaign window found after {as_of:%d %b %Y}")  # pragma: no cover


@dataclass
class CampaignPlan:
    """Targets, budgets used and timing of a campaign.

    Leaflets and timer switches are counts (one per household); expected
    burglaries are per year; ``targets`` carries ``rank``, ``unit``,
    ``name``, ``households``, the allocation and, with a postcode layer,
    ``postcodes`` (``drops`` is :func:`drop_list`); ``notes`` qualify the
    plan. ``rule`` is the allocation rule (``partial`` or ``whole``),
    ``clock_rule`` the clock change the window follows (``eu``, ``us`` or
    ``none``). ``streets_from_addresses``: the incidents' location text is
    a force's own exact-address text (not police.uk snap points), so
    ``streets`` name burgled addresses' streets and public forms leave them
    out (:mod:`hotspot.disclosure`).
    """

    targets: gpd.GeoDataFrame
    leaflets_used: int
    timer_switches_used: int
    share_reached: float
    expected_total: float
    campaign_window: tuple[pd.Timestamp, pd.Timestamp]
    clocks_go_back: pd.Timestamp
    seasonal_index: pd.Series
    winter_summer_ratio: float
    rule: str
    basis: str
    as_of: pd.Timestamp | None = None
    drops: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    clock_rule: str = "eu"
    streets_from_addresses: bool = False

    def to_json(self) -> dict:
        """The plan as a JSON-ready dict (see ``hotspot leaflets --json``)."""
        t = self.targets
        return {
            "as_of": None if self.as_of is None else str(self.as_of.date()),
            "notes": list(self.notes or []),
            "leaflets_used": self.leaflets_used, "timer_switches_used": self.timer_switches_used,
            "share_reached": round(self.share_reached, 4), "rule": self.rule, "clock_rule": self.clock_rule,
            "basis": self.basis,
            "units": {"expected_burglaries": "burglaries per year",
                      "rate_per_1000_households": "burglaries per 1,000 households per year",
                      "leaflets": "leaflets (one per household)", "timer_switches": "timer switches (one per household)",
                      "share_reached": "share of expected burglaries (0-1)"},
            "campaign_window": [str(self.campaign_window[0].date()), str(self.campaign_window[1].date())],
            "clocks_go_back": str(self.clocks_go_back.date()),
            "winter_summer_ratio": round(self.winter_summer_ratio, 3),
            "seasonal_index": {int(k): round(float(v), 3) for k, v in
                               zip(self.seasonal_index.index.to_numpy(int), self.seasonal_index.to_numpy(float))},
            "targets": [{"unit": str(r.unit), "name": str(r.name), "households": int(r.households),
                         "leaflets": int(r.leaflets), "timer_switches": int(r.timer_switches),
                         "expected_burglaries": round(float(r.expected_burglaries), 3),
                         "rate_per_1000_households": round(float(r.rate_per_1000_households), 3),
                         "postcodes": list(getattr(r, "postcodes", None) or []),
                         "streets": list(getattr(r, "streets", None) or [])}
                        for r in t.itertuples()],
        }


def plan_campaign(units: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *, surface: Surface | None = None,
                  leaflets: int = 25_000, timer_switches: int = 3_000, rule: str = "partial", year: int | None = None,
                  as_of: str | date | None = None,
                  postcodes: gpd.GeoDataFrame | None = None) -> CampaignPlan:
    """Expected burglaries per unit, the allocation, the postcodes to drop
    and the timing.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons with ``unit``, ``name`` and ``households``.
    incidents : GeoDataFrame
        The area's burglaries (``occurred``, working CRS in metres): expected
        burglaries without a surface, the seasonal index, street names.
    surface : Surface, optional
        Forecast surface (expected burglaries and postcode risk).
    leaflets : int
        Leaflet budget (one per household; default 25,000).
    timer_switches : int
        Timer-switch budget (one per household; default 3,000).
    rule : str
        ``partial`` or ``whole`` (see :func:`allocate`).
    year : int, optional
        Campaign year (must not be past on ``as_of``).
    as_of : date-like, optional
        Planning date (default: today): the window recommended is the next
        one (see :func:`next_campaign_window`).
    postcodes : GeoDataFrame, optional
        Postcode points (:func:`hotspot.places.read_postcodes`): the drop
        list per target (:func:`drop_list`).

    Returns
    -------
    CampaignPlan
        Targets in risk order with their allocation, budgets used, share of
        expected burglaries reached, the campaign window and notes.

    Raises
    ------
    HotspotError
        No incidents, no unit in the area, units without households, or a
        ``year`` whose window has started.
    """
    if len(incidents) == 0:
        raise HotspotError("no incidents to plan a campaign from (check --crime-type and the area)")
    if "households" not in units:
        raise HotspotError("units need a 'households' column")
    if units.empty:
        raise HotspotError("no unit of the unit layer lies in the area: give --units (polygons with households) "
                           "that cover it")
    scored = expected_burglaries(units, incidents=incidents, surface=surface)
    alloc = allocate(scored, leaflets=leaflets, timer_switches=timer_switches, rule=rule)
    total = float(scored["expected_burglaries"].sum())
    targets = alloc[(alloc["leaflets"] > 0) | (alloc["timer_switches"] > 0)].copy()
    targets.insert(0, "rank", np.arange(1, len(targets) + 1))
    index = seasonal_index(incidents)
    as_of = pd.Timestamp.now().normalize() if as_of is None else pd.Timestamp(as_of)
    from .crs import to_lonlat

    centre = units.geometry.union_all().centroid
    lon, lat = to_lonlat([centre.x], [centre.y], units.crs)
    clock_rule = clock_rule_for(float(lon[0]), float(lat[0]))
    start, end, notes = next_campaign_window(index, as_of, year=year, clock_rule=clock_rule)
    if clock_rule == "none":
        notes.append("no clock change assumed here: the window starts two weeks before 1 November "
                     "(set hotspot.settings.CLOCK_RULE to 'eu' or 'us' where clocks go back)")
    year = start.year
    targets = gpd.GeoDataFrame(targets, geometry="geometry", crs=units.crs)
    drops = None
    if postcodes is not None:
        drops = drop_list(targets, postcodes, incidents=incidents, surface=surface)
        targets["postcodes"] = [drops.loc[drops["unit"] == u, "postcode"].tolist() for u in targets["unit"]]
        n_none = int(sum(1 for p in targets["postcodes"] if not p))
        if n_none:
            notes.append(_postcode_gap_note(targets, postcodes, n_none))
    from .disclosure.check import exact_address_streets

    targets["streets"] = unit_streets(targets, incidents)
    from .places import layer_caveats

    # what the reference layers the plan rests on cannot tell (generalised LSOAs, postcode units not households)
    notes += layer_caveats([units.attrs.get("source"), postcodes.attrs.get("source") if postcodes is not None else None])
    return CampaignPlan(
        targets=targets,
        leaflets_used=int(alloc["leaflets"].sum()), timer_switches_used=int(alloc["timer_switches"].sum()),
        share_reached=float(alloc["reached_by_leaflets"].sum() / total) if total > 0 else 0.0,
        expected_total=total, campaign_window=(start, end), clocks_go_back=clocks_go_back(year, clock_rule),
        seasonal_index=index, winter_summer_ratio=winter_summer_ratio(index), rule=rule,
        basis=str(scored["basis"].iloc[0]) if len(scored) else "", as_of=as_of, drops=drops, notes=notes,
        clock_rule=clock_rule, streets_from_addresses=bool(exact_address_streets(incidents)),
    )


def _postcode_gap_note(targets: gpd.GeoDataFrame, postcodes: gpd.GeoDataFrame, n_none: int) -> str:
    """Why target units have no postcode: the layer stops short of them (its
    points' hull, 500 m out), or they hold none (non-residential units)."""
    hull = shapely.convex_hull(shapely.union_all(postcodes.to_crs(targets.crs).geometry.to_numpy())).buffer(500)
    outside = int((~targets.geometry.centroid.within(hull)).sum())
    note = f"{n_none} target units have no postcode of the postcode layer inside them"
    if outside:
        note += (f"; {outside} of them lie beyond the postcode layer, which covers only part of the area: give "
                 "--postcodes covering the whole area for their drop lists")
    return note


def _split_exact(total: int, n: int) -> np.ndarray:
    """``total`` split over ``n`` parts as evenly as possible, summing exactly."""
    if n == 0:
        return np.zeros(0, int)
    base = np.full(n, total // n)
    base[: total - base.sum()] += 1
    return base


def drop_list(targets: gpd.GeoDataFrame, postcodes: gpd.GeoDataFrame, *, incidents: gpd.GeoDataFrame,
              surface: Surface | None = None, radius: float = 100.0, months: int = 12) -> pd.DataFrame:
    """Postcode units to drop in each target, highest risk first.

    Risk of a postcode: the forecast surface at its cell when a surface is
    given, else the recent burglaries (last ``months`` months) within
    ``radius`` metres. Households per postcode come from the layer when it
    has them, else the unit's households split evenly over its postcodes
    (Code-Point Open has no address counts; ``households_basis`` says which).
    Each target's leaflets and timer switches go to its postcodes in risk
    order, the last one partly, so they sum exactly to the target's.

    Parameters
    ----------
    targets : GeoDataFrame
        The plan's targets (``rank``, ``unit``, ``name``, ``households``,
        ``leaflets``, ``timer_switches``, polygons).
    postcodes : GeoDataFrame
        Postcode points with ``postcode`` (and ``households`` if known).
    incidents : GeoDataFrame
        The area's burglaries (``occurred``): postcode risk without a
        surface.
    surface : Surface, optional
        Forecast surface (a postcode's risk is its cell's value).
    radius : float
        Search radius in metres (default 100 m): without a surface, the
        burglaries this close to a postcode are its risk.
    months : int
        Without a surface, the recent window counted, months (default 12).

    Returns
    -------
    DataFrame
        ``target_rank, unit, unit_name, drop_order, postcode, households,
        households_basis, leaflets, timer_switches, risk``.
    """
    pc = postcodes.to_crs(targets.crs)
    if len(targets):  # only postcodes within the targets' extent can be dropped (a city-wide layer is 187k points)
        x0, y0, x1, y1 = targets.total_bounds
        pc = pc.cx[x0:x1, y0:y1]
    px, py = pc.geometry.x.to_numpy(), pc.geometry.y.to_numpy()
    if surface is not None:
        row, col, ok = surface.grid.index(px, py)
        risk = np.zeros(len(pc))
        risk[ok] = np.where(surface.mask[row[ok], col[ok]], surface.values[row[ok], col[ok]], 0.0)
        basis_risk = "forecast"
    else:
        end = incidents["occurred"].max().to_period("M")
        recent = incidents[incidents["occurred"].dt.to_period("M") > end - months]
        from scipy.spatial import cKDTree

        tree = cKDTree(np.c_[recent.geometry.x, recent.geometry.y]) if len(recent) else None
        risk = np.array([len(v) for v in tree.query_ball_point(np.c_[px, py], radius)], float) if tree else np.zeros(len(pc))
        basis_risk = "recent burglaries"
    rows = []
    has_hh = "households" in pc and pc["households"].notna().any()
    for t in targets.itertuples():
        inside = np.flatnonzero(shapely.contains_xy(t.geometry, px, py))
        if not len(inside):
            continue
        order = inside[np.lexsort((pc["postcode"].to_numpy()[inside], -risk[inside]))]
        if has_hh:
            hh = pc["households"].to_numpy()[order]
            hh = np.nan_to_num(hh).astype(int)
            basis = "postcode layer"
        else:
            hh = _split_exact(int(t.households), len(order))
            basis = f"even split of {int(t.households):,} households over {len(order)} postcodes"
        cum = np.cumsum(hh) - hh
        lf = np.clip(int(t.leaflets) - cum, 0, hh)
        ts = np.clip(int(t.timer_switches) - cum, 0, hh)
        for k, j in enumerate(order):
            if lf[k] <= 0 and ts[k] <= 0:
                continue
            rows.append({"target_rank": int(t.rank), "unit": str(t.unit), "unit_name": str(t.name),
                         "drop_order": k + 1, "postcode": str(pc["postcode"].iloc[j]), "households": int(hh[k]),
                         "households_basis": basis, "leaflets": int(lf[k]), "timer_switches": int(ts[k]),
                         "risk": float(risk[j]), "risk_basis": basis_risk})
    return pd.DataFrame(rows, columns=["target_rank", "unit", "unit_name", "drop_order", "postcode", "households",
                                       "households_basis", "leaflets", "timer_switches", "risk", "risk_basis"])


def unit_streets(targets: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *, top: int = 8) -> list[list[str]]:
    """Street names of each target, from its incidents' location text
    (police.uk "On or near X" -> X), commonest first; no counts (a street
    name with a count could point at a victim).

    Parameters
    ----------
    targets : GeoDataFrame
        Target polygons (same CRS as ``incidents``).
    incidents : GeoDataFrame
        Burglaries with ``location_text``; without that column every target
        gets an empty list.
    top : int
        Most street names per target (default 8).

    Returns
    -------
    list of list of str
        One list per target, in the order of ``targets``.
    """
    from .nanobeats import street_name

    if "location_text" not in incidents or not len(targets):
        return [[] for _ in range(len(targets))]
    loc = incidents["location_text"].fillna("").astype(str).to_numpy()
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()
    out = []
    for g in targets.geometry:
        inside = shapely.contains_xy(g, x, y)
        names = pd.Series([n for n in (street_name(v) for v in loc[inside] if v) if n], dtype=object)
        out.append(names.value_counts().head(top).index.tolist())
    return out


# --------------------------------------------------------------------------- the `leaflets` command's plan
def plan_leaflets(area: Area, incidents: gpd.GeoDataFrame, *, units: gpd.GeoDataFrame | None = None,
                  unit_column: str | None = None, lsoas: gpd.GeoDataFrame | None = None,
                  method: str | None = "counts_36", leaflets: int = 25_000, timer_switches: int = 3_000,
                  rule: str = "partial", year: int | None = None, as_of: str | date | None = None,
                  postcodes: gpd.GeoDataFrame | None = None) -> CampaignPlan:
    """The ``leaflets`` command's plan: units, expected burglaries from a
    forecast, the allocation, the drop list and the next campaign window.

    Parameters
    ----------
    area : Area
        The study area.
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    units : GeoDataFrame, optional
        The user's unit polygons (see :func:`campaign_units`); default the LSOAs.
    unit_column : str, optional
        Name/id column of ``units``.
    lsoas : GeoDataFrame, optional
        LSOAs with households (e.g. :meth:`hotspot.jobs.reference.ReferenceData.lsoa_units`).
    method : str or None
        Forecast method for expected burglaries (default ``counts_36``:
        counts over 36 months); None: the incidents' own yearly rate.
    leaflets, timer_switches : int
        Budgets, one per household.
    rule : {"partial", "whole"}
        The last unit partly (``partial``) or whole units only (``whole``, exact).
    year : int, optional
        Campaign year (default: the next window after ``as_of``; a past one is refused).
    as_of : date-like, optional
        Planning date (default today).
    postcodes : GeoDataFrame, optional
        Postcode layer for the drop list (a note says when there is none).

    Returns
    -------
    CampaignPlan
    """
    from ._errors import OptionError
    from .forecast import PeriodCounts, forecast_surface

    if rule not in ("partial", "whole"):
        raise OptionError("--rule: partial or whole")
    u = campaign_units(area, units=units, unit_column=unit_column, lsoas=lsoas)
    surface = forecast_surface(PeriodCounts.from_incidents(incidents, area), method) if method else None
    plan = plan_campaign(u, incidents, surface=surface, leaflets=leaflets, timer_switches=timer_switches,
                         rule=rule, year=year, as_of=as_of, postcodes=postcodes)
    if postcodes is None:
        plan.notes.append("no postcode layer: give --postcodes for the drop list by postcode")
    if "households_from" in u:  # the user's units: their households rest on the LSOAs
        from .places import layer_caveats

        plan.notes += layer_caveats([lsoas.attrs.get("source") if lsoas is not None else None])
        plan.notes.append(f"households of the {len(u)} units are interpolated by area from Census 2011 LSOAs "
                          "(households spread evenly over each LSOA); each unit's households_from names the LSOAs "
                          "used and the share of each")
    types = incidents["crime_type"].value_counts() if "crime_type" in incidents else pd.Series(dtype=int)
    if len(types) > 1:  # a household campaign counted from commercial break-ins too would aim at shops
        plan.notes.append("expected burglaries count every crime type given: "
                          + ", ".join(f"{k} ({v:,})" for k, v in types.items())
                          + "; give --crime-type to count household burglary only")
    return plan


def plan_table(plan: CampaignPlan, *, public: bool = False) -> pd.DataFrame:
    """The plan as a table, one row per target unit (no geometry).

    Parameters
    ----------
    plan : CampaignPlan
        A plan from :func:`plan_campaign` or :func:`plan_leaflets`.
    public : bool
        Safe to publish: without modelled burglary figures, and from
        exact-address data without streets, by postcode sector
        (:func:`hotspot.disclosure.public_plan_frame`).

    Returns
    -------
    DataFrame
    """
    frame = pd.DataFrame(plan.targets.drop(columns="geometry"))
    if public:
        from .disclosure.publish import public_plan_frame

        frame = public_plan_frame(frame, from_addresses=plan.streets_from_addresses)
    return frame


def plan_json(plan: CampaignPlan, *, public: bool = False) -> dict:
    """The plan as the ``leaflets --json`` object (:meth:`CampaignPlan.to_json`).

    Parameters
    ----------
    plan : CampaignPlan
        A plan from :func:`plan_campaign` or :func:`plan_leaflets`.
    public : bool
        Safe to publish: without modelled burglary figures, and from
        exact-address data without streets, by postcode sector
        (:func:`hotspot.disclosure.public_campaign_json`).

    Returns
    -------
    dict
    """
    out = plan.to_json()
    if public:
        from .disclosure.publish import public_campaign_json

        out = public_campaign_json(out, from_addresses=plan.streets_from_addresses)
    return out
