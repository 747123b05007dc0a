"""The HTML reports, rendered by Jinja2 from the templates in ``cctv_guard/reports/templates``.

:func:`render_html` / :func:`write_html` make ONE file an inspector can open offline: inline CSS,
images as base64 JPEG, no script, no external resource (a Content-Security-Policy forbids them).
Camera facts, verdict, a timeline of events (inline SVG), for each event the baseline view beside
the offending frame with the baseline's outline (coverage polygon), the must-see zones and the
shift drawn, privacy findings with annotated snapshots (people blurred), and the articles cited.
:func:`write_check_report` / :func:`write_check_html` are what ``check --html`` calls.

Escaping: the templates are autoescaped, and every value a template prints passes through
:func:`_escape` (``html.escape`` with quotes) unless it is :class:`markupsafe.Markup` made by this
package's own templates. Python here only shapes the data; no markup is built as strings.
"""

from __future__ import annotations

import html as _html
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup

from cctv_guard import __version__
from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import ConfigError, SourceError
from cctv_guard.legal import articles
from cctv_guard.reports import frames as fr
from cctv_guard.reports.model import (
    ARCHIVE_SCAN_SCHEMA,
    ARCHIVE_SCHEMAS,
    ARCHIVE_VERIFY_SCHEMA,
    CHECK_SCHEMA,
    SCAN_SCHEMA,
    camera_facts,
    citation,
    clock,
    enrich,
    fmt_value,
    safe_ref,
)

SIZE_BUDGET = 5_000_000  # bytes of HTML, images included
ARCHIVE_FINDINGS_SHOWN = 500  # the JSON report holds them all
ARCHIVE_ROWS_SHOWN = 2000

Lang = Literal["zh", "en", "both"]

LABELS = {
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
VERDICTS = {  # verdict -> (zh, en, CSS class)
    "compliant": ("合规", "compliant", "ok"),
    "violation": ("违规", "violation", "bad"),
    "inconclusive": ("无法判定", "inconclusive", "warn"),
    "prohibited": ("禁止区域", "prohibited", "bad"),
    "clear": ("未发现问题", "clear", "ok"),
}
_TITLES = {CHECK_SCHEMA: "title", SCAN_SCHEMA: "scan_title", ARCHIVE_SCAN_SCHEMA: "archive_scan_title",
           ARCHIVE_VERIFY_SCHEMA: "archive_verify_title"}


# --- the one Jinja2 environment ----------------------------------------------------------------------


def _escape(value: Any) -> Any:
    """Every printed value: Markup from a template as it is; anything else ``html.escape``d
    (quotes included, None as nothing)."""
    if hasattr(value, "__html__"):
        return value
    return Markup(_html.escape("" if value is None else str(value), quote=True))


def _join_text(values: Any, sep: str = ", ") -> str:
    """Plain-text join (escaped once, when printed), unlike Jinja's ``join`` which escapes each part."""
    return sep.join("" if v is None else str(v) for v in values)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every report page: templates from the installed package,
    autoescape on for every template, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cctv_guard.reports", "templates"),
        autoescape=True,
        finalize=_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(fmt=fmt_value, clock=clock)
    env.filters["join_text"] = _join_text
    return env


def render_template(name: str, **context: Any) -> str:
    """Render one of the package's templates (autoescaped)."""
    return environment().get_template(name).render(**context)


class Labels:
    """The report's words in its language(s): ``t(key)`` a label, ``verdict_name(v)``,
    ``verdict_class(v)`` (the CSS class of its colour), ``lang``."""

    def __init__(self, lang: Lang):
        if lang not in ("zh", "en", "both"):
            raise ConfigError(f"lang: expected 'zh', 'en' or 'both', found {lang!r}")
        self.lang = lang

    def _pick(self, zh: str, en: str) -> str:
        return {"zh": zh, "en": en, "both": f"{en} · {zh}"}[self.lang]

    def t(self, key: str) -> str:
        return self._pick(*LABELS[key])

    def verdict_name(self, v: Any) -> str:
        zh, en, _ = VERDICTS.get(v, (v, v, "warn"))
        return self._pick(str(zh), str(en))

    @staticmethod
    def verdict_class(v: Any) -> str:
        return VERDICTS.get(v, (v, v, "warn"))[2]

    def context(self) -> dict[str, Any]:
        return {"lang": self.lang, "t": self.t, "verdict_name": self.verdict_name, "verdict_class": self.verdict_class}


# --- the timeline --------------------------------------------------------------------------------------

_PALETTE = ["#c53030", "#dd6b20", "#b7791f", "#2b6cb0", "#6b46c1", "#2c7a7b", "#97266d", "#4a5568", "#276749"]


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
    kinds = list(dict.fromkeys(str(ev.get("kind", "?")) for ev in events))
    ends = [float(x) for ev in events for x in (ev.get("start_s"), ev.get("end_s")) if isinstance(x, (int, float))]
    span = max([float(duration_s or 0.0), *ends, 1.0])
    left, right, lane_h, top = 150, 20, 26, 10
    lanes_h = lane_h * max(1, len(kinds))
    axis_y = top + lanes_h

    def x(s: float) -> float:
        return left + (width - left - right) * max(0.0, min(float(s), span)) / span

    ticks, t, step = [], 0.0, _nice_step(span)
    while t <= span + 1e-9:
        ticks.append({"x": f"{x(t):.1f}", "label": clock(t)})
        t += step
    bars = []
    for n, ev in enumerate(events):
        k = str(ev.get("kind", "?"))
        i = kinds.index(k)
        y = top + i * lane_h + 5
        s = ev.get("start_s") if isinstance(ev.get("start_s"), (int, float)) else 0.0
        end = ev.get("end_s")
        open_ = not isinstance(end, (int, float))
        x1 = x(s)
        x2 = max(x(span if open_ else end), x1 + 4)
        bars.append({
            "n": n + 1, "x": f"{x1:.1f}", "y": y, "width": f"{x2 - x1:.1f}", "height": lane_h - 10,
            "colour": _PALETTE[i % len(_PALETTE)], "tip": f"#{n + 1} {k} {clock(s)} – {'…' if open_ else clock(end)}",
            "arrow": (f"M{x2 - 8:.1f},{y - 2} L{x2:.1f},{y + (lane_h - 10) / 2:.1f} L{x2 - 8:.1f},{y + lane_h - 8}"
                      if open_ else None),
            "text_x": f"{x1 + 3:.1f}", "text_y": f"{y + lane_h - 14:.1f}",
        })
    lanes = [{"label": k, "y": f"{top + i * lane_h + lane_h * 0.68:.1f}"} for i, k in enumerate(kinds)]
    return render_template(
        "timeline.svg", width=width, height=axis_y + 34, left=left, top=top, plot_w=width - left - right,
        lanes_h=lanes_h, axis_y=axis_y, lanes=lanes, ticks=ticks, bars=bars,
    )


# --- shaping a report for its template ----------------------------------------------------------------------


def _figures(uris: Mapping[str, str], prefix: str) -> list[str]:
    """The snapshots stored under ``prefix-0``, ``prefix-1``... in order."""
    return [u for _, u in sorted((int(k.rsplit("-", 1)[1]), u) for k, u in uris.items() if k.rsplit("-", 1)[0] == prefix)]


def _camera_view(cam: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not cam:
        return None
    rows = [(k, v) for k, v in cam.items() if k not in ("findings", "zones")]
    if cam.get("zones"):
        rows.append(("zones", ", ".join(str(z) for z in cam["zones"])))
    found = []
    for f in cam.get("findings") or []:
        c = citation(f)
        found.append({"kind": f.get("kind"), "summary": c.summary if c else f.get("kind"),
                      "article": f.get("article") or (c.ref if c else "?"),
                      "penalty": c.penalty_article if c else f.get("penalty_article"),
                      "details": fmt_value(f.get("details") or {})})
    return {"rows": rows, "findings": found}


def _event_views(events: Sequence[Mapping[str, Any]], uris: Mapping[str, str], L: Labels) -> list[dict[str, Any]]:
    out = []
    pictured_at = fr.event_times(events)  # when the pictured frame was taken
    for i, ev in enumerate(events):
        c = citation(ev)
        ref = ev.get("article") or (c.ref if c else "?")
        details = ev.get("details") or {}
        rows = [(L.t("start"), clock(ev.get("start_s"))),
                (L.t("end"), clock(ev.get("end_s")) if ev.get("end_s") is not None else L.t("open")),
                (L.t("confidence"), ev.get("confidence"))]
        rows += [(str(k), v) for k, v in (details.items() if isinstance(details, Mapping) else [])]
        rows += [(str(k), v) for k, v in ev.items()
                 if k not in ("kind", "article", "start_s", "end_s", "confidence", "details", "evidence")]
        pair = None
        if "baseline" in uris or f"event-{i}" in uris:
            pair = {"baseline": uris.get(f"baseline-{i}", uris.get("baseline")), "offending": uris.get(f"event-{i}"),
                    "shot": f"{ev.get('kind')} @ {clock(pictured_at.get(i))}"}
        out.append({"n": i + 1, "kind": ev.get("kind"), "ref": ref, "anchor": safe_ref(ref),
                    "summary": c.summary if c else None, "rows": rows, "evidence": list(ev.get("evidence") or []),
                    "pair": pair})
    return out


def _finding_views(findings: Sequence[Mapping[str, Any]], uris: Mapping[str, str], prefix: str,
                   L: Labels) -> list[dict[str, Any]]:
    out = []
    for i, f in enumerate(findings):
        ref = f.get("article") or "9"
        cues = [{"cue": c.get("cue"), "score": fmt_value(c.get("score")), "box": fmt_value(c.get("box")) if c.get("box") else None}
                for c in (f.get("cues") or [])]
        out.append({"kind": f.get("kind", "privacy"), "zone": f.get("zone"), "ref": ref, "anchor": safe_ref(ref),
                    "rows": [(L.t("zone"), f.get("zone")), (L.t("confidence"), f.get("confidence"))],
                    "cues": cues, "figures": _figures(uris, f"{prefix}-{i}")})
    return out


def _check_view(doc: Mapping[str, Any], uris: Mapping[str, str], L: Labels) -> dict[str, Any]:
    events = doc.get("events") or []
    findings = doc.get("findings") or []
    known = {"schema", "source", "camera_id", "tool_version", "frames_analyzed", "duration_s", "verdict",
             "events", "findings", "camera", "articles"}
    return {
        "source": doc.get("source"), "verdict": str(doc.get("verdict")),
        "n_events": len(events), "n_findings": len(findings),
        "frames": fmt_value(doc.get("frames_analyzed")), "duration": clock(doc.get("duration_s")),
        "timeline": Markup(timeline_svg(events, doc.get("duration_s"))) if events else None,  # our own SVG
        "events": _event_views(events, uris, L),
        "findings": _finding_views(findings, uris, "finding", L),
        "baseline": uris["baseline"] if "baseline" in uris and not events else None,
        "diagnostics": [(k, v) for k, v in doc.items() if k not in known],
    }


def _scan_view(doc: Mapping[str, Any], uris: Mapping[str, str], L: Labels) -> dict[str, Any]:
    items = doc.get("items") or []
    counts: dict[str, int] = {}
    for it in items:
        counts[it.get("verdict", "?")] = counts.get(it.get("verdict", "?"), 0) + 1
    worst = "prohibited" if counts.get("prohibited") else ("inconclusive" if counts.get("inconclusive") else "clear")
    return {
        "verdict": worst, "counts": list(counts.items()),
        "scanned": [{"source": it.get("source"), "verdict": str(it.get("verdict")), "figures": _figures(uris, f"item-{i}"),
                   "findings": _finding_views(it.get("findings") or [], {}, f"item{i}", L)}
                  for i, it in enumerate(items)],
    }


def _archive_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Retention scan or seal verification: findings, then per-camera spans or the list of
    changed files (both capped: the JSON holds everything)."""
    findings = doc.get("findings") or []
    view: dict[str, Any] = {
        "verdict": str(doc.get("verdict")), "root": doc.get("root"), "is_scan": doc.get("schema") == ARCHIVE_SCAN_SCHEMA,
        "findings": [{"article": f.get("article"), "anchor": safe_ref(f.get("article")), "kind": f.get("kind"),
                      "camera": f.get("camera") or "", "message": f.get("message")}
                     for f in findings[:ARCHIVE_FINDINGS_SHOWN]],
        "more_findings": max(0, len(findings) - ARCHIVE_FINDINGS_SHOWN),
    }
    if view["is_scan"]:
        view["columns"] = ("camera", "files", "first", "last", "days kept", "missing days", "gaps", "short files")
        view["rows"] = [(c.get("camera"), c.get("files"), c.get("first"), c.get("last_end"), fmt_value(c.get("kept_days")),
                         len(c.get("missing_days") or []), len(c.get("gaps") or []), len(c.get("short_files") or []))
                        for c in (doc.get("cameras") or [])[:ARCHIVE_ROWS_SHOWN]]
    else:
        view["seal"] = [("seal", doc.get("seal")), ("sealed at", doc.get("sealed_at")), ("seal intact", doc.get("seal_intact")),
                        ("signer trusted", doc.get("signer_trusted")), ("sealed files", doc.get("sealed_files")),
                        ("unchanged", doc.get("unchanged"))]
        view["columns"] = ("file", "change", "size", "sealed mtime", "within retention", "detail")
        view["rows"] = [(c.get("path"), c.get("kind"), c.get("size"), c.get("sealed_mtime"), c.get("within_retention"),
                         c.get("detail")) for c in (doc.get("changes") or [])[:ARCHIVE_ROWS_SHOWN]]
    return view


# --- the page --------------------------------------------------------------------------------------------


def render_html(report: Mapping[str, Any], *, images: fr.ReportImages | None = None, lang: Lang = "both",
                camera: Any = None, budget: int = SIZE_BUDGET) -> str:
    """The self-contained HTML report of a check@1, scan@1 or archive dict (enriched here unless
    it has an ``articles`` section already)."""
    L = Labels(lang)
    doc = enrich(report, camera)  # idempotent: an enriched report keeps its camera section
    schema = str(doc.get("schema"))
    pics = fr.prepare_pictures(doc, images if schema not in ARCHIVE_SCHEMAS else None)
    uris = pics.encode(max(budget - 400_000, budget // 2))
    cam = doc.get("camera") if isinstance(doc.get("camera"), Mapping) else None
    if schema in ARCHIVE_SCHEMAS:
        template, view = "archive.html", _archive_view(doc)
    elif schema == SCAN_SCHEMA:
        template, view = "scan.html", _scan_view(doc, uris, L)
    else:
        template, view = "check.html", _check_view(doc, uris, L)
    reg = articles.regulation()
    return render_template(
        template, **L.context(), report=view, schema=schema, title=L.t(_TITLES.get(schema, "title")),
        title_camera=cam.get("id") if cam else "", title_source=doc.get("source", ""),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=doc.get("tool_version") or __version__, camera=_camera_view(cam), regulation=reg,
        articles=doc.get("articles") or [],
    )


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a report file atomically (temp file in the same folder, then rename), creating its
    folder; an ordinary output file (0666 less the umask), not a private one."""
    return write_output(path, text)


def write_html(path: str | os.PathLike, report: Mapping[str, Any], **kwargs: Any) -> Path:
    """Render and write the HTML report atomically (temp file, then rename). Keyword arguments
    as for :func:`render_html`."""
    return write_text(path, render_html(report, **kwargs))


def write_check_report(result_json: Mapping[str, Any], html_path: str | os.PathLike, *,
                       frames: Mapping[int, fr.ImageLike] | Sequence[fr.ImageLike | None] | None = None,
                       baseline_image: fr.ImageLike | None = None, camera: Any = None,
                       frame_size: tuple[int, int] | None = None,
                       zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                       findings: Mapping[int, fr.Snapshot | fr.ImageLike] | None = None,
                       lang: Lang = "both") -> Path:
    """What ``check --html FILE`` calls: the check@1 dict, the offending frame of each event
    (a mapping event index -> image, or a list aligned with ``events``), the baseline view, the
    registry camera, the footage size and must-see zones (for drawing), privacy snapshots."""
    if frames is None:
        ev_imgs: dict[int, fr.ImageLike] = {}
    elif isinstance(frames, Mapping):
        ev_imgs = dict(frames)
    else:
        ev_imgs = {i: f for i, f in enumerate(frames) if f is not None}
    if zones is None and camera is not None:
        cz = (camera_facts(camera) or {}).get("zones")
        if isinstance(cz, Mapping):  # the registry's must-see zones; privacy masks are not drawn
            zones = {k: [tuple(p) for p in v] for k, v in cz.items() if not str(k).lower().startswith("privacy")}
    imgs = fr.ReportImages(baseline=baseline_image, events=ev_imgs, findings=dict(findings or {}),
                           frame_size=frame_size, zones=dict(zones or {}))
    return write_html(html_path, result_json, images=imgs, camera=camera, lang=lang)


def write_check_html(doc: Mapping[str, Any], path: str | os.PathLike, *, baseline: Any = None,
                     source: str | os.PathLike | None = None, camera: Any = None,
                     frames: Mapping[int, fr.ImageLike] | None = None,
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
                frames = fr.grab_frames(src, fr.event_times(doc.get("events") or []))
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
