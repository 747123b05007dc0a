"""The learned scene head (issue 15): the classifier's embedding output, the shipped head's
integrity checks, its cues in fusion, the category ↔ article table and the CCTV-like views used
to train it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import REPO, SAMPLES

from cctv_guard import privacy as P
from cctv_guard.core.errors import ModelError
from cctv_guard.detection import load_models
from cctv_guard.privacy.categories import (
    ALLOWED,
    CATEGORIES,
    category_for_zone,
    zone_of,
)
from cctv_guard.privacy.head import head_from_arrays, load_head, read_head, save_head, scene_features
from cctv_guard.privacy.zones import ZONES

MODELS = REPO / "models"
sys.path.insert(0, str(REPO / "scripts"))


@pytest.fixture(scope="module")
def head():
    return load_head()


@pytest.fixture(scope="module")
def classifier():
    return load_models().classifier


@pytest.fixture(scope="module")
def detector():
    return load_models().ssd


def _features(classifier, detector, img: np.ndarray) -> np.ndarray:
    """The head's input for one photo, as the scan computes it (before masks and shrinking)."""
    return scene_features(classifier.embed(img), detector.infer(img)[1])


def _img(name: str) -> np.ndarray:
    img = cv2.imread(str(SAMPLES / "images" / name), cv2.IMREAD_COLOR)
    assert img is not None, name
    return img


# --- embedding output -----------------------------------------------------------------------------


def test_classifier_gives_pooled_features_with_unchanged_probabilities(classifier):
    img = _img("bus.jpg")
    probs, emb = classifier.infer(img)
    assert classifier.has_embedding and emb.shape == (1280,) and emb.dtype == np.float32
    assert emb.min() >= 0.0 and emb.max() <= 6.0 + 1e-5  # after the graph's ReLU6
    assert np.array_equal(probs, classifier.probabilities(img))
    assert classifier.classify(img, 3) == classifier.top(probs, 3)
    other = classifier.embed(_img("chelsea.jpg"))  # a cat: a different scene, different features
    cos = float(emb @ other / (np.linalg.norm(emb) * np.linalg.norm(other)))
    assert cos < 0.9


def test_detector_gives_pooled_backbone_features_with_unchanged_objects(detector):
    img = _img("bus.jpg")
    dets, emb = detector.infer(img, min_score=0.3)
    assert detector.has_embedding and emb.shape == (1280,) and emb.dtype == np.float32
    assert emb.min() >= 0.0 and emb.max() <= 6.0 + 1e-5  # pooled after the backbone's ReLU6
    again = detector.detect(img, min_score=0.3)
    assert dets.labels == again.labels and np.array_equal(dets.xyxy, again.xyxy)
    assert "bus" in dets.labels and "person" in dets.labels
    other = detector.infer(_img("chelsea.jpg"))[1]
    cos = float(emb @ other / (np.linalg.norm(emb) * np.linalg.norm(other)))
    assert cos < 0.9


def test_scene_features_join_both_models_or_give_none():
    a, b = np.ones(3, np.float32), np.zeros(2, np.float32)
    assert scene_features(a, b).tolist() == [1, 1, 1, 0, 0]
    assert scene_features(a, None) is None and scene_features(None, b) is None


def test_manifest_records_the_embedding_outputs():
    models = json.loads((MODELS / "manifest.json").read_text())["models"]
    rec = models["efficientnet_lite3"]
    assert [o["name"] for o in rec["outputs"]] == ["Softmax", "embedding"]
    assert rec["outputs"][1]["shape"] == [1, 1280]
    rec = models["ssd_mobilenet_v2_coco"]
    assert [o["name"] for o in rec["outputs"]] == ["Postprocessor/Reshape_2:0", "Postprocessor/Slice:0", "embedding"]
    assert rec["outputs"][2]["shape"] == [1, 1280]


# --- the shipped head -----------------------------------------------------------------------------


def test_shipped_head_loads_and_gives_probabilities(head, classifier, detector):
    assert ALLOWED in head.categories and set(head.categories) - {ALLOWED} <= set(CATEGORIES)
    assert head.width == 2560
    embs = np.stack([_features(classifier, detector, _img(n)) for n in ("bus.jpg", "coffee.jpg")])
    assert head.fits(embs[0]) and not head.fits(embs[0][:1280])
    p = head.probabilities(embs)
    assert p.shape == (2, len(head.categories)) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(head.probabilities(embs[0]), p[0], atol=1e-6)
    assert set(head.prohibited(embs[0])) == set(head.categories) - {ALLOWED}


def test_everyday_sample_photos_are_not_prohibited_places(head, classifier, detector):
    for name in ("bus.jpg", "coffee.jpg", "rocket.jpg", "astronaut.jpg"):
        p = head.prohibited(_features(classifier, detector, _img(name)))
        assert max(p.values()) < 0.5, (name, max(p, key=p.get))


def _copy_models(tmp_path: Path) -> Path:
    d = tmp_path / "models"
    shutil.copytree(MODELS, d, ignore=shutil.ignore_patterns("*.onnx"))
    return d


def test_missing_or_corrupt_head_is_a_one_line_model_error(tmp_path: Path):
    d = _copy_models(tmp_path)
    head_file = d / "scene_head.npz"
    data = bytearray(head_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    head_file.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="corrupt or replaced") as e:
        load_head(d)
    assert "\n" not in str(e.value)
    head_file.unlink()
    with pytest.raises(ModelError, match="missing") as e:
        load_head(d)
    assert "\n" not in str(e.value)
    head_file.write_bytes(b"not an npz file")
    with pytest.raises(ModelError, match="unreadable"):
        read_head(head_file)


def test_head_arrays_are_validated(head, tmp_path: Path):
    path = tmp_path / "h.npz"
    save_head(path, head)
    again = read_head(path)
    x = np.random.default_rng(0).random((3, head.width)).astype(np.float32)
    assert np.allclose(again.probabilities(x), head.probabilities(x))
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    bad = dict(arrays, w0=arrays["w0"][:, :-1])
    with pytest.raises(ModelError, match="inconsistent"):
        head_from_arrays(bad)
    bad = dict(arrays, categories=np.array(["allowed"] + ["sauna"] * (len(head.categories) - 1)))
    with pytest.raises(ModelError):
        head_from_arrays(bad)
    with pytest.raises(ModelError, match="lacks"):
        head_from_arrays({k: v for k, v in arrays.items() if k != "mean"})


# --- cues, fusion and articles --------------------------------------------------------------------


def test_scene_cues_follow_the_min_score_and_map_to_zones():
    cues = P.cues_from_scene({"hotel_room": 0.7, "ballot_voting": 0.1, "toilet_urinal": 0.3}, 4.0, 0.25)
    assert {(c.cue, c.zone) for c in cues} == {("scene:hotel_room", "hotel_room"), ("scene:toilet_urinal", "restroom")}
    assert all(c.box is None and not c.weak for c in cues)
    assert P.cues_from_scene({"hotel_room": 0.9}, 0.0, 0.2) == []


def _frame(*cues):
    q = P.ViewQuality(120.0, 40.0, 200.0, True, None)
    return P.FrameCues(0, 0.0, 640, 480, tuple(cues), (), q, False)


def test_finding_names_the_head_category_and_its_clause():
    (f,) = P.fuse_frames([_frame(*P.cues_from_scene({"ktv_private_room": 0.8}, 4.0, 0.2))])
    assert (f.zone, f.article, f.category) == ("private_room", "9(1)", "ktv_private_room")
    assert f.to_json()["category"] == "ktv_private_room"
    assert f.cues[0].cue == "scene:ktv_private_room"
    # a weak head cue alone is not a finding; with a detected toilet it corroborates
    weak = P.cues_from_scene({"toilet_urinal": 0.3}, 4.0, 0.2)
    assert P.fuse_frames([_frame(*weak)]) == []
    toilet = P.Cue("detector:toilet", "restroom", 0.3, 4.5)
    assert P.fuse_frames([_frame(toilet)]) == []
    (f,) = P.fuse_frames([_frame(toilet, *weak)])
    assert f.category == "toilet_urinal" and f.article == "9(3)"


def test_every_category_has_a_zone_and_both_articles():
    for cat in CATEGORIES.values():
        assert cat.zone in ZONES
        assert cat.gansu in {f"9({i})" for i in range(1, 7)}
        assert cat.national in {f"8({i})" for i in range(1, 5)}
        assert category_for_zone(zone_of(cat.name)) in CATEGORIES
    assert CATEGORIES["fitting_room"].national == "8(3)"  # 试衣间 is named in Order 799 only


# --- CCTV-like training views ---------------------------------------------------------------------


def test_cctv_views_change_the_photo_like_a_security_camera():
    from cctv_views import cctv_view, high_angle, ir_grey, low_resolution, wide_lens

    img = _img("bus.jpg")
    h, w = img.shape[:2]
    grey = ir_grey(img)
    assert grey.shape == img.shape and np.array_equal(grey[..., 0], grey[..., 2])
    small = low_resolution(img, width=120)
    assert small.shape == img.shape
    assert cv2.Laplacian(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var() < \
        cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var() / 2
    top = high_angle(img, tilt=0.2, crop=0.8)
    assert top.shape[:2] == (int(h * 0.8), int(w * 0.8))
    lens = wide_lens(img, k=0.3)
    assert lens.shape == img.shape and not np.array_equal(lens, img)
    assert np.array_equal(lens[h // 2, w // 2], img[h // 2, w // 2])  # the centre stays put
    a = cctv_view(img, np.random.default_rng(5))
    b = cctv_view(img, np.random.default_rng(5))
    assert np.array_equal(a, b) and a.dtype == np.uint8


# --- on the corpus, when it is present ------------------------------------------------------------


def test_corpus_manifests_are_complete():
    import csv

    seen = set()
    for m in sorted((REPO / "datasets" / "privacy_photos").glob("manifest_*.tsv")):
        with open(m, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                assert all(r[k] for k in ("repository", "commit", "path", "licence", "sha256", "label", "source_group"))
                assert r["label"] in CATEGORIES or r["label"] == ALLOWED, r["label"]
                assert len(r["commit"]) == 40 and len(r["sha256"]) == 64
                assert r["sha256"] not in seen, r["local_path"]
                seen.add(r["sha256"])
    assert len(seen) >= 500


def test_head_recognises_corpus_photos_when_present(head, classifier, detector):
    root = Path("/work/data/privacy_photos")
    if not root.is_dir():
        pytest.skip("corpus not built (scripts/build_dataset.py)")
    right = total = 0
    for label in ("hotel_room", "toilet_urinal", "allowed"):
        for p in sorted((root / label).glob("*"))[:10]:
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is None:
                continue
            probs = head.probabilities(_features(classifier, detector, img))
            total += 1
            right += head.categories[int(np.argmax(probs))] == label
    assert total >= 20 and right / total >= 0.8  # training photos: a sanity check, not an evaluation


def test_scan_without_the_head_model_exits_2_with_one_line(tmp_path: Path):
    from typer.testing import CliRunner

    from cctv_guard.cli.app import app

    d = tmp_path / "models"
    shutil.copytree(MODELS, d)
    (d / "scene_head.npz").unlink()
    import cctv_guard.privacy.cues as cues_mod

    cues_mod._HEAD.clear()  # the process-wide copy, so the folder is read again
    try:
        res = CliRunner().invoke(app, ["scan", str(SAMPLES / "images" / "bus.jpg"), "--no-ocr"],
                                 env={"CCTV_GUARD_MODELS": str(d)})
    finally:
        cues_mod._HEAD.clear()
    assert res.exit_code == 2, res.output
    assert "scene_head.npz" in res.output and "missing" in res.output
    assert "Traceback" not in res.output
