"""Pacer guidance: starts near the person's rate, glides toward resonance no faster than they can follow,
waits for them when they do not follow, and never makes the pacer jump."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest

from device.errors import InputError
from device.pacing.guide import GuideSettings, PacerGuide
from patterns.state import PacerSnapshot
from sim.person import PersonParams, SimulatedPerson
from tests.sim.test_person import Bedside

UPDATE_S = 5.0
ESTIMATE_LAG_S = 30.0


Shown = list[tuple[float, PacerSnapshot]]  # each snapshot the guide returned, with the time it did


def run_guide(
    guide: PacerGuide, minutes: float, measured: Callable[[float, Shown], float | None]
) -> Shown:
    """Start at 12/min, then update every UPDATE_S with `measured(t, shown so far)`."""
    shown = [(0.0, guide.start(0.0, 12.0))]
    for t in np.arange(UPDATE_S, minutes * 60 + 1e-9, UPDATE_S):
        shown.append((float(t), guide.update(float(t), measured(float(t), shown))))
    return shown


def pacer_rate_at(shown: Shown, t: float) -> float:
    """The rate the pacer showed at t, from the snapshot that was showing then."""
    snap = [s for t0, s in shown if t0 <= t][-1]
    return float(snap.rate_bpm(t))


def lagging_follower(t: float, shown: Shown) -> float:
    """A person who breathes exactly with the pacer, seen through an estimate ESTIMATE_LAG_S behind."""
    return pacer_rate_at(shown, max(t - ESTIMATE_LAG_S, 0.0))


def test_starts_near_the_measured_rate_at_the_start_of_an_in_breath() -> None:
    snap = PacerGuide().start(100.0, 12.0)
    assert abs(float(snap.rate_bpm(100.0)) - 12.0) <= 1.0
    assert float(snap.phase_cycles(100.0)) == 0.0


def test_starts_at_the_default_without_a_plausible_estimate_and_clamps_to_the_start_range() -> None:
    settings = GuideSettings(default_start_rate_per_min=9.0)
    assert float(PacerGuide(settings).start(0.0, None).rate_bpm(0.0)) == 9.0
    assert float(PacerGuide(settings).start(0.0, 30.0).rate_bpm(0.0)) == 9.0  # not a breathing rate at rest
    assert float(PacerGuide(settings).start(0.0, 2.0).rate_bpm(0.0)) == 9.0
    assert float(PacerGuide(settings).start(0.0, 4.2).rate_bpm(0.0)) == 4.5
    assert float(PacerGuide(settings).start(0.0, 22.0).rate_bpm(0.0)) == 20.0


@pytest.mark.parametrize("breath_per_min", [12.0, 14.0, 16.0, 18.0, 20.0])
def test_a_spontaneous_breather_gets_a_start_at_their_own_rate(breath_per_min: float) -> None:
    assert float(PacerGuide().start(0.0, breath_per_min).rate_bpm(0.0)) == pytest.approx(breath_per_min)


def test_glides_to_resonance_no_faster_than_allowed_with_a_person_who_follows() -> None:
    guide = PacerGuide(GuideSettings(resonance_rate_per_min=6.0, max_glide_per_min_per_min=1.0))
    shown = run_guide(guide, 10.0, lagging_follower)
    t = np.arange(0.0, 600.0, 0.5)
    rates = np.array([pacer_rate_at(shown, x) for x in t])
    slope_bpm_per_min = np.abs(np.diff(rates)) / 0.5 * 60.0
    assert slope_bpm_per_min.max() <= 1.0 + 1e-9
    assert rates[0] == pytest.approx(12.0)
    assert guide.reached_target and rates[-1] == pytest.approx(6.0)
    assert guide.following
    # 6 breaths/min of glide at 1 per minute, plus the settling at the start: done well within 10 min.
    first_at_target = t[np.argmax(np.isclose(rates, 6.0))]
    assert first_at_target <= 6 * 60 + guide.settings.settle_s + UPDATE_S


def test_phase_and_rate_are_continuous_across_every_update() -> None:
    guide = PacerGuide()

    def measured(t: float, shown: Shown) -> float:
        """Follows for a while, then stops matching, then catches up again."""
        return 12.0 if 120.0 <= t < 240.0 else lagging_follower(t, shown)

    shown = run_guide(guide, 8.0, measured)
    changes = [(t, after) for (_, before), (t, after) in itertools.pairwise(shown) if after is not before]
    assert any(s.slope_bpm_per_s == 0.0 for _, s in changes), "the glide should have been held"
    assert len(changes) >= 3, "glide, hold, glide again"
    for (_, before), (t, after) in itertools.pairwise(shown):
        assert float(after.phase_cycles(t)) == pytest.approx(float(before.phase_cycles(t)), abs=1e-9)
        assert float(after.rate_bpm(t)) == pytest.approx(float(before.rate_bpm(t)), abs=1e-9)


def test_holds_the_glide_while_the_person_does_not_follow_and_resumes_when_they_catch_up() -> None:
    settings = GuideSettings(follow_grace_s=20.0, follow_tolerance_per_min=1.5)
    guide = PacerGuide(settings)
    guide.start(0.0, 12.0)
    following_log = []
    for t in np.arange(5.0, 185.0, 5.0):  # the person stays at 12/min while the pacer moves on
        guide.update(float(t), 12.0)
        following_log.append((float(t), guide.following))
    assert not guide.following
    held_rate = float(guide.snapshot.rate_bpm(180.0))
    assert held_rate < 12.0 - settings.follow_tolerance_per_min, "the glide went beyond the tolerance first"
    for t in np.arange(185.0, 300.0, 5.0):
        guide.update(float(t), 12.0)
    assert float(guide.snapshot.rate_bpm(300.0)) == pytest.approx(held_rate), "the glide must wait"
    # Not following is only declared after the grace time of mismatch.
    first_false = next(t for t, f in following_log if not f)
    assert first_false >= settings.follow_grace_s
    # They catch up: the glide resumes toward resonance.
    guide.update(305.0, held_rate + 0.2)
    guide.update(310.0, held_rate + 0.2)
    assert guide.following
    assert float(guide.snapshot.rate_bpm(400.0)) < held_rate


def test_missing_estimates_change_nothing() -> None:
    guide = PacerGuide()
    guide.start(0.0, 12.0)
    guide.update(60.0, 12.0)
    before = guide.snapshot
    for t in (65.0, 70.0, 75.0):
        assert guide.update(t, None) is before
    assert guide.following


def test_does_not_move_when_starting_at_the_target() -> None:
    guide = PacerGuide(GuideSettings(resonance_rate_per_min=6.0))
    guide.start(0.0, 6.0)
    snap = guide.update(60.0, 6.0)
    assert float(snap.rate_bpm(600.0)) == 6.0 and guide.reached_target


@pytest.mark.parametrize(
    ("name", "value"),
    [("resonance_rate_per_min", 8.0), ("resonance_rate_per_min", 4.0), ("max_glide_per_min_per_min", 0.0),
     ("follow_tolerance_per_min", float("nan")), ("default_start_rate_per_min", 20.0)],
)
def test_settings_out_of_bounds_are_refused_naming_the_field(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        GuideSettings(**{name: value})  # type: ignore[arg-type]


def test_time_going_back_or_updating_before_start_is_refused() -> None:
    guide = PacerGuide()
    with pytest.raises(RuntimeError):
        guide.update(1.0, 12.0)
    guide.start(10.0, 12.0)
    guide.update(20.0, 12.0)
    with pytest.raises(InputError):
        guide.update(15.0, 12.0)


def test_a_simulated_person_is_guided_to_resonance_without_the_glide_ever_waiting() -> None:
    bedside = Bedside(SimulatedPerson(PersonParams.from_seed(2, natural_breath_rate_per_min=12.0), seed=2))
    bedside.live_until(40.0)
    guide = PacerGuide()
    pacer = guide.start(40.0, float(bedside.person.breath_rate_bpm_at(10.0, window_s=60.0)))
    assert float(pacer.rate_bpm(40.0)) == pytest.approx(12.0, abs=1.0)
    for t in np.arange(45.0, 640.0, UPDATE_S):
        bedside.live_until(float(t), pacer)
        # What the HRV pipeline would report: the breathing rate of the last 30 s, known 30 s late.
        estimate = float(bedside.person.breath_rate_bpm_at(float(t) - ESTIMATE_LAG_S, window_s=30.0))
        pacer = guide.update(float(t), estimate)
        assert guide.following
    assert guide.reached_target
    assert bedside.person.breath_rate_bpm_at(620.0, window_s=30.0) == pytest.approx(6.0, abs=0.5)
