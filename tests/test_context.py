"""Context incidents across the boundary (issue 14): they reach the area's
cells near the boundary, never its interior or its own counts, and a
neighbour without data is reported as missing, never as zero burglary."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot._errors import HotspotError
from hotspot.areas import area_from_geometry
from hotspot.context import BEYOND_LAYER, boundary_effect, build_context, kde_with_context

AREA = area_from_geometry(box(0, 0, 4000, 4000), 27700, "Here")
NEIGHBOURS = gpd.GeoDataFrame({"name": ["East", "North"]},
                              geometry=[box(4000, 0, 8000, 4000), box(0, 4000, 4000, 8000)], crs=27700)


def _points(xy, prefix):
    xy = np.asarray(xy, float)
    df = pd.DataFrame({"incident_id": [f"{prefix}{k}" for k in range(len(xy))],
                       "occurred": pd.Timestamp("2024-05-01"), "date_precision": "day"})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


RNG = np.random.default_rng(7)
OWN = _points(RNG.uniform(200, 3800, (400, 2)), "own")
# a burst of burglaries 50-150 m across the eastern boundary, and far-away ones that must be ignored
BURST = _points(np.c_[RNG.uniform(4050, 4150, 60), RNG.uniform(1800, 2200, 60)], "east")
FAR = _points(np.c_[RNG.uniform(6000, 7000, 30), RNG.uniform(1000, 3000, 30)], "far")
ALL = pd.concat([OWN, BURST, FAR], ignore_index=True)


def test_context_keeps_only_the_buffer_outside_the_area_and_never_the_own_incidents():
    ctx = build_context(AREA, ALL, own=OWN, buffer_m=500, neighbours=NEIGHBOURS)
    assert set(ctx.incidents["incident_id"]) == set(BURST["incident_id"])
    assert (ctx.incidents["neighbour"] == "East").all()
    # west and south of the area lie outside the neighbours layer: reported as such, with no incident
    assert ctx.to_json()["by_neighbour"] == {"East": 60, "North": 0, BEYOND_LAYER: 0}


def test_a_neighbour_without_any_incident_is_missing_data_not_zero():
    ctx = build_context(AREA, ALL, own=OWN, buffer_m=500, neighbours=NEIGHBOURS)
    north = ctx.neighbours.set_index("neighbour").loc["North"]
    # the area's own density near the boundary predicts ~ 400/16 km² x 2 km² ~ 50 there
    assert north["expected_from_area"] > 5 and north["status"] == "missing"
    assert ctx.missing == ["North", BEYOND_LAYER]
    # with a burst in every direction nothing is missing
    ring = _points(np.r_[np.c_[RNG.uniform(100, 3900, 40), RNG.uniform(4050, 4300, 40)],
                         np.c_[RNG.uniform(-300, -50, 40), RNG.uniform(100, 3900, 40)],
                         np.c_[RNG.uniform(100, 3900, 40), RNG.uniform(-300, -50, 40)]], "ring")
    full = build_context(AREA, pd.concat([ALL, ring], ignore_index=True), own=OWN, buffer_m=500,
                         neighbours=NEIGHBOURS)
    assert full.missing == []


def test_context_raises_density_near_the_boundary_only():
    without = kde_with_context(OWN, AREA, bandwidth=250)
    ctx = build_context(AREA, ALL, own=OWN, buffer_m=250, neighbours=NEIGHBOURS)
    with_ctx = kde_with_context(OWN, AREA, context=ctx, bandwidth=250)
    X, Y = without.grid.centres()
    diff = with_ctx.values - without.values
    near_burst = without.mask & (X > 3900) & (np.abs(Y - 2000) < 150)
    far_from_it = without.mask & ((X < 3700) | (np.abs(Y - 2000) > 500))
    assert diff[near_burst].min() > 0
    np.testing.assert_allclose(diff[far_from_it], 0.0, atol=1e-9)  # FFT round-off only
    assert with_ctx.meta["context_incidents"] == 60 and without.meta["context_incidents"] == 0
    # every own incident still counts once: the surface mass inside grows only by context mass
    assert with_ctx.values[without.mask].sum() > without.values[without.mask].sum()


def test_a_buffer_narrower_than_the_kernel_is_refused():
    ctx = build_context(AREA, ALL, own=OWN, buffer_m=100, neighbours=NEIGHBOURS)
    with pytest.raises(HotspotError, match=r"context buffer \(100 m\) is narrower than the kernel's reach \(250 m\)"):
        kde_with_context(OWN, AREA, context=ctx, bandwidth=250)


def test_barnet_boundary_density_with_the_fringe_as_context(shared_data, barnet):
    from hotspot.areas import load_boundaries
    from hotspot.intake import read_incidents

    own = read_incidents(shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv",
                         area=barnet).incidents
    own = own[own["occurred"] >= "2023-03-01"]  # the fringe file's span
    fringe = read_incidents(shared_data / "crime" / "barnet_3km_fringe_burglary_police_uk_2023-03_2025-02.csv"
                            ).incidents.to_crs(barnet.crs)
    with pytest.warns(UserWarning, match="repaired 29 invalid geometries"):  # the reference layer's own flaw
        lads = load_boundaries(shared_data / "boundaries" / "lads_london_and_herts_region.geojson", crs=barnet.crs)
    ctx = build_context(barnet, fringe, own=own, buffer_m=1000, neighbours=barnet.neighbours(lads))
    # Hertfordshire Constabulary data are not in the file: Hertsmere is missing, never "no burglary"
    assert ctx.missing == ["Hertsmere"]
    assert set(ctx.to_json()["by_neighbour"]) == {"Hertsmere", "Brent", "Camden", "Enfield", "Haringey", "Harrow"}
    effect = boundary_effect(own, barnet, ctx, bandwidth=250, strip_m=500)
    assert effect["boundary"]["with_context"] > effect["boundary"]["without_context"]
    assert effect["interior"]["with_context"] == pytest.approx(effect["interior"]["without_context"], abs=1e-6)


# --------------------------------------------------------------------------- nano-beats


def _dated(xy, prefix, when):
    g = _points(xy, prefix)
    g["occurred"] = pd.Timestamp(when)
    g["location_text"] = ""
    return g


def test_a_burst_across_the_boundary_makes_a_shared_target_on_this_side_only_with_context(monkeypatch):
    from hotspot import settings
    from hotspot.nanobeats import NanoBeatPlanner

    rng = np.random.default_rng(3)
    # the area's own burglaries: old and scattered, so no near-repeat target of their own
    own = _dated(rng.uniform(300, 3700, (30, 2)), "own", "2023-01-10")
    # ten burglaries last week, 30-120 m across the eastern boundary
    burst = _dated(np.c_[rng.uniform(4030, 4120, 10), rng.uniform(1950, 2050, 10)], "east", "2024-05-25")
    ctx = build_context(AREA, burst, own=own, buffer_m=200, neighbours=NEIGHBOURS)
    # the own data alone end 17 months before --as-of, which is refused by default: allow it here
    monkeypatch.setattr(settings, "AS_OF_MAX_GAP_DAYS", 600)
    without = NanoBeatPlanner.from_window(own, AREA, distance=200, days=14, history_weight=0.0).solve(
        "2024-06-01", n_targets=3)
    with_ctx = NanoBeatPlanner.from_window(own, AREA, distance=200, days=14, history_weight=0.0,
                                           context=ctx).solve("2024-06-01", n_targets=3)
    assert len(without.targets) == 0  # nothing recent on this side
    t = with_ctx.targets.iloc[0]
    assert AREA.geometry.contains(t.geometry.centroid)  # the target is on this side
    assert 3800 < t["centroid_x"] < 4000 and abs(t["centroid_y"] - 2000) < 150
    assert t["context_sources"] == 10 and t["context_share"] == 1.0 and t["shared_with"] == "East"
    # the area's own counts never include the context
    assert with_ctx.targets["n_sources"].sum() - with_ctx.targets["context_sources"].sum() == 0


def test_barnet_nanobeats_with_context_change_near_the_boundary_not_inside(shared_data, barnet):
    from shapely import distance as sdistance
    from shapely import points

    from hotspot.areas import load_boundaries
    from hotspot.intake import read_incidents
    from hotspot.nanobeats import NanoBeatPlanner

    own = read_incidents(shared_data / "crime" / "barnet_burglary_police_uk_2013-12_2025-02.csv",
                         area=barnet).incidents
    london = read_incidents(shared_data / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet").incidents
    with pytest.warns(UserWarning, match="repaired 29 invalid geometries"):  # the reference layer's own flaw
        lads = load_boundaries(shared_data / "boundaries" / "lads_london_and_herts_region.geojson", crs=barnet.crs)
    ctx = build_context(barnet, london.to_crs(barnet.crs), own=own, buffer_m=200, neighbours=barnet.neighbours(lads))
    assert ctx.missing == ["Hertsmere"] and len(ctx.incidents) > 0
    a = NanoBeatPlanner.from_window(own, barnet, distance=200, months=2)
    b = NanoBeatPlanner.from_window(own, barnet, distance=200, months=2, context=ctx)
    ra, rb = a.risk("2024-06-01", history_weight=0.0), b.risk("2024-06-01", history_weight=0.0)
    # b's grid is padded by the distance: compare on a's cells
    X, Y = a.grid.centres()
    ib = b.grid.index(X.ravel(), Y.ravel())
    rb = rb[ib[0], ib[1]].reshape(ra.shape)
    d = sdistance(barnet.geometry.boundary, points(X, Y))
    interior = a.mask & (d > 200 + 2 * a.cell) & (ra > 0)
    near = a.mask & (d < 100)
    scale = rb[interior] / ra[interior]  # only the normalisation changes inside
    np.testing.assert_allclose(scale, scale[0], rtol=1e-9)
    assert np.any(np.abs(rb[near] - scale[0] * ra[near]) > 1e-6 * ra.max())


# --------------------------------------------------------------------------- cameras


def test_camera_demand_counts_burglary_on_both_sides_of_a_crossing():
    from shapely.geometry import LineString

    from hotspot._errors import ModelError
    from hotspot.anpr import crossing_demand

    road = gpd.GeoDataFrame({"road": ["A1"]}, geometry=[LineString([(2000, 2000), (6000, 2000)])], crs=27700)
    crossings = gpd.GeoDataFrame({"crossing_id": [1], "road": ["A1"], "flow": [1000.0]},
                                 geometry=gpd.points_from_xy([4000], [2000]), crs=27700)
    inside = _points(np.c_[np.linspace(3000, 3900, 10), np.full(10, 2050)], "in")
    outside = _points(np.c_[np.linspace(4100, 5000, 30), np.full(30, 1950)], "out")
    far = _points([[7000, 2000], [4500, 3500]], "far")  # beyond 1.5 km along the road, or off the corridor
    one_side = crossing_demand(crossings, AREA, roads=[road], incidents=inside)
    both = crossing_demand(crossings, AREA, roads=[road], incidents=inside,
                           context=pd.concat([outside, far], ignore_index=True))
    assert one_side["risk"].iloc[0] == 10
    assert both["risk_inside"].iloc[0] == 10 and both["risk_outside"].iloc[0] == 30
    assert both["demand"].iloc[0] == 1000.0 * 40
    with pytest.raises(ModelError, match="give incidents with context"):
        crossing_demand(crossings, AREA, roads=[road], surface=object(), context=outside)


# --------------------------------------------------------------------------- forecasts


def test_forecast_smoothing_sees_the_context_counts_and_scoring_does_not():
    from hotspot.forecast import PeriodCounts, method_score

    rng = np.random.default_rng(5)
    own = _points(rng.uniform(200, 3800, (300, 2)), "own")
    own["occurred"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, 300), "D")
    own["date_precision"] = "month"
    own["occurred"] = own["occurred"].dt.to_period("M").dt.to_timestamp()
    burst = _points(np.c_[rng.uniform(4020, 4100, 40), rng.uniform(1900, 2100, 40)], "east")
    burst["occurred"] = pd.Timestamp("2024-06-01")
    later = _points([[4050, 2000]] * 30, "future")
    later["occurred"] = pd.Timestamp("2024-12-01")  # after the forecast origin: must change nothing
    ctx = build_context(AREA, pd.concat([burst, later], ignore_index=True), own=own, buffer_m=500,
                        neighbours=NEIGHBOURS)
    plain = PeriodCounts.from_incidents(own, AREA)
    seen = PeriodCounts.from_incidents(own, AREA, context=ctx)
    assert seen.context_counts.sum() == 70 and seen.counts.sum() == plain.counts.sum() == 300
    origin = plain.index_of("2024-09-01")
    X, Y = plain.grid.centres()
    ib = seen.grid.index(X.ravel(), Y.ravel())

    def on_plain_grid(a):
        return a[ib[0], ib[1]].reshape(plain.grid.shape)

    # counts-based forecasts are the area's own
    np.testing.assert_array_equal(on_plain_grid(method_score(seen, "counts_12", origin)),
                                  method_score(plain, "counts_12", origin))
    # a KDE forecast rises next to the burst only
    k_plain = method_score(plain, "kde_250m_12", origin)
    k_seen = on_plain_grid(method_score(seen, "kde_250m_12", origin))
    near = plain.mask & (X > 3800) & (np.abs(Y - 2000) < 200)
    far = plain.mask & (X < 3500)
    assert (k_seen[near] - k_plain[near]).min() > 0
    np.testing.assert_allclose(k_seen[far], k_plain[far], atol=1e-6)
    # no look-ahead: the December context burglaries do not touch a September forecast
    early = PeriodCounts.from_incidents(own, AREA, context=build_context(AREA, burst, own=own, buffer_m=500,
                                                                         neighbours=NEIGHBOURS))
    np.testing.assert_allclose(method_score(early, "kde_250m_12", origin), method_score(seen, "kde_250m_12", origin))


def test_a_missing_neighbour_is_noted_when_the_area_has_no_burglary_of_its_own():
    # nothing of the area's own: no density to predict a neighbour's count from, and the note still reads
    ctx = build_context(AREA, pd.concat([BURST, FAR], ignore_index=True), own=OWN.iloc[:0], buffer_m=500,
                        neighbours=NEIGHBOURS)
    assert ctx.neighbours["expected_from_area"].isna().all()
    notes = ctx.missing_notes()
    assert ctx.missing == ["North", BEYOND_LAYER] and len(notes) == 2
    assert "no data for North" in notes[0] and "no burglaries of its own" in notes[0]
    # the counts are over every month the context holds, and the note says which (another may speak of 12 months)
    when = ctx.incidents["occurred"]
    assert f"burglaries in {when.min():%Y-%m}..{when.max():%Y-%m} and" in notes[0]


def test_a_target_fed_from_across_the_boundary_is_named_after_its_own_street_and_says_so():
    from hotspot.nanobeats import NanoBeatPlanner

    rng = np.random.default_rng(8)
    # two recent burglaries of the area's own on "Own Road" near its eastern edge, eight just across it
    own = _dated(np.c_[rng.uniform(3900, 3960, 2), rng.uniform(1980, 2020, 2)], "own", "2024-05-26")
    own["location_text"] = "On or near Own Road"
    burst = _dated(np.c_[rng.uniform(4030, 4100, 8), rng.uniform(1950, 2050, 8)], "east", "2024-05-25")
    burst["location_text"] = "On or near Far Street"
    ctx = build_context(AREA, burst, own=own, buffer_m=200, neighbours=NEIGHBOURS)
    plan = NanoBeatPlanner.from_window(own, AREA, distance=200, days=14, history_weight=0.0,
                                       context=ctx).solve("2024-06-01", n_targets=1)
    t = plan.targets.iloc[0]
    assert t["n_sources"] == 10 and t["context_sources"] == 8
    assert t["label"] == "On or near Own Road"  # not the neighbour's street, though it has more burglaries
    assert re.match(r"10 burglaries within \d+ m of its centre", t["why"]) and "8 of these 10 across the boundary (East)" in t["why"]


def test_a_neighbour_found_without_data_elsewhere_is_missing_here_too():
    ctx = build_context(AREA, ALL, own=OWN, buffer_m=500, neighbours=NEIGHBOURS)
    assert "East" not in ctx.missing  # 60 burglaries in the buffer: data, as far as the buffer can tell
    marked = ctx.mark_missing(["East"])
    assert set(marked.missing) == {"East", "North", BEYOND_LAYER}
    assert any(n.startswith("no data for East within 500 m") for n in marked.missing_notes())
    assert ctx.mark_missing(["Nowhere"]) is ctx and "East" not in ctx.missing  # the original is unchanged


def test_ids_are_matched_as_isin_of_a_set_for_arrow_text_with_missing_ids():
    # Arrow's lookup against pandas' isin(set(...)): arrow-backed and object text, chunked arrays, a missing id
    # on one side or both (in only when both have one)
    import pyarrow as pa

    from hotspot.context import _is_in

    rng = np.random.default_rng(3)
    ids = [f"id{v}" for v in rng.integers(0, 400, 2000)]
    ids[::37] = [None] * len(ids[::37])
    among = [f"id{v}" for v in rng.integers(0, 400, 300)]
    for left_nulls, right_nulls in ((True, True), (True, False), (False, True)):
        left = [i if left_nulls or i is not None else "x" for i in ids]
        right = among + ([None] if right_nulls else [])
        for dtype in ("str", "string[pyarrow]", object):
            a, b = pd.Series(left, dtype=dtype), pd.Series(right, dtype=dtype)
            want = a.isin(set(b)).to_numpy()
            assert np.array_equal(_is_in(a, b), want)
            assert want.any() and not want.all()
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([ids[:900], ids[900:]])))
    among_chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([among[:100], among[100:]])))
    assert np.array_equal(_is_in(chunked, among_chunked), chunked.isin(set(among_chunked)).to_numpy())
