"""Independent tasks run in this process, on any executor, or on dask.

:func:`map_tasks` runs ``fn(item, *args, **kwargs)`` once for each item. The
caller chooses where by the executor it passes: none runs the tasks one after
another in this process; a :class:`concurrent.futures.Executor` (threads or
processes) or a ``distributed.Client`` (a ``LocalCluster``'s or a remote
scheduler's) runs them there. Whatever runs them, the outcomes come back in
the order of the items, each with its result or its failure (the exception's
type and first line) and its run time, so one failing task never hides the
others and a run is read the same way on one core or on a cluster.

:func:`open_executor` turns the command line's ``--workers N`` /
``--scheduler ADDR`` into that executor. It is a context manager, so the
caller owns the client and its cluster and they are closed when it leaves;
:func:`map_tasks` never closes an executor it was given.

This is a core module: analytics and jobs import it, and it imports nothing
of theirs (``tests/test_layering.py``).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

from ._errors import HotspotError, OptionError

T = TypeVar("T")

#: How long a scheduler given by address may take to have a worker, seconds.
WORKER_WAIT_S = 30.0


@dataclass(frozen=True)
class TaskOutcome(Generic[T]):
    """One task's outcome.

    Attributes
    ----------
    item : object
        The item the task ran on (the caller's own object, never a copy sent
        back from a worker).
    result : object
        What the task returned; None when it failed.
    error_type : str or None
        The exception's class name when the task failed, else None.
    message : str
        The first line of the exception's message ("" when it succeeded or
        the exception had no message).
    seconds : float
        The task's own run time where it ran, seconds. For a task lost
        before it could report (a worker process that died), the time from
        submission until the loss was seen.
    """

    item: T
    result: Any = None
    error_type: str | None = None
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the task returned a result."""
        return self.error_type is None

    @property
    def reason(self) -> str | None:
        """``"Type: first line"`` of a failure (only the type when the message is empty); None when it succeeded."""
        if self.error_type is None:
            return None
        return f"{self.error_type}: {self.message}" if self.message else self.error_type


#: ``progress(done, total, outcome)``, called in the caller's thread as each task finishes.
Progress = Callable[[int, int, TaskOutcome], None]


def map_tasks(fn: Callable[..., Any], items: Sequence[T], *, args: tuple = (), kwargs: dict[str, Any] | None = None,
              executor: Any = None, progress: Progress | None = None) -> list[TaskOutcome[T]]:
    """Run ``fn(item, *args, **kwargs)`` for every item and collect the outcomes.

    Parameters
    ----------
    fn : callable
        The task. On a process pool or dask it must be picklable: a
        module-level function (or a ``functools.partial`` of one).
    items : sequence
        One task each.
    args : tuple
        Positional arguments after the item, the same for every task.
    kwargs : dict, optional
        Keyword arguments of every task.
    executor : concurrent.futures.Executor or distributed.Client, optional
        Where the tasks run. None: in this process, one after another, in
        the items' order. The caller opens and closes it (see
        :func:`open_executor`); it is left open.
    progress : callable, optional
        ``progress(done, total, outcome)`` after each task, in the order the
        tasks finish.

    Returns
    -------
    list of TaskOutcome
        One per item, in the items' order whatever order the tasks finished
        in; a task that raised is an outcome with ``error_type`` and
        ``message`` and never stops the others.

    Raises
    ------
    OptionError
        ``executor`` is neither an executor nor a dask client.
    """
    items = list(items)
    kwargs = dict(kwargs or {})
    total = len(items)
    outcomes: list[TaskOutcome[T] | None] = [None] * total

    def finished(i: int, outcome: TaskOutcome[T], done: int) -> None:
        outcomes[i] = outcome
        if progress:
            progress(done, total, outcome)

    if executor is None:
        for i, item in enumerate(items):
            finished(i, _outcome(item, _timed_call(fn, item, args, kwargs)), i + 1)
    elif _is_dask_client(executor):
        _on_dask(executor, fn, items, args, kwargs, finished)
    elif isinstance(executor, cf.Executor):
        t0 = time.perf_counter()
        futures = {executor.submit(_timed_call, fn, item, args, kwargs): i for i, item in enumerate(items)}
        for done, fut in enumerate(cf.as_completed(futures), start=1):
            i = futures[fut]
            finished(i, _collect(items[i], fut, t0), done)
    else:
        raise OptionError(f"executor={type(executor).__name__}: give a concurrent.futures.Executor, a "
                          "distributed.Client, or None to run in this process", param="executor")
    return [o for o in outcomes if o is not None]


def _on_dask(client: Any, fn: Callable[..., Any], items: list[T], args: tuple, kwargs: dict[str, Any],
             finished: Callable[[int, TaskOutcome[T], int], None]) -> None:
    """The tasks on a dask client, as they complete."""
    from distributed import as_completed

    # A fresh key each call: with a fixed key a second run on the same client would get the first run's result.
    run = uuid.uuid4().hex[:12]
    name = getattr(fn, "__name__", "task")
    t0 = time.perf_counter()
    futures = {client.submit(_timed_call, fn, item, args, kwargs, key=f"{name}-{i}-{run}", pure=False): i
               for i, item in enumerate(items)}
    for done, fut in enumerate(as_completed(futures, loop=client.loop), start=1):
        i = futures[fut]
        finished(i, _collect(items[i], fut, t0), done)
        fut.release()  # its result is held by the outcome now; the worker may drop it


def _timed_call(fn: Callable[..., Any], item: Any, args: tuple, kwargs: dict[str, Any]) -> tuple[bool, Any, float]:
    """``fn(item, ...)`` where it runs: (True, result, s) or (False, (type, first line), s).

    The exception is turned into text on the worker: its class may not
    unpickle on the caller's side, and its traceback is not needed."""
    t0 = time.perf_counter()
    try:
        return True, fn(item, *args, **kwargs), time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - one failing task must not hide the others
        return False, _describe(exc), time.perf_counter() - t0


def _outcome(item: T, reply: tuple[bool, Any, float]) -> TaskOutcome[T]:
    ok, value, seconds = reply
    if ok:
        return TaskOutcome(item, result=value, seconds=seconds)
    return TaskOutcome(item, error_type=value[0], message=value[1], seconds=seconds)


def _collect(item: T, fut: Any, t0: float) -> TaskOutcome[T]:
    """The outcome of a finished future; a task lost on the way (its worker died, its result would not
    unpickle, it was cancelled) is a failure like any other."""
    try:
        reply = fut.result()
    except BaseException as exc:  # noqa: BLE001 - CancelledError is a BaseException on dask futures
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        kind, text = _describe(exc)
        return TaskOutcome(item, error_type=kind, message=text, seconds=time.perf_counter() - t0)
    return _outcome(item, reply)


def _describe(exc: BaseException) -> tuple[str, str]:
    lines = str(exc).strip().splitlines()
    return type(exc).__name__, lines[0] if lines else ""


def _one_line(exc: BaseException) -> str:
    kind, text = _describe(exc)
    return f"{kind}: {text}" if text else kind


def _is_dask_client(executor: Any) -> bool:
    # Without importing dask (a second of start-up): a client exists only if distributed was imported.
    dist = sys.modules.get("distributed")
    return dist is not None and isinstance(executor, dist.Client)


def worker_count(executor: Any) -> int | None:
    """How many workers an executor runs tasks on.

    Parameters
    ----------
    executor : concurrent.futures.Executor, distributed.Client or None
        As given to :func:`map_tasks`.

    Returns
    -------
    int or None
        0 for None (this process), the workers attached to a dask client's
        scheduler, a thread or process pool's size; None when the executor
        does not say.
    """
    if executor is None:
        return 0
    if _is_dask_client(executor):
        return len(executor.scheduler_info()["workers"])
    size = getattr(executor, "_max_workers", None)  # ThreadPoolExecutor and ProcessPoolExecutor keep it here
    return size if isinstance(size, int) else None


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None, *,
                  tasks: int | None = None) -> Iterator[Any]:
    """The executor of the command line's ``--workers`` / ``--scheduler``, closed on leaving.

    Parameters
    ----------
    workers : int, optional
        0: no executor (tasks run in this process, one after another: the
        sequential reference). N > 0: a ``LocalCluster`` of N
        single-threaded worker processes on this machine. Default: one
        worker per core, and no more than ``tasks``.
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://HOST:8786``), instead
        of ``workers``; its workers must see the same input paths and
        database.
    tasks : int, optional
        How many tasks will run (caps the default number of workers).

    Yields
    ------
    distributed.Client or None
        The client (of the local cluster or the scheduler), or None for
        ``workers=0``. The client and its cluster are closed on leaving.

    Raises
    ------
    OptionError
        ``workers`` below 0, or both ``workers`` and ``scheduler`` given.
    HotspotError
        The scheduler cannot be reached, or no worker joined it within
        :data:`WORKER_WAIT_S` seconds.
    """
    if workers is not None and scheduler is not None:
        raise OptionError(f"workers={workers} and scheduler={scheduler!r}: give one (the scheduler's workers run "
                          "the tasks, so a number of local workers has no meaning with it)",
                          param=("workers", "scheduler"))
    if workers is not None and workers < 0:
        raise OptionError(f"workers={workers}: give 0 (in this process) or a number of worker processes",
                          param="workers")
    if workers == 0:
        yield None
        return
    import distributed  # noqa: F401 - first: importing it sets its logger's level, which is changed next

    # dask's INFO chatter would drown the caller's progress bar and tables on stderr
    dlog = logging.getLogger("distributed")
    old_level = dlog.level
    dlog.setLevel(logging.WARNING)
    try:
        with _client(workers, scheduler, tasks) as client:
            yield client
    finally:
        dlog.setLevel(old_level)


@contextmanager
def _client(workers: int | None, scheduler: str | None, tasks: int | None) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the same answer to the user
            raise HotspotError(f"scheduler={scheduler!r}: cannot reach the dask scheduler: {_one_line(exc)}",
                               param="scheduler") from None
    else:
        n = workers if workers is not None else max(1, min(os.cpu_count() or 1, tasks or os.cpu_count() or 1))
        # Loopback only, dashboard on a free port (never clashes with another run's 8787).
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
    try:
        if scheduler is not None and not client.scheduler_info()["workers"]:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                raise HotspotError(f"scheduler={scheduler!r}: no dask worker joined it within {WORKER_WAIT_S:g} s; "
                                   f"start one with `dask worker {scheduler}`", param="scheduler") from None
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
