"""The [sensor] keys that say where the sensors are: defaults, each bad value refused with a clear message,
and `glimmer config` showing them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from device.cli import EX_CONFIG, main
from device.config import load_config
from device.config_text import render_toml
from device.errors import ConfigError


def problems_of(**sensor: Any) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        load_config(overrides={"sensor": sensor})
    return caught.value.problems


def test_defaults_are_one_sensor_with_a_switch_at_0x70_channels_0_and_1_and_bus_3_ready() -> None:
    sensor = load_config().sensor
    assert (sensor.layout, sensor.mux_address, sensor.mux_channel_a, sensor.mux_channel_b,
            sensor.second_i2c_bus) == ("single", 0x70, 0, 1, 3)


@pytest.mark.parametrize("layout", ["single", "mux", "two_buses", "MUX"])
def test_each_layout_is_accepted(layout: str) -> None:
    assert load_config(overrides={"sensor": {"layout": layout}}).sensor.layout == layout.lower()


def test_an_unknown_layout_names_the_choices() -> None:
    assert problems_of(layout="multiplexer") == (
        "sensor.layout: expected one of single, mux, two_buses, got the text 'multiplexer'",)


@pytest.mark.parametrize("address", [0x6F, 0x78, 0x57, 0, -1])
def test_a_switch_address_outside_0x70_0x77_is_refused_in_hex(address: int) -> None:
    shown = f"0x{address:02x}" if address >= 0 else "-0x01"
    assert problems_of(layout="mux", mux_address=address) == (
        f"sensor.mux_address: expected 0x70 to 0x77, got {shown}",)


@pytest.mark.parametrize("address", range(0x70, 0x78))
def test_every_address_the_pins_can_set_is_accepted(address: int) -> None:
    assert load_config(overrides={"sensor": {"layout": "mux", "mux_address": address}}).sensor.mux_address == address


@pytest.mark.parametrize("key", ["mux_channel_a", "mux_channel_b"])
@pytest.mark.parametrize("channel", [-1, 8])
def test_a_channel_outside_0_7_is_refused(key: str, channel: int) -> None:
    assert problems_of(**{key: channel}) == (f"sensor.{key}: expected 0 to 7, got {channel}",)


@pytest.mark.parametrize("channel", range(8))
def test_two_sensors_on_one_channel_are_refused(channel: int) -> None:
    assert problems_of(layout="mux", mux_channel_a=channel, mux_channel_b=channel) == (
        f"sensor.mux_channel_b: expected a channel other than sensor.mux_channel_a ({channel}): each sensor "
        f"needs its own channel of the TCA9548A, got {channel}",)


def test_the_switch_may_not_take_the_sensors_address() -> None:
    assert problems_of(layout="mux", i2c_address=0x71, mux_address=0x71) == (
        "sensor.mux_address: expected an address other than sensor.i2c_address (0x71): the TCA9548A and the "
        "sensors share its upstream bus, got 0x71",)


@pytest.mark.parametrize("bus", [0, 1, 3, 22])
def test_a_second_bus_equal_to_the_first_is_refused(bus: int) -> None:
    assert problems_of(layout="two_buses", i2c_bus=bus, second_i2c_bus=bus) == (
        f"sensor.second_i2c_bus: expected a bus other than sensor.i2c_bus ({bus}): both sensors answer at the "
        f"same address, so each needs its own bus, got {bus}",)


def test_keys_a_layout_does_not_use_are_not_held_against_each_other() -> None:
    same = {"mux_channel_a": 2, "mux_channel_b": 2, "second_i2c_bus": 1, "i2c_bus": 1}
    assert load_config(overrides={"sensor": {"layout": "single", **same}}).sensor.layout == "single"
    assert load_config(overrides={"sensor": {"layout": "two_buses", "mux_channel_a": 2, "mux_channel_b": 2}})
    assert load_config(overrides={"sensor": {"layout": "mux", "second_i2c_bus": 1}})


def test_every_problem_is_listed_once_together() -> None:
    problems = problems_of(layout="mux", mux_address=0x80, mux_channel_a=9, mux_channel_b=9)
    assert len(problems) == 3  # address, channel a, channel b; no "equal channels" for values already wrong
    assert all(p.startswith(("sensor.mux_address", "sensor.mux_channel_a", "sensor.mux_channel_b"))
               for p in problems)


def test_wrong_types_are_named() -> None:
    assert problems_of(mux_address="0x70") == ("sensor.mux_address: expected a whole number, got the text '0x70'",)
    assert problems_of(layout=2) == ("sensor.layout: expected a string in quotes, got 2",)


def test_glimmer_config_shows_the_layout_keys_hex_staying_hex_and_loads_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sensor]\nlayout = "mux"\nmux_address = 0x73\nmux_channel_a = 6\nmux_channel_b = 2\n')
    assert main(["--config", str(path), "config"]) == 0
    text = capsys.readouterr().out
    for line in ('layout = "mux"', "mux_address = 0x73", "mux_channel_a = 6", "mux_channel_b = 2",
                 "second_i2c_bus = 3"):
        assert any(row.startswith(line + " ") for row in text.splitlines()), line
    assert tomllib.loads(text)["sensor"]["mux_address"] == 0x73
    saved = tmp_path / "saved.toml"
    saved.write_text(render_toml(load_config(path)))
    assert load_config(saved) == load_config(path)


def test_glimmer_config_refuses_equal_channels_with_exit_78(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sensor]\nlayout = "mux"\nmux_channel_b = 0\n')
    assert main(["--config", str(path), "config"]) == EX_CONFIG
    assert "sensor.mux_channel_b: expected a channel other than sensor.mux_channel_a (0)" in capsys.readouterr().err
