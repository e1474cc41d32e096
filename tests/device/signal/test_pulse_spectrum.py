"""The spectral-peak test against a power-law background (device/signal/pulse_spectrum.py), on inputs with
known truth: pulses whose rate is known, and 1/f^alpha noise with no rhythm at all."""

from __future__ import annotations

import numpy as np
import pytest

from device.signal.pulse import SPECTRAL_FALSE_ALARM
from device.signal.pulse_spectrum import false_alarm, peak_false_alarm, peak_ratios
from tests.device.signal.synthetic_ppg import phone_camera_ppg, power_law_noise, rsa_beat_times, synthetic_ppg


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("hr_bpm", [60, 90, 130, 180])
def test_a_fingertip_pulse_stands_out(fs_hz: int, hr_bpm: float) -> None:
    x = synthetic_ppg(rsa_beat_times(30.0, hr_bpm=hr_bpm), fs_hz, 30.0, noise=0.05, seed=1)
    assert peak_false_alarm(x[-6 * fs_hz:], fs_hz, 60.0 / hr_bpm) <= SPECTRAL_FALSE_ALARM
    # the interval the autocorrelation finds may be two beats: the beat's own frequency is asked too
    assert peak_false_alarm(x[-6 * fs_hz:], fs_hz, 120.0 / hr_bpm) <= SPECTRAL_FALSE_ALARM


@pytest.mark.parametrize("hr_bpm", [60, 80, 106, 130, 160])
def test_a_camera_pulse_stands_out(hr_bpm: float) -> None:
    for seed in range(2):
        ppg, truth = phone_camera_ppg(hr_bpm, 10.0, seed=seed, noise=0.2)
        ibi_s = float(np.median(np.diff(truth)))
        assert peak_false_alarm(ppg[-180:], 30.0, ibi_s) <= SPECTRAL_FALSE_ALARM


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("alpha", [1.5, 2.0, 3.0])
def test_coloured_noise_rarely_stands_out_above_1_2_hz(fs_hz: int, alpha: float) -> None:
    # Measured: p <= 1e-3 in 0.25-0.4 % of such windows (nominal 0.2 %); not asserted near the band's low
    # edge (0.5-1.2 Hz), where the test reads 1-5 % (module docstring)
    rng = np.random.default_rng(7)
    hits = windows = 0
    for seed in range(15):
        x = power_law_noise(120 * fs_hz, alpha, 2000 + seed)
        for start in range(0, 114 * fs_hz, 6 * fs_hz):
            windows += 1
            hits += peak_false_alarm(x[start:start + 6 * fs_hz], fs_hz, 1.0 / rng.uniform(1.2, 3.5)) <= 1e-3
    assert hits / windows <= 0.01


def test_no_interval_or_too_short_a_window_gives_no_evidence() -> None:
    x = power_law_noise(600, 2.0, 1)
    assert peak_false_alarm(x, 100.0, 0.0) == 1.0
    assert peak_ratios(x[:6], 100.0, 1.0) == (0.0, 0.0)
    assert false_alarm((0.0, 0.0)) == 1.0
