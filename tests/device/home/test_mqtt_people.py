"""Choosing who is at the device over MQTT, with the household store: choosing only chooses (no session
starts), the guest is `{"person": null}`, an opaque id chooses as well as a name, and Home Assistant's
person select and sensor show exactly what `state` says under each privacy setting."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
import pytest

from device.app import GlimmerDevice
from device.errors import StoreError
from device.home.discovery import discovery_configs, guest_label
from device.home.household import Household
from device.home.messages import Person, person_label
from device.home.mqtt import PEOPLE_CHECK_S
from device.home.people import add_person, new_person
from device.home.store import Store
from device.payload import SCHEMA_VERSION
from sim.world import SimWorld
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, sim_device, wait_connected

BASE = "glimmer/bedside"
NOON = datetime(2026, 6, 1, 12, 0)
PREFIX = "homeassistant"


@dataclass
class Rig:
    glimmer: GlimmerDevice
    world: SimWorld
    household: Household
    sub: Subscriber

    def send(self, name: str, body: dict) -> dict:
        """One command, answered (the device's loop does not run meanwhile: nothing else changes)."""
        self.sub.client.publish(f"{BASE}/cmd/{name}", json.dumps(body).encode(), qos=1)
        link = self.glimmer.mqtt
        assert link is not None
        got = self.sub.take(lambda ms: any(m.topic == f"{BASE}/result" for m in ms), pump=link.poll)
        return json.loads(next(m for m in got if m.topic == f"{BASE}/result").payload)


def _rig(tmp_path: Path, broker: Mosquitto, privacy: str, people: tuple[str, ...] = ("Ann", "Bo")) -> Rig:
    config = mqtt_config(tmp_path, broker.port, privacy=privacy)
    store = Store(tmp_path / "household.db")
    for name in people:
        add_person(store, new_person(name, config), NOON)
    household = Household(store, config)
    glimmer, world = sim_device(tmp_path, config)
    household.attach(glimmer, NOON)
    sub = Subscriber(broker.port, [f"{BASE}/result"])
    wait_connected(glimmer)
    return Rig(glimmer, world, household, sub)


@pytest.fixture
def rig(tmp_path: Path, broker: Mosquitto) -> Iterator[Rig]:
    r = _rig(tmp_path, broker, "name")
    yield r
    r.glimmer.close()
    r.sub.close()
    r.household.store.close()


pytestmark = pytest.mark.broker


@pytest.mark.parametrize("choice", ["Ann", None, "next_person"])
def test_choosing_a_person_on_an_idle_device_with_a_finger_on_starts_nothing(rig: Rig, choice: str | None) -> None:
    """A session starts by `start`, a button, or a finger placed on the sensor; choosing someone (by
    command, the guest, or the button's long press) only chooses, even with a finger resting there."""
    g = rig.glimmer
    g.run(until_s=10.0)  # the finger landed at 2 s: settling
    assert g.session.phase.value == "settling" and g.finger_on
    assert rig.send("stop", {})["ok"]
    g.run(until_s=20.0)  # closed; the finger still rests on the sensor
    assert g.session.phase.value == "idle" and g.finger_on
    if choice == "next_person":
        g.act("next_person", g.clock.now_s())
        chosen = rig.household.active
        assert chosen is not None and chosen.name == "Ann"
    else:
        reply = rig.send("person", {"person": choice})
        assert reply["ok"] is True, reply
        assert (rig.household.active.name if rig.household.active else None) == choice
    g.run(until_s=40.0)
    assert g.session.phase.value == "idle", "choosing only chose"
    assert rig.send("start", {})["ok"], "a start command starts one"
    g.run(until_s=41.0)
    assert g.session.phase.value == "settling"


def test_after_choosing_a_finger_placed_again_starts_the_chosen_persons_session(rig: Rig) -> None:
    g = rig.glimmer
    g.run(until_s=10.0)
    assert rig.send("stop", {})["ok"]
    g.run(until_s=20.0)
    assert rig.send("person", {"person": "Bo"})["ok"]
    rig.world.person.lift_finger(25.0, 5.0)  # lifted and placed again at 30 s
    g.run(until_s=29.0)
    assert g.session.phase.value == "idle"
    g.run(until_s=45.0)
    assert g.session.phase.value in ("settling", "pacing") and rig.household.active is not None
    assert rig.household.active.name == "Bo"


def test_the_guest_is_chosen_with_null_and_refusals_change_nothing(rig: Rig) -> None:
    assert rig.send("person", {"person": "Ann"})["ok"]
    refused = [rig.send("person", {"person": "Nobody"}), rig.send("person", {"person": 7}),
               rig.send("person", {})]
    assert [r["error"]["code"] for r in refused] == ["unknown_person", "wrong_type", "missing_field"]
    assert rig.household.active is not None and rig.household.active.name == "Ann"
    assert rig.send("person", {"person": None, "id": "g"}) == {"kind": "result", "schema": SCHEMA_VERSION,
                                                               "command": "person", "ok": True, "id": "g"}
    assert rig.household.active is None and rig.glimmer.current_person is None
    assert rig.household.recorder is not None and rig.household.recorder.person_id is None, "a guest is not stored"


@pytest.mark.parametrize("privacy", ["name", "opaque", "none"])
def test_the_person_select_and_sensor_show_what_state_says_under_each_privacy(
        tmp_path: Path, broker: Mosquitto, privacy: str) -> None:
    r = _rig(tmp_path, broker, privacy)
    ha = Subscriber(broker.port, [f"{PREFIX}/+/bedside/+/config", f"{BASE}/state"], client_id="ha")
    link = r.glimmer.mqtt
    assert link is not None
    try:
        got = ha.take(lambda ms: any(m.topic.endswith("heart_rate/config") for m in ms), pump=link.poll)
        ann = Person(str(r.household.store.conn.execute("SELECT id FROM people WHERE name='Ann'").fetchone()[0]),
                     "Ann")
        label = person_label(ann, privacy, link._secret)
        chosen = r.send("person", {"person": label if privacy == "opaque" else "Ann"})
        r.glimmer.run(until_s=1.0)  # the state is published on the session's step
        link.flush(5.0)
        got += ha.take(lambda ms: any(m.topic == f"{BASE}/state" and json.loads(m.payload)["person"] == label
                                      for m in ms), pump=link.poll)
        refused = r.send("person", {"person": "Zed"})
    finally:
        r.glimmer.close()
        r.sub.close()
        ha.close()
        r.household.store.close()
    assert chosen["ok"] is True and r.household.active is not None and r.household.active.name == "Ann"
    configs = {m.topic.split("/")[-2]: json.loads(m.payload) for m in got if m.topic.endswith("/config") and m.payload}
    if privacy == "none":
        assert "person" not in configs and "active_person" not in configs, "state names nobody: nothing to show"
        assert label is None
    else:
        assert label is not None
        select = configs["person"]
        everyone = [label, person_label(Person(str(int(ann.key) + 1), "Bo"), privacy, link._secret)]
        assert select["options"] == [*everyone, "Guest"]
        assert select["value_template"] == configs["active_person"]["value_template"]
        if privacy == "opaque":
            assert not any("Ann" in json.dumps(c) or "Bo" in json.dumps(c) for c in configs.values())
    if privacy != "name":  # a refusal does not list the household either
        assert "Ann" not in refused["error"]["message"] and "Bo" not in refused["error"]["message"]
    assert refused["error"]["code"] == "unknown_person"


def test_the_select_renders_to_the_command_that_chooses_each_option() -> None:
    """The select's Jinja templates, rendered as Home Assistant renders them (jinja2): each option's
    command chooses it, and each state shows as its option (a guest's null as "Guest")."""
    env = jinja2.Environment()
    for people in (["Ann", "Bo"], ["Guest", "Ann"], []):
        cfg = discovery_configs("bedside", PREFIX, people)[f"{PREFIX}/select/bedside/person/config"]
        guest = guest_label(people)
        assert cfg["options"] == [*people, guest] and guest not in people
        command = env.from_string(cfg["command_template"])
        shown = env.from_string(cfg["value_template"])
        for option in cfg["options"]:
            person = None if option == guest else option
            assert json.loads(command.render(value=option)) == {"person": person}
            assert shown.render(value_json={"person": person}) == option


def test_the_select_follows_the_household(rig: Rig, broker: Mosquitto) -> None:
    """Someone added (say by `glimmer users add` while the daemon runs) is offered within PEOPLE_CHECK_S."""
    link = rig.glimmer.mqtt
    assert link is not None
    topic = f"{PREFIX}/select/bedside/person/config"
    ha = Subscriber(broker.port, [topic], client_id="ha")
    try:
        (first,) = ha.take(lambda ms: len(ms) >= 1)
        add_person(rig.household.store, new_person("Cy", rig.glimmer.config), NOON)
        link.poll(0.0)  # it was looked at on connecting (device clock 0 s)
        link.poll(PEOPLE_CHECK_S - 1.0)
        assert ha.drain(0.3) == [], "not looked at again before PEOPLE_CHECK_S"
        link.poll(2 * PEOPLE_CHECK_S)
        (again,) = ha.take(lambda ms: len(ms) >= 1, pump=link.poll)
    finally:
        ha.close()
    assert json.loads(first.payload)["options"] == ["Ann", "Bo", "Guest"]
    assert json.loads(again.payload)["options"] == ["Ann", "Bo", "Cy", "Guest"]


@pytest.mark.parametrize("failure", [StoreError("database is locked"), sqlite3.OperationalError("disk I/O error")])
def test_a_store_failure_while_choosing_is_answered_and_the_daemon_stays_up(rig: Rig, failure: Exception) -> None:
    chosen = rig.household.choose

    def failing(name: str | None) -> Person | None:
        raise failure

    rig.glimmer.choose_person = failing
    reply = rig.send("person", {"person": "Bo", "id": 3})
    assert reply["ok"] is False and reply["error"]["code"] == "unavailable" and reply["id"] == 3
    assert rig.household.active is None, "nothing changed"
    rig.glimmer.choose_person = chosen
    assert rig.send("person", {"person": "Bo"})["ok"], "the next command is applied"
    rig.glimmer.run(until_s=5.0)
    assert rig.household.active is not None and rig.household.active.name == "Bo"


def test_a_store_failure_while_looking_at_the_household_keeps_the_select_and_the_link(rig: Rig) -> None:
    link = rig.glimmer.mqtt
    assert link is not None

    def failing() -> list[Person]:
        raise sqlite3.OperationalError("database is locked")

    rig.glimmer.known_people = failing
    link.poll(10 * PEOPLE_CHECK_S)  # looks, fails, carries on
    link.publish_discovery()  # as when Home Assistant comes online
    assert link._people_shown == ["Ann", "Bo"], "the options last published stay"
    assert rig.send("volume", {"pct": 10})["ok"], "commands are still answered"
