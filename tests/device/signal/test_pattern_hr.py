"""The heart rate of a patterned rhythm (bigeminy, trigeminy, quadrigeminy) is its beats over its time.

A fresh-clone tester found a bigeminy's heart rate through hrv_metrics up to 1.35x off with hr_flag null (146.3 for
a true 108.5): the rate was 60 / the median of two-interval spans that agree with the median interval m, else 60 / m,
and in a patterned rhythm m is one of the pattern's intervals (a bigeminy's short one, when there is one more short
than long), no span agrees with it, and 60 / m read the short interval as the rate. A trigeminy or quadrigeminy's
two-interval spans are not whole repeats either (a third to a quarter off their mean). Now, where the intervals
repeat a pattern locked to every 2nd, 3rd or 4th beat (device.signal.hrv.pattern_period), the rate is taken over
whole repeats (whole_repeats_bpm). Every beat here is a heartbeat, so the truth is 60000 / the mean interval (ms)
of the window reported on. Seeds: the family's 0-599 and the tester shape's 0-199, 1000-1199 and 2000-2199 were
looked at while building the rule; the tests use others (docs/measurements.md, "The heart rate of a patterned
rhythm").
"""

from __future__ import annotations

import numpy as np
import pytest

from device.signal import hrv_metrics
from device.signal.hrv import HrvMetrics, HrvTracker, pattern_period
from device.signal.pulse import Beat
from tests.device.signal.synthetic_rr import (
    beats_per_min_over,
    control_hearts,
    patterned_rhythm,
    reported_bigeminy,
    sinus_intervals,
    with_ectopy,
)

HIT_SHARE = 0.05  # within 5 % of the truth
FAMILY_SEEDS = range(700, 820)  # not looked at while building the rule
STREAM_SEEDS = range(900, 912)
TESTER_SEEDS = range(3000, 3100)


def right_or_flagged(metrics: HrvMetrics, truth_bpm: float) -> bool:
    return metrics.hr_bpm is not None and (
        metrics.hr_flag is not None or abs(metrics.hr_bpm - truth_bpm) <= HIT_SHARE * truth_bpm)


def test_every_patterned_rhythm_of_the_family_shows_its_rate_or_a_flag() -> None:
    """Every 2nd/3rd/4th beat 10-45 % early, pauses of none, half or all the time lost, 40-180/min, 0-20 ms jitter,
    with a breathing swing or none, 10-60 s: the rate within 5 % of the truth, or flagged; and right, not flagged,
    in all but a few."""
    right = 0
    for seed in FAMILY_SEEDS:
        times, params = patterned_rhythm(seed)
        metrics = hrv_metrics(times)
        truth = beats_per_min_over(times)
        assert right_or_flagged(metrics, truth), (seed, params, metrics.hr_bpm, truth)
        right += metrics.hr_flag is None
    assert right >= 0.95 * len(FAMILY_SEEDS)


def test_the_streaming_tracker_shows_a_patterned_rhythms_rate_at_every_beat() -> None:
    """The same beats fed to an HrvTracker (60 s window) one by one, read every third beat from 10 s of beats on:
    each reading within 5 % of the mean rate of the beats it holds, or flagged."""
    for seed in STREAM_SEEDS:
        times, params = patterned_rhythm(seed)
        tracker = HrvTracker()
        for i, t in enumerate(times):
            tracker.add_beats([Beat(float(t), 1.0, 1.0)])
            if t - times[0] >= 10.0 and i % 3 == 0:
                truth = beats_per_min_over(times[:i + 1], tracker.window_s)
                metrics = tracker.metrics()
                assert right_or_flagged(metrics, truth), (seed, i, params, metrics.hr_bpm, truth)


def test_the_testers_bigeminy_shows_its_rate() -> None:
    """The tester's shape (a bigeminy with a full pause, 12-27 % early, 40-120 intervals from a short or a long
    one): the rate right in every series, where 60 / the median interval is a quarter or more of them 10 % off."""
    off_by_median = 0
    for seed in TESTER_SEEDS:
        times = reported_bigeminy(seed)
        truth = beats_per_min_over(times)
        metrics = hrv_metrics(times)
        assert metrics.hr_bpm is not None and abs(metrics.hr_bpm - truth) <= HIT_SHARE * truth, (seed, metrics, truth)
        off_by_median += abs(60.0 / float(np.median(np.diff(times))) / truth - 1.0) > 0.1
    assert off_by_median >= len(TESTER_SEEDS) // 4  # the premise: the median interval is a pattern's short one


def test_a_regular_or_breathing_heart_or_random_premature_beats_keep_their_rate() -> None:
    """A minute of each, 30 seeds: the rate right in every one, and a pattern found in hardly any (a premature beat
    every 8th-15th that falls into step for half a minute: one of 90; whole repeats of a heart's own beats still give
    its rate)."""
    found = 0
    for seed in range(800, 830):
        for name, times in control_hearts(seed).items():
            ibi = np.diff(times)
            found += pattern_period(ibi, np.ones(len(ibi), dtype=bool)) is not None
            truth = beats_per_min_over(times)
            metrics = hrv_metrics(times)
            assert metrics.hr_bpm is not None and abs(metrics.hr_bpm - truth) <= HIT_SHARE * truth, (seed, name)
    assert found <= 2


@pytest.mark.parametrize(("every", "pause"), [(2, 1.0), (2, 0.0), (3, 0.5), (3, 1.0), (4, 0.0), (4, 1.0)])
def test_the_pattern_period_is_the_premature_beats_spacing(every: int, pause: float) -> None:
    """A minute at 75/min breathing (20 ms swing, 8 ms jitter), every `every`-th beat 25 % early: its period is found
    (a bigeminy repeats every 4th beat too; the smallest period is the one taken)."""
    for seed in range(3):
        rr = with_ectopy(sinus_intervals(75, seed, 75.0, 20.0, 8.0), every, 0.25, seed, pause)
        assert pattern_period(rr[1:] / 1000.0, np.ones(len(rr) - 1, dtype=bool)) == every


def test_a_beat_missed_or_added_partway_through_a_pattern_leaves_its_rate() -> None:
    """The family again, the middle beat missed or a beat added half-way through the middle interval: the pattern's
    phase shifts there, and it is found on one side (pattern_period tries each half); the rate is the heart's own
    beats' within 5 % or flagged in all but 1 in 20 (bench_pattern_hr, unseen seeds: 15 of 600 not; main: 137)."""
    missed = 0
    for seed in range(700, 760):
        times, _ = patterned_rhythm(seed)
        truth = beats_per_min_over(times)
        middle = len(times) // 2
        for beats in (np.delete(times, middle), np.sort(np.append(times, times[middle:middle + 2].mean()))):
            missed += not right_or_flagged(hrv_metrics(beats), truth)
    assert missed <= 120 // 20
