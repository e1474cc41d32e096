"""A small synthetic fingertip PPG with known systolic-peak times, for the pulse pipeline's tests.

Each beat is a smooth, skewed systolic wave (a Gaussian with a later, wider shoulder: fast rise, slower
fall) plus a smaller dicrotic wave; the train rides on a respiratory baseline with respiratory amplitude
modulation. Because neighbouring waves overlap, the true peak of the sum moves by a fraction of a
millisecond: `true_peaks_s` finds it on the noise-free signal on a fine grid, and is what tests compare to.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

SYSTOLIC_WIDTH_S = 0.07
SHOULDER_DELAY_S = 0.12
SHOULDER_WIDTH_S = 0.12
SHOULDER_SHARE = 0.35
DICROTIC_DELAY_S = 0.32
DICROTIC_WIDTH_S = 0.07
DICROTIC_SHARE = 0.3


def rsa_beat_times(duration_s: float, hr_bpm: float = 65.0, breath_bpm: float = 6.0,
                   swing_bpm: float = 8.0, start_s: float = 0.3) -> NDArray[np.float64]:
    """Beat times of a heart whose rate swings sinusoidally (peak to peak `swing_bpm`) with breathing."""
    times = [start_s]
    while times[-1] < duration_s:
        t = times[-1]
        rate = hr_bpm + 0.5 * swing_bpm * np.sin(2 * np.pi * breath_bpm / 60.0 * t)
        times.append(t + 60.0 / rate)
    return np.asarray(times[:-1])


def _wave(dt_s: NDArray[np.float64], delay_s: float, width_s: float) -> NDArray[np.float64]:
    return np.exp(-0.5 * ((dt_s - delay_s) / width_s) ** 2)


def _clean(t_s: NDArray[np.float64], beats_s: NDArray[np.float64], breath_bpm: float,
           gains: NDArray[np.float64] | None = None, dicrotic_share: float = DICROTIC_SHARE,
           dicrotic_delay_s: float = DICROTIC_DELAY_S) -> NDArray[np.float64]:
    out = np.zeros_like(t_s)
    breath = 2 * np.pi * breath_bpm / 60.0
    for i, b in enumerate(beats_s):
        lo, hi = np.searchsorted(t_s, [b - 0.5, b + max(1.2, dicrotic_delay_s + 0.5)])
        dt = t_s[lo:hi] - b
        gain = (1.0 + 0.15 * np.sin(breath * b)) * (1.0 if gains is None else gains[i])
        out[lo:hi] += gain * (_wave(dt, 0.0, SYSTOLIC_WIDTH_S)
                              + SHOULDER_SHARE * _wave(dt, SHOULDER_DELAY_S, SHOULDER_WIDTH_S)
                              + dicrotic_share * _wave(dt, dicrotic_delay_s, DICROTIC_WIDTH_S))
    return out + 0.3 * np.sin(breath * t_s + 0.7)


def synthetic_ppg(beats_s: NDArray[np.float64], fs_hz: float, duration_s: float, noise: float = 0.0,
                  breath_bpm: float = 6.0, seed: int = 0,
                  gains: NDArray[np.float64] | None = None, dicrotic_share: float = DICROTIC_SHARE,
                  dicrotic_delay_s: float = DICROTIC_DELAY_S) -> NDArray[np.float64]:
    """PPG samples at `fs_hz` (sample n at n / fs_hz), systolic peaks up, amplitude about 1.

    `gains` scales each beat's wave (e.g. a weak premature beat); `dicrotic_share` and
    `dicrotic_delay_s` set the diastolic (reflected) wave's height (of the systolic wave's) and delay.
    """
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    x = _clean(t, beats_s, breath_bpm, gains, dicrotic_share, dicrotic_delay_s)
    if noise > 0:
        x = x + noise * np.random.default_rng(seed).standard_normal(len(t))
    return x


def true_peaks_s(beats_s: NDArray[np.float64], breath_bpm: float = 6.0,
                 dicrotic_share: float = DICROTIC_SHARE,
                 dicrotic_delay_s: float = DICROTIC_DELAY_S) -> NDArray[np.float64]:
    """The maximum of the noise-free signal near each beat, to 0.1 ms."""
    out = []
    for b in beats_s:
        grid = b + np.arange(-0.02, 0.08, 1e-4)
        neighbours = beats_s[np.abs(beats_s - b) < 2.0]
        wave = _clean(grid, neighbours, breath_bpm, None, dicrotic_share, dicrotic_delay_s)
        out.append(grid[int(np.argmax(wave))])
    return np.asarray(out)


def power_law_noise(n: int, alpha: float, seed: int = 0) -> NDArray[np.float64]:
    """n samples of 1/f^alpha noise (alpha 0 white, 1 pink, 2 brown), unit standard deviation.

    White Gaussian noise shaped in the frequency domain by f^(-alpha/2) (the DC bin zeroed).
    """
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 1 else 1.0
    spectrum *= f ** (-alpha / 2.0)
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / max(float(x.std()), 1e-12), dtype=np.float64)


def hand_motion(t_s: NDArray[np.float64], start_s: float, stop_s: float, size: float,
                seed: int = 0) -> NDArray[np.float64]:
    """A hand moving between start_s and stop_s: a few drifting sines of 0.5-4 Hz, a sudden DC shift
    and tremor, of typical size `size` (a pulse is about 1); zero outside the span."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(t_s))
    inside = (t_s >= start_s) & (t_s < stop_s)
    dt = t_s[inside] - start_s
    for _ in range(4):
        f_hz = rng.uniform(0.5, 4.0)
        out[inside] += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f_hz * dt + rng.uniform(0, 2 * np.pi))
    out[inside] += rng.choice([-1.0, 1.0]) * 0.8
    out[inside] += 0.3 * rng.standard_normal(int(inside.sum()))
    return size * out
