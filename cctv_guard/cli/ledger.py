"""`ledger`: the tamper-evident access ledger (Art. 16(3))."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cctv_guard.cli.common import (
    EXIT_FOUND,
    HOME_OPTION,
    emit_json,
    err,
    esc,
    out,
    output_file,
)

ledger_app = typer.Typer(
    help="The tamper-evident access ledger: who retrieved or copied footage, when and why (Art. 16(3)).",
    no_args_is_help=True,
)


def _ledger_home(home: Optional[str]) -> Path:
    from cctv_guard.core.home import resolve_home

    return resolve_home(home)


@ledger_app.command("record")
def ledger_record_cmd(
    who: str = typer.Option(..., "--who", help="Name of the person retrieving the footage."),
    unit: str = typer.Option(..., "--unit", help="Their unit or organisation."),
    purpose: str = typer.Option(..., "--purpose", help="Why (case number, request)."),
    camera: str = typer.Option(..., "--camera", help="Camera id."),
    t_from: str = typer.Option(..., "--from", help="Start of the footage retrieved (ISO, e.g. 2026-11-20T08:00)."),
    t_to: str = typer.Option(..., "--to", help="End of the footage retrieved."),
    action: str = typer.Option(..., "--action", help="view, export or copy."),
    copies: Optional[int] = typer.Option(None, "--copies", min=0, max=1_000_000, help="Copies made (default 0 for view, 1 otherwise)."),
    home: Optional[str] = HOME_OPTION,
    json_out: Optional[str] = typer.Option(None, "--json", callback=output_file, help="Write the recorded entry as JSON to FILE, or - for stdout."),
) -> None:
    """Append one retrieval or copy of footage to the access ledger (Art. 16(3)).

    \b
    Examples:
      cctv-guard ledger record --who "Li Wei" --unit "Chengguan PSB" --purpose "case 2026-118" \\
          --camera GS-LZ-0012 --from 2026-11-20T08:00 --to 2026-11-20T09:00 --action export --copies 1
    """
    from cctv_guard.custody import ledger
    from cctv_guard.custody.signing import default_key_path, load_or_create_key

    request = ledger.access_request(who=who, unit=unit, purpose=purpose, camera=camera, t_from=t_from, t_to=t_to,
                                    action=action, copies=copies)
    h = _ledger_home(home)
    entry = ledger.record_access(h, request, load_or_create_key(default_key_path(h)))
    if json_out:
        emit_json(entry.to_json(), json_out)
    err.print(f"recorded entry {entry.seq}: {entry.action} of {esc(entry.camera)} {entry.t_from}–{entry.t_to} by {esc(entry.who)} ({esc(entry.unit)})",
              markup=False, soft_wrap=True)


@ledger_app.command("show")
def ledger_show_cmd(
    camera: Optional[str] = typer.Option(None, "--camera", help="Only this camera's entries."),
    home: Optional[str] = HOME_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print cctv-guard/ledger@1 JSON instead of a table."),
) -> None:
    """List the access ledger's entries, oldest first.

    \b
    Examples:
      cctv-guard ledger show --camera GS-LZ-0012
      cctv-guard ledger show --json > ledger.json
    """
    from rich.table import Table

    from cctv_guard.custody import ledger
    from cctv_guard.custody.signing import default_key_path, trusted_public_hex

    h = _ledger_home(home)
    entries = ledger.list_entries(h, camera=camera)
    check = ledger.verify_ledger(h, trusted_key=trusted_public_hex(default_key_path(h)))
    if not check.intact:
        err.print(f"[bold red]warning:[/] the ledger is broken at entry {check.broken_seq}: {esc(check.broken or '')}", soft_wrap=True)
    if as_json:
        emit_json(ledger.ledger_to_json(entries, check), "-")
        return
    table = Table(title="Access ledger (Art. 16(3))")
    for name in ("#", "recorded (UTC)", "who / unit", "purpose", "camera", "footage", "action"):
        table.add_column(name, overflow="fold")  # never elide a name or a camera id
    for e in entries:
        table.add_row(
            str(e.seq), e.recorded_at.replace("+00:00", "").replace("T", " "), f"{esc(e.who)}\n{esc(e.unit)}",
            esc(e.purpose), esc(e.camera), f"{esc(e.t_from)}\n{esc(e.t_to)}", f"{e.action} ×{e.copies}",
        )
    out.print(table)


@ledger_app.command("verify")
def ledger_verify_cmd(
    home: Optional[str] = HOME_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check the ledger's hash chain and signed head; report the first broken link (exit 1).

    Detects edited, deleted, reordered, replayed and truncated entries, and a ledger database
    swapped for an older copy.

    \b
    Examples:
      cctv-guard ledger verify
      cctv-guard ledger verify --home /srv/cctv-guard --json
    """
    from cctv_guard.custody import ledger
    from cctv_guard.custody.signing import default_key_path, trusted_public_hex

    h = _ledger_home(home)
    check = ledger.verify_ledger(h, trusted_key=trusted_public_hex(default_key_path(h)))
    if as_json:
        emit_json({"schema": "cctv-guard/ledger-verify@1", "ledger": str(ledger.ledger_path(h)), "entries": check.entries,
                    "intact": check.intact, "broken_seq": check.broken_seq, "broken": check.broken,
                    "head_seq": check.head_seq, "signer_trusted": check.signer_trusted}, "-")
    if check.intact:
        err.print(f"ledger intact: {check.entries} entries, signed head at entry {check.head_seq}")
        return
    err.print(f"[bold red]16(3)[/] ledger broken at entry {check.broken_seq}: {esc(check.broken)}", soft_wrap=True)
    raise typer.Exit(EXIT_FOUND)


@ledger_app.command("export")
def ledger_export_cmd(
    csv_out: Path = typer.Option(..., "--csv", callback=output_file, help="CSV file to write (UTF-8 with BOM)."),
    camera: Optional[str] = typer.Option(None, "--camera", help="Only this camera's entries."),
    home: Optional[str] = HOME_OPTION,
) -> None:
    """Export the ledger to CSV for the police, with each entry's hashes; exit 1 if the chain is broken.

    \b
    Examples:
      cctv-guard ledger export --csv ledger.csv
      cctv-guard ledger export --csv gs-lz-0012.csv --camera GS-LZ-0012
    """

    from cctv_guard.custody import ledger

    n, check = ledger.export_csv(_ledger_home(home), csv_out, camera=camera)
    err.print(f"wrote {n} entries to {esc(str(csv_out))}")
    if not check.intact:
        err.print(f"[bold red]16(3)[/] warning: the ledger is broken at entry {check.broken_seq}: {esc(check.broken or '')}", soft_wrap=True)
        raise typer.Exit(EXIT_FOUND)
