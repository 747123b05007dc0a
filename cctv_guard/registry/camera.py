"""A registered camera: its facts, their validation, and the registry findings they imply, under
each regime (Gansu Order 78 and national Order 799; see docs/legal.md).

Filing under Order 78 Art. 11: the Measures took effect on 2011-05-01; systems built before then
had to be filed within 60 days of that date, and this registry applies the same 60 days to later
installations (due ``max(installed, 2011-05-01) + 60 days``; penalty Art. 19(2)). Filing under
Order 799 Art. 14: within 30 days of going live (``go_live``, else ``installed``); systems live
before 2025-04-01 within 90 days of that date, i.e. by 2025-06-30 (penalty Art. 29). Order 799
Art. 9 para. 2 exempts cameras outside the Art. 7 places from Art. 14 (and 11, 15, 16 para. 2, 17):
:data:`NATIONAL_ART7` says which categories are Art. 7 places. An unfiled camera past a due date is
a ``filing_overdue`` finding citing the regimes it is overdue under; a camera recorded without
signage is ``signage_missing`` (Order 78 Art. 8, Order 799 Art. 13); a declared storage period
(``retention_days``) under 30 days is ``retention_short`` (Order 78 Art. 16(8), Order 799 Art. 17).

Stream URIs are stored as given (the edge watcher needs the credentials) but every rendering
for people — ``Camera.to_dict()``, ``repr``, exports, error messages — is redacted through
:mod:`cctv_guard.core.redact`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, Mapping, Sequence

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from cctv_guard.core.config import StrictModel
from cctv_guard.core.errors import RegistryError
from cctv_guard.core.redact import MASK, redact_text, redact_uri
from cctv_guard.core.zones import Zone

#: Art. 7 places, as ``category -> (clause, English, Chinese words of that clause)``. ``other`` is a camera that is not
#: at a place Art. 7 requires (still registrable and still subject to Art. 8, 9 and 11).
CATEGORIES: dict[str, tuple[str | None, str, str]] = {
    "street": ("7(1)", "main street", "主要街道"),
    "intersection": ("7(1)", "intersection", "路口"),
    "crossing": ("7(1)", "pedestrian crossing passage", "过街通道"),
    "transit_hub": ("7(1)", "public transport hub", "公共交通枢纽"),
    "square": ("7(1)", "square", "广场"),
    "park": ("7(1)", "park", "公园"),
    "public_place": ("7(1)", "other public place in a town or city", "公共场所"),
    "boundary_road": ("7(2)", "road at a county-level (or higher) boundary", "县级以上行政区域界线公路交界部位"),
    "key_unit": ("7(3)", "key security unit (important part)", "治安保卫重点单位的重要部位"),
    "residential_entrance": ("7(4)", "residential compound entrance", "居民住宅小区的出入口"),
    "residential_passage": ("7(4)", "residential compound main passage", "主要通道"),
    "other_required": ("7(5)", "other place required by law", "其他区域、场所和部位"),
    "other": (None, "not an Art. 7 place", "其他"),
}
Category = Literal[
    "street", "intersection", "crossing", "transit_hub", "square", "park", "public_place", "boundary_road",
    "key_unit", "residential_entrance", "residential_passage", "other_required", "other",
]

#: Order 799 Art. 7 places by category: ``category -> the Art. 7 place`` or None (an Art. 9 place:
#: the Art. 9 para. 2 exemptions apply). Residential compounds, named by Order 78 Art. 7(4), are not
#: Order 799 Art. 7 places; ``other_required`` (a place another law requires) is taken as in scope.
NATIONAL_ART7: dict[str, str | None] = {
    "street": "7 para. 1 (main road sections)", "intersection": "7 para. 1 (main road sections)",
    "crossing": "7 para. 1 (underpasses)", "boundary_road": "7 para. 1 (administrative-area road boundaries)",
    "square": "7 para. 1 (squares)", "key_unit": "7 para. 1 (areas around key security units)",
    "park": "7(1) (parks)", "public_place": "7(1) (places where people gather)", "transit_hub": "7(2) (transport hubs)",
    "other_required": "7 (required by law)", "residential_entrance": None, "residential_passage": None, "other": None,
}

MEASURES_IN_FORCE = date(2011, 5, 1)
FILING_DAYS = 60
NATIONAL_IN_FORCE = date(2025, 4, 1)  # Order 799 Art. 34
NATIONAL_FILING_DAYS = 30  # Order 799 Art. 14: within 30 days of going live
NATIONAL_TRANSITION_DUE = date(2025, 6, 30)  # ... systems live before 2025-04-01: within 90 days
MIN_RETENTION_DAYS = 30  # Order 78 Art. 16(8), Order 799 Art. 17
GANSU, NATIONAL = "gansu-78", "national-799"
VERDICTS = ("compliant", "violation", "inconclusive")

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


# --- cameras ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Camera:
    """One registered camera. ``source`` holds the stream URI as given, credentials included:
    never print it — use :meth:`to_dict` (redacted) or :attr:`source_redacted`."""

    id: str
    name: str
    lat: float
    lon: float
    category: str
    operator: str = ""
    installed: date | None = None
    filed: date | None = None
    signage: bool | None = None  # None: not recorded
    source: str | None = field(default=None, repr=False)
    notes: str = ""
    zones: tuple[Zone, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    go_live: date | None = None  # put into use (Order 799 Art. 14); None: taken to be `installed`
    retention_days: int | None = None  # the declared storage period of its footage, in days

    @property
    def source_redacted(self) -> str | None:
        return redact_uri(self.source)

    @property
    def article_7_clause(self) -> str | None:
        return CATEGORIES.get(self.category, (None, "", ""))[0]

    @property
    def filing_due(self) -> date | None:
        """When the Art. 11 filing is (or was) due; None while the installation date is unknown."""
        if self.installed is None:
            return None
        return max(self.installed, MEASURES_IN_FORCE) + timedelta(days=FILING_DAYS)

    @property
    def national_art7(self) -> bool:
        """Whether the camera is at an Order 799 Art. 7 place (else Art. 9 para. 2 exemptions apply)."""
        return NATIONAL_ART7.get(self.category) is not None

    @property
    def national_filing_due(self) -> date | None:
        """When the Order 799 Art. 14 filing is (or was) due; None while the go-live date is unknown
        or the camera is exempt (not at an Art. 7 place)."""
        return national_filing_due(self.go_live or self.installed) if self.national_art7 else None

    def filing_dues(self, regimes: Sequence[str] | None = None) -> dict[str, date]:
        """The filing due date under each regime (of ``regimes``, default both) that has one."""
        dues = {GANSU: self.filing_due, NATIONAL: self.national_filing_due}
        return {r: d for r, d in dues.items() if d is not None and (regimes is None or r in regimes)}

    def overdue_regimes(self, today: date | None = None, regimes: Sequence[str] | None = None) -> list[str]:
        """The regimes under which the filing is overdue (none once ``filed`` is recorded)."""
        if self.filed is not None:
            return []
        today = today or date.today()
        return [r for r, due in self.filing_dues(regimes).items() if today > due]

    def filing_overdue(self, today: date | None = None, regimes: Sequence[str] | None = None) -> bool:
        """Overdue under any of ``regimes`` (default: either regime)."""
        return bool(self.overdue_regimes(today, regimes))

    def retention_short(self) -> bool:
        return self.retention_days is not None and self.retention_days < MIN_RETENTION_DAYS

    def zone(self, name: str) -> Zone | None:
        return next((z for z in self.zones if z.name == name), None)

    def finding_kinds(self, today: date | None = None, regimes: Sequence[str] | None = None) -> list[str]:
        """The kinds of :meth:`findings`, cheaply (for tables of many cameras)."""
        return [f["kind"] for f in self.findings(today, regimes=regimes)]

    def findings(self, today: date | None = None, regimes: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Registry findings, each with its ``legal`` list (docs/contracts.md): ``filing_overdue``,
        ``signage_missing`` and ``retention_short``. ``article``/``penalty_article`` are those of the
        first regime that applies (Order 78 where it does, for existing consumers)."""
        from cctv_guard.legal.mapping import legal_fields

        today = today or date.today()
        out: list[dict[str, Any]] = []

        def add(kind: str, applicable: Sequence[str], details: dict[str, Any]) -> None:
            fields = legal_fields(kind, regimes=applicable, art7=self.national_art7)
            if fields["legal"]:
                first = fields["legal"][0]
                out.append({"kind": kind, "article": first["article"], "penalty_article": first["penalty"],
                            "details": details, **fields})

        late = self.overdue_regimes(today, regimes)
        if late:
            dues = self.filing_dues(late)
            due = dues[late[0]]
            add("filing_overdue", late, {
                "installed": iso_date(self.installed), "go_live": iso_date(self.go_live),
                "due": due.isoformat(), "days_overdue": (today - due).days,
                "due_by_regime": {r: d.isoformat() for r, d in dues.items()},
            })
        chosen = list(regimes) if regimes is not None else [GANSU, NATIONAL]
        if self.signage is False:
            add("signage_missing", chosen, {})
        if self.retention_short():
            add("retention_short", chosen, {"retention_days": self.retention_days, "minimum_days": MIN_RETENTION_DAYS})
        return out

    def to_dict(self, *, today: date | None = None, findings: bool = True) -> dict[str, Any]:
        """A JSON-ready dict for people and reports: the stream URI is redacted."""
        d: dict[str, Any] = {
            "id": self.id, "name": self.name, "lat": self.lat, "lon": self.lon,
            "category": self.category, "article_7": self.article_7_clause, "operator": self.operator,
            "installed": iso_date(self.installed), "filed": iso_date(self.filed), "filing_due": iso_date(self.filing_due),
            "go_live": iso_date(self.go_live), "retention_days": self.retention_days,
            "national_art7": self.national_art7, "national_filing_due": iso_date(self.national_filing_due),
            "signage": self.signage, "source": self.source_redacted, "notes": self.notes,
            "zones": {z.name: [list(p) for p in z.points] for z in self.zones},
            "created_at": self.created_at, "updated_at": self.updated_at,
        }
        if findings:
            d["findings"] = self.findings(today)
        return d


def iso_date(d: date | None) -> str | None:
    return d.isoformat() if d else None


def national_filing_due(live: date | None) -> date | None:
    """Order 799 Art. 14: 30 days after going live; a system live before 2025-04-01 by 2025-06-30."""
    if live is None:
        return None
    if live < NATIONAL_IN_FORCE:
        return NATIONAL_TRANSITION_DUE
    return live + timedelta(days=NATIONAL_FILING_DAYS)


# --- validation at the boundary (library calls, CLI options, CSV rows, database rows) ---------------

_YES = {"yes", "y", "true", "t", "1", "on", "是", "有"}
_NO = {"no", "n", "false", "f", "0", "off", "否", "无"}


class CameraFields(StrictModel):
    """The writable facts of a camera. Unknown keys are errors; a validated instance is frozen."""

    model_config = ConfigDict(str_strip_whitespace=True, defer_build=True)

    id: str = Field(pattern=_ID_RE.pattern)
    name: str = Field(min_length=1, max_length=200)
    lat: float
    lon: float
    category: Category
    operator: str = Field(default="", max_length=200)
    installed: date | None = None
    filed: date | None = None
    signage: bool | None = None
    source: str | None = Field(default=None, max_length=2000)
    notes: str = Field(default="", max_length=2000)
    go_live: date | None = None
    retention_days: int | None = Field(default=None, ge=1, le=36500)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        if isinstance(v, str) and not _ID_RE.fullmatch(v.strip()):
            raise ValueError("camera id must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
        return v

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip().lower().replace("-", "_").replace(" ", "_")
            if v not in CATEGORIES:
                raise ValueError(f"unknown category; expected one of {', '.join(CATEGORIES)}")
        return v

    @field_validator("lat", "lon", mode="before")
    @classmethod
    def _coord(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("expected a number")
        return v

    @field_validator("lat", "lon")
    @classmethod
    def _wgs84(cls, v: float, info: ValidationInfo) -> float:
        what, limit = ("latitude", 90) if info.field_name == "lat" else ("longitude", 180)
        if not (math.isfinite(v) and -limit <= v <= limit):
            raise ValueError(f"expected a WGS84 {what} in degrees between -{limit} and {limit}")
        return v

    @field_validator("signage", mode="before")
    @classmethod
    def _signage(cls, v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip().lower()
            if s in ("", "unknown", "?"):
                return None
            if s in _YES:
                return True
            if s in _NO:
                return False
            raise ValueError("expected yes or no")
        return v

    @field_validator("installed", "filed", "source", "go_live", "retention_days", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and v.strip().lower() in ("", "none", "null") else v

    @field_validator("installed", "filed", "go_live")
    @classmethod
    def _plausible_date(cls, v: date | None) -> date | None:
        if v is not None and not (date(1950, 1, 1) <= v <= date.today() + timedelta(days=3660)):
            raise ValueError("date is not plausible for a camera")
        return v

    @field_validator("name", "operator", "notes", "source")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        if v is not None and _CONTROL.search(v):
            raise ValueError("must not contain control characters or line breaks")
        return v

    @field_validator("source")
    @classmethod
    def _not_redacted(cls, v: str | None) -> str | None:
        if v is not None and f"{MASK}@" in v:
            raise ValueError("this URI was redacted for display (***); give the real stream URI")
        return v


CAMERA_FIELDS: tuple[str, ...] = tuple(CameraFields.model_fields)
REQUIRED_FIELDS = ("id", "name", "lat", "lon", "category")


def describe_errors(exc: ValidationError, where: str = "") -> list[str]:
    """One readable line per pydantic error; offending values are redacted."""
    lines = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "value"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required"
        got = e.get("input")
        shown = "" if e["type"] in ("missing", "extra_forbidden") or isinstance(got, dict) else f" (got {redact_text(repr(got))})"
        lines.append(f"{where}{loc}: {msg}{shown}")
    return lines


def validate_camera(data: Mapping[str, Any], where: str = "") -> CameraFields:
    """Validate a camera's facts; the first problem (and how many more) as one :class:`RegistryError`."""
    try:
        return CameraFields.model_validate(dict(data))
    except ValidationError as exc:
        lines = describe_errors(exc, where)
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        raise RegistryError(f"{lines[0]}{more}") from None


def camera_facts(cam: Camera) -> dict[str, Any]:
    """The writable facts of a camera (the keys of :data:`CAMERA_FIELDS`), for re-validation."""
    return {k: getattr(cam, k) for k in CAMERA_FIELDS}

