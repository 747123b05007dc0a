"""Health: is the picture still a picture of the scene? Covered, defocused, blackout, frozen.

All measurements are pure functions of grey analysis images and a baseline `Profile`, and are
normalised so that illumination changes do not look like tampering:

* texture per cell is gradient energy divided by local brightness (a gain change, dusk, or a
  switch to IR greyscale scales both), compared with the cell's own baseline value and spread;
* sharpness per cell is Laplacian energy divided by gradient energy, i.e. how much of the
  cell's structure is fine detail: independent of contrast (darkness, fog, IR), and it drops
  when the lens is defocused; sensor noise only raises it, so for baselines that have it the
  *edge sharpness* decides defocus instead (`edge_ratios`: at the strongest edges, the fine
  gradient over the coarse one, i.e. how narrow the edges are; blur by sigma widens them, noise
  and light do not), over the whole frame and in most of its regions;
* a cell is *covered* when it lost both its structure and the baseline's pattern. Structure:
  its texture fell (fine, or coarse where noise has averaged out), or it darkened far below the
  rest of the picture's change (paint), or its brightness departed while its coarse texture
  fell. Pattern: its likeness to the baseline (NCC) fell, or it keeps little of the baseline's
  pattern (`Likeness.keep`, the brightness-normalised regression slope: a translucent sheet at
  opacity a keeps at most 1 - a, and noise does not bias it), diffused or darkened (a veil of
  fog keeps its pattern in focus). People and vehicles bring their own texture and do not count;
  overexposed cells (glare) cannot be judged. A lost cell that changed a lot since the previous
  frame or a second earlier and looks sharp (or is dark only) is *moving* (a lorry's flat side
  passing, or a cover arriving): it counts towards a cover only once the cover has stopped moving;
* *frozen* compares consecutive analysed frames against the least change the baseline's own
  consecutive frames showed (sensor noise, compression): real cameras never repeat a frame.
  In inter-coded footage (H.264/H.265) the inter frames of a still scene can repeat exactly
  (heavy compression codes the sensor noise away), but every keyframe is coded afresh and
  brings new noise; a frozen picture re-coded at a keyframe changes far less (only by the
  encoder's rounding). So at keyframes the change is compared with the baseline's change at
  keyframes, and repeated inter frames alone do not decide: a keyframe must repeat too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from cctv_guard.core.memory import scratch

# cover: a cell lost its structure when texture fell below this share of its baseline...
COVER_TEX_RATIO = 0.45
# ...and it no longer resembles the baseline (normalised cross-correlation)
COVER_NCC = 0.35
# a lost cell that changed more than this since the previous frame (grey levels) and is still
# sharp is something passing by, not a cover
COVER_STATIC_DIFF = 4.0
# ...or more than this since a frame about RECENT_S earlier (a lorry's flat side changes little
# between two frames, but its seams and lettering move on within a second)
COVER_RECENT_DIFF = 6.0
RECENT_S = 1.0
COVER_BLUR_RATIO = 0.7
COVER_FOCUS_RATIO = 0.8
# baseline cells with less texture than this cannot show a cover (sky, blank walls)
MIN_TEXTURE = 0.02
# ...and cells whose median has less pattern than this (variance, grey levels squared, on the
# smoothed half-size copy) do not say whether it was kept
MIN_PATTERN_VAR = 4.0
# a cell is washed out when it keeps less than this of the baseline's pattern (see Likeness.keep)
# and what remains is diffused, or when it keeps less than the second value whatever remains
COVER_KEEP = 0.35
COVER_KEEP_GONE = 0.15
COVER_DARKER = 0.8  # (a cell darker than this share of its baseline brightness is not under a veil of light)
# ...and a washed-out cell lost its structure when its coarse texture (noise-robust) fell below
# this share of its baseline value, or
COVER_COARSE_RATIO = 0.45
# ...when its brightness departs from the rest of the picture's change by this factor while its
# coarse texture dropped below COVER_DEPART_TEXTURE of its baseline value (dark paint on a bright
# pavement: the blotch edges bring texture, the brightness tells)
COVER_DEPART = 1.5
COVER_DEPART_TEXTURE = 0.7
COVER_DARKENED = 2.0  # ...or while it turned darker than the rest of the picture's change by this factor
# a cell this share of whose pixels clip (>= 250) and that was bright already is overexposed
# (glare, light turned up): its structure cannot be judged
CLIPPED_SHARE = 0.3
CLIPPED_BASE_LUMA = 120.0
# edge sharpness (`edge_ratios`): the share of pixels judged, and the grid of regions
EDGE_TOP = 0.05
EDGE_REGIONS = (3, 3)
# blackout: nearly all of the picture is black (an on-screen clock or logo may remain)
BLACKOUT_LUMA = 16.0  # median grey level below this...
BLACKOUT_P95 = 32.0  # ...and 95 % of the pixels below this
FROZEN_MAX_DIFF = 0.5  # frame change (grey levels) at most this (a static scene with sensor noise changes more)...
FROZEN_NOISE_SHARE = 0.35  # ... and below this share of the least change the baseline's frames showed
FROZEN_NO_NOISE = 0.02  # the limit when the baseline's frames never changed (a still source)
FROZEN_CELL_SHARE = 0.9  # the change of a frame is that of its 90th-percentile cell (a clock may tick)
# a keyframe of inter-coded footage is frozen when it changed at most this (grey levels; a frozen
# picture re-coded by x264 changes by 0.5-1.5, a live still scene's keyframe by 1.9 or more)...
FROZEN_KEY_MAX_DIFF = 1.5
FROZEN_KEY_SHARE = 0.6  # ...and below this share of the least change at the baseline's keyframes


@dataclass(frozen=True)
class CellStats:
    mean: np.ndarray  # GRID, mean grey level
    tex: np.ndarray  # GRID, gradient energy / (mean + 16)
    sharp: np.ndarray  # GRID, Laplacian energy / gradient energy


def _cell_means(a: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Mean of each grid cell, float32 (the last few rows/columns that do not fill a cell are left out)."""
    rows, cols = grid
    h, w = a.shape[:2]
    ch, cw = h // rows, w // cols
    if ch == 0 or cw == 0:
        return cv2.resize(a.astype(np.float32, copy=False), (cols, rows), interpolation=cv2.INTER_AREA)
    # sum each band of rows, then each cell's columns: half the time of an area resize
    bands = a[: ch * rows, : cw * cols].reshape(rows, ch, cw * cols).sum(axis=1, dtype=np.float32)
    return bands.reshape(rows, cols, cw).sum(axis=2) * np.float32(1.0 / (ch * cw))


def cell_stats(gray: np.ndarray, grid: tuple[int, int]) -> CellStats:
    shape = gray.shape[:2]
    g = scratch("cell_g", shape)
    g[...] = gray
    smooth = cv2.GaussianBlur(g, (0, 0), 1.0, dst=scratch("cell_smooth", shape))
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, dst=scratch("cell_gx", shape))
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, dst=scratch("cell_gy", shape))
    grad = cv2.magnitude(gx, gy, scratch("cell_grad", shape))
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=1, dst=scratch("cell_lap", shape))
    np.abs(lap, out=lap)
    mean = _cell_means(g, grid)
    grad_c = _cell_means(grad, grid)
    lap_c = _cell_means(lap, grid)
    return CellStats(mean=mean, tex=grad_c / (mean + 16.0), sharp=lap_c / (grad_c + 1.0))


def frame_change(gray: np.ndarray, prev_gray: np.ndarray, grid: tuple[int, int]) -> float:
    """How much a frame changed since the previous one: the mean absolute difference of its
    cells, at the FROZEN_CELL_SHARE quantile (so a ticking on-screen clock does not count, and
    a live camera's sensor noise always does)."""
    return _change_of(_change_cells(gray, prev_gray, grid))


def still_change(gray: np.ndarray, prev_gray: np.ndarray, grid: tuple[int, int]) -> float:
    """The change of the median cell between two frames: the sensor and coding noise of the
    still part of the view, which people or a car moving through a baseline window do not raise
    (`frame_change` takes the 90th-percentile cell, i.e. the movers): the baseline's noise
    levels come from this, so a still, clean scene is not judged against a busy window's change."""
    return _quantile(_change_cells(gray, prev_gray, grid), 0.5)


def _change_cells(gray: np.ndarray, prev_gray: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Mean absolute difference per cell of two grey images."""
    return _cell_means(cv2.absdiff(gray, prev_gray, scratch("change", gray.shape, gray.dtype)), grid)


def _change_of(cells: np.ndarray) -> float:
    return _quantile(cells, FROZEN_CELL_SHARE)


def cell_ncc(a: np.ndarray, b: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Zero-mean normalised cross-correlation per cell of two grey images of one size,
    on a smoothed half-size copy (robust to sensor noise and compression)."""
    return cell_likeness(a, b, grid).ncc


@dataclass(frozen=True)
class Likeness:
    """Per cell, a frame against the baseline median, on smoothed half-size copies."""

    ncc: np.ndarray  # zero-mean normalised cross-correlation (shape likeness, contrast-blind)
    # how much of the baseline's pattern the frame keeps: the regression slope of the frame's
    # cell on the median's, brightness-normalised ((median mean + 16) / (frame mean + 16)), so a
    # change of light keeps ~1 while a translucent sheet or paint at opacity a keeps <= 1 - a
    # (its colour adds brightness, not pattern); sensor noise does not correlate with the
    # pattern, so it leaves the slope unbiased where it inflates texture
    keep: np.ndarray
    base_var: np.ndarray  # the median's variance per cell (how much pattern there is to keep)
    coarse_grad: np.ndarray  # mean gradient magnitude per cell of the frame's smoothed half-size copy
    half: np.ndarray  # the frame's smoothed half-size copy (scratch: valid until the next call)


def cell_likeness(a: np.ndarray, b: np.ndarray, grid: tuple[int, int]) -> Likeness:
    """`Likeness` of a frame `a` against a baseline median `b` (grey, one size)."""
    x, mx, exx = _ncc_side(a, grid, reuse=True)
    y, my, eyy = _ncc_side_cached(b, grid)
    exy = _cell_means(cv2.multiply(x, y, scratch("ncc_xy", x.shape)), grid) - mx * my
    ncc = exy / np.sqrt(np.maximum(exx, 1e-3) * np.maximum(eyy, 1e-3))
    keep = exy / np.maximum(eyy, 1.0) * ((my + 16.0) / (mx + 16.0))
    return Likeness(ncc, keep, eyy, _cell_means(coarse_gradient(x), grid), x)


def coarse_gradient(half: np.ndarray) -> np.ndarray:
    """Gradient magnitude of a smoothed half-size copy (scratch): the structure at 2-4 pixels
    of the analysis image, where sensor noise has mostly averaged out."""
    gx = cv2.Sobel(half, cv2.CV_32F, 1, 0, ksize=3, dst=scratch("half_gx", half.shape))
    gy = cv2.Sobel(half, cv2.CV_32F, 0, 1, ksize=3, dst=scratch("half_gy", half.shape))
    return cv2.magnitude(gx, gy, scratch("half_grad", half.shape))


def coarse_texture(gray: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Per cell, the coarse gradient energy over local brightness (like `CellStats.tex`, one
    octave coarser): robust to sensor noise, still lost under a diffusing sheet or paint."""
    x, _, _ = _ncc_side(gray, grid)
    return _cell_means(coarse_gradient(x), grid) / (_cell_means(gray, grid) + 16.0)


# how `edge_ratios` measures (stored in baselines: a baseline measured another way is not compared)
EDGE_METHOD = 2
_BLOCK2 = np.ones((2, 2), np.uint8)


def edge_ratios(gray: np.ndarray, half: np.ndarray | None = None, fine: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """How sharp the picture's strongest edges are, whatever their contrast and the sensor
    noise: in each region of an EDGE_REGIONS grid, at the EDGE_TOP share of its pixels with the
    strongest coarse gradient (2-4 pixel scale), the ratio of the fine gradient (1-pixel scale)
    to the coarse one. A sharp edge has a high ratio; defocus by sigma widens every edge and
    lowers it; contrast, light and IR scale both gradients alike, and noise barely touches the
    strongest edges. Returns the median over all regions' judged pixels and each region's
    median (a passing lorry changes a few regions, defocus all of them). `half`: the frame's
    `smoothed_half`; `fine`: its full-size gradient magnitude after a sigma-1 blur (as
    `cell_stats` computes it), when already at hand."""
    if half is None:
        half = smoothed_half(gray)
    h2, w2 = half.shape
    coarse = coarse_gradient(half)
    if fine is None:
        g = scratch("er_g", gray.shape)
        g[...] = gray
        smooth = cv2.GaussianBlur(g, (0, 0), 1.0, dst=scratch("er_smooth", gray.shape))
        fx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, dst=scratch("er_fx", gray.shape))
        fy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, dst=scratch("er_fy", gray.shape))
        fine = cv2.magnitude(fx, fy, scratch("er_fine", gray.shape))
    # the fine gradient's peak over each 2x2 block (an average would blur away the very
    # narrowness being measured)
    fh, fw = min(fine.shape[0] // 2, h2), min(fine.shape[1] // 2, w2)
    fine_half = scratch("er_fine_half", (h2, w2))
    fine_half[...] = 0.0
    peaks = cv2.dilate(fine, _BLOCK2, dst=scratch("er_peaks", fine.shape), anchor=(0, 0))
    fine_half[:fh, :fw] = peaks[: 2 * fh : 2, : 2 * fw : 2]
    rows, cols = EDGE_REGIONS
    rh, rw = h2 // rows, w2 // cols
    if rh * rw < 8:
        return float("nan"), np.full(EDGE_REGIONS, np.nan, np.float32)

    def blocks(a: np.ndarray) -> np.ndarray:  # (regions, pixels of each)
        return a[: rh * rows, : rw * cols].reshape(rows, rh, cols, rw).transpose(0, 2, 1, 3).reshape(rows * cols, rh * rw)

    c, f = blocks(coarse), blocks(fine_half)
    k = max(1, int(EDGE_TOP * c.shape[1]))
    idx = np.argpartition(c, c.shape[1] - k, axis=1)[:, c.shape[1] - k:]
    top_c = np.take_along_axis(c, idx, axis=1)
    ratio = np.take_along_axis(f, idx, axis=1) / (top_c + np.float32(1.0))
    ratio[top_c.min(axis=1) <= 0.0] = np.nan  # a flat region has no edges to judge
    ratio.sort(axis=1)  # (medians by sorting: np.median's overhead was most of this function's time)
    regional = ratio[:, k // 2].reshape(EDGE_REGIONS)
    judged = np.sort(ratio[np.isfinite(ratio[:, 0])], axis=None)
    return (float(judged[judged.size // 2]) if judged.size else float("nan")), regional


def _ncc_side(a: np.ndarray, grid: tuple[int, int], reuse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's part of `cell_ncc`: its smoothed half-size copy, cell means and variances
    (`reuse`: the copy is this thread's scratch array, valid until the next call)."""
    x = smoothed_half(a, reuse)
    shape = x.shape
    mx = _cell_means(x, grid)
    return x, mx, _cell_means(cv2.multiply(x, x, scratch("ncc_xx", shape)), grid) - mx * mx


def smoothed_half(a: np.ndarray, reuse: bool = False) -> np.ndarray:
    """A grey image at half size, smoothed (sigma 1): float32 (`reuse`: this thread's scratch array)."""
    size = (max(8, a.shape[1] // 2), max(8, a.shape[0] // 2))
    half = cv2.resize(a, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    return cv2.GaussianBlur(half, (0, 0), 1.0, dst=scratch("ncc_x", half.shape) if reuse else None)


_NCC_CACHE: dict[tuple[int, tuple[int, int]], tuple[np.ndarray, tuple]] = {}


def _ncc_side_cached(a: np.ndarray, grid: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_ncc_side` of a baseline median (never modified in place), computed once per array."""
    key = (id(a), grid)
    hit = _NCC_CACHE.get(key)
    if hit is not None and hit[0] is a:
        return hit[1]
    if len(_NCC_CACHE) > 32:
        _NCC_CACHE.clear()
    side = _ncc_side(a, grid)
    _NCC_CACHE[key] = (a, side)
    return side


@dataclass(frozen=True)
class Health:
    luma: float  # mean grey level
    luma_std: float
    blackout: bool
    cover_fraction: float  # share of textured baseline cells that lost their structure
    cover_bbox: tuple[float, float, float, float] | None  # x1, y1, x2, y2 as fractions of the frame
    sharpness_ratio: float  # median over textured cells of sharpness / baseline sharpness
    texture_ratio: float  # median over textured cells of texture / baseline texture
    likeness: float  # median per-cell NCC with the baseline median
    texture_p90: float  # 90th percentile over cells of texture / baseline texture
    frame_diff: float | None  # frame_change since the previous analysed frame
    frozen: bool
    # a frozen frame that decides: a keyframe (or footage with no known keyframes); repeated
    # inter frames of inter-coded footage only count once a keyframe repeats too
    frozen_decisive: bool = True
    frozen_limit: float | None = None  # the change at or below which this frame is frozen
    # share of textured cells that lost their structure but changed a lot since the previous
    # frame and look sharp: something passing by, or a cover arriving (told apart by the next
    # frames: a cover then stays put)
    cover_moving_fraction: float = 0.0
    # edge sharpness against the baseline's (`edge_ratios`, 1 = as sharp): over the whole frame
    # and the median of its regions; None where the baseline predates the measure
    edge_ratio: float | None = None
    edge_ratio_regions: float | None = None
    # median share of the baseline's pattern that the textured cells keep (Likeness.keep)
    pattern_kept: float | None = None
    # share of the lost cells whose brightness departed from the rest of the picture's change
    cover_departed: float = 0.0
    # median over textured cells of the coarse (noise-robust) texture against the baseline's
    coarse_texture_ratio: float | None = None


def measure(gray: np.ndarray, profile, prev_gray: np.ndarray | None, grid: tuple[int, int],
            keyframe: bool | None = None, older_gray: np.ndarray | None = None) -> Health:
    """Health measurements of one analysed grey frame against a baseline profile. `keyframe`:
    whether the frame was a keyframe of its footage (None: not known, e.g. a bare image);
    `older_gray`: an analysed frame about RECENT_S earlier (None: not known), so that a lorry's
    flat side, whose cells barely change from one frame to the next, still shows it is passing."""
    st = cell_stats(gray, grid)
    textured = profile.tex_mean >= MIN_TEXTURE
    if not textured.any():
        textured = np.ones_like(textured)
    tex_ratio = st.tex / np.maximum(profile.tex_mean, 1e-3)
    like = cell_likeness(gray, profile.median, grid)
    ncc = like.ncc
    # allow for the cell's own natural variation: a cell that often loses texture (passing
    # traffic) needs a deeper drop
    tex_floor = np.maximum(COVER_TEX_RATIO * profile.tex_mean, profile.tex_mean - 4.0 * profile.tex_std)
    tex_floor = np.minimum(tex_floor, 0.8 * profile.tex_mean)
    tex2_mean = getattr(profile, "tex2_mean", None)
    er_whole = er_regions = kept = coarse_ratio = None
    cover_cells = textured
    departed = tex2_ratio = dark_only = None
    if tex2_mean is None:  # a baseline from before the pattern measures: texture and likeness only
        lost = (st.tex < tex_floor) & (ncc < COVER_NCC) & textured
    else:
        # a cover washes the baseline's pattern out (shape gone, or kept only faintly under a
        # translucent sheet or paint) and either takes the structure with it or, for paint on
        # a bright surface, changes the cell's brightness against the rest of the picture
        patterned = textured & (like.base_var >= MIN_PATTERN_VAR)
        if patterned.sum() >= 4:
            cover_cells = patterned
        tex2_ratio = (like.coarse_grad / (st.mean + 16.0)) / np.maximum(tex2_mean, 1e-3)
        # fog or haze also lowers the pattern kept (a veil of light), but keeps it in focus; a
        # sheet or paint on the lens diffuses what shows through it (fine structure gone first)
        # (or darkens it: a veil of light only brightens)
        diffused = (tex_ratio < COVER_FOCUS_RATIO * tex2_ratio) | (st.mean + 16.0 < COVER_DARKER * (profile.luma_cells + 16.0))
        washed = (ncc < COVER_NCC) | (like.keep < COVER_KEEP_GONE) | ((like.keep < COVER_KEEP) & diffused)
        light = np.log((st.mean + 16.0) / (profile.luma_cells + 16.0))
        relative = light - _quantile(light[cover_cells], 0.5)
        departed = np.abs(relative) > math.log(COVER_DEPART)
        # paint or a dark cloth darkens what it covers far below the rest of the picture's change;
        # its blotchy edges may bring texture of their own, the darkness tells
        # (against the brighter part of the picture: paint over half the view pulls the median down)
        darkened = light - _quantile(light[cover_cells], 0.75) < -math.log(COVER_DARKENED)
        texture_gone = (st.tex < tex_floor) | (tex2_ratio < COVER_COARSE_RATIO) | (departed & (tex2_ratio < COVER_DEPART_TEXTURE))
        structure_lost = texture_gone | darkened
        dark_only = darkened & ~texture_gone  # (counts only while it holds still: see below)
        lost = washed & structure_lost & cover_cells
        bright = lost & (profile.luma_cells >= CLIPPED_BASE_LUMA) & (st.mean >= 255.0 * CLIPPED_SHARE)
        if bright.any():  # (only bright cells can be overexposed: counting clipped pixels costs)
            clipped = _cell_means(cv2.compare(gray, 250, cv2.CMP_GE, dst=scratch("clip", gray.shape, np.uint8)), grid) > 255.0 * CLIPPED_SHARE
            lost &= ~(clipped & bright)
        kept = _quantile(like.keep[cover_cells], 0.5)
        coarse_ratio = _quantile(tex2_ratio[textured], 0.5)
        if profile.edge_ratio is not None:
            whole, regional = edge_ratios(gray, like.half, scratch("cell_grad", gray.shape))
            er_whole = whole / max(profile.edge_ratio, 1e-3) if math.isfinite(whole) else None
            rel = regional / np.maximum(profile.edge_ratio_cells, 1e-3)
            rel = rel[np.isfinite(rel)]
            er_regions = _quantile(rel, 0.5) if rel.size else None
    change = _change_cells(gray, prev_gray, grid) if prev_gray is not None and prev_gray.shape == gray.shape else None
    moving_lost = 0
    if change is not None:
        # a cover stays put, or (held close to the lens) is blurred while it moves; the flat
        # side of a passing lorry moves with sharp edges: its cells change a lot between frames
        moving = change > COVER_STATIC_DIFF
        if older_gray is not None and older_gray.shape == gray.shape:
            moving |= _change_cells(gray, older_gray, grid) > COVER_RECENT_DIFF
        sharp_cells = st.sharp >= COVER_BLUR_RATIO * profile.sharp_mean
        if tex2_ratio is not None:
            # in focus: fine against coarse structure as in the baseline (a lorry's seams and
            # lettering; a hand at the lens has none of its fine structure)
            sharp_cells |= tex_ratio >= COVER_FOCUS_RATIO * tex2_ratio
        if dark_only is not None:
            sharp_cells |= dark_only  # a dark thing that moves (a lorry's side) is no paint
        passing = lost & moving & sharp_cells
        moving_lost = int(passing.sum())
        lost &= ~passing
    cover_fraction = float(lost.sum() / cover_cells.sum())
    cover_departed = float((lost & departed).sum() / lost.sum()) if departed is not None and lost.any() else 0.0
    bbox = None
    if lost.any():
        rows, cols = np.nonzero(lost)
        gr, gc = grid
        bbox = (float(cols.min() / gc), float(rows.min() / gr), float((cols.max() + 1) / gc), float((rows.max() + 1) / gr))
    sharp_ratio = st.sharp / np.maximum(profile.sharp_mean, 1e-3)
    m, sd = cv2.meanStdDev(gray)
    luma, luma_std = float(m[0, 0]), float(sd[0, 0])
    median, p95 = _percentiles(gray[::4, ::4], (50, 95))
    blackout = median < BLACKOUT_LUMA and p95 < BLACKOUT_P95
    diff = limit = None
    frozen, decisive = False, True
    if change is not None:
        diff = _change_of(change)
        limit, decisive = frozen_limit(profile, keyframe)
        frozen = diff <= limit and not blackout
    return Health(
        luma=luma,
        luma_std=luma_std,
        blackout=blackout,
        cover_fraction=cover_fraction,
        cover_bbox=bbox,
        cover_moving_fraction=float(moving_lost / cover_cells.sum()),
        sharpness_ratio=_quantile(sharp_ratio[textured], 0.5),
        texture_ratio=_quantile(tex_ratio[textured], 0.5),
        likeness=_quantile(ncc[textured], 0.5),
        texture_p90=_quantile(tex_ratio[textured], 0.9),
        frame_diff=diff,
        frozen=frozen,
        frozen_decisive=decisive,
        frozen_limit=limit,
        edge_ratio=er_whole,
        edge_ratio_regions=er_regions,
        pattern_kept=kept,
        cover_departed=cover_departed,
        coarse_texture_ratio=coarse_ratio,
    )


def frozen_limit(profile, keyframe: bool | None) -> tuple[float, bool]:
    """(the frame change at or below which a frame is frozen, whether such a frame decides).
    Keyframes of inter-coded footage are judged against the baseline's keyframes (`key_noise`);
    other frames against its least change between frames, and when the baseline knows its
    footage's keyframes, an inter frame alone never decides."""
    if judged_at_keyframe(profile, keyframe):
        return min(FROZEN_KEY_MAX_DIFF, FROZEN_KEY_SHARE * profile.key_noise), True
    limit = min(FROZEN_MAX_DIFF, FROZEN_NOISE_SHARE * profile.noise) if profile.noise > 0 else FROZEN_NO_NOISE
    return limit, keyframe is None or profile.key_noise is None


def judged_at_keyframe(profile, keyframe: bool | None) -> bool:
    """Whether a frame's change is compared with the baseline's change at keyframes (`key_noise`)
    rather than between frames: a keyframe, and a baseline that measured its keyframes."""
    return bool(keyframe) and profile.key_noise is not None


def _percentiles(a: np.ndarray, qs: tuple[float, ...]) -> tuple[float, ...]:
    """np.percentile (linear interpolation) of a uint8 array, from its histogram."""
    if a.dtype != np.uint8 or a.size == 0:
        return tuple(float(v) for v in np.percentile(a, qs))
    cum = np.cumsum(np.bincount(a.ravel(), minlength=256))

    def nth(k: int) -> int:  # the k-th smallest value (0-based)
        return int(np.searchsorted(cum, k, side="right"))

    out = []
    for q in qs:
        pos = q / 100.0 * (a.size - 1)
        lo = math.floor(pos)
        vlo, vhi = nth(lo), nth(min(lo + 1, a.size - 1))
        out.append(float(vlo + (pos - lo) * (vhi - vlo)))
    return tuple(out)


def _quantile(a: np.ndarray, q: float) -> float:
    """np.quantile (linear; q = 0.5 is np.median) of a small array, bit for bit, without
    numpy's per-call overhead (it dominated the per-frame cost of a few dozen cells)."""
    s = np.sort(a, axis=None)
    n = len(s)
    if n == 0 or np.isnan(s[-1]):
        return float(np.median(a) if q == 0.5 else np.quantile(a, q))
    if q == 0.5:
        k = n // 2
        return float(s[k] if n % 2 else (s[k - 1] + s[k]) / 2)
    pos = q * (n - 1)
    lo = math.floor(pos)
    t = pos - lo
    a0, a1 = s[lo], s[min(lo + 1, n - 1)]
    d = a1 - a0
    return float(a1 - d * (1 - t) if t >= 0.5 else a0 + d * t)
