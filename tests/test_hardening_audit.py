"""Issue 13 item 12: after kill -9 of `audit`, its forkserver, resource tracker and pool workers
exit too instead of idling forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES, wait_for

from tests.test_audit_cli import ENV_KEEP, sample_fleet


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory) -> Path:
    from cctv_guard.tamper.baseline import build_baseline, save_baseline

    return save_baseline(build_baseline(str(SAMPLES / "vtest_normal.mp4"), end=10.0), tmp_path_factory.mktemp("bl") / "n.cgb")


def process_group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_children_of_a_killed_audit_exit(tmp_path, baseline_file):
    clips = ["vtest_normal.mp4", "vtest_moved.mp4", "vtest_covered.mp4", "vtest_zoomed.mp4"] * 3
    fleet = sample_fleet(tmp_path, baseline_file, {f"CAM-{i}": c for i, c in enumerate(clips)})
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cctv_guard", "audit", str(fleet), "--out", str(out)], env=ENV_KEEP,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # the pool is up (forkserver, resource tracker, 2 workers) once the first item is done
        assert wait_for(lambda: (out / "items").is_dir() and list((out / "items").glob("*.json")), 240), "no item finished"
        assert proc.poll() is None, "finished before the kill"
        children = [p for p in process_group(proc.pid) if p != proc.pid]
        assert len(children) >= 3, children  # forkserver, resource tracker, workers
        proc.send_signal(signal.SIGKILL)  # the audit alone, as `kill -9 PID` does
        proc.wait(10)
        left = wait_for(lambda: not process_group(proc.pid), 10, step=0.2)
        assert left, f"still alive 10 s after the audit was killed: {process_group(proc.pid)}"
    finally:
        for pid in process_group(proc.pid):
            os.kill(pid, signal.SIGKILL)
