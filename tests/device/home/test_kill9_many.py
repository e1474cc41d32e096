"""kill -9 at random moments of a session, 20 times in a row on one household store: every restart comes
up, the database passes its integrity check, and no stored session, no stored row of one, and no queued
MQTT message (the broker is away throughout, so every message waits in the outbox) is ever lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from device.config import load_config
from device.home.people import add_person, new_person
from device.home.store import Store
from tests.device.home.broker import free_port

KILLS = 20
NOON = datetime(2026, 6, 1, 12, 0)


def _snapshot(path: Path) -> tuple[list[str], dict[int, int], set[int]]:
    """(integrity check, {session id: stored metric rows}, outbox seqs), read without changing anything."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        rows = dict(conn.execute("SELECT s.id, (SELECT count(*) FROM session_metrics m WHERE m.session_id = s.id) "
                                 "FROM sessions s").fetchall())
        outbox = {r[0] for r in conn.execute("SELECT seq FROM mqtt_outbox")}
    finally:
        conn.close()
    return check, rows, outbox


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_twenty_kill_9s_at_random_moments_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "glimmer.db"
    config = tmp_path / "config.toml"
    # No broker listens on this port: every message is queued in the store's outbox.
    config.write_text(f'[device]\ndevice_id = "bedside"\n[store]\npath = "{db}"\n[metrics]\nperiod_s = 1\n'
                      f'[mqtt]\nhost = "127.0.0.1"\nport = {free_port()}\nreconnect_min_s = 0.05\n')
    with Store(db) as store:
        add_person(store, new_person("Ann", load_config(config)), NOON)
    rng = np.random.default_rng(12)
    seen_rows: dict[int, int] = {}
    seen_outbox: set[int] = set()
    for kill in range(KILLS):
        lines_before_kill = int(rng.integers(1, 90))  # from before the finger to well into pacing
        proc = subprocess.Popen(
            [sys.executable, "-m", "device.cli", "-c", str(config), "sim", "--speed", "max", "--minutes", "60",
             "--json", "--user", "Ann"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert proc.stdout is not None
        lines = 0
        for line in proc.stdout:
            json.loads(line)
            lines += 1
            if lines >= lines_before_kill:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        assert lines == lines_before_kill, f"restart {kill} did not come up (exit {proc.returncode})"
        check, rows, outbox = _snapshot(db)
        assert check == ["ok"], f"after kill {kill}: {check}"
        for session, n in seen_rows.items():
            assert rows.get(session, -1) >= n, f"after kill {kill}: session {session} lost rows"
        assert seen_outbox <= outbox, f"after kill {kill}: {len(seen_outbox - outbox)} queued messages lost"
        seen_rows, seen_outbox = rows, outbox
    with Store(db) as store:
        assert store.integrity_check() == []
        interrupted = store.mark_interrupted()
        statuses = [row["status"] for row in store.sessions()]
    assert len(seen_rows) >= KILLS // 2  # most runs got as far as a stored session
    assert set(statuses) <= {"interrupted", "closed"} and interrupted
    assert len(seen_outbox) > KILLS
