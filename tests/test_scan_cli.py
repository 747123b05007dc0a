"""`cctv-guard scan` end to end with the real models: verdicts, JSON, evidence, exit codes and
awkward inputs (unreadable, CMYK, 16-bit, greyscale, alpha, tiny, huge, empty folders)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

from conftest import REPO, SAMPLES

runner = CliRunner()
ALLOWED_SAMPLES = sorted((SAMPLES / "images").glob("*.jpg"))


def scan(*args: str):
    return runner.invoke(app, ["scan", *args])


def report(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == "cctv-guard/scan@1"
    for item in doc["items"]:
        assert set(item) == {"source", "verdict", "findings"}
        assert item["verdict"] in ("prohibited", "clear", "inconclusive")
        for f in item["findings"]:
            assert set(f) >= {"kind", "article", "zone", "category", "confidence", "cues"}  # issue 15: category
            assert f["kind"] == "privacy" and f["article"] in {f"9({i})" for i in range(1, 7)}
            assert 0 < f["confidence"] <= 1 and f["cues"]
    return doc


@pytest.fixture(scope="module")
def restroom_photos():
    from conftest import SHARED_DATA

    if SHARED_DATA is None:
        pytest.skip("../shared/data not present")
    return sorted((SHARED_DATA / "dev" / "scenes" / "restroom").glob("*.jpg"))


def test_bundled_everyday_images_are_clear(tmp_path: Path):
    assert ALLOWED_SAMPLES, "samples/images/*.jpg missing"
    out = tmp_path / "scan.json"
    res = scan(str(SAMPLES / "images"), "--json", str(out), "--no-ocr")
    assert res.exit_code == 0, res.output
    doc = report(out)
    assert len(doc["items"]) == len(list((SAMPLES / "images").rglob("*.jpg")))
    assert {i["verdict"] for i in doc["items"]} == {"clear"}


def test_a_toilet_photo_is_prohibited_with_evidence(tmp_path: Path, restroom_photos):
    photo = restroom_photos[0]
    out, ev = tmp_path / "scan.json", tmp_path / "evidence"
    res = scan(str(photo), "--json", str(out), "--evidence", str(ev), "--no-ocr")
    assert res.exit_code == 1, res.output
    (item,) = report(out)["items"]
    assert item["verdict"] == "prohibited"
    assert item["findings"][0]["article"] == "9(3)" and item["findings"][0]["zone"] == "restroom"
    assert any(c["cue"] == "detector:toilet" for c in item["findings"][0]["cues"])
    snaps = list(ev.iterdir())
    assert len(snaps) == 1 and cv2.imread(str(snaps[0])) is not None
    assert "evidence:" in res.output


def test_json_to_stdout_is_clean(restroom_photos):
    res = runner.invoke(app, ["scan", str(restroom_photos[0]), "--json", "-", "--no-ocr"])
    assert res.exit_code == 1
    start = res.stdout.index("{")
    doc = json.loads(res.stdout[start:])
    assert doc["items"][0]["verdict"] == "prohibited"


def test_a_clear_video(tmp_path: Path):
    out = tmp_path / "scan.json"
    res = scan(str(SAMPLES / "vtest_normal.mp4"), "--json", str(out), "--no-ocr")
    assert res.exit_code == 0, res.output
    (item,) = report(out)["items"]
    assert item["verdict"] == "clear"


def _awkward_images(folder: Path) -> dict[str, str]:
    """Write the awkward inputs; returns name → expected verdict ("skip" for unreadable)."""
    folder.mkdir()
    base = cv2.imread(str(ALLOWED_SAMPLES[0]))
    expected = {}
    cv2.imwrite(str(folder / "grey.png"), cv2.cvtColor(base, cv2.COLOR_BGR2GRAY)); expected["grey.png"] = "clear"
    cv2.imwrite(str(folder / "deep16.png"), base.astype(np.uint16) * 257); expected["deep16.png"] = "clear"
    cv2.imwrite(str(folder / "alpha.png"), cv2.cvtColor(base, cv2.COLOR_BGR2BGRA)); expected["alpha.png"] = "clear"
    cv2.imwrite(str(folder / "tiny.png"), cv2.resize(base, (16, 16), interpolation=cv2.INTER_AREA)); expected["tiny.png"] = "inconclusive"
    cv2.imwrite(str(folder / "huge.jpg"), cv2.resize(base, (8000, 6000), interpolation=cv2.INTER_LINEAR), [cv2.IMWRITE_JPEG_QUALITY, 70]); expected["huge.jpg"] = "clear"
    cv2.imwrite(str(folder / "dark.png"), (base * 0.05).astype(np.uint8)); expected["dark.png"] = "inconclusive"
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg"); expected["broken.jpg"] = "skip"
    (folder / "empty.png").write_bytes(b""); expected["empty.png"] = "skip"
    try:
        from PIL import Image

        Image.fromarray(cv2.cvtColor(base, cv2.COLOR_BGR2RGB)).convert("CMYK").save(folder / "cmyk.jpg")
        expected["cmyk.jpg"] = "clear"
    except ImportError:
        pass
    return expected


def test_awkward_inputs_are_scanned_or_counted_as_skipped(tmp_path: Path):
    expected = _awkward_images(tmp_path / "odd")
    out = tmp_path / "scan.json"
    res = scan(str(tmp_path / "odd"), "--json", str(out), "--no-ocr")
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    got = {Path(i["source"]).name: i["verdict"] for i in report(out)["items"]}
    assert got == {k: v for k, v in expected.items() if v != "skip"}
    skips = [k for k, v in expected.items() if v == "skip"]
    assert f"{len(skips)} skipped" in res.output
    for name in skips:
        assert name in res.output


def test_folders_are_searched_recursively(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(ALLOWED_SAMPLES[0], tmp_path / "a" / "b" / "deep.jpg")
    shutil.copy(ALLOWED_SAMPLES[1], tmp_path / "a" / "top.jpg")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    out = tmp_path / "scan.json"
    assert scan(str(tmp_path / "a"), "--json", str(out), "--no-ocr").exit_code == 0
    assert sorted(Path(i["source"]).name for i in report(out)["items"]) == ["deep.jpg", "top.jpg"]


@pytest.mark.parametrize("make", ["empty_folder", "missing", "only_broken"])
def test_nothing_to_scan_exits_2(tmp_path: Path, make: str):
    target = tmp_path / "x"
    if make == "empty_folder":
        target.mkdir()
    elif make == "only_broken":
        target.mkdir()
        (target / "a.jpg").write_bytes(b"garbage")
    res = scan(str(target), "--no-ocr")
    assert res.exit_code == 2, res.output
    assert "nothing could be scanned" in res.output


def test_bad_config_is_a_one_line_error(tmp_path: Path):
    cfg = tmp_path / "privacy.yaml"
    cfg.write_text("fusion:\n  treshold: 0.5\n", encoding="utf-8")
    res = scan(str(ALLOWED_SAMPLES[0]), "--config", str(cfg), "--no-ocr")
    assert res.exit_code == 2
    assert "privacy.yaml:2: fusion.treshold: unknown key (did you mean 'threshold'?)" in res.output
    assert "Traceback" not in res.output


def test_mask_in_config_hides_the_toilet(tmp_path: Path, restroom_photos):
    photo = restroom_photos[0]
    h, w = cv2.imread(str(photo)).shape[:2]
    cfg = tmp_path / "privacy.yaml"
    cfg.write_text(f"masks:\n  - [[0, 0], [{w}, 0], [{w}, {h}], [0, {h}]]\n", encoding="utf-8")
    res = scan(str(photo), "--config", str(cfg), "--no-ocr")
    # everything is masked: no cue may count and there is nothing left to judge
    assert res.exit_code == 0, res.output
    assert "inconclusive" in res.output


def test_help_has_examples():
    res = runner.invoke(app, ["scan", "--help"])
    assert res.exit_code == 0
    assert "--evidence" in res.output and "Examples" in res.output


def test_exit_codes_through_python_m(tmp_path: Path, restroom_photos):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "cctv_guard", "scan", *args, "--no-ocr"], cwd=REPO,
                              capture_output=True, text=True, timeout=300)

    ok = run(str(ALLOWED_SAMPLES[0]))
    assert ok.returncode == 0, ok.stderr
    bad = run(str(restroom_photos[0]))
    assert bad.returncode == 1, bad.stderr
    (tmp_path / "empty").mkdir()
    none = run(str(tmp_path / "empty"))
    assert none.returncode == 2 and "Traceback" not in none.stderr


def _video(path: Path, stills: list[Path], seconds_each: float = 3.0, fps: int = 5) -> Path:
    """An MJPEG/AVI clip showing each still in turn (with a little sensor noise)."""
    size = (320, 240)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    rng = np.random.default_rng(0)
    for still in stills:
        img = cv2.resize(cv2.imread(str(still)), size, interpolation=cv2.INTER_AREA)
        for _ in range(int(seconds_each * fps)):
            noisy = np.clip(img.astype(np.int16) + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)
            writer.write(noisy)
    writer.release()
    return path


def test_a_video_that_pans_onto_a_toilet(tmp_path: Path, restroom_photos):
    clip = _video(tmp_path / "cam.avi", [ALLOWED_SAMPLES[0], restroom_photos[1]])
    out, ev = tmp_path / "scan.json", tmp_path / "ev"
    res = scan(str(clip), "--json", str(out), "--evidence", str(ev), "--no-ocr")
    assert res.exit_code == 1, res.output
    (item,) = report(out)["items"]
    assert item["verdict"] == "prohibited" and item["findings"][0]["zone"] == "restroom"
    (snap,) = ev.iterdir()
    t = float(snap.name.split("_t")[1].split("s_")[0])
    assert t >= 3.0  # the snapshot is taken from the second half, where the toilet is
    img = cv2.imread(str(snap))
    assert img.shape[:2] == (240, 320)
