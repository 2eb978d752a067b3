"""Old home of the map code, kept so existing imports keep working.

The Leaflet map builder is :mod:`hotspot.render.leaflet`; surfaces, hotspot
polygons, Gi* cells and the month slider are :mod:`hotspot.render.surfaces`.
Analytics modules import neither (nor this module): they return results and
:mod:`hotspot.render` draws them.
"""

from __future__ import annotations

from .render.leaflet import (COLOURS, TILES, HotspotMap, Legend, add_base_tiles, esc, escape_frame, format_date,
                             incident_groups)
from .render.surfaces import MonthSlider, add_gi_to_map, add_hotspots_to_map, add_month_slider, add_surface

__all__ = ["COLOURS", "TILES", "HotspotMap", "Legend", "MonthSlider", "add_base_tiles", "add_gi_to_map",
           "add_hotspots_to_map", "add_month_slider", "add_surface", "esc", "escape_frame", "format_date",
           "incident_groups"]
