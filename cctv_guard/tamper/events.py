"""Events: a temporal state machine turning per-frame observations into events.

Per kind, each analysed frame says *on* (the condition holds), *sustain* (a weaker condition
that keeps an open event open but never starts one: hysteresis), *clear*, or nothing
(undetermined: the frame could not be analysed; it neither confirms nor breaks a run).

An event opens once its condition has held on at least `min_frames` consecutive analysed
frames and *either* those frames cover `persist_s` of footage (each analysed frame stands for
one sampling interval) *or* there are `persist_frames` of them, and at least one frame of the
run is *decisive* (an observation can say it is not: a repeated inter frame of H.264 footage
shows a frozen camera only once a keyframe repeats too; a run with no decisive frame opens
after `undecided_max_s`). With keyframes 2 s apart that
is the second frame showing the condition (2 s); with dense sampling (5 frames/s, the default
for short files) it is the 5th frame (1 s): five independent frames agreeing is strong
evidence, and it keeps detection within 2 s of onset for gradual tampering (a lens slowly
defocused, a sheet sliding over the lens), which only meets its thresholds part-way through. `start_s` is the first frame on which
the condition held; `confirmed_s` the frame on which the event opened. It closes once the
condition has been clear for `release_s` (end_s = the first clear frame). Details are those
of a robust peak: the frame at the upper quartile of severity among the event's (latest
MAX_KEPT) frames, so that one badly measured frame does not become the event's measurement and
a slow move reports where the camera ended up rather than where it passed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from cctv_guard.legal.mapping import legal_fields

KINDS = ("moved", "rotated", "zoomed", "coverage_lost", "covered", "defocused", "blackout", "frozen", "signal_lost")
ARTICLES = {
    "moved": "8",
    "rotated": "8",
    "zoomed": "8",
    "coverage_lost": "8",
    "covered": "16(7)",
    "defocused": "16(7)",
    "blackout": "16(7)",
    "frozen": "16(7)",
    "signal_lost": "16(7)",
}
ON, SUSTAIN, CLEAR = 2, 1, 0
# kinds that describe one incident from different sides: a camera knocked askew shows a shift, a
# roll, a zoom and lost coverage at once. Only one event of a group is open at a time; its kind is
# the one whose evidence is strongest (Observation.strength, the measure over its ON threshold)
# among the group's runs when it opens, and its measurements are those of one frame, so they agree.
# A cover slid over the lens ends in a view that registers to nothing, like a camera turned away:
# `covered` belongs to the group, so the cover that showed first (its run of frames with the view
# still in place) names the incident rather than the `moved` its last frames suggest.
GROUPS = (("moved", "rotated", "zoomed", "coverage_lost", "covered"),)
_GROUP_OF = {k: g for g in GROUPS for k in g}
MAX_KEPT = 256  # observations kept per open event for its robust peak
PEAK_QUANTILE = 0.75


@dataclass(frozen=True)
class Observation:
    level: int  # ON, SUSTAIN or CLEAR
    severity: float = 0.0  # 0..1, how clearly the condition holds
    details: Mapping = field(default_factory=dict)
    evidence: str = ""
    decisive: bool = True  # False: this ON frame may carry a run but cannot open an event by itself
    # how far past its ON threshold the measure is (1 = at it): decides the kind of a group's
    # event (GROUPS); None: the severity stands in
    strength: float | None = None


@dataclass(frozen=True)
class Event:
    kind: str
    article: str
    start_s: float
    end_s: float | None
    confirmed_s: float
    confidence: float
    details: Mapping
    evidence: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "article": self.article,
            "start_s": round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "confirmed_s": round(self.confirmed_s, 3),
            "confidence": round(self.confidence, 3),
            "details": dict(self.details),
            "evidence": list(self.evidence),
            **legal_fields(self.kind),  # legal, onvif_topic, gb28181 (docs/contracts.md)
        }


@dataclass(frozen=True)
class EventConfig:
    persist_s: float = 2.0
    persist_frames: int = 5
    min_frames: int = 2
    release_s: float = 2.0
    persist_overrides: Mapping[str, float] = field(default_factory=dict)  # kind -> persist_s
    undecided_max_s: float = 60.0  # a run with no decisive frame opens after this much footage

    def persist(self, kind: str) -> float:
        return float(self.persist_overrides.get(kind, self.persist_s))


@dataclass
class _Track:
    first_t: float | None = None  # first frame of the current ON run
    run_frames: int = 0
    run_span: float = 0.0
    open_event: dict | None = None
    clear_t: float | None = None
    clear_span: float = 0.0
    kept: deque = field(default_factory=lambda: deque(maxlen=MAX_KEPT))  # (t, Observation) of ON frames
    sum_sev: float = 0.0
    n_sev: int = 0
    decided: bool = False  # the current ON run has a decisive frame


class EventTracker:
    """Feed analysed frames in time order with `update`, then call `finish`. Also usable
    incrementally (live watching): `opened` lists events as they are confirmed."""

    def __init__(self, config: EventConfig | None = None):
        self.config = config or EventConfig()
        self._tracks: dict[str, _Track] = {}
        self._done: list[Event] = []
        self.opened: list[Event] = []  # in order of confirmation (end_s None)
        self.closed: list[Event] = []  # in order of closing

    def update(self, t: float, interval: float, observations: Mapping[str, Observation | None]) -> None:
        for kind, obs in observations.items():
            if obs is None:
                continue
            tr = self._tracks.setdefault(kind, _Track())
            if tr.open_event is None:
                self._pending(kind, tr, t, interval, obs)
            else:
                self._opened(kind, tr, t, interval, obs)

    def _pending(self, kind: str, tr: _Track, t: float, interval: float, obs: Observation) -> None:
        if obs.level != ON:
            tr.first_t, tr.run_frames, tr.run_span = None, 0, 0.0
            tr.sum_sev, tr.n_sev = 0.0, 0
            tr.kept.clear()
            tr.decided = False
            return
        if tr.first_t is None:
            tr.first_t = t
        tr.run_frames += 1
        tr.run_span += interval
        tr.decided = tr.decided or obs.decisive
        self._track_peak(tr, t, obs)
        cfg = self.config
        long_enough = tr.run_span >= cfg.persist(kind) - 1e-6 or tr.run_frames >= cfg.persist_frames
        decided = tr.decided or tr.run_span >= cfg.undecided_max_s - 1e-6
        if long_enough and decided and tr.run_frames >= cfg.min_frames:
            group = _GROUP_OF.get(kind)
            if group is not None:
                if any(self._tracks.get(k) is not None and self._tracks[k].open_event is not None for k in group):
                    return  # the incident already has its event: this side of it is part of that one
                kind = self._strongest(group, kind)
                tr = self._tracks[kind]
            tr.open_event = {"start_s": min(self._group_start(kind), tr.first_t or t), "confirmed_s": t}
            tr.clear_t, tr.clear_span = None, 0.0
            self.opened.append(self._event(kind, tr, None))

    def _opened(self, kind: str, tr: _Track, t: float, interval: float, obs: Observation) -> None:
        if obs.level == CLEAR:
            if tr.clear_t is None:
                tr.clear_t, tr.clear_span = t, 0.0
            tr.clear_span += interval
            if tr.clear_span >= self.config.release_s - 1e-6:
                self._close(kind, tr, tr.clear_t)
            return
        tr.clear_t, tr.clear_span = None, 0.0
        self._track_peak(tr, t, obs)

    def _strongest(self, group: tuple[str, ...], kind: str) -> str:
        """The kind of the group whose current run shows the strongest evidence (its robust peak
        strength), among runs of at least min_frames; `kind` (whose run completed) on a tie."""
        def strength(k: str) -> float:
            tr = self._tracks.get(k)
            if tr is None or not tr.kept or tr.run_frames < self.config.min_frames:
                return -1.0
            vals = sorted(o.strength if o.strength is not None else o.severity for _, o in tr.kept)
            return vals[int(PEAK_QUANTILE * (len(vals) - 1) + 0.5)]

        best = max(group, key=lambda k: (strength(k), k == kind))
        return best if strength(best) > strength(kind) else kind

    def _group_start(self, kind: str) -> float:
        """The first frame of any current run of the kind's group (the incident's start)."""
        group = _GROUP_OF.get(kind, (kind,))
        starts = [self._tracks[k].first_t for k in group if k in self._tracks and self._tracks[k].first_t is not None]
        return min(starts) if starts else float("inf")

    @staticmethod
    def _track_peak(tr: _Track, t: float, obs: Observation) -> None:
        if obs.level == ON:
            tr.sum_sev += obs.severity
            tr.n_sev += 1
            tr.kept.append((t, obs))

    @staticmethod
    def _peak(tr: _Track) -> tuple[float, Observation]:
        if not tr.kept:
            return 0.0, Observation(ON)
        ranked = sorted(tr.kept, key=lambda to: to[1].severity)
        return ranked[int(PEAK_QUANTILE * (len(ranked) - 1) + 0.5)]  # with 4 keyframes: the 3rd, not the largest

    def _event(self, kind: str, tr: _Track, end_s: float | None) -> Event:
        ev = tr.open_event or {}
        peak_t, peak = self._peak(tr)
        mean_sev = tr.sum_sev / tr.n_sev if tr.n_sev else peak.severity
        confidence = min(0.99, 0.5 + 0.5 * max(0.0, min(1.0, mean_sev)))
        evidence = (f"t={peak_t:.2f}s: {peak.evidence}",) if peak.evidence else ()
        return Event(kind, ARTICLES[kind], float(ev["start_s"]), end_s, float(ev["confirmed_s"]), confidence, dict(peak.details), evidence)

    def _close(self, kind: str, tr: _Track, end_s: float | None) -> None:
        ev = self._event(kind, tr, end_s)
        self._done.append(ev)
        if end_s is not None:
            self.closed.append(ev)
        self._tracks[kind] = _Track()

    def add(self, event: Event) -> None:
        """Record an event decided outside the per-frame machine (e.g. signal loss)."""
        self._done.append(event)

    def finish(self) -> tuple[Event, ...]:
        """Close the machine: events still open keep end_s = None (ongoing at the end)."""
        for kind, tr in list(self._tracks.items()):
            if tr.open_event is not None:
                self._close(kind, tr, None)
        self._tracks.clear()
        return tuple(sorted(self._done, key=lambda e: (e.start_s, KINDS.index(e.kind) if e.kind in KINDS else 99)))


def events_from(frames: Iterable[tuple[float, float, Mapping[str, Observation | None]]], config: EventConfig | None = None) -> tuple[Event, ...]:
    """Events from a whole sequence of (t, interval, observations) (pure convenience)."""
    tracker = EventTracker(config)
    for t, interval, obs in frames:
        tracker.update(t, interval, obs)
    return tracker.finish()
