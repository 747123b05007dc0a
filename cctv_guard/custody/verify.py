"""Verifying an archive against its seal (Art. 17(2), 16(8)).

:func:`verify_archive` checks the seal's chain and signature (and that its signer is a trusted
key), then walks the archive in step with the seal and lists the files altered, deleted, added
and touched since, judging each deletion against the storage period the footage was still in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Literal

from cctv_guard import __version__
from cctv_guard.core.errors import ArchiveError
from cctv_guard.core.progress import ProgressFn
from cctv_guard.custody.files import (
    SEAL_DIR,
    HashProgress,
    Problem,
    hash_file,
    merge_walk,
    require_root,
    walk_files,
)
from cctv_guard.custody.findings import (
    IMPORTANT_RETENTION_DAYS,
    RETENTION_DAYS,
    Finding,
    finding,
)
from cctv_guard.custody.seals import (
    SealCheck,
    SealEntry,
    SealReader,
    footer_count,
    latest_seal,
    newest_indexed_seal,
)

VERIFY_SCHEMA = "cctv-guard/archive-verify@1"
MAX_RETENTION_DAYS = 36_500  # a century: a larger storage period is a typo (and overflows the date arithmetic)


@dataclass(frozen=True)
class Change:
    path: str
    kind: Literal["altered", "deleted", "added", "touched", "unreadable"]
    size: int | None  # now (added/altered/touched) or when sealed (deleted)
    sealed_mtime: datetime | None  # UTC, from the seal
    within_retention: bool | None  # deleted/altered: was the footage still inside its storage period?
    important: bool = False
    detail: str = ""


@dataclass(frozen=True)
class VerifyReport:
    root: str
    seal: SealCheck
    as_of: datetime
    unchanged: int
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def verdict(self) -> str:
        return "violation" if self.findings else "compliant"


def _mtime_utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)


def verify_archive(
    root: Path,
    *,
    seal: Path | None = None,
    out_dir: Path | None = None,
    trusted_keys: Iterable[str] = (),
    full: bool = False,
    as_of: datetime | None = None,
    retention_days: int = RETENTION_DAYS,
    important_days: int = IMPORTANT_RETENTION_DAYS,
    progress: ProgressFn | None = None,
    index: Path | None = None,
    follow_outside: bool = False,
) -> VerifyReport:
    """Compare ``root`` with a seal (default: the newest in ``ROOT/.cctv-guard``).

    Files whose size and mtime match are taken as unchanged unless ``full`` (then every file is
    re-hashed). A file whose mtime changed but whose content did not is "touched", not altered.
    A deletion is a 17(2) finding when the footage was still inside its storage period at
    ``as_of`` (30 days by the file's sealed mtime; 2 years for important copies); any content
    alteration is a 17(2) finding; a broken chain or signature, or a signer that is not a trusted
    key, makes the seal itself a finding. With ``index`` (the home's ``seals.jsonl``), a newer
    seal recorded there than the one found (deleted or replaced seals) is a finding too.
    Symlinks that leave ``root`` are not followed unless ``follow_outside`` (as when sealing)."""
    for days, what in ((retention_days, "retention days"), (important_days, "retention days of important copies")):
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
            raise ArchiveError(f"{what} must be a whole number from 1 to {MAX_RETENTION_DAYS}, got {days!r}")
    root = Path(root).absolute()
    require_root(root)
    out_dir = Path(out_dir).absolute() if out_dir is not None else root / SEAL_DIR
    seal_path = Path(seal) if seal is not None else latest_seal(out_dir)
    if seal_path is None:
        raise ArchiveError(f"no seal found in {out_dir}; run 'cctv-guard archive seal {root}' first")
    as_of = as_of or datetime.now(timezone.utc)
    if as_of.tzinfo is None:
        as_of = as_of.astimezone(timezone.utc)
    reader = SealReader(seal_path, trusted_keys)
    problems: list[Problem] = []
    changes: list[Change] = []
    unchanged = 0
    throttle = HashProgress(progress, footer_count(seal_path))
    exclude = {SEAL_DIR} | ({out_dir.name} if out_dir.parent == root else set())

    def within(entry: SealEntry) -> bool:
        days = important_days if entry.important else retention_days
        return as_of - _mtime_utc(entry.mtime_ns) < timedelta(days=days)

    for f, old in merge_walk(walk_files(root, problems.append, exclude, follow_outside=follow_outside), reader.keyed()):
        throttle.tick(files=1)
        if old is None:
            changes.append(Change(f.rel, "added", f.size, None, None))
            continue
        if f is None:
            changes.append(Change(old.path, "deleted", old.size, _mtime_utc(old.mtime_ns), within(old), old.important))
            continue
        same_meta = f.size == old.size and f.mtime_ns == old.mtime_ns
        if same_meta and not full:
            unchanged += 1
            continue
        if f.size != old.size and old.sha256 is not None:
            changes.append(Change(f.rel, "altered", f.size, _mtime_utc(old.mtime_ns), within(old), old.important,
                                  f"size {old.size} -> {f.size}"))
            continue
        try:
            digest = hash_file(Path(f.path))
        except OSError as exc:
            changes.append(Change(f.rel, "unreadable", f.size, _mtime_utc(old.mtime_ns), None, old.important, exc.strerror or str(exc)))
            problems.append(Problem(f.rel, f"unreadable ({exc.strerror or exc})"))
            continue
        throttle.tick(nbytes=f.size)
        if old.sha256 is None:  # unreadable when sealed: nothing to compare against
            changes.append(Change(f.rel, "touched", f.size, _mtime_utc(old.mtime_ns), None, old.important, "was unreadable when sealed"))
        elif digest != old.sha256:
            changes.append(Change(f.rel, "altered", f.size, _mtime_utc(old.mtime_ns), within(old), old.important, "content differs"))
        elif same_meta:
            unchanged += 1
        else:
            changes.append(Change(f.rel, "touched", f.size, _mtime_utc(old.mtime_ns), None, old.important, "mtime changed, content identical"))
    check = reader.result()
    throttle.tick(force=True)

    findings: list[Finding] = []
    indexed = newest_indexed_seal(index, root, trusted_keys) if index is not None and seal is None else None
    if indexed is not None and not (indexed["seal"] == seal_path.name and indexed["head"] == reader.head):
        findings.append(finding(
            "footage_altered", None,
            f"the newest seal recorded in the home for this archive, {indexed['seal']} ({indexed['count']} files), "
            f"is {'missing' if not (out_dir / indexed['seal']).exists() else 'replaced'}: verified against {seal_path.name} instead",
            {"cause": "seal_missing", "expected_seal": indexed["seal"], "expected_head": indexed["head"], "seal": str(seal_path)},
        ))
    if check.broken is not None:
        findings.append(finding("footage_altered", None, f"seal {seal_path.name} is not intact: {check.broken}",
                                 {"cause": "seal_invalid", "seal": str(seal_path), "broken": check.broken}))
    elif check.signer_trusted is False:
        findings.append(finding("footage_altered", None,
                                 f"seal {seal_path.name} is signed by a key that is not this home's (public key {check.header.public_key[:16]}…)",
                                 {"cause": "untrusted_key", "seal": str(seal_path), "public_key": check.header.public_key}))
    for c in changes:
        period = "2 years (important copy)" if c.important else f"{retention_days} days"
        if c.kind == "altered":
            inside = "inside" if c.within_retention else "after"
            findings.append(finding("footage_altered", None, f"{c.path} was altered ({c.detail}) {inside} its {period} storage period",
                                     {"cause": "altered", "path": c.path, "within_retention": c.within_retention, "important": c.important}))
        elif c.kind == "deleted" and c.within_retention:
            findings.append(finding("backup_retention_short" if c.important else "footage_deleted", None,
                                     f"{c.path} (recorded until {c.sealed_mtime:%Y-%m-%d %H:%M} UTC) was deleted inside its {period} storage period",
                                     {"cause": "deleted", "path": c.path, "sealed_mtime": c.sealed_mtime.isoformat(), "important": c.important}))
    return VerifyReport(str(root), check, as_of, unchanged, tuple(changes), tuple(findings), tuple(problems))


def verify_to_json(report: VerifyReport) -> dict:
    s = report.seal
    return {
        "schema": VERIFY_SCHEMA,
        "tool_version": __version__,
        "root": report.root,
        "seal": str(s.path),
        "sealed_at": s.header.created if s.header else None,
        "seal_intact": s.broken is None,
        "broken_link": s.broken,
        "signer_trusted": s.signer_trusted,
        "as_of": report.as_of.isoformat(),
        "verdict": report.verdict,
        "sealed_files": s.count,
        "unchanged": report.unchanged,
        "changes": [
            {"path": c.path, "kind": c.kind, "size": c.size,
             "sealed_mtime": c.sealed_mtime.isoformat() if c.sealed_mtime else None,
             "within_retention": c.within_retention, "important": c.important, "detail": c.detail}
            for c in report.changes
        ],
        "findings": [f.to_json() for f in report.findings],
        "problems": [p.to_json() for p in report.problems],
    }
