"""Hostile text: control sequences never reach the terminal raw; fields with them are refused."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from cctv_guard.core.errors import ConfigError
from cctv_guard.core.text import check_field, control_characters, printable


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("cam\x1b[2Jclear.mp4", "cam\\x1b[2Jclear.mp4"),
        ("\x1b]0;pwned\x07title", "\\x1b]0;pwned\\x07title"),
        ("line1\nforged: compliant", "line1\\x0aforged: compliant"),
        ("evil\u202egpj.mp4", "evil\\u202egpj.mp4"),
        ("c1\x9bcsi", "c1\\x9bcsi"),
        ("卫生间 camera 3.mp4", "卫生间 camera 3.mp4"),
    ],
)
def test_printable_shows_controls_as_escapes(raw: str, shown: str) -> None:
    assert printable(raw) == shown


@given(st.text())
def test_printable_output_has_no_control_character(text: str) -> None:
    assert control_characters(printable(text)) == []


def test_check_field_refuses_controls() -> None:
    assert check_field("Dongfanghong Sq. NE", "name") == "Dongfanghong Sq. NE"
    with pytest.raises(ConfigError, match="name: control characters"):
        check_field("x\x1b[2J", "name")
