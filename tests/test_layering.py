"""Rendering apart from analysis: analytics modules import no drawing code.

Every module of the package outside :mod:`hotspot.render` (and the few
modules whose job is output: the pipeline that writes a run's files, the
asset cache, and the two modules kept so old imports keep working) is read as
source and its imports - at module level and inside functions - are checked.

The package's import graph, built the same way from every module (and
``cli.py``), must have no cycle, and must keep the layers' direction (issue
23): core <- analytics <- jobs <- cli, render drawing analytics results.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "hotspot"

#: Modules that are about output, not analysis.
OUTPUT_MODULES = {
    "pipeline",     # writes a run's maps and pages (through hotspot.render)
    "morning",      # every area's run and their index page (through hotspot.render)
    "assets",       # offline Leaflet assets inlined into pages
    "__init__",
}
#: Analytics modules whose drawing is still being moved (remove when done).
PENDING: set[str] = set()

#: Drawing libraries and the package's own rendering modules.
DRAWING = ("matplotlib", "folium", "branca", "PIL", "html", "hotspot.render", "hotspot.maps", "hotspot.league_html")


def _imports(path: Path) -> list[str]:
    """Absolute names of every module imported anywhere in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative to the hotspot package (no sub-packages outside render)
                base = "hotspot" + (f".{node.module}" if node.module else "")
                out.append(base)
                if not node.module:  # from . import maps
                    out += [f"hotspot.{a.name}" for a in node.names]
            else:
                out.append(node.module or "")
    return out


#: Sub-packages above the analytics (drawing, the jobs): not checked for drawing imports.
OUTPUT_PACKAGES = {"render", "jobs", "commands", "__pycache__"}


def _analytics_modules() -> list[str]:
    """Every analytics module as a path under ``hotspot/`` without ``.py``: top-level modules (``knox``) and
    the files of analytics sub-packages (``assess/core``, ``intake/dates``)."""
    top = [p.stem for p in PKG.glob("*.py") if p.stem not in OUTPUT_MODULES | PENDING]
    sub = [p.relative_to(PKG).with_suffix("").as_posix() for d in PKG.iterdir()
           if d.is_dir() and d.name not in OUTPUT_PACKAGES for p in d.rglob("*.py")]
    return sorted(top + sub)


ANALYTICS = _analytics_modules()


def test_the_analytics_list_is_the_package():
    # guards the parametrisation below against a moved package folder: each concept is a module or a package
    concepts = {m.split("/")[0] for m in ANALYTICS}
    assert {"anpr", "campaigns", "hotspots", "knox", "report", "disclosure", "crossborder", "kde",
            "assess"} <= concepts


def _absolute_imports(module: str, pkg: Path = PKG) -> list[str]:
    """The imports of ``hotspot/<module>.py``, relative ones made absolute from its own package."""
    path = pkg / f"{module}.py"
    package = ["hotspot"] + module.split("/")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
                out.append(base)
                if not node.module:
                    out += [f"{base}.{a.name}" for a in node.names]
            else:
                out.append(node.module or "")
    return out


@pytest.mark.parametrize("module", ANALYTICS)
def test_analytics_module_imports_no_drawing_code(module):
    bad = [m for m in _absolute_imports(module)
           if any(m == d or m.startswith(d + ".") for d in DRAWING)]
    assert not bad, f"hotspot/{module}.py imports drawing code {bad}: move the drawing to hotspot/render/"


@pytest.mark.parametrize("module", ANALYTICS)
def test_analytics_results_have_no_html_methods(module):
    tree = ast.parse((PKG / f"{module}.py").read_text(encoding="utf-8"))
    drawing = [f"{c.name}.{f.name}" for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for f in c.body
               if isinstance(f, ast.FunctionDef) and (f.name in ("to_html", "plot") or f.name.startswith("_chart"))]
    assert not drawing, f"hotspot/{module}.py: {drawing} draw; results keep data methods, hotspot.render draws"


def test_the_check_catches_a_drawing_import(tmp_path):
    # the checker itself: a function-level relative import of the map code is found
    p = tmp_path / "m.py"
    p.write_text("def f():\n    from .render.leaflet import HotspotMap\n    from . import maps\n    import matplotlib.pyplot\n")
    assert {"hotspot.render.leaflet", "hotspot.maps", "matplotlib.pyplot"} <= set(_imports(p))


def test_the_check_reads_relative_imports_from_a_subpackage(tmp_path):
    # ``from ..render import maps`` inside hotspot/forecast/core.py is a drawing import, ``from . import x`` is not
    (tmp_path / "forecast").mkdir()
    (tmp_path / "forecast" / "core.py").write_text(
        "from ..render import maps\nfrom . import methods\nfrom .. import render\n")
    found = _absolute_imports("forecast/core", tmp_path)
    assert {"hotspot.render", "hotspot.forecast.methods"} <= set(found)
    assert "hotspot.forecast.render" not in found


#: The size a module may reach before it holds more than one topic (issue 23).
MAX_MODULE_LINES = 800
#: Modules still being split (remove each when done).
OVERSIZE_PENDING: set[str] = set()


def test_no_module_holds_more_than_one_topic_by_size():
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "hotspot").rglob("*.py")}
    big = {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES and m not in OVERSIZE_PENDING}
    assert not big, f"modules over {MAX_MODULE_LINES} lines (split along their section comments): {big}"


# --------------------------------------------------------------------------- the import graph and the layer contract
ROOT = PKG.parent


def _module_name(path: Path, root: Path = ROOT) -> str:
    """``hotspot/render/maps.py`` -> ``hotspot.render.maps``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package under ``root``, and ``cli``, by dotted name."""
    mods = {_module_name(p, root): p for p in sorted((root / "hotspot").rglob("*.py"))}
    if (root / "cli.py").exists():
        mods["cli"] = root / "cli.py"
    return mods


def _own(name: str, modules: dict[str, Path]) -> str | None:
    """The package module ``name`` is (or is inside, for ``pkg.mod.attr``), else None (a third-party module)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only: never run)."""
    return {id(n) for top in ast.walk(tree) if isinstance(top, ast.If) and "TYPE_CHECKING" in ast.unparse(top.test)
            for stmt in top.body for n in ast.walk(stmt)}


def _edges(name: str, path: Path, modules: dict[str, Path], *, type_only: bool = True) -> set[str]:
    """The package modules ``name`` imports anywhere in its source: module level and inside functions,
    relative or absolute (``from .x import y`` counts ``x.y`` when ``y`` is a module, else ``x``), and
    under ``TYPE_CHECKING`` unless ``type_only`` is False. A module's own packages are not counted: Python
    runs them first whatever is imported."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if type_only else _type_only(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            targets = subs + ([base] if len(subs) < len(node.names) else [])
        else:
            continue
        for t in targets:
            own = _own(t, modules)
            if own is not None and own != name and not name.startswith(own + "."):
                out.add(own)
    return out


def import_graph(root: Path = ROOT, *, type_only: bool = True) -> dict[str, set[str]]:
    """Module -> the package modules it imports (see :func:`_edges`)."""
    modules = _package_modules(root)
    return {name: _edges(name, path, modules, type_only=type_only) for name, path in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle through each strongly connected group of modules (Tarjan's algorithm, then a
    breadth-first search inside the group), as ``[a, b, ..., a]``; empty when the graph has none."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for group in groups:
        start = min(group)
        paths = {start: [start]}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & group):
                    if w == start:
                        found = paths[v] + [start]
                        break
                    if w not in paths:
                        paths[w] = paths[v] + [w]
                        nxt.append(w)
                if found:
                    break
            frontier = nxt
        rest = sorted(group - set(found or ()))
        cycles.append((found or []) + ([f"(with {', '.join(rest)})"] if rest else []))
    return sorted(cycles)


def test_the_package_has_no_import_cycle():
    # what runs: imports under TYPE_CHECKING are annotations only (the contract below still counts them)
    cycles = import_cycles(import_graph(type_only=False))
    assert not cycles, "import cycles (move what both sides need to a lower module):\n" + "\n".join(
        " -> ".join(c) for c in cycles)


#: The layers above the analytics and core modules: the jobs (with the pipeline, a job), the command line, drawing.
JOBS = ("hotspot.jobs", "hotspot.pipeline")
#: Core modules, the floor every other layer may import: each imports only other core modules (so never an
#: analytics module, a job, render or the CLI). ``hotspot.parallel`` runs the analytics' and the jobs' tasks.
CORE = ("hotspot._errors", "hotspot.settings", "hotspot.crs", "hotspot.periods", "hotspot.columns", "hotspot.atomic",
        "hotspot.parallel")
CLI = ("cli", "hotspot.commands")
RENDER = ("hotspot.render",)


def _in(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == m or module.startswith(m + ".") for m in layer)


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports against the contract core <- analytics <- jobs <- cli, render drawing analytics results: nothing
    below the jobs imports ``jobs``, ``pipeline``, ``cli`` or ``render``, and ``render`` imports no job and not
    ``cli``. Checked on every module's direct imports (type-only ones too), which makes it hold transitively."""
    bad = []
    for module, imported in sorted(graph.items()):
        if _in(module, JOBS + CLI):
            continue
        above = JOBS + CLI if _in(module, RENDER) else JOBS + CLI + RENDER
        bad += [f"{module} imports {m}" for m in sorted(imported) if _in(m, above)]
    return bad


def core_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a core module (:data:`CORE`) outside the core: the analytics, the jobs, render and the CLI
    all stand on it, so it may stand on nothing of theirs."""
    return [f"{module} imports {m}" for module, imported in sorted(graph.items()) if _in(module, CORE)
            for m in sorted(imported) if not _in(m, CORE)]


def test_core_modules_import_only_the_core():
    bad = core_violations(import_graph())
    assert not bad, "core modules import layers above them (pass what they need as a parameter):\n" + "\n".join(bad)


def test_the_analytics_and_the_jobs_may_use_parallel():
    # the task runner sits in the core: the league (analytics) and the morning run (a job) both import it
    graph = import_graph()
    assert "hotspot.parallel" in graph["hotspot.league.run"]
    assert "hotspot.league.run" in graph["hotspot.jobs.morning"]
    assert not layer_violations({m: graph[m] for m in ("hotspot.league.run", "hotspot.jobs.morning")})


def test_the_layer_contract_holds():
    bad = layer_violations(import_graph())
    assert not bad, ("layer contract (core <- analytics <- jobs <- cli; render draws analytics results): "
                     "pass paths/layers down, or move the caller up to hotspot/jobs/:\n" + "\n".join(bad))


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    # the checkers themselves, on a small package: a cycle through a function-level relative import, a type-only
    # cycle (not a runtime one), an analytics module importing a job and render importing the pipeline
    pkg = tmp_path / "hotspot"
    (pkg / "render").mkdir(parents=True)
    (pkg / "jobs").mkdir()
    for name, text in {
        "__init__.py": "from .a import f\n",
        "a.py": "from . import b\n",
        "b.py": "def g():\n    from .a import f\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .d import D\n",
        "d.py": "from .c import C\n",
        "e.py": "def h():\n    from hotspot.jobs.reference import ReferenceData\n",
        "parallel.py": "from . import e\n",
        "pipeline.py": "from .render.maps import add\n",
        "render/__init__.py": "",
        "render/maps.py": "from ..pipeline import run\n",
        "jobs/__init__.py": "",
        "jobs/reference.py": "from ..a import f\n",
    }.items():
        (pkg / name).write_text(text)
    cycles = import_cycles(import_graph(tmp_path, type_only=False))
    assert cycles == [["hotspot.a", "hotspot.b", "hotspot.a"],
                      ["hotspot.pipeline", "hotspot.render.maps", "hotspot.pipeline"]]
    assert ["hotspot.c", "hotspot.d", "hotspot.c"] in import_cycles(import_graph(tmp_path))  # type-only: still seen
    assert layer_violations(import_graph(tmp_path)) == ["hotspot.e imports hotspot.jobs.reference",
                                                         "hotspot.render.maps imports hotspot.pipeline"]
    assert core_violations(import_graph(tmp_path)) == ["hotspot.parallel imports hotspot.e"]


def test_the_contract_check_covers_each_rule(tmp_path):
    # each rule of the contract on its own, on a small package with cli.py beside it: below the jobs nothing imports
    # render, cli or hotspot.commands (a type-only import too); render imports no job; the jobs, the pipeline and the
    # command line may import render, and the command line the jobs
    pkg = tmp_path / "hotspot"
    for d in ("render", "jobs", "commands"):
        (pkg / d).mkdir(parents=True)
    (tmp_path / "cli.py").write_text("from hotspot.commands.base import app\nfrom hotspot.pipeline import run\n")
    for name, text in {
        "__init__.py": "",
        "core.py": "X = 1\n",
        "f.py": "from .render import maps\n",
        "g.py": "def k():\n    import cli\n",
        "h.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .commands.base import app\n",
        "pipeline.py": "from .render.maps import add\nfrom .jobs.brief import plan\n",
        "render/__init__.py": "",
        "render/maps.py": "from ..core import X\n",
        "render/tables.py": "from ..jobs.reference import ReferenceData\n",
        "jobs/__init__.py": "",
        "jobs/reference.py": "from ..core import X\n",
        "jobs/brief.py": "from ..render.maps import add\nfrom .reference import ReferenceData\n",
        "commands/__init__.py": "",
        "commands/base.py": "from hotspot.jobs.brief import plan\nfrom hotspot.render import tables\n",
    }.items():
        (pkg / name).write_text(text)
    assert layer_violations(import_graph(tmp_path)) == ["hotspot.f imports hotspot.render.maps",
                                                         "hotspot.g imports cli",
                                                         "hotspot.h imports hotspot.commands.base",
                                                         "hotspot.render.tables imports hotspot.jobs.reference"]
