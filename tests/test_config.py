"""YAML config loading: errors name the file, line and key path."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from pydantic import BaseModel, ConfigDict, Field

from cctv_guard.core.config import key_path, load_yaml_model
from cctv_guard.core.errors import ConfigError


class Cam(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    fps: float = Field(2.0, gt=0)


class Conf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int = 9100
    cameras: list[Cam] = []


def write(tmp_path, text):
    p = tmp_path / "edge.yaml"
    p.write_text(text)
    return p


def test_valid_config_loads(tmp_path):
    conf = load_yaml_model(write(tmp_path, "port: 9200\ncameras:\n  - id: a\n    fps: 5\n"), Conf)
    assert conf.port == 9200 and conf.cameras[0].fps == 5.0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("port: 1\ncameras:\n  - id: a\n  - id: b\n    fsp: 3\n", "edge.yaml:5: cameras[1].fsp: unknown key"),
        ("port: 1\ncameras:\n  - id: a\n    fps: -1\n", "edge.yaml:4: cameras[0].fps: Input should be greater than 0"),
        ("port: nope\n", "edge.yaml:1: port: Input should be a valid integer"),
        ("cameras:\n  - fps: 2\n", "edge.yaml:2: cameras[0].id: Field required"),
        ("port: [1\n", "edge.yaml:2: not valid YAML"),
        ("- a\n- b\n", "edge.yaml:1: expected a mapping"),
    ],
)
def test_errors_name_line_and_key_path(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_yaml_model(write(tmp_path, text), Conf)
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_yaml_model(tmp_path / "nope.yaml", Conf)
    assert load_yaml_model(write(tmp_path, ""), Conf).port == 9100


@given(st.lists(st.one_of(st.integers(0, 9), st.sampled_from(["a", "cams", "fps"])), max_size=5))
def test_key_path_formats_every_location(loc):
    text = key_path(tuple(loc))
    for part in loc:
        assert (f"[{part}]" if isinstance(part, int) else str(part)) in text


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = 1


class Fleet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window: Window
    cameras: list[Cam] = []


def test_misspelt_key_is_named_before_the_required_key_it_hides(tmp_path):
    """Issue 13 (18): `windwo:` is the mistake, not a missing `window`."""
    p = tmp_path / "fleet.yaml"
    p.write_text("windwo:\n  days: 2\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_model(p, Fleet)
    assert str(info.value).startswith("fleet.yaml:1: unknown key 'windwo' (did you mean 'window'?)")


def test_nested_misspelling_suggests_the_known_key(tmp_path):
    with pytest.raises(ConfigError, match=r"edge.yaml:3: cameras\[0\].fsp: unknown key \(did you mean 'fps'\?\)"):
        load_yaml_model(write(tmp_path, "cameras:\n  - id: a\n    fsp: 3\n"), Conf)


def test_unknown_key_without_close_match_lists_known_keys(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'zzz' \(known keys: cameras, port\)"):
        load_yaml_model(write(tmp_path, "zzz: 1\n"), Conf)


def test_deeply_nested_yaml_is_a_config_error(tmp_path):
    """Issue 13 (4): a RecursionError must not escape as an internal error."""
    with pytest.raises(ConfigError, match="nested too deeply|not valid YAML"):
        load_yaml_model(write(tmp_path, "a: " + "[" * 20000 + "]" * 20000 + "\n"), Conf)


def test_another_word_for_a_known_key_is_named(tmp_path):
    """edge.yaml with `source:` where the watcher reads `url:` (issue 13 #18)."""
    from cctv_guard.edge.watch import EdgeConfig

    p = tmp_path / "edge.yaml"
    p.write_text("cameras:\n  - id: A\n    source: rtsp://10.0.0.1/s\n    baseline: a.baseline\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_model(p, EdgeConfig)
    assert str(info.value).startswith("edge.yaml:3: cameras[0].source: unknown key (did you mean 'url'?)")
