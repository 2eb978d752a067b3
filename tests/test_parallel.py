"""The one task runner (:mod:`hotspot.parallel`): the same outcomes in this
process, on a thread pool and on a dask cluster; outcomes in the items' order
whatever order the tasks finish in; a failing task named with its reason
while the others succeed; the caller's executor left open."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import shapely

from hotspot._errors import HotspotError, OptionError
from hotspot.league import AreaSpec, run_area_tasks
from hotspot.parallel import TaskOutcome, map_tasks, open_executor, worker_count

ITEMS = [1, 2, 3, 4, 5]


def _square_unless_three(x: int, offset: int = 0, *, scale: int = 1) -> int:
    # a known answer for every item but 3, which fails with a two-line message (only the first is kept)
    if x == 3:
        raise ValueError("no threes here\nsecond line never shown")
    return (x * x + offset) * scale


def _summary(outcomes: list[TaskOutcome]) -> list[tuple]:
    return [(o.item, o.ok, o.result, o.error_type, o.message, o.reason) for o in outcomes]


EXPECTED = [(1, True, 12, None, "", None), (2, True, 18, None, "", None),
            (3, False, None, "ValueError", "no threes here", "ValueError: no threes here"),
            (4, True, 42, None, "", None), (5, True, 60, None, "", None)]


def test_in_process_outcomes_are_the_known_answers_in_item_order():
    seen = []
    got = map_tasks(_square_unless_three, ITEMS, args=(5,), kwargs={"scale": 2},
                    progress=lambda done, total, o: seen.append((done, total, o.item)))
    assert _summary(got) == EXPECTED  # (x^2 + 5) * 2, and 3 failed with its first line
    assert seen == [(1, 5, 1), (2, 5, 2), (3, 5, 3), (4, 5, 4), (5, 5, 5)]  # in this process: in order


def test_a_thread_pool_gives_the_same_outcomes_and_stays_open():
    with ThreadPoolExecutor(max_workers=3) as pool:
        got = map_tasks(_square_unless_three, ITEMS, args=(5,), kwargs={"scale": 2}, executor=pool)
        assert _summary(got) == EXPECTED
        assert pool.submit(lambda: "still open").result() == "still open"  # map_tasks did not shut it down
        assert worker_count(pool) == 3


def test_outcomes_keep_the_items_order_when_tasks_finish_in_reverse():
    # task i waits until task i+1 has finished, so they finish last-first, whatever the machine's load; the order is
    # recorded inside the tasks, since the pool may mark futures done in another order than their bodies ended
    n = 5
    finished = [threading.Event() for _ in range(n)]
    order: list[int] = []

    def chained(i: int) -> int:
        if i + 1 < n:
            assert finished[i + 1].wait(10), "the later task never finished"
        order.append(i)
        finished[i].set()
        return i * 10

    with ThreadPoolExecutor(max_workers=n) as pool:
        got = map_tasks(chained, list(range(n)), executor=pool)
    assert order == [4, 3, 2, 1, 0]  # they did finish in reverse ...
    assert [o.item for o in got] == [0, 1, 2, 3, 4]  # ... and come back in the items' order
    assert [o.result for o in got] == [0, 10, 20, 30, 40]


def test_each_outcome_carries_its_own_run_time_and_the_callers_item():
    items = [{"sleep": 0.0}, {"sleep": 0.15}]

    def nap(item: dict) -> float:
        time.sleep(item["sleep"])
        if item["sleep"]:
            raise RuntimeError("woke up cross")
        return item["sleep"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        got = map_tasks(nap, items, executor=pool)
    assert got[0].item is items[0] and got[1].item is items[1]  # the caller's objects, not copies
    assert got[0].seconds < 0.15 <= got[1].seconds < 5  # the failed task's time is measured too
    assert got[1].reason == "RuntimeError: woke up cross"


def test_an_exception_without_a_message_is_named_by_its_type():
    def bare(_x: int) -> None:
        raise KeyError

    [o] = map_tasks(bare, [0])
    assert (o.ok, o.error_type, o.message, o.reason) == (False, "KeyError", "", "KeyError")


def test_an_unknown_executor_is_refused_by_parameter_name():
    with pytest.raises(OptionError, match=r"executor=dict: give a concurrent\.futures\.Executor") as exc:
        map_tasks(_square_unless_three, ITEMS, executor={})
    assert exc.value.params == ("executor",)


def test_open_executor_refuses_contradictory_or_negative_workers():
    with pytest.raises(OptionError, match=r"workers=2 and scheduler='tcp://127\.0\.0\.1:1': give one") as exc:
        with open_executor(2, "tcp://127.0.0.1:1"):
            pass
    assert exc.value.params == ("workers", "scheduler")
    with pytest.raises(OptionError, match=r"workers=-1: give 0"):
        with open_executor(-1):
            pass
    with open_executor(0) as ex:  # the sequential reference: no executor at all
        assert ex is None and worker_count(ex) == 0


def _spec(name: str) -> AreaSpec:
    return AreaSpec(name=name, code=None, wkb=shapely.box(0, 0, 1, 1).wkb, crs="EPSG:27700")


def _area_task(spec: AreaSpec, tag: str) -> dict:
    if spec.name == "B":
        raise HotspotError("B has no rows")
    return {"area": spec.name, "tag": tag, "pid": 1, "peak_rss_mb": 10.0 * len(spec.name), "seconds": 0.5}


def test_the_area_runner_on_the_callers_executor_keys_by_area_in_area_order():
    specs = [_spec("CC"), _spec("B"), _spec("A")]
    names = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        results, info = run_area_tasks(_area_task, specs, args=("t",), executor=pool,
                                       progress=lambda done, total, area: names.append(area))
    assert list(results) == ["CC", "A"] and results["A"]["tag"] == "t"
    assert info.failed == {"B": "HotspotError: B has no rows"}
    assert sorted(names) == ["A", "B", "CC"]
    assert info.workers == 2 and info.task_seconds == 1.0 and info.peak_rss_mb == {"1": 20.0}
    seq, seq_info = run_area_tasks(_area_task, specs, args=("t",), workers=0)
    assert seq == results and seq_info.failed == info.failed and seq_info.workers == 0
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(OptionError, match="give the executor alone"):
        run_area_tasks(_area_task, specs, args=("t",), executor=pool, workers=2)


def test_a_dask_local_cluster_gives_the_same_outcomes_and_the_client_stays_open():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster, set_as_default=False) as client:
        got = map_tasks(_square_unless_three, ITEMS, args=(5,), kwargs={"scale": 2}, executor=client)
        assert _summary(got) == EXPECTED
        assert all(o.seconds >= 0 for o in got) and worker_count(client) == 2
        assert client.status == "running"  # not closed by map_tasks: a second call on it works
        again = map_tasks(_square_unless_three, [6], executor=client)
        assert again[0].result == 36
