"""The regulation catalogue: articles, clauses, duties and penalties for every finding kind.

    from cctv_guard import legal
    legal.for_kind("moved").penalty_article   # '19(1)'
    legal.quote("9(3)", "zh")                 # the clause as printed

The catalogue itself is read (once, on first use) from the packaged ``articles.yaml``.
"""

from __future__ import annotations

from cctv_guard.legal import articles
from cctv_guard.legal.articles import (
    DATA_FILE,
    ELLIPSIS,
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
    citation_dict,
    cite,
    clause,
    for_kind,
    get,
    kinds,
    parse_ref,
    quote,
    regulation,
    resolve,
    text,
    zh_numeral,
)

__all__ = [
    "DATA_FILE",
    "ELLIPSIS",
    "SCHEMA",
    "Article",
    "Citation",
    "Clause",
    "Lang",
    "Paragraph",
    "Regulation",
    "all_articles",
    "article_dict",
    "articles",
    "catalogue_dict",
    "citation_dict",
    "cite",
    "clause",
    "for_kind",
    "get",
    "kinds",
    "parse_ref",
    "quote",
    "regulation",
    "resolve",
    "text",
    "zh_numeral",
]
