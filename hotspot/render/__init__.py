"""Rendering: pages, maps and files people act on.

Analytics modules (:mod:`hotspot.nanobeats`, :mod:`hotspot.anpr`,
:mod:`hotspot.campaigns`, :mod:`hotspot.hotspots`, :mod:`hotspot.knox`,
:mod:`hotspot.report`, ...) return results and draw nothing, and import
nothing from here; the modules here turn those results into outputs:

* :mod:`hotspot.render.leaflet` - the self-contained Leaflet map
  (:class:`~hotspot.render.leaflet.HotspotMap`) every map is drawn on;
* :mod:`hotspot.render.surfaces` - density/forecast surfaces, hotspot
  polygons, Gi* cells and the month slider;
* :mod:`hotspot.render.knox` - the Knox near-repeat table page;
* :mod:`hotspot.render.report` - the partnership board's performance page
  and its charts;
* :mod:`hotspot.render.league` - the league table page;
* :mod:`hotspot.render.backtest` - the backtest's coverage-curve chart;
* :mod:`hotspot.render.public` - the public map, plan and drop list
  (checked by :func:`hotspot.disclosure.check_public`);
* :mod:`hotspot.render.brief` - the sergeant's patrol briefing (HTML + PDF);
* :mod:`hotspot.render.anpr_report` - the council's camera-siting report;
* :mod:`hotspot.render.droplist` - the campaign team's drop list;
* :mod:`hotspot.render.maps` - map layers per analysis and one map per
  audience (:func:`hotspot.render.maps.audience_maps`);
* :mod:`hotspot.render.svgmap` - small static SVG maps for printed pages;
* :mod:`hotspot.render.outputs` - every audience's outputs in one call;
* :mod:`hotspot.render.console` - the command line's stderr, strict JSON
  on stdout and progress;
* :mod:`hotspot.render.tables` - each command's tables and closing lines.
"""

from pathlib import Path


def write_page(path: str | Path, html: str) -> Path:
    """Write a self-contained page (UTF-8), making missing parent folders;
    the page is written to a temporary name and renamed when complete.

    Parameters
    ----------
    path : str or Path
        The file to write.
    html : str
        The page.

    Returns
    -------
    Path
        The path written.
    """
    from ..atomic import write_text

    # whole or absent: a run stopped mid-write never leaves a page that looks complete
    return write_text(path, html)
