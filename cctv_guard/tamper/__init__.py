"""Tamper detection (Art. 8, 16(7), 17): baseline field of view, drift, picture health, events.

* :mod:`~cctv_guard.tamper.baseline` — a camera's reference view (`build_baseline`) and its file format.
* :mod:`~cctv_guard.tamper.drift` — registration to the baseline: moved, rotated, zoomed, coverage lost.
* :mod:`~cctv_guard.tamper.health` — picture health: blackout, frozen, covered, defocused.
* :mod:`~cctv_guard.tamper.analysis` — one frame against a baseline -> observations (pure).
* :mod:`~cctv_guard.tamper.events` — the temporal state machine: observations -> events.
* :mod:`~cctv_guard.tamper.check` — footage against a baseline (`check_source`).
* :mod:`~cctv_guard.tamper.result` — the `cctv-guard/check@1` result (`CheckResult`).
* :mod:`~cctv_guard.tamper.live` — the same, one frame at a time, for live streams (`LiveChecker`).

The names below are imported on first use (``from cctv_guard.tamper import check_source``), so
importing the package (or its light modules such as `events`) does not load OpenCV or PyAV.
"""

from __future__ import annotations

from cctv_guard.core.lazy import lazy_exports

_EXPORTS = {
    "analysis": ("FrameAnalysis", "analyse_any", "analyse_frame", "analysis_errors", "pick_profile"),
    "baseline": ("ANALYSIS_WIDTH", "FETCH_WIDTH", "GRID", "Baseline", "Profile", "add_profile", "analysis_size",
                 "build_baseline", "build_profile", "check_fits", "colourfulness", "frame_colourfulness", "from_bytes",
                 "load_baseline", "outdated_for", "profile_from_grays", "save_baseline", "to_bytes"),
    "check": ("AUTO_KEYFRAMES_AFTER_S", "SHORT_EVERY_S", "STREAM_EVERY_S", "PrivacyFn", "check_frames", "check_source",
              "prefetch", "sampling_for"),
    "drift": ("Motion", "Registration"),
    "events": ("ARTICLES", "KINDS", "Event", "EventConfig", "EventTracker", "Observation", "events_from"),
    "health": ("Health",),
    "live": ("LiveChecker",),
    "result": ("SCHEMA", "CheckResult", "VisibilitySpan", "visibility_spans"),
}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
