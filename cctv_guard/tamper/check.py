"""Check: footage against a baseline -> tamper events (the `cctv-guard/check@1` result).

The pipeline: decode frames (at most FETCH_WIDTH wide), pick the lighting profile that fits
each frame, measure health and drift against it (`analyse_frame`, pure), turn the per-frame
observations into events with the temporal state machine (`events`), add signal loss from
the decoder's statistics, and optionally pass a few representative frames to a privacy scan.

Default sampling (``every=None, keyframes_only=False``): video files longer than
AUTO_KEYFRAMES_AFTER_S are read keyframes-only (the decoder skips every inter frame, so a
check runs at the speed of decoding keyframes: about 0.5 analysed frames/s with a keyframe
every 2 s); shorter files are decoded fully and sampled every SHORT_EVERY_S (so a tamper is
seen within fractions of a second); streams are sampled every STREAM_EVERY_S; image folders
use every image.
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from cctv_guard import __version__
from cctv_guard.tamper import drift
from cctv_guard.tamper import health
from cctv_guard.tamper.baseline import (
    FETCH_WIDTH,
    GRID,
    Baseline,
    Profile,
    analysis_gray,
    check_fits,
    colourfulness,
    frame_colourfulness,
    outdated_for,
)
from cctv_guard.tamper.events import ARTICLES, CLEAR, ON, SUSTAIN, Event, EventConfig, EventTracker, Observation
from cctv_guard.core.memory import reuse_frame_memory

SCHEMA = "cctv-guard/check@1"
AUTO_KEYFRAMES_AFTER_S = 300.0
SHORT_EVERY_S = 0.2
STREAM_EVERY_S = 0.5
MAX_PRIVACY_FRAMES = 8
GAP_S = 10.0  # a hole this long in the timestamps is a signal loss

# drift thresholds (ON, SUSTAIN)
MOVED_PCT = (3.0, 1.5)  # centre shift, % of the frame (x of the width, y of the height)
ROLL_DEG = (2.0, 1.0)
ZOOM = (0.07, 0.035)  # |scale - 1|
COVERAGE_IOU = (0.75, 0.85)
ZONE_VISIBLE = (0.9, 0.95)
# health thresholds (ON, SUSTAIN)
COVER_FRACTION = (0.2, 0.1)
COVER_SETTLED = 0.3  # a cover decides once at most this share of its lost cells still moves
FULL_COVER = 0.85
DEFOCUS_RATIO = (0.62, 0.75)
# heavy blur leaves mostly compression noise, which keeps the fine-detail ratio up: then the
# loss of texture with the structure still in place (likeness) tells defocus
DEFOCUS_TEXTURE = 0.45
DEFOCUS_SOFT_RATIO = 0.8
DEFOCUS_LIKENESS = 0.6
DEGRADED_TEXTURE = 0.6
UNMATCHED_SHARPNESS = 0.7
UNMATCHED_LIKENESS = 0.3
UNMATCHED_TEXTURE_P90 = 1.0  # a real new view has places at least as textured as the baseline's
UNMATCHED_TEXTURE = 0.15  # ...and is not flat overall (a cloth or hand over the lens is)
# a registration on fewer feature matches than this does not outweigh a cover: a sheet over half
# the lens leaves a few stray matches whose homography wobbles (a real move keeps 45 or more)
WEAK_INLIERS = 30

Progress = Callable[[float, float | None], None]
PrivacyFn = Callable[[list], list]


# --- per frame (pure) -----------------------------------------------------------------------------


def pick_profile(baseline: Baseline, colour: float, gray: np.ndarray) -> Profile:
    """The lighting profile that fits a frame best: colour vs greyscale (IR, `colour` is the
    frame's `colourfulness`), then brightness."""
    if len(baseline.profiles) == 1:
        return next(iter(baseline.profiles.values()))
    luma = float(gray.mean())

    def distance(p: Profile) -> float:
        return abs(math.log((luma + 10.0) / (p.luma_mean + 10.0))) + abs(colour - p.colour) / 10.0

    return min(baseline.profiles.values(), key=distance)


@dataclass(frozen=True)
class FrameAnalysis:
    t: float
    profile: str
    health: health.Health
    registration: drift.Registration
    motion: drift.Motion | None
    observations: dict  # kind -> Observation | None
    degraded: bool  # visibility reduced (fog, darkness, glare) without tampering


def _level(value: float, on: float, sustain: float, *, below: bool = False) -> int:
    if below:
        return ON if value < on else SUSTAIN if value < sustain else CLEAR
    return ON if value >= on else SUSTAIN if value >= sustain else CLEAR


def analyse_frame(
    image: np.ndarray | None,
    t: float,
    baseline: Baseline,
    prev_gray: np.ndarray | None,
    *,
    gray: np.ndarray | None = None,
    colour: float | None = None,
    keyframe: bool | None = None,
) -> tuple[FrameAnalysis, np.ndarray]:
    """Measure one frame (a BGR `image`, or its grey analysis image `gray` plus, for baselines
    with several lighting profiles, its `colour`fulness; `keyframe`: whether it was a keyframe of
    its footage, None if not known); returns the analysis and the grey analysis image (for the
    next frame)."""
    if gray is None:
        gray = analysis_gray(image, baseline.analysis_size)
    if colour is None and len(baseline.profiles) > 1:
        colour = colourfulness(image)
    prof = pick_profile(baseline, colour or 0.0, gray)
    h = health.measure(gray, prof, prev_gray, GRID, keyframe)
    obs: dict[str, Observation | None] = {}

    obs["blackout"] = Observation(
        ON if h.blackout else SUSTAIN if h.luma < 2 * health.BLACKOUT_LUMA else CLEAR,
        severity=1.0 - min(1.0, h.luma / (2 * health.BLACKOUT_LUMA)),
        details={"luma": round(h.luma, 1), "luma_std": round(h.luma_std, 2)},
        evidence=f"mean brightness {h.luma:.1f}/255, contrast {h.luma_std:.1f}",
    )
    if h.frame_diff is None:
        obs["frozen"] = None
    else:
        at_key = health.judged_at_keyframe(prof, keyframe)
        live = prof.key_noise if at_key else prof.noise
        obs["frozen"] = Observation(
            ON if h.frozen else CLEAR,
            severity=1.0 - min(1.0, h.frame_diff / max(live, 0.1)),
            details={"frame_diff": round(h.frame_diff, 3), "baseline_noise": round(live, 3), "keyframe": keyframe},
            evidence=f"change since the previous analysed frame {h.frame_diff:.3f} grey levels "
            + (f"at a keyframe (live footage changed at least {live:.2f} at keyframes)" if at_key
               else f"(live footage changed at least {live:.2f})"),
            decisive=h.frozen_decisive,
        )
    reg = drift.Registration(None, "skipped", 0, 0.0)
    mot = None
    image_kinds = ("covered", "defocused", "moved", "rotated", "zoomed", "coverage_lost")
    if h.blackout:
        obs.update({k: None for k in image_kinds})  # nothing to see: undetermined, not clear
        return FrameAnalysis(t, prof.name, h, reg, mot, obs, False), gray

    cover_details = {
        "covered_fraction": round(h.cover_fraction, 3),
        "region": None if h.cover_bbox is None else [round(v, 3) for v in h.cover_bbox],
        "full": h.cover_fraction >= FULL_COVER,
    }
    cover_level = _level(h.cover_fraction, *COVER_FRACTION)
    # lost cells still changing between frames (a cover arriving, or the flat side of a lorry
    # driving past) start a run but do not decide it; a frame decides once the lost region has
    # settled: a cover stays put (with keyframes 2 s apart: in the next frame), a lorry moves on
    lost_any = h.cover_fraction + h.cover_moving_fraction
    arriving = lost_any >= COVER_FRACTION[0] and (
        cover_level != ON or h.cover_moving_fraction > COVER_SETTLED * lost_any
    )
    obs["covered"] = Observation(
        ON if arriving else cover_level,
        severity=min(1.0, h.cover_fraction),
        details=cover_details,
        evidence=f"{100 * h.cover_fraction:.0f}% of the view lost its structure"
        + ("" if h.cover_bbox is None else f" (region x {h.cover_bbox[0]:.2f}-{h.cover_bbox[2]:.2f}, y {h.cover_bbox[1]:.2f}-{h.cover_bbox[3]:.2f} of the frame)")
        + (f", {100 * h.cover_moving_fraction:.0f}% more still moving" if h.cover_moving_fraction >= 0.01 else ""),
        decisive=not arriving,
    )
    if h.cover_fraction >= COVER_FRACTION[0]:
        # a cover neither changes nor is in focus: 'frozen' or 'defocused' would only restate it
        obs["frozen"] = obs["defocused"] = None
    if h.cover_fraction >= FULL_COVER:
        obs.update({k: None for k in image_kinds if k != "covered"})
        return FrameAnalysis(t, prof.name, h, reg, mot, obs, False), gray

    soft = h.sharpness_ratio < DEFOCUS_SOFT_RATIO and h.texture_ratio < DEFOCUS_TEXTURE and h.likeness >= DEFOCUS_LIKENESS
    obs["defocused"] = None if h.cover_fraction >= COVER_FRACTION[0] else Observation(
        ON if soft else _level(h.sharpness_ratio, *DEFOCUS_RATIO, below=True),
        severity=min(1.0, max(0.0, 1.0 - h.sharpness_ratio)),
        details={"sharpness_ratio": round(h.sharpness_ratio, 3), "texture_ratio": round(h.texture_ratio, 3)},
        evidence=f"fine detail at {100 * h.sharpness_ratio:.0f}% of the baseline's (contrast-normalised)",
    )
    if obs["defocused"] is not None and obs["defocused"].level == ON:
        obs["frozen"] = None  # a blurred view hides the small changes that show a live camera
    reg = drift.quick_identity(gray, prof.median, prof.edge_ncc, prof.edge_core_ncc) or drift.register(gray, prof.keypoints, prof.descriptors, prof.median)
    blurred = h.sharpness_ratio < DEFOCUS_RATIO[1] or soft
    if reg.H is not None and reg.method == "features" and reg.inliers < WEAK_INLIERS and h.cover_fraction >= COVER_FRACTION[0]:
        obs.update({"moved": None, "rotated": None, "zoomed": None, "coverage_lost": None})  # undetermined
    elif reg.H is None:
        # No registration. A sharp view that matches nothing of the baseline is a camera
        # pointed elsewhere (its new view may well have less texture: a wall, the sky), not a
        # cover: things close enough to the lens to cover it are out of focus.
        unmatched = (
            h.sharpness_ratio >= UNMATCHED_SHARPNESS
            and h.likeness < UNMATCHED_LIKENESS
            and h.texture_p90 >= UNMATCHED_TEXTURE_P90
            and h.texture_ratio >= UNMATCHED_TEXTURE
        )
        obs["moved"] = (
            Observation(
                ON,
                severity=0.3,  # no geometry: registered frames of the same event make better peaks
                details={"registered": False, "likeness": round(h.likeness, 3), "coverage_iou": 0.0},
                evidence=f"view no longer matches the baseline (registration failed, likeness {h.likeness:.2f})",
            )
            if unmatched
            else None
        )
        obs.update({"rotated": None, "zoomed": None, "coverage_lost": None})
        if unmatched:
            obs["covered"] = obs["defocused"] = None
    else:
        mot = _identity_motion(baseline) if reg.method == "quick" else drift.motion(reg.H, baseline.analysis_size, baseline.frame_size, baseline.must_see)
        dz = abs(mot.scale - 1.0)
        common = {
            "shift_px": [round(mot.shift_px[0], 1), round(mot.shift_px[1], 1)],
            "shift_pct": round(mot.shift_pct, 2),
            "rotation_deg": round(mot.rotation_deg, 2),
            "scale": round(mot.scale, 4),
            "coverage_iou": round(mot.coverage_iou, 3),
            "registration": reg.method,
            "homography": _identity_homography(baseline) if reg.method == "quick" else _footage_homography(reg.H, baseline),
        }
        if mot.zones_visible:
            common["zones_visible"] = {k: round(v, 3) for k, v in mot.zones_visible.items()}
        desc = (
            f"shift ({mot.shift_px[0]:.0f}, {mot.shift_px[1]:.0f}) px = {mot.shift_pct:.1f}% of the frame, "
            f"roll {mot.rotation_deg:.2f} deg, zoom x{mot.scale:.3f}, coverage IoU {mot.coverage_iou:.2f} "
            f"({reg.method}, quality {reg.quality:.2f})"
        )
        obs["moved"] = Observation(_level(mot.shift_pct, *MOVED_PCT), mot.shift_pct / 10.0, common, desc)
        obs["rotated"] = Observation(_level(abs(mot.rotation_deg), *ROLL_DEG), abs(mot.rotation_deg) / 10.0, common, desc)
        obs["zoomed"] = Observation(_level(dz, *ZOOM), dz / 0.3, common, desc)
        worst_zone = min(mot.zones_visible.values(), default=1.0)
        cov_level = max(_level(mot.coverage_iou, *COVERAGE_IOU, below=True), _level(worst_zone, *ZONE_VISIBLE, below=True))
        obs["coverage_lost"] = Observation(cov_level, min(1.0, 1.0 - min(mot.coverage_iou, worst_zone)), common, desc)
        if any(obs[k].level != CLEAR for k in ("moved", "rotated", "zoomed")):
            # the view changed: cells differ from the baseline because they show other things
            obs["covered"] = None
    degraded = (
        h.texture_ratio < DEGRADED_TEXTURE
        and h.cover_fraction < COVER_FRACTION[0]
        and not blurred
        and reg.H is not None
    )
    return FrameAnalysis(t, prof.name, h, reg, mot, obs, degraded), gray


_IDENTITY: dict[int, tuple[Baseline, drift.Motion, list]] = {}


def _identity(baseline: Baseline) -> tuple[Baseline, drift.Motion, list]:
    """drift.motion and the footage homography of the identity (an unmoved frame), computed
    once per baseline."""
    hit = _IDENTITY.get(id(baseline))
    if hit is None or hit[0] is not baseline:
        if len(_IDENTITY) > 32:
            _IDENTITY.clear()
        eye = np.eye(3)
        hit = (baseline, drift.motion(eye, baseline.analysis_size, baseline.frame_size, baseline.must_see), _footage_homography(eye, baseline))
        _IDENTITY[id(baseline)] = hit
    return hit


def _identity_motion(baseline: Baseline) -> drift.Motion:
    return _identity(baseline)[1]


def _identity_homography(baseline: Baseline) -> list[list[float]]:
    return [list(row) for row in _identity(baseline)[2]]  # a fresh copy: it goes into event details


def _footage_homography(H: np.ndarray, baseline: Baseline) -> list[list[float]]:
    """The baseline -> current mapping in footage pixels (for drawing), from analysis pixels."""
    k = baseline.analysis_size[0] / baseline.frame_size[0]
    S = np.diag([k, k, 1.0])
    F = np.linalg.inv(S) @ H @ S
    F = F / F[2, 2]
    return [[round(float(v), 6) for v in row] for row in F]


# --- the result -----------------------------------------------------------------------------------------


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


def _visibility_spans(flags: Sequence[tuple[float, bool, float]], min_s: float) -> tuple[VisibilitySpan, ...]:
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


def check_frames(
    frames: Iterable,
    baseline: Baseline,
    *,
    config: EventConfig | None = None,
    nominal_interval: float | None = None,
    progress: Callable[[float], None] | None = None,
    keep: Callable[[object], None] | None = None,
) -> tuple[EventTracker, int, int, list, float | None, float | None, dict]:
    """Run the per-frame analysis and the state machine over `Frame`s (no I/O)."""
    reuse_frame_memory()
    tracker = EventTracker(config)
    prev_gray = None
    prev_t = None
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
            else:
                intervals.append(step)
        interval = float(statistics.median(intervals[-50:])) if intervals else (nominal_interval or 0.2)
        try:
            fa, gray = analyse_any(frame, t, baseline, prev_gray)
        except analysis_errors():
            undetermined += 1
            prev_t = t
            continue
        if first_t is None:
            first_t = t
        last_t = t
        analysed += 1
        profiles[fa.profile] = profiles.get(fa.profile, 0) + 1
        tracker.update(t, interval, fa.observations)
        vis_flags.append((t, fa.degraded, fa.health.texture_ratio))
        prev_gray, prev_t = gray, t
        if keep is not None:
            keep(frame)
        if progress is not None:
            progress(t)
    return tracker, analysed, undetermined, vis_flags, first_t, last_t, profiles


def analyse_any(frame, t: float, baseline: Baseline, prev_gray: np.ndarray | None) -> tuple[FrameAnalysis, np.ndarray]:
    """`analyse_frame` of a `sources.Frame` (grey straight from the decoded picture, no BGR copy),
    of a BGR array, or of anything with a BGR `.image`."""
    from cctv_guard.media.sources import Frame

    if not isinstance(frame, Frame):
        return analyse_frame(frame if isinstance(frame, np.ndarray) else frame.image, t, baseline, prev_gray)
    colour = frame_colourfulness(frame) if len(baseline.profiles) > 1 else None
    # every frame of intra-only footage (MJPEG, images) is a keyframe: that says nothing
    return analyse_frame(None, t, baseline, prev_gray, gray=frame.gray(baseline.analysis_size), colour=colour,
                         keyframe=None if frame.intra_only else frame.keyframe)


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


def analysis_errors() -> tuple:
    """What a bad frame can raise inside `analyse_frame`: it makes that frame undetermined
    (batch and live checks alike) instead of ending the check."""
    import cv2

    return (ValueError, TypeError, ArithmeticError, AttributeError, cv2.error)


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
    progress: Progress | None = None,
    privacy_fn: PrivacyFn | None = None,
    camera_id: str | None = None,
    config: EventConfig | None = None,
    threads: int | None = None,
) -> CheckResult:
    """Check footage against a baseline. Raises SourceError/BaselineError for bad input;
    bad frames inside good footage are counted as undetermined.

    `threads`: None uses every core (the decoder's own threads, and decoding runs ahead in a
    thread of its own while frames are analysed); 1 decodes and analyses in the calling thread
    only: what a pool worker that owns one core wants (the fleet audit, Ray's one-CPU tasks)."""
    from cctv_guard.media.sources import inter_coded, open_source

    with open_source(uri) as src:
        info = src.info
        check_fits(baseline, (info.width, info.height))
        notes = tuple(outdated_for(baseline, inter_coded(info)))
        every, keyframes_only, mode = sampling_for(info, every, keyframes_only)
        lo = start or 0.0
        hi = end if end is not None else info.duration_s
        total = (hi - lo) if hi is not None else None
        reps = _Representatives()
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
            progress=(lambda t: progress(max(0.0, t - lo), total)) if progress else None,
            keep=reps.offer if privacy_fn is not None else None,
        )
        stats = src.stats
        expected_end = hi
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
        source=info.uri,
        camera_id=camera_id,
        frames_analyzed=analysed,
        duration_s=duration,
        events=events,
        findings=tuple(findings),
        frames_undetermined=undetermined,
        corrupt_skipped=stats.corrupt_skipped,
        visibility=_visibility_spans(vis_flags, min_s=2 * interval),
        sampling={"mode": mode, "every_s": every, "keyframes_only": keyframes_only},
        profiles_used=profiles,
        notes=notes,
    )
