"""The together session on the device: two virtual people on two virtual MAX30102 (two VirtualI2CBus),
on the fast clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from device.config import Config, load_config
from tests.device.together.two_people import two_people


def _config(**sim: Any) -> Config:
    return load_config(overrides={"night": {"enabled": False}, "sim": {"seed": 3, **sim}})


def _last(payloads: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [p for p in payloads if all(p.get(k) == v for k, v in match.items())]
    assert found, f"no payload with {match}"
    return found[-1]


def test_both_fingers_on_make_a_together_session_with_both_readings_and_synchrony(tmp_path: Path) -> None:
    rig = two_people(tmp_path, _config())
    glimmer = rig.device
    glimmer.run(until_s=240.0)
    session = glimmer.session
    assert session.phase.value == "pacing" and session.together
    payloads = list(rig.recorded.metrics_payloads)
    last = payloads[-1]
    assert last["schema"] == 3 and last["together"] is True
    partner = last["partner"]
    assert partner["session"] == session.partner.session_id != last["session"]  # type: ignore[union-attr]
    assert last["hr_bpm"] is not None and partner["hr_bpm"] is not None
    assert abs(partner["hr_bpm"] - rig.person_b.params.mean_hr_bpm) < 10.0
    given = [p for p in payloads if p["synchrony"] is not None]
    assert given, "synchrony never given in 4 minutes"
    assert all(0.0 <= p["synchrony"] <= 1.0 and p["synchrony_reason"] is None for p in given)
    assert all(p["synchrony_lag_s"] is None or abs(p["synchrony_lag_s"]) < 5.0 for p in given)  # None: at the edge
    # Withheld ones say why.
    assert all(p["synchrony_reason"] is not None for p in payloads if p["synchrony"] is None)
    glimmer.close()
    a_summary, b_summary = rig.recorded.summaries[-2:]
    assert (a_summary["seat"], b_summary["seat"]) == ("person", "partner")
    assert a_summary["together_with"] == b_summary["session"] and b_summary["together_with"] == a_summary["session"]
    assert a_summary["mean_synchrony"] is not None and a_summary["mean_synchrony"] == b_summary["mean_synchrony"]
    assert b_summary["mean_hr_bpm"] is not None and b_summary["paced_s"] > 100


def test_sensor_b_vanishing_leaves_the_active_persons_session_running(tmp_path: Path) -> None:
    rig = two_people(tmp_path, _config())
    glimmer = rig.device
    glimmer.run(until_s=120.0)
    assert glimmer.session.together and glimmer.session.phase.value == "pacing"
    seen = len(rig.recorded.metrics_payloads)
    rig.chip_b.vanish(600.0)
    lost_at = rig.world.clock.now_s()
    t = lost_at
    while glimmer.partner_metrics is None or glimmer.partner_metrics.hr_reason != "sensor_lost":
        t += 0.1
        glimmer.run(until_s=t)
        assert t - lost_at <= 1.5, "the partner's figures were not withheld within 1.5 s"
    glimmer.run(until_s=200.0)
    after = list(rig.recorded.metrics_payloads)[seen:]
    assert after and all(p["partner"]["hr_bpm"] is None and p["partner"]["hr_reason"] == "sensor_lost"
                         and p["partner"]["sensor_status"] == "lost" for p in after)
    assert all(p["synchrony"] is None and p["synchrony_reason"] == "partner_hrv_withheld" for p in after)
    # The active person's session and readings go on.
    assert glimmer.session.phase.value == "pacing"
    assert all(p["session_state"] == "pacing" and p["hr_bpm"] is not None for p in after)


def test_the_active_persons_sensor_vanishing_leaves_the_partners_session_running(tmp_path: Path) -> None:
    rig = two_people(tmp_path, _config())
    glimmer = rig.device
    glimmer.run(until_s=120.0)
    seen = len(rig.recorded.metrics_payloads)
    rig.world.chip.vanish(600.0)
    glimmer.run(until_s=200.0)
    after = list(rig.recorded.metrics_payloads)[seen + 1:]
    assert glimmer.session.phase.value == "pacing" and glimmer.session.together
    assert all(p["hr_reason"] == "sensor_lost" and p["partner"]["hr_bpm"] is not None for p in after)


def test_a_finger_alone_on_sensor_b_is_the_active_persons_session_and_sensor_a_then_joins_as_partner(
        tmp_path: Path) -> None:
    rig = two_people(tmp_path, _config(finger_on_at_s=150.0), finger_b_at_s=2.0)  # A's finger lands at 150 s
    glimmer = rig.device
    glimmer.run(until_s=140.0)
    assert glimmer.channel_b is not None and glimmer.person_channel is glimmer.channel_b
    session = glimmer.session
    assert session.phase.value == "pacing" and not session.together
    last = rig.recorded.metrics_payloads[-1]
    assert last["session"] == session.session_id and last["finger_on"] and last["hr_bpm"] is not None
    assert abs(last["hr_bpm"] - rig.person_b.params.mean_hr_bpm) < 10.0  # sensor B's heart, the person's keys
    assert last["partner"]["finger_on"] is False and last["partner"]["session"] is None
    glimmer.run(until_s=175.0)
    assert session.together and glimmer.partner_channel is glimmer.channel_a
    last = rig.recorded.metrics_payloads[-1]
    assert last["partner"]["session"] == session.partner.session_id  # type: ignore[union-attr]
    # Back to idle: sensor A is the person's again.
    session.stop_now(glimmer.clock.now_s())
    rig.world.chip.lift_finger(30.0)
    rig.chip_b.lift_finger(30.0)
    glimmer.run(until_s=195.0)
    assert session.phase.value == "idle" and glimmer.person_channel is glimmer.channel_a


def test_a_second_finger_arriving_mid_session_joins_it(tmp_path: Path) -> None:
    rig = two_people(tmp_path, _config(), finger_b_at_s=150.0)
    glimmer = rig.device
    glimmer.run(until_s=140.0)
    session = glimmer.session
    assert session.phase.value == "pacing" and not session.together
    first = session.session_id
    glimmer.run(until_s=170.0)
    assert session.together and session.session_id == first and session.phase.value == "pacing"
    assert session.partner is not None and session.partner.pacing_started_s is not None
    assert rig.recorded.metrics_payloads[-1]["partner"]["session"] == session.partner.session_id


def test_the_active_person_lifting_leaves_the_partners_session_pacing(tmp_path: Path) -> None:
    rig = two_people(tmp_path, _config())
    glimmer = rig.device
    glimmer.run(until_s=120.0)
    rig.world.chip.lift_finger(120.0)
    glimmer.run(until_s=200.0)
    assert glimmer.session.phase.value == "pacing"
    last = rig.recorded.metrics_payloads[-1]
    assert last["hr_reason"] == "no_finger" and last["partner"]["hr_bpm"] is not None


def test_the_ring_shows_both_people_in_their_own_colours_during_a_together_session(tmp_path: Path) -> None:
    import numpy as np

    from device.pacing.session import DEFAULT_TOGETHER_COLOURS

    rig = two_people(tmp_path, _config())
    glimmer = rig.device
    glimmer.run(until_s=151.0)  # a session step after the metrics at 150 s: the look holds the newest figures
    look = glimmer.session.pattern.together
    assert look is not None and (look.colour_a, look.colour_b) == DEFAULT_TOGETHER_COLOURS
    assert look.synchrony == glimmer.synchrony.value
    assert look.coherence_a == (glimmer.session.person_seat.coherence_level or 0.0)  # type: ignore[union-attr]
    frame = rig.world.ring.latest()
    assert frame is not None
    n = glimmer.config.led.count
    half_a = np.asarray(frame[1:n // 2], dtype=float).mean(axis=0)  # LED 0 is the pilot light
    half_b = np.asarray(frame[n // 2 + 1:], dtype=float).mean(axis=0)
    assert half_a[0] > half_a[2] and half_b[2] > half_b[0]  # warm amber beside blue (R, G, B)
    glimmer.session.stop_now(glimmer.clock.now_s())
    glimmer.run(until_s=170.0)
    assert glimmer.session.pattern.together is None
