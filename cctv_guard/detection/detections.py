"""The one canonical detection result: parallel arrays of boxes, scores and class ids.

Every detector backend (SSD, YOLO) returns a `Detections`; fusion code filters it by score or
label and iterates over rows. Boxes are `xyxy` in the pixel coordinates of the image that was
passed to `detect()` (not of the model input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Detection:
    """One row of a `Detections`, for iteration and reporting."""

    label: str
    class_id: int
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in input-image pixels


@dataclass(frozen=True, eq=False)
class Detections:
    """N detections as parallel arrays.

    xyxy: float32 (N, 4) x1, y1, x2, y2 in input-image pixels; scores: float32 (N,);
    class_ids: int64 (N,), the model's own class ids; labels: N class names;
    model: which model produced them (e.g. "ssd_mobilenet_v2_coco"), used in cue names.
    """

    xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    labels: tuple[str, ...]
    model: str = ""

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        class_ids = np.asarray(self.class_ids, dtype=np.int64).reshape(-1)
        labels = tuple(str(x) for x in self.labels)
        n = len(xyxy)
        if not (len(scores) == len(class_ids) == len(labels) == n):
            raise ValueError(
                f"Detections arrays differ in length: xyxy {n}, scores {len(scores)}, "
                f"class_ids {len(class_ids)}, labels {len(labels)}"
            )
        object.__setattr__(self, "xyxy", _frozen(xyxy))
        object.__setattr__(self, "scores", _frozen(scores))
        object.__setattr__(self, "class_ids", _frozen(class_ids))
        object.__setattr__(self, "labels", labels)

    @classmethod
    def empty(cls, model: str = "") -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), (), model)

    def __len__(self) -> int:
        return len(self.scores)

    def __iter__(self) -> Iterator[Detection]:
        for i in range(len(self)):
            x1, y1, x2, y2 = (float(v) for v in self.xyxy[i])
            yield Detection(self.labels[i], int(self.class_ids[i]), float(self.scores[i]), (x1, y1, x2, y2))

    def select(self, keep: np.ndarray | Iterable[int] | Iterable[bool]) -> "Detections":
        """Rows picked by a boolean mask or an index array, in that order."""
        keep = np.asarray(keep)
        if keep.dtype == bool:
            if keep.shape != (len(self),):
                raise ValueError(f"mask of shape {keep.shape} for {len(self)} detections")
            idx = np.flatnonzero(keep)
        else:
            idx = keep.astype(np.int64).reshape(-1)
        return Detections(
            self.xyxy[idx], self.scores[idx], self.class_ids[idx], tuple(self.labels[i] for i in idx), self.model
        )

    def with_min_score(self, min_score: float) -> "Detections":
        """Only the detections scoring at least `min_score`."""
        return self.select(self.scores >= min_score)

    def with_labels(self, labels: Iterable[str]) -> "Detections":
        """Only the detections whose label is one of `labels`."""
        wanted = set(labels)
        return self.select(np.array([lab in wanted for lab in self.labels], dtype=bool))

    def sorted(self) -> "Detections":
        """Highest score first."""
        return self.select(np.argsort(-self.scores, kind="stable"))

    @property
    def areas(self) -> np.ndarray:
        """Box areas in pixels², float32 (N,)."""
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]


def nms_per_class(xyxy: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression run separately per class, best first.

    A box is dropped when it overlaps a higher-scoring box of the same class by IoU > `iou`;
    boxes scoring 0 are dropped too.
    (Classes are separated by shifting each class's boxes into its own region of the plane.)
    """
    if len(scores) == 0:
        return np.zeros(0, np.int64)
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    lo, hi = float(xyxy.min()), float(xyxy.max())
    shifted = xyxy - lo + np.asarray(class_ids, dtype=np.float64)[:, None] * (hi - lo + 1.0)
    xywh = np.concatenate([shifted[:, :2], shifted[:, 2:] - shifted[:, :2]], axis=1)
    idx = np.asarray(cv2.dnn.NMSBoxes(xywh.tolist(), np.asarray(scores, float).tolist(), 0.0, float(iou)), np.int64)
    idx = idx.reshape(-1)
    return idx[np.argsort(-np.asarray(scores)[idx], kind="stable")]
