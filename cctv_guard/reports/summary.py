"""The many-camera summary: one row per check@1 report (per camera) and one per scan@1 item, as
CSV (through :func:`cctv_guard.core.tables.csv_text`: formula-safe, one record per line) or as
a Markdown table (cells escaped)."""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import ConfigError
from cctv_guard.core.redact import redact_uri
from cctv_guard.core.tables import csv_text
from cctv_guard.reports.model import (
    SCAN_SCHEMA,
    citation,
    clock,
    fmt_value,
    ref_key,
    sort_key,
    validate_report,
)


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
    refs = sorted({str(x.get("article")) for x in cited if x.get("article")}, key=sort_key)
    pens = sorted({c.penalty_article for c in (citation(x) for x in cited) if c}, key=ref_key)
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
        schema = validate_report(doc)
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


def _md_cell(v: Any, field: str = "") -> str:
    """A Markdown cell: times (fields ending in ``_s``) in the reports' one format, other values as
    :func:`fmt_value` shows them, escaped."""
    s = "" if v is None else clock(v) if field.endswith("_s") else fmt_value(v)
    s = s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return html.escape(s, quote=False).replace("`", "\\`")


def summary_text(rows: Sequence[SummaryRow | Mapping[str, Any]], fmt: Literal["csv", "md"] = "csv") -> str:
    """The summary document: rows, or check@1 / scan@1 dicts (made into rows here)."""
    rows = [x for r in rows for x in ([r] if isinstance(r, SummaryRow) else summary_rows([r]))]
    if fmt == "csv":
        return csv_text(SUMMARY_FIELDS, ([getattr(r, f) for f in SUMMARY_FIELDS] for r in rows))
    if fmt == "md":
        by_verdict = _counted(r.verdict for r in rows)
        lines = [f"**{len(rows)} rows** — {by_verdict or 'none'}", "",
                 "| " + " | ".join(SUMMARY_FIELDS) + " |", "|" + "---|" * len(SUMMARY_FIELDS)]
        lines += ["| " + " | ".join(_md_cell(getattr(r, f), f) for f in SUMMARY_FIELDS) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    raise ConfigError(f"summary format: expected 'csv' or 'md', found {fmt!r}")


def write_summary(rows: Sequence[SummaryRow | Mapping[str, Any]], path: str | os.PathLike,
                  fmt: Literal["csv", "md"] = "csv") -> Path:
    """Write the many-camera summary (rows, or check@1 / scan@1 dicts) as CSV or Markdown, atomically."""
    return write_output(path, summary_text(rows, fmt))
