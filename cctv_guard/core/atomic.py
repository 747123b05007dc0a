"""Atomic file writes: nothing half-written survives a crash or a kill -9.

The data goes to a temporary file in the destination folder, is flushed and fsynced, and then
renamed over the destination in one step (`os.replace`); the folder is fsynced too. Readers see
the old file or the new one, never a mixture, and no temporary file is left behind on errors.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterator


def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a rename inside `directory` durable (best effort: not every filesystem allows it)."""
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def refuse_special(path: Path) -> None:
    """Raise ConfigError when `path` exists and is not a regular file: a rename would replace a
    symlink, a device node (``/dev/full``), a FIFO or a socket instead of writing through it."""
    from cctv_guard.core.errors import ConfigError

    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError:
        return  # unreadable: the write itself will report it
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        raise ConfigError(f"refusing to replace {path}: it is {kind}")


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w", *, perms: int | None = None) -> Iterator[IO]:
    """Stream into `path` atomically: `with atomic_writer(p, "wb") as fh: fh.write(...)`.
    Text mode writes UTF-8 with "\\n" line ends. `perms` sets the file's permissions (the
    temporary file is created 0600, so secrets are never briefly readable by others)."""
    p = Path(path)
    refuse_special(p)
    parent = p.parent if str(p.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if perms is not None:
            os.chmod(tmp, perms)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(parent)


def write_atomic(path: str | os.PathLike, data: bytes | str, *, mode: int | None = None) -> Path:
    """Write `data` (str is UTF-8 encoded) to `path` atomically; `mode` sets permissions."""
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"write_atomic takes bytes or str, not {type(data).__name__}")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path, "wb", perms=mode) as fh:
        fh.write(payload)
    return Path(path)


# --- the one file-mode policy ---------------------------------------------------------------------
# Outputs meant for people (reports, JSON results, CSV, seals) are ordinary files: 0666 less the
# umask, like anything else the user creates. Files that hold secrets or credentials (signing keys,
# the registry database and its exports with stream URIs) are private: 0600.

PRIVATE_MODE = 0o600


def output_mode() -> int:
    """The mode of an ordinary output file: 0666 less the process umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_output(path: str | os.PathLike, data: bytes | str, *, private: bool = False) -> Path:
    """Write a result file atomically with the policy's mode (`private` for files with secrets).
    An unwritable destination becomes a one-line ConfigError."""
    from cctv_guard.core.errors import ConfigError

    p = Path(path)
    try:
        return write_atomic(p, data, mode=PRIVATE_MODE if private else output_mode())
    except OSError as exc:
        raise ConfigError(f"cannot write {p}: {exc.strerror or exc}") from None
