"""What each report page shows, shaped from the report dict for its template (pure functions:
no markup, no I/O). The templates print every value escaped.

Each event or finding shows first what an inspector reads (its name, description, the pictures,
start/end/confidence, the evidence and the plain measurements); the internals (registration
method, homography, raw JSON of nested measurements, the alert-protocol fields) are folded
under a ``<details>`` element. Times are shown with :func:`~cctv_guard.reports.model.clock`.
Citations are numbered like the cards they point to ("event #1", not ``events[0]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cctv_guard.registry.camera import CATEGORIES
from cctv_guard.reports import frames as fr
from cctv_guard.reports.i18n import Labels
from cctv_guard.reports.model import (
    ARCHIVE_SCAN_SCHEMA,
    citation,
    clock,
    fmt_value,
    safe_ref,
)

ARCHIVE_FINDINGS_SHOWN = 500  # the JSON report holds them all
ARCHIVE_ROWS_SHOWN = 2000

# Keys of an event (or its details) that are the tool's internals, not what an inspector reads.
INTERNAL_KEYS = frozenset({"homography", "registration", "legal", "onvif_topic", "gb28181"})
_SHOWN_FIRST = ("kind", "article", "start_s", "end_s", "confidence", "details", "evidence")


def _is_time_key(key: str) -> bool:
    return key.endswith("_s")


def _shown(key: str, value: Any) -> Any:
    """A value as a row shows it: times (keys ending in ``_s``) in the reports' one format."""
    if _is_time_key(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return clock(value)
    return value


def _is_internal(key: str, value: Any) -> bool:
    """Internals: the named keys, and nested values (a JSON dump is not for reading)."""
    if key in INTERNAL_KEYS:
        return True
    inner = value.values() if isinstance(value, Mapping) else value if isinstance(value, (list, tuple)) else ()
    return any(isinstance(x, (list, tuple, Mapping)) for x in inner)


def split_rows(pairs: Sequence[tuple[str, Any]], L: Labels) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(plain rows, internal rows) of (label, value) from (key, value) pairs."""
    plain, internal = [], []
    for k, v in pairs:
        (internal if _is_internal(k, v) else plain).append((L.field(k), _shown(k, v)))
    return plain, internal


def legal_text(items: Any, L: Labels) -> str | None:
    """An event's or finding's ``legal`` list as a person reads it: each regime with the duty
    breached and the penalty, e.g. "Gansu Order 78 Art. 8, penalty Art. 19(1); State Council Order
    799 Art. 23(2), penalty Art. 30" (the JSON list itself stays under the internals)."""
    if not isinstance(items, (list, tuple)) or not items:
        return None
    parts = []
    for c in items:
        if not isinstance(c, Mapping):
            continue
        regime = str(c.get("regime", ""))
        name = L.t(regime) if regime in ("gansu-78", "national-799") else regime
        penalty = f", {L.t('penalty').lower()} {L.art(c['penalty'])}" if c.get("penalty") else ""
        parts.append(f"{name} {L.art(c.get('article', '?'))}{penalty}")
    return "; ".join(parts) or None


def _with_legal(rows: list, item: Mapping[str, Any], L: Labels) -> list:
    text = legal_text(item.get("legal"), L)
    return rows + [(L.t("legal"), text)] if text else rows


def figures(uris: Mapping[str, str], prefix: str) -> list[str]:
    """The snapshots stored under ``prefix-0``, ``prefix-1``... in order."""
    return [u for _, u in sorted((int(k.rsplit("-", 1)[1]), u) for k, u in uris.items() if k.rsplit("-", 1)[0] == prefix)]


def camera_view(cam: Mapping[str, Any] | None, L: Labels) -> dict[str, Any] | None:
    if not cam:
        return None
    pairs = [(str(k), L.pick(CATEGORIES[v][2], v) if k == "category" and v in CATEGORIES else v)
             for k, v in cam.items() if k not in ("findings", "zones")]
    if cam.get("zones"):
        pairs.append(("zones", ", ".join(str(z) for z in cam["zones"])))
    rows, internal = split_rows(pairs, L)
    found = []
    for i, f in enumerate(cam.get("findings") or []):
        c = citation(f)
        found.append({"n": i + 1, "kind": L.kind_name(f.get("kind")),
                      "summary": L.kind_summary(f.get("kind"), c.summary if c else str(f.get("kind"))),
                      "article": L.art(f.get("article") or (c.ref if c else "?")),
                      "penalty": L.art(c.penalty_article if c else f.get("penalty_article")),
                      "details": L.fmt(f.get("details")) if f.get("details") else "",
                      "legal": legal_text(f.get("legal"), L)})
    return {"rows": rows + internal, "findings": found}


def event_views(events: Sequence[Mapping[str, Any]], uris: Mapping[str, str], L: Labels) -> list[dict[str, Any]]:
    out = []
    pictured_at = fr.event_times(events)  # when the pictured frame was taken
    for i, ev in enumerate(events):
        c = citation(ev)
        ref = ev.get("article") or (c.ref if c else "?")
        details = ev.get("details") if isinstance(ev.get("details"), Mapping) else {}
        rows = [(L.t("start"), clock(ev.get("start_s"))),
                (L.t("end"), clock(ev.get("end_s")) if ev.get("end_s") is not None else L.t("open")),
                (L.t("confidence"), ev.get("confidence"))]
        pairs = [(str(k), v) for k, v in details.items()]
        pairs += [(str(k), v) for k, v in ev.items() if k not in _SHOWN_FIRST]
        plain, internal = split_rows(pairs, L)
        pair = None
        if "baseline" in uris or f"event-{i}" in uris:
            pair = {"baseline": uris.get(f"baseline-{i}", uris.get("baseline")), "offending": uris.get(f"event-{i}"),
                    "shot": f"{L.kind_name(ev.get('kind'))} @ {clock(pictured_at.get(i))}"}
        out.append({"n": i + 1, "kind": L.kind_name(ev.get("kind")), "ref": L.art(ref), "anchor": safe_ref(ref),
                    "summary": L.kind_summary(ev.get("kind"), c.summary if c else None),
                    "rows": _with_legal(rows, ev, L) + plain,
                    "internal": internal, "evidence": [L.evidence(x) for x in ev.get("evidence") or []],
                    "pair": pair})
    return out


def finding_views(findings: Sequence[Mapping[str, Any]], uris: Mapping[str, str], prefix: str,
                  L: Labels, anchor: str = "finding") -> list[dict[str, Any]]:
    out = []
    for i, f in enumerate(findings):
        ref = f.get("article") or "9"
        cues = [{"cue": c.get("cue"), "score": fmt_value(c.get("score")), "box": fmt_value(c.get("box")) if c.get("box") else None}
                for c in (f.get("cues") or [])]
        out.append({"n": i + 1, "id": f"{anchor}-{i + 1}", "kind": L.kind_name(f.get("kind", "privacy")),
                    "zone": L.zone(f.get("zone")), "ref": L.art(ref), "anchor": safe_ref(ref),
                    "rows": _with_legal([(L.t("zone"), L.zone(f.get("zone"))), (L.t("confidence"), f.get("confidence"))], f, L),
                    "cues": cues, "figures": figures(uris, f"{prefix}-{i}")})
    return out


def check_view(doc: Mapping[str, Any], uris: Mapping[str, str], L: Labels) -> dict[str, Any]:
    events = doc.get("events") or []
    findings = doc.get("findings") or []
    known = {"schema", "source", "camera_id", "tool_version", "frames_analyzed", "duration_s", "verdict",
             "events", "findings", "camera", "articles"}
    return {
        "source": doc.get("source"), "verdict": str(doc.get("verdict")),
        "n_events": len(events), "n_findings": len(findings),
        "frames": fmt_value(doc.get("frames_analyzed")), "duration": clock(doc.get("duration_s")),
        "events": event_views(events, uris, L),
        "findings": finding_views(findings, uris, "finding", L),
        "baseline": uris["baseline"] if "baseline" in uris and not events else None,
        "diagnostics": [(L.field(k), _shown(k, v)) for k, v in doc.items() if k not in known],
    }


def scan_view(doc: Mapping[str, Any], uris: Mapping[str, str], L: Labels) -> dict[str, Any]:
    items = doc.get("items") or []
    counts: dict[str, int] = {}
    for it in items:
        counts[it.get("verdict", "?")] = counts.get(it.get("verdict", "?"), 0) + 1
    worst = "prohibited" if counts.get("prohibited") else ("inconclusive" if counts.get("inconclusive") else "clear")
    return {
        "verdict": worst, "counts": list(counts.items()),
        "scanned": [{"n": i + 1, "source": it.get("source"), "verdict": str(it.get("verdict")),
                     "figures": figures(uris, f"item-{i}"),
                     "findings": finding_views(it.get("findings") or [], {}, f"item{i}", L, anchor=f"item-{i + 1}-finding")}
                    for i, it in enumerate(items)],
    }


_ARCHIVE_COLUMNS = {  # English -> Chinese
    "camera": "摄像设备", "files": "文件数", "first": "最早", "last": "最晚", "days kept": "保存天数",
    "missing days": "缺失天数", "gaps": "中断", "short files": "过短文件", "file": "文件", "change": "变化",
    "size": "大小", "sealed mtime": "封存时修改时间", "within retention": "在存储期内", "detail": "说明",
    "seal": "封存", "sealed at": "封存时间", "seal intact": "封存完好", "signer trusted": "签名者可信",
    "sealed files": "封存文件数", "unchanged": "未变化",
}


def _col(L: Labels, name: str) -> str:
    return L.pick(_ARCHIVE_COLUMNS.get(name, name), name)


def archive_view(doc: Mapping[str, Any], L: Labels) -> dict[str, Any]:
    """Retention scan or seal verification: findings, then per-camera spans or the list of
    changed files (both capped: the JSON holds everything)."""
    findings = doc.get("findings") or []
    view: dict[str, Any] = {
        "verdict": str(doc.get("verdict")), "root": doc.get("root"), "is_scan": doc.get("schema") == ARCHIVE_SCAN_SCHEMA,
        "findings": [{"article": L.art(f.get("article")), "anchor": safe_ref(f.get("article")), "kind": L.kind_name(f.get("kind")),
                      "camera": f.get("camera") or "", "message": f.get("message"), "id": f"finding-{i + 1}"}
                     for i, f in enumerate(findings[:ARCHIVE_FINDINGS_SHOWN])],
        "more_findings": max(0, len(findings) - ARCHIVE_FINDINGS_SHOWN),
    }
    if view["is_scan"]:
        cols = ("camera", "files", "first", "last", "days kept", "missing days", "gaps", "short files")
        view["rows"] = [(c.get("camera"), c.get("files"), c.get("first"), c.get("last_end"), fmt_value(c.get("kept_days")),
                         len(c.get("missing_days") or []), len(c.get("gaps") or []), len(c.get("short_files") or []))
                        for c in (doc.get("cameras") or [])[:ARCHIVE_ROWS_SHOWN]]
    else:
        view["seal"] = [(_col(L, k), doc.get(key)) for k, key in (
            ("seal", "seal"), ("sealed at", "sealed_at"), ("seal intact", "seal_intact"), ("signer trusted", "signer_trusted"),
            ("sealed files", "sealed_files"), ("unchanged", "unchanged"))]
        cols = ("file", "change", "size", "sealed mtime", "within retention", "detail")
        view["rows"] = [(c.get("path"), c.get("kind"), c.get("size"), c.get("sealed_mtime"), c.get("within_retention"),
                         c.get("detail")) for c in (doc.get("changes") or [])[:ARCHIVE_ROWS_SHOWN]]
    view["columns"] = tuple(_col(L, c) for c in cols)
    return view


# --- citations, numbered like the cards -------------------------------------------------------------

_WHERE = re.compile(r"^(?:items\[(?P<item>\d+)\]\.)?(?P<part>events|findings|camera\.findings)\[(?P<i>\d+)\]$")


def cited_by(where: str, L: Labels) -> dict[str, str]:
    """``events[0]`` -> {"label": "event #1", "href": "#event-1"}; likewise findings, registry
    findings and scan items' findings. Anything else is shown as it is, unlinked."""
    m = _WHERE.match(str(where))
    if m is None:
        return {"label": str(where), "href": ""}
    n = int(m["i"]) + 1
    if m["item"] is not None:
        item = int(m["item"]) + 1
        return {"label": L.pick(f"检查对象 #{item} 发现 #{n}", f"item #{item} finding #{n}"),
                "href": f"#item-{item}-finding-{n}"}
    if m["part"] == "events":
        return {"label": L.pick(f"事件 #{n}", f"event #{n}"), "href": f"#event-{n}"}
    if m["part"] == "findings":
        return {"label": L.pick(f"发现 #{n}", f"finding #{n}"), "href": f"#finding-{n}"}
    return {"label": L.pick(f"登记信息问题 #{n}", f"registry finding #{n}"), "href": f"#camera-finding-{n}"}


def article_views(cited: Sequence[Mapping[str, Any]], L: Labels) -> list[dict[str, Any]]:
    """The ``articles`` section for the page: the duty's kind by name, citations numbered."""
    out = []
    for a in cited:
        view = dict(a)
        view["heading"] = L.pick(str(a.get("heading_zh") or ""), f"Article {a.get('ref')} — {a.get('topic')}")
        view["duties"] = [{**d, "kind": L.kind_name(d.get("kind")), "penalty": L.art(d.get("penalty_article"))}
                          for d in a.get("duties") or []]
        view["related"] = [L.art(r) for r in a.get("related") or []]
        view["cited_by"] = [cited_by(w, L) for w in a.get("cited_by") or []]
        out.append(view)
    return out
