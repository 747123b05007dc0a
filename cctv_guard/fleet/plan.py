"""What an audit checks: the fleet's cameras x the window's days, expanded into work items (one
camera x one recording file), with each camera's baseline and district resolved from the
registry and fleet.yaml. Also the stable names an item has in the run folder (`item_id_for`,
`check_relpath`). Nothing here runs a check."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from cctv_guard.core.errors import ConfigError
from cctv_guard.fleet.config import FleetConfig
from cctv_guard.media.images import timestamp_from_name


@dataclass(frozen=True)
class WorkItem:
    """One camera x one recording file, with everything a worker needs (no registry access)."""

    item_id: str
    camera_id: str
    day: str  # ISO date
    source: str | None  # the recording; None when none was found
    size: int  # bytes (0 when missing)
    baseline: str | None
    zones: dict | None = None  # registry zones overriding the baseline file's (None: keep the file's)
    camera: dict | None = None  # the registered camera's facts and registry findings (workflow.RegisteredCamera)
    every: float | None = None
    keyframes_only: bool = True
    privacy: bool = False
    timeout_s: float = 1800.0
    problem: str | None = None  # known before running: the item fails with this reason
    html: bool | str = True  # render the HTML report (in the worker): True, False or "violations"
    lang: str = "both"  # the HTML report's language: zh, en or both

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "WorkItem":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class CameraMeta:
    camera_id: str
    district: str | None
    lat: float | None
    lon: float | None
    registered: bool  # its check history is in the registry
    findings: tuple = ()  # registry findings (filing_overdue, signage_missing...) when the audit was planned

    def to_json(self) -> dict:
        d = asdict(self)
        d["findings"] = [dict(f) for f in self.findings]
        return d


@dataclass(frozen=True)
class Plan:
    days: tuple[str, ...]
    cameras: tuple[CameraMeta, ...]
    items: tuple[WorkItem, ...]
    registry: dict | None = None  # open_registry(**registry) arguments; None: no registry


def _slug(text: str, n: int = 40) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "x"
    return s[:n]


def item_id_for(camera_id: str, day: str, source: str | None) -> str:
    """A stable, file-name-safe id: readable parts plus a hash of the full triple."""
    digest = hashlib.sha1(f"{camera_id}\0{day}\0{source}".encode()).hexdigest()[:10]
    name = Path(source).stem if source else "missing"
    return f"{_slug(camera_id)}__{day}__{_slug(name, 30)}__{digest}"


def find_recordings(camera_id: str, day: date, cfg: FleetConfig, template: str | None = None) -> tuple[list[Path], str]:
    """A camera's recording files of one day, and a description of where they were looked for."""
    rec = cfg.recordings
    suffixes = {s.lower() for s in rec.suffixes}
    template = template or rec.template
    if template:
        from cctv_guard.media.layout import recordings_of_day

        return recordings_of_day(template, camera_id, day, suffixes=suffixes, what="recordings template")
    root = Path(rec.export or "")
    if not root.is_dir():
        raise ConfigError(f"recordings.export: no such folder: {root}")
    candidates = [p for p in (root / camera_id).rglob("*")] if (root / camera_id).is_dir() else []
    candidates += [p for p in root.iterdir() if p.name.startswith(camera_id) and not p.is_dir()
                   and not p.name[len(camera_id):len(camera_id) + 1].isalnum()]
    files = []
    for p in candidates:
        if not p.is_file() or p.suffix.lower() not in suffixes:
            continue
        stamp = timestamp_from_name(p.name)
        if stamp is None or stamp.date() == day:
            files.append(p)
    return sorted(set(files)), f"{root}/{camera_id}*"


def _registry_args(cfg: FleetConfig, home: str | None = None, db: str | None = None) -> dict | None:
    """open_registry arguments, or None when the audit uses no registry (the fleet file lists
    its cameras and names no registry). The file's registry wins over --home / --db."""
    if cfg.registry is None:
        return None if cfg.cameras and home is None and db is None else {"home": home, "url": db}
    return {"home": cfg.registry.home or home, "url": cfg.registry.url or (None if cfg.registry.home else db)}


def _registry_cameras(args: dict | None) -> tuple[dict[str, Any], Any]:
    if args is None:
        return {}, None
    from cctv_guard.registry import open_registry

    reg = open_registry(**args)
    try:
        return {c.id: c for c in reg.list_cameras()}, reg
    except BaseException:
        reg.close()
        raise


def plan_audit(cfg: FleetConfig, *, today: date | None = None, home: str | None = None,
               db: str | None = None) -> Plan:
    """Expand the fleet into work items: each selected camera x each recording of each day.

    A camera with no recording on a day, or without a baseline, yields one item that fails
    with that reason (an audit must say what it could not check). Largest items first."""
    days = cfg.window.days(today)
    registry = _registry_args(cfg, home, db)
    registered, reg = _registry_cameras(registry)
    try:
        inline = {c.id: c for c in cfg.cameras}
        ids = list(dict.fromkeys([*registered, *inline]))
        if cfg.include is not None:
            unknown = [i for i in cfg.include if i not in registered and i not in inline]
            if unknown:
                raise ConfigError(f"include: unknown camera id(s): {', '.join(unknown[:5])}")
            ids = [i for i in ids if i in set(cfg.include)]
        ids = [i for i in ids if i not in set(cfg.exclude)]
        if not ids:
            raise ConfigError("the fleet has no cameras to audit (the registry is empty and fleet.yaml lists none)")
        every, keyframes_only = cfg.sampling.resolved()
        cameras, items = [], []
        for cid in ids:
            cam, extra = registered.get(cid), inline.get(cid)
            district = (extra.district if extra and extra.district else None) or cfg.districts.get(cid) or (
                getattr(cam, "operator", None) or None)
            lat = extra.lat if extra and extra.lat is not None else getattr(cam, "lat", None)
            lon = extra.lon if extra and extra.lon is not None else getattr(cam, "lon", None)
            baseline, zones, facts, problem = _baseline_for(cid, cam, extra, reg)
            registry_findings = tuple((facts or {}).get("findings") or ())
            cameras.append(CameraMeta(cid, district, lat, lon, cam is not None, registry_findings))
            for day in days:
                files, where = find_recordings(cid, day, cfg, extra.recordings if extra else None)
                common = dict(camera_id=cid, day=day.isoformat(), baseline=baseline, zones=zones, camera=facts, every=every,
                              keyframes_only=keyframes_only, privacy=cfg.checks.privacy, timeout_s=cfg.engine.timeout_s,
                              html=cfg.outputs.html_reports, lang=cfg.outputs.lang or "both")
                if not files:
                    items.append(WorkItem(item_id_for(cid, day.isoformat(), None), source=None, size=0,
                                          problem=f"no recordings found for {cid} on {day} (looked for {where})", **common))
                for f in files:
                    items.append(WorkItem(item_id_for(cid, day.isoformat(), str(f)), source=str(f), size=f.stat().st_size,
                                          problem=problem, **common))
    finally:
        if reg is not None:
            reg.close()
    items.sort(key=lambda it: (-it.size, it.item_id))
    return Plan(tuple(d.isoformat() for d in days), tuple(cameras), tuple(items), registry)


def _baseline_for(cid: str, cam, extra, reg) -> tuple[str | None, dict | None, dict | None, str | None]:
    """(baseline path, registry zones or None, registered camera facts or None, problem) for one
    camera: a baseline file named in fleet.yaml wins over the registry's."""
    from cctv_guard.workflow import resolve_camera

    found = resolve_camera(reg, cid, extra.profile if extra else None) if cam is not None and reg is not None else None
    facts = dict(found.facts) if found is not None else None
    if extra is not None and extra.baseline:
        if not Path(extra.baseline).is_file():
            return None, None, facts, f"baseline file of {cid} not found: {extra.baseline}"
        return extra.baseline, None, facts, None
    if found is None:
        return None, None, None, f"camera {cid} has no baseline (give cameras[].baseline in fleet.yaml or register one)"
    return found.baseline, found.zones, facts, found.problem


def check_relpath(rec: Mapping[str, Any]) -> str:
    """Where an item's check@1 JSON lives inside the run folder."""
    return f"checks/{_slug(rec['camera_id'], 80)}/{rec['item_id']}.json"
