"""Process memory: glibc malloc settings for frame-by-frame work (no-ops on other C libraries).

Every analysed frame allocates a few full-frame float images (0.5 MB each at the analysis
size) and frees them again. With glibc's defaults, blocks that large are mmap'ed fresh and
unmapped on free (or the heap top is trimmed), so each frame faulted in ~850 new pages: the
analysis of a keyframe took 5.2 ms instead of 2.9 ms (`scripts/bench_speed.py`). Keeping big
blocks on the heap and not trimming it makes the memory of one frame serve the next.
"""

from __future__ import annotations

import ctypes
import os
import threading

import numpy as np

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
FRAME_BLOCK_LIMIT = 32 * 1024 * 1024  # blocks up to this size come from the heap (glibc's maximum)
KEEP_FREE_HEAP = 128 * 1024 * 1024  # free heap kept for reuse before it is handed back

_lock = threading.Lock()
_libc: object = None
_done: set[str] = set()


def _glibc():
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL("libc.so.6")
            lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            lib.malloc_trim.argtypes = [ctypes.c_size_t]
            _libc = lib
        except (OSError, AttributeError):
            _libc = False
    return _libc


def _once(name: str, env: str, settings: tuple[tuple[int, int], ...]) -> None:
    with _lock:
        if name in _done:
            return
        _done.add(name)
        libc = _glibc()
        if not libc or env in os.environ:  # the user's MALLOC_* environment wins
            return
        for param, value in settings:
            libc.mallopt(param, value)


def reuse_frame_memory() -> None:
    """Keep freed frame-sized blocks on the heap for the next frame (call before frame loops)."""
    _once("frames", "MALLOC_MMAP_THRESHOLD_", ((_M_MMAP_THRESHOLD, FRAME_BLOCK_LIMIT), (_M_TRIM_THRESHOLD, KEEP_FREE_HEAP)))


def limit_arenas(n: int = 2) -> None:
    """At most `n` malloc arenas. glibc gives every thread that allocates its own arena (up to
    8 per core); with onnxruntime's worker threads that fragments memory: peak RSS with all
    models running measured 634 MB, 535 MB with two. Call before the threads start."""
    _once("arenas", "MALLOC_ARENA_MAX", ((_M_ARENA_MAX, n),))


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc's malloc_trim), so peaks from loading a
    model or from one large OCR pass do not stay in the process's RSS."""
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)


_scratch = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """A reusable working array of this thread (contents undefined): per-frame temporaries
    written into the same, cache-warm memory frame after frame instead of fresh allocations
    (the texture measures of a frame took 1.0 ms with fresh arrays, 0.7 ms this way). Never
    return one, or keep it past the next call with the same `name`."""
    arrays = getattr(_scratch, "arrays", None)
    if arrays is None:
        arrays = _scratch.arrays = {}
    a = arrays.get(name)
    if a is None or a.shape != tuple(shape) or a.dtype != dtype:
        a = arrays[name] = np.empty(shape, dtype)
    return a
