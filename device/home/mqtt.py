"""The MQTT link: publishes what the device measures, answers commands, keeps what it could not send.

Threads (design.md): paho-mqtt's network loop runs in its own thread (`mqtt-network`), and its
callbacks only put events on a queue. Everything else runs on the main loop: `poll()` (a loop task)
takes the events, moves messages from the outbox to paho, acknowledges them when the broker has them,
and validates and applies commands. The thread stops when `close()` disconnects, and is joined with a
timeout.

Nothing is lost: metrics, state, events and summaries go to the SQLite outbox first (device/home/outbox.py)
and leave it only on the broker's PUBACK (QoS 1). Messages are handed to paho only while connected;
after a reconnect paho re-sends those it held (in order) and new ones follow only once those are
acknowledged, so the broker receives them in the order they were made. A restart re-sends what the
outbox still holds (QoS 1 is at-least-once: a subscriber may see a message twice, never out of order
within one run).

Topics and payloads: docs/asyncapi.yaml.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from device.config import Config, MqttConfig, read_password_file
from device.errors import CommandRejected, ConfigError, GlimmerError
from device.home.commands import COMMANDS, Command, parse_command, reply_payload, request_id_of
from device.home.discovery import Topics, discovery_configs, removed_configs
from device.home.messages import (
    DeviceState,
    Person,
    encode,
    outbox_report,
    person_label,
    summary_payload,
    with_measured_at,
)
from device.home.outbox import Outbox, open_outbox_db
from device.home.store import refuse_newer_store, resolve_store_path

log = logging.getLogger(__name__)

MAX_INFLIGHT = 20  # QoS 1 messages handed to paho and not yet acknowledged
JOIN_TIMEOUT_S = 5.0  # joining the network thread at close
HA_STATUS_TOPIC_SUFFIX = "status"  # Home Assistant announces itself on <prefix>/status
PEOPLE_CHECK_S = 30.0  # seconds between looks at the household for the person select's options
MAX_RESPONSE_TOPIC_CHARS = 256


class _NotConnectedFilter(logging.Filter):
    """paho logs an ERROR on every reconnect attempt while the broker is away; we say it once ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Client is not connected")


class CommandTarget(Protocol):
    """What applies validated commands: the device. Raises CommandRejected when it cannot apply one."""

    def apply_command(self, command: Command) -> None: ...


def read_password(path: str) -> str | None:
    """The first line of the password file ("" path: no password). Its content is never logged; the
    config's own check (device/config.py) reports an unreadable one before this is reached."""
    return read_password_file(path) if path else None


class MqttLink:
    """Publisher of the device's readings over MQTT (also a device/publish.py `Publisher`)."""

    def __init__(self, config: MqttConfig, device_id: str, outbox: Outbox, wall_clock: Callable[[], datetime],
                 people: Callable[[], list[Person]] = list, active_person: Callable[[], Person | None] = lambda: None,
                 flush_timeout_s: float = 2.0, owns_db: bool = False) -> None:
        """`wall_clock` stamps `measured_at`: the real wall clock (never a simulated one, whose time runs ahead
        at --speed above 1). `people`: the household, offered by Home Assistant's person select."""
        if not config.host:
            raise ConfigError(["mqtt.host: empty, so MQTT is off; no link to build"])
        self.config = config
        self.topics = Topics(device_id)
        self.outbox = outbox
        self.wall_clock = wall_clock
        self.people = people
        self.active_person = active_person
        # Who is on sensor B (together mode), under the same privacy setting as the active person.
        self.partner_person: Callable[[], Person | None] = lambda: None
        self.together = False  # the device has sensor B: Home Assistant gets the partner's entities too
        self.target: CommandTarget | None = None
        self.flush_timeout_s = flush_timeout_s
        self._owns_db = owns_db
        self.v5 = config.protocol == "5"
        self._secret = outbox.meta("person_secret", secrets.token_hex(16))
        self._events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._wakeup = threading.Event()
        self._stop = threading.Event()
        self._connected = False
        self._warned_unreachable = False
        self._last_refusal = ""
        self._inflight: dict[int, int] = {}  # paho mid -> outbox seq
        self._stale: set[int] = set()  # mids handed before the last disconnect, re-sent by paho
        self._last_handed_seq = 0
        self._last_state: dict[str, Any] | None = None
        self._last_report: dict[str, Any] | None = None
        self._clearing: dict[str, int] = {}  # cmd topics we cleared -> echoes of the clear still to come
        self._people_shown: list[str] | None = None  # the person select's options as last published
        self._people_checked_s = -math.inf
        self._closed = False
        self.commands_answered = 0
        self.client = self._build_client(device_id)
        self._thread = threading.Thread(target=self._network, name="mqtt-network", daemon=True)
        self._thread.start()

    # -- paho, its thread and its callbacks (network thread: they only queue) ----------------------

    def _build_client(self, device_id: str) -> paho.Client:
        c = self.config
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=c.client_id or f"glimmer-{device_id}",
                             protocol=paho.MQTTv5 if self.v5 else paho.MQTTv311,
                             clean_session=None if self.v5 else True)
        paho_log = logging.getLogger(__name__ + ".paho")
        if not any(isinstance(f, _NotConnectedFilter) for f in paho_log.filters):
            paho_log.addFilter(_NotConnectedFilter())
        client.enable_logger(paho_log)
        if c.username:
            client.username_pw_set(c.username, read_password(c.password_file))
        if c.tls:
            try:
                client.tls_set(ca_certs=c.ca_file or None, certfile=c.cert_file or None, keyfile=c.key_file or None)
            except (OSError, ValueError) as exc:
                raise ConfigError([f"mqtt.ca_file, cert_file, key_file: cannot load them: {exc}"]) from exc
        client.will_set(self.topics.status, "offline", qos=1, retain=True)
        client.reconnect_delay_set(c.reconnect_min_s, c.reconnect_max_s)  # type: ignore[arg-type]
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.on_connect = lambda _c, _u, _f, reason, _p: self._queue("connected", reason)
        client.on_disconnect = lambda _c, _u, _f, reason, _p: self._queue("disconnected", reason)
        client.on_connect_fail = lambda _c, _u: self._queue("connect_failed", None)
        client.on_publish = lambda _c, _u, mid, _r, _p: self._queue("published", mid)
        client.on_message = lambda _c, _u, msg: self._queue("message", (msg.topic, bytes(msg.payload),
                                                                        msg.retain, msg.properties))
        kwargs: dict[str, Any] = {"clean_start": paho.MQTT_CLEAN_START_FIRST_ONLY} if self.v5 else {}
        client.connect_async(c.host, c.port, keepalive=c.keepalive_s, **kwargs)
        return client

    def _queue(self, kind: str, item: Any) -> None:
        self._events.put((kind, item))
        self._wakeup.set()

    def _network(self) -> None:
        """paho's loop (it reconnects with back-off) until close() sets the stop event and disconnects."""
        while not self._stop.is_set():
            try:
                self.client.loop_forever(retry_first_connection=True)
            except Exception:  # never die silently: log, wait a back-off, go on (the main loop never waits)
                log.exception("MQTT network loop failed; restarting it")
                self._stop.wait(self.config.reconnect_max_s)

    # -- the main loop's side -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    def _person(self) -> str | None:
        return person_label(self.active_person(), self.config.privacy, self._secret)

    def metrics(self, payload: dict[str, Any]) -> None:
        self._put("metrics", self.topics.metrics, with_measured_at(payload, self.wall_clock()))

    def _partner(self) -> str | None:
        return person_label(self.partner_person(), self.config.privacy, self._secret)

    def session_closed(self, summary: dict[str, Any]) -> None:
        # A together session's partner summary (seat "partner") is the partner's.
        person = self._partner() if summary.get("seat") == "partner" else self._person()
        self._put("summary", self.topics.session, with_measured_at(summary_payload(summary, person),
                                                                   self.wall_clock()))

    def state(self, state: DeviceState) -> None:
        """Publish the retained state if it differs from the last one published."""
        payload = {**state.payload(), "person": self._person(), "partner": self._partner()}
        if payload != self._last_state:
            self._last_state = payload
            self._put("state", self.topics.state, with_measured_at(payload, self.wall_clock()), retain=True)

    def event(self, payload: dict[str, Any]) -> None:
        payload = {**payload, "person": self._person()}
        self._put("event", self.topics.glimmer_event, with_measured_at(payload, self.wall_clock()))

    def _put(self, cls: str, topic: str, payload: dict[str, Any], retain: bool = False) -> None:
        if self._closed:
            return
        self.outbox.put(cls, topic, encode(payload), retain=retain)
        self._send_ready()

    def poll(self, now_s: float = 0.0) -> None:
        """Take the network thread's events, send what is ready, answer commands. Never blocks. Every
        PEOPLE_CHECK_S (device clock) the household is looked at: a person added or removed (e.g. by
        `glimmer users add` meanwhile) changes the person select's options."""
        while True:
            try:
                kind, item = self._events.get_nowait()
            except queue.Empty:
                break
            getattr(self, f"_on_{kind}")(item)
        if self._connected and self.config.discovery and now_s - self._people_checked_s >= PEOPLE_CHECK_S:
            self._people_checked_s = now_s
            if self._people_shown is not None and self._people_labels() != self._people_shown:
                log.info("the household changed; publishing discovery again")
                self.publish_discovery()
        self._send_ready()

    def _on_connected(self, reason: Any) -> None:
        if getattr(reason, "is_failure", False):
            if str(reason) != self._last_refusal:  # said once per reason; paho keeps retrying with back-off
                self._last_refusal = str(reason)
                log.warning("MQTT broker %s:%d refused the connection: %s", self.config.host, self.config.port,
                            reason)
            return
        self._last_refusal = ""
        log.info("MQTT connected to %s:%d", self.config.host, self.config.port)
        self._connected = True
        self._warned_unreachable = False
        self.client.publish(self.topics.status, "online", qos=1, retain=True)
        if self.v5:
            # Retain-As-Published: a retained command keeps its flag even when the broker forwards it live,
            # so it is refused (and cleared) rather than run now and again at every reconnect. Under 3.1.1
            # the broker clears the flag on live messages; only those held before we subscribed show it.
            self.client.subscribe(self.topics.cmd_prefix + "#",
                                  options=paho.SubscribeOptions(qos=1, retainAsPublished=True))
        else:
            self.client.subscribe(self.topics.cmd_prefix + "#", qos=1)
        if self.config.discovery:
            self.client.subscribe(f"{self.config.discovery_prefix}/{HA_STATUS_TOPIC_SUFFIX}", qos=1)
            self.publish_discovery()
        self._last_report = None

    def _on_connect_failed(self, _item: None) -> None:
        if not self._warned_unreachable:
            self._warned_unreachable = True
            tls = (" (mqtt.tls is on: a broker that does not speak TLS on this port, or whose certificate "
                   "does not check out, fails the same way)") if self.config.tls else ""
            log.warning("MQTT broker %s:%d unreachable%s; retrying with back-off, keeping messages in the outbox",
                        self.config.host, self.config.port, tls)

    def _on_disconnected(self, reason: Any) -> None:
        if self._connected:
            log.warning("MQTT connection lost (%s); keeping messages in the outbox", reason)
        self._connected = False
        self._stale |= set(self._inflight)

    def _on_published(self, mid: int) -> None:
        seq = self._inflight.pop(mid, None)
        self._stale.discard(mid)
        if seq is not None:
            self.outbox.ack(seq)

    def _on_message(self, item: tuple[str, bytes, bool, Any]) -> None:
        topic, payload, retained, properties = item
        if topic == f"{self.config.discovery_prefix}/{HA_STATUS_TOPIC_SUFFIX}":
            if payload == b"online" and self.config.discovery:
                log.info("Home Assistant is online; publishing discovery again")
                self.publish_discovery()
            return
        if topic.startswith(self.topics.cmd_prefix) or topic == self.topics.cmd_prefix.rstrip("/"):
            # `glimmer/<id>/cmd` itself (which cmd/# also matches) names no command: refused as bad_topic.
            self._answer(topic, topic[len(self.topics.cmd_prefix):], payload, retained, properties)

    def _answer(self, cmd_topic: str, subtopic: str, payload: bytes, retained: bool, properties: Any) -> None:
        name: str | None = subtopic if subtopic in COMMANDS else None  # named even when its body is refused
        rid = request_id_of(payload)
        error: CommandRejected | None = None
        if not payload and self._clearing.get(cmd_topic):
            # The echo of our own clearing of a retained command (under 3.1.1 it comes without the retain flag).
            self._clearing[cmd_topic] -= 1
            return
        if retained and not payload:
            return  # a retained command being cleared by hand (MQTT 5 keeps its flag): nothing to answer
        try:
            if retained:
                # Clear it from the broker so it is not delivered again at the next connect.
                self._clearing[cmd_topic] = self._clearing.get(cmd_topic, 0) + 1
                self.client.publish(cmd_topic, b"", qos=1, retain=True)
                raise CommandRejected("retained", "commands must not be retained (they would run again)")
            command = parse_command(subtopic, payload)
            name, rid = command.name, command.request_id
            if self.target is None:
                raise CommandRejected("unavailable", "the device is not ready for commands")
            if command.name in ("person", "partner"):
                command = self._resolve_person(command)
            self.target.apply_command(command)
        except CommandRejected as exc:
            error = self._private(exc)
            log.info("MQTT command refused (%s): %s", exc.code, error)
        except (GlimmerError, sqlite3.Error) as exc:  # e.g. the household's store is locked or full
            # The daemon stays up and says so; what the command would have changed is left as it was.
            log.warning("MQTT command %s could not be applied: %s", name, exc)
            error = CommandRejected("unavailable", f"cmd/{name}: could not be applied now ({type(exc).__name__}); "
                                                   "try again")
        reply = encode(reply_payload(name, rid, error))
        topic = self.topics.result
        props = None
        if self.v5 and properties is not None:
            response_topic = getattr(properties, "ResponseTopic", None)
            if (isinstance(response_topic, str) and 0 < len(response_topic) <= MAX_RESPONSE_TOPIC_CHARS
                    and "+" not in response_topic and "#" not in response_topic):
                topic = response_topic
            correlation = getattr(properties, "CorrelationData", None)
            if correlation is not None:
                props = Properties(PacketTypes.PUBLISH)
                props.CorrelationData = correlation
        self.client.publish(topic, reply, qos=1, properties=props)
        self.commands_answered += 1

    def _resolve_person(self, command: Command) -> Command:
        """`cmd/person` names someone by name or by the opaque id `state` shows under privacy "opaque"
        (null: a guest): the device is handed the name."""
        wanted = command.args["person"]
        if isinstance(wanted, str):
            for person in self.people():
                if person_label(person, "opaque", self._secret) == wanted:
                    return Command(command.name, {**command.args, "person": person.name}, command.request_id)
        return command

    def _private(self, error: CommandRejected) -> CommandRejected:
        """A refusal as it may be published: unless privacy is "name", it names none of the household
        (the household's refusal of an unknown person lists who exists)."""
        if error.code == "unknown_person" and self.config.privacy != "name":
            return CommandRejected("unknown_person", "cmd/person: no one in the household by that name or id "
                                                     f"(privacy {self.config.privacy!r}: names are not published)")
        return error

    def _people_labels(self) -> list[str] | None:
        """The household as `state` names them (privacy "name": names, "opaque": opaque ids); None under
        privacy "none", where `state` names nobody."""
        if self.config.privacy == "none":
            return None
        try:
            people = self.people()
        except (GlimmerError, sqlite3.Error) as exc:  # the store failing never stops the link
            log.warning("cannot read the household for the person select: %s", exc)
            return self._people_shown if self._people_shown is not None else []
        return [label for p in people if (label := person_label(p, self.config.privacy, self._secret))]

    def publish_discovery(self) -> None:
        """Publish every discovery config (retained), and empty retained configs for entities gone since."""
        people = self._people_labels()
        self._people_shown = people
        configs = discovery_configs(self.topics.device_id, self.config.discovery_prefix, people, together=self.together)
        previous = set(json.loads(self.outbox.meta("discovery_topics", "[]")))
        for topic in removed_configs(previous, set(configs)):
            self.client.publish(topic, b"", qos=1, retain=True)
        for topic, cfg in configs.items():
            self.client.publish(topic, encode(cfg), qos=1, retain=True)
        self.outbox.set_meta("discovery_topics", json.dumps(sorted(configs)))

    def remove_discovery(self) -> None:
        """Remove the device from Home Assistant: an empty retained config for every entity published."""
        for topic in json.loads(self.outbox.meta("discovery_topics", "[]")):
            self.client.publish(topic, b"", qos=1, retain=True)
        self.outbox.set_meta("discovery_topics", "[]")

    def _send_ready(self) -> None:
        if not self._connected or self._stale:
            return
        room = MAX_INFLIGHT - len(self._inflight)
        if room > 0 and len(self.outbox):
            for message in self.outbox.peek(self._last_handed_seq, room):
                info = self.client.publish(message.topic, message.payload, qos=1, retain=message.retain)
                self._inflight[info.mid] = message.seq
                self._last_handed_seq = message.seq
        report = outbox_report(len(self.outbox), self.outbox.dropped())
        if report != self._last_report and not self._inflight:
            self._last_report = report
            self.client.publish(self.topics.outbox, encode(report), qos=1, retain=True)

    def flush(self, timeout_s: float) -> bool:
        """Wait (real time) until the outbox is empty or `timeout_s` passes; True if empty."""
        deadline_s = time.monotonic() + timeout_s
        while len(self.outbox) and time.monotonic() < deadline_s:
            self._wakeup.clear()
            self.poll()
            if len(self.outbox):
                self._wakeup.wait(0.05)
        return len(self.outbox) == 0

    def close(self) -> None:
        """Send what can be sent within flush_timeout_s, say offline (retained), stop and join the thread."""
        if self._closed:
            return
        if self._connected:
            self.flush(self.flush_timeout_s)
            info = self.client.publish(self.topics.status, "offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError):  # connection gone meanwhile: the will says offline
                info.wait_for_publish(timeout=self.flush_timeout_s)
        self._closed = True
        self._stop.set()
        self.client.disconnect()
        self._thread.join(JOIN_TIMEOUT_S)
        if self._thread.is_alive():
            log.warning("MQTT network thread did not stop within %.0f s", JOIN_TIMEOUT_S)
        left = len(self.outbox)
        if left:
            log.info("MQTT: %d messages stay in the outbox for the next start", left)
        if self._owns_db:
            self.outbox.conn.close()


def build_mqtt_link(config: Config, wall_clock: Callable[[], datetime],
                    active_person: Callable[[], Person | None] = lambda: None,
                    people: Callable[[], list[Person]] = list) -> MqttLink:
    """The MQTT link of a config with `mqtt.host` set, with its outbox in `mqtt.outbox_path`."""
    # By default the outbox lives in the household store's database (its tables are one of its migrations).
    path = Path(config.mqtt.outbox_path) if config.mqtt.outbox_path else resolve_store_path(config.store.path)
    refuse_newer_store(path)  # a newer Glimmer's file is left untouched (StoreTooNew)
    try:
        conn = open_outbox_db(path)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError([f"mqtt.outbox_path: cannot open {path}: {exc}"]) from exc
    outbox = Outbox(conn, config.mqtt.outbox_max_messages)
    return MqttLink(config.mqtt, config.device.device_id, outbox, wall_clock, people=people,
                    active_person=active_person, owns_db=True)
