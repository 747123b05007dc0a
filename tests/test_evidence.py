"""Evidence snapshots: people blurred by default, cues drawn, files written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctv_guard.media import evidence
from cctv_guard.privacy import CueRef, Finding


def _scene(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    return cv2.resize(small, (400, 300), interpolation=cv2.INTER_NEAREST)  # sharp 10-px blocks


def _detail(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())


FINDING = Finding("9(3)", "restroom", 0.91, (CueRef("detector:toilet", 0.88, (250.0, 150.0, 350.0, 280.0)),
                                              CueRef("ocr:卫生间", 0.95, (10.0, 10.0, 90.0, 40.0))))
PERSON = (40.0, 60.0, 160.0, 280.0)


def test_people_are_blurred_by_default_and_not_with_no_blur():
    img = _scene()
    blurred = evidence.annotate(img, [FINDING], [PERSON])
    kept = evidence.annotate(img, [FINDING], [PERSON], blur_people=False)
    x1, y1, x2, y2 = (int(v) for v in PERSON)
    inner = (slice(y1 + 5, y2 - 5), slice(x1 + 5, x2 - 5))
    assert _detail(blurred[inner]) < 0.05 * _detail(img[inner])
    assert np.array_equal(kept[inner], img[inner])
    # outside the person (and away from drawn boxes) the picture is untouched
    assert np.array_equal(blurred[200:290, 180:240], img[200:290, 180:240])


def test_cue_boxes_and_banner_are_drawn():
    img = np.zeros((300, 400, 3), np.uint8)
    out = evidence.annotate(img, [FINDING], [])
    assert out[150, 300].tolist() == [0, 0, 255] or out[150, 250].tolist() == [0, 0, 255]  # red detector box edge
    assert out[:20].any()  # banner text at the top
    assert not img.any()  # input untouched


def test_blur_regions_clips_boxes_outside_the_image():
    img = _scene()
    out = evidence.blur_regions(img, [(-50.0, -50.0, 30.0, 30.0), (390.0, 290.0, 500.0, 500.0), (5.0, 5.0, 5.5, 5.5)])
    assert out.shape == img.shape


def test_write_image_is_atomic_and_leaves_no_temp_files(tmp_path: Path):
    target = tmp_path / "sub" / "snap.jpg"
    evidence.write_image(target, _scene())
    assert cv2.imread(str(target)) is not None
    assert [p.name for p in target.parent.iterdir()] == ["snap.jpg"]


def test_write_image_failure_keeps_the_old_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "snap.jpg"
    evidence.write_image(target, _scene(1))
    before = target.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        evidence.write_image(target, _scene(2))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["snap.jpg"]


@pytest.mark.parametrize(
    "source, zone, t, name",
    [
        ("shots/cam 1.jpg", "restroom", 0.0, "cam_1_restroom.jpg"),
        ("/x/footage.mp4", "hotel_room", 12.5, "footage_t00012.50s_hotel_room.jpg"),
        ("rtsp://host/stream", "ballot", 3.0, "stream_t00003.00s_ballot.jpg"),
        ("shots/", "bathroom", 0.0, "shots_bathroom.jpg"),
    ],
)
def test_snapshot_names(source, zone, t, name):
    assert evidence.snapshot_name(source, zone, t) == name


def test_write_findings_does_not_overwrite_within_a_scan(tmp_path: Path):
    f = FINDING
    paths = evidence.write_findings(tmp_path, "a/x.jpg", [f], {0: _scene()}, {})
    more = evidence.write_findings(tmp_path, "b/x.jpg", [f], {0: _scene(3)}, {})
    assert len(set(paths + more)) == 2 and all(Path(p).is_file() for p in paths + more)
