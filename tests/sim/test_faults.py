"""Faults the device must survive, on the simulator's fast clock (the README's fault table points here):
the sensor NACKing, vanishing for 30 s, a different chip answering; the wall clock jumping hours either
way mid-session; a button's GPIO busy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gpiozero import Button

from device.app import GlimmerDevice, build_device
from device.config import Config, load_config
from device.home.household import Household
from device.home.people import add_person, new_person
from device.home.store import Store
from device.pacing.session import Phase
from device.publish import RecordingPublisher
from drivers.max30102_regs import PART_ID_MAX30102
from sim.max30102 import VirtualMax30102
from sim.world import SimWorld, build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)
FIGURES = ("t_s", "session_state", "session", "hr_bpm", "rmssd_ms", "coherence_ratio", "breath_rate_per_min",
           "pacer_rate_per_min", "pacer_phase", "signal_quality")


def make(config: Config | None = None,
         wall: Callable[[SimWorld], Callable[[], datetime]] | None = None) -> tuple[SimWorld, GlimmerDevice,
                                                                                   RecordingPublisher]:
    config = config or load_config()
    world = build_sim_world(config, silent=True, start_wall=NOON)
    if wall is not None:  # on the device the stamps come from the same wall clock
        world.hardware.wall_clock = world.hardware.stamp_clock = wall(world)
    seen = RecordingPublisher()
    return world, build_device(config, world.hardware, [seen]), seen


def between(seen: RecordingPublisher, t0: float, t1: float) -> list[dict[str, Any]]:
    return [p for p in seen.metrics_payloads if t0 < p["t_s"] <= t1]


def test_the_sensor_vanishing_for_30_s_pauses_the_session_which_then_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    world, glimmer, seen = make()
    caplog.set_level(logging.WARNING, logger="drivers.pulse_sensor")
    glimmer.run(until_s=120.0)
    session = glimmer.session.session_id
    assert glimmer.session.phase is Phase.PACING
    world.chip.vanish(30.0)
    glimmer.run(until_s=300.0)
    gone = between(seen, 125.0, 150.0)
    assert {p["sensor_status"] for p in gone} == {"lost"}
    assert all(p["hr_bpm"] is None and p["hr_reason"] == "sensor_lost" for p in gone)  # nothing old shown as new
    assert "paused" in {p["session_state"] for p in between(seen, 120.0, 160.0)}
    back = between(seen, 240.0, 300.0)
    assert {p["sensor_status"] for p in back} == {"ok"} and all(p["hr_bpm"] is not None for p in back)
    assert glimmer.session.phase is Phase.PACING and glimmer.session.session_id == session  # the same session
    assert len([r for r in caplog.records if "lost" in r.getMessage()]) == 1  # said once, not every retry
    glimmer.close()


def test_nack_bursts_cost_samples_not_the_session() -> None:
    world, glimmer, seen = make()
    glimmer.run(until_s=120.0)
    for k in range(12):  # a burst of 3 NACKed transfers every 10 s for two minutes
        world.chip.nack_next(3)
        glimmer.run(until_s=120.0 + 10.0 * (k + 1))
    glimmer.run(until_s=300.0)
    late = between(seen, 250.0, 300.0)
    assert all(p["hr_bpm"] is not None and p["session_state"] == "pacing" for p in late)
    assert glimmer.session.session_id == 1
    glimmer.close()


def test_a_different_chip_answering_is_refused_and_the_right_one_is_taken_back() -> None:
    world, glimmer, seen = make()
    glimmer.run(until_s=120.0)
    address = glimmer.config.sensor.i2c_address
    stranger = VirtualMax30102(world.person, world.clock, part_id=0x11)  # a MAX30100 at the same address
    world.bus.detach(address)
    world.bus.attach(address, stranger)
    glimmer.run(until_s=150.0)
    during = between(seen, 125.0, 150.0)
    assert {p["sensor_status"] for p in during} == {"lost"}
    assert all(p["hr_bpm"] is None for p in during)  # no figure from a chip we do not know
    assert glimmer.reading is not None and "0x11" in glimmer.reading.detail  # the status names the stranger
    world.bus.detach(address)
    world.bus.attach(address, world.chip)
    world.chip.power_cycle()
    glimmer.run(until_s=300.0)
    back = between(seen, 250.0, 300.0)
    assert {p["sensor_status"] for p in back} == {"ok"} and all(p["hr_bpm"] is not None for p in back)
    assert world.chip.peek(0xFF) == PART_ID_MAX30102
    glimmer.close()


JUMP_AT_S = 150.0


def _session_with_wall_jump(tmp_path: Path, jump_h: float) -> tuple[Any, ...]:
    """One stored session (finger on at 2 s, lifted at 250 s, closed a minute later) whose wall clock
    jumps by jump_h hours at JUMP_AT_S: (published figures, stored rows, summary, stored rows in full)."""
    store = Store(tmp_path / f"g{jump_h}.db")
    config = load_config(overrides={"night": {"enabled": False}})
    ann = add_person(store, new_person("Ann", config), NOON)
    household = Household(store, config, ann)

    def wall(world: SimWorld) -> Callable[[], datetime]:
        def now() -> datetime:
            t_s = world.clock.now_s()
            return NOON + timedelta(seconds=t_s, hours=jump_h if t_s >= JUMP_AT_S else 0.0)
        return now

    world, glimmer, seen = make(household.config_for(ann), wall)
    household.attach(glimmer, NOON)
    world.person.lift_finger(250.0, 3600.0)
    glimmer.run(until_s=330.0)
    glimmer.close()
    (row,) = store.sessions()
    assert row["status"] == "closed"
    stored = store.session_metrics(row["id"])
    store.close()
    return ([tuple(p[k] for k in FIGURES) for p in seen.metrics_payloads],
            [(m["t_s"], m["hr_bpm"], m["coherence_ratio"]) for m in stored], seen.summaries[0], stored)


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    return _session_with_wall_jump(tmp_path_factory.mktemp("steady"), 0.0)


@pytest.mark.parametrize("jump_h", [3.0, -3.0])  # NTP correcting the clock at boot, hours either way
def test_the_wall_clock_jumping_mid_session_changes_no_figure_and_no_stored_time(
        tmp_path: Path, steady: tuple[Any, ...], jump_h: float) -> None:
    """Pacing and measurement run on the monotonic clock: the same seed gives the same figures with and
    without the jump; stored rows keep their monotonic times (the wall time is only their label)."""
    jumped = _session_with_wall_jump(tmp_path, jump_h)
    assert jumped[0] == steady[0]  # every published figure, pacer rate and phase
    assert jumped[1] == steady[1]  # every stored row's monotonic time and figures
    assert jumped[2] == steady[2]  # the summary (durations from the monotonic clock)
    labels = [(m["t_s"], datetime.fromisoformat(m["at"])) for m in jumped[3]]
    before = [at for t_s, at in labels if t_s < JUMP_AT_S]
    after = [at for t_s, at in labels if t_s >= JUMP_AT_S]
    assert before and after and after[0] - before[-1] == timedelta(hours=jump_h, seconds=5.0)


def test_a_busy_button_gpio_leaves_the_device_running_without_that_button(caplog: pytest.LogCaptureFixture) -> None:
    config = load_config()
    world = build_sim_world(config, silent=True, start_wall=NOON)
    squatter = Button(config.buttons.main_gpio, pin_factory=world.pins)  # another program holds the pin
    caplog.set_level(logging.WARNING)
    seen = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [seen])
    glimmer.run(until_s=120.0)
    assert "no main button" in caplog.text
    assert all(button.name != "main button" for button, _ in glimmer.buttons)
    assert seen.metrics_payloads[-1]["session_state"] == "pacing" and seen.metrics_payloads[-1]["hr_bpm"] is not None
    glimmer.close()
    squatter.close()
