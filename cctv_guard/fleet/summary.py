"""The fleet summary: built from the plan and the item records (`summarise`, pure and
deterministic), written as summary.json / summary.csv / summary.html, and delivered where
fleet.yaml's `notify` says."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from cctv_guard import __version__
from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import CctvGuardError
from cctv_guard.core.tables import csv_text
from cctv_guard.core.webhook import post_json
from cctv_guard.fleet.config import FleetConfig
from cctv_guard.fleet.plan import check_relpath
from cctv_guard.reports import audit_summary_html

SUMMARY_SCHEMA = "cctv-guard/audit@1"
VERDICT_ORDER = ("violation", "failed", "pending", "inconclusive", "compliant")  # worst first


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
        registry_kinds = []
        for f in meta.get("findings") or ():  # the registry's own findings (filing, signage...): the camera's, not a recording's
            art = str(f.get("article", "?"))
            articles.add(art)
            by_article.setdefault(art, Counter())["findings"] += 1
            n_findings += 1
            registry_kinds.append(str(f.get("kind", "?")))
        for art in articles:
            by_article[art]["cameras"] += 1
        verdict = _worst(verdicts + (["violation"] if registry_kinds else []))
        by_verdict[verdict] += 1
        district = meta.get("district") or "(none)"
        by_district.setdefault(district, Counter())[verdict] += 1
        footage += cam_footage
        rows.append({"camera_id": cid, "district": meta.get("district"), "lat": meta.get("lat"), "lon": meta.get("lon"),
                     "verdict": verdict, "items": len(recs), "items_failed": verdicts.count("failed"),
                     "events": n_events, "findings": n_findings, "kinds": dict(sorted(kinds.items())),
                     "registry_findings": sorted(registry_kinds),
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
                       "findings", "kinds", "articles", "footage_h", "registry_findings")


def summary_csv(summary: Mapping[str, Any]) -> str:
    """summary.csv: one row per camera (SUMMARY_CSV_COLUMNS), through `core.tables.csv_text`, so a
    camera id or district such as ``=cmd|...`` or ``+1+1`` is text, not a formula, in a spreadsheet."""

    def value(row: Mapping[str, Any], col: str) -> Any:
        v = row.get(col)
        if col == "kinds":
            return ";".join(f"{k}:{n}" for k, n in v.items())
        if col in ("articles", "registry_findings"):
            return ";".join(v or ())
        return v

    return csv_text(SUMMARY_CSV_COLUMNS, ([value(row, col) for col in SUMMARY_CSV_COLUMNS] for row in summary["cameras"]))


def write_json(path: Path, data: Any, *, private: bool = False) -> Path:
    """Every JSON file of an audit (run, records, checks, summary): UTF-8, indented, written
    atomically with the output file mode (`private`: 0600, for files that may hold credentials)."""
    return write_output(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n", private=private)


def write_summary_files(run_dir: Path, config: FleetConfig, summary: Mapping[str, Any]) -> list[Path]:
    """DIR/summary.{json,csv,html}, as many as fleet.yaml's outputs.summary asks for."""
    out = []
    fmts = config.outputs.summary
    if "json" in fmts:
        out.append(write_json(run_dir / "summary.json", summary))
    if "csv" in fmts:
        out.append(write_output(run_dir / "summary.csv", summary_csv(summary)))
    if "html" in fmts:
        out.append(write_output(run_dir / "summary.html", audit_summary_html(summary, run_dir, lang=config.outputs.lang or "en")))
    return out


def notify(config: FleetConfig, summary: Mapping[str, Any]) -> list[str]:
    """Deliver the summary where fleet.yaml says; returns warnings (a failed delivery does not
    fail the audit). The webhook goes through `core.webhook.post_json`: credentials in its URL
    are sent as basic auth and never appear in a warning."""
    cfg = config.notify
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
