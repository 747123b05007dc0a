"""Art. 9 privacy scan of images, folders of snapshots, videos and streams: frames are sampled,
analysed for cues (`cues`), and the cues fused into findings (`fusion`) that cite the clause a
camera's view breaks; each source becomes a `ScanItem` with a verdict, a run a `ScanReport`
(the scan@1 JSON of DESIGN.md §3).

How a verdict comes about (DESIGN.md §1, issue 3):

1. Every frame yields *cues*. A cue names an Art. 9 zone and carries evidence = weight × score,
   in log-odds units: "detector:toilet" at 0.8 adds 4.0 × 0.8, "classifier:pillow" at 0.3 adds
   2.0 × 0.3, "ocr:卫生间" read at 0.95 adds 4.0 × 0.95. Weights come from the config (`config`)
   and say how strongly the cue alone implies the zone.
2. Within a frame, cues of related zones are summed per zone family with co-occurrence bonuses;
   across frames the per-frame evidence accumulates with a geometric decay; a calibrated
   logistic turns evidence into a confidence, and a family reaching `threshold` is a finding
   (`fusion`).
3. Cues whose box lies in a declared privacy mask do not count (masked pixels are also greyed
   out before the classifier and sign reader see the frame). A view too dark, flat (covered) or
   blurred to judge makes the item `inconclusive` unless a finding was made anyway (`view`).
4. Videos are sampled sparsely: a frame is analysed only when its view differs from every view
   analysed before, and signs are read on a few frames spread over the source.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Sequence

import numpy as np

from cctv_guard.core.errors import SourceError
from cctv_guard.core.progress import Progress, ProgressFn, report
from cctv_guard.core.redact import redact_uri
from cctv_guard.privacy.config import PrivacyConfig
from cctv_guard.privacy.cues import FrameCues, PrivacyModels, analyse_frame, load_models, read_signs
from cctv_guard.privacy.fusion import Finding, fuse_frame, fuse_frames
from cctv_guard.privacy.view import ViewQuality, scale_polygons, thumbnail, view_changed

SCHEMA = "cctv-guard/scan@1"

# --- results ------------------------------------------------------------------------------------

Verdict = Literal["prohibited", "clear", "inconclusive"]


@dataclass(frozen=True)
class ScanItem:
    """The result for one image or video. `reason` says why it is inconclusive; `frames_analyzed`
    how many frames the models saw; `evidence` the snapshot files written for it."""

    source: str
    verdict: Verdict
    findings: tuple[Finding, ...]
    frames_analyzed: int = 0
    reason: str | None = None
    evidence: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"source": self.source, "verdict": self.verdict, "findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass(frozen=True)
class ScanReport:
    """All items of one scan, plus the inputs that could not be read (counted, not items)."""

    items: tuple[ScanItem, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def prohibited(self) -> int:
        return sum(1 for i in self.items if i.verdict == "prohibited")

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "items": [i.to_json() for i in self.items],
                "skipped": [{"source": redact_uri(str(s.source)) or "", "reason": s.reason} for s in self.skipped]}


def verdict_of(findings: Sequence[Finding], frames: Sequence[FrameCues]) -> tuple[Verdict, str | None]:
    """prohibited when there are findings; inconclusive when no analysed frame could be judged;
    otherwise clear."""
    if findings:
        return "prohibited", None
    if not frames:
        return "inconclusive", "no frames analysed"
    if not any(f.quality.judgeable for f in frames):
        reasons = sorted({f.quality.reason or "" for f in frames})
        return "inconclusive", "view " + "/".join(r for r in reasons if r)
    return "clear", None


# --- analysing a stream of frames ---------------------------------------------------------------


class _OcrPlan:
    """Reads signs on at most `n` judgeable frames, spread over the source's duration (the first
    judgeable frame at or after each of n evenly spaced times; the first n when it is unknown)."""

    def __init__(self, n: int, duration: float | None) -> None:
        self.n, self.done = n, 0
        self.targets = [duration * k / n for k in range(n)] if (duration and n) else None
        self.t = 0.0

    def __call__(self, quality: ViewQuality) -> bool:
        if self.done >= self.n or not quality.judgeable:
            return False
        if self.targets is not None and self.t < self.targets[self.done] - 1e-6:
            return False
        self.done += 1
        return True


@dataclass(frozen=True)
class _Analysis:
    frames: tuple[FrameCues, ...]
    images: dict[int, np.ndarray] = field(default_factory=dict)  # frame index → image (evidence)


def _analyse_stream(
    frames: Iterable,
    models: PrivacyModels,
    cfg: PrivacyConfig,
    *,
    ocr: bool,
    duration: float | None,
    keep_images: bool = False,
    progress: ProgressFn | None = None,
    detail: str = "",
    masks=None,
    mask_size: tuple[int, int] | None = None,
) -> _Analysis:
    """Analyse frames whose view differs from every view analysed so far; OCR a few of them.
    `progress` hears the seconds of footage done (of `duration`)."""
    plan = _OcrPlan(cfg.ocr.frames_per_source if (ocr and cfg.ocr.enabled) else 0, duration)
    analysed: list[FrameCues] = []
    images: dict[int, np.ndarray] = {}
    best_ev: dict[str, tuple[float, int]] = {}
    seen: list[np.ndarray] = []  # thumbnails of the views analysed so far
    for fr in frames:
        report(progress, min(fr.t, duration) if duration else fr.t, duration or None, "s", detail)
        thumb = thumbnail(fr.image)
        # skip a view already analysed: the same fixed view, or a preset the camera returns to
        if any(not view_changed(old, thumb, cfg.sampling.change_threshold) for old in seen[-64:]):
            continue
        seen.append(thumb)
        plan.t = fr.t
        fmasks = _masks_for(fr.image, masks, mask_size)
        fc = analyse_frame(fr.image, models, cfg, ocr=plan, index=fr.index, t=fr.t, masks=fmasks)
        analysed.append(fc)
        if keep_images:  # keep the best frame of each family for its snapshot
            for fam, ev in fuse_frame(fc.cues, cfg).items():
                if ev.evidence > best_ev.get(fam, (-1.0, -1))[0]:
                    best_ev[fam] = (ev.evidence, fc.index)
                    images[fc.index] = fr.image
            wanted = {i for _, i in best_ev.values()}
            images = {i: im for i, im in images.items() if i in wanted}
    return _Analysis(tuple(analysed), images)


def _masks_for(image: np.ndarray, masks, mask_size: tuple[int, int] | None):
    """Masks in the pixels of `image`: scaled from `mask_size` (w, h) when given."""
    if not masks or mask_size is None:
        return masks
    h, w = image.shape[:2]
    sx, sy = w / mask_size[0], h / mask_size[1]
    if (sx, sy) == (1.0, 1.0):
        return masks
    return scale_polygons(masks, sx, sy)


def scan_frames(
    frames: Sequence,
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    masks=None,
    mask_size: tuple[int, int] | None = None,
) -> list[Finding]:
    """Privacy findings over already decoded frames (objects with .image, .t, .index) — what
    `check` calls on its sampled frames. Unchanged views are skipped; OCR runs on a few frames.
    `masks` are polygons in frame pixels, or in a frame of `mask_size` (w, h) when the frames
    were downscaled (a baseline's privacy zones); they default to the config's."""
    cfg = config or PrivacyConfig()
    if not frames:
        return []
    models = models or load_models(cfg, ocr=ocr and cfg.ocr.enabled)
    duration = frames[-1].t - frames[0].t if len(frames) > 1 else None
    analysis = _analyse_stream(frames, models, cfg, ocr=ocr, duration=duration, masks=masks, mask_size=mask_size)
    return fuse_frames(analysis.frames, cfg)


def check_hook(baseline=None, *, config: PrivacyConfig | None = None, models: PrivacyModels | None = None,
               ocr: bool = True) -> Callable[[Sequence], list[dict]]:
    """The `privacy_fn` that `check`, `audit` and `watch` hand their frames to: findings as
    check@1 dicts, with the baseline's privacy* zones as masks (in the baseline's frame size).
    Models load on first use and are shared by every hook in the process."""
    masks = tuple(baseline.privacy_masks.values()) if baseline is not None else ()
    size = baseline.frame_size if baseline is not None else None

    def run(frames: Sequence) -> list[dict]:
        use = models or load_models(config, ocr=ocr)
        found = scan_frames(frames, config=config, models=use, ocr=ocr, masks=masks or None, mask_size=size)
        return [f.to_json() for f in found]

    return run


# --- scanning sources ---------------------------------------------------------------------------


def _item(source: str, analysis: _Analysis, cfg: PrivacyConfig) -> ScanItem:
    findings = fuse_frames(analysis.frames, cfg)
    verdict, reason = verdict_of(findings, analysis.frames)
    return ScanItem(source, verdict, tuple(findings), len(analysis.frames), reason)


def scan_image(
    image_bgr: np.ndarray,
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    source: str = "<image>",
    masks=None,
) -> ScanItem:
    """Scan one still image. Signs are read according to ocr.stills ("always" by default;
    "unless_prohibited" skips the sign reader when the detector and classifier already decided)."""
    return _scan_still(image_bgr, config=config, models=models, ocr=ocr, source=source, masks=masks)[0]


def _scan_still(image_bgr, *, config, models, ocr, source, masks) -> tuple[ScanItem, _Analysis]:
    cfg = config or PrivacyConfig()
    policy = cfg.ocr.stills if (ocr and cfg.ocr.enabled) else "never"
    models = models or load_models(cfg, ocr=policy != "never")
    fc = analyse_frame(image_bgr, models, cfg, ocr=policy == "always", masks=masks)
    if policy == "unless_prohibited" and not fuse_frames([fc], cfg):
        fc = read_signs(fc, image_bgr, models, cfg, masks)
    analysis = _Analysis((fc,), {fc.index: image_bgr})
    return _item(source, analysis, cfg), analysis


def _video_frames(src, cfg: PrivacyConfig) -> Iterator:
    """The frames a video scan looks at. Short files: decoded in order, one frame per
    max(min_interval_s, duration / max_frames). Files longer than keyframes_only_after_s: one
    seek per sample time to the next keyframe, so an hour of footage costs `max_frames` keyframe
    decodes. Streams (and files of unknown length): one frame per min_interval_s, `max_frames`
    of them."""
    s = cfg.sampling
    d = src.info.duration_s
    if src.info.kind == "stream" or not d:
        yield from itertools.islice(src.frames(every=s.min_interval_s), s.max_frames)
        return
    every = max(s.min_interval_s, d / s.max_frames)
    if d <= s.keyframes_only_after_s:
        yield from src.frames(every=every)
        return
    last_t = -1.0
    for k in range(s.max_frames):
        it = src.frames(start=k * every, keyframes_only=True)
        try:
            fr = next(it, None)
        finally:
            it.close()
        if fr is None:
            break
        if fr.t <= last_t + 1e-6:  # sparse keyframes: this one was already seen
            continue
        last_t = fr.t
        yield replace(fr, index=k)


def scan_source(
    uri: str | os.PathLike,
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    progress: ProgressFn | None = None,
    masks=None,
) -> ScanItem:
    """Scan one image file, one folder of snapshots from a camera (all its images as one
    sequence), a video file or a stream. `progress` hears the seconds of footage done (unit
    "s", total the duration when known). Raises SourceError when it cannot be opened."""
    return _scan_source(uri, config=config, models=models, ocr=ocr, progress=progress, masks=masks)[0]


def _scan_source(uri, *, config, models, ocr, progress, masks, keep_images=False) -> tuple[ScanItem, _Analysis]:
    from cctv_guard.media import IMAGE_SUFFIXES, open_source, read_image

    cfg = config or PrivacyConfig()
    path = Path(str(uri))
    if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
        return _scan_still(read_image(path), config=cfg, models=models, ocr=ocr, source=str(uri), masks=masks)
    models = models or load_models(cfg, ocr=ocr and cfg.ocr.enabled)
    with open_source(uri) as src:
        frames = src.frames() if src.info.kind in ("image", "images") else _video_frames(src, cfg)
        analysis = _analyse_stream(frames, models, cfg, ocr=ocr, duration=src.info.duration_s, keep_images=keep_images,
                                   progress=progress, detail=_display(src.info.uri), masks=masks)
        source = src.info.uri
    return _item(source, analysis, cfg), analysis


def _display(source: str) -> str:
    """A short name for progress notes: a file's name, a stream's URI without credentials."""
    from cctv_guard.media import is_stream_uri

    text = str(source)
    if is_stream_uri(text):
        return redact_uri(text) or ""
    return Path(text).name


def expand_sources(sources: Sequence[str | os.PathLike]) -> tuple[list[str], list[Skipped]]:
    """Files to scan: folders are searched recursively for images and videos (natural order);
    files and stream URLs are kept as given. Missing paths and empty folders become skips."""
    from cctv_guard.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES, is_stream_uri, natural_key

    files: list[str] = []
    skipped: list[Skipped] = []
    for s in sources:
        text = str(s)
        if is_stream_uri(text):
            files.append(text)
            continue
        p = Path(text)
        if p.is_dir():
            found = sorted(
                (q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES),
                key=natural_key,
            )
            if not found:
                skipped.append(Skipped(text, "folder holds no images or videos"))
            files += [str(q) for q in found]
        elif p.exists():
            files.append(text)
        else:
            skipped.append(Skipped(text, "no such file or folder"))
    return files, skipped


def scan_paths(
    sources: Sequence[str | os.PathLike],
    *,
    config: PrivacyConfig | None = None,
    models: PrivacyModels | None = None,
    ocr: bool = True,
    evidence_dir: str | os.PathLike | None = None,
    blur_people: bool = True,
    progress: ProgressFn | None = None,
    mask: Callable[[np.ndarray], np.ndarray] | None = None,
) -> ScanReport:
    """Scan images, folders (recursively: one item per image or video) and videos. Inputs that
    cannot be read are counted as skipped, not raised. With `evidence_dir`, an annotated snapshot
    (people blurred unless `blur_people` is False; `mask` applied to the picture first, e.g.
    `publish.Masker.mask` for Art. 22) is written for each finding.
    `progress` hears the files done (unit "files"; fractional within a video) and the current
    file's name as detail."""
    cfg = config or PrivacyConfig()
    files, skipped = expand_sources(sources)
    items: list[ScanItem] = []
    if files and models is None:
        models = load_models(cfg, ocr=ocr and cfg.ocr.enabled)
    n = len(files)
    for i, f in enumerate(files):
        name = _display(f)
        report(progress, i, n, "files", name)
        within = _within_file(progress, i, n, name)
        try:
            item, analysis = _scan_source(f, config=cfg, models=models, ocr=ocr, progress=within, masks=None,
                                          keep_images=evidence_dir is not None)
        except SourceError as exc:
            skipped.append(Skipped(f, str(exc)))
            continue
        if evidence_dir is not None and item.findings:
            from cctv_guard.media import write_findings

            by_index = {fc.index: fc for fc in analysis.frames}
            paths = write_findings(Path(evidence_dir), item.source, item.findings, analysis.images, by_index,
                                   blur_people=blur_people, mask=mask)
            item = replace(item, evidence=tuple(paths))
        items.append(item)
    report(progress, n, n, "files", "")
    return ScanReport(tuple(items), tuple(skipped))


def _within_file(progress: ProgressFn | None, i: int, n: int, name: str) -> ProgressFn | None:
    """Seconds of footage done in file `i` as a fraction of that file, on the files scale."""
    if progress is None:
        return None

    def inner(p: Progress) -> None:
        if p.total:
            report(progress, i + min(1.0, max(0.0, p.done / p.total)), n, "files", name)

    return inner
