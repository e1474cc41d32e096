"""`glimmer run` itself, as systemd runs it, in a process of its own: the real CLI path with the simulator's
hardware in place of the Pi's (the composition root takes any), $NOTIFY_SOCKET a real datagram socket and
stderr a file named by $JOURNAL_STREAM. READY, watchdog pings, SIGHUP reloads (a good config and a bad
one), journald priority prefixes, and SIGTERM ending it cleanly within 2 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.device.test_service import NotifySocket

ROOT = Path(__file__).resolve().parents[2]
# `glimmer run` with device.hardware.build_real_hardware answering with the simulator's hardware.
RUNNER = """
import faulthandler, signal, sys
faulthandler.register(signal.SIGUSR1, all_threads=True)  # a stack dump on demand, should it ever hang
from device import cli, hardware
from sim.world import build_sim_world
hardware.build_real_hardware = lambda config: build_sim_world(config, speed=10.0, silent=True).hardware
sys.exit(cli.main(sys.argv[1:]))
"""


def wait(notify: NotifySocket, got: list[dict[str, str]], key: str, since: int, timeout_s: float = 90.0) -> int:
    """Drain the socket into `got` until a message with `key` is there from index `since` on; its index."""
    deadline = time.monotonic() + timeout_s
    while True:
        for i in range(since, len(got)):
            if key in got[i]:
                return i
        assert time.monotonic() < deadline, f"no {key} within {timeout_s} s: {got[since:since + 20]}"
        got += notify.take()
        time.sleep(0.005)


def test_glimmer_run_under_systemds_protocols(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    base = f'[store]\npath = "{tmp_path / "glimmer.db"}"\n[night]\nenabled = false\n'
    config.write_text(base)
    notify = NotifySocket()
    stderr_path = tmp_path / "journal"
    got: list[dict[str, str]] = []
    with stderr_path.open("w") as stderr:
        st = os.fstat(stderr.fileno())
        env = {**os.environ, "NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "2000000",
               "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, "-c", str(config), "run"], stdout=subprocess.DEVNULL,
                                stderr=stderr, env=env, cwd=tmp_path)
        try:
            ready = wait(notify, got, "READY", 0)
            assert got[ready]["READY"] == "1" and got[ready]["STATUS"].startswith("session idle; sensor ok")
            assert ready == 0  # nothing before READY
            ping = ready
            for _ in range(3):
                ping = wait(notify, got, "WATCHDOG", ping + 1)
            for text in ("[metrics]\nperiod_s = 1\n", "[metrics]\nperiod_s = -1\n"):  # a good one, a bad one
                config.write_text(base + text)
                mark = len(got)
                proc.send_signal(signal.SIGHUP)
                reloading = wait(notify, got, "RELOADING", mark)
                wait(notify, got, "READY", reloading + 1)
            wait(notify, got, "WATCHDOG", len(got))  # still alive and well on the config it kept
            sent_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
            stopped_s = time.monotonic() - sent_at
            got += notify.take()
        finally:
            if proc.poll() is None:
                proc.kill()
            notify.close()
    journal = stderr_path.read_text().splitlines()
    assert code == 0 and stopped_s < 2.0, (code, stopped_s, journal[-5:])
    assert {"STOPPING": "1", "STATUS": "stopping"} in got
    assert journal and all(line[:3] in ("<3>", "<4>", "<6>", "<7>") for line in journal), journal[:5]
    assert any(line.startswith("<6>device.reload: config reload") for line in journal)
    refused = [line for line in journal if "config reload refused" in line]
    assert len(refused) == 1 and refused[0].startswith("<3>")
    assert any("metrics.period_s" in line for line in journal if line.startswith("<3>"))
