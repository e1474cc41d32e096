"""The whole daemon against the simulator on the fast clock: loop, determinism, faults, shutdown."""

from __future__ import annotations

import re
import wave
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.app import GlimmerDevice, build_device
from device.config import Config, load_config
from device.publish import RecordingPublisher
from sim.world import SimWorld, build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)


def make(tmp_path: Path, config: Config | None = None) -> tuple[SimWorld, GlimmerDevice, RecordingPublisher]:
    config = config or load_config()
    world = build_sim_world(config, wav_path=tmp_path / "sound.wav", start_wall=NOON)
    recorder = RecordingPublisher()
    return world, build_device(config, world.hardware, [recorder]), recorder


def numbers(payloads: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(p["t_s"], p["hr_bpm"], p["rmssd_ms"], p["coherence_ratio"], p["pacer_rate_per_min"]) for p in payloads]


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_twenty_minutes_run_on_the_fast_clock_with_every_task_on_time(tmp_path: Path) -> None:
    world, glimmer, recorder = make(tmp_path)
    glimmer.run(until_s=20 * 60.0)
    assert world.clock.now_s() == 1200.0
    assert len(recorder.metrics_payloads) == 240
    # Every 20 ms while the ring is lit (from the session's first minute on), no deadline missed; while it
    # is dark and the state static, frames are only checked on the sensor's 100 ms grid.
    assert 50 * (1200 - 60) <= glimmer.frames_shown <= 50 * 1200 + 1
    assert all(task.skipped == 0 for task in glimmer._tasks)
    last = recorder.metrics_payloads[-1]
    assert last["session_state"] == "pacing"
    assert 45 <= last["hr_bpm"] <= 95
    assert last["lost_samples"] == 0
    glimmer.close()


def documented_keys() -> set[str]:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
    keys: set[str] = set()
    for row in re.findall(r"^\| (`.*?) \|", doc, flags=re.M):
        keys.update(re.findall(r"`([a-z0-9_]+)`", row))
    return keys


def test_the_payload_is_the_documented_contract(tmp_path: Path) -> None:
    _, glimmer, recorder = make(tmp_path)
    glimmer.run(until_s=60.0)
    glimmer.close()
    assert set(recorder.metrics_payloads[-1]) == documented_keys()


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path: Path) -> None:
    runs = []
    for seed in (5, 5, 6):
        config = load_config().replace("sim", seed=seed)
        _, glimmer, recorder = make(tmp_path, config)
        glimmer.run(until_s=180.0)
        glimmer.close()
        runs.append(numbers(recorder.metrics_payloads))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_shutdown_turns_the_ring_off_fades_the_sound_and_closes_the_session(tmp_path: Path) -> None:
    world, glimmer, recorder = make(tmp_path)
    glimmer.run(until_s=120.0)
    assert world.ring.mean_brightness() > 0.0
    summary = glimmer.close()
    assert summary is not None and summary["paced_s"] > 0
    assert recorder.summaries == [summary]
    latest = world.ring.latest()
    assert latest is not None and not latest.any()
    with wave.open(str(tmp_path / "sound.wav")) as wav:
        frames = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    samples = np.frombuffer(frames, dtype="<i2").astype(float)
    assert len(samples) >= 120 * rate
    tail = samples[-rate // 20:]  # the last 50 ms: faded to silence
    assert np.max(np.abs(tail)) < 0.01 * 32767
    assert glimmer.close() is None  # twice is fine


def test_night_mode_shows_warm_colours_only_and_caps_light_and_sound(tmp_path: Path) -> None:
    levels = {}
    for label, at in (("day", NOON), ("night", datetime(2026, 6, 1, 23, 0))):
        config = load_config()
        world = build_sim_world(config, wav_path=tmp_path / f"{label}.wav", start_wall=at)
        glimmer = build_device(config, world.hardware)
        glimmer.run(until_s=150.0)
        frames = [rgb for t, rgb in world.ring.frames if t >= 100.0]
        glimmer.close()
        stacked = np.stack(frames).astype(float)
        if label == "night":
            assert stacked[..., 2].max() == 0, "no blue at night"
        with wave.open(str(tmp_path / f"{label}.wav")) as wav:
            rate = wav.getframerate()
            wav.setpos(100 * rate)
            sound = np.frombuffer(wav.readframes(40 * rate), dtype="<i2").astype(float)
        levels[label] = (stacked.max(), np.sqrt(np.mean(sound**2)))
    assert levels["night"][0] < 0.5 * levels["day"][0]
    assert levels["night"][1] < 0.5 * levels["day"][1]


def test_a_sensor_that_stops_answering_is_reported_and_recovered(tmp_path: Path) -> None:
    world, glimmer, recorder = make(tmp_path)
    glimmer.run(until_s=60.0)
    world.chip.vanish(20.0)
    glimmer.run(until_s=180.0)
    states = [p["sensor_status"] for p in recorder.metrics_payloads]
    assert "lost" in states
    assert states[-1] == "ok"
    assert recorder.metrics_payloads[-1]["hr_bpm"] is not None
    glimmer.close()


def test_a_lifted_finger_pauses_and_a_long_absence_closes_the_session(tmp_path: Path) -> None:
    world, glimmer, recorder = make(tmp_path)
    glimmer.run(until_s=90.0)
    world.person.lift_finger(90.0, 200.0)
    glimmer.run(until_s=240.0)
    states = [p["session_state"] for p in recorder.metrics_payloads]
    assert "paused" in states
    assert states[-1] == "idle"
    assert len(recorder.summaries) == 1
    glimmer.close()
