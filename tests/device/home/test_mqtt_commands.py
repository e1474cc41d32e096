"""Commands over a real broker: every message is validated and answered; a bad one changes nothing."""

from __future__ import annotations

import json
import math
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from device.app import GlimmerDevice
from device.home.commands import COMMANDS, MAX_COMMAND_BYTES
from device.payload import SCHEMA_VERSION
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, sim_device, wait_connected

pytestmark = pytest.mark.broker

BASE = "glimmer/bedside"
REPLIES = "test/replies"


@dataclass(frozen=True)
class Bad:
    """A malformed command and the error code it must get (known truth). `subtopic` None: the topic is
    `glimmer/<id>/cmd` itself, with no name."""

    subtopic: str | None
    payload: bytes
    code: str


def _controls(glimmer: GlimmerDevice) -> dict[str, Any]:
    s = glimmer.session
    return {"phase": s.phase, "target": s.target_rate_bpm, "brightness": s.brightness, "volume": s.volume,
            "night": s.night_mode, "person": glimmer.current_person}


names = st.text("abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=20)
finite = st.floats(allow_nan=False, allow_infinity=False)
short_text = st.text(max_size=12)
scalars = st.none() | st.booleans() | st.integers() | finite | short_text
containers = st.lists(scalars, max_size=3) | st.dictionaries(short_text, scalars, max_size=3)
not_a_number = st.none() | st.booleans() | short_text | containers
not_a_string = st.none() | st.booleans() | st.integers() | finite | containers
not_a_person = st.booleans() | st.integers() | finite | containers  # null is the guest
numeric = {("brightness", "pct"), ("volume", "pct"), ("pacer_target", "rate_per_min")}


def _size_first(bad: Bad) -> Bad:
    """An oversized body of a known command is refused for its size before anything else is read."""
    if bad.subtopic in COMMANDS and len(bad.payload) > MAX_COMMAND_BYTES:
        return Bad(bad.subtopic, bad.payload, "too_large")
    return bad


def bad_commands() -> st.SearchStrategy[Bad]:
    return _bad_commands().map(_size_first)


@st.composite
def _bad_commands(draw: st.DrawFn) -> Bad:
    kind = draw(st.sampled_from(["not_json", "not_object", "unknown_command", "bad_topic", "too_large",
                                 "unknown_field", "wrong_type", "out_of_range", "missing_field", "nan"]))
    name = draw(st.sampled_from(sorted(COMMANDS)))
    if kind == "not_json":
        raw = draw(st.binary(max_size=60).filter(lambda b: not _is_json(b)))
        return Bad(name, raw, "not_json")
    if kind == "nan":
        return Bad(name, draw(st.sampled_from([b'{"pct": NaN}', b'{"pct": Infinity}', b"-Infinity"])), "not_json")
    if kind == "not_object":
        value = draw(scalars | st.lists(scalars, max_size=3))
        return Bad(name, json.dumps(value).encode(), "not_object")
    if kind == "unknown_command":
        return Bad(draw(names.filter(lambda n: n not in COMMANDS)), b"{}", "unknown_command")
    if kind == "bad_topic":  # a level too many, an empty name, or no name at all
        return Bad(draw(st.sampled_from([f"{name}/{draw(names)}", "", f"/{name}", f"{name}/", None])), b"{}",
                   "bad_topic")
    if kind == "too_large":
        pad = "x" * draw(st.integers(MAX_COMMAND_BYTES, 4 * MAX_COMMAND_BYTES))
        return Bad(name, json.dumps({"pad": pad}).encode(), "too_large")
    fields = COMMANDS[name]
    good: dict[str, Any] = {k: (50.0 if k == "pct" else 6.0 if k == "rate_per_min" else "on" if k == "mode"
                                else "Ann") for k in fields}
    if kind == "unknown_field" or not fields:
        extra = draw(names.filter(lambda n: n not in fields and n != "id"))
        return Bad(name, json.dumps({**good, extra: draw(scalars)}).encode(), "unknown_field")
    key = draw(st.sampled_from(sorted(fields)))
    if kind == "missing_field":
        return Bad(name, json.dumps({k: v for k, v in good.items() if k != key}).encode(), "missing_field")
    if kind == "wrong_type":
        value = draw(not_a_number if (name, key) in numeric else not_a_person if key == "person" else not_a_string)
        return Bad(name, json.dumps({**good, key: value}).encode(), "wrong_type")
    if (name, key) in numeric:  # out of range
        lo, hi = (0.0, 100.0) if key == "pct" else (4.5, 7.0)
        value = draw(st.floats(max_value=lo, exclude_max=True, allow_infinity=False)
                     | st.floats(min_value=hi, exclude_min=True, allow_infinity=False))
    elif key == "mode":
        value = draw(st.text(max_size=10).filter(lambda v: v not in ("auto", "on", "off")))
    else:
        value = draw(st.sampled_from(["", "x" * 65]))
    return Bad(name, json.dumps({**good, key: value}).encode(), "out_of_range")


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


class Requester:
    """An MQTT 5 client sending commands with a response topic and correlation data."""

    def __init__(self, port: int) -> None:
        self.sub = Subscriber(port, [f"{REPLIES}/#"], client_id="requester")
        self.n = 0

    def send(self, subtopic: str | None, payload: bytes) -> bytes:
        """Send to cmd/<subtopic> (None: to cmd itself); returns the correlation data."""
        self.n += 1
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = f"{REPLIES}/r"
        props.CorrelationData = str(self.n).encode()
        topic = f"{BASE}/cmd" if subtopic is None else f"{BASE}/cmd/{subtopic}"
        self.sub.client.publish(topic, payload, qos=1, properties=props)
        return props.CorrelationData  # type: ignore[no-any-return]

    def replies(self, n: int, timeout_s: float = 30.0) -> list[tuple[bytes, dict[str, Any]]]:
        got = self.sub.take(lambda ms: len(ms) >= n, timeout_s=timeout_s)
        return [(m.properties.CorrelationData, json.loads(m.payload)) for m in got]


@pytest.fixture
def running(tmp_path: Path, broker: Mosquitto) -> Iterator[GlimmerDevice]:
    """The device's own main loop runs in a thread, in real time, with no finger on the sensor."""
    config = mqtt_config(tmp_path, broker.port).replace("sim", finger_on_at_s=3600.0)
    glimmer, _ = sim_device(tmp_path, config, speed=1.0)
    wait_connected(glimmer)
    errors: queue.SimpleQueue[BaseException] = queue.SimpleQueue()

    def loop() -> None:
        try:
            glimmer.run()
        except BaseException as exc:
            errors.put(exc)

    thread = threading.Thread(target=loop, name="device-loop")
    thread.start()
    yield glimmer
    assert errors.empty(), errors.get()
    assert thread.is_alive(), "the daemon stayed up"
    glimmer.stop()
    thread.join(10)
    glimmer.close()
    assert errors.empty()


def test_good_commands_are_applied_and_answered_with_their_correlation_data(running: GlimmerDevice,
                                                                            broker: Mosquitto) -> None:
    req = Requester(broker.port)
    sent = [req.send("brightness", b'{"pct": 40}'), req.send("volume", b'{"pct": 25.5}'),
            req.send("night_mode", b'{"mode": "on"}'), req.send("pacer_target", b'{"rate_per_min": 5.5}'),
            req.send("start", b"{}")]
    replies = req.replies(len(sent))
    req.sub.close()
    assert [r[0] for r in replies] == sent
    assert all(r[1]["ok"] for r in replies), replies
    s = running.session
    assert s.brightness == 0.4 and s.volume == 0.255 and s.night_mode == "on" and s.target_rate_bpm == 5.5
    assert s.pattern.night and math.isclose(s.pattern.brightness_cap, 0.4 * running.config.night.brightness_cap)
    assert s.phase.value == "settling"


def test_a_start_while_a_session_is_open_is_refused_as_busy_and_a_refusal_names_its_command(
        running: GlimmerDevice, broker: Mosquitto) -> None:
    req = Requester(broker.port)
    req.send("start", b"{}")
    req.send("start", b"{}")
    req.send("brightness", b'{"pct": 140}')
    replies = [r[1] for r in req.replies(3)]
    req.sub.close()
    assert replies[0]["ok"] is True
    assert replies[1]["ok"] is False and replies[1]["error"]["code"] == "busy" and replies[1]["command"] == "start"
    assert replies[2]["error"]["code"] == "out_of_range" and replies[2]["command"] == "brightness"
    assert running.session.phase.value == "settling"


def test_choosing_a_person_is_refused_until_the_household_has_people(running: GlimmerDevice,
                                                                     broker: Mosquitto) -> None:
    req = Requester(broker.port)
    req.send("person", b'{"person": "Mum"}')
    (_, reply), = req.replies(1)
    req.sub.close()
    assert reply["ok"] is False and reply["error"]["code"] == "unavailable"


def test_mqtt_311_replies_carry_the_request_id(tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port, protocol="3.1.1")
    glimmer, _ = sim_device(tmp_path, config)
    sub = Subscriber(broker.port, [f"{BASE}/result"], protocol=paho.MQTTv311)
    try:
        wait_connected(glimmer)
        sub.client.publish(f"{BASE}/cmd/volume", b'{"pct": 10, "id": "abc"}', qos=1)
        sub.client.publish(f"{BASE}/cmd/volume", b'{"pct": 101, "id": 7}', qos=1)
        got = sub.take(lambda ms: len(ms) >= 2, pump=glimmer.mqtt.poll if glimmer.mqtt else None)
    finally:
        glimmer.close()
        sub.close()
    replies = [json.loads(m.payload) for m in got]
    assert replies[0] == {"kind": "result", "schema": SCHEMA_VERSION, "command": "volume", "ok": True, "id": "abc"}
    assert replies[1]["ok"] is False and replies[1]["id"] == 7 and replies[1]["error"]["code"] == "out_of_range"
    assert glimmer.session.volume == 0.1


def test_a_retained_command_sent_while_the_device_listens_is_refused_and_cleared(tmp_path: Path,
                                                                                broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port)
    glimmer, _ = sim_device(tmp_path, config)
    sub = Subscriber(broker.port, [f"{BASE}/result"])
    try:
        wait_connected(glimmer)
        volume = glimmer.session.volume
        sub.client.publish(f"{BASE}/cmd/volume", b'{"pct": 3, "id": "r1"}', qos=1, retain=True)
        got = sub.take(lambda ms: len(ms) >= 1, pump=glimmer.mqtt.poll if glimmer.mqtt else None)
        late = Subscriber(broker.port, [f"{BASE}/cmd/#"], client_id="late")  # sees what the broker retains
        kept = late.drain(quiet_s=1.0)
        late.close()
    finally:
        glimmer.close()
        sub.close()
    reply = json.loads(got[0].payload)
    assert reply["ok"] is False and reply["error"]["code"] == "retained" and reply["id"] == "r1"
    assert glimmer.session.volume == volume, "not applied"
    assert not [m for m in kept if m.payload], "cleared from the broker, so no later connect runs it"


BATCH = 100


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(bad_commands(), min_size=BATCH, max_size=BATCH))
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_ten_thousand_malformed_commands_each_answered_with_its_error_and_nothing_changes(
        running: GlimmerDevice, broker: Mosquitto, requester: Requester, batch: list[Bad]) -> None:
    before = _controls(running)
    sent = {requester.send(bad.subtopic, bad.payload): bad for bad in batch}
    replies = requester.replies(BATCH)
    assert len(replies) == BATCH
    for correlation, reply in replies:
        bad = sent[correlation]
        assert reply["ok"] is False and reply["error"]["code"] == bad.code, (bad, reply)
    assert _controls(running) == before
    assert requester.sub.drain(0.0) == [], "exactly one reply each"


@pytest.fixture
def requester(broker: Mosquitto) -> Iterator[Requester]:
    req = Requester(broker.port)
    yield req
    req.sub.close()
