"""Together mode over MQTT, against a real broker: the payloads with the partner's figures and the synchrony
validate against docs/asyncapi.yaml, `cmd/partner` chooses who is on sensor B (shown in `state`), and Home
Assistant gets the partner's sensors, a synchrony sensor and a partner select whose templates render."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest

from device.home.discovery import TOGETHER_SENSORS, discovery_configs
from device.home.household import Household
from device.home.people import add_person, new_person
from device.home.store import Store
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, pump, wait_connected
from tests.device.home.test_contract import channel_for, documented_metrics_keys, validator
from tests.device.together.two_people import two_people

BASE = "glimmer/bedside"
NOON = datetime(2026, 6, 1, 12, 0)

pytestmark = pytest.mark.broker


def test_together_payloads_validate_and_cmd_partner_chooses_who_is_on_sensor_b(tmp_path: Path,
                                                                              broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port, privacy="name").replace("sim", seed=3)
    store = Store(tmp_path / "household.db")
    for name in ("Ann", "Bo"):
        add_person(store, new_person(name, config), NOON)
    home = Household.restored(store, config)  # Ann, the first person, is active
    rig = two_people(tmp_path, config)
    glimmer = rig.device
    home.attach(glimmer, NOON)
    watcher = Subscriber(broker.port, ["#"], client_id="watcher")
    got = []
    try:
        wait_connected(glimmer)
        watcher.client.publish(f"{BASE}/cmd/partner", b'{"person": "Bo", "id": 1}', qos=1)
        watcher.client.publish(f"{BASE}/cmd/partner", b'{"person": "Ann", "id": 2}', qos=1)
        assert glimmer.mqtt is not None
        pump(glimmer, lambda: glimmer.mqtt is not None and glimmer.mqtt.commands_answered >= 2)
        glimmer.run(until_s=200.0)
        glimmer.session.stop_now(glimmer.clock.now_s())
        glimmer.run(until_s=210.0)
        assert glimmer.mqtt.flush(10.0)
        got = watcher.take(lambda ms: sum(m.topic == f"{BASE}/session" for m in ms) >= 2)
    finally:
        glimmer.close()
        got += watcher.drain()
        watcher.close()
        store.close()
    bodies: dict[str, list[Any]] = {}
    for m in got:
        if m.topic.startswith(f"{BASE}/cmd/") or m.payload == b"":
            continue
        name, schema = channel_for(m.topic)
        body = m.payload.decode() if name == "status" else json.loads(m.payload)
        validator(schema).validate(body)
        bodies.setdefault(name, []).append(body)
    results = {r["id"]: r for r in bodies["result"]}
    assert results[1]["ok"] is True
    assert results[2]["ok"] is False and results[2]["error"]["code"] == "same_person"
    assert any(s["partner"] == "Bo" and s["person"] == "Ann" for s in bodies["state"])
    together = [p for p in bodies["metrics"] if p["together"]]
    assert together and any(p["partner"]["hr_bpm"] is not None for p in together)
    assert any(p["synchrony"] is not None for p in together)
    summaries = {s["seat"]: s for s in bodies["session"]}
    assert summaries["person"]["person"] == "Ann" and summaries["partner"]["person"] == "Bo"
    assert summaries["person"]["together_with"] == summaries["partner"]["session"]
    discovery = {m.topic for m in got if m.topic.startswith("homeassistant/") and m.payload}
    assert {f"homeassistant/sensor/bedside/{s.object_id}/config" for s in TOGETHER_SENSORS} <= discovery
    assert "homeassistant/select/bedside/partner_choice/config" in discovery


def test_the_together_sensors_read_documented_keys_and_render_unknown_without_a_partner() -> None:
    documented = documented_metrics_keys()
    env = jinja2.Environment()
    configs = discovery_configs("bedside", "homeassistant", ["Ann", "Bo"], together=True)
    single = discovery_configs("bedside", "homeassistant", ["Ann", "Bo"], together=False)
    assert not any("partner" in topic or "synchrony" in topic for topic in single)
    values = {"hr_bpm": 61.0, "rmssd_ms": 40.0, "coherence_ratio": 2.5, "breath_rate_per_min": 6.0,
              "signal_quality": 0.9}
    for s in TOGETHER_SENSORS:
        first = s.key.split(".")[0]
        assert first in documented
        template = env.from_string(configs[f"homeassistant/sensor/bedside/{s.object_id}/config"]["value_template"])
        if s.key.startswith("partner."):
            assert template.render(value_json={"partner": None}) == "None"
            leaf = s.key.split(".")[1]
            shown = template.render(value_json={"partner": {**values, leaf: values[leaf]}})
            assert float(shown) == pytest.approx(values[leaf] * s.scale)
            assert template.render(value_json={"partner": {leaf: None}}) == "None"
        else:
            assert template.render(value_json={"synchrony": None}) == "None"
            assert float(template.render(value_json={"synchrony": 0.8})) == pytest.approx(80.0)
    select = configs["homeassistant/select/bedside/partner_choice/config"]
    chosen = env.from_string(select["command_template"])
    assert json.loads(chosen.render(value="Bo")) == {"person": "Bo"}
    assert json.loads(chosen.render(value="Guest")) == {"person": None}
