#!/usr/bin/env python3
"""Time the privacy scan of a long video (target: a 1-hour video in ≤ 30 s).

    python scripts/bench_privacy_video.py                       # 1 h made from samples/vtest_normal.mp4
    python scripts/bench_privacy_video.py --hours 2 --no-ocr
    python scripts/bench_privacy_video.py --video long.mp4      # an existing file
    python scripts/bench_privacy_video.py --changing            # worst case: a new view every minute

Without --video it builds the long video by repeating the packets of a short H.264 sample with
shifted timestamps (a remux, no re-encoding), so it takes seconds and needs no encoder.
Prints the wall time, frames decoded / analysed and the verdict; peak RSS from the OS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_long_video(sample: Path, out: Path, hours: float) -> float:
    """Concatenate `sample` with itself until it lasts `hours`; returns the duration in seconds."""
    import av

    with av.open(str(sample)) as src:
        stream = src.streams.video[0]
        packets = [p for p in src.demux(stream) if p.pts is not None]
        tb = stream.time_base
        span = max(p.pts + (p.duration or 0) for p in packets) - min(p.pts for p in packets)
        with av.open(str(out), "w", format="mp4") as dst:
            ostream = dst.add_stream_from_template(stream) if hasattr(dst, "add_stream_from_template") else dst.add_stream(template=stream)
            reps = max(1, int(hours * 3600 / float(span * tb) + 0.999))
            base_pts = min(p.pts for p in packets)
            base_dts = min(p.dts for p in packets if p.dts is not None)
            for r in range(reps):
                for p in packets:
                    q = av.Packet(bytes(p))
                    q.pts = p.pts - base_pts + r * span
                    q.dts = (p.dts - base_dts if p.dts is not None else p.pts - base_pts) + r * span
                    q.time_base = tb
                    q.is_keyframe = p.is_keyframe
                    q.stream = ostream
                    dst.mux(q)
    return reps * float(span * tb)


def make_changing_video(out: Path, hours: float, stills: list[Path], change_every_s: float = 60.0) -> float:
    """A 1-fps H.264 video (GOP 10 s) showing a new view every `change_every_s` (the stills in
    turn, each shifted differently): the worst case for the scan, every sample a view not seen."""
    import av
    import cv2
    import numpy as np

    size = (640, 360)
    views = [cv2.resize(cv2.imread(str(p)), size, interpolation=cv2.INTER_AREA) for p in stills]
    n = int(hours * 3600)
    with av.open(str(out), "w") as dst:
        st = dst.add_stream("libx264", rate=1, options={"preset": "ultrafast", "g": "10"})
        st.width, st.height, st.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(n):
            k = int(i // change_every_s)
            img = np.roll(views[k % len(views)], (k * 97) % size[0], axis=1)  # never the same view twice
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:, :, ::-1]), format="rgb24")
            for pkt in st.encode(frame):
                dst.mux(pkt)
        for pkt in st.encode():
            dst.mux(pkt)
    return float(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, help="scan this file instead of building one")
    ap.add_argument("--sample", type=Path, default=REPO / "samples" / "vtest_normal.mp4")
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--no-ocr", action="store_true")
    ap.add_argument("--changing", action="store_true",
                    help="build a video whose view changes every minute (samples/images/*.jpg) instead")
    args = ap.parse_args(argv)

    from cctv_guard import privacy
    from cctv_guard.media.sources import open_source

    with tempfile.TemporaryDirectory() as tmp:
        video = args.video
        if video is None:
            video = Path(tmp) / "long.mp4"
            t = time.perf_counter()
            if args.changing:
                stills = sorted((REPO / "samples" / "images").glob("*.jpg"))
                dur = make_changing_video(video, args.hours, stills)
            else:
                dur = make_long_video(args.sample, video, args.hours)
            print(f"built {video.name}: {dur / 3600:.2f} h in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        with open_source(video) as src:
            info = src.info
        t = time.perf_counter()
        models = privacy.load_models(ocr=not args.no_ocr)
        models.detector.detect(__import__("numpy").zeros((64, 64, 3), "uint8"))
        models.classifier.classify(__import__("numpy").zeros((64, 64, 3), "uint8"))
        load = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        item = privacy.scan_source(video, models=models, ocr=not args.no_ocr)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"video {info.duration_s / 3600:.2f} h {info.width}x{info.height} {info.codec}: scanned in {wall:.1f} s ({cpu:.1f} CPU s, all threads) "
          f"(models loaded in {load:.1f} s before), {item.frames_analyzed} frames analysed, verdict {item.verdict}, "
          f"peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
