"""Shared fixtures. Tests that need ../shared/data use the `shared_data` fixture and skip
cleanly where it is absent (e.g. outside the development machines)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
MODELS = REPO / "models"


def _shared_data_dir() -> Path | None:
    env = os.environ.get("CCTV_GUARD_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


SHARED_DATA = _shared_data_dir()


@pytest.fixture
def shared_data() -> Path:
    if SHARED_DATA is None:
        pytest.skip("../shared/data not present")
    return SHARED_DATA


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def sample_baseline(tmp_path_factory) -> Path:
    """A baseline of samples/vtest_normal.mp4 (its first 8 s), built once per test session."""
    from cctv_guard.tamper.baseline import build_baseline, save_baseline

    normal = SAMPLES / "vtest_normal.mp4"
    if not normal.exists():
        pytest.skip("samples missing")
    out = tmp_path_factory.mktemp("sample-baseline") / "vtest_normal.baseline"
    save_baseline(build_baseline(str(normal), end=8.0), out)
    return out


def normal_clip_frames(end: float, every: float = 0.5) -> list:
    """BGR frames of samples/vtest_normal.mp4 from 0 to `end` seconds (skips when absent)."""
    from cctv_guard.media.sources import open_source

    clip = SAMPLES / "vtest_normal.mp4"
    if not clip.is_file():
        pytest.skip("samples/vtest_normal.mp4 missing")
    with open_source(clip) as src:
        return [f.image for f in src.frames(every=every, end=end)]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout: float, step: float = 0.05):
    """Poll `cond()` until it returns something truthy (returned) or `timeout` seconds pass."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    return cond()


def encode_frames(out, stream, images, *, fmt: str = "bgr24", pts=None, time_base=None) -> None:
    """Encode `images` (uint8 arrays) into `stream` of the PyAV container `out`, muxing every
    packet and flushing the encoder: frame i gets pts i, or `pts[i]` in `time_base`."""
    import av

    for i, img in enumerate(images):
        frame = av.VideoFrame.from_ndarray(img, format=fmt)
        frame.pts = i if pts is None else pts[i]
        if time_base is not None:
            frame.time_base = time_base
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
