"""Pulses whose systolic peak is a corner, with known peak times, as integer sensor codes.

A fresh-clone tester's clean pulses with a sharp (kinked) upstroke got no heart rate at 180/min and 100
samples/s, or half of it at 25 samples/s (issue 7). This family makes the kind from a two-element windkessel
(Frank 1899; Westerhof et al. 2009, doi:10.1007/s11517-008-0359-2): during ejection the arterial volume
follows the integral of a Gaussian ejection flow (an error-function upstroke that levels off as the flow
ends); when the valve closes it runs off exponentially with the windkessel's time constant. The peak is where
ejection ends: a corner between a top that is flat to within an ADC code or two and a steep fall, so it has no
curvature, and at 1 % perfusion the top rounds to the same code for several samples at 100 samples/s.

Units are the MAX30102's: a DC level of 1e5 codes, a pulse 1 % of it, rounded to whole codes, signed so that
the systolic peak is up (as device/sensor_channel.py hands samples to the pipeline).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

LEVEL = 1.0e5  # DC level, ADC codes
DEPTH = 0.01  # pulse depth, share of the level
EJECTION_END_SD = 4.5  # ejection ends this many sd of its Gaussian flow after the flow's peak


def beat_times(hr_bpm: float, duration_s: float, rmssd_ms: float, seed: int) -> NDArray[np.float64]:
    """Peak times (s) at `hr_bpm` with a breathing swing (0.25 Hz) and white jitter whose successive
    differences give about `rmssd_ms`; the first beat at 0.5 s, the last before `duration_s`."""
    rng = np.random.default_rng(seed)
    rr_s = 60.0 / hr_bpm
    n = int(duration_s / rr_s) + 2
    k = np.arange(n)
    swing = np.sin(2.0 * np.pi * 0.25 * k * rr_s + rng.uniform(0.0, 2.0 * np.pi)) + rng.standard_normal(n)
    swing *= rmssd_ms / 1000.0 / max(float(np.sqrt(np.mean(np.diff(swing) ** 2))), 1e-12)
    times = 0.5 + np.cumsum(rr_s + swing)
    return times[times < duration_s]


def volume(t_s: NDArray[np.float64], beats_s: NDArray[np.float64], rise_s: float, run_off: float,
           mean_interval_s: float) -> NDArray[np.float64]:
    """Arterial volume at `t_s` (s; a pulse's peak is 1) of windkessel pulses whose ejection ends at `beats_s`.

    `rise_s`: the upstroke's 10-90 % rise time (2.56 sd of the Gaussian ejection flow); ejection ends
    EJECTION_END_SD sd after the flow's peak, when the flow has all but stopped (aortic flow falls to zero
    before the valve closes), so the top is flat to within a code for its last sd or so; `run_off`: the
    run-off's time constant as a share of `mean_interval_s`. Where the last beat's run-off still falls
    faster than the upstroke rises, the sum peaks before the corner, on the flat top (`true_peaks_s`)."""
    sd_s, tau_s = rise_s / 2.56, run_off * mean_interval_s
    end_s = EJECTION_END_SD * sd_s  # from the flow's peak to the end of ejection, the pulse's peak
    top = 0.5 * (1.0 + math.erf(EJECTION_END_SD / math.sqrt(2.0)))
    out = np.zeros_like(t_s)
    for peak_s in beats_s:
        lo, hi = np.searchsorted(t_s, [peak_s - 2.0 * end_s, peak_s + 10.0 * tau_s])
        dt = t_s[lo:hi] - peak_s  # 0 at the end of ejection
        rise = 0.5 * (1.0 + _erf((dt + end_s) / (sd_s * math.sqrt(2.0))))
        out[lo:hi] += np.where(dt <= 0.0, rise, top * np.exp(-np.maximum(dt, 0.0) / tau_s)) / top
    return out


def kinked_ppg(beats_s: NDArray[np.float64], fs_hz: float, duration_s: float, rise_s: float,
               run_off: float) -> NDArray[np.float64]:
    """Integer-code PPG (systolic peak up) of `volume`'s pulses, `duration_s` long at `fs_hz`."""
    t_s = np.arange(round(duration_s * fs_hz)) / fs_hz
    blood = volume(t_s, beats_s, rise_s, run_off, _mean_interval(beats_s))
    codes = np.round(LEVEL * (1.0 - DEPTH * blood))  # more blood, less light
    return np.asarray(-codes, dtype=np.float64)


def true_peaks_s(beats_s: NDArray[np.float64], rise_s: float, run_off: float) -> NDArray[np.float64]:
    """Where the noise-free sum of pulses peaks near each beat (s, to 0.1 ms): the corner, or a little before
    it where the beat before still runs off."""
    out = []
    rr_s = _mean_interval(beats_s)
    for i, b in enumerate(beats_s):
        grid = b + np.arange(-0.15, 0.02, 1e-4)
        near = beats_s[max(0, i - 3):i + 2]  # a run-off has fallen to e^-12 or less three beats on
        out.append(grid[int(np.argmax(volume(grid, near, rise_s, run_off, rr_s)))])
    return np.asarray(out)


def _mean_interval(beats_s: NDArray[np.float64]) -> float:
    return float(np.mean(np.diff(beats_s))) if len(beats_s) > 1 else 1.0


def _erf(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.vectorize(math.erf, otypes=[float])(x), dtype=np.float64)
