"""Tables line up by terminal columns, whatever script a name is written in."""

from __future__ import annotations

import unicodedata

import pytest

from device.cli_home import fit


def columns(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


@pytest.mark.parametrize("name", ["Ana", "José", "Jose\u0301", "王小明", "さくら", "Ｆｕｌｌ", "🙂x"])
def test_short_names_pad_to_the_same_column(name: str) -> None:
    assert columns(fit(name, 10)) == 10
    assert fit(name, 10).rstrip() == name


def test_a_wide_name_is_cut_on_a_character_not_inside_it() -> None:
    cut = fit("王小明王小明", 5)
    assert cut == "王小 " and columns(cut) == 5


def test_without_cut_a_long_name_is_kept_whole() -> None:
    assert fit("Bartholomew-Alexander", 16, cut=False) == "Bartholomew-Alexander"
