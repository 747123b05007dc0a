"""The camera registry (Art. 7, 8, 11): cameras, their zones, their baselines and the history of
their checks, in an embedded SQLite database (default) or a shared PostgreSQL database.

::

    from cctv_guard.registry.store import open_registry, Camera
    with open_registry() as reg:                       # --home / $CCTV_GUARD_HOME / per-user default
        reg.add_camera(Camera("GS-LZ-0012", "Dongfanghong Sq. NE", 36.0611, 103.8343, "square",
                              installed=date(2026, 3, 1), signage=True,
                              source="rtsp://user:pass@10.0.0.12/stream1"))
        reg.list_cameras()                            # [Camera, ...]
        reg.baseline_path("GS-LZ-0012")               # Path to the current baseline file
        reg.record_check("GS-LZ-0012", check_json, report_path="report.html")

Storage layout (SQLite): ``<home>/registry.db`` (WAL, foreign keys, schema version table) and
``<home>/baselines/<sha256>.cgb`` — baseline files named by the SHA-256 of their content, so a
row can never point at a file that changed under it. With PostgreSQL (``--db postgresql://...``
or ``$CCTV_GUARD_DB``) baseline files are also stored in the database (table ``blobs``) and
cached under ``<home>/baselines`` on each machine that reads them.

Stream URIs are stored as given (the edge watcher needs the credentials) but every rendering
for people — ``Camera.to_dict()``, ``repr``, exports, error messages — is redacted through
:mod:`cctv_guard.core.redact`.

Art. 11 filing: the Measures took effect on 2011-05-01; systems built before then had to be filed
within 60 days of that date, and this registry applies the same 60 days to later installations
(the filing is due ``max(installed, 2011-05-01) + 60 days``). An unfiled camera past that date
is a ``filing_overdue`` finding (Art. 11, penalty Art. 19(2)); a camera recorded without signage
is a ``signage_missing`` finding (Art. 8, penalty Art. 19(1)).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import sqlite3
from functools import lru_cache
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from cctv_guard.core.atomic import write_atomic
from cctv_guard.core.errors import BaselineError, ConfigError, RegistryError
from cctv_guard.core.home import resolve_db_url, resolve_home
from cctv_guard.core.redact import MASK, redact_text, redact_uri
from cctv_guard.core.zones import Zone, make_zone, parse_zone  # noqa: F401 - re-exported

DB_NAME = "registry.db"
BASELINE_DIR = "baselines"
BASELINE_SUFFIX = ".cgb"
SCHEMA_VERSION = 2

#: Art. 7 places, as ``category -> (clause, English, Chinese words of that clause)``. ``other`` is a camera that is not
#: at a place Art. 7 requires (still registrable and still subject to Art. 8, 9 and 11).
CATEGORIES: dict[str, tuple[str | None, str, str]] = {
    "street": ("7(1)", "main street", "主要街道"),
    "intersection": ("7(1)", "intersection", "路口"),
    "crossing": ("7(1)", "pedestrian crossing passage", "过街通道"),
    "transit_hub": ("7(1)", "public transport hub", "公共交通枢纽"),
    "square": ("7(1)", "square", "广场"),
    "park": ("7(1)", "park", "公园"),
    "public_place": ("7(1)", "other public place in a town or city", "公共场所"),
    "boundary_road": ("7(2)", "road at a county-level (or higher) boundary", "县级以上行政区域界线公路交界部位"),
    "key_unit": ("7(3)", "key security unit (important part)", "治安保卫重点单位的重要部位"),
    "residential_entrance": ("7(4)", "residential compound entrance", "居民住宅小区的出入口"),
    "residential_passage": ("7(4)", "residential compound main passage", "主要通道"),
    "other_required": ("7(5)", "other place required by law", "其他区域、场所和部位"),
    "other": (None, "not an Art. 7 place", "其他"),
}
Category = Literal[
    "street", "intersection", "crossing", "transit_hub", "square", "park", "public_place", "boundary_road",
    "key_unit", "residential_entrance", "residential_passage", "other_required", "other",
]

MEASURES_IN_FORCE = date(2011, 5, 1)
FILING_DAYS = 60
VERDICTS = ("compliant", "violation", "inconclusive")

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")

Progress = Callable[[int, int], None]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- zones: see cctv_guard.core.zones (re-exported here) --------------------------------------------


# --- cameras ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Camera:
    """One registered camera. ``source`` holds the stream URI as given, credentials included:
    never print it — use :meth:`to_dict` (redacted) or :attr:`source_redacted`."""

    id: str
    name: str
    lat: float
    lon: float
    category: str
    operator: str = ""
    installed: date | None = None
    filed: date | None = None
    signage: bool | None = None  # None: not recorded
    source: str | None = field(default=None, repr=False)
    notes: str = ""
    zones: tuple[Zone, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None

    @property
    def source_redacted(self) -> str | None:
        return redact_uri(self.source)

    @property
    def article_7_clause(self) -> str | None:
        return CATEGORIES.get(self.category, (None, "", ""))[0]

    @property
    def filing_due(self) -> date | None:
        """When the Art. 11 filing is (or was) due; None while the installation date is unknown."""
        if self.installed is None:
            return None
        return max(self.installed, MEASURES_IN_FORCE) + timedelta(days=FILING_DAYS)

    def filing_overdue(self, today: date | None = None) -> bool:
        due = self.filing_due
        return self.filed is None and due is not None and (today or date.today()) > due

    def zone(self, name: str) -> Zone | None:
        return next((z for z in self.zones if z.name == name), None)

    def finding_kinds(self, today: date | None = None) -> list[str]:
        """The kinds of :meth:`findings`, cheaply (for tables of many cameras)."""
        return [k for k, on in (("filing_overdue", self.filing_overdue(today)), ("signage_missing", self.signage is False)) if on]

    def findings(self, today: date | None = None) -> list[dict[str, Any]]:
        """Registry findings: ``filing_overdue`` (Art. 11) and ``signage_missing`` (Art. 8)."""
        today = today or date.today()
        out: list[dict[str, Any]] = []
        if self.filing_overdue(today):
            due = self.filing_due
            assert due is not None
            out.append({
                "kind": "filing_overdue", "article": "11", "penalty_article": "19(2)",
                "details": {"installed": self.installed.isoformat() if self.installed else None,
                            "due": due.isoformat(), "days_overdue": (today - due).days},
            })
        if self.signage is False:
            out.append({"kind": "signage_missing", "article": "8", "penalty_article": "19(1)", "details": {}})
        return out

    def to_dict(self, *, today: date | None = None, findings: bool = True) -> dict[str, Any]:
        """A JSON-ready dict for people and reports: the stream URI is redacted."""
        d: dict[str, Any] = {
            "id": self.id, "name": self.name, "lat": self.lat, "lon": self.lon,
            "category": self.category, "article_7": self.article_7_clause, "operator": self.operator,
            "installed": _iso(self.installed), "filed": _iso(self.filed), "filing_due": _iso(self.filing_due),
            "signage": self.signage, "source": self.source_redacted, "notes": self.notes,
            "zones": {z.name: [list(p) for p in z.points] for z in self.zones},
            "created_at": self.created_at, "updated_at": self.updated_at,
        }
        if findings:
            d["findings"] = self.findings(today)
        return d


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# --- validation at the boundary (library calls, CLI options, CSV rows, database rows) ---------------

_YES = {"yes", "y", "true", "t", "1", "on", "是", "有"}
_NO = {"no", "n", "false", "f", "0", "off", "否", "无"}


class CameraFields(BaseModel):
    """The writable facts of a camera. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    id: str = Field(pattern=_ID_RE.pattern)
    name: str = Field(min_length=1, max_length=200)
    lat: float
    lon: float
    category: Category
    operator: str = Field(default="", max_length=200)
    installed: date | None = None
    filed: date | None = None
    signage: bool | None = None
    source: str | None = Field(default=None, max_length=2000)
    notes: str = Field(default="", max_length=2000)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        if isinstance(v, str) and not _ID_RE.fullmatch(v.strip()):
            raise ValueError("camera id must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
        return v

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip().lower().replace("-", "_").replace(" ", "_")
            if v not in CATEGORIES:
                raise ValueError(f"unknown category; expected one of {', '.join(CATEGORIES)}")
        return v

    @field_validator("lat", "lon", mode="before")
    @classmethod
    def _coord(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("expected a number")
        return v

    @field_validator("lat")
    @classmethod
    def _lat(cls, v: float) -> float:
        if not (math.isfinite(v) and -90.0 <= v <= 90.0):
            raise ValueError("expected a WGS84 latitude in degrees between -90 and 90")
        return v

    @field_validator("lon")
    @classmethod
    def _lon(cls, v: float) -> float:
        if not (math.isfinite(v) and -180.0 <= v <= 180.0):
            raise ValueError("expected a WGS84 longitude in degrees between -180 and 180")
        return v

    @field_validator("signage", mode="before")
    @classmethod
    def _signage(cls, v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip().lower()
            if s in ("", "unknown", "?"):
                return None
            if s in _YES:
                return True
            if s in _NO:
                return False
            raise ValueError("expected yes or no")
        return v

    @field_validator("installed", "filed", "source", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and v.strip().lower() in ("", "none", "null") else v

    @field_validator("installed", "filed")
    @classmethod
    def _plausible_date(cls, v: date | None) -> date | None:
        if v is not None and not (date(1950, 1, 1) <= v <= date.today() + timedelta(days=3660)):
            raise ValueError("date is not plausible for a camera")
        return v

    @field_validator("name", "operator", "notes", "source")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        if v is not None and _CONTROL.search(v):
            raise ValueError("must not contain control characters or line breaks")
        return v

    @field_validator("source")
    @classmethod
    def _not_redacted(cls, v: str | None) -> str | None:
        if v is not None and f"{MASK}@" in v:
            raise ValueError("this URI was redacted for display (***); give the real stream URI")
        return v


CAMERA_FIELDS: tuple[str, ...] = tuple(CameraFields.model_fields)

# Rows read back from the database were validated on the way in; on the way out they are checked
# for types only, all at once (pydantic-core, no Python validators: 10,000 rows in a few ms).
@lru_cache(maxsize=1)
def _camera_rows() -> TypeAdapter:
    return TypeAdapter(list[tuple[str, str, float, float, str, str, Optional[date], Optional[date],
                                  Optional[bool], Optional[str], str, str, str]])
REQUIRED_FIELDS = ("id", "name", "lat", "lon", "category")


def _describe(exc: ValidationError, where: str = "") -> list[str]:
    """One readable line per pydantic error; offending values are redacted."""
    lines = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "value"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required"
        got = e.get("input")
        shown = "" if e["type"] in ("missing", "extra_forbidden") or isinstance(got, dict) else f" (got {redact_text(repr(got))})"
        lines.append(f"{where}{loc}: {msg}{shown}")
    return lines


def validate_camera(data: Mapping[str, Any], where: str = "") -> CameraFields:
    try:
        return CameraFields.model_validate(dict(data))
    except ValidationError as exc:
        lines = _describe(exc, where)
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        raise RegistryError(f"{lines[0]}{more}") from None


def _camera_from_fields(f: CameraFields, zones: tuple[Zone, ...] = (), created_at=None, updated_at=None) -> Camera:
    return Camera(
        f.id, f.name, f.lat, f.lon, f.category, f.operator, f.installed, f.filed, f.signage, f.source, f.notes,
        zones, created_at, updated_at,
    )


def _fields_of(cam: Camera) -> dict[str, Any]:
    return {k: getattr(cam, k) for k in CAMERA_FIELDS}


# --- baselines and checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineRecord:
    """One baseline taken for a camera (the newest is the current one; older ones stay as history)."""

    id: int
    camera_id: str
    sha256: str
    frame_size: tuple[int, int]
    profiles: tuple[str, ...]
    source: str | None  # redacted
    start_s: float | None
    end_s: float | None
    created_at: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "frame_size": list(self.frame_size), "profiles": list(self.profiles),
                "source": self.source, "start_s": self.start_s, "end_s": self.end_s,
                "created_at": self.created_at, "size": self.size}


@dataclass(frozen=True)
class CheckRecord:
    id: int
    camera_id: str
    checked_at: str
    source: str | None  # redacted
    verdict: str
    events: int
    findings: int
    frames_analyzed: int | None
    duration_s: float | None
    report_path: str | None
    kinds: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"checked_at": self.checked_at, "source": self.source, "verdict": self.verdict,
                "events": self.events, "findings": self.findings, "frames_analyzed": self.frames_analyzed,
                "duration_s": self.duration_s, "report_path": self.report_path, "kinds": list(self.kinds)}


class _CheckSummary(BaseModel):
    """The part of a ``cctv-guard/check@1`` result the history keeps (other keys are ignored)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    verdict: Literal["compliant", "violation", "inconclusive"]
    source: str | None = None
    events: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    frames_analyzed: int | None = None
    duration_s: float | None = None


# --- database dialects ------------------------------------------------------------------------------


class _Dialect:
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


class _PostgresDialect(_Dialect):
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
]
assert len(MIGRATIONS) == SCHEMA_VERSION

_CAM_COLS = CAMERA_FIELDS + ("created_at", "updated_at")
_CAM_SELECT = f"SELECT {', '.join(_CAM_COLS)} FROM cameras"
_BASE_COLS = "id, camera_id, sha256, width, height, profiles, source, start_s, end_s, created_at, size"
_CHECK_COLS = "id, camera_id, checked_at, source, verdict, events, findings, frames_analyzed, duration_s, report_path, kinds"


def _to_db(f: CameraFields) -> tuple[Any, ...]:
    return (f.id, f.name, f.lat, f.lon, f.category, f.operator, _iso(f.installed), _iso(f.filed),
            None if f.signage is None else int(f.signage), f.source, f.notes)


# --- the registry -----------------------------------------------------------------------------------


class Registry:
    """A connection to the camera registry. Open it with :func:`open_registry`; use it as a
    context manager or call :meth:`close`. Every write is one transaction."""

    def __init__(self, dialect: _Dialect, location: str, baseline_dir: Path) -> None:
        self._db = dialect
        self.location = location  # a file path or a redacted URL, for messages
        self.baseline_dir = baseline_dir

    # -- plumbing

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def backend(self) -> str:
        return self._db.name

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Turn database errors into one-line RegistryErrors (redacted)."""
        try:
            yield
        except (RegistryError, ConfigError, BaselineError):
            raise
        except self._db.db_errors() as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RegistryError(redact_text(f"{what} failed on {self.location}: {first}")) from None

    @property
    def schema_version(self) -> int:
        return _schema_version(self._db)

    # -- cameras

    def _zones_by_camera(self, camera_id: str | None = None) -> dict[str, list[Zone]]:
        if camera_id is None:
            rows = self._db.execute("SELECT camera_id, name, points FROM zones ORDER BY camera_id, name").fetchall()
        else:
            rows = self._db.execute(
                "SELECT camera_id, name, points FROM zones WHERE camera_id = ? ORDER BY name", (camera_id,)
            ).fetchall()
        out: dict[str, list[Zone]] = {}
        for cid, name, points in rows:
            out.setdefault(cid, []).append(Zone(name, tuple((float(x), float(y)) for x, y in json.loads(points))))
        return out

    def _rows_to_cameras(self, rows: Sequence[Sequence[Any]], zones: Mapping[str, Sequence[Zone]]) -> list[Camera]:
        try:
            typed = _camera_rows().validate_python(rows)
        except ValidationError as exc:
            e = exc.errors()[0]
            row = rows[int(e["loc"][0])] if e["loc"] and str(e["loc"][0]).isdigit() else [None]
            col = _CAM_COLS[int(e["loc"][1])] if len(e["loc"]) > 1 and str(e["loc"][1]).isdigit() else "?"
            raise RegistryError(f"registry row for camera {row[0]!r} in {self.location} is invalid: {col}: {e['msg']}") from None
        return [Camera(*t[:11], zones=tuple(zones.get(t[0], ())), created_at=t[11], updated_at=t[12]) for t in typed]

    def get_camera(self, camera_id: str) -> Camera:
        """The camera with this id; :class:`RegistryError` if there is none."""
        cam = self.find_camera(camera_id)
        if cam is None:
            raise RegistryError(f"no camera {camera_id!r} in the registry ({self.location})")
        return cam

    def find_camera(self, camera_id: str) -> Camera | None:
        with self._guard("reading a camera"):
            row = self._db.execute(f"{_CAM_SELECT} WHERE id = ?", (camera_id,)).fetchone()
            if row is None:
                return None
            return self._rows_to_cameras([row], self._zones_by_camera(camera_id))[0]

    def list_cameras(self, *, overdue: bool = False, today: date | None = None) -> list[Camera]:
        """Every camera, ordered by id; ``overdue=True`` keeps only those whose Art. 11 filing is overdue."""
        with self._guard("listing cameras"):
            rows = self._db.execute(f"{_CAM_SELECT} ORDER BY id{self._db.binary_order}").fetchall()
            zones = self._zones_by_camera()
        cams = self._rows_to_cameras(rows, zones)
        if overdue:
            cams = [c for c in cams if c.filing_overdue(today)]
        return cams

    def count(self) -> int:
        with self._guard("counting cameras"):
            return int(self._db.execute("SELECT COUNT(*) FROM cameras").fetchone()[0])

    def add_camera(self, camera: Camera | Mapping[str, Any]) -> Camera:
        """Register a camera (validated; zones are validated too). Duplicate ids are errors."""
        data = _fields_of(camera) if isinstance(camera, Camera) else {k: v for k, v in camera.items() if k != "zones"}
        zones = camera.zones if isinstance(camera, Camera) else tuple(camera.get("zones", ()))
        f = validate_camera(data)
        zones = tuple(make_zone(z.name, z.points) for z in zones)
        now = _now()
        with self._guard(f"adding camera {f.id!r}"):
            try:
                with self._db.transaction():
                    self._db.execute(
                        f"INSERT INTO cameras ({', '.join(_CAM_COLS)}) VALUES ({', '.join('?' * len(_CAM_COLS))})",
                        _to_db(f) + (now, now),
                    )
                    self._write_zones(f.id, zones)
            except self._db.db_errors() as exc:
                if self._db.is_duplicate(exc):
                    raise RegistryError(f"camera {f.id!r} already exists; use 'camera edit' to change it") from None
                raise
        return self.get_camera(f.id)

    def _write_zones(self, camera_id: str, zones: Iterable[Zone]) -> None:
        self._db.executemany(
            "INSERT INTO zones (camera_id, name, points) VALUES (?, ?, ?) "
            "ON CONFLICT (camera_id, name) DO UPDATE SET points = excluded.points",
            [(camera_id, z.name, json.dumps([list(p) for p in z.points])) for z in zones],
        )

    def update_camera(self, camera_id: str, **changes: Any) -> Camera:
        """Change some facts of a camera (``name=``, ``filed=``...). ``zones=`` (Zones or
        ``{name: points}``) adds or replaces those zones; ``remove_zones=[names]`` drops zones.
        Zones are checked against the current baseline's frame size, and when they change the
        current baseline file is re-written with them (a new baseline record), so that every
        consumer of :meth:`baseline_path` sees the current zones. The id cannot change."""
        zones_in = changes.pop("zones", None) or ()
        remove = list(changes.pop("remove_zones", None) or ())
        zones_changed = bool(zones_in) or bool(remove)
        if "id" in changes and changes["id"] != camera_id:
            raise RegistryError("a camera's id cannot be changed; add a new camera and remove the old one")
        unknown = sorted(set(changes) - set(CAMERA_FIELDS))
        if unknown:
            raise RegistryError(f"{unknown[0]}: unknown field (expected one of {', '.join(CAMERA_FIELDS[1:])})")
        with self._guard(f"updating camera {camera_id!r}"):
            with self._db.transaction():
                cam = self.get_camera(camera_id)
                f = validate_camera({**_fields_of(cam), **changes})
                current = self.current_baseline(camera_id)
                frame = current.frame_size if current else None
                if isinstance(zones_in, Mapping):
                    zones_in = [Zone(k, tuple(v)) for k, v in zones_in.items()]
                zones = [make_zone(z.name, z.points, frame) for z in zones_in]
                for name in remove:
                    if cam.zone(name) is None:
                        raise RegistryError(f"camera {camera_id!r} has no zone {name!r}")
                cols = CAMERA_FIELDS[1:]
                self._db.execute(
                    f"UPDATE cameras SET {', '.join(f'{c} = ?' for c in cols)}, updated_at = ? WHERE id = ?",
                    _to_db(f)[1:] + (_now(), camera_id),
                )
                for name in remove:
                    self._db.execute("DELETE FROM zones WHERE camera_id = ? AND name = ?", (camera_id, name))
                self._write_zones(camera_id, zones)
                if zones_changed and current is not None:
                    self._rebake_zones(camera_id, current)
        return self.get_camera(camera_id)

    def _rebake_zones(self, camera_id: str, rec: "BaselineRecord") -> None:
        """Inside a transaction: store the current baseline again with the camera's zones."""
        from cctv_guard.tamper import baseline as bl

        b = bl.load_baseline(self.baseline_path(camera_id))
        zones = self._zones_by_camera(camera_id).get(camera_id, [])
        data = bl.to_bytes(replace(b, zones={z.name: z.points for z in zones}))
        self._insert_baseline(camera_id, data, rec.frame_size, rec.profiles, rec.source, rec.start_s, rec.end_s)

    def remove_camera(self, camera_id: str) -> Camera:
        """Delete a camera with its zones, baselines records and check history; baseline files
        no other camera uses are deleted too. Returns what was removed."""
        with self._guard(f"removing camera {camera_id!r}"):
            with self._db.transaction():
                cam = self.get_camera(camera_id)
                hashes = [r[0] for r in self._db.execute(
                    "SELECT DISTINCT sha256 FROM baselines WHERE camera_id = ?", (camera_id,)).fetchall()]
                self._db.execute("DELETE FROM cameras WHERE id = ?", (camera_id,))
                orphans = [h for h in hashes if self._db.execute(
                    "SELECT 1 FROM baselines WHERE sha256 = ? LIMIT 1", (h,)).fetchone() is None]
                for h in orphans:
                    self._db.execute("DELETE FROM blobs WHERE sha256 = ?", (h,))
        for h in orphans:  # after the commit: a crash before this line leaves a harmless orphan file
            (self.baseline_dir / f"{h}{BASELINE_SUFFIX}").unlink(missing_ok=True)
        return cam

    def import_cameras(self, rows: Sequence[Mapping[str, Any]], *, update: bool = False,
                       progress: Progress | None = None, where: Callable[[int], str] | None = None) -> int:
        """Add many cameras in ONE transaction: all or nothing. Every row is validated first;
        on any error nothing is written and a :class:`RegistryError` names the row and column
        (``.errors`` holds every problem). ``update=True`` replaces existing cameras with the
        same id instead of rejecting them — only the columns every row has are replaced, so a
        CSV without ``source`` keeps the stored stream URIs. Returns the number of cameras written."""
        where = where or (lambda i: f"row {i + 1}, ")
        errors: list[str] = []
        valid: list[CameraFields] = []
        seen: dict[str, int] = {}
        for i, row in enumerate(rows):
            try:
                f = CameraFields.model_validate(dict(row))
            except ValidationError as exc:
                errors.extend(_describe(exc, where(i)))
                continue
            if f.id in seen:
                errors.append(f"{where(i)}id: camera {f.id!r} appears twice (first at {where(seen[f.id]).rstrip(', ')})")
                continue
            seen[f.id] = i
            valid.append(f)
        if not errors and not update:
            with self._guard("importing cameras"):
                existing = self._existing_ids([f.id for f in valid])
            errors.extend(f"{where(seen[i])}id: camera {i!r} already exists (use --update to replace it)"
                          for i in sorted(existing, key=seen.__getitem__))
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            exc = RegistryError(f"{errors[0]}{more}; nothing was imported")
            exc.errors = errors  # type: ignore[attr-defined]
            raise exc
        now = _now()
        sql = (f"INSERT INTO cameras ({', '.join(_CAM_COLS)}) VALUES ({', '.join('?' * len(_CAM_COLS))})")
        if update:
            given = set.intersection(*(set(r) for r in rows)) if rows else set()
            sql += " ON CONFLICT (id) DO UPDATE SET " + ", ".join(
                f"{c} = excluded.{c}" for c in _CAM_COLS if c == "updated_at" or (c in given and c != "id"))
        chunk = 1000
        with self._guard("importing cameras"):
            with self._db.transaction():
                for start in range(0, len(valid), chunk):
                    part = valid[start:start + chunk]
                    self._db.executemany(sql, [_to_db(f) + (now, now) for f in part])
                    if progress:
                        progress(start + len(part), len(valid))
        return len(valid)

    def _existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            q = f"SELECT id FROM cameras WHERE id IN ({', '.join('?' * len(part))})"
            found.update(r[0] for r in self._db.execute(q, part).fetchall())
        return found

    # -- baselines

    def _baseline_rows(self, camera_id: str, limit: int | None = None) -> list[BaselineRecord]:
        q = f"SELECT {_BASE_COLS} FROM baselines WHERE camera_id = ? ORDER BY id DESC"
        if limit:
            q += f" LIMIT {int(limit)}"
        out = []
        for r in self._db.execute(q, (camera_id,)).fetchall():
            out.append(BaselineRecord(int(r[0]), r[1], r[2], (int(r[3]), int(r[4])), tuple(json.loads(r[5])),
                                      r[6], r[7], r[8], r[9], int(r[10])))
        return out

    def baselines(self, camera_id: str) -> list[BaselineRecord]:
        """Every baseline taken for this camera, newest first."""
        with self._guard("reading baselines"):
            self.get_camera(camera_id)
            return self._baseline_rows(camera_id)

    def current_baseline(self, camera_id: str) -> BaselineRecord | None:
        with self._guard("reading baselines"):
            rows = self._baseline_rows(camera_id, limit=1)
        return rows[0] if rows else None

    def store_baseline(self, camera_id: str, data: bytes, *, frame_size: tuple[int, int], profiles: Sequence[str],
                       source: str | None = None, start_s: float | None = None, end_s: float | None = None,
                       zones: Iterable[Zone] = ()) -> BaselineRecord:
        """Store baseline file content (see :func:`cctv_guard.tamper.baseline.to_bytes`) as the camera's
        current baseline, and add or replace ``zones`` (checked against ``frame_size``; the
        camera's other zones must fit the frame too). Returns the new record."""
        fw, fh = int(frame_size[0]), int(frame_size[1])
        with self._guard(f"storing a baseline for {camera_id!r}"):
            cam = self.get_camera(camera_id)
            zones = list(zones)
            new = {z.name: z.points for z in zones}
            for z in cam.zones:
                if new.get(z.name) == z.points or z.name not in new:
                    try:
                        make_zone(z.name, z.points, (fw, fh))
                    except ConfigError as exc:
                        raise ConfigError(f"camera {camera_id!r}: {exc} (this footage is {fw}x{fh}); replace the zone "
                                          "with --zone NAME=... or drop it with 'camera edit --remove-zone'") from None
            zones = [make_zone(z.name, z.points, (fw, fh)) for z in zones]
            with self._db.transaction():
                self._insert_baseline(camera_id, data, (fw, fh), profiles, source, start_s, end_s)
                self._write_zones(camera_id, zones)
        rec = self.current_baseline(camera_id)
        assert rec is not None
        return rec

    def _insert_baseline(self, camera_id: str, data: bytes, frame_size: tuple[int, int], profiles: Sequence[str],
                         source: str | None, start_s: float | None, end_s: float | None) -> None:
        """Inside a transaction: the file (named by its hash; an orphan if the transaction fails,
        which is harmless), its blob (PostgreSQL) and the baselines row."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.baseline_dir / f"{sha}{BASELINE_SUFFIX}"
        if not path.exists():
            _atomic_write_bytes(path, data)
        if self._db.blobs_in_db:
            self._db.execute("INSERT INTO blobs (sha256, data) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", (sha, data))
        self._db.execute(
            "INSERT INTO baselines (camera_id, sha256, width, height, profiles, source, start_s, end_s, size, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (camera_id, sha, int(frame_size[0]), int(frame_size[1]), json.dumps(list(profiles)), redact_uri(source),
             start_s, end_s, len(data), _now()),
        )

    def baseline_path(self, camera_id: str, profile: str | None = None) -> Path:
        """The camera's current baseline file, verified against its content hash (fetched from
        the database into the local cache when the registry is PostgreSQL). ``profile`` (e.g.
        ``night``) must be one of the baseline's lighting profiles when given."""
        rec = self.current_baseline(camera_id)
        if rec is None:
            self.get_camera(camera_id)
            raise RegistryError(
                f"camera {camera_id!r} has no baseline yet; run: cctv-guard camera baseline {camera_id} FOOTAGE")
        if profile is not None and profile not in rec.profiles:
            raise RegistryError(f"camera {camera_id!r} has no baseline profile {profile!r} (has: {', '.join(rec.profiles)})")
        path = self.baseline_dir / f"{rec.sha256}{BASELINE_SUFFIX}"
        if not path.exists() and self._db.blobs_in_db:
            with self._guard("fetching a baseline"):
                row = self._db.execute("SELECT data FROM blobs WHERE sha256 = ?", (rec.sha256,)).fetchone()
            if row is not None:
                _atomic_write_bytes(path, bytes(row[0]))
        if not path.exists():
            raise BaselineError(f"baseline file of camera {camera_id!r} is missing: {path}")
        if _sha256_file(path) != rec.sha256:
            raise BaselineError(f"baseline file of camera {camera_id!r} does not match its recorded SHA-256 "
                                f"(altered or corrupt): {path}")
        return path

    def load_baseline(self, camera_id: str, profile: str | None = None) -> Any:
        """The camera's current :class:`cctv_guard.tamper.baseline.Baseline` with the registry's zones
        (which may have been edited since the baseline was taken)."""
        from cctv_guard.tamper import baseline as bl

        path = self.baseline_path(camera_id, profile)
        b = bl.load_baseline(path)
        cam = self.get_camera(camera_id)
        return replace(b, zones={z.name: z.points for z in cam.zones})

    # -- check history

    def record_check(self, camera_id: str, result_json: Mapping[str, Any] | str,
                     report_path: str | os.PathLike[str] | None = None, *, checked_at: str | None = None) -> CheckRecord:
        """Append a check result (a ``cctv-guard/check@1`` dict or JSON text) to the camera's history."""
        try:
            data = json.loads(result_json) if isinstance(result_json, str) else dict(result_json)
            s = _CheckSummary.model_validate(data)
        except (ValueError, TypeError) as exc:
            detail = _describe(exc)[0] if isinstance(exc, ValidationError) else "not JSON"
            raise RegistryError(f"check result for {camera_id!r} is not a check@1 result: {detail}") from None
        kinds = sorted({str(e.get("kind")) for e in s.events if e.get("kind")})
        with self._guard(f"recording a check of {camera_id!r}"):
            with self._db.transaction():
                self.get_camera(camera_id)
                self._db.execute(
                    "INSERT INTO checks (camera_id, checked_at, source, verdict, events, findings, frames_analyzed,"
                    " duration_s, report_path, kinds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (camera_id, checked_at or _now(), redact_uri(s.source), s.verdict, len(s.events), len(s.findings),
                     s.frames_analyzed, s.duration_s,
                     str(Path(report_path).absolute()) if report_path else None, ",".join(kinds)),
                )
        return self.check_history(camera_id, limit=1)[0]

    def check_history(self, camera_id: str, limit: int | None = None) -> list[CheckRecord]:
        """The camera's checks, newest first."""
        q = f"SELECT {_CHECK_COLS} FROM checks WHERE camera_id = ? ORDER BY checked_at DESC, id DESC"
        if limit:
            q += f" LIMIT {int(limit)}"
        with self._guard("reading the check history"):
            self.get_camera(camera_id)
            rows = self._db.execute(q, (camera_id,)).fetchall()
        return [CheckRecord(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), r[7], r[8], r[9],
                            tuple(k for k in (r[10] or "").split(",") if k)) for r in rows]


# --- building a camera's baseline --------------------------------------------------------------------


def build_camera_baseline(reg: Registry, camera_id: str, source: str, *, start: float | None = None,
                          end: float | None = None, every: float | None = None, zones: Sequence[Zone] = (),
                          profile: str | None = None, progress: Any = None) -> BaselineRecord:
    """Take a baseline for a registered camera from footage and make it the camera's current one.

    Without ``profile`` a fresh baseline (profile ``day``) replaces the current one (history is
    kept). With ``profile`` (e.g. ``night``) that lighting profile is added to — or replaced in —
    the current baseline. ``zones`` are added to the camera's zones and checked against the frame.
    """
    from cctv_guard.tamper import baseline as bl

    cam = reg.get_camera(camera_id)
    for z in zones:  # shape errors before the slow part; the frame check follows once its size is known
        make_zone(z.name, z.points)
    merged = {z.name: z.points for z in cam.zones}
    merged.update({z.name: z.points for z in zones})
    current = reg.current_baseline(camera_id) if profile else None
    if current is not None:
        base = bl.load_baseline(reg.baseline_path(camera_id))
        b = bl.add_profile(base, source, profile, start=start, end=end, every=every, progress=progress)
    else:
        b = bl.build_baseline(source, start=start, end=end, every=every, progress=progress,
                              profile=profile or "day")
    b = replace(b, zones=dict(merged))
    return reg.store_baseline(
        camera_id, bl.to_bytes(b), frame_size=b.frame_size, profiles=list(b.profiles), source=source,
        start_s=start, end_s=end, zones=[Zone(k, tuple(v)) for k, v in merged.items()],
    )


# --- export and import -------------------------------------------------------------------------------

#: CSV columns of `camera export --format csv`, which `camera import` reads back.
#: Stream URIs are not exported (they carry credentials and are not part of a filing).
CSV_COLUMNS = ("id", "name", "lat", "lon", "category", "operator", "installed", "filed", "signage", "notes")
IMPORT_COLUMNS = CAMERA_FIELDS


def cameras_to_csv(cameras: Iterable[Camera]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for c in cameras:
        w.writerow([c.id, c.name, repr(c.lat), repr(c.lon), c.category, c.operator, _iso(c.installed) or "",
                    _iso(c.filed) or "", "" if c.signage is None else ("yes" if c.signage else "no"), c.notes])
    return buf.getvalue()


def cameras_to_geojson(cameras: Iterable[Camera], today: date | None = None) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of camera points (``[lon, lat]``) with their facts and
    registry findings as properties (no stream URIs)."""
    today = today or date.today()
    feats = []
    for c in cameras:
        props = {
            "id": c.id, "name": c.name, "category": c.category, "article_7": c.article_7_clause,
            "operator": c.operator, "installed": _iso(c.installed), "filed": _iso(c.filed),
            "filing_due": _iso(c.filing_due), "filing_overdue": c.filing_overdue(today), "signage": c.signage,
            "zones": sorted(z.name for z in c.zones), "findings": c.finding_kinds(today),
        }
        feats.append({"type": "Feature", "id": c.id, "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def read_camera_csv(path: str | os.PathLike[str]) -> tuple[list[dict[str, str]], Callable[[int], str]]:
    """Rows of a camera CSV (UTF-8, BOM allowed) as dicts, with a function naming row i's line.
    Unknown or missing columns are :class:`RegistryError`s naming the column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RegistryError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise RegistryError(f"expected a CSV file, found a folder: {path}") from None
    except UnicodeDecodeError:
        raise RegistryError(f"{path} is not UTF-8 text (save the CSV as UTF-8)") from None
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegistryError(f"{path} is empty; expected a header line with {', '.join(REQUIRED_FIELDS)}") from None
    except csv.Error as exc:
        raise RegistryError(f"{path} line 1: not valid CSV: {exc}") from None
    header = [h.strip().lower() for h in header]
    for i, h in enumerate(header):
        if h not in IMPORT_COLUMNS:
            raise RegistryError(f"{path} line 1, column {i + 1}: unknown column {h!r} "
                                f"(expected some of {', '.join(IMPORT_COLUMNS)})")
        if header.index(h) != i:
            raise RegistryError(f"{path} line 1, column {i + 1}: column {h!r} appears twice")
    missing = [c for c in REQUIRED_FIELDS if c not in header]
    if missing:
        raise RegistryError(f"{path} line 1: missing column {missing[0]!r} (required: {', '.join(REQUIRED_FIELDS)})")
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise RegistryError(f"{path} line {reader.line_num}: {len(cells)} cells, expected {len(header)}")
            rows.append(dict(zip(header, cells)))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise RegistryError(f"{path} line {reader.line_num}: not valid CSV: {exc}") from None
    name = path.name
    return rows, lambda i: f"{name} line {lines[i]}, column "


# --- opening ------------------------------------------------------------------------------------------


def open_registry(home: str | os.PathLike[str] | None = None, url: str | None = None, *,
                  upgrade_to: int | None = None) -> Registry:
    """Open (creating and upgrading as needed) the registry.

    ``url``: ``postgresql://user:pass@host/db`` for a shared PostgreSQL registry or
    ``sqlite:///path/registry.db``; default ``$CCTV_GUARD_DB``, else ``<home>/registry.db`` with
    ``home`` resolved by :func:`cctv_guard.core.home.resolve_home`. ``upgrade_to`` stops schema
    upgrades at that version (for staged upgrades and tests)."""
    url = resolve_db_url(url)
    target = SCHEMA_VERSION if upgrade_to is None else int(upgrade_to)
    if url and url.split(":", 1)[0].lower() in ("postgresql", "postgres"):
        dialect, location = _connect_postgres(url), redact_uri(url) or url
        baseline_dir = resolve_home(home) / BASELINE_DIR
    else:
        if url:
            if not url.lower().startswith("sqlite:///"):
                raise RegistryError(f"unsupported registry URL {redact_uri(url)!r}; "
                                    "expected postgresql://... or sqlite:///path/registry.db")
            db_path = Path(url[len("sqlite:///"):]).expanduser().absolute()  # sqlite:////abs or sqlite:///relative
        else:
            db_path = resolve_home(home) / DB_NAME
        dialect, location = _connect_sqlite(db_path), str(db_path)
        baseline_dir = db_path.parent / BASELINE_DIR
    try:
        _migrate(dialect, target, location)
    except BaseException:
        dialect.close()
        raise
    return Registry(dialect, location, baseline_dir)


def _connect_sqlite(path: Path) -> _Dialect:
    if path.is_dir():
        raise RegistryError(f"registry database path is a folder: {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"cannot create the registry folder {path.parent}: {exc.strerror or exc}") from None
    try:
        if not path.exists():  # the database holds stream credentials: readable by its owner only
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL" if str(mode).lower() == "wal" else "PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        hint = " (is it a cctv-guard registry?)" if "not a database" in str(exc) else ""
        raise RegistryError(f"cannot open the registry {path}: {exc}{hint}") from None
    return _Dialect(conn)


def _connect_postgres(url: str) -> _Dialect:
    try:
        import psycopg
    except ImportError:
        raise RegistryError("a PostgreSQL registry needs psycopg: pip install 'cctv-guard[postgres]'") from None
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RegistryError(redact_text(f"cannot connect to the registry {redact_uri(url)}: {first}")) from None
    return _PostgresDialect(conn)


def _schema_version(db: _Dialect) -> int:
    if db.name == "sqlite":
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    else:
        exists = db.execute("SELECT to_regclass('schema_version')").fetchone()[0]
    if not exists:
        return 0
    return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])


def _migrate(db: _Dialect, target: int, location: str) -> None:
    try:
        version = _schema_version(db)
        if version > SCHEMA_VERSION:
            raise RegistryError(f"the registry {location} has schema version {version}, newer than this cctv-guard "
                                f"understands ({SCHEMA_VERSION}); upgrade cctv-guard")
        if version >= target:
            return
        with db.schema_lock(), db.transaction():
            version = _schema_version(db)  # another process may have upgraded meanwhile
            if version == 0:
                db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            for v in range(version, target):
                for statement in MIGRATIONS[v]:
                    db.execute(db.ddl(statement))
                db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (v + 1, _now()))
    except RegistryError:
        raise
    except db.db_errors() as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = " (is it a cctv-guard registry?)" if "not a database" in first else ""
        raise RegistryError(redact_text(f"cannot open the registry {location}: {first}{hint}")) from None


# --- files --------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: never half-written."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise RegistryError(f"cannot write {path}: {exc.strerror or exc}") from None
