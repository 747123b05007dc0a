"""The nightly fleet audit: every camera's recordings of a window of days, checked in parallel on
one machine (a process pool) or a Ray cluster, resumable after a crash, summarised for the morning.

Shape of a run (all state lives in the output folder, so ``--resume DIR`` needs nothing else)::

    DIR/audit.json                    the run: the validated fleet config and the frozen plan
    DIR/items/<item>.json             one record per finished work item (its presence = done)
    DIR/checks/<camera>/<item>.json   the item's cctv-guard/check@1 result (+ .html report)
    DIR/summary.{json,csv,html}       the fleet summary (rebuilt from items/ at the end)
    DIR/registry.log                  items already appended to the registry's check history
    DIR/runs.jsonl                    one line of timing per invocation (engine, workers, speed)

A work item is one camera x one recording file. The planner lists them (largest first, so the
long poles start early); items whose record exists are skipped. Each finished item is written
atomically (temp file + rename) by the coordinating process as soon as it completes, so a kill -9
loses at most the items in flight. The work function is pure with respect to the run folder: it
takes a `WorkItem` and returns a check@1 dict; the engines only move items and records, so the
local pool and Ray produce identical records.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import html
import io
import json
import math
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import urllib.request
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from cctv_guard import __version__
from cctv_guard.core.errors import CctvGuardError, ConfigError, SourceError
from cctv_guard.fleet.config import FleetConfig, load_fleet
from cctv_guard.media.sources import timestamp_from_name

RUN_SCHEMA = "cctv-guard/audit-run@1"
ITEM_SCHEMA = "cctv-guard/audit-item@1"
SUMMARY_SCHEMA = "cctv-guard/audit@1"
MAX_TASKS_PER_CHILD = 50  # recycle pool workers now and then: bounded memory over a long night
MAX_ATTEMPTS = 2  # Ray: an item whose worker process died is retried once
FILE_MODE = 0o644  # reports are for sharing (atomic writes start from a private temp file)
WORKER_DIED = "the worker process died while checking this recording"
WATCHDOG_PERIOD_S = 1.0  # how often the local engine looks for items past their hard limit
RAY_START_GRACE_S = 30.0  # Ray may first have to start a worker process (or a node) for a task
MAP_LABELS_UP_TO = 40  # cameras named beside their dot on small maps (all have a tooltip)
VERDICT_ORDER = ("violation", "failed", "pending", "inconclusive", "compliant")  # worst first
VERDICT_COLOURS = {"violation": "#d7263d", "failed": "#7d3c98", "pending": "#adb5bd", "inconclusive": "#f4a261",
                   "compliant": "#2a9d8f"}

Work = Callable[["WorkItem"], dict]


# --- the plan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """One camera x one recording file, with everything a worker needs (no registry access)."""

    item_id: str
    camera_id: str
    day: str  # ISO date
    source: str | None  # the recording; None when none was found
    size: int  # bytes (0 when missing)
    baseline: str | None
    zones: dict | None = None  # registry zones overriding the baseline file's (None: keep the file's)
    every: float | None = None
    keyframes_only: bool = True
    privacy: bool = False
    timeout_s: float = 1800.0
    problem: str | None = None  # known before running: the item fails with this reason
    html: bool | str = True  # render the HTML report (in the worker): True, False or "violations"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "WorkItem":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class CameraMeta:
    camera_id: str
    district: str | None
    lat: float | None
    lon: float | None
    registered: bool  # its check history is in the registry

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    days: tuple[str, ...]
    cameras: tuple[CameraMeta, ...]
    items: tuple[WorkItem, ...]
    registry: dict | None = None  # open_registry(**registry) arguments; None: no registry


def _slug(text: str, n: int = 40) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "x"
    return s[:n]


def item_id_for(camera_id: str, day: str, source: str | None) -> str:
    """A stable, file-name-safe id: readable parts plus a hash of the full triple."""
    digest = hashlib.sha1(f"{camera_id}\0{day}\0{source}".encode()).hexdigest()[:10]
    name = Path(source).stem if source else "missing"
    return f"{_slug(camera_id)}__{day}__{_slug(name, 30)}__{digest}"


def find_recordings(camera_id: str, day: date, cfg: FleetConfig, template: str | None = None) -> tuple[list[Path], str]:
    """A camera's recording files of one day, and a description of where they were looked for."""
    rec = cfg.recordings
    suffixes = {s.lower() for s in rec.suffixes}
    template = template or rec.template
    if template:
        try:
            pattern = template.format(camera=camera_id, date=day)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"recordings template {template!r}: cannot format it: {exc}") from None
        files = [Path(p) for p in glob.glob(pattern) if os.path.isfile(p)]
        if any(ch in pattern for ch in "*?["):
            files = [p for p in files if p.suffix.lower() in suffixes]
        return sorted(files), pattern
    root = Path(rec.export or "")
    if not root.is_dir():
        raise ConfigError(f"recordings.export: no such folder: {root}")
    candidates = [p for p in (root / camera_id).rglob("*")] if (root / camera_id).is_dir() else []
    candidates += [p for p in root.iterdir() if p.name.startswith(camera_id) and not p.is_dir()
                   and not p.name[len(camera_id):len(camera_id) + 1].isalnum()]
    files = []
    for p in candidates:
        if not p.is_file() or p.suffix.lower() not in suffixes:
            continue
        stamp = timestamp_from_name(p.name)
        if stamp is None or stamp.date() == day:
            files.append(p)
    return sorted(set(files)), f"{root}/{camera_id}*"


def _registry_args(cfg: FleetConfig, home: str | None = None) -> dict | None:
    """open_registry arguments, or None when the audit uses no registry (the fleet file lists
    its cameras and names no registry)."""
    if cfg.registry is None:
        return None if cfg.cameras and home is None else {"home": home, "url": None}
    return {"home": cfg.registry.home or home, "url": cfg.registry.url}


def _registry_cameras(args: dict | None) -> tuple[dict[str, Any], Any]:
    if args is None:
        return {}, None
    from cctv_guard.registry.store import open_registry

    reg = open_registry(**args)
    try:
        return {c.id: c for c in reg.list_cameras()}, reg
    except BaseException:
        reg.close()
        raise


def plan_audit(cfg: FleetConfig, *, today: date | None = None, home: str | None = None) -> Plan:
    """Expand the fleet into work items: each selected camera x each recording of each day.

    A camera with no recording on a day, or without a baseline, yields one item that fails
    with that reason (an audit must say what it could not check). Largest items first."""
    days = cfg.window.days(today)
    registry = _registry_args(cfg, home)
    registered, reg = _registry_cameras(registry)
    try:
        inline = {c.id: c for c in cfg.cameras}
        ids = list(dict.fromkeys([*registered, *inline]))
        if cfg.include is not None:
            unknown = [i for i in cfg.include if i not in registered and i not in inline]
            if unknown:
                raise ConfigError(f"include: unknown camera id(s): {', '.join(unknown[:5])}")
            ids = [i for i in ids if i in set(cfg.include)]
        ids = [i for i in ids if i not in set(cfg.exclude)]
        if not ids:
            raise ConfigError("the fleet has no cameras to audit (the registry is empty and fleet.yaml lists none)")
        every, keyframes_only = cfg.sampling.resolved()
        cameras, items = [], []
        for cid in ids:
            cam, extra = registered.get(cid), inline.get(cid)
            district = (extra.district if extra and extra.district else None) or cfg.districts.get(cid) or (
                getattr(cam, "operator", None) or None)
            lat = extra.lat if extra and extra.lat is not None else getattr(cam, "lat", None)
            lon = extra.lon if extra and extra.lon is not None else getattr(cam, "lon", None)
            cameras.append(CameraMeta(cid, district, lat, lon, cam is not None))
            baseline, zones, problem = _baseline_for(cid, cam, extra, reg)
            for day in days:
                files, where = find_recordings(cid, day, cfg, extra.recordings if extra else None)
                common = dict(camera_id=cid, day=day.isoformat(), baseline=baseline, zones=zones, every=every,
                              keyframes_only=keyframes_only, privacy=cfg.checks.privacy, timeout_s=cfg.engine.timeout_s,
                              html=cfg.outputs.html_reports)
                if not files:
                    items.append(WorkItem(item_id_for(cid, day.isoformat(), None), source=None, size=0,
                                          problem=f"no recordings found for {cid} on {day} (looked for {where})", **common))
                for f in files:
                    items.append(WorkItem(item_id_for(cid, day.isoformat(), str(f)), source=str(f), size=f.stat().st_size,
                                          problem=problem, **common))
    finally:
        if reg is not None:
            reg.close()
    items.sort(key=lambda it: (-it.size, it.item_id))
    return Plan(tuple(d.isoformat() for d in days), tuple(cameras), tuple(items), registry)


def _baseline_for(cid: str, cam, extra, reg) -> tuple[str | None, dict | None, str | None]:
    """(baseline path, registry zones or None, problem) for one camera."""
    if extra is not None and extra.baseline:
        if not Path(extra.baseline).is_file():
            return None, None, f"baseline file of {cid} not found: {extra.baseline}"
        return extra.baseline, None, None
    if cam is None or reg is None:
        return None, None, f"camera {cid} has no baseline (give cameras[].baseline in fleet.yaml or register one)"
    try:
        path = reg.baseline_path(cid, extra.profile if extra else None)
    except CctvGuardError as exc:
        return None, None, str(exc)
    zones = {z.name: [list(p) for p in z.points] for z in getattr(cam, "zones", ())}
    return str(path), zones, None


# --- the work function (runs in a worker: a pool process or a Ray worker) -------------------------------


class ItemTimeout(Exception):
    pass


@lru_cache(maxsize=8)
def _cached_baseline(path: str, mtime_ns: int, zones_json: str | None):
    from dataclasses import replace

    from cctv_guard.tamper.baseline import load_baseline

    b = load_baseline(path)
    if zones_json is not None:
        b = replace(b, zones={k: tuple(tuple(p) for p in v) for k, v in json.loads(zones_json).items()})
    return b


def _item_baseline(item: WorkItem):
    if item.baseline is None:
        raise SourceError(item.problem or f"camera {item.camera_id} has no baseline")
    zones = json.dumps(item.zones, sort_keys=True) if item.zones is not None else None
    return _cached_baseline(item.baseline, os.stat(item.baseline).st_mtime_ns, zones)


def check_item(item: WorkItem) -> dict:
    """The real work: check one recording against its camera's baseline -> a check@1 dict."""
    from cctv_guard.tamper.check import check_source

    if item.source is None:
        raise SourceError(item.problem or "nothing to check")
    from cctv_guard.privacy.scan import check_hook

    baseline = _item_baseline(item)
    # one worker per core (Ray counts each task as one CPU): decode and analyse in this thread only
    result = check_source(item.source, baseline, every=item.every, keyframes_only=item.keyframes_only,
                          camera_id=item.camera_id, privacy_fn=check_hook(baseline) if item.privacy else None, threads=1)
    return result.to_json()


def render_report(item: WorkItem, check: dict) -> str | None:
    """The item's HTML report (the `reports` module's, as `check --html` writes it: baseline view,
    offending frames re-read from the recording, articles cited), rendered where the footage and
    the baseline are; None when it cannot be drawn (the JSON remains the record)."""
    import tempfile

    try:
        from cctv_guard.reports.render import write_check_html
    except ImportError:
        return None
    try:
        baseline = _item_baseline(item)
        with tempfile.TemporaryDirectory(prefix="cctv-guard-report-") as d:
            return write_check_html(check, Path(d) / "report.html", baseline=baseline, source=item.source).read_text("utf-8")
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
        if not isinstance(check, dict) or "verdict" not in check:
            raise TypeError(f"the work function returned {type(check).__name__}, not a check@1 dict")
        rec = _record(item, "ok", None, check)
        if item.html is True or (item.html == "violations" and check.get("verdict") == "violation"):
            page = render_report(item, check)
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


# --- engines ----------------------------------------------------------------------------------------------

OnDone = Callable[[dict, dict, "str | None"], None]  # (record, {"wall_s", "cpu_s"}, HTML report)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_STARTED = None  # in a pool worker: the queue on which run_item announces (item id, start time)


def _init_worker(started) -> None:
    global _STARTED
    _STARTED = started


def _pool(workers: int) -> tuple[ProcessPoolExecutor, Any]:
    """A fresh process pool and the queue its workers announce item starts on."""
    ctx = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
    if hasattr(ctx, "set_forkserver_preload"):
        ctx.set_forkserver_preload(["cctv_guard.fleet.audit"])  # also hands the forkserver our sys.path
    started = ctx.SimpleQueue()
    kwargs: dict[str, Any] = {"max_workers": workers, "mp_context": ctx, "initializer": _init_worker,
                              "initargs": (started,)}
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


# --- the run folder ------------------------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> Path:
    from cctv_guard.core.atomic import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n", mode=FILE_MODE)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class AuditRun:
    """An audit's output folder and its frozen plan (audit.json)."""

    dir: Path
    config: FleetConfig
    plan: Plan
    created: str

    @property
    def items_dir(self) -> Path:
        return self.dir / "items"

    def record_path(self, item_id: str) -> Path:
        return self.items_dir / f"{item_id}.json"

    def check_path(self, rec: Mapping[str, Any]) -> Path:
        return self.dir / check_relpath(rec)

    def done_ids(self) -> set[str]:
        if not self.items_dir.is_dir():
            return set()
        return {p.stem for p in self.items_dir.glob("*.json")}

    def records(self) -> list[dict]:
        """Every finished item's record, in plan order (unreadable records are skipped: they are
        re-run on resume, since only complete files are ever renamed into place)."""
        out = []
        for it in self.plan.items:
            p = self.record_path(it.item_id)
            if p.exists():
                try:
                    out.append(_read_json(p))
                except (OSError, ValueError):
                    continue
        return out


def create_run(cfg: FleetConfig, out_dir: str | os.PathLike | None = None, *, today: date | None = None,
               home: str | None = None) -> AuditRun:
    """Plan the audit and write DIR/audit.json. A folder that already holds an audit is refused
    (use `resume`)."""
    plan = plan_audit(cfg, today=today, home=home)
    first = date.fromisoformat(plan.days[0])
    raw = str(out_dir) if out_dir is not None else (cfg.outputs.dir or "audits/{date:%Y-%m-%d}")
    try:
        d = Path(raw.format(date=first)).expanduser().absolute()
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"outputs.dir {raw!r}: cannot format it: {exc}") from None
    if (d / "audit.json").exists():
        raise ConfigError(f"{d} already holds an audit; finish it with --resume {d} or choose another --out")
    if d.exists() and not d.is_dir():
        raise ConfigError(f"--out: expected a folder, found a file: {d}")
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    doc = {"schema": RUN_SCHEMA, "tool_version": __version__, "created": created,
           "config": cfg.model_dump(mode="json"), "registry": plan.registry, "days": list(plan.days),
           "cameras": [c.to_json() for c in plan.cameras], "items": [i.to_json() for i in plan.items]}
    _write_json(d / "audit.json", doc)
    return AuditRun(d, cfg, plan, created)


def open_run(run_dir: str | os.PathLike) -> AuditRun:
    """Load an audit folder written by `create_run` (for --resume)."""
    d = Path(run_dir).expanduser().absolute()
    p = d / "audit.json"
    if not p.is_file():
        raise ConfigError(f"{d} is not an audit folder (no audit.json)")
    try:
        doc = _read_json(p)
        if doc.get("schema") != RUN_SCHEMA:
            raise ValueError(f"schema {doc.get('schema')!r}")
        cfg = FleetConfig.model_validate(doc["config"])
        plan = Plan(tuple(doc["days"]), tuple(CameraMeta(**c) for c in doc["cameras"]),
                    tuple(WorkItem.from_json(i) for i in doc["items"]), doc.get("registry"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{p}: not a readable audit run: {str(exc).splitlines()[0]}") from None
    return AuditRun(d, cfg, plan, doc.get("created", ""))


def store_record(run: AuditRun, rec: dict, page: str | None = None) -> None:
    """Write one finished item: its check@1 JSON (and HTML report), then its record — the record
    last, atomically, since its presence marks the item done."""
    from cctv_guard.core.atomic import write_atomic

    if rec["status"] == "ok" and rec.get("check") is not None:
        cp = run.check_path(rec)
        _write_json(cp, rec["check"])
        if page is not None:
            write_atomic(cp.with_suffix(".html"), page, mode=FILE_MODE)
    _write_json(run.record_path(rec["item_id"]), rec)


def check_relpath(rec: Mapping[str, Any]) -> str:
    """Where an item's check@1 JSON lives inside the run folder."""
    return f"checks/{_slug(rec['camera_id'], 80)}/{rec['item_id']}.json"


# --- progress -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditProgress:
    done: int  # items finished, including those finished by earlier runs
    total: int
    failed: int  # of those finished in this run
    resumed: int  # items already done when this run started
    footage_s: float  # footage checked in this run
    last: dict | None = None  # the record just finished


ProgressFn = Callable[[AuditProgress], None]


# --- the summary (pure) --------------------------------------------------------------------------------------


def _worst(verdicts: Iterable[str]) -> str:
    vs = set(verdicts)
    return next((v for v in VERDICT_ORDER if v in vs), "failed")


def summarise(run_doc: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict:
    """The fleet summary from the plan and the item records. Deterministic: the same records
    give the same summary whatever the engine, the order of completion or the number of runs."""
    by_item = {r["item_id"]: r for r in records}
    cameras = {c["camera_id"]: c for c in run_doc["cameras"]}
    per_cam: dict[str, list] = {cid: [] for cid in cameras}
    for it in run_doc["items"]:
        per_cam.setdefault(it["camera_id"], []).append(by_item.get(it["item_id"]))
    rows, failures = [], []
    by_verdict: Counter[str] = Counter()
    by_article: dict[str, Counter] = {}
    by_district: dict[str, Counter] = {}
    footage = 0.0
    notes: dict[str, set] = {}  # what checks said about the cameras' baselines (rebuild them)
    for cid in sorted(per_cam):
        recs = per_cam[cid]
        meta = cameras.get(cid, {})
        verdicts, kinds, articles = [], Counter(), set()
        n_events = n_findings = 0
        cam_footage = 0.0
        flagged_checks = []
        for r in recs:
            if r is None:
                verdicts.append("pending")
                continue
            if r["status"] != "ok":
                verdicts.append("failed")
                failures.append({"item_id": r["item_id"], "camera_id": cid, "day": r["day"], "source": r["source"],
                                 "reason": r["reason"]})
                continue
            chk = r["check"]
            verdicts.append(chk.get("verdict", "inconclusive"))
            for note in chk.get("notes") or ():
                notes.setdefault(str(note), set()).add(cid)
            if chk.get("verdict") == "violation":
                flagged_checks.append(check_relpath(r))
            cam_footage += float(chk.get("duration_s") or 0.0)
            for e in chk.get("events", []):
                kinds[e.get("kind", "?")] += 1
                art = str(e.get("article", "?"))
                articles.add(art)
                by_article.setdefault(art, Counter())["events"] += 1
                n_events += 1
            for f in chk.get("findings", []):
                art = str(f.get("article", "?"))
                articles.add(art)
                by_article.setdefault(art, Counter())["findings"] += 1
                n_findings += 1
        for art in articles:
            by_article[art]["cameras"] += 1
        verdict = _worst(verdicts)
        by_verdict[verdict] += 1
        district = meta.get("district") or "(none)"
        by_district.setdefault(district, Counter())[verdict] += 1
        footage += cam_footage
        rows.append({"camera_id": cid, "district": meta.get("district"), "lat": meta.get("lat"), "lon": meta.get("lon"),
                     "verdict": verdict, "items": len(recs), "items_failed": verdicts.count("failed"),
                     "events": n_events, "findings": n_findings, "kinds": dict(sorted(kinds.items())),
                     "articles": sorted(articles, key=_article_key), "footage_h": round(cam_footage / 3600, 4),
                     "checks": flagged_checks})
    n_done = sum(1 for r in records if r is not None)
    return {
        "schema": SUMMARY_SCHEMA,
        "tool_version": run_doc.get("tool_version", __version__),
        "created": run_doc.get("created"),
        "days": list(run_doc["days"]),
        "checks": dict(run_doc["config"].get("checks", {})),
        "sampling": dict(run_doc["config"].get("sampling", {})),
        "complete": n_done == len(run_doc["items"]),
        "totals": {"cameras": len(rows), "items": len(run_doc["items"]), "items_done": n_done,
                   "items_failed": len(failures), "footage_h": round(footage / 3600, 4)},
        "by_verdict": {v: by_verdict[v] for v in VERDICT_ORDER if by_verdict[v]},
        "by_article": {a: dict(sorted(by_article[a].items())) for a in sorted(by_article, key=_article_key)},
        "by_district": {d: {v: c[v] for v in VERDICT_ORDER if c[v]} for d, c in sorted(by_district.items())},
        "cameras": rows,
        "failures": sorted(failures, key=lambda f: f["item_id"]),
        "baseline_notes": {n: sorted(notes[n]) for n in sorted(notes)},
    }


def _article_key(a: str) -> tuple:
    m = re.match(r"(\d+)(?:\((\d+)\))?", a)
    return (int(m.group(1)), int(m.group(2) or 0), a) if m else (999, 0, a)


SUMMARY_CSV_COLUMNS = ("camera_id", "district", "lat", "lon", "verdict", "items", "items_failed", "events",
                       "findings", "kinds", "articles", "footage_h")


def summary_csv(summary: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SUMMARY_CSV_COLUMNS)
    for row in summary["cameras"]:
        vals = []
        for col in SUMMARY_CSV_COLUMNS:
            v = row.get(col)
            if col == "kinds":
                v = ";".join(f"{k}:{n}" for k, n in v.items())
            elif col == "articles":
                v = ";".join(v)
            vals.append("" if v is None else v)
        w.writerow(vals)
    return buf.getvalue()


def map_svg(cameras: Sequence[Mapping[str, Any]], width: int = 640, height: int = 420) -> str:
    """An inline SVG scatter of the cameras' lat/lon coloured by verdict (no map tiles: works
    offline). Longitude is scaled by cos(latitude) so distances look right."""
    pts = [c for c in cameras if c.get("lat") is not None and c.get("lon") is not None]
    if not pts:
        return '<p class="muted">No camera has coordinates.</p>'
    lats = [float(c["lat"]) for c in pts]
    lons = [float(c["lon"]) for c in pts]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [lo * k for lo in lons]
    x0, x1, y0, y1 = min(xs), max(xs), min(lats), max(lats)
    span = max(x1 - x0, y1 - y0, 1e-6)
    pad = 20
    scale = min((width - 2 * pad) / span, (height - 2 * pad) / span)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="cameras by verdict"><rect width="100%" height="100%" fill="#f8f9fa"/>']
    for c, x, y in sorted(zip(pts, xs, lats), key=lambda t: VERDICT_ORDER.index(t[0]["verdict"])
                          if t[0]["verdict"] in VERDICT_ORDER else -1, reverse=True):
        cx = pad + (x - x0) * scale + ((width - 2 * pad) - (x1 - x0) * scale) / 2
        cy = height - pad - (y - y0) * scale - ((height - 2 * pad) - (y1 - y0) * scale) / 2
        colour = VERDICT_COLOURS.get(c["verdict"], "#999")
        title = html.escape(f"{c['camera_id']} ({c.get('district') or 'no district'}): {c['verdict']}")
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}" stroke="#222" stroke-width="0.5">'
                     f"<title>{title}</title></circle>")
        if len(pts) <= MAP_LABELS_UP_TO:
            parts.append(f'<text x="{cx + 7:.1f}" y="{cy + 4:.1f}" font-size="11" fill="#333">'
                         f"{html.escape(str(c['camera_id']))}</text>")
    parts.append("</svg>")
    extent = (f'<p class="muted">lat {min(lats):.4f} … {max(lats):.4f}, lon {min(lons):.4f} … {max(lons):.4f}'
              f" ({len(pts)} of {len(cameras)} cameras have coordinates)</p>")
    return "".join(parts) + extent


class Markup(str):
    """Text that is already HTML (not escaped again by `_table`)."""


def _cell(x: Any) -> str:
    return str(x) if isinstance(x, Markup) else html.escape(str(x))


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{_cell(x)}</td>" for x in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(summary: Mapping[str, Any], run_dir: Path | None = None) -> str:
    """A self-contained HTML dashboard: totals, counts by verdict / article / district, the map,
    the cameras with violations and the failed items."""
    t = summary["totals"]
    days = summary["days"]
    window = days[0] if len(days) == 1 else f"{days[0]} … {days[-1]}"
    verdicts = list(VERDICT_ORDER)
    legend = " ".join(f'<span class="dot" style="background:{VERDICT_COLOURS.get(v, "#999")}"></span>{v}'
                      for v in VERDICT_ORDER)
    flagged = [c for c in summary["cameras"] if c["verdict"] in ("violation", "failed")]

    def link(c: Mapping[str, Any]) -> str:
        first = c["checks"][0] if c["checks"] else None
        name = html.escape(c["camera_id"])
        if first is None:
            return name
        target = html.escape(first[:-5] + ".html" if run_dir is not None and (run_dir / first[:-5]).with_suffix(".html").exists() else first)
        return f'<a href="{target}">{name}</a>'

    cards = "".join(f'<div class="card"><b>{summary["by_verdict"].get(v, 0)}</b><br>{v}</div>' for v in VERDICT_ORDER)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cctv-guard fleet audit {html.escape(window)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:.5em 0 1.5em}}
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:left}} th{{background:#eee}}
.card{{display:inline-block;border:1px solid #ccc;border-radius:6px;padding:.6em 1.2em;margin:.3em;text-align:center}}
.dot{{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin:0 .3em 0 1em}} .muted{{color:#777}}
</style></head><body>
<h1>Fleet audit {html.escape(window)}</h1>
<p>{t['cameras']} cameras, {t['items_done']} of {t['items']} recordings checked ({t['items_failed']} failed),
{t['footage_h']:.2f} h of footage. Checks: {html.escape(', '.join(k for k, v in summary['checks'].items() if v))}.
{'' if summary['complete'] else '<b>The audit is not complete.</b>'}</p>
<div>{cards}</div>
<h2>By article</h2>
{_table(("article", "cameras", "events", "findings"), ((a, c.get("cameras", 0), c.get("events", 0), c.get("findings", 0)) for a, c in summary["by_article"].items())) if summary["by_article"] else '<p class="muted">No events or findings.</p>'}
<h2>By district</h2>
{_table(("district", *verdicts), ((d, *(c.get(v, 0) for v in verdicts)) for d, c in summary["by_district"].items()))}
<h2>Map</h2>
<p>{legend}</p>
{map_svg(summary["cameras"])}
<h2>Cameras needing attention</h2>
{_table(("camera", "district", "verdict", "events", "findings", "kinds", "articles", "failed items"), ((Markup(link(c)), c["district"] or "", c["verdict"], c["events"], c["findings"], ", ".join(f"{k}×{n}" for k, n in c["kinds"].items()), ", ".join(c["articles"]), c["items_failed"]) for c in flagged)) if flagged else '<p class="muted">None.</p>'}
<h2>Failed items</h2>
{_table(("camera", "day", "recording", "reason"), ((f["camera_id"], f["day"], f["source"] or "", f["reason"]) for f in summary["failures"])) if summary["failures"] else '<p class="muted">None.</p>'}
<p class="muted">cctv-guard {html.escape(str(summary['tool_version']))} · {SUMMARY_SCHEMA}</p>
</body></html>
"""


# --- finishing: summary files, registry history, notification ---------------------------------------------------


def write_summary_files(run: AuditRun, summary: Mapping[str, Any]) -> list[Path]:
    from cctv_guard.core.atomic import write_atomic

    out = []
    fmts = run.config.outputs.summary
    if "json" in fmts:
        out.append(_write_json(run.dir / "summary.json", summary))
    if "csv" in fmts:
        out.append(write_atomic(run.dir / "summary.csv", summary_csv(summary), mode=FILE_MODE))
    if "html" in fmts:
        out.append(write_atomic(run.dir / "summary.html", summary_html(summary, run.dir), mode=FILE_MODE))
    return out


def update_registry(run: AuditRun, records: Sequence[Mapping[str, Any]]) -> tuple[int, str | None]:
    """Append each checked item to its camera's check history, once: item ids already appended
    are listed in DIR/registry.log (appended right after each insert). Returns (appended, warning)."""
    registered = {c.camera_id for c in run.plan.cameras if c.registered}
    todo = [r for r in records if r["status"] == "ok" and r["camera_id"] in registered]
    log = run.dir / "registry.log"
    seen = set(log.read_text(encoding="utf-8").split()) if log.exists() else set()
    todo = [r for r in todo if r["item_id"] not in seen]
    if not todo or run.plan.registry is None:
        return 0, None
    from cctv_guard.registry.store import open_registry

    n = 0
    try:
        with open_registry(**run.plan.registry) as reg, \
                log.open("a", encoding="utf-8") as fh:
            for r in todo:
                html_path = run.check_path(r).with_suffix(".html")
                reg.record_check(r["camera_id"], r["check"], report_path=html_path if html_path.exists() else None)
                fh.write(r["item_id"] + "\n")
                fh.flush()
                n += 1
    except CctvGuardError as exc:
        return n, f"registry history not fully updated ({n} of {len(todo)} appended): {exc}"
    return n, None


def notify(run: AuditRun, summary: Mapping[str, Any]) -> list[str]:
    """Deliver the summary where fleet.yaml says; returns warnings (a failed delivery does not
    fail the audit)."""
    cfg = run.config.notify
    warnings = []
    if cfg.file:
        try:
            _write_json(Path(cfg.file), summary)
        except (OSError, CctvGuardError) as exc:
            warnings.append(f"notify.file: cannot write {cfg.file}: {exc}")
    if cfg.webhook:
        body = json.dumps(summary, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(cfg.webhook, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": f"cctv-guard/{__version__}"})
        try:
            with urllib.request.urlopen(req, timeout=cfg.timeout_s) as resp:
                if resp.status >= 300:
                    warnings.append(f"notify.webhook: HTTP {resp.status}")
        except (OSError, ValueError) as exc:
            from cctv_guard.core.redact import redact_uri

            warnings.append(f"notify.webhook {redact_uri(cfg.webhook)}: {exc}")
    return warnings


# --- running --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditOutcome:
    dir: Path
    summary: dict
    files: tuple[Path, ...]
    ran: int  # items run by this invocation
    resumed: int  # items already done before it
    wall_s: float
    footage_s: float  # footage checked by this invocation
    warnings: tuple[str, ...] = ()

    @property
    def violations(self) -> int:
        return self.summary["by_verdict"].get("violation", 0)

    @property
    def failed(self) -> int:
        return self.summary["totals"]["items_failed"]

    @property
    def exit_code(self) -> int:
        """1 when any camera has a violation; else 2 when any item failed (the audit could not
        check everything); else 0."""
        if self.violations:
            return 1
        return 2 if self.failed else 0


def execute(run: AuditRun, *, engine: str | None = None, workers: int | None = None, address: str | None = None,
            work: Work = check_item, progress: ProgressFn | None = None, retry_failed: bool = False) -> AuditOutcome:
    """Run every item of `run` that has no record yet, then write the summary, update the
    registry's check history and notify. Safe to call again after any interruption."""
    cfg = run.config
    engine = engine or cfg.engine.kind
    workers = workers or cfg.engine.workers
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine: expected local or ray, found {engine!r}")
    if retry_failed:
        for r in run.records():
            if r["status"] != "ok":
                run.record_path(r["item_id"]).unlink(missing_ok=True)
    done = run.done_ids()
    todo = [it for it in run.plan.items if it.item_id not in done]
    total = len(run.plan.items)
    resumed = total - len(todo)
    state = {"done": resumed, "failed": 0, "footage": 0.0, "busy": 0.0, "cpu": 0.0}
    t0, c0 = time.monotonic(), time.process_time()

    def on_done(rec: dict, cost: dict, page: str | None) -> None:
        store_record(run, rec, page)
        state["done"] += 1
        state["busy"] += cost["wall_s"]
        state["cpu"] += cost["cpu_s"]
        if rec["status"] != "ok":
            state["failed"] += 1
        else:
            state["footage"] += float(rec["check"].get("duration_s") or 0.0)
        if progress is not None:
            progress(AuditProgress(state["done"], total, state["failed"], resumed, state["footage"], rec))

    if progress is not None:
        progress(AuditProgress(resumed, total, 0, resumed, 0.0, None))
    if todo:
        if engine == "ray":
            run_ray(todo, work, on_done, address=address or cfg.engine.address, workers=workers,
                    max_in_flight=cfg.engine.max_in_flight, locality=cfg.engine.locality)
        else:
            run_local(todo, work, on_done, workers=workers, max_in_flight=cfg.engine.max_in_flight)
    wall = time.monotonic() - t0
    state["coordinator_cpu"] = time.process_time() - c0  # this process: queueing, writing records
    records = run.records()
    summary = summarise(_read_json(run.dir / "audit.json"), records)
    files = write_summary_files(run, summary)
    warnings = []
    _n, warn = update_registry(run, records)
    if warn:
        warnings.append(warn)
    warnings += notify(run, summary)
    _append_run_log(run, engine, workers, len(todo), wall, state)
    return AuditOutcome(run.dir, summary, tuple(files), len(todo), resumed, wall, state["footage"], tuple(warnings))


def _append_run_log(run: AuditRun, engine: str, workers: int | None, n: int, wall: float, state: Mapping) -> None:
    line = {"finished": datetime.now(timezone.utc).replace(microsecond=0).isoformat(), "engine": engine,
            "workers": workers or (default_workers() if engine == "local" else None), "items": n,
            "failed": state["failed"], "wall_s": round(wall, 3), "item_s": round(state["busy"], 3),
            "item_cpu_s": round(state["cpu"], 3), "coordinator_cpu_s": round(state["coordinator_cpu"], 3),
            "footage_h": round(state["footage"] / 3600, 4),
            "camera_h_per_min": round(state["footage"] / 3600 / (wall / 60), 3) if wall > 0 and n else None}
    with (run.dir / "runs.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def start_audit(config_path: str | os.PathLike, out_dir: str | os.PathLike | None = None, **kwargs) -> AuditOutcome:
    """Plan and run an audit from a fleet.yaml (the `cctv-guard audit FLEET` command)."""
    today = kwargs.pop("today", None)
    home = kwargs.pop("home", None)
    run = create_run(load_fleet(config_path), out_dir, today=today, home=home)
    return execute(run, **kwargs)


def resume_audit(run_dir: str | os.PathLike, **kwargs) -> AuditOutcome:
    """Finish what is left of an audit folder (the `cctv-guard audit --resume DIR` command)."""
    return execute(open_run(run_dir), **kwargs)
