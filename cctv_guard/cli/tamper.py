"""`baseline` and `check`: the tamper core (Art. 8, 16, 17) on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    DB_OPTION,
    EXIT_FOUND,
    EXIT_OK,
    HOME_OPTION,
    ZONE_HELP,
    Lang,
    emit_json,
    err,
    esc,
    fail,
    output_file,
    seconds_option,
    tamper_progress,
    time_offset,
)
from cctv_guard.core.errors import CctvGuardError


def baseline_cmd(
    source: str = typer.Argument(..., metavar="SOURCE", help="Known-good footage: video file, image folder, image or stream URL."),
    out_path: Path = typer.Option(..., "--out", metavar="FILE", callback=output_file, help="Baseline file to write (atomically)."),
    start: Optional[float] = typer.Option(None, "--start", callback=time_offset, metavar="S", help="Window start, seconds from the source start."),
    end: Optional[float] = typer.Option(None, "--end", callback=time_offset, metavar="S", help="Window end (exclusive), seconds."),
    every: Optional[str] = typer.Option(None, "--every", metavar="S", callback=lambda v: seconds_option(v, "--every"), help="Sample a frame every S seconds (0.5, 0.5s, 500ms; default: up to 60 frames spread over the window)."),
    zone: Optional[list[str]] = typer.Option(None, "--zone", metavar="NAME=x,y;x,y;...", help=ZONE_HELP),
    add_profile: Optional[str] = typer.Option(None, "--add-profile", metavar="NAME", help="Add (or replace) a lighting profile, e.g. night, in the existing --out baseline instead of writing a new one."),
) -> None:
    """Record a camera's reference field of view from known-good footage.

    The baseline holds a temporal median view (robust to people and traffic passing), keypoint
    features, per-cell texture and sharpness with their natural spread, brightness and sensor
    noise, and optional named zones. Add an IR night profile from night footage with
    --add-profile night; `check` picks the profile that fits each frame.

    \b
    Examples:
      cctv-guard baseline site12.mp4 --out site12.baseline --end 60
      cctv-guard baseline site12.mp4 --out site12.baseline --end 60 --zone "must_see=100,300;600,300;600,470;100,470"
      cctv-guard baseline site12-night.mp4 --out site12.baseline --end 60 --add-profile night
    """

    from cctv_guard.tamper import baseline as bl

    zones = {}
    if zone:
        from cctv_guard.registry import parse_zone

        for spec in zone:
            z = parse_zone(spec)
            zones[z.name] = z.points
    bar, update = tamper_progress("baseline")
    with bar:
        if add_profile is not None:
            if zones:
                raise fail("--zone cannot be combined with --add-profile (zones belong to the whole baseline)")
            current = bl.load_baseline(out_path)
            b = bl.add_profile(current, source, add_profile, start=start, end=end, every=every, progress=update)
        else:
            b = bl.build_baseline(source, start=start, end=end, every=every, zones=zones, progress=update)
    bl.save_baseline(b, out_path)
    unmeasured = [p.name for p in b.profiles.values() if p.key_noise is None]
    if unmeasured and _inter_coded(source):
        err.print(f"[yellow]note:[/] profile {esc(', '.join(unmeasured))}: the window held no keyframe after its first "
                  "frame, so the picture's change at keyframes is not measured (keyframes-only checks will say so); "
                  "use a window of at least 10 s", soft_wrap=True)
    err.print(
        f"baseline [bold]{esc(str(out_path))}[/]: {b.frame_size[0]}x{b.frame_size[1]}, profiles "
        + ", ".join(f"{esc(p.name)} ({p.frames} frames, {len(p.keypoints)} keypoints)" for p in b.profiles.values())
        + (f", zones {', '.join(esc(k) for k in b.zones)}" if b.zones else "")
    )


def _inter_coded(source: str) -> bool:
    """Whether the footage has keyframes and frames coded from them (a video, not images)."""
    from cctv_guard.media.sources import inter_coded, open_source

    try:
        with open_source(source) as src:
            return inter_coded(src.info)
    except CctvGuardError:
        return False


def _fmt_details(details: dict) -> str:
    keep = ("shift_pct", "shift_px", "rotation_deg", "scale", "coverage_iou", "zones_visible", "covered_fraction",
            "region", "sharpness_ratio", "frame_diff", "luma", "gap_s", "registered")
    parts = []
    for k in keep:
        if k in details and details[k] is not None:
            parts.append(f"{k}={details[k]}")
    return ", ".join(parts)


def check_cmd(
    source: str = typer.Argument(..., metavar="SOURCE", help="Footage to check: video file, image folder, image or stream URL."),
    baseline_path: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", help="Baseline file written by `cctv-guard baseline`."),
    camera: Optional[str] = typer.Option(None, "--camera", metavar="ID", help="Use the registered camera's current baseline and zones."),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="FILE|-", callback=output_file, help="Write the check@1 JSON report ('-' for stdout)."),
    html_out: Optional[Path] = typer.Option(None, "--html", metavar="FILE", callback=output_file, help="Write an HTML report."),
    no_privacy: bool = typer.Option(False, "--no-privacy", help="Skip the Art. 9 privacy scan of representative frames."),
    every: Optional[str] = typer.Option(None, "--every", metavar="S", callback=lambda v: seconds_option(v, "--every"), help="Analyse one frame every S seconds (0.5, 0.5s, 500ms; decodes every frame)."),
    keyframes_only: bool = typer.Option(False, "--keyframes-only", help="Decode and analyse keyframes only (fastest)."),
    start: Optional[float] = typer.Option(None, "--start", callback=time_offset, metavar="S", help="Check from S seconds."),
    end: Optional[float] = typer.Option(None, "--end", callback=time_offset, metavar="S", help="Check up to S seconds."),
    lang: Lang = typer.Option(Lang.both, "--lang", help="Language of the HTML report."),
    home: Optional[Path] = HOME_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Check footage against a camera's baseline: moved, rotated, zoomed, coverage lost (Art. 8),
    covered, defocused, blackout, frozen, signal lost (Art. 16(7)).

    Default sampling: files up to 5 minutes long are analysed every 0.2 s; longer files
    keyframes-only (at the speed of decoding keyframes); streams every 0.5 s.
    Exit code 1 when events or privacy findings were found, 0 when compliant, 2 for bad input.

    \b
    Examples:
      cctv-guard check later.mp4 --baseline site12.baseline --json report.json
      cctv-guard check day.mp4 --baseline site12.baseline --keyframes-only --json - > report.json
      cctv-guard check rtsp://cam12/stream --camera GS-LZ-0012 --end 60 --html report.html
    """
    from rich.table import Table

    from cctv_guard import reports, workflow
    from cctv_guard.tamper import baseline as bl

    if (baseline_path is None) == (camera is None):
        raise fail("give exactly one of --baseline FILE or --camera ID")
    cam = None
    if camera is not None:
        from cctv_guard.registry import open_registry

        with open_registry(home, db) as reg:
            cam = reg.get_camera(camera)
            found = workflow.resolve_camera(reg, camera)
        b = workflow.camera_baseline(found.baseline, found.zones, problem=found.problem)
    else:
        b = bl.load_baseline(baseline_path)
    bar, update = tamper_progress("checking")
    with bar:
        checked = workflow.check_camera(source, b, camera=cam, camera_id=camera, privacy=not no_privacy,
                                        every=every, keyframes_only=keyframes_only, start=start, end=end,
                                        progress=update)
    result, doc = checked.result, checked.doc
    if result.verdict == "inconclusive":  # nothing is written or recorded for a check that saw no frame
        for note in result.notes:
            err.print(f"[yellow]note:[/] {esc(note)}", soft_wrap=True)
        past = f" (is --start {start:g} past its end?)" if start else ""
        raise fail(f"no frame of the footage could be analysed{past}")
    if json_out is not None:
        emit_json(doc, json_out)
    if html_out is not None:
        reports.write_check_html(doc, html_out, baseline=b, camera=cam, frames=result.event_frames, lang=lang.value)
    if cam is not None:
        from cctv_guard.registry import open_registry

        with open_registry(home, db) as reg:
            workflow.record_check(reg, cam.id, doc, report_path=html_out)
    if result.events:
        table = Table(title="tamper events", title_justify="left")
        for col in ("kind", "article", "start s", "confirmed s", "end s", "confidence", "measurements"):
            table.add_column(col, overflow="fold")
        for e in result.events:
            table.add_row(e.kind, e.article, f"{e.start_s:.2f}", f"{e.confirmed_s:.2f}",
                          "ongoing" if e.end_s is None else f"{e.end_s:.2f}", f"{e.confidence:.2f}",
                          esc(_fmt_details(dict(e.details))))
        err.print(table)
    for f in result.findings:
        err.print(f"[bold red]privacy:[/] Art. {esc(str(f.get('article')))} {esc(str(f.get('zone')))} "
                  f"(confidence {f.get('confidence', 0):.2f})")
    for v in result.visibility:
        err.print(f"[yellow]reduced visibility[/] {v.start_s:.1f}-{v.end_s:.1f} s (not tampering)")
    for note in result.notes:
        err.print(f"[yellow]note:[/] {esc(note)}", soft_wrap=True)
    colour = {"violation": "bold red", "compliant": "green", "inconclusive": "yellow"}[result.verdict]
    extra = f", {result.frames_undetermined} undetermined" if result.frames_undetermined else ""
    extra += f", {result.corrupt_skipped} corrupt skipped" if result.corrupt_skipped else ""
    registry_findings = checked.registry_findings
    for f in registry_findings:
        err.print(f"[bold red]registry:[/] {esc(str(f.get('kind')))} (Art. {esc(str(f.get('article')))}, "
                  f"penalty Art. {esc(str(f.get('penalty_article')))})")
    extra += f", {len(registry_findings)} registry findings" if registry_findings else ""
    err.print(f"[{colour}]{result.verdict}[/]: {len(result.events)} events, {len(result.findings)} findings; "
              f"{result.frames_analyzed} frames analysed{extra}")
    raise typer.Exit(EXIT_FOUND if checked.found else EXIT_OK)
