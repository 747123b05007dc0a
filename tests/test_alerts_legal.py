"""Alerts carry the citations under both regimes and the ONVIF / GB/T 28181 codes; a webhook may
take the ONVIF-shaped notification instead of the alert@1 document."""

from __future__ import annotations

import pytest

from cctv_guard.core.errors import ConfigError
from cctv_guard.edge import alerts
from cctv_guard.edge.alerts import JsonlSink, WebhookSink, load_jsonl, make_alert, onvif_notification


def moved_event() -> dict:
    return {"kind": "moved", "article": "8", "start_s": 3.0, "end_s": None, "confirmed_s": 4.0,
            "confidence": 0.9, "details": {"shift_px": 40}, "evidence": []}


def test_alert_event_gains_legal_and_vocabulary_fields_only():
    ev = moved_event()
    a = make_alert("CAM-1", ev, state="open", now=1_780_000_000.0)
    got = a["event"]
    assert {k: got[k] for k in ev} == ev  # nothing existing changes
    assert got["legal"] == [{"regime": "gansu-78", "article": "8", "penalty": "19(1)"},
                            {"regime": "national-799", "article": "23(2)", "penalty": "30"}]
    assert got["onvif_topic"] == "tns1:VideoSource/GlobalSceneChange/AnalyticsService"
    assert (got["gb28181"]["alarm_method"], got["gb28181"]["alarm_type"]) == (5, 11)
    assert ev.get("legal") is None  # the caller's dict is not modified


def test_signal_loss_alert_codes():
    a = make_alert("CAM-1", {"kind": "signal_lost", "article": "16(7)", "start_s": 1.0}, state="open", now=0.0)
    assert a["event"]["onvif_topic"] == "tns1:VideoSource/SignalLoss"
    assert (a["event"]["gb28181"]["alarm_method"], a["event"]["gb28181"]["alarm_type"]) == (2, 1)
    assert [c["article"] for c in a["event"]["legal"]] == ["16(7)", "15"]


def test_jsonl_sink_writes_the_fields(tmp_path):
    sink = JsonlSink(tmp_path / "a.jsonl")
    sink.send(make_alert("CAM-1", moved_event(), state="open", now=0.0))
    (line,) = load_jsonl(tmp_path / "a.jsonl")
    assert line["event"]["legal"][1]["regime"] == "national-799"


def test_onvif_notification_shape():
    n = onvif_notification(make_alert("CAM-1", moved_event(), state="open", now=0.0))
    assert n["Topic"]["Value"] == "tns1:VideoSource/GlobalSceneChange/AnalyticsService"
    assert n["Message"]["UtcTime"] == "1970-01-01T00:00:00Z"
    assert n["Message"]["Source"]["SimpleItem"][0]["Value"] == "CAM-1"
    assert n["Message"]["Data"]["SimpleItem"][0] == {"Name": "State", "Value": True}
    closed = onvif_notification(make_alert("CAM-1", moved_event(), state="closed", now=0.0))
    assert closed["Message"]["Data"]["SimpleItem"][0]["Value"] is False
    assert closed["cctv_guard"]["state"] == "closed"


def test_webhook_format_onvif_posts_the_onvif_shape(monkeypatch):
    sent = []
    monkeypatch.setattr(alerts, "post_json", lambda url, body, **kw: sent.append(body))
    alert = make_alert("CAM-1", moved_event(), state="open", now=0.0)
    WebhookSink("http://127.0.0.1:9/hook", format="onvif").send(alert)
    WebhookSink("http://127.0.0.1:9/hook").send(alert)
    assert sent[0]["Topic"]["Value"].startswith("tns1:VideoSource/") and sent[1] == alert


def test_unknown_webhook_format_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown webhook format 'xml'"):
        WebhookSink("http://127.0.0.1:9/hook", format="xml")


def test_edge_config_webhook_format(tmp_path):
    from cctv_guard.edge.watch import SinksConf, make_sinks

    sinks = make_sinks(SinksConf.model_validate({"webhook": [{"url": "http://127.0.0.1:9/a", "format": "onvif"},
                                                             {"url": "http://127.0.0.1:9/b"}]}))
    assert [s.format for s in sinks] == ["onvif", "json"]
    with pytest.raises(Exception, match="format"):
        SinksConf.model_validate({"webhook": [{"url": "http://127.0.0.1:9/a", "format": "xml"}]})
