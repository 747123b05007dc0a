"""The per-scene tamper benchmark (scripts/bench_scenes.py): its parts, without the footage."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import bench_scenes as bs  # noqa: E402
from tamper_cases import sheet, spray, spray_mask  # noqa: E402


def test_manifest_scenes_trims_and_splits():
    scenes = bs.read_scenes(bs.MANIFEST, Path("/nonexistent"))
    assert len(scenes) == 24
    assert {s.split for s in scenes} == {"tune", "test"}
    by_name = {s.name: s for s in scenes}
    assert (by_name["night_yard_dark"].lo, by_name["night_yard_dark"].hi) == (0.0, 17.0)
    assert (by_name["highway_overpass"].lo, by_name["highway_overpass"].hi) == (0.1, 24.1)
    assert by_name["office_lobby"].hi is None


def test_reserved_sources_are_not_in_the_manifest():
    reserved = REPO.parent / "shared" / "data" / "RESERVED_SOURCES.md"
    if not reserved.is_file():
        pytest.skip("no reserve list on this machine")
    names = {line[2:].strip().lower() for line in reserved.read_text().splitlines() if line.startswith("- ")}
    rows = (REPO / "datasets" / "tamper_scenes" / "manifest.tsv").read_text().splitlines()[1:]
    assert not names & {row.split("\t")[1].lower() for row in rows}


def test_content_box_cuts_black_bars_only():
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(4):
        f = np.zeros((240, 320, 3), np.uint8)
        f[32:208, 50:270] = rng.integers(40, 220, (176, 220, 3), dtype=np.uint8)
        frames.append(f)
    assert bs.content_box(frames) == (52, 34, 268, 206)
    night = [np.full((90, 160, 3), 6, np.uint8) for _ in range(3)]  # a dark night scene is not a bar
    assert bs.content_box(night) == (0, 0, 160, 90)


def test_clips_are_reproducible_and_rotate_the_tamper_types():
    scenes = bs.read_scenes(bs.MANIFEST, Path("/nonexistent"))
    a = bs.scene_clips(scenes[3], 14, 6, 2, 20.0)
    assert a == bs.scene_clips(scenes[3], 14, 6, 2, 20.0)
    assert a != bs.scene_clips(scenes[3], 15, 6, 2, 20.0)
    assert [c.tamper for c in a[:6]] == [bs.TAMPERS[(3 * 6 + j) % len(bs.TAMPERS)] for j in range(6)]
    assert [c.tamper for c in a[6:]] == [None, None]
    kinds = {c.tamper for s in scenes if s.split == "test" for c in bs.scene_clips(s, 14, 6, 2, 20.0)}
    assert set(bs.TAMPERS) <= kinds
    for s in scenes:
        for c in bs.scene_clips(s, 14, 6, 2, 20.0):
            names = [k for k, _ in c.nuisances]
            assert names and len(set(names) & bs.LIGHTING) <= 1
            assert 20.0 <= c.duration_s <= 30.0
            if c.tamper:
                assert 8.0 <= c.onset_s <= 12.0


def test_tamper_ranges():
    rng = np.random.default_rng(1)
    for _ in range(200):
        assert 0.03 <= abs(bs.tamper_params("pan", rng)["amount"]) <= 0.20
        assert 2.0 <= abs(bs.tamper_params("roll", rng)["deg"]) <= 12.0
        z = bs.tamper_params("zoom", rng)["zoom"]
        assert 1.07 <= z <= 1.5 or 1 / 1.3 <= z <= 1 / 1.07 + 1e-3
        c = bs.tamper_params("translucent", rng)
        assert 0.7 <= c["opacity"] <= 0.97 and 0.4 <= c["frac"] <= 1.0
        d = bs.tamper_params("defocus", rng)
        assert 2.0 <= d["sigma"] <= 8.0 and 2.0 <= d["noise"] <= 8.0


def _clip(tamper, onset=10.0):
    return bs.Clip("x", tamper, {}, onset if tamper else None, 25.0, (), 26, 0.0, 1)


def _ev(kind, start, confirmed=None):
    return {"kind": kind, "start_s": start, "confirmed_s": start + 1.0 if confirmed is None else confirmed, "end_s": None}


def test_score_detection_kind_latency_and_false_alarms():
    row = bs.score(_clip("pan"), [_ev("covered", 3.0), _ev("coverage_lost", 10.4, 11.5), _ev("moved", 10.6, 12.0)])
    assert row["detected"] and row["kind_correct"]
    assert row["latency_s"] == 1.5 and row["start_delay_s"] == 0.4
    assert [e["kind"] for e in row["false_alarms"]] == ["covered"]
    row = bs.score(_clip("cover"), [_ev("moved", 10.2)])
    assert row["detected"] and not row["kind_correct"]
    row = bs.score(_clip("defocus"), [_ev("rotated", 11.0)])
    assert not row["detected"] and [e["kind"] for e in row["wrong_kind"]] == ["rotated"]
    row = bs.score(_clip(None), [_ev("frozen", 15.0)])
    assert row["detected"] is None and len(row["false_alarms"]) == 1
    total = bs.summarise([{**bs.score(_clip("pan"), [_ev("moved", 10.5)]), "tamper": "pan", "onset_s": 10.0, "duration_s": 25.0,
                           "nuisances": ["noise"]},
                          {**bs.score(_clip(None), [_ev("moved", 1.0)]), "tamper": None, "onset_s": None, "duration_s": 26.0,
                           "nuisances": ["noise", "lorry"]}])
    assert total["recall"] == 1.0 and total["false_alarms"] == 1
    assert total["false_alarms_per_h"] == round(1 / (36.0 / 3600), 1)
    assert total["false_alarm_clips_by_nuisance"] == {"noise": "1/2", "lorry": "1/1"}


def test_spray_and_sheet_cover_what_they_say():
    img = np.full((120, 160, 3), 128, np.uint8)
    for amount in (0.3, 0.6, 0.9):
        m = spray_mask((120, 160), amount, seed=3)
        assert abs(float((m > 0.5).mean()) - amount) < 0.08
    assert spray(img, 0.0) is img
    out = sheet(img.copy() + np.arange(160, dtype=np.uint8)[None, :, None] % 7, 0.4, "left", colour=(20, 20, 20), opacity=0.9)
    ref = img + np.arange(160, dtype=np.uint8)[None, :, None] % 7
    assert np.array_equal(out[:, 120:], ref[:, 120:])  # the uncovered part is untouched
    assert out[:, :40].mean() < 40
