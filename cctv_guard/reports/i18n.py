"""The words of the reports in Chinese and English: labels, verdicts, the names and descriptions
of event and finding kinds, the names of measurements, and the tamper check's evidence lines
(English sentences with numbers, translated phrase by phrase; a line no pattern knows is shown
as it is). :class:`Labels` picks the report's language: ``zh``, ``en`` or ``both``.

Pure data and pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from cctv_guard.core.errors import ConfigError
from cctv_guard.reports.model import clock, fmt_value

Lang = Literal["zh", "en", "both"]

LABELS = {
    "title": ("视频监控合规检查报告", "CCTV compliance report"),
    "scan_title": ("禁止安装区域检查报告", "Privacy scan report (Art. 9)"),
    "verdict": ("结论", "Verdict"),
    "camera": ("摄像设备", "Camera"),
    "no_camera": ("未关联登记的摄像设备", "No registered camera attached"),
    "timeline": ("事件时间轴", "Timeline of events"),
    "events": ("事件", "Events"),
    "event": ("事件", "event"),
    "findings": ("隐私区域发现", "Privacy findings"),
    "finding": ("发现", "finding"),
    "items": ("检查对象", "Items scanned"),
    "articles": ("引用条款", "Articles cited"),
    "article": ("条款", "Article"),
    "diagnostics": ("分析信息", "Analysis details"),
    "internals": ("技术细节（配准、单应矩阵、原始数据）", "Technical details (registration, homography, raw data)"),
    "measurements": ("测量值", "Measurements"),
    "baseline": ("基准视野", "Baseline view"),
    "offending": ("异常画面", "Offending frame"),
    "snapshot": ("证据截图（人员已模糊）", "Evidence snapshot (people blurred)"),
    "no_image": ("无图像", "no image supplied"),
    "none": ("无", "none"),
    "duty": ("违反的义务", "Duty violated"),
    "penalty": ("罚则", "Penalty"),
    "related": ("相关条款", "Related provisions"),
    "cited_by": ("引用于", "Cited by"),
    "source": ("来源", "Source"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "open": ("持续中", "still open"),
    "confidence": ("置信度", "Confidence"),
    "evidence": ("依据", "Evidence"),
    "frames": ("分析帧数", "Frames analysed"),
    "duration": ("时长", "Duration"),
    "generated": ("生成时间", "Generated"),
    "camera_findings": ("登记信息问题", "Registry findings"),
    "cites": ("违反", "Breaches"),
    "legal": ("法律依据", "Legal basis"),
    "gansu-78": ("甘肃省政府令第78号", "Gansu Order 78"),
    "national-799": ("国务院令第799号", "State Council Order 799"),
    "zone": ("区域", "Zone"),
    "cues": ("线索", "Cues"),
    "font_missing": ("未能嵌入中文字体（本机没有可用的中文字体），中文需要查看者安装中文字体才能显示。",
                     ("No CJK font could be embedded (none usable on this machine): Chinese text shows only where "
                      "the viewer has a CJK font.")),
    "archive_scan_title": ("录像存储期限与连续性检查报告", "Footage retention report (Art. 16(7), 16(8))"),
    "archive_verify_title": ("录像完整性核验报告", "Footage integrity report (Art. 17)"),
    "archive_findings": ("存储问题", "Archive findings"),
    "archive_cameras": ("各摄像设备的录像", "Footage kept per camera"),
    "archive_changes": ("封存后的变化", "Changes since the seal"),
    "archive_seal": ("封存", "Seal"),
    "audit_title": ("批量审计 {window}", "Fleet audit {window}"),
    "audit_doc_title": ("cctv-guard 批量审计 {window}", "cctv-guard fleet audit {window}"),
    "audit_totals": ("{cameras} 台摄像设备，已检查 {items} 段录像中的 {done} 段（{failed} 段失败），录像共 {hours} 小时。检查项目：{checks}。",
                     "{cameras} cameras, {done} of {items} recordings checked ({failed} failed), {hours} h of footage. Checks: {checks}."),
    "audit_incomplete": ("审计尚未完成。", "The audit is not complete."),
    "audit_by_article": ("按条款", "By article"),
    "audit_by_district": ("按区域", "By district"),
    "audit_map": ("地图", "Map"),
    "audit_map_extent": ("{extent}（{n_cameras} 台摄像设备中有 {n} 台有坐标）", "{extent} ({n} of {n_cameras} cameras have coordinates)"),
    "audit_no_coordinates": ("没有摄像设备有坐标。", "No camera has coordinates."),
    "audit_no_events": ("没有事件或发现。", "No events or findings."),
    "audit_flagged": ("需要关注的摄像设备", "Cameras needing attention"),
    "audit_failures": ("失败的检查", "Failed items"),
    "audit_none": ("无。", "None."),
    "audit_registry": ("登记", "registry"),
    "audit_no_district": ("无区域", "no district"),
    "col_article": ("条款", "article"), "col_cameras": ("摄像设备数", "cameras"), "col_events": ("事件", "events"),
    "col_findings": ("发现", "findings"), "col_district": ("区域", "district"), "col_camera": ("摄像设备", "camera"),
    "col_verdict": ("结论", "verdict"), "col_kinds": ("类型", "kinds"), "col_articles": ("条款", "articles"),
    "col_failed": ("失败的检查", "failed items"), "col_day": ("日期", "day"), "col_recording": ("录像", "recording"),
    "col_reason": ("原因", "reason"),
    "more_in_json": ("条未列出，见 JSON 报告", "more in the JSON report"),
}

VERDICTS = {  # verdict -> (zh, en, CSS class)
    "compliant": ("合规", "compliant", "ok"),
    "violation": ("违规", "violation", "bad"),
    "inconclusive": ("无法判定", "inconclusive", "warn"),
    "prohibited": ("禁止区域", "prohibited", "bad"),
    "clear": ("未发现问题", "clear", "ok"),
    "failed": ("检查失败", "failed", "bad"),
    "pending": ("待检查", "pending", "warn"),
}

KINDS = {  # kind -> (Chinese name, Chinese description); the English description is the catalogue's summary
    "moved": ("移位", "摄像设备被移动（画面平移）"),
    "rotated": ("旋转", "摄像设备被旋转（画面转动）"),
    "zoomed": ("变焦", "摄像设备变焦（画面比例改变）"),
    "coverage_lost": ("监控范围缺失", "规定的监控范围或必须可见的区域不再被覆盖"),
    "signage_missing": ("缺少标识", "摄像设备处没有明显标识"),
    "covered": ("遮挡", "镜头被遮挡或视野受阻"),
    "defocused": ("失焦", "画面失焦"),
    "blackout": ("黑屏", "画面全黑或空白"),
    "frozen": ("画面冻结", "画面冻结（重复帧）"),
    "signal_lost": ("信号丢失", "视频信号丢失或码流中断"),
    "recording_gap": ("录像中断", "录像存在中断"),
    "retention_short": ("存储期不足", "录像存储不足30日"),
    "backup_retention_short": ("备份存储期不足", "重要备份存储不足2年"),
    "footage_altered": ("录像被改动", "原始录像被改动"),
    "footage_deleted": ("录像被删除", "存储期限内的原始录像被删除"),
    "ledger": ("调取登记问题", "调取录像未登记，或登记簿被篡改"),
    "ledger_broken": ("调取登记问题", "调取录像未登记，或登记簿被篡改"),
    "ledger_tampered": ("调取登记问题", "调取录像未登记，或登记簿被篡改"),
    "ledger_missing": ("调取登记问题", "调取录像未登记，或登记簿被篡改"),
    "access_unlogged": ("调取登记问题", "调取录像未登记，或登记簿被篡改"),
    "filing_overdue": ("未备案", "摄像设备安装位置未报县级公安机关备案"),
    "unfiled": ("未备案", "摄像设备安装位置未报县级公安机关备案"),
    "privacy": ("禁止区域", "摄像设备拍摄禁止安装的区域"),
}

ZONES = {  # Art. 9 zones (cctv_guard.privacy.zones) -> Chinese
    "hotel_room": "旅馆客房", "private_room": "私人房间", "dormitory": "集体宿舍", "restroom": "公共卫生间",
    "bathroom": "浴室", "changing_room": "更衣室", "nursing_room": "哺乳室", "bank_counter": "银行柜台",
    "atm_pinpad": "自动取款机密码键盘", "ballot": "投票处", "other_private": "其他涉及个人隐私的场所",
}

FIELDS = {  # a measurement or report key -> its Chinese name
    "confirmed_s": "确认时间", "shift_px": "平移（像素）", "shift_pct": "平移（占画面%）",
    "rotation_deg": "旋转（度）", "scale": "缩放", "coverage_iou": "视野重合度", "must_see": "必须可见区域",
    "zones_visible": "必须可见区域的可见比例", "frame_diff": "帧间变化", "baseline_noise": "基准噪声",
    "keyframe": "关键帧", "cover_fraction": "遮挡比例", "covered_fraction": "遮挡比例", "region": "区域范围",
    "full": "完全遮挡", "texture_ratio": "纹理比", "edge_ratio": "边缘锐度比", "edge_ratio_regions": "边缘锐度比（区域中位数）",
    "static_likeness": "静态部分相似度", "gap_s": "中断时长", "last_frame_s": "最后一帧时间",
    "expected_end_s": "预期结束时间", "stalled": "码流停滞", "ended_early": "提前结束", "decoded": "已解码", "sharpness_ratio": "清晰度比", "luma": "平均亮度",
    "luma_std": "对比度", "likeness": "相似度", "registration": "配准方法", "homography": "单应矩阵",
    "stall_timeout_s": "停滞超时", "legal": "法律依据", "onvif_topic": "ONVIF 主题", "gb28181": "GB/T 28181 报警",
    "frames_undetermined": "无法判定的帧", "corrupt_skipped": "跳过的损坏帧", "visibility": "可见性",
    "sampling": "抽帧方式", "profiles_used": "使用的光照基准", "notes": "说明",
    "id": "编号", "name": "名称", "lat": "纬度", "lon": "经度", "category": "类别", "installed": "安装日期",
    "filed": "备案日期", "signage": "标识", "district": "所在区", "zones": "区域", "operator": "运营单位",
}

# The tamper check's evidence lines (cctv_guard.tamper.analysis), phrase by phrase: (pattern, Chinese).
_EVIDENCE = [
    (r"t=(?P<t>-?[\d.]+)s: ", lambda m: f"{clock(float(m['t']))}："),
    (r"shift \((?P<x>-?\d+), (?P<y>-?\d+)\) px = (?P<p>[\d.]+)% of the (?:frame|width)",
     lambda m: f"平移（{m['x']}，{m['y']}）像素，占画面 {m['p']}%"),
    (r"roll (?P<r>-?[\d.]+) deg", lambda m: f"旋转 {m['r']} 度"),
    (r"zoom x(?P<z>[\d.]+)", lambda m: f"缩放 ×{m['z']}"),
    (r"coverage IoU (?P<c>[\d.]+)", lambda m: f"视野重合度 {m['c']}"),
    (r" ?\((?P<m>\w+), quality (?P<q>[\d.]+)\)", lambda m: f"（配准：{_METHODS.get(m['m'], m['m'])}，质量 {m['q']}）"),
    (r"mean brightness (?P<l>[\d.]+)/255, contrast (?P<c>[\d.]+)", lambda m: f"平均亮度 {m['l']}/255，对比度 {m['c']}"),
    (r"change since the previous analysed frame (?P<d>[\d.]+) grey levels ",
     lambda m: f"与上一分析帧相比变化 {m['d']} 个灰度级"),
    (r"at a keyframe \(live footage changed at least (?P<n>[\d.]+) at keyframes\)",
     lambda m: f"（关键帧处；正常画面在关键帧处至少变化 {m['n']}）"),
    (r"\(live footage changed at least (?P<n>[\d.]+)\)", lambda m: f"（正常画面至少变化 {m['n']}）"),
    (r"(?P<p>\d+)% of the view lost its structure", lambda m: f"{m['p']}% 的画面失去纹理结构"),
    (r" \(region x (?P<x0>[\d.]+)-(?P<x1>[\d.]+), y (?P<y0>[\d.]+)-(?P<y1>[\d.]+) of the frame\)",
     lambda m: f"（区域 x {m['x0']}–{m['x1']}，y {m['y0']}–{m['y1']}）"),
    (r", (?P<p>\d+)% more still moving", lambda m: f"，另有 {m['p']}% 仍在变化"),
    (r"fine detail at (?P<p>\d+)% of the baseline's \(contrast-normalised\)",
     lambda m: f"细节清晰度为基准的 {m['p']}%（已按对比度归一化）"),
    ((r"edges (?P<w>\d+)% wider than the baseline's \(sharpness (?P<s>\d+)%, median region (?P<r>\d+)%; "
     r"fine detail (?P<f>\d+)%\)"),
     lambda m: f"边缘比基准宽 {m['w']}%（锐度 {m['s']}%，区域中位数 {m['r']}%；细节 {m['f']}%）"),
    (r"view no longer matches the baseline \(registration failed, likeness (?P<l>[\d.]+)\)",
     lambda m: f"画面与基准不再相符（配准失败，相似度 {m['l']}）"),
    (r", ", lambda m: "，"),
]
_METHODS = {"features": "特征点", "quick": "快速", "skipped": "未配准", "ecc": "ECC"}
_PATTERNS = [(re.compile(p), fn) for p, fn in _EVIDENCE]
_TIME = re.compile(r"\bt=(-?\d+(?:\.\d+)?)s\b")


def evidence_en(text: str) -> str:
    """An evidence line in English, its times in the reports' one format."""
    return _TIME.sub(lambda m: f"t={clock(float(m.group(1)))}", str(text))


def evidence_zh(text: str) -> str:
    """An evidence line in Chinese: each known phrase translated, numbers kept; unknown text as is."""
    out = str(text)
    for pattern, zh in _PATTERNS:  # in order: the list ends with the bare ", " between phrases
        out = pattern.sub(zh, out)
    return out


class Labels:
    """The report's words in its language(s): ``t(key)`` a label, ``verdict_name(v)``,
    ``verdict_class(v)`` (the CSS class of its colour), ``kind_name``, ``kind_summary``,
    ``field``, ``evidence``, ``lang``."""

    def __init__(self, lang: Lang):
        if lang not in ("zh", "en", "both"):
            raise ConfigError(f"lang: expected 'zh', 'en' or 'both', found {lang!r}")
        self.lang = lang

    def pick(self, zh: str, en: str) -> str:
        return {"zh": zh, "en": en, "both": en if zh == en else f"{en} · {zh}"}[self.lang]

    def t(self, key: str) -> str:
        return self.pick(*LABELS[key])

    def verdict_name(self, v: Any) -> str:
        zh, en, _ = VERDICTS.get(v, (v, v, "warn"))
        return self.pick(str(zh), str(en))

    @staticmethod
    def verdict_class(v: Any) -> str:
        return VERDICTS.get(v, (v, v, "warn"))[2]

    def kind_name(self, kind: Any) -> str:
        k = str(kind)
        return self.pick(KINDS[k][0], k) if k in KINDS else k

    def kind_summary(self, kind: Any, summary_en: str | None) -> str | None:
        zh = KINDS.get(str(kind), (None, None))[1]
        if zh is None or summary_en is None:
            return summary_en if self.lang != "zh" else zh
        return self.pick(zh, summary_en)

    def field(self, key: Any) -> str:
        k = str(key)
        return self.pick(FIELDS[k], k) if k in FIELDS else k

    def zone(self, zone: Any) -> str:
        z = "" if zone is None else str(zone)
        return self.pick(ZONES[z], z) if z in ZONES else z

    def art(self, ref: Any) -> str:
        """An article reference as a person reads it: "Art. 16(7)" / "第16条(7)"."""
        r = str(ref)
        num, _, rest = r.partition("(")
        zh = f"第{num}条" + (f"({rest}" if rest else "") if num.isdigit() else r
        return {"zh": zh, "en": f"Art. {r}", "both": f"Art. {r}"}[self.lang]

    def fmt(self, value: Any) -> str:
        """A value as :func:`fmt_value` shows it, yes/no in the report's language, a flat mapping
        as ``key: value`` pairs (its keys named in the report's language)."""
        if isinstance(value, bool):
            return self.pick("是" if value else "否", "yes" if value else "no")
        if isinstance(value, Mapping) and value and all(not isinstance(v, (Mapping, list, tuple)) for v in value.values()):
            return "; ".join(f"{self.zone(k) if str(k) in ZONES else self.field(k)}: {self.fmt(v)}" for k, v in value.items())
        return fmt_value(value)

    def evidence(self, text: Any) -> str:
        en, zh = evidence_en(str(text)), evidence_zh(str(text))
        return {"zh": zh, "en": en, "both": en if zh == text else f"{en} · {zh}"}[self.lang]

    def context(self) -> dict[str, Any]:
        return {"lang": self.lang, "t": self.t, "verdict_name": self.verdict_name, "verdict_class": self.verdict_class,
                "kind_name": self.kind_name, "field": self.field, "art": self.art, "zone_name": self.zone, "fmt": self.fmt}
