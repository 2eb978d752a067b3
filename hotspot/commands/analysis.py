"""Analysis commands: ``knox``, ``kde``, ``backtest``, ``league``, ``crossborder``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, cast

import typer
from rich.markup import escape

from hotspot import settings
from hotspot.render import tables as show
from hotspot.render.console import bar as _bar
from hotspot.render.console import err
from hotspot.render.console import print_json as _print_json
from hotspot.render.console import spinner as _spinner

if TYPE_CHECKING:

    from hotspot.knox import TimeUnit
from .base import (
    _TILES,
    AreaFile,
    AreaFileRequired,
    AreaName,
    AreaNameRequired,
    Cell,
    CrimeType,
    Crs,
    Fmt,
    Inputs,
    JsonOut,
    MapOut,
    PublicK,
    Scheduler,
    Workers,
    _area,
    _context,
    _date_option,
    _floats,
    _intake_kwargs,
    _read,
    _required_area,
    _write,
)


def _edges(text: str | None, what: str) -> list[float] | None:
    """Band edges from an option, or None when it is not given."""
    return None if text is None else _floats(text, what)


def _nrc(text: str | None, what: str, same_location: float | None) -> list[float] | None:
    if text is None:
        return None
    from hotspot.knox import nrc_edges

    vals = _floats(text, what)
    if len(vals) != 2:
        raise typer.BadParameter(f"{what}: BANDWIDTH,BANDS, e.g. 200,5")
    return nrc_edges(vals[0], int(vals[1]), same_location=same_location)


def knox(
    inputs: Inputs,
    crime_type: CrimeType = None, area_file: AreaFile = None, area: AreaName = None,
    distance_edges: Annotated[Optional[str], typer.Option("--distance-edges", help="Finite distance edges, metres: 1,200 gives [0,1) [1,200) [200,inf).")] = None,
    time_edges: Annotated[Optional[str], typer.Option("--time-edges", help="Finite time edges, days: 7 gives [0,7) [7,inf).")] = None,
    nrc_distance: Annotated[Optional[str], typer.Option("--nrc-distance", help="NRC style BANDWIDTH,BANDS (with a same-location band).")] = None,
    nrc_time: Annotated[Optional[str], typer.Option("--nrc-time", help="NRC style BANDWIDTH,BANDS for time.")] = None,
    metric: Annotated[str, typer.Option("--metric", help="euclidean or manhattan.")] = "euclidean",
    permutations: Annotated[int, typer.Option("--permutations", help="Monte Carlo permutations of the times (p-values resolve to 1/(N+1)).")] = 999,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of the permutations (fixed by default, so a run repeats).")] = 0,
    time_unit: Annotated[str, typer.Option("--time-unit", help="days, or months for month-precision data.")] = "days",
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table: .csv, .parquet or postgresql://...?table=NAME.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write an HTML heat table.")] = None,
) -> None:
    """Knox test for near-repeat victimisation by distance and time bands."""
    from hotspot.knox import knox_from_incidents

    dedges = _nrc(nrc_distance, "--nrc-distance", 1.0) or _edges(distance_edges, "--distance-edges") or [1, 200]
    tedges = _nrc(nrc_time, "--nrc-time", None) or _edges(time_edges, "--time-edges") or [7]
    if metric not in ("euclidean", "manhattan"):
        raise typer.BadParameter("--metric: euclidean or manhattan")
    if time_unit not in ("days", "months"):  # anything else was read as days
        raise typer.BadParameter("--time-unit: days or months")
    result = _read(inputs, area=_area(area_file, area), crime_type=crime_type)
    with _bar("Knox", "permutations", permutations) as bar:
        res = knox_from_incidents(result.incidents, distance_edges=dedges, time_edges=tedges, metric=metric,
                                  permutations=permutations, seed=seed,
                                  time_unit=cast("TimeUnit", time_unit),  # checked above
                                  progress=lambda d, t: bar.update(d))
    if out:
        _write(res.to_frame(), out, params={"command": "knox", "distance_edges": dedges, "time_edges": tedges,
                                            "permutations": permutations, "seed": seed})
    if html_out:
        from hotspot.render import write_page
        from hotspot.render.knox import knox_html

        write_page(html_out, knox_html(res, f"Knox test: {res.n_events:,} events"))
    if as_json:
        _print_json(res.to_dict())
        return
    show.print_knox(res, seed)


def kde(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    out: Annotated[Path, typer.Option("--out", help="GeoPackage with layers 'cells' and 'hotspots', or postgresql://...?table=NAME (tables NAME_cells, NAME_hotspots).")],
    cell: Annotated[Optional[float], typer.Option("--cell", help="Cell size, metres (default 50; with --public 100, the smallest a public surface may have).")] = None,
    bandwidth: Annotated[Optional[float], typer.Option("--bandwidth", help="Metres (default max(150, 5 x cell)).")] = None,
    kernel: Annotated[str, typer.Option("--kernel", help="quartic or gaussian.")] = "quartic",
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Use incidents before this date (default: all).")] = None,
    months: Annotated[Optional[int], typer.Option("--months", help="Training window: the last N months before --as-of; with --public the fixed published window's length, a divisor of 12 (default 12: the latest whole calendar year).")] = None,
    hot_share: Annotated[float, typer.Option("--hot-share", help="Hotspots: top share of cells (0-1).")] = 0.05,
    hot_sd: Annotated[Optional[float], typer.Option("--hot-sd", help="Hotspots: cells above mean + K sd instead.")] = None,
    gi: Annotated[bool, typer.Option("--gi/--no-gi", help="Add a Gi* hot/cold layer (999 permutations, FDR 5 %).")] = False,
    gi_cell: Annotated[float, typer.Option("--gi-cell", help="Cell size for Gi*, metres.")] = 250.0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    map_out: MapOut = None,
    tiles: _TILES = None,
    public: Annotated[bool, typer.Option("--public", help="Safe to publish: surface in classes, only where at least --k incidents lie within the bandwidth (needs cell >= 100 m, bandwidth >= max(250 m, 2 x cell)); hotspots with at least --k; no points.")] = False,
    k: PublicK = 8,
    context: Annotated[Optional[list[Path]], typer.Option("--context", help="Incidents around the area (repeatable): burglaries across the boundary within the kernel's reach remove the edge bias near it; never counted as the area's own.")] = None,
    neighbours_file: Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of neighbouring areas that names where context incidents lie (default: --area-file).")] = None,
) -> None:
    """Kernel density surface and hotspot polygons."""
    from hotspot.hotspots import context_reach, density_hotspots, density_tables, kde_cell

    a, cell = _required_area(area_file, area), kde_cell(cell, public)
    inc = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt).incidents
    when = _date_option(as_of, "--as-of") if as_of else None
    ctx = None
    if context:
        ctx = _context(context, a, inc, buffer_m=context_reach(cell, bandwidth, kernel),
                       neighbours_file=neighbours_file, crime_type=crime_type)
    with _spinner("kernel density"):
        res = density_hotspots(inc, a, cell=cell, bandwidth=bandwidth, kernel=kernel, as_of=when, months=months,
                               hot_share=hot_share, hot_sd=hot_sd, gi_cell=gi_cell if gi else None, context=ctx,
                               public=public, k=k)
    out.parent.mkdir(parents=True, exist_ok=True)
    params = {"command": "kde", "area": a.name, "cell_m": cell, "bandwidth_m": res.surface.meta["bandwidth_m"],
              "kernel": kernel, "as_of": as_of, "months": months}
    for layer, table in density_tables(res).items():
        _write(table, out, layer=layer, params=params)
    if map_out:
        from hotspot.render.surfaces import density_map

        density_map(a, res, tiles=tiles).save(map_out)
    show.print_kde(res, ctx, cell, out, map_out)


def backtest(
    inputs: Inputs,
    area_file: AreaFileRequired,
    area: AreaName = None,
    start: Annotated[Optional[str], typer.Option("--from", help="First forecast period (YYYY-MM, or a date).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last forecast period.")] = None,
    coverage: Annotated[float, typer.Option("--coverage", help="Coverage level in percent of the area.")] = settings.BACKTEST_COVERAGE_PCT,
    methods: Annotated[Optional[str], typer.Option("--methods", help="Comma-separated methods (default: all).")] = None,
    cell: Cell = 50.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap intervals (fixed by default, so a run repeats).")] = 0,
    crime_type: CrimeType = None, crs: Crs = None, fmt: Fmt = "auto",
    as_json: JsonOut = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Coverage-curve plot (PNG).")] = None,
    areas: Annotated[Optional[str], typer.Option("--areas", help="Backtest every area (all) or A,B,... as parallel tasks; one table out.")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    out: Annotated[Optional[str], typer.Option("--out", help="With --areas: table (area x method x coverage) as .csv, .parquet or postgresql://...?table=NAME.")] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for the PAI interval.")] = settings.BACKTEST_BOOTSTRAP,
    targets: Annotated[Optional[int], typer.Option("--targets", help="Score K nano-beat targets at equal effort against count discs and near-repeat alone (same K and radius).")] = None,
    target_radius: Annotated[float, typer.Option("--target-radius", help="With --targets: radius of each target, metres.")] = settings.NANOBEAT_TARGET_RADIUS_M,
    step: Annotated[int, typer.Option("--step", help="With --targets: weeks (months for month dates) between planning dates.")] = 1,
) -> None:
    """Rolling-origin backtest of forecast methods: hit rate, PAI, PEI (--targets: patrol targets at equal effort)."""
    from hotspot.forecast import PeriodCounts, backtest_at_coverage

    if targets is not None:
        return _backtest_targets(inputs, area_file, area, targets, target_radius, step=step, start=start, end=end,
                                 cell=cell, seed=seed, bootstrap=bootstrap, crime_type=crime_type, crs=crs, fmt=fmt,
                                 as_json=as_json)
    if areas is not None:  # every area as independent dask tasks (hotspot.league)
        return _backtest_areas(inputs, area_file, areas, start=start, end=end, coverage=coverage, methods=methods,
                               cell=cell, seed=seed, crime_type=crime_type, workers=workers, scheduler=scheduler,
                               out=out, as_json=as_json, bootstrap=bootstrap)
    if area is None:
        raise typer.BadParameter("give --area NAME (one area) or --areas all|A,B (every area)")
    a = _required_area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt)
    pc = PeriodCounts.from_incidents(result.incidents, a, cell=cell)
    with _bar("backtest", "periods") as bar:
        bt = backtest_at_coverage(pc, coverage=coverage, start=start, end=end, seed=seed, bootstrap=bootstrap,
                                  methods=[m.strip() for m in methods.split(",")] if methods else None,
                                  progress=lambda d, t: bar.update(d, t))
    if plot:
        from hotspot.render.backtest import write_coverage_plot

        write_coverage_plot(bt.result, plot, title=f"{a.name}: forecast coverage curves, {bt.result.n_periods} periods")
    if as_json:
        _print_json(bt.to_json())
        return None
    show.print_backtest(bt, a.name, coverage)
    return None


def _backtest_targets(inputs: list[Path], area_file: Path, area: str | None, k: int, radius: float, *, step: int,
                      start: str | None, end: str | None, cell: float, seed: int, bootstrap: int,
                      crime_type: list[str] | None, crs: str | None, fmt: str, as_json: bool) -> None:
    """`backtest --targets K`: the planner against count discs and near-repeat alone at equal effort."""
    from hotspot.target_backtest import backtest_targets

    if area is None:
        raise typer.BadParameter("--targets scores one area: give --area NAME")
    if k < 1 or radius <= 0:
        raise typer.BadParameter(f"--targets {k} --target-radius {radius:g}: need at least 1 target of a positive "
                                 "radius (metres)")
    a = _required_area(area_file, area)
    result = _read(inputs, area=a, crime_type=crime_type, crs=crs, fmt=fmt)
    with _bar("backtest", "plans") as bar:
        bt = backtest_targets(result.incidents, a, n_targets=k, target_radius=radius, start=start, end=end, step=step,
                              cell=cell, seed=seed, bootstrap=bootstrap, progress=lambda d, t: bar.update(d, t))
    if as_json:
        _print_json(bt.to_json())
        return
    show.print_target_backtest(bt, a.name, k, radius)


def _backtest_areas(inputs: list[Path], area_file: Path, areas: str, *, start: str | None, end: str | None,
                    coverage: float, methods: str | None, cell: float, seed: int, crime_type: list[str] | None,
                    workers: int | None, scheduler: str | None, out: str | None, as_json: bool, bootstrap: int) -> None:
    """`backtest --areas`: every area as independent dask tasks (:func:`hotspot.league.backtest_areas`)."""
    from hotspot.io.write import write_table
    from hotspot.league import backtest_areas, best_methods

    level = coverage / 100.0
    with _bar("backtest", "areas") as bar:
        res = backtest_areas([str(i) for i in inputs], area_file, areas=areas, cell=cell, start=start, end=end,
                             methods=[m.strip() for m in methods.split(",")] if methods else None,
                             levels=sorted({*settings.BACKTEST_TABLE_LEVELS, level}), best_level=level,
                             bootstrap=bootstrap, seed=seed, crime_types=crime_type, workers=workers,
                             scheduler=scheduler, progress=bar.update)
    if out:
        params = {"command": "backtest", "inputs": [str(i) for i in inputs], "areas": areas, "from": start, "to": end,
                  "coverage": coverage, "methods": methods, "cell": cell, "seed": seed, "bootstrap": bootstrap}
        err.print(f"wrote {write_table(res.table, out, params=params)}")
    if as_json:
        _print_json(res.to_json())
    else:
        show.print_backtest_areas(res, best_methods(res, coverage), coverage)
    for a, e in res.failed.items():
        err.print(f"[bold red]failed:[/] {escape(a)}: {escape(e)}", highlight=False)
    if res.failed:
        raise typer.Exit(1)


def league(
    inputs: Annotated[Optional[list[str]], typer.Argument(help="Parquet/CSV files or postgresql:// URLs (default: the London police.uk Parquet file in the reference data).")] = None,
    *,
    area_file: AreaFileRequired,
    month: Annotated[str, typer.Option("--month", help="Reporting month, YYYY-MM (not after the data's last month).")],
    areas: Annotated[str, typer.Option("--areas", help="all, or comma-separated area names/codes.")] = "all",
    households: Annotated[Optional[Path], typer.Option("--households", help="LSOA households CSV (lad_code, households); default: the Census 2011 table in the reference data.")] = None,
    assign: Annotated[str, typer.Option("--assign", help="auto, lsoa (police.uk LSOA-name prefix) or polygon (point in area).")] = "auto",
    workers: Workers = None,
    scheduler: Scheduler = None,
    crime_type: CrimeType = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Reference data folder (default: $HOTSPOT_DATA_DIR or ../shared/data).")] = None,
    as_json: JsonOut = False,
    out: Annotated[Optional[str], typer.Option("--out", help="Table with the all-areas line: .csv, .parquet or postgresql://...?table=NAME.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the table as an HTML page.")] = None,
) -> None:
    """Performance table for every area: rolling 12 months, change, rate per 1,000 households, rank, RAG."""
    from hotspot.io.write import write_table
    from hotspot.jobs.league import league_sources, plan_league
    from hotspot.render import write_page
    from hotspot.render.league import league_html

    sources, households = league_sources(inputs, households, data)
    with _bar("league", "areas") as bar:
        res = plan_league(sources, area_file, month, areas=areas, households=households, assign=assign,
                          crime_types=crime_type or "Burglary", workers=workers, scheduler=scheduler,
                          progress=bar.update, intake=_intake_kwargs())
    if out:
        params = {"command": "league", "inputs": sources, "month": month, "areas": areas, "assign": res.assign,
                  "households": str(households)}
        err.print(f"wrote {write_table(res.to_frame(), out, params=params)}")
    if html_out:
        write_page(html_out, league_html(res))
    if as_json:
        _print_json(res.to_json())
    else:
        err.print(show.league_table(res))
        err.print(f"{res.run.workers} workers, {res.run.seconds:.1f} s")
    for w in res.warnings:
        err.print(f"warning: {escape(w)}", highlight=False)
    if res.failed:
        raise typer.Exit(1)


def crossborder(
    area_file: AreaFileRequired,
    area: AreaNameRequired,
    incidents: Annotated[list[Path], typer.Option("--incidents", help="Incidents inside the area (repeatable).")],
    outside: Annotated[Optional[list[Path]], typer.Option("--outside", help="Incidents beyond the boundary (repeatable).")] = None,
    neighbours_file: Annotated[Optional[Path], typer.Option("--neighbours-file", help="Layer of neighbouring areas (default: --area-file).")] = None,
    strip: Annotated[float, typer.Option("--strip", help="Strip width either side of the boundary, metres.")] = 1000.0,
    crime_type: CrimeType = None,
    as_json: JsonOut = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the month-by-month figures: .csv, .parquet or postgresql://...?table=NAME.")] = None,
) -> None:
    """Border-zone figures: burglary near the boundary, and density either side."""
    from hotspot.areas import load_boundaries
    from hotspot.crossborder import border_figures

    a = _required_area(area_file, area)
    inside = _read(incidents, area=a, crime_type=crime_type).incidents
    fig = border_figures(inside, a, outside=_read(outside, crime_type=crime_type).incidents if outside else None,
                         neighbours=load_boundaries(neighbours_file, crs=a.crs) if neighbours_file else None,
                         strip=strip)
    if out:
        _write(fig.concentration, out, params={"command": "crossborder", "area": a.name, "strip_m": strip})
    if as_json:
        _print_json(fig.to_json())
        return
    show.print_crossborder(fig, a.name, strip)
