"""Slow hearts whose pulse carries two later waves, with known beats (bench/bench_slow_waves.py,
tests/device/signal/test_slow_waves.py).

An older or stiffer artery's pulse holds a systolic wave, a diastolic (reflected) wave 0.25-0.4 s on and a third,
later wave 0.55-0.9 s on; at 30-46 beats/min the interval holds three bumps and a long quiet diastole. `record`
draws one: the diastolic wave 0.3-0.6 as tall at 0.25-0.4 s, the third 0.2-0.45 as tall at 0.55-0.9 s, Gaussian
bumps (SD 0.07 / 0.09 / 0.12 s), beat intervals with a 10 s breathing swing of 3 % and 1 % jitter, a 0.1 Hz
baseline 0.2 of the systolic height, and noise of a given SD and colour (1/f^colour), over LENGTH_S.
`harsh_record` moves the third wave to where it is hardest to tell from a beat (0.2-0.6 as tall, 0.3-0.6 of the
interval on; bench/bench_slow_waves.py --harsh, docs/measurements.md "Slow hearts: the third wave").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tests.device.signal.synthetic_ppg import power_law_noise

LENGTH_S = 90.0


def _bump(dt_s: NDArray[np.float64], delay_s: float, width_s: float) -> NDArray[np.float64]:
    return np.asarray(np.exp(-0.5 * ((dt_s - delay_s) / width_s) ** 2), dtype=np.float64)


def record(bpm: float, fs_hz: float, noise: float, colour: float, seed: int) -> tuple[NDArray[np.float64], str]:
    """(ppg in sensor-like codes, its waves as text) of one record at `bpm` beats/min and `fs_hz` samples/s, noise
    of SD `noise` (of the systolic height) and colour `colour` (0 white, 1 pink); the shape is drawn from all
    five, so a record is the same whatever else is drawn."""
    key = (seed, int(bpm), int(fs_hz), int(noise * 1000), int(colour))
    rng = np.random.default_rng(key)
    second_at, second = rng.uniform(0.25, 0.4), rng.uniform(0.3, 0.6)
    third_at, third = rng.uniform(0.55, 0.9), rng.uniform(0.2, 0.45)
    return _pulses(bpm, fs_hz, noise, colour, rng, (second, second_at), (third, third_at))


def harsh_record(bpm: float, fs_hz: float, noise: float, colour: float, seed: int) -> tuple[NDArray[np.float64], str]:
    """As `record`, with a third wave where it is hardest to tell from a beat: 0.2-0.6 as tall, at 0.3-0.6 of the
    interval on (about half the interval: beat and third wave look like a heart at twice the rate). Drawn from its
    own key, so a harsh record is no record of `record`'s."""
    key = (seed, int(bpm), int(fs_hz), int(noise * 1000), int(colour), HARSH_KEY)
    rng = np.random.default_rng(key)
    second_at, second = rng.uniform(0.25, 0.4), rng.uniform(0.3, 0.6)
    third_share, third = rng.uniform(0.3, 0.6), rng.uniform(0.2, 0.6)
    return _pulses(bpm, fs_hz, noise, colour, rng, (second, second_at), (third, third_share * 60.0 / bpm))


HARSH_KEY = 7  # any fixed tag: keeps harsh_record's draws apart from record's


def _pulses(bpm: float, fs_hz: float, noise: float, colour: float, rng: np.random.Generator,
            second_wave: tuple[float, float], third_wave: tuple[float, float]) -> tuple[NDArray[np.float64], str]:
    """The record of `record`'s docstring with these waves ((height, delay s) each), drawing the rest from `rng`."""
    (second, second_at), (third, third_at) = second_wave, third_wave
    period_s = 60.0 / bpm
    n = int(LENGTH_S / period_s) + 4
    swing = 0.03 * np.sin(2.0 * np.pi * np.arange(n) * period_s / 10.0 + rng.uniform(0.0, 2.0 * np.pi))
    beats = rng.uniform(0.2, 1.0) + np.cumsum(period_s * (1.0 + swing + 0.01 * rng.standard_normal(n)))
    t = np.arange(int(LENGTH_S * fs_hz)) / fs_hz
    x = np.zeros_like(t)
    reach_s = max(1.5, third_at + 0.4)  # past the third wave's end (over 3 of its SDs): no step where it is cut
    for b in beats[beats < LENGTH_S]:
        near = (t > b - 0.4) & (t < b + reach_s)
        dt = t[near] - b
        x[near] += _bump(dt, 0.0, 0.07) + second * _bump(dt, second_at, 0.09) + third * _bump(dt, third_at, 0.12)
    x += 0.2 * np.sin(2.0 * np.pi * 0.1 * t + rng.uniform(0.0, 2.0 * np.pi))
    x += noise * power_law_noise(len(t), colour, int(rng.integers(1 << 30)))
    shape = f"wave {second:.2f} at {second_at:.2f} s, {third:.2f} at {third_at:.2f} s"
    return 50000.0 + 1000.0 * x, shape
