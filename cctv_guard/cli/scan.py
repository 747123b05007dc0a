"""`scan`: the Art. 9 privacy scan on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    EXIT_FOUND,
    EXIT_OK,
    emit_json,
    err,
    esc,
    fail,
    output_file,
    plain_ticker,
)

# --- privacy scan: scan (issue 3) -------------------------------------------------------------

SCAN_HELP = """Art. 9 privacy scan: flag views of toilets, bathrooms, changing and nursing rooms, hotel
rooms, dormitories, PIN pads and bank counters, ballot boxes.

SOURCE may be image files, video files, stream URLs or folders; folders are searched
recursively and every image or video in them is its own item. Unreadable files are counted as
skipped. Exit code 1 when any item is prohibited, 0 when all are clear or inconclusive, 2 when
nothing could be scanned.

\b
Examples:
  cctv-guard scan photo.jpg shots/ footage.mp4 --json scan.json
  cctv-guard scan shots/ --evidence evidence/ --json -
  cctv-guard scan cam3.mp4 --config privacy.yaml --no-ocr
"""


def scan_cmd(
    sources: list[str] = typer.Argument(..., metavar="SOURCE...", help="Images, folders, videos or stream URLs."),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="FILE|-", callback=output_file, help="Write the scan@1 JSON report ('-' for stdout)."),
    evidence: Optional[Path] = typer.Option(None, "--evidence", metavar="DIR", help="Save an annotated snapshot per finding here."),
    no_blur: bool = typer.Option(False, "--no-blur", help="Do not blur people in evidence snapshots."),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE", help="privacy.yaml with thresholds, masks and custom detectors."),
    no_ocr: bool = typer.Option(False, "--no-ocr", help="Do not read sign text (faster; fewer cues)."),
    publish: bool = typer.Option(False, "--publish", help="Evidence fit for publication (Order 799 Art. 22): people and any text (plates, name tags, screens) are pixelated before a snapshot is written. Needs --evidence; not with --no-blur."),
) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from cctv_guard import privacy

    if publish and (evidence is None or no_blur):
        raise fail("--publish masks the --evidence snapshots: give --evidence DIR, and not --no-blur")
    mask = None
    if publish:
        from cctv_guard.privacy.publish import Masker

        mask = Masker.load().mask
    cfg = privacy.load_config(config) if config is not None else privacy.PrivacyConfig()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total}"),
                   TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task("scanning", total=None)

    ticker = plain_ticker("scan")

    def on_progress(p) -> None:  # a core.progress.Progress: files done (fractional within a video)
        bar.update(task, completed=p.done, total=p.total, description=f"scanning {esc(p.detail)}"[:60])
        ticker(p)

    with bar:
        report = privacy.scan_paths(sources, config=cfg, ocr=not no_ocr, evidence_dir=evidence,
                                    blur_people=not no_blur, progress=on_progress, mask=mask)
    if json_out is not None and report.items:  # nothing is written when nothing could be scanned
        from cctv_guard import reports

        emit_json(reports.enrich(report.to_json()), json_out)  # + the articles cited
    if report.items:
        table = Table(title="Art. 9 privacy scan", title_justify="left")
        for col in ("source", "verdict", "article", "zone", "confidence", "cues"):
            table.add_column(col, overflow="fold")
        colour = {"prohibited": "bold red", "clear": "green", "inconclusive": "yellow"}
        for it in report.items:
            verdict = f"[{colour[it.verdict]}]{it.verdict}[/]"
            if not it.findings:
                table.add_row(esc(it.source), verdict, "", "", "", esc(it.reason or ""))
            for k, f in enumerate(it.findings):
                cues = ", ".join(f"{c.cue} {c.score:.2f}" for c in f.cues[:4])
                zone = f"{f.zone} ({f.category})" if f.category else f.zone
                table.add_row(esc(it.source) if k == 0 else "", verdict if k == 0 else "", f.article, zone,
                              f"{f.confidence:.2f}", esc(cues))
        err.print(table)
    for it in report.items:
        for p in it.evidence:
            err.print(f"evidence: {esc(p)}")
    counts = {v: sum(1 for i in report.items if i.verdict == v) for v in ("prohibited", "clear", "inconclusive")}
    err.print(f"{len(report.items)} scanned: {counts['prohibited']} prohibited, {counts['clear']} clear, "
              f"{counts['inconclusive']} inconclusive; {len(report.skipped)} skipped")
    for s in report.skipped:
        err.print(f"[yellow]skipped:[/] {esc(s.source)}: {esc(s.reason)}", soft_wrap=True)
    if not report.items:
        raise fail("nothing could be scanned" + (f" ({report.skipped[0].reason})" if len(report.skipped) == 1 else ""))
    raise typer.Exit(EXIT_FOUND if report.prohibited else EXIT_OK)
