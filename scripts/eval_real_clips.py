#!/usr/bin/env python3
"""Evaluate cctv-guard on the real development clips in ../shared/data/dev/tamper_clips.

    python scripts/eval_real_clips.py                       # table; exit 1 if any clip fails
    python scripts/eval_real_clips.py --json /tmp/real.json
    python scripts/eval_real_clips.py --baseline-s 0.8      # vas clips: baseline from 0.8 s only

Labels come from the folder's MANIFEST.tsv (../shared/data/dev/MANIFEST.tsv): the tamper kind
and its onset frame ("from ~frame N") at the clip's frame rate. The baseline is built from the
part of each clip before the tamper (vas_* clips: up to a few frames before the onset; the
normal clip: its first 20 s), then the whole clip is checked in the default mode. A clip passes
when an event of the right kind starts within 2 s of the onset and nothing is reported before
it; the normal clip passes with zero events. Research-only footage: not redistributable.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from footage import DEV_MANIFEST, TAMPER_CLIPS  # noqa: E402

NORMAL_BASELINE_S = 20.0
TOLERANCE_S = 2.0
EARLY_S = 0.5
# label text in the MANIFEST -> (kinds that name it, other acceptable kinds)
KIND_RULES = (
    ("tamper:defocus", ("defocused",), ()),
    ("tamper:moved", ("moved", "rotated"), ("coverage_lost", "zoomed")),
    ("tamper:occlusion", ("covered",), ("defocused",)),
)


@dataclass(frozen=True)
class Clip:
    path: Path
    label: str
    fps: float
    onset_frame: int | None
    expected: tuple[str, ...]
    accepted: tuple[str, ...]

    @property
    def onset_s(self) -> float | None:
        return None if self.onset_frame is None else self.onset_frame / self.fps


def read_manifest(manifest: Path, folder: Path) -> list[Clip]:
    clips = []
    with manifest.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["category"] != "tamper_clips":
                continue
            label = row["label"]
            m = re.search(r"from ~frame (\d+)", label)
            rule = next(((e, a) for key, e, a in KIND_RULES if label.startswith(key)), None)
            if label.startswith("tamper:") and (rule is None or m is None):
                print(f"warning: cannot parse the label of {row['local_path']}: {label!r}", file=sys.stderr)
                continue
            expected, accepted = rule if rule else ((), ())
            clips.append(Clip(folder / Path(row["local_path"]).name, label, float(row["fps"]),
                              int(m.group(1)) if (m and rule) else None, expected, accepted))
    return clips


def evaluate(clip: Clip, baseline_cap_s: float | None) -> dict:
    from cctv_guard.tamper.baseline import build_baseline
    from cctv_guard.tamper.check import check_source

    if clip.onset_s is None:
        end = NORMAL_BASELINE_S
    else:
        end = (clip.onset_frame - 3) / clip.fps
        if baseline_cap_s is not None:
            end = min(end, baseline_cap_s)
    t0 = time.perf_counter()
    baseline = build_baseline(clip.path, end=end)
    t1 = time.perf_counter()
    result = check_source(clip.path, baseline).to_json()
    t2 = time.perf_counter()
    events = result["events"]
    row = {
        "clip": clip.path.name,
        "expected": list(clip.expected),
        "onset_s": None if clip.onset_s is None else round(clip.onset_s, 2),
        "baseline_end_s": round(end, 2),
        "duration_s": result["duration_s"],
        "frames_analyzed": result["frames_analyzed"],
        "baseline_s": round(t1 - t0, 2),
        "check_s": round(t2 - t1, 2),
        "events": [{k: e.get(k) for k in ("kind", "start_s", "confirmed_s", "end_s", "confidence")} for e in events],
    }
    if clip.onset_s is None:
        row["pass"] = not events
        row["why"] = "no events" if not events else f"{len(events)} false alarm(s)"
        return row
    early = [e for e in events if e["start_s"] < clip.onset_s - EARLY_S]
    right = [e for e in events if e["kind"] in clip.expected and e["start_s"] >= clip.onset_s - EARLY_S]
    if right:
        first = min(right, key=lambda e: e["start_s"])
        row["detected_kind"] = first["kind"]
        row["delay_s"] = round(first["start_s"] - clip.onset_s, 2)
        row["confirm_delay_s"] = round(first.get("confirmed_s", first["start_s"]) - clip.onset_s, 2)
    stray = [e["kind"] for e in events if e not in early and e["kind"] not in clip.expected + clip.accepted]
    ok_delay = bool(right) and row["delay_s"] <= TOLERANCE_S
    row["pass"] = ok_delay and not early
    row["why"] = (
        "ok" if row["pass"] else
        "early events " + str([(e["kind"], e["start_s"]) for e in early]) if early else
        "missed (no event of the right kind)" if not right else
        f"late by {row['delay_s']} s"
    ) + (f"; other kinds {stray}" if stray else "")
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", default=str(TAMPER_CLIPS), help="folder with the clips (default ../shared/data/dev/tamper_clips)")
    ap.add_argument("--manifest", default=str(DEV_MANIFEST), help="MANIFEST.tsv with labels")
    ap.add_argument("--baseline-s", type=float, help="cap the vas_* baseline window at this many seconds (e.g. 0.8)")
    ap.add_argument("--json", help="write the per-clip results here")
    args = ap.parse_args(argv)
    manifest, folder = Path(args.manifest), Path(args.clips)
    if not manifest.is_file() or not folder.is_dir():
        print(f"error: {manifest} or {folder} not found (the dev data lives in ../shared/data)", file=sys.stderr)
        return 2
    rows = [evaluate(c, args.baseline_s) for c in read_manifest(manifest, folder) if c.path.is_file()]
    print(f"{'clip':26s} {'expected':16s} {'onset':>6s} {'detected':24s} {'delay':>6s} {'conf':>6s}  result")
    for r in rows:
        kinds = ",".join(sorted({e["kind"] for e in r["events"]})) or "-"
        onset = "-" if r["onset_s"] is None else f"{r['onset_s']:.2f}"
        d = r.get("delay_s")
        c = r.get("confirm_delay_s")
        print(f"{r['clip']:26s} {','.join(r['expected']) or 'none':16s} {onset:>6s} {kinds:24s} "
              f"{'-' if d is None else f'{d:+.2f}':>6s} {'-' if c is None else f'{c:+.2f}':>6s}  "
              f"{'PASS' if r['pass'] else 'FAIL'} ({r['why']})")
        for e in r["events"]:
            print(f"{'':28s}{e['kind']:14s} start {e['start_s']:7.2f}  confirmed {e['confirmed_s']}  end {e['end_s']}")
    passed = sum(r["pass"] for r in rows)
    print(f"{passed}/{len(rows)} clips pass")
    if args.json:
        tmp = Path(args.json + ".partial")
        tmp.write_text(json.dumps({"schema": "cctv-guard/eval-real@1", "passed": passed, "clips": rows}, indent=1) + "\n")
        os.replace(tmp, args.json)
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
