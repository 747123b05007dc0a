"""The registry's database layer: the SQLite and PostgreSQL dialects, connecting, and the schema
migrations that create and upgrade the tables.

SQLite (default): ``<home>/registry.db`` in WAL mode with foreign keys on, created readable by its
owner only (it holds stream credentials). PostgreSQL: a shared database (``postgresql://...``);
schema upgrades are serialised between processes by an advisory lock.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from cctv_guard.core.atomic import PRIVATE_MODE
from cctv_guard.core.errors import RegistryError
from cctv_guard.core.redact import redact_text, redact_uri

SCHEMA_VERSION = 3


def utc_now() -> str:
    """The current time as the registry stores it: ISO 8601, UTC, whole seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- dialects -----------------------------------------------------------------------------------------


class Dialect:
    """What differs between SQLite and PostgreSQL: placeholders, column types, transactions,
    which errors mean 'duplicate key', and whether baseline files live in the database."""

    name = "sqlite"
    types = {"real": "REAL", "blob": "BLOB", "serial": "INTEGER PRIMARY KEY AUTOINCREMENT"}
    blobs_in_db = False
    binary_order = ""  # SQLite compares TEXT byte-wise already

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._depth = 0

    def sql(self, text: str) -> str:
        return text

    def ddl(self, text: str) -> str:
        return text.format(**self.types)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self.sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(self.sql(sql), rows)

    def is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    def db_errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error,)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Serialise schema upgrades between processes (SQLite: BEGIN IMMEDIATE already does)."""
        yield

    def close(self) -> None:
        self.conn.close()


class PostgresDialect(Dialect):
    name = "postgresql"
    types = {"real": "DOUBLE PRECISION", "blob": "BYTEA", "serial": "BIGSERIAL PRIMARY KEY"}
    blobs_in_db = True
    binary_order = ' COLLATE "C"'  # the same order as SQLite, whatever the server's locale

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(self.sql(sql), list(rows))

    def is_duplicate(self, exc: Exception) -> bool:
        import psycopg

        return isinstance(exc, psycopg.errors.UniqueViolation)

    def db_errors(self) -> tuple[type[Exception], ...]:
        import psycopg

        return (psycopg.Error,)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        # A session lock taken BEFORE the upgrade transaction starts: a backend that waited for it
        # then begins a fresh transaction and sees the catalog the other upgrader committed
        # (inside one transaction a stale negative catalog-cache entry would hide it).
        self.conn.execute("SELECT pg_advisory_lock(7110501)")
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(7110501)")


# Schema migrations: MIGRATIONS[n] upgrades version n to n + 1. Never edit a released step;
# add a new one. Tokens {real}, {blob}, {serial} are filled in per dialect.
MIGRATIONS: list[list[str]] = [
    [  # v1: cameras and their check history
        """CREATE TABLE cameras (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            lat {real} NOT NULL,
            lon {real} NOT NULL,
            category TEXT NOT NULL,
            operator TEXT NOT NULL DEFAULT '',
            installed TEXT,
            filed TEXT,
            signage INTEGER,
            source TEXT,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE checks (
            id {serial},
            camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
            checked_at TEXT NOT NULL,
            source TEXT,
            verdict TEXT NOT NULL,
            events INTEGER NOT NULL,
            findings INTEGER NOT NULL,
            frames_analyzed INTEGER,
            duration_s {real},
            report_path TEXT)""",
    ],
    [  # v2: zones, baselines by content hash, event kinds in the history
        """CREATE TABLE zones (
            camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            points TEXT NOT NULL,
            PRIMARY KEY (camera_id, name))""",
        """CREATE TABLE baselines (
            id {serial},
            camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            profiles TEXT NOT NULL,
            source TEXT,
            start_s {real},
            end_s {real},
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX baselines_camera ON baselines (camera_id, id)",
        "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, data {blob} NOT NULL)",
        "ALTER TABLE checks ADD COLUMN kinds TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX checks_camera ON checks (camera_id, checked_at)",
    ],
    [  # v3: go-live date and declared storage period (Order 799 Art. 14, 17); NULL for existing cameras
        "ALTER TABLE cameras ADD COLUMN go_live TEXT",
        "ALTER TABLE cameras ADD COLUMN retention_days INTEGER",
    ],
]
assert len(MIGRATIONS) == SCHEMA_VERSION


# --- connecting and upgrading -------------------------------------------------------------------------


def connect_sqlite(path: Path) -> Dialect:
    """Open (creating it 0600) the SQLite registry file at `path`."""
    if path.is_dir():
        raise RegistryError(f"registry database path is a folder: {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"cannot create the registry folder {path.parent}: {exc.strerror or exc}") from None
    try:
        if not path.exists():  # the database holds stream credentials: readable by its owner only
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE))
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL" if str(mode).lower() == "wal" else "PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        hint = " (is it a cctv-guard registry?)" if "not a database" in str(exc) else ""
        raise RegistryError(f"cannot open the registry {path}: {exc}{hint}") from None
    return Dialect(conn)


def connect_postgres(url: str) -> Dialect:
    """Connect to a PostgreSQL registry (autocommit; transactions are explicit)."""
    try:
        import psycopg
    except ImportError:
        raise RegistryError("a PostgreSQL registry needs psycopg: pip install 'cctv-guard[postgres]'") from None
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RegistryError(redact_text(f"cannot connect to the registry {redact_uri(url)}: {first}")) from None
    return PostgresDialect(conn)


def schema_version(db: Dialect) -> int:
    """The schema version of an open database (0: empty, nothing created yet)."""
    if db.name == "sqlite":
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    else:
        exists = db.execute("SELECT to_regclass('schema_version')").fetchone()[0]
    if not exists:
        return 0
    return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])


def migrate(db: Dialect, target: int, location: str) -> None:
    """Upgrade the schema to `target` in one transaction; `location` (redacted) names the database in errors."""
    try:
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise RegistryError(f"the registry {location} has schema version {version}, newer than this cctv-guard "
                                f"understands ({SCHEMA_VERSION}); upgrade cctv-guard")
        if version >= target:
            return
        with db.schema_lock(), db.transaction():
            version = schema_version(db)  # another process may have upgraded meanwhile
            if version == 0:
                db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            for v in range(version, target):
                for statement in MIGRATIONS[v]:
                    db.execute(db.ddl(statement))
                db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (v + 1, utc_now()))
    except RegistryError:
        raise
    except db.db_errors() as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = " (is it a cctv-guard registry?)" if "not a database" in first else ""
        raise RegistryError(redact_text(f"cannot open the registry {location}: {first}{hint}")) from None
