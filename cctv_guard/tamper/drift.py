"""Drift: has the camera's field of view changed since the baseline? (Art. 8, 17)

Each analysed frame is registered to the baseline median: ORB features matched with a ratio
test and a RANSAC homography; where the scene has too little texture for that, phase
correlation of edge images gives a translation. The homography (baseline -> current) is
decomposed into the shift of the image centre (pan/tilt, in pixels and % of the frame width),
roll (degrees) and zoom (scale), and shapely measures coverage: the IoU of the baseline view
mapped into the current view, and the visible share of each must-see zone.

The scene's *static structure* (the edges present in most baseline frames, see
`Profile.static_edges`) checks a registration: a motion is only taken when undoing it lines the
static edges up better than standing still does (`warped_static_likeness` against
`static_likeness`), so the rotated or zoomed views that periodic floor tiles, crowds or a parked
car suggest to feature matching are rejected; and a view that registers to nothing is only a
camera turned away while nothing of the static structure stays in place where the picture holds
still (`steady_static_likeness`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import Polygon, box

BASELINE_FEATURES = 1000
FRAME_FEATURES = 500
REGISTER_WIDTH = 320  # features are found on a copy this wide (speed), coordinates scaled back
RATIO = 0.8
RANSAC_PX = 3.0
MIN_INLIERS = 14
MIN_INLIER_SHARE = 0.2
PHASE_WIDTH = 160
PHASE_MIN_RESPONSE = 0.2
QUICK_MIN_NCC = 0.6  # fast path: edge likeness at least this...
QUICK_MARGIN = 0.05  # ...and within this of the baseline frames' own 10th percentile
QUICK_MAX_SHIFT = 0.75  # ...and a phase shift under this (pixels at PHASE_WIDTH)
CORE_EDGE_SHARE = 0.2  # the baseline's strongest edge pixels that the fast path compares
STEADY_DIFF = 12.0  # grey levels: a pixel of the small image that changed more in a second is moving

_CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4))


def _normalise(gray: np.ndarray) -> np.ndarray:
    """Local contrast normalisation so features survive dusk, IR and fog."""
    return _CLAHE.apply(gray)


def features(gray: np.ndarray, n: int = FRAME_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """ORB keypoints (n, 2) float32 (in `gray`'s pixels) and descriptors (n, 32) uint8."""
    k = 1.0
    if gray.shape[1] > REGISTER_WIDTH:
        k = gray.shape[1] / REGISTER_WIDTH
        gray = cv2.resize(gray, (REGISTER_WIDTH, max(16, round(gray.shape[0] / k))), interpolation=cv2.INTER_AREA)
    orb = cv2.ORB_create(nfeatures=n, scaleFactor=1.25, nlevels=5, edgeThreshold=15, patchSize=15, fastThreshold=10)
    kps, desc = orb.detectAndCompute(_normalise(gray), None)
    if desc is None or not kps:
        return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    return np.array([kp.pt for kp in kps], np.float32) * np.float32(k), desc


@dataclass(frozen=True)
class Registration:
    H: np.ndarray | None  # 3x3, baseline analysis pixels -> current analysis pixels
    method: str  # "features", "phase" or "none"
    inliers: int
    quality: float  # 0..1: inlier share (features) or phase response


def register(gray: np.ndarray, kp_base: np.ndarray, desc_base: np.ndarray, base_median: np.ndarray) -> Registration:
    kp, desc = features(gray)
    if len(kp) >= MIN_INLIERS and len(kp_base) >= MIN_INLIERS:
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        pairs = matcher.knnMatch(desc_base, desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
        if len(good) >= MIN_INLIERS:
            src = kp_base[[m.queryIdx for m in good]]
            dst = kp[[m.trainIdx for m in good]]
            H, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PX, maxIters=2000, confidence=0.995)
            if H is not None and mask is not None:
                inl = int(mask.sum())
                share = inl / len(good)
                if inl >= MIN_INLIERS and share >= MIN_INLIER_SHARE and _plausible(H, gray.shape):
                    H = _refine(src[mask.ravel() > 0], dst[mask.ravel() > 0], H)
                    return Registration(H, "features", inl, float(share))
    return _phase(gray, base_median)


def _refine(src: np.ndarray, dst: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Least-squares homography on the inliers (steadier than the RANSAC minimal fit)."""
    if len(src) >= 8:
        H2, _ = cv2.findHomography(src, dst, 0)
        if H2 is not None:
            return H2
    return H


def _plausible(H: np.ndarray, shape) -> bool:
    if abs(H[2, 2]) < 1e-9:
        return False
    A = H[:2, :2] / H[2, 2]
    det = float(np.linalg.det(A))
    if not (0.25 < det < 4.0):
        return False
    h, w = shape[:2]
    # strong perspective terms mean a degenerate fit, not a camera motion
    return abs(H[2, 0] / H[2, 2]) * w < 0.5 and abs(H[2, 1] / H[2, 2]) * h < 0.5


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 0.0


def edge_likeness(gray: np.ndarray, base_median: np.ndarray) -> float:
    """Global normalised cross-correlation of the small edge images of a frame and the
    baseline median: high only when the view is where the baseline was."""
    return _ncc(_edges(gray), _edges(base_median))


def edge_core_likeness(gray: np.ndarray, base_median: np.ndarray) -> float:
    """Like `edge_likeness`, but only where the baseline median has its strongest edges (the
    top CORE_EDGE_SHARE of its edge pixels): people and vehicles passing add edges elsewhere and
    barely move it, while a zoom, roll or shift of a pixel or two takes those edges away (on
    vtest: normal frames 0.82-0.94; a 2 % zoom or 1 deg roll 0.70 at most; plain likeness
    overlapped: 0.69-0.86 against up to 0.76)."""
    return _core_ncc(_edges(gray), base_median)


def _core_ncc(edges: np.ndarray, base_median: np.ndarray) -> float:
    """NCC of a frame's edge image with the baseline's, on the baseline's strongest edges only."""
    core, idx = _base_core(base_median)
    return _ncc(core, edges.ravel()[idx])


def quick_identity(gray: np.ndarray, base_median: np.ndarray, floor: float | None,
                   core_floor: float | None = None) -> Registration | None:
    """The fast path: a frame whose edges line up with the baseline's as well as the baseline's
    own frames did (the 10th percentile of their `edge_core_likeness`, `core_floor`, less a
    margin; baselines from before it was recorded: of `edge_likeness`, `floor`) and with no
    measurable shift has not moved; skip feature matching. None means: register properly."""
    if floor is None and core_floor is None:
        return None
    a, b = _base_edges(base_median), _edges(gray)
    if core_floor is not None:
        ncc, limit = _core_ncc(b, base_median), core_floor
    else:
        ncc, limit = _ncc(a, b), floor
    if ncc < max(QUICK_MIN_NCC, limit - QUICK_MARGIN):
        return None
    (dx, dy), _ = cv2.phaseCorrelate(a.copy(), b, _hanning(a.shape))  # it may write into its inputs
    if math.hypot(dx, dy) > QUICK_MAX_SHIFT:
        return None
    return Registration(np.eye(3), "quick", 0, ncc)


_EDGE_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _base_edges(median: np.ndarray) -> np.ndarray:
    """`_edges` of a baseline median, computed once per median array."""
    hit = _EDGE_CACHE.get(id(median))
    if hit is not None and hit[0] is median:
        return hit[1]
    if len(_EDGE_CACHE) > 32:
        _EDGE_CACHE.clear()
    e = _edges(median)
    _EDGE_CACHE[id(median)] = (median, e)
    return e


_CORE_CACHE: dict[int, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}


def _base_core(median: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strongest edges of a baseline median: (their values, their flat indices), once per array."""
    hit = _CORE_CACHE.get(id(median))
    if hit is not None and hit[0] is median:
        return hit[1]
    if len(_CORE_CACHE) > 32:
        _CORE_CACHE.clear()
    e = _base_edges(median).ravel()
    idx = np.flatnonzero(e > np.quantile(e, 1.0 - CORE_EDGE_SHARE))
    if len(idx) < 16:  # a (nearly) flat median: use all of it
        idx = np.arange(e.size)
    core = (np.ascontiguousarray(e[idx]), idx)
    _CORE_CACHE[id(median)] = (median, core)
    return core


def _hanning(shape: tuple[int, int]) -> np.ndarray:
    # not cached: cv2.phaseCorrelate may write into the window it is given
    return cv2.createHanningWindow((shape[1], shape[0]), cv2.CV_32F)


def _edges(gray: np.ndarray) -> np.ndarray:
    small = cv2.resize(gray, (PHASE_WIDTH, max(8, gray.shape[0] * PHASE_WIDTH // gray.shape[1])), interpolation=cv2.INTER_AREA)
    s = cv2.GaussianBlur(small.astype(np.float32), (0, 0), 1.0)
    g = cv2.magnitude(cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1))
    return g / (g.mean() + 1e-3)


def edge_image(gray: np.ndarray) -> np.ndarray:
    """The small normalised edge image that the fast path, phase correlation and the static
    structure use (PHASE_WIDTH wide)."""
    return _edges(gray)


def edge_image_shape(analysis_size: tuple[int, int]) -> tuple[int, int]:
    """(rows, cols) of `edge_image` for analysis images of (w, h)."""
    w, h = analysis_size
    return max(8, h * PHASE_WIDTH // w), PHASE_WIDTH


_STATIC_CACHE: dict[int, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}


def _static_core(static_edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strongest CORE_EDGE_SHARE of a baseline's static edges: (values, flat indices), once per array."""
    hit = _STATIC_CACHE.get(id(static_edges))
    if hit is not None and hit[0] is static_edges:
        return hit[1]
    if len(_STATIC_CACHE) > 32:
        _STATIC_CACHE.clear()
    e = static_edges.ravel()
    idx = np.flatnonzero(e > np.quantile(e, 1.0 - CORE_EDGE_SHARE))
    if len(idx) < 16:
        idx = np.arange(e.size)
    core = (np.ascontiguousarray(e[idx]), idx)
    _STATIC_CACHE[id(static_edges)] = (static_edges, core)
    return core


def static_likeness(edges: np.ndarray, static_edges: np.ndarray) -> float:
    """How well a frame's `edge_image` lines up, where it stands, with the scene's static
    structure (NCC on the strongest static edges): near the baseline frames' own values when
    the camera has not moved, whatever crowds or a parked car add elsewhere; near 0 when the
    camera looks elsewhere."""
    core, idx = _static_core(static_edges)
    return _ncc(core, edges.ravel()[idx])


def steady_static_likeness(gray: np.ndarray, older_gray: np.ndarray, static_edges: np.ndarray) -> float | None:
    """`static_likeness` over the static core where the picture held still since `older_gray`
    (a lorry passing in front hides part of the structure for a while; where it is, the frame
    changes). None when less than a quarter of the core held still (nothing steady to judge by)."""
    core, idx = _static_core(static_edges)
    edges = _edges(gray)
    h, w = edges.shape
    a = cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    b = cv2.resize(older_gray, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    moving = cv2.GaussianBlur(cv2.absdiff(a, b), (0, 0), 1.5) > STEADY_DIFF
    steady = ~moving.ravel()[idx]
    if steady.sum() < max(16, len(idx) // 4):
        return None
    return _ncc(core[steady], edges.ravel()[idx][steady])


def warped_static_likeness(edges: np.ndarray, H: np.ndarray, analysis_width: int, static_edges: np.ndarray) -> float:
    """`static_likeness` of a frame after undoing a motion `H` (baseline -> current, analysis
    pixels): how well the motion explains the static structure. Core pixels that the motion
    takes out of the frame are left out (None-like 0.0 when too few remain)."""
    core, idx = _static_core(static_edges)
    h, w = edges.shape
    k = w / analysis_width
    S = np.diag([k, k, 1.0])
    Hs = S @ H @ np.linalg.inv(S)
    back = cv2.warpPerspective(edges, Hs, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=-1.0)
    vals = back.ravel()[idx]
    inside = vals >= 0.0
    if inside.sum() < max(16, len(idx) // 4):
        return 0.0
    return _ncc(core[inside], vals[inside])


def _phase(gray: np.ndarray, base_median: np.ndarray) -> Registration:
    """Translation-only fallback for low-texture scenes."""
    a, b = _base_edges(base_median), _edges(gray)
    (dx, dy), response = cv2.phaseCorrelate(a.copy(), b, _hanning(a.shape))  # it may write into its inputs
    if response < PHASE_MIN_RESPONSE:
        return Registration(None, "none", 0, float(response))
    k = gray.shape[1] / a.shape[1]
    H = np.array([[1, 0, dx * k], [0, 1, dy * k], [0, 0, 1]], np.float64)
    return Registration(H, "phase", 0, float(min(1.0, response)))


@dataclass(frozen=True)
class Motion:
    shift_px: tuple[float, float]  # image-centre displacement, original footage pixels
    shift_pct: float  # its length in % of the frame (x as % of width, y as % of height)
    rotation_deg: float
    scale: float
    coverage_iou: float  # baseline view mapped into the current view, IoU with the frame
    zones_visible: dict[str, float]  # must-see zone -> visible share (0..1)


def decompose(H: np.ndarray, analysis_size: tuple[int, int], frame_size: tuple[int, int]) -> tuple[tuple[float, float], float, float]:
    """(shift of the image centre in original pixels, roll in degrees, zoom scale)."""
    w, h = analysis_size
    Hn = H / H[2, 2]
    c = np.array([w / 2.0, h / 2.0, 1.0])
    m = Hn @ c
    m = m[:2] / m[2]
    k = frame_size[0] / w
    shift = ((m[0] - c[0]) * k, (m[1] - c[1]) * k)
    # local linearisation of H at the centre: the Jacobian
    J = np.array(
        [
            [Hn[0, 0] - m[0] * Hn[2, 0], Hn[0, 1] - m[0] * Hn[2, 1]],
            [Hn[1, 0] - m[1] * Hn[2, 0], Hn[1, 1] - m[1] * Hn[2, 1]],
        ]
    ) / (Hn[2] @ c)
    roll = math.degrees(math.atan2(J[1, 0] - J[0, 1], J[0, 0] + J[1, 1]))
    scale = math.sqrt(abs(float(np.linalg.det(J))))
    return (float(shift[0]), float(shift[1])), float(roll), float(scale)


def _map_polygon(H: np.ndarray, pts: np.ndarray) -> Polygon | None:
    p = cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float64), H).reshape(-1, 2)
    if not np.all(np.isfinite(p)):
        return None
    poly = Polygon(p)
    if not poly.is_valid:
        poly = poly.buffer(0)
    return poly


def coverage(H: np.ndarray, analysis_size: tuple[int, int], frame_size: tuple[int, int], zones: dict) -> tuple[float, dict[str, float]]:
    """IoU of the mapped baseline view with the current frame, and visible share of zones."""
    w, h = analysis_size
    frame = box(0, 0, w, h)
    mapped = _map_polygon(H, np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64))
    if mapped is None or mapped.area <= 0:
        return 0.0, {k: 0.0 for k in zones}
    inter = mapped.intersection(frame).area
    iou = inter / max(mapped.union(frame).area, 1e-9)
    k = w / frame_size[0]
    visible = {}
    for name, pts in zones.items():
        zp = _map_polygon(H, np.asarray(pts, np.float64) * k)
        visible[name] = 0.0 if zp is None or zp.area <= 0 else float(zp.intersection(frame).area / zp.area)
    return float(iou), visible


def motion(H: np.ndarray, analysis_size: tuple[int, int], frame_size: tuple[int, int], zones: dict) -> Motion:
    shift, roll, scale = decompose(H, analysis_size, frame_size)
    iou, visible = coverage(H, analysis_size, frame_size, zones)
    pct = 100.0 * math.hypot(shift[0] / frame_size[0], shift[1] / frame_size[1])
    return Motion(shift, pct, roll, scale, iou, visible)
