"""check --camera: the registered camera's baseline is used, the reports carry the camera's
facts and the articles cited, and the check lands in the camera's history."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app
from cctv_guard.registry import open_registry


@pytest.mark.slow
def test_check_by_camera_enriches_reports_and_records_history(tmp_path, samples_dir):
    home = tmp_path / "home"
    runner = CliRunner()
    add = ["camera", "--home", str(home), "add", "GS-LZ-0012", "--name", "Dongfanghong Sq. NE", "--lat", "36.0611",
           "--lon", "103.8343", "--category", "square", "--installed", "2026-03-01", "--signage", "yes",
           "--source", "rtsp://admin:hunter2@127.0.0.1:8554/cam"]
    assert runner.invoke(app, add).exit_code == 0
    r = runner.invoke(app, ["camera", "--home", str(home), "baseline", "GS-LZ-0012", str(samples_dir / "vtest_normal.mp4"), "--end", "10"])
    assert r.exit_code == 0, r.output
    out_json, out_html = tmp_path / "report.json", tmp_path / "report.html"
    r = runner.invoke(app, ["check", str(samples_dir / "vtest_moved.mp4"), "--camera", "GS-LZ-0012", "--home", str(home),
                            "--no-privacy", "--json", str(out_json), "--html", str(out_html)])
    assert r.exit_code == 1, r.output
    doc = json.loads(out_json.read_text())
    assert doc["schema"] == "cctv-guard/check@1" and doc["camera_id"] == "GS-LZ-0012"
    assert "moved" in {e["kind"] for e in doc["events"]}
    assert doc["camera"]["id"] == "GS-LZ-0012" and doc["camera"]["category"] == "square"
    assert {a["ref"] for a in doc["articles"]} >= {"8"}
    page = out_html.read_text(encoding="utf-8")
    assert "Dongfanghong Sq. NE" in page
    assert "hunter2" not in out_json.read_text() + page  # credentials never reach a report
    with open_registry(home) as reg:
        history = reg.check_history("GS-LZ-0012")
    assert [h.verdict for h in history] == ["violation"]


def test_check_by_unknown_camera_is_a_one_line_error(tmp_path, samples_dir):
    r = CliRunner().invoke(app, ["check", str(samples_dir / "vtest_normal.mp4"), "--camera", "NOPE", "--home", str(tmp_path)])
    assert r.exit_code == 2
    assert "NOPE" in r.output and len(r.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_check_by_camera_reports_registry_findings_on_the_terminal(tmp_path, samples_dir):
    """Issue 13 (15): a camera without signage is not '0 findings' on clean footage."""
    home = tmp_path / "home"
    runner = CliRunner()
    add = ["camera", "add", "GS-2", "--name", "Gate", "--lat", "36.06", "--lon", "103.83", "--category", "square",
           "--installed", "2026-03-01", "--filed", "2026-03-02", "--signage", "no", "--home", str(home)]
    assert runner.invoke(app, add).exit_code == 0
    r = runner.invoke(app, ["camera", "baseline", "GS-2", str(samples_dir / "vtest_normal.mp4"), "--end", "10", "--home", str(home)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["check", str(samples_dir / "vtest_normal.mp4"), "--camera", "GS-2", "--home", str(home),
                            "--no-privacy", "--start", "10", "--end", "20"])
    assert "signage_missing" in r.output and "1 registry findings" in r.output
    assert r.exit_code == 1, r.output
