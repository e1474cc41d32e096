"""Two pulse sensors, each with its own supervisor, behind a TCA9548A or on two buses: one sensor's fault
(a vanished or NACKing chip, a stuck switch channel) never costs the other a sample; a vanished switch
loses both, and both come back with it. Register-level: virtual switch, virtual chips, fast clock."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from device.clock import SimClock
from device.config import SensorConfig, load_config
from drivers.max30102 import Max30102Settings
from drivers.pulse_sensor import PulseSensor, SensorReading
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from sim.sensor_layout import SimSensorBuses, build_sim_sensor_buses

POLL_S = 0.05
FS_HZ = 100


def sensor_config(layout: str) -> SensorConfig:
    return load_config(overrides={"sensor": {"layout": layout, "mux_address": 0x72, "mux_channel_a": 3,
                                             "mux_channel_b": 4, "second_i2c_bus": 4}}).sensor


class TwoSensors:
    """Both supervisors polled every POLL_S on one simulated clock, as the daemon's loop does."""

    def __init__(self, layout: str) -> None:
        self.clock = SimClock()
        self.chip_a = VirtualMax30102(PulseTrainOptics(rate_bpm=60.0), self.clock, seed=1)
        self.chip_b = VirtualMax30102(PulseTrainOptics(rate_bpm=75.0), self.clock, seed=2)
        self.cfg = sensor_config(layout)
        self.sim: SimSensorBuses = build_sim_sensor_buses(self.cfg, self.chip_a, self.chip_b, self.clock)
        assert self.sim.factory_b is not None
        self.a = PulseSensor(self.sim.factory_a, Max30102Settings(), self.clock)
        self.b = PulseSensor(self.sim.factory_b, Max30102Settings(), self.clock)
        self.readings: list[tuple[float, SensorReading, SensorReading]] = []

    def run_until(self, t_end_s: float) -> list[tuple[float, SensorReading, SensorReading]]:
        start = len(self.readings)
        t = self.clock.now_s()
        while t < t_end_s - 1e-9:
            self.readings.append((t, self.a.poll(), self.b.poll()))
            t = round(t + POLL_S, 9)
            self.clock.advance_to(t)
        return self.readings[start:]


def assert_every_sample_delivered(stretch: list[SensorReading], chip: VirtualMax30102) -> None:
    """Ok throughout, one unbroken run of sample indices with nothing lost, no restart."""
    assert {r.status for r in stretch} == {"ok"}
    blocks = [r.block for r in stretch if r.block is not None]
    assert blocks, "no samples at all"
    for before, after in itertools.pairwise(blocks):
        assert after.first_index == before.next_index
        assert after.lost == 0
    assert not any(r.discontinuity for r in stretch)
    assert chip.samples_dropped == 0
    delivered = sum(b.n_samples for b in blocks)
    span_s = len(stretch) * POLL_S
    assert delivered == pytest.approx(span_s * FS_HZ, abs=FS_HZ * POLL_S + 1)


def a_of(stretch: list[tuple[float, SensorReading, SensorReading]]) -> list[SensorReading]:
    return [a for _, a, _ in stretch]


def b_of(stretch: list[tuple[float, SensorReading, SensorReading]]) -> list[SensorReading]:
    return [b for _, _, b in stretch]


@pytest.mark.parametrize("layout", ["mux", "two_buses"])
def test_chip_b_vanishing_costs_sensor_a_nothing_and_b_comes_back(layout: str) -> None:
    rig = TwoSensors(layout)
    warm = rig.run_until(3.0)
    assert warm[-1][1].status == warm[-1][2].status == "ok"
    rig.chip_b.vanish(8.0)
    during = rig.run_until(11.0)
    assert_every_sample_delivered(a_of(during), rig.chip_a)
    assert "lost" in {r.status for r in b_of(during)}
    assert all(r.block is None for r in b_of(during)[1:])
    after = rig.run_until(30.0)
    assert_every_sample_delivered(a_of(after), rig.chip_a)
    back = [r for r in b_of(after) if r.block is not None]
    assert back and back[0].discontinuity and b_of(after)[-1].status == "ok"


@pytest.mark.parametrize("layout", ["mux", "two_buses"])
def test_chip_b_nacking_and_then_unplugged_for_good_costs_sensor_a_nothing(layout: str) -> None:
    rig = TwoSensors(layout)
    rig.run_until(2.0)
    rig.chip_b.nack_next(10_000)
    nacking = rig.run_until(20.0)
    assert_every_sample_delivered(a_of(nacking), rig.chip_a)
    assert {r.status for r in b_of(nacking)[2:]} == {"lost"}
    assert "NACK" in b_of(nacking)[-1].detail or "Remote I/O" in b_of(nacking)[-1].detail
    if layout == "mux":
        assert rig.sim.mux is not None
        rig.sim.mux.detach(rig.cfg.mux_channel_b, rig.cfg.i2c_address)
    else:
        rig.sim.buses[rig.cfg.second_i2c_bus].detach(rig.cfg.i2c_address)
    unplugged = rig.run_until(140.0)  # long enough for B's back-off to reach its 30 s ceiling
    assert_every_sample_delivered(a_of(unplugged), rig.chip_a)
    assert {r.status for r in b_of(unplugged)} == {"lost"}


def test_a_channel_stuck_on_sensor_a_keeps_sensor_b_lost_instead_of_reading_a_chip() -> None:
    rig = TwoSensors("mux")
    rig.run_until(2.0)
    assert rig.sim.mux is not None
    rig.sim.mux.stick(1 << rig.cfg.mux_channel_a, duration_s=10.0)
    stuck = rig.run_until(12.0)
    assert_every_sample_delivered(a_of(stuck), rig.chip_a)
    assert all(r.block is None for r in b_of(stuck))
    assert "stuck" in b_of(stuck)[-1].detail
    after = rig.run_until(40.0)
    assert_every_sample_delivered(a_of(after), rig.chip_a)
    assert b_of(after)[-1].status == "ok" and any(r.block is not None for r in b_of(after))


def test_switch_vanishing_loses_both_sensors_and_both_come_back_when_it_returns() -> None:
    rig = TwoSensors("mux")
    before = rig.run_until(2.0)
    assert rig.sim.mux is not None
    rig.sim.mux.vanish(5.0)
    gone = rig.run_until(7.0)
    assert gone[-1][1].status == gone[-1][2].status == "lost"
    assert "TCA9548A at 0x72" in gone[-1][1].detail
    assert rig.sim.buses[rig.cfg.i2c_bus].transaction_counts  # still tried, on their back-offs
    back = rig.run_until(30.0)
    for earlier, stretch in ((a_of(before), a_of(back)), (b_of(before), b_of(back))):
        assert stretch[-1].status == "ok"
        blocks = [r for r in stretch if r.block is not None]
        assert blocks[0].discontinuity
        ok_tail = stretch[stretch.index(blocks[0]):]
        assert {r.status for r in ok_tail} == {"ok"}
        # the timeline goes on where the samples would have been: a gap of the outage, not a jump back
        last_before = [r.block for r in earlier if r.block is not None][-1]
        first_back = blocks[0].block
        assert last_before is not None and first_back is not None
        gap_s = (first_back.first_index - last_before.next_index) / FS_HZ
        # retries 0.5, 1, 2 s apart fall inside the 5 s outage; the next comes after 4 s more at most
        assert 5.0 - 2 * POLL_S <= gap_s <= 5.0 + 4.0 + 2 * POLL_S, gap_s


def test_sensor_b_missing_at_boot_leaves_sensor_a_running_from_the_start() -> None:
    clock = SimClock()
    chip_a = VirtualMax30102(PulseTrainOptics(), clock, seed=1)
    sim = build_sim_sensor_buses(sensor_config("mux"), chip_a, None, clock)
    assert sim.factory_b is not None
    a = PulseSensor(sim.factory_a, Max30102Settings(), clock)
    b = PulseSensor(sim.factory_b, Max30102Settings(), clock)
    stretch_a, stretch_b = [], []
    t = 0.0
    while t < 20.0:
        stretch_a.append(a.poll())
        stretch_b.append(b.poll())
        t = round(t + POLL_S, 9)
        clock.advance_to(t)
    first = next(i for i, r in enumerate(stretch_a) if r.block is not None)
    assert first <= 1 and stretch_a[first].discontinuity  # A starts at once, B's absence aside
    assert_every_sample_delivered(stretch_a[first + 1:], chip_a)
    assert {r.status for r in stretch_b} == {"lost"}
    assert "no MAX30102" in stretch_b[-1].detail


@pytest.mark.parametrize("seed", range(6))
def test_any_schedule_of_sensor_b_faults_costs_sensor_a_no_sample(seed: int) -> None:
    """Generated schedules: over 60 s, chip B vanishes, NACKs bursts of transactions, or the switch sticks on
    sensor A's channel, at random times for random lengths; sensor A delivers every sample throughout, and
    sensor B is ok again within one longest back-off wait after the faults end."""
    rng = np.random.default_rng(seed)
    layout = "mux" if seed % 2 == 0 else "two_buses"
    rig = TwoSensors(layout)
    rig.run_until(2.0)
    t = 2.0
    faults = []
    while t < 45.0:
        t = round(t + float(rng.uniform(0.5, 6.0)), 2)
        kind = str(rng.choice(["vanish", "nack", "stick"] if layout == "mux" else ["vanish", "nack"]))
        length = float(rng.uniform(0.05, 5.0))
        faults.append((t, kind, length))
    for at_s, kind, length in faults:
        rig.run_until(at_s)
        if kind == "vanish":
            rig.chip_b.vanish(length)
        elif kind == "nack":
            rig.chip_b.nack_next(int(rng.integers(1, 7)))  # each of B's retries uses one
        else:
            assert rig.sim.mux is not None
            rig.sim.mux.stick(1 << rig.cfg.mux_channel_a, duration_s=length)
    rig.chip_b.nack_next(0)  # the faults end (NACKs are used up only by B's retries, one each)
    rig.run_until(faults[-1][0] + 5.0 + 30.0 + 1.0)  # the last fault, then B's longest back-off wait
    assert_every_sample_delivered(a_of(rig.readings[40:]), rig.chip_a)
    assert b_of(rig.readings)[-1].status == "ok"
    assert "lost" in {r.status for r in b_of(rig.readings)}
