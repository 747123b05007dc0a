"""Cues: the evidence one frame gives for an Art. 9 zone, from the object detector (a toilet, a
bed), the scene classifier (a shower curtain, a quilt), the sign reader (卫生间, 更衣室, ATM) and
an operator's own YOLO detectors.

A cue carries evidence = weight × score in log-odds units; weights come from the config's cue
rules (`config.CueRule`) and, for signs, from the lexicon. `analyse_frame` runs the models on one
frame and collects its cues, people boxes and view quality as a `FrameCues`; `fusion` turns the
cues of one or more frames into findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from cctv_guard.core.errors import ModelError
from cctv_guard.detection.image import as_bgr8, limit_size
from cctv_guard.privacy import lexicon
from cctv_guard.privacy.categories import zone_of
from cctv_guard.privacy.config import CueRule, CustomDetector, PrivacyConfig
from cctv_guard.privacy.head import scene_features
from cctv_guard.privacy.view import Box, ViewQuality, in_masks, mask_array, mask_image, scale_polygons, view_quality


@dataclass(frozen=True)
class Cue:
    """One piece of evidence for a zone: `cue` is "detector:toilet", "classifier:toilet seat",
    "ocr:卫生间" or "yolo:urinal"; `score` the model's own score; `box` in frame pixels (None
    for whole-frame classifier labels)."""

    cue: str
    zone: str
    score: float
    weight: float
    box: Box | None = None
    weak: bool = False

    @property
    def evidence(self) -> float:
        return self.weight * self.score


# --- cues from model outputs ----------------------------------------------------------------------


def cues_from_detections(detections, rules: Mapping[str, CueRule], prefix: str = "detector") -> list[Cue]:
    """Cues for the detections whose label has a rule and whose score reaches its minimum."""
    out = []
    for d in detections:
        rule = rules.get(d.label)
        if rule is not None and d.score >= rule.min_score and rule.weight != 0:
            out.append(Cue(f"{prefix}:{d.label}", rule.zone, d.score, rule.weight, d.box, rule.weak))
    return out


def cues_from_classes(classes, rules: Mapping[str, CueRule]) -> list[Cue]:
    """Cues for classifier labels (objects with .label and .score) that have a rule."""
    out = []
    for c in classes:
        rule = rules.get(c.label)
        if rule is not None and c.score >= rule.min_score and rule.weight != 0:
            out.append(Cue(f"classifier:{c.label}", rule.zone, float(c.score), rule.weight, None, rule.weak))
    return out


def cues_from_text(lines, min_score: float = 0.0) -> list[Cue]:
    """Cues for OCR text lines (objects with .text, .score, .box) that name an Art. 9 place."""
    out = []
    for line in lines:
        if line.score < min_score:
            continue
        box = _as_box(line.box)
        for hit in lexicon.match_text(line.text):
            out.append(Cue(f"ocr:{hit.term}", hit.zone, float(line.score), hit.weight, box, hit.weak))
    return out


def cues_from_scene(probabilities: Mapping[str, float], weight: float, min_score: float) -> list[Cue]:
    """Cues for the prohibited categories the scene head gives at least `min_score` ("scene:hotel_room")."""
    return [Cue(f"scene:{cat}", zone_of(cat), float(p), weight) for cat, p in probabilities.items()
            if p >= min_score and weight != 0]


def _as_box(box) -> Box | None:
    if box is None:
        return None
    a = np.asarray(box, dtype=np.float64)
    if a.size == 4:
        x1, y1, x2, y2 = a.reshape(-1)
    elif a.size >= 6 and a.size % 2 == 0:  # quadrilateral / polygon points
        pts = a.reshape(-1, 2)
        x1, y1 = pts.min(axis=0)
        x2, y2 = pts.max(axis=0)
    else:
        return None
    return (float(x1), float(y1), float(x2), float(y2))


def _scale_box(box: Box, k: float) -> Box:
    if k == 1.0:
        return box
    return (box[0] * k, box[1] * k, box[2] * k, box[3] * k)


def apply_masks(cues: Iterable[Cue], masks) -> list[Cue]:
    """The cues that do not lie in a privacy mask (whole-frame cues are kept: the classifier is
    run on the frame with masked pixels greyed out)."""
    return [c for c in cues if c.box is None or not in_masks(c.box, masks)]


# --- models -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyModels:
    """The models a scan runs; any may be None (that source of cues is then skipped).
    `custom` pairs each loaded YOLO detector with its config entry; `head` is the scene head
    (`head.SceneHead`), fed by the classifier's and the detector's pooled features."""

    detector: Any = None
    classifier: Any = None
    reader: Any = None
    custom: tuple[tuple[Any, CustomDetector], ...] = ()
    head: Any = None


def load_models(config: PrivacyConfig | None = None, *, ocr: bool = True) -> PrivacyModels:
    """The bundled detector, classifier and scene head (loaded once per process and verified
    against the models manifest), the sign reader when `ocr`, and the config's custom YOLO
    detectors. Raises ModelError (one line) for a missing or corrupt file."""
    from cctv_guard import detection

    cfg = config or PrivacyConfig()
    shared = detection.load_models()
    custom = tuple((detection.YoloDetector.load(d.path, d.sha256), d) for d in cfg.detectors)
    return PrivacyModels(shared.ssd, shared.classifier, shared.signs if ocr else None, custom, _shared_head())


_HEAD: list = []


def _shared_head():
    """The shipped scene head, loaded once per process (ModelError when missing or corrupt)."""
    if not _HEAD:
        from cctv_guard.privacy.head import load_head

        _HEAD.append(load_head())
    return _HEAD[0]


# --- per-frame analysis -------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameCues:
    """What one frame showed: cues (boxes in frame pixels), people boxes (for blurring evidence),
    view quality, and whether the sign reader ran on it."""

    index: int
    t: float
    width: int
    height: int
    cues: tuple[Cue, ...]
    people: tuple[Box, ...]
    quality: ViewQuality
    ocr: bool
    # the scene head's input (head.scene_features: classifier and detector pooled features)
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)


def analyse_frame(
    image: np.ndarray,
    models: PrivacyModels,
    config: PrivacyConfig | None = None,
    *,
    ocr: bool | Callable[[ViewQuality], bool] = False,
    index: int = 0,
    t: float = 0.0,
    masks=None,
) -> FrameCues:
    """Run the models on one BGR frame (any size, greyscale/alpha/16-bit accepted) and collect its
    cues, boxes in frame pixels. `ocr` says whether to read signs (or decides from the view
    quality); `masks` (frame-pixel polygons) default to the config's. Frames wider than
    sampling.analysis_width are shrunk first."""
    cfg = config or PrivacyConfig()
    masks = cfg.masks if masks is None else masks
    img = as_bgr8(image)
    h, w = img.shape[:2]
    small, s = limit_size(img, cfg.sampling.analysis_width)
    smasks = scale_polygons(masks, s)
    quality = view_quality(small, cfg.quality, mask_array(small.shape[:2], smasks))
    if min(h, w) < cfg.quality.min_side:  # nothing a model says about a thumbnail counts
        return FrameCues(index, t, w, h, (), (), quality, False)
    work = mask_image(small, smasks)
    cues: list[Cue] = []
    people: list[Box] = []
    det_emb = cls_emb = None
    if models.detector is not None:
        rules = cfg.detector_rules()
        floor = min([r.min_score for r in rules.values()] + [0.3])
        if hasattr(models.detector, "infer"):
            dets, det_emb = models.detector.infer(work, min_score=floor)
        else:
            dets = models.detector.detect(work, min_score=floor)
        cues += cues_from_detections(dets, rules)
        people += [d.box for d in dets if d.label == "person"]
    if models.classifier is not None:
        probs, cls_emb = models.classifier.infer(work)
        cues += cues_from_classes(models.classifier.top(probs, top_k=10), cfg.classifier_rules())
    embedding = scene_features(cls_emb, det_emb)
    # the head has only seen real views: a flat, dark or blurred frame (or one masked out) says
    # nothing about the place
    if models.head is not None and quality.judgeable and embedding is not None:
        if not models.head.fits(embedding):
            raise ModelError(f"the scene head reads {models.head.width} features, the models give {embedding.shape[-1]}:"
                             " models/ is a mix of versions (restore it from git)")
        fus = cfg.fusion
        cues += cues_from_scene(dict([models.head.place(embedding)]), fus.scene_weight, fus.scene_min_score)
    for yolo, spec in models.custom:
        cues += cues_from_detections(yolo.detect(work, min_score=spec.min_score), spec.rules(), prefix="yolo")
    want_ocr = ocr(quality) if callable(ocr) else bool(ocr)
    did_ocr = bool(want_ocr and models.reader is not None)
    if did_ocr:
        cues += cues_from_text(models.reader.read(work), cfg.ocr.min_score)
    cues = [c if c.box is None else replace(c, box=_scale_box(c.box, 1 / s)) for c in cues]
    people = [_scale_box(b, 1 / s) for b in people]
    return FrameCues(index, t, w, h, tuple(apply_masks(cues, masks)), tuple(people), quality, did_ocr, embedding)


def read_signs(frame: FrameCues, image: np.ndarray, models: PrivacyModels, config: PrivacyConfig | None = None,
               masks=None) -> FrameCues:
    """The frame's cues plus those read off its signs (for frames analysed without OCR)."""
    cfg = config or PrivacyConfig()
    masks = cfg.masks if masks is None else masks
    if models.reader is None or frame.ocr or min(frame.width, frame.height) < cfg.quality.min_side:
        return frame
    small, s = limit_size(as_bgr8(image), cfg.sampling.analysis_width)
    work = mask_image(small, scale_polygons(masks, s))
    text = [c if c.box is None else replace(c, box=_scale_box(c.box, 1 / s))
            for c in cues_from_text(models.reader.read(work), cfg.ocr.min_score)]
    return replace(frame, cues=frame.cues + tuple(apply_masks(text, masks)), ocr=True)
