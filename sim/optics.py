"""What the virtual pulse sensor sees through a fingertip, as an interface.

The simulated person (sim/person.py) implements `FingerOptics`; the register-accurate virtual
MAX30102 (sim/max30102.py) samples it at its own sample times and turns it into ADC counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class OpticalSamples:
    """Per-sample optical state at the requested times.

    blood_volume: pulsatile arterial blood volume, unitless, roughly 0..1 per beat (systolic peak = high).
        More blood absorbs more light, so the sensor's counts dip on each beat.
    finger_on: True where a fingertip covers the sensor.
    motion: additive disturbance in the same units as blood_volume (motion artifacts), 0 when still.
    """

    blood_volume: NDArray[np.float64]
    finger_on: NDArray[np.bool_]
    motion: NDArray[np.float64]


class NoFingerOptics:
    """A sensor nobody touches: no fingertip at any time (only the chip's leakage and ambient light come
    back). Sensor B of a two-sensor device used by one person (sim/world.py)."""

    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        zeros = np.zeros(t_s.shape, dtype=np.float64)
        return OpticalSamples(blood_volume=zeros, finger_on=np.zeros(t_s.shape, dtype=np.bool_), motion=zeros.copy())


class FingerOptics(Protocol):
    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        """Optical state at increasing simulated times t_s (seconds on the device clock).

        Successive calls ask for later times; an implementation may simulate forward lazily.
        """
        ...
