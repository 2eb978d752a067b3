"""Rendering: pages, maps and files people act on.

Analytics modules (:mod:`hotspot.nanobeats`, :mod:`hotspot.anpr`,
:mod:`hotspot.campaigns`, ...) return results and draw nothing; the modules
here turn those results into outputs for one audience each:

* :mod:`hotspot.render.brief` - the sergeant's patrol briefing (HTML + PDF);
* :mod:`hotspot.render.anpr_report` - the council's camera-siting report;
* :mod:`hotspot.render.droplist` - the campaign team's drop list;
* :mod:`hotspot.render.maps` - map layers per analysis and one map per
  audience (:func:`hotspot.render.maps.audience_maps`);
* :mod:`hotspot.render.svgmap` - small static SVG maps for printed pages.
"""
