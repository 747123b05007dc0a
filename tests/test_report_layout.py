"""The HTML report as an inspector reads it (issue 13 #16), on a real check of the moved sample
against a baseline of the normal one: the verdict and the pictures first, the internals folded
under <details>, one time format everywhere, citations numbered like the events, the baseline
view in colour, everything in Chinese with --lang zh (the audit page too), and a subset of a CJK
font embedded so that the Chinese renders without fonts on the viewer's machine."""

from __future__ import annotations

import base64
import dataclasses
import html as H
import io
import re

import cv2
import numpy as np
import pytest

from cctv_guard import reports
from cctv_guard.reports import fonts, frames
from cctv_guard.reports.i18n import evidence_zh
from cctv_guard.reports.model import clock
from tests.conftest import SAMPLES

TIME = r"\d\d:\d\d\.\d \(\d+\.\d s\)"  # the reports' one time format
ZONES = {"must_see": [(100, 150), (380, 150), (380, 340), (100, 340)]}
CAMERA = {"id": "GS-LZ-0012", "name": "东方红广场", "lat": 36.0611, "lon": 103.8343, "category": "square",
          "filed": None, "signage": False, "findings": [{"kind": "signage_missing"}]}


@pytest.fixture(scope="module")
def real_check():
    """(check@1 dict, baseline): the moved sample checked against a baseline of the normal one."""
    from cctv_guard.tamper.baseline import build_baseline
    from cctv_guard.tamper.check import check_source

    moved, normal = SAMPLES / "vtest_moved.mp4", SAMPLES / "vtest_normal.mp4"
    if not (moved.is_file() and normal.is_file()):
        pytest.skip("samples not present")
    b = build_baseline(normal, end=20, zones=ZONES)
    doc = check_source(moved, b, start=10.0).to_json()
    assert [e["kind"] for e in doc["events"]] == ["moved"]
    return doc, b


@pytest.fixture(scope="module")
def pages(real_check, tmp_path_factory):
    """The report of the real check in each language, written by check --html's function."""
    doc, b = real_check
    out = {}
    for lang in ("en", "zh", "both"):
        path = tmp_path_factory.mktemp(lang) / "r.html"
        reports.write_check_html(doc, path, baseline=b, camera=CAMERA, lang=lang)
        out[lang] = path.read_text(encoding="utf-8")
    return out


def _visible(page: str, *, folded: bool = False) -> str:
    """The text a reader sees (tags, style and, unless ``folded``, <details> left out), unescaped."""
    page = re.sub(r"<style>.*?</style>|<title>.*?</title>", "", page, flags=re.DOTALL)
    if not folded:
        page = re.sub(r"<details.*?</details>", "", page, flags=re.DOTALL)
    return H.unescape(re.sub(r"<[^>]+>", " ", page))


def _images(page: str) -> list[np.ndarray]:
    datas = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    return [cv2.imdecode(np.frombuffer(base64.b64decode(d), np.uint8), cv2.IMREAD_COLOR) for d in datas]


# --- lead with the verdict and the pictures; internals folded ---------------------------------------


def test_verdict_and_pictures_lead_and_internals_are_folded(pages):
    page = pages["en"]
    at = {name: page.index(marker) for name, marker in (
        ("verdict", 'id="verdict"'), ("event", 'id="event-1"'), ("picture", "<img "), ("measurements", "<table"),
        ("timeline", 'id="timeline"'), ("camera", 'id="camera"'), ("articles", 'id="articles"'))}
    assert at["verdict"] < at["event"] < at["picture"] < at["measurements"] < at["timeline"] < at["camera"] < at["articles"]
    shown, folded = _visible(page), _visible(page, folded=True)
    # the internals are in the page, but only inside <details>
    for internal in ("homography", "registration", "onvif_topic", "gb28181", "national-799", "profiles_used", "sampling"):
        assert internal in folded and internal not in shown, internal
    assert "[[" not in shown and "{" not in shown  # no JSON dump outside <details>
    assert "coverage_iou" in shown and "shift_pct" in shown  # plain measurements stay in view
    assert page.count("<details") >= 2  # the event's internals and the analysis details


# --- one time format ------------------------------------------------------------------------------


@pytest.mark.parametrize("s,shown", [(75.2, "01:15.2 (75.2 s)"), (0, "00:00.0 (0.0 s)"), (59.96, "01:00.0 (60.0 s)"),
                                     (3723.4, "62:03.4 (3723.4 s)"), (None, "—"), (float("nan"), "—")])
def test_clock_is_minutes_seconds_and_seconds(s, shown):
    assert clock(s) == shown


def test_every_time_in_the_report_has_the_one_format(pages, real_check):
    doc, _ = real_check
    page = _visible(pages["en"], folded=True)
    ev = doc["events"][0]
    assert clock(ev["start_s"]) in page and clock(ev["confirmed_s"]) in page and clock(doc["duration_s"]) in page
    t = float(re.match(r"t=([\d.]+)s", ev["evidence"][0]).group(1))
    assert f"t={clock(t)}:" in page  # the evidence line's time too
    assert not re.search(r"\bt=[\d.]+s\b", page)
    # times the page shows are all in the one format: no bare m:ss.s, no "15.20 s"
    assert not re.search(r"(?<![\d:])\d{1,2}:\d\d\.\d(?! \()", page)
    ticks = re.findall(r'text-anchor="middle" font-size="\d+" fill="#4a5568">([^<]+)<', pages["en"])
    assert ticks and all(re.fullmatch(TIME, H.unescape(x)) for x in ticks)


def test_markdown_summary_shows_times_in_the_one_format(real_check):
    doc, _ = real_check
    text = reports.summary_text([doc], "md")
    assert clock(doc["duration_s"]) in text and clock(doc["events"][0]["start_s"]) in text


# --- citations numbered like the events ---------------------------------------------------------------


def test_citations_are_numbered_like_the_cards_and_link_to_them(pages):
    page = pages["en"]
    assert "events[0]" not in page and "camera.findings[0]" not in page
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', page)
    assert ("event-1", "event #1") in links and ("camera-finding-1", "registry finding #1") in links
    for anchor, _ in links:
        assert f'id="{anchor}"' in page  # every citation points at a card that exists
    assert "#1 moved" in _visible(page)  # the card the citation names
    zh = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', pages["zh"])
    assert ("event-1", "事件 #1") in zh


def test_findings_of_a_scan_are_cited_by_item_and_number(tmp_path):
    scan = {"schema": reports.SCAN_SCHEMA, "items": [
        {"source": "a.jpg", "verdict": "clear", "findings": []},
        {"source": "b.jpg", "verdict": "prohibited", "findings": [
            {"kind": "privacy", "article": "9(3)", "zone": "restroom", "confidence": 0.9, "cues": []}]}]}
    page = reports.render_html(scan, lang="en")
    assert '<a href="#item-2-finding-1">item #2 finding #1</a>' in page and 'id="item-2-finding-1"' in page


# --- the baseline view in colour -----------------------------------------------------------------------


def _colourfulness(img: np.ndarray) -> float:
    return float(np.abs(img[..., 2].astype(int) - img[..., 0]).mean())


def test_baseline_view_is_in_colour_when_the_footage_is(pages, real_check):
    base, offending = _images(pages["en"])
    assert _colourfulness(offending) > 10  # colour footage
    assert _colourfulness(base) > 10  # ... and its baseline view is in colour too


def test_baseline_view_stays_grey_without_readable_footage_or_when_the_view_differs(real_check):
    _, b = real_check
    for source in ("/no/such/footage.mp4", str(SAMPLES / "images" / "bus.jpg"), ""):
        other = dataclasses.replace(b, source=source)
        view = reports.html.baseline_view(other, "day")
        assert view is other.profiles["day"].median  # the stored grey median


def test_colour_view_keeps_the_median_luminance(real_check):
    _, b = real_check
    median = b.profiles["day"].median
    frame = reports.grab_frames(SAMPLES / "vtest_normal.mp4", {0: 0.0})[0]
    coloured = frames.colour_view(median, frame)
    luma = cv2.cvtColor(coloured, cv2.COLOR_BGR2YCrCb)[..., 0].astype(int)
    assert np.abs(luma - median).mean() < 2.5 and _colourfulness(coloured) > 10
    grey = frames.colour_view(median, cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert _colourfulness(grey) < 1.5  # grey footage gives a grey view


# --- everything in Chinese with --lang zh -------------------------------------------------------------------

# ASCII words a Chinese page may show: identifiers and the tool's own name, not sentences.
IDENTIFIERS = {"GS-LZ-", "UTC", "cctv-guard", "cctv-guard/check"}


def test_zh_report_is_all_chinese(pages):
    shown = _visible(pages["zh"])
    shown = re.sub(r"\S*vtest_moved\.mp4|https://\S+", "", shown)  # the footage path, the regulation's source
    words = set(re.findall(r"[A-Za-z][A-Za-z_\-/]{2,}", shown))
    assert words <= IDENTIFIERS, words - IDENTIFIERS
    for zh in ("违规", "#1 移位", "摄像设备被移动（画面平移）", "平移（", "视野重合度", "缺少标识", "广场", "事件 #1", "第8条"):
        assert zh in shown, zh


def test_en_report_has_no_chinese_but_the_law_and_names(pages):
    shown = _visible(pages["en"])
    assert "移位" not in shown and "违规" not in shown and "Camera moved (pan/tilt shift of the view)" in shown


@pytest.mark.parametrize("line,zh", [
    ("t=26.80s: shift (-39, -18) px = 9.5% of the frame, roll -0.05 deg, zoom x0.999, coverage IoU 0.78 (features, quality 0.43)",
     "00:26.8 (26.8 s)：平移（-39，-18）像素，占画面 9.5%，旋转 -0.05 度，缩放 ×0.999，视野重合度 0.78（配准：特征点，质量 0.43）"),
    ("t=3.00s: 45% of the view lost its structure (region x 0.10-0.50, y 0.20-0.80 of the frame), 5% more still moving",
     "00:03.0 (3.0 s)：45% 的画面失去纹理结构（区域 x 0.10–0.50，y 0.20–0.80），另有 5% 仍在变化"),
    ("t=1.00s: fine detail at 31% of the baseline's (contrast-normalised)", "00:01.0 (1.0 s)：细节清晰度为基准的 31%（已按对比度归一化）"),
    ("t=2.00s: mean brightness 3.1/255, contrast 0.4", "00:02.0 (2.0 s)：平均亮度 3.1/255，对比度 0.4"),
    ("t=16.80s: edges 26% wider than the baseline's (sharpness 74%, median region 73%; fine detail 35%)",
     "00:16.8 (16.8 s)：边缘比基准宽 26%（锐度 74%，区域中位数 73%；细节 35%）"),
])
def test_evidence_lines_are_translated(line, zh):
    assert evidence_zh(line) == zh


def test_real_checks_evidence_is_chinese_in_a_zh_report(real_check):
    """Every evidence line the tamper check writes for the samples has a translation."""
    from cctv_guard.tamper.check import check_source

    _, b = real_check
    lines = list(real_check[0]["events"][0]["evidence"])
    for name in ("vtest_blackout.mp4", "vtest_covered.mp4", "vtest_frozen.mp4", "vtest_defocused.mp4"):
        lines += [x for ev in check_source(SAMPLES / name, b, start=13.0, end=19.0).to_json()["events"] for x in ev["evidence"]]
    assert len(lines) >= 4
    for line in lines:
        assert not re.search(r"[A-Za-z]{4,}", evidence_zh(line)), line


def test_audit_summary_page_in_chinese():
    from tests.test_reports import _audit_summary

    page = reports.audit_summary_html(_audit_summary(), None, lang="zh")
    shown = _visible(page)
    for zh in ("批量审计 2026-11-27", "台摄像设备", "按条款", "按区域", "需要关注的摄像设备", "违规", "检查失败", "移位×10", "纬度"):
        assert zh in shown, zh
    for en in ("Fleet audit", "cameras,", "By article", "By district", "Cameras needing attention", "violation", "lat "):
        assert en not in shown, en
    if fonts.find_font() is not None:
        assert "@font-face" in page


# --- the embedded CJK font --------------------------------------------------------------------------------


def _embedded_font(page: str):
    from fontTools.ttLib import TTFont

    m = re.search(r"url\(data:font/(?:otf|ttf);base64,([A-Za-z0-9+/=]+)\)", page)
    return TTFont(io.BytesIO(base64.b64decode(m.group(1)))) if m else None


def test_zh_report_embeds_a_subset_with_every_chinese_character_it_shows(pages):
    if fonts.find_font() is None:
        pytest.skip("no CJK font on this machine (CI installs fonts-noto-cjk)")
    page = pages["zh"]
    font = _embedded_font(page)
    assert font is not None and "font-src data:" in page
    needed = set(fonts.cjk_chars(page))
    cmap = {chr(c) for c in font.getBestCmap()}
    assert needed and needed <= cmap
    assert len(cmap) < len(needed) + 50  # a subset: not the 30 000 characters of the whole font
    assert len(page) < 1_000_000
    names = {r.nameID: r.toUnicode() for r in font["name"].names}
    assert "Open Font License" in names.get(13, "") and "Noto" in names.get(1, "")  # the licence travels with it


def test_english_report_embeds_no_font(tmp_path):
    scan = {"schema": reports.SCAN_SCHEMA, "items": [{"source": "a.jpg", "verdict": "clear", "findings": []}]}
    page = reports.render_html(scan, lang="en")
    assert "@font-face" not in page and "No CJK font" not in page


def test_without_a_cjk_font_the_report_is_written_with_a_note(real_check, tmp_path, monkeypatch):
    monkeypatch.setenv(fonts.ENV_FONT, str(tmp_path / "no-such-font.ttc"))
    doc, b = real_check
    out = reports.write_check_html(doc, tmp_path / "r.html", baseline=b, lang="zh")
    page = out.read_text(encoding="utf-8")
    assert "@font-face" not in page and 'id="verdict"' in page
    assert "No CJK font could be embedded" in page and "未能嵌入中文字体" in page


def test_an_unreadable_font_file_is_a_note_not_an_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    monkeypatch.setenv(fonts.ENV_FONT, str(bad))
    page = reports.render_html({"schema": reports.SCAN_SCHEMA, "items": []}, lang="zh")
    assert "@font-face" not in page and "No CJK font could be embedded" in page


def test_cli_report_lang_zh_of_a_real_check(real_check, tmp_path):
    """`cctv-guard report check.json --html r.html --lang zh`: the whole page in Chinese."""
    import json

    from typer.testing import CliRunner

    from cctv_guard.cli.app import app

    src = tmp_path / "check.json"
    src.write_text(json.dumps(real_check[0]), encoding="utf-8")
    r = CliRunner().invoke(app, ["report", str(src), "--html", str(tmp_path / "r.html"), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    shown = _visible((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "#1 移位" in shown and "摄像设备被移动" in shown and "事件 #1" in shown
    assert "moved" not in shown.replace("vtest_moved", "") and "Evidence" not in shown and "Verdict" not in shown
