"""The regulation catalogue: every article and clause of each regime in Chinese and English, and
for each finding kind the article it breaches, the duty it violates and the penalty article.

Two regimes (see :data:`REGIMES`): ``gansu-78``, the Gansu Public Security Video Information System
Management Measures (Order No. 78, 2011), the default of every function here; and ``national-799``,
the State Council's Regulations on the Management of Public Security Video Image Information Systems
(Order No. 799, in force 2025-04-01; its Chinese text is an unofficial transcription, see
``Regulation.notice``). Pass ``regime="national-799"`` to any lookup.

The data lives in ``cctv_guard/legal/articles.yaml`` and ``national-799.yaml``; each is read with the one config loader
(``core.config.load_yaml_model``: unknown keys are errors naming line and key path) when first
needed, checked (articles in order, duty quotations verbatim, references resolve) and exposed as
frozen dataclasses::

    from cctv_guard.legal import articles
    articles.get("9").topic                  # 'Where cameras are prohibited'
    articles.clause("9(3)").zh               # '浴室、更衣室、卫生间、哺乳室；'
    c = articles.for_kind("moved")           # Citation(article='8', clause=None, ..., penalty_article='19(1)')
    articles.for_kind("privacy", "9(3)").ref # '9(3)'
    articles.cite({"kind": "frozen"}).ref    # '16(7)' (an event or finding dict)

References are written ``"8"`` (an article) or ``"9(3)"`` (a clause); ``parse_ref`` also accepts
``Art. 9(3)``, ``article 9 (3)`` and full-width brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from cctv_guard.core.config import StrictModel, key_path, load_yaml_model
from cctv_guard.core.errors import ConfigError

Lang = Literal["zh", "en"]
DATA_FILE = "articles.yaml"
GANSU, NATIONAL = "gansu-78", "national-799"
REGIMES: dict[str, str] = {GANSU: DATA_FILE, NATIONAL: "national-799.yaml"}  # regime id -> data file
DEFAULT_REGIME = GANSU
SCHEMA = "cctv-guard/articles@1"
ELLIPSIS = "…"  # joins verbatim fragments of the Chinese text in a duty quotation

_ZH_DIGITS = "零一二三四五六七八九"


def zh_numeral(n: int) -> str:
    """Chinese numeral for 1..99 as written in article headings: 9 -> 九, 16 -> 十六, 20 -> 二十."""
    if not 0 < n < 100:
        raise ValueError(f"expected 1..99, got {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _ZH_DIGITS[tens] + "十")
    return head + (_ZH_DIGITS[ones] if ones else "")


# --- the public, frozen API ------------------------------------------------------------------


class _Bilingual:
    zh: str
    en: str

    def text(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Clause(_Bilingual):
    """One numbered item of an article, e.g. Article 9 item (3), written ``9(3)``."""

    article: str
    number: int
    zh: str
    en: str

    @property
    def id(self) -> str:
        return f"{self.article}({self.number})"

    @property
    def label_zh(self) -> str:
        return f"（{zh_numeral(self.number)}）"


@dataclass(frozen=True)
class Paragraph(_Bilingual):
    zh: str
    en: str


@dataclass(frozen=True)
class Article:
    """One article: its paragraphs, then its numbered clauses, then any paragraphs that follow
    the clauses (``after``: Order 799 Art. 7 para. 3 and Art. 8 para. 2)."""

    id: str
    topic: str
    paragraphs: tuple[Paragraph, ...]
    clauses: tuple[Clause, ...]
    after: tuple[Paragraph, ...] = ()

    @property
    def number(self) -> int:
        return int(self.id)

    @property
    def heading_zh(self) -> str:
        return f"第{zh_numeral(self.number)}条"

    @property
    def heading_en(self) -> str:
        return f"Article {self.id}"

    def clause(self, number: int) -> Clause:
        if not 1 <= number <= len(self.clauses):
            raise ConfigError(
                f"unknown clause {self.id}({number}): Article {self.id} has "
                + (f"clauses (1)..({len(self.clauses)})" if self.clauses else "no numbered clauses")
            )
        return self.clauses[number - 1]

    def lines(self, lang: Lang) -> list[str]:
        """The article as printed: first paragraph after the heading, then the other paragraphs,
        then the clauses with their labels."""
        paras = [p.text(lang) for p in self.paragraphs]
        if lang == "zh":
            first = f"{self.heading_zh}\u3000{paras[0]}"
            clauses = [f"{c.label_zh}{c.zh}" for c in self.clauses]
        else:
            first = f"{self.heading_en}. {paras[0]}"
            clauses = [f"({c.number}) {c.en}" for c in self.clauses]
        return [first, *paras[1:], *clauses, *(p.text(lang) for p in self.after)]

    def text(self, lang: Lang) -> str:
        return "\n".join(self.lines(lang))


@dataclass(frozen=True)
class Citation:
    """What a finding of one kind breaches: ``article`` (e.g. "16"), ``clause`` ("16(7)" or
    None), the duty violated (a verbatim quotation of the Chinese text, ``…`` joining fragments,
    and an English paraphrase), the penalty article (e.g. "19(1)") with its text, and related
    provisions."""

    kind: str
    article: str
    clause: str | None
    duty_zh: str
    duty_en: str
    penalty_article: str | None  # None: the regime states no penalty of its own for this duty
    penalty_zh: str
    penalty_en: str
    related: tuple[str, ...]
    summary: str
    regime: str = DEFAULT_REGIME

    @property
    def ref(self) -> str:
        """The most specific reference: the clause if there is one, else the article."""
        return self.clause or self.article


@dataclass(frozen=True)
class Regulation:
    id: str  # the regime: "gansu-78" or "national-799"
    title_zh: str
    title_en: str
    issuer_zh: str
    issuer_en: str
    adopted: str
    promulgated: str
    effective: str
    source: str
    translation_note: str
    articles: tuple[Article, ...]
    notice: str = ""  # shown wherever the text is shown (national-799: an unofficial transcription)


# --- the data file schema (pydantic, at the boundary only) -----------------------------------


class _Text(StrictModel):
    zh: str
    en: str

    @field_validator("zh", "en")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v


class _Article(StrictModel):
    id: str
    topic: str
    paragraphs: list[_Text]
    clauses: list[_Text] = []
    after: list[_Text] = []


class _Kind(StrictModel):
    cites: str
    related: list[str] = []
    penalty: str | None = None
    summary: str
    duty: _Text
    aliases: list[str] = []
    clauses: dict[str, _Text] = {}  # per-clause duty, for kinds whose clause comes from the finding


class _Catalogue(StrictModel):
    schema_: str = Field(alias="schema")
    title: _Text
    issuer: _Text
    adopted: str
    promulgated: str
    effective: str
    source: str
    translation_note: str
    notice: str = ""
    articles: list[_Article]
    kinds: dict[str, _Kind]


@dataclass(frozen=True)
class _Kinds:
    by_name: Mapping[str, _Kind]
    aliases: Mapping[str, str]


_REF = re.compile(r"^\s*(?:art(?:icle)?\.?\s*)?(\d{1,2})\s*(?:[(（]\s*(\d{1,2})\s*[)）])?\s*$", re.I)


def parse_ref(ref: str) -> tuple[int, int | None]:
    """``"9(3)"`` -> (9, 3); ``"8"`` -> (8, None). Syntax only; see ``resolve`` for existence."""
    m = _REF.match(str(ref))
    if not m:
        raise ConfigError(f"bad article reference {ref!r}: expected an article like '8' or a clause like '9(3)'")
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def check_regime(regime: str) -> str:
    """``regime`` if it is known; ``ConfigError`` (one line) otherwise."""
    if regime not in REGIMES:
        raise ConfigError(f"unknown regime {regime!r}: expected one of {', '.join(REGIMES)}")
    return regime


@lru_cache(maxsize=None)
def _load(regime: str = DEFAULT_REGIME) -> tuple[Regulation, _Kinds]:
    data_file = REGIMES[check_regime(regime)]
    # the one config loader: safe YAML, unknown keys are errors, messages name line and key path
    with resources.as_file(resources.files("cctv_guard.legal").joinpath(data_file)) as path:
        cat = load_yaml_model(path, _Catalogue)
    if cat.schema_ != SCHEMA:
        raise ConfigError(f"{data_file}: schema: expected {SCHEMA!r}, found {cat.schema_!r}")
    arts = []
    for i, a in enumerate(cat.articles, 1):
        if a.id != str(i):
            raise ConfigError(f"{data_file}: {key_path(('articles', i - 1, 'id'))}: expected '{i}' (articles in order), found {a.id!r}")
        if not a.paragraphs:
            raise ConfigError(f"{data_file}: {key_path(('articles', i - 1, 'paragraphs'))}: an article needs at least one paragraph")
        arts.append(
            Article(
                id=a.id,
                topic=a.topic,
                paragraphs=tuple(Paragraph(p.zh, p.en) for p in a.paragraphs),
                clauses=tuple(Clause(a.id, n, c.zh, c.en) for n, c in enumerate(a.clauses, 1)),
                after=tuple(Paragraph(p.zh, p.en) for p in a.after),
            )
        )
    reg = Regulation(
        id=regime,
        title_zh=cat.title.zh,
        title_en=cat.title.en,
        issuer_zh=cat.issuer.zh,
        issuer_en=cat.issuer.en,
        adopted=cat.adopted,
        promulgated=cat.promulgated,
        effective=cat.effective,
        source=cat.source,
        translation_note=cat.translation_note,
        articles=tuple(arts),
        notice=cat.notice,
    )
    aliases: dict[str, str] = {}
    for name, k in cat.kinds.items():
        where = f"{data_file}: kinds.{name}"
        for field, refs in (("cites", [k.cites]), ("penalty", [k.penalty] if k.penalty else []), ("related", k.related)):
            for r in refs:
                try:
                    _resolve_in(reg, r)
                except ConfigError as exc:
                    raise ConfigError(f"{where}.{field}: {exc}") from None
        _check_quote(reg, k.cites, k.duty.zh, f"{where}.duty.zh")
        for cref, duty in k.clauses.items():
            art, num = parse_ref(cref)
            if art != parse_ref(k.cites)[0] or num is None:
                raise ConfigError(f"{where}.clauses.{cref}: expected a clause of Article {k.cites}")
            _check_quote(reg, cref, duty.zh, f"{where}.clauses.{cref}.zh")
        for alias in k.aliases:
            if alias in cat.kinds or alias in aliases:
                raise ConfigError(f"{where}.aliases: {alias!r} is already a kind or alias")
            aliases[alias] = name
    return reg, _Kinds(by_name=dict(cat.kinds), aliases=aliases)


def _resolve_in(reg: Regulation, ref: str) -> Article | Clause:
    num, clause_no = parse_ref(ref)
    if not 1 <= num <= len(reg.articles):
        raise ConfigError(f"unknown article {ref!r}: {reg.id} has Articles 1..{len(reg.articles)}")
    art = reg.articles[num - 1]
    return art if clause_no is None else art.clause(clause_no)


def _check_quote(reg: Regulation, ref: str, quote: str, where: str) -> None:
    """A duty quotation must be verbatim: every ``…``-separated fragment occurs in the text."""
    node = _resolve_in(reg, ref)
    art = reg.articles[parse_ref(ref)[0] - 1]
    haystack = art.text("zh") if isinstance(node, Article) else node.zh + art.text("zh")
    for frag in quote.split(ELLIPSIS):
        if frag and frag not in haystack:
            raise ConfigError(f"{where}: {frag!r} is not verbatim text of Article {ref}")


# --- lookups (every one takes ``regime=``, default "gansu-78") --------------------------------


def regulation(regime: str = DEFAULT_REGIME) -> Regulation:
    return _load(regime)[0]


def all_articles(regime: str = DEFAULT_REGIME) -> tuple[Article, ...]:
    return regulation(regime).articles


def resolve(ref: str, regime: str = DEFAULT_REGIME) -> Article | Clause:
    """The article or clause a reference names; ``ConfigError`` for an unknown one."""
    return _resolve_in(regulation(regime), ref)


def get(ref: str, regime: str = DEFAULT_REGIME) -> Article:
    """The article for ``"9"``, or the article containing the clause for ``"9(3)"``."""
    resolve(ref, regime)  # raises for an unknown article or clause
    return all_articles(regime)[parse_ref(ref)[0] - 1]


def clause(ref: str, regime: str = DEFAULT_REGIME) -> Clause:
    node = resolve(ref, regime)
    if not isinstance(node, Clause):
        raise ConfigError(f"{ref!r} names an article, not a clause like '9(3)'")
    return node


def text(ref: str, lang: Lang, regime: str = DEFAULT_REGIME) -> str:
    """The text of an article (all its lines) or of one clause."""
    node = resolve(ref, regime)
    return node.text(lang)


def kinds(regime: str = DEFAULT_REGIME) -> tuple[str, ...]:
    """Every finding kind the regime's catalogue knows (aliases excluded)."""
    return tuple(_load(regime)[1].by_name)


def has_kind(kind: str, regime: str = DEFAULT_REGIME) -> bool:
    """Whether the regime names a duty for this finding kind (or alias)."""
    cat = _load(regime)[1]
    return cat.aliases.get(kind, kind) in cat.by_name


def quote(ref: str, lang: Lang, regime: str = DEFAULT_REGIME) -> str:
    """An article's full text, or a clause in context: the article heading, its opening
    paragraph and the clause (``第九条　下列区域……：（三）浴室、更衣室、卫生间、哺乳室；``)."""
    node = resolve(ref, regime)
    if isinstance(node, Clause):
        art = get(ref, regime)
        intro, body = art.paragraphs[-1].text(lang), node.text(lang)
        if lang == "zh":
            head = f"{art.heading_zh}\u3000" + ("" if len(art.paragraphs) == 1 else "……")
            return f"{head}{intro}{node.label_zh}{body}"
        return f"{art.heading_en}. {'... ' if len(art.paragraphs) > 1 else ''}{intro} ({node.number}) {body}"
    return node.text(lang)


def for_kind(kind: str, article: str | None = None, regime: str = DEFAULT_REGIME) -> Citation:
    """The citation for a finding kind. For kinds whose clause depends on the finding
    (``privacy``: 9(1)..9(6) under gansu-78, 8(1)..8(4) under national-799), pass the finding's
    ``article`` (a clause of that regime); without it the citation names the whole article."""
    cat = _load(regime)[1]
    name = cat.aliases.get(kind, kind)
    k = cat.by_name.get(name)
    if k is None:
        known = ", ".join(sorted(cat.by_name))
        raise ConfigError(f"unknown finding kind {kind!r} under {regime}: expected one of {known}")
    cites, duty = k.cites, k.duty
    if article is not None and k.clauses:
        canon = _canonical(article)
        if canon not in k.clauses:
            raise ConfigError(
                f"finding kind {kind!r} cites {canon!r}: expected one of {', '.join(k.clauses)}"
            )
        cites, duty = canon, k.clauses[canon]
    art_no, clause_no = parse_ref(cites)
    return Citation(
        kind=name,
        article=str(art_no),
        clause=cites if clause_no is not None else None,
        duty_zh=duty.zh,
        duty_en=duty.en,
        penalty_article=k.penalty,
        penalty_zh=quote(k.penalty, "zh", regime) if k.penalty else "",
        penalty_en=quote(k.penalty, "en", regime) if k.penalty else "",
        related=tuple(k.related),
        summary=k.summary,
        regime=regime,
    )


def cite(item: Mapping[str, Any], regime: str = DEFAULT_REGIME) -> Citation:
    """The citation for an event or finding dict of a check@1 / scan@1 report (its ``kind``, and
    its ``article`` where the clause depends on the finding)."""
    kind = item.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"event or finding without a 'kind': {dict(item)!r:.120}")
    art = item.get("article")
    return for_kind(kind, art if isinstance(art, str) and _has_clauses(kind, regime) else None, regime)


def _has_clauses(kind: str, regime: str = DEFAULT_REGIME) -> bool:
    cat = _load(regime)[1]
    k = cat.by_name.get(cat.aliases.get(kind, kind))
    return bool(k and k.clauses)


def _canonical(ref: str) -> str:
    num, clause_no = parse_ref(ref)
    return f"{num}" if clause_no is None else f"{num}({clause_no})"


# --- plain-data views (for JSON reports and the CLI) ------------------------------------------

LANGS: dict[str, tuple[Lang, ...]] = {"zh": ("zh",), "en": ("en",), "both": ("zh", "en")}


def _texts(node: Paragraph | Clause, langs: tuple[Lang, ...]) -> dict[str, str]:
    return {lang: node.text(lang) for lang in langs}


def article_dict(ref: str, langs: tuple[Lang, ...] = ("zh", "en"), regime: str = DEFAULT_REGIME) -> dict[str, Any]:
    """An article, or one clause of it, as plain data in the requested languages."""
    node = resolve(ref, regime)
    if isinstance(node, Clause):
        return {"id": node.id, "article": node.article, "topic": get(ref, regime).topic, **_texts(node, langs)}
    d = {
        "id": node.id,
        "topic": node.topic,
        **{f"heading_{lang}": (node.heading_zh if lang == "zh" else node.heading_en) for lang in langs},
        "paragraphs": [_texts(p, langs) for p in node.paragraphs],
        "clauses": [{"id": c.id, **_texts(c, langs)} for c in node.clauses],
    }
    if node.after:
        d["after"] = [_texts(p, langs) for p in node.after]
    return d


def citation_dict(c: Citation, langs: tuple[Lang, ...] = ("zh", "en")) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": c.kind, "regime": c.regime, "article": c.article, "clause": c.clause, "summary": c.summary}
    for lang in langs:
        d[f"duty_{lang}"] = c.duty_zh if lang == "zh" else c.duty_en
    d["penalty_article"] = c.penalty_article
    for lang in langs:
        d[f"penalty_{lang}"] = c.penalty_zh if lang == "zh" else c.penalty_en
    d["related"] = list(c.related)
    return d


def catalogue_dict(langs: tuple[Lang, ...] = ("zh", "en"), regime: str = DEFAULT_REGIME) -> dict[str, Any]:
    """The whole catalogue of a regime: metadata, every article, and the citation of every finding kind."""
    reg = regulation(regime)
    return {
        "schema": SCHEMA,
        "regime": reg.id,
        **{f"title_{lang}": (reg.title_zh if lang == "zh" else reg.title_en) for lang in langs},
        **{f"issuer_{lang}": (reg.issuer_zh if lang == "zh" else reg.issuer_en) for lang in langs},
        "adopted": reg.adopted,
        "promulgated": reg.promulgated,
        "effective": reg.effective,
        "source": reg.source,
        "translation_note": reg.translation_note,
        **({"notice": reg.notice} if reg.notice else {}),
        "articles": [article_dict(a.id, langs, regime) for a in reg.articles],
        "kinds": {k: citation_dict(for_kind(k, regime=regime), langs) for k in kinds(regime)},
    }
