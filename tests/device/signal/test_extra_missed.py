"""HRV of a heart whose picker misses a beat beside one it counts twice (tests/device/signal/synthetic_rr.py
extra_missed_heart): given within 25 % or 2 ms of the sinus intervals' RMSSD, or withheld with a reason; never a
wrong number with every reason null. Seeds 0-99 were looked at while writing the rule (artifacts._holds_extra); the
seeds here are among them, the figures on unseen ones are in docs/measurements.md."""

from __future__ import annotations

import numpy as np
import pytest

from device.signal import hrv_metrics
from device.signal.artifacts import Artifact, classify_intervals
from device.signal.hrv import time_domain
from tests.device.signal.synthetic_rr import extra_missed_heart


def right(value: float, truth: float) -> bool:
    return abs(value - truth) <= max(0.25 * truth, 2.0)


def test_an_extra_beat_right_after_a_missed_one_is_deleted_not_moved() -> None:
    # a missed beat (1966 ms at 61/min) and then an extra one splitting the next interval 373 + 614: the paper read the
    # jump into 373 as an ectopic beat and moved it; the two pieces are one interval
    times_s, _ = extra_missed_heart(2, "pair")
    rr = np.diff(times_s) * 1000.0
    labels = classify_intervals(rr)
    assert labels[70] == Artifact.MISSED and labels[71] == Artifact.EXTRA and labels[72] == Artifact.NORMAL


@pytest.mark.parametrize("swing", [False, True])
@pytest.mark.parametrize("kind", ["pair", "extra", "missed"])
def test_missed_and_extra_beats_give_rmssd_right_or_withhold_it(kind: str, swing: bool) -> None:
    given = 0
    for seed in range(20):
        times_s, sinus_ms = extra_missed_heart(seed, kind, swing)
        metrics = hrv_metrics(times_s)
        if metrics.rmssd_ms is None:
            assert metrics.hrv_reason is not None
            continue
        given += 1
        truth = time_domain(sinus_ms)["rmssd_ms"]
        assert right(metrics.rmssd_ms, truth), (seed, metrics.rmssd_ms, truth)
    assert given >= 18  # the beats say enough: HRV is not simply withheld
