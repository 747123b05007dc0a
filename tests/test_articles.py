"""The regulation catalogue: the Chinese text matches the regulation file, every article id that
code cites resolves, every finding kind has a citation with a penalty article, and the data file
is validated with errors that name the key path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cctv_guard.legal import articles
from cctv_guard.cli.app import app
from cctv_guard.core.errors import ConfigError
from tests.conftest import REPO

REGULATION = REPO.parent / "shared" / "regulation" / "gansu-order-78-2011.zh.txt"
PACKAGE = REPO / "cctv_guard"

# Kinds named by DESIGN.md §3 (events) and issues 4 and 7 (registry and archive findings).
EVENT_KINDS = ["moved", "rotated", "zoomed", "coverage_lost", "covered", "defocused", "blackout", "frozen", "signal_lost"]
OTHER_KINDS = ["filing_overdue", "signage_missing", "retention_short", "recording_gap",
               "footage_altered", "footage_deleted", "ledger"]


def _regulation_lines() -> list[str]:
    if not REGULATION.is_file():
        pytest.skip(f"{REGULATION} not present")
    lines = REGULATION.read_text(encoding="utf-8").splitlines()
    title = "甘肃省公共安全视频信息系统管理办法"
    start = max(i for i, line in enumerate(lines) if line.strip() == title)
    return [line.strip("\u3000 ") for line in lines[start + 1:] if line.strip("\u3000 ")]


def test_chinese_text_matches_the_regulation_file_line_for_line():
    ours = [line for a in articles.all_articles() for line in a.lines("zh")]
    assert ours == _regulation_lines()


def test_article_headings_follow_the_file():
    headings = [re.match(r"第(.+?)条", line) for line in _regulation_lines()]
    assert [m.group(0) for m in headings if m] == [a.heading_zh for a in articles.all_articles()]


@pytest.mark.parametrize("n,zh", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (16, "十六"), (20, "二十"), (22, "二十二"), (99, "九十九")])
def test_zh_numeral(n, zh):
    assert articles.zh_numeral(n) == zh


def test_every_article_and_clause_has_english():
    arts = articles.all_articles()
    assert [a.id for a in arts] == [str(i) for i in range(1, 23)]
    for a in arts:
        assert a.topic
        for p in a.paragraphs:
            assert p.en and not re.search(r"[\u4e00-\u9fff]", p.en)
        for c in a.clauses:
            assert c.en and not re.search(r"[\u4e00-\u9fff]", c.en)
    # clause counts as in the Measures
    assert {a.id: len(a.clauses) for a in arts if a.clauses} == {"7": 5, "9": 6, "15": 3, "16": 8, "17": 5, "19": 2}


def _code_article_literals() -> set[tuple[str, str]]:
    """(file, ref) for every `article="..."`, `article='...'` or `"article": "..."` literal in the
    package source."""
    pat = re.compile(r"""(?:\barticle\s*=\s*|["']article["']\s*:\s*)["']([^"']+)["']""")
    found = set()
    for py in PACKAGE.rglob("*.py"):
        for m in pat.finditer(py.read_text(encoding="utf-8")):
            found.add((py.relative_to(REPO).as_posix(), m.group(1)))
    return found


def test_every_article_cited_in_code_resolves():
    literals = _code_article_literals()
    for path, ref in sorted(literals):
        articles.resolve(ref)  # raises ConfigError naming the bad reference


def test_kind_and_article_literals_on_one_line_agree_with_the_catalogue():
    """Where code writes a finding kind and its article together, the article is the one the
    catalogue cites for that kind (or a related provision)."""
    known = set(articles.kinds())
    pat_kind = re.compile(r"""(?:\bkind\s*=\s*|["']kind["']\s*:\s*)["']([a-z_]+)["']""")
    pat_art = re.compile(r"""(?:\barticle\s*=\s*|["']article["']\s*:\s*)["']([^"']+)["']""")
    for py in PACKAGE.rglob("*.py"):
        for line in py.read_text(encoding="utf-8").splitlines():
            k, a = pat_kind.search(line), pat_art.search(line)
            if k and a and k.group(1) in known:
                c = articles.for_kind(k.group(1), a.group(1) if k.group(1) == "privacy" else None)
                assert a.group(1) in (c.ref, c.article, *c.related), (py.name, line.strip())


@pytest.mark.parametrize("kind", EVENT_KINDS + OTHER_KINDS)
def test_every_finding_kind_has_a_citation_with_a_penalty(kind):
    c = articles.for_kind(kind)
    assert isinstance(articles.resolve(c.ref), (articles.Article, articles.Clause))
    assert c.penalty_article in {"19(1)", "19(2)", "20"}
    assert c.penalty_zh.startswith(articles.get(c.penalty_article).heading_zh)
    for frag in c.duty_zh.split(articles.ELLIPSIS):
        assert frag in articles.get(c.article).text("zh")
    for r in c.related:
        articles.resolve(r)


@pytest.mark.parametrize("kind,ref,penalty", [
    ("moved", "8", "19(1)"), ("zoomed", "8", "19(1)"), ("signage_missing", "8", "19(1)"),
    ("filing_overdue", "11", "19(2)"), ("frozen", "16(7)", "20"), ("retention_short", "16(8)", "20"),
    ("footage_deleted", "17(2)", "20"), ("ledger", "16(3)", "20"),
])
def test_key_citations(kind, ref, penalty):
    c = articles.for_kind(kind)
    assert (c.ref, c.penalty_article) == (ref, penalty)


def test_moved_and_unfiled_cameras_carry_the_article_19_fine():
    assert "1000元以下罚款" in articles.for_kind("moved").penalty_zh
    assert "1,000 yuan" in articles.for_kind("filing_overdue").penalty_en
    assert "擅自改变摄像设备的位置和摄像范围" in articles.for_kind("rotated").penalty_zh
    assert "备案" in articles.for_kind("filing_overdue").penalty_zh


@pytest.mark.parametrize("clause_no,word", [(1, "旅馆客房"), (2, "宿舍"), (3, "卫生间"), (4, "金融"), (5, "投票"), (6, "隐私")])
def test_privacy_findings_cite_their_clause(clause_no, word):
    ref = f"9({clause_no})"
    c = articles.cite({"kind": "privacy", "article": ref, "zone": "x"})
    assert (c.article, c.clause, c.ref) == ("9", ref, ref)
    assert word in c.duty_zh and word in articles.clause(ref).zh


def test_privacy_without_clause_cites_article_9_and_rejects_other_articles():
    assert articles.for_kind("privacy").ref == "9"
    with pytest.raises(ConfigError, match="9\\(1\\)"):
        articles.for_kind("privacy", "8")


def test_aliases_resolve_to_their_kind():
    assert articles.for_kind("ledger_broken") == articles.for_kind("ledger")


@pytest.mark.parametrize("ref,expected", [("9", (9, None)), ("9(3)", (9, 3)), ("Art. 9(3)", (9, 3)),
                                          ("article 16 (7)", (16, 7)), ("9（3）", (9, 3))])
def test_parse_ref(ref, expected):
    assert articles.parse_ref(ref) == expected


@pytest.mark.parametrize("bad,msg", [("23", "Articles 1..22"), ("9(7)", r"\(1\)..\(6\)"), ("8(1)", "no numbered"),
                                     ("nine", "bad article reference"), ("", "bad article reference")])
def test_unknown_references_are_one_line_config_errors(bad, msg):
    with pytest.raises(ConfigError, match=msg) as ei:
        articles.resolve(bad)
    assert "\n" not in str(ei.value)


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown finding kind 'teleported'.*moved"):
        articles.for_kind("teleported")


def test_results_are_frozen():
    c = articles.for_kind("moved")
    with pytest.raises(Exception):
        c.article = "9"  # type: ignore[misc]


# --- validation of the data file ---------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """Load a modified copy of the catalogue instead of the packaged one."""
    raw = yaml.safe_load((PACKAGE / "legal" / articles.DATA_FILE).read_text(encoding="utf-8"))

    def load(mutate):
        mutate(raw)
        pkg = tmp_path / "legal"
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / articles.DATA_FILE).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        monkeypatch.setattr(articles.resources, "files", lambda _pkg: tmp_path / "legal")
        articles._load.cache_clear()
        return articles._load()

    yield load
    articles._load.cache_clear()


def test_unknown_key_is_an_error_naming_its_line_and_path(data_copy, tmp_path):
    def mutate(raw):
        raw["kinds"]["moved"]["penalty_yuan"] = 1000
    with pytest.raises(ConfigError, match=r"^articles\.yaml:\d+: kinds\.moved\.penalty_yuan: unknown key") as ei:
        data_copy(mutate)
    line = int(str(ei.value).split(":")[1])  # read through the one config loader: file:line: key path
    lines = (tmp_path / "legal" / articles.DATA_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[line - 1].strip().startswith("penalty_yuan:")


def test_non_verbatim_duty_quotation_is_rejected(data_copy):
    def mutate(raw):
        raw["kinds"]["frozen"]["duty"]["zh"] = "摄像机不得冻结"
    with pytest.raises(ConfigError, match=r"kinds\.frozen\.duty\.zh.*not verbatim"):
        data_copy(mutate)


def test_dangling_penalty_reference_is_rejected(data_copy):
    def mutate(raw):
        raw["kinds"]["moved"]["penalty"] = "19(3)"
    with pytest.raises(ConfigError, match=r"kinds\.moved\.penalty: unknown clause 19\(3\)"):
        data_copy(mutate)


def test_articles_out_of_order_are_rejected(data_copy):
    def mutate(raw):
        raw["articles"][3], raw["articles"][4] = raw["articles"][4], raw["articles"][3]
    with pytest.raises(ConfigError, match=r"^articles\.yaml: articles\[3\]\.id: expected '4'"):
        data_copy(mutate)


def test_package_data_is_declared():
    import tomllib

    conf = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["cctv_guard.legal"]
    assert any(Path(articles.DATA_FILE).match(p) for p in patterns)


# --- CLI ----------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_single_article_both_languages():
    r = runner.invoke(app, ["articles", "19"])
    assert r.exit_code == 0, r.output
    assert "第十九条" in r.output and "1,000 yuan" in r.output


def test_cli_clause_in_chinese_only():
    r = runner.invoke(app, ["articles", "9(3)", "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "卫生间" in r.output and "toilets" not in r.output


def test_cli_whole_catalogue_json():
    r = runner.invoke(app, ["articles", "--json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["schema"] == articles.SCHEMA
    assert [a["id"] for a in doc["articles"]] == [str(i) for i in range(1, 23)]
    assert "zh" not in doc["articles"][0]["paragraphs"][0]
    assert doc["kinds"]["moved"]["penalty_article"] == "19(1)"


def test_cli_unknown_article_exits_2_with_one_line():
    r = runner.invoke(app, ["articles", "40"])
    assert r.exit_code == 2
    assert "Articles 1..22" in r.output


def test_cli_bad_lang_exits_2():
    r = runner.invoke(app, ["articles", "--lang", "fr"])
    assert r.exit_code == 2


def test_quote_puts_a_clause_in_context():
    assert articles.quote("19(2)", "zh").startswith("第十九条\u3000有下列行为之一的")
    assert articles.quote("19(2)", "zh").endswith("（二）未按规定将公共安全视频信息系统摄像设备安装位置报所在地县级人民政府公安机关备案的。")
    assert articles.quote("19(2)", "en").startswith("Article 19. In any of the following cases")
    assert articles.quote("8", "en") == articles.get("8").text("en")


def test_the_event_articles_of_the_tamper_core_match_the_catalogue():
    events = pytest.importorskip("cctv_guard.tamper.events")
    for kind, ref in events.ARTICLES.items():
        assert articles.for_kind(kind).ref == ref, kind


def test_the_privacy_zones_cite_article_9_clauses():
    privacy = pytest.importorskip("cctv_guard.privacy")
    for zone in privacy.ZONES:
        ref = privacy.article_of(zone)
        assert articles.for_kind("privacy", ref).clause == ref


def test_cli_exit_codes_through_the_entry_point():
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "cctv_guard", "articles", "9(3)", "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "toilets" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "cctv_guard", "articles", "9(9)"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Article 9 has clauses (1)..(6)" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_kinds_table_json():
    r = runner.invoke(app, ["articles", "--kinds", "--json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["filing_overdue"]["penalty_article"] == "19(2)" and "duty_zh" not in doc["moved"]


def test_every_clause_literal_in_the_package_resolves():
    """Any string literal shaped like a clause ("16(7)") anywhere in the package — constants,
    maps, f-string-free literals — names a real clause of one of the regimes."""
    pat = re.compile(r"""["'](\d{1,2}\(\d{1,2}\))["']""")
    seen = set()

    def resolves(ref: str) -> bool:
        for regime in articles.REGIMES:
            try:
                articles.clause(ref, regime)
                return True
            except ConfigError:
                pass
        return False

    for py in PACKAGE.rglob("*.py"):
        for m in pat.finditer(py.read_text(encoding="utf-8")):
            seen.add(m.group(1))
            assert resolves(m.group(1)), f"{py.name}: {m.group(1)} is no clause of any regime"
    assert len(seen) >= 10  # the scan itself found the package's citations


def test_kinds_cited_through_the_catalogue_exist():
    """Code that asks the catalogue for a kind by a literal name (for_kind("x") / _finding("x"))
    asks for a kind it knows."""
    pat = re.compile(r"""(?:for_kind|_finding)\(\s*["']([a-z_]+)["']""")
    for py in PACKAGE.rglob("*.py"):
        for m in pat.finditer(py.read_text(encoding="utf-8")):
            articles.for_kind(m.group(1))


def test_missing_schema_is_named(data_copy):
    def mutate(raw):
        del raw["schema"]
    with pytest.raises(ConfigError, match=r"^articles\.yaml:1: schema: Field required"):
        data_copy(mutate)


def test_legal_package_re_exports_the_catalogue():
    import cctv_guard.legal as legal

    assert legal.articles is articles and legal.for_kind is articles.for_kind
    assert all(getattr(legal, name) is not None for name in legal.__all__)
    public = {n for n in vars(articles) if not n.startswith("_") and getattr(getattr(articles, n), "__module__", None) == articles.__name__}
    assert public <= set(legal.__all__)
