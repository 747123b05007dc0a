"""Pictures for the reports: the baseline view and the offending frames with what each event
measured drawn on them, privacy snapshots with people blurred, and their JPEG encoding within the
page's size budget; plus re-reading the frames of events from the footage.

Images are numpy arrays (BGR, greyscale, BGRA, 16-bit: see ``detection.image.as_bgr8``) or
image file paths; they are drawn on copies, downscaled and JPEG-encoded so that a check with 20
events stays well under 5 MB (the budget shrinks them further when needed).
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np

from cctv_guard.core.errors import SourceError

MAX_IMAGE_SIDE = 800
MIN_IMAGE_SIDE = 240
JPEG_QUALITY = 70

Box = tuple[float, float, float, float]
ImageLike = np.ndarray | str | os.PathLike


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A frame behind a privacy finding. With ``annotated=False`` the report blurs ``people``
    (boxes in image pixels) and draws the finding's cue boxes; with ``annotated=True`` the image
    is shown as given (e.g. an evidence file from ``scan --evidence``, already blurred)."""

    image: ImageLike
    people: tuple[Box, ...] = ()
    annotated: bool = False


@dataclass(frozen=True)
class ReportImages:
    """Pictures for the HTML report.

    ``baseline``: the reference view; ``events``: event index -> offending frame; ``findings``:
    finding index -> snapshot (check@1); ``items``: item index -> snapshot (scan@1). A plain image
    given for a finding or item is shown as it is (taken as already annotated and blurred).
    ``frame_size`` (w, h) is the footage size in which ``shift_px`` and zones are measured
    (default: each image's own size); ``zones`` are the must-see polygons in footage pixels.
    """

    baseline: ImageLike | None = None
    events: Mapping[int, ImageLike] = field(default_factory=dict)
    findings: Mapping[int, Snapshot | ImageLike] = field(default_factory=dict)
    items: Mapping[int, Snapshot | ImageLike] = field(default_factory=dict)
    frame_size: tuple[int, int] | None = None
    zones: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)
    # applied to every picture before anything is drawn on it: privacy.publish.Masker.mask for a
    # report fit for publication (Order 799 Art. 22)
    mask: Callable[[np.ndarray], np.ndarray] | None = None


# --- drawing ---------------------------------------------------------------------------------------


def load_image(image: ImageLike) -> np.ndarray:
    """BGR uint8 from an array (any layout ``as_bgr8`` takes) or an image file."""
    from cctv_guard.detection.image import as_bgr8

    if isinstance(image, np.ndarray):
        return as_bgr8(image)
    p = Path(image)
    data = np.fromfile(str(p), dtype=np.uint8) if p.is_file() else None
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data is not None and data.size else None
    if img is None:
        raise SourceError(f"{p}: not a readable image")
    return as_bgr8(img)


def _homography(details: Mapping[str, Any]) -> np.ndarray | None:
    """``details["homography"]`` when it is a finite 3x3 matrix."""
    try:
        a = np.asarray(details.get("homography"), dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a if a.shape == (3, 3) and np.all(np.isfinite(a)) else None


def view_transform(details: Mapping[str, Any]) -> np.ndarray | None:
    """The baseline -> current mapping of an event, in footage pixels: ``details["homography"]``
    (3x3) when present, else the similarity made of ``shift_px``, ``rotation_deg`` and ``scale``
    (``None`` when the event carries no geometry). The similarity is written about the origin;
    ``_event_matrix`` moves it to the image centre, as ``drift.decompose`` measures it."""
    H = _homography(details)
    if H is not None:
        return H
    try:
        shift = details.get("shift_px")
        if shift is None and "rotation_deg" not in details and "scale" not in details:
            return None
        dx, dy = (float(v) for v in (shift or (0.0, 0.0)))
        th = math.radians(float(details.get("rotation_deg") or 0.0))
        s = float(details.get("scale") or 1.0)
    except (TypeError, ValueError):  # malformed measurements: drawn as an event without geometry
        return None
    if not all(math.isfinite(v) for v in (dx, dy, th, s)):
        return None
    return np.array([[s * math.cos(th), -s * math.sin(th), dx], [s * math.sin(th), s * math.cos(th), dy], [0, 0, 1.0]])


def _about_centre(T: np.ndarray, w: float, h: float) -> np.ndarray:
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1.0]])
    ci = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1.0]])
    return c @ T @ ci


def _thickness(img: np.ndarray) -> int:
    return max(2, round(max(img.shape[:2]) / 400))


def _poly(img: np.ndarray, pts: np.ndarray, colour, *, fill: float = 0.0) -> None:
    p = np.round(pts).astype(np.int32).reshape(-1, 1, 2)
    if fill > 0:
        layer = img.copy()
        cv2.fillPoly(layer, [p], colour)
        cv2.addWeighted(layer, fill, img, 1 - fill, 0, dst=img)
    cv2.polylines(img, [p], True, colour, _thickness(img), cv2.LINE_AA)


def _label(img: np.ndarray, text: str, org: tuple[int, int], colour) -> None:
    scale = max(0.45, max(img.shape[:2]) / 1600)
    t = max(1, _thickness(img) - 1)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, t)
    x = int(min(max(0, org[0]), max(0, img.shape[1] - tw - 4)))
    y = int(min(max(th + 4, org[1]), img.shape[0] - base - 2))
    cv2.rectangle(img, (x, y - th - 4), (x + tw + 4, y + base + 2), (0, 0, 0), -1)
    cv2.putText(img, text, (x + 2, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, t, cv2.LINE_AA)


GREEN, RED, YELLOW, CYAN = (60, 200, 60), (40, 40, 230), (0, 215, 255), (230, 200, 0)


def _event_matrix(event: Mapping[str, Any] | None, fw: float, fh: float) -> np.ndarray | None:
    """The event's baseline -> current mapping in footage pixels (see :func:`view_transform`)."""
    details = (event or {}).get("details")
    if not isinstance(details, Mapping):
        return None
    T = view_transform(details)
    if T is None:
        return None
    return T if _homography(details) is not None else _about_centre(T, fw, fh)


def _canvas(image: ImageLike, frame_size: tuple[int, int] | None, max_side: int | None) -> tuple[np.ndarray, float, float, float]:
    """A drawing copy of ``image`` (shrunk to ``max_side`` first: cheaper, and lines of the same
    weight in every picture), the footage size (w, h) its measurements refer to (default: the
    image's own size) and the footage -> canvas scale."""
    from cctv_guard.detection.image import limit_size

    img = load_image(image)
    fw, fh = frame_size or (img.shape[1], img.shape[0])
    if max_side:
        img, _ = limit_size(img, max_side)
    img = img.copy()
    return img, float(fw), float(fh), img.shape[1] / fw


def draw_baseline(image: ImageLike, zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                  frame_size: tuple[int, int] | None = None, event: Mapping[str, Any] | None = None,
                  *, max_side: int | None = None) -> np.ndarray:
    """A copy of the baseline view with the must-see zones outlined in green and, for an event
    that measured the camera's motion, the part of the baseline the camera now sees (red)."""
    img, fw, fh, k = _canvas(image, frame_size, max_side)
    h, w = img.shape[:2]
    for name, pts in (zones or {}).items():
        p = np.asarray(pts, np.float64) * k
        _poly(img, p, GREEN, fill=0.15)
        _label(img, str(name).encode("ascii", "replace").decode(), tuple(p.min(axis=0).astype(int) + 4), GREEN)
    M = _event_matrix(event, fw, fh)
    if M is not None and abs(np.linalg.det(M)) > 1e-12:
        outline = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float64).reshape(-1, 1, 2)
        seen = cv2.perspectiveTransform(outline, np.linalg.inv(M)).reshape(-1, 2) * k
        if np.all(np.isfinite(seen)):
            _poly(img, seen, RED)
            _label(img, "current view", tuple(np.clip(seen.mean(axis=0), 0, [w, h]).astype(int)), RED)
    return img


def draw_event_frame(image: ImageLike, event: Mapping[str, Any], *,
                     frame_size: tuple[int, int] | None = None,
                     zones: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                     max_side: int | None = None) -> np.ndarray:
    """A copy of an offending frame with what the event measured drawn on it: the baseline's
    outline mapped into this view (the coverage polygon, red), the must-see zones where they
    went (yellow), the shift of the baseline's centre (arrow), and a covered region (cyan)."""
    img, fw, fh, k = _canvas(image, frame_size, max_side)
    h, w = img.shape[:2]
    details = event.get("details") or {}
    M = _event_matrix(event, fw, fh)
    if M is not None:
        outline = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float64)
        mapped = cv2.perspectiveTransform(outline.reshape(-1, 1, 2), M).reshape(-1, 2) * k
        if np.all(np.isfinite(mapped)):
            _poly(img, mapped, RED, fill=0.12)
            inside = (mapped[:, 0] >= 0) & (mapped[:, 0] <= w) & (mapped[:, 1] >= 0) & (mapped[:, 1] <= h)
            if inside.any():  # a zoomed-in camera's old view lies wholly outside the frame
                x0, y0 = np.clip(mapped.min(axis=0), 0, [w, h]).astype(int)
                _label(img, "baseline view", (x0 + 6, y0 + 44), RED)
        for pts in (zones or {}).values():
            z = cv2.perspectiveTransform(np.asarray(pts, np.float64).reshape(-1, 1, 2), M).reshape(-1, 2) * k
            if np.all(np.isfinite(z)):
                _poly(img, z, YELLOW)
        c = np.array([fw / 2, fh / 2, 1.0])
        m = M @ c
        if abs(m[2]) > 1e-9:
            a = (c[:2] * k).astype(int)
            b = (m[:2] / m[2] * k)
            if np.all(np.isfinite(b)) and np.hypot(*(b - a)) >= 2:
                b = b.astype(int)
                cv2.arrowedLine(img, tuple(int(v) for v in a), tuple(int(v) for v in b), YELLOW,
                                _thickness(img) + 1, cv2.LINE_AA, tipLength=0.2)
                cv2.circle(img, tuple(int(v) for v in a), _thickness(img) * 2, YELLOW, -1)
    region = details.get("region") if isinstance(details, Mapping) else None
    if isinstance(region, (list, tuple)) and len(region) == 4 and all(isinstance(v, (int, float)) for v in region):
        x1, y1, x2, y2 = (float(v) for v in region)
        if max(x1, y1, x2, y2) <= 1.0:  # fractions of the frame
            x1, x2, y1, y2 = x1 * w, x2 * w, y1 * h, y2 * h
        else:
            x1, y1, x2, y2 = x1 * k, y1 * k, x2 * k, y2 * k
        _poly(img, np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]), CYAN, fill=0.2)
    return img  # kind and time are in the caption: nothing drawn over the view's corner


def draw_snapshot(snap: Snapshot | ImageLike, findings: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """A privacy snapshot ready to show: people blurred and cues drawn (``evidence.annotate``),
    unless it is a plain image / ``annotated=True`` snapshot, which is shown as given."""
    if not isinstance(snap, Snapshot):
        return load_image(snap)
    img = load_image(snap.image)
    if snap.annotated:
        return img
    from cctv_guard.media.evidence import annotate

    shaped = [
        SimpleNamespace(
            article=str(f.get("article") or "9"), zone=str(f.get("zone") or "?"),
            confidence=float(f.get("confidence") or 0.0),
            cues=[SimpleNamespace(cue=str(c.get("cue", "?")), score=float(c.get("score") or 0.0),
                                  box=tuple(c["box"]) if c.get("box") else None) for c in (f.get("cues") or [])],
        )
        for f in findings
    ]
    return annotate(img, shaped, list(snap.people), blur_people=True)


def encode_jpeg(image: np.ndarray, max_side: int = MAX_IMAGE_SIDE, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of a downscaled copy (longer side at most ``max_side``)."""
    from cctv_guard.detection.image import limit_size

    small, _ = limit_size(image, max_side)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise SourceError("cannot encode a report image as JPEG")
    return buf.tobytes()


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


# --- the pictures of one report ------------------------------------------------------------------------


@dataclass
class Pictures:
    """The images of one report, drawn and ready to encode (arrays, keyed by their slot)."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def encode(self, budget: int) -> dict[str, str]:
        side = MAX_IMAGE_SIDE
        while True:
            uris = {k: data_uri(encode_jpeg(a, side)) for k, a in self.arrays.items()}
            total = sum(len(u) for u in uris.values())
            if total <= budget or side <= MIN_IMAGE_SIDE:
                return uris
            side = max(MIN_IMAGE_SIDE, int(side * min(0.85, math.sqrt(budget / total))))


def prepare_pictures(report: Mapping[str, Any], images: ReportImages | None) -> Pictures:
    """Draw every picture a report shows (not yet encoded), keyed by slot: ``baseline``,
    ``baseline-<event>``, ``event-<event>``, ``finding-<finding>-<n>``, ``item-<item>-<n>``."""
    pics = Pictures()
    if images is None:
        return pics
    zones = dict(images.zones)
    events = report.get("events") or []
    side = MAX_IMAGE_SIDE
    raw = _masked(images.mask)
    if images.baseline is not None:
        base = raw(images.baseline)
        fs = images.frame_size or (base.shape[1], base.shape[0])
        pics.arrays["baseline"] = draw_baseline(base, zones, fs, max_side=side)
        for i in range(len(events)):
            if _event_matrix(events[i], *fs) is not None:
                pics.arrays[f"baseline-{i}"] = draw_baseline(base, zones, fs, events[i], max_side=side)
        if events and all(f"baseline-{i}" in pics.arrays for i in range(len(events))):
            del pics.arrays["baseline"]  # every event shows its own copy
    for i, img in images.events.items():
        if 0 <= int(i) < len(events):
            pics.arrays[f"event-{int(i)}"] = draw_event_frame(raw(img), events[int(i)], frame_size=images.frame_size,
                                                              zones=zones, max_side=side)
    findings = report.get("findings") or []
    for i, snaps in images.findings.items():
        if 0 <= int(i) < len(findings):
            for j, snap in enumerate(_as_list(snaps)):
                pics.arrays[f"finding-{int(i)}-{j}"] = draw_snapshot(_masked_snapshot(snap, raw), [findings[int(i)]])
    items = report.get("items") or []
    for i, snaps in images.items.items():
        if 0 <= int(i) < len(items):
            for j, snap in enumerate(_as_list(snaps)):
                pics.arrays[f"item-{int(i)}-{j}"] = draw_snapshot(_masked_snapshot(snap, raw),
                                                                 items[int(i)].get("findings") or [])
    return pics


def _masked(mask: Callable[[np.ndarray], np.ndarray] | None) -> Callable[[ImageLike], ImageLike]:
    """Load and mask a picture when a mask is given; else leave it as it is."""
    if mask is None:
        return lambda image: image
    return lambda image: mask(load_image(image))


def _masked_snapshot(snap: Any, raw: Callable[[ImageLike], ImageLike]) -> Any:
    if isinstance(snap, Snapshot):
        return replace(snap, image=raw(snap.image))
    return raw(snap)  # an evidence file: masked as it is, drawn labels included


def _as_list(snaps: Any) -> list:
    """One snapshot, or several (a list or tuple of them)."""
    return list(snaps) if isinstance(snaps, (list, tuple)) else [snaps]


def evidence_images(report: Mapping[str, Any], base: str | os.PathLike = ".") -> ReportImages:
    """The evidence snapshots a report names (``"evidence": [paths]`` on a scan@1 item or a
    check@1 finding, as written by ``--evidence DIR``; relative paths from ``base``), for
    :func:`render_html`. They are shown as they are: already annotated, people already blurred."""
    def files(entry: Mapping[str, Any]) -> list[Path]:
        out = []
        for p in entry.get("evidence") or []:
            if isinstance(p, str):
                path = Path(p) if Path(p).is_absolute() else Path(base) / p
                if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".bmp") and path.is_file():
                    out.append(path)
        return out

    items = {i: files(it) for i, it in enumerate(report.get("items") or []) if isinstance(it, Mapping)}
    findings = {i: files(f) for i, f in enumerate(report.get("findings") or []) if isinstance(f, Mapping)}
    return ReportImages(items={i: v for i, v in items.items() if v}, findings={i: v for i, v in findings.items() if v})


# --- pictures from the footage ----------------------------------------------------------------------------


def same_view(median: np.ndarray, frame: ImageLike, min_ncc: float = 0.5) -> bool:
    """Whether a frame shows the view of a baseline's grey median (normalised cross-correlation
    of the grey images, at the median's size)."""
    g = median if median.ndim == 2 else cv2.cvtColor(load_image(median), cv2.COLOR_BGR2GRAY)
    f = cv2.cvtColor(cv2.resize(load_image(frame), (g.shape[1], g.shape[0]), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    a, b = g.astype(np.float32) - g.mean(), f.astype(np.float32) - f.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return den > 0 and float((a * b).sum()) / den >= min_ncc


def colour_view(median: np.ndarray, frame: ImageLike) -> np.ndarray:
    """The baseline's grey median view in colour: its luminance stays the median's (people and
    cars that passed stay out), the colour (chroma) comes from a colour frame of the same view.
    A greyscale frame gives a grey view."""
    g = median if median.ndim == 2 else cv2.cvtColor(load_image(median), cv2.COLOR_BGR2GRAY)
    img = cv2.resize(load_image(frame), (g.shape[1], g.shape[0]), interpolation=cv2.INTER_AREA)
    ycc = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)
    ycc[..., 0] = g
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)


def event_times(events: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    """When to picture each event: when it was confirmed (the condition clearly held), else its start."""
    out = {}
    for i, ev in enumerate(events):
        t = ev.get("confirmed_s", ev.get("start_s"))
        if isinstance(t, (int, float)) and math.isfinite(t):
            out[i] = float(t)
    return out


def grab_frames(source: str | os.PathLike, times: Mapping[int, float], *, max_width: int = 2 * MAX_IMAGE_SIDE,
                window_s: float = 5.0) -> dict[int, np.ndarray]:
    """Re-read, from a file or image-folder source, the first frame at or after each time
    (key -> seconds); keys whose time has no frame within ``window_s`` are left out. For live
    streams the caller must keep the frames itself (a stream cannot be re-read)."""
    from cctv_guard.media.sources import open_source

    out: dict[int, np.ndarray] = {}
    with open_source(source) as src:
        for key, t in sorted(times.items(), key=lambda kv: kv[1]):
            for f in src.frames(start=max(0.0, t), end=max(0.0, t) + window_s, max_width=max_width):
                out[key] = f.image
                break
    return out
