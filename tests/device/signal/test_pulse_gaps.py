"""Lost samples in the pulse pipeline: every gap is reported, a short one costs no re-lock."""

from __future__ import annotations

import numpy as np
import pytest

from device.signal.pulse import MAX_BRIDGE_S, PulsePipeline
from tests.device.signal.synthetic_ppg import rsa_beat_times, synthetic_ppg

FS_HZ = 100.0
CHUNK = 10


@pytest.mark.parametrize("gap_s", [0.1, 0.3, 1.0, 2.0, 2.5, 3.0, 10.0, 40.0])
def test_gaps_of_any_length_are_reported_and_never_mistime_a_beat(gap_s: float) -> None:
    truth = rsa_beat_times(100.0, hr_bpm=66.0, breath_bpm=12.0, swing_bpm=2.0)
    x = synthetic_ppg(truth, FS_HZ, 100.0, noise=0.02, seed=1)
    start, stop = 3000, 3000 + round(gap_s * FS_HZ)
    pipeline = PulsePipeline(FS_HZ)
    beats, gaps, first_report_s = [], [], None
    for first in range(0, len(x), CHUNK):
        if start <= first < stop:
            continue
        update = pipeline.push(x[first:first + CHUNK], first)
        gaps.extend(update.gaps)
        beats.extend(update.beats)
        if first >= stop and update.beats and first_report_s is None:
            first_report_s = (first + CHUNK) / FS_HZ - stop / FS_HZ
    assert gaps == [(start / FS_HZ, stop / FS_HZ)]
    times = np.array([b.t_s for b in beats])
    assert np.all(np.min(np.abs(times[:, None] - truth[None, :]), axis=1) < 0.03)  # no false or mistimed beat
    after = truth[(truth > stop / FS_HZ + 0.5) & (truth < 98.0)]
    found = np.min(np.abs(after[:, None] - times[None, :]), axis=1) < 0.03
    assert found.all()
    assert first_report_s is not None
    if gap_s <= MAX_BRIDGE_S:
        assert first_report_s < 2.0  # bridged: the beat after the gap comes at once, no re-lock (~5.5 s)
    else:
        assert first_report_s > 4.0  # restarted: the pulse has to prove itself again
