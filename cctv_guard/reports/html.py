"""The HTML reports, rendered by Jinja2 from the templates in ``cctv_guard/reports/templates``.

:func:`render_html` / :func:`write_html` make ONE file an inspector can open offline: inline CSS,
images as base64 JPEG, an embedded subset of a CJK font for its Chinese, no script, no external
resource (a Content-Security-Policy forbids them). The verdict first, then for each event the
baseline view (in colour when the footage is) beside the offending frame with the baseline's
outline, the must-see zones and the shift drawn, its evidence and measurements (internals folded
under ``<details>``); privacy findings with annotated snapshots (people blurred), a timeline of
events (inline SVG), the camera, and the articles cited (each citation numbered like its event).
:func:`write_check_report` / :func:`write_check_html` are what ``check --html`` calls.

Escaping: the templates are autoescaped, and every value a template prints passes through
:func:`_escape` (``html.escape`` with quotes) unless it is :class:`markupsafe.Markup` made by this
package's own templates. Python here only shapes the data; no markup is built as strings.
"""

from __future__ import annotations

import html as _html
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from cctv_guard import __version__
from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import SourceError
from cctv_guard.legal import articles
from cctv_guard.reports import fonts, views
from cctv_guard.reports import frames as fr
from cctv_guard.reports.i18n import LABELS, VERDICTS, Labels, Lang  # noqa: F401 (LABELS, VERDICTS: re-exported)
from cctv_guard.reports.model import (
    ARCHIVE_SCAN_SCHEMA,
    ARCHIVE_SCHEMAS,
    ARCHIVE_VERIFY_SCHEMA,
    CHECK_SCHEMA,
    SCAN_SCHEMA,
    camera_facts,
    clock,
    enrich,
    fmt_value,
)

SIZE_BUDGET = 5_000_000  # bytes of HTML, images included

_TITLES = {CHECK_SCHEMA: "title", SCAN_SCHEMA: "scan_title", ARCHIVE_SCAN_SCHEMA: "archive_scan_title",
           ARCHIVE_VERIFY_SCHEMA: "archive_verify_title"}


# --- the one Jinja2 environment ----------------------------------------------------------------------


def _escape(value: Any) -> Any:
    """Every printed value: Markup from a template as it is; anything else ``html.escape``d
    (quotes included, None as nothing)."""
    if hasattr(value, "__html__"):
        return value
    return Markup(_html.escape("" if value is None else str(value), quote=True))


def _join_text(values: Any, sep: str = ", ") -> str:
    """Plain-text join (escaped once, when printed), unlike Jinja's ``join`` which escapes each part."""
    return sep.join("" if v is None else str(v) for v in values)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every report page: templates from the installed package,
    autoescape on for every template, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cctv_guard.reports", "templates"),
        autoescape=True,
        finalize=_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(fmt=fmt_value, clock=clock)
    env.filters["join_text"] = _join_text
    return env


def render_template(name: str, **context: Any) -> str:
    """Render one of the package's templates (autoescaped)."""
    return environment().get_template(name).render(**context)


# --- the timeline --------------------------------------------------------------------------------------

_PALETTE = ["#c53030", "#dd6b20", "#b7791f", "#2b6cb0", "#6b46c1", "#2c7a7b", "#97266d", "#4a5568", "#276749"]


def _nice_step(span: float, ticks: int = 8) -> float:
    raw = max(span, 1e-6) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def timeline_svg(events: Sequence[Mapping[str, Any]], duration_s: float | None, labels: Labels | None = None, *,
                 width: int = 1100) -> str:
    """An inline SVG timeline: one lane per event kind (named in the report's language), a bar
    from start to end (open events run to the end, drawn with an arrow), ticks in the reports'
    one time format. Kinds and times are escaped."""
    L = labels or Labels("en")
    kinds = list(dict.fromkeys(str(ev.get("kind", "?")) for ev in events))
    ends = [float(x) for ev in events for x in (ev.get("start_s"), ev.get("end_s")) if isinstance(x, (int, float))]
    span = max([float(duration_s or 0.0), *ends, 1.0])
    left, right, lane_h, top = 150, 20, 26, 10
    lanes_h = lane_h * max(1, len(kinds))
    axis_y = top + lanes_h

    def x(s: float) -> float:
        return left + (width - left - right) * max(0.0, min(float(s), span)) / span

    ticks, t, step = [], 0.0, _nice_step(span)
    while t <= span + 1e-9:
        ticks.append({"x": f"{x(t):.1f}", "label": clock(t)})
        t += step
    bars = []
    for n, ev in enumerate(events):
        k = str(ev.get("kind", "?"))
        i = kinds.index(k)
        y = top + i * lane_h + 5
        s = ev.get("start_s") if isinstance(ev.get("start_s"), (int, float)) else 0.0
        end = ev.get("end_s")
        open_ = not isinstance(end, (int, float))
        x1 = x(s)
        x2 = max(x(span if open_ else end), x1 + 4)
        bars.append({
            "n": n + 1, "x": f"{x1:.1f}", "y": y, "width": f"{x2 - x1:.1f}", "height": lane_h - 10,
            "colour": _PALETTE[i % len(_PALETTE)], "tip": f"#{n + 1} {L.kind_name(k)} {clock(s)} – {'…' if open_ else clock(end)}",
            "arrow": (f"M{x2 - 8:.1f},{y - 2} L{x2:.1f},{y + (lane_h - 10) / 2:.1f} L{x2 - 8:.1f},{y + lane_h - 8}"
                      if open_ else None),
            "text_x": f"{x1 + 3:.1f}", "text_y": f"{y + lane_h - 14:.1f}",
        })
    lanes = [{"label": L.kind_name(k), "y": f"{top + i * lane_h + lane_h * 0.68:.1f}"} for i, k in enumerate(kinds)]
    return render_template(
        "timeline.svg", width=width, height=axis_y + 34, left=left, top=top, plot_w=width - left - right,
        lanes_h=lanes_h, axis_y=axis_y, lanes=lanes, ticks=ticks, bars=bars,
    )


# --- the page --------------------------------------------------------------------------------------------


def render_html(report: Mapping[str, Any], *, images: fr.ReportImages | None = None, lang: Lang = "both",
                camera: Any = None, budget: int = SIZE_BUDGET) -> str:
    """The self-contained HTML report of a check@1, scan@1 or archive dict (enriched here unless
    it has an ``articles`` section already)."""
    L = Labels(lang)
    doc = enrich(report, camera)  # idempotent: an enriched report keeps its camera section
    schema = str(doc.get("schema"))
    pics = fr.prepare_pictures(doc, images if schema not in ARCHIVE_SCHEMAS else None)
    uris = pics.encode(max(budget - 400_000, budget // 2))
    cam = doc.get("camera") if isinstance(doc.get("camera"), Mapping) else None
    if schema in ARCHIVE_SCHEMAS:
        template, view = "archive.html", views.archive_view(doc, L)
    elif schema == SCAN_SCHEMA:
        template, view = "scan.html", views.scan_view(doc, uris, L)
    else:
        template, view = "check.html", views.check_view(doc, uris, L)
        events = doc.get("events") or []
        view["timeline"] = Markup(timeline_svg(events, doc.get("duration_s"), L)) if events else None  # our own SVG
    reg = articles.regulation()
    context = dict(
        **L.context(), report=view, schema=schema, title=L.t(_TITLES.get(schema, "title")),
        title_camera=cam.get("id") if cam else "", title_source=doc.get("source", ""),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=doc.get("tool_version") or __version__, camera=views.camera_view(cam, L), regulation=reg,
        articles=views.article_views(doc.get("articles") or [], L),
    )
    return with_cjk_font(template, context)


def with_cjk_font(template: str, context: Mapping[str, Any]) -> str:
    """Render a page, then again with a subset of a CJK font embedded for the Chinese it shows
    (:mod:`cctv_guard.reports.fonts`); when no font can be embedded, with a note saying so."""
    page = render_template(template, **context, font_css="", font_note=None)
    css = fonts.font_face_css(page)
    if css == "":
        return page  # no Chinese on the page
    note = None if css else f"{LABELS['font_missing'][1]} {LABELS['font_missing'][0]}"
    return render_template(template, **context, font_css=Markup(css or ""), font_note=note)  # our own CSS


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a report file atomically (temp file in the same folder, then rename), creating its
    folder; an ordinary output file (0666 less the umask), not a private one."""
    return write_output(path, text)


def write_html(path: str | os.PathLike, report: Mapping[str, Any], **kwargs: Any) -> Path:
    """Render and write the HTML report atomically (temp file, then rename). Keyword arguments
    as for :func:`render_html`."""
    return write_text(path, render_html(report, **kwargs))


def write_check_report(result_json: Mapping[str, Any], html_path: str | os.PathLike, *,
                       frames: Mapping[int, fr.ImageLike] | Sequence[fr.ImageLike | None] | None = None,
                       baseline_image: fr.ImageLike | None = None, camera: Any = None,
                       frame_size: tuple[int, int] | None = None,
                       zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                       findings: Mapping[int, fr.Snapshot | fr.ImageLike] | None = None,
                       lang: Lang = "both", mask: Any = None) -> Path:
    """What ``check --html FILE`` calls: the check@1 dict, the offending frame of each event
    (a mapping event index -> image, or a list aligned with ``events``), the baseline view, the
    registry camera, the footage size and must-see zones (for drawing), privacy snapshots; ``mask``
    (``privacy.publish.Masker.mask``) masks every picture for publication."""
    if frames is None:
        ev_imgs: dict[int, fr.ImageLike] = {}
    elif isinstance(frames, Mapping):
        ev_imgs = dict(frames)
    else:
        ev_imgs = {i: f for i, f in enumerate(frames) if f is not None}
    if zones is None and camera is not None:
        cz = (camera_facts(camera) or {}).get("zones")
        if isinstance(cz, Mapping):  # the registry's must-see zones; privacy masks are not drawn
            zones = {k: [tuple(p) for p in v] for k, v in cz.items() if not str(k).lower().startswith("privacy")}
    imgs = fr.ReportImages(baseline=baseline_image, events=ev_imgs, findings=dict(findings or {}),
                           frame_size=frame_size, zones=dict(zones or {}), mask=mask)
    return write_html(html_path, result_json, images=imgs, camera=camera, lang=lang)


def baseline_view(baseline: Any, profile: str) -> Any:
    """The view of a baseline's profile as the report shows it: the grey median, in colour when
    the footage the baseline was built from is still readable (a file or folder) and in colour:
    its first frame of the profile's window gives the colour (:func:`frames.colour_view`), if it
    shows the same view. A baseline of a live stream stays grey."""
    prof = baseline.profiles[profile]
    src = Path(str(baseline.source or ""))
    if not str(baseline.source or "") or not src.exists():
        return prof.median
    try:
        got = fr.grab_frames(src, {0: float(prof.start_s or 0.0)})
    except SourceError:
        return prof.median
    if 0 not in got or not fr.same_view(prof.median, got[0]):
        return prof.median
    return fr.colour_view(prof.median, got[0])


def write_check_html(doc: Mapping[str, Any], path: str | os.PathLike, *, baseline: Any = None,
                     source: str | os.PathLike | None = None, camera: Any = None,
                     frames: Mapping[int, fr.ImageLike] | None = None,
                     findings: Mapping[int, Any] | None = None, lang: Lang = "both", mask: Any = None) -> Path:
    """``check --html``: the report of a check@1 dict against a ``cctv_guard.tamper.baseline.Baseline``
    (its median view, footage size and must-see zones are drawn). The offending frames are
    re-read from ``source`` (default: the report's own source) when it is a file or folder; for
    a live stream pass ``frames`` (event index -> image) kept during the check, or the report
    shows the events without pictures. ``findings``: privacy snapshots (finding index ->
    :class:`Snapshot`, or evidence files shown as given)."""
    if frames is None:
        src = Path(str(source if source is not None else doc.get("source") or ""))
        frames = {}
        if str(src) and src.exists() and doc.get("events"):
            try:
                frames = fr.grab_frames(src, fr.event_times(doc.get("events") or []))
            except SourceError:
                frames = {}  # the check itself read it; a report without pictures beats none
    base_img = frame_size = None
    zones: Mapping[str, Sequence[tuple[float, float]]] | None = None
    if baseline is not None:
        used = doc.get("profiles_used") or {}
        name = max(used, key=used.get) if used and max(used, key=used.get) in baseline.profiles else next(iter(baseline.profiles))
        base_img, frame_size, zones = baseline_view(baseline, name), tuple(baseline.frame_size), baseline.must_see
    return write_check_report(doc, path, frames=frames, baseline_image=base_img, camera=camera,
                              frame_size=frame_size, zones=zones, findings=findings, lang=lang, mask=mask)
