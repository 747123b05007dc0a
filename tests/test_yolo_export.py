"""The custom-detector path end to end: build a tiny YOLO from an architecture yaml (no
pretrained weights, no network), export it with ultralytics to ONNX, load it with YoloDetector.
Skipped where the optional `train` extra (ultralytics + torch + onnx) is not installed."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO

NAMES = {0: "urinal", 1: "ballot_box", 2: "pin_pad"}


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Fail any attempt to reach the network, and keep ultralytics offline and local."""
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.setenv("YOLO_AUTOINSTALL", "False")
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "ultralytics-config"))
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.slow
def test_tiny_yolo_exports_and_loads(tmp_path, no_network, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    ultralytics = pytest.importorskip("ultralytics")
    from ultralytics.nn.tasks import DetectionModel

    from cctv_guard.detection import Detections, YoloDetector

    monkeypatch.chdir(tmp_path)  # ultralytics writes next to the weights / in cwd
    # A yolov8n architecture with our three classes, random weights, built from the yaml alone.
    net = DetectionModel("yolov8n.yaml", nc=len(NAMES), verbose=False)
    net.names = dict(NAMES)
    weights = tmp_path / "tiny.pt"
    import torch

    torch.save({"model": net.half(), "train_args": {"imgsz": 160}, "date": None, "version": ultralytics.__version__}, weights)

    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from train_detector import config_snippet, export_onnx
    finally:
        sys.path.pop(0)
    out = export_onnx(weights, tmp_path / "agency.onnx", imgsz=160)
    assert no_network == []

    det = YoloDetector.load(out)
    assert det.names == NAMES and det.input_size == (160, 160)
    assert det._session.get_outputs()[0].shape == [1, 4 + len(NAMES), (160 // 8) ** 2 + (160 // 16) ** 2 + (160 // 32) ** 2]

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (120, 200, 3), dtype=np.uint8)
    d = det.detect(image, min_score=0.0)
    assert isinstance(d, Detections) and d.model == "agency"
    assert set(d.labels) <= set(NAMES.values())
    assert (d.xyxy[:, [0, 2]] <= 200).all() and (d.xyxy[:, [1, 3]] <= 120).all()

    snippet = config_snippet(out, "ab" * 32, det.labels, {"urinal": "restroom", "pin_pad": "atm_pinpad"}, 0.4)
    import yaml

    from cctv_guard.privacy import parse_config

    cfg = parse_config(yaml.safe_load(snippet))
    assert cfg.detectors[0].classes == {"urinal": "restroom", "pin_pad": "atm_pinpad"}


def _tiny_dataset(root: Path) -> Path:
    """A YOLO-format dataset: grey noise with one bright square (class 0) or disc (class 1)."""
    import cv2

    rng = np.random.default_rng(1)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(6):
            img = rng.integers(60, 120, (64, 64, 3), dtype=np.uint8)
            cls, cx, cy, r = i % 2, int(rng.integers(16, 48)), int(rng.integers(16, 48)), 10
            if cls == 0:
                cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), (255, 255, 255), -1)
            else:
                cv2.circle(img, (cx, cy), r, (0, 0, 255), -1)
            cv2.imwrite(str(root / "images" / split / f"{i}.png"), img)
            (root / "labels" / split / f"{i}.txt").write_text(f"{cls} {cx / 64} {cy / 64} {2 * r / 64} {2 * r / 64}\n")
    data = root / "data.yaml"
    data.write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n  0: urinal\n  1: ballot_box\n")
    return data


@pytest.mark.slow
def test_train_detector_script_trains_exports_and_prints_config(tmp_path, no_network, monkeypatch, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    pytest.importorskip("ultralytics")
    try:  # training validates with torchvision's NMS; PyPI's torchvision does not load beside torch 2.13.0+cpu
        import torchvision.ops  # noqa: F401
    except (ImportError, RuntimeError) as exc:
        pytest.skip(f"torchvision unusable here ({str(exc).splitlines()[0]}); training cannot run")
    from cctv_guard.detection import YoloDetector

    monkeypatch.chdir(tmp_path)
    data = _tiny_dataset(tmp_path / "ds")
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import train_detector
    finally:
        sys.path.pop(0)
    out = tmp_path / "models" / "agency.onnx"
    rc = train_detector.main([str(data), "--out", str(out), "--epochs", "1", "--imgsz", "64", "--batch", "4",
                              "--map", "urinal=restroom", "--workdir", str(tmp_path / "runs")])
    assert rc == 0 and no_network == []
    det = YoloDetector.load(out)
    assert det.labels == ["urinal", "ballot_box"] and det.input_size == (64, 64)
    printed = capsys.readouterr().out
    assert "urinal: restroom" in printed and "# ballot_box: <zone>" in printed and f"path: {out}" in printed
    with pytest.raises(SystemExit, match="unknown zone 'toilets'"):
        train_detector.main([str(data), "--out", str(out), "--map", "urinal=toilets"])
