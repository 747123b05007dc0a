"""Running an audit: its output folder (the frozen plan in DIR/audit.json, one record per
finished item), executing what is left with an engine, and finishing (summary files, the
registry's check history, notification, a line in DIR/runs.jsonl). Everything lives in the
folder, so `resume_audit(DIR)` needs nothing else.

Shape of a run::

    DIR/audit.json                    the run: the validated fleet config and the frozen plan
    DIR/items/<item>.json             one record per finished work item (its presence = done)
    DIR/checks/<camera>/<item>.json   the item's cctv-guard/check@1 result (+ .html report)
    DIR/summary.{json,csv,html}       the fleet summary (rebuilt from items/ at the end)
    DIR/registry.log                  items already appended to the registry's check history
    DIR/runs.jsonl                    one line of timing per invocation (engine, workers, speed)

Each finished item is written atomically (temp file + rename) by the coordinating process as
soon as it completes, so a kill -9 loses at most the items in flight.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from cctv_guard import __version__
from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import CctvGuardError, ConfigError
from cctv_guard.core.progress import Progress, ProgressFn
from cctv_guard.fleet.config import FleetConfig, load_fleet
from cctv_guard.fleet.engines import default_workers, run_local, run_ray
from cctv_guard.fleet.plan import CameraMeta, Plan, WorkItem, check_relpath, plan_audit
from cctv_guard.fleet.summary import notify, summarise, write_json, write_summary_files
from cctv_guard.fleet.work import Work, check_item

RUN_SCHEMA = "cctv-guard/audit-run@1"


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
               home: str | None = None, db: str | None = None) -> AuditRun:
    """Plan the audit and write DIR/audit.json. A folder that already holds an audit is refused
    (use `resume`)."""
    plan = plan_audit(cfg, today=today, home=home, db=db)
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
    write_json(d / "audit.json", doc, private=True)  # the config may hold a database URL or webhook credentials
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
    if rec["status"] == "ok" and rec.get("check") is not None:
        cp = run.check_path(rec)
        write_json(cp, rec["check"])
        if page is not None:
            write_output(cp.with_suffix(".html"), page)
    write_json(run.record_path(rec["item_id"]), rec)


@dataclass(frozen=True)
class AuditProgress(Progress):
    """What `execute` reports after each item: a `core.progress.Progress` counting items (`done`
    includes those finished by earlier runs; `detail` reads "N failed this run, M done before"),
    plus the audit's own figures for a richer display."""

    failed: int = 0  # items failed in this run
    resumed: int = 0  # items already done when this run started
    footage_s: float = 0.0  # footage checked in this run
    last: dict | None = None  # the record just finished (None in the first report)


def _audit_progress(done: int, total: int, failed: int, resumed: int, footage_s: float, last: dict | None) -> AuditProgress:
    return AuditProgress(float(done), float(total), "items", f"{failed} failed this run, {resumed} done before",
                         failed=failed, resumed=resumed, footage_s=footage_s, last=last)


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
    from cctv_guard.registry import open_registry

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
            progress(_audit_progress(state["done"], total, state["failed"], resumed, state["footage"], rec))

    if progress is not None:
        progress(_audit_progress(resumed, total, 0, resumed, 0.0, None))
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
    files = write_summary_files(run.dir, run.config, summary)
    warnings = []
    _n, warn = update_registry(run, records)
    if warn:
        warnings.append(warn)
    warnings += notify(run.config, summary)
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
