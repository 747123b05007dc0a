"""The privacy scan's settings: how model labels become cues, how cues are fused, when a view is
too poor to judge, how videos are sampled, privacy masks and an operator's own detectors.

A `privacy.yaml` is read with the one config loader (`core.config.load_yaml_model`), so every
key is optional, unknown keys are errors, and a problem is reported as
``privacy.yaml:12: fusion.treshold: unknown key (did you mean 'threshold'?)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from cctv_guard.core.config import StrictModel, load_yaml_model, validate
from cctv_guard.core.errors import ConfigError
from cctv_guard.privacy.zones import ZONES


def _invalid(reason: str) -> PydanticCustomError:
    """A validation error whose message is `reason` as written (no "Value error, " prefix)."""
    return PydanticCustomError("invalid_value", "{reason}", {"reason": reason})


def _known_zone(zone: str) -> str:
    if zone not in ZONES:
        raise _invalid(f"unknown zone {zone!r}; expected one of {', '.join(ZONES)}")
    return zone


class CueRule(StrictModel):
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
    def _zone(cls, v: str) -> str:
        return _known_zone(v)


class Cooccurrence(StrictModel):
    """Extra evidence when all these cue labels appear in one frame (bonus × their lowest score)."""

    cues: tuple[str, ...] = Field(min_length=2)
    bonus: float = Field(ge=0.0, le=20.0)


class CustomDetector(StrictModel):
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
                raise _invalid(f"class {name!r}: unknown zone {rule!r}; expected one of {', '.join(ZONES)}")
        return v

    def rules(self) -> dict[str, CueRule]:
        return {
            name: (CueRule(zone=r, weight=4.0, min_score=self.min_score) if isinstance(r, str) else r)
            for name, r in self.classes.items()
        }


class QualityConfig(StrictModel):
    """When a view is too poor to judge (measured on a grey image at most 640 px wide)."""

    min_luma: float = Field(30.0, ge=0, le=255)  # mean grey level; below: too dark
    max_luma: float = Field(235.0, ge=0, le=255)  # above: washed out
    min_contrast: float = Field(12.0, ge=0)  # grey-level standard deviation; below: covered / flat
    min_sharpness: float = Field(20.0, ge=0)  # variance of the Laplacian; below: blurred
    min_side: int = Field(48, ge=1)  # pixels; smaller images cannot be judged


class OcrConfig(StrictModel):
    enabled: bool = True
    stills: Literal["always", "unless_prohibited", "never"] = "always"
    frames_per_source: int = Field(3, ge=0, le=50)  # videos: OCR only this many frames, spread in time
    min_score: float = Field(0.6, ge=0.0, le=1.0)  # text lines read with less confidence are ignored


class SamplingConfig(StrictModel):
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


class FusionConfig(StrictModel):
    # confidence = logistic(slope × (evidence − midpoint)): fitted on the dev scenes with
    # scripts/eval_privacy.py --fit (ridge-regularised; the dev set is separable, see docs/privacy.md)
    midpoint: float = 1.7
    slope: float = Field(1.9, gt=0)
    # confidence at which a family becomes a finding; 0.64 puts the decision at evidence 2.0:
    # one strong cue at a middling score (a toilet detected at 0.45, a bed at 0.5), never a weak one
    threshold: float = Field(0.64, gt=0.0, lt=1.0)
    frame_decay: float = Field(0.5, ge=0.0, lt=1.0)  # weight of the k-th best frame: decay**k
    dormitory_min_beds: int = Field(3, ge=2)  # this many beds in one frame: dormitory, not hotel room
    # the scene head's cue "scene:<category>" (the most likely prohibited category, scored by the
    # probability that the view shows any prohibited place): evidence = scene_weight × probability,
    # counted when the probability reaches scene_min_score; chosen on the grouped cross-validation
    # sweep (scripts/eval_scene_cv.py --sweep, docs/privacy.md): the most recall at ≤ 5 % false positives
    scene_weight: float = Field(3.5, ge=0.0)
    scene_min_score: float = Field(0.94, ge=0.0, le=1.0)
    cooccurrence: tuple[Cooccurrence, ...] = Field(default_factory=_default_cooccurrence)


class PrivacyConfig(StrictModel):
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
                raise _invalid(f"mask {i} has {len(poly)} points; a polygon needs at least 3")
            if Polygon(poly).area <= 0:
                raise _invalid(f"mask {i} encloses no area")
        return v

    def detector_rules(self) -> dict[str, CueRule]:
        return {**_default_detector_cues(), **self.detector}

    def classifier_rules(self) -> dict[str, CueRule]:
        return {**_default_classifier_cues(), **self.classifier}


def parse_config(data: Mapping[str, Any] | None, origin: str = "privacy config") -> PrivacyConfig:
    """Validate an already parsed config mapping (`origin` names it in errors); a bad key or
    value raises a one-line ConfigError naming its key path. Files: use `load_config`."""
    if data is None:
        return PrivacyConfig()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: expected a mapping of settings, found {type(data).__name__}")
    return validate(dict(data), PrivacyConfig, name=origin)


def load_config(path: str | os.PathLike) -> PrivacyConfig:
    """Read a privacy.yaml (errors name file, line and key). Custom detector paths are taken
    relative to the file's folder."""
    p = Path(path)
    cfg = load_yaml_model(p, PrivacyConfig)
    fixed = tuple(d if d.path.is_absolute() else d.model_copy(update={"path": p.parent / d.path}) for d in cfg.detectors)
    return cfg.model_copy(update={"detectors": fixed})
