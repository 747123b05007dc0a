"""A subset of a free CJK font embedded in a report, so that its Chinese renders on a machine
without CJK fonts.

Decision (issue 13 #16): the package ships no font file. At render time the report looks for
a CJK font on the machine that renders it (``$CCTV_GUARD_CJK_FONT``, else Noto Sans CJK SC from
Debian's ``fonts-noto-cjk``, else another known free CJK font), subsets it with fontTools to the
CJK characters the page uses, and inlines it as a base64 OpenType ``@font-face``. Noto CJK is
under the SIL Open Font License 1.1, which allows embedding subsets in documents. Where no font
or no fontTools is found, the report is still written, with a note that no font was embedded.

:func:`cjk_chars` picks the characters; :func:`font_face_css` builds the CSS (None when no font
can be embedded). The only I/O is reading the font file (cached per file and character set).
"""

from __future__ import annotations

import base64
import io
import os
from functools import lru_cache
from pathlib import Path

FONT_FAMILY = "cctv-guard-cjk"
ENV_FONT = "CCTV_GUARD_CJK_FONT"
# Free CJK fonts in Debian packages (fonts-noto-cjk, fonts-wqy-microhei, fonts-arphic-uming), best first.
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_SC_HINTS = ("SC", "GB", "Simplified")  # in a collection, the face for Simplified Chinese


def is_cjk(ch: str) -> bool:
    """CJK ideographs, radicals, CJK and full-width punctuation (U+2E80 and up, less surrogates)."""
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFFEF or o >= 0x20000


def cjk_chars(text: str) -> str:
    """The distinct CJK characters of a text, sorted (the subset a page needs)."""
    return "".join(sorted({c for c in text if is_cjk(c)}))


def find_font(env: dict[str, str] | None = None) -> Path | None:
    """The CJK font to embed: ``$CCTV_GUARD_CJK_FONT`` when it names a file, else the first
    known free CJK font present; None when there is none."""
    env = os.environ if env is None else env
    named = env.get(ENV_FONT)
    if named:
        return Path(named) if Path(named).is_file() else None
    return next((Path(p) for p in CANDIDATES if Path(p).is_file()), None)


@lru_cache(maxsize=8)
def _face_index(path: Path) -> int:
    """The face of a font collection to use (Simplified Chinese when named so), 0 for a single font."""
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() not in (".ttc", ".otc"):
        return -1
    fonts = TTCollection(str(path), lazy=True).fonts
    names = [str(f["name"].getDebugName(1) or "") for f in fonts]
    return next((i for i, n in enumerate(names) if any(h in n.split() for h in _SC_HINTS) and "Mono" not in n), 0)


@lru_cache(maxsize=16)
def subset_font(path: str, chars: str) -> tuple[bytes, str]:
    """(font bytes, CSS format) of ``path`` cut down to ``chars`` (OpenType/TrueType, no hinting)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    p = Path(path)
    index = _face_index(p)
    font = TTFont(str(p), fontNumber=index, lazy=True) if index >= 0 else TTFont(str(p), lazy=True)
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and the licence (SIL OFL) with the font
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue(), "opentype" if font.sfntVersion == "OTTO" else "truetype"


def font_face_css(text: str, font: Path | None = None) -> str | None:
    """The ``@font-face`` rule embedding the CJK characters of ``text`` (an empty string when
    the text has none), or None when no font could be embedded (no font file, no fontTools, an
    unreadable font)."""
    chars = cjk_chars(text)
    if not chars:
        return ""
    path = font if font is not None else find_font()
    if path is None:
        return None
    try:
        data, fmt = subset_font(str(path), chars)
    except ImportError:
        return None
    except Exception:  # noqa: BLE001 - a font fontTools cannot read: the report goes out without it
        return None
    uri = "data:font/otf;base64," if fmt == "opentype" else "data:font/ttf;base64,"
    return (f'@font-face{{font-family:"{FONT_FAMILY}";src:url({uri}{base64.b64encode(data).decode("ascii")}) '
            f'format("{fmt}");font-display:block}}')
