#!/usr/bin/env python
"""Speed, memory and weight-format agreement of the bundled models.

    python scripts/bench_models.py                       # ms/image of each model, RSS with all loaded
    python scripts/bench_models.py --compare DIR         # compare DIR/<model>.{fp32,fp16,int8}.onnx

Images: ../shared/data/dev/scenes/**/*.jpg when present, plus samples/images/*.jpg.
`--compare` reports, for each variant against the fp32 conversion: file size, ms/image, the share of
fp32 SSD detections (score >= 0.3) matched by the same label at IoU >= 0.5, top-1 agreement and
mean top-5 overlap of the classifier. Timings depend on machine load; say so when quoting them.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cctv_guard.detection import ImageClassifier, SsdDetector, load_models  # noqa: E402
from cctv_guard.detection.onnx import load_manifest, open_session, read_labels  # noqa: E402


def images() -> list[tuple[str, np.ndarray]]:
    paths = sorted((REPO.parent / "shared" / "data" / "dev" / "scenes").glob("*/*.jpg"))
    paths += sorted((REPO / "samples" / "images").glob("*.jpg"))
    out = []
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is not None:
            out.append((f"{p.parent.name}/{p.name}", img))
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, imgs, repeat: int = 1) -> tuple[list, float, float]:
    """(results, median wall ms/image, median process CPU ms/image). CPU time does not depend on
    other jobs' load; with --threads 1 it approximates the wall time on an idle core."""
    fn(imgs[0][1])  # warm-up
    results, times, cpu = [], [], []
    for _ in range(repeat):
        results = []
        for _, img in imgs:
            t, c = time.perf_counter(), time.process_time()
            results.append(fn(img))
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return results, statistics.median(times), statistics.median(cpu)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def det_agreement(ref, other) -> float:
    hit = total = 0
    for r, o in zip(ref, other):
        for d in r:
            total += 1
            hit += any(e.label == d.label and iou(np.array(d.box), np.array(e.box)) >= 0.5 for e in o)
    return hit / total if total else 1.0


def bench(threads: int | None) -> None:
    imgs = images()
    base = rss_mb()
    models = load_models(threads=threads).preload(ocr=True)
    loaded = rss_mb()
    print(f"images: {len(imgs)}; RSS before loading {base:.0f} MB, with SSD + classifier + OCR loaded {loaded:.0f} MB")
    _, ssd_ms, ssd_cpu = timed(lambda im: models.ssd.detect(im), imgs)
    after_ssd = rss_mb()
    _, cls_ms, cls_cpu = timed(lambda im: models.classifier.classify(im), imgs)
    after_cls = rss_mb()
    few = imgs[:: max(1, len(imgs) // 8)]
    _, ocr_ms, ocr_cpu = timed(lambda im: models.signs.read(im), few)
    print(f"threads {threads or 'all'}; median per image, wall / process CPU:")
    print(f"  ssd {ssd_ms:.1f} / {ssd_cpu:.1f} ms, classifier {cls_ms:.1f} / {cls_cpu:.1f} ms, "
          f"detector + classifier {ssd_ms + cls_ms:.1f} / {ssd_cpu + cls_cpu:.1f} ms")
    print(f"  ocr {ocr_ms:.0f} / {ocr_cpu:.0f} ms (median of {len(few)} images)")
    print(f"RSS after the SSD runs {after_ssd:.0f} MB, after the classifier runs {after_cls:.0f} MB, after OCR {rss_mb():.0f} MB")
    print(f"peak RSS after all runs {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def compare(directory: Path, threads: int | None) -> None:
    imgs = images()
    entries = load_manifest()
    ssd_labels, cls_labels = read_labels(entries["ssd_mobilenet_v2_coco"]), read_labels(entries["efficientnet_lite3"])
    rows = []
    for name, make, run in (
        ("ssd_mobilenet_v2_coco", lambda s: SsdDetector(s, ssd_labels), lambda m, im: list(m.detect(im, 0.3))),
        ("efficientnet_lite3", lambda s: ImageClassifier(s, cls_labels, entries["efficientnet_lite3"].spec["input"]),
         lambda m, im: [c.class_id for c in m.classify(im, 5)]),
    ):
        ref = None
        for variant in ("fp32", "fp16", "int8"):
            path = directory / f"{name}.{variant}.onnx"
            if not path.is_file():
                continue
            model = make(open_session(path, threads))
            res, ms, _ = timed(lambda im: run(model, im), imgs)
            if ref is None:
                ref = res
            if name.startswith("ssd"):
                agree = f"detections matched {det_agreement(ref, res):.3f} (reverse {det_agreement(res, ref):.3f})"
            else:
                top1 = np.mean([a[0] == b[0] for a, b in zip(ref, res)])
                top5 = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ref, res)])
                agree = f"top-1 agreement {top1:.3f}, top-5 overlap {top5:.3f}"
            rows.append(f"{name} {variant}: {path.stat().st_size / 1e6:.1f} MB, {ms:.1f} ms/image, {agree}")
            print(rows[-1], flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", type=Path, help="folder with <model>.{fp32,fp16,int8}.onnx variants")
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads (default: all cores)")
    args = ap.parse_args()
    if args.compare:
        compare(args.compare, args.threads)
    else:
        bench(args.threads)


if __name__ == "__main__":
    main()
