"""`archive`: retention, gaps and signed seals of footage archives (Art. 16, 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    EXIT_FOUND,
    EXIT_OK,
    HOME_OPTION,
    archive_progress,
    emit_json,
    err,
    esc,
    human_bytes,
    out,
    output_file,
)
from cctv_guard.core.durations import parse_duration, parse_when

# --- archive and ledger (issue 7) -------------------------------------------------------------

archive_app = typer.Typer(
    help="Footage retention and gaps (Art. 16(7), 16(8)) and signed integrity seals (Art. 17(2)).",
    no_args_is_help=True,
)


def _print_findings(findings) -> None:
    for f in findings:
        where = f"{f.camera}: " if f.camera else ""
        err.print(f"[bold red]{f.article}[/] {f.kind}: {esc(where + f.message)}", soft_wrap=True)


def _print_problems(problems, limit: int = 20) -> None:
    for p in problems[:limit]:
        err.print(f"[yellow]warning:[/] {esc(p.path)}: {esc(p.problem)}", soft_wrap=True)
    if len(problems) > limit:
        err.print(f"[yellow]warning:[/] … and {len(problems) - limit} more problems (see --json)")


@archive_app.command("scan")
def archive_scan_cmd(
    root: Path = typer.Argument(..., help="Archive directory (an NVR export)."),
    camera_pattern: str = typer.Option(
        ..., "--camera-pattern", "-p",
        help="Where files live, relative to ROOT: {camera}, {date:STRFTIME}, optional {time:STRFTIME}, * and ?.",
    ),
    min_days: int = typer.Option(30, "--min-days", help="Days of footage that must be kept (Art. 16(8))."),
    gap: str = typer.Option("60s", "--gap", help="Report recording gaps longer than this (e.g. 60s, 5m)."),
    nominal: Optional[str] = typer.Option(None, "--nominal", help="Nominal file length (default: the median per camera)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge as of this date/time (default: end of the newest footage)."),
    no_probe: bool = typer.Option(False, "--no-probe", help="Use file names only; do not read container durations."),
    declared_days: Optional[int] = typer.Option(None, "--declared-days", min=1, max=36500, metavar="DAYS", help="The cameras' declared storage period: footage kept longer (and over 30 days) without a --hold is an advisory retention_excess finding (Order 799 Art. 17)."),
    hold: Optional[list[str]] = typer.Option(None, "--hold", metavar="GLOB", help="Footage under a hold or marked important, as a glob on the path relative to ROOT (repeatable); never reported as kept too long."),
    json_out: Optional[str] = typer.Option(None, "--json", callback=output_file, help="Write cctv-guard/archive-scan@1 JSON to FILE, or - for stdout."),
    html_out: Optional[Path] = typer.Option(None, "--html", metavar="FILE", callback=output_file, help="Write a self-contained HTML report."),
) -> None:
    """Per camera: how far back footage is kept, missing days, recording gaps, short files.

    Times come from file names, durations from the container headers (no decoding).
    Exit 1 when a camera keeps less than --min-days of footage (16(8)) or has gaps (16(7)).

    \b
    Examples:
      cctv-guard archive scan /nvr/export --camera-pattern "{camera}/{date:%Y%m%d}/*.mp4"
      cctv-guard archive scan /nvr/export -p "{camera}/{date:%Y-%m-%d}/{time:%H%M%S}.mp4" --gap 5m --json scan.json
      cctv-guard archive scan /nvr/export -p "{camera}_{date:%Y%m%d_%H%M%S}.ts" --as-of 2026-11-28 --json -
    """
    from rich.table import Table

    from cctv_guard import custody as archive

    gap_s = parse_duration(gap, "--gap")
    nominal_s = parse_duration(nominal, "--nominal") if nominal else None
    when = parse_when(as_of, "--as-of") if as_of else None
    bar, _ = archive_progress("scanning")
    with bar:
        task = bar.tasks[0].id
        report = archive.scan_archive(
            root, camera_pattern, min_days=min_days, gap_s=gap_s, as_of=when, nominal_s=nominal_s,
            probe=not no_probe, progress=lambda p: bar.update(task, description=f"scanning: {p.done:.0f} files"),
            declared_days=declared_days, hold=tuple(hold or ()),
        )
    if json_out:
        emit_json(archive.scan_to_json(report), json_out)
    if html_out:
        from cctv_guard import reports

        reports.write_html(html_out, archive.scan_to_json(report))
    table = Table("camera", "files", "size", "oldest", "kept days", "missing days", "gaps", "short files",
                  title=f"Archive {esc(report.root)} as of {report.as_of:%Y-%m-%d %H:%M}")
    for c in report.cameras:
        gap_total = sum(g.duration_s for g in c.gaps)
        table.add_row(
            esc(c.camera), str(c.files), human_bytes(c.bytes), f"{c.first:%Y-%m-%d %H:%M}",
            f"[red]{c.kept_days:.1f}[/]" if c.kept_days < report.min_days else f"{c.kept_days:.1f}",
            str(len(c.missing_days)), f"{len(c.gaps)} ({archive.format_span(gap_total)})" if c.gaps else "0",
            str(len(c.short_files)),
        )
    (err if json_out == "-" else out).print(table)
    if not report.cameras:
        err.print(f"[yellow]no file under {esc(str(root))} matches {esc(camera_pattern)!s}[/] ({report.unmatched} other files)")
    _print_findings(report.findings)
    _print_problems(list(report.problems))
    raise typer.Exit(EXIT_FOUND if any(not f.advisory for f in report.findings) else EXIT_OK)  # advisories do not fail


FOLLOW_HELP = "Follow symlinks that point outside ROOT too (default: warn and leave them out)."


def _trusted_keys(home: Optional[str], key: Optional[Path], public_keys: list[str]) -> list[str]:
    from cctv_guard.core.home import resolve_home
    from cctv_guard.custody.signing import default_key_path, parse_public_hex, trusted_public_hex

    given = [parse_public_hex(k) for k in public_keys]  # a mistyped key is an error, not an untrusted seal
    found = [trusted_public_hex(key) if key else None, trusted_public_hex(default_key_path(resolve_home(home)))]
    return [k for k in found if k] + given


@archive_app.command("seal")
def archive_seal_cmd(
    root: Path = typer.Argument(..., help="Archive directory to seal."),
    key: Optional[Path] = typer.Option(None, "--key", help="Ed25519 private key (PEM); created if missing. Default: the home's key."),
    home: Optional[str] = HOME_OPTION,
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Directory for the manifest (default ROOT/.cctv-guard)."),
    full: bool = typer.Option(False, "--full", help="Re-hash every file, even those whose size and mtime are unchanged."),
    important: list[str] = typer.Option([], "--important", help="Glob (relative path) of important copies kept 2 years; repeatable."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Hashing threads (default: up to 4)."),
    settle: str = typer.Option("60s", "--settle", help="Leave out files modified more recently than this (still recording)."),
    no_probe: bool = typer.Option(False, "--no-probe", help="Do not read durations/timestamps from video headers."),
    follow_outside: bool = typer.Option(False, "--follow-outside-links", help=FOLLOW_HELP),
    json_out: Optional[str] = typer.Option(None, "--json", callback=output_file, help="Write a JSON summary to FILE, or - for stdout."),
) -> None:
    """Record a signed, hash-chained manifest of every file under ROOT.

    Each entry holds path, size, mtime, SHA-256 and (for videos) duration and first/last
    timestamp; the head is signed with Ed25519. Re-sealing re-hashes only files whose size or
    mtime changed (unless --full). The manifest appears atomically; a crash leaves no partial seal.

    \b
    Examples:
      cctv-guard archive seal /nvr/export
      cctv-guard archive seal /nvr/export --important "GS-LZ-0012/20261120/*" --full
      cctv-guard archive seal /nvr/export --out /secure/seals --key /secure/seal.pem
    """

    from cctv_guard import custody as archive
    from cctv_guard.core.home import resolve_home
    from cctv_guard.custody.signing import default_key_path, load_or_create_key

    settle_s = parse_duration(settle, "--settle")
    home_dir = resolve_home(home)
    signing_key = load_or_create_key(key if key else default_key_path(home_dir))
    bar, update = archive_progress("sealing")
    with bar:
        result = archive.seal_archive(root, signing_key, out_dir=out_dir, full=full, important=important,
                                      probe=not no_probe, jobs=jobs, progress=update, index=home_dir / archive.SEAL_INDEX,
                                      settle_s=settle_s, follow_outside=follow_outside)
    if json_out:
        emit_json({
            "schema": "cctv-guard/archive-seal@1", "seal": str(result.path), "files": result.count, "bytes": result.bytes,
            "hashed": result.hashed, "reused": result.reused, "unreadable": result.unreadable,
            "still_recording": result.skipped, "head": result.head,
            "previous": str(result.previous) if result.previous else None, "public_key": signing_key.public_hex,
            "problems": [{"path": p.path, "problem": p.problem} for p in result.problems],
        }, json_out)
    err.print(
        f"sealed {result.count} files ({human_bytes(result.bytes)}): {result.hashed} hashed, {result.reused} unchanged "
        f"since {esc(result.previous.name) if result.previous else 'no previous seal'}\n"
        f"manifest {esc(str(result.path))}\nhead {result.head}  key {signing_key.public_hex[:16]}…",
        soft_wrap=True,
    )
    _print_problems(list(result.problems))
    if result.skipped:
        err.print(f"[yellow]note:[/] {result.skipped} files changed in the last {esc(settle)} were left out as still being "
                  "recorded; seal again once they are complete, or pass --settle 0 to seal files just copied in", soft_wrap=True)


@archive_app.command("verify")
def archive_verify_cmd(
    root: Path = typer.Argument(..., help="Archive directory to check against its seal."),
    seal: Optional[Path] = typer.Option(None, "--seal", help="Seal manifest to check against (default: the newest)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Directory holding the seals (default ROOT/.cctv-guard)."),
    home: Optional[str] = HOME_OPTION,
    key: Optional[Path] = typer.Option(None, "--key", help="Trust the public half of this private key too."),
    public_key: list[str] = typer.Option([], "--public-key", help="Trust this Ed25519 public key (hex); repeatable."),
    full: bool = typer.Option(False, "--full", help="Re-hash every file instead of trusting unchanged size+mtime."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge retention as of this time (default: now)."),
    retention_days: int = typer.Option(30, "--retention-days", help="Storage period of ordinary footage (Art. 16(8))."),
    follow_outside: bool = typer.Option(False, "--follow-outside-links", help=FOLLOW_HELP),
    json_out: Optional[str] = typer.Option(None, "--json", callback=output_file, help="Write cctv-guard/archive-verify@1 JSON to FILE, or - for stdout."),
    html_out: Optional[Path] = typer.Option(None, "--html", metavar="FILE", callback=output_file, help="Write a self-contained HTML report."),
) -> None:
    """Check the seal's signature and chain, then list altered, deleted and added files.

    Exit 1 when the seal is broken or signed by an unknown key, a newer seal recorded in the
    home is missing or replaced, a file was altered, or footage was deleted inside its storage
    period (30 days; 2 years for important copies) — Art. 17(2).

    \b
    Examples:
      cctv-guard archive verify /nvr/export
      cctv-guard archive verify /nvr/export --full --json verify.json
      cctv-guard archive verify /mnt/copy --public-key 3b6a27bc… --as-of 2026-11-28
    """

    from cctv_guard import custody as archive
    from cctv_guard.core.home import resolve_home

    when = parse_when(as_of, "--as-of") if as_of else None
    trusted = _trusted_keys(home, key, public_key)
    bar, update = archive_progress("verifying")
    with bar:
        report = archive.verify_archive(root, seal=seal, out_dir=out_dir, trusted_keys=trusted, full=full, as_of=when,
                                        retention_days=retention_days, progress=update,
                                        index=resolve_home(home) / archive.SEAL_INDEX, follow_outside=follow_outside)
    if json_out:
        emit_json(archive.verify_to_json(report), json_out)
    if html_out:
        from cctv_guard import reports

        reports.write_html(html_out, archive.verify_to_json(report))
    s = report.seal
    status = "[green]intact[/]" if s.broken is None else f"[bold red]BROKEN[/] ({esc(s.broken)})"
    signer = {True: "trusted key", False: "[red]unknown key[/]", None: "no trusted key to compare (use --public-key)"}[s.signer_trusted]
    err.print(f"seal {esc(s.path.name)} ({s.header.created if s.header else '?'}, {s.count} files): {status}, {signer}", soft_wrap=True)
    counts = {k: len(report.of(k)) for k in ("altered", "deleted", "added", "touched", "unreadable")}
    err.print(f"{report.unchanged} unchanged, " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for c in report.changes:
        if c.kind == "deleted" and not c.within_retention:
            note = " (past its storage period)"
        elif c.kind == "deleted" or c.kind == "altered":
            note = " [red](inside the storage period)[/]" if c.within_retention else ""
        else:
            note = f" ({esc(c.detail)})" if c.detail else ""
        (err if json_out == "-" else out).print(f"{c.kind:<10} {esc(c.path)}{note}", soft_wrap=True)
    _print_findings(report.findings)
    _print_problems(list(report.problems))
    raise typer.Exit(EXIT_FOUND if report.findings else EXIT_OK)
