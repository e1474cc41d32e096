"""A burst before a lock (an exposure step, a settling finger, a jolt): both band-passes start afresh after it.

The three ways a first fix of this kind broke (branch i7s, docs/measurements.md, "Records that open with a burst"),
each tried on generated inputs with known truth:
1. a burst ending on any sample of a check, at 25, 50 and 100 samples/s, and motion through the
   virtual MAX30102 at many onsets after the finger lands, raise nothing and leave the rate right;
2. noise that gives no beats as it is gives none with a burst added either;
3. a pulse after a burst is picked on a band-pass restarted after it too (not only judged on one), so
   its rate is not doubled.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from device.signal.pulse import PERIODICITY_EVERY_S, PERIODICITY_MIN_S, SETTLE_S, detect_beats
from sim.max30102 import PulseTrainOptics
from tests.device.signal.synthetic_ppg import power_law_noise, rsa_beat_times, synthetic_ppg
from tests.device.signal.test_pulse_faults import chip_beat_times

BURST = 30.0  # pulse heights


def rate_after(beats_s: NDArray[np.float64], after_s: float) -> float | None:
    """Median-interval rate (beats/min) of the beats after `after_s`, None with fewer than three."""
    late = beats_s[beats_s > after_s]
    return None if len(late) < 3 else 60.0 / float(np.median(np.diff(late)))


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_burst_ending_on_any_sample_of_a_check_is_handled(fs_hz: int) -> None:
    """A step held until sample p, for every p over two checks' worth of samples around the first check:
    the burst's last sample (in the raw signal and in the band-passed one) falls on every position of a
    check, the check's last sample among them. No error, and the pulse after it reads right."""
    hr_bpm, duration_s = 72.0, 20.0
    beats = rsa_beat_times(duration_s, hr_bpm, swing_bpm=2.0)
    clean = synthetic_ppg(beats, fs_hz, duration_s, noise=0.02, seed=3)
    first_check = round((SETTLE_S + PERIODICITY_MIN_S) * fs_hz)
    every = round(PERIODICITY_EVERY_S * fs_hz)
    for held in range(first_check - every, first_check + every + 1):
        x = clean.copy()
        x[:held] += BURST
        got = detect_beats(x, fs_hz)
        rate = rate_after(got, held / fs_hz + 8.0)
        assert rate is not None, f"no rate after a step held until sample {held}"
        assert rate == pytest.approx(hr_bpm, abs=4.0), f"step held until sample {held}"


@pytest.mark.parametrize("onset_s", [round(3.0 + 0.15 * k, 2) for k in range(17)])
def test_motion_soon_after_the_finger_lands_through_the_virtual_chip(onset_s: float) -> None:
    """Motion 3-5.4 s after the finger lands (before the first lock; the first fix raised IndexError at
    3.7-5.2 s): the pipeline runs on and the rate after the motion is right."""
    land_s, motion_s, rate_bpm = 2.0, 1.0, 67.0
    optics = PulseTrainOptics(rate_bpm=rate_bpm, finger_off_s=((0.0, land_s),),
                              motion_s=((land_s + onset_s, land_s + onset_s + motion_s),))
    got = chip_beat_times(optics, 30.0)
    rate = rate_after(got, land_s + onset_s + motion_s + 8.0)
    assert rate is not None
    assert rate == pytest.approx(rate_bpm, abs=2.0)


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, 2.0])
def test_noise_with_a_burst_locks_no_more_than_without(fs_hz: int, alpha: float) -> None:
    """1/f^alpha noise, seeds 0-9, 30 s: a 30x step or spike at 1.5 s gives beats only where the noise
    alone does (bench/bench_burst.py runs the same over 200 seeds)."""
    n = 30 * fs_hz
    k = round(1.5 * fs_hz)
    for seed in range(10):
        x = power_law_noise(n, alpha, seed)
        alone = len(detect_beats(x, fs_hz)) > 0
        step, spike = x.copy(), x.copy()
        step[:k] += BURST
        spike[k] += BURST
        for burst in (step, spike):
            assert alone or len(detect_beats(burst, fs_hz)) == 0, f"seed {seed}"


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("hr_bpm", [45, 75, 110, 150])
def test_a_pulse_after_a_burst_is_not_read_double(fs_hz: int, hr_bpm: float) -> None:
    """A fingertip pulse with a diastolic wave and a 30x step held for its first 1.5 s, 12 s: the rate is
    read (the burst no longer hides the pulse) and not doubled (the picker's band-pass restarted too)."""
    duration_s = 12.0
    beats = rsa_beat_times(duration_s, hr_bpm)
    x = synthetic_ppg(beats, fs_hz, duration_s, noise=0.02, seed=5)
    x[:round(1.5 * fs_hz)] += BURST
    got = detect_beats(x, fs_hz)
    rate = rate_after(got, 0.0)
    assert rate is not None
    assert rate == pytest.approx(60.0 / float(np.median(np.diff(beats))), abs=5.0)
    assert np.all(got > 1.5)  # no beat from the burst itself


def _narrow_slow_pulse(fs_hz: int, bpm: float, rise_s: float, fall_s: float, seed: int) -> tuple[
        NDArray[np.float64], NDArray[np.float64]]:
    """(signal, beat times) of 60 s of a slow heart with a narrow pulse: a raised-cosine upstroke of
    `rise_s`, an exponential fall with time constant `fall_s`, a long flat diastole, 2 % noise."""
    rng = np.random.default_rng(seed)
    beats = 1.0 + np.cumsum(np.r_[0.0, rng.normal(60.0 / bpm, 0.005, 40)])
    beats = beats[beats < 60.0]
    t_s = np.arange(62 * fs_hz) / fs_hz
    x = np.zeros_like(t_s)
    for b in beats:
        dt = t_s - b
        x += np.where((dt >= -rise_s) & (dt < 0.0), 0.5 - 0.5 * np.cos(np.pi * (dt + rise_s) / rise_s), 0.0)
        x += np.where(dt >= 0.0, np.exp(-dt / fall_s), 0.0)
    return x + 0.02 * rng.normal(size=len(t_s)), beats


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_slow_heart_whose_narrow_pulse_stands_out_like_a_burst_is_read(fs_hz: int) -> None:
    """At 30-36/min a narrow pulse (upstroke 40-80 ms) with a long flat diastole stands more than BURST_RATIO
    times the window's median on every beat: each beat was taken for a burst and the band-passes restarted
    after it, so no lock was ever made (0 beats in a minute, a fresh-clone tester). Bursts that recur as beats
    do (three, alike in size, at agreeing intervals, or at whole multiples of the autocorrelation's interval:
    with a quick fall, 0.1-0.2 s, a burst is seen only every second or third beat, a second tester) are
    beats: the rate is read within 20 s, with a quick fall within 35 s."""
    for bpm, rise_s, fall_s, seed, within_s in [(30.0, 0.04, 0.6, 1, 20.0), (30.0, 0.06, 0.6, 2, 20.0),
                                                (32.0, 0.08, 0.4, 3, 20.0), (36.0, 0.05, 0.8, 4, 20.0),
                                                (30.0, 0.04, 0.2, 5, 35.0), (33.0, 0.08, 0.2, 6, 35.0)]:
        x, beats = _narrow_slow_pulse(fs_hz, bpm, rise_s, fall_s, seed)
        got = detect_beats(x, fs_hz)
        rate = rate_after(got, within_s)
        assert rate == pytest.approx(bpm, abs=2.0), (bpm, rise_s, fall_s)
        assert np.count_nonzero(got > within_s) >= np.count_nonzero(beats > within_s) - 1
