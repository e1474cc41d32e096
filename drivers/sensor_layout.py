"""Where the pulse sensors sit on I2C: the bus factories of sensor A and sensor B for a `[sensor]` config.

Both MAX30102s answer at the same fixed address, so two sensors need either a TCA9548A switch
(`layout = "mux"`: one bus, each sensor on its own channel, drivers/i2c_mux.py) or two I2C buses
(`layout = "two_buses"`: sensor A on `i2c_bus`, sensor B on `second_i2c_bus`). `layout = "single"`
is the one-sensor device. docs/hardware.md shows the wiring of each.

The same function wires the Raspberry Pi (device/hardware.py, `open_bus` opening /dev/i2c-N with
smbus2) and the simulator (sim/sensor_layout.py, `open_bus` opening a virtual bus), so the simulator
runs the wiring the device runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from device.errors import ConfigError
from drivers.i2c_mux import SharedBus

LAYOUTS = ("single", "mux", "two_buses")
BusFactory = Callable[[], Any]


class SensorPlaces(Protocol):
    """The `[sensor]` keys that say where the sensors are (device.config.SensorConfig has them)."""

    @property
    def layout(self) -> str: ...

    @property
    def i2c_bus(self) -> int: ...

    @property
    def mux_address(self) -> int: ...

    @property
    def mux_channel_a(self) -> int: ...

    @property
    def mux_channel_b(self) -> int: ...

    @property
    def second_i2c_bus(self) -> int: ...


def sensor_bus_factories(sensor_cfg: SensorPlaces, open_bus: Callable[[int], Any]
                         ) -> tuple[BusFactory, BusFactory | None]:
    """(factory of sensor A's bus, factory of sensor B's bus or None for "single").

    open_bus(n) opens I2C bus n (smbus2.SMBus(n) on the Pi) and may raise OSError; it is called by the
    factories, when a sensor supervisor (re)starts its sensor, never here. Each factory call returns a
    new smbus2-compatible bus object the supervisor may close: for "mux" a `Tca9548aChannel` on one bus
    opened once and shared by both channels (closed when both have let go). ConfigError for an unknown
    layout (a validated config never has one).
    """
    layout = sensor_cfg.layout
    if layout == "single":
        return (lambda: open_bus(sensor_cfg.i2c_bus)), None
    if layout == "two_buses":
        return (lambda: open_bus(sensor_cfg.i2c_bus)), (lambda: open_bus(sensor_cfg.second_i2c_bus))
    if layout == "mux":
        shared = SharedBus(lambda: open_bus(sensor_cfg.i2c_bus))
        return (shared.channel_factory(sensor_cfg.mux_address, sensor_cfg.mux_channel_a),
                shared.channel_factory(sensor_cfg.mux_address, sensor_cfg.mux_channel_b))
    raise ConfigError([f"sensor.layout: expected one of {', '.join(LAYOUTS)}, got {layout!r}"])


def sensor_places(sensor_cfg: SensorPlaces) -> tuple[str, str | None]:
    """Where sensor A and sensor B are, in words for logs and status lines ("bus 1", "channel 0 of the
    TCA9548A at 0x70 on bus 1"); B is None for "single"."""
    bus = f"bus {sensor_cfg.i2c_bus}"
    if sensor_cfg.layout == "two_buses":
        return bus, f"bus {sensor_cfg.second_i2c_bus}"
    if sensor_cfg.layout == "mux":
        mux = f"of the TCA9548A at 0x{sensor_cfg.mux_address:02x} on {bus}"
        return f"channel {sensor_cfg.mux_channel_a} {mux}", f"channel {sensor_cfg.mux_channel_b} {mux}"
    return bus, None


def sensor_bus_numbers(sensor_cfg: SensorPlaces) -> tuple[int, int | None]:
    """The I2C bus number each sensor's transactions travel on (for a supervisor's `bus_number`): behind a
    switch both are on `i2c_bus`; on two buses B is on `second_i2c_bus`; B is None for "single"."""
    if sensor_cfg.layout == "two_buses":
        return sensor_cfg.i2c_bus, sensor_cfg.second_i2c_bus
    if sensor_cfg.layout == "mux":
        return sensor_cfg.i2c_bus, sensor_cfg.i2c_bus
    return sensor_cfg.i2c_bus, None
