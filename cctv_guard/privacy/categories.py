"""The prohibited place categories the scene head learns and the scan zone each one reports as.
Which clause forbids a camera there (Gansu Order 78 Art. 9, national Order 799 Art. 8) is the
legal package's one table, `cctv_guard.legal.mapping.CATEGORY_CLAUSES`; `Category.gansu` and
`Category.national` read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cctv_guard.legal.mapping import CATEGORY_CLAUSES

ALLOWED = "allowed"


@dataclass(frozen=True)
class Category:
    name: str
    zone: str  # the scan zone (zones.ZONES) a finding of this category is reported as
    meaning: str

    @property
    def gansu(self) -> str:
        """The Order 78 Art. 9 clause."""
        return CATEGORY_CLAUSES[self.name][0]

    @property
    def national(self) -> str:
        """The Order 799 Art. 8 clause."""
        return CATEGORY_CLAUSES[self.name][1]


_ROWS = (
    Category("toilet_urinal", "restroom", "toilets, urinals, cubicles (卫生间)"),
    Category("bathroom_shower", "bathroom", "bathrooms, showers (浴室)"),
    Category("changing_locker", "changing_room", "changing and locker rooms (更衣室)"),
    Category("fitting_room", "changing_room", "shop fitting rooms (试衣间)"),
    Category("nursing_baby", "nursing_room", "nursing and baby-care rooms (哺乳室)"),
    Category("hotel_room", "hotel_room", "hotel, guesthouse, B&B rooms (旅馆客房, 民宿客房)"),
    Category("dorm_rest_room", "dormitory", "dormitories and staff rest rooms (宿舍, 休息房间)"),
    Category("ktv_private_room", "private_room", "KTV and entertainment private rooms (娱乐场所包房)"),
    Category("private_dining_room", "private_room", "restaurant private dining rooms (饭店包间)"),
    Category("atm_pin_counter", "atm_pinpad", "ATM keypads, PIN pads, teller counters seen close"),
    Category("ballot_voting", "ballot", "ballot boxes, voting booths, polling stations"),
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
