"""Pulses of other shapes and noise confined to the pulse's own band, with known systolic-peak times.

For the timing-estimate family (issue 7, fault 6): a fresh-clone tester found the per-beat timing estimate
misread on pulse shapes and noise that `synthetic_ppg` does not make:
- "gauss": a systolic Gaussian wave (sd 0.08 s) and a diastolic one half as tall 0.3 s after it (sd 0.1 s),
  the tester's shape (narrower than `synthetic_ppg`'s);
- "sharp": a fast upstroke, onset to peak in 0.1 s (a gamma-like wave u^4 e^(4 (1 - u)), u the time from onset
  in units of 0.1 s: curvature at the peak as a Gaussian of sd 0.05 s, but content far up the band), a slow
  fall, and a diastolic wave 0.3 as tall 0.35 s on;
- "ours": `synthetic_ppg`'s pulse.
Each rides on a 0.1 Hz baseline 0.3 of the pulse. `band_noise` is 1/f^alpha noise with nothing outside a band
(0.5-4 Hz: the pulse's own fundamental and first harmonics, e.g. a pressure wobble), unit SD.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from tests.device.signal.synthetic_ppg import _clean, power_law_noise

SHAPES = ("ours", "gauss", "sharp")
NOISES = ("white", "pink", "brown", "band")  # band: pink noise in 0.5-4 Hz only
BAND_HZ = (0.5, 4.0)
SHARP_RISE_S = 0.1
SHARP_ORDER = 4.0


def band_noise(n: int, fs_hz: float, seed: int, band_hz: tuple[float, float] = BAND_HZ,
               alpha: float = 1.0) -> NDArray[np.float64]:
    """n samples of 1/f^alpha Gaussian noise with no power outside `band_hz`, unit standard deviation."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs_hz)
    inside = (f >= band_hz[0]) & (f <= band_hz[1])
    spectrum = np.where(inside, spectrum * np.where(inside, f, 1.0) ** (-alpha / 2.0), 0.0)
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / max(float(x.std()), 1e-12), dtype=np.float64)


def noise(kind: str, n: int, fs_hz: float, seed: int) -> NDArray[np.float64]:
    """Unit-SD noise of a kind in NOISES."""
    if kind == "band":
        return band_noise(n, fs_hz, seed)
    alpha = {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind]
    return power_law_noise(n, alpha, seed)


def pulse_fn(shape: str, beats_s: NDArray[np.float64]) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """The noise-free pulse train of `shape` (SHAPES) with beats at `beats_s`, as a function of time (s)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown pulse shape {shape!r}")

    def wave(t_s: NDArray[np.float64]) -> NDArray[np.float64]:
        if shape == "ours":
            return _clean(t_s, beats_s, 6.0)
        out = np.zeros_like(t_s)
        for b in beats_s:
            lo, hi = np.searchsorted(t_s, [b - 0.6, b + 1.5])
            dt = t_s[lo:hi] - b
            if shape == "gauss":
                out[lo:hi] += np.exp(-0.5 * (dt / 0.08) ** 2) + 0.5 * np.exp(-0.5 * ((dt - 0.3) / 0.1) ** 2)
            else:
                u = np.maximum((dt + SHARP_RISE_S) / SHARP_RISE_S, 0.0)
                out[lo:hi] += (u**SHARP_ORDER * np.exp(SHARP_ORDER * (1.0 - u))
                               + 0.3 * np.exp(-0.5 * ((dt - 0.35) / 0.08) ** 2))
        return out + 0.3 * np.sin(2 * np.pi * 0.1 * t_s + 0.7)

    return wave


def peaks_s(wave: Callable[[NDArray[np.float64]], NDArray[np.float64]],
            beats_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """The maximum of the noise-free `wave` near each beat, to 0.1 ms (overlapping waves move it a little)."""
    out = []
    for b in beats_s:
        grid = b + np.arange(-0.1, 0.15, 1e-4)
        out.append(grid[int(np.argmax(wave(grid)))])
    return np.asarray(out)
