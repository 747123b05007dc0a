"""Footage archives: retention and gap scan (Art. 16(7), 16(8)) and integrity seals (Art. 17(2)).

Three jobs over a directory tree of recordings:

* :func:`scan_archive` — per camera, how far back footage is kept, which days are missing, where
  recording stopped for longer than a threshold and which files are shorter than the nominal
  segment length. Times come from the file names (a ``--camera-pattern`` such as
  ``{camera}/{date:%Y%m%d}/{time:%H%M%S}.mp4``) and durations from the container header (PyAV;
  nothing is decoded).
* :func:`seal_archive` — a manifest of every file (path, size, mtime, SHA-256, duration, first and
  last media timestamp). Each entry's hash covers the previous entry's hash, the first covers the
  header, and the final head hash is signed with the home's Ed25519 key. Re-sealing is
  incremental: files whose size and mtime are unchanged keep their previous hash.
* :func:`verify_archive` — checks the signature and the chain, then lists files altered, deleted
  and added since the seal, and whether a deletion fell inside the retention period.

Memory stays bounded for millions of files: the tree is walked in sorted order with
``os.scandir`` (only one directory listing per level is held), the manifest is written and read
one line at a time, and the walk is merge-compared against the previous manifest, which is in the
same order. Symlink loops, broken links and unreadable files are reported, never fatal.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import re
import stat
import statistics
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cctv_guard import __version__
from cctv_guard.core.errors import ArchiveError, ConfigError
from cctv_guard.core.atomic import atomic_writer
from cctv_guard.media.sources import VIDEO_SUFFIXES
from cctv_guard.custody.signing import SigningKey, canonical_json, sha256_hex, verify_signature

SEAL_DIR = ".cctv-guard"
SCAN_SCHEMA = "cctv-guard/archive-scan@1"
SEAL_SCHEMA = "cctv-guard/seal@1"
VERIFY_SCHEMA = "cctv-guard/archive-verify@1"
RETENTION_DAYS = 30  # Art. 16(8): ordinary footage
IMPORTANT_RETENTION_DAYS = 730  # Art. 16(8): important copies, 2 years
CHUNK = 1 << 20


# --- walking the tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStat:
    rel: str  # POSIX path relative to the root
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Problem:
    path: str
    problem: str


def path_key(rel: str) -> tuple[str, ...]:
    """The order of the sorted walk: by path components (a directory's files come together)."""
    return tuple(rel.split("/"))


def walk_files(root: Path, report: Callable[[Problem], None], exclude: Iterable[str] = (SEAL_DIR,)) -> Iterator[FileStat]:
    """Regular files below ``root`` in :func:`path_key` order, following symlinks.

    Symlink loops, broken links, unreadable directories and special files go to ``report``.
    ``exclude`` names top-level entries to skip (the seal directory)."""
    root = Path(root)
    try:
        root_st = os.stat(root)
    except OSError as exc:
        raise ArchiveError(f"cannot read archive root {root}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(root_st.st_mode):
        raise ArchiveError(f"archive root must be a directory, found a file: {root}")
    skip = frozenset(exclude)

    def listing(path: str, rel: str) -> list[os.DirEntry]:
        try:
            with os.scandir(path) as it:
                return sorted(it, key=lambda e: e.name)
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
        rel = prefix + entry.name
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
            yield FileStat(rel, st.st_size, st.st_mtime_ns)
        else:
            report(Problem(rel, "not a regular file (skipped)"))


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


# --- camera patterns ----------------------------------------------------------------------------

_DIRECTIVES = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "j": r"\d{3}",
    "H": r"\d{1,2}", "I": r"\d{1,2}", "M": r"\d{1,2}", "S": r"\d{1,2}", "f": r"\d{1,6}",
    "p": r"(?:AM|PM|am|pm)", "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+",
}
_FIELD_RE = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class CameraPattern:
    text: str
    regex: re.Pattern
    date_format: str
    time_format: str | None

    @property
    def has_time_of_day(self) -> bool:
        return self.time_format is not None or any(d in self.date_format for d in ("%H", "%I"))

    def match(self, rel: str) -> tuple[str, datetime] | None:
        """(camera, start) for a matching relative path; None when it does not match.
        Raises ValueError when the path matches but the date does not exist (e.g. 20261340)."""
        m = self.regex.fullmatch(rel)
        if m is None:
            return None
        start = datetime.strptime(m["date"], self.date_format)
        if self.time_format is not None:
            t = datetime.strptime(m["time"], self.time_format).time()
            start = datetime.combine(start.date(), t)
        return m["camera"], start


def _format_regex(fmt: str, field_name: str, pattern: str) -> str:
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%":
            if i + 1 >= len(fmt):
                raise ConfigError(f"--camera-pattern {pattern!r}: {{{field_name}:{fmt}}} ends with a lone %")
            d = fmt[i + 1]
            if d == "%":
                out.append("%")
            elif d in _DIRECTIVES:
                out.append(_DIRECTIVES[d])
            else:
                raise ConfigError(
                    f"--camera-pattern {pattern!r}: unsupported directive %{d} in {{{field_name}:{fmt}}} "
                    f"(supported: {' '.join('%' + k for k in _DIRECTIVES)})"
                )
            i += 2
        else:
            out.append(_glob_literal(c))
            i += 1
    return "".join(out)


def _glob_literal(text: str) -> str:
    return "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in text)


def parse_pattern(pattern: str) -> CameraPattern:
    """Compile ``{camera}/{date:%Y%m%d}/*.mp4``-style patterns. ``*`` and ``?`` match within one
    path component; ``{time:FORMAT}`` is optional. Malformed patterns raise ConfigError."""
    if not pattern or pattern.startswith("/"):
        raise ConfigError(f"--camera-pattern must be a relative path pattern, found {pattern!r}")
    parts, pos, seen = [], 0, {}
    for m in _FIELD_RE.finditer(pattern):
        literal = pattern[pos : m.start()]
        if "{" in literal or "}" in literal:
            raise ConfigError(f"--camera-pattern {pattern!r}: unbalanced brace near {literal!r}")
        parts.append(_glob_literal(literal))
        name, _, fmt = m.group(1).partition(":")
        if name not in ("camera", "date", "time"):
            raise ConfigError(f"--camera-pattern {pattern!r}: unknown field {{{name}}} (expected camera, date, time)")
        if name in seen:
            raise ConfigError(f"--camera-pattern {pattern!r}: field {{{name}}} appears twice")
        if name == "camera":
            if fmt:
                raise ConfigError(f"--camera-pattern {pattern!r}: {{camera}} takes no format")
            parts.append(r"(?P<camera>[^/]+?)")
        else:
            if not fmt:
                raise ConfigError(f"--camera-pattern {pattern!r}: {{{name}}} needs a strftime format, e.g. {{{name}:%Y%m%d}}")
            parts.append(f"(?P<{name}>{_format_regex(fmt, name, pattern)})")
        seen[name] = fmt
        pos = m.end()
    tail = pattern[pos:]
    if "{" in tail or "}" in tail:
        raise ConfigError(f"--camera-pattern {pattern!r}: unbalanced brace near {tail!r}")
    parts.append(_glob_literal(tail))
    for required in ("camera", "date"):
        if required not in seen:
            raise ConfigError(f"--camera-pattern {pattern!r}: missing the {{{required}}} field")
    date_fmt = seen["date"]
    if not any(d in date_fmt for d in ("%Y", "%y")) or not (("%m" in date_fmt or "%b" in date_fmt or "%B" in date_fmt) and "%d" in date_fmt or "%j" in date_fmt):
        raise ConfigError(f"--camera-pattern {pattern!r}: {{date:{date_fmt}}} must give year, month and day")
    time_fmt = seen.get("time")
    if time_fmt is not None and not any(d in time_fmt for d in ("%H", "%I")):
        raise ConfigError(f"--camera-pattern {pattern!r}: {{time:{time_fmt}}} must contain %H or %I")
    return CameraPattern(pattern, re.compile("".join(parts)), date_fmt, time_fmt)


# --- retention scan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str  # a finding kind of the regulation catalogue (cctv_guard.legal.articles)
    article: str  # the clause it breaches, from the catalogue: "16(7)", "16(8)", "17(2)"
    camera: str | None
    message: str
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "article": self.article, "camera": self.camera, "message": self.message, "details": self.details}


def _finding(kind: str, camera: str | None, message: str, details: dict) -> Finding:
    from cctv_guard.legal import articles

    return Finding(kind, articles.for_kind(kind).ref, camera, message, details)


@dataclass(frozen=True)
class Recording:
    path: str
    start: datetime
    size: int
    duration_s: float | None
    time_known: bool  # start has a time of day (from the name or the container)


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    ongoing: bool = False  # runs up to the as-of time

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class ShortFile:
    path: str
    start: datetime
    duration_s: float
    nominal_s: float


@dataclass(frozen=True)
class CameraSummary:
    camera: str
    files: int
    bytes: int
    first: datetime
    last_end: datetime
    kept_days: float
    recorded_s: float | None  # None when no duration was readable
    nominal_s: float | None
    precision: Literal["time", "day"]
    missing_days: tuple[date, ...]
    gaps: tuple[Gap, ...]
    short_files: tuple[ShortFile, ...]


@dataclass(frozen=True)
class ScanReport:
    root: str
    pattern: str
    as_of: datetime
    min_days: int
    gap_s: float
    cameras: tuple[CameraSummary, ...]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]
    unmatched: int

    @property
    def verdict(self) -> str:
        if self.findings:
            return "violation"
        return "compliant" if self.cameras else "inconclusive"


def _fmt_s(seconds: float) -> str:
    seconds = int(round(seconds))
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        return f"{d}d{h:02d}h"
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def _day_ranges(days: Sequence[date]) -> list[tuple[date, date]]:
    ranges: list[tuple[date, date]] = []
    for d in days:
        if ranges and (d - ranges[-1][1]).days == 1:
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    return ranges


def summarize_camera(
    camera: str,
    recordings: Sequence[Recording],
    *,
    as_of: datetime,
    min_days: int = RETENTION_DAYS,
    gap_s: float = 60.0,
    nominal_s: float | None = None,
    short_tolerance: float = 0.1,
) -> tuple[CameraSummary, list[Finding]]:
    """The retention, gap and short-file analysis of one camera's recordings (pure)."""
    recs = sorted(recordings, key=lambda r: (r.start, r.path))
    durations = [r.duration_s for r in recs if r.duration_s is not None]
    precision: Literal["time", "day"] = "time" if all(r.time_known for r in recs) else "day"
    nominal_s = _nominal(recs, nominal_s, precision)

    def end_of(r: Recording) -> datetime:
        return _end_of(r, precision, nominal_s)

    first = recs[0].start if precision == "time" else datetime.combine(recs[0].start.date(), datetime.min.time())
    last_end = max(end_of(r) for r in recs)
    findings: list[Finding] = []

    # Days with no footage at all, between the first recording and the as-of day.
    covered: set[date] = set()
    for r in recs:
        d, e = r.start.date(), end_of(r) - timedelta(microseconds=1)
        while d <= e.date():
            covered.add(d)
            d += timedelta(days=1)
    missing = []
    d, stop = first.date(), (as_of - timedelta(microseconds=1)).date()
    while d <= stop:
        if d not in covered:
            missing.append(d)
        d += timedelta(days=1)

    # Gaps: with times of day, between one file's end and the next file's start; otherwise whole days.
    gaps: list[Gap] = []
    if precision == "time":
        cursor = end_of(recs[0])
        for r in recs[1:]:
            if (r.start - cursor).total_seconds() > gap_s:
                gaps.append(Gap(cursor, r.start))
            cursor = max(cursor, end_of(r))
        if (as_of - cursor).total_seconds() > gap_s:
            gaps.append(Gap(cursor, as_of, ongoing=True))
    else:
        for a, b in _day_ranges(missing):
            end = min(datetime.combine(b, datetime.min.time()) + timedelta(days=1), as_of)
            gaps.append(Gap(datetime.combine(a, datetime.min.time()), end, ongoing=end >= as_of))
    for g in gaps:
        findings.append(
            _finding(
                "recording_gap", camera,
                f"no recording for {_fmt_s(g.duration_s)} from {g.start.isoformat(sep=' ')} to "
                f"{g.end.isoformat(sep=' ')}{' (up to the as-of time)' if g.ongoing else ''}",
                {"cause": "gap", "start": g.start.isoformat(), "end": g.end.isoformat(), "duration_s": round(g.duration_s, 3), "ongoing": g.ongoing},
            )
        )

    kept_days = (as_of - first).total_seconds() / 86400
    if kept_days < min_days:
        findings.append(
            _finding(
                "retention_short", camera,
                f"keeps {kept_days:.1f} days of footage (oldest {first.isoformat(sep=' ')}); at least {min_days} days are required",
                {"kept_days": round(kept_days, 3), "oldest": first.isoformat(), "min_days": min_days},
            )
        )

    shorts: list[ShortFile] = []
    if nominal_s:
        for r in recs[:-1]:  # the newest file may still be recording
            if r.duration_s is not None and r.duration_s < nominal_s * (1 - short_tolerance):
                shorts.append(ShortFile(r.path, r.start, r.duration_s, nominal_s))
                findings.append(
                    _finding(
                        "recording_gap", camera,
                        f"{r.path} lasts {_fmt_s(r.duration_s)}, nominal {_fmt_s(nominal_s)}: recording was interrupted",
                        {"cause": "short_file", "path": r.path, "duration_s": round(r.duration_s, 3), "nominal_s": round(nominal_s, 3)},
                    )
                )
    summary = CameraSummary(
        camera, len(recs), sum(r.size for r in recs), first, last_end, kept_days,
        sum(durations) if durations else None, nominal_s, precision, tuple(missing), tuple(gaps), tuple(shorts),
    )
    return summary, findings


def scan_archive(
    root: Path,
    pattern: str | CameraPattern,
    *,
    min_days: int = RETENTION_DAYS,
    gap_s: float = 60.0,
    as_of: datetime | None = None,
    nominal_s: float | None = None,
    probe: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ScanReport:
    """Group the files under ``root`` by camera and check retention (16(8)) and gaps (16(7)).

    ``as_of`` (naive local time) defaults to the end of the newest footage in the archive, so
    scanning an export taken last week judges it as of the export."""
    cp = pattern if isinstance(pattern, CameraPattern) else parse_pattern(pattern)
    if min_days < 1:
        raise ConfigError(f"--min-days must be at least 1, found {min_days}")
    if gap_s <= 0:
        raise ConfigError(f"--gap must be positive, found {gap_s:g} s")
    root = Path(root).absolute()
    problems: list[Problem] = []
    by_camera: dict[str, list[Recording]] = {}
    unmatched = 0
    def matched() -> Iterator[tuple[FileStat, str, datetime]]:
        nonlocal unmatched
        for f in walk_files(root, problems.append):
            try:
                hit = cp.match(f.rel)
            except ValueError:
                problems.append(Problem(f.rel, "matches the pattern but its date/time is not a valid calendar time"))
                continue
            if hit is None:
                unmatched += 1
                continue
            yield f, hit[0], hit[1]

    def probed(f: FileStat) -> MediaTimes | None:
        return probe_media(root / f.rel) if probe else None

    n = 0
    with ThreadPoolExecutor(max_workers=4) as pool:  # header reads overlap a little (I/O, C code)
        for batch in _batches(matched(), 256):
            for (f, camera, start), media in zip(batch, pool.map(probed, [b[0] for b in batch])):
                duration, time_known = None, cp.has_time_of_day
                if probe and media is None:
                    problems.append(Problem(f.rel, "unreadable video (not a container PyAV can open)"))
                elif media is not None:
                    duration = media.duration_s
                    if not time_known and media.created is not None and media.created.date() == start.date():
                        start, time_known = media.created, True
                by_camera.setdefault(camera, []).append(Recording(f.rel, start, f.size, duration, time_known))
                n += 1
                if progress is not None:
                    progress(n)
    if not by_camera:
        return ScanReport(str(root), cp.text, as_of or datetime.now().replace(microsecond=0), min_days, gap_s, (), (), tuple(problems), unmatched)
    # If only some of a camera's files carry a time, judge the camera by days.
    for cam, recs in by_camera.items():
        if not all(r.time_known for r in recs):
            by_camera[cam] = [replace(r, time_known=False) for r in recs]
    if as_of is None:
        as_of = max(_last_end(r, nominal_s) for r in by_camera.values())
    cameras, findings = [], []
    for cam in sorted(by_camera):
        recs = [r for r in by_camera[cam] if r.start < as_of]  # footage from after --as-of is not judged
        if not recs:
            problems.append(Problem(cam, f"no footage before the as-of time {as_of.isoformat(sep=' ')}"))
            continue
        summary, found = summarize_camera(cam, recs, as_of=as_of, min_days=min_days, gap_s=gap_s, nominal_s=nominal_s)
        cameras.append(summary)
        findings.extend(found)
    return ScanReport(str(root), cp.text, as_of, min_days, gap_s, tuple(cameras), tuple(findings), tuple(problems), unmatched)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _nominal(recs: Sequence[Recording], nominal_s: float | None, precision: str) -> float | None:
    """The nominal segment length: given, else the median duration, else the median start step."""
    if nominal_s is not None:
        return nominal_s
    durations = [r.duration_s for r in recs if r.duration_s is not None]
    if durations:
        return statistics.median(durations)
    if precision == "time" and len(recs) > 1:
        steps = [(b.start - a.start).total_seconds() for a, b in zip(recs, recs[1:])]
        return statistics.median([s for s in steps if s > 0] or [0.0]) or None
    return None


def _end_of(r: Recording, precision: str, nominal_s: float | None) -> datetime:
    if precision == "day":
        return datetime.combine(r.start.date(), datetime.min.time()) + timedelta(days=1)
    length = r.duration_s if r.duration_s is not None else (nominal_s or 0.0)
    return r.start + timedelta(seconds=length)


def _last_end(recs: Sequence[Recording], nominal_s: float | None) -> datetime:
    ordered = sorted(recs, key=lambda r: r.start)
    precision = "time" if all(r.time_known for r in ordered) else "day"
    nominal = _nominal(ordered, nominal_s, precision)
    return max(_end_of(r, precision, nominal) for r in ordered)


def scan_to_json(report: ScanReport) -> dict:
    return {
        "schema": SCAN_SCHEMA,
        "tool_version": __version__,
        "root": report.root,
        "pattern": report.pattern,
        "as_of": report.as_of.isoformat(),
        "min_days": report.min_days,
        "gap_s": report.gap_s,
        "verdict": report.verdict,
        "cameras": [
            {
                "camera": c.camera,
                "files": c.files,
                "bytes": c.bytes,
                "first": c.first.isoformat(),
                "last_end": c.last_end.isoformat(),
                "kept_days": round(c.kept_days, 3),
                "recorded_s": None if c.recorded_s is None else round(c.recorded_s, 3),
                "nominal_s": None if c.nominal_s is None else round(c.nominal_s, 3),
                "precision": c.precision,
                "missing_days": [d.isoformat() for d in c.missing_days],
                "gaps": [
                    {"start": g.start.isoformat(), "end": g.end.isoformat(), "duration_s": round(g.duration_s, 3), "ongoing": g.ongoing}
                    for g in c.gaps
                ],
                "short_files": [
                    {"path": s.path, "start": s.start.isoformat(), "duration_s": round(s.duration_s, 3), "nominal_s": round(s.nominal_s, 3)}
                    for s in c.short_files
                ],
            }
            for c in report.cameras
        ],
        "findings": [f.to_json() for f in report.findings],
        "problems": [{"path": p.path, "problem": p.problem} for p in report.problems],
        "unmatched_files": report.unmatched,
    }


# --- seals: manifest format ----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SealHeader(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    schema_: Literal["cctv-guard/seal@1"] = Field(alias="schema")
    root: str
    created: str
    tool_version: str
    algorithm: Literal["ed25519"]
    hash: Literal["sha256"]
    public_key: str
    previous: str | None
    full: bool

    def to_json(self) -> dict:
        return self.model_dump(by_alias=True)


class SealEntry(_Strict):
    path: str
    size: int
    mtime_ns: int
    sha256: str | None  # None: the file could not be read when sealed
    error: str | None = None
    duration_s: float | None = None
    first_ts: float | None = None
    last_ts: float | None = None
    important: bool = False
    prev: str  # hash of the previous entry (or of the header for the first)
    h: str  # sha256 of this entry's canonical JSON without "h"


class SealFooter(_Strict):
    end: Literal[True]
    count: int
    bytes: int
    head: str
    signature: str


_H_MEMBER = re.compile(rb',"h":"([0-9a-f]{64})"')


def _entry_line(fields: dict) -> tuple[bytes, str]:
    """The manifest line of an entry and its hash. The hash covers the canonical JSON of every
    field but ``h`` (``prev`` included); ``h`` is spliced in at its sorted place, just before
    ``important`` (a quote inside a string value is escaped, so the marker cannot occur there)."""
    body = canonical_json(fields)
    h = sha256_hex(body)
    marker = b',"important":'
    at = body.index(marker)
    return body[:at] + b',"h":"' + h.encode() + b'"' + body[at:], h


def _split_hash(raw: bytes) -> tuple[bytes, str] | None:
    """Undo :func:`_entry_line`: (the bytes the hash covers, the claimed hash), or None."""
    m = _H_MEMBER.search(raw)
    return (raw[: m.start()] + raw[m.end() :], m.group(1).decode()) if m else None


def _signed_message(header_hash: str, count: int, total_bytes: int, head: str) -> bytes:
    return canonical_json({"schema": SEAL_SCHEMA, "header": header_hash, "count": count, "bytes": total_bytes, "head": head})


def _first_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    where = ".".join(str(p) for p in e.get("loc", ())) or "(line)"
    return f"{where}: {e.get('msg', 'invalid')}"


@dataclass(frozen=True)
class SealCheck:
    """The state of a manifest after reading it to the end."""

    path: Path
    header: SealHeader | None
    count: int
    broken: str | None  # the first broken link, or None when chain and signature hold
    signer_trusted: bool | None  # None: no trusted key to compare against


class SealReader:
    """Streams a manifest's entries in order while checking the chain; after iteration,
    :meth:`result` says whether the whole file (chain, footer count, signature) holds."""

    def __init__(self, path: Path, trusted_keys: Iterable[str] = ()):
        self.path = Path(path)
        self.trusted = {k.lower() for k in trusted_keys if k}
        self.header: SealHeader | None = None
        self.broken: str | None = None
        self.count = 0
        self.bytes = 0
        self._header_hash = ""
        self._head = ""
        self._footer: SealFooter | None = None
        self._done = False

    @property
    def head(self) -> str:
        """The hash of the last entry read (after iteration: the manifest's head)."""
        return self._head

    def _break(self, line_no: int, why: str) -> None:
        if self.broken is None:
            self.broken = f"line {line_no}: {why}"

    def __iter__(self) -> Iterator[SealEntry]:
        return (entry for _, entry in self.keyed())

    def keyed(self) -> Iterator[tuple[tuple[str, ...], SealEntry]]:
        """(path_key, entry) pairs in order; entries out of order are reported and skipped."""
        try:
            fh = open(self.path, "rb")
        except OSError as exc:
            raise ArchiveError(f"cannot read seal {self.path}: {exc.strerror or exc}") from None
        last_key: tuple[str, ...] | None = None
        with fh:
            for line_no, raw in enumerate(fh, 1):
                raw = raw.rstrip(b"\r\n")
                if line_no == 1:
                    try:
                        self.header = SealHeader.model_validate_json(raw)
                    except ValidationError as exc:
                        raise ArchiveError(f"{self.path} is not a cctv-guard seal ({_first_error(exc)})") from None
                    self._header_hash = self._head = sha256_hex(raw)
                    continue
                if self._footer is not None:
                    self._break(line_no, "content after the signed footer (appended or replayed)")
                    continue
                split = _split_hash(raw)
                if split is None:
                    if b'"end":' not in raw:
                        self._break(line_no, "not a manifest entry (edited, truncated or half-written)")
                        continue
                    try:
                        self._footer = SealFooter.model_validate_json(raw)
                    except ValidationError as exc:
                        self._break(line_no, f"malformed footer ({_first_error(exc)})")
                    continue
                body, claimed = split
                try:
                    entry = SealEntry.model_validate_json(raw)
                except ValidationError as exc:
                    self._break(line_no, f"malformed entry ({_first_error(exc)})")
                    continue
                if sha256_hex(body) != claimed:
                    self._break(line_no, f"entry {entry.path!r} was edited (its hash does not match its contents)")
                if entry.prev != self._head:
                    self._break(line_no, f"entry {entry.path!r} does not follow the previous entry (deleted, reordered or replayed)")
                self._head = claimed
                key = path_key(entry.path)
                if last_key is not None and key <= last_key:
                    self._break(line_no, f"entry {entry.path!r} is out of order (reordered or replayed)")
                    continue
                last_key = key
                self.count += 1
                self.bytes += entry.size
                yield key, entry
        if self.header is None:
            raise ArchiveError(f"{self.path} is empty: not a cctv-guard seal")
        self._done = True

    def result(self) -> SealCheck:
        if not self._done:
            for _ in self:
                pass
        if self.broken is None:
            f = self._footer
            if f is None:
                self.broken = f"the signed footer is missing after {self.count} entries (truncated or still being written)"
            elif f.count != self.count:
                self.broken = f"the footer counts {f.count} entries but {self.count} are present (truncated, deleted or added)"
            elif f.head != self._head:
                self.broken = "the footer's head hash does not match the last entry (truncated or edited)"
            elif not verify_signature(
                self.header.public_key, _signed_message(self._header_hash, f.count, f.bytes, f.head), f.signature
            ):
                self.broken = "the signature does not match (manifest or footer edited)"
        trusted = None
        if self.trusted and self.header is not None:
            trusted = self.header.public_key.lower() in self.trusted
        return SealCheck(self.path, self.header, self.count, self.broken, trusted)


def seal_files(directory: Path) -> list[Path]:
    """Complete seals in ``directory``, oldest first (their names sort by time)."""
    if not Path(directory).is_dir():
        return []
    return sorted(p for p in Path(directory).glob("seal-*.jsonl") if p.is_file())


def latest_seal(directory: Path) -> Path | None:
    seals = seal_files(directory)
    return seals[-1] if seals else None


# --- seals: hashing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    files: int  # files walked so far
    hashed_bytes: int  # bytes read for hashing so far
    total_files: int | None  # from the previous seal, when there is one


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
class _Hashed:
    sha256: str | None
    error: str | None
    media: MediaTimes | None


def _hash_and_probe(path: Path, probe: bool) -> _Hashed:
    try:
        digest = hash_file(path)
    except OSError as exc:
        return _Hashed(None, f"unreadable ({exc.strerror or exc})", None)
    media = probe_media(path) if probe and path.suffix.lower() in VIDEO_SUFFIXES else None
    return _Hashed(digest, None, media)


def _merge(
    files: Iterator[FileStat], previous: Iterator[tuple[tuple[str, ...], SealEntry]]
) -> Iterator[tuple[FileStat | None, SealEntry | None]]:
    """Pair the sorted walk with the sorted manifest: (file, entry), (file, None) or (None, entry)."""
    current = ((path_key(f.rel), f) for f in files)
    cur, prev = next(current, None), next(previous, None)
    while cur is not None or prev is not None:
        if prev is None or (cur is not None and cur[0] < prev[0]):
            yield cur[1], None
            cur = next(current, None)
        elif cur is None or prev[0] < cur[0]:
            yield None, prev[1]
            prev = next(previous, None)
        else:
            yield cur[1], prev[1]
            cur, prev = next(current, None), next(previous, None)


class _Pipeline:
    """Hash files on a thread pool while keeping results in walk order, with a bounded window."""

    def __init__(self, jobs: int, window: int = 256, inline_below: int = 1 << 20):
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs)) if jobs > 1 else None
        self.inline_below = inline_below
        self.window = window
        self.queue: deque[tuple[Any, Future | _Hashed | None]] = deque()

    def submit(self, item: Any, path: Path | None, size: int, probe: bool) -> Iterator[tuple[Any, _Hashed | None]]:
        if path is None:
            job: Future | _Hashed | None = None
        elif self.pool is None or size < self.inline_below:  # a thread hand-off costs more than a small file
            job = _hash_and_probe(path, probe)
        else:
            job = self.pool.submit(_hash_and_probe, path, probe)
        self.queue.append((item, job))
        while len(self.queue) > self.window or (self.queue and not isinstance(self.queue[0][1], Future)):
            yield self._pop()

    def drain(self) -> Iterator[tuple[Any, _Hashed | None]]:
        while self.queue:
            yield self._pop()
        if self.pool is not None:
            self.pool.shutdown()

    def _pop(self) -> tuple[Any, _Hashed | None]:
        item, job = self.queue.popleft()
        return item, job.result() if isinstance(job, Future) else job


class _Throttle:
    def __init__(self, callback: Callable[[Progress], None] | None, total: int | None):
        self.callback, self.total, self.last = callback, total, 0.0
        self.files = self.bytes = 0

    def tick(self, files: int = 0, nbytes: int = 0, force: bool = False) -> None:
        self.files += files
        self.bytes += nbytes
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last >= 0.1:
            self.last = now
            self.callback(Progress(self.files, self.bytes, self.total))


def _footer_count(path: Path) -> int | None:
    """The entry count of a seal's footer (read from the file's tail; a progress hint only)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            last = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        count = json.loads(last).get("count")
        return count if isinstance(count, int) else None
    except (OSError, ValueError, AttributeError):
        return None


# --- seals: the home's index of seals --------------------------------------------------------------
#
# Seals kept inside the archive can be deleted along with the footage. Every seal is therefore
# also recorded, signed, in ``<home>/seals.jsonl``; verify compares the seal it uses with the
# newest one recorded there for the same root, so a deleted or replaced seal is a finding.

SEAL_INDEX = "seals.jsonl"


def _index_message(root: str, name: str, count: int, head: str) -> bytes:
    return canonical_json({"schema": "cctv-guard/seal-index@1", "root": root, "seal": name, "count": count, "head": head})


def record_in_index(index: Path, root: Path, seal: Path, count: int, head: str, key: SigningKey) -> None:
    """Add a seal to the home's index (rewritten atomically; one short line per seal)."""
    from cctv_guard.core.atomic import write_atomic

    index = Path(index)
    old = index.read_text(encoding="utf-8") if index.exists() else ""
    line = {"root": str(root), "seal": seal.name, "path": str(seal), "count": count, "head": head,
            "public_key": key.public_hex, "signature": key.sign(_index_message(str(root), seal.name, count, head))}
    index.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(index, old + json.dumps(line) + "\n")


def newest_indexed_seal(index: Path, root: Path, trusted_keys: Iterable[str]) -> dict | None:
    """The newest correctly signed index line for ``root`` (by a trusted key), or None."""
    trusted = {k.lower() for k in trusted_keys if k}
    best = None
    try:
        lines = Path(index).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for raw in lines:
        try:
            d = json.loads(raw)
            ok = d["root"] == str(root) and d["public_key"].lower() in trusted and verify_signature(
                d["public_key"], _index_message(d["root"], d["seal"], d["count"], d["head"]), d["signature"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if ok and (best is None or d["seal"] > best["seal"]):
            best = d
    return best


# --- seals: writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealResult:
    path: Path
    count: int
    bytes: int
    hashed: int  # files read and hashed this time
    reused: int  # files whose hash came from the previous seal
    unreadable: int
    skipped: int  # still being written (newer than settle_s)
    head: str
    previous: Path | None
    problems: tuple[Problem, ...]


def _remove_stale_temps(out_dir: Path, older_than_s: float = 3600.0) -> None:
    """Temp manifests left by a crashed seal. A running seal rewrites its temp file constantly,
    so one untouched for an hour is dead."""
    for p in Path(out_dir).glob(".seal-*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - p.stat().st_mtime > older_than_s:
                p.unlink()


def _utc_stamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")


def seal_archive(
    root: Path,
    key: SigningKey,
    *,
    out_dir: Path | None = None,
    full: bool = False,
    important: Sequence[str] = (),
    probe: bool = True,
    jobs: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    now: datetime | None = None,
    index: Path | None = None,
    settle_s: float = 0.0,
) -> SealResult:
    """Write a signed, hash-chained manifest of every file under ``root``.

    Incremental by default: a file whose size and mtime match the previous seal keeps its hash
    (and media times). ``full`` re-hashes everything. ``important`` globs (on the relative path)
    mark important copies, kept 2 years under Art. 16(8); the mark carries over to later seals.
    The manifest appears atomically as ``seal-<UTC time>.jsonl`` in ``out_dir``
    (default ``ROOT/.cctv-guard``); a crash leaves only a ``.tmp`` file that verify ignores.
    With ``index`` (the home's ``seals.jsonl``) the new seal is also recorded there.
    Files modified less than ``settle_s`` seconds ago are still being recorded: they are left out
    (and reported) so that the segment an NVR is writing is not later taken for an altered file."""
    root = Path(root).absolute()
    out_dir = Path(out_dir).absolute() if out_dir is not None else root / SEAL_DIR
    now = now or datetime.now(timezone.utc)
    jobs = jobs if jobs is not None else min(4, os.cpu_count() or 1)
    previous = latest_seal(out_dir)
    _remove_stale_temps(out_dir)
    reader = SealReader(previous, [key.public_hex]) if previous is not None else None
    header = SealHeader.model_validate(
        {
            "schema": SEAL_SCHEMA, "root": str(root), "created": now.astimezone(timezone.utc).isoformat(),
            "tool_version": __version__, "algorithm": "ed25519", "hash": "sha256", "public_key": key.public_hex,
            "previous": previous.name if previous is not None else None, "full": full,
        }
    )
    problems: list[Problem] = []
    throttle = _Throttle(progress, _footer_count(previous) if previous is not None else None)
    exclude = {SEAL_DIR} | ({out_dir.name} if out_dir.parent == root else set())
    target = out_dir / f"seal-{_utc_stamp(now)}.jsonl"
    n = 0
    while target.exists():
        n += 1
        target = out_dir / f"seal-{_utc_stamp(now)}-{n}.jsonl"

    header_line = canonical_json(header.to_json())
    header_hash = head = sha256_hex(header_line)
    count = total = hashed = reused = unreadable = skipped = 0
    pipeline = _Pipeline(jobs)
    with atomic_writer(target, "wb") as fh:
        fh.write(header_line + b"\n")

        def emit(item: tuple[FileStat, SealEntry | None], done: _Hashed | None) -> None:
            nonlocal head, count, total, hashed, reused, unreadable
            f, old = item
            if done is None:  # reused from the previous seal
                assert old is not None
                digest, error, media = old.sha256, old.error, (old.duration_s, old.first_ts, old.last_ts)
                reused += 1
            else:
                digest, error = done.sha256, done.error
                if done.media is not None:
                    media = (done.media.duration_s, done.media.first_ts, done.media.last_ts)
                elif old is not None and old.sha256 is not None and old.sha256 == digest:
                    media = (old.duration_s, old.first_ts, old.last_ts)
                else:
                    media = (None, None, None)
                hashed += 1
                if error is not None:
                    unreadable += 1
                    problems.append(Problem(f.rel, error))
                else:
                    throttle.tick(nbytes=f.size)
            fields = {
                "path": f.rel, "size": f.size, "mtime_ns": f.mtime_ns, "sha256": digest, "error": error,
                "duration_s": media[0], "first_ts": media[1], "last_ts": media[2],
                "important": bool((old is not None and old.important) or any(fnmatch.fnmatchcase(f.rel, g) for g in important)),
                "prev": head,
            }
            line, head = _entry_line(fields)
            fh.write(line + b"\n")
            count += 1
            total += f.size
            throttle.tick(files=1)

        cutoff_ns = time.time_ns() - int(settle_s * 1e9)
        try:
            walk = walk_files(root, problems.append, exclude)
            for f, old in _merge(walk, reader.keyed() if reader is not None else iter(())):
                if f is None:
                    continue
                if settle_s > 0 and f.mtime_ns > cutoff_ns:
                    problems.append(Problem(f.rel, f"still being written (modified in the last {settle_s:g} s): not sealed"))
                    skipped += 1
                    continue
                reusable = (
                    not full and old is not None and old.sha256 is not None
                    and old.size == f.size and old.mtime_ns == f.mtime_ns
                )
                for item, done in pipeline.submit((f, old), None if reusable else root / f.rel, f.size, probe):
                    emit(item, done)
            for item, done in pipeline.drain():
                emit(item, done)
        finally:
            if pipeline.pool is not None:
                pipeline.pool.shutdown(cancel_futures=True)
        if reader is not None:
            check = reader.result()
            if check.broken is not None and not full:
                raise ArchiveError(
                    f"the previous seal {previous.name} is not intact ({check.broken}); run 'archive verify' "
                    "and re-seal with --full to start a new chain"
                )
            if check.signer_trusted is False and not full:
                raise ArchiveError(
                    f"the previous seal {previous.name} was signed by another key; re-seal with --full to start a new chain"
                )
        footer = {
            "end": True, "count": count, "bytes": total, "head": head,
            "signature": key.sign(_signed_message(header_hash, count, total, head)),
        }
        fh.write(canonical_json(footer) + b"\n")
    throttle.tick(force=True)
    if index is not None:
        record_in_index(index, root, target, count, head, key)
    return SealResult(target, count, total, hashed, reused, unreadable, skipped, head, previous, tuple(problems))


# --- seals: verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    kind: Literal["altered", "deleted", "added", "touched", "unreadable"]
    size: int | None  # now (added/altered/touched) or when sealed (deleted)
    sealed_mtime: datetime | None  # UTC, from the seal
    within_retention: bool | None  # deleted/altered: was the footage still inside its storage period?
    important: bool = False
    detail: str = ""


@dataclass(frozen=True)
class VerifyReport:
    root: str
    seal: SealCheck
    as_of: datetime
    unchanged: int
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def verdict(self) -> str:
        return "violation" if self.findings else "compliant"


def _mtime_utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)


def verify_archive(
    root: Path,
    *,
    seal: Path | None = None,
    out_dir: Path | None = None,
    trusted_keys: Iterable[str] = (),
    full: bool = False,
    as_of: datetime | None = None,
    retention_days: int = RETENTION_DAYS,
    important_days: int = IMPORTANT_RETENTION_DAYS,
    progress: Callable[[Progress], None] | None = None,
    index: Path | None = None,
) -> VerifyReport:
    """Compare ``root`` with a seal (default: the newest in ``ROOT/.cctv-guard``).

    Files whose size and mtime match are taken as unchanged unless ``full`` (then every file is
    re-hashed). A file whose mtime changed but whose content did not is "touched", not altered.
    A deletion is a 17(2) finding when the footage was still inside its storage period at
    ``as_of`` (30 days by the file's sealed mtime; 2 years for important copies); any content
    alteration is a 17(2) finding; a broken chain or signature, or a signer that is not a trusted
    key, makes the seal itself a finding. With ``index`` (the home's ``seals.jsonl``), a newer
    seal recorded there than the one found (deleted or replaced seals) is a finding too."""
    root = Path(root).absolute()
    out_dir = Path(out_dir).absolute() if out_dir is not None else root / SEAL_DIR
    seal_path = Path(seal) if seal is not None else latest_seal(out_dir)
    if seal_path is None:
        raise ArchiveError(f"no seal found in {out_dir}; run 'cctv-guard archive seal {root}' first")
    as_of = as_of or datetime.now(timezone.utc)
    if as_of.tzinfo is None:
        as_of = as_of.astimezone(timezone.utc)
    reader = SealReader(seal_path, trusted_keys)
    problems: list[Problem] = []
    changes: list[Change] = []
    unchanged = 0
    throttle = _Throttle(progress, _footer_count(seal_path))
    exclude = {SEAL_DIR} | ({out_dir.name} if out_dir.parent == root else set())

    def within(entry: SealEntry) -> bool:
        days = important_days if entry.important else retention_days
        return as_of - _mtime_utc(entry.mtime_ns) < timedelta(days=days)

    for f, old in _merge(walk_files(root, problems.append, exclude), reader.keyed()):
        throttle.tick(files=1)
        if old is None:
            changes.append(Change(f.rel, "added", f.size, None, None))
            continue
        if f is None:
            changes.append(Change(old.path, "deleted", old.size, _mtime_utc(old.mtime_ns), within(old), old.important))
            continue
        same_meta = f.size == old.size and f.mtime_ns == old.mtime_ns
        if same_meta and not full:
            unchanged += 1
            continue
        if f.size != old.size and old.sha256 is not None:
            changes.append(Change(f.rel, "altered", f.size, _mtime_utc(old.mtime_ns), within(old), old.important,
                                  f"size {old.size} -> {f.size}"))
            continue
        try:
            digest = hash_file(root / f.rel)
        except OSError as exc:
            changes.append(Change(f.rel, "unreadable", f.size, _mtime_utc(old.mtime_ns), None, old.important, exc.strerror or str(exc)))
            problems.append(Problem(f.rel, f"unreadable ({exc.strerror or exc})"))
            continue
        throttle.tick(nbytes=f.size)
        if old.sha256 is None:  # unreadable when sealed: nothing to compare against
            changes.append(Change(f.rel, "touched", f.size, _mtime_utc(old.mtime_ns), None, old.important, "was unreadable when sealed"))
        elif digest != old.sha256:
            changes.append(Change(f.rel, "altered", f.size, _mtime_utc(old.mtime_ns), within(old), old.important, "content differs"))
        elif same_meta:
            unchanged += 1
        else:
            changes.append(Change(f.rel, "touched", f.size, _mtime_utc(old.mtime_ns), None, old.important, "mtime changed, content identical"))
    check = reader.result()
    throttle.tick(force=True)

    findings: list[Finding] = []
    indexed = newest_indexed_seal(index, root, trusted_keys) if index is not None and seal is None else None
    if indexed is not None and not (indexed["seal"] == seal_path.name and indexed["head"] == reader.head):
        findings.append(_finding(
            "footage_altered", None,
            f"the newest seal recorded in the home for this archive, {indexed['seal']} ({indexed['count']} files), "
            f"is {'missing' if not (out_dir / indexed['seal']).exists() else 'replaced'}: verified against {seal_path.name} instead",
            {"cause": "seal_missing", "expected_seal": indexed["seal"], "expected_head": indexed["head"], "seal": str(seal_path)},
        ))
    if check.broken is not None:
        findings.append(_finding("footage_altered", None, f"seal {seal_path.name} is not intact: {check.broken}",
                                 {"cause": "seal_invalid", "seal": str(seal_path), "broken": check.broken}))
    elif check.signer_trusted is False:
        findings.append(_finding("footage_altered", None,
                                 f"seal {seal_path.name} is signed by a key that is not this home's (public key {check.header.public_key[:16]}…)",
                                 {"cause": "untrusted_key", "seal": str(seal_path), "public_key": check.header.public_key}))
    for c in changes:
        period = "2 years (important copy)" if c.important else f"{retention_days} days"
        if c.kind == "altered":
            inside = "inside" if c.within_retention else "after"
            findings.append(_finding("footage_altered", None, f"{c.path} was altered ({c.detail}) {inside} its {period} storage period",
                                     {"cause": "altered", "path": c.path, "within_retention": c.within_retention, "important": c.important}))
        elif c.kind == "deleted" and c.within_retention:
            findings.append(_finding("backup_retention_short" if c.important else "footage_deleted", None,
                                     f"{c.path} (recorded until {c.sealed_mtime:%Y-%m-%d %H:%M} UTC) was deleted inside its {period} storage period",
                                     {"cause": "deleted", "path": c.path, "sealed_mtime": c.sealed_mtime.isoformat(), "important": c.important}))
    return VerifyReport(str(root), check, as_of, unchanged, tuple(changes), tuple(findings), tuple(problems))


def verify_to_json(report: VerifyReport) -> dict:
    s = report.seal
    return {
        "schema": VERIFY_SCHEMA,
        "tool_version": __version__,
        "root": report.root,
        "seal": str(s.path),
        "sealed_at": s.header.created if s.header else None,
        "seal_intact": s.broken is None,
        "broken_link": s.broken,
        "signer_trusted": s.signer_trusted,
        "as_of": report.as_of.isoformat(),
        "verdict": report.verdict,
        "sealed_files": s.count,
        "unchanged": report.unchanged,
        "changes": [
            {"path": c.path, "kind": c.kind, "size": c.size,
             "sealed_mtime": c.sealed_mtime.isoformat() if c.sealed_mtime else None,
             "within_retention": c.within_retention, "important": c.important, "detail": c.detail}
            for c in report.changes
        ],
        "findings": [f.to_json() for f in report.findings],
        "problems": [{"path": p.path, "problem": p.problem} for p in report.problems],
    }
