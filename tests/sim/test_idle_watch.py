"""Idle, the daemon drains the watching sensor once a second and still looks at its inputs five times a
second; a finger placed is noticed about a second later, and nothing is lost (issue 9)."""

from __future__ import annotations

from device.app import IDLE_INPUT_PERIOD_S, IDLE_READ_PERIOD_S, build_device
from device.config import load_config
from device.publish import RecordingPublisher
from sim.world import build_sim_world
from tests.sim.test_device_in_sim import NOON


def test_idle_reads_once_a_second_looks_at_inputs_five_times_and_notices_a_finger() -> None:
    placed_s = 60.0
    config = load_config(overrides={"sim": {"finger_on_at_s": placed_s}})
    world = build_sim_world(config, start_wall=NOON)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    glimmer.run(until_s=10.0)
    runs = {t.name: t.runs for t in glimmer.tasks}
    wakeups = glimmer.wakeups
    glimmer.run(until_s=50.0)
    ran = {t.name: (t.runs - runs[t.name]) / 40.0 for t in glimmer.tasks}
    assert ran["sensor"] == 1.0 / IDLE_READ_PERIOD_S == 1.0
    assert ran["buttons"] == 1.0 / IDLE_INPUT_PERIOD_S == 5.0
    assert (glimmer.wakeups - wakeups) / 40.0 == 5.0  # the reads ride on the inputs' grid
    assert glimmer.sensor.watching and glimmer.session.phase.value == "idle"
    def finger_seen() -> bool:
        reading = glimmer.reading
        return reading is not None and reading.finger_on_dc is True

    while glimmer.clock.now_s() < placed_s + 5.0 and not finger_seen():
        glimmer.run(until_s=glimmer.clock.now_s() + 0.1)
    # the next read (within a second) and one AGC period of the finger's samples: 60.4 s before the watch
    assert finger_seen() and glimmer.clock.now_s() <= placed_s + 1.6
    assert not glimmer.sensor.watching
    glimmer.run(until_s=placed_s + 8.0)
    assert glimmer.finger_on and glimmer.session.phase.value != "idle"  # 66.0 s before the watch, 67.0 with it
    glimmer.run(until_s=placed_s + 60.0)
    last = recorder.metrics_payloads[-1]
    assert last["hr_bpm"] is not None and last["lost_samples"] == 0
    glimmer.close()
