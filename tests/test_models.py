"""The bundled models on real images: samples/images (shipped, redistributable) and
../shared/data/dev/scenes (skipped where absent); integrity checks on load; odd inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctv_guard.detection import (
    Classification,
    Detections,
    ImageClassifier,
    SsdDetector,
    TextLine,
    load_manifest,
    load_models,
    models_dir,
)
from cctv_guard.detection.onnx import ENV_VAR, sha256_file
from cctv_guard.core.errors import ModelError

from conftest import MODELS, SAMPLES

IMAGES = SAMPLES / "images"
RESTROOM_LABELS = {"toilet", "sink"}
# ImageNet ids of bathroom fixtures (labels file line i = class i)
BATHROOM_CLASSES = {861: "toilet seat", 896: "washbasin", 435: "bathtub", 794: "shower curtain", 999: "toilet tissue"}


@pytest.fixture(scope="module")
def models():
    return load_models()


def _img(name: str) -> np.ndarray:
    img = cv2.imread(str(IMAGES / name), cv2.IMREAD_COLOR)
    assert img is not None, name
    return img


def test_manifest_lists_committed_files_with_matching_hashes():
    entries = load_manifest(MODELS)
    assert set(entries) == {"ssd_mobilenet_v2_coco", "efficientnet_lite3", "scene_head"}
    for e in entries.values():
        assert e.file.is_file() and sha256_file(e.file) == e.sha256
        if e.name != "scene_head":  # the head's classes are inside its .npz
            assert e.labels is not None and sha256_file(e.labels) == e.labels_sha256
    total = sum(e.file.stat().st_size for e in entries.values())
    assert total < 110e6
    cards = (MODELS / "README.md").read_text(encoding="utf-8")
    assert all(e.sha256 in cards for e in entries.values()), "models/README.md lists stale sha256s"


def test_labels_follow_the_model_class_ids():
    coco = (MODELS / "coco_labels.txt").read_text().splitlines()
    assert (coco[1], coco[65], coco[70], coco[81]) == ("person", "bed", "toilet", "sink")
    imagenet = (MODELS / "imagenet_labels.txt").read_text().splitlines()
    assert len(imagenet) == 1000
    for i, name in BATHROOM_CLASSES.items():
        assert imagenet[i].startswith(name)
    assert imagenet[564].startswith("four-poster") and imagenet[480].startswith("cash machine")


def test_ssd_finds_bus_and_people_on_bus_jpg(models):
    img = _img("bus.jpg")
    d = models.ssd.detect(img, min_score=0.5)
    assert isinstance(d, Detections) and d.model == "ssd_mobilenet_v2_coco"
    assert "bus" in d.labels
    people = d.with_labels({"person"})
    assert len(people) >= 2
    h, w = img.shape[:2]
    assert (d.xyxy >= 0).all() and (d.xyxy[:, [0, 2]] <= w).all() and (d.xyxy[:, [1, 3]] <= h).all()
    bus = d.with_labels({"bus"})
    assert bus.areas.max() > 0.3 * w * h  # the bus fills much of the frame
    assert list(d.scores) == sorted(d.scores, reverse=True)
    everything = models.ssd.detect(img, min_score=0.0)  # bounded: best 100 after NMS over 2000 candidates
    assert len(everything) == 100 and everything.scores[:len(d)].tolist() == d.scores.tolist()


@pytest.mark.parametrize(
    "name, coco_label, imagenet_ids",
    [
        ("chelsea.jpg", "cat", {281, 282, 285}),  # tabby, tiger cat, Egyptian cat
        ("coffee.jpg", "cup", {967, 968, 504}),  # espresso, cup, coffee mug
        ("astronaut.jpg", "person", None),
    ],
)
def test_models_on_shipped_sample_images(models, name, coco_label, imagenet_ids):
    img = _img(name)
    assert coco_label in models.ssd.detect(img, min_score=0.5).labels
    if imagenet_ids:
        top = models.classifier.classify(img, top_k=5)
        assert all(isinstance(c, Classification) for c in top)
        assert top[0].class_id in imagenet_ids
        assert [c.score for c in top] == sorted((c.score for c in top), reverse=True)


def test_nothing_of_a_restroom_in_samples(models):
    for p in sorted(IMAGES.glob("*.jpg")):
        img = cv2.imread(str(p))
        assert not set(models.ssd.detect(img, 0.3).labels) & RESTROOM_LABELS, p.name
        assert not {c.class_id for c in models.classifier.classify(img, 5)} & set(BATHROOM_CLASSES), p.name


@pytest.mark.shared
def test_classifier_ranks_toilet_seat_on_the_imagenet_photo(models, shared_data):
    img = cv2.imread(str(shared_data / "dev/scenes/restroom/inet_n04447861_toilet_seat.jpg"))
    top = models.classifier.classify(img, top_k=5)
    assert top[0].class_id == 861 and top[0].label == "toilet seat"


@pytest.mark.shared
def test_ssd_sees_restroom_fixtures_in_restrooms_not_in_allowed_scenes(models, shared_data):
    def share_with_fixture(category: str) -> float:
        paths = sorted((shared_data / "dev/scenes" / category).glob("*.jpg"))
        assert paths
        hits = [bool(set(models.ssd.detect(cv2.imread(str(p)), 0.5).labels) & RESTROOM_LABELS) for p in paths]
        return sum(hits) / len(hits)

    assert share_with_fixture("restroom") >= 0.7
    assert share_with_fixture("allowed") <= 0.1


@pytest.mark.parametrize(
    "make",
    [
        lambda img: cv2.cvtColor(img, cv2.COLOR_BGR2GRAY),
        lambda img: cv2.cvtColor(img, cv2.COLOR_BGR2BGRA),
        lambda img: img.astype(np.uint16) * 257,
        lambda img: cv2.resize(img, (16, 16), interpolation=cv2.INTER_AREA),
        lambda img: cv2.resize(img, (8000, 6000), interpolation=cv2.INTER_NEAREST),
    ],
    ids=["grey", "bgra", "16bit", "tiny", "huge"],
)
def test_odd_inputs_give_results_in_input_coordinates(models, make):
    img = make(_img("bus.jpg"))
    h, w = img.shape[:2]
    d = models.ssd.detect(img, min_score=0.3)
    assert d.xyxy.shape[1] == 4 and ((d.xyxy[:, [0, 2]] <= w) & (d.xyxy[:, [1, 3]] <= h)).all()
    if min(h, w) > 100:
        assert "bus" in d.labels
    top = models.classifier.classify(img, top_k=3)
    assert len(top) == 3 and 0 <= top[0].score <= 1


def test_sign_reader_reads_rendered_sign(models):
    sign = np.full((160, 640, 3), 255, np.uint8)
    font, scale, thick, org = cv2.FONT_HERSHEY_SIMPLEX, 3.0, 8, (40, 110)
    cv2.putText(sign, "TOILET", org, font, scale, (0, 0, 0), thick, cv2.LINE_AA)
    (tw, th), _ = cv2.getTextSize("TOILET", font, scale, thick)
    lines = models.signs.read(sign)
    assert lines and all(isinstance(t, TextLine) for t in lines)
    best = max(lines, key=lambda t: t.score)
    assert best.text.upper().replace(" ", "") == "TOILET"
    x1, y1, x2, y2 = best.box
    # the box covers the rendered text (OCR boxes carry a small margin)
    assert x1 <= org[0] + 10 and x2 >= org[0] + tw - 10 and y1 <= org[1] - th + 10 and y2 >= org[1] - 10
    assert x2 - x1 < 1.3 * tw and y2 - y1 < 2.0 * th
    assert models.signs.read(np.full((16, 16, 3), 255, np.uint8)) == []


# --- integrity -------------------------------------------------------------------------------


def _copy_models(dst: Path, name: str) -> Path:
    """A models folder with one model of the real manifest, for tampering."""
    manifest = json.loads((MODELS / "manifest.json").read_text())
    rec = manifest["models"][name]
    shutil.copy(MODELS / rec["labels"], dst / rec["labels"])
    shutil.copy(MODELS / rec["file"], dst / rec["file"])
    manifest["models"] = {name: rec}
    (dst / "manifest.json").write_text(json.dumps(manifest))
    return dst / rec["file"]


def test_env_var_selects_models_folder(tmp_path, monkeypatch):
    _copy_models(tmp_path, "efficientnet_lite3")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert models_dir() == tmp_path
    assert ImageClassifier.load().classify(_img("chelsea.jpg"), 1)[0].class_id in {281, 282, 285}
    with pytest.raises(ModelError, match="ssd_mobilenet_v2_coco.*not in the manifest"):
        SsdDetector.load()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="CCTV_GUARD_MODELS=.*has no manifest.json"):
        models_dir()


def test_missing_model_file_is_a_one_line_model_error(tmp_path):
    _copy_models(tmp_path, "efficientnet_lite3").unlink()
    with pytest.raises(ModelError, match=r"efficientnet_lite3.onnx is missing; run `python scripts/export_models.py`") as e:
        ImageClassifier.load(tmp_path)
    assert "\n" not in str(e.value)


def test_corrupt_model_file_is_detected_before_loading(tmp_path):
    path = _copy_models(tmp_path, "efficientnet_lite3")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"efficientnet_lite3.onnx is corrupt or replaced \(sha256 .*git checkout"):
        ImageClassifier.load(tmp_path)
    path.write_bytes(b"not an onnx file")
    with pytest.raises(ModelError, match="corrupt or replaced"):
        ImageClassifier.load(tmp_path)


def test_file_matching_manifest_but_not_onnx_is_a_model_error(tmp_path):
    path = _copy_models(tmp_path, "efficientnet_lite3")
    path.write_bytes(b"\x08\x07garbage" * 10)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["models"]["efficientnet_lite3"]["sha256"] = sha256_file(path)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="could not be loaded by onnxruntime"):
        ImageClassifier.load(tmp_path)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"schema": "other"}), json.dumps({"schema": "cctv-guard/models@1", "models": {"x": {}}})])
def test_bad_manifest_is_a_model_error(tmp_path, content):
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(ModelError, match="manifest"):
        load_manifest(tmp_path)


def test_load_models_is_shared_lazy_and_loud_on_preload(tmp_path):
    assert load_models() is load_models()
    (tmp_path / "manifest.json").write_text(json.dumps({"schema": "cctv-guard/models@1", "models": {}}))
    lazy = load_models(tmp_path)  # nothing is opened yet
    assert lazy is not load_models()
    with pytest.raises(ModelError, match="'ssd_mobilenet_v2_coco' is not in the manifest"):
        lazy.preload(ocr=False)


CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def test_sign_reader_reads_chinese_signs(models):
    if not CJK_FONT.is_file():
        pytest.skip("Debian's fonts-noto-cjk is not installed (.ci/run installs it)")
    from PIL import Image, ImageDraw, ImageFont

    texts = ["卫生间", "更衣室 Locker", "哺乳室"]
    board = Image.new("RGB", (560, 360), (20, 90, 40))  # white on green, like a building's signs
    draw, font = ImageDraw.Draw(board), ImageFont.truetype(str(CJK_FONT), 64)
    for i, text in enumerate(texts):
        draw.text((30, 20 + 115 * i), text, font=font, fill=(255, 255, 255))
    lines = models.signs.read(cv2.cvtColor(np.asarray(board), cv2.COLOR_RGB2BGR))
    assert [t.text.replace(" ", "") for t in lines] == [t.replace(" ", "") for t in texts]  # top to bottom
    assert all(t.score > 0.8 for t in lines)
