"""CSV output that is safe to open in a spreadsheet. Every CSV the tool writes goes through
:func:`csv_text`: cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``,
tab or carriage return first) are prefixed with ``'``, and line breaks inside a cell become
spaces so one record stays one line."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ONE_LINE = str.maketrans({"\r": " ", "\n": " ", "\t": " ", "\x0b": " ", "\x0c": " "})


def csv_cell(value: Any) -> Any:
    """One cell, neutralised: None -> "", text made one line and formula-safe, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    text = str(value).translate(_ONE_LINE)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (header line first, "\\n" line ends), every cell through :func:`csv_cell`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in header])
    for row in rows:
        w.writerow([csv_cell(v) for v in row])
    return buf.getvalue()
