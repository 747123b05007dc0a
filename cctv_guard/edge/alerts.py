"""Alerts: a durable on-disk spool and the sinks that deliver from it (webhook, MQTT, JSONL).

Every alert is written to the spool (SQLite, synchronous commits) before any delivery is tried.
Each sink has its own cursor in the spool and a delivery thread that sends alerts strictly in
spool order and advances its cursor only after the sink accepted the alert. A sink that is down
is retried with exponential backoff and jitter; when it returns it receives everything it
missed, in order. A crash between a send and its cursor update re-sends that one alert: delivery
is at-least-once, and each alert carries a stable `alert_id` so receivers can drop repeats.

Every alert's event carries its citations under both regimes (``legal``), its ONVIF topic and its
GB/T 28181 alarm pair (:func:`cctv_guard.legal.annotate`); a webhook may instead receive the alert
as an ONVIF-style notification message (``format="onvif"``, :func:`onvif_notification`).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from cctv_guard import __version__
from cctv_guard.core.errors import ConfigError
from cctv_guard.core.webhook import WebhookError, post_json, split_credentials
from cctv_guard.legal.mapping import annotate

WEBHOOK_FORMATS = ("json", "onvif")

ALERT_SCHEMA = "cctv-guard/alert@1"


class SinkError(Exception):
    """A sink could not take an alert now; delivery will be retried."""


class Sink(Protocol):
    name: str

    def send(self, alert: dict) -> None: ...

    def close(self) -> None: ...


# --- the spool ------------------------------------------------------------------------------------


class Spool:
    """Append-only alert queue on disk with one delivery cursor per sink."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS alerts (seq INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cursors (sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);
            """
        )
        self._appended = threading.Condition()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def register(self, sink: str) -> None:
        """Give `sink` a cursor; a new sink starts at the oldest alert still kept."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO cursors (sink, seq) VALUES (?, 0)", (sink,))

    def append(self, alert: dict) -> int:
        body = json.dumps(alert, ensure_ascii=False, sort_keys=True)
        with self._lock:
            cur = self._db.execute("INSERT INTO alerts (created, body) VALUES (?, ?)", (time.time(), body))
            seq = int(cur.lastrowid)
        with self._appended:
            self._appended.notify_all()
        return seq

    def pending(self, sink: str, limit: int = 100) -> list[tuple[int, dict]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body FROM alerts WHERE seq > (SELECT seq FROM cursors WHERE sink = ?) ORDER BY seq LIMIT ?",
                (sink, limit),
            ).fetchall()
        return [(int(seq), json.loads(body)) for seq, body in rows]

    def ack(self, sink: str, seq: int) -> None:
        with self._lock:
            self._db.execute("UPDATE cursors SET seq = MAX(seq, ?) WHERE sink = ?", (seq, sink))

    def depth(self, sink: str | None = None) -> int:
        """Alerts not yet delivered to `sink` (or to the slowest sink)."""
        with self._lock:
            if sink is None:
                row = self._db.execute("SELECT COUNT(*) FROM alerts WHERE seq > (SELECT COALESCE(MIN(seq), 0) FROM cursors)").fetchone()
            else:
                row = self._db.execute("SELECT COUNT(*) FROM alerts WHERE seq > (SELECT seq FROM cursors WHERE sink = ?)", (sink,)).fetchone()
        return int(row[0])

    def prune(self, keep_s: float = 7 * 86400) -> int:
        """Drop alerts every sink has delivered and that are older than `keep_s`."""
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM alerts WHERE seq <= (SELECT COALESCE(MIN(seq), 0) FROM cursors) AND created < ?",
                (time.time() - keep_s,),
            )
            return cur.rowcount

    def wait(self, timeout: float) -> None:
        with self._appended:
            self._appended.wait(timeout)


# --- sinks ----------------------------------------------------------------------------------------


@dataclass
class JsonlSink:
    """Appends one JSON line per alert to a local file, flushed and fsynced."""

    path: Path
    name: str = "jsonl"

    def send(self, alert: dict) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(alert, ensure_ascii=False, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise SinkError(f"cannot append to {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        pass


@dataclass
class WebhookSink:
    """POSTs each alert as JSON through `core.webhook.post_json`; any 2xx answer counts as
    delivered. A URL with ``user:pass@`` is sent as HTTP basic auth (never on the request line);
    a URL that is not http(s) is a ConfigError at once, not a delivery retried forever."""

    url: str
    timeout_s: float = 5.0
    headers: dict[str, str] = field(default_factory=dict)
    name: str = "webhook"
    format: str = "json"  # "json": the alert@1 document; "onvif": onvif_notification(alert)

    def __post_init__(self) -> None:
        split_credentials(self.url)
        if self.format not in WEBHOOK_FORMATS:
            raise ConfigError(f"unknown webhook format {self.format!r}: expected one of {', '.join(WEBHOOK_FORMATS)}")

    def send(self, alert: dict) -> None:
        body = onvif_notification(alert) if self.format == "onvif" else alert
        try:
            post_json(self.url, body, timeout_s=self.timeout_s, headers=self.headers,
                      user_agent=f"cctv-guard/{__version__}")
        except WebhookError as exc:
            raise SinkError(str(exc)) from None

    def close(self) -> None:
        pass


class MqttSink:
    """Publishes each alert (QoS 1) to `<prefix>/<camera>/events` and the camera's latest state,
    retained, to `<prefix>/<camera>/state`."""

    def __init__(self, host: str, port: int = 1883, *, topic_prefix: str = "cctv-guard", username: str | None = None,
                 password: str | None = None, timeout_s: float = 5.0, name: str = "mqtt"):
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            raise ConfigError("the MQTT sink needs paho-mqtt: pip install 'cctv-guard[mqtt]'") from None
        self._mqtt = mqtt
        self.host, self.port, self.prefix, self.timeout_s, self.name = host, port, topic_prefix.rstrip("/"), timeout_s, name
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cctv-guard-{os.getpid()}-{random.randrange(1 << 30)}")
        if username:
            self._client.username_pw_set(username, password)
        self._connected = False

    def _ensure(self) -> None:
        if self._connected and self._client.is_connected():
            return
        try:
            self._client.connect(self.host, self.port, keepalive=30)
        except (OSError, ValueError) as exc:
            raise SinkError(f"MQTT broker {self.host}:{self.port} unreachable: {exc}") from None
        self._client.loop_start()
        deadline = time.monotonic() + self.timeout_s
        while not self._client.is_connected():
            if time.monotonic() > deadline:
                self._client.loop_stop()
                raise SinkError(f"MQTT broker {self.host}:{self.port} did not accept the connection")
            time.sleep(0.02)
        self._connected = True

    def _publish(self, topic: str, payload: str, retain: bool) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(timeout=self.timeout_s)
        except (RuntimeError, ValueError) as exc:
            self._drop()
            raise SinkError(f"MQTT publish failed: {exc}") from None
        if not info.is_published():
            self._drop()
            raise SinkError("MQTT broker did not acknowledge the alert")

    def _drop(self) -> None:
        self._connected = False
        try:
            self._client.loop_stop()
            self._client.disconnect()
        except Exception:  # noqa: BLE001 - best effort on a broken connection
            pass

    def send(self, alert: dict) -> None:
        self._ensure()
        camera = alert.get("camera_id") or "unknown"
        self._publish(f"{self.prefix}/{camera}/events", json.dumps(alert, ensure_ascii=False), retain=False)
        state = {"camera_id": camera, "state": alert.get("state"), "kind": alert.get("event", {}).get("kind"), "at": alert.get("time")}
        self._publish(f"{self.prefix}/{camera}/state", json.dumps(state, ensure_ascii=False), retain=True)

    def close(self) -> None:
        self._drop()


# --- delivery -------------------------------------------------------------------------------------


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 60.0, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng() * min(cap, base * (2 ** min(attempt, 30)))


class Dispatcher:
    """One delivery thread per sink, each reading the spool in order from its own cursor."""

    def __init__(self, spool: Spool, sinks: Sequence[Sink], *, on_error: Callable[[str, str], None] | None = None,
                 base_backoff_s: float = 0.5, max_backoff_s: float = 60.0):
        self.spool, self.sinks = spool, list(sinks)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._on_error = on_error or (lambda sink, msg: None)
        self._base, self._cap = base_backoff_s, max_backoff_s
        self.delivered: dict[str, int] = {s.name: 0 for s in self.sinks}
        self.failures: dict[str, int] = {s.name: 0 for s in self.sinks}
        for s in self.sinks:
            spool.register(s.name)

    def start(self) -> "Dispatcher":
        for sink in self.sinks:
            t = threading.Thread(target=self._run, args=(sink,), name=f"sink-{sink.name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self.spool._appended:
            self.spool._appended.notify_all()
        for t in self._threads:
            t.join(timeout)
        for sink in self.sinks:
            sink.close()

    def _run(self, sink: Sink) -> None:
        attempt = 0
        while not self._stop.is_set():
            batch = self.spool.pending(sink.name)
            if not batch:
                self.spool.wait(0.5)
                continue
            for seq, alert in batch:
                if self._stop.is_set():
                    return
                try:
                    sink.send(alert)
                except SinkError as exc:
                    self.failures[sink.name] += 1
                    self._on_error(sink.name, str(exc))
                    self._stop.wait(backoff_delay(attempt, base=self._base, cap=self._cap))
                    attempt += 1
                    break
                self.spool.ack(sink.name, seq)
                self.delivered[sink.name] += 1
                attempt = 0


def make_alert(camera_id: str, event: dict, *, state: str, snapshot: str | None = None, now: float | None = None) -> dict:
    """An alert: the check@1 event shape plus camera id, open/closed state and a snapshot path.
    The event gains the ``legal``, ``onvif_topic`` and ``gb28181`` fields it lacks."""
    when = time.time() if now is None else now
    start = event.get("start_s")
    alert_id = f"{camera_id}:{event.get('kind')}:{start}:{state}"
    return {
        "schema": ALERT_SCHEMA,
        "alert_id": alert_id,
        "camera_id": camera_id,
        "state": state,
        "time": when,
        "event": annotate(event),
        "snapshot": snapshot,
    }


def onvif_notification(alert: dict) -> dict:
    """The alert as JSON shaped like an ONVIF event notification (``wsnt:NotificationMessage``):
    its topic, the camera as the ``Source`` item, ``State`` true while the event is open, and the
    alert@1 document beside them under ``cctv_guard``. An event with no ONVIF topic (``frozen``)
    gets the topic None."""
    event = alert.get("event") or {}
    when = alert.get("time")
    utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)) if isinstance(when, (int, float)) else None
    return {
        "Topic": {"Dialect": "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet",
                  "Value": event.get("onvif_topic")},
        "Message": {
            "UtcTime": utc,
            "PropertyOperation": "Changed",
            "Source": {"SimpleItem": [{"Name": "VideoSourceToken", "Value": alert.get("camera_id")}]},
            "Data": {"SimpleItem": [{"Name": "State", "Value": alert.get("state") == "open"}]},
        },
        "cctv_guard": alert,
    }


def load_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read back a JSONL alert file (used by tests and `watch` tooling)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
