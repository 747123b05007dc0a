"""Issue 13 items 2 (non-UTF-8 names), 5, 13 and 14: `archive seal` and `archive verify` on
mistyped paths, fresh copies, bad options, names an NVR wrote in GBK, a seal killed mid-write and
symlinks that leave the archive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

from conftest import SAMPLES, wait_for

runner = CliRunner()
GBK_NAME = "摄像头01_门口".encode("gbk") + b".mp4"  # what a Chinese NVR writes


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("CCTV_GUARD_HOME", str(h))
    return h


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


def one_line_error(r) -> str:
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    return lines[0]


def archive(root: Path, age_s: float = 3600.0) -> Path:
    """Two cameras' clips, last modified `age_s` ago (settled footage)."""
    for cam, clip in (("cam1", "vtest_normal.mp4"), ("cam2", "vtest_frozen.mp4")):
        (root / cam).mkdir(parents=True)
        (root / cam / clip).write_bytes((SAMPLES / clip).read_bytes())
    then = time.time() - age_s
    for p in root.rglob("*.mp4"):
        os.utime(p, (then, then))
    return root


# --- item 5 -------------------------------------------------------------------------------------


def test_seal_of_a_mistyped_path_is_an_error_and_creates_nothing(tmp_path, home):
    archive(tmp_path / "nvr")
    typo = tmp_path / "nrv"
    line = one_line_error(invoke("archive", "seal", typo))
    assert "cannot read archive root" in line and str(typo) in line
    assert not typo.exists()
    line = one_line_error(invoke("archive", "seal", tmp_path / "nvr" / "cam1" / "vtest_normal.mp4"))
    assert "must be a directory" in line
    assert not (tmp_path / "nvr" / "cam1" / "vtest_normal.mp4" / ".cctv-guard").exists()


def test_sealing_fresh_copies_says_how_to_seal_them(tmp_path, home):
    root = archive(tmp_path / "nvr", age_s=0)  # just copied in: every mtime is now
    r = invoke("archive", "seal", root, "--json", "-")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["files"] == 0 and doc["still_recording"] == 2
    assert "2 files changed in the last 60s" in r.stderr and "--settle 0" in r.stderr
    r = invoke("archive", "seal", root, "--settle", "0", "--json", "-")
    assert json.loads(r.stdout)["files"] == 2 and "--settle" not in r.stderr


def test_sealing_settled_footage_gives_no_settle_note(tmp_path, home):
    r = invoke("archive", "seal", archive(tmp_path / "nvr"))
    assert r.exit_code == 0 and "sealed 2 files" in r.stderr and "--settle" not in r.stderr


@pytest.mark.parametrize("key", ["zz", "ab" * 31, "g" * 64, ""])
def test_verify_refuses_a_public_key_that_is_not_one(tmp_path, home, key):
    root = archive(tmp_path / "nvr")
    assert invoke("archive", "seal", root).exit_code == 0
    line = one_line_error(invoke("archive", "verify", root, "--public-key", key))
    assert "not an Ed25519 public key" in line


def test_verify_accepts_a_real_public_key_in_capitals(tmp_path, home):
    root = archive(tmp_path / "nvr")
    r = invoke("archive", "seal", root, "--json", "-")
    public = json.loads(r.stdout)["public_key"]
    r = invoke("archive", "verify", root, "--public-key", public.upper())
    assert r.exit_code == 0 and "trusted key" in r.stderr, r.output


@pytest.mark.parametrize("days", ["-1", "0", "99999999"])
def test_verify_refuses_a_retention_period_that_is_not_one(tmp_path, home, days):
    root = archive(tmp_path / "nvr")
    assert invoke("archive", "seal", root).exit_code == 0
    line = one_line_error(invoke("archive", "verify", root, "--retention-days", days))
    assert "retention days must be a whole number from 1" in line


# --- item 2: names that are not UTF-8 -------------------------------------------------------------


def test_seal_and_verify_an_archive_with_gbk_names(tmp_path, home):
    root = archive(tmp_path / "nvr")
    gbk = os.path.join(os.fsencode(root / "cam1"), GBK_NAME)
    with open(gbk, "wb") as fh:
        fh.write((SAMPLES / "vtest_moved.mp4").read_bytes())
    os.utime(gbk, (time.time() - 3600, time.time() - 3600))
    r = invoke("archive", "seal", root, "--json", "-")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["files"] == 3 and doc["problems"] == []
    manifest = Path(doc["seal"]).read_bytes().decode("utf-8")  # valid UTF-8 throughout
    entry = next(json.loads(line) for line in manifest.splitlines() if "\\\\x" in line)
    assert entry["path"].startswith("cam1/\\xc9\\xe3\\xcf\\xf1") and entry["sha256"] and entry["duration_s"] >= 20
    r = invoke("archive", "verify", root, "--full")
    assert r.exit_code == 0 and "3 unchanged" in r.stderr, r.output
    with open(gbk, "r+b") as fh:  # tampering with that file is still seen
        fh.seek(5000)
        fh.write(b"\0" * 64)
    r = invoke("archive", "verify", root, "--full", "--json", "-")
    assert r.exit_code == 1
    [altered] = [c for c in json.loads(r.stdout)["changes"] if c["kind"] == "altered"]
    assert altered["path"] == entry["path"]


# --- item 13: a seal killed mid-write ---------------------------------------------------------------


def test_temp_manifest_of_a_killed_seal_is_removed_by_the_next(tmp_path, home):
    root = tmp_path / "nvr"
    (root / "cam").mkdir(parents=True)
    clip = (SAMPLES / "vtest_normal.mp4").read_bytes()
    for i in range(400):  # enough files that the seal is still writing when it is killed
        (root / "cam" / f"{i:04d}.mp4").write_bytes(clip)
    seal_dir = root / ".cctv-guard"
    proc = subprocess.Popen([sys.executable, "-m", "cctv_guard", "archive", "seal", str(root), "--settle", "0", "--jobs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "CCTV_GUARD_HOME": str(home)})
    try:
        assert wait_for(lambda: list(seal_dir.glob(".seal-*.tmp")), 60), "the seal never started writing"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    left = list(seal_dir.glob(".seal-*.tmp"))
    assert left and not list(seal_dir.glob("seal-*.jsonl"))  # a partial temp file and no seal
    r = invoke("archive", "seal", root, "--settle", "0", "--json", "-")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["files"] == 400
    assert not list(seal_dir.glob(".seal-*.tmp"))
    assert len(list(seal_dir.glob("seal-*.jsonl"))) == 1
    r = invoke("archive", "verify", root)
    assert r.exit_code == 0 and "400 unchanged" in r.stderr, r.output


# --- item 14: symlinks that leave the archive ---------------------------------------------------------


def test_symlinks_outside_the_archive_are_reported_not_sealed(tmp_path, home):
    root = archive(tmp_path / "nvr")
    secret = tmp_path / "elsewhere" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n")
    os.utime(secret, (time.time() - 3600, time.time() - 3600))
    (root / "cam1" / "evil.mp4").symlink_to(secret)
    (root / "etc").symlink_to(secret.parent, target_is_directory=True)
    (root / "cam2" / "alias.mp4").symlink_to(root / "cam1" / "vtest_normal.mp4")  # stays inside: followed
    r = invoke("archive", "seal", root, "--json", "-")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["files"] == 3
    problems = {p["path"]: p["problem"] for p in doc["problems"]}
    assert set(problems) == {"cam1/evil.mp4", "etc"}
    assert all("outside the archive: not followed" in p for p in problems.values())
    assert str(secret) in problems["cam1/evil.mp4"] and "outside the archive" in r.stderr
    manifest = Path(doc["seal"]).read_text()
    assert "shadow" not in manifest.replace(str(secret), "") and "evil.mp4" not in manifest
    r = invoke("archive", "verify", root)
    assert r.exit_code == 0 and "0 added" in r.stderr, r.output  # verify leaves them out too

    r = invoke("archive", "seal", root, "--follow-outside-links", "--full", "--json", "-")
    doc = json.loads(r.stdout)
    assert doc["files"] == 5 and doc["problems"] == []
    r = invoke("archive", "verify", root)  # without the option the links are not walked: their files look deleted
    assert r.exit_code == 1 and "3 unchanged" in r.stderr and "2 deleted" in r.stderr
    r = invoke("archive", "verify", root, "--follow-outside-links")
    assert r.exit_code == 0 and "5 unchanged" in r.stderr, r.output
