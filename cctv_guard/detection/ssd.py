"""SSD-MobileNet-v2 trained on COCO (TensorFlow detection model zoo), converted to ONNX.

The ONNX graph is the TF graph up to the decoded boxes and class scores, for a fixed
uint8 RGB [1, 300, 300, 3] input: `boxes` [1, 1917, 4] normalised [ymin, xmin, ymax, xmax] of the
1917 anchors, `scores` [1, 1917, 90] sigmoid scores of COCO ids 1..90 (person 1, bed 65,
toilet 70, sink 81...). The TF post-processing (clip to the image, per-class NMS at IoU 0.6, best
100) runs here in numpy: in ONNX it becomes loops that cost more than the convolutions. The
shipped export also has `embedding` [1, 1280], the backbone's last layer pooled
(scripts/add_embedding_output.py), which the privacy scan's scene head reads.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cctv_guard.detection.detections import Detections, nms_per_class
from cctv_guard.detection.image import as_bgr8, resize_to
from cctv_guard.detection.onnx import read_labels, run, session_for

NAME = "ssd_mobilenet_v2_coco"
IOU_THRESHOLD = 0.6  # the model's own post-processing setting
MAX_DETECTIONS = 100
MAX_CANDIDATES = 2000  # of 1917 anchors × 90 classes, before NMS
EMBEDDING = "embedding"


class SsdDetector:
    """COCO object detector. `detect(image_bgr)` returns `Detections` in image pixels."""

    name = NAME

    def __init__(self, session, labels: list[str], input_size: int = 300) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        outputs = [o.name for o in session.get_outputs()]
        # boxes and scores come first; the pooled backbone features where the export has them
        self._embedding = outputs.index(EMBEDDING) if EMBEDDING in outputs else None
        self.labels = labels
        self.input_size = input_size

    @classmethod
    def load(cls, models_dir: Path | None = None, threads: int | None = None) -> "SsdDetector":
        session, entry = session_for(NAME, threads, models_dir)
        size = int(entry.spec.get("input", {}).get("size", 300))
        return cls(session, read_labels(entry), size)

    def label_of(self, class_id: int) -> str:
        return self.labels[class_id] if 0 <= class_id < len(self.labels) else f"class_{class_id}"

    @property
    def has_embedding(self) -> bool:
        """Whether the model has the `embedding` output (pooled backbone features for the scene head)."""
        return self._embedding is not None

    def detect(self, image_bgr: np.ndarray, min_score: float = 0.3) -> Detections:
        """Objects scoring at least `min_score` (> 0), highest first; boxes in input-image pixels."""
        return self.infer(image_bgr, min_score)[0]

    def infer(self, image_bgr: np.ndarray, min_score: float = 0.3) -> tuple[Detections, np.ndarray | None]:
        """One inference: the objects (as `detect`) and the float32 pooled backbone features
        (None when the model lacks that output)."""
        img = as_bgr8(image_bgr)
        h, w = img.shape[:2]
        rgb = cv2.cvtColor(resize_to(img, self.input_size, self.input_size), cv2.COLOR_BGR2RGB)
        outs = run(self._session, {self._input: rgb[None]})
        boxes, scores = outs[0], outs[1]
        emb = None if self._embedding is None else outs[self._embedding].reshape(-1).astype(np.float32)
        return self._objects(boxes, scores, w, h, min_score), emb

    def _objects(self, boxes: np.ndarray, scores: np.ndarray, w: int, h: int, min_score: float) -> Detections:
        anchor, cls = np.nonzero(scores[0] >= max(float(min_score), 1e-6))
        if len(anchor) == 0:
            return Detections.empty(NAME)
        conf = scores[0][anchor, cls]
        if len(conf) > MAX_CANDIDATES:  # a very low min_score: NMS only over the best candidates
            top = np.argpartition(-conf, MAX_CANDIDATES)[:MAX_CANDIDATES]
            anchor, cls, conf = anchor[top], cls[top], conf[top]
        yx = np.clip(boxes[0][anchor], 0.0, 1.0)
        xyxy = np.stack([yx[:, 1] * w, yx[:, 0] * h, yx[:, 3] * w, yx[:, 2] * h], axis=1)
        keep = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        xyxy, conf, cls = xyxy[keep], conf[keep], cls[keep]
        best = nms_per_class(xyxy, conf, cls, IOU_THRESHOLD)[:MAX_DETECTIONS]
        ids = cls[best] + 1  # score column j is COCO id j + 1 (column 0 of the TF graph, background, is cut)
        return Detections(xyxy[best], conf[best], ids, tuple(self.label_of(int(c)) for c in ids), NAME)
