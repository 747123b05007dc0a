"""The access ledger (Art. 16(3)): append-only, hash-chained, signed head; tampering and crashes."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctv_guard.custody import ledger
from cctv_guard.core.errors import ArchiveError, ConfigError
from cctv_guard.custody.signing import default_key_path, load_or_create_key

PEOPLE = [("Li Wei", "Chengguan PSB"), ("王芳", "兰州市公安局"), ("Zhang Min", "Anning PSB")]


def request(i: int, camera: str | None = None, action: str = "export") -> ledger.AccessRequest:
    who, unit = PEOPLE[i % len(PEOPLE)]
    return ledger.access_request(
        who=who, unit=unit, purpose=f"case 2026-{100 + i}", camera=camera or f"GS-LZ-{i % 3:04d}",
        t_from=f"2026-11-{10 + i % 10:02d}T08:00", t_to=f"2026-11-{10 + i % 10:02d}T09:30", action=action, copies=None,
    )


def fill(home: Path, n: int) -> list[ledger.LedgerEntry]:
    key = load_or_create_key(default_key_path(home))
    return [ledger.record_access(home, request(i), key, now=datetime(2026, 11, 20, 8, i, tzinfo=timezone.utc)) for i in range(n)]


def trusted(home: Path) -> str:
    return load_or_create_key(default_key_path(home)).public_hex


def test_record_show_verify_round_trip(tmp_path):
    entries = fill(tmp_path, 5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == ledger.GENESIS and all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert ledger.list_entries(tmp_path) == entries
    assert [e.seq for e in ledger.list_entries(tmp_path, camera="GS-LZ-0001")] == [2, 5]
    check = ledger.verify_ledger(tmp_path, trusted_key=trusted(tmp_path))
    assert (check.intact, check.entries, check.head_seq, check.signer_trusted) == (True, 5, 5, True)
    e = entries[1]
    assert (e.who, e.unit, e.t_from, e.t_to, e.action, e.copies) == ("王芳", "兰州市公安局", "2026-11-11T08:00", "2026-11-11T09:30", "export", 1)
    assert (tmp_path / ledger.HEAD_FILE).exists()


@pytest.mark.parametrize(
    "change, says",
    [
        ({"action": "delete"}, "--action"),
        ({"copies": 0}, "at least one copy"),
        ({"action": "view", "copies": -1}, "0 or more"),
        ({"t_to": "2026-11-20T07:00"}, "must be after --from"),
        ({"t_from": "yesterday"}, "--from"),
        ({"who": "   "}, "--who: must not be empty"),
        ({"purpose": ""}, "--purpose"),
    ],
)
def test_bad_requests_are_one_line_config_errors(change, says):
    fields = dict(who="Li Wei", unit="PSB", purpose="case", camera="c1", t_from="2026-11-20T08:00",
                  t_to="2026-11-20T09:00", action="export", copies=None)
    fields.update(change)
    with pytest.raises(ConfigError) as exc:
        ledger.access_request(**fields)
    assert says in str(exc.value) and "\n" not in str(exc.value)


def test_view_defaults_to_no_copies():
    assert request(0, action="view").copies == 0 and request(0, action="copy").copies == 1


def test_entries_cannot_be_updated_or_deleted_through_sql(tmp_path):
    fill(tmp_path, 2)
    with sqlite3.connect(tmp_path / ledger.DB_NAME) as conn:
        for sql in ("UPDATE entries SET who = 'x' WHERE seq = 1", "DELETE FROM entries WHERE seq = 2"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)


def test_missing_ledger_is_an_input_error(tmp_path):
    with pytest.raises(ArchiveError, match="no access ledger"):
        ledger.verify_ledger(tmp_path)


def test_export_csv(tmp_path):
    entries = fill(tmp_path, 4)
    n, check = ledger.export_csv(tmp_path, tmp_path / "out.csv")
    assert n == 4 and check.intact
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(text.lstrip("\ufeff").splitlines()))
    assert [r["hash"] for r in rows] == [e.hash for e in entries]
    assert rows[1]["who"] == "王芳" and rows[0]["from"] == "2026-11-10T08:00" and rows[3]["copies"] == "1"
    n, _ = ledger.export_csv(tmp_path, tmp_path / "cam.csv", camera="GS-LZ-0000")
    assert n == 2


def test_export_csv_neutralises_spreadsheet_formulas(tmp_path):
    """A name or purpose typed as a formula is exported as text, never run by a spreadsheet;
    the ledger itself keeps what was recorded (the entry hashes cover it)."""
    key = load_or_create_key(default_key_path(tmp_path))
    evil = ledger.access_request(who="=cmd|' /C calc'!A0", unit="+PSB", purpose="@SUM(1+1)", camera="-cam",
                                 t_from="2026-11-20T08:00", t_to="2026-11-20T09:00", action="view", copies=None)
    entry = ledger.record_access(tmp_path, evil, key)
    assert entry.who == "=cmd|' /C calc'!A0"
    ledger.export_csv(tmp_path, tmp_path / "out.csv")
    (row,) = csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines())
    assert (row["who"], row["unit"], row["purpose"], row["camera"]) == ("'=cmd|' /C calc'!A0", "'+PSB", "'@SUM(1+1)", "'-cam")
    assert row["hash"] == entry.hash and row["copies"] == "0"


# --- tampering (hypothesis) --------------------------------------------------------------------

N = 6
FIELDS = ["recorded_at", "who", "unit", "purpose", "camera", "t_from", "t_to", "action", "copies", "prev_hash", "hash"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A ledger of N entries and the signed head rows as they were after each record."""
    home = tmp_path_factory.mktemp("ledger")
    key = load_or_create_key(default_key_path(home))
    heads = []
    for i in range(N):
        ledger.record_access(home, request(i), key)
        with sqlite3.connect(home / ledger.DB_NAME) as conn:
            heads.append(conn.execute("SELECT seq, hash, public_key, signature FROM head").fetchone())
    return home, heads


def _sql(db: Path, *statements: tuple) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("DROP TRIGGER entries_no_delete")
        for s in statements:
            conn.execute(*s)
        conn.commit()
    finally:
        conn.close()


def _row(db: Path, seq: int) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT {', '.join(ledger.COLUMNS)} FROM entries WHERE seq = ?", (seq,)).fetchone()


TAMPERS = ["edit", "edit_rehash", "delete", "swap", "truncate", "truncate_rollback_head", "replay_copy", "replay_rehash", "head_forged"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=st.sampled_from(TAMPERS), data=st.data())
def test_every_ledger_tampering_is_detected(pristine, tmp_path_factory, how, data):
    src, heads = pristine
    home = tmp_path_factory.mktemp("t")
    for name in (ledger.DB_NAME, ledger.HEAD_FILE, "keys"):
        (shutil.copytree if (src / name).is_dir() else shutil.copy2)(src / name, home / name)
    db = home / ledger.DB_NAME
    k = data.draw(st.integers(1, N), label="seq")
    field = j = None
    if how in ("edit", "edit_rehash"):
        field = data.draw(st.sampled_from(FIELDS if how == "edit" else FIELDS[:-1]), label="field")
        row = dict(zip(ledger.COLUMNS, _row(db, k)))
        row[field] = row[field] + 1 if field == "copies" else row[field] + "x"
        if how == "edit_rehash":  # a forger recomputes the edited entry's own hash
            row["hash"] = ledger.entry_hash(*(row[c] for c in ledger.COLUMNS[:-1]))
        _sql(db, (f"UPDATE entries SET {field} = ?, hash = ? WHERE seq = ?", (row[field], row["hash"], k)))
    elif how == "delete":
        _sql(db, ("DELETE FROM entries WHERE seq = ?", (k,)))
    elif how == "swap":
        j = data.draw(st.integers(1, N).filter(lambda j: j != k), label="other")
        a, b = _row(db, k), _row(db, j)
        cols = ", ".join(f"{c} = ?" for c in ledger.COLUMNS[1:])
        _sql(db, (f"UPDATE entries SET {cols} WHERE seq = ?", (*b[1:], k)), (f"UPDATE entries SET {cols} WHERE seq = ?", (*a[1:], j)))
    elif how == "truncate":
        _sql(db, ("DELETE FROM entries WHERE seq >= ?", (k,)))
    elif how == "truncate_rollback_head":  # and restore the genuine signed head of that time
        if k == 1:
            _sql(db, ("DELETE FROM entries",), ("DELETE FROM head",))
        else:
            _sql(db, ("DELETE FROM entries WHERE seq >= ?", (k,)), ("UPDATE head SET seq=?, hash=?, public_key=?, signature=?", heads[k - 2]))
    elif how == "replay_copy":
        row = _row(db, k)
        _sql(db, (f"INSERT INTO entries VALUES ({', '.join('?' * len(row))})", (N + 1, *row[1:])))
    elif how == "replay_rehash":  # appended with a correct hash chain, but no key to sign the head
        row = dict(zip(ledger.COLUMNS, _row(db, k)))
        row["seq"], row["prev_hash"] = N + 1, _row(db, N)[-1]
        row["hash"] = ledger.entry_hash(*(row[c] for c in ledger.COLUMNS[:-1]))
        _sql(db, (f"INSERT INTO entries VALUES ({', '.join('?' * len(ledger.COLUMNS))})", tuple(row.values())))
    elif how == "head_forged":
        _sql(db, ("UPDATE head SET seq = ?", (k - 1 if k > 1 else N + 1,)))
    check = ledger.verify_ledger(home, trusted_key=trusted(home))
    assert not check.intact, how
    expected = {
        "edit": k,
        "edit_rehash": k if field == "prev_hash" or k == N else k + 1,
        "delete": k,
        "swap": min(k, j) if how == "swap" else None,
        "truncate": k,
        "truncate_rollback_head": k,
        "replay_copy": N + 1,
        "replay_rehash": N + 1,
    }.get(how)
    if expected is not None:
        assert check.broken_seq == expected, (how, check.broken)
    # Tampering at the tail (where only the signed head is evidence) blocks new entries; damage
    # inside the chain does not, and stays detectable after more entries are appended.
    key = load_or_create_key(default_key_path(home))
    tail_hash_changed = (
        (how == "delete" and k == N) or (how == "edit_rehash" and k == N) or (how == "edit" and k == N and field == "hash")
        or (how == "swap" and N in (k, j))
    )
    if how in ("truncate", "truncate_rollback_head", "replay_copy", "replay_rehash", "head_forged") or tail_hash_changed:
        with pytest.raises(ArchiveError, match="integrity check"):
            ledger.record_access(home, request(99), key)
    else:
        ledger.record_access(home, request(99), key)
        assert not ledger.verify_ledger(home, trusted_key=trusted(home)).intact


def test_first_broken_link_is_reported(tmp_path):
    fill(tmp_path, 6)
    db = tmp_path / ledger.DB_NAME
    _sql(db, ("UPDATE entries SET purpose = 'nothing to see' WHERE seq = 3",), ("DELETE FROM entries WHERE seq = 5",))
    check = ledger.verify_ledger(tmp_path)
    assert (check.broken_seq, check.broken) == (3, "entry 3 was edited: its hash does not match its contents")


def test_foreign_key_head_is_detected(tmp_path):
    fill(tmp_path, 3)
    other = load_or_create_key(tmp_path / "other.pem")
    row = _row(tmp_path / ledger.DB_NAME, 3)
    sig = other.sign(ledger._head_message(3, row[-1]))
    _sql(tmp_path / ledger.DB_NAME, ("UPDATE head SET public_key = ?, signature = ?", (other.public_hex, sig)))
    check = ledger.verify_ledger(tmp_path, trusted_key=trusted(tmp_path))
    assert not check.intact and "not this home's" in check.broken


def test_database_swapped_for_an_older_copy_is_detected(tmp_path):
    fill(tmp_path, 2)
    shutil.copy2(tmp_path / ledger.DB_NAME, tmp_path / "old.db")
    key = load_or_create_key(default_key_path(tmp_path))
    ledger.record_access(tmp_path, request(7), key)
    os.replace(tmp_path / "old.db", tmp_path / ledger.DB_NAME)
    check = ledger.verify_ledger(tmp_path)
    assert not check.intact and "rolled back" in check.broken and check.broken_seq == 3


# --- crashes: kill -9 while recording ----------------------------------------------------------

_RECORD_CHILD = """
import sys
from pathlib import Path
from cctv_guard.custody import ledger
from cctv_guard.custody.signing import default_key_path, load_or_create_key
home = Path(sys.argv[1])
key = load_or_create_key(default_key_path(home))
req = ledger.access_request(who="Li Wei", unit="PSB", purpose="crash test", camera="c1",
                            t_from="2026-11-20T08:00", t_to="2026-11-20T09:00", action="copy", copies=2)
print("go", flush=True)
while True:
    e = ledger.record_access(home, req, key)
    print(e.seq, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_kill_9_during_record_never_leaves_a_half_written_entry(tmp_path, seed):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", _RECORD_CHILD, str(tmp_path)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"go"
    time.sleep(random.Random(seed).uniform(0.05, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    printed = [int(x) for x in proc.stdout.read().split()]
    check = ledger.verify_ledger(tmp_path, trusted_key=trusted(tmp_path))
    assert check.intact, check.broken
    confirmed = printed[-1] if printed else 0
    assert confirmed <= check.entries <= confirmed + 1  # the one in flight is either all there or absent
    ledger.record_access(tmp_path, request(1), load_or_create_key(default_key_path(tmp_path)))
    assert ledger.verify_ledger(tmp_path).intact
