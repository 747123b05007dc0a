#!/usr/bin/env python3
"""Speed and memory of the privacy scan's per-frame models: detector + classifier + scene head.

    python scripts/bench_scan_head.py                       # samples/images + dev scenes when present
    python scripts/bench_scan_head.py DIR... --threads 1 --repeat 3

Per image it times `privacy.analyse_frame` without OCR (SSD detector, EfficientNet-Lite3 with its
embedding output, the scene head, cue rules), after one warm-up pass. Prints wall and process-CPU
ms per image (median and mean), the load average (the machine is shared: wall times under load are
inflated), and RSS: after import, with all models loaded, and the peak.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEV = PROJECT.parent / "shared" / "data" / "dev" / "scenes"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def image_paths(dirs: list[Path]) -> list[Path]:
    out = []
    for d in dirs:
        out += sorted(p for p in d.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads (default: all cores)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    dirs = args.dirs or [d for d in (PROJECT / "samples" / "images", DEV) if d.is_dir()]
    paths = image_paths(dirs)
    if not paths:
        print("error: no images found", file=sys.stderr)
        return 2

    from cctv_guard import detection, privacy
    from cctv_guard.media import read_image
    from cctv_guard.privacy.head import load_head

    imgs = [read_image(p) for p in paths]
    base = rss_mb()
    shared = detection.load_models(threads=args.threads)
    models = privacy.PrivacyModels(shared.ssd, shared.classifier, None, (), load_head())
    loaded = rss_mb()
    for img in imgs:  # warm-up
        privacy.analyse_frame(img, models)
    wall, cpu = [], []
    for _ in range(args.repeat):
        for img in imgs:
            t0, c0 = time.perf_counter(), time.process_time()
            privacy.analyse_frame(img, models)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    load = os.getloadavg()
    print(f"{len(imgs)} images × {args.repeat}, threads={args.threads or 'all'} ({os.cpu_count()} CPUs), "
          f"load average {load[0]:.1f} {load[1]:.1f}")
    print(f"detector + classifier + head, per image: wall median {statistics.median(wall):.1f} ms "
          f"(mean {statistics.fmean(wall):.1f}), CPU median {statistics.median(cpu):.1f} ms (mean {statistics.fmean(cpu):.1f})")
    print(f"RSS: {base:.0f} MB with images read, {loaded:.0f} MB with detector + classifier + head loaded, "
          f"{rss_mb():.0f} MB after the runs, peak {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
