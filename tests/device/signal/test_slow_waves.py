"""A slow heart whose pulse carries two later waves is read at its own rate (issue 7, faults 3 and 9).

A fresh-clone tester's real-like pulses at 30/min were read 2.7-4.3x with no flag: beat, diastolic wave and a
third, later wave split a slow heart's interval in three, and with noise in the long diastole a trial picker seeded
at a third of the interval found a "trigeminy" (PulsePipeline._pattern_beats_in) and its picker took every wave and
noise peak (bench/bench_slow_waves.py). A pattern of premature beats is now one whose intervals repeat one pattern
on and whose taller k - 1 in k picks are alike; two beats per interval are not a beat and a smaller pick at a
steady delay after it. Records from tests/device/signal/slow_wave_pulses.py, seeds 0-1 (where the rules were
checked; seeds 2 and up are reported in docs/measurements.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from device.pulse import recording_metrics
from device.signal.hrv import ALTERNATING_BEATS, MULTIPLE_OF_RHYTHM, faster_than_repeat, hrv_metrics
from device.signal.pulse import PulsePipeline
from tests.device.signal.slow_wave_pulses import harsh_record, record

# the grid holds records main read at 3x (42/min at 25 samples/s, noise 0.12 pink, seed 1: beat, waves at 0.30 and
# 0.89 s, a "trigeminy") and at 2x (a beat and its third wave taken for two beats)
GRID = [(bpm, fs, noise, colour, seed) for seed in (0, 1) for fs in (25.0, 50.0, 100.0) for noise in (0.03, 0.07, 0.12)
        for colour in (0.0, 1.0) for bpm in (30, 34, 38, 42, 46)]


def _pattern_beats(ppg, fs: float) -> list[int]:
    """The pattern counts every picker seeding of a whole record chose (PulsePipeline._pattern_beats)."""
    pipeline = PulsePipeline(fs)
    step = round(0.1 * fs)
    seen: list[int] = []
    for first in range(0, len(ppg), step):
        pipeline.push(ppg[first:first + step], first)
        if pipeline._picker is not None and (not seen or seen[-1] != pipeline._pattern_beats):
            seen.append(pipeline._pattern_beats)
    return seen


def test_a_slow_heart_with_two_later_waves_is_never_taken_for_a_pattern_of_premature_beats() -> None:
    taken = [case for case in GRID if max(_pattern_beats(record(*case)[0], case[1]), default=1) > 1]
    assert taken == []


# A picker seeded right (or at two beats a 1.6 s interval: the beat and its third wave at half of it) that then
# drifts onto the noise of the long diastole, its references a median of its own picks, is re-seeded two checks
# later (PulsePipeline._drifting); one that drifts in the record's last seconds still shows 152/min for 38 at its
# end, now flagged: its picks come four to a repeat of the pulse's waveform at no steady place in it
# (hrv.faster_than_repeat, MULTIPLE_OF_RHYTHM).
DRIFTS = [(38, 25.0, 0.12, 1.0, 0)]


def _reading(case: tuple[int, float, float, float, int]) -> tuple[float | None, str | None]:
    bpm, fs, noise, colour, seed = case
    metrics = recording_metrics(record(bpm, fs, noise, colour, seed)[0], fs, window_s=60.0)
    return metrics.hr_bpm, metrics.hr_flag


@pytest.mark.parametrize("seed", [0, 1])
def test_a_slow_heart_with_two_later_waves_gives_its_own_rate_or_says_it_may_not(seed: int) -> None:
    cases = [case for case in GRID if case[-1] == seed and case not in DRIFTS]
    right = wrong_shown = 0
    for case in cases:
        hr_bpm, flag = _reading(case)
        if hr_bpm is None:
            continue
        if abs(hr_bpm / case[0] - 1.0) <= 0.1:
            right += 1
        elif flag is None:
            wrong_shown += 1
            assert hr_bpm < 2.5 * case[0], (case, hr_bpm)  # a wave's rate at most, never noise's
    assert right >= 0.9 * len(cases)
    # a third wave near half the interval read as a beat, the rate doubled: shown unflagged in 4 of these 180 before
    # beats faster than the pulse's repeat were judged (hrv.faster_than_repeat), now flagged
    assert wrong_shown == 0


@pytest.mark.parametrize("case", DRIFTS)
def test_a_picker_that_drifts_onto_the_noise_of_a_slow_hearts_diastole_is_flagged(case) -> None:
    hr_bpm, flag = _reading(case)
    assert hr_bpm is not None and hr_bpm > 2.5 * case[0]  # still the drift's rate: the picker is not fixed ...
    assert flag == MULTIPLE_OF_RHYTHM  # ... but it is no longer shown as if it were the heart's


def _beats_at(times_s: np.ndarray, sizes: np.ndarray, repeat_s: float) -> tuple[float | None, str | None, bool]:
    """The heart rate and its flag of beats at `times_s` of `sizes`, reported while the pulse repeated every
    `repeat_s` (Beat.repeat_s), over the device's 60 s window; and faster_than_repeat's own verdict on them."""
    repeats = np.full(len(times_s), repeat_s)
    metrics = hrv_metrics(times_s, window_s=60.0, amplitudes=sizes, repeats_s=repeats)
    counted = np.ones(len(times_s), dtype=bool)
    verdict = metrics.hr_bpm is not None and faster_than_repeat(times_s, sizes, repeats, counted, metrics.hr_bpm)
    return metrics.hr_bpm, metrics.hr_flag, verdict


def _slow_heart(bpm: float, seed: int) -> np.ndarray:
    """90 s of a slow heart's beat times: 1 % white jitter on a 3 % breathing swing every 10 s."""
    rng = np.random.default_rng(seed)
    period_s = 60.0 / bpm
    n = int(90.0 / period_s)
    swing = 0.03 * np.sin(2.0 * np.pi * np.arange(n) * period_s / 10.0)
    return 0.5 + np.cumsum(period_s * (1.0 + swing + 0.01 * rng.standard_normal(n)))


@pytest.mark.parametrize("seed", range(5))
def test_a_slow_hearts_third_wave_taken_for_a_beat_is_flagged_whatever_its_size_or_place(seed: int) -> None:
    rng = np.random.default_rng(seed)
    beats = _slow_heart(34.0, seed)
    period_s = 60.0 / 34.0
    # the picker took each beat and its third wave (at 0.3-0.6 of the interval, 0.2-0.7 as tall on the band-pass)
    for share, size in ((0.3, 0.2), (0.45, 0.5), (0.6, 0.7)):
        waves = beats + share * period_s + 0.01 * rng.standard_normal(len(beats))
        times = np.sort(np.concatenate([beats, waves]))
        sizes = np.where(np.isin(times, beats), 1.0, size) * (1.0 + 0.05 * rng.standard_normal(len(times)))
        hr_bpm, flag, verdict = _beats_at(times, sizes, period_s)
        # the rule says so; the flag shown may be the alternation's, asked first (these picks alternate cleanly)
        assert hr_bpm is not None and hr_bpm > 1.5 * 34.0 and verdict, (share, size)
        assert flag in (ALTERNATING_BEATS, MULTIPLE_OF_RHYTHM)
    # ... or noise of its long diastole, one pick at a random place in each interval, as tall as a beat: no
    # alternation to see, only the repeat
    noise = beats + rng.uniform(0.3, 0.8, len(beats)) * period_s
    times = np.sort(np.concatenate([beats, noise]))
    assert _beats_at(times, np.ones(len(times)), period_s)[1] == MULTIPLE_OF_RHYTHM


@pytest.mark.parametrize("seed", range(5))
def test_beats_that_are_one_hearts_are_not_flagged_against_the_pulses_repeat(seed: int) -> None:
    # a heart at 68/min whose lock held two alike beats per repeat (an autocorrelation at two beats): its rate
    beats = _slow_heart(68.0, seed)
    sizes = 1.0 + 0.05 * np.random.default_rng(seed).standard_normal(len(beats))
    hr_bpm, flag, verdict = _beats_at(beats, sizes, 2 * 60.0 / 68.0)
    assert hr_bpm is not None and abs(hr_bpm / 68.0 - 1.0) < 0.05 and flag is None and not verdict
    # a slow heart read at its own rate, its repeat its own interval: nothing to flag
    beats = _slow_heart(34.0, seed)
    hr_bpm, flag, verdict = _beats_at(beats, np.ones(len(beats)), 60.0 / 34.0)
    assert hr_bpm is not None and abs(hr_bpm / 34.0 - 1.0) < 0.05 and flag is None and not verdict


# Harsher waves (harsh_record: the third wave 0.2-0.6 tall at 0.3-0.6 of the interval, noise up to 0.2), seeds 0-1,
# where the rule was checked: main showed 7 of 180 at twice the rate with no flag (docs/measurements.md, "Slow hearts:
# the third wave"); 50 samples/s held 4 of them.
HARSH = [(bpm, 50.0, noise, colour, seed) for seed in (0, 1) for noise in (0.05, 0.12, 0.2) for colour in (0.0, 1.0)
         for bpm in (30, 34, 38, 42, 46)]


def test_a_slow_heart_with_a_harsh_third_wave_gives_its_own_rate_or_a_flag() -> None:
    right = 0
    for case in HARSH:
        bpm, fs = case[0], case[1]
        metrics = recording_metrics(harsh_record(*case)[0], fs, window_s=60.0)
        if metrics.hr_bpm is None:
            continue
        if abs(metrics.hr_bpm / bpm - 1.0) <= 0.1:
            right += 1
        else:
            assert metrics.hr_flag is not None, (case, metrics.hr_bpm)
    assert right >= 48  # main's right rates, none lost to the flag


# At 100 samples/s, 30/min, noise 0.2 pink: the picker takes each beat and, in most intervals, the third wave at
# 0.59 of the interval (0.39 tall) at a delay the noise spreads as much as the heart's own variation, so the picks
# repeat with the waveform; counted by place from the run's start (beats at one place, waves at the other), a pick
# missed or added mixed them and the places' sizes came to 0.76 of each other, over ALTERNATION_RATIO: read 59.2
# with no flag. Judged over every pair of consecutive picks, the wave is the smaller one.
def test_a_third_wave_whose_picks_slip_a_place_is_still_flagged() -> None:
    case = (30, 100.0, 0.2, 1.0, 0)
    metrics = recording_metrics(harsh_record(*case)[0], case[1], window_s=60.0)
    assert metrics.hr_bpm is not None and metrics.hr_bpm > 1.5 * 30  # the doubled rate, as main showed it ...
    assert metrics.hr_flag == MULTIPLE_OF_RHYTHM  # ... flagged
