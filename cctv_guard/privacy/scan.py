"""Art. 9 privacy scan: cues from the detector, classifier, sign reader and custom detectors fused
into findings that cite the clause a camera's view breaks.

How a verdict comes about (DESIGN.md §1, issue 3):

1. Every frame yields *cues*. A cue names an Art. 9 zone and carries evidence = weight × score,
   in log-odds units: "detector:toilet" at 0.8 adds 4.0 × 0.8, "classifier:pillow" at 0.3 adds
   2.0 × 0.3, "ocr:卫生间" read at 0.95 adds 4.0 × 0.95. Weights come from the config (defaults
   below) and say how strongly the cue alone implies the zone.
2. Within a frame, cues of related zones (restroom + bathroom; hotel room + dormitory; ATM + bank
   counter) are summed per zone *family*, each cue label counted once, plus co-occurrence bonuses
   (toilet + sink, bed + pillow + quilt...). Weak cues (a lone "男" sign, a sink) count only when
   a non-weak cue of the same family is present.
3. Across the sampled frames of a video the per-frame evidence accumulates with a geometric decay
   (strongest frame + 0.5 × second + 0.25 × third...), so repeated sightings raise confidence,
   while one weak cue in one frame stays below the decision point.
4. Confidence = logistic(slope × (evidence − midpoint)), calibrated on the dev scenes
   (scripts/eval_privacy.py --fit); a family whose confidence reaches `threshold` is a finding.
5. Cues whose box lies in a declared privacy mask do not count (masked pixels are also greyed
   out before the classifier and sign reader see the frame). A view too dark, flat (covered) or
   blurred to judge makes the item `inconclusive` unless a finding was made anyway.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence

import cv2
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cctv_guard.privacy import lexicon
from cctv_guard.core.errors import ConfigError, SourceError

SCHEMA = "cctv-guard/scan@1"

# Art. 9 zones and the clause each one falls under.
ZONES: dict[str, str] = {
    "hotel_room": "9(1)",
    "private_room": "9(1)",
    "dormitory": "9(2)",
    "restroom": "9(3)",
    "bathroom": "9(3)",
    "changing_room": "9(3)",
    "nursing_room": "9(3)",
    "bank_counter": "9(4)",
    "atm_pinpad": "9(4)",
    "ballot": "9(5)",
    "other_private": "9(6)",
}

# Zones whose cues corroborate each other and yield one finding (the zone with most evidence).
FAMILY: dict[str, str] = {
    "restroom": "sanitary",
    "bathroom": "sanitary",
    "hotel_room": "sleeping",
    "dormitory": "sleeping",
    "bank_counter": "banking",
    "atm_pinpad": "banking",
}


def family_of(zone: str) -> str:
    return FAMILY.get(zone, zone)


def article_of(zone: str) -> str:
    return ZONES[zone]


# --- config -------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CueRule(_Strict):
    """How one model label becomes a cue: its zone, weight (evidence at score 1) and the lowest
    model score that counts. `weak` cues count only beside a non-weak cue of the same family.
    A negative weight is counter-evidence against the zone's family (a stove or a refrigerator
    says "kitchen", not "restroom"); it never makes a finding by itself."""

    zone: str
    weight: float = Field(ge=-20.0, le=20.0)
    min_score: float = Field(0.3, ge=0.0, le=1.0)
    weak: bool = False

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        if v not in ZONES:
            raise ValueError(f"unknown zone {v!r}; expected one of {', '.join(ZONES)}")
        return v


class Cooccurrence(_Strict):
    """Extra evidence when all these cue labels appear in one frame (bonus × their lowest score)."""

    cues: tuple[str, ...] = Field(min_length=2)
    bonus: float = Field(ge=0.0, le=20.0)


class CustomDetector(_Strict):
    """An operator's own ultralytics YOLO ONNX export, with its class names mapped to zones.
    A class maps to a zone name (weight 4.0) or to a full cue rule."""

    path: Path
    sha256: str | None = None
    min_score: float = Field(0.4, ge=0.0, le=1.0)
    classes: dict[str, CueRule | str] = Field(min_length=1)

    @field_validator("classes")
    @classmethod
    def _rules(cls, v: dict[str, CueRule | str]) -> dict[str, CueRule | str]:
        for name, rule in v.items():
            if isinstance(rule, str) and rule not in ZONES:
                raise ValueError(f"class {name!r}: unknown zone {rule!r}; expected one of {', '.join(ZONES)}")
        return v

    def rules(self) -> dict[str, CueRule]:
        return {
            name: (CueRule(zone=r, weight=4.0, min_score=self.min_score) if isinstance(r, str) else r)
            for name, r in self.classes.items()
        }


class QualityConfig(_Strict):
    """When a view is too poor to judge (measured on a grey image at most 640 px wide)."""

    min_luma: float = Field(30.0, ge=0, le=255)  # mean grey level; below: too dark
    max_luma: float = Field(235.0, ge=0, le=255)  # above: washed out
    min_contrast: float = Field(12.0, ge=0)  # grey-level standard deviation; below: covered / flat
    min_sharpness: float = Field(20.0, ge=0)  # variance of the Laplacian; below: blurred
    min_side: int = Field(48, ge=1)  # pixels; smaller images cannot be judged


class OcrConfig(_Strict):
    enabled: bool = True
    stills: Literal["always", "unless_prohibited", "never"] = "always"
    frames_per_source: int = Field(3, ge=0, le=50)  # videos: OCR only this many frames, spread in time
    min_score: float = Field(0.6, ge=0.0, le=1.0)  # text lines read with less confidence are ignored


class SamplingConfig(_Strict):
    """How videos are sampled: at most `max_frames` frames at least `min_interval_s` apart, and a
    frame is analysed only when its view differs from every view analysed before (the last 64):
    at least `change_threshold` of the pixels of 64-px-wide thumbnails differ by more than 25 grey
    levels."""

    max_frames: int = Field(48, ge=1, le=10000)
    min_interval_s: float = Field(2.0, gt=0)
    change_threshold: float = Field(0.2, ge=0.0, le=1.0)
    keyframes_only_after_s: float = Field(300.0, ge=0)  # longer videos decode keyframes only
    analysis_width: int = Field(1280, ge=64)  # larger frames are shrunk before analysis


def _default_detector_cues() -> dict[str, CueRule]:
    return {
        "toilet": CueRule(zone="restroom", weight=4.5, min_score=0.35),
        "sink": CueRule(zone="restroom", weight=1.5, min_score=0.35, weak=True),
        "bed": CueRule(zone="hotel_room", weight=4.0, min_score=0.35),
        "toothbrush": CueRule(zone="bathroom", weight=1.0, min_score=0.4, weak=True),
        "hair drier": CueRule(zone="bathroom", weight=1.0, min_score=0.4, weak=True),
        # kitchens have sinks too
        "oven": CueRule(zone="restroom", weight=-2.0, min_score=0.4),
        "microwave": CueRule(zone="restroom", weight=-1.5, min_score=0.4),
        "refrigerator": CueRule(zone="restroom", weight=-2.0, min_score=0.4),
    }


def _default_classifier_cues() -> dict[str, CueRule]:
    return {
        "toilet seat": CueRule(zone="restroom", weight=6.0, min_score=0.05),
        "toilet tissue": CueRule(zone="restroom", weight=4.0, min_score=0.05),
        "washbasin": CueRule(zone="restroom", weight=4.0, min_score=0.05),
        "plunger": CueRule(zone="restroom", weight=2.0, min_score=0.05, weak=True),
        "paper towel": CueRule(zone="restroom", weight=2.0, min_score=0.05, weak=True),
        "soap dispenser": CueRule(zone="restroom", weight=3.0, min_score=0.05, weak=True),
        "bathtub": CueRule(zone="bathroom", weight=6.0, min_score=0.05),
        "tub": CueRule(zone="bathroom", weight=3.0, min_score=0.05),
        "shower curtain": CueRule(zone="bathroom", weight=6.0, min_score=0.05),
        "shower cap": CueRule(zone="bathroom", weight=2.0, min_score=0.05, weak=True),
        "bath towel": CueRule(zone="bathroom", weight=3.0, min_score=0.05, weak=True),
        "medicine chest": CueRule(zone="bathroom", weight=3.0, min_score=0.05),
        "four-poster": CueRule(zone="hotel_room", weight=6.0, min_score=0.05),
        "quilt": CueRule(zone="hotel_room", weight=5.0, min_score=0.05),
        "pillow": CueRule(zone="hotel_room", weight=4.0, min_score=0.05),
        "studio couch": CueRule(zone="hotel_room", weight=3.0, min_score=0.05),
        "wardrobe": CueRule(zone="hotel_room", weight=2.0, min_score=0.05, weak=True),
        "cradle": CueRule(zone="nursing_room", weight=3.0, min_score=0.05, weak=True),
        "crib": CueRule(zone="nursing_room", weight=3.0, min_score=0.05, weak=True),
        "bassinet": CueRule(zone="nursing_room", weight=3.0, min_score=0.05, weak=True),
        "cash machine": CueRule(zone="atm_pinpad", weight=6.0, min_score=0.05),
        # counter-evidence: a kitchen or a restaurant, not a restroom
        "dishwasher": CueRule(zone="restroom", weight=-3.0, min_score=0.1),
        "stove": CueRule(zone="restroom", weight=-3.0, min_score=0.1),
        "refrigerator": CueRule(zone="restroom", weight=-3.0, min_score=0.1),
        "microwave": CueRule(zone="restroom", weight=-3.0, min_score=0.1),
        "restaurant": CueRule(zone="restroom", weight=-3.0, min_score=0.1),
    }


def _default_cooccurrence() -> tuple[Cooccurrence, ...]:
    return (
        Cooccurrence(cues=("detector:toilet", "detector:sink"), bonus=1.5),
        Cooccurrence(cues=("detector:sink", "classifier:washbasin"), bonus=1.0),
        Cooccurrence(cues=("detector:bed", "classifier:pillow"), bonus=1.0),
        Cooccurrence(cues=("detector:bed", "classifier:quilt"), bonus=1.0),
        Cooccurrence(cues=("classifier:pillow", "classifier:quilt"), bonus=1.0),
    )


class FusionConfig(_Strict):
    # confidence = logistic(slope × (evidence − midpoint)): fitted on the dev scenes with
    # scripts/eval_privacy.py --fit (ridge-regularised; the dev set is separable, see docs/privacy.md)
    midpoint: float = 1.7
    slope: float = Field(1.9, gt=0)
    # confidence at which a family becomes a finding; 0.64 puts the decision at evidence 2.0:
    # one strong cue at a middling score (a toilet detected at 0.45, a bed at 0.5), never a weak one
    threshold: float = Field(0.64, gt=0.0, lt=1.0)
    frame_decay: float = Field(0.5, ge=0.0, lt=1.0)  # weight of the k-th best frame: decay**k
    dormitory_min_beds: int = Field(3, ge=2)  # this many beds in one frame: dormitory, not hotel room
    cooccurrence: tuple[Cooccurrence, ...] = Field(default_factory=_default_cooccurrence)


class PrivacyConfig(_Strict):
    """The privacy scan's settings (a `privacy.yaml`; every key optional; unknown keys are errors)."""

    fusion: FusionConfig = Field(default_factory=FusionConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    ocr: OcrConfig = Field(default_factory=OcrConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    detector: dict[str, CueRule] = Field(default_factory=dict)  # COCO labels; merged over the defaults
    classifier: dict[str, CueRule] = Field(default_factory=dict)  # ImageNet labels; merged over the defaults
    detectors: tuple[CustomDetector, ...] = ()
    masks: tuple[tuple[tuple[float, float], ...], ...] = ()  # polygons in frame pixels

    @field_validator("masks")
    @classmethod
    def _polygons(cls, v):
        from shapely.geometry import Polygon

        for i, poly in enumerate(v):
            if len(poly) < 3:
                raise ValueError(f"mask {i} has {len(poly)} points; a polygon needs at least 3")
            if Polygon(poly).area <= 0:
                raise ValueError(f"mask {i} encloses no area")
        return v

    def detector_rules(self) -> dict[str, CueRule]:
        return {**_default_detector_cues(), **self.detector}

    def classifier_rules(self) -> dict[str, CueRule]:
        return {**_default_classifier_cues(), **self.classifier}


def _error_line(exc: ValidationError, origin: str) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        msg = f"unknown key '{loc}'"
    else:
        msg = f"{loc}: {first['msg'].removeprefix('Value error, ')}"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{origin}: {msg}{more}"


def parse_config(data: Mapping[str, Any] | None, origin: str = "privacy config") -> PrivacyConfig:
    """Validate a config mapping; a bad key or value raises ConfigError naming its path."""
    if data is None:
        return PrivacyConfig()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: expected a mapping of settings, found {type(data).__name__}")
    try:
        return PrivacyConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_error_line(exc, origin)) from None


def load_config(path: str | os.PathLike) -> PrivacyConfig:
    """Read a privacy.yaml. Custom detector paths are taken relative to the file's folder."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{p}: not valid YAML{where}") from None
    cfg = parse_config(data if data is not None else {}, str(p))
    fixed = tuple(d if d.path.is_absolute() else d.model_copy(update={"path": p.parent / d.path}) for d in cfg.detectors)
    return cfg.model_copy(update={"detectors": fixed})


# --- cues ---------------------------------------------------------------------------------------

Box = tuple[float, float, float, float]


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


# --- masks --------------------------------------------------------------------------------------


def in_masks(box: Box, masks: Sequence[Sequence[tuple[float, float]]], min_overlap: float = 0.5) -> bool:
    """True when the box's centre lies in a mask or at least `min_overlap` of its area does."""
    if not masks:
        return False
    from shapely.geometry import Point, Polygon, box as sbox
    from shapely.ops import unary_union

    union = unary_union([Polygon(m).buffer(0) for m in masks])
    x1, y1, x2, y2 = box
    if union.contains(Point((x1 + x2) / 2, (y1 + y2) / 2)):
        return True
    b = sbox(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return b.area > 0 and union.intersection(b).area >= min_overlap * b.area


def apply_masks(cues: Iterable[Cue], masks) -> list[Cue]:
    """The cues that do not lie in a privacy mask (whole-frame cues are kept: the classifier is
    run on the frame with masked pixels greyed out)."""
    return [c for c in cues if c.box is None or not in_masks(c.box, masks)]


def mask_image(image: np.ndarray, masks, fill: int = 114) -> np.ndarray:
    """A copy of the image with the masked polygons painted flat grey."""
    if not masks:
        return image
    out = image.copy()
    polys = [np.round(np.asarray(m, dtype=np.float64)).astype(np.int32) for m in masks]
    cv2.fillPoly(out, polys, (fill, fill, fill))
    return out


def mask_array(shape: tuple[int, int], masks) -> np.ndarray | None:
    """Boolean (H, W) array, True where pixels are masked; None without masks."""
    if not masks:
        return None
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(np.asarray(p, dtype=np.float64)).astype(np.int32) for p in masks], 1)
    return m.astype(bool)


# --- view quality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewQuality:
    luma: float
    contrast: float
    sharpness: float
    judgeable: bool
    reason: str | None  # why it cannot be judged: "too dark", "washed out", "covered", "blurred", "too small"


def view_quality(image: np.ndarray, config: QualityConfig | None = None, masked: np.ndarray | None = None) -> ViewQuality:
    """Simple statistics of the (unmasked part of the) view: mean grey level, its standard
    deviation and the variance of the Laplacian, on a copy at most 640 px wide."""
    q = config or QualityConfig()
    h, w = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if max(h, w) > 640:
        s = 640 / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if masked is not None:
            masked = cv2.resize(masked.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    keep = ~masked if masked is not None else np.ones(grey.shape, bool)
    if not keep.any():
        return ViewQuality(0.0, 0.0, 0.0, False, "fully masked")
    vals = grey[keep].astype(np.float32)
    luma, contrast = float(vals.mean()), float(vals.std())
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    sharp = float(lap[keep].var())
    reason = None
    if min(h, w) < q.min_side:
        reason = "too small"
    elif luma < q.min_luma:
        reason = "too dark"
    elif luma > q.max_luma:
        reason = "washed out"
    elif contrast < q.min_contrast:
        reason = "covered"
    elif sharp < q.min_sharpness:
        reason = "blurred"
    return ViewQuality(luma, contrast, sharp, reason is None, reason)


# --- models -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyModels:
    """The models a scan runs; any may be None (that source of cues is then skipped).
    `custom` pairs each loaded YOLO detector with its config entry."""

    detector: Any = None
    classifier: Any = None
    reader: Any = None
    custom: tuple[tuple[Any, CustomDetector], ...] = ()


def load_models(config: PrivacyConfig | None = None, *, ocr: bool = True) -> PrivacyModels:
    """The bundled detector and classifier (loaded once per process and verified against the
    models manifest), the sign reader when `ocr`, and the config's custom YOLO detectors.
    Raises ModelError (one line) for a missing or corrupt file."""
    from cctv_guard import detection

    cfg = config or PrivacyConfig()
    shared = detection.load_models()
    custom = tuple((detection.YoloDetector.load(d.path, d.sha256), d) for d in cfg.detectors)
    return PrivacyModels(shared.ssd, shared.classifier, shared.signs if ocr else None, custom)


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
    from cctv_guard.detection.image import as_bgr8, limit_size

    cfg = config or PrivacyConfig()
    masks = cfg.masks if masks is None else masks
    img = as_bgr8(image)
    h, w = img.shape[:2]
    small, s = limit_size(img, cfg.sampling.analysis_width)
    smasks = tuple(tuple((x * s, y * s) for x, y in m) for m in masks)
    quality = view_quality(small, cfg.quality, mask_array(small.shape[:2], smasks))
    if min(h, w) < cfg.quality.min_side:  # nothing a model says about a thumbnail counts
        return FrameCues(index, t, w, h, (), (), quality, False)
    work = mask_image(small, smasks)
    cues: list[Cue] = []
    people: list[Box] = []
    if models.detector is not None:
        rules = cfg.detector_rules()
        floor = min([r.min_score for r in rules.values()] + [0.3])
        dets = models.detector.detect(work, min_score=floor)
        cues += cues_from_detections(dets, rules)
        people += [d.box for d in dets if d.label == "person"]
    if models.classifier is not None:
        cues += cues_from_classes(models.classifier.classify(work, top_k=10), cfg.classifier_rules())
    for yolo, spec in models.custom:
        cues += cues_from_detections(yolo.detect(work, min_score=spec.min_score), spec.rules(), prefix="yolo")
    want_ocr = ocr(quality) if callable(ocr) else bool(ocr)
    did_ocr = bool(want_ocr and models.reader is not None)
    if did_ocr:
        cues += cues_from_text(models.reader.read(work), cfg.ocr.min_score)
    cues = [c if c.box is None else replace(c, box=_scale_box(c.box, 1 / s)) for c in cues]
    people = [_scale_box(b, 1 / s) for b in people]
    return FrameCues(index, t, w, h, tuple(apply_masks(cues, masks)), tuple(people), quality, did_ocr)


def read_signs(frame: FrameCues, image: np.ndarray, models: PrivacyModels, config: PrivacyConfig | None = None,
               masks=None) -> FrameCues:
    """The frame's cues plus those read off its signs (for frames analysed without OCR)."""
    from cctv_guard.detection.image import as_bgr8, limit_size

    cfg = config or PrivacyConfig()
    masks = cfg.masks if masks is None else masks
    if models.reader is None or frame.ocr or min(frame.width, frame.height) < cfg.quality.min_side:
        return frame
    small, s = limit_size(as_bgr8(image), cfg.sampling.analysis_width)
    work = mask_image(small, tuple(tuple((x * s, y * s) for x, y in m) for m in masks))
    text = [c if c.box is None else replace(c, box=_scale_box(c.box, 1 / s))
            for c in cues_from_text(models.reader.read(work), cfg.ocr.min_score)]
    return replace(frame, cues=frame.cues + tuple(apply_masks(text, masks)), ocr=True)


def _scale_box(box: Box, k: float) -> Box:
    if k == 1.0:
        return box
    return (box[0] * k, box[1] * k, box[2] * k, box[3] * k)


# --- fusion -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyEvidence:
    family: str
    evidence: float
    zone: str  # the family's zone with most evidence
    cues: tuple[Cue, ...]  # the counted cues, strongest first


def fuse_frame(cues: Sequence[Cue], config: PrivacyConfig | None = None) -> dict[str, FamilyEvidence]:
    """Evidence per zone family in one frame (see the module docstring)."""
    fcfg = (config or PrivacyConfig()).fusion
    beds = sum(1 for c in cues if c.cue == "detector:bed")
    by_family: dict[str, dict[str, Cue]] = {}
    for c in cues:
        if c.cue == "detector:bed" and beds >= fcfg.dormitory_min_beds and c.zone == "hotel_room":
            c = replace(c, zone="dormitory")
        best = by_family.setdefault(family_of(c.zone), {})
        if c.cue not in best or c.score > best[c.cue].score:
            best[c.cue] = c
    out = {}
    for fam, cues_by_name in by_family.items():
        best = {k: c for k, c in cues_by_name.items() if c.weight > 0}
        against = sum(c.evidence for c in cues_by_name.values() if c.weight < 0)
        if all(c.weak for c in best.values()):  # also: no positive cue at all
            continue
        counted = sorted(best.values(), key=lambda c: -c.evidence)
        zone_ev: dict[str, float] = {}
        for c in counted:
            zone_ev[c.zone] = zone_ev.get(c.zone, 0.0) + c.evidence
        total = sum(zone_ev.values())
        for co in fcfg.cooccurrence:
            if all(name in best for name in co.cues):
                total += co.bonus * min(best[name].score for name in co.cues)
        zone = max(zone_ev, key=lambda z: (zone_ev[z], z))
        out[fam] = FamilyEvidence(fam, max(0.0, total + against), zone, tuple(counted))
    return out


def confidence(evidence: float, config: PrivacyConfig | None = None) -> float:
    """Calibrated probability that the view shows the zone: logistic(slope × (evidence − midpoint))."""
    f = (config or PrivacyConfig()).fusion
    return 1.0 / (1.0 + math.exp(-f.slope * (evidence - f.midpoint)))


@dataclass(frozen=True)
class CueRef:
    """A cue as reported: DESIGN.md §3 {"cue", "score", "box"}."""

    cue: str
    score: float
    box: Box | None

    def to_json(self) -> dict:
        return {
            "cue": self.cue,
            "score": round(float(self.score), 3),
            "box": None if self.box is None else [round(float(v), 1) for v in self.box],
        }


@dataclass(frozen=True)
class Finding:
    """A privacy finding: `article` "9(1)"…"9(6)", the zone, a calibrated confidence, the cues,
    and where it was best seen (frame ordinal and seconds from the source start)."""

    article: str
    zone: str
    confidence: float
    cues: tuple[CueRef, ...]
    frame_index: int = 0
    t: float = 0.0
    evidence: float = 0.0
    kind: str = "privacy"

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "article": self.article,
            "zone": self.zone,
            "confidence": round(float(self.confidence), 3),
            "cues": [c.to_json() for c in self.cues],
        }


def _cue_ref(c: Cue, frame: FrameCues | None) -> CueRef:
    box = c.box
    if box is None and frame is not None:  # whole-frame classifier label
        box = (0.0, 0.0, float(frame.width), float(frame.height))
    return CueRef(c.cue, c.score, box)


def fuse_frames(frames: Sequence[FrameCues], config: PrivacyConfig | None = None) -> list[Finding]:
    """Findings over all analysed frames of one source, strongest first.

    Per family, the per-frame evidence is sorted and accumulated as e1 + d·e2 + d²·e3 + ...
    (d = fusion.frame_decay); the zone is the one with most evidence summed over frames; the cues
    reported are each label's best sighting."""
    cfg = config or PrivacyConfig()
    per_family: dict[str, list[tuple[FamilyEvidence, FrameCues]]] = {}
    for fr in frames:
        for fam, ev in fuse_frame(fr.cues, cfg).items():
            per_family.setdefault(fam, []).append((ev, fr))
    findings = []
    for fam, seen in per_family.items():
        seen.sort(key=lambda p: -p[0].evidence)
        d = cfg.fusion.frame_decay
        total = sum(ev.evidence * d**k for k, (ev, _) in enumerate(seen))
        conf = confidence(total, cfg)
        if conf < cfg.fusion.threshold:
            continue
        zone_ev: dict[str, float] = {}
        best: dict[str, tuple[Cue, FrameCues]] = {}
        for ev, fr in seen:
            zone_ev[ev.zone] = zone_ev.get(ev.zone, 0.0) + ev.evidence
            for c in ev.cues:
                if c.cue not in best or c.evidence > best[c.cue][0].evidence:
                    best[c.cue] = (c, fr)
        zone = max(zone_ev, key=lambda z: (zone_ev[z], z))
        top_frame = seen[0][1]
        refs = tuple(_cue_ref(c, fr) for c, fr in sorted(best.values(), key=lambda p: -p[0].evidence))
        findings.append(Finding(article_of(zone), zone, conf, refs, top_frame.index, top_frame.t, total))
    findings.sort(key=lambda f: (-f.confidence, f.article, f.zone))
    return findings


# --- results ------------------------------------------------------------------------------------

Verdict = Literal["prohibited", "clear", "inconclusive"]


@dataclass(frozen=True)
class ScanItem:
    """The result for one image or video. `reason` says why it is inconclusive; `frames_analyzed`
    how many frames the models saw; `evidence` the snapshot files written for it."""

    source: str
    verdict: Verdict
    findings: tuple[Finding, ...]
    frames_analyzed: int = 0
    reason: str | None = None
    evidence: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"source": self.source, "verdict": self.verdict, "findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass(frozen=True)
class ScanReport:
    """All items of one scan, plus the inputs that could not be read (counted, not items)."""

    items: tuple[ScanItem, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def prohibited(self) -> int:
        return sum(1 for i in self.items if i.verdict == "prohibited")

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "items": [i.to_json() for i in self.items]}


def verdict_of(findings: Sequence[Finding], frames: Sequence[FrameCues]) -> tuple[Verdict, str | None]:
    """prohibited when there are findings; inconclusive when no analysed frame could be judged;
    otherwise clear."""
    if findings:
        return "prohibited", None
    if not frames:
        return "inconclusive", "no frames analysed"
    if not any(f.quality.judgeable for f in frames):
        reasons = sorted({f.quality.reason or "" for f in frames})
        return "inconclusive", "view " + "/".join(r for r in reasons if r)
    return "clear", None


# --- scanning -----------------------------------------------------------------------------------

Progress = Callable[[float], None]  # fraction of the current source done, 0..1


def _thumb(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    tw = 64
    th = max(1, round(h * tw / max(w, 1)))
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, (tw, th), interpolation=cv2.INTER_AREA).astype(np.float32)


def view_changed(previous: np.ndarray | None, current: np.ndarray, threshold: float) -> bool:
    """True when at least `threshold` (a fraction) of two thumbnails' pixels (from `_thumb`)
    differ by more than 25 grey levels: a new scene, a pan or a lighting change, not people
    walking through a fixed view. Always true for the first frame or a change of shape."""
    if previous is None or previous.shape != current.shape:
        return True
    return float((np.abs(previous - current) > 25.0).mean()) >= threshold


class _OcrPlan:
    """Reads signs on at most `n` judgeable frames, spread over the source's duration (the first
    judgeable frame at or after each of n evenly spaced times; the first n when it is unknown)."""

    def __init__(self, n: int, duration: float | None) -> None:
        self.n, self.done = n, 0
        self.targets = [duration * k / n for k in range(n)] if (duration and n) else None
        self.t = 0.0

    def __call__(self, quality: ViewQuality) -> bool:
        if self.done >= self.n or not quality.judgeable:
            return False
        if self.targets is not None and self.t < self.targets[self.done] - 1e-6:
            return False
        self.done += 1
        return True


@dataclass(frozen=True)
class _Analysis:
    frames: tuple[FrameCues, ...]
    images: dict[int, np.ndarray] = field(default_factory=dict)  # frame index → image (evidence)


def _analyse_stream(
    frames: Iterable,
    models: PrivacyModels,
    cfg: PrivacyConfig,
    *,
    ocr: bool,
    duration: float | None,
    keep_images: bool = False,
    progress: Progress | None = None,
    masks=None,
    mask_size: tuple[int, int] | None = None,
) -> _Analysis:
    """Analyse frames whose view differs from every view analysed so far; OCR a few of them."""
    plan = _OcrPlan(cfg.ocr.frames_per_source if (ocr and cfg.ocr.enabled) else 0, duration)
    analysed: list[FrameCues] = []
    images: dict[int, np.ndarray] = {}
    best_ev: dict[str, tuple[float, int]] = {}
    seen: list[np.ndarray] = []  # thumbnails of the views analysed so far
    for fr in frames:
        thumb = _thumb(fr.image)
        # skip a view already analysed: the same fixed view, or a preset the camera returns to
        if any(not view_changed(old, thumb, cfg.sampling.change_threshold) for old in seen[-64:]):
            continue
        seen.append(thumb)
        plan.t = fr.t
        fmasks = _masks_for(fr.image, masks, mask_size)
        fc = analyse_frame(fr.image, models, cfg, ocr=plan, index=fr.index, t=fr.t, masks=fmasks)
        analysed.append(fc)
        if keep_images:  # keep the best frame of each family for its snapshot
            for fam, ev in fuse_frame(fc.cues, cfg).items():
                if ev.evidence > best_ev.get(fam, (-1.0, -1))[0]:
                    best_ev[fam] = (ev.evidence, fc.index)
                    images[fc.index] = fr.image
            wanted = {i for _, i in best_ev.values()}
            images = {i: im for i, im in images.items() if i in wanted}
        if progress is not None and duration:
            progress(min(1.0, fr.t / duration))
    return _Analysis(tuple(analysed), images)


def _masks_for(image: np.ndarray, masks, mask_size: tuple[int, int] | None):
    """Masks in the pixels of `image`: scaled from `mask_size` (w, h) when given."""
    if not masks or mask_size is None:
        return masks
    h, w = image.shape[:2]
    sx, sy = w / mask_size[0], h / mask_size[1]
    if (sx, sy) == (1.0, 1.0):
        return masks
    return tuple(tuple((x * sx, y * sy) for x, y in m) for m in masks)


def scan_frames(
    frames: Sequence,
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    masks=None,
    mask_size: tuple[int, int] | None = None,
) -> list[Finding]:
    """Privacy findings over already decoded frames (objects with .image, .t, .index) — what
    `check` calls on its sampled frames. Unchanged views are skipped; OCR runs on a few frames.
    `masks` are polygons in frame pixels, or in a frame of `mask_size` (w, h) when the frames
    were downscaled (a baseline's privacy zones); they default to the config's."""
    cfg = config or PrivacyConfig()
    if not frames:
        return []
    models = models or load_models(cfg, ocr=ocr and cfg.ocr.enabled)
    duration = frames[-1].t - frames[0].t if len(frames) > 1 else None
    analysis = _analyse_stream(frames, models, cfg, ocr=ocr, duration=duration, masks=masks, mask_size=mask_size)
    return fuse_frames(analysis.frames, cfg)


def check_hook(baseline=None, *, config: PrivacyConfig | None = None, models: PrivacyModels | None = None,
               ocr: bool = True) -> Callable[[Sequence], list[dict]]:
    """The `privacy_fn` that `check`, `audit` and `watch` hand their frames to: findings as
    check@1 dicts, with the baseline's privacy* zones as masks (in the baseline's frame size).
    Models load on first use and are shared by every hook in the process."""
    masks = tuple(baseline.privacy_masks.values()) if baseline is not None else ()
    size = baseline.frame_size if baseline is not None else None

    def run(frames: Sequence) -> list[dict]:
        use = models or load_models(config, ocr=ocr)
        found = scan_frames(frames, config=config, models=use, ocr=ocr, masks=masks or None, mask_size=size)
        return [f.to_json() for f in found]

    return run


def _item(source: str, analysis: _Analysis, cfg: PrivacyConfig) -> ScanItem:
    findings = fuse_frames(analysis.frames, cfg)
    verdict, reason = verdict_of(findings, analysis.frames)
    return ScanItem(source, verdict, tuple(findings), len(analysis.frames), reason)


def scan_image(
    image_bgr: np.ndarray,
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    source: str = "<image>",
    masks=None,
) -> ScanItem:
    """Scan one still image. Signs are read according to ocr.stills ("always" by default;
    "unless_prohibited" skips the sign reader when the detector and classifier already decided)."""
    return _scan_still(image_bgr, config=config, models=models, ocr=ocr, source=source, masks=masks)[0]


def _scan_still(image_bgr, *, config, models, ocr, source, masks) -> tuple[ScanItem, _Analysis]:
    cfg = config or PrivacyConfig()
    policy = cfg.ocr.stills if (ocr and cfg.ocr.enabled) else "never"
    models = models or load_models(cfg, ocr=policy != "never")
    fc = analyse_frame(image_bgr, models, cfg, ocr=policy == "always", masks=masks)
    if policy == "unless_prohibited" and not fuse_frames([fc], cfg):
        fc = read_signs(fc, image_bgr, models, cfg, masks)
    analysis = _Analysis((fc,), {fc.index: image_bgr})
    return _item(source, analysis, cfg), analysis


def _video_frames(src, cfg: PrivacyConfig) -> Iterator:
    """The frames a video scan looks at. Short files: decoded in order, one frame per
    max(min_interval_s, duration / max_frames). Files longer than keyframes_only_after_s: one
    seek per sample time to the next keyframe, so an hour of footage costs `max_frames` keyframe
    decodes. Streams (and files of unknown length): one frame per min_interval_s, `max_frames`
    of them."""
    s = cfg.sampling
    d = src.info.duration_s
    if src.info.kind == "stream" or not d:
        yield from itertools.islice(src.frames(every=s.min_interval_s), s.max_frames)
        return
    every = max(s.min_interval_s, d / s.max_frames)
    if d <= s.keyframes_only_after_s:
        yield from src.frames(every=every)
        return
    last_t = -1.0
    for k in range(s.max_frames):
        it = src.frames(start=k * every, keyframes_only=True)
        try:
            fr = next(it, None)
        finally:
            it.close()
        if fr is None:
            break
        if fr.t <= last_t + 1e-6:  # sparse keyframes: this one was already seen
            continue
        last_t = fr.t
        yield replace(fr, index=k)


def scan_source(
    uri: str | os.PathLike,
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    progress: Progress | None = None,
    masks=None,
) -> ScanItem:
    """Scan one image file, one folder of snapshots from a camera (all its images as one
    sequence), a video file or a stream. Raises SourceError when it cannot be opened."""
    return _scan_source(uri, config=config, models=models, ocr=ocr, progress=progress, masks=masks)[0]


def _scan_source(uri, *, config, models, ocr, progress, masks, keep_images=False) -> tuple[ScanItem, _Analysis]:
    from cctv_guard.media.sources import IMAGE_SUFFIXES, open_source, read_image

    cfg = config or PrivacyConfig()
    path = Path(str(uri))
    if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
        return _scan_still(read_image(path), config=cfg, models=models, ocr=ocr, source=str(uri), masks=masks)
    models = models or load_models(cfg, ocr=ocr and cfg.ocr.enabled)
    with open_source(uri) as src:
        if src.info.kind in ("image", "images"):
            frames = src.frames()
            duration = src.info.duration_s
        else:
            frames = _video_frames(src, cfg)
            duration = src.info.duration_s
        analysis = _analyse_stream(frames, models, cfg, ocr=ocr, duration=duration, keep_images=keep_images,
                                   progress=progress, masks=masks)
        source = src.info.uri
    return _item(source, analysis, cfg), analysis


def expand_sources(sources: Sequence[str | os.PathLike]) -> tuple[list[str], list[Skipped]]:
    """Files to scan: folders are searched recursively for images and videos (natural order);
    files and stream URLs are kept as given. Missing paths and empty folders become skips."""
    from cctv_guard.media.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES, natural_key, is_stream_uri

    files: list[str] = []
    skipped: list[Skipped] = []
    for s in sources:
        text = str(s)
        if is_stream_uri(text):
            files.append(text)
            continue
        p = Path(text)
        if p.is_dir():
            found = sorted(
                (q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES),
                key=natural_key,
            )
            if not found:
                skipped.append(Skipped(text, "folder holds no images or videos"))
            files += [str(q) for q in found]
        elif p.exists():
            files.append(text)
        else:
            skipped.append(Skipped(text, "no such file or folder"))
    return files, skipped


def scan_paths(
    sources: Sequence[str | os.PathLike],
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    evidence_dir: str | os.PathLike | None = None,
    blur_people: bool = True,
    on_item: Callable[[int, int, str], None] | None = None,
    progress: Progress | None = None,
) -> ScanReport:
    """Scan images, folders (recursively: one item per image or video) and videos. Inputs that
    cannot be read are counted as skipped, not raised. With `evidence_dir`, an annotated snapshot
    (people blurred unless `blur_people` is False) is written for each finding.
    `on_item(done, total, source)` is called before each file."""
    cfg = config or PrivacyConfig()
    files, skipped = expand_sources(sources)
    items: list[ScanItem] = []
    if files and models is None:
        models = load_models(cfg, ocr=ocr and cfg.ocr.enabled)
    for i, f in enumerate(files):
        if on_item is not None:
            on_item(i, len(files), f)
        try:
            item, analysis = _scan_source(f, config=cfg, models=models, ocr=ocr, progress=progress, masks=None,
                                          keep_images=evidence_dir is not None)
        except SourceError as exc:
            skipped.append(Skipped(f, str(exc)))
            continue
        if evidence_dir is not None and item.findings:
            from cctv_guard.media.evidence import write_findings

            by_index = {fc.index: fc for fc in analysis.frames}
            paths = write_findings(Path(evidence_dir), item.source, item.findings, analysis.images, by_index,
                                   blur_people=blur_people)
            item = replace(item, evidence=tuple(paths))
        items.append(item)
    if on_item is not None:
        on_item(len(files), len(files), "")
    return ScanReport(tuple(items), tuple(skipped))
