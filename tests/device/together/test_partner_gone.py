"""A partner who leaves (finger lifted, or sensor B lost) while not following does not hold the shared pacer
for the person left behind; while gone their `following` is withheld and their time is not counted as paced
(a fresh-clone tester found the pacer held for good, B's `following` stale and B's paced time counted)."""

from __future__ import annotations

import pytest

from device.app import GlimmerDevice, build_device
from device.config import load_config
from device.publish import RecordingPublisher
from sim.world import SimWorld, build_sim_world

GONE_AT_S = 200.0


def _together(**sim: object) -> tuple[SimWorld, GlimmerDevice, RecordingPublisher]:
    """Two simulated people (seed 1, these sim settings), metrics every 10 s, run to GONE_AT_S."""
    config = load_config(overrides={"night": {"enabled": False}, "metrics": {"period_s": 10.0},
                                    "sim": {"seed": 1, "people": 2, **sim}})
    world = build_sim_world(config, silent=True)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    glimmer.run(until_s=GONE_AT_S)
    return world, glimmer, recorder


@pytest.mark.parametrize("how", ["lifted", "sensor_lost"])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_a_partner_who_leaves_while_not_following_does_not_hold_the_pacer(how: str) -> None:
    world, glimmer, recorder = _together(partner_compliance=0.0)
    held = [p for p in recorder.metrics_payloads if p["t_s"] > GONE_AT_S - 60.0]
    assert held and all(p["partner"]["following"] is False for p in held)  # B ignores the light: the pacer waits
    assert held[-1]["pacer_rate_per_min"] > 10.0
    if how == "lifted":
        world.partner.lift_finger(GONE_AT_S, 1e6)
    else:
        world.partner_chip.vanish(1e6)
    glimmer.run(until_s=900.0)
    gone = [p for p in recorder.metrics_payloads if p["t_s"] > GONE_AT_S + 10.0]
    assert all(p["partner"]["hr_reason"] in ("no_finger", "sensor_lost") for p in gone)
    assert all(p["partner"]["following"] is None for p in gone)  # withheld with the figures
    assert all(p["session_state"] == "pacing" for p in gone)  # A's session goes on...
    assert gone[-1]["pacer_rate_per_min"] < 7.0  # ...and A is paced toward resonance again
    summary = glimmer.session.close(glimmer.clock.now_s())
    glimmer.close()
    assert summary is not None
    partner = glimmer.session.last_partner_summary
    assert partner is not None and partner["paced_s"] <= GONE_AT_S - partner["started_t_s"] + 15.0  # not the time away


@pytest.mark.parametrize("how", ["lifted", "sensor_lost"])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_the_person_on_sensor_a_leaving_while_not_following_does_not_hold_the_pacer(how: str) -> None:
    """The same on the other side (a second tester): A ignores the light and goes; B, following, is paced on."""
    world, glimmer, recorder = _together(compliance=0.0, natural_breath_rate_per_min=17.0, partner_compliance=1.0)
    held = [p for p in recorder.metrics_payloads if p["t_s"] > GONE_AT_S - 60.0]
    assert held and all(p["following"] is False for p in held) and held[-1]["pacer_rate_per_min"] > 10.0
    if how == "lifted":
        world.person.lift_finger(GONE_AT_S, 1e6)
    else:
        world.chip.vanish(1e6)
    glimmer.run(until_s=900.0)
    gone = [p for p in recorder.metrics_payloads if p["t_s"] > GONE_AT_S + 10.0]
    assert all(p["hr_reason"] in ("no_finger", "sensor_lost") and p["following"] is None for p in gone)
    assert all(p["session_state"] == "pacing" for p in gone)
    assert gone[-1]["pacer_rate_per_min"] < 7.0
    summary = glimmer.session.close(glimmer.clock.now_s())
    glimmer.close()
    assert summary is not None and summary["paced_s"] <= GONE_AT_S - summary["started_t_s"] + 15.0  # not the time away


def test_a_partner_back_after_a_short_lift_who_was_not_following_is_waited_for_again() -> None:
    """Away is not a reset: one who did not follow before a 3 s lift is waited for again once back."""
    world, glimmer, recorder = _together(partner_compliance=0.0)
    rate_before = recorder.metrics_payloads[-1]["pacer_rate_per_min"]
    world.partner.lift_finger(GONE_AT_S, 3.0)
    glimmer.run(until_s=GONE_AT_S + 120.0)
    glimmer.close()
    back = [p for p in recorder.metrics_payloads if p["t_s"] > GONE_AT_S + 15.0]
    assert all(p["partner"]["following"] is not True for p in back)
    assert back[-1]["pacer_rate_per_min"] > rate_before - 1.0  # held, not glided away for one who never follows


@pytest.mark.parametrize("how", ["lifted", "sensor_lost"])
def test_a_partner_who_leaves_while_the_session_settles_leaves_it_the_persons_own(how: str) -> None:
    """B joins as the session opens and goes for good before pacing starts (a tester: the session was still
    paced together toward the mean of both resonance rates, with a row for B at 0 s paced). Now A's session
    goes on as A's own, toward A's resonance rate, and B's seat is gone."""
    config = load_config(overrides={"night": {"enabled": False}, "metrics": {"period_s": 5.0},
                                    "sim": {"seed": 1, "people": 2}})
    world = build_sim_world(config, silent=True)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    glimmer.run(until_s=14.0)
    assert glimmer.session.phase.value == "settling" and glimmer.session.together  # B has joined
    if how == "lifted":
        world.partner.lift_finger(15.0, 1e6)
    else:
        world.partner_chip.vanish(1e6)
    glimmer.run(until_s=240.0)
    late = [p for p in recorder.metrics_payloads if p["t_s"] > 200.0]
    assert late and all(p["session_state"] == "pacing" for p in late)
    assert not glimmer.session.together
    assert glimmer.session.target_rate_bpm == pytest.approx(config.pacer.resonance_rate_per_min)  # A's own
    assert all(p["partner"]["session"] is None and p["together"] is False for p in late)
    assert all(p["pacer_target_per_min"] == pytest.approx(config.pacer.resonance_rate_per_min) for p in late)
    summary = glimmer.session.close(glimmer.clock.now_s())
    glimmer.close()
    assert summary is not None and summary["together_with"] is None
    assert glimmer.session.last_partner_summary is None
