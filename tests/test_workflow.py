"""The one workflow for a registered camera (cctv_guard.workflow): registry -> baseline + zones ->
check -> enrich -> record, and that `check --camera`, the audit planner and the watcher all take
the registry's zones and findings the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctv_guard import workflow

ZONE = [[40.0, 40.0], [300.0, 40.0], [300.0, 200.0], [40.0, 200.0]]


@pytest.fixture
def registered(tmp_path, samples_dir, monkeypatch):
    """GS-001: a baseline from vtest_normal taken without zones, then a must_see zone added in
    the registry and its signage recorded as missing."""
    from cctv_guard.registry import Camera, open_registry
    from cctv_guard.tamper.baseline import build_baseline, to_bytes

    clip = samples_dir / "vtest_normal.mp4"
    if not clip.exists():
        pytest.skip("samples/ not made")
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    b = build_baseline(str(clip), end=8.0)
    assert not b.zones
    with open_registry() as reg:
        reg.add_camera(Camera("GS-001", "Square", 36.06, 103.83, "square", operator="District 1", source="rtsp://u:secret@10.0.0.1/s"))
        reg.store_baseline("GS-001", to_bytes(b), frame_size=b.frame_size, profiles=list(b.profiles))
        reg.update_camera("GS-001", zones={"must_see": ZONE}, signage=False)
    return clip


def test_resolve_camera_reads_baseline_zones_and_findings(registered):
    from cctv_guard.registry import open_registry

    with open_registry() as reg:
        found = workflow.resolve_camera(reg, "GS-001")
    assert found.problem is None and Path(found.baseline).is_file()
    assert found.zones == {"must_see": ZONE}
    assert [f["kind"] for f in found.registry_findings] == ["signage_missing"]
    assert "secret" not in str(found.facts)  # the stream URI is redacted in the facts
    b = workflow.camera_baseline(found.baseline, found.zones)
    assert set(b.zones) == {"must_see"} and [list(p) for p in b.zones["must_see"]] == ZONE


def test_a_camera_without_baseline_is_a_problem_not_a_crash(registered):
    from cctv_guard.core.errors import SourceError
    from cctv_guard.registry import Camera, open_registry

    with open_registry() as reg:
        reg.add_camera(Camera("GS-002", "Gate", 36.0, 103.8, "square"))
        found = workflow.resolve_camera(reg, "GS-002")
    assert found.baseline is None and "GS-002" in found.problem
    with pytest.raises(SourceError, match="GS-002"):
        workflow.camera_baseline(found.baseline, found.zones, problem=found.problem)


def test_check_camera_enriches_with_facts_and_registry_findings(registered):
    from cctv_guard.registry import open_registry

    with open_registry() as reg:
        found = workflow.resolve_camera(reg, "GS-001")
        cam = reg.get_camera("GS-001")
    b = workflow.camera_baseline(found.baseline, found.zones)
    checked = workflow.check_camera(str(registered), b, camera=cam, camera_id="GS-001", privacy=False,
                                    keyframes_only=True, end=6.0)
    assert checked.result.verdict == "compliant" and not checked.result.events
    assert checked.doc["camera"]["id"] == "GS-001" and checked.found  # the registry finding counts
    assert [f["kind"] for f in checked.registry_findings] == ["signage_missing"]
    with open_registry() as reg:
        workflow.record_check(reg, "GS-001", checked.doc)
        assert [h.verdict for h in reg.check_history("GS-001")] == ["compliant"]


def test_audit_planner_and_watcher_take_the_registry_zones(registered, tmp_path):
    from cctv_guard.edge.watch import edge_config_from_registry
    from cctv_guard.fleet.config import FleetConfig
    from cctv_guard.fleet.plan import plan_audit

    edge = edge_config_from_registry(["GS-001"])
    assert edge.cameras[0].zones == {"must_see": ZONE}
    cfg = FleetConfig.model_validate({"recordings": {"template": str(tmp_path / "{camera}/*.mp4")},
                                      "window": {"date": "2026-11-27"}})
    plan = plan_audit(cfg)
    item = plan.items[0]
    assert item.zones == {"must_see": ZONE} and item.camera["id"] == "GS-001"
    assert [f["kind"] for f in plan.cameras[0].findings] == ["signage_missing"]


def test_reports_picture_events_with_the_frames_the_check_kept(tmp_path, samples_dir, monkeypatch):
    """`check --html` draws each event from the frame that confirmed it, kept by the check,
    instead of decoding the footage again (issue 12 item 2)."""
    from typer.testing import CliRunner

    from cctv_guard.cli.app import app
    from cctv_guard.reports import frames as report_frames
    from cctv_guard.tamper.baseline import build_baseline, save_baseline
    from cctv_guard.tamper.check import check_source

    moved = samples_dir / "vtest_moved.mp4"
    if not moved.exists():
        pytest.skip("samples/ not made")
    b = build_baseline(str(samples_dir / "vtest_normal.mp4"), end=8.0)
    result = check_source(str(moved), b)
    assert [e.kind for e in result.events] == ["moved"]
    assert set(result.event_frames) == {0} and result.event_frames[0].ndim == 3  # the colour frame at confirmation

    grab = report_frames.grab_frames

    def no_reread(source, *args, **kwargs):
        assert str(source) != str(moved), "the report decoded the checked footage again"
        return grab(source, *args, **kwargs)  # (the baseline's own footage may be read for its view)

    monkeypatch.setattr(report_frames, "grab_frames", no_reread)
    save_baseline(b, tmp_path / "n.baseline")
    r = CliRunner().invoke(app, ["check", str(moved), "--baseline", str(tmp_path / "n.baseline"), "--no-privacy",
                                 "--html", str(tmp_path / "r.html")])
    assert r.exit_code == 1, r.output
    page = (tmp_path / "r.html").read_text()
    assert page.count("data:image/jpeg;base64,") >= 2  # the baseline view and the event's frame


def test_check_and_audit_reports_take_a_language(tmp_path, samples_dir):
    """`check --lang zh` and fleet.yaml's outputs.lang reach the HTML pages."""
    from typer.testing import CliRunner

    from cctv_guard.cli.app import app
    from cctv_guard.fleet import start_audit
    from cctv_guard.tamper.baseline import build_baseline, save_baseline

    moved = samples_dir / "vtest_moved.mp4"
    if not moved.exists():
        pytest.skip("samples/ not made")
    base = tmp_path / "n.baseline"
    save_baseline(build_baseline(str(samples_dir / "vtest_normal.mp4"), end=8.0), base)
    r = CliRunner().invoke(app, ["check", str(moved), "--baseline", str(base), "--no-privacy", "--keyframes-only",
                                 "--html", str(tmp_path / "zh.html"), "--lang", "zh"])
    assert r.exit_code == 1, r.output
    page = (tmp_path / "zh.html").read_text()
    assert "移位" in page and ">moved<" not in page

    nvr = tmp_path / "nvr" / "CAM-1"
    nvr.mkdir(parents=True)
    (nvr / "0000.mp4").write_bytes(moved.read_bytes())
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(f"recordings: {{template: '{tmp_path}/nvr/{{camera}}/*.mp4'}}\nwindow: {{date: 2026-11-27}}\n"
                     f"cameras: [{{id: CAM-1, baseline: '{base}'}}]\nengine: {{workers: 1}}\n"
                     "outputs: {lang: zh, html_reports: violations}\n")
    outcome = start_audit(fleet, tmp_path / "out")
    assert outcome.summary["by_verdict"] == {"violation": 1}
    assert "移位" in (tmp_path / "out" / "summary.html").read_text()
    (check_page,) = (tmp_path / "out" / "checks").glob("CAM-1/*.html")
    assert "移位" in check_page.read_text()
