"""The device as it runs, fed by optics a test writes: virtual MAX30102 -> driver -> pipeline -> HRV tracker ->
metrics payloads, on the fast clock. Shared by the tests that drive the whole path with a generated pulse."""

from __future__ import annotations

import math
from typing import Any

from gpiozero.pins.mock import MockFactory

import device.app
from device.app import Hardware
from device.clock import SimClock
from device.config import load_config
from device.publish import RecordingPublisher
from drivers.speaker import NullAudioOutput
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import VirtualMax30102
from sim.optics import FingerOptics
from sim.spi_ring import SpiRingSink


def device_payloads(optics: FingerOptics, until_s: float, period_s: float = 2.0) -> list[dict[str, Any]]:
    """The metrics payloads (one every `period_s` s) the default-config device publishes over `until_s`
    simulated seconds with `optics` on the virtual sensor."""
    config = load_config(overrides={"metrics": {"period_s": period_s}})
    clock = SimClock(speed=math.inf)
    bus = VirtualI2CBus(config.sensor.i2c_bus)
    bus.attach(config.sensor.i2c_address, VirtualMax30102(optics, clock, seed=1))
    recorder = RecordingPublisher()
    ring = SpiRingSink(clock, order=config.led.color_order, gamma=config.led.gamma)
    hardware = Hardware(clock=clock, i2c_bus_factory=bus.open, spi=ring, audio=NullAudioOutput(48000),
                        pin_factory=MockFactory())
    glimmer = device.app.build_device(config, hardware, [recorder])
    glimmer.run(until_s=until_s)
    glimmer.close()
    return recorder.metrics_payloads
