"""The composition root: one function builds the running device from a config and its hardware.

Every piece of hardware comes in as an object (`Hardware`): an smbus2-compatible I2C bus factory, an
SPI writer, an audio output, a gpiozero pin factory and a clock. `glimmer run` builds real ones
(device/hardware.py), `glimmer sim` the simulator's (sim/world.py), tests their own.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from device.config import Config, frames_per_write
from device.errors import CommandRejected, OutputError
from device.home.commands import Command
from device.home.messages import DeviceState, Person, glimmer_event
from device.loop import Scheduler, Task
from device.memory import release_memory
from device.pacing.assessment import AssessmentPlan, ResonanceAssessment
from device.pacing.guide import PacerGuide
from device.pacing.session import PartnerInput, Phase, Session, in_night
from device.payload import NOT_TOGETHER, DeviceStatus, TogetherStatus, metrics_payload
from device.publish import Publisher
from device.sensor_channel import SensorChannel
from device.signal.hrv import HrvMetrics, HrvTracker
from device.signal.pulse import PulsePipeline
from device.signal.synchrony import SYNCHRONY_WINDOW_S, WINDOW_NOT_COVERED, Synchrony, synchrony_of_tachograms
from drivers.buttons import Press, PressButton
from drivers.led_ring import EncodedFrames, LedOutput, PwmLed, SpiLedRing, SpiWriter
from drivers.max30102 import Max30102Settings
from drivers.pulse_sensor import PulseSensor, SensorReading
from drivers.sensor_layout import SensorPlaces, sensor_bus_numbers, sensor_places
from drivers.speaker import AudioOutput
from patterns.hum import hum_block
from patterns.led import led_frames
from patterns.state import PatternState

if TYPE_CHECKING:  # paho-mqtt (and what it pulls in) is imported only when a broker is set
    from device.home.mqtt import MqttLink

log = logging.getLogger(__name__)

SESSION_TICK_S = 1.0  # seconds between session state-machine steps
BUTTON_POLL_S = 0.05  # seconds between looks at the buttons' queued presses
COLOUR_FLASH_S = 2.0  # the ring shows a chosen person's colour this long
PROGRESS_LEVEL = 0.35  # assessment progress marks on the ring: this much of a warm white
AUDIO_FADE_S = 0.5  # fade of the sound at shutdown (well inside the 2 s budget)
# The MQTT link is polled (events from paho's network thread, commands, sending) on the sensor's grid,
# before the frame task due with it, so it adds no wake-up of its own: a command is acted on within one read period
# (400 ms by default) in a session, 200 ms idle; what the loop publishes is handed to paho at the same wake-up.
MQTT_POLL_S = 0.1
# LED frames rendered per call (0.5 s at 50 frames/s), while the pattern state holds: a batch costs
# mostly numpy's per-call overhead (10 frames 0.35 ms, 25 frames 0.42 ms here), and the state is
# swapped every few seconds in a session, so few rendered frames go unused.
FRAME_BATCH = 25
# While no sensor sees a finger, the chip only watches for one (drivers/max30102.py: 12.5 samples/s into
# its 32-sample FIFO, 2.56 s of them) and is drained once a second instead of every read_period_ms: a
# finger is noticed about a second later (the session then settles for 15 s anyway).
IDLE_READ_PERIOD_S = 1.0
# Idle, the buttons' presses, MQTT and the steady frame are still looked at every 200 ms: a press or a
# command is acted on as quickly as before; idle, the loop wakes 5 times a second, and reads once.
IDLE_INPUT_PERIOD_S = 0.2
# Together mode's synchrony_reason when one person's HRV is withheld (docs/metrics.md).
PERSON_HRV_WITHHELD = "person_hrv_withheld"
PARTNER_HRV_WITHHELD = "partner_hrv_withheld"


def dark_from(state: PatternState, t_s: float) -> bool:
    """True when `state` shows no moving light and plays no sound at t_s or after: its fade has ended
    at 0.

    Such a state renders one steady frame (the idle pilot light, patterns/led.py, or dark) and silent
    blocks until the session swaps in another state, so once that frame is shown the frame task need
    not run at the frame rate (see GlimmerDevice._render_frame)."""
    fade = state.fade
    return fade.to_level <= 0.0 and t_s >= fade.t0_s + max(fade.duration_s, 0.0)


@dataclass
class Hardware:
    """Everything the device touches outside the process."""

    clock: Clock
    i2c_bus_factory: Callable[[], Any]  # returns an smbus2-compatible bus; called again to recover
    spi: SpiWriter | None  # for led.kind = "spi"
    audio: AudioOutput
    pin_factory: Any = None  # gpiozero pin factory for led.kind = "pwm" (None: gpiozero's default)
    wall_clock: Callable[[], datetime] = datetime.now  # only for the night schedule and wall stamps
    # Real wall time for what the household store keeps (docs/storage.md): the simulator's wall_clock runs
    # at its speed from --at, but what is stored must never lie in the future nor overlap.
    stamp_clock: Callable[[], datetime] = datetime.now
    on_frame: list[Callable[[float], None]] = field(default_factory=list)  # sim hooks after each LED frame
    # spidev's block size (its bufsiz): a paced LED write keeps each frame inside one block. None: one block.
    spi_block_bytes: int | None = None
    # Sensor B, the partner's (together mode, issue 13): a factory like i2c_bus_factory for the second
    # MAX30102 (a multiplexer channel or a second bus, drivers/sensor_layout.py); None: one sensor.
    second_i2c_bus_factory: Callable[[], Any] | None = None
    # Where the factories put the sensors, for logs, when not where `config.sensor` says: the simulator's two
    # people on a "single" layout get a second bus (sim/world.py sim_sensor_config). None: config.sensor.
    sensor_places: SensorPlaces | None = None


def build_led(config: Config, hardware: Hardware) -> LedOutput | None:
    led = config.led
    if led.kind == "spi":
        if hardware.spi is None:
            raise ValueError("led.kind is 'spi' but no SPI writer was given")
        return SpiLedRing(hardware.spi, n_leds=led.count, order=led.color_order,
                          gamma=led.gamma, brightness_limit=led.max_brightness, block_bytes=hardware.spi_block_bytes)
    if led.kind == "pwm":
        return PwmLed(led.pwm_gpio, pin_factory=hardware.pin_factory,
                      gamma=led.gamma, brightness_limit=led.max_brightness)
    return None


def build_buttons(config: Config, hardware: Hardware) -> list[tuple[PressButton, str]]:
    """The wired buttons with what a short press does: the main one ("session"), and a second one if
    wired (`buttons.second_action`). No buttons (a warning) when the pins cannot be used."""
    b = config.buttons
    if not b.enabled:
        return []
    wired = [(b.main_gpio, "session", "main button")]
    if b.second_gpio >= 0:
        wired.append((b.second_gpio, b.second_action, "second button"))
    out: list[tuple[PressButton, str]] = []
    for gpio, action, name in wired:
        try:
            out.append((PressButton(gpio, hardware.clock, pin_factory=hardware.pin_factory,
                                    bounce_s=b.bounce_ms / 1000.0, long_press_s=b.long_press_s,
                                    very_long_press_s=b.very_long_press_s, name=name), action))
        except OutputError as exc:
            log.warning("no %s: %s", name, exc)
    return out


def build_sensor(config: Config, hardware: Hardware, second: bool = False) -> PulseSensor:
    """Sensor A on `hardware.i2c_bus_factory`, or (`second`) sensor B on `second_i2c_bus_factory`. Its logs
    name its place ("0x57 on channel 1 of the TCA9548A at 0x70 on bus 1") and, when the device has two
    sensors, which one it is ("sensor A", "sensor B")."""
    sensor = config.sensor
    settings = Max30102Settings(sample_rate_hz=sensor.sample_rate_hz, pulse_width_us=sensor.pulse_width_us,
                                adc_range_na=sensor.adc_range_na, red_led_current_ma=sensor.led_current_ma,
                                ir_led_current_ma=sensor.led_current_ma)
    factory = hardware.second_i2c_bus_factory if second else hardware.i2c_bus_factory
    if factory is None:
        raise ValueError("no second I2C bus factory: this device has one sensor")
    placed = hardware.sensor_places or sensor
    bus_a, bus_b = sensor_bus_numbers(placed)  # behind a TCA9548A both travel on i2c_bus
    bus_number = (bus_b if bus_b is not None else placed.i2c_bus) if second else bus_a
    place_a, place_b = sensor_places(placed)
    place = (place_b or f"bus {bus_number}") if second else place_a
    name = None if hardware.second_i2c_bus_factory is None else ("sensor B" if second else "sensor A")
    return PulseSensor(factory, settings, hardware.clock, address=sensor.i2c_address, bus_number=bus_number,
                       place=place, name=name)


class GlimmerDevice:
    """The running device: sensor -> pipeline -> HRV -> session -> patterns -> outputs and publishers."""

    def __init__(self, config: Config, hardware: Hardware, publishers: Sequence[Publisher] = (),
                 mqtt: MqttLink | None = None) -> None:
        self.config = config
        self.hardware = hardware
        self.clock = hardware.clock
        self.publishers = list(publishers)
        self.mqtt = mqtt
        # Seams for the household store (issue 10): who is at the device, and how a person is chosen by
        # name, None for a guest (raises CommandRejected for an unknown name). None: the device knows no
        # people yet.
        self.current_person: Person | None = None
        self.current_partner: Person | None = None  # who is on sensor B (together mode); None: a guest
        self.choose_person: Callable[[str | None], Person | None] | None = None
        self.known_people: Callable[[], list[Person]] = list  # offered by Home Assistant's person select
        self._glimmer_shown = False
        if mqtt is not None:
            mqtt.target = self
            mqtt.active_person = lambda: self.current_person
            mqtt.partner_person = lambda: self.current_partner
            mqtt.together = hardware.second_i2c_bus_factory is not None
            mqtt.people = lambda: self.known_people()
            self.publishers.append(mqtt)
        self.stop_event = threading.Event()
        self._closed = False
        self._started = False
        fs_hz = float(config.sensor.sample_rate_hz)
        self.session = Session(config, on_closed=self._publish_session)
        self.channel_a = SensorChannel("A", build_sensor(config, hardware), fs_hz)
        # Sensor B (together mode): the partner's fingertip, its own pipeline and HRV tracker.
        self.channel_b: SensorChannel | None = None
        if hardware.second_i2c_bus_factory is not None:
            self.channel_b = SensorChannel("B", build_sensor(config, hardware, second=True), fs_hz)
        self.led = build_led(config, hardware)
        self.audio = hardware.audio
        # Who is on which sensor (docs/together.md): the first finger is the active person's, the second the
        # partner's. Normally sensor A is the person's; a finger alone on sensor B opens the active person's
        # session on sensor B (the roles swap until the device is idle again).
        self.person_channel: SensorChannel = self.channel_a
        self.partner_channel: SensorChannel | None = self.channel_b
        self.metrics: HrvMetrics = self.channel_a.hrv.metrics()
        self.partner_metrics: HrvMetrics | None = None if self.channel_b is None else self.channel_b.hrv.metrics()
        self.synchrony: Synchrony = Synchrony.withheld(NOT_TOGETHER)
        self._synchrony_from: tuple[float, float] | None = None  # the figures' times it was computed from
        self._finger_off_since: dict[str, float | None] = {c.name: None for c in self.channels}
        self.last_payload: dict[str, Any] | None = None
        self.frames_shown = 0
        self._frame_period_s = 1.0 / config.led.frame_rate_hz
        # With led.paced_writes an SPI ring is sent the frames of one sensor read period at a time, paced by the
        # SPI clock (SpiLedRing.show_paced): the frame task then runs once a write, with the sensor's read.
        self._frames_per_write = frames_per_write(config) if isinstance(self.led, SpiLedRing) else 1
        self._write_period_s = self._frames_per_write * self._frame_period_s
        self._read_period_s = config.sensor.read_period_ms / 1000.0
        self._idle_read_period_s = max(IDLE_READ_PERIOD_S, self._read_period_s)
        self._dark_state: PatternState | None = None  # the static dark state last shown, if any
        # Frames rendered ahead for the coming deadlines, valid while the session keeps its state.
        self._batch_state: PatternState | None = None
        self._batch_times: list[float] = []
        self._batch_frames: NDArray[np.float64] = np.zeros((0, config.led.count, 3))
        self._batch_next = 0
        self._batch_encoded: EncodedFrames | None = None  # the SPI ring's bytes for the batch, from _batch_encoded_from
        self._batch_encoded_from = 0
        self._batch_marks = 0
        # Hooks for the household's recorder and the sim: called after each session step.
        self.on_session_tick: list[Callable[[float], None]] = []
        self.buttons = build_buttons(config, hardware)
        # What a long press does (the household sets it): step to the next person, return their colour.
        self.next_person: Callable[[], str | None] = lambda: None
        # The second button's "next_partner" (together mode): step who is on sensor B, return their colour.
        self.next_partner: Callable[[], str | None] = lambda: None
        # How the partner is chosen by name (None: a guest); the household sets it (raises CommandRejected).
        self.choose_partner: Callable[[str | None], Person | None] | None = None
        self._flash: tuple[float, tuple[float, float, float]] | None = None  # (until s, RGB 0..1)
        self._assessment_next = False  # a very long press during a session: the next one is an assessment
        self._scheduler = Scheduler(self.clock, self.stop_event)
        self._frame_task = Task("frame", self._frame_period_s, self._render_frame)
        self._sensor_task = Task("sensor", self._read_period_s, self._read_sensor)
        # The buttons' queued presses are looked at on the sensor's grid (400 ms in a session, 200 ms idle, by
        # default), so they add no wake-up of their own; a press is acted on within that.
        self._buttons_task = Task("buttons", max(BUTTON_POLL_S, self._read_period_s), self._poll_buttons)
        # Ties run in this order. Presses and commands come before the frame task, so what they change is in
        # the frames written at the same wake-up (a paced write holds a whole read period of frames);
        # what the publish task queues is handed to paho by the MQTT task at the same wake-up.
        self._tasks = [
            self._sensor_task,
            Task("session", SESSION_TICK_S, self._step_session),
            self._buttons_task,
            Task("publish", config.metrics.period_s, self._publish_metrics,
                 start_s=self.clock.now_s() + config.metrics.period_s),
        ]
        self._mqtt_task: Task | None = None
        if mqtt is not None:
            self._mqtt_task = Task("mqtt", max(MQTT_POLL_S, self._read_period_s), mqtt.poll)
            self._tasks.append(self._mqtt_task)
        self._tasks.append(self._frame_task)

    # -- the loop's tasks -------------------------------------------------------------------------

    # The active person's sensor's parts (sensor A's, unless a finger alone on sensor B opened the
    # session), as the device had them before together mode (read-only).
    @property
    def sensor(self) -> PulseSensor:
        return self.person_channel.sensor

    @property
    def pipeline(self) -> PulsePipeline:
        return self.person_channel.pipeline

    @property
    def hrv(self) -> HrvTracker:
        return self.person_channel.hrv

    @property
    def reading(self) -> SensorReading | None:
        return self.person_channel.reading

    @property
    def finger_on(self) -> bool:
        return self.person_channel.finger_on

    @property
    def quality(self) -> float:
        return self.person_channel.quality

    @property
    def channels(self) -> list[SensorChannel]:
        """Sensor A's channel, then sensor B's if there is one."""
        return [self.channel_a] if self.channel_b is None else [self.channel_a, self.channel_b]

    def _read_sensor(self, now_s: float) -> None:
        for channel in self.channels:
            stamped = channel.read()
            if stamped and channel is self.person_channel and isinstance(self.session.guide, ResonanceAssessment):
                self.session.guide.add_beats(stamped)
        # Idle only while every sensor's chip is watching for a finger (it then holds 2.56 s of samples).
        idle = all(channel.no_finger and channel.sensor.watching for channel in self.channels)
        self._sensor_task.period_s = self._idle_read_period_s if idle else self._read_period_s
        input_period_s = IDLE_INPUT_PERIOD_S if idle else self._read_period_s
        self._buttons_task.period_s = max(BUTTON_POLL_S, input_period_s)
        if self._mqtt_task is not None:
            self._mqtt_task.period_s = max(MQTT_POLL_S, input_period_s)

    def _step_session(self, now_s: float) -> None:
        night = self.config.night
        if night.enabled:
            wall = self.hardware.wall_clock().time()
            self.session.set_night(in_night(wall, night.start_time(), night.end_time()))
        self._choose_roles()
        self.metrics = self.current_metrics(now_s, publishing=False)
        partner: PartnerInput | None = None
        if self.partner_channel is not None:
            self.partner_metrics = self.current_partner_metrics(now_s, publishing=False)
            partner = PartnerInput(self.partner_channel.finger_on, self.partner_channel.quality, self.partner_metrics)
            self._forget_lifted(now_s)
        synchrony = self.current_synchrony(now_s)
        before = self.session.phase
        self.session.tick(now_s, self.finger_on, self.quality, self.metrics, partner, synchrony.value)
        for hook in self.on_session_tick:
            hook(now_s)
        if self.session.phase in (Phase.PAUSED, Phase.CLOSING, Phase.IDLE) and self.session.phase is not before:
            for channel in self.channels:
                channel.reset_hrv()  # nothing of this finger's beats carries over into what comes next
        self._publish_state(now_s)

    def _choose_roles(self) -> None:
        """While idle: the first finger is the active person's. Sensor A's finger (or none) keeps the usual
        roles; a finger alone on sensor B makes sensor B the active person's and A the partner's."""
        a, b = self.channel_a, self.channel_b
        if b is None or self.session.phase is not Phase.IDLE:
            return
        swapped = b.finger_on and not a.finger_on
        person, partner = (b, a) if swapped else (a, b)
        if person is not self.person_channel:
            log.info("a finger on sensor %s alone: the active person's; the other sensor is the partner's",
                     person.name)
            self.person_channel, self.partner_channel = person, partner
            self._synchrony_from = None

    def current_metrics(self, now_s: float, publishing: bool = True) -> HrvMetrics:
        """The active person's figures (sensor A's, see _choose_roles), withheld (with the reason) when the
        signal behind them is gone: sensor lost, no finger, still settling, or no beat for STALE_AFTER_S
        (device/sensor_channel.py)."""
        return self.person_channel.current_metrics(now_s, self.session.phase is Phase.SETTLING, publishing)

    def current_partner_metrics(self, now_s: float, publishing: bool = True) -> HrvMetrics:
        """The partner's figures (sensor B's, see _choose_roles), withheld as the person's are; raises
        ValueError without a second sensor."""
        if self.partner_channel is None:
            raise ValueError("this device has one sensor")
        return self.partner_channel.current_metrics(now_s, self.session.phase is Phase.SETTLING, publishing)

    def current_synchrony(self, now_s: float) -> Synchrony:
        """The two people's heart-rate synchrony (device/signal/synchrony.py) over the last 64 s, recomputed
        whenever either person's figures are (as coherence is); withheld with a reason when there is no
        together session or when either person's HRV is withheld (self.metrics, self.partner_metrics)."""
        a, b = self.person_channel, self.partner_channel
        if b is None or not self.session.together or self.partner_metrics is None:
            self._synchrony_from = None
            self.synchrony = Synchrony.withheld(NOT_TOGETHER)
        elif self.metrics.hrv_reason is not None:
            self._synchrony_from = None
            self.synchrony = Synchrony.withheld(PERSON_HRV_WITHHELD)
        elif self.partner_metrics.hrv_reason is not None:
            self._synchrony_from = None
            self.synchrony = Synchrony.withheld(PARTNER_HRV_WITHHELD)
        elif self.metrics.coherence is None or self.partner_metrics.coherence is None:
            # Synchrony reads the 64 s window coherence reads: not before both people's coherence is given.
            self._synchrony_from = None
            self.synchrony = Synchrony.withheld(WINDOW_NOT_COVERED)
        elif self._synchrony_from != (a.figures_at_s, b.figures_at_s):
            self._synchrony_from = (a.figures_at_s, b.figures_at_s)
            tach_a = a.hrv.tachogram(SYNCHRONY_WINDOW_S)
            tach_b = b.hrv.tachogram(SYNCHRONY_WINDOW_S)
            # The window ends at the older of the two people's last beats, which both series reach.
            ends = [float(t[0][-1]) for t in (tach_a, tach_b) if t is not None and len(t[0])]
            end_s = min(ends) if len(ends) == 2 else now_s
            self.synchrony = synchrony_of_tachograms(tach_a, tach_b, end_s)
        return self.synchrony

    def _forget_lifted(self, now_s: float) -> None:
        """A finger lifted for session.pause_after_finger_off_s (one person, while the other's session goes
        on): nothing of its earlier beats is used again, as after a pause."""
        off_after_s = self.config.session.pause_after_finger_off_s
        for channel in self.channels:
            since = self._finger_off_since[channel.name]
            if channel.finger_on:
                self._finger_off_since[channel.name] = None
            elif since is None:
                self._finger_off_since[channel.name] = now_s
            elif now_s - since >= off_after_s > now_s - since - SESSION_TICK_S:
                channel.reset_hrv()

    def _poll_buttons(self, now_s: float) -> None:
        if self._assessment_next and self.session.phase is Phase.SETTLING:  # the next session has opened
            self._assessment_next = False
            self.start_assessment()
            log.info("session %s: a resonance assessment, as asked during the last one", self.session.session_id)
        for button, short_action in self.buttons:
            for press in button.take():
                action = {Press.SHORT: short_action, Press.LONG: "next_person",
                          Press.VERY_LONG: "assessment"}[press]
                log.info("%s: %s press -> %s", button.name, press.value, action)
                self.act(action, now_s)
                self._show_changes_now()

    def act(self, action: str, now_s: float) -> None:
        """Do what a button (or a command) asks: "session", "next_person", "next_partner" (who is on
        sensor B) or "assessment"."""
        phase = self.session.phase
        if action == "session":
            if phase in (Phase.SETTLING, Phase.PACING, Phase.PAUSED):
                self.session.end(now_s)
            else:
                self.session.begin()
                log.info("ready: a fingertip on the sensor starts a session")
        elif action in ("next_person", "next_partner"):
            colour = self.next_person() if action == "next_person" else self.next_partner()
            if colour is not None:
                self.flash_colour(colour, now_s)
        elif action == "assessment":
            if phase in (Phase.IDLE, Phase.SETTLING):
                self.start_assessment()
                self.session.begin()
            else:
                # Asked during a session: this one runs on, the next one is the assessment (said at WARNING,
                # so the live view and the journal show it to the person who pressed).
                self._assessment_next = True
                log.warning("the next session will be a resonance assessment (this one runs on; a short press "
                            "ends it)")
        else:
            raise ValueError(f"unknown action {action!r}")

    def flash_colour(self, colour: str, now_s: float | None = None) -> None:
        """Show `colour` ('#rrggbb') on the whole ring for COLOUR_FLASH_S: a person was chosen."""
        at_s = self.clock.now_s() if now_s is None else now_s
        rgb = tuple(int(colour[i:i + 2], 16) / 255.0 for i in (1, 3, 5))
        self._flash = (at_s + COLOUR_FLASH_S, (rgb[0], rgb[1], rgb[2]))
        self._show_changes_now()

    def _show_changes_now(self) -> None:
        """Something the ring shows changed (a press, a command, a person's settings): a frame task slowed
        down for a dark, static ring runs now (at this wake-up), not up to a second later."""
        if self._started and self._frame_task.period_s > self._write_period_s:
            self._scheduler.run_soon(self._frame_task)

    def use_config(self, config: Config) -> bool:
        """Put another person's settings in force: the session is rebuilt now if idle (its number
        carries on; night caps, sound and pacer come with it) and the LED driver takes their brightness
        from the next frame. Returns False, changing nothing, while a session runs."""
        if self.session.phase is not Phase.IDLE:
            return False
        numbers = self.session.ids
        if self.led is not None and config.led.max_brightness != self.config.led.max_brightness:
            self.led.set_brightness_limit(config.led.max_brightness)
        self.config = config
        # Only the settings change: the new session carries on what the device knows (the finger, a
        # finger held off by a stop, night mode), so choosing a person starts nothing.
        self.session = Session(config, on_closed=self._publish_session).carry_on_from(self.session)
        self.session.ids = numbers
        self._dark_state = None  # render the new session's state from the next frame
        self._show_changes_now()
        return True

    def start_assessment(self, plan: AssessmentPlan | None = None) -> ResonanceAssessment:
        """Make the next (or the settling) session a resonance assessment; returns it to watch."""
        if plan is None:
            a = self.config.assessment
            plan = AssessmentPlan.from_text(a.rates_per_min, a.step_s, a.settle_s, a.follow_tolerance_per_min)
        assessment = ResonanceAssessment(plan, self.session.pattern.pacer.shape)
        self.session.run_assessment(assessment)
        return assessment


    # -- MQTT: state, events, commands --------------------------------------------------------------

    def device_state(self, now_s: float) -> DeviceState:
        """The retained `state` topic's content (the person is filled in by the link's privacy setting)."""
        session = self.session
        pacing = session.phase in (Phase.PACING, Phase.PAUSED)
        return DeviceState(
            session_state=session.phase.value,
            session=session.session_id,
            person=None,
            pacer_rate_per_min=round(float(session.pattern.pacer.rate_bpm(now_s)), 1) if pacing else None,
            pacer_target_per_min=round(session.target_rate_bpm, 2),
            night=session.pattern.night,
            night_mode=session.night_mode,
            sensor_status=self.reading.status if self.reading is not None else "starting",
            finger_on=self.finger_on,
            brightness_pct=round(session.brightness * 100.0, 1),
            volume_pct=round(session.volume * 100.0, 1),
        )

    def _publish_state(self, now_s: float) -> None:
        if self.mqtt is None:
            return
        self.mqtt.state(self.device_state(now_s))
        glimmer = self.session.pattern.glimmer
        if glimmer and not self._glimmer_shown:
            self.mqtt.event(glimmer_event(now_s, self.session.session_id, None, self.metrics.coherence))
        self._glimmer_shown = glimmer

    def apply_command(self, command: Command) -> None:
        """Apply a validated MQTT command (main loop); raises CommandRejected when it cannot be applied."""
        now_s = self.clock.now_s()
        args = command.args
        if command.name == "start":
            if not self.session.start_now(now_s):
                raise CommandRejected("busy", f"a session is already {self.session.phase.value}; stop it first "
                                              "(a closing one ends within its fade)")
        elif command.name == "stop":
            self.session.stop_now(now_s)
        elif command.name == "person":  # only chooses: no session starts (see use_config)
            if self.choose_person is not None:
                self.current_person = self.choose_person(args["person"])
            elif args["person"] is not None:
                raise CommandRejected("unavailable", "choosing a person needs the household's people; none are set up")
            # else: no household, so everyone is a guest already
        elif command.name == "partner":  # who is on sensor B; only chooses, as "person"
            if self.choose_partner is not None:
                self.current_partner = self.choose_partner(args["person"])
            elif args["person"] is not None:
                raise CommandRejected("unavailable", "choosing a partner needs the household's people; none are set up")
        elif command.name == "pacer_target":
            self.session.set_target_rate(now_s, args["rate_per_min"])
        elif command.name == "brightness":
            self.session.set_levels(brightness=args["pct"] / 100.0)
        elif command.name == "volume":
            self.session.set_levels(volume=args["pct"] / 100.0)
        elif command.name == "night_mode":
            self.session.set_night_mode(args["mode"])
        else:
            raise CommandRejected("unknown_command", f"unknown command {command.name!r}")
        self._show_changes_now()
        self._publish_state(now_s)

    def _render_frame(self, now_s: float) -> None:
        state = self.session.pattern
        flashing = self._flash is not None and now_s < self._flash[0]
        frame_times: list[float] = [now_s]
        if state is not self._dark_state or flashing:
            if self.led is not None:
                # The driver writes a frame only when its output differs from the last one written.
                if flashing or not isinstance(self.led, SpiLedRing):
                    self.led.show(self._frame_for(now_s, state, flashing))
                else:  # one write: a paced run of frames_per_write frames (one frame unless paced)
                    encoded, k0, frame_times = self._encoded_run(now_s, state, self._frames_per_write)
                    self.led.show_paced(encoded, k0, k0 + len(frame_times), self._frame_period_s)
                self.frames_shown += len(frame_times)
            self._dark_state = state if dark_from(state, now_s) and not flashing else None
        # Dark and static: nothing to render until the session swaps the state (on the session's 1 s grid,
        # before this task at the same wake-up) or a press, a command or new settings change what the ring
        # shows (they run it at once, _show_changes_now): the frame task rides on the sensor's grid.
        if self._dark_state is not None:
            self._frame_task.period_s = max(self._sensor_task.period_s, self._write_period_s)
        else:
            self._frame_task.period_s = self._frame_period_s if flashing else self._write_period_s
        for t_s in frame_times:  # the simulator's hooks see each frame at its own time
            for hook in self.hardware.on_frame:
                hook(t_s)
        self.audio.poll()

    def _frame_for(self, now_s: float, state: PatternState, flashing: bool) -> NDArray[np.float64]:
        """The frame at `now_s`: a chosen person's colour while it flashes, else the pattern's (with an
        assessment's progress marks)."""
        n = self.config.led.count
        if flashing:
            assert self._flash is not None
            return np.tile(np.asarray(self._flash[1]) * state.brightness_cap, (n, 1))
        frame = self._frame_at(now_s, state)
        marks = self._progress_marks()
        if marks:
            frame = frame.copy()  # the batch rendered ahead stays as rendered
            self._mark_progress(frame, marks, state)
        return frame

    def _progress_marks(self) -> int:
        """How many LEDs mark an assessment's progress now (0 outside a paced assessment)."""
        assessment = self.session.assessment
        if assessment is None or self.session.phase is not Phase.PACING:
            return 0
        done, total = assessment.progress
        return round(self.config.led.count * done / max(total, 1))

    @staticmethod
    def _mark_progress(frames: NDArray[np.float64], marks: int, state: PatternState) -> None:
        """Light the first `marks` LEDs of a frame (n, 3) or frames (m, n, 3) at least warm white."""
        warm = np.array([1.0, 0.6, 0.0 if state.night else 0.3]) * PROGRESS_LEVEL * state.brightness_cap
        frames[..., :marks, :] = np.maximum(frames[..., :marks, :], warm)

    def _frame_at(self, now_s: float, state: PatternState) -> NDArray[np.float64]:
        """The frame for deadline `now_s`: from the batch rendered ahead if it was rendered for this
        time and state, else a new batch for this deadline and the next FRAME_BATCH - 1."""
        if not self._batch_holds(now_s, state):
            self._render_batch(now_s, state)
        i = self._batch_next
        self._batch_next = i + 1
        return self._batch_frames[i]

    def _batch_holds(self, now_s: float, state: PatternState) -> bool:
        i = self._batch_next
        return state is self._batch_state and i < len(self._batch_times) and abs(self._batch_times[i] - now_s) < 1e-6

    def _render_batch(self, now_s: float, state: PatternState) -> None:
        frames = -(-FRAME_BATCH // self._frames_per_write) * self._frames_per_write  # whole writes
        times = now_s + self._frame_period_s * np.arange(frames, dtype=np.float64)
        self._batch_frames = led_frames(times, state, self.config.led.count)
        self._batch_times = times.tolist()
        self._batch_state = state
        self._batch_next = 0
        self._batch_encoded = None

    def _encoded_run(self, now_s: float, state: PatternState, m: int) -> tuple[EncodedFrames, int, list[float]]:
        """The SPI ring's `m` frames from deadline `now_s` on, encoded ahead with the rest of their batch (the
        assessment's progress marks drawn in): (the batch, the first frame's index in it, the frames' times)."""
        assert isinstance(self.led, SpiLedRing)
        marks = self._progress_marks()
        if (not self._batch_holds(now_s, state) or self._batch_next + m > len(self._batch_times)
                or (self._batch_encoded is not None and marks != self._batch_marks)):
            self._render_batch(now_s, state)
        if self._batch_encoded is None:
            frames = self._batch_frames[self._batch_next:]
            if marks:
                frames = frames.copy()
                self._mark_progress(frames, marks, state)
            self._batch_encoded = self.led.encode_ahead(frames)
            self._batch_marks = marks
            self._batch_encoded_from = self._batch_next
        i = self._batch_next
        self._batch_next = i + m
        return self._batch_encoded, i - self._batch_encoded_from, self._batch_times[i:i + m]

    # -- service hooks (device/service.py: systemd watchdog, config reload) -------------------------

    @property
    def tasks(self) -> list[Task]:
        """The main loop's periodic tasks (read-only use: names, periods, run counts)."""
        return list(self._tasks)

    def add_task(self, task: Task) -> None:
        """Run `task` on the main loop too, after the device's own tasks due at the same deadline."""
        self._tasks.append(task)
        if self._started:
            self._scheduler.add(task)

    @property
    def wakeups(self) -> int:
        """How many times the main loop has woken for a deadline."""
        return self._scheduler.wakeups

    def status(self) -> DeviceStatus:
        """The active person's sensor's status (sensor A's, see _choose_roles)."""
        reading = self.reading
        guide = self.session.guide
        following = None  # withheld, as the figures are, while the finger is off or the sensor lost
        if guide is not None and self.session.phase is Phase.PACING and self.finger_on:
            following = guide.person_following if isinstance(guide, PacerGuide) else guide.following
        return DeviceStatus(
            sensor_status=reading.status if reading is not None else "starting",
            finger_on=self.finger_on,
            signal_quality=self.quality,
            session_state=self.session.phase.value,
            session_id=self.session.session_id,
            lost_samples=reading.lost_samples_total if reading is not None else 0,
            following=following,
        )

    def partner_status(self) -> DeviceStatus | None:
        """The partner's sensor's status (sensor B's, see _choose_roles); session_id is the partner's own
        session number (None until they join). None without a second sensor."""
        b = self.partner_channel
        if b is None:
            return None
        reading = b.reading
        guide = self.session.guide
        seat = self.session.partner
        pacing = self.session.phase is Phase.PACING and isinstance(guide, PacerGuide)
        return DeviceStatus(
            sensor_status=reading.status if reading is not None else "starting",
            finger_on=b.finger_on,
            signal_quality=b.quality,
            session_state=self.session.phase.value,
            session_id=seat.session_id if seat is not None else None,
            lost_samples=reading.lost_samples_total if reading is not None else 0,
            following=guide.partner_following if pacing and b.finger_on and isinstance(guide, PacerGuide) else None,
        )

    def together_status(self, now_s: float) -> TogetherStatus | None:
        """The payload's together part (None without sensor B), with the partner's figures as of now_s."""
        partner = self.partner_status()
        if partner is None:
            return None
        self.partner_metrics = self.current_partner_metrics(now_s)
        sync = self.current_synchrony(now_s)
        return TogetherStatus(self.session.together, self.partner_metrics, partner, sync.value, sync.lag_s,
                              sync.reason)

    def _publish_metrics(self, now_s: float) -> None:
        self.metrics = self.current_metrics(now_s)
        payload = metrics_payload(now_s, self.metrics, self.status(), self.session.pattern,
                                  self.session.target_rate_bpm, self.together_status(now_s))
        self.last_payload = payload
        for publisher in self.publishers:
            publisher.metrics(payload)

    def _publish_session(self, summary: dict[str, Any]) -> None:
        for publisher in self.publishers:
            publisher.session_closed(summary)
        # A session's close is the device's quiet point: NumPy's small-buffer cache is emptied and the heap
        # trimmed (device/memory.py: without it the heap grew 0.1-0.15 MB an hour; a few ms, once a session).
        release_memory()

    # -- life cycle -------------------------------------------------------------------------------

    def render_audio(self, t0_s: float, n_frames: int) -> np.ndarray:
        """Audio callback body: reads the current immutable pattern state; never blocks."""
        return hum_block(t0_s, n_frames, self.audio.sample_rate_hz, self.session.pattern)

    def run(self, until_s: float = math.inf) -> None:
        """Run the main loop until `stop_event` is set or clock time `until_s`. May be called again
        with a later `until_s` to continue (tests and the simulator step the device this way)."""
        if self._closed:
            raise RuntimeError("the device is closed; build a new one")
        if not self._started:
            self._started = True
            for task in self._tasks:
                self._scheduler.add(task)
            self.audio.start(self.render_audio)
        self._scheduler.run(until_s)

    def stop(self) -> None:
        """Ask the loop to stop (safe from a signal handler or another thread)."""
        self.stop_event.set()

    def close(self) -> dict[str, Any] | None:
        """Tear down in reverse order of building: session closed, LEDs off, sound faded, sensor
        shut down, publishers flushed. Idempotent; returns the summary of a session it closed."""
        if self._closed:
            return None
        self._closed = True
        self.stop_event.set()
        summary: dict[str, Any] | None = None

        def close_session() -> None:
            nonlocal summary
            summary = self.session.close(self.clock.now_s())
            self._publish_state(self.clock.now_s())

        steps: list[tuple[str, Callable[[], object]]] = [
            ("session", close_session),
            *((button.name, button.close) for button, _ in self.buttons),
            ("LEDs", self.led.close if self.led is not None else lambda: None),
            ("sound", lambda: self.audio.fade_out_and_stop(AUDIO_FADE_S)),
            *((f"sensor {c.name}", c.close) for c in self.channels),
            *((f"publisher {type(p).__name__}", p.close) for p in self.publishers),
        ]
        failures: list[BaseException] = []
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # every step runs; the first failure is re-raised below
                log.exception("shutting down %s failed", name)
                failures.append(exc)
        if failures:
            raise failures[0]
        return summary


def build_device(config: Config, hardware: Hardware, publishers: Sequence[Publisher] = ()) -> GlimmerDevice:
    """The one composition root: the running device from a config and its hardware. With `mqtt.host`
    set, the device also publishes over MQTT (and takes commands from it)."""
    mqtt = None
    if config.mqtt.host:  # paho is imported only with a broker (start-up cost)
        from device.home.mqtt import build_mqtt_link

        # MQTT's measured_at is real wall time too, never the simulator's (docs/metrics.md).
        mqtt = build_mqtt_link(config, hardware.stamp_clock)
    return GlimmerDevice(config, hardware, publishers, mqtt=mqtt)
