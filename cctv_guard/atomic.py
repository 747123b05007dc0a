"""Atomic file writes: nothing half-written survives a crash or a kill -9.

The data goes to a temporary file in the destination folder, is flushed and fsynced, and then
renamed over the destination in one step (`os.replace`), so readers see the old file or the
new one, never a mixture.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike, data: bytes | str, *, mode: int | None = None) -> Path:
    """Write `data` (str is UTF-8 encoded) to `path` atomically; `mode` sets permissions
    (the temporary file is created 0600, so secrets are never briefly world-readable)."""
    p = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
