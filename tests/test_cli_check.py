"""`cctv-guard baseline` and `cctv-guard check` through CliRunner and `python -m cctv_guard`:
exit codes, JSON to a file or stdout, and a one-line error (exit 2, nothing written) for every
kind of bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

from conftest import REPO, SAMPLES

runner = CliRunner()
NORMAL = SAMPLES / "vtest_normal.mp4"


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory):
    if not NORMAL.is_file():
        pytest.skip("samples missing")
    out = tmp_path_factory.mktemp("b") / "site.baseline"
    r = runner.invoke(app, ["baseline", str(NORMAL), "--out", str(out), "--end", "8",
                            "--zone", "must_see=5,120;200,120;200,340;5,340"])
    assert r.exit_code == 0, r.output
    assert "profiles day" in r.stderr and out.is_file()
    return out


def _one_line_error(r) -> str:
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert "Traceback" not in r.output
    return lines[0]


def test_check_violation_writes_json(baseline_file, tmp_path):
    report = tmp_path / "report.json"
    r = runner.invoke(app, ["check", str(SAMPLES / "vtest_moved.mp4"), "--baseline", str(baseline_file),
                            "--json", str(report), "--no-privacy", "--start", "10"])
    assert r.exit_code == 1, r.output
    doc = json.loads(report.read_text())
    assert doc["schema"] == "cctv-guard/check@1" and doc["verdict"] == "violation"
    moved = [e for e in doc["events"] if e["kind"] == "moved"]
    assert moved and moved[0]["details"]["zones_visible"]["must_see"] < 1.0
    assert "moved" in r.stderr and "violation" in r.stderr  # the rich table and summary go to stderr
    assert r.stdout == ""


def test_check_compliant_json_to_stdout(baseline_file):
    r = runner.invoke(app, ["check", str(NORMAL), "--baseline", str(baseline_file), "--json", "-",
                            "--no-privacy", "--start", "20", "--end", "30", "--every", "0.5"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)  # nothing but the JSON on stdout
    assert doc["verdict"] == "compliant" and doc["events"] == [] and doc["frames_analyzed"] == 20


def test_keyframes_only_mode(baseline_file):
    r = runner.invoke(app, ["check", str(SAMPLES / "vtest_blackout.mp4"), "--baseline", str(baseline_file),
                            "--json", "-", "--no-privacy", "--keyframes-only"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["sampling"]["keyframes_only"] is True
    assert [e["kind"] for e in doc["events"]] == ["blackout"]


def test_an_outdated_baseline_gets_a_note(baseline_file, tmp_path):
    """A baseline file from before keyframe noise was measured: the check runs, exit code and
    JSON as usual, and one note on stderr says to rebuild it."""
    from dataclasses import replace

    from cctv_guard.tamper.baseline import load_baseline, save_baseline

    b = load_baseline(baseline_file)
    old = save_baseline(replace(b, profiles={k: replace(p, key_noise=None) for k, p in b.profiles.items()}),
                        tmp_path / "old.baseline")
    r = runner.invoke(app, ["check", str(NORMAL), "--baseline", str(old), "--json", "-", "--no-privacy",
                            "--start", "20", "--end", "26"])
    assert r.exit_code == 0, r.output
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "rebuild it from at least 10 s of this camera's video" in notes[0]
    assert json.loads(r.stdout)["notes"] and "note:" not in r.stdout
    fresh = runner.invoke(app, ["check", str(NORMAL), "--baseline", str(baseline_file), "--no-privacy",
                                "--start", "20", "--end", "26"])
    assert fresh.exit_code == 0 and "note:" not in fresh.stderr


def test_add_profile(baseline_file, tmp_path):
    target = tmp_path / "two.baseline"
    target.write_bytes(baseline_file.read_bytes())
    r = runner.invoke(app, ["baseline", str(SAMPLES / "vtest_night_ir.mp4"), "--out", str(target),
                            "--start", "20", "--end", "26", "--add-profile", "night"])
    assert r.exit_code == 0, r.output
    assert "day (" in r.stderr and "night (" in r.stderr


def _bad_sources(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    trunc = tmp_path / "trunc.mp4"
    trunc.write_bytes((SAMPLES / "vtest_covered.mp4").read_bytes()[:200_000])
    return {
        "missing": (tmp_path / "nope.mp4", "no such file"),
        "zero-byte": (empty, "empty file"),
        "text renamed .mp4": (text, "not a readable video"),
        "truncated mp4": (trunc, "not a readable video"),
    }


@pytest.mark.parametrize("case", ["missing", "zero-byte", "text renamed .mp4", "truncated mp4"])
def test_bad_sources(baseline_file, tmp_path, case):
    path, message = _bad_sources(tmp_path)[case]
    report = tmp_path / "report.json"
    r = runner.invoke(app, ["check", str(path), "--baseline", str(baseline_file), "--json", str(report), "--no-privacy"])
    assert message in _one_line_error(r)
    assert not report.exists()  # no partially written output
    out = tmp_path / "b.baseline"
    r = runner.invoke(app, ["baseline", str(path), "--out", str(out)])
    assert message in _one_line_error(r)
    assert not out.exists()


def _other_version(good: bytes) -> bytes:
    npz = np.load(io.BytesIO(good))
    arrays = {k: npz[k] for k in npz.files}
    header = json.loads(bytes(arrays["header"]).decode())
    header["version"] = 7
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda good: good[:1000], "not a cctv-guard baseline"),
        (lambda good: b"PK\x03\x04 garbage", "not a cctv-guard baseline"),
        (_other_version, "version 7"),
    ],
)
def test_bad_baselines(baseline_file, tmp_path, make, message):
    bad = tmp_path / "bad.baseline"
    bad.write_bytes(make(baseline_file.read_bytes()))
    report = tmp_path / "r.json"
    r = runner.invoke(app, ["check", str(NORMAL), "--baseline", str(bad), "--json", str(report)])
    assert message in _one_line_error(r)
    assert not report.exists()


def test_baseline_other_aspect_is_rejected(baseline_file, shared_data):
    clip = shared_data / "dev" / "tamper_clips" / "vas_Occlusion.mp4"
    r = runner.invoke(app, ["check", str(clip), "--baseline", str(baseline_file), "--no-privacy"])
    assert "aspect ratios differ" in _one_line_error(r)


@pytest.mark.parametrize(
    "args,message",
    [
        (["check", "x.mp4"], "exactly one of --baseline FILE or --camera ID"),
        (["baseline", "{normal}", "--out", "{tmp}/z.b", "--zone", "must_see=1,2;3"], "must_see"),
        (["baseline", "{normal}", "--out", "{tmp}/z.b", "--start", "50", "--end", "60"], "no frames in the window"),
        (["baseline", "{normal}", "--out", "{tmp}/nofolder/z.b", "--end", "2"], "does not exist"),
    ],
)
def test_usage_errors(tmp_path, args, message):
    args = [a.format(normal=NORMAL, tmp=tmp_path) for a in args]
    r = runner.invoke(app, args)
    assert message in _one_line_error(r)


def test_help_has_examples():
    for cmd in ("baseline", "check"):
        r = runner.invoke(app, [cmd, "--help"])
        assert r.exit_code == 0 and "Examples" in r.output and "cctv-guard " + cmd in r.output


@pytest.mark.slow
def test_exit_codes_through_python_m(baseline_file, tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "cctv_guard", *args], cwd=REPO, capture_output=True, text=True, timeout=300)

    p = run("check", str(SAMPLES / "vtest_frozen.mp4"), "--baseline", str(baseline_file), "--json", "-", "--no-privacy",
            "--keyframes-only")
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["events"][0]["kind"] == "frozen"
    p = run("check", str(tmp_path / "missing.mp4"), "--baseline", str(baseline_file))
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
