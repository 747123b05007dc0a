"""Fusion: the cues of one source's frames combined into findings that cite an Art. 9 clause.

1. Within a frame, cues of related zones (restroom + bathroom; hotel room + dormitory; ATM + bank
   counter) are summed per zone *family*, each cue label counted once, plus co-occurrence bonuses
   (toilet + sink, bed + pillow + quilt...). Weak cues (a lone "男" sign, a sink) count only when
   a non-weak cue of the same family is present; negative weights are counter-evidence.
2. Across the sampled frames of a video the per-frame evidence accumulates with a geometric decay
   (strongest frame + 0.5 × second + 0.25 × third...), so repeated sightings raise confidence,
   while one weak cue in one frame stays below the decision point.
3. Confidence = logistic(slope × (evidence − midpoint)), calibrated on the dev scenes
   (scripts/eval_privacy.py --fit); a family whose confidence reaches `threshold` is a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

from cctv_guard.legal.mapping import CATEGORY_CLAUSES, legal_fields
from cctv_guard.privacy.categories import category_for_zone
from cctv_guard.privacy.config import PrivacyConfig
from cctv_guard.privacy.cues import Cue, FrameCues
from cctv_guard.privacy.view import Box
from cctv_guard.privacy.zones import article_of, family_of


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
    """A privacy finding: `article` "9(1)"…"9(6)", the zone, the place `category`
    (`categories.CATEGORIES`: the scene head's strongest category of the zone, else the zone's
    usual one), a calibrated confidence, the cues, and where it was best seen (frame ordinal and
    seconds from the source start)."""

    article: str
    zone: str
    confidence: float
    cues: tuple[CueRef, ...]
    frame_index: int = 0
    t: float = 0.0
    evidence: float = 0.0
    kind: str = "privacy"
    category: str = ""

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "article": self.article,
            "zone": self.zone,
            "category": self.category or category_for_zone(self.zone),
            "confidence": round(float(self.confidence), 3),
            "cues": [c.to_json() for c in self.cues],
            **legal_fields(self.kind, zone=self.zone, article=self.article,  # docs/contracts.md
                           category=self.category or category_for_zone(self.zone)),
        }


def _cue_ref(c: Cue, frame: FrameCues | None) -> CueRef:
    box = c.box
    if box is None and frame is not None:  # whole-frame classifier label
        box = (0.0, 0.0, float(frame.width), float(frame.height))
    return CueRef(c.cue, c.score, box)


def _category(zone: str, cues: Sequence[Cue]) -> str:
    """The strongest scene-head category of the zone among the cues, else the zone's usual one."""
    for c in cues:
        if c.cue.startswith("scene:") and c.zone == zone:
            return c.cue.split(":", 1)[1]
    return category_for_zone(zone)


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
        ranked = sorted(best.values(), key=lambda p: -p[0].evidence)
        refs = tuple(_cue_ref(c, fr) for c, fr in ranked)
        category = _category(zone, [c for c, _ in ranked])
        # the category's Order 78 item when it has one (a restaurant's private dining room is 9(6),
        # a KTV room 9(1), both in zone private_room), else the zone's: one table, legal.mapping
        article = CATEGORY_CLAUSES[category][0] if category in CATEGORY_CLAUSES else article_of(zone)
        findings.append(Finding(article, zone, conf, refs, top_frame.index, top_frame.t, total, category=category))
    findings.sort(key=lambda f: (-f.confidence, f.article, f.zone))
    return findings
