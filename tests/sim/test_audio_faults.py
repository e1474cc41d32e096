"""The speaker missing at start, or failing mid-session: the light goes on alone and the sound comes back
when the device does (drivers/speaker_recovery.py), on the fast clock. PortAudio is played by the driver
tests' stand-in (its device list, and a stream whose callback the frame hook pumps as PortAudio's thread
would); everything else is the simulator's."""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pytest

from device.app import build_device
from device.config import load_config
from drivers.speaker import AudioOutput, PyAudioOutput
from drivers.speaker_recovery import RETRY_MAX_S, RecoveringAudio
from sim.world import build_sim_world
from tests.drivers.test_speaker import DEVICES, FakePortAudio, FakeStream

NOON = datetime(2026, 6, 1, 12, 0)


class Speaker:
    """A USB speaker that can be plugged in and out; `played` holds (clock time, peak) of each block."""

    def __init__(self, clock: object) -> None:
        self.present = False
        self.clock = clock
        self.stream: FakeStream | None = None
        self.played: list[tuple[float, float]] = []

    def open(self, rate_hz: int, clock: object) -> AudioOutput:
        pa = FakePortAudio(DEVICES if self.present else [], rates=(rate_hz,))
        out = PyAudioOutput(None, rate_hz, 512, clock, portaudio=pa)  # type: ignore[arg-type]
        original = pa.open

        def open_stream(**kwargs: object) -> FakeStream:
            self.stream = original(**kwargs)
            return self.stream

        pa.open = open_stream  # type: ignore[method-assign]
        return out

    def unplug(self) -> None:
        self.present = False
        if self.stream is not None:
            self.stream.active = False  # PortAudio calls back no more

    def pump(self, t_s: float) -> None:
        stream = self.stream
        if stream is not None and stream.active:
            n = len(stream.played)
            stream.pump(1)
            self.played += [(t_s, float(np.max(np.abs(b)))) for b in stream.played[n:]]


def test_sound_missing_at_start_and_lost_mid_session_comes_back_and_the_light_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(overrides={"night": {"enabled": False}})
    world = build_sim_world(config, silent=True, start_wall=NOON)
    speaker = Speaker(world.clock)
    rate = config.audio.sample_rate_hz
    audio = RecoveringAudio(lambda: speaker.open(rate, world.clock), world.clock, rate)
    world.hardware.audio = audio
    world.hardware.on_frame.append(speaker.pump)
    glimmer = build_device(config, world.hardware)
    caplog.set_level(logging.WARNING)
    glimmer.run(until_s=60.0)
    assert audio.current is None and speaker.played == []  # no speaker: no sound...
    assert world.ring.mean_brightness() > 0.0  # ...and the light paces alone
    speaker.present = True
    glimmer.run(until_s=60.0 + RETRY_MAX_S)
    assert audio.current is not None
    first_back = speaker.played[0][0]
    assert 60.0 <= first_back <= 60.0 + RETRY_MAX_S
    assert max(peak for _, peak in speaker.played) > 0.01  # the hum of the session
    speaker.unplug()
    unplugged_at = glimmer.clock.now_s()
    glimmer.run(until_s=unplugged_at + 50.0)
    assert audio.current is None and world.ring.mean_brightness() > 0.0
    heard = len(speaker.played)
    speaker.present = True
    glimmer.run(until_s=unplugged_at + 50.0 + RETRY_MAX_S + 10.0)
    back = [(t, peak) for t, peak in speaker.played[heard:]]
    assert back and back[0][0] <= unplugged_at + 50.0 + RETRY_MAX_S and max(p for _, p in back) > 0.01
    assert audio.outages == 2 and audio.opened == 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "drivers.speaker_recovery"]
    assert len([w for w in warnings if w.startswith("no sound")]) == 2  # once per outage, not per retry
    assert len([w for w in warnings if w.startswith("sound is back")]) == 2
    glimmer.close()
