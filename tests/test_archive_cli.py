"""`cctv-guard archive` and `cctv-guard ledger` through CliRunner and `python -m cctv_guard`."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

from tests.test_archive import HOUR, PATTERN, T0, lay_out, make_mp4, six_hourly

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("CCTV_GUARD_HOME", str(h))
    return h


@pytest.fixture(scope="module")
def segment(tmp_path_factory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("seg") / "six.mp4", 6 * HOUR)


def invoke(*args: str):
    return runner.invoke(app, list(args), terminal_width=200)


def test_scan_json_and_exit_codes(tmp_path, segment):
    root = tmp_path / "nvr"
    lay_out(root, "camA", six_hourly(31), segment)
    r = invoke("archive", "scan", str(root), "--camera-pattern", PATTERN, "--json", "-")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["schema"] == "cctv-guard/archive-scan@1" and doc["verdict"] == "compliant"
    assert doc["cameras"][0]["files"] == 31 * 4 and doc["cameras"][0]["kept_days"] == pytest.approx(31)

    r = invoke("archive", "scan", str(root), "-p", PATTERN, "--min-days", "40", "--json", str(tmp_path / "s.json"))
    assert r.exit_code == 1
    doc = json.loads((tmp_path / "s.json").read_text())
    assert [(f["kind"], f["article"]) for f in doc["findings"]] == [("retention_short", "16(8)")]
    assert "retention_short" in r.output and "camA" in r.output

    (root / "camA" / f"{T0 + timedelta(days=3):%Y%m%d}" / "120000.mp4").unlink()
    r = invoke("archive", "scan", str(root), "-p", PATTERN, "--gap", "5m")
    assert r.exit_code == 1 and "recording_gap" in r.output and "6h00m" in r.output


def test_scan_declared_period_and_holds(tmp_path, segment):
    """Order 799 Art. 17 from the command line: 45 days kept against a declared 31 is an advisory
    finding (exit 0); a hold over the older days clears it."""
    root = tmp_path / "nvr"
    lay_out(root, "camA", six_hourly(45), segment)
    r = invoke("archive", "scan", str(root), "-p", PATTERN, "--declared-days", "31", "--json", "-")
    assert r.exit_code == 0, r.output
    kinds = [f["kind"] for f in json.loads(r.stdout)["findings"]]
    assert kinds == ["retention_excess"]
    old_days = f"camA/{T0:%Y%m}*/*"
    r = invoke("archive", "scan", str(root), "-p", PATTERN, "--declared-days", "31", "--hold", old_days,
               "--hold", f"camA/{T0 + timedelta(days=20):%Y%m}*/*", "--json", "-")
    assert r.exit_code == 0 and json.loads(r.stdout)["findings"] == []
    r = invoke("archive", "scan", str(root), "-p", PATTERN, "--declared-days", "0")
    assert r.exit_code == 2


@pytest.mark.parametrize(
    "args, says",
    [
        (["-p", "{camera}/*.mp4"], "missing the {date} field"),
        (["-p", "{camera}/{date:%Y%m%d}/{time}.mp4"], "needs a strftime format"),
        (["-p", PATTERN, "--gap", "soon"], "--gap"),
        (["-p", PATTERN, "--as-of", "tomorrow"], "--as-of"),
        (["-p", PATTERN, "--min-days", "0"], "--min-days"),
    ],
)
def test_scan_bad_input_is_exit_2_one_line(tmp_path, args, says):
    r = invoke("archive", "scan", str(tmp_path), *args)
    assert r.exit_code == 2 and says in r.output


def test_seal_verify_cycle(tmp_path, home):
    root = tmp_path / "nvr"
    (root / "cam1").mkdir(parents=True)
    hour_ago = time.time() - 3600
    for i in range(6):
        (root / "cam1" / f"{i}.bin").write_bytes(os.urandom(1000 + i))
        os.utime(root / "cam1" / f"{i}.bin", (hour_ago, hour_ago))
    (root / "cam1" / "recording.bin").write_bytes(b"the NVR is writing this one")
    r = invoke("archive", "seal", str(root), "--json", "-")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["files"] == 6 and doc["hashed"] == 6 and doc["still_recording"] == 1 and Path(doc["seal"]).is_file()
    assert "still being written" in r.stderr
    (root / "cam1" / "recording.bin").unlink()
    assert (home / "keys" / "signing-ed25519.pem").stat().st_mode & 0o777 == 0o600

    r = invoke("archive", "verify", str(root))
    assert r.exit_code == 0 and "intact" in r.output and "trusted key" in r.output

    (root / "cam1" / "2.bin").unlink()
    (root / "cam1" / "3.bin").write_bytes(b"overwritten")
    r = invoke("archive", "verify", str(root), "--json", str(tmp_path / "v.json"))
    assert r.exit_code == 1
    doc = json.loads((tmp_path / "v.json").read_text())
    assert sorted((c["path"], c["kind"]) for c in doc["changes"]) == [("cam1/2.bin", "deleted"), ("cam1/3.bin", "altered")]
    assert {f["kind"] for f in doc["findings"]} == {"footage_deleted", "footage_altered"}

    r = invoke("archive", "seal", str(root), "--settle", "0", "--json", "-")
    assert json.loads(r.stdout)["reused"] == 4
    assert invoke("archive", "verify", str(root)).exit_code == 0
    # someone else's home does not trust this seal
    r = invoke("archive", "verify", str(root), "--home", str(tmp_path / "elsewhere"))
    assert r.exit_code == 0 and "no trusted key" in r.output


def test_verify_without_a_seal_is_exit_2(tmp_path, home):
    (tmp_path / "a.bin").write_bytes(b"x")
    r = invoke("archive", "verify", str(tmp_path))
    assert r.exit_code == 2 and "no seal found" in r.output


def test_ledger_cli(tmp_path, home):
    base = ["--unit", "Chengguan PSB", "--purpose", "case 2026-118", "--from", "2026-11-20T08:00", "--to", "2026-11-20T09:00"]
    r = invoke("ledger", "record", "--who", "Li Wei", "--camera", "GS-LZ-0012", *base, "--action", "export", "--copies", "1")
    assert r.exit_code == 0, r.output
    r = invoke("ledger", "record", "--who", "王芳", "--camera", "GS-LZ-0013", *base, "--action", "view", "--json", "-")
    assert r.exit_code == 0 and json.loads(r.stdout)["seq"] == 2
    r = invoke("ledger", "show", "--camera", "GS-LZ-0012", "--json")
    entries = json.loads(r.stdout)["entries"]
    assert [(e["seq"], e["who"], e["copies"]) for e in entries] == [(1, "Li Wei", 1)]
    r = invoke("ledger", "show")
    assert r.exit_code == 0 and "王芳" in r.output and "GS-LZ-0013" in r.output
    r = invoke("ledger", "verify")
    assert r.exit_code == 0 and "intact: 2 entries" in r.output
    r = invoke("ledger", "export", "--csv", str(tmp_path / "l.csv"))
    rows = list(csv.DictReader((tmp_path / "l.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert r.exit_code == 0 and [x["who"] for x in rows] == ["Li Wei", "王芳"]

    r = invoke("ledger", "record", "--who", "x", "--camera", "c", *base, "--action", "steal")
    assert r.exit_code == 2 and "--action" in r.output
    import sqlite3

    with sqlite3.connect(home / "ledger.db") as conn:
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("UPDATE entries SET copies = 0 WHERE seq = 1")
    r = invoke("ledger", "verify", "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["broken_seq"] == 1
    r = invoke("ledger", "show", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["intact"] is False and "broken at entry 1" in r.stderr
    assert invoke("ledger", "export", "--csv", str(tmp_path / "l2.csv")).exit_code == 1


def test_ledger_export_csv_is_formula_safe(tmp_path, home):
    r = invoke("ledger", "record", "--who", "=cmd|' /C calc'!A0", "--unit", "@PSB", "--purpose", "=HYPERLINK(\"http://x\")",
               "--camera", "GS-LZ-0012", "--from", "2026-11-20T08:00", "--to", "2026-11-20T09:00", "--action", "view")
    assert r.exit_code == 0, r.output
    out = tmp_path / "l.csv"
    assert invoke("ledger", "export", "--csv", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    (row,) = csv.DictReader(text.splitlines())
    assert row["who"] == "'=cmd|' /C calc'!A0" and row["unit"] == "'@PSB" and row["purpose"].startswith("'=HYPERLINK")
    assert not any(line.split(",")[2].startswith(("=", "+", "-", "@")) for line in text.splitlines()[1:])
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_exit_codes_through_python_m(tmp_path):
    env = {**os.environ, "CCTV_GUARD_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cctv_guard", *args], capture_output=True, text=True, env=env, timeout=120)

    r = run("ledger", "verify")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no access ledger" in r.stderr
    (tmp_path / "nvr").mkdir()
    (tmp_path / "nvr" / "f.bin").write_bytes(b"x")
    assert run("archive", "seal", str(tmp_path / "nvr"), "--settle", "0").returncode == 0
    (tmp_path / "nvr" / "f.bin").write_bytes(b"y")
    r = run("archive", "verify", str(tmp_path / "nvr"))
    assert r.returncode == 1 and "footage_altered" in r.stderr
