"""`run --areas`: every area's morning products, each in its own folder, and
an index page that links them and names the areas that failed (issue 22)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot.jobs.morning import run_areas
from hotspot.pipeline import RunConfig


def _layer_and_incidents(tmp_path):
    # three areas side by side; West and East have three years of burglary, Empty has none
    gpd.GeoDataFrame({"name": ["West", "East", "Empty"]},
                     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
                     crs=27700).to_file(tmp_path / "areas.geojson")
    rng = np.random.default_rng(4)
    n = 900
    months = pd.period_range("2022-10", "2023-12", freq="M").strftime("%Y-%m")  # 15: the runs backtest two (fast)
    pd.DataFrame({"id": [f"b{k}" for k in range(n)], "month": months[rng.integers(0, len(months), n)],
                  "x": rng.uniform(5, 1995, n), "y": rng.uniform(5, 995, n)}).to_csv(tmp_path / "inc.csv", index=False)
    return RunConfig(area_file=tmp_path / "areas.geojson", area="", incidents=[tmp_path / "inc.csv"],
                     read_options={"crs": "EPSG:27700", "columns": {"date": "month"}}, crime_types=[])


@pytest.mark.browser
def test_every_area_gets_its_folder_and_the_index_names_the_failures(tmp_path, browser, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SELECTION_CACHE", str(tmp_path / "cache"))
    cfg = _layer_and_incidents(tmp_path)
    seen = []
    res = run_areas(cfg, "all", tmp_path / "runs", workers=0, gi_star_layer=False,
                    stages=["intake", "hotspots", "cross-border", "map"], progress=lambda d, t, a: seen.append((d, t)))
    assert sorted(res.done) == ["East", "West"] and list(res.failed) == ["Empty"]
    assert "no incidents" in res.failed["Empty"].lower() or "rejected" in res.failed["Empty"].lower()
    assert seen[-1] == (3, 3)
    for name in ("West", "East"):
        r = res.done[name]
        assert r["folder"].endswith(name.lower()) and r["reused"] is False
        assert all(p.startswith(r["folder"]) for p in r["outputs"].values())  # nothing outside its own folder
        assert (tmp_path / "runs" / name.lower() / "maps" / f"{name.lower()}.html").is_file()
    page = res.index.read_text(encoding="utf-8")
    assert "Empty" in page and res.failed["Empty"].split(":")[0] in page
    browser.get(res.index.resolve().as_uri())
    links = {a.text: a.get_attribute("href") for a in browser.find_elements("css selector", "#areas a")}
    assert "map" in links and "hotspots" in links
    assert len(browser.find_elements("css selector", "#areas tr")) == 3  # header + two areas
    assert [li.text.split(":")[0] for li in browser.find_elements("css selector", ".failed li")] == ["Empty"]
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    browser.get(links["map"])  # the links resolve to the area's own files
    assert "west" in browser.current_url or "east" in browser.current_url
    # the second morning reuses every area's method selection
    again = run_areas(cfg, "West", tmp_path / "runs", workers=0, gi_star_layer=False, stages=["intake", "hotspots"])
    assert again.done["West"]["reused"] is True and again.done["West"]["method"] == res.done["West"]["method"]


def test_a_run_reads_its_incidents_once_at_its_widest_buffer(tmp_path, monkeypatch):
    import hotspot.intake.stages
    import hotspot.pipeline
    from hotspot.areas import load_area
    from hotspot.intake import read_incidents

    monkeypatch.setenv("HOTSPOT_SELECTION_CACHE", str(tmp_path / "cache"))
    cfg = _layer_and_incidents(tmp_path)
    cfg.area, cfg.context = "West", list(cfg.incidents)
    loads: list = []
    real = hotspot.intake.stages._load_source

    def counting(src, *args, **kw):
        loads.append(str(src))
        return real(src, *args, **kw)

    monkeypatch.setattr(hotspot.intake.stages, "_load_source", counting)  # every read of an input, whoever asks
    res = hotspot.pipeline.run_area(cfg, tmp_path / "maps", reports=tmp_path / "reports", gi_star_layer=False,
                                    stages=["intake", "hotspots", "cross-border", "nano-beats"])
    # one read of the file at the widest buffer (the 3 km fringe): the area's own rows, the 1 km context of the
    # forecast, the fringe and the 200 m context of the nano-beats all come from it (it was two reads, then one)
    assert loads == [str(tmp_path / "inc.csv")]
    assert res.summary["border"]["outside_incidents"] > 0 and res.summary["nanobeats"]["context"]["buffer_m"] == 200
    # the same rows and accounting as reading the area alone, and the same fringe as reading around it
    monkeypatch.setattr(hotspot.intake.stages, "_load_source", real)
    area = load_area(cfg.area_file, "West")
    alone = read_incidents(cfg.incidents, area=area, crime_types=cfg.crime_types, **cfg.read_options)
    assert alone.accepted == res.intake.accepted == res.summary["accepted"]
    assert res.intake.summary() == alone.summary() and res.intake.incidents.equals(alone.incidents)
    # every row lies within 3 km of West: the fringe is every row that is not West's
    assert res.summary["border"]["outside_incidents"] == 900 - alone.accepted
