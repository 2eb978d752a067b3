"""The league table as a self-contained HTML page (no scripts, no network):
drawing for :mod:`hotspot.league`, which only computes."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..league.table import LeagueResult

RAG_COLOURS = {"RED": "#c0392b", "AMBER": "#e67e22", "GREEN": "#27ae60"}


def _fmt(v, spec: str = "", unit: str = "") -> str:
    if v is None or repr(v) == "<NA>" or v != v:  # None, pandas NA (an unranked area) or NaN: a dash, never 0
        return "&ndash;"
    return html.escape(format(v, spec) + unit)


def league_html(result: LeagueResult, title: str | None = None) -> str:
    """One page: the areas in rank order, the all-areas line, warnings and
    failed areas. Every text is HTML-escaped.

    Parameters
    ----------
    result : LeagueResult
        From :func:`hotspot.league.build_league` (burglaries in the rolling
        12 months, change in %, rate per 1,000 households, rank, RAG).
    title : str, optional
        Page title (default: "Burglary league table, 12 months to MONTH").

    Returns
    -------
    str
        The HTML page.
    """
    e = html.escape
    title = title or f"Burglary league table, 12 months to {result.month}"
    rows = []
    for _, r in result.table.iterrows():
        colour = RAG_COLOURS.get(r["rag"], "#777")
        rows.append(
            f"<tr><td>{_fmt(r['rank'])}</td><td>{e(str(r['area']))}</td><td>{e(str(r['code'] or ''))}</td>"
            f"<td class=n>{_fmt(r['rolling_12m'], ',')}</td><td class=n>{_fmt(r['change_pct'], '+.1f', ' %')}</td>"
            f"<td class=n>{_fmt(r['rate_per_1000_households'], '.2f')}</td>"
            f"<td><span class=rag style='background:{colour}'>{e(r['rag'])}</span></td></tr>")
    t = result.total
    rows.append(f"<tr class=total><td></td><td>{e(t['area'])}</td><td></td><td class=n>{_fmt(t['rolling_12m'], ',')}</td>"
                f"<td class=n>{_fmt(t['change_pct'], '+.1f', ' %')}</td>"
                f"<td class=n>{_fmt(t['rate_per_1000_households'], '.2f')}</td><td>{e(t['rag'])}</td></tr>")
    warn = "".join(f"<li>{e(w)}</li>" for w in result.warnings)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse;width:100%}}
td,th{{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}}td.n{{text-align:right}}
.rag{{color:#fff;padding:.1em .5em;border-radius:3px}}tr.total td{{font-weight:bold;border-top:2px solid #333}}
.warn{{color:#8a4b00}}</style></head><body>
<h1>{e(title)}</h1>
<p>Burglaries in the 12 months to {e(str(result.month))} by area, change against the 12 months before, rate per
1,000 households (Census 2011), rank by that rate (1 = highest) and RAG (GREEN at or below &minus;5 %, RED at or
above +5 %, AMBER between or after a high exception in the latest quarter).</p>
<table id=league><thead><tr><th>rank</th><th>area</th><th>code</th><th>burglaries (12 months)</th>
<th>change (%)</th><th>per 1,000 households</th><th>RAG</th></tr></thead><tbody>
{''.join(rows)}
</tbody></table>
{f'<h2>Warnings</h2><ul class=warn>{warn}</ul>' if warn else ''}
<p><small>{e(str(result.run.workers))} workers, {result.run.seconds:.1f} s; areas assigned by
{e(result.assign)}.</small></p>
</body></html>
"""
