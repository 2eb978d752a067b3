"""The council's camera-siting report: one HTML page a highways engineer
and a community-safety officer can act on.

It says what "demand" is in words and units, lists only the sites that add
coverage (in install order, each named by road, nearest postcode, the area
across the boundary and who runs the road), charts coverage against the
number of cameras, and explains why the busiest crossings can score low.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..anpr.demand import ALONG_M, CORRIDOR_M
from . import write_page

if TYPE_CHECKING:
    from ..anpr.plan import ANPRPlan


def _e(v) -> str:
    return html.escape("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v), quote=True)


def coverage_chart_svg(before: float, gains: list[float], *, width: int = 520, height: int = 220,
                       marks: dict | None = None) -> str:
    """Coverage (share of demand) against the number of new cameras, as an
    inline SVG step chart; ``marks`` = {label: share} draws target lines.

    Parameters
    ----------
    before : float
        Share of demand (0-1) the existing cameras already cover.
    gains : list of float
        Share of demand (0-1) each new camera adds, in install order.
    width : int
        Width of the chart, pixels.
    height : int
        Height of the chart, pixels.
    marks : dict, optional
        ``{label: share}``: a dashed line at each share (0-1), e.g.
        ``{"80% target": 0.8}``.

    Returns
    -------
    str
        The ``<svg>`` element (labels escaped).
    """
    cov = [before] + list(before + np.cumsum(gains))
    n = len(cov) - 1
    L, R, T, B = 44, 12, 12, 34
    W, H = width - L - R, height - T - B

    def px(i):
        return L + (i / max(n, 1)) * W

    def py(v):
        return T + (1 - v) * H

    pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(cov))
    grid = "".join(f'<line x1="{L}" x2="{L + W}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{L - 4}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.0%}</text>' for v in (0, 0.25, 0.5, 0.75, 1))
    xt = "".join(f'<text x="{px(i):.1f}" y="{T + H + 14}" text-anchor="middle">{i}</text>'
                 for i in range(0, n + 1, max(1, n // 10 or 1)))
    mk = "".join(f'<line x1="{L}" x2="{L + W}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#c0392b" stroke-dasharray="4 3"/>'
                 f'<text x="{L + W}" y="{py(v) - 3:.1f}" text-anchor="end" fill="#c0392b">{_e(lab)}</text>'
                 for lab, v in (marks or {}).items())
    dots = "".join(f'<circle class="coverage-point" cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="#117a65">'
                   f'<title>{i} cameras: {v:.1%}</title></circle>' for i, v in enumerate(cov))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="coverage-chart" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-size="10" font-family="sans-serif" role="img" '
            f'aria-label="coverage against number of cameras">{grid}{mk}'
            f'<polyline points="{pts}" fill="none" stroke="#117a65" stroke-width="2"/>{dots}{xt}'
            f'<text x="{L + W / 2}" y="{height - 4}" text-anchor="middle">new cameras, in install order</text>'
            f'<text x="10" y="{T + H / 2}" transform="rotate(-90 10 {T + H / 2})" text-anchor="middle">'
            f'demand covered</text></svg>')


def low_scoring_crossings(crossings: pd.DataFrame | None, covered_ids: set, *, top: int = 5, along_m: float = 1500.0,
                          corridor_m: float = 250.0, risk_basis: str = "burglary") -> list[str]:
    """Sentences for the busiest crossings that no new site covers: their
    flow is high but the burglary risk along them inside the area is low.

    Parameters
    ----------
    crossings : DataFrame or None
        The plan's crossings with ``crossing_id``, ``road``, ``flow_used``
        (vehicles in the 08:00-09:00 hour), ``flow_imputed``, ``risk`` and
        ``demand_share``; None or without ``flow_used``: no sentences.
    covered_ids : set
        ``crossing_id`` values within reach of a new or existing camera.
    top : int
        How many of the busiest crossings to look at (default 5).
    along_m : float
        Distance (metres) the demand corridor follows the road into the
        area (shown in the text).
    corridor_m : float
        Half-width of the demand corridor around the road, metres (shown in
        the text).
    risk_basis : str
        What the burglary risk was measured from (shown in the text).

    Returns
    -------
    list of str
        One plain-text sentence per uncovered busy crossing.
    """
    if crossings is None or not len(crossings) or "flow_used" not in crossings:
        return []
    c = crossings.copy()
    c["flow_rank"] = c["flow_used"].rank(ascending=False, method="min")
    c["risk_rank"] = c["risk"].rank(ascending=False, method="min")
    busiest = c.sort_values("flow_used", ascending=False).head(top)
    out = []
    rows: list[Any] = list(busiest.itertuples())  # rows of columns of several types
    for r in rows:
        if r.crossing_id in covered_ids:
            continue
        flow = f"{r.flow_used:,.0f} vehicles in the 08:00-09:00 hour" + (" (imputed: no count nearby)" if r.flow_imputed else "")
        out.append(f"{r.road} (crossing {r.crossing_id}) carries {flow}, rank {int(r.flow_rank)} of {len(c)} by traffic, "
                   f"but the burglary risk within {corridor_m:g} m of it over its first {along_m / 1000:g} km inside the "
                   f"area is only {r.risk:.3g} ({risk_basis}; rank {int(r.risk_rank)} of {len(c)}): a road with few "
                   f"burgled homes beside it brings little demand however busy it is, so its demand is "
                   f"{r.demand_share:.1%} of the total.")
    return out


_DEMAND_TRAFFIC = (
    "<b>traffic &times; burglary risk</b>: the vehicles counted in the 08:00-09:00 hour (DfT counts at the nearest count "
    "point on the same road; the median of the counted crossings where there is none) multiplied by the burglary risk "
    "along the road inside the area ({risk_basis} within {corridor} m of the roads through the crossing, followed "
    "{along} km in). So a crossing scores high when many vehicles use a road that leads past many burgled homes.")
_DEMAND_RISK_ONLY = (
    "<b>burglary risk</b> alone: no crossing had a traffic count, so traffic does not weigh it. The risk is "
    "{risk_basis} within {corridor} m of the roads through the crossing, followed {along} km in. So a crossing scores "
    "high when its road leads past many burgled homes, however busy it is.")


def _unused_text(res: Any, n_candidates: int | None) -> str:
    """What became of the cameras asked for: all useful, some adding nothing,
    or fewer candidate sites than cameras."""
    if res.k_useful >= res.k:
        return f"<p>All {res.k} cameras asked for add coverage.</p>"
    few = (f" The road layers give only {n_candidates} candidate sites, so at most {n_candidates} could be placed."
           if n_candidates is not None and n_candidates < res.k else "")
    rest = (f" {len(res.unused)} more would add nothing once these are installed, so they are not listed."
            if res.unused else "")
    return f"<p class='unused'>You asked for {res.k} cameras; <b>{res.k_useful}</b> add coverage.{few}{rest}</p>"


def _covered_text(plan: Any) -> str:
    """What "already covered" rests on: the user's ANPR layer, or none given (0 %, said plainly)."""
    if plan.existing is None or not len(plan.existing):
        return ("0.0% already covered: <b class='no-anpr'>no existing ANPR layer given: --existing "
                "YOUR_ANPR.geojson</b>")
    n = len(plan.existing)
    return f"{plan.result.coverage_before:.1%} already covered by your {n} existing ANPR camera{'s' if n != 1 else ''}"


def _traffic_camera_text(metres: Any) -> str:
    """A site's line about the nearest TfL JamCam within reach (none: empty)."""
    if metres is None or not np.isfinite(metres):
        return ""
    return (f'<div class="via jamcam">TfL JamCam {metres:.0f} m away (traffic camera, not ANPR): '
            'a pole and power may be there</div>')


def anpr_report_html(plan: ANPRPlan, area_name: str, *, risk_basis: str = "recent burglaries",
                     along_m: float = ALONG_M, corridor_m: float = CORRIDOR_M) -> str:
    """The camera-siting report page.

    Parameters
    ----------
    plan : ANPRPlan
        From :func:`hotspot.anpr.plan_anpr` (sites named by
        :func:`hotspot.anpr.describe_sites`).
    area_name : str
        The area's name, in the title and the text.
    risk_basis : str
        What the burglary risk was measured from (shown in the text).
    along_m : float
        Distance (metres) the demand corridor followed each road into the
        area.
    corridor_m : float
        Half-width of the demand corridor around the roads, metres.

    Returns
    -------
    str
        The self-contained HTML page (all text escaped).
    """
    res = plan.result
    share = getattr(plan, "boundary_share", 1.0)
    partial = (f" <b>The road layers reach only {share:.0%} of the boundary</b>: crossings on the rest are not "
               "counted, so this share overstates the cover of all cross-border traffic." if share < 0.99 else "")
    s = res.sites.sort_values("install_order")
    cov_after = res.marginal["coverage_after"].to_numpy() if len(res.marginal) else np.array([])
    rows = []
    for r, cov in zip(s.itertuples(), cov_after):
        rows.append(
            f'<tr class="site-row"><td class="num">{int(r.install_order)}</td><td><b>{_e(r.road)}</b>'
            + (f'<div class="via">at {_e(r.street)}</div>' if isinstance(getattr(r, "street", None), str) else "")
            + (f'<div class="via">on {_e(r.via)}</div>' if isinstance(getattr(r, "via", None), str) else "")
            + _traffic_camera_text(getattr(r, "traffic_camera_m", None))
            + f'</td><td>{_e(getattr(r, "postcode", None))}</td><td>{_e(getattr(r, "neighbour", None) or "-")}</td>'
            f'<td>{_e(getattr(r, "owner", None))}</td><td>{r.lat:.5f}, {r.lon:.5f}</td>'
            f'<td class="gain">{r.marginal_gain:.1%}</td><td>{cov:.1%}</td></tr>')
    marks = {f"{k} target": float(k.rstrip("%")) / 100 for k in plan.min_cameras}
    chart = coverage_chart_svg(res.coverage_before, list(s["marginal_gain"]), marks=marks)
    mins = "; ".join(f"{k} of demand: {v if v is not None else 'not reachable'} new camera{'s' if v != 1 else ''}"
                     for k, v in plan.min_cameras.items())
    covered = set()
    if len(s) and plan.crossings is not None and len(plan.crossings):
        from scipy.spatial import cKDTree

        cx = np.c_[plan.crossings.geometry.x, plan.crossings.geometry.y]
        tree = cKDTree(np.c_[s.geometry.x, s.geometry.y])
        d, _ = tree.query(cx)
        pre = np.zeros(len(cx), bool)
        if plan.existing is not None and len(plan.existing):
            de, _ = cKDTree(np.c_[plan.existing.geometry.x, plan.existing.geometry.y]).query(cx)
            pre = de <= res.radius_m
        covered = set(plan.crossings["crossing_id"][(d <= res.radius_m) | pre])
    # the wording follows the data: without a single traffic count there is no "traffic" and no "busiest"
    counted = (plan.crossings is not None and "flow_imputed" in plan.crossings
               and bool((~plan.crossings["flow_imputed"].astype(bool)).any()))
    low = (low_scoring_crossings(plan.crossings, covered, along_m=along_m, corridor_m=corridor_m,
                                 risk_basis=risk_basis) if counted else [])
    low_html = (('<ul class="low-scoring">' + ''.join(f'<li>{_e(x)}</li>' for x in low) + '</ul>') if low
                else '<p>The busiest crossings are all covered.</p>' if counted
                else '<p class="no-counts">No crossing had a traffic count, so traffic could not rank them: '
                     'demand is burglary risk alone.</p>')
    demand_is = (_DEMAND_TRAFFIC if counted else _DEMAND_RISK_ONLY).format(
        risk_basis=_e(risk_basis), corridor=f"{corridor_m:g}", along=f"{along_m / 1000:g}")
    notes = "".join(f"<li>{_e(n)}</li>" for n in plan.notes)
    unused = _unused_text(res, len(plan.candidates) if plan.candidates is not None else None)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(f"ANPR camera sites: {area_name}")}</title>
<style>
body {{ font: 13px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 16px auto; color: #111; padding: 0 12px; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }}
th {{ background: #eef; }} td.num {{ font-weight: bold; text-align: center; }} .via {{ color: #555; font-size: 11px; }}
.box {{ background: #f7f7f2; border-left: 4px solid #117a65; padding: 6px 12px; }}
@media print {{ body {{ max-width: none; }} tr {{ break-inside: avoid; }} }}
</style></head><body>
<h1>{_e(f"ANPR camera sites: {area_name}")}</h1>
<p><b>{res.k_useful}</b> new cameras, {res.radius_m:g} m reach each, cover <b>{res.coverage_after:.1%}</b> of cross-border
demand at the crossings the road layers show ({_covered_text(plan)}; the exact
optimum, {'proven optimal' if res.optimal else res.status}).{partial}
Fewest new cameras for {_e(mins)}.</p>
{unused}
<div class="box demand-explained"><h2>What "demand" means</h2>
<p class="note">Road: the road layer's name or number (the DfT count point's road number where the layer only names
a bus route); "at": the nearest street named in the police.uk records (within 200 m).</p>
<p>Every place where a road crosses the boundary of {_e(area_name)} is a <i>crossing</i>. Its <b>demand</b> is
{demand_is} Demand is shown as a share of the
total over all crossings (100 %). A camera <i>covers</i> every crossing within {res.radius_m:g} m; the <b>gain</b> of a site is
the share of demand it covers that no earlier site (or existing ANPR camera) already covers, so gains add up to the coverage.
Only ANPR cameras cover: a traffic camera (TfL JamCam) reads no number plate, so a crossing it watches is not seen;
it is named beside a site because a pole and power may be there.</p></div>
<h2>Sites in install order</h2>
<table><thead><tr><th>#</th><th>Road</th><th>Nearest postcode</th><th>Across the boundary</th><th>Road owner</th>
<th>Lat, lon</th><th>Gain</th><th>Coverage after</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<h2>Coverage against number of cameras</h2>
{chart}
<h2>Why some major crossings score low</h2>
{low_html}
<h2>Notes</h2><ul>{notes}<li>Road owner: motorway by road number or DfT class; red route (TLRN) inside the red-route polygons;
otherwise the local highway authority. Confirm with the highway authority before installing.</li></ul>
</body></html>"""


def write_anpr_report(plan: ANPRPlan, area_name: str, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`anpr_report_html` to ``path``.

    Parameters
    ----------
    plan : ANPRPlan
        From :func:`hotspot.anpr.plan_anpr`.
    area_name : str
        The area's name, in the title and the text.
    path : str or Path
        Where to write the page; missing parent folders are created.
    **kwargs
        Passed on to :func:`anpr_report_html` (``risk_basis``, ``along_m``
        and ``corridor_m``, metres).

    Returns
    -------
    Path
        The path written.
    """
    return write_page(path, anpr_report_html(plan, area_name, **kwargs))
