"""Motion while the finger lands (issue 7, faults 1/2, as a fresh-clone tester drove it): the virtual MAX30102's
motion knob at its default size (a 3 Hz hand, three times the pulse) from the first seconds -> driver ->
PulseSensor -> SensorChannel, read every 0.1 s (bench/bench_landing_motion.py). The lock is made on the hand;
once the hand is still, no wrong heart rate may be shown with a null reason for more than a few seconds, and
the true rate (67/min) must come back and stay. Main showed 180 or 97/min 15-46 s after the hand was still.
"""

from __future__ import annotations

import math

import pytest

from bench.bench_landing_motion import judge, shown

# the pulse is locked afresh once the hand is still: the level-fall release comes at the next periodicity
# check (about 2.5 s on), the new lock about 6 s after that, and its figures after a regular run of beats
WRONG_AFTER_MAX_S = 4.0
BACK_MAX_S = 15.0


@pytest.mark.parametrize(("fs_hz", "seed", "start_s", "length_s"), [
    (25, 1, 0.0, 5.0), (25, 3, 1.0, 20.0), (25, 4, 3.0, 10.0),
    (50, 1, 0.0, 10.0), (50, 3, 3.0, 5.0), (50, 5, 1.0, 20.0),
    (100, 2, 3.0, 20.0), (100, 4, 0.0, 10.0), (100, 6, 1.0, 5.0),
])
def test_a_hand_moving_as_the_finger_lands_leaves_no_wrong_rate(fs_hz: int, seed: int, start_s: float,
                                                                 length_s: float) -> None:
    stop_s = start_s + length_s
    outcome = judge(shown(fs_hz, seed, start_s, length_s, after_s=30.0), start_s, stop_s)
    assert outcome.wrong_after_s <= WRONG_AFTER_MAX_S
    assert math.isfinite(outcome.back_s) and outcome.back_s <= BACK_MAX_S



@pytest.mark.parametrize(("fs_hz", "seed", "start_s", "length_s", "pulse_bpm"), [
    (25, 1, 0.0, 10.0, 90.0), (50, 2, 1.0, 5.0, 80.0), (100, 1, 0.0, 20.0, 100.0), (50, 3, 0.0, 10.0, 90.0),
])
def test_a_hand_at_twice_the_pulse_rate_leaves_no_wrong_rate(fs_hz: int, seed: int, start_s: float,
                                                              length_s: float, pulse_bpm: float) -> None:
    """The hand's 3 Hz is a harmonic of an 80-100/min pulse (2 to 2.25 times it): a fresh-clone tester found the
    hand's 180/min shown up to 40 s after it was still when a released lock at 1/2 or 2 times the new one's
    rhythm counted as the same signal."""
    stop_s = start_s + length_s
    outcome = judge(shown(fs_hz, seed, start_s, length_s, after_s=30.0, pulse_bpm=pulse_bpm), start_s, stop_s,
                    pulse_bpm)
    assert outcome.wrong_after_s <= WRONG_AFTER_MAX_S
    assert math.isfinite(outcome.back_s) and outcome.back_s <= BACK_MAX_S

@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_pulse_that_drops_out_and_returns_keeps_its_beats(fs_hz: int, seed: int) -> None:
    """A real pulse's lock released by a level fall (a flat dropout, as in CapnoBase 0147 and 0312) comes back
    at its own rhythm and level: its beats before are not reported as motion (the cost of reporting every
    released lock's beats so: CapnoBase half B's RMSSD error per window 6.0 -> 11.9 ms)."""
    import numpy as np

    from device.signal.pulse import PulsePipeline
    from tests.device.signal.synthetic_ppg import rsa_beat_times, synthetic_ppg

    duration_s, drop = 90.0, (40.0, 48.0)
    truth = rsa_beat_times(duration_s, hr_bpm=67.0)
    x = synthetic_ppg(truth, fs_hz, duration_s, noise=0.01, seed=seed)
    lo, hi = round(drop[0] * fs_hz), round(drop[1] * fs_hz)
    x[lo:hi] = x[lo]  # the signal collapses (a flat line)
    pipeline = PulsePipeline(fs_hz)
    step = round(0.1 * fs_hz)
    spans, beats = [], []
    for first in range(0, len(x), step):
        update = pipeline.push(x[first:first + step], first)
        spans += update.motion
        beats += [b.t_s for b in update.beats]
    assert any(t > drop[1] + 10.0 for t in beats)  # locked again after the dropout
    assert all(start >= drop[0] - 2.0 for start, _ in spans), spans
    assert np.sum(np.asarray(beats) < drop[0]) > 30


# a hand smaller than the level fall that releases a lock (LEVEL_FALL): the lock follows the hand, then the pulse
# under it; the heart rate must rest on the pulse's rhythm once MOTION_CLEAR_INTERVALS of its intervals are in
SMALL_HAND_WRONG_AFTER_MAX_S = 7.0


@pytest.mark.parametrize(("fs_hz", "seed", "start_s", "length_s", "pulse_bpm"), [
    (25, 1, 3.0, 10.0, 80.0), (50, 1, 3.0, 20.0, 90.0), (100, 2, 3.0, 10.0, 100.0), (50, 4, 3.0, 20.0, 80.0),
])
def test_a_hand_from_three_seconds_at_twice_the_pulse_rate_leaves_no_wrong_rate(
        fs_hz: int, seed: int, start_s: float, length_s: float, pulse_bpm: float) -> None:
    """The lock is made on a blend of hand and pulse (0.68 s for an 80/min pulse under a 3 Hz hand) and then
    follows the hand: the rhythm it reported, not the one it was made on, tells it from the pulse locked after
    (main showed the hand's rate 12-41 s after it was still)."""
    stop_s = start_s + length_s
    outcome = judge(shown(fs_hz, seed, start_s, length_s, after_s=30.0, pulse_bpm=pulse_bpm), start_s, stop_s,
                    pulse_bpm)
    assert outcome.wrong_after_s <= WRONG_AFTER_MAX_S
    assert math.isfinite(outcome.back_s) and outcome.back_s <= BACK_MAX_S


@pytest.mark.parametrize(("fs_hz", "seed", "start_s", "length_s", "pulse_bpm", "size"), [
    (25, 1, 0.0, 10.0, 67.0, 1.5), (50, 2, 1.0, 20.0, 90.0, 1.5), (100, 3, 0.0, 10.0, 67.0, 1.0),
    (50, 1, 0.0, 20.0, 67.0, 1.0), (25, 2, 1.0, 10.0, 100.0, 1.5),
])
def test_a_small_hand_as_the_finger_lands_leaves_no_wrong_rate(fs_hz: int, seed: int, start_s: float,
                                                               length_s: float, pulse_bpm: float, size: float) -> None:
    """A hand 1-1.5 pulse sizes (too small for the level fall to release its lock): main showed its 180/min up to
    45 s after it was still, while the beats were the pulse's from the moment it stopped."""
    stop_s = start_s + length_s
    outcome = judge(shown(fs_hz, seed, start_s, length_s, size=size, after_s=30.0, pulse_bpm=pulse_bpm),
                    start_s, stop_s, pulse_bpm)
    assert outcome.wrong_after_s <= SMALL_HAND_WRONG_AFTER_MAX_S
    assert math.isfinite(outcome.back_s) and outcome.back_s <= BACK_MAX_S
