"""The camera registry: CRUD (shared with the PostgreSQL tests through CrudSuite), migrations,
zones, content-addressed baselines, check history, import all-or-nothing, kill -9 safety."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctv_guard.core.errors import BaselineError, ConfigError, RegistryError
from cctv_guard.core.home import default_home, resolve_db_url, resolve_home
from cctv_guard.registry import (
    CAMERA_FIELDS,
    CATEGORIES,
    CSV_COLUMNS,
    SCHEMA_VERSION,
    Camera,
    Zone,
    cameras_to_csv,
    cameras_to_geojson,
    make_zone,
    open_registry,
    parse_zone,
    read_camera_csv,
)
from conftest import REPO, SAMPLES

SECRET = "s3cr3t-Pa55"


def cam(i: int = 1, **kw) -> Camera:
    base = dict(id=f"GS-LZ-{i:04d}", name=f"Camera {i} 东方红广场", lat=36.0611, lon=103.8343, category="square",
                operator="Chengguan PSB", installed=date(2026, 3, 1), filed=None, signage=True,
                source=f"rtsp://admin:{SECRET}@10.0.0.{i % 250}/stream1")
    base.update(kw)
    return Camera(**base)


def facts(c: Camera) -> dict:
    return {k: getattr(c, k) for k in CAMERA_FIELDS}


@pytest.fixture(scope="session")
def baseline_bytes() -> tuple[bytes, tuple[int, int]]:
    """A real baseline file built from the first second of a sample clip."""
    from cctv_guard.tamper import baseline as bl

    clip = SAMPLES / "vtest_normal.mp4"
    if not clip.exists():
        pytest.skip("samples/vtest_normal.mp4 missing")
    b = bl.build_baseline(str(clip), end=1.0)
    return bl.to_bytes(b), b.frame_size


class CrudSuite:
    """Behaviour every backend must have. Subclasses provide the fixtures ``reg`` (an open,
    empty registry) and ``reopen`` (a function opening the same store again)."""

    def test_add_get_round_trip(self, reg) -> None:
        c = cam(1, filed=date(2026, 3, 20), notes="north-east corner", signage=False)
        added = reg.add_camera(c)
        got = reg.get_camera(c.id)
        assert got == added
        for f in ("id", "name", "lat", "lon", "category", "operator", "installed", "filed", "signage", "source", "notes"):
            assert getattr(got, f) == getattr(c, f), f
        assert got.created_at and got.updated_at
        assert reg.find_camera("nope") is None
        with pytest.raises(RegistryError, match="no camera 'nope'"):
            reg.get_camera("nope")

    def test_duplicate_id_is_a_clear_error(self, reg) -> None:
        reg.add_camera(cam(1))
        with pytest.raises(RegistryError, match="camera 'GS-LZ-0001' already exists"):
            reg.add_camera(cam(1, name="other"))
        assert reg.count() == 1

    @pytest.mark.parametrize("field, value, message", [
        ("lat", 91.0, "lat: expected a WGS84 latitude"),
        ("lat", float("nan"), "lat: expected a WGS84 latitude"),
        ("lon", -180.5, "lon: expected a WGS84 longitude"),
        ("category", "moon", "category: unknown category; expected one of street"),
        ("id", "bad id!", "id: camera id must be"),
        ("id", "", "id: camera id must be"),
        ("name", "", "name:"),
        ("installed", "2026-02-30", "installed:"),
        ("signage", "maybe", "signage: expected yes or no"),
        ("source", "rtsp://***@10.0.0.12/stream1", "source: this URI was redacted for display"),
    ])
    def test_bad_fields_are_rejected(self, reg, field, value, message) -> None:
        with pytest.raises(RegistryError) as exc:
            reg.add_camera({**facts(cam(1)), field: value})
        assert message in str(exc.value)
        assert "\n" not in str(exc.value)
        assert SECRET not in str(exc.value)
        assert reg.count() == 0

    def test_unknown_keys_are_errors(self, reg) -> None:
        with pytest.raises(RegistryError, match="colour: unknown field"):
            reg.add_camera({**facts(cam(1)), "colour": "red"})

    def test_category_spelling_is_normalised(self, reg) -> None:
        got = reg.add_camera(cam(1, category="Transit-Hub"))
        assert got.category == "transit_hub" and got.article_7_clause == "7(1)"

    def test_list_is_ordered_and_complete(self, reg) -> None:
        for i in (3, 1, 2):
            reg.add_camera(cam(i))
        for cid in ("gs-lower", "GS_UNDER", "GS.DOT", "0-first"):
            reg.add_camera(cam(9, id=cid))
        ids = [c.id for c in reg.list_cameras()]
        assert ids == sorted(ids) and len(ids) == 7  # code-point order on every backend
        assert reg.count() == 7

    def test_update_changes_only_given_fields(self, reg) -> None:
        reg.add_camera(cam(1))
        before = reg.get_camera("GS-LZ-0001")
        after = reg.update_camera("GS-LZ-0001", filed=date(2026, 4, 2), name="renamed")
        assert after.filed == date(2026, 4, 2) and after.name == "renamed"
        assert after.source == before.source and after.lat == before.lat
        cleared = reg.update_camera("GS-LZ-0001", filed=None, source="none")
        assert cleared.filed is None and cleared.source is None
        with pytest.raises(RegistryError, match="unknown field"):
            reg.update_camera("GS-LZ-0001", colour="red")
        with pytest.raises(RegistryError, match="cannot be changed"):
            reg.update_camera("GS-LZ-0001", id="GS-LZ-0002")
        with pytest.raises(RegistryError, match="lat: expected"):
            reg.update_camera("GS-LZ-0001", lat=-100)
        assert reg.get_camera("GS-LZ-0001").lat == before.lat  # a failed update changes nothing
        with pytest.raises(RegistryError, match="no camera"):
            reg.update_camera("nope", name="x")

    def test_zones_add_replace_remove(self, reg) -> None:
        reg.add_camera(cam(1, zones=(make_zone("must_see", [(0, 0), (100, 0), (100, 50)]),)))
        c = reg.update_camera("GS-LZ-0001", zones=[parse_zone("privacy_door=10,10;20,10;20,20;10,20")])
        assert [z.name for z in c.zones] == ["must_see", "privacy_door"]
        c = reg.update_camera("GS-LZ-0001", zones={"must_see": [(1, 1), (90, 1), (90, 40), (1, 40)]})
        assert c.zone("must_see").points == ((1, 1), (90, 1), (90, 40), (1, 40))
        c = reg.update_camera("GS-LZ-0001", remove_zones=["privacy_door"])
        assert [z.name for z in c.zones] == ["must_see"]
        with pytest.raises(RegistryError, match="has no zone 'nope'"):
            reg.update_camera("GS-LZ-0001", remove_zones=["nope"])
        with pytest.raises(ConfigError, match="self-intersecting"):
            reg.update_camera("GS-LZ-0001", zones=[Zone("bow", ((0, 0), (10, 10), (10, 0), (0, 10)))])

    def test_remove_cascades(self, reg, baseline_bytes) -> None:
        data, size = baseline_bytes
        reg.add_camera(cam(1, zones=(make_zone("must_see", [(0, 0), (10, 0), (10, 10)]),)))
        reg.add_camera(cam(2))
        reg.store_baseline("GS-LZ-0001", data, frame_size=size, profiles=["day"])
        reg.record_check("GS-LZ-0001", {"verdict": "compliant"})
        path = reg.baseline_path("GS-LZ-0001")
        removed = reg.remove_camera("GS-LZ-0001")
        assert removed.id == "GS-LZ-0001"
        assert reg.find_camera("GS-LZ-0001") is None and reg.count() == 1
        assert not path.exists()  # no other camera uses that file
        with pytest.raises(RegistryError, match="no camera"):
            reg.check_history("GS-LZ-0001")
        reg.add_camera(cam(1))  # the id is free again, with no leftover zones or history
        assert reg.get_camera("GS-LZ-0001").zones == () and reg.check_history("GS-LZ-0001") == []
        assert reg.current_baseline("GS-LZ-0001") is None

    def test_shared_baseline_file_survives_removal_of_one_camera(self, reg, baseline_bytes) -> None:
        data, size = baseline_bytes
        reg.add_camera(cam(1))
        reg.add_camera(cam(2))
        reg.store_baseline("GS-LZ-0001", data, frame_size=size, profiles=["day"])
        reg.store_baseline("GS-LZ-0002", data, frame_size=size, profiles=["day"])
        reg.remove_camera("GS-LZ-0001")
        assert reg.baseline_path("GS-LZ-0002").exists()

    def test_baselines_are_content_addressed_and_verified(self, reg, baseline_bytes) -> None:
        import hashlib

        data, size = baseline_bytes
        reg.add_camera(cam(1))
        with pytest.raises(RegistryError, match="has no baseline yet"):
            reg.baseline_path("GS-LZ-0001")
        rec = reg.store_baseline("GS-LZ-0001", data, frame_size=size, profiles=["day"],
                                 source=f"rtsp://u:{SECRET}@h/x", start_s=0.0, end_s=1.0)
        assert rec.sha256 == hashlib.sha256(data).hexdigest() and rec.size == len(data)
        assert SECRET not in (rec.source or "") and rec.frame_size == size
        path = reg.baseline_path("GS-LZ-0001")
        assert path.name == f"{rec.sha256}.cgb" and path.read_bytes() == data
        assert path.stat().st_mode & 0o777 == 0o600  # private, like the database next to it
        assert reg.baseline_path("GS-LZ-0001", "day") == path
        with pytest.raises(RegistryError, match="no baseline profile 'night'"):
            reg.baseline_path("GS-LZ-0001", "night")
        b = reg.load_baseline("GS-LZ-0001")
        assert b.frame_size == size
        # altering the stored file is detected, not silently used
        path.write_bytes(data[:-10] + b"0123456789")
        with pytest.raises(BaselineError, match="does not match its recorded SHA-256"):
            reg.baseline_path("GS-LZ-0001")

    def test_baseline_history_and_zone_frame_checks(self, reg, baseline_bytes) -> None:
        data, (w, h) = baseline_bytes
        reg.add_camera(cam(1, zones=(make_zone("must_see", [(0, 0), (w + 50, 0), (w, h)]),)))
        with pytest.raises(ConfigError, match="lies outside the"):
            reg.store_baseline("GS-LZ-0001", data, frame_size=(w, h), profiles=["day"])
        assert reg.current_baseline("GS-LZ-0001") is None
        reg.update_camera("GS-LZ-0001", remove_zones=["must_see"])
        first = reg.store_baseline("GS-LZ-0001", data, frame_size=(w, h), profiles=["day"],
                                   zones=[make_zone("must_see", [(0, 0), (w, 0), (w, h)])])
        second = reg.store_baseline("GS-LZ-0001", data + b"", frame_size=(w, h), profiles=["day", "night"])
        assert [b.id for b in reg.baselines("GS-LZ-0001")] == [second.id, first.id]
        assert reg.current_baseline("GS-LZ-0001").profiles == ("day", "night")
        # once the frame size is known, zones outside it are refused
        with pytest.raises(ConfigError, match=rf"outside the {w}x{h} frame"):
            reg.update_camera("GS-LZ-0001", zones=[Zone("z", ((0, 0), (w + 1, 0), (0, h)))])
        b = reg.load_baseline("GS-LZ-0001")
        assert set(b.zones) == {"must_see"}
        # a zone edit re-writes the current baseline file with the new zones (a new record)
        from cctv_guard.tamper import baseline as bl

        reg.update_camera("GS-LZ-0001", zones=[Zone("privacy_door", ((1, 1), (40, 1), (40, 30)))])
        third = reg.current_baseline("GS-LZ-0001")
        assert len(reg.baselines("GS-LZ-0001")) == 3 and third.profiles == ("day", "night") and third.sha256 != second.sha256
        in_file = bl.load_baseline(reg.baseline_path("GS-LZ-0001")).zones
        assert set(in_file) == {"must_see", "privacy_door"} and in_file["privacy_door"] == ((1, 1), (40, 1), (40, 30))
        reg.update_camera("GS-LZ-0001", name="facts only")  # no zone change: no new baseline
        assert len(reg.baselines("GS-LZ-0001")) == 3

    def test_check_history(self, reg) -> None:
        reg.add_camera(cam(1))
        result = {"schema": "cctv-guard/check@1", "source": f"rtsp://admin:{SECRET}@10.0.0.1/s", "verdict": "violation",
                  "frames_analyzed": 412, "duration_s": 41.2,
                  "events": [{"kind": "moved", "article": "8"}, {"kind": "covered", "article": "16(7)"},
                             {"kind": "moved", "article": "8"}], "findings": [{"kind": "privacy"}]}
        r1 = reg.record_check("GS-LZ-0001", result, report_path="report.html", checked_at="2026-03-02T10:00:00+00:00")
        r2 = reg.record_check("GS-LZ-0001", json.dumps({"verdict": "compliant", "events": []}),
                              checked_at="2026-03-03T10:00:00+00:00")
        hist = reg.check_history("GS-LZ-0001")
        assert [h.id for h in hist] == [r2.id, r1.id]
        assert hist[1].events == 3 and hist[1].findings == 1 and hist[1].kinds == ("covered", "moved")
        assert hist[1].frames_analyzed == 412 and hist[1].duration_s == pytest.approx(41.2)
        assert SECRET not in hist[1].source and hist[1].source.startswith("rtsp://***@")
        assert hist[1].report_path == str(Path("report.html").absolute())
        assert reg.check_history("GS-LZ-0001", limit=1) == [hist[0]]
        with pytest.raises(RegistryError, match="not a check@1 result"):
            reg.record_check("GS-LZ-0001", {"verdict": "fine"})
        with pytest.raises(RegistryError, match="not a check@1 result"):
            reg.record_check("GS-LZ-0001", "{not json")
        with pytest.raises(RegistryError, match="no camera"):
            reg.record_check("nope", {"verdict": "compliant"})

    def test_import_all_or_nothing(self, reg) -> None:
        rows = [{"id": f"C{i}", "name": f"cam {i}", "lat": "36.1", "lon": "103.8", "category": "street"} for i in range(50)]
        rows[37]["lat"] = "136.1"
        with pytest.raises(RegistryError) as exc:
            reg.import_cameras(rows)
        assert "row 38, lat: expected a WGS84 latitude" in str(exc.value) and "nothing was imported" in str(exc.value)
        assert reg.count() == 0
        rows[37]["lat"] = "36.1"
        assert reg.import_cameras(rows) == 50 and reg.count() == 50
        again = [dict(r, name="renamed") for r in rows[:3]] + [{"id": "NEW", "name": "n", "lat": 1, "lon": 2, "category": "park"}]
        with pytest.raises(RegistryError, match="row 1, id: camera 'C0' already exists"):
            reg.import_cameras(again)
        assert reg.count() == 50 and reg.find_camera("NEW") is None
        reg.update_camera("C1", source=f"rtsp://u:{SECRET}@h/c1", notes="kept")
        assert reg.import_cameras(again, update=True) == 4
        c1 = reg.get_camera("C1")
        assert c1.name == "renamed" and reg.count() == 51
        assert c1.source == f"rtsp://u:{SECRET}@h/c1" and c1.notes == "kept"  # columns the rows lack are kept
        with pytest.raises(RegistryError, match="appears twice"):
            reg.import_cameras([rows[0] | {"id": "D"}, rows[1] | {"id": "D"}])

    def test_import_reports_progress_with_the_shared_protocol(self, reg) -> None:
        from cctv_guard.core.progress import Progress

        rows = [{"id": f"Q{i:04d}", "name": f"cam {i}", "lat": 36.0, "lon": 103.8, "category": "street"} for i in range(2500)]
        seen: list[Progress] = []
        assert reg.import_cameras(rows, progress=seen.append) == 2500
        assert [p.done for p in seen] == [1000.0, 2000.0, 2500.0]
        assert {(p.total, p.unit) for p in seen} == {(2500.0, "cameras")}

    def test_import_rolls_back_on_a_database_error(self, reg, monkeypatch) -> None:
        """A conflict the pre-check cannot see (another process inserted the id meanwhile)
        fails inside the transaction, half way through the batch: nothing stays."""
        rows = [{"id": f"P{i:04d}", "name": f"cam {i}", "lat": 36.0, "lon": 103.8, "category": "street"} for i in range(3000)]
        reg.add_camera({**rows[2500], "name": "inserted meanwhile"})
        monkeypatch.setattr(reg, "_existing_ids", lambda ids: set())
        with pytest.raises(RegistryError, match="importing cameras failed"):
            reg.import_cameras(rows)
        assert reg.count() == 1 and reg.get_camera("P2500").name == "inserted meanwhile"

    def test_import_reports_every_bad_row(self, reg) -> None:
        rows = [{"id": "A", "name": "a", "lat": "x", "lon": "1", "category": "street"},
                {"id": "B", "name": "b", "lat": "1", "lon": "1", "category": "mall", "source": f"rtsp://u:{SECRET}@h"}]
        with pytest.raises(RegistryError) as exc:
            reg.import_cameras(rows)
        errors = exc.value.errors
        assert len(errors) == 2 and errors[0].startswith("row 1, lat") and errors[1].startswith("row 2, category")
        assert SECRET not in str(exc.value) and SECRET not in " ".join(errors)

    def test_findings(self, reg) -> None:
        reg.add_camera(cam(1, installed=date(2026, 3, 1), filed=None, signage=False))
        reg.add_camera(cam(2, installed=date(2026, 3, 1), filed=date(2026, 5, 20)))  # late but filed
        reg.add_camera(cam(3, installed=date(2008, 7, 1), filed=None))  # pre-2011 system: due 2011-06-30
        reg.add_camera(cam(4, installed=None, filed=None))  # unknown installation date: no deadline
        today = date(2026, 6, 1)
        c1, c2, c3, c4 = reg.list_cameras()
        assert c1.filing_due == date(2026, 4, 30)
        kinds = {f["kind"]: f for f in c1.findings(today)}
        assert kinds["filing_overdue"]["article"] == "11" and kinds["filing_overdue"]["penalty_article"] == "19(2)"
        assert kinds["filing_overdue"]["details"]["days_overdue"] == 32
        assert kinds["signage_missing"]["article"] == "8" and kinds["signage_missing"]["penalty_article"] == "19(1)"
        assert c2.findings(today) == []
        assert c3.filing_due == date(2011, 6, 30) and c3.filing_overdue(today)
        assert c4.filing_due is None and c4.findings(today) == []
        assert not c1.filing_overdue(date(2026, 4, 30), ["gansu-78"])  # due day itself is still in time
        # Order 799 Art. 14: 30 days after going live (installed 2026-03-01 -> 2026-03-31)
        assert c1.national_filing_due == date(2026, 3, 31)
        assert not c1.filing_overdue(date(2026, 3, 31), ["national-799"]) and c1.filing_overdue(date(2026, 4, 1), ["national-799"])
        assert c1.overdue_regimes(date(2026, 4, 30)) == ["national-799"]
        assert c3.national_filing_due == date(2025, 6, 30)  # live before 2025-04-01: 90 days of grace
        assert [c.id for c in reg.list_cameras(overdue=True, today=today)] == ["GS-LZ-0001", "GS-LZ-0003"]
        assert [c.id for c in reg.list_cameras(overdue=True, today=date(2026, 4, 15), regimes=["gansu-78"])] == ["GS-LZ-0003"]
        assert [c.id for c in reg.list_cameras(overdue=True, today=date(2026, 4, 15), regimes=["national-799"])] == [
            "GS-LZ-0001", "GS-LZ-0003"]

    def test_go_live_and_retention_round_trip(self, reg, reopen) -> None:
        reg.add_camera(cam(1, go_live=date(2026, 3, 10), retention_days=90))
        reg.add_camera(cam(2))
        reg.update_camera("GS-LZ-0002", retention_days="20", go_live="2026-04-02")
        with reopen() as again:
            c1, c2 = again.get_camera("GS-LZ-0001"), again.get_camera("GS-LZ-0002")
        assert (c1.go_live, c1.retention_days) == (date(2026, 3, 10), 90)
        assert (c2.go_live, c2.retention_days) == (date(2026, 4, 2), 20)
        assert c1.national_filing_due == date(2026, 4, 9)  # go-live, not installation, starts Art. 14's 30 days
        assert [f["kind"] for f in c2.findings(date(2026, 4, 3))] == ["retention_short"]
        with pytest.raises(RegistryError, match="retention_days"):
            reg.update_camera("GS-LZ-0001", retention_days=0)

    def test_reopen_keeps_everything(self, reg, reopen) -> None:
        reg.add_camera(cam(1, zones=(make_zone("must_see", [(0, 0), (5, 0), (5, 5)]),)))
        reg.record_check("GS-LZ-0001", {"verdict": "compliant"})
        with reopen() as again:
            assert again.get_camera("GS-LZ-0001") == reg.get_camera("GS-LZ-0001")
            assert len(again.check_history("GS-LZ-0001")) == 1
            assert again.schema_version == SCHEMA_VERSION

    def test_never_shows_credentials(self, reg) -> None:
        c = reg.add_camera(cam(1))
        assert SECRET in c.source  # stored as given: the edge watcher needs it
        assert SECRET not in repr(c)
        assert SECRET not in json.dumps(c.to_dict())
        assert SECRET not in cameras_to_csv([c]) and SECRET not in json.dumps(cameras_to_geojson([c]))


class TestCrudSqlite(CrudSuite):
    @pytest.fixture
    def reg(self, tmp_path):
        with open_registry(tmp_path / "home") as r:
            yield r

    @pytest.fixture
    def reopen(self, tmp_path):
        return lambda: open_registry(tmp_path / "home")


# --- SQLite specifics ----------------------------------------------------------------------------


def test_sqlite_settings_and_permissions(tmp_path) -> None:
    with open_registry(tmp_path) as reg:
        db = reg._db.conn
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert reg.backend == "sqlite" and reg.location == str(tmp_path / "registry.db")
    assert (tmp_path / "registry.db").stat().st_mode & 0o077 == 0  # credentials inside: owner only


def test_migrates_a_v1_database(tmp_path) -> None:
    """A registry created by schema v1 (cameras and checks only) opens and upgrades in place."""
    with open_registry(tmp_path, upgrade_to=1) as old:
        assert old.schema_version == 1
    con = sqlite3.connect(tmp_path / "registry.db")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "cameras" in tables and "zones" not in tables and "baselines" not in tables
    with con:
        con.execute("INSERT INTO cameras (id, name, lat, lon, category, operator, installed, filed, signage, source,"
                    " notes, created_at, updated_at) VALUES ('OLD-1', 'old', 36.0, 103.8, 'park', '', '2020-01-01',"
                    " NULL, 1, NULL, '', '2020-01-02T00:00:00+00:00', '2020-01-02T00:00:00+00:00')")
        con.execute("INSERT INTO checks (camera_id, checked_at, source, verdict, events, findings) VALUES"
                    " ('OLD-1', '2020-02-01T00:00:00+00:00', NULL, 'violation', 2, 0)")
    con.close()
    with open_registry(tmp_path) as reg:
        assert reg.schema_version == SCHEMA_VERSION
        c = reg.get_camera("OLD-1")
        assert c.installed == date(2020, 1, 1) and c.signage is True and c.zones == ()
        hist = reg.check_history("OLD-1")
        assert hist[0].verdict == "violation" and hist[0].events == 2 and hist[0].kinds == ()
        reg.update_camera("OLD-1", zones=[make_zone("must_see", [(0, 0), (5, 0), (5, 5)])])  # v2 tables work
        versions = [r[0] for r in reg._db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
        assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_newer_schema_is_refused(tmp_path) -> None:
    with open_registry(tmp_path):
        pass
    con = sqlite3.connect(tmp_path / "registry.db")
    with con:
        con.execute("INSERT INTO schema_version VALUES (?, 'future')", (SCHEMA_VERSION + 1,))
    con.close()
    with pytest.raises(RegistryError, match="newer than this cctv-guard"):
        open_registry(tmp_path)


def test_not_a_database(tmp_path) -> None:
    (tmp_path / "registry.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RegistryError, match="is it a cctv-guard registry"):
        open_registry(tmp_path)


def test_sqlite_url_and_bad_urls(tmp_path) -> None:
    db = tmp_path / "elsewhere" / "cams.db"
    with open_registry(url=f"sqlite:///{db}") as reg:
        reg.add_camera(cam(1))
        assert reg.baseline_dir == db.parent / "baselines"
    assert db.exists()
    with pytest.raises(RegistryError, match="unsupported registry URL 'mysql://\\*\\*\\*@h/db'"):
        open_registry(url=f"mysql://u:{SECRET}@h/db")


def test_postgres_connection_errors_are_redacted(tmp_path) -> None:
    pytest.importorskip("psycopg")
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(RegistryError) as exc:
        open_registry(tmp_path, url=f"postgresql://cctv:{SECRET}@127.0.0.1:{port}/registry?connect_timeout=2")
    assert SECRET not in str(exc.value) and "cannot connect" in str(exc.value) and "\n" not in str(exc.value)


# --- home resolution ----------------------------------------------------------------------------


def test_resolve_home_order(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "opt") == tmp_path / "opt"
    assert resolve_home(None) == tmp_path / "env"
    monkeypatch.delenv("CCTV_GUARD_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert resolve_home(None) == tmp_path / "xdg" / "cctv-guard" == default_home()
        monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
        assert resolve_home(None) == Path.home() / ".local" / "share" / "cctv-guard"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="expected a directory, found a file"):
        resolve_home(tmp_path / "file")
    monkeypatch.setenv("CCTV_GUARD_DB", " postgresql://h/db ")
    assert resolve_db_url(None) == "postgresql://h/db" and resolve_db_url("sqlite:///x") == "sqlite:///x"


# --- zones and cameras round trips (hypothesis) ----------------------------------------------------


@st.composite
def convex_zones(draw):
    """Random valid polygons: points on a circle at increasing angles (convex, simple)."""
    import math

    n = draw(st.integers(3, 12))
    cx, cy = draw(st.floats(50, 590)), draw(st.floats(50, 430))
    r = draw(st.floats(5, 49))
    angles = sorted(draw(st.lists(st.floats(0, 2 * math.pi - 0.01), min_size=n, max_size=n, unique=True)))
    pts = [(round(cx + r * math.cos(a), 2), round(cy + r * math.sin(a), 2)) for a in angles]
    name = draw(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,20}", fullmatch=True))
    return name, pts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(convex_zones())
def test_zone_spec_round_trip(zone) -> None:
    name, pts = zone
    try:
        z = make_zone(name, pts, (640, 480))
    except ConfigError as exc:  # rounding may make a thin polygon collinear: must say so
        assert "no area" in str(exc) or "distinct points" in str(exc) or "self-intersecting" in str(exc)
        return
    assert parse_zone(z.spec(), (640, 480)) == z


_text = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"), max_size=40)


@st.composite
def cameras(draw):
    cid = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,30}", fullmatch=True))
    name = draw(_text.map(str.strip).filter(bool))
    d = lambda: draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 12, 31)))  # noqa: E731
    return Camera(
        cid, name, draw(st.floats(-90, 90)), draw(st.floats(-180, 180)), draw(st.sampled_from(sorted(CATEGORIES))),
        operator=draw(_text.map(str.strip)), installed=d(), filed=d(), signage=draw(st.none() | st.booleans()),
        source=draw(st.none() | st.just("rtsp://u:p@h/s") | st.just("/var/footage/cam.mp4")), notes=draw(_text.map(str.strip)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(cameras(), min_size=1, max_size=6, unique_by=lambda c: c.id), st.lists(convex_zones(), max_size=3, unique_by=lambda z: z[0]))
def test_camera_round_trip_through_db_csv_and_geojson(tmp_path_factory, cams, zones) -> None:
    home = tmp_path_factory.mktemp("rt")
    good_zones = []
    for name, pts in zones:
        try:
            good_zones.append(make_zone(name, pts))
        except ConfigError:
            pass
    with open_registry(home) as reg:
        for c in cams:
            reg.add_camera(replace(c, zones=tuple(good_zones)))
        got = {c.id: c for c in reg.list_cameras()}
    for c in cams:
        g = got[c.id]
        assert replace(g, created_at=None, updated_at=None, zones=()) == c
        assert sorted(g.zones, key=lambda z: z.name) == sorted(good_zones, key=lambda z: z.name)
    # CSV export reads back through the import path to the same facts (stream URIs are not exported)
    csv_path = home / "export.csv"
    csv_path.write_text(cameras_to_csv(got.values()), encoding="utf-8")
    rows, _ = read_camera_csv(csv_path)
    with open_registry(home / "second") as reg2:
        reg2.import_cameras(rows)
        for c in reg2.list_cameras():
            assert replace(c, created_at=None, updated_at=None) == replace(got[c.id], source=None, zones=(),
                                                                          created_at=None, updated_at=None)
    gj = cameras_to_geojson(got.values())
    assert [f["geometry"]["coordinates"] for f in gj["features"]] == [[got[f["id"]].lon, got[f["id"]].lat] for f in gj["features"]]


# --- CSV reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "@SUM(1,2)", "-2", "\tx", "'=x", "''+y", "'", "'plain",
                                  "a=b", "O'Neil"])
def test_csv_export_is_formula_safe_and_reads_back(tmp_path, text) -> None:
    c = cam(1, name=text.strip() or "x", operator=text.strip(), notes=text.strip(), lat=-36.5, lon=-103.25)
    out = cameras_to_csv([c])
    cells = next(csv.DictReader(io.StringIO(out)))
    assert (cells["lat"], cells["lon"]) == ("-36.5", "-103.25")  # numbers stay numbers
    for key in ("name", "operator", "notes"):
        assert not cells[key].startswith(("=", "+", "-", "@", "\t", "\r")), cells[key]
    p = tmp_path / "c.csv"
    p.write_text(out, encoding="utf-8")
    (row,), _ = read_camera_csv(p)
    assert (row["name"], row["operator"], row["notes"]) == (c.name, c.operator, c.notes)


def test_the_registry_stores_baselines_but_does_not_build_them() -> None:
    import cctv_guard.registry as registry

    assert not hasattr(registry, "build_camera_baseline")
    for module in (REPO / "cctv_guard" / "registry").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert "build_baseline" not in source and "add_profile" not in source, module.name
        assert len(source.splitlines()) < 600, module.name


def test_read_camera_csv_errors(tmp_path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id,name,lat,lon,category,colour\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="line 1, column 6: unknown column 'colour'"):
        read_camera_csv(p)
    p.write_text("id,name,lat,category\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="missing column 'lon'"):
        read_camera_csv(p)
    p.write_text("\ufeffID,Name,lat,lon,category\nA,a,1,2,park\n\nB,b,1,2\n", encoding="utf-8")  # BOM, upper case
    with pytest.raises(RegistryError, match="line 4: 4 cells, expected 5"):
        read_camera_csv(p)
    p.write_bytes("id,name,lat,lon,category\nA,\xe9,1,2,park\n".encode("latin-1"))
    with pytest.raises(RegistryError, match="not UTF-8"):
        read_camera_csv(p)
    p.write_text("", encoding="utf-8")
    with pytest.raises(RegistryError, match="is empty"):
        read_camera_csv(p)
    with pytest.raises(RegistryError, match="no such file"):
        read_camera_csv(tmp_path / "missing.csv")
    p.write_text("id,name,lat,lon,category\nA,a,1,2,park\n\nB,b,99,2,park\n", encoding="utf-8")
    rows, where = read_camera_csv(p)
    assert [r["id"] for r in rows] == ["A", "B"] and where(1) == "c.csv line 4, column "


# --- kill -9 during import ---------------------------------------------------------------------------


def _write_csv(path: Path, n: int, prefix: str = "K") -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for i in range(n):
            w.writerow([f"{prefix}-{i:06d}", f"Camera {i} {'x' * 120}", 36 + i * 1e-6, 103.8, "street", "PSB",
                        "2026-01-01", "", "yes", "n" * 200, "2026-01-05", 30])


@pytest.mark.slow
def test_kill_9_during_import_leaves_no_half_import(tmp_path) -> None:
    home = tmp_path / "home"
    with open_registry(home) as reg:
        reg.add_camera(cam(1))
    big = tmp_path / "big.csv"
    _write_csv(big, 20_000)
    env = dict(os.environ, CCTV_GUARD_HOME=str(home), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "cctv_guard", "camera", "import", str(big)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = home / "registry.db-wal"
    base = wal.stat().st_size if wal.exists() else 0
    deadline = time.monotonic() + 120
    killed_mid_write = False
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > base + 256 * 1024:  # rows are being written inside the transaction
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_write = True
            break
        time.sleep(0.005)
    proc.wait(30)
    assert killed_mid_write, "the import finished before it could be killed; make the CSV bigger"
    assert proc.returncode == -signal.SIGKILL
    with open_registry(home) as reg:
        assert reg._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert reg.count() == 1 and [c.id for c in reg.list_cameras()] == ["GS-LZ-0001"]
        reg.add_camera(cam(2))  # and it is writable
    # the same import, not killed, then succeeds completely
    r = subprocess.run([sys.executable, "-m", "cctv_guard", "camera", "import", str(big)], env=env,
                       capture_output=True, text=True, timeout=300)
    with open_registry(home) as reg:
        assert reg.count() == 20_002, r.stderr


def test_findings_cite_what_the_catalogue_says() -> None:
    """Registry findings carry the same article and penalty as the regulation catalogue."""
    articles = pytest.importorskip("cctv_guard.legal.articles")
    c = cam(1, installed=date(2020, 1, 1), filed=None, signage=False)
    found = c.findings(date(2026, 1, 1))
    assert {f["kind"] for f in found} == {"filing_overdue", "signage_missing"}
    for f in found:
        cite = articles.for_kind(f["kind"])
        assert (f["article"], f["penalty_article"]) == (cite.ref, cite.penalty_article)


def test_categories_are_the_article_7_places() -> None:
    """Every category names an existing clause of Art. 7 (or none, for `other`)."""
    articles = pytest.importorskip("cctv_guard.legal.articles")
    clauses = {clause for clause, _, _ in CATEGORIES.values() if clause}
    assert clauses == {"7(1)", "7(2)", "7(3)", "7(4)", "7(5)"}
    for clause in clauses:
        assert articles.resolve(clause).article == "7"
    for clause, _, zh in CATEGORIES.values():  # the Chinese label is the clause's own wording
        if clause:
            assert zh in articles.resolve(clause).zh, (clause, zh)


# --- the registry with the rest of the pipeline -------------------------------------------------------


@pytest.mark.slow
def test_check_against_a_registered_camera_and_record_it(tmp_path) -> None:
    """camera baseline -> load_baseline -> check_source -> record_check, on the bundled samples."""
    from cctv_guard.tamper import baseline as bl
    from cctv_guard.tamper.check import check_source

    normal, moved = SAMPLES / "vtest_normal.mp4", SAMPLES / "vtest_moved.mp4"
    if not (normal.exists() and moved.exists()):
        pytest.skip("samples missing")
    with open_registry(tmp_path) as reg:
        reg.add_camera(cam(1))
        # the caller builds the baseline; the registry stores it (and keeps the zones in it)
        b = bl.build_baseline(str(normal), end=10.0)
        rec = reg.store_baseline("GS-LZ-0001", bl.to_bytes(b), frame_size=b.frame_size, profiles=list(b.profiles),
                                 source=str(normal), end_s=10.0,
                                 zones=[parse_zone("must_see=40,120;440,120;440,350;40,350")])
        assert rec.frame_size == (480, 360) and rec.profiles == ("day",)
        b = reg.load_baseline("GS-LZ-0001")
        result = check_source(str(moved), b, camera_id="GS-LZ-0001").to_json()
        stored = reg.record_check("GS-LZ-0001", result, report_path=tmp_path / "report.html")
        assert stored.verdict == result["verdict"] == "violation"
        assert "moved" in stored.kinds and stored.events == len(result["events"])
        assert reg.check_history("GS-LZ-0001")[0] == stored


@pytest.mark.slow
def test_concurrent_writers_all_land(tmp_path) -> None:
    """Four processes importing into one SQLite registry at once: WAL + busy timeout serialise them."""
    home = tmp_path / "home"
    with open_registry(home):
        pass
    env = dict(os.environ, CCTV_GUARD_HOME=str(home), PYTHONPATH=str(REPO))
    procs = []
    for k in range(4):
        p = tmp_path / f"part{k}.csv"
        _write_csv(p, 500, prefix=f"W{k}")
        procs.append(subprocess.Popen([sys.executable, "-m", "cctv_guard", "camera", "import", str(p)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with open_registry(home) as reg:
        assert reg.count() == 2000
