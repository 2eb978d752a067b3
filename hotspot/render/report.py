"""The performance report page and its charts (drawing for
:mod:`hotspot.report`, which only computes)."""

from __future__ import annotations

import base64
import html
import io

from ..report.core import PerformanceReport


def report_html(report: PerformanceReport) -> str:
    """The partnership board's report as one self-contained page.

    Rating, warnings, the quarter / rolling-12-month / baseline table
    (burglaries, change in %), rates per 1,000 residents and households,
    London and peer rank, the monthly series with its expected range, the
    unusual months and the seasonal profile (charts inlined as PNG).

    Parameters
    ----------
    report : PerformanceReport
        From :func:`hotspot.report.build_report`.

    Returns
    -------
    str
        The HTML page (every text escaped; no scripts, no network).
    """
    e = html.escape
    colour = {"RED": "#c0392b", "AMBER": "#e67e22", "GREEN": "#27ae60"}.get(report.rag, "#7f8c8d")
    lq, r12, vb = report.latest_quarter, report.rolling_12m, report.vs_baseline

    def pct(v):
        return "n/a" if v is None else f"{v:+.1f}%"

    rows = [("Latest quarter (3 months to " + str(report.month) + ")", f"{lq['volume']:,}", pct(lq["change_pct"]),
             "vs the same quarter a year before"),
            ("Rolling 12 months", f"{r12['volume']:,}", pct(r12["change_pct"]), "vs the previous 12 months"),
            (f"Baseline FY {vb['fy']}/{str(vb['fy'] + 1)[-2:]}", f"{vb['volume']:,}", pct(vb["change_pct"]),
             "rolling 12 months vs the baseline year")]
    table = "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>" for a, b, c, d in rows)
    rates = "".join(f"<tr><td>burglaries per 1,000 {e(k)}</td><td>{'n/a' if v is None else f'{v:.2f}'}</td></tr>"
                    for k, v in report.rate_per_1000.items())
    exc = "".join(f"<tr><td>{e(x['month'])}</td><td>{e(x['direction'])}</td><td>{x['observed']}</td>"
                  f"<td>{x['expected']:.1f}</td></tr>" for x in report.exceptions) or \
        "<tr><td colspan=4>No month outside the expected range</td></tr>"
    rank = (f"{report.london_rank} of {report.london_of} London boroughs by burglaries per 1,000 {report.rank_basis}, rolling "
            f"12 months (1 = highest rate)" if report.london_rank else "n/a")
    rank_label = "London rank" if report.rank_counting else "Rank"  # London's only with a London reference
    if report.london_rank and report.unranked:  # say why the count is short of every borough
        rank += f"; not ranked (too small a base): {', '.join(report.unranked)}"
    peer = (f"{report.peer_rank} of {len(report.peers) + 1} ({', '.join(report.peers)})" if report.peer_rank else "n/a")
    warn = ("<div id='warnings' style='border:2px solid #c0392b;padding:6px 10px'><b>Read with care:</b><ul>"
            + "".join(f"<li>{e(w)}</li>" for w in report.warnings) + "</ul></div>") if report.warnings else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(report.area)} burglary report {report.month}</title>
<style>body{{font:14px/1.4 sans-serif;margin:24px;max-width:1000px}}table{{border-collapse:collapse;margin:8px 0 16px}}
td,th{{border:1px solid #bbb;padding:4px 8px}}th{{background:#f2f2f2}}.rag{{display:inline-block;padding:4px 14px;color:#fff;
border-radius:4px;background:{colour};font-weight:bold}}img{{max-width:100%}}</style></head><body>
<h1>{e(report.area)}: burglary performance, {report.month}</h1>
<p>Rating: <span class="rag" id="rag">{e(report.rag)}</span></p>
{warn}
<table><tr><th>Measure</th><th>Burglaries</th><th>Change</th><th>Compared with</th></tr>{table}</table>
<h2>Rates (rolling 12 months)</h2><table>{rates}</table>
<p>{rank_label}: {e(rank)}<br>Peer rank: {e(peer)}</p>
<h2>Monthly burglaries and the expected range</h2><img alt="monthly series" src="{chart_series(report)}">
<h2>Unusual months (last 24)</h2><table><tr><th>Month</th><th>Direction</th><th>Observed</th><th>Expected</th></tr>{exc}</table>
<h2>Seasonal profile</h2><img alt="seasonal profile" src="{chart_seasonal(report)}">
<p><small>Expected range: Poisson model with month effects and trend, quasi-Poisson band. RAG: rolling 12-month change
(GREEN &le; -5%, RED &ge; +5%, AMBER between; a high month in the latest quarter lifts GREEN to AMBER).
Source: {e(report.source)}.</small></p></body></html>"""


def _png(fig) -> str:
    """A matplotlib figure as a PNG data URI (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def chart_series(report: PerformanceReport) -> str:
    """The last 48 months of burglaries with the expected value and range.

    Parameters
    ----------
    report : PerformanceReport
        Its ``series`` (burglaries per month, expected, lower, upper,
        direction).

    Returns
    -------
    str
        A PNG data URI (y axis: burglaries per month; high months red, low
        months blue).
    """
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = report.series.iloc[-48:]
    x = pd.PeriodIndex(s.index).to_timestamp()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.fill_between(x, s["lower"], s["upper"], color="#95a5a6", alpha=0.35, label="expected range")
    ax.plot(x, s["expected"], color="#7f8c8d", lw=1, label="expected")
    ax.plot(x, s["observed"], color="#2c3e50", lw=1.8, marker="o", ms=3, label="burglaries")
    hi, lo = s[s["direction"] == "high"], s[s["direction"] == "low"]
    ax.scatter(pd.PeriodIndex(hi.index).to_timestamp(), hi["observed"], color="#c0392b", zorder=5, label="high")
    ax.scatter(pd.PeriodIndex(lo.index).to_timestamp(), lo["observed"], color="#2e86c1", zorder=5, label="low")
    ax.set_ylabel("burglaries per month")
    ax.legend(fontsize=8, ncol=5)
    ax.grid(alpha=0.3)
    return _png(fig)


def chart_seasonal(report: PerformanceReport) -> str:
    """The seasonal profile: one bar per calendar month.

    Parameters
    ----------
    report : PerformanceReport
        Its ``seasonal`` index by month number 1-12 (1 = an average month).

    Returns
    -------
    str
        A PNG data URI.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.bar(range(1, 13), report.seasonal.reindex(range(1, 13)).to_numpy(), color="#5d6d7e")
    ax.axhline(1, color="k", lw=0.8)
    ax.set_xticks(range(1, 13), ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"])
    ax.set_ylabel("seasonal index")
    return _png(fig)
