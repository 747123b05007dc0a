#!/usr/bin/env python3
"""Evaluate the Art. 9 privacy scan on a folder of labelled photos.

    python scripts/eval_privacy.py ../shared/data/dev/scenes            # table
    python scripts/eval_privacy.py ../shared/data/dev/scenes --json -   # machine-readable
    python scripts/eval_privacy.py DIR --no-ocr --config privacy.yaml

DIR holds one folder per category with images in it (`<category>/*.jpg`); the category
`allowed` holds views a camera may have (streets, offices, shops, entrances, CCTV views), every
other category holds prohibited places (restroom, bathroom_shower, bedroom_hotel_dorm...).

Printed per category: images, recall (share judged prohibited; for `allowed` the false-positive
rate), and how often the finding names the expected zone family. Also: ms per image for
detector + classifier and for the sign reader (OCR), the scan with and without OCR, a naive
baseline (flag COCO toilet/sink/bed ≥ 0.5 or ImageNet toilet seat/washbasin/bathtub/four-poster
≥ 0.25), the margin between the decision point and the nearest photo on each side, and a
leave-one-out check of the logistic calibration (`--fit` prints the fitted slope and midpoint).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from cctv_guard import privacy
from cctv_guard.media import IMAGE_SUFFIXES, read_image
from cctv_guard.core.errors import CctvGuardError

ALLOWED = "allowed"
# which zone families count as "the right zone" for the dev categories (others: any finding)
EXPECTED_FAMILY = {"restroom": {"sanitary"}, "bathroom_shower": {"sanitary"}, "bedroom_hotel_dorm": {"sleeping"}}
NAIVE_DETECTOR = {"detector:toilet", "detector:sink", "detector:bed"}
NAIVE_CLASSIFIER = {"classifier:toilet seat", "classifier:washbasin", "classifier:bathtub", "classifier:four-poster"}


def naive_flag(frame: privacy.FrameCues) -> bool:
    """The baseline the issue compares against: flag on a single typical label."""
    for c in frame.cues:
        if c.cue in NAIVE_DETECTOR and c.score >= 0.5:
            return True
        if c.cue in NAIVE_CLASSIFIER and c.score >= 0.25:
            return True
    return False


def max_evidence(frame: privacy.FrameCues, cfg: privacy.PrivacyConfig) -> tuple[float, str | None]:
    fams = privacy.fuse_frame(frame.cues, cfg)
    if not fams:
        return 0.0, None
    best = max(fams.values(), key=lambda e: e.evidence)
    return best.evidence, best.family


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1.0, iters: int = 100) -> tuple[float, float]:
    """slope, midpoint of p = 1/(1+exp(-slope·(x − midpoint))) by Newton's method with an L2
    penalty `ridge` on the slope (the dev set is small and may be separable)."""
    a, b = 1.0, 0.0  # p = sigmoid(a·x + b)
    for _ in range(iters):
        z = np.clip(a * x + b, -30, 30)
        p = 1 / (1 + np.exp(-z))
        w = p * (1 - p)
        g = np.array([np.sum((p - y) * x) + ridge * a, np.sum(p - y)])
        h = np.array([[np.sum(w * x * x) + ridge, np.sum(w * x)], [np.sum(w * x), np.sum(w) + 1e-9]])
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    return float(a), float(-b / a) if a else float("inf")


def collect(root: Path, cfg: privacy.PrivacyConfig, models: privacy.PrivacyModels, ocr: bool, log) -> list[dict]:
    rows = []
    cats = sorted(p for p in root.iterdir() if p.is_dir())
    if not cats:
        raise SystemExit(f"error: {root} has no category folders (<category>/*.jpg)")
    for cat in cats:
        for path in sorted(p for p in cat.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            try:
                img = read_image(path)
            except CctvGuardError as exc:
                log(f"skipped {path}: {exc}")
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            plain = privacy.analyse_frame(img, models, cfg, ocr=False)
            t1, c1 = time.perf_counter(), time.process_time()
            signs = privacy.read_signs(plain, img, models, cfg) if ocr else plain
            t2, c2 = time.perf_counter(), time.process_time()
            rows.append({"category": cat.name, "path": str(path), "plain": plain, "ocr": signs,
                         "ms_models": 1000 * (t1 - t0), "ms_ocr": 1000 * (t2 - t1) if ocr else None,
                         "cpu_ms_models": 1000 * (c1 - c0), "cpu_ms_ocr": 1000 * (c2 - c1) if ocr else None})
            log(f"{cat.name}/{path.name}: {1000 * (t1 - t0):.0f} ms" + (f" + OCR {1000 * (t2 - t1):.0f} ms" if ocr else ""))
    return rows


def summarise(rows: list[dict], judge, cfg) -> dict:
    """Per-category counts for a judge(row) -> (flagged, family or None)."""
    out = {}
    for cat in sorted({r["category"] for r in rows}):
        sub = [r for r in rows if r["category"] == cat]
        judged = [judge(r) for r in sub]
        flagged = sum(1 for f, _ in judged if f)
        entry = {"images": len(sub), "flagged": flagged, "rate": flagged / len(sub)}
        if cat in EXPECTED_FAMILY:
            entry["zone_ok"] = sum(1 for f, fam in judged if f and fam in EXPECTED_FAMILY[cat])
        entry["missed" if cat != ALLOWED else "false_positives"] = [
            Path(r["path"]).name for r, (f, _) in zip(sub, judged) if (not f if cat != ALLOWED else f)
        ]
        out[cat] = entry
    pos = [r for r in rows if r["category"] != ALLOWED]
    neg = [r for r in rows if r["category"] == ALLOWED]
    tp = sum(1 for r in pos if judge(r)[0])
    fp = sum(1 for r in neg if judge(r)[0])
    return {"categories": out, "recall": tp / len(pos) if pos else None, "fp_rate": fp / len(neg) if neg else None}


def scan_judge(key: str, cfg):
    def judge(r):
        findings = privacy.fuse_frames([r[key]], cfg)
        return (bool(findings), privacy.family_of(findings[0].zone) if findings else None)

    return judge


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path, help="folder of <category>/*.jpg")
    ap.add_argument("--config", type=Path, help="privacy.yaml to evaluate instead of the defaults")
    ap.add_argument("--no-ocr", action="store_true", help="skip the sign reader (no OCR figures)")
    ap.add_argument("--json", metavar="FILE|-", help="write the figures as JSON")
    ap.add_argument("--fit", action="store_true", help="print the calibration fitted on DIR")
    ap.add_argument("--quiet", action="store_true", help="no per-image lines")
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        print(f"error: {args.dir} is not a folder", file=sys.stderr)
        return 2
    log = (lambda *_: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        cfg = privacy.load_config(args.config) if args.config else privacy.PrivacyConfig()
        t = time.perf_counter()
        models = privacy.load_models(cfg, ocr=not args.no_ocr)
        models.detector.detect(np.zeros((64, 64, 3), np.uint8))  # warm up / load
        models.classifier.classify(np.zeros((64, 64, 3), np.uint8))
        load_s = time.perf_counter() - t
        rows = collect(args.dir, cfg, models, not args.no_ocr, log)
    except CctvGuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: no readable images under {args.dir}", file=sys.stderr)
        return 2
    ocr = not args.no_ocr
    report = {
        "schema": "cctv-guard/privacy-eval@1",
        "dir": str(args.dir),
        "images": len(rows),
        "model_load_s": round(load_s, 2),
        "ms_per_image": {
            "detector_classifier_mean": round(float(np.mean([r["ms_models"] for r in rows])), 1),
            "detector_classifier_median": round(float(np.median([r["ms_models"] for r in rows])), 1),
            "ocr_mean": round(float(np.mean([r["ms_ocr"] for r in rows])), 1) if ocr else None,
            # CPU time of all threads: what the work costs regardless of other load on the machine
            "cpu_detector_classifier_mean": round(float(np.mean([r["cpu_ms_models"] for r in rows])), 1),
            "cpu_ocr_mean": round(float(np.mean([r["cpu_ms_ocr"] for r in rows])), 1) if ocr else None,
        },
        "scan_no_ocr": summarise(rows, scan_judge("plain", cfg), cfg),
        "scan_ocr": summarise(rows, scan_judge("ocr", cfg), cfg) if ocr else None,
        "naive_baseline": summarise(rows, lambda r: (naive_flag(r["plain"]), None), cfg),
    }
    # margins and calibration on the fused evidence of the default mode
    key = "ocr" if ocr else "plain"
    ev = np.array([max_evidence(r[key], cfg)[0] for r in rows])
    y = np.array([0.0 if r["category"] == ALLOWED else 1.0 for r in rows])
    f = cfg.fusion
    point = f.midpoint + math.log(f.threshold / (1 - f.threshold)) / f.slope  # evidence at the threshold
    report["decision"] = {
        "evidence_at_threshold": round(point, 3),
        "lowest_prohibited_evidence": round(float(ev[y == 1].min()), 3) if (y == 1).any() else None,
        "highest_allowed_evidence": round(float(ev[y == 0].max()), 3) if (y == 0).any() else None,
        "prohibited_within_1_of_threshold": int(np.sum((y == 1) & (np.abs(ev - point) < 1.0))),
        "allowed_within_1_of_threshold": int(np.sum((y == 0) & (np.abs(ev - point) < 1.0))),
    }
    slope, mid = fit_logistic(ev, y)
    loo = []
    for i in range(len(rows)):
        keep = np.arange(len(rows)) != i
        s, m = fit_logistic(ev[keep], y[keep])
        loo.append(1.0 / (1.0 + math.exp(-s * (ev[i] - m))) >= 0.5)
    loo = np.array(loo)
    report["calibration"] = {
        "fitted_slope": round(slope, 3),
        "fitted_midpoint": round(mid, 3),
        "config_slope": f.slope,
        "config_midpoint": f.midpoint,
        "loo_recall": round(float(loo[y == 1].mean()), 3) if (y == 1).any() else None,
        "loo_fp_rate": round(float(loo[y == 0].mean()), 3) if (y == 0).any() else None,
    }
    sweep = []
    for thr in (0.3, 0.5, 0.64, 0.75, 0.85, 0.95):
        c = cfg.model_copy(update={"fusion": f.model_copy(update={"threshold": thr})})
        m = summarise(rows, scan_judge(key, c), c)
        sweep.append({"threshold": thr, "recall": round(m["recall"], 3), "fp_rate": round(m["fp_rate"], 3)})
    report["threshold_sweep"] = sweep
    if args.json:
        text = json.dumps(report, ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.json != "-":
        print_table(report, args.fit)
    return 0


def print_table(report: dict, fit: bool) -> None:
    modes = [("scan (no OCR)", report["scan_no_ocr"])]
    if report["scan_ocr"]:
        modes.append(("scan (OCR)", report["scan_ocr"]))
    modes.append(("naive baseline", report["naive_baseline"]))
    cats = list(report["scan_no_ocr"]["categories"])
    print(f"{report['images']} images in {report['dir']}")
    print(f"{'category':20} {'n':>3} " + " ".join(f"{name:>15}" for name, _ in modes))
    for c in cats:
        n = report["scan_no_ocr"]["categories"][c]["images"]
        label = "FP rate" if c == ALLOWED else "recall"
        print(f"{c + ' ' + label:20} {n:>3} " + " ".join(f"{m['categories'][c]['rate']:>15.3f}" for _, m in modes))
    print(f"{'recall (all)':20} {'':>3} " + " ".join(f"{m['recall']:>15.3f}" for _, m in modes))
    print(f"{'FP rate (allowed)':20} {'':>3} " + " ".join(f"{m['fp_rate']:>15.3f}" for _, m in modes))
    ms = report["ms_per_image"]
    print(f"ms/image: detector+classifier mean {ms['detector_classifier_mean']} (median "
          f"{ms['detector_classifier_median']})" + (f", OCR mean {ms['ocr_mean']}" if ms["ocr_mean"] is not None else ""))
    print(f"CPU ms/image (all threads): detector+classifier {ms['cpu_detector_classifier_mean']}"
          + (f", OCR {ms['cpu_ocr_mean']}" if ms["cpu_ocr_mean"] is not None else ""))
    d = report["decision"]
    print(f"decision at evidence {d['evidence_at_threshold']}: lowest prohibited photo {d['lowest_prohibited_evidence']}, "
          f"highest allowed photo {d['highest_allowed_evidence']}; within ±1 of it: {d['prohibited_within_1_of_threshold']} "
          f"prohibited, {d['allowed_within_1_of_threshold']} allowed")
    print("fusion.threshold sweep: " + ", ".join(
        f"{x['threshold']}: recall {x['recall']:.3f} FP {x['fp_rate']:.3f}" for x in report["threshold_sweep"]))
    cal = report["calibration"]
    print(f"leave-one-out (logistic refit per photo): recall {cal['loo_recall']}, FP rate {cal['loo_fp_rate']}")
    if fit:
        print(f"fitted calibration: slope {cal['fitted_slope']}, midpoint {cal['fitted_midpoint']} "
              f"(config: {cal['config_slope']}, {cal['config_midpoint']})")
    for name, m in modes:
        for c, e in m["categories"].items():
            miss = e.get("missed") or e.get("false_positives")
            if miss:
                print(f"  {name} {c}: {'missed' if c != ALLOWED else 'false positives'}: {', '.join(miss)}")


if __name__ == "__main__":
    sys.exit(main())
