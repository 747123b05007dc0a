"""Check: footage against a baseline -> tamper events (the `cctv-guard/check@1` result).

The pipeline: decode frames (at most FETCH_WIDTH wide), measure each against the baseline
(`analysis.analyse_frame`, pure), turn the per-frame observations into events with the temporal
state machine (`events`), add signal loss from the decoder's statistics, optionally pass a few
representative frames to a privacy scan, and return a `result.CheckResult`.

Default sampling (``every=None, keyframes_only=False``): video files longer than
AUTO_KEYFRAMES_AFTER_S are read keyframes-only (the decoder skips every inter frame, so a
check runs at the speed of decoding keyframes: about 0.5 analysed frames/s with a keyframe
every 2 s); shorter files are decoded fully and sampled every SHORT_EVERY_S (so a tamper is
seen within fractions of a second); streams are sampled every STREAM_EVERY_S; image folders
use every image.
"""

from __future__ import annotations

import os
import statistics
from typing import Callable, Iterable

import numpy as np

from cctv_guard.core.memory import reuse_frame_memory
from cctv_guard.core.progress import ProgressFn, report
from cctv_guard.media.sources import inter_coded, open_source, truncated_input_error
from cctv_guard.tamper.analysis import RecentFrames, analyse_any, analysis_errors
from cctv_guard.tamper.baseline import FETCH_WIDTH, Baseline, check_fits, outdated_for
from cctv_guard.tamper.events import ARTICLES, Event, EventConfig, EventTracker
from cctv_guard.tamper.result import CheckResult, visibility_spans

AUTO_KEYFRAMES_AFTER_S = 300.0
SHORT_EVERY_S = 0.2
STREAM_EVERY_S = 0.5
MAX_PRIVACY_FRAMES = 8
GAP_S = 10.0  # a hole this long in the timestamps is a signal loss

PrivacyFn = Callable[[list], list]


# --- the pipeline -----------------------------------------------------------------------------------------


class _Representatives:
    """Up to MAX_PRIVACY_FRAMES frames spread over the footage (decimating as it grows)."""

    def __init__(self, limit: int = MAX_PRIVACY_FRAMES):
        self.limit = limit
        self.stride = 1
        self.frames: list = []
        self.seen = 0

    def offer(self, frame) -> None:
        if self.seen % self.stride == 0:
            self.frames.append(frame)
            if len(self.frames) >= 2 * self.limit:
                self.frames = self.frames[::2]
                self.stride *= 2
        self.seen += 1

    def pick(self) -> list:
        if len(self.frames) <= self.limit:
            return list(self.frames)
        idx = np.linspace(0, len(self.frames) - 1, self.limit).round().astype(int)
        return [self.frames[i] for i in idx]


def check_frames(
    frames: Iterable,
    baseline: Baseline,
    *,
    config: EventConfig | None = None,
    nominal_interval: float | None = None,
    progress: ProgressFn | None = None,
    window: tuple[float, float | None] = (0.0, None),
    keep: Callable[[object], None] | None = None,
    on_confirmed: Callable[[float, object], None] | None = None,
) -> tuple[EventTracker, int, int, list, float | None, float | None, dict]:
    """Run the per-frame analysis and the state machine over `Frame`s (no I/O). `progress`
    hears the seconds checked since `window`'s start, out of its length (None: unknown)."""
    reuse_frame_memory()
    tracker = EventTracker(config)
    prev_gray = None
    prev_t = None
    recent = RecentFrames()
    analysed = undetermined = 0
    vis_flags: list = []
    first_t = last_t = None
    profiles: dict[str, int] = {}
    intervals: list[float] = []
    for frame in frames:
        t = float(frame.t)
        if prev_t is not None:
            step = t - prev_t
            # (the median of every interval so far only matters for steps longer than GAP_S)
            if step > GAP_S and step > 5 * (statistics.median(intervals) if intervals else 0.0):
                tracker.add(
                    Event("signal_lost", ARTICLES["signal_lost"], prev_t, t, prev_t, 0.9, {"gap_s": round(step, 3)},
                          (f"no frames between {prev_t:.2f}s and {t:.2f}s",))
                )
                prev_gray = None  # do not call a frame 'frozen' across a gap
                recent.clear()
            else:
                intervals.append(step)
        interval = float(statistics.median(intervals[-50:])) if intervals else (nominal_interval or 0.2)
        try:
            fa, gray = analyse_any(frame, t, baseline, prev_gray, recent.older(t))
        except analysis_errors():
            undetermined += 1
            prev_t = t
            continue
        if first_t is None:
            first_t = t
        last_t = t
        analysed += 1
        profiles[fa.profile] = profiles.get(fa.profile, 0) + 1
        confirmed = len(tracker.opened)
        tracker.update(t, interval, fa.observations)
        if on_confirmed is not None and len(tracker.opened) > confirmed:
            on_confirmed(t, frame)  # the frame that confirmed an event: the report's picture of it
        vis_flags.append((t, fa.degraded, fa.health.texture_ratio))
        prev_gray, prev_t = gray, t
        recent.add(t, gray)
        if keep is not None:
            keep(frame)
        report(progress, max(0.0, t - window[0]), window[1], "s")
    return tracker, analysed, undetermined, vis_flags, first_t, last_t, profiles


class _EventShots:
    """The frames at which events were confirmed (a bounded few), kept so that reports picture
    the events without decoding the footage again (a stream cannot be re-read at all)."""

    limit = 64

    def __init__(self) -> None:
        self.frames: dict[float, np.ndarray] = {}

    def offer(self, t: float, frame) -> None:
        if len(self.frames) < self.limit:
            self.frames[t] = frame.image

    def for_events(self, events) -> dict[int, np.ndarray]:
        return {i: self.frames[e.confirmed_s] for i, e in enumerate(events) if e.confirmed_s in self.frames}


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def prefetch(frames: Iterable, depth: int = 8):
    """Decode ahead in a worker thread while the caller analyses (PyAV and OpenCV release the
    GIL, so on two cores decoding and analysis overlap). Errors are re-raised in the caller."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in frames:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            put(_Failed(exc))

    worker = threading.Thread(target=work, name="cctv-guard-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join(timeout=10)
        close = getattr(frames, "close", None)
        if close is not None and not worker.is_alive():
            close()


def sampling_for(info, every: float | None, keyframes_only: bool) -> tuple[float | None, bool, str]:
    """The decoding mode actually used, and a word for it (see the module docstring)."""
    if every is not None or keyframes_only:
        return every, keyframes_only, "explicit"
    if info.kind == "stream":
        return STREAM_EVERY_S, False, "auto-stream"
    if info.kind == "video":
        if info.duration_s is not None and info.duration_s > AUTO_KEYFRAMES_AFTER_S:
            return None, True, "auto-keyframes"
        return SHORT_EVERY_S, False, "auto-short"
    return None, False, "auto-images"


def check_source(
    uri: str | os.PathLike,
    baseline: Baseline,
    *,
    every: float | None = None,
    keyframes_only: bool = False,
    start: float | None = None,
    end: float | None = None,
    progress: ProgressFn | None = None,
    privacy_fn: PrivacyFn | None = None,
    camera_id: str | None = None,
    config: EventConfig | None = None,
    threads: int | None = None,
) -> CheckResult:
    """Check footage against a baseline. Raises SourceError/BaselineError for bad input;
    bad frames inside good footage are counted as undetermined.

    `threads`: None uses every core (the decoder's own threads, and decoding runs ahead in a
    thread of its own while frames are analysed); 1 decodes and analyses in the calling thread
    only: what a pool worker that owns one core wants (the fleet audit, Ray's one-CPU tasks).
    `progress` hears the seconds of footage checked, out of the window's length when known."""
    with open_source(uri) as src:
        info = src.info
        check_fits(baseline, (info.width, info.height))
        notes = tuple(outdated_for(baseline, inter_coded(info)))
        every, keyframes_only, mode = sampling_for(info, every, keyframes_only)
        lo = start or 0.0
        hi = end if end is not None else info.duration_s
        reps = _Representatives()
        shots = _EventShots()
        # sampled footage: every keyframe is analysed too (a frozen picture shows at keyframes)
        frames = src.frames(every=every, keyframes_only=keyframes_only, start=start, end=end, max_width=FETCH_WIDTH,
                            threads=threads, with_keyframes=0.0 if every is not None else None)
        if threads is None or threads > 1:
            frames = prefetch(frames)
        tracker, analysed, undetermined, vis_flags, first_t, last_t, profiles = check_frames(
            frames,
            baseline,
            config=config,
            nominal_interval=every,
            progress=progress,
            window=(lo, (hi - lo) if hi is not None else None),
            keep=reps.offer if privacy_fn is not None else None,
            on_confirmed=shots.offer,
        )
        stats = src.stats
        expected_end = hi
    if stats.truncated:  # a file cut short is bad input, not a signal lost (issue 13 item 6)
        raise truncated_input_error(info, stats)
    if stats.stalled or stats.ended_early or (
        expected_end is not None and last_t is not None and end is None and info.kind == "video"
        and expected_end - last_t > max(GAP_S, 3 * (every or 2.0))
    ):
        at = last_t if last_t is not None else lo
        tracker.add(
            Event(
                "signal_lost", ARTICLES["signal_lost"], at, None, at, 0.9,
                {"stalled": stats.stalled, "ended_early": True, "expected_end_s": expected_end, "last_frame_s": last_t,
                 "decoded": stats.decoded, "corrupt_skipped": stats.corrupt_skipped},
                (f"the {'stream stalled' if stats.stalled else 'footage ended'} at {at:.2f}s"
                 + (f" of an expected {expected_end:.2f}s" if expected_end else ""),),
            )
        )
    events = tracker.finish()
    findings: list = []
    if privacy_fn is not None and analysed:
        findings = list(privacy_fn(reps.pick()) or [])
    if first_t is None:
        duration = None
    elif start is None and end is None and info.duration_s:
        duration = float(info.duration_s)
    else:
        duration = float(last_t - first_t)
    interval = every or 0.5
    return CheckResult(
        event_frames=shots.for_events(events),
        source=info.uri,
        camera_id=camera_id,
        frames_analyzed=analysed,
        duration_s=duration,
        events=events,
        findings=tuple(findings),
        frames_undetermined=undetermined,
        corrupt_skipped=stats.corrupt_skipped,
        visibility=visibility_spans(vis_flags, min_s=2 * interval),
        sampling={"mode": mode, "every_s": every, "keyframes_only": keyframes_only},
        profiles_used=profiles,
        notes=notes,
    )
