"""The issue 16 targets end to end: a check of a moved camera and a scan of a fitting room cite the
article and the penalty under both regimes, and check@1 only gains fields."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cctv_guard import privacy as P
from cctv_guard.cli.app import app
from cctv_guard.privacy import lexicon

from conftest import SAMPLES

runner = CliRunner()
NORMAL = SAMPLES / "vtest_normal.mp4"
CHECK_EVENT_KEYS = {"kind", "article", "start_s", "end_s", "confirmed_s", "confidence", "details", "evidence"}


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory):
    if not NORMAL.is_file():
        pytest.skip("samples missing")
    out = tmp_path_factory.mktemp("b") / "site.baseline"
    r = runner.invoke(app, ["baseline", str(NORMAL), "--out", str(out), "--end", "8",
                            "--zone", "must_see=5,120;200,120;200,340;5,340"])
    assert r.exit_code == 0, r.output
    return out


def test_check_of_a_moved_camera_cites_both_regimes(baseline_file, tmp_path):
    report = tmp_path / "report.json"
    r = runner.invoke(app, ["check", str(SAMPLES / "vtest_moved.mp4"), "--baseline", str(baseline_file),
                            "--json", str(report), "--no-privacy", "--start", "10"])
    assert r.exit_code == 1, r.output
    doc = json.loads(report.read_text())
    moved = [e for e in doc["events"] if e["kind"] == "moved"]
    assert moved
    ev = moved[0]
    assert CHECK_EVENT_KEYS <= set(ev) and ev["article"] == "8"  # check@1 consumers keep their fields
    assert ev["legal"] == [{"regime": "gansu-78", "article": "8", "penalty": "19(1)"},
                           {"regime": "national-799", "article": "23(2)", "penalty": "30"}]
    assert ev["onvif_topic"] == "tns1:VideoSource/GlobalSceneChange/AnalyticsService"
    assert ev["gb28181"]["alarm_method"] == 5 and ev["gb28181"]["alarm_type"] == 11
    for e in doc["events"]:
        assert e["legal"], e["kind"]


def test_scan_of_a_fitting_room_cites_both_regimes():
    (hit,) = [h for h in lexicon.match_text("试衣间")][:1]
    cue = P.Cue("ocr:试衣间", hit.zone, 0.95, hit.weight, (10.0, 10.0, 60.0, 60.0), hit.weak)
    frame = P.FrameCues(0, 0.0, 640, 480, (cue,), (), P.ViewQuality(120.0, 50.0, 300.0, True, None), False)
    (finding,) = P.fuse_frames([frame])
    doc = finding.to_json()
    assert doc["article"] == "9(3)"
    assert {c["regime"]: (c["article"], c["penalty"]) for c in doc["legal"]} == {
        "gansu-78": ("9(3)", "20"), "national-799": ("8(3)", "27")}
    assert doc["onvif_topic"] is None and doc["gb28181"] is None


@pytest.mark.parametrize("category,article,national", [
    ("private_dining_room", "9(6)", "8(1)"),  # zone private_room, but a catering place's room
    ("ktv_private_room", "9(1)", "8(4)"),     # the same zone, an entertainment venue's room
])
def test_a_scene_category_decides_the_findings_article(category, article, national):
    """The scene head's category, not only the zone, sets the finding's own article, so that the
    finding and its `legal` list agree (one table: legal.mapping.CATEGORY_CLAUSES)."""
    cue = P.Cue(f"scene:{category}", "private_room", 0.9, 3.5, None, False)
    frame = P.FrameCues(0, 0.0, 640, 480, (cue,), (), P.ViewQuality(120.0, 50.0, 300.0, True, None), False)
    (finding,) = P.fuse_frames([frame])
    doc = finding.to_json()
    assert (doc["zone"], doc["category"], doc["article"]) == ("private_room", category, article)
    assert {c["regime"]: c["article"] for c in doc["legal"]} == {"gansu-78": article, "national-799": national}


def test_report_articles_section_skips_findings_order_78_does_not_cite():
    from datetime import date

    from cctv_guard.reports import enrich
    from cctv_guard.registry import Camera

    cam = Camera(id="C1", name="c", lat=36.0, lon=103.8, category="square", installed=date(2026, 3, 1))
    doc = {"schema": "cctv-guard/check@1", "source": "x.mp4", "camera_id": "C1", "tool_version": "0",
           "frames_analyzed": 10, "duration_s": 5.0, "verdict": "violation", "events": [], "findings": []}
    facts = cam.to_dict(today=date(2026, 4, 10))  # overdue under Order 799 (due 03-31), not Order 78 (due 04-30)
    assert [c["regime"] for c in facts["findings"][0]["legal"]] == ["national-799"]
    out = enrich(doc, facts)
    refs = {a["ref"] for a in out["articles"]}
    assert "14" not in refs  # Order 78's Art. 14 has nothing to do with a national filing
    assert facts["findings"][0]["article"] == "14"


def test_html_reports_show_the_legal_basis_under_each_regime(tmp_path, sample_baseline):
    """Reports show both regimes in words; `report --regime` shows one (issue 16 §2)."""
    import re

    moved, base, runner = SAMPLES / "vtest_moved.mp4", sample_baseline, CliRunner()
    r = runner.invoke(app, ["check", str(moved), "--baseline", str(base), "--no-privacy", "--keyframes-only",
                            "--json", str(tmp_path / "c.json"), "--html", str(tmp_path / "c.html"), "--lang", "en"])
    assert r.exit_code == 1, r.output

    def basis(page: str) -> str:
        text = re.sub(r"<[^>]+>", " ", page)
        return " ".join(text[text.index("Legal basis"):].split()[:20])

    both = basis((tmp_path / "c.html").read_text())
    assert "Gansu Order 78 Art. 8, penalty Art. 19(1)" in both
    assert "State Council Order 799 Art. 23(2), penalty Art. 30" in both
    r = runner.invoke(app, ["report", str(tmp_path / "c.json"), "--html", str(tmp_path / "g.html"), "--lang", "en",
                            "--regime", "gansu-78"])
    assert r.exit_code == 0, r.output
    one = basis((tmp_path / "g.html").read_text())
    assert "Gansu Order 78 Art. 8" in one and "Order 799" not in one
