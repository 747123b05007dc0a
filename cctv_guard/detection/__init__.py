"""Offline detection backends over numpy BGR images, run with onnxruntime only.

    from cctv_guard.detection import load_models
    models = load_models()                       # verified against models/manifest.json
    dets = models.ssd.detect(frame, min_score=0.3)          # Detections (COCO labels)
    top = models.classifier.classify(frame, top_k=5)        # [Classification(label, class_id, score)]
    lines = models.signs.read(frame)                        # [TextLine(text, score, box)]  (lazy)
    yolo = YoloDetector.load("agency_signs.onnx")           # operator's own ultralytics export

Models are found in the folder named by `CCTV_GUARD_MODELS` or else in the project's `models/`
folder (beside the package). Missing or corrupt files raise a one-line `ModelError`.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from cctv_guard.detection.classifier import Classification, ImageClassifier
from cctv_guard.detection.detections import Detection, Detections
from cctv_guard.detection.image import as_bgr8
from cctv_guard.detection.ocr import SignReader, TextLine
from cctv_guard.detection.onnx import ENV_VAR, load_manifest, models_dir
from cctv_guard.detection.ssd import SsdDetector
from cctv_guard.detection.yolo import YoloDetector

__all__ = [
    "Classification",
    "Detection",
    "Detections",
    "ENV_VAR",
    "ImageClassifier",
    "Models",
    "SignReader",
    "SsdDetector",
    "TextLine",
    "YoloDetector",
    "as_bgr8",
    "load_manifest",
    "load_models",
    "models_dir",
]


class Models:
    """The bundled models, each loaded on first use and then kept.

    `ssd` and `classifier` are the ONNX models from models/; `signs` is the OCR engine (its own
    models ship in the rapidocr-onnxruntime wheel). `threads` is onnxruntime's intra-op thread
    count (None: all cores).
    """

    def __init__(self, directory: Path | None = None, threads: int | None = None) -> None:
        self.directory = directory
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def ssd(self) -> SsdDetector:
        with self._lock:
            return SsdDetector.load(self.directory, self.threads)

    @cached_property
    def classifier(self) -> ImageClassifier:
        with self._lock:
            return ImageClassifier.load(self.directory, self.threads)

    @cached_property
    def signs(self) -> SignReader:
        with self._lock:
            return SignReader.load(self.threads)

    def preload(self, ocr: bool = True) -> "Models":
        """Load everything now (so errors surface before a long scan starts)."""
        _ = self.ssd, self.classifier
        if ocr:
            _ = self.signs
        return self


_cache: dict[tuple[str | None, int | None], Models] = {}
_cache_lock = threading.Lock()


def load_models(directory: str | Path | None = None, threads: int | None = None) -> Models:
    """The shared `Models` for a models folder (default: CCTV_GUARD_MODELS or the project's models/).

    Nothing is loaded until an attribute is used; call `.preload()` to load and verify up front.
    """
    d = Path(directory) if directory is not None else None
    key = (str(d) if d else None, threads)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = Models(d, threads)
        return _cache[key]
