"""Baseline: building from real footage, the versioned file format (hypothesis round trip),
and clear errors for corrupt, foreign or other-version files and mismatched footage."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cctv_guard.tamper import baseline as bl
from cctv_guard.core.errors import BaselineError, ConfigError

from conftest import SAMPLES

CLIP = SAMPLES / "vtest_normal.mp4"


@pytest.fixture(scope="module")
def built():
    if not CLIP.is_file():
        pytest.skip("samples/vtest_normal.mp4 missing")
    return bl.build_baseline(CLIP, end=6.0, zones={"must_see": [(100, 150), (380, 150), (380, 350), (100, 350)]})


def test_build_from_real_footage(built):
    p = built.profile("day")
    assert built.frame_size == (480, 360) and built.analysis_size == (480, 360)
    assert p.median.shape == (360, 480) and p.median.dtype == np.uint8
    assert len(p.keypoints) == len(p.descriptors) > 200
    assert p.tex_mean.shape == bl.GRID and (p.tex_std >= 0).all()
    assert p.noise > 0.0  # the still part of the view still changes a little between frames
    assert p.key_noise is not None and p.key_noise > 0.5  # H.264 footage: keyframes measured too
    assert p.colour > 2  # a colour camera by day
    assert 2 <= p.frames <= bl.MAX_BASELINE_FRAMES + 2 * bl.KEYFRAME_SAMPLES  # spread + keyframes, each with its predecessor
    assert built.must_see == {"must_see": ((100.0, 150.0), (380.0, 150.0), (380.0, 350.0), (100.0, 350.0))}


def test_median_removes_passing_people(built):
    """Pedestrians walk through vtest; the temporal median must be closer to every frame's
    static background than any single frame is to the others."""
    from cctv_guard.media import gray_at, open_source

    with open_source(CLIP) as src:
        grays = [gray_at(f.image, built.analysis_size) for f in src.frames(every=1.0, end=6.0)]
    med = built.profile("day").median.astype(float)
    err_med = np.median([np.abs(g - med).mean() for g in grays])
    err_pair = np.median([np.abs(a.astype(float) - b).mean() for a, b in zip(grays, grays[3:])])
    assert err_med < err_pair


def test_save_load_roundtrip_and_atomic(built, tmp_path):
    path = tmp_path / "site.baseline"
    bl.save_baseline(built, path)
    assert [p.name for p in tmp_path.iterdir()] == ["site.baseline"]  # no temp file left behind
    back = bl.load_baseline(path)
    assert back.frame_size == built.frame_size and back.zones == built.zones
    for a, b in zip(built.profiles.values(), back.profiles.values()):
        for k in bl._PROFILE_ARRAYS:
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


def test_add_profile(built, tmp_path):
    night = bl.add_profile(built, SAMPLES / "vtest_night_ir.mp4", "night", start=20.0, end=26.0)
    assert set(night.profiles) == {"day", "night"}
    assert night.profile("night").colour < 0.5 * built.profile("day").colour  # IR is greyscale
    assert night.profiles["day"] is built.profiles["day"]
    with pytest.raises(BaselineError, match="no profile 'dusk'"):
        night.profile("dusk")


def _profile(draw, name, size):
    w, h = size
    n = draw(st.integers(0, 40))
    floats = st.floats(0, 5, width=32)
    return bl.Profile(
        name=name,
        median=draw(hnp.arrays(np.uint8, (h, w))),
        keypoints=draw(hnp.arrays(np.float32, (n, 2), elements=st.floats(0, w, width=32))),
        descriptors=draw(hnp.arrays(np.uint8, (n, 32))),
        tex_mean=draw(hnp.arrays(np.float32, bl.GRID, elements=floats)),
        tex_std=draw(hnp.arrays(np.float32, bl.GRID, elements=floats)),
        sharp_mean=draw(hnp.arrays(np.float32, bl.GRID, elements=floats)),
        sharp_std=draw(hnp.arrays(np.float32, bl.GRID, elements=floats)),
        luma_cells=draw(hnp.arrays(np.float32, bl.GRID, elements=st.floats(0, 255, width=32))),
        luma_mean=draw(st.floats(0, 255)),
        luma_std=draw(st.floats(0, 128)),
        colour=draw(st.floats(0, 100)),
        noise=draw(st.floats(0, 20)),
        edge_ncc=draw(st.none() | st.floats(-1, 1)),
        frames=draw(st.integers(1, 60)),
        start_s=draw(st.none() | st.floats(0, 1e6)),
        end_s=draw(st.none() | st.floats(0, 1e6)),
        edge_core_ncc=draw(st.none() | st.floats(-1, 1)),
        key_noise=draw(st.none() | st.floats(0, 50)),
    )


@st.composite
def baselines(draw):
    w, h = draw(st.integers(8, 48)), draw(st.integers(8, 32))
    names = draw(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3, unique=True))
    zone_names = st.text(min_size=1, max_size=10)
    pts = st.lists(st.tuples(st.floats(0, 4000), st.floats(0, 3000)), min_size=3, max_size=6).map(tuple)
    zones = draw(st.dictionaries(zone_names, pts, max_size=3))
    return bl.Baseline(
        frame_size=(w * draw(st.integers(1, 4)), h * 2),
        analysis_size=(w, h),
        profiles={n: _profile(draw, n, (w, h)) for n in names},
        zones=zones,
        source=draw(st.text(max_size=30)),
        created_with="cctv-guard test",
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baselines())
def test_format_roundtrip(b):
    back = bl.from_bytes(bl.to_bytes(b))
    assert (back.frame_size, back.analysis_size, back.zones, back.source) == (b.frame_size, b.analysis_size, b.zones, b.source)
    assert list(back.profiles) == list(b.profiles)
    for name, p in b.profiles.items():
        q = back.profiles[name]
        for k in bl._PROFILE_ARRAYS:
            np.testing.assert_array_equal(getattr(p, k), getattr(q, k))
        for k in bl._PROFILE_SCALARS:
            assert getattr(p, k) == getattr(q, k)


def _rewrite_header(data: bytes, **changes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    npz = np.load(io.BytesIO(data))
    header = json.loads(bytes(npz["header"]).decode())
    header.update(changes)
    arrays = {k: npz[k] for k in npz.files}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    src.close()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    "mangle,message",
    [
        (lambda d: b"", "empty"),
        (lambda d: b"hello, I am a text file\n", "not a cctv-guard baseline"),
        (lambda d: d[: len(d) // 2], "not a cctv-guard baseline"),
        (lambda d: _rewrite_header(d, version=2), "version 2; this cctv-guard reads version 1"),
        (lambda d: _rewrite_header(d, format="something/else"), "not a cctv-guard baseline"),
        (lambda d: _rewrite_header(d, analysis_size=[10, 10]), "wrong shape"),
        (lambda d: _rewrite_header(d, profiles={}), "no profiles"),
    ],
)
def test_bad_files_are_one_line_errors(built, tmp_path, mangle, message):
    path = tmp_path / "bad.baseline"
    path.write_bytes(mangle(bl.to_bytes(built)))
    with pytest.raises(BaselineError, match=message) as exc:
        bl.load_baseline(path)
    assert "\n" not in str(exc.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(BaselineError, match="no such baseline file"):
        bl.load_baseline(tmp_path / "nope.baseline")
    with pytest.raises(BaselineError, match="found a folder"):
        bl.load_baseline(tmp_path)


def test_resolution_mismatch(built):
    bl.check_fits(built, (480, 360))
    bl.check_fits(built, (960, 720))  # same aspect: compared at the analysis size
    bl.check_fits(built, (640, 480))
    with pytest.raises(BaselineError, match="aspect ratios differ"):
        bl.check_fits(built, (1280, 720))
    with pytest.raises(BaselineError, match="smaller than the 480-pixel-wide analysis size"):
        bl.check_fits(built, (320, 240))  # a sub-stream: upscaling would look like defocus


def test_zone_validation():
    with pytest.raises(ConfigError, match="outside the 480x360 frame"):
        bl._check_polygon("far", [(1000, 1000), (1100, 1000), (1100, 1100)], (480, 360))
    with pytest.raises(ConfigError, match="at least 3 distinct points"):
        bl._check_polygon("line", [(0, 0), (10, 10)], (480, 360))
    with pytest.raises(ConfigError, match="self-intersecting"):
        bl._check_polygon("bowtie", [(0, 0), (100, 100), (100, 0), (0, 100)], (480, 360))
    assert bl._check_polygon("ok", [(0, 0), (480, 0), (480, 360)], (480, 360)) == ((0.0, 0.0), (480.0, 0.0), (480.0, 360.0))


def test_build_reports_progress_in_seconds():
    """`progress` hears core.progress.Progress: seconds of the window read, out of its length."""
    if not CLIP.is_file():
        pytest.skip("samples/vtest_normal.mp4 missing")
    calls = []
    bl.build_baseline(CLIP, start=1.0, end=3.0, progress=calls.append)
    assert calls and {c.unit for c in calls} == {"s"} and all(c.total == pytest.approx(2.0) for c in calls)
    assert 0.0 <= calls[0].done <= calls[-1].done < 2.0


def test_empty_window_is_a_clear_error():
    if not CLIP.is_file():
        pytest.skip("samples/vtest_normal.mp4 missing")
    with pytest.raises(BaselineError, match="no frames in the window"):
        bl.build_baseline(CLIP, start=500.0, end=600.0)


def test_a_baseline_file_without_key_noise_still_loads(built, tmp_path):
    """Files written before key_noise was measured lack the key: they load with key_noise None."""
    import io
    import json

    p = bl.save_baseline(built, tmp_path / "b.cgb")
    npz = dict(np.load(p))
    header = json.loads(bytes(npz["header"]).decode())
    for prof in header["profiles"].values():
        del prof["key_noise"]
    npz["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **npz)
    old = bl.from_bytes(buf.getvalue())
    assert old.profile("day").key_noise is None
    assert old.profile("day").noise == built.profile("day").noise
