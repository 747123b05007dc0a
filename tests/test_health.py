"""Health: known-answer tests on a real frame: blur by a known sigma, cover a known fraction,
black the picture out, freeze it; and the illumination changes that must not look like any."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cctv_guard.tamper import health
from cctv_guard.media import gray_at
from cctv_guard.tamper.baseline import GRID, build_profile

from conftest import normal_clip_frames



@pytest.fixture(scope="module")
def frames():
    return normal_clip_frames(end=6.0)


@pytest.fixture(scope="module")
def prof(frames):
    p, _ = build_profile("day", frames[:10])
    return p


def _measure(img, prof, prev=None):
    size = (prof.median.shape[1], prof.median.shape[0])
    gray = gray_at(img, size)
    prev_gray = None if prev is None else gray_at(prev, size)
    return health.measure(gray, prof, prev_gray, GRID)


def test_untouched_frame_is_healthy(frames, prof):
    h = _measure(frames[11], prof, frames[10])
    assert h.cover_fraction < 0.05
    assert 0.85 < h.sharpness_ratio < 1.2
    assert h.likeness > 0.9
    assert not h.blackout and not h.frozen


@pytest.mark.parametrize("sigma,max_ratio", [(1.5, 0.6), (3.0, 0.4), (5.0, 0.3)])
def test_blur_by_known_sigma_lowers_sharpness(frames, prof, sigma, max_ratio):
    blurred = cv2.GaussianBlur(frames[11], (0, 0), sigma)
    h = _measure(blurred, prof)
    assert h.sharpness_ratio < max_ratio
    assert h.cover_fraction < 0.3  # blur keeps the structure: not a cover


def test_sharpness_falls_monotonically_with_sigma(frames, prof):
    ratios = [_measure(cv2.GaussianBlur(frames[11], (0, 0), s), prof).sharpness_ratio for s in (0.5, 1.0, 2.0, 4.0)]
    assert ratios == sorted(ratios, reverse=True)


@pytest.mark.parametrize(
    "name,fn",
    [
        ("dusk to 30 %", lambda im: (im * 0.3).astype(np.uint8)),
        ("brighter", lambda im: np.clip(im * 1.4 + 10, 0, 255).astype(np.uint8)),
        ("fog", lambda im: (im * 0.5 + 110).astype(np.uint8)),
        ("IR greyscale", lambda im: cv2.cvtColor(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)),
        ("sensor noise", lambda im: np.clip(im + np.random.default_rng(3).normal(0, 6, im.shape), 0, 255).astype(np.uint8)),
        ("jpeg q20", lambda im: cv2.imdecode(cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 20])[1], cv2.IMREAD_COLOR)),
    ],
)
def test_illumination_and_noise_are_not_tampering(frames, prof, name, fn):
    h = _measure(fn(frames[11]), prof)
    assert h.cover_fraction < 0.15, name
    assert h.sharpness_ratio > 0.65, name
    assert not h.blackout, name


@pytest.mark.parametrize("fraction", [0.25, 0.5, 1.0])
def test_cover_of_known_fraction(frames, prof, fraction):
    img = frames[11].copy()
    h_, w_ = img.shape[:2]
    x = int(round(w_ * fraction))
    img[:, :x] = cv2.GaussianBlur(np.full_like(img[:, :x], (60, 70, 80)), (0, 0), 3)  # a flat sheet from the left
    h = _measure(img, prof)
    assert h.cover_fraction == pytest.approx(fraction, abs=0.15)
    assert h.cover_bbox is not None and h.cover_bbox[0] == 0.0
    assert h.cover_bbox[2] == pytest.approx(fraction, abs=0.15)


def test_blackout(frames, prof):
    rng = np.random.default_rng(4)
    black = np.clip(rng.normal(6, 1.5, frames[0].shape), 0, 255).astype(np.uint8)
    assert _measure(black, prof).blackout
    assert not _measure((frames[11] * 0.25).astype(np.uint8), prof).blackout  # dark, not black


def test_frozen_is_relative_to_sensor_noise(frames, prof):
    img = frames[11]
    # the baseline's noise is that of the still part of the view (the median cell), not of the
    # people walking through it: H.264 codes the still part of vtest almost unchanged
    assert 0.0 < prof.noise < 0.5
    assert _measure(img, prof, img.copy()).frozen  # an exact repeat
    rng = np.random.default_rng(5)
    noisy = np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8)
    assert not _measure(noisy, prof, img).frozen  # a still scene with sensor noise is live
    assert not _measure(frames[11], prof, frames[10]).frozen
