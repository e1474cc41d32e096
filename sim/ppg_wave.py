"""Fingertip photoplethysmogram pieces: the shape of one pulse, pulse trains, motion artifacts.

One pulse is a fast systolic upstroke, a dicrotic notch, a diastolic (reflected) wave and a slow
run-off, modelled as a sum of Gaussians (after the multi-Gaussian PPG models compared by
Tang et al. 2020, doi:10.1088/1361-6579/ab6b41). Time is measured from the systolic peak, which is
where the pulse is largest, so a beat's stored time is the time a PPG peak detector should find.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

PULSE_BEFORE_S = 0.30  # a pulse starts (foot) at most this long before its systolic peak
PULSE_AFTER_S = 1.10  # ...and has run off this long after it

# (amplitude, centre s, SD before the centre s, SD after the centre s), before normalisation.
_COMPONENTS = (
    (1.00, 0.000, 0.075, 0.100),  # systolic wave
    (0.34, 0.300, 0.070, 0.080),  # diastolic (reflected) wave; the notch sits between the two
    (0.16, 0.380, 0.200, 0.250),  # slow diastolic run-off toward the next foot
)


def _raw_shape(tau_s: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.zeros_like(tau_s)
    for amp, centre, sd_before, sd_after in _COMPONENTS:
        d = tau_s - centre
        sd = np.where(d < 0.0, sd_before, sd_after)
        out += amp * np.exp(-0.5 * (d / sd) ** 2)
    return out


def _calibrate() -> tuple[float, float]:
    """Offset that puts the summed shape's maximum at tau = 0, and the scale that makes it 1."""
    tau = np.linspace(-0.1, 0.1, 4001)
    raw = _raw_shape(tau)
    i = int(np.argmax(raw))
    return float(tau[i]), float(raw[i])


_PEAK_OFFSET_S, _PEAK_VALUE = _calibrate()


def pulse_shape(tau_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Blood volume of one pulse, peak 1 at tau_s = 0 (systolic peak), 0 outside its support."""
    tau = np.asarray(tau_s, dtype=float)
    inside = (tau >= -PULSE_BEFORE_S) & (tau <= PULSE_AFTER_S)
    return np.where(inside, _raw_shape(tau + _PEAK_OFFSET_S) / _PEAK_VALUE, 0.0)


# The shape tabulated at 1 ms: rendering interpolates the table instead of evaluating Gaussians.
_TABLE_TAU_S = np.linspace(-PULSE_BEFORE_S, PULSE_AFTER_S, round((PULSE_BEFORE_S + PULSE_AFTER_S) * 1000) + 1)
_TABLE = pulse_shape(_TABLE_TAU_S)


def render_pulses(
    t_s: NDArray[np.float64], peak_times_s: NDArray[np.float64], amplitudes: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Sum of the pulses of beats with systolic peaks at peak_times_s (increasing), at times t_s."""
    out = np.zeros(len(t_s))
    if len(peak_times_s) == 0 or len(t_s) == 0:
        return out
    # Newest beat whose pulse has started by each t; older ones overlap until their run-off ends.
    newest = np.searchsorted(peak_times_s, t_s + PULSE_BEFORE_S, side="right") - 1
    for back in range(len(peak_times_s)):
        idx = newest - back
        valid = idx >= 0
        safe = np.where(valid, idx, 0)
        tau = t_s - peak_times_s[safe]
        valid &= tau <= PULSE_AFTER_S
        if not valid.any():
            break
        shape = np.interp(tau, _TABLE_TAU_S, _TABLE, left=0.0, right=0.0)
        out += np.where(valid, amplitudes[safe] * shape, 0.0)
    return out


class MotionArtifacts:
    """Poisson-timed movements of the hand: a few seconds of large, slow disturbance each.

    Deterministic for a given generator: every event draws the same numbers in order, whatever the
    chunking of the requests. Memory holds only the events still in progress.
    """

    def __init__(self, rate_per_hour: float, amplitude: float, rng: np.random.Generator) -> None:
        """amplitude: typical disturbance size in blood-volume units (a pulse is about 1)."""
        self._mean_gap_s = math.inf if rate_per_hour <= 0 else 3600.0 / rate_per_hour
        self._amplitude = amplitude
        self._rng = rng
        self._next_s = float(rng.exponential(self._mean_gap_s)) if rate_per_hour > 0 else math.inf
        # Each event: start s, duration s, amplitude, DC sign, f1 Hz, phase1, f2 Hz, phase2.
        self._events: list[tuple[float, ...]] = []

    def render(self, t_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """Disturbance at increasing times t_s (blood-volume units, 0 when still)."""
        out = np.zeros(len(t_s))
        if len(t_s) == 0:
            return out
        while self._next_s <= t_s[-1]:
            u = self._rng.random(7)
            self._events.append((
                self._next_s, 1.0 + 3.0 * u[0], self._amplitude * (0.5 + 1.5 * u[1]),
                1.0 if u[2] < 0.5 else -1.0, 0.4 + 2.0 * u[3], 2 * np.pi * u[4], 1.0 + 2.5 * u[5],
                2 * np.pi * u[6],
            ))
            self._next_s += float(self._rng.exponential(self._mean_gap_s))
        self._events = [e for e in self._events if e[0] + e[1] >= t_s[0]]
        for start, dur, amp, sign, f1, p1, f2, p2 in self._events:
            lo, hi = np.searchsorted(t_s, [start, start + dur])
            if lo == hi:
                continue
            dt = t_s[lo:hi] - start
            env = np.sin(np.pi * dt / dur)
            wobble = np.sin(2 * np.pi * f1 * dt + p1) + 0.5 * np.sin(2 * np.pi * f2 * dt + p2)
            out[lo:hi] += amp * env * (0.8 * sign * env + wobble)
        return out


def placement_transient(t_s: NDArray[np.float64], placed_at_s: float, amplitude: float,
                        settle_s: float = 0.8) -> NDArray[np.float64]:
    """The fingertip settling after it lands: a decaying offset starting at placed_at_s."""
    dt = t_s - placed_at_s
    return np.where(dt >= 0.0, amplitude * np.exp(-np.maximum(dt, 0.0) / settle_s), 0.0)
