"""SIGTERM delivered for real (os.kill on this process, whose main thread runs the device's loop): the
daemon stops within 2 s with the session saved, the ring dark, the sound faded and MQTT `offline`
published on a real broker."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import wave
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from device.app import AUDIO_FADE_S, build_device
from device.cli import _stop_on_signals
from device.home.household import Household
from device.home.people import add_person, new_person
from device.home.store import Store
from device.pacing.session import Phase
from device.service import supervise
from sim.world import build_sim_world
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, wait_connected

NOON = datetime(2026, 6, 1, 12, 0)
STOP_BUDGET_S = 2.0


def _signal_later(sig: signal.Signals, after_s: float, sent_at: list[float]) -> threading.Timer:
    def send() -> None:
        sent_at.append(time.monotonic())
        os.kill(os.getpid(), sig)

    timer = threading.Timer(after_s, send)
    timer.start()
    return timer


@pytest.mark.broker
def test_sigterm_stops_within_2_s_with_the_session_saved_dark_faded_and_offline(tmp_path: Path,
                                                                                broker: Mosquitto) -> None:
    store = Store(tmp_path / "g.db")
    config = mqtt_config(tmp_path, broker.port)
    ann = add_person(store, new_person("Ann", config), NOON)
    household = Household(store, config, ann)
    config = household.config_for(ann)
    world = build_sim_world(config, wav_path=tmp_path / "sound.wav", start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    household.attach(glimmer, NOON)
    wait_connected(glimmer)
    with supervise(glimmer, lambda: config, household) as service:
        glimmer.run(until_s=120.0)  # on the fast clock: a session is pacing, the ring lit, the hum on
        assert glimmer.session.phase is Phase.PACING and world.ring.mean_brightness() > 0.0
        world.clock.speed = 1.0  # from here on in real time, as on the device
        sent_at: list[float] = []
        timer = _signal_later(signal.SIGTERM, 0.3, sent_at)
        with _stop_on_signals(glimmer.stop):
            try:
                glimmer.run()
            finally:
                service.stopping()
                summary = glimmer.close()
        stopped_at = time.monotonic()
        timer.join()
    # The simulator writes the sound's fade to its file at once; a speaker plays it in real time.
    assert stopped_at - sent_at[0] + AUDIO_FADE_S < STOP_BUDGET_S
    assert summary is not None and summary["paced_s"] > 60
    (row,) = store.sessions()
    assert row["status"] == "closed" and row["mean_hr_bpm"] is not None
    assert store.integrity_check() == []
    store.close()
    latest = world.ring.latest()
    assert latest is not None and not latest.any()
    with wave.open(str(tmp_path / "sound.wav")) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    assert np.max(np.abs(samples[-10 * rate:])) > 0.05 * 32767  # it was humming until the signal
    assert np.max(np.abs(samples[-rate // 20:])) < 0.01 * 32767  # and ends faded to silence
    late = Subscriber(broker.port, ["glimmer/bedside/status", "glimmer/bedside/state"], client_id="late")
    got = late.take(lambda ms: len(ms) >= 2)
    late.close()
    by_topic = {m.topic: m for m in got}
    assert by_topic["glimmer/bedside/status"].payload == b"offline" and by_topic["glimmer/bedside/status"].retain
    assert json.loads(by_topic["glimmer/bedside/state"].payload)["session_state"] == "idle"
