"""Harmonic phase coupling (device/signal/pulse_coupling.py) on inputs with known truth: repeated pulse
waveforms of several shapes, with heart-rate variability and noise, and Gaussian noise of several colours
(linear, so with no coupling at all); and the pipeline's use of it: smooth pressure drift gives no heart
rate (issue 7, fault 4)."""

from __future__ import annotations

import numpy as np
import pytest

from device.pulse import recording_metrics
from device.signal.biquad import SideBySide, butter
from device.signal.hrv import heart_rate_bpm
from device.signal.pulse import PulsePipeline, stream_beats
from device.signal.pulse_coupling import coupling_false_alarm, coupling_tails, pulse_coupling, rayleigh_tail
from tests.device.signal import kinked_pulses, pulse_shapes
from tests.device.signal.synthetic_ppg import (
    bandpass_noise,
    lowpass_noise,
    phone_camera_ppg,
    power_law_noise,
    skewed_noise,
    synthetic_ppg,
)

WINDOW_S = 9.0  # what the pipeline has at most (BUFFER_S)


def judged(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """x through a 0.5-5 Hz band-pass as the pipeline judges it (second order per edge)."""
    sides = SideBySide([butter(2, [0.5, 5.0], "bandpass", fs=fs_hz, output="sos")])
    out, _ = sides.run(np.asarray(x, dtype=np.float64), sides.steady_state(float(x[0])))
    return np.asarray(out[0])


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("shape", ["ours", "gauss", "sharp", "kinked"])
@pytest.mark.parametrize("hr_bpm", [40, 60, 90, 140])
def test_a_repeated_pulse_is_coupled(fs_hz: int, shape: str, hr_bpm: float) -> None:
    """Pulses with heart-rate variability (RMSSD 30 ms) and noise: coupled far beyond chance in 9 s, at the
    interval and (the autocorrelation may lock on two beats) at twice it."""
    x = _shaped(shape, hr_bpm, fs_hz, 3, 20.0)
    window = judged(x, fs_hz)[-round(WINDOW_S * fs_hz):]
    ibi_s = 60.0 / hr_bpm
    assert coupling_false_alarm(window, fs_hz, ibi_s) <= 1e-4
    assert coupling_false_alarm(window, fs_hz, 2.0 * ibi_s) <= 1e-3


def noise_of(kind: str, n: int, fs_hz: float, seed: int) -> np.ndarray:
    """n samples of unit-SD Gaussian noise of a kind: 1/f^0, ^2, ^2.7, or low-passed (2nd order at 0.3 Hz,
    4th order at 0.5 Hz)."""
    if kind.startswith("lowpass"):
        order = int(kind[-1])
        return lowpass_noise(n, fs_hz, order, 0.3 if order == 2 else 0.5, seed)
    return power_law_noise(n, {"white": 0.0, "brown": 2.0, "steep": 2.7}[kind], seed)


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("kind", ["white", "brown", "steep", "lowpass2", "lowpass4"])
def test_gaussian_noise_is_not_coupled_beyond_its_nominal_rate(fs_hz: int, kind: str) -> None:
    """Unselected 9 s windows at rhythms of 30-120/min: p <= 1e-2 in about 2 % of them (two intervals are
    asked, each at a nominal 1 %); asserted at most 4 % (260 windows per case, so chance alone rarely
    reaches it). Windows chosen by a lock (where noise looks periodic) fare worse, which is why the pipeline's
    level was set on noise run through it (bench/bench_no_pulse.py)."""
    rng = np.random.default_rng(11)
    hits = windows = 0
    for seed in range(13):
        n = 200 * fs_hz
        x = noise_of(kind, n, fs_hz, seed)
        y = judged(x, fs_hz)
        for start in range(fs_hz * 5, n - round(WINDOW_S * fs_hz), round(WINDOW_S * fs_hz)):
            windows += 1
            hits += coupling_false_alarm(y[start:start + round(WINDOW_S * fs_hz)], fs_hz,
                                         60.0 / rng.uniform(30.0, 120.0)) <= 1e-2
    assert hits / windows <= 0.04


def judge_sos(fs_hz: float) -> np.ndarray:
    """The second-order sections of `judged`'s band-pass."""
    return butter(2, [0.5, 5.0], "bandpass", fs=fs_hz, output="sos")


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("shape", ["ours", "gauss", "sharp", "kinked"])
@pytest.mark.parametrize("hr_bpm", [30, 40, 50, 60, 75])
def test_a_pulse_couples_the_way_a_pulse_rises(fs_hz: int, shape: str, hr_bpm: float) -> None:
    """A pulse rises faster than it falls: its coupling, the band-pass's phase taken out, leans the way a rise does
    beyond chance at the level a single ask uses (pulse_coupling's rise_p <= 1e-3); upside down, the same coupling
    (the same probability) falls as far. At 75/min and slower, where the pipeline asks a
    single ask to rise (drift's band). 15 s windows: the longest a lock waits for its coupling
    (device/signal/pulse.py, COUPLING_VETO_S), 7 beats at 30/min. Not asserted: the generators' Gaussian waves at
    30/min, narrow waves whose first four harmonics see them time-symmetric (the windkessel pulse's decay through
    diastole, as a real pulse's, still rises there); they wait for two asks in a row."""
    window = round(15.0 * fs_hz)
    x = _shaped(shape, hr_bpm, fs_hz, 3, 25.0)
    p, rise_p = pulse_coupling(judged(x, fs_hz)[-window:], fs_hz, 60.0 / hr_bpm, judge_sos(fs_hz))
    p_flipped, _ = pulse_coupling(judged(-x, fs_hz)[-window:], fs_hz, 60.0 / hr_bpm, judge_sos(fs_hz))
    assert p <= 1e-2 and p_flipped == pytest.approx(p, rel=1e-6)
    if shape == "kinked" or hr_bpm >= 40:
        assert rise_p <= 1e-3


def noise_of_law(kind: str, n: int, fs_hz: float, seed: int) -> np.ndarray:
    """n samples of noise that time reversal leaves as it is: Gaussian (noise_of's kinds) or a memoryless transform
    of it whose law is skewed: exp() of Gaussian noise low-passed at 0.7 Hz (log-normal, sigma 1), the square or the
    absolute value of Gaussian noise band-passed over 0.7-1.4 Hz (bench/bench_no_pulse.py, --family skew)."""
    if kind == "lognormal":
        return skewed_noise(lowpass_noise(n, fs_hz, 2, 0.7, seed), "lognormal", 1.0)
    if kind in ("square", "rectify"):
        return skewed_noise(bandpass_noise(n, fs_hz, 0.7, 1.4, seed), kind)
    return noise_of(kind, n, fs_hz, seed)


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("kind", ["white", "brown", "steep", "lowpass2", "lowpass4", "lognormal", "square", "rectify"])
def test_noise_that_time_reversal_leaves_as_it_is_does_not_rise(fs_hz: int, kind: str) -> None:
    """Gaussian noise of any colour, and memoryless transforms of it whose law is skewed, are unchanged in law by
    time reversal, which conjugates every biphase: their coupling does not rise beyond chance. Unselected 9 s
    windows at rhythms of 30-75/min, 13 streams of 200 s (273 windows): rise_p <= 1e-2 in at most 5 % (nominally 1 %
    per interval asked, two intervals; narrow-band noise's segments are not independent), while skewed noise's
    coupling itself is real (p <= 1e-2 in 7-43 % of these windows: its law couples every frequency with its
    double); Gaussian noise the same upside down (its law is unchanged by a change of sign, which turns every
    biphase by pi). Skewed noise leans the falling way more often than not, and so upside down (a law skewed the
    other way, time-reversible too) it rises beyond 1e-2 in up to 9 % of windows (asserted at most 10 %): the
    judging band-pass's phase is taken out at the harmonics only, exact for a pulse's lines, not across a broad
    band's. Through the pipeline upside-down log-normal noise gave a rate in 3 of 360 runs (seeds 0-9), 4 before."""
    rng = np.random.default_rng(12)
    rising = rising_flipped = coupled = windows = 0
    for seed in range(13):
        n = 200 * fs_hz
        x = noise_of_law(kind, n, fs_hz, seed)
        y, y_flipped = judged(x, fs_hz), judged(-x, fs_hz)
        for start in range(fs_hz * 5, n - round(WINDOW_S * fs_hz), round(WINDOW_S * fs_hz)):
            stop = start + round(WINDOW_S * fs_hz)
            interval_s = 60.0 / rng.uniform(30.0, 75.0)
            p, rise_p = pulse_coupling(y[start:stop], fs_hz, interval_s, judge_sos(fs_hz))
            _, rise_p_flipped = pulse_coupling(y_flipped[start:stop], fs_hz, interval_s, judge_sos(fs_hz))
            windows += 1
            rising += rise_p <= 1e-2
            rising_flipped += rise_p_flipped <= 1e-2
            coupled += p <= 1e-2
    skewed = kind in ("lognormal", "square", "rectify")
    assert rising / windows <= 0.05 and rising_flipped / windows <= (0.1 if skewed else 0.05)
    if skewed:
        assert coupled / windows >= 0.05


def test_a_sinusoid_has_nothing_to_couple() -> None:
    """A pulse so smooth it is a sinusoid carries no harmonic: from noise of its band no test on the samples
    can tell it, and this one does not call it a pulse (the pipeline then reports no rate)."""
    fs_hz = 50
    t = np.arange(round(WINDOW_S * fs_hz)) / fs_hz
    x = np.sin(2 * np.pi * 0.7 * t) + 0.02 * np.random.default_rng(0).standard_normal(len(t))
    assert coupling_false_alarm(x, fs_hz, 1 / 0.7) > 1e-3


def test_too_little_to_judge_gives_no_evidence() -> None:
    x = power_law_noise(500, 1.0, 1)
    assert coupling_false_alarm(x, 50.0, 0.0) == 1.0
    assert coupling_tails(x[:100], 50.0, 1.0) == ()  # two periods: fewer than MIN_SEGMENTS
    assert rayleigh_tail(1.0, 0) == 1.0
    assert rayleigh_tail(0.0, 10) == 1.0


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("order, corner_hz", [(2, 0.05), (2, 0.15), (2, 0.5), (4, 0.2), (4, 0.4), (4, 0.8)])
def test_smooth_pressure_drift_gives_no_heart_rate(fs_hz: int, order: int, corner_hz: float) -> None:
    """White noise through a Butterworth low-pass (the fresh-clone tester's drift), 2 min, two seeds each:
    no heart rate at the end, as the device would give it (bench/bench_no_pulse.py --family lowpass). Before a
    lock had to show coupling over the longer memory (device/signal/pulse.py, COUPLING_VETO_S), 8 of the 18
    cases gave one: their locks' spectral peaks stood out, so coupling was not asked."""
    for seed in (1, 2):
        x = lowpass_noise(120 * fs_hz, fs_hz, order, corner_hz, seed)
        assert recording_metrics(x, fs_hz).hr_bpm is None


def _shaped(shape: str, hr_bpm: float, fs_hz: int, seed: int, duration_s: float) -> np.ndarray:
    """A real-shaped pulse train with heart-rate variability (RMSSD 30 ms) and noise."""
    beats = kinked_pulses.beat_times(hr_bpm, duration_s, 30.0, seed)
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    if shape == "ours":
        return synthetic_ppg(beats, fs_hz, duration_s, noise=0.05, seed=seed)
    if shape == "kinked":
        x = kinked_pulses.kinked_ppg(beats, fs_hz, duration_s, 0.12, 0.5)
        return x + 20.0 * np.random.default_rng(seed).standard_normal(len(x))
    return pulse_shapes.pulse_fn(shape, beats)(t) + 0.1 * pulse_shapes.noise("pink", len(t), fs_hz, seed)


def _first_lock_s(x: np.ndarray, fs_hz: int) -> float | None:
    pipeline = PulsePipeline(fs_hz)
    step = round(0.1 * fs_hz)
    for start in range(0, len(x), step):
        pipeline.push(x[start:start + step], start)
        if pipeline.locked:
            return (start + step) / fs_hz
    return None


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("shape", ["ours", "gauss", "sharp", "kinked"])
@pytest.mark.parametrize("hr_bpm", [30, 36, 45, 60, 90, 130, 180])
def test_real_shaped_pulses_still_lock(fs_hz: int, shape: str, hr_bpm: float) -> None:
    """Pulses lock (beats reported) as soon as before the coupling check, or a check or so later: by 12.5 s
    from 50/min up, 20 s at 36-45/min, 25 s at 30/min (before it: 12.5, 15.5 and 22.5 s at most over 504
    such records, seeds 0-2, 30-220/min; with it 80 of them lock 1 s later, 11 3 s later and one, a sharp
    pulse at 33/min and 25 samples/s, 10 s later). The sharp pulse at 30/min locked in none of 25 s before."""
    if shape == "sharp" and hr_bpm == 30:
        pytest.skip("no lock within 25 s before the coupling check either")
    bound_s = 12.5 if hr_bpm >= 50 else 20.0 if hr_bpm >= 36 else 25.0
    first = _first_lock_s(_shaped(shape, hr_bpm, fs_hz, 4, 25.0), fs_hz)
    assert first is not None and first <= bound_s


@pytest.mark.parametrize("fs_hz, corner_hz, seed", [(25, 0.2, 2), (25, 0.2, 3), (25, 0.5, 2), (50, 0.3, 3),
                                                    (50, 0.5, 1), (100, 0.5, 1), (100, 0.5, 2)])
def test_resonant_drift_gives_no_heart_rate(fs_hz: int, corner_hz: float, seed: int) -> None:
    """White noise through a resonant 2nd-order low-pass (quality factor 2: a fresh-clone tester's drift, a narrow
    band with a true spectral peak and no harmonics), 2 min: no heart rate at the end. These are the 7 of 48
    (corners 0.1-0.5 Hz, seeds 1-4, 25/50/100 samples/s) that gave one before a lock whose line stands out had to
    show coupling (device/signal/pulse.py, COUPLING_WAIT_MIN_S)."""
    x = lowpass_noise(120 * fs_hz, fs_hz, 2, corner_hz, seed, q=2.0)
    assert recording_metrics(x, fs_hz).hr_bpm is None


@pytest.mark.parametrize("fs_hz, corner_hz, sigma, seed", [(50, 0.35, 0.3, 4), (25, 0.7, 0.3, 3), (100, 0.7, 0.3, 5),
                                                           (50, 0.7, 1.0, 4), (50, 0.7, 1.0, 7), (100, 0.7, 1.0, 3),
                                                           (100, 0.7, 1.0, 6), (100, 0.7, 1.0, 8), (50, 0.7, 2.0, 4),
                                                           (25, 1.4, 0.3, 9), (100, 1.4, 0.3, 1), (100, 1.4, 0.3, 5),
                                                           (25, 1.4, 1.0, 6), (50, 1.4, 1.0, 5)])
def test_log_normal_noise_gives_no_heart_rate(fs_hz: int, corner_hz: float, sigma: float, seed: int) -> None:
    """exp(sigma g) of Gaussian noise g low-passed at corner_hz (a tester's skewed noise: sharp upward peaks whose law
    couples its harmonics, the way a slow narrow pulse's do, but which rises as fast as it falls), 2 min: no heart
    rate at the end. These are the 14 of 19 of 360 (bench/bench_no_pulse.py --family skew, log-normal rows, seeds
    0-9) that gave one when a single coupling ask had only to lean toward a pulse's pi / 4 and no longer do
    (device/signal/pulse.py, the comment above COUPLING_MEMORY_S); of the other 5, two are confirmed by two asks
    in a row (skewed noise's coupling is real, so it persists), one by a single ask that rose, two never asked."""
    x = skewed_noise(lowpass_noise(120 * fs_hz, fs_hz, 2, corner_hz, seed), "lognormal", sigma)
    assert recording_metrics(x, fs_hz).hr_bpm is None


def _first_beat_s(x: np.ndarray, fs_hz: float) -> float | None:
    pipeline = PulsePipeline(fs_hz)
    step = round(0.1 * fs_hz)
    for start in range(0, len(x), step):
        if pipeline.push(x[start:start + step], start).beats:
            return (start + step) / fs_hz
    return None


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("hr_bpm", [40, 70])
@pytest.mark.parametrize("shape", ["ours", "sharp"])
def test_a_pulse_after_drift_is_not_held_back_by_it(fs_hz: int, hr_bpm: float, shape: str,
                                                    request: pytest.FixtureRequest) -> None:
    """A pulse that arrives after 20 s of smooth drift (which goes on under it) is rated within 25 s of arriving.
    Measured on these 8: 6.5-11.5 s after it arrives, but 23.5 s for the sharp pulse at 40/min and 25 samples/s
    (before the coupling wait, 4.5-9.5 s; with coupling judged on the whole stream, drift and all, up to 25 s on
    36 such records, 25-100 samples/s, 40-100/min, three shapes), 27.5 s since a single coupling ask must also
    rise as a pulse does (device/signal/pulse.py, the comment above COUPLING_MEMORY_S)."""
    if (shape, hr_bpm, fs_hz) == ("sharp", 40, 25):
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "issue 7: a single coupling ask must rise as a pulse does: the sharp pulse at 40/min in drift is rated "
            "27.5 s after it arrives (docs/measurements.md, 'No pulse: skewed noise')")))
    duration_s = 50.0
    beats = kinked_pulses.beat_times(hr_bpm, duration_s, 30.0, 3)
    beats = beats[beats > 20.0]
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    if shape == "ours":
        pulse = synthetic_ppg(beats, fs_hz, duration_s, noise=0.0, seed=3)
        pulse[t < 19.5] = pulse[t >= 19.5][0]
    else:
        pulse = pulse_shapes.pulse_fn(shape, beats)(t)
    x = pulse + 0.5 * lowpass_noise(len(t), fs_hz, 2, 0.3, 7) + 0.1 * np.random.default_rng(1).standard_normal(len(t))
    first = _first_beat_s(x, fs_hz)
    assert first is not None and first <= 45.0


@pytest.mark.parametrize("fs_hz", [25.0, 30.0])
@pytest.mark.parametrize("hr_bpm", [40, 50, 60])
def test_a_slow_noisy_camera_pulse_is_still_rated(fs_hz: float, hr_bpm: float) -> None:
    """A phone-camera pulse at 40-60/min (camera noise 0.3 pulse heights) in a 40 s stream, where a lock whose line
    stands out must show coupling before its beats are reported: the right rate (within 5/min) from the beats
    after 20 s."""
    ppg, truth = phone_camera_ppg(hr_bpm, 40.0, seed=0, noise=0.3, fs_hz=fs_hz)
    beats = np.array([b.t_s for b in stream_beats(ppg, fs_hz)])
    rate = heart_rate_bpm(beats[beats > 20.0])
    assert rate is not None and abs(rate - 60.0 / float(np.median(np.diff(truth)))) <= 5.0
