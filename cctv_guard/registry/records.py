"""What the registry keeps about a camera besides its facts: the baselines taken for it and the
history of its checks (rows of the ``baselines`` and ``checks`` tables, as read back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class BaselineRecord:
    """One baseline taken for a camera (the newest is the current one; older ones stay as history)."""

    id: int
    camera_id: str
    sha256: str
    frame_size: tuple[int, int]
    profiles: tuple[str, ...]
    source: str | None  # redacted
    start_s: float | None
    end_s: float | None
    created_at: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "frame_size": list(self.frame_size), "profiles": list(self.profiles),
                "source": self.source, "start_s": self.start_s, "end_s": self.end_s,
                "created_at": self.created_at, "size": self.size}


@dataclass(frozen=True)
class CheckRecord:
    id: int
    camera_id: str
    checked_at: str
    source: str | None  # redacted
    verdict: str
    events: int
    findings: int
    frames_analyzed: int | None
    duration_s: float | None
    report_path: str | None
    kinds: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"checked_at": self.checked_at, "source": self.source, "verdict": self.verdict,
                "events": self.events, "findings": self.findings, "frames_analyzed": self.frames_analyzed,
                "duration_s": self.duration_s, "report_path": self.report_path, "kinds": list(self.kinds)}


class CheckSummary(BaseModel):
    """The part of a ``cctv-guard/check@1`` result the history keeps.

    Deliberately NOT a :class:`cctv_guard.core.config.StrictModel`: this reads a subset of another
    component's output document (a check result with many more keys, and more in later versions of
    check@1), not a file a person writes; forbidding unknown keys would reject every real result."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    verdict: Literal["compliant", "violation", "inconclusive"]
    source: str | None = None
    events: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    frames_analyzed: int | None = None
    duration_s: float | None = None
