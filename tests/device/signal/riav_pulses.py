"""Pulses whose amplitude carries breathing, or nothing, with known truth: the amplitude view's family.

Issue 7, item 10: a perfectly regular pulse of constant amplitude gave a breathing rate at full confidence
from its amplitudes, which carried only where the samples fell on each beat. `riav_ppg` makes a train of one
of pulse_shapes.SHAPES' beats (each beat the shape's own wave; no baseline, no breathing in it unless asked)
at a heart rate, with interval jitter (Gaussian, on each interval), a breathing modulation of each beat's
height (gain 1 + depth sin(2 pi f t + phase), depth 0 for none; no RSA: the intervals do not follow it),
white noise (SD a share of the pulse height) and a scale (the sensor's units: the view must not depend on
them). `draw` picks a record of either family from a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tests.device.signal.pulse_shapes import SHAPES, SHARP_ORDER, SHARP_RISE_S
from tests.device.signal.synthetic_ppg import (
    DICROTIC_DELAY_S,
    DICROTIC_SHARE,
    DICROTIC_WIDTH_S,
    SHOULDER_DELAY_S,
    SHOULDER_SHARE,
    SHOULDER_WIDTH_S,
    SYSTOLIC_WIDTH_S,
)

RATES_PER_MIN = (30.0, 220.0)  # heart rates of the no-breathing family
AM_RATES_PER_MIN = (45.0, 120.0)  # heart rates of the breathing family (a resting heart)
SAMPLE_RATES = (25.0, 50.0, 100.0)
DEPTHS = (0.05, 0.2)  # breathing modulation of the pulse height, gain 1 +- depth
BREATHS_PER_MIN = (6.0, 20.0)
JITTER_S = (0.005, 0.03)  # interval jitter SD of a jittered record
NOISE_SHARE = (0.005, 0.05)  # white noise SD of a noisy record, share of the pulse height
DURATION_S = 90.0


def _gauss(dt_s: NDArray[np.float64], delay_s: float, width_s: float) -> NDArray[np.float64]:
    return np.asarray(np.exp(-0.5 * ((dt_s - delay_s) / width_s) ** 2), dtype=np.float64)


def beat_wave(shape: str, dt_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """One beat of `shape` (pulse_shapes.SHAPES) at times `dt_s` from its systolic wave's centre, height about 1."""
    if shape == "ours":
        return (_gauss(dt_s, 0.0, SYSTOLIC_WIDTH_S) + SHOULDER_SHARE * _gauss(dt_s, SHOULDER_DELAY_S, SHOULDER_WIDTH_S)
                + DICROTIC_SHARE * _gauss(dt_s, DICROTIC_DELAY_S, DICROTIC_WIDTH_S))
    if shape == "gauss":
        return _gauss(dt_s, 0.0, 0.08) + 0.5 * _gauss(dt_s, 0.3, 0.1)
    if shape == "sharp":
        u = np.maximum((dt_s + SHARP_RISE_S) / SHARP_RISE_S, 0.0)
        return u**SHARP_ORDER * np.exp(SHARP_ORDER * (1.0 - u)) + 0.3 * _gauss(dt_s, 0.35, 0.08)
    raise ValueError(f"unknown pulse shape {shape!r}")


@dataclass(frozen=True)
class Record:
    """One generated record: its samples, rate and what it holds."""

    ppg: NDArray[np.float64]
    fs_hz: float
    shape: str
    hr_per_min: float
    jitter_s: float
    noise: float
    depth: float  # 0: no breathing in it
    breath_per_min: float


def riav_ppg(shape: str, hr_per_min: float, fs_hz: float, jitter_s: float = 0.0, depth: float = 0.0,
             breath_per_min: float = 12.0, noise: float = 0.0, scale: float = 1.0, seed: int = 0,
             duration_s: float = DURATION_S) -> NDArray[np.float64]:
    """Samples at `fs_hz` (sample n at n / fs_hz) of a pulse train as the module docstring says."""
    rng = np.random.default_rng(seed)
    n_beats = int(duration_s * hr_per_min / 60.0) + 4
    intervals = np.maximum(60.0 / hr_per_min + jitter_s * rng.standard_normal(n_beats), 0.2)
    beats = rng.uniform(0.2, 0.8) + np.concatenate(([0.0], np.cumsum(intervals)))
    beats = beats[beats < duration_s]
    phase = rng.uniform(0.0, 2.0 * np.pi)
    gains = 1.0 + depth * np.sin(2.0 * np.pi * breath_per_min / 60.0 * beats + phase)
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    x = np.zeros_like(t)
    for b, g in zip(beats, gains, strict=True):
        lo, hi = np.searchsorted(t, [b - 0.6, b + 1.5])
        x[lo:hi] += g * beat_wave(shape, t[lo:hi] - b)
    if noise > 0.0:
        x = x + noise * rng.standard_normal(len(t))
    return scale * x


def draw(seed: int, breathing: bool) -> Record:
    """A record of the no-breathing family (`breathing` False: any shape, heart rate in RATES_PER_MIN, sample
    rate, regular or jittered, with or without noise, any scale) or of the breathing one (a modulation in
    DEPTHS at BREATHS_PER_MIN, heart rate in AM_RATES_PER_MIN, jittered as a resting heart is), from `seed`."""
    rng = np.random.default_rng([seed, int(breathing)])
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    fs_hz = SAMPLE_RATES[int(rng.integers(len(SAMPLE_RATES)))]
    rates = AM_RATES_PER_MIN if breathing else RATES_PER_MIN
    hr = float(rng.uniform(*rates))
    jitter = float(rng.uniform(*JITTER_S)) if breathing or rng.random() < 0.5 else 0.0
    noise = float(rng.uniform(*NOISE_SHARE)) if rng.random() < 0.5 else 0.0
    depth = float(rng.uniform(*DEPTHS)) if breathing else 0.0
    breath = float(rng.uniform(*BREATHS_PER_MIN))
    scale = float(10.0 ** rng.uniform(-3.0, 4.0))
    x = riav_ppg(shape, hr, fs_hz, jitter, depth, breath, noise, scale, seed)
    return Record(x, fs_hz, shape, hr, jitter, noise, depth, breath)
