"""Parsing durations and points in time given on the command line or in config files."""

from __future__ import annotations

import re
from datetime import datetime

from cctv_guard.core.errors import ConfigError

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str, what: str = "duration") -> float:
    """``"90"``, ``"60s"``, ``"5m"``, ``"1.5h"``, ``"2d"`` → seconds."""
    m = _DURATION_RE.match(str(text))
    if not m:
        raise ConfigError(f"{what}: expected a duration such as 60s, 5m or 1h, found {text!r}")
    return float(m.group(1)) * _UNIT_S[(m.group(2) or "s").lower()]


def parse_when(text: str, what: str = "time") -> datetime:
    """An ISO date or date-time (``2026-11-20``, ``2026-11-20T08:00``); naive local time."""
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ConfigError(f"{what}: expected an ISO date or time such as 2026-11-20T08:00, found {text!r}") from None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value
