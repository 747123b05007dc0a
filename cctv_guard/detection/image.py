"""Bringing any image array into the shape the models expect.

Backends accept whatever a caller may hold: greyscale, BGRA (alpha), 16-bit or float images,
tiny or huge. `as_bgr8` turns them into (H, W, 3) uint8 BGR; `limit_size` shrinks huge ones
before any further work; `letterbox` fits an image into a fixed model input keeping its aspect.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cctv_guard.core.errors import SourceError


def as_bgr8(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 BGR from a greyscale, BGR or BGRA image of uint8/uint16/float/bool dtype.

    Alpha is dropped (the colour channels are kept as they are). 16-bit images are scaled down
    by 257; float images are taken as 0..1 when their maximum is at most 1, else as 0..255.
    Raises SourceError for anything that is not an image (wrong rank, no pixels, 2 channels).
    """
    if not isinstance(image, np.ndarray):
        raise SourceError(f"expected an image as a numpy array, got {type(image).__name__}")
    a = image
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise SourceError(f"expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise SourceError(f"expected an image with pixels, got shape {a.shape}")
    a = _to_uint8(a)
    if a.ndim == 2:
        return cv2.cvtColor(a, cv2.COLOR_GRAY2BGR)
    if a.shape[2] == 4:
        return cv2.cvtColor(a, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(a)


def _to_uint8(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if a.dtype == np.uint16:
        return (a // 257).astype(np.uint8)
    if np.issubdtype(a.dtype, np.integer):
        return np.clip(a, 0, 255).astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        f = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        if f.size and float(f.max()) <= 1.0:
            f = f * 255.0
        return np.clip(f + 0.5, 0, 255).astype(np.uint8)
    raise SourceError(f"expected an image of integer or float pixels, got dtype {a.dtype}")


def limit_size(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Shrink `image` so its longer side is at most `max_side`; returns (image, scale) where
    scale = new size / old size (1.0 when unchanged)."""
    h, w = image.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return image, 1.0
    s = max_side / longest
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), s


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to exactly (width, height): area averaging when shrinking, bilinear when growing."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    shrinking = w > width and h > height
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


@dataclass(frozen=True)
class Letterbox:
    """How an image was placed into a model input: input = image * scale + (pad_x, pad_y)."""

    scale: float
    pad_x: int
    pad_y: int

    def to_image(self, xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
        """Map model-input boxes back to image pixels, clipped to the image."""
        out = xyxy.astype(np.float32).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height)
        return out


def letterbox(image: np.ndarray, width: int, height: int, fill: int = 114) -> tuple[np.ndarray, Letterbox]:
    """Fit `image` into (width, height) keeping its aspect ratio, centred, padded with `fill`."""
    h, w = image.shape[:2]
    s = min(width / w, height / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    resized = resize_to(image, nw, nh)
    px, py = (width - nw) // 2, (height - nh) // 2
    canvas = np.full((height, width, 3), fill, dtype=np.uint8)
    canvas[py : py + nh, px : px + nw] = resized
    return canvas, Letterbox(s, px, py)
