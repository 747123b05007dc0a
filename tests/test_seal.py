"""Integrity seals (Art. 17(2)): signed hash-chained manifests, verify, tampering, crashes."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctv_guard import custody
from cctv_guard.custody import SealReader, latest_seal, seal_archive, seals, verify_archive
from cctv_guard.core.errors import ArchiveError
from cctv_guard.custody.signing import canonical_json, default_key_path, load_or_create_key, sha256_hex

from tests.test_archive import make_mp4

DAY_NS = 86400 * 10**9


def build_tree(root: Path, n: int = 12, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    rels = []
    for i in range(n):
        rel = f"cam{i % 3}/2026112{i % 2}/{i:04d}.bin"
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(rng.randbytes(rng.randint(0, 5000)))
        rels.append(rel)
    return sorted(rels, key=custody.path_key)


def set_age(path: Path, days: float) -> None:
    t = time.time() - days * 86400
    os.utime(path, (t, t))


@pytest.fixture
def key(tmp_path):
    return load_or_create_key(default_key_path(tmp_path / "home"))


def test_key_is_created_once_with_owner_only_permissions(tmp_path):
    path = default_key_path(tmp_path / "home")
    k1 = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path).public_hex == k1.public_hex
    path.write_text("not a key")
    with pytest.raises(ArchiveError, match="not an unencrypted PEM"):
        load_or_create_key(path)


def test_seal_then_verify_round_trip(tmp_path, key):
    root = tmp_path / "nvr"
    rels = build_tree(root)
    make_mp4(root / "cam0" / "clip.mp4", 600)
    result = seal_archive(root, key)
    assert result.count == len(rels) + 1 and result.hashed == result.count and result.reused == 0
    assert result.path.parent == root / ".cctv-guard" and result.path.name.startswith("seal-")
    lines = result.path.read_text().splitlines()
    assert json.loads(lines[0])["public_key"] == key.public_hex
    entries = [json.loads(x) for x in lines[1:-1]]
    assert [e["path"] for e in entries] == sorted([*rels, "cam0/clip.mp4"], key=custody.path_key)
    for e in entries:
        assert e["sha256"] == sha256_hex((root / e["path"]).read_bytes())
        assert e["size"] == (root / e["path"]).stat().st_size
    clip = next(e for e in entries if e["path"] == "cam0/clip.mp4")
    assert clip["duration_s"] == pytest.approx(600) and clip["first_ts"] == 0 and clip["last_ts"] == pytest.approx(600)

    report = verify_archive(root, trusted_keys=[key.public_hex])
    assert report.seal.broken is None and report.seal.signer_trusted is True
    assert report.unchanged == result.count and report.changes == () and report.verdict == "compliant"


def test_seals_are_ordinary_output_files_and_the_key_stays_private(tmp_path, key):
    root, index = tmp_path / "nvr", tmp_path / "home" / custody.SEAL_INDEX
    build_tree(root, 3)
    mask = os.umask(0o027)
    try:
        result = seal_archive(root, key, index=index)
    finally:
        os.umask(mask)
    assert result.path.stat().st_mode & 0o777 == 0o640 and index.stat().st_mode & 0o777 == 0o640
    assert key.path.stat().st_mode & 0o777 == 0o600
    assert not [p for p in key.path.parent.iterdir() if p != key.path]  # no temporary key left behind


def test_verify_lists_altered_deleted_added_touched(tmp_path, key):
    root = tmp_path / "nvr"
    rels = build_tree(root, 20)
    old, old_important, recent, altered, touched = rels[0], rels[1], rels[2], rels[3], rels[4]
    for rel in (old, old_important):
        set_age(root / rel, 45)
    seal_archive(root, key, important=[old_important])
    for rel in (old, old_important, recent):
        (root / rel).unlink()
    with open(root / altered, "ab") as fh:
        fh.write(b"spliced")
    st = (root / touched).stat()
    os.utime(root / touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    (root / "cam9").mkdir()
    (root / "cam9" / "new.bin").write_bytes(b"new footage")

    report = verify_archive(root, trusted_keys=[key.public_hex])
    by_kind = {k: sorted(c.path for c in report.of(k)) for k in ("altered", "deleted", "added", "touched")}
    assert by_kind == {
        "altered": [altered], "deleted": sorted([old, old_important, recent]), "added": ["cam9/new.bin"], "touched": [touched],
    }
    assert report.unchanged == 20 - 5
    kinds = sorted((f.kind, f.article, f.details.get("path")) for f in report.findings)
    assert kinds == sorted([
        ("footage_altered", "17(2)", altered),
        ("footage_deleted", "17(2)", recent),  # 45-day-old ordinary footage may be deleted
        ("backup_retention_short", "16(8)", old_important),  # an important copy must stay 2 years
    ])
    doc = custody.verify_to_json(report)
    assert doc["schema"] == "cctv-guard/archive-verify@1" and doc["verdict"] == "violation" and doc["seal_intact"]


def test_same_size_and_mtime_edit_needs_full(tmp_path, key):
    root = tmp_path / "nvr"
    rels = build_tree(root)
    seal_archive(root, key)
    p = root / rels[5]
    st = p.stat()
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # a forger restores the mtime
    assert verify_archive(root).changes == ()
    full = verify_archive(root, full=True)
    assert [(c.path, c.kind, c.detail) for c in full.changes] == [(rels[5], "altered", "content differs")]


def test_reseal_is_incremental_and_chains_to_the_previous(tmp_path, key):
    root = tmp_path / "nvr"
    rels = build_tree(root, 30)
    first = seal_archive(root, key, now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    (root / rels[0]).write_bytes(b"changed")
    (root / "cam1" / "x.bin").write_bytes(b"added")
    (root / rels[1]).unlink()
    second = seal_archive(root, key, now=datetime(2026, 11, 2, tzinfo=timezone.utc))
    assert (second.count, second.hashed, second.reused) == (30, 2, 28)
    assert second.previous == first.path and latest_seal(root / ".cctv-guard") == second.path
    assert json.loads(second.path.read_text().splitlines()[0])["previous"] == first.path.name
    third = seal_archive(root, key, full=True, now=datetime(2026, 11, 3, tzinfo=timezone.utc))
    assert (third.hashed, third.reused) == (30, 0)
    assert verify_archive(root, trusted_keys=[key.public_hex]).verdict == "compliant"
    # the old seal still describes the old state
    old = verify_archive(root, seal=first.path)
    assert {c.kind for c in old.changes} == {"altered", "added", "deleted"}


def test_important_mark_carries_over_and_out_dir(tmp_path, key):
    root, seals = tmp_path / "nvr", tmp_path / "seals"
    rels = build_tree(root)
    seal_archive(root, key, out_dir=seals, important=["cam1/*"])
    seal_archive(root, key, out_dir=seals)
    entries = [json.loads(x) for x in latest_seal(seals).read_text().splitlines()[1:-1]]
    assert {e["path"] for e in entries if e["important"]} == {r for r in rels if r.startswith("cam1/")}
    assert not (root / ".cctv-guard").exists()
    with pytest.raises(ArchiveError, match="no seal found"):
        verify_archive(root)


def test_reseal_refuses_to_build_on_a_tampered_seal(tmp_path, key):
    root = tmp_path / "nvr"
    build_tree(root)
    path = seal_archive(root, key).path
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace('"size":', '"size":1')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ArchiveError, match="not intact"):
        seal_archive(root, key)
    assert seal_archive(root, key, full=True).count == len(lines) - 2


def test_foreign_key_is_reported(tmp_path, key):
    root = tmp_path / "nvr"
    build_tree(root)
    other = load_or_create_key(tmp_path / "other.pem")
    seal_archive(root, other)
    report = verify_archive(root, trusted_keys=[key.public_hex])
    assert report.seal.broken is None and report.seal.signer_trusted is False
    assert [f.details["cause"] for f in report.findings] == ["untrusted_key"]
    assert verify_archive(root).seal.signer_trusted is None  # nothing to compare against: not a finding
    assert verify_archive(root).findings == ()


# --- tampering with the manifest (hypothesis) --------------------------------------------------


def _rehash_chain(lines: list[str]) -> list[str]:
    """What a forger without the key can do: recompute every entry hash and the footer head."""
    head = sha256_hex(canonical_json(json.loads(lines[0])))
    out = [lines[0]]
    n = 0
    for line in lines[1:-1]:
        obj = json.loads(line)
        obj.pop("h")
        obj["prev"] = head
        head = obj["h"] = sha256_hex(canonical_json({k: v for k, v in obj.items() if k != "h"}))
        out.append(canonical_json(obj).decode())
        n += 1
    footer = json.loads(lines[-1])
    footer.update(count=n, head=head)
    return out + [canonical_json(footer).decode()]


TAMPERS = ["edit", "edit_rehash", "delete", "swap", "truncate", "replay", "header", "footer_count", "rechain", "drop_footer", "garbage"]


def tamper(lines: list[str], how: str, data) -> list[str]:
    lines = list(lines)
    n = len(lines) - 2  # entries
    i = data.draw(st.integers(1, n), label="entry")
    if how in ("edit", "edit_rehash", "rechain"):
        obj = json.loads(lines[i])
        field = data.draw(st.sampled_from(["path", "size", "mtime_ns", "sha256", "important", "duration_s"]), label="field")
        if field == "path":
            obj[field] = obj[field] + "x"
        elif field in ("size", "mtime_ns"):
            obj[field] += data.draw(st.integers(1, 10**6))
        elif field == "sha256":
            obj[field] = "0" * 64 if obj[field] != "0" * 64 else "1" * 64
        elif field == "important":
            obj[field] = not obj[field]
        else:
            obj[field] = 1.0 if obj[field] is None else None
        if how == "edit_rehash":
            obj["h"] = sha256_hex(canonical_json({k: v for k, v in obj.items() if k != "h"}))
        lines[i] = canonical_json(obj).decode()
        return _rehash_chain(lines) if how == "rechain" else lines
    if how == "delete":
        return lines[:i] + lines[i + 1 :]
    if how == "swap":
        j = data.draw(st.integers(1, n).filter(lambda j: j != i), label="other")
        lines[i], lines[j] = lines[j], lines[i]
        return lines
    if how == "truncate":
        return lines[:i]
    if how == "replay":
        at = data.draw(st.integers(1, len(lines)), label="at")
        return lines[:at] + [lines[i]] + lines[at:]
    if how == "header":
        obj = json.loads(lines[0])
        obj["root"] = obj["root"] + "/elsewhere"
        return [canonical_json(obj).decode()] + lines[1:]
    if how == "footer_count":
        obj = json.loads(lines[-1])
        obj["count"] += 1
        return lines[:-1] + [canonical_json(obj).decode()]
    if how == "drop_footer":
        return lines[:-1]
    lines[i] = lines[i][: len(lines[i]) // 2]  # garbage: a half-written line
    return lines


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    base = tmp_path_factory.mktemp("sealed")
    key = load_or_create_key(base / "key.pem")
    root = base / "nvr"
    build_tree(root, 8)
    path = seal_archive(root, key).path
    return key, root, path.read_text().splitlines()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=st.sampled_from(TAMPERS), data=st.data())
def test_every_manifest_tampering_is_detected(sealed, tmp_path, how, data):
    key, root, lines = sealed
    forged = tamper(lines, how, data)
    assert forged != lines
    path = tmp_path / f"seal-{random.getrandbits(64):x}.jsonl"
    path.write_text("\n".join(forged) + "\n")
    reader = SealReader(path, [key.public_hex])
    try:
        for _ in reader:
            pass
        check = reader.result()
    except ArchiveError:  # a header that no longer parses is refused outright
        assert how in ("truncate",) and len(forged) <= 1
        return
    assert check.broken is not None, how
    report = verify_archive(root, seal=path, trusted_keys=[key.public_hex])
    assert "seal_invalid" in [f.details.get("cause") for f in report.findings]


def test_untampered_manifest_passes(sealed, tmp_path):
    key, root, lines = sealed
    path = tmp_path / "seal-copy.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert SealReader(path, [key.public_hex]).result().broken is None


def test_a_forger_re_signing_with_their_own_key_is_caught(sealed, tmp_path):
    key, root, lines = sealed
    forger = load_or_create_key(tmp_path / "forger.pem")
    header = json.loads(lines[0])
    header["public_key"] = forger.public_hex
    forged = _rehash_chain([canonical_json(header).decode(), *lines[1:]])
    footer = json.loads(forged[-1])
    msg = seals.signed_message(sha256_hex(canonical_json(header)), footer["count"], footer["bytes"], footer["head"])
    footer["signature"] = forger.sign(msg)
    forged[-1] = canonical_json(footer).decode()
    path = tmp_path / "seal-forged.jsonl"
    path.write_text("\n".join(forged) + "\n")
    check = SealReader(path, [key.public_hex]).result()
    assert check.broken is None and check.signer_trusted is False


# --- walking problems --------------------------------------------------------------------------


def test_symlink_loops_and_special_files_are_reported_not_fatal(tmp_path, key):
    root = tmp_path / "nvr"
    rels = build_tree(root)
    os.symlink("..", root / "cam0" / "up")
    os.symlink("self", root / "self")
    os.symlink("gone", root / "dangling")
    os.mkfifo(root / "fifo")
    result = seal_archive(root, key)
    problems = {p.path: p.problem for p in result.problems}
    assert "symlink loop" in problems["cam0/up"] and "symlink loop" in problems["self"]
    assert problems["dangling"] == "broken symlink" and "not a regular file" in problems["fifo"]
    assert result.count == len(rels)
    assert verify_archive(root).changes == ()


def _unprivileged(cmd: list[str]) -> list[str]:
    """Root reads every file; drop the capabilities that let it, so 0000 files are unreadable."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *cmd]


def test_unreadable_files_are_recorded_and_reported(tmp_path):
    root = tmp_path / "nvr"
    build_tree(root, 6)
    (root / "cam0" / "locked.bin").write_bytes(b"secret")
    (root / "cam0" / "locked.bin").chmod(0o000)
    code = (
        "import sys; from pathlib import Path; from cctv_guard import custody; from cctv_guard.custody.signing import load_or_create_key;"
        f"r = custody.seal_archive(Path({str(root)!r}), load_or_create_key(Path({str(tmp_path / 'key.pem')!r})));"
        "print([(p.path, p.problem) for p in r.problems]); print(r.count, r.unreadable)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(_unprivileged([sys.executable, "-c", code]), capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    problems, counts = proc.stdout.strip().splitlines()
    assert "cam0/locked.bin" in problems and "unreadable" in problems
    assert counts == "7 1"
    entries = [json.loads(x) for x in latest_seal(root / ".cctv-guard").read_text().splitlines()[1:-1]]
    locked = next(e for e in entries if e["path"] == "cam0/locked.bin")
    assert locked["sha256"] is None and "unreadable" in locked["error"]


# --- crashes: kill -9 while sealing ------------------------------------------------------------

_SEAL_CHILD = """
import sys
from pathlib import Path
from cctv_guard import custody
from cctv_guard.custody.signing import load_or_create_key
key = load_or_create_key(Path(sys.argv[2]))
print("go", flush=True)
while True:
    custody.seal_archive(Path(sys.argv[1]), key, full=True, probe=False, jobs=1)
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_kill_9_during_seal_never_leaves_a_half_written_manifest(tmp_path, seed):
    root = tmp_path / "nvr"
    build_tree(root, 1500, seed)
    key_path = tmp_path / "key.pem"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", _SEAL_CHILD, str(root), str(key_path)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"go"
    time.sleep(random.Random(seed).uniform(0.05, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    key = load_or_create_key(key_path)
    for seal in custody.seal_files(root / ".cctv-guard"):
        check = SealReader(seal, [key.public_hex]).result()
        assert check.broken is None and check.count == 1500, (seal, check.broken)
    # whatever the crash left behind, the next seal and verify work
    seal_archive(root, key, probe=False)
    assert verify_archive(root, trusted_keys=[key.public_hex]).verdict == "compliant"


# --- the home's index of seals -----------------------------------------------------------------


def test_deleted_or_replaced_newest_seal_is_caught_by_the_home_index(tmp_path, key):
    root, index = tmp_path / "nvr", tmp_path / "home" / custody.SEAL_INDEX
    rels = build_tree(root)
    first = seal_archive(root, key, index=index, now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    (root / rels[0]).unlink()  # legitimately sealed after the deletion...
    second = seal_archive(root, key, index=index, now=datetime(2026, 11, 2, tzinfo=timezone.utc))
    assert verify_archive(root, trusted_keys=[key.public_hex], index=index).findings == ()

    second.path.unlink()  # ...then the newest seal disappears: the old one would flag nothing else
    report = verify_archive(root, trusted_keys=[key.public_hex], index=index)
    assert report.seal.path == first.path
    causes = [f.details.get("cause") for f in report.findings]
    assert causes[0] == "seal_missing" and "missing" in report.findings[0].message

    # a forger re-seals with the home's key but under the same name: the head differs
    forged = seal_archive(root, key, out_dir=tmp_path / "forge", full=True, now=datetime(2026, 11, 2, tzinfo=timezone.utc))
    os.replace(forged.path, second.path)
    (root / "cam0" / "extra.bin").write_bytes(b"x")
    report = verify_archive(root, trusted_keys=[key.public_hex], index=index)
    assert [f.details.get("cause") for f in report.findings] == ["seal_missing"] and "replaced" in report.findings[0].message
    # index lines signed by an untrusted key are ignored
    assert verify_archive(root, trusted_keys=["00" * 32], index=index).findings[0].details["cause"] == "untrusted_key"


def test_files_still_being_written_are_left_out(tmp_path, key):
    root = tmp_path / "nvr"
    rels = build_tree(root)
    for rel in rels:
        set_age(root / rel, 0.01)  # 15 minutes ago
    (root / "cam0" / "live.bin").write_bytes(b"growing")
    result = seal_archive(root, key, settle_s=120)
    assert (result.count, result.skipped) == (len(rels), 1)
    assert [p.path for p in result.problems] == ["cam0/live.bin"]
    with open(root / "cam0" / "live.bin", "ab") as fh:
        fh.write(b" and growing")  # the NVR keeps writing: not an alteration of sealed footage
    report = verify_archive(root)
    assert [(c.path, c.kind) for c in report.changes] == [("cam0/live.bin", "added")] and report.findings == ()
