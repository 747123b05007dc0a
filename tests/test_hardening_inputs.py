"""Issue 13 items 2 and 11: one bad file never aborts a folder, and small files never cost
gigabytes. Images declaring huge pictures are skipped with a reason before they are decoded;
names that are not UTF-8 (GBK, as NVRs write them) reach JSON and the terminal as \\xNN escapes;
a baseline whose arrays declare gigabytes is refused before anything is allocated."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app
from cctv_guard.core.errors import BaselineError, SourceError
from cctv_guard.media.images import read_image
from cctv_guard.media.imagesize import declared_size
from cctv_guard.media.sources import open_source

from conftest import REPO, SAMPLES

runner = CliRunner()
GBK = "摄像头01_门口".encode("gbk")


def big_png(path: Path, w: int, h: int, *, rows: int | None = None) -> Path:
    """A valid PNG of a w x h black grey picture, compressed row by row in little memory (a
    picture of zeros deflates about 1000:1); `rows` stops the image data after that many rows."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    z = zlib.compressobj(9)
    row = b"\x00" * (w + 1)
    data = b"".join(z.compress(row) for _ in range(h if rows is None else rows)) + z.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def peak_rss_mb(cmd: list[str], env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """Run `cmd` in a fresh process and return it with its peak resident memory (MiB)."""
    script = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "print(r.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
              "sys.stderr.write(r.stderr); sys.stdout.write(r.stdout)")
    r = subprocess.run([sys.executable, "-c", script, *cmd], capture_output=True, text=True, cwd=REPO,
                       env={**os.environ, **(env or {})}, timeout=300)
    code, rss_kb, *rest = r.stdout.split("\n", 2)
    done = subprocess.CompletedProcess(cmd, int(code), rest[0] if rest else "", r.stderr)
    return done, int(rss_kb) / 1024


# --- the size an image declares --------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp", ".tiff", ".jp2", ".ppm", ".pgm"])
def test_declared_size_reads_every_format_opencv_writes(ext):
    img = np.random.default_rng(1).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(ext, img[:, :, 0] if ext == ".pgm" else img)
    assert ok
    assert declared_size(memoryview(buf.tobytes())) == (53, 37)


def test_declared_size_of_a_jpeg_after_exif_and_progressive():
    img = np.full((48, 64, 3), 90, np.uint8)
    buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1].tobytes()
    exif = b"Exif\x00\x00" + bytes(30000)  # a camera's APP1 segment before the frame header
    with_exif = buf[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + buf[2:]
    assert declared_size(with_exif) == (64, 48)
    assert cv2.imdecode(np.frombuffer(with_exif, np.uint8), cv2.IMREAD_COLOR).shape == (48, 64, 3)
    assert declared_size(b"\xff\xd8\xff") is None and declared_size(b"GIF89a") is None


def test_image_declaring_more_than_two_to_the_thirty_pixels_is_refused_unread(tmp_path):
    huge = big_png(tmp_path / "huge.png", 40000, 40000, rows=8)  # 1.6 G pixels in a 500-byte file
    with pytest.raises(SourceError, match=r"image too large: .*huge.png declares 40000x40000 pixels"):
        read_image(huge)


def test_pixel_limit_is_configurable(tmp_path, monkeypatch):
    big = big_png(tmp_path / "big.png", 9000, 8000)  # 72 M pixels, a 70 kB file
    with pytest.raises(SourceError, match="over the limit of 64,000,000 .*CCTV_GUARD_MAX_IMAGE_PIXELS"):
        read_image(big)
    monkeypatch.setenv("CCTV_GUARD_MAX_IMAGE_PIXELS", "80000000")
    assert read_image(big).shape == (8000, 9000, 3)
    monkeypatch.setenv("CCTV_GUARD_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(SourceError, match="over the limit of 1,000"):
        read_image(SAMPLES / "images" / "bus.jpg")


def test_image_folder_skips_a_huge_image_and_reads_the_rest(tmp_path):
    big_png(tmp_path / "a_huge.png", 40000, 40000, rows=8)
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"b_{i}.jpg"), np.full((60, 80, 3), 40 * i, np.uint8))
    with open_source(tmp_path) as src:
        frames = list(src.frames())
        assert src.stats.corrupt_skipped == 1
    assert len(frames) == 3 and frames[0].image.shape == (60, 80, 3)


def test_scan_of_a_folder_with_a_huge_png_and_gbk_names_skips_and_goes_on(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    big_png(folder / "huge.png", 40000, 40000, rows=8)
    big_png(folder / "big.png", 12000, 12000)  # 144 M pixels in a 140 kB file
    (folder / "bus.jpg").write_bytes((SAMPLES / "images" / "bus.jpg").read_bytes())
    with open(os.path.join(os.fsencode(folder), GBK + b".jpg"), "wb") as fh:
        fh.write((SAMPLES / "images" / "chelsea.jpg").read_bytes())
    report = tmp_path / "scan.json"
    r, rss = peak_rss_mb([sys.executable, "-m", "cctv_guard", "scan", str(folder), "--json", str(report), "--no-ocr"])
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert "2 scanned" in r.stderr and "2 skipped" in r.stderr
    assert r.stderr.count("image too large") == 2
    doc = json.loads(report.read_bytes().decode("utf-8"))
    names = sorted(Path(item["source"]).name for item in doc["items"])
    assert names == ["\\xc9\\xe3\\xcf\\xf1ͷ01_\\xc3ſ\\xda.jpg", "bus.jpg"]
    assert rss < 1024, f"scan peaked at {rss:.0f} MiB"


def test_check_json_of_a_video_with_a_gbk_name(tmp_path):
    out = tmp_path / "site.baseline"
    assert runner.invoke(app, ["baseline", str(SAMPLES / "vtest_normal.mp4"), "--out", str(out), "--end", "6"]).exit_code == 0
    video = os.path.join(os.fsencode(tmp_path), GBK + b".mp4")
    with open(video, "wb") as fh:
        fh.write((SAMPLES / "vtest_normal.mp4").read_bytes())
    report = tmp_path / "check.json"
    html = tmp_path / "check.html"
    r = runner.invoke(app, ["check", os.fsdecode(video), "--baseline", str(out), "--end", "6", "--no-privacy",
                            "--json", str(report), "--html", str(html)])
    assert r.exit_code == 0, r.output
    doc = json.loads(report.read_bytes().decode("utf-8"))
    assert doc["source"].endswith("\\xc9\\xe3\\xcf\\xf1ͷ01_\\xc3ſ\\xda.mp4") and doc["verdict"] == "compliant"
    assert "\\xc9\\xe3\\xcf\\xf1" in html.read_bytes().decode("utf-8")
    r = runner.invoke(app, ["check", os.fsdecode(video), "--baseline", str(out), "--end", "6", "--no-privacy", "--json", "-"])
    assert r.exit_code == 0 and json.loads(r.stdout)["source"] == doc["source"]


# --- a baseline declaring gigabytes -------------------------------------------------------------------


def hostile_baseline(real: Path, out: Path, shape=(60000, 60000)) -> Path:
    """A copy of a real baseline whose median array declares `shape` (3.6 GB) but holds a few MB."""
    from numpy.lib import format as npy

    src = np.load(real)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k in src.files:
            with zf.open(k + ".npy", "w") as fh:
                if k.endswith(".median"):
                    npy.write_array_header_1_0(fh, {"descr": "|u1", "fortran_order": False, "shape": shape})
                    fh.write(bytes(4 << 20))
                else:
                    npy.write_array(fh, src[k])
    out.write_bytes(buf.getvalue())
    return out


def test_baseline_declaring_gigabytes_is_refused_before_allocation(tmp_path):
    from cctv_guard.tamper.baseline import load_baseline

    real = tmp_path / "real.baseline"
    assert runner.invoke(app, ["baseline", str(SAMPLES / "vtest_normal.mp4"), "--out", str(real), "--end", "6"]).exit_code == 0
    hostile = hostile_baseline(real, tmp_path / "hostile.baseline")
    assert hostile.stat().st_size < 1 << 20
    with pytest.raises(BaselineError, match="arrays declare 3,433 MiB"):
        load_baseline(hostile)
    assert load_baseline(real).profiles  # a real one still loads
    r, rss = peak_rss_mb([sys.executable, "-m", "cctv_guard", "check", str(SAMPLES / "vtest_normal.mp4"), "--baseline", str(hostile)])
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("error:") and "not a plausible baseline" in r.stderr
    assert rss < 1024, f"check peaked at {rss:.0f} MiB"
