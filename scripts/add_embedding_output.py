#!/usr/bin/env python3
"""Expose the shipped models' pooled features as an extra ONNX output, `embedding` [1, 1280].

- The classifier (models/efficientnet_lite3.onnx) ends in global average pooling, a squeeze, a
  dense layer and a softmax: an Identity node on the squeezed pooled features (after the TFLite
  graph's ReLU6 clip, i.e. exactly what the dense layer sees).
- The detector (models/ssd_mobilenet_v2_coco.onnx): its MobileNet-v2 backbone's last layer
  (`FeatureExtractor/MobilenetV2/Conv_1`, 1280 channels on a 10x10 grid, after ReLU6), which the
  SSD box predictors read, globally average-pooled and flattened.

The output is declared after the existing ones, so code reading those is unchanged, and the
weights are not touched. Then models/manifest.json gets the new sha256, size and outputs. The
scene head reads both embeddings (scripts/train_scene_head.py).

    pip install onnx            # dev only; the runtime needs onnxruntime alone
    python scripts/add_embedding_output.py                     # both models in models/, in place
    python scripts/add_embedding_output.py --model PATH --no-manifest

Running it on a file that already has the output is a no-op.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

NAMES = ("efficientnet_lite3", "ssd_mobilenet_v2_coco")
OUTPUT = "embedding"
# the detector backbone's last layer (NCHW after tf2onnx), read by the SSD box predictors
BACKBONE = "FeatureExtractor/MobilenetV2/Conv_1/Relu6:0"
# the pooled features the dense layer reads: AvgPool -> ReLU6 -> Squeeze -> ReLU6 -> MatMul
POOLED_SUFFIX = "head/Squeeze1_prequant_relu_TFL_RELU6__6:0"


def pooled_tensor(graph) -> tuple[str, int]:
    """(name, width) of the tensor feeding the final dense layer (the pooled, squeezed features)."""
    weights = {init.name: list(init.dims) for init in graph.initializer}
    for node in graph.node:  # fp16-stored weights reach the MatMul through a Cast
        if node.op_type == "Cast" and node.input[0] in weights:
            weights[node.output[0]] = weights[node.input[0]]
    for node in graph.node:
        if node.op_type == "MatMul" and "head/dense" in node.name and node.input[0].endswith(POOLED_SUFFIX):
            dims = weights.get(node.input[1])
            if dims and len(dims) == 2:
                return node.input[0], int(dims[0])
    raise SystemExit("error: no pooled-feature tensor found (is this the EfficientNet-Lite3 export?)")


def _add_nodes(graph, helper, TensorProto) -> None:
    """The nodes producing OUTPUT: pooled classifier features, or the pooled detector backbone."""
    produced = {o for node in graph.node for o in node.output}
    if BACKBONE in produced:
        graph.node.append(helper.make_node("GlobalAveragePool", [BACKBONE], ["embedding_pooled"], name="embedding_pool"))
        graph.node.append(helper.make_node("Flatten", ["embedding_pooled"], [OUTPUT], name="embedding_flatten", axis=1))
        width = 1280
    else:
        feats, width = pooled_tensor(graph)
        graph.node.append(helper.make_node("Identity", [feats], [OUTPUT], name="embedding_identity"))
    graph.output.append(helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [1, width]))


def add_embedding_output(src: Path, dst: Path) -> bool:
    """Write `src` with the extra output to `dst`; False when `src` already has it (copied as is)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(src))
    graph = model.graph
    if any(o.name == OUTPUT for o in graph.output):
        if src != dst:
            dst.write_bytes(src.read_bytes())
        return False
    _add_nodes(graph, helper, TensorProto)
    onnx.checker.check_model(model)
    tmp = dst.with_name(dst.name + ".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, dst)
    return True


def describe(path: Path) -> dict:
    import onnxruntime as ort

    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    io = lambda xs: [{"name": x.name, "type": x.type, "shape": [d if isinstance(d, int) else None for d in x.shape]}
                     for x in xs]
    return {"inputs": io(s.get_inputs()), "outputs": io(s.get_outputs())}


EMBEDDING_NOTE = {
    "efficientnet_lite3": f"output '{OUTPUT}' float32 [1, 1280]: globally average-pooled head features "
                          "after ReLU6 (the dense layer's input), added by scripts/add_embedding_output.py",
    "ssd_mobilenet_v2_coco": f"output '{OUTPUT}' float32 [1, 1280]: the MobileNet-v2 backbone's last layer "
                             "(FeatureExtractor/MobilenetV2/Conv_1, after ReLU6) globally average-pooled, "
                             "added by scripts/add_embedding_output.py",
}


def update_manifest(models: Path, path: Path) -> None:
    man_path = models / "manifest.json"
    manifest = json.loads(man_path.read_text(encoding="utf-8"))
    name = next(n for n, r in manifest["models"].items() if r.get("file") == path.name)
    rec = manifest["models"][name]
    rec["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    rec["bytes"] = path.stat().st_size
    rec["embedding"] = EMBEDDING_NOTE[name]
    rec.update(describe(path))
    tmp = man_path.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, man_path)


def main(argv=None) -> int:
    models = Path(__file__).resolve().parents[1] / "models"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, action="append",
                    help="a model to change (repeatable; default: both shipped models)")
    ap.add_argument("--no-manifest", action="store_true", help="do not update manifest.json beside the model")
    args = ap.parse_args(argv)
    paths = args.model or [models / f"{n}.onnx" for n in NAMES]
    for path in paths:
        if not path.is_file():
            print(f"error: {path} not found", file=sys.stderr)
            return 2
    for path in paths:
        changed = add_embedding_output(path, path)
        if not args.no_manifest:
            update_manifest(path.parent, path)
        print(f"{path}: {'added' if changed else 'already has'} output '{OUTPUT}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
