#!/usr/bin/env python3
"""Fleet audit benchmark: throughput, 1 -> 2 worker scaling, and audit time vs pure keyframe decode.

    python scripts/bench_audit.py                              # 12 cameras x 2-min clips (a few minutes)
    python scripts/bench_audit.py --cameras 200 --minutes 10   # the issue's fleet (200 camera-x-10-min)
    python scripts/bench_audit.py --workers 1 2 4 --json bench_audit.json --keep /tmp/fleet

The synthetic fleet: one 1280x720, 25 fps H.264 clip (a keyframe every 2 s, no B-frames: the
layout of a typical IP camera stream) rendered from OpenCV's vtest.avi (or samples/vtest_normal.mp4
when vtest.avi is absent): cropped to 16:9, upscaled, looped back and forth to `--minutes`. Every
camera's recording of the day is a hard link to that clip (clips longer than 2 min repeat a
rendered 2-min clip, remuxed without re-encoding) (decoding is CPU-bound, so N links cost
N decodes; the page cache only removes disk reads, which a real NVR mount would add). Each camera
has the same baseline (built from the clip's first 20 s) and a district and coordinates.

For each worker count, in this order (interleaved, so that load from other processes falls on
both measures alike):
  decode  the same items through the same local engine, with a work function that only decodes
          the keyframes the check decodes (keyframes only, converted at the check's FETCH_WIDTH);
  audit   `cctv_guard.fleet.start_audit` in the default mode (keyframes only, tamper check), from
          planning to the summary files.
Reported: wall seconds, camera-hours per wall-clock minute, audit/decode ratio per worker count,
and the speedup from 1 to 2 workers. The machine's load average is printed with each result: on a
shared machine say so when reporting figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from footage import REPO, FrameBank, find_vtest, remux_repeated, write_mp4  # noqa: E402

sys.path.insert(0, str(REPO))
from cctv_guard import fleet as audit  # noqa: E402
from cctv_guard.tamper.baseline import FETCH_WIDTH, build_baseline, load_baseline, save_baseline  # noqa: E402
from cctv_guard.core.errors import CctvGuardError  # noqa: E402

DAY = "2026-11-27"
DECODE_THREADS_ENV = "CCTV_GUARD_BENCH_DECODE_THREADS"
SIZE = (1280, 720)
FPS = 25.0


def decode_keyframes(item: audit.WorkItem) -> dict:
    """The decode-only work function: what the check must decode, and nothing else."""
    from cctv_guard.media.sources import open_source

    n = 0
    threads = int(os.environ.get(DECODE_THREADS_ENV, "0")) or None  # set by --decode-threads (read in the worker)
    with open_source(item.source) as src:
        for _ in src.frames(keyframes_only=True, max_width=FETCH_WIDTH, threads=threads):
            n += 1
        duration = src.info.duration_s
    return {"schema": "cctv-guard/check@1", "verdict": "compliant", "frames_analyzed": n, "duration_s": duration,
            "events": [], "findings": []}


RENDER_MINUTES = 2.0  # longer clips repeat a rendered 2-minute clip (remuxed: no re-encoding)


def make_clip(path: Path, minutes: float) -> Path:
    if minutes > RENDER_MINUTES and (minutes / RENDER_MINUTES).is_integer():
        part = path.with_name(f"clip_{RENDER_MINUTES:g}min.mp4")
        if not part.exists():
            make_clip(part, RENDER_MINUTES)
        remux_repeated(part, path, int(minutes / RENDER_MINUTES))
        print(f"made {path.name}: {part.name} {int(minutes / RENDER_MINUTES)} times over ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
        return path
    try:
        source = find_vtest()
    except SystemExit:
        source = REPO / "samples" / "vtest_normal.mp4"
    bank = FrameBank(source, limit_s=40.0, quality=92)
    w, h = bank.size
    crop_h = round(w * 9 / 16)
    y0 = max(0, (h - crop_h) // 2)

    def frames():
        for i in range(int(minutes * 60 * FPS)):
            img = bank.at(i / FPS)[y0:y0 + crop_h]
            yield cv2.resize(img, SIZE, interpolation=cv2.INTER_CUBIC)

    t0 = time.monotonic()
    write_mp4(path, frames(), FPS, crf=26, keyframe_s=2.0, preset="veryfast")
    print(f"made {path.name}: {minutes:g} min of {SIZE[0]}x{SIZE[1]} at {FPS:g} fps from {source.name} "
          f"in {time.monotonic() - t0:.0f} s ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
    return path


def make_fleet(root: Path, cameras: int, minutes: float, html: bool = True) -> Path:
    clip = root / f"clip_{minutes:g}min.mp4"
    if not clip.exists():
        make_clip(clip, minutes)
    base = root / "baseline.cgb"
    try:
        load_baseline(base)
    except CctvGuardError:  # absent, or kept from an older baseline format
        save_baseline(build_baseline(str(clip), end=20.0), base)
    lines = []
    for i in range(cameras):
        cid = f"CAM-{i:04d}"
        d = root / "nvr" / cid / DAY.replace("-", "")
        d.mkdir(parents=True, exist_ok=True)
        target = d / "0000.mp4"
        if not target.exists():
            try:
                os.link(clip, target)
            except OSError:
                shutil.copy(clip, target)
        lat, lon = 36.0 + (i % 20) * 0.005, 103.8 + (i // 20) * 0.005
        lines.append(f"  - {{id: {cid}, baseline: {base}, district: D{i % 5}, lat: {lat:.4f}, lon: {lon:.4f}}}")
    fleet = root / "fleet.yaml"
    fleet.write_text("recordings:\n  template: nvr/{camera}/{date:%Y%m%d}/*.mp4\n"
                     f"window: {{date: {DAY}}}\nengine: {{timeout_s: 3600}}\noutputs: {{html_reports: {str(html).lower()}}}\n"
                     "cameras:\n" + "\n".join(lines) + "\n")
    return fleet


def load() -> str:
    try:
        return "load %.1f %.1f %.1f" % os.getloadavg()
    except OSError:  # pragma: no cover
        return "load ?"


def measure_decode(fleet: Path, workers: int) -> tuple[float, float]:
    """(wall s, CPU s: the workers' CPU per item + this process's). CPU time, unlike wall time,
    does not depend on what else runs on a shared machine."""
    run_dir = Path(tempfile.mkdtemp(prefix="decode_", dir=fleet.parent))
    run = audit.create_run(audit.load_fleet(fleet), run_dir / "run")
    cpu = []
    t0, c0 = time.monotonic(), time.process_time()
    items = [replace(it, html=False) for it in run.plan.items]  # decode only: no report either
    audit.run_local(items, decode_keyframes, lambda rec, cost, page: cpu.append(cost["cpu_s"]), workers=workers)
    wall, own = time.monotonic() - t0, time.process_time() - c0
    shutil.rmtree(run_dir)
    return wall, sum(cpu) + own


def measure_audit(fleet: Path, workers: int) -> tuple[float, float, float, dict]:
    """(wall s, CPU s as above, the coordinator's share of it, summary) of a whole audit, from
    planning to the summary files."""
    out = fleet.parent / f"audit_w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    t0, c0 = time.monotonic(), time.process_time()
    outcome = audit.start_audit(fleet, out, workers=workers)
    wall, own = time.monotonic() - t0, time.process_time() - c0
    cpu = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])["item_cpu_s"]
    return wall, cpu + own, own, outcome.summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cameras", type=int, default=12)
    ap.add_argument("--minutes", type=float, default=2.0, help="length of each recording")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-html", action="store_true", help="audit without the per-recording HTML reports")
    ap.add_argument("--decode-threads", type=int, default=0,
                    help="decoder threads per worker for the decode-only reference (default: FFmpeg's choice, one per "
                         "core; 1: single-threaded, as the audit's own workers decode)")
    ap.add_argument("--keep", type=Path, help="build the fleet here and keep it (reused when present)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    if args.decode_threads:
        os.environ[DECODE_THREADS_ENV] = str(args.decode_threads)  # inherited by the pool's workers
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_audit_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        fleet = make_fleet(root, args.cameras, args.minutes, html=not args.no_html)
        footage_h = args.cameras * args.minutes / 60
        print(f"fleet: {args.cameras} cameras x {args.minutes:g} min = {footage_h:.2f} camera-hours; "
              f"{os.cpu_count()} CPUs; {load()}", flush=True)
        results = []
        for w in args.workers:
            dec, dec_cpu = measure_decode(fleet, w)
            print(f"  workers={w} decode {dec:7.1f} s wall {dec_cpu:7.1f} s CPU  {footage_h / (dec / 60):6.2f} camera-h/min"
                  f"   ({load()})", flush=True)
            aud, aud_cpu, own, summary = measure_audit(fleet, w)
            ok = summary["totals"]["items_done"] - summary["totals"]["items_failed"]
            if summary["failures"]:
                raise SystemExit(f"error: {len(summary['failures'])} items failed, e.g. {summary['failures'][0]['reason']}")
            print(f"  workers={w} audit  {aud:7.1f} s wall {aud_cpu:7.1f} s CPU  {footage_h / (aud / 60):6.2f} camera-h/min"
                  f"   audit/decode wall {aud / dec:.2f} CPU {aud_cpu / dec_cpu:.2f}   verdicts {summary['by_verdict']} "
                  f"({ok} ok)   coordinator {100 * own / aud_cpu:.1f}% of the CPU   ({load()})", flush=True)
            results.append({"workers": w, "decode_s": round(dec, 2), "audit_s": round(aud, 2),
                            "decode_cpu_s": round(dec_cpu, 2), "audit_cpu_s": round(aud_cpu, 2),
                            "coordinator_cpu_s": round(own, 2),
                            "audit_camera_h_per_min": round(footage_h / (aud / 60), 3),
                            "decode_camera_h_per_min": round(footage_h / (dec / 60), 3),
                            "audit_over_decode": round(aud / dec, 3), "audit_over_decode_cpu": round(aud_cpu / dec_cpu, 3),
                            "load": load()})
        cpu_per_h = results[-1]["audit_cpu_s"] / footage_h
        print(f"CPU per camera-hour: audit {cpu_per_h:.1f} s, decode {results[-1]['decode_cpu_s'] / footage_h:.1f} s; "
              f"on {os.cpu_count()} idle cores that is {os.cpu_count() * 60 / cpu_per_h:.1f} camera-h/min "
              "(CPU-bound estimate)")
        by_w = {r["workers"]: r for r in results}
        if 1 in by_w and 2 in by_w:
            print(f"scaling 1 -> 2 workers: audit x{by_w[1]['audit_s'] / by_w[2]['audit_s']:.2f}, "
                  f"decode x{by_w[1]['decode_s'] / by_w[2]['decode_s']:.2f}")
        if args.json:
            args.json.write_text(json.dumps({"cameras": args.cameras, "minutes": args.minutes, "size": SIZE, "fps": FPS,
                                             "keyframe_s": 2.0, "cpus": os.cpu_count(), "results": results}, indent=1))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
