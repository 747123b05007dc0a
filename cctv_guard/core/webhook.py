"""The one HTTP client for webhooks (edge alerts, audit summaries): POST a JSON body, treat any
2xx answer as delivered. A URL with ``user:pass@`` is sent as HTTP basic auth (the userinfo never
goes on the request line), and error messages never show the credentials."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping

from cctv_guard.core.errors import CctvGuardError, ConfigError
from cctv_guard.core.redact import redact_text, redact_uri


class WebhookError(CctvGuardError):
    """A webhook delivery failed (unreachable, or a non-2xx answer)."""


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """(URL without userinfo, headers with the matching basic-auth header or none)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"webhook: expected an http:// or https:// URL, found {redact_uri(url)!r}")
    if parts.username is None and parts.password is None:
        return url, {}
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6 literals keep brackets
    host += f":{parts.port}" if parts.port else ""
    bare = urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    token = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")
    return bare, {"Authorization": f"Basic {token}"}


def post_json(url: str, payload: Any, *, timeout_s: float = 5.0, headers: Mapping[str, str] | None = None,
              user_agent: str | None = None) -> int:
    """POST `payload` as JSON; returns the HTTP status, or raises WebhookError with a redacted message."""
    bare, auth = split_credentials(url)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    all_headers = {"Content-Type": "application/json", **auth, **dict(headers or {})}
    if user_agent:
        all_headers.setdefault("User-Agent", user_agent)
    req = urllib.request.Request(bare, data=data, method="POST", headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"webhook {redact_uri(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        reason = redact_text(str(getattr(exc, "reason", exc)))
        raise WebhookError(f"webhook {redact_uri(url)} unreachable: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"webhook {redact_uri(url)} answered HTTP {status}")
    return status
