"""Running area tasks: in this process, on a ``LocalCluster`` or on a running
scheduler (:func:`run_area_tasks`), results in the areas' fixed order and a
failed task reported by area name.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .._errors import HotspotError
from .areas import AreaSpec

Progress = Callable[[int, int, str], None]


@dataclass
class RunInfo:
    """How a set of area tasks ran."""

    workers: int
    seconds: float
    failed: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # worker (pid) -> MB
    task_seconds: float = 0.0  # sum of the tasks' own run times


def run_area_tasks(fn: Callable[..., dict], specs: Sequence[AreaSpec], *, args: tuple = (),
                   kwargs: dict[str, Any] | None = None,
                   workers: int | None = None, scheduler: str | None = None,
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
    scheduler : str, optional
        Address of a running ``dask-scheduler`` (``tcp://HOST:8786``); the
        workers attached to it run the tasks (they must see the same input
        paths and database).
    progress : callable, optional
        ``progress(done, total, area)`` after each area.

    Returns
    -------
    (dict, RunInfo)
        Results by area name (failed areas absent) and the run's info;
        ``RunInfo.failed`` maps each failed area to its one-line error.
    """
    kwargs = kwargs or {}
    t0 = time.perf_counter()
    results: dict[str, dict] = {}
    failed: dict[str, str] = {}
    total = len(specs)
    if workers == 0 and scheduler is None:
        for i, s in enumerate(specs, start=1):
            try:
                results[s.name] = fn(s, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - one failed area must not lose the others
                failed[s.name] = _one_line(exc)
            if progress:
                progress(i, total, s.name)
        n_workers = 0
    else:
        from distributed import Client, LocalCluster

        # dask's INFO chatter would drown the progress bar and tables on stderr
        dlog = logging.getLogger("distributed")
        old_level = dlog.level
        dlog.setLevel(logging.WARNING)
        cluster = None
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s", set_as_default=False)
            except Exception as exc:  # noqa: BLE001
                raise HotspotError(f"cannot reach the dask scheduler at {scheduler}: {_one_line(exc)}") from None
        else:
            n = workers if workers is not None else max(1, min(os.cpu_count() or 1, total))
            # Loopback only, dashboard on a free port (never clashes with another run's 8787).
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(cluster, set_as_default=False)
        try:
            n_workers = len(client.scheduler_info()["workers"])
            if n_workers == 0:
                client.wait_for_workers(1, timeout=30)
                n_workers = len(client.scheduler_info()["workers"])
            results, failed = submit_area_tasks(client, fn, specs, args=args, kwargs=kwargs, progress=progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
            dlog.setLevel(old_level)
    peaks: dict[str, float] = {}
    for r in results.values():
        key = str(r.get("pid"))
        peaks[key] = max(peaks.get(key, 0.0), float(r.get("peak_rss_mb", 0.0)))
    return results, RunInfo(workers=n_workers, seconds=time.perf_counter() - t0, failed=failed, peak_rss_mb=peaks,
                            task_seconds=float(sum(r.get("seconds", 0.0) for r in results.values())))


def submit_area_tasks(client: Any, fn: Callable[..., dict], specs: Sequence[AreaSpec], *, args: tuple = (),
                      kwargs: dict[str, Any] | None = None,
                      progress: Progress | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """Run ``fn(spec, *args, **kwargs)`` for every area on the caller's dask
    client (a LocalCluster's or a scheduler's), one task per area; an area
    that fails is reported with its one-line error, never loses the others.

    Parameters
    ----------
    client : distributed.Client
        The client to submit to (the caller opens and closes it).
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
    from distributed import as_completed

    results: dict[str, dict] = {}
    failed: dict[str, str] = {}
    futs = {client.submit(fn, s, *args, key=f"{fn.__name__}-{i}-{s.name}", pure=False, **(kwargs or {})): s.name
            for i, s in enumerate(specs)}
    for done, fut in enumerate(as_completed(futs, loop=client.loop), start=1):
        name = futs[fut]
        try:
            results[name] = fut.result()
        except Exception as exc:  # noqa: BLE001 - one failed area must not lose the others
            failed[name] = _one_line(exc)
        if progress:
            progress(done, len(specs), name)
    return results, failed


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
