"""A real mosquitto for tests: started on a free local port in a temporary directory, stopped (and started
again, to test outages) by the test. Tests using it are marked `broker` and skipped without mosquitto."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mosquitto:
    """One mosquitto process; `extra` lines go into its config (listener options, auth, TLS)."""

    workdir: Path
    port: int = field(default_factory=free_port)
    extra: str = "allow_anonymous true\n"
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\n{self.extra}persistence true\n"
                        f"persistence_location {self.workdir}/\nlog_dest stderr\n"
                        # As root mosquitto drops to user "mosquitto", who cannot read pytest's private tmp dirs.
                        + ("user root\n" if os.geteuid() == 0 else ""))
        assert MOSQUITTO is not None
        with open(self.workdir / "stderr.txt", "ab") as err:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {(self.workdir / 'stderr.txt').read_text()}") from None
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    properties: Any


class Subscriber:
    """A plain paho client that records what it receives (the integrator's side)."""

    def __init__(self, port: int, topics: list[str], client_id: str = "test-subscriber", persistent: bool = False,
                 protocol: int = paho.MQTTv5, tls_ca: str | None = None, username: str | None = None,
                 password: str | None = None) -> None:
        self.messages: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.connected = queue.SimpleQueue[bool]()
        kwargs: dict[str, Any] = {} if protocol == paho.MQTTv5 else {"clean_session": not persistent}
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, **kwargs)
        if username:
            self.client.username_pw_set(username, password)
        if tls_ca:
            self.client.tls_set(ca_certs=tls_ca)
        self.topics = topics

        def on_connect(client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            for t in self.topics:
                client.subscribe(t, qos=1)
            self.connected.put(not reason.is_failure)

        self.subscribed: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.client.on_connect = on_connect
        self.client.on_subscribe = lambda _c, _u, mid, _r, _p: self.subscribed.put(mid)
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            Received(m.topic, bytes(m.payload), bool(m.retain), m.properties))
        self.client.reconnect_delay_set(0.05, 0.2)  # type: ignore[arg-type]
        if protocol == paho.MQTTv5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
            props = Properties(PacketTypes.CONNECT)
            if persistent:
                props.SessionExpiryInterval = 3600
            self.client.connect("127.0.0.1", port, clean_start=not persistent, properties=props)
        else:
            self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.connected.get(timeout=10), "subscriber could not connect"
        for _ in self.topics:  # every subscription acknowledged before the test goes on
            self.subscribed.get(timeout=10)

    def take(self, until: Any, timeout_s: float = 20.0, pump: Any = None) -> list[Received]:
        """Collect messages until `until(collected)` is true; fails after timeout_s. `pump()` is called
        between waits (to poll a device's MQTT link meanwhile)."""
        got: list[Received] = []
        deadline = time.monotonic() + timeout_s
        while not until(got):
            if pump is not None:
                pump()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out with {len(got)} messages: {[m.topic for m in got[-10:]]}")
            try:
                got.append(self.messages.get(timeout=min(remaining, 0.5 if pump is None else 0.01)))
            except queue.Empty:
                continue
        return got

    def drain(self, quiet_s: float = 0.3) -> list[Received]:
        got: list[Received] = []
        while True:
            try:
                got.append(self.messages.get(timeout=quiet_s))
            except queue.Empty:
                return got

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
