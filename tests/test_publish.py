"""Publication-safe pictures (Order 799 Art. 22): people and text found by the bundled models are
pixelated before anything leaves (`privacy.publish`, `scan --publish`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

from conftest import SAMPLES

BUS = SAMPLES / "images" / "bus.jpg"


@pytest.fixture(scope="module")
def masker():
    from cctv_guard.privacy.publish import Masker

    return Masker.load()


def _inside(boxes, h, w):
    inside = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in boxes:
        inside[int(max(0, y1)):int(min(h, y2)), int(max(0, x1)):int(min(w, x2))] = True
    return inside


def test_people_and_text_are_found_and_pixelated(masker):
    image = cv2.imread(str(BUS))
    boxes = masker.regions(image)
    people = masker.detector.detect(image, min_score=0.2).with_labels(["person"])
    assert len(people) >= 3  # the people walking by the bus
    assert len(boxes) > len(people)  # and text: the bus's destination board and adverts
    masked = masker.mask(image)
    h, w = image.shape[:2]
    inside = _inside(boxes, h, w)
    changed = np.abs(masked.astype(int) - image.astype(int)).max(axis=2) > 0
    # what was found is changed, much of it; what was not found (beyond the padding) is untouched
    assert changed[inside].mean() > 0.5
    far = ~_inside([(x1 - 0.3 * (x2 - x1), y1 - 0.3 * (y2 - y1), x2 + 0.3 * (x2 - x1), y2 + 0.3 * (y2 - y1))
                    for x1, y1, x2, y2 in boxes], h, w)
    assert far.any() and not changed[far].any()
    # a face-sized detail no longer survives: the high frequencies inside a person are gone
    x1, y1, x2, y2 = (int(v) for v in people.sorted().xyxy[0])
    assert x2 - x1 > 16 and y2 - y1 > 16

    def detail(im):
        return cv2.Laplacian(cv2.cvtColor(im[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()

    assert detail(masked) < 0.2 * detail(image)


def test_an_image_without_people_or_text_is_unchanged(masker):
    sky = np.zeros((240, 320, 3), np.uint8)
    sky[:] = (200, 150, 90)
    assert masker.regions(sky) == [] and np.array_equal(masker.mask(sky), sky)


def test_publish_needs_evidence_and_blur(tmp_path):
    r = CliRunner().invoke(app, ["scan", str(BUS), "--publish"])
    assert r.exit_code == 2 and "--evidence" in r.stderr
    r = CliRunner().invoke(app, ["scan", str(BUS), "--publish", "--evidence", str(tmp_path), "--no-blur"])
    assert r.exit_code == 2 and "--no-blur" in r.stderr


def test_published_evidence_is_masked_before_annotation(tmp_path, masker):
    """write_findings applies the mask to the raw picture, then draws the finding on it."""
    from types import SimpleNamespace

    from cctv_guard.media.evidence import write_findings

    image = cv2.imread(str(BUS))
    finding = SimpleNamespace(frame_index=0, zone="restroom", t=0.0, article="9(3)", confidence=0.9, cues=())
    plain = write_findings(tmp_path / "plain", "bus.jpg", [finding], {0: image}, {}, blur_people=False)
    masked = write_findings(tmp_path / "pub", "bus.jpg", [finding], {0: image}, {}, blur_people=False, mask=masker.mask)
    a, b = cv2.imread(plain[0]), cv2.imread(masked[0])
    boxes = masker.regions(image)
    inside = _inside(boxes, *image.shape[:2])
    assert np.abs(a.astype(int) - b.astype(int)).max(axis=2)[inside].mean() > 10


def test_report_publish_masks_every_picture(tmp_path, masker, sample_baseline):
    """`report --publish`: the baseline view and the event frames are masked before they are
    drawn; without --publish the same pictures keep their people."""
    from cctv_guard.reports import frames as fr

    moved, base, runner = SAMPLES / "vtest_moved.mp4", sample_baseline, CliRunner()
    r = runner.invoke(app, ["check", str(moved), "--baseline", str(base), "--no-privacy", "--json", str(tmp_path / "c.json")])
    assert r.exit_code == 1, r.output

    # the library: the same event frame with and without the mask
    import json as _json

    doc = _json.loads((tmp_path / "c.json").read_text())
    (frame,) = fr.grab_frames(moved, fr.event_times(doc["events"])).values()
    people = masker.detector.detect(frame, min_score=0.2).with_labels(["person"])
    assert len(people) >= 2  # the plaza's walkers
    plain = fr.prepare_pictures(doc, fr.ReportImages(events={0: frame})).arrays["event-0"]
    masked = fr.prepare_pictures(doc, fr.ReportImages(events={0: frame}, mask=masker.mask)).arrays["event-0"]
    assert plain.shape == masked.shape and not np.array_equal(plain, masked)

    # the command line
    r = runner.invoke(app, ["report", str(tmp_path / "c.json"), "--html", str(tmp_path / "pub.html"), "--publish",
                            "--baseline", str(base)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "pub.html").stat().st_size > 10_000
    r = runner.invoke(app, ["report", str(tmp_path / "c.json"), "--json", "-", "--publish"])
    assert r.exit_code == 2 and "--html" in r.stderr
