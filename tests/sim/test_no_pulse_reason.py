"""Something covers the sensor but has no pulse in it (a knuckle, a sleeve, a finger still being placed): the
heart figures are null with the reason `no_pulse`, not `no_finger` (a fresh-clone tester found a covered
sensor reported as having no finger); an uncovered sensor still says `no_finger`. The virtual MAX30102 sees
the optics given here, through the driver, as the device reads it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gpiozero.pins.mock import MockFactory
from numpy.typing import NDArray

import device.app
from device.app import Hardware
from device.clock import SimClock
from device.config import load_config
from device.publish import RecordingPublisher
from drivers.speaker import NullAudioOutput
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import VirtualMax30102
from sim.optics import OpticalSamples
from sim.spi_ring import SpiRingSink


@dataclass(frozen=True)
class CoveredWithoutPulse:
    """The sensor covered from `on_s` to `off_s`, with no pulse: blood volume still, or wandering slowly
    (pressure drifting) when `drift` is set."""

    on_s: float = 2.0
    off_s: float = math.inf
    drift: float = 0.0

    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        covered = (t_s >= self.on_s) & (t_s < self.off_s)
        blood = self.drift * np.sin(2 * np.pi * 0.013 * t_s) * np.sin(2 * np.pi * 0.031 * t_s)
        return OpticalSamples(blood_volume=blood, finger_on=covered, motion=np.zeros(t_s.shape))


def _payloads(optics: CoveredWithoutPulse, until_s: float) -> list[dict[str, Any]]:
    config = load_config(overrides={"metrics": {"period_s": 2.0}})
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


def test_a_covered_sensor_with_no_pulse_says_no_pulse_and_an_uncovered_one_no_finger() -> None:
    payloads = _payloads(CoveredWithoutPulse(on_s=2.0, off_s=60.0, drift=0.3), until_s=90.0)
    covered = [p for p in payloads if 5.0 <= p["t_s"] < 59.0]
    bare = [p for p in payloads if p["t_s"] >= 63.0]
    assert covered and bare
    assert all(p["hr_bpm"] is None and p["hr_reason"] == "no_pulse" and p["hrv_reason"] == "no_pulse"
               for p in covered)
    assert all(p["finger_on"] is False and p["session_state"] == "idle" for p in covered)
    assert all(p["hr_bpm"] is None and p["hr_reason"] == "no_finger" for p in bare)
