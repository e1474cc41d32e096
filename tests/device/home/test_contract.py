"""docs/asyncapi.yaml is the contract: real payloads published to a real broker validate against it (JSON
Schema), and its metrics schema names exactly the keys docs/metrics.md documents."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from device.home.discovery import METRIC_SENSORS, discovery_configs
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, pump, sim_device, wait_connected

ROOT = Path(__file__).resolve().parents[3]
DOC = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
BASE = "glimmer/bedside"


def documented_metrics_keys() -> set[str]:
    """Every key in the first column of docs/metrics.md's table."""
    keys: set[str] = set()
    for line in (ROOT / "docs" / "metrics.md").read_text().splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) > 2:
            keys.update(re.findall(r"`([a-z0-9_]+)`", cells[1]))
    return keys


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    root = {**schema, "components": DOC["components"]}
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    cls.check_schema(root)
    return cls(root, format_checker=cls.FORMAT_CHECKER)


def channel_for(topic: str) -> tuple[str, dict[str, Any]]:
    """The channel whose address matches `topic`, and the schema of its (single) message."""
    for name, channel in DOC["channels"].items():
        pattern = re.sub(r"\{[a-z_]+\}", "[^/]+", channel["address"])  # addresses hold no other regex characters
        if re.fullmatch(pattern, topic):
            (message,) = channel["messages"].values() if name != "command" else (None,)
            return name, message["payload"] if message else {}
    raise AssertionError(f"{topic} is in no channel of docs/asyncapi.yaml")


def test_the_metrics_schema_names_exactly_the_documented_keys() -> None:
    schema = DOC["components"]["schemas"]["metrics"]
    documented = documented_metrics_keys() | {"measured_at"}
    assert set(schema["properties"]) == documented
    assert set(schema["required"]) == documented


def test_home_assistant_reads_only_documented_metrics_keys() -> None:
    assert {s.key for s in METRIC_SENSORS} <= documented_metrics_keys()


@pytest.mark.broker
def test_every_published_payload_validates_against_the_contract(tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port).replace("session", glimmer_coherence_ratio=0.5, glimmer_after_s=0.0)
    watcher = Subscriber(broker.port, ["#"], client_id="watcher")
    glimmer, _ = sim_device(tmp_path, config)
    assert glimmer.mqtt is not None
    try:
        wait_connected(glimmer)
        glimmer.run(until_s=150.0)
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = b"c1"
        for body in (b'{"pct": 30, "id": "a"}', b'{"pct": 300}', b"nope"):
            watcher.client.publish(f"{BASE}/cmd/brightness", body, qos=1, properties=props)
        watcher.client.publish(f"{BASE}/cmd/stop", b"{}", qos=1)
        pump(glimmer, lambda: glimmer.mqtt is not None and glimmer.mqtt.commands_answered >= 4)
        glimmer.run(until_s=170.0)  # the stop's fade ends; the summary is published
        assert glimmer.mqtt.flush(10.0)
        got = watcher.take(lambda ms: any(m.topic == f"{BASE}/session" for m in ms))
    finally:
        glimmer.close()
        got += watcher.drain()
        watcher.close()
    seen: dict[str, int] = {}
    for m in got:
        if m.topic.startswith(f"{BASE}/cmd/") or m.payload == b"":
            continue  # our own requests; emptied (removed) retained configs
        name, schema = channel_for(m.topic)
        body = m.payload.decode() if name == "status" else json.loads(m.payload)
        validator(schema).validate(body)
        if isinstance(body, dict) and "measured_at" in body:
            assert datetime.fromisoformat(body["measured_at"]).tzinfo is not None
        seen[name] = seen.get(name, 0) + 1
    assert set(seen) == {"status", "state", "metrics", "session", "glimmer_event", "outbox", "result", "discovery"}


def test_the_contract_refuses_what_it_should() -> None:
    """The schemas are not vacuous: a renamed key, a missing time, a wrong type all fail."""
    _, schema = channel_for(f"{BASE}/metrics")
    with pytest.raises(jsonschema.ValidationError):
        validator(schema).validate({"kind": "metrics", "schema": 1, "t_s": 5.0})
    _, result = channel_for(f"{BASE}/result")
    with pytest.raises(jsonschema.ValidationError):
        validator(result).validate({"kind": "result", "schema": 1, "command": "stop", "ok": False})


# Home Assistant's own rule for the part of an entity id after the domain (homeassistant/core.py).
HA_OBJECT_ID = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)$")


@pytest.mark.parametrize("device_id", ["bedside", "Bed-Side", "glimmer_2", "-x-", "A__B", "__"])
def test_every_entity_id_is_one_home_assistant_accepts_and_unique_ids_keep_the_device_id(device_id: str) -> None:
    configs = discovery_configs(device_id, "homeassistant", ["Ann"])
    for topic, cfg in configs.items():
        component, _, object_id = topic.split("/")[1:4]
        domain, entity = cfg["default_entity_id"].split(".")
        assert domain == component and HA_OBJECT_ID.match(entity), cfg["default_entity_id"]
        assert cfg["object_id"] == entity and entity.endswith(f"_{object_id}")
        assert cfg["unique_id"] == f"glimmer_{device_id}_{object_id}"
    assert len({c["default_entity_id"] for c in configs.values()}) == len(configs)


@pytest.mark.parametrize("kind", ["session", "assessment"])
def test_a_summary_is_a_session_summary_whatever_the_session_was(kind: str) -> None:
    """An assessment's summary keeps `kind: session_summary` (the session's own kind goes in session_kind)
    and validates like any other."""
    from device.home.messages import summary_payload, with_measured_at

    summary: dict[str, Any] = {
        "session": 4, "started_t_s": 0.0, "ended_t_s": 700.0, "duration_s": 700.0, "paced_s": 650.0,
        "mean_hr_bpm": 66.0, "mean_rmssd_ms": 40.0, "mean_coherence_ratio": 2.0, "peak_coherence_ratio": 5.0,
        "coherent_s": 100.0, "pacer_start_rate_per_min": 6.5, "pacer_end_rate_per_min": 4.5, "seat": "person",
        "together_with": None, "mean_synchrony": None, "peak_synchrony": None}
    if kind == "assessment":
        summary |= {"kind": "assessment", "assessment": {"resonance_rate_per_min": 5.5, "steps": []}}
    payload = with_measured_at(summary_payload(summary, "Ann"), datetime.now().astimezone())
    _, schema = channel_for(f"{BASE}/session")
    validator(schema).validate(payload)
    assert payload["kind"] == "session_summary" and payload["session_kind"] == kind
    assert ("assessment" in payload) == (kind == "assessment")


def test_every_reason_the_device_can_give_for_a_null_figure_is_in_the_contract() -> None:
    """Each reason a heart figure is withheld for (the HRV tracker's and the sensor channel's: every
    upper-case module constant whose value is a reason string) is in the schema's enum: a payload with
    `weak_beat` (published since the weak-beat rule) and one with `no_pulse` were outside the contract."""
    from device import sensor_channel
    from device.signal import hrv

    reasons = {value for module, names in ((hrv, ("INSUFFICIENT_BEATS", "LOW_QUALITY", "FREQUENT_ARTIFACTS",
                                                  "IRREGULAR_RHYTHM", "WEAK_BEAT")),
                                           (sensor_channel, ("NO_FINGER", "NO_PULSE", "SENSOR_LOST", "SETTLING",
                                                             "NO_RECENT_BEATS")))
               for value in (getattr(module, name) for name in names)}
    extra = {value for module in (hrv, sensor_channel) for name, value in vars(module).items()
             if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z_]+", value)}
    enum = set(DOC["components"]["schemas"]["withheld_reason"]["enum"])
    assert reasons <= enum
    assert extra <= enum, extra - enum
