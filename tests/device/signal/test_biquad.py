"""The closed-form Butterworth band-pass and biquad filter give scipy.signal's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from device.errors import InputError
from device.signal.biquad import butter, lfilter, sosfilt_zi


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0, 200.0, 400.0])
@pytest.mark.parametrize("order", [2, 4])
@pytest.mark.parametrize("band_hz", [(0.5, 5.0), (0.7, 3.5), (1.0, 8.0)])
def test_design_matches_scipy(fs_hz: float, order: int, band_hz: tuple[float, float]) -> None:
    ours = butter(order, list(band_hz), "bandpass", fs=fs_hz, output="sos")
    theirs = scipy.signal.butter(order, list(band_hz), "bandpass", fs=fs_hz, output="sos")
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
    # Same initial state, relative to the state's size (the system is ill-conditioned at high rates).
    np.testing.assert_allclose(sosfilt_zi(ours), scipy.signal.sosfilt_zi(theirs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0, 200.0, 400.0])
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize(("btype", "edge_hz"), [("highpass", 0.5), ("highpass", 1.0), ("lowpass", 5.0),
                                                ("lowpass", 8.0)])
def test_low_and_high_pass_designs_match_scipy(fs_hz: float, order: int, btype: str, edge_hz: float) -> None:
    ours = butter(order, edge_hz, btype, fs=fs_hz, output="sos")
    theirs = scipy.signal.butter(order, edge_hz, btype, fs=fs_hz, output="sos")
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
    np.testing.assert_allclose(sosfilt_zi(ours), scipy.signal.sosfilt_zi(theirs), rtol=1e-10, atol=1e-12)


def test_pipeline_filter_is_bit_identical_to_scipy_at_100_hz() -> None:
    """The pulse pipeline's default: same coefficients, same recurrence, same output, chunk by chunk."""
    ours = butter(2, [0.5, 5.0], "bandpass", fs=100.0)
    theirs = scipy.signal.butter(2, [0.5, 5.0], "bandpass", fs=100.0, output="sos")
    assert np.array_equal(ours, theirs)
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(size=2000)) + 50.0 * np.sin(np.arange(2000) * 2 * np.pi * 1.2 / 100.0)
    zi_ours, zi_theirs = sosfilt_zi(ours) * x[0], scipy.signal.sosfilt_zi(theirs) * x[0]
    y_theirs, _ = scipy.signal.sosfilt(theirs, x, zi=zi_theirs)
    pieces = []
    for start in range(0, len(x), 10):
        y = x[start:start + 10]
        for k in range(len(ours)):
            y, zi_ours[k] = lfilter(ours[k, :3], ours[k, 3:], y, zi=zi_ours[k])
        pieces.append(y)
    np.testing.assert_allclose(np.concatenate(pieces), y_theirs, rtol=1e-12, atol=1e-9)


def test_step_from_steady_state_has_no_transient() -> None:
    sos = butter(2, [0.5, 5.0], "bandpass", fs=100.0)
    zi = sosfilt_zi(sos) * 7.0
    y = np.full(50, 7.0)
    for k in range(len(sos)):
        y, zi[k] = lfilter(sos[k, :3], sos[k, 3:], y, zi=zi[k])
    np.testing.assert_allclose(y, 0.0, atol=1e-12)  # a band-pass passes no DC


@pytest.mark.parametrize(("args", "kwargs"), [
    ((2, [0.5, 5.0], "lowpass"), {"fs": 100.0}),
    ((3, 5.0, "lowpass"), {"fs": 100.0}),
    ((1, 0.5, "bandstop"), {"fs": 100.0}),
    ((3, [0.5, 5.0], "bandpass"), {"fs": 100.0}),
    ((2, [5.0, 0.5], "bandpass"), {"fs": 100.0}),
    ((2, [0.5, 60.0], "bandpass"), {"fs": 100.0}),
    ((2, [0.5, 5.0], "bandpass"), {"fs": 100.0, "output": "ba"}),
])
def test_unsupported_designs_are_refused(args: tuple, kwargs: dict) -> None:
    with pytest.raises(InputError):
        butter(*args, **kwargs)
