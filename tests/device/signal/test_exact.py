"""device/signal/exact.py gives bit for bit what the numpy calls it stands in for give."""

from __future__ import annotations

import numpy as np
import pytest

from device.signal.exact import (
    SORT_BELOW,
    QuadraticFit,
    hanning,
    line_fit,
    linspace,
    mean,
    mean_std,
    median,
    median_nan,
    rfftfreq,
    std,
    var,
)


def test_linspace_is_numpys() -> None:
    rng = np.random.default_rng(1)
    cases = [(0.0, 1.0), (1e5, 1e5), (-3.0, 3.0), (5e-324, 1e-323), (1e300, -1e300), (0.1, 0.1 + 1e-17)]
    cases += [tuple(rng.normal(scale=10.0 ** rng.integers(-5, 6), size=2).tolist()) for _ in range(300)]
    for num in (2, 3, 51, 61, 401):
        for start, stop in cases:
            a, b = np.float64(start), np.float64(stop)
            assert np.array_equal(linspace(a, b, num), np.linspace(a, b, num)), (start, stop, num)
    assert np.array_equal(linspace(2.0, 3.0, 1), np.linspace(2.0, 3.0, 1))


@pytest.mark.parametrize("n", [1, 2, 3, 6, 7, SORT_BELOW - 1, SORT_BELOW, SORT_BELOW + 1, 410, 411])
def test_median_is_numpys(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(50):
        x = rng.exponential(size=n) * 10.0 ** rng.integers(-8, 8)
        if n > 3:
            x[: n // 3] = x[0]  # ties
        assert median(x) == float(np.median(x))
        assert median_nan(x) == float(np.median(x))
    with pytest.raises(ValueError):
        median(np.empty(0))


def _same(a: float, b: float) -> bool:
    """The same float64 bits (NaN is NaN, -0.0 is not 0.0)."""
    return float(a).hex() == float(b).hex()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, SORT_BELOW - 1, SORT_BELOW, SORT_BELOW + 1, 460])
def test_median_of_signed_zeros_infinities_and_nan_is_numpys(n: int) -> None:
    rng = np.random.default_rng(100 + n)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, 1.0, -1.0])
    for _ in range(60):
        x = rng.choice(specials, size=n)
        with np.errstate(invalid="ignore"):  # +inf beside -inf: numpy's own mean warns
            expected = float(np.median(x))
            assert _same(median_nan(x), expected), x
        if not np.isnan(x).any():
            assert _same(median(x), expected), x
        x[rng.integers(n)] = np.nan
        with np.errstate(invalid="ignore"):
            assert _same(median_nan(x), float(np.median(x)))  # NaN, as numpy gives


def test_mean_var_and_std_are_numpys() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 7, 8, 9, 46, 129, 300, 1001):
        for _ in range(30):
            x = rng.normal(loc=rng.normal() * 1e3, scale=10.0 ** rng.integers(-6, 6), size=n)
            assert _same(mean(x), float(np.mean(x)))
            assert _same(var(x), float(np.var(x))) and _same(std(x), float(np.std(x)))
            if n > 1:
                assert _same(var(x, ddof=1), float(np.var(x, ddof=1)))
                assert _same(std(x, ddof=1), float(x.std(ddof=1)))
    x = np.arange(10.0)
    assert _same(mean(x[::3]), float(np.mean(x[::3])))  # strided views too


def test_the_line_fit_is_polyfits() -> None:
    rng = np.random.default_rng(5)
    for n in (2, 3, 8, 17, 64, 128, 129, 200):
        for _ in range(20):
            y = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4) + rng.normal() * np.arange(n)
            slope, intercept = line_fit(y)
            expected = np.polyfit(np.arange(n), y, 1)
            assert _same(slope, expected[0]) and _same(intercept, expected[1])
            t = np.arange(n)
            assert np.array_equal(slope * t + intercept, expected[0] * t + expected[1])


def test_mean_and_std_are_numpys() -> None:
    rng = np.random.default_rng(2)
    for n in (1, 2, 46, 300, 1001):
        for _ in range(30):
            x = rng.normal(loc=rng.normal() * 1e3, scale=10.0 ** rng.integers(-6, 6), size=n)
            mean, std = mean_std(x)
            assert mean == float(x.mean()) and std == float(x.std())
            assert mean_std(x[::1]) == (mean, std)


def test_the_quadratic_coefficient_is_polyfits() -> None:
    fit = QuadraticFit(max_grids=4)  # small, so grids are dropped and measured again
    rng = np.random.default_rng(3)
    for _ in range(400):
        lo, hi = int(rng.integers(-30, -1)), int(rng.integers(3, 31))  # at least five points, as used
        t_s = np.arange(lo, hi) / 1000.0
        y = rng.normal(size=len(t_s)) - 50.0 * t_s**2
        assert fit.x2_coefficient((lo, hi), lambda grid=t_s: grid, y) == float(np.polyfit(t_s, y, 2)[0])


def test_cached_windows_and_frequencies_are_numpys_and_read_only() -> None:
    for n in (7, 51, 600):
        assert np.array_equal(hanning(n), np.hanning(n))
        assert np.array_equal(rfftfreq(8 * n, 0.01), np.fft.rfftfreq(8 * n, 0.01))
        with pytest.raises(ValueError):
            hanning(n)[0] = 1.0
