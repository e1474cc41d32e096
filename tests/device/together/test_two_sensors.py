"""The device with a second sensor (Hardware.second_i2c_bus_factory): two pipelines and HRV trackers."""

from __future__ import annotations

from pathlib import Path

from device.config import load_config
from tests.device.together.two_people import two_people


def test_each_sensor_has_its_own_pipeline_and_hrv_and_one_failing_leaves_the_other_reading(tmp_path: Path) -> None:
    config = load_config(overrides={"night": {"enabled": False}})
    rig = two_people(tmp_path, config)
    glimmer = rig.device
    assert glimmer.channel_b is not None and glimmer.channel_b.hrv is not glimmer.channel_a.hrv
    glimmer.run(until_s=40.0)
    a, b = glimmer.channel_a, glimmer.channel_b
    assert a.finger_on and b.finger_on
    hr_a = a.current_metrics(40.0, settling=False).hr_bpm
    hr_b = b.current_metrics(40.0, settling=False).hr_bpm
    assert hr_a is not None and hr_b is not None
    # Their own hearts: each within a few beats/min of the simulated person's own mean heart rate.
    assert abs(hr_a - rig.world.person.params.mean_hr_bpm) < 8.0
    assert abs(hr_b - rig.person_b.params.mean_hr_bpm) < 8.0
    beats_a = a.hrv.metrics().n_beats
    rig.chip_b.vanish(30.0)
    glimmer.run(until_s=42.0)
    assert b.reading is not None and b.reading.status == "lost"
    assert b.current_metrics(42.0, settling=False).hr_reason == "sensor_lost"
    glimmer.run(until_s=60.0)
    assert a.reading is not None and a.reading.status == "ok" and a.hrv.metrics().n_beats > beats_a + 10
    assert a.current_metrics(60.0, settling=False).hr_bpm is not None
    glimmer.close()


def test_one_sensor_device_has_no_second_channel(tmp_path: Path) -> None:
    from device.app import build_device
    from sim.world import build_sim_world

    config = load_config()
    world = build_sim_world(config, silent=True)
    glimmer = build_device(config, world.hardware)
    assert glimmer.channel_b is None and glimmer.channels == [glimmer.channel_a]
    glimmer.close()
