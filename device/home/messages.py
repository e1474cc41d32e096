"""MQTT payloads besides the metrics (device/payload.py): state, glimmer events, session summaries, the
outbox report, and who they name (the privacy setting). The contract is docs/asyncapi.yaml.

Every payload is a JSON object with `kind`, `schema` (SCHEMA_VERSION) and keys that carry their units.
`measured_at` is the wall time (ISO 8601, UTC offset) when the reading was made; it is added once, when
the message enters the outbox, so a message sent late still says when it was measured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from device.payload import SCHEMA_VERSION, summary_fields

PRIVACY_CHOICES = ("name", "opaque", "none")


@dataclass(frozen=True)
class Person:
    """Someone the device knows: a stable key (the store's id) and the name shown to the household."""

    key: str
    name: str


def person_label(person: Person | None, privacy: str, secret: str) -> str | None:
    """What a published message says about `person` under the privacy setting.

    "name": their name; "opaque": a stable 12-hex id (HMAC-SHA256 of their key under the device's own
    random secret, so it cannot be recomputed from a guessed name); "none": nothing (null). No person
    (a guest, or nobody): null.
    """
    if privacy not in PRIVACY_CHOICES:
        raise ValueError(f"privacy must be one of {PRIVACY_CHOICES}, got {privacy!r}")
    if person is None or privacy == "none":
        return None
    if privacy == "name":
        return person.name
    return "p-" + hmac.new(secret.encode(), person.key.encode(), hashlib.sha256).hexdigest()[:12]


def wall_stamp(wall: datetime) -> str:
    """ISO 8601 with milliseconds and the UTC offset (local time without a zone is taken as local)."""
    if wall.tzinfo is None:
        wall = wall.astimezone()
    return wall.isoformat(timespec="milliseconds")


def with_measured_at(payload: dict[str, Any], wall: datetime) -> dict[str, Any]:
    """A copy of `payload` stamped with the wall time of its measurement."""
    return {**payload, "measured_at": wall_stamp(wall)}


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; NaN/Infinity are refused (they are not JSON)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True)
class DeviceState:
    """What the retained `state` topic says; published whenever any field changes."""

    session_state: str
    session: int | None
    person: str | None  # already passed through the privacy setting
    pacer_rate_per_min: float | None  # breaths per minute, rounded to 0.1 (pacing only)
    pacer_target_per_min: float  # the resonance rate pacing leads toward, breaths per minute
    night: bool
    night_mode: str  # "auto" (schedule), "on", "off"
    sensor_status: str
    finger_on: bool
    brightness_pct: float  # user brightness, 0..100 % of led.max_brightness
    volume_pct: float  # user volume, 0..100 % of full scale

    def payload(self) -> dict[str, Any]:
        return {"kind": "state", "schema": SCHEMA_VERSION, **self.__dict__}


def glimmer_event(t_s: float, session: int | None, person: str | None,
                  coherence_ratio: float | None) -> dict[str, Any]:
    """A glimmer moment began: sustained coherence. `event_type` is what Home Assistant's event entity reads."""
    return {"kind": "event", "schema": SCHEMA_VERSION, "event_type": "glimmer", "t_s": round(t_s, 3),
            "session": session, "person": person,
            "coherence_ratio": None if coherence_ratio is None else round(coherence_ratio, 3)}


def summary_payload(summary: dict[str, Any], person: str | None) -> dict[str, Any]:
    """The session summary of device/pacing/session.py, as published (device.payload.summary_fields)."""
    return {"kind": "session_summary", "schema": SCHEMA_VERSION, "person": person, **summary_fields(summary)}


def outbox_report(pending: int, dropped: dict[str, int]) -> dict[str, Any]:
    """How many messages wait to be sent, and how many a full outbox has dropped since it was made."""
    return {"kind": "outbox", "schema": SCHEMA_VERSION, "pending": pending,
            "dropped_total": sum(dropped.values()), "dropped": dict(dropped)}
