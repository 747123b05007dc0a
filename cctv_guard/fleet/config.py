"""The fleet audit's config file (`fleet.yaml`), validated with pydantic at the boundary.

Unknown keys are errors naming their key path and line (via `config.load_yaml_model`). Relative
paths in the file are relative to the folder that holds it. A minimal file::

    recordings:
      template: /nvr/{camera}/{date:%Y%m%d}/*.mp4
    window:
      date: yesterday

Everything else has defaults: the registry in the default home (`--home`/`$CCTV_GUARD_HOME`;
none when the file lists its `cameras` and names no `registry`),
keyframes-only sampling, the tamper check without the privacy scan, outputs in
``audits/<first day of the window>`` beside the config file, no notification.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from cctv_guard.core.config import StrictModel, load_yaml_model
from cctv_guard.core.errors import ConfigError

SummaryFormat = Literal["json", "csv", "html"]
MAX_WINDOW_DAYS = 366
DEFAULT_OUT = "audits/{date:%Y-%m-%d}"  # beside the config file


class RegistryConfig(StrictModel):
    """Where the camera registry lives: a home folder (SQLite) or a database URL."""

    home: Optional[str] = None
    url: Optional[str] = None

    @model_validator(mode="after")
    def _one(self) -> "RegistryConfig":
        if self.home and self.url:
            raise ValueError("give either home or url, not both")
        return self


class RecordingsConfig(StrictModel):
    """Where each camera's recordings of a day are: a path template or an NVR export folder.

    `template` is formatted with ``{camera}`` (the camera id) and ``{date}`` (a date, so
    ``{date:%Y%m%d}`` works) and then expanded as a glob. `export` is a folder of exported
    files: a camera's files are those in a sub-folder named after it, or whose names start with
    its id; names that carry a time stamp (``..._20261127_083000.mp4``) are kept only when it
    falls on an audited day."""

    template: Optional[str] = None
    export: Optional[str] = None
    suffixes: list[str] = Field(default_factory=lambda: [".mp4", ".mkv", ".avi", ".ts", ".mov"])

    @field_validator("template")
    @classmethod
    def _has_camera(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and "{camera" not in v:
            raise ValueError("template must contain {camera}")
        return v

    @model_validator(mode="after")
    def _one(self) -> "RecordingsConfig":
        if bool(self.template) == bool(self.export):
            raise ValueError("give exactly one of template or export")
        return self


DateSpec = Union[date, Literal["yesterday", "today"]]


def resolve_day(spec: DateSpec, today: date | None = None) -> date:
    today = today or date.today()
    if spec == "yesterday":
        return today - timedelta(days=1)
    if spec == "today":
        return today
    return spec  # type: ignore[return-value]


class WindowConfig(StrictModel):
    """The days to audit: one `date`, or `start`..`end` (inclusive). Dates are YYYY-MM-DD or
    ``yesterday``/``today``."""

    date: Optional[DateSpec] = None
    start: Optional[DateSpec] = None
    end: Optional[DateSpec] = None

    @model_validator(mode="after")
    def _shape(self) -> "WindowConfig":
        if self.date is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either date or start/end, not both")
        if self.date is None and (self.start is None or self.end is None):
            raise ValueError("give date, or both start and end")
        return self

    def days(self, today: date | None = None) -> list[date]:
        if self.date is not None:
            return [resolve_day(self.date, today)]
        lo, hi = resolve_day(self.start, today), resolve_day(self.end, today)  # type: ignore[arg-type]
        if hi < lo:
            raise ConfigError(f"window: end {hi} is before start {lo}")
        n = (hi - lo).days + 1
        if n > MAX_WINDOW_DAYS:
            raise ConfigError(f"window: {n} days is longer than the {MAX_WINDOW_DAYS} allowed")
        return [lo + timedelta(days=i) for i in range(n)]


class SamplingConfig(StrictModel):
    """How each recording is read: keyframes only (the default; the speed of the decoder) or
    one frame `every` so many seconds (every packet decoded)."""

    every: Optional[float] = Field(default=None, gt=0)
    keyframes_only: bool = True

    @model_validator(mode="after")
    def _exclusive(self) -> "SamplingConfig":
        if self.every is not None and self.keyframes_only and "keyframes_only" in self.model_fields_set:
            raise ValueError("every and keyframes_only: true exclude each other")
        return self

    def resolved(self) -> tuple[float | None, bool]:
        return (self.every, False) if self.every is not None else (None, self.keyframes_only)


class ChecksConfig(StrictModel):
    tamper: bool = True  # moved / rotated / zoomed / covered / defocused / blackout / frozen / signal lost
    privacy: bool = False  # Art. 9 scan of a few frames per recording (ONNX models; slower)

    @model_validator(mode="after")
    def _some(self) -> "ChecksConfig":
        if not self.tamper:
            raise ValueError("tamper: false is not supported (the audit is built on the tamper check; "
                             "use `cctv-guard scan` for a privacy-only pass)")
        return self


class OutputsConfig(StrictModel):
    dir: Optional[str] = None  # may use {date:%Y-%m-%d} (the first audited day)
    summary: list[SummaryFormat] = Field(default_factory=lambda: ["json", "csv", "html"])
    # an HTML report beside each check JSON: for every recording, none, or only those with a violation
    html_reports: Union[bool, Literal["violations"]] = True
    # language of the HTML pages: zh, en or both (default: the summary page in English, the
    # check reports in both)
    lang: Optional[Literal["zh", "en", "both"]] = None


class NotifyConfig(StrictModel):
    """Where to send the fleet summary when the audit ends: a copy of summary.json to a `file`
    path and/or a JSON POST to a `webhook` URL. A failed delivery is a warning."""

    file: Optional[str] = None
    webhook: Optional[str] = None
    timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("webhook")
    @classmethod
    def _url(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"expected an http(s):// URL, found {v!r}")
        return v


class CameraConfig(StrictModel):
    """A camera listed in the fleet file: adds to, or overrides fields of, the registry's."""

    id: str = Field(min_length=1)
    baseline: Optional[str] = None
    recordings: Optional[str] = None  # a template for this camera only
    district: Optional[str] = None
    lat: Optional[float] = Field(default=None, ge=-90, le=90)
    lon: Optional[float] = Field(default=None, ge=-180, le=180)
    profile: Optional[str] = None  # the registry's baseline profile to use


class EngineConfig(StrictModel):
    kind: Literal["local", "ray"] = "local"
    workers: Optional[int] = Field(default=None, gt=0)  # default: one per core (local)
    address: Optional[str] = None  # Ray cluster address; default: `auto` when RAY_ADDRESS is set, else a local Ray
    timeout_s: float = Field(default=1800.0, gt=0)  # per recording
    max_in_flight: Optional[int] = Field(default=None, gt=0)  # default: 2 x workers
    # Ray data locality: recordings under a path prefix run only on nodes that advertise the
    # custom resource (`ray start --resources '{"nvr-07": 1}'` on the NVR's own node)
    locality: dict[str, str] = Field(default_factory=dict)  # path prefix -> Ray resource name


class FleetConfig(StrictModel):
    # None: the default registry (--home / $CCTV_GUARD_HOME), unless the file lists its cameras
    registry: Optional[RegistryConfig] = None
    recordings: RecordingsConfig
    window: WindowConfig
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    cameras: list[CameraConfig] = Field(default_factory=list)
    include: Optional[list[str]] = None  # audit only these camera ids (default: all known)
    exclude: list[str] = Field(default_factory=list)
    districts: dict[str, str] = Field(default_factory=dict)  # camera id -> district

    @field_validator("cameras")
    @classmethod
    def _unique(cls, v: list[CameraConfig]) -> list[CameraConfig]:
        seen: set[str] = set()
        for c in v:
            if c.id in seen:
                raise ValueError(f"camera id {c.id!r} is listed twice")
            seen.add(c.id)
        return v


def load_fleet(path: str | os.PathLike) -> FleetConfig:
    """Read and validate fleet.yaml; relative paths in it are made absolute against its folder."""
    p = Path(path)
    cfg = load_yaml_model(p, FleetConfig)
    return absolutise(cfg, p.resolve().parent)


def _abs(value: Optional[str], base: Path) -> Optional[str]:
    if value is None or "://" in value:
        return value
    q = Path(os.path.expanduser(value))
    return str(q if q.is_absolute() else base / q)


def absolutise(cfg: FleetConfig, base: Path) -> FleetConfig:
    """The same config with every relative path made absolute against `base`."""
    return cfg.model_copy(
        update={
            "registry": cfg.registry and cfg.registry.model_copy(update={"home": _abs(cfg.registry.home, base)}),
            "recordings": cfg.recordings.model_copy(
                update={"template": _abs(cfg.recordings.template, base), "export": _abs(cfg.recordings.export, base)}
            ),
            "outputs": cfg.outputs.model_copy(update={"dir": _abs(cfg.outputs.dir or DEFAULT_OUT, base)}),
            "notify": cfg.notify.model_copy(update={"file": _abs(cfg.notify.file, base)}),
            "cameras": [
                c.model_copy(update={"baseline": _abs(c.baseline, base), "recordings": _abs(c.recordings, base)})
                for c in cfg.cameras
            ],
        }
    )
