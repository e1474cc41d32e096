"""The sensor's clock is measured, not taken at its word: the whole daemon with an ADC clock that is off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from device.app import build_device
from device.config import load_config
from sim.world import build_sim_world
from tests.sim.test_device_in_sim import NOON


@pytest.mark.parametrize("clock_error", [-0.02, 0.015])
def test_heart_rate_is_right_and_beat_times_keep_to_the_monotonic_clock(tmp_path: Path,
                                                                        clock_error: float) -> None:
    config = load_config()
    world = build_sim_world(config, wav_path=None, start_wall=NOON)
    world.chip.adc_clock_error = clock_error  # before the chip starts sampling
    glimmer = build_device(config, world.hardware)
    offsets: list[float] = []
    for until_s in np.arange(60.0, 181.0, 20.0):
        glimmer.run(until_s=float(until_s))
        truth = world.person.beat_times_s()
        seen = np.array(glimmer.hrv._times)[-20:]
        nearest = truth[np.argmin(np.abs(truth[None, :] - seen[:, None]), axis=1)]
        offsets.append(float(np.median(seen - nearest)))
    true_rate = float(glimmer.sensor.sample_clock.rate_hz)
    assert true_rate == pytest.approx(config.sensor.sample_rate_hz * (1.0 + clock_error), rel=5e-4)
    # beat times sit on the true beats, at a constant offset (the optics' pulse delay), not a drifting one
    assert max(offsets) - min(offsets) < 0.03
    truth = world.person.beat_times_s()
    recent = truth[(truth > 120.0) & (truth < 180.0)]
    true_hr = 60.0 / float(np.median(np.diff(recent)))
    hr = glimmer.metrics.hr_bpm
    assert hr is not None and hr == pytest.approx(true_hr, rel=0.005)
    glimmer.close()
