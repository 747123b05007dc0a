"""The Art. 9 privacy scan: cues from detectors, classifiers and signs, fused into findings.

    from cctv_guard import privacy
    cfg = privacy.load_config("privacy.yaml")            # or privacy.PrivacyConfig()
    report = privacy.scan_paths(["shots/", "cam3.mp4"], config=cfg)
    report.to_json()                                     # scan@1 (DESIGN.md §3)

Modules, one per concept: `zones` (Art. 9 places and clauses), `categories` (the place categories the
scene head learns and their clauses), `head` (the scene head over classifier embeddings), `config` (privacy.yaml),
`view` (masks, view quality, view changes), `cues` (model outputs → cues, per-frame analysis),
`fusion` (cues → findings), `scan` (sources, sampling, results), `lexicon` (sign words).

Importing this package is cheap: the names below are loaded from their module on first use
(the scan pulls in OpenCV, pydantic and, when models load, onnxruntime).
"""

from __future__ import annotations

from cctv_guard.core.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "zones": ("ZONES", "FAMILY", "family_of", "article_of"),
    "config": ("CueRule", "Cooccurrence", "CustomDetector", "QualityConfig", "OcrConfig", "SamplingConfig",
               "FusionConfig", "PrivacyConfig", "parse_config", "load_config"),
    "view": ("Box", "ViewQuality", "view_quality", "in_masks", "mask_image", "mask_array", "thumbnail", "view_changed"),
    "cues": ("Cue", "cues_from_detections", "cues_from_classes", "cues_from_text", "cues_from_scene", "apply_masks", "PrivacyModels",
             "load_models", "FrameCues", "analyse_frame", "read_signs"),
    "categories": ("CATEGORIES", "Category", "zone_of", "category_for_zone"),
    "head": ("SceneHead", "load_head", "read_head", "head_from_arrays"),
    "fusion": ("FamilyEvidence", "fuse_frame", "confidence", "CueRef", "Finding", "fuse_frames"),
    "scan": ("SCHEMA", "Verdict", "ScanItem", "Skipped", "ScanReport", "verdict_of", "scan_frames", "check_hook",
             "scan_image", "scan_source", "expand_sources", "scan_paths"),
}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

