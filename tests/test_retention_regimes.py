"""Archive retention under both regimes: 30 days under Order 78 Art. 16(8) and Order 799 Art. 17,
and the advisory Order 799 Art. 17 ``retention_excess`` for footage kept past the declared period."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cctv_guard.core.errors import ConfigError
from cctv_guard.custody.retention import Recording, excess_finding, scan_to_json, summarize_camera, ScanReport

AS_OF = datetime(2026, 6, 1, 0, 0, 0)


def daily(days: int, camera_prefix: str = "cam1") -> list[Recording]:
    """One 1-hour file a day for the last ``days`` days."""
    return [Recording(f"{camera_prefix}/{(AS_OF - timedelta(days=d)):%Y%m%d}/000000.mp4", AS_OF - timedelta(days=d), 1000, 3600.0, True)
            for d in range(days, 0, -1)]


def regimes(f):
    return {c["regime"]: c["article"] for c in f.to_json()["legal"]}


def test_short_retention_cites_both_regimes():
    _, found = summarize_camera("cam1", daily(10), as_of=AS_OF, gap_s=10**9)
    short = [f for f in found if f.kind == "retention_short"]
    assert len(short) == 1 and regimes(short[0]) == {"gansu-78": "16(8)", "national-799": "17"}
    assert short[0].details["min_days_by_regime"] == {"gansu-78": 30, "national-799": 30}
    assert not short[0].advisory


def test_retention_excess_is_advisory_and_national_only():
    recs = daily(100)
    summary, found = summarize_camera("cam1", recs, as_of=AS_OF, gap_s=10**9, declared_days=60)
    excess = [f for f in found if f.kind == "retention_excess"]
    assert len(excess) == 1
    e = excess[0]
    assert e.advisory and e.article == "17" and regimes(e) == {"national-799": "17"}
    # files ending more than 60 days before the as-of time: days 100..61 (the day-61 file ends 60d23h before)
    assert e.details["files"] == 40 and e.details["held"] == 0
    assert e.to_json()["advisory"] is True
    report = ScanReport("/r", "p", AS_OF, 30, 60.0, (summary,), tuple(found), (), 0)
    assert report.verdict == "compliant"  # advisory findings do not make a violation
    assert scan_to_json(report)["findings"][0]["legal"][0]["penalty"] == "31"


def test_hold_globs_keep_footage_out_of_the_excess():
    files = [(r.path, r.start + timedelta(hours=1)) for r in daily(100)]
    held = excess_finding("cam1", files, as_of=AS_OF, declared_days=60, hold=["cam1/2026022*/*", "cam1/202603*/*"])
    free = excess_finding("cam1", files, as_of=AS_OF, declared_days=60)
    assert free.details["files"] - held.details["files"] == held.details["held"] > 0
    assert excess_finding("cam1", files, as_of=AS_OF, declared_days=60, hold=["*"]) is None


def test_declared_period_below_30_days_still_keeps_30():
    files = [(r.path, r.start + timedelta(hours=1)) for r in daily(25)]
    assert excess_finding("cam1", files, as_of=AS_OF, declared_days=7) is None
    assert excess_finding("cam1", [(r.path, r.start + timedelta(hours=1)) for r in daily(40)], as_of=AS_OF,
                          declared_days=7).details["limit_days"] == 30


def test_no_declared_period_no_excess_check():
    _, found = summarize_camera("cam1", daily(400), as_of=AS_OF, gap_s=10**9)
    assert not [f for f in found if f.kind == "retention_excess"]


def test_bad_declared_period():
    with pytest.raises(ConfigError, match="at least 1 day"):
        excess_finding("cam1", [], as_of=AS_OF, declared_days=0)
