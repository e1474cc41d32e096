"""A glitch of a second or two (a stalled loop, I2C NACKs) costs neither a re-lock nor a minute of wrong HRV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from device.app import build_device
from device.config import load_config
from device.signal import hrv_metrics
from sim.world import build_sim_world
from tests.sim.test_device_in_sim import NOON


@pytest.mark.parametrize("glitch", ["stall", "nacks"])
def test_hrv_stays_near_truth_through_a_glitch(tmp_path: Path, glitch: str) -> None:
    config = load_config()
    world = build_sim_world(config, wav_path=None, start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    at_s = 80.0
    glimmer.run(until_s=at_s)
    if glitch == "stall":
        world.clock.advance_to(at_s + 2.0)  # the main loop does nothing for 2 s; the FIFO overflows
    else:
        world.chip.nack_next(3)
    errors = []
    for until_s in np.arange(at_s + 5.0, at_s + 46.0, 10.0):
        glimmer.run(until_s=float(until_s))
        truth_beats = world.person.beat_times_s()
        truth = hrv_metrics(truth_beats[(truth_beats > until_s - 61.0) & (truth_beats < until_s - 1.0)])
        got = glimmer.hrv.metrics()
        assert got.rmssd_ms is not None and got.sdnn_ms is not None, got
        assert truth.rmssd_ms is not None and truth.sdnn_ms is not None
        errors.append((got.rmssd_ms - truth.rmssd_ms, got.sdnn_ms - truth.sdnn_ms, truth.rmssd_ms))
    for rmssd_error, sdnn_error, truth_rmssd in errors:
        assert abs(rmssd_error) <= max(0.25 * truth_rmssd, 5.0)
        assert abs(sdnn_error) <= 10.0
    times = np.array(glimmer.hrv._times)
    after = times[times > at_s]
    assert after[0] - at_s < 4.0  # beats go on at once: no ~6 s of silence while the pulse re-locks
    assert np.max(np.diff(after)) < 2.5
    glimmer.close()
