"""The event state machine on synthetic measurement sequences (parametrised tables)."""

from __future__ import annotations

import pytest

from cctv_guard.tamper.events import ARTICLES, CLEAR, KINDS, ON, SUSTAIN, EventConfig, EventTracker, Observation, events_from


def _seq(levels: str, dt: float = 0.2, kind: str = "covered", severities=None):
    """'..##s##..' -> frames: '.' clear, '#' on, 'o' on but not decisive, 's' sustain, '?' undetermined."""
    code = {".": CLEAR, "#": ON, "o": ON, "s": SUSTAIN}
    frames = []
    for i, ch in enumerate(levels):
        sev = severities[i] if severities else (0.8 if ch in "#o" else 0.2)
        obs = None if ch == "?" else Observation(code[ch], sev, {"i": i}, f"frame {i}", decisive=ch != "o")
        frames.append((round(i * dt, 6), dt, {kind: obs}))
    return frames


# (levels at 5 frames/s, expected [(start_s, confirmed_s, end_s)])
TABLE_DENSE = [
    ("..........", []),
    ("..####....", []),  # 4 frames = 0.8 s: a transient
    ("..#####...", [(0.4, 1.2, None)]),  # 5 frames: confirmed on the 5th; 3 clear frames < release
    ("..#####..........", [(0.4, 1.2, 1.4)]),  # closes at the first of 10 clear frames (2 s)
    ("..###.###.....", []),  # a clear frame breaks the run
    ("..###?###.......", [(0.4, 1.4, None)]),  # an undetermined frame neither breaks nor counts
    ("#####sssss..........#", [(0.0, 0.8, 2.0)]),  # sustain keeps it open (hysteresis)
    ("sssss#####", [(1.0, 1.8, None)]),  # sustain alone never starts one
    ("#####....#.....#....", [(0.0, 0.8, None)]),  # short clear gaps do not close it
    ("..ooooooooo.", []),  # repeated inter frames alone never decide (frozen: no keyframe repeated)
    ("..oooooo#oo", [(0.4, 1.6, None)]),  # a decisive frame opens the run from its first frame
    ("..oooo.#oooo.", [(1.4, 2.2, None)]),  # ...of the run it belongs to
    ("..#oooo", [(0.4, 1.2, None)]),  # the decisive frame may come first
]


@pytest.mark.parametrize("levels,expected", TABLE_DENSE)
def test_dense_sampling(levels, expected):
    events = events_from(_seq(levels))
    got = [(e.start_s, e.confirmed_s, e.end_s) for e in events]
    assert got == [tuple(pytest.approx(v) if v is not None else None for v in exp) for exp in expected]


# keyframes 2 s apart: two frames showing it cover the default 2 s persistence
TABLE_SPARSE = [
    ("..#..", []),  # one frame is never enough (min_frames)
    ("..##", [(4.0, 6.0, None)]),
    ("..##.", [(4.0, 6.0, 8.0)]),  # release 2 s = one clear keyframe
]


@pytest.mark.parametrize("levels,expected", TABLE_SPARSE)
def test_sparse_sampling(levels, expected):
    events = events_from(_seq(levels, dt=2.0))
    assert [(e.start_s, e.confirmed_s, e.end_s) for e in events] == expected


def test_undecided_runs_open_after_undecided_max_s():
    seq = _seq("." + "o" * 20)
    assert events_from(seq) == ()
    [e] = events_from(seq, EventConfig(undecided_max_s=3.0))
    assert (e.start_s, e.confirmed_s) == (pytest.approx(0.2), pytest.approx(3.0))


def test_configurable_persistence():
    seq = _seq("..########..")
    assert events_from(seq, EventConfig(persist_s=2.0, persist_frames=10)) == ()
    [e] = events_from(seq, EventConfig(persist_s=1.0, persist_frames=100))
    assert (e.start_s, e.confirmed_s) == (pytest.approx(0.4), pytest.approx(1.2))
    [e] = events_from(seq, EventConfig(persist_overrides={"covered": 0.6}, persist_frames=100))
    assert e.confirmed_s == pytest.approx(0.8)


def test_peak_details_and_confidence():
    sev = [0, 0.3, 0.9, 0.5, 0.4, 0.6, 0]
    [e] = events_from(_seq(".#####.", severities=sev))
    assert e.details == {"i": 5}  # upper quartile of severity (0.3 0.4 0.5 0.6 0.9): robust to one outlier
    assert e.evidence == ("t=1.00s: frame 5",)
    assert e.article == ARTICLES["covered"] == "16(7)"
    assert 0.5 < e.confidence < 0.99
    j = e.to_json()
    assert set(j) == {"kind", "article", "start_s", "end_s", "confirmed_s", "confidence", "details", "evidence",
                      "legal", "onvif_topic", "gb28181"}  # the last three added by issue 16 (docs/contracts.md)


def test_kinds_are_independent_and_sorted():
    a = _seq("..#####....", kind="moved")
    b = _seq("#####......", kind="defocused")
    merged = [(t, dt, {**oa, **ob}) for (t, dt, oa), (_, _, ob) in zip(a, b)]
    events = events_from(merged)
    assert [e.kind for e in events] == ["defocused", "moved"]
    assert {e.article for e in events} == {"16(7)", "8"}


def _group_frames(rows):
    """rows: [{kind: (level, strength)}] at 5 frames/s, one shared detail per frame."""
    out = []
    for i, row in enumerate(rows):
        obs = {k: Observation(lvl, 0.5, {"frame": i}, f"frame {i}", strength=st) for k, (lvl, st) in row.items()}
        out.append((round(i * 0.2, 6), 0.2, obs))
    return out


def test_one_incident_one_event_of_the_strongest_kind():
    # a roll of 8 deg also shifts the centre a little and loses some coverage: one event, rotated
    rows = [{"moved": (CLEAR, 0.1), "rotated": (CLEAR, 0.1), "coverage_lost": (CLEAR, 0.1)}] * 3
    rows += [{"moved": (ON, 1.2), "rotated": (ON, 4.0), "coverage_lost": (ON, 1.1)}] * 8
    events = events_from(_group_frames(rows))
    assert [e.kind for e in events] == ["rotated"]
    assert events[0].start_s == pytest.approx(0.6)


def test_group_member_opening_later_joins_the_open_event():
    rows = [{"moved": (ON, 3.0), "coverage_lost": (CLEAR, 0.5)}] * 6
    rows += [{"moved": (ON, 3.0), "coverage_lost": (ON, 1.5)}] * 8
    events = events_from(_group_frames(rows))
    assert [e.kind for e in events] == ["moved"]  # coverage_lost is the same incident, not a second event


def test_cover_seen_first_names_the_incident_that_ends_unregistered():
    # a board slides over the lens (covered, view in place), then nothing registers ('moved', weak)
    rows = [{"covered": (ON, 1.5)}] * 3 + [{"covered": None, "moved": (ON, 1.0)}] * 6
    frames = [(t, dt, {k: v for k, v in obs.items()}) for t, dt, obs in _group_frames([{k: v for k, v in r.items() if v} for r in rows])]
    for (_, _, obs), r in zip(frames, rows):
        if "covered" in r and r["covered"] is None:
            obs["covered"] = None  # undetermined: keeps the cover's run
    events = events_from(frames)
    assert [e.kind for e in events] == ["covered"] and events[0].start_s == pytest.approx(0.0)


def test_incremental_opened_and_closed_lists():
    tr = EventTracker()
    for t, dt, obs in _seq("#####" + "." * 10):
        tr.update(t, dt, obs)
        if t == pytest.approx(0.8):
            assert [e.kind for e in tr.opened] == ["covered"] and tr.opened[0].end_s is None
    assert [e.end_s for e in tr.closed] == [pytest.approx(1.0)]
    assert tr.finish()[0].end_s == pytest.approx(1.0)


def test_every_kind_has_an_article():
    assert set(ARTICLES) == set(KINDS)
    assert {ARTICLES[k] for k in ("moved", "rotated", "zoomed", "coverage_lost")} == {"8"}
