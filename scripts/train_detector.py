#!/usr/bin/env python
"""Train an agency's own YOLO detector and export it to ONNX for the privacy scan.

Needs the optional `train` extra (ultralytics + torch, CPU is fine for small sets):

    pip install -e '.[train]'
    python scripts/train_detector.py data.yaml --out models/agency.onnx \\
        --map urinal=restroom --map ballot_box=ballot --map pin_pad=atm_pinpad

`data.yaml` is an ordinary ultralytics (YOLO-format) dataset file: `path`, `train`, `val` and
`names`. `--model` picks the architecture: a config such as `yolov8n.yaml` / `yolo11n.yaml`
builds it from scratch without downloading anything; a local `.pt` file fine-tunes it. (Passing a
bare name such as `yolo11n.pt` that is not a local file makes ultralytics download weights.)

The export keeps the class names in the ONNX metadata, which is where cctv-guard reads them.
At the end the script verifies the file with cctv-guard's own `YoloDetector` and prints the
`detectors:` entry to paste into a privacy config (class names → Art. 9 zones).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _zones() -> dict[str, str]:
    try:
        from cctv_guard.privacy import ZONES
    except ImportError:
        sys.path.insert(0, str(REPO))
        from cctv_guard.privacy import ZONES
    return ZONES


def parse_map(items: list[str], zones: dict[str, str]) -> dict[str, str]:
    """`class=zone` pairs; the zone must be one cctv-guard knows."""
    out = {}
    for item in items:
        name, sep, zone = item.partition("=")
        if not sep or not name or not zone:
            raise SystemExit(f"error: --map expects CLASS=ZONE, got {item!r}")
        if zone not in zones:
            raise SystemExit(f"error: --map {item}: unknown zone {zone!r}; expected one of {', '.join(zones)}")
        out[name] = zone
    return out


def config_snippet(out: Path, sha256: str, names: list[str], mapping: dict[str, str], min_score: float) -> str:
    """The privacy-config entry for this model; unmapped classes are left commented out."""
    lines = ["detectors:", f"  - path: {out}", f"    sha256: {sha256}", f"    min_score: {min_score}", "    classes:"]
    for name in names:
        if name in mapping:
            lines.append(f"      {name}: {mapping[name]}")
        else:
            lines.append(f"      # {name}: <zone>      (not mapped: ignored by the privacy scan)")
    return "\n".join(lines)


def export_onnx(weights: Path | str, out: Path, imgsz: int) -> Path:
    """Export an ultralytics model to ONNX at `out` (written to a temp file, then moved)."""
    from ultralytics import YOLO

    model = YOLO(str(weights))
    produced = Path(model.export(format="onnx", imgsz=imgsz, opset=13, simplify=False, dynamic=False, device="cpu"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.copyfile(produced, tmp)
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="YOLO-format dataset yaml (path/train/val/names)")
    ap.add_argument("--out", type=Path, required=True, help="where to write the ONNX model")
    ap.add_argument("--model", default="yolov8n.yaml", help="architecture yaml (from scratch) or a local .pt to fine-tune")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--map", action="append", default=[], metavar="CLASS=ZONE", help="map a class to an Art. 9 zone (repeatable)")
    ap.add_argument("--min-score", type=float, default=0.4, help="min_score written into the config entry")
    ap.add_argument("--workdir", type=Path, default=None, help="where ultralytics keeps runs (default: a temp folder)")
    args = ap.parse_args(argv)

    zones = _zones()
    mapping = parse_map(args.map, zones)
    if not args.data.is_file():
        raise SystemExit(f"error: dataset yaml not found: {args.data}")
    if args.model.endswith(".pt") and not Path(args.model).is_file():
        raise SystemExit(f"error: --model {args.model} is not a local file (it would be downloaded); "
                         "use an architecture yaml such as yolov8n.yaml or a local .pt")
    # Keep ultralytics off the network: no hub/update checks, no pip auto-installs, and no font
    # download (it fetches Arial.ttf for plots while checking the dataset, even with plots off).
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    try:
        from ultralytics import YOLO
        import ultralytics.data.utils as yolo_data
    except ImportError:
        raise SystemExit("error: training needs the optional `train` extra (ultralytics + torch): pip install -e '.[train]'") from None
    if hasattr(yolo_data, "check_font"):
        yolo_data.check_font = lambda *args, **kwargs: None

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        model = YOLO(args.model)
        model.train(data=str(args.data.resolve()), epochs=args.epochs, imgsz=args.imgsz, batch=args.batch,
                    device="cpu", project=str(workdir), name="train", exist_ok=True, plots=False, verbose=False)
        best = Path(model.trainer.best)
        export_onnx(best if best.is_file() else Path(model.trainer.last), args.out, args.imgsz)

    sys.path.insert(0, str(REPO))
    from cctv_guard.detection import YoloDetector
    from cctv_guard.detection.onnx import sha256_file

    det = YoloDetector.load(args.out)
    unknown = sorted(set(mapping) - set(det.labels))
    if unknown:
        print(f"warning: --map names classes the model does not have: {', '.join(unknown)}", file=sys.stderr)
    digest = sha256_file(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), classes: {', '.join(det.labels)}")
    print("Add this to your privacy config (e.g. privacy.yaml; paths relative to that file):\n")
    print(config_snippet(args.out, digest, det.labels, mapping, args.min_score))
    return 0


if __name__ == "__main__":
    sys.exit(main())
