"""Kinds of input that used to fool the beat picker, each on generated signals with known beats.

Motion of any length followed by a clean pulse (through the virtual MAX30102 and its driver, as the
device reads it), diastolic waves 0.2-0.8 of the systolic height at delays up to half the interval,
30-220 beats/min at 25, 50 and 100 samples/s, a pulse whose size changes several-fold, and a pulse
sinking into the sensor noise (quality must follow the timing error).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from numpy.typing import NDArray

from bench.scoring import match_beats
from device.clock import SimClock
from device.signal.pulse import PulsePipeline, detect_beats, stream_beats
from drivers.max30102 import Max30102, Max30102Settings
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from tests.device.signal.synthetic_ppg import (
    hand_motion,
    power_law_noise,
    rsa_beat_times,
    synthetic_ppg,
    true_peaks_s,
)


def chip_beat_times(optics: PulseTrainOptics, duration_s: float) -> NDArray[np.float64]:
    """Beat times from the virtual chip -> driver -> pipeline, read every 0.1 s as device/app.py does."""
    clock = SimClock()
    chip = VirtualMax30102(optics, clock, seed=1)
    bus = VirtualI2CBus(1)
    bus.attach(0x57, chip)
    sensor = Max30102(bus.open(), settings=Max30102Settings(), clock=clock)
    sensor.start()
    pipeline = PulsePipeline(sensor.fs_hz)
    stop = threading.Event()
    times: list[float] = []
    while clock.now_s() < duration_s:
        clock.wait_until(clock.now_s() + 0.1, stop)
        block = sensor.read()
        if block.n_samples:
            ppg = -np.asarray(block.ir, dtype=float) / block.ir_current_ma
            times.extend(b.t_s for b in pipeline.push(ppg, block.first_index, dc_ok=sensor.finger_on).beats)
    return np.asarray(times)


@pytest.mark.parametrize("motion_s", [1.0, 5.0, 12.0, 30.0])
def test_beats_resume_within_seconds_after_motion_of_any_length(motion_s: float) -> None:
    start_s, after_s = 20.0, 25.0
    optics = PulseTrainOptics(rate_bpm=67.0, motion_s=((start_s, start_s + motion_s),))  # default size
    end_s = start_s + motion_s + after_s
    got = chip_beat_times(optics, end_s)
    truth = optics.beat_times_s(end_s)
    resume_s = start_s + motion_s + 4.0  # beats must be back within 4 s of the hand coming to rest
    late, late_truth = got[got > resume_s], truth[(truth > resume_s) & (truth < end_s - 1.0)]
    matches = match_beats(late_truth, late)
    assert len(matches) == len(late_truth)
    assert len(late) <= len(late_truth) + 1  # nothing invented (the last beat may still be in flight)
    assert 60.0 / np.median(np.diff(late)) == pytest.approx(67.0, abs=1.0)


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize(("hr_bpm", "delay_s"), [(40, 0.5), (60, 0.3), (80, 0.35), (120, 0.2)])
@pytest.mark.parametrize("share", [0.2, 0.5, 0.8])
def test_a_diastolic_wave_never_doubles_the_rate(fs_hz: int, hr_bpm: int, delay_s: float, share: float) -> None:
    duration_s = 45.0
    beats = rsa_beat_times(duration_s, hr_bpm=hr_bpm, swing_bpm=hr_bpm / 12.0)
    x = synthetic_ppg(beats, fs_hz, duration_s, noise=0.01, dicrotic_share=share, dicrotic_delay_s=delay_s)
    got = detect_beats(x, fs_hz)
    matches = match_beats(beats, got, tolerance_s=0.05)
    assert len(matches) >= len(beats) - 1
    assert len(got) - len(matches) <= 4  # at most the waves reported before the pattern was learned
    assert 60.0 / np.median(np.diff(got)) == pytest.approx(hr_bpm, rel=0.03)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("hr_bpm", [30, 33, 45, 70, 100, 150, 190, 220])
def test_every_rate_from_30_to_220_per_minute_reads_right(fs_hz: int, hr_bpm: int) -> None:
    duration_s = 60.0
    beats = rsa_beat_times(duration_s, hr_bpm=hr_bpm, swing_bpm=hr_bpm / 10.0)
    got = detect_beats(synthetic_ppg(beats, fs_hz, duration_s, noise=0.01), fs_hz)
    matches = match_beats(beats, got, tolerance_s=0.05)
    # at 30/min, 100 Hz, two of the first beats are still lost while the picker learns the interval
    assert len(matches) >= 0.93 * len(beats)
    # the picker is seeded with at most a 1 s interval, so a 30/min heart may show up to three extra
    # maxima in the replayed first seconds before its own beats teach it the interval
    assert len(got) - len(matches) <= max(3.0, 0.05 * len(beats))
    assert 60.0 / np.median(np.diff(got)) == pytest.approx(hr_bpm, rel=0.02)


@pytest.mark.parametrize("factor", [0.15, 5.0])
def test_a_pulse_that_changes_size_several_fold_is_taken_up_again(factor: float) -> None:
    fs_hz, duration_s, change_s = 50, 70.0, 35.0
    beats = rsa_beat_times(duration_s)
    gains = np.where(beats > change_s, factor, 1.0)
    got = detect_beats(synthetic_ppg(beats, fs_hz, duration_s, noise=0.002, gains=gains), fs_hz)
    later = beats[beats > change_s + 6.0]
    matches = match_beats(later, got[got > change_s + 6.0], tolerance_s=0.05)
    assert len(matches) == len(later)


def test_beat_quality_falls_as_the_timing_error_grows_with_falling_perfusion() -> None:
    fs_hz, duration_s = 100, 60.0
    beats = rsa_beat_times(duration_s, hr_bpm=66.0, swing_bpm=1.0)
    truth = true_peaks_s(beats)
    noise = 0.01 * np.random.default_rng(1).standard_normal(round(duration_s * fs_hz))
    errors_ms, qualities = [], []
    for depth in (1.0, 0.3, 0.1, 0.05, 0.03):  # pulse size against the same sensor noise
        got = stream_beats(synthetic_ppg(beats, fs_hz, duration_s) * depth + noise, fs_hz)
        times = np.asarray([b.t_s for b in got])
        matches = match_beats(truth, times)
        assert len(matches) >= 0.95 * len(truth)
        errors_ms.append(float(np.std(times[matches[:, 1]] - truth[matches[:, 0]])) * 1000.0)
        qualities.append(float(np.median([b.quality for b in got])))
    assert errors_ms == sorted(errors_ms)  # the premise: a weaker pulse is timed worse
    assert qualities == sorted(qualities, reverse=True)
    # quality 1 / (1 + (sd / 10 ms)^2) read back as a timing error agrees with the measured one within 2x
    for err, q in zip(errors_ms, qualities, strict=True):
        predicted_ms = 10.0 * np.sqrt(1.0 / q - 1.0)
        assert 0.5 * err <= max(predicted_ms, 1.0) <= 2.0 * max(err, 0.5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_pulse_sunk_into_the_noise_gives_no_false_rate(seed: int) -> None:
    fs_hz, duration_s = 100, 60.0
    beats = rsa_beat_times(duration_s, hr_bpm=66.0, swing_bpm=1.0)
    noise = 0.01 * np.random.default_rng(seed).standard_normal(round(duration_s * fs_hz))
    for depth in (0.015, 0.01):  # pulse 1.5x and 1x the noise's standard deviation
        got = detect_beats(synthetic_ppg(beats, fs_hz, duration_s) * depth + noise, fs_hz)
        if len(got) > 2:  # no rate at all is a right answer too
            assert 60.0 / np.median(np.diff(got)) == pytest.approx(66.0, abs=5.0)


@pytest.mark.parametrize("size", [0.3, 0.6])
def test_light_fidgeting_keeps_the_rate_and_lowers_the_quality(size: float) -> None:
    fs_hz, duration_s, start_s, stop_s = 100, 80.0, 30.0, 60.0
    beats = rsa_beat_times(duration_s, hr_bpm=67.0)
    t_s = np.arange(round(duration_s * fs_hz)) / fs_hz
    x = synthetic_ppg(beats, fs_hz, duration_s, noise=0.01) + hand_motion(t_s, start_s, stop_s, size, seed=2)
    got = stream_beats(x, fs_hz)
    times = np.asarray([b.t_s for b in got])
    quality = np.asarray([b.quality for b in got])
    moving = (times >= start_s) & (times < stop_s)
    assert 60.0 / np.median(np.diff(times[moving])) == pytest.approx(67.0, rel=0.12)
    assert np.median(quality[moving]) < np.median(quality[~moving]) - 0.1
    after = times > stop_s + 3.0
    assert 60.0 / np.median(np.diff(times[after])) == pytest.approx(67.0, abs=1.0)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("seed", range(4))
def test_noise_of_any_colour_gives_no_beats(fs_hz: int, alpha: float, seed: int) -> None:
    """1/f^alpha noise, white to brown (a knuckle or sleeve whose pressure drifts).

    Seeds 0-3 were among those looked at while SLOPE_LOCK_ON and SLOPE_CONFIRM were chosen, so this pins
    those choices only; on unseen seeds brown noise and drift still give beats now and then
    (bench/bench_no_pulse.py --first-seed 200, docs/measurements.md, "No pulse, no beats").
    """
    assert len(detect_beats(power_law_noise(90 * fs_hz, alpha, seed), fs_hz)) == 0


@pytest.mark.parametrize("kind, seed", [
    ("brown", 104), ("brown", 114), ("drift", 102)])
def test_unseen_brown_noise_and_drift_give_no_beats(kind: str, seed: int) -> None:
    """Seeds once unseen (bench/bench_no_pulse.py --first-seed 100) that gave beats before the lock was
    confirmed and re-judged (device/signal/pulse.py); looked at since, so the held-out figure is
    bench/bench_no_pulse.py --first-seed 200. Drift seed 102 passed the lock, its confirmation and the keep
    check by chance until a new lock's spectral peak had to stand above the coloured background
    (SPECTRAL_FALSE_ALARM)."""
    fs_hz, n = 100, 120 * 100
    rng = np.random.default_rng(seed + 10_000)  # as bench.bench_no_pulse.drift builds it
    x = power_law_noise(n, 2.0, seed)
    if kind == "drift":
        x = x + np.cumsum(rng.standard_normal(n)) * 0.01
    assert len(detect_beats(x, fs_hz)) == 0


# (kind, samples/s, seed) of seeds 500-529 that gave beats at 9ac41db (2 min each) and none once a new lock
# whose raw spectral peak does not stand above the coloured background needs one check more; the family
# (brown, drift, 1/f^3 at 25/50/100 samples/s, seeds 500-529): runs with beats 82 -> 51 of 270
@pytest.mark.parametrize("kind, fs_hz, seed", [
    ("brown", 25, 513), ("brown", 100, 526), ("drift", 25, 511), ("drift", 50, 521), ("drift", 100, 501),
    ("1/f^3", 50, 516), ("1/f^3", 100, 517)])
def test_chance_locks_whose_peak_does_not_stand_out_give_no_beats(kind: str, fs_hz: int, seed: int) -> None:
    n = 120 * fs_hz
    if kind == "1/f^3":
        x = power_law_noise(n, 3.0, seed)
    else:
        x = power_law_noise(n, 2.0, seed)
        if kind == "drift":  # as bench.bench_no_pulse.drift builds it
            x = x + np.cumsum(np.random.default_rng(seed + 10_000).standard_normal(n)) * 0.01
    assert len(detect_beats(x, fs_hz)) == 0


@pytest.mark.parametrize("seed", range(3))
def test_a_pulse_in_brown_noise_still_locks(seed: int) -> None:
    fs_hz, duration_s = 100, 60.0
    beats = rsa_beat_times(duration_s)
    x = synthetic_ppg(beats, fs_hz, duration_s) + 0.3 * power_law_noise(round(duration_s * fs_hz), 2.0, seed)
    got = detect_beats(x, fs_hz)
    assert len(match_beats(beats, got)) >= 0.9 * len(beats)


@pytest.mark.parametrize("fs_hz", [25, 100])
def test_no_beats_on_the_noise_after_a_fading_wobble(fs_hz: int) -> None:
    """A damped 1.3 Hz oscillation 100x the noise's SD, time constant 1.5 s: below the noise by 7 s. Beats
    while it lasts may be taken for a pulse; none may come once only noise is left (from 10 s on)."""
    t = np.arange(0.0, 20.0, 1.0 / fs_hz)
    for seed in range(4):
        x = 0.3 * np.random.default_rng(seed).standard_normal(t.size) + 30.0 * np.exp(-t / 1.5) * np.sin(
            2 * np.pi * 1.3 * t)
        assert not np.any(detect_beats(x, fs_hz) > 10.0)  # seconds
