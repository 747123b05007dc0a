"""The privacy photo corpus as the scene head's training and evaluation scripts see it (dev only).

`load_rows` reads the manifests in datasets/privacy_photos/ (photos rebuilt under ROOT by
scripts/build_dataset.py); `load_dev_rows` reads the dev scenes (one folder per category).
`frame_features` runs the shipped detector and classifier, without OCR and without the scene
head, on each photo and on CCTV-like views of it (scripts/cctv_views.py), and caches per photo
and view the `FrameCues` (with the classifier's embedding) under ROOT/privacy_features/.
"""
from __future__ import annotations

import csv
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cctv_views import cctv_view

PROJECT = Path(__file__).resolve().parents[1]
MANIFESTS = sorted((PROJECT / "datasets" / "privacy_photos").glob("manifest_*.tsv"))
DEV_LABELS = {"restroom": "toilet_urinal", "bathroom_shower": "bathroom_shower",
              "bedroom_hotel_dorm": "hotel_room", "allowed": "allowed"}
CACHE_VERSION = 2  # 2: embeddings are head.scene_features (classifier + detector)
# corpus photos are known files, some of them large camera originals: read them whatever their size
# (the scan's guard against decompression bombs is for inputs it has never seen)
os.environ.setdefault("CCTV_GUARD_MAX_IMAGE_PIXELS", str(400_000_000))


@dataclass(frozen=True)
class Row:
    path: Path
    label: str
    group: str
    sha256: str


def load_rows(root: Path, manifests=MANIFESTS) -> list[Row]:
    """Every manifest photo present under root (missing ones are reported and left out)."""
    rows, missing = [], 0
    for m in manifests:
        with open(m, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                p = root / r["local_path"]
                if p.is_file():
                    rows.append(Row(p, r["label"], r["source_group"], r["sha256"]))
                else:
                    missing += 1
    if missing:
        print(f"note: {missing} manifest photos are not under {root} (run scripts/build_dataset.py)", file=sys.stderr)
    return rows


def load_dev_rows(directory: Path) -> list[Row]:
    """The dev scenes: DIR/<category>/*.jpg, categories mapped to the corpus labels."""
    rows = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        label = DEV_LABELS.get(sub.name, sub.name)
        for p in sorted(sub.iterdir()):
            if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".bmp"):
                rows.append(Row(p, label, f"dev/{sub.name}", hashlib.sha256(p.read_bytes()).hexdigest()))
    return rows


def view_image(img: np.ndarray, sha256: str, view: int) -> np.ndarray:
    """View 0 is the photo; view k ≥ 1 a CCTV-like view drawn from a seed fixed by (photo, k)."""
    if view == 0:
        return img
    seed = int(sha256[:12], 16) * 31 + view
    return cctv_view(img, np.random.default_rng(seed))


def frame_features(rows: list[Row], views: int, root: Path, models=None, log=True) -> list[list]:
    """[row][view] → FrameCues (detector + classifier cues, embedding), cached under root."""
    from cctv_guard import detection, privacy
    from cctv_guard.media import read_image
    from cctv_guard.privacy.cues import PrivacyModels

    cache_dir = root / "privacy_features"
    cache_dir.mkdir(parents=True, exist_ok=True)
    if models is None:
        m = detection.load_models()
        models = PrivacyModels(m.ssd, m.classifier)  # no head: its cues are added per fold
    out = []
    for i, row in enumerate(rows):
        per_view = []
        cache = cache_dir / f"{row.sha256[:24]}.v{CACHE_VERSION}.pkl"
        stored = pickle.loads(cache.read_bytes()) if cache.is_file() else {}
        img = None
        for v in range(views + 1):
            if v not in stored:
                if img is None:
                    img = read_image(row.path)
                stored[v] = privacy.analyse_frame(view_image(img, row.sha256, v), models)
            per_view.append(stored[v])
        if img is not None:
            cache.write_bytes(pickle.dumps(stored))
        out.append(per_view)
        if log and (i + 1) % 50 == 0:
            print(f"  features: {i + 1}/{len(rows)}", file=sys.stderr, flush=True)
    return out
