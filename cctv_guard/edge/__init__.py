"""The edge process beside the cameras: live streams, alert sinks, metrics.

* :mod:`~cctv_guard.edge.alerts` — the durable alert spool and the sinks delivering from it
  (JSONL, webhook, MQTT), at least once and in order.
* :mod:`~cctv_guard.edge.watch` — edge.yaml, one worker per camera stream, health and metrics.

The names below are imported on first use (``from cctv_guard.edge import Watcher``): the watcher
pulls in OpenCV and the tamper checks, which code that only reads alerts does not need.
"""

from __future__ import annotations

from cctv_guard.core.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "alerts": ("ALERT_SCHEMA", "SinkError", "Sink", "Spool", "JsonlSink", "WebhookSink", "MqttSink", "backoff_delay",
               "Dispatcher", "make_alert", "load_jsonl"),
    "watch": ("CameraConf", "WebhookConf", "MqttConf", "SinksConf", "HttpConf", "EdgeConfig", "load_edge_config",
              "edge_config_from_registry", "make_sinks", "CameraMetrics", "render_metrics", "OpenEvents", "CameraWorker",
              "PrivacyScanner", "Watcher"),
}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

