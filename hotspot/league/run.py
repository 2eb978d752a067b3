"""Running area tasks (:func:`run_area_tasks`): one task per area on
:func:`hotspot.parallel.map_tasks`, in this process, on a ``LocalCluster``,
on a running scheduler or on the caller's executor; results by area name and
a failed task reported by area name.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .._errors import OptionError
from ..parallel import map_tasks, open_executor, worker_count
from .areas import AreaSpec

Progress = Callable[[int, int, str], None]


@dataclass
class RunInfo:
    """How a set of area tasks ran."""

    workers: int | None  # 0: in this process; None: the caller's executor did not say
    seconds: float
    failed: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # worker (pid) -> MB
    task_seconds: float = 0.0  # sum of the tasks' own run times


def run_area_tasks(fn: Callable[..., dict], specs: Sequence[AreaSpec], *, args: tuple = (),
                   kwargs: dict[str, Any] | None = None,
                   workers: int | None = None, scheduler: str | None = None, executor: Any = None,
                   progress: Progress | None = None) -> tuple[dict[str, dict], RunInfo]:
    """Run ``fn(spec, *args, **kwargs)`` for every area.

    Parameters
    ----------
    fn : callable
        The task (e.g. :func:`league_task`); a module-level function, so
        dask can send it to the workers; returns a dict.
    specs : sequence of AreaSpec
        The areas, one task each.
    args : tuple
        Positional arguments after the spec.
    kwargs : dict, optional
        Keyword arguments of every task.
    workers : int, optional
        0: in this process, one area after another (the sequential
        reference). N > 0: a ``LocalCluster`` of N single-threaded worker
        processes. Default: as many workers as cores (at most one per area).
        See :func:`hotspot.parallel.open_executor`.
    scheduler : str, optional
        Address of a running ``dask-scheduler`` (``tcp://HOST:8786``); the
        workers attached to it run the tasks (they must see the same input
        paths and database).
    executor : concurrent.futures.Executor or distributed.Client, optional
        The caller's own executor (instead of ``workers``/``scheduler``);
        left open.
    progress : callable, optional
        ``progress(done, total, area)`` after each area.

    Returns
    -------
    (dict, RunInfo)
        Results by area name in the areas' order (failed areas absent) and
        the run's info; ``RunInfo.failed`` maps each failed area to its
        one-line error, in the areas' order.

    Raises
    ------
    OptionError
        ``executor`` given with ``workers`` or ``scheduler``, or the two of
        them together.
    """
    if executor is not None and (workers is not None or scheduler is not None):
        raise OptionError("executor= with workers= or scheduler=: give the executor alone",
                          param=("executor", "workers", "scheduler"))
    t0 = time.perf_counter()
    opened = nullcontext(executor) if executor is not None else open_executor(workers, scheduler, tasks=len(specs))
    with opened as ex:
        n_workers = worker_count(ex)
        outcomes = map_tasks(fn, specs, args=args, kwargs=kwargs, executor=ex,
                             progress=(lambda done, total, o: progress(done, total, o.item.name)) if progress else None)
    results = {o.item.name: o.result for o in outcomes if o.ok}
    failed = {o.item.name: o.reason or "" for o in outcomes if not o.ok}
    peaks: dict[str, float] = {}
    for r in results.values():
        key = str(r.get("pid"))
        peaks[key] = max(peaks.get(key, 0.0), float(r.get("peak_rss_mb", 0.0)))
    return results, RunInfo(workers=n_workers, seconds=time.perf_counter() - t0, failed=failed, peak_rss_mb=peaks,
                            task_seconds=float(sum(r.get("seconds", 0.0) for r in results.values())))


def submit_area_tasks(client: Any, fn: Callable[..., dict], specs: Sequence[AreaSpec], *, args: tuple = (),
                      kwargs: dict[str, Any] | None = None,
                      progress: Progress | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """Run ``fn(spec, *args, **kwargs)`` for every area on the caller's
    executor (kept for old imports: :func:`run_area_tasks` with
    ``executor=client`` does the same).

    Parameters
    ----------
    client : distributed.Client or concurrent.futures.Executor
        Where the tasks run (the caller opens and closes it).
    fn : callable
        Module-level task function returning a dict.
    specs : sequence of AreaSpec
        The areas.
    args : tuple
        Positional arguments after the spec.
    kwargs : dict, optional
        Keyword arguments of every task.
    progress : callable, optional
        ``progress(done, total, area)`` as each area finishes.

    Returns
    -------
    (dict, dict)
        Results by area name, and the failed areas' one-line errors.
    """
    if client is None:
        raise OptionError("client=None: give the executor the tasks run on (or call run_area_tasks)", param="client")
    results, info = run_area_tasks(fn, specs, args=args, kwargs=kwargs, executor=client, progress=progress)
    return results, info.failed
