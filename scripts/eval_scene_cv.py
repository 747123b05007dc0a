#!/usr/bin/env python3
"""Honest evaluation of the Art. 9 scan with the scene head: grouped k-fold by source.

    python scripts/eval_scene_cv.py --root /work/data --dev ../shared/data/dev/scenes
    python scripts/eval_scene_cv.py --sweep          # also the scene_weight / scene_min_score grid

Every photo of datasets/privacy_photos/manifest_*.tsv is scored by a head trained without any
photo of its source repository (`source_group`; sklearn GroupKFold, k folds). The decision is the
shipped fusion (object + classifier cues + the head's `scene:` cues, no OCR) at the config's
threshold. Reported per category: recall on the photos (view 0) and on one CCTV-like view of
each (high angle, wide lens, low resolution, IR grey, noise; never a training view of the same
photo), and the false-positive rate on allowed scenes. The dev scenes are one more test fold: a
head trained on the whole corpus scores them; they are never used for training or tuning.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_corpus import frame_features, load_dev_rows, load_rows
from train_scene_head import DEFAULT_C, DEFAULT_VIEWS, fit_head, training_set

from cctv_guard.privacy.config import PrivacyConfig
from cctv_guard.privacy.cues import cues_from_scene
from cctv_guard.privacy.fusion import fuse_frames

ALLOWED = "allowed"
EVAL_VIEWS = (0, 1)  # the photo, and its first CCTV-like view


def decide(frame, probs: dict | None, cfg: PrivacyConfig) -> tuple[bool, str | None]:
    """(flagged, category of the strongest finding) for one analysed view, as the scan decides."""
    cues = frame.cues
    if probs is not None and frame.quality.judgeable:
        cues = cues + tuple(cues_from_scene(probs, cfg.fusion.scene_weight, cfg.fusion.scene_min_score))
    findings = fuse_frames([replace(frame, cues=cues)], cfg)
    return bool(findings), (findings[0].category if findings else None)


def out_of_fold(rows, feats, k: int, views: int, c: float) -> list[dict[int, dict]]:
    """[row] → {view: head probabilities} from heads that never saw the row's source."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([r.group for r in rows])
    probs: list[dict[int, dict]] = [{} for _ in rows]
    for fold, (train, test) in enumerate(GroupKFold(n_splits=k).split(np.zeros(len(rows)), groups=groups)):
        tr_rows = [rows[i] for i in train]
        x, y, _ = training_set(tr_rows, [feats[i] for i in train], views)
        head = fit_head(x, y, c)
        for i in test:
            for v in EVAL_VIEWS:
                probs[i][v] = dict([head.place(feats[i][v].embedding)])
        print(f"  fold {fold + 1}/{k}: {len(test)} test photos from {len(set(groups[test]))} sources", file=sys.stderr)
    return probs


def score(rows, feats, probs, cfg: PrivacyConfig, view: int, use_head: bool = True) -> dict:
    """Per-label counts: n, flagged, right category (prohibited labels), and the allowed photos
    flagged (path and the category they were taken for)."""
    table: dict[str, dict] = {}
    for i, row in enumerate(rows):
        flagged, cat = decide(feats[i][view], probs[i][view] if use_head else None, cfg)
        t = table.setdefault(row.label, {"n": 0, "flagged": 0, "category_right": 0})
        t["n"] += 1
        t["flagged"] += int(flagged)
        t["category_right"] += int(flagged and cat == row.label)
        if flagged and row.label == ALLOWED:
            t.setdefault("false_positives", []).append(f"{row.path.name} → {cat}")
    return table


def summary(table: dict) -> dict:
    pro = [t for lab, t in table.items() if lab != ALLOWED]
    n, f = sum(t["n"] for t in pro), sum(t["flagged"] for t in pro)
    a = table.get(ALLOWED, {"n": 0, "flagged": 0})
    per_cat = [t["flagged"] / t["n"] for t in pro if t["n"]]
    return {"recall": f / n if n else 0.0, "prohibited": n, "min_category_recall": min(per_cat) if per_cat else 0.0,
            "fp_rate": a["flagged"] / a["n"] if a["n"] else 0.0, "allowed": a["n"], "fp": a["flagged"]}


def print_table(title: str, table: dict) -> None:
    print(f"\n{title}")
    print(f"{'label':<22}{'n':>5}{'flagged':>9}{'rate':>8}{'right category':>16}")
    for lab in sorted(table, key=lambda s: (s == ALLOWED, s)):
        t = table[lab]
        rate = t["flagged"] / t["n"] if t["n"] else 0.0
        right = "" if lab == ALLOWED else f"{t['category_right']}"
        print(f"{lab:<22}{t['n']:>5}{t['flagged']:>9}{rate:>8.3f}{right:>16}")
    s = summary(table)
    print(f"{'ALL prohibited':<22}{s['prohibited']:>5}{'':>9}{s['recall']:>8.3f}   "
          f"(lowest category {s['min_category_recall']:.3f}); FP rate {s['fp_rate']:.3f} ({s['fp']}/{s['allowed']})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path("/work/data"))
    ap.add_argument("--dev", type=Path, default=None, help="dev scenes folder: one more test fold")
    ap.add_argument("--k", type=int, default=5, help="folds (default 5)")
    ap.add_argument("--views", type=int, default=DEFAULT_VIEWS, help="CCTV-like training views per photo")
    ap.add_argument("--c", type=float, default=DEFAULT_C)
    ap.add_argument("--sweep", action="store_true", help="also sweep scene_weight × scene_min_score")
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = ap.parse_args(argv)

    rows = load_rows(args.root)
    if not rows:
        print(f"error: no corpus photos under {args.root}; run scripts/build_dataset.py first", file=sys.stderr)
        return 2
    feats = frame_features(rows, args.views, args.root)
    probs = out_of_fold(rows, feats, args.k, args.views, args.c)
    cfg = PrivacyConfig()
    result: dict = {"config": {"scene_weight": cfg.fusion.scene_weight, "scene_min_score": cfg.fusion.scene_min_score,
                               "threshold": cfg.fusion.threshold, "k": args.k, "views": args.views, "c": args.c}}
    n_src = len({r.group for r in rows})
    for view, name in ((0, "photos"), (1, "CCTV-like views")):
        table = score(rows, feats, probs, cfg, view)
        print_table(f"grouped {args.k}-fold CV by source ({len(rows)} photos, {n_src} sources), {name}, "
                    "objects + classifier + scene head, no OCR", table)
        base = score(rows, feats, probs, cfg, view, use_head=False)
        print_table(f"same, without the scene head (objects + classifier cues only), {name}", base)
        result[f"cv_{name}"], result[f"cv_{name}_no_head"] = table, base

    if args.sweep:
        print("\nsweep (CV, photos | CCTV views): scene_weight scene_min_score → recall, lowest category, FP rate")
        for w in (2.5, 3.5, 5.0):
            for m in (0.5, 0.7, 0.8, 0.86, 0.9, 0.92, 0.94, 0.96):
                c2 = cfg.model_copy(update={"fusion": cfg.fusion.model_copy(update={"scene_weight": w, "scene_min_score": m})})
                s0, s1 = (summary(score(rows, feats, probs, c2, v)) for v in (0, 1))
                print(f"  {w:4.1f} {m:4.2f} → {s0['recall']:.3f} {s0['min_category_recall']:.3f} {s0['fp_rate']:.3f}"
                      f" | {s1['recall']:.3f} {s1['min_category_recall']:.3f} {s1['fp_rate']:.3f}")

    if args.dev is not None:
        dev = load_dev_rows(args.dev)
        dfeats = frame_features(dev, 1, args.root, log=False)
        x, y, _ = training_set(rows, feats, args.views)
        head = fit_head(x, y, args.c)
        dprobs = [{v: dict([head.place(f[v].embedding)]) for v in EVAL_VIEWS} for f in dfeats]
        for view, name in ((0, "photos"), (1, "CCTV-like views")):
            table = score(dev, dfeats, dprobs, cfg, view)
            print_table(f"dev scenes as a test fold ({len(dev)} photos; head trained on the whole corpus), {name}", table)
            result[f"dev_{name}"] = table
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
