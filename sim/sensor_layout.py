"""The simulator's I2C for a `[sensor]` config: virtual buses (and a virtual TCA9548A for "mux")
holding the virtual sensor chips, with the bus factories the device's supervisors use.

The factories come from drivers/sensor_layout.py, the function that wires the Raspberry Pi, with
`open_bus` opening a virtual bus instead of /dev/i2c-N: the simulator runs the device's own wiring.

- "single": chip A on bus `i2c_bus`; no sensor B (passing chip B is a ConfigError: the config holds one
  sensor).
- "two_buses": chip A on `i2c_bus`, chip B on `second_i2c_bus`.
- "mux": a VirtualTca9548a at `mux_address` on `i2c_bus`, chip A on `mux_channel_a`, chip B on
  `mux_channel_b`.
With a two-sensor layout and no chip B, sensor B's place is empty: its factory still exists and its
supervisor finds nothing there (as on a device with one sensor unplugged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from device.clock import Clock
from device.errors import ConfigError
from drivers.sensor_layout import SensorPlaces, sensor_bus_factories
from sim.i2c_bus import I2CDevice, VirtualI2CBus
from sim.tca9548a import VirtualTca9548a


class SimSensorConfig(SensorPlaces, Protocol):
    """SensorPlaces plus the sensors' own address."""

    @property
    def i2c_address(self) -> int: ...


@dataclass
class SimSensorBuses:
    """What `build_sim_sensor_buses` made: the virtual buses by number, the switch (for "mux"), and the
    bus factories of sensor A and B (None for "single")."""

    factory_a: Callable[[], Any]
    factory_b: Callable[[], Any] | None
    buses: dict[int, VirtualI2CBus] = field(default_factory=dict)
    mux: VirtualTca9548a | None = None


def build_sim_sensor_buses(sensor_cfg: SimSensorConfig, chip_a: I2CDevice, chip_b: I2CDevice | None = None,
                           clock: Clock | None = None) -> SimSensorBuses:
    """Virtual buses holding `chip_a` (and `chip_b`) where `sensor_cfg` says, at `sensor_cfg.i2c_address`.
    `clock` times the virtual switch's vanish/stick faults (without it they are refused)."""
    address = sensor_cfg.i2c_address
    layout = sensor_cfg.layout
    if layout == "single" and chip_b is not None:
        raise ConfigError(['sensor.layout: "single" holds one sensor; a second sensor needs "mux" or "two_buses"'])
    buses: dict[int, VirtualI2CBus] = {sensor_cfg.i2c_bus: VirtualI2CBus(sensor_cfg.i2c_bus)}
    mux: VirtualTca9548a | None = None
    if layout == "mux":
        mux = VirtualTca9548a(buses[sensor_cfg.i2c_bus], sensor_cfg.mux_address, clock)
        mux.attach(sensor_cfg.mux_channel_a, address, chip_a)
        if chip_b is not None:
            mux.attach(sensor_cfg.mux_channel_b, address, chip_b)
    else:
        buses[sensor_cfg.i2c_bus].attach(address, chip_a)
        if layout == "two_buses":
            second = buses[sensor_cfg.second_i2c_bus] = VirtualI2CBus(sensor_cfg.second_i2c_bus)
            if chip_b is not None:
                second.attach(address, chip_b)
    factory_a, factory_b = sensor_bus_factories(sensor_cfg, lambda n: buses[n].open())
    return SimSensorBuses(factory_a, factory_b, buses, mux)


def sim_sensor_buses(sensor_cfg: SimSensorConfig, chip_a: I2CDevice, chip_b: I2CDevice | None = None,
                     clock: Clock | None = None) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    """(bus factory of sensor A, of sensor B or None for "single"): `build_sim_sensor_buses`'s factories."""
    built = build_sim_sensor_buses(sensor_cfg, chip_a, chip_b, clock)
    return built.factory_a, built.factory_b
