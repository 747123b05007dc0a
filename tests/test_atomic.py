"""Atomic writes leave the old file or the new one, never a mixture or a stray temp file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from cctv_guard.core.atomic import write_atomic


def test_write_replaces_and_sets_mode(tmp_path):
    p = tmp_path / "f.json"
    p.write_text("old")
    write_atomic(p, "new ✓", mode=0o600)
    assert p.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert [x.name for x in tmp_path.iterdir()] == ["f.json"]


def test_failure_keeps_old_content_and_no_temp(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(p, 12345)  # type: ignore[arg-type]
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["f.bin"]


def test_kill_during_writes_never_leaves_partial_file(tmp_path):
    p = tmp_path / "big.bin"
    code = (
        "import sys; from cctv_guard.core.atomic import write_atomic\n"
        "i = 0\n"
        "while True:\n"
        "    write_atomic(sys.argv[1], bytes([i % 256]) * 4_000_000); i += 1\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(p)])
    try:
        for _ in range(200):
            if p.exists():
                break
            time.sleep(0.02)
        time.sleep(0.3)
    finally:
        proc.kill()
        proc.wait()
    data = p.read_bytes()
    assert len(data) == 4_000_000 and len(set(data)) == 1


def test_refuses_to_replace_a_symlink_or_special_file(tmp_path):
    """Issue 13 (7): an atomic rename must not replace a symlink or a device node/FIFO at the target."""
    from cctv_guard.core.errors import ConfigError

    real = tmp_path / "real.json"
    real.write_text("keep")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(ConfigError, match="symbolic link"):
        write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "keep"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        write_atomic(fifo, "new")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(ConfigError, match="folder"):
        write_atomic(tmp_path, "new")
    assert list(tmp_path.glob(".*.tmp")) == []
