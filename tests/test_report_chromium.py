"""The HTML report in a real headless Chromium (Debian `chromium`, installed by .ci/run): it
renders to a non-blank screenshot, every embedded image decodes in the browser, and the page's
Content-Security-Policy really blocks scripts. Skipped where no Chromium is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctv_guard import reports
from tests.conftest import SAMPLES

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (CI installs Debian's chromium)")

PROBE = (
    "<script>window.addEventListener('load',function(){var a=[].slice.call(document.images);"
    "var ok=a.filter(function(i){return i.complete&&i.naturalWidth>0;}).length;"
    "document.body.setAttribute('data-images',ok+'/'+a.length);});</script>"
)


def _chromium(tmp: Path, *args: str, url: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}", *args, url]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


def _screenshot(tmp: Path, html: Path) -> np.ndarray:
    png = tmp / "shot.png"
    r = _chromium(tmp, f"--screenshot={png}", "--window-size=1280,2000", url=html.as_uri())
    assert png.is_file(), r.stderr[-2000:]
    img = cv2.imread(str(png))
    assert img is not None and img.shape[:2] == (2000, 1280)
    return img


def _loaded_images(tmp: Path, html: Path) -> str | None:
    """The probe's 'loaded/total' marker from the rendered DOM (None when the probe never ran)."""
    r = _chromium(tmp, "--dump-dom", "--virtual-time-budget=10000", url=html.as_uri())
    assert 'id="verdict"' in r.stdout, r.stderr[-2000:]  # the page itself was rendered
    m = re.search(r'<body[^>]*data-images="(\d+/\d+)"', r.stdout)
    return m.group(1) if m else None


def _with_probe(html: str, *, keep_csp: bool) -> str:
    if not keep_csp:
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    return html.replace("</body>", PROBE + "</body>")


def _frames() -> tuple[np.ndarray, np.ndarray]:
    moved, normal = SAMPLES / "vtest_moved.mp4", SAMPLES / "vtest_normal.mp4"
    if not (moved.is_file() and normal.is_file()):
        pytest.skip("samples/vtest_*.mp4 not present")
    return reports.grab_frames(normal, {0: 5.0})[0], reports.grab_frames(moved, {0: 16.0})[0]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    base, offending = _frames()
    h, w = base.shape[:2]
    zones = {"must_see": [(100, 150), (380, 150), (380, 340), (100, 340)]}
    report = {
        "schema": reports.CHECK_SCHEMA, "source": "rtsp://admin:pw@10.0.0.12/stream1", "camera_id": "GS-LZ-0012",
        "tool_version": "0.1.0", "frames_analyzed": 150, "duration_s": 30.0, "verdict": "violation",
        "events": [
            {"kind": "moved", "article": "8", "start_s": 15.2, "end_s": None, "confirmed_s": 16.0, "confidence": 0.94,
             "details": {"shift_px": [-38.5, -17.9], "rotation_deg": -0.04, "scale": 1.0006, "coverage_iou": 0.776},
             "evidence": ["shift (-39, -18) px = 8.9% of width"]},
            {"kind": "frozen", "article": "16(7)", "start_s": 22.0, "end_s": 27.5, "confidence": 0.9,
             "details": {"frame_diff": 0.0}, "evidence": ["identical frames"]},
        ],
        "findings": [{"kind": "privacy", "article": "9(3)", "zone": "restroom", "confidence": 0.91,
                      "cues": [{"cue": "detector:toilet", "score": 0.88, "box": [200.0, 150.0, 300.0, 260.0]}]}],
    }
    camera = {"id": "GS-LZ-0012", "name": "Dongfanghong Sq. NE <b>x</b>", "lat": 36.0611, "lon": 103.8343,
              "category": "square", "source": "rtsp://user:pass@10.0.0.12/stream1"}
    out = tmp_path_factory.mktemp("chromium") / "report.html"
    reports.write_check_report(report, out, frames={0: offending, 1: offending}, baseline_image=base, camera=camera,
                               frame_size=(w, h), zones=zones,
                               findings={0: reports.Snapshot(offending, people=((40, 40, 160, 300),))})
    return out


def test_report_renders_to_a_non_blank_screenshot(report_file, tmp_path):
    img = _screenshot(tmp_path, report_file)
    assert img.std() > 20
    colours = np.unique(img[::4, ::4].reshape(-1, 3) // 8, axis=0)
    assert len(colours) > 500  # photos and text, not a flat error page
    # the header band is the report's dark blue, the page below it light
    assert tuple(img[10, 640]) == pytest.approx((0x44, 0x2B, 0x1D), abs=6)


def test_every_image_decodes_in_the_browser(report_file, tmp_path):
    html = report_file.read_text(encoding="utf-8")
    expected = html.count('<img src="data:image/jpeg;base64,')
    assert expected == 5  # per event the baseline view and the frame, and the privacy snapshot
    probe = tmp_path / "probe.html"
    probe.write_text(_with_probe(html, keep_csp=False), encoding="utf-8")
    assert _loaded_images(tmp_path, probe) == f"{expected}/{expected}"


def test_the_content_security_policy_blocks_scripts(report_file, tmp_path):
    probe = tmp_path / "csp.html"
    probe.write_text(_with_probe(report_file.read_text(encoding="utf-8"), keep_csp=True), encoding="utf-8")
    assert _loaded_images(tmp_path, probe) is None


@pytest.mark.slow
def test_end_to_end_check_report_in_chromium(tmp_path):
    """A real check of the moved sample against a baseline of the normal one, its frames re-read
    for the report, rendered by Chromium."""
    from cctv_guard.tamper.baseline import build_baseline
    from cctv_guard.tamper.check import check_source

    moved = SAMPLES / "vtest_moved.mp4"
    if not moved.is_file():
        pytest.skip("samples not present")
    zones = {"must_see": [(100, 150), (380, 150), (380, 340), (100, 340)]}
    b = build_baseline(SAMPLES / "vtest_normal.mp4", end=20, zones=zones)
    result = check_source(moved, b, start=10.0).to_json()
    assert [e["kind"] for e in result["events"]] == ["moved"]
    frames = reports.grab_frames(moved, reports.event_times(result["events"]))
    out = reports.write_check_report(result, tmp_path / "r.html", frames=frames, baseline_image=b.profiles["day"].median,
                                     frame_size=b.frame_size, zones=b.must_see)
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/jpeg") == 2
    probe = tmp_path / "probe.html"
    probe.write_text(_with_probe(html, keep_csp=False), encoding="utf-8")
    assert _loaded_images(tmp_path, probe) == "2/2"
    assert _screenshot(tmp_path, out).std() > 20


@pytest.mark.slow
def test_check_cli_html_option(tmp_path):
    """`cctv-guard check ... --html` (the tamper core's command) writes this module's report,
    with the event's frame re-read from the footage beside the baseline view."""
    from typer.testing import CliRunner

    from cctv_guard.cli.app import app

    moved = SAMPLES / "vtest_moved.mp4"
    if not moved.is_file():
        pytest.skip("samples not present")
    runner = CliRunner()
    base = tmp_path / "cam.baseline"
    r = runner.invoke(app, ["baseline", str(SAMPLES / "vtest_normal.mp4"), "--out", str(base), "--end", "20",
                            "--zone", "must_see=100,150;380,150;380,340;100,340"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "report.html"
    r = runner.invoke(app, ["check", str(moved), "--baseline", str(base), "--start", "10", "--no-privacy", "--html", str(out)])
    assert r.exit_code == 1, r.output
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/jpeg") == 2 and 'id="event-1"' in html and 'id="art-8"' in html
    probe = tmp_path / "probe.html"
    probe.write_text(_with_probe(html, keep_csp=False), encoding="utf-8")
    assert _loaded_images(tmp_path, probe) == "2/2"


# --- Chinese without CJK fonts on the viewer's machine (issue 13 #16) ---------------------------------


def _latin_only_fontconfig(tmp: Path) -> dict[str, str]:
    """An environment in which Chromium sees only the Latin fonts of Debian's fonts-liberation."""
    import os

    latin = Path("/usr/share/fonts/truetype/liberation")
    if not latin.is_dir():
        pytest.skip("fonts-liberation not installed")
    conf = tmp / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{latin}</dir><cachedir>{tmp / "fc-cache"}</cachedir></fontconfig>',
                    encoding="utf-8")
    return dict(os.environ, FONTCONFIG_FILE=str(conf))


def _shot(tmp: Path, html: Path, env: dict[str, str] | None, name: str) -> np.ndarray:
    png = tmp / f"{name}.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={tmp / ('profile-' + name)}", f"--screenshot={png}", "--window-size=1280,400", html.as_uri()]
    r = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, env=env)
    img = cv2.imread(str(png))
    assert img is not None, r.stderr[-2000:]
    return img


def test_chinese_renders_with_the_embedded_font_where_no_cjk_font_is_installed(tmp_path):
    """The header of a --lang zh report, in a Chromium that sees no CJK font: with the embedded
    subset the Chinese looks as it does with Noto Sans CJK installed; without it, it is boxes."""
    from cctv_guard.reports import fonts

    if fonts.find_font() is None or "NotoSansCJK" not in fonts.find_font().name:
        pytest.skip("Noto Sans CJK not installed (CI installs fonts-noto-cjk)")
    doc = {"schema": reports.SCAN_SCHEMA, "items": []}
    page = reports.render_html(doc, lang="zh")
    assert "@font-face" in page
    embedded, stripped = tmp_path / "embedded.html", tmp_path / "stripped.html"
    embedded.write_text(page, encoding="utf-8")
    stripped.write_text(re.sub(r"@font-face\{[^}]*\}", "", page), encoding="utf-8")
    env = _latin_only_fontconfig(tmp_path)
    # the regulation's title under the report title: Chinese only, regular weight
    rows, cols = slice(54, 86), slice(20, 260)

    def grey(img: np.ndarray) -> np.ndarray:  # blurred: the glyphs' shapes, not their anti-aliasing
        return cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), (0, 0), 2)[:, cols].astype(int)

    with_font = grey(_shot(tmp_path, embedded, env, "with-font"))
    boxes = grey(_shot(tmp_path, stripped, env, "boxes"))
    system = grey(_shot(tmp_path, stripped, None, "system"))[rows]

    def unlike(img: np.ndarray) -> float:
        """Mean difference from the installed font's rendering, at the best vertical offset (the
        Latin fallback font changes the line heights a little)."""
        return min(float(np.abs(img[rows.start + dy:rows.stop + dy] - system).mean()) for dy in range(-6, 7))

    assert unlike(with_font) < 6  # the same glyphs as the installed Noto font
    assert unlike(boxes) > 3 * max(unlike(with_font), 1.0)  # without the embedded font: boxes
