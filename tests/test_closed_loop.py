"""The reason the device exists, measured: paced toward resonance, a person's heart becomes coherent.

A simulated person who breathes at 12/min on their own sees the ring (decoded from the SPI bytes the
device writes) and follows it. The same person with no light to follow is the control: the loop, not a
script, makes the difference.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.app import build_device
from device.config import load_config
from device.publish import RecordingPublisher
from sim.world import build_sim_world

SESSION_MIN = 10.0
NOON = datetime(2026, 6, 1, 12, 0)


def run_session(tmp_path: Path, seed: int, led_kind: str) -> tuple[list[dict[str, Any]], float, float]:
    """Metrics payloads from pacing start on, the pacing start time, and the person's true breathing
    rate over the minute before it."""
    config = load_config(overrides={"sim": {"seed": seed, "natural_breath_rate_per_min": 12.0},
                                    "led": {"kind": led_kind}})
    world = build_sim_world(config, wav_path=tmp_path / f"s{seed}{led_kind}.wav", start_wall=NOON)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    # Run until pacing starts, then a 10-minute session from there.
    glimmer.run(until_s=120.0)
    pacing = [p["t_s"] for p in recorder.metrics_payloads if p["session_state"] == "pacing"]
    start_s = pacing[0] if pacing else 120.0
    glimmer.run(until_s=start_s + SESSION_MIN * 60.0)
    glimmer.close()
    payloads = [p for p in recorder.metrics_payloads if p["t_s"] >= start_s]
    own_rate = float(world.person.breath_rate_bpm_at(start_s - 30.0, window_s=60.0))
    return payloads, start_s, own_rate


def coherence_between(payloads: list[dict[str, Any]], t0_s: float, t1_s: float) -> float:
    values = [p["coherence_ratio"] for p in payloads
              if t0_s <= p["t_s"] <= t1_s and p["coherence_ratio"] is not None]
    assert values, f"no coherence between {t0_s} and {t1_s} s"
    return float(np.mean(values))


@pytest.mark.parametrize(("seed", "led_kind"), [(1, "spi"), (2, "spi"), (3, "pwm")])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_pacing_a_12_per_minute_breather_toward_6_raises_coherence(tmp_path: Path, seed: int, led_kind: str) -> None:
    payloads, start_s, own_rate = run_session(tmp_path, seed, led_kind)
    rates = [p["pacer_rate_per_min"] for p in payloads if p["pacer_rate_per_min"] is not None]
    assert abs(own_rate - 12.0) <= 1.5  # the person breathes near 12/min, with its natural wander ...
    assert abs(rates[0] - own_rate) <= 1.0, "pacing starts near the person's own rate"  # ... measured
    assert rates[-1] == pytest.approx(6.0, abs=0.05), "and reaches the resonance rate"
    per_minute = np.abs(np.array(rates[12:]) - np.array(rates[:-12]))  # payloads 60 s apart
    assert np.max(per_minute) <= 1.0 + 0.01, "no faster than a person can follow (1/min per minute)"
    end_s = start_s + SESSION_MIN * 60.0
    first = coherence_between(payloads, start_s, start_s + 120.0)
    last = coherence_between(payloads, end_s - 120.0, end_s)
    assert last >= 3.0 * first, (first, last)


def test_the_same_person_unpaced_shows_no_such_rise(tmp_path: Path) -> None:
    payloads, start_s, _ = run_session(tmp_path, 1, "none")
    end_s = start_s + SESSION_MIN * 60.0
    first = coherence_between(payloads, start_s, start_s + 120.0)
    last = coherence_between(payloads, end_s - 120.0, end_s)
    assert last < 2.0 * first, (first, last)
    breathing = [p["breath_rate_per_min"] for p in payloads[-24:] if p["breath_rate_per_min"] is not None]
    assert np.median(breathing) == pytest.approx(12.0, abs=1.5)
