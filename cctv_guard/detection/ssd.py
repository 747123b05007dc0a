"""SSD-MobileNet-v2 trained on COCO (TensorFlow detection model zoo), converted to ONNX.

The graph takes uint8 RGB [1, H, W, 3] and resizes to 300×300 itself, so we resize to 300×300
first (cheap, and the same input the network sees). It returns up to 100 boxes as normalised
[ymin, xmin, ymax, xmax] with COCO 90-id classes (person 1, bed 65, toilet 70, sink 81...).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cctv_guard.detection.detections import Detections
from cctv_guard.detection.image import as_bgr8, resize_to
from cctv_guard.detection.onnx import read_labels, run, session_for

NAME = "ssd_mobilenet_v2_coco"


class SsdDetector:
    """COCO object detector. `detect(image_bgr)` returns `Detections` in image pixels."""

    name = NAME

    def __init__(self, session, labels: list[str], input_size: int = 300) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self._outputs = [o.name for o in session.get_outputs()]
        self.labels = labels
        self.input_size = input_size

    @classmethod
    def load(cls, models_dir: Path | None = None, threads: int | None = None) -> "SsdDetector":
        session, entry = session_for(NAME, threads, models_dir)
        size = int(entry.spec.get("input", {}).get("resize_to", 300))
        return cls(session, read_labels(entry), size)

    def label_of(self, class_id: int) -> str:
        return self.labels[class_id] if 0 <= class_id < len(self.labels) else f"class_{class_id}"

    def detect(self, image_bgr: np.ndarray, min_score: float = 0.3) -> Detections:
        """Objects scoring at least `min_score`, highest first; boxes in input-image pixels."""
        img = as_bgr8(image_bgr)
        h, w = img.shape[:2]
        rgb = cv2.cvtColor(resize_to(img, self.input_size, self.input_size), cv2.COLOR_BGR2RGB)
        raw = dict(zip(self._outputs, run(self._session, {self._input: rgb[None]})))
        boxes = _output(raw, "detection_boxes")[0]
        scores = _output(raw, "detection_scores")[0]
        classes = _output(raw, "detection_classes")[0].astype(np.int64)
        n = int(_output(raw, "num_detections").reshape(-1)[0])
        boxes, scores, classes = boxes[:n], scores[:n], classes[:n]
        keep = scores >= min_score
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        xyxy = np.stack(
            [boxes[:, 1] * w, boxes[:, 0] * h, boxes[:, 3] * w, boxes[:, 2] * h], axis=1
        ) if len(boxes) else np.zeros((0, 4), np.float32)
        xyxy = np.clip(xyxy, 0, [w, h, w, h])
        det = Detections(xyxy, scores, classes, tuple(self.label_of(int(c)) for c in classes), NAME)
        return det.sorted()


def _output(raw: dict[str, np.ndarray], stem: str) -> np.ndarray:
    for k, v in raw.items():
        if k.split(":")[0] == stem:
            return v
    raise KeyError(stem)
