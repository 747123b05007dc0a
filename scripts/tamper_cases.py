"""Synthesis of camera-tamper and nuisance scenarios from real footage (numpy + OpenCV only).

A *scenario* is a camera pose over time (pan / tilt / roll / zoom / jitter, rendered as a view
window inside a larger source frame, so that panning brings real new scene content into view),
plus effects applied to the source (crowds) and to the rendered picture (covers, translucent
sheets, printed boards, spray paint, blur, blackout, light ramps, IR night switch, noise, rain,
passing trucks, on-screen clock), plus optional freezes. Everything here is a pure function of
arrays and time; reading and writing video lives in `footage.py`. Used by `make_samples.py`,
`bench_tamper.py`, `bench_scenes.py` and the tests' samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Callable, Iterator

import cv2
import numpy as np

Effect = Callable[[np.ndarray, float], np.ndarray]


# --- timing helpers ---------------------------------------------------------------------------


def ramp(t: float, t0: float, t1: float, a: float = 0.0, b: float = 1.0) -> float:
    """a before t0, b after t1, linear in between (a step at t0 when t1 <= t0)."""
    if t1 <= t0:
        return a if t < t0 else b
    u = min(1.0, max(0.0, (t - t0) / (t1 - t0)))
    return a + (b - a) * u


def smooth_ramp(t: float, t0: float, t1: float, a: float = 0.0, b: float = 1.0) -> float:
    """Like `ramp` with an ease-in/ease-out profile (how a motor or a hand moves)."""
    u = ramp(t, t0, t1)
    return a + (b - a) * (u * u * (3 - 2 * u))


def frame_rng(seed: int, t: float) -> np.random.Generator:
    """A deterministic generator per (scenario seed, frame time)."""
    return np.random.default_rng([seed, int(round(t * 1000))])


# --- camera pose and view geometry --------------------------------------------------------------


@dataclass(frozen=True)
class Pose:
    """Camera pose relative to its registered view. pan/tilt are fractions of the view width /
    height (positive: the camera turns right / down, so the scene moves left / up in the image);
    roll in degrees; zoom > 1 magnifies; jitter in output pixels."""

    pan: float = 0.0
    tilt: float = 0.0
    roll_deg: float = 0.0
    zoom: float = 1.0
    jitter_px: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class ViewGeometry:
    """The registered view is a centred window of `crop` × the source width (same aspect as the
    output) inside the source frame, rendered at `out_wh`."""

    src_wh: tuple[int, int]
    out_wh: tuple[int, int]
    crop: float

    def view_to_source(self, pose: Pose) -> np.ndarray:
        """3×3 matrix mapping output pixel coordinates to source pixel coordinates."""
        sw, sh = self.src_wh
        ow, oh = self.out_wh
        s = self.crop * sw / ow  # source px per output px
        if s * oh > sh + 1e-6:
            raise ValueError(f"crop {self.crop} of {sw}x{sh} cannot hold a {ow}x{oh} view")
        to_centre = np.array([[1, 0, -(ow - 1) / 2], [0, 1, -(oh - 1) / 2], [0, 0, 1]], float)
        scale = np.diag([s / pose.zoom, s / pose.zoom, 1.0])
        a = math.radians(pose.roll_deg)
        rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
        tx = (sw - 1) / 2 + pose.pan * ow * s + pose.jitter_px[0] * s
        ty = (sh - 1) / 2 + pose.tilt * oh * s + pose.jitter_px[1] * s
        shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], float)
        return shift @ rot @ scale @ to_centre

    def render(self, src: np.ndarray, pose: Pose) -> np.ndarray:
        m = self.view_to_source(pose)
        return cv2.warpPerspective(
            src, m, self.out_wh, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101
        )

    def image_motion(self, pose: Pose, reference: Pose = Pose()) -> np.ndarray:
        """Homography taking registered-view pixels to where the same scene point appears
        under `pose` (what a drift detector should recover)."""
        return np.linalg.inv(self.view_to_source(pose)) @ self.view_to_source(reference)


def decompose(h: np.ndarray, out_wh: tuple[int, int]) -> dict:
    """Shift of the image centre (px and % of width/height), roll (deg) and scale of a
    near-similarity homography."""
    ow, oh = out_wh
    c = np.array([(ow - 1) / 2, (oh - 1) / 2, 1.0])
    m = h @ c
    dx, dy = m[0] / m[2] - c[0], m[1] / m[2] - c[1]
    a = h[:2, :2] / h[2, 2]
    scale = math.sqrt(abs(np.linalg.det(a)))
    rot = math.degrees(math.atan2(a[1, 0] - a[0, 1], a[0, 0] + a[1, 1]))
    return {
        "shift_px": [round(dx, 2), round(dy, 2)],
        "shift_pct": [round(100 * dx / ow, 2), round(100 * dy / oh, 2)],
        "rotation_deg": round(rot, 3),
        "scale": round(scale, 4),
    }


# --- picture effects (pure: image in, new image out) ---------------------------------------------


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Out-of-focus lens, approximated by a Gaussian point spread of `sigma` output pixels."""
    if sigma <= 0.05:
        return img
    return cv2.GaussianBlur(img, (0, 0), sigma)


def light(img: np.ndarray, gain: float, gamma: float = 1.0) -> np.ndarray:
    """Scene light level × `gain` (dusk, lights off/on) with an optional tone-curve change."""
    if gain == 1.0 and gamma == 1.0:
        return img
    x = img.astype(np.float32) / 255.0
    if gamma != 1.0:
        x = np.power(x, gamma)
    return np.clip(x * (255.0 * gain), 0, 255).astype(np.uint8)


def add_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise: Gaussian, independent per pixel and channel."""
    if sigma <= 0:
        return img
    noise = rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def _noise_field(shape: tuple[int, ...], sigma: float) -> np.ndarray:
    h, w = shape[:2]
    rng = np.random.default_rng(12345)
    field = rng.standard_normal((h + NOISE_MARGIN, w + NOISE_MARGIN) + tuple(shape[2:]), dtype=np.float32)
    return np.round(field * sigma).astype(np.int16)


NOISE_MARGIN = 64


def live_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Fast per-frame sensor noise for long renders: a randomly offset window of one fixed
    noise field, so consecutive frames never repeat (4,225 offsets) at a fraction of the cost
    of fresh Gaussian draws."""
    if sigma <= 0:
        return img
    h, w = img.shape[:2]
    dy, dx = (int(v) for v in rng.integers(0, NOISE_MARGIN + 1, 2))
    window = _noise_field(img.shape, round(float(sigma), 2))[dy : dy + h, dx : dx + w]
    return np.clip(img.astype(np.int16) + window, 0, 255).astype(np.uint8)


def blackout(img: np.ndarray, rng: np.random.Generator, level: float = 6.0, noise: float = 1.5) -> np.ndarray:
    """Lost video / lens painted over: a near-black picture with a little sensor noise."""
    base = np.full(img.shape, level, np.float32)
    return add_noise(base.astype(np.uint8), noise, rng)


def ir_night(img: np.ndarray, rng: np.random.Generator, *, gain: float = 1.15, noise: float = 5.0) -> np.ndarray:
    """Day/night switch: the IR-cut filter lifts, the picture turns greyscale, the IR
    illuminator lights the centre more than the edges, and sensor gain adds noise."""
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    vignette = 1.0 - 0.35 * np.clip(r2 / 2.0, 0, 1)
    out = np.clip(grey * gain * vignette + rng.normal(0, noise, grey.shape), 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


def _smooth_texture(shape: tuple[int, int], seed: int, cells: int = 6) -> np.ndarray:
    """Low-frequency random field in [-1, 1] (the unfocused surface of something at the lens)."""
    h, w = shape
    small = np.random.default_rng(seed).uniform(-1, 1, (cells, max(2, round(cells * w / h)))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def cover_mask(shape: tuple[int, int], frac: float, side: str, *, softness: float = 0.04) -> np.ndarray:
    """Alpha mask (float32 0..1) of an occluder that covers `frac` of the frame entering from
    `side` ('left', 'right', 'top', 'bottom'); frac >= 1 covers everything. The edge is soft
    (the occluder is far out of focus) and slightly slanted."""
    h, w = shape
    if frac <= 0:
        return np.zeros(shape, np.float32)
    if frac >= 1:
        return np.ones(shape, np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / w, yy / h
    slant = 0.08
    coord = {
        "left": u + slant * (v - 0.5),
        "right": 1 - u + slant * (v - 0.5),
        "top": v + slant * (u - 0.5),
        "bottom": 1 - v + slant * (u - 0.5),
    }[side]
    return np.clip((frac - coord) / softness + 0.5, 0, 1).astype(np.float32)


def cover(
    img: np.ndarray,
    frac: float,
    side: str = "left",
    *,
    colour: tuple[int, int, int] = (60, 80, 110),
    seed: int = 0,
    opacity: float = 1.0,
) -> np.ndarray:
    """Something held over the lens (hand, cardboard, cloth, tape): a smooth, shaded surface of
    `colour` (BGR) over `frac` of the frame. With opacity < 1 it is a translucent sheet: the
    scene shows through, blurred and washed out."""
    h, w = img.shape[:2]
    alpha = cover_mask((h, w), frac, side) * opacity
    if not alpha.any():
        return img
    shade = 1.0 + 0.25 * _smooth_texture((h, w), seed)
    occ = np.clip(np.asarray(colour, np.float32)[None, None, :] * shade[..., None], 0, 255)
    base = img.astype(np.float32)
    if opacity < 1.0:
        base = blur(img, 9.0).astype(np.float32)
    a = alpha[..., None]
    return np.clip(base * (1 - a) + occ * a, 0, 255).astype(np.uint8)


def sheet(
    img: np.ndarray,
    frac: float,
    side: str = "left",
    *,
    colour: tuple[int, int, int] = (30, 30, 35),
    opacity: float = 0.9,
    seed: int = 0,
) -> np.ndarray:
    """A translucent sheet (cloth, plastic bag, dark film) over `frac` of the frame: only the
    covered part shows the scene blurred and washed out under `colour` at `opacity`; the rest
    of the picture is untouched (unlike `cover`, whose translucent mode blurs the whole frame)."""
    h, w = img.shape[:2]
    mask = cover_mask((h, w), frac, side)
    if not mask.any():
        return img
    shade = 1.0 + 0.2 * _smooth_texture((h, w), seed)
    return _film(img, mask, np.asarray(colour, np.float32)[None, None, :] * shade[..., None], opacity, 9.0)


def _film(img: np.ndarray, mask: np.ndarray, colour: np.ndarray, opacity: float, diffuse: float) -> np.ndarray:
    """Something translucent on the lens where `mask` (0..1): the scene behind it diffused by a
    blur of `diffuse` pixels, then `colour` laid over it at `opacity`."""
    m = mask[..., None]
    base = img.astype(np.float32) * (1 - m) + blur(img, diffuse).astype(np.float32) * m
    a = m * opacity
    return np.clip(base * (1 - a) + np.clip(colour, 0, 255) * a, 0, 255).astype(np.uint8)


@lru_cache(maxsize=64)
def _spray_field(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Where paint lands first: densest around a random aim point, with blotchy edges."""
    h, w = shape
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(0.3, 0.7, 2)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xx / w) - cx) ** 2 + (((yy / h) - cy) * h / w) ** 2)
    return -r + 0.22 * _smooth_texture(shape, seed, cells=5) + 0.07 * _smooth_texture(shape, seed + 1, cells=16)


def spray_mask(shape: tuple[int, int], amount: float, seed: int = 0) -> np.ndarray:
    """Alpha mask (float32 0..1) of spray paint on the lens covering about `amount` of the frame:
    blotchy, soft-edged (the paint is far out of focus) and uneven inside."""
    h, w = shape
    if amount <= 0:
        return np.zeros(shape, np.float32)
    sh, sw = max(8, h // 4), max(8, w // 4)
    field = _spray_field((sh, sw), seed)
    thr = float(np.quantile(field, 1.0 - min(amount, 1.0))) if amount < 1 else float(field.min()) - 0.2
    alpha = np.clip((field - thr) / 0.05 + 0.5, 0, 1) * (0.88 + 0.12 * _smooth_texture((sh, sw), seed + 2, cells=10))
    return cv2.resize(alpha.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def spray(
    img: np.ndarray,
    amount: float,
    *,
    colour: tuple[int, int, int] = (25, 25, 30),
    opacity: float = 0.9,
    seed: int = 0,
) -> np.ndarray:
    """Spray paint on the lens over about `amount` of the frame at `opacity` (below 1 the scene
    shows through, diffused by the paint film)."""
    h, w = img.shape[:2]
    mask = spray_mask((h, w), amount, seed)
    if not mask.any():
        return img
    return _film(img, mask, np.asarray(colour, np.float32)[None, None, :], opacity, 6.0)


@lru_cache(maxsize=16)
def board_texture(height: int, width: int, seed: int) -> np.ndarray:
    """A printed board or poster (in focus, so it carries real structure): coloured panels,
    stripes and lines of lettering."""
    rng = np.random.default_rng(seed)
    tex = np.zeros((height, width, 3), np.uint8)
    tex[:] = tuple(int(c) for c in rng.integers(60, 220, 3))
    for _ in range(5):
        x0, y0 = int(rng.integers(0, max(1, width - 20))), int(rng.integers(0, max(1, height - 20)))
        x1, y1 = x0 + int(rng.integers(20, max(21, width // 2))), y0 + int(rng.integers(10, max(11, height // 3)))
        cv2.rectangle(tex, (x0, y0), (x1, y1), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    scale = max(0.4, height / 300)
    letters = "ABCDEFGHKLMNPRSTUVXZ0123456789"
    for row in range(int(rng.integers(3, 7))):
        text = "".join(letters[int(i)] for i in rng.integers(0, len(letters), int(rng.integers(6, 16))))
        org = (int(rng.integers(0, max(1, width // 3))), int((row + 1) * height / 7))
        cv2.putText(tex, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, tuple(int(c) for c in rng.integers(0, 80, 3)),
                    max(1, int(2 * scale)), cv2.LINE_AA)
    return tex


def board(img: np.ndarray, frac: float, side: str = "left", *, seed: int = 0) -> np.ndarray:
    """A textured, opaque occluder (a board or poster put up in front of the camera) over
    `frac` of the frame: sharp-edged and full of detail, so texture loss alone cannot see it."""
    h, w = img.shape[:2]
    alpha = cover_mask((h, w), frac, side, softness=0.01)
    if not alpha.any():
        return img
    a = alpha[..., None]
    occ = board_texture(h, w, seed).astype(np.float32)
    return np.clip(img.astype(np.float32) * (1 - a) + occ * a, 0, 255).astype(np.uint8)


def vehicle_texture(height: int, width: int, seed: int) -> np.ndarray:
    """Side view of a lorry: a coloured box with panel seams, a cab window, lettering-like
    blocks and dark wheels; in focus, so it carries real structure."""
    rng = np.random.default_rng(seed)
    body = tuple(int(c) for c in rng.integers(40, 200, 3))
    tex = np.zeros((height, width, 3), np.uint8)
    tex[:] = body
    for x in range(0, width, max(8, width // 12)):
        cv2.line(tex, (x, 0), (x, int(height * 0.8)), tuple(max(0, c - 40) for c in body), 2)
    cab = int(width * 0.18)
    cv2.rectangle(tex, (width - cab, 0), (width - 1, int(height * 0.8)), (50, 50, 55), -1)
    cv2.rectangle(tex, (width - cab + 6, 6), (width - 8, int(height * 0.35)), (150, 140, 120), -1)
    for _ in range(6):
        x0, y0 = int(rng.integers(10, max(11, width - cab - 60))), int(rng.integers(10, max(11, height // 2)))
        cv2.rectangle(tex, (x0, y0), (x0 + int(rng.integers(20, 60)), y0 + 10), (240, 240, 240), -1)
    cv2.rectangle(tex, (0, int(height * 0.8)), (width - 1, height - 1), (25, 25, 25), -1)
    for cx in (int(width * 0.15), int(width * 0.35), int(width * 0.85)):
        cv2.circle(tex, (cx, int(height * 0.85)), max(4, height // 7), (15, 15, 15), -1)
    return tex


def passing_vehicle(img: np.ndarray, t: float, t0: float, cross_s: float, *, height_frac: float, length_frac: float = 1.2, seed: int = 0) -> np.ndarray:
    """A large vehicle driving across the lower part of the picture, entering from the left at
    t0 and leaving on the right after `cross_s` seconds."""
    h, w = img.shape[:2]
    vh, vw = max(8, int(h * height_frac)), max(16, int(w * length_frac))
    u = (t - t0) / cross_s
    if u <= 0 or u >= 1:
        return img
    x = int(-vw + u * (w + vw))
    tex = vehicle_texture(vh, vw, seed)
    out = img.copy()
    y0 = h - vh - int(0.04 * h)
    xa, xb = max(0, x), min(w, x + vw)
    if xb > xa:
        out[y0 : y0 + vh, xa:xb] = tex[:, xa - x : xb - x]
    return out


def rain(img: np.ndarray, rng: np.random.Generator, *, density: float = 0.004, length: int = 14, angle_deg: float = 12.0) -> np.ndarray:
    """Rain: short bright streaks at random places every frame, plus a slight loss of contrast."""
    h, w = img.shape[:2]
    n = int(density * h * w / 4)
    streaks = np.zeros((h, w), np.uint8)
    xs, ys = rng.integers(0, w, n), rng.integers(0, h, n)
    dx, dy = length * math.sin(math.radians(angle_deg)), length * math.cos(math.radians(angle_deg))
    for x, y in zip(xs.tolist(), ys.tolist()):
        cv2.line(streaks, (x, y), (int(x + dx), int(y + dy)), 255, 1)
    streaks = cv2.GaussianBlur(streaks, (3, 3), 0).astype(np.float32)[..., None] / 255.0
    base = img.astype(np.float32) * 0.9 + 12.0
    return np.clip(base * (1 - 0.5 * streaks) + 220.0 * 0.5 * streaks, 0, 255).astype(np.uint8)


def osd_clock(img: np.ndarray, t: float, start: datetime = datetime(2026, 3, 14, 9, 30, 0)) -> np.ndarray:
    """Burned-in on-screen date/time, as most cameras and recorders add."""
    text = (start + timedelta(seconds=int(t))).strftime("%Y-%m-%d %H:%M:%S")
    out = img.copy()
    scale = max(0.35, img.shape[1] / 900)
    org = (8, int(22 * scale / 0.5))
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def median_background(frames: list[np.ndarray]) -> np.ndarray:
    """Per-pixel temporal median: the scene without the people passing through it."""
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def add_crowd(img: np.ndarray, others: list[np.ndarray], background: np.ndarray, *, threshold: int = 28) -> np.ndarray:
    """Paste the moving foreground (people) of `others` (same camera, other moments) onto
    `img`: the same place, several times busier."""
    out = img.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for other in others:
        b, g, r = cv2.split(cv2.absdiff(other, background))
        diff = cv2.max(cv2.max(b, g), r)  # the channel maximum (numpy's .max(axis=2) is ~10x slower)
        mask = cv2.morphologyEx((diff > threshold).astype(np.uint8), cv2.MORPH_OPEN, kernel)
        mask = cv2.dilate(mask, kernel).astype(bool)
        np.copyto(out, other, where=mask[..., None])
    return out


# --- scenarios ------------------------------------------------------------------------------------


def still(t: float) -> Pose:
    return Pose()


@dataclass(frozen=True)
class Scenario:
    """One synthetic clip: what happens to the camera, when, and what a checker should report.

    `expected`: event kinds that name the tamper; `accepted`: other kinds that are also a right
    answer for it (a big pan also loses coverage); empty `expected` means a normal clip on which
    any event is a false alarm."""

    name: str
    group: str
    duration_s: float
    onset_s: float | None = None
    expected: tuple[str, ...] = ()
    accepted: tuple[str, ...] = ()
    pose: Callable[[float], Pose] = still
    source_effects: tuple[Effect, ...] = ()
    effects: tuple[Effect, ...] = ()
    source_freeze_s: float | None = None  # the sensor stops; overlays (clock) keep running
    picture_freeze_s: float | None = None  # the whole picture stops, clock included
    crf: int = 26
    source_offset_s: float = 0.0
    truth: dict = field(default_factory=dict)
    note: str = ""

    @property
    def is_tamper(self) -> bool:
        return bool(self.expected)


def render_scenario(
    sc: Scenario, geometry: ViewGeometry, frame_at: Callable[[float], np.ndarray], fps: float
) -> Iterator[np.ndarray]:
    """The scenario's frames at `fps`, rendered from source frames `frame_at(t)`."""
    n = int(round(sc.duration_s * fps))
    held: np.ndarray | None = None
    for i in range(n):
        t = i / fps
        if sc.picture_freeze_s is not None and t >= sc.picture_freeze_s and held is not None:
            yield held
            continue
        ts = t if sc.source_freeze_s is None else min(t, sc.source_freeze_s)
        src = frame_at(sc.source_offset_s + ts)
        for fx in sc.source_effects:
            src = fx(src, sc.source_offset_s + ts)
        img = geometry.render(src, sc.pose(ts))
        for fx in sc.effects:
            img = fx(img, t)
        held = img
        yield img
