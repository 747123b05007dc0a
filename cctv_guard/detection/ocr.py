"""Sign reading with rapidocr-onnxruntime (PP-OCRv4 detection + recognition, Chinese and English).

The OCR models ship inside the rapidocr-onnxruntime wheel (Apache-2.0); nothing is downloaded.
OCR costs 0.2–0.7 s per image, so callers run it on a few representative frames only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cctv_guard.detection.image import as_bgr8, limit_size
from cctv_guard.detection.onnx import first_line
from cctv_guard.core.errors import ModelError
from cctv_guard.core.memory import release_free_memory


@dataclass(frozen=True)
class TextLine:
    """One line of text read from the image; box is x1, y1, x2, y2 in input-image pixels."""

    text: str
    score: float
    box: tuple[float, float, float, float]


class SignReader:
    """Reads text lines (signs, captions) from an image. `read(image_bgr)` → list of TextLine."""

    name = "rapidocr_ppocrv4"

    def __init__(self, engine, max_side: int = 1600, min_score: float = 0.5) -> None:
        self._engine = engine
        self.max_side = max_side
        self.min_score = min_score

    @classmethod
    def load(cls, threads: int | None = None, max_side: int = 1600, min_score: float = 0.5) -> "SignReader":
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise ModelError(
                f"sign reading needs the rapidocr-onnxruntime package ({exc}); `pip install rapidocr-onnxruntime==1.4.4`"
            ) from None
        release_free_memory()  # also settles the allocator before rapidocr starts its threads
        kwargs = {"print_verbose": False}
        if threads:
            kwargs.update({"intra_op_num_threads": int(threads), "inter_op_num_threads": 1})
        try:
            engine = RapidOCR(**kwargs)
        except Exception as exc:
            raise ModelError(f"rapidocr-onnxruntime could not load its bundled models: {first_line(exc)}") from None
        return cls(engine, max_side, min_score)

    def read(self, image_bgr: np.ndarray) -> list[TextLine]:
        """Text lines scoring at least `min_score`, top to bottom, left to right."""
        img = as_bgr8(image_bgr)
        img, scale = limit_size(img, self.max_side)
        if min(img.shape[:2]) < 8:
            return []
        try:
            result, _ = self._engine(img)
        except Exception as exc:
            raise ModelError(f"OCR failed: {first_line(exc)}") from None
        finally:
            release_free_memory()  # a pass over a big frame leaves ~300 MB of freed heap behind
        lines = []
        for points, text, score in result or []:
            pts = np.asarray(points, dtype=np.float32).reshape(-1, 2) / scale
            if float(score) < self.min_score or not str(text).strip():
                continue
            x1, y1 = pts.min(axis=0)
            x2, y2 = pts.max(axis=0)
            lines.append(TextLine(str(text).strip(), float(score), (float(x1), float(y1), float(x2), float(y2))))
        lines.sort(key=lambda t: (round(t.box[1] / 20), t.box[0]))
        return lines

    def text_boxes(self, image_bgr: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Where there is text (x1, y1, x2, y2 in input pixels), read or not: the detector alone,
        e.g. to mask licence plates and signs before footage is published."""
        img = as_bgr8(image_bgr)
        img, scale = limit_size(img, self.max_side)
        if min(img.shape[:2]) < 8:
            return []
        try:
            result, _ = self._engine(img, use_det=True, use_cls=False, use_rec=False)
        except Exception as exc:
            raise ModelError(f"text detection failed: {first_line(exc)}") from None
        finally:
            release_free_memory()
        boxes = []
        for quad in result or []:
            pts = np.asarray(quad, dtype=np.float32).reshape(-1, 2) / scale
            (x1, y1), (x2, y2) = pts.min(axis=0), pts.max(axis=0)
            boxes.append((float(x1), float(y1), float(x2), float(y2)))
        return boxes
