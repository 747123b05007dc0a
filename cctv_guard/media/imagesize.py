"""The picture size an image file declares in its header, read before anything is decoded.

A small file can declare a huge picture (a PNG of a few megabytes that inflates to gigabytes), so
images are measured from their header first and refused above a pixel limit (see
`images.read_image`). Formats read here: PNG, JPEG, BMP, WebP, TIFF, JPEG 2000 (JP2 and raw
codestream) and PNM (PGM/PPM); for anything else `declared_size` says None and the decoder's own
checks apply.
"""

from __future__ import annotations

import re
import struct

_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_PNM = re.compile(rb"P[1-6](?:\s+|#[^\n]*\n)+(\d+)(?:\s+|#[^\n]*\n)+(\d+)")


def declared_size(data: bytes | memoryview) -> tuple[int, int] | None:
    """(width, height) from the header of an encoded image, or None when the format is not one
    read here or the header is cut short."""
    head = bytes(data[:32])
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head.startswith(b"\xff\xd8"):
            return _jpeg(data)
        if head.startswith(b"BM"):
            w, h = struct.unpack("<ii", head[18:26])
            return abs(w), abs(h)
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp(head)
        if head[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff(data)
        if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
            return _jp2(data)
        if head.startswith(b"\xff\x4f\xff\x51"):  # a raw JPEG 2000 codestream: the SIZ marker first
            xsiz, ysiz, xo, yo = struct.unpack(">IIII", head[8:24])
            return xsiz - xo, ysiz - yo
        m = _PNM.match(bytes(data[:1024]))
        if m:
            return int(m.group(1)), int(m.group(2))
    except (struct.error, IndexError):
        return None
    return None


def _jpeg(data) -> tuple[int, int] | None:
    """The frame header (SOFn) after the segments before it (EXIF and other APPn)."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if marker in _JPEG_SOF:
            h, w = struct.unpack(">HH", bytes(data[i + 5:i + 9]))
            return w, h
        if marker == 0xDA:  # scan data before any frame header
            return None
        i += 2 + length
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    kind = head[12:16]
    if kind == b"VP8X":
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if kind == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if kind == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    return None


def _tiff(data) -> tuple[int, int] | None:
    """ImageWidth (256) and ImageLength (257) of the first image file directory."""
    order = "<" if bytes(data[:2]) == b"II" else ">"
    (offset,) = struct.unpack(order + "I", bytes(data[4:8]))
    (count,) = struct.unpack(order + "H", bytes(data[offset:offset + 2]))
    found: dict[int, int] = {}
    for k in range(min(count, 4096)):
        at = offset + 2 + 12 * k
        tag, kind = struct.unpack(order + "HH", bytes(data[at:at + 4]))
        if tag in (256, 257):
            fmt = order + ("H" if kind == 3 else "I")
            found[tag] = struct.unpack(fmt, bytes(data[at + 8:at + 8 + struct.calcsize(fmt)]))[0]
    return (found[256], found[257]) if 256 in found and 257 in found else None


def _jp2(data) -> tuple[int, int] | None:
    """The image header box (ihdr: height then width) inside the JP2 header box."""
    at = bytes(data[:1 << 16]).find(b"ihdr")
    if at < 0:
        return None
    h, w = struct.unpack(">II", bytes(data[at + 4:at + 12]))
    return w, h
