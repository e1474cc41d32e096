"""The broker down for 10 minutes in the middle of a session (the fault table's case): the session goes on,
and every message of the outage reaches the broker once it is back, in order, each with its own time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from device.pacing.session import Phase
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, sim_device, wait_connected

BASE = "glimmer/bedside"
OUTAGE_S = 600.0


@pytest.mark.broker
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_broker_down_for_10_minutes_mid_session_loses_nothing(tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.port)
    sub = Subscriber(broker.port, [f"{BASE}/#"], persistent=True)
    glimmer, _world = sim_device(tmp_path, config)
    assert glimmer.mqtt is not None
    try:
        wait_connected(glimmer)
        glimmer.run(until_s=60.0)
        assert glimmer.mqtt.flush(10.0)
        session = glimmer.session.session_id
        broker.stop()
        glimmer.run(until_s=60.0 + OUTAGE_S)
        assert glimmer.session.phase is Phase.PACING and glimmer.session.session_id == session
        waiting = len(glimmer.mqtt.outbox)
        assert waiting >= OUTAGE_S / 5.0, "the outage's metrics wait in the outbox"
        broker.start()
        glimmer.run(until_s=OUTAGE_S + 120.0)
        assert glimmer.mqtt.flush(30.0), "everything is sent once the broker is back"
        got = sub.take(lambda ms: any(m.topic == f"{BASE}/metrics" and json.loads(m.payload)["t_s"] >= OUTAGE_S + 120.0
                                      for m in ms), timeout_s=30.0)
    finally:
        glimmer.close()
        sub.close()
    times = [json.loads(m.payload)["t_s"] for m in got if m.topic == f"{BASE}/metrics"]
    assert times == sorted(times), "in order"
    assert list(dict.fromkeys(times)) == [5.0 * (i + 1) for i in range(int((OUTAGE_S + 120.0) / 5.0))], "none missing"
