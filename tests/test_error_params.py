"""Errors raised by the API name Python parameters; the CLI prints its flags.

Issue 23: a Python caller of ``plan_leaflets(rule="x")`` must not be told
about a ``--rule`` flag, and a CLI user must still read ``--rule``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hotspot._errors import HotspotError, OptionError
from hotspot.cliflags import cli_message, command_of, flag

ROOT = Path(__file__).resolve().parents[1]
FLAG = re.compile(r"(?<![\w-])--[a-z]")

#: (file, text in the message) -> why a raise there may name a flag.
ALLOWED = {
    ("hotspot/io/postgis.py", "--to URL"): "tells the user the `hotspot load` command to run",
    ("hotspot/assets.py", "--from DIR"): "tells the user the `hotspot assets` command to run",
}


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _flagged_raises() -> list[str]:
    found = []
    for path in sorted((ROOT / "hotspot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("hotspot/commands/"):  # the command line itself: its messages name its own flags
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            for s in _strings(node.exc):
                if FLAG.search(s) and not any(f == rel and t in s for f, t in ALLOWED):
                    found.append(f"{rel}:{node.lineno}: {s!r}")
    return found


def test_no_raise_in_the_package_names_a_cli_flag():
    assert _flagged_raises() == []


def test_the_check_finds_a_flag_in_a_raise(tmp_path, monkeypatch):
    # the walker itself must see f-string parts and both quote styles
    src = 'def f(x):\n    raise ValueError(f"--rule {x!r}: partial or whole")\n'
    node = ast.parse(src).body[0].body[0]  # type: ignore[attr-defined]
    assert any(FLAG.search(s) for s in _strings(node.exc))


def test_params_survive_and_default_to_none():
    e = OptionError("rule='x': partial or whole", param="rule")
    assert e.params == ("rule",) and str(e) == "rule='x': partial or whole"
    assert HotspotError("plain").params == ()
    assert OptionError("a= and b=", param=("a", "b")).params == ("a", "b")


@pytest.mark.parametrize(("message", "params", "command", "shown"), [
    ("rule=: partial or whole", ["rule"], "leaflets", "--rule: partial or whole"),
    ("rule='x': partial or whole", ["rule"], "leaflets", "--rule 'x': partial or whole"),
    ("buffer_m=-1: give a distance", ["buffer_m"], "fetch", "--buffer=-1: give a distance"),
    ("give distance=/days=, not both", ["distance", "days"], "nanobeats", "give --distance/--days, not both"),
    ("e.g. area=E09000003", ["area"], "league", "e.g. --areas E09000003"),
    ("e.g. area=E09000003", ["area"], "report", "e.g. --area E09000003"),
    # x=, y= in a coordinate are not parameters unless listed, and never inside a word
    ("(x=1, y=2); give crs=", ["crs"], "validate", "(x=1, y=2); give --crs"),
    ("area_crs= is wrong", ["crs"], "validate", "area_crs= is wrong"),
])
def test_cli_message_spells_flags(message, params, command, shown):
    assert cli_message(message, params, command) == shown


def test_flag_lookup_and_command():
    assert flag("date_col") == "--date-col" and flag("from_") == "--from"
    assert command_of(["-v", "leaflets", "--rule", "x"]) == "leaflets" and command_of([]) is None


# --------------------------------------------------------------------------- the same inputs, API and CLI

@pytest.fixture
def area_file(tmp_path):
    """A 2 km square in British National Grid, as a one-feature boundary layer."""
    import geopandas as gpd
    from shapely.geometry import box

    path = tmp_path / "area.geojson"
    gpd.GeoDataFrame({"name": ["Square"]}, geometry=[box(530000, 180000, 532000, 182000)],
                     crs=27700).to_file(path)
    return path


def _no_flag(exc: BaseException) -> str:
    text = str(exc)
    assert not FLAG.search(text), text
    return text


def test_api_errors_name_python_parameters(area_file, tmp_path):
    import folium

    from hotspot.areas import load_area
    from hotspot.fetchers import fetch_layer
    from hotspot.nanobeats.options import NanoBeatOptions
    from hotspot.periods import parse_month
    from hotspot.render.leaflet import add_base_tiles
    from hotspot.routing import check_start

    area = load_area(area_file, "Square")
    cases = [
        (lambda: NanoBeatOptions(days=1, months=1), "days= (day-precision data) or months= (police.uk)"),
        (lambda: parse_month("2024"), "month='2024': give a month as YYYY-MM"),
        (lambda: add_base_tiles(folium.Map(), "bogus"), "tiles='bogus': use none, osm"),
        (lambda: fetch_layer("units", area, buffer_m=5, cache=tmp_path), "buffer_m= does not apply to units"),
        (lambda: fetch_layer("roads", area, network_type="car", cache=tmp_path), "network_type='car': use one of"),
        (lambda: fetch_layer("roads", area, buffer_m=-5, cache=tmp_path), "buffer_m=-5: give a distance"),
        # 51.5,-0.13 given as lon,lat: the message suggests the swap in the API's own form
        (lambda: check_start(51.51, -0.13, area), "start_lonlat=51.51,-0.13 looks like LAT,LON"),
    ]
    for call, expected in cases:
        with pytest.raises(HotspotError) as e:
            call()
        assert expected in _no_flag(e.value)
        assert e.value.params, expected


def _cli(capsys, *args) -> tuple[int, str]:
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        from cli import main
    finally:
        sys.path.remove(str(ROOT))
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, " ".join(capsys.readouterr().err.split())  # rich may wrap the line


@pytest.mark.parametrize(("args", "shown"), [
    (["--buffer", "5", "--level", "lsoa"], "--buffer does not apply to units"),
    (["--level", "msoa"], "--level 'msoa': use one of"),
])
def test_cli_shows_the_same_errors_with_its_flags(capsys, area_file, tmp_path, args, shown):
    code, err = _cli(capsys, "fetch", "units", "--area-file", area_file, "--area", "Square",
                     "--cache", tmp_path, *args)
    assert code == 2 and shown in err and "buffer_m=" not in err and "level=" not in err


def test_cli_joins_a_negative_value_and_quotes_a_string(capsys, area_file, tmp_path):
    code, err = _cli(capsys, "fetch", "roads", "--area-file", area_file, "--area", "Square",
                     "--cache", tmp_path, "--buffer=-5")
    assert code == 2 and "--buffer=-5.0: give a distance in metres" in err
    code, err = _cli(capsys, "fetch", "roads", "--area-file", area_file, "--area", "Square",
                     "--cache", tmp_path, "--network-type", "car")
    assert code == 2 and "--network-type 'car': use one of" in err
