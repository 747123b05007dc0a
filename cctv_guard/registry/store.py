"""The camera registry (Art. 7, 8, 11): cameras, their zones, their baselines and the history of
their checks, in an embedded SQLite database (default) or a shared PostgreSQL database.

::

    from cctv_guard.registry import open_registry, Camera
    with open_registry() as reg:                       # --home / $CCTV_GUARD_HOME / per-user default
        reg.add_camera(Camera("GS-LZ-0012", "Dongfanghong Sq. NE", 36.0611, 103.8343, "square",
                              installed=date(2026, 3, 1), signage=True,
                              source="rtsp://user:pass@10.0.0.12/stream1"))
        reg.list_cameras()                            # [Camera, ...]
        reg.store_baseline("GS-LZ-0012", data, ...)   # baseline file content, built by the caller
        reg.baseline_path("GS-LZ-0012")               # Path to the current baseline file
        reg.record_check("GS-LZ-0012", check_json, report_path="report.html")

The registry stores baselines; it does not build them. Taking one from footage is the caller's
step (:mod:`cctv_guard.tamper.baseline`, as ``cctv-guard camera baseline`` does); the registry
keeps the bytes, names them by their hash and keeps the camera's zones in them.

Storage layout (SQLite): ``<home>/registry.db`` (WAL, foreign keys, schema version table; see
:mod:`cctv_guard.registry.db`) and ``<home>/baselines/<sha256>.cgb`` — baseline files named by the
SHA-256 of their content, so a row can never point at a file that changed under it. With
PostgreSQL (``--db postgresql://...`` or ``$CCTV_GUARD_DB``) baseline files are also stored in the
database (table ``blobs``) and cached under ``<home>/baselines`` on each machine that reads them.
The database and the baseline files are private to their owner (0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

from pydantic import TypeAdapter, ValidationError

from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import BaselineError, ConfigError, RegistryError
from cctv_guard.core.home import resolve_db_url, resolve_home
from cctv_guard.core.progress import ProgressFn, report
from cctv_guard.core.redact import redact_text, redact_uri
from cctv_guard.core.zones import Zone, make_zone
from cctv_guard.registry.camera import (
    CAMERA_FIELDS,
    Camera,
    CameraFields,
    camera_facts,
    describe_errors,
    iso_date,
    validate_camera,
)
from cctv_guard.registry.db import (
    SCHEMA_VERSION,
    Dialect,
    connect_postgres,
    connect_sqlite,
    migrate,
    schema_version,
    utc_now,
)
from cctv_guard.registry.records import BaselineRecord, CheckRecord, CheckSummary

DB_NAME = "registry.db"
BASELINE_DIR = "baselines"
BASELINE_SUFFIX = ".cgb"


# Rows read back from the database were validated on the way in; on the way out they are checked
# for types only, all at once (pydantic-core, no Python validators: 10,000 rows in a few ms).
@lru_cache(maxsize=1)
def _camera_rows() -> TypeAdapter:
    return TypeAdapter(list[tuple[str, str, float, float, str, str, Optional[date], Optional[date],
                                  Optional[bool], Optional[str], str, Optional[date], Optional[int], str, str]])


_CAM_COLS = CAMERA_FIELDS + ("created_at", "updated_at")
_CAM_SELECT = f"SELECT {', '.join(_CAM_COLS)} FROM cameras"
_BASE_COLS = "id, camera_id, sha256, width, height, profiles, source, start_s, end_s, created_at, size"
_CHECK_COLS = "id, camera_id, checked_at, source, verdict, events, findings, frames_analyzed, duration_s, report_path, kinds"


def _to_db(f: CameraFields) -> tuple[Any, ...]:
    return (f.id, f.name, f.lat, f.lon, f.category, f.operator, iso_date(f.installed), iso_date(f.filed),
            None if f.signage is None else int(f.signage), f.source, f.notes, iso_date(f.go_live), f.retention_days)


# --- the registry -----------------------------------------------------------------------------------


class Registry:
    """A connection to the camera registry. Open it with :func:`open_registry`; use it as a
    context manager or call :meth:`close`. Every write is one transaction."""

    def __init__(self, dialect: Dialect, location: str, baseline_dir: Path) -> None:
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
        return schema_version(self._db)

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
        return [Camera(*t[:11], zones=tuple(zones.get(t[0], ())), created_at=t[13], updated_at=t[14], go_live=t[11],
                       retention_days=t[12]) for t in typed]

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

    def list_cameras(self, *, overdue: bool = False, today: date | None = None,
                     regimes: Sequence[str] | None = None) -> list[Camera]:
        """Every camera, ordered by id; ``overdue=True`` keeps only those whose filing is overdue
        under one of ``regimes`` (default: Order 78 Art. 11 or Order 799 Art. 14)."""
        with self._guard("listing cameras"):
            rows = self._db.execute(f"{_CAM_SELECT} ORDER BY id{self._db.binary_order}").fetchall()
            zones = self._zones_by_camera()
        cams = self._rows_to_cameras(rows, zones)
        if overdue:
            cams = [c for c in cams if c.filing_overdue(today, regimes)]
        return cams

    def count(self) -> int:
        with self._guard("counting cameras"):
            return int(self._db.execute("SELECT COUNT(*) FROM cameras").fetchone()[0])

    def add_camera(self, camera: Camera | Mapping[str, Any]) -> Camera:
        """Register a camera (validated; zones are validated too). Duplicate ids are errors."""
        data = camera_facts(camera) if isinstance(camera, Camera) else {k: v for k, v in camera.items() if k != "zones"}
        zones = camera.zones if isinstance(camera, Camera) else tuple(camera.get("zones", ()))
        f = validate_camera(data)
        zones = tuple(make_zone(z.name, z.points) for z in zones)
        now = utc_now()
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
                f = validate_camera({**camera_facts(cam), **changes})
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
                    _to_db(f)[1:] + (utc_now(), camera_id),
                )
                for name in remove:
                    self._db.execute("DELETE FROM zones WHERE camera_id = ? AND name = ?", (camera_id, name))
                self._write_zones(camera_id, zones)
                if zones_changed and current is not None:
                    self._rebake_zones(camera_id, current)
        return self.get_camera(camera_id)

    def _rebake_zones(self, camera_id: str, rec: BaselineRecord) -> None:
        """Inside a transaction: store the current baseline again with the camera's zones (the same
        baseline re-serialised with a new zone header; nothing is built from footage here)."""
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
                       progress: ProgressFn | None = None, where: Callable[[int], str] | None = None) -> int:
        """Add many cameras in ONE transaction: all or nothing. Every row is validated first;
        on any error nothing is written and a :class:`RegistryError` names the row and column
        (``.errors`` holds every problem). ``update=True`` replaces existing cameras with the
        same id instead of rejecting them — only the columns every row has are replaced, so a
        CSV without ``source`` keeps the stored stream URIs. ``progress`` hears the cameras written so
        far (unit ``cameras``). Returns the number of cameras written."""
        where = where or (lambda i: f"row {i + 1}, ")
        errors: list[str] = []
        valid: list[CameraFields] = []
        seen: dict[str, int] = {}
        for i, row in enumerate(rows):
            try:
                f = CameraFields.model_validate(dict(row))
            except ValidationError as exc:
                errors.extend(describe_errors(exc, where(i)))
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
        now = utc_now()
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
                    report(progress, start + len(part), len(valid), "cameras")
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
            _write_private(path, data)
        if self._db.blobs_in_db:
            self._db.execute("INSERT INTO blobs (sha256, data) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", (sha, data))
        self._db.execute(
            "INSERT INTO baselines (camera_id, sha256, width, height, profiles, source, start_s, end_s, size, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (camera_id, sha, int(frame_size[0]), int(frame_size[1]), json.dumps(list(profiles)), redact_uri(source),
             start_s, end_s, len(data), utc_now()),
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
                _write_private(path, bytes(row[0]))
        if not path.exists():
            raise BaselineError(f"baseline file of camera {camera_id!r} is missing: {path}")
        if _sha256_file(path) != rec.sha256:
            raise BaselineError(f"baseline file of camera {camera_id!r} does not match its recorded SHA-256 "
                                f"(altered or corrupt): {path}")
        return path

    def load_baseline(self, camera_id: str, profile: str | None = None) -> Any:
        """The camera's current :class:`cctv_guard.tamper.baseline.Baseline` with the registry's zones
        (which may have been edited since the baseline was taken)."""
        from cctv_guard.workflow import camera_baseline

        return camera_baseline(self.baseline_path(camera_id, profile),
                               {z.name: [list(p) for p in z.points] for z in self.get_camera(camera_id).zones})

    # -- check history

    def record_check(self, camera_id: str, result_json: Mapping[str, Any] | str,
                     report_path: str | os.PathLike[str] | None = None, *, checked_at: str | None = None) -> CheckRecord:
        """Append a check result (a ``cctv-guard/check@1`` dict or JSON text) to the camera's history."""
        try:
            data = json.loads(result_json) if isinstance(result_json, str) else dict(result_json)
            s = CheckSummary.model_validate(data)
        except (ValueError, TypeError) as exc:
            detail = describe_errors(exc)[0] if isinstance(exc, ValidationError) else "not JSON"
            raise RegistryError(f"check result for {camera_id!r} is not a check@1 result: {detail}") from None
        kinds = sorted({str(e.get("kind")) for e in s.events if e.get("kind")})
        with self._guard(f"recording a check of {camera_id!r}"):
            with self._db.transaction():
                self.get_camera(camera_id)
                self._db.execute(
                    "INSERT INTO checks (camera_id, checked_at, source, verdict, events, findings, frames_analyzed,"
                    " duration_s, report_path, kinds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (camera_id, checked_at or utc_now(), redact_uri(s.source), s.verdict, len(s.events), len(s.findings),
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
        dialect, location = connect_postgres(url), redact_uri(url) or url
        baseline_dir = resolve_home(home) / BASELINE_DIR
    else:
        if url:
            if not url.lower().startswith("sqlite:///"):
                raise RegistryError(f"unsupported registry URL {redact_uri(url)!r}; "
                                    "expected postgresql://... or sqlite:///path/registry.db")
            db_path = Path(url[len("sqlite:///"):]).expanduser().absolute()  # sqlite:////abs or sqlite:///relative
        else:
            db_path = resolve_home(home) / DB_NAME
        dialect, location = connect_sqlite(db_path), str(db_path)
        baseline_dir = db_path.parent / BASELINE_DIR
    try:
        migrate(dialect, target, location)
    except BaseException:
        dialect.close()
        raise
    return Registry(dialect, location, baseline_dir)


# --- files --------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    """A baseline file in the registry's folder: atomic, and private (0600) like the database next
    to it. An unwritable folder is a one-line ConfigError ("cannot write ...")."""
    write_output(path, data, private=True)
