"""Local maxima of a 1-D signal kept at least a distance apart: scipy.signal.find_peaks(x, distance=d)
without importing scipy (which costs the daemon most of its start-up time and memory).

The method is scipy's (and tested against it in tests/device/signal/test_local_peaks.py): a peak is a
sample higher than its left neighbour and higher than the first different sample to its right (a flat
top counts once, at its middle, rounded down); then, highest first, each kept peak removes the lower
peaks closer than `distance` samples, ties broken in numpy.argsort's order as scipy breaks them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError


def local_maxima(x: NDArray[np.float64]) -> NDArray[np.intp]:
    """Indices of the local maxima of `x` (flat tops at their middle, rounded down); ends excluded.

    Vectorised over runs of equal values: a run higher than the runs either side of it is a maximum,
    unless it touches either end of `x`.
    """
    n = len(x)
    if n < 3:
        return np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
    ends = np.concatenate((starts[1:], [n])) - 1
    v = x[starts]
    inner = (v[1:-1] > v[:-2]) & (v[1:-1] > v[2:])
    k = np.flatnonzero(inner) + 1
    return np.asarray((starts[k] + ends[k]) // 2, dtype=np.intp)


def find_peaks(x: ArrayLike, distance: float | None = None) -> tuple[NDArray[np.intp], dict[str, Any]]:
    """(peak indices, {}) of the 1-D signal `x`, peaks at least `distance` (>= 1) samples apart.

    Same call and answer as scipy.signal.find_peaks(x, distance=distance) for these arguments.
    InputError for a non-1-D `x` or a distance below 1.
    """
    signal = np.asarray(x, dtype=float)
    if signal.ndim != 1:
        raise InputError(f"x must be one-dimensional, got shape {signal.shape}")
    peaks = local_maxima(signal)
    if distance is None or len(peaks) < 2:
        return peaks, {}
    if not distance >= 1:
        raise InputError(f"distance must be >= 1 sample, got {distance}")
    gap = math.ceil(distance)
    positions = peaks.tolist()
    keep = [True] * len(positions)
    for j in np.argsort(signal[peaks])[::-1].tolist():
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and positions[j] - positions[k] < gap:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(positions) and positions[k] - positions[j] < gap:
            keep[k] = False
            k += 1
    return peaks[np.array(keep, dtype=bool)], {}


def parabolic_offset(y0: float, y1: float, y2: float) -> float:
    """Where the parabola through three equally spaced samples (-1, 0, +1) peaks, in samples from the middle
    one; 0.0 when the middle sample is not a maximum (the parabola opens upward or is flat). Within
    -0.5..0.5 whenever y1 is the largest of the three."""
    denom = y0 - 2.0 * y1 + y2
    return float(0.5 * (y0 - y2) / denom) if denom < 0 else 0.0


def parabolic_top(y0: float, y1: float, y2: float) -> float:
    """The height of the parabola through three equally spaced samples at its vertex; y1 when y1 is below
    either neighbour (the vertex would lie outside the three) or the parabola does not open downward. For a
    minimum, pass the samples negated.
    A sampled maximum of a peak of curvature c lies up to c T^2 / 8 below the peak (T the sample interval),
    by an amount that depends on where between samples the peak fell; the vertex recovers that up to the
    peak's departure from a parabola over +-T (third and fourth order in T)."""
    if y1 < y0 or y1 < y2:
        return y1
    return y1 - 0.25 * (y0 - y2) * parabolic_offset(y0, y1, y2)
