"""The learned scene head: a small classifier over the pooled features of both shipped models
(the `embedding` outputs of EfficientNet-Lite3 and of the SSD detector's MobileNet-v2 backbone,
joined by `scene_features`) that names the kind of place a view shows.

The weights are plain numpy arrays in `models/scene_head.npz`, sha256-checked against
`models/manifest.json` like the ONNX models, and trained by `scripts/train_scene_head.py`.
Arrays: `categories` (class names, "allowed" among them), `mean` and `scale` (feature
standardisation), then `w0`, `b0`, `w1`, `b1`, … (dense layers, ReLU between them, softmax at the
end). Running it needs numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping

import numpy as np

from cctv_guard.core.errors import ModelError
from cctv_guard.privacy.categories import ALLOWED, CATEGORIES

NAME = "scene_head"
_FIX = "restore models/ from git or retrain with `python scripts/train_scene_head.py` (see models/README.md)"


@dataclass(frozen=True, eq=False)
class SceneHead:
    """Softmax classifier: standardise, dense layers with ReLU between them, softmax."""

    categories: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]

    @property
    def width(self) -> int:
        return int(self.mean.shape[0])

    def probabilities(self, embedding: np.ndarray) -> np.ndarray:
        """Class probabilities (in `categories` order) for one (d,) embedding or a (n, d) batch."""
        x = np.asarray(embedding, dtype=np.float32)
        single = x.ndim == 1
        x = x.reshape(-1, self.width)
        h = (x - self.mean) / self.scale
        for k, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        h = h - h.max(axis=1, keepdims=True)
        p = np.exp(h)
        p /= p.sum(axis=1, keepdims=True)
        return p[0] if single else p

    def fits(self, features: np.ndarray | None) -> bool:
        """Whether `features` (from `scene_features`) are what this head reads."""
        return features is not None and features.shape[-1] == self.width

    def prohibited(self, embedding: np.ndarray) -> dict[str, float]:
        """Probability of each prohibited category for one embedding."""
        p = self.probabilities(embedding)
        return {c: float(p[i]) for i, c in enumerate(self.categories) if c != ALLOWED}

    def place(self, embedding: np.ndarray) -> tuple[str, float]:
        """(the most likely prohibited category, the probability that the view shows any
        prohibited place): a view between two prohibited kinds (a hostel room: hotel or dorm?)
        is still sure to be prohibited, though neither kind alone is."""
        p = self.prohibited(embedding)
        return max(p, key=p.get), float(sum(p.values()))


def scene_features(classifier_embedding: np.ndarray | None, detector_embedding: np.ndarray | None) -> np.ndarray | None:
    """The head's input for one view: the classifier's and the detector's pooled features side by
    side (ImageNet objects and textures; COCO objects in their surroundings). None when either
    model gave none (an export without the `embedding` output)."""
    if classifier_embedding is None or detector_embedding is None:
        return None
    return np.concatenate([classifier_embedding.reshape(-1), detector_embedding.reshape(-1)]).astype(np.float32)


def head_from_arrays(arrays: Mapping[str, np.ndarray], origin: str = "scene head") -> SceneHead:
    """Build a SceneHead from its saved arrays; ModelError (one line) when they do not fit."""
    try:
        cats = tuple(str(c) for c in np.asarray(arrays["categories"]).reshape(-1))
        mean = np.asarray(arrays["mean"], dtype=np.float32).reshape(-1)
        scale = np.asarray(arrays["scale"], dtype=np.float32).reshape(-1)
        layers = []
        k = 0
        while f"w{k}" in arrays:
            layers.append((np.asarray(arrays[f"w{k}"], dtype=np.float32), np.asarray(arrays[f"b{k}"], dtype=np.float32)))
            k += 1
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelError(f"{origin} lacks or mangles array {exc}; {_FIX}") from None
    width = mean.shape[0]
    ok = bool(layers) and scale.shape == mean.shape and ALLOWED in cats and len(set(cats)) == len(cats)
    ok = ok and all(c in CATEGORIES or c == ALLOWED for c in cats) and bool(np.all(scale > 0))
    for w, b in layers:
        ok = ok and w.ndim == 2 and w.shape[0] == width and b.shape == (w.shape[1],)
        width = w.shape[1] if w.ndim == 2 else -1
    ok = ok and width == len(cats)
    ok = ok and all(np.isfinite(a).all() for a in (mean, scale, *[x for wb in layers for x in wb]))
    if not ok:
        raise ModelError(f"{origin} has inconsistent shapes, unknown categories or non-finite weights; {_FIX}")
    return SceneHead(cats, mean, scale, tuple(layers))


def read_head(path: Path) -> SceneHead:
    """Load a head from an .npz file (no integrity check; `load_head` does that)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise ModelError(f"scene head {path} is missing; {_FIX}") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ModelError(f"scene head {path} is unreadable ({exc.__class__.__name__}); {_FIX}") from None
    return head_from_arrays(arrays, f"scene head {path}")


def save_head(path: Path, head: SceneHead) -> None:
    """Write a head as .npz (the training script's output)."""
    arrays = {"categories": np.array(head.categories), "mean": head.mean, "scale": head.scale}
    for k, (w, b) in enumerate(head.layers):
        arrays[f"w{k}"], arrays[f"b{k}"] = w.astype(np.float32), b.astype(np.float32)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load_head(directory: Path | None = None) -> SceneHead:
    """The shipped head from the models folder, verified against manifest.json (ModelError)."""
    from cctv_guard.detection.onnx import model_entry, verify_file

    entry = model_entry(NAME, directory)
    verify_file(entry.file, entry.sha256)
    return read_head(entry.file)
