"""The same registry behaviour against a real PostgreSQL server.

`.ci/run` starts a throwaway cluster on loopback and exports CCTV_GUARD_TEST_PG_URL (a URL to a
database the tests may create databases from); without it these tests are skipped."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

from cctv_guard.registry import SCHEMA_VERSION, open_registry
import test_registry
from test_registry import SECRET, CrudSuite, cam

baseline_bytes = test_registry.baseline_bytes  # the session fixture, shared with the SQLite tests

PG_URL = os.environ.get("CCTV_GUARD_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="CCTV_GUARD_TEST_PG_URL not set (no PostgreSQL server)")


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


@contextmanager
def _fresh_database(prefix: str):
    """The URL of a new, empty database on the test server, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(PG_URL, name)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_url():
    """A fresh database for this module, dropped afterwards."""
    with _fresh_database("cctv_guard_test") as url:
        yield url


def _empty(url: str) -> None:
    with open_registry(url=url) as reg:
        reg._db.execute("TRUNCATE cameras, blobs CASCADE")


class TestCrudPostgres(CrudSuite):
    @pytest.fixture
    def reg(self, pg_url, tmp_path):
        _empty(pg_url)
        with open_registry(tmp_path / "cache", url=pg_url) as r:
            yield r

    @pytest.fixture
    def reopen(self, pg_url, tmp_path):
        return lambda: open_registry(tmp_path / "cache", url=pg_url)


def test_backend_and_redacted_location(pg_url, tmp_path) -> None:
    with open_registry(tmp_path, url=pg_url) as reg:
        assert reg.backend == "postgresql" and reg.schema_version == SCHEMA_VERSION
        assert reg.location.startswith("postgresql://")


def test_baseline_files_travel_through_the_database(pg_url, tmp_path, baseline_bytes) -> None:
    """Machine A stores a baseline; machine B (another cache folder) gets the same file from the database."""
    data, size = baseline_bytes
    _empty(pg_url)
    with open_registry(tmp_path / "machine_a", url=pg_url) as a:
        a.add_camera(cam(1))
        rec = a.store_baseline("GS-LZ-0001", data, frame_size=size, profiles=["day"])
    with open_registry(tmp_path / "machine_b", url=pg_url) as b:
        path = b.baseline_path("GS-LZ-0001")
        assert path.parent == tmp_path / "machine_b" / "baselines"
        assert path.read_bytes() == data and path.name.startswith(rec.sha256)
        b.remove_camera("GS-LZ-0001")
        assert b._db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 0


def test_migrates_a_v1_database(tmp_path) -> None:
    with _fresh_database("cctv_guard_mig") as url:
        with open_registry(tmp_path, url=url, upgrade_to=1) as old:
            assert old.schema_version == 1
            old._db.execute(
                "INSERT INTO cameras (id, name, lat, lon, category, operator, installed, filed, signage, source, notes,"
                " created_at, updated_at) VALUES ('OLD-1', 'old', 36.0, 103.8, 'park', '', '2020-01-01', NULL, 0,"
                f" 'rtsp://u:{SECRET}@h/s', '', '2020-01-02', '2020-01-02')")
        with open_registry(tmp_path, url=url) as reg:
            assert reg.schema_version == SCHEMA_VERSION
            c = reg.get_camera("OLD-1")
            assert c.signage is False and c.lat == 36.0 and c.source.endswith("@h/s")
            assert reg.list_cameras()[0].findings()[0]["kind"] == "filing_overdue"


def test_concurrent_first_opens_migrate_once(tmp_path) -> None:
    """Several machines opening a new shared registry at once: the advisory lock lets one migrate."""
    from concurrent.futures import ThreadPoolExecutor

    with _fresh_database("cctv_guard_race") as url:

        def open_and_close(i: int) -> int:
            with open_registry(tmp_path / f"m{i}", url=url) as reg:
                return reg.schema_version

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(open_and_close, range(6))) == [SCHEMA_VERSION] * 6
        with open_registry(tmp_path, url=url) as reg:
            versions = [r[0] for r in reg._db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
