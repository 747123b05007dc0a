"""Reading footage and images (the only place that opens them) and writing evidence pictures.

* :mod:`~cctv_guard.media.sources` — opening video files, image folders, images and streams: `open_source`.
* :mod:`~cctv_guard.media.decode` — a container's packets into frames, keyframes-only or sampled.
* :mod:`~cctv_guard.media.frame` — `Frame` and its conversions (BGR, grey at a size, thumbnails).
* :mod:`~cctv_guard.media.images` — image files: reading, natural order, times from names.
* :mod:`~cctv_guard.media.evidence` — annotated, privacy-blurred evidence snapshots.
* :mod:`~cctv_guard.media.layout` — where recordings live: path patterns with camera and date.

The names below are imported on first use (``from cctv_guard.media import open_source``), so
importing the package stays cheap: PyAV and OpenCV load only when footage is opened.
"""

from __future__ import annotations

from cctv_guard.core.lazy import lazy_exports

_EXPORTS = {
    "decode": ("DecodeStats", "MAX_CONSECUTIVE_CORRUPT"),
    "evidence": ("annotate", "blur_regions", "snapshot_name", "write_findings", "write_image"),
    "frame": ("Frame", "gray_at", "shrink_to_width"),
    "images": ("DEFAULT_IMAGE_INTERVAL_S", "IMAGE_SUFFIXES", "ImageItem", "image_times", "iter_images", "list_images",
               "natural_key", "read_image", "timestamp_from_name"),
    "layout": ("PathMatch", "RecordingsLayout", "parse_layout", "recordings_of_day"),
    "sources": ("STREAM_SCHEMES", "VIDEO_SUFFIXES", "Source", "SourceInfo", "SourceKind", "inter_coded", "is_stream_uri",
                "open_source"),
}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
