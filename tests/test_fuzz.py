"""CLI fuzz: every command against a set of bad inputs exits 0 or 2 and never
prints a traceback (issue 9). Commands run in-process through ``cli.main``,
which turns named errors into one line and exit 2; any other exception
escapes and fails the test with its traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cli  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory, shared_data):
    """Small good and bad inputs, written once."""
    d = tmp_path_factory.mktemp("fuzz")
    barnet = pd.read_csv(shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv")
    small = barnet[barnet["Month"] >= "2022-01"].head(3000)
    small.to_csv(d / "small.csv", index=False)
    small.head(0).to_csv(d / "header_only.csv", index=False)
    bad_dates = small.head(50).copy()
    bad_dates["Month"] = "not a month"
    bad_dates.to_csv(d / "bad_dates.csv", index=False)
    degrees_as_metres = pd.DataFrame({"id": range(40), "date": "2024-01-05",
                                      "x": small["Longitude"].head(40), "y": small["Latitude"].head(40)})
    degrees_as_metres.to_csv(d / "xy.csv", index=False)
    (d / "empty.csv").write_text("")
    import geopandas as gpd  # a treated place for `assess`: a 100 m disc at a Barnet burglary

    first = small.dropna(subset=["Longitude"]).iloc[0]
    gpd.GeoDataFrame({"id": ["T1"]}, geometry=gpd.points_from_xy([first["Longitude"]], [first["Latitude"]]),
                     crs=4326).to_file(d / "treated.geojson")
    return {
        "good": d / "small.csv",
        "boroughs": shared_data / "boundaries" / "london_boroughs.geojson",
        "polygons": shared_data / "boundaries" / "london_boroughs.geojson",
        "header_only": d / "header_only.csv",
        "bad_dates": d / "bad_dates.csv",
        "xy": d / "xy.csv",
        "empty": d / "empty.csv",
        "missing": d / "no_such_file.csv",
        "data": shared_data,
        "out": d / "out",
        "treated": d / "treated.geojson",
    }


# each command: argv template with {input} for the incident file(s) and {area} for the area name
COMMANDS = {
    "validate": "validate {input} --area-file {boroughs} --area {area}",
    "map": "map {input} --area-file {boroughs} --area {area} --out {out}/m.html",
    "knox": "knox {input} --area-file {boroughs} --area {area} --time-unit months --distance-edges 1,200 --time-edges 1 --permutations 9",
    "nanobeats": "nanobeats {input} --area-file {boroughs} --area {area} --as-of 2022-06-01 --out {out}/nb.geojson",
    "kde": "kde {input} --area-file {boroughs} --area {area} --out {out}/k.gpkg",
    "backtest": "backtest {input} --area-file {boroughs} --area {area} --methods counts_12 --json",
    "crossborder": "crossborder --area-file {boroughs} --area {area} --incidents {input} --json",
    "anpr": "anpr --area-file {boroughs} --area {area} --incidents {input} --data {data} --cameras 3 "
            "--out {out}/a.geojson",
    "report": "report {input} --area-file {boroughs} --area {area} --month 2022-06 --data {data}",
    "leaflets": "leaflets {input} --area-file {boroughs} --area {area} --data {data} --json",
    "assess": "assess {input} --area-file {boroughs} --area {area} --intervention {treated} --start 2022-06-01 "
              "--placebos 3 --json",
}

BAD = {
    "empty after filter": dict(input="{good} --crime-type Robbery"),
    "polygons as incidents": dict(input="{polygons}"),
    "header only": dict(input="{header_only}"),
    "empty file": dict(input="{empty}"),
    "missing file": dict(input="{missing}"),
    "bad dates": dict(input="{bad_dates}"),
    "degrees declared as metres": dict(input="{xy} --crs EPSG:27700"),
    "unknown area": dict(input="{good}", area="Narnia"),
}


def _argv(template: str, files: dict, input: str, area: str = "Barnet") -> list[str]:
    text = template.format(input=input.format(**files), area=area, **{k: v for k, v in files.items()})
    return text.split()


def _run(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_input_is_a_one_line_refusal(command, bad, files, capsys):
    code, out, err = _run(_argv(COMMANDS[command], files, **BAD[bad]), capsys)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        lines = [x for x in err.strip().splitlines() if x.startswith("error:") or "Error" in x]
        assert len(lines) >= 1, err
    refuse = {"empty after filter", "header only", "empty file", "missing file", "polygons as incidents",
              "unknown area", "degrees declared as metres"}
    if command == "validate":
        refuse.discard("empty after filter")  # validate reports the filtering itself (see its own test)
    if bad in refuse:
        assert code == 2, f"{command} with {bad} exited {code}: {err[-500:]}"


UNKNOWN_VALUES = [
    "kde {good} --area-file {boroughs} --area Barnet --out {out}/k.gpkg --kernel triangle",
    "kde {good} --area-file {boroughs} --area Barnet --out {out}/k.gpkg --cell -5",
    "knox {good} --metric chebyshev",
    "knox {good} --time-unit fortnights",
    "backtest {good} --area-file {boroughs} --area Barnet --coverage -5",
    "backtest {good} --area-file {boroughs} --area Barnet --methods nonsense",
    "nanobeats {good} --as-of yesterday-ish --out {out}/nb.geojson",
    "nanobeats {good} --as-of 2022-06-01 --targets 0 --out {out}/nb.geojson",
    "nanobeats {good} --as-of 2022-06-01 --days 14 --out {out}/nb.geojson",
    "report {good} --area-file {boroughs} --area Barnet --month 2022-13 --data {data}",
    "report {good} --area-file {boroughs} --area Barnet --month 2030-01 --data {data}",
    "report {good} --area-file {boroughs} --area Barnet --month 2024-12 --peers Harow,Enfield --data {data}",
    "leaflets {good} --area-file {boroughs} --area Barnet --data {data} --rule most",
    "anpr --area-file {boroughs} --area Barnet --incidents {good} --data {data} --radius -1 --out {out}/a.geojson",
    "assess {good} --area-file {boroughs} --area Barnet --intervention {treated} --start 2022-06-01 --buffer -5",
    "assess {good} --area-file {boroughs} --area Barnet --intervention {treated} --start 2022-06-15",
    "assess {good} --area-file {boroughs} --area Barnet --intervention {treated} --start 2022-06-01 --end soon",
    "run --area Narnia --stages intake",
    "demo --area Narnia",
]


@pytest.mark.parametrize("template", UNKNOWN_VALUES)
def test_unknown_option_values_are_refused(template, files, capsys):
    code, out, err = _run(template.format(**files).split(), capsys)
    assert code == 2, (code, err[-800:])
    assert "Traceback" not in err


def test_validate_json_on_good_input_still_exits_0(files, capsys):
    code, out, err = _run(_argv(COMMANDS["validate"], files, input="{good}") + ["--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["rows"] == 3000
