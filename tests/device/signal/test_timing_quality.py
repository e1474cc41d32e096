"""Quality means timing (issue 7, fault 6): beat quality must follow the timing error in noise of any colour,
and HRV must be right or withheld.

Inputs: the synthetic pulse of synthetic_ppg.py plus 1/f^alpha noise (alpha 0 white, 1 pink, 2 brown) at a
few levels, at 25, 50 and 100 samples/s and 45-220 beats/min, built by bench/bench_timing_quality.py (the
benchmark that prints the same family over more seeds and rates). The true systolic peaks are known, so the
timing error is measured, not assumed.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_timing_quality import pulse_in_noise, rmssd_ok, run, run_shape
from bench.scoring import match_beats
from device.signal.hrv import TIMING_NOISE, hrv_metrics
from device.signal.pulse import PulsePipeline, stream_beats
from tests.device.signal.synthetic_ppg import rsa_beat_times


def claimed_ms(quality: float) -> float:
    """The timing error a beat quality stands for: quality = 1 / (1 + (sd / 10 ms)^2)."""
    return 10.0 * float(np.sqrt(1.0 / quality - 1.0)) if quality > 0 else float("inf")


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 2.0])
def test_beat_quality_claims_the_timing_error_in_noise_of_any_colour(fs_hz: int, alpha: float) -> None:
    for level in (0.03, 0.1, 0.33):
        got = run(70.0, fs_hz, alpha, level, seed=0)
        assert got.err_ms is not None and got.claimed_ms is not None
        # within 2x either way (1 ms floor: below it the shape score, not the timing, sets the quality)
        assert max(got.claimed_ms, 1.0) <= 2.0 * max(got.err_ms, 1.0), (level, got)
        assert max(got.err_ms, 1.0) <= 2.0 * max(got.claimed_ms, 1.0), (level, got)


def test_a_pulse_in_pink_noise_a_third_its_height_is_not_scored_as_clean() -> None:
    """The fresh-clone tester's case: at 100 samples/s beats were timed to 31-35 ms while quality read 0.71,
    and an RMSSD of 53 ms was shown for a true 7 ms. Both the beats' and the rolling quality must now say
    that the beats are timed worse than 10 ms, and no RMSSD may be shown."""
    fs_hz = 100
    x, truth = pulse_in_noise(70.0, fs_hz, 1.0, 0.33, seed=3)
    pipeline = PulsePipeline(fs_hz)
    times, qualities, rolling = [], [], []
    step = 10
    for first in range(0, len(x), step):
        update = pipeline.push(x[first:first + step], first)
        times.extend(b.t_s for b in update.beats)
        qualities.extend(b.quality for b in update.beats)
        if update.finger_on:
            rolling.append(update.quality)
    t = np.asarray(times)
    matches = match_beats(truth, t)
    err_ms = 1000.0 * float(np.std(t[matches[:, 1]] - truth[matches[:, 0]]))
    assert err_ms > 10.0  # the premise: these beats cannot carry an RMSSD of a few ms
    assert np.median(qualities) < 0.5
    assert np.median(rolling) < 0.5
    assert hrv_metrics(t, qualities=np.asarray(qualities)).rmssd_ms is None


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 2.0])
def test_rmssd_is_right_or_withheld_in_noise_of_any_colour(fs_hz: int, alpha: float) -> None:
    """Every level from a clean pulse to one nobody could time, slow to fast hearts: an RMSSD shown is
    within 2x of the truth (+-2 ms); SDNN, pNN50 and coherence go with it (one reason withholds all).
    White, pink and brown noise here (about a minute of the suite's time); the colours between, on unseen
    seeds, are bench_timing_quality's (`--first-seed 2`, 720 records)."""
    shown = 0
    for level in (0.03, 0.1, 0.33, 0.6):
        for hr_bpm in (45.0, 70.0, 160.0):
            got = run(hr_bpm, fs_hz, alpha, level, seed=1)
            if got.rmssd_ms is not None:
                shown += 1
                assert rmssd_ok(got.rmssd_ms, got.true_rmssd_ms), (level, hr_bpm, got)
            else:
                assert got.reason is not None
    assert shown >= 1  # not everything withheld: a clean enough pulse still gets its RMSSD


def test_timing_noise_withholds_hrv_but_not_the_heart_rate() -> None:
    """The tracker's own rule on a heart of known RMSSD (about 20 ms) timed with known noise: 2 ms of timing
    noise is a small part of it (shown, close to the truth), 8 ms would make up most of it (withheld with
    TIMING_NOISE; the heart rate stays). Beats that carry no estimate (0) are not judged by it."""
    rng = np.random.default_rng(4)
    ibi_s = 0.85 + 0.02 * np.sin(2 * np.pi * np.arange(90) / 10.0) + 0.004 * rng.standard_normal(90)
    beats = np.cumsum(ibi_s)
    true_rmssd = 1000.0 * float(np.sqrt(np.mean(np.diff(ibi_s) ** 2)))
    for sd_s, withheld in ((0.002, False), (0.008, True)):
        noisy = beats + sd_s * rng.standard_normal(len(beats))
        metrics = hrv_metrics(noisy, timing_sds=np.full(len(beats), sd_s))
        assert metrics.hr_bpm == pytest.approx(60.0 / 0.85, rel=0.02)
        if withheld:
            assert metrics.rmssd_ms is None and metrics.hrv_reason == TIMING_NOISE
            assert metrics.sdnn_ms is None and metrics.pnn50_pct is None and metrics.coherence is None
            assert hrv_metrics(noisy).rmssd_ms is not None  # no estimate given: not judged by it
        else:
            assert metrics.rmssd_ms == pytest.approx(true_rmssd, rel=0.25)


def test_each_beat_carries_its_timing_uncertainty() -> None:
    x, _ = pulse_in_noise(70.0, 50, 1.0, 0.1, seed=2)
    beats = stream_beats(x, 50)
    sds = np.asarray([b.timing_sd_s for b in beats])
    quality = np.asarray([b.quality for b in beats])
    assert len(beats) > 90 and np.all(sds > 0.0) and np.all(np.isfinite(sds))
    assert np.all(quality <= 1.0 / (1.0 + (sds / 0.010) ** 2) + 1e-12)  # quality never claims better timing


# The fourth fresh-clone tester's two cases, as families (issue 7, fault 6; bench.bench_timing_quality --family
# shapes prints them over more levels, rates and seeds). A ratio is estimated over measured timing error, both
# floored at 1 ms (below it other things than timing set the figures).


def _ratio(est_ms: float | None, err_ms: float | None) -> float:
    assert est_ms is not None and err_ms is not None
    return max(est_ms, 1.0) / max(err_ms, 1.0)


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_a_clean_sharp_pulse_gets_the_hrv_of_a_calm_heart(fs_hz: int) -> None:
    """A clean pulse with a fast upstroke (onset to peak in 0.1 s) and a calm heart (RMSSD 7-19 ms): at 25
    samples/s the estimate read 2-5x the measured error (the white floor was taken from the top of the band,
    where such a pulse still has content of its own) and HRV was withheld as timing_noise in 19 of 20 of the
    tester's records. The estimate must now be within 1.5x of the measured error and RMSSD shown, right."""
    for hr_bpm in (55.0, 70.0, 85.0):
        for seed in (0, 1):
            got = run_shape("sharp", "white", 0.0, hr_bpm, fs_hz, seed)
            assert 1 / 1.5 <= _ratio(got.est_ms, got.err_ms) <= 1.5, (hr_bpm, seed, got)
            assert got.rmssd_ms is not None, (hr_bpm, seed, got)
            assert got.true_rmssd_ms / 1.4 <= got.rmssd_ms <= 1.4 * got.true_rmssd_ms, (hr_bpm, seed, got)


def test_noise_in_the_pulses_own_band_is_not_read_low() -> None:
    """Pink noise confined to 0.5-4 Hz, 5 % of the pulse (the pulse's own band: it moves the whole beat, and the
    template fit with it): the estimate read 1.5-2x low (median 0.66 of the measured error on this family) and
    RMSSD more than 1.4x the truth was shown with no reason. Our pulse and the tester's Gaussian waves at 25/50/
    100 samples/s and 60-90 beats/min: the median estimate must be within 1.3x of the measured error, none
    under half of it, and at most one shown RMSSD more than 1.4x the truth (+1 ms; 3 of 18 before; the
    Gaussian pulse still reads about 0.8x: see README, Not fixed)."""
    ratios, far = [], 0
    for shape in ("ours", "gauss"):
        for fs_hz in (25, 50, 100):
            for hr_bpm in (60.0, 75.0, 90.0):
                got = run_shape(shape, "band", 0.05, hr_bpm, fs_hz, seed=0)
                ratios.append(_ratio(got.est_ms, got.err_ms))
                far += got.rmssd_ms is not None and got.rmssd_ms > 1.4 * got.true_rmssd_ms + 1.0
    assert 1 / 1.3 <= float(np.median(ratios)) <= 1.3, ratios
    assert min(ratios) >= 0.5, ratios
    assert far <= 1, (far, ratios)


def _wide_gauss_record(hr_bpm: float, fs_hz: float, width: float, phase: float) -> tuple[np.ndarray, np.ndarray]:
    """80 s of a calm slow heart (breathing 6/min, rate swinging 1.5 beats/min: RMSSD about 10-25 ms) whose pulse
    is a systolic Gaussian of sd `width` x the mean interval with a diastolic wave 0.4 as tall, 0.36 of the
    interval on (sd 1.2 x the systolic's), as chip counts (1000 counts of pulse on 100000, rounded: no other
    noise). Returns the samples and the true systolic peaks (the noise-free sum's maximum near each beat)."""
    rr_s = 60.0 / hr_bpm
    sd_s = width * rr_s
    beats = rsa_beat_times(80.0, hr_bpm, 6.0, 1.5, start_s=1.0 + phase)

    def wave(t_s: np.ndarray) -> np.ndarray:
        out = np.zeros_like(t_s)
        for b in beats:
            dt = t_s - b
            out += np.exp(-0.5 * (dt / sd_s) ** 2) + 0.4 * np.exp(-0.5 * ((dt - 0.36 * rr_s) / (1.2 * sd_s)) ** 2)
        return out

    t = np.arange(int(80.0 * fs_hz)) / fs_hz
    x = np.round(1000.0 * wave(t)) - 100000.0  # the chip's counts dip on each beat; the pipeline wants them up
    peaks = []
    for b in beats:
        grid = b + np.arange(-0.1, 0.1, 1e-4)
        peaks.append(grid[int(np.argmax(wave(grid)))])
    return x, np.asarray(peaks)


@pytest.mark.parametrize("fs_hz", [25, 50])
def test_a_clean_slow_wide_pulse_is_not_read_as_timing_noise(fs_hz: int) -> None:
    """A fifth fresh-clone tester's clean calm hearts (no noise but the counts' rounding): a wide Gaussian pulse
    with a diastolic wave at 40-50/min had HRV withheld as timing_noise although its beats were timed to under
    1 ms (their seed 7026, 25 samples/s: 0.62 ms measured, 5.9 ms estimated). Each beat was moved to its peak by
    band-limited interpolation over a window whose ends' slopes do not meet across the wrap; the ringing that
    left depends on the sub-sample phase and lies along the pulse's slope, so it read as timing error (9 ms on a
    train of identical beats). The estimate must now be within 1.5x of the measured error (both floored at 1
    ms) and RMSSD shown, within 1.4x (+-2 ms) of the truth."""
    for hr_bpm in (40.0, 50.0):
        for width, phase in ((0.1, 0.0), (0.12, 0.37)):
            x, truth = _wide_gauss_record(hr_bpm, fs_hz, width, phase)
            beats = stream_beats(x, fs_hz)
            t = np.asarray([b.t_s for b in beats])
            sds = np.asarray([b.timing_sd_s for b in beats])
            matches = match_beats(truth, t)
            assert len(matches) >= len(truth) - 2
            err_ms = 1000.0 * float(np.std(t[matches[:, 1]] - truth[matches[:, 0]]))
            est_ms = 1000.0 * float(np.sqrt(np.mean(sds[10:] ** 2)))
            assert 1 / 1.5 <= _ratio(est_ms, err_ms) <= 1.5, (hr_bpm, width, err_ms, est_ms)
            window = truth[truth >= truth[-1] - 60.0]
            true_rmssd = 1000.0 * float(np.sqrt(np.mean(np.diff(np.diff(window)) ** 2)))
            metrics = hrv_metrics(t, window_s=60.0, qualities=np.asarray([b.quality for b in beats]), timing_sds=sds)
            assert metrics.rmssd_ms is not None, (hr_bpm, width, metrics.hrv_reason, err_ms, est_ms)
            assert true_rmssd / 1.4 - 2.0 <= metrics.rmssd_ms <= 1.4 * true_rmssd + 2.0, (true_rmssd, metrics)
