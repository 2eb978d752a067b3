"""The code's shape, checked from its source (issue 10).

- no function is over 80 lines of code (the docstring not counted);
- every command (the table ``cli.COMMANDS``) only parses options, calls the API and prints or
  writes: its body is at most 40 lines;
- every public function and method of the package has type hints on every
  parameter and on its return, and a numpydoc docstring whose ``Parameters``
  section names each parameter (numpydoc's own validator, checks configured in
  pyproject.toml); a parameter that is a distance or a duration states its unit.

One test item per rule (not one per module: issue 23); each lists every
offending function as ``module: name`` so one failure reads whole.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from numpydoc.hooks.validate_docstrings import AstValidator, parse_config
from numpydoc.validate import validate as numpydoc_validate

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "hotspot"
MODULES = sorted(p.relative_to(ROOT).as_posix() for p in PKG.rglob("*.py"))

MAX_FUNCTION_LINES = 80
MAX_COMMAND_LINES = 40

#: Parameter names that hold a distance or a duration; their description must say in what.
_QUANTITY = re.compile(r"(_m|_km|_metres|_days|_weeks|_months|^days|^weeks|^months|radius|distance|bandwidth|"
                       r"buffer|^cell|cell_size|spacing|along|corridor)$")
_UNIT = re.compile(r"\b(metres?|meters?|m|km|days?|weeks?|months?|hours?|minutes?|seconds?|degrees?|"
                   r"unitless|pixels?|cells?)\b", re.I)

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


def _code_lines(fn: FuncDef) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return 0
    return body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]


def _functions(tree: ast.AST) -> list[FuncDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _public(tree: ast.Module) -> list[tuple[str, FuncDef]]:
    """Module-level public functions and public methods of public classes."""
    out: list[tuple[str, FuncDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for m in node.body:
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef) and not m.name.startswith("_"):
                    out.append((f"{node.name}.{m.name}", m))
    return out


def _parameters(fn: FuncDef) -> list[ast.arg]:
    a = fn.args
    params = [p for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg not in ("self", "cls")]
    return params + [p for p in (a.vararg, a.kwarg) if p is not None]


def _documented(doc: str) -> dict[str, str]:
    """``name -> description`` from a numpydoc ``Parameters`` section."""
    m = re.search(r"^\s*Parameters\s*\n\s*-{3,}\s*\n(.*?)(?=^\s*\w[\w ]*\n\s*-{3,}\s*$|\Z)", doc, re.M | re.S)
    if not m:
        return {}
    out: dict[str, str] = {}
    lines = [line for line in m.group(1).splitlines() if line.strip()]
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0  # the parameter lines' indent
    name: list[str] = []
    for line in lines:
        head = re.match(r"^(\s*)(\*{0,2}[A-Za-z_][\w, *]*?)\s*(:.*)?$", line)
        if head and len(head.group(1)) == indent:
            name = [n.strip().lstrip("*") for n in head.group(2).split(",")]
            for n in name:
                out[n] = head.group(3) or ""
        else:
            for n in name:
                out[n] += " " + line.strip()
    return out


def _source(module: str) -> ast.Module:
    return ast.parse((ROOT / module).read_text(encoding="utf-8"))


def test_modules_were_found():
    # Guards the checks below against passing vacuously on an empty list.
    assert len(MODULES) > 50 and "hotspot/intake/__init__.py" in MODULES, MODULES


def test_no_function_is_over_80_lines():
    long = [f"{module}: {fn.name} (line {fn.lineno}): {_code_lines(fn)} lines"
            for module in [*MODULES, "cli.py"] for fn in _functions(_source(module))
            if _code_lines(fn) > MAX_FUNCTION_LINES]
    assert not long, f"split these functions (over {MAX_FUNCTION_LINES} lines of code):\n" + "\n".join(long)


def _commands(tree: ast.Module) -> list[FuncDef]:
    def is_command(d: ast.expr) -> bool:
        f = d.func if isinstance(d, ast.Call) else d
        return isinstance(f, ast.Attribute) and f.attr in ("command", "callback")
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and any(is_command(d) for d in n.decorator_list)]


def _command_functions() -> list[tuple[str, FuncDef]]:
    """Each command of ``cli.COMMANDS`` (its table) as (module, function node), read from the module's source."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_cli_under_test", ROOT / "cli.py")
    cli = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(cli)  # type: ignore[union-attr]
    out = []
    for fn in cli.COMMANDS.values():
        module = fn.__module__.replace(".", "/") + ".py"
        node = next(n for n in _source(module).body if isinstance(n, ast.FunctionDef) and n.name == fn.__name__)
        out.append((module, node))
    return out


def test_cli_commands_only_parse_call_and_print():
    commands = _command_functions()
    assert len(commands) >= 15, "the command list was not found: the check below would pass vacuously"
    long = [f"{m}: {fn.name}: {_code_lines(fn)} lines" for m, fn in commands if _code_lines(fn) > MAX_COMMAND_LINES]
    assert not long, f"move what these commands compute into the API (over {MAX_COMMAND_LINES} lines): {long}"


def test_cli_py_is_a_thin_table_of_commands():
    # issue 23: the command line's top file names the commands; their bodies live in hotspot/commands/
    lines = len((ROOT / "cli.py").read_text(encoding="utf-8").splitlines())
    assert lines < 600, f"cli.py has {lines} lines: move command bodies to hotspot/commands/"


def test_public_functions_have_type_hints():
    # ruff's ANN rules cannot take this over: ANN001 also flags private and
    # nested functions (127 in hotspot/), and ANN201 treats a function missing
    # from a module's __all__ as private, which this check does not.
    missing = []
    for module in MODULES:
        for name, fn in _public(_source(module)):
            bare = [p.arg for p in _parameters(fn) if p.annotation is None]
            if bare:
                missing.append(f"{module}: {name}({', '.join(bare)})")
            if fn.returns is None and fn.name != "__init__":
                missing.append(f"{module}: {name} -> ?")
    assert not missing, "add type hints:\n" + "\n".join(missing)


#: A command's docstring is its ``--help`` text and its options document themselves (``help=`` on each,
#: checked by the CLI tests): no numpydoc there.
DOCUMENTED = [m for m in MODULES if not m.startswith("hotspot/commands/")]


def _public_with_parents(tree: ast.Module) -> list[tuple[str, FuncDef, list[ast.AST]]]:
    """``_public`` with each function's enclosing nodes (module, class), as numpydoc's validator takes them."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    return [(name, fn, [tree, classes[name.split(".")[0]]] if "." in name else [tree]) for name, fn in _public(tree)]


def test_public_functions_pass_numpydoc_validation():
    # numpydoc's own validator, with the checks listed in pyproject.toml's
    # [tool.numpydoc_validation] (GL08: a docstring; PR01: the Parameters
    # section names every parameter), applied to the public API that
    # ``_public`` selects. ``numpydoc lint`` on whole files cannot select it:
    # it also checks closures and classes' __init__ parameters.
    checks = parse_config(ROOT)["checks"]
    assert {"GL08", "PR01"} <= checks, f"pyproject.toml's [tool.numpydoc_validation] checks lost a rule: {checks}"
    problems = []
    for module in DOCUMENTED:
        for name, fn, parents in _public_with_parents(_source(module)):
            report = numpydoc_validate(f"{module}:{name}", AstValidator, ast_node=fn, filename=ROOT / module,
                                       ancestry=parents)
            problems += [f"{module}:{report['file_line']}: {name}: {code} {msg}"
                         for code, msg in report["errors"] if code in checks]
    assert not problems, "fix these docstrings (numpydoc):\n" + "\n".join(problems)


def test_distances_and_durations_name_their_unit():
    # No validator knows which parameters are quantities: this rule stays ours.
    problems = []
    for module in MODULES:
        for name, fn in _public(_source(module)):
            documented = _documented(ast.get_docstring(fn) or "")
            no_unit = [p.arg for p in _parameters(fn) if p.arg in documented and _QUANTITY.search(p.arg)
                       and not _UNIT.search(documented[p.arg])]
            if no_unit:
                problems.append(f"{module}: {name}: say the unit of {no_unit}")
    assert not problems, "fix these docstrings:\n" + "\n".join(problems)


def test_the_docstring_reader_reads_numpydoc():
    doc = """Do a thing.

    Parameters
    ----------
    radius_m : float
        Search radius, metres.
    a, b : int
        Two counts.
    **kwargs
        Passed on.
    window : int
        Counted back from the end
        From :func:`g`, in days

    Returns
    -------
    float
    """
    got = _documented(ast.get_docstring(ast.parse(f'def f():\n    """{doc}"""').body[0]))  # type: ignore[arg-type]
    assert set(got) == {"radius_m", "a", "b", "kwargs", "window"}
    assert "metres" in got["radius_m"] and "Passed" in got["kwargs"]
    assert "in days" in got["window"]  # a description line with a colon and commas is not a parameter
    assert "float" not in got["kwargs"]  # the Returns section is not read as a parameter
