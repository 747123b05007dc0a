"""`cctv-guard audit` through typer's CliRunner and through `python -m cctv_guard`, with the real
check on the sample clips: exit codes, outputs, resume, one-line errors, kill -9 + --resume."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

runner = CliRunner()
ENV_KEEP = {k: v for k, v in os.environ.items() if k not in ("CCTV_GUARD_HOME", "CCTV_GUARD_DB")}


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory) -> Path:
    from conftest import SAMPLES

    from cctv_guard.tamper.baseline import build_baseline, save_baseline

    normal = SAMPLES / "vtest_normal.mp4"
    if not normal.exists():
        pytest.skip("samples/ not made")
    return save_baseline(build_baseline(str(normal), end=20.0), tmp_path_factory.mktemp("bl") / "normal.cgb")


def sample_fleet(root: Path, baseline: Path, clips: dict[str, str | None], extra: str = "") -> Path:
    """Cameras listed in fleet.yaml (no registry); clip None = nothing recorded that day."""
    from conftest import SAMPLES

    lines = []
    for i, (cid, clip) in enumerate(clips.items()):
        d = root / "nvr" / cid / "20261127"
        d.mkdir(parents=True, exist_ok=True)
        if clip == "corrupt":
            (d / "0000.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
        elif clip is not None:
            shutil.copy(SAMPLES / clip, d / "0000.mp4")
        lines.append(f"  - {{id: {cid}, baseline: {baseline}, district: D{i % 2}, lat: {36 + i / 50}, lon: {103.8 + i / 50}}}")
    p = root / "fleet.yaml"
    p.write_text("recordings:\n  template: nvr/{camera}/{date:%Y%m%d}/*.mp4\nwindow: {date: 2026-11-27}\n"
                 "engine: {workers: 2}\ncameras:\n" + "\n".join(lines) + "\n" + extra)
    return p


def test_audit_writes_reports_and_exits_1_on_violations(tmp_path, baseline_file):
    fleet = sample_fleet(tmp_path, baseline_file, {"CAM-A": "vtest_normal.mp4", "CAM-B": "vtest_moved.mp4", "CAM-C": None})
    out = tmp_path / "out"
    r = runner.invoke(app, ["audit", str(fleet), "--out", str(out)])
    assert r.exit_code == 1, r.output
    assert "audit of 3 cameras, 3 recordings (2026-11-27)" in r.output
    assert "audit: 3/3 items (1 failed this run, 0 done before)" in r.output  # plain progress lines off a terminal
    assert "cameras: 1 violation, 1 failed, 1 compliant" in r.output
    summary = json.loads((out / "summary.json").read_text())
    assert {c["camera_id"]: c["verdict"] for c in summary["cameras"]} == {"CAM-A": "compliant", "CAM-B": "violation",
                                                                         "CAM-C": "failed"}
    (check_b,) = (out / "checks" / "CAM-B").glob("*.json")
    doc = json.loads(check_b.read_text())
    assert doc["schema"] == "cctv-guard/check@1" and doc["camera_id"] == "CAM-B"
    assert any(e["kind"] == "moved" and e["article"] == "8" for e in doc["events"])
    page = check_b.with_suffix(".html").read_text()  # the reports module's page, with the pictures
    assert page.lower().startswith("<!doctype html>") and "moved" in page and "data:image/jpeg;base64," in page
    assert (out / "summary.csv").read_text().count("\n") == 4 and "<svg" in (out / "summary.html").read_text()
    # the same folder again is refused; --resume finishes nothing new and keeps the verdicts
    r = runner.invoke(app, ["audit", str(fleet), "--out", str(out)])
    assert r.exit_code == 2 and "already holds an audit" in r.output
    for rec in (out / "items").glob("CAM-A*.json"):
        rec.unlink()
    r = runner.invoke(app, ["audit", "--resume", str(out)])
    assert r.exit_code == 1 and "audit: 3/3 items (0 failed this run, 2 done before)" in r.output
    assert json.loads((out / "summary.json").read_text())["cameras"] == summary["cameras"]


def test_exit_2_when_recordings_failed_and_0_when_clean(tmp_path, baseline_file):
    fleet = sample_fleet(tmp_path / "a", baseline_file, {"CAM-A": "vtest_normal.mp4", "CAM-X": "corrupt"})
    r = runner.invoke(app, ["audit", str(fleet), "--out", str(tmp_path / "a" / "out"), "-j", "1"])
    assert r.exit_code == 2, r.output
    failure = json.loads((tmp_path / "a" / "out" / "summary.json").read_text())["failures"][0]
    assert failure["camera_id"] == "CAM-X" and failure["reason"]
    fleet = sample_fleet(tmp_path / "b", baseline_file, {"CAM-A": "vtest_normal.mp4"},
                         extra=f"notify: {{file: {tmp_path / 'latest.json'}}}\noutputs: {{html_reports: violations}}\n")
    r = runner.invoke(app, ["audit", str(fleet), "--out", str(tmp_path / "b" / "out")])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "latest.json").read_text())["by_verdict"] == {"compliant": 1}
    checks = tmp_path / "b" / "out" / "checks"
    assert len(list(checks.rglob("*.json"))) == 1 and not list(checks.rglob("*.html"))  # reports for violations only


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give a fleet.yaml to start an audit, or --resume DIR"),
        (["FLEET", "--resume", "x"], "not both"),
        (["FLEET", "--engine", "spark"], "--engine must be local or ray, not 'spark'"),
        (["FLEET", "--date", "27/11/2026"], "--date: expected YYYY-MM-DD"),
        (["--resume", "NOWHERE"], "is not an audit folder (no audit.json)"),
        (["FLEET", "--retry-failed"], "--retry-failed only applies with --resume"),
        (["BAD"], "fleet.yaml:5: sampling.evry: unknown key"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("recordings: {template: 'n/{camera}/*.mp4'}\nwindow: {date: 2026-11-27}\ncameras: [{id: A}]\n")
    bad = tmp_path / "bad" / "fleet.yaml"
    bad.parent.mkdir()
    bad.write_text(fleet.read_text() + "sampling:\n  evry: 2\n")
    subst = {"FLEET": str(fleet), "BAD": str(bad), "NOWHERE": str(tmp_path)}
    r = runner.invoke(app, ["audit", *[subst.get(a, a) for a in args]])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) <= 2


def test_help_documents_exit_codes_and_examples():
    r = runner.invoke(app, ["audit", "--help"], terminal_width=200)
    assert r.exit_code == 0
    for text in ("--resume", "--engine", "Exit codes", "1 violations found", "cctv-guard audit --resume audits/"):
        assert text in r.output


def test_python_m_exit_code_and_date_override(tmp_path, baseline_file):
    fleet = sample_fleet(tmp_path, baseline_file, {"CAM-B": "vtest_moved.mp4"})
    nvr = tmp_path / "nvr" / "CAM-B"
    shutil.copytree(nvr / "20261127", nvr / "20261126")
    fleet.write_text(fleet.read_text().replace("window: {date: 2026-11-27}", "window: {date: 2026-11-20}"))
    r = subprocess.run([sys.executable, "-m", "cctv_guard", "audit", str(fleet), "--date", "2026-11-26",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120, env=ENV_KEEP)
    assert r.returncode == 1, r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["days"] == ["2026-11-26"] and summary["by_verdict"] == {"violation": 1}


@pytest.mark.slow
def test_cli_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, baseline_file):
    clips = ["vtest_normal.mp4", "vtest_moved.mp4", "vtest_covered.mp4", "vtest_blackout.mp4", "vtest_normal.mp4",
             "vtest_zoomed.mp4", "vtest_frozen.mp4", "vtest_normal.mp4", None]
    fleet = sample_fleet(tmp_path, baseline_file, {f"CAM-{i}": c for i, c in enumerate(clips)})
    cmd = [sys.executable, "-m", "cctv_guard", "audit"]
    ref = subprocess.run([*cmd, str(fleet), "--out", str(tmp_path / "ref")], capture_output=True, text=True,
                         timeout=300, env=ENV_KEEP)
    assert ref.returncode == 1, ref.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, str(fleet), "--out", str(out)], env=ENV_KEEP, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = random.Random().randint(2, 7)
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "items").is_dir() and len(list((out / "items").glob("*.json"))) >= target:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "finished before the kill"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(list((out / "items").glob("*.json")))
    assert before < len(clips) and not (out / "summary.json").exists()
    r = subprocess.run([*cmd, "--resume", str(out)], capture_output=True, text=True, timeout=300, env=ENV_KEEP)
    assert r.returncode == 1, r.stderr
    assert f"{before} done before" in r.stderr

    def comparable(p: Path) -> dict:
        return {k: v for k, v in json.loads(p.read_text()).items() if k != "created"}

    assert comparable(out / "summary.json") == comparable(tmp_path / "ref" / "summary.json")
    for p in (tmp_path / "ref" / "checks").rglob("*.json"):
        assert json.loads((out / p.relative_to(tmp_path / "ref")).read_text()) == json.loads(p.read_text())


def _still_video(image_path: Path, out: Path, seconds: float = 12.0, fps: int = 10) -> Path:
    """A camera that looks at one place: the photo with a little sensor noise, H.264."""
    import av
    import cv2
    import numpy as np

    img = cv2.imread(str(image_path))
    rng = np.random.default_rng(0)
    with av.open(str(out), "w") as box:
        stream = box.add_stream("libx264", rate=fps)
        stream.height, stream.width = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"x264-params": f"keyint={2 * fps}:scenecut=0:bframes=0"}
        for _ in range(int(seconds * fps)):
            noisy = np.clip(img[: stream.height, : stream.width].astype(np.int16) + rng.integers(-3, 4, (stream.height, stream.width, 3)), 0, 255)
            for packet in stream.encode(av.VideoFrame.from_ndarray(noisy.astype(np.uint8), format="bgr24")):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return out


@pytest.mark.slow
def test_privacy_scan_inside_the_audit_flags_a_bathroom_camera(tmp_path, shared_data):
    """A camera aimed into a bathroom (a Places365 photo from ../shared/data, as footage): the
    tamper check finds nothing, the privacy scan run by the audit finds Art. 9(3)."""
    from cctv_guard.tamper.baseline import build_baseline, save_baseline
    from cctv_guard.core.errors import ModelError
    from cctv_guard.privacy import load_models

    try:
        load_models()
    except ModelError as exc:
        pytest.skip(f"privacy models not available: {exc}")
    photo = shared_data / "dev" / "scenes" / "bathroom_shower" / "p365_val_00009270.jpg"
    if not photo.exists():
        pytest.skip(f"{photo} not present")
    d = tmp_path / "nvr" / "BATH-1" / "20261127"
    d.mkdir(parents=True)
    clip = _still_video(photo, d / "0000.mp4")
    base = save_baseline(build_baseline(str(clip), end=6.0), tmp_path / "bath.cgb")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("recordings: {template: 'nvr/{camera}/{date:%Y%m%d}/*.mp4'}\nwindow: {date: 2026-11-27}\n"
                     f"checks: {{privacy: true}}\nengine: {{workers: 1}}\ncameras: [{{id: BATH-1, baseline: {base}}}]\n")
    r = runner.invoke(app, ["audit", str(fleet), "--out", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["checks"] == {"tamper": True, "privacy": True}
    assert summary["by_article"]["9(3)"]["cameras"] == 1 and summary["cameras"][0]["verdict"] == "violation"
    (doc,) = [json.loads(p.read_text()) for p in (tmp_path / "out" / "checks").rglob("*.json")]
    assert doc["events"] == [] and {f["article"] for f in doc["findings"]} == {"9(3)"}


@pytest.mark.slow
def test_sigterm_stops_promptly_keeps_results_and_says_how_to_resume(tmp_path, baseline_file):
    fleet = sample_fleet(tmp_path, baseline_file, {f"CAM-{i}": "vtest_normal.mp4" for i in range(8)})
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cctv_guard", "audit", str(fleet), "--out", str(out)], env=ENV_KEEP,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "items").is_dir() and list((out / "items").glob("*.json")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "finished before the signal"
    proc.send_signal(signal.SIGTERM)  # the coordinator only, as `kill PID` or systemd would
    t0 = time.monotonic()
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - t0 < 15
    done = len(list((out / "items").glob("*.json")))
    assert f"interrupted: {done} of 8 recordings are done and kept; finish with: cctv-guard audit --resume" in output
    r = subprocess.run([sys.executable, "-m", "cctv_guard", "audit", "--resume", str(out)], capture_output=True,
                       text=True, timeout=300, env=ENV_KEEP)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "summary.json").read_text())["by_verdict"] == {"compliant": 8}
