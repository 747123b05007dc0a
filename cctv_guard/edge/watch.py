"""Edge watch mode: live streams checked around the clock, with durable alerts and metrics.

One worker thread per camera opens its stream (RTSP over TCP, HTTP MJPEG, files, local
devices through `sources`), analyses frames at `analysis_fps` with the same per-frame check
and event state machine as `check`, and turns event openings and closings into alerts. Alerts
go to the on-disk spool first (`alerts.Spool`) and are delivered at-least-once by one thread per
sink. A stream that fails or stops delivering frames is reconnected with exponential backoff and
jitter; after `stall_timeout_s` without a frame the camera raises `signal_lost`, which closes
when frames return. Open events are persisted per camera, so a restarted watcher neither
re-raises an event that is still open nor forgets one that closed while it was down.

`/healthz` and Prometheus `/metrics` are served on a loopback port.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable, Literal, Optional

from pydantic import Field

from cctv_guard.core.atomic import write_atomic
from cctv_guard.core.config import StrictModel, load_yaml_model
from cctv_guard.edge.alerts import Dispatcher, JsonlSink, MqttSink, Sink, Spool, WebhookSink, backoff_delay, make_alert
from cctv_guard.tamper.baseline import FETCH_WIDTH, Baseline
from cctv_guard.core.errors import CctvGuardError, ConfigError
from cctv_guard.tamper.events import ARTICLES
from cctv_guard.tamper.live import LiveChecker
from cctv_guard.workflow import camera_baseline
from cctv_guard.core.redact import redact_text, redact_uri

log = logging.getLogger("cctv_guard.edge.watch")


# --- configuration (edge.yaml) -----------------------------------------------------------------


class CameraConf(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    url: str = Field(min_length=1)
    baseline: Path
    # zones overriding the baseline file's: the registry's, set by edge_config_from_registry
    zones: Optional[dict[str, list[list[float]]]] = None
    analysis_fps: float | None = Field(None, gt=0, le=30)
    rtsp_transport: Literal["tcp", "udp"] = "tcp"


class WebhookConf(StrictModel):
    url: str = Field(pattern=r"^https?://")
    timeout_s: float = Field(5.0, gt=0)
    headers: dict[str, str] = {}
    format: Literal["json", "onvif"] = "json"  # "onvif": edge.alerts.onvif_notification (docs/contracts.md)


class MqttConf(StrictModel):
    host: str
    port: int = Field(1883, ge=1, le=65535)
    topic_prefix: str = "cctv-guard"
    username: str | None = None
    password: str | None = None


class SinksConf(StrictModel):
    jsonl: Path | None = None
    webhook: list[WebhookConf] = []
    mqtt: MqttConf | None = None


class HttpConf(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(9108, ge=0, le=65535)  # 0 picks a free port


class EdgeConfig(StrictModel):
    cameras: list[CameraConf] = Field(min_length=1)
    analysis_fps: float = Field(2.0, gt=0, le=30)
    stall_timeout_s: float = Field(5.0, gt=0)
    reconnect_initial_s: float = Field(1.0, gt=0)
    reconnect_max_s: float = Field(30.0, gt=0)
    state_dir: Path | None = None
    snapshots: bool = True
    # Art. 9 privacy scan of the live view every this many seconds per camera (null: off).
    # Loading the detector and classifier adds about 250-600 MB to the watcher.
    privacy_every_s: float | None = Field(None, gt=0)
    privacy_ocr: bool = True
    sinks: SinksConf = SinksConf()
    http: HttpConf = HttpConf()


def load_edge_config(path: str | os.PathLike) -> EdgeConfig:
    """Read edge.yaml; relative paths inside it are relative to the file."""
    conf = load_yaml_model(path, EdgeConfig)
    base = Path(path).resolve().parent

    def rel(p: Path | None) -> Path | None:
        return None if p is None or p.is_absolute() else base / p

    cams = [c.model_copy(update={"baseline": rel(c.baseline) or c.baseline}) for c in conf.cameras]
    sinks = conf.sinks.model_copy(update={"jsonl": rel(conf.sinks.jsonl) or conf.sinks.jsonl})
    return conf.model_copy(update={"cameras": cams, "sinks": sinks, "state_dir": rel(conf.state_dir) or conf.state_dir})


def edge_config_from_registry(camera_ids: list[str], *, home: str | None = None, db: str | None = None,
                              base: EdgeConfig | None = None) -> EdgeConfig:
    """Watch the given registered cameras (all with a stream, when none is named): stream URI
    and current baseline come from the registry; other settings from `base` or defaults."""
    from cctv_guard.registry import open_registry
    from cctv_guard.workflow import resolve_camera

    with open_registry(home=home, url=db) as reg:
        cams = [reg.get_camera(i) for i in camera_ids] if camera_ids else [c for c in reg.list_cameras() if c.source]
        if not cams:
            raise ConfigError("no registered camera has a stream to watch (add one with `cctv-guard camera add ... --source URI`)")
        confs = []
        for cam in cams:
            if not cam.source:
                raise ConfigError(f"camera {cam.id} has no stream URI in the registry (set it with `cctv-guard camera edit {cam.id} --source URI`)")
            found = resolve_camera(reg, cam.id)
            if found.problem:
                raise ConfigError(found.problem)
            confs.append(CameraConf(id=cam.id, url=cam.source, baseline=found.baseline, zones=found.zones))
    if base is not None:
        return base.model_copy(update={"cameras": confs})
    return EdgeConfig(cameras=confs)


def make_sinks(conf: SinksConf) -> list[Sink]:
    sinks: list[Sink] = []
    if conf.jsonl is not None:
        sinks.append(JsonlSink(conf.jsonl))
    for i, hook in enumerate(conf.webhook):
        sinks.append(WebhookSink(hook.url, hook.timeout_s, dict(hook.headers), name=f"webhook{i}" if i else "webhook",
                                 format=hook.format))
    if conf.mqtt is not None:
        m = conf.mqtt
        sinks.append(MqttSink(m.host, m.port, topic_prefix=m.topic_prefix, username=m.username, password=m.password))
    return sinks


# --- metrics -------------------------------------------------------------------------------------


@dataclass
class CameraMetrics:
    frames: int = 0
    analysed: int = 0
    reconnects: int = 0
    connected: bool = False
    first_frame_wall: float | None = None
    last_frame_wall: float | None = None
    last_stream_t: float | None = None  # the stream's own time of the last frame (PTS, s)
    last_lag_s: float = 0.0
    events: dict[str, int] = field(default_factory=dict)
    recent: list[float] = field(default_factory=list)  # wall times of recent analysed frames

    def fps(self, now: float, window: float = 10.0) -> float:
        recent = [t for t in self.recent if now - t <= window]
        return len(recent) / window


def render_metrics(cameras: dict[str, CameraMetrics], spool_depths: dict[str, int], delivered: dict[str, int], now: float) -> str:
    """Prometheus text exposition format."""
    lines = [
        "# HELP cctv_guard_frames_analysed_per_second Analysed frames per second over the last 10 s.",
        "# TYPE cctv_guard_frames_analysed_per_second gauge",
    ]
    lines += [f'cctv_guard_frames_analysed_per_second{{camera="{c}"}} {m.fps(now):.3f}' for c, m in cameras.items()]
    lines += ["# HELP cctv_guard_frames_total Frames received.", "# TYPE cctv_guard_frames_total counter"]
    lines += [f'cctv_guard_frames_total{{camera="{c}"}} {m.frames}' for c, m in cameras.items()]
    lines += ["# HELP cctv_guard_lag_seconds Seconds from a frame's arrival to the end of its analysis.", "# TYPE cctv_guard_lag_seconds gauge"]
    lines += [f'cctv_guard_lag_seconds{{camera="{c}"}} {m.last_lag_s:.3f}' for c, m in cameras.items()]
    lines += ["# HELP cctv_guard_last_frame_age_seconds Seconds since the last frame.", "# TYPE cctv_guard_last_frame_age_seconds gauge"]
    lines += [
        f'cctv_guard_last_frame_age_seconds{{camera="{c}"}} {(now - m.last_frame_wall) if m.last_frame_wall else -1:.3f}'
        for c, m in cameras.items()
    ]
    lines += ["# HELP cctv_guard_connected Whether the stream is connected.", "# TYPE cctv_guard_connected gauge"]
    lines += [f'cctv_guard_connected{{camera="{c}"}} {int(m.connected)}' for c, m in cameras.items()]
    lines += ["# HELP cctv_guard_reconnects_total Stream reconnection attempts.", "# TYPE cctv_guard_reconnects_total counter"]
    lines += [f'cctv_guard_reconnects_total{{camera="{c}"}} {m.reconnects}' for c, m in cameras.items()]
    lines += ["# HELP cctv_guard_events_total Events opened, by kind.", "# TYPE cctv_guard_events_total counter"]
    lines += [f'cctv_guard_events_total{{camera="{c}",kind="{k}"}} {n}' for c, m in cameras.items() for k, n in sorted(m.events.items())]
    lines += ["# HELP cctv_guard_alert_queue_depth Alerts spooled but not yet delivered, by sink.", "# TYPE cctv_guard_alert_queue_depth gauge"]
    lines += [f'cctv_guard_alert_queue_depth{{sink="{s}"}} {n}' for s, n in spool_depths.items()]
    lines += ["# HELP cctv_guard_alerts_delivered_total Alerts delivered, by sink.", "# TYPE cctv_guard_alerts_delivered_total counter"]
    lines += [f'cctv_guard_alerts_delivered_total{{sink="{s}"}} {n}' for s, n in delivered.items()]
    return "\n".join(lines) + "\n"


# --- persisted event state ------------------------------------------------------------------------


def _write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, ensure_ascii=False, sort_keys=True))


class OpenEvents:
    """The events a camera has alerted as open and not yet closed, kept on disk."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.events: dict[str, dict] = json.loads(path.read_text(encoding="utf-8")).get("open", {})
        except (OSError, ValueError):
            self.events = {}

    def put(self, kind: str, alert: dict) -> None:
        self.events[kind] = alert
        self._save()

    def pop(self, kind: str) -> dict | None:
        alert = self.events.pop(kind, None)
        self._save()
        return alert

    def _save(self) -> None:
        _write_json_atomic(self.path, {"open": self.events})


# --- one camera -------------------------------------------------------------------------------------


class CameraWorker(threading.Thread):
    """Watches one stream: reconnects, analyses, spools alerts."""

    def __init__(self, conf: CameraConf, baseline: Baseline, *, spool: Spool, edge: EdgeConfig, state_dir: Path,
                 stop: threading.Event, clock: Callable[[], float] = time.time, privacy: "PrivacyScanner | None" = None):
        super().__init__(name=f"camera-{conf.id}", daemon=True)
        self.privacy = privacy
        self._next_privacy = 0.0
        self.conf, self.baseline, self.spool, self.edge, self.stop = conf, baseline, spool, edge, stop
        self.clock = clock
        self.metrics = CameraMetrics()
        self.state = OpenEvents(state_dir / "events" / f"{conf.id}.json")
        self.snap_dir = state_dir / "snapshots" / conf.id
        self.epoch = clock()  # event times are seconds since the watcher started
        self._restored = set(self.state.events)  # open before a restart, not yet seen again
        self._release_after = self.epoch + 3 * 2.0 + 2 * edge.stall_timeout_s

    # alerts
    def _alert(self, event: dict, state: str, frame=None) -> None:
        kind = event["kind"] if event["kind"] != "privacy" else f"privacy:{event['zone']}"
        if state == "open":
            if kind in self.state.events:  # already alerted (before a restart): don't repeat
                self._restored.discard(kind)
                return
            snapshot = self._snapshot(frame, kind) if frame is not None and self.edge.snapshots else None
            alert = make_alert(self.conf.id, event, state="open", snapshot=snapshot, now=self.clock())
            self.metrics.events[event["kind"]] = self.metrics.events.get(event["kind"], 0) + 1
            self.spool.append(alert)
            self.state.put(kind, alert)
            log.warning("camera %s: %s opened (article %s)", self.conf.id, kind, event.get("article"))
        else:
            opened = self.state.pop(kind)
            if opened is None:
                return
            closed = dict(opened["event"], end_s=event.get("end_s"))
            self.spool.append(make_alert(self.conf.id, closed, state="closed", snapshot=opened.get("snapshot"), now=self.clock()))
            log.info("camera %s: %s closed", self.conf.id, kind)

    def _snapshot(self, frame, kind: str) -> str | None:
        from cctv_guard.media.evidence import write_image

        try:
            path = self.snap_dir / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(self.clock()))}_{kind}.jpg"
            return str(write_image(path, frame.image, quality=80))
        except (OSError, CctvGuardError) as exc:
            log.error("camera %s: cannot write snapshot: %s", self.conf.id, exc)
            return None

    def _signal(self, lost: bool, since_wall: float) -> None:
        t = since_wall - self.epoch
        event = {"kind": "signal_lost", "article": ARTICLES["signal_lost"], "start_s": round(t, 3), "end_s": None,
                 "confidence": 0.99, "details": {"stall_timeout_s": self.edge.stall_timeout_s}, "evidence": []}
        if lost:
            self._alert(event, "open")
        elif "signal_lost" in self.state.events:
            self._alert(dict(event, end_s=round(self.clock() - self.epoch, 3)), "closed")

    def _scan_privacy(self, frame, now: float) -> None:
        """Art. 9: scan the live view now and then; a zone seen opens an alert, a later clear
        scan closes it."""
        if self.privacy is None or now < self._next_privacy:
            return
        self._next_privacy = now + (self.edge.privacy_every_s or 0.0)
        findings = self.privacy.scan(frame, self.baseline)
        if findings is None:
            return
        seen = set()
        for f in findings:
            seen.add(f"privacy:{f['zone']}")
            self._alert(dict(f, start_s=round(now - self.epoch, 3), end_s=None), "open", frame)
        for key in [k for k in self.state.events if k.startswith("privacy:") and k not in seen]:
            self._alert({"kind": "privacy", "zone": key.split(":", 1)[1], "end_s": round(now - self.epoch, 3)}, "closed")

    def _release_restored(self) -> None:
        """Events open before a restart that the checker has not confirmed again close now."""
        if self._restored and self.clock() >= self._release_after:
            for kind in sorted(self._restored):
                if kind != "signal_lost" and not kind.startswith("privacy:"):
                    self._alert({"kind": kind, "end_s": round(self.clock() - self.epoch, 3)}, "closed")
            self._restored.clear()

    # the loop
    def run(self) -> None:
        from cctv_guard.media.sources import open_source

        attempt = 0
        last_frame_wall = self.clock()
        fps = self.conf.analysis_fps or self.edge.analysis_fps
        checker = LiveChecker(self.baseline)
        while not self.stop.is_set():
            try:
                src = open_source(self.conf.url, timeout_s=self.edge.stall_timeout_s, rtsp_transport=self.conf.rtsp_transport)
            except CctvGuardError as exc:
                self.metrics.connected = False
                log.error("camera %s: %s", self.conf.id, redact_text(str(exc)))
                self._check_stall(last_frame_wall)
                self.metrics.reconnects += 1
                self.stop.wait(min(self.edge.reconnect_max_s, self.edge.reconnect_initial_s + backoff_delay(attempt, base=self.edge.reconnect_initial_s, cap=self.edge.reconnect_max_s)))
                attempt += 1
                continue
            self.metrics.connected = True
            log.info("camera %s: connected to %s", self.conf.id, redact_uri(self.conf.url))
            checker.reset_continuity()
            try:
                with src:
                    # every keyframe too: a frozen picture shows at keyframes (see health)
                    for frame in src.frames(every=1.0 / fps, sample_clock="wall", max_width=FETCH_WIDTH, with_keyframes=0.0):
                        now = self.clock()
                        attempt = 0
                        if "signal_lost" in self.state.events:
                            self._signal(False, now)
                        last_frame_wall = now
                        self.metrics.frames += 1
                        self.metrics.last_frame_wall = now
                        self.metrics.last_stream_t = frame.t
                        if self.metrics.first_frame_wall is None:
                            self.metrics.first_frame_wall = now
                        changes = checker.feed(frame, now - self.epoch)
                        for state, event in changes:
                            self._alert(event, state, frame)
                        self._scan_privacy(frame, now)
                        self.metrics.analysed += 1
                        self.metrics.recent = [t for t in self.metrics.recent[-200:] if now - t <= 10.0] + [now]
                        self.metrics.last_lag_s = self.clock() - now
                        self._release_restored()
                        if self.stop.is_set():
                            break
            except CctvGuardError as exc:
                log.error("camera %s: %s", self.conf.id, redact_text(str(exc)))
            except Exception as exc:  # noqa: BLE001 - a 24/7 worker logs, reconnects and goes on
                log.error("camera %s: unexpected %s: %s; reconnecting", self.conf.id, type(exc).__name__, redact_text(str(exc)))
            self.metrics.connected = False
            if self.stop.is_set():
                break
            self._check_stall(last_frame_wall)
            self.metrics.reconnects += 1
            self.stop.wait(self.edge.reconnect_initial_s * random.uniform(0.5, 1.0))

    def _check_stall(self, last_frame_wall: float) -> None:
        if self.clock() - last_frame_wall >= self.edge.stall_timeout_s:
            self._signal(True, last_frame_wall)


class PrivacyScanner:
    """The Art. 9 models, loaded once and shared by all cameras (one scan at a time)."""

    def __init__(self, ocr: bool = True):
        from cctv_guard import privacy

        self._privacy = privacy
        self._models = privacy.load_models(ocr=ocr)
        self._ocr = ocr
        self._lock = threading.Lock()
        self._hooks: dict[int, Callable] = {}

    def scan(self, frame, baseline: Baseline | None = None) -> list[dict] | None:
        """Findings as check@1 finding dicts (the baseline's privacy zones masked), or None
        when the frame could not be judged."""
        key = id(baseline)
        if key not in self._hooks:
            self._hooks[key] = self._privacy.check_hook(baseline, models=self._models, ocr=self._ocr)
        try:
            with self._lock:
                return self._hooks[key]([frame])
        except (ValueError, ArithmeticError, CctvGuardError) as exc:
            log.error("privacy scan failed: %s", exc)
            return None


# --- the watcher -------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    watcher: "Watcher"

    def do_GET(self) -> None:  # noqa: N802
        w = self.server.watcher  # type: ignore[attr-defined]
        if self.path.startswith("/healthz"):
            body, status = w.health()
            payload, ctype = json.dumps(body).encode(), "application/json"
        elif self.path.startswith("/metrics"):
            payload, ctype, status = w.metrics_text().encode(), "text/plain; version=0.0.4", 200
        else:
            payload, ctype, status = b"not found\n", "text/plain", 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


class Watcher:
    """Runs the camera workers, the alert dispatcher and the health/metrics server."""

    def __init__(self, edge: EdgeConfig, *, state_dir: Path, sinks: Iterable[Sink] | None = None):
        self.edge = edge
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        baselines = {c.id: camera_baseline(c.baseline, c.zones) for c in edge.cameras}
        ids = [c.id for c in edge.cameras]
        if len(set(ids)) != len(ids):
            raise ConfigError("camera ids in the watch list must be unique")
        self.spool = Spool(state_dir / "alerts-spool.db")
        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(self.spool, list(sinks) if sinks is not None else make_sinks(edge.sinks),
                                     on_error=lambda s, m: log.error("sink %s: %s", s, redact_text(m)))
        scanner = PrivacyScanner(edge.privacy_ocr) if edge.privacy_every_s else None
        self.workers = [CameraWorker(c, baselines[c.id], spool=self.spool, edge=edge, state_dir=state_dir, stop=self.stop_event,
                                     privacy=scanner) for c in edge.cameras]
        self.started = time.time()
        self._http: ThreadingHTTPServer | None = None

    @property
    def http_port(self) -> int | None:
        return self._http.server_address[1] if self._http else None

    def start(self) -> "Watcher":
        self.dispatcher.start()
        for w in self.workers:
            w.start()
        try:
            self._http = ThreadingHTTPServer((self.edge.http.host, self.edge.http.port), _Handler)
        except OSError as exc:
            self.stop()
            raise ConfigError(f"cannot serve health/metrics on {self.edge.http.host}:{self.edge.http.port}: {exc.strerror or exc}") from None
        self._http.watcher = self  # type: ignore[attr-defined]
        threading.Thread(target=self._http.serve_forever, name="http", daemon=True).start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        for w in self.workers:
            w.join(timeout)
        self.dispatcher.stop(timeout)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self.spool.close()

    def health(self) -> tuple[dict, int]:
        now = time.time()
        cams = {
            w.conf.id: {
                "connected": w.metrics.connected,
                "alive": w.is_alive(),
                "last_frame_age_s": None if w.metrics.last_frame_wall is None else round(now - w.metrics.last_frame_wall, 3),
                "open_events": sorted(w.state.events),
            }
            for w in self.workers
        }
        ok = all(c["alive"] for c in cams.values()) and not self.stop_event.is_set()
        return {"status": "ok" if ok else "failing", "uptime_s": round(now - self.started, 1), "cameras": cams,
                "alert_queue_depth": self.spool.depth()}, (200 if ok else 503)

    def metrics_text(self) -> str:
        depths = {s.name: self.spool.depth(s.name) for s in self.dispatcher.sinks}
        return render_metrics({w.conf.id: w.metrics for w in self.workers}, depths, dict(self.dispatcher.delivered), time.time())
