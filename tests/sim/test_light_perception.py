"""The simulated person's reading of the ring: a steady glow is never taken for a breathing light, however
it flickers after a fade-in; a breathing light is, within a few of its turns (sim/breathing.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.breathing import LightPerception

DT_S = 0.02


def _perceive(levels: np.ndarray) -> tuple[LightPerception, list[bool]]:
    seen = LightPerception(DT_S)
    breathing = []
    for i, level in enumerate(levels):
        seen.sense(i * DT_S, float(level))
        breathing.append(seen.breathing(i * DT_S))
    return seen, breathing


@pytest.mark.parametrize("seed", range(8))
def test_a_steady_glow_that_flickers_after_a_fade_in_is_never_breathing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    fade = np.linspace(0.02, 0.052, int(2.0 / DT_S))  # the settling glow fading in from the pilot light
    steady = 0.052 + rng.uniform(-0.006, 0.006, int(120.0 / DT_S))  # frame-to-frame dither, ~20 % of the level
    wander = 0.003 * np.sin(2 * np.pi * np.arange(steady.size) * DT_S / rng.uniform(4.0, 20.0))
    _, breathing = _perceive(np.concatenate([fade, steady + wander]))
    assert not any(breathing)


@pytest.mark.parametrize("rate_per_min", [4.5, 6.0, 12.0])
def test_a_breathing_light_is_noticed_within_a_few_turns(rate_per_min: float) -> None:
    t = np.arange(int(60.0 / DT_S)) * DT_S
    levels = 0.05 + 0.45 * (0.5 - 0.5 * np.cos(2 * math.pi * t * rate_per_min / 60.0))
    seen, breathing = _perceive(levels)
    first = breathing.index(True) * DT_S
    assert first <= 2.5 * 60.0 / rate_per_min + 1.0
    assert seen.period_s == pytest.approx(60.0 / rate_per_min, rel=0.05)
