"""Credential redaction: URIs, free text, JSON values and log records."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cctv_guard.core.redact import (
    MASK,
    RedactingFilter,
    has_credentials,
    install_log_redaction,
    redact_json,
    redact_text,
    redact_uri,
)


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("rtsp://user:pass@10.0.0.12/stream1", "rtsp://***@10.0.0.12/stream1"),
        ("rtsp://admin:12345@cam.example:554/Streaming/Channels/101", "rtsp://***@cam.example:554/Streaming/Channels/101"),
        ("rtsp://user@host/x", "rtsp://***@host/x"),  # a user name alone is still an account name
        ("rtsp://:pw@host/", "rtsp://***@host/"),
        ("rtsp://a:p@ss@h:554/x?y=1", "rtsp://***@h:554/x?y=1"),  # '@' inside the password
        ("rtsp://admin:pa/ss@host/x", "rtsp://***@host/x"),  # unencoded '/' inside the password
        ("RTSP://A:B@H/s", "RTSP://***@H/s"),
        ("http://h/snap.jpg?user=admin&password=s3cr3t&ch=1", "http://h/snap.jpg?user=admin&password=***&ch=1"),
        ("https://h/api?token=abc.def&x=1", "https://h/api?token=***&x=1"),
        ("rtsp://10.0.0.1:554/stream", "rtsp://10.0.0.1:554/stream"),
        ("/data/footage/cam 3.mp4", "/data/footage/cam 3.mp4"),
        ("footage@2026-03-01.mp4", "footage@2026-03-01.mp4"),
        ("", ""),
    ],
)
def test_redact_uri_table(uri: str, expected: str) -> None:
    assert redact_uri(uri) == expected


def test_none_and_idempotence() -> None:
    assert redact_uri(None) is None
    once = redact_uri("rtsp://u:p@h/x?password=q")
    assert redact_uri(once) == once
    assert not has_credentials(once)
    assert has_credentials("rtsp://u:p@h/x")


def test_redact_text_finds_every_uri_in_a_message() -> None:
    msg = 'cannot open rtsp://admin:hunter22@10.0.0.5/s1 or "rtsp://op:swordfish@10.0.0.6/s2", mail ops@city.example'
    red = redact_text(msg)
    assert "hunter22" not in red and "swordfish" not in red
    assert "rtsp://***@10.0.0.5/s1" in red and '"rtsp://***@10.0.0.6/s2"' in red
    assert "ops@city.example" in red  # plain e-mail addresses are not URIs


def test_redact_json_walks_nested_values() -> None:
    doc = {"source": "rtsp://u:topsecret@h/x", "events": [{"evidence": ["see rtsp://u:topsecret@h/x"]}], "n": 3,
           "ok": True, "none": None}
    red = redact_json(doc)
    assert "topsecret" not in json.dumps(red)
    assert red["n"] == 3 and red["ok"] is True and red["none"] is None
    assert red["source"] == "rtsp://***@h/x"
    assert doc["source"] == "rtsp://u:topsecret@h/x"  # the input is not modified


_SAFE = st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="\"'<>")


@settings(max_examples=300, deadline=None)
@given(user=st.text(_SAFE.filter(lambda c: c not in "@:/?#"), max_size=12),
       password=st.text(_SAFE, min_size=4, max_size=24),
       path=st.text(st.characters(min_codepoint=48, max_codepoint=122, blacklist_characters="@\\`^[]"), max_size=12))
def test_passwords_never_survive(user: str, password: str, path: str) -> None:
    host = "cam.example:554"
    uri = f"rtsp://{user}:{password}@{host}/{path}"
    shown = redact_uri(uri)
    assume(password not in f"rtsp://{MASK}@{host}/{path}")
    assert password not in shown
    assert shown.startswith(f"rtsp://{MASK}@")
    # and inside free text and JSON
    assert password not in redact_text(f"error: cannot open {uri}: timeout")
    assert password not in json.dumps(redact_json({"source": uri}))


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("cctv_guard.test_redact")
    flt = install_log_redaction(log)
    assert install_log_redaction(log) is flt  # installed once
    try:
        with caplog.at_level(logging.INFO, logger="cctv_guard.test_redact"):
            log.info("opening %s", "rtsp://admin:letmein@10.1.1.1/live")
            try:
                raise OSError("connect failed for rtsp://admin:letmein@10.1.1.1/live")
            except OSError:
                log.exception("stream down")
        text = caplog.text
        assert "letmein" not in text
        assert "rtsp://***@10.1.1.1/live" in text
        assert "stream down" in text
    finally:
        log.removeFilter(flt)


def test_filter_keeps_broken_format_strings() -> None:
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "value %d", ("not a number",), None)
    assert RedactingFilter().filter(rec) is True


@pytest.mark.parametrize(
    "text, secret",
    [
        ("rtsp://admin:s3cr et@10.0.0.12/stream1", "s3cr et"),
        ("open failed: rtsp://admin:pa\tss@cam.local:554/x (timeout)", "pa\tss"),
        ("http://h/snap.jpg?loginpas=hunter2&ch=1", "hunter2"),
        ("http://h/snap.jpg?ch=1&pw=hunter2", "hunter2"),
        ("https://h/api?api-key=K3Y&x=1", "K3Y"),
        ("https://h/app#token=T0K", "T0K"),
        ("https://h/api?X-Auth-Code=abc", "abc"),
    ],
)
def test_other_secret_forms_are_masked(text: str, secret: str) -> None:
    """Issue 13 (8): passwords with blanks, and any query/fragment key that looks like a secret."""
    out = redact_text(text)
    assert secret not in out
    assert MASK in out


def test_ordinary_parameters_and_paths_stay() -> None:
    assert redact_text("http://h/x?id=1&user=bob&channel=2") == "http://h/x?id=1&user=bob&channel=2"
    assert redact_text("see cam 3 @ gate: /data/cam 3.mp4") == "see cam 3 @ gate: /data/cam 3.mp4"
