"""`glimmer sim`: the whole daemon against simulated hardware and a simulated person.

The person's fingertip feeds a register-accurate virtual MAX30102 on a virtual I2C bus; the LED ring's
SPI bytes are decoded back into colours, which the person sees and breathes with; the sound goes to
the speakers when they can play in real time, otherwise to a WAV file. One seed makes one person and
one run: the same seed gives the same numbers at any speed.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from gpiozero.pins.mock import MockFactory, MockPWMPin

from device.app import GlimmerDevice, Hardware, build_device
from device.clock import SimClock
from device.config import Config
from device.errors import AudioUnavailable
from device.publish import JsonLinesPublisher, Publisher, RecordingPublisher
from drivers.speaker import AudioOutput, PyAudioOutput
from sim.audio_sink import WavAudioOutput
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import VirtualMax30102
from sim.person import PersonParams, SimulatedPerson
from sim.spi_ring import SpiRingSink
from sim.view import TerminalView

log = logging.getLogger(__name__)

VIEW_PERIOD_S = 0.1  # real seconds between redraws of the live view


@dataclass
class SimWorld:
    """The simulated hardware and person behind one device."""

    clock: SimClock
    person: SimulatedPerson
    chip: VirtualMax30102
    bus: VirtualI2CBus
    ring: SpiRingSink
    pins: MockFactory
    audio: AudioOutput
    hardware: Hardware
    led_kind: str
    pwm_gpio: int
    gamma: float

    def seen_level(self) -> float:
        """Mean perceived brightness 0..1 of what the device shows right now (ring or plain LED)."""
        if self.led_kind == "spi":
            return self.ring.mean_brightness(perceived=True)
        if self.led_kind == "pwm":  # the PWM duty cycle gpiozero's mock pin holds, gamma undone
            return float(self.pins.pin(self.pwm_gpio).state) ** (1.0 / self.gamma)
        return 0.0


def _wall_clock(clock: SimClock, start: datetime) -> Callable[[], datetime]:
    return lambda: start + timedelta(seconds=clock.now_s())


def build_sim_world(config: Config, speed: float = math.inf, wav_path: Path | None = None,
                    prefer_speakers: bool = False, start_wall: datetime | None = None) -> SimWorld:
    """Simulated hardware for `config`. Sound: speakers only if asked, at real-time speed, and playable."""
    clock = SimClock(speed=speed)
    sim = config.sim
    # The seed draws the person's physiology; the config pins what a user chose to set.
    params = PersonParams.from_seed(sim.seed, natural_breath_rate_bpm=sim.natural_breath_rate_bpm,
                                    resonance_rate_bpm=sim.resonance_rate_bpm, compliance=sim.compliance,
                                    finger_on_at_s=sim.finger_on_at_s)
    person = SimulatedPerson(params, seed=sim.seed)
    chip = VirtualMax30102(person, clock, seed=sim.seed)
    bus = VirtualI2CBus(config.sensor.i2c_bus)
    bus.attach(config.sensor.i2c_address, chip)
    ring = SpiRingSink(clock, order=config.led.color_order, gamma=config.led.gamma)
    pins = MockFactory(pin_class=MockPWMPin)
    audio: AudioOutput | None = None
    if prefer_speakers and speed == 1.0 and config.audio.enabled:
        try:
            audio = PyAudioOutput(config.audio.device_name or None, config.audio.sample_rate_hz,
                                  config.audio.frames_per_buffer, clock)
        except AudioUnavailable as exc:
            log.info("no speakers (%s)", exc)
    if audio is None:
        path = wav_path or Path(config.sim.wav_path)
        # Blocks of the size the device asks PortAudio for, so the hum is rendered as on the device.
        audio = WavAudioOutput(path, config.audio.sample_rate_hz, clock, block_frames=config.audio.frames_per_buffer)
        log.info("sound goes to %s", path.resolve())
    hardware = Hardware(
        clock=clock,
        i2c_bus_factory=bus.open,
        spi=ring if config.led.kind == "spi" else None,
        audio=audio,
        pin_factory=pins,
        wall_clock=_wall_clock(clock, start_wall or datetime.now()),
    )
    world = SimWorld(clock, person, chip, bus, ring, pins, audio, hardware, config.led.kind, config.led.pwm_gpio,
                     config.led.gamma)
    # The person sees the light the device actually drives, decoded from the SPI bytes.
    hardware.on_frame.append(lambda t_s: person.see_light(t_s, world.seen_level()))
    return world


def format_summary(summary: dict[str, Any] | None, payloads: list[dict[str, Any]], audio_name: str) -> str:
    """The end-of-run summary in plain words."""
    lines = ["", "Glimmer simulation summary"]
    if summary is None:
        lines.append("  no session was held")
    else:
        for key, value in summary.items():
            lines.append(f"  {key:<22} {value}")
    coherence = [(p["t_s"], p["coherence_ratio"]) for p in payloads if p.get("coherence_ratio") is not None]
    if coherence:
        t = np.array([c[0] for c in coherence])
        c = np.array([c[1] for c in coherence])
        first = c[t <= t[0] + 120.0]
        last = c[t >= t[-1] - 120.0]
        lines.append(f"  {'coherence first 2 min':<22} {np.mean(first):.2f}")
        lines.append(f"  {'coherence last 2 min':<22} {np.mean(last):.2f}")
    lines.append(f"  {'sound':<22} {audio_name}")
    return "\n".join(lines)


def run_sim(config: Config, speed: float, minutes: float | None, json_lines: bool, wav_path: Path | None,
            stop_on_signals: Callable[[Callable[[], None]], AbstractContextManager[None]],
            out: TextIO | None = None, start_wall: datetime | None = None) -> int:
    """Run the simulated device until `minutes` of simulated time or a signal; print the summary."""
    out = out or sys.stdout
    world = build_sim_world(config, speed=speed, wav_path=wav_path, prefer_speakers=wav_path is None,
                            start_wall=start_wall)
    collect = RecordingPublisher()
    publishers: list[Publisher] = [collect]
    if json_lines:
        publishers.append(JsonLinesPublisher(out))
    glimmer: GlimmerDevice = build_device(config, world.hardware, publishers)
    if not json_lines and math.isfinite(speed):
        view = TerminalView(out, glimmer, world.ring.latest, period_s=VIEW_PERIOD_S * speed)
        world.hardware.on_frame.append(view.on_frame)
    until_s = math.inf if minutes is None else minutes * 60.0
    summary = None
    with stop_on_signals(glimmer.stop):
        try:
            glimmer.run(until_s=until_s)
        finally:
            summary = glimmer.close() or glimmer.session.last_summary
    if not json_lines:
        out.write(format_summary(summary, collect.kept_payloads(), world.audio.name) + "\n")
        out.flush()
    return 0
