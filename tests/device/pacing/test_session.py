"""The session state machine, driven with scripted readings on simulated time."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from device.config import load_config
from device.pacing.assessment import ResonanceAssessment
from device.pacing.session import PAUSED_LEVEL, Phase, Session, in_night
from device.signal.hrv import HrvMetrics


def metrics(breath_rate_bpm: float | None = 12.0, coherence: float | None = 1.0, t_s: float = 0.0) -> HrvMetrics:
    return HrvMetrics(t_s=t_s, hr_bpm=65.0, rmssd_ms=40.0, sdnn_ms=50.0, ln_rmssd=3.7, pnn50_pct=20.0,
                      breath_rate_bpm=breath_rate_bpm, hr_swing_bpm=8.0, coherence=coherence, n_beats=100,
                      artifact_pct=0.0)


class Driver:
    """Ticks a session once a second with the given finger state and readings."""

    def __init__(self, **overrides: Any) -> None:
        config = load_config(overrides={"session": overrides} if overrides else None)
        self.config = config
        self.closed: list[dict[str, Any]] = []
        self.session = Session(config, on_closed=self.closed.append)
        self.t_s = 0.0

    def run(self, seconds: float, finger_on: bool = True, quality: float = 0.9, **kw: Any) -> None:
        end = self.t_s + seconds
        while self.t_s < end:
            self.t_s += 1.0
            self.session.tick(self.t_s, finger_on, quality, metrics(**kw))


def test_a_session_paces_from_the_measured_breathing_rate_after_settling() -> None:
    d = Driver()
    d.run(1)
    assert d.session.phase is Phase.SETTLING
    d.run(d.config.session.settle_s + 1)
    assert d.session.phase is Phase.PACING
    assert float(d.session.pattern.pacer.rate_bpm(d.t_s)) == pytest.approx(12.0, abs=0.1)
    d.run(60)  # then it glides toward the resonance rate, at most 1 breath/min per minute
    assert d.session.pattern.pacer.target_bpm == d.config.pacer.resonance_rate_per_min
    assert 11.0 - 1e-9 <= float(d.session.pattern.pacer.rate_bpm(d.t_s)) < 12.0


def test_poor_signal_keeps_it_settling() -> None:
    d = Driver()
    d.run(60, quality=0.2)
    assert d.session.phase is Phase.SETTLING


def test_without_a_breathing_estimate_it_starts_at_the_default_after_waiting() -> None:
    d = Driver()
    d.run(d.config.session.settle_s * 2, breath_rate_bpm=None)
    assert d.session.phase is Phase.SETTLING
    d.run(d.config.session.settle_s * 1.5, breath_rate_bpm=None)
    assert d.session.phase is Phase.PACING
    rate = float(d.session.pattern.pacer.rate_bpm(d.t_s))
    assert rate == pytest.approx(d.config.pacer.default_start_rate_per_min, abs=0.5)


def test_lifting_the_finger_pauses_then_resumes() -> None:
    d = Driver()
    d.run(30)
    assert d.session.phase is Phase.PACING
    d.run(d.config.session.pause_after_finger_off_s + 1, finger_on=False)
    assert d.session.phase is Phase.PAUSED
    d.run(d.config.session.fade_out_s + 1, finger_on=False)
    assert float(d.session.pattern.fade.level(d.t_s)) == pytest.approx(PAUSED_LEVEL)
    d.run(2)
    assert d.session.phase is Phase.PACING


def test_a_long_pause_closes_the_session_with_a_summary() -> None:
    d = Driver()
    d.run(120)
    d.run(d.config.session.pause_after_finger_off_s + d.config.session.close_after_pause_s + 2, finger_on=False)
    assert d.session.phase is Phase.CLOSING
    d.run(d.config.session.fade_out_s + 1, finger_on=False)
    assert d.session.phase is Phase.IDLE
    assert len(d.closed) == 1
    summary = d.closed[0]
    assert summary["session"] == 1
    assert summary["mean_hr_bpm"] == 65.0
    assert 95 <= summary["paced_s"] <= 110
    assert float(d.session.pattern.fade.level(d.t_s)) == 0.0


def test_a_session_closed_before_pacing_reports_no_rates() -> None:
    d = Driver()
    d.run(5)
    summary = d.session.close(d.t_s)
    assert summary is not None
    assert summary["paced_s"] == 0.0
    assert summary["pacer_start_rate_per_min"] is None and summary["pacer_end_rate_per_min"] is None
    assert summary["peak_coherence_ratio"] is None


def test_finger_lifted_while_settling_returns_to_idle_without_a_session() -> None:
    d = Driver()
    d.run(5)
    d.run(d.config.session.pause_after_finger_off_s + 1, finger_on=False)
    assert d.session.phase is Phase.IDLE
    assert d.closed == []


def test_close_at_shutdown_hands_over_the_summary_once() -> None:
    d = Driver()
    d.run(40)
    summary = d.session.close(d.t_s)
    assert summary is not None and d.closed == [summary]
    assert d.session.close(d.t_s) is None
    assert d.session.phase is Phase.IDLE


def test_sustained_coherence_makes_the_ring_glimmer() -> None:
    d = Driver()
    d.run(30, coherence=1.0)
    assert not d.session.pattern.glimmer
    d.run(d.config.session.glimmer_after_s - 5, coherence=5.0)
    assert not d.session.pattern.glimmer
    d.run(10, coherence=5.0)
    assert d.session.pattern.glimmer
    d.run(1, coherence=1.0)
    assert not d.session.pattern.glimmer


def test_night_mode_caps_light_and_sound() -> None:
    d = Driver()
    day = d.session.pattern
    d.session.set_night(True)
    night = d.session.pattern
    assert night.night and not day.night
    assert night.brightness_cap == d.config.night.brightness_cap
    assert night.volume_cap == pytest.approx(d.config.audio.volume * d.config.night.volume_cap)


@pytest.mark.parametrize(("now", "expected"), [
    (time(22, 0), True), (time(2, 0), True), (time(7, 0), False), (time(12, 0), False), (time(21, 29), False)])
def test_the_night_window_wraps_past_midnight(now: time, expected: bool) -> None:
    assert in_night(now, time(21, 30), time(7, 0)) is expected


def test_a_daytime_window_does_not_wrap() -> None:
    assert in_night(time(13, 0), time(12, 0), time(14, 0))
    assert not in_night(time(15, 0), time(12, 0), time(14, 0))
    assert not in_night(time(15, 0), time(12, 0), time(12, 0))


def test_a_session_started_by_hand_without_a_finger_ends_like_a_lifted_finger() -> None:
    d = Driver()
    d.run(10, finger_on=False)
    assert d.session.start_now(d.t_s) and d.session.phase is Phase.SETTLING
    assert not d.session.start_now(d.t_s), "one session at a time"
    d.run(d.config.session.pause_after_finger_off_s - 1, finger_on=False)
    assert d.session.phase is Phase.SETTLING, "the finger gets its usual grace"
    d.run(2, finger_on=False)
    assert d.session.phase is Phase.IDLE


def test_stop_by_hand_closes_with_a_fade_and_a_summary() -> None:
    d = Driver()
    d.run(40)
    assert d.session.phase is Phase.PACING
    assert d.session.stop_now(d.t_s) and d.session.phase is Phase.CLOSING
    d.run(d.config.session.fade_out_s + 1)
    assert d.session.phase is Phase.IDLE and len(d.closed) == 1
    assert not d.session.stop_now(d.t_s)


def test_a_new_target_turns_a_glide_under_way_toward_it() -> None:
    d = Driver()
    d.run(60)  # gliding from 12 toward 6
    d.session.set_target_rate(d.t_s, 5.0)
    assert d.session.target_rate_bpm == 5.0 and d.session.pattern.pacer.target_bpm == 5.0
    rate = float(d.session.pattern.pacer.rate_bpm(d.t_s))
    assert 11.0 - 1e-9 <= rate < 12.0, "no jump: the rate carries on from where it was"


def test_levels_and_night_mode_by_hand_reach_the_pattern() -> None:
    d = Driver()
    d.session.set_levels(brightness=0.5, volume=0.2)
    assert d.session.pattern.brightness_cap == 0.5 and d.session.pattern.volume_cap == pytest.approx(0.2)
    d.session.set_night_mode("on")
    night = d.config.night
    assert d.session.pattern.night and d.session.pattern.brightness_cap == pytest.approx(0.5 * night.brightness_cap)
    d.session.set_night(False)  # the schedule does not override a hand-set mode
    assert d.session.pattern.night
    d.session.set_night_mode("auto")
    assert not d.session.pattern.night
    with pytest.raises(ValueError):
        d.session.set_levels(brightness=1.5)


def test_after_a_stop_by_hand_the_next_session_waits_for_the_finger_to_be_lifted() -> None:
    d = Driver()
    d.run(40)
    d.session.stop_now(d.t_s)
    d.run(60)
    assert d.session.phase is Phase.IDLE
    d.run(2, finger_on=False)
    d.run(2)
    assert d.session.phase is Phase.SETTLING


class _ShortAssessment(ResonanceAssessment):
    """An assessment that is done after its first guidance update (the session's side is what is tested)."""

    updated = False

    def update(self, t_s: float, measured_breath_rate_bpm: float | None) -> Any:
        self.updated = True
        return super().update(t_s, measured_breath_rate_bpm)

    @property
    def done(self) -> bool:
        return self.updated


@pytest.mark.parametrize("ending", ["stop", "assessment done"])
def test_a_session_that_ends_while_the_finger_rests_opens_no_new_one_until_it_is_lifted(ending: str) -> None:
    d = Driver()
    if ending == "assessment done":
        d.session.run_assessment(_ShortAssessment())
    d.run(40)  # the assessment is done 5 s into pacing, and closes
    if ending == "stop":
        assert d.session.phase is Phase.PACING
        d.session.stop_now(d.t_s)
    d.run(60)
    assert d.session.phase is Phase.IDLE and len(d.closed) == 1
    d.run(2, finger_on=False)
    d.run(2)
    assert d.session.phase is Phase.SETTLING


def test_a_session_carrying_on_keeps_the_finger_held_off_and_what_was_set_by_hand() -> None:
    d = Driver()
    d.run(40)
    d.session.stop_now(d.t_s)
    d.session.set_night_mode("on")
    d.session.set_levels(brightness=0.3)
    d.run(30)
    assert d.session.phase is Phase.IDLE
    other = load_config(overrides={"pacer": {"resonance_rate_per_min": 5.0}})
    previous, d.session = d.session, Session(other, on_closed=d.closed.append)
    d.session.carry_on_from(previous)
    assert d.session.night_mode == "on" and d.session.brightness == 0.3 and d.session.target_rate_bpm == 5.0
    d.run(10)
    assert d.session.phase is Phase.IDLE, "the finger still rests: nothing starts"
    d.run(2, finger_on=False)
    d.run(2)
    assert d.session.phase is Phase.SETTLING and d.session.session_id == 2, "numbering carries on"
