"""Reports an inspector hands on: the ``check@1`` / ``scan@1`` / archive JSON enriched with the
camera and the articles cited, a self-contained HTML report, a CSV/Markdown summary over many
cameras, and the fleet audit's summary page.

* :mod:`~cctv_guard.reports.model`: the report document (schemas, validation, :func:`enrich`).
* :mod:`~cctv_guard.reports.frames`: the pictures (drawing, JPEG budget, frames from footage).
* :mod:`~cctv_guard.reports.views`: what each page shows (verdict and pictures first, internals
  folded, citations numbered like the events).
* :mod:`~cctv_guard.reports.i18n`: the words in Chinese and English (``--lang zh|en|both``).
* :mod:`~cctv_guard.reports.fonts`: a subset of a CJK font embedded for the Chinese on a page.
* :mod:`~cctv_guard.reports.html`: the HTML pages, rendered by Jinja2 (autoescaped) from
  ``cctv_guard/reports/templates``.
* :mod:`~cctv_guard.reports.summary`: the many-camera CSV/Markdown summary.
* :mod:`~cctv_guard.reports.audit`: the fleet audit's ``summary.html``.

Import the names from here: ``from cctv_guard import reports; reports.write_html(...)``.
"""

from cctv_guard.reports.audit import audit_summary_html
from cctv_guard.reports.frames import (
    JPEG_QUALITY,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    Box,
    ImageLike,
    ReportImages,
    Snapshot,
    draw_baseline,
    draw_event_frame,
    draw_snapshot,
    encode_jpeg,
    event_times,
    evidence_images,
    grab_frames,
    load_image,
    view_transform,
)
from cctv_guard.reports.html import (
    SIZE_BUDGET,
    Lang,
    render_html,
    timeline_svg,
    write_check_html,
    write_check_report,
    write_html,
    write_text,
)
from cctv_guard.reports.model import (
    ARCHIVE_SCAN_SCHEMA,
    ARCHIVE_VERIFY_SCHEMA,
    CHECK_SCHEMA,
    SCAN_SCHEMA,
    cited_articles,
    enrich,
    load_report,
    validate_report,
)
from cctv_guard.reports.summary import (
    SUMMARY_FIELDS,
    SummaryRow,
    summary_rows,
    summary_text,
    write_summary,
)

__all__ = [
    "ARCHIVE_SCAN_SCHEMA",
    "ARCHIVE_VERIFY_SCHEMA",
    "CHECK_SCHEMA",
    "JPEG_QUALITY",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "SCAN_SCHEMA",
    "SIZE_BUDGET",
    "SUMMARY_FIELDS",
    "Box",
    "ImageLike",
    "Lang",
    "ReportImages",
    "Snapshot",
    "SummaryRow",
    "audit_summary_html",
    "cited_articles",
    "draw_baseline",
    "draw_event_frame",
    "draw_snapshot",
    "encode_jpeg",
    "enrich",
    "event_times",
    "evidence_images",
    "grab_frames",
    "load_image",
    "load_report",
    "render_html",
    "summary_rows",
    "summary_text",
    "timeline_svg",
    "validate_report",
    "view_transform",
    "write_check_html",
    "write_check_report",
    "write_html",
    "write_summary",
    "write_text",
]
