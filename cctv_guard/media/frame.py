"""Frame: one picture of a source with its time, and its conversions to arrays.

A decoded video picture (an ``av.VideoFrame``) is converted only when a form of it is asked for,
and only to that form, straight from its YUV planes inside swscale: BGR (`Frame.image`, at most
`max_width` wide), grey at an exact size (`Frame.gray`) or a BGR thumbnail (`Frame.bgr`). Most
analysed frames never need a full BGR copy. Pictures read from image files are already BGR
arrays; they are converted with OpenCV (`gray_at`, `shrink_to_width`).
"""

from __future__ import annotations

import threading

import numpy as np


class Frame:
    """One frame: its time in seconds from the start of the source, its ordinal among the
    frames an iteration yielded, whether it was a keyframe, whether its footage codes every frame
    on its own (`intra_only`: images, MJPEG; then every frame is a keyframe and that says
    nothing), and its picture.

    `image` is the picture as BGR uint8 (at most the `max_width` asked for); `gray(size)` is it
    as grey uint8 at exactly `size` (w, h), the form the tamper analysis works on. A decoded video
    picture is converted only when one of them is asked for (in the thread that asks), straight
    from its YUV planes inside swscale: most analysed frames never need a BGR copy.
    A picture that cannot be converted raises ValueError.
    """

    __slots__ = ("t", "index", "keyframe", "intra_only", "_image", "_picture", "_max_width")

    def __init__(self, image: np.ndarray | None, t: float, index: int, keyframe: bool, *, picture=None,
                 max_width: int | None = None, intra_only: bool = False):
        if image is None and picture is None:
            raise ValueError("a Frame needs an image or a decoded picture")
        self.t = t
        self.index = index
        self.keyframe = keyframe
        self.intra_only = intra_only
        self._image = image
        self._picture = picture  # an av.VideoFrame
        self._max_width = max_width

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            self._image = convert(self._picture, "bgr24", *fit_width(self._picture.width, self._picture.height, self._max_width))
        return self._image

    def gray(self, size: tuple[int, int]) -> np.ndarray:
        """The picture in grey (full range 0-255) at exactly `size` = (w, h), area-averaged."""
        w, h = int(size[0]), int(size[1])
        if self._picture is not None:
            return convert(self._picture, "gray", w, h, "AREA")
        return gray_at(self._image, (w, h))

    def bgr(self, width: int) -> np.ndarray:
        """The picture as BGR uint8 `width` pixels wide (aspect kept): a cheap thumbnail."""
        if self._picture is not None and self._image is None:
            p = self._picture
            return convert(p, "bgr24", int(width), max(1, round(p.height * width / p.width)), "AREA")
        import cv2

        img = self.image
        h = max(1, round(img.shape[0] * width / img.shape[1]))
        return cv2.resize(img, (int(width), h), interpolation=cv2.INTER_AREA)

    def __repr__(self) -> str:
        return f"Frame(t={self.t:.3f}, index={self.index}, keyframe={self.keyframe})"


# --- arrays (image files) ---------------------------------------------------------------------------


def gray_at(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A BGR (or grey) uint8 image in grey uint8 at exactly `size` = (w, h): area-averaged when
    shrinking, bilinear when growing."""
    import cv2

    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if (gray.shape[1], gray.shape[0]) != tuple(size):
        interp = cv2.INTER_AREA if gray.shape[1] > size[0] else cv2.INTER_LINEAR
        gray = cv2.resize(gray, tuple(size), interpolation=interp)
    return gray


def shrink_to_width(img: np.ndarray, max_width: int | None) -> np.ndarray:
    """The image at most `max_width` wide (aspect kept, area-averaged); unchanged if narrower."""
    import cv2

    h, w = img.shape[:2]
    if max_width and w > max_width:
        nh = max(1, int(round(h * max_width / w)))
        return cv2.resize(img, (int(max_width), nh), interpolation=cv2.INTER_AREA)
    return img


# --- decoded pictures (swscale) -----------------------------------------------------------------------


def fit_width(width: int, height: int, max_width: int | None) -> tuple[int, int]:
    """(w, h) of a picture downscaled to at most `max_width` (even sizes for swscale), aspect kept."""
    if max_width and width > max_width:
        w = int(max_width) // 2 * 2
        return w, max(2, int(round(height * w / width)) // 2 * 2)
    return width, height


_local = threading.local()


def convert(picture, fmt: str, width: int, height: int, interpolation: str | None = None) -> np.ndarray:
    """A decoded picture as an array in `fmt` at (width, height). One swscale context per
    thread is kept and reused: creating one per frame cost more than the conversion."""
    import av
    from av.video.reformatter import VideoReformatter

    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        reformatter = _local.reformatter = VideoReformatter()
    try:
        return reformatter.reformat(picture, format=fmt, width=width, height=height, interpolation=interpolation).to_ndarray()
    except (av.error.FFmpegError, ValueError) as exc:
        raise ValueError(f"a decoded picture could not be converted: {exc}") from None
