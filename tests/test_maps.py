"""Maps: self-contained HTML, escaping, privacy, and a real browser."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from browser import load_map, screenshot_has_colour
from hotspot.intake import POLICE_UK_COLUMNS, read_incidents
from hotspot.maps import COLOURS, HotspotMap
from hotspot.pipeline import recent_incidents

EXTERNAL = re.compile(r"<(?:script|link)[^>]+(?:src|href)=\"(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def barnet_map(tmp_path_factory, barnet, barnet_intake):
    m = HotspotMap(barnet, title="Barnet")
    m.add_neighbours(barnet.neighbours())
    m.add_incidents(recent_incidents(barnet_intake.incidents, months=12), name="Burglaries")
    return m.save(tmp_path_factory.mktemp("maps") / "barnet.html")


def test_map_is_self_contained(barnet_map):
    html = barnet_map.read_text()
    assert not EXTERNAL.search(html), "a CDN script or stylesheet is still referenced"
    assert "L.markerClusterGroup" in html and "L.heatLayer" in html
    assert html.count("<script>") >= 3  # leaflet + markercluster + heat inlined


def test_unused_plugins_are_dropped(tmp_path, barnet):
    html = HotspotMap(barnet).save(tmp_path / "plain.html").read_text()
    assert "MarkerClusterGroup" not in html and "HeatLayer" not in html
    assert "Leaflet 1.9.4" in html  # leaflet itself is inlined


@pytest.mark.browser
def test_map_renders_offline_in_chromium(browser, barnet_map):
    page = load_map(browser, barnet_map)
    assert page["leaflet"] == 1
    assert page["severe"] == [] and page["errors"] == []
    for name in ("Area: Barnet", "Neighbouring areas", "Burglaries: heat", "Burglaries: markers"):
        assert name in page["layers"], page["layers"]
    assert page["paths"] >= 6  # Barnet outline + 5 neighbours
    assert "Barnet boundary" in page["legend"]
    outline = tuple(int(COLOURS["area"][i:i + 2], 16) for i in (1, 3, 5))
    assert screenshot_has_colour(browser, outline, tol=30) > 300, "the area outline is not visible"


@pytest.mark.browser
def test_script_in_location_text_is_escaped(tmp_path, browser, barnet):
    evil = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    rows = [dict(zip(POLICE_UK_COLUMNS, [f"id{i}", "2024-01", "MPS", "MPS", -0.2 + i * 1e-3, 51.61, evil if i == 0 else "On or near X",
                                         "E01000001", "Barnet 001A", "Burglary", "Under investigation", ""]))
            for i in range(5)]
    p = tmp_path / "evil.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    inc = read_incidents(p, area=barnet).incidents
    m = HotspotMap(barnet)
    m.add_incidents(inc)
    path = m.save(tmp_path / "evil.html")
    html = path.read_text()
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    # folium JSON-encodes "<" as \u003c as well; the text itself is HTML-escaped
    assert "\\u0026lt;script\\u0026gt;window.__pwned=1" in html
    load_map(browser, path)
    # zoom in until the cluster splits, then open every tooltip
    browser.execute_script("""
        var map = Object.values(window).find(v => v && v instanceof L.Map);
        map.setView([51.61, -0.198], 19, {animate: false});""")
    import time

    time.sleep(0.8)
    shown = browser.execute_script("""
        var map = Object.values(window).find(v => v && v instanceof L.Map);
        map.eachLayer(l => { if (l.getTooltip && l.getTooltip()) { l.openTooltip(); } });
        return Array.from(document.querySelectorAll('.leaflet-tooltip')).map(t => t.innerText).join('|');""")
    assert '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">' in shown  # shown as text
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('.leaflet-tooltip img, .leaflet-tooltip script').length") == 0


def test_exact_points_are_pooled_to_cells(shared_data, tmp_path):
    from hotspot.areas import area_from_geometry

    path = shared_data / "crime" / "exact_dates" / "vancouver_break_and_enter_2020.csv"
    res = read_incidents(path, crs="EPSG:26910")
    inc = res.incidents
    area = area_from_geometry(inc.union_all().convex_hull.buffer(200), res.crs, name="Vancouver")
    m = HotspotMap(area)
    m.add_incidents(inc, cell=100)
    html = m.save(tmp_path / "van.html").read_text()
    # every point written (heat and markers) is a 100 m cell centre
    coords = re.findall(r"\[(49\.\d+), (-123\.\d+), ", html)
    assert len(coords) >= 2 * 1000  # heat + markers, about 1,900 occupied cells each
    from hotspot.crs import from_lonlat

    x, y = from_lonlat([float(c[1]) for c in coords], [float(c[0]) for c in coords], res.crs)
    for v in (np.asarray(x), np.asarray(y)):
        k = (v - 50) / 100
        assert np.abs(k - np.round(k)).max() < 1e-5  # within 1 mm of a cell centre


@pytest.mark.browser
def test_analysis_map_layers_and_month_slider(tmp_path, browser, barnet, barnet_intake):
    from hotspot.forecast import PeriodCounts, forecast_surface
    from hotspot.hotspots import add_hotspots_to_map, hotspot_mask, hotspot_polygons
    from hotspot.maps import add_month_slider, add_surface
    from hotspot.nanobeats import NanoBeatPlanner, add_plan_to_map

    inc = barnet_intake.incidents
    pc = PeriodCounts.from_incidents(inc, barnet)
    surf = forecast_surface(pc, "counts_36")
    m = HotspotMap(barnet)
    add_surface(m, surf, "Forecast")
    add_hotspots_to_map(m, hotspot_polygons(surf, hotspot_mask(surf, share=0.05), inc))
    add_month_slider(m, inc, months=12)
    add_plan_to_map(m, NanoBeatPlanner.from_window(inc, barnet, days=2).solve("2025-03-01"))
    path = m.save(tmp_path / "analysis.html")
    page = load_map(browser, path)
    assert page["severe"] == [] and page["errors"] == []
    for name in ("Forecast", "Hotspots", "Nano-beat targets", "Nano-beat targets: patrol order"):
        assert name in page["layers"]
    assert browser.execute_script("return document.querySelectorAll('img.leaflet-image-layer').length") == 1
    label = browser.find_element("css selector", ".hotspot-month-slider div")
    assert label.text.startswith("Monthly heat: 2025-02")
    heat = "return document.querySelectorAll('canvas.leaflet-heatmap-layer').length"
    assert browser.execute_script(heat) == 1  # one month at a time
    browser.execute_script("var i=document.querySelector('.hotspot-month-slider input'); i.value=0;"
                           "i.dispatchEvent(new Event('input'));")
    assert label.text.startswith("Monthly heat: 2024-03")
    assert browser.execute_script(heat) == 1
    # targets are numbered 1..10 in patrol order on the map
    numbers = [e.text for e in browser.find_elements("css selector", ".leaflet-marker-icon div")]
    assert sorted(int(n) for n in numbers if n.isdigit()) == list(range(1, 11))
