"""The partnership board's one-page assessment (HTML, printable to PDF) and
the map of treated, buffer and control places.

With ``public=True`` every burglary count below k (8, police.uk's rule) is
shown as "fewer than 8", dates are months, and no incident is drawn (the map
shows only the places, which are polygons far larger than the 25 m a point
could pinpoint).
"""

from __future__ import annotations

import html
from pathlib import Path

from ..areas import Area
from ..assess.core import AssessmentResult
from ..assess.dosage import koper_reading
from ..disclosure.rules import K_DEFAULT
from . import write_page
from .svgmap import SvgMap

#: Colours of the four regions (map and page).
COLOURS = {"treatment": "#c0392b", "buffer": "#e67e22", "control": "#2471a3", "control_buffer": "#85c1e9"}
LABELS = {"treatment": "treated places", "buffer": "their buffer", "control": "control places",
          "control_buffer": "control buffer"}

#: What each kind of intervention layer is called on the page.
KIND_NAMES = {"nanobeats": "nano-beat patrolling", "anpr": "ANPR camera scheme", "leaflets": "leaflet campaign",
              "layer": "intervention"}


def _e(v) -> str:
    return html.escape(str(v), quote=True)


def _count(n: int, public: bool, k: int) -> str:
    return f"fewer than {k}" if public and 0 < n < k else f"{n:,}"


def _svg(res: AssessmentResult, area: Area) -> str:
    m = SvgMap(area.geometry.bounds, width=520, max_height=420, pad=200.0)
    m.geometry(area.geometry.boundary, cls="area-boundary", stroke="#1f3a93", width=1.5, dash="6 3", title=area.name)
    for role in ("control_buffer", "buffer", "control", "treatment"):
        for row in res.places[res.places["role"] == role].itertuples():
            m.geometry(row.geometry, cls=f"place-{role}", stroke=COLOURS[role], width=1.2, fill=COLOURS[role],
                       opacity=0.55, title=f"{LABELS[role]} {row.place_id}")
    body = "".join(m.parts)
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{m.width}" height="{m.height}" class="assess-map">{body}</svg>'


def _rows(res: AssessmentResult, public: bool, k: int) -> str:
    out = []
    for role in ("treatment", "buffer", "control", "control_buffer"):
        c = res.counts[role]
        out.append(f'<tr><td><span class="sw" style="background:{COLOURS[role]}"></span>{_e(LABELS[role])}</td>'
                   f"<td>{_count(c['before'], public, k)}</td><td>{_count(c['after'], public, k)}</td></tr>")
    return "".join(out)


def _findings(res: AssessmentResult) -> list[str]:
    e, items = res.effect, []
    items.append(f"Treated against control: rate ratio {e.rate_ratio:.2f} (95 % interval {e.ci95[0]:.2f}-"
                 f"{e.ci95[1]:.2f}, p = {e.p:.3f}; {e.model} model, chosen by an overdispersion test, "
                 f"p = {e.overdispersion_p:.3f}).")
    if res.rtm is not None:
        r = res.rtm
        items.append(f"Regression to the mean: at {r.n} placebo dates the same selection rule alone gave a ratio of "
                     f"{r.expected_ratio:.2f}; net of it the ratio is {r.net_ratio:.2f} (95 % interval "
                     f"{r.net_ci95[0]:.2f}-{r.net_ci95[1]:.2f}, permutation p = {r.p:.3f}).")
    w = res.wdq
    items.append(f"Weighted Displacement Quotient (Bowers &amp; Johnson 2003; the buffer against the control "
                 f"places): {'n/a' if w.value is None else f'{w.value:.2f}'}: {_e(w.reading)}.")
    d = res.wdd
    items.append(f"Weighted Displacement Difference (Wheeler &amp; Ratcliffe 2018; the buffer against the control "
                 f"places' own buffer): {d.value:+.0f} "
                 f"(a change in burglaries; standard error {d.se:.1f}; treated places {d.local:+.0f}, "
                 f"buffer {d.displacement:+.0f}).")
    if res.naive_change is not None:
        items.append(f"A naive before/after comparison of the treated places alone would say {res.naive_change:+.0%}.")
    if res.dosage is not None:
        items.append(_e(koper_reading(res.dosage)) + ".")
    return items


def assessment_page(res: AssessmentResult, area: Area, *, title: str | None = None, public: bool = False,
                    k: int = K_DEFAULT) -> str:
    """The one-page assessment for a partnership board.

    Parameters
    ----------
    res : AssessmentResult
        From :func:`hotspot.assess.assess_intervention`.
    area : Area
        The study area (drawn round the places).
    title : str, optional
        Page title (escaped); default names the area and intervention.
    public : bool
        Safe to publish: counts below ``k`` withheld, months only.
    k : int
        Smallest count shown with ``public``.

    Returns
    -------
    str
        A self-contained HTML page (A4 print styles).
    """
    w = res.window
    title = title or f"{area.name}: did the {KIND_NAMES.get(res.kind, 'intervention')} work?"
    when = (f"{w['periods_each']} {w['period']}s before ({_e(w['before'][0][:7] if public else w['before'][0])} on) "
            f"and after ({_e(w['after'][0][:7] if public else w['after'][0])} on)")
    headline = "No detectable effect" if not res.called else "Effect detected"
    detail = res.verdict.split(": ", 1)[1] if not res.called and ": " in res.verdict else res.verdict
    warn = "".join(f"<li>{_e(x)}</li>" for x in res.warnings)
    items = "".join(f"<li>{x}</li>" for x in _findings(res))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<style>@page {{ size: A4; margin: 12mm }} body {{ font: 13px/1.4 sans-serif; margin: 0 auto; max-width: 190mm }}
h1 {{ font-size: 20px; margin: 4px 0 }} .verdict {{ font-size: 16px; padding: 8px; border-left: 6px solid
{'#2e7d32' if res.called and res.effect.rate_ratio < 1 else '#757575'}; background: #f4f4f4 }}
table {{ border-collapse: collapse }} td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right }}
td:first-child {{ text-align: left }} .sw {{ display: inline-block; width: 10px; height: 10px; margin-right: 6px }}
.cols {{ display: flex; gap: 16px }} .warn {{ color: #8a4b00 }}</style></head><body>
<h1>{_e(title)}</h1><p>{_e(when)}; buffer {res.buffer_m:g} m; control places: {_e(res.control_rule)}.</p>
<p class="verdict"><b>{headline}.</b> {_e(detail[:1].upper() + detail[1:])}</p>
<div class="cols"><div>{_svg(res, area)}</div><div><table><caption>Counts of burglaries</caption>
<tr><th>region</th><th>before</th><th>after</th></tr>
{_rows(res, public, k)}</table></div></div>
<ul class="findings">{items}</ul>{f'<ul class="warn">{warn}</ul>' if warn else ''}
<p><small>Interval including 1 = no detectable effect. Control places are chosen by the same rule at the same date,
clear of the treated places and their buffer.</small></p></body></html>"""


def write_assessment(res: AssessmentResult, area: Area, path: str | Path, *, pdf: str | Path | None = None,
                     public: bool = False, k: int = K_DEFAULT) -> Path:
    """Write the page (and print it to PDF with headless Chromium).

    Parameters
    ----------
    res : AssessmentResult
        The assessment.
    area : Area
        The study area.
    path : str or Path
        The HTML file.
    pdf : str or Path, optional
        Also print to this PDF.
    public : bool
        Safe to publish (see :func:`assessment_page`).
    k : int
        Smallest count shown with ``public``.

    Returns
    -------
    Path
        The HTML file written.
    """
    out = write_page(path, assessment_page(res, area, public=public, k=k))
    if pdf is not None:
        from .brief import write_pdf

        write_pdf(out, pdf)
    return out


def assessment_map(res: AssessmentResult, area: Area, path: str | Path, *, tiles: str | None = None,
                   public: bool = False, k: int = K_DEFAULT) -> Path:
    """A Leaflet map of the treated, buffer and control places.

    Parameters
    ----------
    res : AssessmentResult
        The assessment.
    area : Area
        The study area.
    path : str or Path
        The HTML file.
    tiles : str, optional
        Base map (see :class:`hotspot.render.leaflet.HotspotMap`).
    public : bool
        Safe to publish: counts below ``k`` withheld in the tooltips.
    k : int
        Smallest count shown with ``public``.

    Returns
    -------
    Path
    """
    from .leaflet import HotspotMap

    m = HotspotMap(area, tiles=tiles, title=f"{area.name}: assessment of the {KIND_NAMES.get(res.kind, 'intervention')}")
    places = res.places.copy()
    for c in ("before", "after"):
        places[c] = [_count(int(v), public, k) for v in places[c]]
    for role in ("control_buffer", "buffer", "control", "treatment"):
        part = places[places["role"] == role]
        if len(part) and not part.geometry.is_empty.all():
            m.add_polygons(part[~part.geometry.is_empty], LABELS[role], colour=COLOURS[role], fill_opacity=0.35,
                           tooltip=["place_id", "before", "after"], aliases=["place", "burglaries before", "after"],
                           legend=LABELS[role])
    return m.save(path)
