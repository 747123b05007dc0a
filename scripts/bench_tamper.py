#!/usr/bin/env python3
"""Synthetic tamper benchmark (UHCTD-style cases made from real footage).

    python scripts/bench_tamper.py                 # full run (74 vtest + vas cases, a few minutes)
    python scripts/bench_tamper.py --quick         # one case per kind of tamper / nuisance, vtest only
    python scripts/bench_tamper.py --keyframes-only --no-naive   # checked keyframes-only (files over 5 min, audits)
    python scripts/bench_tamper.py --out bench.json --keep /tmp/cases   # JSON summary; keep the mp4s

Each case is rendered from real footage (OpenCV's vtest.avi, and the pre-tamper stretch of the
vas_* clips in ../shared/data/dev/tamper_clips when present) into a temporary H.264 mp4, so the
real decoding path runs. The camera is normal for ONSET_S seconds, then the tamper starts:
pan / tilt / roll / zoom of various sizes and speeds, partial / full / translucent covers,
defocus, blackout, picture and sensor freezes. Normal cases carry nuisances instead: dusk,
lights switching, the IR day/night switch, sensor noise, heavy compression, vibration, rain,
passing lorries, crowds. vtest-based clips carry a ticking on-screen clock, as most cameras do.

Per source a baseline is built once (`cctv_guard.tamper.baseline.build_baseline`) from a separate
normal clip; each case is checked with `cctv_guard.tamper.check.check_source` in its default mode.
A case is detected when an event of the right kind (or an accepted alternative, e.g. a big pan
that also loses coverage) starts no earlier than 0.5 s before the onset. Every other event is a
false alarm (before the onset, or on a normal clip) or a wrong kind (after the onset). Delays
are measured from the onset to the event's `start_s` (first frame showing the condition) and
`confirmed_s`. The same cases are scored for a naive recipe (correlation + Laplacian variance +
brightness against a reference frame) for comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from footage import DEV_MANIFEST, TAMPER_CLIPS, FrameBank, find_vtest, write_mp4  # noqa: E402
from tamper_cases import (  # noqa: E402
    Pose,
    Scenario,
    ViewGeometry,
    add_crowd,
    add_noise,
    blackout,
    blur,
    cover,
    decompose,
    frame_rng,
    ir_night,
    light,
    live_noise,
    median_background,
    osd_clock,
    passing_vehicle,
    rain,
    ramp,
    render_scenario,
    smooth_ramp,
)

ONSET_S = 6.0
CASE_S = 16.0
BASELINE_S = 10.0
EARLY_TOLERANCE_S = 0.5
NAIVE_EVERY_S = 0.2
PERSIST_S = 2.0
# The pre-tamper stretches of vas_Defocusing / vas_Occlusion are nearly still images (mean
# difference between frames ~0.02 grey levels) and only 0.7-2 s long; looped, they would show
# exactly repeated frames, i.e. a frozen camera. A live camera's sensor never repeats a frame:
# fresh noise of this sigma stands in for it (the baseline clip gets it too; below ~3 the
# encoder smooths it away and the looped clip still reads as frozen).
VAS_SENSOR_NOISE = 3.0


# --- sources ------------------------------------------------------------------------------------


@dataclass
class Source:
    name: str
    bank: FrameBank
    geometry: ViewGeometry
    fps: float
    osd: bool
    people: bool  # the footage has pedestrians to build crowds from
    offsets: tuple[float, ...]  # where in the footage the cases start (baseline: 0)
    background: np.ndarray | None = None
    share: tuple[int, int] = (0, 1)  # (k, n): run every n-th case of the catalogue, from the k-th
    sensor_noise: float = 0.0  # fresh noise per frame (grey levels) for looped, near-still footage


def load_sources(vtest: Path, *, with_vas: bool) -> list[Source]:
    bank = FrameBank(vtest, width=576, quality=92)
    vt = Source("vtest", bank, ViewGeometry(bank.size, (384, 288), 0.7), 10.0, osd=True, people=True,
                offsets=(10.0, 22.0, 34.0, 46.0, 58.0, 70.0))
    vt.background = median_background([bank.at(t) for t in np.arange(0, bank.duration_s, 2.0)])
    out = [vt]
    if with_vas and TAMPER_CLIPS.is_dir():
        # the three vas clips show the same parking lot: they share the catalogue between them
        found = [(n, f) for n, f in vas_onsets().items() if (TAMPER_CLIPS / f"{n}.mp4").is_file()]
        for k, (name, onset_frame) in enumerate(found):
            vb = FrameBank(TAMPER_CLIPS / f"{name}.mp4", width=960, limit_s=max(0.5, (onset_frame - 3) / 29.97), quality=92)
            out.append(Source(name, vb, ViewGeometry(vb.size, (640, 360), 0.7), 15.0, osd=False, people=False,
                              offsets=(0.0,), share=(k, len(found)), sensor_noise=VAS_SENSOR_NOISE))
    return out


def camera_noise(img: np.ndarray, t: float, sigma: float) -> np.ndarray:
    return live_noise(img, sigma, frame_rng(99, t))


def vas_onsets() -> dict[str, int]:
    """Tamper onset frames of the vas_* clips, from the MANIFEST's label text ("from ~frame N")."""
    import re

    onsets = {"vas_Defocusing": 25, "vas_Displacement": 85, "vas_Occlusion": 65}
    if DEV_MANIFEST.is_file():
        for line in DEV_MANIFEST.read_text().splitlines():
            m = re.match(r"tamper_clips/(vas_\w+)\.mp4\t.*?from ~frame (\d+)", line)
            if m:
                onsets[m.group(1)] = int(m.group(2))
    return onsets


# --- the case catalogue -----------------------------------------------------------------------


def moving(t0: float, dur: float, **final) -> callable:
    """Pose function: still until t0, then moving smoothly to `final` over `dur` seconds."""

    def pose(t: float) -> Pose:
        u = smooth_ramp(t, t0, t0 + dur)
        return Pose(
            pan=final.get("pan", 0.0) * u,
            tilt=final.get("tilt", 0.0) * u,
            roll_deg=final.get("roll_deg", 0.0) * u,
            zoom=1.0 + (final.get("zoom", 1.0) - 1.0) * u,
        )

    return pose


def jitter(amplitude_px: float, seed: int, t_from: float) -> callable:
    def pose(t: float) -> Pose:
        if t < t_from:
            return Pose()
        j = frame_rng(seed, t).uniform(-amplitude_px, amplitude_px, 2)
        return Pose(jitter_px=(float(j[0]), float(j[1])))

    return pose


def catalogue(src: Source) -> list[Scenario]:
    """All cases for one source. Tamper cases first, then normal ones."""
    o = ONSET_S
    base = partial(Scenario, duration_s=CASE_S)
    tamper = partial(base, onset_s=o)
    mv = ("coverage_lost",)
    cases = [
        # camera moves: small (3-5 %) and large (10-30 %), sudden and slow (2-5 s)
        tamper("pan_4pct_sudden", "moved", expected=("moved",), accepted=mv, pose=moving(o, 0.3, pan=0.04)),
        tamper("tilt_5pct_sudden", "moved", expected=("moved",), accepted=mv, pose=moving(o, 0.3, tilt=-0.05)),
        tamper("pan_15pct_sudden", "moved", expected=("moved",), accepted=mv, pose=moving(o, 0.5, pan=-0.15)),
        tamper("pantilt_20pct_sudden", "moved", expected=("moved",), accepted=mv, pose=moving(o, 0.6, pan=0.2, tilt=0.12)),
        tamper("pan_30pct_sudden", "moved", expected=("moved",), accepted=mv, pose=moving(o, 0.8, pan=0.3)),
        tamper("pan_5pct_slow3s", "moved", expected=("moved",), accepted=mv, pose=moving(o, 3.0, pan=-0.05)),
        tamper("pan_25pct_slow5s", "moved", expected=("moved",), accepted=mv, pose=moving(o, 5.0, pan=0.25)),
        tamper("tilt_10pct_slow4s", "moved", expected=("moved",), accepted=mv, pose=moving(o, 4.0, tilt=0.10)),
        tamper("roll_3deg_sudden", "rotated", expected=("rotated",), accepted=("moved",) + mv, pose=moving(o, 0.3, roll_deg=3.0)),
        tamper("roll_10deg_slow2s", "rotated", expected=("rotated",), accepted=("moved",) + mv, pose=moving(o, 2.0, roll_deg=-10.0)),
        tamper("zoom_in_1.1_sudden", "zoomed", expected=("zoomed",), accepted=mv, pose=moving(o, 0.5, zoom=1.1)),
        tamper("zoom_in_1.4_slow3s", "zoomed", expected=("zoomed",), accepted=("moved",) + mv, pose=moving(o, 3.0, zoom=1.4)),
        tamper("zoom_out_0.85_sudden", "zoomed", expected=("zoomed",), accepted=mv, pose=moving(o, 0.5, zoom=0.85)),
        # covers: partial (30-60 %), full, slow, translucent
        tamper("cover_35pct_left", "covered", expected=("covered",), accepted=("defocused",) + mv,
               effects=(lambda im, t: cover(im, smooth_ramp(t, o, o + 0.5, 0, 0.35), "left", colour=(60, 80, 115), seed=1),)),
        tamper("cover_50pct_bottom", "covered", expected=("covered",), accepted=("defocused",) + mv,
               effects=(lambda im, t: cover(im, smooth_ramp(t, o, o + 0.5, 0, 0.5), "bottom", colour=(40, 45, 50), seed=2),)),
        tamper("cover_60pct_top_slow2s", "covered", expected=("covered",), accepted=("defocused",) + mv,
               effects=(lambda im, t: cover(im, smooth_ramp(t, o, o + 2.0, 0, 0.6), "top", colour=(90, 110, 140), seed=3),)),
        tamper("cover_full_hand", "covered", expected=("covered",), accepted=("defocused", "blackout"),
               effects=(lambda im, t: cover(im, smooth_ramp(t, o, o + 0.6, 0, 1.0), "right", colour=(75, 100, 140), seed=4),)),
        tamper("cover_full_cloth_slow2s", "covered", expected=("covered",), accepted=("defocused", "blackout"),
               effects=(lambda im, t: cover(im, smooth_ramp(t, o, o + 2.0, 0, 1.0), "bottom", colour=(30, 30, 35), seed=5),)),
        tamper("cover_translucent_sheet", "covered", expected=("covered",), accepted=("defocused",),
               effects=(lambda im, t: cover(im, smooth_ramp(t, o, o + 1.0, 0, 1.0), "left", colour=(200, 205, 210), seed=6, opacity=0.8),)),
        # defocus
        tamper("defocus_sigma2_sudden", "defocused", expected=("defocused",), accepted=("covered",),
               effects=(lambda im, t: blur(im, 2.0 if t >= o else 0.0),)),
        tamper("defocus_sigma5_1s", "defocused", expected=("defocused",), accepted=("covered",),
               effects=(lambda im, t: blur(im, ramp(t, o, o + 1.0, 0, 5.0)),)),
        tamper("defocus_sigma3.5_slow4s", "defocused", expected=("defocused",), accepted=("covered",),
               effects=(lambda im, t: blur(im, ramp(t, o, o + 4.0, 0, 3.5)),)),
        # blackout
        tamper("blackout_sudden", "blackout", expected=("blackout",), accepted=("covered",),
               effects=(lambda im, t: blackout(im, frame_rng(7, t)) if t >= o else im,)),
        tamper("blackout_fade1.5s", "blackout", expected=("blackout",), accepted=("covered",),
               effects=(lambda im, t: light(im, ramp(t, o, o + 1.5, 1.0, 0.03)) if t >= o else im,)),
        # freezes
        tamper("freeze_picture", "frozen", expected=("frozen",), picture_freeze_s=o),
    ]
    if src.osd:
        cases.append(tamper("freeze_sensor_clock_running", "frozen", expected=("frozen",), source_freeze_s=o))
    n = o  # nuisances start where tampers would
    cases += [
        base("dusk_ramp_10s", "normal", effects=(lambda im, t: add_noise(light(im, ramp(t, n, n + 10, 1.0, 0.3)), ramp(t, n, n + 10, 0, 4), frame_rng(11, t)),)),
        base("lights_off", "normal", effects=(lambda im, t: light(im, 0.5, 1.15) if t >= n else im,)),
        base("lights_on", "normal", effects=(lambda im, t: light(im, 1.5, 0.9) if t >= n else im,)),
        base("ir_night_switch", "normal",
             effects=(lambda im, t: light(im, ramp(t, n - 3, n, 1.0, 0.5)) if t < n else ir_night(im, frame_rng(12, t)),)),
        base("sensor_noise_sigma10", "normal", effects=(lambda im, t: add_noise(im, 10.0 if t >= n else 0.0, frame_rng(13, t)),)),
        base("heavy_compression_crf40", "normal", crf=40),
        base("vibration_2px", "normal", pose=jitter(2.0, 14, n)),
        base("rain", "normal", effects=(lambda im, t: rain(im, frame_rng(15, t)) if t >= n else im,)),
        base("lorry_20pct", "normal", effects=(lambda im, t: passing_vehicle(im, t, n, 3.0, height_frac=0.2, seed=16),)),
        base("lorry_50pct", "normal", effects=(lambda im, t: passing_vehicle(im, t, n, 4.0, height_frac=0.5, length_frac=1.5, seed=17),)),
        # a long, slow lorry: in view for 8 s, i.e. on four keyframes in a row
        base("lorry_50pct_slow8s", "normal",
             effects=(lambda im, t: passing_vehicle(im, t, n, 8.0, height_frac=0.5, length_frac=2.0, seed=18),)),
    ]
    if src.people:
        others = (13.0, 27.0, 41.0, 55.0)
        cases.append(base("crowd_5x", "normal", source_effects=(
            lambda im, t: add_crowd(im, [src.bank.at(t + d) for d in others], src.background) if t >= n else im,)))
    if src.sensor_noise:
        cases = [replace(c, effects=c.effects + (partial(camera_noise, sigma=src.sensor_noise),)) for c in cases]
    if src.osd:
        cases = [replace(c, effects=c.effects + (osd_clock,)) for c in cases]
    return [with_truth(c, src.geometry) for c in cases]


def with_truth(sc: Scenario, geometry: ViewGeometry) -> Scenario:
    if sc.group not in ("moved", "rotated", "zoomed"):
        return sc
    final = sc.pose(sc.duration_s)
    return replace(sc, truth=decompose(geometry.image_motion(final), geometry.out_wh))


QUICK = {"pan_4pct_sudden", "pan_25pct_slow5s", "roll_3deg_sudden", "zoom_in_1.1_sudden", "cover_50pct_bottom",
         "cover_full_hand", "defocus_sigma2_sudden", "blackout_sudden", "freeze_picture", "ir_night_switch",
         "lorry_50pct", "vibration_2px", "dusk_ramp_10s", "crowd_5x"}


# --- the naive recipe ---------------------------------------------------------------------------


NAIVE_SIZE = (160, 120)


def _naive_stats(img: np.ndarray) -> tuple[np.ndarray, float, float]:
    g = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), NAIVE_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    return g, float(cv2.Laplacian(g, cv2.CV_32F).var()), float(g.mean())


@dataclass(frozen=True)
class NaiveReference:
    gray: np.ndarray
    lap_var: float
    brightness: float


def naive_reference(frames: list[np.ndarray]) -> NaiveReference:
    """The common recipe's reference: a median frame of the baseline window."""
    g, lap, bright = _naive_stats(median_background(frames))
    return NaiveReference(g, lap, bright)


def naive_kinds(ref: NaiveReference, img: np.ndarray, prev: np.ndarray | None) -> tuple[set[str], np.ndarray]:
    """Correlation with the reference (displacement), Laplacian variance (defocus), brightness
    (occlusion / blackout), and an unchanged frame (freeze); fixed thresholds."""
    g, lap, bright = _naive_stats(img)
    kinds = set()
    a, b = g - g.mean(), ref.gray - ref.gray.mean()
    corr = float((a * b).sum() / (math.sqrt(float((a * a).sum() * (b * b).sum())) + 1e-6))
    if bright < 20:
        kinds.add("blackout")
    elif lap < 0.4 * ref.lap_var:
        kinds.add("defocused")
    elif abs(bright - ref.brightness) > 0.4 * ref.brightness:
        kinds.add("covered")
    elif corr < 0.5:
        kinds.add("moved")
    if prev is not None and float(np.abs(g - prev).mean()) < 0.3:
        kinds.add("frozen")
    return kinds, g


def naive_check(path: Path, ref: NaiveReference) -> list[dict]:
    """Events from the naive recipe with the same persistence rule as cctv-guard's default."""
    from cctv_guard.media.sources import open_source

    events, pending, open_kinds, prev = [], {}, set(), None
    with open_source(path) as src:
        for f in src.frames(every=NAIVE_EVERY_S):
            kinds, prev = naive_kinds(ref, f.image, prev)
            for k in kinds:
                pending.setdefault(k, f.t)
                if k not in open_kinds and f.t - pending[k] >= PERSIST_S:
                    open_kinds.add(k)
                    events.append({"kind": k, "start_s": pending[k], "confirmed_s": f.t, "end_s": None, "details": {}})
            for k in list(pending):
                if k not in kinds:
                    pending.pop(k)
                    open_kinds.discard(k)
    return events


# --- running and scoring ---------------------------------------------------------------------------

SOURCES: list[Source] = []
CASES: list[tuple[int, Scenario]] = []
BASELINES: dict[str, object] = {}
NAIVE_REFS: dict[str, NaiveReference] = {}


def select_cases(sources: list[Source], quick: bool, only: str | None) -> list[tuple[int, Scenario]]:
    """(source index, case) pairs to run; deterministic, so workers rebuild the same list."""
    cases = []
    for si, src in enumerate(sources):
        for j, sc in enumerate(catalogue(src)):
            if (quick and sc.name not in QUICK) or (only and only not in sc.name) or j % src.share[1] != src.share[0]:
                continue
            cases.append((si, replace(sc, source_offset_s=src.offsets[j % len(src.offsets)])))
    return cases


def _init_worker(sources, baselines, naive_refs, quick, only) -> None:
    cv2.setNumThreads(1)
    SOURCES[:] = sources
    BASELINES.update(baselines)
    NAIVE_REFS.update(naive_refs)
    CASES[:] = select_cases(SOURCES, quick, only)


def score(sc: Scenario, events: list[dict]) -> dict:
    """Compare one case's events with its ground truth."""
    right = set(sc.expected) | set(sc.accepted)
    if sc.onset_s is None:
        false_alarms, hits, wrong = events, [], []
    else:
        false_alarms = [e for e in events if e["start_s"] < sc.onset_s - EARLY_TOLERANCE_S]
        after = [e for e in events if e["start_s"] >= sc.onset_s - EARLY_TOLERANCE_S]
        hits = [e for e in after if e["kind"] in right]
        wrong = [e for e in after if e["kind"] not in right]
    row = {
        "false_alarms": [(e["kind"], e["start_s"]) for e in false_alarms],
        "wrong_kind": [(e["kind"], e["start_s"]) for e in wrong],
        "true_events": len(hits),
        "detected": bool(hits) if sc.is_tamper else None,
        "exact_kind": any(e["kind"] in sc.expected for e in hits) if sc.is_tamper else None,
    }
    if hits:
        first = min(hits, key=lambda e: e["start_s"])
        row["kind"] = first["kind"]
        row["delay_s"] = round(first["start_s"] - sc.onset_s, 2)
        row["confirm_delay_s"] = round(min(e.get("confirmed_s", e["start_s"]) for e in hits) - sc.onset_s, 2)
        if sc.truth:
            meas = next((e["details"] for e in hits if e["kind"] in sc.expected and "shift_px" in e["details"]), None)
            if meas is not None:
                row["measured"] = {k: meas.get(k) for k in ("shift_px", "rotation_deg", "scale")}
                row["truth"] = {k: sc.truth[k] for k in ("shift_px", "rotation_deg", "scale")}
    return row


def run_case(i: int, workdir: str, keep: bool, naive: bool, keyframes_only: bool = False) -> dict:
    from cctv_guard.tamper.check import check_source

    si, sc = CASES[i]
    src = SOURCES[si]
    path = Path(workdir) / f"{src.name}__{sc.name}.mp4"
    t0 = time.perf_counter()
    write_mp4(path, render_scenario(sc, src.geometry, src.bank.at, src.fps), src.fps, crf=sc.crf, preset="superfast")
    t1 = time.perf_counter()
    result = check_source(path, BASELINES[src.name], keyframes_only=keyframes_only).to_json()
    t2 = time.perf_counter()
    row = {"source": src.name, "case": sc.name, "group": sc.group, "tamper": sc.is_tamper, "onset_s": sc.onset_s,
           "duration_s": sc.duration_s, "expected": list(sc.expected), "render_s": round(t1 - t0, 2),
           "check_s": round(t2 - t1, 2), "frames_analyzed": result["frames_analyzed"],
           "events": [(e["kind"], e["start_s"], e.get("confirmed_s")) for e in result["events"]],
           "cctv_guard": score(sc, result["events"])}
    if naive:
        t3 = time.perf_counter()
        nev = naive_check(path, NAIVE_REFS[src.name])
        row["naive_s"] = round(time.perf_counter() - t3, 2)
        row["naive"] = score(sc, nev)
    if not keep:
        path.unlink(missing_ok=True)
    return row


def summarise(rows: list[dict], method: str, time_key: str) -> dict:
    tam = [r for r in rows if r["tamper"]]
    scored = [r[method] for r in rows]
    detected = [r[method] for r in tam if r[method]["detected"]]
    fa = sum(len(s["false_alarms"]) for s in scored)
    wrong = sum(len(s["wrong_kind"]) for s in scored)
    true = sum(s["true_events"] for s in scored)
    normal_s = sum(r["duration_s"] if not r["tamper"] else r["onset_s"] for r in rows)
    delays = [s["delay_s"] for s in detected]
    confirms = [s["confirm_delay_s"] for s in detected]
    speed = [r["duration_s"] / max(r[time_key], 1e-6) for r in rows]
    out = {
        "cases": len(rows),
        "tamper_cases": len(tam),
        "normal_cases": len(rows) - len(tam),
        "recall": round(len(detected) / len(tam), 3) if tam else None,
        "recall_exact_kind": round(sum(s["exact_kind"] for s in detected) / len(tam), 3) if tam else None,
        "precision": round(true / (true + fa + wrong), 3) if true + fa + wrong else None,
        "false_alarms": fa,
        "wrong_kind_events": wrong,
        "normal_footage_h": round(normal_s / 3600, 4),
        "false_alarms_per_h": round(fa / (normal_s / 3600), 1) if normal_s else None,
        "median_delay_s": round(statistics.median(delays), 2) if delays else None,
        "median_confirm_delay_s": round(statistics.median(confirms), 2) if confirms else None,
        "median_x_realtime": round(statistics.median(speed), 1) if speed else None,
    }
    meas = [r[method] for r in tam if "measured" in r[method]]
    if meas and method == "cctv_guard":
        width = {s.name: s.geometry.out_wh[0] for s in SOURCES}
        shift = [100 * math.dist(m["measured"]["shift_px"], m["truth"]["shift_px"]) / width[r["source"]]
                 for r, m in ((r, r[method]) for r in tam if "measured" in r[method])]
        roll = [abs(m["measured"]["rotation_deg"] - m["truth"]["rotation_deg"]) for m in meas]
        zoom = [100 * abs(m["measured"]["scale"] / m["truth"]["scale"] - 1) for m in meas]
        out["measurement"] = {"n": len(meas), "max_shift_err_pct_width": round(max(shift), 2),
                              "max_roll_err_deg": round(max(roll), 2), "max_zoom_err_pct": round(max(zoom), 2)}
    return out


def print_report(rows: list[dict], summary: dict) -> None:
    print()
    print(f"{'source':17s} {'case':28s} {'expect':9s} {'cctv-guard':38s} naive")
    for r in rows:
        def cell(s: dict) -> str:
            if r["tamper"]:
                txt = f"{s['kind']} +{s['delay_s']:.1f}s (conf +{s['confirm_delay_s']:.1f})" if s["detected"] else "MISSED"
            else:
                txt = "ok" if not s["false_alarms"] else "FALSE"
            extra = s["false_alarms"] + s["wrong_kind"]
            return txt + (f" !{extra}" if extra else "")
        exp = ",".join(r["expected"]) or "-"
        print(f"{r['source']:17s} {r['case']:28s} {exp:9s} {cell(r['cctv_guard']):38s} {cell(r['naive']) if 'naive' in r else ''}")
    print()
    keys = ["cases", "tamper_cases", "recall", "recall_exact_kind", "precision", "false_alarms", "wrong_kind_events",
            "false_alarms_per_h", "median_delay_s", "median_confirm_delay_s", "median_x_realtime"]
    print(f"{'metric':24s} " + " ".join(f"{m:>12s}" for m in summary["methods"]))
    for k in keys:
        print(f"{k:24s} " + " ".join(f"{str(summary['methods'][m].get(k)):>12s}" for m in summary["methods"]))
    if "measurement" in summary["methods"]["cctv_guard"]:
        print("move measurement:", summary["methods"]["cctv_guard"]["measurement"])
    groups = sorted({r["group"] for r in rows})
    print("\nper group (cctv-guard): " + "; ".join(
        f"{g} {sum(bool(r['cctv_guard']['detected']) for r in rows if r['group'] == g and r['tamper'])}"
        f"/{sum(r['tamper'] for r in rows if r['group'] == g)}"
        if g != "normal" else
        f"normal FA {sum(len(r['cctv_guard']['false_alarms']) for r in rows if r['group'] == g)}/{sum(1 for r in rows if r['group'] == g)} clips"
        for g in groups))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small subset on vtest only (about a minute)")
    ap.add_argument("--vtest", help="path to vtest.avi (default: opencv-doc's copy, else ../shared)")
    ap.add_argument("--no-vas", action="store_true", help="skip the vas_* clips even when present")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive comparison recipe")
    ap.add_argument("--only", help="run only cases whose name contains this text")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel cases (default 2)")
    ap.add_argument("--keyframes-only", action="store_true",
                    help="check every case keyframes-only (the default mode for files over 5 minutes and for the audit)")
    ap.add_argument("--out", help="write the JSON summary (with per-case rows) here")
    ap.add_argument("--keep", help="keep the rendered case videos in this folder")
    args = ap.parse_args(argv)

    from cctv_guard.tamper.baseline import build_baseline
    from cctv_guard.media.sources import open_source

    started = time.perf_counter()
    SOURCES.extend(load_sources(find_vtest(args.vtest), with_vas=not (args.quick or args.no_vas)))
    CASES.extend(select_cases(SOURCES, args.quick, args.only))
    workdir = args.keep or tempfile.mkdtemp(prefix="cctv-bench-")
    Path(workdir).mkdir(parents=True, exist_ok=True)
    baseline_s = {}
    for src in SOURCES:
        ref = Scenario("baseline", "normal", duration_s=BASELINE_S,
                       effects=((osd_clock,) if src.osd else ()) + ((partial(camera_noise, sigma=src.sensor_noise),) if src.sensor_noise else ()))
        path = write_mp4(Path(workdir) / f"{src.name}__baseline.mp4", render_scenario(ref, src.geometry, src.bank.at, src.fps), src.fps)
        t0 = time.perf_counter()
        BASELINES[src.name] = build_baseline(path)
        baseline_s[src.name] = round(time.perf_counter() - t0, 2)
        with open_source(path) as s:
            NAIVE_REFS[src.name] = naive_reference([f.image for f in s.frames(every=0.5)])
    print(f"{len(CASES)} cases from {', '.join(s.name for s in SOURCES)}; baselines built in {baseline_s} s; "
          f"rendering to {workdir}", flush=True)

    job = partial(run_case, workdir=workdir, keep=bool(args.keep), naive=not args.no_naive, keyframes_only=args.keyframes_only)
    rows: list[dict] = []
    if args.jobs > 1:
        # spawn, not fork: decoder / OpenCV thread pools of this process would deadlock forked children
        init = (SOURCES, BASELINES, NAIVE_REFS, args.quick, args.only)
        with mp.get_context("spawn").Pool(args.jobs, initializer=_init_worker, initargs=init) as pool:
            for row in pool.imap(job, range(len(CASES))):
                rows.append(row)
                print(f"  {row['source']}:{row['case']}: {row['events']}  ({row['check_s']} s)", flush=True)
    else:
        for i in range(len(CASES)):
            rows.append(job(i))
            print(f"  {rows[-1]['source']}:{rows[-1]['case']}: {rows[-1]['events']}  ({rows[-1]['check_s']} s)", flush=True)
    if not args.keep:
        for p in Path(workdir).glob("*.mp4"):
            p.unlink()
        os.rmdir(workdir)

    methods = {"cctv_guard": summarise(rows, "cctv_guard", "check_s")}
    if not args.no_naive:
        methods["naive"] = summarise(rows, "naive", "naive_s")
    summary = {
        "schema": "cctv-guard/bench-tamper@1",
        "mode": "quick" if args.quick else "full",
        "check_mode": "keyframes-only" if args.keyframes_only else "default",
        "onset_s": ONSET_S,
        "case_s": CASE_S,
        "sources": [s.name for s in SOURCES],
        "baseline_build_s": baseline_s,
        "wall_s": round(time.perf_counter() - started, 1),
        "jobs": args.jobs,
        "methods": methods,
        "cases": rows,
    }
    print_report(rows, summary)
    print(f"\nwall time {summary['wall_s']} s with {args.jobs} jobs")
    if args.out:
        tmp = Path(args.out).with_name(Path(args.out).name + ".partial")
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
