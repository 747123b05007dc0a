"""The result of a check: the `cctv-guard/check@1` document (DESIGN.md §3) and its parts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from cctv_guard import __version__
from cctv_guard.tamper.events import Event

SCHEMA = "cctv-guard/check@1"


@dataclass(frozen=True)
class VisibilitySpan:
    """Reduced visibility (fog, darkness, glare, dirt) that is not tampering."""

    start_s: float
    end_s: float
    min_texture_ratio: float

    def to_json(self) -> dict:
        return {"kind": "degraded", "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "min_texture_ratio": round(self.min_texture_ratio, 3)}


@dataclass(frozen=True)
class CheckResult:
    source: str
    camera_id: str | None
    frames_analyzed: int
    duration_s: float | None
    events: tuple[Event, ...]
    findings: tuple[dict, ...] = ()
    frames_undetermined: int = 0
    corrupt_skipped: int = 0
    visibility: tuple[VisibilitySpan, ...] = ()
    sampling: dict = field(default_factory=dict)
    profiles_used: dict = field(default_factory=dict)
    # event index -> the frame that confirmed it (not in the JSON; reports draw it)
    event_frames: dict = field(default_factory=dict, repr=False, compare=False)
    notes: tuple[str, ...] = ()  # what the user should know about this check (e.g. an outdated baseline)
    tool_version: str = __version__

    @property
    def verdict(self) -> str:
        if self.events or self.findings:
            return "violation"
        if self.frames_analyzed == 0:
            return "inconclusive"
        return "compliant"

    def to_json(self) -> dict:
        """The `cctv-guard/check@1` document (DESIGN.md §3), plus diagnostic keys after them."""
        return {
            "schema": SCHEMA,
            "source": self.source,
            "camera_id": self.camera_id,
            "tool_version": self.tool_version,
            "frames_analyzed": self.frames_analyzed,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "verdict": self.verdict,
            "events": [e.to_json() for e in self.events],
            "findings": [dict(f) for f in self.findings],
            "frames_undetermined": self.frames_undetermined,
            "corrupt_skipped": self.corrupt_skipped,
            "visibility": [v.to_json() for v in self.visibility],
            "sampling": dict(self.sampling),
            "profiles_used": dict(self.profiles_used),
            "notes": list(self.notes),
        }


def visibility_spans(flags: Sequence[tuple[float, bool, float]], min_s: float) -> tuple[VisibilitySpan, ...]:
    """Spans of reduced visibility at least `min_s` long, from per-frame (t, degraded, texture ratio)."""
    spans, start, worst, last = [], None, 1.0, None
    for t, flag, tex in list(flags) + [(math.inf, False, 1.0)]:
        if flag:
            if start is None:
                start, worst = t, tex
            worst = min(worst, tex)
            last = t
        elif start is not None:
            if last - start >= min_s:
                spans.append(VisibilitySpan(start, last, worst))
            start = None
    return tuple(spans)
