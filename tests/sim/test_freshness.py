"""No stale number is published as current: the whole daemon against the simulator on the fast clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from device.app import build_device
from device.config import load_config
from device.publish import RecordingPublisher
from sim.world import build_sim_world
from tests.sim.test_device_in_sim import NOON

HEART_KEYS = ("hr_bpm", "rmssd_ms", "sdnn_ms", "pnn50_pct", "coherence_ratio", "breath_rate_per_min")
PROMPT_S = 2.5 + 5.0  # the finger's loss is noticed within ~2.5 s, and payloads come every 5 s


def run(tmp_path: Path, fault: str, at_s: float, duration_s: float,
        until_s: float) -> list[dict[str, Any]]:
    config = load_config()
    world = build_sim_world(config, wav_path=tmp_path / "sound.wav", start_wall=NOON)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    glimmer.run(until_s=at_s)
    if fault == "lift":
        world.person.lift_finger(at_s, duration_s)
    else:
        world.chip.vanish(duration_s)
    glimmer.run(until_s=until_s)
    glimmer.close()
    return recorder.metrics_payloads


def assert_fresh(payloads: list[dict[str, Any]], gone_from_s: float, gone_to_s: float, reason: str) -> None:
    before = [p for p in payloads if p["t_s"] <= gone_from_s]
    assert before[-1]["hr_bpm"] is not None and before[-1]["rmssd_ms"] is not None  # there was something to lose
    for p in payloads:
        if gone_from_s + PROMPT_S <= p["t_s"] <= gone_to_s:
            assert all(p[key] is None for key in HEART_KEYS), p
            assert p["hr_reason"] == reason and p["hrv_reason"] == reason
        if p["hr_bpm"] is not None:
            assert p["beat_age_s"] is not None and p["beat_age_s"] <= 5.0
            assert p["hr_reason"] is None


def test_a_lifted_finger_nulls_the_heart_figures_promptly_and_for_good(tmp_path: Path) -> None:
    payloads = run(tmp_path, "lift", at_s=150.0, duration_s=200.0, until_s=420.0)
    assert_fresh(payloads, 150.0, 350.0, "no_finger")
    states = [p["session_state"] for p in payloads if 150.0 < p["t_s"] <= 350.0]
    assert "idle" in states  # the session closed while the finger was away ...
    back = [p for p in payloads if p["t_s"] > 350.0]
    first = next(p for p in back if p["hr_bpm"] is not None)
    assert first["session"] == 2  # ... and the numbers after it belong to the new session:
    # No beat from before the lift is counted in: no more beats than fit between the finger's return
    # and now at the heart rate measured (the pipeline starts afresh on the returning finger, so it
    # may lock within seconds).
    assert first["beats"] <= (first["t_s"] - 350.0) * first["hr_bpm"] / 60.0 + 1
    assert back[-1]["hr_bpm"] is not None


@pytest.mark.parametrize("duration_s", [30.0])
def test_a_vanished_sensor_nulls_the_heart_figures_until_it_is_back(tmp_path: Path, duration_s: float) -> None:
    payloads = run(tmp_path, "vanish", at_s=150.0, duration_s=duration_s, until_s=260.0)
    assert_fresh(payloads, 150.0, 150.0 + duration_s, "sensor_lost")
    assert payloads[-1]["hr_bpm"] is not None and payloads[-1]["sensor_status"] == "ok"
