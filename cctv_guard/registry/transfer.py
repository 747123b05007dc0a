"""Cameras in and out of the registry as files: the filing CSV (`camera export --format csv`,
read back by `camera import`) and GeoJSON points (`camera export --format geojson`).

Stream URIs are never exported: they carry credentials and are not part of a filing. Exports are
therefore ordinary output files (:func:`cctv_guard.core.atomic.write_output`, not private).

CSV cells go through :func:`cctv_guard.core.tables.csv_text`, so a name such as ``=cmd|...`` is
written ``'=cmd|...`` and a spreadsheet shows it as text instead of running it. The import reads
that spreadsheet convention back: one leading ``'`` before a formula character is dropped, and the
export adds one more ``'`` to text that already starts with ``'`` + formula character, so export
followed by import gives the same facts.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from cctv_guard.core.errors import RegistryError
from cctv_guard.core.tables import FORMULA_START, csv_text
from cctv_guard.registry.camera import CAMERA_FIELDS, REQUIRED_FIELDS, Camera, iso_date

#: CSV columns of `camera export --format csv`, which `camera import` reads back.
#: Stream URIs are not exported (they carry credentials and are not part of a filing).
CSV_COLUMNS = ("id", "name", "lat", "lon", "category", "operator", "installed", "filed", "signage", "notes",
               "go_live", "retention_days")
IMPORT_COLUMNS = CAMERA_FIELDS


def _quoted(text: str) -> bool:
    """True for text a spreadsheet would take as already marked 'text': ``'`` (one or more) before a formula character."""
    rest = text.lstrip("'")
    return rest != text and rest.startswith(FORMULA_START)


def _text_cell(text: str) -> str:
    """Free text for the CSV: csv_text neutralises a leading formula character; text that already
    starts with ``'`` + formula character gets one more ``'`` so the import can undo exactly one."""
    return "'" + text if _quoted(text) else text


def _unquote(cell: str) -> str:
    """Read one cell back: drop the one ``'`` the export (or a spreadsheet user) put before a formula character."""
    return cell[1:] if _quoted(cell) else cell


def cameras_to_csv(cameras: Iterable[Camera]) -> str:
    """The filing CSV (:data:`CSV_COLUMNS`), formula-safe, that :func:`read_camera_csv` reads back."""
    return csv_text(CSV_COLUMNS, (
        [c.id, _text_cell(c.name), c.lat, c.lon, c.category, _text_cell(c.operator),
         iso_date(c.installed) or "", iso_date(c.filed) or "", "" if c.signage is None else ("yes" if c.signage else "no"),
         _text_cell(c.notes), iso_date(c.go_live) or "", "" if c.retention_days is None else c.retention_days]
        for c in cameras
    ))


def cameras_to_geojson(cameras: Iterable[Camera], today: date | None = None) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of camera points (``[lon, lat]``) with their facts and
    registry findings as properties (no stream URIs)."""
    today = today or date.today()
    feats = []
    for c in cameras:
        props = {
            "id": c.id, "name": c.name, "category": c.category, "article_7": c.article_7_clause,
            "operator": c.operator, "installed": iso_date(c.installed), "filed": iso_date(c.filed),
            "filing_due": iso_date(c.filing_due), "filing_overdue": c.filing_overdue(today), "signage": c.signage,
            "go_live": iso_date(c.go_live), "retention_days": c.retention_days,
            "national_filing_due": iso_date(c.national_filing_due),
            "zones": sorted(z.name for z in c.zones), "findings": c.finding_kinds(today),
        }
        feats.append({"type": "Feature", "id": c.id, "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def read_camera_csv(path: str | os.PathLike[str]) -> tuple[list[dict[str, str]], Callable[[int], str]]:
    """Rows of a camera CSV (UTF-8, BOM allowed) as dicts, with a function naming row i's line.
    Unknown or missing columns are :class:`RegistryError`s naming the column. A cell written
    ``'=...`` (the export's, or a spreadsheet's, mark for text) is read as ``=...``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RegistryError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise RegistryError(f"expected a CSV file, found a folder: {path}") from None
    except UnicodeDecodeError:
        raise RegistryError(f"{path} is not UTF-8 text (save the CSV as UTF-8)") from None
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegistryError(f"{path} is empty; expected a header line with {', '.join(REQUIRED_FIELDS)}") from None
    except csv.Error as exc:
        raise RegistryError(f"{path} line 1: not valid CSV: {exc}") from None
    header = [h.strip().lower() for h in header]
    for i, h in enumerate(header):
        if h not in IMPORT_COLUMNS:
            raise RegistryError(f"{path} line 1, column {i + 1}: unknown column {h!r} "
                                f"(expected some of {', '.join(IMPORT_COLUMNS)})")
        if header.index(h) != i:
            raise RegistryError(f"{path} line 1, column {i + 1}: column {h!r} appears twice")
    missing = [c for c in REQUIRED_FIELDS if c not in header]
    if missing:
        raise RegistryError(f"{path} line 1: missing column {missing[0]!r} (required: {', '.join(REQUIRED_FIELDS)})")
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise RegistryError(f"{path} line {reader.line_num}: {len(cells)} cells, expected {len(header)}")
            rows.append(dict(zip(header, map(_unquote, cells))))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise RegistryError(f"{path} line {reader.line_num}: not valid CSV: {exc}") from None
    name = path.name
    return rows, lambda i: f"{name} line {lines[i]}, column "
