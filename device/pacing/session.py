"""The session: idle -> settling -> pacing <-> paused -> closing -> idle.

A session starts in one of three ways: a fingertip placed on the sensor, the main button's short press
(also on a finger already resting there), or `start_now` (MQTT `cmd/start`). A session that ends while the
finger rests (a stop, a button, an assessment done) opens no new one until the finger is lifted and
placed again; choosing a person (a long press, MQTT `cmd/person`) starts none (`carry_on_from`).

A fingertip on the sensor starts settling; once the signal has proved itself (finger on, good quality
for `settle_s`, and a breathing-rate estimate or enough waiting), pacing starts near the person's own
breathing rate and the guide glides it toward their resonance rate. A lifted finger pauses the session;
a long pause closes it, with a fade, and the session's summary is handed to whoever stores it.

The session publishes what the outputs should show as an immutable `PatternState`, swapped atomically,
so the audio thread can read it at any moment without a lock.

Together mode (issue 13, docs/together.md): with a second sensor, `tick` also takes the partner's reading
(the device decides which sensor is whose: the first finger is the active person's). The person's finger
opens a session; the partner's finger joins an open one (at once when both are on as it opens, or
mid-session), which makes it a together session: the partner gets their own seat (device/pacing/seat.py)
with their own session number and summary, and the one pacer serves both (device/pacing/together.py). The
partner's finger alone opens nothing here. Once together, either finger keeps the session going: one person
lifting (or their sensor failing) leaves the other's session running; it pauses only when both have lifted.
A partner gone for good while it still settles leaves it the person's own. An assessment is one person's
and takes no partner.
"""

from __future__ import annotations

import enum
import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time as time_of_day
from typing import Any

from device.config import Config
from device.pacing.assessment import ResonanceAssessment
from device.pacing.guide import GuideSettings, PacerGuide
from device.pacing.seat import Seat
from device.pacing.together import together_glimmer, together_start_rate, together_target_rate
from device.signal.hrv import HrvMetrics
from patterns.state import BreathShape, Fade, PacerSnapshot, PatternState, TogetherLook

Rgb = tuple[float, float, float]
# The two halves' colours while nobody has said whose they are (the household sets its people's colours).
DEFAULT_TOGETHER_COLOURS: tuple[Rgb, Rgb] = ((1.0, 0.55, 0.2), (0.25, 0.6, 1.0))

log = logging.getLogger(__name__)

SIGNAL_QUALITY_MIN = 0.5  # rolling quality (0..1) that counts as a clean signal while settling
SETTLE_MAX_WAIT_FACTOR = 3.0  # settle at most this many times settle_s waiting for a breathing estimate
GUIDE_UPDATE_S = 5.0  # seconds between pacer guidance updates
# Levels are of the ring's perceived level (the driver keeps any lit LED visible, see drivers/led_ring.py).
PAUSED_LEVEL = 0.5  # light level while paused: the breath goes on, dimmer, saying "still here"
SETTLING_LEVEL = 1.0  # while the signal settles: the ring at rest (empty lungs), steady, as pacing will begin


class Phase(enum.Enum):
    IDLE = "idle"
    SETTLING = "settling"
    PACING = "pacing"
    PAUSED = "paused"
    CLOSING = "closing"


def in_night(now: time_of_day, start: time_of_day, end: time_of_day) -> bool:
    """True when the local time of day lies in [start, end), a window that may wrap past midnight."""
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


@dataclass(frozen=True)
class PartnerInput:
    """Sensor B's newest readings for a session step (together mode)."""

    finger_on: bool
    quality: float  # rolling signal quality 0..1
    metrics: HrvMetrics  # the partner's figures, withheld where untrustworthy


class Session:
    """State machine for one unit's sessions. Driven by `tick(now_s, ...)` from the main loop."""

    def __init__(self, config: Config, on_closed: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._cfg = config.session
        self._audio = config.audio
        self._night_cfg = config.night
        self._shape = BreathShape(config.pacer.inhale_ratio, config.pacer.hold_in_ratio,
                                  config.pacer.exhale_ratio, config.pacer.hold_out_ratio)
        self._guide_settings = GuideSettings(
            resonance_rate_per_min=config.pacer.resonance_rate_per_min,
            default_start_rate_per_min=config.pacer.default_start_rate_per_min,
            max_glide_per_min_per_min=config.pacer.max_glide_per_min_per_min,
            follow_tolerance_per_min=config.pacer.follow_tolerance_per_min,
            shape=self._shape,
        )
        self._on_closed = on_closed
        self.ids = itertools.count(1)  # session numbers; shared when the session is rebuilt for another person
        self.phase = Phase.IDLE
        self.session_id: int | None = None
        self.guide: PacerGuide | ResonanceAssessment | None = None
        self._next_assessment: ResonanceAssessment | None = None
        self._held_off = False  # ended by a button: no new session until the finger lifts (or a press)
        self._since_s = 0.0  # when the current phase (or finger condition) started
        self._finger_off_since_s: float | None = None
        self._partner_off_since_s: float | None = None  # the joined partner's finger off since (sensor B)
        self._good_since_s: float | None = None
        self._last_guide_s = -math.inf
        self._last_tick_s: float | None = None
        self._stats: Seat | None = None  # the active person's seat (sensor A)
        self.partner: Seat | None = None  # the partner's seat, once they have joined (together mode)
        # The partner's resonance rate (None: not known, the default applies); set with who the partner is.
        self.partner_resonance_rate_per_min: float | None = None
        # The ring's two halves in a together session: the active person's colour, the partner's (RGB 0..1).
        self.together_colours: tuple[Rgb, Rgb] = DEFAULT_TOGETHER_COLOURS
        self._night = False
        self._night_forced: bool | None = None  # night mode set by hand (MQTT); None follows the schedule
        self._brightness = 1.0  # user brightness 0..1 (MQTT), on top of led.max_brightness and night caps
        self._volume = config.audio.volume  # user volume 0..1 of full scale (MQTT)
        self.last_summary: dict[str, Any] | None = None
        self.last_partner_summary: dict[str, Any] | None = None
        self._partner_in: PartnerInput | None = None
        self._person_on = False  # sensor A's finger at the last tick
        self._synchrony: float | None = None
        idle_pacer = PacerSnapshot(0.0, 0.0, 0.0, 0.0, 0.0, self._shape)
        self.pattern: PatternState = self._decorate(PatternState(pacer=idle_pacer))

    @property
    def target_rate_bpm(self) -> float:
        """The rate pacing leads toward: the person's resonance rate (during an assessment, the step's;
        together, the mean of both people's, `together_target_rate`)."""
        if isinstance(self.guide, ResonanceAssessment) and self.guide.current_rate_bpm is not None:
            return self.guide.current_rate_bpm
        if self.partner is not None:
            return self._together_target()
        return self._guide_settings.resonance_rate_per_min

    @property
    def together(self) -> bool:
        """Is this a together session (the partner has joined)?"""
        return self.partner is not None

    @property
    def person_seat(self) -> Seat | None:
        """The active person's seat in the open session (None when no session is open)."""
        return self._stats

    def _together_target(self) -> float:
        return together_target_rate(self._guide_settings.resonance_rate_per_min, self.partner_resonance_rate_per_min)

    @property
    def assessment(self) -> ResonanceAssessment | None:
        """The assessment this session runs (or will run once pacing starts), if any."""
        if isinstance(self.guide, ResonanceAssessment):
            return self.guide
        return self._next_assessment

    def run_assessment(self, assessment: ResonanceAssessment) -> None:
        """Pace the next session (or the one settling now) by a resonance assessment instead of the
        guide; the session closes itself when the assessment is done."""
        if self.phase in (Phase.PACING, Phase.PAUSED, Phase.CLOSING):
            raise RuntimeError("an assessment starts from idle or settling, not during a paced session")
        self._next_assessment = assessment

    @property
    def brightness(self) -> float:
        """User brightness 0..1 (scales what led.max_brightness and the night cap allow)."""
        return self._brightness

    @property
    def volume(self) -> float:
        """User volume 0..1 of full scale (before the night cap)."""
        return self._volume

    # -- inputs -----------------------------------------------------------------------------------

    @property
    def night_mode(self) -> str:
        """"auto" (the schedule decides), "on" or "off" (set by hand)."""
        return "auto" if self._night_forced is None else ("on" if self._night_forced else "off")

    def set_night_mode(self, mode: str) -> None:
        """Night mode by hand ("on", "off") or back to the schedule ("auto")."""
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"night mode must be auto, on or off, got {mode!r}")
        self._night_forced = None if mode == "auto" else mode == "on"
        self.pattern = self._decorate(self.pattern)

    def set_levels(self, brightness: float | None = None, volume: float | None = None) -> None:
        """Change the user brightness and/or volume (0..1); takes effect on the next frame and audio block."""
        for value in (brightness, volume):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"levels must be in 0..1, got {value}")
        if brightness is not None:
            self._brightness = brightness
        if volume is not None:
            self._volume = volume
        self.pattern = self._decorate(self.pattern)

    def set_target_rate(self, now_s: float, rate_bpm: float) -> None:
        """Lead toward `rate_bpm` breaths/min from now (this session and the next ones)."""
        self._guide_settings = replace(self._guide_settings, resonance_rate_per_min=rate_bpm)
        if isinstance(self.guide, PacerGuide):  # an assessment keeps its own steps
            pacer = self.guide.retarget(now_s, self.target_rate_bpm)
            self.pattern = self._decorate(replace(self.pattern, pacer=pacer))

    def carry_on_from(self, previous: Session) -> Session:
        """Take over from an idle `previous` session (another person's settings, device/app.py use_config)
        what is not a setting: the session numbering, what the finger has done (so a finger held off by a
        stop still must be lifted first, and one resting there starts nothing new), the schedule's and the
        hand-set night mode, the user brightness, and the fade in progress. Returns self."""
        if previous.phase is not Phase.IDLE or self.phase is not Phase.IDLE:
            raise RuntimeError("a session carries on only from idle to idle")
        self.ids = previous.ids
        self._held_off = previous._held_off
        self._finger_off_since_s = previous._finger_off_since_s
        self._good_since_s = previous._good_since_s
        self._last_tick_s = previous._last_tick_s
        self._since_s = previous._since_s
        self._night = previous._night
        self._night_forced = previous._night_forced
        self._brightness = previous._brightness
        self.partner_resonance_rate_per_min = previous.partner_resonance_rate_per_min
        self.together_colours = previous.together_colours
        self.pattern = self._decorate(replace(self.pattern, fade=previous.pattern.fade))
        return self

    def start_now(self, now_s: float) -> bool:
        """Open a session now (a button or command) as if a finger had landed; False if one is open.
        Without a finger it ends as a lifted finger would, after session.pause_after_finger_off_s."""
        if self.phase is not Phase.IDLE:
            return False
        self._finger_off_since_s = None if self._finger_off_since_s is None else now_s
        self._held_off = False
        self._open(now_s)
        return True

    def stop_now(self, now_s: float) -> bool:
        """Close the open session now, with the usual fade; False if none is open. A finger still on the
        sensor does not open the next one: it must be lifted first."""
        if self.phase in (Phase.IDLE, Phase.CLOSING):
            return False
        self._fade_to(now_s, 0.0, self._cfg.fade_out_s)
        self._enter(Phase.CLOSING, now_s)
        self._held_off = True
        log.info("session %d: stopped on request; closing", self.session_id)
        return True

    def set_night(self, night: bool) -> None:
        """Night mode on or off (from the schedule); takes effect on the next pattern swap."""
        if night != self._night:
            self._night = night
            self.pattern = self._decorate(self.pattern)

    def tick(self, now_s: float, finger_on: bool, quality: float, metrics: HrvMetrics,
             partner: PartnerInput | None = None, synchrony: float | None = None) -> None:
        """Advance the state machine to clock time now_s with the newest pulse and HRV readings of sensor A
        and (together mode) of sensor B, `partner`, with the two people's heart-rate synchrony (None:
        withheld)."""
        dt_s = 0.0 if self._last_tick_s is None else max(0.0, now_s - self._last_tick_s)
        self._last_tick_s = now_s
        self._partner_in = partner
        self._person_on = finger_on
        self._synchrony = synchrony if self.partner is not None else None
        # Once together, either finger keeps the session going (the quality is of a finger that is on).
        partner_on = self.partner is not None and partner is not None and partner.finger_on
        any_finger = finger_on or partner_on
        if partner_on or self.partner is None:
            self._partner_off_since_s = None
        elif self._partner_off_since_s is None:
            self._partner_off_since_s = now_s
        if partner_on and not finger_on:
            assert partner is not None
            quality = partner.quality
        if not any_finger:
            self._held_off = False
        self._track_finger(now_s, any_finger, quality)
        handler = {
            Phase.IDLE: self._idle,
            Phase.SETTLING: self._settling,
            Phase.PACING: self._pacing,
            Phase.PAUSED: self._paused,
            Phase.CLOSING: self._closing,
        }[self.phase]
        handler(now_s, finger_on if self.phase is Phase.IDLE else any_finger, metrics, dt_s)
        if partner is not None and partner.finger_on and self.partner is None:
            self._join(now_s)

    def _join(self, now_s: float) -> None:
        """The partner's finger joins the open session: a together session from now on."""
        if self.phase not in (Phase.SETTLING, Phase.PACING, Phase.PAUSED) or self._stats is None:
            return
        if self.assessment is not None:
            return  # an assessment is one person's
        seat = Seat(next(self.ids), "partner", now_s, self._cfg.glimmer_coherence_ratio, self._cfg.glimmer_after_s,
                    together_with=self.session_id)
        self._stats.together_with = seat.session_id
        self.partner = seat
        if isinstance(self.guide, PacerGuide) and self.phase is not Phase.SETTLING:
            seat.pacing_started_s = now_s
            seat.start_rate_bpm = float(self.pattern.pacer.rate_bpm(now_s))
            self.guide.join_partner()
            pacer = self.guide.retarget(now_s, self._together_target())
            self.pattern = self._decorate(replace(self.pattern, pacer=pacer))
        self._show_together()
        log.info("session %d: the partner joins (their session %d): together, toward %.1f breaths/min",
                 self.session_id, seat.session_id, self.target_rate_bpm)

    def end(self, now_s: float) -> dict[str, Any] | None:
        """End the session on request (a button): closed now, and no new one starts until the finger
        is lifted and placed again, or `begin` is called."""
        self._held_off = True
        return self.close(now_s)

    def begin(self) -> None:
        """Allow a session to start on the finger that is on the sensor now (a button)."""
        self._held_off = False

    def close(self, now_s: float) -> dict[str, Any] | None:
        """End any open session now (shutdown): fade out and hand over its summary."""
        if self.phase in (Phase.IDLE, Phase.CLOSING):
            summary = self._finish(now_s) if self.phase is Phase.CLOSING else None
        else:
            self._fade_to(now_s, 0.0, self._cfg.fade_out_s)
            summary = self._finish(now_s)
        return summary

    # -- states -----------------------------------------------------------------------------------

    def _idle(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        if finger_on and not self._held_off:
            self._open(now_s)

    def _open(self, now_s: float) -> None:
        self.session_id = next(self.ids)
        self._stats = Seat(self.session_id, "person", now_s, self._cfg.glimmer_coherence_ratio,
                           self._cfg.glimmer_after_s)
        self._enter(Phase.SETTLING, now_s)
        self._fade_to(now_s, SETTLING_LEVEL, self._cfg.fade_in_s)
        log.info("session %d: settling", self.session_id)

    def _settling(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        if self._finger_off_for(now_s) >= self._cfg.pause_after_finger_off_s:
            log.info("session %d: finger lifted while settling; back to idle", self.session_id)
            self._fade_to(now_s, 0.0, self._cfg.fade_out_s)
            self._stats = None
            self.partner = None
            self._show_together()
            self.session_id = None
            self._enter(Phase.IDLE, now_s)
            return
        if (self.partner is not None and self._partner_off_since_s is not None
                and now_s - self._partner_off_since_s >= self._cfg.pause_after_finger_off_s):
            self._partner_leaves(now_s)
        clean_s = 0.0 if self._good_since_s is None else now_s - self._good_since_s
        waited_s = now_s - self._since_s
        estimate_ready = metrics.breath_rate_bpm is not None
        if clean_s >= self._cfg.settle_s and (
                estimate_ready or waited_s >= SETTLE_MAX_WAIT_FACTOR * self._cfg.settle_s) and not (
                self._partner_estimate_awaited(now_s)):
            self._start_pacing(now_s, metrics.breath_rate_bpm)

    def _partner_leaves(self, now_s: float) -> None:
        """The partner's finger has been off (or sensor B lost) while the session settled, as long as lifts
        the person's own session back to idle: they have left before anything was paced together, so the
        session goes on as the person's own, toward their own resonance rate (a partner who joins again
        later gets a new seat). Their seat had nothing to keep: no row is left for it (device/home/recorder.py
        deletes a row whose session ended without a close)."""
        assert self.partner is not None and self._stats is not None
        log.info("session %d: the partner left while it settled (their session %d not kept); on alone",
                 self.session_id, self.partner.session_id)
        self._stats.together_with = None
        self.partner = None
        self._partner_off_since_s = None
        self._show_together()

    def _partner_estimate_awaited(self, now_s: float) -> bool:
        """Together: the pacer starts where both can follow (between their own breathing rates), so settling
        waits for the partner's breathing estimate too, as long as it waits for the person's own (at most
        SETTLE_MAX_WAIT_FACTOR x settle_s from the partner's joining; then it starts from what is known)."""
        if self.partner is None or self._partner_in is None or not self._partner_in.finger_on:
            return False
        if self._partner_in.metrics.breath_rate_bpm is not None:
            return False
        return now_s - self.partner.started_s < SETTLE_MAX_WAIT_FACTOR * self._cfg.settle_s

    def _start_pacing(self, now_s: float, breath_rate_bpm: float | None) -> None:
        assert self._stats is not None
        if self._next_assessment is not None:
            self.guide = self._next_assessment
        elif self.partner is not None:  # together: one pacer where both can follow, toward both targets
            guide = PacerGuide(replace(self._guide_settings, resonance_rate_per_min=self._together_target()))
            guide.join_partner()
            partner_rate = self._partner_in.metrics.breath_rate_bpm if self._partner_in is not None else None
            breath_rate_bpm = together_start_rate(breath_rate_bpm, partner_rate,
                                                  self._guide_settings.default_start_rate_per_min)
            self.guide = guide
        else:
            self.guide = PacerGuide(self._guide_settings)
        self._next_assessment = None
        pacer = self.guide.start(now_s, breath_rate_bpm)
        for seat in (self._stats, self.partner):
            if seat is not None:
                seat.pacing_started_s = now_s
                seat.start_rate_bpm = float(pacer.rate_bpm(now_s))
        self._last_guide_s = now_s
        self.pattern = self._decorate(replace(self.pattern, pacer=pacer))
        self._fade_to(now_s, 1.0, self._cfg.fade_in_s)
        self._enter(Phase.PACING, now_s)
        log.info("session %d: pacing from %.1f toward %.1f breaths/min", self.session_id,
                 self._stats.start_rate_bpm, self._guide_settings.resonance_rate_per_min)

    def _pacing(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        assert self._stats is not None and self.guide is not None
        partner_in = self._partner_in
        if self.partner is None or self._person_on:  # together, each person's paced time is theirs on the sensor
            self._stats.paced_s += dt_s
        self._accumulate(now_s, metrics, dt_s)
        if self.partner is not None:
            if partner_in is not None and partner_in.finger_on:  # paced only while their finger is on
                self.partner.paced_s += dt_s
            if partner_in is not None:
                self.partner.accumulate(now_s, partner_in.metrics, dt_s, self._synchrony)
            self._show_together()
        if self._finger_off_for(now_s) >= self._cfg.pause_after_finger_off_s:
            self._fade_to(now_s, PAUSED_LEVEL, self._cfg.fade_out_s)
            self._enter(Phase.PAUSED, now_s)
            log.info("session %d: finger lifted; paused", self.session_id)
            return
        if now_s - self._last_guide_s >= GUIDE_UPDATE_S:
            self._last_guide_s = now_s
            if isinstance(self.guide, PacerGuide) and self.partner is not None:
                partner_rate = partner_in.metrics.breath_rate_bpm if partner_in is not None else None
                present = partner_in is not None and partner_in.finger_on
                pacer = self.guide.update(now_s, metrics.breath_rate_bpm, partner_rate,
                                          person_present=self._person_on, partner_present=present)
            else:
                pacer = self.guide.update(now_s, metrics.breath_rate_bpm)
            self.pattern = self._decorate(replace(self.pattern, pacer=pacer))
            if isinstance(self.guide, ResonanceAssessment) and self.guide.done:
                self._fade_to(now_s, 0.0, self._cfg.fade_out_s)
                self._enter(Phase.CLOSING, now_s)
                self._held_off = True  # the finger resting there opens no new session
                log.info("session %d: assessment done; closing", self.session_id)

    def _paused(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        if finger_on and self._finger_off_since_s is None:
            self._fade_to(now_s, 1.0, self._cfg.fade_in_s)
            self._enter(Phase.PACING, now_s)
            log.info("session %d: finger back; pacing resumes", self.session_id)
        elif now_s - self._since_s >= self._cfg.close_after_pause_s:
            self._fade_to(now_s, 0.0, self._cfg.fade_out_s)
            self._enter(Phase.CLOSING, now_s)
            log.info("session %d: closing", self.session_id)

    def _closing(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        if now_s - self._since_s >= self._cfg.fade_out_s:
            self._finish(now_s)

    # -- helpers ----------------------------------------------------------------------------------

    def _enter(self, phase: Phase, now_s: float) -> None:
        self.phase = phase
        self._since_s = now_s

    def _track_finger(self, now_s: float, finger_on: bool, quality: float) -> None:
        if finger_on:
            self._finger_off_since_s = None
        elif self._finger_off_since_s is None:
            self._finger_off_since_s = now_s
        clean = finger_on and quality >= SIGNAL_QUALITY_MIN
        if not clean:
            self._good_since_s = None
        elif self._good_since_s is None:
            self._good_since_s = now_s

    def _finger_off_for(self, now_s: float) -> float:
        return 0.0 if self._finger_off_since_s is None else now_s - self._finger_off_since_s

    def _accumulate(self, now_s: float, metrics: HrvMetrics, dt_s: float) -> None:
        seat = self._stats
        assert seat is not None
        seat.accumulate(now_s, metrics, dt_s, self._synchrony)
        glimmer = seat.glimmer
        level = metrics.coherence if metrics.coherence is not None else self.pattern.coherence
        if glimmer != self.pattern.glimmer or level != self.pattern.coherence:
            self.pattern = replace(self.pattern, glimmer=glimmer, coherence=level)

    def _show_together(self) -> None:
        """The ring's together look (patterns/state.TogetherLook) from both seats and the synchrony."""
        a, b = self._stats, self.partner
        if a is None or b is None:
            look = None
        else:
            glimmer = together_glimmer(a.glimmer, b.glimmer, self._synchrony)
            look = TogetherLook(self.together_colours[0], self.together_colours[1], a.coherence_level or 0.0,
                                b.coherence_level or 0.0, self._synchrony, glimmer)
        if look != self.pattern.together:
            self.pattern = replace(self.pattern, together=look)

    def _fade_to(self, now_s: float, level: float, duration_s: float) -> None:
        current = float(self.pattern.fade.level(now_s))
        self.pattern = replace(self.pattern, fade=Fade(now_s, current, level, duration_s))

    def _decorate(self, state: PatternState) -> PatternState:
        """Apply the static sound settings and night mode to a pattern state."""
        night = self._night_cfg.enabled and self._night if self._night_forced is None else self._night_forced
        return replace(
            state,
            night=night,
            brightness_cap=self._brightness * (self._night_cfg.brightness_cap if night else 1.0),
            volume_cap=self._volume * (self._night_cfg.volume_cap if night else 1.0),
            hum_enabled=self._audio.hum_enabled,
            hum_pitch_hz=self._audio.hum_pitch_hz,
            cue_enabled=self._audio.cue_enabled,
        )

    def _finish(self, now_s: float) -> dict[str, Any] | None:
        seat, partner, session_id, guide = self._stats, self.partner, self.session_id, self.guide
        self._stats, self.partner, self.session_id, self.guide = None, None, None, None
        self._show_together()  # one person's look again
        self._enter(Phase.IDLE, now_s)
        if seat is None or session_id is None:
            return None
        end_rate = float(self.pattern.pacer.rate_bpm(now_s))
        summary = seat.summary(now_s, end_rate)
        if isinstance(guide, ResonanceAssessment):
            summary["kind"] = "assessment"
            summary["assessment"] = guide.result.as_dict() if guide.result is not None else None
        self.last_summary = summary
        log.info("session %d closed after %.0f s (%.0f s paced)", session_id, summary["duration_s"],
                 summary["paced_s"])
        if self._on_closed is not None:
            self._on_closed(summary)
        if partner is not None:
            partner_summary = partner.summary(now_s, end_rate)
            self.last_partner_summary = partner_summary
            log.info("session %d (the partner's, together with %d) closed after %.0f s", partner.session_id,
                     session_id, partner_summary["duration_s"])
            if self._on_closed is not None:
                self._on_closed(partner_summary)
        return summary
