"""Art. 9 fusion, masks, view quality and config with fabricated cues; then the real models on
bundled samples, synthetic signs and (when present) the shared dev scenes."""

from __future__ import annotations

from dataclasses import replace

import math
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from cctv_guard import privacy as P
from cctv_guard.privacy import lexicon
from cctv_guard.privacy.scan import _OcrPlan
from cctv_guard.core.errors import ConfigError

CFG = P.PrivacyConfig()
GOOD = P.ViewQuality(120.0, 50.0, 300.0, True, None)


def cue(name: str, score: float, box=(10.0, 10.0, 60.0, 60.0), cfg: P.PrivacyConfig = CFG) -> P.Cue:
    """A cue as the models would produce it, weights from the config's tables."""
    source, label = name.split(":", 1)
    if source == "ocr":
        (hit,) = [h for h in lexicon.match_text(label)][:1]
        return P.Cue(name, hit.zone, score, hit.weight, box, hit.weak)
    rules = cfg.detector_rules() if source == "detector" else cfg.classifier_rules()
    r = rules[label]
    return P.Cue(name, r.zone, score, r.weight, None if source == "classifier" else box, r.weak)


def frame(*cues: P.Cue, index: int = 0, quality: P.ViewQuality = GOOD) -> P.FrameCues:
    return P.FrameCues(index, float(index), 640, 480, tuple(cues), (), quality, False)


# --- fusion tables ------------------------------------------------------------------------------

FUSION_CASES = [
    # cues, expected (article, zone) or None when nothing is found
    ([("detector:toilet", 0.9)], ("9(3)", "restroom")),
    ([("detector:toilet", 0.3)], None),  # below the rule's minimum score
    ([("detector:sink", 0.95)], None),  # a sink alone is weak: kitchens have sinks
    ([("detector:sink", 0.9), ("detector:toilet", 0.4)], ("9(3)", "restroom")),  # co-occurrence
    ([("classifier:toilet seat", 0.9)], ("9(3)", "restroom")),
    ([("classifier:bathtub", 0.6), ("classifier:shower curtain", 0.2)], ("9(3)", "bathroom")),
    ([("classifier:soap dispenser", 0.9)], None),  # weak
    ([("detector:bed", 0.8)], ("9(1)", "hotel_room")),
    ([("detector:bed", 0.4)], None),
    ([("detector:bed", 0.4), ("classifier:pillow", 0.2), ("classifier:quilt", 0.2)], ("9(1)", "hotel_room")),
    ([("classifier:cash machine", 0.7)], ("9(4)", "atm_pinpad")),
    ([("ocr:卫生间", 0.95)], ("9(3)", "restroom")),
    ([("ocr:男", 0.99)], None),  # a lone gender sign is not a finding
    ([("ocr:男", 0.99), ("detector:toilet", 0.4)], ("9(3)", "restroom")),
    ([("ocr:更衣室", 0.9)], ("9(3)", "changing_room")),
    ([("ocr:哺乳室", 0.9)], ("9(3)", "nursing_room")),
    ([("ocr:宿舍", 0.9)], ("9(2)", "dormitory")),
    ([("ocr:包房", 0.9)], ("9(1)", "private_room")),
    ([("ocr:投票箱", 0.9)], ("9(5)", "ballot")),
    ([("ocr:ATM", 0.9)], ("9(4)", "atm_pinpad")),
    ([("ocr:柜台", 0.9)], ("9(4)", "bank_counter")),  # 3.0 × 0.9 clears 2.0
    ([("ocr:Room 12", 0.99)], None),  # weak
    ([("classifier:studio couch", 0.1)], None),
    # counter-evidence: a kitchen sink is not a washbasin in a restroom
    ([("detector:sink", 0.9), ("classifier:washbasin", 0.3)], ("9(3)", "restroom")),
    ([("detector:sink", 0.9), ("classifier:washbasin", 0.3), ("detector:oven", 0.7)], None),
    ([("detector:sink", 0.9), ("classifier:washbasin", 0.3), ("classifier:refrigerator", 0.3)], None),
    ([("classifier:stove", 0.9)], None),  # counter-evidence alone is nothing
    ([("detector:toilet", 0.9), ("classifier:refrigerator", 0.2)], ("9(3)", "restroom")),
]


@pytest.mark.parametrize("cues, expected", FUSION_CASES)
def test_fusion_table(cues, expected):
    findings = P.fuse_frames([frame(*(cue(n, s) for n, s in cues))])
    if expected is None:
        assert findings == []
    else:
        assert findings, f"nothing found for {cues}"
        assert (findings[0].article, findings[0].zone) == expected
        assert 0.0 < findings[0].confidence <= 1.0
        assert {c.cue for c in findings[0].cues} <= {n for n, _ in cues}


def test_more_agreeing_cues_raise_confidence():
    one = P.fuse_frames([frame(cue("detector:toilet", 0.6))])[0].confidence
    two = P.fuse_frames([frame(cue("detector:toilet", 0.6), cue("classifier:toilet seat", 0.5))])[0].confidence
    three = P.fuse_frames([frame(cue("detector:toilet", 0.6), cue("classifier:toilet seat", 0.5),
                                 cue("detector:sink", 0.7))])[0].confidence
    assert one < two < three


def test_toilet_and_bathtub_give_one_sanitary_finding_named_by_the_stronger_zone():
    findings = P.fuse_frames([frame(cue("detector:toilet", 0.5), cue("classifier:bathtub", 0.8))])
    assert len(findings) == 1
    assert findings[0].zone == "bathroom" and findings[0].article == "9(3)"


def test_separate_families_give_separate_findings():
    findings = P.fuse_frames([frame(cue("detector:toilet", 0.9), cue("detector:bed", 0.9))])
    assert sorted(f.zone for f in findings) == ["hotel_room", "restroom"]


def test_many_beds_mean_dormitory():
    beds = [cue("detector:bed", 0.8, box=(i * 100.0, 10.0, i * 100.0 + 90, 80.0)) for i in range(3)]
    assert P.fuse_frames([frame(*beds)])[0].zone == "dormitory"
    assert P.fuse_frames([frame(*beds[:2])])[0].zone == "hotel_room"
    f = P.fuse_frames([frame(*beds)])[0]
    assert f.article == "9(2)"


def test_the_same_label_twice_counts_once():
    a = P.fuse_frame([cue("detector:toilet", 0.8)])["sanitary"].evidence
    b = P.fuse_frame([cue("detector:toilet", 0.8), cue("detector:toilet", 0.5, box=(100, 100, 150, 150))])["sanitary"].evidence
    assert a == pytest.approx(b)


def test_confidence_is_the_configured_logistic():
    f = CFG.fusion
    assert P.confidence(f.midpoint) == pytest.approx(0.5)
    e = f.midpoint + 1.0
    assert P.confidence(e) == pytest.approx(1 / (1 + math.exp(-f.slope)))


# --- across frames ------------------------------------------------------------------------------


def test_one_weak_cue_in_one_frame_of_many_is_not_a_finding():
    frames = [frame(index=i) for i in range(20)]
    frames[7] = frame(cue("detector:toilet", 0.36), index=7)
    assert P.fuse_frames(frames) == []


def test_a_repeated_moderate_cue_accumulates_into_a_finding():
    single = [frame(cue("detector:toilet", 0.4), index=0)]
    assert P.fuse_frames(single) == []
    repeated = [frame(cue("detector:toilet", 0.4), index=i) for i in range(4)]
    (f,) = P.fuse_frames(repeated)
    assert f.zone == "restroom"


def test_accumulation_is_bounded_by_the_decay():
    d = CFG.fusion.frame_decay
    many = [frame(cue("detector:toilet", 0.5), index=i) for i in range(200)]
    (f,) = P.fuse_frames(many)
    assert f.evidence <= 4.5 * 0.5 / (1 - d) + 1e-6


def test_finding_points_at_its_best_frame_and_best_sightings():
    frames = [frame(cue("detector:toilet", 0.5), index=0), frame(cue("detector:toilet", 0.9), cue("detector:sink", 0.6), index=5)]
    (f,) = P.fuse_frames(frames)
    assert f.frame_index == 5 and f.t == 5.0
    assert [c.cue for c in f.cues][0] == "detector:toilet"
    assert f.cues[0].score == pytest.approx(0.9)


def test_finding_json_matches_the_contract():
    (f,) = P.fuse_frames([frame(cue("detector:toilet", 0.9), cue("classifier:toilet seat", 0.5))])
    doc = f.to_json()
    assert set(doc) >= {"kind", "article", "zone", "category", "confidence", "cues"}  # others may add fields
    assert doc["kind"] == "privacy" and doc["article"] == "9(3)"
    assert doc["category"] == "toilet_urinal"  # no scene cue: the zone's usual category
    for c in doc["cues"]:
        assert set(c) == {"cue", "score", "box"}
        assert len(c["box"]) == 4  # classifier cues get the whole frame
    assert {"cue": "classifier:toilet seat", "score": 0.5, "box": [0.0, 0.0, 640.0, 480.0]} in doc["cues"]


# --- verdicts and view quality ------------------------------------------------------------------


def test_verdicts():
    dark = P.ViewQuality(5.0, 2.0, 0.1, False, "too dark")
    assert P.verdict_of([], [frame()]) == ("clear", None)
    assert P.verdict_of([], [frame(quality=dark)]) == ("inconclusive", "view too dark")
    assert P.verdict_of([], [frame(quality=dark), frame()])[0] == "clear"
    (f,) = P.fuse_frames([frame(cue("detector:toilet", 0.9))])
    assert P.verdict_of([f], [frame(quality=dark)])[0] == "prohibited"
    assert P.verdict_of([], [])[0] == "inconclusive"


def _textured(h=240, w=320, seed=0) -> np.ndarray:
    """A left-to-right ramp (large-scale contrast) with 8-px blocks of detail on top."""
    rng = np.random.default_rng(seed)
    blocks = cv2.resize(rng.integers(0, 80, (max(1, h // 8), max(1, w // 8), 3), dtype=np.uint8), (w, h),
                        interpolation=cv2.INTER_NEAREST).astype(np.int32)
    ramp = np.linspace(40, 180, w, dtype=np.float32)[None, :, None].astype(np.int32)
    return np.clip(blocks + ramp, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: _textured(), None),
        (lambda: (_textured() * 0.08).astype(np.uint8), "too dark"),
        (lambda: np.full((240, 320, 3), 128, np.uint8), "covered"),
        (lambda: cv2.GaussianBlur(_textured(), (0, 0), 8), "blurred"),
        (lambda: np.clip(_textured().astype(int) + 200, 0, 255).astype(np.uint8), "washed out"),
        (lambda: _textured(16, 16), "too small"),
    ],
)
def test_view_quality(make, reason):
    q = P.view_quality(make(), CFG.quality)
    assert q.reason == reason, q
    assert q.judgeable == (reason is None)


def test_view_quality_ignores_masked_pixels():
    img = _textured()
    img[:, :290] = 0  # a black panel over most of the view...
    masked = np.zeros(img.shape[:2], bool)
    masked[:, :290] = True  # ...that the operator masked out
    assert P.view_quality(img, CFG.quality).reason == "too dark"
    assert P.view_quality(img, CFG.quality, masked).judgeable


# --- masks --------------------------------------------------------------------------------------

SQUARE = ((0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0))


@pytest.mark.parametrize(
    "box, inside",
    [
        ((10, 10, 50, 50), True),  # wholly inside
        ((80, 80, 140, 140), False),  # centre outside, 400 of 3600 px² inside
        ((200, 200, 260, 260), False),  # far away
        ((60, 0, 180, 100), False),  # centre (120, 50) outside, a third inside
        ((-20, -20, 40, 40), True),  # centre (10, 10) inside
    ],
)
def test_in_masks_table(box, inside):
    assert P.in_masks(box, [SQUARE]) == inside


def test_in_masks_by_area_when_the_centre_is_outside():
    # two masks with a 4-px gap: the box's centre (105, 50) lies in the gap, 106/110 of it is masked
    right = ((104.0, 0.0), (200.0, 0.0), (200.0, 100.0), (104.0, 100.0))
    assert P.in_masks((50, 0, 160, 100), [SQUARE, right])
    assert not P.in_masks((50, 0, 160, 100), [right[:3]])  # a triangle covering less than half


def test_masked_cues_do_not_count():
    toilet = cue("detector:toilet", 0.95, box=(10, 10, 50, 50))
    assert P.apply_masks([toilet], [SQUARE]) == []
    assert P.apply_masks([toilet], [((200, 200), (300, 200), (300, 300))]) == [toilet]
    whole = cue("classifier:toilet seat", 0.9)
    assert P.apply_masks([whole], [SQUARE]) == [whole]


def test_mask_image_greys_out_the_polygon():
    img = np.zeros((120, 120, 3), np.uint8)
    out = P.mask_image(img, [SQUARE])
    assert (out[50, 50] == 114).all() and (out[110, 110] == 0).all()
    assert (img == 0).all()  # the input is not modified


# --- config -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ({"fusion": {"treshold": 0.5}}, "fusion.treshold: unknown key (did you mean 'threshold'?)"),
        ({"colour": 1}, "unknown key 'colour'"),
        ({"fusion": {"threshold": 2}}, "fusion.threshold: Input should be less than 1"),
        ({"detector": {"toilet": {"zone": "loo", "weight": 3}}}, "detector.toilet.zone: unknown zone 'loo'; expected one of"),
        ({"detectors": [{"path": "m.onnx", "classes": {"urinal": "restrooms"}}]}, "detectors[0].classes: class 'urinal': unknown zone"),
        ({"detectors": [{"path": "m.onnx", "classes": {"urinal": "restroom"}, "extra": 1}]}, "detectors[0].extra: unknown key"),
        ({"masks": [[[0, 0], [10, 10]]]}, "masks: mask 0 has 2 points; a polygon needs at least 3"),
        ({"masks": [[[0, 0], [10, 10], [20, 20]]]}, "masks: mask 0 encloses no area"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_config_errors_name_the_key(data, message):
    with pytest.raises(ConfigError) as ei:
        P.parse_config(data, "privacy.yaml")
    assert message in str(ei.value) and str(ei.value).startswith("privacy.yaml: ")
    assert "\n" not in str(ei.value) and "Value error" not in str(ei.value)


def test_config_file_round_trip(tmp_path: Path):
    (tmp_path / "privacy.yaml").write_text(
        "fusion:\n  threshold: 0.8\n"
        "detector:\n  sink: {zone: restroom, weight: 3.0, min_score: 0.5}\n"
        "detectors:\n  - path: models/urinals.onnx\n    classes: {urinal: restroom, ballot_box: {zone: ballot, weight: 5}}\n"
        "masks:\n  - [[0, 0], [100, 0], [100, 100]]\n",
        encoding="utf-8",
    )
    cfg = P.load_config(tmp_path / "privacy.yaml")
    assert cfg.fusion.threshold == 0.8
    assert cfg.detector_rules()["sink"].weight == 3.0 and not cfg.detector_rules()["sink"].weak
    assert cfg.detector_rules()["toilet"] == CFG.detector_rules()["toilet"]  # merged over the defaults
    d = cfg.detectors[0]
    assert d.path == tmp_path / "models/urinals.onnx"
    assert d.rules()["urinal"].zone == "restroom" and d.rules()["ballot_box"].weight == 5
    assert len(cfg.masks) == 1


def test_config_file_problems(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        P.load_config(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("fusion: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^bad\.yaml:2: not valid YAML"):
        P.load_config(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- fusion\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^list\.yaml:1: expected a mapping"):
        P.load_config(tmp_path / "list.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    assert P.load_config(tmp_path / "empty.yaml") == P.PrivacyConfig()


@pytest.mark.parametrize(
    "text, message",
    [
        # a misspelt key, nested: the file, the line of the key, its path and the closest known key
        ("ocr:\n  enabled: false\nfusion:\n  midpoint: 1.5\n  treshold: 0.5\n",
         "privacy.yaml:5: fusion.treshold: unknown key (did you mean 'threshold'?)"),
        ("sampling:\n  max_frames: 10\n\ncolour: red\n", "privacy.yaml:4: unknown key 'colour'"),
        ("detector:\n  toilet: {zone: restroom, weight: 3}\n  bed: {zone: bedroom, weight: 3}\n",
         "privacy.yaml:3: detector.bed.zone: unknown zone 'bedroom'"),
        ("detectors:\n  - path: a.onnx\n    classes: {urinal: restroom}\n  - path: b.onnx\n    clases: {x: ballot}\n",
         "privacy.yaml:5: detectors[1].clases: unknown key (did you mean 'classes'?)"),
    ],
)
def test_a_bad_key_in_a_config_file_names_its_line(tmp_path: Path, text, message):
    (tmp_path / "privacy.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        P.load_config(tmp_path / "privacy.yaml")
    assert str(ei.value).startswith(message), str(ei.value)


def test_custom_detector_cues_use_the_yolo_prefix():
    spec = P.CustomDetector(path=Path("x.onnx"), classes={"urinal": "restroom", "pen": {"zone": "ballot", "weight": 1.0}})
    dets = [SimpleNamespace(label="urinal", score=0.8, box=(0, 0, 5, 5)), SimpleNamespace(label="chair", score=0.9, box=(0, 0, 5, 5)),
            SimpleNamespace(label="urinal", score=0.2, box=(0, 0, 5, 5))]
    got = P.cues_from_detections(dets, spec.rules(), prefix="yolo")
    assert [(c.cue, c.zone, c.weight) for c in got] == [("yolo:urinal", "restroom", 4.0)]


def test_ocr_cues_below_the_minimum_score_are_ignored():
    lines = [SimpleNamespace(text="卫生间", score=0.9, box=(0, 0, 10, 10)), SimpleNamespace(text="更衣室", score=0.3, box=(0, 0, 10, 10))]
    got = P.cues_from_text(lines, min_score=0.6)
    assert [(c.cue, c.zone) for c in got] == [("ocr:卫生间", "restroom")]


def test_change_detection_on_thumbnails():
    a = _textured(seed=1)
    assert P.view_changed(None, P.thumbnail(a), 0.2)
    assert not P.view_changed(P.thumbnail(a), P.thumbnail(a.copy()), 0.2)
    assert P.view_changed(P.thumbnail(a), P.thumbnail(a[:, ::-1].copy()), 0.2)  # another scene
    shifted = np.roll(a, 40, axis=1)  # the camera panned
    assert P.view_changed(P.thumbnail(a), P.thumbnail(shifted), 0.2)
    walker = a.copy()
    walker[100:180, 150:180] = 255  # someone walks through a fixed view
    assert not P.view_changed(P.thumbnail(a), P.thumbnail(walker), 0.2)



@pytest.mark.parametrize("convert", [
    lambda a: cv2.cvtColor(a, cv2.COLOR_BGR2BGRA),  # alpha
    lambda a: a.astype(np.uint16) * 257,  # 16-bit
    lambda a: a.astype(np.float32) / 255.0,  # float 0..1
], ids=["bgra", "uint16", "float"])
def test_views_of_any_image_kind_read_like_bgr8(convert):
    """Quality and change detection go through detection.image.as_bgr8: an image in another
    pixel format reads the same as its 8-bit BGR original."""
    a = _textured(seed=2)
    other = convert(a)
    assert not P.view_changed(P.thumbnail(a), P.thumbnail(other), 0.01)
    q, r = P.view_quality(a), P.view_quality(other)
    assert (r.judgeable, r.reason) == (q.judgeable, q.reason) and abs(r.luma - q.luma) < 1.0
    grey = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)
    assert abs(P.view_quality(grey).luma - q.luma) < 1.0
    assert P.mask_image(other, [SQUARE]).dtype == np.uint8


def test_importing_the_package_is_cheap_and_every_public_name_resolves():
    import subprocess
    import sys

    code = ("import sys, cctv_guard.privacy as p; "
            "print(sorted(m for m in ('cv2', 'numpy', 'pydantic', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
    for name in P.__all__:
        assert getattr(P, name) is not None, name
    assert set(P.__all__) <= set(dir(P))
    with pytest.raises(AttributeError):
        P.no_such_name  # noqa: B018


# --- the real models ----------------------------------------------------------------------------

from conftest import SAMPLES  # noqa: E402


@pytest.fixture(scope="module")
def models():
    return P.load_models(ocr=True)


def test_bundled_everyday_images_are_clear(models):
    from cctv_guard.media import read_image

    paths = sorted((SAMPLES / "images").glob("*.jpg"))
    assert paths
    for p in paths:
        item = P.scan_image(read_image(p), models=models, ocr=False, source=str(p))
        assert item.verdict == "clear", (p.name, item.to_json())


def _scenes(shared_data: Path, category: str) -> list[Path]:
    return sorted((shared_data / "dev" / "scenes" / category).glob("*.jpg"))


@pytest.mark.parametrize(
    "category, min_rate, articles",
    [
        ("restroom", 0.9, {"9(3)"}),
        ("bathroom_shower", 0.85, {"9(3)"}),
        ("bedroom_hotel_dorm", 0.8, {"9(1)", "9(2)", "9(3)"}),
    ],
)
def test_dev_scenes_of_prohibited_places(shared_data, models, category, min_rate, articles):
    from cctv_guard.media import read_image

    paths = _scenes(shared_data, category)
    assert paths
    items = [P.scan_image(read_image(p), models=models, ocr=False, source=p.name) for p in paths]
    flagged = [i for i in items if i.verdict == "prohibited"]
    assert len(flagged) / len(items) >= min_rate, [i.source for i in items if i.verdict != "prohibited"]
    assert all(i.findings[0].article in articles for i in flagged)


def test_dev_scenes_of_allowed_places_are_clear(shared_data, models):
    from cctv_guard.media import read_image

    paths = _scenes(shared_data, "allowed")
    items = [P.scan_image(read_image(p), models=models, ocr=False, source=p.name) for p in paths]
    # with the scene head one of the 21 is flagged (a CCTV frame of a motorbike park, taken for a
    # toilet: docs/privacy.md); at most the 5 % false-positive bound
    assert len([i for i in items if i.verdict == "prohibited"]) <= 0.05 * len(items)
    assert all(i.verdict == "clear" for i in items if "street" in i.source)


def test_scan_frames_applies_masks_given_in_another_frame_size(shared_data, models):
    from cctv_guard.media import Frame, read_image

    photo = _scenes(shared_data, "restroom")[0]
    img = read_image(photo)
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    frames = [Frame(small, 0.0, 0, True)]
    assert P.scan_frames(frames, models=models, ocr=False)[0].article == "9(3)"
    whole = (((0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))),)
    assert P.scan_frames(frames, models=models, ocr=False, masks=whole, mask_size=(w, h)) == []


def test_scan_source_on_a_video_and_an_image(models):
    item = P.scan_source(SAMPLES / "vtest_normal.mp4", models=models, ocr=False)
    assert item.verdict == "clear" and item.frames_analyzed >= 1
    still = P.scan_source(sorted((SAMPLES / "images").glob("*.jpg"))[0], models=models, ocr=False)
    assert still.verdict == "clear" and still.frames_analyzed == 1


def test_scan_paths_reports_progress_in_files(models):
    """One core.progress protocol: files done (fractional within a video), the file as detail."""
    from cctv_guard.core.progress import Progress

    heard: list[Progress] = []
    photo = sorted((SAMPLES / "images").glob("*.jpg"))[0]
    seconds: list[Progress] = []
    P.scan_source(SAMPLES / "vtest_normal.mp4", models=models, ocr=False, progress=seconds.append)
    assert seconds and {p.unit for p in seconds} == {"s"} and seconds[-1].done <= seconds[-1].total
    rep = P.scan_paths([SAMPLES / "vtest_normal.mp4", photo], models=models, ocr=False, progress=heard.append)
    assert len(rep.items) == 2
    assert {p.unit for p in heard} == {"files"} and {p.total for p in heard} == {2.0}
    done = [p.done for p in heard]
    assert done == sorted(done) and done[0] == 0.0 and done[-1] == 2.0
    assert any(0.0 < d < 1.0 for d in done)  # within the video
    assert heard[0].detail == "vtest_normal.mp4" and any(p.detail == photo.name for p in heard)


def _sign(lines: list[str], size=(640, 360)) -> np.ndarray:
    """A wall with a door sign, drawn with a CJK font (skips when none is installed)."""
    Image = pytest.importorskip("PIL.Image")
    ImageDraw = pytest.importorskip("PIL.ImageDraw")
    ImageFont = pytest.importorskip("PIL.ImageFont")
    fonts = [Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
             Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
             Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")]
    font_path = next((f for f in fonts if f.is_file()), None)
    if font_path is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    rng = np.random.default_rng(0)
    wall = (rng.normal(180, 12, (size[1], size[0], 3))).clip(0, 255).astype(np.uint8)
    wall = cv2.GaussianBlur(wall, (0, 0), 1.0)
    img = Image.fromarray(wall)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), 56)
    draw.rectangle((140, 60, 500, 100 + 80 * len(lines)), fill=(30, 90, 40))
    for k, text in enumerate(lines):
        draw.text((170, 80 + 80 * k), text, font=font, fill=(255, 255, 255))
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


@pytest.mark.slow
@pytest.mark.parametrize(
    "lines, zone",
    [
        (["卫生间", "Toilet"], "restroom"),
        (["更衣室"], "changing_room"),
        (["男装 专卖"], None),  # a men's-wear shop: no finding
    ],
)
def test_signs_are_read_and_mapped(models, lines, zone):
    # the sign reader's mapping alone: the scene head has only seen real photos and calls this
    # synthetic board on a plain wall a ballot scene (models/README.md, scene head card)
    models = replace(models, head=None)
    item = P.scan_image(_sign(lines), models=models, ocr=True, source="sign")
    if zone is None:
        assert item.verdict == "clear", item.to_json()
    else:
        assert item.verdict == "prohibited", item.to_json()
        assert item.findings[0].zone == zone and item.findings[0].article == "9(3)"
        assert any(c.cue.startswith("ocr:") for c in item.findings[0].cues)


def test_models_are_missing_gives_a_model_error(tmp_path, monkeypatch):
    from cctv_guard import detection
    from cctv_guard.core.errors import ModelError

    monkeypatch.setenv("CCTV_GUARD_MODELS", str(tmp_path))
    monkeypatch.setattr(detection, "_cache", {})
    with pytest.raises(ModelError):
        P.load_models(ocr=False)


def _tiny_yolo(path: Path, names: dict[int, str], score: float) -> Path:
    """A 64×64 'YOLO' ONNX in the ultralytics layout [1, 4 + nc, 1] that always sees one object of
    class 0 in the middle of its input, with the class names in the metadata."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    nc = len(names)
    const = np.zeros((1, 4 + nc, 1), np.float32)
    const[0, :4, 0] = [32.0, 32.0, 20.0, 20.0]
    const[0, 4, 0] = score
    nodes = [
        helper.make_node("ReduceSum", ["images"], ["s"], keepdims=0),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["z", "const"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + nc, 1])],
        [helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
         helper.make_tensor("const", TensorProto.FLOAT, const.shape, const.reshape(-1).tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    meta = model.metadata_props.add()
    meta.key, meta.value = "names", repr(names)
    onnx.save(model, str(path))
    return path


def test_custom_yolo_detector_from_config_becomes_a_finding(tmp_path: Path, models):
    from cctv_guard.media import read_image

    _tiny_yolo(tmp_path / "urinals.onnx", {0: "urinal", 1: "ballot_box"}, 0.9)
    (tmp_path / "privacy.yaml").write_text(
        "detectors:\n  - path: urinals.onnx\n    classes: {urinal: restroom, ballot_box: ballot}\n", encoding="utf-8")
    cfg = P.load_config(tmp_path / "privacy.yaml")
    custom = P.load_models(cfg, ocr=False)
    img = read_image(sorted((SAMPLES / "images").glob("*.jpg"))[0])  # an ordinary, clear photo
    item = P.scan_image(img, config=cfg, models=custom, ocr=False)
    assert item.verdict == "prohibited"
    (f,) = item.findings
    assert (f.article, f.zone) == ("9(3)", "restroom")
    (c,) = [c for c in f.cues if c.cue == "yolo:urinal"]
    h, w = img.shape[:2]
    assert abs((c.box[0] + c.box[2]) / 2 - w / 2) < 2 and abs((c.box[1] + c.box[3]) / 2 - h / 2) < 2
    # the operator masks the middle of the view: the urinal no longer counts
    mask = ((w * 0.3, h * 0.3), (w * 0.7, h * 0.3), (w * 0.7, h * 0.7), (w * 0.3, h * 0.7))
    masked = P.scan_image(img, config=cfg.model_copy(update={"masks": (mask,)}), models=custom, ocr=False)
    assert masked.verdict == "clear"


def test_custom_yolo_with_a_wrong_sha256_is_a_model_error(tmp_path: Path):
    from cctv_guard.core.errors import ModelError

    _tiny_yolo(tmp_path / "m.onnx", {0: "urinal"}, 0.9)
    cfg = P.parse_config({"detectors": [{"path": str(tmp_path / "m.onnx"), "sha256": "0" * 64, "classes": {"urinal": "restroom"}}]})
    with pytest.raises(ModelError):
        P.load_models(cfg, ocr=False)


def test_ocr_plan_spreads_sign_reading_over_the_video():
    plan = _OcrPlan(3, 100.0)
    dark = P.ViewQuality(5.0, 2.0, 0.1, False, "too dark")
    read = []
    for t in range(0, 101, 10):
        plan.t = float(t)
        if plan(dark if t == 40 else GOOD):
            read.append(t)
    assert read == [0, 50, 70]  # 40 was too dark to read: the next judgeable frame takes its turn
    unknown = _OcrPlan(2, None)
    assert [unknown(GOOD) for _ in range(4)] == [True, True, False, False]


def test_every_default_rule_names_a_label_the_models_have(models):
    assert set(CFG.classifier_rules()) <= set(models.classifier.labels)
    assert set(CFG.detector_rules()) <= set(models.detector.labels)
