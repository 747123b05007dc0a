"""The work of one item, as it runs inside a worker (a local pool process or a Ray worker): the
real check of a recording against its camera's baseline (`check_item`), its HTML report, and
`run_item`, which wraps any work function with the item's timeout and turns every failure into a
failed record. Pure with respect to the run folder: it takes a `WorkItem` and returns a record;
the engines move items and records, and the coordinator writes them."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from cctv_guard.core.errors import CctvGuardError, SourceError
from cctv_guard.fleet.plan import WorkItem

ITEM_SCHEMA = "cctv-guard/audit-item@1"
WORKER_DIED = "the worker process died while checking this recording"

# a work function: one item -> a check@1 dict, or a workflow.CameraCheck (check_item) whose `doc` is one
Work = Callable[[WorkItem], Any]


class ItemTimeout(Exception):
    pass


def _item_baseline(item: WorkItem):
    from cctv_guard.workflow import camera_baseline

    return camera_baseline(item.baseline, item.zones, problem=item.problem or f"camera {item.camera_id} has no baseline")


def check_item(item: WorkItem):
    """The real work: check one recording against its camera's baseline -> a
    `workflow.CameraCheck` (the check@1 dict enriched with the registered camera's facts and
    registry findings, and the frames that confirmed its events)."""
    from cctv_guard.workflow import check_camera

    if item.source is None:
        raise SourceError(item.problem or "nothing to check")
    baseline = _item_baseline(item)
    # one worker per core (Ray counts each task as one CPU): decode and analyse in this thread only
    return check_camera(item.source, baseline, camera=item.camera, camera_id=item.camera_id, privacy=item.privacy,
                        every=item.every, keyframes_only=item.keyframes_only, threads=1)


def render_report(item: WorkItem, check: dict, frames: dict | None = None) -> str | None:
    """The item's HTML report (the `reports` module's, as `check --html` writes it: baseline view,
    the frames that confirmed the events — kept by the check, else re-read from the recording —
    and the articles cited); None when it cannot be drawn (the JSON remains the record)."""
    import tempfile

    try:
        from cctv_guard.reports import write_check_html
    except ImportError:
        return None
    try:
        baseline = _item_baseline(item)
        with tempfile.TemporaryDirectory(prefix="cctv-guard-report-") as d:
            return write_check_html(check, Path(d) / "report.html", baseline=baseline, source=item.source,
                                    frames=frames or None, lang=item.lang).read_text("utf-8")
    except ItemTimeout:
        raise
    except Exception:  # a report that cannot be drawn must not fail the audit of the recording
        return None


def _on_alarm(signum, frame):  # pragma: no cover - runs in workers
    raise ItemTimeout()


def _record(item: WorkItem, status: str, reason: str | None = None, check: dict | None = None) -> dict:
    return {"schema": ITEM_SCHEMA, "item_id": item.item_id, "camera_id": item.camera_id, "day": item.day,
            "source": item.source, "size": item.size, "status": status, "reason": reason, "check": check}


def failed_record(item: WorkItem, reason: str) -> dict:
    return _record(item, "failed", " ".join(str(reason).split()) or "failed")


NO_COST = {"wall_s": 0.0, "cpu_s": 0.0}


_STARTED = None  # in a local pool worker: the queue on which run_item announces (item id, start time)


def init_pool_worker(started, coordinator: int | None = None) -> None:
    """The local pool's worker initializer: from now on `run_item` announces each item's start
    (item id, monotonic time) on `started`, which the coordinator's watchdog reads. With the
    coordinator's pid, the worker also ends when the coordinator does (see `exit_with`)."""
    global _STARTED
    _STARTED = started
    if coordinator is not None:
        exit_with(coordinator)


ORPHAN_POLL_S = 1.0  # how often a pool worker looks whether its coordinator is still alive


def exit_with(coordinator: int) -> None:
    """End this process when `coordinator` (the audit) or this process's parent (the forkserver
    between them) dies, even by kill -9, instead of idling forever: the kernel kills it when its
    parent dies (Linux PR_SET_PDEATHSIG), and a daemon thread polls both every ORPHAN_POLL_S."""
    parent = os.getppid()
    _kill_me_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(ORPHAN_POLL_S)
            if os.getppid() != parent or not _alive(coordinator):
                os._exit(1)

    threading.Thread(target=watch, name="cctv-guard-orphan-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (a reused pid would be too: the parent check covers that)
        return True
    return True


def _kill_me_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG); a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_item(work: Work, item: WorkItem) -> tuple[dict, dict, str | None]:
    """Run `work` on one item with its timeout; never raises: a failure becomes a failed record.
    Returns (record, {"wall_s", "cpu_s"} spent in the worker, HTML report or None). The timeout
    uses SIGALRM where the item runs on a main thread (pool and Ray workers), so it interrupts a
    slow decode between frames."""
    t0, c0 = time.monotonic(), time.process_time()
    page = None
    if item.problem:
        return failed_record(item, item.problem), NO_COST, None
    if _STARTED is not None:  # a local pool worker: tell the coordinator's watchdog
        _STARTED.put((item.item_id, t0))
    alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    old = None
    if alarm:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, item.timeout_s)
    try:
        check = work(item)
        frames = getattr(getattr(check, "result", None), "event_frames", None)
        check = getattr(check, "doc", check)
        if not isinstance(check, dict) or "verdict" not in check:
            raise TypeError(f"the work function returned {type(check).__name__}, not a check@1 dict")
        rec = _record(item, "ok", None, check)
        if item.html is True or (item.html == "violations" and check.get("verdict") == "violation"):
            page = render_report(item, check, frames)
    except ItemTimeout:
        rec = failed_record(item, f"timed out after {item.timeout_s:g} s")
    except CctvGuardError as exc:
        rec = failed_record(item, str(exc))
    except MemoryError:
        rec = failed_record(item, "out of memory")
    except Exception as exc:  # a bug or a decoder crash inside one recording must not stop the fleet
        rec = failed_record(item, f"internal error: {type(exc).__name__}: {exc}")
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    cost = {"wall_s": time.monotonic() - t0, "cpu_s": time.process_time() - c0}
    return rec, cost, page if rec["status"] == "ok" else None
