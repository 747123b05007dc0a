"""CCTV-like views of a photo, for training and evaluating the scene head (never used at run time).

A security camera sees a room from high up, through a wide lens, at low resolution, often in
greyscale infra-red and with sensor noise. Each function takes and returns a BGR uint8 image;
`cctv_view(img, rng)` draws a random combination of them.
"""
from __future__ import annotations

import cv2
import numpy as np


def high_angle(img: np.ndarray, tilt: float = 0.18, crop: float = 0.85, rng=None) -> np.ndarray:
    """Keystone warp as seen by a camera tilted down (the top edge shrinks), then a random crop
    keeping `crop` of each side."""
    h, w = img.shape[:2]
    d = tilt * w
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[d, 0], [w - d, 0], [w, h], [0, h]])
    warped = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REFLECT)
    ch, cw = max(1, int(h * crop)), max(1, int(w * crop))
    rng = rng or np.random.default_rng(0)
    y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    return warped[y0 : y0 + ch, x0 : x0 + cw]


def wide_lens(img: np.ndarray, k: float = 0.25) -> np.ndarray:
    """Barrel distortion of strength `k` (a fisheye-ish wide-angle lens)."""
    h, w = img.shape[:2]
    ys, xs = np.indices((h, w), dtype=np.float32)
    nx, ny = (xs - w / 2) / (w / 2), (ys - h / 2) / (h / 2)
    r2 = nx * nx + ny * ny
    f = 1 + k * r2
    mx, my = nx * f / (1 + k) * (w / 2) + w / 2, ny * f / (1 + k) * (h / 2) + h / 2
    return cv2.remap(img, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def low_resolution(img: np.ndarray, width: int = 240, jpeg_quality: int = 40) -> np.ndarray:
    """Shrink to `width` pixels wide, JPEG-compress, and scale back up (a sub-stream snapshot)."""
    h, w = img.shape[:2]
    if w > width:
        small = cv2.resize(img, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    else:
        small = img
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    small = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else small
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def ir_grey(img: np.ndarray) -> np.ndarray:
    """Greyscale night (IR) look: grey, stretched contrast, slightly washed out, 3 channels."""
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    g = (g - g.min()) / max(1.0, float(g.max() - g.min())) * 200 + 30
    g = cv2.GaussianBlur(g, (3, 3), 0)
    return cv2.cvtColor(np.clip(g, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def noise(img: np.ndarray, sigma: float = 8.0, rng=None) -> np.ndarray:
    """Gaussian sensor noise of standard deviation `sigma` grey levels."""
    rng = rng or np.random.default_rng(0)
    n = rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def cctv_view(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random CCTV-like view: high-angle crop, often a wide lens, always low resolution,
    greyscale IR in a third of the cases, and noise."""
    h, w = img.shape[:2]
    if max(h, w) > 800:  # work at a camera-like size; the models see ≤ 300 px anyway
        s = 800 / max(h, w)
        img = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    out = high_angle(img, tilt=float(rng.uniform(0.05, 0.22)), crop=float(rng.uniform(0.7, 0.95)), rng=rng)
    if rng.random() < 0.6:
        out = wide_lens(out, k=float(rng.uniform(0.1, 0.35)))
    out = low_resolution(out, width=int(rng.integers(160, 400)), jpeg_quality=int(rng.integers(25, 70)))
    if rng.random() < 0.33:
        out = ir_grey(out)
    return noise(out, sigma=float(rng.uniform(2, 10)), rng=rng)
