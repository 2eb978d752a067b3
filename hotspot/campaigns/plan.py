"""The campaign plan: targets, budgets used, drop list and timing in one call
(:func:`plan_campaign`, :class:`CampaignPlan`), the ``leaflets`` command's
plan (:func:`plan_leaflets`) and its table and JSON forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import HotspotError
from ..areas import Area
from .droplist import _postcode_gap_note, drop_list, unit_streets
from .targeting import allocate, expected_burglaries
from .timing import clock_rule_for, clocks_go_back, next_campaign_window, seasonal_index, winter_summer_ratio
from .units import campaign_units

if TYPE_CHECKING:  # annotations only
    from ..kde import Surface


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
        raise HotspotError("no incidents to plan a campaign from (check crime_types= and the area)", param='crime_types')
    if "households" not in units:
        raise HotspotError("units need a 'households' column")
    if units.empty:
        raise HotspotError("no unit of the unit layer lies in the area: give units= (polygons with households) "
                           "that cover it", param='units')
    scored = expected_burglaries(units, incidents=incidents, surface=surface)
    alloc = allocate(scored, leaflets=leaflets, timer_switches=timer_switches, rule=rule)
    total = float(scored["expected_burglaries"].sum())
    targets = alloc[(alloc["leaflets"] > 0) | (alloc["timer_switches"] > 0)].copy()
    targets.insert(0, "rank", np.arange(1, len(targets) + 1))
    index = seasonal_index(incidents)
    as_of = pd.Timestamp.now().normalize() if as_of is None else pd.Timestamp(as_of)
    from ..crs import to_lonlat

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
    from ..disclosure.check import exact_address_streets

    targets["streets"] = unit_streets(targets, incidents)
    from ..places import layer_caveats

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


# --------------------------------------------------------------------------- the `leaflets` command's plan
def plan_leaflets(area: Area, incidents: gpd.GeoDataFrame, *, units: gpd.GeoDataFrame | None = None,
                  unit_column: str | None = None, lsoas: gpd.GeoDataFrame | None = None,
                  method: str | None = "counts_36", leaflets: int = 25_000, timer_switches: int = 3_000,
                  rule: str = "partial", year: int | None = None, as_of: str | date | None = None,
                  postcodes: gpd.GeoDataFrame | None = None, surface: Surface | None = None) -> CampaignPlan:
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
    surface : Surface, optional
        A forecast surface already made (e.g. the run's selected method);
        when given, ``method`` is not used.

    Returns
    -------
    CampaignPlan
    """
    from .._errors import OptionError
    from ..forecast.counts import PeriodCounts
    from ..forecast.methods import forecast_surface

    if rule not in ("partial", "whole"):
        raise OptionError(f"rule=: partial or whole, got {rule!r}", param='rule')
    u = campaign_units(area, units=units, unit_column=unit_column, lsoas=lsoas)
    if surface is None and method:  # a surface already made (the run's selected method) is used as it is
        surface = forecast_surface(PeriodCounts.from_incidents(incidents, area), method)
    plan = plan_campaign(u, incidents, surface=surface, leaflets=leaflets, timer_switches=timer_switches,
                         rule=rule, year=year, as_of=as_of, postcodes=postcodes)
    if postcodes is None:
        plan.notes.append("no postcode layer: give --postcodes for the drop list by postcode")
    if "households_from" in u:  # the user's units: their households rest on the LSOAs
        from ..places import layer_caveats

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
        from ..disclosure.publish import public_plan_frame

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
        from ..disclosure.publish import public_campaign_json

        out = public_campaign_json(out, from_addresses=plan.streets_from_addresses)
    return out
