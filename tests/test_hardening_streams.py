"""Issue 13 items 1 and 6: a live stream that drops mid-read is a lost signal (Art. 16(7)), never a
crash; a file cut short with its header intact is truncated input (exit 2), not a lost signal."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import cv2
import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app
from cctv_guard.core.errors import SourceError
from cctv_guard.media.sources import open_source
from cctv_guard.tamper.check import check_source

from conftest import SAMPLES, free_port

runner = CliRunner()
NORMAL = SAMPLES / "vtest_normal.mp4"


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("b") / "site.baseline"
    r = runner.invoke(app, ["baseline", str(NORMAL), "--out", str(out), "--end", "8"])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def jpegs() -> list[bytes]:
    """JPEG pictures of the normal sample clip, one per 0.2 s, the size of its baseline."""
    with open_source(NORMAL) as src:
        return [cv2.imencode(".jpg", f.image)[1].tobytes() for f in src.frames(every=0.2, end=6)]


def _mjpeg_server(jpegs: list[bytes], frames: int, then: str):
    """An HTTP MJPEG camera on loopback that sends `frames` pictures at 10 fps, then either closes
    the connection in the middle of a picture ("close") or goes silent with it open ("stall")."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            try:
                for i in range(frames):
                    buf = jpegs[i % len(jpegs)]
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(buf) + buf + b"\r\n")
                    time.sleep(0.1)
                buf = jpegs[0]
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(buf) + buf[: len(buf) // 2])
                self.wfile.flush()
                if then == "stall":
                    time.sleep(30)
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.mark.parametrize("then", ["close", "stall"])
def test_stream_that_drops_mid_read_is_signal_lost_not_a_crash(baseline_file, jpegs, tmp_path, then):
    srv = _mjpeg_server(jpegs, 30, then)
    try:
        report = tmp_path / "check.json"
        began = time.monotonic()
        r = runner.invoke(app, ["check", f"http://127.0.0.1:{srv.server_address[1]}/cam.mjpg", "--baseline", str(baseline_file),
                                "--json", str(report), "--no-privacy", "--every", "0.5"])
        elapsed = time.monotonic() - began
    finally:
        srv.shutdown()
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output and "internal error" not in r.output
    doc = json.loads(report.read_text())
    lost = [e for e in doc["events"] if e["kind"] == "signal_lost"]
    assert len(lost) == 1 and lost[0]["article"] == "16(7)"
    assert lost[0]["details"]["stalled"] is (then == "stall")
    assert doc["frames_analyzed"] >= 3
    assert elapsed < 25  # the stall is noticed within the source's timeout, not after the server gives up


def test_baseline_from_a_stream_that_closes_is_not_a_crash(jpegs, tmp_path):
    srv = _mjpeg_server(jpegs, 40, "close")
    try:
        out = tmp_path / "live.baseline"
        r = runner.invoke(app, ["baseline", f"http://127.0.0.1:{srv.server_address[1]}/cam.mjpg", "--out", str(out), "--end", "60"])
    finally:
        srv.shutdown()
    assert "Traceback" not in r.output and "internal error" not in r.output
    assert r.exit_code in (0, 2), r.output
    assert (r.exit_code == 0) == out.is_file()


def test_scan_of_a_stream_that_closes_is_not_a_crash(jpegs):
    srv = _mjpeg_server(jpegs, 30, "close")
    try:
        r = runner.invoke(app, ["scan", f"http://127.0.0.1:{srv.server_address[1]}/cam.mjpg", "--json", "-", "--no-ocr"])
    finally:
        srv.shutdown()
    assert "Traceback" not in r.output and "internal error" not in r.output
    assert r.exit_code in (0, 1), r.output
    [item] = json.loads(r.stdout)["items"]
    assert item["source"].startswith("http://127.0.0.1:")


SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SERVER = Path(__file__).resolve().parents[1] / "scripts" / "rtsp_server.py"


def _gst_rtsp_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


@pytest.mark.skipif(not _gst_rtsp_available(), reason="GStreamer RTSP server (Debian python3-gi, gir1.2-gst-rtsp-server-1.0) not installed")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["server killed", "server frozen"])
def test_rtsp_camera_that_drops_is_signal_lost(baseline_file, how):
    from cctv_guard.tamper.baseline import load_baseline

    port = free_port()
    proc = subprocess.Popen([SYSTEM_PYTHON, str(RTSP_SERVER), str(NORMAL), "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().startswith("rtsp://")
        seen = []

        def progress(p):
            seen.append(p.done)
            if len(seen) == 3:
                proc.send_signal(how)

        result = check_source(f"rtsp://127.0.0.1:{port}/cam", load_baseline(baseline_file), every=0.5, threads=1,
                              progress=progress)
    finally:
        proc.kill()
        proc.wait(5)
    lost = [e for e in result.events if e.kind == "signal_lost"]
    assert len(lost) == 1 and lost[0].details["stalled"] is (how == signal.SIGSTOP)
    assert result.frames_analyzed >= 2


# --- item 6: a file cut short ----------------------------------------------------------------


def _faststart_copy(src: Path, out: Path) -> Path:
    """The sample clip remuxed with its index (moov) up front, as NVR exports and web copies are."""
    with av.open(str(src)) as inp, av.open(str(out), "w", options={"movflags": "+faststart"}) as dst:
        stream = dst.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    return out


@pytest.fixture(scope="module")
def whole_and_cut(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("cut")
    whole = _faststart_copy(NORMAL, d / "whole.mp4")
    cut = d / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return whole, cut


def test_source_tells_a_file_cut_short_from_a_whole_one(whole_and_cut):
    whole, cut = whole_and_cut
    for keyframes_only in (False, True):
        with open_source(cut) as src:
            assert src.info.duration_s == pytest.approx(40.0, abs=0.1)  # the header still says 40 s
            frames = list(src.frames(keyframes_only=keyframes_only))
            stats = src.stats
        assert frames and stats.truncated and not stats.ended_early and 15 < stats.last_t < 25
        with open_source(whole) as src:
            list(src.frames(keyframes_only=keyframes_only))
            assert not src.stats.truncated and not src.stats.ended_early
    with open_source(cut) as src:  # a window that ends before the cut reads nothing missing
        list(src.frames(end=10))
        assert not src.stats.truncated


def test_check_reports_a_file_cut_short_as_truncated_input(baseline_file, whole_and_cut, tmp_path):
    whole, cut = whole_and_cut
    report = tmp_path / "cut.json"
    r = runner.invoke(app, ["check", str(cut), "--baseline", str(baseline_file), "--json", str(report), "--no-privacy",
                            "--keyframes-only"])
    assert r.exit_code == 2, r.output
    [line] = r.stderr.strip().splitlines()
    assert line.startswith("error:") and "truncated input" in line and "40.0 s" in line
    assert not report.exists()
    r = runner.invoke(app, ["check", str(whole), "--baseline", str(baseline_file), "--no-privacy", "--keyframes-only"])
    assert r.exit_code in (0, 1) and "signal_lost" not in r.stderr, r.output
    # the part before the cut can still be checked on its own
    r = runner.invoke(app, ["check", str(cut), "--baseline", str(baseline_file), "--no-privacy", "--end", "10"])
    assert r.exit_code == 0, r.output


def test_check_source_raises_for_truncated_input(baseline_file, whole_and_cut):
    from cctv_guard.tamper.baseline import load_baseline

    with pytest.raises(SourceError, match="truncated input"):
        check_source(str(whole_and_cut[1]), load_baseline(baseline_file), keyframes_only=True, threads=1)
