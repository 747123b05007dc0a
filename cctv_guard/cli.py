"""The command line: a thin typer layer. It parses arguments, calls one library function,
and renders the result with rich. Only this module imports typer and rich.

Exit codes (DESIGN.md §3): 0 compliant / nothing found, 1 violations or events found,
2 usage or input error (one-line message), 3 internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from cctv_guard import __version__
from cctv_guard.errors import CctvGuardError

EXIT_OK, EXIT_FOUND, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="cctv-guard",
    help="Check CCTV cameras for compliance with the Gansu Public Security Video "
    "Information System Management Measures (Order No. 78, 2011).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Diagnostics and tables go to stderr so that `--json -` keeps stdout clean.
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def fail(message: str, code: int = EXIT_INPUT) -> "typer.Exit":
    """Print a one-line error and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"cctv-guard {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """cctv-guard: tamper, drift and privacy checks for CCTV cameras."""


# --- tamper core: baseline / check (issue 2) ------------------------------------------------

# --- privacy scan: scan (issue 3) -------------------------------------------------------------

# --- registry, articles, reports: camera / articles (issue 4) ---------------------------------

# --- archive and ledger (issue 7) -------------------------------------------------------------


def main() -> None:
    """Entry point: run the typer app, mapping errors to the documented exit codes."""
    try:
        app(standalone_mode=False)
    except CctvGuardError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # usage errors from the parser, and genuine bugs
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):  # click/typer usage errors
            show()
            sys.exit(EXIT_INPUT)
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", markup=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
