"""Which sensor is which, in the logs: every line the pulse sensor supervisor and its driver write names the
sensor's place (drivers/sensor_layout.sensor_places) and, on a device with two sensors, "sensor A" or
"sensor B"; a one-sensor device's lines stay as they were ("0x57 on bus 1", no "sensor A")."""

from __future__ import annotations

import errno
import logging
from datetime import datetime
from typing import Any

import pytest

from device.app import Hardware, build_device, build_sensor
from device.clock import SimClock
from device.config import load_config
from device.publish import RecordingPublisher
from drivers.max30102 import I2CBus
from drivers.speaker import NullAudioOutput
from sim.world import build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)
SENSOR_LOGGERS = ("drivers.max30102", "drivers.pulse_sensor")
MUX = "of the TCA9548A at 0x70 on bus 1"


def _sensor_lines(overrides: dict[str, Any], caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.set_level(logging.INFO)
    config = load_config(overrides=overrides)
    world = build_sim_world(config, start_wall=NOON)
    glimmer = build_device(config, world.hardware, [RecordingPublisher()])
    glimmer.run(until_s=10.0)
    glimmer.close()
    return [r.getMessage() for r in caplog.records if r.name in SENSOR_LOGGERS]


@pytest.mark.parametrize(("overrides", "place_a", "place_b"), [
    ({"sensor": {"layout": "mux"}}, f"0x57 on channel 0 {MUX} (sensor A)", f"0x57 on channel 1 {MUX} (sensor B)"),
    ({"sensor": {"layout": "mux", "mux_channel_a": 5, "mux_channel_b": 2}},
     f"0x57 on channel 5 {MUX} (sensor A)", f"0x57 on channel 2 {MUX} (sensor B)"),
    ({"sensor": {"layout": "two_buses", "second_i2c_bus": 4}}, "0x57 on bus 1 (sensor A)", "0x57 on bus 4 (sensor B)"),
    # Two simulated people on the default "single" layout: the simulator puts B on a second bus, and says so.
    ({"sim": {"people": 2}}, "0x57 on bus 1 (sensor A)", "0x57 on bus 3 (sensor B)"),
])
def test_each_line_of_a_two_sensor_device_says_which_sensor_and_where(
        overrides: dict[str, Any], place_a: str, place_b: str, caplog: pytest.LogCaptureFixture) -> None:
    lines = _sensor_lines(overrides, caplog)
    a = [line for line in lines if place_a in line]
    b = [line for line in lines if place_b in line]
    assert len(a) + len(b) == len(lines), [line for line in lines if line not in a + b]  # each line names one
    for named in (a, b):  # both started, and both report their finger
        assert any(" started: " in line for line in named) and any("pulse sensor at" in line and " ok" in line
                                                                   for line in named)
        assert any("finger" in line for line in named)


def test_a_one_sensor_device_keeps_its_lines_without_sensor_names(caplog: pytest.LogCaptureFixture) -> None:
    lines = _sensor_lines({}, caplog)
    assert lines and all("0x57 on bus 1" in line for line in lines)
    assert not any("sensor A" in line or "sensor B" in line or "(" in line.split(":")[0] for line in lines)
    assert "pulse sensor at 0x57 on bus 1 ok" in lines


def _no_bus() -> I2CBus:
    raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/dev/i2c-1")


def test_two_sensors_missing_their_bus_are_two_different_lines(caplog: pytest.LogCaptureFixture) -> None:
    """A Pi with I2C not enabled (no /dev/i2c-1): the two "lost" lines say which sensor each is."""
    caplog.set_level(logging.WARNING)
    config = load_config(overrides={"sensor": {"layout": "mux"}})
    hardware = Hardware(clock=SimClock(), i2c_bus_factory=_no_bus, spi=None, audio=NullAudioOutput(48000),
                        second_i2c_bus_factory=_no_bus)
    for second in (False, True):
        assert build_sensor(config, hardware, second=second).poll().status == "lost"
    lost = [r.getMessage() for r in caplog.records if r.name == "drivers.pulse_sensor"]
    assert len(lost) == 2 and len(set(lost)) == 2
    assert f"channel 0 {MUX} (sensor A)" in lost[0] and f"channel 1 {MUX} (sensor B)" in lost[1]
    assert all("/dev/i2c-1" in line for line in lost)


def test_one_sensor_missing_its_bus_is_named_by_its_bus(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    hardware = Hardware(clock=SimClock(), i2c_bus_factory=_no_bus, spi=None, audio=NullAudioOutput(48000))
    assert build_sensor(load_config(), hardware).poll().status == "lost"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "drivers.pulse_sensor"]
    assert line.startswith("pulse sensor at 0x57 on bus 1 lost: ") and "sensor A" not in line
