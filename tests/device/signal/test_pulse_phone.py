"""Short phone-camera records with a start transient: the pulse must still be found, and noise must not.

A phone camera's auto-exposure and a settling finger put a one-off burst many pulse heights tall into
the first seconds. It fills the periodicity window for its whole 6 s and the ringing band-pass after it,
so a 10 s record with a 1.5 s exposure step gives no heart rate at all (bench/bench_phone_lock.py:
coverage 0.00 of 48 such records) until both band-passes were restarted after a burst found before a
lock (device/signal/pulse.py, BURST_RATIO; docs/measurements.md, "Records that open with a burst"; the ways a first fix
of this kind broke are tried in test_pulse_burst.py). Generated records with known beats
(tests/device/signal/synthetic_ppg.py
`phone_camera_ppg`: irregular camera frames resampled to 30 Hz).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_phone_lock import heart_rate, run_record
from device.signal.pulse import detect_beats
from tests.device.signal.synthetic_ppg import phone_camera_ppg, power_law_noise

FS_HZ = 30.0
NOT_FIXED = ("issue 7: a ramp start leaves a 10 s record too little time "
             "(docs/measurements.md, 'Records that open with a burst')")
# the cost of asking a lock faster than 75/min for coupling or a steady line over 12 s (device/signal/pulse.py,
# LINE_STRETCH_S): this smooth camera pulse does not couple at once, so its beats come at the record's end (10 s,
# the rate right), not by 9.5 s
LATE_FAST_LOCK = ("issue 7: a fast camera pulse that does not couple waits for a steady line over 12 s "
                  "(docs/measurements.md, 'A resonant sway at the heart's rate')")


@pytest.mark.parametrize("hr_bpm", [60, 106, 150])
@pytest.mark.parametrize("start_size", [10.0, 30.0, 60.0])
@pytest.mark.parametrize("start_s", [1.0, 1.5])
def test_a_10_s_record_after_an_exposure_step_gives_the_right_heart_rate(
        hr_bpm: float, start_size: float, start_s: float, request: pytest.FixtureRequest) -> None:
    if hr_bpm == 106 and start_s == 1.0:
        request.applymarker(pytest.mark.xfail(strict=True, reason=LATE_FAST_LOCK))
    ppg, truth = phone_camera_ppg(hr_bpm, 10.0, seed=0, noise=0.1, start="step", start_size=start_size,
                                  start_s=start_s)
    beats, first_at = run_record(ppg, FS_HZ)
    estimate = heart_rate(beats)
    true_bpm = 60.0 / float(np.median(np.diff(truth)))
    assert estimate is not None, "no heart rate from a clean 10 s record"
    assert abs(estimate - true_bpm) <= 5.0  # neither doubled nor halved
    # found soon after the step (as the withdrawn fix did): the band-pass rings for up to 2 s (60x), then
    # 0.5 s of settling (SETTLE_S), 4 s judged (PERIODICITY_MIN_S), checks once a second, two must agree
    assert first_at is not None and first_at <= start_s + 8.5


@pytest.mark.parametrize("start", ["exp", "linear"])
@pytest.mark.parametrize("hr_bpm", [75, 120])
def test_decaying_start_transients_leave_the_rate_right(start: str, hr_bpm: float,
                                                        request: pytest.FixtureRequest) -> None:
    if (start, hr_bpm) == ("linear", 120):
        # the 3 s ramp ends at 3 s; after the restart the first check with a full 4 s window is at 8.5 s,
        # and the next lock after a burst needs three agreeing checks (AFTER_BURST_CHECKS): 10.5 s
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError, reason=NOT_FIXED))
    ppg, truth = phone_camera_ppg(hr_bpm, 10.0, seed=1, noise=0.1, start=start, start_size=60.0)
    estimate = heart_rate(run_record(ppg, FS_HZ)[0])
    assert estimate is not None
    assert abs(estimate - 60.0 / float(np.median(np.diff(truth)))) <= 5.0


@pytest.mark.parametrize("fs_hz", [25, 100])
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_noise_after_a_start_step_gives_no_beats(fs_hz: int, alpha: float) -> None:
    """Noise that never locks on its own (white and pink, seeds 0-3) does not lock after a step either."""
    n = 60 * fs_hz
    t = np.arange(n) / fs_hz
    for seed in range(4):
        x = power_law_noise(n, alpha, seed) + 30.0 * (t < 1.5)
        assert len(detect_beats(x, fs_hz)) == 0
