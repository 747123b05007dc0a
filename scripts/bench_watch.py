#!/usr/bin/env python3
"""Edge watch benchmark: N live 720p RTSP streams analysed at 2 frames/s each.

Measures what issue 6 budgets: CPU (cores used by the watcher, from its own CPU time over the
measuring window), memory (peak RSS sampled every 0.2 s), and alert latency (seconds from the
arrival of the first frame at or after a camera's move to its `moved` alert).

Needs Debian's GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0, plugins good+bad):

    python scripts/bench_watch.py --streams 4 --seconds 40
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cctv_guard.edge.alerts import load_jsonl  # noqa: E402
from cctv_guard.tamper.baseline import build_baseline, save_baseline  # noqa: E402
from cctv_guard.edge.watch import EdgeConfig, Watcher  # noqa: E402


def upscale(src: Path, dst: Path, size=(1280, 720), fps=25, gop_s=2.0) -> Path:
    """Re-encode a sample clip (10 fps) at 720p H.264 and `fps`, repeating frames to keep its
    timing, like a real 25 fps camera (cached)."""
    if dst.exists():
        return dst
    tmp = dst.with_suffix(".part.mp4")
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
        src_fps = float(inp.streams.video[0].average_rate or 10)
        st = out.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = size[0], size[1], "yuv420p"
        st.options = {"preset": "veryfast", "g": str(int(fps * gop_s)), "bf": "0", "sc_threshold": "0"}
        n_out = 0
        for n_in, frame in enumerate(inp.decode(video=0)):
            img = cv2.resize(frame.to_ndarray(format="bgr24"), size, interpolation=cv2.INTER_LINEAR)
            while n_out < (n_in + 1) * fps / src_fps:
                for pkt in st.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                    out.mux(pkt)
                n_out += 1
        for pkt in st.encode():
            out.mux(pkt)
    tmp.rename(dst)
    return dst


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=40.0, help="measuring window (the moved clip turns at 15 s)")
    ap.add_argument("--fps", type=float, default=2.0, help="analysed frames per second per stream")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cctv-guard-bench")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    args.cache.mkdir(parents=True, exist_ok=True)
    expected = json.loads((REPO / "samples" / "expected.json").read_text())
    onset = expected["clips"]["vtest_moved.mp4"]["events"][0]["onset_s"]
    normal = upscale(REPO / "samples" / "vtest_normal.mp4", args.cache / "normal720p25.mp4")
    moved = upscale(REPO / "samples" / "vtest_moved.mp4", args.cache / "moved720p25.mp4")
    baseline = args.cache / "normal720.baseline"
    save_baseline(build_baseline(str(normal), end=10.0), baseline)

    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", str(REPO / "scripts" / "rtsp_server.py"), str(moved), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout.readline().startswith("rtsp://"), "RTSP server did not start"
    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    conf = EdgeConfig.model_validate({
        "cameras": [{"id": f"CAM-{i}", "url": f"rtsp://127.0.0.1:{port}/cam", "baseline": str(baseline)} for i in range(args.streams)],
        "analysis_fps": args.fps, "sinks": {"jsonl": str(work / "alerts.jsonl")}, "http": {"port": 0},
    })
    peak = [rss_mb()]
    stop = threading.Event()

    def sample_rss():
        while not stop.wait(0.2):
            peak[0] = max(peak[0], rss_mb())

    threading.Thread(target=sample_rss, daemon=True).start()
    onset_wall: dict[str, float] = {}
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    watcher = Watcher(conf, state_dir=work / "state").start()
    try:
        while time.monotonic() - t0 < args.seconds:
            for w in watcher.workers:
                if w.conf.id not in onset_wall and (w.metrics.last_stream_t or 0) >= onset:
                    onset_wall[w.conf.id] = time.time()
            time.sleep(0.02)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - t0
        analysed = {w.conf.id: w.metrics.analysed for w in watcher.workers}
    finally:
        stop.set()
        watcher.stop()
        server.send_signal(signal.SIGTERM)
        server.wait(10)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    alerts = [a for a in load_jsonl(work / "alerts.jsonl") if a["event"]["kind"] == "moved" and a["state"] == "open"]
    latencies = sorted(a["time"] - onset_wall[a["camera_id"]] for a in alerts if a["camera_id"] in onset_wall)
    figures = {
        "streams": args.streams, "stream": "1280x720 H.264 25 fps", "analysis_fps": args.fps, "window_s": round(wall, 1),
        "cores_used": round(cpu / wall, 3), "peak_rss_mb": round(peak[0], 1),
        "analysed_frames": analysed, "moved_alerts": len(alerts),
        "alert_latency_s": [round(x, 2) for x in latencies],
        "targets": {"cores_used": "<= 1.0", "peak_rss_mb": "<= 400", "alert_latency_s": "<= 3"},
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
