"""Zones: named polygons in a camera's frame (pixel coordinates, x right, y down).

`must_see` zones are the places a camera must keep in view (Art. 7 coverage); zones whose name
starts with `privacy` are masks the privacy scan ignores. Validated once, here, for the CLI,
the registry and baselines alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from cctv_guard.core.errors import ConfigError

_ZONE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")



@dataclass(frozen=True)
class Zone:
    """A named polygon in the frame's pixel coordinates (x right, y down), e.g. ``must_see``."""

    name: str
    points: tuple[tuple[float, float], ...]

    def spec(self) -> str:
        """The ``name=x1,y1;x2,y2;...`` form the CLI reads."""
        return f"{self.name}=" + ";".join(f"{_num(x)},{_num(y)}" for x, y in self.points)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def make_zone(name: str, points: Iterable[Sequence[float]], frame_size: tuple[int, int] | None = None) -> Zone:
    """A validated :class:`Zone`: at least 3 points, a simple polygon (not self-intersecting) with
    an area, and — when the frame size ``(width, height)`` is known — inside the frame.
    Raises :class:`ConfigError` naming the zone and what is wrong."""
    from shapely import is_valid_reason  # shapely is slow to import; only zones need it
    from shapely.geometry import Polygon

    name = str(name).strip()
    if not _ZONE_RE.fullmatch(name):
        raise ConfigError(f"zone name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}")
    try:
        raw = list(points)
        if any(len(p) != 2 for p in raw):
            raise ValueError
        pts = tuple((float(p[0]), float(p[1])) for p in raw)
    except (TypeError, ValueError, IndexError):
        raise ConfigError(f"zone {name!r}: expected a list of (x, y) points") from None
    pts = tuple(p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1])  # repeated points
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]  # an explicitly closed ring
    if len(set(pts)) < 3:
        raise ConfigError(f"zone {name!r} needs at least 3 distinct points, got {len(set(pts))}")
    for x, y in pts:
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ConfigError(f"zone {name!r}: point ({x}, {y}) is not a finite number")
    (x0, y0), (x1, y1) = pts[0], pts[1]
    if all(abs((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) < 1e-9 for x, y in pts[2:]):
        raise ConfigError(f"zone {name!r}: polygon has no area (its points are collinear)")
    poly = Polygon(pts)
    if not poly.is_valid:
        reason = is_valid_reason(poly)
        where = re.search(r"\[([-0-9.e+]+) ([-0-9.e+]+)\]", reason)
        at = f" at ({float(where.group(1)):g}, {float(where.group(2)):g})" if where else ""
        what = "self-intersecting" if "Self-intersection" in reason or "Ring Self" in reason else reason.split("[")[0].strip().lower()
        raise ConfigError(f"zone {name!r}: polygon is {what}{at}; list the points in order around the outline")
    if poly.area <= 0:
        raise ConfigError(f"zone {name!r}: polygon has no area")
    if frame_size is not None:
        fw, fh = frame_size
        for x, y in pts:
            if not (0 <= x <= fw and 0 <= y <= fh):
                raise ConfigError(
                    f"zone {name!r}: point ({x:g}, {y:g}) lies outside the {fw}x{fh} frame "
                    f"(x must be 0..{fw}, y 0..{fh})"
                )
    return Zone(name, pts)


def parse_zone(spec: str, frame_size: tuple[int, int] | None = None) -> Zone:
    """``name=x1,y1;x2,y2;x3,y3`` -> a validated :class:`Zone` (see :func:`make_zone`)."""
    name, sep, rest = str(spec).partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"zone must look like NAME=x1,y1;x2,y2;x3,y3, got {spec!r}")
    points = []
    for item in rest.split(";"):
        if not item.strip():
            continue
        xy = item.split(",")
        try:
            if len(xy) != 2:
                raise ValueError
            points.append((float(xy[0]), float(xy[1])))
        except ValueError:
            raise ConfigError(f"zone {name.strip()!r}: expected a point 'x,y', got {item.strip()!r}") from None
    return make_zone(name, points, frame_size)
