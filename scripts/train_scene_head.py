#!/usr/bin/env python3
"""Train the privacy scan's scene head and write models/scene_head.npz + its manifest record.

    python scripts/build_dataset.py datasets/privacy_photos/manifest_a.tsv --root /work/data   # (and _b, _allowed)
    pip install scikit-learn                     # dev only; the scan runs the head with numpy
    python scripts/train_scene_head.py --root /work/data            # ~5 min the first time (features cached)

Inputs: every photo of datasets/privacy_photos/manifest_*.tsv and `--views` CCTV-like views of
each (high-angle crop, wide lens, low resolution, greyscale IR, noise: scripts/cctv_views.py),
embedded by both shipped models (the `embedding` outputs of EfficientNet-Lite3 and of the SSD
detector's backbone, side by side: privacy.head.scene_features). Model: multinomial logistic
regression on standardised features, classes weighted to balance, L2 strength `--c`. The
dev scenes are never used. Deterministic for the same files and library versions.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_corpus import PROJECT, frame_features, load_rows

from cctv_guard.privacy.head import SceneHead, read_head, save_head

DEFAULT_C = 0.003
DEFAULT_VIEWS = 3


def fit_head(x: np.ndarray, labels: list[str], c: float = DEFAULT_C, weights: np.ndarray | None = None) -> SceneHead:
    """Multinomial logistic regression on standardised embeddings → SceneHead (numpy arrays)."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-3
    z = (x - mean) / scale
    classes = sorted(set(labels))
    y = np.array([classes.index(lab) for lab in labels])
    counts = np.bincount(y, minlength=len(classes)).astype(np.float64)
    # balanced classes; 1/sqrt(count) weights were tried and lost recall at the same false-positive
    # rate in the grouped cross-validation (docs/privacy.md)
    w = len(y) / (len(classes) * counts[y])
    if weights is not None:
        w = w * weights
    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-5)
    clf.fit(z, y, sample_weight=w)
    coef, bias = clf.coef_, clf.intercept_
    if len(classes) == 2:  # sklearn's binary form: one column; write it as two-class softmax
        coef, bias = np.vstack([-coef / 2, coef / 2]), np.array([-bias[0] / 2, bias[0] / 2])
    return SceneHead(tuple(classes), mean.astype(np.float32), scale.astype(np.float32),
                     ((coef.T.astype(np.float32), bias.astype(np.float32)),))


def training_set(rows, feats, views: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(embeddings, labels, groups index) over the photos and their first `views` CCTV views."""
    x, y, g = [], [], []
    for i, (row, per_view) in enumerate(zip(rows, feats)):
        for v in range(views + 1):
            x.append(per_view[v].embedding)
            y.append(row.label)
            g.append(i)
    return np.asarray(x, dtype=np.float32), y, np.asarray(g)


def write_record(models: Path, path: Path, head: SceneHead, rows, views: int, c: float) -> None:
    man_path = models / "manifest.json"
    manifest = json.loads(man_path.read_text(encoding="utf-8"))
    import sklearn

    counts = {cat: sum(1 for r in rows if r.label == cat) for cat in head.categories}
    manifest["models"]["scene_head"] = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
        "origin": "scripts/train_scene_head.py on datasets/privacy_photos/manifest_*.tsv",
        "input": {"from": "efficientnet_lite3 output 'embedding' then ssd_mobilenet_v2_coco output 'embedding' (privacy.head.scene_features)", "width": head.width},
        "output_kind": "softmax probabilities over 'categories'",
        "categories": list(head.categories),
        "training": {"photos": counts, "sources": len({r.group for r in rows}), "cctv_views_per_photo": views,
                     "model": f"multinomial logistic regression, balanced classes, C={c}",
                     "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "licence": "trained weights: same terms as the project; training photos: see datasets/README.md",
    }
    tmp = man_path.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, man_path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path("/work/data"), help="data root holding privacy_photos/")
    ap.add_argument("--views", type=int, default=DEFAULT_VIEWS, help="CCTV-like views per photo (default 3)")
    ap.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength (default %(default)s)")
    ap.add_argument("--out", type=Path, default=PROJECT / "models" / "scene_head.npz")
    args = ap.parse_args(argv)
    rows = load_rows(args.root)
    if not rows:
        print(f"error: no corpus photos under {args.root}; run scripts/build_dataset.py first", file=sys.stderr)
        return 2
    feats = frame_features(rows, args.views, args.root)
    x, y, _ = training_set(rows, feats, args.views)
    head = fit_head(x, y, args.c)
    save_head(args.out, head)
    read_head(args.out)  # loads back
    write_record(args.out.parent, args.out, head, rows, args.views, args.c)
    print(f"{args.out}: {len(rows)} photos × {args.views + 1} views, classes {', '.join(head.categories)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
