"""One workflow for a registered camera, shared by `check --camera`, the fleet audit and the edge
watcher:

    registry -> baseline + zones -> check -> enrich with camera facts and registry findings -> record

`resolve_camera` reads what a check needs from the registry into a plain, picklable
`RegisteredCamera` (a fleet worker or a watcher thread holds no registry connection);
`camera_baseline` loads its baseline with the registry's zones, which override the baseline
file's (zones may be edited after the baseline was taken); `check_camera` runs the check and
returns the check@1 result together with the enriched document (camera facts, registry findings,
articles cited); `record_check` appends that document to the camera's history.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable, Mapping

from cctv_guard.core.errors import SourceError

Zones = dict[str, list[list[float]]]  # zone name -> polygon points, JSON-ready


@dataclass(frozen=True)
class RegisteredCamera:
    """What checking one registered camera needs, read from the registry once."""

    camera_id: str
    baseline: str | None  # the current baseline file (None: the camera has none)
    zones: Zones | None = None  # the registry's zones (None: keep the baseline file's)
    facts: Mapping[str, Any] | None = None  # Camera.to_dict(): facts and registry findings
    problem: str | None = None  # why it cannot be checked (no baseline...)

    @property
    def registry_findings(self) -> list[dict]:
        return [dict(f) for f in (self.facts or {}).get("findings") or ()]


def resolve_camera(reg: Any, camera_id: str, profile: str | None = None) -> RegisteredCamera:
    """The camera's current baseline file, zones, facts and registry findings. A camera without a
    baseline gives a `RegisteredCamera` with `problem` set (an audit must say what it could not
    check); an unknown camera raises the registry's error."""
    from cctv_guard.core.errors import CctvGuardError

    cam = reg.get_camera(camera_id)
    facts = cam.to_dict()
    zones = {z.name: [list(p) for p in z.points] for z in cam.zones}
    try:
        path = str(reg.baseline_path(camera_id, profile))
    except CctvGuardError as exc:
        return RegisteredCamera(camera_id, None, zones, facts, str(exc))
    return RegisteredCamera(camera_id, path, zones, facts)


def with_zones(baseline: Any, zones: Zones | None) -> Any:
    """The baseline with these zones in place of its own (None: unchanged)."""
    if zones is None:
        return baseline
    return replace(baseline, zones={k: tuple(tuple(p) for p in v) for k, v in zones.items()})


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, zones_json: str | None) -> Any:
    from cctv_guard.tamper.baseline import load_baseline

    return with_zones(load_baseline(path), json.loads(zones_json) if zones_json is not None else None)


def camera_baseline(path: str | os.PathLike | None, zones: Zones | None = None, *, problem: str | None = None) -> Any:
    """Load a baseline file with the registry's zones (cached per file version: a worker checking
    many recordings of one camera loads its baseline once)."""
    if path is None:
        raise SourceError(problem or "the camera has no baseline")
    zones_json = json.dumps(zones, sort_keys=True) if zones is not None else None
    return _cached(str(path), os.stat(path).st_mtime_ns, zones_json)


@dataclass(frozen=True)
class CameraCheck:
    """A check of footage against a camera's baseline: the library result and its enriched
    check@1 document (camera facts and registry findings, articles cited, credentials redacted)."""

    result: Any  # tamper.result.CheckResult
    doc: dict = field(repr=False)

    @property
    def registry_findings(self) -> list[dict]:
        return list((self.doc.get("camera") or {}).get("findings") or [])

    @property
    def found(self) -> bool:
        """Anything to report: tamper events, privacy findings or registry findings."""
        return bool(self.result.events or self.result.findings or self.registry_findings)


def check_camera(source: str, baseline: Any, *, camera: Any = None, camera_id: str | None = None,
                 privacy: bool | Callable | None = True, **options: Any) -> CameraCheck:
    """Check `source` against `baseline` and enrich the result with `camera` (a registry
    ``Camera``, a `RegisteredCamera`'s facts or None). `privacy`: True for the Art. 9 scan of
    representative frames, False to skip it, or a ready hook. Other options go to
    `tamper.check.check_source` (every, keyframes_only, start, end, progress, threads...)."""
    from cctv_guard import reports
    from cctv_guard.tamper.check import check_source

    if privacy is True:
        from cctv_guard.privacy import check_hook

        privacy = check_hook(baseline)
    result = check_source(source, baseline, privacy_fn=privacy or None, camera_id=camera_id, **options)
    return CameraCheck(result, reports.enrich(result.to_json(), camera))


def record_check(reg: Any, camera_id: str, doc: Mapping[str, Any], report_path: str | os.PathLike | None = None) -> None:
    """Append the check to the camera's history in the registry."""
    reg.record_check(camera_id, doc, report_path=report_path)
