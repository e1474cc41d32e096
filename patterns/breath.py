"""Breathing shapes: how full the lungs should be at a given pacer phase.

A breath is four segments in the proportions of a `BreathShape`: inhale (rise), hold after the
in-breath, exhale (fall), hold after the out-breath. Rise and fall use a raised-cosine ease, so the
level is continuous and its first derivative is continuous (zero) at every segment boundary; because
the pacer's phase is itself continuous with a continuous rate (`PacerSnapshot.rebased`), the level
never jumps, even while the rate glides.

All functions are pure and vectorised: they take phase in cycles (any real number; the fractional part
is the position within a breath, 0 = start of the in-breath) and return numpy arrays.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError
from patterns.state import BreathShape


class Segment(IntEnum):
    """Which part of the breath a phase falls in."""

    INHALE = 0
    HOLD_IN = 1
    EXHALE = 2
    HOLD_OUT = 3


@lru_cache(maxsize=32)
def segment_bounds(shape: BreathShape) -> NDArray[np.float64]:
    """Phase (fraction of a cycle) at which each segment starts, plus 1.0 at the end: shape (5,).

    Cached per shape (shapes are frozen); the returned array is read-only.
    """
    parts = np.array([shape.inhale, shape.hold_in, shape.exhale, shape.hold_out], dtype=float)
    bounds = np.concatenate(([0.0], np.cumsum(parts) / shape.total))
    bounds[-1] = 1.0  # exact, whatever the rounding of the sum
    bounds.setflags(write=False)
    return bounds


def breath_segment(
    phase_cycles: ArrayLike, shape: BreathShape
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Segment label (`Segment` values) and progress 0..1 within that segment, per phase.

    Zero-length holds are never reported: a phase on their boundary belongs to the next segment.
    """
    frac = _fraction(phase_cycles)
    bounds = segment_bounds(shape)
    # side="right": a phase exactly on a boundary starts the later segment; empty segments are skipped.
    seg = np.searchsorted(bounds, frac, side="right") - 1
    seg = np.clip(seg, 0, 3)
    start = bounds[seg]
    length = bounds[seg + 1] - start
    progress = np.divide(frac - start, length, out=np.zeros_like(frac), where=length > 0)
    return seg.astype(np.int8), np.clip(progress, 0.0, 1.0)


_RAMP_LEVELS = np.array([0.0, 1.0, 1.0, 0.0, 0.0])


def _fraction(phase_cycles: ArrayLike) -> NDArray[np.float64]:
    """Position within the breath, 0 <= x < 1 (x - floor(x): several times faster than np.mod)."""
    phase = np.asarray(phase_cycles, dtype=float)
    frac = phase - np.floor(phase)
    return np.where(frac >= 1.0, 0.0, frac)  # -1e-17 - floor(-1e-17) rounds to 1.0


def _ease(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Raised-cosine ease 0 -> 1 on x in 0..1, with zero slope at both ends."""
    return 0.5 - 0.5 * np.cos(np.pi * x)


def breath_level(phase_cycles: ArrayLike, shape: BreathShape) -> NDArray[np.float64]:
    """Lung fullness 0..1 (0 = empty, 1 = full) at the given pacer phase(s), in cycles.

    Inhale eases 0 -> 1, hold-in stays at 1, exhale eases 1 -> 0, hold-out stays at 0.
    """
    frac = _fraction(phase_cycles)
    # A piecewise-linear 0-1-1-0-0 ramp over the segments, eased: the raised cosine is symmetric,
    # so easing the falling ramp gives exactly 1 - ease(progress) on the exhale.
    ramp = np.interp(frac, segment_bounds(shape), _RAMP_LEVELS)
    return _ease(ramp)


def _smooth_ramp(x: NDArray[np.float64], width: float) -> NDArray[np.float64]:
    """0 at x <= 0 rising to 1 at x >= width (width > 0) along a smoothstep: zero slope at both ends,
    like the raised cosine but a polynomial, cheap enough for every audio sample."""
    u = np.clip(x / width, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def exhale_envelope(
    phase_cycles: ArrayLike,
    shape: BreathShape,
    attack_fraction: float = 0.15,
    release_fraction: float = 0.3,
) -> NDArray[np.float64]:
    """Loudness envelope 0..1 for a sound on the out-breath; 0 everywhere outside the exhale.

    Within the exhale it rises over the first `attack_fraction` and falls over the last
    `release_fraction` of the segment along smoothsteps, so it starts and ends with zero slope
    (no clicks whatever the breathing rate). Fractions are of the exhale's length, each in (0, 1].
    """
    seg, progress = breath_segment(phase_cycles, shape)
    return exhale_envelope_of(seg, progress, attack_fraction, release_fraction)


def exhale_envelope_of(
    seg: NDArray[np.int8],
    progress: NDArray[np.float64],
    attack_fraction: float = 0.15,
    release_fraction: float = 0.3,
) -> NDArray[np.float64]:
    """`exhale_envelope` from an already computed `breath_segment` (saves segmenting twice)."""
    if not (0 < attack_fraction <= 1 and 0 < release_fraction <= 1):
        raise InputError(f"attack/release fractions must be in (0, 1]: {attack_fraction}, {release_fraction}")
    envelope = np.zeros(np.shape(progress))
    exhaling = seg == Segment.EXHALE
    x = progress[exhaling]
    envelope[exhaling] = _smooth_ramp(x, attack_fraction) * _smooth_ramp(1.0 - x, release_fraction)
    return envelope
