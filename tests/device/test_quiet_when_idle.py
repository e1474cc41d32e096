"""Work is done only when it changes what comes out: an idle device wakes on the inputs' grid only,
writes no LED frame and synthesises no sound; in a session, unchanged frames are not written again."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from device.app import build_device
from device.config import load_config
from drivers.led_ring import drive_table, frame_to_drive, lift_to_visible
from patterns.led import led_frame
from sim.world import build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)


def test_an_idle_device_wakes_five_times_a_second_and_shows_and_plays_nothing(tmp_path: Path) -> None:
    config = load_config().replace("sim", finger_on_at_s=3600.0)
    world = build_sim_world(config, wav_path=tmp_path / "idle.wav", start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    glimmer.run(until_s=10.0)
    wakeups, writes = glimmer.wakeups, world.ring.frame_count
    glimmer.run(until_s=70.0)
    assert glimmer.wakeups - wakeups == 300  # the 200 ms look at the inputs; the 1 s read, frame and session ride along
    assert world.ring.frame_count == writes  # nothing new to show
    assert glimmer.session.phase.value == "idle" and not glimmer.finger_on
    assert glimmer.audio.frames_written > 60 * config.audio.sample_rate_hz * 0.95  # type: ignore[attr-defined]
    glimmer.close()
    assert glimmer.led is not None and glimmer.led.frames_written <= 2  # type: ignore[attr-defined]


def test_in_a_session_the_ring_shows_every_frame_though_repeats_are_not_written(tmp_path: Path) -> None:
    config = load_config()
    world = build_sim_world(config, wav_path=tmp_path / "session.wav", start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    glimmer.run(until_s=90.0)
    assert glimmer.session.phase.value == "pacing"
    led = glimmer.led
    assert led is not None
    written, unchanged = led.frames_written, led.frames_unchanged  # type: ignore[attr-defined]
    assert unchanged > 0 and written > 0
    # What the ring holds now is the frame for the last deadline, as if every frame had been written:
    # within one drive step (temporal dithering) of that frame's intended drive.
    frame = led_frame(world.clock.now_s(), glimmer.session.pattern, config.led.count)
    intended = lift_to_visible(frame_to_drive(frame, drive_table(config.led.gamma, config.led.max_brightness)))
    latest = world.ring.latest()
    assert latest is not None and np.abs(latest.astype(float) - intended).max() <= 1.0
    glimmer.close()
