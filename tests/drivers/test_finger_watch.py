"""Finger watch: with no finger on, the MAX30102 averages 32 conversions a sample and delivers none of them;
a finger brings full rate back at once, on the same timeline (drivers/max30102.py, issue 9)."""

from __future__ import annotations

import itertools
import math

import pytest

from device.clock import SimClock
from drivers import max30102_regs as regs
from drivers.max30102 import WATCH_AVERAGING, Max30102Settings
from drivers.pulse_sensor import PulseSensor, SensorReading
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102

ADDR = 0x57


def _rig(finger_off_s: tuple[tuple[float, float], ...], sample_rate_hz: int = 100,
         clock_error: float = 0.0) -> tuple[SimClock, VirtualMax30102, PulseSensor]:
    clock = SimClock()
    bus = VirtualI2CBus(1)
    chip = VirtualMax30102(PulseTrainOptics(rate_bpm=66.0, finger_off_s=finger_off_s), clock, seed=3)
    chip.adc_clock_error = clock_error
    bus.attach(ADDR, chip)
    sensor = PulseSensor(bus.open, Max30102Settings(sample_rate_hz=sample_rate_hz), clock, ADDR, 1)
    return clock, chip, sensor


def _run(clock: SimClock, sensor: PulseSensor, until_s: float) -> list[tuple[float, SensorReading]]:
    """Poll as the daemon does: every second while the chip watches, every 100 ms otherwise."""
    out = []
    t = clock.now_s()
    while t < until_s - 1e-9:
        out.append((t, sensor.poll()))
        t = round(t + (1.0 if sensor.watching else 0.1), 9)
        clock.advance_to(t)
    return out


def _smp_ave(chip: VirtualMax30102) -> int:
    return regs.SMP_AVE_COUNT_BY_CODE[regs.SMP_AVE.get(chip.peek(regs.FIFO_CONFIG.address))]


@pytest.mark.parametrize("sample_rate_hz", [25, 100])
def test_no_finger_the_chip_watches_delivers_no_samples_and_loses_none(sample_rate_hz: int) -> None:
    clock, chip, sensor = _rig(((0.0, math.inf),), sample_rate_hz)
    readings = _run(clock, sensor, 120.0)
    assert sensor.watching and _smp_ave(chip) == WATCH_AVERAGING
    after = [r for t, r in readings if t >= 2.0]
    assert len(after) <= 120  # drained about once a second
    assert all(r.block is None and r.finger_on_dc is False and r.status == "ok" for r in after)
    assert readings[-1][1].lost_samples_total == 0  # 2.56 s in the FIFO, drained every second
    # The timeline goes on at the full rate meanwhile: the next index is where the clock says
    driver = sensor._driver
    assert driver is not None
    last_read_s = readings[-1][0]
    assert driver.next_index == pytest.approx(last_read_s * sample_rate_hz, abs=WATCH_AVERAGING)


@pytest.mark.parametrize("clock_error", [0.0, 0.015])
def test_a_finger_brings_full_rate_back_within_about_a_second_on_the_same_timeline(clock_error: float) -> None:
    placed_s = 20.3
    clock, chip, sensor = _rig(((0.0, placed_s),), clock_error=clock_error)
    readings = _run(clock, sensor, 40.0)
    first = next((t, r) for t, r in readings if r.block is not None and t > 1.0)
    assert placed_s < first[0] <= placed_s + 1.7  # the next watch read (1 s) and one AGC period (0.5 s)
    assert first[1].discontinuity and first[1].finger_on_dc is True
    assert not sensor.watching and _smp_ave(chip) == Max30102Settings().averaging
    blocks = [r.block for t, r in readings if r.block is not None and t >= first[0]]
    assert all(b.next_index == nxt.first_index for b, nxt in itertools.pairwise(blocks))
    # Every index after the switch is the chip's own count at the full rate: samples stay on the clock's
    # timeline to within one finger-watch sample (80 ms), whatever the ADC clock's error.
    rate = 100.0 * (1.0 + clock_error)
    last = blocks[-1]
    last_read_s = readings[-1][0]
    stamped_s = sensor.sample_clock.time_of(last.next_index - 1)
    assert abs(stamped_s - last_read_s) < 0.09
    assert sum(b.n_samples for b in blocks) == pytest.approx((last_read_s - first[0]) * rate, abs=12)


def test_lifting_the_finger_goes_back_to_watching_and_placing_it_again_to_full_rate() -> None:
    clock, _chip, sensor = _rig(((10.0, 30.0),))
    readings = _run(clock, sensor, 50.0)
    watching = [t for t, _ in readings if 10.0 < t < 30.0]
    assert len(watching) < 40  # most of the 20 s read once a second
    full = [t for t, r in readings if r.block is not None]
    assert any(t < 10.0 for t in full) and any(t > 30.0 for t in full) and not any(12.0 < t < 30.0 for t in full)
    assert readings[-1][1].lost_samples_total == 0
    assert [r.discontinuity for t, r in readings if r.block is not None and t > 30.0][:2] == [True, False]
