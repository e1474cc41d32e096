"""Buttons on gpiozero's MockFactory: presses held for a time on the device clock, debounced."""

from __future__ import annotations

import logging
import re
from datetime import datetime

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory

from device.app import build_device
from device.clock import SimClock
from device.config import load_config
from device.errors import InputError
from device.pacing.assessment import ResonanceAssessment
from device.pacing.session import Phase
from drivers.buttons import Press, PressButton, classify
from sim.world import build_sim_world


@pytest.mark.parametrize(("held_s", "kind"), [(0.05, Press.SHORT), (1.49, Press.SHORT), (1.5, Press.LONG),
                                              (4.9, Press.LONG), (5.0, Press.VERY_LONG), (60.0, Press.VERY_LONG)])
def test_a_hold_is_classified_by_its_length(held_s: float, kind: Press) -> None:
    assert classify(held_s, 1.5, 5.0) is kind


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(InputError):
        classify(1.0, 5.0, 1.5)


def hold(factory: MockFactory, clock: SimClock, gpio: int, held_s: float) -> None:
    pin = factory.pin(gpio)
    pin.drive_low()  # pressed: the button pulls the pin to ground
    clock.advance_to(clock.now_s() + held_s)
    pin.drive_high()


def test_presses_are_queued_for_the_main_loop_and_taken_once() -> None:
    factory, clock = MockFactory(), SimClock()
    with PressButton(17, clock, pin_factory=factory, bounce_s=0.0) as button:
        for held_s in (0.2, 2.0, 6.0):
            hold(factory, clock, 17, held_s)
        assert button.take() == [Press.SHORT, Press.LONG, Press.VERY_LONG]
        assert button.take() == []
    button.close()  # twice is fine


def test_contact_bounce_is_one_press() -> None:
    factory, clock = MockFactory(), SimClock()
    with PressButton(17, clock, pin_factory=factory, bounce_s=0.05) as button:
        pin = factory.pin(17)
        pin.drive_low()
        pin.drive_high()  # the contacts bounce: edges within the debounce time
        pin.drive_low()
        clock.advance_to(clock.now_s() + 0.3)
        pin.drive_high()
        clock.advance_to(clock.now_s() + 0.01)
        pin.drive_low()  # and bounce on release
        pin.drive_high()
        presses = button.take()
    assert presses == [Press.SHORT]


def _device(second_gpio: int = -1):  # type: ignore[no-untyped-def]
    config = load_config(overrides={"buttons": {"second_gpio": second_gpio, "bounce_ms": 0.0}})
    world = build_sim_world(config, silent=True, start_wall=datetime(2026, 6, 1, 12, 0))
    return world, build_device(config, world.hardware)


def test_a_short_press_ends_the_session_and_a_very_long_one_starts_an_assessment() -> None:
    # Ended by the button, the session does not start again on the finger still there; the very
    # long press starts the next one, as an assessment.
    world, glimmer = _device()
    glimmer.run(until_s=60.0)
    assert glimmer.session.phase is Phase.PACING
    world.pins.pin(17).drive_low()
    glimmer.run(until_s=60.3)
    world.pins.pin(17).drive_high()
    glimmer.run(until_s=80.0)
    assert glimmer.session.phase is Phase.IDLE and glimmer.session.last_summary is not None
    world.pins.pin(17).drive_low()
    glimmer.run(until_s=86.0)  # held 6 s
    world.pins.pin(17).drive_high()
    glimmer.run(until_s=120.0)
    assert glimmer.session.assessment is not None
    assert glimmer.session.phase in (Phase.SETTLING, Phase.PACING)
    glimmer.close()


def test_a_long_press_shows_the_next_persons_colour_on_the_ring() -> None:
    world, glimmer = _device(second_gpio=27)
    glimmer.next_person = lambda: "#ff0000"
    glimmer.run(until_s=5.0)
    world.pins.pin(27).drive_low()  # the second button's long press does the same as the main one's
    glimmer.run(until_s=7.0)
    world.pins.pin(27).drive_high()
    glimmer.run(until_s=7.5)
    flash = world.ring.latest()
    assert flash is not None
    assert (flash[:, 0] > 0).all() and (flash[:, 1] == 0).all() and (flash[:, 2] == 0).all()
    glimmer.run(until_s=10.0)  # after the flash, the ring shows the device's state again
    rgb = world.ring.latest()
    assert rgb is not None and not np.array_equal(rgb, flash)
    glimmer.close()


def test_a_key_in_the_live_view_presses_the_simulated_button() -> None:
    from sim.keys import KeyPresser

    world, glimmer = _device()
    presser = KeyPresser(world.pins, glimmer.config)
    world.hardware.on_frame.append(presser.on_frame)
    glimmer.run(until_s=60.0)
    assert glimmer.session.phase is Phase.PACING
    presser.key(" ")  # space: a short press, held 0.2 s on the simulated clock
    glimmer.run(until_s=61.0)
    assert glimmer.session.phase is Phase.IDLE
    presser.key("a")  # a: a very long press
    glimmer.run(until_s=90.0)
    assert glimmer.session.assessment is not None
    glimmer.close()


def test_a_very_long_press_during_a_session_makes_the_next_one_an_assessment(
        caplog: pytest.LogCaptureFixture) -> None:
    from sim.keys import KeyPresser

    world, glimmer = _device()
    presser = KeyPresser(world.pins, glimmer.config)
    world.hardware.on_frame.append(presser.on_frame)
    glimmer.run(until_s=60.0)
    assert glimmer.session.phase is Phase.PACING
    first = glimmer.session.session_id
    with caplog.at_level(logging.WARNING, logger="device.app"):
        presser.key("a")  # a very long press while pacing: said where the person sees it (WARNING)
        glimmer.run(until_s=70.0)
    assert any(r.levelno == logging.WARNING and "next session will be a resonance assessment" in r.getMessage()
               for r in caplog.records)
    assert glimmer.session.phase is Phase.PACING and glimmer.session.session_id == first  # this one runs on
    assert not isinstance(glimmer.session.guide, ResonanceAssessment)
    presser.key(" ")  # ends it
    glimmer.run(until_s=72.0)
    assert glimmer.session.phase is Phase.IDLE
    presser.key(" ")  # idle: lets the next one start on the finger still there
    glimmer.run(until_s=130.0)
    assert glimmer.session.session_id != first and glimmer.session.phase is Phase.PACING
    assert isinstance(glimmer.session.guide, ResonanceAssessment)  # the next one is the assessment
    glimmer.close()


def test_the_view_and_the_ring_show_the_assessments_progress() -> None:
    from device.pacing.assessment import AssessmentPlan
    from sim.view import status_lines

    world, glimmer = _device()
    glimmer.start_assessment(AssessmentPlan(step_s=60.0, settle_s=20.0, lead_in_s=0.0))  # no lead-in here
    glimmer.run(until_s=130.0)  # pacing since under a minute in: one step of 60 s done
    line = [x for x in status_lines(glimmer, 130.0) if x.startswith("resonance assessment")]
    # (a step not followed is repeated: 5 or 6 steps planned by now)
    assert len(line) == 1 and re.fullmatch(r"resonance assessment: 1 of [56] steps done, now \d\.\d/min", line[0])
    rgb = world.ring.latest()
    assert rgb is not None
    # 1 of 5 steps: the first 3 of 16 LEDs carry the warm progress mark (red above blue), the rest not.
    assert (rgb[:3, 0] > 0).all()
    glimmer.close()


def test_idle_a_long_press_shows_the_colour_at_the_wakeup_that_takes_it() -> None:
    # Idle, the dark ring's frame task runs once a second; a press runs it at once (Scheduler.run_soon).
    config = load_config(overrides={"buttons": {"bounce_ms": 0.0}, "sim": {"finger_on_at_s": 3600.0}})
    world = build_sim_world(config, silent=True, start_wall=datetime(2026, 6, 1, 12, 0))
    glimmer = build_device(config, world.hardware)
    glimmer.next_person = lambda: "#00ff00"
    glimmer.run(until_s=20.0)
    assert glimmer.session.phase is Phase.IDLE
    world.pins.pin(17).drive_low()
    glimmer.run(until_s=22.0)
    world.pins.pin(17).drive_high()  # a long press, released at 22.0 s
    glimmer.run(until_s=22.2)  # the buttons' next look (every 200 ms idle), not the frame's next second
    flash = world.ring.latest()
    assert flash is not None and (flash[:, 1] > 0).all() and (flash[:, 0] == 0).all()
    glimmer.close()
