"""Footage I/O for the sample maker and the benchmarks: find and read OpenCV's vtest.avi,
read the first seconds of a clip, and write H.264 mp4 files with a fixed keyframe interval.

Scripts only (not part of the package). The synthesis itself lives in `tamper_cases.py` and is
pure numpy/OpenCV over arrays; this module is the I/O edge.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    REPO.parent / "shared" / "data" / "redistributable" / "vtest.avi",
)
TAMPER_CLIPS = REPO.parent / "shared" / "data" / "dev" / "tamper_clips"
DEV_MANIFEST = REPO.parent / "shared" / "data" / "dev" / "MANIFEST.tsv"


def find_vtest(explicit: str | os.PathLike | None = None) -> Path:
    """The vtest.avi to use: the explicit path, else Debian's opencv-doc copy, else ../shared."""
    if explicit is not None:
        p = Path(explicit)
        if not p.is_file():
            raise SystemExit(f"error: no such file: {p}")
        return p
    for p in VTEST_CANDIDATES:
        if p.is_file():
            return p
    raise SystemExit(
        "error: vtest.avi not found; install Debian's opencv-doc or pass its path "
        f"(looked in: {', '.join(map(str, VTEST_CANDIDATES))})"
    )


def iter_video(path: str | os.PathLike, *, limit_s: float | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(t, BGR frame) for every frame of a video file, t in seconds from its presentation time."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        t0 = None
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None else float(frame.time or 0.0)
            t0 = t if t0 is None else t0
            if limit_s is not None and t - t0 >= limit_s:
                break
            yield t - t0, frame.to_ndarray(format="bgr24")


def video_fps(path: str | os.PathLike) -> float:
    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
        return float(rate) if rate else 25.0


def write_mp4(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    crf: int = 26,
    keyframe_s: float = 2.0,
    preset: str = "veryfast",
) -> Path:
    """Encode BGR frames as H.264 (yuv420p, closed GOPs of `keyframe_s`, no B-frames: the
    structure of a typical IP camera stream). Written to a temporary name, then renamed."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.partial.mp4")
    rate = Fraction(fps).limit_denominator(1001)
    gop = max(1, round(fps * keyframe_s))
    count = 0
    try:
        with av.open(str(tmp), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=rate)
            stream.pix_fmt = "yuv420p"
            stream.options = {
                "crf": str(crf),
                "preset": preset,
                "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0",
            }
            for img in frames:
                if count == 0:
                    stream.height, stream.width = img.shape[:2]
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
                vf.pts = count
                vf.time_base = 1 / rate
                for packet in stream.encode(vf):
                    out.mux(packet)
                count += 1
            for packet in stream.encode():
                out.mux(packet)
        if count == 0:
            raise ValueError(f"no frames to write to {path}")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


class FrameBank:
    """The frames of the first `limit_s` seconds of a video, kept JPEG-compressed in memory
    (a minute of 576-line video in ~50 MB instead of ~600 MB), addressed by time. Beyond the
    end the footage plays backwards and forwards again (ping-pong), so a short pre-tamper
    stretch of a real clip can stand for a longer normal period."""

    def __init__(self, path: str | os.PathLike, *, width: int | None = None, limit_s: float | None = None, quality: int = 95):
        import cv2

        self.path = Path(path)
        self.fps = video_fps(path)
        self._jpegs: list[bytes] = []
        for _, img in iter_video(path, limit_s=limit_s):
            if width is not None and img.shape[1] != width:
                h = round(img.shape[0] * width / img.shape[1])
                img = cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA)
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
            self._jpegs.append(buf.tobytes())
            self.size = (img.shape[1], img.shape[0])
        if not self._jpegs:
            raise SystemExit(f"error: no frames decoded from {path}")

    def __len__(self) -> int:
        return len(self._jpegs)

    @property
    def duration_s(self) -> float:
        return len(self._jpegs) / self.fps

    def index_at(self, t: float) -> int:
        n = len(self._jpegs)
        i = int(round(t * self.fps))
        if n == 1:
            return 0
        period = 2 * (n - 1)
        i %= period
        return i if i < n else period - i

    def at(self, t: float) -> np.ndarray:
        import cv2

        return cv2.imdecode(np.frombuffer(self._jpegs[self.index_at(t)], np.uint8), cv2.IMREAD_COLOR)


def remux_repeated(segment: Path, dest: Path, times: int) -> None:
    """Concatenate `times` copies of `segment` by remuxing its packets with shifted timestamps."""
    import av

    tmp = dest.with_name(f".{dest.name}.partial")
    with av.open(str(segment)) as inp:
        ist = inp.streams.video[0]
        packets = [(bytes(p), p.pts, p.dts, p.is_keyframe) for p in inp.demux(ist) if p.dts is not None and p.size]
        tb = ist.time_base
        step = packets[1][1] - packets[0][1] if len(packets) > 1 else 1
        span = max(p[1] for p in packets) - min(p[1] for p in packets) + step
        with av.open(str(tmp), "w", format="mp4") as out:
            ost = out.add_stream_from_template(ist)
            for rep in range(times):
                off = rep * span
                for data, pts, dts, key in packets:
                    pkt = av.Packet(data)
                    pkt.pts, pkt.dts, pkt.time_base, pkt.is_keyframe = pts + off, dts + off, tb, key
                    pkt.stream = ost
                    out.mux(pkt)
    os.replace(tmp, dest)
