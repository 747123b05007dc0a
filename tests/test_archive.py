"""Retention and gap scan (Art. 16(7), 16(8)) over synthetic archives of tiny real MP4s."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cctv_guard import custody
from cctv_guard.custody import Recording, scan_archive, scan_layout, summarize_camera
from cctv_guard.core.durations import parse_duration
from cctv_guard.core.errors import ArchiveError, ConfigError

from conftest import encode_frames

HOUR = 3600.0


def make_mp4(path: Path, seconds: float, *, frame_interval_s: int = 60, created: str | None = None) -> Path:
    """A real MPEG-4 file of the given duration: 16x16 frames, one every `frame_interval_s`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as c:
        if created:
            c.metadata["creation_time"] = created
        s = c.add_stream("mpeg4", rate=Fraction(1, frame_interval_s))
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        img = np.full((16, 16, 3), 90, np.uint8)
        encode_frames(c, s, [img] * int(seconds // frame_interval_s), fmt="rgb24")
    return path


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[float, Path]:
    d = tmp_path_factory.mktemp("templates")
    return {secs: make_mp4(d / f"t{int(secs)}.mp4", secs) for secs in (6 * HOUR, 3 * HOUR)}


def lay_out(root: Path, camera: str, starts: list[datetime], template: Path, name="{camera}/{d:%Y%m%d}/{d:%H%M%S}.mp4") -> list[Path]:
    paths = []
    for s in starts:
        p = root / name.format(camera=camera, d=s)
        p.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, p)
        paths.append(p)
    return paths


PATTERN = "{camera}/{date:%Y%m%d}/{time:%H%M%S}.mp4"
T0 = datetime(2026, 10, 20)


def six_hourly(days: int, start: datetime = T0) -> list[datetime]:
    return [start + timedelta(hours=6 * i) for i in range(days * 4)]


# --- patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, rel, camera, start",
    [
        ("{camera}/{date:%Y%m%d}/*.mp4", "GS-LZ-0012/20261120/ch1_0800.mp4", "GS-LZ-0012", datetime(2026, 11, 20)),
        (PATTERN, "cam1/20261120/081500.mp4", "cam1", datetime(2026, 11, 20, 8, 15)),
        ("{camera}_{date:%Y-%m-%d_%H-%M-%S}.ts", "lobby_2_2026-11-20_23-59-00.ts", "lobby_2", datetime(2026, 11, 20, 23, 59)),
        ("rec/{date:%Y/%m/%d}/{camera}-?.mkv", "rec/2026/11/02/door-a.mkv", "door", datetime(2026, 11, 2)),
    ],
)
def test_pattern_matches_and_parses(pattern, rel, camera, start):
    assert scan_layout(pattern).match(rel) == (camera, start)


@pytest.mark.parametrize("rel", ["cam1/20261120/081500.avi", "cam1/081500.mp4", "cam1/sub/20261120/081500.mp4"])
def test_pattern_rejects_other_paths(rel):
    assert scan_layout(PATTERN).match(rel) is None


def test_pattern_invalid_calendar_date_raises_valueerror():
    with pytest.raises(ValueError):
        scan_layout(PATTERN).match("cam1/20261340/081500.mp4")


@pytest.mark.parametrize(
    "pattern, says",
    [
        ("", "relative path"),
        ("/nvr/{camera}/{date:%Y%m%d}.mp4", "relative path"),
        ("{camera}/*.mp4", "missing the {date} field"),
        ("{date:%Y%m%d}/*.mp4", "missing the {camera} field"),
        ("{camera}/{date:%Y%m%d}/{time}.mp4", "needs a strftime format"),
        ("{camera}/{date:%Y%m%d/*.mp4", "unbalanced brace"),
        ("{camera}}/{date:%Y%m%d}/*.mp4", "unbalanced brace"),
        ("{cam}/{date:%Y%m%d}/*.mp4", "unknown field {cam}"),
        ("{camera}/{date:%Y%Q%d}/*.mp4", "unsupported directive %Q"),
        ("{camera}/{date:%Y}/{date:%Y%m%d}.mp4", "%Y appears twice"),
        ("{camera}/{date:%Y%m%d}/{time:%H%M}{time:%H}.mp4", "%H appears twice"),
        ("{camera}/{date:%H%M}/x.mp4", "must give year, month and day"),
        ("{camera}/{date:%Y%m%d}/{time:%M%S}.mp4", "must contain %H"),
        ("{camera:x}/{date:%Y%m%d}.mp4", "takes no format"),
        ("{camera}/{date:%Y%m%d%}.mp4", "lone %"),
    ],
)
def test_malformed_patterns_are_one_line_config_errors(pattern, says):
    with pytest.raises(ConfigError) as exc:
        scan_layout(pattern)
    assert says in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "text, seconds", [("90", 90), ("60s", 60), ("5m", 300), ("1.5h", 5400), ("2d", 172800), ("250ms", 0.25)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5 weeks", "-3s"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigError):
        parse_duration(text, "--gap")


# --- the pure analysis --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=60, max_value=7200), min_size=2, max_size=30),
    pauses=st.lists(st.integers(min_value=0, max_value=600), min_size=30, max_size=30),
    gap_s=st.integers(min_value=1, max_value=300),
)
def test_gaps_are_exactly_the_pauses_longer_than_the_threshold(lengths, pauses, gap_s):
    recs, t = [], T0
    for i, length in enumerate(lengths):
        recs.append(Recording(f"c/{i}.mp4", t, 1, float(length), True))
        t += timedelta(seconds=length + pauses[i])
    as_of = recs[-1].start + timedelta(seconds=lengths[-1])  # no trailing gap
    summary, findings = summarize_camera("c", list(reversed(recs)), as_of=as_of, gap_s=gap_s, min_days=1)
    expected = [(recs[i].start + timedelta(seconds=lengths[i]), recs[i + 1].start) for i in range(len(recs) - 1) if pauses[i] > gap_s]
    assert [(g.start, g.end) for g in summary.gaps] == expected
    assert sum(1 for f in findings if f.kind == "recording_gap" and f.details["cause"] == "gap") == len(expected)
    assert all(f.article == "16(7)" for f in findings if f.kind == "recording_gap")
    assert summary.recorded_s == pytest.approx(sum(lengths))


def test_retention_boundary():
    recs = [Recording("c/a.mp4", T0, 1, HOUR, True)]
    exactly = summarize_camera("c", recs, as_of=T0 + timedelta(days=30), gap_s=1e9)[1]
    short = summarize_camera("c", recs, as_of=T0 + timedelta(days=29, hours=23), gap_s=1e9)[1]
    assert not [f for f in exactly if f.kind == "retention_short"]
    (r,) = [f for f in short if f.kind == "retention_short"]
    assert r.article == "16(8)" and r.details["kept_days"] == pytest.approx(29 + 23 / 24, abs=1e-3)


# --- scanning real trees -----------------------------------------------------------------------


def test_scan_finds_gap_short_file_and_short_retention(tmp_path, templates):
    six, three = templates[6 * HOUR], templates[3 * HOUR]
    a_starts = six_hourly(32)
    removed = a_starts.pop(50)  # one 6-hour segment missing -> one gap
    short_start = a_starts[80]
    lay_out(tmp_path, "camA", [s for s in a_starts if s != short_start], six)
    lay_out(tmp_path, "camA", [short_start], three)  # a 3 h file where 6 h were due
    b_starts = six_hourly(10, start=T0 + timedelta(days=22))
    lay_out(tmp_path, "camB", b_starts, six)
    (tmp_path / "notes.txt").write_text("not footage")

    report = scan_archive(tmp_path, PATTERN, gap_s=60)
    as_of = T0 + timedelta(days=32)
    assert report.as_of == as_of  # end of the newest footage
    assert report.unmatched == 1
    a, b = report.cameras
    assert (a.camera, a.files, b.camera, b.files) == ("camA", 32 * 4 - 1, "camB", 40)
    assert a.nominal_s == pytest.approx(6 * HOUR)
    assert [(g.start, g.end) for g in a.gaps] == [
        (removed, removed + timedelta(hours=6)),
        (short_start + timedelta(hours=3), short_start + timedelta(hours=6)),
    ]
    assert [s.path for s in a.short_files] == [f"camA/{short_start:%Y%m%d}/{short_start:%H%M%S}.mp4"]
    assert a.short_files[0].duration_s == pytest.approx(3 * HOUR)
    assert a.kept_days == pytest.approx(32) and not b.gaps and b.kept_days == pytest.approx(10)
    assert a.missing_days == () and len(b.missing_days) == 0
    kinds = sorted((f.camera, f.kind, f.details.get("cause")) for f in report.findings)
    assert kinds == [
        ("camA", "recording_gap", "gap"), ("camA", "recording_gap", "gap"), ("camA", "recording_gap", "short_file"),
        ("camB", "retention_short", None),
    ]
    assert report.verdict == "violation"
    doc = custody.scan_to_json(report)
    assert doc["schema"] == "cctv-guard/archive-scan@1" and doc["cameras"][1]["kept_days"] == pytest.approx(10)


def test_scan_camera_that_stopped_recording_has_an_ongoing_gap(tmp_path, templates):
    lay_out(tmp_path, "camA", six_hourly(31), templates[6 * HOUR])
    lay_out(tmp_path, "camB", six_hourly(29), templates[6 * HOUR])  # stopped two days before camA
    report = scan_archive(tmp_path, PATTERN)
    (gap,) = report.cameras[1].gaps
    assert gap.ongoing and gap.duration_s == pytest.approx(2 * 86400)
    assert report.cameras[1].missing_days == (date(2026, 11, 18), date(2026, 11, 19))
    assert not report.cameras[0].gaps


def test_scan_as_of_moves_the_retention_window(tmp_path, templates):
    lay_out(tmp_path, "camA", six_hourly(31), templates[6 * HOUR])
    later = scan_archive(tmp_path, PATTERN, as_of=T0 + timedelta(days=40), gap_s=600)
    (gap,) = later.cameras[0].gaps
    assert gap.ongoing and gap.end == T0 + timedelta(days=40)
    assert len(later.cameras[0].missing_days) == 9
    assert not [f for f in later.findings if f.kind == "retention_short"]
    assert [f.kind for f in scan_archive(tmp_path, PATTERN, min_days=35).findings] == ["retention_short"]


def test_day_only_names_report_missing_days(tmp_path, templates):
    days = [T0 + timedelta(days=i) for i in range(31) if i not in (5, 6, 20)]
    lay_out(tmp_path, "cam9", days, templates[3 * HOUR], name="{camera}/{d:%Y-%m-%d}.mp4")
    report = scan_archive(tmp_path, "{camera}/{date:%Y-%m-%d}.mp4")
    (c,) = report.cameras
    assert c.precision == "day"
    assert c.missing_days == (date(2026, 10, 25), date(2026, 10, 26), date(2026, 11, 9))
    assert [(g.start.date(), g.end.date()) for g in c.gaps] == [(date(2026, 10, 25), date(2026, 10, 27)), (date(2026, 11, 9), date(2026, 11, 10))]
    assert report.as_of == T0 + timedelta(days=31)


def test_creation_time_gives_time_of_day_when_names_do_not(tmp_path):
    for i, hour in enumerate((0, 6, 18)):  # 12:00-18:00 missing
        start = T0 + timedelta(hours=hour)
        make_mp4(tmp_path / "camC" / f"{start:%Y%m%d}_{i}.mp4", 6 * HOUR, frame_interval_s=600,
                 created=start.astimezone().isoformat())
    report = scan_archive(tmp_path, "{camera}/{date:%Y%m%d}_*.mp4", min_days=1)
    (c,) = report.cameras
    assert c.precision == "time"
    assert [(g.start, g.end) for g in c.gaps] == [(T0 + timedelta(hours=12), T0 + timedelta(hours=18))]


def test_no_probe_infers_nominal_length_from_start_times(tmp_path):
    starts = [T0 + timedelta(minutes=10 * i) for i in range(30) if i != 12]
    for s in starts:
        p = tmp_path / "camE" / f"{s:%Y%m%d}" / f"{s:%H%M%S}.mp4"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    report = scan_archive(tmp_path, PATTERN, probe=False, min_days=1)
    (c,) = report.cameras
    assert c.nominal_s == pytest.approx(600) and c.recorded_s is None
    assert [(g.start, g.end) for g in c.gaps] == [(T0 + timedelta(minutes=120), T0 + timedelta(minutes=130))]


def test_unreadable_videos_bad_dates_and_symlink_loops_are_reported_not_fatal(tmp_path, templates):
    lay_out(tmp_path, "camA", six_hourly(31), templates[6 * HOUR])
    (tmp_path / "camA" / "20261101" / "999999.mp4").write_bytes(b"\x00" * 100)  # matches? no: 99:99 is no time
    (tmp_path / "camA" / "20261101" / "120000.mp4").unlink()
    (tmp_path / "camA" / "20261101" / "120000.mp4").write_bytes(b"garbage, not a container")
    os.symlink("..", tmp_path / "camA" / "20261101" / "loop")
    os.symlink("missing-target", tmp_path / "camA" / "dangling.mp4")
    report = scan_archive(tmp_path, PATTERN)
    problems = {p.path: p.problem for p in report.problems}
    assert "unreadable video" in problems["camA/20261101/120000.mp4"]
    assert "not a valid calendar time" in problems["camA/20261101/999999.mp4"]
    assert "symlink loop" in problems["camA/20261101/loop"]
    assert problems["camA/dangling.mp4"] == "broken symlink"
    assert report.cameras[0].files == 31 * 4
    # The unreadable file's duration is taken as nominal: no gap is invented for it.
    assert not report.cameras[0].gaps


def test_scan_input_errors(tmp_path):
    with pytest.raises(ArchiveError, match="cannot read archive root"):
        scan_archive(tmp_path / "absent", PATTERN)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ArchiveError, match="must be a directory"):
        scan_archive(tmp_path / "f", PATTERN)
    with pytest.raises(ConfigError, match="--min-days"):
        scan_archive(tmp_path, PATTERN, min_days=0)
    empty = scan_archive(tmp_path, PATTERN)
    assert empty.cameras == () and empty.verdict == "inconclusive" and empty.unmatched == 1


def test_footage_after_as_of_is_not_judged(tmp_path, templates):
    lay_out(tmp_path, "camA", six_hourly(31), templates[6 * HOUR])
    lay_out(tmp_path, "camB", six_hourly(2, start=T0 + timedelta(days=29)), templates[6 * HOUR])
    report = scan_archive(tmp_path, PATTERN, as_of=T0 + timedelta(days=10))
    (a,) = report.cameras
    assert a.files == 40 and a.kept_days == pytest.approx(10) and not a.gaps
    assert [f.kind for f in report.findings] == ["retention_short"]
    assert [p.path for p in report.problems] == ["camB"]
