"""Config files: YAML validated by pydantic models, with errors that name the key path and line.

`load_yaml_model(path, Model)` is the one way to read a config file (edge.yaml, fleet.yaml,
privacy config...). Models should set `model_config = ConfigDict(extra="forbid")` so unknown
keys are errors; the message then reads e.g.
`edge.yaml:12: cameras[1].fps: Input should be greater than 0`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cctv_guard.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


# A key that is not a misspelling but another word for a known key.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "source": ("url", "uri", "source_uri"), "stream": ("url", "source"), "uri": ("url", "source"),
    "rtsp": ("url", "source"), "address": ("url", "host"), "server": ("host", "url"), "path": ("baseline", "dir"),
    "camera": ("cameras", "id"), "name": ("id",), "days": ("window",), "date": ("window",),
}


class StrictModel(BaseModel):
    """The one base for config and file-format models: unknown keys are errors and values are
    frozen. Subclasses may add settings (``model_config = ConfigDict(strict=True, ...)`` merges)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _compose(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"{name}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    return data, node


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the key or item at `loc` inside a composed YAML node tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def key_path(loc: tuple) -> str:
    """('cameras', 1, 'fps') -> 'cameras[1].fps'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that holds the key at `loc` (the model of loc[:-1]), when there is one."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = _inner_model(current.model_fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside Optional[...], list[...], dict[str, ...] annotations (or the annotation)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _unknown_key_message(model: type[BaseModel], loc: tuple) -> str:
    key = str(loc[-1]) if loc else ""
    owner = _model_at(model, loc)
    known = [name for name in owner.model_fields] if owner is not None else []
    known += [f.alias for f in owner.model_fields.values() if f.alias] if owner is not None else []
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:  # words people use for the same thing: a camera's `source:` is its `url:`
        close = [k for k in SYNONYMS.get(key.lower(), ()) if k in known][:1]
    hint = f" (did you mean {close[0]!r}?)" if close else (f" (known keys: {', '.join(sorted(set(known)))})" if known else "")
    return f"unknown key {key!r}{hint}"


def validate(data: Any, model: type[M], *, name: str = "config", node: yaml.Node | None = None) -> M:
    """Validate already-parsed data; the first error becomes a one-line ConfigError. A misspelt
    key is reported before the required key it hides, with the closest known key."""
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply") from None
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        line = _line_of(node, loc) if node is not None else None
        where = f"{name}:{line}" if line else name
        if first["type"] == "extra_forbidden":
            return_msg = _unknown_key_message(model, loc)
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            if len(loc) > 1:  # nested: the key path already names the key
                return_msg = return_msg.replace(f"unknown key {str(loc[-1])!r}", "unknown key", 1)
                raise ConfigError(f"{where}: {key_path(loc)}: {return_msg}{more}") from None
            raise ConfigError(f"{where}: {return_msg}{more}") from None
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{where}: {key_path(loc)}: {first['msg']}{more}") from None


def load_yaml_model(path: str | os.PathLike, model: type[M]) -> M:
    """Read and validate a YAML config file, or raise ConfigError naming file, line and key."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from None
    data, node = _compose(text, p.name)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{p.name}:1: expected a mapping of settings at the top level, found {type(data).__name__}")
    return validate(data, model, name=p.name, node=node)
