"""A perfectly regular slow pulse (true RMSSD 0) must not be shown with an RMSSD (issue 7, "Quality means timing").

The fresh-clone tester's family (tester 7): a Gaussian or a fingertip-like pulse (steep rise, slow fall), every beat
the same height and exactly one period apart, at a random phase against the sample grid, with or without 1 % white
noise, at 25/50/100 samples/s. At 35-50/min the pulse's crest is wider than the peak timer's window, the template
residual saw a fifth of the timing error (device/signal/peak_timing.py, NOT_LINE_MIN) and RMSSDs of 10-30 ms were
shown with no reason. The truth is 0, so an RMSSD shown must be within 2x +- 2 ms of it: at most 2 ms.
"""

from __future__ import annotations

import numpy as np
import pytest

from device.pulse import recording_metrics

DURATION_S = 75.0  # a 60 s HRV window and the lock's first beats
WINDOW_S = 60.0
NOISE = 0.01  # white noise, of the pulse's height
TRUE_RMSSD_MS = 0.0
SLOW_RATES_BPM = (36.2, 40.4, 45.6, 52.3, 59.1)
SLOWEST_RATES_BPM = (30.3, 32.1, 34.2)  # the fingertip pulse's crest broadest: the test below


def regular_pulse(fs_hz: float, rate_bpm: float, shape: str, noise: float, seed: int) -> np.ndarray:
    """A regular pulse of height 1 at `rate_bpm`, `shape` "gauss" (a Gaussian crest a quarter period after the
    beat, SD 0.08 period) or "finger" (t^2 exp(-t / tau) from the beat, tau 0.12 period: crest at 0.24 period),
    the first beat at a random phase (`seed`) against the sample grid, plus white noise of SD `noise`."""
    rng = np.random.default_rng(seed)
    period = 60.0 / rate_bpm
    t = np.arange(int(DURATION_S * fs_hz)) / fs_hz
    x = np.zeros(len(t))
    for beat in np.arange(rng.uniform(0.0, period) - 3 * period, DURATION_S + period, period):
        u = t - beat
        if shape == "gauss":
            x += np.exp(-0.5 * ((u - 0.25 * period) / (0.08 * period)) ** 2)
        else:
            s = np.clip(u, 0.0, 4 * period) / (0.12 * period)
            x += np.where((u >= 0) & (u <= 4 * period), (s / 2.0) ** 2 * np.exp(2.0 - s), 0.0)
    return x + noise * rng.standard_normal(len(t))


def shown_rmssd_ok(rmssd_ms: float | None) -> bool:
    """Withheld, or within 2x +- 2 ms of the truth."""
    return rmssd_ms is None or rmssd_ms <= 2.0 * TRUE_RMSSD_MS + 2.0


def wrong_rmssds(fs_rates: list[tuple[int, float]], shape: str, noise: float,
                 phase_seeds: tuple[int, ...]) -> list[tuple[int, float, int, float | None]]:
    """The records (fs_hz, rate, phase seed, RMSSD ms) whose RMSSD is shown and off, of every (sample rate, pulse
    rate) in `fs_rates` at each phase seed; each record's heart rate must be right (within 2 %)."""
    wrong = []
    for fs_hz, rate in fs_rates:
        for seed in phase_seeds:
            m = recording_metrics(regular_pulse(fs_hz, rate, shape, noise, seed), float(fs_hz), WINDOW_S)
            assert m.hr_bpm is not None and abs(m.hr_bpm - rate) < 0.02 * rate, (fs_hz, rate, seed, m)
            if not shown_rmssd_ok(m.rmssd_ms):
                wrong.append((fs_hz, rate, seed, m.rmssd_ms))
    return wrong


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("shape", ["gauss", "finger"])
def test_a_regular_slow_pulse_in_white_noise_shows_no_rmssd(fs_hz: int, shape: str) -> None:
    assert not wrong_rmssds([(fs_hz, rate) for rate in SLOW_RATES_BPM], shape, NOISE, (0, 1, 2))


def test_a_regular_fingertip_pulse_at_30_to_34_per_min_in_white_noise_shows_no_rmssd() -> None:
    """At 30-34/min the crest is so broad that the white-floor estimate reads its timing error 2-3x low (2 of these
    18 records showed 35-41 ms); since beats of quality under HRV_MIN_QUALITY are kept out of the HRV figures
    (device/signal/hrv.py, unsure beats) the one left shows none: withheld, `insufficient_beats`."""
    fs_rates = [(fs_hz, rate) for fs_hz in (50, 100) for rate in SLOWEST_RATES_BPM]
    assert not wrong_rmssds(fs_rates, "finger", NOISE, (100, 101, 102))


def test_a_regular_noise_free_fingertip_pulse_shows_no_rmssd() -> None:
    fs_rates = [(fs_hz, rate) for fs_hz in (25, 50) for rate in SLOW_RATES_BPM]
    assert not wrong_rmssds(fs_rates, "finger", 0.0, (0, 1))
