"""Home Assistant MQTT discovery: the configs that make the device appear with its sensors and controls.

One retained config per entity on `<prefix>/<component>/<device_id>/<object_id>/config` (HA's
per-entity discovery topic), every one tied to the device's `status` topic for availability. Entity ids:
`default_entity_id` (`<domain>.<device_id>_<object_id>`, required by HA 2026.4 and later, which ignore
`object_id`) together with `object_id` for the releases before it. An entity that goes away is removed
with an empty retained config (see `removed_configs`).

Reference: https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import device
from device.home.commands import PACER_TARGET_RANGE_PER_MIN


@dataclass(frozen=True)
class Topics:
    """The device's topics under `glimmer/<device_id>/`."""

    device_id: str

    @property
    def base(self) -> str:
        return f"glimmer/{self.device_id}"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def metrics(self) -> str:
        return f"{self.base}/metrics"

    @property
    def session(self) -> str:
        return f"{self.base}/session"

    @property
    def glimmer_event(self) -> str:
        return f"{self.base}/event/glimmer"

    @property
    def outbox(self) -> str:
        return f"{self.base}/outbox"

    @property
    def result(self) -> str:
        return f"{self.base}/result"

    @property
    def cmd_prefix(self) -> str:
        return f"{self.base}/cmd/"

    def cmd(self, name: str) -> str:
        return f"{self.cmd_prefix}{name}"


@dataclass(frozen=True)
class MetricSensor:
    """A sensor read from one key of the metrics payload (docs/metrics.md)."""

    object_id: str
    name: str
    key: str
    unit: str | None
    device_class: str | None = None
    scale: float = 1.0  # shown value = payload value * scale (0..1 quality shown in %)
    precision: int = 1


# The metrics payload keys these read are held to docs/metrics.md by tests/device/home/test_discovery.py.
METRIC_SENSORS: tuple[MetricSensor, ...] = (
    MetricSensor("heart_rate", "Heart rate", "hr_bpm", "bpm", precision=0),
    MetricSensor("rmssd", "RMSSD", "rmssd_ms", "ms", device_class="duration"),
    MetricSensor("sdnn", "SDNN", "sdnn_ms", "ms", device_class="duration"),
    MetricSensor("coherence", "Coherence ratio", "coherence_ratio", None, precision=2),
    MetricSensor("breathing_rate", "Breathing rate", "breath_rate_per_min", "breaths/min"),
    MetricSensor("signal_quality", "Signal quality", "signal_quality", "%", scale=100.0, precision=0),
)

# Together mode (a device with sensor B): the partner's figures (the payload's `partner` object) and the
# two people's heart-rate synchrony. Keys as in docs/metrics.md; "partner." reads inside `partner`.
TOGETHER_SENSORS: tuple[MetricSensor, ...] = (
    MetricSensor("partner_heart_rate", "Partner heart rate", "partner.hr_bpm", "bpm", precision=0),
    MetricSensor("partner_rmssd", "Partner RMSSD", "partner.rmssd_ms", "ms", device_class="duration"),
    MetricSensor("partner_coherence", "Partner coherence ratio", "partner.coherence_ratio", None, precision=2),
    MetricSensor("partner_breathing_rate", "Partner breathing rate", "partner.breath_rate_per_min", "breaths/min"),
    MetricSensor("partner_signal_quality", "Partner signal quality", "partner.signal_quality", "%", scale=100.0,
                 precision=0),
    MetricSensor("synchrony", "Heart-rate synchrony", "synchrony", "%", scale=100.0, precision=0),
)

SESSION_PHASES = ("idle", "settling", "pacing", "paused", "closing")


def _value(key: str, scale: float = 1.0) -> str:
    # A null (not known) reading becomes HA's "unknown", never an old value. A key inside an object
    # ("partner.hr_bpm") is unknown too while the object is null.
    factor = "" if scale == 1.0 else f" * {scale:g}"
    guard = f"value_json.{key.rsplit('.', 1)[0]} is not none and " if "." in key else ""
    return f"{{{{ (value_json.{key}{factor}) if {guard}value_json.{key} is not none else none }}}}"


GUEST_LABEL = "Guest"  # how Home Assistant shows (and the select chooses) a guest: `person` null in state


def guest_label(people: list[str]) -> str:
    """The guest's label in Home Assistant: "Guest", unless a member of the household is called that."""
    taken = {p.casefold() for p in people}
    label = GUEST_LABEL
    if label.casefold() in taken:
        label = f"{GUEST_LABEL} (not stored)"
    while label.casefold() in taken:
        label += "*"
    return label


def _person_entities(t: Topics, people: list[str] | None) -> list[tuple[str, str, dict[str, Any]]]:
    """The active-person sensor and select: they show what `state.person` says, so they exist only when it
    says who (privacy "name": names, "opaque": opaque ids); under privacy "none" neither is offered. The
    select offers the household (as `state` names them) and the guest; choosing sends `cmd/person`, the
    guest as `{"person": null}`."""
    return _seat_entities(t, people, "person", ("active_person", "Active person"), ("person", "Choose person"))


def _partner_entities(t: Topics, people: list[str] | None) -> list[tuple[str, str, dict[str, Any]]]:
    """Together mode: who is on sensor B, shown and chosen as the active person is (`state.partner`,
    `cmd/partner`), under the same privacy rule."""
    return _seat_entities(t, people, "partner", ("partner", "Partner"), ("partner_choice", "Choose partner"))


def _seat_entities(t: Topics, people: list[str] | None, key: str, sensor: tuple[str, str],
                   select: tuple[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """A sensor showing `state.<key>` (the guest label for null) and a select sending `cmd/<key>` with the
    household and the guest as options; none when privacy hides who (`people` None)."""
    if people is None:
        return []
    guest = json.dumps(guest_label(people))  # a Jinja string literal
    shown = f"{{{{ value_json.{key} if value_json.{key} is not none else {guest} }}}}"
    return [
        ("sensor", sensor[0], {"name": sensor[1], "state_topic": t.state, "value_template": shown}),
        ("select", select[0], {"name": select[1], "command_topic": t.cmd(key),
                               "command_template": f'{{"person": {{{{ (none if value == {guest} else value) '
                                                   f'| tojson }}}}}}',
                               "state_topic": t.state, "value_template": shown,
                               "options": [*people, json.loads(guest)]}),
    ]


def discovery_configs(device_id: str, prefix: str, people: list[str] | None,
                      together: bool = False) -> dict[str, dict[str, Any]]:
    """Every entity's discovery topic -> config. `people`: the household as `state` names them (names or
    opaque ids, per the privacy setting), offered by the person select; None: `state` names nobody
    (privacy "none"), so there is no person sensor or select. `together`: the device has sensor B, so the
    partner's sensors, the synchrony sensor and the partner select are offered too."""
    t = Topics(device_id)
    dev = {"identifiers": [f"glimmer_{device_id}"], "name": f"Glimmer {device_id}", "manufacturer": "Glimmer",
           "model": "Glimmer bedside unit", "sw_version": device.__version__}
    origin = {"name": "Glimmer", "sw_version": device.__version__}  # who published the config (HA shows it)
    common = {"origin": origin, "availability_topic": t.status, "payload_available": "online",
              "payload_not_available": "offline", "device": dev, "qos": 1}
    entities: list[tuple[str, str, dict[str, Any]]] = []

    for s in (*METRIC_SENSORS, *(TOGETHER_SENSORS if together else ())):
        cfg: dict[str, Any] = {"name": s.name, "state_topic": t.metrics, "value_template": _value(s.key, s.scale),
                               "state_class": "measurement", "suggested_display_precision": s.precision}
        if s.unit:
            cfg["unit_of_measurement"] = s.unit
        if s.device_class:
            cfg["device_class"] = s.device_class
        entities.append(("sensor", s.object_id, cfg))
    entities += [
        ("sensor", "session_phase", {"name": "Session phase", "state_topic": t.state, "device_class": "enum",
                                     "options": list(SESSION_PHASES),
                                     "value_template": "{{ value_json.session_state }}"}),
        ("sensor", "outbox_dropped", {"name": "Messages dropped", "state_topic": t.outbox,
                                      "value_template": "{{ value_json.dropped_total }}", "state_class": "total",
                                      "entity_category": "diagnostic"}),
        ("binary_sensor", "finger_on", {"name": "Finger on sensor", "state_topic": t.state, "device_class": "occupancy",
                                        "value_template": "{{ 'ON' if value_json.finger_on else 'OFF' }}"}),
        ("button", "start", {"name": "Start session", "command_topic": t.cmd("start"), "payload_press": "{}"}),
        ("button", "stop", {"name": "Stop session", "command_topic": t.cmd("stop"), "payload_press": "{}"}),
        ("number", "pacer_target", {"name": "Pacer target", "command_topic": t.cmd("pacer_target"),
                                    "command_template": '{"rate_per_min": {{ value }}}', "state_topic": t.state,
                                    "value_template": "{{ value_json.pacer_target_per_min }}",
                                    "min": PACER_TARGET_RANGE_PER_MIN[0], "max": PACER_TARGET_RANGE_PER_MIN[1],
                                    "step": 0.1, "unit_of_measurement": "breaths/min", "mode": "box"}),
        ("number", "brightness", {"name": "Brightness", "command_topic": t.cmd("brightness"),
                                  "command_template": '{"pct": {{ value }}}', "state_topic": t.state,
                                  "value_template": "{{ value_json.brightness_pct }}", "min": 0, "max": 100,
                                  "step": 1, "unit_of_measurement": "%", "mode": "slider"}),
        ("number", "volume", {"name": "Volume", "command_topic": t.cmd("volume"),
                              "command_template": '{"pct": {{ value }}}', "state_topic": t.state,
                              "value_template": "{{ value_json.volume_pct }}", "min": 0, "max": 100, "step": 1,
                              "unit_of_measurement": "%", "mode": "slider"}),
        ("switch", "night_mode", {"name": "Night mode", "command_topic": t.cmd("night_mode"),
                                  "payload_on": '{"mode": "on"}', "payload_off": '{"mode": "off"}',
                                  "state_topic": t.state, "value_template": "{{ 'ON' if value_json.night else 'OFF' }}",
                                  "state_on": "ON", "state_off": "OFF"}),
        ("event", "glimmer", {"name": "Glimmer moment", "state_topic": t.glimmer_event, "event_types": ["glimmer"]}),
    ]
    entities += _person_entities(t, people)
    if together:
        entities += [("binary_sensor", "together", {
            "name": "Together session", "state_topic": t.metrics,
            "value_template": "{{ 'ON' if value_json.together else 'OFF' }}"})]
        entities += _partner_entities(t, people)
    out: dict[str, dict[str, Any]] = {}
    slug = entity_slug(device_id)
    for component, object_id, cfg in entities:
        unique = f"glimmer_{device_id}_{object_id}"
        out[f"{prefix}/{component}/{device_id}/{object_id}/config"] = {
            **cfg, **common, "unique_id": unique, "object_id": f"{slug}_{object_id}",
            "default_entity_id": f"{component}.{slug}_{object_id}"}
    return out


def entity_slug(device_id: str) -> str:
    """The device id as Home Assistant entity ids allow it: lower case letters, digits and single inner
    underscores ("Bed-Side" -> "bed_side"); "glimmer" if nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "_", device_id.lower()).strip("_")
    return slug or "glimmer"


def removed_configs(previous: set[str], current: set[str]) -> list[str]:
    """Discovery topics published before that are no longer wanted: each gets an empty retained payload."""
    return sorted(previous - current)
