"""`articles`: the regulation catalogue, under either regime."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from cctv_guard.cli.common import (
    Lang,
    esc,
    fail,
    out,
)
from cctv_guard.core.errors import CctvGuardError


class Regime(str, Enum):
    gansu_78 = "gansu-78"
    national_799 = "national-799"


# articles: the regulation catalogue (cctv_guard.legal.articles)
def articles_cmd(
    article: Optional[str] = typer.Argument(None, help="An article ('8') or clause ('9(3)'); all when omitted."),
    lang: Lang = typer.Option(Lang.both, "--lang", help="Language of the text."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    kinds: bool = typer.Option(False, "--kinds", help="List each finding kind with the article it breaches and the penalty, under each regime."),
    regime: Optional[Regime] = typer.Option(None, "--regime", help="Which regulation: gansu-78 (Order 78, the default for the text) or national-799 (Order 799; --kinds: both when omitted)."),
) -> None:
    """Show the regulation catalogue: the Gansu Measures (Order No. 78, 2011) or the national
    Regulations (State Council Order No. 799, 2025; an unofficial transcription of the Chinese
    text), in Chinese and English.

    \b
    Examples:
      cctv-guard articles                 # every article of Order 78, Chinese and English
      cctv-guard articles 9(3) --lang zh  # one clause, Chinese only
      cctv-guard articles --regime national-799 8 --lang zh
      cctv-guard articles --kinds         # what each finding kind breaches, and the penalty, under both regimes
      cctv-guard articles --json > measures.json
    """
    import json as _json

    from cctv_guard.legal import articles as cat

    langs = cat.LANGS[lang.value]
    chosen = regime.value if regime else cat.DEFAULT_REGIME
    try:
        if kinds:
            _print_kinds(regime.value if regime else None, langs, as_json)
            return
        reg = cat.regulation(chosen)
        if as_json:
            doc = cat.article_dict(article, langs, chosen) if article else cat.catalogue_dict(langs, chosen)
            if article:
                doc = {"regime": chosen, **doc, **({"notice": reg.notice} if reg.notice else {})}
            out.print_json(_json.dumps(doc, ensure_ascii=False))
            return
        node = cat.resolve(article, chosen) if article else None
    except CctvGuardError as exc:
        raise fail(str(exc)) from None
    if node is None:
        out.print(f"[bold]{esc(reg.title_zh)}[/]  {esc(reg.issuer_zh)}" if "zh" in langs else "", end="")
        out.print(f"\n[bold]{esc(reg.title_en)}[/] ({esc(reg.issuer_en)}; in force {reg.effective})" if "en" in langs else "")
        if "en" in langs:
            out.print(f"[dim]{esc(reg.translation_note)}[/]")
    if reg.notice:
        out.print(f"[yellow]{esc(reg.notice)}[/]", soft_wrap=True)
    shown = [node] if node is not None else list(cat.all_articles(chosen))
    for n in shown:
        if isinstance(n, cat.Clause):
            parent = cat.get(n.id, chosen)
            out.print(f"\n[bold]{n.id}[/] [dim]{esc(parent.topic)}[/]")
            for lg in langs:
                line = f"{parent.heading_zh}{n.label_zh}{n.zh}" if lg == "zh" else f"Article {n.article}({n.number}) {n.en}"
                out.print(esc(line), soft_wrap=True)
            continue
        out.print(f"\n[bold]Article {n.id}[/] [dim]{esc(n.topic)}[/]")
        for lg in langs:
            for line in n.lines(lg):
                out.print(esc(line), soft_wrap=True)


def _print_kinds(regime: str | None, langs, as_json: bool) -> None:
    """``--kinds``: one regime's citations (duty, penalty, related), or both regimes side by side."""
    import json as _json

    from rich.table import Table

    from cctv_guard.legal import articles as cat
    from cctv_guard.legal import mapping

    if regime is not None:
        rows = [cat.for_kind(k, regime=regime) for k in cat.kinds(regime)]
        if as_json:
            out.print_json(_json.dumps({c.kind: cat.citation_dict(c, langs) for c in rows}, ensure_ascii=False))
            return
        table = Table("kind", "breaches", "duty", "penalty", "related", title=f"Finding kinds and their articles ({regime})")
        table.columns[2].overflow = "fold"
        for c in rows:
            duty = "\n".join(c.duty_zh if lg == "zh" else c.duty_en for lg in langs)
            table.add_row(c.kind, c.ref, esc(duty), c.penalty_article or "—", ", ".join(c.related))
        out.print(table)
        return
    table_rows = mapping.kind_rows()
    if as_json:
        doc = {}
        for row in table_rows:
            if row["zone"] is not None:
                doc["privacy"].setdefault("zones", {})[row["zone"]] = row["legal"]
                continue
            first = next(r for r in cat.REGIMES if cat.has_kind(row["kind"], r))
            doc[row["kind"]] = {**cat.citation_dict(cat.for_kind(row["kind"], regime=first), langs), "legal": row["legal"]}
        out.print_json(_json.dumps(doc, ensure_ascii=False))
        return
    table = Table("kind", "gansu-78 duty", "penalty", "national-799 duty", "penalty",
                  title="Finding kinds: the article breached and the penalty article under each regime")
    for row in table_rows:
        cites = {c["regime"]: c for c in row["legal"]}
        cells = []
        for r in cat.REGIMES:
            c = cites.get(r)
            cells += [c["article"] if c else "—", (c["penalty"] or "none stated") if c else "—"]
        name = row["kind"] if row["zone"] is None else f"privacy: {row['zone']}"
        table.add_row(name, *cells)
    out.print(table)
    out.print("[dim]Order 799 is cited from an unofficial transcription; the mapping and its reasoning: docs/legal.md[/]")
