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

# articles: the regulation catalogue (cctv_guard.articles)
from enum import Enum as _Enum  # noqa: E402


class _ArticlesLang(str, _Enum):
    zh = "zh"
    en = "en"
    both = "both"


@app.command("articles")
def articles_cmd(
    article: Optional[str] = typer.Argument(None, help="An article ('8') or clause ('9(3)'); all when omitted."),
    lang: _ArticlesLang = typer.Option(_ArticlesLang.both, "--lang", help="Language of the text."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    kinds: bool = typer.Option(False, "--kinds", help="List each finding kind with the article it breaches and the penalty."),
) -> None:
    """Show the regulation catalogue: the Measures (Order No. 78, 2011) in Chinese and English.

    \b
    Examples:
      cctv-guard articles                 # every article, Chinese and English
      cctv-guard articles 9(3) --lang zh  # one clause, Chinese only
      cctv-guard articles --kinds         # what each finding kind breaches, and the penalty
      cctv-guard articles --json > measures.json
    """
    import json as _json

    from rich.markup import escape
    from rich.table import Table

    from cctv_guard import articles as cat

    langs = cat.LANGS[lang.value]
    try:
        if kinds:
            rows = [cat.for_kind(k) for k in cat.kinds()]
            if as_json:
                out.print_json(_json.dumps({c.kind: cat.citation_dict(c, langs) for c in rows}, ensure_ascii=False))
                return
            table = Table("kind", "breaches", "duty", "penalty", "related", title="Finding kinds and their articles")
            for c in rows:
                duty = "\n".join(c.duty_zh if lg == "zh" else c.duty_en for lg in langs)
                table.add_row(c.kind, c.ref, escape(duty), c.penalty_article, ", ".join(c.related))
            out.print(table)
            return
        if as_json:
            doc = cat.article_dict(article, langs) if article else cat.catalogue_dict(langs)
            out.print_json(_json.dumps(doc, ensure_ascii=False))
            return
        node = cat.resolve(article) if article else None
    except CctvGuardError as exc:
        raise fail(str(exc)) from None
    reg = cat.regulation()
    if node is None:
        out.print(f"[bold]{escape(reg.title_zh)}[/]  {escape(reg.issuer_zh)}" if "zh" in langs else "", end="")
        out.print(f"\n[bold]{escape(reg.title_en)}[/] ({escape(reg.issuer_en)}; in force {reg.effective})" if "en" in langs else "")
        if "en" in langs:
            out.print(f"[dim]{escape(reg.translation_note)}[/]")
    shown = [node] if node is not None else list(cat.all_articles())
    for n in shown:
        if isinstance(n, cat.Clause):
            parent = cat.get(n.id)
            out.print(f"\n[bold]{n.id}[/] [dim]{escape(parent.topic)}[/]")
            for lg in langs:
                line = f"{parent.heading_zh}{n.label_zh}{n.zh}" if lg == "zh" else f"Article {n.article}({n.number}) {n.en}"
                out.print(escape(line), soft_wrap=True)
            continue
        out.print(f"\n[bold]Article {n.id}[/] [dim]{escape(n.topic)}[/]")
        for lg in langs:
            for line in n.lines(lg):
                out.print(escape(line), soft_wrap=True)

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
