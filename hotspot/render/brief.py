"""The sergeant's patrol briefing: one printable page (HTML and PDF).

:func:`patrol_brief` turns a :class:`~hotspot.nanobeats.NanoBeatPlan` into
rows a patrol can act on - street, nearest junction or postcode, why the
place is a target, until when, and what to do there - and
:meth:`PatrolBrief.to_html` draws the page: date and window, a static map
(streets when a street layer is given, the numbered targets in patrol order,
the route and its start), and the table. :func:`write_pdf` prints the page
with headless Chromium.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import HotspotError
from ..places import layer_caveats, nearest_junctions, nearest_postcodes, nearest_roads
from . import write_page
from .svgmap import SvgMap

if TYPE_CHECKING:  # for annotations only: nanobeats does not import the renderers
    from shapely.geometry.base import BaseGeometry

    from ..areas import Area
    from ..nanobeats.plan import NanoBeatPlan

#: What to do at a target, by why it is one. Generic, evidence-based advice
#: (visible patrol and cocooning neighbours of recent victims); forces put
#: their own words here.
ACTIONS = {
    "recent burglaries": "Visible patrol after dark; check doors, windows, rear access; "
                         "advise neighbours of recent victims.",
    "history only": "Visible patrol; note insecure homes for the prevention team.",
}


def _e(v) -> str:
    return html.escape("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v), quote=True)


# The page is one A4 sheet (.page is 272 mm high). The map gives way first (down to 40 mm); when the
# table and notes still overflow (many beats, many caveats), the type steps down, at most to 7 px, so
# the print stays one sheet instead of spilling a line onto a second. Runs before Chromium prints.
_FIT_ONE_PAGE = """<script>
(function () {
  var page = document.querySelector('.page'), size = 10;
  while (page.scrollHeight > page.clientHeight + 1 && size > 7) {
    size -= 0.5;
    document.body.style.fontSize = size + 'px';
  }
})();
</script>"""


@dataclass
class PatrolBrief:
    """Everything the briefing page shows.

    Attributes
    ----------
    plan : NanoBeatPlan
        The nano-beat plan the page shows (targets, window, route).
    area_name : str
        The area's name, in the title.
    rows : DataFrame
        One row per target in patrol order: ``rank`` (patrol order),
        ``target_id``, ``street``, ``near``, ``postcode``, ``junction``,
        ``why``, ``active_until`` (text, or None for no expiry), ``action``,
        ``lon``, ``lat``.
    roads : GeoDataFrame or None
        Street lines drawn on the map.
    area_geometry : shapely geometry or None
        The area's polygon (working CRS, metres); its boundary is drawn.
    notes : list of str
        Caveats printed under the table.
    """

    plan: NanoBeatPlan
    area_name: str
    rows: pd.DataFrame
    roads: gpd.GeoDataFrame | None = None
    area_geometry: BaseGeometry | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def window(self) -> dict:
        """The near-repeat window: ``distance_m`` (metres) and ``days`` or
        ``months`` (month-precision data)."""
        d, t = self.plan.window
        return {"distance_m": float(d), ("months" if self.plan.monthly else "days"): float(t)}

    def to_json(self) -> dict:
        """The brief as JSON (see ``hotspot brief --json``)."""
        rows: list[Any] = list(self.rows.itertuples())  # rows of columns of several types
        return {
            "as_of": self.plan.format_date(self.plan.as_of),
            "area": self.area_name,
            "variant": self.plan.variant,
            "window": self.window,
            "targets": [{"rank": int(r.rank), "street": r.street, "near": r.near, "postcode": r.postcode,
                         "junction": r.junction, "why": r.why, "active_until": r.active_until, "action": r.action,
                         "context_sources": int(r.context_sources), "shared_with": r.shared_with,
                         "business": bool(r.business),
                         "lon": float(r.lon), "lat": float(r.lat)} for r in rows],
            "start": None if self.plan.start is None else dict(zip(("lon", "lat"), self._start_lonlat())),
            "route_km": round(self.plan.route_length_m / 1000, 3),
            "beats": self.beats(),
            "route_on_streets": self.plan.route_on_streets,
            "notes": list(self.notes),
            "context": getattr(self.plan, "context", None),
            "dosage": getattr(self.plan, "dosage", None),
            "risk_method": getattr(self.plan, "risk_method", None),
        }

    def beats(self) -> list[dict]:
        """The beats: ``beat`` (1, 2, ...), ``targets`` (their patrol
        numbers) and ``route_km`` (kilometres), one per route a team drives in
        a shift (one beat unless the targets are too far apart for one)."""
        t = self.plan.targets
        if not len(t):
            return []
        beat = t["beat"].to_numpy() if "beat" in t else np.ones(len(t), int)
        lengths = self.plan.beat_lengths_m() or [self.plan.route_length_m]
        return [{"beat": int(b), "targets": [int(o) for o in t["patrol_order"][beat == b]],
                 "route_km": round(km / 1000, 3)} for b, km in zip(np.unique(beat), lengths)]

    def dosage_html(self) -> str:
        """The dosage line (Koper curve) and what the risk is made of, escaped."""
        dose, how = getattr(self.plan, "dosage", None), getattr(self.plan, "risk_method", None) or {}
        out = ""
        if dose and len(self.rows):
            out += (f"<b>Dosage:</b> {dose['visit_minutes']:g} min at each target, {dose['visits_per_shift']} visits "
                    f"per shift at unpredictable times, none more than {dose['revisit_within_hours']:g} h apart while "
                    f"it is active (Koper curve): {dose['officer_minutes']:g} officer-minutes per shift. ")
        if how.get("background") == "forecast":
            out += (f"<b>Risk:</b> forecast {_e(how.get('method'))} (chosen on earlier periods) with near-repeat on "
                    f"top, forecast share {float(how.get('weight', 0)):.2f}.")
        elif how:
            out += f"<b>Risk:</b> {_e(how.get('rule'))} with near-repeat on top."
        return f'<p class="dosage">{out}</p>' if out else ""

    def _start_lonlat(self):
        from ..crs import to_lonlat

        lon, lat = to_lonlat([self.plan.start[0]], [self.plan.start[1]], self.plan.targets.crs)
        return round(float(lon[0]), 6), round(float(lat[0]), 6)

    # -- drawing ---------------------------------------------------------------
    def map_svg(self) -> str:
        """The static map: streets, targets, route and start."""
        plan = self.plan
        t = plan.targets
        pts: list[tuple[float, ...]] = list(zip(t["centroid_x"], t["centroid_y"]))
        if plan.start is not None:
            pts.append(tuple(plan.start))
        xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
        line = plan.route_line()
        b = shapely.MultiPoint(pts).bounds if line is None else shapely.union_all(
            [line, shapely.MultiPoint(pts)]).bounds
        m = SvgMap(b, pad=max(150.0, 0.08 * max(np.ptp(xs) if len(xs) else 0, np.ptp(ys) if len(ys) else 0)))
        if self.area_geometry is not None:
            m.geometry(self.area_geometry.boundary, cls="area-boundary", stroke="#1f3a93", width=2.5, dash="8 4",
                       title=f"{self.area_name} boundary")
        if self.roads is not None and len(self.roads):
            near = self.roads[self.roads.intersects(m.box)]
            for g in near.geometry:
                m.geometry(g, cls="street", stroke="#b9b9b0", width=2.2)
            named = near[near["road"].notna() & (near["road"] != "unnamed road")] if "road" in near else near.iloc[0:0]
            for name, grp in named.groupby("road"):
                m.label_line(shapely.line_merge(shapely.union_all(grp.geometry.to_numpy())), str(name))
        for r in t.itertuples():
            m.geometry(r.geometry, cls="target-area", stroke="#6c3483", width=1.2, fill="#8e44ad", opacity=0.22,
                       title=f"{r.target_id}")
        legs = plan.legs.lines if plan.legs is not None else []
        on = plan.legs.on_streets if plan.legs is not None else []
        for ln, ok in zip(legs, on):
            m.geometry(ln, cls="route-leg" + (" on-streets" if ok else " crow-flies"), stroke="#c0392b", width=2.4,
                       dash=None if ok else "7 5", title="route along streets" if ok else "as the crow flies")
        if plan.start is not None:
            m.marker(plan.start[0], plan.start[1], "S", cls="start-marker", shape="square", fill="#111", r=10,
                     title="Start and finish")
        for r in t.itertuples():
            m.marker(r.centroid_x, r.centroid_y, str(r.patrol_order), cls="target-marker", fill="#6c3483", r=11,
                     title=f"{r.patrol_order}: {r.target_id}")
        m.scale_bar()
        return m.svg(title=f"Patrol map, {self.area_name}")

    def to_html(self) -> str:
        """The printable page (self-contained, A4 portrait print styles)."""
        plan = self.plan
        unit = "months" if plan.monthly else "days"
        d, w = plan.window
        as_of = plan.format_date(plan.as_of)
        route = (f"{plan.route_length_m / 1000:.1f} km along the streets" if plan.route_on_streets
                 else f"{plan.route_length_m / 1000:.1f} km as the crow flies (straight legs: no street layer given)")
        beats = self.beats()
        if len(beats) > 1:  # targets too far apart for one shift: one route per beat
            route = (f"{len(beats)} beats, one route each ("
                     + "; ".join(f"beat {b['beat']}: {b['route_km']:.1f} km" for b in beats) + f"), {route}")
        heading = {b["targets"][0]: b for b in beats} if len(beats) > 1 else {}
        start = "from and back to the start (S)" if plan.start is not None else "no start given: begins at target 1"
        rows = []
        r: Any  # a row of ``rows``: columns of several types
        for r in self.rows.itertuples():
            if int(r.rank) in heading:
                b = heading[int(r.rank)]
                rows.append(f'<tr class="beat-row"><td colspan="5"><b>Beat {b["beat"]}</b>: targets '
                            f'{b["targets"][0]}-{b["targets"][-1]}, {b["route_km"]:.1f} km</td></tr>')
            rows.append(
                f'<tr class="target-row"><td class="num">{int(r.rank)}</td><td><b>{_e(r.street or "street not named")}</b>'
                f'<div class="near">{_e(r.near)}</div></td><td>{_e(r.why)}</td>'
                f'<td>{_e(r.active_until or "no expiry: review at next plan")}</td><td>{_e(r.action)}</td></tr>')
        notes = "".join(f"<li>{_e(n)}</li>" for n in self.notes)
        table = ("<table><thead><tr><th>#</th><th>Street (near)</th><th>Why</th><th>Active until</th>"
                 "<th>What to do</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>") if rows else \
            "<p class='none'>No targets: no burglary in the window.</p>"
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(f"Patrol brief: {self.area_name}, {as_of}")}</title>
<style>
@page {{ size: A4 portrait; margin: 10mm; }}
body {{ font: 10px/1.3 system-ui, sans-serif; color: #111; margin: 0 auto; max-width: 190mm; }}
h1 {{ font-size: 1.7em; margin: 4px 0; }}
.meta {{ margin: 0 0 6px; }}
.page {{ display: flex; flex-direction: column; height: 272mm; }}
.map-box {{ flex: 1 1 0; min-height: 40mm; max-height: 115mm; }}
.static-map {{ display: block; width: 100%; height: 100%; border: 1px solid #999; }}
tr.beat-row td {{ background: #f4ecf7; }}
.street {{ stroke-linecap: round; }}
.street-label {{ font-size: 9px; fill: #555; paint-order: stroke; stroke: #fbfbf8; stroke-width: 3px; }}
.marker-text {{ font: bold 11px sans-serif; fill: #fff; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 6px; }}
th, td {{ border: 1px solid #999; padding: 2px 4px; vertical-align: top; text-align: left; }}
th {{ background: #eee; }}
td.num {{ font-weight: bold; text-align: center; width: 18px; }}
.near {{ color: #444; font-size: 1em; }}
.notes {{ font-size: 1em; color: #333; }}
@media print {{ .noprint {{ display: none; }} tr {{ break-inside: avoid; }} }}
</style></head><body><div class="page">
<h1>{_e(f"Patrol brief: {self.area_name}")}</h1>
<p class="meta"><b>Plan date:</b> {_e(as_of)} &nbsp; <b>Window:</b> burglaries within {d:g} m in the last {w:g} {unit}
 (and each place's own longer record) &nbsp; <b>Targets:</b> {len(self.rows)} &nbsp; <b>Route:</b> {_e(route)}, {_e(start)}.</p>
{f'<div class="map-box">{self.map_svg()}</div>' if len(self.rows) else ""}
{table}
{self.dosage_html()}
<ul class="notes">{notes}</ul>
<p class="notes">Numbers on the map are the patrol order. Dates are shown no finer than the source records.
Purple discs: the patrol areas ({plan.targets["area_m2"].mean() / 1e4 if len(plan.targets) else 0:.1f} ha each).</p>
</div>{_FIT_ONE_PAGE}</body></html>"""

    def save(self, path: str | Path, *, pdf: str | Path | None = None, html: str | None = None) -> Path:
        """Write the HTML page (and with ``pdf`` its print).

        Parameters
        ----------
        path : str or Path
            Where to write the page; missing parent folders are created.
        pdf : str or Path, optional
            Also print the page to this PDF (:func:`write_pdf`). Page and PDF
            are made under temporary names and renamed together at the end,
            so a run stopped while printing never leaves the new page beside
            the previous PDF.
        html : str, optional
            The page, when the caller made it already (:meth:`to_html`): a
            save on another thread then only writes and prints.

        Returns
        -------
        Path
            The path of the page written.
        """
        page_html = self.to_html() if html is None else html
        if pdf is None:
            return write_page(path, page_html)
        from ..atomic import atomic_path

        with atomic_path(path) as page:
            page.write_text(page_html, encoding="utf-8")
            write_pdf(page, pdf)  # renamed into place first; the page follows as the block ends
        return Path(path)


def patrol_brief(plan: NanoBeatPlan, area: Area, *, roads: gpd.GeoDataFrame | None = None,
                 postcodes: gpd.GeoDataFrame | None = None) -> PatrolBrief:
    """Rows a patrol can act on, from a nano-beat plan.

    Parameters
    ----------
    plan : NanoBeatPlan
        The solved plan: targets in patrol order, window, route and notes.
    area : Area
        The area planned for: its name titles the page and its boundary is
        drawn on the map.
    roads : GeoDataFrame, optional
        Street lines (working CRS) with ``road`` names: street and nearest
        junction, and drawn on the map.
    postcodes : GeoDataFrame, optional
        Postcode points from :func:`hotspot.places.read_postcodes`.

    Returns
    -------
    PatrolBrief
    """
    t = plan.targets
    if t.empty:  # no burglary in the window: a page that says so
        t = t.assign(centroid_x=[], centroid_y=[])
    x, y = t["centroid_x"].to_numpy(float), t["centroid_y"].to_numpy(float)
    road_names = nearest_roads(x, y, roads, max_distance=150.0)
    junc = nearest_junctions(x, y, roads) if roads is not None else [None] * len(t)
    pcs, pcd = nearest_postcodes(x, y, postcodes)
    rows = []
    order = dict(zip(t["target_id"], t["patrol_order"])) if len(t) else {}
    for k, r in enumerate(t.itertuples()):
        street = getattr(r, "street", None)
        if not isinstance(street, str) or not street:
            street = road_names[k]  # None when neither the records nor a road layer name it
        near = []
        if junc[k]:
            near.append(f"near {junc[k]}")
        if pcs[k]:
            near.append(f"postcode {pcs[k]}")
        if not street:  # nothing names the place: its coordinates let a sergeant find it (a phone map takes them)
            near.append(f"at {float(r.centroid_lat):.5f}, {float(r.centroid_lon):.5f} (latitude, longitude)")
        why = r.why
        shared = getattr(r, "shared_with", None)
        if isinstance(shared, str) and shared:
            # most of the risk comes from across the boundary: the two teams coordinate
            why += f"; shared with {shared} ({getattr(r, 'context_share', 0):.0%} of the risk from across the boundary)"
        why += _also_counted(r, order)
        rows.append({"rank": int(r.patrol_order), "target_id": r.target_id, "street": street,
                     "near": ", ".join(near) or None, "postcode": pcs[k], "junction": junc[k], "why": why,
                     "context_sources": int(getattr(r, "context_sources", 0)),
                     "shared_with": shared if isinstance(shared, str) and shared else None,
                     "business": bool(getattr(r, "business", False)),
                     "active_until": plan.format_date(r.active_until), "action": ACTIONS.get(r.basis, ACTIONS["history only"]),
                     "lon": float(r.centroid_lon), "lat": float(r.centroid_lat)})
    frame = pd.DataFrame(rows, columns=["rank", "target_id", "street", "near", "postcode", "junction", "why",
                                        "context_sources", "shared_with", "business", "active_until", "action",
                                        "lon", "lat"])
    notes = list(plan.notes) + _shared_note(t) + layer_caveats([postcodes.attrs.get("source") if postcodes is not None else None])
    if frame["street"].isna().any():
        notes.append(f"{int(frame['street'].isna().sum())} targets have no street name: the records carry no "
                     "location text near them; give --roads (named streets) or --location-col")
    if postcodes is not None and frame["postcode"].isna().any():
        notes.append(f"{int(frame['postcode'].isna().sum())} targets have no postcode unit within 1 km in the "
                     "postcode layer (it does not cover them)")
    if roads is None:
        notes.append("no street layer: street names come from the incident records; give --roads for streets "
                     "on the map and a route along them")
    return PatrolBrief(plan=plan, area_name=area.name, rows=frame, roads=roads, area_geometry=area.geometry,
                       notes=notes)


def _also_counted(r: Any, order: dict) -> str:
    """The ``why`` words for a target's burglaries also counted at other
    targets, named by patrol number (empty when none are)."""
    also = getattr(r, "sources_also_at", None)
    if not isinstance(also, str) or not also:
        return ""
    parts = [p.strip() for p in also.split(",")]
    named = [f"#{order.get(p.split(' ')[0], p.split(' ')[0])}" + (f" {p.split(' ', 1)[1]}" if len(parts) > 1 else "")
             for p in parts]
    return f"; {int(r.n_sources_shared)} of these also counted at target {', '.join(named)}"


def _shared_note(t: pd.DataFrame) -> list[str]:
    """A note when burglaries count at two targets: the targets' counts then
    add up to more than the distinct burglaries."""
    if not len(t) or "n_sources_shared" not in t or not t["n_sources_shared"].any():
        return []
    total, distinct = int(t["n_sources"].sum()), int(t["n_sources_first"].sum())
    return [f"the targets' counts add up to {total} burglaries but are {distinct} distinct ones: "
            f"{int((t['n_sources_shared'] > 0).sum())} targets share burglaries with a nearby target (said in its row)"]


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def write_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 60.0) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4, the page's
    print styles, no header/footer).

    Parameters
    ----------
    html_path : str or Path
        The HTML page to print (e.g. from :meth:`PatrolBrief.save`).
    pdf_path : str or Path
        Where to write the PDF; missing parent folders are created.
    timeout : float
        Longest wait for Chromium, seconds (default 60).

    Returns
    -------
    Path
        The absolute path of the PDF written.

    Raises
    ------
    HotspotError
        No Chromium found, or printing failed.
    """
    chromium = find_chromium()
    if chromium is None:
        raise HotspotError("pdf= needs Chromium (Debian: apt-get install chromium); the HTML page prints as is", param='pdf')
    from ..atomic import atomic_path

    html_path, final_pdf = Path(html_path).resolve(), Path(pdf_path).resolve()
    # printed to a temporary name and renamed when complete: never a half-printed PDF
    with atomic_path(final_pdf) as pdf_path, tempfile.TemporaryDirectory() as profile:
        cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--disable-background-networking", "--proxy-server=127.0.0.1:9",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
               f"--print-to-pdf={pdf_path}", html_path.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, text=True)
        except subprocess.TimeoutExpired:
            raise HotspotError(f"printing {html_path.name} to PDF timed out after {timeout:g} s") from None
        if proc.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
            raise HotspotError(f"printing {html_path.name} to PDF failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return final_pdf
