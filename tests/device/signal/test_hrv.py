"""HRV from beats: artifact correction, time-domain figures, coherence, breathing rate, rolling windows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.artifacts import PREMATURE_MIN_SHARE, Artifact, correct_with_lag
from device.signal.hrv import HrvTracker, coherence_ratio, correct_intervals, time_domain
from device.signal.pulse import Beat
from tests.device.signal.synthetic_ppg import rsa_beat_times


def as_beats(times_s: NDArray[np.float64], quality: float = 1.0) -> list[Beat]:
    return [Beat(float(t), quality, 1.0) for t in times_s]


def rsa_intervals(n: int = 120, seed: int = 0) -> NDArray[np.float64]:
    """Intervals (ms) of a resting heart: 6/min breathing swing plus a little beat-to-beat noise."""
    times = rsa_beat_times(n * 0.95, hr_bpm=63.0, breath_bpm=6.0, swing_bpm=6.0)
    noise = np.random.default_rng(seed).normal(0.0, 8.0, len(times) - 1)
    return np.diff(times)[:n] * 1000.0 + noise[:n]


def test_time_domain_of_a_known_series() -> None:
    ibi_ms = np.array([800.0, 900.0, 800.0, 900.0, 800.0])
    td = time_domain(ibi_ms)
    assert td["rmssd_ms"] == pytest.approx(100.0)
    assert td["ln_rmssd"] == pytest.approx(math.log(100.0))
    assert td["sdnn_ms"] == pytest.approx(np.std(ibi_ms, ddof=1))
    assert td["pnn50_pct"] == pytest.approx(100.0)
    assert td["hr_bpm"] == pytest.approx(60000.0 / 800.0)


def test_time_domain_refuses_too_few_intervals() -> None:
    with pytest.raises(InputError):
        time_domain(np.array([800.0]))


def test_a_clean_series_is_left_alone() -> None:
    ibi_ms = rsa_intervals()
    corrected, labels = correct_intervals(ibi_ms)
    assert corrected == pytest.approx(ibi_ms)
    assert not labels.any()


def test_a_missed_beat_is_restored() -> None:
    ibi_ms = rsa_intervals()
    broken = np.concatenate([ibi_ms[:60], [ibi_ms[60] + ibi_ms[61]], ibi_ms[62:]])
    corrected, labels, lag = correct_with_lag(broken)
    assert len(corrected) == len(ibi_ms)
    # the two pieces are set to their neighbours' level; the lag says by how much the beats after them moved
    assert corrected.sum() - lag[-1] == pytest.approx(broken.sum())
    assert abs(lag[-1]) < 60.0
    assert list(np.flatnonzero(labels)) == [60, 61]
    assert set(labels[[60, 61]]) == {Artifact.MISSED}
    assert np.max(np.abs(corrected - ibi_ms)) < 60.0


def test_an_extra_beat_is_removed() -> None:
    ibi_ms = rsa_intervals()
    broken = np.concatenate([ibi_ms[:60], [0.35 * ibi_ms[60], 0.65 * ibi_ms[60]], ibi_ms[61:]])
    corrected, labels = correct_intervals(broken)
    assert len(corrected) == len(ibi_ms)
    assert corrected.sum() == pytest.approx(broken.sum())
    assert labels[60] == Artifact.EXTRA
    assert np.max(np.abs(corrected - ibi_ms)) < 60.0


def test_an_ectopic_beat_is_moved_between_its_neighbours() -> None:
    ibi_ms = rsa_intervals()
    broken = ibi_ms.copy()
    broken[60] -= 300.0  # premature beat ...
    broken[61] += 300.0  # ... and its compensatory pause
    corrected, labels = correct_intervals(broken)
    assert len(corrected) == len(ibi_ms)
    assert {Artifact.ECTOPIC, Artifact.LONG_SHORT} & set(labels[59:63].tolist())
    assert np.max(np.abs(corrected - ibi_ms)) < 60.0
    assert time_domain(corrected)["rmssd_ms"] == pytest.approx(time_domain(ibi_ms)["rmssd_ms"], rel=0.2)


@pytest.mark.parametrize("early_ms", [200.0, 300.0, 400.0])
@pytest.mark.parametrize("at", [20, 61, 97])
def test_a_premature_beat_with_no_pause_has_its_short_interval_replaced_alone(early_ms: float, at: int) -> None:
    """A premature beat that resets the rhythm (no compensatory pause: the next interval is a sinus one) leaves one
    short interval: it is replaced by its neighbours' level, every other interval kept, and the beat times behind
    the series stay the input's (correct_with_lag's lag is the time the replacement added). 20-40 % early on a
    heart breathing 6/min (a swing of about 9 % of the interval either way) at its crest, trough and between;
    at 15 % on the crest the calm neighbours' mean no longer agrees and the beat is moved (bench_ectopy --no-pause
    counts what that costs)."""
    ibi_ms = rsa_intervals()
    broken = ibi_ms.copy()
    broken[at] -= early_ms  # the premature beat; the rhythm starts again from it
    corrected, labels, lag = correct_with_lag(broken)
    assert len(corrected) == len(ibi_ms)
    assert abs(corrected[at] - ibi_ms[at]) < 40.0  # a breathing swing's step from its neighbours' mean at most
    assert np.delete(corrected, at) == pytest.approx(np.delete(broken, at))  # nothing else moves
    assert set(np.flatnonzero(labels).tolist()) <= {at - 1, at, at + 1}
    assert labels[at] != Artifact.NORMAL
    ends = np.cumsum(corrected) - lag
    assert ends == pytest.approx(np.cumsum(broken))  # each interval still ends at its own beat
    assert time_domain(corrected)["rmssd_ms"] == pytest.approx(time_domain(ibi_ms)["rmssd_ms"], rel=0.2)


def test_a_regular_hearts_own_largest_difference_is_not_replaced_as_a_premature_beat() -> None:
    """A short interval less than PREMATURE_MIN_SHARE below its neighbours' median is not taken for a premature beat
    with no pause: a flagged one is moved as the paper moves it, and nothing is added to the series' time."""
    ibi_ms = np.full(90, 1000.0) + np.random.default_rng(3).normal(0.0, 4.0, 90)
    broken = ibi_ms.copy()
    broken[40] -= 0.8 * PREMATURE_MIN_SHARE * 1000.0
    corrected, labels, lag = correct_with_lag(broken)
    assert labels[40] != Artifact.NORMAL or labels[41] != Artifact.NORMAL  # flagged ...
    assert not lag.any()  # ... and moved, not replaced alone
    assert corrected.sum() == pytest.approx(broken.sum())


def test_correction_refuses_nonsense() -> None:
    with pytest.raises(InputError):
        correct_intervals(np.array([800.0, -5.0, 800.0]))


def test_coherence_is_high_for_a_pure_slow_rhythm_and_low_for_noise() -> None:
    times = rsa_beat_times(64.0, hr_bpm=65.0, breath_bpm=6.0, swing_bpm=10.0)
    ratio, peak_hz = coherence_ratio(times[1:], np.diff(times) * 1000.0)
    assert peak_hz == pytest.approx(0.1, abs=0.01)
    assert ratio > 3.0
    rng = np.random.default_rng(5)
    ibi_ms = 900.0 + rng.normal(0.0, 40.0, 75)
    noise_ratio, _ = coherence_ratio(np.cumsum(ibi_ms) / 1000.0, ibi_ms)
    assert noise_ratio < 0.5


@pytest.mark.parametrize("breath_bpm", [6.0, 12.0])
def test_breathing_rate_is_read_from_the_heart_rhythm(breath_bpm: float) -> None:
    tracker = HrvTracker()
    tracker.add_beats(as_beats(rsa_beat_times(70.0, hr_bpm=66.0, breath_bpm=breath_bpm, swing_bpm=8.0)))
    metrics = tracker.metrics()
    assert metrics.breath_rate_bpm == pytest.approx(breath_bpm, abs=0.5)
    assert metrics.hr_swing_bpm == pytest.approx(8.0, abs=1.5)


def test_spontaneous_breathing_is_not_mistaken_for_the_slower_baroreflex_wave() -> None:
    times = [0.5]
    while times[-1] < 70.0:  # heart rate = rest + Mayer wave at 0.1 Hz + breathing at 0.25 Hz, equal sizes
        t = times[-1]
        rate = 66.0 + 3.0 * np.sin(2 * np.pi * 0.1 * t) + 3.0 * np.sin(2 * np.pi * 0.25 * t + 1.0)
        times.append(t + 60.0 / rate)
    tracker = HrvTracker()
    tracker.add_beats(as_beats(np.asarray(times)))
    assert tracker.metrics().breath_rate_bpm == pytest.approx(15.0, abs=1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_change_of_breathing_pace_shows_within_a_minute(seed: int) -> None:
    before = rsa_beat_times(60.0, hr_bpm=66.0, breath_bpm=12.0, swing_bpm=4.0)
    after = 60.0 + rsa_beat_times(45.0, hr_bpm=66.0, breath_bpm=6.0, swing_bpm=8.0, start_s=0.9)
    times = np.concatenate([before, after])
    times += np.random.default_rng(seed).normal(0.0, 0.005, len(times))  # 5 ms of beat-timing jitter
    tracker = HrvTracker()
    tracker.add_beats(as_beats(times))
    assert tracker.metrics().breath_rate_bpm == pytest.approx(6.0, abs=1.0)


def test_coherence_waits_for_its_window_then_updates_every_five_seconds() -> None:
    times = rsa_beat_times(120.0, hr_bpm=65.0, breath_bpm=6.0, swing_bpm=10.0)
    tracker = HrvTracker(coherence_window_s=64.0, coherence_update_s=5.0)
    changes: list[float] = []
    last: float | None = None
    for t in times:
        tracker.add_beats([Beat(float(t), 1.0, 1.0)])
        value = tracker.metrics().coherence
        if t < times[0] + 63.0:
            assert value is None
        if value is not None and value != last:
            changes.append(float(t))
            last = value
    assert len(changes) >= 8
    assert np.min(np.diff(changes)) >= 5.0
    assert last is not None and last > 3.0


def test_one_bad_beat_does_not_wreck_a_minute_of_hrv() -> None:
    times = np.cumsum(rsa_intervals(70)) / 1000.0
    clean = HrvTracker()
    clean.add_beats(as_beats(times))
    with_extra = HrvTracker()
    with_extra.add_beats(as_beats(np.sort(np.append(times, 0.5 * (times[30] + times[31])))))
    assert with_extra.metrics().rmssd_ms == pytest.approx(clean.metrics().rmssd_ms, rel=0.1)
    assert with_extra.metrics().artifact_pct > 0.0
    assert clean.metrics().artifact_pct == 0.0


def test_figures_cover_the_last_window_only() -> None:
    slow = rsa_beat_times(60.0, hr_bpm=55.0, breath_bpm=6.0, swing_bpm=2.0)
    fast = slow[-1] + rsa_beat_times(70.0, hr_bpm=80.0, breath_bpm=6.0, swing_bpm=2.0, start_s=0.75)
    tracker = HrvTracker(window_s=60.0)
    tracker.add_beats(as_beats(np.concatenate([slow, fast])))
    metrics = tracker.metrics()
    assert metrics.hr_bpm == pytest.approx(80.0, abs=2.0)
    assert metrics.t_s == pytest.approx(fast[-1])
    assert metrics.n_beats == pytest.approx(80, abs=3)


def test_no_interval_spans_a_long_pause() -> None:
    first = rsa_beat_times(40.0)
    second = first[-1] + 10.0 + rsa_beat_times(20.0)
    tracker = HrvTracker()
    tracker.add_beats(as_beats(np.concatenate([first, second])))
    metrics = tracker.metrics()
    assert metrics.hr_bpm == pytest.approx(65.0, abs=2.0)  # a 10 s "interval" would pull it down
    assert metrics.sdnn_ms is not None and metrics.sdnn_ms < 100.0
    assert metrics.artifact_pct == 0.0


def test_too_few_beats_give_no_figures() -> None:
    tracker = HrvTracker()
    tracker.add_beats(as_beats(np.array([1.0, 2.0])))
    metrics = tracker.metrics()
    assert metrics.hr_bpm is None and metrics.rmssd_ms is None and metrics.coherence is None


def test_memory_stays_bounded_over_two_hours_of_beats() -> None:
    tracker = HrvTracker()
    times = np.cumsum(np.full(9000, 0.8))
    for start in range(0, len(times), 10):
        tracker.add_beats(as_beats(times[start:start + 10]))
    assert tracker.metrics().n_beats <= 80
    assert len(tracker._times) <= tracker._times.maxlen  # the deque is capped by construction
    assert tracker._times[-1] - tracker._times[0] < 70.0


def test_a_person_breathing_at_six_per_minute_reads_as_coherent_through_the_whole_chain() -> None:
    from device.signal.pulse import stream_beats
    from tests.device.signal.synthetic_ppg import synthetic_ppg

    times = rsa_beat_times(80.0, hr_bpm=64.0, breath_bpm=6.0, swing_bpm=10.0)
    tracker = HrvTracker()
    tracker.add_beats(stream_beats(synthetic_ppg(times, 25, 80.0, noise=0.02, breath_bpm=6.0), 25))
    metrics = tracker.metrics()
    assert metrics.breath_rate_bpm == pytest.approx(6.0, abs=0.5)
    assert metrics.coherence is not None and metrics.coherence > 3.0
    assert metrics.hr_bpm == pytest.approx(64.0, abs=2.0)
    assert metrics.artifact_pct < 5.0
