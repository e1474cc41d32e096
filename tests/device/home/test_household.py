"""The household at a running device: a person's settings take effect on the decoded ring the moment they
are chosen (by the button or by command), the active person survives a restart, and the device's session
numbers are the store's ids."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest

from device.app import GlimmerDevice, build_device
from device.cli_home import run_household
from device.config import Config, load_config
from device.home.commands import Command
from device.home.household import Household
from device.home.people import Person, add_person, new_person, remove_person
from device.home.store import Store
from device.pacing.session import Phase
from sim.world import SimWorld, build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)
NIGHT = datetime(2026, 6, 1, 23, 0)
COLOUR = "#ff8000"  # everyone the same colour, so only their brightness tells their flashes apart


def household(tmp_path: Path, **bob: float) -> tuple[Store, Config, Person, Person]:
    store = Store(tmp_path / "g.db")
    config = load_config()
    ann = add_person(store, new_person("Ann", config, colour=COLOUR, brightness=1.0, night_brightness_cap=1.0), NOON)
    bob_person = add_person(store, new_person("Bob", config, colour=COLOUR, **bob), NOON)
    return store, config, ann, bob_person


def device(store: Store, config: Config, active: Person | None, start: datetime,
           finger_at_s: float = 3600.0) -> tuple[SimWorld, GlimmerDevice, Household]:
    """The simulated device with the household attached; nobody's finger on the sensor until finger_at_s."""
    home = Household(store, config, active)
    config = home.config_for(active)
    world = build_sim_world(config, silent=True, start_wall=start, stamp_clock=lambda: NOON)
    if finger_at_s > 0:
        world.person.lift_finger(0.0, finger_at_s)
    glimmer = build_device(config, world.hardware)
    home.attach(glimmer, NOON)
    return world, glimmer, home


def long_press(world: SimWorld, glimmer: GlimmerDevice) -> None:
    pin = world.pins.pin(glimmer.config.buttons.main_gpio)
    now = world.clock.now_s()
    pin.drive_low()
    glimmer.run(until_s=now + 2.0)  # held 2 s: a long press
    pin.drive_high()


def flash_drive(world: SimWorld, glimmer: GlimmerDevice) -> float:
    """The brightest channel the decoded ring shows shortly after a person was chosen."""
    glimmer.run(until_s=world.clock.now_s() + 1.0)
    rgb = world.ring.latest()
    assert rgb is not None
    assert (rgb[:, 0] > 0).all() and (rgb[:, 2] == 0).all(), rgb  # the orange flash, on every LED
    return float(rgb.max())


@pytest.mark.parametrize(("start", "bob", "perceived"), [
    (NOON, {"brightness": 0.3}, False),                                # by day, their brightness (drive limit)
    (NIGHT, {"brightness": 1.0, "night_brightness_cap": 0.2}, True),   # at night, their night cap (of the light)
])
def test_a_long_press_puts_the_next_persons_brightness_on_the_ring_at_once(
        tmp_path: Path, start: datetime, bob: dict[str, float], perceived: bool) -> None:
    store, config, ann, _ = household(tmp_path, **bob)
    world, glimmer, home = device(store, config, ann, start)
    glimmer.run(until_s=5.0)
    # A guest (after the last person) has the household's settings; step round to Ann, then to Bob.
    long_press(world, glimmer)  # -> Bob
    bob_drive = flash_drive(world, glimmer)
    assert home.active is not None and home.active.name == "Bob"
    glimmer.run(until_s=world.clock.now_s() + 3.0)
    long_press(world, glimmer)  # -> a guest
    glimmer.run(until_s=world.clock.now_s() + 3.0)
    long_press(world, glimmer)  # -> Ann again
    ann_drive = flash_drive(world, glimmer)
    assert home.active is not None and home.active.name == "Ann"
    # Drive is 255 x limit x level^gamma: Bob's brightness limits the drive, his night cap the level.
    attenuation = bob["night_brightness_cap"] ** config.led.gamma if perceived else bob["brightness"]
    assert bob_drive == pytest.approx(attenuation * ann_drive, abs=2.0)
    assert glimmer.led is not None
    glimmer.close()


def test_a_person_chosen_by_command_takes_effect_on_the_ring_and_a_session_keeps_its_person(tmp_path: Path) -> None:
    store, config, ann, _ = household(tmp_path, brightness=0.25)
    world, glimmer, home = device(store, config, ann, NOON, finger_at_s=20.0)
    glimmer.run(until_s=5.0)
    glimmer.apply_command(Command("person", {"person": "Bob"}, None))
    bob_drive = flash_drive(world, glimmer)
    glimmer.run(until_s=world.clock.now_s() + 3.0)
    glimmer.apply_command(Command("person", {"person": "Ann"}, None))
    ann_drive = flash_drive(world, glimmer)
    assert bob_drive == pytest.approx(0.25 * ann_drive, abs=2.0)
    # During a session the person stays who they were: a long press changes nobody and shows nothing.
    glimmer.run(until_s=45.0)  # the finger came back at 20 s: a session
    assert glimmer.session.phase is not Phase.IDLE
    long_press(world, glimmer)
    assert home.active is not None and home.active.name == "Ann"
    assert glimmer._flash is None or glimmer._flash[0] < world.clock.now_s() - 1.0
    glimmer.close()


def test_the_active_person_is_kept_across_restarts(tmp_path: Path) -> None:
    config = load_config(overrides={"store": {"path": str(tmp_path / "g.db")}})
    first = run_household(config)
    assert first is not None and first.active is None  # nobody yet: a guest
    ann = add_person(first.store, new_person("Ann", config), NOON)
    add_person(first.store, new_person("Cy", config), NOON)
    first.store.close()

    def restart() -> Household:
        home = run_household(config)
        assert home is not None
        return home

    home = restart()
    assert home.active is not None and home.active.id == ann.id  # never chosen: the first person
    home.next_person()  # Cy
    home.store.close()
    home = restart()
    assert home.active is not None and home.active.name == "Cy"
    home.next_person()  # a guest
    home.store.close()
    home = restart()
    assert home.active is None  # a guest stays a guest
    home.choose("Cy")
    remove_person(home.store, "Cy", forget=False, at=NOON)
    home.store.close()
    home = restart()
    assert home.active is None  # a removed person is active no more
    home.store.close()  # (and lets go of the store's device lock: one device process per store)
    home = restart()
    home.choose("Ann")
    remove_person(home.store, "Ann", forget=True, at=NOON)
    home.store.close()
    assert restart().active is None  # nor a forgotten one


def test_the_device_numbers_its_sessions_by_the_store_ids(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store, config, ann, _ = household(tmp_path)
    for _ in range(3):  # three sessions from before
        store.open_session(1, NOON)
    _world, glimmer, _home = device(store, config, ann, NOON, finger_at_s=0.0)
    caplog.set_level(logging.INFO, logger="device.pacing.session")
    glimmer.run(until_s=60.0)
    glimmer.close()
    rows = store.sessions()
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert "session 4: settling" in caplog.text and "session 1:" not in caplog.text
    assert rows[-1]["status"] == "closed" and rows[-1]["duration_s"] > 30
