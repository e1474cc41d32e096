"""Build a simulated device that publishes to a test broker, and pump its MQTT link in real time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.app import GlimmerDevice, build_device
from device.config import Config, load_config
from sim.world import SimWorld, build_sim_world


def mqtt_config(tmp_path: Path, port: int, **mqtt: Any) -> Config:
    overrides: dict[str, dict[str, Any]] = {
        "mqtt": {"host": "127.0.0.1", "port": port, "outbox_path": str(tmp_path / "outbox.sqlite"),
                 "reconnect_min_s": 0.05, "reconnect_max_s": 0.2, **mqtt},
        "device": {"device_id": "bedside"},
        "night": {"enabled": False},
    }
    return load_config(overrides=overrides)


def sim_device(tmp_path: Path, config: Config, speed: float = math.inf) -> tuple[GlimmerDevice, SimWorld]:
    world = build_sim_world(config, speed=speed, wav_path=tmp_path / "sound.wav")
    return build_device(config, world.hardware), world


def pump(glimmer: GlimmerDevice, until: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Poll the device's MQTT link (as its loop task would) until `until()` or fail after timeout_s."""
    assert glimmer.mqtt is not None
    deadline = time.monotonic() + timeout_s
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("timed out pumping the MQTT link")
        glimmer.mqtt.poll()
        time.sleep(0.01)


def wait_connected(glimmer: GlimmerDevice, timeout_s: float = 20.0) -> None:
    assert glimmer.mqtt is not None
    link = glimmer.mqtt
    pump(glimmer, lambda: link.connected, timeout_s)
