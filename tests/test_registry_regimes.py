"""Registry findings under both regimes: filing deadlines of Order 78 Art. 11 and Order 799 Art. 14,
the Art. 7 scope of Order 799 (Art. 9 para. 2 exemptions), the declared storage period, and the
v3 schema upgrade of an existing database."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from cctv_guard.registry import SCHEMA_VERSION, Camera, open_registry
from cctv_guard.registry.camera import national_filing_due


def cam(**kw) -> Camera:
    base = dict(id="C1", name="c", lat=36.0, lon=103.8, category="square", installed=date(2026, 3, 1), filed=None, signage=True)
    base.update(kw)
    return Camera(**base)


def by_regime(finding):
    return {c["regime"]: (c["article"], c["penalty"]) for c in finding["legal"]}


@pytest.mark.parametrize("live,due", [
    (date(2019, 5, 1), date(2025, 6, 30)),   # live before 2025-04-01: 90 days from then
    (date(2025, 3, 31), date(2025, 6, 30)),
    (date(2025, 4, 1), date(2025, 5, 1)),    # 30 days after going live
    (date(2026, 1, 31), date(2026, 3, 2)),
    (None, None),
])
def test_national_filing_due(live, due):
    assert national_filing_due(live) == due


def test_overdue_filing_cites_both_regimes():
    f = cam(installed=date(2024, 5, 1)).findings(date(2026, 1, 1))[0]
    assert f["kind"] == "filing_overdue"
    assert by_regime(f) == {"gansu-78": ("11", "19(2)"), "national-799": ("14", "29")}
    assert (f["article"], f["penalty_article"]) == ("11", "19(2)")  # existing consumers read Order 78
    assert f["details"]["due_by_regime"] == {"gansu-78": "2024-06-30", "national-799": "2025-06-30"}


def test_overdue_only_under_the_national_deadline():
    c = cam(installed=date(2026, 3, 1))  # Order 78: due 2026-04-30; Order 799: due 2026-03-31
    f = c.findings(date(2026, 4, 10))[0]
    assert by_regime(f) == {"national-799": ("14", "29")}
    assert (f["article"], f["penalty_article"], f["details"]["days_overdue"]) == ("14", "29", 10)
    assert c.findings(date(2026, 4, 10), regimes=["gansu-78"]) == []


def test_camera_outside_art7_is_exempt_from_national_filing():
    c = cam(category="residential_entrance", installed=date(2026, 3, 1))
    assert not c.national_art7 and c.national_filing_due is None
    assert c.findings(date(2026, 4, 10)) == []  # Order 78 not yet due, Order 799 Art. 14 does not apply
    f = c.findings(date(2026, 6, 1))[0]
    assert by_regime(f) == {"gansu-78": ("11", "19(2)")}


def test_signage_and_declared_retention():
    kinds = {f["kind"]: f for f in cam(signage=False, retention_days=15, filed=date(2026, 3, 5)).findings(date(2026, 6, 1))}
    assert by_regime(kinds["signage_missing"]) == {"gansu-78": ("8", "19(1)"), "national-799": ("13", "13")}
    assert by_regime(kinds["retention_short"]) == {"gansu-78": ("16(8)", "20"), "national-799": ("17", None)}
    assert kinds["retention_short"]["details"] == {"retention_days": 15, "minimum_days": 30}
    # outside Art. 7 places, Order 799 Art. 17 does not bind (Art. 9 para. 2)
    other = cam(category="other", retention_days=15, filed=date(2026, 3, 5)).findings(date(2026, 6, 1))
    assert by_regime(other[0]) == {"gansu-78": ("16(8)", "20")}


def test_filed_camera_is_never_overdue():
    assert cam(installed=date(2010, 1, 1), filed=date(2010, 2, 1)).findings(date(2026, 1, 1)) == []


def test_to_dict_shows_the_new_facts():
    d = cam(go_live=date(2026, 3, 5), retention_days=45).to_dict(today=date(2026, 3, 6))
    assert d["go_live"] == "2026-03-05" and d["retention_days"] == 45
    assert d["national_art7"] is True and d["national_filing_due"] == "2026-04-04"


def test_a_v2_database_upgrades_and_keeps_its_cameras(tmp_path):
    with open_registry(tmp_path, upgrade_to=2) as old:
        assert old.schema_version == 2
    con = sqlite3.connect(tmp_path / "registry.db")
    with con:
        con.execute("INSERT INTO cameras (id, name, lat, lon, category, operator, installed, filed, signage, source,"
                    " notes, created_at, updated_at) VALUES ('OLD-2', 'old', 36.0, 103.8, 'park', '', '2020-01-01',"
                    " NULL, 1, NULL, '', '2020-01-02T00:00:00+00:00', '2020-01-02T00:00:00+00:00')")
    con.close()
    with open_registry(tmp_path) as reg:
        assert reg.schema_version == SCHEMA_VERSION == 3
        c = reg.get_camera("OLD-2")
        assert c.installed == date(2020, 1, 1) and c.go_live is None and c.retention_days is None
        assert c.overdue_regimes(date(2026, 1, 1)) == ["gansu-78", "national-799"]
        c = reg.update_camera("OLD-2", go_live=date(2020, 2, 1), retention_days=30)
        assert (c.go_live, c.retention_days) == (date(2020, 2, 1), 30)
