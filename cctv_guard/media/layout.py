"""Where recordings live: the one pattern language for recording paths.

A layout is a path pattern with fields, for example ``{camera}/{date:%Y%m%d}/{time:%H%M%S}.mp4``
(an archive, relative to its root) or ``/nvr/{camera}/{date:%Y%m%d}/*.mp4`` (a fleet's NVR):

* ``{camera}`` — the camera id (one path component or part of one; it may appear more than once,
  with the same value each time).
* ``{date:STRFTIME}`` — the day (and possibly the time) the recording starts; ``{date}`` alone is
  ``{date:%Y-%m-%d}``. Several ``{date:...}`` fields combine (``{date:%Y}/{date:%m%d}``); a field
  repeated with the same format repeats the same text (``{date:%Y%m%d}/{camera}_{date:%Y%m%d}``).
* ``{time:STRFTIME}`` — the time of day, when the day is given elsewhere; it needs ``%H`` or ``%I``.
* ``*``, ``?`` and ``[...]`` are glob wildcards within one path component; ``{{`` and ``}}`` are
  literal braces. Everything else is literal.

The same layout answers both questions asked of it: which camera and start time a path belongs
to (:meth:`RecordingsLayout.match`, used by the archive scan), and which files hold one camera's
recordings of one day (:meth:`RecordingsLayout.files_of_day` / :func:`recordings_of_day`, used by
the fleet audit). Malformed layouts are one-line :class:`~cctv_guard.core.errors.ConfigError`\\ s
that name the layout.
"""

from __future__ import annotations

import glob as _glob
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Iterable, NamedTuple

from cctv_guard.core.errors import ConfigError

FIELDS = ("camera", "date", "time")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"  # what str(date) gives: ``{date}`` alone
_DIRECTIVES = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "j": r"\d{3}",
    "H": r"\d{1,2}", "I": r"\d{1,2}", "M": r"\d{1,2}", "S": r"\d{1,2}", "f": r"\d{1,6}",
    "p": r"(?:AM|PM|am|pm)", "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+",
}
_TIME_OF_DAY = frozenset("HIMSfp")  # directives a day does not fix: a wildcard when globbing a day
_SEP = "\x1f"  # joins the values (and formats) of several date fields for one strptime call


class PathMatch(NamedTuple):
    camera: str | None  # None when the layout has no {camera}
    start: datetime | None  # None when the layout does not give a calendar day


@dataclass(frozen=True)
class _Field:
    name: str  # camera, date or time
    fmt: str  # strftime format ("" for camera)


Token = str | _Field  # a str is a piece of literal glob text


@dataclass(frozen=True)
class RecordingsLayout:
    """A parsed layout (see the module notes). Build it with :func:`parse_layout`."""

    text: str
    tokens: tuple[Token, ...]

    # --- what the layout gives -------------------------------------------------------------------

    def _formats(self, name: str) -> list[str]:
        """The distinct formats of the `name` fields, in order (a field repeated with the same
        format must repeat the same text, as a repeated {camera} does)."""
        return list(dict.fromkeys(t.fmt for t in self.tokens if isinstance(t, _Field) and t.name == name))

    @property
    def date_format(self) -> str | None:
        """The date fields' formats, in order (joined by a separator when there are several)."""
        fmts = self._formats("date")
        return _SEP.join(fmts) if fmts else None

    @property
    def time_format(self) -> str | None:
        fmts = self._formats("time")
        return _SEP.join(fmts) if fmts else None

    @property
    def has_camera(self) -> bool:
        return bool(self._formats("camera"))

    @property
    def has_day(self) -> bool:
        """True when the date fields give year, month and day (or year and day of the year)."""
        return _gives_day(self.date_format)

    @property
    def has_time_of_day(self) -> bool:
        return any(d in (self.date_format or "") + (self.time_format or "") for d in ("%H", "%I"))

    @property
    def absolute(self) -> bool:
        return self.text.startswith("/")

    # --- path -> (camera, start) -----------------------------------------------------------------

    def regex(self, camera: str | None = None) -> re.Pattern:
        """The regular expression of whole matching paths; with `camera`, of that camera's only."""
        out: list[str] = []
        groups: dict[tuple[str, str], str] = {}  # (field, format) -> regex group; a repeat refers back
        for t in self.tokens:
            if isinstance(t, str):
                out.append(_glob_regex(t))
            elif t.name == "camera" and camera is not None:
                out.append(re.escape(camera))
            elif (t.name, t.fmt) in groups:
                out.append(f"(?P={groups[t.name, t.fmt]})")
            elif t.name == "camera":
                groups[t.name, t.fmt] = "camera"
                out.append(r"(?P<camera>[^/]+?)")
            else:
                group = groups[t.name, t.fmt] = f"{t.name}{sum(k[0] == t.name for k in groups)}"
                out.append(f"(?P<{group}>{_format_regex(t.fmt)})")
        return re.compile("".join(out))

    @cached_property
    def _regex(self) -> re.Pattern:
        return self.regex()

    def match(self, path: str) -> PathMatch | None:
        """(camera, start) of a path that fits the layout (relative to the archive root for a
        relative layout, as a whole for an absolute one); None when it does not fit. Raises
        ValueError when it fits but the date or time does not exist (``20261340``, ``996699``)."""
        m = self._regex.fullmatch(path)
        return None if m is None else PathMatch(m["camera"] if self.has_camera else None, self._start(m))

    def _start(self, m: re.Match) -> datetime | None:
        if not self.has_day:
            return None
        values = _SEP.join(m[f"date{i}"] for i in range(len(self._formats("date"))))
        start = datetime.strptime(values, self.date_format)
        if self.time_format is not None:
            t_values = _SEP.join(m[f"time{i}"] for i in range(len(self._formats("time"))))
            start = datetime.combine(start.date(), datetime.strptime(t_values, self.time_format).time())
        return start

    # --- (camera, day) -> paths ------------------------------------------------------------------

    def glob(self, camera: str, day: date | None = None) -> str:
        """The glob of `camera`'s recordings on `day` (all days when None): the camera id and the
        day's date directives are filled in, times of day become ``*``."""
        return self._glob(camera, day)[0]

    def _glob(self, camera: str, day: date | None) -> tuple[str, bool]:
        out: list[str] = []
        wild = False
        star = False  # the last piece was a generated "*"

        def put(piece: str, generated_star: bool = False) -> None:
            nonlocal star
            if not (generated_star and star):
                out.append(piece)
            star = generated_star

        for t in self.tokens:
            if isinstance(t, str):
                put(t)
                wild = wild or _has_wildcard(t)
            elif t.name == "camera":
                put(_glob.escape(camera))
            else:
                for kind, value in _split_format(t.fmt):
                    if kind == "text":
                        put(value)
                        wild = wild or _has_wildcard(value)
                    elif value == "%":
                        put("%")
                    elif day is None or value in _TIME_OF_DAY:
                        put("*", generated_star=True)
                        wild = True
                    else:
                        put(_glob.escape(day.strftime("%" + value)))
        return "".join(out), wild

    def files_of_day(
        self, camera: str, day: date, *, root: str | os.PathLike | None = None, suffixes: Iterable[str] | None = None
    ) -> list[Path]:
        """`camera`'s recording files of `day`, sorted. A relative layout is looked up under
        `root` (default: the current folder). When the layout has wildcards and `suffixes` are
        given, only files with those suffixes count. Files whose name gives another day or an
        impossible time are left out; a layout without a calendar day finds every day's files."""
        pattern, wild = self._glob(camera, day)
        rx = self.regex(camera)
        keep = {s.lower() for s in suffixes} if suffixes is not None and wild else None
        base = None if root is None or self.absolute else Path(root)
        found = []
        for hit in _glob.glob(pattern, root_dir=base):
            path = base / hit if base is not None else Path(hit)
            if not path.is_file() or (keep is not None and path.suffix.lower() not in keep):
                continue
            m = rx.fullmatch(hit)
            if m is None:
                continue
            try:
                start = self._start(m)
            except ValueError:
                continue
            if start is None or start.date() == day:
                found.append(path)
        return sorted(found)


def recordings_of_day(
    template: str, camera: str, day: date, *, suffixes: Iterable[str] | None = None,
    root: str | os.PathLike | None = None, what: str = "recordings template",
) -> tuple[list[Path], str]:
    """A camera's recording files of one day from a layout text, and the glob they were looked
    for with (for messages such as "no recordings found in ..."). Raises ConfigError naming
    `what` when the template is malformed."""
    layout = parse_layout(template, what=what)
    return layout.files_of_day(camera, day, root=root, suffixes=suffixes), layout.glob(camera, day)


# --- parsing ---------------------------------------------------------------------------------------


def parse_layout(
    text: str, *, what: str = "recordings layout", relative: bool = False,
    need_camera: bool = False, need_day: bool = False,
) -> RecordingsLayout:
    """Parse a layout. `what` names it in errors (``--camera-pattern``, ``recordings.template``);
    `relative`, `need_camera` and `need_day` add the archive scan's demands (a pattern relative
    to the archive root, a camera to group by and a calendar day to judge retention)."""
    if relative and (not text or text.startswith("/")):
        raise ConfigError(f"{what} must be a relative path pattern, found {text!r}")
    if not text:
        raise ConfigError(f"{what} is empty")

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{what} {text!r}: {problem}")

    tokens: list[Token] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "{}" and text[i : i + 2] == c * 2:
            literal.append(c)
            i += 2
            continue
        if c == "}":
            raise fail(f"unbalanced brace near {text[max(0, i - 12) : i + 12]!r}")
        if c != "{":
            literal.append(c)
            i += 1
            continue
        end = text.find("}", i)
        if end < 0 or "{" in text[i + 1 : end]:
            raise fail(f"unbalanced brace near {text[i : i + 24]!r}")
        if literal:
            tokens.append("".join(literal))
            literal = []
        tokens.append(_parse_field(text[i + 1 : end], fail))
        i = end + 1
    if literal:
        tokens.append("".join(literal))
    layout = RecordingsLayout(text, tuple(tokens))

    for name in ("date", "time"):
        fmts = layout._formats(name)
        seen: set[str] = set()
        for fmt in fmts:
            for kind, d in _split_format(fmt):
                if kind == "directive" and d != "%":
                    if d in seen:
                        raise fail(f"%{d} appears twice in the {{{name}}} fields (a field repeats only with the same format)")
                    seen.add(d)
    if need_camera and not layout.has_camera:
        raise fail("missing the {camera} field")
    date_fmt = layout.date_format
    if need_day:
        if date_fmt is None:
            raise fail("missing the {date} field")
        if not layout.has_day:
            raise fail(f"{{date:{'}…{date:'.join(layout._formats('date'))}}} must give year, month and day")
    time_fmt = layout.time_format
    if time_fmt is not None and not any(d in time_fmt for d in ("%H", "%I")):
        raise fail(f"{{time:{'}…{time:'.join(layout._formats('time'))}}} must contain %H or %I")
    return layout


def _parse_field(body: str, fail) -> _Field:
    name, colon, fmt = body.partition(":")
    if name not in FIELDS:
        raise fail(f"unknown field {{{name}}} (expected camera, date, time)")
    if name == "camera":
        if colon:
            raise fail("{camera} takes no format")
        return _Field(name, "")
    if not fmt:
        if name == "date" and not colon:
            return _Field(name, DEFAULT_DATE_FORMAT)
        raise fail(f"{{{name}}} needs a strftime format, e.g. {{{name}:{'%H%M%S' if name == 'time' else '%Y%m%d'}}}")
    for kind, d in _split_format(fmt):
        if kind == "lone%":
            raise fail(f"{{{name}:{fmt}}} ends with a lone %")
        if kind == "directive" and d != "%" and d not in _DIRECTIVES:
            raise fail(f"unsupported directive %{d} in {{{name}:{fmt}}} (supported: {' '.join('%' + k for k in _DIRECTIVES)})")
    return _Field(name, fmt)


def _split_format(fmt: str) -> list[tuple[str, str]]:
    """A strftime format as ("directive", letter) and ("text", glob text) pieces."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            if i + 1 >= len(fmt):
                out.append(("lone%", ""))
                break
            out.append(("directive", fmt[i + 1]))
            i += 2
        else:
            j = fmt.find("%", i)
            j = len(fmt) if j < 0 else j
            out.append(("text", fmt[i:j]))
            i = j
    return out


def _format_regex(fmt: str) -> str:
    return "".join(
        _glob_regex(v) if kind == "text" else "%" if v == "%" else _DIRECTIVES[v] for kind, v in _split_format(fmt)
    )


def _gives_day(fmt: str | None) -> bool:
    if not fmt:
        return False
    year = "%Y" in fmt or "%y" in fmt
    month = "%m" in fmt or "%b" in fmt or "%B" in fmt
    return year and ((month and "%d" in fmt) or "%j" in fmt)


def _has_wildcard(text: str) -> bool:
    return any(c in text for c in "*?[")


def _glob_regex(text: str) -> str:
    """Glob text as a regular expression: ``*`` and ``?`` stay within one path component,
    ``[...]`` / ``[!...]`` are character classes (an unclosed ``[`` is literal), as in glob."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i
            if j < n and text[j] == "!":
                j += 1
            if j < n and text[j] == "]":
                j += 1
            j = text.find("]", j)
            if j < 0:
                out.append(re.escape(c))
                continue
            body = text[i:j]
            i = j + 1
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[^/{body}]" if negate else f"[{body}]")
        else:
            out.append(re.escape(c))
    return "".join(out)

