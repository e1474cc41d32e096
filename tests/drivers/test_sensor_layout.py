"""Sensor layouts wired for the Pi (device/hardware.py) and the simulator (sim/sensor_layout.py): which bus
each sensor's factory opens, and that the factories reach the right chip."""

from __future__ import annotations

import errno
from typing import Any

import pytest

from device.clock import SimClock
from device.config import Config, SensorConfig, load_config
from device.errors import ConfigError
from device.hardware import build_real_hardware
from drivers import max30102_regs as regs
from drivers.i2c_mux import Tca9548aChannel
from drivers.max30102 import Max30102
from drivers.sensor_layout import sensor_bus_factories, sensor_bus_numbers, sensor_places
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from sim.sensor_layout import build_sim_sensor_buses, sim_sensor_buses
from sim.tca9548a import VirtualTca9548a

CHIP = 0x57


def config(**sensor: Any) -> Config:
    return load_config(overrides={"sensor": sensor, "led": {"kind": "none"}, "audio": {"enabled": False}})


def chips(clock: SimClock) -> tuple[VirtualMax30102, VirtualMax30102]:
    return (VirtualMax30102(PulseTrainOptics(), clock, seed=1, rev_id=0x0A),
            VirtualMax30102(PulseTrainOptics(), clock, seed=2, rev_id=0x0B))


def rev_id(bus: Any) -> int:
    return int(bus.read_byte_data(CHIP, regs.REV_ID.address))


class Opener:
    """open_bus for sensor_bus_factories (and smbus2.SMBus's stand-in): records which bus numbers were
    opened; a number with no virtual bus is a missing /dev/i2c-N."""

    def __init__(self, buses: dict[int, VirtualI2CBus]) -> None:
        self.buses = buses
        self.opened: list[int] = []

    def __call__(self, number: int) -> VirtualI2CBus:
        self.opened.append(number)
        if number not in self.buses:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", f"/dev/i2c-{number}")
        return self.buses[number].open()


def test_single_opens_i2c_bus_and_has_no_sensor_b() -> None:
    opener = Opener({5: VirtualI2CBus(5)})
    factory_a, factory_b = sensor_bus_factories(config(i2c_bus=5).sensor, opener)
    assert factory_b is None and opener.opened == []  # nothing is opened until a sensor starts
    assert factory_a() is opener.buses[5]
    assert opener.opened == [5]
    assert sensor_places(config(i2c_bus=5).sensor) == ("bus 5", None)


def test_two_buses_opens_each_sensor_on_its_own_bus() -> None:
    opener = Opener({1: VirtualI2CBus(1), 4: VirtualI2CBus(4)})
    cfg = config(layout="two_buses", second_i2c_bus=4).sensor
    factory_a, factory_b = sensor_bus_factories(cfg, opener)
    assert factory_b is not None
    assert factory_b() is opener.buses[4] and factory_a() is opener.buses[1]
    assert opener.opened == [4, 1]
    assert sensor_places(cfg) == ("bus 1", "bus 4")


def test_mux_opens_one_bus_once_for_both_channels_and_again_after_both_let_go() -> None:
    opener = Opener({1: VirtualI2CBus(1)})
    cfg = config(layout="mux", mux_address=0x75, mux_channel_a=7, mux_channel_b=0).sensor
    factory_a, factory_b = sensor_bus_factories(cfg, opener)
    assert factory_b is not None
    a, b = factory_a(), factory_b()
    assert isinstance(a, Tca9548aChannel) and isinstance(b, Tca9548aChannel)
    assert (a.mux_address, a.channel, b.mux_address, b.channel) == (0x75, 7, 0x75, 0)
    assert opener.opened == [1]
    a.close()
    b.close()
    factory_b()
    assert opener.opened == [1, 1]
    assert sensor_places(cfg) == ("channel 7 of the TCA9548A at 0x75 on bus 1",
                                  "channel 0 of the TCA9548A at 0x75 on bus 1")


def test_a_missing_bus_device_is_an_oserror_from_the_factory_for_the_supervisor_to_retry() -> None:
    opener = Opener({})
    factory_a, factory_b = sensor_bus_factories(config(layout="mux").sensor, opener)
    assert factory_b is not None
    for factory in (factory_a, factory_b):
        with pytest.raises(FileNotFoundError):
            factory()


class UnvalidatedSensor:
    layout = "daisy_chain"
    i2c_bus = 1
    mux_address = 0x70
    mux_channel_a = 0
    mux_channel_b = 1
    second_i2c_bus = 3


def test_an_unknown_layout_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"sensor\.layout"):
        sensor_bus_factories(UnvalidatedSensor(), Opener({}))


@pytest.mark.parametrize("layout", ["mux", "two_buses"])
def test_sim_sensor_buses_put_chip_a_behind_factory_a_and_chip_b_behind_factory_b(layout: str) -> None:
    clock = SimClock()
    chip_a, chip_b = chips(clock)
    factory_a, factory_b = sim_sensor_buses(config(layout=layout).sensor, chip_a, chip_b, clock)
    assert factory_b is not None
    bus_a, bus_b = factory_a(), factory_b()
    assert (rev_id(bus_a), rev_id(bus_b), rev_id(bus_a)) == (0x0A, 0x0B, 0x0A)


def test_sim_single_refuses_a_second_chip_and_gives_no_factory_b() -> None:
    clock = SimClock()
    chip_a, chip_b = chips(clock)
    with pytest.raises(ConfigError, match='"single" holds one sensor'):
        sim_sensor_buses(config().sensor, chip_a, chip_b)
    factory_a, factory_b = sim_sensor_buses(config().sensor, chip_a)
    assert factory_b is None and rev_id(factory_a()) == 0x0A


def test_sim_mux_puts_the_virtual_switch_where_the_config_says() -> None:
    clock = SimClock()
    chip_a, chip_b = chips(clock)
    built = build_sim_sensor_buses(config(layout="mux", mux_address=0x77, mux_channel_a=5,
                                          mux_channel_b=3, i2c_bus=2).sensor, chip_a, chip_b, clock)
    assert built.mux is not None and built.mux.address == 0x77 and set(built.buses) == {2}
    assert built.factory_b is not None
    bus_b = built.factory_b()
    rev_id(bus_b)
    assert built.mux.control == 1 << 3


# --- the real Pi's wiring, smbus2 replaced by virtual buses (the one place a mock stands in) -------------

FakeSmbus2 = Opener  # stands in for smbus2.SMBus(n): hands out the virtual bus numbered n, as /dev/i2c-n


def real_hardware(monkeypatch: pytest.MonkeyPatch, cfg: Config,
                  buses: dict[int, VirtualI2CBus]) -> tuple[Any, FakeSmbus2]:
    fake = FakeSmbus2(buses)
    monkeypatch.setattr("smbus2.SMBus", fake)
    return build_real_hardware(cfg), fake


def start_and_read_rev(factory: Any, clock: SimClock) -> int:
    """A MAX30102 driver started on the factory's bus (proves it is a whole chip there), then its REV_ID."""
    bus = factory()
    sensor = Max30102(bus, 1, CHIP, clock=clock)
    sensor.start()
    return rev_id(bus)


def test_the_pi_with_one_sensor_has_no_second_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimClock()
    chip_a, _ = chips(clock)
    bus = VirtualI2CBus(1)
    bus.attach(CHIP, chip_a)
    hardware, fake = real_hardware(monkeypatch, config(), {1: bus})
    assert hardware.second_i2c_bus_factory is None and fake.opened == []
    assert start_and_read_rev(hardware.i2c_bus_factory, clock) == 0x0A
    assert fake.opened == [1]


def test_the_pi_with_a_switch_reaches_each_chip_through_its_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimClock()
    chip_a, chip_b = chips(clock)
    bus = VirtualI2CBus(1)
    mux = VirtualTca9548a(bus, 0x71, clock)
    mux.attach(4, CHIP, chip_a)
    mux.attach(2, CHIP, chip_b)
    cfg = config(layout="mux", mux_address=0x71, mux_channel_a=4, mux_channel_b=2)
    hardware, fake = real_hardware(monkeypatch, cfg, {1: bus})
    assert fake.opened == []
    assert start_and_read_rev(hardware.i2c_bus_factory, clock) == 0x0A
    assert start_and_read_rev(hardware.second_i2c_bus_factory, clock) == 0x0B
    assert fake.opened == [1]  # one bus, opened once, shared by both channels
    assert mux.control_writes >= 2


def test_the_pi_with_two_buses_opens_both(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimClock()
    chip_a, chip_b = chips(clock)
    buses = {1: VirtualI2CBus(1), 3: VirtualI2CBus(3)}
    buses[1].attach(CHIP, chip_a)
    buses[3].attach(CHIP, chip_b)
    hardware, fake = real_hardware(monkeypatch, config(layout="two_buses", second_i2c_bus=3), buses)
    assert start_and_read_rev(hardware.second_i2c_bus_factory, clock) == 0x0B
    assert start_and_read_rev(hardware.i2c_bus_factory, clock) == 0x0A
    assert fake.opened == [3, 1]


def test_the_pi_without_the_second_bus_fails_only_sensor_bs_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimClock()
    chip_a, _ = chips(clock)
    bus = VirtualI2CBus(1)
    bus.attach(CHIP, chip_a)
    hardware, _ = real_hardware(monkeypatch, config(layout="two_buses", second_i2c_bus=6), {1: bus})
    with pytest.raises(FileNotFoundError, match="/dev/i2c-6"):
        hardware.second_i2c_bus_factory()
    assert start_and_read_rev(hardware.i2c_bus_factory, clock) == 0x0A


@pytest.mark.parametrize(("layout", "numbers"), [("single", (2, None)), ("mux", (2, 2)), ("two_buses", (2, 5))])
def test_bus_numbers_say_which_bus_each_sensors_transactions_travel_on(
        layout: str, numbers: tuple[int, int | None]) -> None:
    cfg: SensorConfig = config(layout=layout, i2c_bus=2, second_i2c_bus=5).sensor
    assert sensor_bus_numbers(cfg) == numbers
