"""Slow camera pulses in white camera noise: a 10 s record must get a rate (issue 7, the held-out phone finding).

Differencing tilts white camera noise up by f^2, so at 40-50/min the first difference's periodicity
(device.signal.pulse.SLOPE_LOCK_ON) fell to 0.3-0.4 while the autocorrelation and the spectral line were
strong, and no lock came in 10 s. Strong evidence (ACF_STRONG with a LINE_STRONG line at its period) at two
checks in a row now locks with the first difference at SLOPE_CONFIRM (docs/measurements.md, "Short noisy
camera records: slow pulses").
Generated records with known beats (tests/device/signal/synthetic_ppg.py `phone_camera_ppg`), seeds 300-303,
which were not used to choose ACF_STRONG (seeds 0-2 were; bench/bench_phone_short.py counts them all).
"""

from __future__ import annotations

import numpy as np

from bench.bench_phone_lock import run_record
from device.signal.hrv import heart_rate_bpm
from tests.device.signal.synthetic_ppg import START_KINDS, phone_camera_ppg

HIT_BPM = 5.0


def test_slow_noisy_10_s_camera_records_mostly_get_the_right_rate() -> None:
    """40, 45 and 50/min, camera noise 0.3 of the pulse, 25 and 30 frames/s, every start kind, 4 seeds (96
    records). Before: 55 right, 1 wrong, 40 none (seeds 0-3: 54 / 1 / 41, seeds 100-103: 56 / 5 / 35); now
    71 / 1 / 24 (seeds 0-3: 67 / 4 / 25, seeds 100-103: 63 / 5 / 28). At least 5 in 8 right (60), and no
    more than 1 in 16 wrong (a wrong rate is worse than none)."""
    right = wrong = 0
    n = 0
    for hr_bpm in (40, 45, 50):
        for fs_hz in (25.0, 30.0):
            for start in START_KINDS:
                for seed in range(300, 304):
                    ppg, truth = phone_camera_ppg(hr_bpm, 10.0, seed=seed, noise=0.3, start=start,
                                                  start_size=30.0 if start != "none" else 0.0, fs_hz=fs_hz)
                    rate = heart_rate_bpm(np.asarray(run_record(ppg, fs_hz)[0], dtype=float))
                    n += 1
                    if rate is None:
                        continue
                    true_bpm = 60.0 / float(np.median(np.diff(truth)))
                    right += abs(rate - true_bpm) <= HIT_BPM
                    wrong += abs(rate - true_bpm) > HIT_BPM
    assert n == 96
    assert right >= 5 * n / 8, (right, wrong)
    assert wrong <= n / 16, (right, wrong)
