"""Pacing starts from the person's own breathing, read from their heart through a strong Mayer wave."""

from __future__ import annotations

import numpy as np
import pytest

from device.config import load_config
from device.pacing.session import Phase, Session
from device.signal.hrv import HrvTracker
from device.signal.pulse import Beat


@pytest.mark.parametrize("breath_per_min", [12.0, 16.0, 20.0])
@pytest.mark.parametrize("mayer_to_rsa", [1.0, 3.0])
def test_a_spontaneous_breather_with_a_strong_mayer_wave_is_paced_from_their_own_rate(
        breath_per_min: float, mayer_to_rsa: float) -> None:
    rng = np.random.default_rng(int(breath_per_min * 10 + mayer_to_rsa))
    times = [0.3]
    while times[-1] < 200.0:  # HR = 66 + breathing swing (2 bpm) + 0.1 Hz Mayer wave (up to 6 bpm)
        t = times[-1]
        rate = 66.0 + 2.0 * np.sin(2 * np.pi * breath_per_min / 60 * t) + 2.0 * mayer_to_rsa * np.sin(0.2 * np.pi * t)
        times.append(t + 60.0 / rate + rng.normal(0.0, 0.003))
    beats = np.asarray(times)
    session = Session(load_config())
    tracker = HrvTracker()
    for now_s in range(1, 200):
        tracker.add_beats([Beat(float(b), 0.9, 1.0) for b in beats[(beats > now_s - 1) & (beats <= now_s)]])
        session.tick(float(now_s), True, 0.9, tracker.metrics())
        if session.phase is Phase.PACING:
            break
    assert session.phase is Phase.PACING
    assert float(session.pattern.pacer.rate_bpm(float(now_s))) == pytest.approx(breath_per_min, abs=1.0)
