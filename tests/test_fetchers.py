"""Online fetchers (issue 18), tested against a real HTTP server on 127.0.0.1
that replays recorded responses: Overpass (through osmnx itself), the OS
Code-Point Open download, the ONS ArcGIS FeatureServer and the Nomis API.
Nothing of ours is mocked; only the service addresses in hotspot.settings
point at the local server."""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Polygon, box
from test_sources import _Recorded

from hotspot import settings
from hotspot._errors import FetchError, OptionError
from hotspot.areas import area_from_geometry
from hotspot.crossborder import read_roads
from hotspot.fetchers import (
    arcgis_features,
    cached_street_network,
    fetch_postcodes,
    fetch_roads,
    fetch_units,
    read_postcode_directory,
)
from hotspot.places import read_postcodes

FIXTURES = Path(__file__).parent / "fixtures"


def _bng_box(lon0, lat0, lon1, lat1):
    return gpd.GeoSeries([box(lon0, lat0, lon1, lat1)], crs=4326).to_crs(27700).iloc[0]


@pytest.fixture
def area():
    # a small area in Leeds city centre: nothing here is London
    return area_from_geometry(_bng_box(-1.5510, 53.7960, -1.5430, 53.7998), 27700, name="Leeds test area")


class _Replay(_Recorded):  # its _send and quiet log; routes of its own
    hits: list[dict] = []
    routes: dict[str, tuple[int, bytes, str]] = {}

    def _route(self, body: bytes = b"") -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}  # a POST's form fields, decoded
        type(self).hits.append({"method": self.command, "path": url.path, "query": q, "form": form})
        handler = type(self).routes.get(url.path)
        if handler is None:
            return self._send(404, b"not found", "text/plain")
        code, payload, ctype = handler(q) if callable(handler) else handler
        self._send(code, payload, ctype)

    def do_GET(self):  # noqa: N802 (http.server API)
        self._route()

    def do_POST(self):  # noqa: N802 (http.server API)
        self._route(self.rfile.read(int(self.headers.get("Content-Length", 0))))


@pytest.fixture
def server(monkeypatch, tmp_path):
    _Replay.hits, _Replay.routes = [], {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setattr(settings, "OVERPASS_URL", base + "/api")
    monkeypatch.setattr(settings, "CODEPOINT_URL", base + "/downloads/codepo_gb.zip")
    monkeypatch.setattr(settings, "ONS_LSOA_LAYER", base + "/arcgis/LSOA21/FeatureServer/0")
    monkeypatch.setattr(settings, "ONS_WARD_LAYER", base + "/arcgis/WD24/FeatureServer/0")
    monkeypatch.setattr(settings, "NOMIS_API", base + "/nomis/api/v01")
    yield base
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> str:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- streets


def _overpass_routes(interpreter=None):
    body = (FIXTURES / "overpass" / "interpreter_drive.json").read_bytes()
    _Replay.routes = {"/api/status": (200, (FIXTURES / "overpass" / "status.txt").read_bytes(), "text/plain"),
                      "/api/interpreter": interpreter or (200, body, "application/json")}


def test_streets_fetched_through_osmnx_named_and_cached(server, area, tmp_path):
    _overpass_routes()
    layer = fetch_roads(area, buffer_m=200, cache=tmp_path)
    posts = [h for h in _Replay.hits if h["path"] == "/api/interpreter"]
    assert len(posts) == 1 and posts[0]["method"] == "POST"
    # the query's polygon is the area buffered by 200 m and by osmnx's own 500 m (it queries beyond the polygon
    # to simplify the graph there correctly, then truncates to it); lat lon pairs in Overpass's poly filter
    poly = re.search(r"poly:'([^']+)'", posts[0]["form"]["data"]).group(1).split()
    sent = gpd.GeoSeries([Polygon(zip(map(float, poly[1::2]), map(float, poly[0::2])))], crs=4326).to_crs(27700)
    assert sent.iloc[0].contains(area.geometry.buffer(680)) and not sent.iloc[0].contains(area.geometry.buffer(760))
    assert not layer.from_cache and layer.path.is_file() and "OpenStreetMap contributors" in layer.attribution
    roads = read_roads(layer.path, area.crs)  # what --roads, the brief and anpr read
    assert {"Boar Lane", "Park Row", "The Headrow"} <= set(roads["name"].dropna())
    # osmnx merged The Headrow's end and Duncan Street (a node of degree 2): both names kept, in one text cell
    merged = roads[roads["name"].str.contains("Duncan Street", na=False)]
    assert len(merged) == 2 and set(merged["name"]) <= {"The Headrow / Duncan Street", "Duncan Street / The Headrow"}
    assert {"A58", "B6154", "M621"} <= set(roads["road"])  # ref first, as for any road layer
    assert "residential" in set(roads["road"])  # no name nor ref: named by its class, as read_roads does
    # osmnx's edge lengths (metres) are great-circle lengths of the recorded ways (sphere of radius 6,371,009 m)
    lon, lat = np.radians([-1.5500, -1.5470, -1.5440]), np.radians(53.7965)
    boar = float(np.sum(2 * 6_371_009 * np.arcsin(np.abs(np.sin(np.diff(lon) / 2)) * np.cos(lat))))
    geodesic = Geod(ellps="WGS84").line_length(np.degrees(lon), [53.7965] * 3)
    lane = roads[roads["name"] == "Boar Lane"]
    one_way = lane[lane["u"] < lane["v"]]  # a two-way street is two directed edges
    assert len(lane) == 2 * len(one_way) and one_way["length"].sum() == pytest.approx(boar, rel=1e-6)
    assert one_way.geometry.length.sum() == pytest.approx(geodesic, rel=1e-3)  # BNG metres, within its scale factor
    assert layer.counts["named_edges"] <= layer.counts["edges"] == layer.rows == len(roads)
    # the same request again: from the cache, without the network
    again = fetch_roads(area, buffer_m=200, cache=tmp_path)
    assert again.from_cache and again.path == layer.path and again.rows == layer.rows
    assert len([h for h in _Replay.hits if h["path"] == "/api/interpreter"]) == 1
    found = cached_street_network(area, cache=tmp_path)
    assert found is not None and found.path == layer.path and found.meta["buffer_m"] == 200
    walk = fetch_roads(area, buffer_m=400, network_type="walk", cache=tmp_path)  # another key, another file
    assert walk.path != layer.path and cached_street_network(area, cache=tmp_path).path == layer.path  # drive wins
    other = area_from_geometry(area.geometry.buffer(-300), 27700, name="Leeds test area")
    assert cached_street_network(other, cache=tmp_path) is None  # another outline, another key


def test_overpass_error_is_one_line_naming_the_url(server, area, tmp_path):
    _overpass_routes((500, b"<html>runtime error: the server is overloaded</html>", "text/html"))
    with pytest.raises(FetchError, match=r"/api/interpreter refused the street query.*roads=FILE") as e:
        fetch_roads(area, cache=tmp_path)
    assert "\n" not in str(e.value)
    assert not list((tmp_path / "fetched" / "roads").glob("*.gpkg"))  # nothing cached from a failure


def test_overpass_garbage_is_refused(server, area, tmp_path):
    _overpass_routes((200, b"<osm>not json</osm>", "application/xml"))
    with pytest.raises(FetchError, match=r"sent no usable street network.*roads=FILE"):
        fetch_roads(area, cache=tmp_path)
    _overpass_routes((200, json.dumps({"version": 0.6, "elements": []}).encode(), "application/json"))
    with pytest.raises(FetchError, match="no usable street network"):
        fetch_roads(area, cache=tmp_path)


def test_streets_offline_says_what_to_do(monkeypatch, area, tmp_path):
    monkeypatch.setattr(settings, "OVERPASS_URL", _closed_port() + "/api")
    with pytest.raises(FetchError, match=r"cannot reach http://127\.0\.0\.1:\d+/api/interpreter .*offline.*roads="):
        fetch_roads(area, cache=tmp_path)


def test_street_options_are_checked(area, tmp_path):
    with pytest.raises(OptionError, match="network_type='car'"):
        fetch_roads(area, network_type="car", cache=tmp_path)
    with pytest.raises(OptionError, match="buffer_m=-5"):
        fetch_roads(area, buffer_m=-5, cache=tmp_path)


# --------------------------------------------------------------------------- postcodes

#: Code-Point Open rows (PC, PQ, EA, NO, CY, RH, LH, CC, DC, WC) as the OS zip holds them, one file per area.
_CODEPOINT = {
    "ls": ['"LS1 4AP",10,429900,433600,"E92000001","E19000003","E18000003","","E08000035","E05011404"',
           '"LS1 5AA",10,430000,433700,"E92000001","E19000003","E18000003","","E08000035","E05011404"',
           '"LS1 3AB",30,430600,433600,"E92000001","E19000003","E18000003","","E08000035","E05011405"',
           '"LS1 9ZZ",90,0,0,"E92000001","","","","",""',
           '"LS6 1AA",10,428000,436000,"E92000001","E19000003","E18000003","","E08000035","E05011410"'],
    "m": ['"M1  1AE",10,384100,398000,"E92000001","E19000002","E18000002","","E08000003","E05011368"'],
}


def _codepoint_zip(rows=_CODEPOINT) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Doc/Code-Point_Open_Column_Headers.csv", "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\n")
        for name, lines in rows.items():
            z.writestr(f"Data/CSV/{name}.csv", "\n".join(lines) + "\n")
    return buf.getvalue()


def test_postcodes_from_codepoint_download_in_the_shipped_columns(server, area, tmp_path, shared_data):
    _Replay.routes = {"/downloads/codepo_gb.zip": (200, _codepoint_zip(), "application/zip")}
    layer = fetch_postcodes(area, buffer_m=1000, cache=tmp_path)
    # every row accounted for: 6 read = 1 without coordinates + 2 beyond 1 km of the area + 3 kept
    assert layer.counts == {"read": 6, "terminated": 0, "no_coordinates": 1, "outside_area": 2, "kept": 3}
    got = gpd.read_file(layer.path)
    assert sorted(got["postcode"]) == ["LS1 3AB", "LS1 4AP", "LS1 5AA"] and layer.rows == 3
    shipped = pd.read_parquet(shared_data / "postcodes" / "london_codepoint_open_units.parquet").columns.tolist()
    assert [c for c in shipped if c in got.columns] == got.columns.tolist()  # same names, same order
    row = got.set_index("postcode").loc["LS1 4AP"]
    assert (row.outward, row.sector, row.area, row.positional_quality) == ("LS1", "LS1 4", "LS", 10)
    assert (row.admin_district_code, row.admin_ward_code) == ("E08000035", "E05011404")
    back = gpd.GeoSeries([row.geometry], crs=4326).to_crs(27700).iloc[0]
    assert (back.x, back.y) == pytest.approx((429900, 433600), abs=0.1)  # lon/lat rounded to 6 dp: < 0.1 m
    pcs = read_postcodes(layer.path, area.crs)  # what --postcodes reads
    assert len(pcs) == 3
    again = fetch_postcodes(area, buffer_m=1000, cache=tmp_path)
    assert again.from_cache and len(_Replay.hits) == 1


def test_postcodes_from_an_onspd_file_by_hand(area, tmp_path):
    # an ONSPD extract (header row; old and 2025 column names), no network at all
    old = ("pcd,pcd2,pcds,dointr,doterm,oslaua,osward,usertype,oseast1m,osnrth1m,osgrdind,ctry\n"
           "LS1 4AP,LS1  4AP,LS1 4AP,198001,,E08000035,E05011404,0,429900,433600,1,E92000001\n"
           "LS1 4XX,LS1  4XX,LS1 4XX,198001,202001,E08000035,E05011404,0,429950,433650,1,E92000001\n"
           "BT1 1AA,BT1  1AA,BT1 1AA,198001,,N09000003,N08000312,0,333800,374400,1,N92000002\n")
    f = tmp_path / "ONSPD_NOV_2026_UK.csv"
    f.write_text(old)
    units, counts = read_postcode_directory(f)
    assert counts == {"read": 3, "terminated": 1, "no_coordinates": 1, "outside_bounds": 0, "kept": 1}  # BT: Irish Grid
    # read in a box holding neither: both counted as outside it (text is only looked at inside the box)
    assert read_postcode_directory(f, bounds=(0, 0, 1000, 1000))[1] == \
        {"read": 3, "terminated": 1, "no_coordinates": 0, "outside_bounds": 2, "kept": 0}
    assert units.iloc[0][["postcode", "positional_quality", "admin_district_code"]].tolist() == \
        ["LS1 4AP", 10, "E08000035"]  # ONSPD grid indicator 1 = Code-Point quality 10
    new = "pcd7,pcds,doterm,usrtypind,east1m,north1m,gridind,lad25cd,wd25cd\nLS15AA,LS1 5AA,,0,430000,433700,3,E08000035,E05011404\n"
    g = tmp_path / "new.csv"
    g.write_text(new)
    assert read_postcode_directory(g)[0].iloc[0][["postcode", "positional_quality", "admin_ward_code"]].tolist() \
        == ["LS1 5AA", 30, "E05011404"]
    layer = fetch_postcodes(area, source_file=f, cache=tmp_path)
    assert layer.rows == 1 and layer.source == str(f)


def test_postcode_download_errors(server, area, tmp_path):
    _Replay.routes = {"/downloads/codepo_gb.zip": (500, b"Internal Server Error", "text/plain")}
    with pytest.raises(FetchError, match=r"codepo_gb\.zip answered HTTP 500: download Code-Point Open .*source_file=FILE"):
        fetch_postcodes(area, cache=tmp_path)
    _Replay.routes = {"/downloads/codepo_gb.zip": (200, b"<html>maintenance</html>", "text/html")}
    with pytest.raises(FetchError, match="neither Code-Point Open nor ONSPD"):
        fetch_postcodes(area, cache=tmp_path)
    # the bad download is not kept: the next try downloads again and works
    _Replay.routes = {"/downloads/codepo_gb.zip": (200, _codepoint_zip(), "application/zip")}
    assert fetch_postcodes(area, cache=tmp_path).rows == 3
    with pytest.raises(FetchError, match=r"no postcode unit within 1000 m of Leeds test area"):
        fetch_postcodes(area, cache=tmp_path / "other", source_file=_write(tmp_path / "m.zip",
                                                                           _codepoint_zip({"m": _CODEPOINT["m"]})))


def test_postcodes_offline_names_the_option(monkeypatch, area, tmp_path):
    monkeypatch.setattr(settings, "CODEPOINT_URL", _closed_port() + "/codepo_gb.zip")
    with pytest.raises(FetchError, match=r"cannot reach .*codepo_gb\.zip .*offline.*source_file=FILE"):
        fetch_postcodes(area, cache=tmp_path)


def _write(path: Path, body: bytes) -> Path:
    path.write_bytes(body)
    return path


# --------------------------------------------------------------------------- units with households

_LSOAS = {  # 2021 LSOA code -> (BNG box, Census 2021 households); four quadrants of a 1 km square and one beyond
    "E01011001": ((430000, 433000, 430500, 433500), 600), "E01011002": ((430500, 433000, 431000, 433500), 700),
    "E01011003": ((430000, 433500, 430500, 434000), 800), "E01011004": ((430500, 433500, 431000, 434000), 900),
    "E01011099": ((431000, 433000, 431500, 433500), 500)}
_WARDS = {"E05011401": (430000, 433000, 430750, 434000), "E05011402": (430750, 433000, 431000, 434000)}


@pytest.fixture
def square():
    return area_from_geometry(box(430000, 433000, 431000, 434000), 27700, name="Leeds square")


def _geojson_features(props_boxes):
    ll = gpd.GeoSeries([box(*b) for _, b in props_boxes], crs=27700).to_crs(4326)
    return [{"type": "Feature", "id": i + 1, "geometry": json.loads(gpd.GeoSeries([g]).to_json())["features"][0]
             ["geometry"], "properties": {"FID": i + 1, **p}} for i, ((p, _), g) in enumerate(zip(props_boxes, ll))]


def _arcgis_layer(features):
    """An ArcGIS FeatureServer query endpoint: pages of resultRecordCount from resultOffset, as it serves them."""
    def query(q):
        start, n = int(q.get("resultOffset", 0)), int(q.get("resultRecordCount", 2000))
        page = features[start:start + n]
        body = {"type": "FeatureCollection", "features": page}
        if start + n < len(features):
            body["properties"] = {"exceededTransferLimit": True}
        return 200, json.dumps(body).encode(), "application/geo+json"
    return query


def _nomis(households):
    def data(q):
        rows = ['"GEOGRAPHY_CODE","GEOGRAPHY_NAME","OBS_VALUE"']
        rows += [f'"{c}","Leeds {c[-3:]}",{households[c]}' for c in q["geography"].split(",") if c in households]
        return 200, ("\n".join(rows) + "\n").encode(), "text/csv"
    return data


def _units_routes(households=None, lsoa_layer=None):
    lsoas = _geojson_features([({"LSOA21CD": c, "LSOA21NM": f"Leeds {c[-3:]}", "GlobalID": c}, b)
                               for c, (b, _) in _LSOAS.items()])
    wards = _geojson_features([({"WD24CD": c, "WD24NM": f"Ward {c[-1]}", "WD24NMW": " "}, b) for c, b in _WARDS.items()])
    _Replay.routes = {
        "/arcgis/LSOA21/FeatureServer/0/query": lsoa_layer or _arcgis_layer(lsoas),
        "/arcgis/WD24/FeatureServer/0/query": _arcgis_layer(wards),
        "/nomis/api/v01/dataset/NM_2059_1.data.csv": _nomis(households or {c: h for c, (_, h) in _LSOAS.items()})}


def test_lsoas_with_census_households(server, square, tmp_path):
    _units_routes()
    layer = fetch_units(square, cache=tmp_path)
    units = gpd.read_file(layer.path).set_index("unit")
    assert sorted(units.index) == ["E01011001", "E01011002", "E01011003", "E01011004"]  # E01011099 lies outside
    assert units["households"].to_dict() == {c: h for c, (_, h) in _LSOAS.items() if c != "E01011099"}
    assert layer.counts == {"lsoas_read": 5, "lsoas_outside_area": 1, "lsoas": 4, "households": 3000}
    nomis = [h for h in _Replay.hits if h["path"].endswith("NM_2059_1.data.csv")]
    assert len(nomis) == 1 and nomis[0]["query"]["measures"] == "20100"
    hh = pd.read_csv(layer.path.with_name(layer.path.stem + "_households.csv"))
    assert hh.columns.tolist() == ["lsoa_code", "lsoa_name", "households"] and hh["households"].sum() == 3000
    # the campaign takes the layer as --units (households from its column)
    from hotspot.campaigns import campaign_units

    cu = campaign_units(square, units=gpd.read_file(layer.path), unit_column="unit")
    assert cu["households"].sum() == 3000
    # and the run's campaign stage as --units F --households F (its LSOA reader takes the 2021 code column)
    from hotspot.campaigns import lsoa_units

    lu = lsoa_units(layer.path, layer.path.with_name(layer.path.stem + "_households.csv"), square)
    assert lu.set_index("unit")["households"].to_dict() == units["households"].to_dict()
    hits = len(_Replay.hits)
    assert fetch_units(square, cache=tmp_path).from_cache and len(_Replay.hits) == hits


def test_wards_get_households_by_areal_interpolation(server, square, tmp_path):
    _units_routes()
    layer = fetch_units(square, level="ward", cache=tmp_path)
    wards = gpd.read_file(layer.path).set_index("unit")["households"].to_dict()
    # ward 1 holds the two western LSOAs and half of each eastern one: 600 + 800 + (700 + 900) / 2
    assert wards == {"E05011401": 2200, "E05011402": 800}
    assert layer.meta["households_from_lsoas"] == ["E01011001", "E01011002", "E01011003", "E01011004"]
    assert "interpolation" in layer.meta["households_method"]


def test_arcgis_pages_until_the_server_has_sent_everything(server, square):
    _units_routes()
    got = arcgis_features(settings.ONS_LSOA_LAYER, np.array([-1.6, 53.7, -1.5, 53.9]), page=2)
    assert sorted(got["LSOA21CD"]) == sorted(_LSOAS) and got.crs.to_epsg() == 4326
    offsets = [h["query"]["resultOffset"] for h in _Replay.hits if h["path"].endswith("/query")]
    assert offsets == ["0", "2", "4"]
    q = _Replay.hits[0]["query"]
    assert (q["f"], q["geometryType"], q["inSR"], q["outSR"]) == ("geojson", "esriGeometryEnvelope", "4326", "4326")


def test_unit_service_errors_are_refused(server, square, tmp_path):
    err = {"error": {"code": 400, "message": "Invalid or missing input parameters.", "details": []}}
    _units_routes(lsoa_layer=(200, json.dumps(err).encode(), "application/json"))
    with pytest.raises(FetchError, match=r"LSOA21/FeatureServer/0/query refused the query \(Invalid or missing "
                                         r"input parameters\.\).*units=FILE households=FILE"):
        fetch_units(square, cache=tmp_path)
    _units_routes(lsoa_layer=(502, b"Bad Gateway", "text/plain"))
    with pytest.raises(FetchError, match="answered HTTP 502"):
        fetch_units(square, cache=tmp_path)
    short = {c: h for c, (_, h) in _LSOAS.items() if c != "E01011003"}
    _units_routes(households=short)  # Nomis without one LSOA: refused, never a zero
    with pytest.raises(FetchError, match=r"NM_2059_1\.data\.csv: no households for 1 LSOAs, e\.g\. E01011003"):
        fetch_units(square, cache=tmp_path)
    assert not list((tmp_path / "fetched" / "units").glob("*.gpkg"))
    with pytest.raises(OptionError, match="level='msoa'"):
        fetch_units(square, level="msoa", cache=tmp_path)


def test_units_offline_names_the_options(monkeypatch, square, tmp_path):
    monkeypatch.setattr(settings, "ONS_LSOA_LAYER", _closed_port() + "/arcgis/LSOA21/FeatureServer/0")
    with pytest.raises(FetchError, match=r"cannot reach .*/query .*offline.*units=FILE households=FILE"):
        fetch_units(square, cache=tmp_path)


# --------------------------------------------------------------------------- the command line, and who uses a fetched network

ROOT = Path(__file__).resolve().parents[1]


def _cli(capsys, *args):
    """The command line in this process (cli.main: exit code, one-line errors), so the replay server's
    addresses in hotspot.settings hold."""
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        from cli import main
    finally:
        sys.path.remove(str(ROOT))
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def area_file(area, tmp_path):
    path = tmp_path / "areas.geojson"
    area.to_gdf().to_crs(4326).to_file(path)
    return path


def test_fetch_commands(server, area, area_file, tmp_path, monkeypatch, capsys):
    _overpass_routes()
    monkeypatch.setenv("HOTSPOT_CACHE_DIR", str(tmp_path / "cache"))
    where = ("--area-file", area_file, "--area", "Leeds test area")
    code, out, err = _cli(capsys, "fetch", "roads", *where, "--buffer", 200, "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["kind"] == "roads" and got["rows"] > 0 and not got["from_cache"] and got["use_with"].startswith("--roads")
    assert Path(got["path"]).is_file() and Path(got["path"]).is_relative_to(tmp_path / "cache")
    code, out, err = _cli(capsys, "fetch", "roads", *where, "--buffer", 200)  # the table: where, which option takes it
    assert code == 0 and out == "" and "from the cache" in err and "--roads" in err and "OpenStreetMap" in err
    cp = _write(tmp_path / "codepo_gb.zip", _codepoint_zip())
    code, out, err = _cli(capsys, "fetch", "postcodes", *where, "--from", cp, "--json")
    assert code == 0 and json.loads(out)["rows"] == 3
    monkeypatch.setattr(settings, "ONS_LSOA_LAYER", _closed_port() + "/x/FeatureServer/0")
    for args, says in [(("fetch", "units", *where), r"cannot reach .*--units FILE --households FILE"),
                       (("fetch", "roads"), "needs --area-file and --area"),
                       (("fetch", "streets", *where), "use roads, postcodes or units"),
                       (("fetch", "units", *where, "--buffer", 100), "--buffer does not apply to units")]:
        code, out, err = _cli(capsys, *args)
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("fetching")]
        assert code == 2 and out == "" and len(lines) == 1 and re.search(says, lines[0]), (args, err)


def test_a_fetched_network_replaces_the_proxy_layers_only(server, area, tmp_path, monkeypatch):
    from hotspot.fetchers import fetched_or_reference_roads, prefer_fetched_streets

    monkeypatch.setenv("HOTSPOT_CACHE_DIR", str(tmp_path))
    proxies = {"OSM motorways": Path("m.geojson"), "TfL bus routes": Path("b.geojson")}
    assert prefer_fetched_streets(proxies, area)[1]["source"] == "reference"  # nothing fetched yet
    with pytest.raises(OptionError, match="hotspot fetch roads"):
        fetched_or_reference_roads(area, None)
    _overpass_routes()
    layer = fetch_roads(area, buffer_m=200)
    files, used = prefer_fetched_streets(proxies, area)
    assert list(files.values()) == [layer.path] and used["source"] == "fetched"
    assert list(files)[0].startswith("OSM streets (drive, fetched ") and "OpenStreetMap" in used["attribution"]
    own = {"my_streets.gpkg": Path("my_streets.gpkg")}
    assert prefer_fetched_streets(own, area) == (own, {"layers": ["my_streets.gpkg"], "source": "given"})
    layers, note = fetched_or_reference_roads(area, None)  # what anpr uses without --roads
    assert "Boar Lane" in set(next(iter(layers.values()))["road"]) and note.startswith("roads: OSM streets")


def test_the_run_and_the_brief_use_a_fetched_network(server, area, area_file, tmp_path, monkeypatch, capsys):
    from hotspot.pipeline import RunConfig, run_area

    monkeypatch.setenv("HOTSPOT_CACHE_DIR", str(tmp_path / "cache"))
    _overpass_routes()
    fetch_roads(area, buffer_m=200)
    # 24 burglaries on the recorded streets, police.uk format
    pts = [(-1.5485, 53.7965), (-1.5470, 53.7972), (-1.5470, 53.7988), (-1.5455, 53.7995)]
    rows = [f"id{m}{i},2024-0{m},Leeds,Leeds,{lon},{lat},On or near Boar Lane,,,Burglary,,"
            for m in (1, 2) for i, (lon, lat) in enumerate(pts * 3)]
    inc = tmp_path / "burglary.csv"
    inc.write_text("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                   "Crime type,Last outcome category,Context\n" + "\n".join(rows) + "\n")
    cfg = RunConfig(area_file=area_file, area="Leeds test area", incidents=[inc],
                    road_files={"TfL bus routes": Path("bus.geojson")})
    res = run_area(cfg, tmp_path / "maps", reports=tmp_path / "reports", stages=["intake"])
    assert res.summary["roads"]["source"] == "fetched" and res.summary["roads"]["layers"][0].startswith("OSM streets")
    code, out, err = _cli(capsys, "brief", inc, "--area-file", area_file, "--area", "Leeds test area", "--as-of",
                          "2024-03-01", "--targets", 2, "--out", tmp_path / "brief.html", "--json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any(n.startswith("roads: OSM streets (drive") and "OpenStreetMap" in n for n in notes), notes
    assert "OSM streets (drive" in (tmp_path / "brief.html").read_text()
