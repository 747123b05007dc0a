"""Where cctv-guard keeps its state (the camera registry, baseline files, ledgers).

Resolution order for the home directory: an explicit ``--home`` option, then the
``CCTV_GUARD_HOME`` environment variable, then a per-user default:
``$XDG_DATA_HOME/cctv-guard`` (``~/.local/share/cctv-guard`` when unset) on Linux and other
POSIX systems, ``%LOCALAPPDATA%\\cctv-guard`` on Windows, ``~/Library/Application Support/cctv-guard``
on macOS.

A shared registry may instead live in PostgreSQL: ``--db URL`` or ``CCTV_GUARD_DB``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cctv_guard.core.errors import ConfigError

HOME_ENV = "CCTV_GUARD_HOME"
DB_ENV = "CCTV_GUARD_DB"
APP_DIR = "cctv-guard"


def default_home() -> Path:
    """The per-user data directory (not created)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says relative paths in XDG_* are invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / APP_DIR


def resolve_home(option: str | os.PathLike[str] | None = None) -> Path:
    """The home directory: ``option`` (``--home``), else ``$CCTV_GUARD_HOME``, else the per-user
    default. The path is expanded (``~``) and made absolute but not created; an existing path that
    is not a directory is a :class:`ConfigError`."""
    raw = option if option not in (None, "") else os.environ.get(HOME_ENV) or None
    home = Path(raw).expanduser() if raw is not None else default_home()
    home = home.absolute()
    if home.exists() and not home.is_dir():
        origin = "--home" if option not in (None, "") else (HOME_ENV if raw is not None else "default home")
        raise ConfigError(f"{origin}: expected a directory, found a file: {home}")
    return home


def resolve_db_url(option: str | None = None) -> str | None:
    """A database URL from ``--db`` or ``$CCTV_GUARD_DB``; ``None`` means the SQLite file in home."""
    url = option or os.environ.get(DB_ENV) or None
    return url.strip() if url else None
