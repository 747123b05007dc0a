"""`articles --regime`, `articles --kinds` under both regimes, `camera list --overdue --regime` and
`report --regime`."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app

runner = CliRunner()


def _one_line_error(r) -> str:
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in r.output, r.stderr
    return lines[0]


def test_national_article_8_in_chinese():
    r = runner.invoke(app, ["articles", "--regime", "national-799", "8", "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "第八条\u3000禁止在公共场所的下列区域、部位安装图像采集设备及相关设施：" in r.stdout
    assert "（三）公共的浴室、卫生间、更衣室、哺乳室、试衣间的内部；" in r.stdout
    assert "应当立即报告所在地公安机关处理。" in r.stdout  # para. 2, after the items
    assert "非官方转录" in r.stdout and "Unofficial transcription" in r.stdout  # said wherever it is shown
    assert "Do not" not in r.stdout and "prohibited to install" not in r.stdout


def test_default_regime_is_still_order_78():
    r = runner.invoke(app, ["articles", "9(3)", "--lang", "zh"])
    assert r.exit_code == 0 and "浴室、更衣室、卫生间、哺乳室" in r.stdout and "非官方" not in r.stdout


def test_national_json_carries_the_notice():
    r = runner.invoke(app, ["articles", "--regime", "national-799", "23", "--json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["regime"] == "national-799" and "Unofficial" in doc["notice"] and len(doc["clauses"]) == 6


@pytest.mark.parametrize("args,msg", [
    (["articles", "--regime", "national-799", "35"], "national-799 has Articles 1..34"),
    (["articles", "--regime", "national-799", "8(9)"], "clauses (1)..(4)"),
])
def test_bad_regime_or_article_is_one_line(args, msg):
    assert msg in _one_line_error(runner.invoke(app, args))


def test_kinds_table_shows_both_regimes():
    r = runner.invoke(app, ["articles", "--kinds"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "gansu-78" in r.stdout and "national-799" in r.stdout
    moved = next(line for line in r.stdout.splitlines() if "│ moved " in line)
    assert "19(1)" in moved and "23(2)" in moved and "30" in moved
    assert "fitting_room" in r.stdout


def test_kinds_json_under_both_regimes():
    r = runner.invoke(app, ["articles", "--kinds", "--json", "--lang", "en"])
    doc = json.loads(r.stdout)
    assert {c["regime"]: c["penalty"] for c in doc["filing_overdue"]["legal"]} == {"gansu-78": "19(2)", "national-799": "29"}
    assert [c["article"] for c in doc["privacy"]["zones"]["fitting_room"]] == ["9(3)", "8(3)"]
    assert doc["retention_excess"]["regime"] == "national-799"
    one = json.loads(runner.invoke(app, ["articles", "--kinds", "--json", "--regime", "national-799"]).stdout)
    assert one["moved"]["clause"] == "23(2)" and one["moved"]["penalty_article"] == "30" and "backup_retention_short" not in one


def test_camera_list_overdue_by_regime(tmp_path):
    home = ["--home", str(tmp_path)]
    recent = (date.today() - timedelta(days=45)).isoformat()  # Order 799: 30 days, overdue; Order 78: 60 days, not yet
    for cid, cat, installed in (("NEW-1", "square", recent), ("RES-1", "residential_entrance", recent),
                                ("OLD-1", "street", "2010-01-01")):
        r = runner.invoke(app, ["camera", "add", cid, "--name", cid, "--lat", "36", "--lon", "103.8",
                                "--category", cat, "--installed", installed, *home])
        assert r.exit_code == 0, r.output

    def listed(*extra):
        r = runner.invoke(app, ["camera", "list", "--overdue", "--json", *extra, *home])
        assert r.exit_code == 0, r.output
        return {c["id"]: c for c in json.loads(r.stdout)}

    national = listed("--regime", "national-799")
    assert sorted(national) == ["NEW-1", "OLD-1"]  # RES-1 is not an Art. 7 place: exempt from Art. 14
    assert [c["regime"] for c in national["NEW-1"]["findings"][0]["legal"]] == ["national-799"]
    assert sorted(listed("--regime", "gansu-78")) == ["OLD-1"]
    assert sorted(listed()) == ["NEW-1", "OLD-1"]
    bad = runner.invoke(app, ["camera", "list", "--regime", "nat", *home])
    assert bad.exit_code == 2 and "national-799" in bad.output


def test_unknown_regime_through_python_m_is_one_line():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "cctv_guard", "articles", "--regime", "gansu", "8"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "national-799" in lines[0]


def test_camera_add_with_declared_retention(tmp_path):
    r = runner.invoke(app, ["camera", "add", "R-1", "--name", "r", "--lat", "36", "--lon", "103.8", "--category", "park",
                            "--go-live", "2026-01-05", "--retention-days", "15", "--filed", "2026-01-06", "--home", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "retention_short" in r.stderr and "national-799 Art. 17" in r.stderr
    bad = runner.invoke(app, ["camera", "edit", "R-1", "--retention-days", "-3", "--home", str(tmp_path)])
    assert "retention_days" in _one_line_error(bad)


def test_report_regime_cuts_the_citations(tmp_path):
    doc = {"schema": "cctv-guard/check@1", "source": "x.mp4", "camera_id": None, "tool_version": "0", "frames_analyzed": 10,
           "duration_s": 5.0, "verdict": "violation",
           "events": [{"kind": "moved", "article": "8", "start_s": 1.0, "end_s": None, "confirmed_s": 2.0,
                       "confidence": 0.9, "details": {}, "evidence": []}], "findings": []}
    src = tmp_path / "check.json"
    src.write_text(json.dumps(doc))
    r = runner.invoke(app, ["report", str(src), "--json", "-", "--regime", "national-799"])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout)["events"][0]
    assert ev["legal"] == [{"regime": "national-799", "article": "23(2)", "penalty": "30"}] and ev["article"] == "8"
    both = json.loads(runner.invoke(app, ["report", str(src), "--json", "-"]).stdout)["events"][0]["legal"]
    assert [c["regime"] for c in both] == ["gansu-78", "national-799"]
    assert "unknown regime" in _one_line_error(runner.invoke(app, ["report", str(src), "--json", "-", "--regime", "x"]))
