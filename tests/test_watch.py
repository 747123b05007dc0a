"""Edge watch: a real RTSP server publishing a sample clip, reconnection, alert latency,
persisted event state, health and metrics, config errors and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import free_port, wait_for

from cctv_guard.edge.alerts import Spool, load_jsonl
from cctv_guard.cli.app import app
from cctv_guard.core.errors import ConfigError
from cctv_guard.edge.watch import CameraWorker, EdgeConfig, Watcher, load_edge_config

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "scripts" / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"


def _gst_rtsp_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


needs_rtsp = pytest.mark.skipif(not _gst_rtsp_available(), reason="GStreamer RTSP server (Debian python3-gi, gir1.2-gst-rtsp-server-1.0) not installed")


def start_server(clip: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([SYSTEM_PYTHON, str(SERVER), str(clip), "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("rtsp://"), "RTSP server did not start"
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def sample_baseline(tmp_path_factory) -> Path:
    from cctv_guard.tamper.baseline import build_baseline, save_baseline

    out = tmp_path_factory.mktemp("bl") / "vtest.baseline"
    save_baseline(build_baseline(str(REPO / "samples" / "vtest_normal.mp4"), end=10.0), out)
    return out


def edge(tmp_path: Path, url: str, baseline: Path, **kw) -> EdgeConfig:
    return EdgeConfig.model_validate({
        "cameras": [{"id": "CAM-1", "url": url, "baseline": str(baseline)}],
        "analysis_fps": 2.0,
        "stall_timeout_s": 3.0,
        "reconnect_initial_s": 0.5,
        "reconnect_max_s": 2.0,
        "sinks": {"jsonl": str(tmp_path / "alerts.jsonl")},
        "http": {"port": 0},
        **kw,
    })


def alerts_of(tmp_path: Path, kind: str, state: str) -> list[dict]:
    return [a for a in load_jsonl(tmp_path / "alerts.jsonl") if a["event"]["kind"] == kind and a["state"] == state]


@needs_rtsp
@pytest.mark.slow
def test_moved_camera_on_live_rtsp_alerts_fast_and_reconnects(tmp_path, sample_baseline):
    expected = json.loads((REPO / "samples" / "expected.json").read_text())
    onset = expected["clips"]["vtest_moved.mp4"]["events"][0]["onset_s"]
    port = free_port()
    server = start_server(REPO / "samples" / "vtest_moved.mp4", port)
    watcher = Watcher(edge(tmp_path, f"rtsp://viewer:s3cret@127.0.0.1:{port}/cam", sample_baseline), state_dir=tmp_path / "state").start()
    try:
        worker = watcher.workers[0]
        assert wait_for(lambda: worker.metrics.last_frame_wall, 20), "no frame from the RTSP stream"
        # wall time at which the first frame at or after the onset arrived from the stream
        onset_wall = wait_for(lambda: time.time() if (worker.metrics.last_stream_t or 0) >= onset else None, onset + 20, step=0.02)
        assert onset_wall, "the stream never reached the onset"
        moved = wait_for(lambda: alerts_of(tmp_path, "moved", "open"), 20)
        assert moved, "no 'moved' alert"
        latency = moved[0]["time"] - onset_wall
        print(f"alert latency after onset: {latency:.2f} s")
        assert latency <= 5.0  # target 3 s (reported by scripts/bench_watch.py); slack for a loaded CI box
        assert moved[0]["event"]["article"] == "8"
        assert moved[0]["snapshot"] and Path(moved[0]["snapshot"]).is_file()

        # health and metrics
        with urllib.request.urlopen(f"http://127.0.0.1:{watcher.http_port}/healthz", timeout=5) as r:
            health = json.loads(r.read())
        assert health["status"] == "ok" and health["cameras"]["CAM-1"]["connected"]
        with urllib.request.urlopen(f"http://127.0.0.1:{watcher.http_port}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        assert 'cctv_guard_events_total{camera="CAM-1",kind="moved"} 1' in metrics
        assert 'cctv_guard_alert_queue_depth{sink="jsonl"}' in metrics

        # the server dies: signal_lost after the stall timeout, then it comes back
        stop_server(server)
        lost = wait_for(lambda: alerts_of(tmp_path, "signal_lost", "open"), 20)
        assert lost, "no signal_lost alert after the stream died"
        assert worker.metrics.reconnects >= 1
        server = start_server(REPO / "samples" / "vtest_moved.mp4", port)
        assert wait_for(lambda: alerts_of(tmp_path, "signal_lost", "closed"), 30), "signal_lost did not clear"
        text = (tmp_path / "alerts.jsonl").read_text()
        assert "s3cret" not in text
    finally:
        watcher.stop()
        stop_server(server)


def test_open_events_survive_a_restart_without_repeating(tmp_path, sample_baseline):
    state = tmp_path / "state"
    conf = edge(tmp_path, "rtsp://127.0.0.1:1/none", sample_baseline)
    cam = conf.cameras[0]
    from cctv_guard.tamper.baseline import load_baseline

    baseline = load_baseline(sample_baseline)
    now = [1000.0]

    def worker(spool):
        import threading

        return CameraWorker(cam, baseline, spool=spool, edge=conf, state_dir=state, stop=threading.Event(), clock=lambda: now[0])

    spool = Spool(state / "spool.db")
    spool.register("t")
    w1 = worker(spool)
    event = {"kind": "covered", "article": "16(7)", "start_s": 3.0, "end_s": None}
    w1._alert(event, "open")
    assert [a["state"] for _, a in spool.pending("t")] == ["open"]

    # restart: the same event is confirmed again -> no second alert
    w2 = worker(spool)
    w2._alert(dict(event, start_s=0.5), "open")
    assert len(spool.pending("t")) == 1
    # it closes later -> exactly one closing alert, carrying the original start
    w2._alert({"kind": "covered", "end_s": 9.0}, "closed")
    pending = [a for _, a in spool.pending("t")]
    assert [a["state"] for a in pending] == ["open", "closed"]
    assert pending[1]["event"]["start_s"] == 3.0 and pending[1]["event"]["end_s"] == 9.0

    # an event open before a restart that never comes back is closed after the release window
    w2._alert({"kind": "frozen", "article": "16(7)", "start_s": 1.0, "end_s": None}, "open")
    w3 = worker(spool)
    now[0] += 60
    w3._release_restored()
    last = [a for _, a in spool.pending("t")][-1]
    assert (last["event"]["kind"], last["state"]) == ("frozen", "closed")
    spool.close()


@pytest.mark.parametrize(
    "text, message",
    [
        ("cameras: []\n", "edge.yaml:1: cameras: List should have at least 1 item"),
        ("cameras:\n  - id: A\n    url: rtsp://x/y\n    baseline: b.cgb\n    fps: 3\n", "edge.yaml:5: cameras[0].fps: unknown key"),
        ("cameras:\n  - id: A\n    url: rtsp://x/y\n    baseline: b.cgb\nsinks:\n  webhook:\n    - url: ftp://x\n", "edge.yaml:7: sinks.webhook[0].url"),
        ("cameras:\n  - id: A\n    url: rtsp://x/y\n    baseline: b.cgb\nhttp:\n  port: 99999\n", "edge.yaml:6: http.port"),
    ],
)
def test_edge_config_errors_name_key_and_line(tmp_path, text, message):
    p = tmp_path / "edge.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_edge_config(p)
    assert str(info.value).startswith(message)


def test_edge_config_paths_are_relative_to_the_file(tmp_path):
    p = tmp_path / "conf" / "edge.yaml"
    p.parent.mkdir()
    p.write_text("cameras:\n  - id: A\n    url: rtsp://x/y\n    baseline: b.cgb\nsinks:\n  jsonl: out/alerts.jsonl\n")
    conf = load_edge_config(p)
    assert conf.cameras[0].baseline == p.parent / "b.cgb"
    assert conf.sinks.jsonl == p.parent / "out" / "alerts.jsonl"


def test_watch_cli_bad_config_is_one_line_exit_2(tmp_path):
    p = tmp_path / "edge.yaml"
    p.write_text("cameras:\n  - id: A\n    url: rtsp://x/y\n    baseline: missing.cgb\n")
    result = subprocess.run([sys.executable, "-m", "cctv_guard", "watch", "--config", str(p)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_watch_cli_without_cameras_in_registry(tmp_path):
    result = CliRunner().invoke(app, ["watch", "--home", str(tmp_path / "home")])
    assert result.exit_code == 2
    assert "no registered camera has a stream" in result.output


@needs_rtsp
@pytest.mark.slow
def test_watch_cli_runs_and_stops_cleanly_on_sigterm(tmp_path, sample_baseline):
    port = free_port()
    server = start_server(REPO / "samples" / "vtest_normal.mp4", port)
    http_port = free_port()
    conf = tmp_path / "edge.yaml"
    conf.write_text(
        f"cameras:\n  - id: CAM-9\n    url: rtsp://127.0.0.1:{port}/cam\n    baseline: {sample_baseline}\n"
        f"sinks:\n  jsonl: alerts.jsonl\nhttp:\n  port: {http_port}\nstate_dir: state\n"
    )
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "cctv_guard", "watch", "--config", str(conf)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        def metrics():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=2) as r:
                    body = r.read().decode()
                return body if 'cctv_guard_frames_total{camera="CAM-9"} 0' not in body and "CAM-9" in body else None
            except OSError:
                return None

        assert wait_for(metrics, 30), "watcher never analysed a frame"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        logs = proc.stderr.read()
        # not a terminal: logs are JSON lines
        json_lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
        assert any("connected" in rec["msg"] for rec in json_lines)
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_server(server)


def test_shipped_example_config_is_valid():
    conf = load_edge_config(REPO / "deploy" / "edge.example.yaml")
    assert [c.id for c in conf.cameras] == ["GS-LZ-0012", "GS-LZ-0013"]
    assert conf.cameras[1].analysis_fps == 1 and conf.sinks.mqtt.port == 1883


class _FakeScanner:
    def __init__(self):
        self.answers: list = []

    def scan(self, frame, baseline=None):
        return self.answers.pop(0)


def test_privacy_scan_opens_and_closes_zone_alerts(tmp_path, sample_baseline):
    import threading

    from cctv_guard.tamper.baseline import load_baseline
    from cctv_guard.media import Frame

    conf = edge(tmp_path, "rtsp://127.0.0.1:1/none", sample_baseline).model_copy(update={"privacy_every_s": 60.0, "snapshots": False})
    scanner = _FakeScanner()
    now = [1000.0]
    w = CameraWorker(conf.cameras[0], load_baseline(sample_baseline), spool=Spool(tmp_path / "s.db"), edge=conf,
                     state_dir=tmp_path / "state", stop=threading.Event(), clock=lambda: now[0], privacy=scanner)
    w.spool.register("t")
    frame = Frame(__import__("numpy").zeros((36, 48, 3), "uint8"), 0.0, 0, True)
    finding = {"kind": "privacy", "article": "9(3)", "zone": "restroom", "confidence": 0.9, "cues": []}
    scanner.answers = [[finding], [finding], []]
    w._scan_privacy(frame, now[0])
    w._scan_privacy(frame, now[0] + 10)  # not due yet: no scan
    now[0] += 61
    w._scan_privacy(frame, now[0])  # still there: no second alert
    now[0] += 61
    w._scan_privacy(frame, now[0])  # gone: closed
    alerts = [a for _, a in w.spool.pending("t")]
    assert [(a["event"]["kind"], a["event"].get("zone"), a["state"]) for a in alerts] == [
        ("privacy", "restroom", "open"), ("privacy", "restroom", "closed")]
    assert alerts[0]["event"]["article"] == "9(3)"
    w.spool.close()


@pytest.mark.shared
def test_privacy_scanner_with_real_models_flags_a_restroom(shared_data):
    from cctv_guard.media import Frame, read_image
    from cctv_guard.edge.watch import PrivacyScanner

    scanner = PrivacyScanner(ocr=False)
    toilet = read_image(shared_data / "dev" / "scenes" / "restroom" / "inet_n04447861_toilet_seat.jpg")
    street = read_image(shared_data / "dev" / "scenes" / "allowed" / "s15_street_0007.jpg")
    found = scanner.scan(Frame(toilet, 0.0, 0, True))
    assert found and found[0]["article"] == "9(3)"
    assert scanner.scan(Frame(street, 0.0, 0, True)) == []


def test_edge_package_re_exports_lazily():
    """`cctv_guard.edge` names its public pieces; importing it loads neither OpenCV nor the
    tamper checks until the watcher is asked for."""
    import cctv_guard.edge as edge_pkg
    from cctv_guard.edge import alerts as alerts_mod, watch as watch_mod

    code = "import sys, cctv_guard.edge; print(sorted(m for m in ('cv2', 'numpy', 'cctv_guard.tamper') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
    assert edge_pkg.Watcher is watch_mod.Watcher and edge_pkg.WebhookSink is alerts_mod.WebhookSink
    assert all(getattr(edge_pkg, name) is not None for name in edge_pkg.__all__)
    with pytest.raises(AttributeError):
        edge_pkg.nothing_here  # noqa: B018
