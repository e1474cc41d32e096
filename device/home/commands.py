"""MQTT commands: `glimmer/<device_id>/cmd/<name>` with a JSON object body, validated before anything
changes. Pure: bytes in, a `Command` or a `CommandRejected` out (codes below); no I/O.

Every body may carry `id` (a string of at most 64 characters or an integer), echoed in the reply: the
way to match a reply under MQTT 3.1.1, which has no correlation data.

`person` chooses who is at the device: `{"person": "<name or opaque id>"}` a member of the household (the
opaque id is the one `state` publishes under privacy "opaque"), `{"person": null}` a guest (nothing
stored). Choosing only chooses: it starts no session (a session starts with `start`, a button, or a
finger placed on the sensor).

`partner` chooses who is on sensor B (together mode, docs/together.md), the same way: `{"person": "<name or
opaque id>"}` or `{"person": null}` a guest. The partner cannot be the active person (`same_person`).

Error codes: `bad_topic` (not exactly one level under cmd/: `cmd`, `cmd/`, `cmd/a/b`), `unknown_command`,
`too_large` (over MAX_COMMAND_BYTES), `not_json` (not UTF-8 JSON, or NaN/Infinity), `not_object`,
`unknown_field`, `missing_field`, `wrong_type`, `out_of_range`; and, when applying, `retained` (a
retained message), `unavailable` (no people set up, or the store failed), `unknown_person`, `busy`,
`same_person`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from device.errors import CommandRejected
from device.payload import SCHEMA_VERSION

MAX_COMMAND_BYTES = 1024
MAX_ID_CHARS = 64
MAX_PERSON_CHARS = 64
PACER_TARGET_RANGE_PER_MIN = (4.5, 7.0)  # the configurable resonance range (config pacer.resonance_rate_per_min)


@dataclass(frozen=True)
class Field:
    kind: type  # float (a JSON number, not a bool), str, or bool
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    max_chars: int | None = None
    nullable: bool = False  # JSON null is a value (e.g. the guest for `person`)


# name -> its fields (all required)
COMMANDS: dict[str, dict[str, Field]] = {
    "start": {},
    "stop": {},
    "person": {"person": Field(str, max_chars=MAX_PERSON_CHARS, nullable=True)},
    "partner": {"person": Field(str, max_chars=MAX_PERSON_CHARS, nullable=True)},
    "pacer_target": {"rate_per_min": Field(float, *PACER_TARGET_RANGE_PER_MIN)},
    "brightness": {"pct": Field(float, 0.0, 100.0)},
    "volume": {"pct": Field(float, 0.0, 100.0)},
    "night_mode": {"mode": Field(str, choices=("auto", "on", "off"))},
}


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any]
    request_id: str | int | None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def request_id_of(payload: bytes) -> str | int | None:
    """The `id` of a body if one can be read from it (also for replies to bodies refused for other reasons)."""
    if len(payload) > MAX_COMMAND_BYTES:
        return None
    try:
        body = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    rid = body.get("id")
    if (isinstance(rid, str) and len(rid) <= MAX_ID_CHARS) or (isinstance(rid, int) and not isinstance(rid, bool)
                                                                and abs(rid) < 2**53):
        return rid
    return None


def _check(name: str, key: str, value: Any, spec: Field) -> Any:
    where = f"cmd/{name}: {key}"
    if value is None and spec.nullable:
        return None
    if spec.kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CommandRejected("wrong_type", f"{where}: expected a number, got {type(value).__name__}")
        value = float(value)
        assert spec.lo is not None and spec.hi is not None
        if not math.isfinite(value) or not spec.lo <= value <= spec.hi:
            raise CommandRejected("out_of_range", f"{where}: expected {spec.lo} to {spec.hi}, got {value}")
        return value
    if spec.kind is str:
        if not isinstance(value, str):
            expected = "a string or null" if spec.nullable else "a string"
            raise CommandRejected("wrong_type", f"{where}: expected {expected}, got {type(value).__name__}")
        if spec.choices is not None and value not in spec.choices:
            raise CommandRejected("out_of_range", f"{where}: expected one of {', '.join(spec.choices)}")
        if spec.max_chars is not None and not 1 <= len(value) <= spec.max_chars:
            raise CommandRejected("out_of_range", f"{where}: expected 1 to {spec.max_chars} characters")
        return value
    raise AssertionError(f"unsupported field kind {spec.kind}")  # pragma: no cover


def parse_command(subtopic: str, payload: bytes) -> Command:
    """Validate one command. `subtopic` is the topic after `glimmer/<device_id>/cmd/`.

    Raises CommandRejected (with its code) for anything but a well-formed, in-range command.
    """
    if "/" in subtopic or not subtopic:
        raise CommandRejected("bad_topic", f"expected cmd/<name> with one of {', '.join(COMMANDS)}")
    spec = COMMANDS.get(subtopic)
    if spec is None:
        raise CommandRejected("unknown_command", f"unknown command {subtopic[:40]!r}; known: {', '.join(COMMANDS)}")
    if len(payload) > MAX_COMMAND_BYTES:
        raise CommandRejected("too_large", f"cmd/{subtopic}: body over {MAX_COMMAND_BYTES} bytes")
    try:
        body = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CommandRejected("not_json", f"cmd/{subtopic}: body is not UTF-8 JSON") from exc
    if not isinstance(body, dict):
        raise CommandRejected("not_object", f"cmd/{subtopic}: expected a JSON object, got {type(body).__name__}")
    rid = body.get("id")
    if "id" in body and request_id_of(payload) is None:
        raise CommandRejected("wrong_type", f"cmd/{subtopic}: id: expected a string of at most {MAX_ID_CHARS} "
                                            "characters or an integer")
    unknown = sorted(k for k in body if k != "id" and k not in spec)
    if unknown:
        raise CommandRejected("unknown_field", f"cmd/{subtopic}: unknown field {unknown[0][:40]!r}; "
                                               f"expected {', '.join(spec) or 'no fields'}")
    args: dict[str, Any] = {}
    for key, field_spec in spec.items():
        if key not in body:
            raise CommandRejected("missing_field", f"cmd/{subtopic}: missing {key}")
        args[key] = _check(subtopic, key, body[key], field_spec)
    return Command(subtopic, args, rid)


def reply_payload(command: str | None, request_id: str | int | None, error: CommandRejected | None) -> dict[str, Any]:
    """The body of a reply: ok, or the error's code and message; `id` echoed when the request had one."""
    reply: dict[str, Any] = {"kind": "result", "schema": SCHEMA_VERSION, "command": command, "ok": error is None}
    if error is not None:
        reply["error"] = {"code": error.code, "message": str(error)}
    if request_id is not None:
        reply["id"] = request_id
    return reply
