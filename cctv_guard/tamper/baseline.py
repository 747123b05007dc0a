"""Baseline: the reference field of view of one camera, and its file format.

A baseline is built from many frames of a window of known-good footage. Everything is stored
at the *analysis geometry* (ANALYSIS_WIDTH pixels wide, the footage's aspect ratio), so that
checks compare like with like whatever the footage's resolution:

* a temporal median image per lighting profile (robust to people and vehicles passing),
* ORB keypoints and descriptors of that median (for registration, see `drift`),
* per-cell texture and sharpness statistics with their natural spread over the window
  (see `health`), the luminance profile and colourfulness (IR night footage is greyscale),
  the temporal noise level of the sensor, between frames and at keyframes (for `frozen`),
* the original frame size and optional named polygons in original pixel coordinates
  (a must-see zone for Art. 7 coverage; zones named ``privacy*`` are privacy masks).

File format: one ``.npz`` (a zip) holding a JSON header (``format: "cctv-guard/baseline"``,
``version: 1``) and named arrays; written atomically (temp file, then ``os.replace``).
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping

import cv2
import numpy as np

from cctv_guard.core.atomic import write_output
from cctv_guard.core.errors import BaselineError
from cctv_guard.core.memory import reuse_frame_memory
from cctv_guard.core.progress import ProgressFn, report
from cctv_guard.media.frame import gray_at
from cctv_guard.media.sources import open_source
from cctv_guard.tamper import drift, health

FORMAT = "cctv-guard/baseline"
VERSION = 1

ANALYSIS_WIDTH = 480  # every measurement happens at this width (aspect kept)
FETCH_WIDTH = 640  # frames are decoded at most this wide (privacy hooks see these)
COLOUR_WIDTH = 64  # colourfulness is measured on a thumbnail this wide
GRID = (6, 8)  # rows, cols of the texture/sharpness cell grid
MAX_BASELINE_FRAMES = 60
KEYFRAME_SAMPLES = 30  # keyframes (each with the frame before it) measured for the keyframe noise
STATIC_EDGE_PERCENTILE = 25  # an edge present in at least 3 of 4 frames of the window is static structure
ASPECT_TOLERANCE = 0.02


# --- the analysis image ---------------------------------------------------------------------------


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of the analysis image for footage of this size."""
    w = min(ANALYSIS_WIDTH, int(width)) if width >= 64 else int(width)
    w = max(w, 1)
    h = max(1, int(round(height * w / max(width, 1))))
    return w, h


def colourfulness(image: np.ndarray) -> float:
    """Mean chroma of a BGR image (0 for greyscale, e.g. IR night footage), on a thumbnail."""
    if image.ndim == 2 or image.shape[2] == 1:
        return 0.0
    small = image
    if image.shape[1] != COLOUR_WIDTH:
        size = (COLOUR_WIDTH, max(1, image.shape[0] * COLOUR_WIDTH // max(image.shape[1], 1)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    b, g, r = (small[:, :, i].astype(np.float32) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.sqrt(rg.var() + yb.var()) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


def frame_colourfulness(frame) -> float:
    """`colourfulness` of a `media.Frame` (on its cheap thumbnail) or of anything with a BGR `.image`."""
    bgr = getattr(frame, "bgr", None)
    return colourfulness(bgr(COLOUR_WIDTH) if bgr is not None else frame.image)


# --- the data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One lighting profile (``day``, ``night``...) of a baseline."""

    name: str
    median: np.ndarray  # (h, w) uint8 temporal median at analysis size
    keypoints: np.ndarray  # (n, 2) float32, analysis pixels
    descriptors: np.ndarray  # (n, 32) uint8 ORB
    tex_mean: np.ndarray  # GRID float32: contrast-normalised texture per cell, mean over window
    tex_std: np.ndarray  # GRID float32: its spread over the window
    sharp_mean: np.ndarray  # GRID float32: contrast-normalised sharpness per cell
    sharp_std: np.ndarray  # GRID float32
    luma_cells: np.ndarray  # GRID float32: mean luminance per cell
    luma_mean: float
    luma_std: float
    colour: float  # colourfulness (0 = greyscale/IR)
    noise: float  # least change between consecutive frames (10th percentile of health.still_change)
    edge_ncc: float | None  # 10th percentile of the frames' edge likeness to the median (drift fast path)
    frames: int  # how many frames it was built from
    start_s: float | None
    end_s: float | None
    edge_core_ncc: float | None = None  # 10th percentile of the frames' drift.edge_core_likeness (fast path)
    # least change at a keyframe of inter-coded footage (10th percentile of health.still_change of
    # each keyframe against the frame before it): a live camera's keyframe brings fresh sensor
    # noise even where the inter frames of a still scene repeat exactly. None: unknown (intra-only
    # footage, images, or a baseline saved before it was measured)
    key_noise: float | None = None
    # measures added for scenes the detector was not tuned on (None in baselines saved before):
    tex2_mean: np.ndarray | None = None  # GRID float32: health.coarse_texture per cell, mean over the window
    edge_ratio: float | None = None  # median over the window of health.edge_ratios (whole frame)
    edge_ratio_cells: np.ndarray | None = None  # health.EDGE_REGIONS float32: the same per region
    # the scene's static structure: the 25th percentile over the window of each frame's edge
    # image (drift.edge_image), so edges of people and vehicles passing fall away and what stays
    # in place remains; drift registers against it and verifies a camera move with it
    static_edges: np.ndarray | None = None
    static_core_ncc: float | None = None  # 10th percentile of the frames' drift.static_likeness


@dataclass(frozen=True)
class Baseline:
    frame_size: tuple[int, int]  # (width, height) of the footage it was built from
    analysis_size: tuple[int, int]  # (w, h)
    profiles: Mapping[str, Profile]
    zones: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    source: str = ""
    created_with: str = ""

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            raise BaselineError(f"baseline has no profile {name!r} (has: {', '.join(self.profiles)})") from None

    @property
    def must_see(self) -> dict[str, tuple[tuple[float, float], ...]]:
        """Zones checked for coverage (every zone not named privacy*)."""
        return {k: v for k, v in self.zones.items() if not k.lower().startswith("privacy")}

    @property
    def privacy_masks(self) -> dict[str, tuple[tuple[float, float], ...]]:
        return {k: v for k, v in self.zones.items() if k.lower().startswith("privacy")}


# --- building -------------------------------------------------------------------------------------------


def build_profile(name: str, images: Iterable[np.ndarray], times: Iterable[float] | None = None) -> tuple[Profile, tuple[int, int]]:
    """A profile from BGR frames (pure). Returns it with the frames' (width, height)."""
    images = list(images)
    if not images:
        raise BaselineError("no frames to build a baseline from")
    fh, fw = images[0].shape[:2]
    size = analysis_size(fw, fh)
    grays, colours = [], []
    for img in images:
        if img.shape[:2] != (fh, fw):
            img = cv2.resize(img, (fw, fh), interpolation=cv2.INTER_AREA)
        grays.append(gray_at(img, size))
        colours.append(colourfulness(img))
    return profile_from_grays(name, grays, colours, times), (fw, fh)


def profile_from_grays(
    name: str,
    grays: list[np.ndarray],
    colours: list[float],
    times: Iterable[float] | None = None,
    keyframes: list[bool] | None = None,
) -> Profile:
    """A profile from frames already in grey at the analysis size, with their colourfulness
    and, for decoded footage, which of them were keyframes (pure)."""
    if not grays:
        raise BaselineError("no frames to build a baseline from")
    times = list(times) if times is not None else [float(i) for i in range(len(grays))]
    stats = [health.cell_stats(g, GRID) for g in grays]
    stack = np.stack(grays)
    median = np.median(stack, axis=0).astype(np.uint8) if len(grays) > 2 else grays[len(grays) // 2]
    kp, desc = drift.features(median, drift.BASELINE_FEATURES)
    tex = np.stack([s.tex for s in stats])
    sharp = np.stack([s.sharp for s in stats])
    changes = [health.still_change(b, a, GRID) for a, b in zip(grays, grays[1:])]
    diffs = [d for d in changes if d > 0.005]  # ignore duplicated frames (low-fps cameras re-muxed)
    edges = np.stack([drift.edge_image(g) for g in grays])
    static_edges = np.percentile(edges, STATIC_EDGE_PERCENTILE, axis=0).astype(np.float32) if len(grays) > 2 else edges.mean(axis=0)
    ratios = [health.edge_ratios(g) for g in grays]
    whole = [r[0] for r in ratios if np.isfinite(r[0])]
    key_noise = None
    if keyframes is not None and len(keyframes) == len(grays) and not all(keyframes):
        # inter-coded footage: how much the picture changes where the encoder refreshes it
        key_diffs = [d for d, key in zip(changes, keyframes[1:]) if key and d > 0.005]
        key_noise = float(np.percentile(key_diffs, 10)) if key_diffs else None
    return Profile(
        name=name,
        median=median,
        keypoints=kp,
        descriptors=desc,
        tex_mean=tex.mean(axis=0).astype(np.float32),
        tex_std=tex.std(axis=0).astype(np.float32),
        sharp_mean=np.median(sharp, axis=0).astype(np.float32),
        sharp_std=sharp.std(axis=0).astype(np.float32),
        luma_cells=health.cell_stats(median, GRID).mean.astype(np.float32),
        luma_mean=float(stack.mean()),
        luma_std=float(np.median([g.std() for g in grays])),
        colour=float(np.median(colours)),
        noise=float(np.percentile(diffs, 10)) if diffs else 0.0,
        edge_ncc=float(np.percentile([drift.edge_likeness(g, median) for g in grays], 10)) if len(grays) > 1 else None,
        edge_core_ncc=float(np.percentile([drift.edge_core_likeness(g, median) for g in grays], 10)) if len(grays) > 1 else None,
        key_noise=key_noise,
        tex2_mean=np.mean([health.coarse_texture(g, GRID) for g in grays], axis=0).astype(np.float32),
        edge_ratio=float(np.median(whole)) if whole else None,
        edge_ratio_cells=np.nanmedian(np.stack([r[1] for r in ratios]), axis=0).astype(np.float32) if whole else None,
        static_edges=static_edges,
        static_core_ncc=float(np.percentile([drift.static_likeness(e, static_edges) for e in edges], 10)),
        frames=len(grays),
        start_s=float(times[0]) if times else None,
        end_s=float(times[-1]) if times else None,
    )


def _window_frames(source_uri, *, start, end, every, progress: ProgressFn | None, fits: Baseline | None = None):
    """Grey analysis images, colourfulness, times and keyframe flags of the frames of [start, end)
    of a source (about MAX_BASELINE_FRAMES, evenly spread, plus every keyframe with the frame
    before it), with its frame size and URI. With `fits`, the footage must fit that baseline and
    is measured at its analysis size; `progress` hears the seconds of the window read."""
    with open_source(source_uri) as src:
        info = src.info
        if fits is not None:
            check_fits(fits, (info.width, info.height))
        size = fits.analysis_size if fits is not None else analysis_size(info.width, info.height)
        lo = start or 0.0
        hi = end if end is not None else info.duration_s
        if every is None:
            if hi is not None and hi > lo:
                every = max((hi - lo) / MAX_BASELINE_FRAMES, 1.0 / (info.fps or 25.0) * 0.999)
            else:
                every = 1.0
        grays, colours, times, keys = [], [], [], []
        key_every = (hi - lo) / KEYFRAME_SAMPLES if hi is not None and hi > lo else 0.0
        for f in src.frames(every=every, start=start, end=end, max_width=FETCH_WIDTH, with_keyframes=key_every):
            report(progress, f.t - lo, (hi - lo) if hi is not None else None, "s")
            try:
                gray, colour = f.gray(size), frame_colourfulness(f)
            except ValueError:  # a picture that cannot be converted: left out like a corrupt one
                continue
            grays.append(gray)
            colours.append(colour)
            times.append(f.t)
            keys.append(bool(f.keyframe))
            if len(grays) >= 4 * MAX_BASELINE_FRAMES and hi is None:
                break
        # keyframes of inter-coded footage stay, each with the frame before it
        at_keys = set() if all(keys) else {j for i, k in enumerate(keys) if k for j in (i - 1, i) if j >= 0}
        if len(grays) - len(at_keys) > MAX_BASELINE_FRAMES:  # evenly thin out (images/streams of unknown length)
            keep = sorted(at_keys | set(np.linspace(0, len(grays) - 1, MAX_BASELINE_FRAMES).round().astype(int).tolist()))
            grays, colours, times, keys = ([seq[i] for i in keep] for seq in (grays, colours, times, keys))
        if not grays:
            raise BaselineError(
                f"no frames in the window [{lo:g}, {'end' if end is None else f'{end:g}'}) s of {info.uri}"
                f" (footage is {info.duration_s or 0:.1f} s long)"
            )
        return grays, colours, times, keys, (info.width, info.height), info.uri


def build_baseline(
    source_uri: str | os.PathLike,
    *,
    start: float | None = None,
    end: float | None = None,
    every: float | None = None,
    zones: Mapping[str, Iterable[tuple[float, float]]] | None = None,
    profile: str = "day",
    progress: ProgressFn | None = None,
) -> Baseline:
    """Build a baseline from frames of [start, end) seconds of a source (default: all of it,
    sampled to at most MAX_BASELINE_FRAMES frames); `progress` hears the seconds of it read."""
    reuse_frame_memory()
    grays, colours, times, keys, frame_size, uri = _window_frames(source_uri, start=start, end=end, every=every, progress=progress)
    prof = profile_from_grays(profile, grays, colours, times, keys)
    from cctv_guard import __version__

    size = analysis_size(*frame_size)
    clean_zones = {k: _check_polygon(k, v, frame_size) for k, v in (zones or {}).items()}
    return Baseline(frame_size, size, {profile: prof}, clean_zones, uri, f"cctv-guard {__version__}")


def add_profile(
    baseline: Baseline,
    source_uri: str | os.PathLike,
    name: str,
    *,
    start: float | None = None,
    end: float | None = None,
    every: float | None = None,
    progress: ProgressFn | None = None,
) -> Baseline:
    """A copy of `baseline` with one more (or a replaced) lighting profile, e.g. ``night``."""
    grays, colours, times, keys, _, _ = _window_frames(source_uri, start=start, end=end, every=every, progress=progress, fits=baseline)
    prof = profile_from_grays(name, grays, colours, times, keys)
    profiles = dict(baseline.profiles)
    profiles[name] = prof
    return replace(baseline, profiles=profiles)


def outdated_for(baseline: Baseline, inter_coded: bool) -> list[str]:
    """What a baseline lacks that newer ones measure, for footage of a kind (one line each; empty
    when nothing): a check still runs, the older way, and the user is told to rebuild it."""
    notes = []
    if any(p.edge_core_ncc is None for p in baseline.profiles.values()):
        notes.append("the baseline predates the drift fast path on its strongest edges: checks are slower"
                     " and a 2 % zoom can pass; rebuild it to get both")
    if any(p.static_edges is None or p.tex2_mean is None or p.edge_ratio is None for p in baseline.profiles.values()):
        notes.append("the baseline predates the measures for scenes never seen (static structure, edge sharpness,"
                     " pattern kept): camera moves on busy or patterned scenes, translucent covers and defocus under"
                     " sensor noise are judged the older way; rebuild it to get them")
    if inter_coded and any(p.key_noise is None for p in baseline.profiles.values()):
        notes.append("the baseline has no measure of the picture's change at keyframes (its window held no"
                     " keyframe after the first frame, or it was built from images or by an older cctv-guard):"
                     " a still scene under heavy compression may read as frozen and keyframes-only checks miss"
                     " most freezes; rebuild it from at least 10 s of this camera's video")
    return notes


def check_fits(baseline: Baseline, frame_size: tuple[int, int]) -> None:
    """Raise BaselineError unless footage of `frame_size` can be compared with the baseline
    (same size, or same aspect ratio: everything is compared at the analysis size)."""
    bw, bh = baseline.frame_size
    w, h = frame_size
    if (w, h) == (bw, bh):
        return
    if abs((w / h) / (bw / bh) - 1.0) > ASPECT_TOLERANCE:
        raise BaselineError(
            f"baseline was built from {bw}x{bh} footage but this footage is {w}x{h}: the aspect ratios differ"
            " (a different camera or a cropped view); build a baseline from this camera's footage"
        )
    aw = baseline.analysis_size[0]
    if w < aw:  # upscaling would blur it and every check would see a defocused lens
        raise BaselineError(
            f"this footage is {w}x{h}, smaller than the {aw}-pixel-wide analysis size of the baseline"
            f" (built from {bw}x{bh}); build a baseline from this stream"
        )


def _check_polygon(name, points, frame_size) -> tuple[tuple[float, float], ...]:
    from cctv_guard.core.zones import make_zone

    return make_zone(name, points, frame_size).points


# --- the file format ------------------------------------------------------------------------------------

_PROFILE_ARRAYS = ("median", "keypoints", "descriptors", "tex_mean", "tex_std", "sharp_mean", "sharp_std", "luma_cells")
_OPTIONAL_ARRAYS = ("tex2_mean", "edge_ratio_cells", "static_edges")  # added within version 1: older files lack them
_PROFILE_SCALARS = ("luma_mean", "luma_std", "colour", "noise", "edge_ncc", "frames", "start_s", "end_s", "edge_core_ncc", "key_noise",
                    "edge_ratio", "static_core_ncc")


def to_bytes(b: Baseline) -> bytes:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "frame_size": list(b.frame_size),
        "analysis_size": list(b.analysis_size),
        "grid": list(GRID),
        "zones": {k: [list(p) for p in v] for k, v in b.zones.items()},
        "source": b.source,
        "created_with": b.created_with,
        "edge_method": health.EDGE_METHOD,
        "profiles": {
            name: {k: getattr(p, k) for k in _PROFILE_SCALARS} for name, p in b.profiles.items()
        },
    }
    arrays = {"header": np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)}
    for i, (name, p) in enumerate(b.profiles.items()):
        for k in _PROFILE_ARRAYS:
            arrays[f"p{i}.{k}"] = getattr(p, k)
        for k in _OPTIONAL_ARRAYS:
            if getattr(p, k) is not None:
                arrays[f"p{i}.{k}"] = getattr(p, k)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def save_baseline(b: Baseline, path: str | os.PathLike) -> Path:
    """Write atomically (`core.atomic.write_output`): nothing half-written survives a crash."""
    path = Path(path)
    data = to_bytes(b)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise BaselineError(f"cannot write {path}: folder {parent} does not exist")
    write_output(path, data)
    return path


MAX_FRAME_SIDE = 16384  # pixels: larger than any camera; a header beyond it is corrupt or hostile


def _finite_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_baseline(path: str | os.PathLike) -> Baseline:
    path = Path(path)
    if not path.exists():
        raise BaselineError(f"no such baseline file: {path}")
    if path.is_dir():
        raise BaselineError(f"expected a baseline file, found a folder: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    return from_bytes(data, str(path))


MAX_ARRAY_BYTES = 256 << 20  # all the arrays of a baseline together; a real one holds a few MB


def _refuse_huge_arrays(data: bytes, name: str) -> None:
    """Raise BaselineError when the arrays of an .npz declare more than MAX_ARRAY_BYTES in their
    .npy headers, before any is allocated (a small file can declare a 60000x60000 array). Only the
    headers are decompressed; a malformed archive raises what zipfile/numpy raise."""
    from numpy.lib import format as npy

    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            with zf.open(info) as fh:
                major, _ = npy.read_magic(fh)
                read_header = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
                shape, _, dtype = read_header(fh)
                total += math.prod(shape) * dtype.itemsize
    if total > MAX_ARRAY_BYTES:
        raise BaselineError(f"{name} is not a plausible baseline: its arrays declare {total / 2**20:,.0f} MiB "
                            f"(a baseline holds a few MiB; the limit is {MAX_ARRAY_BYTES >> 20} MiB)")


def from_bytes(data: bytes, name: str = "baseline") -> Baseline:
    if not data:
        raise BaselineError(f"{name} is empty, not a cctv-guard baseline")
    try:
        _refuse_huge_arrays(data, name)
        npz = np.load(io.BytesIO(data), allow_pickle=False)
        files = set(npz.files)
        header = json.loads(bytes(npz["header"]).decode("utf-8"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, json.JSONDecodeError):
        raise BaselineError(f"{name} is not a cctv-guard baseline (unreadable or corrupt)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BaselineError(f"{name} is not a cctv-guard baseline (format is {header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("version") != VERSION:
        raise BaselineError(f"{name} is baseline format version {header.get('version')!r}; this cctv-guard reads version {VERSION}")
    try:
        if tuple(header["grid"]) != GRID:
            raise BaselineError(f"{name} uses a {header['grid']} cell grid; this cctv-guard uses {list(GRID)}")
        profiles = {}
        for i, (pname, scalars) in enumerate(header["profiles"].items()):
            arrs = {}
            for k in _PROFILE_ARRAYS:
                key = f"p{i}.{k}"
                if key not in files:
                    raise BaselineError(f"{name} is corrupt: profile {pname!r} lacks {k}")
                arrs[k] = npz[key]
            for k in _OPTIONAL_ARRAYS:
                arrs[k] = npz[f"p{i}.{k}"] if f"p{i}.{k}" in files else None
            optional = {"edge_ncc": None, "edge_core_ncc": None, "key_noise": None,  # added within version 1: older files lack them
                        "edge_ratio": None, "static_core_ncc": None}
            values = {k: scalars[k] if k in scalars or k not in optional else optional[k] for k in _PROFILE_SCALARS}
            bad = [k for k, v in values.items() if v is not None and not _finite_number(v)]
            if bad:
                raise BaselineError(f"{name} is corrupt: profile {pname!r} has a non-numeric {bad[0]}")
            if header.get("edge_method") != health.EDGE_METHOD:
                # edge sharpness measured another way: not comparable, judged the older way
                values["edge_ratio"], arrs["edge_ratio_cells"] = None, None
            profiles[pname] = Profile(name=pname, **arrs, **values)
        aw, ah = (int(v) for v in header["analysis_size"])
        fw, fh = (int(v) for v in header["frame_size"])
        if not all(0 < v <= MAX_FRAME_SIDE for v in (aw, ah, fw, fh)):
            raise BaselineError(f"{name} is corrupt: frame size {fw}x{fh} / analysis size {aw}x{ah} out of range")
        for p in profiles.values():
            if p.median.shape != (ah, aw) or p.median.dtype != np.uint8 or p.tex_mean.shape != GRID:
                raise BaselineError(f"{name} is corrupt: profile {p.name!r} has arrays of the wrong shape")
            if p.descriptors.ndim != 2 or len(p.descriptors) != len(p.keypoints):
                raise BaselineError(f"{name} is corrupt: profile {p.name!r} keypoints and descriptors disagree")
            if (p.tex2_mean is not None and p.tex2_mean.shape != GRID) or (
                p.edge_ratio_cells is not None and p.edge_ratio_cells.shape != health.EDGE_REGIONS
            ) or (p.static_edges is not None and p.static_edges.shape != drift.edge_image_shape((aw, ah))):
                raise BaselineError(f"{name} is corrupt: profile {p.name!r} has arrays of the wrong shape")
        if not profiles:
            raise BaselineError(f"{name} holds no profiles")
        zones = {str(k): tuple((float(x), float(y)) for x, y in v) for k, v in header.get("zones", {}).items()}
        return Baseline((fw, fh), (aw, ah), profiles, zones, str(header.get("source", "")), str(header.get("created_with", "")))
    except BaselineError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OSError, zipfile.BadZipFile, EOFError):
        raise BaselineError(f"{name} is corrupt (header or arrays do not match the baseline format)") from None


__all__ = [
    "ANALYSIS_WIDTH",
    "Baseline",
    "BaselineError",
    "GRID",
    "Profile",
    "add_profile",
    "analysis_size",
    "build_baseline",
    "build_profile",
    "check_fits",
    "outdated_for",
    "colourfulness",
    "frame_colourfulness",
    "from_bytes",
    "load_baseline",
    "profile_from_grays",
    "save_baseline",
    "to_bytes",
]
