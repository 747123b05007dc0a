"""Custody findings: what an archive scan or verify found, citing the clause it breaches, and the
storage periods they are judged by (Order 78 Art. 16(8); Order 799 Art. 17: the same 30 days)."""

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
    advisory: bool = False  # worth a look, not a breach by itself (retention_excess); no effect on the verdict

    def to_json(self) -> dict:
        from cctv_guard.legal.mapping import legal_fields

        return {"kind": self.kind, "article": self.article, "camera": self.camera, "message": self.message,
                "details": self.details, "advisory": self.advisory, **legal_fields(self.kind)}


def finding(kind: str, camera: str | None, message: str, details: dict, *, advisory: bool = False) -> Finding:
    """A finding of `kind`, its article looked up in the regulation catalogue (Order 78's where it
    names the kind, else Order 799's: ``retention_excess`` is a national duty only)."""
    from cctv_guard.legal import articles

    regime = articles.GANSU if articles.has_kind(kind) else articles.NATIONAL
    return Finding(kind, articles.for_kind(kind, regime=regime).ref, camera, message, details, advisory)
