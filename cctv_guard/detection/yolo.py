"""Any ultralytics-exported YOLO (v8 / 11) detector in ONNX, run with onnxruntime alone.

An agency trains its own detector (urinals, ballot boxes, PIN pads...) with
`scripts/train_detector.py` and plugs the ONNX file in through config. Class names come from the
ONNX metadata `names` that ultralytics writes ("{0: 'urinal', 1: 'ballot_box'}"); the input
size from the model input or the metadata `imgsz`.

Output layouts understood: [1, 4 + nc, N] (cx, cy, w, h, class scores; the default export) and
[1, N, 6] (x1, y1, x2, y2, score, class; exports made with `nms=True`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import cv2
import numpy as np

from cctv_guard.detection.detections import Detections, nms_per_class
from cctv_guard.detection.image import as_bgr8, letterbox
from cctv_guard.detection.onnx import open_session, run
from cctv_guard.core.errors import ModelError


MAX_CANDIDATES = 5000  # boxes going into NMS


def parse_names(raw: str | None) -> dict[int, str]:
    """Class names from ultralytics metadata: a dict literal {0: 'a', ...} or a list literal."""
    if not raw:
        return {}
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return {}
    if isinstance(value, dict):
        return {int(k): str(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {i: str(v) for i, v in enumerate(value)}
    return {}


class YoloDetector:
    """Detector over an ultralytics YOLO ONNX export. `detect(image_bgr)` → `Detections`."""

    def __init__(self, session, names: dict[int, str], input_size: tuple[int, int], model: str = "yolo",
                 iou_threshold: float = 0.45) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self._dtype = np.float16 if "float16" in session.get_inputs()[0].type else np.float32  # half=True exports
        self.names = names
        self.input_size = input_size  # (width, height)
        self.name = model
        self.iou_threshold = iou_threshold

    @classmethod
    def load(cls, path: str | Path, sha256: str | None = None, threads: int | None = None,
             iou_threshold: float = 0.45) -> "YoloDetector":
        """Open a YOLO ONNX file; when `sha256` is given the file must match it."""
        path = Path(path)
        session = open_session(path, threads, sha256)
        meta = session.get_modelmeta().custom_metadata_map
        names = parse_names(meta.get("names"))
        if not names:
            raise ModelError(f"YOLO model {path} has no class names in its ONNX metadata 'names'; "
                             "export it with ultralytics (scripts/train_detector.py)")
        shape = session.get_inputs()[0].shape  # [1, 3, H, W], maybe symbolic
        h, w = shape[2], shape[3]
        if not (isinstance(h, int) and isinstance(w, int)):
            imgsz = _parse_imgsz(meta.get("imgsz"))
            h, w = imgsz
        return cls(session, names, (int(w), int(h)), path.stem, iou_threshold)

    @property
    def labels(self) -> list[str]:
        return [self.names[i] for i in sorted(self.names)]

    def detect(self, image_bgr: np.ndarray, min_score: float = 0.25) -> Detections:
        """Objects scoring at least `min_score` after per-class NMS, highest first."""
        img = as_bgr8(image_bgr)
        h, w = img.shape[:2]
        boxed, lb = letterbox(img, *self.input_size)
        x = (cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None] / np.float32(255.0)).astype(self._dtype)
        out = run(self._session, {self._input: x})[0]
        xyxy, scores, cls = self._decode(np.asarray(out, dtype=np.float32), min_score)
        if len(scores) == 0:
            return Detections.empty(self.name)
        xyxy = lb.to_image(xyxy, w, h)
        return Detections(xyxy, scores, cls, tuple(self.names.get(int(c), f"class_{c}") for c in cls), self.name).sorted()

    def _decode(self, out: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if out.ndim != 3 or out.shape[0] != 1:
            raise ModelError(f"YOLO model {self.name}: unexpected output shape {out.shape}")
        pred = out[0]
        nc = len(self.names)
        if pred.shape[1] == 6 and pred.shape[0] != 4 + nc:  # [N, 6] post-NMS export
            keep = pred[:, 4] >= min_score
            p = pred[keep]
            return p[:, :4].astype(np.float32), p[:, 4].astype(np.float32), p[:, 5].astype(np.int64)
        if pred.shape[0] != 4 + nc:
            raise ModelError(f"YOLO model {self.name}: output {out.shape} does not fit {nc} classes "
                             f"(expected [1, {4 + nc}, N])")
        pred = pred.T  # [N, 4 + nc]
        cls = pred[:, 4:].argmax(axis=1)
        scores = pred[np.arange(len(pred)), 4 + cls]
        keep = np.flatnonzero(scores >= min_score)
        if len(keep) > MAX_CANDIDATES:  # a very low min_score: NMS only over the best candidates
            keep = keep[np.argpartition(-scores[keep], MAX_CANDIDATES)[:MAX_CANDIDATES]]
        pred, cls, scores = pred[keep], cls[keep], scores[keep]
        cx, cy, bw, bh = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
        xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1).astype(np.float32)
        keep = nms_per_class(xyxy, scores, cls, self.iou_threshold)
        return xyxy[keep], scores[keep].astype(np.float32), cls[keep].astype(np.int64)


def _parse_imgsz(raw: str | None) -> tuple[int, int]:
    try:
        v = ast.literal_eval(raw) if raw else 640
    except (ValueError, SyntaxError):
        v = 640
    if isinstance(v, int):
        return v, v
    return int(v[0]), int(v[1])
