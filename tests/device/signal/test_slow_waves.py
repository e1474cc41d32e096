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

import pytest

from device.pulse import recording_metrics
from device.signal.pulse import PulsePipeline
from tests.device.signal.slow_wave_pulses import record

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
# end, every reason but low quality null (README "Not fixed").
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
    assert wrong_shown <= 3  # a third wave at half the interval read as a beat, the rate doubled (README Not fixed)


@pytest.mark.xfail(strict=True, reason="a picker drifting onto noise after a right seed (README Not fixed)")
@pytest.mark.parametrize("case", DRIFTS)
def test_a_picker_seeded_right_does_not_drift_onto_the_noise_of_a_slow_hearts_diastole(case) -> None:
    hr_bpm, flag = _reading(case)
    assert hr_bpm is None or flag is not None or abs(hr_bpm / case[0] - 1.0) <= 0.1
