"""The device's paced LED writes (led.paced_writes): the light a person sees is the light of one write a
frame, frame for frame and at the same times, for a fraction of the main loop's wake-ups."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

import device.app
from device.app import Hardware
from device.clock import SimClock
from device.config import frames_per_write, load_config
from device.errors import ConfigError
from sim.audio_sink import WavAudioOutput
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from sim.spi_ring import SpiRingSink


def _run(tmp_path: Path, paced: bool, read_ms: int, until_s: float,
         ) -> tuple[SpiRingSink, device.app.GlimmerDevice, list[float]]:
    """A session on a pulse train (no simulated person, so nothing the light does feeds back): the ring's
    frames, the device, and the times the frame hooks were called with."""
    config = load_config(None).replace("led", paced_writes=paced).replace("sensor", read_period_ms=read_ms)
    clock = SimClock(speed=math.inf)
    bus = VirtualI2CBus(config.sensor.i2c_bus)
    bus.attach(config.sensor.i2c_address, VirtualMax30102(PulseTrainOptics(rate_bpm=66.0), clock, seed=1))
    ring = SpiRingSink(clock, order=config.led.color_order, gamma=config.led.gamma, keep_frames=10**5)
    audio = WavAudioOutput(tmp_path / f"{paced}-{read_ms}.wav", config.audio.sample_rate_hz, clock,
                           block_frames=config.audio.frames_per_buffer)
    hooked: list[float] = []
    hardware = Hardware(clock=clock, i2c_bus_factory=bus.open, spi=ring, audio=audio, on_frame=[hooked.append],
                        pin_factory=MockFactory())
    glimmer = device.app.build_device(config, hardware)
    clock.wait_until(0.0371, glimmer.stop_event)  # the loop's first deadline off every grid, as on a real clock
    glimmer.run(until_s=until_s)
    return ring, glimmer, hooked


@pytest.mark.parametrize("read_ms, per_write", [(100, 5), (200, 10)])
def test_paced_writes_show_the_same_light_at_the_same_times_with_fewer_wakeups(
        tmp_path: Path, read_ms: int, per_write: int) -> None:
    """A write holds the frames of one sensor read (5 or 10 at 50 frames/s): the same frames as one write a
    frame, at the same times, and the loop wakes for the reads only."""
    until_s = 90.0  # settling, then pacing: a breathing light on a dim ring, dithered
    one, device_one, _ = _run(tmp_path, False, read_ms, until_s)
    paced, device_paced, hooked_paced = _run(tmp_path, True, read_ms, until_s)
    assert device_paced.session.phase.value == device_one.session.phase.value == "pacing"
    frames_one = [(round(t, 6), rgb.tobytes()) for t, rgb in one.frames if t <= until_s]
    frames_paced = [(round(t, 6), rgb.tobytes()) for t, rgb in paced.frames if t <= until_s]
    assert len(frames_one) > 1000
    assert frames_paced == frames_one  # every frame, dither and all, at its own time
    assert device_paced.frames_shown == pytest.approx(device_one.frames_shown, abs=per_write)
    # The simulator's hooks (the person seeing the light) still see every frame time, in order.
    assert hooked_paced == sorted(hooked_paced)
    assert {t for t, _ in frames_paced} <= {round(t, 6) for t in hooked_paced}
    # The loop wakes for the sensor's reads, not for each 20 ms frame.
    paced_rate, one_rate = device_paced.wakeups / until_s, device_one.wakeups / until_s
    assert one_rate > 45 and paced_rate < 1000 / read_ms + 1
    device_one.close()
    device_paced.close()
    assert not paced.latest().any()  # type: ignore[union-attr]  # the ring is left dark


@pytest.mark.parametrize("fps, read_ms, expected", [(50.0, 100, 5), (100.0, 100, 10), (10.0, 100, 1), (30.0, 100, 3),
                                                    (50.0, 200, 10), (25.0, 200, 5)])
def test_a_paced_write_holds_one_read_period_of_frames(fps: float, read_ms: int, expected: int) -> None:
    config = load_config(None).replace("led", paced_writes=False).replace("sensor", read_period_ms=read_ms)
    config = config.replace("led", frame_rate_hz=fps, paced_writes=True)
    assert frames_per_write(config) == expected
    assert frames_per_write(config.replace("led", paced_writes=False)) == 1
    assert frames_per_write(config.replace("led", kind="pwm")) == 1


@pytest.mark.parametrize("fps, read_ms", [(25.0, 100), (45.0, 30), (99.0, 50)])
def test_paced_writes_refuse_a_read_period_holding_part_of_a_frame(fps: float, read_ms: int) -> None:
    config = load_config(None).replace("led", frame_rate_hz=fps, paced_writes=False)
    config = config.replace("sensor", read_period_ms=read_ms)
    assert frames_per_write(config) == 1
    with pytest.raises(ConfigError, match=r"led\.paced_writes: .* whole number of frames"):
        config.replace("led", paced_writes=True)
