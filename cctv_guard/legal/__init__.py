"""The regulation catalogue: articles, clauses, duties and penalties for every finding kind, under
two regimes (Gansu Order 78, "gansu-78", the default; national Order 799, "national-799", whose
Chinese text is an unofficial transcription), and the standard event vocabularies (ONVIF topics,
GB/T 28181 alarm codes).

    from cctv_guard import legal
    legal.for_kind("moved").penalty_article   # '19(1)'
    legal.quote("9(3)", "zh")                 # the clause as printed
    legal.quote("8(3)", "zh", regime="national-799")
    legal.citations("moved")                  # one {regime, article, penalty} per regime
    legal.legal_fields("moved")               # {'legal': [...], 'onvif_topic': ..., 'gb28181': {...}}

The catalogues are read (once, on first use) from the packaged ``articles.yaml`` and
``national-799.yaml``.
"""

from __future__ import annotations

from cctv_guard.legal import articles, mapping, vocab
from cctv_guard.legal.articles import (
    DATA_FILE,
    DEFAULT_REGIME,
    ELLIPSIS,
    GANSU,
    LANGS,
    NATIONAL,
    REGIMES,
    SCHEMA,
    Article,
    Citation,
    Clause,
    Lang,
    Paragraph,
    Regulation,
    all_articles,
    article_dict,
    catalogue_dict,
    check_regime,
    citation_dict,
    cite,
    clause,
    for_kind,
    get,
    has_kind,
    kinds,
    parse_ref,
    quote,
    regulation,
    resolve,
    text,
    zh_numeral,
)
from cctv_guard.legal.mapping import (
    ALL_REGIMES,
    ZONE_CLAUSES,
    annotate,
    annotate_report,
    citations,
    gansu_article,
    kind_rows,
    legal_fields,
    only_regime,
)
from cctv_guard.legal.vocab import ONVIF_TOPICS, GbAlarm, gb28181_alarm, onvif_topic

__all__ = [
    "ALL_REGIMES",
    "DATA_FILE",
    "DEFAULT_REGIME",
    "ELLIPSIS",
    "GANSU",
    "LANGS",
    "NATIONAL",
    "ONVIF_TOPICS",
    "REGIMES",
    "SCHEMA",
    "ZONE_CLAUSES",
    "GbAlarm",
    "Article",
    "Citation",
    "Clause",
    "Lang",
    "Paragraph",
    "Regulation",
    "all_articles",
    "annotate",
    "annotate_report",
    "article_dict",
    "articles",
    "catalogue_dict",
    "check_regime",
    "citation_dict",
    "citations",
    "cite",
    "clause",
    "for_kind",
    "gansu_article",
    "gb28181_alarm",
    "get",
    "has_kind",
    "kind_rows",
    "kinds",
    "legal_fields",
    "mapping",
    "onvif_topic",
    "only_regime",
    "parse_ref",
    "quote",
    "regulation",
    "resolve",
    "text",
    "vocab",
    "zh_numeral",
]
