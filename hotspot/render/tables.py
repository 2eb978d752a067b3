"""The command line's tables and summary lines on stderr: each command's
result as a person reads it (``--json`` prints the result's own JSON instead,
see :func:`hotspot.render.console.print_json`).

Nothing here computes: each function takes a result of the analytics (or of a
job, typed loosely so that rendering imports no job) and prints it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from .console import err, rows

if TYPE_CHECKING:
    from ..anpr import ANPRPlan
    from ..campaigns import CampaignPlan
    from ..forecast import CoverageBacktest
    from ..knox import KnoxResult
    from ..league import LeagueResult
    from ..nanobeats import NanoBeatPlan


# --------------------------------------------------------------------------- intake
def summary_table(summary: dict, title: str) -> Table:
    """Rows read, accepted, rejected (by reason) and filtered; CRS and dates.

    Parameters
    ----------
    summary : dict
        :meth:`hotspot.intake.IntakeResult.summary`.
    title : str
        The table's title.

    Returns
    -------
    Table
    """
    t = Table(title=title, show_header=False)
    for k in ("rows", "accepted", "rejected", "filtered", "crs"):
        t.add_row(k, f"{summary[k]:,}" if isinstance(summary[k], int) else str(summary[k]))
    if summary.get("date_range"):
        t.add_row("date range", " to ".join(summary["date_range"]))
    for reason, n in summary["reasons"].items():
        t.add_row(f"  rejected: {reason}", f"{n:,}")
    return t


def detected_table(summary: dict) -> Table:
    """What intake detected: formats, columns, CRS and how it was chosen, date
    order, precision, crime types, area membership.

    Parameters
    ----------
    summary : dict
        :meth:`hotspot.intake.IntakeResult.summary`.

    Returns
    -------
    Table
    """
    t = Table(title="Detected", show_header=False)
    if summary.get("crs_how"):
        t.add_row("working CRS", f"{summary['crs']} ({summary['crs_how']})")
    for src in summary.get("sources", []):
        t.add_row("file", escape(str(src["file"])))
        t.add_row("  format", src["format"])
        t.add_row("  columns", escape(", ".join(f"{k}={v}" for k, v in src["columns"].items())))
        c = src.get("coordinates") or {}
        if c:
            t.add_row("  coordinates", escape(f"{'/'.join(c['columns'])} in {c['crs']} ({c['how']})"))
            if c.get("check"):
                t.add_row("  CRS check", escape(c["check"]))
        d = src.get("dates") or {}
        if d:
            t.add_row("  dates", escape(f"{d['column']}: {d['order']} ({d['how']}); precision {d['precision']}"))
    if summary.get("date_precision"):
        t.add_row("date precision", summary["date_precision"])
    for ctype, n in (summary.get("crime_types") or {}).items():
        t.add_row(f"  crime type: {escape(ctype)}", f"{n:,} rows")
    a = summary.get("membership")
    if a:
        t.add_row("area", escape(f"{a['area']}" + (f" ({a['code']})" if a.get("code") else "")))
        t.add_row("  membership", f"{a['rule']}, edge tolerance {a['edge_tolerance_m']:g} m")
        t.add_row("  recovered within tolerance", f"{a['recovered_within_tolerance']:,} rows")
        if a["rule"].startswith("police.uk"):
            t.add_row("  other LSOAs inside polygon (rejected)", f"{a['attributed_elsewhere_inside_polygon']:,} rows")
            t.add_row("  own LSOAs beyond tolerance (rejected)", f"{a['attributed_here_beyond_tolerance']:,} rows")
        else:
            t.add_row("  in tolerance band but in a neighbour", f"{a['in_neighbour_not_recovered']:,} rows")
    for note in summary.get("notes", []):
        t.add_row("note", escape(note))
    return t


# --------------------------------------------------------------------------- results
def print_knox(res: KnoxResult, seed: int | None) -> None:
    """The Knox table (ratio and p per band; * significant after BH) and the near-repeat window.

    Parameters
    ----------
    res : KnoxResult
        The test's result.
    seed : int, optional
        Seed of the permutations.
    """
    t = Table(title=f"Knox test: {res.n_events:,} events, {res.permutations} permutations (seed {seed})")
    t.add_column("distance \\ time")
    for lab in res.time_labels:
        t.add_column(lab, justify="right")
    sig = res.significant()
    for a, lab in enumerate(res.distance_labels):
        t.add_row(lab, *[f"{res.ratio[a, b]:.2f} ({'p=' + format(res.p_value[a, b], '.3f')})"
                         f"{' *' if sig[a, b] else ''}" for b in range(len(res.time_labels))])
    err.print(t)
    err.print("cells: Knox ratio (observed / expected); * = ratio >= 1.2 and significant after a Benjamini-Hochberg "
              "correction over the finite cells (5 % false-discovery rate)")
    window = res.significant_window()
    err.print(f"near-repeat window for nano-beats: {window[0]:g} m, {window[1]:g} {res.time_unit}" if window
              else "no significant near-repeat window")


def risk_and_dosage(plan: NanoBeatPlan) -> str:
    """One line: what the risk is made of and the officer-minutes the plan needs.

    Parameters
    ----------
    plan : NanoBeatPlan
        The plan.

    Returns
    -------
    str
    """
    how, dose = plan.risk_method or {}, plan.dosage or {}
    risk = (f"forecast {how.get('method')} + near-repeat, forecast share {float(how.get('weight', 0)):.2f}"
            if how.get("background") == "forecast" else f"history ({how.get('rule')}) + near-repeat")
    return (f"risk: {risk}; dosage: {dose.get('visit_minutes', 0):g} min x {dose.get('visits_per_shift', 0)} visits "
            f"per target per shift = {dose.get('officer_minutes', 0):g} officer-minutes")


def nanobeats_json(plan: NanoBeatPlan) -> dict[str, Any]:
    """The `nanobeats --json` object: window (metres and days or months), route, notes, context, targets.

    Parameters
    ----------
    plan : NanoBeatPlan
        The plan.

    Returns
    -------
    dict
    """
    unit = "months" if plan.monthly else "days"
    frame = plan.to_csv_frame().replace({np.nan: None})
    return {"as_of": plan.format_date(plan.as_of), "variant": plan.variant,
            "window": {"distance_m": plan.window[0], unit: plan.window[1], "time": plan.window[1]},
            "route_length_m": round(plan.route_length_m, 1), "route_on_streets": plan.route_on_streets,
            "notes": plan.notes, "context": plan.context, "risk_method": plan.risk_method, "dosage": plan.dosage,
            "targets": frame.to_dict(orient="records")}


def nanobeats_table(plan: NanoBeatPlan) -> Table:
    """The targets in patrol order: street, why, active until.

    Parameters
    ----------
    plan : NanoBeatPlan
        The plan.

    Returns
    -------
    Table
    """
    unit = "months" if plan.monthly else "days"
    t = Table(title=f"Nano-beats as of {plan.format_date(plan.as_of)} ({plan.window[0]:g} m, {plan.window[1]:g} {unit})")
    for c in ("#", "target", "street", "why", "active until"):
        t.add_column(c)
    for r in rows(plan.targets):
        t.add_row(str(r.patrol_order), r.target_id, escape(r.street if isinstance(r.street, str) else str(r.label)),
                  escape(r.why), plan.format_date(r.active_until) or "no expiry (history only)")
    return t


def backtest_table(bt: CoverageBacktest, name: str) -> Table:
    """The backtest table: PAI per method at the table's levels, hit rate, PEI and PAI interval at the coverage.

    Parameters
    ----------
    bt : CoverageBacktest
        The backtest.
    name : str
        The area's name.

    Returns
    -------
    Table
    """
    res, cov = bt.result, bt.coverage
    t = Table(title=f"{name}: {res.n_periods} forecast periods ({'months' if res.freq == 'M' else 'weeks'})")
    for c in ("method", *[f"PAI {lv * 100:g}%" for lv in bt.table_levels], f"hit rate {cov:g}%", f"PEI {cov:g}%",
              f"PAI {cov:g}% 95% CI"):
        t.add_column(c)
    for r in bt.rows():
        t.add_row(r["method"], *[f"{r['pai'][lv]:.2f}" for lv in bt.table_levels], f"{r['hit_rate']:.1%}",
                  f"{r['pei']:.2f}", f"{r['pai_ci95'][0]:.2f}-{r['pai_ci95'][1]:.2f}")
    sel = res.selected
    if sel is not None:
        t.add_section()
        blank = ["" for _ in bt.table_levels]
        at = bt.table_levels.index(bt.level)
        t.add_row(f"selected (nested, {sel.periods} periods)", *(blank[:at] + [f"{sel.pai:.2f}"] + blank[at + 1:]),
                  f"{sel.hit_rate:.1%}", f"{sel.pei:.2f}", f"{sel.pai_ci[0]:.2f}-{sel.pai_ci[1]:.2f}")
        t.add_row(f"selected / {sel.baseline} (paired ratio)", *(blank[:at] + [f"{sel.ratio:.3f}"] + blank[at + 1:]),
                  "", "", f"{sel.ratio_ci[0]:.3f}-{sel.ratio_ci[1]:.3f}")
    return t


def league_table(res: LeagueResult) -> Table:
    """The league table: rank, area, burglaries, change %, rate per 1,000 households, RAG.

    Parameters
    ----------
    res : LeagueResult
        The league.

    Returns
    -------
    Table
    """
    def blank(v: Any) -> bool:
        return v is None or v is np.nan or str(v) in ("<NA>", "nan", "None") or v != v

    t = Table(title=f"burglary league, 12 months to {res.month}")
    for c in ("rank", "area", "burglaries", "change %", "per 1,000 households", "RAG"):
        t.add_column(c)
    for r in res.to_frame().to_dict(orient="records"):
        rate = r["rate_per_1000_households"]
        t.add_row("" if blank(r["rank"]) else str(r["rank"]), escape(str(r["area"])), f"{int(r['rolling_12m']):,}",
                  "-" if blank(r["change_pct"]) else f"{r['change_pct']:+.1f}", "-" if blank(rate) else f"{rate:.2f}",
                  str(r["rag"]))
    return t


def print_anpr(plan: ANPRPlan, name: str) -> None:
    """The sites table (install order, road, postcode, across, owner, lon/lat degrees, gains) and the coverage line.

    Parameters
    ----------
    plan : ANPRPlan
        The plan.
    name : str
        The area's name.
    """
    res = plan.result
    t = Table(title=f"{name}: {res.k_useful} of {res.k} cameras useful, {res.radius_m:g} m radius "
                    f"({'optimal' if res.optimal else res.status}, CBC)")
    for c in ("#", "road", "postcode", "across", "owner", "lon", "lat", "gain", "coverage after", "JamCam (not ANPR)"):
        t.add_column(c)
    for r, cov in zip(res.sites.itertuples(), res.marginal["coverage_after"]):
        jam = getattr(r, "traffic_camera_m", None)
        t.add_row(str(r.install_order), escape(str(r.road)), str(r.postcode or ""), escape(str(r.neighbour or "")),
                  escape(str(r.owner)), f"{r.lon:.5f}", f"{r.lat:.5f}", f"{r.marginal_gain:.1%}", f"{cov:.1%}",
                  f"{jam:.0f} m" if jam is not None and jam == jam else "")
    err.print(t)
    err.print(f"coverage of weighted cross-border demand: {res.coverage_before:.1%} before, {res.coverage_after:.1%} after "
              f"(greedy {res.greedy_coverage:.1%}); fewest new cameras for " +
              ", ".join(f"{k}: {v}" for k, v in plan.min_cameras.items()))


def print_campaign(plan: CampaignPlan, name: str) -> None:
    """The targets table (first 25 units) and the reach/timing line.

    Parameters
    ----------
    plan : CampaignPlan
        The plan.
    name : str
        The area's name.
    """
    t = Table(title=f"{name}: leaflets and timer switches ({plan.rule} rule)")
    for c in ("#", "unit", "households", "leaflets", "timer switches", "expected per year", "per 1,000 hh per year", "drop first"):
        t.add_column(c)
    for r in plan.targets.head(25).itertuples():
        pc = getattr(r, "postcodes", None) or []
        t.add_row(str(r.rank), escape(str(r.name)), f"{r.households:,}", f"{r.leaflets:,}", f"{r.timer_switches:,}",
                  f"{r.expected_burglaries:.1f}", f"{r.rate_per_1000_households:.1f}", ", ".join(pc[:3]))
    err.print(t)
    err.print(f"{plan.leaflets_used:,} leaflets and {plan.timer_switches_used:,} timer switches reach "
              f"{plan.share_reached:.1%} of expected burglary; campaign {plan.campaign_window[0]:%d %b %Y} to "
              f"{plan.campaign_window[1]:%d %b %Y} (clocks go back {plan.clocks_go_back:%d %b}); "
              f"winter/summer {plan.winter_summer_ratio:.2f}")


def print_assessment(res: Any, name: str) -> None:
    """Counts per region, the estimates and the verdict (stderr).

    Parameters
    ----------
    res : Assessment
        The assessment.
    name : str
        The area's name.
    """
    w = res.window
    t = Table(title=f"{name}: {res.kind}, {w['periods_each']} {w['period']}s before/after {w['after'][0]}, "
                    f"buffer {res.buffer_m:g} m")
    for c in ("burglaries", "before", "after"):
        t.add_column(c)
    for role, c in res.counts.items():
        t.add_row(role, f"{c['before']:,}", f"{c['after']:,}")
    err.print(t)
    e, d = res.effect, res.wdd
    err.print(f"rate ratio {e.rate_ratio:.3f} (95 % CI {e.ci95[0]:.3f}-{e.ci95[1]:.3f}, p {e.p:.4f}, {e.model}); "
              f"WDQ {res.wdq.value if res.wdq.value is None else round(res.wdq.value, 3)} ({res.wdq.reading}); "
              f"WDD {d.value:+.0f} burglaries (SE {d.se:.1f})", highlight=False)
    if res.rtm is not None:
        r = res.rtm
        err.print(f"regression to the mean: expected ratio {r.expected_ratio:.3f} over {r.n} placebo dates; net "
                  f"{r.net_ratio:.3f} ({r.net_ci95[0]:.3f}-{r.net_ci95[1]:.3f}), permutation p {r.p:.4f}", highlight=False)
    err.print(f"verdict: {escape(res.verdict)}", highlight=False)


# --------------------------------------------------------------------------- commands' closing lines
def print_nanobeats(plan: NanoBeatPlan, out: Path, map_out: Path | None) -> None:
    """The targets table, the route line and the risk/dosage line.

    Parameters
    ----------
    plan : NanoBeatPlan
        The plan.
    out : Path
        Where the targets were written.
    map_out : Path, optional
        Where the map was written.
    """
    err.print(nanobeats_table(plan))
    how = "along streets" if plan.route_on_streets else "as the crow flies"
    err.print(f"route {plan.route_length_m / 1000:.2f} km ({how}) -> {out}" + (f", map {map_out}" if map_out else ""))
    err.print(risk_and_dosage(plan))


def print_brief(b: Any, name: str, as_of: str | None, path: Path, pdf: Path | None) -> None:
    """The brief's rows, its notes and where it was written.

    Parameters
    ----------
    b : PatrolBrief
        The brief (:func:`hotspot.render.brief.patrol_brief`).
    name : str
        The area's name.
    as_of : str
        The planning date as the plan writes it.
    path : Path
        The page written.
    pdf : Path, optional
        The PDF written.
    """
    t = Table(title=f"Patrol brief {name}, {as_of}")
    for c in ("#", "street", "near", "why", "active until"):
        t.add_column(c)
    for r in rows(b.rows):
        t.add_row(str(r.rank), escape(r.street or "street not named"), escape(r.near or ""), escape(r.why),
                  r.active_until or "no expiry")
    err.print(t)
    for note in b.notes:
        err.print(f"note: {escape(note)}")
    err.print(f"brief -> {path}" + (f", PDF {pdf}" if pdf else ""))


def print_backtest(bt: CoverageBacktest, name: str, coverage: float) -> None:
    """The backtest table, the selected procedure and the method for the next period.

    Parameters
    ----------
    bt : CoverageBacktest
        The backtest.
    name : str
        The area's name.
    coverage : float
        Coverage level, percent of the area.
    """
    res = bt.result
    err.print(backtest_table(bt, name))
    sel = res.selected
    if sel is not None:
        err.print(f"selected procedure at {coverage:g}% coverage (method chosen each period on earlier periods only): "
                  f"PAI {sel.pai:.2f} (95% CI {sel.pai_ci[0]:.2f}-{sel.pai_ci[1]:.2f}); "
                  f"vs naive {sel.baseline} PAI {sel.baseline_pai:.2f}: ratio {sel.ratio:.3f} "
                  f"(paired 95% CI {sel.ratio_ci[0]:.3f}-{sel.ratio_ci[1]:.3f})")
    err.print(f"method for the next period at {coverage:g}% coverage: {res.best or 'none (too few periods to choose)'}")
    for w in res.warnings:
        err.print(f"warning: {w}")


def print_target_backtest(bt: Any, name: str, k: int, radius: float) -> None:
    """``backtest --targets``: caught share per method at equal effort and the paired ratios.

    Parameters
    ----------
    bt : TargetBacktest
        :func:`hotspot.target_backtest.backtest_targets`'s result.
    name : str
        The area's name.
    k : int
        Targets per plan.
    radius : float
        Radius of each target, metres.
    """
    t = Table(title=f"{name}: {k} targets x {radius:g} m, {bt.periods['date'].nunique()} plans, next {bt.horizon}")
    for c in ("method", "caught", "of", "caught share", "area km2", "share per km2"):
        t.add_column(c)
    for row in bt.summary.to_dict("records"):
        t.add_row(str(row["method"]), f"{int(row['caught']):,}", f"{int(row['incidents']):,}",
                  f"{100 * float(row['caught_share']):.2f} %", f"{float(row['area_km2']):.3f}",
                  f"{100 * float(row['share_per_km2']):.2f} %/km2")
    err.print(t)
    for b, ratio in bt.ratios().items():
        err.print(f"planner / {b}: {ratio['ratio']:.3f} (paired 95% CI {ratio['lo']:.3f}-{ratio['hi']:.3f})")
    for w in bt.warnings:
        err.print(f"warning: {w}")


def print_backtest_areas(res: Any, best: Any, coverage: float) -> None:
    """``backtest --areas``: the best method per area.

    Parameters
    ----------
    res : AreasBacktest
        :func:`hotspot.league.backtest_areas`'s result.
    best : DataFrame
        :func:`hotspot.league.best_methods` of it.
    coverage : float
        Coverage level, percent of the area.
    """
    t = Table(title=f"backtest, {res.table['area'].nunique() if len(res.table) else 0} areas, PAI and hit rate at {coverage:g} % coverage")
    for c in ("area", "best method", "PAI", "hit rate", "PEI"):
        t.add_column(c)
    for r in rows(best):
        t.add_row(escape(str(r.area)), r.method, f"{r.pai:.2f}", f"{r.hit_rate:.1%}", f"{r.pei:.2f}")
    err.print(t)
    err.print(f"{res.run.workers} workers, {res.run.seconds:.1f} s")


def print_crossborder(fig: Any, name: str, strip: float) -> None:
    """Burglary near the boundary, and density either side per neighbour.

    Parameters
    ----------
    fig : BorderFigures
        :func:`hotspot.crossborder.border_figures`'s result.
    name : str
        The area's name.
    strip : float
        Strip width either side of the boundary, metres.
    """
    overall, dens = fig.overall, fig.density
    t = Table(title=f"{name}: burglary near the boundary ({int(overall.incidents.iloc[0]):,} burglaries)")
    for c in ("zone", "burglaries", "share of burglaries", "share of area", "concentration ratio"):
        t.add_column(c, justify="right")
    for r in rows(overall):
        t.add_row(f"within {r.distance_m:g} m", f"{r.in_zone:,}", f"{r.incident_share:.1%}", f"{r.area_share:.1%}", f"{r.ratio:.2f}")
    err.print(t)
    if dens is not None:
        t = Table(title=f"Burglaries per km² per year, {strip:g} m either side ({int(dens.months.max()) if len(dens) else 0} months)")
        for c in ("neighbour", "shared boundary km", "inside", "outside", "outside / inside"):
            t.add_column(c, justify="right")
        for r in rows(dens):
            t.add_row(str(r.neighbour), f"{r.shared_boundary_km:.1f}", f"{r.inside_density:.1f}",
                      "no data" if np.isnan(r.outside_density) else f"{r.outside_density:.1f}",
                      "" if np.isnan(r.ratio_outside_inside) else f"{r.ratio_outside_inside:.2f}")
        err.print(t)


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.1f} %"


def print_report(rep: Any, name: str) -> None:
    """The report's headline table, rates and ranks, and its warnings.

    Parameters
    ----------
    rep : AreaReport
        :func:`hotspot.report.area_report`'s result.
    name : str
        The area's name.
    """
    j = rep.to_json()
    t = Table(title=f"{name}: burglary performance {rep.month} - {rep.rag}")
    for c in ("measure", "burglaries", "change"):
        t.add_column(c)
    t.add_row("latest quarter", f"{j['latest_quarter']['volume']:,}", _pct(j['latest_quarter']['change_pct']))
    t.add_row("rolling 12 months", f"{j['rolling_12m']['volume']:,}", _pct(j['rolling_12m']['change_pct']))
    t.add_row(f"vs FY {j['vs_baseline']['fy']}", f"{j['vs_baseline']['volume']:,}", _pct(j['vs_baseline']['change_pct']))
    err.print(t)
    rates = ", ".join(f"{v:.2f} per 1,000 {k}" for k, v in j["rate_per_1000"].items() if v is not None) or "n/a"
    err.print(f"rates (rolling 12 months): {rates}; London rank by {j['rank_by']}: {j['london_rank'] or 'n/a'} of {j['london_of'] or 'n/a'}; "
              f"peer rank {j['peer_rank'] or 'n/a'}; exceptions: {len(j['exceptions'])} months")
    for w in j["warnings"]:
        err.print(f"[yellow]warning[/]: {escape(w)}")


def print_run(result: Any) -> None:
    """A run's intake, files, skipped stages, notes, warnings and stage times.

    Parameters
    ----------
    result : RunResult
        :func:`hotspot.pipeline.run_area`'s result.
    """
    err.print(summary_table(result.summary, f"{result.area.name}: burglary intake"))
    if result.map_path:
        err.print(f"map: {result.map_path}")
    for name, path in result.outputs.items():
        err.print(f"{name}: {path}")
    for stage, why in result.skipped.items():
        err.print(f"[yellow]skipped[/] {stage}: {escape(why)}")
    for note in result.summary.get("nanobeats", {}).get("notes", []):
        err.print(f"note: {escape(note)}")
    for w in (result.summary.get("report") or {}).get("warnings", []):
        err.print(f"[yellow]report warning[/]: {escape(w)}")
    err.print("stage times (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.steps.items()))


def print_areas_run(res: Any) -> None:
    """Every area's run: seconds, method, folder; the failed areas; workers and memory.

    Parameters
    ----------
    res : AreasRun
        :func:`hotspot.jobs.morning.run_areas`'s result.
    """
    for name, r in sorted(res.done.items()):
        err.print(f"{escape(name)}: {r['seconds']:.1f} s, method {r['method']} "
                  f"({'reused' if r['reused'] else 'fitted'}), {escape(r['folder'])}", highlight=False)
    for name, why in sorted(res.failed.items()):
        err.print(f"[red]failed[/] {escape(name)}: {escape(why)}", highlight=False)
    peak = max(res.info.peak_rss_mb.values(), default=0.0)
    err.print(f"{len(res.done)} of {len(res.areas)} areas in {res.info.seconds:.1f} s on {res.info.workers} "
              f"worker(s), peak {peak:.0f} MB per worker; index: {res.index}", highlight=False)


def print_fetched(kind: str, got: Any, use: str) -> None:
    """Where a fetched layer is, what it holds, its source and which option takes it.

    Parameters
    ----------
    kind : str
        roads, postcodes or units.
    got : FetchedLayer
        :func:`hotspot.fetchers.fetch_layer`'s result.
    use : str
        The option that takes the layer.
    """
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in got.counts.items())
    err.print(f"{kind}: {got.rows:,} features ({counts}){' from the cache' if got.from_cache else ''}", highlight=False)
    err.print(f"  -> {escape(str(got.path))}  (give it with {use})", highlight=False)
    err.print(f"  source: {escape(got.source)}", highlight=False)
    err.print(f"  {escape(got.attribution)}", highlight=False)


def print_check_public(found: list[Any], files: list[Path], incidents: int, distance: float, k: int) -> None:
    """Each finding, or that the files are safe to publish.

    Parameters
    ----------
    found : list of Finding
        :func:`hotspot.disclosure.check_public`'s findings.
    files : list of Path
        The files checked.
    incidents : int
        Input incidents checked against.
    distance : float
        The leak distance, metres.
    k : int
        Smallest count that may be published.
    """
    for f in found:
        err.print(f"[bold red]not safe:[/] {escape(str(f))}", highlight=False, soft_wrap=True)
    if not found:
        err.print(f"safe to publish: {len(files)} files, no coordinate within {distance:g} m of "
                  f"{incidents:,} incidents, no count below {k}")


def print_kde(res: Any, ctx: Any, cell: float, out: Any, map_out: Path | None) -> None:
    """The context used, the notes and the surface's one-line summary.

    Parameters
    ----------
    res : DensityHotspots
        :func:`hotspot.hotspots.density_hotspots`'s result.
    ctx : Context, optional
        The context incidents read.
    cell : float
        Cell size, metres.
    out : path or str
        Where the tables were written.
    map_out : Path, optional
        Where the map was written.
    """
    if ctx is not None:
        err.print(f"context: {res.context_incidents:,} burglaries across the boundary inform the surface "
                  f"({', '.join(f'{n} {c:,}' for n, c in ctx.to_json()['by_neighbour'].items())})")
        for note in ctx.missing_notes():
            err.print(f"[yellow]note[/]: {escape(note)}; the surface next to it may still be biased low")
    for note in res.notes:
        err.print(f"[yellow]note[/]: {escape(note)}")
    err.print(f"{len(res.incidents):,} incidents, {int(res.surface.mask.sum()):,} cells of {cell:g} m, "
              f"{len(res.polygons)} hotspots -> {out}" + (f", map {map_out}" if map_out else ""))
