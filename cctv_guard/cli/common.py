"""What every command module shares: the consoles, exit codes, one-line errors, option parsers,
the progress adapters (one per display style over core.progress.ProgressFn) and JSON output."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from cctv_guard.core.durations import parse_duration
from cctv_guard.core.errors import CctvGuardError

# Exit codes (docs/cli.md): 0 compliant / nothing found, 1 violations or events found,
# 2 usage or input error (one-line message), 3 internal error.
EXIT_OK, EXIT_FOUND, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

# Diagnostics and tables go to stderr so that `--json -` keeps stdout clean.
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

HOME_HELP = "cctv-guard home (registry, keys, ledger); default $CCTV_GUARD_HOME or ~/.local/share/cctv-guard."
DB_HELP = "Shared registry: postgresql://user:pass@host/db (default: $CCTV_GUARD_DB)."
# The same --home / --db options on every command that touches the registry or the home folder,
# accepted after the subcommand (and, for `camera`, also before it).
HOME_OPTION = typer.Option(None, "--home", metavar="DIR", help=HOME_HELP)
DB_OPTION = typer.Option(None, "--db", metavar="URL", help=DB_HELP)

ZONE_HELP = ("A named polygon in footage pixels, NAME=x1,y1;x2,y2;x3,y3 (repeatable). 'must_see' (any name) is "
             "checked for coverage; names starting with 'privacy' are privacy masks.")


class Lang(str, Enum):
    """Language of printed text and reports."""

    zh = "zh"
    en = "en"
    both = "both"


def fail(message: str, code: int = EXIT_INPUT) -> "typer.Exit":
    """Print a one-line error and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def seconds_option(value: Optional[str], what: str) -> Optional[float]:
    """Option parser for durations: 0.5, 0.5s, 500ms, 2m -> seconds (must be positive)."""
    if value is None:
        return None
    try:
        seconds = parse_duration(value, what)
    except CctvGuardError as exc:
        raise typer.BadParameter(str(exc)) from None
    if seconds <= 0:
        raise typer.BadParameter(f"{what} must be more than 0 seconds, got {value!r}")
    return seconds


def emit_json(doc: dict, dest: str) -> None:
    """Write a JSON document to stdout ('-') or atomically to a file."""
    import json as _json

    from cctv_guard.core.atomic import write_atomic

    text = _json.dumps(doc, ensure_ascii=False, indent=2)
    if dest == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    try:
        write_atomic(Path(dest), text + "\n")
    except OSError as exc:
        raise fail(f"cannot write {dest}: {exc.strerror or exc}") from None


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def tamper_progress(label: str):
    """A rich progress bar on stderr and the core.progress.ProgressFn (seconds of footage) feeding it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed:.0f}/{task.fields[total_s]} s"),
                   TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(label, total=None, total_s="?")

    def update(p) -> None:  # a core.progress.Progress in seconds
        bar.update(task, completed=p.done, total=p.total, total_s=f"{p.total:.0f}" if p.total else "?")

    return bar, update


def archive_progress(label: str):
    """A rich spinner on stderr for work counted in files or bytes, and the ProgressFn feeding it."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(label, total=None)

    def update(p) -> None:
        total = f"/{p.total:.0f}" if p.total else ""  # p: a cctv_guard.core.progress.Progress
        bar.update(task, description=f"{label}: {p.done:.0f}{total} {p.unit}" + (f", {p.detail}" if p.detail else ""))

    return bar, update
