"""`articles`: the regulation catalogue."""

from __future__ import annotations

from typing import Optional

import typer

from cctv_guard.cli.common import (
    Lang,
    fail,
    out,
)
from cctv_guard.core.errors import CctvGuardError


# articles: the regulation catalogue (cctv_guard.legal.articles)
def articles_cmd(
    article: Optional[str] = typer.Argument(None, help="An article ('8') or clause ('9(3)'); all when omitted."),
    lang: Lang = typer.Option(Lang.both, "--lang", help="Language of the text."),
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

    from cctv_guard.legal import articles as cat

    langs = cat.LANGS[lang.value]
    try:
        if kinds:
            rows = [cat.for_kind(k) for k in cat.kinds()]
            if as_json:
                out.print_json(_json.dumps({c.kind: cat.citation_dict(c, langs) for c in rows}, ensure_ascii=False))
                return
            table = Table("kind", "breaches", "duty", "penalty", "related", title="Finding kinds and their articles")
            table.columns[2].overflow = "fold"
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
