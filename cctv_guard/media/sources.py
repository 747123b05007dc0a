"""Sources: the only module that opens video files, image folders, single images and streams.

`open_source` probes what it is given and returns a `Source`; everything downstream receives
`Frame`s from `Source.frames()`: the picture, its time in seconds from the start of the source
(from the stream's presentation timestamps, not frame counts), its ordinal and whether it was a
keyframe. Video is decoded by `decode` (keyframes only, or sampled on a grid), image files are
read by `images`, and a picture is converted to an array only when asked (see `frame`).

Corrupt packets inside good footage are skipped and counted; an unreadable source raises
`SourceError` with a one-line message. Credentials in stream URLs never appear in messages.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

from cctv_guard.core.errors import SourceError
from cctv_guard.core.redact import redact_uri as redact
from cctv_guard.core.text import path_text
from cctv_guard.media.decode import DecodeStats, Sampler, Tally, decode_video, intra_only_codec
from cctv_guard.media.frame import Frame, shrink_to_width
from cctv_guard.media.images import IMAGE_SUFFIXES, image_times, iter_images, list_images, read_image

SourceKind = Literal["video", "images", "image", "stream"]

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".ts", ".mts", ".webm", ".mjpeg", ".mjpg", ".h264", ".h265",
                            ".hevc", ".flv", ".264", ".265", ".dav"})  # .264/.265/.dav: NVR exports
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")


@dataclass(frozen=True)
class SourceInfo:
    uri: str  # credentials redacted; a file name that is not UTF-8 shown with \xNN escapes (core.text.path_text)
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
    return info.kind in ("video", "stream") and bool(info.codec) and not intra_only_codec(info.codec)


def is_stream_uri(uri: str) -> bool:
    return str(uri).lower().startswith(STREAM_SCHEMES)


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
        self._tally = Tally()

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
        """What the last (or current) pass of `frames()` decoded, handed on and skipped."""
        return self._tally.stats

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
        sampler = Sampler(every)
        self._tally = tally = Tally()
        if self.kind in ("image", "images"):
            yield from self._image_frames(tally, sampler, start, end, max_width)
            return
        try:
            yield from decode_video(self._open_container, tally, sampler, keyframes_only=keyframes_only, start=start, end=end,
                                    max_width=max_width, wall_clock=sample_clock == "wall", threads=threads,
                                    with_keyframes=with_keyframes, fps=self.info.fps, seekable=self.kind == "video",
                                    live=self.kind == "stream")
        finally:
            if self.kind == "video" and self.info.duration_s and tally.decoded == 0:
                tally.ended_early = True
            if self.kind == "video" and cut_short(tally, self.info.duration_s, _file_size(self._uri)):
                tally.truncated, tally.ended_early = True, False

    # images
    def _image_frames(self, tally: Tally, sampler: Sampler, start, end, max_width) -> Iterator[Frame]:
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
                tally.corrupt_skipped += 1
                continue
            tally.decoded += 1
            img = shrink_to_width(img, max_width)
            tally.yielded += 1
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


# How far short of its declared duration a file's last frame may end (the last frame's own
# length, a rounded header) before the file counts as cut short.
TRUNCATION_SLACK_S = 1.0
# A file whose packets stop within this many bytes of its end ran out of data (the final packet,
# cut in two, is dropped by some demuxers).
TRUNCATION_SLACK_BYTES = 1 << 20


def cut_short(tally: Tally, declared_s: float | None, file_size: int | None) -> bool:
    """Whether a pass over a file ran out of data before the duration its own header declares:
    the demuxer reached the end of the data, the last packet read ends at (or next to) the end
    of the file, and the last frame lies well before the declared end. A copy cut short, not a
    recording that stopped (which a finished file's header would say)."""
    if not (tally.reached_end and declared_s and file_size and tally.last_t is not None):
        return False
    return declared_s - tally.last_t > TRUNCATION_SLACK_S and file_size - tally.data_end <= TRUNCATION_SLACK_BYTES


def truncated_input_error(info: SourceInfo, stats: DecodeStats) -> SourceError:
    """The one-line error for a file that `cut_short` found cut short (see `DecodeStats.truncated`)."""
    ends = f"{stats.last_t:.1f} s" if stats.last_t is not None else "its start"
    declared = f"{info.duration_s:.1f} s" if info.duration_s else "the length"
    return SourceError(f"{info.uri} is truncated input: its data ends at {ends} of the {declared} its own header declares "
                       "(an incomplete copy or download, not a recording that stopped)")


def _file_size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


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
        info = SourceInfo(redact(uri) if kind == "stream" else path_text(uri), kind, width, height, fps, duration, codec, frames)
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
        info = SourceInfo(path_text(path), "images", w, h, None, times[-1] if len(times) > 1 else None, None, len(images))
        return Source(str(path), "images", info, timeout_s=timeout_s, image_paths=images)
    if not os.access(path, os.R_OK):
        raise SourceError(f"permission denied: {path}")
    if path.stat().st_size == 0:
        raise SourceError(f"empty file: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        img = read_image(path)
        h, w = img.shape[:2]
        info = SourceInfo(path_text(path), "image", w, h, None, None, None, 1)
        return Source(str(path), "image", info, timeout_s=timeout_s, image_paths=[path])
    info = _probe_video(str(path), "video", timeout_s)
    return Source(str(path), "video", info, timeout_s=timeout_s)
