"""Fleet audit: config validation, planning, the local engine's robustness, resume after kill -9,
the summary outputs, and (on samples/) the real check with the registry's history updated.

Most tests use a small deterministic work function over tiny text "recordings" whose content
says what the recording shows, so that the engine logic is tested fast and exactly; the
integration tests at the end run the real check on the sample clips."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

from cctv_guard.fleet import (SUMMARY_CSV_COLUMNS, AuditProgress, WorkItem, open_run, plan_audit, resume_audit,
                               start_audit, summary_csv)
from cctv_guard.core.errors import ConfigError, SourceError
from cctv_guard.core.progress import Progress
from cctv_guard.fleet.config import load_fleet

DAY = "2026-11-27"


# --- a deterministic stand-in for the check (module level: it is pickled to pool workers) -------------


def fake_check(item: WorkItem) -> dict:
    """Reads the recording (a text file of words) and answers like check_source would."""
    words = Path(item.source).read_text().split()
    delay = float(os.environ.get("FAKE_CHECK_DELAY", "0"))
    if delay:
        time.sleep(delay)
    if "corrupt" in words:
        raise SourceError(f"cannot decode {Path(item.source).name}: invalid data found")
    if "bug" in words:
        raise ZeroDivisionError("division by zero")
    if "hang" in words:
        time.sleep(60)
    if "segfault" in words:
        os._exit(139)
    if "stuck" in words:  # like native code that never returns to Python: SIGALRM cannot help
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    events = [{"kind": w, "article": "8" if w == "moved" else "16(7)", "start_s": 12.0, "end_s": None,
               "confidence": 0.9, "details": {}, "evidence": []} for w in words if w in ("moved", "blackout")]
    findings = [{"kind": "privacy", "article": "9(3)", "zone": "restroom", "confidence": 0.8, "cues": []}
                for w in words if w == "toilet"]
    return {"schema": "cctv-guard/check@1", "source": item.source, "camera_id": item.camera_id, "tool_version": "t",
            "frames_analyzed": 0 if "dark" in words else 300, "duration_s": 600.0,
            "verdict": "violation" if events or findings else ("inconclusive" if "dark" in words else "compliant"),
            "events": events, "findings": findings,
            "notes": ["the baseline is old: rebuild it"] if "oldbaseline" in words else []}


# --- fixtures --------------------------------------------------------------------------------------------


CAMERAS = {  # camera -> {file name: content}
    "CAM-001": {"a_0000.mp4": "fine " * 40, "a_1200.mp4": "fine moved " * 10},
    "CAM-002": {"b_0000.mp4": "fine " * 60},
    "CAM-003": {"c_0000.mp4": "corrupt", "c_1200.mp4": "fine " * 5},
    "CAM-004": {},  # nothing recorded that day
    "CAM-005": {"e_0000.mp4": "fine toilet " * 3, "e_notes.txt": "not a recording"},
    "CAM-006": {"f_0000.mp4": "dark"},
}
GEO = {"CAM-001": ("North", 36.06, 103.83), "CAM-002": ("North", 36.07, 103.84), "CAM-003": ("South", 36.03, 103.80),
       "CAM-004": ("South", 36.02, 103.81), "CAM-005": ("East", 36.05, 103.90), "CAM-006": ("East", None, None)}


def make_fleet(root: Path, cameras=CAMERAS, extra: str = "") -> Path:
    nvr = root / "nvr"
    for cam, files in cameras.items():
        d = nvr / cam / DAY.replace("-", "")
        d.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (d / name).write_text(content)
    (root / "base.cgb").write_bytes(b"baseline")
    lines = []
    for cam in cameras:
        district, lat, lon = GEO.get(cam, ("West", None, None))
        geo = f", lat: {lat}, lon: {lon}" if lat is not None else ""
        lines.append(f"  - {{id: {cam}, baseline: base.cgb, district: {district}{geo}}}")
    text = textwrap.dedent(f"""\
        recordings:
          template: nvr/{{camera}}/{{date:%Y%m%d}}/*.mp4
        window:
          date: {DAY}
        engine:
          workers: 2
          timeout_s: 20
        outputs:
          summary: [json, csv, html]
          html_reports: false  # the fake check has nothing to draw; keeps 1-s timeouts about the check
        """) + "cameras:\n" + "\n".join(lines) + "\n" + extra
    p = root / "fleet.yaml"
    p.write_text(text)
    return p


@pytest.fixture
def fleet(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    return make_fleet(tmp_path)


def comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "created"}


# --- config ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("recordings:\n  template: /n/{camera}/*.mp4\nwindow:\n  date: 2026-11-27\n  form: 2026-11-01\n",
         "fleet.yaml:5: window.form: unknown key"),
        ("recordings:\n  template: /n/{camera}/*.mp4\nwindow: {date: 2026-11-27}\ncameras:\n  - id: A\n  - id: B\n    lattitude: 3\n",
         "fleet.yaml:7: cameras[1].lattitude: unknown key"),
        ("recordings:\n  template: /n/{camera}/*.mp4\nwindow: {date: 2026-11-27}\nsampling:\n  every: -1\n",
         "fleet.yaml:5: sampling.every: Input should be greater than 0"),
        ("recordings:\n  template: /n/all/*.mp4\nwindow: {date: 2026-11-27}\n",
         "fleet.yaml:2: recordings.template: Value error, template must contain {camera}"),
        ("recordings:\n  template: /n/{camera}/*.mp4\nwindow: {date: 2026-11-27}\nnotify:\n  webhook: ftp://x\n",
         "fleet.yaml:5: notify.webhook: Value error, expected an http(s):// URL"),
        ("recordings:\n  template: /n/{camera}/*.mp4\n", "fleet.yaml:1: window: Field required"),
        ("recordings:\n  template: /n/{camera}/*.mp4\nwindow: {date: 2026-11-27}\noutputs:\n  summary: [json, pdf]\n",
         "fleet.yaml:5: outputs.summary[1]: Input should be 'json', 'csv' or 'html'"),
    ],
)
def test_config_errors_name_line_and_key_path(tmp_path, text, expected):
    p = tmp_path / "fleet.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_fleet(p)
    assert str(exc.value).startswith(expected), str(exc.value)


def test_config_paths_are_relative_to_the_file_and_window_expands(tmp_path):
    p = tmp_path / "sub" / "fleet.yaml"
    p.parent.mkdir()
    p.write_text("recordings: {export: exports}\nwindow: {start: 2026-11-26, end: 2026-11-28}\n"
                 "cameras: [{id: A, baseline: b/a.cgb}]\nnotify: {file: out/latest.json}\n")
    cfg = load_fleet(p)
    assert cfg.recordings.export == str(tmp_path / "sub" / "exports")
    assert cfg.cameras[0].baseline == str(tmp_path / "sub" / "b" / "a.cgb")
    assert cfg.notify.file == str(tmp_path / "sub" / "out" / "latest.json")
    assert cfg.outputs.dir == str(tmp_path / "sub" / "audits" / "{date:%Y-%m-%d}")
    assert [d.isoformat() for d in cfg.window.days()] == ["2026-11-26", "2026-11-27", "2026-11-28"]
    p.write_text("recordings: {export: e}\nwindow: {date: yesterday}\ncameras: [{id: A}]\n")
    assert load_fleet(p).window.days(date(2026, 3, 1)) == [date(2026, 2, 28)]


# --- planning ----------------------------------------------------------------------------------------------


def test_plan_lists_camera_by_recording_items_largest_first(fleet):
    plan = plan_audit(load_fleet(fleet))
    by_cam = {}
    for it in plan.items:
        by_cam.setdefault(it.camera_id, []).append(it)
    assert {c: len(v) for c, v in by_cam.items()} == {"CAM-001": 2, "CAM-002": 1, "CAM-003": 2, "CAM-004": 1,
                                                     "CAM-005": 1, "CAM-006": 1}
    sizes = [it.size for it in plan.items]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == len("fine " * 60)
    (missing,) = by_cam["CAM-004"]
    assert missing.source is None and "no recordings found for CAM-004 on 2026-11-27" in missing.problem
    assert all(it.source.endswith(".mp4") for it in by_cam["CAM-005"])  # the .txt is not a recording
    assert len({it.item_id for it in plan.items}) == len(plan.items)
    assert plan.registry is None  # cameras listed inline, no registry named
    assert {c.camera_id: c.district for c in plan.cameras}["CAM-003"] == "South"


def test_plan_include_exclude_and_missing_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    p = make_fleet(tmp_path, extra="include: [CAM-001, CAM-002, CAM-003]\nexclude: [CAM-002]\n")
    plan = plan_audit(load_fleet(p))
    assert sorted({it.camera_id for it in plan.items}) == ["CAM-001", "CAM-003"]
    p.write_text(p.read_text().replace("include: [CAM-001,", "include: [CAM-999,"))
    with pytest.raises(ConfigError, match="CAM-999"):
        plan_audit(load_fleet(p))
    (tmp_path / "base.cgb").unlink()
    p.write_text(p.read_text().replace("include: [CAM-999,", "include: [CAM-001,"))
    plan = plan_audit(load_fleet(p))
    assert all("baseline file of" in it.problem for it in plan.items if it.source)


def test_plan_from_an_nvr_export_folder_filters_by_time_stamp(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    exp = tmp_path / "export"
    (exp / "CAM-B").mkdir(parents=True)
    for name in ("CAM-A_20261127_000000.mp4", "CAM-A_20261127_120000.mp4", "CAM-A_20261126_230000.mp4",
                 "CAM-AB_20261127_000000.mp4", "CAM-B/clip_20261127T080000.mkv", "CAM-B/readme.txt"):
        (exp / name).write_text("fine")
    (tmp_path / "b.cgb").write_bytes(b"x")
    p = tmp_path / "fleet.yaml"
    p.write_text("recordings: {export: export}\nwindow: {date: 2026-11-27}\n"
                 "cameras: [{id: CAM-A, baseline: b.cgb}, {id: CAM-B, baseline: b.cgb}]\n")
    plan = plan_audit(load_fleet(p))
    got = sorted((it.camera_id, Path(it.source).name) for it in plan.items)
    assert got == [("CAM-A", "CAM-A_20261127_000000.mp4"), ("CAM-A", "CAM-A_20261127_120000.mp4"),
                   ("CAM-B", "clip_20261127T080000.mkv")]


# --- running -------------------------------------------------------------------------------------------------


def test_audit_goes_on_past_failed_items_and_summarises(fleet):
    seen: list[AuditProgress] = []
    outcome = start_audit(fleet, fleet.parent / "out", work=fake_check, progress=seen.append)
    s = outcome.summary
    assert s["totals"] == {"cameras": 6, "items": 8, "items_done": 8, "items_failed": 2, "footage_h": round(6 * 600 / 3600, 4)}
    verdicts = {c["camera_id"]: c["verdict"] for c in s["cameras"]}
    assert verdicts == {"CAM-001": "violation", "CAM-002": "compliant", "CAM-003": "failed", "CAM-004": "failed",
                        "CAM-005": "violation", "CAM-006": "inconclusive"}
    assert s["by_verdict"] == {"violation": 2, "failed": 2, "inconclusive": 1, "compliant": 1}
    assert s["by_article"] == {"8": {"cameras": 1, "events": 10}, "9(3)": {"cameras": 1, "findings": 3}}
    assert s["by_district"]["South"] == {"failed": 2}
    reasons = {f["camera_id"]: f["reason"] for f in s["failures"]}
    assert "invalid data found" in reasons["CAM-003"] and "no recordings found" in reasons["CAM-004"]
    assert outcome.exit_code == 1 and outcome.ran == 8 and outcome.resumed == 0
    # progress: one initial call, then one per item, ending at the total; core.progress's shape
    assert seen[0].done == 0 and seen[-1].done == 8 and len(seen) == 9 and seen[-1].failed == 2
    assert all(isinstance(p, Progress) and p.total == 8 and p.unit == "items" for p in seen)
    assert seen[-1].detail == "2 failed this run, 0 done before" and seen[0].last is None
    # files: per-item check@1 JSON, summary in three formats
    out = fleet.parent / "out"
    checks = sorted(out.glob("checks/*/*.json"))
    assert len(checks) == 6 and all(json.loads(p.read_text())["schema"] == "cctv-guard/check@1" for p in checks)
    assert json.loads((out / "summary.json").read_text()) == s
    csv_lines = (out / "summary.csv").read_text().splitlines()
    assert csv_lines[0].startswith("camera_id,district,lat,lon,verdict") and len(csv_lines) == 7
    assert "CAM-001,North,36.06,103.83,violation,2,0,10,0,moved:10,8," in (out / "summary.csv").read_text()
    page = (out / "summary.html").read_text()
    assert page.count("<circle") == 5  # CAM-006 has no coordinates
    assert page.count('fill="#d7263d"') == 2  # two violation cameras, red
    assert "CAM-004" in page and "no recordings found" in page


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3"]


def test_summary_csv_neutralises_formulas_in_camera_ids_and_districts(tmp_path, monkeypatch):
    """Camera ids and districts that a spreadsheet would run as formulas come out of summary.csv
    as text (a leading apostrophe); summary.json keeps them as given."""
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    districts = dict(zip(FORMULAS, ['=HYPERLINK("http://evil/")', "@SUM(A1)", "North", "+1+1"]))
    for cid in FORMULAS:
        d = tmp_path / "nvr" / cid / DAY.replace("-", "")
        d.mkdir(parents=True)
        (d / "0000.mp4").write_text("fine moved" if cid == "+1+1" else "fine")
    (tmp_path / "base.cgb").write_bytes(b"baseline")
    cameras = [{"id": cid, "baseline": "base.cgb", "district": districts[cid]} for cid in FORMULAS]
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("recordings: {template: 'nvr/{camera}/{date:%Y%m%d}/*.mp4'}\n"
                     f"window: {{date: {DAY}}}\noutputs: {{html_reports: false}}\ncameras: {json.dumps(cameras)}\n")
    outcome = start_audit(fleet, tmp_path / "out", work=fake_check)
    assert sorted(c["camera_id"] for c in outcome.summary["cameras"]) == sorted(FORMULAS)
    text = (tmp_path / "out" / "summary.csv").read_text()
    header, *rows = csv.reader(io.StringIO(text))
    assert header[:2] == ["camera_id", "district"] and len(rows) == 4
    assert {r[0]: r[1] for r in rows} == {"'" + cid: "'" + d if d != "North" else d for cid, d in districts.items()}
    assert not [cell for r in rows for cell in r if cell[:1] in ("=", "+", "-", "@")]
    assert {r[0]: r[4] for r in rows}["'+1+1"] == "violation"


def test_summary_csv_cells_are_text_or_plain_numbers():
    row = {"camera_id": "@SUM(A1)", "district": "North\n=1+1", "lat": 40.71, "lon": -73.98, "verdict": "compliant",
           "items": 1, "items_failed": 0, "events": 0, "findings": 0, "kinds": {}, "articles": [], "footage_h": 0.5}
    header, row_out = summary_csv({"cameras": [row]}).splitlines()
    assert header == ",".join(SUMMARY_CSV_COLUMNS)
    assert row_out == "'@SUM(A1),North =1+1,40.71,-73.98,compliant,1,0,0,0,,,0.5,"  # numbers are not prefixed


def test_run_files_follow_the_file_mode_policy(fleet):
    """Outputs are ordinary files (0666 less the umask); audit.json, which holds the config (a
    database URL, webhook credentials), is private."""
    old = os.umask(0o027)
    try:
        start_audit(fleet, fleet.parent / "out", work=fake_check)
    finally:
        os.umask(old)
    out = fleet.parent / "out"
    assert stat.S_IMODE((out / "audit.json").stat().st_mode) == 0o600
    shared = [out / "summary.json", out / "summary.csv", out / "summary.html", *out.glob("items/*.json"),
              *out.glob("checks/*/*.json")]
    assert len(shared) > 3 + 8 and {stat.S_IMODE(p.stat().st_mode) for p in shared} == {0o640}


def test_notes_about_baselines_are_gathered_per_note(tmp_path, monkeypatch):
    """Checks that say a camera's baseline should be rebuilt: the summary lists each note once,
    with the cameras it concerns; the verdicts are unaffected."""
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    cams = {"CAM-001": {"a.mp4": "fine oldbaseline", "b.mp4": "fine oldbaseline"}, "CAM-002": {"c.mp4": "fine"},
            "CAM-005": {"e.mp4": "moved oldbaseline"}}
    s = start_audit(make_fleet(tmp_path, cams), tmp_path / "out", work=fake_check).summary
    assert s["baseline_notes"] == {"the baseline is old: rebuild it": ["CAM-001", "CAM-005"]}
    assert s["by_verdict"] == {"violation": 1, "compliant": 2}


def test_exit_code_is_2_when_items_failed_without_violations(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    p = make_fleet(tmp_path, {"CAM-002": CAMERAS["CAM-002"], "CAM-003": CAMERAS["CAM-003"]})
    outcome = start_audit(p, tmp_path / "out", work=fake_check)
    assert outcome.violations == 0 and outcome.failed == 1 and outcome.exit_code == 2
    p2 = make_fleet(tmp_path / "clean", {"CAM-002": CAMERAS["CAM-002"]})
    assert start_audit(p2, tmp_path / "out2", work=fake_check).exit_code == 0


def test_timeouts_bugs_and_dead_workers_fail_only_their_item(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    cams = {"CAM-001": {"x.mp4": "hang"}, "CAM-002": {"y.mp4": "bug"}, "CAM-003": {"z.mp4": "segfault"},
            "CAM-004": {"u.mp4": "stuck"}, "CAM-005": {"w.mp4": "fine fine", "v.mp4": "fine"}}
    p = make_fleet(tmp_path, cams)
    p.write_text(p.read_text().replace("timeout_s: 20", "timeout_s: 1.5"))
    t0 = time.monotonic()
    outcome = start_audit(p, tmp_path / "out", work=fake_check)
    assert time.monotonic() - t0 < 50  # the hanging item sleeps 60 s: it was interrupted
    reasons = {f["camera_id"]: f["reason"] for f in outcome.summary["failures"]}
    assert reasons["CAM-001"] == "timed out after 1.5 s"
    assert reasons["CAM-002"] == "internal error: ZeroDivisionError: division by zero"
    assert reasons["CAM-003"] == "the worker process died while checking this recording"
    assert reasons["CAM-004"] == "timed out after 1.5 s (worker killed)"  # the watchdog, 3 s after it started
    assert {c["camera_id"]: c["verdict"] for c in outcome.summary["cameras"]}["CAM-005"] == "compliant"


def test_a_stuck_item_does_not_take_queued_items_down_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    cams = {"CAM-001": {"x.mp4": "stuck " * 10}, "CAM-002": {"y.mp4": "fine"}, "CAM-005": {"w.mp4": "fine moved"}}
    p = make_fleet(tmp_path, cams)
    p.write_text(p.read_text().replace("timeout_s: 20", "timeout_s: 1").replace("workers: 2", "workers: 1"))
    outcome = start_audit(p, tmp_path / "out", work=fake_check)  # one worker: the others queue behind
    verdicts = {c["camera_id"]: c["verdict"] for c in outcome.summary["cameras"]}
    assert verdicts == {"CAM-001": "failed", "CAM-002": "compliant", "CAM-005": "violation"}
    assert outcome.summary["failures"][0]["reason"] == "timed out after 1 s (worker killed)"


def test_resume_runs_only_what_is_left(fleet):
    out = fleet.parent / "out"
    full = start_audit(fleet, out, work=fake_check)
    with pytest.raises(ConfigError, match="already holds an audit"):
        start_audit(fleet, out, work=fake_check)
    run = open_run(out)
    gone = [it.item_id for it in run.plan.items[:3]]
    for item_id in gone:
        run.record_path(item_id).unlink()
    again = resume_audit(out, work=fake_check)
    assert again.ran == 3 and again.resumed == 5
    assert comparable(again.summary) == comparable(full.summary)
    nothing = resume_audit(out, work=fake_check)
    assert nothing.ran == 0 and comparable(nothing.summary) == comparable(full.summary)
    retried = resume_audit(out, work=fake_check, retry_failed=True)
    assert retried.ran == 2  # the corrupt and the missing recording are tried again
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["items"] for r in runs] == [8, 3, 0, 2]


def test_resume_of_a_folder_without_an_audit_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not an audit folder"):
        resume_audit(tmp_path)


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_audit import fake_check
from cctv_guard.fleet import start_audit, resume_audit
if __name__ == "__main__":
    if sys.argv[1] == "start":
        start_audit(sys.argv[2], sys.argv[3], work=fake_check)
    else:
        resume_audit(sys.argv[2], work=fake_check)
"""


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    cams = {f"CAM-{i:03d}": {f"r{j}.mp4": ("fine " * (i + j + 1)) + ("moved" if (i + j) % 5 == 0 else "")
                             for j in range(3)} for i in range(8)}
    p = make_fleet(tmp_path, cams)
    script = tmp_path / "run_audit.py"
    script.write_text(KILL_SCRIPT.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "FAKE_CHECK_DELAY": "0.15"}
    reference = start_audit(p, tmp_path / "ref", work=fake_check).summary

    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(script), "start", str(p), str(out)], env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    target = random.Random().randint(2, 18)  # a random point inside the 24 items
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list((out / "items").glob("*.json"))) if (out / "items").is_dir() else 0
        if done >= target:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the audit finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: coordinator and workers
    proc.wait()
    finished_before = {q.name for q in (out / "items").glob("*.json")}
    assert 0 < len(finished_before) < 24 and not (out / "summary.json").exists()
    # every record on disk is complete JSON (atomic writes), and none is lost by the resume
    assert all(json.loads(q.read_text())["status"] in ("ok", "failed") for q in (out / "items").glob("*.json"))
    r = subprocess.run([sys.executable, str(script), "resume", str(out)], env=env, timeout=120)
    assert r.returncode == 0
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert runs[-1]["items"] == 24 - len(finished_before)
    assert comparable(json.loads((out / "summary.json").read_text())) == comparable(reference)


# --- the real check on samples/ ----------------------------------------------------------------------------


@pytest.fixture
def sample_fleet(tmp_path, samples_dir, monkeypatch):
    """Three registered cameras (baseline from vtest_normal, in a real registry) whose recordings
    of the day are sample clips: normal, moved, and an unreadable file."""
    from cctv_guard.tamper.baseline import build_baseline, to_bytes
    from cctv_guard.registry import Camera, open_registry

    normal = samples_dir / "vtest_normal.mp4"
    if not normal.exists():
        pytest.skip("samples/ not made")
    home = tmp_path / "home"
    monkeypatch.setenv("CCTV_GUARD_HOME", str(home))
    b = build_baseline(str(normal), end=20.0)
    clips = {"GS-001": samples_dir / "vtest_normal.mp4", "GS-002": samples_dir / "vtest_moved.mp4", "GS-003": None}
    with open_registry() as reg:
        for i, cid in enumerate(clips):
            reg.add_camera(Camera(cid, f"Square {i}", 36.06 + i / 100, 103.83 + i / 100, "square", operator=f"District {i % 2}"))
            reg.store_baseline(cid, to_bytes(b), frame_size=b.frame_size, profiles=list(b.profiles))
    for cid, clip in clips.items():
        d = tmp_path / "nvr" / cid / "20261127"
        d.mkdir(parents=True)
        if clip is None:
            (d / "0000.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x17" * 4000)
        else:
            shutil.copy(clip, d / "0000.mp4")
    p = tmp_path / "fleet.yaml"
    p.write_text("recordings:\n  template: nvr/{camera}/{date:%Y%m%d}/*.mp4\nwindow: {date: 2026-11-27}\n"
                 "engine: {workers: 2}\n")
    return p


def test_real_check_on_samples_updates_the_registry_history(sample_fleet):
    from cctv_guard.registry import open_registry

    outcome = start_audit(sample_fleet, sample_fleet.parent / "out")
    verdicts = {c["camera_id"]: c["verdict"] for c in outcome.summary["cameras"]}
    assert verdicts == {"GS-001": "compliant", "GS-002": "violation", "GS-003": "failed"}
    cam2 = next(c for c in outcome.summary["cameras"] if c["camera_id"] == "GS-002")
    assert "moved" in cam2["kinds"] and "8" in cam2["articles"]
    assert outcome.summary["by_district"] == {"District 0": {"failed": 1, "compliant": 1}, "District 1": {"violation": 1}}
    assert outcome.exit_code == 1
    with open_registry() as reg:
        assert [h.verdict for h in reg.check_history("GS-002")] == ["violation"]
        assert [h.verdict for h in reg.check_history("GS-001")] == ["compliant"]
        assert reg.check_history("GS-003") == []
    # a resume after everything is done appends nothing twice
    resume_audit(sample_fleet.parent / "out")
    with open_registry() as reg:
        assert len(reg.check_history("GS-002")) == 1


def test_registry_findings_reach_the_audit_summary(sample_fleet):
    """A camera whose recordings are compliant but whose signage is missing (a registry finding)
    is a violation in summary.json/csv/html, and its check JSON carries the camera's facts."""
    from cctv_guard.registry import open_registry

    with open_registry() as reg:
        reg.update_camera("GS-001", signage=False)
    outcome = start_audit(sample_fleet, sample_fleet.parent / "out")
    cam1 = next(c for c in outcome.summary["cameras"] if c["camera_id"] == "GS-001")
    assert cam1["verdict"] == "violation" and cam1["events"] == 0
    assert cam1["registry_findings"] == ["signage_missing"] and cam1["findings"] == 1
    assert "8" in cam1["articles"] and outcome.summary["by_article"]["8"]["findings"] == 1
    out = sample_fleet.parent / "out"
    row = next(r for r in (out / "summary.csv").read_text().splitlines() if r.startswith("GS-001,"))
    assert row.endswith(",signage_missing")
    assert "signage_missing (registry)" in (out / "summary.html").read_text()
    check = json.loads(next((out / "checks").glob("GS-001/*.json")).read_text())
    assert check["verdict"] == "compliant"
    assert [f["kind"] for f in check["camera"]["findings"]] == ["signage_missing"]


def test_summary_is_posted_to_the_webhook_and_a_dead_webhook_is_a_warning(tmp_path, monkeypatch):
    import base64
    import http.server
    import threading

    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "home"))
    got = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, self.headers["Content-Type"], self.headers["Authorization"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hooks/cctv"
        secret_url = f"http://audit:s3cret@127.0.0.1:{server.server_port}/hooks/cctv"  # user:pass -> basic auth
        p = make_fleet(tmp_path, {"CAM-002": CAMERAS["CAM-002"]}, extra=f"notify: {{webhook: '{secret_url}'}}\n")
        outcome = start_audit(p, tmp_path / "out", work=fake_check)
        assert outcome.warnings == () and outcome.exit_code == 0
        ((path, ctype, auth, body),) = got
        assert path == "/hooks/cctv" and ctype == "application/json" and body == outcome.summary
        assert auth == "Basic " + base64.b64encode(b"audit:s3cret").decode()
    finally:
        server.shutdown()
        server.server_close()
    outcome = resume_audit(tmp_path / "out", work=fake_check)  # the same URL, now closed
    assert outcome.exit_code == 0  # a failed delivery is a warning, not a failure
    (warning,) = outcome.warnings
    assert warning.startswith(f"notify.webhook: webhook {url.replace('http://', 'http://***@')} unreachable:"), warning
    assert "s3cret" not in warning and (tmp_path / "out" / "summary.json").exists()
