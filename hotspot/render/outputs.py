"""Every audience's outputs in one call (for ``hotspot demo`` / ``run``).

:func:`write_audience_outputs` takes the plans an end-to-end run made and
writes what each audience acts on: the sergeant's brief (HTML, and PDF when
Chromium is there), the council's camera-siting report, the campaign team's
drop list, one map per audience plus an overview, and the public outputs
(checked by :func:`hotspot.disclosure.check_public`; a leak raises).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from .anpr_report import write_anpr_report
from .brief import PatrolBrief, find_chromium, patrol_brief
from .droplist import write_drop_list
from .maps import audience_maps
from .public import public_outputs

if TYPE_CHECKING:  # annotations only: the analytics modules do not import the renderers
    from ..anpr.plan import ANPRPlan
    from ..areas import Area
    from ..campaigns.plan import CampaignPlan
    from ..kde import Surface
    from ..nanobeats.plan import NanoBeatPlan


def write_audience_outputs(area: Area, *, maps_dir: str | Path, reports_dir: str | Path, name: str,
                           incidents: gpd.GeoDataFrame, public_incidents: gpd.GeoDataFrame | None = None,
                           neighbours: gpd.GeoDataFrame | None = None, nanobeats: NanoBeatPlan | None = None,
                           brief: PatrolBrief | None = None,
                           anpr: ANPRPlan | None = None, campaign: CampaignPlan | None = None,
                           surface: Surface | None = None, hotspots: gpd.GeoDataFrame | None = None,
                           recent: gpd.GeoDataFrame | None = None,
                           roads: gpd.GeoDataFrame | None = None, postcodes: gpd.GeoDataFrame | None = None,
                           tiles: str | None = None, pdf: bool = True,
                           existing_label: str = "Existing cameras", risk_basis: str = "the forecast surface",
                           details: dict | None = None) -> dict[str, Path]:
    """Write each audience's outputs.

    Parameters
    ----------
    area : Area
        The area the plans are for.
    maps_dir, reports_dir : path
        Folders for the maps and for the pages/files.
    name : str
        File-name stem (e.g. the area's slug).
    incidents : GeoDataFrame
        Every accepted incident (the reference for the public check).
    public_incidents : GeoDataFrame, optional
        The incidents the public map draws its fixed published window from
        (default ``incidents``; see :func:`hotspot.disclosure.public_window`).
    neighbours, surface, hotspots, recent : optional
        Map layers (see :func:`hotspot.render.maps.audience_maps`).
    nanobeats : NanoBeatPlan, optional
        Patrol map, and the brief when ``brief`` is not given.
    brief : PatrolBrief, optional
        The brief of ``nanobeats`` as made (the run's:
        :func:`hotspot.jobs.brief.plan_brief`); default
        :func:`hotspot.render.brief.patrol_brief` on ``roads`` and ``postcodes``.
    anpr : ANPRPlan, optional
        Camera-siting report and cameras map.
    campaign : CampaignPlan, optional
        Drop list, campaign map and public campaign outputs.
    roads, postcodes : GeoDataFrame, optional
        Street lines and postcode points for the brief when ``brief`` is not given.
    tiles : str, optional
        Base tiles for the maps.
    pdf : bool
        Print the brief to PDF when Chromium is installed.
    existing_label : str
        Map layer name of the cameras already installed.
    risk_basis : str
        What the camera report says the burglary risk was measured from.
    details : dict, optional
        Filled with what the pages say that a summary needs: ``"brief"``
        (targets, how many have a postcode and a street, route km, notes).

    Returns
    -------
    dict
        Output name -> path.
    """
    with ThreadPoolExecutor(max_workers=1) as printer:
        maps_dir, reports_dir = Path(maps_dir), Path(reports_dir)
        reports_dir.mkdir(parents=True, exist_ok=True)
        if brief is None and nanobeats is not None:
            brief = patrol_brief(nanobeats, area, roads=roads, postcodes=postcodes)
        printing: Future[Path] | None = None
        printed = None
        if brief is not None:
            # Chromium (a second process, ~1 s idle) prints while this thread draws the maps and the other
            # pages; the page is made here first (the brief's drawing stays on this thread), and a failed
            # print raises below before returning
            printed = reports_dir / f"{name}_patrol_brief.pdf" if pdf and find_chromium() is not None else None
            printing = printer.submit(brief.save, reports_dir / f"{name}_patrol_brief.html", pdf=printed,
                                      html=brief.to_html())
        out: dict[str, Path] = {}
        for key, path in audience_maps(area, maps_dir, name=name, neighbours=neighbours, nanobeats=nanobeats,
                                       anpr=anpr, campaign=campaign, surface=surface, hotspots=hotspots, recent=recent,
                                       tiles=tiles, existing_label=existing_label).items():
            out[f"{key} map"] = path
        if brief is not None:
            out["patrol brief"] = reports_dir / f"{name}_patrol_brief.html"  # written by the printer (joined below)
            if printed is not None:
                out["patrol brief pdf"] = printed.resolve()
            if details is not None:
                rows = brief.rows
                details["brief"] = {"targets": len(rows), "with_postcode": int(rows["postcode"].notna().sum()),
                                    "with_street": int(rows["street"].notna().sum()),
                                    "route_km": brief.to_json()["route_km"], "notes": list(brief.notes)}
        if anpr is not None:
            out["camera report"] = write_anpr_report(anpr, area.name, reports_dir / f"{name}_anpr_report.html",
                                                     risk_basis=risk_basis)
        if campaign is not None:
            out["drop list"] = write_drop_list(campaign, reports_dir / f"{name}_drop_list.csv")
        from .._errors import HotspotError
        from ..disclosure.check import check_public

        pub = public_incidents if public_incidents is not None else incidents  # the map picks its fixed window
        try:
            out.update(public_outputs(area, pub, reports_dir / "public", name=name, campaign=campaign,
                                      neighbours=neighbours, tiles=tiles, check=False))
        except HotspotError as e:  # too little data for a whole published window: nothing public, said why
            if details is None:
                raise
            details["public"] = f"no public outputs: {e}"

        public = [p for k, p in out.items() if k.startswith("public")]
        found = check_public(public, incidents)
        if found:
            raise HotspotError("public outputs not safe to publish: " + "; ".join(map(str, found[:3])))
        if printing is not None:
            printing.result()  # the page and its print are in place (or their error is raised)
        return out
