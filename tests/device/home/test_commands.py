"""Command validation (pure): each kind of bad message gets its code; good ones parse to their values."""

from __future__ import annotations

import pytest

from device.errors import CommandRejected
from device.home.commands import MAX_COMMAND_BYTES, parse_command, reply_payload, request_id_of
from device.payload import SCHEMA_VERSION


@pytest.mark.parametrize(("subtopic", "payload", "code"), [
    ("brightness/x", b"{}", "bad_topic"),
    ("", b"{}", "bad_topic"),
    ("dance", b"{}", "unknown_command"),
    ("volume", b"{" + b" " * MAX_COMMAND_BYTES + b"}", "too_large"),
    ("volume", b"\xff\xfe", "not_json"),
    ("volume", b'{"pct": NaN}', "not_json"),
    ("volume", b"[1, 2]", "not_object"),
    ("volume", b'{"pct": 5, "loud": true}', "unknown_field"),
    ("start", b'{"now": 1}', "unknown_field"),
    ("volume", b"{}", "missing_field"),
    ("volume", b'{"pct": "50"}', "wrong_type"),
    ("volume", b'{"pct": true}', "wrong_type"),
    ("volume", b'{"pct": 50, "id": [1]}', "wrong_type"),
    ("volume", b'{"pct": 100.5}', "out_of_range"),
    ("pacer_target", b'{"rate_per_min": 12}', "out_of_range"),
    ("night_mode", b'{"mode": "dim"}', "out_of_range"),
    ("person", b'{"person": ""}', "out_of_range"),
    ("person", b'{"person": 7}', "wrong_type"),
    ("person", b'{"person": false}', "wrong_type"),
    ("night_mode", b'{"mode": null}', "wrong_type"),  # null means something only where it says so
    ("volume", b'{"pct": null}', "wrong_type"),
])
def test_each_kind_of_bad_command_gets_its_code(subtopic: str, payload: bytes, code: str) -> None:
    with pytest.raises(CommandRejected) as caught:
        parse_command(subtopic, payload)
    assert caught.value.code == code


def test_good_commands_parse_to_their_values() -> None:
    assert parse_command("volume", b'{"pct": 40, "id": "r1"}').args == {"pct": 40.0}
    assert parse_command("volume", b'{"pct": 40, "id": "r1"}').request_id == "r1"
    assert parse_command("start", b"{}").args == {}
    assert parse_command("night_mode", b'{"mode": "auto"}').args == {"mode": "auto"}
    assert parse_command("pacer_target", b'{"rate_per_min": 4.5}').args == {"rate_per_min": 4.5}
    assert parse_command("person", b'{"person": "Mum"}').args == {"person": "Mum"}
    assert parse_command("person", b'{"person": null}').args == {"person": None}, "the guest"


def test_replies_echo_the_id_even_of_refused_bodies() -> None:
    assert request_id_of(b'{"pct": 500, "id": 9}') == 9
    reply = reply_payload("volume", 9, CommandRejected("out_of_range", "too loud"))
    assert reply == {"kind": "result", "schema": SCHEMA_VERSION, "command": "volume", "ok": False, "id": 9,
                     "error": {"code": "out_of_range", "message": "too loud"}}
