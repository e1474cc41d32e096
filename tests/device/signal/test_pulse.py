"""The streaming pulse pipeline on synthetic PPG with known systolic-peak times."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from numpy.typing import NDArray

from bench.scoring import match_beats
from device.errors import InputError
from device.signal.pulse import Beat, PulsePipeline, detect_beats, stream_beats
from tests.device.signal.synthetic_ppg import narrow_wave_ppg, rsa_beat_times, synthetic_ppg, true_peaks_s

DURATION_S = 60.0


@pytest.fixture(scope="module")
def heart() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times, true peak times) of a minute of a heart breathing at 6/min."""
    beats = rsa_beat_times(DURATION_S)
    return beats, true_peaks_s(beats)


def push_all(pipeline: PulsePipeline, x: NDArray[np.float64], chunk: int, first_index: int = 0) -> list[Beat]:
    beats: list[Beat] = []
    for start in range(0, len(x), chunk):
        beats.extend(pipeline.push(x[start:start + chunk], first_index + start).beats)
    return beats


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_every_beat_is_found_and_timed_within_a_millisecond_on_a_clean_pulse(fs_hz: int, heart) -> None:
    beats, truth = heart
    detected = detect_beats(synthetic_ppg(beats, fs_hz, DURATION_S), fs_hz)
    matches = match_beats(truth, detected)
    assert len(matches) == len(truth) == len(detected)
    errors_ms = (detected[matches[:, 1]] - truth[matches[:, 0]]) * 1000.0
    assert np.max(np.abs(errors_ms)) < 1.0


@pytest.mark.parametrize("fs_hz", [25, 100])
def test_sensor_noise_moves_beats_by_only_a_few_milliseconds(fs_hz: int, heart) -> None:
    beats, truth = heart
    detected = detect_beats(synthetic_ppg(beats, fs_hz, DURATION_S, noise=0.02, seed=3), fs_hz)
    matches = match_beats(truth, detected)
    assert len(matches) == len(truth) == len(detected)
    errors_ms = (detected[matches[:, 1]] - truth[matches[:, 0]]) * 1000.0
    assert np.std(errors_ms) < 4.0
    assert abs(np.mean(errors_ms)) < 2.0


def test_beats_do_not_depend_on_how_the_samples_are_chunked(heart) -> None:
    beats, _ = heart
    fs_hz = 50
    x = synthetic_ppg(beats, fs_hz, DURATION_S, noise=0.01)
    reference = [b.t_s for b in push_all(PulsePipeline(fs_hz), x, 5)]
    for chunk in (1, 3, 17, 100, 1000):
        assert [b.t_s for b in push_all(PulsePipeline(fs_hz), x, chunk)] == pytest.approx(reference, abs=1e-9)


def test_a_weak_beat_is_recovered_and_chunking_still_does_not_matter() -> None:
    beats = rsa_beat_times(DURATION_S)
    gains = np.ones(len(beats))
    gains[[20, 35, 50]] = 0.3  # three beats at 30 % amplitude (poor perfusion)
    x = synthetic_ppg(beats, 50, DURATION_S, noise=0.01, gains=gains)
    got = {chunk: [b.t_s for b in push_all(PulsePipeline(50), x, chunk)] for chunk in (1, 5, 13, 50)}
    for times in got.values():
        assert times == pytest.approx(got[5], abs=1e-9)
    found = np.asarray(got[5])
    for k in (20, 35, 50):
        assert np.min(np.abs(found - beats[k])) < 0.03


def test_each_beat_is_reported_once_in_time_order(heart) -> None:
    beats, _ = heart
    times = [b.t_s for b in stream_beats(synthetic_ppg(beats, 100, DURATION_S), 100)]
    assert times == sorted(set(times))


def test_beat_times_count_from_the_first_index_not_from_zero(heart) -> None:
    beats, _ = heart
    fs_hz, offset = 100, 123_456
    x = synthetic_ppg(beats, fs_hz, DURATION_S)
    plain = [b.t_s for b in push_all(PulsePipeline(fs_hz), x, 10)]
    shifted = [b.t_s for b in push_all(PulsePipeline(fs_hz), x, 10, first_index=offset)]
    assert np.asarray(shifted) - offset / fs_hz == pytest.approx(plain, abs=1e-9)


def test_a_short_run_of_lost_samples_is_bridged_without_mistiming_any_beat(heart) -> None:
    beats, truth = heart
    fs_hz = 100
    x = synthetic_ppg(beats, fs_hz, DURATION_S)
    lost = slice(3000, 3020)  # 0.2 s lost from the FIFO at 30 s
    pipeline = PulsePipeline(fs_hz)
    detected: list[float] = []
    for start in range(0, len(x), 10):
        idx = np.arange(start, min(start + 10, len(x)))
        keep = idx[(idx < lost.start) | (idx >= lost.stop)]
        if len(keep):
            detected.extend(b.t_s for b in pipeline.push(x[keep], int(keep[0])).beats)
    got = np.asarray(detected)
    matches = match_beats(truth, got)
    assert len(matches) == len(got)  # nothing invented
    assert np.max(np.abs(got[matches[:, 1]] - truth[matches[:, 0]])) < 0.002
    assert len(matches) >= len(truth) - 2  # at most the beats whose peak window touched the gap


def test_a_long_gap_restarts_the_pipeline_and_beats_resume_with_the_right_times(heart) -> None:
    beats, truth = heart
    fs_hz = 50
    x = synthetic_ppg(beats, fs_hz, DURATION_S)
    pipeline = PulsePipeline(fs_hz)
    first = push_all(pipeline, x[:1000], 10)
    second = push_all(pipeline, x[1500:], 10, first_index=1500)  # 10 s lost
    got = np.asarray([b.t_s for b in first + second])
    matches = match_beats(truth, got)
    assert len(matches) == len(got)
    assert np.max(np.abs(got[matches[:, 1]] - truth[matches[:, 0]])) < 0.002
    assert any(b.t_s > 35.0 for b in second)


def test_indices_going_back_start_a_new_stream(heart) -> None:
    beats, _ = heart
    fs_hz = 50
    x = synthetic_ppg(beats, fs_hz, 20.0)
    pipeline = PulsePipeline(fs_hz)
    push_all(pipeline, x, 10)
    again = push_all(pipeline, x, 10)  # the sensor was re-initialised: indices restart at 0
    fresh = push_all(PulsePipeline(fs_hz), x, 10)
    assert [b.t_s for b in again] == pytest.approx([b.t_s for b in fresh])


def test_a_clean_pulse_reports_a_finger_and_high_quality(heart) -> None:
    beats, _ = heart
    pipeline = PulsePipeline(100)
    x = synthetic_ppg(beats, 100, 20.0, noise=0.01)
    found = push_all(pipeline, x, 10)
    update = pipeline.push(synthetic_ppg(beats, 100, 20.1)[2000:2010], 2000)
    assert update.finger_on
    assert update.quality > 0.8
    assert np.median([b.quality for b in found]) > 0.8


@pytest.mark.parametrize("fs_hz", [25, 100])
def test_a_flat_signal_gives_no_beats_and_no_finger(fs_hz: int) -> None:
    pipeline = PulsePipeline(fs_hz)
    x = np.full(int(30 * fs_hz), 123_456.0)
    assert push_all(pipeline, x, fs_hz // 10) == []
    assert not pipeline.push(x[:5], len(x)).finger_on


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fs_hz", [25, 100])
def test_noise_gives_no_beats_and_no_finger(fs_hz: int, seed: int) -> None:
    pipeline = PulsePipeline(fs_hz)
    x = np.random.default_rng(seed).standard_normal(int(60 * fs_hz))
    assert push_all(pipeline, x, fs_hz // 10) == []
    update = pipeline.push(x[:5], len(x))
    assert not update.finger_on
    assert update.quality == 0.0


def test_the_driver_saying_no_finger_wins_over_a_pulse(heart) -> None:
    beats, _ = heart
    pipeline = PulsePipeline(100)
    x = synthetic_ppg(beats, 100, 20.0)
    push_all(pipeline, x[:1500], 10)
    assert pipeline.push(x[1500:1510], 1500).finger_on
    update = pipeline.push(x[1510:1520], 1510, dc_ok=False)
    assert not update.finger_on
    assert update.beats == ()


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_memory_stays_bounded_over_two_hours() -> None:
    fs_hz = 25
    beats = np.arange(0.3, 60.3, 1.0)  # 60 beats/min, so a minute tiles seamlessly
    minute = synthetic_ppg(beats, fs_hz, 60.0, breath_bpm=6.0, noise=0.01)
    pipeline = PulsePipeline(fs_hz)
    chunk = fs_hz  # 1 s pushes keep the test quick; the pipeline does not care
    n_beats = 0
    for m in range(120):
        if m == 105:  # trace allocations over the last quarter hour only: tracing is slow
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
        for start in range(0, len(minute), chunk):
            n_beats += len(pipeline.push(minute[start:start + chunk], m * len(minute) + start).beats)
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert n_beats >= 7190  # still finding every beat after two hours
    assert growth < 16_000  # bytes held after 15 more minutes (900 beats): nothing accumulates


def test_detect_beats_is_the_streaming_pipeline_in_100_ms_chunks(heart) -> None:
    beats, _ = heart
    x = synthetic_ppg(beats, 50, DURATION_S, noise=0.01)
    streamed = push_all(PulsePipeline(50), x, 5)
    batch = detect_beats(x, 50)
    assert batch[:len(streamed)] == pytest.approx([b.t_s for b in streamed])


@pytest.mark.parametrize("fs_hz", [10.0, 1000.0])
def test_unsupported_rates_are_refused(fs_hz: float) -> None:
    with pytest.raises(InputError):
        PulsePipeline(fs_hz)


def test_non_finite_samples_are_refused() -> None:
    with pytest.raises(InputError):
        PulsePipeline(100).push(np.array([1.0, np.nan, 2.0]), 0)


def _slow_pulse_with_a_wave(fs_hz: int, bpm: float, wave: float, seed: int, delay_s: float = 0.5,
                            ) -> NDArray[np.float64]:
    """92 s of a slow heart: a raised-cosine upstroke of 0.12 s, an exponential fall (0.3 s), and a wave
    `wave` as tall `delay_s` after each systolic peak, with noise 2 % of the pulse (a fresh-clone tester's
    shape, with which the batch path once reported the last beat twice)."""
    rng = np.random.default_rng(seed)
    beats = 1.0 + np.cumsum(np.r_[0.0, rng.normal(60.0 / bpm, 0.01, 60)])
    t_s = np.arange(92 * fs_hz) / fs_hz
    x = np.zeros_like(t_s)
    for b in beats[beats < 90.0]:
        dt = t_s - b
        x += np.where((dt >= -0.12) & (dt < 0.0), 0.5 - 0.5 * np.cos(np.pi * (dt + 0.12) / 0.12), 0.0)
        x += np.where(dt >= 0.0, np.exp(-dt / 0.3), 0.0) + wave * np.exp(-0.5 * ((dt - delay_s) / 0.06) ** 2)
    return x + 0.02 * rng.normal(size=len(t_s))


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_beat_times_only_increase(fs_hz: int) -> None:
    """Two picks of one pulse (here a slow heart's tall wave) timed to the same raw maximum were both
    reported, the second at the same time as the first, and `hrv_metrics` then refused the series. A beat
    timed no later than the last one reported is not a new beat."""
    for bpm in (30.0, 35.0):
        for wave in (0.4, 0.6, 0.8):
            got = detect_beats(_slow_pulse_with_a_wave(fs_hz, bpm, wave, seed=0), fs_hz)
            assert (np.diff(got) > 0.0).all(), (bpm, wave)


@pytest.mark.parametrize(("fs_hz", "bpm", "wave", "delay_s"), [(25, 30.0, 0.6, 0.6), (50, 30.0, 0.6, 0.6),
                                                              (100, 30.0, 0.8, 0.6), (100, 35.0, 0.6, 0.5)])
def test_a_slow_heart_with_a_wave_a_quarter_of_its_interval_on_is_not_read_double(
        fs_hz: int, bpm: float, wave: float, delay_s: float) -> None:
    """A fresh-clone tester's slow hearts (30-35/min) with a wave 0.2-0.8 tall 0.5-0.6 s after the systole
    read 1.5-3x in 32 of 72 of their records (these members read 75-100/min): the picker was seeded with at
    most a 1 s interval. The autocorrelation's 2 s is now one beat, unless a trial picker's picks split it in
    two evenly (PulsePipeline._two_beats)."""
    got = detect_beats(_slow_pulse_with_a_wave(fs_hz, bpm, wave, seed=0, delay_s=delay_s), fs_hz)
    late = got[got > 15.0]
    assert 60.0 / np.median(np.diff(late)) == pytest.approx(bpm, abs=3.0)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_slow_hearts_with_a_wave_up_to_a_third_of_the_interval_on_read_their_own_rate(fs_hz: int) -> None:
    """Issue 7 fault 9's family on another generator (narrow Gaussian pulses, a breathing swing, baseline
    wander; seed 7, not looked at while choosing HARMONIC_EVEN): 30-36/min with a wave 0.4-0.8 as tall
    0.35-0.6 s on read their own rate (at 77d0559, 31 of these 81 read double or more)."""
    for bpm in (30.0, 33.0, 36.0):
        for share in (0.4, 0.6, 0.8):
            for delay_s in (0.35, 0.5, 0.6):
                ppg, truth = narrow_wave_ppg(bpm, fs_hz, share, delay_s, 45.0, seed=7, noise=0.02)
                got = detect_beats(ppg, fs_hz)
                late = got[got > 15.0]
                assert 60.0 / np.median(np.diff(late)) == pytest.approx(60.0 / np.median(np.diff(truth)), abs=3.0), (
                    bpm, share, delay_s)


@pytest.mark.parametrize("fs_hz", [50, 100])
def test_a_heart_whose_every_other_beat_is_half_as_tall_keeps_its_rate(fs_hz: int) -> None:
    """The other side of the harmonic decision: at 80/min with every other beat half as tall, the
    autocorrelation peaks at the pair (1.5 s, over SEED_IBI_MAX_S), and the heart must still read 80, not 40.
    (A guard: on these generated pulses the picker finds the smaller beats whichever seed it is given; the
    records where the decision itself matters are BUT PPG's 102004, 108003 and 109003, docs/measurements.md.)"""
    beats = rsa_beat_times(30.0, hr_bpm=80.0, swing_bpm=2.0)
    gains = np.where(np.arange(len(beats)) % 2 == 0, 1.0, 0.5)
    got = detect_beats(synthetic_ppg(beats, fs_hz, 30.0, noise=0.03, gains=gains), fs_hz)
    assert 60.0 / np.median(np.diff(got)) == pytest.approx(60.0 / np.median(np.diff(beats)), abs=2.0)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_narrow_wave_just_before_half_a_slow_interval_is_a_wave(fs_hz: int) -> None:
    """A second tester's narrow Gaussian waves 0.6-0.8 as tall at 0.42 of a 40-55/min heart's interval (0.46-0.63
    s on) split it unevenly; the picker's timing rule once asked for a wave within WAVE_DELAY_MAX_S (0.55 s) of
    its beat and read these 1.5-2.5x. It now judges the alternation at any delay. (At 0.58 of the interval 10 of
    144 records of seeds 7-8 still read 1.5-2x, mostly at 25 samples/s; at exactly half the interval the signal
    is an alternans at twice the rate and reads double: README, "Not fixed".)"""
    for bpm in (40.0, 45.0, 50.0, 55.0):
        for share in (0.6, 0.7, 0.8):
            ppg, truth = narrow_wave_ppg(bpm, fs_hz, share, 0.42 * 60.0 / bpm, 45.0, seed=7, noise=0.02)
            late = detect_beats(ppg, fs_hz)
            late = late[late > 15.0]
            assert 60.0 / np.median(np.diff(late)) == pytest.approx(60.0 / np.median(np.diff(truth)), abs=3.0), (
                bpm, share)


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="issue 7 fault 3, not fixed: a narrow wave 0.6-0.8 tall at exactly half a 40-50/min "
                          "interval is an alternans at twice the rate in all the picker sees (README, 'Not fixed')")
@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_narrow_wave_at_exactly_half_a_slow_interval_does_not_double(fs_hz: int) -> None:
    """A second tester's 40/min Gaussian pulses with a wave 0.7 as tall at half the interval read 80."""
    ppg, truth = narrow_wave_ppg(40.0, fs_hz, 0.7, 0.75, 45.0, seed=7, noise=0.02)
    late = detect_beats(ppg, fs_hz)
    late = late[late > 15.0]
    assert 60.0 / np.median(np.diff(late)) == pytest.approx(60.0 / np.median(np.diff(truth)), abs=3.0)
