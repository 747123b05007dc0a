"""EfficientNet-Lite3 ImageNet-1k classifier (TF Hub / TensorFlow Lite, Apache-2.0) in ONNX.

Labels are indexed by the standard ImageNet-1k class id 0..999 (e.g. 861 toilet seat,
896 washbasin, 435 bathtub, 564 four-poster, 480 cash machine).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cctv_guard.core.errors import ModelError
from cctv_guard.detection.image import as_bgr8, limit_size, resize_to
from cctv_guard.detection.onnx import read_labels, run, session_for

NAME = "efficientnet_lite3"
EMBEDDING = "embedding"


@dataclass(frozen=True)
class Classification:
    """One ImageNet label with its probability."""

    label: str
    class_id: int
    score: float


class ImageClassifier:
    """Whole-image ImageNet classifier. `classify(image_bgr, top_k)` → best labels first.

    crop: "center" classifies the central square (the usual ImageNet evaluation, 87.5 % of the
    shorter side); "full" squashes the whole frame into the input, so things at the edges count.
    """

    name = NAME

    def __init__(self, session, labels: list[str], spec: dict | None = None, crop: str = "full") -> None:
        if crop not in ("center", "full"):
            raise ValueError(f"crop must be 'center' or 'full', got {crop!r}")
        self._session = session
        inp = session.get_inputs()[0]
        self._input = inp.name
        outputs = [o.name for o in session.get_outputs()]
        # the pooled features, exposed by scripts/add_embedding_output.py (None in older exports)
        self._embedding = outputs.index(EMBEDDING) if EMBEDDING in outputs else None
        self._float = "float" in inp.type
        h, w = inp.shape[1], inp.shape[2]
        self.input_size = (int(w) if isinstance(w, int) else 280, int(h) if isinstance(h, int) else 280)
        spec = spec or {}
        self._mean = float(spec.get("mean", 127.0))
        self._std = float(spec.get("std", 128.0))
        self._softmax = spec.get("output_kind", "probabilities") == "logits"
        # the labels file has ImageNet synonyms per line ("washbasin, handbasin, ..."): keep the first
        self.labels = [lab.split(",")[0].strip() for lab in labels]
        self.crop = crop

    @classmethod
    def load(cls, models_dir: Path | None = None, threads: int | None = None, crop: str = "full") -> "ImageClassifier":
        session, entry = session_for(NAME, threads, models_dir)
        return cls(session, read_labels(entry), entry.spec.get("input", {}), crop)

    def _prepare(self, img: np.ndarray) -> np.ndarray:
        w, h = self.input_size
        if self.crop == "center":
            ih, iw = img.shape[:2]
            side = max(1, round(min(ih, iw) * 0.875))
            y0, x0 = (ih - side) // 2, (iw - side) // 2
            img = img[y0 : y0 + side, x0 : x0 + side]
        img, _ = limit_size(img, 4 * max(w, h))
        rgb = cv2.cvtColor(resize_to(img, w, h), cv2.COLOR_BGR2RGB)
        if self._float:
            return ((rgb.astype(np.float32) - self._mean) / self._std)[None]
        return rgb[None]

    @property
    def has_embedding(self) -> bool:
        """Whether the model has the `embedding` output (pooled features for the scene head)."""
        return self._embedding is not None

    def infer(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """One inference: float32 (num_classes,) probabilities summing to ~1, and the float32
        pooled-feature embedding (None when the model lacks that output)."""
        x = self._prepare(as_bgr8(image_bgr))
        outs = run(self._session, {self._input: x})
        out = outs[0].reshape(-1).astype(np.float32)
        if self._softmax:
            out = np.exp(out - out.max())
        total = float(out.sum())
        emb = None if self._embedding is None else outs[self._embedding].reshape(-1).astype(np.float32)
        return (out / total if total > 0 else out), emb

    def probabilities(self, image_bgr: np.ndarray) -> np.ndarray:
        """float32 (num_classes,) probabilities summing to ~1."""
        return self.infer(image_bgr)[0]

    def embed(self, image_bgr: np.ndarray) -> np.ndarray:
        """The pooled-feature embedding; ModelError when the model lacks that output."""
        emb = self.infer(image_bgr)[1]
        if emb is None:
            raise ModelError(f"classifier model has no '{EMBEDDING}' output; run scripts/add_embedding_output.py")
        return emb

    def top(self, p: np.ndarray, top_k: int = 5) -> list[Classification]:
        """The `top_k` most likely labels of a probability vector, best first."""
        k = max(0, min(int(top_k), len(p)))
        idx = np.argsort(-p, kind="stable")[:k]
        return [Classification(self.label_of(int(i)), int(i), float(p[i])) for i in idx]

    def classify(self, image_bgr: np.ndarray, top_k: int = 5) -> list[Classification]:
        """The `top_k` most likely ImageNet labels, best first."""
        return self.top(self.probabilities(image_bgr), top_k)

    def label_of(self, class_id: int) -> str:
        return self.labels[class_id] if 0 <= class_id < len(self.labels) else f"class_{class_id}"
