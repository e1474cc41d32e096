"""The daemon under systemd's notify protocol, with a real AF_UNIX datagram socket as $NOTIFY_SOCKET and
the simulated device on the fast clock: READY once it is up, STATUS with the session's phase, watchdog
pings only while the main loop is healthy (they stop when it is wedged), journald level prefixes."""

from __future__ import annotations

import io
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from device.app import GlimmerDevice, build_device
from device.config import load_config
from device.service import (
    JournalFormatter,
    Notifier,
    log_handler,
    sd_priority,
    supervise,
    under_journal,
    watchdog_interval_s,
)
from sim.world import SimWorld, build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)


class NotifySocket:
    """What systemd listens on: an AF_UNIX datagram socket; `take()` returns the messages received."""

    def __init__(self, abstract: bool = False) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._dir = tempfile.mkdtemp(prefix="notify-")  # short: AF_UNIX paths are limited to 108 bytes
        if abstract:
            name = f"glimmer-test-{os.getpid()}-{id(self)}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(self._dir, "notify")
            self.sock.bind(self.address)
        self.sock.setblocking(False)

        self.received: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def drain(self, _t_s: float = 0.0) -> None:
        """Move what waits in the socket to `received` (systemd's queue holds only a few datagrams, so
        the tests drain it from the device's loop, after every frame, as systemd would)."""
        with self._lock:
            while True:
                try:
                    data = self.sock.recv(4096)
                except BlockingIOError:
                    return
                self.received.append(dict(line.split("=", 1) for line in data.decode().split("\n")))

    def take(self) -> list[dict[str, str]]:
        self.drain()
        with self._lock:
            out, self.received = self.received, []
        return out

    def wait_for(self, key: str, timeout_s: float = 10.0) -> list[dict[str, str]]:
        got: list[dict[str, str]] = []
        deadline = time.monotonic() + timeout_s
        while not any(key in m for m in got):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {key} within {timeout_s} s; got {got}")
            got += self.take()
            time.sleep(0.005)
        return got

    def close(self) -> None:
        self.sock.close()
        if os.path.exists(os.path.join(self._dir, "notify")):
            os.unlink(os.path.join(self._dir, "notify"))
        os.rmdir(self._dir)


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    s = NotifySocket()
    yield s
    s.close()


def sim(tmp_path: Path, notify: NotifySocket | None = None) -> tuple[SimWorld, GlimmerDevice]:
    config = load_config(overrides={"night": {"enabled": False}})
    world = build_sim_world(config, silent=True, start_wall=NOON)
    if notify is not None:
        world.hardware.on_frame.append(notify.drain)
    return world, build_device(config, world.hardware)


def env(notify: NotifySocket, watchdog_s: float | None = 10.0) -> dict[str, str]:
    out = {"NOTIFY_SOCKET": notify.address}
    if watchdog_s is not None:
        out["WATCHDOG_USEC"] = str(int(watchdog_s * 1e6))
        out["WATCHDOG_PID"] = str(os.getpid())
    return out


def test_ready_comes_once_the_device_is_up_then_status_follows_the_session(tmp_path: Path,
                                                                            notify: NotifySocket) -> None:
    _, glimmer = sim(tmp_path, notify)
    with supervise(glimmer, load_config, environ=env(notify)) as service:
        assert notify.take() == []  # built is not up: nothing said before the loop has read the sensor
        glimmer.run(until_s=0.001)
        (ready,) = notify.take()
        assert ready["READY"] == "1"
        assert ready["STATUS"].startswith("session idle; sensor ok")  # the sensor has answered
        glimmer.run(until_s=90.0)
        statuses = [m["STATUS"] for m in notify.take() if "STATUS" in m]
        service.stopping()
        assert notify.take()[-1] == {"STOPPING": "1", "STATUS": "stopping"}
        glimmer.close()
    phases = [s.split(";")[0] for s in statuses]
    assert phases.index("session settling") < phases.index("session pacing")
    assert "finger on" in statuses[-1]


def test_pings_come_every_half_watchdog_from_the_loop(tmp_path: Path, notify: NotifySocket) -> None:
    _, glimmer = sim(tmp_path, notify)
    with supervise(glimmer, load_config, environ=env(notify, watchdog_s=10.0)) as service:
        glimmer.run(until_s=60.0)
        pings = [m for m in notify.take() if m == {"WATCHDOG": "1"}]
        glimmer.close()
    # READY at 0, then a ping every 5 s of clock time: at 5, 10, ..., 60
    assert len(pings) == service.supervisor.pings == 12


def test_a_wedged_main_loop_stops_the_pings_and_they_resume_when_it_is_freed(tmp_path: Path,
                                                                             notify: NotifySocket) -> None:
    world, glimmer = sim(tmp_path, notify)
    wedged = threading.Event()
    release = threading.Event()

    def wedge(t_s: float) -> None:  # a call that hangs, from 30 s of clock time on
        if t_s >= 30.0 and not release.is_set():
            wedged.set()
            release.wait(30.0)

    world.hardware.on_frame.append(wedge)
    with supervise(glimmer, load_config, environ=env(notify, watchdog_s=2.0)):
        runner = threading.Thread(target=glimmer.run, kwargs={"until_s": 60.0})
        runner.start()
        try:
            assert wedged.wait(30.0)
            before = [m for m in notify.take() if m == {"WATCHDOG": "1"}]
            time.sleep(0.5)  # the fast clock would have pinged hundreds of times in this while
            during = notify.take()
        finally:
            release.set()
            runner.join(30.0)
        after = [m for m in notify.take() if m == {"WATCHDOG": "1"}]
        glimmer.close()
    assert len(before) == 29  # 1 s apart from 1 to 29 s
    assert during == []
    assert len(after) == 31  # the loop went on after the call returned: 30 (held by the wedge) .. 60 s


def test_a_loop_that_falls_behind_its_watchdog_is_not_pinged(tmp_path: Path, notify: NotifySocket,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    world, glimmer = sim(tmp_path, notify)

    def slow(t_s: float) -> None:  # from 20 s on, every sensor-grid frame takes 3 s: alive but far behind
        if t_s >= 20.0 and abs(t_s * 10 - round(t_s * 10)) < 1e-6:
            world.clock.advance_to(world.clock.now_s() + 3.0)

    world.hardware.on_frame.append(slow)
    caplog.set_level(logging.WARNING, logger="device.service")
    with supervise(glimmer, load_config, environ=env(notify, watchdog_s=2.0)) as service:
        glimmer.run(until_s=19.5)
        assert service.supervisor.pings == 19 and service.supervisor.withheld == 0
        notify.take()
        glimmer.run(until_s=120.0)
        late = notify.take()
        glimmer.close()
    assert {"WATCHDOG": "1"} not in late
    assert service.supervisor.withheld > 0
    assert "late" in caplog.text


def test_without_notify_socket_nothing_is_sent_and_nothing_fails(tmp_path: Path) -> None:
    _, glimmer = sim(tmp_path)
    with supervise(glimmer, load_config, environ={}) as service:
        glimmer.run(until_s=10.0)
        glimmer.close()
    assert service.supervisor.ready and not service.supervisor.notifier.enabled
    assert service.supervisor.pings == 0


def test_an_abstract_socket_address_is_understood() -> None:
    s = NotifySocket(abstract=True)
    try:
        assert Notifier(s.address).notify(ready=1, status="x")
        assert s.wait_for("READY") == [{"READY": "1", "STATUS": "x"}]
    finally:
        s.close()


def test_a_socket_that_is_gone_is_logged_once_and_never_raises(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    n = Notifier(str(tmp_path / "nobody-listens"))
    assert not n.notify(watchdog=1) and not n.notify(watchdog=1)
    assert len([r for r in caplog.records if "cannot notify systemd" in r.message]) == 1


@pytest.mark.parametrize(("environ", "expected"), [
    ({"WATCHDOG_USEC": "10000000"}, 5.0),
    ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}, 5.0),
    ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}, None),  # another process's watchdog
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
    ({}, None),
])
def test_the_ping_interval_is_half_the_watchdog_for_this_process(environ: dict[str, str],
                                                                 expected: float | None) -> None:
    assert watchdog_interval_s(environ) == expected


@pytest.mark.parametrize(("level", "priority"), [(logging.DEBUG, 7), (logging.INFO, 6), (logging.WARNING, 4),
                                                 (logging.ERROR, 3), (logging.CRITICAL, 2), (25, 4)])
def test_log_levels_map_to_syslog_priorities(level: int, priority: int) -> None:
    assert sd_priority(level) == priority


def test_under_the_journal_every_line_carries_its_priority(tmp_path: Path) -> None:
    with open(tmp_path / "stream", "w") as stream:
        st = os.fstat(stream.fileno())
        journal = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        assert under_journal(stream, journal)
        assert not under_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not under_journal(stream, {})
        assert isinstance(log_handler(stream, environ=journal).formatter, JournalFormatter)
        assert not isinstance(log_handler(stream, environ={}).formatter, JournalFormatter)
    logger = logging.getLogger("tests.journal")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JournalFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sensor lost")
        try:
            raise OSError("bus error")
        except OSError:
            logger.exception("read failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = out.getvalue().splitlines()
    assert lines[0] == "<4>tests.journal: sensor lost"
    assert lines[1] == "<3>tests.journal: read failed"
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines[1:])  # the traceback too
