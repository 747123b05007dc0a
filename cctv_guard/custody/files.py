"""The files of a footage archive: walking the tree, reading container headers, hashing.

Memory stays bounded for millions of files: the tree is walked in sorted order with
``os.scandir`` (only one directory listing per level is held) and merge-compared with a
manifest in the same order (:func:`merge_walk`). Symlink loops, broken links, links that leave
the archive (not followed unless asked) and unreadable files are reported as
:class:`Problem`\\ s, never fatal.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from cctv_guard.core.errors import ArchiveError
from cctv_guard.core.progress import ProgressFn, report
from cctv_guard.core.text import path_text
from cctv_guard.media.sources import VIDEO_SUFFIXES

SEAL_DIR = ".cctv-guard"  # what cctv-guard keeps inside an archive (its seals): never footage
CHUNK = 1 << 20

E = TypeVar("E")


# --- walking the tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStat:
    rel: str  # POSIX path relative to the root, as text (a name that is not UTF-8 with \xNN escapes)
    size: int
    mtime_ns: int
    path: str = ""  # where the file is on disk (the name as the filesystem has it)


@dataclass(frozen=True)
class Problem:
    path: str
    problem: str

    def to_json(self) -> dict:
        return {"path": self.path, "problem": self.problem}


def path_key(rel: str) -> tuple[str, ...]:
    """The order of the sorted walk: by path components (a directory's files come together)."""
    return tuple(rel.split("/"))


def require_root(root: Path) -> os.stat_result:
    """The stat of an archive root, or ArchiveError when it is missing or not a directory."""
    try:
        root_st = os.stat(root)
    except OSError as exc:
        raise ArchiveError(f"cannot read archive root {path_text(root)}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(root_st.st_mode):
        raise ArchiveError(f"archive root must be a directory, found a file: {path_text(root)}")
    return root_st


def outside(target: str, real_root: str) -> bool:
    """Whether the resolved path ``target`` lies outside the resolved directory ``real_root``."""
    return os.path.commonpath([target, real_root]) != real_root


def walk_files(root: Path, report: Callable[[Problem], None], exclude: Iterable[str] = (SEAL_DIR,), *,
               follow_outside: bool = True) -> Iterator[FileStat]:
    """Regular files below ``root`` in :func:`path_key` order, following symlinks that stay inside
    ``root`` and, unless ``follow_outside`` is False (seals: what they hash must be the archive's),
    those that leave it too.

    Symlink loops, broken links, links that leave the root, unreadable directories and special
    files go to ``report``. ``exclude`` names top-level entries to skip (the seal directory). Paths
    are text (:func:`~cctv_guard.core.text.path_text`: a name that is not UTF-8 keeps its bytes as
    ``\\xNN``); ``FileStat.path`` is where to open the file."""
    root = Path(root)
    root_st = require_root(root)
    real_root = os.path.realpath(root)
    skip = frozenset(exclude)

    def listing(path: str, rel: str) -> list[os.DirEntry]:
        try:
            with os.scandir(path) as it:
                return sorted(it, key=lambda e: path_text(e.name))
        except OSError as exc:
            report(Problem(rel or ".", f"unreadable directory ({exc.strerror or exc})"))
            return []

    stack: list[tuple[Iterator[os.DirEntry], str, frozenset]] = [
        (iter(listing(str(root), "")), "", frozenset({(root_st.st_dev, root_st.st_ino)}))
    ]
    while stack:
        entries, prefix, ancestors = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if not prefix and entry.name in skip:
            continue
        rel = prefix + path_text(entry.name)
        if not follow_outside and entry.is_symlink():
            target = os.path.realpath(entry.path)
            if outside(target, real_root):
                report(Problem(rel, f"symlink to {path_text(target)}, outside the archive: not followed"))
                continue
        try:
            st = entry.stat()  # follows symlinks
        except FileNotFoundError:
            report(Problem(rel, "broken symlink"))
            continue
        except OSError as exc:
            if exc.errno == 40:  # ELOOP
                report(Problem(rel, "symlink loop"))
            else:
                report(Problem(rel, f"cannot stat ({exc.strerror or exc})"))
            continue
        if stat.S_ISDIR(st.st_mode):
            ident = (st.st_dev, st.st_ino)
            if ident in ancestors:
                report(Problem(rel, "symlink loop (points back to a parent directory)"))
                continue
            stack.append((iter(listing(entry.path, rel)), rel + "/", ancestors | {ident}))
        elif stat.S_ISREG(st.st_mode):
            yield FileStat(rel, st.st_size, st.st_mtime_ns, entry.path)
        else:
            report(Problem(rel, "not a regular file (skipped)"))


def merge_walk(
    files: Iterator[FileStat], entries: Iterator[tuple[tuple[str, ...], E]]
) -> Iterator[tuple[FileStat | None, E | None]]:
    """Pair the sorted walk with sorted ``(path_key, entry)`` pairs (a manifest):
    (file, entry), (file, None) or (None, entry)."""
    current = ((path_key(f.rel), f) for f in files)
    cur, prev = next(current, None), next(entries, None)
    while cur is not None or prev is not None:
        if prev is None or (cur is not None and cur[0] < prev[0]):
            yield cur[1], None
            cur = next(current, None)
        elif cur is None or prev[0] < cur[0]:
            yield None, prev[1]
            prev = next(entries, None)
        else:
            yield cur[1], prev[1]
            cur, prev = next(current, None), next(entries, None)


# --- media headers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaTimes:
    duration_s: float | None
    first_ts: float | None  # container start time (media timeline, seconds)
    last_ts: float | None
    created: datetime | None  # creation_time metadata, naive local time


def probe_media(path: Path) -> MediaTimes | None:
    """Duration and start time from the container header, without decoding; None if unreadable."""
    import av

    try:
        container = av.open(str(path), options={"probesize": "65536", "analyzeduration": "100000"})
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    try:
        duration = container.duration / 1_000_000 if container.duration else None
        if duration is None:
            for s in container.streams:
                if s.duration and s.time_base:
                    duration = max(duration or 0.0, float(s.duration * s.time_base))
        first = container.start_time / 1_000_000 if container.start_time is not None else None
        last = first + duration if first is not None and duration is not None else None
        created = _parse_creation_time(container.metadata.get("creation_time"))
        return MediaTimes(duration, first, last, created)
    finally:
        container.close()


def _parse_creation_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone().replace(tzinfo=None)
    if t.year < 1971:  # muxers write 1970/1904 epochs when they know nothing
        return None
    return t


# --- hashing -------------------------------------------------------------------------------------


def hash_file(path: Path) -> str:
    """SHA-256 of a file, streamed in 1 MiB chunks (bounded memory)."""
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        with contextlib.suppress(AttributeError, OSError):  # a larger kernel read-ahead window
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while n := fh.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


@dataclass(frozen=True)
class Hashed:
    """A file's hash (or why it could not be read) and, for videos, its media times."""

    sha256: str | None
    error: str | None
    media: MediaTimes | None


def hash_and_probe(path: Path, probe: bool) -> Hashed:
    try:
        digest = hash_file(path)
    except OSError as exc:
        return Hashed(None, f"unreadable ({exc.strerror or exc})", None)
    media = probe_media(path) if probe and path.suffix.lower() in VIDEO_SUFFIXES else None
    return Hashed(digest, None, media)


class HashPipeline:
    """Hash files on a thread pool while keeping results in walk order, with a bounded window.

    ``submit`` and ``drain`` yield ``(item, Hashed | None)`` in submission order (None: nothing
    to hash, the caller reuses an earlier hash). Use it as a context manager so that an error
    cancels the hashing still queued."""

    def __init__(self, jobs: int, window: int = 256, inline_below: int = 1 << 20):
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs)) if jobs > 1 else None
        self.inline_below = inline_below
        self.window = window
        self.queue: deque[tuple[Any, Future | Hashed | None]] = deque()

    def __enter__(self) -> "HashPipeline":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, item: Any, path: Path | None, size: int, probe: bool) -> Iterator[tuple[Any, Hashed | None]]:
        if path is None:
            job: Future | Hashed | None = None
        elif self.pool is None or size < self.inline_below:  # a thread hand-off costs more than a small file
            job = hash_and_probe(path, probe)
        else:
            job = self.pool.submit(hash_and_probe, path, probe)
        self.queue.append((item, job))
        while len(self.queue) > self.window or (self.queue and not isinstance(self.queue[0][1], Future)):
            yield self._pop()

    def drain(self) -> Iterator[tuple[Any, Hashed | None]]:
        while self.queue:
            yield self._pop()

    def _pop(self) -> tuple[Any, Hashed | None]:
        item, job = self.queue.popleft()
        return item, job.result() if isinstance(job, Future) else job


class HashProgress:
    """Counts files walked and bytes hashed, and reports them through a
    :data:`~cctv_guard.core.progress.ProgressFn` at most ten times a second."""

    def __init__(self, progress: ProgressFn | None, total_files: int | None):
        self.progress, self.total, self.last = progress, total_files, 0.0
        self.files = self.bytes = 0

    def tick(self, files: int = 0, nbytes: int = 0, force: bool = False) -> None:
        self.files += files
        self.bytes += nbytes
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last >= 0.1:
            self.last = now
            report(self.progress, self.files, self.total, "files", f"{_size_text(self.bytes)} hashed")


def _size_text(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
