"""Decoding: a PyAV container's packets into `Frame`s, on a sampling grid, at decoder speed.

Two paths keep analysis at the speed of the decoder:

* keyframes only (`keyframes_only=True`): non-key packets are never handed to the decoder;
* sampled (`every=0.5`): every packet is decoded (that is unavoidable for inter frames) but only
  frames on the sampling grid are handed on.

Times are the stream's presentation timestamps (seconds from its start), not frame counts.
Corrupt packets inside good footage are skipped and counted in a `Tally`; a run of
MAX_CONSECUTIVE_CORRUPT of them, a read error or a stall ends decoding and is recorded there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterator

from cctv_guard.media.frame import Frame

# A run of this many undecodable packets in a row means the rest of the file is garbage.
MAX_CONSECUTIVE_CORRUPT = 200


@dataclass(frozen=True)
class DecodeStats:
    decoded: int = 0  # frames the decoder produced
    yielded: int = 0  # frames handed to the caller
    corrupt_skipped: int = 0  # packets/frames/images that could not be decoded
    stalled: bool = False  # a live stream stopped delivering within the timeout
    ended_early: bool = False  # the source ended before its declared duration / on an error
    truncated: bool = False  # a file whose data runs out before the duration its own header declares
    last_t: float | None = None  # time of the last packet read (how far into the footage the pass got)


class Tally:
    """The counts of one pass over a source, kept while it runs; `stats` is their snapshot.
    `reached_end`: the demuxer ran out of data; `data_end`: the byte offset where the data of the
    last packet read ends (how far into a file the pass got)."""

    __slots__ = ("decoded", "yielded", "corrupt_skipped", "stalled", "ended_early", "truncated", "last_t", "reached_end",
                 "data_end")

    def __init__(self) -> None:
        self.decoded = self.yielded = self.corrupt_skipped = self.data_end = 0
        self.stalled = self.ended_early = self.truncated = self.reached_end = False
        self.last_t: float | None = None

    @property
    def stats(self) -> DecodeStats:
        return DecodeStats(self.decoded, self.yielded, self.corrupt_skipped, self.stalled, self.ended_early, self.truncated,
                           self.last_t)


class Sampler:
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


def intra_only_codec(name: str | None) -> bool:
    """Whether a codec (by FFmpeg name) codes every frame on its own (MJPEG), unlike H.264/H.265."""
    import av

    if not name:
        return False
    try:
        return bool(av.codec.Codec(name, "r").intra_only)
    except (ValueError, av.error.FFmpegError):  # an unknown codec name: assume the common case
        return False


def decode_video(
    open_container: Callable[[], object],
    tally: Tally,
    sampler: Sampler,
    *,
    keyframes_only: bool = False,
    start: float | None = None,
    end: float | None = None,
    max_width: int | None = None,
    wall_clock: bool = False,
    threads: int | None = None,
    with_keyframes: float | None = None,
    fps: float | None = None,
    seekable: bool = True,
    live: bool = False,
) -> Iterator[Frame]:
    """Frames of the first video stream of the container `open_container()` gives (called again
    after a failed seek), in time order (see `sources.Source.frames` for the options). `fps`
    times frames without time stamps; `seekable`: a file, where a late `start` is sought;
    `live`: a stream, where a read timeout is a stall."""
    import av

    container = open_container()
    stream = container.streams.video[0]
    intra_only = intra_only_codec(stream.codec_context.name)
    if threads is not None and threads <= 1:
        stream.thread_type = "NONE"
    else:
        stream.thread_type = "AUTO"
        if threads:
            stream.codec_context.thread_count = int(threads)
    if keyframes_only:
        stream.codec_context.skip_frame = "NONKEY"
    tb = stream.time_base or Fraction(1, 90000)
    origin = stream_origin(container, stream)
    fps = fps or 25.0
    if start and start > 1.0 and seekable:
        try:  # land on the keyframe at or before `start`; frames before it are dropped below
            container.seek(int((start + origin) / tb), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container.close()
            container = open_container()
            stream = container.streams.video[0]
    index = 0
    consecutive_bad = 0
    fallback_n = 0
    next_key_t = -math.inf
    tb_s = float(tb)
    for packet in packets(container, stream, tally, live):
        if packet.pts is not None and packet.size:
            t = packet.pts * tb_s - origin
            tally.last_t = t if tally.last_t is None else max(tally.last_t, t)
        if keyframes_only and not packet.is_keyframe and packet.size:
            continue
        try:
            decoded = packet.decode()
        except av.error.FFmpegError:
            tally.corrupt_skipped += 1
            consecutive_bad += 1
            if consecutive_bad >= MAX_CONSECUTIVE_CORRUPT:
                tally.ended_early = True
                return
            continue
        consecutive_bad = 0
        for frame in decoded:
            tally.decoded += 1
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
            tally.yielded += 1
            yield Frame(None, t, index, bool(frame.key_frame), picture=frame, max_width=max_width, intra_only=intra_only)
            index += 1


def packets(container, stream, tally: Tally, live: bool = False):
    """Demux packets of one stream; a read error or stall ends iteration and is recorded. A live
    stream that closes (end of data) has ended early: a stream has no end of its own."""
    import av

    it = container.demux(stream)
    while True:
        try:
            packet = next(it)
        except (StopIteration, EOFError):  # av.error.EOFError is an EOFError
            tally.reached_end = True
            tally.ended_early = tally.ended_early or live
            return
        except (av.error.ExitError, TimeoutError):  # no data within the timeout (av.error.TimeoutError is a TimeoutError)
            tally.stalled = tally.stalled or live
            tally.ended_early = True
            return
        except OSError:  # a dropped connection, a read error (av.error.OSError and kin are OSErrors)
            tally.ended_early = True
            return
        except ValueError:  # av.error.InvalidDataError: unreadable data where the next packet should be
            tally.corrupt_skipped += 1
            tally.ended_early = tally.reached_end = True
            return
        except av.error.FFmpegError:
            tally.ended_early = True
            return
        if packet.size and packet.pos is not None and packet.pos >= 0:
            tally.data_end = max(tally.data_end, packet.pos + packet.size)
        yield packet  # the final empty packet flushes the decoder's buffered frames


def stream_origin(container, stream) -> float:
    """The time (s) that counts as 0: the stream's start time, else the container's."""
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return container.start_time / 1_000_000
    return 0.0
