"""The prohibited place categories the scene head learns, the scan zone each one reports as, and
the article that forbids a camera there under Gansu Order 78 Art. 9 and national Order 799 Art. 8
(texts in the project's shared/regulation folder).

Citations for scan output are the legal module's business; this table only says which clause
each category falls under, for the model card and the evaluation report.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED = "allowed"


@dataclass(frozen=True)
class Category:
    name: str
    zone: str  # the scan zone (zones.ZONES) a finding of this category is reported as
    gansu: str  # Gansu Order 78 Art. 9 clause
    national: str  # Order 799 Art. 8 clause
    meaning: str


_ROWS = (
    Category("toilet_urinal", "restroom", "9(3)", "8(3)", "toilets, urinals, cubicles (卫生间)"),
    Category("bathroom_shower", "bathroom", "9(3)", "8(3)", "bathrooms, showers (浴室)"),
    Category("changing_locker", "changing_room", "9(3)", "8(3)", "changing and locker rooms (更衣室)"),
    # Order 78 names 更衣室 but not 试衣间; a shop fitting room falls under its catch-all 9(6)
    Category("fitting_room", "changing_room", "9(6)", "8(3)", "shop fitting rooms (试衣间)"),
    Category("nursing_baby", "nursing_room", "9(3)", "8(3)", "nursing and baby-care rooms (哺乳室)"),
    Category("hotel_room", "hotel_room", "9(1)", "8(1)", "hotel, guesthouse, B&B rooms (旅馆客房, 民宿客房)"),
    Category("dorm_rest_room", "dormitory", "9(2)", "8(2)", "dormitories and staff rest rooms (宿舍, 休息房间)"),
    # Order 799 8(1) covers private rooms of lodging/catering places only; a KTV room is 8(4)
    Category("ktv_private_room", "private_room", "9(1)", "8(4)", "KTV and entertainment private rooms (娱乐场所包房)"),
    # Order 78 9(1) names entertainment-venue private rooms only; a restaurant's is 9(6)
    Category("private_dining_room", "private_room", "9(6)", "8(1)", "restaurant private dining rooms (饭店包间)"),
    Category("atm_pin_counter", "atm_pinpad", "9(4)", "8(4)", "ATM keypads, PIN pads, teller counters seen close"),
    Category("ballot_voting", "ballot", "9(5)", "8(4)", "ballot boxes, voting booths, polling stations"),
)

CATEGORIES: dict[str, Category] = {c.name: c for c in _ROWS}

# the category a finding made without the scene head (objects, signs only) is reported as
_ZONE_DEFAULT = {
    "restroom": "toilet_urinal",
    "bathroom": "bathroom_shower",
    "changing_room": "changing_locker",
    "nursing_room": "nursing_baby",
    "hotel_room": "hotel_room",
    "dormitory": "dorm_rest_room",
    "private_room": "ktv_private_room",
    "atm_pinpad": "atm_pin_counter",
    "bank_counter": "atm_pin_counter",
    "ballot": "ballot_voting",
}


def zone_of(category: str) -> str:
    """The scan zone a prohibited category is reported as (KeyError for an unknown one)."""
    return CATEGORIES[category].zone


def category_for_zone(zone: str) -> str:
    """The usual category of a zone, for findings made from object and sign cues alone."""
    return _ZONE_DEFAULT.get(zone, "other_private")
