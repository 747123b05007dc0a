"""Credential redaction. Stream URIs carry passwords (``rtsp://user:pass@host/stream``); they
are stored as given in the registry (the edge watcher needs them) but must never reach a
terminal, a log, a report or an error message. Everything that prints or writes a URI passes
it through this module first.

- :func:`redact_uri` redacts one URI: ``rtsp://user:pass@10.0.0.12/s1`` -> ``rtsp://***@10.0.0.12/s1``;
  secret query parameters (``?password=...``, ``&token=...``) become ``***`` too.
- :func:`redact_text` redacts every URI embedded in free text (error messages, log lines).
- :func:`redact_json` walks a JSON-like value (dicts, lists, strings) and redacts every string.
- :class:`RedactingFilter` / :func:`install_log_redaction` redact log records.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

# scheme://userinfo@ — userinfo is everything up to the last "@" of the authority. A second,
# looser pattern catches malformed URIs whose password holds "/", "?" or "#" unencoded
# (``rtsp://admin:pa/ss@host``): a user name, a colon, then anything without spaces up to "@".
# Over-redacting a rare "http://host:80/path@x" is the safe side of that trade.
_AUTHORITY = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@]*(?:@[^\s/?#@]*)*)@")
_LOOSE = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@:\"'<>]*:[^\s\"'<>]*?)@"
    r"(?=[^\s@\"'<>]*(?:[\s\"'<>]|$))"
)

# A password holding spaces or tabs (``rtsp://admin:s3cr et@host``): a user name and a colon right
# after the scheme, then anything on the same line up to an "@" that is followed by a host.
_SPACED = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@:\"'<>]*:[^\n\r\"'<>]{0,200}?)@"
    r"(?=[A-Za-z0-9\[][A-Za-z0-9.\-\[\]:]*(?:[/?#\s\"'<>]|$))"
)

# Query or fragment parameters whose value is a secret: any key that looks like one
# (``password``, ``loginpas``, ``pw``, ``api-key``, ``access_token``, ``X-Auth``, ``sig``...).
_SECRET_WORD = r"pass|pas|pwd|pw|token|secret|key|auth|sig|cred|session|cookie|otp|pin"
_SECRET_PARAM = re.compile(
    rf"(?P<pre>[?&;#](?:[A-Za-z0-9_.\-]*?(?:{_SECRET_WORD})[A-Za-z0-9_.\-]*)=)(?P<value>[^&;#\s]*)", re.IGNORECASE
)


def _mask_authority(match: re.Match[str]) -> str:
    return f"{match.group('scheme')}{MASK}@"


def redact_text(text: str) -> str:
    """Redact credentials of every URI found in ``text`` (user:password and secret parameters)."""
    if not text:
        return text
    if "@" in text and "://" in text:
        text = _LOOSE.sub(_mask_authority, text)
        text = _AUTHORITY.sub(_mask_authority, text)
        text = _SPACED.sub(_mask_authority, text)
    if "=" in text:
        text = _SECRET_PARAM.sub(lambda m: f"{m.group('pre')}{MASK}" if m.group("value") else m.group(0), text)
    return text


def redact_uri(uri: str | None) -> str | None:
    """Redact one URI (or path); ``None`` stays ``None``. Paths and URIs without secrets are unchanged."""
    if uri is None:
        return None
    return redact_text(str(uri))


def has_credentials(text: str) -> bool:
    """True when ``text`` holds something :func:`redact_text` would mask."""
    return redact_text(text) != text


def redact_json(value: Any) -> Any:
    """A copy of a JSON-like value with every string (keys too) redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_json(k) if isinstance(k, str) else k: redact_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts credentials in the formatted message and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record alone  # noqa: BLE001
            return True
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | str | None = "cctv_guard") -> RedactingFilter:
    """Attach a :class:`RedactingFilter` to ``logger`` (default: the package logger) and to its
    handlers, once. Returns the filter."""
    log = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
    for existing in log.filters:
        if isinstance(existing, RedactingFilter):
            return existing
    flt = RedactingFilter()
    log.addFilter(flt)
    for handler in log.handlers:
        handler.addFilter(flt)
    return flt
