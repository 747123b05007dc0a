"""Standard event vocabularies for each tamper kind: the ONVIF event topic and the GB/T 28181
alarm pair ``{alarm_method, alarm_type}``. Sources and reasoning: docs/legal.md.

    vocab.onvif_topic("moved")        # 'tns1:VideoSource/GlobalSceneChange/AnalyticsService'
    vocab.gb28181_alarm("signal_lost") # GbAlarm(alarm_method=2, alarm_type=1, description='视频丢失报警 (video loss)')

Kinds without a code (``frozen`` has no ONVIF topic; registry, archive and privacy findings have
neither) give None.
"""

from __future__ import annotations

from dataclasses import dataclass

_SCENE = "tns1:VideoSource/GlobalSceneChange/AnalyticsService"

#: ONVIF Core / Analytics event topics (the video source topics of the ONVIF topic namespace tns1).
ONVIF_TOPICS: dict[str, str] = {
    "moved": _SCENE,
    "rotated": _SCENE,
    "zoomed": _SCENE,
    "coverage_lost": _SCENE,
    "covered": _SCENE,
    "defocused": "tns1:VideoSource/ImageTooBlurry/AnalyticsService",
    "blackout": "tns1:VideoSource/ImageTooDark/AnalyticsService",
    "signal_lost": "tns1:VideoSource/SignalLoss",
}

# GB/T 28181 alarm notification: AlarmMethod 2 = device alarm (设备报警), type 1 = video loss
# (视频丢失报警); AlarmMethod 5 = video alarm (视频报警), type 11 = video anomaly detection
# (视频异常检测报警). The standard's own text was not available to confirm a separate occlusion type
# (5/13), so every tamper kind but signal loss is 5/11, its subtype named in the description.
VIDEO_LOSS = (2, 1)
VIDEO_ANOMALY = (5, 11)
TAMPER_KINDS = ("moved", "rotated", "zoomed", "coverage_lost", "covered", "defocused", "blackout", "frozen", "signal_lost")


@dataclass(frozen=True)
class GbAlarm:
    alarm_method: int
    alarm_type: int
    description: str

    def to_json(self) -> dict:
        return {"alarm_method": self.alarm_method, "alarm_type": self.alarm_type, "description": self.description}


def onvif_topic(kind: str) -> str | None:
    """The ONVIF event topic for a tamper kind; None where ONVIF names none."""
    return ONVIF_TOPICS.get(kind)


def gb28181_alarm(kind: str) -> GbAlarm | None:
    """The GB/T 28181 alarm pair for a tamper kind; None for other kinds."""
    if kind == "signal_lost":
        return GbAlarm(*VIDEO_LOSS, "视频丢失报警 (video loss)")
    if kind in TAMPER_KINDS:
        return GbAlarm(*VIDEO_ANOMALY, f"视频异常检测报警 (video anomaly): {kind}")
    return None
