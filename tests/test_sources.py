"""Downloads, tested against a real HTTP server on 127.0.0.1 that serves
recorded police.uk responses (not a mock of our own functions)."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from hotspot._errors import FetchError
from hotspot.intake import read_incidents
from hotspot.sources import api_polygon, fetch_boundary, fetch_police_uk, fetch_police_uk_from_mirror, months_between

FIXTURES = Path(__file__).parent / "fixtures" / "policeuk_api"


class _Recorded(BaseHTTPRequestHandler):
    hits: list[dict] = []
    too_big_once: set[str] = set()

    def do_GET(self):  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        q = parse_qs(url.query)
        type(self).hits.append({"path": url.path, **{k: v[0] for k, v in q.items()}})
        month = q.get("date", [""])[0]
        if url.path == "/api/crimes-street/burglary":
            if month in self.too_big_once:
                self.too_big_once.discard(month)
                self._send(503, b"")  # what police.uk says for > 10,000 crimes
                return
            f = FIXTURES / f"crimes-street_burglary_{month}.json"
            if f.is_file():
                self._send(200, f.read_bytes(), "application/json")
            else:
                self._send(200, b"[]", "application/json")
        elif url.path.startswith("/files/"):
            f = FIXTURES / url.path.removeprefix("/files/")
            self._send(200, f.read_bytes()) if f.is_file() else self._send(404, b"")
        else:
            self._send(404, b"")

    def _send(self, code, body, ctype="application/octet-stream"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorded.hits = []
    _Recorded.too_big_once = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()  # shutdown() stops the loop but leaves the listening socket open
    t.join()


def test_fetch_months_writes_policeuk_csvs_and_caches(server, tmp_path, barnet):
    files = fetch_police_uk(barnet, months_between("2024-01", "2024-03"), cache=tmp_path, base_url=server + "/api")
    # 2024-03 has no recorded crimes: no file, but a marker so it is not fetched again
    assert [f.name[:7] for f in files] == ["2024-01", "2024-02"]
    assert (tmp_path / "2024-03-barnet-burglary-street.none").is_file()
    api_calls = [h for h in _Recorded.hits if h["path"].endswith("/burglary")]
    assert len(api_calls) == 3
    poly = api_calls[0]["poly"].split(":")
    assert 3 <= len(poly) <= 100 and all(len(p.split(",")) == 2 for p in poly)
    res = read_incidents(files, crime_types="Burglary", area=barnet)
    expected_ids = {r["persistent_id"] for m in ("2024-01", "2024-02")
                    for r in json.loads((FIXTURES / f"crimes-street_burglary_{m}.json").read_text())}
    assert res.rows == len(expected_ids) == 55
    assert set(res.incidents["incident_id"]) == expected_ids
    assert set(res.incidents["date_precision"]) == {"month"}
    # a second fetch is served from the cache
    fetch_police_uk(barnet, ["2024-01", "2024-02", "2024-03"], cache=tmp_path, base_url=server + "/api")
    assert len([h for h in _Recorded.hits if h["path"].endswith("/burglary")]) == 3


def test_a_month_too_large_is_split(server, tmp_path, barnet):
    _Recorded.too_big_once = {"2024-01"}
    files = fetch_police_uk(barnet, ["2024-01"], cache=tmp_path, base_url=server + "/api")
    calls = [h for h in _Recorded.hits if h["path"].endswith("/burglary")]
    assert len(calls) == 5  # one refused, then four quarters
    res = read_incidents(files)
    assert res.accepted == 30 and res.rejected == 0  # the quarters' overlap is de-duplicated


def test_server_error_is_a_fetch_error(server, tmp_path, barnet):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_police_uk(barnet, ["2024-01"], category="nonsense", cache=tmp_path, base_url=server + "/api")


def test_boundary_download_checks_the_checksum(server, tmp_path):
    body = (FIXTURES / "crimes-street_burglary_2024-01.json").read_bytes()
    good = hashlib.sha256(body).hexdigest()
    manifest = tmp_path / "manifest.json"
    entry = {"name": "x", "file": "x.json", "url": f"{server}/files/crimes-street_burglary_2024-01.json",
             "licence": "OGL", "sha256": good}
    manifest.write_text(json.dumps({"layers": [entry]}))
    p = fetch_boundary("x", cache=tmp_path / "c", manifest=manifest)
    assert p.read_bytes() == body
    entry["sha256"] = "0" * 64
    manifest.write_text(json.dumps({"layers": [entry]}))
    with pytest.raises(FetchError, match="cannot download x"):
        fetch_boundary("x", cache=tmp_path / "d", manifest=manifest)


def test_boundary_from_local_mirror(shared_data, tmp_path):
    p = fetch_boundary("london_boroughs", mirror=shared_data, cache=tmp_path)
    assert p.name == "london_boroughs.geojson" and p.stat().st_size > 100_000


def test_police_files_from_a_mirror(tmp_path):
    mirror = tmp_path / "mirror" / "2024-01"
    mirror.mkdir(parents=True)
    (mirror / "2024-01-metropolitan-street.csv").write_text("Crime ID,Month\n")
    got = fetch_police_uk_from_mirror(tmp_path / "mirror", ["2024-01"], cache=tmp_path / "cache")
    assert [g.name for g in got] == ["2024-01-metropolitan-street.csv"]
    with pytest.raises(FetchError, match="no police.uk file for 2024-02"):
        fetch_police_uk_from_mirror(tmp_path / "mirror", ["2024-02"], cache=tmp_path / "cache")


def test_api_polygon_contains_the_area(barnet):
    import geopandas as gpd
    from shapely.geometry import Polygon

    pairs = [tuple(map(float, p.split(","))) for p in api_polygon(barnet.geometry, barnet.crs).split(":")]
    poly = gpd.GeoSeries([Polygon([(lon, lat) for lat, lon in pairs])], crs=4326).to_crs(barnet.crs).iloc[0]
    assert len(pairs) <= 100
    assert poly.buffer(1).contains(barnet.geometry)  # simplified outward: nothing on the edge is cut off
