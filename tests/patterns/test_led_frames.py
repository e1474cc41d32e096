"""Frames rendered several at a time are the frames rendered one by one."""

from __future__ import annotations

import numpy as np
import pytest

from patterns.led import led_frame, led_frames
from patterns.state import BreathShape, Fade, PacerSnapshot, PatternState


def random_state(rng: np.random.Generator) -> PatternState:
    pacer = PacerSnapshot(t0_s=float(rng.uniform(0, 20)), phase0_cycles=float(rng.uniform(0, 3)),
                          rate0_bpm=float(rng.uniform(0, 20)), target_bpm=float(rng.uniform(3, 20)),
                          slope_bpm_per_s=float(rng.choice([0.0, rng.uniform(0, 0.1)])),
                          shape=BreathShape(float(rng.uniform(2, 6)), float(rng.choice([0.0, 1.0])),
                                            float(rng.uniform(2, 8)), float(rng.choice([0.0, 2.0]))))
    fade = Fade(float(rng.uniform(0, 40)), float(rng.choice([0.0, rng.random()])),
                float(rng.choice([0.0, 1.0, rng.random()])), float(rng.uniform(0, 6)))
    return PatternState(pacer=pacer, fade=fade, coherence=float(rng.uniform(0, 8)), glimmer=bool(rng.random() < 0.5),
                        night=bool(rng.random() < 0.3), brightness_cap=float(rng.choice([0.0, 0.25, 1.0])))


@pytest.mark.parametrize("seed", range(4))
def test_batch_equals_one_by_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(60):
        state = random_state(rng)
        n_leds = int(rng.choice([1, 12, 16, 24]))
        times = float(rng.uniform(0, 60)) + 0.02 * np.arange(int(rng.integers(1, 8)))
        batch = led_frames(times, state, n_leds)
        assert batch.shape == (len(times), n_leds, 3)
        for t_s, frame in zip(times.tolist(), batch, strict=True):
            np.testing.assert_allclose(frame, led_frame(t_s, state, n_leds), rtol=0, atol=1e-12)
