"""The report document: the ``check@1`` / ``scan@1`` / archive JSON shapes a report is made from,
their validation, and their enrichment with the camera's facts and the articles cited.

* :func:`enrich` adds a ``camera`` section (registry facts, stream URI redacted) and an
  ``articles`` section (each cited article or clause in Chinese and English, the duty violated
  and the penalty article) to a report dict. Every string of the result passes through
  :func:`cctv_guard.core.redact.redact_json`: no credentials leave through a report.
* :func:`load_report` reads and validates a report file; :func:`validate_report` checks a dict
  (one-line :class:`~cctv_guard.core.errors.ConfigError` naming the key).
* :func:`fmt_value` / :func:`clock` are how a value and a time are shown to a person, in the
  HTML page and in the Markdown summary alike (one time format: ``mm:ss.s (S.s s)``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from cctv_guard.core.errors import CctvGuardError, ConfigError
from cctv_guard.core.redact import redact_json, redact_uri
from cctv_guard.legal import articles
from cctv_guard.legal.mapping import gansu_article

CHECK_SCHEMA = "cctv-guard/check@1"
SCAN_SCHEMA = "cctv-guard/scan@1"
ARCHIVE_SCAN_SCHEMA = "cctv-guard/archive-scan@1"  # archive.SCAN_SCHEMA
ARCHIVE_VERIFY_SCHEMA = "cctv-guard/archive-verify@1"  # archive.VERIFY_SCHEMA
ARCHIVE_SCHEMAS = (ARCHIVE_SCAN_SCHEMA, ARCHIVE_VERIFY_SCHEMA)


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


_MODELS = {CHECK_SCHEMA: _Check, SCAN_SCHEMA: _Scan, ARCHIVE_SCAN_SCHEMA: _Archive, ARCHIVE_VERIFY_SCHEMA: _Archive}


def validate_report(report: Mapping[str, Any]) -> str:
    """Check the shape of a check@1 / scan@1 / archive dict; returns its schema. One-line ConfigError."""
    if not isinstance(report, Mapping):
        raise ConfigError(f"report: expected a JSON object, found {type(report).__name__}")
    schema = report.get("schema")
    model = _MODELS.get(schema)  # type: ignore[arg-type]
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
    validate_report(doc)
    return doc


# --- how values are shown ---------------------------------------------------------------------------------


def fmt_value(v: Any) -> str:
    """A value as a person reads it: — for nothing, yes/no, floats without trailing zeros, JSON for lists."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".") if math.isfinite(v) else str(v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def clock(s: Any) -> str:
    """Seconds as the reports show every time: ``mm:ss.s (S.s s)``, e.g. ``01:15.2 (75.2 s)``
    (minutes keep counting past an hour: ``62:03.4 (3723.4 s)``); — for a missing time."""
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s):
        return "—"
    tenths = round(abs(float(s)) * 10)
    m, t = divmod(tenths, 600)
    sign = "-" if s < 0 and tenths else ""
    return f"{sign}{m:02d}:{t // 10:02d}.{t % 10} ({sign}{tenths / 10:.1f} s)"


# --- citations -----------------------------------------------------------------------------------------


def camera_facts(camera: Any) -> dict[str, Any] | None:
    """A camera (registry ``Camera``, dataclass or mapping) as JSON facts, its stream URI redacted."""
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


def cited_items(report: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
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


def ref_key(ref: str) -> tuple[int, int]:
    """Article order of a reference the catalogue can parse."""
    a, c = articles.parse_ref(ref)
    return a, c or 0


def sort_key(ref: str) -> tuple[int, int]:
    """Article order; references this catalogue cannot parse go last."""
    try:
        return ref_key(ref)
    except CctvGuardError:
        return 999, 0


def citation(item: Mapping[str, Any]) -> articles.Citation | None:
    """The catalogue's citation for an event or finding; None for a kind it does not know."""
    try:
        return articles.cite(item)
    except CctvGuardError:
        return None  # a kind this catalogue does not know: cited by its own article only


def safe_ref(ref: Any) -> str:
    """The catalogue id of a reference (the anchor of its card), or "unknown"."""
    try:
        return articles.resolve(str(ref)).id
    except CctvGuardError:
        return "unknown"


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

    for where, item in cited_items(report):
        c = citation(item)
        refs = []
        own = gansu_article(item)  # None for a finding Order 78 does not cite (docs/legal.md)
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
            e["related"] = sorted(set(e["related"]) | set(c.related), key=ref_key)
    return [entries[k] for k in sorted(entries, key=ref_key)]


def enrich(report: Mapping[str, Any], camera: Any = None) -> dict[str, Any]:
    """A copy of a check@1 / scan@1 report with ``camera`` and ``articles`` sections.

    ``camera`` is a registry ``Camera`` (its ``to_dict()``, which also lists registry findings
    such as ``filing_overdue``), a dataclass or a mapping of facts; without it a report with a
    ``camera_id`` gets ``{"id": ...}``. Events and findings without an ``article`` get the
    catalogue's. The whole result is credential-redacted."""
    validate_report(report)
    out = copy.deepcopy(dict(report))
    facts = camera_facts(camera)
    if facts is None and out.get("camera_id"):
        facts = dict(out["camera"]) if isinstance(out.get("camera"), Mapping) else {"id": out["camera_id"]}
    if facts is not None:
        out["camera"] = facts
    for _where, item in cited_items(out):
        if not item.get("article"):
            c = citation(item)
            if c is not None:
                item["article"] = c.ref  # type: ignore[index]
    out["articles"] = cited_articles(out)
    return redact_json(out)
