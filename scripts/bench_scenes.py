#!/usr/bin/env python3
"""Per-scene tamper benchmark on real fixed-camera scenes (issue 14).

    python scripts/build_dataset.py datasets/tamper_scenes/manifest.tsv --root /work/data
    python scripts/bench_scenes.py --data /work/data --json bench.json --md bench.md
    python scripts/bench_scenes.py --split tune --scenes ucf_mall_tiled,office_lobby --workers 2
    python scripts/bench_scenes.py --keyframes-only --json kf.json      # the keyframes-only mode

For every scene of datasets/tamper_scenes/manifest.tsv (trimmed where its notes say "use A-B s",
black letterbox / pillarbox bars cut off) a baseline is built from a clip rendered from the
scene's clean start; the test clips are rendered from the rest of the scene (played back and
forth where it is short) through the same view window, so that a pan brings real new content
into view. Per scene: TAMPER_CLIPS clips each carry one tamper drawn from the ranges of issue 14
(the tamper types rotate over the manifest rows, so every type appears on both splits), and
NORMAL_CLIPS clips carry nuisances only; every clip carries at least one nuisance on top of the
scene's own crowds and traffic. Everything is drawn from a generator seeded with --seed and the
scene's name: a run is reproducible and one scene's clips do not depend on which others run.

Scoring, per clip (see docs/tamper-benchmark.md):
  detected     an event of the tamper's own kind or an accepted one (ACCEPTED) starting no
               earlier than EARLY_S before the onset (tampers last to the end of the clip);
  kind_correct one of those events has the tamper's own kind (KIND);
  latency      the first such event's confirmed_s minus the onset (start delay: its start_s);
  false alarm  any event starting before onset - EARLY_S, and any event on a nuisance-only clip;
  wrong kind   other events after the onset (reported, not counted as false alarms).
False alarms per hour count against the normal footage: nuisance-only clips plus the
pre-onset part of tamper clips. Totals are given for the tune and test splits separately.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from footage import iter_video, write_mp4  # noqa: E402
from tamper_cases import (  # noqa: E402
    Pose,
    Scenario,
    ViewGeometry,
    add_crowd,
    blackout,
    blur,
    board,
    cover,
    frame_rng,
    ir_night,
    light,
    live_noise,
    median_background,
    passing_vehicle,
    rain,
    ramp,
    render_scenario,
    sheet,
    smooth_ramp,
    spray,
)

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "datasets" / "tamper_scenes" / "manifest.tsv"
SCHEMA = "cctv-guard/bench-scenes@1"
CROP = 0.7  # the registered view is this fraction of the (bar-free) scene width
MAX_WIDTH = 640  # clips are rendered at most this wide
MAX_FPS = 15.0
BASELINE_MAX_S = 10.0
BASELINE_MIN_S = 3.0
SCENE_CAP_S = 60.0  # footage used after the baseline window (longer scenes are cut)
CLIP_S = (20.0, 30.0)
ONSET_S = (8.0, 12.0)
EARLY_S = 0.5
BASE_CRF = 26

TAMPERS = ("pan", "tilt", "roll", "zoom", "jolt", "cover", "translucent", "spray", "defocus", "blackout", "freeze")
GEOMETRIC = ("moved", "rotated", "zoomed", "coverage_lost")
KIND = {"pan": "moved", "tilt": "moved", "jolt": "moved", "roll": "rotated", "zoom": "zoomed", "cover": "covered",
        "translucent": "covered", "spray": "covered", "defocus": "defocused", "blackout": "blackout", "freeze": "frozen"}
ACCEPTED = {  # other kinds that still count as detecting the tamper (a wrong kind, but an alarm)
    **{t: GEOMETRIC for t in ("pan", "tilt", "jolt", "roll", "zoom")},
    **{t: GEOMETRIC + ("covered", "defocused", "blackout") for t in ("cover", "translucent", "spray")},
    "defocus": ("defocused", "covered"),
    "blackout": ("blackout", "covered", "signal_lost"),
    "freeze": ("frozen", "signal_lost"),
}
NUISANCES = ("light_down", "light_up", "light_switch", "ir_switch", "noise", "low_bitrate", "vibration", "lorry")
LIGHTING = {"light_down", "light_up", "light_switch"}
TRIM = re.compile(r"use (\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?) ?s\b")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- scenes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    name: str
    row: int  # manifest row (0-based): rotates the tamper types
    path: Path
    split: str
    tags: tuple[str, ...]
    lo: float
    hi: float | None


def read_scenes(manifest: Path, data: Path) -> list[Scene]:
    with open(manifest, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = []
    for i, r in enumerate(rows):
        m = TRIM.search(r.get("notes", ""))
        lo, hi = (float(m.group(1)), float(m.group(2))) if m else (0.0, None)
        tags = tuple(t for t in r.get("tags", "").split(",") if t)
        out.append(Scene(Path(r["local_path"]).stem, i, data / r["local_path"], r["split"], tags, lo, hi))
    return out


def content_box(frames: list[np.ndarray], level: float = 28.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the picture inside black letterbox / pillarbox bars (the whole frame
    when there are none, or when the scene is too dark to tell bars from night)."""
    g = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]).astype(np.float32)
    h, w = g.shape[1:]
    if g.mean() < 25:
        return 0, 0, w, h
    cols, rows = g.max(axis=(0, 1)), g.max(axis=(0, 2))
    lit_c, lit_r = np.flatnonzero(cols > level), np.flatnonzero(rows > level)
    if not len(lit_c) or not len(lit_r):
        return 0, 0, w, h
    x0, x1, y0, y1 = int(lit_c[0]), int(lit_c[-1]) + 1, int(lit_r[0]), int(lit_r[-1]) + 1
    if x1 - x0 < 0.5 * w or y1 - y0 < 0.5 * h:
        return 0, 0, w, h
    trim = lambda a, b, n: (a + 2, b - 2) if (a, b) != (0, n) else (a, b)  # noqa: E731 (edge ringing)
    (x0, x1), (y0, y1) = trim(x0, x1, w), trim(y0, y1, h)
    return x0, y0, x1, y1


class SceneBank:
    """The scene's frames from `lo` (to `hi`, at most BASELINE_MAX_S + SCENE_CAP_S), bars cut
    off, scaled so the view window renders at most MAX_WIDTH wide, JPEG-compressed in memory."""

    def __init__(self, scene: Scene, quality: int = 92):
        self.fps = 0.0
        jpegs, head, box, size = [], [], None, None
        limit = scene.hi if scene.hi is not None else scene.lo + BASELINE_MAX_S + SCENE_CAP_S
        times = []
        for t, img in iter_video(scene.path, limit_s=limit):
            if t < scene.lo - 1e-6:
                continue
            if box is None:
                head.append((t, img))
                if len(head) < 12:
                    continue
                box, size = self._geometry(content_box([im for _, im in head]))
                pending, head = head, []
            else:
                pending = [(t, img)]
            for tt, im in pending:
                x0, y0, x1, y1 = box
                im = cv2.resize(im[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
                jpegs.append(cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
                times.append(tt)
        if box is None and head:  # fewer than 12 frames
            box, size = self._geometry(content_box([im for _, im in head]))
            for tt, im in head:
                x0, y0, x1, y1 = box
                jpegs.append(cv2.imencode(".jpg", cv2.resize(im[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA))[1].tobytes())
                times.append(tt)
        if len(jpegs) < 2:
            raise SystemExit(f"error: no frames decoded from {scene.path}")
        self.jpegs, self.box, self.size = jpegs, box, size
        self.fps = (len(times) - 1) / max(1e-6, times[-1] - times[0])
        self.duration_s = len(jpegs) / self.fps

    def _geometry(self, box):
        x0, y0, x1, y1 = box
        cw, ch = x1 - x0, y1 - y0
        bw = min(cw, round(MAX_WIDTH / CROP))
        bh = round(ch * bw / cw)
        ow = 2 * int(CROP * bw / 2)
        oh = 2 * int(ow * bh / bw / 2)
        self.out_wh = (ow, oh)
        return box, (bw, bh)

    def frame(self, i: int) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(self.jpegs[i], np.uint8), cv2.IMREAD_COLOR)

    def window(self, a_s: float, b_s: float, offset_s: float = 0.0):
        """frame_at(t) for a clip playing [a_s, b_s) of the scene from `offset_s` on, back and
        forth (ping-pong) where the clip is longer than the window."""
        i0 = min(len(self.jpegs) - 1, int(round(a_s * self.fps)))
        i1 = max(i0 + 1, min(len(self.jpegs), int(round(b_s * self.fps))))
        n = i1 - i0

        def frame_at(t: float) -> np.ndarray:
            k = int(round((t + offset_s) * self.fps))
            if n > 1:
                period = 2 * (n - 1)
                k %= period
                k = k if k < n else period - k
            else:
                k = 0
            return self.frame(i0 + k)

        return frame_at


# --- clip specifications ------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    """One test clip: what happens, when, and on top of what (all JSON-serialisable)."""

    name: str
    tamper: str | None
    params: dict
    onset_s: float | None
    duration_s: float
    nuisances: tuple
    crf: int
    offset_s: float
    seed: int


def _u(rng, a, b, nd=3):
    return round(float(rng.uniform(a, b)), nd)


def tamper_params(kind: str, rng: np.random.Generator) -> dict:
    sign = float(rng.choice([-1.0, 1.0]))
    speed = {"ramp_s": _u(rng, 0.2, 0.8)} if rng.random() < 0.5 else {"ramp_s": _u(rng, 2.0, 6.0)}
    side = str(rng.choice(["left", "right", "top", "bottom"]))
    if kind in ("pan", "tilt"):
        return {"amount": round(sign * _u(rng, 0.03, 0.20), 3), **speed}
    if kind == "roll":
        return {"deg": round(sign * _u(rng, 2.0, 12.0), 2), **speed}
    if kind == "zoom":
        z = _u(rng, 1.07, 1.5) if rng.random() < 0.7 else round(1 / _u(rng, 1.07, 1.3), 3)
        return {"zoom": z, **speed}
    if kind == "jolt":
        return {"tilt": round(sign * _u(rng, 0.025, 0.035), 3), "pan": _u(rng, -0.01, 0.01), "ramp_s": 0.1}
    if kind == "cover":
        variant = str(rng.choice(["hand", "board"]))
        colour = [int(c) for c in rng.integers(25, 150, 3)]
        return {"variant": variant, "frac": _u(rng, 0.3, 1.0, 2), "side": side, "colour": colour, "ramp_s": _u(rng, 0.3, 2.0)}
    if kind == "translucent":
        dark = rng.random() < 0.7
        colour = [int(c) for c in (rng.integers(10, 50, 3) if dark else rng.integers(170, 230, 3))]
        return {"frac": _u(rng, 0.4, 1.0, 2), "opacity": _u(rng, 0.7, 0.97, 2), "side": side, "colour": colour,
                "ramp_s": _u(rng, 0.5, 2.0)}
    if kind == "spray":
        colour = [int(c) for c in (rng.integers(10, 50, 3) if rng.random() < 0.6 else rng.integers(0, 255, 3))]
        return {"amount": _u(rng, 0.3, 1.0, 2), "opacity": _u(rng, 0.7, 1.0, 2), "colour": colour, "ramp_s": _u(rng, 0.5, 3.0)}
    if kind == "defocus":
        return {"sigma": _u(rng, 2.0, 8.0, 2), "noise": _u(rng, 2.0, 8.0, 2),
                "ramp_s": _u(rng, 0.1, 0.5) if rng.random() < 0.5 else _u(rng, 2.0, 5.0)}
    if kind == "blackout":
        return {"fade_s": 0.0 if rng.random() < 0.5 else _u(rng, 0.5, 2.0)}
    if kind == "freeze":
        return {}
    raise ValueError(kind)


def nuisance_params(kind: str, rng: np.random.Generator, duration: float) -> dict:
    if kind == "light_down":
        return {"at": _u(rng, 0.0, duration - 6), "dur": _u(rng, 3.0, 12.0), "gain": _u(rng, 0.35, 0.6, 2)}
    if kind == "light_up":
        return {"at": _u(rng, 0.0, duration - 6), "dur": _u(rng, 3.0, 12.0), "gain": _u(rng, 1.3, 1.8, 2)}
    if kind == "light_switch":
        gain = _u(rng, 0.45, 0.65, 2) if rng.random() < 0.5 else _u(rng, 1.4, 1.7, 2)
        return {"at": _u(rng, 2.0, duration - 4), "gain": gain}
    if kind == "ir_switch":
        return {"at": _u(rng, 3.0, duration - 4)}
    if kind == "noise":
        return {"sigma": _u(rng, 2.0, 8.0, 2)}
    if kind == "low_bitrate":
        return {"crf": int(rng.integers(30, 39))}
    if kind == "vibration":
        return {"px": _u(rng, 0.7, 2.0, 2)}
    if kind == "lorry":
        return {"at": _u(rng, 1.0, duration - 9), "cross_s": _u(rng, 3.0, 8.0, 2), "height": _u(rng, 0.2, 0.5, 2),
                "length": _u(rng, 1.2, 2.0, 2)}
    if kind == "rain":
        return {}
    if kind == "crowd":
        return {"others": [_u(rng, 1.0, 9.0, 2), _u(rng, 1.0, 9.0, 2)]}
    raise ValueError(kind)


def pick_nuisances(rng: np.random.Generator, pool: list[str], k: int, first: str | None = None) -> list[str]:
    """k different nuisances from `pool`, at most one lighting change among them."""
    names = [first] if first else []
    while len(names) < k:
        left = [c for c in pool if c not in names and not (c in LIGHTING and LIGHTING & set(names))]
        if not left:
            break
        names.append(str(rng.choice(left)))
    return names


def scene_clips(scene: Scene, seed: int, n_tamper: int, n_normal: int, test_span_s: float) -> list[Clip]:
    """The scene's clips, drawn from a generator seeded by (seed, scene name)."""
    rng = np.random.default_rng([seed, zlib.crc32(scene.name.encode())])
    choices = list(NUISANCES)
    if "outdoor" in scene.tags:
        choices.append("rain")
    if {"crowd", "traffic"} & set(scene.tags):
        choices.append("crowd")
    clips = []
    total = n_tamper + n_normal
    for j in range(total):
        tamper = TAMPERS[(scene.row * n_tamper + j) % len(TAMPERS)] if j < n_tamper else None
        duration = _u(rng, *CLIP_S, 1)
        onset = _u(rng, *ONSET_S, 1) if tamper else None
        if tamper:
            pool = [c for c in choices if not (tamper == "defocus" and c == "noise")]
            names = pick_nuisances(rng, pool, 1 + int(rng.random() < 0.5))
        else:
            first = NUISANCES[(2 * scene.row + j) % len(NUISANCES)]
            names = pick_nuisances(rng, choices, 2 + int(rng.random() < 0.5), first=first)
        nuis = tuple((str(k), nuisance_params(str(k), rng, duration)) for k in sorted(names, key=choices.index))
        crf = next((p["crf"] for k, p in nuis if k == "low_bitrate"), BASE_CRF)
        params = tamper_params(tamper, rng) if tamper else {}
        name = f"{j:02d}_{tamper or 'normal'}"
        clips.append(Clip(name, tamper, params, onset, duration, nuis, crf,
                          round(j * test_span_s / total, 2), int(rng.integers(1, 2**31 - 1))))
    return clips


# --- clip specification -> scenario -------------------------------------------------------------


def _pose_fn(clip: Clip, vib_px: float):
    p, o = clip.params, clip.onset_s

    def pose(t: float) -> Pose:
        jit = (0.0, 0.0)
        if vib_px:
            j = frame_rng(clip.seed + 1, t).uniform(-vib_px, vib_px, 2)
            jit = (float(j[0]), float(j[1]))
        if clip.tamper not in ("pan", "tilt", "roll", "zoom", "jolt"):
            return Pose(jitter_px=jit)
        u = smooth_ramp(t, o, o + p["ramp_s"])
        if clip.tamper == "pan":
            return Pose(pan=p["amount"] * u, jitter_px=jit)
        if clip.tamper == "tilt":
            return Pose(tilt=p["amount"] * u, jitter_px=jit)
        if clip.tamper == "roll":
            return Pose(roll_deg=p["deg"] * u, jitter_px=jit)
        if clip.tamper == "zoom":
            return Pose(zoom=1.0 + (p["zoom"] - 1.0) * u, jitter_px=jit)
        return Pose(pan=p["pan"] * u, tilt=p["tilt"] * u, jitter_px=jit)

    return pose


def _optical(clip: Clip):
    """The tamper's picture effect (before lighting, IR and noise), or None."""
    p, o, s = clip.params, clip.onset_s, clip.seed
    if clip.tamper == "cover" and p["variant"] == "hand":
        return lambda im, t: cover(im, smooth_ramp(t, o, o + p["ramp_s"], 0, p["frac"]), p["side"], colour=tuple(p["colour"]), seed=s)
    if clip.tamper == "cover":
        return lambda im, t: board(im, smooth_ramp(t, o, o + p["ramp_s"], 0, p["frac"]), p["side"], seed=s % 997)
    if clip.tamper == "translucent":
        return lambda im, t: sheet(im, smooth_ramp(t, o, o + p["ramp_s"], 0, p["frac"]), p["side"],
                                   colour=tuple(p["colour"]), opacity=p["opacity"], seed=s)
    if clip.tamper == "spray":
        return lambda im, t: spray(im, ramp(t, o, o + p["ramp_s"], 0, p["amount"]), colour=tuple(p["colour"]),
                                   opacity=p["opacity"], seed=s % 997)
    if clip.tamper == "defocus":
        return lambda im, t: blur(im, ramp(t, o, o + p["ramp_s"], 0, p["sigma"]))
    return None


def _lighting(kind: str, q: dict):
    if kind == "light_down" or kind == "light_up":
        gamma = 1.1 if kind == "light_down" else 0.9
        return lambda im, t: light(im, ramp(t, q["at"], q["at"] + q["dur"], 1.0, q["gain"]), 1.0 if t < q["at"] else gamma)
    if kind == "light_switch":
        return lambda im, t: light(im, q["gain"]) if t >= q["at"] else im
    return None


def build_scenario(clip: Clip, bank: SceneBank, background: np.ndarray | None, others_at) -> Scenario:
    nuis = dict(clip.nuisances)
    scene_fx, camera_fx, sensor_fx, source_fx = [], [], [], []
    if "lorry" in nuis:
        q = nuis["lorry"]
        scene_fx.append(lambda im, t: passing_vehicle(im, t, q["at"], q["cross_s"], height_frac=q["height"],
                                                      length_frac=q["length"], seed=clip.seed % 991))
    if "rain" in nuis:
        scene_fx.append(lambda im, t: rain(im, frame_rng(clip.seed + 2, t)))
    optical = _optical(clip)
    for k in ("light_down", "light_up", "light_switch"):
        if k in nuis:
            camera_fx.append(_lighting(k, nuis[k]))
    if "ir_switch" in nuis:
        at = nuis["ir_switch"]["at"]
        sensor_fx.append(lambda im, t: light(im, ramp(t, at - 2.0, at, 1.0, 0.55)) if t < at else ir_night(im, frame_rng(clip.seed + 3, t)))
    sigma = clip.params["noise"] if clip.tamper == "defocus" else nuis.get("noise", {}).get("sigma", 0.0)
    if sigma:
        sensor_fx.append(lambda im, t: live_noise(im, sigma, frame_rng(clip.seed + 4, t)))
    if clip.tamper == "blackout":
        o, fade = clip.onset_s, clip.params["fade_s"]
        sensor_fx.append(lambda im, t: im if t < o else (light(im, ramp(t, o, o + fade, 1.0, 0.03)) if t < o + fade
                                                           else blackout(im, frame_rng(clip.seed + 5, t))))
    if "crowd" in nuis and background is not None:
        offs = nuis["crowd"]["others"]
        source_fx.append(lambda im, t: add_crowd(im, [others_at(t + d) for d in offs], background))
    effects = tuple(scene_fx) + ((optical,) if optical else ()) + tuple(camera_fx) + tuple(sensor_fx)
    return Scenario(clip.name, clip.tamper or "normal", clip.duration_s, onset_s=clip.onset_s,
                    expected=(KIND[clip.tamper],) if clip.tamper else (), pose=_pose_fn(clip, nuis.get("vibration", {}).get("px", 0.0)),
                    source_effects=tuple(source_fx), effects=effects,
                    picture_freeze_s=clip.onset_s if clip.tamper == "freeze" else None, crf=clip.crf)


# --- the detector under test --------------------------------------------------------------------


class Detector:
    """cctv-guard through its library (default) or its command line (`--via cli`, or when the
    library names cannot be imported)."""

    def __init__(self, via: str, keyframes_only: bool):
        self.keyframes_only = keyframes_only
        self.via = via
        if via == "library":
            try:
                from cctv_guard.tamper import build_baseline, check_source
            except ImportError:
                try:
                    from cctv_guard.tamper.baseline import build_baseline
                    from cctv_guard.tamper.check import check_source
                except ImportError:
                    self.via = "cli"
                    return
            self._build, self._check = build_baseline, check_source

    def baseline(self, clip: Path):
        if self.via == "library":
            return self._build(clip)
        out = clip.with_suffix(".baseline")
        subprocess.run([sys.executable, "-m", "cctv_guard", "baseline", str(clip), "--out", str(out)],
                       check=True, capture_output=True)
        return out

    def check(self, clip: Path, baseline) -> list[dict]:
        if self.via == "library":
            return self._check(clip, baseline, keyframes_only=self.keyframes_only, threads=1).to_json()["events"]
        cmd = [sys.executable, "-m", "cctv_guard", "check", str(clip), "--baseline", str(baseline), "--json", "-", "--no-privacy"]
        res = subprocess.run(cmd + (["--keyframes-only"] if self.keyframes_only else []), capture_output=True, text=True)
        if res.returncode not in (0, 1):
            raise RuntimeError(f"check failed ({res.returncode}): {res.stderr[-500:]}")
        return json.loads(res.stdout)["events"]


# --- scoring ----------------------------------------------------------------------------------


def score(clip: Clip, events: list[dict]) -> dict:
    evs = [{"kind": e["kind"], "start_s": e["start_s"], "confirmed_s": e.get("confirmed_s", e["start_s"]),
            "end_s": e.get("end_s")} for e in events]
    if clip.tamper is None:
        return {"false_alarms": evs, "wrong_kind": [], "detected": None, "kind_correct": None}
    t0 = clip.onset_s - EARLY_S
    before = [e for e in evs if e["start_s"] < t0]
    after = [e for e in evs if e["start_s"] >= t0]
    ok = set(ACCEPTED[clip.tamper]) | {KIND[clip.tamper]}
    hits = [e for e in after if e["kind"] in ok]
    row = {"false_alarms": before, "wrong_kind": [e for e in after if e["kind"] not in ok], "detected": bool(hits),
           "kind_correct": any(e["kind"] == KIND[clip.tamper] for e in hits)}
    if hits:
        first = min(hits, key=lambda e: e["confirmed_s"])
        row.update(kind=first["kind"], latency_s=round(first["confirmed_s"] - clip.onset_s, 2),
                   start_delay_s=round(min(e["start_s"] for e in hits) - clip.onset_s, 2))
    return row


# --- one scene --------------------------------------------------------------------------------


def clip_spec(clip: Clip) -> dict:
    """What a rendered clip was made from (JSON round-tripped: tuples become lists)."""
    return json.loads(json.dumps(asdict(clip)))


def _spec_path(path: Path) -> Path:
    return path.with_name(path.name + ".spec.json")


def _write_spec(path: Path, spec: dict) -> None:
    _spec_path(path).write_text(json.dumps(spec, sort_keys=True) + "\n", encoding="utf-8")


def _reusable(path: Path, spec: dict) -> bool:
    """A kept clip may stand in for a fresh render when it was made from the same specification."""
    try:
        return path.is_file() and json.loads(_spec_path(path).read_text(encoding="utf-8")) == spec
    except (OSError, ValueError):
        return False


def run_scene(scene: Scene, *, seed: int, n_tamper: int, n_normal: int, via: str, keyframes_only: bool,
              workdir: str, keep: bool, reuse: bool = False) -> dict:
    cv2.setNumThreads(1)
    t_start, cpu_start = time.perf_counter(), time.process_time()
    bank = SceneBank(scene)
    fps = min(MAX_FPS, bank.fps)
    geometry = ViewGeometry(bank.size, bank.out_wh, CROP)
    base_s = min(BASELINE_MAX_S, max(BASELINE_MIN_S, 0.4 * bank.duration_s))
    span = max(1.0 / bank.fps, bank.duration_s - base_s)
    det = Detector(via, keyframes_only)
    folder = Path(workdir) / scene.name
    folder.mkdir(parents=True, exist_ok=True)
    ref = Scenario("baseline", "normal", duration_s=base_s)
    ref_spec = {"baseline_s": round(base_s, 3), "fps": round(fps, 3), "crf": BASE_CRF, "clip_size": list(bank.out_wh)}
    ref_path = folder / "baseline.mp4"
    if not (reuse and _reusable(ref_path, ref_spec)):
        write_mp4(ref_path, render_scenario(ref, geometry, bank.window(0.0, base_s), fps), fps, crf=BASE_CRF, preset="superfast")
        _write_spec(ref_path, ref_spec)
    baseline = det.baseline(ref_path)
    clips = scene_clips(scene, seed, n_tamper, n_normal, span)
    background = None
    if any(k == "crowd" for c in clips for k, _ in c.nuisances):
        test_at = bank.window(base_s, bank.duration_s)
        background = median_background([test_at(t) for t in np.linspace(0, span, 15)])
    rows = []
    for clip in clips:
        frame_at = bank.window(base_s, bank.duration_s, clip.offset_s)
        sc = build_scenario(clip, bank, background, bank.window(base_s, bank.duration_s, clip.offset_s))
        path = folder / f"{clip.name}.mp4"
        t0 = time.perf_counter()
        spec = clip_spec(clip)
        if not (reuse and _reusable(path, spec)):
            write_mp4(path, render_scenario(sc, geometry, frame_at, fps), fps, crf=clip.crf, preset="superfast")
            _write_spec(path, spec)
        t1 = time.perf_counter()
        events = det.check(path, baseline)
        t2 = time.perf_counter()
        row = {**asdict(clip), "nuisances": [k for k, _ in clip.nuisances], "nuisance_params": dict(clip.nuisances),
               "render_s": round(t1 - t0, 2), "check_s": round(t2 - t1, 2), **score(clip, events)}
        rows.append(row)
        log(f"  {scene.name}/{clip.name} [{'+'.join(row['nuisances'])}]: "
            + (", ".join(f"{e['kind']}@{e['start_s']:.1f}" for e in events) or "no event") + f"  ({row['check_s']} s)")
        if not keep:
            path.unlink(missing_ok=True)
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return {"scene": scene.name, "split": scene.split, "tags": list(scene.tags), "trim": [scene.lo, scene.hi],
            "content_box": list(bank.box), "clip_size": list(bank.out_wh), "fps": round(fps, 3), "baseline_s": round(base_s, 2),
            "source_span_s": round(span, 2), "wall_s": round(time.perf_counter() - t_start, 1),
            "cpu_s": round(time.process_time() - cpu_start, 1), "clips": rows}


# --- aggregation and reports ------------------------------------------------------------------


def summarise(clips: list[dict]) -> dict:
    tam = [c for c in clips if c["tamper"]]
    det = [c for c in tam if c["detected"]]
    fa = sum(len(c["false_alarms"]) for c in clips)
    normal_s = sum(c["duration_s"] if not c["tamper"] else c["onset_s"] for c in clips)
    lat = [c["latency_s"] for c in det]
    out = {
        "clips": len(clips), "tamper_clips": len(tam), "normal_clips": len(clips) - len(tam),
        "detected": len(det), "recall": round(len(det) / len(tam), 3) if tam else None,
        "kind_correct": sum(c["kind_correct"] for c in tam),
        "kind_recall": round(sum(c["kind_correct"] for c in tam) / len(tam), 3) if tam else None,
        "kind_accuracy_of_detected": round(sum(c["kind_correct"] for c in det) / len(det), 3) if det else None,
        "false_alarms": fa, "clips_with_false_alarms": sum(1 for c in clips if c["false_alarms"]),
        "wrong_kind_events": sum(len(c["wrong_kind"]) for c in clips),
        "normal_footage_h": round(normal_s / 3600, 4), "footage_h": round(sum(c["duration_s"] for c in clips) / 3600, 4),
        "false_alarms_per_h": round(fa / (normal_s / 3600), 1) if normal_s else None,
        "median_latency_s": round(statistics.median(lat), 2) if lat else None,
        "median_start_delay_s": round(statistics.median([c["start_delay_s"] for c in det]), 2) if det else None,
    }
    out["by_tamper"] = {t: f"{sum(bool(c['detected']) for c in tam if c['tamper'] == t)}/{sum(c['tamper'] == t for c in tam)}"
                        f" ({sum(bool(c['kind_correct']) for c in tam if c['tamper'] == t)} right kind)"
                        for t in TAMPERS if any(c["tamper"] == t for c in tam)}
    fa_by = {}
    for c in clips:
        for e in c["false_alarms"]:
            fa_by[e["kind"]] = fa_by.get(e["kind"], 0) + 1
    out["false_alarms_by_kind"] = dict(sorted(fa_by.items()))
    out["false_alarm_clips_by_nuisance"] = {
        k: f"{sum(1 for c in clips if k in c['nuisances'] and c['false_alarms'])}/{sum(1 for c in clips if k in c['nuisances'])}"
        for k in NUISANCES + ("rain", "crowd") if any(k in c["nuisances"] for c in clips)}
    return out


def _fmt(v, pct=False):
    if v is None:
        return "–"
    return f"{100 * v:.0f} %" if pct else str(v)


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = [f"# Tamper benchmark on real scenes ({s['check_mode']} mode)", "",
             f"cctv-guard {report['version']}; seed {s['seed']}; {s['tamper_clips']} tamper + {s['normal_clips']} nuisance-only "
             f"clips per scene; detector via {s['via']}; wall {report['wall_s']} s with {s['workers']} workers "
             f"({report['cpu_s']} s CPU in the workers).", "",
             "## Totals", "",
             "| split | scenes | tamper clips | recall | right kind | false alarms (clips) | FA per h | normal footage | median latency | median start delay |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for split, t in report["totals"].items():
        lines.append(f"| {split} | {t['scenes']} | {t['tamper_clips']} | {_fmt(t['recall'])} ({t['detected']}) | {_fmt(t['kind_recall'])} "
                     f"({t['kind_correct']}) | {t['false_alarms']} ({t['clips_with_false_alarms']}) | {_fmt(t['false_alarms_per_h'])} "
                     f"| {60 * t['normal_footage_h']:.1f} min | {_fmt(t['median_latency_s'])} s | {_fmt(t['median_start_delay_s'])} s |")
    if "recall_gap_tune_minus_test" in report:
        lines += ["", f"Recall gap (tune − test): {report['recall_gap_tune_minus_test']}."]
    lines += ["", "## Per tamper type (detected/clips, right kind)", "", "| type | " + " | ".join(report["totals"]) + " |",
              "|---|" + "---|" * len(report["totals"])]
    for t in TAMPERS:
        cells = [report["totals"][sp]["by_tamper"].get(t, "–") for sp in report["totals"]]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    lines += ["", "False alarms by kind: " + "; ".join(f"{sp}: {report['totals'][sp]['false_alarms_by_kind'] or 'none'}"
                                                      for sp in report["totals"]), "",
              "Clips with a false alarm / clips carrying each nuisance: " + "; ".join(
                  f"{sp}: " + ", ".join(f"{k} {v}" for k, v in report["totals"][sp]["false_alarm_clips_by_nuisance"].items())
                  for sp in report["totals"]), "",
              "## Per scene", "",
              "| scene | split | tags | recall | right kind | false alarms | median latency | misses and false alarms |",
              "|---|---|---|---|---|---|---|---|"]
    for sc in report["scenes"]:
        t = sc["summary"]
        notes = [f"missed {c['name']}" for c in sc["clips"] if c["tamper"] and not c["detected"]]
        notes += [f"{c['name']}: " + ", ".join(f"{e['kind']}@{e['start_s']:.1f}" for e in c["false_alarms"])
                  for c in sc["clips"] if c["false_alarms"]]
        lines.append(f"| {sc['scene']} | {sc['split']} | {', '.join(sc['tags'])} | {t['detected']}/{t['tamper_clips']} | "
                     f"{t['kind_correct']}/{t['tamper_clips']} | {t['false_alarms']} | {_fmt(t['median_latency_s'])} | "
                     f"{'; '.join(notes) or ''} |")
    return "\n".join(lines) + "\n"


def write_text(path: str, text: str) -> None:
    tmp = Path(path).with_name(Path(path).name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/data", help="data root of the rebuilt manifest (default /work/data)")
    ap.add_argument("--manifest", default=str(MANIFEST), help="scene manifest (default datasets/tamper_scenes/manifest.tsv)")
    ap.add_argument("--split", choices=("tune", "test", "all"), default="all")
    ap.add_argument("--scenes", help="only these scenes (comma-separated names, e.g. ucf_mall_tiled,office_lobby)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="scenes in parallel (default 2)")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--tamper-clips", type=int, default=6, help="tamper clips per scene (default 6)")
    ap.add_argument("--normal-clips", type=int, default=2, help="nuisance-only clips per scene (default 2)")
    ap.add_argument("--keyframes-only", action="store_true", help="check keyframes-only instead of the default mode")
    ap.add_argument("--via", choices=("library", "cli"), default="library", help="call cctv-guard's library or its CLI")
    ap.add_argument("--json", dest="json_out", help="write the full report (per clip) as JSON here")
    ap.add_argument("--md", help="write the Markdown tables here")
    ap.add_argument("--keep", help="keep the rendered clips in this folder")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: check clips already kept there (same specification) instead of rendering them again")
    args = ap.parse_args(argv)

    scenes = read_scenes(Path(args.manifest), Path(args.data))
    if args.split != "all":
        scenes = [s for s in scenes if s.split == args.split]
    if args.scenes:
        want = [n.strip() for n in args.scenes.split(",") if n.strip()]
        unknown = sorted(set(want) - {s.name for s in scenes})
        if unknown:
            ap.error(f"unknown scene(s) for this split: {', '.join(unknown)}")
        scenes = [s for s in scenes if s.name in want]
    missing = [str(s.path) for s in scenes if not s.path.is_file()]
    if missing:
        ap.error("missing footage (rebuild it with scripts/build_dataset.py): " + ", ".join(missing))
    started = time.perf_counter()
    workdir = args.keep or tempfile.mkdtemp(prefix="cctv-bench-scenes-")
    job = partial(run_scene, seed=args.seed, n_tamper=args.tamper_clips, n_normal=args.normal_clips, via=args.via,
                  keyframes_only=args.keyframes_only, workdir=workdir, keep=bool(args.keep), reuse=bool(args.reuse and args.keep))
    order = sorted(scenes, key=lambda s: -s.path.stat().st_size)  # big files first: better packing
    log(f"{len(scenes)} scenes, {args.tamper_clips}+{args.normal_clips} clips each, {args.workers} workers, work in {workdir}")
    results = {}
    try:
        if args.workers > 1:
            # spawn, not fork: decoder / OpenCV thread pools of this process would deadlock forked children
            with mp.get_context("spawn").Pool(args.workers) as pool:
                for res in pool.imap_unordered(job, order):
                    results[res["scene"]] = res
                    log(f"[{len(results)}/{len(scenes)}] {res['scene']} done in {res['wall_s']} s ({res['cpu_s']} s CPU)")
        else:
            for sc in order:
                res = job(sc)
                results[res["scene"]] = res
                log(f"[{len(results)}/{len(scenes)}] {res['scene']} done in {res['wall_s']} s ({res['cpu_s']} s CPU)")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = [results[s.name] for s in scenes]
    for r in rows:
        r["summary"] = summarise(r["clips"])
    totals = {}
    for split in ("tune", "test"):
        part = [r for r in rows if r["split"] == split]
        if part:
            totals[split] = {"scenes": len(part), **summarise([c for r in part for c in r["clips"]])}
    from cctv_guard import __version__

    report = {"schema": SCHEMA, "version": __version__,
              "settings": {"seed": args.seed, "split": args.split, "scenes": [s.name for s in scenes],
                           "tamper_clips": args.tamper_clips, "normal_clips": args.normal_clips,
                           "check_mode": "keyframes-only" if args.keyframes_only else "default", "via": args.via,
                           "workers": args.workers, "crop": CROP, "max_width": MAX_WIDTH, "max_fps": MAX_FPS,
                           "clip_s": CLIP_S, "onset_s": ONSET_S, "early_s": EARLY_S},
              "wall_s": round(time.perf_counter() - started, 1), "cpu_s": round(sum(r["cpu_s"] for r in rows), 1),
              "totals": totals, "scenes": rows}
    if "tune" in totals and "test" in totals and totals["tune"]["recall"] is not None and totals["test"]["recall"] is not None:
        report["recall_gap_tune_minus_test"] = round(totals["tune"]["recall"] - totals["test"]["recall"], 3)
    md = markdown(report)
    if args.json_out:
        write_text(args.json_out, json.dumps(report, indent=1) + "\n")
    if args.md:
        write_text(args.md, md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
