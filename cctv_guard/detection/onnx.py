"""Finding, verifying and opening the bundled ONNX models.

Models live in the project's `models/` folder (beside the `cctv_guard` package, not inside it)
or in the folder named by the environment variable `CCTV_GUARD_MODELS`, which wins when set.
`models/manifest.json` lists every file with its sha256; a file is checked against it before
onnxruntime opens it, so a missing, truncated or replaced file gives a one-line `ModelError`
naming the file and the fix instead of an onnxruntime traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cctv_guard.core.errors import ModelError
from cctv_guard.core.memory import limit_arenas, release_free_memory

ENV_VAR = "CCTV_GUARD_MODELS"
MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "cctv-guard/models@1"
_FIX = "run `python scripts/export_models.py` (see models/README.md) or set CCTV_GUARD_MODELS"


def models_dir() -> Path:
    """The folder holding manifest.json and the model files."""
    env = os.environ.get(ENV_VAR)
    if env:
        d = Path(env).expanduser()
        if not (d / MANIFEST).is_file():
            raise ModelError(f"{ENV_VAR}={env} has no {MANIFEST}; point it at a folder like the project's models/")
        return d
    d = Path(__file__).resolve().parents[2] / "models"
    if (d / MANIFEST).is_file():
        return d
    raise ModelError(f"no models folder found (looked for {d / MANIFEST}); set {ENV_VAR} to a folder with {MANIFEST}")


@dataclass(frozen=True)
class ModelEntry:
    """One model in the manifest. `spec` holds the rest of its manifest record (input, outputs...)."""

    name: str
    file: Path
    sha256: str
    labels: Path | None
    labels_sha256: str | None
    spec: dict[str, Any] = field(default_factory=dict, compare=False)


def load_manifest(directory: Path | None = None) -> dict[str, ModelEntry]:
    """Parse manifest.json into entries keyed by model name."""
    d = directory or models_dir()
    path = d / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model manifest {path} is missing; {_FIX}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"model manifest {path} is unreadable ({exc.__class__.__name__}); {_FIX}") from None
    if not isinstance(raw, dict) or raw.get("schema") != MANIFEST_SCHEMA or not isinstance(raw.get("models"), dict):
        raise ModelError(f"model manifest {path} is not a {MANIFEST_SCHEMA} file; {_FIX}")
    entries = {}
    for name, rec in raw["models"].items():
        try:
            entries[name] = ModelEntry(
                name=name,
                file=d / rec["file"],
                sha256=rec["sha256"],
                labels=d / rec["labels"] if rec.get("labels") else None,
                labels_sha256=rec.get("labels_sha256"),
                spec=rec,
            )
        except (KeyError, TypeError):
            raise ModelError(f"model manifest {path}: entry models.{name} lacks 'file' or 'sha256'; {_FIX}") from None
    return entries


def model_entry(name: str, directory: Path | None = None) -> ModelEntry:
    entries = load_manifest(directory)
    if name not in entries:
        raise ModelError(f"model {name!r} is not in the manifest (have: {', '.join(sorted(entries)) or 'none'}); {_FIX}")
    return entries[name]


_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise ModelError unless `path` exists and hashes to `expected_sha256` (cached by size+mtime)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ModelError(f"model file {path} is missing; {_FIX}") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _lock:
        digest = _verified.get(key)
    if digest is None:
        try:
            digest = sha256_file(path)
        except OSError as exc:
            raise ModelError(f"model file {path} is unreadable ({exc.strerror}); {_FIX}") from None
        with _lock:
            _verified[key] = digest
    if digest != expected_sha256:
        raise ModelError(
            f"model file {path} is corrupt or replaced (sha256 {digest[:12]}…, manifest says "
            f"{expected_sha256[:12]}…); restore it with `git checkout -- models/` or {_FIX}"
        )


def read_labels(entry: ModelEntry) -> list[str]:
    """The labels file of a model, one label per line, verified against the manifest."""
    if entry.labels is None:
        raise ModelError(f"model {entry.name!r} has no labels file in the manifest; {_FIX}")
    if entry.labels_sha256:
        verify_file(entry.labels, entry.labels_sha256)
    try:
        return entry.labels.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ModelError(f"labels file {entry.labels} is missing; {_FIX}") from None


def open_session(path: Path, threads: int | None = None, expected_sha256: str | None = None):
    """An onnxruntime InferenceSession on CPU for `path`, after the sha256 check when given.

    `threads` sets intra-op threads (None: onnxruntime's default, all cores).
    """
    import onnxruntime as ort

    limit_arenas()  # before onnxruntime starts its threads
    if expected_sha256 is not None:
        verify_file(path, expected_sha256)
    elif not path.is_file():
        raise ModelError(f"model file {path} is missing")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.enable_cpu_mem_arena = False  # the arena keeps its peak for ever; these models need little
    if threads:
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
    # idle worker threads sleep instead of spinning: on a shared 2-core box spinning only burns
    # the CPU that the other thread (or another camera's job) needs
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        raise ModelError(f"model file {path} could not be loaded by onnxruntime: {first_line(exc)}") from None
    _warm_up(session, path)
    release_free_memory()  # loading and the first run copy every weight a few times (graph
    return session         # optimisation, weight pre-packing); without this ~170 MB stays in RSS


_DTYPES = {"tensor(uint8)": np.uint8, "tensor(float)": np.float32, "tensor(float16)": np.float16}


def _warm_up(session, path: Path) -> None:
    """One inference on zeros when every input has a fixed shape, so that onnxruntime's first-run
    work (pre-packed weights) happens at load time and a model that cannot run fails here."""
    feeds = {}
    for inp in session.get_inputs():
        if inp.type not in _DTYPES or not all(isinstance(d, int) and d > 0 for d in inp.shape):
            return
        feeds[inp.name] = np.zeros(inp.shape, dtype=_DTYPES[inp.type])
    try:
        session.run(None, feeds)
    except Exception as exc:
        raise ModelError(f"model file {path} loads but cannot run: {first_line(exc)}") from None


def session_for(name: str, threads: int | None = None, directory: Path | None = None):
    """(session, manifest entry) for a model named in the manifest, integrity-checked."""
    entry = model_entry(name, directory)
    return open_session(entry.file, threads, entry.sha256), entry


def run(session, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """session.run with onnxruntime's failures turned into a one-line ModelError."""
    try:
        return session.run(None, feeds)
    except Exception as exc:
        raise ModelError(f"model inference failed: {first_line(exc)}") from None


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (or its type name), for one-line errors."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else exc.__class__.__name__)[:limit]
