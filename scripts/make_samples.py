#!/usr/bin/env python3
"""Make the bundled sample clips in samples/ from OpenCV's vtest.avi.

    python scripts/make_samples.py                      # vtest.avi from opencv-doc or ../shared
    python scripts/make_samples.py path/to/vtest.avi --out samples

Every clip shows the same registered view (a centred 640×480 window of the 768×576 source,
rendered at 480×360, 10 fps, H.264 with a keyframe every 2 s) and is identical to
vtest_normal.mp4 until the tamper at ONSET_S; samples/expected.json records, for each clip, the
event kinds a checker must report and their onset, derived from the parameters below.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from footage import REPO, FrameBank, find_vtest, write_mp4  # noqa: E402
from tamper_cases import (  # noqa: E402
    Pose,
    Scenario,
    ViewGeometry,
    add_noise,
    blackout,
    blur,
    cover,
    decompose,
    frame_rng,
    ir_night,
    light,
    ramp,
    render_scenario,
    smooth_ramp,
)

FPS = 10.0
OUT_WH = (480, 360)
CROP = 640 / 768
ONSET_S = 15.0
BASELINE_END_S = 20.0
CRF = 27
SCHEMA = "cctv-guard/samples-expected@1"


def _pose_moved(t: float) -> Pose:
    u = smooth_ramp(t, ONSET_S, ONSET_S + 0.4)
    return Pose(pan=0.08 * u, tilt=0.05 * u)


def _pose_zoomed(t: float) -> Pose:
    return Pose(zoom=smooth_ramp(t, ONSET_S, ONSET_S + 1.0, 1.0, 1.3))


def _pose_rotated(t: float) -> Pose:
    return Pose(roll_deg=smooth_ramp(t, ONSET_S, ONSET_S + 0.5, 0.0, 8.0))


def _covered(img, t):
    return cover(img, smooth_ramp(t, ONSET_S, ONSET_S + 0.8, 0.0, 1.0), "left", colour=(70, 95, 135), seed=3)


def _defocused(img, t):
    return blur(img, ramp(t, ONSET_S, ONSET_S + 1.0, 0.0, 4.0))


def _blackout(img, t):
    return blackout(img, frame_rng(5, t)) if t >= ONSET_S else img


def _night(img, t):
    """Dusk from 8 s to ONSET_S (light falls to 45 %), then the camera switches to IR."""
    if t < ONSET_S:
        return add_noise(light(img, ramp(t, 8.0, ONSET_S, 1.0, 0.45)), ramp(t, 8.0, ONSET_S, 0.0, 3.0), frame_rng(7, t))
    return ir_night(img, frame_rng(7, t), gain=1.2, noise=5.0)


def scenarios(geometry: ViewGeometry) -> list[Scenario]:
    def truth(pose: Pose) -> dict:
        return {"final_pose": pose.__dict__ | {"jitter_px": list(pose.jitter_px)},
                "scene_motion": decompose(geometry.image_motion(pose), OUT_WH)}

    s = partial(Scenario, duration_s=30.0, onset_s=ONSET_S, crf=CRF)
    return [
        Scenario("vtest_normal", "normal", duration_s=40.0, crf=CRF,
                 note="untouched: the registered view, pedestrians walking"),
        s("vtest_moved", "moved", expected=("moved",), accepted=("coverage_lost",), pose=_pose_moved,
          truth=truth(_pose_moved(99)), note="camera panned right 8 % and tilted down 5 % of the frame within 0.4 s"),
        s("vtest_rotated", "moved", expected=("rotated",), accepted=("moved", "coverage_lost"), pose=_pose_rotated,
          truth=truth(_pose_rotated(99)), note="camera rolled 8 degrees within 0.5 s"),
        s("vtest_zoomed", "moved", expected=("zoomed",), accepted=("coverage_lost",), pose=_pose_zoomed,
          truth=truth(_pose_zoomed(99)), note="camera zoomed in ×1.3 within 1 s"),
        s("vtest_covered", "covered", expected=("covered",), accepted=("blackout", "defocused"), effects=(_covered,),
          note="a hand-coloured occluder slides over the lens from the left within 0.8 s and stays"),
        s("vtest_defocused", "defocused", expected=("defocused",), accepted=(), effects=(_defocused,),
          note="focus lost within 1 s (Gaussian blur, sigma 0 to 4 px at 480 px width)"),
        s("vtest_blackout", "blackout", expected=("blackout",), accepted=("covered",), effects=(_blackout,),
          note="picture goes black (level 6 of 255 with faint noise)"),
        s("vtest_frozen", "frozen", expected=("frozen",), accepted=(), picture_freeze_s=ONSET_S,
          note="the picture stops changing (the same frame repeated)"),
        Scenario("vtest_night_ir", "normal", duration_s=40.0, crf=CRF, effects=(_night,),
                 note="dusk from 8 s (light to 45 %, rising sensor noise), then the day/night switch at 15 s "
                 "to greyscale IR with centre-bright illumination and noise; no tamper"),
    ]


def expected_entry(sc: Scenario) -> dict:
    return {
        "group": sc.group,
        "duration_s": sc.duration_s,
        "events": [{"kind": k, "onset_s": sc.onset_s} for k in sc.expected],
        "accepted_kinds": list(sc.accepted),
        "description": sc.note,
        **({"truth": sc.truth} if sc.truth else {}),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vtest", nargs="?", help="path to vtest.avi (default: opencv-doc's copy, else ../shared)")
    ap.add_argument("--out", default=str(REPO / "samples"), help="output folder (default: samples/)")
    ap.add_argument("--only", nargs="*", help="make only these clips (names without .mp4)")
    args = ap.parse_args(argv)

    src = find_vtest(args.vtest)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bank = FrameBank(src, limit_s=41.0)
    geometry = ViewGeometry(bank.size, OUT_WH, CROP)
    entries = {}
    for sc in scenarios(geometry):
        entries[f"{sc.name}.mp4"] = expected_entry(sc)
        if args.only and sc.name not in args.only:
            continue
        path = write_mp4(out / f"{sc.name}.mp4", render_scenario(sc, geometry, bank.at, FPS), FPS, crf=sc.crf)
        print(f"{path.name:22s} {sc.duration_s:5.1f} s  {path.stat().st_size / 1e3:7.0f} kB  {sc.note}")
    doc = {
        "schema": SCHEMA,
        "made_by": "scripts/make_samples.py",
        "source": "vtest.avi (OpenCV samples; Debian opencv-doc 4.6.0)",
        "fps": FPS,
        "size": list(OUT_WH),
        "keyframe_interval_s": 2.0,
        "baseline": {"clip": "vtest_normal.mp4", "end_s": BASELINE_END_S},
        "onset_tolerance_s": 2.0,
        "clips": entries,
    }
    tmp = out / ".expected.json.partial"
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, out / "expected.json")
    total = sum(p.stat().st_size for p in out.glob("*.mp4"))
    print(f"wrote {len(entries)} clips + expected.json to {out} ({total / 1e6:.1f} MB of video)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
