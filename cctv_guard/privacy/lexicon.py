"""Sign-text keywords (Chinese and English) that point to the places Art. 9 protects.

OCR reads text lines off a frame; `match_text` maps one line to the Art. 9 zones its words name
("卫生间" → restroom, "更衣室" → changing_room, "ATM" → atm_pinpad...). Each hit carries a weight
(how strongly the word alone implies that the camera looks at such a place) and a `weak` flag:
weak words (男, 女, MEN, LADIES, Room...) are common on restroom doors but also on shop signs and
offices, so fusion counts them only next to other cues for the same zone.

Matching rules, chosen for how signs read through OCR:
- Chinese terms match as substrings ("男卫生间" contains 卫生间). Weak single characters match
  only as a whole token ("男" or "男士" alone, not "男装", the men's-wear shop).
- English terms are case-insensitive; short ones (WC, ATM, vote...) need word boundaries, longer
  ones also match inside OCR-glued text ("PUBLICTOILET").
- Directional signs (an arrow, "this way", "方向") halve the weight: a corridor camera that sees
  "洗手间 →" views the way to a restroom, not the restroom.
- Product names on shelves and adverts (沐浴露 shower gel, toilet paper, 浴室柜...) are not places.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    text: str  # as written in the lexicon (canonical spelling)
    zone: str  # Art. 9 zone, see privacy.ZONES
    weight: float  # evidence (log-odds units) that a clearly read term adds
    weak: bool = False  # counts only next to other cues of the same zone
    boundary: bool = False  # English: must be a whole word


@dataclass(frozen=True)
class LexiconHit:
    term: str  # canonical spelling of the matched term
    zone: str
    weight: float  # after the directional-sign discount
    weak: bool
    span: tuple[int, int]  # character span in the normalised line


def _zh(zone: str, weight: float, *words: str, weak: bool = False) -> list[Term]:
    return [Term(w, zone, weight, weak=weak) for w in words]


def _en(zone: str, weight: float, *words: str, weak: bool = False, boundary: bool = False) -> list[Term]:
    return [Term(w, zone, weight, weak=weak, boundary=boundary or len(w) <= 4) for w in words]


# Weights are log-odds evidence; fusion's default decision point is 2.0 (privacy.config.FusionConfig): a strong term
# read clearly is a finding by itself, a weak one never.
TERMS: tuple[Term, ...] = tuple(
    # 9(3) restrooms
    _zh("restroom", 4.0, "卫生间", "厕所", "洗手间", "公厕", "男厕", "女厕", "盥洗室", "衛生間", "洗手間", "廁所")
    + _en("restroom", 4.0, "toilet", "restroom", "rest room", "washroom", "lavatory", "wc", "w.c.")
    + _en("restroom", 3.0, "gents", "men's room", "ladies' room", "powder room")
    + _zh("restroom", 1.5, "男", "女", "男士", "女士", "男性", "女性", weak=True)
    + _en("restroom", 1.5, "men", "women", "ladies", "gentlemen", "male", "female", weak=True)
    # 9(3) bathrooms and showers
    + _zh("bathroom", 4.0, "浴室", "淋浴", "淋浴间", "沐浴", "澡堂", "洗浴", "浴池", "桑拿")
    + _en("bathroom", 4.0, "bathroom", "shower", "showers", "bath house", "sauna")
    # 9(3) changing rooms
    + _zh("changing_room", 4.0, "更衣室", "更衣间", "试衣间", "换衣间", "更衣", "試衣間")
    + _en("changing_room", 4.0, "changing room", "locker room", "fitting room", "dressing room")
    + _en("changing_room", 3.0, "changing", boundary=True)
    + _en("changing_room", 2.5, "locker", "lockers")
    # 9(3) nursing rooms
    + _zh("nursing_room", 4.0, "哺乳室", "母婴室", "母婴间", "哺乳间", "育婴室", "母嬰室")
    + _en("nursing_room", 4.0, "nursing room", "nursing", "mother and baby", "baby care", "lactation",
          "breastfeeding", "baby changing")
    # 9(1) hotel rooms and private entertainment rooms
    + _zh("hotel_room", 4.0, "客房", "标准间", "大床房", "双床房", "套房")
    + _en("hotel_room", 4.0, "guest room", "guestroom", "hotel room")
    + _en("hotel_room", 1.5, "room", weak=True)
    + _zh("private_room", 4.0, "包房", "包间", "包厢", "雅间", "雅座")
    + _en("private_room", 4.0, "private room", "vip room", "karaoke", "ktv")
    # 9(2) dormitories
    + _zh("dormitory", 4.0, "宿舍", "寝室", "宿舍楼")
    + _en("dormitory", 4.0, "dormitory", "dorm")
    # 9(4) financial operation points
    + _zh("atm_pinpad", 4.0, "自助银行", "取款机", "存取款", "自动柜员机", "自助取款")
    + _en("atm_pinpad", 4.0, "atm", "cash machine", "self-service banking", "pin pad", "enter pin", "enter your pin")
    + _zh("bank_counter", 3.0, "柜台", "柜员", "营业窗口", "理财室", "现金区")
    + _en("bank_counter", 3.0, "teller", "bank counter", boundary=True)
    + _en("bank_counter", 1.5, "counter", weak=True)
    # 9(5) ballots and polling stations
    + _zh("ballot", 4.0, "投票", "票箱", "选举", "投票箱", "投票站", "投票处", "选票", "唱票", "选举箱")
    + _en("ballot", 4.0, "polling", "ballot", "vote", "voting", "polling station")
)

# Product names that contain a place word: shelf labels and adverts, not the place itself.
_PRODUCTS = re.compile(
    r"沐浴露|沐浴乳|沐浴液|沐浴球|浴室柜|浴室用品|卫生间用品|厕所清洁|"
    r"toilet\s*(?:paper|roll|rolls|tissue|cleaner|brush|seat cover)s?|"
    r"shower\s*(?:gel|cream|head|heads|curtain|curtains|cap|caps|screen|screens)|bathroom\s*(?:cleaner|scale|scales)",
    re.IGNORECASE,
)
_DIRECTIONAL = re.compile(r"[←→↑↓↖↗↘↙⇦⇨⇧⇩➔➜➝➞⬅⬆⬇⮕]|方向|往前|前方|this way|direction", re.IGNORECASE)
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9'.]+", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalise(text: str) -> str:
    """NFKC (full-width letters → ASCII), case-folded, runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _is_cjk(term: str) -> bool:
    return bool(_CJK.search(term))


def _pattern(term: Term) -> re.Pattern[str]:
    body = re.escape(normalise(term.text)).replace(r"\ ", r"\s*")
    if _is_cjk(term.text) or not term.boundary:
        return re.compile(body)
    return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])")


_COMPILED: tuple[tuple[Term, re.Pattern[str]], ...] = tuple(
    # longest first so that "淋浴间" wins over "淋浴" for the same span
    (t, _pattern(t)) for t in sorted(TERMS, key=lambda t: -len(t.text))
)


def match_text(text: str) -> tuple[LexiconHit, ...]:
    """Zones named by one OCR text line; one hit per zone (the strongest), strongest first."""
    line = normalise(text)
    if not line:
        return ()
    line = _PRODUCTS.sub(lambda m: " " * len(m.group(0)), line)  # keep spans aligned
    tokens = {m.group(0) for m in _TOKEN.finditer(line)}
    discount = 0.5 if _DIRECTIONAL.search(line) else 1.0
    best: dict[str, LexiconHit] = {}
    taken: list[tuple[int, int]] = []
    for term, pat in _COMPILED:
        if term.weak and _is_cjk(term.text):
            if normalise(term.text) not in tokens:
                continue
            m = re.search(re.escape(normalise(term.text)), line)
        else:
            m = pat.search(line)
        if m is None:
            continue
        span = m.span()
        # a shorter term inside an already matched longer one adds nothing ("女厕" then "女")
        if any(a <= span[0] and span[1] <= b for a, b in taken):
            continue
        taken.append(span)
        hit = LexiconHit(term.text, term.zone, term.weight * discount, term.weak, span)
        old = best.get(term.zone)
        if old is None or (old.weak, -old.weight) > (hit.weak, -hit.weight):
            best[term.zone] = hit
    return tuple(sorted(best.values(), key=lambda h: (h.weak, -h.weight, h.zone)))
