"""Integrity seals (Art. 17(2)): a signed, hash-chained manifest of every file in an archive.

A seal is a JSON-lines file ``seal-<UTC time>.jsonl``: a header (root, creation time, the
signer's public key, the previous seal), one entry per file in :func:`~cctv_guard.custody.files.path_key`
order (path, size, mtime, SHA-256, duration, first and last media timestamp, the important-copy
mark) and a signed footer. Each entry's hash covers the previous entry's hash, the first covers
the header, and the footer's signature (Ed25519, the home's key) covers the header hash, the
count, the byte total and the head hash, so editing, deleting, reordering, replaying or
truncating entries breaks the seal at that line. :class:`SealReader` streams a seal in bounded
memory while checking all of that.

:func:`seal_archive` writes a seal (incrementally: files whose size and mtime are unchanged keep
their previous hash); seals are also recorded, signed, in the home's index (``seals.jsonl``)
so that a deleted or replaced seal is noticed by :func:`~cctv_guard.custody.verify.verify_archive`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Literal, Sequence

from pydantic import ConfigDict, Field, ValidationError

from cctv_guard import __version__
from cctv_guard.core.atomic import atomic_writer, output_mode, write_output
from cctv_guard.core.config import StrictModel
from cctv_guard.core.errors import ArchiveError
from cctv_guard.core.progress import ProgressFn
from cctv_guard.custody.files import (
    SEAL_DIR,
    FileStat,
    Hashed,
    HashPipeline,
    HashProgress,
    Problem,
    merge_walk,
    path_key,
    require_root,
    walk_files,
)
from cctv_guard.custody.signing import (
    SigningKey,
    canonical_json,
    sha256_hex,
    verify_signature,
)

SEAL_SCHEMA = "cctv-guard/seal@1"
SEAL_INDEX = "seals.jsonl"  # the home's index of seals


# --- the manifest format -------------------------------------------------------------------------


class _Strict(StrictModel):
    model_config = ConfigDict(strict=True)  # merged with StrictModel's: unknown keys are errors, frozen


class SealHeader(_Strict):
    model_config = ConfigDict(populate_by_name=True)

    schema_: Literal["cctv-guard/seal@1"] = Field(alias="schema")
    root: str
    created: str
    tool_version: str
    algorithm: Literal["ed25519"]
    hash: Literal["sha256"]
    public_key: str
    previous: str | None
    full: bool

    def to_json(self) -> dict:
        return self.model_dump(by_alias=True)


class SealEntry(_Strict):
    path: str
    size: int
    mtime_ns: int
    sha256: str | None  # None: the file could not be read when sealed
    error: str | None = None
    duration_s: float | None = None
    first_ts: float | None = None
    last_ts: float | None = None
    important: bool = False
    prev: str  # hash of the previous entry (or of the header for the first)
    h: str  # sha256 of this entry's canonical JSON without "h"


class SealFooter(_Strict):
    end: Literal[True]
    count: int
    bytes: int
    head: str
    signature: str


_H_MEMBER = re.compile(rb',"h":"([0-9a-f]{64})"')


def _entry_line(fields: dict) -> tuple[bytes, str]:
    """The manifest line of an entry and its hash. The hash covers the canonical JSON of every
    field but ``h`` (``prev`` included); ``h`` is spliced in at its sorted place, just before
    ``important`` (a quote inside a string value is escaped, so the marker cannot occur there)."""
    body = canonical_json(fields)
    h = sha256_hex(body)
    marker = b',"important":'
    at = body.index(marker)
    return body[:at] + b',"h":"' + h.encode() + b'"' + body[at:], h


def _split_hash(raw: bytes) -> tuple[bytes, str] | None:
    """Undo :func:`_entry_line`: (the bytes the hash covers, the claimed hash), or None."""
    m = _H_MEMBER.search(raw)
    return (raw[: m.start()] + raw[m.end() :], m.group(1).decode()) if m else None


def signed_message(header_hash: str, count: int, total_bytes: int, head: str) -> bytes:
    return canonical_json({"schema": SEAL_SCHEMA, "header": header_hash, "count": count, "bytes": total_bytes, "head": head})


def _first_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    where = ".".join(str(p) for p in e.get("loc", ())) or "(line)"
    return f"{where}: {e.get('msg', 'invalid')}"


@dataclass(frozen=True)
class SealCheck:
    """The state of a manifest after reading it to the end."""

    path: Path
    header: SealHeader | None
    count: int
    broken: str | None  # the first broken link, or None when chain and signature hold
    signer_trusted: bool | None  # None: no trusted key to compare against


class SealReader:
    """Streams a manifest's entries in order while checking the chain; after iteration,
    :meth:`result` says whether the whole file (chain, footer count, signature) holds."""

    def __init__(self, path: Path, trusted_keys: Iterable[str] = ()):
        self.path = Path(path)
        self.trusted = {k.lower() for k in trusted_keys if k}
        self.header: SealHeader | None = None
        self.broken: str | None = None
        self.count = 0
        self.bytes = 0
        self._header_hash = ""
        self._head = ""
        self._footer: SealFooter | None = None
        self._done = False

    @property
    def head(self) -> str:
        """The hash of the last entry read (after iteration: the manifest's head)."""
        return self._head

    def _break(self, line_no: int, why: str) -> None:
        if self.broken is None:
            self.broken = f"line {line_no}: {why}"

    def __iter__(self) -> Iterator[SealEntry]:
        return (entry for _, entry in self.keyed())

    def keyed(self) -> Iterator[tuple[tuple[str, ...], SealEntry]]:
        """(path_key, entry) pairs in order; entries out of order are reported and skipped."""
        try:
            fh = open(self.path, "rb")
        except OSError as exc:
            raise ArchiveError(f"cannot read seal {self.path}: {exc.strerror or exc}") from None
        last_key: tuple[str, ...] | None = None
        with fh:
            for line_no, raw in enumerate(fh, 1):
                raw = raw.rstrip(b"\r\n")
                if line_no == 1:
                    try:
                        self.header = SealHeader.model_validate_json(raw)
                    except ValidationError as exc:
                        raise ArchiveError(f"{self.path} is not a cctv-guard seal ({_first_error(exc)})") from None
                    self._header_hash = self._head = sha256_hex(raw)
                    continue
                if self._footer is not None:
                    self._break(line_no, "content after the signed footer (appended or replayed)")
                    continue
                split = _split_hash(raw)
                if split is None:
                    if b'"end":' not in raw:
                        self._break(line_no, "not a manifest entry (edited, truncated or half-written)")
                        continue
                    try:
                        self._footer = SealFooter.model_validate_json(raw)
                    except ValidationError as exc:
                        self._break(line_no, f"malformed footer ({_first_error(exc)})")
                    continue
                body, claimed = split
                try:
                    entry = SealEntry.model_validate_json(raw)
                except ValidationError as exc:
                    self._break(line_no, f"malformed entry ({_first_error(exc)})")
                    continue
                if sha256_hex(body) != claimed:
                    self._break(line_no, f"entry {entry.path!r} was edited (its hash does not match its contents)")
                if entry.prev != self._head:
                    self._break(line_no, f"entry {entry.path!r} does not follow the previous entry (deleted, reordered or replayed)")
                self._head = claimed
                key = path_key(entry.path)
                if last_key is not None and key <= last_key:
                    self._break(line_no, f"entry {entry.path!r} is out of order (reordered or replayed)")
                    continue
                last_key = key
                self.count += 1
                self.bytes += entry.size
                yield key, entry
        if self.header is None:
            raise ArchiveError(f"{self.path} is empty: not a cctv-guard seal")
        self._done = True

    def result(self) -> SealCheck:
        if not self._done:
            for _ in self:
                pass
        if self.broken is None:
            f = self._footer
            if f is None:
                self.broken = f"the signed footer is missing after {self.count} entries (truncated or still being written)"
            elif f.count != self.count:
                self.broken = f"the footer counts {f.count} entries but {self.count} are present (truncated, deleted or added)"
            elif f.head != self._head:
                self.broken = "the footer's head hash does not match the last entry (truncated or edited)"
            elif not verify_signature(
                self.header.public_key, signed_message(self._header_hash, f.count, f.bytes, f.head), f.signature
            ):
                self.broken = "the signature does not match (manifest or footer edited)"
        trusted = None
        if self.trusted and self.header is not None:
            trusted = self.header.public_key.lower() in self.trusted
        return SealCheck(self.path, self.header, self.count, self.broken, trusted)


def seal_files(directory: Path) -> list[Path]:
    """Complete seals in ``directory``, oldest first (their names sort by time)."""
    if not Path(directory).is_dir():
        return []
    return sorted(p for p in Path(directory).glob("seal-*.jsonl") if p.is_file())


def latest_seal(directory: Path) -> Path | None:
    seals = seal_files(directory)
    return seals[-1] if seals else None


def footer_count(path: Path) -> int | None:
    """The entry count of a seal's footer (read from the file's tail; a progress hint only)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            last = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        count = json.loads(last).get("count")
        return count if isinstance(count, int) else None
    except (OSError, ValueError, AttributeError):
        return None


# --- the home's index of seals ---------------------------------------------------------------------
#
# Seals kept inside the archive can be deleted along with the footage. Every seal is therefore
# also recorded, signed, in ``<home>/seals.jsonl``; verify compares the seal it uses with the
# newest one recorded there for the same root, so a deleted or replaced seal is a finding.


def _index_message(root: str, name: str, count: int, head: str) -> bytes:
    return canonical_json({"schema": "cctv-guard/seal-index@1", "root": root, "seal": name, "count": count, "head": head})


def record_in_index(index: Path, root: Path, seal: Path, count: int, head: str, key: SigningKey) -> None:
    """Add a seal to the home's index (rewritten atomically; one short line per seal)."""
    index = Path(index)
    old = index.read_text(encoding="utf-8") if index.exists() else ""
    line = {"root": str(root), "seal": seal.name, "path": str(seal), "count": count, "head": head,
            "public_key": key.public_hex, "signature": key.sign(_index_message(str(root), seal.name, count, head))}
    write_output(index, old + json.dumps(line) + "\n")


def newest_indexed_seal(index: Path, root: Path, trusted_keys: Iterable[str]) -> dict | None:
    """The newest correctly signed index line for ``root`` (by a trusted key), or None."""
    trusted = {k.lower() for k in trusted_keys if k}
    best = None
    try:
        lines = Path(index).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for raw in lines:
        try:
            d = json.loads(raw)
            ok = d["root"] == str(root) and d["public_key"].lower() in trusted and verify_signature(
                d["public_key"], _index_message(d["root"], d["seal"], d["count"], d["head"]), d["signature"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if ok and (best is None or d["seal"] > best["seal"]):
            best = d
    return best


# --- writing a seal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealResult:
    path: Path
    count: int
    bytes: int
    hashed: int  # files read and hashed this time
    reused: int  # files whose hash came from the previous seal
    unreadable: int
    skipped: int  # still being written (newer than settle_s)
    head: str
    previous: Path | None
    problems: tuple[Problem, ...]


SEAL_LOCK = ".seal.lock"  # held by the seal being written into a seal directory


@contextlib.contextmanager
def _sealing(out_dir: Path) -> Iterator[None]:
    """Hold the seal directory's lock (a second seal into the same directory waits for the first)
    and remove the temp manifests that a killed seal left: while the lock is held, no other seal
    is writing one."""
    import fcntl

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / SEAL_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ArchiveError(f"cannot write seals into {out_dir}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for p in out_dir.glob(".seal-*.tmp"):
            with contextlib.suppress(OSError):
                p.unlink()
        yield
    finally:
        os.close(fd)  # releases the lock


def _utc_stamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")


def seal_archive(
    root: Path,
    key: SigningKey,
    *,
    out_dir: Path | None = None,
    full: bool = False,
    important: Sequence[str] = (),
    probe: bool = True,
    jobs: int | None = None,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
    index: Path | None = None,
    settle_s: float = 0.0,
    follow_outside: bool = False,
) -> SealResult:
    """Write a signed, hash-chained manifest of every file under ``root``.

    Incremental by default: a file whose size and mtime match the previous seal keeps its hash
    (and media times). ``full`` re-hashes everything. ``important`` globs (on the relative path)
    mark important copies, kept 2 years under Art. 16(8); the mark carries over to later seals.
    The manifest appears atomically as ``seal-<UTC time>.jsonl`` in ``out_dir``
    (default ``ROOT/.cctv-guard``); a crash leaves only a ``.tmp`` file that verify ignores and
    the next seal into that directory removes.
    With ``index`` (the home's ``seals.jsonl``) the new seal is also recorded there.
    Files modified less than ``settle_s`` seconds ago are still being recorded: they are left out
    (and reported) so that the segment an NVR is writing is not later taken for an altered file.
    Symlinks that leave ``root`` are reported and not followed unless ``follow_outside``.
    A missing ``root`` is an ArchiveError and creates nothing."""
    root = Path(root).absolute()
    require_root(root)
    out_dir = Path(out_dir).absolute() if out_dir is not None else root / SEAL_DIR
    with _sealing(out_dir):
        return _seal(root, key, out_dir, full=full, important=important, probe=probe, jobs=jobs, progress=progress, now=now,
                     index=index, settle_s=settle_s, follow_outside=follow_outside)


def _seal(root: Path, key: SigningKey, out_dir: Path, *, full: bool, important: Sequence[str], probe: bool, jobs: int | None,
          progress: ProgressFn | None, now: datetime | None, index: Path | None, settle_s: float,
          follow_outside: bool) -> SealResult:
    now = now or datetime.now(timezone.utc)
    jobs = jobs if jobs is not None else min(4, os.cpu_count() or 1)
    previous = latest_seal(out_dir)
    reader = SealReader(previous, [key.public_hex]) if previous is not None else None
    header = SealHeader.model_validate(
        {
            "schema": SEAL_SCHEMA, "root": str(root), "created": now.astimezone(timezone.utc).isoformat(),
            "tool_version": __version__, "algorithm": "ed25519", "hash": "sha256", "public_key": key.public_hex,
            "previous": previous.name if previous is not None else None, "full": full,
        }
    )
    problems: list[Problem] = []
    throttle = HashProgress(progress, footer_count(previous) if previous is not None else None)
    exclude = {SEAL_DIR} | ({out_dir.name} if out_dir.parent == root else set())
    target = out_dir / f"seal-{_utc_stamp(now)}.jsonl"
    n = 0
    while target.exists():
        n += 1
        target = out_dir / f"seal-{_utc_stamp(now)}-{n}.jsonl"

    header_line = canonical_json(header.to_json())
    header_hash = head = sha256_hex(header_line)
    count = total = hashed = reused = unreadable = skipped = 0
    with atomic_writer(target, "wb", perms=output_mode()) as fh, HashPipeline(jobs) as pipeline:
        fh.write(header_line + b"\n")

        def emit(item: tuple[FileStat, SealEntry | None], done: Hashed | None) -> None:
            nonlocal head, count, total, hashed, reused, unreadable
            f, old = item
            if done is None:  # reused from the previous seal
                assert old is not None
                digest, error, media = old.sha256, old.error, (old.duration_s, old.first_ts, old.last_ts)
                reused += 1
            else:
                digest, error = done.sha256, done.error
                if done.media is not None:
                    media = (done.media.duration_s, done.media.first_ts, done.media.last_ts)
                elif old is not None and old.sha256 is not None and old.sha256 == digest:
                    media = (old.duration_s, old.first_ts, old.last_ts)
                else:
                    media = (None, None, None)
                hashed += 1
                if error is not None:
                    unreadable += 1
                    problems.append(Problem(f.rel, error))
                else:
                    throttle.tick(nbytes=f.size)
            fields = {
                "path": f.rel, "size": f.size, "mtime_ns": f.mtime_ns, "sha256": digest, "error": error,
                "duration_s": media[0], "first_ts": media[1], "last_ts": media[2],
                "important": bool((old is not None and old.important) or any(fnmatch.fnmatchcase(f.rel, g) for g in important)),
                "prev": head,
            }
            line, head = _entry_line(fields)
            fh.write(line + b"\n")
            count += 1
            total += f.size
            throttle.tick(files=1)

        cutoff_ns = time.time_ns() - int(settle_s * 1e9)
        walk = walk_files(root, problems.append, exclude, follow_outside=follow_outside)
        for f, old in merge_walk(walk, reader.keyed() if reader is not None else iter(())):
            if f is None:
                continue
            if settle_s > 0 and f.mtime_ns > cutoff_ns:
                problems.append(Problem(f.rel, f"still being written (modified in the last {settle_s:g} s): not sealed"))
                skipped += 1
                continue
            reusable = (
                not full and old is not None and old.sha256 is not None
                and old.size == f.size and old.mtime_ns == f.mtime_ns
            )
            for item, done in pipeline.submit((f, old), None if reusable else Path(f.path), f.size, probe):
                emit(item, done)
        for item, done in pipeline.drain():
            emit(item, done)
        if reader is not None:
            check = reader.result()
            if check.broken is not None and not full:
                raise ArchiveError(
                    f"the previous seal {previous.name} is not intact ({check.broken}); run 'archive verify' "
                    "and re-seal with --full to start a new chain"
                )
            if check.signer_trusted is False and not full:
                raise ArchiveError(
                    f"the previous seal {previous.name} was signed by another key; re-seal with --full to start a new chain"
                )
        footer = {
            "end": True, "count": count, "bytes": total, "head": head,
            "signature": key.sign(signed_message(header_hash, count, total, head)),
        }
        fh.write(canonical_json(footer) + b"\n")
    throttle.tick(force=True)
    if index is not None:
        record_in_index(index, root, target, count, head, key)
    return SealResult(target, count, total, hashed, reused, unreadable, skipped, head, previous, tuple(problems))
