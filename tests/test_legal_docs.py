"""docs/legal.md's mapping table and vocabulary table say what the code does, row by row."""

from __future__ import annotations

import re

from cctv_guard.legal import kind_rows, vocab
from tests.conftest import REPO

LEGAL_MD = REPO / "docs" / "legal.md"
ROW = re.compile(r"^\| `([a-z_]+)`(?: ([a-z_]+))? \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")


def _doc_rows() -> dict[tuple[str, str | None], tuple[str, ...]]:
    rows = {}
    for line in LEGAL_MD.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line.strip())
        if m:
            rows[(m.group(1), m.group(2))] = tuple(c.strip() for c in m.groups()[2:])
    return rows


def _cell(cite, key):
    if cite is None:
        return "—"
    return cite[key] or "none"


def test_mapping_table_matches_the_code():
    doc = _doc_rows()
    code = {}
    for row in kind_rows():
        if row["kind"] == "privacy" and row["zone"] is None:
            continue  # the table lists privacy by zone
        by = {c["regime"]: c for c in row["legal"]}
        g, n = by.get("gansu-78"), by.get("national-799")
        code[(row["kind"], row["zone"])] = (_cell(g, "article"), _cell(g, "penalty"), _cell(n, "article"), _cell(n, "penalty"))
    assert doc == code


def test_the_notice_is_in_the_doc():
    text = LEGAL_MD.read_text(encoding="utf-8")
    assert "Unofficial transcription" in text and "LawRefBook/Laws" in text


def test_vocabulary_table_matches_the_code():
    text = LEGAL_MD.read_text(encoding="utf-8")
    for kind, topic in vocab.ONVIF_TOPICS.items():
        line = next(ln for ln in text.splitlines() if ln.startswith("|") and f"`{kind}`" in ln and "tns1:" in ln)
        assert f"`{topic}`" in line
        a = vocab.gb28181_alarm(kind)
        assert f"| {a.alarm_method} / {a.alarm_type} |" in line
