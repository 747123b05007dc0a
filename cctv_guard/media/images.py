"""Image files: reading one as BGR uint8, listing a folder in natural order, and the times of a
sequence of images (from time stamps in their names, else from their order)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from cctv_guard.core.errors import SourceError
from cctv_guard.media.imagesize import declared_size

# Pictures larger than this many pixels are refused before decoding (a small file can declare a
# huge picture): 64 million is twice an 8K camera's 33 million. CCTV_GUARD_MAX_IMAGE_PIXELS changes it.
MAX_IMAGE_PIXELS = 64_000_000
MAX_PIXELS_ENV = "CCTV_GUARD_MAX_IMAGE_PIXELS"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm"})
DEFAULT_IMAGE_INTERVAL_S = 1.0


@dataclass(frozen=True)
class ImageItem:
    """One entry of an image listing: either an image or the reason it could not be read."""

    path: Path
    image: np.ndarray | None
    error: str | None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as BGR uint8 (grey, alpha, 16-bit and float images are normalised by
    `detection.image.as_bgr8`), or raise SourceError with a one-line reason. A picture whose
    header declares more than `max_image_pixels()` is refused before it is decoded."""
    import cv2

    from cctv_guard.detection.image import as_bgr8

    p = Path(path)
    if not p.exists():
        raise SourceError(f"no such file: {p}")
    if p.is_dir():
        raise SourceError(f"expected an image file, found a folder: {p}")
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"cannot read {p}: {exc.strerror or exc}") from None
    if data.size == 0:
        raise SourceError(f"empty file: {p}")
    size = declared_size(memoryview(data))
    limit = max_image_pixels()
    if size is not None and size[0] * size[1] > limit:
        raise SourceError(f"image too large: {p} declares {size[0]}x{size[1]} pixels, over the limit of {limit:,} "
                          f"(set {MAX_PIXELS_ENV} to raise it)")
    try:
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error as exc:  # e.g. OpenCV's own pixel limit, a header it refuses
        reason = " ".join(str(exc).split())[-160:]
        raise SourceError(f"not a readable image: {p} ({reason})") from None
    if img is None or img.size == 0:
        raise SourceError(f"not a readable image: {p}")
    try:
        return as_bgr8(img)
    except SourceError as exc:
        raise SourceError(f"not a readable image: {p} ({exc})") from None


def max_image_pixels() -> int:
    """The pixel limit of `read_image`: $CCTV_GUARD_MAX_IMAGE_PIXELS when it is a positive whole
    number, else MAX_IMAGE_PIXELS."""
    text = os.environ.get(MAX_PIXELS_ENV, "").replace("_", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    return MAX_IMAGE_PIXELS


def list_images(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """Image files in a folder, in natural order (frame_2 before frame_10)."""
    root = Path(folder)
    walker = root.rglob("*") if recursive else root.iterdir()
    files = [p for p in walker if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=natural_key)


def iter_images(paths: Iterable[str | os.PathLike]) -> Iterator[ImageItem]:
    """Read each path; unreadable images are yielded with their error instead of raising."""
    for p in paths:
        try:
            yield ImageItem(Path(p), read_image(p), None)
        except SourceError as exc:
            yield ImageItem(Path(p), None, str(exc))


def natural_key(p: Path) -> list:
    """Sort key for paths in natural order: frame_2 before frame_10."""
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", str(p))]


_STAMP = re.compile(
    r"(?P<y>(?:19|20)\d\d)-?(?P<mo>[01]\d)-?(?P<d>[0-3]\d)[T_ -]?(?P<h>[0-2]\d)[-:_.]?(?P<mi>[0-5]\d)[-:_.]?(?P<s>[0-5]\d)(?:[._](?P<ms>\d{1,6}))?"
)


def timestamp_from_name(name: str) -> datetime | None:
    """A date-time embedded in a file name (20261128T083000, 2026-11-28_08-30-00.250...)."""
    m = _STAMP.search(name)
    if not m:
        return None
    try:
        us = int((m.group("ms") or "0").ljust(6, "0"))
        return datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]), us)
    except ValueError:
        return None


def image_times(paths: Sequence[Path], interval_s: float = DEFAULT_IMAGE_INTERVAL_S) -> list[float]:
    """Seconds from the first image: from time stamps in the names when every name has one and
    they increase, else from the order at `interval_s` apart."""
    stamps = [timestamp_from_name(p.name) for p in paths]
    if stamps and all(s is not None for s in stamps):
        secs = [(s - stamps[0]).total_seconds() for s in stamps]  # type: ignore[operator]
        if all(b >= a for a, b in zip(secs, secs[1:])):
            return secs
    return [i * interval_s for i in range(len(paths))]
