"""The national regime (Order 799) beside Order 78: its catalogue matches the transcription, every
finding kind maps to a duty and a penalty under each regime, and the event vocabularies."""

from __future__ import annotations

import re

import pytest

from cctv_guard import legal
from cctv_guard.core.errors import ConfigError
from cctv_guard.legal import articles, mapping, vocab
from tests.conftest import REPO

NATIONAL_FILE = REPO.parent / "shared" / "regulation" / "national-order-799-2025.zh.md"
N = "national-799"
TAMPER = ["moved", "rotated", "zoomed", "coverage_lost", "covered", "defocused", "blackout", "frozen", "signal_lost"]


def _national_lines() -> list[str]:
    if not NATIONAL_FILE.is_file():
        pytest.skip(f"{NATIONAL_FILE} not present")
    lines = NATIONAL_FILE.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith(("<!--", "#"))]


def test_national_chinese_text_matches_the_transcription_line_for_line():
    ours = [line.replace("\u3000", " ", 1) for a in articles.all_articles(N) for line in a.lines("zh")]
    assert ours == _national_lines()


def test_national_catalogue_shape_and_notice():
    reg = articles.regulation(N)
    assert [a.id for a in reg.articles] == [str(i) for i in range(1, 35)]
    assert reg.effective == "2025-04-01"
    assert "unofficial" in reg.notice.lower()
    assert {a.id: len(a.clauses) for a in reg.articles if a.clauses} == {"7": 4, "8": 4, "16": 4, "23": 6}
    # paragraphs after the numbered items are kept in place
    assert articles.get("8", N).after[0].zh.startswith("对上述区域、部位负有经营管理责任")
    assert articles.get("7", N).after[0].zh.startswith("在前两款规定的场所")
    for a in reg.articles:
        for node in (*a.paragraphs, *a.clauses, *a.after):
            assert node.en and not re.search(r"[\u4e00-\u9fff]", node.en)


def test_national_clause_lookups():
    assert "试衣间" in articles.clause("8(3)", N).zh
    assert "fitting rooms" in articles.clause("8(3)", N).en
    assert articles.text("8", "zh", regime=N).startswith("第八条\u3000禁止在公共场所")
    assert "擅自改动、迁移、拆除" in articles.clause("23(2)", N).zh
    # the Gansu default is unchanged
    assert articles.get("9").topic == "Where cameras are prohibited" and len(articles.all_articles()) == 22


@pytest.mark.parametrize("bad", ["gansu", "national", "", "799"])
def test_unknown_regime_is_one_line_error(bad):
    with pytest.raises(ConfigError, match=r"^unknown regime .*gansu-78, national-799$"):
        articles.regulation(bad)
    with pytest.raises(ConfigError, match="unknown regime"):
        mapping.citations("moved", regimes=bad)


def test_unknown_national_article_is_named():
    with pytest.raises(ConfigError, match=r"national-799 has Articles 1\.\.34"):
        articles.resolve("35", N)
    with pytest.raises(ConfigError, match=r"clauses \(1\)\.\.\(4\)"):
        articles.resolve("8(5)", N)


def _by_regime(cites):
    return {c["regime"]: (c["article"], c["penalty"]) for c in cites}


# The three targets of issue 16, read off the two texts by hand:
# a moved camera: Order 78 Art. 8 (position and range fixed), penalty Art. 19(1);
#   Order 799 Art. 23(2) (no moving or altering), penalty Art. 30.
# a fitting room: Order 78 Art. 9(3) (changing rooms), penalty Art. 20; Order 799 Art. 8(3), penalty Art. 27.
# an overdue filing: Order 78 Art. 11, penalty Art. 19(2); Order 799 Art. 14, penalty Art. 29.
def test_moved_camera_cites_both_regimes():
    assert mapping.citations("moved") == [
        {"regime": "gansu-78", "article": "8", "penalty": "19(1)"},
        {"regime": "national-799", "article": "23(2)", "penalty": "30"},
    ]


def test_fitting_room_cites_both_regimes():
    assert _by_regime(mapping.citations("privacy", zone="fitting_room", article="9(3)")) == {
        "gansu-78": ("9(3)", "20"), "national-799": ("8(3)", "27")}


def test_overdue_filing_cites_both_regimes():
    assert _by_regime(mapping.citations("filing_overdue")) == {"gansu-78": ("11", "19(2)"), "national-799": ("14", "29")}


@pytest.mark.parametrize("zone,gansu,national", [
    ("private_dining_room", "9(6)", "8(1)"),
    ("bnb_room", "9(1)", "8(1)"),
    ("staff_rest_room", "9(6)", "8(2)"),
    ("dormitory", "9(2)", "8(2)"),
    ("bank_counter", "9(4)", "8(4)"),  # named by Order 78, only the catch-all of Order 799
    ("ballot", "9(5)", "8(4)"),
])
def test_privacy_zones_map_to_both_regimes(zone, gansu, national):
    got = _by_regime(mapping.citations("privacy", zone=zone))
    assert got == {"gansu-78": (gansu, "20"), "national-799": (national, "27")}


def test_unknown_zone_falls_back_on_the_findings_gansu_clause():
    assert _by_regime(mapping.citations("privacy", zone="sauna_cabin", article="9(3)"))["national-799"] == ("8(3)", "27")


def test_every_event_kind_has_a_duty_under_both_regimes():
    for kind in TAMPER + ["filing_overdue", "signage_missing", "retention_short", "footage_altered", "ledger"]:
        got = _by_regime(mapping.citations(kind))
        assert set(got) == {"gansu-78", "national-799"}, kind
        for regime, (art, _) in got.items():
            articles.resolve(art, regime)


def test_kinds_only_one_regime_names():
    assert [c["regime"] for c in mapping.citations("retention_excess")] == ["national-799"]
    assert [c["regime"] for c in mapping.citations("backup_retention_short")] == ["gansu-78"]
    assert mapping.citations("no_such_kind") == []
    # covering is banned by 23(2) but Art. 30 penalises only altering, moving and removing
    assert _by_regime(mapping.citations("covered"))["national-799"] == ("23(2)", None)


def test_art7_scope_exempts_national_duties():
    assert [c["regime"] for c in mapping.citations("filing_overdue", art7=False)] == ["gansu-78"]
    assert [c["regime"] for c in mapping.citations("moved", art7=False)] == ["gansu-78"]
    assert [c["regime"] for c in mapping.citations("retention_short", art7=False)] == ["gansu-78"]
    # Art. 8 (prohibited places) and 13 (signage) bind every camera
    assert "national-799" in {c["regime"] for c in mapping.citations("privacy", zone="restroom", art7=False)}
    assert "national-799" in {c["regime"] for c in mapping.citations("signage_missing", art7=False)}
    assert len(mapping.citations("moved", art7=True)) == 2


def test_one_regime_only():
    assert mapping.citations("moved", regimes="national-799") == [{"regime": "national-799", "article": "23(2)", "penalty": "30"}]


@pytest.mark.parametrize("kind,topic", [
    ("moved", "tns1:VideoSource/GlobalSceneChange/AnalyticsService"),
    ("covered", "tns1:VideoSource/GlobalSceneChange/AnalyticsService"),
    ("defocused", "tns1:VideoSource/ImageTooBlurry/AnalyticsService"),
    ("blackout", "tns1:VideoSource/ImageTooDark/AnalyticsService"),
    ("signal_lost", "tns1:VideoSource/SignalLoss"),
    ("frozen", None),
    ("filing_overdue", None),
])
def test_onvif_topics(kind, topic):
    assert vocab.onvif_topic(kind) == topic


def test_gb28181_alarm_pairs():
    lost = vocab.gb28181_alarm("signal_lost")
    assert (lost.alarm_method, lost.alarm_type) == (2, 1)
    for kind in ["moved", "covered", "frozen", "defocused"]:
        a = vocab.gb28181_alarm(kind)
        assert (a.alarm_method, a.alarm_type) == (5, 11) and kind in a.description
    assert vocab.gb28181_alarm("privacy") is None


def test_annotate_only_adds():
    ev = {"kind": "moved", "article": "8", "start_s": 1.0}
    out = legal.annotate(ev)
    assert {k: out[k] for k in ev} == ev
    assert out["gb28181"]["alarm_type"] == 11 and len(out["legal"]) == 2
    assert legal.annotate({"kind": "moved", "legal": ["kept"]})["legal"] == ["kept"]


def test_only_regime_cuts_the_legal_list():
    items = [legal.annotate({"kind": "moved"})]
    assert [c["regime"] for c in legal.only_regime(items, "gansu-78")[0]["legal"]] == ["gansu-78"]
    with pytest.raises(ConfigError):
        legal.only_regime(items, "bogus")


@pytest.mark.parametrize("category,zone,gansu,national", [
    ("ktv_private_room", "private_room", "9(1)", "8(4)"),     # a KTV room is no lodging or catering place
    ("private_dining_room", "private_room", "9(6)", "8(1)"),  # a restaurant's private room is no
    # entertainment venue's (Order 78 catch-all) but a catering place's (Order 799 8(1))
    ("fitting_room", "changing_room", "9(3)", "8(3)"),
    ("dorm_rest_room", "dormitory", "9(2)", "8(2)"),
])
def test_scene_categories_refine_the_national_item(category, zone, gansu, national):
    from cctv_guard.privacy.categories import CATEGORIES
    from cctv_guard.privacy.zones import article_of

    got = _by_regime(mapping.citations("privacy", zone=zone, article=article_of(zone), category=category))
    assert got == {"gansu-78": (gansu, "20"), "national-799": (national, "27")}
    assert (CATEGORIES[category].gansu, CATEGORIES[category].national) == (gansu, national)  # one table


def test_gansu_entry_is_the_findings_own_article():
    # the finding's article is what the project already cites; the legal list never contradicts it
    got = _by_regime(mapping.citations("privacy", zone="fitting_room", article="9(6)"))
    assert got["gansu-78"] == ("9(6)", "20") and got["national-799"] == ("8(3)", "27")
