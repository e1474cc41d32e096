"""Cheaper stand-ins for numpy calls the pulse pipeline makes per beat and per check: the same numbers.

Each function here gives bit for bit what the numpy call it names gives (the same floating-point
operations in the same order, on arrays that do not change from call to call computed once and
cached), without that call's Python-level overhead (argument conversion, dispatch, building constant
arrays). tests/device/signal/test_exact.py checks each against numpy on random input with
`np.array_equal`; bench/check_pulse_same.py checks the whole pipeline against the revision before.
Source of each replica: numpy 2.x's own implementation (numpy/_core/function_base.py `linspace`,
numpy/lib/_polynomial_impl.py `polyfit`, numpy/lib/_function_base_impl.py `median`, numpy/_core/_methods.py
`_mean`, `_var`, `_std`). The HRV figures (device/signal/hrv.py, intervals.py, coherence.py) use them too;
bench/check_hrv_same.py checks those against the revision before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

SORT_BELOW = 64  # median(): Python's sort below this many values, np.partition from it on


@lru_cache(maxsize=16)
def _grid(num: int) -> NDArray[np.float64]:
    grid = np.arange(0, num, dtype=np.float64)
    grid.setflags(write=False)
    return grid


def linspace(start: float, stop: float, num: int) -> NDArray[np.float64]:
    """`np.linspace(start, stop, num)` (endpoint included; float64; num >= 2): (num,) new array.

    numpy's steps: delta = stop - start, step = delta / (num - 1); grid x step (or grid / (num - 1) x delta
    when the step underflows to 0), plus start; the last value set to stop.
    """
    if num < 2:
        return np.linspace(start, stop, num)
    div = num - 1
    delta = np.float64(stop) - np.float64(start)
    step = delta / div
    y = _grid(num) / div * delta if step == 0 else _grid(num) * step
    y += start
    y[-1] = stop
    return y


@lru_cache(maxsize=16)
def hanning(n: int) -> NDArray[np.float64]:
    """`np.hanning(n)` (n,), computed once per length (read-only)."""
    window = np.hanning(n)
    window.setflags(write=False)
    return window


@lru_cache(maxsize=16)
def rfftfreq(n: int, d: float) -> NDArray[np.float64]:
    """`np.fft.rfftfreq(n, d)` (n // 2 + 1,) in 1 / (units of d), computed once per (n, d) (read-only)."""
    freqs = np.asarray(np.fft.rfftfreq(n, d), dtype=np.float64)
    freqs.setflags(write=False)
    return freqs


def median(values: NDArray[np.float64]) -> float:
    """`float(np.median(values))` of a 1-D float64 array without NaN (ValueError if empty).

    numpy takes the middle value, or np.mean of the two middle values, which is (a + b) / 2 in float64
    (np.mean's sum starts from +0.0, so a middle -0.0 comes out as 0.0; so it does here).
    Here the middle values come from Python's sorted() for short arrays (below SORT_BELOW values, where a
    numpy call costs more than the sort) and from np.partition otherwise: the same values either way.
    """
    n = len(values)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    if n < SORT_BELOW:
        ordered = sorted(values.tolist())
        low, high = ordered[mid - 1], ordered[mid]
    else:
        part = np.partition(values, (mid - 1, mid))
        low, high = float(part[mid - 1]), float(part[mid])
    # numpy's mean of the middle value(s) adds them to a +0.0 (so -0.0 comes out as 0.0)
    return high + 0.0 if n % 2 else (low + (0.0 + high)) / 2


def median_nan(values: NDArray[np.float64]) -> float:
    """`float(np.median(values))` of any 1-D float64 array: `median` when no value is NaN (and, below
    SORT_BELOW values, not +inf beside -inf), numpy's own call otherwise (NaN; empty: NaN with numpy's
    warning)."""
    n = len(values)
    if n == 0 or n >= SORT_BELOW:
        if n == 0 or np.isnan(values).any():
            return float(np.median(values))
        return median(values)
    ordered = values.tolist()
    if math.isnan(sum(ordered)):  # NaN, or +inf and -inf: numpy's own steps
        return float(np.median(values))
    ordered.sort()
    mid = n // 2
    return ordered[mid] + 0.0 if n % 2 else (ordered[mid - 1] + (0.0 + ordered[mid])) / 2


def mean(x: NDArray[np.float64]) -> float:
    """`float(np.mean(x))` of a non-empty 1-D float64 array: numpy's pairwise sum over n."""
    return float(np.add.reduce(x) / x.size)


def var(x: NDArray[np.float64], ddof: int = 0) -> float:
    """`float(np.var(x, ddof=ddof))` of a 1-D float64 array longer than ddof: numpy's steps, the pairwise
    sum over n for the mean, the sum of the squared deviations from it over n - ddof."""
    deviation = x - np.add.reduce(x) / x.size
    np.multiply(deviation, deviation, out=deviation)
    return float(np.add.reduce(deviation) / (x.size - ddof))


def std(x: NDArray[np.float64], ddof: int = 0) -> float:
    """`float(np.std(x, ddof=ddof))` of a 1-D float64 array longer than ddof: the square root of `var`
    (IEEE square roots are correctly rounded, numpy's and math's alike)."""
    return math.sqrt(var(x, ddof))


@lru_cache(maxsize=16)
def _line_grid(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    x: NDArray[np.float64] = np.arange(n, dtype=np.float64)  # polyfit's arange(n) + 0.0
    lhs: NDArray[np.float64] = np.vander(x, 2)
    scale: NDArray[np.float64] = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    lhs.setflags(write=False)
    scale.setflags(write=False)
    return lhs, scale, n * float(np.finfo(np.float64).eps)


def line_fit(y: NDArray[np.float64]) -> tuple[np.float64, np.float64]:
    """(slope, intercept) `np.polyfit(np.arange(len(y)), y, 1)` gives for a 1-D float64 `y` of at least two
    values: the scaled Vandermonde matrix of 0..n-1 is kept per length (polyfit's steps otherwise,
    np.linalg.lstsq with rcond = n x eps, then unscaled)."""
    lhs, scale, rcond = _line_grid(len(y))
    solution = np.linalg.lstsq(lhs, y + 0.0, rcond)[0] / scale
    return solution[0], solution[1]


def mean_std(x: NDArray[np.float64]) -> tuple[float, float]:
    """(`float(x.mean())`, `float(x.std())`) of a non-empty 1-D float64 array, numpy's steps once each:
    the pairwise sum over n; the sum of the squared deviations from that mean over n; its square root."""
    n = x.size
    mean = np.add.reduce(x) / n
    deviation = x - mean
    np.multiply(deviation, deviation, out=deviation)
    return float(mean), float(np.sqrt(np.add.reduce(deviation) / n))


class QuadraticFit:
    """The x^2 coefficient `np.polyfit(x, y, 2)[0]` gives, for abscissae drawn from a few fixed grids.

    polyfit builds the Vandermonde matrix of x, scales its columns to unit norm, solves by
    np.linalg.lstsq (rcond = len(x) x eps) and unscales; all but the solve depends on x alone, so it is
    kept per grid (`key`, any hashable the caller ties to x; at most `max_grids` kept, oldest dropped).
    """

    def __init__(self, max_grids: int = 64) -> None:
        self._grids: dict[object, tuple[NDArray[np.float64], float, float]] = {}
        self._max = max_grids

    def x2_coefficient(self, key: object, x: Callable[[], NDArray[np.float64]], y: NDArray[np.float64]) -> float:
        """polyfit(x(), y, 2)[0] for 1-D float64 x(), y of equal length, x() of at least three distinct
        values (fewer: polyfit's RankWarning is not raised here). x is called only for a grid not kept."""
        grid = self._grids.get(key)
        if grid is None:
            lhs = np.vander(x() + 0.0, 3)
            scale = np.sqrt((lhs * lhs).sum(axis=0))
            lhs /= scale
            if len(self._grids) >= self._max:
                del self._grids[next(iter(self._grids))]
            grid = (lhs, float(scale[0]), len(lhs) * float(np.finfo(np.float64).eps))
            self._grids[key] = grid
        lhs, scale0, rcond = grid
        solution = np.linalg.lstsq(lhs, y + 0.0, rcond)[0]  # + 0.0: polyfit's own copy (-0 -> +0)
        return float(solution[0] / scale0)
