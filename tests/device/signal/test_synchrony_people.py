"""Synchrony of two simulated people's true heartbeats (sim/person.py): one light pacing both draws their
heart rhythms together; each breathing on their own, they stay apart."""

from __future__ import annotations

import numpy as np
import pytest

from device.signal.synchrony import heart_rate_synchrony
from patterns.state import PacerSnapshot
from sim.person import PersonParams, SimulatedPerson
from tests.sim.test_person import Bedside

SESSION_S = 620.0
FIRST_END_S = 84.0  # the first window: 64 s of the pacer, which starts at 20 s


def synchrony_course(seed_a: int, seed_b: int, paced: bool) -> tuple[float, float]:
    """Mean synchrony of the first and the last 2 minutes of windows (every 5 s) of a 12/min and a 15/min
    breather (resonance 5.5 and 6.5/min), one light pacing both from 13.5 toward 6/min at 1/min per minute,
    or a steady light (unpaced)."""
    fixed = {"motion_artifacts_per_hour": 0.0, "ectopic_per_hour": 0.0}
    a = SimulatedPerson(PersonParams.from_seed(seed_a, natural_breath_rate_per_min=12.0,
                                               resonance_rate_per_min=5.5, **fixed), seed_a)
    b = SimulatedPerson(PersonParams.from_seed(seed_b, natural_breath_rate_per_min=15.0,
                                               resonance_rate_per_min=6.5, **fixed), seed_b)
    pacer = PacerSnapshot(t0_s=20.0, phase0_cycles=0.0, rate0_bpm=13.5, target_bpm=6.0, slope_bpm_per_s=1 / 60)
    for person in (a, b):
        Bedside(person).live_until(SESSION_S, pacer if paced else None, None if paced else 0.0)
    ta, tb = a.beat_times_s(), b.beat_times_s()
    ends = np.arange(FIRST_END_S, SESSION_S, 5.0)
    values = np.array([heart_rate_synchrony(ta[1:], np.diff(ta) * 1000.0, tb[1:], np.diff(tb) * 1000.0,
                                            float(end)).value for end in ends], dtype=float)
    assert not np.any(np.isnan(values))  # clean beats: never withheld
    return float(values[ends < FIRST_END_S + 120.0].mean()), float(values[ends >= SESSION_S - 120.0].mean())


@pytest.mark.parametrize(("seed_a", "seed_b"), [(1, 2), (3, 4), (5, 6)])
def test_one_light_draws_two_hearts_together(seed_a: int, seed_b: int) -> None:
    first, last = synchrony_course(seed_a, seed_b, paced=True)
    assert last >= 0.7
    assert last >= 1.5 * first


@pytest.mark.parametrize(("seed_a", "seed_b"), [(1, 2), (3, 4)])
def test_breathing_on_their_own_two_hearts_stay_apart(seed_a: int, seed_b: int) -> None:
    first, last = synchrony_course(seed_a, seed_b, paced=False)
    assert first < 0.4 and last < 0.4
