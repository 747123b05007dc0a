"""Custody findings: what an archive scan or verify found, citing the clause it breaches, and the
storage periods they are judged by (Art. 16(8))."""

from __future__ import annotations

from dataclasses import dataclass, field

RETENTION_DAYS = 30  # Art. 16(8): ordinary footage
IMPORTANT_RETENTION_DAYS = 730  # Art. 16(8): important copies, 2 years


@dataclass(frozen=True)
class Finding:
    kind: str  # a finding kind of the regulation catalogue (cctv_guard.legal.articles)
    article: str  # the clause it breaches, from the catalogue: "16(7)", "16(8)", "17(2)"
    camera: str | None
    message: str
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "article": self.article, "camera": self.camera, "message": self.message, "details": self.details}


def finding(kind: str, camera: str | None, message: str, details: dict) -> Finding:
    """A finding of `kind`, its article looked up in the regulation catalogue."""
    from cctv_guard.legal import articles

    return Finding(kind, articles.for_kind(kind).ref, camera, message, details)
