"""The archive scan (Order 78 Art. 16(7), 16(8); Order 799 Art. 15, 17): per camera, how far back
footage is kept, which days are missing, where recording stopped for longer than a threshold and
which files are shorter than the nominal segment length.

Both regimes require at least 30 days (:data:`MIN_DAYS_BY_REGIME`); a ``retention_short`` finding
cites both. Order 799 Art. 17 adds that footage whose purpose is served must be deleted after that:
given a camera's declared storage period, footage older than it (and than 30 days) that no hold or
important-copy glob covers is an advisory ``retention_excess`` finding (it does not make the scan a
violation: whether the footage's purpose is served is for people to judge).

Cameras and start times come from the file names through a recordings layout
(:mod:`cctv_guard.media.layout`, e.g. ``{camera}/{date:%Y%m%d}/{time:%H%M%S}.mp4``), durations
from the container headers (PyAV; nothing is decoded). :func:`summarize_camera` is the pure
analysis of one camera; :func:`scan_archive` walks the tree and runs it for every camera.
"""

from __future__ import annotations

import fnmatch
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Mapping, Sequence

from cctv_guard import __version__
from cctv_guard.core.errors import ConfigError
from cctv_guard.core.progress import ProgressFn, report
from cctv_guard.custody.files import (
    FileStat,
    MediaTimes,
    Problem,
    probe_media,
    walk_files,
)
from cctv_guard.custody.findings import RETENTION_DAYS, Finding, finding
from cctv_guard.media.layout import RecordingsLayout, parse_layout

SCAN_SCHEMA = "cctv-guard/archive-scan@1"
MIN_DAYS_BY_REGIME = {"gansu-78": RETENTION_DAYS, "national-799": 30}  # Order 78 Art. 16(8); Order 799 Art. 17


def scan_layout(pattern: str | RecordingsLayout) -> RecordingsLayout:
    """The layout an archive scan needs: relative to the archive root, with the camera and a
    calendar day in every path (``--camera-pattern``). Anything else is a ConfigError."""
    text = pattern.text if isinstance(pattern, RecordingsLayout) else pattern
    return parse_layout(text, what="--camera-pattern", relative=True, need_camera=True, need_day=True)


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
        if any(not f.advisory for f in self.findings):
            return "violation"
        return "compliant" if self.cameras else "inconclusive"


def format_span(seconds: float) -> str:
    """A span of time for people: ``45s``, ``12m05s``, ``6h00m``, ``2d03h``."""
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
    declared_days: int | None = None,
    hold: Sequence[str] = (),
) -> tuple[CameraSummary, list[Finding]]:
    """The retention, gap and short-file analysis of one camera's recordings (pure); with
    ``declared_days``, also the advisory ``retention_excess`` check (``hold``: globs on the
    relative path of footage under a hold or marked important)."""
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
            finding(
                "recording_gap", camera,
                f"no recording for {format_span(g.duration_s)} from {g.start.isoformat(sep=' ')} to "
                f"{g.end.isoformat(sep=' ')}{' (up to the as-of time)' if g.ongoing else ''}",
                {"cause": "gap", "start": g.start.isoformat(), "end": g.end.isoformat(), "duration_s": round(g.duration_s, 3), "ongoing": g.ongoing},
            )
        )

    kept_days = (as_of - first).total_seconds() / 86400
    if kept_days < min_days:
        findings.append(
            finding(
                "retention_short", camera,
                f"keeps {kept_days:.1f} days of footage (oldest {first.isoformat(sep=' ')}); at least {min_days} days are required",
                {"kept_days": round(kept_days, 3), "oldest": first.isoformat(), "min_days": min_days,
                 "min_days_by_regime": dict(MIN_DAYS_BY_REGIME)},
            )
        )
    if declared_days is not None:
        excess = excess_finding(camera, [(r.path, end_of(r)) for r in recs], as_of=as_of, declared_days=declared_days, hold=hold)
        if excess is not None:
            findings.append(excess)

    shorts: list[ShortFile] = []
    if nominal_s:
        for r in recs[:-1]:  # the newest file may still be recording
            if r.duration_s is not None and r.duration_s < nominal_s * (1 - short_tolerance):
                shorts.append(ShortFile(r.path, r.start, r.duration_s, nominal_s))
                findings.append(
                    finding(
                        "recording_gap", camera,
                        f"{r.path} lasts {format_span(r.duration_s)}, nominal {format_span(nominal_s)}: recording was interrupted",
                        {"cause": "short_file", "path": r.path, "duration_s": round(r.duration_s, 3), "nominal_s": round(nominal_s, 3)},
                    )
                )
    summary = CameraSummary(
        camera, len(recs), sum(r.size for r in recs), first, last_end, kept_days,
        sum(durations) if durations else None, nominal_s, precision, tuple(missing), tuple(gaps), tuple(shorts),
    )
    return summary, findings


def excess_finding(camera: str, files: Sequence[tuple[str, datetime]], *, as_of: datetime, declared_days: int,
                   hold: Sequence[str] = ()) -> Finding | None:
    """Order 799 Art. 17: the advisory ``retention_excess`` finding for footage (``(path, end)``)
    that ended more than ``max(declared_days, 30)`` days before ``as_of`` and that no ``hold``
    glob covers; None when there is none."""
    if declared_days < 1:
        raise ConfigError(f"the declared storage period must be at least 1 day, found {declared_days}")
    limit = max(declared_days, MIN_DAYS_BY_REGIME["national-799"])
    cutoff = as_of - timedelta(days=limit)
    old = [(p, end) for p, end in files if end < cutoff]
    kept = [(p, end) for p, end in old if not any(fnmatch.fnmatchcase(p, g) for g in hold)]
    if not kept:
        return None
    oldest = min(end for _, end in kept)
    return finding(
        "retention_excess", camera,
        f"{len(kept)} file(s) kept past the declared storage period of {declared_days} days (oldest ended "
        f"{oldest.isoformat(sep=' ')}) with no hold or important mark: delete footage whose purpose is served",
        {"declared_days": declared_days, "limit_days": limit, "files": len(kept), "held": len(old) - len(kept),
         "oldest_end": oldest.isoformat(), "examples": sorted(p for p, _ in kept)[:5]},
        advisory=True,
    )


def scan_archive(
    root: Path,
    pattern: str | RecordingsLayout,
    *,
    min_days: int = RETENTION_DAYS,
    gap_s: float = 60.0,
    as_of: datetime | None = None,
    nominal_s: float | None = None,
    probe: bool = True,
    progress: ProgressFn | None = None,
    declared_days: int | Mapping[str, int] | None = None,
    hold: Sequence[str] = (),
) -> ScanReport:
    """Group the files under ``root`` by camera and check retention (16(8)) and gaps (16(7)).

    ``as_of`` (naive local time) defaults to the end of the newest footage in the archive, so
    scanning an export taken last week judges it as of the export. ``pattern`` is a recordings
    layout relative to ``root`` (see :func:`scan_layout`); ``progress`` hears of every file
    matched. ``declared_days`` (one period, or per camera id) and ``hold`` turn on the advisory
    Order 799 Art. 17 ``retention_excess`` check (see :func:`excess_finding`)."""
    cp = scan_layout(pattern)
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
        return probe_media(Path(f.path)) if probe else None

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
                report(progress, n, None, "files")
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
        declared = declared_days.get(cam) if isinstance(declared_days, Mapping) else declared_days
        summary, found = summarize_camera(cam, recs, as_of=as_of, min_days=min_days, gap_s=gap_s, nominal_s=nominal_s,
                                          declared_days=declared, hold=hold)
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
        "min_days_by_regime": dict(MIN_DAYS_BY_REGIME),
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
        "problems": [p.to_json() for p in report.problems],
        "unmatched_files": report.unmatched,
    }
