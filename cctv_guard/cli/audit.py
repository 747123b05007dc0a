"""`audit`: the nightly fleet audit."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    DB_OPTION,
    HOME_OPTION,
    err,
    esc,
    fail,
)

# --- fleet audit (issue 5) ---------------------------------------------------------------------


class _AuditProgressView:
    """Renders the library's AuditProgress callbacks: a rich bar with items/s and ETA on a
    terminal, a plain log line every `every_s` seconds (and at the end) otherwise."""

    def __init__(self, every_s: float = 10.0):
        import time as _time

        self._time = _time
        self.every_s = every_s
        self.bar = None
        self.task = None
        self.t0 = _time.monotonic()
        self.last_line = 0.0

    def __enter__(self):
        if err.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("audit"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                                TextColumn("{task.fields[failed]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                TimeRemainingColumn(), console=err, transient=False)
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def __call__(self, p) -> None:
        now = self._time.monotonic()
        elapsed = max(now - self.t0, 1e-6)
        ran = p.done - p.resumed
        rate = f"{ran / elapsed:.2f} items/s, {p.footage_s / 3600 / (elapsed / 60):.1f} camera-h/min"
        failed = f"{p.failed} failed" if p.failed else ""
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task("audit", total=p.total, completed=p.resumed, rate="", failed="")
            self.bar.update(self.task, completed=p.done, rate=rate, failed=failed)
            return
        if p.last is None or p.done == p.total or now - self.last_line >= self.every_s:
            self.last_line = now
            left = p.total - p.done
            eta = f", ETA {int(left * elapsed / ran) // 60}:{int(left * elapsed / ran) % 60:02d}" if ran and left else ""
            err.print(f"audit: {p.done:.0f}/{p.total:.0f} {p.unit} ({p.detail}), {rate}{eta}",
                      markup=False, highlight=False, soft_wrap=True)


AUDIT_HELP = """Audit a fleet: check every camera's recordings of a day (or days) and write a morning report.

FLEET is a fleet.yaml naming the registry, where the recordings are (a path template such as
/nvr/{camera}/{date:%Y%m%d}/*.mp4, or an NVR export folder), the window, sampling, checks,
outputs and where to send the summary (see docs/audit.md). Each camera x recording is one work
item, checked in parallel: `--engine local` (a process pool, one worker per core) or
`--engine ray` (a Ray cluster; recordings and baselines on a shared mount). Results are written
as they complete; after a crash, `--resume DIR` finishes only what is left.

Outputs in the --out folder: checks/<camera>/*.json (check@1, plus .html), summary.json,
summary.csv, summary.html (counts by verdict, article and district, and a map); the registry's
check history is updated.

Exit codes: 0 every recording checked and no violation; 1 violations found (even if some
recordings could not be checked); 2 no violation but some recordings could not be checked
(missing, corrupt, timed out: listed in the summary), or a bad fleet.yaml / option; 3 internal
error.

Examples:

  cctv-guard audit fleet.yaml --out audits/2026-11-28/

  cctv-guard audit fleet.yaml --date yesterday --workers 2

  cctv-guard audit fleet.yaml --engine ray --address auto

  cctv-guard audit --resume audits/2026-11-28/
"""


def audit_cmd(
    fleet: Optional[Path] = typer.Argument(None, metavar="FLEET", help="fleet.yaml (not with --resume)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", metavar="DIR", help="Output folder (default: fleet.yaml's outputs.dir, else audits/<date> beside it)."),
    resume: Optional[Path] = typer.Option(None, "--resume", metavar="DIR", help="Finish an interrupted audit in DIR (only the items without a result)."),
    engine: Optional[str] = typer.Option(None, "--engine", help="local (process pool) or ray (default: fleet.yaml's engine.kind, else local)."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address, e.g. auto or ray://head:10001 (default: a local Ray)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", min=1, help="Parallel workers (default: one per core; Ray: the cluster's CPUs)."),
    day: Optional[str] = typer.Option(None, "--date", metavar="DAY", help="Audit this day (YYYY-MM-DD, yesterday, today) instead of fleet.yaml's window."),
    home: Optional[Path] = HOME_OPTION,
    db: Optional[str] = DB_OPTION,
    retry_failed: bool = typer.Option(False, "--retry-failed", help="With --resume: also re-run the items that failed."),
) -> None:

    from cctv_guard import fleet as _audit
    from cctv_guard.fleet.config import WindowConfig, load_fleet

    if (fleet is None) == (resume is None):
        raise fail("give a fleet.yaml to start an audit, or --resume DIR to finish one (not both)")
    if resume is not None and (out_dir or day or home or db):
        raise fail("--out, --date, --home and --db apply to a new audit, not to --resume")
    if retry_failed and resume is None:
        raise fail("--retry-failed only applies with --resume")
    if engine is not None and engine not in ("local", "ray"):
        raise fail(f"--engine must be local or ray, not {engine!r}")
    if resume is not None:
        run = _audit.open_run(resume)
    else:
        cfg = load_fleet(fleet)
        if day is not None:
            try:
                window = WindowConfig.model_validate({"date": day})
            except ValueError:
                raise fail(f"--date: expected YYYY-MM-DD, yesterday or today, not {day!r}") from None
            cfg = cfg.model_copy(update={"window": window})
        run = _audit.create_run(cfg, out_dir, home=str(home) if home else None, db=db)
    err.print(f"audit of {len(run.plan.cameras)} cameras, {len(run.plan.items)} recordings "
              f"({', '.join(run.plan.days) if len(run.plan.days) <= 3 else run.plan.days[0] + ' … ' + run.plan.days[-1]}) "
              f"-> {esc(str(run.dir))}", soft_wrap=True)
    import signal

    def _terminate(signum, frame):  # systemctl stop / kill: stop like Ctrl-C (workers killed, results kept)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with _AuditProgressView() as view:
            outcome = _audit.execute(run, engine=engine, workers=workers, address=address, progress=view,
                                     retry_failed=retry_failed)
    except KeyboardInterrupt:
        err.print(f"interrupted: {len(run.done_ids())} of {len(run.plan.items)} recordings are done and kept; "
                  f"finish with: cctv-guard audit --resume {esc(str(run.dir))}", soft_wrap=True)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    s = outcome.summary
    counts = ", ".join(f"{n} {v}" for v, n in s["by_verdict"].items()) or "no cameras"
    missing = sum(1 for f in s["failures"] if str(f.get("reason", "")).startswith("no recordings found"))
    failed = s["totals"]["items_failed"] - missing
    checked = s["totals"]["items_done"] - s["totals"]["items_failed"]
    err.print(f"cameras: {counts}; recordings: {checked} checked, {failed} failed"
              + (f", {missing} camera-day(s) without recordings" if missing else "")
              + f"; {s['totals']['footage_h']:.2f} h of footage in {outcome.wall_s:.0f} s", soft_wrap=True)
    for w in outcome.warnings:
        err.print(f"[yellow]warning:[/] {esc(w)}", soft_wrap=True)
    for note, cams in s.get("baseline_notes", {}).items():
        err.print(f"[yellow]note:[/] {len(cams)} camera(s), e.g. {esc(cams[0])}: {esc(note)}", soft_wrap=True)
    for f in outcome.files:
        err.print(f"wrote {esc(str(f))}", soft_wrap=True)
    raise typer.Exit(outcome.exit_code)
