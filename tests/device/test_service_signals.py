"""Signals to the running daemon, delivered for real (os.kill on this process, whose main thread runs the
device's loop): SIGTERM stops it within 2 s with the session saved, the ring dark, the sound faded and
MQTT `offline` published on a real broker; SIGHUP reloads the config, refusing a bad one and applying a
good one without dropping the session."""

from __future__ import annotations

import logging
import os
import signal
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from device.app import build_device
from device.config import load_config
from device.pacing.session import Phase
from device.publish import RecordingPublisher
from device.service import supervise
from sim.world import build_sim_world
from tests.device.test_service import NotifySocket

NOON = datetime(2026, 6, 1, 12, 0)


def _reloading(tmp_path: Path, first: str) -> tuple[Path, object, object, RecordingPublisher]:
    path = tmp_path / "config.toml"
    path.write_text(first)
    config = load_config(path)
    world = build_sim_world(config, silent=True, start_wall=NOON)
    seen = RecordingPublisher()
    return path, world, build_device(config, world.hardware, [seen]), seen


GOOD = '[night]\nenabled = false\n[metrics]\nperiod_s = 5\n'


def test_sighup_with_a_bad_config_is_refused_with_its_errors_logged_and_the_old_one_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, _world, glimmer, _seen = _reloading(tmp_path, GOOD)
    notify = NotifySocket()
    caplog.set_level(logging.INFO)
    try:
        with supervise(glimmer, lambda: load_config(path), environ={"NOTIFY_SOCKET": notify.address}) as service:
            glimmer.run(until_s=90.0)
            running, session = glimmer.config, glimmer.session
            assert session.phase is Phase.PACING
            notify.take()
            for bad in ('[pacer]\nresonance_rate_per_min = 99\n[led]\ncount = "many"\n', "[pacer\n", b"\xff\xfe"):
                if isinstance(bad, bytes):
                    path.write_bytes(bad)
                else:
                    path.write_text(bad)
                os.kill(os.getpid(), signal.SIGHUP)
                glimmer.run(until_s=glimmer.clock.now_s() + 2.0)
            said = notify.take()
            kept = glimmer.config is running and glimmer.session is session and session.phase is Phase.PACING
            glimmer.close()
    finally:
        notify.close()
    assert service.reloader.refused == 3 and service.reloader.reloads == 0
    assert kept
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3 and all("config reload refused" in e for e in errors)
    assert "pacer.resonance_rate_per_min" in errors[0] and "led.count" in errors[0]
    assert "not valid TOML" in errors[1] and "not UTF-8" in errors[2]
    # systemd hears of each reload and that the device is ready again on its old config
    assert [m.get("RELOADING") or m.get("READY") for m in said if "RELOADING" in m or "READY" in m] == ["1"] * 6


def test_sighup_with_a_good_config_applies_it_without_dropping_the_session(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, world, glimmer, seen = _reloading(tmp_path, GOOD)
    world.person.lift_finger(200.0, 3600.0)  # the session ends (pause, then close) a while after 200 s
    caplog.set_level(logging.INFO)
    with supervise(glimmer, lambda: load_config(path)) as service:
        glimmer.run(until_s=90.0)
        session = glimmer.session
        assert session.phase is Phase.PACING and session.target_rate_bpm == 6.0
        path.write_text('[night]\nenabled = false\n[metrics]\nperiod_s = 1\n[pacer]\nresonance_rate_per_min = 5.5\n'
                        '[sensor]\ni2c_address = 0x58\n')
        os.kill(os.getpid(), signal.SIGHUP)
        glimmer.run(until_s=120.0)
        # The session goes on with its own settings; the publish period is 1 s from the reload on.
        assert glimmer.session is session and session.phase is Phase.PACING and session.target_rate_bpm == 6.0
        times = [p["t_s"] for p in seen.metrics_payloads]
        assert times[:18] == [5.0 * k for k in range(1, 19)]
        assert np.allclose(np.diff(times[-20:]), 1.0)
        assert glimmer.config.sensor.i2c_address == 0x57  # the hardware's settings wait for a restart
        glimmer.run(until_s=400.0)
        glimmer.close()
    assert service.reloader.reloads == 1
    assert session.phase is not Phase.PACING and glimmer.session is not session
    assert glimmer.session.target_rate_bpm == 5.5  # the next session has the new settings
    text = caplog.text
    assert "sensor.i2c_address" in text and "next restart" in text
    assert "metrics.period_s in force now" in text and "pacer.resonance_rate_per_min from the next session" in text
