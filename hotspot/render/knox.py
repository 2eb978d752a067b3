"""The Knox near-repeat table as a self-contained HTML page (drawing for
:mod:`hotspot.knox`, which only computes)."""

from __future__ import annotations

import html

import numpy as np

from ..knox import KnoxResult


def _fmtr(r: float) -> str:
    return "–" if not np.isfinite(r) else f"{r:.2f}"


def knox_html(result: KnoxResult, title: str = "Knox test") -> str:
    """A self-contained HTML heat table of a Knox test.

    Each cell shows the Knox ratio (observed pairs / mean of the simulated
    pairs), observed and expected pair counts and the permutation p-value;
    cells significantly above 1 (p <= 0.05) are red, deeper with the ratio,
    those significantly below 1 blue.

    Parameters
    ----------
    result : KnoxResult
        From :func:`hotspot.knox.knox_test` (distance bands in metres or CRS
        units, time bands in days or the test's time unit).
    title : str
        Page title and heading (escaped).

    Returns
    -------
    str
        The HTML page (no scripts, no network).
    """

    def colour(r, p):
        if not np.isfinite(r):
            return "#eeeeee"
        if p <= 0.05 and r > 1:
            a = min(1.0, (r - 1) / 1.0)
            return f"rgba(192,57,43,{0.15 + 0.75 * a:.2f})"
        if p <= 0.05 and r < 1:
            return "rgba(46,134,193,0.35)"
        return "#ffffff"

    head = "".join(f"<th>{html.escape(t)}</th>" for t in result.time_labels)
    body = []
    for a, dl in enumerate(result.distance_labels):
        cells = "".join(
            f'<td style="background:{colour(result.ratio[a, b], result.p_value[a, b])}">'
            f"<b>{_fmtr(result.ratio[a, b])}</b><br><small>obs {int(result.observed[a, b]):,} · "
            f"exp {result.expected[a, b]:,.1f}<br>p {result.p_value[a, b]:.3f}</small></td>"
            for b in range(len(result.time_labels)))
        body.append(f"<tr><th>{html.escape(dl)}</th>{cells}</tr>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
        "<style>body{font:14px sans-serif;margin:20px}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:6px 9px;text-align:center}th{background:#f4f4f4}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{result.n_events:,} events, {result.permutations} permutations"
        f" (seed {result.seed}), {result.metric} distance. Cells: Knox ratio (observed / mean of simulations);"
        " red = significantly more pairs than expected (p &le; 0.05).</p>"
        f"<table><tr><th>distance \\ time</th>{head}</tr>{''.join(body)}</table></body></html>"
    )
