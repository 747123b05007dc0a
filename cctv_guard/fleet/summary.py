"""The fleet summary: built from the plan and the item records (`summarise`, pure and
deterministic), written as summary.json / summary.csv / summary.html, and delivered where
fleet.yaml's `notify` says."""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from cctv_guard import __version__
from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import CctvGuardError
from cctv_guard.core.tables import csv_text
from cctv_guard.core.webhook import post_json
from cctv_guard.fleet.plan import check_relpath

if TYPE_CHECKING:
    from cctv_guard.fleet.run import AuditRun

SUMMARY_SCHEMA = "cctv-guard/audit@1"
MAP_LABELS_UP_TO = 40  # cameras named beside their dot on small maps (all have a tooltip)
VERDICT_ORDER = ("violation", "failed", "pending", "inconclusive", "compliant")  # worst first
VERDICT_COLOURS = {"violation": "#d7263d", "failed": "#7d3c98", "pending": "#adb5bd", "inconclusive": "#f4a261",
                   "compliant": "#2a9d8f"}


def _worst(verdicts: Iterable[str]) -> str:
    vs = set(verdicts)
    return next((v for v in VERDICT_ORDER if v in vs), "failed")


def summarise(run_doc: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict:
    """The fleet summary from the plan and the item records. Deterministic: the same records
    give the same summary whatever the engine, the order of completion or the number of runs."""
    by_item = {r["item_id"]: r for r in records}
    cameras = {c["camera_id"]: c for c in run_doc["cameras"]}
    per_cam: dict[str, list] = {cid: [] for cid in cameras}
    for it in run_doc["items"]:
        per_cam.setdefault(it["camera_id"], []).append(by_item.get(it["item_id"]))
    rows, failures = [], []
    by_verdict: Counter[str] = Counter()
    by_article: dict[str, Counter] = {}
    by_district: dict[str, Counter] = {}
    footage = 0.0
    notes: dict[str, set] = {}  # what checks said about the cameras' baselines (rebuild them)
    for cid in sorted(per_cam):
        recs = per_cam[cid]
        meta = cameras.get(cid, {})
        verdicts, kinds, articles = [], Counter(), set()
        n_events = n_findings = 0
        cam_footage = 0.0
        flagged_checks = []
        for r in recs:
            if r is None:
                verdicts.append("pending")
                continue
            if r["status"] != "ok":
                verdicts.append("failed")
                failures.append({"item_id": r["item_id"], "camera_id": cid, "day": r["day"], "source": r["source"],
                                 "reason": r["reason"]})
                continue
            chk = r["check"]
            verdicts.append(chk.get("verdict", "inconclusive"))
            for note in chk.get("notes") or ():
                notes.setdefault(str(note), set()).add(cid)
            if chk.get("verdict") == "violation":
                flagged_checks.append(check_relpath(r))
            cam_footage += float(chk.get("duration_s") or 0.0)
            for e in chk.get("events", []):
                kinds[e.get("kind", "?")] += 1
                art = str(e.get("article", "?"))
                articles.add(art)
                by_article.setdefault(art, Counter())["events"] += 1
                n_events += 1
            for f in chk.get("findings", []):
                art = str(f.get("article", "?"))
                articles.add(art)
                by_article.setdefault(art, Counter())["findings"] += 1
                n_findings += 1
        for art in articles:
            by_article[art]["cameras"] += 1
        verdict = _worst(verdicts)
        by_verdict[verdict] += 1
        district = meta.get("district") or "(none)"
        by_district.setdefault(district, Counter())[verdict] += 1
        footage += cam_footage
        rows.append({"camera_id": cid, "district": meta.get("district"), "lat": meta.get("lat"), "lon": meta.get("lon"),
                     "verdict": verdict, "items": len(recs), "items_failed": verdicts.count("failed"),
                     "events": n_events, "findings": n_findings, "kinds": dict(sorted(kinds.items())),
                     "articles": sorted(articles, key=_article_key), "footage_h": round(cam_footage / 3600, 4),
                     "checks": flagged_checks})
    n_done = sum(1 for r in records if r is not None)
    return {
        "schema": SUMMARY_SCHEMA,
        "tool_version": run_doc.get("tool_version", __version__),
        "created": run_doc.get("created"),
        "days": list(run_doc["days"]),
        "checks": dict(run_doc["config"].get("checks", {})),
        "sampling": dict(run_doc["config"].get("sampling", {})),
        "complete": n_done == len(run_doc["items"]),
        "totals": {"cameras": len(rows), "items": len(run_doc["items"]), "items_done": n_done,
                   "items_failed": len(failures), "footage_h": round(footage / 3600, 4)},
        "by_verdict": {v: by_verdict[v] for v in VERDICT_ORDER if by_verdict[v]},
        "by_article": {a: dict(sorted(by_article[a].items())) for a in sorted(by_article, key=_article_key)},
        "by_district": {d: {v: c[v] for v in VERDICT_ORDER if c[v]} for d, c in sorted(by_district.items())},
        "cameras": rows,
        "failures": sorted(failures, key=lambda f: f["item_id"]),
        "baseline_notes": {n: sorted(notes[n]) for n in sorted(notes)},
    }


def _article_key(a: str) -> tuple:
    m = re.match(r"(\d+)(?:\((\d+)\))?", a)
    return (int(m.group(1)), int(m.group(2) or 0), a) if m else (999, 0, a)


SUMMARY_CSV_COLUMNS = ("camera_id", "district", "lat", "lon", "verdict", "items", "items_failed", "events",
                       "findings", "kinds", "articles", "footage_h")


def summary_csv(summary: Mapping[str, Any]) -> str:
    """summary.csv: one row per camera (SUMMARY_CSV_COLUMNS), through `core.tables.csv_text`, so a
    camera id or district such as ``=cmd|...`` or ``+1+1`` is text, not a formula, in a spreadsheet."""

    def value(row: Mapping[str, Any], col: str) -> Any:
        v = row.get(col)
        if col == "kinds":
            return ";".join(f"{k}:{n}" for k, n in v.items())
        if col == "articles":
            return ";".join(v)
        return v

    return csv_text(SUMMARY_CSV_COLUMNS, ([value(row, col) for col in SUMMARY_CSV_COLUMNS] for row in summary["cameras"]))


def map_svg(cameras: Sequence[Mapping[str, Any]], width: int = 640, height: int = 420) -> str:
    """An inline SVG scatter of the cameras' lat/lon coloured by verdict (no map tiles: works
    offline). Longitude is scaled by cos(latitude) so distances look right."""
    pts = [c for c in cameras if c.get("lat") is not None and c.get("lon") is not None]
    if not pts:
        return '<p class="muted">No camera has coordinates.</p>'
    lats = [float(c["lat"]) for c in pts]
    lons = [float(c["lon"]) for c in pts]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [lo * k for lo in lons]
    x0, x1, y0, y1 = min(xs), max(xs), min(lats), max(lats)
    span = max(x1 - x0, y1 - y0, 1e-6)
    pad = 20
    scale = min((width - 2 * pad) / span, (height - 2 * pad) / span)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="cameras by verdict"><rect width="100%" height="100%" fill="#f8f9fa"/>']
    for c, x, y in sorted(zip(pts, xs, lats), key=lambda t: VERDICT_ORDER.index(t[0]["verdict"])
                          if t[0]["verdict"] in VERDICT_ORDER else -1, reverse=True):
        cx = pad + (x - x0) * scale + ((width - 2 * pad) - (x1 - x0) * scale) / 2
        cy = height - pad - (y - y0) * scale - ((height - 2 * pad) - (y1 - y0) * scale) / 2
        colour = VERDICT_COLOURS.get(c["verdict"], "#999")
        title = html.escape(f"{c['camera_id']} ({c.get('district') or 'no district'}): {c['verdict']}")
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}" stroke="#222" stroke-width="0.5">'
                     f"<title>{title}</title></circle>")
        if len(pts) <= MAP_LABELS_UP_TO:
            parts.append(f'<text x="{cx + 7:.1f}" y="{cy + 4:.1f}" font-size="11" fill="#333">'
                         f"{html.escape(str(c['camera_id']))}</text>")
    parts.append("</svg>")
    extent = (f'<p class="muted">lat {min(lats):.4f} … {max(lats):.4f}, lon {min(lons):.4f} … {max(lons):.4f}'
              f" ({len(pts)} of {len(cameras)} cameras have coordinates)</p>")
    return "".join(parts) + extent


class Markup(str):
    """Text that is already HTML (not escaped again by `_table`)."""


def _cell(x: Any) -> str:
    return str(x) if isinstance(x, Markup) else html.escape(str(x))


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{_cell(x)}</td>" for x in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(summary: Mapping[str, Any], run_dir: Path | None = None) -> str:
    """A self-contained HTML dashboard: totals, counts by verdict / article / district, the map,
    the cameras with violations and the failed items."""
    t = summary["totals"]
    days = summary["days"]
    window = days[0] if len(days) == 1 else f"{days[0]} … {days[-1]}"
    verdicts = list(VERDICT_ORDER)
    legend = " ".join(f'<span class="dot" style="background:{VERDICT_COLOURS.get(v, "#999")}"></span>{v}'
                      for v in VERDICT_ORDER)
    flagged = [c for c in summary["cameras"] if c["verdict"] in ("violation", "failed")]

    def link(c: Mapping[str, Any]) -> str:
        first = c["checks"][0] if c["checks"] else None
        name = html.escape(c["camera_id"])
        if first is None:
            return name
        target = html.escape(first[:-5] + ".html" if run_dir is not None and (run_dir / first[:-5]).with_suffix(".html").exists() else first)
        return f'<a href="{target}">{name}</a>'

    cards = "".join(f'<div class="card"><b>{summary["by_verdict"].get(v, 0)}</b><br>{v}</div>' for v in VERDICT_ORDER)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cctv-guard fleet audit {html.escape(window)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:.5em 0 1.5em}}
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:left}} th{{background:#eee}}
.card{{display:inline-block;border:1px solid #ccc;border-radius:6px;padding:.6em 1.2em;margin:.3em;text-align:center}}
.dot{{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin:0 .3em 0 1em}} .muted{{color:#777}}
</style></head><body>
<h1>Fleet audit {html.escape(window)}</h1>
<p>{t['cameras']} cameras, {t['items_done']} of {t['items']} recordings checked ({t['items_failed']} failed),
{t['footage_h']:.2f} h of footage. Checks: {html.escape(', '.join(k for k, v in summary['checks'].items() if v))}.
{'' if summary['complete'] else '<b>The audit is not complete.</b>'}</p>
<div>{cards}</div>
<h2>By article</h2>
{_table(("article", "cameras", "events", "findings"), ((a, c.get("cameras", 0), c.get("events", 0), c.get("findings", 0)) for a, c in summary["by_article"].items())) if summary["by_article"] else '<p class="muted">No events or findings.</p>'}
<h2>By district</h2>
{_table(("district", *verdicts), ((d, *(c.get(v, 0) for v in verdicts)) for d, c in summary["by_district"].items()))}
<h2>Map</h2>
<p>{legend}</p>
{map_svg(summary["cameras"])}
<h2>Cameras needing attention</h2>
{_table(("camera", "district", "verdict", "events", "findings", "kinds", "articles", "failed items"), ((Markup(link(c)), c["district"] or "", c["verdict"], c["events"], c["findings"], ", ".join(f"{k}×{n}" for k, n in c["kinds"].items()), ", ".join(c["articles"]), c["items_failed"]) for c in flagged)) if flagged else '<p class="muted">None.</p>'}
<h2>Failed items</h2>
{_table(("camera", "day", "recording", "reason"), ((f["camera_id"], f["day"], f["source"] or "", f["reason"]) for f in summary["failures"])) if summary["failures"] else '<p class="muted">None.</p>'}
<p class="muted">cctv-guard {html.escape(str(summary['tool_version']))} · {SUMMARY_SCHEMA}</p>
</body></html>
"""


def write_json(path: Path, data: Any, *, private: bool = False) -> Path:
    """Every JSON file of an audit (run, records, checks, summary): UTF-8, indented, written
    atomically with the output file mode (`private`: 0600, for files that may hold credentials)."""
    return write_output(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n", private=private)


def write_summary_files(run: AuditRun, summary: Mapping[str, Any]) -> list[Path]:
    """DIR/summary.{json,csv,html}, as many as fleet.yaml's outputs.summary asks for."""
    out = []
    fmts = run.config.outputs.summary
    if "json" in fmts:
        out.append(write_json(run.dir / "summary.json", summary))
    if "csv" in fmts:
        out.append(write_output(run.dir / "summary.csv", summary_csv(summary)))
    if "html" in fmts:
        out.append(write_output(run.dir / "summary.html", summary_html(summary, run.dir)))
    return out


def notify(run: AuditRun, summary: Mapping[str, Any]) -> list[str]:
    """Deliver the summary where fleet.yaml says; returns warnings (a failed delivery does not
    fail the audit). The webhook goes through `core.webhook.post_json`: credentials in its URL
    are sent as basic auth and never appear in a warning."""
    cfg = run.config.notify
    warnings = []
    if cfg.file:
        try:
            write_json(Path(cfg.file), summary)
        except (OSError, CctvGuardError) as exc:
            warnings.append(f"notify.file: cannot write {cfg.file}: {exc}")
    if cfg.webhook:
        try:
            post_json(cfg.webhook, summary, timeout_s=cfg.timeout_s, user_agent=f"cctv-guard/{__version__}")
        except CctvGuardError as exc:  # WebhookError (unreachable, non-2xx), ConfigError (not an http(s) URL)
            warnings.append(f"notify.webhook: {exc}")
    return warnings
