"""Running under systemd: readiness, status and watchdog notifications, journald log levels.

The sd_notify protocol (sd_notify(3), "Notification socket"): newline-separated `KEY=VALUE` lines
sent as one datagram to the AF_UNIX socket named in $NOTIFY_SOCKET (a leading `@` names the abstract
namespace). Outside systemd the variable is unset and every notification is a no-op. Written on the
standard library's socket module: the protocol is one sendto, which a dependency would not shorten.

- `READY=1` once the sensor, the outputs, the store and the broker client are up: the watchdog task's
  first run, which comes after the loop's first sensor read (tasks due together run in the order they
  were added) and after the outputs were opened and the audio stream started (`GlimmerDevice.run`).
- `STATUS=...` says the session's phase, the sensor's state and the broker's, whenever one changes.
- `WATCHDOG=1` every $WATCHDOG_USEC / 2 from the main loop, only while it is healthy: the loop ran
  the ping on time (not more than one ping interval late) and the sensor and LED frame tasks have run
  since the last ping. A wedged call stops the whole loop, so the pings stop and systemd restarts the
  service WatchdogSec later.
- `RELOADING=1` / `READY=1` around a SIGHUP reload, `STOPPING=1` when a stop begins.

journald: when stderr is the journal ($JOURNAL_STREAM names stderr's device and inode), every log line
starts with the sd-daemon priority prefix `<N>` of its level (sd-daemon(3)), so `journalctl -p`
filters them by level; timestamps are left to the journal.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

from device.config import Config
from device.loop import Task
from device.reload import ConfigReloader

log = logging.getLogger(__name__)

# syslog(3) priorities of Python's levels (sd-daemon(3) prefixes).
SD_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}
JOURNAL_FORMAT = "%(name)s: %(message)s"  # journald stamps time and unit itself


class Notifier:
    """sd_notify(3) over $NOTIFY_SOCKET. `address` None: not under systemd, every call does nothing.

    Never raises: a notification that cannot be sent is logged once (systemd then sees no READY or
    no pings and acts on that, which is the right outcome for a broken socket)."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self._sock: socket.socket | None = None
        self._failed = False
        self.sent: int = 0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, **fields: str | int) -> bool:
        """Send `KEY=VALUE` lines (keys upper-cased: ready=1 -> READY=1). True if sent."""
        if self.address is None:
            return False
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items())
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._sock is None:
                # Non-blocking: the main loop never waits on systemd (a full queue fails the send).
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                                           | socket.SOCK_NONBLOCK)
            self._sock.sendto(message.encode("utf-8"), target)
        except OSError as exc:
            if not self._failed:
                log.error("cannot notify systemd at %s: %s (logged once)", self.address, exc)
                self._failed = True
            return False
        self.sent += 1
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between watchdog pings: half of $WATCHDOG_USEC (sd_watchdog_enabled(3)), or None when
    no watchdog is asked for this process ($WATCHDOG_PID, if set, must be ours)."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not a whole number of microseconds", usec)
        return None
    return value / 2e6 if value > 0 else None


class Supervisor:
    """The device's side of systemd: READY when up, STATUS on change, WATCHDOG while healthy.

    `device` is a GlimmerDevice (duck-typed: `add_task`, `session.phase`, `reading`, `finger_on`, `mqtt`
    and the tasks named "sensor" and "frame" in `tasks`). The watchdog task runs every `ping_s`
    seconds of device clock (without a watchdog: every DEFAULT_STATUS_S, for READY and STATUS)."""

    DEFAULT_STATUS_S = 1.0
    WATCHED_TASKS = ("sensor", "frame")

    def __init__(self, device: Any, notifier: Notifier, ping_s: float | None) -> None:
        self.device = device
        self.notifier = notifier
        self.ping_s = ping_s
        self.ready = False
        self.pings = 0
        self.withheld = 0  # pings not sent because the loop was not healthy
        self._status: str | None = None
        self._runs_seen: dict[str, int] = {}
        self.task = Task("watchdog", ping_s or self.DEFAULT_STATUS_S, self._tick)
        device.add_task(self.task)

    def status_text(self) -> str:
        """One line for `systemctl status`: the session's phase, the sensor's state, the broker's."""
        d = self.device
        reading = d.reading
        sensor = reading.status if reading is not None else "starting"
        parts = [f"session {d.session.phase.value}", f"sensor {sensor}"]
        if sensor == "ok":
            parts.append("finger on" if d.finger_on else "no finger")
        if d.mqtt is not None:
            parts.append("broker connected" if d.mqtt.connected else "broker not connected")
        return "; ".join(parts)

    def healthy(self, now_s: float) -> tuple[bool, str]:
        """(True, "") when the loop is turning: this tick is on time and the watched tasks ran since
        the last one; else (False, why)."""
        late_s = self.device.clock.now_s() - now_s
        if self.ping_s is not None and late_s > self.ping_s:
            return False, f"the main loop runs {late_s:.1f} s late"
        tasks = {t.name: t for t in self.device.tasks}
        for name in self.WATCHED_TASKS:
            task = tasks.get(name)
            if task is None:
                continue
            seen = self._runs_seen.get(name)
            self._runs_seen[name] = task.runs
            if seen is not None and task.runs == seen:
                return False, f"the {name} task has not run for {self.task.period_s:.1f} s"
        return True, ""

    def _tick(self, now_s: float) -> None:
        status = self.status_text()
        if not self.ready:
            self.ready = True
            self._status = status
            self._runs_seen = {t.name: t.runs for t in self.device.tasks}
            self.notifier.notify(ready=1, status=status)
            log.info("ready (%s)", status)
            return
        if status != self._status:
            self._status = status
            self.notifier.notify(status=status)
        if self.ping_s is None:
            return
        ok, why = self.healthy(now_s)
        if ok:
            self.notifier.notify(watchdog=1)
            self.pings += 1
        else:
            self.withheld += 1
            log.warning("watchdog ping withheld: %s", why)

    def reloading(self) -> None:
        self.notifier.notify(reloading=1, status="reloading the config")

    def reloaded(self) -> None:
        self._status = self.status_text()
        self.notifier.notify(ready=1, status=self._status)

    def stopping(self) -> None:
        self.notifier.notify(stopping=1, status="stopping")


def under_journal(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """True when `stream` is connected to journald: $JOURNAL_STREAM is "<device>:<inode>" of its file."""
    env = os.environ if environ is None else environ
    value = env.get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return value == f"{st.st_dev}:{st.st_ino}"


class JournalFormatter(logging.Formatter):
    """Each line of a record (a traceback too) prefixed with `<N>`, N its level's syslog priority."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        priority = sd_priority(record.levelno)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines() or [""])


def sd_priority(levelno: int) -> int:
    """The syslog priority of a logging level (a custom level takes the next standard one above it)."""
    for level in sorted(SD_PRIORITY):
        if levelno <= level:
            return SD_PRIORITY[level]
    return SD_PRIORITY[logging.CRITICAL]


def log_handler(stream: TextIO | None = None, plain_format: str = "%(asctime)s %(levelname)s %(name)s: %(message)s",
                environ: Mapping[str, str] | None = None) -> logging.Handler:
    """A stderr handler: journald's priority prefixes when stderr is the journal, else `plain_format`."""
    stream = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JournalFormatter() if under_journal(stream, environ) else logging.Formatter(plain_format))
    return handler




STOP_FLUSH_S = 0.3  # at a stop, the broker gets this long for the backlog and again for `offline`


class Supervision:
    """What `supervise` sets up: the systemd side (`supervisor`) and the SIGHUP reload (`reloader`)."""

    def __init__(self, supervisor: Supervisor, reloader: ConfigReloader) -> None:
        self.supervisor = supervisor
        self.reloader = reloader

    def stopping(self) -> None:
        """Say STOPPING to systemd and bound the broker's share of the 2 s stop: what is not sent by
        then stays in the outbox (on disk) for the next start."""
        self.supervisor.stopping()
        mqtt = self.supervisor.device.mqtt
        if mqtt is not None:
            mqtt.flush_timeout_s = min(mqtt.flush_timeout_s, STOP_FLUSH_S)


@contextmanager
def supervise(device: Any, load: Callable[[], Config], household: Any = None,
              set_log_level: Callable[[Config], None] = lambda _c: None,
              environ: Mapping[str, str] | None = None) -> Iterator[Supervision]:
    """Run `device` as a service: READY/STATUS/WATCHDOG to systemd (when $NOTIFY_SOCKET is set) and
    SIGHUP reloading `load()` (see device/reload.py). Call `stopping()` on the result before closing
    the device. The previous SIGHUP handler comes back afterwards. Main thread only (signals)."""
    notifier = Notifier.from_environ(environ)
    supervisor = Supervisor(device, notifier, watchdog_interval_s(environ))
    reloader = ConfigReloader(device, load, household, set_log_level)
    reloader.on_reloading.append(supervisor.reloading)
    reloader.on_reloaded.append(supervisor.reloaded)
    previous = signal.getsignal(signal.SIGHUP)

    def on_hup(_signum: int, _frame: object) -> None:
        reloader.request()  # no logging here: the handler may interrupt a log call holding its lock

    signal.signal(signal.SIGHUP, on_hup)
    try:
        yield Supervision(supervisor, reloader)
    finally:
        signal.signal(signal.SIGHUP, previous)
        notifier.close()
