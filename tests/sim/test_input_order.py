"""A press or a command is in the frames written at the wake-up that acts on it (issue 9: a paced write
holds a whole read period of frames, 400 ms by default, so a frame task that ran before the inputs would
show a press one write later)."""

from __future__ import annotations

import pytest

from device.app import build_device
from device.config import load_config
from patterns.state import PatternState
from sim.world import build_sim_world
from tests.sim.test_device_in_sim import NOON


def test_the_frame_task_runs_after_the_inputs_and_publishing() -> None:
    config = load_config(overrides={"mqtt": {"host": "localhost"}})
    world = build_sim_world(config, wav_path=None, start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    try:
        names = [task.name for task in glimmer.tasks]
        assert names == ["sensor", "session", "buttons", "publish", "mqtt", "frame"]
    finally:
        glimmer.close()


@pytest.mark.parametrize("offset_s", [0.07, 0.23])
def test_a_short_press_in_a_session_is_in_the_write_made_when_it_is_acted_on(offset_s: float) -> None:
    config = load_config()
    world = build_sim_world(config, wav_path=None, start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    acted: list[tuple[float, PatternState]] = []
    rendered_then: list[bool] = []
    act = glimmer.act

    def recording_act(action: str, now_s: float) -> None:
        act(action, now_s)
        acted.append((now_s, glimmer.session.pattern))

    def on_frame(t_s: float) -> None:
        for at_s, state in acted:
            if abs(t_s - at_s) < 1e-9:  # the first frame of the write made at the press's wake-up
                rendered_then.append(glimmer._batch_state is state)

    glimmer.act = recording_act  # type: ignore[method-assign]
    world.hardware.on_frame.append(on_frame)
    t = 0.0
    while glimmer.session.phase.value != "pacing" and t < 120.0:
        t += 1.0
        glimmer.run(until_s=t)
    assert glimmer.session.phase.value == "pacing"
    pin = world.pins.pin(config.buttons.main_gpio)
    glimmer.run(until_s=t + offset_s)  # off the read grid
    pin.drive_low()
    glimmer.run(until_s=t + offset_s + 0.15)  # a short press
    pin.drive_high()
    glimmer.run(until_s=t + 2.0)
    glimmer.close()
    assert len(acted) == 1 and glimmer.session.phase.value != "pacing"
    read_period_s = config.sensor.read_period_ms / 1000.0
    assert acted[0][0] - (t + offset_s + 0.15) <= read_period_s + 1e-9  # acted on at the next read's wake-up
    assert rendered_then == [True]  # and that wake-up's write shows the session's new state
