"""The access ledger (Art. 16(3)): who retrieved or copied footage, when, why, and how many copies.

An append-only, hash-chained log in SQLite (``<home>/ledger.db``). Every row stores the hash of
the row before it and its own hash over the canonical JSON of its fields (sequence number
included), so editing, deleting, reordering or replaying a row breaks the chain at that row.
The newest ``(seq, hash)`` is signed with the home's Ed25519 key and stored in the same
transaction as the row, so truncating the tail is detectable too and a crash (kill -9, power
loss) leaves either the whole entry or none of it. A copy of the signed head is also written
atomically to ``ledger.head`` beside the database, which catches the database being swapped for
an older copy. Triggers refuse UPDATE and DELETE on entries (a guard against accidents; the
hashes are what detect deliberate edits).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal

from pydantic import ConfigDict, ValidationError, field_validator, model_validator

from cctv_guard.core.atomic import write_output
from cctv_guard.core.config import StrictModel
from cctv_guard.core.errors import ArchiveError, ConfigError
from cctv_guard.core.tables import csv_text
from cctv_guard.core.text import control_characters
from cctv_guard.custody.signing import (
    SigningKey,
    canonical_json,
    sha256_hex,
    verify_signature,
)

DB_NAME = "ledger.db"
HEAD_FILE = "ledger.head"
LEDGER_SCHEMA = "cctv-guard/ledger@1"
HEAD_SCHEMA = "cctv-guard/ledger-head@1"
GENESIS = "0" * 64
Action = Literal["view", "export", "copy"]
COLUMNS = ("seq", "recorded_at", "who", "unit", "purpose", "camera", "t_from", "t_to", "action", "copies", "prev_hash", "hash")

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    who TEXT NOT NULL,
    unit TEXT NOT NULL,
    purpose TEXT NOT NULL,
    camera TEXT NOT NULL,
    t_from TEXT NOT NULL,
    t_to TEXT NOT NULL,
    action TEXT NOT NULL,
    copies INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_camera ON entries(camera);
CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the access ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the access ledger is append-only'); END;
"""


class AccessRequest(StrictModel):
    """One retrieval or copy of footage, as the operator declares it (validated input)."""

    model_config = ConfigDict(str_strip_whitespace=True)  # merged with StrictModel's

    who: str
    unit: str
    purpose: str
    camera: str
    t_from: datetime
    t_to: datetime
    action: Action
    copies: int | None = None

    @field_validator("who", "unit", "purpose", "camera")
    @classmethod
    def _not_empty(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        bad = control_characters(v)
        if bad:  # an entry is kept for years and shown on terminals: no escape sequences in it
            raise ValueError(f"control characters are not allowed (found {', '.join(sorted(set(bad)))})")
        return v

    @field_validator("t_from", "t_to")
    @classmethod
    def _naive_minutes(cls, v: datetime) -> datetime:
        return v.astimezone().replace(tzinfo=None) if v.tzinfo is not None else v

    @model_validator(mode="after")
    def _consistent(self) -> "AccessRequest":
        if self.t_to <= self.t_from:
            raise ValueError(f"--to ({self.t_to.isoformat()}) must be after --from ({self.t_from.isoformat()})")
        copies = self.copies if self.copies is not None else (0 if self.action == "view" else 1)
        if copies < 0:
            raise ValueError("--copies must be 0 or more")
        if self.action in ("export", "copy") and copies < 1:
            raise ValueError(f"--action {self.action} makes at least one copy (--copies >= 1)")
        object.__setattr__(self, "copies", copies)
        return self


def access_request(**fields) -> AccessRequest:
    """Validate CLI input into an AccessRequest; errors are one-line ConfigErrors naming the option."""
    try:
        return AccessRequest.model_validate(fields)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(p) for p in e.get("loc", ()))
        opt = {"t_from": "--from", "t_to": "--to"}.get(loc, f"--{loc}" if loc else "ledger record")
        msg = e.get("msg", "invalid").removeprefix("Value error, ")
        raise ConfigError(f"{opt}: {msg}" if loc else msg) from None


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    recorded_at: str
    who: str
    unit: str
    purpose: str
    camera: str
    t_from: str
    t_to: str
    action: str
    copies: int
    prev_hash: str
    hash: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LedgerCheck:
    entries: int
    intact: bool
    broken_seq: int | None  # the first entry at which the chain breaks
    broken: str | None  # what is wrong there
    head_seq: int | None
    signer_trusted: bool | None


def entry_hash(seq: int, recorded_at: str, who: str, unit: str, purpose: str, camera: str,
               t_from: str, t_to: str, action: str, copies: int, prev_hash: str) -> str:
    return sha256_hex(canonical_json({
        "seq": seq, "recorded_at": recorded_at, "who": who, "unit": unit, "purpose": purpose, "camera": camera,
        "from": t_from, "to": t_to, "action": action, "copies": copies, "prev": prev_hash,
    }))


def _head_message(seq: int, head_hash: str) -> bytes:
    return canonical_json({"schema": HEAD_SCHEMA, "seq": seq, "hash": head_hash})


def ledger_path(home: Path) -> Path:
    return Path(home) / DB_NAME


@contextlib.contextmanager
def _connect(home: Path, create: bool) -> Iterator[sqlite3.Connection]:
    path = ledger_path(home)
    if not path.exists() and not create:
        raise ArchiveError(f"no access ledger at {path}; record an entry first with 'cctv-guard ledger record'")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open the access ledger {path}: {exc}") from None
    try:
        conn.execute("PRAGMA synchronous=FULL")
        if create:
            conn.executescript(_SCHEMA_SQL)
        yield conn
    except sqlite3.ProgrammingError:
        raise
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"the access ledger {path} is unreadable: {exc}") from None
    finally:
        conn.close()


def record_access(home: Path, request: AccessRequest, key: SigningKey, *, now: datetime | None = None) -> LedgerEntry:
    """Append one entry in a single transaction (entry + signed head), then refresh ``ledger.head``.

    Refuses to append when the current head does not match the newest entry or its signature,
    because signing a new head on top would hide the tampering."""
    recorded_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    with _connect(home, create=True) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            last = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
            head = conn.execute("SELECT seq, hash, public_key, signature FROM head WHERE id = 1").fetchone()
            problem = _head_problem(last, head, key.public_hex)
            if problem is None:
                broken = _file_head_problem(home, conn, last[0] if last else 0)
                problem = broken[1] if broken else None
            if problem is not None:
                raise ArchiveError(f"the access ledger failed its integrity check ({problem}); nothing was recorded — run 'cctv-guard ledger verify'")
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            fields = (
                seq, recorded_at, request.who, request.unit, request.purpose, request.camera,
                request.t_from.isoformat(timespec="minutes" if request.t_from.second == 0 else "seconds"),
                request.t_to.isoformat(timespec="minutes" if request.t_to.second == 0 else "seconds"),
                request.action, request.copies, prev,
            )
            h = entry_hash(*fields)
            conn.execute(f"INSERT INTO entries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", (*fields, h))
            signature = key.sign(_head_message(seq, h))
            conn.execute(
                "INSERT OR REPLACE INTO head (id, seq, hash, public_key, signature) VALUES (1, ?, ?, ?, ?)",
                (seq, h, key.public_hex, signature),
            )
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
    _write_head_file(home, seq, h, key.public_hex, signature)
    return LedgerEntry(*fields, h)


def _head_problem(last, head, public_hex: str) -> str | None:
    if last is None and head is None:
        return None
    if head is None:
        return "the signed head is missing"
    seq, h, pub, sig = head
    if not verify_signature(pub, _head_message(seq, h), sig):
        return "the signed head's signature does not match"
    if pub != public_hex:
        return "the head is signed by a key that is not this home's"
    if last is None or last[0] != seq or last[1] != h:
        return f"the signed head is entry {seq} but the newest entry is {last[0] if last else 'none'}"
    return None


def _write_head_file(home: Path, seq: int, h: str, pub: str, sig: str) -> None:
    doc = {"schema": HEAD_SCHEMA, "seq": seq, "hash": h, "public_key": pub, "signature": sig}
    write_output(Path(home) / HEAD_FILE, json.dumps(doc) + "\n")


def _read_head_file(home: Path) -> dict | None:
    path = Path(home) / HEAD_FILE
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"schema": "unreadable"}
    return obj if isinstance(obj, dict) else {"schema": "unreadable"}


def _rows(conn: sqlite3.Connection, camera: str | None = None) -> Iterator[LedgerEntry]:
    sql = f"SELECT {', '.join(COLUMNS)} FROM entries"
    args: tuple = ()
    if camera is not None:
        sql, args = sql + " WHERE camera = ?", (camera,)
    for row in conn.execute(sql + " ORDER BY seq", args):
        yield LedgerEntry(*row)


def list_entries(home: Path, *, camera: str | None = None) -> list[LedgerEntry]:
    with _connect(home, create=False) as conn:
        return list(_rows(conn, camera))


def verify_ledger(home: Path, *, trusted_key: str | None = None) -> LedgerCheck:
    """Walk the chain from the first entry; report the first broken link (edited, deleted,
    reordered, replayed or truncated entries, a bad or foreign signature, a rolled-back DB)."""
    with _connect(home, create=False) as conn:
        expected, prev, n = 1, GENESIS, 0
        seen: dict[str, int] = {}
        broken: tuple[int, str] | None = None
        last: tuple[int, str] | None = None
        for e in _rows(conn):
            n += 1
            if broken is None:
                recomputed = entry_hash(e.seq, e.recorded_at, e.who, e.unit, e.purpose, e.camera, e.t_from, e.t_to,
                                        e.action, e.copies, e.prev_hash)
                if e.seq != expected:
                    broken = (expected, f"entry {expected} is missing (the next entry is {e.seq}): deleted")
                elif e.hash in seen:
                    broken = (e.seq, f"entry {e.seq} replays entry {seen[e.hash]}")
                elif recomputed != e.hash:
                    broken = (e.seq, f"entry {e.seq} was edited: its hash does not match its contents")
                elif e.prev_hash != prev:
                    what = "the first entry" if e.seq == 1 else f"entry {e.seq - 1}"
                    broken = (e.seq, f"entry {e.seq} does not follow {what}: entries were reordered, replaced or replayed")
                seen[e.hash] = e.seq
            expected, prev, last = e.seq + 1, e.hash, (e.seq, e.hash)
        head = conn.execute("SELECT seq, hash, public_key, signature FROM head WHERE id = 1").fetchone()
        trusted = None
        if head is not None and trusted_key is not None:
            trusted = head[2] == trusted_key
        if broken is None:
            broken = _check_head(last, head, trusted) or _file_head_problem(home, conn, last[0] if last else 0)
    return LedgerCheck(n, broken is None, broken[0] if broken else None, broken[1] if broken else None,
                       head[0] if head else None, trusted)


def _check_head(last, head, trusted: bool | None) -> tuple[int, str] | None:
    last_seq = last[0] if last else 0
    if head is None:
        if last is not None:
            return (1, "the signed head is missing")
    else:
        seq, h, pub, sig = head
        if not verify_signature(pub, _head_message(seq, h), sig):
            return (seq, "the signed head's signature does not match (head edited)")
        if trusted is False:
            return (seq, "the head is signed by a key that is not this home's (re-signed by someone else)")
        if seq > last_seq:
            return (last_seq + 1, f"the ledger was truncated: the signed head is entry {seq} but only {last_seq} entries remain")
        if seq < last_seq:
            return (seq + 1, f"entries {seq + 1}..{last_seq} were appended without a signed head")
        if h != last[1]:
            return (seq, f"entry {seq} differs from the signed head")
    return None


def _file_head_problem(home: Path, conn: sqlite3.Connection, last_seq: int) -> tuple[int, str] | None:
    """Compare the database with the signed checkpoint file, which catches a database swapped
    for an older copy. The file may lag the database by one entry (a crash between the commit
    and the file write), but it may never be ahead of it or disagree with it."""
    file_head = _read_head_file(home)
    if file_head is None:  # a crash right after the very first record, or a home from elsewhere
        return None
    if file_head.get("schema") != HEAD_SCHEMA:
        return (last_seq, f"{HEAD_FILE} is unreadable")
    fseq, fh, fpub, fsig = (file_head.get(k) for k in ("seq", "hash", "public_key", "signature"))
    if not (isinstance(fseq, int) and isinstance(fh, str) and verify_signature(str(fpub), _head_message(fseq, fh), str(fsig))):
        return (last_seq, f"{HEAD_FILE}'s signature does not match")
    if fseq > last_seq:
        return (last_seq + 1, f"the ledger was rolled back: {HEAD_FILE} records entry {fseq} but the database ends at {last_seq}")
    row = conn.execute("SELECT hash FROM entries WHERE seq = ?", (fseq,)).fetchone()
    if row is None or row[0] != fh:
        return (fseq, f"entry {fseq} differs from the checkpoint in {HEAD_FILE}")
    return None


def ledger_to_json(entries: list[LedgerEntry], check: LedgerCheck | None = None) -> dict:
    out: dict = {"schema": LEDGER_SCHEMA, "entries": [e.to_json() for e in entries]}
    if check is not None:
        out["intact"], out["broken_seq"], out["broken"] = check.intact, check.broken_seq, check.broken
    return out


CSV_HEADER = ("seq", "recorded_at_utc", "who", "unit", "purpose", "camera", "from", "to", "action", "copies", "prev_hash", "hash")


def export_csv(home: Path, path: Path, *, camera: str | None = None) -> tuple[int, LedgerCheck]:
    """Write the ledger as CSV (UTF-8 with BOM, so spreadsheet programs show Chinese names),
    atomically. Cells are spreadsheet-safe (:func:`cctv_guard.core.tables.csv_text`): a name or
    purpose typed as ``=cmd|...`` is written as ``'=cmd|...``, never run as a formula; the
    entry hashes cover the text as recorded. Returns the row count and the integrity check,
    which the caller must show."""
    check = verify_ledger(home)
    entries = list_entries(home, camera=camera)
    text = csv_text(CSV_HEADER, ([getattr(e, c) for c in COLUMNS] for e in entries))
    write_output(Path(path), "\ufeff" + text)
    return len(entries), check
