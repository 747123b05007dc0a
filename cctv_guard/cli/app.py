"""The command line: a thin typer layer. Each command group lives in its own module of this package
(tamper, scan, camera, articles, report, archive, ledger, watch, audit) and parses arguments, calls
the library, and renders the result with rich; `common` holds what they share. Only this package
imports typer and rich.

Exit codes (docs/cli.md): 0 compliant / nothing found, 1 violations or events found,
2 usage or input error (one-line message), 3 internal error.
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Optional

import typer
from typer.core import TyperArgument, TyperOption

from cctv_guard import __version__
from cctv_guard.cli import archive, articles, audit, camera, ledger, report, scan, tamper, watch
from cctv_guard.cli.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, err, esc, fail, out
from cctv_guard.core.errors import CctvGuardError

# How typer shows a parameter's value in --help: plain words instead of Python annotations
# ('<str>', '<list[str]>'), and nothing for flags, which take no value.
_TYPE_WORDS = {"<str>": "TEXT", "<int>": "INTEGER", "<float>": "NUMBER", "<Path>": "PATH", "<list[str]>": "TEXT",
               "<list[Path]>": "PATH", "<bool>": None}


def _plain_type(display):
    def show(param, ctx):
        if getattr(param, "is_flag", False):
            return None
        label = display(param, ctx)
        return _TYPE_WORDS.get(label, label)

    return show


TyperOption.display_type_rich = _plain_type(TyperOption.display_type_rich)
TyperArgument.display_type_rich = _plain_type(TyperArgument.display_type_rich)

app = typer.Typer(
    name="cctv-guard",
    help="Check CCTV cameras for compliance with the Gansu Public Security Video "
    "Information System Management Measures (Order No. 78, 2011).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


app.command("baseline")(tamper.baseline_cmd)
app.command("check")(tamper.check_cmd)
app.command("scan", help=scan.SCAN_HELP)(scan.scan_cmd)
app.add_typer(camera.camera_app, name="camera")
app.command("articles")(articles.articles_cmd)
app.command("report")(report.report_cmd)
app.add_typer(archive.archive_app, name="archive")
app.add_typer(ledger.ledger_app, name="ledger")
app.command("watch")(watch.watch_cmd)
app.command("audit", help=audit.AUDIT_HELP)(audit.audit_cmd)


def _reflow(doc: str | None) -> str | None:
    """A help text whose paragraphs are single lines, so the terminal wraps them once (the sources
    are wrapped at 100 columns); paragraphs marked with \\b (examples) keep their lines."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _guard_commands(typer_app: typer.Typer) -> None:
    """Make every command turn a CctvGuardError into a one-line error and exit code 2, so the
    behaviour is the same through `main()`, `python -m cctv_guard` and typer's CliRunner."""

    def guard(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except CctvGuardError as exc:
                raise fail(str(exc), exc.exit_code) from None
            except OSError as exc:  # a path the user gave cannot be read or written
                where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
                raise fail(f"{exc.strerror or exc}{where}") from None

        return wrapper

    for command in typer_app.registered_commands:
        if command.callback is not None and not getattr(command.callback, "__wrapped__", None):
            command.help = _reflow(command.help or command.callback.__doc__)
            command.callback = guard(command.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_commands(group.typer_instance)


_guard_commands(app)


def main() -> None:
    """Entry point: run the typer app, mapping errors to the documented exit codes."""
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of raising it.
        code = app(standalone_mode=False)
    except CctvGuardError as exc:
        fail(str(exc))
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
        if callable(getattr(exc, "format_message", None)) and hasattr(exc, "exit_code"):  # click/typer usage errors
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "cctv-guard"
            fail(f"{exc.format_message()} (see {where} --help)")
            sys.exit(EXIT_INPUT)
        err.print(f"[bold red]internal error:[/] {esc(f'{type(exc).__name__}: {exc}')}", markup=True, soft_wrap=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
