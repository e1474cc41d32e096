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
from device.signal.hrv import HrvMetrics
from patterns.state import BreathShape, Fade, PacerSnapshot, PatternState

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


@dataclass
class _Stats:
    """Running sums for the session summary (bounded: no per-beat history)."""

    started_s: float
    pacing_started_s: float | None = None
    paced_s: float = 0.0
    n_metrics: int = 0
    hr_sum: float = 0.0
    rmssd_sum: float = 0.0
    coherence_sum: float = 0.0
    n_coherence: int = 0
    coherence_peak: float = 0.0
    coherent_s: float = 0.0
    start_rate_bpm: float | None = None


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
        self._good_since_s: float | None = None
        self._coherent_since_s: float | None = None
        self._last_guide_s = -math.inf
        self._last_tick_s: float | None = None
        self._stats: _Stats | None = None
        self._night = False
        self._night_forced: bool | None = None  # night mode set by hand (MQTT); None follows the schedule
        self._brightness = 1.0  # user brightness 0..1 (MQTT), on top of led.max_brightness and night caps
        self._volume = config.audio.volume  # user volume 0..1 of full scale (MQTT)
        self.last_summary: dict[str, Any] | None = None
        idle_pacer = PacerSnapshot(0.0, 0.0, 0.0, 0.0, 0.0, self._shape)
        self.pattern: PatternState = self._decorate(PatternState(pacer=idle_pacer))

    @property
    def target_rate_bpm(self) -> float:
        """The rate pacing leads toward: the person's resonance rate (during an assessment, the step's)."""
        if isinstance(self.guide, ResonanceAssessment) and self.guide.current_rate_bpm is not None:
            return self.guide.current_rate_bpm
        return self._guide_settings.resonance_rate_per_min

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
            pacer = self.guide.retarget(now_s, rate_bpm)
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

    def tick(self, now_s: float, finger_on: bool, quality: float, metrics: HrvMetrics) -> None:
        """Advance the state machine to clock time now_s with the newest pulse and HRV readings."""
        dt_s = 0.0 if self._last_tick_s is None else max(0.0, now_s - self._last_tick_s)
        self._last_tick_s = now_s
        if not finger_on:
            self._held_off = False
        self._track_finger(now_s, finger_on, quality)
        handler = {
            Phase.IDLE: self._idle,
            Phase.SETTLING: self._settling,
            Phase.PACING: self._pacing,
            Phase.PAUSED: self._paused,
            Phase.CLOSING: self._closing,
        }[self.phase]
        handler(now_s, finger_on, metrics, dt_s)

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
        self._stats = _Stats(started_s=now_s)
        self._enter(Phase.SETTLING, now_s)
        self._fade_to(now_s, SETTLING_LEVEL, self._cfg.fade_in_s)
        log.info("session %d: settling", self.session_id)

    def _settling(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        if self._finger_off_for(now_s) >= self._cfg.pause_after_finger_off_s:
            log.info("session %d: finger lifted while settling; back to idle", self.session_id)
            self._fade_to(now_s, 0.0, self._cfg.fade_out_s)
            self._stats = None
            self.session_id = None
            self._enter(Phase.IDLE, now_s)
            return
        clean_s = 0.0 if self._good_since_s is None else now_s - self._good_since_s
        waited_s = now_s - self._since_s
        estimate_ready = metrics.breath_rate_bpm is not None
        if clean_s >= self._cfg.settle_s and (
                estimate_ready or waited_s >= SETTLE_MAX_WAIT_FACTOR * self._cfg.settle_s):
            self._start_pacing(now_s, metrics.breath_rate_bpm)

    def _start_pacing(self, now_s: float, breath_rate_bpm: float | None) -> None:
        assert self._stats is not None
        self.guide = self._next_assessment or PacerGuide(self._guide_settings)
        self._next_assessment = None
        pacer = self.guide.start(now_s, breath_rate_bpm)
        self._stats.pacing_started_s = now_s
        self._stats.start_rate_bpm = float(pacer.rate_bpm(now_s))
        self._last_guide_s = now_s
        self.pattern = self._decorate(replace(self.pattern, pacer=pacer))
        self._fade_to(now_s, 1.0, self._cfg.fade_in_s)
        self._enter(Phase.PACING, now_s)
        log.info("session %d: pacing from %.1f toward %.1f breaths/min", self.session_id,
                 self._stats.start_rate_bpm, self._guide_settings.resonance_rate_per_min)

    def _pacing(self, now_s: float, finger_on: bool, metrics: HrvMetrics, dt_s: float) -> None:
        assert self._stats is not None and self.guide is not None
        self._stats.paced_s += dt_s
        self._accumulate(now_s, metrics, dt_s)
        if self._finger_off_for(now_s) >= self._cfg.pause_after_finger_off_s:
            self._fade_to(now_s, PAUSED_LEVEL, self._cfg.fade_out_s)
            self._enter(Phase.PAUSED, now_s)
            log.info("session %d: finger lifted; paused", self.session_id)
            return
        if now_s - self._last_guide_s >= GUIDE_UPDATE_S:
            self._last_guide_s = now_s
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
        stats = self._stats
        assert stats is not None
        if metrics.hr_bpm is not None and metrics.rmssd_ms is not None:
            stats.n_metrics += 1
            stats.hr_sum += metrics.hr_bpm
            stats.rmssd_sum += metrics.rmssd_ms
        coherence = metrics.coherence
        if coherence is not None:
            stats.n_coherence += 1
            stats.coherence_sum += coherence
            stats.coherence_peak = max(stats.coherence_peak, coherence)
        coherent = coherence is not None and coherence >= self._cfg.glimmer_coherence_ratio
        if coherent:
            stats.coherent_s += dt_s
            if self._coherent_since_s is None:
                self._coherent_since_s = now_s
        else:
            self._coherent_since_s = None
        glimmer = (self._coherent_since_s is not None
                   and now_s - self._coherent_since_s >= self._cfg.glimmer_after_s)
        level = coherence if coherence is not None else self.pattern.coherence
        if glimmer != self.pattern.glimmer or level != self.pattern.coherence:
            self.pattern = replace(self.pattern, glimmer=glimmer, coherence=level)

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
        stats, session_id, guide = self._stats, self.session_id, self.guide
        self._stats, self.session_id, self.guide = None, None, None
        self._coherent_since_s = None
        self._enter(Phase.IDLE, now_s)
        if stats is None or session_id is None:
            return None
        summary = self._summary(session_id, stats, now_s)
        if isinstance(guide, ResonanceAssessment):
            summary["kind"] = "assessment"
            summary["assessment"] = guide.result.as_dict() if guide.result is not None else None
        self.last_summary = summary
        log.info("session %d closed after %.0f s (%.0f s paced)", session_id, summary["duration_s"],
                 summary["paced_s"])
        if self._on_closed is not None:
            self._on_closed(summary)
        return summary

    def _summary(self, session_id: int, stats: _Stats, now_s: float) -> dict[str, Any]:
        def mean(total: float, n: int) -> float | None:
            return round(total / n, 2) if n else None

        return {
            "session": session_id,
            "started_t_s": round(stats.started_s, 3),
            "ended_t_s": round(now_s, 3),
            "duration_s": round(now_s - stats.started_s, 1),
            "paced_s": round(stats.paced_s, 1),
            "mean_hr_bpm": mean(stats.hr_sum, stats.n_metrics),
            "mean_rmssd_ms": mean(stats.rmssd_sum, stats.n_metrics),
            "mean_coherence_ratio": mean(stats.coherence_sum, stats.n_coherence),
            "peak_coherence_ratio": round(stats.coherence_peak, 2) if stats.n_coherence else None,
            "coherent_s": round(stats.coherent_s, 1),
            # Breaths per minute: "_per_min", never "_bpm", which in a payload means beats per minute.
            "pacer_start_rate_per_min": None if stats.start_rate_bpm is None else round(stats.start_rate_bpm, 2),
            "pacer_end_rate_per_min": (round(float(self.pattern.pacer.rate_bpm(now_s)), 2)
                                       if stats.pacing_started_s is not None else None),
        }
