"""Every job has one entry point, used by both the CLI and the run (issue 23).

``hotspot/pipeline.py`` (the run) and ``hotspot/commands/*.py`` (the CLI) are
read as source: every call is resolved through the imports of its module
(module level and inside functions, relative or absolute) to the dotted name
it calls. For each job of :data:`ENTRY_POINTS` the command's module and the
run (when the run has the job) must call the job's entry point in
``hotspot.jobs``, and neither may reach past it to the analytics' planner
(:data:`PLANNERS`): the planner's defaults and layers would be wired twice.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "hotspot" / "pipeline.py"
COMMANDS = sorted((ROOT / "hotspot" / "commands").glob("*.py"))

#: job -> (its entry point, the command module that runs it, whether the run has the job)
ENTRY_POINTS: dict[str, tuple[str, str, bool]] = {
    "nanobeats": ("hotspot.jobs.nanobeats.plan_patrols", "patrol", True),
    "brief": ("hotspot.jobs.brief.plan_brief", "patrol", True),
    "anpr": ("hotspot.jobs.anpr.plan_anpr_for_area", "plans", True),
    "campaign": ("hotspot.jobs.campaign.plan_leaflets_for_area", "plans", True),
    "report": ("hotspot.jobs.report.plan_report", "plans", True),
    "assess": ("hotspot.jobs.assess.plan_assessment", "run", True),
    "league": ("hotspot.jobs.league.plan_league", "analysis", False),  # every area at once: not a stage of a run
    "run": ("hotspot.pipeline.run_area", "run", False),  # the run itself (the demo and `run --area`)
    "morning": ("hotspot.jobs.morning.run_areas", "run", False),  # `run --areas`: every area's run
}

#: The analytics' planners behind the entry points: only ``hotspot.jobs`` calls them.
PLANNERS = {"plan_anpr", "patrol_brief", "NanoBeatPlanner", "plan_nanobeats", "plan_leaflets", "area_report",
            "assess_intervention", "build_league"}


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.Module, module: str) -> dict[str, str]:
    """Local name -> the dotted name it was imported as, from every import of the module (later ones win)."""
    package = module.rpartition(".")[0].split(".")
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                names[a.asname or a.name] = f"{base}.{a.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` of a call's function, or None (a call on a call's result, a subscript)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def calls(path: Path, root: Path = ROOT) -> set[str]:
    """Every function or class ``path`` (a module under ``root``) calls, as the dotted name its imports make of it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _imported_names(tree, _module_of(path, root))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is None:
                continue
            head, _, rest = name.partition(".")
            if head in names:
                out.add(names[head] + (f".{rest}" if rest else ""))
    return out


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every dotted name ``path`` (a module under ``root``) imports (``from x import y`` gives ``x.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return set(_imported_names(tree, _module_of(path, root)).values())


def _planners(names: set[str]) -> list[str]:
    """The analytics' planners among ``names`` (their own ``hotspot.jobs`` re-exports excepted)."""
    return sorted(n for n in names if n.rpartition(".")[2] in PLANNERS and not n.startswith("hotspot.jobs."))


@pytest.mark.parametrize("job", sorted(ENTRY_POINTS))
def test_the_command_calls_the_jobs_entry_point(job):
    entry, command, _ = ENTRY_POINTS[job]
    path = ROOT / "hotspot" / "commands" / f"{command}.py"
    assert entry in calls(path), f"the {job} command (hotspot/commands/{command}.py) does not call {entry}"


@pytest.mark.parametrize("job", sorted(j for j, (_, _, in_run) in ENTRY_POINTS.items() if in_run))
def test_the_run_calls_the_jobs_entry_point(job):
    entry = ENTRY_POINTS[job][0]
    assert entry in calls(PIPELINE), f"the run's {job} stage (hotspot/pipeline.py) does not call {entry}"


def test_the_run_does_not_call_the_analytics_planners():
    found = _planners(calls(PIPELINE) | imports(PIPELINE))
    assert not found, (f"hotspot/pipeline.py reaches past the jobs to {found}: call the job's entry point "
                       "(hotspot.jobs.*), whose defaults and layers are the command's")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: p.stem)
def test_no_command_calls_the_analytics_planners(path):
    found = _planners(calls(path) | imports(path))
    assert not found, f"hotspot/commands/{path.name} reaches past the jobs to {found}: call the job's entry point"


def test_every_job_module_is_in_the_table():
    # a new job module (hotspot/jobs/<job>.py) gets its row, or a line here saying why it has no entry point
    helpers = {"__init__", "reference"}
    modules = {p.stem for p in (ROOT / "hotspot" / "jobs").glob("*.py")} - helpers
    listed = {e.split(".")[2] for e, _, _ in ENTRY_POINTS.values() if e.startswith("hotspot.jobs.")}
    assert modules <= listed, f"jobs without an entry point in ENTRY_POINTS: {sorted(modules - listed)}"


def test_the_check_resolves_calls_through_imports(tmp_path):
    # the checker itself: relative and aliased imports, a function-level import, a module attribute call, and an
    # analytics planner imported under another name is still found
    pkg = tmp_path / "hotspot"
    pkg.mkdir()
    src = pkg / "pipeline.py"
    src.write_text("import hotspot.jobs.brief as jb\nfrom .anpr import plan_anpr as p\n"
                   "def f():\n    from .jobs.anpr import plan_anpr_for_area\n    plan_anpr_for_area(1)\n"
                   "    jb.plan_brief(2)\n    p()\n    x().y()\n")
    found = calls(src, tmp_path)
    assert {"hotspot.jobs.anpr.plan_anpr_for_area", "hotspot.jobs.brief.plan_brief", "hotspot.anpr.plan_anpr"} <= found
    assert _planners(found | imports(src, tmp_path)) == ["hotspot.anpr.plan_anpr"]
