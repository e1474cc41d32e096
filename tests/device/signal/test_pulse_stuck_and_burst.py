"""Two kinds a fresh-clone tester found in the pulse path, fixed as kinds.

No change is no pulse: a constant input (a stuck sensor, or an ADC pegged at full scale, which the DC check
takes for a finger) read as a heart rate of 375/min at 100 samples/s and 187.5 at 50, and brown drift
clipped at full scale gave beats on its flat, saturated stretches: band-passed, the same code over and over
is rounding dust, and the lock and the picker judge shape, not size. Generated inputs: constants of any size
and sign, drift pegged at the ADC's full scale half the time, and, against them, a pulse whose tops are
clipped flat (which must keep every beat) at 25, 50 and 100 samples/s.

A brief motion burst held the noise floor of the beats' timing up for up to a minute, so the beats stayed
withheld long after the hand was still: 1-3 s bursts 5-20x the pulse at 25, 50 and 100 samples/s.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bench.scoring import match_beats
from device.pulse import detect_beats as batch_entry_point
from device.pulse import hrv_metrics
from device.signal.pulse import FLAT_SPAN_S, PulsePipeline, detect_beats
from tests.device.signal.synthetic_ppg import power_law_noise, rsa_beat_times, synthetic_ppg

FULL_SCALE = 262143.0  # the MAX30102's 18-bit ADC


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("value", [0.0, 1.0, -5.0, 30000.0, 100000.0, FULL_SCALE, 1e9])
def test_a_constant_gives_no_beats_and_no_lock(fs_hz: int, value: float) -> None:
    pipeline = PulsePipeline(fs_hz)
    beats = []
    x = np.full(round(60 * fs_hz), value)
    for start in range(0, len(x), fs_hz // 10 or 1):
        update = pipeline.push(x[start:start + fs_hz // 10], start, dc_ok=True)
        beats.extend(update.beats)
        assert not update.finger_on
    assert beats == []
    assert len(detect_beats(np.full(120 * fs_hz, value), fs_hz)) == 0


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_random_constants_give_no_beats(fs_hz: int) -> None:
    for value in np.random.default_rng(fs_hz).uniform(1.0, FULL_SCALE, 20):
        assert len(detect_beats(np.full(60 * fs_hz, value), fs_hz)) == 0


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("seed", range(900, 906))
def test_no_beat_on_a_saturated_stretch(fs_hz: int, seed: int) -> None:
    """Brown drift pegged at full scale about half the time (a finger pressing harder, an LED current
    too high): whatever the drift itself does (issue 7's fault 4), no beat lies on a saturated stretch."""
    drift = power_law_noise(120 * fs_hz, 2.0, seed)
    top = np.quantile(drift, 0.5)
    x = np.round(FULL_SCALE - 3000.0 * (top - np.minimum(drift, top)))
    half = round(FLAT_SPAN_S * fs_hz)
    for t_s in detect_beats(x, fs_hz):
        i = round(t_s * fs_hz)
        assert np.ptp(x[max(i - half, 0):i + half + 1]) > 0.0


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("clip", [0.6, 0.8])
def test_a_pulse_with_clipped_tops_keeps_its_beats(fs_hz: int, clip: float) -> None:
    """The top (1 - clip) of every beat cut flat, as an ADC at full scale cuts it: each beat still
    changes within FLAT_SPAN_S of its peak, so none is lost."""
    duration_s = 60.0
    beats = rsa_beat_times(duration_s, hr_bpm=72.0)
    x = synthetic_ppg(beats, fs_hz, duration_s)
    ceiling = np.quantile(x, clip)
    got = detect_beats(np.minimum(x, ceiling), fs_hz)
    assert len(match_beats(beats, got)) >= 0.95 * len(beats[beats > 10.0])


def test_the_batch_entry_points_are_importable_where_they_always_were() -> None:
    beats = rsa_beat_times(60.0, hr_bpm=66.0)
    got = batch_entry_point(synthetic_ppg(beats, 100, 60.0), 100)
    assert np.array_equal(got, detect_beats(synthetic_ppg(beats, 100, 60.0), 100))
    assert hrv_metrics(got).hr_bpm == pytest.approx(66.0, abs=2.0)


def _pulse_with_a_burst(fs_hz: int, burst_s: float, size: float, seed: int, start_s: float = 40.0,
                        duration_s: float = 75.0) -> NDArray[np.float64]:
    """A 72/min pulse with a diastolic wave, pink noise 0.02 of it and breathing wander, on a DC level,
    and a burst of 1/f^1.5 motion `size` times the pulse for `burst_s` from `start_s`."""
    n = round(duration_s * fs_hz)
    t_s = np.arange(n) / fs_hz
    beats = rsa_beat_times(duration_s, hr_bpm=72.0, swing_bpm=0.0)
    motion = np.zeros(n)
    inside = (t_s >= start_s) & (t_s < start_s + burst_s)
    motion[inside] = size * power_law_noise(int(inside.sum()), 1.5, seed + 200)
    wander = 0.3 * np.sin(2 * np.pi * 0.2 * t_s)
    return 5e4 + 100.0 * (synthetic_ppg(beats, fs_hz, duration_s) + 0.02 * power_law_noise(n, 1.0, seed)
                          + wander + motion)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("burst_s, size", [(1.0, 20.0), (2.0, 20.0), (3.0, 5.0)])
def test_beats_come_back_within_seconds_of_a_brief_motion_burst(fs_hz: int, burst_s: float, size: float) -> None:
    """A 1-3 s burst 5-20x the pulse (a hand moved): the beats come back within a few seconds of its end.
    The noise floor the beats' timing is judged against once took every beat's spectrum in full, so a burst
    held it up, and withheld the beats, for up to a minute."""
    start_s = 40.0
    for seed in (1, 9, 10):
        got = detect_beats(_pulse_with_a_burst(fs_hz, burst_s, size, seed, start_s), fs_hz)
        after = got[got > start_s + burst_s]
        assert len(after) > 0
        resumed = np.diff(np.concatenate(([start_s + burst_s], after)))
        assert resumed.max() < 8.0  # the longest silence after the burst, seconds


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_level_flickering_by_a_code_or_two_gives_no_beats(fs_hz: int) -> None:
    """A stuck sensor whose level steps by one code every 0.8 s (a fresh-clone tester: 37.5/min), or sits at
    full scale with a code or two of noise: below anything that could be timed, so no beats."""
    n = 120 * fs_hz
    for seed in range(6):
        rng = np.random.default_rng(seed)
        steps = np.repeat(100000.0 + rng.integers(0, 2, n), round(0.8 * fs_hz))[:n]
        assert len(detect_beats(steps, fs_hz)) == 0
        pegged = np.clip(np.round(FULL_SCALE + rng.normal(0.0, 0.7, n)), 0.0, FULL_SCALE)
        assert len(detect_beats(pegged, fs_hz)) == 0
    t_s = np.arange(n) / fs_hz
    assert len(detect_beats(100000.0 + ((t_s * 1.2) % 1.0 < 0.5), fs_hz)) == 0  # a square wave one code tall


def _square_wave(fs_hz: int, n: int, rate_hz: float, low: float, high: float, duty: float, noise: float,
                 seed: int) -> NDArray[np.float64]:
    """A level switching between `low` and `high` at `rate_hz`, sampled as the MAX30102 samples: each sample
    is the mean of 8 conversions across its period, so an edge inside a sample gives one value between the
    levels; `noise` codes of noise, whole codes where the levels are ADC codes."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform()
    conversions = (np.arange(n * 8) + 0.5) / (8 * fs_hz)
    level = np.where((conversions * rate_hz + phase) % 1.0 < duty, high, low).reshape(n, 8).mean(axis=1)
    x = level + rng.normal(0.0, noise, n) if noise else level
    return np.round(x) if abs(high) >= 1000 else x


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize(("low", "high"), [(0.0, FULL_SCALE), (90000.0, 110000.0), (100000.0, 100400.0),
                                           (100000.0, 100020.0), (-1.0, 1.0)])
def test_a_level_that_jumps_and_sits_still_gives_no_beats(fs_hz: int, low: float, high: float) -> None:
    """A square wave of any size (an ADC swinging between its rails, a lamp or an indicator LED switching near
    the sensor) at 0.6-3 Hz, each level held at least 0.15 s (four samples at 25/s: a level held for a sample
    or two cannot be told from a fast upstroke), sampled with an edge inside a sample and with a code of
    noise: periodic and, band-passed, pulse-shaped, it read as a rate (rail to rail at 2 Hz: 120/min, a
    fresh-clone tester), at every size. No pulse jumps and then sits still, so no beats. With a code of noise
    the square must stand out of it (20 codes here, a second tester's 2-10 codes still give beats: README)."""
    n = 60 * fs_hz
    rng = np.random.default_rng(fs_hz)
    for seed in range(6):
        rate_hz = rng.uniform(0.6, 3.0)
        duty = rng.uniform(0.15 * rate_hz, 1.0 - 0.15 * rate_hz)
        noise = 0.7 if seed % 2 and high >= 1000 else 0.0
        x = _square_wave(fs_hz, n, rate_hz, low, high, duty, noise, seed)
        assert len(detect_beats(x, fs_hz)) == 0, (rate_hz, duty, noise)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_pulse_beside_jumps_keeps_its_beats(fs_hz: int) -> None:
    """Jumps in a window are taken out only to see whether anything else changes: a pulse with an exposure
    step or a switching lamp on top of it (steps a pulse height tall every 5 s) keeps its rate."""
    duration_s = 90.0
    beats = rsa_beat_times(duration_s, hr_bpm=72.0, swing_bpm=2.0)
    n = round(duration_s * fs_hz)
    t_s = np.arange(n) / fs_hz
    x = 100000.0 + 50.0 * synthetic_ppg(beats, fs_hz, duration_s, noise=0.01) + 50.0 * ((t_s // 5.0) % 2)
    got = detect_beats(x, fs_hz)
    late = got[got > 20.0]
    assert len(late) > 0.9 * np.count_nonzero(beats > 20.0)
    assert 60.0 / np.median(np.diff(late)) == pytest.approx(72.0, abs=3.0)


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("depth", [2e-4, 5e-4])
def test_a_shallow_pulse_on_a_high_level_keeps_its_rate(fs_hz: int, depth: float) -> None:
    """The floor under which raw samples count as flat (two codes at 1e5) is far under a pulse 2-5e-4 of
    its level deep, quantised to whole codes with a code of noise: the rate is still read."""
    duration_s = 60.0
    beats = rsa_beat_times(duration_s, hr_bpm=66.0, swing_bpm=1.0)
    rng = np.random.default_rng(3)
    pulse = synthetic_ppg(beats, fs_hz, duration_s)
    x = np.round(1e5 * (1.0 + depth * pulse / np.ptp(pulse)) + rng.normal(0.0, 0.5, pulse.size))
    got = detect_beats(x, fs_hz)
    assert len(got) > 20
    assert 60.0 / np.median(np.diff(got)) == pytest.approx(66.0, abs=3.0)
