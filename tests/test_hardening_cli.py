"""Issue 13, command-line items: hostile text in paths and errors (rich markup, terminal
controls), numbers that overflow, corrupt baseline headers, and nothing written after a failure.
Run through `python -m cctv_guard`, the path a user takes, so the entry point's own error
handling is what is tested."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import SAMPLES

NORMAL = SAMPLES / "vtest_normal.mp4"


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "cctv_guard", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def one_line_error(r) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert "Traceback" not in r.stderr and "\x1b" not in r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    if not NORMAL.is_file():
        pytest.skip("samples missing")
    out = tmp_path_factory.mktemp("b") / "n.baseline"
    r = cli("baseline", NORMAL, "--out", out, "--end", "6")
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("name", ["rec[/bad].mp4", "rec[bold]x[/bold].mp4", "[link=https:x]y.mp4"])
def test_markup_in_a_missing_path_is_shown_as_text(tmp_path, baseline, name):
    line = one_line_error(cli("check", name, "--baseline", baseline, cwd=tmp_path))
    assert name in line  # shown literally, markup and all


def test_markup_in_an_existing_file_name_checks_normally(tmp_path, baseline):
    clip = tmp_path / "rec[bold]x[red].mp4"
    shutil.copy(NORMAL, clip)
    r = cli("check", clip, "--baseline", baseline, "--end", "3", "--no-privacy", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["source"] == str(clip)


def test_markup_in_an_article_reference_is_a_one_line_error():
    assert "9[/x]" in one_line_error(cli("articles", "9[/x]"))


def test_terminal_controls_in_a_path_are_escaped(tmp_path, baseline):
    name = "rec\x1b]0;pwned\x07\x1b[2J\u202eevil.mp4"
    line = one_line_error(cli("check", name, "--baseline", baseline, cwd=tmp_path))
    assert "\\x1b" in line and "\\u202e" in line and "\x07" not in line and "\u202e" not in line


@pytest.mark.parametrize("value", ["1e308", "nan", "inf", "-1"])
def test_absurd_offsets_are_usage_errors(tmp_path, baseline, value):
    line = one_line_error(cli("check", NORMAL, "--baseline", baseline, "--start", value, "--json", tmp_path / "r.json"))
    assert "--start" in line and not (tmp_path / "r.json").exists()


def test_an_absurd_copy_count_is_a_usage_error(tmp_path):
    r = cli("ledger", "record", "--who", "Li", "--unit", "PSB", "--purpose", "case 1", "--camera", "GS-1",
            "--from", "2026-11-20T08:00", "--to", "2026-11-20T09:00", "--action", "copy",
            "--copies", "99999999999999999999", "--home", tmp_path / "home")
    assert "--copies" in one_line_error(r)
    assert not (tmp_path / "home" / "ledger.jsonl").exists()


def _with_header(baseline, tmp_path, name, change):
    arrays = dict(np.load(baseline, allow_pickle=False))
    header = json.loads(bytes(arrays["header"]).decode())
    change(header)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    out = tmp_path / name
    with open(out, "wb") as f:
        np.savez(f, **arrays)
    return out


@pytest.mark.parametrize("name,change,message", [
    ("zero", lambda h: h.update(frame_size=[0, 0]), "out of range"),
    ("negative", lambda h: h.update(frame_size=[-480, 360]), "out of range"),
    ("huge", lambda h: h.update(analysis_size=[10**9, 360]), "out of range"),
    ("noise", lambda h: h["profiles"]["day"].update(noise="abc"), "non-numeric noise"),
])
def test_corrupt_baseline_headers_are_refused(tmp_path, baseline, name, change, message):
    bad = _with_header(baseline, tmp_path, name, change)
    line = one_line_error(cli("check", NORMAL, "--baseline", bad, "--no-privacy", "--json", tmp_path / "r.json"))
    assert message in line and not (tmp_path / "r.json").exists()


def test_check_past_the_end_writes_nothing(tmp_path, baseline):
    line = one_line_error(cli("check", NORMAL, "--baseline", baseline, "--start", "5000", "--no-privacy",
                              "--json", tmp_path / "r.json", "--html", tmp_path / "r.html"))
    assert "--start 5000 past its end" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [
    lambda b, out: ["check", NORMAL, "--baseline", b, "--json", out],
    lambda b, out: ["check", NORMAL, "--baseline", b, "--html", out],
    lambda b, out: ["baseline", NORMAL, "--out", out],
    lambda b, out: ["scan", SAMPLES / "images", "--json", out],
])
def test_an_output_in_a_missing_folder_fails_before_any_work(tmp_path, baseline, command):
    out = tmp_path / "no" / "such" / "dir" / "x.json"
    line = one_line_error(cli(*command(baseline, out)))
    assert "does not exist" in line and not (tmp_path / "no").exists()


def test_an_output_that_is_a_folder_is_refused(tmp_path, baseline):
    assert "is a folder" in one_line_error(cli("check", NORMAL, "--baseline", baseline, "--json", tmp_path))


def test_scan_of_nothing_writes_no_json(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("scan", empty, "--json", tmp_path / "scan.json")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()  # the counts, the skipped folder with its reason, the error
    assert lines[-1] == "error: nothing could be scanned (folder holds no images or videos)"
    assert lines[-2] == f"skipped: {empty}: folder holds no images or videos" and not (tmp_path / "scan.json").exists()


def test_scan_json_lists_what_it_skipped(tmp_path):
    """Counted skips carry their reason in scan@1 too, not only on the terminal."""
    (tmp_path / "in").mkdir()
    shutil.copy(SAMPLES / "images" / "bus.jpg", tmp_path / "in" / "bus.jpg")
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    r = cli("scan", tmp_path / "in", tmp_path / "missing.png", "--no-ocr", "--json", tmp_path / "scan.json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads((tmp_path / "scan.json").read_text())
    assert [i["source"] for i in doc["items"]] == [str(tmp_path / "in" / "bus.jpg")]
    reasons = {s["source"]: s["reason"] for s in doc["skipped"]}
    assert set(reasons) == {str(tmp_path / "in" / "broken.jpg"), str(tmp_path / "missing.png")}
    assert reasons[str(tmp_path / "missing.png")] == "no such file or folder"


def test_piped_progress_prints_plain_lines(capsys):
    from cctv_guard.cli.common import plain_ticker
    from cctv_guard.core.progress import Progress

    tick = plain_ticker("scan", every_s=0.0)
    tick(Progress(3, 10, "files", "room\x1b[2J.jpg"))
    err = capsys.readouterr().err
    assert err.strip() == "scan: 3/10 files (room\\x1b[2J.jpg)"


def test_a_short_baseline_window_explains_the_missing_keyframe_measure(tmp_path):
    """Issue 13 #17: a baseline freshly built over a window shorter than a keyframe interval is
    not 'built before it was measured': both commands say what really happened."""
    if not NORMAL.is_file():
        pytest.skip("samples missing")
    short = tmp_path / "short.baseline"
    r = cli("baseline", NORMAL, "--out", short, "--end", "1")
    assert r.returncode == 0 and "window held no keyframe after its first frame" in r.stderr
    r = cli("check", NORMAL, "--baseline", short, "--keyframes-only", "--no-privacy", "--end", "10")
    assert "its window held no keyframe after the first frame" in r.stderr and "built before" not in r.stderr
    r = cli("baseline", NORMAL, "--out", tmp_path / "long.baseline", "--end", "6")
    assert r.returncode == 0 and "keyframe" not in r.stderr


# --- smaller frictions (issue 13 #19) -------------------------------------------------------------


def _help(*command):
    r = cli(*command, "--help", env={**__import__("os").environ, "COLUMNS": "100"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_help_shows_no_python_types_and_every_edit_option_is_described():
    text = _help("camera", "edit")
    assert "<bool>" not in text and "<str>" not in text and "list[" not in text
    options = [line for line in text.splitlines() if line.lstrip("│ ").startswith("--")]
    assert len(options) >= 15
    undocumented = [line for line in options if len(line.strip("│ ").split()) < 3]
    assert undocumented == []


def test_help_paragraphs_are_wrapped_once():
    """Docstrings are wrapped at 100 columns in the sources; at 100 columns the terminal must not
    wrap them again into ragged short lines."""
    text = _help("check")
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index(next(line for line in lines if line.startswith("Default sampling")))
    paragraph = lines[start:lines.index("", start)]
    assert len(paragraph) >= 2 and all(len(line) > 80 for line in paragraph[:-1]), paragraph


def test_import_update_says_what_was_added_and_updated(tmp_path):
    csv = tmp_path / "cams.csv"
    csv.write_text("id,name,lat,lon,category\nGS-1,A,36.0,103.8,square\nGS-2,B,36.1,103.9,street\n")
    home = tmp_path / "home"
    r = cli("camera", "import", csv, "--home", home)
    assert r.returncode == 0 and "imported 2 camera(s)" in r.stderr and "2 added" in r.stderr
    csv.write_text("id,name,lat,lon,category\nGS-1,A2,36.0,103.8,square\nGS-3,C,36.2,103.7,park\n")
    r = cli("camera", "import", csv, "--update", "--home", home)
    assert r.returncode == 0 and "1 added, 1 updated" in r.stderr


def test_control_characters_are_refused_in_registry_and_ledger_fields(tmp_path):
    """Issue 13 #9: fields kept for years and shown on terminals and in reports hold no escapes."""
    home = tmp_path / "home"
    r = cli("camera", "add", "GS-1", "--name", "Sq\x1b]0;pwned\x07", "--lat", "36", "--lon", "103.8",
            "--category", "square", "--home", home)
    line = one_line_error(r)
    assert "name" in line and "control characters" in line and "\x1b" not in line
    r = cli("ledger", "record", "--who", "Li\u202eWei", "--unit", "PSB", "--purpose", "case 1", "--camera", "GS-1",
            "--from", "2026-11-20T08:00", "--to", "2026-11-20T09:00", "--action", "view", "--home", home)
    line = one_line_error(r)
    assert "who" in line and "control characters" in line
    assert not (home / "ledger.db").exists() or "Li" not in (home / "ledger.db").read_bytes().decode("latin-1")
