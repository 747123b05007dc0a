"""Hostile text. File names, registry and ledger fields come from outside and may hold terminal
control sequences (ESC, C1 controls), bidirectional overrides and line breaks that clear the screen,
retitle the window or forge output lines. Everything the CLI prints from outside passes through
:func:`printable`; fields stored in the registry or the ledger are checked with
:func:`control_characters` on input and refused."""

from __future__ import annotations

import re
import unicodedata

# C0 controls (tab included), DEL, C1 controls, and the Unicode format characters that reorder or
# hide text: bidi embeddings/overrides/isolates, marks, line/paragraph separators, zero-width ones.
# Lone surrogates stand for the bytes of a file name that is not UTF-8 (GBK names from NVRs, kept
# by Python's surrogateescape): they cannot be written as UTF-8 and are shown as those bytes.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def path_text(path: object) -> str:
    """A file path as text that can always be written as UTF-8 (JSON, HTML, a manifest): the
    bytes of a name that is not UTF-8 are shown as ``\\xNN`` escapes; other names are unchanged."""
    return _SURROGATES.sub(_escape, str(path))


def json_safe(serialized: str) -> str:
    """Serialized JSON (``ensure_ascii=False``) made writable as UTF-8: a file name's
    undecodable bytes inside a string become the text ``\\xNN``, as :func:`path_text` shows them."""
    return _SURROGATES.sub(lambda m: _escape(m).replace("\\", "\\\\"), serialized)


def printable(text: object) -> str:
    """`text` with every control or reordering character shown as a visible escape (``\\x1b``,
    ``\\u202e``); ordinary text, Chinese included, is unchanged."""
    return _UNSAFE.sub(_escape, str(text))


def control_characters(text: str) -> list[str]:
    """The control or reordering characters in `text`, named (e.g. ``['ESCAPE', 'U+202E']``)."""
    return [unicodedata.name(ch, f"U+{ord(ch):04X}") for ch in _UNSAFE.findall(text)]


def check_field(value: str, what: str) -> str:
    """Return `value`, or raise ConfigError when it holds control characters (input validation
    for registry and ledger fields)."""
    from cctv_guard.core.errors import ConfigError

    bad = control_characters(value)
    if bad:
        raise ConfigError(f"{what}: control characters are not allowed (found {', '.join(sorted(set(bad)))})")
    return value
