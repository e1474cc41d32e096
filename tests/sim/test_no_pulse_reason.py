"""Something covers the sensor but has no pulse in it (a knuckle, a sleeve, a finger still being placed): the
heart figures are null with the reason `no_pulse`, not `no_finger` (a fresh-clone tester found a covered
sensor reported as having no finger); an uncovered sensor still says `no_finger`. The virtual MAX30102 sees
the optics given here, through the driver, as the device reads it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.optics import OpticalSamples
from tests.sim.device_path import device_payloads


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
    return device_payloads(optics, until_s)


def test_a_covered_sensor_with_no_pulse_says_no_pulse_and_an_uncovered_one_no_finger() -> None:
    payloads = _payloads(CoveredWithoutPulse(on_s=2.0, off_s=60.0, drift=0.3), until_s=90.0)
    covered = [p for p in payloads if 5.0 <= p["t_s"] < 59.0]
    bare = [p for p in payloads if p["t_s"] >= 63.0]
    assert covered and bare
    assert all(p["hr_bpm"] is None and p["hr_reason"] == "no_pulse" and p["hrv_reason"] == "no_pulse"
               for p in covered)
    assert all(p["finger_on"] is False and p["session_state"] == "idle" for p in covered)
    assert all(p["hr_bpm"] is None and p["hr_reason"] == "no_finger" for p in bare)
