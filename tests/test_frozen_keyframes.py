"""Frozen pictures in inter-coded footage: a still scene under heavy compression repeats its
inter frames exactly (the encoder codes the sensor noise away) but every keyframe brings fresh
noise; a frozen picture repeats across keyframes too. Real H.264 clips are encoded here (PyAV,
libx264, a keyframe every 2 s) from a still view of samples/vtest_normal.mp4 with fresh sensor
noise per frame, and checked in the dense and the keyframes-only mode."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from cctv_guard.tamper import health
from cctv_guard.tamper.baseline import GRID, build_baseline
from cctv_guard.tamper.check import check_source
from cctv_guard.media.sources import open_source

from conftest import REPO, encode_frames, normal_clip_frames

sys.path.insert(0, str(REPO / "scripts"))
from footage import write_mp4  # noqa: E402

FPS = 10
NOISE = 3.0


@pytest.fixture(scope="module")
def still():
    view = np.median(np.stack(normal_clip_frames(end=20.0, every=1.0)), axis=0).astype(np.uint8)
    return cv2.resize(view, (384, 288), interpolation=cv2.INTER_AREA)


def _live(still, n: int, seed: int, freeze_at: int | None = None):
    rng = np.random.default_rng(seed)
    last = None
    for i in range(n):
        if freeze_at is None or i < freeze_at or last is None:
            last = np.clip(still + rng.normal(0, NOISE, still.shape), 0, 255).astype(np.uint8)
        yield last


@pytest.fixture(scope="module")
def clips(still, tmp_path_factory):
    d = tmp_path_factory.mktemp("frozen")
    return {
        "baseline": write_mp4(d / "baseline.mp4", _live(still, 100, seed=1), FPS, crf=40),
        "live": write_mp4(d / "live.mp4", _live(still, 120, seed=2), FPS, crf=40),
        "frozen": write_mp4(d / "frozen.mp4", _live(still, 120, seed=3, freeze_at=40), FPS, crf=40),
    }


@pytest.fixture(scope="module")
def baseline(clips):
    return build_baseline(clips["baseline"])


def _changes(path, size):
    out, prev = [], None
    with open_source(path) as src:
        for f in src.frames(every=0.2):
            g = f.gray(size)
            if prev is not None:
                out.append((f.t, f.keyframe, health.frame_change(g, prev, GRID)))
            prev = g
    return out


def test_the_clip_repeats_inter_frames_but_not_keyframes(clips, baseline):
    """The premise: this is the footage the old rule called frozen."""
    changes = _changes(clips["live"], baseline.analysis_size)
    inter = [d for _, key, d in changes if not key]
    keys = [d for _, key, d in changes if key]
    assert sum(d == 0.0 for d in inter) > 0.8 * len(inter)
    assert keys and min(keys) > 2.0
    prof = baseline.profiles["day"]
    assert prof.key_noise is not None and prof.key_noise > 2.0


# (every, keyframes_only): the default for short files (every 0.2 s), a grid that never lands on
# a keyframe (every 0.7 s: keyframes are taken besides it), keyframes only
MODES = [(None, False), (0.7, False), (None, True)]


@pytest.mark.parametrize("every,keyframes_only", MODES)
def test_a_live_still_scene_under_heavy_compression_is_not_frozen(clips, baseline, every, keyframes_only):
    result = check_source(clips["live"], baseline, every=every, keyframes_only=keyframes_only)
    assert [e.kind for e in result.events] == []


@pytest.mark.parametrize("every,keyframes_only,latest_start", [m + (s,) for m, s in zip(MODES, (4.5, 4.5, 6.0))])
def test_a_frozen_picture_is_found_across_keyframes(clips, baseline, every, keyframes_only, latest_start):
    result = check_source(clips["frozen"], baseline, every=every, keyframes_only=keyframes_only)
    [ev] = [e for e in result.events if e.kind == "frozen"]
    assert 4.0 <= ev.start_s <= latest_start
    assert ev.confirmed_s <= 8.0  # at the latest the second keyframe after the freeze
    assert ev.end_s is None


def test_frozen_limit_at_keyframes_and_between_them(baseline):
    prof = baseline.profiles["day"]
    limit, decisive = health.frozen_limit(prof, keyframe=True)
    assert decisive and limit == pytest.approx(min(health.FROZEN_KEY_MAX_DIFF, health.FROZEN_KEY_SHARE * prof.key_noise))
    limit, decisive = health.frozen_limit(prof, keyframe=False)
    assert not decisive and limit <= health.FROZEN_MAX_DIFF
    # no keyframe information (a bare image, or a baseline from before key_noise): every frame decides
    assert health.frozen_limit(prof, keyframe=None)[1]
    from dataclasses import replace

    old = replace(prof, key_noise=None)
    assert health.frozen_limit(old, keyframe=True) == health.frozen_limit(old, keyframe=False)
    assert health.frozen_limit(old, keyframe=False)[1]


def _write_mjpeg(path, frames, q: int = 25):
    """Motion JPEG (every frame coded on its own), as HTTP and many USB cameras send it."""
    from fractions import Fraction

    import av

    with av.open(str(path), "w") as out:
        st = out.add_stream("mjpeg", rate=Fraction(FPS))
        st.pix_fmt, st.width, st.height = "yuvj420p", 384, 288
        st.codec_context.qmin = st.codec_context.qmax = q
        encode_frames(out, st, frames)
    return path


def test_mjpeg_frames_are_judged_between_frames_not_as_keyframes(still, baseline, tmp_path):
    """Every MJPEG frame is a keyframe, which says nothing: such footage is judged against the
    baseline's change between frames (and decides frame by frame), even with an H.264 baseline."""
    from cctv_guard.tamper.analysis import analyse_any

    live = _write_mjpeg(tmp_path / "live.avi", _live(still, 80, seed=5))
    frozen = _write_mjpeg(tmp_path / "frozen.avi", _live(still, 80, seed=6, freeze_at=30))
    prof = baseline.profiles["day"]
    with open_source(live) as src:
        frames = list(src.frames(every=0.5, end=2.0))
    assert all(f.keyframe and f.intra_only for f in frames)
    fa, _ = analyse_any(frames[1], frames[1].t, baseline, frames[0].gray(baseline.analysis_size))
    assert (fa.health.frozen_limit, fa.health.frozen_decisive) == health.frozen_limit(prof, keyframe=None)
    assert check_source(live, baseline).events == ()
    [ev] = check_source(frozen, baseline).events
    assert ev.kind == "frozen" and 3.0 <= ev.start_s <= 3.5
