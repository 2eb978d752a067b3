"""Rendering apart from analysis: analytics modules import no drawing code.

Every module of the package outside :mod:`hotspot.render` (and the few
modules whose job is output: the pipeline that writes a run's files, the
asset cache, and the two modules kept so old imports keep working) is read as
source and its imports - at module level and inside functions - are checked.
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


ANALYTICS = sorted(p.stem for p in PKG.glob("*.py") if p.stem not in OUTPUT_MODULES | PENDING)


def test_the_analytics_list_is_the_package():
    # guards the parametrisation below against a moved package folder
    assert {"anpr", "campaigns", "hotspots", "knox", "report", "disclosure", "crossborder", "kde"} <= set(ANALYTICS)


@pytest.mark.parametrize("module", ANALYTICS)
def test_analytics_module_imports_no_drawing_code(module):
    bad = [m for m in _imports(PKG / f"{module}.py")
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
