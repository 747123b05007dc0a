"""`report`: inspector reports from check@1 / scan@1 JSON."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    DB_OPTION,
    HOME_OPTION,
    Lang,
    err,
    esc,
    fail,
    output_file,
)
from cctv_guard.core.errors import CctvGuardError

# report: inspector reports from check@1 / scan@1 JSON (cctv_guard.reports)


class _SummaryFormat(str, Enum):
    csv = "csv"
    md = "md"


def report_cmd(
    inputs: list[Path] = typer.Argument(..., metavar="REPORT.json...", help="check@1 or scan@1 JSON files."),
    html_out: Optional[Path] = typer.Option(None, "--html", metavar="FILE", callback=output_file, help="Write the self-contained HTML report (one input)."),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="FILE|-", callback=output_file, help="Write the JSON with camera and articles sections (one input)."),
    summary_out: Optional[str] = typer.Option(None, "--summary", metavar="FILE|-", callback=output_file, help="Write a one-row-per-camera summary of all inputs."),
    fmt: Optional[_SummaryFormat] = typer.Option(None, "--format", help="Summary format [default: from the file name, else csv]."),
    baseline_path: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", help="Draw this baseline view beside each event (frames are re-read from the report's source)."),
    camera_id: Optional[str] = typer.Option(None, "--camera", metavar="ID", help="Attach the registered camera's facts and registry findings."),
    home: Optional[Path] = HOME_OPTION,
    db: Optional[str] = DB_OPTION,
    lang: Lang = typer.Option(Lang.both, "--lang", help="Language of the HTML report."),
    regime: Optional[str] = typer.Option(None, "--regime", metavar="gansu-78|national-799", help="Cite one regime only in the events' and findings' legal lists [default: both]."),
    publish: bool = typer.Option(False, "--publish", help="An HTML report fit for publication (Order 799 Art. 22): people and any text (plates, name tags, screens) are pixelated in every picture."),
) -> None:
    """Turn check@1 / scan@1 JSON into an inspector's HTML report, enriched JSON, or a CSV /
    Markdown summary over many cameras. Stream credentials never reach the output.

    \b
    Examples:
      cctv-guard report check.json --html report.html --camera GS-LZ-0012 --baseline cam.baseline
      cctv-guard report scan.json --html scan.html --lang zh
      cctv-guard report audits/*.json --summary fleet.md
      cctv-guard report check.json --json - | jq .articles
      cctv-guard report check.json --json - --regime national-799
      cctv-guard report check.json --html public.html --publish --baseline cam.baseline
    """
    import json as _json

    from cctv_guard import reports as rp

    if html_out is None and json_out is None and summary_out is None:
        raise fail("nothing to write: give --html FILE, --json FILE|- or --summary FILE|-")
    if (html_out is not None or json_out is not None) and len(inputs) != 1:
        raise fail(f"--html and --json take one report, got {len(inputs)}; use --summary for many")
    if publish and html_out is None:
        raise fail("--publish masks the pictures of the HTML report: give --html FILE")
    try:
        from cctv_guard.legal import annotate_report

        docs = [annotate_report(rp.load_report(p), regime) for p in inputs]
        camera = None
        if camera_id is not None:
            from cctv_guard.registry import open_registry

            with open_registry(home, db) as reg:
                camera = reg.get_camera(camera_id)
        if json_out is not None:
            text = _json.dumps(rp.enrich(docs[0], camera), ensure_ascii=False, indent=2) + "\n"
            if json_out == "-":
                sys.stdout.write(text)
            else:
                rp.write_text(json_out, text)
        if html_out is not None:
            mask = None
            if publish:
                from cctv_guard.privacy.publish import Masker

                mask = Masker.load().mask
            shots = replace(rp.evidence_images(docs[0], inputs[0].parent), mask=mask)  # snapshots saved by --evidence DIR
            if baseline_path is not None and docs[0].get("schema") == rp.CHECK_SCHEMA:
                from cctv_guard.tamper.baseline import load_baseline

                rp.write_check_html(docs[0], html_out, baseline=load_baseline(baseline_path), camera=camera,
                                    findings=shots.findings, lang=lang.value, mask=mask)
            else:
                rp.write_html(html_out, docs[0], images=shots, camera=camera, lang=lang.value)
            err.print(f"wrote {esc(html_out)}")
        if summary_out is not None:
            kind = fmt.value if fmt else ("md" if str(summary_out).lower().endswith((".md", ".markdown")) else "csv")
            rows = rp.summary_rows(list(zip(docs, (str(p) for p in inputs))))
            if summary_out == "-":
                sys.stdout.write(rp.summary_text(rows, kind))
            else:
                rp.write_summary(rows, summary_out, kind)
                err.print(f"wrote {esc(summary_out)} ({len(rows)} rows)")
    except CctvGuardError as exc:
        from cctv_guard.core.redact import redact_text

        raise fail(redact_text(str(exc))) from None
