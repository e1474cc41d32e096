"""A moving hand (issue 7, fault 2): the right heart rate or none (reason `motion`), never a false one; HRV
withheld while the beats behind it include motion; readings back within seconds after the hand is still.

Generated pulse with known beats plus `hand_motion` (drifting 0.5-4 Hz sines, a DC step, tremor), through
PulsePipeline and HrvTracker wired as device/sensor_channel.py wires them (bench/bench_motion.py runs the
family over seeds; seed 3 is one of the seeds the rule was chosen on, seed 7 one it was not).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_motion import run_one
from device.errors import InputError
from device.signal.hrv import MOTION, MOTION_CLEAR_INTERVALS, HrvTracker, hrv_metrics
from device.signal.pulse import Beat, PulsePipeline
from tests.device.signal.synthetic_ppg import hand_motion, rsa_beat_times, synthetic_ppg


@pytest.mark.parametrize("fs_hz", [25, 50, 100])
@pytest.mark.parametrize("length_s", [1.0, 5.0, 15.0, 30.0, 60.0])
@pytest.mark.parametrize(("size", "seed"), [(0.6, 3), (1.0, 3), (1.0, 7)])
def test_motion_gives_no_false_heart_rate_and_readings_come_back(fs_hz: int, length_s: float, size: float,
                                                                 seed: int) -> None:
    outcome = run_one(fs_hz, seed=seed, length_s=length_s, size=size)
    assert outcome.false_hr_s == 0.0  # every HR shown from the motion's start on was within 5 bpm, or withheld
    # a right HR again within seconds of the hand coming to rest, and it stays (8 s on the seeds the rule was
    # chosen on; up to 10.2 s on seeds 4-10, bench/bench_motion.py)
    assert outcome.back_s <= (8.0 if seed <= 3 else 12.0)
    if size >= 1.0:  # motion this size is seen: no RMSSD rests on it (smaller motion: see the test below)
        assert outcome.false_hrv_s == 0.0


def test_motion_under_the_bar_gives_no_false_hrv() -> None:
    """Motion under the pulse's own RMS swing (size 0.3) shifts beats by up to 0.1 s and no span is seen; RMSSD
    read about twice the truth (a strict expected failure on main). Such beats are timed poorly, and HRV now rests
    on the intervals that touch none (device/signal/hrv.py, unsure beats)."""
    assert run_one(50, seed=1, length_s=15.0, size=0.3).false_hrv_s == 0.0


def test_motion_spans_cover_the_motion_and_end_with_it() -> None:
    fs_hz, duration_s, start_s, stop_s = 100, 60.0, 25.0, 40.0
    truth = rsa_beat_times(duration_s, hr_bpm=67.0)
    t_s = np.arange(round(duration_s * fs_hz)) / fs_hz
    x = synthetic_ppg(truth, fs_hz, duration_s, noise=0.01) + hand_motion(t_s, start_s, stop_s, 1.0, seed=1)
    pipeline = PulsePipeline(fs_hz)
    spans: list[tuple[float, float]] = []
    for first in range(0, len(x), 10):
        spans.extend(pipeline.push(x[first:first + 10], first).motion)
    assert spans
    assert min(a for a, _ in spans) < start_s + 1.5
    assert all(b <= stop_s + 1.5 for _, b in spans)  # nothing still after the hand came to rest
    assert all(a >= start_s - 1.5 for a, _ in spans)  # nothing before it


def test_a_still_pulse_gives_no_motion_span() -> None:
    fs_hz, duration_s = 50, 120.0
    truth = rsa_beat_times(duration_s, hr_bpm=72.0)
    x = synthetic_ppg(truth, fs_hz, duration_s, noise=0.02, seed=4)
    pipeline = PulsePipeline(fs_hz)
    spans = [s for first in range(0, len(x), 5) for s in pipeline.push(x[first:first + 5], first).motion]
    assert spans == []


def _steady(start_s: float, n: int, ibi_s: float = 1.0) -> list[Beat]:
    return [Beat(start_s + i * ibi_s, 0.9, 1.0) for i in range(n)]


def test_brief_motion_keeps_heart_rate_and_withholds_hrv_until_a_regular_run_follows() -> None:
    tracker = HrvTracker()
    tracker.add_beats(_steady(0.3, 30))  # 60/min
    assert tracker.metrics().rmssd_ms is not None
    tracker.add_motion(29.5, 30.6)  # one beat interval judged moving
    during = tracker.metrics()
    assert during.hr_bpm == pytest.approx(60.0) and during.rmssd_ms is None and during.hrv_reason == MOTION
    tracker.add_beats(_steady(31.0, 2 * MOTION_CLEAR_INTERVALS + 12))
    after = tracker.metrics()
    assert after.hr_bpm == pytest.approx(60.0) and after.rmssd_ms == pytest.approx(0.0, abs=1e-6)
    assert after.artifact_pct > 0.0  # the span counts as corrected intervals


def test_sustained_motion_withholds_everything_until_a_regular_run_follows() -> None:
    tracker = HrvTracker()
    tracker.add_beats(_steady(0.3, 30))
    # 20 s of a hand: spans and, between them, picks of it at irregular times (a hand is not a pulse)
    rng = np.random.default_rng(1)
    t = 30.0
    for _ in range(10):
        tracker.add_motion(t, t + 1.2)
        picks = np.sort(rng.uniform(t + 1.2, t + 2.0, size=2))
        tracker.add_beats([Beat(float(p), 0.7, 1.5) for p in picks])
        t += 2.0
    moving = tracker.metrics()
    assert moving.hr_bpm is None and moving.hr_reason == MOTION and moving.rmssd_ms is None
    # still beats again, the first 2.5 s after the last pick: K - 1 intervals are not yet a run long enough
    tracker.add_beats(_steady(t + 2.5, MOTION_CLEAR_INTERVALS))
    assert tracker.metrics().hr_reason == MOTION
    tracker.add_beats(_steady(t + 2.5 + MOTION_CLEAR_INTERVALS, 1))
    back = tracker.metrics()
    assert back.hr_bpm == pytest.approx(60.0) and back.hr_reason is None


def test_motion_span_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InputError):
        HrvTracker().add_motion(5.0, 4.0)


def test_batch_hrv_takes_motion_spans() -> None:
    times = np.arange(0.3, 60.0, 1.0)
    assert hrv_metrics(times, motion=[(59.5, 60.5)]).hrv_reason == MOTION
    assert hrv_metrics(times).hrv_reason is None
