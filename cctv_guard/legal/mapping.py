"""The mapping from finding kinds to citations under every regime: for a finding kind (and, for a
privacy finding, its zone and place category) the duty article and the penalty article under Gansu
Order 78 and national Order 799, as the ``legal`` list that every event and finding carries. The
mapping and its reasoning: docs/legal.md.

    citations("moved")   # gansu-78 Art. 8, penalty 19(1); national-799 Art. 23(2), penalty 30
    citations("privacy", zone="fitting_room")   # 9(3) / 8(3)
    citations("filing_overdue", art7=False)     # national Art. 14 does not apply (Art. 9 para. 2)

A kind a regime names no duty for is simply absent from that regime's entries; a penalty the
regime does not state is ``None``. Nothing here raises for an unknown kind (it has no entries);
an unknown regime is a one-line ``ConfigError``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Mapping

from cctv_guard.core.errors import ConfigError
from cctv_guard.legal import articles, vocab
from cctv_guard.legal.articles import GANSU, NATIONAL, check_regime, parse_ref

ALL_REGIMES: tuple[str, ...] = tuple(articles.REGIMES)

#: Art. 9 (Gansu) / Art. 8 (national) places, as ``zone -> (gansu-78 clause, national-799 clause)``.
#: The national catch-all 8(4) takes the places Order 78 names but Order 799 does not (bank
#: operation points 9(4), ballots 9(5)).
ZONE_CLAUSES: dict[str, tuple[str, str]] = {
    "hotel_room": ("9(1)", "8(1)"),
    "bnb_room": ("9(1)", "8(1)"),
    "private_room": ("9(1)", "8(1)"),
    "private_dining_room": ("9(6)", "8(1)"),
    "dormitory": ("9(2)", "8(2)"),
    "staff_rest_room": ("9(6)", "8(2)"),
    "restroom": ("9(3)", "8(3)"),
    "bathroom": ("9(3)", "8(3)"),
    "changing_room": ("9(3)", "8(3)"),
    "nursing_room": ("9(3)", "8(3)"),
    "fitting_room": ("9(3)", "8(3)"),
    "bank_counter": ("9(4)", "8(4)"),
    "atm_pinpad": ("9(4)", "8(4)"),
    "ballot": ("9(5)", "8(4)"),
    "other_private": ("9(6)", "8(4)"),
}
#: The one table of the place categories of the privacy scan (``cctv_guard.privacy.categories``;
#: a finding's ``category``): ``category -> (gansu-78 clause, national-799 clause)``. The
#: categories are finer than the zones: a KTV room is an entertainment-venue private room (Order
#: 78 9(1)) but not a lodging or catering place (Order 799 8(4), not 8(1)); a restaurant's private
#: dining room is the other way round (9(6), 8(1)); a shop fitting room (试衣间) is named by Order
#: 799 8(3) and read as a changing room (更衣室) under Order 78 9(3). Reasons: docs/legal.md.
CATEGORY_CLAUSES: dict[str, tuple[str, str]] = {
    "toilet_urinal": ("9(3)", "8(3)"), "bathroom_shower": ("9(3)", "8(3)"), "changing_locker": ("9(3)", "8(3)"),
    "fitting_room": ("9(3)", "8(3)"), "nursing_baby": ("9(3)", "8(3)"), "hotel_room": ("9(1)", "8(1)"),
    "dorm_rest_room": ("9(2)", "8(2)"), "ktv_private_room": ("9(1)", "8(4)"),
    "private_dining_room": ("9(6)", "8(1)"), "atm_pin_counter": ("9(4)", "8(4)"), "ballot_voting": ("9(5)", "8(4)"),
}
#: For a zone this table does not know: the national clause of the finding's Gansu clause.
GANSU_TO_NATIONAL: dict[str, str] = {"9(1)": "8(1)", "9(2)": "8(2)", "9(3)": "8(3)", "9(4)": "8(4)", "9(5)": "8(4)", "9(6)": "8(4)"}

#: Order 799 Art. 9 para. 2: cameras outside Art. 7 places are exempt from these provisions
#: (Art. 16 para. 2 is items 16(1)..16(4)); Art. 23(2) by its own words covers Art. 7 cameras only.
EXEMPT_OUTSIDE_ART7: tuple[str, ...] = ("11", "14", "15", "16(1)", "16(2)", "16(3)", "16(4)", "17", "23(2)")


def regimes_arg(regimes: str | Iterable[str] | None) -> tuple[str, ...]:
    """``None`` -> every regime; one id or several -> those, checked (one-line ConfigError)."""
    if regimes is None:
        return ALL_REGIMES
    chosen = (regimes,) if isinstance(regimes, str) else tuple(regimes)
    return tuple(check_regime(r) for r in chosen)


def privacy_clause(regime: str, zone: str | None, article: str | None, category: str | None = None) -> str | None:
    """The prohibited-place clause a privacy finding falls under in ``regime``: the item of its place
    ``category`` when known (the finding's own ``article`` is then the same Order 78 item); else,
    under Order 78, the finding's ``article`` or its zone's item; under Order 799 its zone's item,
    else the counterpart of its Order 78 item."""
    if category in CATEGORY_CLAUSES:
        return CATEGORY_CLAUSES[category][0 if regime == GANSU else 1]
    pair = ZONE_CLAUSES.get(zone or "")
    if regime == GANSU:
        return article or (pair[0] if pair else None)
    if pair:
        return pair[1]
    return GANSU_TO_NATIONAL.get(_canon(article)) if article else None


def applies(regime: str, ref: str, art7: bool | None) -> bool:
    """Whether a duty applies to a camera: under national-799 a camera known to be outside the
    Art. 7 places (``art7=False``) is exempt from the provisions of Art. 9 para. 2."""
    if regime != NATIONAL or art7 is not False:
        return True
    art, _ = parse_ref(ref)
    return _canon(ref) not in EXEMPT_OUTSIDE_ART7 and str(art) not in EXEMPT_OUTSIDE_ART7


def citations(kind: str, *, zone: str | None = None, article: str | None = None, category: str | None = None,
              regimes: str | Iterable[str] | None = None, art7: bool | None = None) -> list[dict[str, Any]]:
    """``[{"regime", "article", "penalty"}]`` for a finding kind under each regime (all by default).
    ``zone``/``article``/``category``: a privacy finding's zone, Order 78 clause and place category.
    ``art7``: whether the camera is at an Order 799 Art. 7 place (None: unknown, every duty cited)."""
    found = _citations(kind, zone, article, category, regimes_arg(regimes), art7)
    return [{"regime": r, "article": a, "penalty": p} for r, a, p in found]


@lru_cache(maxsize=4096)
def _citations(kind: str, zone: str | None, article: str | None, category: str | None, regimes: tuple[str, ...],
               art7: bool | None) -> tuple[tuple[str, str, str | None], ...]:
    out = []
    for regime in regimes:
        if not articles.has_kind(kind, regime):
            continue
        clause = privacy_clause(regime, zone, article, category) if kind == "privacy" else None
        try:
            c = articles.for_kind(kind, clause, regime=regime)
        except ConfigError:  # a clause this regime does not have: cite the article
            c = articles.for_kind(kind, regime=regime)
        if applies(regime, c.ref, art7):
            out.append((regime, c.ref, c.penalty_article))
    return tuple(out)


def kind_rows(regimes: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The mapping table: one row per finding kind any of the regimes names, then one per privacy
    zone (``{"kind", "zone", "legal"}``), for ``articles --kinds`` and docs/legal.md."""
    chosen = regimes_arg(regimes)
    names: list[str] = []
    for regime in chosen:
        names += [k for k in articles.kinds(regime) if k not in names]
    rows = [{"kind": k, "zone": None, "legal": citations(k, regimes=chosen)} for k in names]
    if "privacy" in names:
        rows += [{"kind": "privacy", "zone": z, "legal": citations("privacy", zone=z, regimes=chosen)} for z in ZONE_CLAUSES]
    return rows


def legal_fields(kind: str, *, zone: str | None = None, article: str | None = None, category: str | None = None,
                 regimes: str | Iterable[str] | None = None, art7: bool | None = None) -> dict[str, Any]:
    """The fields every serialised event or finding gains: ``legal`` (see :func:`citations`),
    ``onvif_topic`` and ``gb28181`` (None where the vocabulary has no code for the kind)."""
    alarm = vocab.gb28181_alarm(kind)
    return {
        "legal": citations(kind, zone=zone, article=article, category=category, regimes=regimes, art7=art7),
        "onvif_topic": vocab.onvif_topic(kind),
        "gb28181": alarm.to_json() if alarm else None,
    }


def annotate(item: Mapping[str, Any], *, regimes: str | Iterable[str] | None = None,
             art7: bool | None = None) -> dict[str, Any]:
    """A copy of an event or finding dict with the :func:`legal_fields` it lacks added (fields it
    already has are kept as they are: adding is all this does)."""
    kind = item.get("kind")
    if not isinstance(kind, str):
        return dict(item)
    zone, art, cat = item.get("zone"), item.get("article"), item.get("category")
    extra = legal_fields(kind, zone=zone if isinstance(zone, str) else None, article=art if isinstance(art, str) else None,
                         category=cat if isinstance(cat, str) else None, regimes=regimes, art7=art7)
    return {**item, **{k: v for k, v in extra.items() if k not in item}}


def gansu_article(item: Mapping[str, Any]) -> str | None:
    """The item's ``article`` as an Order 78 reference, or None when its ``legal`` list shows that
    Order 78 does not apply (a finding only Order 799 names, e.g. ``retention_excess``, or a filing
    overdue under Order 799 alone: its ``article`` is then Order 799's)."""
    art = item.get("article")
    legal = item.get("legal")
    if isinstance(legal, list) and not any(isinstance(c, Mapping) and c.get("regime") == GANSU for c in legal):
        return None
    return art if isinstance(art, str) else None


def only_regime(items: Iterable[Mapping[str, Any]], regime: str) -> list[dict[str, Any]]:
    """Events or findings with their ``legal`` list cut down to one regime (for ``--regime``)."""
    check_regime(regime)
    out = []
    for it in items:
        d = dict(it)
        if isinstance(d.get("legal"), list):
            d["legal"] = [c for c in d["legal"] if isinstance(c, Mapping) and c.get("regime") == regime]
        out.append(d)
    return out


def annotate_report(doc: Mapping[str, Any], regime: str | None = None) -> dict[str, Any]:
    """A copy of a check@1, scan@1 or archive-scan@1 document whose events and findings (also a
    scan's ``items[].findings``) carry the :func:`legal_fields`, cut to one regime when ``regime``
    is given (``report --regime``). Older reports without the fields gain them."""
    if regime is not None:
        check_regime(regime)

    def fix(items: Any) -> Any:
        if not isinstance(items, list):
            return items
        done = [annotate(i) if isinstance(i, Mapping) else i for i in items]
        return only_regime(done, regime) if regime is not None else done

    out = dict(doc)
    for key in ("events", "findings"):
        if key in out:
            out[key] = fix(out[key])
    if isinstance(out.get("items"), list):
        out["items"] = [{**it, "findings": fix(it.get("findings"))} if isinstance(it, Mapping) and "findings" in it else it
                        for it in out["items"]]
    return out


def _canon(ref: str | None) -> str:
    try:
        num, clause = parse_ref(ref or "")
    except ConfigError:
        return ""
    return f"{num}" if clause is None else f"{num}({clause})"
