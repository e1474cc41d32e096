"""A tall diastolic wave on phone-camera pulses (issue 7, fault 3's family), and what its cure must not do.

Generated records with known beats (tests/device/signal/synthetic_ppg.py `phone_camera_ppg`), 10 s, as the
held-out phone record that read 201 for 106; bench/bench_dicrotic.py measures the whole family and
bench/bench_rate_guards.py the opposite faults.

Two ways in:
- FIXED: at 80/min a wave 0.7-0.8 as tall, 0.4-0.45 s on, comes after the refractory window (0.45 of the
  interval) and passed the picker's bars. The picker now holds a pick that comes sooner than
  PREMATURE_FRACTION of the autocorrelation's interval, within WAVE_DELAY_MAX_S of a larger beat, until
  the next beat: if the two split one interval, it was extra (a wave) and is dropped; and it learns the
  wave from strict interval alternation (a wave keeps its delay) as well as from amplitude alternation.
- NOT FIXED (strict expected failures): at 106/min a wave 0.8-0.9 as tall, 0.3 s on, turns the camera
  pulse (wide, it fills the interval) into a signal of twice the rate: its intervals alternate by a tenth,
  its amplitudes by a few per cent, and the periodogram at the true rate stands no higher above the noise
  floor than a regular fast heart's; the autocorrelation seeds the picker at half the interval, and about
  half the records of this kind still read double.
Guards: fast hearts (150-220/min) with waves, clean or noisy, and fingertip pulses with a mild alternans are
not halved; a premature beat (with its compensatory pause) is still reported.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_phone_lock import heart_rate, run_record
from device.pulse import detect_beats
from tests.device.signal.synthetic_ppg import phone_camera_ppg, rsa_beat_times, synthetic_ppg

NOT_FIXED = pytest.mark.xfail(strict=True, raises=AssertionError,
                              reason="issue 7 fault 3, a tall diastolic wave at half the interval on camera pulses: "
                              "not fixed (docs/measurements.md, 'A tall diastolic wave')")


def _read_bpm(hr_bpm: float, share: float, delay_s: float, fs_hz: float, seed: int,
              noise: float = 0.02) -> tuple[float | None, float]:
    ppg, truth = phone_camera_ppg(hr_bpm, 10.0, seed=seed, fs_hz=fs_hz, noise=noise, dicrotic_share=share,
                                  dicrotic_delay_s=delay_s)
    beats, _ = run_record(ppg, fs_hz)
    return heart_rate(beats), 60.0 / float(np.median(np.diff(truth)))


@NOT_FIXED
@pytest.mark.parametrize("fs_hz", [25.0, 30.0, 50.0, 100.0])
@pytest.mark.parametrize("share", [0.8, 0.9])
def test_a_wave_at_half_the_interval_does_not_double_106_per_minute(fs_hz: float, share: float) -> None:
    for seed in range(5):
        estimate, true_bpm = _read_bpm(106.0, share, 0.3, fs_hz, seed=seed)
        assert estimate is not None
        assert abs(estimate - true_bpm) <= 5.0, f"seed {seed}: {estimate:.1f} for {true_bpm:.1f}"


@pytest.mark.parametrize("fs_hz", [25.0, 30.0, 50.0, 100.0])
@pytest.mark.parametrize("delay_s", [0.4, 0.45])
def test_a_wave_after_the_refractory_window_does_not_double_80_per_minute(fs_hz: float, delay_s: float) -> None:
    for share in (0.7, 0.8):
        for seed in range(5):
            estimate, true_bpm = _read_bpm(80.0, share, delay_s, fs_hz, seed=seed)
            assert estimate is not None
            assert abs(estimate - true_bpm) <= 5.0, f"share {share}, seed {seed}: {estimate:.1f} for {true_bpm:.1f}"


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
def test_a_fast_heart_with_a_wave_is_not_halved(fs_hz: float) -> None:
    for hr_bpm in (150.0, 180.0, 200.0):
        for share in (0.3, 0.8):
            for delay_s in (0.25, 0.35):
                estimate, true_bpm = _read_bpm(hr_bpm, share, delay_s, fs_hz, seed=0)
                assert estimate is not None
                assert abs(estimate - true_bpm) <= 5.0, f"{hr_bpm}/min, wave {share} at {delay_s} s: {estimate:.1f}"


@pytest.mark.parametrize("fs_hz", [25.0, 30.0, 50.0])
def test_a_noisy_fast_heart_is_not_halved(fs_hz: float) -> None:
    # camera noise 0.2 of the pulse: a picker that loses a beat or two must not then drop every other one
    # (held picks are judged against the autocorrelation's interval, not the picker's own)
    for hr_bpm in (180.0, 200.0, 220.0):
        for seed in range(50, 54):
            for share, delay_s in ((0.3, 0.25), (0.5, 0.35), (0.8, 0.45)):
                estimate, true_bpm = _read_bpm(hr_bpm, share, delay_s, fs_hz, seed=seed, noise=0.2)
                assert estimate is None or abs(estimate / true_bpm - 0.5) > 0.1, (
                    f"{hr_bpm}/min, seed {seed}, wave {share} at {delay_s} s: {estimate:.1f}")


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
@pytest.mark.parametrize("hr_bpm", [150.0, 200.0])
def test_a_mild_alternans_is_not_taken_for_a_wave(fs_hz: float, hr_bpm: float) -> None:
    # every other beat 10-20 % smaller, at a rate where the interval itself is as short as a wave's delay
    beats = rsa_beat_times(30.0, hr_bpm=hr_bpm)
    for depth in (0.1, 0.2):
        gains = np.where(np.arange(len(beats)) % 2 == 0, 1.0, 1.0 - depth)
        got, _ = run_record(synthetic_ppg(beats, fs_hz, 30.0, noise=0.02, gains=gains), fs_hz)
        estimate = heart_rate(got)
        assert estimate is not None
        assert abs(estimate - 60.0 / float(np.median(np.diff(beats)))) <= 5.0, f"depth {depth}: {estimate:.1f}"


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
@pytest.mark.parametrize("early", [0.25, 0.35, 0.45])
def test_a_premature_beat_with_its_pause_is_still_reported(fs_hz: float, early: float) -> None:
    # every sixth beat comes `early` of an interval early, at 0.6 of the size, then a compensatory pause:
    # it is held as a possible wave, and kept because it and the next beat do not split one interval
    ibi_s = 0.75
    times = [0.5]
    while times[-1] < 40.0:
        if len(times) % 6 == 5:
            times += [times[-1] + ibi_s * (1.0 - early), times[-1] + 2.0 * ibi_s]
        else:
            times.append(times[-1] + ibi_s)
    beats = np.asarray(times)
    gains = np.where(np.diff(beats, prepend=-1.0) < 0.9 * ibi_s, 0.6, 1.0)
    got = np.asarray(run_record(synthetic_ppg(beats, fs_hz, 40.0, noise=0.005, gains=gains), fs_hz)[0])
    assert len(got) > 20
    premature = beats[(gains < 1.0) & (beats > got[0]) & (beats < got[-1])]
    assert len(premature) >= 4
    assert all(np.min(np.abs(got - t)) < 0.05 for t in premature)
    assert all(np.min(np.abs(beats - t)) < 0.05 for t in got)  # and nothing else


@pytest.mark.parametrize("fs_hz", [25.0, 30.0, 50.0, 100.0])
@pytest.mark.parametrize(("hr_bpm", "share", "delay_s"), [(80.0, 0.3, 0.4), (106.0, 0.3, 0.3), (80.0, 0.5, 0.4),
                                                        (106.0, 0.5, 0.3), (150.0, 0.8, 0.3)])
def test_a_smaller_wave_or_another_rate_reads_right(fs_hz: float, hr_bpm: float, share: float, delay_s: float) -> None:
    estimate, true_bpm = _read_bpm(hr_bpm, share, delay_s, fs_hz, seed=2)
    assert estimate is not None
    assert abs(estimate - true_bpm) <= 5.0


def narrow_wave_ppg(hr_bpm: float, fs_hz: float, share: float, delay_s: float, duration_s: float,
                    seed: int, noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(ppg, true beat times s): a fingertip-like pulse of two Gaussian bumps per beat, the systolic one (sd
    0.08 s or 0.15 of the interval) and a diastolic one `share` as tall, `delay_s` after it (sd 0.10 s or 0.18
    of the interval); a 2 % breathing swing and jitter in the intervals, a slow baseline wander, white noise.
    The shape a fresh-clone tester used: narrower waves than `synthetic_ppg`'s, so a wave near half the
    interval stands on its own."""
    rng = np.random.default_rng(seed)
    interval_s = 60.0 / hr_bpm
    beats = [0.5]
    while beats[-1] < duration_s:
        t = beats[-1]
        beats.append(t + interval_s * (1.0 + 0.02 * np.sin(2 * np.pi * 0.25 * t) + 0.01 * rng.standard_normal()))
    times = np.array(beats)
    t_s = np.arange(round(duration_s * fs_hz)) / fs_hz
    sd_systole, sd_wave = min(0.08, 0.15 * interval_s), min(0.10, 0.18 * interval_s)
    ppg = np.zeros_like(t_s)
    for beat_s in times:
        ppg += np.exp(-0.5 * ((t_s - beat_s) / sd_systole) ** 2)
        ppg += share * np.exp(-0.5 * ((t_s - beat_s - delay_s) / sd_wave) ** 2)
    ppg += 0.3 * np.sin(2 * np.pi * 0.2 * t_s + rng.uniform(0, 2 * np.pi)) + noise * rng.standard_normal(t_s.size)
    return ppg, times[times < duration_s]


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
@pytest.mark.parametrize(("hr_bpm", "share", "delay_s"), [(80.0, 0.7, 0.4), (70.0, 0.6, 0.45), (40.0, 0.8, 0.5)])
def test_a_narrow_tall_wave_near_half_the_interval_does_not_double(fs_hz: float, hr_bpm: float, share: float,
                                                                    delay_s: float,
                                                                    request: pytest.FixtureRequest) -> None:
    # NOT FIXED (a fresh-clone tester's finding): a wave 0.6-0.8 tall at 0.45-0.53 of the interval doubles;
    # of these members only 40/min at 50 samples/s (this seed) reads right today
    if (hr_bpm, fs_hz) != (40.0, 50.0):
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                              reason="issue 7 fault 3, a narrow wave 0.6-0.8 tall near half the "
                                              "interval: not fixed (docs/measurements.md, 'A tall diastolic wave')"))
    ppg, truth = narrow_wave_ppg(hr_bpm, fs_hz, share, delay_s, 45.0, seed=2)
    beats = detect_beats(ppg, fs_hz)
    true_bpm = 60.0 / float(np.median(np.diff(truth)))
    late = beats[beats > 15.0]
    assert len(late) >= 2
    assert abs(60.0 / float(np.median(np.diff(late))) - true_bpm) <= 5.0


@pytest.mark.parametrize("fs_hz", [25.0, 50.0, 100.0])
@pytest.mark.parametrize(("hr_bpm", "share", "delay_s"), [(80.0, 0.4, 0.4), (70.0, 0.3, 0.45), (60.0, 0.5, 0.3)])
def test_a_narrow_smaller_wave_reads_right(fs_hz: float, hr_bpm: float, share: float, delay_s: float) -> None:
    ppg, truth = narrow_wave_ppg(hr_bpm, fs_hz, share, delay_s, 45.0, seed=2)
    beats = detect_beats(ppg, fs_hz)
    late = beats[beats > 15.0]
    assert len(late) >= 2
    assert abs(60.0 / float(np.median(np.diff(late))) - 60.0 / float(np.median(np.diff(truth)))) <= 5.0
