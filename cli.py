"""The ``hotspot`` command line: a table of commands over the :mod:`hotspot` API.

Each command lives in :mod:`hotspot.commands` (it parses its options, calls one job or API function, and prints or
writes); this file names them, in the order ``hotspot --help`` lists them. Errors caused by input (named
:class:`hotspot.HotspotError` subclasses) are printed as one line on stderr with exit code 2, never as a traceback.
Progress and tables go to stderr; ``--json`` output is the only thing on stdout.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.markup import escape

from hotspot._errors import HotspotError
from hotspot.commands import analysis, data, patrol, plans, run
from hotspot.commands.base import app
from hotspot.render.console import bar as _bar  # noqa: F401 - the progress bar the commands show
from hotspot.render.console import err
from hotspot.render.console import json_safe as _json_safe  # noqa: F401 - the JSON the commands print

#: The commands: name -> function (``hotspot NAME --help`` documents every option).
COMMANDS = {
    "validate": data.validate,
    "map": data.map_,
    "check-public": data.check_public_cmd,
    "assets": data.assets,
    "fetch": data.fetch,
    "knox": analysis.knox,
    "nanobeats": patrol.nanobeats,
    "brief": patrol.brief,
    "kde": analysis.kde,
    "backtest": analysis.backtest,
    "load": data.load,
    "league": analysis.league,
    "crossborder": analysis.crossborder,
    "anpr": plans.anpr,
    "report": plans.report,
    "leaflets": plans.leaflets,
    "assess": run.assess,
    "run": run.run,
    "demo": run.demo,
}
for _name, _command in COMMANDS.items():
    app.command(_name)(_command)


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM (a scheduler stopping the job) as Ctrl-C: unwinds the stack, so
    temporary files and staging folders are removed and nothing half-written
    is left looking complete (Python's default for SIGTERM is to die at once)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        def _interrupt(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _interrupt)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hotspot`` console script; returns the exit code.

    Usage errors (click's: a missing or bad option) and input errors
    (:class:`HotspotError`) are one line on stderr and exit 2; nothing the
    user can cause prints a traceback.
    """
    # typer's UsageError (click's, or typer's vendored copy of click in typer >= 0.22)
    usage_error: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    _exit_cleanly_on_sigterm()
    try:
        # not standalone: click's usage errors come back here, to be printed as one line like every refusal
        code = typer.main.get_command(app).main(args=argv, prog_name="hotspot", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}{escape(where)}",  # type: ignore[attr-defined]
                  highlight=False, soft_wrap=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):  # Ctrl-C: files in the making were removed on the way out
        err.print("aborted", highlight=False)
        return 130
    except (HotspotError, OSError) as exc:
        # the API names Python parameters (rule=); the command line shows its own flags (--rule)
        from hotspot.cliflags import cli_message, command_of
        text = str(exc) if not getattr(exc, "params", ()) else cli_message(
            str(exc), exc.params, command_of(sys.argv[1:] if argv is None else argv))  # type: ignore[union-attr]
        err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
        return 2
    return code if isinstance(code, int) else 0



if __name__ == "__main__":
    sys.exit(main())
