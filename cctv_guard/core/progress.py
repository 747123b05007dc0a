"""The one shape of progress reporting. Long-running library functions take an optional
``progress: ProgressFn`` and call it with a :class:`Progress` now and then; the CLI turns those
calls into a progress bar (``cctv_guard.cli.common.progress_bar``), other callers may log them
or ignore them. Library code never prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Progress:
    done: float  # work done so far, in `unit`
    total: Optional[float] = None  # the whole, when known
    unit: str = ""  # "s" (seconds of footage), "files", "items", "cameras", ...
    detail: str = ""  # a short note for the bar: the current file, bytes hashed, ...


ProgressFn = Callable[[Progress], None]


def report(progress: ProgressFn | None, done: float, total: float | None = None, unit: str = "", detail: str = "") -> None:
    """Call `progress` if there is one (saves every caller the None check)."""
    if progress is not None:
        progress(Progress(float(done), None if total is None else float(total), unit, detail))
