"""Reports: enrichment with camera and articles, the self-contained HTML report (escaping,
redaction, images, size), the drawing geometry against the drift module's own decomposition,
privacy snapshots with people blurred, the many-camera CSV/Markdown summary, and the fleet audit's
summary page."""

from __future__ import annotations

import csv
import functools
import io
from html import escape as esc
import json
import re
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctv_guard.legal import articles
from cctv_guard import reports
from cctv_guard.reports import frames
from cctv_guard.core.errors import ConfigError
from tests.conftest import SAMPLES

SECRET = "hunter2-Secret"
HOSTILE = '"><script>alert("x")</script><img src=x onerror=alert(1)>'


def _video_frame(name: str = "vtest_normal.mp4", t: float = 5.0) -> np.ndarray:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return reports.grab_frames(path, {0: t})[0]


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    return _video_frame()


def _check_report(events: list[dict], findings: list[dict] | None = None, **extra) -> dict:
    doc = {
        "schema": reports.CHECK_SCHEMA, "source": f"rtsp://admin:{SECRET}@10.0.0.12/stream1", "camera_id": "GS-LZ-0012",
        "tool_version": "0.1.0", "frames_analyzed": 150, "duration_s": 30.0,
        "verdict": "violation" if events or findings else "compliant",
        "events": events, "findings": findings or [],
    }
    doc.update(extra)
    return doc


def _moved(start: float = 15.2, shift=(-38.5, -17.9), rot=0.0, scale=1.0, kind="moved") -> dict:
    return {"kind": kind, "article": "8", "start_s": start, "end_s": None, "confirmed_s": start + 0.8, "confidence": 0.94,
            "details": {"shift_px": list(shift), "rotation_deg": rot, "scale": scale, "coverage_iou": 0.78},
            "evidence": ["shift (-39, -18) px"]}


PRIVACY = {"kind": "privacy", "article": "9(3)", "zone": "restroom", "confidence": 0.91,
           "cues": [{"cue": "detector:toilet", "score": 0.88, "box": [200.0, 150.0, 300.0, 260.0]}]}


def _camera() -> dict:
    return {"id": "GS-LZ-0012", "name": f"Dongfanghong Sq. {HOSTILE}", "lat": 36.0611, "lon": 103.8343,
            "category": "square", "installed": "2026-03-01", "filed": None, "signage": False,
            "source": f"rtsp://user:{SECRET}@10.0.0.12/stream1",
            "zones": {"must_see": [[100, 150], [380, 150], [380, 340], [100, 340]]}}


# --- enrich ------------------------------------------------------------------------------------------


def test_enrich_adds_camera_and_articles_and_redacts():
    doc = reports.enrich(_check_report([_moved(), {"kind": "frozen", "start_s": 20.0, "end_s": 25.0}], [PRIVACY]), _camera())
    text = json.dumps(doc, ensure_ascii=False)
    assert SECRET not in text
    assert doc["camera"]["source"] == "rtsp://***@10.0.0.12/stream1"
    assert doc["source"] == "rtsp://***@10.0.0.12/stream1"
    assert doc["events"][1]["article"] == "16(7)"  # filled in from the catalogue
    by_ref = {a["ref"]: a for a in doc["articles"]}
    assert list(by_ref) == ["8", "9(3)", "16(7)"]  # article order
    assert by_ref["8"]["zh"] == articles.get("8").text("zh")
    assert by_ref["8"]["penalties"][0]["article"] == "19(1)"
    assert "1,000 yuan" in by_ref["8"]["penalties"][0]["en"]
    assert by_ref["9(3)"]["zh"] == articles.quote("9(3)", "zh")
    assert by_ref["9(3)"]["zh"].startswith("第九条\u3000下列区域") and by_ref["9(3)"]["zh"].endswith("（三）浴室、更衣室、卫生间、哺乳室；")
    assert by_ref["9(3)"]["cited_by"] == ["findings[0]"]
    assert by_ref["16(7)"]["cited_by"] == ["events[1]"]
    assert [d["kind"] for d in by_ref["8"]["duties"]] == ["moved"]


def test_enrich_is_idempotent_and_keeps_the_camera():
    once = reports.enrich(_check_report([_moved()]), _camera())
    twice = reports.enrich(once)
    assert twice == once


def test_enrich_cites_registry_findings_of_a_registry_camera():
    registry = pytest.importorskip("cctv_guard.registry")
    cam = registry.Camera(id="GS-LZ-0012", name="NE corner", lat=36.06, lon=103.83, category="square",
                          installed=date(2020, 1, 1), signage=False, source=f"rtsp://u:{SECRET}@h/s")
    doc = reports.enrich(_check_report([]), cam)
    assert SECRET not in json.dumps(doc)
    kinds = {f["kind"] for f in doc["camera"]["findings"]}
    assert kinds == {"filing_overdue", "signage_missing"}
    refs = {a["ref"]: a for a in doc["articles"]}
    assert refs["11"]["penalties"][0]["article"] == "19(2)"
    assert refs["8"]["cited_by"] == ["camera.findings[1]"]


def test_enrich_scan_report_cites_each_clause():
    scan = {"schema": reports.SCAN_SCHEMA, "items": [
        {"source": "a.jpg", "verdict": "prohibited", "findings": [PRIVACY]},
        {"source": "b.jpg", "verdict": "prohibited", "findings": [dict(PRIVACY, article="9(5)", zone="ballot")]},
        {"source": "c.jpg", "verdict": "clear", "findings": []}]}
    doc = reports.enrich(scan)
    assert [a["ref"] for a in doc["articles"]] == ["9(3)", "9(5)"]
    assert doc["articles"][1]["cited_by"] == ["items[1].findings[0]"]
    assert "投票" in doc["articles"][1]["duties"][0]["zh"]


def test_unknown_kind_is_cited_by_its_own_article_only():
    doc = reports.enrich(_check_report([{"kind": "glare", "article": "16(6)", "start_s": 1.0}]))
    assert [(a["ref"], a["duties"]) for a in doc["articles"]] == [("16(6)", [])]


@pytest.mark.parametrize("bad,where", [
    ({"schema": "cctv-guard/check@2", "verdict": "x"}, "schema"),
    ({"schema": reports.CHECK_SCHEMA, "verdict": "violation", "events": [{"start_s": 1}]}, "events.0.kind"),
    ({"schema": reports.CHECK_SCHEMA, "verdict": "violation", "events": [{"kind": "moved", "start_s": "soon"}]}, "events.0.start_s"),
    ({"schema": reports.SCAN_SCHEMA, "items": [{"verdict": "clear"}]}, "items.0.source"),
])
def test_malformed_reports_are_one_line_errors_naming_the_key(bad, where):
    with pytest.raises(ConfigError, match=re.escape(where)) as ei:
        reports.enrich(bad)
    assert "\n" not in str(ei.value)


def test_load_report_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such report"):
        reports.load_report(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not JSON"):
        reports.load_report(tmp_path / "bad.json")
    (tmp_path / "ok.json").write_text(json.dumps(_check_report([_moved()])), encoding="utf-8")
    assert reports.load_report(tmp_path / "ok.json")["events"][0]["kind"] == "moved"


# --- geometry: the drawing agrees with drift's decomposition ------------------------------------------


@pytest.mark.parametrize("dx,dy,deg,s", [(-40.0, 12.0, 0.0, 1.0), (0.0, 0.0, 8.0, 1.0), (5.0, -3.0, -3.0, 1.25)])
def test_view_transform_recovers_the_homography_drift_decomposed(dx, dy, deg, s):
    drift = pytest.importorskip("cctv_guard.tamper.drift")
    w, h = 480, 360
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1.0]])
    th = np.radians(deg)
    R = np.array([[s * np.cos(th), -s * np.sin(th), dx], [s * np.sin(th), s * np.cos(th), dy], [0, 0, 1]])
    H = c @ R @ np.linalg.inv(c)  # a known baseline -> current similarity about the centre
    shift, roll, scale = drift.decompose(H, (w, h), (w, h))
    T = reports.view_transform({"shift_px": list(shift), "rotation_deg": roll, "scale": scale})
    M = frames._about_centre(T, w, h)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64).reshape(-1, 1, 2)
    got = cv2.perspectiveTransform(corners, M).reshape(-1, 2)
    want = cv2.perspectiveTransform(corners, H).reshape(-1, 2)
    assert np.abs(got - want).max() < 0.5


def test_view_transform_prefers_an_explicit_homography_and_ignores_non_geometric_events():
    H = [[1.1, 0.0, 3.0], [0.0, 1.1, -2.0], [0.0, 0.0, 1.0]]
    assert np.allclose(reports.view_transform({"homography": H, "shift_px": [9, 9]}), H)
    assert reports.view_transform({"covered_fraction": 0.8}) is None


def _red_mask(img: np.ndarray) -> np.ndarray:
    b, g, r = (img[..., i].astype(int) for i in range(3))
    return (r > 180) & (g < 90) & (b < 90)


@pytest.mark.parametrize("max_side", [None, 240])
def test_event_frame_shows_where_the_baseline_view_went(frame, max_side):
    dx, dy = -60.0, 30.0
    fh, fw = frame.shape[:2]
    M = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(frame, M, (fw, fh))  # the camera panned: the scene moved by (dx, dy)
    drawn = reports.draw_event_frame(moved, _moved(shift=(dx, dy)), frame_size=(fw, fh), max_side=max_side)
    assert not np.shares_memory(drawn, moved)
    s = drawn.shape[1] / fw  # drawn on a shrunk copy: the same geometry, scaled
    h, w, dx, dy = drawn.shape[0], drawn.shape[1], dx * s, dy * s
    small = cv2.resize(moved, (w, h), interpolation=cv2.INTER_AREA)
    red = _red_mask(drawn) & ~_red_mask(small)
    # the baseline's right edge now runs at x = w + dx, its top edge at y = dy
    col = red[int(dy) + 20: h - 20, int(w + dx) - 3: int(w + dx) + 4].any(axis=1).mean()
    row = red[int(dy) - 3: int(dy) + 4, w // 6: int(w + dx) - w // 6].any(axis=0).mean()
    assert col > 0.9 and row > 0.9
    assert red[:, int(w + dx) + 8:].sum() < 0.01 * red.sum()  # nothing right of the old view


def test_baseline_copy_outlines_the_part_the_camera_now_sees(frame):
    h, w = frame.shape[:2]
    zoomed = _moved(kind="zoomed", shift=(0, 0), scale=2.0)
    drawn = reports.draw_baseline(frame, {}, (w, h), zoomed)
    red = _red_mask(drawn) & ~_red_mask(frame)
    ys, xs = np.nonzero(red)
    # a 2x zoom about the centre sees the middle half of the baseline
    assert abs(xs.min() - w / 4) <= 4 and abs(xs.max() - 3 * w / 4) <= 4
    assert abs(ys.min() - h / 4) <= 4 and abs(ys.max() - 3 * h / 4) <= 4


def test_covered_region_fraction_is_drawn_in_place(frame):
    h, w = frame.shape[:2]
    ev = {"kind": "covered", "start_s": 3.0, "details": {"covered_fraction": 0.4, "region": [0.5, 0.0, 1.0, 1.0]}}
    drawn = reports.draw_event_frame(frame, ev)
    changed = np.abs(drawn.astype(int) - frame.astype(int)).sum(axis=2) > 30
    assert changed[40:, w // 2 + 5:].mean() > 0.5  # the tinted right half
    assert changed[60:, : w // 2 - 5].mean() < 0.02


def test_inputs_of_any_layout_and_files(frame, tmp_path):
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert reports.load_image(gray).shape == frame.shape
    assert reports.load_image((frame.astype(np.uint16) * 257)).dtype == np.uint8
    p = tmp_path / "f.png"
    cv2.imwrite(str(p), frame)
    assert np.array_equal(reports.load_image(p), frame)
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(Exception, match="not a readable image"):
        reports.load_image(tmp_path / "x.png")


# --- privacy snapshots ------------------------------------------------------------------------------


def test_snapshot_blurs_people_and_draws_cues(frame):
    person = (40.0, 40.0, 160.0, 300.0)
    snap = reports.Snapshot(frame, people=(person,))
    out = reports.draw_snapshot(snap, [PRIVACY])
    x1, y1, x2, y2 = (int(v) for v in person)
    inner = (slice(y1 + 60, y2 - 10), slice(x1 + 20, x2 - 20))  # below the banner
    lap = lambda a: cv2.Laplacian(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()  # noqa: E731
    assert lap(out[inner]) < 0.3 * lap(frame[inner])
    cx1, cy1, cx2, cy2 = (int(v) for v in PRIVACY["cues"][0]["box"])
    assert np.abs(out[cy1 + 30, cx1].astype(int) - frame[cy1 + 30, cx1].astype(int)).sum() > 60  # box edge drawn


def test_plain_snapshot_is_shown_as_given(frame):
    assert np.array_equal(reports.draw_snapshot(frame, [PRIVACY]), frame)


# --- HTML ------------------------------------------------------------------------------------------------


def _html(frame, n_events=2, **kw) -> str:
    events = [_moved(start=2.0 + 3 * i) for i in range(n_events)]
    images = reports.ReportImages(baseline=frame, events={i: frame for i in range(n_events)},
                                  findings={0: reports.Snapshot(frame, people=((10, 10, 60, 120),))},
                                  zones={"must_see": [(100, 150), (380, 150), (380, 340), (100, 340)]})
    return reports.render_html(_check_report(events, [PRIVACY]), images=images, camera=_camera(), **kw)


def test_html_is_self_contained_and_escapes_hostile_strings(frame):
    report = _check_report([dict(_moved(), kind=f"moved{HOSTILE}", evidence=[HOSTILE])], [dict(PRIVACY, zone=HOSTILE)])
    report["source"] = f"/footage/{HOSTILE}.mp4"
    doc = reports.render_html(report, images=reports.ReportImages(events={0: frame}), camera=_camera())
    assert "<script" not in doc.lower() and "onerror=alert" not in doc.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in doc
    assert "<link" not in doc and "@import" not in doc
    assert all(u.startswith("data:font/") for u in re.findall(r"url\(([^)]*)\)", doc))  # only the embedded CJK font
    srcs = re.findall(r'\b(?:src|href)="([^"]*)"', doc)
    assert srcs and all(s.startswith(("data:image/jpeg;base64,", "#")) for s in srcs)
    assert "default-src 'none'" in doc  # the CSP forbids any other load


def test_html_never_contains_credentials(frame):
    doc = _html(frame)
    assert SECRET not in doc and "rtsp://***@10.0.0.12/stream1" in doc


def test_html_has_each_part_of_the_report(frame):
    doc = _html(frame, n_events=3)
    for anchor in ("verdict", "camera", "timeline", "events", "findings", "articles"):
        assert f'id="{anchor}"' in doc
    assert doc.count('<div class="card" id="event-') == 3
    assert len(re.findall(r'<img src="data:image/jpeg;base64,', doc)) == 3 * 2 + 1  # baseline + frame per event, 1 snapshot
    assert esc(articles.get("8").paragraphs[0].zh) in doc and esc(articles.get("8").paragraphs[0].en) in doc
    assert esc(articles.clause("9(3)").zh) in doc
    assert "1000元以下罚款" in doc  # Art. 19 penalty for a moved camera
    assert doc.count("<rect") >= 3 + 1  # timeline bars + frame


def test_embedded_images_decode_and_people_are_blurred_in_them(frame):
    doc = _html(frame, n_events=1)
    import base64

    datas = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', doc)
    imgs = [cv2.imdecode(np.frombuffer(base64.b64decode(d), np.uint8), cv2.IMREAD_COLOR) for d in datas]
    assert all(i is not None and i.shape[1] > 100 for i in imgs)


@pytest.mark.parametrize("lang,present,absent", [
    ("zh", "公共安全视频信息系统摄像设备的设置应当有明显标识", "shall be installed with clear signage"),
    ("en", "shall be installed with clear signage", "公共安全视频信息系统摄像设备的设置应当有明显标识"),
])
def test_html_languages(frame, lang, present, absent):
    doc = _html(frame, n_events=1, lang=lang)
    assert present in doc and absent not in doc


def test_bad_lang_is_rejected(frame):
    with pytest.raises(ConfigError, match="lang"):
        _html(frame, lang="fr")


def test_timeline_places_bars_in_proportion():
    svg = reports.timeline_svg([{"kind": "moved", "start_s": 15.0, "end_s": None},
                                {"kind": "frozen", "start_s": 0.0, "end_s": 7.5}], 30.0, width=1170)
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)[1:]  # first rect is the frame
    (x1, w1), (x2, w2) = [(float(a), float(b)) for a, b in bars]
    plot = 1170 - 150 - 20
    assert x1 == pytest.approx(150 + plot / 2, abs=0.2) and w1 == pytest.approx(plot / 2, abs=0.2)
    assert x2 == pytest.approx(150, abs=0.2) and w2 == pytest.approx(plot / 4, abs=0.2)
    assert svg.count("<path") == 1  # only the open event gets the arrow


def _detailed(frame: np.ndarray, size=(1920, 1080), seed=0) -> np.ndarray:
    """A worst case for JPEG: a real frame upscaled to 1080p plus sensor-like noise."""
    big = cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC).astype(np.int16)
    noise = np.roll(_noise(size), 7919 * seed)
    return np.clip(big + noise, 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=2)
def _noise(size) -> np.ndarray:
    return np.random.default_rng(0).normal(0, 12, (size[1], size[0], 3)).astype(np.int16)


def test_twenty_events_stay_under_5_mb(frame, tmp_path):
    big = [_detailed(frame, seed=i) for i in range(20)]
    events = [_moved(start=1.0 + i, shift=(-5.0 * i, 2.0 * i)) for i in range(20)]
    imgs = reports.ReportImages(baseline=_detailed(frame, seed=99), events=dict(enumerate(big)), frame_size=(1920, 1080))
    path = reports.write_html(tmp_path / "r.html", _check_report(events), images=imgs, camera=_camera())
    size = path.stat().st_size
    assert size <= 5_000_000, size
    assert path.read_text(encoding="utf-8").count("data:image/jpeg") == 40


def test_budget_shrinks_images(frame):
    big = _detailed(frame)
    events = [_moved(start=1.0 + i) for i in range(6)]
    imgs = reports.ReportImages(baseline=big, events={i: big for i in range(6)})
    full = reports.render_html(_check_report(events), images=imgs)
    small = reports.render_html(_check_report(events), images=imgs, budget=600_000)
    assert len(small.encode()) <= 600_000 < len(full.encode())


def test_write_html_is_atomic(frame, tmp_path, monkeypatch):
    target = tmp_path / "sub" / "report.html"
    reports.write_html(target, _check_report([]))
    before = target.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("crash while rendering")

    monkeypatch.setattr(frames.cv2, "imencode", boom)
    with pytest.raises(RuntimeError):
        reports.write_html(target, _check_report([_moved()]), images=reports.ReportImages(events={0: frame}))
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_write_check_report_with_frames_from_the_footage(tmp_path):
    path = SAMPLES / "vtest_moved.mp4"
    if not path.is_file():
        pytest.skip("samples/vtest_moved.mp4 not present")
    events = [_moved(start=15.2)]
    frames = reports.grab_frames(path, reports.event_times(events))
    assert set(frames) == {0} and frames[0].ndim == 3
    base = _video_frame("vtest_normal.mp4", 5.0)
    out = reports.write_check_report(_check_report(events), tmp_path / "r.html", frames=[frames[0]],
                                     baseline_image=base, camera=_camera(), frame_size=(base.shape[1], base.shape[0]))
    doc = out.read_text(encoding="utf-8")
    assert doc.count("data:image/jpeg") == 2 and "GS-LZ-0012" in doc


def test_scan_report_html(frame):
    scan = {"schema": reports.SCAN_SCHEMA, "items": [
        {"source": f"shots/{HOSTILE}.jpg", "verdict": "prohibited", "findings": [PRIVACY]},
        {"source": "shots/street.jpg", "verdict": "clear", "findings": []}]}
    doc = reports.render_html(scan, images=reports.ReportImages(items={0: reports.Snapshot(frame)}))
    assert "<script" not in doc and doc.count("data:image/jpeg") == 1
    assert "prohibited" in doc and esc(articles.clause("9(3)").en) in doc


# --- summary -------------------------------------------------------------------------------------------


def _fleet() -> list[dict]:
    a = reports.enrich(_check_report([_moved(), {"kind": "frozen", "start_s": 20.0}, _moved(start=25.0)]), _camera())
    b = _check_report([], camera_id="=HYPERLINK(\"http://evil\")")
    b["source"] = "cam|2.mp4"
    return [a, b]


def test_summary_csv_round_trip_and_formula_injection(tmp_path):
    path = reports.write_summary(_fleet(), tmp_path / "s.csv", "csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["verdict"] for r in rows] == ["violation", "compliant"]
    assert rows[0]["kinds"] == "moved×2; frozen" and rows[0]["articles"] == "8; 16(7)"
    assert rows[0]["penalty_articles"] == "19(1); 20" and rows[0]["first_event_s"] == "15.2"
    assert rows[0]["name"].startswith("Dongfanghong") and SECRET not in path.read_text(encoding="utf-8")
    assert rows[1]["camera_id"].startswith("'=")  # not run as a formula by a spreadsheet


def test_summary_markdown_escapes_cells(tmp_path):
    text = reports.write_summary(_fleet(), tmp_path / "s.md", "md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(lines) == 3  # header + 2 rows
    assert all(len(re.findall(r"(?<!\\)\|", line)) == len(reports.SUMMARY_FIELDS) + 1 for line in lines)
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "**2 rows** — violation; compliant" in text


def test_summary_of_scan_items_and_bad_format(tmp_path):
    scan = {"schema": reports.SCAN_SCHEMA, "items": [{"source": "a.jpg", "verdict": "prohibited", "findings": [PRIVACY]},
                                                    {"source": "b.jpg", "verdict": "clear", "findings": []}]}
    rows = reports.summary_rows([(scan, "scan.html")])
    assert [(r.source, r.verdict, r.articles, r.report) for r in rows] == [
        ("a.jpg", "prohibited", "9(3)", "scan.html"), ("b.jpg", "clear", "", "scan.html")]
    with pytest.raises(ConfigError, match="csv"):
        reports.write_summary(rows, tmp_path / "x.txt", "xlsx")  # type: ignore[arg-type]
    assert not (tmp_path / "x.txt").exists()


# --- CLI ---------------------------------------------------------------------------------------------

def _runner():
    from typer.testing import CliRunner

    return CliRunner()


def _write(tmp_path: Path, doc: dict, name: str = "check.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def test_cli_report_html_json_and_summary(tmp_path):
    from cctv_guard.cli.app import app

    src = _write(tmp_path, _check_report([_moved(), {"kind": "frozen", "start_s": 20.0}]))
    r = _runner().invoke(app, ["report", str(src), "--html", str(tmp_path / "r.html"), "--json", str(tmp_path / "e.json"), "--lang", "en"])
    assert r.exit_code == 0, r.output
    html_text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert SECRET not in html_text and 'id="timeline"' in html_text and "违反" not in html_text
    enriched = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert [a["ref"] for a in enriched["articles"]] == ["8", "16(7)"]
    other = _write(tmp_path, _check_report([], camera_id="GS-LZ-0099"), "other.json")
    r = _runner().invoke(app, ["report", str(src), str(other), "--summary", str(tmp_path / "fleet.md")])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "fleet.md").read_text(encoding="utf-8")
    assert "GS-LZ-0099" in md and "moved; frozen" in md and str(other) in md


def test_cli_report_attaches_a_registered_camera(tmp_path):
    pytest.importorskip("cctv_guard.registry")
    from cctv_guard.cli.app import app

    home = tmp_path / "home"
    r = _runner().invoke(app, ["camera", "--home", str(home), "add", "GS-LZ-0012", "--name", "Dongfanghong <i>NE</i>",
                               "--lat", "36.0611", "--lon", "103.8343", "--category", "square", "--installed", "2020-03-01",
                               "--signage", "no", "--source", f"rtsp://user:{SECRET}@10.0.0.12/stream1"])
    assert r.exit_code == 0, r.output
    src = _write(tmp_path, _check_report([_moved()]))
    out = tmp_path / "r.html"
    r = _runner().invoke(app, ["report", str(src), "--html", str(out), "--camera", "GS-LZ-0012", "--home", str(home)])
    assert r.exit_code == 0, r.output
    doc = out.read_text(encoding="utf-8")
    assert "Dongfanghong &lt;i&gt;NE&lt;/i&gt;" in doc and SECRET not in doc
    assert "filing_overdue" in doc and "signage_missing" in doc and 'id="art-11"' in doc


@pytest.mark.parametrize("args,msg", [
    (["--html", "a.html"], "no such report"),
    ([], "nothing to write"),
])
def test_cli_report_bad_input_exits_2(tmp_path, args, msg):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "cctv_guard", "report", str(tmp_path / "missing.json"), *args],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and msg in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_cli_report_html_takes_one_input(tmp_path):
    from cctv_guard.cli.app import app

    a = _write(tmp_path, _check_report([]))
    r = _runner().invoke(app, ["report", str(a), str(a), "--html", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "one report" in r.output


def test_cli_report_embeds_evidence_snapshots_named_by_a_scan(tmp_path, frame):
    from cctv_guard.cli.app import app

    (tmp_path / "evidence").mkdir()
    cv2.imwrite(str(tmp_path / "evidence" / "a_restroom.jpg"), frame)
    (tmp_path / "evidence" / "notes.txt").write_text("not an image")
    scan = {"schema": reports.SCAN_SCHEMA, "items": [
        {"source": "a.jpg", "verdict": "prohibited", "findings": [PRIVACY],
         "evidence": ["evidence/a_restroom.jpg", "evidence/notes.txt", "evidence/missing.jpg", "/etc/passwd"]},
        {"source": "b.jpg", "verdict": "clear", "findings": []}]}
    src = _write(tmp_path, scan, "scan.json")
    r = _runner().invoke(app, ["report", str(src), "--html", str(tmp_path / "scan.html")])
    assert r.exit_code == 0, r.output
    doc = (tmp_path / "scan.html").read_text(encoding="utf-8")
    assert doc.count("data:image/jpeg") == 1  # only the evidence image; text files and /etc/passwd never embedded
    shots = reports.evidence_images(scan, tmp_path)
    assert list(shots.items) == [0] and [p.name for p in shots.items[0]] == ["a_restroom.jpg"]


@pytest.mark.parametrize("details", [
    {"shift_px": ["left", None]}, {"shift_px": [float("nan"), 1.0]}, {"homography": [[1, 2], [3]]},
    {"homography": "eye", "scale": "big"}, {"region": ["a", "b", "c", "d"]}, {"region": None},
])
def test_malformed_measurements_are_drawn_without_geometry(frame, details):
    ev = {"kind": "moved", "start_s": 1.0, "details": details}
    drawn = reports.draw_event_frame(frame, ev)
    assert drawn.shape == frame.shape
    doc = reports.render_html(_check_report([ev]), images=reports.ReportImages(baseline=frame, events={0: frame}))
    assert doc.count("data:image/jpeg") == 2


def test_details_that_are_not_a_mapping_are_rejected_at_entry(frame):
    ev = {"kind": "moved", "start_s": 1.0, "details": "not a mapping"}
    assert reports.draw_event_frame(frame, ev).shape == frame.shape
    with pytest.raises(ConfigError, match="events.0.details"):
        reports.render_html(_check_report([ev]))


def test_reports_are_ordinary_files_and_unwritable_targets_are_one_line_errors(tmp_path):
    import os
    import stat

    p = reports.write_summary([], tmp_path / "deep" / "s.csv")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="cannot write"):
        reports.write_html(tmp_path / "file" / "r.html", _check_report([]))


# --- properties ------------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_TEXT, source=_TEXT)
def test_summary_csv_round_trips_any_text(name, source):
    row = reports.SummaryRow(camera_id="c1", name=name, source=source, verdict="violation", frames_analyzed=3,
                             duration_s=1.5, events=1, findings=0, kinds="moved", articles="8", penalty_articles="19(1)",
                             first_event_s=0.5)
    back = next(csv.DictReader(io.StringIO(reports.summary_text([row], "csv"), newline="")))
    for value, got in ((name, back["name"]), (source, back["source"])):
        flat = re.sub(r"[\r\n\t\x0b\x0c]", " ", value)
        assert got == ("'" + flat if flat.startswith(("=", "+", "-", "@")) else flat)
    assert back["first_event_s"] == "0.5" and back["events"] == "1"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_html_never_contains_report_text_unescaped(text):
    marked = "ZQX" + text + "QXZ"  # the markers never occur in the page itself
    report = _check_report([{"kind": "moved", "start_s": 1.0, "evidence": [marked], "details": {marked: marked}}],
                           [dict(PRIVACY, zone=marked)])
    report["source"] = marked
    doc = reports.render_html(report, camera={"id": marked, "name": marked})
    if any(c in text for c in "<>&\"'"):
        assert marked not in doc
    assert "<script" not in doc.lower()


# --- archive reports (issue 7) ------------------------------------------------------------------


def test_archive_scan_and_verify_reports_render_with_articles(tmp_path):
    from typer.testing import CliRunner

    from cctv_guard.cli.app import app

    root = tmp_path / "nvr"
    for day in ("20261101", "20261102", "20261105"):
        (root / "CAM<1>" / day).mkdir(parents=True)
        (root / "CAM<1>" / day / "0000.mp4").write_bytes(b"not really a video")
    runner = CliRunner()
    html_scan = tmp_path / "scan.html"
    r = runner.invoke(app, ["archive", "scan", str(root), "-p", "{camera}/{date:%Y%m%d}/*.mp4", "--as-of", "2026-11-28",
                            "--no-probe", "--html", str(html_scan)])
    assert r.exit_code == 1, r.output
    page = html_scan.read_text(encoding="utf-8")
    assert "Footage retention report" in page and "录像存储期限" in page
    assert 'id="art-16-8"' in page or "16(8)" in page
    assert "CAM&lt;1&gt;" in page and "CAM<1>" not in page  # escaped
    assert "recording_gap" in page

    home = tmp_path / "home"
    assert runner.invoke(app, ["archive", "seal", str(root), "--home", str(home), "--settle", "0"]).exit_code == 0
    (root / "CAM<1>" / "20261102" / "0000.mp4").write_bytes(b"altered")
    html_verify = tmp_path / "verify.html"
    r = runner.invoke(app, ["archive", "verify", str(root), "--home", str(home), "--html", str(html_verify)])
    assert r.exit_code == 1, r.output
    page = html_verify.read_text(encoding="utf-8")
    assert "Footage integrity report" in page and "altered" in page and "0000.mp4" in page


# --- the fleet audit's summary page ------------------------------------------------------------------


def _audit_summary() -> dict:
    """A cctv-guard/audit@1 summary as fleet.audit.summarise makes it (the shape of the fake
    fleet in tests/test_audit.py), with hostile text where a summary carries names."""
    check1 = "checks/CAM-001/CAM-001__2026-11-27__a_1200__8c65cf04eb.json"
    check5 = "checks/CAM-005/CAM-005__2026-11-27__e_0000__77f3c13008.json"

    def cam(cid, district, lat, lon, verdict, items=1, failed=0, events=0, findings=0, kinds=None, arts=(), checks=()):
        return {"camera_id": cid, "district": district, "lat": lat, "lon": lon, "verdict": verdict, "items": items,
                "items_failed": failed, "events": events, "findings": findings, "kinds": kinds or {},
                "articles": list(arts), "footage_h": 0.1667 * (items - failed), "checks": list(checks)}

    return {
        "schema": "cctv-guard/audit@1", "tool_version": "0.1.0", "created": "2026-11-28T02:00:00+00:00",
        "days": ["2026-11-27"], "checks": {"tamper": True, "privacy": False, f"ocr{HOSTILE}": True},
        "sampling": {"every": 1.0}, "complete": False,
        "totals": {"cameras": 6, "items": 8, "items_done": 7, "items_failed": 2, "footage_h": 0.8333},
        "by_verdict": {"violation": 2, "failed": 2, "inconclusive": 1, "compliant": 1},
        "by_article": {"8": {"cameras": 1, "events": 10}, "9(3)": {"cameras": 1, "findings": 3}},
        "by_district": {"East": {"violation": 1, "inconclusive": 1}, "North": {"violation": 1, "compliant": 1},
                        f"South{HOSTILE}": {"failed": 2}},
        "cameras": [
            cam("CAM-001", "North", 36.06, 103.83, "violation", items=2, events=10, kinds={"moved": 10}, arts=["8"],
                checks=[check1]),
            cam("CAM-002", "North", 36.07, 103.84, "compliant"),
            cam(f"CAM-003{HOSTILE}", f"South{HOSTILE}", 36.03, 103.80, "failed", items=2, failed=1),
            cam("CAM-004", f"South{HOSTILE}", 36.02, 103.81, "failed", failed=1),
            cam("CAM-005", "East", 36.05, 103.90, "violation", findings=3, kinds={f"privacy{HOSTILE}": 3}, arts=["9(3)"],
                checks=[check5]),
            cam("CAM-006", "East", None, None, "inconclusive"),
        ],
        "failures": [
            {"item_id": "CAM-003__a", "camera_id": f"CAM-003{HOSTILE}", "day": "2026-11-27",
             "source": f"/nvr/CAM-003/{HOSTILE}.mp4", "reason": f"cannot decode: {HOSTILE}"},
            {"item_id": "CAM-004__none", "camera_id": "CAM-004", "day": "2026-11-27", "source": None,
             "reason": "no recordings found for CAM-004 on 2026-11-27"},
        ],
        "baseline_notes": {},
    }


def test_audit_summary_page_links_escapes_and_maps(tmp_path):
    summary = _audit_summary()
    check1 = Path(summary["cameras"][0]["checks"][0])
    (tmp_path / check1).parent.mkdir(parents=True)
    (tmp_path / check1).with_suffix(".html").write_text("<html></html>")  # CAM-001 has its HTML report
    page = reports.audit_summary_html(summary, tmp_path)

    assert page.startswith("<!doctype html>") and "<title>cctv-guard fleet audit 2026-11-27</title>" in page
    assert "6 cameras, 7 of 8 recordings checked (2 failed)" in page and "0.83 h of footage" in page
    assert "The audit is not complete." in page
    # every name from the summary is escaped, wherever it appears (tooltip, label, tables)
    assert "<script" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert page.count(esc(HOSTILE)) == 13  # checks, district x5, camera x4, kinds, recording, reason
    assert page.count("alert(") == 2 * 13  # ... and nowhere unescaped
    # the map: a dot per camera with coordinates, violations red, each named
    assert page.count("<circle") == 5 and page.count('fill="#d7263d"') == 2
    assert f"<title>{esc('CAM-003' + HOSTILE)} ({esc('South' + HOSTILE)}): failed</title>" in page
    assert "(5 of 6 cameras have coordinates)" in page
    # cameras needing attention link to their first violating check: HTML when written, else JSON
    hrefs = re.findall(r'<a href="([^"]*)">([^<]*)</a>', page)
    assert hrefs == [(str(check1.with_suffix(".html")), "CAM-001"), (summary["cameras"][4]["checks"][0], "CAM-005")]
    assert "<td>CAM-004</td><td>" + esc("South" + HOSTILE) + "</td><td>failed</td>" in page  # no check: no link
    assert "<td>moved×10</td><td>8</td>" in page
    assert "no recordings found for CAM-004" in page
    assert re.search(r"<tr><td>9\(3\)</td><td>1</td><td>0</td><td>3</td></tr>", page)
    assert "cctv-guard 0.1.0 · cctv-guard/audit@1" in page


def test_audit_summary_page_without_run_folder_coordinates_or_findings():
    summary = _audit_summary()
    summary.update(days=["2026-11-01", "2026-11-07"], complete=True, by_article={}, failures=[])
    summary["cameras"] = [dict(c, lat=None, lon=None) for c in summary["cameras"] if c["verdict"] == "compliant"]
    page = reports.audit_summary_html(summary, None)
    assert "fleet audit 2026-11-01 … 2026-11-07" in page and "not complete" not in page
    assert "No camera has coordinates." in page and "<svg" not in page
    assert "No events or findings." in page and page.count('<p class="muted">None.</p>') == 2


def test_templates_ship_inside_the_package():
    """The pages are rendered from package data (importlib.resources), so they work from a wheel."""
    from importlib.resources import files

    names = {p.name for p in (files("cctv_guard.reports") / "templates").iterdir()}
    assert {"page.html", "check.html", "scan.html", "archive.html", "audit_summary.html", "timeline.svg"} <= names
