"""The artifact correction's centred windows: the quantiles read from sorted strided windows are, bit for bit,
those the NaN-padded windows gave before (device/signal/artifacts.py at eff4598), at every series length."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.artifacts import (
    MEDIAN_BEATS,
    NORMAL_QUANTILE,
    THRESHOLD_BEATS,
    _normal_spread,
    _odd_at_most,
    _rolling_quantiles,
    _sorted_windows,
    classify_intervals,
)
from tests.device.signal.synthetic_rr import sinus_intervals, with_ectopy


def _padded_windows(x: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    half = width // 2
    padded = np.full(len(x) + 2 * half, np.nan)
    padded[half:half + len(x)] = x
    return sliding_window_view(padded, width)


def _quantiles_before(x: NDArray[np.float64], width: int, quantiles: tuple[float, ...]) -> list[NDArray[np.float64]]:
    """The rolling quantiles as computed before: NaN padding, counted per row."""
    ordered = np.sort(_padded_windows(x, width), axis=1)
    count = np.sum(~np.isnan(ordered), axis=1)
    rows = np.arange(len(x))
    out = []
    for q in quantiles:
        pos = (count - 1) * q
        below = np.floor(pos).astype(int)
        above = np.minimum(below + 1, count - 1)
        low, high = ordered[rows, below], ordered[rows, above]
        out.append(low + (high - low) * (pos - below))
    return out


def _series(n: int, seed: int) -> list[NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    rr = sinus_intervals(n, seed)
    ties = np.round(rr / 8.0) * 8.0  # ties, as 125 Hz beat times give
    return [rr, with_ectopy(rr, 3, 0.3, seed), ties, np.abs(np.diff(rr, prepend=rr[0])), rng.exponential(size=n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 11, 12, 45, 69, 70, 90, 91, 92, 150, 300])
def test_rolling_quantiles_are_the_padded_windows_ones(n: int) -> None:
    for x in _series(n, n):
        for width in {_odd_at_most(MEDIAN_BEATS, n), _odd_at_most(THRESHOLD_BEATS, n)}:
            for quantiles in ((0.5,), (0.25, 0.75), (NORMAL_QUANTILE,)):
                new = _rolling_quantiles(x, width, quantiles)
                old = _quantiles_before(x, width, quantiles)
                assert all(np.array_equal(a, b) for a, b in zip(new, old, strict=True)), (n, width, quantiles)


@pytest.mark.parametrize("n", [4, 5, 6, 11, 12, 70, 200])
def test_the_median_of_the_neighbours_is_nanmedians(n: int) -> None:
    for x in _series(n, 50 + n):
        width = _odd_at_most(MEDIAN_BEATS, n)
        windows = _padded_windows(x, width).copy()
        windows[:, width // 2] = np.nan
        deviation = np.abs(x - np.nanmedian(windows, axis=1))
        (q,) = _quantiles_before(deviation, _odd_at_most(THRESHOLD_BEATS, n), (NORMAL_QUANTILE,))
        assert np.array_equal(_normal_spread(x), q / 0.2533)


def test_sorted_windows_hold_each_windows_values_then_padding() -> None:
    x = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    assert _sorted_windows(x, 3).tolist() == [[1.0, 5.0, np.inf], [1.0, 4.0, 5.0], [1.0, 2.0, 4.0],
                                              [2.0, 3.0, 4.0], [2.0, 3.0, np.inf]]
    assert _sorted_windows(x, 3, centre_out=True).tolist() == [[1.0, np.inf, np.inf], [4.0, 5.0, np.inf],
                                                               [1.0, 2.0, np.inf], [3.0, 4.0, np.inf],
                                                               [2.0, np.inf, np.inf]]


def test_classification_refuses_nonsense() -> None:
    for bad in ([800.0, np.nan, 800.0, 810.0], [800.0, -5.0, 800.0, 790.0], [[800.0, 810.0]]):
        with pytest.raises(InputError):
            classify_intervals(np.array(bad))
