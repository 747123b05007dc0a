"""Per-frame analysis (pure): one frame against a baseline -> observations for the event tracker.

A frame is measured in grey at the baseline's analysis size: its picture health (`health`:
blackout, frozen, covered, defocused) against the lighting profile that fits it, and its
registration to the baseline (`drift`: moved, rotated, zoomed, coverage lost). Each kind becomes
an `events.Observation` at level ON, SUSTAIN or CLEAR (None: undetermined on this frame) by the
thresholds below; `check` and `live` feed them to an `events.EventTracker`.

Geometric observations carry a `strength` (the measure over its ON threshold) so that one
incident makes one event of the kind that explains it best (`events.GROUPS`); a cover seen while
the rest of the view stays registered in place outweighs the `moved` of a view that then
registers to nothing. A frame about a second older (`RecentFrames`) tells a passing lorry or
moving traffic from a cover or a new view that holds still.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from cctv_guard.media.frame import Frame, gray_at
from cctv_guard.tamper import drift, health
from cctv_guard.tamper.baseline import GRID, Baseline, Profile, colourfulness, frame_colourfulness
from cctv_guard.tamper.events import CLEAR, ON, SUSTAIN, Observation

# drift thresholds (ON, SUSTAIN)
MOVED_PCT = (2.0, 1.2)  # centre shift, % of the frame (x of the width, y of the height)
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
# defocus from edge sharpness (health.edge_ratios against the baseline's; baselines that have it):
# the whole frame below the first value and the median region below the second (a lorry passing
# softens a few regions, defocus all of them); sustain below the third
DEFOCUS_EDGE = (0.81, 0.85)
DEFOCUS_EDGE_SUSTAIN = 0.84
DEFOCUS_COARSE_TEXTURE = 0.95  # ...while the coarse texture is below this share of the baseline's
DEFOCUS_EDGE_STRONG = 0.75  # ...unless the edges widened past this (no crowd does that)
DEFOCUS_IN_PLACE_LIKENESS = 0.5  # defocus needs the view registered in place or this likeness to the baseline
DEFOCUS_EDGE_GUARD = 0.8  # the older fine-detail rules only count while the edges are this soft too
# a registered motion must explain the static structure (drift.static_likeness) better than
# standing still by this much, or it is not taken (periodic floor tiles, crowds, a parked car
# fool feature matching; the static edges do not line up under a wrong motion)...
VERIFY_MARGIN = 0.08
# ...and standing still is taken instead while the static structure lines up as well as the
# baseline frames' own 10th percentile less this
STILL_MARGIN = 0.1
# a view that registers to nothing is a camera turned away only while less than this share of the
# baseline frames' static likeness remains where it stood (a parked car or a crowd hides part of
# the scene; the rest stays in place)
UNMATCHED_STATIC = 0.5
UNMATCHED_MARGIN = 0.25  # ...and at least this far below them
UNMATCHED_EDGES = 0.75  # ...and its edges are about as sharp as the baseline's (things at the lens are not)
# a cover and defocus both blur the view: cover wins while at least this share of the lost cells
# also changed brightness against the rest of the picture, or the pattern kept is below the second
COVER_OVER_DEFOCUS = (0.3, 0.4)
COVER_UNREGISTERED_STRENGTH = 0.5  # (events.Observation.strength; an unregistered new view has 1)


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
    older_gray: np.ndarray | None = None,
) -> tuple[FrameAnalysis, np.ndarray]:
    """Measure one frame (a BGR `image`, or its grey analysis image `gray` plus, for baselines
    with several lighting profiles, its `colour`fulness; `keyframe`: whether it was a keyframe of
    its footage, None if not known); returns the analysis and the grey analysis image (for the
    next frame)."""
    if gray is None:
        gray = gray_at(image, baseline.analysis_size)
    if colour is None and len(baseline.profiles) > 1:
        colour = colourfulness(image)
    prof = pick_profile(baseline, colour or 0.0, gray)
    h = health.measure(gray, prof, prev_gray, GRID, keyframe, older_gray)
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
        strength=(lost_any if arriving else h.cover_fraction) / COVER_FRACTION[0],
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
    fine_level = ON if soft else _level(h.sharpness_ratio, *DEFOCUS_RATIO, below=True)
    defocus_details = {"sharpness_ratio": round(h.sharpness_ratio, 3), "texture_ratio": round(h.texture_ratio, 3)}
    if h.edge_ratio is None or h.edge_ratio_regions is None:
        defocus_level = fine_level
        severity = min(1.0, max(0.0, 1.0 - h.sharpness_ratio))
        defocus_evidence = f"fine detail at {100 * h.sharpness_ratio:.0f}% of the baseline's (contrast-normalised)"
    else:
        # edge width: the strongest edges of the whole view and of most of its regions widened
        # (noise and light leave it; fine detail alone would rise with noise and fall with
        # compression or vibration)
        er, err = h.edge_ratio, h.edge_ratio_regions
        # ...and the coarse texture fell with them (a dense crowd crossing a sharp tiled floor
        # softens the strongest edges too, but adds structure)
        blur = er < DEFOCUS_EDGE[0] and err < DEFOCUS_EDGE[1] and (
            h.coarse_texture_ratio is None or h.coarse_texture_ratio < DEFOCUS_COARSE_TEXTURE or er < DEFOCUS_EDGE_STRONG)
        defocus_level = ON if blur else SUSTAIN if er < DEFOCUS_EDGE_SUSTAIN else CLEAR
        if er < DEFOCUS_EDGE_GUARD:
            defocus_level = max(defocus_level, fine_level)
        severity = min(1.0, max(0.0, (1.0 - er) / 0.4))
        defocus_details.update(edge_ratio=round(er, 3), edge_ratio_regions=round(err, 3))
        defocus_evidence = (f"edges {100 * (1 - er):.0f}% wider than the baseline's (sharpness {100 * er:.0f}%,"
                            f" median region {100 * err:.0f}%; fine detail {100 * h.sharpness_ratio:.0f}%)")
    blur_wins = (
        defocus_level == ON
        and h.cover_fraction >= COVER_FRACTION[0]
        and h.edge_ratio is not None
        and h.cover_departed < COVER_OVER_DEFOCUS[0]
        and (h.pattern_kept is None or h.pattern_kept >= COVER_OVER_DEFOCUS[1])
    )
    if blur_wins:
        obs["covered"] = None  # the whole view blurred alike, no brightness of its own: defocus
    obs["defocused"] = None if h.cover_fraction >= COVER_FRACTION[0] and not blur_wins else Observation(
        defocus_level,
        severity=severity,
        details=defocus_details,
        evidence=defocus_evidence,
    )
    if obs["defocused"] is not None and obs["defocused"].level == ON:
        obs["frozen"] = None  # a blurred view hides the small changes that show a live camera
    reg = drift.quick_identity(gray, prof.median, prof.edge_ncc, prof.edge_core_ncc) or drift.register(gray, prof.keypoints, prof.descriptors, prof.median)
    still = None  # static likeness where the camera stood (frames that left the fast path)
    if reg.method != "quick" and prof.static_edges is not None:
        edges = drift.edge_image(gray)
        still = drift.static_likeness(edges, prof.static_edges)
        if reg.H is not None and _noticeable(drift.decompose(reg.H, baseline.analysis_size, baseline.frame_size), baseline.frame_size):
            moved_like = drift.warped_static_likeness(edges, reg.H, baseline.analysis_size[0], prof.static_edges)
            if moved_like < still + VERIFY_MARGIN:
                # the static structure does not support this motion: standing still explains it
                # as well (then nothing moved) or nothing explains it (undetermined)
                floor = prof.static_core_ncc if prof.static_core_ncc is not None else 0.0
                reg = drift.Registration(np.eye(3), "static", reg.inliers, still) if still >= floor - STILL_MARGIN else drift.Registration(None, "unsupported", reg.inliers, moved_like)
    blurred = h.sharpness_ratio < DEFOCUS_RATIO[1] or soft
    if (reg.H is not None and reg.method == "features" and reg.inliers < WEAK_INLIERS and h.cover_fraction >= COVER_FRACTION[0]) or reg.method == "unsupported":
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
            and (h.edge_ratio is None or h.edge_ratio >= UNMATCHED_EDGES)
            and _structure_gone(gray, older_gray, prof, still)
        )
        obs["moved"] = (
            Observation(
                ON,
                severity=0.3,  # no geometry: registered frames of the same event make better peaks
                strength=1.0,  # ...nor a measure of how far it moved: a cover seen before it names the incident
                details={"registered": False, "likeness": round(h.likeness, 3), "coverage_iou": 0.0,
                         **({} if still is None else {"static_likeness": round(still, 3)})},
                evidence=f"view no longer matches the baseline (registration failed, likeness {h.likeness:.2f})",
            )
            if unmatched
            else None
        )
        obs.update({"rotated": None, "zoomed": None, "coverage_lost": None})
        if unmatched:
            obs["covered"] = obs["defocused"] = None
    else:
        mot = _identity_motion(baseline) if reg.method in ("quick", "static") else drift.motion(reg.H, baseline.analysis_size, baseline.frame_size, baseline.must_see)
        dz = abs(mot.scale - 1.0)
        common = {
            "shift_px": [round(mot.shift_px[0], 1), round(mot.shift_px[1], 1)],
            "shift_pct": round(mot.shift_pct, 2),
            "rotation_deg": round(mot.rotation_deg, 2),
            "scale": round(mot.scale, 4),
            "coverage_iou": round(mot.coverage_iou, 3),
            "registration": reg.method,
            "homography": _identity_homography(baseline) if reg.method in ("quick", "static") else _footage_homography(reg.H, baseline),
        }
        if still is not None:
            common["static_likeness"] = round(still, 3)
        if mot.zones_visible:
            common["zones_visible"] = {k: round(v, 3) for k, v in mot.zones_visible.items()}
        desc = (
            f"shift ({mot.shift_px[0]:.0f}, {mot.shift_px[1]:.0f}) px = {mot.shift_pct:.1f}% of the frame, "
            f"roll {mot.rotation_deg:.2f} deg, zoom x{mot.scale:.3f}, coverage IoU {mot.coverage_iou:.2f} "
            f"({reg.method}, quality {reg.quality:.2f})"
        )
        # strength: each measure over its ON threshold, so the incident's event takes the kind
        # that explains it best (events.GROUPS: a roll also loses some coverage, a pan too)
        obs["moved"] = Observation(_level(mot.shift_pct, *MOVED_PCT), mot.shift_pct / 10.0, common, desc,
                                   strength=mot.shift_pct / MOVED_PCT[0])
        obs["rotated"] = Observation(_level(abs(mot.rotation_deg), *ROLL_DEG), abs(mot.rotation_deg) / 10.0, common, desc,
                                     strength=abs(mot.rotation_deg) / ROLL_DEG[0])
        obs["zoomed"] = Observation(_level(dz, *ZOOM), dz / 0.3, common, desc, strength=dz / ZOOM[0])
        worst_zone = min(mot.zones_visible.values(), default=1.0)
        cov_level = max(_level(mot.coverage_iou, *COVERAGE_IOU, below=True), _level(worst_zone, *ZONE_VISIBLE, below=True))
        obs["coverage_lost"] = Observation(cov_level, min(1.0, 1.0 - min(mot.coverage_iou, worst_zone)), common, desc,
                                           strength=max((1.0 - mot.coverage_iou) / (1.0 - COVERAGE_IOU[0]),
                                                        (1.0 - worst_zone) / (1.0 - ZONE_VISIBLE[0])))
        if any(obs[k].level != CLEAR for k in ("moved", "rotated", "zoomed")):
            # the view changed: cells differ from the baseline because they show other things,
            # whose edges say nothing of the lens's focus
            obs["covered"] = None
            obs["defocused"] = None
    def_obs = obs.get("defocused")
    in_place = reg.method in ("quick", "static") or (
        mot is not None and not any(obs[k] is not None and obs[k].level != CLEAR for k in ("moved", "rotated", "zoomed")))
    if def_obs is not None and def_obs.level == ON and not in_place and h.likeness < DEFOCUS_IN_PLACE_LIKENESS:
        # soft edges on a view that neither registers nor resembles the baseline are another
        # view's edges, not the lens losing focus (defocus keeps the scene's coarse structure)
        obs["defocused"] = None
    cov_obs = obs.get("covered")
    if cov_obs is not None and cov_obs.level == ON and not in_place:
        # a cover names the incident (events.GROUPS) by the frames that showed it with the rest of
        # the view registered in place; lost cells on a view that registers to nothing (a camera
        # swinging away) are weaker evidence than the view's change itself
        obs["covered"] = replace(cov_obs, strength=min(cov_obs.strength or 0.0, COVER_UNREGISTERED_STRENGTH))
    degraded = (
        h.texture_ratio < DEGRADED_TEXTURE
        and h.cover_fraction < COVER_FRACTION[0]
        and not blurred
        and reg.H is not None
    )
    return FrameAnalysis(t, prof.name, h, reg, mot, obs, degraded), gray


def _structure_gone(gray: np.ndarray, older_gray: np.ndarray | None, prof: Profile, still: float | None) -> bool:
    """Whether the scene's static structure is gone from where it stood, judged where the picture
    held still over the last second (drift.steady_static_likeness): a lorry passing in front of
    parked cars hides most of the structure, but what it leaves visible has not moved; a road
    packed with moving traffic leaves nothing steady to judge by (undetermined, not gone); a
    camera turned to a new view sees a steady scene in which nothing of the old one lines up.
    Without a frame a second old, the whole static core decides. True for baselines without it."""
    if prof.static_edges is None or prof.static_core_ncc is None:
        return True
    # a weak static structure (a baseline window crossed by a parking car) leaves little margin:
    # then nearly nothing of it may remain
    limit = min(UNMATCHED_STATIC * prof.static_core_ncc, prof.static_core_ncc - UNMATCHED_MARGIN)
    if older_gray is None or older_gray.shape != gray.shape:
        return still is None or still < limit
    steady = drift.steady_static_likeness(gray, older_gray, prof.static_edges)
    return steady is not None and steady < limit


def _noticeable(decomposed, frame_size) -> bool:
    """Whether a motion (drift.decompose) reaches a sustain threshold of moved, rotated or
    zoomed: only such motions need the static structure's support."""
    (dx, dy), roll, scale = decomposed
    pct = 100.0 * math.hypot(dx / frame_size[0], dy / frame_size[1])
    return pct >= MOVED_PCT[1] or abs(roll) >= ROLL_DEG[1] or abs(scale - 1.0) >= ZOOM[1]


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


def analyse_any(frame, t: float, baseline: Baseline, prev_gray: np.ndarray | None,
                older_gray: np.ndarray | None = None) -> tuple[FrameAnalysis, np.ndarray]:
    """`analyse_frame` of a `media.Frame` (grey straight from the decoded picture, no BGR copy),
    of a BGR array, or of anything with a BGR `.image`."""
    if not isinstance(frame, Frame):
        return analyse_frame(frame if isinstance(frame, np.ndarray) else frame.image, t, baseline, prev_gray,
                             older_gray=older_gray)
    colour = frame_colourfulness(frame) if len(baseline.profiles) > 1 else None
    # every frame of intra-only footage (MJPEG, images) is a keyframe: that says nothing
    return analyse_frame(None, t, baseline, prev_gray, gray=frame.gray(baseline.analysis_size), colour=colour,
                         keyframe=None if frame.intra_only else frame.keyframe, older_gray=older_gray)


class RecentFrames:
    """The analysed grey frames of the last few seconds, to hand `analyse_frame` one about
    health.RECENT_S older than the frame being analysed (frames further apart than that: the
    previous one)."""

    def __init__(self) -> None:
        self._frames: list[tuple[float, np.ndarray]] = []

    def older(self, t: float) -> np.ndarray | None:
        """The latest frame at least RECENT_S before `t` (None: none kept)."""
        pick = None
        for ft, g in self._frames:
            if ft <= t - health.RECENT_S + 1e-6:
                pick = g
        return pick

    def add(self, t: float, gray: np.ndarray) -> None:
        self._frames.append((t, gray))
        while len(self._frames) > 1 and self._frames[1][0] <= t - health.RECENT_S + 1e-6:
            self._frames.pop(0)

    def clear(self) -> None:
        self._frames.clear()


def analysis_errors() -> tuple:
    """What a bad frame can raise inside `analyse_frame`: it makes that frame undetermined
    (batch and live checks alike) instead of ending the check."""
    import cv2

    return (ValueError, TypeError, ArithmeticError, AttributeError, cv2.error)
