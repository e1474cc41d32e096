"""The MQTT link against a real mosquitto: outages lose nothing, Home Assistant sees the device, the outbox
survives a restart."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from device.home.discovery import discovery_configs
from tests.device.home.broker import Mosquitto, Received, Subscriber
from tests.device.home.device_helpers import mqtt_config, pump, sim_device, wait_connected

pytestmark = pytest.mark.broker

BASE = "glimmer/bedside"


def _metrics(messages: list[Received]) -> list[dict]:
    return [json.loads(m.payload) for m in messages if m.topic == f"{BASE}/metrics"]


def test_broker_down_for_minutes_every_metrics_message_arrives_in_order_with_its_time(
        tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port)
    sub = Subscriber(broker.port, [f"{BASE}/#"], persistent=True)
    glimmer, _ = sim_device(tmp_path, config)
    assert glimmer.mqtt is not None
    started = datetime.now().astimezone()
    try:
        wait_connected(glimmer)
        glimmer.run(until_s=120.0)
        assert glimmer.mqtt.flush(10.0)
        broker.stop()  # three simulated minutes without a broker
        glimmer.run(until_s=300.0)
        assert len(glimmer.mqtt.outbox) >= 36, "the outage's messages wait in the outbox"
        back = datetime.now().astimezone()
        broker.start()
        glimmer.run(until_s=360.0)
        assert glimmer.mqtt.flush(30.0), "everything is sent once the broker is back"
        got = _metrics(sub.take(lambda ms: any(json.loads(m.payload)["t_s"] >= 360.0 for m in ms
                                               if m.topic == f"{BASE}/metrics"), timeout_s=30.0))
    finally:
        glimmer.close()
        sub.close()
    times = [m["t_s"] for m in got]
    assert times == sorted(times), "in order"
    unique = list(dict.fromkeys(times))  # QoS 1 may repeat a message; it never skips or reorders
    assert unique == [5.0 * (i + 1) for i in range(72)], "none missing"
    # Each carries the real wall time it was measured (simulated here faster than real time), not of its
    # sending: the outage's messages say a time before the broker came back; none says a time to come.
    measured = [datetime.fromisoformat(m["measured_at"]) for m in got]
    assert measured == sorted(measured) and started <= measured[0] and measured[-1] <= datetime.now().astimezone()
    assert all(at < back for at, m in zip(measured, got, strict=True) if m["t_s"] <= 300.0)


def test_home_assistant_sees_configs_then_states_then_configs_again_when_it_comes_online(
        tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port)
    ha = Subscriber(broker.port, ["homeassistant/#", f"{BASE}/#"], client_id="home-assistant")
    glimmer, _ = sim_device(tmp_path, config)
    assert glimmer.mqtt is not None
    gone = "homeassistant/sensor/bedside/old_entity/config"
    glimmer.mqtt.outbox.set_meta("discovery_topics", json.dumps([gone]))
    expected = discovery_configs("bedside", "homeassistant", [])
    try:
        wait_connected(glimmer)
        glimmer.run(until_s=90.0)  # a finger lands at 2 s: settling, then pacing
        assert glimmer.mqtt.flush(10.0)
        first = ha.take(lambda ms: sum(m.topic in expected for m in ms) >= len(expected)
                        and any(m.topic == f"{BASE}/metrics" for m in ms))
        first += ha.drain()
        ha.client.publish("homeassistant/status", "online", qos=1)
        again = ha.take(lambda ms: sum(m.topic in expected for m in ms) >= len(expected), pump=glimmer.mqtt.poll)
        late = Subscriber(broker.port, ["homeassistant/#"], client_id="late")  # sees what is retained
        kept = late.take(lambda ms: len(ms) >= len(expected))
        kept += late.drain()
        late.close()
    finally:
        glimmer.close()
        ha.close()
    configs = {m.topic: json.loads(m.payload) for m in first if m.topic in expected}
    assert set(configs) == set(expected)
    removed = [m for m in first if m.topic == gone]
    assert removed and removed[0].payload == b"", "a gone entity is removed"
    assert {m.topic for m in kept if m.retain} == set(expected), "configs are retained; the gone one is not"
    first_config = min(i for i, m in enumerate(first) if m.topic in expected)
    first_state = min(i for i, m in enumerate(first) if m.topic in (f"{BASE}/state", f"{BASE}/metrics"))
    assert first_config < first_state, "configs come before states"
    for topic, cfg in configs.items():
        component, _, object_id = topic.split("/")[1:4]
        assert cfg["default_entity_id"] == f"{component}.bedside_{object_id}"
        assert cfg["object_id"] == f"bedside_{object_id}"
        assert cfg["availability_topic"] == f"{BASE}/status"
    heart = configs["homeassistant/sensor/bedside/heart_rate/config"]
    assert heart["unit_of_measurement"] == "bpm" and heart["state_class"] == "measurement"
    assert configs["homeassistant/sensor/bedside/rmssd/config"]["device_class"] == "duration"
    states = [json.loads(m.payload) for m in first if m.topic == f"{BASE}/state"]
    assert any(s["finger_on"] and s["session_state"] == "settling" for s in states), "the entities' states follow"
    assert any(m.topic == f"{BASE}/status" and m.payload == b"online" for m in first)
    assert {m.topic for m in again} >= set(expected), "configs again after homeassistant/status online"


def test_the_outbox_survives_a_restart(tmp_path: Path, broker: Mosquitto) -> None:
    broker.stop()
    config = mqtt_config(tmp_path, broker.port)
    glimmer, _ = sim_device(tmp_path, config)
    glimmer.run(until_s=60.0)
    glimmer.close()  # broker away all along: twelve metrics wait in SQLite
    broker.start()
    sub = Subscriber(broker.port, [f"{BASE}/metrics"])
    again, _ = sim_device(tmp_path, config)
    try:
        wait_connected(again)
        pump(again, lambda: again.mqtt is not None and len(again.mqtt.outbox) == 0)
        got = sub.take(lambda ms: len(ms) >= 12)
    finally:
        again.close()
        sub.close()
    assert [json.loads(m.payload)["t_s"] for m in got] == [5.0 * (i + 1) for i in range(12)]


def test_a_full_outbox_drops_the_oldest_metrics_counts_them_and_publishes_the_count(
        tmp_path: Path, broker: Mosquitto) -> None:
    broker.stop()
    config = mqtt_config(tmp_path, broker.port, outbox_max_messages=100).replace("metrics", period_s=1.0)
    glimmer, _ = sim_device(tmp_path, config)
    assert glimmer.mqtt is not None
    try:
        glimmer.run(until_s=150.0)  # 150 metrics and some states for 100 places
        assert len(glimmer.mqtt.outbox) == 100
        dropped = glimmer.mqtt.outbox.dropped()
        assert dropped["metrics"] >= 50 and dropped["state"] == 0
        broker.start()
        sub = Subscriber(broker.port, [f"{BASE}/metrics", f"{BASE}/outbox"])
        wait_connected(glimmer)
        got = sub.take(lambda ms: any(m.topic.endswith("outbox") and json.loads(m.payload)["pending"] == 0
                                      for m in ms), pump=glimmer.mqtt.poll)
        sub.close()
    finally:
        glimmer.close()
    reports = [json.loads(m.payload) for m in got if m.topic.endswith("outbox")]
    assert reports[-1]["dropped_total"] == sum(dropped.values()) == reports[-1]["dropped"]["metrics"]
    times = [json.loads(m.payload)["t_s"] for m in got if m.topic.endswith("metrics")]
    assert times[-1] == 150.0 and times == sorted(times), "the newest were kept, in order"
    assert times[0] == 150.0 - len(times) + 1, "what was dropped was the oldest"
