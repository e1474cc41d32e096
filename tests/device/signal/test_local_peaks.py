"""find_peaks(x, distance) without scipy gives scipy's answer, plateaus and ties included."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from device.errors import InputError
from device.signal.local_peaks import find_peaks


@pytest.mark.parametrize("seed", range(6))
def test_matches_scipy_on_generated_signals(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(300):
        n = int(rng.integers(0, 160))
        # Small integers make plateaus and equal heights (ties) common; normals make them rare.
        x = rng.integers(0, 5, size=n).astype(float) if trial % 2 else rng.normal(size=n)
        distance = None if trial % 7 == 0 else float(rng.uniform(1.0, 25.0))
        ours, _ = find_peaks(x, distance=distance)
        theirs, _ = scipy.signal.find_peaks(x, distance=distance)
        assert ours.tolist() == theirs.tolist(), (x.tolist(), distance)


def test_a_breathing_tachogram() -> None:
    t = np.arange(0, 64, 0.5)
    x = 60 + 5 * np.sin(2 * np.pi * t / 10.0)
    peaks, _ = find_peaks(x, distance=12)
    np.testing.assert_allclose(np.diff(t[peaks]), 10.0)


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError):
        find_peaks(np.zeros((3, 3)))
    with pytest.raises(InputError):
        find_peaks(np.array([0.0, 1.0, 0.0, 1.0, 0.0]), distance=0.5)


def test_the_parabolic_offset_finds_a_parabolas_vertex_between_samples() -> None:
    from device.signal.local_peaks import parabolic_offset

    for vertex in (-0.4, -0.1, 0.0, 0.25, 0.49):
        y = [-(x - vertex) ** 2 for x in (-1.0, 0.0, 1.0)]
        assert abs(parabolic_offset(*y) - vertex) < 1e-12
    assert parabolic_offset(1.0, 0.0, 1.0) == 0.0  # a minimum in the middle: no peak to refine
    assert parabolic_offset(2.0, 2.0, 2.0) == 0.0  # flat
