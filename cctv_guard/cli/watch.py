"""`watch`: the edge watcher over live streams."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    DB_OPTION,
    HOME_OPTION,
    err,
    fail,
)

# --- edge watch (issue 6) ----------------------------------------------------------------------


def _setup_watch_logging(level: str) -> None:
    """Human-readable logs on a terminal, JSON lines otherwise (journald, docker, files)."""
    import json as _json
    import logging

    from cctv_guard.core.redact import install_log_redaction

    class _JsonLines(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return _json.dumps({"ts": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name,
                                "msg": record.getMessage()}, ensure_ascii=False)

    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonLines())
    logger = logging.getLogger("cctv_guard")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    install_log_redaction(logger)


def watch_cmd(
    cameras: Optional[list[str]] = typer.Argument(None, metavar="[CAMERA_ID]...", help="Registered cameras to watch (default: every registered camera with a stream, unless --config lists cameras)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", metavar="FILE", help="edge.yaml: cameras, analysis rate, alert sinks, health/metrics port."),
    home: Optional[Path] = HOME_OPTION,
    db: Optional[str] = DB_OPTION,
    port: Optional[int] = typer.Option(None, "--port", help="Health/metrics port (overrides the config; 0 picks a free one)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Watch live streams around the clock and raise alerts within seconds (Art. 16(5), 16(7)).

    Every alert is spooled on disk before delivery and delivered at-least-once to the sinks of
    edge.yaml (webhook, MQTT, JSONL). /healthz and /metrics (Prometheus) are served on
    127.0.0.1:9108 by default. Stops cleanly on SIGTERM or Ctrl-C.

    Examples:

      cctv-guard watch --config edge.yaml

      cctv-guard watch GS-LZ-0012 GS-LZ-0013 --home /srv/cctv-guard
    """
    import signal
    import threading

    from cctv_guard.core.home import resolve_home
    from cctv_guard.edge.watch import Watcher, edge_config_from_registry, load_edge_config

    if log_level.lower() not in ("debug", "info", "warning", "error"):
        raise fail(f"--log-level must be debug, info, warning or error, not {log_level!r}")
    edge = load_edge_config(config) if config else None
    if cameras or edge is None:
        edge = edge_config_from_registry(list(cameras or []), home=str(home) if home else None, db=db, base=edge)
    if port is not None:
        edge = edge.model_copy(update={"http": edge.http.model_copy(update={"port": port})})
    state_dir = edge.state_dir or resolve_home(str(home) if home else None) / "watch"
    _setup_watch_logging(log_level)
    watcher = Watcher(edge, state_dir=Path(state_dir)).start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    err.print(f"watching {len(edge.cameras)} camera(s); health and metrics on http://{edge.http.host}:{watcher.http_port}/", soft_wrap=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        watcher.stop()
    err.print("stopped")
