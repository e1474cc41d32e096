"""The amplitude (RIAV) view of breathing reads breathing, not the sampling phase or noise (issue 7, item 10).

A fresh-clone tester: a perfectly regular pulse (72/min, constant height) at 50 samples/s gave a breathing rate
of 24/min at confidence 1.0, read from beat amplitudes that carried only where the samples fell on each beat
(the pattern repeats every three beats). Inputs: tests/device/signal/riav_pulses.py; counts over many seeds:
bench/bench_riav.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from device.pulse import recording_metrics
from device.signal.coherence import breathing_rate_bpm
from device.signal.hrv import BREATH_MIN_CONFIDENCE, HrvMetrics, HrvTracker, hrv_metrics
from device.signal.local_peaks import parabolic_top
from device.signal.pulse import Beat, PulsePipeline, stream_beats
from tests.device.signal.riav_pulses import SAMPLE_RATES, SHAPES, riav_ppg

WINDOW_S = 60.0
RATES = (33.0, 72.0, 137.0, 211.0)  # beats/min
BREATHING = ((0.05, 7.0), (0.1, 15.0), (0.2, 19.0), (0.05, 19.0), (0.2, 7.0))  # (depth, breaths/min)


def amplitude_view_adds_nothing(beats: list[Beat]) -> bool:
    """The figures with the beats' amplitudes show no more breathing than the heart-rate view alone."""
    t = np.array([b.t_s for b in beats])
    with_amp = hrv_metrics(t, window_s=WINDOW_S, amplitudes=np.array([b.amplitude for b in beats]))
    alone = hrv_metrics(t, window_s=WINDOW_S)
    return (with_amp.breath_rate_bpm == alone.breath_rate_bpm
            and with_amp.breath_confidence == alone.breath_confidence)


def no_confident_rate(m: HrvMetrics) -> bool:
    return m.breath_rate_bpm is None and (m.breath_confidence is None or m.breath_confidence < BREATH_MIN_CONFIDENCE)


def test_the_vertex_of_a_sampled_peak_hardly_moves_with_the_sampling_phase() -> None:
    """A Gaussian peak (sd 0.07 s) sampled at 25/s: the sampled maximum falls up to 4 % short (c T^2 / 8), the
    vertex 0.7 %."""
    sd_s, step_s = 0.07, 0.04
    tops, samples = [], []
    for phase in np.linspace(-0.5, 0.5, 21):
        y = np.exp(-0.5 * ((np.arange(-1, 2) + phase) * step_s / sd_s) ** 2)
        k = int(np.argmax(y))
        samples.append(float(y[k]))
        if k == 1:
            tops.append(parabolic_top(float(y[0]), float(y[1]), float(y[2])))
    assert 1.0 - min(samples) > 0.035
    assert max(abs(t - 1.0) for t in tops) < 0.01
    assert parabolic_top(1.0, 2.0, 3.0) == 2.0  # no vertex between the three: the middle sample


@pytest.mark.parametrize("fs_hz", SAMPLE_RATES)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_regular_pulse_of_constant_height_gives_no_breathing_rate(fs_hz: float, shape: str) -> None:
    """The tester's case and its family: whatever the rate, shape or sample rate, and whatever the units
    (each shape and sample rate at one of 33-211/min; bench/bench_riav.py counts the rest)."""
    hr_per_min = RATES[(SHAPES.index(shape) + round(fs_hz)) % len(RATES)]
    x = riav_ppg(shape, hr_per_min, fs_hz, scale=1000.0, seed=int(hr_per_min))
    beats = stream_beats(x, fs_hz)
    assert amplitude_view_adds_nothing(beats)
    assert recording_metrics(x, fs_hz, window_s=WINDOW_S).breath_rate_bpm is None


@pytest.mark.parametrize("seed", range(6))
def test_a_jittered_or_noisy_pulse_of_constant_height_gives_no_breathing_rate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    fs_hz = (25.0, 50.0, 100.0)[seed % 3]
    shape = SHAPES[seed % len(SHAPES)]
    hr = float(rng.uniform(45.0, 130.0))
    x = riav_ppg(shape, hr, fs_hz, jitter_s=float(rng.uniform(0.005, 0.03)), noise=0.03 * (seed % 2),
                 scale=float(10.0 ** rng.uniform(-3, 4)), seed=seed)
    assert amplitude_view_adds_nothing(stream_beats(x, fs_hz))
    assert no_confident_rate(recording_metrics(x, fs_hz, window_s=WINDOW_S))


def test_the_testers_pulse_gives_no_breathing_rate_on_the_device_path() -> None:
    """72/min, constant height, 50 samples/s, ADC-like units, streamed in 0.4 s blocks into the HRV tracker."""
    fs_hz = 50.0
    x = riav_ppg("ours", 72.0, fs_hz, scale=2000.0, seed=1, duration_s=120.0)
    pipeline, tracker = PulsePipeline(fs_hz), HrvTracker()
    step = round(0.4 * fs_hz)
    for first in range(0, len(x), step):
        tracker.add_beats(list(pipeline.push(x[first:first + step], first).beats))
        if first / fs_hz > 40.0:
            metrics = tracker.metrics()
            assert metrics.breath_rate_bpm is None
            assert metrics.breath_confidence is None, (first / fs_hz, metrics)


@pytest.mark.parametrize("fs_hz", SAMPLE_RATES)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_pulse_whose_height_breathes_gives_the_breathing_rate(fs_hz: float, shape: str) -> None:
    """No RSA (the intervals carry 10 ms of jitter only): the breathing is in the pulse's height alone (5-20 %
    at 7-19 breaths/min), at any scale of the sensor's units."""
    depth, breath_per_min = BREATHING[(SHAPES.index(shape) + 2 * SAMPLE_RATES.index(fs_hz)) % len(BREATHING)]
    seed = int(depth * 100 + fs_hz)
    scale = 10.0 ** float(np.random.default_rng(seed).uniform(-3, 4))
    x = riav_ppg(shape, 66.0, fs_hz, jitter_s=0.01, depth=depth, breath_per_min=breath_per_min,
                 noise=0.01, scale=scale, seed=seed)
    metrics = recording_metrics(x, fs_hz, window_s=WINDOW_S)
    assert metrics.breath_rate_bpm == pytest.approx(breath_per_min, abs=1.0)



@pytest.mark.parametrize("fs_hz", SAMPLE_RATES)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_regular_pulse_whose_height_breathes_gives_the_breathing_rate_with_hrv_withheld(
        fs_hz: float, shape: str) -> None:
    """A perfectly regular heart (no RSA, no jitter: its RMSSD, 0, is all timing noise, so HRV is withheld as
    `timing_noise`) whose pulse height breathes 5-20 %: the amplitude view does not rest on fine timing and still
    gives the breathing rate (a fresh-clone tester: 169 of 180 such records got none)."""
    depth, breath_per_min = BREATHING[(SHAPES.index(shape) + 2 * SAMPLE_RATES.index(fs_hz) + 1) % len(BREATHING)]
    seed = int(depth * 100 + fs_hz) + 7
    x = riav_ppg(shape, 72.0, fs_hz, depth=depth, breath_per_min=breath_per_min, seed=seed)
    metrics = recording_metrics(x, fs_hz, window_s=WINDOW_S)
    assert metrics.rmssd_ms is None and metrics.hrv_reason == "timing_noise"
    assert metrics.breath_rate_bpm == pytest.approx(breath_per_min, abs=1.0)

def test_the_amplitude_view_does_not_depend_on_the_units() -> None:
    times = np.cumsum(np.random.default_rng(3).normal(0.9, 0.01, 70))
    amplitudes = 1.0 + 0.1 * np.sin(2 * np.pi * 12 / 60 * times)
    small = hrv_metrics(times, amplitudes=1e-3 * amplitudes)
    large = hrv_metrics(times, amplitudes=1e4 * amplitudes)
    assert small.breath_rate_bpm == pytest.approx(12.0, abs=1.0)
    assert small.breath_rate_bpm == pytest.approx(large.breath_rate_bpm)
    assert small.breath_confidence == pytest.approx(large.breath_confidence)


@pytest.mark.parametrize("spacing_s", [8.0, 12.0, 20.0, 29.0])
def test_beats_too_sparse_for_any_breathing_rhythm_give_none_and_do_not_raise(spacing_s: float) -> None:
    """A fresh-clone tester's drift with no pulse left a few beats over 30 s and more in the window; the band,
    cut at half the beat rate, held no frequency, and the amplitude view raised (argmax of an empty sequence)
    in 6 of 60 device runs, killing the reading. Beats so sparse carry no breathing: no rate, no raise."""
    rng = np.random.default_rng(int(spacing_s))
    t = np.cumsum(spacing_s * (1.0 + 0.3 * rng.standard_normal(12)).clip(0.5, None))
    amplitudes = 1.0 + 0.3 * rng.standard_normal(len(t))
    m = hrv_metrics(t, window_s=WINDOW_S, amplitudes=amplitudes)
    assert m.breath_rate_bpm is None
    found = breathing_rate_bpm(t, amplitudes, min_sd=0.0)
    assert found is None or found[1] < BREATH_MIN_CONFIDENCE
