#!/usr/bin/env python3
"""Make the tamper regression clips in samples/ (issue 14) from OpenCV's vtest.avi.

    python scripts/make_tamper_regression.py                  # vtest.avi from opencv-doc or ../shared
    python scripts/make_tamper_regression.py path/to/vtest.avi --out samples

Two cases that fooled the detector on footage it had never seen, rebuilt from redistributable
footage (vtest.avi: Apache-2.0 AND BSD-3-Clause, see samples/README.md):

* **A tiled floor with a crowd, seen by a camera that does not move.** vtest's ground (lawn and
  walkway, below the building fronts) is replaced by a regular tiled floor seen in perspective,
  and the walkers of vtest are composited on top, in the crowd clip from six moments at once.
  Periodic tiles and walkers let feature matching find a rotated or zoomed view that lines the
  tiles up; the building fronts above do not line up under it. `tiles_normal.mp4` is the
  baseline footage, `tiles_crowd.mp4` must raise nothing, `tiles_moved.mp4` (a pan of 5 % at
  15 s, with the crowd) must raise `moved`.
* **A dark translucent sheet while the light drifts** (`vtest_sheet.mp4`, against the baseline
  of `vtest_normal.mp4`): a dark cloth at 90 % opacity slides over 70 % of the lens at 15 s while
  the scene light falls to 70 %; it must raise `covered`. And **defocus with sensor noise on
  top** (`vtest_defocus_noise.mp4`): blur to sigma 4, then noise sigma 6 added after it, as in a
  real camera; it must raise `defocused`.

samples/tamper_regression.json records, for each clip, its baseline clip, the expected kinds and
their onset; tests/test_tamper_regression.py checks the pipeline against it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from footage import REPO, FrameBank, find_vtest, write_mp4  # noqa: E402
from tamper_cases import (  # noqa: E402
    Pose,
    Scenario,
    ViewGeometry,
    blur,
    frame_rng,
    light,
    live_noise,
    median_background,
    ramp,
    render_scenario,
    sheet,
    smooth_ramp,
)

FPS = 10.0
OUT_WH = (480, 360)
CROP = 640 / 768
ONSET_S = 15.0
CRF = 27
SCHEMA = "cctv-guard/tamper-regression@1"
FLOOR_TOP = 0.24  # the tiled floor starts this far down the source frame (the building fronts stay)
CROWD_OFFSETS_S = (7.0, 13.0, 23.0, 31.0, 43.0)  # other moments of vtest whose walkers join the crowd
MEDIAN_SAMPLES = 41


# --- the tiled floor ------------------------------------------------------------------------------


def tile_texture(width: int = 1600, height: int = 1200, tile: int = 64, seed: int = 14) -> np.ndarray:
    """A floor of square tiles in the floor plane (BGR): two glazes in a chequer, a little
    unevenness per tile, dark grout lines, a faint gloss gradient."""
    rng = np.random.default_rng(seed)
    rows, cols = height // tile + 1, width // tile + 1
    base = np.array([[186, 180, 172], [142, 136, 128]], np.float32)
    tex = np.zeros((rows * tile, cols * tile, 3), np.float32)
    for r in range(rows):
        for c in range(cols):
            tex[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = base[(r + c) % 2] + rng.normal(0, 4, 3)
    grout = np.zeros(tex.shape[:2], bool)
    for k in range(0, tex.shape[0], tile):
        grout[k:k + 3] = True
    for k in range(0, tex.shape[1], tile):
        grout[:, k:k + 3] = True
    tex[grout] = (70, 68, 66)
    tex = cv2.GaussianBlur(tex[:height, :width], (0, 0), 0.8)
    return np.clip(tex, 0, 255).astype(np.uint8)


def floor_mask_and_image(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The tiled floor drawn in perspective over the lower part of a source frame of `size`
    (w, h): (float32 alpha mask, BGR floor image)."""
    w, h = size
    top = int(FLOOR_TOP * h)
    tex = tile_texture()
    th, tw = tex.shape[:2]
    # floor plane rectangle -> image trapezoid: tiles get smaller towards the top (far side)
    src = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]])
    dst = np.float32([[0.0 * w, top], [1.0 * w, top], [1.25 * w, h], [-0.25 * w, h]])
    H = cv2.getPerspectiveTransform(src, dst)
    floor = cv2.warpPerspective(tex, H, (w, h), flags=cv2.INTER_AREA)
    mask = np.zeros((h, w), np.float32)
    mask[top:] = 1.0
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5)
    return mask, floor


class TiledScene:
    """vtest with its ground replaced by a tiled floor and its walkers composited on top:
    frame_at(t) for the baseline (own walkers) or with a crowd (walkers of several moments)."""

    def __init__(self, bank: FrameBank):
        self.bank = bank
        w, h = bank.size
        self.background = median_background([bank.at(t) for t in np.linspace(0, bank.duration_s - 0.2, MEDIAN_SAMPLES)])
        mask, floor = floor_mask_and_image((w, h))
        # the floor takes the scene's own light (shadows of the buildings, the lawn's brightness)
        shade = cv2.GaussianBlur(cv2.cvtColor(self.background, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 25)
        shade = 0.75 + 0.25 * shade / max(float(shade.mean()), 1.0)
        lit = np.clip(floor.astype(np.float32) * shade[..., None], 0, 255)
        m = mask[..., None]
        self.tiled = np.clip(self.background.astype(np.float32) * (1 - m) + lit * m, 0, 255).astype(np.uint8)

    def walkers(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(frame, mask) of the people moving in vtest at time t (foreground against the median)."""
        frame = self.bank.at(t % self.bank.duration_s)
        b, g, r = cv2.split(cv2.absdiff(frame, self.background))
        diff = cv2.max(cv2.max(b, g), r)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        mask = cv2.morphologyEx((diff > 30).astype(np.uint8), cv2.MORPH_OPEN, kernel)
        mask = cv2.dilate(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel), kernel)
        return frame, mask.astype(bool)

    def frame_at(self, t: float, crowd: bool = False) -> np.ndarray:
        out = self.tiled.copy()
        for dt in ((0.0,) + CROWD_OFFSETS_S if crowd else (0.0,)):
            frame, mask = self.walkers(t + dt)
            np.copyto(out, frame, where=mask[..., None])
        return out


# --- the scenarios ------------------------------------------------------------------------------


def _pose_pan(t: float) -> Pose:
    return Pose(pan=0.05 * smooth_ramp(t, ONSET_S, ONSET_S + 0.5))


def _sheet(img: np.ndarray, t: float) -> np.ndarray:
    """Light falls to 70 % over 10 s from 8 s; a dark cloth at 90 % slides over 70 % from the left."""
    img = sheet(img, smooth_ramp(t, ONSET_S, ONSET_S + 1.0, 0.0, 0.7), "left", colour=(28, 30, 34), opacity=0.9, seed=5)
    return light(img, ramp(t, 8.0, 18.0, 1.0, 0.7))


def _defocus_noise(img: np.ndarray, t: float) -> np.ndarray:
    """Focus lost (sigma 0 to 4 within 1 s), then sensor noise of sigma 6 after the lens."""
    img = blur(img, ramp(t, ONSET_S, ONSET_S + 1.0, 0.0, 4.0))
    return live_noise(img, 6.0, frame_rng(11, t)) if t >= ONSET_S else img


def _noise_only(img: np.ndarray, t: float) -> np.ndarray:
    return live_noise(img, 6.0, frame_rng(11, t)) if t >= ONSET_S else img


def scenarios() -> list[tuple[Scenario, str, bool]]:
    """(scenario, the source it is rendered from: 'tiles' or 'vtest', crowd on/off)."""
    return [
        (Scenario("tiles_normal", "normal", duration_s=20.0, crf=CRF,
                  note="tiled floor under vtest's walkers, the registered view (baseline footage)"), "tiles", False),
        (Scenario("tiles_crowd", "normal", duration_s=30.0, crf=CRF, source_offset_s=20.0,
                  note="the same view, a crowd six times as dense crossing the tiles; the camera does not move"),
         "tiles", True),
        (Scenario("tiles_moved", "moved", duration_s=30.0, crf=CRF, source_offset_s=20.0, onset_s=ONSET_S,
                  expected=("moved",), accepted=("coverage_lost",), pose=_pose_pan,
                  note="the crowd on the tiles; the camera pans right 5 % of the frame within 0.5 s at 15 s"),
         "tiles", True),
        (Scenario("vtest_sheet", "covered", duration_s=30.0, crf=CRF, onset_s=ONSET_S, expected=("covered",),
                  accepted=("blackout",), effects=(_sheet,),
                  note="light falls to 70 % from 8 s; at 15 s a dark cloth at 90 % opacity slides over 70 % of the lens"),
         "vtest", False),
        (Scenario("vtest_defocus_noise", "defocused", duration_s=30.0, crf=CRF, onset_s=ONSET_S,
                  expected=("defocused",), accepted=("covered",), effects=(_defocus_noise,),
                  note="at 15 s focus is lost (blur sigma 0 to 4 within 1 s) and sensor noise sigma 6 is added after it"),
         "vtest", False),
        (Scenario("vtest_noise", "normal", duration_s=30.0, crf=CRF, effects=(_noise_only,),
                  note="sensor noise sigma 6 from 15 s (the gain turned up), nothing else: no tamper"), "vtest", False),
    ]


BASELINE_OF = {"tiles": "tiles_normal.mp4", "vtest": "vtest_normal.mp4"}


def expected_entry(sc: Scenario, source: str) -> dict:
    return {
        "group": sc.group,
        "baseline": BASELINE_OF[source],
        "duration_s": sc.duration_s,
        "events": [{"kind": k, "onset_s": sc.onset_s} for k in sc.expected],
        "accepted_kinds": list(sc.accepted),
        "description": sc.note,
    }


@lru_cache(maxsize=1)
def _tiled(src: str) -> TiledScene:
    return TiledScene(FrameBank(src, limit_s=79.0))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vtest", nargs="?", help="path to vtest.avi (default: opencv-doc's copy, else ../shared)")
    ap.add_argument("--out", default=str(REPO / "samples"), help="output folder (default: samples/)")
    ap.add_argument("--only", nargs="*", help="make only these clips (names without .mp4)")
    args = ap.parse_args(argv)

    src = str(find_vtest(args.vtest))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    entries = {}
    for sc, source, crowd in scenarios():
        entries[f"{sc.name}.mp4"] = expected_entry(sc, source)
        if args.only and sc.name not in args.only:
            continue
        if source == "tiles":
            scene = _tiled(src)
            frame_at = (lambda t, s=scene, c=crowd: s.frame_at(t, crowd=c))
            size = scene.bank.size
        else:
            bank = FrameBank(src, limit_s=41.0)
            frame_at, size = bank.at, bank.size
        geometry = ViewGeometry(size, OUT_WH, CROP)
        path = write_mp4(out / f"{sc.name}.mp4", render_scenario(sc, geometry, frame_at, FPS), FPS, crf=sc.crf)
        print(f"{path.name:24s} {sc.duration_s:5.1f} s  {path.stat().st_size / 1e3:7.0f} kB  {sc.note}")
    doc = {
        "schema": SCHEMA,
        "made_by": "scripts/make_tamper_regression.py",
        "source": "vtest.avi (OpenCV samples; Debian opencv-doc 4.6.0; Apache-2.0 AND BSD-3-Clause)",
        "fps": FPS,
        "size": list(OUT_WH),
        "keyframe_interval_s": 2.0,
        "baseline_end_s": 20.0,
        "onset_tolerance_s": 2.0,
        "clips": entries,
    }
    tmp = out / ".tamper_regression.json.partial"
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, out / "tamper_regression.json")
    print(f"wrote {len(entries)} clips + tamper_regression.json to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
