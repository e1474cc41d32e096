"""Motion through the device's own path (issue 7, fault 2, as the issue measured it): the virtual MAX30102's
motion knob -> driver -> PulseSensor -> SensorChannel (PulsePipeline -> HrvTracker, device/sensor_channel.py),
read every 0.1 s on the simulated clock as the main loop does. The pulse train beats at 67/min with no
variability, so any RMSSD over a few ms is false.
"""

from __future__ import annotations

import pytest

from device.clock import SimClock
from device.sensor_channel import NO_RECENT_BEATS, SensorChannel
from device.signal.hrv import MOTION
from drivers.max30102 import Max30102Settings
from drivers.pulse_sensor import PulseSensor
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102

RATE_BPM = 67.0
START_S = 30.0
AFTER_S = 25.0


def shown(fs_hz: int, size: float, length_s: float) -> list[tuple[float, float | None, str | None, float | None]]:
    """(time s, hr_bpm, hr_reason, rmssd_ms) as the device shows them, every 0.1 s from the motion's start."""
    clock = SimClock()
    optics = PulseTrainOptics(rate_bpm=RATE_BPM, motion_s=((START_S, START_S + length_s),), motion=size)
    chip = VirtualMax30102(optics, clock, seed=1)
    bus = VirtualI2CBus(1)
    bus.attach(0x57, chip)
    channel = SensorChannel("A", PulseSensor(bus.open, Max30102Settings(sample_rate_hz=fs_hz), clock), float(fs_hz))
    out = []
    t = 0.0
    while t < START_S + length_s + AFTER_S:
        t = round(t + 0.1, 9)
        clock.advance_to(t)
        channel.read()
        if t >= START_S:
            m = channel.current_metrics(clock.now_s(), settling=False)
            out.append((t, m.hr_bpm, m.hr_reason, m.rmssd_ms))
    channel.close()
    return out


@pytest.mark.parametrize(("fs_hz", "size", "length_s"), [
    (50, 3.0, 30.0),  # the knob's default size: main read 97/min for 49 s of this
    (25, 3.0, 60.0), (100, 3.0, 5.0), (50, 1.0, 30.0), (100, 1.0, 1.0), (25, 0.5, 15.0),
])
def test_the_chips_motion_gives_the_right_heart_rate_or_a_reasoned_null(fs_hz: int, size: float,
                                                                        length_s: float) -> None:
    readings = shown(fs_hz, size, length_s)
    for t, hr, reason, rmssd in readings:
        if hr is None:
            assert reason in (MOTION, NO_RECENT_BEATS), (t, reason)
        else:
            assert hr == pytest.approx(RATE_BPM, abs=5.0), t
        if rmssd is not None:
            assert rmssd < 10.0, (t, rmssd)
    stop_s = START_S + length_s
    # back within 10 s of the hand coming to rest (a pulse lost to a minute of motion is locked again first)
    after = [hr for t, hr, _, _ in readings if t >= stop_s + 10.0]
    assert after and all(hr is not None for hr in after)
