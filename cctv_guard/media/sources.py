"""Sources: the only module that opens video files, image folders, single images and streams.

Everything downstream receives `Frame`s: the picture, its time in seconds from the start of the
source (from the stream's presentation timestamps, not frame counts), its ordinal and whether it
was a keyframe. Two decoding paths keep analysis at the speed of the decoder:

* keyframes only (`keyframes_only=True`): non-key packets are never handed to the decoder;
* sampled (`every=0.5`): every packet is decoded (that is unavoidable for inter frames) but only
  frames on the sampling grid are handed on.

A decoded picture is converted to an array only when asked, and only to what is asked for: BGR
(`Frame.image`, at most `max_width` wide) or grey at the analysis size (`Frame.gray`), both made
from the YUV planes inside swscale, which is far cheaper than converting every frame to BGR.

Corrupt packets inside good footage are skipped and counted; an unreadable source raises
`SourceError` with a one-line message. Credentials in stream URLs never appear in messages.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, Literal, Sequence

import numpy as np

from cctv_guard.core.errors import SourceError
from cctv_guard.core.redact import redact_uri as redact

SourceKind = Literal["video", "images", "image", "stream"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".ts", ".mts", ".webm", ".mjpeg", ".mjpg", ".h264", ".h265",
                            ".hevc", ".flv", ".264", ".265", ".dav"})  # .264/.265/.dav: NVR exports
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")

# A run of this many undecodable packets in a row means the rest of the file is garbage.
MAX_CONSECUTIVE_CORRUPT = 200
DEFAULT_IMAGE_INTERVAL_S = 1.0


class Frame:
    """One frame: its time in seconds from the start of the source, its ordinal among the
    frames an iteration yielded, whether it was a keyframe, whether its footage codes every frame
    on its own (`intra_only`: images, MJPEG; then every frame is a keyframe and that says
    nothing), and its picture.

    `image` is the picture as BGR uint8 (at most the `max_width` asked for); `gray(size)` is it
    as grey uint8 at exactly `size` (w, h), the form the tamper analysis works on. A decoded video
    picture is converted only when one of them is asked for (in the thread that asks), straight
    from its YUV planes inside swscale: most analysed frames never need a BGR copy.
    A picture that cannot be converted raises ValueError.
    """

    __slots__ = ("t", "index", "keyframe", "intra_only", "_image", "_picture", "_max_width")

    def __init__(self, image: np.ndarray | None, t: float, index: int, keyframe: bool, *, picture=None,
                 max_width: int | None = None, intra_only: bool = False):
        if image is None and picture is None:
            raise ValueError("a Frame needs an image or a decoded picture")
        self.t = t
        self.index = index
        self.keyframe = keyframe
        self.intra_only = intra_only
        self._image = image
        self._picture = picture  # an av.VideoFrame
        self._max_width = max_width

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            self._image = _convert(self._picture, "bgr24", *_fit_width(self._picture.width, self._picture.height, self._max_width))
        return self._image

    def gray(self, size: tuple[int, int]) -> np.ndarray:
        """The picture in grey (full range 0-255) at exactly `size` = (w, h), area-averaged."""
        w, h = int(size[0]), int(size[1])
        if self._picture is not None:
            return _convert(self._picture, "gray", w, h, "AREA")
        from cctv_guard.tamper.baseline import analysis_gray

        return analysis_gray(self._image, (w, h))

    def bgr(self, width: int) -> np.ndarray:
        """The picture as BGR uint8 `width` pixels wide (aspect kept): a cheap thumbnail."""
        if self._picture is not None and self._image is None:
            p = self._picture
            return _convert(p, "bgr24", int(width), max(1, round(p.height * width / p.width)), "AREA")
        import cv2

        img = self.image
        h = max(1, round(img.shape[0] * width / img.shape[1]))
        return cv2.resize(img, (int(width), h), interpolation=cv2.INTER_AREA)

    def __repr__(self) -> str:
        return f"Frame(t={self.t:.3f}, index={self.index}, keyframe={self.keyframe})"


@dataclass(frozen=True)
class SourceInfo:
    uri: str  # credentials redacted
    kind: SourceKind
    width: int
    height: int
    fps: float | None
    duration_s: float | None
    codec: str | None
    frame_count: int | None


def inter_coded(info: SourceInfo) -> bool:
    """Whether footage is coded with inter frames (H.264, H.265...: keyframes then frames coded
    from them), as opposed to images and intra-only codecs (MJPEG)."""
    return info.kind in ("video", "stream") and bool(info.codec) and not _intra_only_codec(info.codec)


def _intra_only_codec(name: str | None) -> bool:
    import av

    if not name:
        return False
    try:
        return bool(av.codec.Codec(name, "r").intra_only)
    except (ValueError, av.error.FFmpegError):  # an unknown codec name: assume the common case
        return False


@dataclass(frozen=True)
class DecodeStats:
    decoded: int = 0  # frames the decoder produced
    yielded: int = 0  # frames handed to the caller
    corrupt_skipped: int = 0  # packets/frames/images that could not be decoded
    stalled: bool = False  # a live stream stopped delivering within the timeout
    ended_early: bool = False  # the source ended before its declared duration / on an error


@dataclass(frozen=True)
class ImageItem:
    """One entry of an image listing: either an image or the reason it could not be read."""

    path: Path
    image: np.ndarray | None
    error: str | None


def is_stream_uri(uri: str) -> bool:
    return str(uri).lower().startswith(STREAM_SCHEMES)


# --- images -------------------------------------------------------------------------------------


def to_bgr8(img: np.ndarray) -> np.ndarray:
    """Normalise any decoded image (grey, grey+alpha, BGRA, 16-bit, float) to BGR uint8."""
    import cv2

    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(img * (255.0 if img.max(initial=0) <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    channels = img.shape[2]
    if channels == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    if channels == 2:  # grey + alpha
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(img[:, :, :3])


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as BGR uint8, or raise SourceError with a one-line reason."""
    import cv2

    p = Path(path)
    if not p.exists():
        raise SourceError(f"no such file: {p}")
    if p.is_dir():
        raise SourceError(f"expected an image file, found a folder: {p}")
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"cannot read {p}: {exc.strerror or exc}") from None
    if data.size == 0:
        raise SourceError(f"empty file: {p}")
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION) if data.size else None
    if img is None or img.size == 0:
        raise SourceError(f"not a readable image: {p}")
    return to_bgr8(img)


def list_images(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """Image files in a folder, in natural order (frame_2 before frame_10)."""
    root = Path(folder)
    walker = root.rglob("*") if recursive else root.iterdir()
    files = [p for p in walker if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=natural_key)


def iter_images(paths: Iterable[str | os.PathLike]) -> Iterator[ImageItem]:
    """Read each path; unreadable images are yielded with their error instead of raising."""
    for p in paths:
        try:
            yield ImageItem(Path(p), read_image(p), None)
        except SourceError as exc:
            yield ImageItem(Path(p), None, str(exc))


def natural_key(p: Path) -> list:
    """Sort key for paths in natural order: frame_2 before frame_10."""
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", str(p))]


_STAMP = re.compile(
    r"(?P<y>(?:19|20)\d\d)-?(?P<mo>[01]\d)-?(?P<d>[0-3]\d)[T_ -]?(?P<h>[0-2]\d)[-:_.]?(?P<mi>[0-5]\d)[-:_.]?(?P<s>[0-5]\d)(?:[._](?P<ms>\d{1,6}))?"
)


def timestamp_from_name(name: str) -> datetime | None:
    """A date-time embedded in a file name (20261128T083000, 2026-11-28_08-30-00.250...)."""
    m = _STAMP.search(name)
    if not m:
        return None
    try:
        us = int((m.group("ms") or "0").ljust(6, "0"))
        return datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]), us)
    except ValueError:
        return None


def image_times(paths: Sequence[Path], interval_s: float = DEFAULT_IMAGE_INTERVAL_S) -> list[float]:
    """Seconds from the first image: from time stamps in the names when every name has one and
    they increase, else from the order at `interval_s` apart."""
    stamps = [timestamp_from_name(p.name) for p in paths]
    if stamps and all(s is not None for s in stamps):
        secs = [(s - stamps[0]).total_seconds() for s in stamps]  # type: ignore[operator]
        if all(b >= a for a, b in zip(secs, secs[1:])):
            return secs
    return [i * interval_s for i in range(len(paths))]


# --- the Source ---------------------------------------------------------------------------------


class Source:
    """An opened source. Use as a context manager; iterate `frames()` once or more (files)."""

    def __init__(self, uri: str, kind: SourceKind, info: SourceInfo, *, timeout_s: float, image_paths: list[Path] | None = None,
                 rtsp_transport: str = "tcp"):
        self._uri = uri
        self._transport = rtsp_transport
        self.kind = kind
        self.info = info
        self._timeout_s = timeout_s
        self._image_paths = image_paths or []
        self._container = None
        self._opened_once = False
        self._counts = dict(decoded=0, yielded=0, corrupt_skipped=0)
        self._stalled = False
        self._ended_early = False

    # context manager
    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None

    @property
    def stats(self) -> DecodeStats:
        return DecodeStats(stalled=self._stalled, ended_early=self._ended_early, **self._counts)

    def frames(
        self,
        *,
        every: float | None = None,
        keyframes_only: bool = False,
        start: float | None = None,
        end: float | None = None,
        max_width: int | None = None,
        sample_clock: Literal["pts", "wall"] = "pts",
        threads: int | None = None,
        with_keyframes: float | None = None,
    ) -> Iterator[Frame]:
        """Frames in time order. `every` samples one frame per that many seconds; `keyframes_only`
        decodes only keyframes (images count as keyframes); [start, end) bounds in seconds;
        `max_width` downscales (keeping aspect) while converting, which is cheap.
        `sample_clock="wall"` spaces samples by arrival time instead of stream time: for live
        streams whose time stamps are synthetic (HTTP MJPEG gets a made-up 25 fps).
        `threads` caps the decoder's threads (None: FFmpeg's choice, one per core; 1: decode in
        the calling thread only, for pool workers that each own one core). `with_keyframes=S` also
        yields keyframes between samples, at most one per S seconds (0: all of them): a baseline
        measures how a live picture changes at keyframes (see `health`)."""
        if every is not None and every <= 0:
            raise SourceError(f"--every must be positive seconds, got {every}")
        if start is not None and end is not None and end <= start:
            raise SourceError(f"the window is empty: end {end} s is not after start {start} s")
        sampler = _Sampler(every)
        self._counts = dict(decoded=0, yielded=0, corrupt_skipped=0)
        self._stalled = self._ended_early = False
        if self.kind in ("image", "images"):
            yield from self._image_frames(sampler, start, end, max_width)
        else:
            yield from self._video_frames(sampler, keyframes_only, start, end, max_width, sample_clock == "wall", threads,
                                          with_keyframes)

    # images
    def _image_frames(self, sampler: "_Sampler", start, end, max_width) -> Iterator[Frame]:
        times = image_times(self._image_paths)
        index = 0
        for path, t in zip(self._image_paths, times):
            if start is not None and t < start:
                continue
            if end is not None and t >= end:
                break
            if not sampler.take(t):
                continue
            try:
                img = read_image(path)
            except SourceError:
                self._counts["corrupt_skipped"] += 1
                continue
            self._counts["decoded"] += 1
            img = _downscale(img, max_width)
            self._counts["yielded"] += 1
            yield Frame(img, float(t), index, True, intra_only=True)
            index += 1

    # video files and streams
    def _open_container(self):
        if self._container is not None and self.kind == "stream" and not self._opened_once:
            self._opened_once = True  # the container the probe left open
            return self._container
        self._opened_once = True
        if self._container is not None:
            self._container.close()
        self._container = _av_open(self._uri, self.kind, self._timeout_s, self._transport)
        return self._container

    def _video_frames(self, sampler: "_Sampler", keyframes_only, start, end, max_width, wall_clock=False,
                      threads: int | None = None, with_keyframes: float | None = None) -> Iterator[Frame]:
        import av

        container = self._open_container()
        stream = container.streams.video[0]
        intra_only = _intra_only_codec(stream.codec_context.name)
        if threads is not None and threads <= 1:
            stream.thread_type = "NONE"
        else:
            stream.thread_type = "AUTO"
            if threads:
                stream.codec_context.thread_count = int(threads)
        if keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        tb = stream.time_base or Fraction(1, 90000)
        origin = _stream_origin(container, stream)
        fps = self.info.fps or 25.0
        if start and start > 1.0 and self.kind == "video":
            try:  # land on the keyframe at or before `start`; frames before it are dropped below
                container.seek(int((start + origin) / tb), stream=stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                container.close()
                container = self._open_container()
                stream = container.streams.video[0]
        index = 0
        consecutive_bad = 0
        fallback_n = 0
        next_key_t = -math.inf
        try:
            for packet in _packets(container, stream, self):
                if keyframes_only and not packet.is_keyframe and packet.size:
                    continue
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError:
                    self._counts["corrupt_skipped"] += 1
                    consecutive_bad += 1
                    if consecutive_bad >= MAX_CONSECUTIVE_CORRUPT:
                        self._ended_early = True
                        return
                    continue
                consecutive_bad = 0
                for frame in decoded:
                    self._counts["decoded"] += 1
                    if frame.pts is not None:
                        t = float(frame.pts * tb) - origin
                    else:
                        t = fallback_n / fps
                    fallback_n += 1
                    if start is not None and t < start - 1e-6:
                        continue
                    if end is not None and t >= end - 1e-6:
                        return
                    if not sampler.take(time.monotonic() if wall_clock else t):
                        if with_keyframes is None or not frame.key_frame or t < next_key_t:
                            continue
                        next_key_t = t + with_keyframes - 1e-6
                    self._counts["yielded"] += 1
                    yield Frame(None, t, index, bool(frame.key_frame), picture=frame, max_width=max_width,
                                intra_only=intra_only)
                    index += 1
        finally:
            self._finish_check()

    def _finish_check(self) -> None:
        if self.kind == "video" and self.info.duration_s and self._counts["decoded"] == 0:
            self._ended_early = True


class _Sampler:
    """Keeps one frame per `every` seconds on a fixed grid; re-anchors after gaps."""

    def __init__(self, every: float | None):
        self.every = every
        self.next_t: float | None = None

    def take(self, t: float) -> bool:
        if self.every is None:
            return True
        if self.next_t is None or t >= self.next_t - 1e-6:
            nxt = (self.next_t if self.next_t is not None else t) + self.every
            self.next_t = nxt if nxt > t else t + self.every
            return True
        return False


def _packets(container, stream, src: Source):
    """Demux packets of one stream; a read error or stall ends iteration and is recorded."""
    import av

    it = container.demux(stream)
    while True:
        try:
            packet = next(it)
        except StopIteration:
            return
        except (av.error.InvalidDataError, av.error.ValueError):
            src._counts["corrupt_skipped"] += 1
            src._ended_early = True
            return
        except (av.error.ExitError, TimeoutError, av.error.OSError):
            if src.kind == "stream":
                src._stalled = True
            src._ended_early = True
            return
        except av.error.FFmpegError:
            src._ended_early = True
            return
        yield packet  # the final empty packet flushes the decoder's buffered frames


def _fit_width(width: int, height: int, max_width: int | None) -> tuple[int, int]:
    """(w, h) of a picture downscaled to at most `max_width` (even sizes for swscale), aspect kept."""
    if max_width and width > max_width:
        w = int(max_width) // 2 * 2
        return w, max(2, int(round(height * w / width)) // 2 * 2)
    return width, height


_local = threading.local()


def _convert(picture, fmt: str, width: int, height: int, interpolation: str | None = None) -> np.ndarray:
    """A decoded picture as an array in `fmt` at (width, height). One swscale context per
    thread is kept and reused: creating one per frame cost more than the conversion."""
    import av
    from av.video.reformatter import VideoReformatter

    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        reformatter = _local.reformatter = VideoReformatter()
    try:
        return reformatter.reformat(picture, format=fmt, width=width, height=height, interpolation=interpolation).to_ndarray()
    except (av.error.FFmpegError, ValueError) as exc:
        raise ValueError(f"a decoded picture could not be converted: {exc}") from None


def _downscale(img: np.ndarray, max_width: int | None) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    if max_width and w > max_width:
        nh = max(1, int(round(h * max_width / w)))
        return cv2.resize(img, (int(max_width), nh), interpolation=cv2.INTER_AREA)
    return img


def _stream_origin(container, stream) -> float:
    """The time (s) that counts as 0: the stream's start time, else the container's."""
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return container.start_time / 1_000_000
    return 0.0


def _av_open(uri: str, kind: SourceKind, timeout_s: float, transport: str = "tcp"):
    import av

    shown = redact(uri)
    options = {}
    fmt = None
    if kind == "stream":
        if uri.lower().startswith(("rtsp://", "rtsps://")):
            options["rtsp_transport"] = transport
        if uri.startswith("/dev/video"):
            fmt = "v4l2"  # a local capture device
        timeout = (timeout_s, timeout_s)
    else:
        timeout = None
    began = time.monotonic()
    try:
        container = av.open(uri, mode="r", format=fmt, options=options, timeout=timeout)
    except av.error.FileNotFoundError:
        raise SourceError(f"no such file: {shown}") from None
    except (av.error.ExitError, av.error.InvalidDataError) if kind == "stream" else av.error.ExitError:
        if time.monotonic() - began >= 0.9 * timeout_s:
            raise SourceError(f"stream {shown} did not answer within {timeout_s:g} s") from None
        raise SourceError(f"stream {shown} sent no readable video") from None
    except av.error.InvalidDataError:
        raise SourceError(f"{shown} is not a readable video (unknown format, truncated or corrupt)") from None
    except av.error.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SourceError(f"cannot open {shown}: {_one_line(reason)}") from None
    except (OSError, TimeoutError) as exc:
        raise SourceError(f"cannot open {shown}: {_one_line(str(exc))}") from None
    if not container.streams.video:
        container.close()
        raise SourceError(f"{shown} has no video stream")
    return container


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text[:200]


def _probe_video(uri: str, kind: SourceKind, timeout_s: float, *, keep: bool = False, transport: str = "tcp"):
    """SourceInfo of a video or stream; with `keep`, also the still-open container (a live
    stream is not opened twice: each opening costs a handshake and restarts some servers)."""
    import av

    container = _av_open(uri, kind, timeout_s, transport)
    kept = probe_decoded = False
    try:
        stream = container.streams.video[0]
        cc = stream.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        fps = float(stream.average_rate) if stream.average_rate else (float(stream.guessed_rate) if stream.guessed_rate else None)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        frames = int(stream.frames) if stream.frames else None
        codec = cc.name
        if width == 0 or height == 0:
            # Some containers only know the size after the first frame: decode one.
            try:
                for frame in container.decode(stream):
                    width, height = frame.width, frame.height
                    probe_decoded = True
                    break
            except av.error.FFmpegError:
                pass
        if width == 0 or height == 0:
            raise SourceError(f"{redact(uri)} has a video stream without a readable picture")
        if kind == "video" and not _has_decodable_frame(uri, kind, timeout_s):
            raise SourceError(f"{redact(uri)} contains no decodable video frames (truncated or corrupt)")
        info = SourceInfo(redact(uri), kind, width, height, fps, duration, codec, frames)
        if keep and not probe_decoded:
            kept = True
            return info, container
        return (info, None) if keep else info
    finally:
        if not kept:
            container.close()


def _has_decodable_frame(uri: str, kind: SourceKind, timeout_s: float) -> bool:
    import av

    container = _av_open(uri, kind, timeout_s)
    try:
        for n, packet in enumerate(container.demux(container.streams.video[0])):
            try:
                if packet.decode():
                    return True
            except av.error.FFmpegError:
                pass
            if n > 300:
                return False
        return False
    except av.error.FFmpegError:
        return False
    finally:
        container.close()


def open_source(uri: str | os.PathLike, *, timeout_s: float = 10.0, rtsp_transport: str = "tcp") -> Source:
    """Open a video file, image folder, single image, stream URL (RTSP over `rtsp_transport`
    "tcp" or "udp", HTTP MJPEG/HLS, RTMP...) or local capture device (/dev/videoN).

    Raises SourceError (one line) when it cannot be opened or holds nothing to analyse."""
    text = str(uri)
    if not text.strip():
        raise SourceError("empty source path")
    if rtsp_transport not in ("tcp", "udp"):
        raise SourceError(f"RTSP transport must be tcp or udp, not {rtsp_transport!r}")
    if is_stream_uri(text) or text.startswith("/dev/video"):
        info, container = _probe_video(text, "stream", timeout_s, keep=True, transport=rtsp_transport)
        source = Source(text, "stream", info, timeout_s=timeout_s, rtsp_transport=rtsp_transport)
        source._container = container
        return source
    path = Path(text)
    if not path.exists():
        raise SourceError(f"no such file or folder: {path}")
    if path.is_dir():
        images = list_images(path)
        if not images:
            raise SourceError(f"no images found in folder {path} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
        first = next((item.image for item in iter_images(images[:20]) if item.image is not None), None)
        if first is None:
            raise SourceError(f"none of the first images in {path} could be read")
        h, w = first.shape[:2]
        times = image_times(images)
        info = SourceInfo(str(path), "images", w, h, None, times[-1] if len(times) > 1 else None, None, len(images))
        return Source(str(path), "images", info, timeout_s=timeout_s, image_paths=images)
    if not os.access(path, os.R_OK):
        raise SourceError(f"permission denied: {path}")
    if path.stat().st_size == 0:
        raise SourceError(f"empty file: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        img = read_image(path)
        h, w = img.shape[:2]
        info = SourceInfo(str(path), "image", w, h, None, None, None, 1)
        return Source(str(path), "image", info, timeout_s=timeout_s, image_paths=[path])
    info = _probe_video(str(path), "video", timeout_s)
    return Source(str(path), "video", info, timeout_s=timeout_s)
