"""`glimmer sim`: the whole daemon against simulated hardware and a simulated person.

The person's fingertip feeds a register-accurate virtual MAX30102 on a virtual I2C bus; the LED ring's
SPI bytes are decoded back into colours, which the person sees and breathes with. Sound is made only
when asked (`--wav PATH`) or for the live view: to the speakers when they can play in real time,
otherwise to a WAV file in the state directory, which the view names. One seed makes one person and
one run: the same seed gives the same numbers at any speed.

Together mode (`sim.people = 2`, `glimmer sim --people 2`): a second person, the partner, with their own
seed (`sim.partner_seed`, default the seed + 1, or the seed - 1 at the largest seed, 2**31 - 1: their own
physiology, breathing noise and sensor noise) and their own pinned rates, compliance and finger-on time
(`sim.partner_*`), rests a fingertip on their own virtual MAX30102, which the device reads as sensor B
(`Hardware.second_i2c_bus_factory`). One person on a two-sensor layout (`sensor.layout` "mux" or
"two_buses") finds sensor B present with no finger on it, as on a real two-sensor device used alone. Both
people see the whole ring (the same decoded frames) and each follows the breath they see, with their own
reaction lag and lapses. `sim.unpaced` (`--unpaced`) hides the light from everyone: the device paces as
usual, but the people breathe at their own rates (the control that shows the light, not the script, makes
the difference).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
from gpiozero.pins.mock import MockFactory, MockPWMPin
from numpy.typing import NDArray

from device.app import GlimmerDevice, Hardware, build_device
from device.clock import SimClock
from device.config import Config, SensorConfig, SimConfig
from device.errors import AudioUnavailable, ConfigError
from device.home.household import Household
from device.paths import writable_file_problem
from device.publish import JsonLinesPublisher, Publisher, RecordingPublisher
from drivers.speaker import AudioOutput, NullAudioOutput, PyAudioOutput
from sim.audio_sink import WavAudioOutput
from sim.i2c_bus import VirtualI2CBus
from sim.keys import HELP as KEYS_HELP
from sim.keys import KeyPresser, TerminalKeys
from sim.max30102 import VirtualMax30102
from sim.optics import NoFingerOptics
from sim.person import PersonParams, SimulatedPerson
from sim.sensor_layout import SimSensorBuses, build_sim_sensor_buses
from sim.spi_ring import SpiRingSink
from sim.summary import TogetherSeeds, format_summary, sim_summary
from sim.view import PlainLinesPublisher, TerminalView

log = logging.getLogger(__name__)

VIEW_PERIOD_S = 0.1  # real seconds between redraws of the live view
VIEW_AVERAGE_S = 0.2  # the view draws the ring's mean over this much time, as an eye averages dithering
SIM_WAV_NAME = "glimmer-sim.wav"


def state_dir() -> Path:
    """Where the simulator keeps what it writes: $XDG_STATE_HOME/glimmer (default
    ~/.local/state/glimmer), or a per-user directory under the system's temporary directory when
    that cannot be made."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    for candidate in (Path(base) / "glimmer", Path(tempfile.gettempdir()) / f"glimmer-{os.getuid()}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        return candidate
    raise OSError("no writable state or temporary directory for the simulator's sound")


def sim_wav_path(config: Config) -> Path:
    """The WAV file for the sound when no speakers play it: `sim.wav_path`, or the state directory."""
    return Path(config.sim.wav_path) if config.sim.wav_path else state_dir() / SIM_WAV_NAME


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
    partner: SimulatedPerson | None = None  # together mode: the second person, on sensor B
    # Sensor B's chip: the partner's, or on a two-sensor layout with one person a chip nobody touches
    partner_chip: VirtualMax30102 | None = None
    sensors: SimSensorBuses | None = None  # every virtual bus (and the virtual TCA9548A of "mux")
    unpaced: bool = False  # the light is hidden from the people

    @property
    def people(self) -> list[SimulatedPerson]:
        """The simulated people: the one on sensor A, then the partner on sensor B (together mode)."""
        return [self.person] if self.partner is None else [self.person, self.partner]

    def show_light(self, t_s: float) -> None:
        """Each person sees the whole ring (its mean perceived brightness) at clock time t_s, unless the
        light is hidden from them (the unpaced control)."""
        if self.unpaced:
            return
        level = self.seen_level(t_s)
        for person in self.people:
            person.see_light(t_s, level)

    def seen_level(self, t_s: float | None = None) -> float:
        """Mean perceived brightness 0..1 of what the device shows at clock time `t_s` (default now; the
        ring's frames of a paced write may lie a little ahead of the clock) or, for the plain LED, now."""
        if self.led_kind == "spi":
            return self.ring.mean_brightness(perceived=True, at_s=t_s)
        if self.led_kind == "pwm":  # the PWM duty cycle gpiozero's mock pin holds, gamma undone
            return float(self.pins.pin(self.pwm_gpio).state) ** (1.0 / self.gamma)
        return 0.0


SEED_MAX = 2**31 - 1  # the largest seed `sim.seed` and `sim.partner_seed` accept (device/config.py)


def partner_seed(sim: SimConfig) -> int:
    """The partner's seed: `sim.partner_seed` when set (>= 0), else (-1, the default) the person's seed + 1,
    or the seed - 1 when the seed is the largest one (2**31 - 1): always a valid seed other than the person's,
    and the same one for the same seed."""
    if sim.partner_seed >= 0:
        return sim.partner_seed
    return sim.seed + 1 if sim.seed < SEED_MAX else sim.seed - 1


def sim_sensor_config(config: Config) -> SensorConfig:
    """The sensors' places in the simulator: `config.sensor`, except that two people on a "single" layout
    get the "two_buses" one (the simulated Pi has a second bus, `sensor.second_i2c_bus`; a real device with two
    sensors says where its second one is)."""
    sensor = config.sensor
    if config.sim.people == 2 and sensor.layout == "single":
        second = sensor.second_i2c_bus if sensor.second_i2c_bus != sensor.i2c_bus else (sensor.i2c_bus + 1) % 256
        return dataclasses.replace(sensor, layout="two_buses", second_i2c_bus=second)
    return sensor


def partner_params(sim: SimConfig) -> PersonParams:
    """The partner drawn from their own seed, with the rates, compliance and finger time the config pins."""
    return PersonParams.from_seed(partner_seed(sim),
                                  natural_breath_rate_per_min=sim.partner_natural_breath_rate_per_min,
                                  resonance_rate_per_min=sim.partner_resonance_rate_per_min,
                                  compliance=sim.partner_compliance, finger_on_at_s=sim.partner_finger_on_at_s)


def _wall_clock(clock: SimClock, start: datetime) -> Callable[[], datetime]:
    return lambda: start + timedelta(seconds=clock.now_s())


def build_sim_world(config: Config, speed: float = math.inf, wav_path: Path | None = None,
                    prefer_speakers: bool = False, start_wall: datetime | None = None,
                    silent: bool = False, stamp_clock: Callable[[], datetime] = datetime.now) -> SimWorld:
    """Simulated hardware for `config`.

    Sound: to `wav_path` when given; else, with `prefer_speakers` (the live view), to the speakers
    when they exist and the run is in real time, otherwise to `sim_wav_path(config)` (logged); else
    nowhere (`--json` runs and tests write no sound unless asked). `silent` renders no sound at all, even
    when asked (the person only sees the light; saves the hum's cost).

    Two wall clocks: the simulated one (`start_wall`, default now, advancing with the simulated time) drives
    the night schedule; `stamp_clock` (default the real one) stamps what the household store keeps, so a
    session simulated at --speed N is stored when it really ran, never in the future (docs/storage.md).
    """
    clock = SimClock(speed=speed)
    sim = config.sim
    # The seed draws the person's physiology; the config pins what a user chose to set.
    params = PersonParams.from_seed(sim.seed, natural_breath_rate_per_min=sim.natural_breath_rate_per_min,
                                    resonance_rate_per_min=sim.resonance_rate_per_min, compliance=sim.compliance,
                                    finger_on_at_s=sim.finger_on_at_s)
    person = SimulatedPerson(params, seed=sim.seed)
    chip = VirtualMax30102(person, clock, seed=sim.seed)
    partner: SimulatedPerson | None = None
    partner_chip: VirtualMax30102 | None = None
    sensor_cfg = sim_sensor_config(config)
    if sim.people == 2:  # the partner, on their own chip: sensor B
        seed_b = partner_seed(sim)
        partner = SimulatedPerson(partner_params(sim), seed=seed_b)
        partner_chip = VirtualMax30102(partner, clock, seed=seed_b)
    elif sensor_cfg.layout != "single":  # a two-sensor device used by one person: sensor B is there, untouched
        partner_chip = VirtualMax30102(NoFingerOptics(), clock, seed=partner_seed(sim))
    # The device's own wiring of the sensors (drivers/sensor_layout.py) on virtual buses.
    sensors = build_sim_sensor_buses(sensor_cfg, chip, partner_chip, clock)
    bus = sensors.buses[config.sensor.i2c_bus]
    ring = SpiRingSink(clock, order=config.led.color_order, gamma=config.led.gamma)
    pins = MockFactory(pin_class=MockPWMPin)
    audio: AudioOutput | None = None
    rate_hz = config.audio.sample_rate_hz
    if silent:
        wav_path, prefer_speakers = None, False
    if wav_path is None and prefer_speakers and speed == 1.0 and config.audio.enabled:
        try:
            audio = PyAudioOutput(config.audio.device_name or None, rate_hz, config.audio.frames_per_buffer, clock)
        except AudioUnavailable as exc:
            log.info("no speakers (%s)", exc)
    if audio is None and (wav_path is not None or (prefer_speakers and config.audio.enabled)):
        path = wav_path if wav_path is not None else sim_wav_path(config)
        # Blocks of the size the device asks PortAudio for, so the hum is rendered as on the device.
        audio = WavAudioOutput(path, rate_hz, clock, block_frames=config.audio.frames_per_buffer)
        log.info("sound goes to %s%s", path.resolve(), "" if wav_path else " (replacing the last run's)")
    if audio is None:
        audio = NullAudioOutput(rate_hz)
    hardware = Hardware(
        clock=clock,
        i2c_bus_factory=sensors.factory_a,
        spi=ring if config.led.kind == "spi" else None,
        audio=audio,
        pin_factory=pins,
        wall_clock=_wall_clock(clock, start_wall or datetime.now()),
        stamp_clock=stamp_clock,
        second_i2c_bus_factory=sensors.factory_b,
        sensor_places=sensor_cfg,
    )
    world = SimWorld(clock, person, chip, bus, ring, pins, audio, hardware, config.led.kind, config.led.pwm_gpio,
                     config.led.gamma, partner=partner, partner_chip=partner_chip, sensors=sensors,
                     unpaced=sim.unpaced)
    # The people see the light the device actually drives, decoded from the SPI bytes.
    hardware.on_frame.append(world.show_light)
    return world


def run_sim(config: Config, speed: float, minutes: float | None, json_lines: bool, wav_path: Path | None,
            stop_on_signals: Callable[[Callable[[], None]], AbstractContextManager[None]],
            out: TextIO | None = None, start_wall: datetime | None = None,
            household: Household | None = None) -> int:
    """Run the simulated device until `minutes` of simulated time or a signal; print the summary.
    With a household, its active person's settings are in force and their session is stored."""
    out = out or sys.stdout
    if household is not None:
        config = household.config_for(household.active)
    # A run someone follows as it goes (not --json, not --speed max): it has sound, and on a terminal
    # the live view; into a file or a pipe it prints plain lines instead (no escape codes).
    watched = not json_lines and math.isfinite(speed)
    live_view = watched and _is_terminal(out)
    if watched and wav_path is None and config.sim.wav_path:
        problem = writable_file_problem(Path(config.sim.wav_path))
        if problem is not None:
            raise ConfigError([f"sim.wav_path: cannot write {config.sim.wav_path!r}: {problem}"])
    # Sound only when asked (--wav), or for a watched run: its speakers, else a WAV file it names.
    world = build_sim_world(config, speed=speed, wav_path=wav_path, prefer_speakers=watched,
                            start_wall=start_wall)
    collect = RecordingPublisher()
    publishers: list[Publisher] = [collect]
    stop: list[Callable[[], None]] = []
    json_out: JsonLinesPublisher | None = None
    plain_out: PlainLinesPublisher | None = None
    if json_lines:
        json_out = JsonLinesPublisher(out, on_reader_gone=lambda: stop[0]())
        publishers.append(json_out)
    elif watched and not live_view:
        plain_out = PlainLinesPublisher(out, on_reader_gone=lambda: stop[0](), together=config.sim.people == 2)
        publishers.append(plain_out)
    try:
        glimmer: GlimmerDevice = build_device(config, world.hardware, publishers)
    except Exception:  # e.g. an unreadable MQTT password file: close the sound file before saying so
        world.audio.fade_out_and_stop(0.0)
        raise
    stop.append(glimmer.stop)
    if household is not None:
        household.attach(glimmer, world.hardware.stamp_clock())
    view: TerminalView | None = None
    keys: TerminalKeys | None = None
    if live_view:
        def ring() -> NDArray[np.float64] | None:
            return world.ring.mean_drive(VIEW_AVERAGE_S)

        view = TerminalView(out, glimmer, ring, period_s=VIEW_PERIOD_S * speed,
                            capture_logs=_is_terminal(sys.stderr))
        world.hardware.on_frame.append(view.on_frame)
        presser = KeyPresser(world.pins, config)
        world.hardware.on_frame.append(presser.on_frame)
        keys = TerminalKeys(presser)
        if sys.stdin.isatty():
            print(KEYS_HELP, file=sys.stderr)
    until_s = math.inf if minutes is None else minutes * 60.0
    summary = None
    try:
        with stop_on_signals(glimmer.stop):
            try:
                glimmer.run(until_s=until_s)
            finally:
                if keys is not None:
                    keys.close()
                summary = glimmer.close() or glimmer.session.last_summary
    finally:
        if view is not None:
            view.close()
    payloads = collect.kept_payloads()
    together = TogetherSeeds(config.sim.seed, partner_seed(config.sim)) if world.partner is not None else None
    if json_out is not None:
        if not json_out.reader_gone:
            json_out.write_object(sim_summary(payloads, config.sim.seed, world.clock.now_s(), together=together,
                                              unpaced=world.unpaced))
    elif plain_out is None or not plain_out.reader_gone:
        out.write(format_summary(summary, payloads, world.audio.name, together, world.unpaced) + "\n")
        out.flush()
    return 0


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
