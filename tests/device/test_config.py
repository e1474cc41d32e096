"""Config: shipped defaults are complete and valid; bad files are refused with every error listed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_type_hints

import pytest

from device.config import RENAMED_KEYS, Config, as_dict, default_raw, load_config
from device.errors import ConfigError


def test_shipped_defaults_cover_every_key_of_the_schema() -> None:
    raw = default_raw()
    for name, section_cls in get_type_hints(Config).items():
        keys = {f.name for f in dataclasses.fields(section_cls)}
        assert set(raw[name]) == keys, name


def test_defaults_need_no_file() -> None:
    config = load_config()
    assert config.sensor.sample_rate_hz == 50 and config.sensor.read_period_ms == 400
    assert config.pacer.resonance_rate_per_min == 6.0
    assert config.sensor.i2c_address == 0x57


@pytest.mark.parametrize(("rate", "expected_ms"), [(25, 800), (50, 400), (100, 200)])
def test_a_read_period_left_out_follows_the_sample_rate(tmp_path: Path, rate: int, expected_ms: int) -> None:
    """A file written for 100 samples/s before the default became 50 (or any rate) keeps a valid read
    period: 20 samples' worth, unless a file or an override gives one."""
    path = tmp_path / "config.toml"
    path.write_text(f"[sensor]\nsample_rate_hz = {rate}\n")
    assert load_config(path).sensor.read_period_ms == expected_ms
    assert load_config(path, overrides={"sensor": {"read_period_ms": 100}}).sensor.read_period_ms == 100
    path.write_text(f"[sensor]\nsample_rate_hz = {rate}\nread_period_ms = 160\n")
    assert load_config(path).sensor.read_period_ms == 160
    assert load_config(overrides={"sensor": {"sample_rate_hz": rate}}).sensor.read_period_ms == expected_ms


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[pacer]\nresonance_rate_per_min = 5.5\n[led]\ncount = 24\n")
    config = load_config(path)
    assert config.pacer.resonance_rate_per_min == 5.5
    assert config.led.count == 24
    assert config.led.kind == "spi"  # untouched default


def test_integers_are_accepted_where_numbers_are_expected(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[pacer]\nresonance_rate_per_min = 6\n")
    value = load_config(path).pacer.resonance_rate_per_min
    assert value == 6.0 and isinstance(value, float)


def test_every_error_is_listed_at_once_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        "[sensor]\nsample_rate_hz = 30\nled_current_ma = 'bright'\n"
        "[pacer]\nresonance_rate_per_min = 9.0\n"
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
    assert "sensor.led_current_ma: expected a number, got the text 'bright'" in text
    assert "pacer.resonance_rate_per_min: expected 4.5 to 7.0, got 9.0" in text
    assert "led.colour: unknown setting" in text
    assert "audio.enabled: expected true or false, got 1" in text
    assert "night.start: expected a time of day as HH:MM, 00:00 to 23:59, got the text '25:00'" in text
    assert "[mystery]: unknown section" in text


def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[led]\ncount = true\n")
    with pytest.raises(ConfigError, match=r"led\.count: expected a whole number, got true"):
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


_REGEX_MARKS = ("^", "$", "\\d", "{1,", "[A-Z", "(?")


def _schema_keys() -> list[tuple[str, str, object]]:
    return [(section, key, value) for section, values in as_dict(load_config()).items()
            for key, value in values.items()]


@pytest.mark.parametrize(("section", "key", "default"), _schema_keys())
def test_each_bad_value_is_reported_once_in_words(tmp_path: Path, section: str, key: str, default: object) -> None:
    """Every key of the schema, given a value of the wrong kind: one problem, naming that key once,
    saying in words what was expected (no regular expression), and the value as written."""
    wrong = "'x'" if not isinstance(default, str) else "[1, 2]"
    path = tmp_path / "c.toml"
    path.write_text(f"[{section}]\n{key} = {wrong}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{section}.{key}: expected ")
    assert str(caught.value).count(f"{section}.{key}") == 1
    assert not any(mark in problems[0] for mark in _REGEX_MARKS), problems[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("[device]\ndevice_id = 'my unit!'\n", "device.device_id: expected 1 to 32 letters, digits, '_' or '-'"),
    ("[night]\nend = '7am'\n", "night.end: expected a time of day as HH:MM, 00:00 to 23:59, got the text '7am'"),
])
def test_string_rules_are_said_in_words(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == (caught.value.problems[0],) and caught.value.problems[0].startswith(expected)


def test_a_value_that_breaks_its_own_rule_is_not_reported_again_by_a_rule_between_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[sensor]\nsample_rate_hz = 33\nread_period_ms = 1000\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert text.count("sensor.read_period_ms") == 1 and text.count("sensor.sample_rate_hz") == 1


def test_top_level_keys_are_reported_as_settings_outside_a_section(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("volume = 0.3\nled = 3\n[audio]\nvolume = 0.4\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("volume: a setting outside any section")
    assert problems[1] == "led: expected a [led] section of settings, got 3"


def test_a_file_that_is_not_utf8_is_a_config_error_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("[device]\ndevice_id = 'café'\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8 text \(byte 0xe9 at offset 25\)"):
        load_config(path)


@pytest.mark.parametrize(("section", "old", "new"), [(s, o, n) for (s, o), n in RENAMED_KEYS.items()])
def test_a_breath_rate_key_under_its_old_bpm_name_is_read_with_a_warning_naming_the_new(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, section: str, old: str, new: str) -> None:
    default = as_dict(load_config())[section][new]
    value = "6.5, 6.0, 5.5" if isinstance(default, str) else round(float(default) * 0.9, 3)
    path = tmp_path / "old.toml"
    path.write_text(f"[{section}]\n{old} = {value!r}\n".replace("'", '"'))
    with caplog.at_level("WARNING", logger="device.config"):
        config = load_config(path)
    assert as_dict(config)[section][new] == value
    assert f"{section}.{old} is now {section}.{new}" in caplog.text
    both = tmp_path / "both.toml"
    both.write_text(f"[{section}]\n{old} = {value!r}\n{new} = {value!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError) as caught:
        load_config(both)
    assert caught.value.problems == (f"{section}.{old}: the old name of {section}.{new}, which is given too; "
                                     f"keep {section}.{new} only",)


def test_no_config_key_calls_breaths_per_minute_bpm() -> None:
    """`_bpm` is beats per minute alone; every breath rate in the schema is `_per_min`."""
    keys = [f"{section}.{key}" for section, values in as_dict(load_config()).items() for key in values]
    assert [k for k in keys if "bpm" in k] == []
    assert {f"{s}.{n}" for (s, _), n in RENAMED_KEYS.items()} <= set(keys)


def test_a_choice_in_another_case_is_the_choice(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[device]\nlog_level = "debug"\n[led]\nkind = "SPI"\ncolor_order = "grb"\n')
    config = load_config(path)
    assert (config.device.log_level, config.led.kind, config.led.color_order) == ("DEBUG", "spi", "GRB")
    path.write_text('[device]\nlog_level = "loud"\n')
    with pytest.raises(ConfigError, match=r"device\.log_level: expected one of DEBUG, INFO, WARNING, ERROR"):
        load_config(path)
