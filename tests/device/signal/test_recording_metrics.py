"""The whole-recording entry point `device.pulse.recording_metrics` carries what bare beat times lose.

A fresh-clone tester found that the documented batch pair `hrv_metrics(detect_beats(ppg, fs))` sees only
times, so it never withholds HRV for timing noise: in a pulse with pink or brown noise in its own band it
showed RMSSD more than 2x off, with no reason, where the device (and `recording_metrics`) withholds it.
Inputs: the synthetic pulse with 1/f^alpha noise of bench/bench_timing_quality.py (known true peaks).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_timing_quality import pulse_in_noise, rmssd_ok
from device.errors import InputError
from device.pulse import detect_beats, hrv_metrics, recording_metrics
from device.signal.pulse import stream_beats


def true_rmssd_ms(truth: np.ndarray) -> float:
    return 1000.0 * float(np.sqrt(np.mean(np.diff(np.diff(truth)) ** 2)))


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
def test_rmssd_from_a_recording_in_in_band_noise_is_right_or_withheld(fs_hz: int) -> None:
    bare_off = 0
    for alpha in (1.0, 2.0):
        for level in (0.1, 0.33):
            for hr in (55.0, 80.0):
                x, truth = pulse_in_noise(hr, fs_hz, alpha, level, seed=11)
                truth_ms = true_rmssd_ms(truth)
                got = recording_metrics(x, fs_hz)
                if got.rmssd_ms is not None:
                    assert rmssd_ok(got.rmssd_ms, truth_ms), (alpha, level, hr, got.rmssd_ms, truth_ms)
                else:
                    assert got.hrv_reason is not None
                bare = hrv_metrics(detect_beats(x, fs_hz)).rmssd_ms
                bare_off += bare is not None and not rmssd_ok(bare, truth_ms)
    assert bare_off >= 1  # the premise: bare beat times would have shown a wrong RMSSD here


def test_recording_metrics_is_hrv_metrics_with_the_streams_own_fields() -> None:
    x, truth = pulse_in_noise(65.0, 100, 0.0, 0.03, seed=2)
    beats = stream_beats(x, 100)
    expected = hrv_metrics(np.array([b.t_s for b in beats]), amplitudes=np.array([b.amplitude for b in beats]),
                           qualities=np.array([b.quality for b in beats]),
                           timing_sds=np.array([b.timing_sd_s for b in beats]),
                           phases=np.array([b.phase for b in beats]),
                           before_template=np.array([b.before_template for b in beats]))
    got = recording_metrics(x, 100)
    assert got == expected
    assert got.rmssd_ms is not None and rmssd_ok(got.rmssd_ms, true_rmssd_ms(truth))


def test_recording_metrics_of_silence_and_bad_rates() -> None:
    flat = recording_metrics(np.zeros(3000), 50)
    assert flat.hr_bpm is None and flat.hr_reason is not None
    with pytest.raises(InputError):
        recording_metrics(np.zeros(100), 10)
