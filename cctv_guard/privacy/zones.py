"""The places Art. 9 protects (*zones*), the clause each falls under, and the zone *families*
whose cues corroborate each other (a toilet and a bathtub are both evidence of a sanitary room)."""

from __future__ import annotations

# Art. 9 zones and the clause each one falls under.
ZONES: dict[str, str] = {
    "hotel_room": "9(1)",
    "private_room": "9(1)",
    "dormitory": "9(2)",
    "restroom": "9(3)",
    "bathroom": "9(3)",
    "changing_room": "9(3)",
    "nursing_room": "9(3)",
    "bank_counter": "9(4)",
    "atm_pinpad": "9(4)",
    "ballot": "9(5)",
    "other_private": "9(6)",
}

# Zones whose cues corroborate each other and yield one finding (the zone with most evidence).
FAMILY: dict[str, str] = {
    "restroom": "sanitary",
    "bathroom": "sanitary",
    "hotel_room": "sleeping",
    "dormitory": "sleeping",
    "bank_counter": "banking",
    "atm_pinpad": "banking",
}


def family_of(zone: str) -> str:
    """The family a zone's evidence is summed in (a zone outside any family is its own)."""
    return FAMILY.get(zone, zone)


def article_of(zone: str) -> str:
    """The Art. 9 clause ("9(3)") a zone falls under."""
    return ZONES[zone]
