"""Alert spool and sinks: in-order, at-least-once delivery across outages, with real servers."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_port, wait_for

from cctv_guard.edge.alerts import (
    Dispatcher,
    JsonlSink,
    MqttSink,
    SinkError,
    Spool,
    WebhookSink,
    backoff_delay,
    load_jsonl,
    make_alert,
)


def alert(n: int, camera="CAM-1") -> dict:
    return make_alert(camera, {"kind": "moved", "article": "8", "start_s": float(n), "end_s": None}, state="open", now=1000.0 + n)


class FlakySink:
    """Fails while `down` is set; records what it accepted."""

    name = "flaky"

    def __init__(self):
        self.down = threading.Event()
        self.got: list[dict] = []

    def send(self, a):
        if self.down.is_set():
            raise SinkError("down")
        self.got.append(a)

    def close(self):
        pass


def test_spool_persists_across_reopen_and_keeps_cursors(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    spool.register("a")
    for n in range(5):
        spool.append(alert(n))
    spool.ack("a", 2)
    spool.close()
    again = Spool(tmp_path / "spool.db")
    pending = again.pending("a")
    assert [a["event"]["start_s"] for _, a in pending] == [2.0, 3.0, 4.0]
    assert again.depth("a") == 3


def test_dispatcher_delivers_in_order_after_outage(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    sink = FlakySink()
    sink.down.set()
    d = Dispatcher(spool, [sink], base_backoff_s=0.01, max_backoff_s=0.05).start()
    for n in range(20):
        spool.append(alert(n))
    time.sleep(0.3)
    assert sink.got == [] and d.failures["flaky"] > 0
    sink.down.clear()
    assert wait_for(lambda: len(sink.got) == 20, 15)
    d.stop()
    assert [a["event"]["start_s"] for a in sink.got] == [float(n) for n in range(20)]
    assert spool.depth("flaky") == 0


def test_restart_redelivers_only_unacked(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    sink = FlakySink()
    d = Dispatcher(spool, [sink], base_backoff_s=0.01).start()
    for n in range(3):
        spool.append(alert(n))
    assert wait_for(lambda: len(sink.got) == 3, 15)
    d.stop()
    spool.close()
    # A new process: same spool, new sink object; two more alerts arrive.
    spool2 = Spool(tmp_path / "spool.db")
    sink2 = FlakySink()
    for n in range(3, 5):
        spool2.append(alert(n))
    d2 = Dispatcher(spool2, [sink2], base_backoff_s=0.01).start()
    assert wait_for(lambda: len(sink2.got) == 2, 15)
    d2.stop()
    assert [a["event"]["start_s"] for a in sink2.got] == [3.0, 4.0]


def test_jsonl_sink_appends_lines(tmp_path):
    sink = JsonlSink(tmp_path / "alerts" / "out.jsonl")
    sink.send(alert(1))
    sink.send(alert(2))
    rows = load_jsonl(tmp_path / "alerts" / "out.jsonl")
    assert [r["alert_id"] for r in rows] == ["CAM-1:moved:1.0:open", "CAM-1:moved:2.0:open"]


def test_backoff_is_exponential_with_jitter_and_capped():
    assert backoff_delay(0, base=1, rng=lambda: 1.0) == 1
    assert backoff_delay(3, base=1, rng=lambda: 1.0) == 8
    assert backoff_delay(20, base=1, cap=30, rng=lambda: 1.0) == 30
    assert backoff_delay(3, base=1, rng=lambda: 0.25) == 2


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_sink_receives_everything_after_server_returns(tmp_path):
    port = free_port()
    spool = Spool(tmp_path / "spool.db")
    sink = WebhookSink(f"http://127.0.0.1:{port}/hook", timeout_s=1.0)
    d = Dispatcher(spool, [sink], base_backoff_s=0.05, max_backoff_s=0.2).start()
    for n in range(10):
        spool.append(alert(n))
    time.sleep(0.5)  # server is down: nothing delivered, nothing lost
    assert spool.depth("webhook") == 10
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", port), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert wait_for(lambda: len(_Hook.received) >= 10, 15)
    finally:
        d.stop()
        server.shutdown()
    starts = [a["event"]["start_s"] for a in _Hook.received]
    assert sorted(set(starts)) == [float(n) for n in range(10)]
    assert starts == sorted(starts)  # in order


def test_webhook_errors_are_sink_errors():
    with pytest.raises(SinkError, match="unreachable"):
        WebhookSink(f"http://127.0.0.1:{free_port()}/x", timeout_s=0.5).send(alert(0))



class _AuthHook(BaseHTTPRequestHandler):
    """Records what arrived: request line path, Host and Authorization headers, body; answers
    `status`."""

    seen: list = []
    status = 204

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "host": self.headers["Host"], "auth": self.headers.get("Authorization"),
                                "agent": self.headers.get("User-Agent"), "type": self.headers.get("Content-Type"),
                                "x": self.headers.get("X-Site"), "body": body})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def auth_hook():
    _AuthHook.seen, _AuthHook.status = [], 204
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AuthHook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_webhook_url_userinfo_becomes_basic_auth(auth_hook):
    import base64

    port = auth_hook
    sink = WebhookSink(f"http://ops%40city:s3cr%3At@127.0.0.1:{port}/hook?site=12", timeout_s=2.0, headers={"X-Site": "12"})
    sink.send(alert(0))
    (got,) = _AuthHook.seen
    assert got["auth"] == "Basic " + base64.b64encode(b"ops@city:s3cr:t").decode("ascii")
    assert got["path"] == "/hook?site=12" and got["host"] == f"127.0.0.1:{port}"  # no userinfo on the wire
    assert "s3cr" not in got["path"] + got["host"] and "@" not in got["host"]
    assert got["type"] == "application/json" and got["x"] == "12" and got["agent"].startswith("cctv-guard/")
    assert got["body"] == alert(0)


def test_webhook_without_userinfo_sends_no_authorization(auth_hook):
    WebhookSink(f"http://127.0.0.1:{auth_hook}/hook", timeout_s=2.0).send(alert(1))
    assert _AuthHook.seen[0]["auth"] is None


def test_webhook_refusal_is_a_sink_error_without_the_password(auth_hook):
    _AuthHook.status = 500
    with pytest.raises(SinkError, match="HTTP 500") as ei:
        WebhookSink(f"http://ops:hunter2@127.0.0.1:{auth_hook}/hook", timeout_s=2.0).send(alert(0))
    assert "hunter2" not in str(ei.value)


def test_webhook_url_that_is_not_http_is_a_config_error():
    from cctv_guard.core.errors import ConfigError

    with pytest.raises(ConfigError, match="http") as ei:
        WebhookSink("ftp://user:pw@example.org/x")
    assert "user:pw" not in str(ei.value)

MOSQUITTO = shutil.which("mosquitto") or (shutil.which("mosquitto", path="/usr/sbin"))


def start_broker(port: int, tmp_path) -> subprocess.Popen:
    conf = tmp_path / f"mosq-{port}.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: _port_open(port), 10)
    return proc


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed (.ci/run installs it)")
def test_mqtt_sink_survives_broker_outage_without_losing_alerts(tmp_path):
    pytest.importorskip("paho.mqtt.client")
    import paho.mqtt.client as mqtt

    port = free_port()
    broker = start_broker(port, tmp_path)
    got: list[dict] = []
    retained: dict[str, dict] = {}

    def on_message(client, userdata, msg):
        payload = json.loads(msg.payload)
        if msg.topic.endswith("/events"):
            got.append(payload)
        else:
            retained[msg.topic] = payload

    def subscribe() -> mqtt.Client:
        sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        sub.on_message = on_message
        sub.connect("127.0.0.1", port)
        sub.subscribe("cctv-guard/#", qos=1)
        sub.loop_start()
        return sub

    spool = Spool(tmp_path / "spool.db")
    sink = MqttSink("127.0.0.1", port, timeout_s=1.0)
    d = Dispatcher(spool, [sink], base_backoff_s=0.05, max_backoff_s=0.3).start()
    sub = subscribe()
    time.sleep(0.3)
    try:
        for n in range(3):
            spool.append(alert(n))
        assert wait_for(lambda: len(got) >= 3, 15)
        # Outage: the broker dies, alerts keep coming, then it comes back.
        broker.terminate()
        broker.wait(5)
        sub.loop_stop()
        for n in range(3, 8):
            spool.append(alert(n))
        time.sleep(0.5)
        assert spool.depth("mqtt") >= 1
        broker = start_broker(port, tmp_path)
        sub = subscribe()
        time.sleep(0.3)
        assert wait_for(lambda: {a["event"]["start_s"] for a in got} >= {float(n) for n in range(8)}, 20)
        # the sink removes an alert from the spool once the broker acknowledged it, which can come
        # a moment after the subscriber saw the message
        assert wait_for(lambda: spool.depth("mqtt") == 0, 10)
        assert retained["cctv-guard/CAM-1/state"]["state"] == "open"
    finally:
        d.stop()
        sub.loop_stop()
        broker.terminate()
        broker.wait(5)
