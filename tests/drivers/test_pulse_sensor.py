"""The pulse sensor supervisor keeps the daemon's sensor running through bus failures."""

from __future__ import annotations

import errno
import logging

import pytest

from device.clock import SimClock
from device.errors import ConfigError, SensorError
from drivers.max30102 import I2CBus, Max30102Settings
from drivers.pulse_sensor import PulseSensor, SensorReading
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102

ADDR = 0x57
POLL_S = 0.05


class Rig:
    """A simulated clock, a virtual bus with a chip on it, and a supervisor polling it."""

    def __init__(self, plugged: bool = True, **sensor_kwargs: float) -> None:
        self.clock = SimClock()
        self.bus = VirtualI2CBus(1)
        self.chip = VirtualMax30102(PulseTrainOptics(), self.clock, seed=5)
        if plugged:
            self.plug()
        self.opened = 0
        self.sensor = PulseSensor(self.open_bus, Max30102Settings(), self.clock, ADDR, 1, **sensor_kwargs)
        self.readings: list[tuple[float, SensorReading]] = []

    def plug(self) -> None:
        self.bus.attach(ADDR, self.chip)

    def open_bus(self) -> I2CBus:
        self.opened += 1
        return self.bus.open()

    def run_until(self, t_end_s: float) -> list[tuple[float, SensorReading]]:
        """Poll every POLL_S up to t_end_s; returns the (time, reading) pairs of this stretch."""
        start = len(self.readings)
        t = self.clock.now_s()
        while t < t_end_s - 1e-9:
            self.readings.append((t, self.sensor.poll()))
            t = round(t + POLL_S, 9)
            self.clock.advance_to(t)
        return self.readings[start:]


def statuses(stretch: list[tuple[float, SensorReading]]) -> set[str]:
    return {r.status for _, r in stretch}


def blocks(stretch: list[tuple[float, SensorReading]]) -> list[tuple[float, SensorReading]]:
    return [(t, r) for t, r in stretch if r.block is not None]


def test_first_block_after_start_is_a_discontinuity_and_later_ones_are_not() -> None:
    rig = Rig()
    stretch = rig.run_until(2.0)
    assert stretch[0][1].status == "ok" and stretch[0][1].block is None
    delivered = blocks(stretch)
    assert delivered[0][1].discontinuity
    assert not any(r.discontinuity for _, r in delivered[1:])
    assert delivered[0][1].block is not None and delivered[0][1].block.first_index == 1
    indices = [r.block.first_index for _, r in delivered if r.block is not None]
    assert indices == sorted(indices)
    assert delivered[-1][1].finger_on_dc is True


def test_sensor_missing_at_boot_is_reported_and_retried_with_doubling_back_off() -> None:
    rig = Rig(plugged=False)
    stretch = rig.run_until(8.0)
    assert statuses(stretch) == {"lost"}
    assert "no MAX30102 at 0x57 on bus 1" in stretch[-1][1].detail
    assert rig.opened == 5  # at 0, 0.5, 1.5, 3.5 and 7.5 s
    rig.plug()
    later = rig.run_until(20.0)
    first_ok = next(t for t, r in later if r.status == "ok")
    assert first_ok == pytest.approx(15.5)  # the next retry, 8 s after the one at 7.5 s
    first_block = blocks(later)[0][1]
    assert first_block.discontinuity
    assert first_block.block is not None and first_block.block.first_index == round(15.5 * 100) + 1


def test_back_off_is_capped() -> None:
    rig = Rig(plugged=False)
    rig.run_until(200.0)
    # 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 61.5 (cap 30 s), 91.5, 121.5, 151.5, 181.5
    assert rig.opened == 12


def test_nacks_mid_run_lose_the_sensor_then_it_recovers_on_the_same_timeline() -> None:
    rig = Rig()
    rig.run_until(3.0)
    rig.chip.nack_next(3)
    stretch = rig.run_until(8.0)
    lost_at = next(t for t, r in stretch if r.status == "lost")
    back_at = next(t for t, r in stretch if r.status == "ok")
    assert lost_at == pytest.approx(3.0)
    # NACKed: the read at 3.0 s, the shutdown attempt after it, and the retry at 3.5 s (back-off
    # 0.5 s, then 1 s); the retry at 4.5 s succeeds.
    assert back_at == pytest.approx(4.5)
    t, first = blocks(stretch)[0]
    assert first.discontinuity and first.block is not None
    assert first.block.first_index == round(4.5 * 100) + 1
    assert first.block.t_s[-1] == pytest.approx(t, abs=0.011)


def test_chip_vanishing_for_five_seconds_is_lost_then_back_and_logged_once_each_way(
        caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.run_until(2.0)
    rig.chip.vanish(5.0)
    with caplog.at_level(logging.INFO, logger="drivers.pulse_sensor"):
        stretch = rig.run_until(12.0)
    during = [r for t, r in stretch if 2.0 <= t < 7.0]
    assert {r.status for r in during} == {"lost"} and all(r.block is None for r in during)
    assert all(r.finger_on_dc is None for r in during)
    back_at = next(t for t, r in stretch if t > 2.0 and r.status == "ok")
    assert back_at == pytest.approx(9.5)  # retries at 2.5, 3.5, 5.5 fail; 9.5 is the first after 7.0
    after = blocks([(t, r) for t, r in stretch if t >= back_at])
    assert after[0][1].discontinuity
    assert after[-1][1].block is not None and after[-1][1].block.t_s[-1] == pytest.approx(11.95, abs=0.011)
    messages = [rec.getMessage() for rec in caplog.records]
    assert sum("lost" in m for m in messages) == 1
    assert sum("is back" in m for m in messages) == 1


def test_a_power_cycled_chip_is_restarted() -> None:
    rig = Rig()
    rig.run_until(1.0)
    rig.chip.power_cycle()
    stretch = rig.run_until(3.0)
    assert [r.status for _, r in stretch][:2] == ["lost", "lost"]
    assert stretch[-1][1].status == "ok"
    assert rig.chip.peek(0x09) == 0x03


def test_a_chip_that_stops_sampling_is_treated_as_lost() -> None:
    rig = Rig()
    rig.run_until(1.0)
    rig.bus.write_byte_data(ADDR, 0x09, 0x83)  # someone put it into shutdown
    stretch = rig.run_until(3.0)
    lost = [r for _, r in stretch if r.status == "lost"]
    assert lost and "no samples" in lost[0].detail
    assert stretch[-1][1].status == "ok"


def test_overflow_losses_are_totalled() -> None:
    rig = Rig()
    rig.run_until(1.0)
    rig.sensor.poll()
    rig.clock.advance_to(1.5)  # the main loop stalled for half a second: 50 samples, 32 slots
    reading = rig.sensor.poll()
    assert reading.block is not None and reading.block.lost == 18
    assert reading.lost_samples_total == 18 == rig.chip.samples_dropped


def test_a_missing_i2c_device_file_is_retried_like_a_missing_chip() -> None:
    clock = SimClock()

    def no_bus() -> I2CBus:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/dev/i2c-1")

    sensor = PulseSensor(no_bus, Max30102Settings(), clock)
    reading = sensor.poll()
    assert reading.status == "lost"
    assert "/dev/i2c-1" in reading.detail


def test_close_shuts_the_chip_down_and_may_be_called_twice() -> None:
    rig = Rig()
    rig.run_until(0.5)
    with rig.sensor:
        pass
    assert rig.chip.peek(0x09) & 0x80
    rig.sensor.close()
    with pytest.raises(SensorError):
        rig.sensor.poll()


def test_bad_back_off_settings_are_refused() -> None:
    with pytest.raises(ConfigError):
        PulseSensor(VirtualI2CBus, Max30102Settings(), SimClock(), backoff_initial_s=0.0)
