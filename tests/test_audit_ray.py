"""The Ray engine against a real local Ray instance (not a mock): the same records and summary as
the local process pool, failures included, and resume across engines. Skipped without `ray`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # starting Ray takes ~10 s

from cctv_guard.fleet import locality_resources, open_run, resume_audit, start_audit  # noqa: E402
from test_audit import CAMERAS, comparable, fake_check, make_fleet  # noqa: E402

TESTS = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def local_ray():
    """A real Ray on this machine; workers find the test module's fake check via PYTHONPATH."""
    path = os.pathsep.join(p for p in (TESTS, os.environ.get("PYTHONPATH")) if p)
    ray.init(num_cpus=2, resources={"nvr-test": 1}, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()


def _records(run_dir: Path) -> dict:
    return {p.name: json.loads(p.read_text()) for p in sorted((run_dir / "items").glob("*.json"))}


def test_ray_engine_gives_the_same_results_as_the_local_pool(tmp_path, monkeypatch, local_ray):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    cams = {**CAMERAS, "CAM-007": {"g.mp4": "bug"}, "CAM-008": {"h.mp4": "segfault"}}
    fleet = make_fleet(tmp_path, cams)
    local = start_audit(fleet, tmp_path / "local", work=fake_check, engine="local")
    on_ray = start_audit(fleet, tmp_path / "ray", work=fake_check, engine="ray")
    assert comparable(on_ray.summary) == comparable(local.summary)
    assert _records(tmp_path / "ray") == _records(tmp_path / "local")
    assert on_ray.exit_code == local.exit_code == 1
    reasons = {f["camera_id"]: f["reason"] for f in on_ray.summary["failures"]}
    assert reasons["CAM-007"] == "internal error: ZeroDivisionError: division by zero"
    assert reasons["CAM-008"] == "the worker process died while checking this recording"  # after Ray's retry
    assert json.loads((tmp_path / "ray" / "runs.jsonl").read_text().splitlines()[0])["engine"] == "ray"


def test_ray_times_out_an_item_and_resumes_a_local_run(tmp_path, monkeypatch, local_ray):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    fleet = make_fleet(tmp_path, {"CAM-001": {"x.mp4": "hang"}, "CAM-002": CAMERAS["CAM-002"],
                                  "CAM-005": CAMERAS["CAM-005"]})
    fleet.write_text(fleet.read_text().replace("timeout_s: 20", "timeout_s: 1"))
    local = start_audit(fleet, tmp_path / "local", work=fake_check)
    run = open_run(tmp_path / "local")
    for it in run.plan.items:
        run.record_path(it.item_id).unlink()
    again = resume_audit(tmp_path / "local", work=fake_check, engine="ray")
    assert again.ran == 3
    assert comparable(again.summary) == comparable(local.summary)
    assert {f["camera_id"]: f["reason"] for f in again.summary["failures"]} == {"CAM-001": "timed out after 1 s"}


def test_locality_pins_recordings_to_the_node_that_holds_them(tmp_path, monkeypatch, local_ray):
    assert locality_resources("/nvr/a/CAM-1/x.mp4", {"/nvr/": "nas", "/nvr/a/": "nvr-a"}) == {"nvr-a": 0.001}
    assert locality_resources("/other/x.mp4", {"/nvr/": "nas"}) == {}
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    fleet = make_fleet(tmp_path, {"CAM-001": CAMERAS["CAM-001"], "CAM-002": CAMERAS["CAM-002"]},
                       extra="")
    fleet.write_text(fleet.read_text().replace("engine:\n", f"engine:\n  locality: {{'{tmp_path / 'nvr'}/': nvr-test}}\n"))
    outcome = start_audit(fleet, tmp_path / "out", work=fake_check, engine="ray")
    assert outcome.summary["totals"]["items_done"] == 3 and outcome.failed == 0  # ran on the node with nvr-test
