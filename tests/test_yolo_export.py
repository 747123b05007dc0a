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
