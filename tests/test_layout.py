"""The recordings layout language (media.layout): one pattern for archive scans and fleet audits."""

from __future__ import annotations

import glob
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cctv_guard.core.errors import ConfigError
from cctv_guard.media.layout import PathMatch, parse_layout, recordings_of_day

DAY = date(2026, 11, 27)


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    "layout, path, camera, start",
    [
        ("/nvr/{camera}/{date:%Y%m%d}/*.mp4", "/nvr/GS-LZ-0012/20261127/ch1.mp4", "GS-LZ-0012", datetime(2026, 11, 27)),
        ("{camera}/{date}/*.mp4", "cam1/2026-11-27/a.mp4", "cam1", datetime(2026, 11, 27)),  # {date} is ISO, as str(date)
        ("{camera}/{camera}_{date:%Y%m%d_%H%M%S}.ts", "door/door_20261127_083000.ts", "door", datetime(2026, 11, 27, 8, 30)),
        ("/v/{camera}/{date:%Y%m%d}/{camera}_{date:%Y%m%d}_{time:%H%M}.mp4", "/v/A/20261127/A_20261127_0815.mp4", "A",
         datetime(2026, 11, 27, 8, 15)),
        ("{camera}/{date:%Y}/{date:%m}/{date:%d}/{time:%H%M}.mkv", "c/2026/11/27/2359.mkv", "c", datetime(2026, 11, 27, 23, 59)),
        ("ch[0-9]/{camera}/{date:%y%j}.mp4", "ch3/x/26331.mp4", "x", datetime(2026, 11, 27)),
        ("{{raw}}/{camera}/{date:%Y%m%d}.mp4", "{raw}/c/20261127.mp4", "c", datetime(2026, 11, 27)),
        ("/n/{camera}/*.mp4", "/n/A/anything.mp4", "A", None),  # no day in the layout: start unknown
        ("/n/special/cam7.mp4", "/n/special/cam7.mp4", None, None),  # one camera's own path
    ],
)
def test_match(layout, path, camera, start):
    assert parse_layout(layout).match(path) == PathMatch(camera, start)


@pytest.mark.parametrize(
    "layout, path",
    [
        ("{camera}/{camera}_{date:%Y%m%d}.ts", "door/gate_20261127.ts"),  # a repeated {camera} has one value
        ("{camera}/{date:%Y%m%d}/{camera}_{date:%Y%m%d}.mp4", "A/20261127/A_20261128.mp4"),  # and so has a repeated {date}
        ("ch[0-9]/{camera}/{date:%Y%m%d}.mp4", "chx/c/20261127.mp4"),
        ("ch[!0-9]/{camera}/{date:%Y%m%d}.mp4", "ch1/c/20261127.mp4"),
        ("{camera}/*.mp4", "a/b/c.mp4"),  # * stays inside one folder
    ],
)
def test_no_match(layout, path):
    assert parse_layout(layout).match(path) is None


def test_glob_fills_the_day_and_leaves_times_open():
    layout = parse_layout("/nvr/{camera}/{date:%Y%m%d}/{camera}_{date:%Y%m%d}_{time:%H%M%S}*.mp4")
    assert layout.glob("GS-LZ-0012", DAY) == "/nvr/GS-LZ-0012/20261127/GS-LZ-0012_20261127_**.mp4"
    assert parse_layout("{camera}_{date:%Y-%m-%d_%H-%M}.ts").glob("c", DAY) == "c_2026-11-27_*-*.ts"
    assert parse_layout("{camera}/{date:%Y%m%d}.ts").glob("c", None) == "c/*.ts"
    assert parse_layout("{camera}/x.ts").glob("we[ir]d*", DAY) == glob.escape("we[ir]d*") + "/x.ts"


def test_files_of_day_finds_one_cameras_recordings_of_one_day(tmp_path):
    layout = parse_layout(str(tmp_path) + "/{camera}/{camera}_{date:%Y%m%d_%H%M%S}.mp4")
    want = [touch(tmp_path / "cam1" / f"cam1_20261127_{h:02d}0000.mp4") for h in (0, 8, 23)]
    touch(tmp_path / "cam1" / "cam1_20261126_230000.mp4")  # the day before
    touch(tmp_path / "cam1" / "cam1_20261127_990000.mp4")  # no such time
    touch(tmp_path / "cam1" / "cam1_20261127_080000.mp4.part")
    touch(tmp_path / "cam2" / "cam2_20261127_080000.mp4")  # another camera
    (tmp_path / "cam1" / "cam1_20261127_120000.mp4").mkdir()  # a folder, not a file
    assert layout.files_of_day("cam1", DAY) == want
    assert layout.files_of_day("cam3", DAY) == []


def test_files_of_day_relative_to_a_root_and_suffixes(tmp_path):
    layout = parse_layout("{camera}/{date:%Y%m%d}/*")
    mp4 = touch(tmp_path / "A" / "20261127" / "1.mp4")
    touch(tmp_path / "A" / "20261127" / "notes.txt")
    assert layout.files_of_day("A", DAY, root=tmp_path, suffixes=[".MP4", ".mkv"]) == [mp4]
    assert len(layout.files_of_day("A", DAY, root=tmp_path)) == 2
    exact = parse_layout(str(tmp_path) + "/{camera}/{date:%Y%m%d}/notes.txt")  # no wildcard: suffixes do not apply
    assert exact.files_of_day("A", DAY, suffixes=[".mp4"]) == [tmp_path / "A" / "20261127" / "notes.txt"]


def test_recordings_of_day_serves_a_fleet_template(tmp_path):
    """The fleet's `recordings.template` (``/nvr/{camera}/{date:%Y%m%d}/*.mp4``): the files, and
    the glob they were looked for with."""
    template = str(tmp_path) + "/{camera}/{date:%Y%m%d}/*.mp4"
    want = [touch(tmp_path / "GS-LZ-0012" / "20261127" / f"{i}.mp4") for i in range(3)]
    touch(tmp_path / "GS-LZ-0012" / "20261128" / "0.mp4")
    files, where = recordings_of_day(template, "GS-LZ-0012", DAY, suffixes=[".mp4"])
    assert files == want and where == f"{tmp_path}/GS-LZ-0012/20261127/*.mp4"
    no_day = recordings_of_day(str(tmp_path) + "/{camera}/*/*.mp4", "GS-LZ-0012", DAY)[0]
    assert len(no_day) == 4  # a template without a day finds every day's files, as before
    with pytest.raises(ConfigError, match=r"^recordings.template '/n/\{cam\}/\*\.mp4': unknown field \{cam\}"):
        recordings_of_day("/n/{cam}/*.mp4", "A", DAY, what="recordings.template")


@pytest.mark.parametrize(
    "layout, kwargs, says",
    [
        ("", {}, "is empty"),
        ("/n/{camera}/{date:%Y%m%d}.mp4", {"relative": True}, "must be a relative path pattern"),
        ("{date:%Y%m%d}.mp4", {"need_camera": True}, "missing the {camera} field"),
        ("{camera}/*.mp4", {"need_day": True}, "missing the {date} field"),
        ("{camera}/{date:%Y%m}/*.mp4", {"need_day": True}, "must give year, month and day"),
        ("{camera}/{date:%Y%m%d", {}, "unbalanced brace"),
        ("{camera}}/x", {}, "unbalanced brace"),
        ("{{camera}/x", {}, "unbalanced brace"),
        ("{time}/{camera}", {}, "needs a strftime format"),
        ("{date:}/{camera}", {}, "needs a strftime format"),
        ("{camera}/{date:%Y%m%d}/{time:%M%S}", {}, "must contain %H"),
        ("{camera}/{date:%Y%m%d}/{date:%d}", {}, "%d appears twice"),
        ("{camera}/{date:%A}", {}, "unsupported directive %A"),
        ("{camera!r}/x", {}, "unknown field {camera!r}"),
    ],
)
def test_malformed_layouts_are_one_line_config_errors(layout, kwargs, says):
    with pytest.raises(ConfigError) as exc:
        parse_layout(layout, what="recordings.template", **kwargs)
    assert says in str(exc.value) and "\n" not in str(exc.value) and "recordings.template" in str(exc.value)


def test_a_monthly_layout_is_fine_for_finding_files():
    layout = parse_layout("/nvr/{camera}/{date:%Y-%m}/*.mp4")
    assert not layout.has_day and layout.glob("A", DAY) == "/nvr/A/2026-11/*.mp4"


CAMERA = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_[]*?."), min_size=1, max_size=12)
LAYOUTS = [
    "{camera}/{date:%Y%m%d}/{time:%H%M%S}.mp4",
    "{camera}_{date:%Y-%m-%d_%H-%M-%S}.ts",
    "rec/{date:%Y/%m/%d}/{camera}/{time:%I%M%p}.mkv",
    "{camera}/{date:%d.%m.%y}/{camera}-{time:%H%M}.avi",
]
FORMATS = {  # the same layouts as strftime formats, to lay files out with
    LAYOUTS[0]: "{c}/%Y%m%d/%H%M%S.mp4", LAYOUTS[1]: "{c}_%Y-%m-%d_%H-%M-%S.ts",
    LAYOUTS[2]: "rec/%Y/%m/%d/{c}/%I%M%p.mkv", LAYOUTS[3]: "{c}/%d.%m.%y/{c}-%H%M.avi",
}


@settings(max_examples=60, deadline=None)
@given(
    text=st.sampled_from(LAYOUTS), camera=CAMERA.filter(lambda c: c not in (".", "..")),
    start=st.datetimes(datetime(2001, 1, 1), datetime(2068, 12, 31)),
)
def test_round_trip_path_match_and_find(tmp_path_factory, text, camera, start):
    start = start.replace(second=0 if "%S" not in FORMATS[text] else start.second, microsecond=0)
    rel = start.strftime(FORMATS[text].replace("{c}", camera.replace("%", "%%")))
    layout = parse_layout(text, relative=True, need_camera=True, need_day=True)
    assert layout.match(rel) == (camera, start)
    root = tmp_path_factory.mktemp("layout")
    touch(root / rel)
    touch(root / (start + timedelta(days=1)).strftime(FORMATS[text].replace("{c}", camera)))
    assert layout.files_of_day(camera, start.date(), root=root) == [root / rel]
    assert os.path.isfile(root / rel)
