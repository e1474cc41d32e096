"""Fast sharp pulses at 25-50 samples/s, regular or with a breathing-driven heart-rate swing, with known truth.

The family of issue 7's fault 10 (a timing error that follows the sampling phase; device/signal/sampling_phase.py):
beats of three shapes (those of test_sampling_phase.py: "gauss", SD 0.08 of the period; "finger", a t^2 exp(-t /
tau) rise from a sharp foot 0.24 of the period before the crest, tau 0.12 of the period; "narrow", SD 0.04 s) at
120-220/min, 25 and 50 samples/s, the first beat at a random phase, DURATION_S long, no noise; either perfectly
regular (true RMSSD 0, no breathing) or with RSA: the instantaneous rate is rate + swing sin(2 pi f t + phase), a
swing of 4-8 beats/min at 8-18 breaths/min, whose true RMSSD is taken from the true beats of the last WINDOW_S.
Used by tests/device/signal/test_sampling_phase_fast.py and bench/bench_sampling_phase.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DURATION_S = 90.0  # a 60 s window and the lock's first beats, with room for the 30 s a breathing rate needs
WINDOW_S = 60.0
SHAPES = ("gauss", "finger", "narrow")
SAMPLE_RATES_HZ = (25, 50)
RATES_BPM = (120.0, 220.0)
SWINGS_BPM = (4.0, 8.0)
BREATHS_PER_MIN = (8.0, 18.0)


@dataclass(frozen=True)
class Record:
    """One record: its samples and the truth."""

    shape: str
    fs_hz: int
    rate_bpm: float
    breath_per_min: float  # 0: no breathing (a regular pulse)
    true_rmssd_ms: float  # over the last WINDOW_S
    ppg: NDArray[np.float64]


def beat_times(rate_bpm: float, swing_bpm: float, breath_per_min: float,
               rng: np.random.Generator) -> NDArray[np.float64]:
    """True beat times (s) over DURATION_S of a heart at `rate_bpm` whose instantaneous rate swings by
    +-`swing_bpm` at `breath_per_min` (0: a regular pulse, every interval 60 / rate_bpm), starting at a random
    beat phase and breathing phase (`rng`)."""
    t = np.arange(-5.0, DURATION_S + 5.0, 0.001)
    rate = rate_bpm + swing_bpm * np.sin(2.0 * np.pi * breath_per_min / 60.0 * t + rng.uniform(0.0, 2.0 * np.pi))
    cycles = np.cumsum(rate / 60.0) * 0.001 + rng.uniform()
    whole = np.arange(np.ceil(cycles[0]), np.floor(cycles[-1]))
    return np.asarray(np.interp(whole, cycles, t), dtype=float)


def pulse(shape: str, fs_hz: float, beats: NDArray[np.float64]) -> NDArray[np.float64]:
    """Samples at `fs_hz` over DURATION_S of a pulse of height 1 of `shape` (module docstring) whose crests are at
    `beats` (s)."""
    t = np.arange(int(DURATION_S * fs_hz)) / fs_hz
    x = np.zeros(len(t))
    period = float(np.median(np.diff(beats)))
    for beat in beats:
        near = np.abs(t - beat) < 3.0 * period
        u = t[near] - beat
        if shape == "gauss":
            x[near] += np.exp(-0.5 * (u / (0.08 * period)) ** 2)
        elif shape == "narrow":
            x[near] += np.exp(-0.5 * (u / 0.04) ** 2)
        else:
            v = u + 0.24 * period  # time since the foot
            s = np.clip(v, 0.0, None) / (0.12 * period)
            x[near] += np.where(v >= 0.0, (s / 2.0) ** 2 * np.exp(2.0 - s), 0.0)
    return x


def rmssd_ms(beats: NDArray[np.float64]) -> float:
    """RMSSD (ms) of beat times `beats` (s)."""
    d = np.diff(np.diff(beats))
    return 1000.0 * float(np.sqrt(np.mean(d * d)))


def draw(shape: str, fs_hz: int, breathing: bool, rng: np.random.Generator) -> Record:
    """A record of `shape` at `fs_hz`, regular or with RSA (`breathing`), its rate, swing, breathing rate and
    phases drawn from `rng` (module docstring's ranges, uniform)."""
    rate = rng.uniform(*RATES_BPM)
    swing = rng.uniform(*SWINGS_BPM) if breathing else 0.0
    breath = rng.uniform(*BREATHS_PER_MIN) if breathing else 0.0
    beats = beat_times(rate, swing, breath, rng)
    window = beats[beats > beats[-1] - WINDOW_S]
    return Record(shape, fs_hz, rate, breath, rmssd_ms(window) if breathing else 0.0, pulse(shape, float(fs_hz), beats))
