"""The simulated heart's resonator and jitter without scipy give scipy's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import iirpeak, lfilter, lfilter_zi
from scipy.special import ndtri

from device.signal.biquad import lfilter as biquad_lfilter
from sim.heart import _inverse_normal, resonator


@pytest.mark.parametrize(("f0_hz", "q"), [(0.1, 2.0), (5.5 / 60, 1.7), (6.5 / 60, 2.4), (0.3, 0.7)])
def test_the_resonator_is_scipys_iirpeak_and_filters_the_same(f0_hz: float, q: float) -> None:
    b, a = resonator(f0_hz, q, 10.0)
    b_ref, a_ref = iirpeak(f0_hz, q, fs=10.0)
    np.testing.assert_allclose(b, b_ref, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(a, a_ref, rtol=1e-14, atol=1e-16)
    x = np.random.default_rng(3).standard_normal(3000)
    y, _ = biquad_lfilter(b, a, x, zi=np.zeros(2))
    y_ref, _ = lfilter(b_ref, a_ref, x, zi=np.zeros(2))
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    assert np.isclose(np.abs(np.polyval(b[::-1], np.exp(-2j * np.pi * f0_hz / 10.0))
                             / np.polyval(a[::-1], np.exp(-2j * np.pi * f0_hz / 10.0))), 1.0)  # unity peak
    assert lfilter_zi(b_ref, a_ref).shape == (2,)


def test_the_inverse_normal_is_scipys_ndtri() -> None:
    u = np.random.default_rng(4).random(20000)
    u = np.concatenate([u, [1e-12, 1 - 1e-12, 0.5]])
    np.testing.assert_allclose(_inverse_normal(u), ndtri(u), rtol=1e-12, atol=1e-12)
