"""The sample clock: the sensor's rate measured against the monotonic clock, beat times that do not drift."""

from __future__ import annotations

import numpy as np
import pytest

from bench.datasets import data_dir
from drivers.sample_clock import SampleClock


def reads(rate_hz: float, duration_s: float, seed: int, period_s: float = 0.04,
          stall_at_s: float | None = None) -> list[tuple[float, int]]:
    """(read time s, next index) of FIFO reads every ~period_s with 0-10 ms of loop latency, of a chip
    whose first sample (index 1000) is taken at 0.01 s and which samples at `rate_hz`."""
    rng = np.random.default_rng(seed)
    out = []
    t = 0.01
    while t < duration_s:
        t += period_s + rng.uniform(0.0, 0.01)
        if stall_at_s is not None and stall_at_s <= t < stall_at_s + period_s * 1.5:
            t += 2.0  # the loop stalls for 2 s; the FIFO (or its overflow counter) accounts for the samples
        out.append((t, 1000 + int(np.floor((t - 0.01) * rate_hz)) + 1))
    return out


@pytest.mark.parametrize("error", [-0.02, -0.015, -0.005, 0.0, 0.005, 0.015, 0.02])
def test_the_rate_is_measured_and_sample_times_keep_to_the_clock(error: float) -> None:
    true_hz = 100.0 * (1.0 + error)
    clock = SampleClock(100.0)
    offsets = []
    for now_s, next_index in reads(true_hz, 600.0, seed=1, stall_at_s=300.0):
        clock.observe(now_s, next_index)
        if now_s > 20.0:
            index = next_index - 50  # a sample half a second old: its true time is known
            offsets.append(clock.time_of(index) - (0.01 + (index - 1000) / true_hz))
    assert clock.rate_hz == pytest.approx(true_hz, rel=2e-4)
    assert max(np.abs(offsets)) < 0.03  # never more than 30 ms off, over ten minutes: no drift


def test_intervals_change_by_well_under_a_millisecond_when_the_mapping_is_updated() -> None:
    clock = SampleClock(100.0)
    steps = []
    for now_s, next_index in reads(98.0, 300.0, seed=2):
        before = clock.time_of(next_index + 100) - clock.time_of(next_index)  # a 1 s interval, ahead
        clock.observe(now_s, next_index)
        if now_s > 20.0:
            steps.append(abs(clock.time_of(next_index + 100) - clock.time_of(next_index) - before))
    assert max(steps) < 5e-4


def test_a_restart_goes_on_on_the_same_timeline() -> None:
    clock = SampleClock(100.0)
    for now_s, next_index in reads(98.5, 60.0, seed=3):
        clock.observe(now_s, next_index)
    last_s, last_index = now_s, next_index
    clock.restarted()
    expected = clock.expected_index(last_s + 0.5)
    assert expected == pytest.approx(last_index + 0.5 * 98.5, abs=1.0)


def test_an_unbelievable_rate_is_not_taken() -> None:
    clock = SampleClock(100.0)
    for now_s, next_index in reads(80.0, 60.0, seed=4):
        clock.observe(now_s, next_index)
    assert clock.rate_hz == 100.0


@pytest.mark.data
def test_a_real_max30102_delivers_98_samples_per_second_and_the_clock_says_so() -> None:
    path = data_dir() / "max30102_raw" / "jdesbonnet_left_hand_100sps.csv"
    if not path.is_file():
        pytest.skip(f"no {path}")
    rows = np.genfromtxt(path, delimiter=",", skip_header=1)
    stamps = rows[rows[:, 1] == 1, 0]  # the 100 sps sensor; unix_t: when the host read each sample
    clock = SampleClock(100.0)
    for i, t in enumerate(stamps - stamps[0]):
        clock.observe(float(t), i + 1)
    assert clock.rate_hz == pytest.approx(98.07, abs=0.05)
