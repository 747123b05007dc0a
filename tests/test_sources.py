"""Sources: decoding paths, time stamps from PTS, sampling, bad input."""

from __future__ import annotations

import socket
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import given, strategies as st

from cctv_guard.core.errors import SourceError
from cctv_guard.media.images import image_times, list_images, read_image, timestamp_from_name
from cctv_guard.media.sources import open_source

from conftest import encode_frames


def numbered_frame(n: int, w: int = 160, h: int = 120) -> np.ndarray:
    """A frame whose brightness encodes its number, plus texture so encoders keep detail."""
    rng = np.random.default_rng(n)
    img = np.full((h, w, 3), (n * 7) % 200 + 20, np.uint8)
    img[10:30, 10:150] = rng.integers(0, 255, (20, 140, 3), dtype=np.uint8)
    return img


def write_video(path: Path, pts_ms: list[int], codec: str = "libx264", gop: int = 10, w: int = 160, h: int = 120) -> None:
    """Encode frames at the given presentation times (ms), so time stamps are not frame counts."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=25)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        if codec == "libx264":
            stream.codec_context.gop_size = gop
            stream.options = {"bf": "0", "preset": "ultrafast", "g": str(gop), "keyint_min": str(gop), "sc_threshold": "0"}
        encode_frames(out, stream, (numbered_frame(i, w, h) for i in range(len(pts_ms))), pts=pts_ms,
                      time_base=Fraction(1, 1000))


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    write_video(path, [i * 100 for i in range(60)])  # 10 fps, 6 s, keyframe every 1 s
    return path


def test_info_and_all_frames_use_pts(clip):
    with open_source(clip) as src:
        assert (src.info.kind, src.info.width, src.info.height, src.info.codec) == ("video", 160, 120, "h264")
        assert src.info.duration_s == pytest.approx(6.0, abs=0.15)
        frames = list(src.frames())
    assert len(frames) == 60
    assert [f.index for f in frames] == list(range(60))
    assert frames[0].t == pytest.approx(0.0)
    assert frames[37].t == pytest.approx(3.7, abs=1e-6)
    assert src.stats.decoded == 60 and src.stats.yielded == 60 and src.stats.corrupt_skipped == 0


def test_timestamps_follow_pts_not_frame_counts(tmp_path):
    # Variable frame rate: a 2-second gap in the middle (a recorder pause).
    pts = [0, 100, 200, 300, 2300, 2400, 2500]
    path = tmp_path / "vfr.mp4"
    write_video(path, pts, gop=3)
    with open_source(path) as src:
        times = [f.t for f in src.frames()]
    assert times == pytest.approx([p / 1000 for p in pts], abs=1e-6)


def test_keyframes_only_decodes_only_keyframes(clip):
    with open_source(clip) as src:
        keys = list(src.frames(keyframes_only=True))
        stats = src.stats
    assert [round(f.t, 3) for f in keys] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(f.keyframe for f in keys)
    assert stats.decoded == 6  # non-key packets never reached the decoder


def test_every_samples_on_a_grid_and_window(clip):
    with open_source(clip) as src:
        sampled = list(src.frames(every=0.5, start=1.0, end=4.0))
    assert [round(f.t, 3) for f in sampled] == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert [f.index for f in sampled] == list(range(6))
    # The sampled frame is the right picture, not a neighbour.
    expected = numbered_frame(15)
    assert abs(float(sampled[1].image.mean()) - float(expected.mean())) < 4


def test_sampling_can_take_keyframes_between_samples(clip):
    """`with_keyframes=0`: every keyframe (one a second here) besides the 0.7 s grid;
    `with_keyframes=2`: at most one extra keyframe per 2 s."""
    with open_source(clip) as src:
        every = [round(f.t, 3) for f in src.frames(every=0.7, with_keyframes=0.0)]
        spaced = [round(f.t, 3) for f in src.frames(every=0.7, with_keyframes=2.0)]
        flags = {round(f.t, 3): f.keyframe for f in src.frames(every=0.7, with_keyframes=0.0)}
        assert not any(f.intra_only for f in src.frames(every=2.0))  # H.264: inter-coded
    grid = [0.0, 0.7, 1.4, 2.1, 2.8, 3.5, 4.2, 4.9, 5.6]
    assert every == sorted(set(grid) | {1.0, 2.0, 3.0, 4.0, 5.0})
    assert spaced == sorted(set(grid) | {1.0, 3.0, 5.0})
    assert all(flags[t] for t in (1.0, 2.0, 3.0)) and not flags[0.7]


def test_max_width_downscales(clip):
    with open_source(clip) as src:
        f = next(iter(src.frames(max_width=80)))
    assert f.image.shape == (60, 80, 3) and f.image.dtype == np.uint8


def test_mjpeg_avi_with_corrupt_frames_is_counted_not_fatal(tmp_path):
    path = tmp_path / "mj.avi"
    write_video(path, [i * 40 for i in range(30)], codec="mjpeg")
    data = bytearray(path.read_bytes())
    # Wreck the JPEG payload of a few frames in the middle (keep container structure intact).
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    assert len(starts) >= 30
    for s in starts[10:13]:
        data[s : s + 600] = bytes(600)
    path.write_bytes(bytes(data))
    with open_source(path) as src:
        frames = list(src.frames())
        stats = src.stats
    assert 20 <= len(frames) < 30
    assert stats.corrupt_skipped >= 1
    assert frames[-1].t == pytest.approx(29 * 0.04, abs=1e-6)


def test_truncated_video_with_index_up_front_ends_early_without_error(tmp_path):
    path = tmp_path / "mkv_trunc.mkv"
    write_video(path, [i * 100 for i in range(60)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with open_source(path) as src:
        frames = list(src.frames())
        stats = src.stats
    assert 5 < len(frames) < 60
    assert stats.truncated and not stats.ended_early  # cut short, not a recording that stopped (issue 13 #6)


def _put(d: Path, name: str, content: bytes | None) -> Path:
    path = d / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.mp4", "absent", "no such file"),
        ("zero.mp4", b"", "empty file"),
        ("text.mp4", b"this is not a video\n" * 50, "not a readable video"),
        ("empty_dir", None, "no images found"),
        ("bad.jpg", b"\xff\xd8garbage", "not a readable image"),
        ("", "absent", "empty source path"),
    ],
)
def test_bad_inputs_raise_one_line_source_errors(tmp_path, name, content, message):
    uri = "" if not name else (tmp_path / name if content == "absent" else _put(tmp_path, name, content))
    with pytest.raises(SourceError) as info:
        open_source(uri)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_mp4_without_index_is_rejected(tmp_path, clip):
    bad = tmp_path / "trunc.mp4"
    bad.write_bytes(clip.read_bytes()[:-2000])  # moov atom sits at the end of a non-faststart mp4
    with pytest.raises(SourceError, match="not a readable video"):
        open_source(bad)


def test_unreachable_stream_times_out_quickly_and_redacts_credentials():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    held = []
    threading.Thread(target=lambda: [held.append(srv.accept()) for _ in range(4)], daemon=True).start()
    began = time.monotonic()
    with pytest.raises(SourceError) as info:
        open_source(f"rtsp://admin:hunter2@127.0.0.1:{port}/live", timeout_s=2)
    elapsed = time.monotonic() - began
    srv.close()
    assert elapsed < 8
    assert "hunter2" not in str(info.value) and "admin" not in str(info.value)
    assert "did not answer" in str(info.value)


def test_refused_stream_is_a_source_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(SourceError, match="cannot open|did not answer|no readable"):
        open_source(f"rtsp://127.0.0.1:{port}/x", timeout_s=2)


def test_image_folder_with_one_corrupt_image_counts_a_skip(tmp_path):
    for i, sec in enumerate([0, 5, 10]):
        cv2.imwrite(str(tmp_path / f"cam_20261128_0830{sec:02d}.jpg"), numbered_frame(i))
    (tmp_path / "cam_20261128_083007.jpg").write_bytes(b"not a jpeg")
    with open_source(tmp_path) as src:
        assert src.info.kind == "images" and src.info.frame_count == 4
        frames = list(src.frames())
        stats = src.stats
    assert [f.t for f in frames] == [0.0, 5.0, 10.0]  # from the time stamps in the names
    assert stats.corrupt_skipped == 1


def test_single_image_source(tmp_path):
    p = tmp_path / "one.png"
    cv2.imwrite(str(p), numbered_frame(3))
    with open_source(p) as src:
        frames = list(src.frames())
    assert src.info.kind == "image" and len(frames) == 1 and frames[0].t == 0.0


def test_images_without_stamps_are_spaced_by_order(tmp_path):
    names = ["frame_10.png", "frame_2.png", "frame_1.png"]
    for n in names:
        cv2.imwrite(str(tmp_path / n), numbered_frame(1))
    paths = list_images(tmp_path)
    assert [p.name for p in paths] == ["frame_1.png", "frame_2.png", "frame_10.png"]
    assert image_times(paths, interval_s=2.0) == [0.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "img,suffix",
    [
        (np.full((16, 16), 200, np.uint8), ".png"),  # grey
        (np.full((16, 16, 4), 200, np.uint8), ".png"),  # BGRA
        (np.full((16, 16), 200 * 257, np.uint16), ".png"),  # 16-bit grey
        (np.full((16, 16, 3), 200 * 257, np.uint16), ".tiff"),  # 16-bit colour
        (np.full((16, 16, 1), 200, np.uint8), ".pgm"),
        (np.full((16, 16, 3), 200 / 255, np.float32), ".tiff"),  # float, 0..1
    ],
)
def test_read_image_normalises_every_layout(tmp_path, img, suffix):
    """Whatever a file decodes to (grey, alpha, 16-bit, float), read_image gives BGR uint8."""
    path = tmp_path / f"img{suffix}"
    assert cv2.imwrite(str(path), img)
    out = read_image(path)
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    assert int(out[0, 0, 0]) == 200


def test_read_image_handles_16bit_png_and_alpha(tmp_path):
    p16 = tmp_path / "deep.png"
    cv2.imwrite(str(p16), np.full((20, 30, 3), 40000, np.uint16))
    pa = tmp_path / "alpha.png"
    cv2.imwrite(str(pa), np.dstack([np.full((20, 30, 3), 90, np.uint8), np.full((20, 30), 128, np.uint8)]))
    assert read_image(p16).shape == (20, 30, 3) and read_image(p16).dtype == np.uint8
    assert read_image(pa).shape == (20, 30, 3)


@given(
    st.datetimes(min_value=__import__("datetime").datetime(2000, 1, 1), max_value=__import__("datetime").datetime(2099, 12, 31)),
    st.sampled_from(["%Y%m%dT%H%M%S", "%Y-%m-%d_%H-%M-%S", "%Y%m%d_%H%M%S", "%Y-%m-%d %H:%M:%S"]),
)
def test_timestamp_from_name_round_trips(dt, fmt):
    dt = dt.replace(microsecond=0)
    assert timestamp_from_name(f"cam12_{dt.strftime(fmt)}.jpg") == dt


@pytest.mark.shared
def test_real_dev_clip_decodes_fully(shared_data):
    clip = shared_data / "dev" / "tamper_clips" / "vas_Displacement.mp4"
    with open_source(clip) as src:
        assert (src.info.width, src.info.height) == (1280, 720)
        frames = list(src.frames(every=1.0, max_width=640))
    assert [round(f.t) for f in frames] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert frames[0].image.shape == (360, 640, 3)


class _MjpegHandler(__import__("http.server").server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        try:
            for i in range(60):
                ok, buf = cv2.imencode(".jpg", numbered_frame(i))
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(buf) + buf.tobytes() + b"\r\n")
                time.sleep(0.1)  # a real 10 fps camera
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_http_mjpeg_stream_sampled_by_wall_clock():
    from http.server import ThreadingHTTPServer

    srv = ThreadingHTTPServer(("127.0.0.1", 0), _MjpegHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with open_source(f"http://127.0.0.1:{srv.server_address[1]}/video.mjpg", timeout_s=5) as src:
            assert (src.info.kind, src.info.codec, src.info.width) == ("stream", "mjpeg", 160)
            arrivals = []
            for f in src.frames(every=0.5, sample_clock="wall"):
                arrivals.append(time.monotonic())
                if len(arrivals) == 4:
                    break
    finally:
        srv.shutdown()
    gaps = np.diff(arrivals)
    assert np.all(gaps > 0.3) and np.all(gaps < 0.8)  # one frame per half second of real time
