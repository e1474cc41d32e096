"""A beat's time must not follow where the samples fall on the pulse (issue 7, "Quality means timing").

The peak timer interpolates each beat's window by zero-padding its spectrum (device/signal/peak_timing.py); less
only the line through its ends, the window's slopes did not meet across the wrap and the interpolant rang by an
amount that depends on the sampling phase. A regular pulse at a rate incommensurate with the sample rate walks
through the phases from beat to beat, so the ringing became a periodic timing error with no noise in it: a false
RMSSD (a fresh-clone tester's regular fingertip pulses at 25 samples/s: 5.8-9.7 ms shown with no reason) and a
false breathing rate at the alias frequency (19-26/min at confidence 1.0). No noise estimate sees it.

The family: regular pulses (every beat the same, exactly one period apart; true RMSSD 0, no breathing) of three
shapes, each scaled to the period or fixed in time, at rates whose period is no whole number of samples (so one
record's beats fall at many phases), the first beat at a random phase: "gauss" (a Gaussian crest, SD 0.08 of the
period), "finger" (t^2 exp(-t / tau) from the beat, tau 0.12 of the period: a steep rise from a sharp foot and a
slow fall), "narrow" (a Gaussian crest of SD 0.04 s whatever the rate). Beat times are compared with the true
crests. Where the pulse has content above the Nyquist frequency inside the timer's window, no interpolation
of the samples alone can time it: the fingertip pulse's foot (its curvature jumps there) lies inside the window
(0.24 of the period before the crest, the window reaches 0.25 s) from 55/min up. Its beat times still follow the
phase (the first test leaves it out), but the HRV tracker now measures that part over the window and takes it out
(device/signal/sampling_phase.py, issue 7 fault 10), so no RMSSD or breathing rate is shown for it (the last test:
a strict expected failure until then). tests/device/signal/test_sampling_phase_fast.py holds the fast family.
"""

from __future__ import annotations

import numpy as np
import pytest

from device.signal.hrv import hrv_metrics
from device.signal.pulse import stream_beats

DURATION_S = 70.0  # a 60 s HRV window and the lock's first beats
SKIP_BEATS = 10  # the lock's and the timer's first beats
NOISE = 0.005  # "a little noise": white, of the pulse's height
NOISE_FREE_ERROR_MS = 0.3  # a noise-free beat time's SD about the truth (was 1.4-2.6 ms for the fingertip pulse)
RATES_BPM = (36.1, 47.3, 61.7, 78.9, 97.2, 123.4, 158.8, 211.3)
FINGER_RATES_BPM = (44.8, 47.3, 52.6)  # the fingertip pulse's rates from 44/min to FOOT_INSIDE_BPM
CONFIDENT = 0.33  # a breathing confidence at or above this counts as a claim (the tester's criterion)
# The fingertip pulse's foot (0.24 of the period before its crest) lies outside the timer's 0.25 s window below
# this rate (0.24 x 60 / 55 = 0.26 s); from it up the foot's jump in curvature aliases into the crest's timing.
FOOT_INSIDE_BPM = 55.0


def regular_pulse(shape: str, fs_hz: float, rate_bpm: float, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(samples, true crest times in s) of a regular pulse of height 1 (module docstring), the first beat at a
    random phase (`seed`), plus white noise of SD `noise`."""
    rng = np.random.default_rng(seed)
    period = 60.0 / rate_bpm
    beats = np.arange(rng.uniform(0.0, period) - 3 * period, DURATION_S + 2 * period, period)
    t = np.arange(int(DURATION_S * fs_hz)) / fs_hz
    x = np.zeros(len(t))
    for beat in beats:
        u = t - beat
        if shape == "gauss":
            x += np.exp(-0.5 * ((u - 0.25 * period) / (0.08 * period)) ** 2)
        elif shape == "narrow":
            x += np.exp(-0.5 * ((u - 0.25 * period) / 0.04) ** 2)
        else:
            s = np.clip(u, 0.0, 4 * period) / (0.12 * period)
            x += np.where((u >= 0) & (u <= 4 * period), (s / 2.0) ** 2 * np.exp(2.0 - s), 0.0)
    crest = 0.24 if shape == "finger" else 0.25
    return x + noise * rng.standard_normal(len(t)), beats + crest * period


def outcome(shape: str, fs_hz: float, rate_bpm: float, noise: float, seed: int) -> tuple[float, float | None,
                                                                                        float | None, float | None]:
    """(SD of the beat times about the true crests in ms after SKIP_BEATS, RMSSD shown in ms or None, breathing
    rate shown or None, breathing confidence or None) of one record through the device's pipeline and HRV."""
    x, truth = regular_pulse(shape, fs_hz, rate_bpm, noise, seed)
    beats = stream_beats(x, fs_hz)
    assert len(beats) > 2 * SKIP_BEATS, (shape, fs_hz, rate_bpm, len(beats))
    t = np.array([b.t_s for b in beats])
    nearest = truth[np.argmin(np.abs(truth[None, :] - t[SKIP_BEATS:, None]), axis=1)]
    m = hrv_metrics(t, qualities=np.array([b.quality for b in beats]),
                    amplitudes=np.array([b.amplitude for b in beats]),
                    timing_sds=np.array([b.timing_sd_s for b in beats]),
                    phases=np.array([b.phase for b in beats]))
    assert m.hr_bpm is not None and abs(m.hr_bpm - rate_bpm) < 0.02 * rate_bpm, (shape, fs_hz, rate_bpm, m)
    return 1000.0 * float(np.std(t[SKIP_BEATS:] - nearest)), m.rmssd_ms, m.breath_rate_bpm, m.breath_confidence


def claims(rmssd_ms: float | None, breath_bpm: float | None, confidence: float | None) -> list[str]:
    """What a regular pulse with no breathing must not show: an RMSSD off by more than 2x +- 2 ms of the truth (0),
    a breathing rate, or a confident breathing view."""
    out = []
    if rmssd_ms is not None and rmssd_ms > 2.0:
        out.append(f"RMSSD {rmssd_ms:.1f} ms")
    if breath_bpm is not None or (confidence or 0.0) >= CONFIDENT:
        out.append(f"breathing {breath_bpm} at {confidence}")
    return out


def cases(shape: str, fs_hz: int) -> list[float]:
    """The rates of `shape` at `fs_hz` whose crest the samples determine (module docstring): for the fingertip
    pulse FINGER_RATES_BPM (below FOOT_INSIDE_BPM); for the Gaussian pulse at 25 samples/s those under 130/min
    (above, its SD, 0.08 of the period, is under 0.9 of a sample interval). Left out as other faults (README "Not
    fixed"): every shape below 40/min and the fingertip pulse below 44/min (its crest then lies past the timer's
    search span for some beats: at 36/min and 25 samples/s timed 80-117 ms early, at 42/min 0.5-8 ms SD about the
    truth; HRV withheld on both), and the narrow pulse below 55/min (no beat is locked at 36/min, nor at 47/min and
    100 samples/s)."""
    rates = [r for r in RATES_BPM if r >= 40.0]
    if shape == "finger":
        rates = list(FINGER_RATES_BPM)
    if shape == "gauss" and fs_hz == 25:
        rates = [r for r in rates if r < 130.0]
    if shape == "narrow":
        rates = [r for r in rates if r >= 55.0]
    return rates


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("shape", ["gauss", "finger", "narrow"])
def test_a_noise_free_regular_pulse_is_timed_at_its_crest_whatever_the_sampling_phase(shape: str, fs_hz: int) -> None:
    wrong = []
    for k, rate in enumerate(cases(shape, fs_hz)):
        err_ms, rmssd, breath, confidence = outcome(shape, float(fs_hz), rate, 0.0, k)
        if err_ms > NOISE_FREE_ERROR_MS or claims(rmssd, breath, confidence):
            wrong.append((rate, round(err_ms, 2), claims(rmssd, breath, confidence)))
    assert not wrong


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("shape", ["gauss", "finger", "narrow"])
def test_a_regular_pulse_in_a_little_noise_shows_no_rmssd_and_no_breathing(shape: str, fs_hz: int) -> None:
    wrong = []
    for k, rate in enumerate(cases(shape, fs_hz)):
        _, rmssd, breath, confidence = outcome(shape, float(fs_hz), rate, NOISE, 100 + k)
        if claims(rmssd, breath, confidence):
            wrong.append((rate, claims(rmssd, breath, confidence)))
    assert not wrong


def test_a_noise_free_fast_fingertip_pulse_at_25_samples_per_s_shows_no_rmssd_and_no_breathing() -> None:
    wrong = []
    for k, rate in enumerate(r for r in RATES_BPM if r >= FOOT_INSIDE_BPM):
        _, rmssd, breath, confidence = outcome("finger", 25.0, rate, 0.0, 200 + k)
        if claims(rmssd, breath, confidence):
            wrong.append((rate, claims(rmssd, breath, confidence)))
    assert not wrong
