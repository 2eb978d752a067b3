"""The index page of a run over many areas: every area's outputs, linked,
and every area that failed, with its reason."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

#: Outputs linked first on each area's row, in this order (people's outputs
#: before the analysts' tables); the rest follow as the run wrote them.
_FIRST = ("patrol brief", "patrol brief pdf", "patrol map", "map", "camera report", "drop list", "report")


def _link(path: str, root: Path, label: str) -> str:
    rel = os.path.relpath(path, root)
    return f'<a href="{html.escape(Path(rel).as_posix(), quote=True)}">{html.escape(label)}</a>'


def areas_index_html(done: dict[str, dict[str, Any]], failed: dict[str, str], root: Path) -> str:
    """The index page (self-contained HTML, every text escaped).

    Parameters
    ----------
    done : dict
        Area name -> the area task's result (``outputs``: key -> path,
        ``method``, ``reused``, ``seconds``, ``skipped``).
    failed : dict
        Area name -> one-line reason.
    root : Path
        Folder the page is written to (links are relative to it).

    Returns
    -------
    str
        The page.
    """
    rows = []
    for name in sorted(done):
        r = done[name]
        outs = r["outputs"]
        keys = [k for k in _FIRST if k in outs] + [k for k in outs if k not in _FIRST]
        links = " &middot; ".join(_link(outs[k], root, k) for k in keys)
        how = "reused" if r.get("reused") else "fitted"
        skipped = "; ".join(f"{k}: {v}" for k, v in (r.get("skipped") or {}).items())
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(r.get('method') or '-'))} ({how})</td>"
                    f"<td>{float(r.get('seconds', 0.0)):.1f} s</td><td>{links}</td>"
                    f"<td>{html.escape(skipped) or '-'}</td></tr>")
    fails = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(why)}</li>" for n, why in sorted(failed.items()))
    failed_part = (f"<h2>{len(failed)} area(s) failed</h2><ul class='failed'>{fails}</ul>" if failed
                   else "<p>No area failed.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hotspot: morning products, {len(done)} areas</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}.failed{{color:#a00}}</style></head>
<body><h1>Morning products: {len(done)} of {len(done) + len(failed)} areas</h1>
{failed_part}
<table id="areas"><tr><th>area</th><th>forecast method (selection)</th><th>run time</th><th>outputs</th>
<th>stages skipped</th></tr>
{''.join(rows)}
</table></body></html>
"""
