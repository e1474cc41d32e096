"""HRV on families of generated beat series with known truth: gaps, ectopy, irregular rhythm, breathing.

Each test asserts the right value where one can be given, and a null with its reason where none can:
never a wrong number.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pytest
from numpy.typing import NDArray

from device.errors import InputError
from device.signal import hrv_metrics
from device.signal.hrv import (
    FREQUENT_ARTIFACTS,
    INSUFFICIENT_BEATS,
    IRREGULAR_RHYTHM,
    LOW_QUALITY,
    WEAK_BEAT,
    HrvTracker,
    time_domain,
)
from device.signal.intervals import Stretches
from device.signal.pulse import Beat
from tests.device.signal.synthetic_rr import (
    FAMILY,
    calm_slow_heart,
    irregular_intervals,
    missed_premature_beats,
    sinus_intervals,
    swinging_beat_times,
    white_jitter_heart,
    with_ectopy,
)


def right(value: float, truth: float) -> bool:
    return abs(value - truth) <= max(0.25 * truth, 5.0)


def given_and_right(series: Iterable[tuple[NDArray[np.float64], NDArray[np.float64]]]) -> tuple[int, int]:
    """(RMSSD given, given and right) over (beat times s, sinus intervals ms) pairs, through hrv_metrics; a series
    whose RMSSD is withheld must say why."""
    given = right_count = 0
    for times_s, sinus_ms in series:
        metrics = hrv_metrics(times_s)
        if metrics.rmssd_ms is None:
            assert metrics.hrv_reason is not None
            continue
        given += 1
        right_count += right(metrics.rmssd_ms, time_domain(sinus_ms)["rmssd_ms"])
    return given, right_count


# -- gaps -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lost_beats", [1, 2, 3, 5, 10, 40])
def test_no_interval_is_formed_across_a_gap_of_any_length(lost_beats: int) -> None:
    rr = sinus_intervals(140, seed=lost_beats, hr_bpm=66.0, rsa_ms=2.0, noise_ms=1.5)
    times = np.cumsum(rr) / 1000.0
    cut = 60
    gap = (times[cut] - 0.3, times[cut + lost_beats - 1] + 0.3)
    kept = np.concatenate([times[:cut], times[cut + lost_beats:]])
    truth = time_domain(rr[10:])
    metrics = hrv_metrics(kept, gaps=[gap])
    assert metrics.rmssd_ms is not None and metrics.sdnn_ms is not None
    assert metrics.rmssd_ms == pytest.approx(truth["rmssd_ms"], abs=1.0)
    assert metrics.sdnn_ms == pytest.approx(truth["sdnn_ms"], abs=1.5)
    assert metrics.hr_bpm == pytest.approx(truth["hr_bpm"], abs=0.5)


def test_without_the_gap_two_lost_beats_would_wreck_the_figures() -> None:
    """The control for the test above: the same beats with the gap not reported. An interval of three is not taken
    for missed beats (artifacts.MISSED_MAX_RATIO: the heart's own pause as often), so only the gap saves the figures."""
    rr = sinus_intervals(140, seed=2, hr_bpm=66.0, rsa_ms=2.0, noise_ms=1.5)
    times = np.cumsum(rr) / 1000.0
    kept = np.concatenate([times[:60], times[62:]])
    unreported = hrv_metrics(kept)
    assert unreported.rmssd_ms is None or unreported.rmssd_ms > 3 * time_domain(rr)["rmssd_ms"]


def test_one_beat_lost_with_no_gap_reported_is_restored_as_missed() -> None:
    """One beat lost with no gap reported: the interval of two is split, counted as corrected, and the figures stay
    the heart's own."""
    rr = sinus_intervals(140, seed=1, hr_bpm=66.0, rsa_ms=2.0, noise_ms=1.5)
    times = np.cumsum(rr) / 1000.0
    kept = np.concatenate([times[:60], times[61:]])
    truth = time_domain(rr[1:])
    unreported = hrv_metrics(kept)
    assert unreported.rmssd_ms == pytest.approx(truth["rmssd_ms"], rel=0.25)
    assert unreported.sdnn_ms == pytest.approx(truth["sdnn_ms"], rel=0.25)
    assert unreported.hr_bpm == pytest.approx(truth["hr_bpm"], abs=0.5)
    assert unreported.artifact_pct > 0.0


def test_beats_scored_poorly_but_timed_right_leave_rmssd_right() -> None:
    rr = sinus_intervals(100, seed=3, hr_bpm=60.0, rsa_ms=2.0, noise_ms=1.5)
    times = np.cumsum(rr) / 1000.0
    beats = [Beat(float(t), 0.05 if i in (40, 41) else 0.9, 1.0) for i, t in enumerate(times)]
    tracker = HrvTracker(window_s=200.0)
    tracker.add_beats(beats)
    assert tracker.metrics().rmssd_ms == pytest.approx(time_domain(rr[1:])["rmssd_ms"], abs=1.0)


def test_hrv_is_withheld_when_the_beats_are_timed_poorly_while_heart_rate_is_given() -> None:
    rr = sinus_intervals(80, seed=4)
    tracker = HrvTracker()
    tracker.add_beats([Beat(float(t), 0.35, 1.0) for t in np.cumsum(rr) / 1000.0])
    metrics = tracker.metrics()
    assert metrics.rmssd_ms is None and metrics.coherence is None and metrics.hrv_reason == LOW_QUALITY
    assert metrics.hr_bpm == pytest.approx(60000.0 / np.median(rr[-60:]), rel=0.02)


# -- ectopy and irregular rhythm ----------------------------------------------------------------------

@pytest.mark.parametrize("every", [15, 12, 10, 8, 6, 4, 3])
def test_frequent_ectopy_is_corrected_or_withheld_never_misreported(every: int) -> None:
    """Premature beats from 1 in 15 to 1 in 3, 15-35 % early, on five resting rhythms, four seeds each."""
    given = right_count = 0
    for hr_bpm, rsa_ms, noise_ms in FAMILY:
        for prematurity in (0.15, 0.25, 0.35):
            for seed in range(4):
                rr = sinus_intervals(90, seed, hr_bpm, rsa_ms, noise_ms)
                metrics = hrv_metrics(np.cumsum(with_ectopy(rr, every, prematurity, seed)) / 1000.0)
                assert metrics.hr_bpm == pytest.approx(60000.0 / np.median(rr), rel=0.07)
                if metrics.rmssd_ms is None:
                    assert metrics.hrv_reason in (FREQUENT_ARTIFACTS, IRREGULAR_RHYTHM)
                    continue
                assert metrics.artifact_pct > 0.0  # the correction is on
                given += 1
                right_count += right(metrics.rmssd_ms, time_domain(rr[:-2])["rmssd_ms"])
    if every >= 12:
        assert given >= 50  # of 60: at 1 in 12 and rarer, HRV is given nearly always ...
    assert right_count >= 0.9 * given  # ... and whenever it is given, it is right (to 25 % or 5 ms)


@pytest.mark.parametrize("every", [15, 12, 10, 8])
def test_premature_beats_with_no_pause_give_the_sinus_rmssd_or_none(every: int) -> None:
    """Premature beats with no compensatory pause (the rhythm resets, as after most premature atrial beats), 1 in 15
    to 1 in 8, 15-35 % early, on five resting rhythms, four seeds each: where an RMSSD is given it must be the
    sinus rhythm's, and it is given in most series. Before the short interval was replaced on its own, the
    correction moved such a beat to the middle of its neighbours, leaving two intervals off by half its
    prematurity (a fresh-clone tester: 53 ms for a true 7, every reason null; bench_ectopy --no-pause: 245 of 263
    given were off)."""
    given, right_count = given_and_right(
        (np.cumsum(with_ectopy(rr, every, prematurity, seed, pause=False)) / 1000.0, rr[:-2])
        for hr_bpm, rsa_ms, noise_ms in FAMILY for prematurity in (0.15, 0.25, 0.35) for seed in range(4)
        for rr in [sinus_intervals(90, seed, hr_bpm, rsa_ms, noise_ms)])
    assert given >= (40 if every >= 12 else 25)  # of 60: withholding is not the fix
    assert right_count >= 0.9 * given


def short_series_with_one_premature_beat(seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    """(beat times s, sinus intervals ms, pause): a session's first seconds, 12-19 intervals at 40-120/min breathing
    6-18/min (a swing of up to 8 % of the interval, 0.5-2 % jitter), one beat 10-40 % early, with a full
    compensatory pause or none (a coin)."""
    rng = np.random.default_rng(seed)
    mean_s, n = 60.0 / rng.uniform(40.0, 120.0), int(rng.integers(12, 20))
    breath_hz, swing, jitter = rng.uniform(6.0, 18.0) / 60.0, rng.uniform(0.0, 0.08), rng.uniform(0.005, 0.02)
    sinus: list[float] = []
    t = 0.0
    for _ in range(n):
        sinus.append(mean_s * (1.0 + swing * np.sin(2.0 * np.pi * breath_hz * t) + jitter * rng.standard_normal()))
        t += sinus[-1]
    rr = np.asarray(sinus)
    observed = rr.copy()
    j, early, pause = int(rng.integers(2, n - 2)), rng.uniform(0.1, 0.4), bool(rng.integers(2))
    observed[j] -= early * rr[j]
    if pause:
        observed[j + 1] += early * rr[j]
    return np.concatenate([[0.0], np.cumsum(observed)]), rr * 1000.0, pause


@pytest.mark.parametrize("pause", [True, False])
def test_one_premature_beat_in_a_short_series_gives_the_sinus_rmssd_or_none(pause: bool) -> None:
    """A session's first 12-19 intervals with one premature beat (a fresh-clone tester: off in 607 of 2000 of their
    own; with no pause, 208 of 330 given were off on seeds 0-1999 before the short interval was replaced alone, 33
    of 743 after; with a pause 36 of 878): of 200 series (about 100 of each kind), RMSSD is given in most and right
    in 90 % of those given."""
    cases = [(times, sinus_ms) for times, sinus_ms, with_pause in map(short_series_with_one_premature_beat, range(200))
             if with_pause == pause]
    series = len(cases)
    given, right_count = given_and_right(cases)
    assert given >= 0.7 * series
    assert right_count >= 0.9 * given


@pytest.mark.parametrize("pause_share", [0.3, 0.5, 0.7])
def test_premature_beats_with_a_partial_pause_give_the_sinus_rmssd_or_none(pause_share: float) -> None:
    """Premature beats 1 in 15 to 1 in 8, 15-35 % early, whose next interval carries only part of the time they
    lost (a partial compensatory pause, common after premature atrial beats), on five resting rhythms: where an
    RMSSD is given it is the sinus rhythm's (a fresh-clone tester: 113 of 481 of their own shown wrong with every
    reason null; here 54 / 95 / 44 of 225 at 0.3 / 0.5 / 0.7 before both intervals were replaced, seeds 300-304)."""
    given, right_count = given_and_right(
        (np.cumsum(with_ectopy(rr, every, prematurity, seed, pause_share)) / 1000.0, rr[:-2])
        for hr_bpm, rsa_ms, noise_ms in FAMILY for every in (15, 10, 8) for prematurity in (0.15, 0.25, 0.35)
        for seed in range(3) for rr in [sinus_intervals(90, seed, hr_bpm, rsa_ms, noise_ms)])
    assert given >= 60  # of 135
    assert right_count >= 0.85 * given  # 0.89 at a pause of 0.3 (64 of 72): see README "Not fixed"


@pytest.mark.parametrize("pause_share", [0.2, 0.8])
def test_a_calm_hearts_premature_beats_with_a_partial_pause_give_its_small_rmssd(pause_share: float) -> None:
    """A calm heart (45-60/min, 3 ms jitter, little or no breathing swing) whose premature beats (1 in 15 to 1 in 8,
    15-30 % early) carry a pause of 0.2 or 0.8 of the time lost: what a move or a single replacement leaves would
    be many times its RMSSD (a fresh-clone tester: 11-27 ms shown for a true 4), so both intervals are replaced."""
    given, right_count = given_and_right(
        (np.cumsum(with_ectopy(rr, every, prematurity, seed, pause_share)) / 1000.0, rr[:-2])
        for hr_bpm, rsa_ms in ((60.0, 0.0), (45.0, 3.0), (55.0, 5.0)) for every in (15, 12, 8)
        for prematurity in (0.15, 0.3) for seed in range(4) for rr in [sinus_intervals(90, seed, hr_bpm, rsa_ms, 3.0)])
    assert given >= 36  # of 72
    assert right_count >= 0.9 * given


@pytest.mark.parametrize("pause_share", [0.1, 0.9])
def test_a_calm_slow_hearts_premature_beats_with_a_pause_near_none_or_full_give_its_small_rmssd(
        pause_share: float) -> None:
    """A calm slow heart (35-75/min, 2-5 ms jitter, RMSSD a few ms) whose premature beats carry a pause of 0.1 or 0.9
    of the time lost: what a move or a single replacement leaves (a tenth of the prematurity) is tens of ms at
    40/min, many times the heart's own differences, so both intervals are replaced (a tester: 3.1 ms shown 13.1;
    on calm_slow_heart seeds 0-99, 6 of 70 given off at 0.1 and 7 of 100 at 0.9 while the partial pause also had
    to leave an eighth of the prematurity)."""
    given, right_count = given_and_right(calm_slow_heart(seed, pause_share) for seed in range(60))
    assert given >= 50  # of 60
    assert right_count >= 0.97 * given


@pytest.mark.parametrize("pause_share", [0.0, 0.5, 1.0])
def test_a_missed_premature_beat_leaves_the_hearts_own_rmssd(pause_share: float) -> None:
    """A premature beat too weak to be picked, 10-45 % early, with no, half or a full pause: its two intervals arrive as
    one of 1.55-2x the interval. Its pieces are set to their neighbours' level where an even split would leave them
    off it (artifacts.MISSED_MIN_RATIO); the paper's move of the next beat left two intervals at 1.4x and RMSSD 5-10x
    (seeds 0-199, no pause: 3 of 56 given right, now 188 of 196; half: 16 of 24, now 188 of 197). Every RMSSD given
    is within 1.5x of the sinus one; the few more than 25 % off read low, as the same hearts do with no premature
    beat at all (white jitter 6-7 ms with little breathing: README "Not fixed")."""
    series = [missed_premature_beats(seed, pause_share) for seed in range(60)]
    given, right_count = given_and_right(series)
    assert given >= 57  # of 60
    assert right_count >= 0.9 * given
    for times_s, sinus_ms in series:
        shown = hrv_metrics(times_s).rmssd_ms
        assert shown is None or shown <= 1.5 * time_domain(sinus_ms)["rmssd_ms"]


def _merged(rr: NDArray[np.float64], at: list[int], share: float) -> NDArray[np.float64]:
    """Beat times (s) of sinus intervals `rr` (ms) where the interval at each of `at` (in the original numbering, in
    increasing order) and the next are one: a premature beat `share` early, with no pause, missed."""
    out = list(rr)
    for k in sorted(at, reverse=True):
        out[k:k + 2] = [(2.0 - share) * rr[k]]
    return np.cumsum(out) / 1000.0


@pytest.mark.parametrize(("hr_bpm", "rsa_ms"), [(90.0, 30.0), (121.0, 20.0), (150.0, 25.0)])
@pytest.mark.parametrize("layout", ["every 13th", "long, normal, long", "two in a row"])
def test_missed_beats_on_a_swinging_fast_heart_leave_its_own_rmssd(hr_bpm: float, rsa_ms: float, layout: str) -> None:
    """A fresh-clone tester's breaks of the first missed-beat rule: on a fast heart whose breathing swing is 4-6 % of
    the interval, premature beats 41 % early missed (1.59x) sat on both sides of a 1.5x bound (RMSSD shown 2-4x), and
    a normal interval between two long ones was taken for an ectopic beat (RMSSD up to 11x)."""
    for seed in range(3):
        rr = sinus_intervals(200, seed, hr_bpm, rsa_ms, 4.0, breath_per_min=10.5)
        n = int(80.0 / (60.0 / hr_bpm))
        at = {"every 13th": list(range(6, n - 2, 13)), "long, normal, long": [n // 2, n // 2 + 3],
              "two in a row": [n // 2, n // 2 + 2]}[layout]
        times = _merged(rr[:n], at, 0.41)
        shown = hrv_metrics(times, window_s=60.0).rmssd_ms
        truth = time_domain(rr[:n][-int(60.0 / (60.0 / hr_bpm)):])["rmssd_ms"]
        assert shown is not None and right(shown, truth)


def test_a_regular_heart_with_white_jitter_keeps_its_own_rmssd() -> None:
    """Regular hearts at 40-140/min with 3-30 ms of white interval jitter, with and without a breathing swing, with and
    without a few premature beats (synthetic_rr.white_jitter_heart), 50 seeds each: RMSSD within 25 % or 2 ms of the
    sinus intervals' own, or withheld with a reason. The paper's correction moved such a heart's own largest
    differences (its threshold is ~2.2 SD of them) and read it low: on these seeds 14 of 197 given were off (12 low);
    with the jitter rule (artifacts.JITTER_Z) 4 of 197: 2 low by 30 % (a slow heart's scale, taken from its 40 or so
    differences, reading low), 2 high where premature beats with half a pause on a calm heart are read as main reads
    them. The rule's constants were chosen on seeds 0-99 and the guard benchmarks; seeds 5000-5049 were not looked at
    before it was fixed."""
    given = off = 0
    for swing in (False, True):
        for premature in (False, True):
            for seed in range(5000, 5050):
                times_s, sinus_ms = white_jitter_heart(seed, swing, premature)
                metrics = hrv_metrics(times_s)
                if metrics.rmssd_ms is None:
                    assert metrics.hrv_reason is not None
                    continue
                given += 1
                truth = time_domain(sinus_ms)["rmssd_ms"]
                off += abs(metrics.rmssd_ms - truth) > max(0.25 * truth, 2.0)
    assert given >= 190  # of 200: withholding is not the fix
    assert off <= 5  # of those given (the paper's correction alone: 14)


def test_one_premature_beat_in_eight_is_still_corrected_where_the_paper_threshold_gives_up() -> None:
    rr = sinus_intervals(90, seed=1)
    metrics = hrv_metrics(np.cumsum(with_ectopy(rr, 8, 0.3, seed=1)) / 1000.0)
    assert metrics.artifact_pct >= 15.0
    assert metrics.rmssd_ms is not None and right(metrics.rmssd_ms, time_domain(rr[:-2])["rmssd_ms"])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("spread", [0.1, 0.15, 0.25])
def test_an_irregular_rhythm_is_flagged_and_gets_heart_rate_but_no_hrv(seed: int, spread: float) -> None:
    ibi_s = irregular_intervals(90, seed, spread)
    metrics = hrv_metrics(np.cumsum(ibi_s))
    assert metrics.irregular is True
    assert metrics.hrv_reason == IRREGULAR_RHYTHM
    assert metrics.rmssd_ms is None and metrics.coherence is None and metrics.breath_rate_bpm is None
    # the heart rate is the beats per minute; a median-type rate (single intervals, or two-interval spans:
    # device.signal.hrv.heart_rate_bpm) of so spread a rhythm is up to 3.5 % from it here
    assert metrics.hr_bpm == pytest.approx(60.0 * len(ibi_s) / float(np.sum(ibi_s)), rel=0.05)


@pytest.mark.parametrize("hr_bpm", [45.0, 60.0, 80.0])
@pytest.mark.parametrize("breath_per_min", [6.0, 12.0, 18.0])
def test_a_sinus_rhythm_with_a_breathing_swing_is_not_called_irregular(hr_bpm: float,
                                                                         breath_per_min: float) -> None:
    for rsa_ms in (10.0, 40.0, 80.0):
        rr = sinus_intervals(90, seed=7, hr_bpm=hr_bpm, rsa_ms=rsa_ms, noise_ms=10.0,
                             breath_per_min=breath_per_min)
        metrics = hrv_metrics(np.cumsum(rr) / 1000.0)
        assert metrics.irregular is False
        assert metrics.rmssd_ms is not None and right(metrics.rmssd_ms, time_domain(rr[:-2])["rmssd_ms"])


# -- breathing rate ------------------------------------------------------------------------------------

def beat_times(rate_bpm: object, duration_s: float, jitter_s: float, seed: int) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    times = [0.3]
    while times[-1] < duration_s:
        times.append(times[-1] + 60.0 / rate_bpm(times[-1]))  # type: ignore[operator]
    return np.asarray(times) + rng.normal(0.0, jitter_s, len(times))


@pytest.mark.parametrize("breath_per_min", [12.0, 14.0, 16.0, 18.0, 20.0])
@pytest.mark.parametrize("mayer_to_rsa", [0.0, 1.0, 2.0, 3.0])
def test_breathing_is_read_through_a_strong_mayer_wave(breath_per_min: float, mayer_to_rsa: float) -> None:
    """Heart rate = rest + breathing swing (2 bpm) + a 0.1 Hz Mayer wave up to 3x its size (9x its power)."""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        rest, phase = rng.uniform(55, 85), rng.uniform(0, 6)

        def rate(t: float, rest: float = rest, phase: float = phase) -> float:
            return float(rest + 2.0 * np.sin(2 * np.pi * breath_per_min / 60 * t + phase)
                         + 2.0 * mayer_to_rsa * np.sin(2 * np.pi * 0.1 * t))

        metrics = hrv_metrics(beat_times(rate, 62.0, 0.005, seed))
        assert metrics.breath_rate_bpm == pytest.approx(breath_per_min, abs=1.0)
        assert metrics.breath_confidence is not None and metrics.breath_confidence > 0.5


def test_slow_paced_breathing_is_not_mistaken_for_a_mayer_wave() -> None:
    times = beat_times(lambda t: 65 + 5 * np.sin(2 * np.pi * 0.1 * t), 62.0, 0.005, seed=1)
    assert hrv_metrics(times).breath_rate_bpm == pytest.approx(6.0, abs=0.5)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("jitter_s", [0.0, 0.005, 0.015, 0.03])
def test_intervals_that_carry_no_breathing_give_no_breathing_rate(seed: int, jitter_s: float) -> None:
    rate_bpm = float(np.random.default_rng(seed).uniform(50, 90))
    times = beat_times(lambda t: rate_bpm, 62.0, jitter_s, seed)
    metrics = hrv_metrics(times)
    assert metrics.breath_rate_bpm is None
    assert metrics.breath_confidence is None or metrics.breath_confidence < 1.0 / 3.0


def test_the_batch_entry_refuses_nonsense() -> None:
    with pytest.raises(InputError):
        hrv_metrics(np.array([1.0, 0.5, 2.0]))
    with pytest.raises(InputError):
        hrv_metrics(np.array([1.0, 2.0, 3.0]), amplitudes=np.ones(2))


def test_the_pulse_amplitude_rhythm_gives_the_breathing_when_the_heart_rhythm_cannot() -> None:
    """A heart rate with no breathing swing, only 10 ms of jitter; the pulse amplitude breathes at 16/min."""
    times = beat_times(lambda t: 66.0, 62.0, 0.01, seed=3)
    noise = np.random.default_rng(3).normal(0, 0.02, len(times))
    amplitudes = 1.0 + 0.2 * np.sin(2 * np.pi * 16 / 60 * times) + noise
    assert hrv_metrics(times).breath_rate_bpm is None
    assert hrv_metrics(times, amplitudes=amplitudes).breath_rate_bpm == pytest.approx(16.0, abs=1.0)


def test_a_mayer_wave_in_the_heart_rate_is_not_taken_for_the_breathing_the_pulse_amplitude_shows() -> None:
    """A heart with a 0.1 Hz wave 5x its breathing swing; the pulse amplitude breathes at 16/min."""
    times = beat_times(lambda t: 66 + 0.4 * np.sin(2 * np.pi * 16 / 60 * t) + 2.0 * np.sin(0.2 * np.pi * t),
                       62.0, 0.005, seed=3)
    noise = np.random.default_rng(3).normal(0, 0.02, len(times))
    amplitudes = 1.0 + 0.2 * np.sin(2 * np.pi * 16 / 60 * times) + noise
    rate = hrv_metrics(times, amplitudes=amplitudes).breath_rate_bpm
    assert rate is None or rate == pytest.approx(16.0, abs=1.0)


# -- heart rate on short records --------------------------------------------------------------------

@pytest.mark.parametrize("extra", [2, 3, 4])
def test_heart_rate_of_a_short_record_is_not_moved_by_a_run_of_double_counted_beats(extra: int) -> None:
    """10-25 s records (a phone's spot check) whose first beats were counted double while the picker
    learned the pulse (a false beat half-way through each of the first `extra` intervals), 45-120/min:
    heart rate (the median of the measured intervals) holds within 8 %. (The median of the corrected
    intervals, used before, passes this too; what it failed on were BUT PPG's messier records.)"""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        hr_bpm = float(rng.uniform(45.0, 120.0))
        rr = sinus_intervals(int(rng.integers(14, 25)), seed, hr_bpm, rsa_ms=20.0, noise_ms=10.0)
        times = np.cumsum(rr) / 1000.0
        false = times[:extra] + rng.uniform(0.4, 0.6, extra) * rr[1:extra + 1] / 1000.0
        metrics = hrv_metrics(np.sort(np.concatenate([times, false])))
        truth = 60000.0 / np.median(rr[1:])
        assert metrics.hr_bpm == pytest.approx(truth, rel=0.08), (seed, hr_bpm)


# -- a beat too weak to tell what it is -------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weak", [0.1, 0.3, 0.45])
def test_a_weak_beat_in_a_pause_withholds_hrv_but_keeps_heart_rate(seed: int, weak: float) -> None:
    # A pause of two intervals with a small bump inside (a weak premature beat, or noise where no beat
    # is): a real beat or not, the beats alone cannot tell, and RMSSD differs several-fold.
    rr = sinus_intervals(70, seed=seed, hr_bpm=60.0, rsa_ms=20.0, noise_ms=5.0)
    rr[40] += rr[41]
    rr = np.delete(rr, 41)
    times = np.cumsum(rr) / 1000.0
    bump = times[39] + 0.6 * rr[40] / 1000.0
    amplitudes = 1.0 + 0.25 * np.sin(2 * np.pi * times / 5.0)  # breathing swings the pulse +-25 %
    t = np.insert(times, 40, bump)
    a = np.insert(amplitudes, 40, weak)
    metrics = hrv_metrics(t, amplitudes=a)
    assert metrics.rmssd_ms is None and metrics.hrv_reason == WEAK_BEAT
    assert metrics.hr_bpm is not None and abs(metrics.hr_bpm - 60.0) < 3.0
    # the same beats without the bump: the pause is a pause, and HRV is given
    assert hrv_metrics(times, amplitudes=amplitudes).rmssd_ms is not None


@pytest.mark.parametrize("swing", [0.0, 0.2, 0.3])
def test_breathing_swings_of_the_pulse_amplitude_do_not_withhold_hrv(swing: float) -> None:
    rr = sinus_intervals(80, seed=7, hr_bpm=70.0, rsa_ms=30.0, noise_ms=5.0)
    times = np.cumsum(rr) / 1000.0
    amplitudes = 1.0 + swing * np.sin(2 * np.pi * times / 10.0)
    metrics = hrv_metrics(times, amplitudes=amplitudes)
    truth = time_domain(rr[1:-2])
    assert metrics.rmssd_ms is not None and right(metrics.rmssd_ms, truth["rmssd_ms"])


# -- slow hearts breathing every ~4 beats ----------------------------------------------------------------

def window_rmssd_ms(times_s: NDArray[np.float64], sinus_rr_s: NDArray[np.float64], window_s: float = 60.0) -> float:
    """The true RMSSD (ms) of the sinus intervals ending within the window before the newest beat."""
    keep = times_s[1:len(sinus_rr_s) + 1] > times_s[-1] - window_s
    return float(time_domain(sinus_rr_s[keep] * 1000.0)["rmssd_ms"])


# breaths per beat 0.243-0.256 (a breath locked to exactly every 4th beat: tests/device/signal/test_slow_swing.py)
@pytest.mark.parametrize(("hr_bpm", "breath_bpm"), [(40.0, 9.8), (44.0, 10.8), (48.0, 12.3), (52.0, 13.3),
                                                    (56.0, 13.8), (60.0, 14.6)])
# swings up to 12 beats/min peak to peak (30 % of the rate at 40/min); at 15 and 40/min the second-order prediction
# error's bound stays above IRREGULAR_SHARE for a while (verdict pending, HRV withheld as insufficient_beats)
@pytest.mark.parametrize("swing_bpm", [6.0, 9.0, 12.0])
def test_a_slow_heart_breathing_every_fourth_beat_is_not_called_irregular(hr_bpm: float, breath_bpm: float,
                                                                          swing_bpm: float) -> None:
    """A breath every ~4 beats makes the intervals repeat every 4th beat, as a quadrigeminy does; but they are
    one sinusoid, which an early beat never is: the rhythm is regular and its RMSSD is given, right."""
    for seed in range(3):
        times, sinus_rr = swinging_beat_times(90.0, hr_bpm, breath_bpm, swing_bpm, 0.005, seed)
        metrics = hrv_metrics(times, window_s=60.0)
        assert metrics.irregular is False and metrics.hrv_reason is None
        truth = window_rmssd_ms(times, sinus_rr)
        assert metrics.rmssd_ms is not None and abs(metrics.rmssd_ms - truth) <= 0.2 * truth


@pytest.mark.parametrize(("hr_bpm", "breath_bpm"), [(40.0, 10.0), (48.0, 12.0), (56.0, 14.0)])
@pytest.mark.parametrize("pause", [True, False])
def test_a_quadrigeminy_at_the_same_rates_still_gets_no_rmssd(hr_bpm: float, breath_bpm: float, pause: bool) -> None:
    """Every 4th beat 12-30 % early (20-30 % with no pause), with a full compensatory pause or none, on a heart
    breathing every 4th beat with a small swing or none: never an RMSSD (the correction's artifacts, or a
    beat-locked pattern). Not fixed, before this check's change as after it: 12 % early with no pause under a swing
    of 4 beats/min passes as a sinus rhythm (RMSSD shown) at 48 and 56/min for one seed of three."""
    for early in (0.12, 0.2, 0.3) if pause else (0.2, 0.3):
        for swing_bpm in (0.0, 4.0):
            for seed in range(3):
                times, _ = swinging_beat_times(90.0, hr_bpm, breath_bpm, swing_bpm, 0.005, seed, 4, early, pause)
                metrics = hrv_metrics(times, window_s=60.0)
                assert metrics.rmssd_ms is None and metrics.hrv_reason in (IRREGULAR_RHYTHM, FREQUENT_ARTIFACTS)


@pytest.mark.parametrize(("hr_bpm", "breath_bpm"), [(40.0, 10.0), (48.0, 12.0), (56.0, 14.0)])
@pytest.mark.parametrize(("every", "pause"), [(3, False), (3, True), (2, False), (2, True)])
def test_a_trigeminy_or_bigeminy_under_a_breath_every_fourth_beat_gets_no_rmssd(hr_bpm: float, breath_bpm: float,
                                                                                 every: int, pause: bool) -> None:
    """Every 3rd (or 2nd) beat 15-30 % early under a breath every 4th beat with a swing as large as the early beat's
    step or larger (8-12 beats/min): the breath's 4-beat pattern is one sinusoid, but taken out it leaves the
    3-beat (2-beat) pattern, which is flagged: no RMSSD. Before the breath was taken out, the 4-beat test passed the
    breath and the 3-beat one was judged against a variance the breath filled: a fresh-clone tester's 48/min
    heart, every 3rd beat 15 % early with no pause under a 12 beats/min swing, got RMSSD 206 ms (sinus 145 ms) as
    regular, and 19 of 864 such records were shown so."""
    for early in (0.15, 0.3):
        for swing_bpm in (8.0, 12.0):
            for seed in range(3):
                times, _ = swinging_beat_times(90.0, hr_bpm, breath_bpm, swing_bpm, 0.008, seed, every, early, pause)
                metrics = hrv_metrics(times, window_s=60.0)
                # withheld: flagged, the correction's artifacts, or a verdict still pending (the prediction error's
                # upper bound over IRREGULAR_SHARE, its estimate not)
                assert metrics.rmssd_ms is None
                assert metrics.hrv_reason in (IRREGULAR_RHYTHM, FREQUENT_ARTIFACTS, INSUFFICIENT_BEATS)


def pattern(period_ms: list[float], repeats: int, seed: int,
            labels: list[int] | None = None) -> Stretches:
    """A Stretches of one stretch repeating `period_ms` (plus 5 ms of noise), labelled `labels` (default normal)."""
    rng = np.random.default_rng(seed)
    ibi = np.tile(np.asarray(period_ms), repeats) + rng.normal(0.0, 5.0, len(period_ms) * repeats)
    kinds = np.tile(np.asarray(labels if labels is not None else [0] * len(period_ms)), repeats)
    return Stretches(np.cumsum(ibi) / 1000.0, ibi, kinds, np.zeros(len(ibi), dtype=int))


@pytest.mark.parametrize("phase", [0.0, 0.4, np.pi / 4, 2.0])
def test_a_sinusoid_every_four_beats_is_not_a_beat_locked_pattern(phase: float) -> None:
    swing = [1200.0 + 150.0 * np.cos(phase + k * np.pi / 2) for k in range(4)]
    assert not pattern(swing, 12, seed=1).beat_locked_pattern()


@pytest.mark.parametrize("early", [0.12, 0.2, 0.35])
def test_quadrigeminy_and_trigeminy_are_beat_locked_patterns(early: float) -> None:
    normal_ms = 1200.0
    short = normal_ms * (1.0 - early)
    assert pattern([normal_ms, normal_ms, short, normal_ms * (1.0 + early)], 12, seed=2).beat_locked_pattern()
    assert pattern([normal_ms, normal_ms, short, normal_ms], 12, seed=3).beat_locked_pattern()  # no pause
    assert pattern([normal_ms, short, normal_ms * (1.0 + early)], 16, seed=4).beat_locked_pattern()
    # a quadrigeminy with no pause after the correction set each short interval and the next to their mean:
    # two short and two long in every four, one sinusoid in form, but made by the correction (twice as early,
    # for the two means to differ by more than LOCKED_SPREAD)
    mean = normal_ms * (1.0 - early)
    corrected = pattern([normal_ms, normal_ms, mean, mean], 12, seed=5, labels=[0, 0, 4, 4])
    assert corrected.beat_locked_pattern()


def test_a_pattern_check_on_stretches_too_short_for_every_position_warns_of_nothing() -> None:
    ibi = np.full(15, 1000.0) + np.arange(15.0)
    short = Stretches(np.cumsum(ibi) / 1000.0, ibi, np.zeros(15, dtype=int), np.repeat(np.arange(5), 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not short.beat_locked_pattern()


@pytest.mark.parametrize("offset", range(12))
def test_a_premature_beat_at_the_held_beats_edge_does_not_reach_the_window(offset: int) -> None:
    """A calm 35/min heart (3 ms white jitter) with a premature beat 15-30 % early and a full pause every 12th beat,
    three minutes of it, through a 60 s window: the tracker lets beats older than its span go, and wherever that edge
    cuts a premature beat from its pause (every offset of the pattern against it), the window's RMSSD is the sinus
    rhythm's (a tester: 24.0 ms shown for 5.2, the pause repaired from one side to 1838 ms beside 1702 ms ones)."""
    rng = np.random.default_rng(offset)
    sinus = 1710.0 + 3.0 * rng.standard_normal(110)
    observed = sinus.copy()
    for i in range(offset + 1, len(sinus) - 1, 12):
        early = rng.uniform(0.15, 0.3) * sinus[i]
        observed[i] -= early
        observed[i + 1] += early
    times = np.cumsum(observed) / 1000.0
    metrics = hrv_metrics(times, window_s=60.0)
    truth = time_domain(sinus[times > times[-1] - 60.0])["rmssd_ms"]
    assert metrics.rmssd_ms is None or abs(metrics.rmssd_ms - truth) <= max(0.25 * truth, 2.0), (
        metrics.rmssd_ms, truth)
