"""Heart-rate synchrony of two people, on generated heartbeats with known truth."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.hrv import HrvTracker, coherence_ratio
from device.signal.pulse import Beat
from device.signal.synchrony import (
    FLAT_SERIES,
    HRV_WITHHELD,
    WINDOW_NOT_COVERED,
    heart_rate_synchrony,
    synchrony_of_tachograms,
)

END_S = 150.0
Series = tuple[NDArray[np.float64], NDArray[np.float64]]


def beats_of(hr_bpm: Callable[[NDArray[np.float64]], NDArray[np.float64]], seed: int,
             jitter_ms: float = 5.0, duration_s: float = 200.0) -> Series:
    """(beat times s, IBIs ms) of a heart following `hr_bpm(t)`: a beat each time the integral of the rate
    crosses a whole beat (integral pulse frequency modulation), each beat time jittered by `jitter_ms`."""
    fs_hz = 100.0
    t = np.arange(0.0, duration_s, 1.0 / fs_hz)
    phase = np.cumsum(hr_bpm(t) / 60.0) / fs_hz
    times = np.interp(np.arange(1, int(phase[-1])), phase, t)
    times = times + np.random.default_rng(seed).normal(0.0, jitter_ms / 1000.0, len(times))
    return times[1:], np.diff(times) * 1000.0


def swinging(mean_bpm: float, swing_bpm: float, breath_per_min: float, delay_s: float = 0.0,
             phase: float = 0.0) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """A heart rate swinging by +-swing_bpm with breathing, `delay_s` behind a rhythm starting at phase."""
    f_hz = breath_per_min / 60.0
    return lambda t: mean_bpm + swing_bpm * np.sin(2 * np.pi * f_hz * (t - delay_s) + phase)


@pytest.mark.parametrize(("breath_per_min", "lag_s"),
                         [(6.0, 0.0), (6.0, 0.7), (6.0, 1.5), (6.0, -2.3), (6.0, 4.0), (12.0, 1.0),
                          (12.0, -1.2), (15.0, 0.5)])
def test_a_shared_breathing_rhythm_is_high_and_its_lag_is_found(breath_per_min: float, lag_s: float) -> None:
    # different mean heart rates and swings: the measure is scale-free
    a = beats_of(swinging(64.0, 6.0, breath_per_min), seed=1)
    b = beats_of(swinging(82.0, 2.0, breath_per_min, delay_s=lag_s), seed=2)
    sync = heart_rate_synchrony(*a, *b, end_s=END_S)
    assert sync.reason is None and sync.value is not None and sync.lag_s is not None
    assert sync.value > 0.8
    assert sync.lag_s == pytest.approx(lag_s, abs=60.0 / 82.0)  # within a beat of the faster heart
    if abs(lag_s) >= 0.5:
        assert np.sign(sync.lag_s) == np.sign(lag_s)


def test_swapping_the_people_flips_the_lag_and_keeps_the_value() -> None:
    a = beats_of(swinging(70.0, 4.0, 6.0), seed=3)
    b = beats_of(swinging(60.0, 5.0, 6.0, delay_s=1.8), seed=4)
    ab = heart_rate_synchrony(*a, *b, end_s=END_S)
    ba = heart_rate_synchrony(*b, *a, end_s=END_S)
    assert ab.value == pytest.approx(ba.value, abs=1e-9)
    assert ab.lag_s is not None and ba.lag_s is not None
    assert ab.lag_s == pytest.approx(-ba.lag_s, abs=1e-9)
    assert ab.lag_s > 1.0


def test_scaling_either_heart_rate_swing_does_not_change_the_value() -> None:
    a = beats_of(swinging(70.0, 4.0, 6.0), seed=3, jitter_ms=0.0)
    values = [heart_rate_synchrony(*a, *beats_of(swinging(mean, swing, 6.0, delay_s=1.0), seed=5, jitter_ms=0.0),
                                   end_s=END_S).value for mean, swing in [(55.0, 1.0), (70.0, 4.0), (95.0, 9.0)]]
    assert min(v for v in values if v is not None) > 0.95
    assert len([v for v in values if v is not None]) == 3


@pytest.mark.parametrize("seed", range(6))
def test_independent_rhythms_at_different_rates_are_low(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = beats_of(swinging(66.0, 4.0, 12.0, phase=rng.uniform(0, 2 * np.pi)), seed=10 + seed)
    b = beats_of(swinging(74.0, 4.0, 15.0, phase=rng.uniform(0, 2 * np.pi)), seed=20 + seed)
    sync = heart_rate_synchrony(*a, *b, end_s=END_S)
    assert sync.value is not None and sync.value < 0.3


@pytest.mark.parametrize("seed", range(8))
def test_noise_alone_is_low(seed: int) -> None:
    a = beats_of(swinging(66.0, 0.0, 6.0), seed=30 + seed, jitter_ms=20.0)
    b = beats_of(swinging(74.0, 0.0, 6.0), seed=40 + seed, jitter_ms=20.0)
    sync = heart_rate_synchrony(*a, *b, end_s=END_S)
    assert sync.value is not None and sync.value < 0.5


def test_a_shared_rhythm_beats_chance_even_under_heavy_beat_jitter() -> None:
    shared = [heart_rate_synchrony(*beats_of(swinging(66.0, 4.0, 6.0), seed=s, jitter_ms=20.0),
                                   *beats_of(swinging(74.0, 4.0, 6.0, delay_s=1.0), seed=50 + s, jitter_ms=20.0),
                                   end_s=END_S).value for s in range(4)]
    assert all(v is not None and v > 0.6 for v in shared)


def test_a_flat_heart_rate_is_withheld() -> None:
    flat = (np.arange(1.0, 200.0, 0.8), np.full(len(np.arange(1.0, 200.0, 0.8)), 800.0))
    moving = beats_of(swinging(70.0, 4.0, 6.0), seed=1)
    assert heart_rate_synchrony(*flat, *moving, end_s=END_S).reason == FLAT_SERIES
    assert heart_rate_synchrony(*moving, *flat, end_s=END_S).reason == FLAT_SERIES
    # a slow drift with nothing in the breathing band is flat there too
    drifting = beats_of(lambda t: 60.0 + 0.05 * t, seed=0, jitter_ms=0.0)
    sync = heart_rate_synchrony(*drifting, *moving, end_s=END_S)
    assert sync.value is None and sync.lag_s is None and sync.reason == FLAT_SERIES


def test_a_window_not_covered_is_withheld() -> None:
    a = beats_of(swinging(70.0, 4.0, 6.0), seed=1)
    b = beats_of(swinging(70.0, 4.0, 6.0), seed=2)
    # B's beats end 10 s before the window does
    keep = b[0] < END_S - 10.0
    assert heart_rate_synchrony(*a, b[0][keep], b[1][keep], end_s=END_S).reason == WINDOW_NOT_COVERED
    # a 12 s gap in A's intervals inside the window
    lost = (a[0] > 110.0) & (a[0] < 122.0)
    assert heart_rate_synchrony(a[0][~lost], a[1][~lost], *b, end_s=END_S).reason == WINDOW_NOT_COVERED
    # a short gap (under a tenth of the window) is bridged
    short = (a[0] > 110.0) & (a[0] < 113.0)
    assert heart_rate_synchrony(a[0][~short], a[1][~short], *b, end_s=END_S).value is not None
    # no beats at all
    empty = np.zeros(0)
    assert heart_rate_synchrony(empty, empty, *b, end_s=END_S).reason == WINDOW_NOT_COVERED


def test_only_the_window_counts() -> None:
    """Shared rhythm before the window, independent ones inside it: low; and the other way round: high."""
    def shared_then_apart(t: NDArray[np.float64], breath: float) -> NDArray[np.float64]:
        return np.where(t < 80.0, 70.0 + 4.0 * np.sin(2 * np.pi * 0.1 * t),
                        70.0 + 4.0 * np.sin(2 * np.pi * breath / 60.0 * t))
    a = beats_of(lambda t: shared_then_apart(t, 12.0), seed=1)
    b = beats_of(lambda t: shared_then_apart(t, 15.0), seed=2)
    early = heart_rate_synchrony(*a, *b, end_s=76.0)
    late = heart_rate_synchrony(*a, *b, end_s=150.0)
    assert early.value is not None and early.value > 0.8
    assert late.value is not None and late.value < 0.3


def test_bad_input_is_refused() -> None:
    a = beats_of(swinging(70.0, 4.0, 6.0), seed=1)
    with pytest.raises(InputError):
        heart_rate_synchrony(a[0], a[1][:-1], *a, end_s=END_S)
    with pytest.raises(InputError):
        heart_rate_synchrony(a[0][::-1].copy(), a[1], *a, end_s=END_S)
    with pytest.raises(InputError):
        heart_rate_synchrony(*a, a[0], -a[1], end_s=END_S)
    with pytest.raises(InputError):
        heart_rate_synchrony(*a, *a, end_s=END_S, window_s=8.0)
    with pytest.raises(InputError):
        heart_rate_synchrony(*a, *a, end_s=float("nan"))


def _tracker_of(series: Series) -> HrvTracker:
    tracker = HrvTracker()
    tracker.add_beats([Beat(float(t), 1.0, 1.0) for t in series[0]])
    return tracker


def test_synchrony_of_two_trackers_and_withheld_when_either_hrv_is() -> None:
    a = beats_of(swinging(64.0, 5.0, 6.0), seed=1, duration_s=90.0)
    b = beats_of(swinging(78.0, 3.0, 6.0, delay_s=1.0), seed=2, duration_s=90.0)
    tracker_a, tracker_b = _tracker_of(a), _tracker_of(b)
    end_s = min(a[0][-1], b[0][-1])
    sync = synchrony_of_tachograms(tracker_a.tachogram(64.0), tracker_b.tachogram(64.0), end_s)
    assert sync.value is not None and sync.value > 0.8
    assert sync.lag_s == pytest.approx(1.0, abs=0.75)
    short = _tracker_of((a[0][:5], a[1][:5]))  # too few beats: HRV withheld, no tachogram
    assert short.tachogram(64.0) is None
    assert synchrony_of_tachograms(short.tachogram(64.0), tracker_b.tachogram(64.0), end_s).reason == HRV_WITHHELD
    assert synchrony_of_tachograms(tracker_a.tachogram(64.0), None, end_s).reason == HRV_WITHHELD


def test_the_tachogram_holds_the_intervals_coherence_reads() -> None:
    a = beats_of(swinging(64.0, 5.0, 6.0), seed=1, duration_s=90.0)
    tracker = _tracker_of(a)  # all beats at once: coherence is computed once, at the newest beat
    tachogram = tracker.tachogram(64.0)
    assert tachogram is not None
    times, ibi_ms = tachogram
    assert times[-1] == pytest.approx(a[0][-1])
    assert times[0] > a[0][-1] - 64.0 and times[0] < a[0][-1] - 62.0
    np.testing.assert_allclose(np.diff(times) * 1000.0, ibi_ms[1:], atol=1e-6)  # clean beats: no correction
    assert coherence_ratio(times, ibi_ms)[0] == pytest.approx(tracker.metrics().coherence)
    with pytest.raises(InputError):
        tracker.tachogram(0.0)


@pytest.mark.parametrize("delay_s", [7.0, -7.0])
def test_a_best_match_beyond_the_lag_range_names_no_lag(delay_s: float) -> None:
    """A slow shared rhythm (4/min) shifted by 7 s: within +-5 s the correlation is still rising at the
    range's edge, so no peak lies inside it and who leads cannot be told (lag None, value given)."""
    a = beats_of(swinging(64.0, 6.0, 4.0), seed=1)
    b = beats_of(swinging(82.0, 4.0, 4.0, delay_s=delay_s), seed=2)
    sync = heart_rate_synchrony(*a, *b, end_s=END_S)
    assert sync.reason is None and sync.value is not None and 0.3 < sync.value < 0.9
    assert sync.lag_s is None
