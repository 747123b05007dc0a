"""The engines that run work items: a local process pool (`run_local`) or a Ray cluster
(`run_ray`). Both ship the same `work.run_item` to their workers and hand each finished record
to the coordinator's `on_done`, so they produce identical records; they differ only in how they
keep going when a worker dies or an item overruns its hard time limit."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Mapping, Sequence

from cctv_guard.core.errors import ConfigError
from cctv_guard.fleet.plan import WorkItem
from cctv_guard.fleet.work import NO_COST, WORKER_DIED, Work, failed_record, init_pool_worker, run_item

MAX_TASKS_PER_CHILD = 50  # recycle pool workers now and then: bounded memory over a long night
MAX_ATTEMPTS = 2  # Ray: an item whose worker process died is retried once
WATCHDOG_PERIOD_S = 1.0  # how often the local engine looks for items past their hard limit
RAY_START_GRACE_S = 30.0  # Ray may first have to start a worker process (or a node) for a task

OnDone = Callable[[dict, dict, "str | None"], None]  # (record, {"wall_s", "cpu_s"}, HTML report)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool(workers: int) -> tuple[ProcessPoolExecutor, Any]:
    """A fresh process pool and the queue its workers announce item starts on."""
    ctx = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
    if hasattr(ctx, "set_forkserver_preload"):
        ctx.set_forkserver_preload(["cctv_guard.fleet.work"])  # also hands the forkserver our sys.path
    started = ctx.SimpleQueue()
    kwargs: dict[str, Any] = {"max_workers": workers, "mp_context": ctx, "initializer": init_pool_worker,
                              "initargs": (started, os.getpid())}  # workers end when this process does
    if sys.version_info >= (3, 11):
        kwargs["max_tasks_per_child"] = MAX_TASKS_PER_CHILD
    return ProcessPoolExecutor(**kwargs), started


def hard_limit_s(item: WorkItem) -> float:
    """How long after it started an item may run before its worker is killed. Its own timeout is
    enforced inside the worker (SIGALRM), but that cannot fire while native code blocks the
    signal or never returns to Python."""
    return item.timeout_s + min(60.0, item.timeout_s)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop one task; killing its processes breaks the pool,
    # which _drain/run_local then handle like any dead worker.
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.kill()


def _drain(pool: ProcessPoolExecutor, started, queue: deque, work: Work, on_done: OnDone,
           limit: int) -> tuple[list[WorkItem], bool]:
    """Run the queue's items through the pool, at most `limit` in flight, until the queue is
    empty or the pool breaks. Returns (items in flight when it broke, whether it broke); items
    never submitted stay in the queue.

    A worker that dies breaks the pool. So does the watchdog: when an item has run for
    `hard_limit_s` (start times come from the workers through `started`), the pool's processes
    are killed, that item fails as timed out and the others in flight are returned."""
    pending: dict = {}
    start: dict[str, float] = {}
    lost: list[WorkItem] = []
    while queue or pending:
        while queue and len(pending) < limit:
            try:
                fut = pool.submit(run_item, work, queue[0])
            except BrokenProcessPool:
                break
            pending[fut] = queue.popleft()
        if not pending:
            return lost, True  # broken before anything could be submitted
        done, _ = wait(pending, timeout=WATCHDOG_PERIOD_S, return_when=FIRST_COMPLETED)
        for fut in done:
            _collect(fut, pending.pop(fut), on_done, lost)
        while not started.empty():
            item_id, t = started.get()
            start[item_id] = t
        now = time.monotonic()
        overdue = [fut for fut, it in pending.items() if now - start.get(it.item_id, now) > hard_limit_s(it)]
        if overdue:
            _kill_workers(pool)
            for fut in overdue:
                it = pending.pop(fut)
                on_done(failed_record(it, f"timed out after {it.timeout_s:g} s (worker killed)"), NO_COST, None)
            lost.extend(pending.values())
            return lost, True
        if lost:
            break
    for fut, it in pending.items():  # the pool is broken: the rest end at once, some with results
        _collect(fut, it, on_done, lost)
    return lost, bool(lost)


def _collect(fut, it: WorkItem, on_done: OnDone, lost: list[WorkItem]) -> None:
    try:
        result = fut.result()
    except BrokenProcessPool:
        lost.append(it)
        return
    except Exception as exc:  # e.g. the item's result could not be pickled back
        result = (failed_record(it, f"internal error: {type(exc).__name__}: {exc}"), NO_COST, None)
    on_done(*result)


def run_local(items: Sequence[WorkItem], work: Work, on_done: OnDone, *, workers: int | None = None,
              max_in_flight: int | None = None) -> None:
    """A process pool, at most `max_in_flight` items submitted at once (bounded memory). A worker
    that dies (segfault, OOM kill) breaks the pool: it is rebuilt and the items that were in
    flight are re-run one at a time; the one that breaks the pool on its own fails with that
    reason, the others complete normally. Items past their hard time limit are killed the same
    way (see `_drain`)."""
    workers = workers or default_workers()
    max_in_flight = max(workers, max_in_flight or 2 * workers)
    remaining = deque(items)
    suspects: deque = deque()
    while remaining or suspects:
        pool, started = _pool(workers)
        try:
            while suspects:
                alone = deque([suspects.popleft()])
                lost, broken = _drain(pool, started, alone, work, on_done, 1)
                suspects.extendleft(alone)  # not submitted: the pool was already broken
                for it in lost:
                    on_done(failed_record(it, WORKER_DIED), NO_COST, None)
                if broken:
                    break  # start a new pool
            else:
                lost, _broken = _drain(pool, started, remaining, work, on_done, max_in_flight)
                suspects.extend(lost)
        except BaseException:  # Ctrl-C, SIGTERM as SystemExit...: do not wait for items in flight
            _kill_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray engine needs the `ray` package: pip install 'cctv-guard[ray]'") from None
    return ray


def locality_resources(source: str | None, locality: Mapping[str, str]) -> dict[str, float]:
    """The Ray resources pinning an item to the node(s) holding its recording: the longest
    matching path prefix of `locality` names a custom resource; a sliver of it is requested, so
    any number of tasks fit on that node (its CPUs are the real limit)."""
    if not source or not locality:
        return {}
    best = max((p for p in locality if source.startswith(p)), key=len, default=None)
    return {locality[best]: 0.001} if best is not None else {}


def run_ray(items: Sequence[WorkItem], work: Work, on_done: OnDone, *, address: str | None = None,
            workers: int | None = None, max_in_flight: int | None = None,
            locality: Mapping[str, str] | None = None) -> None:
    """The same `run_item` shipped to a Ray cluster (or a local Ray started here). Recordings and
    baseline files must be at the same paths on every node (a shared mount). A task that runs
    past `hard_limit_s` (+ RAY_START_GRACE_S) is cancelled (its worker killed) and fails."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif workers:
            kwargs["num_cpus"] = workers
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot connect to Ray{f' at {address}' if address else ''}: {str(exc).splitlines()[0]}") from None
        started = True
    try:
        capacity = workers or int(ray.cluster_resources().get("CPU", 1))
        max_in_flight = max(capacity, max_in_flight or 2 * capacity)
        task = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(run_item)
        work_ref = ray.put(work)
        remaining = deque(items)
        pending: dict = {}
        while remaining or pending:
            while remaining and len(pending) < max_in_flight:
                it = remaining.popleft()
                resources = locality_resources(it.source, locality or {})
                ref = (task.options(resources=resources) if resources else task).remote(work_ref, it)
                pending[ref] = (it, time.monotonic())
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=5.0)
            for ref in ready:
                it, _t = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.WorkerCrashedError:  # the same words as the local engine
                    on_done(failed_record(it, WORKER_DIED), NO_COST, None)
                    continue
                except Exception as exc:  # RayTaskError (a bug outside run_item), node lost...
                    on_done(failed_record(it, f"ray task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"), NO_COST, None)
                    continue
                on_done(*result)
            now = time.monotonic()
            for ref, (it, t_sub) in list(pending.items()):
                # from submission: it may queue behind one item per slot, and wait for a worker
                if now - t_sub > it.timeout_s + hard_limit_s(it) + RAY_START_GRACE_S:
                    ray.cancel(ref, force=True)
                    pending.pop(ref)
                    on_done(failed_record(it, f"timed out after {it.timeout_s:g} s (task cancelled)"), NO_COST, None)
    finally:
        if started:
            ray.shutdown()
