"""What can be judged in a view: privacy masks (polygons an operator declares off limits), the
view's quality (too dark, washed out, covered, blurred), and whether two views differ at all.

Every function takes any image `detection.image.as_bgr8` accepts (greyscale, BGR, BGRA; uint8,
16-bit or float).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from cctv_guard.detection.image import as_bgr8
from cctv_guard.privacy.config import QualityConfig

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in frame pixels
Polygon = Sequence[tuple[float, float]]


def grey8(image: np.ndarray) -> np.ndarray:
    """The image as one uint8 grey channel."""
    if image.ndim == 2 and image.dtype == np.uint8:
        return image
    return cv2.cvtColor(as_bgr8(image), cv2.COLOR_BGR2GRAY)


# --- masks --------------------------------------------------------------------------------------


def scale_polygons(masks: Sequence[Polygon] | None, sx: float, sy: float | None = None) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Polygons with every x multiplied by `sx` and every y by `sy` (default: `sx`)."""
    sy = sx if sy is None else sy
    return tuple(tuple((x * sx, y * sy) for x, y in m) for m in masks or ())


def in_masks(box: Box, masks: Sequence[Polygon], min_overlap: float = 0.5) -> bool:
    """True when the box's centre lies in a mask or at least `min_overlap` of its area does."""
    if not masks:
        return False
    from shapely.geometry import Point, Polygon, box as sbox
    from shapely.ops import unary_union

    union = unary_union([Polygon(m).buffer(0) for m in masks])
    x1, y1, x2, y2 = box
    if union.contains(Point((x1 + x2) / 2, (y1 + y2) / 2)):
        return True
    b = sbox(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return b.area > 0 and union.intersection(b).area >= min_overlap * b.area


def mask_image(image: np.ndarray, masks, fill: int = 114) -> np.ndarray:
    """The image as BGR8 with the masked polygons painted flat grey (a copy; without masks the
    image is not copied)."""
    img = as_bgr8(image)
    if not masks:
        return img
    out = img.copy()
    polys = [np.round(np.asarray(m, dtype=np.float64)).astype(np.int32) for m in masks]
    cv2.fillPoly(out, polys, (fill, fill, fill))
    return out


def mask_array(shape: tuple[int, int], masks) -> np.ndarray | None:
    """Boolean (H, W) array, True where pixels are masked; None without masks."""
    if not masks:
        return None
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(np.asarray(p, dtype=np.float64)).astype(np.int32) for p in masks], 1)
    return m.astype(bool)


# --- view quality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewQuality:
    luma: float
    contrast: float
    sharpness: float
    judgeable: bool
    reason: str | None  # why it cannot be judged: "too dark", "washed out", "covered", "blurred", "too small"


def view_quality(image: np.ndarray, config: QualityConfig | None = None, masked: np.ndarray | None = None) -> ViewQuality:
    """Simple statistics of the (unmasked part of the) view: mean grey level, its standard
    deviation and the variance of the Laplacian, on a copy at most 640 px wide."""
    q = config or QualityConfig()
    h, w = image.shape[:2]
    grey = grey8(image)
    if max(h, w) > 640:
        s = 640 / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if masked is not None:
            masked = cv2.resize(masked.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    keep = ~masked if masked is not None else np.ones(grey.shape, bool)
    if not keep.any():
        return ViewQuality(0.0, 0.0, 0.0, False, "fully masked")
    vals = grey[keep].astype(np.float32)
    luma, contrast = float(vals.mean()), float(vals.std())
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    sharp = float(lap[keep].var())
    reason = None
    if min(h, w) < q.min_side:
        reason = "too small"
    elif luma < q.min_luma:
        reason = "too dark"
    elif luma > q.max_luma:
        reason = "washed out"
    elif contrast < q.min_contrast:
        reason = "covered"
    elif sharp < q.min_sharpness:
        reason = "blurred"
    return ViewQuality(luma, contrast, sharp, reason is None, reason)


# --- has the view changed? ----------------------------------------------------------------------


def thumbnail(image: np.ndarray, width: int = 64) -> np.ndarray:
    """A small float32 grey copy (`width` px wide) to compare views with `view_changed`."""
    h, w = image.shape[:2]
    th = max(1, round(h * width / max(w, 1)))
    return cv2.resize(grey8(image), (width, th), interpolation=cv2.INTER_AREA).astype(np.float32)


def view_changed(previous: np.ndarray | None, current: np.ndarray, threshold: float) -> bool:
    """True when at least `threshold` (a fraction) of two thumbnails' pixels (from `thumbnail`)
    differ by more than 25 grey levels: a new scene, a pan or a lighting change, not people
    walking through a fixed view. Always true for the first frame or a change of shape."""
    if previous is None or previous.shape != current.shape:
        return True
    return float((np.abs(previous - current) > 25.0).mean()) >= threshold
