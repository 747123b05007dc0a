"""The fleet audit's summary page (``summary.html`` of an audit run), rendered through the same
Jinja2 environment and escaping as the inspector reports (:mod:`cctv_guard.reports.html`).

:func:`audit_summary_html` takes the ``cctv-guard/audit@1`` summary dict the fleet audit makes
(``fleet.audit.summarise``) and the run folder (to link each flagged camera to its first
violating check: the HTML report when one was written next to the JSON, else the JSON). The
page is self-contained: inline CSS, an inline SVG map of the cameras' lat/lon coloured by
verdict (no map tiles: works offline).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cctv_guard import __version__
from cctv_guard.reports.html import with_cjk_font
from cctv_guard.reports.i18n import Labels, Lang

AUDIT_SCHEMA = "cctv-guard/audit@1"  # fleet.audit.SUMMARY_SCHEMA
VERDICT_ORDER = ("violation", "failed", "pending", "inconclusive", "compliant")  # worst first
VERDICT_COLOURS = {"violation": "#d7263d", "failed": "#7d3c98", "pending": "#adb5bd", "inconclusive": "#f4a261",
                   "compliant": "#2a9d8f"}
MAP_LABELS_UP_TO = 40  # cameras named beside their dot on small maps (all have a tooltip)


def _map_view(cameras: Sequence[Mapping[str, Any]], L: Labels, width: int = 640, height: int = 420) -> dict[str, Any] | None:
    """Where each camera with coordinates goes on the map (None when none has any). Longitude is
    scaled by cos(latitude) so distances look right; the worst verdicts are drawn last (on top)."""
    pts = [c for c in cameras if c.get("lat") is not None and c.get("lon") is not None]
    if not pts:
        return None
    lats = [float(c["lat"]) for c in pts]
    lons = [float(c["lon"]) for c in pts]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [lo * k for lo in lons]
    x0, x1, y0, y1 = min(xs), max(xs), min(lats), max(lats)
    span = max(x1 - x0, y1 - y0, 1e-6)
    pad = 20
    scale = min((width - 2 * pad) / span, (height - 2 * pad) / span)
    dots = []
    for c, x, y in sorted(zip(pts, xs, lats), key=lambda t: VERDICT_ORDER.index(t[0]["verdict"])
                          if t[0]["verdict"] in VERDICT_ORDER else -1, reverse=True):
        cx = pad + (x - x0) * scale + ((width - 2 * pad) - (x1 - x0) * scale) / 2
        cy = height - pad - (y - y0) * scale - ((height - 2 * pad) - (y1 - y0) * scale) / 2
        dots.append({"cx": f"{cx:.1f}", "cy": f"{cy:.1f}", "colour": VERDICT_COLOURS.get(c["verdict"], "#999"),
                     "title": f"{c['camera_id']} ({c.get('district') or L.t('audit_no_district')}): {L.verdict_name(c['verdict'])}",
                     "label": str(c["camera_id"]) if len(pts) <= MAP_LABELS_UP_TO else None,
                     "lx": f"{cx + 7:.1f}", "ly": f"{cy + 4:.1f}"})
    return {"width": width, "height": height, "dots": dots, "n": len(pts),
            "extent": f"{L.field('lat')} {min(lats):.4f} … {max(lats):.4f}, {L.field('lon')} {min(lons):.4f} … {max(lons):.4f}"}


def _check_link(checks: Sequence[str], run_dir: Path | None) -> str | None:
    """The first violating check of a camera, relative to the run folder: its HTML report when
    one exists beside the JSON, else the JSON (None when there is none)."""
    if not checks:
        return None
    first = str(checks[0])
    stem = first.removesuffix(".json")
    if run_dir is not None and (run_dir / (stem + ".html")).is_file():
        return stem + ".html"
    return first


def audit_summary_html(summary: Mapping[str, Any], run_dir: str | os.PathLike | None = None, *, lang: Lang = "en") -> str:
    """A self-contained HTML dashboard of a fleet audit: totals, counts by verdict / article /
    district, the map, the cameras with violations (linked to their check) and the failed items,
    in ``lang`` (``zh``, ``en`` or ``both``; with Chinese, a subset of a CJK font is embedded).
    Every value from the summary is escaped."""
    L = Labels(lang)
    run = Path(run_dir) if run_dir is not None else None
    t = summary["totals"]
    days = list(summary["days"])
    cameras = list(summary["cameras"])
    flagged = [{"camera_id": c["camera_id"], "href": _check_link(c.get("checks") or [], run),
                "cells": (c.get("district") or "", L.verdict_name(c["verdict"]), c["events"], c["findings"],
                          ", ".join([f"{L.kind_name(k)}×{n}" for k, n in (c.get("kinds") or {}).items()]
                                    + [f"{L.kind_name(k)} ({L.t('audit_registry')})" for k in c.get("registry_findings") or ()]),
                          ", ".join(str(a) for a in c.get("articles") or []), c["items_failed"])}
               for c in cameras if c["verdict"] in ("violation", "failed")]
    window = days[0] if len(days) == 1 else f"{days[0]} … {days[-1]}"
    checks = ", ".join(str(k) for k, v in summary["checks"].items() if v)
    map_view = _map_view(cameras, L)
    context = dict(
        **L.context(),
        page_title=L.t("audit_title").format(window=window), doc_title=L.t("audit_doc_title").format(window=window),
        totals_text=L.t("audit_totals").format(cameras=t["cameras"], done=t["items_done"], items=t["items"],
                                               failed=t["items_failed"], hours=f"{float(t['footage_h']):.2f}", checks=checks),
        complete=bool(summary["complete"]),
        cards=[(summary["by_verdict"].get(v, 0), v) for v in VERDICT_ORDER],
        verdict_names=tuple(L.verdict_name(v) for v in VERDICT_ORDER),
        colours=[(VERDICT_COLOURS.get(v, "#999"), v) for v in VERDICT_ORDER],
        by_article=[(a, c.get("cameras", 0), c.get("events", 0), c.get("findings", 0))
                    for a, c in summary["by_article"].items()],
        by_district=[(d, *(c.get(v, 0) for v in VERDICT_ORDER)) for d, c in summary["by_district"].items()],
        map=map_view, flagged=flagged,
        map_extent=L.t("audit_map_extent").format(extent=map_view["extent"], n=map_view["n"], n_cameras=len(cameras))
        if map_view else "",
        failures=[(f["camera_id"], f["day"], f["source"] or "", f["reason"]) for f in summary["failures"]],
        tool_version=summary.get("tool_version", __version__), schema=summary.get("schema", AUDIT_SCHEMA),
    )
    return with_cjk_font("audit_summary.html", context)
