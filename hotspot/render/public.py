"""Outputs meant for the public: a map of burglary counts per cell and the
campaign's public map, plan and drop list, checked before they are handed
over (the rules and the checker are :mod:`hotspot.disclosure`, which draws
nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from .._errors import HotspotError
from ..disclosure.check import check_public
from ..disclosure.publish import in_public_window, longest_public_window, public_cells, public_plan_frame
from ..disclosure.rules import K_DEFAULT, PUBLIC_CELL, PUBLIC_WINDOW_MONTHS
from ..io.write import write_table
from .droplist import write_drop_list
from .leaflet import HotspotMap
from .maps import add_campaign, add_public_cells

if TYPE_CHECKING:  # annotations only
    from ..areas import Area
    from ..campaigns.plan import CampaignPlan


def public_map(area: Area, incidents: gpd.GeoDataFrame, path: str | Path, *, neighbours: gpd.GeoDataFrame | None = None,
               cell: float = PUBLIC_CELL, k: int = K_DEFAULT, tiles: str | None = None,
               title: str | None = None, window_months: int = PUBLIC_WINDOW_MONTHS) -> Path:
    """A map safe to publish: the area, its neighbours and burglary counts
    per ``cell``-metre cell with at least ``k``, in bands ``k`` wide, over
    the latest fixed published window (no points, no heat; a release a
    month later shows the same window until the next one is whole).

    Parameters
    ----------
    area : Area
        The area mapped (outline drawn, cells clipped to it).
    incidents : GeoDataFrame
        All the incidents (working CRS, metres, with ``occurred``); those of
        the published window are counted.
    path : path
        HTML file to write.
    neighbours : GeoDataFrame, optional
        Neighbouring areas drawn for orientation.
    cell : float
        Public cell size, metres (default :data:`hotspot.disclosure.PUBLIC_CELL`).
    k : int
        Smallest count shown (default :data:`hotspot.disclosure.K_DEFAULT`).
    tiles : str, optional
        Base tiles (see :func:`hotspot.render.leaflet.add_base_tiles`).
    title : str, optional
        Map title (default "AREA: burglary").
    window_months : int
        Length of the published window, calendar months (a divisor of 12;
        default :data:`hotspot.disclosure.PUBLIC_WINDOW_MONTHS`, 12: the
        latest whole calendar year).

    Returns
    -------
    Path
        The page written.
    """
    m = HotspotMap(area, tiles=tiles, title=title or f"{area.name}: burglary")
    if neighbours is not None and len(neighbours):
        m.add_neighbours(neighbours)
    shown, label = in_public_window(incidents, months=window_months)
    add_public_cells(m, public_cells(shown, area, cell=cell, k=k, period=label))
    return m.save(path)


def public_outputs(area: Area, incidents: gpd.GeoDataFrame, out_dir: str | Path, *, name: str,
                   campaign: CampaignPlan | None = None,
                   neighbours: gpd.GeoDataFrame | None = None, cell: float = PUBLIC_CELL, k: int = K_DEFAULT,
                   tiles: str | None = None, check: bool = True,
                   window_months: int | None = None) -> dict[str, Path]:
    """Write the outputs meant for the public and check them.

    Parameters
    ----------
    area : Area
        The area the outputs are for.
    incidents : GeoDataFrame
        All the incidents (working CRS, metres): the public map counts those
        of the fixed published window; all are the reference for the check.
    out_dir : path
        Folder for ``{name}_public_map.html`` and, with a campaign,
        ``{name}_public_campaign.html``, ``{name}_public_leaflet_plan.csv``
        and ``{name}_public_drop_list.csv``.
    name : str
        File-name stem.
    campaign : CampaignPlan, optional
        The campaign whose public map, plan and drop list are written.
    neighbours : GeoDataFrame, optional
        Neighbouring areas drawn for orientation.
    cell : float
        Public cell size, metres.
    k : int
        Smallest count shown; smaller counts are not drawn.
    tiles : str, optional
        Base tiles (see :func:`hotspot.render.leaflet.add_base_tiles`).
    window_months : int, optional
        Length of the map's fixed published window, calendar months
        (default: 12, or the longest of 6, 3 and 1 whose window the data
        cover whole, :func:`hotspot.disclosure.longest_public_window`).
    check : bool
        Run :func:`check_public` on what was written and raise when it finds
        anything.

    Returns
    -------
    dict
        ``{"public map" | "public campaign map" | "public plan" |
        "public drop list": path}``.

    Raises
    ------
    HotspotError
        ``check`` found something not safe to publish (named).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    months = window_months or longest_public_window(incidents)
    paths = {"public map": public_map(area, incidents, out_dir / f"{name}_public_map.html", neighbours=neighbours,
                                      cell=cell, k=k, tiles=tiles, window_months=months)}
    if campaign is not None:
        m = HotspotMap(area, tiles=tiles, title=f"{area.name}: burglary prevention campaign")
        add_campaign(m, campaign, public=True)
        paths["public campaign map"] = m.save(out_dir / f"{name}_public_campaign.html")
        plan = public_plan_frame(campaign.targets.drop(columns="geometry"),
                                 from_addresses=campaign.streets_from_addresses)
        for c in ("postcodes", "postcode_sectors", "streets"):
            if c in plan:
                plan[c] = ["; ".join(v) if isinstance(v, list) else v for v in plan[c]]
        paths["public plan"] = out_dir / f"{name}_public_leaflet_plan.csv"
        write_table(plan, paths["public plan"])  # the one formula-safe CSV writer
        paths["public drop list"] = write_drop_list(campaign, out_dir / f"{name}_public_drop_list.csv", public=True)
    if check:
        found = check_public(list(paths.values()), incidents, k=k)
        if found:
            raise HotspotError("public outputs not safe to publish: " + "; ".join(map(str, found[:3])))
    return paths
