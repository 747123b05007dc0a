"""The sign-text lexicon: Chinese and English keywords → Art. 9 zones."""

from __future__ import annotations

import pytest

from cctv_guard.privacy import lexicon
from cctv_guard.privacy import ZONES


def zones(text: str) -> dict[str, lexicon.LexiconHit]:
    return {h.zone: h for h in lexicon.match_text(text)}


@pytest.mark.parametrize(
    "text, zone",
    [
        ("卫生间", "restroom"),
        ("男卫生间", "restroom"),
        ("公共厕所", "restroom"),
        ("洗手间 Restroom", "restroom"),
        ("衛生間", "restroom"),  # traditional characters
        ("WC", "restroom"),
        ("Public Toilets", "restroom"),
        ("PUBLICTOILET", "restroom"),  # OCR glued the words
        ("Ｔｏｉｌｅｔ", "restroom"),  # full-width letters
        ("浴室", "bathroom"),
        ("淋浴间", "bathroom"),
        ("Showers", "bathroom"),
        ("更衣室", "changing_room"),
        ("Locker Room", "changing_room"),
        ("哺乳室", "nursing_room"),
        ("母婴室 Mother and Baby", "nursing_room"),
        ("客房", "hotel_room"),
        ("KTV包房", "private_room"),
        ("员工宿舍", "dormitory"),
        ("Dormitory B", "dormitory"),
        ("ATM", "atm_pinpad"),
        ("24小时自助银行", "atm_pinpad"),
        ("投票站", "ballot"),
        ("Polling Station", "ballot"),
        ("选举箱", "ballot"),
    ],
)
def test_keywords_map_to_zones(text, zone):
    hits = zones(text)
    assert zone in hits, f"{text!r} -> {hits}"
    assert not hits[zone].weak


@pytest.mark.parametrize(
    "text",
    ["男装", "女士内衣", "WCDMA", "Exchanging", "storyteller", "Bathmat sale", "KARJM11", "CampusExpress", "出口 EXIT", "",
     # products on shelves and in adverts are not places
     "沐浴露 特价", "Toilet Paper 3 for 2", "Shower gel 250ml", "浴室柜", "TOILET ROLLS"],
)
def test_ordinary_text_names_no_zone_or_only_weakly(text):
    assert all(h.weak for h in lexicon.match_text(text)), lexicon.match_text(text)
    assert not [h for h in lexicon.match_text(text) if not h.weak]


@pytest.mark.parametrize("text", ["男", "女", "女士", "MEN", "Ladies", "男 MEN"])
def test_single_gender_words_are_weak(text):
    hits = zones(text)
    assert set(hits) == {"restroom"} and hits["restroom"].weak


def test_gender_character_inside_a_word_does_not_match():
    assert lexicon.match_text("男装") == ()
    assert lexicon.match_text("女装店") == ()


def test_directional_sign_weighs_less_than_the_door_sign():
    door = zones("洗手间")["restroom"].weight
    arrow = zones("洗手间 →")["restroom"].weight
    assert arrow < door
    assert zones("Toilets this way")["restroom"].weight < zones("Toilets")["restroom"].weight


def test_one_hit_per_zone_strongest_first():
    hits = lexicon.match_text("男 卫生间 WC 更衣室")
    assert [h.zone for h in hits].count("restroom") == 1
    assert {h.zone for h in hits} == {"restroom", "changing_room"}
    assert not hits[0].weak


def test_every_term_names_a_known_zone_and_a_positive_weight():
    for term in lexicon.TERMS:
        assert term.zone in ZONES, term
        assert term.weight > 0, term


def test_room_alone_is_weak_but_guest_room_is_not():
    assert zones("Room 301")["hotel_room"].weak
    assert not zones("Guest Room 301")["hotel_room"].weak


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_well_formed_hits(text):
    hits = lexicon.match_text(text)
    assert len({h.zone for h in hits}) == len(hits)
    line = lexicon.normalise(text)
    for h in hits:
        assert h.zone in ZONES and h.weight > 0
        assert 0 <= h.span[0] < h.span[1] <= len(line)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([t for t in lexicon.TERMS if not t.weak]), st.sampled_from(["", " ", "  ", "：", "-"]),
       st.sampled_from(["", "入口", " Entrance", " 2F", "→"]))
def test_strong_terms_are_found_with_surrounding_text(term, sep, extra):
    hits = {h.zone: h for h in lexicon.match_text(f"{term.text}{sep}{extra}")}
    assert term.zone in hits
