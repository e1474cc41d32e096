"""Retained commands and topics without a name, under MQTT 5 and 3.1.1, against a real broker.

MQTT 5 (Retain-As-Published) shows the device whether any command was retained; 3.1.1 sets the retain flag
only on what a subscription delivers from the broker's store. Either way a stale retained command is never
run on connect: it is refused, answered and cleared, and the clearing itself is not answered."""

from __future__ import annotations

import json
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from device.app import GlimmerDevice
from tests.device.home.broker import Mosquitto, Received, Subscriber
from tests.device.home.device_helpers import mqtt_config, pump, sim_device, wait_connected

pytestmark = pytest.mark.broker

BASE = "glimmer/bedside"
PROTOCOLS = {"5": paho.MQTTv5, "3.1.1": paho.MQTTv311}


def _replies(sub: Subscriber, glimmer: GlimmerDevice, n: int) -> list[dict]:
    assert glimmer.mqtt is not None
    got = sub.take(lambda ms: len(ms) >= n, pump=glimmer.mqtt.poll)
    return [json.loads(m.payload) for m in got]


def _quiet(sub: Subscriber, glimmer: GlimmerDevice, s: float = 1.0) -> list[Received]:
    """What arrives while the device's link is polled for `s` seconds (nothing is expected)."""
    assert glimmer.mqtt is not None
    deadline = time.monotonic() + s
    while time.monotonic() < deadline:
        glimmer.mqtt.poll()
        time.sleep(0.02)
    return sub.drain(0.1)


def _retained_commands(port: int) -> list[Received]:
    late = Subscriber(port, [f"{BASE}/cmd/#"], client_id="late")  # sees what the broker retains
    kept = [m for m in late.drain(quiet_s=0.5) if m.payload]
    late.close()
    return kept


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_a_stale_retained_command_is_never_run_on_connect_and_live_ones_are(tmp_path: Path, broker: Mosquitto,
                                                                           protocol: str) -> None:
    sender = Subscriber(broker.port, [f"{BASE}/result"], protocol=PROTOCOLS[protocol])
    # Left on the broker before the device ever connects (an integrator's mistake, `mosquitto_pub -r`).
    sender.client.publish(f"{BASE}/cmd/volume", b'{"pct": 3, "id": "stale-volume"}', qos=1, retain=True)
    sender.client.publish(f"{BASE}/cmd/start", b'{"id": "stale-start"}', qos=1, retain=True).wait_for_publish(5)
    glimmer, _ = sim_device(tmp_path, mqtt_config(tmp_path, broker.port, protocol=protocol))
    volume = glimmer.session.volume
    try:
        wait_connected(glimmer)
        stale = _replies(sender, glimmer, 2)
        assert glimmer.session.volume == volume and glimmer.session.phase.value == "idle", "nothing ran"
        assert _quiet(sender, glimmer) == [], "the clearing of a retained command is not answered"
        sender.client.publish(f"{BASE}/cmd/volume", b'{"pct": 20, "id": "live"}', qos=1)
        (live,) = _replies(sender, glimmer, 1)
        kept = _retained_commands(broker.port)
    finally:
        glimmer.close()
    assert sorted(r["id"] for r in stale) == ["stale-start", "stale-volume"]
    assert all(r["ok"] is False and r["error"]["code"] == "retained" for r in stale), stale
    assert live["ok"] is True and live["id"] == "live" and glimmer.session.volume == 0.2
    assert kept == [], "cleared from the broker"
    again, _ = sim_device(tmp_path, mqtt_config(tmp_path, broker.port, protocol=protocol))
    try:  # the next connect finds nothing to refuse or run
        wait_connected(again)
        assert _quiet(sender, again) == []
    finally:
        again.close()
        sender.close()


def test_under_311_a_retained_command_sent_live_runs_once_and_never_again_at_a_reconnect(
        tmp_path: Path, broker: Mosquitto) -> None:
    """3.1.1 delivers a retained message to a subscriber already there without the flag, so the device
    cannot tell it from a live one and runs it; at the next connect the broker delivers it flagged, and it
    is refused and cleared instead of running again."""
    sender = Subscriber(broker.port, [f"{BASE}/result"], protocol=paho.MQTTv311)
    glimmer, _ = sim_device(tmp_path, mqtt_config(tmp_path, broker.port, protocol="3.1.1"))
    assert glimmer.mqtt is not None
    try:
        wait_connected(glimmer)
        sender.client.publish(f"{BASE}/cmd/volume", b'{"pct": 30, "id": "retained-live"}', qos=1, retain=True)
        (first,) = _replies(sender, glimmer, 1)
        sender.client.publish(f"{BASE}/cmd/volume", b'{"pct": 50, "id": "later"}', qos=1)
        (later,) = _replies(sender, glimmer, 1)
        broker.stop()  # the broker restarts (it keeps its retained messages on disk)
        pump(glimmer, lambda: not glimmer.mqtt.connected if glimmer.mqtt else False)
        broker.start()
        sender.connected.get(timeout=10)
        wait_connected(glimmer)
        (at_reconnect,) = _replies(sender, glimmer, 1)
        quiet = _quiet(sender, glimmer)
        kept = _retained_commands(broker.port)
    finally:
        glimmer.close()
        sender.close()
    assert first["ok"] is True and later["ok"] is True
    assert at_reconnect["id"] == "retained-live" and at_reconnect["error"]["code"] == "retained"
    assert glimmer.session.volume == 0.5, "the retained command did not run again"
    assert quiet == [] and kept == []


def test_under_5_a_retained_command_sent_live_is_refused_at_once(tmp_path: Path, broker: Mosquitto) -> None:
    sender = Subscriber(broker.port, [f"{BASE}/result"])
    glimmer, _ = sim_device(tmp_path, mqtt_config(tmp_path, broker.port))
    try:
        wait_connected(glimmer)
        sender.client.publish(f"{BASE}/cmd/volume", b'{"pct": 30, "id": "r"}', qos=1, retain=True)
        (reply,) = _replies(sender, glimmer, 1)
        quiet = _quiet(sender, glimmer)
    finally:
        glimmer.close()
        sender.close()
    assert reply["error"]["code"] == "retained" and glimmer.session.volume != 0.3
    assert quiet == []


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@pytest.mark.parametrize("topic", [f"{BASE}/cmd", f"{BASE}/cmd/", f"{BASE}/cmd//volume", f"{BASE}/cmd/volume/x"])
def test_a_command_topic_without_exactly_one_name_is_answered_bad_topic(tmp_path: Path, broker: Mosquitto,
                                                                        protocol: str, topic: str) -> None:
    sender = Subscriber(broker.port, [f"{BASE}/result"], protocol=PROTOCOLS[protocol])
    glimmer, _ = sim_device(tmp_path, mqtt_config(tmp_path, broker.port, protocol=protocol))
    volume = glimmer.session.volume
    try:
        wait_connected(glimmer)
        sender.client.publish(topic, b'{"pct": 40, "id": 1}', qos=1)
        (reply,) = _replies(sender, glimmer, 1)
    finally:
        glimmer.close()
        sender.close()
    assert reply["ok"] is False and reply["error"]["code"] == "bad_topic" and reply["id"] == 1
    assert reply["command"] is None and glimmer.session.volume == volume
