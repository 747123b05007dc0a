"""Reports for inspectors: the ``check@1`` / ``scan@1`` JSON enriched with the camera and the
articles cited, a self-contained HTML report, and a CSV/Markdown summary over many cameras.

* :func:`enrich` adds a ``camera`` section (registry facts, stream URI redacted) and an
  ``articles`` section (each cited article or clause in Chinese and English, the duty violated
  and the penalty article) to a report dict. Every string of the result passes through
  :func:`cctv_guard.core.redact.redact_json`: no credentials leave through a report.
* :func:`render_html` / :func:`write_html` make ONE file an inspector can open offline: inline
  CSS, images as base64 JPEG, no script, no external resource (a Content-Security-Policy forbids
  them). Camera facts, verdict, a timeline of events (inline SVG), for each event the baseline
  view beside the offending frame with the baseline's outline (coverage polygon), the must-see
  zones and the shift drawn, privacy findings with annotated snapshots (people blurred), and the
  articles cited. Everything from the report is HTML-escaped.
* :func:`summary_rows` / :func:`write_summary` write one row per camera (or scanned item) as
  CSV or Markdown.
* :func:`write_check_report` is what ``check --html`` calls.

Images are numpy arrays (BGR, greyscale, BGRA, 16-bit: see ``detection.image.as_bgr8``) or
image file paths; they are drawn on copies, downscaled and JPEG-encoded so that a check with 20
events stays well under 5 MB (the budget shrinks them further when needed).
"""

from __future__ import annotations

import base64
import copy
import csv
import dataclasses
import html
import io
import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Literal, Mapping, Sequence, Union

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from cctv_guard import __version__
from cctv_guard.legal import articles
from cctv_guard.core.errors import ConfigError, CctvGuardError, SourceError
from cctv_guard.core.redact import redact_json, redact_uri

CHECK_SCHEMA = "cctv-guard/check@1"
SCAN_SCHEMA = "cctv-guard/scan@1"
ARCHIVE_SCAN_SCHEMA = "cctv-guard/archive-scan@1"  # archive.SCAN_SCHEMA
ARCHIVE_VERIFY_SCHEMA = "cctv-guard/archive-verify@1"  # archive.VERIFY_SCHEMA
MAX_IMAGE_SIDE = 800
MIN_IMAGE_SIDE = 240
JPEG_QUALITY = 70
SIZE_BUDGET = 5_000_000  # bytes of HTML, images included

Lang = Literal["zh", "en", "both"]
Box = tuple[float, float, float, float]
ImageLike = Union[np.ndarray, str, os.PathLike]


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A frame behind a privacy finding. With ``annotated=False`` the report blurs ``people``
    (boxes in image pixels) and draws the finding's cue boxes; with ``annotated=True`` the image
    is shown as given (e.g. an evidence file from ``scan --evidence``, already blurred)."""

    image: ImageLike
    people: tuple[Box, ...] = ()
    annotated: bool = False


@dataclass(frozen=True)
class ReportImages:
    """Pictures for the HTML report.

    ``baseline``: the reference view; ``events``: event index -> offending frame; ``findings``:
    finding index -> snapshot (check@1); ``items``: item index -> snapshot (scan@1). A plain image
    given for a finding or item is shown as it is (taken as already annotated and blurred).
    ``frame_size`` (w, h) is the footage size in which ``shift_px`` and zones are measured
    (default: each image's own size); ``zones`` are the must-see polygons in footage pixels.
    """

    baseline: ImageLike | None = None
    events: Mapping[int, ImageLike] = field(default_factory=dict)
    findings: Mapping[int, Snapshot | ImageLike] = field(default_factory=dict)
    items: Mapping[int, Snapshot | ImageLike] = field(default_factory=dict)
    frame_size: tuple[int, int] | None = None
    zones: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)


# --- validation of report dicts (the JSON boundary) --------------------------------------------------


class _Loose(BaseModel):
    """Known keys are type-checked; producers may add diagnostic keys (check.py does)."""

    model_config = ConfigDict(extra="allow")


class _Cue(_Loose):
    cue: str
    score: float | None = None
    box: list[float] | None = None


class _Finding(_Loose):
    kind: str = "privacy"
    article: str | None = None
    zone: str | None = None
    confidence: float | None = None
    cues: list[_Cue] = []


class _Event(_Loose):
    kind: str
    article: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    confidence: float | None = None
    details: dict[str, Any] = {}
    evidence: list[Any] = []


class _Check(_Loose):
    source: str | None = None
    camera_id: str | None = None
    tool_version: str | None = None
    frames_analyzed: int | None = None
    duration_s: float | None = None
    verdict: str
    events: list[_Event] = []
    findings: list[_Finding] = []


class _Item(_Loose):
    source: str
    verdict: str
    findings: list[_Finding] = []


class _Scan(_Loose):
    items: list[_Item]


class _ArchiveFinding(_Loose):
    kind: str
    article: str
    message: str = ""


class _Archive(_Loose):
    verdict: str
    findings: list[_ArchiveFinding] = []


def _validate(report: Mapping[str, Any]) -> str:
    """Check the shape of a check@1 / scan@1 / archive dict; returns its schema. One-line ConfigError."""
    if not isinstance(report, Mapping):
        raise ConfigError(f"report: expected a JSON object, found {type(report).__name__}")
    schema = report.get("schema")
    model = {CHECK_SCHEMA: _Check, SCAN_SCHEMA: _Scan, ARCHIVE_SCAN_SCHEMA: _Archive, ARCHIVE_VERIFY_SCHEMA: _Archive}.get(schema)  # type: ignore[arg-type]
    if model is None:
        raise ConfigError(f"report: schema: expected {CHECK_SCHEMA!r}, {SCAN_SCHEMA!r} or an archive report, found {schema!r}")
    try:
        model.model_validate(dict(report))
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise ConfigError(f"report: {where}: {e['msg']}") from None
    return str(schema)


def load_report(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a check@1 / scan@1 JSON file."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: not JSON: {exc.msg} at line {exc.lineno}") from None
    _validate(doc)
    return doc


# --- enrichment ---------------------------------------------------------------------------------------


def _camera_facts(camera: Any) -> dict[str, Any] | None:
    if camera is None:
        return None
    if hasattr(camera, "to_dict"):
        facts = camera.to_dict()
    elif dataclasses.is_dataclass(camera) and not isinstance(camera, type):
        facts = dataclasses.asdict(camera)
    elif isinstance(camera, Mapping):
        facts = dict(camera)
    else:
        raise ConfigError(f"camera: expected a registry Camera or a mapping, found {type(camera).__name__}")
    facts = json.loads(json.dumps(facts, default=str, ensure_ascii=False))  # dates, tuples -> JSON
    for key in ("source", "stream", "uri", "url", "stream_uri"):
        if isinstance(facts.get(key), str):
            facts[key] = redact_uri(facts[key])
    return facts


def _cited_items(report: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, event-or-finding) for everything in a report that cites an article."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    for i, ev in enumerate(report.get("events") or []):
        out.append((f"events[{i}]", ev))
    for i, f in enumerate(report.get("findings") or []):
        out.append((f"findings[{i}]", f))
    for i, item in enumerate(report.get("items") or []):
        for j, f in enumerate(item.get("findings") or []):
            out.append((f"items[{i}].findings[{j}]", f))
    cam = report.get("camera")
    for i, f in enumerate((cam.get("findings") or []) if isinstance(cam, Mapping) else []):
        out.append((f"camera.findings[{i}]", f))
    return [(where, item) for where, item in out if isinstance(item, Mapping)]


def _ref_key(ref: str) -> tuple[int, int]:
    a, c = articles.parse_ref(ref)
    return a, c or 0


def _sort_key(ref: str) -> tuple[int, int]:
    """Article order; references this catalogue cannot parse go last."""
    try:
        return _ref_key(ref)
    except CctvGuardError:
        return 999, 0


def _citation(item: Mapping[str, Any]) -> articles.Citation | None:
    try:
        return articles.cite(item)
    except CctvGuardError:
        return None  # a kind this catalogue does not know: cited by its own article only


def cited_articles(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``articles`` section: one entry per article or clause cited by an event or finding
    (the item's own ``article`` and the catalogue's citation for its kind), in article order."""
    entries: dict[str, dict[str, Any]] = {}

    def entry(ref: str) -> dict[str, Any]:
        node = articles.resolve(ref)
        ref = node.id
        if ref not in entries:
            art = articles.get(ref)
            entries[ref] = {
                "ref": ref,
                "article": art.id,
                "clause": ref if isinstance(node, articles.Clause) else None,
                "topic": art.topic,
                "heading_zh": art.heading_zh + (node.label_zh if isinstance(node, articles.Clause) else ""),
                "zh": articles.quote(ref, "zh"),
                "en": articles.quote(ref, "en"),
                "duties": [],
                "penalties": [],
                "related": [],
                "cited_by": [],
            }
        return entries[ref]

    for where, item in _cited_items(report):
        c = _citation(item)
        refs = []
        own = item.get("article")
        if isinstance(own, str):
            try:
                refs.append(articles.resolve(own).id)
            except CctvGuardError:
                pass
        if c is not None and c.ref not in refs:
            refs.append(c.ref)
        for ref in refs:
            e = entry(ref)
            e["cited_by"].append(where)
            if c is None or c.ref != ref:
                continue
            if not any(d["kind"] == c.kind for d in e["duties"]):
                e["duties"].append({"kind": c.kind, "summary": c.summary, "zh": c.duty_zh, "en": c.duty_en,
                                    "penalty_article": c.penalty_article})
            if not any(p["article"] == c.penalty_article for p in e["penalties"]):
                e["penalties"].append({"article": c.penalty_article, "zh": c.penalty_zh, "en": c.penalty_en})
            e["related"] = sorted(set(e["related"]) | set(c.related), key=_ref_key)
    return [entries[k] for k in sorted(entries, key=_ref_key)]


def enrich(report: Mapping[str, Any], camera: Any = None) -> dict[str, Any]:
    """A copy of a check@1 / scan@1 report with ``camera`` and ``articles`` sections.

    ``camera`` is a registry ``Camera`` (its ``to_dict()``, which also lists registry findings
    such as ``filing_overdue``), a dataclass or a mapping of facts; without it a report with a
    ``camera_id`` gets ``{"id": ...}``. Events and findings without an ``article`` get the
    catalogue's. The whole result is credential-redacted."""
    _validate(report)
    out = copy.deepcopy(dict(report))
    facts = _camera_facts(camera)
    if facts is None and out.get("camera_id"):
        facts = dict(out["camera"]) if isinstance(out.get("camera"), Mapping) else {"id": out["camera_id"]}
    if facts is not None:
        out["camera"] = facts
    for _where, item in _cited_items(out):
        if not item.get("article"):
            c = _citation(item)
            if c is not None:
                item["article"] = c.ref  # type: ignore[index]
    out["articles"] = cited_articles(out)
    return redact_json(out)


# --- images ------------------------------------------------------------------------------------------


def load_image(image: ImageLike) -> np.ndarray:
    """BGR uint8 from an array (any layout ``as_bgr8`` takes) or an image file."""
    from cctv_guard.detection.image import as_bgr8

    if isinstance(image, np.ndarray):
        return as_bgr8(image)
    p = Path(image)
    data = np.fromfile(str(p), dtype=np.uint8) if p.is_file() else None
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data is not None and data.size else None
    if img is None:
        raise SourceError(f"{p}: not a readable image")
    return as_bgr8(img)


def _homography(details: Mapping[str, Any]) -> np.ndarray | None:
    """``details["homography"]`` when it is a finite 3x3 matrix."""
    try:
        a = np.asarray(details.get("homography"), dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a if a.shape == (3, 3) and np.all(np.isfinite(a)) else None


def view_transform(details: Mapping[str, Any]) -> np.ndarray | None:
    """The baseline -> current mapping of an event, in footage pixels: ``details["homography"]``
    (3x3) when present, else the similarity made of ``shift_px``, ``rotation_deg`` and ``scale``
    (``None`` when the event carries no geometry). The similarity is written about the origin;
    ``_event_matrix`` moves it to the image centre, as ``drift.decompose`` measures it."""
    H = _homography(details)
    if H is not None:
        return H
    try:
        shift = details.get("shift_px")
        if shift is None and "rotation_deg" not in details and "scale" not in details:
            return None
        dx, dy = (float(v) for v in (shift or (0.0, 0.0)))
        th = math.radians(float(details.get("rotation_deg") or 0.0))
        s = float(details.get("scale") or 1.0)
    except (TypeError, ValueError):  # malformed measurements: drawn as an event without geometry
        return None
    if not all(math.isfinite(v) for v in (dx, dy, th, s)):
        return None
    return np.array([[s * math.cos(th), -s * math.sin(th), dx], [s * math.sin(th), s * math.cos(th), dy], [0, 0, 1.0]])


def _about_centre(T: np.ndarray, w: float, h: float) -> np.ndarray:
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1.0]])
    ci = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1.0]])
    return c @ T @ ci


def _thickness(img: np.ndarray) -> int:
    return max(2, round(max(img.shape[:2]) / 400))


def _poly(img: np.ndarray, pts: np.ndarray, colour, *, fill: float = 0.0) -> None:
    p = np.round(pts).astype(np.int32).reshape(-1, 1, 2)
    if fill > 0:
        layer = img.copy()
        cv2.fillPoly(layer, [p], colour)
        cv2.addWeighted(layer, fill, img, 1 - fill, 0, dst=img)
    cv2.polylines(img, [p], True, colour, _thickness(img), cv2.LINE_AA)


def _label(img: np.ndarray, text: str, org: tuple[int, int], colour) -> None:
    scale = max(0.45, max(img.shape[:2]) / 1600)
    t = max(1, _thickness(img) - 1)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, t)
    x = int(min(max(0, org[0]), max(0, img.shape[1] - tw - 4)))
    y = int(min(max(th + 4, org[1]), img.shape[0] - base - 2))
    cv2.rectangle(img, (x, y - th - 4), (x + tw + 4, y + base + 2), (0, 0, 0), -1)
    cv2.putText(img, text, (x + 2, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, t, cv2.LINE_AA)


GREEN, RED, YELLOW, CYAN = (60, 200, 60), (40, 40, 230), (0, 215, 255), (230, 200, 0)


def _event_matrix(event: Mapping[str, Any] | None, fw: float, fh: float) -> np.ndarray | None:
    """The event's baseline -> current mapping in footage pixels (see :func:`view_transform`)."""
    details = (event or {}).get("details")
    if not isinstance(details, Mapping):
        return None
    T = view_transform(details)
    if T is None:
        return None
    return T if _homography(details) is not None else _about_centre(T, fw, fh)


def _canvas(image: ImageLike, frame_size: tuple[int, int] | None, max_side: int | None) -> tuple[np.ndarray, float, float, float]:
    """A drawing copy of ``image`` (shrunk to ``max_side`` first: cheaper, and lines of the same
    weight in every picture), the footage size (w, h) its measurements refer to (default: the
    image's own size) and the footage -> canvas scale."""
    from cctv_guard.detection.image import limit_size

    img = load_image(image)
    fw, fh = frame_size or (img.shape[1], img.shape[0])
    if max_side:
        img, _ = limit_size(img, max_side)
    img = img.copy()
    return img, float(fw), float(fh), img.shape[1] / fw


def draw_baseline(image: ImageLike, zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                  frame_size: tuple[int, int] | None = None, event: Mapping[str, Any] | None = None,
                  *, max_side: int | None = None) -> np.ndarray:
    """A copy of the baseline view with the must-see zones outlined in green and, for an event
    that measured the camera's motion, the part of the baseline the camera now sees (red)."""
    img, fw, fh, k = _canvas(image, frame_size, max_side)
    h, w = img.shape[:2]
    for name, pts in (zones or {}).items():
        p = np.asarray(pts, np.float64) * k
        _poly(img, p, GREEN, fill=0.15)
        _label(img, str(name).encode("ascii", "replace").decode(), tuple(p.min(axis=0).astype(int) + 4), GREEN)
    M = _event_matrix(event, fw, fh)
    if M is not None and abs(np.linalg.det(M)) > 1e-12:
        outline = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float64).reshape(-1, 1, 2)
        seen = cv2.perspectiveTransform(outline, np.linalg.inv(M)).reshape(-1, 2) * k
        if np.all(np.isfinite(seen)):
            _poly(img, seen, RED)
            _label(img, "current view", tuple(np.clip(seen.mean(axis=0), 0, [w, h]).astype(int)), RED)
    return img


def draw_event_frame(image: ImageLike, event: Mapping[str, Any], *,
                     frame_size: tuple[int, int] | None = None,
                     zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                     max_side: int | None = None) -> np.ndarray:
    """A copy of an offending frame with what the event measured drawn on it: the baseline's
    outline mapped into this view (the coverage polygon, red), the must-see zones where they
    went (yellow), the shift of the baseline's centre (arrow), and a covered region (cyan)."""
    img, fw, fh, k = _canvas(image, frame_size, max_side)
    h, w = img.shape[:2]
    details = event.get("details") or {}
    M = _event_matrix(event, fw, fh)
    if M is not None:
        outline = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float64)
        mapped = cv2.perspectiveTransform(outline.reshape(-1, 1, 2), M).reshape(-1, 2) * k
        if np.all(np.isfinite(mapped)):
            _poly(img, mapped, RED, fill=0.12)
            inside = (mapped[:, 0] >= 0) & (mapped[:, 0] <= w) & (mapped[:, 1] >= 0) & (mapped[:, 1] <= h)
            if inside.any():  # a zoomed-in camera's old view lies wholly outside the frame
                x0, y0 = np.clip(mapped.min(axis=0), 0, [w, h]).astype(int)
                _label(img, "baseline view", (x0 + 6, y0 + 44), RED)
        for name, pts in (zones or {}).items():
            z = cv2.perspectiveTransform(np.asarray(pts, np.float64).reshape(-1, 1, 2), M).reshape(-1, 2) * k
            if np.all(np.isfinite(z)):
                _poly(img, z, YELLOW)
        c = np.array([fw / 2, fh / 2, 1.0])
        m = M @ c
        if abs(m[2]) > 1e-9:
            a = (c[:2] * k).astype(int)
            b = (m[:2] / m[2] * k)
            if np.all(np.isfinite(b)) and np.hypot(*(b - a)) >= 2:
                b = b.astype(int)
                cv2.arrowedLine(img, tuple(int(v) for v in a), tuple(int(v) for v in b), YELLOW,
                                _thickness(img) + 1, cv2.LINE_AA, tipLength=0.2)
                cv2.circle(img, tuple(int(v) for v in a), _thickness(img) * 2, YELLOW, -1)
    region = details.get("region") if isinstance(details, Mapping) else None
    if isinstance(region, (list, tuple)) and len(region) == 4 and all(isinstance(v, (int, float)) for v in region):
        x1, y1, x2, y2 = (float(v) for v in region)
        if max(x1, y1, x2, y2) <= 1.0:  # fractions of the frame
            x1, x2, y1, y2 = x1 * w, x2 * w, y1 * h, y2 * h
        else:
            x1, y1, x2, y2 = x1 * k, y1 * k, x2 * k, y2 * k
        _poly(img, np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]), CYAN, fill=0.2)
    return img  # kind and time are in the caption: nothing drawn over the view's corner


def draw_snapshot(snap: Snapshot | ImageLike, findings: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """A privacy snapshot ready to show: people blurred and cues drawn (``evidence.annotate``),
    unless it is a plain image / ``annotated=True`` snapshot, which is shown as given."""
    if not isinstance(snap, Snapshot):
        return load_image(snap)
    img = load_image(snap.image)
    if snap.annotated:
        return img
    from cctv_guard.media.evidence import annotate

    shaped = [
        SimpleNamespace(
            article=str(f.get("article") or "9"), zone=str(f.get("zone") or "?"),
            confidence=float(f.get("confidence") or 0.0),
            cues=[SimpleNamespace(cue=str(c.get("cue", "?")), score=float(c.get("score") or 0.0),
                                  box=tuple(c["box"]) if c.get("box") else None) for c in (f.get("cues") or [])],
        )
        for f in findings
    ]
    return annotate(img, shaped, list(snap.people), blur_people=True)


def encode_jpeg(image: np.ndarray, max_side: int = MAX_IMAGE_SIDE, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of a downscaled copy (longer side at most ``max_side``)."""
    from cctv_guard.detection.image import limit_size

    small, _ = limit_size(image, max_side)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise SourceError("cannot encode a report image as JPEG")
    return buf.tobytes()


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


# --- HTML ----------------------------------------------------------------------------------------------

_LABELS = {
    "title": ("视频监控合规检查报告", "CCTV compliance report"),
    "scan_title": ("禁止安装区域检查报告", "Privacy scan report (Art. 9)"),
    "verdict": ("结论", "Verdict"),
    "camera": ("摄像设备", "Camera"),
    "no_camera": ("未关联登记的摄像设备", "No registered camera attached"),
    "timeline": ("事件时间轴", "Timeline of events"),
    "events": ("事件", "Events"),
    "findings": ("隐私区域发现", "Privacy findings"),
    "items": ("检查对象", "Items scanned"),
    "articles": ("引用条款", "Articles cited"),
    "diagnostics": ("分析信息", "Analysis details"),
    "baseline": ("基准视野", "Baseline view"),
    "offending": ("异常画面", "Offending frame"),
    "snapshot": ("证据截图（人员已模糊）", "Evidence snapshot (people blurred)"),
    "no_image": ("无图像", "no image supplied"),
    "none": ("无", "none"),
    "duty": ("违反的义务", "Duty violated"),
    "penalty": ("罚则", "Penalty"),
    "related": ("相关条款", "Related provisions"),
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
    "zone": ("区域", "Zone"),
    "cues": ("线索", "Cues"),
    "archive_scan_title": ("录像存储期限与连续性检查报告", "Footage retention report (Art. 16(7), 16(8))"),
    "archive_verify_title": ("录像完整性核验报告", "Footage integrity report (Art. 17)"),
    "archive_findings": ("存储问题", "Archive findings"),
    "archive_cameras": ("各摄像设备的录像", "Footage kept per camera"),
    "archive_changes": ("封存后的变化", "Changes since the seal"),
    "archive_seal": ("封存", "Seal"),
}
_VERDICTS = {
    "compliant": ("合规", "compliant", "ok"),
    "violation": ("违规", "violation", "bad"),
    "inconclusive": ("无法判定", "inconclusive", "warn"),
    "prohibited": ("禁止区域", "prohibited", "bad"),
    "clear": ("未发现问题", "clear", "ok"),
}

_CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
 margin:0;color:#1d2330;background:#f3f5f8;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px}
header{background:#1d2b44;color:#fff;padding:20px 24px}
header h1{margin:0 0 4px;font-size:24px} header p{margin:2px 0;opacity:.85;font-size:14px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 12px;font-size:19px;border-bottom:2px solid #e1e6ee;padding-bottom:6px}
h3{margin:0 0 8px;font-size:16px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #e8ecf2;overflow-wrap:anywhere}
th{width:28%;color:#4a5568;font-weight:600}
.verdict{display:inline-block;font-size:22px;font-weight:700;padding:6px 16px;border-radius:6px;color:#fff}
.ok{background:#2f855a}.bad{background:#c53030}.warn{background:#b7791f}
.stats{display:flex;gap:24px;flex-wrap:wrap;margin-top:12px;font-size:14px}
.stats b{display:block;font-size:20px}
.card{border:1px solid #e1e6ee;border-radius:8px;padding:12px 14px;margin:0 0 14px;page-break-inside:avoid}
.card h3 .tag{background:#c53030;color:#fff;border-radius:4px;padding:1px 7px;font-size:13px;margin-left:6px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:10px}
figure{margin:0} figure img{width:100%;height:auto;display:block;border-radius:4px;border:1px solid #ccd3de}
figcaption{font-size:13px;color:#4a5568;margin-top:3px}
.noimg{display:flex;align-items:center;justify-content:center;min-height:120px;background:#edf0f5;color:#718096;border-radius:4px}
.zh{font-size:15px} .en{font-size:14px;color:#2d3748}
.law{border-left:4px solid #1d2b44;padding:4px 12px;margin:8px 0;background:#f7f9fc;white-space:pre-line}
.muted{color:#718096;font-size:13px}
svg text{font-family:inherit}
footer{font-size:12px;color:#718096;padding:0 24px 24px;max-width:1180px;margin:0 auto}
@media print{body{background:#fff}section{box-shadow:none}}
"""


class _Html:
    """Builds the report. ``e()`` escapes every value that came from a report or a camera."""

    def __init__(self, lang: Lang):
        if lang not in ("zh", "en", "both"):
            raise ConfigError(f"lang: expected 'zh', 'en' or 'both', found {lang!r}")
        self.lang = lang

    @staticmethod
    def e(value: Any) -> str:
        return html.escape("" if value is None else str(value), quote=True)

    def raw(self, key: str) -> str:
        """A label in the report's language(s), unescaped (for ``table``, which escapes)."""
        zh, en = _LABELS[key]
        return {"zh": zh, "en": en, "both": f"{en} · {zh}"}[self.lang]

    def t(self, key: str) -> str:
        return self.e(self.raw(key))

    def verdict_name(self, v: str) -> str:
        zh, en, _ = _VERDICTS.get(v, (v, v, "warn"))
        return self.e({"zh": zh, "en": en, "both": f"{en} · {zh}"}[self.lang])

    def both(self, zh: str, en: str, *, cls: str = "") -> str:
        parts = []
        if self.lang in ("zh", "both"):
            parts.append(f'<div class="zh {cls}" lang="zh-CN">{self.e(zh)}</div>')
        if self.lang in ("en", "both"):
            parts.append(f'<div class="en {cls}" lang="en">{self.e(en)}</div>')
        return "".join(parts)

    def verdict(self, v: str) -> str:
        cls = _VERDICTS.get(v, (v, v, "warn"))[2]
        return f'<span class="verdict {cls}">{self.verdict_name(v)}</span>'

    def figure(self, uri: str | None, caption_key: str, extra: str = "") -> str:
        cap = self.t(caption_key) + (f" — {self.e(extra)}" if extra else "")
        body = f'<img src="{uri}" alt="{self.t(caption_key)}">' if uri else f'<div class="noimg">{self.t("no_image")}</div>'
        return f"<figure>{body}<figcaption>{cap}</figcaption></figure>"

    def table(self, rows: Iterable[tuple[str, Any]]) -> str:
        body = "".join(f"<tr><th>{self.e(k)}</th><td>{self.e(_fmt(v))}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".") if math.isfinite(v) else str(v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _clock(s: Any) -> str:
    if not isinstance(s, (int, float)) or not math.isfinite(s):
        return "—"
    m, sec = divmod(float(s), 60.0)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{sec:04.1f}" if h else f"{m}:{sec:04.1f}"


def _nice_step(span: float, ticks: int = 8) -> float:
    raw = max(span, 1e-6) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def timeline_svg(events: Sequence[Mapping[str, Any]], duration_s: float | None, *, width: int = 1100) -> str:
    """An inline SVG timeline: one lane per event kind, a bar from start to end (open events run
    to the end, drawn with an arrow), ticks in m:ss. Kinds and times are escaped."""
    e = _Html.e
    kinds = list(dict.fromkeys(str(ev.get("kind", "?")) for ev in events))
    ends = [float(x) for ev in events for x in (ev.get("start_s"), ev.get("end_s")) if isinstance(x, (int, float))]
    span = max([float(duration_s or 0.0), *ends, 1.0])
    left, right, lane_h, top = 150, 20, 26, 10
    height = top + lane_h * max(1, len(kinds)) + 34
    x = lambda s: left + (width - left - right) * max(0.0, min(float(s), span)) / span  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="timeline"><rect x="{left}" y="{top}" width="{width - left - right}" '
             f'height="{lane_h * max(1, len(kinds))}" fill="#f7f9fc" stroke="#d5dbe5"/>']
    for i, k in enumerate(kinds):
        y = top + i * lane_h
        parts.append(f'<text x="{left - 8}" y="{y + lane_h * 0.68:.1f}" text-anchor="end" font-size="13">{e(k)}</text>')
    step = _nice_step(span)
    t = 0.0
    axis_y = top + lane_h * max(1, len(kinds))
    while t <= span + 1e-9:
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{axis_y + 4}" stroke="#d5dbe5"/>'
                     f'<text x="{x(t):.1f}" y="{axis_y + 18}" text-anchor="middle" font-size="11" fill="#4a5568">{e(_clock(t))}</text>')
        t += step
    palette = ["#c53030", "#dd6b20", "#b7791f", "#2b6cb0", "#6b46c1", "#2c7a7b", "#97266d", "#4a5568", "#276749"]
    for n, ev in enumerate(events):
        k = str(ev.get("kind", "?"))
        i = kinds.index(k)
        y = top + i * lane_h + 5
        s = ev.get("start_s") if isinstance(ev.get("start_s"), (int, float)) else 0.0
        end = ev.get("end_s")
        open_ = not isinstance(end, (int, float))
        x1, x2 = x(s), x(span if open_ else end)
        x2 = max(x2, x1 + 4)
        colour = palette[i % len(palette)]
        tip = f"#{n + 1} {k} {_clock(s)} – {'…' if open_ else _clock(end)}"
        parts.append(f'<a href="#event-{n + 1}"><rect x="{x1:.1f}" y="{y}" width="{x2 - x1:.1f}" height="{lane_h - 10}" '
                     f'rx="3" fill="{colour}" fill-opacity="0.85"><title>{e(tip)}</title></rect></a>')
        if open_:
            parts.append(f'<path d="M{x2 - 8:.1f},{y - 2} L{x2:.1f},{y + (lane_h - 10) / 2:.1f} L{x2 - 8:.1f},{y + lane_h - 8}" '
                         f'fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{x1 + 3:.1f}" y="{y + lane_h - 14:.1f}" font-size="10" fill="#fff">{n + 1}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass
class _Pictures:
    """The images of one report, drawn and ready to encode (arrays, keyed by their slot)."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def encode(self, budget: int) -> dict[str, str]:
        side = MAX_IMAGE_SIDE
        while True:
            uris = {k: _data_uri(encode_jpeg(a, side)) for k, a in self.arrays.items()}
            total = sum(len(u) for u in uris.values())
            if total <= budget or side <= MIN_IMAGE_SIDE:
                return uris
            side = max(MIN_IMAGE_SIDE, int(side * min(0.85, math.sqrt(budget / total))))


def _prepare_pictures(report: Mapping[str, Any], images: ReportImages | None) -> _Pictures:
    pics = _Pictures()
    if images is None:
        return pics
    zones = dict(images.zones)
    events = report.get("events") or []
    side = MAX_IMAGE_SIDE
    if images.baseline is not None:
        base = load_image(images.baseline)
        fs = images.frame_size or (base.shape[1], base.shape[0])
        pics.arrays["baseline"] = draw_baseline(base, zones, fs, max_side=side)
        for i in range(len(events)):
            if _event_matrix(events[i], *fs) is not None:
                pics.arrays[f"baseline-{i}"] = draw_baseline(base, zones, fs, events[i], max_side=side)
        if events and all(f"baseline-{i}" in pics.arrays for i in range(len(events))):
            del pics.arrays["baseline"]  # every event shows its own copy
    for i, img in images.events.items():
        if 0 <= int(i) < len(events):
            pics.arrays[f"event-{int(i)}"] = draw_event_frame(img, events[int(i)], frame_size=images.frame_size,
                                                              zones=zones, max_side=side)
    findings = report.get("findings") or []
    for i, snaps in images.findings.items():
        if 0 <= int(i) < len(findings):
            for j, snap in enumerate(_as_list(snaps)):
                pics.arrays[f"finding-{int(i)}-{j}"] = draw_snapshot(snap, [findings[int(i)]])
    items = report.get("items") or []
    for i, snaps in images.items.items():
        if 0 <= int(i) < len(items):
            for j, snap in enumerate(_as_list(snaps)):
                pics.arrays[f"item-{int(i)}-{j}"] = draw_snapshot(snap, items[int(i)].get("findings") or [])
    return pics


def _as_list(snaps: Any) -> list:
    """One snapshot, or several (a list or tuple of them)."""
    return list(snaps) if isinstance(snaps, (list, tuple)) else [snaps]


def _figures(h: "_Html", uris: Mapping[str, str], prefix: str) -> str:
    """The snapshots stored under ``prefix-0``, ``prefix-1``... side by side."""
    found = sorted((int(k.rsplit("-", 1)[1]), u) for k, u in uris.items() if k.rsplit("-", 1)[0] == prefix)
    return f'<div class="pair">{"".join(h.figure(u, "snapshot") for _, u in found)}</div>' if found else ""


def evidence_images(report: Mapping[str, Any], base: str | os.PathLike = ".") -> ReportImages:
    """The evidence snapshots a report names (``"evidence": [paths]`` on a scan@1 item or a
    check@1 finding, as written by ``--evidence DIR``; relative paths from ``base``), for
    :func:`render_html`. They are shown as they are: already annotated, people already blurred."""
    def files(entry: Mapping[str, Any]) -> list[Path]:
        out = []
        for p in entry.get("evidence") or []:
            if isinstance(p, str):
                path = Path(p) if Path(p).is_absolute() else Path(base) / p
                if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".bmp") and path.is_file():
                    out.append(path)
        return out

    items = {i: files(it) for i, it in enumerate(report.get("items") or []) if isinstance(it, Mapping)}
    findings = {i: files(f) for i, f in enumerate(report.get("findings") or []) if isinstance(f, Mapping)}
    return ReportImages(items={i: v for i, v in items.items() if v}, findings={i: v for i, v in findings.items() if v})


def _camera_section(h: _Html, cam: Mapping[str, Any] | None) -> str:
    if not cam:
        return f'<section id="camera"><h2>{h.t("camera")}</h2><p class="muted">{h.t("no_camera")}</p></section>'
    rows = [(k, v) for k, v in cam.items() if k not in ("findings", "zones")]
    if cam.get("zones"):
        rows.append(("zones", ", ".join(str(z) for z in cam["zones"])))
    body = h.table(rows)
    cf = cam.get("findings") or []
    if cf:
        items = []
        for f in cf:
            c = _citation(f)
            summary = c.summary if c else f.get("kind")
            items.append(f"<li><b>{h.e(f.get('kind'))}</b> — {h.e(summary)} ({h.t('cites')} Art. {h.e(f.get('article') or (c.ref if c else '?'))}"
                         f"; {h.t('penalty')} Art. {h.e(c.penalty_article if c else f.get('penalty_article'))})"
                         f" <span class=\"muted\">{h.e(_fmt(f.get('details') or {}))}</span></li>")
        body += f'<h3 style="margin-top:12px">{h.t("camera_findings")}</h3><ul>{"".join(items)}</ul>'
    return f'<section id="camera"><h2>{h.t("camera")}</h2>{body}</section>'


def _articles_section(h: _Html, entries: Sequence[Mapping[str, Any]]) -> str:
    if not entries:
        return ""
    cards = []
    for a in entries:
        heading = f"{h.e(a['heading_zh'])} · Article {h.e(a['ref'])} — {h.e(a['topic'])}"
        duties = "".join(
            f"<li><b>{h.e(d['kind'])}</b>: {h.both(d['zh'], d['en'])}<span class=\"muted\">{h.t('penalty')}: Art. {h.e(d['penalty_article'])}</span></li>"
            for d in a.get("duties", [])
        )
        pens = "".join(f'<div class="law">{h.both(p["zh"], p["en"])}</div>' for p in a.get("penalties", []))
        related = ", ".join(a.get("related") or [])
        cards.append(
            f'<div class="card" id="art-{h.e(a["ref"])}"><h3>{heading}</h3>'
            f'<div class="law">{h.both(a["zh"], a["en"])}</div>'
            + (f"<h3>{h.t('duty')}</h3><ul>{duties}</ul>" if duties else "")
            + (f"<h3>{h.t('penalty')}</h3>{pens}" if pens else "")
            + (f'<p class="muted">{h.t("related")}: {h.e(related)}</p>' if related else "")
            + f'<p class="muted">cited by: {h.e(", ".join(a.get("cited_by", [])))}</p></div>'
        )
    reg = articles.regulation()
    note = h.both(f"{reg.title_zh}（{reg.issuer_zh}）", f"{reg.title_en} ({reg.issuer_en}). {reg.translation_note}", cls="muted")
    return f'<section id="articles"><h2>{h.t("articles")}</h2>{note}{"".join(cards)}</section>'


def _event_cards(h: _Html, events: Sequence[Mapping[str, Any]], uris: Mapping[str, str]) -> str:
    cards = []
    ev_t = event_times(events)  # when the pictured frame was taken
    for i, ev in enumerate(events):
        c = _citation(ev)
        ref = ev.get("article") or (c.ref if c else "?")
        details = ev.get("details") or {}
        rows = [(h.raw("start"), _clock(ev.get("start_s"))),
                (h.raw("end"), _clock(ev.get("end_s")) if ev.get("end_s") is not None else h.raw("open")),
                (h.raw("confidence"), ev.get("confidence"))]
        rows += [(k, v) for k, v in (details.items() if isinstance(details, Mapping) else [])]
        rows += [(k, v) for k, v in ev.items() if k not in ("kind", "article", "start_s", "end_s", "confidence", "details", "evidence")]
        evidence = "".join(f"<li>{h.e(x)}</li>" for x in (ev.get("evidence") or []))
        summary = f'<p class="muted">{h.e(c.summary)}</p>' if c else ""
        pair = ""
        shot = f"{ev.get('kind')} @ {_clock(ev_t.get(i))}"
        if "baseline" in uris or f"event-{i}" in uris:
            pair = (f'<div class="pair">{h.figure(uris.get(f"baseline-{i}", uris.get("baseline")), "baseline")}'
                    f'{h.figure(uris.get(f"event-{i}"), "offending", shot)}</div>')
        cards.append(
            f'<div class="card" id="event-{i + 1}"><h3>#{i + 1} {h.e(ev.get("kind"))}'
            f'<a class="tag" href="#art-{h.e(_safe_ref(ref))}" style="color:#fff">Art. {h.e(ref)}</a></h3>{summary}'
            f"{h.table((str(k), v) for k, v in rows)}"
            + (f"<p><b>{h.t('evidence')}</b></p><ul>{evidence}</ul>" if evidence else "")
            + f"{pair}</div>"
        )
    return "".join(cards)


def _safe_ref(ref: Any) -> str:
    try:
        return articles.resolve(str(ref)).id
    except CctvGuardError:
        return "unknown"


def _finding_cards(h: _Html, findings: Sequence[Mapping[str, Any]], uris: Mapping[str, str], prefix: str) -> str:
    cards = []
    for i, f in enumerate(findings):
        ref = f.get("article") or "9"
        cues = "".join(
            f"<li>{h.e(c.get('cue'))} {h.e(_fmt(c.get('score')))}"
            + (f" <span class=\"muted\">box {h.e(_fmt(c.get('box')))}</span>" if c.get("box") else "") + "</li>"
            for c in (f.get("cues") or [])
        )
        fig = _figures(h, uris, f"{prefix}-{i}")
        cards.append(
            f'<div class="card"><h3>{h.e(f.get("kind", "privacy"))}: {h.e(f.get("zone"))}'
            f'<a class="tag" href="#art-{h.e(_safe_ref(ref))}" style="color:#fff">Art. {h.e(ref)}</a></h3>'
            f"{h.table([(h.raw('zone'), f.get('zone')), (h.raw('confidence'), f.get('confidence'))])}"
            + (f"<p><b>{h.t('cues')}</b></p><ul>{cues}</ul>" if cues else "") + f"{fig}</div>"
        )
    return "".join(cards)


def _archive_sections(h: _Html, doc: Mapping[str, Any]) -> list[str]:
    """Retention scan or seal verification: verdict, findings, then per-camera spans or the
    list of changed files (both capped, the JSON holds everything)."""
    findings = doc.get("findings") or []
    out = [f'<section id="verdict"><h2>{h.t("verdict")}</h2>{h.verdict(str(doc.get("verdict")))}'
           f'<p>{h.t("source")}: <code>{h.e(doc.get("root"))}</code></p></section>']
    rows = "".join(
        f'<tr><td><a class="tag" href="#art-{h.e(_safe_ref(f.get("article")))}" style="color:#fff">Art. {h.e(f.get("article"))}</a></td>'
        f'<td>{h.e(f.get("kind"))}</td><td>{h.e(f.get("camera") or "")}</td><td>{h.e(f.get("message"))}</td></tr>'
        for f in findings[:500]
    )
    out.append(f'<section id="findings"><h2>{h.t("archive_findings")}</h2>'
               + (f"<table>{rows}</table>" if rows else h.t("none"))
               + (f"<p>… {len(findings) - 500} more in the JSON report</p>" if len(findings) > 500 else "") + "</section>")
    if doc.get("schema") == ARCHIVE_SCAN_SCHEMA:
        cams = doc.get("cameras") or []
        head = "".join(f"<th>{h.e(c)}</th>" for c in ("camera", "files", "first", "last", "days kept", "missing days", "gaps", "short files"))
        body = "".join(
            f"<tr><td>{h.e(c.get('camera'))}</td><td>{h.e(c.get('files'))}</td><td>{h.e(c.get('first'))}</td>"
            f"<td>{h.e(c.get('last_end'))}</td><td>{h.e(_fmt(c.get('kept_days')))}</td><td>{len(c.get('missing_days') or [])}</td>"
            f"<td>{len(c.get('gaps') or [])}</td><td>{len(c.get('short_files') or [])}</td></tr>"
            for c in cams[:2000]
        )
        out.append(f'<section id="cameras"><h2>{h.t("archive_cameras")}</h2><table><tr>{head}</tr>{body}</table></section>')
    else:
        seal = [("seal", doc.get("seal")), ("sealed at", doc.get("sealed_at")), ("seal intact", doc.get("seal_intact")),
                ("signer trusted", doc.get("signer_trusted")), ("sealed files", doc.get("sealed_files")),
                ("unchanged", doc.get("unchanged"))]
        out.append(f'<section id="seal"><h2>{h.t("archive_seal")}</h2>{h.table(seal)}</section>')
        changes = doc.get("changes") or []
        head = "".join(f"<th>{h.e(c)}</th>" for c in ("file", "change", "size", "sealed mtime", "within retention", "detail"))
        body = "".join(
            f"<tr><td>{h.e(c.get('path'))}</td><td>{h.e(c.get('kind'))}</td><td>{h.e(c.get('size'))}</td>"
            f"<td>{h.e(c.get('sealed_mtime'))}</td><td>{h.e(c.get('within_retention'))}</td><td>{h.e(c.get('detail'))}</td></tr>"
            for c in changes[:2000]
        )
        out.append(f'<section id="changes"><h2>{h.t("archive_changes")}</h2>'
                   + (f"<table><tr>{head}</tr>{body}</table>" if changes else h.t("none")) + "</section>")
    return out


def render_html(report: Mapping[str, Any], *, images: ReportImages | None = None, lang: Lang = "both",
                camera: Any = None, budget: int = SIZE_BUDGET) -> str:
    """The self-contained HTML report of a check@1 or scan@1 dict (enriched here unless it has
    an ``articles`` section already)."""
    h = _Html(lang)
    doc = enrich(report, camera)  # idempotent: an enriched report keeps its camera section
    is_scan = doc.get("schema") == SCAN_SCHEMA
    is_archive = doc.get("schema") in (ARCHIVE_SCAN_SCHEMA, ARCHIVE_VERIFY_SCHEMA)
    pics = _prepare_pictures(doc, images) if not is_archive else _prepare_pictures({"events": [], "findings": []}, None)
    uris = pics.encode(max(budget - 400_000, budget // 2))
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    reg = articles.regulation()
    title_key = {SCAN_SCHEMA: "scan_title", ARCHIVE_SCAN_SCHEMA: "archive_scan_title",
                 ARCHIVE_VERIFY_SCHEMA: "archive_verify_title"}.get(str(doc.get("schema")), "title")
    title = h.t(title_key)
    head = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} — {h.e(doc.get('camera', {}).get('id') if isinstance(doc.get('camera'), Mapping) else '')}"
        f" {h.e(doc.get('source', ''))}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{title}</h1><p>{h.e(reg.title_zh)} · {h.e(reg.title_en)}</p>'
        f"<p>{h.t('generated')}: {h.e(generated)} · cctv-guard {h.e(doc.get('tool_version') or __version__)}</p></header><main>"
    )
    parts = [head]
    if is_archive:
        parts.extend(_archive_sections(h, doc))
    elif is_scan:
        items = doc.get("items") or []
        counts: dict[str, int] = {}
        for it in items:
            counts[it.get("verdict", "?")] = counts.get(it.get("verdict", "?"), 0) + 1
        worst = "prohibited" if counts.get("prohibited") else ("inconclusive" if counts.get("inconclusive") else "clear")
        stats = "".join(f"<div><b>{n}</b>{h.verdict_name(v)}</div>" for v, n in counts.items())
        parts.append(f'<section id="verdict"><h2>{h.t("verdict")}</h2>{h.verdict(worst)}<div class="stats">{stats}</div></section>')
        parts.append(_camera_section(h, doc.get("camera")))
        cards = []
        for i, it in enumerate(items):
            fc = _finding_cards(h, it.get("findings") or [], {}, f"item{i}")
            fig = _figures(h, uris, f"item-{i}")
            cards.append(f'<div class="card"><h3>{h.e(it.get("source"))} {h.verdict(str(it.get("verdict")))}</h3>{fig}{fc}</div>')
        parts.append(f'<section id="items"><h2>{h.t("items")}</h2>{"".join(cards) or h.t("none")}</section>')
    else:
        events = doc.get("events") or []
        findings = doc.get("findings") or []
        stats = (f'<div><b>{len(events)}</b>{h.t("events")}</div><div><b>{len(findings)}</b>{h.t("findings")}</div>'
                 f'<div><b>{h.e(_fmt(doc.get("frames_analyzed")))}</b>{h.t("frames")}</div>'
                 f'<div><b>{h.e(_clock(doc.get("duration_s")))}</b>{h.t("duration")}</div>')
        parts.append(f'<section id="verdict"><h2>{h.t("verdict")}</h2>{h.verdict(str(doc.get("verdict")))}'
                     f'<p>{h.t("source")}: <code>{h.e(doc.get("source"))}</code></p><div class="stats">{stats}</div></section>')
        parts.append(_camera_section(h, doc.get("camera")))
        if events:
            parts.append(f'<section id="timeline"><h2>{h.t("timeline")}</h2>{timeline_svg(events, doc.get("duration_s"))}</section>')
        parts.append(f'<section id="events"><h2>{h.t("events")}</h2>{_event_cards(h, events, uris) or h.t("none")}</section>')
        if findings:
            parts.append(f'<section id="findings"><h2>{h.t("findings")}</h2>{_finding_cards(h, findings, uris, "finding")}</section>')
        if "baseline" in uris and not events:
            parts.append(f'<section id="baseline"><h2>{h.t("baseline")}</h2><div class="pair">{h.figure(uris["baseline"], "baseline")}</div></section>')
        known = {"schema", "source", "camera_id", "tool_version", "frames_analyzed", "duration_s", "verdict",
                 "events", "findings", "camera", "articles"}
        extra = [(k, v) for k, v in doc.items() if k not in known]
        if extra:
            parts.append(f'<section id="diagnostics"><h2>{h.t("diagnostics")}</h2>{h.table(extra)}</section>')
    parts.append(_articles_section(h, doc.get("articles") or []))
    parts.append(f'</main><footer>{h.e(doc.get("schema"))} · {h.e(reg.source)}</footer></body></html>')
    return "".join(parts)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a report file atomically (temp file in the same folder, then rename), creating
    its folder; an ordinary file (0666 less the umask), not a private 0600 one."""
    from cctv_guard.core.atomic import write_atomic

    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        return write_atomic(p, text, mode=0o666 & ~_umask())
    except OSError as exc:
        raise ConfigError(f"cannot write {p}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_html(path: str | os.PathLike, report: Mapping[str, Any], **kwargs: Any) -> Path:
    """Render and write the HTML report atomically (temp file, then rename). Keyword arguments
    as for :func:`render_html`."""
    return write_text(path, render_html(report, **kwargs))


def write_check_report(result_json: Mapping[str, Any], html_path: str | os.PathLike, *,
                       frames: Mapping[int, ImageLike] | Sequence[ImageLike | None] | None = None,
                       baseline_image: ImageLike | None = None, camera: Any = None,
                       frame_size: tuple[int, int] | None = None,
                       zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                       findings: Mapping[int, Snapshot | ImageLike] | None = None,
                       lang: Lang = "both") -> Path:
    """What ``check --html FILE`` calls: the check@1 dict, the offending frame of each event
    (a mapping event index -> image, or a list aligned with ``events``), the baseline view, the
    registry camera, the footage size and must-see zones (for drawing), privacy snapshots."""
    if frames is None:
        ev_imgs: dict[int, ImageLike] = {}
    elif isinstance(frames, Mapping):
        ev_imgs = dict(frames)
    else:
        ev_imgs = {i: f for i, f in enumerate(frames) if f is not None}
    if zones is None and camera is not None:
        cz = (_camera_facts(camera) or {}).get("zones")
        if isinstance(cz, Mapping):  # the registry's must-see zones; privacy masks are not drawn
            zones = {k: [tuple(p) for p in v] for k, v in cz.items() if not str(k).lower().startswith("privacy")}
    imgs = ReportImages(baseline=baseline_image, events=ev_imgs, findings=dict(findings or {}),
                        frame_size=frame_size, zones=dict(zones or {}))
    return write_html(html_path, result_json, images=imgs, camera=camera, lang=lang)


def write_check_html(doc: Mapping[str, Any], path: str | os.PathLike, *, baseline: Any = None,
                     source: str | os.PathLike | None = None, camera: Any = None,
                     frames: Mapping[int, ImageLike] | None = None,
                     findings: Mapping[int, Any] | None = None, lang: Lang = "both") -> Path:
    """``check --html``: the report of a check@1 dict against a ``cctv_guard.tamper.baseline.Baseline``
    (its median view, footage size and must-see zones are drawn). The offending frames are
    re-read from ``source`` (default: the report's own source) when it is a file or folder; for
    a live stream pass ``frames`` (event index -> image) kept during the check, or the report
    shows the events without pictures. ``findings``: privacy snapshots (finding index ->
    :class:`Snapshot`, or evidence files shown as given)."""
    if frames is None:
        src = Path(str(source if source is not None else doc.get("source") or ""))
        frames = {}
        if str(src) and src.exists() and doc.get("events"):
            try:
                frames = grab_frames(src, event_times(doc.get("events") or []))
            except SourceError:
                frames = {}  # the check itself read it; a report without pictures beats none
    base_img = frame_size = None
    zones: Mapping[str, Sequence[tuple[float, float]]] | None = None
    if baseline is not None:
        used = doc.get("profiles_used") or {}
        name = max(used, key=used.get) if used and max(used, key=used.get) in baseline.profiles else next(iter(baseline.profiles))
        base_img, frame_size, zones = baseline.profiles[name].median, tuple(baseline.frame_size), baseline.must_see
    return write_check_report(doc, path, frames=frames, baseline_image=base_img, camera=camera,
                              frame_size=frame_size, zones=zones, findings=findings, lang=lang)


# --- many cameras: CSV / Markdown summary ----------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    camera_id: str | None
    name: str | None
    source: str | None
    verdict: str
    frames_analyzed: int | None
    duration_s: float | None
    events: int
    findings: int
    kinds: str  # "moved×2; frozen"
    articles: str  # "8; 16(7)"
    penalty_articles: str  # "19(1)"
    first_event_s: float | None
    report: str | None = None  # where the full report is


SUMMARY_FIELDS = [f.name for f in dataclasses.fields(SummaryRow)]


def _counted(values: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return "; ".join(k if n == 1 else f"{k}×{n}" for k, n in counts.items())


def _row_of(doc: Mapping[str, Any], cited: Sequence[Mapping[str, Any]], *, source: Any, verdict: str,
            frames: Any, duration: Any, report_path: str | None) -> SummaryRow:
    cam = doc.get("camera") if isinstance(doc.get("camera"), Mapping) else {}
    kinds = [str(x.get("kind", "?")) for x in cited]
    refs = sorted({str(x.get("article")) for x in cited if x.get("article")}, key=_sort_key)
    pens = sorted({c.penalty_article for c in (_citation(x) for x in cited) if c}, key=_ref_key)
    starts = [float(x["start_s"]) for x in cited if isinstance(x.get("start_s"), (int, float))]
    return SummaryRow(
        camera_id=cam.get("id") or doc.get("camera_id"), name=cam.get("name"),
        source=redact_uri(source) if isinstance(source, str) else None, verdict=verdict,
        frames_analyzed=frames, duration_s=duration,
        events=sum(1 for x in cited if "start_s" in x), findings=sum(1 for x in cited if "start_s" not in x),
        kinds=_counted(kinds), articles="; ".join(refs), penalty_articles="; ".join(pens),
        first_event_s=min(starts) if starts else None, report=report_path,
    )


def summary_rows(reports: Iterable[Mapping[str, Any] | tuple[Mapping[str, Any], str]]) -> list[SummaryRow]:
    """One row per check@1 report (per camera) and one per scan@1 item. An element may be a
    ``(report, path_of_its_html_or_json)`` pair to link the full report."""
    rows: list[SummaryRow] = []
    for r in reports:
        doc, path = (r if isinstance(r, tuple) else (r, None))
        schema = _validate(doc)
        if schema == SCAN_SCHEMA:
            for it in doc.get("items") or []:
                rows.append(_row_of(doc, it.get("findings") or [], source=it.get("source"), verdict=it.get("verdict"),
                                    frames=None, duration=None, report_path=path))
        else:
            cam = doc.get("camera") if isinstance(doc.get("camera"), Mapping) else {}
            cited = [*(doc.get("events") or []), *(doc.get("findings") or []), *(cam.get("findings") or [])]
            rows.append(_row_of(doc, cited, source=doc.get("source"), verdict=str(doc.get("verdict")),
                                frames=doc.get("frames_analyzed"), duration=doc.get("duration_s"), report_path=path))
    return rows


_FORMULA_START = ("=", "+", "-", "@")


def _csv_cell(v: Any) -> Any:
    """Numbers as they are; text on one line (tabs and line breaks become spaces), and text that
    a spreadsheet would run as a formula gets a leading quote."""
    if v is None:
        return ""
    if isinstance(v, str):
        v = v.translate(_ONE_LINE)
        return "'" + v if v.startswith(_FORMULA_START) else v
    return v


_ONE_LINE = str.maketrans({"\r": " ", "\n": " ", "\t": " ", "\x0b": " ", "\x0c": " "})


def _md_cell(v: Any) -> str:
    s = _fmt(v) if v is not None else ""
    s = s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return html.escape(s, quote=False).replace("`", "\\`")


def summary_text(rows: Sequence[SummaryRow | Mapping[str, Any]], fmt: Literal["csv", "md"] = "csv") -> str:
    rows = [x for r in rows for x in ([r] if isinstance(r, SummaryRow) else summary_rows([r]))]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(SUMMARY_FIELDS)
        for r in rows:
            w.writerow([_csv_cell(getattr(r, f)) for f in SUMMARY_FIELDS])
        return buf.getvalue()
    if fmt == "md":
        by_verdict = _counted(r.verdict for r in rows)
        lines = [f"**{len(rows)} rows** — {by_verdict or 'none'}", "",
                 "| " + " | ".join(SUMMARY_FIELDS) + " |", "|" + "---|" * len(SUMMARY_FIELDS)]
        lines += ["| " + " | ".join(_md_cell(getattr(r, f)) for f in SUMMARY_FIELDS) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    raise ConfigError(f"summary format: expected 'csv' or 'md', found {fmt!r}")


def write_summary(rows: Sequence[SummaryRow | Mapping[str, Any]], path: str | os.PathLike,
                  fmt: Literal["csv", "md"] = "csv") -> Path:
    """Write the many-camera summary (rows, or check@1 / scan@1 dicts) as CSV or Markdown, atomically."""
    return write_text(path, summary_text(rows, fmt))


# --- pictures from the footage ----------------------------------------------------------------------------


def event_times(events: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    """When to picture each event: when it was confirmed (the condition clearly held), else its start."""
    out = {}
    for i, ev in enumerate(events):
        t = ev.get("confirmed_s", ev.get("start_s"))
        if isinstance(t, (int, float)) and math.isfinite(t):
            out[i] = float(t)
    return out


def grab_frames(source: str | os.PathLike, times: Mapping[int, float], *, max_width: int = 2 * MAX_IMAGE_SIDE,
                window_s: float = 5.0) -> dict[int, np.ndarray]:
    """Re-read, from a file or image-folder source, the first frame at or after each time
    (key -> seconds); keys whose time has no frame within ``window_s`` are left out. For live
    streams the caller must keep the frames itself (a stream cannot be re-read)."""
    from cctv_guard.media.sources import open_source

    out: dict[int, np.ndarray] = {}
    with open_source(source) as src:
        for key, t in sorted(times.items(), key=lambda kv: kv[1]):
            for f in src.frames(start=max(0.0, t), end=max(0.0, t) + window_s, max_width=max_width):
                out[key] = f.image
                break
    return out
