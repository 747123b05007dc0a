"""Evidence snapshots: the frame behind a finding, annotated with its cues, people blurred.

A snapshot is meant for an inspector's file, so it must not itself become a privacy problem:
everyone the detector found is blurred (pixelated, then smoothed) unless the caller opts out.
Files are written to a temporary name and renamed, so a crash never leaves half a JPEG.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Mapping, Sequence

import cv2
import numpy as np

from cctv_guard.core.atomic import write_atomic
from cctv_guard.core.errors import SourceError

Box = tuple[float, float, float, float]

_COLOURS = {"detector": (0, 0, 255), "classifier": (0, 165, 255), "ocr": (255, 0, 255), "yolo": (0, 200, 0)}


def blur_regions(image: np.ndarray, boxes: Sequence[Box], pad: float = 0.1) -> np.ndarray:
    """A copy with each box (grown by `pad` of its size on every side) made unrecognisable:
    pixelated to blocks of about 1/8 of the box, then smoothed."""
    out = image.copy()
    h, w = out.shape[:2]
    for x1, y1, x2, y2 in boxes:
        bw, bh = x2 - x1, y2 - y1
        a = int(max(0, np.floor(x1 - pad * bw)))
        b = int(max(0, np.floor(y1 - pad * bh)))
        c = int(min(w, np.ceil(x2 + pad * bw)))
        d = int(min(h, np.ceil(y2 + pad * bh)))
        if c - a < 2 or d - b < 2:
            continue
        roi = out[b:d, a:c]
        small = cv2.resize(roi, (max(1, (c - a) // 8), max(1, (d - b) // 8)), interpolation=cv2.INTER_AREA)
        block = cv2.resize(small, (c - a, d - b), interpolation=cv2.INTER_NEAREST)
        k = max(3, ((min(c - a, d - b) // 4) | 1))
        out[b:d, a:c] = cv2.GaussianBlur(block, (k, k), 0)
    return out


def _ascii(text: str) -> str:
    """OpenCV's fonts draw ASCII only; sign text in Chinese is shown by its zone instead."""
    return text if text.isascii() else re.sub(r"[^\x20-\x7e]+", "?", text)


def annotate(image: np.ndarray, findings: Sequence, people: Sequence[Box] = (), *, blur_people: bool = True) -> np.ndarray:
    """The image with people blurred (by default), each finding's cue boxes drawn and labelled,
    and a banner naming the clause, zone and confidence. Boxes are in `image` pixels."""
    out = blur_regions(image, people) if blur_people else image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(max(h, w) / 500))
    scale = max(0.4, max(h, w) / 1400)
    for f in findings:
        for c in f.cues:
            if c.box is None:
                continue
            x1, y1, x2, y2 = (int(round(v)) for v in c.box)
            if (x1, y1, x2, y2) == (0, 0, w, h):  # whole-frame classifier label: listed in the banner
                continue
            colour = _COLOURS.get(c.cue.split(":")[0], (255, 255, 0))
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
            label = _ascii(c.cue if not c.cue.startswith("ocr:") else f"sign: {f.zone}") + f" {c.score:.2f}"
            cv2.putText(out, label, (x1 + 2, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)
    lines = [f"Art. {f.article} {f.zone} {f.confidence:.2f}: " + ", ".join(_ascii(c.cue) for c in f.cues[:4]) for f in findings]
    y = 0
    for text in lines:
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        cv2.rectangle(out, (0, y), (min(w, tw + 8), y + th + base + 6), (0, 0, 0), -1)
        cv2.putText(out, text, (4, y + th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
        y += th + base + 6
    return out


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 90) -> Path:
    """Write a JPEG/PNG atomically (temporary file in the same folder, then rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    suffix = p.suffix.lower() or ".jpg"
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if suffix in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(suffix, image, params)
    if not ok:
        raise SourceError(f"cannot encode an image as {suffix} for {p}")
    write_atomic(p, buf.tobytes())
    return p


def snapshot_name(source: str, zone: str, t: float | None = None) -> str:
    """A file name for a finding's snapshot: the source's stem, the time for videos, the zone."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source.rstrip("/")).stem or "source").strip("._") or "source"
    when = f"_t{t:08.2f}s" if t else ""
    return f"{stem}{when}_{zone}.jpg"


def write_findings(
    directory: Path,
    source: str,
    findings: Sequence,
    images: Mapping[int, np.ndarray],
    frames: Mapping[int, object],
    *,
    blur_people: bool = True,
    mask: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[str]:
    """One annotated snapshot per finding whose frame image is at hand; returns the paths.
    `frames` maps frame index → FrameCues (for the people boxes). `mask` (e.g. a
    privacy.publish.Masker's) is applied to the picture before it is annotated."""
    paths = []
    for f in findings:
        image = images.get(f.frame_index)
        if image is None:
            continue
        fc = frames.get(f.frame_index)
        people = getattr(fc, "people", ())
        target = directory / snapshot_name(source, f.zone, f.t)
        n = 2
        while target.exists() or str(target) in paths:
            target = directory / (target.stem.rsplit("__", 1)[0] + f"__{n}.jpg")
            n += 1
        picture = mask(_bgr(image)) if mask is not None else _bgr(image)
        paths.append(str(write_image(target, annotate(picture, [f], people, blur_people=blur_people))))
    return paths


def _bgr(image: np.ndarray) -> np.ndarray:
    from cctv_guard.detection.image import as_bgr8

    return as_bgr8(image)
