"""Maps: self-contained HTML, escaping, privacy, and a real browser."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from browser import load_map, screenshot_has_colour

from hotspot.intake import POLICE_UK_COLUMNS, read_incidents
from hotspot.pipeline import recent_incidents
from hotspot.render.leaflet import COLOURS, HotspotMap

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
    from hotspot.hotspots import hotspot_mask, hotspot_polygons
    from hotspot.nanobeats import NanoBeatPlanner
    from hotspot.render.nanobeats import add_plan_to_map
    from hotspot.render.surfaces import add_hotspots_to_map, add_month_slider, add_surface

    inc = barnet_intake.incidents
    pc = PeriodCounts.from_incidents(inc, barnet)
    surf = forecast_surface(pc, "counts_36")
    m = HotspotMap(barnet)
    add_surface(m, surf, "Forecast")
    add_hotspots_to_map(m, hotspot_polygons(surf, hotspot_mask(surf, share=0.05), inc))
    add_month_slider(m, inc, months=12)
    add_plan_to_map(m, NanoBeatPlanner.from_window(inc, barnet, months=2).solve("2025-03-01"))
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


# --------------------------------------------------------------------------- base tiles and audience maps


def test_tiles_option_forms(barnet):
    from hotspot._errors import HotspotError

    assert HotspotMap(barnet, tiles="none").tiles is None
    assert HotspotMap(barnet, tiles="osm").tiles == "osm"
    assert HotspotMap(barnet, tiles="https://tiles.example/{z}/{x}/{y}.png").tiles == "xyz"
    assert HotspotMap(barnet, tiles="wms:https://maps.example/wms?layers=streets").tiles == "wms"
    for bad in ("https://tiles.example/tile.png", "wms:https://maps.example/wms", "satellite"):
        with pytest.raises(HotspotError, match="tiles="):
            HotspotMap(barnet, tiles=bad)


class _TileServer:
    """A real HTTP tile server on 127.0.0.1 serving generated PNG tiles (XYZ
    under /tiles/{z}/{x}/{y}.png and WMS GetMap under /wms), in a thread."""

    def __init__(self):
        import io
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (256, 256), (20, 200, 60)).save(buf, format="PNG")
        png = buf.getvalue()
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                ok = self.path.startswith("/tiles/") and self.path.endswith(".png") or \
                    self.path.startswith("/wms?") and "getmap" in self.path.lower()
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "image/png" if ok else "text/plain")
                self.send_header("Access-Control-Allow-Origin", "*")
                body = png if ok else b"no"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.browser
def test_tiles_load_from_a_local_tile_server(tmp_path, barnet):
    from browser import open_browser

    srv = _TileServer()
    drv = open_browser(local_servers=True)
    try:
        xyz = HotspotMap(barnet, tiles=f"http://127.0.0.1:{srv.port}/tiles/{{z}}/{{x}}/{{y}}.png").save(tmp_path / "xyz.html")
        wms = HotspotMap(barnet, tiles=f"wms:http://127.0.0.1:{srv.port}/wms?layers=streets").save(tmp_path / "wms.html")
        page = load_map(drv, xyz, settle=2.0)
        assert page["severe"] == [] and page["errors"] == []
        assert drv.execute_script("return document.querySelectorAll('img.leaflet-tile-loaded').length") > 0
        tiles = [p for p in srv.requests if p.startswith("/tiles/")]
        assert tiles and all(re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", p) for p in tiles)
        assert screenshot_has_colour(drv, (20, 200, 60), tol=12) > 10_000  # the tiles are drawn
        page = load_map(drv, wms, settle=2.0)
        assert page["severe"] == [] and page["errors"] == []
        getmap = [p for p in srv.requests if p.startswith("/wms?")]
        assert getmap and all("layers=streets" in p.lower() and "request=getmap" in p.lower() for p in getmap)
        assert drv.execute_script("return document.querySelectorAll('img.leaflet-tile-loaded').length") > 0
    finally:
        drv.quit()
        srv.close()


@pytest.fixture(scope="module")
def audience(tmp_path_factory, shared_data, barnet, barnet_intake):
    from hotspot.anpr import plan_anpr
    from hotspot.campaigns import plan_campaign
    from hotspot.jobs.reference import ReferenceData
    from hotspot.nanobeats import NanoBeatPlanner
    from hotspot.render.maps import audience_maps

    ref = ReferenceData(shared_data)
    inc = barnet_intake.incidents
    recent = recent_incidents(inc, months=12)
    nb = NanoBeatPlanner.from_window(inc, barnet, months=2).solve("2025-03-01", start_lonlat=(-0.2, 51.6))
    anpr = plan_anpr(barnet, road_layers=ref.road_layers(barnet.crs), incidents=recent,
                     count_points=ref.count_points(barnet.crs), red_routes=ref.red_routes(), k=20)
    camp = plan_campaign(ref.lsoa_units(barnet), inc, as_of="2025-03-01", leaflets=5000, timer_switches=500)
    d = tmp_path_factory.mktemp("audience")
    paths = audience_maps(barnet, d, name="barnet", neighbours=barnet.neighbours(), nanobeats=nb, anpr=anpr,
                          campaign=camp, recent=recent)
    return paths, nb, anpr, camp


def _checked(drv):
    return drv.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
        ".map(l => [l.innerText.trim(), l.querySelector('input').checked])")


@pytest.mark.browser
def test_one_map_per_audience_with_readable_defaults(audience, browser):
    paths, nb, anpr, camp = audience
    assert set(paths) == {"patrol", "cameras", "campaign", "overview"}
    n_sites = anpr.result.k_useful
    for key, path in paths.items():
        page = load_map(browser, path)
        assert page["severe"] == [] and page["errors"] == [], key
        layers = dict(_checked(browser))
        anpr_badges = browser.execute_script("return document.querySelectorAll('.hotspot-badge.hotspot-anpr').length")
        start = browser.execute_script("return document.querySelectorAll('.hotspot-badge.hotspot-start').length")
        if key == "patrol":
            assert layers["Nano-beat targets"] and layers["Nano-beat targets: patrol order"]
            assert anpr_badges == 0 and start == 1
            assert not any("Leaflet" in k for k in layers)
        if key == "cameras":
            assert anpr_badges == n_sites and not any("Nano-beat" in k for k in layers)
        if key == "campaign":
            assert layers["Leaflet and timer-switch targets"] is True  # visible when it opens
        if key == "overview":
            # at a glance: the numbered plans on, detail layers one click away
            assert layers["Nano-beat targets"] and layers[f"New ANPR sites ({n_sites})"]
            assert layers["Leaflet and timer-switch targets"] is False
            assert layers["Recent burglaries: heat"] is False and layers["Road crossings of the boundary"] is False
            assert anpr_badges == n_sites and start == 1
            # ANPR 1..n are teal squares, nano-beats 1..10 purple circles: never alike
            shapes = browser.execute_script(
                "return [...document.querySelectorAll('.hotspot-badge.hotspot-anpr')].map(e => getComputedStyle(e).backgroundColor)")
            assert set(shapes) == {"rgb(17, 122, 101)"}
            nb_fill = browser.execute_script(
                "return [...document.querySelectorAll('path.leaflet-interactive')].map(p => p.getAttribute('stroke'))")
            assert COLOURS["target"] in nb_fill and "#117a65" not in nb_fill


def test_every_audience_output_in_one_call(tmp_path, audience, barnet, barnet_intake, shared_data):
    from hotspot.disclosure import check_public
    from hotspot.places import read_postcodes
    from hotspot.render.outputs import write_audience_outputs

    _, nb, anpr, camp = audience
    inc = barnet_intake.incidents
    pcs = read_postcodes(shared_data / "postcodes/codepoint_open_units_barnet_3km.geojson", barnet.crs)
    out = write_audience_outputs(barnet, maps_dir=tmp_path / "maps", reports_dir=tmp_path / "reports", name="barnet",
                                 incidents=inc, recent=recent_incidents(inc, months=12), nanobeats=nb, anpr=anpr,
                                 campaign=camp, postcodes=pcs, pdf=False)
    expected = {"patrol map", "cameras map", "campaign map", "overview map", "patrol brief", "camera report",
                "drop list", "public map", "public campaign map", "public plan", "public drop list"}
    assert expected <= set(out) and all(p.is_file() for p in out.values())
    assert check_public([p for k, p in out.items() if k.startswith("public")], inc) == []
    # the police-only patrol map would not pass: it carries incident heat points
    assert check_public(out["patrol map"], inc)
