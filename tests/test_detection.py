"""The detection API without model files: Detections, image normalisation, letterboxing,
YOLO metadata parsing and decoding. Real-model tests are in tests/test_models.py."""

from __future__ import annotations

import numpy as np
import pytest

from cctv_guard.detection import Detections, as_bgr8
from cctv_guard.detection.image import letterbox, limit_size
from cctv_guard.detection.detections import nms_per_class
from cctv_guard.detection.yolo import YoloDetector, parse_names
from cctv_guard.core.errors import ModelError, SourceError


def _dets() -> Detections:
    return Detections(
        xyxy=[[0, 0, 10, 10], [5, 5, 25, 15], [1, 2, 3, 4]],
        scores=[0.2, 0.9, 0.5],
        class_ids=[70, 1, 81],
        labels=("toilet", "person", "sink"),
        model="ssd",
    )


def test_detections_filters_and_sorting():
    d = _dets()
    assert len(d) == 3
    assert d.with_min_score(0.5).labels == ("person", "sink")
    assert d.with_labels({"toilet", "sink"}).class_ids.tolist() == [70, 81]
    s = d.sorted()
    assert s.scores.tolist() == sorted(d.scores.tolist(), reverse=True)
    assert s.labels[0] == "person"
    assert d.areas.tolist() == [100.0, 200.0, 4.0]
    rows = list(d)
    assert rows[1].label == "person" and rows[1].box == (5.0, 5.0, 25.0, 15.0)
    assert d.xyxy.dtype == np.float32 and d.class_ids.dtype == np.int64


def test_detections_are_immutable_and_checked():
    d = _dets()
    with pytest.raises(ValueError):
        d.xyxy[0, 0] = 3
    with pytest.raises(ValueError, match="differ in length"):
        Detections([[0, 0, 1, 1]], [0.5, 0.6], [1], ("a",))
    e = Detections.empty("m")
    assert len(e) == 0 and e.xyxy.shape == (0, 4) and len(e.with_min_score(0.1)) == 0


@pytest.mark.parametrize(
    "image, expected_pixel",
    [
        (np.full((4, 5), 200, np.uint8), [200, 200, 200]),
        (np.full((4, 5, 1), 7, np.uint8), [7, 7, 7]),
        (np.dstack([np.full((4, 5), c, np.uint8) for c in (10, 20, 30, 0)]), [10, 20, 30]),  # BGRA, alpha 0
        (np.full((4, 5, 3), 65535, np.uint16), [255, 255, 255]),
        (np.full((4, 5, 3), 257 * 100, np.uint16), [100, 100, 100]),
        (np.full((4, 5, 3), 0.5, np.float32), [128, 128, 128]),
        (np.full((4, 5, 3), 300.0, np.float64), [255, 255, 255]),
        (np.ones((4, 5), bool), [255, 255, 255]),
    ],
)
def test_as_bgr8_normalises_any_image(image, expected_pixel):
    out = as_bgr8(image)
    assert out.dtype == np.uint8 and out.shape == (4, 5, 3)
    assert out[0, 0].tolist() == expected_pixel


@pytest.mark.parametrize(
    "bad", [np.zeros((0, 5, 3), np.uint8), np.zeros((4, 5, 2), np.uint8), np.zeros(10, np.uint8), "img.jpg"]
)
def test_as_bgr8_rejects_non_images(bad):
    with pytest.raises(SourceError, match="expected"):
        as_bgr8(bad)


def test_limit_size_and_letterbox_round_trip():
    img = np.zeros((6000, 8000, 3), np.uint8)
    small, s = limit_size(img, 1000)
    assert small.shape == (750, 1000, 3) and s == pytest.approx(0.125)
    same, s1 = limit_size(np.zeros((10, 10, 3), np.uint8), 1000)
    assert s1 == 1.0 and same.shape == (10, 10, 3)

    img = np.zeros((100, 200, 3), np.uint8)
    img[20:40, 50:90] = 255
    boxed, lb = letterbox(img, 64, 64)
    assert boxed.shape == (64, 64, 3) and lb.pad_x == 0 and lb.pad_y == 16
    ys, xs = np.nonzero(boxed[:, :, 0] == 255)
    box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    back = lb.to_image(box, 200, 100)[0]
    assert back == pytest.approx([50, 20, 90, 40], abs=4)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("{0: 'urinal', 1: 'ballot_box'}", {0: "urinal", 1: "ballot_box"}),
        ("['a', 'b']", {0: "a", 1: "b"}),
        ("not python", {}),
        (None, {}),
    ],
)
def test_parse_names(raw, expected):
    assert parse_names(raw) == expected


class _FakeInput:
    name = "images"
    shape = [1, 3, 64, 64]
    type = "tensor(float)"


class _Session:
    """An onnxruntime-like session returning a fixed YOLO output, to test decoding alone."""

    def __init__(self, output):
        self.output = output

    def get_inputs(self):
        return [_FakeInput()]

    def run(self, _names, feeds):
        assert feeds["images"].shape == (1, 3, 64, 64) and feeds["images"].dtype == np.float32
        return [self.output]


def _yolo_output(rows, nc):
    """[1, 4 + nc, N] from rows (cx, cy, w, h, class, score) in 64×64 model-input pixels."""
    out = np.zeros((1, 4 + nc, len(rows)), np.float32)
    for i, (cx, cy, w, h, c, s) in enumerate(rows):
        out[0, :4, i] = [cx, cy, w, h]
        out[0, 4 + c, i] = s
    return out


def test_yolo_decoding_letterbox_and_nms():
    rows = [
        (32, 32, 20, 10, 1, 0.9),
        (33, 32, 20, 10, 1, 0.8),  # overlaps the first, same class: suppressed
        (33, 32, 20, 10, 0, 0.7),  # same place, other class: kept
        (10, 40, 4, 4, 0, 0.1),  # below min_score
    ]
    det = YoloDetector(_Session(_yolo_output(rows, 2)), {0: "urinal", 1: "ballot_box"}, (64, 64), "agency")
    d = det.detect(np.zeros((32, 64, 3), np.uint8), min_score=0.25)  # letterboxed with pad_y 16
    assert d.labels == ("ballot_box", "urinal") and d.model == "agency"
    assert d.scores.tolist() == pytest.approx([0.9, 0.7])
    assert d.xyxy[0].tolist() == pytest.approx([22, 11, 42, 21])


def test_yolo_rejects_mismatched_output():
    det = YoloDetector(_Session(np.zeros((1, 9, 5), np.float32)), {0: "a"}, (64, 64))
    with pytest.raises(ModelError, match="does not fit 1 classes"):
        det.detect(np.zeros((64, 64, 3), np.uint8))


@pytest.mark.parametrize(
    "classes, iou, kept",
    [
        ([0, 0, 0, 0], 0.5, [1, 2, 3]),  # box 0 overlaps box 1 (IoU 0.68); box 3 inside box 2 has IoU 0.36
        ([0, 0, 0, 0], 0.3, [1, 2]),
        ([0, 0, 0, 0], 0.7, [1, 2, 0, 3]),  # nothing overlaps more than 0.7
        ([0, 1, 0, 1], 0.5, [1, 2, 0, 3]),  # overlapping boxes of other classes do not suppress
    ],
)
def test_nms_per_class(classes, iou, kept):
    xyxy = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [-50, -50, -40, -40], [-48, -48, -42, -42]], np.float32)
    scores = np.array([0.5, 0.9, 0.6, 0.4])
    assert nms_per_class(xyxy, scores, np.array(classes), iou).tolist() == kept
