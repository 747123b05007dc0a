"""What every command module shares: the consoles, exit codes, one-line errors, option parsers,
the progress adapters (one per display style over core.progress.ProgressFn) and JSON output."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from cctv_guard.core.durations import parse_duration
from cctv_guard.core.errors import CctvGuardError
from cctv_guard.core.text import printable

# Exit codes (docs/cli.md): 0 compliant / nothing found, 1 violations or events found,
# 2 usage or input error (one-line message), 3 internal error.
EXIT_OK, EXIT_FOUND, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

# Diagnostics and tables go to stderr so that `--json -` keeps stdout clean.
# Piped or logged, rich would wrap tables at 80 columns, folding numbers and paths mid-way: off a
# terminal the width is $COLUMNS when set, else wide enough for any table row.
def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    wide = None if stream.isatty() or os.environ.get("COLUMNS") else 240
    return Console(stderr=stderr, highlight=False, width=wide)


err = _console(stderr=True)
out = _console(stderr=False)

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


def esc(value: object) -> str:
    """Text from outside (a path, a camera name, a ledger field, an error naming them) made safe to
    print: rich markup is escaped and control or reordering characters are shown as escapes."""
    from rich.markup import escape

    return escape(printable(value))


def fail(message: str, code: int = EXIT_INPUT) -> "typer.Exit":
    """Print a one-line error (the message is shown as text, never as markup) and return the Exit
    to raise."""
    err.print(f"[bold red]error:[/] {esc(message)}", markup=True, soft_wrap=True)
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


def _option_name(param) -> str:
    return max(getattr(param, "opts", None) or ["value"], key=len)


def output_file(param: typer.CallbackParam, value):
    """Option callback for a file the command will write (FILE or '-' for stdout): its folder
    must already exist and it must not be a folder, so a mistyped path fails before any work is
    done and nothing is created."""
    if value is None or str(value) == "-":
        return value
    path = Path(value).expanduser()
    if path.is_dir():
        raise fail(f"{_option_name(param)}: {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise fail(f"{_option_name(param)}: folder {path.parent} does not exist (nothing was written)")
    return value


MAX_SECONDS = 10 * 366 * 86400.0  # ten years of footage: any offset beyond is a typo


def time_offset(param: typer.CallbackParam, value: Optional[float]) -> Optional[float]:
    """Option callback for --start/--end seconds: a finite number from 0 to ten years."""
    import math

    if value is None:
        return None
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise fail(f"{_option_name(param)}: expected seconds from 0 to {MAX_SECONDS:.0f}, got {value!r}")
    return value


def emit_json(doc: dict, dest: str) -> None:
    """Write a JSON document to stdout ('-') or atomically to a file."""
    import json as _json

    from cctv_guard.core.atomic import write_atomic
    from cctv_guard.core.text import json_safe

    text = json_safe(_json.dumps(doc, ensure_ascii=False, indent=2))  # a non-UTF-8 file name cannot fail the write
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


def plain_ticker(label: str, every_s: float = 5.0):
    """When stderr is not a terminal (piped, logged) the rich bars are off: this ProgressFn prints a
    plain line at most every `every_s` seconds instead, so long work still shows a sign of life."""
    import time

    last = [time.monotonic()]

    def tick(p) -> None:
        now = time.monotonic()
        if err.is_terminal or now - last[0] < every_s:
            return
        last[0] = now
        total = f"/{p.total:.0f}" if p.total else ""
        detail = f" ({printable(p.detail)})" if p.detail else ""
        err.print(f"{label}: {p.done:.0f}{total} {p.unit}{detail}", markup=False, highlight=False, soft_wrap=True)

    return tick


def tamper_progress(label: str):
    """A rich progress bar on stderr and the core.progress.ProgressFn (seconds of footage) feeding it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed:.0f}/{task.fields[total_s]} s"),
                   TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(label, total=None, total_s="?")
    ticker = plain_ticker(label)

    def update(p) -> None:  # a core.progress.Progress in seconds
        bar.update(task, completed=p.done, total=p.total, total_s=f"{p.total:.0f}" if p.total else "?")
        ticker(p)

    return bar, update


def archive_progress(label: str):
    """A rich spinner on stderr for work counted in files or bytes, and the ProgressFn feeding it."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(label, total=None)
    ticker = plain_ticker(label)

    def update(p) -> None:
        total = f"/{p.total:.0f}" if p.total else ""  # p: a cctv_guard.core.progress.Progress
        bar.update(task, description=f"{label}: {p.done:.0f}{total} {p.unit}" + (f", {esc(p.detail)}" if p.detail else ""))
        ticker(p)

    return bar, update
