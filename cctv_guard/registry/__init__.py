"""The camera registry (Art. 7, 11, 19): cameras, zones, baselines and check history.

Modules, by concept:

- :mod:`~cctv_guard.registry.camera`: a camera's facts (with the go-live date and the declared
  storage period), their validation, Art. 7 categories (and Order 799's Art. 7 scope) and the
  registry findings under both regimes (``filing_overdue``: Order 78 Art. 11 / Order 799 Art. 14;
  ``signage_missing``; ``retention_short`` for a declared period under 30 days).
- :mod:`~cctv_guard.registry.records`: baseline and check-history records.
- :mod:`~cctv_guard.registry.db`: SQLite / PostgreSQL dialects, connecting, schema migrations.
- :mod:`~cctv_guard.registry.store`: :class:`Registry` and :func:`open_registry`; it stores and
  loads baseline files but does not build them (that is :mod:`cctv_guard.tamper.baseline`'s job).
- :mod:`~cctv_guard.registry.transfer`: the filing CSV and GeoJSON export, CSV import.
"""

from cctv_guard.core.zones import Zone, make_zone, parse_zone
from cctv_guard.registry.camera import (
    CAMERA_FIELDS,
    CATEGORIES,
    FILING_DAYS,
    MEASURES_IN_FORCE,
    REQUIRED_FIELDS,
    VERDICTS,
    Camera,
    CameraFields,
    Category,
    validate_camera,
)
from cctv_guard.registry.db import MIGRATIONS, SCHEMA_VERSION
from cctv_guard.registry.records import BaselineRecord, CheckRecord, CheckSummary
from cctv_guard.registry.store import BASELINE_DIR, BASELINE_SUFFIX, DB_NAME, Registry, open_registry
from cctv_guard.registry.transfer import CSV_COLUMNS, IMPORT_COLUMNS, cameras_to_csv, cameras_to_geojson, read_camera_csv

__all__ = [
    "BASELINE_DIR",
    "BASELINE_SUFFIX",
    "CAMERA_FIELDS",
    "CATEGORIES",
    "CSV_COLUMNS",
    "DB_NAME",
    "FILING_DAYS",
    "IMPORT_COLUMNS",
    "MEASURES_IN_FORCE",
    "MIGRATIONS",
    "REQUIRED_FIELDS",
    "SCHEMA_VERSION",
    "VERDICTS",
    "BaselineRecord",
    "Camera",
    "CameraFields",
    "Category",
    "CheckRecord",
    "CheckSummary",
    "Registry",
    "Zone",
    "cameras_to_csv",
    "cameras_to_geojson",
    "make_zone",
    "open_registry",
    "parse_zone",
    "read_camera_csv",
    "validate_camera",
]
