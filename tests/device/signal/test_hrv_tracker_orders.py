"""HrvTracker takes beats, gaps and motion spans in any order and number, and always answers.

A fresh-clone tester found `metrics()` raising IndexError when a motion span had come and no beat was held
(a drift flagged as motion with no pulse behind it killed `glimmer sim`). The family here is every order of
the three calls the pulse pipeline makes, with none, one, two or many beats, asserting what must always hold:
an answer, a reason for every figure withheld, and no figure without beats behind it.
"""

from __future__ import annotations

import numpy as np
import pytest

from device.signal.hrv import HrvTracker
from device.signal.pulse import Beat


def _check(tracker: HrvTracker) -> None:
    m = tracker.metrics()
    assert (m.hr_bpm is None) == (m.hr_reason is not None)
    assert (m.rmssd_ms is None) == (m.hrv_reason is not None)
    if m.n_beats < 2:
        assert m.hr_bpm is None and m.rmssd_ms is None
    assert 0.0 <= m.artifact_pct <= 100.0


def test_motion_before_any_beat_withholds_with_a_reason() -> None:
    tracker = HrvTracker(window_s=60.0)
    tracker.add_motion(1.0, 3.0)
    m = tracker.metrics()
    assert m.hr_bpm is None and m.hr_reason is not None and m.rmssd_ms is None
    assert tracker.moving


@pytest.mark.parametrize("seed", range(40))
def test_any_order_of_beats_gaps_and_motion_answers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tracker = HrvTracker(window_s=float(rng.choice([10.0, 60.0])))
    t = float(rng.uniform(0.0, 5.0))
    for _ in range(int(rng.integers(1, 120))):
        step = rng.integers(0, 6)
        if step == 0:  # a motion span about now, before or after the newest beat
            start = t + float(rng.uniform(-3.0, 2.0))
            tracker.add_motion(start, start + float(rng.uniform(0.0, 8.0)))
        elif step == 1:
            start = t + float(rng.uniform(-1.0, 1.0))
            tracker.add_gap(start, start + float(rng.uniform(0.0, 4.0)))
        elif step == 2:
            tracker.reset()
        else:  # one to a few beats at 40-150/min
            for _ in range(int(rng.integers(1, 4))):
                t += float(rng.uniform(0.4, 1.5))
                tracker.add_beats([Beat(t, float(rng.uniform(0.0, 1.0)), float(rng.uniform(0.5, 1.5)),
                                        float(rng.uniform(0.0, 0.02)))])
        _check(tracker)
