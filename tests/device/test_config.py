"""Config: shipped defaults are complete and valid; bad files are refused with every error listed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_type_hints

import pytest

from device.config import Config, as_dict, default_raw, load_config
from device.errors import ConfigError


def test_shipped_defaults_cover_every_key_of_the_schema() -> None:
    raw = default_raw()
    for name, section_cls in get_type_hints(Config).items():
        keys = {f.name for f in dataclasses.fields(section_cls)}
        assert set(raw[name]) == keys, name


def test_defaults_need_no_file() -> None:
    config = load_config()
    assert config.sensor.sample_rate_hz == 100
    assert config.pacer.resonance_rate_bpm == 6.0
    assert config.sensor.i2c_address == 0x57


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[pacer]\nresonance_rate_bpm = 5.5\n[led]\ncount = 24\n")
    config = load_config(path)
    assert config.pacer.resonance_rate_bpm == 5.5
    assert config.led.count == 24
    assert config.led.kind == "spi"  # untouched default


def test_integers_are_accepted_where_numbers_are_expected(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[pacer]\nresonance_rate_bpm = 6\n")
    value = load_config(path).pacer.resonance_rate_bpm
    assert value == 6.0 and isinstance(value, float)


def test_every_error_is_listed_at_once_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        "[sensor]\nsample_rate_hz = 30\nled_current_ma = 'bright'\n"
        "[pacer]\nresonance_rate_bpm = 9.0\n"
        "[led]\ncolour = 'red'\n"
        "[audio]\nenabled = 1\n"
        "[night]\nstart = '25:00'\n"
        "[mystery]\nx = 1\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    assert len(problems) == 7
    text = "\n".join(problems)
    assert "sensor.sample_rate_hz: expected one of 25, 50, 100, got 30" in text
    assert "sensor.led_current_ma: expected a number, got str 'bright'" in text
    assert "pacer.resonance_rate_bpm: expected 4.5 to 7.0, got 9.0" in text
    assert "led.colour: unknown key" in text
    assert "audio.enabled: expected true or false, got int 1" in text
    assert "night.start: expected a value matching" in text
    assert "[mystery]: unknown section" in text


def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[led]\ncount = true\n")
    with pytest.raises(ConfigError, match=r"led\.count: expected an integer, got bool True"):
        load_config(path)


def test_fifo_overflow_rule_between_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[sensor]\nsample_rate_hz = 100\nread_period_ms = 250\n")
    with pytest.raises(ConfigError, match=r"sensor\.read_period_ms: expected at most 240 ms"):
        load_config(path)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[sensor\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_replace_validates_like_a_file() -> None:
    config = load_config()
    assert config.replace("sim", seed=7).sim.seed == 7
    with pytest.raises(ConfigError, match=r"sim\.seed"):
        config.replace("sim", seed=-1)
    assert as_dict(config)["sim"]["seed"] == config.sim.seed
