"""The terminal side of the command line: the stderr console, strict JSON on
stdout, and progress (a spinner, a counted bar, the run's stage line).

Progress and tables go to stderr; ``--json`` output is the only thing on
stdout. On a terminal progress is drawn by rich; when stderr is piped, plain
lines are printed for steps that take over a second (unless ``-q``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    import pandas as pd

#: The command line's stderr: progress, tables, notes and one-line errors.
err = Console(stderr=True)


def json_safe(obj: Any) -> Any:
    """NaN and infinities as null (strict JSON), recursively.

    Parameters
    ----------
    obj : object
        A JSON-ready object (dicts, lists, numbers, numpy scalars).

    Returns
    -------
    object
        The same with every non-finite float as None.
    """
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    return obj


def print_json(obj: Any) -> None:
    """Exactly one strict JSON object on stdout (no NaN: RFC 8259).

    Parameters
    ----------
    obj : object
        The object to print (see :func:`json_safe`).
    """
    sys.stdout.write(json.dumps(json_safe(obj), default=str, allow_nan=False) + "\n")


def rows(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples()`` for printing: each field as pandas gives it (typed Any).

    Parameters
    ----------
    frame : DataFrame
        The table to print.

    Returns
    -------
    iterator
        Its rows as named tuples.
    """
    return iter(frame.itertuples())


def chatty() -> bool:
    """Plain progress lines are printed unless -q.

    Returns
    -------
    bool
        The ``hotspot`` logger shows warnings.
    """
    return logging.getLogger("hotspot").getEffectiveLevel() <= logging.WARNING


class spinner:
    """A rich spinner on stderr for a step that may take over a second; when
    stderr is piped, a plain line when the step takes longer than that."""

    def __init__(self, text: str):
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=err, transient=True, disable=not err.is_terminal)
        self.text = text

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.progress.start()
        self.progress.add_task(self.text, total=None)
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        took = time.perf_counter() - self.t0
        if not err.is_terminal and took > 1 and chatty() and exc[0] is None:  # a failure is its one error line
            err.print(f"{self.text}: {took:.1f} s", highlight=False)


class bar:
    """A counted step on stderr (``update(done, total, name)``): a rich bar on
    a terminal, and when piped plain lines ("backtest: 12/24 periods, 31 s")
    at most every 2 s and at the end."""

    def __init__(self, label: str, unit: str, total: int | None = None):
        self.label, self.unit, self.total = label, unit, total
        self.progress = Progress(TextColumn(label), BarColumn(),
                                 TextColumn("{task.completed}/{task.total} " + unit + " {task.description}"),
                                 TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
        self.done = 0

    def __enter__(self) -> "bar":
        self.t0 = self.last = time.perf_counter()
        self.progress.start()
        self.task = self.progress.add_task("", total=self.total)
        return self

    def update(self, done: int, total: int | None = None, name: str = "") -> None:
        """Show progress.

        Parameters
        ----------
        done : int
            Steps done.
        total : int, optional
            Steps in all (default: as before).
        name : str
            What the step is at.
        """
        self.done, self.total = done, total if total is not None else self.total
        self.progress.update(self.task, completed=done, total=self.total, description=escape(name))
        now = time.perf_counter()
        if not err.is_terminal and now - self.last >= 2 and chatty():
            self.last = now
            err.print(f"{self.label}: {done}/{self.total or '?'} {self.unit}, {now - self.t0:.0f} s", highlight=False)

    def __exit__(self, *exc) -> None:
        self.progress.stop()
        took = time.perf_counter() - self.t0
        if not err.is_terminal and took > 1 and chatty() and not exc[0]:
            err.print(f"{self.label}: {self.done}/{self.total or '?'} {self.unit}, {took:.0f} s", highlight=False)


class Steps:
    """Stage progress on stderr: a spinner on a terminal, plain lines when piped."""

    def __init__(self) -> None:
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                            transient=True, disable=not err.is_terminal)

    def __enter__(self):
        self.bar.start()
        self.task = self.bar.add_task("starting", total=None)
        return self

    def __call__(self, name: str) -> None:
        if err.is_terminal:
            self.bar.update(self.task, description=name)
        elif logging.getLogger("hotspot").getEffectiveLevel() <= logging.WARNING:
            err.print(f"stage: {name}", highlight=False)

    def __exit__(self, *exc) -> None:
        self.bar.stop()
