"""biquad.SideBySide, the pulse pipeline's band-passes in one loop: bit for bit the chained per-sample
`lfilter` it replaced, and scipy.signal.sosfilt's numbers to rounding, from any state, in chunks of any length."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.biquad import SideBySide, butter, lfilter, sosfilt_zi
from device.signal.pulse import (
    BAND_HIGH_HZ,
    BAND_LOW_HZ,
    HIGH_PASS_ORDER,
    JUDGE_ORDER,
    LOW_PASS_ORDER,
)


def pipeline_cascades(fs_hz: float) -> list[NDArray[np.float64]]:
    """The picking and the judging band-pass of device/signal/pulse.py at `fs_hz`."""
    picking = np.vstack([butter(HIGH_PASS_ORDER, BAND_LOW_HZ, "highpass", fs=fs_hz),
                         butter(LOW_PASS_ORDER, BAND_HIGH_HZ, "lowpass", fs=fs_hz)])
    judging = butter(JUDGE_ORDER, [BAND_LOW_HZ, BAND_HIGH_HZ], "bandpass", fs=fs_hz)
    return [picking, judging]


def chained(cascades: list[NDArray[np.float64]], x: NDArray[np.float64],
            state: tuple[float, ...]) -> tuple[list[NDArray[np.float64]], tuple[float, ...]]:
    """What the pipeline ran before: lfilter section by section, cascade by cascade."""
    outputs, new_state, k = [], [], 0
    for sos in cascades:
        y = x
        for row in sos:
            y, z = lfilter(row[:3], row[3:], y, zi=np.array(state[k:k + 2]))
            new_state += z.tolist()
            k += 2
        outputs.append(y)
    return outputs, tuple(new_state)


def ppg_like(n: int, seed: int) -> NDArray[np.float64]:
    """A MAX30102-like level (1e5 codes) with a 1 % pulse, drift and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 100.0
    return 1e5 + 1e3 * np.sin(2 * np.pi * 1.1 * t) ** 7 + np.cumsum(rng.normal(size=n)) + rng.normal(size=n)


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
def test_every_chunk_length_from_any_state_is_bit_identical_to_chained_lfilter(fs_hz: float) -> None:
    cascades = pipeline_cascades(fs_hz)
    assert [len(c) for c in cascades] == [2, 2]  # the written-out path is the one under test
    filters = SideBySide(cascades)
    rng = np.random.default_rng(int(fs_hz))
    x = ppg_like(200, seed=1)
    for n in range(1, 201):
        state = tuple(rng.normal(scale=1e4, size=8).tolist())  # any state, not only steady ones
        ours, our_state = filters.run(x[:n], state)
        theirs, their_state = chained(cascades, x[:n], state)
        assert our_state == their_state
        for a, b in zip(ours, theirs, strict=True):
            assert a.shape == (n,) and a.dtype == np.float64
            assert np.array_equal(a, b)


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
def test_a_stream_in_chunks_gives_scipy_sosfilt_numbers(fs_hz: float) -> None:
    cascades = pipeline_cascades(fs_hz)
    filters = SideBySide(cascades)
    x = ppg_like(3000, seed=2)
    rng = np.random.default_rng(7)
    state = filters.steady_state(x[0])
    pieces: list[list[NDArray[np.float64]]] = [[], []]
    first = 0
    while first < len(x):
        n = int(rng.integers(1, 201))
        out, state = filters.run(x[first:first + n], state)
        for piece, y in zip(pieces, out, strict=True):
            piece.append(y)
        first += n
    for k, sos in enumerate(cascades):
        expected, final = scipy.signal.sosfilt(sos, x, zi=scipy.signal.sosfilt_zi(sos) * x[0])
        got = np.concatenate(pieces[k])
        # rounding only: relative to the level the state carries (1e5), not to the band-passed swing
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(x).max())
        np.testing.assert_allclose(state[4 * k:4 * k + 4], final.ravel(), rtol=0, atol=1e-12 * np.abs(x).max())


def test_the_steady_state_is_sosfilt_zi_of_each_cascade() -> None:
    cascades = pipeline_cascades(100.0)
    state = SideBySide(cascades).steady_state(3.5)
    expected = np.concatenate([sosfilt_zi(c).ravel() * 3.5 for c in cascades])
    assert state == tuple(expected.tolist())


def test_any_other_layout_runs_chained_lfilter() -> None:
    """Three cascades, of one, two and four sections: not the written-out case, the same numbers still."""
    cascades = [butter(1, 0.5, "highpass", fs=50.0), butter(2, [0.5, 5.0], "bandpass", fs=50.0),
                butter(4, [0.7, 3.5], "bandpass", fs=50.0)]
    filters = SideBySide(cascades)
    x = ppg_like(150, seed=3)
    state = tuple(np.random.default_rng(4).normal(size=14).tolist())
    ours, our_state = filters.run(x, state)
    theirs, their_state = chained(cascades, x, state)
    assert our_state == their_state
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_an_empty_chunk_keeps_the_state() -> None:
    filters = SideBySide(pipeline_cascades(100.0))
    state = filters.steady_state(2.0)
    out, new_state = filters.run(np.empty(0), state)
    assert new_state == state and all(len(y) == 0 for y in out)


@pytest.mark.parametrize("bad", [np.zeros((2, 5)), np.array([[1.0, 0.0, 0.0, 2.0, 0.0, 0.0]]), np.zeros((0, 6))])
def test_a_malformed_cascade_is_refused(bad: NDArray[np.float64]) -> None:
    with pytest.raises(InputError):
        SideBySide([bad])


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
def test_the_pipeline_band_passes_a_stream_in_uneven_chunks_as_chained_lfilter_does(fs_hz: float) -> None:
    """Pushed in chunks of 1..40 samples (cut again at every periodicity check), the pipeline's picking
    and judging signals are bit for bit one chained lfilter run over the whole stream from its steady state."""
    from device.signal.pulse import PulsePipeline

    n = round(30 * fs_hz)
    t = np.arange(n) / fs_hz
    x = 1e5 + 800.0 * np.sin(2 * np.pi * 1.2 * t) + 200.0 * np.sin(2 * np.pi * 2.4 * t + 1.0)
    pipeline = PulsePipeline(fs_hz)
    rng = np.random.default_rng(5)
    first = 0
    while first < n:
        size = int(rng.integers(1, 41))
        pipeline.push(x[first:first + size], first)
        first += size
    cascades = pipeline_cascades(fs_hz)
    state = tuple(np.concatenate([sosfilt_zi(c).ravel() for c in cascades]) * x[0])
    (picking, judging), _ = chained(cascades, x, state)
    kept = pipeline._filtered.start  # the ring buffers hold the last BUFFER_S seconds
    assert pipeline._origin == 0  # no burst restart on this signal: one run from the start
    assert np.array_equal(pipeline._filtered.view(kept, n), picking[kept:])
    assert np.array_equal(pipeline._judged.view(kept, n), judging[kept:])
