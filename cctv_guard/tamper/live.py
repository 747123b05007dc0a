"""Incremental checking for live streams: one frame in, event openings and closings out.

The same per-frame analysis (`analysis.analyse_frame`) and event state machine (`events`) as a
batch `check`, fed one frame at a time. Times are whatever clock the caller uses (the watcher
uses seconds since it started, so they stay monotonic across reconnects).
"""

from __future__ import annotations

import numpy as np

from cctv_guard.tamper.baseline import Baseline
from cctv_guard.tamper.analysis import RecentFrames, analyse_any, analysis_errors
from cctv_guard.tamper.events import EventConfig, EventTracker


class LiveChecker:
    def __init__(self, baseline: Baseline, config: EventConfig | None = None, *, nominal_interval: float = 0.5):
        self.baseline = baseline
        self.tracker = EventTracker(config)
        self._prev_gray: np.ndarray | None = None
        self._prev_t: float | None = None
        self._recent = RecentFrames()
        self._interval = nominal_interval
        self._seen_open = 0
        self._seen_closed = 0

    def reset_continuity(self) -> None:
        """After a reconnect: don't compare the next frame with one from before the gap."""
        self._prev_gray = None
        self._prev_t = None
        self._recent.clear()

    def feed(self, image, t: float) -> list[tuple[str, dict]]:
        """Analyse one frame at time `t` (a BGR array, or a `media.Frame`: then measured from
        its decoded picture without a BGR copy); return [("open"|"closed", event_json), ...]."""
        if self._prev_t is not None and t > self._prev_t:
            step = t - self._prev_t
            self._interval = 0.8 * self._interval + 0.2 * min(step, 5.0)
        try:
            fa, gray = analyse_any(image, t, self.baseline, self._prev_gray, self._recent.older(t))
        except analysis_errors():
            return []  # an undetermined frame neither confirms nor breaks a run
        self.tracker.update(t, self._interval, fa.observations)
        self._prev_gray, self._prev_t = gray, t
        self._recent.add(t, gray)
        changes: list[tuple[str, dict]] = []
        for ev in self.tracker.opened[self._seen_open:]:
            changes.append(("open", ev.to_json()))
        self._seen_open = len(self.tracker.opened)
        for ev in self.tracker.closed[self._seen_closed:]:
            changes.append(("closed", ev.to_json()))
        self._seen_closed = len(self.tracker.closed)
        return changes
